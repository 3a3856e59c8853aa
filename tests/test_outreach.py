"""Outreach: staff chats as a SimPy resource (queue, serve, drop), revisits, broadcasts with caps.

Directions and shapes, measured against arms with the same seed; no numbers copied from output.
"""

import numpy as np
import pytest
import simpy

import simlib
from simlib.engine import Sim
from simlib.errors import ScenarioError
from simlib.population import DORMANT, NEVER
from simlib.run import as_scenario

SEED = 5


def scenario(policies=None, users=8000, days=120, **market):
    """Baseline market whose pond already holds buyers on day 0 and keeps filling from ads."""
    market = {"users": users, "days": days, "initial_in_pond": 0.8,
              "initial_stage": {"aware": 0.05, "purchased": 0.06, "loyal": 0.06, "dormant": 0.03}, **market}
    base = {"douyin_ads": {"pond_entry_per_day": 0.01, "pond_entry_on_purchase": 0.3},
            "search_ads": {"pond_entry_on_purchase": 0.3}}
    return {"extends": "baseline", "market": market, "policies": {**base, **(policies or {})}}


def staff(members, **kw):
    return {"staff": {"type": "staff_chats", "staff_members": members, "chats_per_staff_per_day": 20, **kw}}


def run(policies=None, **kw):
    return simlib.run(scenario(policies), seed=SEED, **kw)


@pytest.fixture(scope="module")
def sweep():
    return {n: run(staff(n)) for n in (0, 1, 2, 4, 8, 64, 128)}


def test_more_staff_more_chat_conversions_until_demand_runs_out(sweep):
    orders = {n: r.summary["staff.chat_orders"] for n, r in sweep.items()}
    served = {n: r.summary["staff.chats_served"] for n, r in sweep.items()}
    assert orders[0] == 0 and served[0] == 0
    # while capacity binds, each step up in staff adds conversions
    assert orders[1] > 0
    assert orders[1] < orders[2] < orders[4] < orders[8], orders
    # demand is finite: past it, more staff changes almost nothing (flat)
    assert sweep[64].summary["staff.tasks_dropped"] == 0
    assert abs(orders[128] - orders[64]) <= 0.03 * orders[64], orders
    assert served[128] == served[64]
    # the gain per added staff member shrinks
    assert (orders[8] - orders[4]) / 4 < (orders[2] - orders[1])
    # and the whole business sells more with chats than without
    assert sweep[8].summary["purchases"] > sweep[0].summary["purchases"]


def test_staff_cost_is_booked_every_day(sweep):
    r = sweep[4]
    assert r.summary["staff.staff_cost_cny"] == pytest.approx(4 * 300.0 * r.summary["days"])
    assert sweep[0].summary["staff.staff_cost_cny"] == 0


def test_tasks_beyond_capacity_are_dropped_and_counted(sweep):
    d = sweep[1].daily
    assert (d["staff.chats_served"] <= 20).all()
    assert d["staff.tasks_dropped"].sum() > 0
    assert (d["staff.tasks_queued"] == d["staff.chats_served"] + d["staff.tasks_dropped"]).all()
    assert d["staff.staff_utilisation"].max() == pytest.approx(1.0)
    # with staff to spare, nothing queues for long: nothing is dropped
    assert sweep[128].daily["staff.tasks_dropped"].sum() == 0


def test_staff_is_a_simpy_resource_batches_queue_on():
    sim = Sim(as_scenario(scenario(staff(2), days=6)), seed=SEED)
    team = sim.policies[-1]
    assert isinstance(team.staff, simpy.PriorityResource) and team.staff.capacity == 2
    seen = []

    def monitor():
        for day in range(sim.days):
            yield sim.until(day, 0.3)                       # mid-window: staff busy, batches waiting
            seen.append((team.staff.count, len(team.staff.queue)))
            yield sim.until(day, sim.OUTREACH_END + 0.01)   # after the window: the queue was dropped
            seen.append((team.staff.count, len(team.staff.queue)))
    sim.env.process(monitor())
    sim.run()
    mid, after = seen[0::2], seen[1::2]
    assert all(busy <= 2 for busy, _ in mid)
    assert any(busy == 2 and waiting > 0 for busy, waiting in mid)
    assert all(waiting == 0 for _, waiting in after)


def test_priority_serves_only_the_listed_stages():
    sim = Sim(as_scenario(scenario(staff(1, priority_by_stage=["dormant"], wake_dormant_every_days=1), days=20)), seed=SEED)
    team = sim.policies[-1]
    stages = []

    def monitor():
        for day in range(sim.days):
            yield sim.until(day, sim.OUTREACH_END + 0.01)    # chats done, population step not yet
            stages.append(sim.pop.stage[team.last_chat_day == day])
    sim.env.process(monitor())
    sim.run()
    chatted = np.concatenate(stages)
    assert chatted.size > 0 and np.all(chatted == DORMANT)


def test_wake_up_chats_wake_more_dormant_customers():
    def woken(wake_every):
        r = run(staff(8, wake_dormant_every_days=wake_every, priority_by_stage=["dormant"], revisits_per_cycle=0))
        return r.daily["dormant"].iloc[-1], r.summary["purchases"]
    dormant_with, buys_with = woken(7)
    dormant_without, buys_without = woken(0)
    assert dormant_with < dormant_without
    assert buys_with > buys_without


