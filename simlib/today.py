"""``Today``: the inputs policies set for the current day, declared as one table of fields.

Policies write these in the ACT and OUTREACH phases; the population step reads them; the
engine resets them at BEGIN. Readers ask ``touched(name)`` to skip a term that is all zero
today.

The per-customer inputs are sparse: only the customers a policy touched today have them. Each
such customer gets a row of today's table (``rows``: one float32 column per field, the
customer's inputs side by side) and ``slot[i]`` is customer i's row (-1: untouched, every input
0). That costs 4 bytes a customer (the slot) plus 32 bytes a touched customer, against 29 bytes
a customer for eight full arrays, and the compiled step reads one slot and one row instead of
eight arrays. ``touch(name)`` returns the field as a ``Column``: indexed by customer numbers it
reads and writes like the full array it stands for (``touch("useful")[idx] += units``).

With several replications in one population, ``Today`` holds every replication's inputs (a
row per replication for per-channel fields, an entry per replication for scalars and
counts) and each replication's policies write through a ``TodayView``, which looks like the
``Today`` of a run of its own.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass

import numpy as np

from .compiled import compiled
from .sparse_state import give_rows, rows_wanted
from .unique_ids import unique_ids


@dataclass(frozen=True)
class Field:
    kind: str          # "customer" (array of n), "channel" (array per channel), "scalar", "count"
    doc: str
    dtype: type = np.float64
    default: float = 0.0


FIELDS = {
    # per customer, written by policies through ``touch``
    "awareness_extra": Field("customer", "extra awareness hazard of an unaware customer (per day)", np.float32),
    "interest_boost": Field("customer", "log-lift on aware -> interested", np.float32),
    "purchase_boost": Field("customer", "log-lift on purchase hazards", np.float32),
    "discount_depth": Field("customer", "price cut held today besides a coupon (member price, red-packet cash, a "
                                        "referral reward), as a share of the customer's basket; behaviour prices "
                                        "it with the held coupon's depth", np.float32),
    "useful": Field("customer", "useful-content units received (trust, interest, waking)", np.float32),
    "load": Field("customer", "message load, in messages, after the relief of usefulness", np.float32),
    "chat": Field("customer", "had a one-to-one chat", bool),
    "belonging": Field("customer", "activity (0-1) of the community group the customer takes part in", np.float32),
    # per public channel
    "ad_awareness": Field("channel", "awareness hazard from ads and events, per day"),
    "awareness_per_susceptibility": Field("channel", "extra awareness hazard of an unaware customer per unit of their "
                                                     "social susceptibility (KOCs' word of mouth), per day"),
    "pond_entry": Field("channel", "hazard that an aware-or-later customer joins the pond, per day"),
    "pond_entry_cost": Field("channel", "sum over sources of hazard x cost per member (CNY)"),
    "pond_on_purchase": Field("channel", "chance a buyer joins the pond (package insert)"),
    "pond_on_purchase_cost": Field("channel", "sum over sources of chance x cost per member (CNY)"),
    "pond_min_orders": Field("channel", "orders a customer needs before a pond route admits them (smallest open route)"),
    # market-wide multipliers
    "purchase_multiplier": Field("scalar", "calendar multiplier on every purchase hazard", default=1.0),
    "interest_multiplier": Field("scalar", "calendar multiplier on every interest hazard", default=1.0),
    # counts for today's row
    "messages_sent": Field("count", "messages delivered", np.int64),
    "unsubscribes": Field("count", "pond members who left the pond", np.int64),
    "pond_joins": Field("count", "customers who joined the pond", np.int64),
    "coupons_redeemed": Field("count", "coupons used on orders", np.int64),
    "bought_ahead": Field("count", "orders bought ahead on a discount: each covers the customer's next regular order "
                                   "within behavior.acceleration_window_days", np.int64),
    "purchases": Field("count", "orders", np.int64),
    "new_buyers": Field("count", "first orders in the run", np.int64),
}
PER_CUSTOMER = [name for name, f in FIELDS.items() if f.kind == "customer"]
COLUMN = {name: k for k, name in enumerate(PER_CUSTOMER)}   # field -> its column of ``Today.rows``
(AWARENESS_EXTRA, INTEREST_BOOST, PURCHASE_BOOST, DISCOUNT_DEPTH, USEFUL, LOAD, CHAT,
 BELONGING) = (COLUMN[name] for name in ("awareness_extra", "interest_boost", "purchase_boost", "discount_depth",
                                         "useful", "load", "chat", "belonging"))
CustomerInputs = namedtuple("CustomerInputs", ["slot", "rows"])   # what the compiled step reads
PER_REPLICATION = [name for name, f in FIELDS.items() if f.kind in ("scalar", "count")]
FIRST_ROWS = 1024   # rows of today's table at the start (it grows by a quarter when a day touches more customers)


@compiled(inline=True)
def today_input(x, slot, column):
    """The input in ``column`` of the customer whose row is ``slot`` (``x.slot[i]``; 0 without one)."""
    return x.rows[np.uint64(slot), column] if slot >= 0 else np.float32(0.0)   # unsigned: no negative-index check


@compiled
def _gather(idx, offset, slot, rows, column, out):
    for j in range(idx.size):
        s = slot[idx[j] + offset]
        out[j] = rows[s, column] if s >= 0 else np.float32(0.0)


@compiled(inline=True)
def today_row(i, slot, row_of, rows, used):
    """Customer i's row of today's table, given (and cleared) when they have none; -1 when they
    need one and every row is taken. Returns (row, rows in use): for compiled passes that write
    today's inputs as they go (``Today.write``)."""
    s = slot[i]
    if s < 0:
        if used == row_of.size:
            return -1, used
        slot[i] = s = used
        row_of[used] = i
        for c in range(rows.shape[1]):     # yesterday's values cleared as rows are given
            rows[used, c] = 0
        used += 1
    return s, used


