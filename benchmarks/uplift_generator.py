"""Randomised coupon tests drawn in plain numpy, for benchmarks/uplift_independent.py.

Nothing here imports simlib: the data are not the engine's own, so fitting them is a test of the
engine's promotion response, not of its arithmetic. A brand of customers, each with their own
purchase rate and basket, buys as a Poisson process from a first order in the 150 days before
the send date; 15 % have stopped buying before it (they never buy in the test). On the send
date a coupon of depth d (share off the first order, valid 7 days) goes to the treated arm.
Two truths, each a mechanism of its own (neither is the engine's):

- ``pull_forward``: while the coupon is valid the customer's rate is multiplied by
  1 + beta_i d (beta_i ~ Gamma, mean 2.5: a linear lift, the engine's is logit-exponential);
  and each of their regular orders due in the three weeks after it is moved into the coupon
  week with chance 0.8 d (orders pulled forward: time shifts, not added orders, where the
  engine marks a share of the added orders as bought ahead).
- ``post_dip``: the same kind of lift (beta mean 3), no pull-forward, and a small
  post-promotion dip: a customer who bought in the coupon week skips each regular order of the
  following three weeks with chance 0.15 (the engine's reference prices lower a rate instead).

The same customer's regular orders are the same draws with and without the coupon (common
random numbers), so the truth of a campaign, the orders it adds per treated customer over the
49-day window given these customers, is measured with little noise (``true_incremental``, and
in closed form ``expected_incremental``).
"""

from __future__ import annotations

import numpy as np

HISTORY_DAYS = 150          # days of orders before the send date
WINDOW_DAYS = 49            # the campaign window, from the send date
VALID_DAYS = 7              # the coupon's validity
AFTER_DAYS = 21             # pull-forward sources / the post-promotion dip, after the coupon week
STOPPED_SHARE = 0.15        # customers who stopped buying before the send date
RATE_SHAPE, RATE_MEAN = 1.5, 1 / 35     # orders per day of an active customer
BASKET_CNY, BASKET_SD_LOG, ORDER_SD_LOG = 120.0, 0.5, 0.3
MAX_ORDERS = 80             # regular-order draws per customer (the horizon's expected orders stay far below)

TRUTHS = {
    "pull_forward": {"beta_mean": 2.5, "beta_shape": 2.0, "shift_per_depth": 0.8, "skip": 0.0},
    "post_dip": {"beta_mean": 3.0, "beta_shape": 2.0, "shift_per_depth": 0.0, "skip": 0.15},
}


def draw_customers(n: int, truth: dict, rng) -> dict:
    """Traits of ``n`` customers and their luck; day 0 is the send date, the history is negative."""
    first = rng.uniform(-HISTORY_DAYS, 0.0, n)
    stop = np.full(n, np.inf)
    stopped = rng.random(n) < STOPPED_SHARE
    stop[stopped] = rng.uniform(first[stopped], 0.0)            # stopped before the send date
    c = {"n": n, "first": first, "stop": stop, "rate": rng.gamma(RATE_SHAPE, RATE_MEAN / RATE_SHAPE, n),
         "basket": BASKET_CNY * np.exp(BASKET_SD_LOG * rng.standard_normal(n) - BASKET_SD_LOG ** 2 / 2),
         "beta": rng.gamma(truth["beta_shape"], truth["beta_mean"] / truth["beta_shape"], n)}
    return with_luck(c, rng)


def with_luck(c: dict, rng) -> dict:
    """The customers ``c`` with new luck: their regular orders' times and values, and the coupon's
    own draws (added orders, which regular orders move or are skipped). Traits are kept."""
    n = c["n"]
    gaps = rng.exponential(1.0, (n, MAX_ORDERS - 1)) / np.maximum(c["rate"], 1e-12)[:, None]
    return {**c, "times": c["first"][:, None] + np.concatenate([np.zeros((n, 1)), np.cumsum(gaps, axis=1)], axis=1),
            "value": np.exp(ORDER_SD_LOG * rng.standard_normal((n, MAX_ORDERS)) - ORDER_SD_LOG ** 2 / 2),
            "u_move": rng.random((n, MAX_ORDERS)), "when_moved": rng.uniform(0, VALID_DAYS, (n, MAX_ORDERS)),
            "extra_u": rng.random((n, 64)), "extra_count_u": rng.random(n),
            "extra_value": np.exp(ORDER_SD_LOG * rng.standard_normal((n, 64)) - ORDER_SD_LOG ** 2 / 2)}


