"""State only some customers have: rows for them, one int32 slot a customer for everyone.

Most of a policy's per-customer state is about pond members and buyers (points, tiers, a
ladder's step, a red packet held, a weekly message count...), a minority of a market (at 1M
customers with every lever, about a fifth). A policy that adds such a field with
``Population.add_sparse(name, dtype, fill)`` gets a ``SparseColumn``: indexed by customer
numbers it reads and writes like the full array it stands for (``points[idx] += earned``), but
only customers written at least once hold a row. ``SparseState.slot[i]`` is customer i's row
(-1: none; every field reads its ``fill``), shared by every sparse field of the population, so a
customer costs 4 bytes plus, once written, a row of every sparse field; rows are never given
back (a member who leaves the pond and comes back finds their state), and the rows' arrays grow
by a quarter as customers are written.

Reads and writes give the values full arrays would, element for element: ``col[idx] = v`` with
a customer listed twice keeps the last value (as numpy's ``a[idx] = v``), and ``np.add.at(
col.values, col.rows(idx), v)`` adds in the order of ``idx`` (as ``np.add.at(a, idx, v)``).
"""

from __future__ import annotations

import numpy as np

from .compiled import compiled

FIRST_ROWS = 1024   # rows at the start; they grow by a quarter (at least to what is asked)


@compiled
def rows_wanted(idx, slot):
    """How many of ``idx`` have no row yet (a customer listed twice counts twice: an upper bound)."""
    wanted = 0
    for j in range(idx.size):
        if slot[idx[j]] < 0:
            wanted += 1
    return wanted


@compiled
def give_rows(idx, slot, row_of, used):
    """Give the next rows, in order, to the customers of ``idx`` without one; the rows in use."""
    for j in range(idx.size):
        i = idx[j]
        if slot[i] < 0:
            slot[i] = used
            row_of[used] = i
            used += 1
    return used


@compiled(inline=True)
def sparse_row(i, slot, row_of, used):
    """Customer i's row, given (the next one) when they have none; -1 when every row is taken.
    Returns (row, rows in use): for compiled passes that write sparse fields as they go
    (``SparseState.write``)."""
    r = slot[i]
    if r < 0:
        if used == row_of.size:
            return -1, used
        r = used
        slot[i] = r
        row_of[r] = i
        used += 1
    return r, used


@compiled
def give_rows_to(idx, slot, row_of, used, start, out):
    """``give_rows`` from ``idx[start]`` on, writing each customer's row into ``out`` (aligned with
    ``idx``); stops at a customer who needs a row when every row is taken. Returns the rows in
    use and where it stopped (``idx.size``: done)."""
    for j in range(start, idx.size):
        r, used = sparse_row(idx[j], slot, row_of, used)
        if r < 0:
            return used, j
        out[j] = r
    return used, idx.size


@compiled
def gather(idx, slot, values, fill, out):
    """``out[j]`` = customer ``idx[j]``'s value (``fill`` without a row)."""
    for j in range(idx.size):
        r = slot[idx[j]]
        out[j] = values[r] if r >= 0 else fill


@compiled
def unmarked(idx, slot, flags, out) -> int:
    """Write into ``out`` the customers of ``idx``, in order, whose boolean field (rows ``flags``,
    fill False) is not set; return how many."""
    n = 0
    for j in range(idx.size):
        r = slot[idx[j]]
        if r < 0 or not flags[r]:
            out[n] = idx[j]
            n += 1
    return n


def as_customers(idx, n: int) -> np.ndarray:
    """Customer numbers as int64 (an index array, a mask or a slice of 0 .. n - 1)."""
    if type(idx) is np.ndarray and idx.dtype == np.int64 and idx.ndim == 1:
        return idx
    if isinstance(idx, slice):
        return np.arange(*idx.indices(n))
    idx = np.asarray(idx)
    if idx.dtype == bool:
        return np.flatnonzero(idx)
    return idx.astype(np.int64, copy=False).reshape(-1)


