"""Read a past campaign with a control group: per-customer rows or per-arm-per-week totals.

Per customer (one row each): ``customer_id``, ``arm``, ``orders`` in the campaign window, and
optionally ``spend_cny`` (what they paid), ``pre_orders`` and ``pre_spend_cny`` (the same over
a period before the campaign, used to sharpen the comparison, CUPED).
Per arm and week: ``arm``, ``week`` (1, 2, ...), ``customers`` in the arm, ``orders`` and
optionally ``spend_cny`` that week.

Every problem raises `simlib.UserError` naming the file, the row as a spreadsheet numbers it
(header = row 1), the column and what is allowed, as the other calibration readers do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from simlib.calibrate._errors import user_error
from simlib.calibrate.csvfile import read_rows

OUTCOMES = ("orders", "spend_cny")
ALIASES = {"spend": "spend_cny", "pre_spend": "pre_spend_cny", "customer": "customer_id", "group": "arm"}
CUSTOMER_COLUMNS = ("customer_id", "arm", "orders", "spend_cny", "pre_orders", "pre_spend_cny")
WEEKLY_COLUMNS = ("arm", "week", "customers", "orders", "spend_cny")
CONTROL_NAMES = ("control", "holdout", "baseline", "control_group")
MAX_FILE_BYTES = 500_000_000   # a campaign of a few million customers; more is refused, not read
MAX_ARMS = 50
MAX_WEEKS = 104
_MONEY_MARKS = re.compile(r"[¥￥,\s]|CNY|RMB|元", flags=re.IGNORECASE)


@dataclass
class CampaignData:
    """Arm means of a campaign and, for per-customer data, their covariance.

    ``means[arm]`` is a vector over (outcome, period), outcome-major; ``cov[arm]`` the
    covariance of that vector of means (None for weekly totals: taken from the simulation).
    """

    source: str
    kind: str                         # "customers" or "weekly"
    arms: list                        # control first
    control: str
    outcomes: list                    # of OUTCOMES, in the data
    periods: int                      # 1 (the whole window) or the number of weeks
    sizes: dict                       # arm -> customers
    means: dict                       # arm -> np.ndarray (outcomes x periods,)
    cov: dict | None                  # arm -> covariance of the means, or None
    notes: list = field(default_factory=list)

    @property
    def treatments(self) -> list:
        return [a for a in self.arms if a != self.control]

    def labels(self) -> list:
        """(outcome, period) of each entry of a means vector."""
        return [(o, p + 1) for o in self.outcomes for p in range(self.periods)]


def read_campaign(path, control: str | None = None) -> CampaignData:
    """Read a results CSV (per customer, or per arm and week when it has a ``week`` column)."""
    frame, source = _read_rows(path)
    frame.columns = [ALIASES.get(c, c) for c in frame.columns]
    if "week" in frame.columns:
        return _weekly(frame, source, control)
    return _customers(frame, source, control)


def _read_rows(path) -> tuple[pd.DataFrame, str]:
    path = Path(path)
    source = str(path)
    frame = read_rows(path, "one row per customer (customer_id, arm, orders, ...) or per arm and week "
                            "(arm, week, customers, orders, ...)", MAX_FILE_BYTES, "aggregate it per arm and week")
    frame.columns = [c.lower() for c in frame.columns]
    if frame.empty:
        raise user_error(f"{source}: no rows below the header row")
    return frame, source


def _check_columns(frame, source, allowed, required):
    seen = set()
    for column in frame.columns:
        if column not in allowed:
            raise user_error(f"{source}, row 1, column {column!r}: unknown column; allowed: {', '.join(allowed)}")
        if column in seen:
            raise user_error(f"{source}, row 1, column {column!r}: appears twice")
        seen.add(column)
    for column in required:
        if column not in frame.columns:
            raise user_error(f"{source}, row 1: no column {column!r}; needed: {', '.join(required)} "
                             f"(allowed: {', '.join(allowed)})")


def _numbers(frame, source, column, whole: bool) -> np.ndarray:
    text = frame[column].str.strip()
    if not whole:
        text = text.str.replace(_MONEY_MARKS, "", regex=True)
    values = pd.to_numeric(text, errors="coerce")
    bad = values.isna() | ~np.isfinite(values) | (values < 0)
    if whole:
        bad |= values != np.round(values)
    if bad.any():
        row = int(values.index[bad.to_numpy()][0])
        allowed = "a whole number >= 0" if whole else "a number >= 0 (CNY; ¥ and thousands commas allowed)"
        raise user_error(f"{source}, row {row}, column {column!r}: {frame.loc[row, column][:60]!r} is not "
                         f"allowed; expected {allowed}")
    return values.to_numpy(dtype=float)


def _arms(frame, source, control):
    names = frame["arm"].str.strip()
    empty = names == ""
    if empty.any():
        row = int(names.index[empty.to_numpy()][0])
        raise user_error(f"{source}, row {row}, column 'arm': empty; every row names its arm (e.g. control, coupon)")
    long = names.str.len() > 60
    if long.any():
        row = int(names.index[long.to_numpy()][0])
        raise user_error(f"{source}, row {row}, column 'arm': an arm name is at most 60 characters")
    arms = list(dict.fromkeys(names))
    if len(arms) > MAX_ARMS:
        raise user_error(f"{source}, column 'arm': {len(arms)} different arms; at most {MAX_ARMS}")
    if len(arms) < 2:
        raise user_error(f"{source}, column 'arm': only one arm ({arms[0]!r}); a campaign needs a control group "
                         "and at least one treated arm")
    if control is None:
        found = [a for a in arms if a.lower() in CONTROL_NAMES]
        if len(found) != 1:
            raise user_error(f"{source}, column 'arm': cannot tell the control group among {', '.join(arms)}; "
                             f"name it one of {', '.join(CONTROL_NAMES)} or say which with --control")
        control = found[0]
    elif control not in arms:
        raise user_error(f"--control {control!r}: no such arm in {source}; arms: {', '.join(arms)}")
    return names, [control] + [a for a in arms if a != control], control


def _customers(frame, source, control) -> CampaignData:
    _check_columns(frame, source, CUSTOMER_COLUMNS, ("customer_id", "arm", "orders"))
    ids = frame["customer_id"].str.strip()
    if (ids == "").any():
        row = int(ids.index[(ids == "").to_numpy()][0])
        raise user_error(f"{source}, row {row}, column 'customer_id': empty; every row is one customer")
    dup = ids.duplicated(keep=False)
    if dup.any():
        rows = [int(r) for r in ids.index[dup.to_numpy()][:2]]
        raise user_error(f"{source}, rows {rows[0]} and {rows[1]}, column 'customer_id': the same customer "
                         f"{ids.loc[rows[0]][:40]!r} twice; one row per customer (sum their orders)")
    names, arms, control = _arms(frame, source, control)
    outcomes = [o for o in OUTCOMES if o in frame.columns]
    y = np.column_stack([_numbers(frame, source, o, whole=(o == "orders")) for o in outcomes])
    pre_cols = [f"pre_{o}" for o in outcomes]
    pre = None
    if any(c in frame.columns for c in pre_cols):
        missing = [c for c in pre_cols if c not in frame.columns]
        if missing:
            raise user_error(f"{source}, row 1: has pre-period columns but not {', '.join(missing)}; give the "
                             f"pre-period of every outcome ({', '.join(pre_cols)}) or none")
        pre = np.column_stack([_numbers(frame, source, c, whole=(c == "pre_orders")) for c in pre_cols])
    arm_of = names.to_numpy()
    notes = []
    if pre is not None:
        y, note = _cuped(y, pre, arm_of, arms)
        notes.append(note)
    sizes, means, cov = arm_means(y, arm_of, arms, source, notes)
    return CampaignData(source, "customers", arms, control, outcomes, 1, sizes, means, cov, notes)


def arm_means(y, arm_of, arms, source: str, notes: list) -> tuple[dict, dict, dict]:
    """Per arm: customers, the mean of each column of ``y`` (one row per customer) and the
    covariance of those means; a note for an arm too small for normal intervals."""
    sizes, means, cov = {}, {}, {}
    for arm in arms:
        rows = y[arm_of == arm]
        if len(rows) < 2:
            raise user_error(f"{source}, column 'arm': arm {arm!r} has {len(rows)} customer; at least 2 are "
                             "needed (and a few hundred to measure an uplift)")
        sizes[arm], means[arm] = len(rows), rows.mean(axis=0)
        cov[arm] = np.atleast_2d(np.cov(rows, rowvar=False)) / len(rows)
        if len(rows) < 100:
            notes.append(f"arm {arm!r} has only {len(rows)} customers: its mean is too noisy for the normal "
                         "approximation the intervals use")
    return sizes, means, cov


def _cuped(y, pre, arm_of, arms):
    """Outcomes adjusted by their pre-period (CUPED): y - b (x - mean x), b the pooled
    within-arm slope. The expected arm means do not change (the arms were randomised); their
    chance imbalance in the pre-period, and most of the noise it explains, is removed."""
    centred_y, centred_x = y.copy(), pre.copy()
    for arm in arms:
        sel = arm_of == arm
        centred_y[sel] -= y[sel].mean(axis=0)
        centred_x[sel] -= pre[sel].mean(axis=0)
    var_x = (centred_x ** 2).sum(axis=0)
    slope = np.where(var_x > 0, (centred_x * centred_y).sum(axis=0) / np.where(var_x > 0, var_x, 1), 0.0)
    adjusted = y - slope * (pre - pre.mean(axis=0))
    explained = 1 - (centred_y - slope * centred_x).var(axis=0) / np.maximum(centred_y.var(axis=0), 1e-300)
    text = ", ".join(f"{r:.0%}" for r in explained)
    return adjusted, (f"pre-period activity explains {text} of the within-arm variance of the outcomes "
                      "(CUPED adjustment of the arm means)")


def _weekly(frame, source, control) -> CampaignData:
    _check_columns(frame, source, WEEKLY_COLUMNS, ("arm", "week", "customers", "orders"))
    names, arms, control = _arms(frame, source, control)
    week_text = frame["week"].str.strip()
    weeks = pd.to_numeric(week_text, errors="coerce")
    bad = weeks.isna() | (weeks < 1) | (weeks != np.round(weeks)) | (weeks > MAX_WEEKS)
    if bad.any():
        row = int(weeks.index[bad.to_numpy()][0])
        raise user_error(f"{source}, row {row}, column 'week': {week_text.loc[row][:40]!r} is not allowed; "
                         f"expected a week number 1, 2, ... (at most {MAX_WEEKS})")
    weeks = weeks.astype(int)
    customers = _numbers(frame, source, "customers", whole=True)
    outcomes = [o for o in OUTCOMES if o in frame.columns]
    totals = np.column_stack([_numbers(frame, source, o, whole=(o == "orders")) for o in outcomes])
    n_weeks = int(weeks.max())
    sizes, means = {}, {}
    for arm in arms:
        sel = (names == arm).to_numpy()
        rows = frame.index[sel]
        w = weeks.to_numpy()[sel]
        seen = {}
        for row, week in zip(rows, w):
            if week in seen:
                raise user_error(f"{source}, rows {seen[week]} and {row}, column 'week': arm {arm!r} has week "
                                 f"{week} twice; one row per arm and week")
            seen[week] = row
        if sorted(seen) != list(range(1, n_weeks + 1)):
            missing = sorted(set(range(1, n_weeks + 1)) - set(seen))
            raise user_error(f"{source}, column 'week': arm {arm!r} has no row for week {missing[0]}; every arm "
                             f"needs weeks 1 to {n_weeks}")
        n = customers[sel]
        if (n != n[0]).any():
            row = int(rows[np.flatnonzero(n != n[0])[0]])
            raise user_error(f"{source}, row {row}, column 'customers': {n[np.flatnonzero(n != n[0])[0]]:,.0f} "
                             f"customers but {n[0]:,.0f} in arm {arm!r}'s first row; the customers in the test are "
                             "fixed at its start, so every week of an arm has the same number")
        if n[0] < 2:
            raise user_error(f"{source}, row {int(rows[0])}, column 'customers': arm {arm!r} needs at least 2 customers")
        order = np.argsort(w)
        sizes[arm] = int(n[0])
        means[arm] = (totals[sel][order] / n[0]).T.ravel()   # outcome-major, then week
    return CampaignData(source, "weekly", arms, control, outcomes, n_weeks, sizes, means, None, [])
