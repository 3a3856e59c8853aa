"""The customer file of an existing base (``market.customers``): reading and checking it.

One row per real customer (or prospect), as `simlib twin` writes it (customers.csv):

| column | meaning |
| --- | --- |
| ``customer_id`` | the team's id (text, unique) |
| ``channel`` | one of the scenario's ``market.channels`` (optional with a single channel) |
| ``in_pond`` | 1 if the brand can reach them for free (pond member), else 0 |
| ``orders`` | purchase occasions before day 0 (0: a prospect, who has not bought yet) |
| ``first_order_day``, ``last_order_day`` | days of the first and last of them, relative to day 0 (-1 = the day before) |
| ``spend_orders``, ``mean_log_spend`` | occasions with a positive amount and the mean of their log amounts (CNY) (optional: without them a basket is drawn from the scenario's distribution) |

Other columns (``mean_spend_cny``, ``frequency`` ...) are for people and are not read. Every
problem names the file, the row as a spreadsheet numbers it (header = row 1) and the column.
The file is read once per process and kept while it does not change (simulations of several
replications or arms share it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import UserError

MAX_FILE_BYTES = 4 * 1024**3         # 4 GB: tens of millions of customers
MAX_DAYS_BEFORE = 32767              # day numbers are int16 in the population
MAX_ORDERS = 32767
REQUIRED = ("customer_id", "in_pond", "orders", "first_order_day", "last_order_day")
_TRUE, _FALSE = {"1", "true", "yes", "y", "t"}, {"0", "false", "no", "n", "f"}
_CACHE: dict = {}


@dataclass(frozen=True)
class CustomerFile:
    source: str
    customer_id: np.ndarray
    channel: np.ndarray          # index into the channels the file was read for
    in_pond: np.ndarray
    orders: np.ndarray
    first_order_day: np.ndarray
    last_order_day: np.ndarray
    spend_orders: np.ndarray
    mean_log_spend: np.ndarray
    channels: tuple

    @property
    def n(self) -> int:
        return int(self.customer_id.size)

    def channel_counts(self, n_channels: int) -> np.ndarray:
        return np.bincount(self.channel, minlength=n_channels)

    def history_order(self, channel: int) -> np.ndarray:
        """Rows of one channel sorted by history (orders, last order, first order), stable."""
        rows = np.flatnonzero(self.channel == channel)
        order = np.lexsort((self.first_order_day[rows], self.last_order_day[rows], self.orders[rows]))
        return rows[order]

    def check_shares(self, channels: dict, tolerance: float = 0.005) -> None:
        """The scenario's channel shares must be the file's (the file says who is where)."""
        counts = self.channel_counts(len(channels)) / max(self.n, 1)
        for (name, spec), share in zip(channels.items(), counts):
            if abs(spec["share"] - share) > tolerance:
                wanted = ", ".join(f"{c}: {s:.4f}" for c, s in zip(channels, counts))
                raise UserError(f"market.channels.{name}.share {spec['share']:g}: {self.source} puts {share:.2%} of its "
                                f"customers on {name}; allowed: the file's shares ({wanted})")


def read_customer_file(path, channels: list) -> CustomerFile:
    """The checked file, from the cache while the file on disk is unchanged."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        raise UserError(f"market.customers: {path}: no such file") from None
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size, tuple(channels))
    if key not in _CACHE:
        _CACHE.clear()   # one base at a time: a new file replaces the old
        _CACHE[key] = _read(path, channels)
    return _CACHE[key]


