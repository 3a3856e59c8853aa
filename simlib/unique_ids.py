"""``unique_ids``: ``np.unique`` of customer numbers (or any integers), without its hash table.

numpy 2's ``np.unique`` of integers builds a hash table and then sorts what it kept: 200-300 us
for a few thousand numbers, although the lists simlib asks it about are mostly sorted already
(today's buyers, entries into a stage, members of the pond: the population step records
customers in ascending order). A sorted list needs only its repeats dropped (10-20 us); an
unsorted one is counted (``np.bincount``) when its values span a range not much longer than the
list, else sorted first. The result is ``np.unique``'s: the distinct values, ascending, of
the same dtype.
"""

from __future__ import annotations

import numpy as np


def unique_ids(values) -> np.ndarray:
    """``np.unique(values)`` for a 1-d array of integers (or booleans); other arrays go to
    ``np.unique`` itself."""
    x = np.asarray(values)
    if x.ndim != 1 or x.size < 2 or x.dtype.kind not in "iub":
        return np.unique(x)
    if not (x[1:] >= x[:-1]).all():
        if x.dtype.kind == "i" or (x.dtype.kind == "u" and x.dtype.itemsize < 8):
            lo, hi = int(x.min()), int(x.max())
            if hi - lo <= 4 * x.size:   # a few values, often repeated: count them
                present = np.flatnonzero(np.bincount(x.astype(np.int64, copy=False) - lo))
                return (present + lo).astype(x.dtype)
        x = np.sort(x)
    keep = np.empty(x.size, bool)
    keep[0] = True
    np.not_equal(x[1:], x[:-1], out=keep[1:])
    return x[keep]
