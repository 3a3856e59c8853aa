"""The verdict, the arm diff and the unit formats, on constructed cases with known answers."""

import numpy as np
import pandas as pd
import pytest

from simlib.experiment.compare import compare_table
from simlib.experiment.spec import Outcome
from simlib.report import decide, scenario_diff, warnings
from simlib.report.units import COUNT, MONEY, RATIO, SHARE, fmt, param_label
from simlib.report.verdict import turns_on_flip, turns_on_sensitivity

NET = [Outcome("net_profit_cny", "maximize")]


def runs_with(effects: dict, noise: dict | None = None, reps: int = 10, seed: int = 1) -> pd.DataFrame:
    """Net profit per arm and replication: a shared replication level (what CRN shares) plus
    the arm's effect plus the arm's own noise."""
    rng = np.random.default_rng(seed)
    level = rng.normal(100_000, 20_000, reps)
    rows = []
    for arm, effect in effects.items():
        own = rng.normal(0, (noise or {}).get(arm, 0.0), reps)
        for r in range(reps):
            rows.append({"arm": arm, "point": 0, "replication": r, "net_profit_cny": level[r] + effect + own[r]})
    return pd.DataFrame(rows)


def test_verdict_names_the_arm_that_clearly_earns_most():
    runs = runs_with({"ref": 0.0, "ladder": 5_000.0, "points": 1_000.0}, {"ladder": 300.0, "points": 300.0})
    v = decide(compare_table(runs, NET, "ref"), "ref", runs=runs)
    assert v.best == "ladder" and v.clear
    assert v.text.startswith("Best: ladder. Net profit +")
    assert "CNY vs ref" in v.text and "P(better) 1.00" in v.text and "10 paired replications" in v.text
    assert "beats the runner-up, points" in v.text      # the lead over the second arm is clear too


def test_no_clear_winner_when_the_interval_holds_zero():
    runs = runs_with({"ref": 0.0, "ladder": 300.0}, {"ladder": 3_000.0}, seed=4)
    table = compare_table(runs, NET, "ref")
    row = table[table["arm"] == "ladder"].iloc[0]
    assert row["diff_low"] < 0 < row["diff_high"]        # the case is what the test says
    v = decide(table, "ref", runs=runs)
    assert not v.clear
    assert v.text.startswith("No clear winner on net profit: ")
    assert "interval holds zero after 10 paired replications" in v.text
    assert not v.text.startswith("Best")


def test_keep_the_reference_when_every_alternative_clearly_loses():
    runs = runs_with({"ref": 0.0, "ladder": -4_000.0, "points": -9_000.0}, {"ladder": 200.0, "points": 200.0})
    v = decide(compare_table(runs, NET, "ref"), "ref", runs=runs)
    assert v.best == "ref" and v.clear
    assert v.text.startswith("Best: keep ref (the reference).") and "the closest, ladder," in v.text


def test_runner_up_within_noise_is_said_so():
    runs = runs_with({"ref": 0.0, "ladder": 5_000.0, "points": 4_900.0}, {"ladder": 1_500.0, "points": 1_500.0})
    v = decide(compare_table(runs, NET, "ref"), "ref", runs=runs)
    assert v.clear and v.best in ("ladder", "points")
    assert "not distinguishable from zero" in v.text
    other = "points" if v.best == "ladder" else "ladder"     # named together, not one alone
    assert v.text.startswith(f"Best: {v.best} or {other} (not resolved between them at this size).")


def test_smaller_is_better_outcomes_pick_the_smallest():
    runs = runs_with({"ref": 0.0, "cheap": -5_000.0}, {"cheap": 100.0}).rename(columns={"net_profit_cny": "marketing_cost_cny"})
    v = decide(compare_table(runs, [Outcome("marketing_cost_cny", "minimize")], "ref"), "ref")
    assert v.best == "cheap" and v.clear and "Marketing cost (without discounts and points owed) -5,0" in v.text


def test_the_assumption_it_turns_on_is_named_plainly():
    sens = pd.DataFrame({"arm": ["ladder - ref"] * 2, "outcome": "net_profit_cny",
                         "parameter": ["behavior.discount_effect", "behavior.trust_effect"],
                         "label": ["behavior.discount_effect", "behavior.trust_effect"],
                         "first": [0.6, 0.1], "total": [0.7, 0.15]})
    text = turns_on_sensitivity(sens, "net_profit_cny", "ladder", "ref")
    assert "Discount effect [log-multiplier]" in text and "about 70%" in text
    assert "behavior." not in text
    runs = runs_with({"ref": 0.0, "ladder": 5_000.0}, {"ladder": 300.0})
    v = decide(compare_table(runs, NET, "ref"), "ref", runs=runs, turns_on=text)
    assert v.text.endswith(text) and v.turns_on == text


def test_flip_point_is_where_the_difference_crosses_zero():
    diff = pd.DataFrame({"behavior.discount_effect": [1.0, 2.0, 3.0, 4.0],
                         "diff": [3_000.0, 1_000.0, -1_000.0, -3_000.0]})
    text = turns_on_flip(diff, "behavior.discount_effect", "net_profit_cny", "ladder", "points")
    assert "ladder leads below about 2.5, points above it" in text
    steady = turns_on_flip(diff.assign(diff=[1.0, 2.0, 3.0, 4.0]), "behavior.discount_effect",
                           "net_profit_cny", "ladder", "points")
    assert "stays ahead of points" in steady


