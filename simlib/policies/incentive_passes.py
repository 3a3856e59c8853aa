"""The incentives' daily passes over many customers, compiled (numba, as the population step is:
``simlib.compiled``): the points programme's over its savers, the coupon ladder's over the pond.
One loop each instead of numpy's gather, compare, compress and scatter over thousands of
customers per replication per day (a fifth of a ``points_program`` run when they were numpy
calls). Each computes exactly what those numpy expressions did, value for value: the same
float32 and float64 operations, in the same order per customer.
"""

from __future__ import annotations

from ..compiled import compiled


@compiled
def affordable(savers, slot, points, cheapest, in_pond, out) -> int:
    """Write into ``out`` the savers, in their order, who hold at least ``cheapest`` points and
    are in the pond; return how many. ``points[slot[i]]`` is saver i's (a sparse field's rows:
    every saver has one)."""
    n = 0
    for j in range(savers.size):
        i = savers[j]
        if points[slot[i]] >= cheapest and in_pond[i]:
            out[n] = i
            n += 1
    return n


@compiled
def pulls(idx, points, price, appeal, goal_effect, out):
    """``out[j] = goal_effect * max over gifts k of appeal[k] * min(points[i] / price[k], 1)`` for
    the customers ``i = idx[j]`` (the goal gradient towards the nearest gift, a function of the
    points read when needed: no per-customer array of it is kept)."""
    for j in range(idx.size):
        held = float(points[idx[j]])
        best = -1.0
        for k in range(price.size):
            value = min(held / price[k], 1.0) * appeal[k]
            if k == 0 or value > best:
                best = value
        out[j] = goal_effect * best


@compiled
def ladder_due(pond, rows, due, day, first_due, never, out) -> int:
    """The coupon ladder's pass over the pond (ascending; ``due[rows[j]]`` is member ``pond[j]``'s,
    the rows of a sparse field): a member not seen before (``never``) is due ``first_due``;
    write into ``out`` the members whose step is due by ``day``, in pond order; return how many."""
    n = 0
    for j in range(pond.size):
        r = rows[j]
        if due[r] == never:
            due[r] = first_due
        elif due[r] <= day:
            out[n] = pond[j]
            n += 1
    return n
