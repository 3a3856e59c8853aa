"""Robust verdicts (issue 18): the ranking of the arms across the effects they act through."""

import numpy as np
import pytest

import simlib
from simlib.experiment import Experiment, ExperimentError
from simlib.experiment import robust as rb
from simlib.experiment.discovery import best_split, explained_share, prim_box

MARGIN, DEPTH = 0.5, 0.2
BREAK_EVEN = np.log(MARGIN / (MARGIN - DEPTH)) / DEPTH      # 2.554: where the coupon starts to pay


def coupon_market(params, seed, arm):
    """A market in plain numpy, not simlib: 2,000 customers order Poisson(rate x 90 days); the coupon
    lifts the rate by exp(theta x depth) and gives depth off every order, so it pays exactly when
    exp(theta d) (m - d) > m, i.e. theta > ln(m / (m - d)) / d. ``ads`` lifts both arms alike and
    ``noise`` does nothing."""
    rng = np.random.default_rng([seed, 0 if arm == "none" else 1])
    rate = 0.03 * (1 + 0.2 * params["ads"]) * (np.exp(params["theta"] * DEPTH) if arm == "coupon" else 1.0)
    orders = rng.poisson(rate * 90, 2000).sum()
    return {"profit": float(orders * 100.0 * (MARGIN - DEPTH if arm == "coupon" else MARGIN))}


def planted(seed=3, theta=(0.5, 6.0), points=64, model=coupon_market):
    return Experiment.from_dict({
        "name": "planted", "arms": {"none": {}, "coupon": {}}, "seed": seed, "replications": 2,
        "outcomes": {"profit": "maximize"},
        "robust": {"points": points, "over": {"theta": {"low": theta[0], "high": theta[1]},
                                              "ads": {"low": 0, "high": 1}, "noise": {"low": 0, "high": 1}}}},
        model=model)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_planted_flip_is_found_on_its_effect_within_10_percent_of_the_threshold(seed):
    verdict = planted(seed).robust().verdict
    pair = verdict.pairs[0]
    assert pair.flips
    assert pair.rule["key"] == "theta"
    assert abs(pair.rule["threshold"] - BREAK_EVEN) < 0.1 * BREAK_EVEN, pair.rule
    assert pair.rule["wins_above"] == (pair.first == "coupon")
    assert pair.rule["accuracy"] > 0.95
    assert verdict.table.iloc[0]["key"] == "theta" and verdict.table.iloc[0]["explains"] > 0.9
    assert verdict.table.set_index("key").loc["noise", "explains"] < 0.1
    text = verdict.text()
    assert "turns on theta" in text and "coupon wins where theta > 2." in text


def test_a_ranking_that_holds_everywhere_says_so_and_names_no_threshold():
    verdict = planted(theta=(3.5, 6.0), points=16).robust().verdict
    pair = verdict.pairs[0]
    assert (pair.first, pair.second, pair.wins, pair.points) == ("coupon", "none", 16, 16)
    assert not pair.flips and pair.rule is None and pair.box is None
    assert "coupon beats none at 100 % of 16 assumption sets." in verdict.text()


def test_the_flip_region_of_two_effects_is_boxed_on_those_two():
    rng = np.random.default_rng(0)
    X = rng.random((200, 4))
    y = (X[:, 0] > 0.6) & (X[:, 2] < 0.4)
    box = prim_box(X, y, ["a", "b", "c", "d"])
    assert set(box["limits"]) == {"a", "c"}
    lo_a, hi_a = box["limits"]["a"]
    lo_c, hi_c = box["limits"]["c"]
    assert hi_a is None and abs(lo_a - 0.6) < 0.1 and lo_c is None and abs(hi_c - 0.4) < 0.1
    assert box["density"] > 0.8 and box["coverage"] > 0.7


def test_one_effect_split_and_explained_share():
    x = np.linspace(0, 1, 41)
    s = best_split(x, x > 0.3, x - 0.3)
    assert s["wins_above"] and s["correct"] == 41 and abs(s["threshold"] - 0.3) < 1e-9
    s = best_split(x, x < 0.7)
    assert not s["wins_above"] and abs(s["threshold"] - 0.7) <= 0.0125
    rng = np.random.default_rng(1)
    assert explained_share(x, x ** 2) > 0.99 and explained_share(x, rng.normal(size=41)) < 0.2


def test_the_design_is_a_latin_hypercube_over_the_plausible_ranges():
    effects = [rb.Effect("behavior.a", 1.0, 3.0), rb.Effect("behavior.k", 2, 10, integer=True)]
    d = rb.design(effects, 20, seed=5)
    assert d.shape == (20, 2)
    bins = np.floor((d["behavior.a"] - 1.0) / 2.0 * 20).astype(int)
    assert sorted(bins) == list(range(20))       # one point in each of 20 equal strata
    assert d["behavior.k"].between(2, 10).all() and d["behavior.k"].dtype.kind == "i"
    assert d.equals(rb.design(effects, 20, seed=5)) and not d.equals(rb.design(effects, 20, seed=6))


