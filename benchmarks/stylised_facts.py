"""Stylised facts: each figure practitioners report (docs/domain.md), the preset that should
reproduce it, the target, the tolerance and the model's value, with a verdict.

    python benchmarks/stylised_facts.py            # 20,000 customers x 365 days, seeds 1, 2, 3
    python benchmarks/stylised_facts.py --quick    # 6,000 customers (the test suite's size)

The verdict is on the mean over the seeds (one market of 20,000 moves a figure such as the
host's pond churn by about a percentage point from seed to seed); the range is printed beside it.

No parameter exists to hit these figures: every preset sets only what its case describes
(how people join the pond, what is sent, what the product costs), and every effect size comes
from the parameter reference with its source. Where a figure is out of reach without painting
it on, the row says so and says why (docs/model.md, "Stylised facts").
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

import simlib
from simlib.engine import Sim
from simlib.population import LOST


@dataclass
class Fact:
    name: str
    figure: str              # what practitioners report, in words
    preset: str
    target: float
    low: float               # tolerance: the verdict is "reproduced" inside [low, high]
    high: float
    unit: str                # "%" or "x"
    measure: Callable        # (users, seed) -> value
    out_of_reach: str = ""   # why the model cannot reach it without painting it on (if so)
    explain: Callable | None = None   # (users, seed) -> a sentence with the figures that explain the value


def _sim(preset: str, users: int, seed: int, overrides: dict | None = None, transactions=False):
    sc = simlib.load_scenario(preset).override({"market.users": users, "market.days": 365, **(overrides or {})})
    sim = Sim(sc, seed=seed, record_transactions=transactions)
    return sim, sim.run()


def host_pond_churn(users: int, seed: int) -> float:
    """Members who left the host's pond in days 183-364, over the mean pond size (exits =
    joins - net growth)."""
    _, res = _sim("livestream_host", users, seed)
    d = res.daily
    half = d[(d.day >= 183) & (d.day <= 364)]
    growth = half.in_pond.iloc[-1] - d.loc[d.day == 182, "in_pond"].iloc[0]
    return (half.pond_joins.sum() - growth) / half.in_pond.mean()


def host_active_share(users: int, seed: int) -> float:
    """Share of the host's pond members who ordered in the last 30 days of the year."""
    sim, _ = _sim("livestream_host", users, seed)
    pond = sim.pop.pond_members()
    return float(np.mean(sim.pop.last_purchase_day[pond] >= sim.days - 30))


def o2o_redemption(users: int, seed: int) -> float:
    """Coupons redeemed over coupons given by the retail chain's mini-program journeys."""
    _, res = _sim("retail_o2o", users, seed)
    s = res.summary
    issued = s["welcome.coupons"] + s["winback.coupons"]
    return s["coupons_redeemed"] / issued


def explain_o2o_redemption(users: int, seed: int) -> str:
    """Redemption by kind of coupon (told apart by their discounts), and what bounds it: the
    chance a member orders within the validity at their own rate, and that an order reaches the
    99 CNY threshold (or is topped up to it)."""
    from scipy import special

    from simlib.coupons import topup_floor_cny
    sim, res = _sim("retail_o2o", users, seed, transactions=True)
    s, tx = res.summary, res.transactions
    paid = tx[tx["discount_cny"] > 0]
    share = paid["discount_cny"] / paid["amount_cny"]
    welcome_first = s["welcome.entered"] - s["welcome.holdout_entered"]   # every entrant not held out gets 99-3
    kinds = {"99 minus 3 (welcome, 14 days)": (np.isclose(paid["discount_cny"], 3.0).sum(), welcome_first),
             "15 % off (welcome, 7 days)": (np.isclose(share, 0.15).sum(), s["welcome.coupons"] - welcome_first),
             "20 % off (win-back, 14 days)": (np.isclose(share, 0.20).sum(), s["winback.coupons"])}
    pop, b = sim.pop, sim.scenario.data["behavior"]
    pond = pop.pond_members()
    rate = pop.purchase_rate_per_day[pond].astype(float)
    within = float(np.mean(-np.expm1(-14 * rate)))
    floor = float(topup_floor_cny(99.0, 0.0, 3.0, b["topup_value_share"]))
    sd = b["order_value_sd_log"]
    mu = np.log(pop.basket_value_cny[pond].astype(float)) - sd ** 2 / 2
    reach = float(special.ndtr((mu - np.log(floor)) / sd).mean())
    parts = "; ".join(f"{name} {used / max(given, 1):.0%}" for name, (used, given) in kinds.items())
    return (f"Redeemed by kind: {parts}. A coupon is redeemed by an order within its valid days: at their own "
            f"purchase rates {within:.0%} of the pond order within 14 days without a coupon, and at the preset's "
            f"baskets (about 75 CNY) {reach:.0%} of orders reach 99 CNY or are topped up from {floor:.0f}. The "
            f"reported 33 % needs customers who buy within the validity that often with coupons their usual "
            f"basket can use: a trait of that chain's customers, not of the coupon.")


