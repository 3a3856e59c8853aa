"""The incentives' compiled passes give what the numpy expressions they replace gave, value for
value, on random input (and through the growth of the rows they give as they go)."""

import numpy as np
import pytest

from simlib.policies.incentive_passes import add_pulls, earn, redeem, welcome
from simlib.rng import Keyed
from simlib.sparse_state import SparseState
from simlib.today import Today

PRICE = np.array([3000.0, 1200.0, 400.0])   # most appealing first, as PointsProgram sorts them
APPEAL = np.array([1.0, 0.6, 0.3])


def _fields(n, seed, capacity=None):
    """A sparse state with points / is_saver rows for random savers, some of them in the pond."""
    rng = np.random.default_rng(seed)
    state = SparseState(n)
    if capacity is not None:
        state._grow(capacity)    # rows for a few more customers than the savers: passes then grow them
    points, is_saver = state.add("points", np.float32, 0.0), state.add("is_saver", bool, False)
    savers = rng.permutation(n)[: n // 3].astype(np.int64)
    points[savers] = (rng.random(savers.size) * 4000).astype(np.float32)
    is_saver[savers] = True
    in_pond = rng.random(n) < 0.7
    return rng, state, points, is_saver, savers, in_pond


def _pull_numpy(held, goal_effect):
    return goal_effect * np.max(np.minimum(held[:, None] / PRICE, 1.0) * APPEAL, axis=1)


@pytest.mark.parametrize("seed", [0, 1])
def test_redeem_is_the_numpy_redemption(seed):
    n = 3000
    rng, state, points, is_saver, savers, in_pond = _fields(n, seed)
    keyed, day, chance = Keyed(seed + 5), 17, float(-np.expm1(-0.3))
    before = np.asarray(points).copy()
    # numpy: the affordable savers in the pond, a keyed draw each, the most appealing gift they can afford
    can = savers[(before[savers] >= PRICE.min()) & in_pond[savers]]
    go = can[keyed.uniform("points:redeem", day, can) < chance]
    choice = np.full(go.size, -1)
    for k in range(PRICE.size):
        choice[(choice < 0) & (before[go] >= PRICE[k])] = k
    after = before.copy()
    after[go] -= PRICE[choice].astype(np.float32)

    out_idx, out_choice = np.empty(savers.size, np.int64), np.empty(savers.size, np.int64)
    keys, block = keyed.day_keys("points:redeem", day)
    n_can, n_go = redeem(savers, state.slot, points.values, float(PRICE.min()), in_pond, keys, block, chance, PRICE,
                         out_idx, out_choice)
    assert n_can == can.size and 0 < n_go < n_can
    assert np.array_equal(out_idx[:n_go], go) and np.array_equal(out_choice[:n_go], choice)
    assert np.array_equal(np.asarray(points), after)


def test_pulls_added_to_today_are_the_numpy_pulls_added():
    n, offset, goal = 4000, 4000, 0.25
    rng, state, points, is_saver, savers, in_pond = _fields(n, 3)
    today = Today(2 * n, 1, reps=2)                   # 1024 rows at first: the pass grows the table
    view = today.view(1, offset, 2 * n)
    already = rng.permutation(n)[:500].astype(np.int64)
    view.touch("purchase_boost")[already] = rng.random(already.size).astype(np.float32)
    want = np.asarray(view.purchase_boost[np.arange(n)]).copy()
    saving = savers[in_pond[savers]]
    want[saving] += _pull_numpy(np.asarray(points)[saving].astype(np.float64), goal).astype(np.float32)

    written = np.zeros(1, np.int64)
    holders = state.row_of[:state.used]
    view.purchase_boost.write(add_pulls, holders, is_saver.values[:state.used], in_pond, points.values, PRICE, APPEAL,
                              goal, written)
    assert written[0] == saving.size and today.rows.shape[0] > 1024
    assert np.array_equal(view.purchase_boost[np.arange(n)], want)
    assert not today.purchase_boost[np.arange(offset)].any()   # the other replication untouched


@pytest.mark.parametrize("capacity", [None, 1200])
def test_earning_is_add_at_and_the_new_savers_are_the_buyers_without_points(capacity):
    n = 3000
    rng, state, points, is_saver, savers, in_pond = _fields(n, 4, capacity)
    idx = np.sort(rng.integers(0, n, 2000)).astype(np.int64)          # customers repeat: several orders
    amount = rng.lognormal(4, 0.6, idx.size)
    discount = amount * rng.random(idx.size) * (rng.random(idx.size) < 0.3)
    member = in_pond[idx]
    earned_numpy = (amount[member] - discount[member]) * 1.5
    points_numpy = np.asarray(points).copy()
    np.add.at(points_numpy, idx[member], earned_numpy.astype(np.float32))
    buyers = np.unique(idx[member])
    new_numpy = buyers[~np.asarray(is_saver)[buyers]]

    counts, earned, new = np.zeros(2, np.int64), np.empty(idx.size), np.empty(idx.size, np.int64)
    state.write(earn, idx, lambda: (amount, discount, in_pond, 1.5, points.values, is_saver.values, earned, counts,
                                    new))
    assert np.array_equal(earned[:counts[0]], earned_numpy)
    assert earned[:counts[0]].sum() == earned_numpy.sum()
    assert np.array_equal(np.sort(new[:counts[1]]), new_numpy) and new_numpy.size > 0
    assert np.array_equal(np.asarray(points), points_numpy)
    assert np.asarray(is_saver)[buyers].all()
    if capacity is not None:
        assert state.capacity > capacity   # the rows grew while the pass ran


def test_welcome_gives_points_to_members_not_seen_before():
    n = 3000
    rng, state, points, is_saver, savers, in_pond = _fields(n, 6, capacity=1100)
    seen = state.add("seen", bool, False)
    seen[rng.permutation(n)[:900].astype(np.int64)] = True
    pond = np.flatnonzero(in_pond)
    new_numpy = pond[~np.asarray(seen)[pond]]
    points_numpy = np.asarray(points).copy()
    points_numpy[new_numpy] += np.float32(100)
    savers_numpy = new_numpy[~np.asarray(is_saver)[new_numpy]]

    counts, new = np.zeros(2, np.int64), np.empty(pond.size, np.int64)
    state.write(welcome, pond, lambda: (seen.values, points.values, is_saver.values, np.float32(100), counts, new))
    assert counts[0] == new_numpy.size and np.array_equal(new[:counts[1]], savers_numpy)
    assert np.array_equal(np.asarray(points), points_numpy)
    assert np.asarray(seen)[pond].all() and np.asarray(is_saver)[new_numpy].all()
    assert state.capacity > 1100


def test_the_ladder_passes_are_the_numpy_ladder():
    """Buyers step up (or off), then the pond: the unseen fall due, the due step down; as the
    numpy expressions did it, through the growth of the rows."""
    from simlib.days import NEVER
    from simlib.policies.incentive_passes import ladder_buyers, ladder_due
    from simlib.policies.incentives import NO_STEP
    n, day, idle, step_days, n_down, n_all = 4000, 40, 30, 7, 3, 6
    rng = np.random.default_rng(8)
    state = SparseState(n)
    step, due = state.add("step", np.int8, 0), state.add("due", np.int16, NEVER)
    seen = rng.permutation(n)[:1000].astype(np.int64)
    step[seen] = rng.integers(0, n_all + 1, seen.size)
    due[seen] = np.where(rng.random(seen.size) < 0.1, NO_STEP, rng.integers(day - 10, day + 10, seen.size))
    in_pond = rng.random(n) < 0.6
    buyers = np.unique(rng.integers(0, n, 300))
    pond = np.flatnonzero(in_pond)
    # numpy, on full arrays
    s_full, d_full = np.asarray(step).astype(np.int64), np.asarray(due).astype(np.int64)
    b = buyers[in_pond[buyers]]
    s = s_full[b]
    laddered = (s >= 1) & (s < n_all)
    nxt = np.where(s <= n_down, n_down + 1, s + 1)
    want_idx, want_step = [b[laddered]], [nxt[laddered]]
    s_full[b], d_full[b] = np.where(laddered, nxt, 0), day + idle
    fresh = pond[d_full[pond] == NEVER]
    fire = pond[(d_full[pond] != NEVER) & (d_full[pond] <= day)]
    d_full[fresh] = day + idle
    s = s_full[fire]
    nxt = np.where((s == 0) | (s > n_down), 1, s + 1)
    want_idx.append(fire)
    want_step.append(nxt)
    s_full[fire], d_full[fire] = nxt, np.where(nxt < n_down, day + step_days, NO_STEP)

    idx, steps, queued = np.empty(buyers.size + pond.size, np.int64), np.empty(buyers.size + pond.size, np.int64), \
        np.zeros(1, np.int64)
    state.write(ladder_buyers, buyers, lambda: (in_pond, step.values, due.values, day + idle, n_down, n_all, idx,
                                                 steps, queued))
    state.write(ladder_due, pond, lambda: (step.values, due.values, day, day + idle, day + step_days, NEVER, NO_STEP,
                                           n_down, idx, steps, queued))
    assert np.array_equal(idx[:queued[0]], np.concatenate(want_idx)) and fire.size > 0 and laddered.any()
    assert np.array_equal(steps[:queued[0]], np.concatenate(want_step))
    assert np.array_equal(np.asarray(step), s_full) and np.array_equal(np.asarray(due), d_full)
    assert state.capacity > 1024