@compiled
def _untouch(slot, row_of, used):
    """Every customer with a row of today's table back to none (numpy's ``slot[row_of[:used]] = -1``
    casts the int32 rows to its index type first: 3 us a thousand rows, against 0.1 here)."""
    for r in range(used):
        slot[row_of[r]] = -1


@compiled
def _wanted(idx, offset, slot, start):
    """How many of customers ``idx[start:] + offset`` have no row yet (one listed twice counts twice)."""
    wanted = 0
    for j in range(start, idx.size):
        if slot[idx[j] + offset] < 0:
            wanted += 1
    return wanted


@compiled
def _add(idx, offset, slot, row_of, rows, used, column, values, sums, start):
    """``rows[slot[idx + offset], column] += values``, giving rows from ``idx[start]`` on to the
    customers without one, as numpy's ``a[idx] += v`` does it: every sum is taken before any is
    written (a customer listed twice keeps the last), in float32 when ``values`` are. Returns the
    rows in use and where it stopped for want of a row (``idx.size``: done, written)."""
    for j in range(start, idx.size):
        s, used = today_row(idx[j] + offset, slot, row_of, rows, used)
        if s < 0:
            return used, j
        sums[j] = rows[s, column] + values[j]
    for j in range(idx.size):
        rows[slot[idx[j] + offset], column] = sums[j]
    return used, idx.size


@compiled
def _add_two(idx, offset, slot, row_of, rows, used, column, values, column2, values2, sums, sums2, start):
    """``_add`` of ``values`` to ``column`` and of ``values2`` to ``column2`` in one pass (two
    fields written by one call: a message's usefulness and load)."""
    for j in range(start, idx.size):
        s, used = today_row(idx[j] + offset, slot, row_of, rows, used)
        if s < 0:
            return used, j
        sums[j] = rows[s, column] + values[j]
        sums2[j] = rows[s, column2] + values2[j]
    for j in range(idx.size):
        s = slot[idx[j] + offset]
        rows[s, column] = sums[j]
        rows[s, column2] = sums2[j]
    return used, idx.size


@compiled
def _scatter(idx, offset, slot, row_of, rows, used, column, values, start):
    """``rows[slot[idx + offset], column] = values``, giving rows as ``_add`` does (a customer
    listed twice keeps the last value, as numpy's ``a[idx] = v``)."""
    for j in range(start, idx.size):
        s, used = today_row(idx[j] + offset, slot, row_of, rows, used)
        if s < 0:
            return used, j
        rows[s, column] = values[j]
    return used, idx.size


