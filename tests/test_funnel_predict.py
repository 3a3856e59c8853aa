"""A funnel fit's holdout, its prediction band for a budget plan, the identification flags and the
p-value statement, on small engine-made markets (seconds each)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simlib
from simlib.calibrate.funnel import fit_funnel
from simlib.calibrate.funnel_data import read_funnel, with_holdout
from simlib.calibrate.funnel_example import weekly_counts as weekly

FAST = {"omega_runs": 8, "jacobian_runs": 3, "max_iter": 6}


def small_market(users=4000, name="baseline"):
    """A preset at a few thousand customers who are the whole market (budgets buy reach among them)."""
    return simlib.load_scenario(name).override({"market.users": users, "market.represents": users})


def test_held_out_weeks_are_predicted_near_and_inside_their_band(tmp_path):
    truth = {"behavior.interest_per_day": 0.035, "behavior.first_purchase_per_day": 0.05}   # start 0.05, 0.04
    source = simlib.load_scenario("classic_ctmc").override(truth)
    frame = weekly(simlib.run(source, seed=21, users=5000, days=56).daily, 8)
    frame.to_csv(tmp_path / "chain.csv", index=False)
    data = with_holdout(read_funnel(tmp_path / "chain.csv"), weeks=3)
    fit = fit_funnel(data, simlib.load_scenario("classic_ctmc"), keys=list(truth), seed=2, **FAST)
    assert fit.observed["period"].max() == 5          # the held-out weeks are not fitted
    held = fit.predict(draws=20)
    assert held.predicted == [6, 7, 8]
    table = fit.table()
    for key, value in truth.items():
        assert table.loc[key, "lower"] <= value <= table.loc[key, "upper"], (key, table.loc[key].to_dict())
    for column in ("interested", "purchased", "new_interested", "new_buyers"):
        row = held.totals.loc[column]
        assert abs(row["error"]) < 0.2, (column, row.to_dict())
        # one market's noise plus the fit's: within two half-widths of the band (20 draws) of its mean
        assert abs(row["observed"] - row["predicted"]) <= (row["upper"] - row["lower"]), (column, row.to_dict())
    assert "Held out, weeks 6-8" in held.describe() and "the band" in held.describe()
    paths = held.write(tmp_path / "out", "funnel_holdout")
    assert pd.read_csv(paths[0])["in_prediction"].sum() == 3


def test_a_budget_plan_predicts_more_leads_when_it_doubles_the_budget(tmp_path):
    market = small_market()
    spend = 7 * 1000 * np.array([0.6, 1.4, 0.8, 1.2, 0.7, 1.3])
    source = market.override({"policies.douyin_ads.schedule": [
        {"from_day": 7 * w, "to_day": 7 * w + 6, "budget_cny_per_day": float(v / 7)} for w, v in enumerate(spend)]})
    frame = weekly(simlib.run(source, seed=8, days=42).daily, 6)
    frame["ad_spend_cny.douyin_ads"] = spend
    frame["ad_spend_cny.search_ads"] = 7 * 500.0
    frame.to_csv(tmp_path / "f.csv", index=False)
    keys = ["douyin_ads.awareness_per_impression", "interest_per_day"]
    fit = fit_funnel(read_funnel(tmp_path / "f.csv"), market, keys=keys, seed=1, **FAST)
    same = fit.predict(market, weeks=4, draws=12)
    double = fit.predict(market.override({"policies.douyin_ads.schedule": [
        {"from_day": 42, "budget_cny_per_day": 2800.0}]}), weeks=4, draws=12)
    assert same.predicted == double.predicted == [7, 8, 9, 10]
    for column in ("new_interested", "aware"):
        assert double.totals.loc[column, "predicted"] > same.totals.loc[column, "predicted"]
        low, middle, high = double.totals.loc[column, ["lower", "predicted", "upper"]]
        assert low <= middle <= high and high > low
    # weeks 1-6 are the data's own spend in both plans: the same draws give the same first weeks
    first = double.periods[~double.periods["in_prediction"]]
    assert np.allclose(first["aware_predicted"], same.periods[~same.periods["in_prediction"]]["aware_predicted"])
    assert any("douyin_ads spends up to 2,800" in n and "extrapolates" in n for n in double.notes)
    assert not any("douyin_ads" in n for n in same.notes)


def test_a_parameter_no_column_responds_to_is_flagged_and_no_wide_interval_goes_unflagged(tmp_path):
    chain = small_market(3000, "classic_ctmc")   # not every stage counted: the market size is the scenario's
    frame = weekly(simlib.run(chain, seed=4, days=42).daily, 6, ("unaware", "aware"))
    frame.to_csv(tmp_path / "top.csv", index=False)
    fit = fit_funnel(read_funnel(tmp_path / "top.csv"), chain,
                     keys=["awareness_per_day", "behavior.dormancy_per_day", "first_purchase_per_day"], **FAST)
    table = fit.table()
    assert not table.loc["behavior.dormancy_per_day", "identified"]
    assert table.loc["behavior.awareness_per_day", "identified"]
    text = fit.describe()
    assert "behavior.dormancy_per_day: not identified" in text
    for key, row in table.iterrows():   # an interval spanning orders of magnitude always carries a flag
        if not row["upper"] <= 100 * row["lower"]:
            assert not row["identified"] or row["could_be_zero"], (key, row.to_dict())
            line = next(line for line in text.splitlines() if line.strip().startswith(key))
            assert "NOT IDENTIFIED" in line or "could be 0" in line, line


def test_the_p_value_says_when_it_sits_at_its_floor_and_a_parametric_one_goes_below(tmp_path):
    truth = small_market(5000, "classic_ctmc")
    frame = weekly(simlib.run(truth, seed=6, days=56).daily, 8, ("unaware", "aware", "interested"))
    frame.to_csv(tmp_path / "chain.csv", index=False)
    wrong = truth.override({"behavior.forget_per_day": 0.08})   # forgetting 8x too fast, fixed
    fit = fit_funnel(read_funnel(tmp_path / "chain.csv"), wrong, keys=["interest_per_day"],
                     **{**FAST, "omega_runs": 19})
    assert fit.p_value == pytest.approx(fit.p_value_floor) == pytest.approx(1 / 20)
    assert "the smallest 19 runs allow" in fit.describe() and "p <= 0.05" in fit.describe()
    assert fit.uncertainty.p_value_chi2 < 0.001
    right = fit_funnel(read_funnel(tmp_path / "chain.csv"), truth, keys=["interest_per_day"],
                       **{**FAST, "omega_runs": 19})
    assert right.p_value > 0.05 and "smallest" not in right.describe()


def test_the_covariance_file_is_what_compare_uncertain_reads(tmp_path):
    frame = weekly(simlib.run("classic_ctmc", seed=9, users=3000, days=42).daily, 6)
    frame.to_csv(tmp_path / "chain.csv", index=False)
    fit = fit_funnel(read_funnel(tmp_path / "chain.csv"), simlib.load_scenario("classic_ctmc"),
                     keys=["interest_per_day", "forget_per_day"], **FAST)
    fit.write(tmp_path / "out", plots=False)
    from simlib.experiment.uncertainty import load_uncertain
    uncertain = load_uncertain(str(tmp_path / "out" / "fitted_behavior.yaml"))
    assert uncertain.keys == ("behavior.interest_per_day", "behavior.forget_per_day")
    assert np.allclose(uncertain.mean, fit.estimates, rtol=1e-5)
    slope = fit.coords.slope(fit.estimates)
    assert np.allclose(uncertain.cov, fit.cov * np.outer(slope, slope))