def test_diff_lists_exactly_the_changed_keys():
    ref = {"name": "a", "description": "x", "market": {"users": 100, "days": 30},
           "behavior": {"discount_effect": 4.0, "trust_effect": 1.0},
           "policies": {"ads": {"type": "paid_acquisition", "budget_cny_per_day": 100.0}}}
    arm = {"name": "b", "description": "y", "market": {"users": 100, "days": 30},
           "behavior": {"discount_effect": 2.0, "trust_effect": 1.0},
           "policies": {"ads": {"type": "paid_acquisition", "budget_cny_per_day": 150},
                        "ladder": {"type": "coupon_ladder", "idle_days": 30}}}
    changes = scenario_diff(ref, arm)
    assert [(c.key, c.old, c.new) for c in changes[:2]] == [("behavior.discount_effect", 4.0, 2.0),
                                                           ("policies.ads.budget_cny_per_day", 100.0, 150)]
    assert [c.key for c in changes] == ["behavior.discount_effect", "policies.ads.budget_cny_per_day",
                                        "policies.ladder"]
    assert changes[2].text() == "policies.ladder: (absent) -> {type: coupon_ladder, ...}"
    assert scenario_diff(ref, ref) == []
    assert scenario_diff(ref, {**ref, "policies": {**ref["policies"], "ads": {"type": "paid_acquisition",
                                                                              "budget_cny_per_day": 100}}}) == []
    warned = warnings({"b": changes})
    assert len(warned) == 1 and "behavior.discount_effect" in warned[0] and "policies" not in warned[0].split("(")[1]
    assert warnings({"b": changes[1:]}) == []       # policies only: a clean arm


@pytest.mark.parametrize("value, unit, kwargs, text", [
    (1234567.4, MONEY, {}, "1,234,567"),
    (-0.4, MONEY, {}, "0"),
    (5408.0, MONEY, {"sign": True}, "+5,408"),
    (0.7441, SHARE, {}, "74.4%"),
    (0.0123, SHARE, {"sign": True, "diff": True}, "+1.2 pp"),
    (0.009789, RATIO, {"sign": True}, "+0.01"),
    (1.9349, RATIO, {}, "1.93"),
    (46294.0, COUNT, {}, "46,294"),
    (float("nan"), MONEY, {}, "n/a"),
])
def test_numbers_print_in_their_unit(value, unit, kwargs, text):
    assert fmt(value, unit, **kwargs) == text


def test_scenario_keys_get_plain_names_and_units():
    scenario = {"policies": {"ladder": {"type": "coupon_ladder"}, "douyin_ads": {"type": "paid_acquisition"}}}
    assert param_label("behavior.discount_effect") == "Discount effect [log-multiplier]"
    assert param_label("policies.douyin_ads.budget_cny_per_day", scenario) == "Budget (douyin ads) [CNY per day]"
    assert param_label("traits.price_sensitivity.mean") == "Price sensitivity, mean [0-1]"


def test_a_sweep_reads_a_side_only_where_the_interval_excludes_zero():
    diff = pd.DataFrame({"behavior.discount_effect": [2.0, 3.67, 5.33, 7.0],
                         "diff": [-14_000.0, -10_000.0, -12_000.0, -9_900.0],
                         "diff_low": [-110_000.0, -70_000.0, -80_000.0, -74_000.0],
                         "diff_high": [85_000.0, 49_000.0, 55_000.0, 54_000.0]})
    text = turns_on_flip(diff, "behavior.discount_effect", "net_profit_cny", "ladder", "pond")
    assert "not resolved at 4 of 4 points" in text and "stays" not in text
    clear = diff.assign(diff_low=diff["diff"] - 1_000.0, diff_high=diff["diff"] + 1_000.0)
    assert "stays behind pond" in turns_on_flip(clear, "behavior.discount_effect", "net_profit_cny", "ladder", "pond")
    flip = clear.assign(diff=[3_000.0, 1_000.0, -1_000.0, -3_000.0])
    flip = flip.assign(diff_low=flip["diff"] - 500.0, diff_high=flip["diff"] + 500.0)
    assert "ladder leads below about 4.5, pond above it" in turns_on_flip(
        flip, "behavior.discount_effect", "net_profit_cny", "ladder", "pond")


def test_an_unresolved_difference_that_leans_says_which_way():
    import pandas as pd
    from simlib.experiment.compare import compare_table
    from simlib.experiment.spec import Outcome
    from simlib.report.verdict import decide

    def verdict(diffs):
        runs = pd.DataFrame([{"arm": "pond", "replication": r, "net_profit_cny": 1000.0} for r in range(6)]
                            + [{"arm": "c", "replication": r, "net_profit_cny": 1000.0 + d} for r, d in enumerate(diffs)])
        table = compare_table(runs, [Outcome("net_profit_cny", "maximize")], "pond")
        return table[table.arm == "c"].iloc[0], decide(table, "pond").text

    row, text = verdict([-300, -100, 100, -400, -200, 0])        # t about -1.96 on 5 df
    assert row["diff_low"] < 0 < row["diff_high"] and row["p_better"] < 0.1
    assert text.startswith("No clear winner") and "On this evidence c more likely loses net profit" in text
    row, text = verdict([-300, 300, 100, -100, -200, 150])       # no lean
    assert 0.1 < row["p_better"] < 0.9 and "On this evidence" not in text