class Column:
    """One per-customer field of today's inputs, indexed by customer number like a full array of
    them (``offset``: the first customer of a replication's view)."""

    def __init__(self, today: "Today", name: str, offset: int = 0):
        self.today, self.column, self.offset = today, COLUMN[name], offset
        self.dtype = np.dtype(FIELDS[name].dtype)
        self._last = (None, None)   # (idx as given, as customer numbers): ``column[idx] += v`` reads, then writes

    def _customers(self, idx) -> tuple[np.ndarray, int]:
        """``idx`` as customer numbers (int64) and the offset still to add to them: an int64 array
        is taken as it is, the offset added in the compiled passes."""
        if type(idx) is np.ndarray and idx.dtype == np.int64 and idx.ndim == 1:
            return idx, self.offset
        if idx is self._last[0]:
            return self._last[1], 0
        given = idx
        if isinstance(idx, slice):
            idx = np.arange(*idx.indices(self.today.n - self.offset))
        idx = np.asarray(idx)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        idx = idx.astype(np.int64, copy=False).reshape(-1)
        idx = idx + self.offset if self.offset else idx
        if isinstance(given, np.ndarray):
            self._last = (given, idx)
        return idx, 0

    def __getitem__(self, idx) -> np.ndarray:
        t = self.today
        idx, offset = self._customers(idx)
        out = np.empty(idx.size, np.float32)
        _gather(idx, offset, t.slot, t.rows, self.column, out)
        return out.astype(self.dtype) if self.dtype != np.float32 else out

    def add(self, idx, values) -> None:
        """``column[idx] += values`` in one pass: the same sums (``values`` an array of float32 or
        float64 per customer; anything else goes the way of ``+=``)."""
        customers, offset = self._customers(idx)
        arr = values if isinstance(values, np.ndarray) else None
        if arr is None or arr.dtype not in (np.float32, np.float64) or arr.shape != customers.shape \
                or self.dtype != np.float32:
            now = self[idx]
            now += values
            self[idx] = now
            return
        self.today.write(_add, customers, offset, self.column, np.ascontiguousarray(arr),
                         np.empty(customers.size, np.float32))

    def rows_wanted(self, idx: np.ndarray) -> int:
        """How many of customers ``idx`` (numbered as this column numbers them) have no row of
        today's table yet."""
        return int(_wanted(idx, self.offset, self.today.slot, 0))

    def write(self, compiled_pass, idx: np.ndarray, *args, wanted=None) -> None:
        """A compiled pass that writes this field for some of customers ``idx`` (numbered as this
        column numbers them, int64): see ``Today.write``. Mark the field touched when it wrote."""
        self.today.write(compiled_pass, idx, self.offset, self.column, *args, wanted=wanted)

    def __setitem__(self, idx, values) -> None:
        idx, offset = self._customers(idx)
        values = np.asarray(values, np.float32)
        if values.shape != idx.shape:
            values = np.broadcast_to(values, idx.shape)
        self.today.write(_scatter, idx, offset, self.column, np.ascontiguousarray(values))


