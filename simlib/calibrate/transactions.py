"""Read a team's transaction log and summarise each customer for calibration.

A log is a CSV with one row per transaction: a customer id, a date and an amount in CNY
(column names configurable). Several transactions of one customer on one day are one
purchase occasion (their amounts are summed). Dates may be calendar dates in common formats
or whole day numbers (as in `Result.transactions`, column `day`).

The per-customer summary, in days, for customers whose first purchase falls in the
calibration period (day <= calibration end):
- ``frequency`` x: repeat purchase occasions in the calibration period (occasions - 1);
- ``recency`` t_x: days from the first purchase to the last one in the calibration period;
- ``age`` T: days from the first purchase to the calibration end;
- ``mean_spend_cny``: mean amount per occasion in the calibration period;
- ``log_gaps``: sum of log(days between consecutive occasions) in the calibration period
  (the regular-buyer likelihood needs it);
- ``actual_holdout``: purchase occasions in the holdout period (calibration end, holdout end].
Every problem a user can cause raises `simlib.UserError` naming the file, the row (1-based,
header = row 1, as a spreadsheet shows it) and the column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simlib.calibrate._errors import user_error
from simlib.calibrate.csvfile import read_rows, show_header

MAX_SPAN_DAYS = 7305       # 20 years: the first and last transaction of a log
MAX_HOLDOUT_DAYS = 1827    # 5 years of holdout (the weekly forecast is computed week by week)
MAX_AMOUNT_CNY = 1e12      # one transaction
LATE_END_DAYS = 28         # how far past the last transaction a period may end

DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y%m%d",
    "%Y.%m.%d",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y年%m月%d日",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%Y",
)
"""Date formats tried in turn when no ``date_format`` is given (strptime codes)."""

_ALLOWED_DATES = (
    "dates like 2024-03-01, 2024/03/01, 20240301, 2024年3月1日, 2024-03-01 14:30:00, "
    "01/03/2024 (day first or month first, when unambiguous) or whole day numbers; "
    "pass --date-format for any other layout"
)
_INTEGER = re.compile(r"^[+-]?\d+$")
_CURRENCY_MARKS = re.compile(r"[¥￥,\s]|CNY|RMB|元", flags=re.IGNORECASE)


@dataclass(frozen=True)
class TransactionLog:
    """Purchase occasions read from a file: one row per customer and day.

    ``occasions`` has columns ``customer_id`` (str), ``day`` (int64, days since ``origin``)
    and ``amount_cny`` (float64, summed over the day's transactions). ``origin`` is the
    calendar date of day 0, or None when the file held day numbers.
    """

    occasions: pd.DataFrame
    origin: pd.Timestamp | None
    source: str
    n_transactions: int

    def to_day(self, when: str | int | pd.Timestamp, option: str = "date") -> int:
        """Turn a date (or a day number for day-numbered logs) into this log's day number."""
        if self.origin is None:
            text = str(when).strip()
            if not _INTEGER.match(text):
                raise user_error(
                    f"{option} {when!r}: the dates in {self.source} are day numbers, "
                    "so this must be a whole day number too"
                )
            return int(text)
        try:
            stamp = pd.Timestamp(when)
        except (ValueError, TypeError):
            stamp = pd.NaT
        if stamp is pd.NaT:
            raise user_error(f"{option} {when!r} is not a date; write it like 2024-03-01")
        return int((stamp.normalize() - self.origin).days)

    def to_date(self, day: int):
        """The calendar date (datetime.date) of a day number; the number itself for day-numbered logs."""
        return int(day) if self.origin is None else (self.origin + pd.Timedelta(days=int(day))).date()

    @property
    def first_day(self) -> int:
        return int(self.occasions["day"].min())

    @property
    def last_day(self) -> int:
        return int(self.occasions["day"].max())


@dataclass(frozen=True)
class CalibrationData:
    """Per-customer summary for a calibration period, with the holdout when given."""

    customers: pd.DataFrame
    calibration_end_day: int
    holdout_end_day: int | None
    log: TransactionLog
    notes: tuple = ()

    @property
    def holdout_days(self) -> int:
        if self.holdout_end_day is None:
            return 0
        return self.holdout_end_day - self.calibration_end_day


def _where(source: str, row: int | None = None, column: str | None = None) -> str:
    parts = [source]
    if row is not None:
        parts.append(f"row {row}")
    if column is not None:
        parts.append(f"column {column!r}")
    return ", ".join(parts)


def _read_frame(path: Path) -> pd.DataFrame:
    return read_rows(path, "one row per transaction")


def _parse_days(values: pd.Series, source: str, column: str, date_format: str | None):
    """Return (day numbers as int64 array, origin or None)."""
    text = values.str.strip()
    empty = text == ""
    if empty.any():
        row = int(text.index[empty.to_numpy()][0])
        raise user_error(f"{_where(source, row, column)}: the date is empty; allowed: {_ALLOWED_DATES}")
    if date_format is None and text.str.match(_INTEGER).all():
        as_dates = pd.to_datetime(text, format="%Y%m%d", errors="coerce")
        looks_like_dates = (text.str.len() == 8).all() and as_dates.notna().all() and (as_dates.dt.year >= 1900).all()
        if not looks_like_dates:  # whole day numbers (20240301 is a date, 301 is a day)
            long = text.str.lstrip("+-").str.len() > 12
            if long.any():
                row = int(text.index[long.to_numpy()][0])
                raise user_error(f"{_where(source, row, column)}: day number {text.loc[row][:40]!r} is too large; "
                                 "allowed: whole day numbers of at most 12 digits, or dates")
            return text.astype(np.int64).to_numpy(), None
    formats = (date_format,) if date_format else DATE_FORMATS
    best = None
    complete = []
    ambiguous = {"%d/%m/%Y", "%m/%d/%Y"}
    for fmt in formats:
        if complete and not (complete[0][0] in ambiguous and fmt in ambiguous):
            continue  # one layout already reads every date; only day/month order needs a second look
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
        failures = int(parsed.isna().sum())
        if failures == 0:
            complete.append((fmt, parsed))
        if best is None or failures < best[2]:
            best = (fmt, parsed, failures)
    if len(complete) > 1:
        first = complete[0][1].dt.normalize()
        for fmt, parsed in complete[1:]:
            if not parsed.dt.normalize().equals(first):
                raise user_error(
                    f"{_where(source, column=column)}: the dates read both as {complete[0][0]} and as "
                    f"{fmt} (day first or month first?); pass --date-format to say which"
                )
    if complete:
        stamps = complete[0][1].dt.normalize()
    else:
        fmt, parsed, _ = best
        bad = parsed.isna().to_numpy()
        row = int(text.index[bad][0])
        shown = text.loc[row]
        hint = f"the other rows look like {fmt}" if len(text) > 1 and bad.sum() < len(text) else ""
        allowed = f"expected the layout {date_format}" if date_format else f"allowed: {_ALLOWED_DATES}"
        raise user_error(
            f"{_where(source, row, column)}: cannot read {shown!r} as a date"
            + (f" ({hint})" if hint else "")
            + f"; {allowed}"
        )
    origin = stamps.min()
    days = ((stamps - origin).dt.days).astype(np.int64).to_numpy()
    return days, origin


def _parse_amounts(values: pd.Series, source: str, column: str) -> np.ndarray:
    text = values.str.replace(_CURRENCY_MARKS, "", regex=True)
    amounts = pd.to_numeric(text, errors="coerce")
    bad = amounts.isna().to_numpy() | ~np.isfinite(amounts.to_numpy(dtype=float, na_value=np.nan))
    if bad.any():
        row = int(values.index[bad][0])
        raise user_error(
            f"{_where(source, row, column)}: cannot read {values.loc[row]!r} as an amount; "
            "allowed: a number of CNY such as 59.9 (a ¥ sign and thousands commas are fine)"
        )
    negative = (amounts < 0).to_numpy()
    if negative.any():
        row = int(values.index[negative][0])
        raise user_error(
            f"{_where(source, row, column)}: negative amount {values.loc[row].strip()!r}; "
            "allowed: amounts >= 0 (net refunds against their order, or drop refund rows, first)"
        )
    huge = (amounts > MAX_AMOUNT_CNY).to_numpy()
    if huge.any():
        row = int(values.index[huge][0])
        raise user_error(f"{_where(source, row, column)}: amount {values.loc[row].strip()[:40]!r} is over "
                         f"{MAX_AMOUNT_CNY:.0e} CNY; allowed: amounts from 0 to {MAX_AMOUNT_CNY:.0e}")
    return amounts.to_numpy(dtype=np.float64)


def _check_span(days: np.ndarray, frame_index, source: str, column: str, origin) -> None:
    """Refuse a log whose dates span more than MAX_SPAN_DAYS (one stray 9999-12-31 would make
    every day between a day to forecast), naming the row furthest from the others."""
    if days.size == 0 or int(days.max() - days.min()) <= MAX_SPAN_DAYS:
        return
    median = np.median(days)
    worst = int(np.argmax(np.abs(days - median)))
    row = int(frame_index[worst])
    shown = (origin + pd.Timedelta(days=int(days[worst]))).date() if origin is not None else int(days[worst])
    raise user_error(f"{_where(source, row, column)}: {shown} is {abs(days[worst] - median) / 365.25:,.0f} years "
                     f"from the log's middle date; allowed: every transaction within {MAX_SPAN_DAYS // 365} years of "
                     "the others (fix or drop that row)")


def read_transactions(
    path: str | Path,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str = "amount",
    date_format: str | None = None,
) -> TransactionLog:
    """Read a transaction CSV into purchase occasions (one per customer and day).

    Raises `simlib.UserError` for a missing file or column, an empty file, an empty
    customer id, an unreadable date, or an unreadable or negative amount.
    """
    path = Path(path)
    source = str(path)
    frame = _read_frame(path)
    wanted = {"customer": customer_col, "date": date_col, "amount": amount_col}
    for role, column in wanted.items():
        if column not in frame.columns:
            option = {"customer": "--customer-col", "date": "--date-col", "amount": "--amount-col"}[role]
            raise user_error(
                f"{_where(source, 1, column)}: no {role} column named {column!r}; the header has "
                f"{show_header(frame.columns)} (choose the column with {option})"
            )
    if frame.empty:
        raise user_error(f"{source}: no transactions below the header row")
    customers = frame[customer_col].str.strip()
    missing = customers == ""
    if missing.any():
        row = int(customers.index[missing.to_numpy()][0])
        raise user_error(f"{_where(source, row, customer_col)}: the customer id is empty; every row needs one")
    days, origin = _parse_days(frame[date_col], source, date_col, date_format)
    _check_span(days, frame.index, source, date_col, origin)
    amounts = _parse_amounts(frame[amount_col], source, amount_col)
    rows = pd.DataFrame({"customer_id": customers.to_numpy(), "day": days, "amount_cny": amounts})
    occasions = (
        rows.groupby(["customer_id", "day"], sort=True, as_index=False)["amount_cny"].sum()
    )
    return TransactionLog(occasions=occasions, origin=origin, source=source, n_transactions=len(rows))


def transactions_from_frame(frame: pd.DataFrame, customer_col="customer_id", day_col="day",
                            amount_col="amount_cny", source="<DataFrame>") -> TransactionLog:
    """Purchase occasions from an in-memory table with whole day numbers (e.g. Result.transactions)."""
    for column in (customer_col, day_col, amount_col):
        if column not in frame.columns:
            raise user_error(f"{source}: no column {column!r}; it has {list(frame.columns)}")
    rows = pd.DataFrame({
        "customer_id": frame[customer_col].astype(str).to_numpy(),
        "day": frame[day_col].to_numpy(dtype=np.int64),
        "amount_cny": frame[amount_col].to_numpy(dtype=np.float64),
    })
    if (rows["amount_cny"] < 0).any():
        raise user_error(f"{source}: negative amounts; allowed: amounts >= 0")
    occasions = rows.groupby(["customer_id", "day"], sort=True, as_index=False)["amount_cny"].sum()
    return TransactionLog(occasions=occasions, origin=None, source=source, n_transactions=len(rows))


def summarize(log: TransactionLog, calibration_end, holdout_end=None, cohort_start=None) -> CalibrationData:
    """Per-customer frequency, recency, age and mean spend for the calibration period.

    ``calibration_end`` and ``holdout_end`` are dates (or day numbers for day-numbered logs);
    both periods include their end day. Without ``holdout_end`` the holdout runs to the last
    day in the log (and is empty when the calibration ends there). ``cohort_start`` keeps only
    customers first seen on or after it: a log that starts mid-relationship shows old
    customers' next purchase as a first one (left truncation), so leave a lead-in period.
    """
    cal_end = log.to_day(calibration_end, "--calibration-end")
    if cal_end < log.first_day:
        raise user_error(
            f"--calibration-end {calibration_end}: before the first transaction in {log.source} "
            f"({log.to_date(log.first_day)}); it must leave some purchases in the calibration period"
        )
    _check_not_after_data(log, cal_end, calibration_end, "--calibration-end")
    notes = []
    if cal_end > log.last_day:
        notes.append(f"--calibration-end {calibration_end} is {cal_end - log.last_day} days after the last transaction "
                     f"({log.to_date(log.last_day)}): those days are read as days without purchases")
    if holdout_end is None:
        hold_end = max(log.last_day, cal_end)
    else:
        hold_end = log.to_day(holdout_end, "--holdout-end")
        if hold_end <= cal_end:
            raise user_error(
                f"--holdout-end {holdout_end}: must come after --calibration-end {calibration_end}"
            )
        _check_not_after_data(log, hold_end, holdout_end, "--holdout-end")
    if hold_end - cal_end > MAX_HOLDOUT_DAYS:
        raise user_error(f"the holdout would run {hold_end - cal_end:,} days to {log.to_date(hold_end)}; allowed: at most "
                         f"{MAX_HOLDOUT_DAYS} days (5 years): pass an earlier --holdout-end or a later --calibration-end")
    occ = log.occasions
    first = occ.groupby("customer_id", sort=True)["day"].min()
    keep = first.to_numpy() <= cal_end
    if cohort_start is not None:
        start = log.to_day(cohort_start, "--cohort-start")
        if start > cal_end:
            raise user_error(f"--cohort-start {cohort_start}: after --calibration-end {calibration_end}")
        keep &= first.to_numpy() >= start
    cohort = first.index[keep]
    occ = occ[occ["customer_id"].isin(cohort)]
    calib = occ[occ["day"] <= cal_end]
    grouped = calib.groupby("customer_id", sort=True)
    first_day = grouped["day"].min()
    gaps = calib["day"].diff().where(calib["customer_id"].eq(calib["customer_id"].shift()))
    log_gaps = np.log(gaps.dropna()).groupby(calib["customer_id"]).sum()
    last_day = grouped["day"].max()
    customers = pd.DataFrame({
        "customer_id": first_day.index.to_numpy(),
        "first_day": first_day.to_numpy(dtype=np.int64),
        "frequency": grouped.size().to_numpy(dtype=np.int64) - 1,
        "recency": (last_day - first_day).to_numpy(dtype=np.float64),
        "age": (cal_end - first_day).to_numpy(dtype=np.float64),
        "mean_spend_cny": grouped["amount_cny"].mean().to_numpy(dtype=np.float64),
    })
    customers["log_gaps"] = log_gaps.reindex(customers["customer_id"]).fillna(0.0).to_numpy(dtype=np.float64)
    if hold_end > cal_end:
        hold = occ[(occ["day"] > cal_end) & (occ["day"] <= hold_end)]
        counts = hold.groupby("customer_id").size()
        customers["actual_holdout"] = (
            counts.reindex(customers["customer_id"]).fillna(0).to_numpy(dtype=np.int64)
        )
    if len(customers) == 0:
        raise user_error(f"{log.source}: no customer made a first purchase by the calibration end")
    return CalibrationData(
        customers=customers,
        calibration_end_day=cal_end,
        holdout_end_day=hold_end if hold_end > cal_end else None,
        log=log,
        notes=tuple(notes),
    )


def _check_not_after_data(log: TransactionLog, day: int, given, option: str) -> None:
    """A period may end at most LATE_END_DAYS after the last transaction: beyond it the log
    cannot tell days without purchases from days it does not cover."""
    if day > log.last_day + LATE_END_DAYS:
        raise user_error(
            f"{option} {given}: {day - log.last_day:,} days after the last transaction in {log.source} "
            f"({log.to_date(log.last_day)}); the log cannot tell days without purchases from days it does not "
            f"cover; allowed: up to {LATE_END_DAYS} days after the last transaction")


def occasions_in_calibration(data: CalibrationData) -> pd.DataFrame:
    """The cohort's purchase occasions in the calibration period (for the spend fit)."""
    occ = data.log.occasions
    occ = occ[occ["customer_id"].isin(data.customers["customer_id"])]
    return occ[occ["day"] <= data.calibration_end_day]


def repeat_gaps(customers: pd.DataFrame, occasions: pd.DataFrame, end_day: int):
    """Every repeat purchase of ``customers`` (a summary frame) to ``end_day`` as the gap it
    closes: (start day, end day, row of its customer in ``customers``), by customer and day."""
    occ = occasions[occasions["customer_id"].isin(customers["customer_id"]) & (occasions["day"] <= end_day)]
    occ = occ.sort_values(["customer_id", "day"])
    ids = occ["customer_id"].to_numpy()
    same = ids[1:] == ids[:-1]
    days = occ["day"].to_numpy(np.int64)
    return days[:-1][same], days[1:][same], pd.Index(customers["customer_id"]).get_indexer(ids[1:][same])
