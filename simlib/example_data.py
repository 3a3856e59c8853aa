"""Example data a new user can write anywhere: a made-up brand's order log, its past A/B coupon
test and the next test it plans, drawn with plain numpy. Nothing here uses the engine: the data
are not the engine's own, so a fit to them is a test of the engine, not of its arithmetic
(notebook 11 and the README's path from data use them). This module imports only numpy.

    simlib example your_pond --out your_pond     # from an installed wheel: the files and the two offers
    python examples/make_your_pond.py            # in a checkout: rewrites examples/your_pond/ (seed 2024)

The brand (every number below is this generator's truth, not simlib's default):
- 16,000 customers, each with a first order on a day spread evenly over the first 150 days of
  2024; 15 % never order again; the others repeat at their own rate lambda ~ Gamma(1.5, mean
  0.04 a day), with gaps between orders regular (Erlang-2 in the customer's own time, where
  the engine's default is exponential) and a 12 % mean chance of leaving for good after each
  repeat order (p ~ Beta(1.5, 11)). Order value: the customer's own mean ~ LogNormal(log 110,
  0.45), each order that times LogNormal(0, 0.25).
- A coupon of depth d (a share off the first order in its 7 valid days) multiplies the
  customer's rate by 1 + 9 d s for those 7 days (s ~ Beta(2, 2), the customer's price
  sensitivity: +45 % at 10 % off for the average customer; a linear lift, where the engine's is
  exponential), and then by 1 - 0.09 x 9 d s for the 28 days after (the orders pulled forward: about
  a third of the extra orders come back out of the following four weeks).
- The past test: on 2024-06-01 half of 8,000 customers who had ordered (chosen at random) got 10 %
  off (`past_ab.csv`, arms control / coupon); the log runs to the end of its 49-day window,
  2024-07-19. The next test: on 2024-07-20, half of 8,000 other customers will get 20 % off
  (`next_ab.csv`); `truth.json` holds what that campaign does per treated customer over 49 days
  (the same customers with and without it, the same luck: the effect itself, not one draw of it),
  at 20 % off and at 10 % and 30 %.
- Money: 60 % gross margin (cost of goods 40 % of list value); no other cost of the coupon.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

START = np.datetime64("2024-01-01")
CUSTOMERS = 16_000
FIRST_ORDER_DAYS = 150           # first orders spread over days 0..149
NEVER_AGAIN = 0.15
RATE_SHAPE, RATE_MEAN = 1.5, 0.04
DROPOUT_A, DROPOUT_B = 1.5, 11.0
BASKET_MEAN_CNY, BASKET_SD_LOG, ORDER_SD_LOG = 110.0, 0.45, 0.25
LIFT_PER_DEPTH = 9.0             # rate x (1 + 9 d s) while the coupon is valid
PAYBACK_SHARE = 0.09             # x (1 - 0.09 x 9 d s) for PAYBACK_DAYS after
VALID_DAYS, PAYBACK_DAYS = 7, 28
PAST_SEND, PAST_DEPTH = 152, 0.10     # 2024-06-01
NEXT_SEND, NEXT_DEPTH = 201, 0.20     # 2024-07-20
WINDOW_DAYS = 49
TEST_SIZE = 8_000
GROSS_MARGIN = 0.6
TRUTH_DEPTHS = (0.1, 0.2, 0.3)
MAX_EVENTS = 80                  # keyed draws per customer (orders in the whole horizon stay far below)


def draw_brand(rng):
    """Each customer's first-order day, rate, dropout, price sensitivity and basket."""
    n = CUSTOMERS
    first = rng.integers(0, FIRST_ORDER_DAYS, n)
    rate = rng.gamma(RATE_SHAPE, RATE_MEAN / RATE_SHAPE, n)
    rate[rng.random(n) < NEVER_AGAIN] = 0.0
    return {"first": first, "rate": rate, "dropout": rng.beta(DROPOUT_A, DROPOUT_B, n),
            "sensitivity": rng.beta(2.0, 2.0, n), "basket": BASKET_MEAN_CNY * np.exp(
                BASKET_SD_LOG * rng.standard_normal(n) - BASKET_SD_LOG ** 2 / 2),
            # keyed luck: the k-th gap, leaving chance and order value of customer i are fixed, so a
            # run with a coupon and one without differ only by the coupon
            "gaps": rng.gamma(2.0, 0.5, (n, MAX_EVENTS)), "leave": rng.random((n, MAX_EVENTS)),
            "value": np.exp(ORDER_SD_LOG * rng.standard_normal((n, MAX_EVENTS)) - ORDER_SD_LOG ** 2 / 2)}


