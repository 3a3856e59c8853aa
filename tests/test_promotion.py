"""The promotion response in parts (simlib/promotion.py): the immediate lift, buying ahead and
reference prices leave the footprints docs/model.md §3b describes."""

import numpy as np
import pandas as pd
import pytest

import simlib

SEED = 5


def market(behavior=None, policies=None, users=6000, days=70):
    """Existing buyers in the pond; their last orders spread over the two months before day 0."""
    return {"name": "buyers", "behavior": behavior or {}, "policies": policies or {},
            "market": {"users": users, "days": days, "channels": {"wechat": {"share": 1.0, "word_of_mouth": 0.0}},
                       "initial_stage": {"purchased": 0.5, "loyal": 0.5}, "initial_in_pond": 1.0,
                       "initial_days_since_order": {"dist": "uniform", "low": 0, "high": 60}}}


COUPON = {"c": {"type": "percentage_coupon", "off_share": 0.3, "every_days": 10_000, "valid_days": 7}}


def weekly_orders(behavior, policies, **kw):
    res = simlib.run(market(behavior, policies, **kw), seed=SEED, record_transactions=True)
    tx = res.transactions
    return np.bincount((tx["day"] // 7).to_numpy(), minlength=10)[:10], res.summary


def test_orders_bought_ahead_cover_regular_orders_within_the_window_only():
    """With every added order bought ahead and a two-week window, the coupon's extra orders in
    week 1 are paid back in weeks 2-3 and not after; without buying ahead there is no dip."""
    plain = {"reference_price_loss_ratio": 0.0, "trust_gain_purchase": 0.0}
    ahead = {**plain, "acceleration_share": 1.0, "acceleration_window_days": 14}
    base, _ = weekly_orders(plain, {})
    none, s0 = weekly_orders({**plain, "acceleration_share": 0.0}, COUPON)
    paid, s1 = weekly_orders(ahead, COUPON)
    base_ahead, _ = weekly_orders(ahead, {})
    assert np.array_equal(base, base_ahead)             # no discount, nothing bought ahead: the same orders
    assert s0["bought_ahead"] == 0 and s1["bought_ahead"] > 100
    bump = paid[0] - base[0]
    assert bump > 0.1 * base[0]
    assert (paid[1:3] - base[1:3]).sum() < -0.3 * bump            # the dip: weeks 2-3
    assert (none[1:3] - base[1:3]).sum() > -0.1 * bump            # no dip without buying ahead
    after = (paid[4:] - none[4:]).sum() / base[4:].sum()
    assert abs(after) < 0.02                                      # back to base once the window is over


def test_reference_prices_leave_a_dip_that_grows_with_the_depth_paid():
    """The reference-price part: the same coupon, reference prices learning fast or not at all;
    the slump after the coupon is larger the deeper the coupon, and absent when they do not learn."""
    quiet = {"acceleration_share": 0.0, "trust_gain_purchase": 0.0}
    slump = {}
    for depth in (0.1, 0.4):
        coupon = {"c": {**COUPON["c"], "off_share": depth}}
        for adapt in (0.0, 0.3):
            behavior = {**quiet, "reference_price_adaptation": adapt}
            base, _ = weekly_orders(behavior, {})
            got, _ = weekly_orders(behavior, coupon)
            slump[depth, adapt] = (got[1:6] - base[1:6]).sum() / base[1:6].sum()
    assert slump[0.4, 0.3] < slump[0.1, 0.3] < 0
    assert abs(slump[0.1, 0.0]) < 0.01 and abs(slump[0.4, 0.0]) < 0.015
    assert slump[0.4, 0.3] < slump[0.4, 0.0] - 0.02


@pytest.mark.parametrize("depth", [0.1, 0.2])
def test_default_response_is_a_bump_a_small_dip_and_back_to_base(depth):
    """The published shape (docs/model.md §3b): a bump in the week the coupon is held, a dip
    afterwards that is small beside it (post-promotion dips are 4-25 % of the promotion's effect,
    van Heerde, Leeflang & Wittink 2000), and the weeks after that near base."""
    coupon = {"c": {**COUPON["c"], "off_share": depth}}
    base, _ = weekly_orders({}, {}, users=10_000, days=56)
    got, _ = weekly_orders({}, coupon, users=10_000, days=56)
    rel = got[:8] / base[:8] - 1
    assert rel[0] > 0.9 * depth                                   # the bump: more than 9 % at 10 % off
    dip = rel[1:4].sum()
    assert dip < 0 and -dip < 0.35 * rel[0]                       # a small dip
    assert abs(rel[4:8].mean()) < 0.015                           # back to base


def test_stockpiling_leaves_a_dip_that_a_deeper_coupon_barely_deepens():
    """Stockpiling (``stockpile_share``): orders placed with a discount that would have been
    placed anyway cover a later regular order. Its dip follows the orders bought at a discount,
    which a deeper coupon raises only by the orders it adds; buying ahead's dip follows the added
    orders, which grow with the depth. Off (0), the same run as before it existed."""
    quiet = {"acceleration_share": 0.0, "reference_price_loss_ratio": 0.0, "trust_gain_purchase": 0.0,
             "acceleration_window_days": 14}
    dips = {}
    for part in ("stockpile_share", "acceleration_share"):
        behavior = {**quiet, part: 0.5}
        base, _ = weekly_orders(behavior, {})
        for depth in (0.1, 0.4):
            got, _ = weekly_orders(behavior, {"c": {**COUPON["c"], "off_share": depth}})
            dips[part, depth] = (got[1:3] - base[1:3]).sum()
    off, s_off = weekly_orders(quiet, COUPON)
    off_too, s_off_too = weekly_orders({**quiet, "stockpile_share": 0.0}, COUPON)
    assert np.array_equal(off, off_too) and pd.Series(s_off).equals(pd.Series(s_off_too))
    assert dips["stockpile_share", 0.1] < 0 and dips["acceleration_share", 0.1] < 0
    growth = {part: dips[part, 0.4] / dips[part, 0.1] for part in ("stockpile_share", "acceleration_share")}
    assert growth["stockpile_share"] < 1.5 < growth["acceleration_share"]
