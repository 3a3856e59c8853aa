"""The twin's customers: each customer of the log as of a date, as the customer file holds them.

From the calibration summary (orders before the as-of date only): orders, the days of the
first and last order relative to day 0 (the as-of date), the spend (occasions with a positive
amount and the mean of their log amounts, which the spend model's posterior needs), the channel
and whether they are in the pond, then the prospects (people who have not bought yet).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from simlib.calibrate._errors import user_error
from simlib.calibrate.csvfile import read_rows, show_header

DEFAULT_CHANNEL = "market"
MAX_CHANNELS = 100
MAX_PROSPECTS = 50_000_000
_TRUE = {"1", "true", "yes", "y", "t", "是", "in"}
_FALSE = {"0", "false", "no", "n", "f", "否", "out", ""}


def customer_table(data, as_of_day: int) -> pd.DataFrame:
    """One row per customer of the calibration summary ``data`` (simlib.calibrate.transactions
    .CalibrationData ending the day before ``as_of_day``), in the customer file's columns."""
    c = data.customers
    first = c["first_day"].to_numpy(np.int64)
    occ = data.log.occasions
    occ = occ[occ["day"] < as_of_day]
    positive = occ[occ["amount_cny"] > 0]
    logs = np.log(positive["amount_cny"].to_numpy(float))
    grouped = pd.Series(logs, index=positive["customer_id"].to_numpy()).groupby(level=0)
    spend_orders = grouped.size().reindex(c["customer_id"]).fillna(0).to_numpy(np.int64)
    mean_log = grouped.mean().reindex(c["customer_id"]).to_numpy(float)
    return pd.DataFrame({
        "customer_id": c["customer_id"].to_numpy(),
        "channel": DEFAULT_CHANNEL,
        "in_pond": 1,
        "orders": c["frequency"].to_numpy(np.int64) + 1,
        "first_order_day": first - as_of_day,
        "last_order_day": first + c["recency"].to_numpy(np.int64) - as_of_day,
        "mean_spend_cny": np.round(c["mean_spend_cny"].to_numpy(float), 2),
        "spend_orders": spend_orders,
        "mean_log_spend": np.round(np.nan_to_num(mean_log), 6),
    })


def read_ids(path, option: str) -> pd.Index:
    """Customer ids from a file: a CSV with a customer_id column, or one id a line."""
    path = Path(path)
    frame = read_rows(path, "one customer id a row", max_bytes=2 * 1024**3, too_big="at most 2 GB of ids")
    column = "customer_id" if "customer_id" in frame.columns else frame.columns[0]
    if len(frame.columns) > 1 and column != "customer_id":
        raise user_error(f"{option} {path}: no customer_id column; the header has {show_header(frame.columns)}; allowed: "
                         "a CSV with a customer_id column, or one id a line")
    ids = frame[column].str.strip()
    if column != "customer_id":   # a plain list: the header line is an id too
        ids = pd.concat([pd.Series([str(frame.columns[0]).strip()]), ids])
    ids = ids[ids != ""]
    if ids.empty:
        raise user_error(f"{option} {path}: no ids in the file")
    return pd.Index(ids.unique())


def _unknown(ids: pd.Index, customers: pd.Series, option: str, path) -> None:
    missing = ids[~ids.isin(customers)]
    if len(missing):
        shown = ", ".join(repr(str(i)[:30]) for i in missing[:3])
        raise user_error(f"{option} {path}: {len(missing):,} of its {len(ids):,} ids bought nothing before the as-of date "
                         f"(e.g. {shown}); allowed: customers of the log with an order before it. Pond members who "
                         "have not bought yet are prospects: give their number with --prospects")


def last_value_before(path, customer_col: str, date_col: str, column: str, option: str, log, as_of_day: int) -> pd.Series:
    """Each customer's value of ``column`` on their last row before the as-of date."""
    frame = read_rows(Path(path), "one row per transaction")
    if column not in frame.columns:
        raise user_error(f"{option} {column}: {path} has no such column; the header has {show_header(frame.columns)}")
    from simlib.calibrate.transactions import _parse_days
    days, origin = _parse_days(frame[date_col], str(path), date_col, None)
    if origin is not None and log.origin is not None:
        days = days + int((origin - log.origin).days)
    rows = pd.DataFrame({"customer": frame[customer_col].str.strip().to_numpy(), "day": days,
                         "value": frame[column].str.strip().to_numpy()})
    rows = rows[rows["day"] < as_of_day]
    return rows.sort_values(["customer", "day"], kind="stable").groupby("customer")["value"].last()


