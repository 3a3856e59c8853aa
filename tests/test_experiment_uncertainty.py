"""Fitted parameters that are not known exactly, carried into a comparison (issue 10 part 3)."""
import numpy as np
import pytest
import yaml
from scipy import stats

from simlib.errors import UserError
from simlib.experiment import Experiment
from simlib.experiment.uncertainty import decompose, load_uncertain

TRUE_GAP = 0.5   # arm b beats arm a by 100 x (effect - 3); the effect is estimated at 3.5


def gap_model(params, seed, arm):
    """Arm b's profit is 100 (effect - 3) above arm a's; both share the run's noise (CRN), and
    each arm has a little noise of its own."""
    rng = np.random.default_rng(seed)
    shared = rng.normal(0, 50)
    own = np.random.default_rng([seed, ord(arm)]).normal(0, 10)
    lift = 100 * (params.get("x.effect", 3.5) - 3) if arm == "b" else 0.0
    return {"profit": 1000 + shared + own + lift}


def compare_with_se(se, reps=40, inner=2, seed=11):
    spec = {"name": "gap", "arms": {"a": {}, "b": {}}, "replications": reps, "seed": seed,
            "outcomes": {"profit": "maximize"},
            "uncertain": {"parameters": {"x.effect": {"estimate": 3.5, "std_error": se}},
                          "inner_replications": inner}}
    return Experiment.from_dict(spec, model=gap_model).compare()


def test_p_better_moves_toward_one_half_as_the_standard_error_grows():
    ses = [0.02, 0.3, 1.0, 4.0]
    p = [compare_with_se(se).table.set_index("arm").loc["b", "p_better"] for se in ses]
    assert p[0] > 0.99
    assert all(a > b for a, b in zip(p, p[1:])), p
    assert abs(p[-1] - 0.5) < 0.15
    # in between it tracks the truth: P(100 (effect - 3) > 0) = Phi(0.5 / se)
    assert p[1] == pytest.approx(stats.norm.cdf(TRUE_GAP / 0.3), abs=0.12)


def test_more_replications_do_not_make_an_uncertain_parameter_certain():
    truth = stats.norm.cdf(TRUE_GAP / 0.3)       # 0.952
    row = compare_with_se(0.3, reps=160).table.set_index("arm").loc["b"]
    assert row["p_better"] == pytest.approx(truth, abs=0.04)
    # a t-test that takes the parameter's spread for noise would claim certainty
    assert row["p_better_sim"] > 0.9999


def test_the_interval_covers_the_parameter_spread_and_the_shares_add_up():
    row = compare_with_se(1.0, reps=60).table.set_index("arm").loc["b"]
    # the true difference at the drawn effects spreads with sd 100 x 1.0: the interval must be that wide
    assert row["diff_high"] - row["diff_low"] > 2 * 1.5 * 100
    assert row["diff_high_sim"] - row["diff_low_sim"] < 0.5 * (row["diff_high"] - row["diff_low"])
    assert row["share_param"] + row["share_sim"] == pytest.approx(1.0)
    # sd 100 from the parameter against sd ~14 from the arms' own noise: the parameter dominates
    assert row["share_param"] > 0.9
    assert row["voi_parameter"] == "x.effect"


def test_arms_share_each_draw_and_the_seed():
    exp = Experiment.from_dict({"name": "gap", "arms": {"a": {}, "b": {}}, "replications": 6, "seed": 3,
                                "outcomes": {"profit": "maximize"},
                                "uncertain": {"parameters": {"x.effect": {"estimate": 3.5, "std_error": 1.0}}}},
                               model=gap_model)
    runs = exp.compare().runs
    a = runs[runs["arm"] == "a"].set_index("replication")
    b = runs[runs["arm"] == "b"].set_index("replication")
    assert (a["seed"] == b["seed"]).all()
    assert (a["param:x.effect"] == b["param:x.effect"]).all()
    # two seeds per draw: replications 0 and 1 share the draw, 2 takes the next
    assert a.loc[0, "param:x.effect"] == a.loc[1, "param:x.effect"] != a.loc[2, "param:x.effect"]
    assert a.loc[0, "seed"] != a.loc[1, "seed"]


