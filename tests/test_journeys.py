"""SOP journeys: the language's checks, the walk through steps, caps, exit on goal, holdout."""

from pathlib import Path

import numpy as np
import pytest

import simlib
from simlib.engine import Sim
from simlib.population import NEVER
from simlib.policies.journeys import DONE, HOLDOUT

FIXTURES = Path(__file__).parent / "fixtures" / "journeys"

# a market where many customers are interested and in the pond from day 0
MARKET = {"users": 6000, "days": 70, "initial_stage": {"aware": 0.3, "interested": 0.15}, "initial_in_pond": 0.6}


def scenario(**policies):
    return simlib.scenario_from_dict({"extends": "baseline", "market": dict(MARKET), "policies": policies})


class Spy:
    """Run a Sim and record every (day, customers) the engine's contact methods get."""

    def __init__(self, sc, seed=3):
        self.sim = sim = Sim(sc, seed=seed)
        self.calls = {"message": [], "give_coupon": [], "chat": []}
        for name in self.calls:
            original = getattr(sim, name)

            def spy(idx, *args, _name=name, _original=original, **kw):
                out = _original(idx, *args, **kw)
                got = np.asarray(out if _name != "give_coupon" else idx)
                self.calls[_name].append((sim.day, got.copy()))
                return out
            setattr(sim, name, spy)
        self.result = sim.run()

    def reached(self, kind=None):
        kinds = [kind] if kind else list(self.calls)
        parts = [idx for k in kinds for _d, idx in self.calls[k]]
        return np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)


# --- broken journeys give clear errors ---------------------------------------------------------

@pytest.mark.parametrize("fixture, key, words", [
    ("unknown_action.yaml", "policies.welcome.steps[2].send_coupon", ["unknown action", "give_coupon", "wait"]),
    ("cycle_without_wait.yaml", "policies.reminder.steps", ["loop with no wait", "remind -> nudge -> remind"]),
    ("split_not_100.yaml", "policies.ab_test.steps[0].split.variants", ["sum to 100", "90"]),
    ("unknown_trigger.yaml", "policies.welcome.entry.trigger", ["unknown trigger", "joined_pond", "days_since_purchase"]),
    ("unknown_goto.yaml", "policies.welcome.steps[0].goto", ["Did you mean 'offer'"]),
    ("unknown_tag.yaml", "policies.winback.entry.tag", ["unknown tag", "dormant_30d"]),
])
def test_broken_journey_fixture_gives_a_clear_error(fixture, key, words):
    with pytest.raises(simlib.ScenarioError) as err:
        simlib.run(str(FIXTURES / fixture), users=300, days=3)
    message = str(err.value)
    assert fixture in message and key in message
    for word in words:
        assert word in message


@pytest.mark.parametrize("steps, words", [
    ([{"wait": 0}], ["steps[0].wait", "[1, 3650]"]),
    ([{"send_content": {}, "give_coupon": {}}], ["exactly one action"]),
    ([{"split": {"if": {"attribute": "trus", "above": 0.5}, "then": "end"}}], ["Did you mean 'trust'"]),
    ([{"give_coupon": {"off_share": 1.5}}], ["off_share", "[0, 1]"]),
    ([{"id": "a", "split": {"variants": [{"percent": 50, "goto": "b"}, {"percent": 50, "goto": "a"}]}},
      {"id": "b", "send_content": {}, "goto": "a"}], ["loop with no wait"]),
])
def test_inline_mistakes_are_scenario_errors(steps, words):
    with pytest.raises(simlib.ScenarioError) as err:
        scenario(j={"type": "journey", "steps": steps})
    for word in words:
        assert word in str(err.value)


def test_a_loop_with_a_wait_is_allowed():
    scenario(j={"type": "journey", "steps": [{"id": "a", "send_content": {}}, {"wait": 7, "goto": "a"}]})


# --- holdout ---------------------------------------------------------------------------------------

