"""Acquisition over several channels: budgets, pricing, saturation, pond routes, CAC per channel."""

import numpy as np
import pytest

import simlib
from simlib.engine import Sim
from simlib.policies.acquisition import cac_by_channel
from simlib.population import NEVER, UNAWARE

CHANNELS = {"douyin": {"share": 0.3, "word_of_mouth": 1.0},
            "xiaohongshu": {"share": 0.2, "word_of_mouth": 1.5},
            "taobao_search": {"share": 0.2, "word_of_mouth": 0.5},
            "offline_store": {"share": 0.3, "word_of_mouth": 0.8}}


def scenario(channels, users=8000, days=90, behavior=None, **market):
    return simlib.scenario_from_dict({
        "extends": "baseline",
        "market": {"users": users, "days": days, "channels": CHANNELS, **market},
        "behavior": behavior or {},
        "policies": {"douyin_ads": {"enabled": False}, "search_ads": {"enabled": False},
                     "mix": {"type": "acquisition_mix", "channels": channels}}})


def run_sim(sc, seed=1):
    sim = Sim(sc, seed=seed)
    return sim, sim.run()


MIX = {"douyin": {"budget_cny_per_day": 800, "cpm_cny": 40,
                  "pond_routes": [{"route": "package_insert", "join_on_purchase": 0.3, "cost_per_member_cny": 2}]},
       "xiaohongshu": {"pricing": "cpc", "cpc_cny": 0.8, "click_through_rate": 0.03,
                       "schedule": [{"from_day": 0, "to_day": 44, "budget_cny_per_day": 400}]},
       "offline_store": {"pond_routes": [{"route": "store_qr", "join_on_purchase": 0.4, "cost_per_member_cny": 5},
                                         {"route": "add_staff_gift", "join_per_day": 0.01, "cost_per_member_cny": 8}]}}


def test_cac_per_channel_matches_the_ledger():
    sim, res = run_sim(scenario(MIX))
    s = res.summary
    spend = res.ledger[res.ledger.kind == "marketing_acquisition"].groupby("channel").amount_cny.sum()
    new = np.bincount(sim.pop.channel[sim.pop.first_purchase_day != NEVER], minlength=len(sim.channels))
    for name in MIX:
        c = sim.channels.index(name)
        assert new[c] > 0
        assert s[f"mix.acquisition_spend_cny.{name}"] == pytest.approx(spend[name])
        assert s[f"mix.new_buyers.{name}"] == new[c]
        assert s[f"mix.cac_cny.{name}"] == pytest.approx(spend[name] / new[c])   # one simulated buyer = one real
    # the channels' spend adds up to the run's acquisition cost
    assert sum(s[f"mix.acquisition_spend_cny.{n}"] for n in MIX) == pytest.approx(s["acquisition_cost_cny"])
    # a channel with no ads and cheap pond routes has the lowest CAC
    assert s["mix.cac_cny.offline_store"] < min(s["mix.cac_cny.douyin"], s["mix.cac_cny.xiaohongshu"])


def test_cac_per_channel_is_per_real_customer_like_the_runs_cac():
    # 2,000 simulated customers standing for 8,000: the channels' CACs, weighted by their new
    # buyers, are the run's CAC (both in CNY per real new buyer)
    sim, res = run_sim(scenario(MIX, users=2000, represents=8000))
    s = res.summary
    assert s["customers_per_simulated"] == 4
    per_channel = cac_by_channel(sim)
    buyers = sum(per_channel[f"new_buyers.{n}"] for n in sim.channels)
    assert buyers == s["new_buyers"]
    weighted = sum(per_channel[f"cac_cny.{n}"] * per_channel[f"new_buyers.{n}"] for n in sim.channels
                   if per_channel[f"new_buyers.{n}"]) / buyers
    assert weighted == pytest.approx(s["cac_cny"])


def test_budget_schedule_is_spent_by_day_range():
    _sim, res = run_sim(scenario(MIX, days=60))
    daily = res.daily
    assert (daily["mix.ad_spend_cny.xiaohongshu"][:45] == 400).all()
    assert (daily["mix.ad_spend_cny.xiaohongshu"][45:] == 0).all()
    ads = res.ledger.query("account == 'ad_spend' and channel == 'xiaohongshu'")
    assert ads.day.max() == 44 and ads.amount_cny.sum() == pytest.approx(45 * 400)


