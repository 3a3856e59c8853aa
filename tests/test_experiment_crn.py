"""Common random numbers: on a small policy change, the paired difference varies far less
when the arms share seeds than when each arm has its own."""
from pathlib import Path

from simlib.experiment import Experiment, make_executor, parse_experiment

BASE = str(Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml")
POND = {"policies.douyin_ads.pond_entry_on_purchase": 0.6,
        "policies.coupon": {"type": "flat_coupon", "every_days": 14, "off_share": 0.10}}


def test_crn_variance_reduction_on_a_small_coupon_change():
    exp = Experiment(parse_experiment({
        "name": "crn", "base": BASE, "users": 800, "days": 60, "replications": 8, "seed": 2,
        "arms": {"coupon10": {"overrides": POND},
                 "coupon12": {"overrides": {**POND, "policies.coupon.off_share": 0.12}}},
        "outcomes": {"gross_profit_cny": "maximize", "purchases": "maximize"}}),
        executor=make_executor("processes", 2))
    with exp.executor:
        for metric in ("gross_profit_cny", "purchases"):
            v = exp.crn_check(metric, "coupon12")
            print(f"\n{metric}: var(diff) CRN {v['var_diff_crn']:.4g}, independent seeds "
                  f"{v['var_diff_independent']:.4g}, ratio {v['ratio']:.1f}x")
            assert v["var_diff_independent"] > 5 * v["var_diff_crn"]