def test_holdout_group_receives_nothing_and_uplift_can_be_read_off():
    sc = scenario(nudge={"type": "journey", "entry": {"trigger": "entered_stage", "stage": "interested"},
                         "holdout_percent": 50, "steps": [
                             {"send_content": {"quality": 0.9}},
                             {"give_coupon": {"off_share": 0.3, "valid_days": 14}},
                             {"wait": 3},
                             {"assign_chat": {}}]})
    spy = Spy(sc)
    sim, s = spy.sim, spy.result.summary
    journey = next(p for p in sim.policies if p.name == "nudge")
    holdout = np.flatnonzero(journey.step == HOLDOUT)
    treated = np.flatnonzero(journey.entry_day != NEVER)
    treated = treated[journey.step[treated] != HOLDOUT]
    assert holdout.size > 200 and treated.size > 200
    assert np.intersect1d(spy.reached(), holdout).size == 0               # no message, coupon or chat
    assert np.all(sim.pop.coupons.source[holdout] != sim.pop.coupons.sources.index("nudge"))
    assert np.intersect1d(spy.reached("chat"), treated).size > 0.5 * treated.size
    # uplift = conversion of the treated - conversion of the holdout, from the summary
    assert s["nudge.entered"] == treated.size and s["nudge.holdout_entered"] == holdout.size
    assert s["nudge.uplift"] == pytest.approx(s["nudge.conversion_rate"] - s["nudge.holdout_conversion_rate"])
    assert s["nudge.uplift"] > 0.03          # coupon + chat make interested customers buy sooner
    assert 0 < s["nudge.uplift_se"] < s["nudge.uplift"]


def test_holdout_share_is_close_to_the_declared_percent_and_stable_across_arms():
    def holdout_of(extra_steps):
        sc = scenario(j={"type": "journey", "entry": "joined_pond", "holdout_percent": 20,
                         "steps": [{"send_content": {}}] + extra_steps},
                      douyin_ads={"pond_entry_per_day": 0.02})
        sim = Sim(sc, seed=5)
        sim.run()
        j = sim.policies[-1]
        return set(np.flatnonzero(j.step == HOLDOUT)), np.count_nonzero(j.entry_day != NEVER)
    a, entered = holdout_of([])
    b, _ = holdout_of([{"give_coupon": {"off_share": 0.3}}])
    assert 0.15 < len(a) / entered < 0.25
    both = a | b
    assert len(a & b) > 0.8 * len(both)   # the same customers are held out in both arms (CRN)


# --- walking the steps -----------------------------------------------------------------------------

def test_steps_run_in_order_with_waits_counted_in_days():
    sc = scenario(j={"type": "journey", "entry": {"trigger": "entered_stage", "stage": "interested"},
                     "holdout_percent": 0, "exit_on_goal": False, "steps": [
                         {"send_content": {"quality": 0.9}},
                         {"wait": 4},
                         {"give_coupon": {"off_share": 0.1}}]})
    spy = Spy(sc)
    j = spy.sim.policies[-1]
    first = {}
    for day, idx in spy.calls["message"]:
        for i in idx[np.isin(idx, np.flatnonzero(j.entry_day != NEVER))]:
            first.setdefault(int(i), []).append(day)
    coupon_day = {}
    for day, idx in spy.calls["give_coupon"]:
        for i in idx:
            coupon_day.setdefault(int(i), day)
    checked = 0
    for i, day in coupon_day.items():
        entered = int(j.entry_day[i])
        assert first[i][0] == entered + 1          # first step the day after entry
        assert day == entered + 5                  # then wait 4 days
        checked += 1
    assert checked > 100


def test_variants_split_by_their_percent_and_are_reported():
    sc = scenario(j={"type": "journey", "entry": "joined_pond", "holdout_percent": 0,
                     "steps": [{"id": "ab", "split": {"variants": [{"name": "a", "percent": 25, "goto": "x"},
                                                                   {"name": "b", "percent": 75, "goto": "y"}]}},
                               {"id": "x", "send_content": {"quality": 0.5}, "goto": "end"},
                               {"id": "y", "give_coupon": {"off_share": 0.4, "valid_days": 21}}]},
                  douyin_ads={"pond_entry_per_day": 0.03})
    s = simlib.run(sc, seed=2).summary
    a, b = s["j.variant.ab.a.assigned"], s["j.variant.ab.b.assigned"]
    assert 0.95 * s["j.entered"] <= a + b <= s["j.entered"] and a + b > 400  # the last day's entrants wait
    assert 0.18 < a / (a + b) < 0.32
    assert s["j.variant.ab.b.conversion_rate"] > s["j.variant.ab.a.conversion_rate"] + 0.05  # a coupon converts more


