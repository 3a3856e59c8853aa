"""The compact per-customer state: today's sparse inputs read and write like full arrays, and a
held coupon is a kind in a table (terms and source) rather than four arrays."""

import numpy as np
import pytest

from simlib.coupons import MAX_KINDS, Coupons
from simlib.today import FIRST_ROWS, Today


def test_sparse_inputs_behave_like_full_arrays_across_growth_views_and_days():
    n = 10 * FIRST_ROWS
    today, dense = Today(n, 1, reps=2), np.zeros(n, np.float32)
    rng = np.random.default_rng(5)
    for _ in range(4):                                   # more customers than the first table holds
        idx = rng.integers(0, n, 3 * FIRST_ROWS)         # with repeats, as numpy's a[idx] += v sees them
        v = rng.random(idx.size).astype(np.float32)
        today.touch("useful")[idx] += v
        dense[idx] += v
    view = today.view(1, n // 2, n)                      # replication 1: its customers from 0
    local = np.arange(0, n // 2, 7)
    view.touch("useful")[local] += np.float32(0.5)
    dense[local + n // 2] += np.float32(0.5)
    assert np.array_equal(today.useful[np.arange(n)], dense)
    assert np.array_equal(view.useful[local], dense[local + n // 2])
    today.touch("chat")[[3, 4]] = True
    assert today.chat[[2, 3, 4]].tolist() == [False, True, True]
    assert today.touched("useful") and not today.touched("load")
    today.reset()                                        # the next day: every input 0 again
    assert not today.useful[np.arange(n)].any() and np.all(today.slot == -1) and today.used == 0


def test_todays_table_grows_to_the_customers_touched_not_the_touches():
    """A day touching the same customers again gives them no new rows, so the table (a peak the
    run's memory carries) stays the size of the day's customers; it grows by a quarter, not double."""
    n = 10 * FIRST_ROWS
    today = Today(n, 1)
    pond = np.arange(0, n, 16)[: FIRST_ROWS * 3 // 4]
    for name in ("useful", "load", "chat", "discount_depth"):   # four policies, the same members
        today.touch(name)[pond] = 1
    assert today.rows.shape[0] == FIRST_ROWS and today.used == pond.size
    more = np.arange(1, n, 4)[:FIRST_ROWS]                      # now more customers than fit
    today.touch("useful")[more] += np.float32(2.0)
    assert today.used == pond.size + more.size
    assert today.rows.shape[0] == today.used < 2 * FIRST_ROWS
    assert today.useful[pond].tolist() == [1.0] * pond.size and today.useful[more].tolist() == [2.0] * more.size
    assert today.chat[pond].all() and not today.chat[more].any()


def test_a_held_coupon_is_a_kind_in_the_table():
    coupons = Coupons(np.full(6, 100.0, np.float32), order_sd_log=0.4)
    coupons.give([0, 1], day=0, source="ladder", off_share=0.2)
    coupons.give([1, 2], day=0, source="gift", off_cny=10.0, min_spend_cny=99.0)
    coupons.give([3], day=0, source="ladder", off_share=0.2)            # the same kind again: no new entry
    assert coupons.kind.tolist() == [1, 2, 2, 1, 0, 0]
    assert coupons.off_share.tolist() == pytest.approx([0.2, 0, 0, 0.2, 0, 0])
    assert coupons.min_spend_cny.tolist() == [0, 99, 99, 0, 0, 0]
    assert [coupons.sources[s] for s in coupons.source] == ["ladder", "gift", "gift", "ladder", "", ""]
    assert coupons.depth[0] == coupons.depth_of(0.2, 0.0, 0.0, [0])[0] > 0
    for k in range(MAX_KINDS - 2):
        coupons.give([5], day=0, source="ladder", off_cny=float(k + 1))
    with pytest.raises(RuntimeError, match="kinds of coupon"):
        coupons.give([5], day=0, source="ladder", off_cny=1000.0)


def test_a_count_at_its_cap_stops_the_run_with_an_error():
    """Orders and stage moves are uint16 (the precision budget, docs/architecture.md): a customer
    whose count would pass 65,535 stops the run with an error naming the cause, never a wrap."""
    import simlib
    from simlib.engine import Sim
    from simlib.errors import UserError
    from simlib.population import COUNT_CAP
    data = {"name": "busy", "market": {"users": 50, "days": 3, "channels": {"wechat": {"share": 1.0,
                                                                                        "word_of_mouth": 0.0}},
                                       "initial_stage": {"loyal": 1.0}},
            "traits": {"purchase_rate_per_day": {"dist": "constant", "value": 1.5}}, "policies": {}}
    sim = Sim(simlib.scenario_from_dict(data), seed=1)
    assert sim.pop.orders.dtype == np.uint16 and COUNT_CAP == 65535
    sim.pop.orders[:] = COUNT_CAP
    with pytest.raises(UserError, match="65,535 orders or stage moves"):
        sim.run()
