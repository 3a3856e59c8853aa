"""`simlib calibrate transactions` on the shipped example: outputs, truth inside the intervals,
and a fragment that a scenario can extend."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
import yaml

import simlib
from conftest import ROOT, simlib_cli
from simlib.calibrate.spend import fit_spend
from simlib.calibrate.synthetic import simulate_repeat_buying

sys.path.insert(0, str(ROOT / "examples"))
from make_examples import TRUTH  # noqa: E402


def test_transactions_command_on_the_example(tmp_path):
    done = simlib_cli("calibrate", "transactions", "examples/transactions.csv", "--calibration-end", "2024-07-31",
                      "--customer-col", "member_id", "--date-col", "order_date", "--amount-col", "paid_cny",
                      "--out", tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Holdout check" in done.stdout and "predicted" in done.stdout
    for name in ("fitted_traits.yaml", "holdout.csv", "weekly_tracking.png", "holdout_by_frequency.png"):
        assert (tmp_path / name).exists(), name
    holdout = pd.read_csv(tmp_path / "holdout.csv")
    assert list(holdout.columns[:6]) == ["customer_id", "frequency", "recency", "age", "actual_holdout",
                                         "predicted_holdout"]
    assert holdout["customer_id"].is_unique and (holdout["recency"] <= holdout["age"]).all()
    params = pd.read_csv(tmp_path / "parameters.csv").set_index("parameter")
    for name in ("r", "alpha", "a", "b", "mean_log"):
        truth = TRUTH[name]
        assert params.loc[name, "lower"] <= truth <= params.loc[name, "upper"], (name, params.loc[name].tolist())
    # sd_log of the trait is the between-customer spread; the order-to-order spread is reported apart
    assert params.loc["sd_between", "lower"] <= TRUTH["sd_log"] <= params.loc["sd_between", "upper"]
    assert params.loc["sd_within", "lower"] <= TRUTH["order_sd_log"] <= params.loc["sd_within", "upper"]
    # every candidate is reported, and the fragment carries the chosen process in model-v2 keys
    comparison = pd.read_csv(tmp_path / "process_comparison.csv")
    assert set(comparison["process"]) == {"bgnbd-daily", "bgnbd", "mbgnbd", "pnbd", "cnbd"}
    chosen = comparison.loc[comparison["chosen"], "process"].item()
    assert chosen in ("bgnbd", "mbgnbd")   # the example was drawn from BG/NBD
    assert "Process selection" in done.stdout and "<- chosen" in done.stdout
    fragment = yaml.safe_load((tmp_path / "fitted_traits.yaml").read_text(encoding="utf-8"))
    traits = fragment["traits"]
    assert traits["purchase_rate_per_day"]["shape"] == pytest.approx(params.loc["r", "estimate"], rel=1e-5)
    assert traits["purchase_rate_per_day"]["scale"] == pytest.approx(1 / params.loc["alpha", "estimate"], rel=1e-5)
    assert traits["lifetime_hazard_per_day"] == {"dist": "constant", "value": 0}
    assert fragment["behavior"] == {"dropout_at_first_purchase": chosen == "mbgnbd", "purchase_regularity": 1,
                                    "order_value_sd_log": pytest.approx(params.loc["sd_within", "estimate"], rel=1e-5)}
    assert params.loc["sd_within", "sets"] == "behavior.order_value_sd_log"   # the engine draws the spread
    _extends_when_the_engine_reads_v2_keys(tmp_path, params)


def _extends_when_the_engine_reads_v2_keys(tmp_path, params):
    """A scenario extends the baseline with the fragment and runs on the calibrated market (model v2)."""
    scenario_file = tmp_path / "calibrated.yaml"
    scenario_file.write_text(f"name: calibrated\nextends: [{ROOT / 'scenarios' / 'baseline.yaml'}, "
                             f"{tmp_path / 'fitted_traits.yaml'}]\n", encoding="utf-8")
    try:
        sc = simlib.load_scenario(scenario_file)
    except simlib.UserError as err:
        if "lifetime_hazard_per_day: unknown key" in str(err):
            pytest.skip("the engine does not read the model-v2 process keys yet")
        raise
    assert sc.get("traits.purchase_rate_per_day.shape") == pytest.approx(params.loc["r", "estimate"], rel=1e-5)
    assert sc.get("policies.douyin_ads.type") == "paid_acquisition"   # the rest of the baseline is kept


def test_spend_fit_recovers_between_and_within_spread():
    rng = np.random.default_rng(4)
    occ = simulate_repeat_buying(rng, rng.integers(0, 60, 3000), 365, 0.8, 20.0, 1.5, 6.0,
                                 mean_log=4.0, sd_log=0.6, order_sd_log=0.35)
    fit = fit_spend(occ)
    table = fit.table()
    for name, truth in (("sd_between", 0.6), ("sd_within", 0.35), ("mean_log", 4.0)):
        assert abs(table.loc[name, "estimate"] - truth) < 3 * table.loc[name, "std_error"], name
    # without order-to-order spread (the engine's own logs) the closed form applies
    flat = simulate_repeat_buying(rng, rng.integers(0, 60, 3000), 365, 0.8, 20.0, 1.5, 6.0, mean_log=4.0, sd_log=0.6)
    fit = fit_spend(flat)
    assert fit.sd_within == 0.0
    assert abs(fit.mean_log - 4.0) < 3 * 0.6 / np.sqrt(3000) and abs(fit.sd_log - 0.6) < 3 * 0.6 / np.sqrt(6000)


def test_too_little_data_is_flagged_not_crashed(tmp_path):
    path = tmp_path / "tiny.csv"
    path.write_text("customer_id,date,amount\nA,2024-01-01,10\nA,2024-01-10,12\nB,2024-01-05,20\nC,2024-02-01,5\n",
                    encoding="utf-8")
    done = simlib_cli("calibrate", "transactions", path, "--calibration-end", "2024-01-31", "--out", tmp_path / "out",
                      "--no-plots")
    assert "too short" in done.stdout   # 31 days: no room for a validation split
    assert done.returncode == 0, done.stderr
    assert "not identified" in done.stdout
    holdout = pd.read_csv(tmp_path / "out" / "holdout.csv")
    assert np.isfinite(holdout["predicted_holdout"]).all() and (holdout["predicted_holdout"] >= 0).all()


def test_funnel_command_writes_a_fragment(tmp_path):
    daily = simlib.run("classic_ctmc", seed=3, users=5000, days=42).daily
    frame = pd.DataFrame({"day": np.arange(7, 43, 7)})
    for stage in ("unaware", "aware", "interested", "purchased"):
        frame[stage] = daily[stage].to_numpy()[frame["day"] - 1]
    frame["day"] = np.arange(1, 7)
    path = tmp_path / "funnel.csv"
    frame.to_csv(path, index=False)
    done = simlib_cli("calibrate", "funnel", path, "--scenario", "classic_ctmc", "--period-days", "7",
                      "--fit", "interest_per_day", "--users", "5000", "--out", tmp_path / "out", "--no-plots")
    assert done.returncode == 0, done.stderr
    assert "Goodness of fit" in done.stdout and "interest_per_day" in done.stdout
    fragment = (tmp_path / "out" / "fitted_behavior.yaml").read_text(encoding="utf-8")
    assert "behavior:" in fragment and "interest_per_day" in fragment and "traits:" not in fragment
    bad = simlib_cli("calibrate", "funnel", path, "--scenario", "classic_ctmc", "--fit", "interest_per_dya",
                     "--period-days", "7", "--out", tmp_path / "bad")
    assert bad.returncode == 2 and "interest_per_day" in bad.stderr and "Traceback" not in bad.stderr
