"""KOCs and referral (fission): who becomes a KOC, what referral brings and costs, word of mouth.
Every comparison holds the seed fixed, so arms differ by the lever alone (common random numbers)."""

import numpy as np
import pytest

import simlib
from simlib.engine import Sim
from simlib.errors import ScenarioError
from simlib.population import LOST, LOYAL, UNAWARE
from simlib.run import as_scenario

SEED = 7


def scenario(policies=None, users=10000, days=150, **market):
    market = {"users": users, "days": days, "initial_in_pond": 0.8,
              "initial_stage": {"aware": 0.05, "purchased": 0.05, "loyal": 0.08}, **market}
    base = {"douyin_ads": {"pond_entry_per_day": 0.01, "pond_entry_on_purchase": 0.3},
            "search_ads": {"pond_entry_on_purchase": 0.3}}
    return {"extends": "baseline", "market": market, "policies": {**base, **(policies or {})}}


def sim_run(policies=None, **kw):
    sim = Sim(as_scenario(scenario(policies, **kw)), seed=SEED)
    return sim, sim.run()


FISSION = {"type": "referral_fission", "invites_per_referrer_per_day": 0.02}


@pytest.fixture(scope="module")
def arms():
    return {"none": sim_run(), "fission": sim_run({"fission": FISSION})}


def test_referral_brings_more_awareness_and_buyers_than_none(arms):
    (_, none), (_, fission) = arms["none"], arms["fission"]
    assert fission.summary["unaware_end"] < none.summary["unaware_end"]
    assert fission.summary["new_buyers"] > none.summary["new_buyers"]
    assert fission.summary["fission.friends_converted"] > 0


def test_referral_rewards_are_booked_for_both_sides_on_conversion(arms):
    sim, r = arms["fission"]
    converted = r.summary["fission.friends_converted"]
    booked = sim.ledger.total("referral_rewards", source="fission")
    assert booked == pytest.approx(converted * (10.0 + 10.0))
    assert r.daily["fission.rewards_cny"].sum() == pytest.approx(booked)
    assert arms["none"][0].ledger.total("referral_rewards") == 0
    # rewards are acquisition cost: they enter CAC
    assert r.summary["acquisition_cost_cny"] == pytest.approx(arms["none"][1].summary["acquisition_cost_cny"]
                                                             + booked, rel=0.05)


def test_friends_are_on_the_referrers_channel_and_had_not_bought(arms):
    sim, _ = arms["fission"]
    policy = sim.policies[-1]
    friends = np.flatnonzero(policy.referred_by >= 0)
    assert friends.size > 0
    referrers = policy.referred_by[friends]
    assert np.all(sim.pop.channel[friends] == sim.pop.channel[referrers])
    assert np.all(friends != referrers)
    # a friend's first order (if any) came after the invitation: nobody was a buyer before the run
    assert np.all(sim.pop.initial_orders[friends] == 0)


def test_a_bigger_referrer_reward_brings_more_invitations_and_costs_more():
    small = simlib.run(scenario({"fission": {**FISSION, "referrer_reward_cny": 5.0}}), seed=SEED).summary
    big = simlib.run(scenario({"fission": {**FISSION, "referrer_reward_cny": 40.0}}), seed=SEED).summary
    assert big["fission.invites_landed"] > small["fission.invites_landed"]
    assert big["fission.reward_cost_per_new_buyer_cny"] > small["fission.reward_cost_per_new_buyer_cny"]


KOC = {"type": "koc_program", "min_orders": 3, "min_trust": 0.2, "accept_share": 0.4}


def test_kocs_are_named_only_by_the_rule():
    sim, r = sim_run({"kocs": KOC})
    kocs = np.flatnonzero(sim.pop.koc)
    assert kocs.size > 0 and r.daily["kocs.kocs"].iloc[-1] == kocs.size
    pop = sim.pop
    assert np.all(pop.orders[kocs] >= 3)
    assert np.all(pop.in_pond[kocs]) and np.all(pop.stage[kocs] != LOST)
    # named while loyal; some may have gone quiet since, none has left
    assert np.mean(pop.stage[kocs] == LOYAL) > 0.5
    # a stricter rule names fewer
    strict, _ = sim_run({"kocs": {**KOC, "min_orders": 5}})
    assert np.all(strict.pop.orders[strict.pop.koc] >= 5)
    assert strict.pop.koc.sum() < kocs.size


def test_max_kocs_caps_the_programme():
    sim, r = sim_run({"kocs": {**KOC, "max_kocs": 25}}, days=80)
    assert r.daily["kocs.kocs"].max() <= 25


def test_koc_word_of_mouth_reaches_the_unaware():
    quiet, _ = sim_run({"kocs": {**KOC, "koc_word_of_mouth_vs_buyer": 0.0}})
    loud, _ = sim_run({"kocs": {**KOC, "koc_word_of_mouth_vs_buyer": 100.0}})
    assert np.count_nonzero(loud.pop.stage == UNAWARE) < np.count_nonzero(quiet.pop.stage == UNAWARE)


def test_kocs_invite_more_than_other_referrers():
    few = simlib.run(scenario({"kocs": KOC, "fission": {**FISSION, "koc_invite_factor": 1.0}}), seed=SEED).summary
    many = simlib.run(scenario({"kocs": KOC, "fission": {**FISSION, "koc_invite_factor": 5.0}}), seed=SEED).summary
    assert many["fission.invites_landed"] > few["fission.invites_landed"]


def test_bad_referral_settings_are_scenario_errors():
    with pytest.raises(ScenarioError, match=r"policies\.fission\.referrer_stages\[0\].*allowed"):
        as_scenario(scenario({"fission": {**FISSION, "referrer_stages": ["loyl"]}}))
    with pytest.raises(ScenarioError, match=r"policies\.fission\.invite_valid_days"):
        as_scenario(scenario({"fission": {**FISSION, "invite_valid_days": 0}}))
    with pytest.raises(ScenarioError, match=r"only one koc_program"):
        Sim(as_scenario(scenario({"k1": KOC, "k2": KOC}, days=2)), seed=1)


def test_a_fission_that_invites_nobody_changes_nothing(arms):
    """Common random numbers: a lever at zero gives the no-lever arm, day by day."""
    _, silent = sim_run({"fission": {**FISSION, "invites_per_referrer_per_day": 0.0}})
    none = arms["none"][1].daily
    for col in ("purchases", "gmv_cny", "unaware", "in_pond"):
        assert (none[col].to_numpy() == silent.daily[col].to_numpy()).all(), col
    assert silent.summary["fission.invites_landed"] == 0