class Today:
    """The day's inputs and event lists of every replication; see ``FIELDS``."""

    def __init__(self, n: int, channels: int, reps: int = 1):
        self.n, self.channels, self.reps = n, channels, reps
        self.slot = np.full(n, -1, np.int32)                      # customer -> row of ``rows`` (-1: none)
        self.rows = np.zeros((FIRST_ROWS, len(PER_CUSTOMER)), np.float32)
        self.row_of = np.zeros(FIRST_ROWS, np.int32)              # row -> its customer
        self.used = 0                                             # rows given out today
        for name, f in FIELDS.items():
            if f.kind == "channel":
                setattr(self, name, np.zeros((reps, channels)))
            elif f.kind != "customer":
                setattr(self, name, np.full(reps, f.default, f.dtype))
        self._dirty = set(PER_CUSTOMER)
        self._bounds = np.zeros(2 * reps, np.int64)   # each replication's (lo, hi), as views are made
        self.reset()

    def __getattr__(self, name):
        if name in COLUMN:    # a per-customer field, read without marking it touched
            return Column(self, name)
        raise AttributeError(name)

    def give_rows(self, idx: np.ndarray) -> None:
        """Rows of today's table for customers ``idx`` (global numbers, int64) who have none yet."""
        room = self.rows.shape[0] - self.used
        if idx.size > room and rows_wanted(idx, self.slot) > room:
            self._grow(rows_wanted(idx, self.slot))
        given = self.used
        self.used = give_rows(idx, self.slot, self.row_of, self.used)
        self.rows[given:self.used] = 0      # yesterday's values cleared as rows are given, not all at BEGIN

    def _grow(self, wanted: int) -> None:
        """Room for ``wanted`` more rows. Grow by a quarter (not double): the table's size is the
        day's largest touch, a peak the run's memory carries (86k rows at 1M, all levers;
        doubling gave 262k)."""
        size = max(self.used + wanted, self.rows.shape[0] + self.rows.shape[0] // 4)
        rows = np.zeros((size, self.rows.shape[1]), np.float32)
        rows[:self.used] = self.rows[:self.used]
        row_of = np.zeros(size, np.int32)
        row_of[:self.used] = self.row_of[:self.used]
        self.rows, self.row_of = rows, row_of

    def write(self, compiled_pass, idx: np.ndarray, offset: int, column: int, *args, wanted=None) -> None:
        """Run ``compiled_pass(idx, offset, slot, row_of, rows, used, column, *args, start)`` (``_add``,
        ``_scatter``, a policy's own): it gives rows to the customers ``idx + offset`` it writes who
        have none as it goes, returning (rows in use, where it stopped: ``idx.size`` when done)
        where every row is taken; the table grows (by ``wanted(stop)`` rows at least: by default
        as many as customers from there on lack one) and the pass goes on from there."""
        self.used, done = compiled_pass(idx, offset, self.slot, self.row_of, self.rows, self.used, column, *args, 0)
        while done < idx.size:
            self._grow(wanted(done) if wanted is not None else _wanted(idx, offset, self.slot, done))
            self.used, done = compiled_pass(idx, offset, self.slot, self.row_of, self.rows, self.used, column,
                                            *args, done)

    def customer_inputs(self) -> CustomerInputs:
        """Today's per-customer inputs as the compiled step reads them (zero where not touched)."""
        return CustomerInputs(self.slot, self.rows)

    def touch(self, name: str) -> Column:
        """The per-customer field ``name`` (a ``Column``), marked as written today."""
        self._dirty.add(name)
        return Column(self, name)

    def touched(self, name: str) -> bool:
        """Was the per-customer field ``name`` written today?"""
        return name in self._dirty

    def reset(self) -> None:
        _untouch(self.slot, self.row_of, self.used)
        self.used = 0                           # the rows are cleared as they are given again
        self._dirty = set()
        for name, f in FIELDS.items():   # in place: the views hold rows of these arrays
            if f.kind != "customer":
                getattr(self, name).fill(f.default)
        self._orders: list[tuple] = []          # (idx, amount, discount, anyway) per batch
        self._moves: list[tuple] = []           # (idx, new stage) per batch
        self._columns = None                    # today's orders, concatenated (``_order_columns``)
        self._buyers = None                     # today's buyers (``buyers``)
        self._entered: dict[int, np.ndarray] = {}
        self._spans: dict[int, tuple] = {}      # id of a list -> (the list, its replications' spans)

    def add_orders(self, idx, amount, discount, anyway) -> None:
        """Record a batch of today's orders (the population step's: customers in ascending order,
        each customer's orders together)."""
        self._orders.append((idx, amount, discount, anyway))
        self._columns = self._buyers = None

    @property
    def orders_ascending(self) -> bool:
        """Today's order batches hold customers in ascending order (one batch a day)."""
        return len(self._orders) <= 1

    def add_moves(self, idx, stage) -> None:
        """Record a batch of today's stage moves: customers ``idx`` entered ``stage``."""
        self._moves.append((idx, stage))
        self._entered = {}

    def orders(self):
        """Today's orders as (customer idx, list value CNY, discount CNY); a customer may repeat."""
        return self._order_columns()[:3]

    def buyers(self) -> np.ndarray:
        """Today's buyers (unique, ascending; read-only): once a day for every replication."""
        if self._buyers is None:
            self._buyers = unique_ids(self._order_columns()[0])
            self._buyers.setflags(write=False)
        return self._buyers

    def orders_anyway(self) -> np.ndarray:
        """For each of today's orders (aligned with ``orders()``), the chance it would have been
        placed at the list price, with no discount of any kind: ``Behavior``'s counterfactual."""
        return self._order_columns()[3]

    def _order_columns(self):
        if self._columns is None:
            if not self._orders:
                e = np.zeros(0)
                self._columns = e.astype(np.int64), e, e, e
            elif len(self._orders) == 1:
                self._columns = self._orders[0]
            else:
                self._columns = tuple(np.concatenate(x) for x in zip(*self._orders))
        return self._columns

    def entered(self, stage: int) -> np.ndarray:
        """Customers who entered ``stage`` today (unique, ascending)."""
        got = self._entered.get(stage)
        if got is None:
            parts = [idx[to == stage] for idx, to in self._moves]
            got = self._entered[stage] = unique_ids(np.concatenate(parts)) if parts else np.zeros(0, np.int64)
        return got

    def view(self, r: int, lo: int, hi: int) -> "TodayView":
        """Replication r's inputs (its customers are lo .. hi - 1 of the whole)."""
        self._bounds[2 * r:2 * r + 2] = lo, hi
        self._spans = {}
        return TodayView(self, r, lo, hi)

    def spans(self, idx: np.ndarray) -> list[tuple[int, int]]:
        """Where each replication's customers are in ``idx`` (ascending global numbers): a
        (start, stop) per replication, found once for every replication (one search of the
        replications' bounds, ``view``) for each list a day's views ask about."""
        got = self._spans.get(id(idx))
        if got is None or got[0] is not idx:
            at = np.searchsorted(idx, self._bounds).tolist()
            got = self._spans[id(idx)] = (idx, list(zip(at[0::2], at[1::2])))
        return got[1]


def _per_replication(name: str):
    def get(view):
        return view._whole_field(name)[view._r].item()

    def put(view, value):
        view._whole_field(name)[view._r] = value
    return property(get, put, doc=FIELDS[name].doc)


class TodayView:
    """One replication's ``Today``, with its customers numbered from 0 (views of the shared
    arrays; scalars and counts read and write the replication's entry)."""

    def __init__(self, whole: Today, r: int, lo: int, hi: int):
        self._whole, self._r, self._lo, self._hi = whole, r, lo, hi
        self._all = whole.reps == 1          # one replication: its customers are everyone
        self.n, self.channels = hi - lo, whole.channels
        for name, f in FIELDS.items():
            if f.kind == "channel":
                setattr(self, name, getattr(whole, name)[r])

    def __getattr__(self, name):
        if name in COLUMN:
            return Column(self._whole, name, self._lo)
        raise AttributeError(name)

    def _whole_field(self, name):
        return getattr(self._whole, name)

    def touch(self, name: str) -> Column:
        self._whole.touch(name)
        return Column(self._whole, name, self._lo)

    def add_two(self, idx, name: str, values, name2: str, values2) -> None:
        """``touch(name)[idx] += values`` and ``touch(name2)[idx] += values2`` (two different
        float32 fields), in one pass when both are float arrays per customer of ``idx`` (int64)."""
        whole = self._whole
        whole.touch(name)
        whole.touch(name2)
        arrays = [v if isinstance(v, np.ndarray) and v.dtype in (np.float32, np.float64) else None
                  for v in (values, values2)]
        if type(idx) is not np.ndarray or idx.dtype != np.int64 or idx.ndim != 1 or name == name2 \
                or any(a is None or a.shape != idx.shape for a in arrays) \
                or any(FIELDS[k].dtype != np.float32 for k in (name, name2)):
            Column(whole, name, self._lo).add(idx, values)
            Column(whole, name2, self._lo).add(idx, values2)
            return
        whole.write(_add_two, idx, self._lo, COLUMN[name], np.ascontiguousarray(arrays[0]), COLUMN[name2],
                    np.ascontiguousarray(arrays[1]), np.empty(idx.size, np.float32), np.empty(idx.size, np.float32))

    def touched(self, name: str) -> bool:
        return self._whole.touched(name)

    def _mine(self, idx, ascending: bool = False):
        """Positions of ``idx`` (global) in this replication, and their local numbers (a slice
        when ``idx`` is ascending)."""
        if self._all:
            return slice(None), idx
        if ascending:
            lo, hi = self._whole.spans(idx)[self._r]
            keep = slice(lo, hi)
        else:
            keep = (idx >= self._lo) & (idx < self._hi)
        return keep, idx[keep] - self._lo

    def orders(self):
        idx, amount, discount = self._whole.orders()
        keep, local = self._mine(idx, ascending=self._whole.orders_ascending)
        return local, amount[keep], discount[keep]

    def buyers(self) -> np.ndarray:
        return self._mine(self._whole.buyers(), ascending=True)[1]

    def orders_anyway(self) -> np.ndarray:
        idx, _, _, anyway = self._whole._order_columns()
        return anyway[self._mine(idx, ascending=self._whole.orders_ascending)[0]]

    def entered(self, stage: int) -> np.ndarray:
        got = self._whole.entered(stage)
        return self._mine(got, ascending=True)[1]

    @property
    def _orders(self):
        """Today's order batches of this replication (local numbers)."""
        out = []
        for idx, *columns in self._whole._orders:
            keep, local = self._mine(idx, ascending=self._whole.orders_ascending)
            if local.size:
                out.append((local, *(c[keep] for c in columns)))
        return out


for _name in PER_REPLICATION:
    setattr(TodayView, _name, _per_replication(_name))