def touch_to_purchase(users: int, seed: int) -> float:
    """Share of the fans a fan-care staff member chats with who order that same day (at full
    price: the host's staff send no coupon)."""
    _, res = _sim("livestream_host", users, seed, {"policies.fan_care.attribution_days": 0})
    s = res.summary
    return s["fan_care.chat_orders"] / s["fan_care.chats_served"]


def fashion_pond_share(users: int, seed: int) -> float:
    """Share of the fashion store's sales (list value) made by customers in its pond."""
    return _sim("fashion_store", users, seed)[1].summary["pond_gmv_share"]


COUPON_DAY = 300   # a livestream day of livestream_host (sessions every other day from day 0)


COUPON_99_3 = {f"policies.coupon_99_3.{k}": v for k, v in
               {"type": "threshold_coupon", "start_day": COUPON_DAY, "end_day": COUPON_DAY, "off_cny": 3.0,
                "min_spend_cny": 99.0, "valid_days": 1}.items()}


def coupon_99_3_day(users: int, seed: int) -> float:
    """GMV of a livestream day when the pond got a 99-minus-3 coupon that morning, over the
    same day without it (same seed: the same customers)."""
    with_coupon = _sim("livestream_host", users, seed, COUPON_99_3)[1].daily
    without = _sim("livestream_host", users, seed)[1].daily
    return with_coupon.gmv_cny[COUPON_DAY] / without.gmv_cny[COUPON_DAY]


def explain_coupon_99_3_day(users: int, seed: int) -> str:
    """Who got the coupon and used it that day, how many of those orders behaviour says the coupon
    added (its counterfactual, the same for every coupon), the holders' share of the day's GMV,
    and how much more they would have to buy for the whole day to reach x1.8."""
    sim, res = _sim("livestream_host", users, seed, COUPON_99_3, transactions=True)
    s = res.summary
    coupons = sim.pop.coupons
    holders = coupons.source == coupons.sources.index("coupon_99_3")    # who was given the coupon
    tx = res.transactions[res.transactions["day"] == COUPON_DAY]
    mine = holders[tx["customer_id"].to_numpy()]
    share = float(tx["amount_cny"][mine].sum() / tx["amount_cny"].sum())
    used, added = s["coupon_99_3.coupons_redeemed"], s["coupon_99_3.incremental_orders_est"]
    orders = int(mine.sum())
    return (f"The coupon goes to {int(holders.sum()):,} pond members, who make {share:.0%} of the day's GMV; "
            f"{used:,} of their {orders:,} orders that day use it, and by behaviour's counterfactual "
            f"{added:.1f} of those were added by the coupon ({added / max(orders, 1):.1%} of their orders): only "
            f"orders of 99 CNY or more can use it (the depth a holder perceives is about 3 % of 99 over their "
            f"basket), and the livestream already lifts the day, so the brand-share ceiling leaves little to gain. "
            f"For the whole day to reach x1.8 the holders would have to buy x{1 + 0.8 / share:.1f} as much: the "
            f"rest of the reported lift is the reminder and the livestream itself, which a model that credited "
            f"them to a 3 % discount would pay for on every small coupon.")


SESSION_DAY = 200  # a KOC-backed group session in koc_community (no festival near it)


def koc_session_vs_promotion(users: int, seed: int) -> float:
    """Group members' sales on a KOC-backed group session (an activation event with a
    broadcast and a small coupon to the groups) over their sales on Double 11."""
    over = {"policies.festivals.type": "festival_calendar",
            "policies.session.type": "group_broadcast", "policies.session.groups_policy": "member_groups",
            "policies.session.start_day": SESSION_DAY, "policies.session.end_day": SESSION_DAY,
            "policies.session.quality": 0.8, "policies.session.coupon_off_share": 0.05,
            "policies.session.coupon_valid_days": 1}
    sim, res = _sim("koc_community", users, seed, over, transactions=True)
    groups = next(p for p in sim.policies if p.name == "member_groups")
    tx = res.transactions
    member = groups.group[tx.customer_id.to_numpy()] >= 0
    by_day = tx[member].groupby("day").amount_cny.sum()
    festival = next(p for p in sim.policies if p.name == "festivals")
    double_11 = festival.main_days["double_11"][0]
    return by_day.get(SESSION_DAY, 0.0) / by_day.get(double_11, np.nan)


