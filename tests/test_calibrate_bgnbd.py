"""BG/NBD in days: the likelihood and predictions against closed forms and direct integration,
and parameter recovery on logs simulated from known parameters (and from the engine)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, special, stats

import simlib
from simlib.calibrate.bgnbd import (conditional_expected, expected_repeat, fit_bgnbd, log_likelihood,
                                    probability_alive)
from simlib.calibrate.report import calibrate_log
from simlib.calibrate.synthetic import simulate_repeat_buying
from simlib.calibrate.transactions import summarize, transactions_from_frame

TRUTH = (0.6, 30.0, 1.2, 4.0)  # r, alpha (days), a, b
NAMES = ("r", "alpha", "a", "b")


def fader_hardie_conditional(params, x, t_x, T, t):
    """Fader, Hardie & Lee (2005) eq. (10), with their P(alive) (continuous time)."""
    r, alpha, a, b = params
    hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
    body = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp)
    return body / (1 + (x > 0) * a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))


def direct_likelihood(params, x, t_x, T, daily):
    """The individual likelihood integrated numerically over lambda ~ Gamma and p ~ Beta
    (the two integrals separate within each of the 'alive' and 'dropped out' terms)."""
    r, alpha, a, b = params

    def over_lambda(gap):
        def f(lam):
            buy = -np.expm1(-lam) if daily else lam
            return buy**x * np.exp(-lam * gap) * stats.gamma.pdf(lam, r, scale=1 / alpha)
        return sum(integrate.quad(f, lo, hi, limit=200, epsabs=0, epsrel=1e-11)[0]
                   for lo, hi in ((0, 0.01), (0.01, 0.2), (0.2, 2.0), (2.0, np.inf)))

    def over_p(f):
        return integrate.quad(lambda p: f(p) * stats.beta.pdf(p, a, b), 0, 1, epsabs=0, epsrel=1e-11)[0]

    gap_T, gap_t = (T - x, t_x - x) if daily else (T, t_x)
    value = over_lambda(gap_T) * over_p(lambda p: (1 - p) ** x)
    if x > 0:
        value += over_lambda(gap_t) * over_p(lambda p: p * (1 - p) ** (x - 1))
    return np.log(value)


@pytest.mark.parametrize("daily", [False, True])
@pytest.mark.parametrize("x, t_x, T", [(0, 0, 100), (1, 20, 100), (4, 80, 150), (9, 140, 160)])
def test_likelihood_matches_direct_integration(daily, x, t_x, T):
    model = "daily" if daily else "continuous"
    got = log_likelihood(TRUTH, [x], [t_x], [T], time_model=model)[0]
    assert got == pytest.approx(direct_likelihood(TRUTH, x, t_x, T, daily), abs=2e-5)


def test_conditional_expectation_matches_closed_form():
    x = np.array([0, 1, 3, 8, 25.0])
    t_x = np.array([0, 30, 60, 200, 230.0])
    T = np.array([90, 200, 250, 210, 240.0])
    for t in (7, 60, 365):
        got = conditional_expected(TRUTH, x, t_x, T, t, time_model="continuous")
        np.testing.assert_allclose(got, fader_hardie_conditional(TRUTH, x, t_x, T, t), rtol=1e-9)


def test_expected_repeat_matches_closed_form():
    r, alpha, a, b = TRUTH
    t = np.array([1.0, 30, 365, 2000])
    closed = (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * special.hyp2f1(r, b, a + b - 1, t / (alpha + t)))
    np.testing.assert_allclose(expected_repeat(TRUTH, t, time_model="continuous"), closed, rtol=1e-6)


def test_daily_model_expectations_match_simulation():
    rng = np.random.default_rng(11)
    n, horizon = 40_000, 120
    occ = simulate_repeat_buying(rng, np.zeros(n, np.int64), horizon, *TRUTH, time_model="daily")
    repeats = (len(occ) - n) / n
    per_customer = np.bincount(occ["customer_id"].str[1:].astype(int), minlength=n) - 1
    se = per_customer.std() / np.sqrt(n)
    assert abs(repeats - expected_repeat(TRUTH, horizon)[0]) < 4 * se
    # a day holds at most one purchase, so the daily model predicts fewer than the continuous one
    assert expected_repeat(TRUTH, horizon)[0] < expected_repeat(TRUTH, horizon, time_model="continuous")[0]


def test_probability_alive_limits():
    # no repeat purchase: certainly alive under BG/NBD; a long silence after many purchases: likely gone
    assert probability_alive(TRUTH, [0], [0], [300])[0] == pytest.approx(1.0)
    assert probability_alive(TRUTH, [10], [50], [400])[0] < 0.05
    assert probability_alive(TRUTH, [10], [399], [400])[0] > 0.9
    # with dropout after the first purchase too, a silent one-time buyer may be gone
    assert probability_alive(TRUTH, [0], [0], [300], dropout_at_first_purchase=True)[0] < 0.9


def _synthetic(seed, n, time_model="daily", first_purchase_dropout=False):
    rng = np.random.default_rng(seed)
    first = rng.integers(0, 90, n)
    occ = simulate_repeat_buying(rng, first, 450, *TRUTH, time_model=time_model,
                                 dropout_at_first_purchase=first_purchase_dropout)
    return transactions_from_frame(occ, source=f"synthetic seed {seed}")


def test_recovers_known_parameters_and_predicts_holdout():
    cal = calibrate_log(_synthetic(seed=3, n=4000), calibration_end=270, holdout_end=450, process="bgnbd-daily")
    table = cal.fit.table()
    for name, truth in zip(NAMES, TRUTH):
        est, se = table.loc[name, "estimate"], table.loc[name, "std_error"]
        assert abs(est - truth) < 3 * se, (name, est, se, truth)
        assert table.loc[name, "lower"] < est < table.loc[name, "upper"]
    assert abs(cal.check["z"]) < 3, cal.check
    assert abs(cal.check["relative_difference"]) < 0.06
    # the conditional expectations rise with calibration frequency, as the actuals do
    assert np.all(np.diff(cal.by_frequency["predicted"].to_numpy()[1:]) > 0)


def test_interval_coverage_over_repeated_trials():
    trials, n = 8, 1500
    covered = np.zeros(4)
    for seed in range(trials):
        log = _synthetic(seed=100 + seed, n=n)
        c = summarize(log, 270).customers
        table = fit_bgnbd(c["frequency"], c["recency"], c["age"]).table()
        covered += [(table.loc[k, "lower"] <= v <= table.loc[k, "upper"]) for k, v in zip(NAMES, TRUTH)]
    # nominal 95 %: fewer than 6 of 8 has probability < 0.006 for each parameter
    assert np.all(covered >= 6), dict(zip(NAMES, covered))


def test_first_purchase_dropout_variant_recovers_its_parameters():
    log = _synthetic(seed=7, n=4000, first_purchase_dropout=True)
    c = summarize(log, 270).customers
    fit = fit_bgnbd(c["frequency"], c["recency"], c["age"], dropout_at_first_purchase=True)
    table = fit.table()
    for name, truth in zip(NAMES, TRUTH):
        assert abs(table.loc[name, "estimate"] - truth) < 3 * table.loc[name, "std_error"], name
    plain = fit_bgnbd(c["frequency"], c["recency"], c["age"])
    assert fit.log_likelihood > plain.log_likelihood  # the right model fits better


ENGINE_TRUTH = {"r": 0.6, "scale": 0.04, "a": 1.2, "b": 4.0, "mean_log": 4.2, "sd_log": 0.5}


def test_engine_transaction_log_fits_back_to_the_scenario():
    sc = simlib.scenario_from_dict({
        "name": "bgnbd_acquired",
        "market": {"users": 3000, "days": 420, "channels": {"market": {"share": 1.0, "word_of_mouth": 0.0}},
                   "initial_stage": {"interested": 1.0}},
        "traits": {
            "purchase_rate_per_day": {"dist": "gamma", "shape": ENGINE_TRUTH["r"], "scale": ENGINE_TRUTH["scale"]},
            "dropout_after_purchase": {"dist": "beta", "a": ENGINE_TRUTH["a"], "b": ENGINE_TRUTH["b"]},
            "lifetime_hazard_per_day": {"dist": "constant", "value": 0.0},
            "basket_value_cny": {"dist": "lognormal", "mean_log": ENGINE_TRUTH["mean_log"],
                                 "sd_log": ENGINE_TRUTH["sd_log"]}},
        "behavior": {"awareness_per_day": 0.0, "word_of_mouth_per_day": 0.0, "first_purchase_per_day": 0.02,
                     "lose_interest_per_day": 0.0, "dormancy_per_day": 0.0, "unsubscribe_per_day": 0.0,
                     "trust_effect": 0.0, "social_proof_effect": 0.0, "retention_trust_effect": 0.0,
                     "order_value_sd_log": 0.0},
    })
    res = simlib.run(sc, seed=1, record_transactions=True)
    cal = calibrate_log(transactions_from_frame(res.transactions), calibration_end=279, holdout_end=419,
                        process="bgnbd-daily")
    table = cal.fit.table()
    for name in ("r", "scale", "a", "b"):
        est, se = table.loc[name, "estimate"], table.loc[name, "std_error"]
        assert abs(est - ENGINE_TRUTH[name]) < 3 * se, (name, est, se)
    assert abs(cal.check["z"]) < 3
    # basket: per-order value is the customer's trait; same-day orders summed bias it by ~1 %
    assert abs(cal.spend.mean_log - ENGINE_TRUTH["mean_log"]) < 0.05
    assert abs(cal.spend.sd_log - ENGINE_TRUTH["sd_log"]) < 0.03
