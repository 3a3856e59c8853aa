"""Community groups: entry threshold and size limit, activity decay and what lengthens it,
social proof within a group, complaints that spread unless handled. Same seed across arms."""

import numpy as np
import pytest

import simlib
from simlib.engine import Sim
from simlib.errors import ScenarioError
from simlib.run import as_scenario

SEED = 3


def scenario(policies=None, users=8000, days=120, **market):
    """Baseline market with a pond of buyers on day 0 (many with 2+ orders: group material)."""
    market = {"users": users, "days": days, "initial_in_pond": 0.8,
              "initial_stage": {"aware": 0.05, "purchased": 0.06, "loyal": 0.1}, **market}
    base = {"douyin_ads": {"pond_entry_per_day": 0.01, "pond_entry_on_purchase": 0.3},
            "search_ads": {"pond_entry_on_purchase": 0.3}}
    return {"extends": "baseline", "market": market, "policies": {**base, **(policies or {})}}


def groups(**kw):
    return {"type": "community_groups", **kw}


def sim_run(policies, **kw):
    sim = Sim(as_scenario(scenario(policies, **kw)), seed=SEED)
    result = sim.run()
    return sim, result


def test_entry_threshold_size_limit_and_group_count():
    sim, r = sim_run({"g": groups(groups=4, group_size_limit=150, entry_min_orders=2)}, days=60)
    g = sim.policies[-1]
    members = g.members()
    assert members.size == len(np.unique(members)) > 0
    assert np.all(sim.pop.orders[members] >= 2)
    assert np.all(g.group[members] < 4)
    sizes = np.bincount(g.group[members], minlength=4)
    assert sizes.max() <= 150 and np.array_equal(sizes, g.size)
    # groups fill in order: a later group only opens once the earlier ones are full
    open_ = g.opened_day >= 0
    assert np.all(sizes[:-1][open_[1:]] == 150)
    assert (r.daily["g.members"] <= 4 * 150).all()


def activity(**kw):
    """Mean activity of one big group over time (one group, so no fresh groups mix in)."""
    policies = {"g": groups(groups=1, group_size_limit=5000, activate_at_opening=False, **kw)}
    return simlib.run(scenario(policies), seed=SEED).daily["g.mean_activity"].to_numpy()


def test_activity_decays_without_activation():
    a = activity(activity_half_life_days=20.0)
    assert a[1] > 0
    assert np.all(np.diff(a[1:]) < 0)                 # strictly falling, every day
    assert a[41] == pytest.approx(a[1] * 0.25, rel=0.05)  # two half-lives later, a quarter


def test_activation_and_kocs_lengthen_the_group_lifecycle():
    plain = activity(activity_half_life_days=20.0)
    activated = activity(activity_half_life_days=20.0, activation_every_days=15, activation_lift=0.3)
    policies = {"kocs": {"type": "koc_program", "min_orders": 2, "min_trust": 0.0, "accept_share": 0.5},
                "g": groups(groups=1, group_size_limit=5000, activate_at_opening=False,
                            activity_half_life_days=20.0, koc_lift_per_day=0.01)}
    with_kocs = simlib.run(scenario(policies), seed=SEED).daily["g.mean_activity"].to_numpy()
    late = slice(60, None)
    assert activated[late].mean() > 2 * plain[late].mean()
    assert with_kocs[late].mean() > 2 * plain[late].mean()
    # each activation event is a visible jump (the group opens on day 0: days 15, 30, ...)
    jumps = np.flatnonzero(np.diff(activated) > 0) + 1
    assert list(jumps) == list(range(15, len(activated), 15))


def test_group_social_proof_lifts_member_purchases():
    orders = {}
    for effect in (0.0, 3.0):
        sim, r = sim_run({"g": groups(groups=10, group_size_limit=300, social_proof_effect=effect,
                                      complaint_per_order=0.0)})
        orders[effect] = int(sim.pop.orders[sim.policies[-1].members()].sum())
    assert orders[3.0] > orders[0.0]


