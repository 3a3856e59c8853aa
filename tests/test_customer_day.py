"""The compiled population step (simlib/customer_day.py): held hazards change nothing, full event
buffers change nothing, a day that never ends is a clear error, and a customer's draws are the
keyed ones whatever else happens."""

import numpy as np
import pandas as pd
import pytest
from scipy import special

import simlib
import simlib.dynamics as dynamics
from simlib.behavior import Behavior
from simlib.customer_day import ROOM_PER_CUSTOMER, new_events
from simlib.engine import Sim
from simlib.errors import UserError
from simlib.rng import Keyed, normal_quantile


def _same(a, b):
    pd.testing.assert_frame_equal(a.daily, b.daily, check_exact=True)
    for key, value in a.summary.items():
        assert b.summary[key] == value or (value != value and b.summary[key] != b.summary[key]), key


@pytest.mark.parametrize("name", ["classic_ctmc", "classic_bgnbd", "classic_pareto_nbd"])
def test_held_hazards_give_the_numbers_of_hazards_recomputed_daily(name, monkeypatch):
    """A run without policies or day-varying terms holds each customer's hazards between their
    events; recomputing them every day must give the same run, bit for bit."""
    sim = Sim(simlib.load_scenario(name).override({"market.users": 3000, "market.days": 90}), seed=4)
    assert sim.step.held is not None                  # these runs are recognised as day-invariant
    held = sim.run()
    monkeypatch.setattr(Behavior, "day_invariant", lambda self, policies: False)
    daily = Sim(simlib.load_scenario(name).override({"market.users": 3000, "market.days": 90}), seed=4)
    assert daily.step.held is None
    _same(held, daily.run())
    assert held.summary["purchases"] > 0


def test_runs_with_policies_or_moving_terms_recompute_hazards_daily():
    assert Sim(simlib.load_scenario("baseline").override({"market.users": 500, "market.days": 2})).step.held is None
    trust = simlib.load_scenario("classic_ctmc").override({"market.users": 500, "market.days": 2,
                                                           "behavior.trust_effect": 0.5})
    assert Sim(trust).step.held is None


def test_full_event_buffers_grow_without_changing_a_number(monkeypatch):
    """Buffers with room for one customer's day at a time force the step to stop, grow them and
    go on from where it stopped, many times a day."""
    kw = dict(seed=5, users=4000, days=60, record_transactions=True)
    roomy = simlib.run("coupon_ladder", **kw)
    calls = []

    def tight_first(capacity, reps):            # the first buffers have room for one customer's day
        calls.append(capacity)
        return new_events(ROOM_PER_CUSTOMER + 2 if len(calls) == 1 else capacity, reps)
    monkeypatch.setattr(dynamics, "new_events", tight_first)
    tight = simlib.run("coupon_ladder", **kw)
    _same(roomy, tight)
    pd.testing.assert_frame_equal(roomy.transactions, tight.transactions, check_exact=True)
    assert len(calls) >= 2                       # the buffers did fill up and grow


def test_a_day_with_endless_events_is_a_clear_error():
    sc = simlib.load_scenario("classic_ctmc").override({"market.users": 200, "market.days": 3,
                                                        "behavior.awareness_per_day": 1e6,
                                                        "behavior.forget_per_day": 1e6})
    with pytest.raises(UserError, match="events in one day"):
        simlib.run(sc)


def test_each_order_value_is_the_customers_own_keyed_draw():
    """Customer i's k-th order is worth basket x exp(sd z - sd^2 / 2), z the normal quantile of
    their k-th keyed uniform of "order_value": the same in every arm, whenever it happens."""
    sim = Sim(simlib.load_scenario("baseline").override({"market.users": 3000, "market.days": 120}), seed=8,
              record_transactions=True)
    tx = sim.run().transactions
    first = tx.drop_duplicates("customer_id")          # each buyer's first order of the run
    idx = first["customer_id"].to_numpy()
    sd = sim.scenario.data["behavior"]["order_value_sd_log"]
    z = special.ndtri(Keyed(8).uniform_nth("order_value", idx, sim.pop.initial_orders[idx]))
    expected = sim.pop.basket_value_cny[idx].astype(np.float64) * np.exp(sd * z - sd * sd / 2)
    assert first["amount_cny"].to_numpy() == pytest.approx(expected, rel=1e-12)


def test_the_normal_quantile_matches_scipy_to_the_last_digits():
    u = np.concatenate([np.linspace(1e-12, 1 - 1e-12, 20_001), np.logspace(-300, -2, 300), 1 - np.logspace(-16, -2, 100)])
    ours = np.array([normal_quantile(v) for v in u])
    assert np.allclose(ours, special.ndtri(u), rtol=1e-14, atol=1e-13)


def test_in_cache_tells_whether_the_machine_code_is_on_disk(tmp_path, monkeypatch):
    """``simlib compile`` and the note before a first run rest on ``in_cache``: False for a
    cached function never called, True once its first call has written the machine code."""
    import importlib
    from simlib.compiled import in_cache
    (tmp_path / "fresh_module.py").write_text("from numba import njit\n\n@njit(cache=True)\n"
                                              "def twice(x):\n    return 2 * x\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    fresh = importlib.import_module("fresh_module")
    assert not in_cache(fresh.twice)
    assert fresh.twice(3) == 6
    assert in_cache(fresh.twice)


def test_simlib_compile_leaves_the_step_cached(capsys):
    from simlib.cli.main import main
    from simlib.run import step_compiled
    assert main(["compile"]) == 0
    assert step_compiled()
    assert "cached" in capsys.readouterr().out