def test_fitted_effects_are_drawn_from_their_posterior_with_its_correlation():
    from simlib.experiment.uncertainty import UncertainParameters
    cov = np.array([[0.25, 0.2], [0.2, 0.25]])
    unc = UncertainParameters(("behavior.x", "behavior.y"), np.array([4.0, 1.0]), cov,
                              np.array([-np.inf, -np.inf]), np.array([np.inf, np.inf]))
    effects = rb.with_posterior([rb.Effect("behavior.x", 2.0, 7.0, "published"), rb.Effect("behavior.z", 0, 1)], unc)
    by_key = {e.key: e for e in effects}
    assert by_key["behavior.x"].basis == "fitted" and by_key["behavior.x"].mean == 4.0
    assert "behavior.y" in by_key and by_key["behavior.z"].mean is None
    d = rb.design(effects, 400, seed=2, uncertain=unc)
    assert abs(d["behavior.x"].mean() - 4.0) < 0.05 and abs(d["behavior.x"].std() - 0.5) < 0.05
    assert np.corrcoef(d["behavior.x"], d["behavior.y"])[0, 1] > 0.7


def _arm_data(names):
    return {n: simlib.load_scenario(n).data for n in names}


def test_the_effects_come_from_the_policies_the_arms_differ_by():
    from simlib.behavior import BEHAVIOR_PARAMS
    effects = {e.key: e for e in rb.effects_for(_arm_data(["pond", "coupon_ladder", "points_program"]))}
    for key in rb.MARKET_WIDE:
        assert f"behavior.{key}" in effects
    assert {"behavior.unsubscribe_per_message", "behavior.fatigue_effect"} <= set(effects)   # the ladder's messages
    assert effects["behavior.discount_effect"].arms == ("pond", "coupon_ladder", "points_program")   # the market's
    assert (effects["behavior.discount_effect"].low, effects["behavior.discount_effect"].high) == \
        BEHAVIOR_PARAMS["discount_effect"].plausible                    # its declared plausible range
    assert effects["policies.points.goal_effect"].arms == ("points_program",)
    assert (effects["policies.points.goal_effect"].low, effects["policies.points.goal_effect"].high) == (0.1, 0.6)
    assert "policies.points.redeem_per_day" in effects
    # the pond's ads are the same in every arm: their effects do not tell the arms apart
    assert not any(k.startswith("policies.douyin_ads.") for k in effects)
    chats = {e.key for e in rb.effects_for(_arm_data(["pond", "outreach_by_repurchase_cycle"]))}
    assert {"behavior.chat_effect", "behavior.wake_chat_per_day"} <= chats and "policies.points.goal_effect" not in chats


def test_every_declared_acts_through_names_a_behaviour_effect_with_a_range():
    from simlib.behavior import BEHAVIOR_PARAMS
    from simlib.policies.base import policy_types
    for name, cls in policy_types().items():
        for key in cls.acts_through:
            assert key in BEHAVIOR_PARAMS, (name, key)
            assert BEHAVIOR_PARAMS[key].plausible is not None, (name, key)


def test_a_robust_comparison_runs_every_arm_at_every_set_on_shared_seeds(tmp_path):
    out = tmp_path / "cmp"
    d = simlib.compare(["pond", "points_program"], reps=2, users=300, days=30, seed=4, robust=4, out=str(out))
    runs = simlib.load_results(str(out), stage="robust")
    assert len(runs) == 8 and set(runs["point"]) == {0, 1, 2, 3}
    seeds = runs.groupby("point")["seed"].agg(["nunique", "first"])
    assert (seeds["nunique"] == 1).all() and seeds["first"].nunique() == 4      # shared by arms, new per set
    pond = runs[runs["arm"] == "pond"]
    assert pond["param:policies.points.goal_effect"].isna().all()
    points = runs[runs["arm"] == "points_program"]
    assert points["param:policies.points.goal_effect"].between(0.1, 0.6).all()
    assert d.robust is not None and d.robust.points == 4
    section = d.rests_on()
    assert section["title"] == "What this answer rests on" and section["effects"]
    assert "Robust: " in d.verdict
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "What this answer rests on" in html and "goal_effect" in html
    again = simlib.load_decision(str(out))
    assert again.robust.text() == d.robust.text()
    from simlib.report.lang import Words
    from simlib.report.rests_on import render_rests_on
    zh = render_rests_on(section, Words("zh"))
    assert "这个结论依赖什么" in zh and "What this answer rests on" not in zh
    pair = d.robust.pairs[0]
    assert f"在 {100 * pair.share:.0f} % 的假设组（共 4 组）中胜过" in zh
    # the Chinese verdict line carries the robust sentence in Chinese, not the English one
    from simlib.report.lang import verdict_zh
    line = verdict_zh(d._verdict.facts, Words("zh"))
    assert "稳健性：" in line and f"在 {100 * pair.share:.0f} % 的假设组" in line
    assert not any(word in line for word in ("Robust", "beats", "assumption sets", "turns on"))