def test_frequency_cap_and_quiet_period_space_out_touches():
    steps = [{"send_content": {}}, {"send_content": {}}, {"send_content": {}}]
    spy = Spy(scenario(j={"type": "journey", "entry": {"trigger": "entered_stage", "stage": "interested"},
                          "holdout_percent": 0, "exit_on_goal": False, "min_days_between_touches": 3,
                          "quiet_periods": [{"from_day": 30, "to_day": 39}], "steps": steps}))
    days = {}
    for day, idx in spy.calls["message"]:
        assert not 30 <= day <= 39                       # nothing in the quiet period
        for i in idx:
            days.setdefault(int(i), []).append(day)
    gaps = np.concatenate([np.diff(d) for d in days.values() if len(d) > 1])
    assert gaps.size > 100 and gaps.min() >= 3
    assert spy.result.summary["j.capped"] > 0
    uncapped = Spy(scenario(j={"type": "journey", "entry": {"trigger": "entered_stage", "stage": "interested"},
                               "holdout_percent": 0, "exit_on_goal": False, "steps": steps}))
    assert uncapped.result.summary["j.touches"] >= spy.result.summary["j.touches"]


def test_exit_on_goal_stops_touches_after_the_purchase():
    steps = [{"id": "again", "send_content": {"quality": 0.9}}, {"wait": 2, "goto": "again"}]
    spy = Spy(scenario(j={"type": "journey", "entry": {"trigger": "entered_stage", "stage": "interested"},
                          "holdout_percent": 0, "goal": "purchase", "steps": steps}))
    j = spy.sim.policies[-1]
    converted = np.flatnonzero(j.goal_day != NEVER)
    assert converted.size > 100
    assert np.all(j.step[converted] == DONE)
    for day, idx in spy.calls["message"]:
        hit = idx[np.isin(idx, converted)]
        assert np.all(j.goal_day[hit] >= day)          # nobody is messaged after the goal day


def test_chats_through_a_staff_team_and_direct_chats_are_capped():
    steps = [{"assign_chat": {}}]
    direct = simlib.run(scenario(j={"type": "journey", "entry": {"trigger": "entered_stage", "stage": "interested"},
                                    "holdout_percent": 0, "direct_chats_per_day": 5, "cost_cny_per_chat": 2,
                                    "steps": steps}), seed=1)
    s = direct.summary
    assert s["j.chats"] <= 5 * MARKET["days"] and s["j.chats_dropped"] > 0
    assert direct.ledger.query("account == 'staff'").amount_cny.sum() == pytest.approx(2 * s["j.chats"])


def test_segment_targets_need_a_segments_policy():
    with pytest.raises(simlib.ScenarioError) as err:
        simlib.run(scenario(j={"type": "journey", "entry": {"trigger": "segment", "segment": "champions"},
                               "steps": [{"send_content": {}}]}), users=300, days=3)
    assert "no segments policy" in str(err.value)


def test_tag_trigger_and_segment_split_target_the_right_customers():
    sc = scenario(seg={"type": "segments", "every_days": 7},
                  winback={"type": "journey", "entry": {"trigger": "tag", "tag": "dormant_30d"}, "holdout_percent": 0,
                           "steps": [{"split": {"if": {"segment": "hibernating"}, "then": "big", "else": "small"}},
                                     {"id": "small", "give_coupon": {"off_share": 0.05}, "goto": "end"},
                                     {"id": "big", "give_coupon": {"off_share": 0.3}}]})
    spy = Spy(sc)
    seg = spy.sim.segments
    j = spy.sim.policies[-1]
    entered = np.flatnonzero(j.entry_day != NEVER)
    assert entered.size > 50
    last = spy.sim.pop.last_purchase_day[entered].astype(int)
    # those who have not bought since entering entered when their last order was >= 30 days back
    quiet = last < j.entry_day[entered]
    assert quiet.sum() > 20
    assert np.all((last[quiet] == NEVER) | (j.entry_day[entered][quiet] - last[quiet] >= 30))
    assert seg.computed_day is not None


