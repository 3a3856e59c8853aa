"""Each purchase process the calibration fits, simulated by the engine from the fragment the
calibration writes, matches the process's own closed form: expected repeat purchases of a
customer whose first purchase is at day 0 (E[X(t)]), within sampling error at 40,000
customers. This ties what is fitted to what is simulated."""

import numpy as np
import pytest

import simlib
from simlib.calibrate.processes import ProcessFit, expected_purchases, get_process

N, DAYS = 40_000, 200
CASES = {
    "bgnbd": ({"r": 0.7, "alpha": 25.0, "a": 1.3, "b": 5.0}, 1),
    "mbgnbd": ({"r": 0.7, "alpha": 25.0, "a": 1.3, "b": 5.0}, 1),
    "pnbd": ({"r": 0.7, "alpha": 25.0, "s": 1.5, "beta": 300.0}, 1),
    "cnbd": ({"r": 1.2, "alpha": 30.0, "a": 1.3, "b": 5.0}, 3),
}


def market_of_new_buyers(fragment: dict) -> dict:
    """Everyone makes a first purchase at once on day 0 (an instant first-purchase hazard), then
    buys as the fragment says; nothing else happens (no marketing, no relationship effects)."""
    behavior = {"awareness_per_day": 0.0, "word_of_mouth_per_day": 0.0, "first_purchase_per_day": 1e6,
                "lose_interest_per_day": 0.0, "dormancy_per_day": 0.0, "dormant_loss_per_day": 0.0,
                "unsubscribe_per_day": 0.0, "trust_effect": 0.0, "retention_trust_effect": 0.0,
                "social_proof_effect": 0.0, "reference_price_loss_ratio": 0.0, "baseline_brand_share": 0.0,
                **fragment["behavior"]}
    return {"name": "process", "market": {"users": N, "days": DAYS, "initial_stage": {"interested": 1.0},
                                          "channels": {"m": {"share": 1.0, "word_of_mouth": 0.0}}},
            "traits": fragment["traits"], "behavior": behavior}


@pytest.mark.parametrize("name", list(CASES))
def test_the_engine_simulates_the_fitted_process(name):
    params, k = CASES[name]
    fit = ProcessFit(name, params, np.zeros((4, 4)), 0.0, 0, regularity=k)
    res = simlib.run(market_of_new_buyers(get_process(name).fragment(fit)), seed=13, record_transactions=True)
    tx = res.transactions
    first = tx.groupby("customer_id").day.min()
    assert (first == 0).all() and first.size == N          # everyone's first purchase is on day 0
    for t in (30, 90, DAYS - 1):
        repeats = np.bincount(tx.loc[tx.day <= t, "customer_id"], minlength=N) - 1   # all but the first
        # a purchase during day d happened before d + 1: the count by the end of day t is X(t + 1)
        expected = float(np.asarray(expected_purchases(fit, [t + 1])).ravel()[0])
        se = repeats.std() / np.sqrt(N)
        assert abs(repeats.mean() - expected) <= 4.5 * se + 0.003 * expected, (name, t, repeats.mean(), expected)
