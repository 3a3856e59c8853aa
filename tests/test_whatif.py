"""simlib.whatif: one setting against its reference on the same seeds, the numbers of the runs
themselves, cached by setting, levers named plainly."""

import sys

import pytest

import simlib
from simlib.errors import UserError
from simlib.report import whatif as module

SMALL = dict(users=300, days=40, reps=2, seed=1)


def test_the_panel_is_the_paired_difference_of_the_same_seeds():
    module.cache_clear()
    panel = simlib.whatif("coupon_ladder", reference="pond", idle_days=14, **SMALL)
    seeds = [1000, 1001]
    arm = simlib.load_scenario("coupon_ladder").override({"policies.ladder.idle_days": 14})
    mine = [simlib.run(arm, seed=s, users=300, days=40).summary["net_profit_cny"] for s in seeds]
    ref = [simlib.run("pond", seed=s, users=300, days=40).summary["net_profit_cny"] for s in seeds]
    row = panel.row("net_profit_cny")
    assert row["diff"] == pytest.approx(sum(m - r for m, r in zip(mine, ref)) / 2, rel=1e-12)
    assert panel.setting == {"policies.ladder.idle_days": 14}
    text = panel.text()
    assert text.startswith("What if policies.ladder.idle_days = 14 (coupon_ladder), against pond: 2 paired")
    assert ("Reading: not resolved" in text) == (not panel.resolved)


def test_a_setting_is_run_once(monkeypatch):
    module.cache_clear()
    calls = []
    real = sys.modules["simlib.run"].run_arms

    def counting(arms, **kwargs):
        calls.extend(sc.name for sc, _ in arms)
        return real(arms, **kwargs)

    monkeypatch.setattr(sys.modules["simlib.run"], "run_arms", counting)
    simlib.whatif("coupon_ladder", reference="pond", ladder__idle_days=21, **SMALL)   # the setting and its reference
    simlib.whatif("coupon_ladder", reference="pond", idle_days=21, **SMALL)          # the same setting
    simlib.whatif("coupon_ladder", reference="pond", idle_days=28, **SMALL)          # the reference is cached
    assert len(calls) == 3


def test_levers_are_named_plainly_or_the_error_says_how():
    with pytest.raises(UserError, match="no policy setting 'idle_dayz'.*Did you mean 'idle_days'"):
        simlib.whatif("coupon_ladder", idle_dayz=3, **SMALL)
    with pytest.raises(UserError, match=r"several policies \(douyin_ads, search_ads\).*douyin_ads__budget_cny_per_day"):
        simlib.whatif("pond", budget_cny_per_day=3000, **SMALL)
    with pytest.raises(UserError, match="at least 2"):
        simlib.whatif("coupon_ladder", reps=1)