class SparseState:
    """The rows of every sparse field of one population (or one replication's view of it)."""

    def __init__(self, n: int):
        self.n = n
        self.slot = np.full(n, -1, np.int32)               # customer -> row (-1: none)
        self.row_of = np.zeros(FIRST_ROWS, np.int32)       # row -> its customer
        self.used = 0                                      # rows given out
        self.columns: dict[str, SparseColumn] = {}

    @property
    def capacity(self) -> int:
        return self.row_of.size

    def add(self, name: str, dtype, fill) -> "SparseColumn":
        column = self.columns[name] = SparseColumn(self, name, dtype, fill)
        return column

    def rows(self, idx) -> np.ndarray:
        """The rows of customers ``idx`` (aligned; intp, numpy's own index type, so that
        ``values[rows] = v`` costs what ``a[idx] = v`` does), giving one to each who has none."""
        idx = as_customers(idx, self.n)
        out = np.empty(idx.size, np.intp)
        self.used, done = give_rows_to(idx, self.slot, self.row_of, self.used, 0, out)
        while done < idx.size:   # every row taken: grow, then go on where it stopped
            wanted = rows_wanted(idx[done:], self.slot)
            self._grow(max(self.used + wanted, self.capacity + self.capacity // 4))
            self.used, done = give_rows_to(idx, self.slot, self.row_of, self.used, done, out)
        return out

    def write(self, compiled_pass, idx: np.ndarray, args, wanted=None) -> None:
        """Run ``compiled_pass(idx, slot, row_of, used, *args(), start)``, a pass that gives rows to
        the customers of ``idx`` it writes who have none as it goes, returning (rows in use, where it
        stopped: ``idx.size`` when done) where every row is taken; the rows grow (for ``wanted(stop)``
        more customers at least: by default every one from there on without a row) and the pass goes
        on from there. ``args()`` gives the rest of its arguments (the fields' rows: growing makes
        new arrays)."""
        self.used, done = compiled_pass(idx, self.slot, self.row_of, self.used, *args(), 0)
        while done < idx.size:
            more = wanted(done) if wanted is not None else rows_wanted(idx[done:], self.slot)
            self._grow(max(self.used + more, self.capacity + self.capacity // 4))
            self.used, done = compiled_pass(idx, self.slot, self.row_of, self.used, *args(), done)

    def holders(self) -> np.ndarray:
        """Customers with a row, in the order they got it."""
        return self.row_of[:self.used].astype(np.int64)

    def _grow(self, size: int) -> None:
        """Every field's rows to ``size``, one array at a time (the old one freed before the next)."""
        row_of = np.zeros(size, np.int32)
        row_of[:self.used] = self.row_of[:self.used]
        self.row_of = row_of
        for column in self.columns.values():
            column._grow(size)


class SparseColumn:
    """One sparse field, indexed by customer numbers like the full array it stands for; its rows
    are ``values`` (``values[state.slot[i]]`` is customer i's, when they have a row)."""

    def __init__(self, state: SparseState, name: str, dtype, fill):
        self.state, self.name = state, name
        self.dtype = np.dtype(dtype)
        self.fill = self.dtype.type(fill)
        self.values = np.full(state.capacity, self.fill, self.dtype)

    @property
    def shape(self) -> tuple[int]:
        return (self.state.n,)

    def __len__(self) -> int:
        return self.state.n

    def rows(self, idx) -> np.ndarray:
        """The rows of ``idx`` (given where missing): ``values[rows]`` is theirs to read and write."""
        return self.state.rows(idx)

    def __getitem__(self, idx):
        if type(idx) is not np.ndarray and np.isscalar(idx) and not isinstance(idx, (bool, np.bool_)):
            row = self.state.slot[idx]
            return self.values[row] if row >= 0 else self.fill
        idx = as_customers(idx, self.state.n)
        out = np.empty(idx.size, self.dtype)
        gather(idx, self.state.slot, self.values, self.fill, out)
        return out

    def __setitem__(self, idx, values) -> None:
        if type(idx) is not np.ndarray and np.isscalar(idx) and not isinstance(idx, (bool, np.bool_)):
            idx = [idx]
        rows = self.state.rows(idx)                        # first: it may grow the rows
        self.values[rows] = values

    def unmarked(self, idx: np.ndarray) -> np.ndarray:
        """``idx[~column[idx]]`` of a boolean field (``idx`` customer numbers, int64), without
        gathering the flags."""
        out = np.empty(idx.size, np.int64)
        return out[:unmarked(idx, self.state.slot, self.values, out)]

    def customers_where(self, mask: np.ndarray) -> np.ndarray:
        """The customers (ascending, int64) whose rows ``mask`` (over ``values``) marks, as
        ``np.flatnonzero(mask of the full array)`` would give when ``fill`` is never marked."""
        used = self.state.used
        return np.sort(self.state.row_of[:used][mask[:used]]).astype(np.int64)

    def __array__(self, dtype=None, copy=None):
        """The full array (every customer; ``fill`` where no row): for whole-array reading."""
        out = np.full(self.state.n, self.fill, self.dtype)
        used = self.state.used
        out[self.state.row_of[:used]] = self.values[:used]
        return out if dtype is None else out.astype(dtype)

    def __getattr__(self, name):
        """Other array methods (``.sum()``, ``.any()``, ``.astype``...) on the full array (for
        inspection; the policies index it)."""
        if name.startswith("__") or name in ("state", "values", "fill", "dtype", "name"):
            raise AttributeError(name)
        return getattr(np.asarray(self), name)

    # whole-array comparisons (inspection, tests), on the full array
    def __eq__(self, other):
        return np.asarray(self) == other

    def __ne__(self, other):
        return np.asarray(self) != other

    def __lt__(self, other):
        return np.asarray(self) < other

    def __le__(self, other):
        return np.asarray(self) <= other

    def __gt__(self, other):
        return np.asarray(self) > other

    def __ge__(self, other):
        return np.asarray(self) >= other

    __hash__ = None

    def _grow(self, size: int) -> None:
        values = np.full(size, self.fill, self.dtype)
        values[:self.state.used] = self.values[:self.state.used]
        self.values = values