def test_cpc_pricing_equals_the_cpm_it_implies():
    cpm = scenario({"douyin": {"budget_cny_per_day": 600, "cpm_cny": 40}}, days=40)
    cpc = scenario({"douyin": {"budget_cny_per_day": 600, "pricing": "cpc", "cpc_cny": 1.6,
                               "click_through_rate": 0.025}}, days=40)   # 1.6 * 0.025 * 1000 = 40 per mille
    a, b = simlib.run(cpm, seed=4), simlib.run(cpc, seed=4)
    assert a.summary["gmv_cny"] == pytest.approx(b.summary["gmv_cny"])
    assert a.summary["new_buyers"] == b.summary["new_buyers"]


def aware_on_douyin(budget, days=15):
    """Customers on douyin made aware by the ads within ``days`` (organic awareness off)."""
    channels = {"douyin": {"budget_cny_per_day": budget, "cpm_cny": 40, "awareness_per_impression": 0.01,
                           "max_awareness_per_day": 0.05}}
    sim, _ = run_sim(scenario(channels, users=20000, days=days,
                              behavior={"awareness_per_day": 0.0, "word_of_mouth_per_day": 0.0, "forget_per_day": 0.0},
                              initial_stage={"aware": 0.0}))
    c = sim.channels.index("douyin")
    return int(np.count_nonzero((sim.pop.channel == c) & (sim.pop.stage != UNAWARE)))


def test_reach_saturates_doubling_budget_adds_far_less_on_a_saturated_channel():
    assert aware_on_douyin(0) == 0
    low, low2 = aware_on_douyin(50), aware_on_douyin(100)
    high, high2 = aware_on_douyin(5000), aware_on_douyin(10000)
    assert 1.7 < low2 / low < 2.3                 # small budgets: reach grows in proportion
    assert high > 5 * low2                        # the big budget does reach many more people
    assert (high2 - high) < 0.2 * high            # ... but doubling it on a saturated channel adds little


def test_pond_routes_move_people_in_at_their_cost():
    store_only = {"offline_store": {"budget_cny_per_day": 300, "pond_routes": [{"route": "store_qr", "join_on_purchase": 0.5,
                                                     "cost_per_member_cny": 5}]}}
    sim, res = run_sim(scenario(store_only, days=60))
    c = sim.channels.index("offline_store")
    joined = sim.pop.in_pond & (sim.pop.channel == c)
    assert joined.sum() > 50
    assert not (sim.pop.in_pond & (sim.pop.channel != c)).any()        # only the store's customers join
    assert (sim.pop.orders[joined] > 0).all()                           # ... at a purchase (QR at the till)
    cost = res.ledger.query("account == 'pond_acquisition'").amount_cny.sum()
    assert cost == pytest.approx(5 * res.summary["pond_joins"])
    # a livestream call open one day in seven lets in fewer people than one open every day
    weekly = {"douyin": {"budget_cny_per_day": 500,
                         "pond_routes": [{"route": "livestream_call", "join_per_day": 0.05, "every_days": 7}]}}
    daily = {"douyin": {"budget_cny_per_day": 500,
                        "pond_routes": [{"route": "livestream_call", "join_per_day": 0.05, "every_days": 1}]}}
    w, d = simlib.run(scenario(weekly, days=60), seed=1), simlib.run(scenario(daily, days=60), seed=1)
    assert 0 < w.summary["pond_joins"] < 0.5 * d.summary["pond_joins"]


def test_more_budget_buys_more_buyers_at_a_higher_cac():
    small = simlib.run(scenario({"douyin": {"budget_cny_per_day": 300}}), seed=2).summary
    big = simlib.run(scenario({"douyin": {"budget_cny_per_day": 3000}}), seed=2).summary
    assert big["mix.new_buyers.douyin"] > small["mix.new_buyers.douyin"]
    assert big["mix.cac_cny.douyin"] > small["mix.cac_cny.douyin"]       # diminishing returns