def simulate(brand, days: int, coupons=()):
    """Orders (customer, day, list value, discount) over ``days`` days; ``coupons`` is a list of
    (send day, depth, customer mask). One pass a day over every customer, in numpy."""
    n = CUSTOMERS
    multiplier = np.ones((days, n))
    depth_on = np.zeros((days, n))
    for send, depth, who in coupons:
        lift = LIFT_PER_DEPTH * depth * brand["sensitivity"]
        multiplier[send:send + VALID_DAYS, who] *= 1 + lift[who]
        multiplier[send + VALID_DAYS:send + VALID_DAYS + PAYBACK_DAYS, who] *= np.maximum(
            1 - PAYBACK_SHARE * lift[who], 0.05)
        depth_on[send:send + VALID_DAYS, who] = depth
    used = np.zeros(n, bool)              # the coupon pays for one order
    events = np.zeros(n, np.int64)        # draws used so far
    alive = np.ones(n, bool)
    work = np.zeros(n)                    # own-time left to the next order (Erlang-2, mean 1)
    out = []
    for day in range(days):
        starts = brand["first"] == day
        if starts.any():                  # the first order; the clock to the next starts
            idx = np.flatnonzero(starts)
            out.append((idx, day, idx, np.zeros(idx.size)))
            work[idx] = brand["gaps"][idx, 0]
            events[idx] = 1
        active = alive & (brand["first"] < day) & (brand["rate"] > 0)
        work[active] -= brand["rate"][active] * multiplier[day, active]
        while True:
            due = np.flatnonzero(active & (work <= 0) & (events < MAX_EVENTS))
            if not due.size:
                break
            k = events[due]
            coupon = (depth_on[day, due] > 0) & ~used[due]
            used[due[coupon]] = True
            out.append((due, day, due, np.where(coupon, depth_on[day, due], 0.0), k))
            leaving = brand["leave"][due, k] < brand["dropout"][due]
            alive[due[leaving]] = False
            work[due] += brand["gaps"][due, np.minimum(k, MAX_EVENTS - 1)]
            events[due] += 1
    customer, day, value, discount = [], [], [], []
    for item in out:
        idx, d, who, depth = item[:4]
        k = item[4] if len(item) > 4 else np.zeros(idx.size, np.int64)
        amount = brand["basket"][who] * brand["value"][who, k]
        customer.append(idx)
        day.append(np.full(idx.size, d))
        value.append(amount)
        discount.append(amount * depth)
    return (np.concatenate(customer), np.concatenate(day), np.concatenate(value), np.concatenate(discount))


def per_customer(orders, days_from: int, days: int, who):
    customer, day, value, discount = orders
    sel = (day >= days_from) & (day < days_from + days)
    count = np.bincount(customer[sel], minlength=CUSTOMERS)[who]
    gmv = np.bincount(customer[sel], weights=value[sel], minlength=CUSTOMERS)[who]
    off = np.bincount(customer[sel], weights=discount[sel], minlength=CUSTOMERS)[who]
    return count, gmv, off


# the offers of the README's path: what the past test's treated arm got, and the planned campaign
OFFERS = {
    "coupon10.yaml": ("# what the treated arm of the past test got (the market comes from the log)\n"
                      "policies:\n  coupon: {type: percentage_coupon, off_share: 0.1, valid_days: 7, "
                      "on_date: 2024-06-01}\n"),
    "coupon20.yaml": ("# the planned campaign, on the twin of the market on 2024-07-20 (simlib twin ... --out twin)\n"
                      "extends: twin/twin.yaml\npolicies:\n  coupon: {type: percentage_coupon, off_share: 0.2, "
                      "valid_days: 7, on_date: 2024-07-20}\n"),
}
EXAMPLE_FILES = ("orders.csv", "past_ab.csv", "next_ab.csv", "truth.json", *OFFERS)
EXAMPLES = {"your_pond": "16,000 customers' orders from January to mid-July 2024, a 10 %-off A/B test sent on "
                         "2024-06-01 and the 20 %-off test planned for 2024-07-20 (with what it truly does)"}