def test_chats_and_invites_can_be_handed_to_the_staff_and_community_policies():
    sc = scenario(team={"type": "staff_chats", "staff_members": 1, "chats_per_staff_per_day": 10,
                        "revisits_per_cycle": 0, "wake_dormant_every_days": 0},
                  groups={"type": "community_groups", "groups": 2, "group_size_limit": 50, "join_per_day": 0.0},
                  j={"type": "journey", "entry": {"trigger": "entered_stage", "stage": "interested"},
                     "holdout_percent": 0, "exit_on_goal": False, "chat_staff": "team", "group_policy": "groups",
                     "steps": [{"assign_chat": {}}, {"invite_to_group": {}}]})
    sim = Sim(sc, seed=2)
    s = sim.run().summary
    assert s["j.chats"] > 10 * MARKET["days"]            # more tasks than one staff member can serve ...
    assert s["team.chats_served"] <= 10 * MARKET["days"]   # ... so the team's capacity binds
    assert s["team.tasks_dropped"] > 0
    groups = next(p for p in sim.policies if p.name == "groups")
    assert s["j.group_joins"] > 50 and groups.members().size <= 100   # two groups of 50 seats
    assert s["j.invites"] > s["j.group_joins"]


def test_high_ticket_preset_runs_and_its_considering_step_fills():
    res = simlib.run("high_ticket", seed=1, users=3000, days=120)
    daily, s = res.daily, res.summary
    assert daily["consultation.at.considering"].max() > 0
    assert s["consultation.entered"] > 0 and s["consultants.chats_served"] > 0
    assert res.ledger.query("account == 'staff'").amount_cny.sum() > 0     # staff-heavy: consultants are paid


def test_a_festival_event_enrols_the_pond_the_day_before_so_the_first_step_lands_on_the_day():
    sc = scenario(festivals={"type": "festival_calendar", "start_date": "2026-06-01",
                             "festivals": {"618": {"date": "06-18"}}},
                  j={"type": "journey", "entry": {"trigger": "event", "event": "festivals", "days_before": 1},
                     "holdout_percent": 20, "steps": [{"give_coupon": {"off_cny": 3, "min_spend_cny": 99}}]})
    spy = Spy(sc)
    coupon_days = {day for day, idx in spy.calls["give_coupon"] if idx.size}
    assert coupon_days == {17}                           # 18 June is day 17 of a run from 1 June
    j = spy.sim.policies[-1]
    entered = np.flatnonzero(j.entry_day != NEVER)
    assert entered.size > 500 and np.all(j.entry_day[entered] == 16)


@pytest.mark.parametrize("name", ["retail_o2o", "high_ticket"])
def test_resolved_presets_round_trip_through_yaml(name):
    import yaml
    sc = simlib.load_scenario(name)
    again = simlib.scenario_from_dict(yaml.safe_load(sc.to_yaml()), source="round-trip")
    assert again.data == sc.data


def test_caps_across_journeys_count_every_journeys_touches_together():
    def two_journeys(shared):
        j = {"type": "journey", "entry": {"trigger": "entered_stage", "stage": "interested"}, "holdout_percent": 0,
             "exit_on_goal": False, "max_touches_per_week": 1, "caps_across_journeys": shared,
             "when_capped": "skip", "steps": [{"send_content": {}}]}
        spy = Spy(scenario(a=dict(j), b=dict(j)))
        per_week = {}
        for day, idx in spy.calls["message"]:
            for i in idx:
                per_week[(int(i), day // 7)] = per_week.get((int(i), day // 7), 0) + 1
        return max(per_week.values()), spy.result.summary
    most, s = two_journeys(shared=False)
    assert most == 2                                   # each journey may touch once a week
    most, s = two_journeys(shared=True)
    assert most == 1 and s["b.capped"] > 0             # together they may touch once a week


def test_audience_everyone_gives_platform_coupons_outside_the_pond_but_messages_only_the_pond():
    spy = Spy(scenario(j={"type": "journey", "entry": {"trigger": "entered_stage", "stage": "interested"},
                          "audience": "everyone", "holdout_percent": 0,
                          "steps": [{"send_content": {}}, {"give_coupon": {"off_share": 0.2}}]}))
    sim = spy.sim
    j = sim.policies[-1]
    entered = np.flatnonzero(j.entry_day != NEVER)
    couponed = spy.reached("give_coupon")
    outside = couponed[~sim.pop.in_pond[couponed]]
    assert outside.size > 50                                    # non-members got the coupon
    assert np.isin(entered, couponed).mean() > 0.9
    assert np.isin(outside, spy.reached("message")).mean() < 0.5   # most of them never got a message
