"""The optimiser finds known optima: a toy bowl (with and without a budget line) and a
simulator scenario built so that the best coupon sits on the team's own constraints."""
from pathlib import Path

import numpy as np
import pytest

from simlib.experiment import Experiment, make_executor, parse_experiment

BASE = str(Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml")


def toy(constraints=None, **opt):
    return {"name": "bowl", "model": "toy_quadratic", "replications": 2, "seed": 4,
            "levers": {"x": {"low": 0.0, "high": 1.0}, "y": {"low": 0.0, "high": 1.0}},
            "outcomes": {"value": "maximize", "cost": "minimize"},
            "optimize": {"outcome": "value", "candidates": 32, "rounds": 3, "keep": 4,
                         "constraints": constraints or [], **opt}}


def test_unconstrained_bowl_peak():
    res = Experiment(parse_experiment(toy())).optimize()
    assert res.best["x"] == pytest.approx(0.3, abs=0.04)
    assert res.best["y"] == pytest.approx(0.7, abs=0.04)


def test_budget_line_moves_the_optimum_onto_it():
    # 10 - 20(x-.3)^2 - 20(y-.7)^2 subject to x + y <= 0.8: the projection of the peak onto
    # the line, (0.2, 0.6)
    res = Experiment(parse_experiment(toy([{"levers": {"x": 1, "y": 1}, "max": 0.8}]))).optimize()
    assert res.best["x"] + res.best["y"] <= 0.8 + 1e-9
    assert res.best["x"] == pytest.approx(0.2, abs=0.05)
    assert res.best["y"] == pytest.approx(0.6, abs=0.05)
    assert res.candidates["feasible"].all()  # lever constraints are never run when violated


def test_metric_constraint_and_frontier():
    # cost = 100 (x + y): a cap of 80 is the same line; the frontier trades value for cost
    res = Experiment(parse_experiment(toy([{"metric": "cost", "max": 80}], frontier="cost"))).optimize()
    assert res.best["x"] + res.best["y"] == pytest.approx(0.8, abs=0.03)
    f = res.frontier
    assert len(f) >= 3
    assert np.all(np.diff(f["mean:cost"]) > 0) and np.all(np.diff(f["objective"]) > 0)
    assert f["mean:cost"].max() > 80  # the frontier shows what the budget cap costs


def test_simulator_scenario_with_known_optimum():
    # Coupons that do not change behaviour (discount_effect 0, and their messages make nobody
    # leave the pond) only give margin away, so the best coupon is the shallowest and rarest the
    # team's rules allow: off_share >= 0.05 and a drop at least every 14 days.
    exp = {"name": "coupon_rules", "base": BASE, "users": 800, "days": 60, "replications": 2, "seed": 9,
           "arms": {"pond": {"overrides": {
               "market.represents": 800, "behavior.discount_effect": 0.0, "behavior.unsubscribe_per_message": 0.0,
               "policies.search_ads.enabled": False,
               "policies.douyin_ads.pond_entry_on_purchase": 1.0,
               "policies.coupon": {"type": "flat_coupon", "every_days": 10, "off_share": 0.1}}}},
           "levers": {"policies.coupon.off_share": {"low": 0.0, "high": 0.5},
                      "policies.coupon.every_days": {"low": 3, "high": 40, "integer": True}},
           "outcomes": {"gross_profit_cny": "maximize"},
           "optimize": {"outcome": "gross_profit_cny", "candidates": 24, "rounds": 3, "keep": 3,
                        "constraints": [
                            {"levers": {"policies.coupon.off_share": 1}, "min": 0.05, "name": "min_depth"},
                            {"levers": {"policies.coupon.every_days": 1}, "max": 14, "name": "cadence"}]}}
    with make_executor("processes", 2) as ex:
        res = Experiment(parse_experiment(exp), executor=ex).optimize()
    best = res.best
    print(res.candidates.head(5).to_string())
    assert best["policies.coupon.off_share"] == pytest.approx(0.05, abs=0.03)
    assert best["policies.coupon.every_days"] >= 12