def test_variance_components_of_a_constructed_design():
    # 400 draws x 3 seeds: D = theta + e, Var(theta) = 4, Var(e) = 1
    rng = np.random.default_rng(5)
    theta = rng.normal(0, 2, size=(400, 1))
    groups = np.repeat(np.arange(400), 3)
    diff = theta[groups, 0] + rng.normal(0, 1, size=groups.size)
    out = decompose(diff, groups, theta, ["k"])
    assert out["method"] == "anova"
    assert out["var_param"] == pytest.approx(4.0, rel=0.15)
    assert out["var_sim"] == pytest.approx(1.0, rel=0.1)
    assert out["share_param"] == pytest.approx(0.8, abs=0.04)
    assert out["value_of_information"][0]["removes"] == pytest.approx(4.0, rel=0.15)


def test_value_of_information_names_the_parameter_that_matters():
    rng = np.random.default_rng(8)
    cov = np.diag([1.0, 1.0])
    theta = rng.multivariate_normal([0, 0], cov, size=300)
    groups = np.repeat(np.arange(300), 2)
    diff = 3 * theta[groups, 1] + 0.3 * theta[groups, 0] + rng.normal(0, 0.5, size=groups.size)
    voi = decompose(diff, groups, theta, ["weak", "strong"])["value_of_information"]
    assert voi[0]["parameter"] == "strong"
    assert voi[0]["removes"] == pytest.approx(9.0, rel=0.2)
    assert voi[1]["removes"] < 0.3


def test_draws_stay_inside_the_bounds_and_follow_the_covariance():
    unc = load_uncertain({"parameters": {"behavior.discount_effect": {"estimate": 0.2, "std_error": 1.0,
                                                                      "low": 0.0, "high": 20.0},
                                         "behavior.chat_effect": {"estimate": 1.0, "lower": 0.6, "upper": 1.4}},
                          "covariance": [[1.0, 0.0], [0.0, (0.4 / 1.959964) ** 2]]})
    x = unc.draws(1, 2000)
    assert x[:, 0].min() >= 0.0
    assert np.std(x[:, 1]) == pytest.approx(0.4 / 1.959964, rel=0.08)
    assert np.array_equal(unc.draws(1, 5), x[:5])    # draw g depends on (seed, g) only


@pytest.mark.parametrize("doc, problem", [
    ({"parameters": {"behavior.discount_effect": {"estimate": 4}}}, "std_error, or lower and upper"),
    ({"parameters": {"behavior.discount_effect": {"estimate": 4, "std_error": -1}}}, "must be >= 0"),
    ({"parameters": {"behavior.discount_effect": {"estimate": 4, "sd": 1}}}, "unknown key"),
    ({"parameters": {7: {"estimate": 4, "std_error": 1}}}, "dotted scenario key"),
    ({"parameters": {"behavior.discount_effect": {"estimate": 4, "std_error": 1}}, "covariance": [[1, 2]]},
     "1 x 1 matrix"),
    ({"parameters": {"a.b": {"estimate": 1, "std_error": 1}, "a.c": {"estimate": 1, "std_error": 1}},
      "covariance": [[1, 2], [2, 1]]}, "negative eigenvalue"),
    ({"parameters": {"a.b": {"estimate": 1, "std_error": 1}}, "inner_replications": 0}, "from 1 to"),
    ({"parameters": {"a.b": {"estimate": "x", "std_error": 1}}}, "finite number"),
])
def test_bad_uncertain_declarations_are_named(doc, problem):
    with pytest.raises(UserError, match=problem):
        load_uncertain(doc, "exp.yaml")


def test_a_fragment_without_its_covariance_file_is_refused(tmp_path):
    (tmp_path / "fitted.yaml").write_text("behavior: {discount_effect: 4.2}\n")
    with pytest.raises(UserError, match="fitted_covariance.yaml"):
        load_uncertain(str(tmp_path / "fitted.yaml"))
    with pytest.raises(UserError, match="no such file"):
        load_uncertain(str(tmp_path / "missing.yaml"))


def test_an_unknown_key_for_the_arms_is_refused_before_running():
    spec = {"name": "u", "base": "pond", "users": 200, "days": 5, "replications": 2,
            "arms": {"a": {}, "b": {}},
            "uncertain": {"parameters": {"behavior.discount_efect": {"estimate": 4, "std_error": 1}}}}
    with pytest.raises(UserError, match="discount_effect"):
        Experiment.from_dict(spec).compare()