def test_revisits_follow_the_repurchase_cycle():
    # more revisits per cycle -> more chats while staff are ample; none when revisits are off
    served = {k: run(staff(64, revisits_per_cycle=k, wake_dormant_every_days=0), days=60).summary["staff.chats_served"]
              for k in (0, 1, 4)}
    assert served[0] == 0
    assert served[1] < served[4], served


def test_assigned_tasks_from_other_policies_go_first():
    sim = Sim(as_scenario(scenario(staff(1), days=3)), seed=SEED)
    team = sim.policies[-1]
    vip = sim.pond_members()[:15]

    def assign_each_day():
        for day in range(sim.days):
            yield sim.until(day, sim.ACT)
            team.assign(vip)
    sim.env.process(assign_each_day())
    sim.run()
    still = vip[sim.pop.in_pond[vip]]   # who left the pond on the last day was not chatted
    assert still.size >= 10
    assert np.all(team.last_chat_day[still] == sim.days - 1)


def test_broadcast_cap_limits_messages_per_customer_per_week():
    totals = {}
    for cap in (1, 3):
        sc = scenario({"bc": {"type": "group_broadcast", "every_days": 1, "messages_per_send": 2,
                              "max_messages_per_customer_per_week": cap}}, days=28)
        sim = Sim(as_scenario(sc), seed=SEED)
        got = np.zeros((sim.days, sim.n), np.int64)
        send = sim.message

        def spy(idx, quality=0.0, count=1):
            to = send(idx, quality, count)
            got[sim.day, to] += count
            return to
        sim.message = spy
        sim.run()
        weekly = np.array([got[d:d + 7].sum(axis=0).max() for d in range(sim.days - 6)])
        assert weekly.max() == cap          # the cap binds and is never exceeded, in any 7 days
        totals[cap] = got.sum()
        assert sum(row["bc.capped_customers"] for row in sim.rows) > 0
    assert totals[1] < totals[3]


def test_more_broadcast_messages_more_unsubscribes():
    unsub = [run({"bc": {"type": "group_broadcast", "every_days": 1, "messages_per_send": k, "quality": 0.0,
                         "max_messages_per_customer_per_week": 7 * k}}, days=60).summary["unsubscribes"]
             for k in (1, 3)]
    assert unsub[1] > unsub[0]


def test_bad_outreach_settings_are_scenario_errors():
    with pytest.raises(ScenarioError, match=r"policies\.staff\.priority_by_stage\[1\].*allowed"):
        as_scenario(scenario(staff(1, priority_by_stage=["loyal", "lyal"])))
    with pytest.raises(ScenarioError, match=r"policies\.bc\.groups_policy"):
        Sim(as_scenario(scenario({"bc": {"type": "group_broadcast", "groups_policy": "nope"}}, days=2)), seed=1)
    with pytest.raises(ScenarioError, match=r"policies\.staff\.staff_members"):
        as_scenario(scenario(staff(-1)))


@pytest.mark.parametrize("preset", ["outreach_by_repurchase_cycle", "koc_community", "livestream_host"])
def test_presets_validate_and_run_small(preset):
    sc = simlib.load_scenario(f"{preset}.yaml")
    assert sc.get("policies.douyin_ads.type") == "paid_acquisition"   # extends the baseline
    r = simlib.run(sc, seed=1, users=3000, days=90)
    assert r.summary["gmv_cny"] > 0 and r.summary["pond_size_end"] > 0
    staff_names = [k for k, v in sc.data["policies"].items() if v["type"] == "staff_chats"]
    assert staff_names and r.summary[f"{staff_names[0]}.chats_served"] > 0


def test_priority_segments_are_served_first():
    seg = {"tags": {"type": "segments", "every_days": 1, "scope": "pond",
                    "tags": {"big_spender": {"monetary_cny_min": 150.0}}}}
    share = {}
    for first in ([], ["big_spender"]):
        sim = Sim(as_scenario(scenario({**seg, **staff(1, priority_segments=first)}, days=40)), seed=SEED)
        team = sim.policies[-1]
        served, vip = [], []

        def monitor():
            for day in range(sim.days):
                yield sim.until(day, sim.OUTREACH_END + 0.01)
                chatted = np.flatnonzero(team.last_chat_day == day)
                served.append(chatted.size)
                vip.append(int(sim.segments.is_member("big_spender", chatted).sum()))
        sim.env.process(monitor())
        sim.run()
        share[bool(first)] = sum(vip[5:]) / max(sum(served[5:]), 1)
    assert share[True] > share[False] + 0.2, share


def test_priority_segments_need_known_names():
    with pytest.raises(ScenarioError, match=r"priority_segments.*segments"):
        Sim(as_scenario(scenario(staff(1, priority_segments=["champions"]), days=2)), seed=1)
    sc = scenario({"tags": {"type": "segments"}, **staff(1, priority_segments=["champs"])}, days=2)
    with pytest.raises(ScenarioError, match=r"priority_segments\[0\].*champions"):
        Sim(as_scenario(sc), seed=1)


def test_a_team_without_staff_changes_nothing_else(sweep):
    """Common random numbers: an arm whose lever does nothing matches the arm without it, day by day."""
    none = run().daily
    zero = sweep[0].daily
    for col in ("purchases", "gmv_cny", "in_pond", "unsubscribes", "loyal", "dormant"):
        assert (none[col].to_numpy() == zero[col].to_numpy()).all(), col