def test_a_model_function_needs_the_ranges_to_draw():
    with pytest.raises(ExperimentError, match="robust.over"):
        Experiment.from_dict({"name": "x", "arms": {"a": {}, "b": {}}, "outcomes": {"profit": "maximize"},
                              "robust": {"points": 8}}, model=coupon_market)
    with pytest.raises(ExperimentError, match="at least 2 arms"):
        Experiment.from_dict({"name": "x", "arms": {"a": {}, "b": {}}, "outcomes": {"profit": "maximize"},
                              "robust": {"points": 8, "arms": ["a"], "over": {"t": {"low": 0, "high": 1}}}},
                             model=coupon_market)
    with pytest.raises(ExperimentError, match="low < high"):
        Experiment.from_dict({"name": "x", "arms": {"a": {}, "b": {}}, "outcomes": {"profit": "maximize"},
                              "robust": {"points": 8, "over": {"t": {"low": 1, "high": 1}}}}, model=coupon_market)


def test_the_command_line_prints_what_the_answer_rests_on(capsys):
    from simlib.cli.main import main
    assert main(["compare", "pond", "points_program", "--reps", "2", "--users", "300", "--days", "20",
                 "--robust", "4", "--workers", "1", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "What this answer rests on" in out and "assumption sets" in out
    assert main(["compare", "pond", "points_program", "--robust-reps", "2", "--no-progress"]) == 2
    assert "only with --robust" in capsys.readouterr().err
    assert main(["compare", "pond", "points_program", "--robust", "2", "--no-progress"]) == 2


def coin_market(params, seed, arm):
    """Profit that does not depend on any effect: a coin flip per set decides which arm leads."""
    lead = np.random.default_rng([seed, 7]).normal(0.0, 100.0)
    return {"profit": lead if arm == "a" else 0.0}


def tie_market(params, seed, arm):
    """Both arms earn the same at every set (a policy that never acts)."""
    return {"profit": 10.0 * params["x"]}


def test_a_flip_no_effect_explains_is_not_pinned_on_one():
    exp = Experiment.from_dict({"name": "coin", "arms": {"a": {}, "b": {}}, "seed": 1, "outcomes": {"profit": "maximize"},
                                "robust": {"points": 64, "over": {f"x{i}": {"low": 0, "high": 1} for i in range(8)}}},
                               model=coin_market)
    verdict = exp.robust().verdict
    pair = verdict.pairs[0]
    assert pair.flips and not pair.rule["significant"]
    assert "no single effect sorts the sets better than chance" in verdict.text()
    assert not verdict.table["sorts_significant"].any() and not verdict.table["significant"].any()


def test_arms_that_earn_the_same_tie_rather_than_lose():
    exp = Experiment.from_dict({"name": "tie", "arms": {"a": {}, "b": {}}, "seed": 1, "outcomes": {"profit": "maximize"},
                                "robust": {"points": 8, "over": {"x": {"low": 0, "high": 1}}}}, model=tie_market)
    verdict = exp.robust().verdict
    pair = verdict.pairs[0]
    assert (pair.wins, pair.losses, pair.ties) == (0, 0, 8) and not pair.flips
    assert list(verdict.rankings["ranking"]) == ["a = b"] and verdict.holds() == 0.0
    assert "the two earn exactly the same at 8" in verdict.text()


def test_an_experiment_file_runs_its_robust_stage_and_reports_it(tmp_path, capsys):
    from simlib.cli.main import main
    spec = tmp_path / "lvp.yaml"
    spec.write_text("name: lvp\nbase: pond\nusers: 300\ndays: 20\nseed: 2\nreplications: 2\n"
                    "arms: {pond: {}, points: {scenario: points_program}}\noutcomes: {net_profit_cny: maximize}\n"
                    "robust: {points: 4}\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["experiment", str(spec), "--out", str(out), "--workers", "1", "--no-progress", "--no-plots"]) == 0
    printed = capsys.readouterr().out
    assert "Across 4 assumption sets" in printed and "Robust: " in printed
    assert "What this answer rests on" in (out / "report.html").read_text(encoding="utf-8")
    assert main(["experiment", str(spec), "--out", str(out), "--only", "robust", "--workers", "1",
                 "--no-progress", "--no-plots"]) == 0      # resumed: every run is already stored


def test_a_fitted_effect_is_drawn_from_its_posterior_in_a_robust_comparison():
    d = simlib.compare(["pond", "coupon_ladder"], reps=2, users=200, days=20, seed=3, robust=8,
                       uncertain={"parameters": {"behavior.discount_effect": {"estimate": 5.0, "std_error": 0.2}}})
    effect = next(e for e in d.robust.effects if e.key == "behavior.discount_effect")
    assert effect.basis == "fitted" and effect.mean == 5.0
    drawn = d.robust.design["behavior.discount_effect"]
    assert drawn.between(4.0, 6.0).all() and drawn.std() < 0.4      # not its plausible range
    assert "fitted ones from their posterior" in d.robust.text()