def _read(path: Path, channels: list) -> CustomerFile:
    from .calibrate.csvfile import read_rows
    source = str(path)
    frame = read_rows(path, "one row per customer", max_bytes=MAX_FILE_BYTES,
                      too_big="split the base into files of at most 4 GB")
    for column in REQUIRED:
        if column not in frame.columns:
            raise UserError(f"{source}, row 1, column {column!r}: missing; a customer file needs the columns "
                            f"{', '.join(REQUIRED)} (and channel with several channels), as `simlib twin` writes them")
    if frame.empty:
        raise UserError(f"{source}: no customers below the header row")
    ids = frame["customer_id"].str.strip()
    _refuse(ids == "", frame, source, "customer_id", "an empty customer id; every row needs one")
    _refuse(ids.duplicated().to_numpy(), frame, source, "customer_id", "a customer id given twice; allowed: one row "
            "per customer")
    orders = _integers(frame, source, "orders", 0, MAX_ORDERS)
    buyer = orders > 0
    first = _integers(frame, source, "first_order_day", -MAX_DAYS_BEFORE, -1, where=buyer)
    last = _integers(frame, source, "last_order_day", -MAX_DAYS_BEFORE, -1, where=buyer)
    _refuse(buyer & (first > last), frame, source, "last_order_day", "before first_order_day")
    _refuse(buyer & (orders - 1 > last - first), frame, source, "orders",
            "more purchase occasions than days between the first and the last order (one occasion a day)")
    pond = frame["in_pond"].str.strip().str.lower()
    _refuse(~pond.isin(_TRUE | _FALSE).to_numpy(), frame, source, "in_pond", "not a yes/no; allowed: 1 or 0")
    if "channel" in frame.columns:
        names = frame["channel"].str.strip()
        codes = pd.Index(channels).get_indexer(names)
        _refuse(codes < 0, frame, source, "channel", f"not a channel of the scenario; allowed: {', '.join(channels)}")
    elif len(channels) == 1:
        codes = np.zeros(len(frame), np.int64)
    else:
        raise UserError(f"{source}, row 1, column 'channel': missing; the scenario has {len(channels)} channels "
                        f"({', '.join(channels)}), so every customer needs one")
    if "spend_orders" in frame.columns and "mean_log_spend" in frame.columns:
        spend_orders = _integers(frame, source, "spend_orders", 0, MAX_ORDERS)
        _refuse(spend_orders > orders, frame, source, "spend_orders", "more than orders")
        mean_log = pd.to_numeric(frame["mean_log_spend"].str.strip().replace("", "nan"), errors="coerce").to_numpy()
        _refuse((spend_orders > 0) & ~(np.isfinite(mean_log) & (np.abs(mean_log) < 30)), frame, source,
                "mean_log_spend", "not a number; allowed: the mean log amount (CNY) of the customer's orders, "
                "between -30 and 30")
    else:
        spend_orders, mean_log = np.zeros(len(frame), np.int64), np.zeros(len(frame))
    return CustomerFile(source, ids.to_numpy(dtype=str), codes.astype(np.int8), pond.isin(_TRUE).to_numpy(),
                        orders, np.where(buyer, first, 0).astype(np.int16), np.where(buyer, last, 0).astype(np.int16),
                        spend_orders, np.nan_to_num(mean_log), tuple(channels))


def _refuse(bad, frame, source: str, column: str, problem: str) -> None:
    bad = np.asarray(bad)
    if bad.any():
        row = int(frame.index[np.flatnonzero(bad)[0]])
        value = str(frame[column].loc[row])[:40]
        raise UserError(f"{source}, row {row}, column {column!r}: {value!r}: {problem}")


def _integers(frame, source: str, column: str, low: int, high: int, where=None) -> np.ndarray:
    text = frame[column].str.strip()
    values = pd.to_numeric(text.where(text != "", "nan"), errors="coerce").to_numpy(dtype=float)
    check = np.ones(len(text), bool) if where is None else where
    _refuse(check & ~(np.isfinite(values) & (values == np.round(values))), frame, source, column,
            f"not a whole number; allowed: whole numbers from {low} to {high}")
    _refuse(check & ((values < low) | (values > high)), frame, source, column,
            f"out of range; allowed: {low} to {high}")
    return np.where(check, np.nan_to_num(values), 0).astype(np.int64)


def check_market(market: dict, source: str) -> None:
    """A market with a customer file: nothing else says who is where, and the file exists; its
    path made absolute (a path from Python or --set is relative to the working folder)."""
    from .errors import ScenarioError
    if market["initial_stage"] or market["initial_in_pond"] > 0:
        raise ScenarioError(source, "market.customers", "the customer file says who is where; allowed: no "
                            "market.initial_stage and no market.initial_in_pond beside it")
    path = os.path.abspath(market["customers"])
    if not os.path.isfile(path):
        raise ScenarioError(source, "market.customers", f"{market['customers']}: no such file; allowed: the path of "
                            "a customer file (simlib.customer_file), e.g. the customers.csv `simlib twin` wrote")
    market["customers"] = path


def resolve_path(value, scenario_file: Path) -> str:
    """A ``market.customers`` path as a scenario file writes it: relative to that file's folder
    and inside it (no absolute path, no way out through .. or a link); returns it absolute."""
    text = str(value)
    where = f"{scenario_file}: market.customers"
    if os.path.isabs(text) or text.startswith("~") or (len(text) > 1 and text[1] == ":"):
        raise UserError(f"{where}: {text!r} is an absolute path; allowed: a path relative to the scenario's folder, "
                        "inside it (e.g. customers.csv)")
    folder = scenario_file.parent.resolve()
    target = (folder / text).resolve()
    if target != folder and folder not in target.parents:
        raise UserError(f"{where}: {text!r} leads out of the scenario's folder {folder}; allowed: a file inside it")
    return str(target)
