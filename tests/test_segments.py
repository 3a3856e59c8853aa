"""Segments and tags: RFM scores and membership on a hand-built population, and during a run."""

import numpy as np
import pytest

import simlib
from simlib.engine import Sim
from simlib.population import NEVER

DAY = 200


def tiny(**seg):
    """A 10-customer market with no ads and one segments policy over everyone."""
    sc = simlib.scenario_from_dict({
        "extends": "baseline", "market": {"users": 10, "days": 30},
        "policies": {"douyin_ads": {"enabled": False}, "search_ads": {"enabled": False},
                     "seg": {"type": "segments", "scope": "all", **seg}}})
    sim = Sim(sc, seed=0)
    pop = sim.pop
    # customer:          0      1    2    3    4    5   6    7      8    9
    orders = np.array([0, 12, 3, 1, 6, 1, 2, 2, 10, 2])
    last = np.array([NEVER, 198, 180, 197, 50, 0, 120, NEVER, 193, 170])  # day of the last order
    paid = np.array([0, 5000, 299, 100, 800, 50, 150, 90, 3000, 120])
    pop.orders[:] = orders
    pop.last_purchase_day[:] = last
    sim.segments.monetary[:] = paid
    sim.segments.coupon_orders[[2, 4]] = 1
    pop.in_pond[[1, 2, 8]] = True
    sim.segments.recompute(DAY)
    return sim, sim.segments


def test_rfm_scores_by_thresholds():
    _sim, seg = tiny()
    # recency 2, 20, 3, 150, 200, 80, 260 (before the run: 200 + 60), 7, 30 days
    assert list(seg.r_score[1:]) == [5, 4, 5, 2, 1, 3, 1, 5, 4]
    assert list(seg.f_score[1:]) == [5, 3, 1, 4, 1, 2, 2, 5, 2]     # cuts 2, 3, 5, 10 orders
    assert list(seg.m_score[1:]) == [5, 2, 2, 3, 1, 2, 1, 5, 2]     # cuts 100, 300, 1000, 3000 CNY
    assert seg.r_score[0] == seg.f_score[0] == seg.m_score[0] == 0  # never bought: no scores


def test_segment_membership_follows_the_first_matching_rule():
    _sim, seg = tiny()
    assert list(seg.members("champions")) == [1, 8]
    assert list(seg.members("loyal")) == [2]
    assert list(seg.members("new")) == [3]
    assert list(seg.members("at_risk")) == [4]
    assert list(seg.members("hibernating")) == [5, 7]
    assert list(seg.members("others")) == [6, 9]
    assert list(seg.members("prospects")) == [0]
    assert seg.is_member("champions", np.array([1, 2, 8])).tolist() == [True, False, True]


def test_tags_hold_when_all_their_conditions_do():
    _sim, seg = tiny(tags={"coupon_user": {"coupon_orders_min": 1},
                           "dormant_30d": {"days_since_purchase_min": 30},
                           "pond_big_spender": {"monetary_cny_min": 1000, "in_pond": True},
                           "champion_in_pond": {"segment": "champions", "in_pond": True, "orders_max": 10}})
    assert list(seg.members("coupon_user")) == [2, 4]
    assert list(seg.members("dormant_30d")) == [4, 5, 6, 7, 9]       # never-buyers are not dormant
    assert list(seg.members("pond_big_spender")) == [1, 8]
    assert list(seg.members("champion_in_pond")) == [8]
    assert seg.is_member("dormant_30d", np.arange(10)).sum() == 5


def test_quantile_scores_split_buyers_into_fifths():
    _sim, seg = tiny(method="quantiles")
    buyers = np.arange(1, 10)
    assert seg.m_score[buyers].min() == 1 and seg.m_score[buyers].max() == 5
    assert seg.m_score[1] == 5 and seg.m_score[5] == 1                   # biggest and smallest spender
    assert seg.r_score[1] == 5 and seg.r_score[7] == 1                   # most and least recent
    assert np.all(np.diff(seg.m_score[buyers][np.argsort(seg.monetary[buyers])]) >= 0)


def test_segments_during_a_run_are_recomputed_on_schedule_and_cover_the_scope():
    sc = simlib.scenario_from_dict({
        "extends": "baseline", "market": {"users": 5000, "days": 60, "initial_in_pond": 0.5,
                                          "initial_stage": {"aware": 0.3, "purchased": 0.1}},
        "policies": {"seg": {"type": "segments", "every_days": 7},
                     "coupons": {"type": "flat_coupon", "every_days": 10, "off_share": 0.2}}})
    sim = Sim(sc, seed=1)
    res = sim.run()
    seg = sim.segments
    assert seg.computed_day == 56
    scope = seg.scope_members()
    sizes = {name: seg.members(name).size for name in seg.segment_names}
    # the snapshot is from day 56, the scope from day 59: nearly the same people
    assert abs(sum(sizes.values()) - scope.size) < 0.1 * scope.size
    assert seg.members("coupon_user").size > 0
    assert np.all(seg.coupon_orders[seg.members("coupon_user")] >= 1)
    # monetary = what customers paid in the run (+ their pre-run orders at basket value)
    paid = res.ledger.query("account == 'gmv'").amount_cny.sum() - res.summary["discount_cny"]
    pre = (sim.pop.initial_orders * sim.pop.basket_value_cny).sum()
    assert seg.monetary.sum() == pytest.approx(paid + pre, rel=1e-3)
    daily = res.daily
    assert (daily["seg.size.champions"].iloc[-1] > daily["seg.size.champions"].iloc[0])


@pytest.mark.parametrize("seg, key, words", [
    ({"segments": {"others": {"r_min": 4}}}, "policies.seg.segments.others", ["reserved"]),
    ({"segments": {"vip": {"r_min": 6}}}, "policies.seg.segments.vip.r_min", ["[1, 5]"]),
    ({"segments": {"vip": {"recency_min": 4}}}, "policies.seg.segments.vip.recency_min", ["r_min"]),
    ({"tags": {"sleepy": {"stage": ["dormnt"]}}}, "policies.seg.tags.sleepy.stage", ["Did you mean 'dormant'"]),
    ({"tags": {"x": {}}}, "policies.seg.tags.x", ["at least one condition"]),
    ({"tags": {"x": {"segment": "champs"}}}, "policies.seg.tags.x.segment", ["champions"]),
    ({"frequency_cuts": [5, 3, 2, 1]}, "policies.seg.frequency_cuts", ["ascending"]),
    ({"scope": "everyone"}, "policies.seg.scope", ["pond_or_buyers"]),
])
def test_mistakes_name_the_key_and_what_is_allowed(seg, key, words):
    with pytest.raises(simlib.ScenarioError) as err:
        simlib.scenario_from_dict({"extends": "baseline", "policies": {"seg": {"type": "segments", **seg}}})
    assert key in str(err.value)
    for word in words:
        assert word in str(err.value)


def test_only_one_segments_policy():
    with pytest.raises(simlib.ScenarioError, match="only one segments policy"):
        simlib.run({"extends": "baseline", "policies": {"a": {"type": "segments"}, "b": {"type": "segments"}}},
                   users=100, days=2)


def test_customers_who_leave_the_scope_lose_their_segment_and_scores():
    sim, seg = tiny(scope="pond")
    assert list(seg.members("champions")) == [1, 8] and seg.r_score[2] == 4
    sim.pop.in_pond[[2, 8]] = False
    seg.recompute(DAY + 1)
    assert list(seg.members("champions")) == [1]
    assert seg.segment[8] == -1 and seg.r_score[8] == seg.f_score[2] == 0