FACTS = [
    Fact("host_pond_churn", "a livestream host's pond loses under 1 % per half year", "livestream_host",
         0.01, 0.0, 0.05, "%", host_pond_churn),
    Fact("host_active_share", "~60k of the host's 100k fans are highly active (here: ordered in the last 30 days)",
         "livestream_host", 0.60, 0.45, 0.75, "%", host_active_share),
    Fact("o2o_redemption", "a retail chain's mini-program coupons: 33 % redeemed", "retail_o2o",
         0.33, 0.25, 0.40, "%", o2o_redemption, explain=explain_o2o_redemption),
    Fact("touch_to_purchase", "~1,000 fans reached about a niche product, 100+ bought that afternoon at full price",
         "livestream_host", 0.15, 0.10, 0.20, "%", touch_to_purchase),
    Fact("fashion_pond_share", "an online fashion store's pond makes 70-80 % of its sales", "fashion_store",
         0.75, 0.70, 0.80, "%", fashion_pond_share),
    Fact("coupon_99_3_day", "a 99-minus-3 coupon to the pond lifted a livestream day from 1.0M to 1.8M CNY",
         "livestream_host", 1.8, 1.5, 2.1, "x", coupon_99_3_day,
         out_of_reach="a 3 % discount moves purchases by ~x1.06 at published price elasticities (Bijmolt et al. "
                      "2005), and topping up to 99 adds a little; the rest of the reported lift is the reminder and the "
                      "livestream's own pull that day, which the model does not attribute to the coupon",
         explain=explain_coupon_99_3_day),
    Fact("koc_session_vs_promotion", "KOC-backed group sessions sell 3-5x a big promotion", "koc_community",
         4.0, 3.0, 5.0, "x", koc_session_vs_promotion,
         out_of_reach="the model has no event that makes a group session a sale on the scale of Double 11: "
                      "activation, a broadcast and a small coupon lift members' purchases by the published "
                      "effect sizes, far below a festival's category demand"),
]


def verdict(fact: Fact, value: float) -> str:
    if fact.low <= value <= fact.high:
        return "reproduced"
    return "out of reach: " + fact.out_of_reach if fact.out_of_reach else "missed"


def fmt(fact: Fact, x: float) -> str:
    return f"{x:.1%}" if fact.unit == "%" else f"x{x:.2f}"


def measure(users: int, seeds, names=None, progress=None) -> list[dict]:
    seeds = [seeds] if isinstance(seeds, int) else list(seeds)
    rows = []
    for fact in FACTS:
        if names and fact.name not in names:
            continue
        started = time.perf_counter()
        values = [float(fact.measure(users, seed)) for seed in seeds]
        value = float(np.mean(values))
        spread = f" ({fmt(fact, min(values))} to {fmt(fact, max(values))})" if len(values) > 1 else ""
        rows.append({"fact": fact.name, "figure": fact.figure, "preset": fact.preset, "target": fmt(fact, fact.target),
                     "tolerance": f"{fmt(fact, fact.low)}-{fmt(fact, fact.high)}", "model": fmt(fact, value) + spread,
                     "value": value, "values": values, "verdict": verdict(fact, value),
                     "seconds": time.perf_counter() - started})
        if progress:
            progress(rows[-1])
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="6,000 customers instead of 20,000")
    ap.add_argument("--users", type=int, default=None)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3], help="the verdict is on the mean over these")
    ap.add_argument("--markdown", action="store_true", help="print the table as Markdown (for the README)")
    ap.add_argument("--explain", action="store_true",
                    help="also print, for the figures that have one, what explains the model's value (first seed)")
    args = ap.parse_args(argv)
    users = args.users or (6000 if args.quick else 20000)
    print(f"stylised facts: {users:,} customers x 365 days, mean over seeds {args.seeds}", file=sys.stderr)
    rows = measure(users, args.seeds, progress=lambda r: print(f"  {r['fact']}: {r['model']} ({r['seconds']:.0f} s)",
                                                              file=sys.stderr))
    if args.markdown:
        print("| reported figure | preset | target | tolerance | model: mean (range over seeds) | verdict |")
        print("|---|---|---|---|---|---|")
        for r in rows:
            v = r["verdict"] if r["verdict"] in ("reproduced", "missed") else "out of reach (see notes)"
            print(f"| {r['figure']} | `{r['preset']}` | {r['target']} | {r['tolerance']} | {r['model']} | {v} |")
    else:
        for r in rows:
            print(f"{r['fact']:<26} {r['preset']:<16} target {r['target']:>7}  tolerance {r['tolerance']:<13} "
                  f"model {r['model']:>22}  {r['verdict']}")
    if args.explain:
        print()
        for fact in FACTS:
            if fact.explain is not None:
                print(f"- {fact.name}: {fact.explain(users, args.seeds[0])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
