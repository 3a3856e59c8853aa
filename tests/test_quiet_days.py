"""A day-invariant run visits a customer only on the days a clock runs out (simlib/quiet_days.py):
the run is the one a daily visit gives, alone or in a batch, the state at its end is the one a
daily visit leaves, and most customers are left alone on most days."""

import numpy as np
import pandas as pd
import pytest

import simlib
from simlib.behavior import Behavior
from simlib.engine import Sim
from simlib.population import LOST
from simlib.quiet_days import NOT_DUE

# pond members who leave at a hazard of their own (the pond clock), buyers who churn and
# reorder, customers in every stage at day 0
MIXED = {"market.users": 2000, "market.days": 80, "market.initial_in_pond": 0.3,
         "market.initial_stage": {"aware": 0.2, "interested": 0.2, "purchased": 0.1, "loyal": 0.1},
         "behavior.unsubscribe_per_day": 0.02, "behavior.drift_per_day": 0.0, "traits.lifetime_hazard_per_day": {"dist": "constant", "value": 0.003}}


def _same(a, b):
    pd.testing.assert_frame_equal(a.daily, b.daily, check_exact=True)
    for key, value in a.summary.items():
        assert b.summary[key] == value or (value != value and b.summary[key] != b.summary[key]), key


def _daily_sim(scenario, seed, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(Behavior, "day_invariant", lambda self, policies: False)
        sim = Sim(scenario, seed=seed)
    assert sim.step.held is None
    return sim


def test_visits_on_due_days_leave_the_state_a_daily_visit_leaves(monkeypatch):
    scenario = simlib.load_scenario("classic_ctmc").override(MIXED)
    quiet = Sim(scenario, seed=2)
    assert quiet.step.calendar is not None
    daily = _daily_sim(scenario, 2, monkeypatch)
    _same(quiet.run(), daily.run())
    q, d = quiet.pop, daily.pop
    for name in ("stage", "orders", "moves", "in_pond", "left_pond", "first_purchase_day", "last_purchase_day"):
        np.testing.assert_array_equal(getattr(q, name), getattr(d, name), err_msg=name)
    # brought up to the end in one step instead of day by day: the same up to float32 rounding
    # (half a unit in the last place of a clock near 1, 6e-8, a day: under 1e-5 in 80 days)
    for name in ("trust", "stage_clock", "purchase_clock", "pond_clock"):
        np.testing.assert_allclose(getattr(q, name), getattr(d, name), rtol=1e-5, atol=1e-5, err_msg=name)
    assert q.in_pond.sum() < d.in_pond.size * 0.3        # members did leave on their pond clocks
    assert (q.stage == 0).sum() < 0.4 * q.n              # the unaware did become aware


def test_a_batch_of_day_invariant_replications_gives_each_run_alone():
    batch = simlib.run_batch("classic_bgnbd", seeds=[3, 4], users=1500, days=60)
    for seed, result in zip([3, 4], batch):
        _same(result, simlib.run("classic_bgnbd", seed=seed, users=1500, days=60))


def test_most_customers_are_left_alone_on_most_days():
    sim = Sim(simlib.load_scenario("classic_ctmc").override(
        {"market.users": 5000, "market.days": 60,
         "traits.lifetime_hazard_per_day": {"dist": "constant", "value": 0.01}}), seed=1)
    world, (since, due) = sim.world, sim.step.calendar
    visited = []
    for day in range(40):
        world.today.reset()
        before = since.copy()
        sim.step.run(day)
        visited.append(np.count_nonzero(since != before))
    assert visited[0] == 5000                            # day 0: everyone, to set their due day
    assert max(visited[10:]) < 0.15 * 5000               # later: only those whose clock runs out
    lost = sim.pop.stage == LOST
    assert lost.any() and (due[lost] == NOT_DUE).all()  # a lost customer is never visited again


def test_the_visited_fields_are_one_record_a_customer():
    sim = Sim(simlib.load_scenario("classic_ctmc").override({"market.users": 500, "market.days": 5}), seed=0)
    pop = sim.pop
    for name in ("stage_clock", "purchase_clock", "trust", "orders", "stage", "channel"):
        values = getattr(pop, name)
        assert values.strides == (80,), name               # a customer's fields 80 bytes apart: two lines
        assert np.may_share_memory(values, pop.stage_clock), name   # one buffer
    address = pop.stage_clock.__array_interface__["data"][0]
    assert pop.channel.__array_interface__["data"][0] - address < 80   # the first and last field of a record
    fresh = Sim(simlib.load_scenario("baseline").override({"market.users": 500, "market.days": 5}), seed=0)
    assert fresh.pop.stage_clock.strides == (4,)            # a run with policies keeps its arrays as they are