def write_your_pond(out, seed: int = 2024, offers: bool = True, say=print) -> list[Path]:
    """Write orders.csv, past_ab.csv, next_ab.csv, truth.json (and the two offer files) to ``out``;
    returns the paths written."""
    rng = np.random.default_rng(seed)
    brand = draw_brand(rng)
    ids = np.array([f"C{i:05d}" for i in range(CUSTOMERS)])
    order = rng.permutation(np.flatnonzero(brand["first"] < PAST_SEND))
    past, nxt = np.sort(order[:TEST_SIZE]), np.sort(order[TEST_SIZE:2 * TEST_SIZE])
    past_coupon = np.zeros(CUSTOMERS, bool)
    past_coupon[past[rng.random(past.size) < 0.5]] = True
    next_coupon = np.zeros(CUSTOMERS, bool)
    next_coupon[nxt[rng.random(nxt.size) < 0.5]] = True

    horizon = NEXT_SEND + WINDOW_DAYS
    past_campaign = (PAST_SEND, PAST_DEPTH, past_coupon)
    without_next = simulate(brand, horizon, [past_campaign])
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "orders.csv", out / "past_ab.csv", out / "next_ab.csv", out / "truth.json"]

    customer, day, value, discount = without_next          # the log: to the end of the past window
    keep = day < PAST_SEND + WINDOW_DAYS
    rows = np.lexsort((customer[keep], day[keep]))
    dates = (START + day[keep][rows]).astype(str)
    paid = np.round(value[keep][rows] - discount[keep][rows], 2)
    lines = ["member_id,order_date,paid_cny"] + [f"{c},{d},{p:.2f}" for c, d, p in
                                                 zip(ids[customer[keep][rows]], dates, paid)]
    (out / "orders.csv").write_text("\n".join(lines) + "\n")
    for name, members, coupon in (("past_ab.csv", past, past_coupon), ("next_ab.csv", nxt, next_coupon)):
        arms = np.where(coupon[members], "coupon", "control")
        (out / name).write_text("customer_id,arm\n" + "".join(f"{ids[i]},{a}\n" for i, a in zip(members, arms)))

    treated = np.flatnonzero(next_coupon)
    b = per_customer(without_next, NEXT_SEND, WINDOW_DAYS, treated)
    by_depth = {}
    for depth in TRUTH_DEPTHS:     # the planned 20 %, and two other depths a team might ask about
        with_next = simulate(brand, horizon, [past_campaign, (NEXT_SEND, depth, next_coupon)])
        a = per_customer(with_next, NEXT_SEND, WINDOW_DAYS, treated)
        extra_gmv, discount_cost = float((a[1] - b[1]).mean()), float((a[2] - b[2]).mean())
        by_depth[f"{depth:.2f}"] = {"orders_per_treated": round(float((a[0] - b[0]).mean()), 4),
                                    "gmv_cny_per_treated": round(extra_gmv, 2),
                                    "discount_cny_per_treated": round(discount_cost, 2),
                                    "net_profit_cny_per_treated": round(GROSS_MARGIN * extra_gmv - discount_cost, 2)}
    truth = {"what": "the next test (a coupon of this depth on 2024-07-20, valid 7 days) per treated customer over 49 "
                     "days: the same customers with and without it, the same luck (make_your_pond.py)",
             "send_date": str(START + NEXT_SEND), "treated_customers": int(treated.size), "planned_depth": NEXT_DEPTH,
             "by_depth": by_depth, "gross_margin": GROSS_MARGIN, "seed": seed}
    (out / "truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    if offers:
        for name, text in OFFERS.items():
            (out / name).write_text(text)
            written.append(out / name)
    say(f"wrote {out}: {keep.sum():,} orders of {np.unique(customer[keep]).size:,} customers; past test "
        f"{past.size:,}, next test {nxt.size:,}")
    return written
