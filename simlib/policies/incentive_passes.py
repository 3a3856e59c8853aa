"""The incentives' daily passes over many customers, compiled (numba, as the population step is:
``simlib.compiled``): the points programme's over its savers, the coupon ladder's over the pond.
One loop each instead of numpy's gather, compare, compress and scatter over thousands of
customers per replication per day (a fifth of a ``points_program`` run when they were numpy
calls; then the fixed cost of each numpy call, a few microseconds, times ten replications a day,
was most of what was left). Each computes exactly what those numpy expressions did, value for
value: the same float32 and float64 operations, in the same order per customer.
"""

from __future__ import annotations

import numpy as np

from ..compiled import compiled, prefetch
from ..rng import keyed_uniform
from ..sparse_state import sparse_row
from ..today import today_row

# customers a pass over customers in no particular order (savers, the holders of rows) asks the
# processor to fetch ahead of use (``compiled.prefetch``): the day's passes meet each customer's
# state cold, the population step having run through every customer since (measured: the pulls
# 60 -> 40 us a replication-day, the redemptions 25 -> 20; passes over the pond, ascending, gain nothing)
AHEAD = 16


@compiled(inline=True)
def goal_pull(held, price, appeal, goal_effect):
    """``goal_effect`` x max over gifts k of ``appeal[k]`` x min(held / ``price[k]``, 1): the goal
    gradient towards the nearest gift of a saver holding ``held`` points (float64)."""
    best = -1.0
    for k in range(price.size):
        value = min(held / price[k], 1.0) * appeal[k]
        if k == 0 or value > best:
            best = value
    return goal_effect * best


@compiled
def add_pulls(holders, offset, slot, row_of, rows, used, column, is_saver, in_pond, points, price, appeal,
              goal_effect, written, start):
    """Add to today's ``column`` (``Today.write``) of each saver in the pond their pull: ``goal_pull``
    of their points, as float32, added in float32 (``Column.add`` of each saver once). ``holders``
    are the customers with a row of the sparse fields (``SparseState.holders``: in the order of
    their rows, so ``is_saver`` and ``points`` are read in order). Counts the savers written in
    ``written[0]``."""
    for r in range(start, holders.size):
        if r + AHEAD < holders.size:   # the cache lines of a holder a few rows on, fetched ahead of use
            prefetch(in_pond, holders[r + AHEAD])
            prefetch(slot, holders[r + AHEAD] + offset)
        if is_saver[r]:
            i = holders[r]
            if in_pond[i]:
                s, used = today_row(i + offset, slot, row_of, rows, used)
                if s < 0:
                    return used, r
                pull = np.float32(goal_pull(float(points[r]), price, appeal, goal_effect))
                rows[s, column] = rows[s, column] + pull
                written[0] += 1
    return used, holders.size


@compiled(inline=True)
def _gain(i, r, gained, points, is_saver, new_savers, counts):
    """Customer i (row r of the sparse fields) gains ``gained`` points (float32, added in float32);
    one who held none becomes a saver, listed in ``new_savers`` (``counts[1]`` of them)."""
    points[r] = points[r] + gained
    if not is_saver[r]:
        is_saver[r] = True
        new_savers[counts[1]] = i
        counts[1] += 1


@compiled
def welcome(pond, slot, row_of, used, seen, points, is_saver, welcome_points, counts, new_savers, start):
    """Each pond member not seen before (``seen``, in pond order) is seen and given
    ``welcome_points`` (float32); those who held no points become savers (``is_saver``), listed in
    ``new_savers``. ``counts``: [members welcomed, new savers] (``SparseState.write``)."""
    for j in range(start, pond.size):
        i = pond[j]
        r = slot[i]
        if r >= 0 and seen[r]:
            continue
        r, used = sparse_row(i, slot, row_of, used)
        if r < 0:
            return used, j
        seen[r] = True
        counts[0] += 1
        _gain(i, r, welcome_points, points, is_saver, new_savers, counts)
    return used, pond.size


