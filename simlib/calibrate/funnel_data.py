"""Funnel data: stage counts per period, flows over each period, the team's ad spend per period,
and which periods are held out of the fit.

A CSV with one row per period: a period column (period, week, day or date), a count column per
observed stage (any of ``STAGES``), optional flows over the period (``FLOWS``), optional ad spend
over the period (``ad_spend_cny`` for the total, ``ad_spend_cny.NAME`` per policy or channel; or
a separate file, ``read_spend``) and optionally a ``policies`` column. A row with period 0 is the
state on day 0 (it sets ``market.initial_stage``). Every problem raises `simlib.UserError` naming
the file, the row as a spreadsheet numbers it and the column.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simlib.calibrate._errors import user_error
from simlib.calibrate.csvfile import check_text_file, show_header
from simlib.population import STAGES as STAGE_NAMES  # the engine's stage columns

FLOWS = ("new_interested", "new_buyers", "purchases", "pond_joins", "unsubscribes")
SPEND = "ad_spend_cny"   # the total; ad_spend_cny.NAME for a policy or a channel
POLICY_COL = "policies"
PERIOD_NAMES = ("period", "week", "day", "date")
MAX_SPEND_CNY = 1e12     # per period: beyond this a value is a typo, not a budget


@dataclass
class FunnelData:
    """Observed counts per period; ``period_days`` days per period, day 0 = start of period 1.

    ``counts`` holds every period, the held-out ones too (the last ``holdout``); the fit uses
    ``fitted_counts``. ``spend`` (CNY per period, index = period) covers every period: column
    "" is the total, other columns name a policy or a channel."""

    counts: pd.DataFrame        # index: period 1..P; columns: stage and flow names
    period_days: int
    market_size: int | None     # N, when every stage is counted (rows sum to it)
    initial: dict | None        # stage -> share on day 0 (from a period-0 row)
    policies: list[str] | None  # policies named in the policies column
    source: str
    spend: pd.DataFrame | None = None
    spend_source: str | None = None
    holdout: int = 0
    dates: pd.DatetimeIndex | None = None   # the date of each period's row, for dated files

    @property
    def stocks(self) -> list[str]:
        return [c for c in self.counts.columns if c in STAGE_NAMES]

    @property
    def flows(self) -> list[str]:
        return [c for c in self.counts.columns if c in FLOWS]

    @property
    def fitted_counts(self) -> pd.DataFrame:
        return self.counts.iloc[:len(self.counts) - self.holdout]

    @property
    def days(self) -> int:
        """Days the fit covers (the held-out periods excluded)."""
        return int(self.fitted_counts.index.max()) * self.period_days

    @property
    def all_days(self) -> int:
        return int(self.counts.index.max()) * self.period_days

    def describe_periods(self, periods) -> str:
        unit = {7: "week", 1: "day"}.get(self.period_days, "period")
        first, last = int(min(periods)), int(max(periods))
        return f"{unit}s {first}-{last}" if first != last else f"{unit} {first}"


def read_funnel(path, period_col: str | None = None, period_days: int | None = None) -> FunnelData:
    """Read a funnel CSV (see the module docstring).

    Without ``period_col`` the first of period, week, day, date in the header is used."""
    path = Path(path)
    source = str(path)
    frame, period_col = _read_table(path, source, period_col, "one row per period")
    spend_cols = [c for c in frame.columns if _is_spend(c)]
    allowed = set(STAGE_NAMES) | set(FLOWS) | {period_col, POLICY_COL} | set(spend_cols)
    for column in frame.columns:
        if column not in allowed:
            raise user_error(f"{source}, row 1, column {column[:40]!r}: unknown column; allowed: the period column "
                             f"{period_col!r}, stages {', '.join(STAGE_NAMES)}, flows {', '.join(FLOWS)}, "
                             f"ad spend {SPEND} or {SPEND}.NAME (a policy or channel), and {POLICY_COL!r}")
    measured = [c for c in frame.columns if c in STAGE_NAMES or c in FLOWS]
    if not measured:
        raise user_error(f"{source}, row 1: no stage or flow columns; allowed: {', '.join(STAGE_NAMES + FLOWS)}")
    periods, days_per, dates = _parse_periods(frame[period_col], source, period_col, period_days)
    counts = pd.DataFrame(index=frame.index)
    for column in measured:
        values = pd.to_numeric(frame[column].str.strip(), errors="coerce")
        bad = values.isna() | (values < 0)
        if bad.any():
            row = int(values.index[bad.to_numpy()][0])
            raise user_error(f"{source}, row {row}, column {column!r}: {frame.loc[row, column]!r} is not a count; "
                             "allowed: a number >= 0")
        counts[column] = values.to_numpy(dtype=float)
    counts.index = periods
    spend = _spend_frame(frame, spend_cols, periods, source) if spend_cols else None
    policies = _parse_policies(frame, source) if POLICY_COL in frame.columns else None
    stocks = [c for c in measured if c in STAGE_NAMES]
    market_size = None
    if len(stocks) == len(STAGE_NAMES):
        totals = counts[stocks].sum(axis=1).to_numpy()
        market_size = int(round(totals[0]))
        off = np.flatnonzero(np.abs(totals - totals[0]) > max(1.0, 0.001 * totals[0]))
        if off.size:
            row = int(frame.index[off[0]])
            raise user_error(f"{source}, row {row}: the stage counts sum to {totals[off[0]]:,.0f}, but to "
                             f"{totals[0]:,.0f} in the first row; the market is fixed, so every row must sum to the same N")
    initial = None
    if periods[0] == 0:
        if len(stocks) < len(STAGE_NAMES) - 1:
            raise user_error(f"{source}, row 2: a period-0 row sets the starting state and needs every stage "
                             f"(or all but one); it has {stocks}")
        row0 = counts.iloc[0]
        total = market_size or row0[stocks].sum()
        initial = {s: float(row0[s] / total) for s in stocks if s != "unaware" and row0[s] > 0}
        counts = counts.iloc[1:]
        spend = None if spend is None else spend.iloc[1:]
        dates = None if dates is None else dates[1:]
    if counts.empty:
        raise user_error(f"{source}: no periods after period 0 to fit")
    return FunnelData(counts, days_per, market_size, initial, policies, source, spend,
                      source if spend is not None else None, 0, dates)


def read_spend(path, data: FunnelData, period_col: str | None = None) -> FunnelData:
    """``data`` with the ad spend per period from a separate CSV: a period column as in the funnel
    file and one column per policy or channel (``NAME`` or ``ad_spend_cny.NAME``; ``ad_spend_cny``
    for the total), CNY per period; it must give every period of the funnel file, no other."""
    path = Path(path)
    source = str(path)
    if data.spend is not None:
        raise user_error(f"--spend {source}: {data.source} already has ad spend columns; give the spend once")
    frame, period_col = _read_table(path, source, period_col, "one row per period with the ad spend")
    names = [c for c in frame.columns if c != period_col]
    if not names:
        raise user_error(f"{source}, row 1: no spend columns; give one per policy or channel (CNY per period), "
                         f"e.g. {SPEND}.douyin_ads")
    renamed = {c: c if _is_spend(c) else f"{SPEND}.{c}" for c in names}
    frame = frame.rename(columns=renamed)
    periods, days_per, _ = _parse_periods(frame[period_col], source, period_col, data.period_days)
    if days_per != data.period_days:
        raise user_error(f"{source}: periods of {days_per} days, but {data.source} has periods of {data.period_days}")
    spend = _spend_frame(frame, list(renamed.values()), periods, source)
    spend = spend[spend.index > 0]
    wanted = data.counts.index
    missing = wanted.difference(spend.index)
    extra = spend.index.difference(wanted)
    if len(missing) or len(extra):
        what = (f"has no row for period {int(missing[0])}" if len(missing)
                else f"has period {int(extra[0])}, which {data.source} does not")
        raise user_error(f"{source}, column {period_col!r}: {what}; the spend file must give every period of the "
                         f"funnel file ({int(wanted.min())}-{int(wanted.max())}) and no other")
    return dataclasses.replace(data, spend=spend.loc[wanted], spend_source=source)


def with_holdout(data: FunnelData, weeks: int | None = None, start=None) -> FunnelData:
    """``data`` with its last periods held out of the fit: ``weeks`` weeks, or every period from
    ``start`` on (a period number, or a date in a dated file). At least two periods stay to fit."""
    periods = data.counts.index.to_numpy()
    if weeks is not None:
        if weeks < 1 or (weeks * 7) % data.period_days:
            raise user_error(f"--holdout-weeks {weeks}: allowed: a whole number >= 1 of weeks that is a whole "
                             f"number of periods ({data.period_days} days each)")
        held = weeks * 7 // data.period_days
        where = f"--holdout-weeks {weeks}"
    elif start is not None:
        first = _period_of(data, start)
        held = int(np.sum(periods >= first))
        where = f"--holdout-from {start}"
    else:
        return data
    if len(periods) - held < 2:
        raise user_error(f"{where}: holds out {held} of {len(periods)} periods; at least 2 must stay to fit")
    return dataclasses.replace(data, holdout=int(held))


def _period_of(data, start) -> int:
    text = str(start).strip()
    if re.fullmatch(r"\d+", text):
        period = int(text)
    else:
        if data.dates is None:
            raise user_error(f"--holdout-from {text}: {data.source} numbers its periods; give a period number")
        when = pd.to_datetime(text, format="ISO8601", errors="coerce")
        if pd.isna(when):
            raise user_error(f"--holdout-from {text}: expected a period number or a date like 2024-03-01")
        period = int(data.counts.index[np.searchsorted(data.dates.to_numpy(), when.to_datetime64())]) \
            if when <= data.dates[-1] else int(data.counts.index.max()) + 1
    if not data.counts.index.min() < period <= data.counts.index.max():
        raise user_error(f"--holdout-from {text}: allowed: a period after the first and at most the last "
                         f"({int(data.counts.index.min()) + 1}-{int(data.counts.index.max())})")
    return period


def _is_spend(column: str) -> bool:
    return column == SPEND or column.startswith(SPEND + ".")


def _read_table(path: Path, source: str, period_col, what: str):
    check_text_file(path, what)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as exc:
        raise user_error(f"{source}: not a readable CSV ({str(exc)[:200]})") from None
    except UnicodeDecodeError:
        raise user_error(f"{source}: not UTF-8 text; save the CSV as UTF-8") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.index = np.arange(2, len(frame) + 2)
    if period_col is None:
        period_col = next((c for c in PERIOD_NAMES if c in frame.columns), "period")
    if period_col not in frame.columns:
        raise user_error(f"{source}, row 1, column {period_col!r}: no period column named {period_col!r}; "
                         f"the header has {show_header(frame.columns)} (choose it with --period-col)")
    if frame.empty:
        raise user_error(f"{source}: no rows below the header row")
    return frame, period_col


def _spend_frame(frame, columns, periods, source) -> pd.DataFrame:
    """CNY per period for each spend column: '' for the total, else the name after the dot."""
    out = pd.DataFrame(index=periods)
    for column in columns:
        name = column[len(SPEND) + 1:]
        if column != SPEND and not name.strip():
            raise user_error(f"{source}, row 1, column {column!r}: name the policy or channel after the dot")
        text = frame[column].str.strip().str.replace(r"[¥,\s]", "", regex=True)
        values = pd.to_numeric(text, errors="coerce")
        bad = values.isna() | (values < 0) | (values > MAX_SPEND_CNY)
        if bad.any():
            row = int(values.index[bad.to_numpy()][0])
            raise user_error(f"{source}, row {row}, column {column!r}: {frame.loc[row, column][:40]!r} is not an amount "
                             f"of ad spend; allowed: CNY spent over the period, a number from 0 to {MAX_SPEND_CNY:g}")
        out[name] = values.to_numpy(dtype=float)
    return out


def _parse_periods(values, source, column, period_days):
    text = values.str.strip()
    dates = None
    if text.str.match(r"^\d+$").all():
        periods = text.astype(int).to_numpy()
        if period_days is None:
            name = column.lower()
            period_days = 7 if name.startswith("week") else 1 if name.startswith("day") else None
            if period_days is None:
                raise user_error(f"{source}, column {column!r}: say how many days a period lasts with "
                                 "--period-days (or name the column week or day)")
    else:
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
        if parsed.isna().any():
            row = int(text.index[parsed.isna().to_numpy()][0])
            raise user_error(f"{source}, row {row}, column {column!r}: {text.loc[row]!r} is neither a period number "
                             "nor a date like 2024-03-01")
        gaps = np.diff(parsed.to_numpy()).astype("timedelta64[D]").astype(int)
        step = period_days or (int(gaps[0]) if gaps.size else 1)
        if gaps.size and (gaps != step).any():
            row = int(text.index[1 + np.flatnonzero(gaps != step)[0]])
            raise user_error(f"{source}, row {row}, column {column!r}: periods must be evenly spaced "
                             f"({step} days apart, as the first two are)")
        period_days = step
        periods = 1 + np.arange(len(parsed))   # the first dated row is the end of period 1
        dates = pd.DatetimeIndex(parsed)
    if period_days < 1:
        raise user_error(f"--period-days {period_days}: must be at least 1")
    expected = np.arange(periods[0], periods[0] + len(periods))
    if periods[0] not in (0, 1) or (periods != expected).any():
        bad = int(np.flatnonzero(periods != expected)[0]) if (periods != expected).any() else 0
        row = int(values.index[bad])
        raise user_error(f"{source}, row {row}, column {column!r}: periods must run 0 or 1, 2, 3, ... without gaps; "
                         f"found {values.iloc[bad]!r}")
    if len(periods) * int(period_days) > 20_000:
        raise user_error(f"{source}: {len(periods)} periods of {period_days} days is more than 20,000 days; allowed: "
                         "at most 20,000 days of data")
    return periods, int(period_days), dates


def _parse_policies(frame, source):
    names = None
    for row, text in frame[POLICY_COL].items():
        parts = sorted(p for p in re.split(r"[;,+|\s]+", text.strip()) if p and p.lower() != "none")
        if names is None:
            names, first_row = parts, row
        elif parts != names:
            raise user_error(f"{source}, row {row}, column {POLICY_COL!r}: lists {parts or 'none'} but row "
                             f"{first_row} lists {names or 'none'}; policies switching on and off within the data "
                             "are not supported: fit each stretch with the same policies separately")
    return names


def moments(daily: pd.DataFrame, periods: np.ndarray, period_days: int, columns, users: int) -> np.ndarray:
    """Stage shares at each period end and flows per customer per period, periods x columns."""
    ends = periods * period_days - 1
    out = np.empty((len(periods), len(columns)))
    last = int(periods.max()) * period_days
    for j, column in enumerate(columns):
        values = daily[column].to_numpy(float)
        if column in FLOWS:
            out[:, j] = values[:last].reshape(-1, period_days).sum(axis=1)[periods - 1]
        else:
            out[:, j] = values[ends]
    return out / users
