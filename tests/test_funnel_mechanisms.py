"""Heterogeneity in the funnel and word of mouth that fades (behavior.ad_exposure_cv, interest_cv,
first_purchase_cv, word_of_mouth_fade_per_day), against their closed forms: a constant hazard h
with a gamma multiplier of mean 1 and coefficient of variation c leaves a share
(1 + c^2 h t)^(-1 / c^2) of a cohort after t days (gamma frailty)."""

from __future__ import annotations

import numpy as np
import pytest

import simlib
from simlib.behavior import RecentBuyerTalk

QUIET = {"awareness_per_day": 0.0, "word_of_mouth_per_day": 0.0, "forget_per_day": 0.0,
         "lose_interest_per_day": 0.0, "social_proof_effect": 0.0, "trust_effect": 0.0}


def one_channel(behavior, policies, initial, users=20_000, days=60):
    return simlib.scenario_from_dict({
        "extends": "baseline",
        "market": {"users": users, "days": days, "channels": {"douyin": {"share": 1.0}, "taobao_search": {"share": 0.0}},
                   "initial_stage": {"aware": 0.0, **initial}},
        "behavior": {**QUIET, **behavior},
        "policies": {"search_ads": {"enabled": False}, **policies}})


def frailty_share(h, cv, t):
    return (1 + cv**2 * h * t) ** (-1 / cv**2) if cv else np.exp(-h * t)


@pytest.mark.parametrize("cv", [0.0, 1.2])
def test_uneven_exposure_slows_the_ads_as_the_well_exposed_become_aware(cv):
    users, budget, cpm, a, cap = 20_000, 2000.0, 40.0, 0.003, 0.02
    sc = one_channel({"ad_exposure_cv": cv, "interest_per_day": 0.0},
                     {"douyin_ads": {"budget_cny_per_day": budget, "cpm_cny": cpm, "awareness_per_impression": a,
                                     "max_awareness_per_day": cap}}, {}, days=120)
    daily = simlib.run(sc, seed=3).daily
    h = cap * -np.expm1(-a * budget / cpm * 1000 / users / cap)
    t = daily["day"].to_numpy() + 1.0          # the row of day d is the state at time d + 1
    expected = users * frailty_share(h, cv, t)
    se = np.sqrt(expected * (1 - expected / users))
    assert np.max(np.abs(daily["unaware"] - expected) / se) < 4
    if cv:   # and visibly slower than even exposure by the end
        assert daily["unaware"].iloc[-1] - users * np.exp(-h * t[-1]) > 10 * se[-1]


@pytest.mark.parametrize("key, start, hazard_key, column", [
    ("first_purchase_cv", "interested", "first_purchase_per_day", "interested"),
    ("interest_cv", "aware", "interest_per_day", "aware"),
])
def test_heterogeneous_hazards_follow_the_gamma_frailty_curve(key, start, hazard_key, column):
    users, h, cv = 20_000, 0.05, 1.0
    behavior = {key: cv, hazard_key: h, "first_purchase_per_day": 0.0 if column == "aware" else h}
    sc = one_channel(behavior, {"douyin_ads": {"enabled": False}}, {start: 1.0})
    daily = simlib.run(sc, seed=5).daily
    t = daily["day"].to_numpy() + 1.0
    expected = users * frailty_share(h, cv, t)
    se = np.sqrt(expected * (1 - expected / users)) + 1
    assert np.max(np.abs(daily[column] - expected) / se) < 4
    assert daily[column].iloc[-1] - users * np.exp(-h * t[-1]) > 10 * se[-1]   # not the plain exponential


def test_no_spread_and_no_fading_change_nothing():
    base = simlib.load_scenario("baseline")
    off = base.override({"behavior.ad_exposure_cv": 0.0, "behavior.interest_cv": 0.0,
                         "behavior.first_purchase_cv": 0.0, "behavior.word_of_mouth_fade_per_day": 0.0})
    a = simlib.run(base, seed=2, users=3000, days=60).daily
    b = simlib.run(off, seed=2, users=3000, days=60).daily
    assert a.equals(b)


class _Buyers:
    """The few attributes of a population RecentBuyerTalk reads."""

    def __init__(self, users):
        self.channel_names, self.channel_size, self.reps = ["a"], np.array([users]), 1
        self.orders = np.zeros(users, np.int32)
        self.last_purchase_day = np.zeros(users, np.int16)
        self.channel = np.zeros(users, np.int8)
        self.buyers_by_channel = np.zeros((1, 1))

    def rep_of(self, idx):
        return np.zeros(len(idx), np.int64)


def test_recent_buyers_talk_fades_with_the_days_since_their_first_purchase():
    fade, users = 0.1, 1000
    pop = _Buyers(users)
    pop.orders[:50] = 1
    pop.last_purchase_day[:50] = -10             # 50 bought 10 days before day 0
    talk = RecentBuyerTalk(pop, fade)
    new_by_day = [0, 20, 0, 0, 30, 0, 0, 0]
    shares = []
    for day, new in enumerate(new_by_day):        # new buyers of day d are seen at the start of d + 1
        shares.append(talk.step()[0])
        pop.buyers_by_channel += new
    # at mid-day d: the old buyers are 10 + d + 0.5 days past their order, day j's new buyers d - j
    for day in range(1, len(new_by_day)):
        expected = 50 * np.exp(-fade * (10 + day + 0.5))
        expected += sum(n * np.exp(-fade * (day - j)) for j, n in enumerate(new_by_day[:day - 1]))
        # yesterday's new buyers are a day old; today's are extrapolated from them (as social proof is)
        expected += new_by_day[day - 1] * (np.exp(-fade) + 0.5)
        assert shares[day] * users == pytest.approx(expected, rel=1e-9), day


def test_word_of_mouth_that_fades_makes_fewer_aware_than_word_of_mouth_for_ever():
    sc = simlib.load_scenario("baseline")
    keep = simlib.run(sc, seed=4, users=20_000, days=150).daily
    fade = simlib.run(sc.override({"behavior.word_of_mouth_fade_per_day": 0.05}), seed=4, users=20_000,
                      days=150).daily
    assert fade["unaware"].iloc[-1] - keep["unaware"].iloc[-1] > 200
    assert (fade["unaware"] >= keep["unaware"] - 30).all()