@compiled
def earn(idx, slot, row_of, used, amount, discount, in_pond, per_cny, points, is_saver, earned, counts, new_savers,
         start):
    """Today's orders (customer ``idx[j]`` paid ``amount[j] - discount[j]``): each pond member's
    earn ``per_cny`` points a yuan (float64, listed in ``earned``), added to their points in order
    (float32, as numpy's ``add.at``); buyers who held no points become savers (``is_saver``), listed
    in ``new_savers`` in the order of their first order. ``counts``: [orders earning, new savers]
    (``SparseState.write``)."""
    for j in range(start, idx.size):
        i = idx[j]
        if not in_pond[i]:
            continue
        r, used = sparse_row(i, slot, row_of, used)
        if r < 0:
            return used, j
        e = (amount[j] - discount[j]) * per_cny
        earned[counts[0]] = e
        counts[0] += 1
        _gain(i, r, np.float32(e), points, is_saver, new_savers, counts)
    return used, idx.size


@compiled
def redeem(savers, slot, points, cheapest, in_pond, keys, block, chance, price, out_idx, out_choice):
    """The points programme's redemptions: of the savers (in their order) in the pond who hold at
    least ``cheapest`` points, those whose keyed uniform (``keyed_uniform``, as ``Keyed.uniform``
    draws it) is below ``chance`` redeem the first gift of ``price`` (most appealing first) they
    can afford, its points taken off (float32). Writes the redeemers into ``out_idx`` and their
    gifts into ``out_choice``; returns (how many could afford one, how many redeemed)."""
    can = 0
    n = 0
    for j in range(savers.size):
        if j + AHEAD < savers.size:
            prefetch(slot, savers[j + AHEAD])
            prefetch(in_pond, savers[j + AHEAD])
        i = savers[j]
        r = slot[i]
        if points[r] >= cheapest and in_pond[i]:
            can += 1
            if keyed_uniform(keys, block, i) < chance:
                k = 0
                while points[r] < price[k]:
                    k += 1
                points[r] = points[r] - np.float32(price[k])   # (a float32 field, as numpy's -= of float32)
                out_idx[n] = i
                out_choice[n] = k
                n += 1
    return can, n


@compiled
def ladder_buyers(buyers, slot, row_of, used, in_pond, step, due, due_day, n_down, n_all, out_idx, out_step, queued,
                  start):
    """The coupon ladder's pass over today's buyers (ascending; ``step`` and ``due`` the rows of
    sparse fields, ``SparseState.write``): a pond member on the ladder (step 1 .. ``n_all`` - 1) is
    queued for the next step up (after the steps down, the first up step), one off it (or past
    its last up step) goes back to step 0; every buyer in the pond falls due ``due_day``.
    ``queued[0]``: how many are queued in ``out_idx`` / ``out_step``."""
    for j in range(start, buyers.size):
        i = buyers[j]
        if not in_pond[i]:
            continue
        r, used = sparse_row(i, slot, row_of, used)
        if r < 0:
            return used, j
        s = np.int64(step[r])
        if s >= 1 and s < n_all:
            nxt = n_down + 1 if s <= n_down else s + 1
            out_idx[queued[0]] = i
            out_step[queued[0]] = nxt
            queued[0] += 1
            step[r] = nxt
        else:
            step[r] = 0
        due[r] = due_day
    return used, buyers.size


@compiled
def ladder_due(pond, slot, row_of, used, step, due, day, first_due, step_due, never, no_step, n_down, out_idx, out_step,
               queued, start):
    """The coupon ladder's pass over the pond (ascending; ``step`` and ``due`` the rows of sparse
    fields, ``SparseState.write``): a member not seen before (``never``) falls due ``first_due``; a
    member due by ``day`` is queued for their next step down (the first, or one deeper) and falls
    due ``step_due`` (``no_step`` from the deepest step). ``queued[0]``: how many are queued in
    ``out_idx`` / ``out_step``."""
    for j in range(start, pond.size):
        i = pond[j]
        r, used = sparse_row(i, slot, row_of, used)
        if r < 0:
            return used, j
        if due[r] == never:
            due[r] = first_due
        elif due[r] <= day:
            s = np.int64(step[r])
            nxt = 1 if s == 0 or s > n_down else s + 1
            out_idx[queued[0]] = i
            out_step[queued[0]] = nxt
            queued[0] += 1
            step[r] = nxt
            due[r] = step_due if nxt < n_down else no_step
    return used, pond.size
