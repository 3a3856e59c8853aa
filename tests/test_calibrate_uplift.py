"""Effect sizes from past campaigns (issue 10 part 2): the reader, the moments, the fit, the test."""
import numpy as np
import pandas as pd
import pytest
import yaml

import simlib
from simlib.calibrate.uplift import build_campaign, calibrate_uplift, read_campaign, simulate
from simlib.calibrate.uplift import moments as mom
from simlib.calibrate.uplift.synthetic import campaign_results
from simlib.errors import UserError

CONTROL = """name: campaign
market:
  users: 20000
  days: 28
  channels: {wechat: {share: 1.0, word_of_mouth: 0.0}}
  initial_stage: {purchased: 0.4, loyal: 0.4, dormant: 0.2}
  initial_in_pond: 1.0
  initial_days_since_order: {dist: uniform, low: 0, high: 60}
"""
COUPON = """name: campaign_coupon
extends: control.yaml
policies:
  coupon: {type: percentage_coupon, off_share: 0.3, every_days: 14, valid_days: 14}
"""
CHATS = """name: campaign_chats
extends: control.yaml
policies:
  chats: {type: staff_chats, staff_members: 20, chats_per_staff_per_day: 200, repurchase_cycle_days: 28,
          revisits_per_cycle: 4, wake_dormant_every_days: 7}
"""
JOURNEY = """name: journey
extends: control.yaml
policies:
  sop:
    type: journey
    holdout_percent: 30
    entry: {trigger: days_since_purchase, days: 10}
    steps: [{assign_chat: {}}, {wait: 3}, {give_coupon: {off_share: 0.15}}]
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("campaigns")
    for name, text in (("control", CONTROL), ("coupon", COUPON), ("chats", CHATS), ("journey", JOURNEY)):
        (path / f"{name}.yaml").write_text(text)
    return path


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return str(path)


# -- reading -----------------------------------------------------------------------------------

GOOD = "customer_id,arm,orders,spend_cny\na,control,1,50\nb,control,0,0\nc,coupon,2,90.5\nd,coupon,1,40\n"


@pytest.mark.parametrize("text, where, what", [
    ("customer_id,arm,orders,colour\na,control,1,red\n", "row 1, column 'colour'", "unknown column; allowed"),
    ("customer_id,arm\na,control\n", "row 1", "no column 'orders'"),
    (GOOD.replace("c,coupon,2,", "c,coupon,2.5,"), "row 4, column 'orders'", "a whole number >= 0"),
    (GOOD.replace("d,coupon,1,40", "d,coupon,1,-40"), "row 5, column 'spend_cny'", "a number >= 0"),
    (GOOD.replace("d,coupon", "a,coupon"), "rows 2 and 5, column 'customer_id'", "the same customer"),
    (GOOD.replace("c,coupon", "c,").replace("d,coupon", "d,control"), "row 4, column 'arm'", "empty"),
    (GOOD.replace("coupon", "control"), "column 'arm'", "only one arm"),
    (GOOD.replace("control", "group_a"), "column 'arm'", "cannot tell the control group"),
    ("customer_id,arm,orders,spend_cny,pre_orders\na,control,1,5,1\nb,coupon,1,5,0\n", "row 1", "pre_spend_cny"),
    ("customer_id,arm,orders\na,control,1\nb,coupon,1\nc,coupon,0\n", "column 'arm'", "has 1 customer"),
    ("arm,week,customers,orders\ncontrol,1,100,5\ncontrol,1,100,6\ncoupon,1,100,7\n",
     "rows 2 and 3, column 'week'", "week 1 twice"),
    ("arm,week,customers,orders\ncontrol,1,100,5\ncontrol,2,100,6\ncoupon,1,100,7\n", "column 'week'",
     "no row for week 2"),
    ("arm,week,customers,orders\ncontrol,1,100,5\ncontrol,2,90,6\ncoupon,1,100,7\ncoupon,2,100,7\n",
     "row 3, column 'customers'", "the same number"),
    ("arm,week,customers,orders\ncontrol,0,100,5\ncoupon,0,100,7\n", "row 2, column 'week'", "week number"),
])
def test_bad_results_files_name_the_file_row_and_column(tmp_path, text, where, what):
    path = write(tmp_path / "results.csv", text)
    with pytest.raises(UserError) as err:
        read_campaign(path)
    message = str(err.value)
    assert message.startswith(path) and where in message and what in message


@pytest.mark.parametrize("content, what", [(b"", "empty"), (b"\xff\xfe\x00a", "UTF-8"), (None, "no such file")])
def test_unreadable_files(tmp_path, content, what):
    path = tmp_path / "r.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(UserError, match=what):
        read_campaign(path)


def test_per_customer_means_and_their_covariance(tmp_path):
    d = read_campaign(write(tmp_path / "r.csv", GOOD.replace("50\n", "¥50\n")))
    assert d.kind == "customers" and d.arms == ["control", "coupon"] and d.control == "control"
    assert np.allclose(d.means["control"], [0.5, 25.0]) and np.allclose(d.means["coupon"], [1.5, 65.25])
    # covariance of the mean: sample covariance / n, by hand for the control arm
    assert np.allclose(d.cov["control"], np.array([[0.5, 25.0], [25.0, 1250.0]]) / 2)


def test_weekly_totals_become_means_per_customer(tmp_path):
    text = "arm,week,customers,orders,spend_cny\ncontrol,2,200,30,\"3,000\"\ncontrol,1,200,20,2000\n" \
           "coupon,1,100,15,1400\ncoupon,2,100,12,1100\n"
    d = read_campaign(write(tmp_path / "w.csv", text))
    assert d.kind == "weekly" and d.periods == 2 and d.cov is None
    assert np.allclose(d.means["control"], [0.10, 0.15, 10.0, 15.0])
    assert np.allclose(d.means["coupon"], [0.15, 0.12, 14.0, 11.0])


def test_pre_period_sharpens_the_arm_means_without_moving_them(tmp_path):
    rng = np.random.default_rng(4)
    n = 4000
    pre = rng.poisson(rng.gamma(2.0, 1.0, size=2 * n))
    arm = np.repeat(["control", "coupon"], n)
    post = rng.poisson(0.9 * pre + 0.5 + 0.3 * (arm == "coupon"))
    frame = pd.DataFrame({"customer_id": np.arange(2 * n), "arm": arm, "orders": post, "pre_orders": pre,
                          "spend_cny": 50.0 * post, "pre_spend_cny": 50.0 * pre})
    path = tmp_path / "pre.csv"
    frame.to_csv(path, index=False)
    adjusted = read_campaign(path)
    plain = read_campaign(write(tmp_path / "plain.csv", frame.drop(columns=["pre_orders", "pre_spend_cny"])
                                .to_csv(index=False)))
    diff_adj = adjusted.means["coupon"][0] - adjusted.means["control"][0]
    assert diff_adj == pytest.approx(0.3, abs=4 * np.sqrt(adjusted.cov["coupon"][0, 0] * 2))
    assert adjusted.cov["coupon"][0, 0] < 0.5 * plain.cov["coupon"][0, 0]
    assert any("CUPED" in note for note in adjusted.notes)


def test_delta_method_covariance_of_log_uplifts_matches_monte_carlo():
    rng = np.random.default_rng(2)
    means = {"c": np.array([1.0, 50.0]), "t": np.array([1.2, 55.0])}
    blocks = {"c": np.array([[0.0004, 0.01], [0.01, 1.0]]), "t": np.array([[0.0005, 0.012], [0.012, 1.2]])}
    m, cov = mom.stacked_cov(means, ["c", "t"], blocks)
    analytic = mom.uplift_cov(m, cov, 2, ["c", "t"])
    draws = rng.multivariate_normal(m, cov, size=200_000)
    g = np.log(draws[:, 2:]) - np.log(draws[:, :2])
    assert np.allclose(np.cov(g, rowvar=False), analytic, rtol=0.03)


# -- what ran --------------------------------------------------------------------------------------

def test_arms_must_match_what_ran(folder, tmp_path):
    data = read_campaign(write(tmp_path / "r.csv", GOOD))
    with pytest.raises(UserError, match=r"say what each arm ran: either --arm ARM=SCENARIO .* \(coupon\)"):
        build_campaign(data, str(folder / "control.yaml"), arms={})
    three = read_campaign(write(tmp_path / "r3.csv", GOOD + "e,chats,1,10\nf,chats,0,0\n"))
    with pytest.raises(UserError, match=r"arm 'chats' is not declared.*--arm chats="):
        build_campaign(three, str(folder / "control.yaml"), arms={"coupon": str(folder / "coupon.yaml")})
    with pytest.raises(UserError, match="no arm 'cupon'"):
        build_campaign(data, str(folder / "control.yaml"), arms={"cupon": str(folder / "coupon.yaml"),
                                                                "coupon": str(folder / "coupon.yaml")})
    with pytest.raises(UserError, match="allowed: pond, buyers"):
        build_campaign(data, str(folder / "control.yaml"), arms={"coupon": str(folder / "coupon.yaml")},
                       population="members")
    journey_data = read_campaign(write(tmp_path / "j.csv", GOOD.replace("coupon", "variant_b")))
    with pytest.raises(UserError, match="not an arm of journey 'sop'"):
        build_campaign(journey_data, str(folder / "journey.yaml"))


def test_a_journeys_holdout_splits_its_entrants(folder, tmp_path):
    data = read_campaign(write(tmp_path / "r.csv", GOOD.replace("coupon", "treated")))
    campaign = build_campaign(data, str(folder / "journey.yaml"), users=3000)
    sims = simulate(campaign, {}, [1], keep_units=True)
    held, treated = sims.sizes["control"], sims.sizes["treated"]
    assert held / (held + treated) == pytest.approx(0.30, abs=0.05)
    assert not sims.paired


def test_arms_as_scenarios_share_their_customers(folder, tmp_path):
    data = read_campaign(write(tmp_path / "r.csv", GOOD))
    campaign = build_campaign(data, str(folder / "control.yaml"), arms={"coupon": str(folder / "coupon.yaml")},
                              users=2000)
    sims = simulate(campaign, {"behavior.discount_effect": 5.0}, [3], keep_units=True)
    assert sims.paired and sims.sizes["control"] == sims.sizes["coupon"] == 2000
    # the coupon arm buys more; the same people with the same luck otherwise
    assert sims.means["coupon"][0] > sims.means["control"][0]
    again = simulate(campaign, {"behavior.discount_effect": 5.0}, [3])
    assert np.array_equal(again.means["coupon"], sims.means["coupon"])


# -- the fit ---------------------------------------------------------------------------------------

def test_discount_effect_is_recovered_and_the_fragment_extends(folder, tmp_path):
    truth = 6.0
    data = campaign_results(str(folder / "control.yaml"), {"coupon": str(folder / "coupon.yaml")},
                            truth={"behavior.discount_effect": truth}, users=20_000, days=28, seed=901)
    path = tmp_path / "coupon_test.csv"
    data.to_csv(path, index=False)
    fit = calibrate_uplift(str(path), str(folder / "control.yaml"), fit=["behavior.discount_effect"],
                           arms={"coupon": str(folder / "coupon.yaml")}, seed=5)
    row = fit.table().loc["behavior.discount_effect"]
    assert abs(row["estimate"] - truth) < 3 * row["std_error"]
    assert row["std_error"] < 2.0                       # the campaign informs the effect
    assert fit.dof == 1 and 0.0 <= fit.p_value <= 1.0
    paths = fit.write(tmp_path / "calibration")
    names = {p.name for p in paths}
    assert {"fitted_uplift.yaml", "fitted_uplift_covariance.yaml", "uplift_moments.csv"} <= names
    strategy = tmp_path / "strategy.yaml"
    strategy.write_text(f"extends: [{folder / 'coupon.yaml'}, calibration/fitted_uplift.yaml]\n")
    scenario = simlib.load_scenario(str(strategy))
    assert scenario.data["behavior"]["discount_effect"] == pytest.approx(row["estimate"], rel=1e-5)
    from simlib.experiment.uncertainty import load_uncertain
    unc = load_uncertain(str(tmp_path / "calibration" / "fitted_uplift.yaml"))
    assert unc.keys == ("behavior.discount_effect",)
    assert unc.std_errors[0] == pytest.approx(row["std_error"], rel=1e-4)
    assert unc.low[0] == 0.0


def test_the_goodness_of_fit_test_rejects_a_wrong_fixed_effect(folder, tmp_path):
    """The chats campaign ran with chat_effect 2.5; a model that holds it at 0.3 and fits only
    the discount effect cannot match both campaigns."""
    truth = {"behavior.discount_effect": 5.0, "behavior.chat_effect": 2.5}
    specs = []
    for name in ("coupon", "chats"):
        data = campaign_results(str(folder / "control.yaml"), {name: str(folder / f"{name}.yaml")}, truth=truth,
                                users=8000, days=28, seed=77 if name == "coupon" else 78)
        data.to_csv(tmp_path / f"{name}.csv", index=False)
        wrong = {"behavior.chat_effect": 0.3}
        specs.append({"results": str(tmp_path / f"{name}.csv"),
                      "scenario": simlib.load_scenario(str(folder / "control.yaml")).override(wrong),
                      "arms": {name: simlib.load_scenario(str(folder / f"{name}.yaml")).override(wrong)},
                      "users": 8000})
    fit = calibrate_uplift(specs, fit=["behavior.discount_effect"], seed=2)
    assert fit.dof == 3
    assert fit.p_value < 0.05
    assert "rejected" in fit.test_text()


def test_an_exactly_identified_fit_says_the_test_cannot_reject(folder, tmp_path):
    data = campaign_results(str(folder / "control.yaml"), {"coupon": str(folder / "coupon.yaml")},
                            users=3000, days=14, seed=3)
    data.drop(columns=["spend_cny"]).to_csv(tmp_path / "orders_only.csv", index=False)
    fit = calibrate_uplift(str(tmp_path / "orders_only.csv"), str(folder / "control.yaml"),
                           fit="behavior.discount_effect", arms={"coupon": str(folder / "coupon.yaml")},
                           users=3000, days=14, max_iter=3)
    assert fit.dof == 0 and np.isnan(fit.p_value)
    assert "cannot reject" in fit.test_text()


def test_fit_keys_are_checked_against_the_declarations(folder, tmp_path):
    path = write(tmp_path / "r.csv", GOOD)
    kw = dict(arms={"coupon": str(folder / "coupon.yaml")}, users=200, days=7)
    with pytest.raises(UserError, match="Did you mean 'behavior.discount_effect'"):
        calibrate_uplift(path, str(folder / "control.yaml"), fit=["behavior.discount_efect"], **kw)
    with pytest.raises(UserError, match="not a number parameter"):
        calibrate_uplift(path, str(folder / "control.yaml"), fit=["behavior.purchase_regularity"], **kw)
    with pytest.raises(UserError, match="policies.points.goal_effect"):
        calibrate_uplift(path, str(folder / "control.yaml"), fit=["policies.points.goal_effect"], **kw)


# -- the command -----------------------------------------------------------------------------------

def test_command_fits_weekly_totals_and_writes_the_fragment(folder, tmp_path, capsys):
    from simlib.cli.main import main
    data = campaign_results(str(folder / "control.yaml"), {"coupon": str(folder / "coupon.yaml")},
                            users=4000, days=14, seed=12, weekly=True)
    data.to_csv(tmp_path / "weekly.csv", index=False)
    out = tmp_path / "cal"
    code = main(["calibrate", "uplift", str(tmp_path / "weekly.csv"), "--scenario", str(folder / "control.yaml"),
                 "--arm", f"coupon={folder / 'coupon.yaml'}", "--fit", "behavior.discount_effect",
                 "--users", "4000", "--out", str(out)])
    text = capsys.readouterr().out
    assert code == 0
    assert "week 2" in text and "Goodness of fit: J =" in text and "3 degrees of freedom" in text
    doc = yaml.safe_load((out / "fitted_uplift_covariance.yaml").read_text())
    assert list(doc["parameters"]) == ["behavior.discount_effect"] and len(doc["covariance"]) == 1


def test_command_errors_exit_2_with_the_message(folder, tmp_path, capsys):
    from simlib.cli.main import main
    bad = write(tmp_path / "bad.csv", GOOD.replace("1,40", "one,40"))
    code = main(["calibrate", "uplift", bad, "--scenario", str(folder / "control.yaml"),
                 "--arm", f"coupon={folder / 'coupon.yaml'}", "--fit", "behavior.discount_effect"])
    err = capsys.readouterr().err
    assert code == 2 and "bad.csv, row 5, column 'orders'" in err and "Traceback" not in err
    code = main(["calibrate", "uplift", bad, "--fit", "behavior.discount_effect"])
    assert code == 2 and "--scenario" in capsys.readouterr().err
    code = main(["calibrate", "uplift", write(tmp_path / "ok.csv", GOOD), "--scenario", str(folder / "control.yaml"),
                 "--arm", "coupon", "--fit", "behavior.discount_effect"])
    assert code == 2 and "expected ARM=SCENARIO" in capsys.readouterr().err


def test_a_campaigns_file_lists_several_campaigns_relative_to_itself(folder, tmp_path):
    from simlib.calibrate.uplift import read_campaigns_file
    (tmp_path / "a.csv").write_text(GOOD)
    (tmp_path / "c.yaml").write_text(f"extends: {folder / 'control.yaml'}\n")
    path = tmp_path / "campaigns.yaml"
    path.write_text("campaigns:\n  - {results: a.csv, scenario: c.yaml, arms: {coupon: c.yaml}, users: 500}\n"
                    "  - {results: a.csv, scenario: baseline, window_start: 7, name: second}\n")
    specs = read_campaigns_file(path)
    assert specs[0]["results"] == str(tmp_path / "a.csv") and specs[0]["scenario"] == str(tmp_path / "c.yaml")
    assert specs[0]["arms"] == {"coupon": str(tmp_path / "c.yaml")} and specs[0]["users"] == 500
    assert specs[1]["scenario"] == "baseline" and specs[1]["window_start"] == 7
    for text, problem in (("campaigns:\n  - {results: a.csv, scenario: c.yaml, colour: red}\n",
                           "campaigns[0].colour: unknown key"),
                          ("campaigns: a.csv\n", "expected `campaigns:` with a list"),
                          ("campaigns:\n  - {results: a.csv, scenario: c.yaml, users: many}\n",
                           "campaigns[0].users: expected a whole number"),
                          ("campaigns:\n  - {results: a.csv}\n", "campaigns[0].scenario: missing")):
        path.write_text(text)
        with pytest.raises(UserError, match=problem.replace("[", r"\[").replace("]", r"\]")):
            read_campaigns_file(path)