@pytest.mark.parametrize("channels, key, words", [
    ({"douyn": {}}, "policies.mix.channels.douyn", ["Did you mean 'douyin'"]),
    ({"douyin": {"pricing": "cpa"}}, "policies.mix.channels.douyin.pricing", ["'cpm'", "'cpc'"]),
    ({"douyin": {"pond_routes": [{"route": "qr_code"}]}}, "policies.mix.channels.douyin.pond_routes[0].route",
     ["store_qr"]),
    ({"douyin": {"schedule": [{"from_day": 10, "to_day": 5}]}}, "policies.mix.channels.douyin.schedule[0].to_day",
     [">= from_day"]),
    ({"douyin": {"budget": 100}}, "policies.mix.channels.douyin.budget", ["budget_cny_per_day"]),
    ({}, "policies.mix.channels", ["at least one channel"]),
])
def test_mistakes_name_the_key_and_what_is_allowed(channels, key, words):
    with pytest.raises(simlib.ScenarioError) as err:
        scenario(channels)
    assert key in str(err.value)
    for word in words:
        assert word in str(err.value)


def test_paid_acquisition_keeps_working():
    sc = simlib.load_scenario("baseline")
    s = simlib.run(sc, seed=1, users=3000, days=30).summary
    per_day = sum(p["budget_cny_per_day"] for p in sc.data["policies"].values() if p["type"] == "paid_acquisition")
    assert per_day > 0 and s["ad_spend_cny"] == pytest.approx(30 * per_day)
    assert s["new_buyers"] > 0


def test_retail_o2o_preset_runs_and_fills_the_pond_mostly_from_the_stores():
    sim = Sim(simlib.load_scenario("retail_o2o").override({"market.users": 3000, "market.days": 90}), seed=1)
    s = sim.run().summary
    store = sim.channels.index("offline_store")
    pond = sim.pop.in_pond
    assert pond.sum() > 50
    assert (sim.pop.channel[pond] == store).mean() > 0.5
    for name in ("offline_store", "douyin", "taobao_search"):
        assert np.isfinite(s[f"ads.cac_cny.{name}"])
    assert s["welcome.entered"] > 0 and s["coupons_redeemed"] > 0


@pytest.mark.parametrize("flighting", ["even", "front_loaded", "pulsed"])
def test_a_total_budget_is_spent_in_full_by_its_flighting_pattern(flighting):
    channels = {"douyin": {"total_budget_cny": 60000, "flighting": flighting, "pulse_every_days": 10, "pulse_days": 2}}
    daily = simlib.run(scenario(channels, users=2000, days=60), seed=1).daily["mix.ad_spend_cny.douyin"]
    assert daily.sum() == pytest.approx(60000)
    if flighting == "even":
        assert daily.min() == pytest.approx(1000)
    elif flighting == "front_loaded":
        assert (np.diff(daily) < 0).all()
    else:
        assert (daily > 0).sum() == 12 and list(np.flatnonzero(daily > 0)[:4]) == [0, 1, 10, 11]


def test_paid_acquisition_budget_schedule_doubles_from_a_day_or_a_date():
    """"Double the budget from week 14" is one schedule line, by day or by date."""
    by_day = simlib.load_scenario("baseline").override(
        {"policies.douyin_ads.schedule": [{"from_day": 91, "budget_cny_per_day": 2000}]})
    by_date = simlib.load_scenario("baseline").override(
        {"market.start_date": "2024-01-01",
         "policies.douyin_ads.schedule": [{"from_date": "2024-04-01", "to_date": "2024-04-10",
                                           "budget_cny_per_day": 2000}]})
    a = simlib.run(by_day, seed=1, users=2000, days=105).daily
    b = simlib.run(by_date, seed=1, users=2000, days=105).daily
    assert (a["ad_spend_cny"][:91] == 1500).all() and (a["ad_spend_cny"][91:] == 2500).all()
    assert (a["douyin_ads.impressions"][91:] == 2000 / 40 * 1000).all()
    assert (b["ad_spend_cny"][91:101] == 2500).all() and (b["ad_spend_cny"][101:] == 1500).all()


@pytest.mark.parametrize("item, key, words", [
    ({"from_day": 10, "to_day": 5}, "schedule[0].to_day", [">= from_day"]),
    ({"from_date": "2024-02-01"}, "schedule[0].from_date", ["market.start_date"]),
    ({"from_day": 3, "from_date": "2024-02-01"}, "schedule[0].from_date", ["not both"]),
    ({"budget": 3}, "schedule[0].budget", ["budget_cny_per_day"]),
])
def test_paid_acquisition_schedule_mistakes_name_the_key(item, key, words):
    with pytest.raises(simlib.ScenarioError) as err:
        simlib.load_scenario("baseline").override({"policies.douyin_ads.schedule": [item]})
    assert f"policies.douyin_ads.{key}" in str(err.value)
    for word in words:
        assert word in str(err.value)