def orders(c: dict, truth: dict, depth: float, treated: np.ndarray) -> dict:
    """Every order of every customer up to the window's end: (customer, time in days from the send
    date, list value CNY, discount CNY). ``treated`` (bool per customer) got the coupon."""
    n = c["n"]
    times = c["times"].copy()
    value = c["basket"][:, None] * c["value"]
    live = (times < np.minimum(c["stop"], WINDOW_DAYS)[:, None])
    active = c["stop"] > 0                                      # still buying on the send date
    on = treated & active & (depth > 0)
    # regular orders due in the weeks after the coupon move into it (pull-forward: time shifts)
    after = (times >= VALID_DAYS) & (times < VALID_DAYS + AFTER_DAYS) & live
    move = after & on[:, None] & (c["u_move"] < min(1.0, truth["shift_per_depth"] * depth))
    times[move] = c["when_moved"][move]
    # orders the coupon adds: a Poisson count over the valid days, at rate x beta d
    mean_extra = np.where(on, c["rate"] * c["beta"] * depth * VALID_DAYS, 0.0)
    count = _poisson_from_uniform(mean_extra, c["extra_count_u"])
    count = np.minimum(count, c["extra_u"].shape[1])
    extra = np.arange(c["extra_u"].shape[1])[None, :] < count[:, None]
    extra_times = c["extra_u"] * VALID_DAYS
    # a post-promotion dip: who bought in the coupon week skips regular orders after it
    bought = on & ((live & (times >= 0) & (times < VALID_DAYS)).any(axis=1) | (count > 0))
    skip = after & ~move & bought[:, None] & (c["u_move"] < truth["skip"])
    keep = live & ~skip
    cust = np.concatenate([np.nonzero(keep)[0], np.nonzero(extra)[0]])
    when = np.concatenate([times[keep], extra_times[extra]])
    amount = np.concatenate([value[keep], (c["basket"][:, None] * c["extra_value"])[extra]])
    order = np.lexsort((when, cust))
    cust, when, amount = cust[order], when[order], amount[order]
    # the coupon pays for the first order in its valid days
    in_coupon = on[cust] & (when >= 0) & (when < VALID_DAYS)
    first_in = in_coupon & np.r_[True, (cust[1:] != cust[:-1]) | ~in_coupon[:-1]]
    discount = np.where(first_in, amount * depth, 0.0)
    return {"customer": cust, "time": when, "amount_cny": amount, "discount_cny": discount}


def _poisson_from_uniform(mean: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Poisson counts by inverse CDF of the uniforms ``u`` (so a deeper coupon adds to the same
    customer's count, never redraws it)."""
    count = np.zeros(mean.shape, np.int64)
    p = np.exp(-mean)
    cdf = p.copy()
    for k in range(1, 64):
        more = u > cdf
        if not more.any():
            break
        count += more
        p = p * mean / k
        cdf = cdf + p
    return count


def true_incremental(c: dict, truth: dict, depth: float, rng, draws: int = 8) -> float:
    """Orders (one per customer and day, as they are counted) a coupon of ``depth`` adds per
    treated customer over the window, given these customers' traits: the same customers with and
    without it, the same luck, averaged over ``draws`` draws of the luck."""
    everyone = np.ones(c["n"], bool)
    diffs = []
    for _ in range(draws):
        lucky = with_luck(c, rng)
        with_coupon = weekly_per_customer(orders(lucky, truth, depth, everyone), c["n"]).sum()
        without = weekly_per_customer(orders(lucky, truth, 0.0, everyone), c["n"]).sum()
        diffs.append((with_coupon - without) / c["n"])
    return float(np.mean(diffs))


def expected_incremental(c: dict, truth: dict, depth: float) -> float:
    """The same in closed form, counting every order (two on one day count twice): the lift over
    the valid days, less the post-promotion skips (pulled-forward orders move within the window,
    so they add nothing over it). A check on ``true_incremental``."""
    active = c["stop"] > 0
    lam, beta = np.where(active, c["rate"], 0.0), c["beta"]
    added = lam * beta * depth * VALID_DAYS
    bought = 1 - np.exp(-lam * VALID_DAYS * (1 + beta * depth))
    skipped = truth["skip"] * bought * lam * AFTER_DAYS
    return float(np.mean(added - skipped))


def weekly_per_customer(o: dict, n: int, weeks: int = WINDOW_DAYS // 7) -> np.ndarray:
    """Orders per customer per week of the window (n x weeks), one per customer and day (an
    occasion, as the engine and the log readers count them)."""
    w = (o["time"] >= 0) & (o["time"] < 7 * weeks)
    day = np.floor(o["time"][w]).astype(np.int64)
    cust = o["customer"][w]
    key = np.unique(cust * 1000 + day)
    out = np.zeros((n, weeks))
    np.add.at(out, (key // 1000, (key % 1000) // 7), 1.0)
    return out