def complaints(**kw):
    base = dict(groups=2, group_size_limit=1000, complaint_per_order=0.05, complaint_spread_per_day=2.0,
                complaint_close_per_day=0.0, koc_calm_per_day=0.0)
    policies = dict(kw.pop("extra", {}))
    policies["g"] = groups(**{**base, **kw})
    return simlib.run(scenario(policies, days=90), seed=SEED)


@pytest.fixture(scope="module")
def unhandled():
    return complaints()


def test_complaints_spread_when_nobody_handles_them(unhandled):
    d = unhandled.daily
    assert d["g.spread_complaints"].sum() > d["g.new_complaints"].sum() > 0
    open_ = d["g.open_complaints"].to_numpy()
    assert open_[30] > 3 * open_[5] > 0
    # most open complaints were caught from others, not from one's own order
    assert open_.max() > 2 * d["g.new_complaints"].sum()


def test_staff_handling_stops_the_spread(unhandled):
    handled = complaints(complaint_staff="care",
                         extra={"care": {"type": "staff_chats", "staff_members": 3, "chats_per_staff_per_day": 40,
                                         "revisits_per_cycle": 0, "wake_dormant_every_days": 0}})
    d, u = handled.daily, unhandled.daily
    assert d["g.open_complaints"].iloc[-30:].mean() < 0.2 * u["g.open_complaints"].iloc[-30:].mean()
    assert d["g.spread_complaints"].sum() < 0.5 * u["g.spread_complaints"].sum()
    assert d["g.closed_complaints"].sum() > 0
    # unhappy groups buy less: handling complaints pays back in group members' purchases
    assert handled.summary["purchases"] > unhandled.summary["purchases"]


def test_kocs_calm_complaints(unhandled):
    calmed = complaints(koc_calm_per_day=0.2,
                        extra={"kocs": {"type": "koc_program", "min_orders": 2, "min_trust": 0.0, "accept_share": 0.5}})
    assert calmed.daily["g.open_complaints"].iloc[-30:].mean() < 0.5 * unhandled.daily["g.open_complaints"].iloc[-30:].mean()


def test_group_chatter_is_content_that_builds_trust():
    sims = {q: sim_run({"g": groups(groups=10, group_size_limit=300, content_quality=q, complaint_per_order=0.0)}, days=60)[0]
            for q in (0.0, 1.0)}
    trust = {q: float(s.pop.trust[s.policies[-1].members()].mean()) for q, s in sims.items()}
    assert trust[1.0] > trust[0.0]


def test_bad_community_settings_are_scenario_errors():
    with pytest.raises(ScenarioError, match=r"policies\.g\.group_size_limit"):
        as_scenario(scenario({"g": groups(group_size_limit=1)}))
    with pytest.raises(ScenarioError, match=r"policies\.g\.complaint_staff.*staff_chats"):
        Sim(as_scenario(scenario({"g": groups(complaint_staff="nobody")}, days=2)), seed=1)
    with pytest.raises(ScenarioError, match=r"policies\.g\.complaint_staff.*staff_chats"):
        Sim(as_scenario(scenario({"g": groups(complaint_staff="douyin_ads")}, days=2)), seed=1)


def test_invite_seats_pond_members_below_the_threshold_while_there_is_room():
    sim = Sim(as_scenario(scenario({"g": groups(groups=2, group_size_limit=40, entry_min_orders=50)}, days=3)), seed=SEED)
    g = sim.policies[-1]
    seated = []

    def operator():
        yield sim.until(1, sim.ACT)
        pond = sim.pond_members()
        seated.append(g.invite(np.concatenate([pond[:100], pond[:10]])))   # duplicates are harmless
    sim.env.process(operator())
    r = sim.run()
    got = seated[0]
    assert got.size == 80                                  # two groups of 40, then no room
    assert np.all(sim.pop.orders[got] < 50)                # nobody met the threshold; invited anyway
    assert r.daily["g.joined"].sum() == 80 and r.daily["g.groups_open"].iloc[-1] == 2
