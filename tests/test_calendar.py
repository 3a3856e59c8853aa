"""Calendar: festivals land on their dates and spike; livestream sessions lift their viewers."""

import datetime as dt

import numpy as np
import pytest

import simlib
from conftest import pond_scenario
from simlib.policies.calendar import festival_days

SEED = 7


def scenario(policies=None, users=10000, days=160):
    return pond_scenario(policies, users, days)


def run(policies=None, **kw):
    return simlib.run(scenario(policies), seed=SEED, **kw)


def test_festival_days_follow_the_start_date():
    assert festival_days(dt.date(2025, 1, 1), 365, 6, 18) == [168]
    assert festival_days(dt.date(2025, 11, 1), 400, 11, 11) == [10, 375]
    assert festival_days(dt.date(2025, 11, 12), 300, 11, 11) == []
    assert festival_days(dt.date(2024, 1, 1), 800, 2, 29) == [59]


@pytest.fixture(scope="module")
def arms():
    # 618 falls on day 120 when day 0 is 18 February 2025
    festival = {"cal": {"type": "festival_calendar", "start_date": "2025-02-18", "festivals": {
        "618": {"date": "06-18", "warmup_days": 0, "lull_days": 0, "purchase_multiplier": 3.0}}}}
    return run(), run(festival)


def test_festival_spike_shows_on_its_day(arms):
    plain, fest = arms
    d = fest.daily.set_index("day")
    assert d.loc[120, "cal.on_sale"] == 1 and d["cal.on_sale"].sum() == 1
    around = d.loc[list(range(110, 120)) + list(range(121, 131)), "purchases"]
    assert d.loc[120, "purchases"] > 2.0 * around.mean()
    assert d.loc[120, "purchases"] > around.max()
    # before the festival nothing differs from the arm without it (same seed)
    p = plain.daily.set_index("day")
    assert (d.loc[:119, "purchases"] == p.loc[:119, "purchases"]).all()
    assert d.loc[120, "purchases"] > 2.0 * p.loc[120, "purchases"]


def test_lull_and_warmup_shape_the_days_before():
    cal = {"cal": {"type": "festival_calendar", "start_date": "2025-02-18", "festivals": {
        "618": {"date": "06-18", "warmup_days": 3, "warmup_multiplier": 1.5, "lull_days": 10,
                "lull_multiplier": 0.5, "purchase_multiplier": 3.0}}}}
    d = run(cal).daily.set_index("day")
    p = run().daily.set_index("day")
    m = d["cal.purchase_multiplier"]
    assert (m.loc[107:116] == 0.5).all() and (m.loc[117:119] == 1.5).all() and m.loc[120] == 3.0
    assert d.loc[107:116, "purchases"].sum() < 0.75 * p.loc[107:116, "purchases"].sum()
    assert d.loc[117:119, "purchases"].mean() > d.loc[107:116, "purchases"].mean()


def test_default_calendar_has_three_festivals_in_a_year():
    r = simlib.run(scenario({"cal": {"type": "festival_calendar", "start_date": "2025-01-01"}}, users=2000, days=365),
                   seed=SEED)
    d = r.daily.set_index("day")
    main = [d.index[d["cal.purchase_multiplier"] == m].tolist() for m in (3.0, 5.0, 1.8)]
    assert main == [[168], [314], [345]]   # 18 June, 11 November, 12 December 2025


def test_livestream_sessions_happen_on_their_days_and_lift_viewers():
    live = {"live": {"type": "livestream", "every_days": 7, "start_day": 30, "pond_reach_share": 0.3,
                     "channel": "douyin", "cost_cny_per_session": 1000}}
    r, p = run(live).daily.set_index("day"), run().daily.set_index("day")
    sessions = list(range(30, 160, 7))
    viewers = r["live.viewers"]
    assert (viewers.loc[sessions] > 0).all()
    assert viewers.drop(index=sessions).sum() == 0
    assert (r.loc[:29, "purchases"] == p.loc[:29, "purchases"]).all()
    # session days sell more than the days between them, and more than the same days without streams
    on = r.loc[sessions, "purchases"].mean()
    between = r.loc[[d + 3 for d in sessions if d + 3 < 160], "purchases"].mean()
    assert on > 1.15 * between
    assert on > 1.3 * p.loc[sessions, "purchases"].mean()
    # the call to join the group fills the pond on session days
    assert r.loc[sessions, "pond_joins"].mean() > 1.5 * p.loc[sessions, "pond_joins"].mean()
    events = simlib.run(scenario(live), seed=SEED).ledger.query("account == 'events'")
    assert events["amount_cny"].sum() == pytest.approx(1000 * len(sessions))


def test_explicit_session_days():
    r = run({"live": {"type": "livestream", "session_days": [40, 12, 40, 90]}}).daily
    assert np.flatnonzero(r["live.viewers"].to_numpy() > 0).tolist() == [12, 40, 90]


@pytest.mark.parametrize("policy, key", [
    ({"type": "festival_calendar", "start_date": "2025-13-01"}, "policies.x.start_date"),
    ({"type": "festival_calendar", "festivals": {"x": {"date": "11/11"}}}, "policies.x.festivals.x.date"),
    ({"type": "festival_calendar", "festivals": {"x": {"date": "02-30"}}}, "policies.x.festivals.x.date"),
    ({"type": "festival_calendar", "festivals": {"x": {"multiplier": 2}}}, "policies.x.festivals.x.multiplier"),
    ({"type": "livestream", "channel": "tiktok"}, "policies.x.channel"),
    ({"type": "livestream", "session_days": [3, -1]}, "policies.x.session_days[1]"),
])
def test_bad_calendar_settings_are_scenario_errors(policy, key):
    with pytest.raises(simlib.ScenarioError) as err:
        simlib.scenario_from_dict(scenario({"x": policy}))
    assert err.value.key == key