def set_pond(table: pd.DataFrame, pond_ids=None, pond_values: pd.Series | None = None, option: str = "") -> str:
    """Pond membership from a file of ids or a column's values; returns what the output says."""
    if pond_ids is not None:
        ids = read_ids(pond_ids, "--pond-ids")
        _unknown(ids, table["customer_id"], "--pond-ids", pond_ids)
        table["in_pond"] = table["customer_id"].isin(ids).astype(int)
        return f"pond: the {len(ids):,} customers listed in {pond_ids}"
    if pond_values is not None:
        values = pond_values.reindex(table["customer_id"]).fillna("").str.lower()
        bad = ~values.isin(_TRUE | _FALSE)
        if bad.any():
            raise user_error(f"{option}: value {values[bad].iloc[0][:30]!r} (customer {values[bad].index[0]!r}); allowed: "
                             "1/0, true/false, yes/no (in the pond or not)")
        table["in_pond"] = values.isin(_TRUE).astype(int).to_numpy()
        return f"pond: customers whose last order before the as-of date says so in {option}"
    return "pond: every customer is in the pond (the default; say who is with --pond-col or --pond-ids)"


def set_channels(table: pd.DataFrame, channel_ids: dict | None = None, channel_values: pd.Series | None = None,
                 option: str = "") -> str:
    """Channels from files of ids (NAME -> file) or a column's values; returns what the output says."""
    if channel_ids:
        names = pd.Series(DEFAULT_CHANNEL, index=table.index)
        for name, path in channel_ids.items():
            ids = read_ids(path, f"--channel-ids {name}")
            _unknown(ids, table["customer_id"], f"--channel-ids {name}", path)
            mine = table["customer_id"].isin(ids)
            clash = mine & (names != DEFAULT_CHANNEL)
            if clash.any():
                raise user_error(f"--channel-ids {name}={path}: customer {table.loc[clash, 'customer_id'].iloc[0]!r} is "
                                 f"already on channel {names[clash].iloc[0]!r}; allowed: each customer on one channel")
            names[mine] = name
        table["channel"] = names.to_numpy()
        return f"channels: from {len(channel_ids)} file(s) of ids; the others on {DEFAULT_CHANNEL!r}"
    if channel_values is not None:
        values = channel_values.reindex(table["customer_id"]).fillna("").to_numpy()
        if (values == "").any():
            raise user_error(f"{option}: an empty channel (customer {table['customer_id'][values == ''].iloc[0]!r}); "
                             "allowed: a channel name on every customer's last order before the as-of date")
        table["channel"] = values
        return f"channels: each customer's last order before the as-of date in {option}"
    return f"channels: one, {DEFAULT_CHANNEL!r} (say which with --channel-col or --channel-ids)"


def add_prospects(table: pd.DataFrame, count: int) -> pd.DataFrame:
    """``count`` people in the pond who have not bought yet, ids prospect-1, prospect-2, ..."""
    if count == 0:
        return table
    if not 0 < count <= MAX_PROSPECTS:
        raise user_error(f"--prospects {count}: allowed: 0 to {MAX_PROSPECTS:,}")
    ids = np.char.add("prospect-", np.arange(1, count + 1).astype(str))
    clash = table["customer_id"].isin(ids)
    if clash.any():
        raise user_error(f"--prospects: the log already has a customer {table.loc[clash, 'customer_id'].iloc[0]!r}; "
                         "allowed: logs without ids of the form prospect-N")
    channel = table["channel"].iloc[0] if len(table) else DEFAULT_CHANNEL
    prospects = pd.DataFrame({"customer_id": ids, "channel": channel, "in_pond": 1, "orders": 0, "spend_orders": 0})
    return pd.concat([table, prospects], ignore_index=True)


def check_channels(table: pd.DataFrame) -> list:
    names = list(pd.unique(table["channel"]))
    if len(names) > MAX_CHANNELS:
        raise user_error(f"channels: {len(names)} different names; allowed: at most {MAX_CHANNELS}")
    return names
