"""The week-by-week shape of the default promotion response (docs/model.md, section 3b).

A pond of existing buyers gets one coupon (10 % or 20 % off, valid 7 days) on day 0. Each
row is the uplift of the coupon arm over the same customers without it (same seed: common
random numbers), week by week over 8 weeks, then the total over the 8 weeks in orders per
treated customer; the mean over seeds. The parts are added one at a time: the immediate lift
alone (acceleration_share 0, reference_price_loss_ratio 0), then buying ahead, then reference
prices: the defaults.

    python benchmarks/promotion_pattern.py              # 20,000 customers, seeds 1-3
    python benchmarks/promotion_pattern.py --markdown   # the table in docs/model.md
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

import simlib

WEEKS = 8
PARTS = [("immediate lift only", {"acceleration_share": 0.0, "reference_price_loss_ratio": 0.0}),
         ("+ buying ahead", {"reference_price_loss_ratio": 0.0}),
         ("+ reference prices (the defaults)", {})]


def market(behavior: dict, policies: dict, users: int) -> dict:
    """Existing buyers, all in the pond, last orders spread over the two months before day 0."""
    return {"name": "one_coupon", "behavior": behavior, "policies": policies,
            "market": {"users": users, "days": 7 * WEEKS, "channels": {"wechat": {"share": 1.0, "word_of_mouth": 0.0}},
                       "initial_stage": {"purchased": 0.4, "loyal": 0.4, "dormant": 0.2}, "initial_in_pond": 1.0,
                       "initial_days_since_order": {"dist": "uniform", "low": 0, "high": 60}}}


def weekly_uplift(behavior: dict, off_share: float, users: int, seed: int) -> tuple[np.ndarray, float]:
    """(relative uplift per week, orders added per treated customer over the 8 weeks)."""
    coupon = {"coupon": {"type": "percentage_coupon", "off_share": off_share, "every_days": 10_000, "valid_days": 7}}
    weekly = []
    for policies in ({}, coupon):
        tx = simlib.run(market(behavior, policies, users), seed=seed, record_transactions=True).transactions
        weekly.append(np.bincount((tx["day"] // 7).to_numpy(), minlength=WEEKS)[:WEEKS].astype(float))
    control, treated = weekly
    return treated / control - 1, float((treated.sum() - control.sum()) / users)


def table(users: int, seeds, depths=(0.1, 0.2)) -> list[dict]:
    rows = []
    for depth in depths:
        for name, behavior in PARTS:
            runs = [weekly_uplift(behavior, depth, users, seed) for seed in seeds]
            rows.append({"depth": depth, "part": name, "weeks": np.mean([r[0] for r in runs], axis=0),
                         "per_treated": float(np.mean([r[1] for r in runs]))})
    return rows


def depth_curve(depths=(0.03, 0.05, 0.1, 0.2, 0.3, 0.5, 0.72)) -> list[dict]:
    """The immediate multiplier of the average customer with no other lift, by depth: the defaults'
    discount_effect and price sensitivity (a Beta trait) through the brand-share logit, against the
    promotional elasticity of Bijmolt, van Heerde & Pieters (2005), 1 + 3.63 x depth."""
    from scipy import stats
    from simlib.behavior import BEHAVIOR_PARAMS
    from simlib.population import TRAITS
    spec = TRAITS["price_sensitivity"][0]
    q = (np.arange(20_000) + 0.5) / 20_000
    sensitivity = stats.beta(spec["a"], spec["b"]).ppf(q)
    theta = BEHAVIOR_PARAMS["discount_effect"].default
    s0 = BEHAVIOR_PARAMS["baseline_brand_share"].default
    out = []
    for d in depths:
        e = np.exp(theta * sensitivity * d)
        out.append({"depth": d, "model": float(np.mean(e / (1 - s0 + s0 * e))), "published": 1 + 3.63 * d})
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=20_000)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args(argv)
    curve = depth_curve()
    if args.markdown:
        print("| depth | " + " | ".join(f"{c['depth']:.0%}" for c in curve) + " |")
        print("|---|" + "---|" * len(curve))
    for label, key in (("model (average customer)", "model"), ("1 + 3.63 x depth (Bijmolt et al. 2005)", "published")):
        cells = [label] + [f"x{c[key]:.2f}" for c in curve]
        print("| " + " | ".join(cells) + " |" if args.markdown else "  ".join(cells))
    print()
    rows = table(args.users, args.seeds)
    head = ["coupon", "response"] + [f"wk {w + 1}" for w in range(WEEKS)] + ["orders / treated, 8 wks"]
    if args.markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
    for r in rows:
        cells = [f"{r['depth']:.0%} off", r["part"]] + [f"{x:+.1%}" for x in r["weeks"]] + [f"{r['per_treated']:+.3f}"]
        print("| " + " | ".join(cells) + " |" if args.markdown else "  ".join(f"{c:>8}" for c in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
