"""Sobol' indices through the whole experiment path (design -> runs -> store -> indices)
recover the analytical indices of the Ishigami function."""
import numpy as np

from simlib.experiment import Experiment, parse_experiment
from simlib.experiment.toy import ishigami_indices

PI = float(np.pi)


def test_ishigami_indices_come_out_right(tmp_path):
    spec = parse_experiment({
        "name": "ishigami", "model": "toy_ishigami", "replications": 1, "seed": 1,
        "uncertainties": {k: {"low": -PI, "high": PI} for k in ("x1", "x2", "x3")},
        "outcomes": {"y": "maximize"},
        "sensitivity": {"samples": 1024, "bootstrap": 200}})
    table = Experiment(spec).sensitivity().table
    truth = ishigami_indices()  # S1 = (0.314, 0.442, 0), ST = (0.558, 0.442, 0.244)
    print(table[["parameter", "first", "first_low", "first_high", "total", "total_low", "total_high"]])
    assert np.allclose(table["first"], truth["first"], atol=0.05)
    assert np.allclose(table["total"], truth["total"], atol=0.05)
    # the intervals are informative and cover the truth
    assert ((table["first_low"] - 0.03 <= truth["first"]) & (truth["first"] <= table["first_high"] + 0.03)).all()
    assert ((table["total_low"] - 0.03 <= truth["total"]) & (truth["total"] <= table["total_high"] + 0.03)).all()
    assert (table["total_high"] - table["total_low"]).max() < 0.2
    # x3 acts only through its interaction with x1: no first-order effect, a clear total one
    x3 = table.set_index("parameter").loc["x3"]
    assert abs(x3["first"]) < 0.05 and x3["total"] > 0.15


def test_sensitivity_of_the_paired_difference_between_arms():
    # toy funnel: without a discount, price sensitivity cannot matter; the coupon's lift
    # over no coupon is driven by it, while market size drives the levels
    spec = parse_experiment({
        "name": "diff", "model": "toy_funnel", "replications": 2, "seed": 1,
        "arms": {"plain": {}, "coupon": {"overrides": {"discount": 0.1}}},
        "uncertainties": {"price_sensitivity": {"low": 0.0, "high": 3.0},
                          "users": {"low": 200, "high": 400, "integer": True}},
        "outcomes": {"purchases": "maximize"},
        "sensitivity": {"samples": 32, "bootstrap": 100, "arms": ["plain", "coupon"], "difference": True}})
    t = Experiment(spec).sensitivity().table.set_index(["arm", "parameter"])
    assert t.loc[("plain", "price_sensitivity"), "total"] == 0.0
    assert t.loc[("plain", "users"), "total"] > 0.8
    diff = t.loc["coupon - plain"]
    assert diff.loc["price_sensitivity", "total"] > 2 * diff.loc["users", "total"]