def test_compare_command_prints_both_variance_shares(tmp_path, capsys):
    from simlib.cli.main import main
    fitted = tmp_path / "fitted_uplift.yaml"
    fitted.write_text("behavior: {discount_effect: 4.0}\n")
    (tmp_path / "fitted_uplift_covariance.yaml").write_text(yaml.safe_dump({
        "parameters": {"behavior.discount_effect": {"estimate": 4.0, "std_error": 2.0, "low": 0.0, "high": 20.0}},
        "covariance": [[4.0]]}))
    coupon = tmp_path / "coupon.yaml"
    coupon.write_text("extends: pond\npolicies:\n  coupon: {type: percentage_coupon, off_share: 0.3, every_days: 7}\n")
    out = tmp_path / "cmp"
    code = main(["compare", "pond", str(coupon), "--users", "1500", "--days", "40", "--reps", "8", "--workers", "1",
                 "--outcomes", "purchases,net_profit_cny", "--uncertain", str(fitted), "--no-progress",
                 "--out", str(out)])
    text = capsys.readouterr().out
    assert code == 0
    block = text[text.index("Where the uncertainty comes from"):text.index("Where the money goes")]
    rows = [line for line in block.splitlines() if line.strip().startswith("coupon")]
    shares = [[int(s.rstrip("%")) for s in row.split() if s.endswith("%")][:2] for row in rows]
    assert len(shares) == 2 and all(sum(pair) in (99, 100, 101) for pair in shares)
    assert "Discount effect" in block
    assert "4 draws x 2 seeds" in block
    # the report rebuilt from the folder alone shows the same shares
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Where the uncertainty comes from" in page
    from simlib.report import load_decision
    again = load_decision(str(out)).uncertainty
    assert len(again) == 2 and np.allclose(again["share_param"] + again["share_sim"], 1.0)
    printed = sorted(pair[0] for pair in shares)
    assert np.allclose(sorted(100 * again["share_param"]), printed, atol=0.6)


def test_an_experiment_file_names_its_uncertainty_file_relative_to_itself(tmp_path, capsys):
    from simlib.cli.main import main
    (tmp_path / "fits").mkdir()
    (tmp_path / "fits" / "shift.yaml").write_text("parameters:\n  shift: {estimate: 0.1, lower: -0.1, upper: 0.3}\n")
    (tmp_path / "exp.yaml").write_text(
        "name: bowl\nmodel: toy_quadratic\nreplications: 12\nseed: 4\noutcomes: {value: maximize}\n"
        "uncertain: fits/shift.yaml\n"
        "arms:\n  a: {overrides: {x: 0.3, y: 0.7}}\n  b: {overrides: {x: 0.45, y: 0.7}}\n")
    code = main(["experiment", str(tmp_path / "exp.yaml"), "--out", str(tmp_path / "out"), "--workers", "1",
                 "--no-progress", "--no-plots"])
    text = capsys.readouterr().out
    assert code == 0 and "Where the uncertainty comes from" in text and "6 draws x 2 seeds" in text
    stored = yaml.safe_load((tmp_path / "out" / "experiment.yaml").read_text())
    assert stored["uncertain"]["parameters"]["shift"]["std_error"] == pytest.approx(0.2 / 1.959964, rel=1e-5)
    from simlib.experiment import load_results
    runs = load_results(str(tmp_path / "out"), "compare")
    a = runs[runs["arm"] == "a"].set_index("replication")["param:shift"]
    b = runs[runs["arm"] == "b"].set_index("replication")["param:shift"]
    assert (a == b).all() and a.nunique() == 6


def test_replications_to_detect_count_the_parameter_variance_that_does_not_shrink():
    from simlib.experiment.compare import replications_needed
    from simlib.experiment.uncertainty import replications_with_parameters
    # no parameter uncertainty: the paired t-test's answer
    assert replications_with_parameters(2.0, 0.0, 4.0) == replications_needed(4.0, 2.0)
    # some: more replications than the simulation alone would need
    assert replications_with_parameters(2.0, 0.2, 4.0) > replications_needed(4.0, 2.0)
    # the parameter spread alone hides the difference (2.8^2 * 0.6 > 2^2): no number of runs settles it
    assert replications_with_parameters(2.0, 0.6, 4.0) == float("inf")
    # the count grows without bound as the parameter variance nears the limit
    limit = (2.0 / 2.8016) ** 2
    assert replications_with_parameters(2.0, 0.99 * limit, 4.0) > 1000
