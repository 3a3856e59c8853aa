"""The report to forward: self-contained, rebuilt byte for byte from the stored runs, and the
Python API that produces it."""

import base64
import re

import numpy as np
import pytest
import yaml

import simlib
from simlib.report import load_decision

from conftest import simlib_cli

SMALL = ["--users", 300, "--days", 40, "--seed", 2, "--workers", 1, "--no-progress"]


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """baseline vs points_program vs points_program in a different market, with --out."""
    tmp = tmp_path_factory.mktemp("compare")
    other_world = tmp / "points_elsewhere.yaml"
    other_world.write_text(yaml.safe_dump({"name": "points_elsewhere", "extends": "points_program",
                                           "behavior": {"discount_effect": 2.0}}))
    out = tmp / "out"
    done = simlib_cli("compare", "baseline", "points_program", other_world, "--reps", 3, "--out", out, *SMALL)
    assert done.returncode == 0, done.stderr
    return done, out


def test_compare_prints_a_verdict_on_net_profit_first(compared):
    done, _ = compared
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Verdict: ") and "net profit" in lines[0].lower()
    assert lines[2] == "Net profit, CNY (higher is better)"
    assert "Where the money goes" in done.stdout and "points owed (liability)" in done.stdout
    assert "(what the strategy costs: every yuan given or spent above)" in done.stdout
    assert "policies.points: adds a points program policy" in done.stdout
    assert "big_brand_item: 3,000 points, cost 240 CNY" in done.stdout   # nested values, in their units
    # the arm that changes the market is flagged; the clean one is not
    assert "warning: points_elsewhere differs from the reference in more than its policies " \
           "(behavior.discount_effect)" in done.stderr
    assert "warning: points_program" not in done.stderr


def test_report_is_self_contained_and_embeds_every_figure(compared):
    _, out = compared
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Verdict." in page
    for external in (r'src="(?!data:)', r"<link\b", r"<script\b", r"url\(", r"@import", r"href=\"(?!#)"):
        assert not re.search(external, page, re.I), external
    figures = re.findall(r"<figure>(.*?)</figure>", page, re.S)
    images = re.findall(r'<img [^>]*src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(figures) == 4 and len(images) == len(figures)   # per arm, difference, costs, over time
    for data in images:
        assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"
    assert "behavior.discount_effect" in page and "(not a policy)" in page   # the diff names the key
    assert re.search(r"Net profit, CNY", page)


def test_report_reads_on_a_phone(compared):
    """A viewport, a narrow re-layout of every chart, tables that wrap or scroll in their box, the
    outcome table as cards; the cost table names what the strategy costs and the footnote defines it."""
    _, out = compared
    page = (out / "report.html").read_text(encoding="utf-8")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    narrow = re.findall(r'<source media="\(max-width: 640px\)" srcset="data:image/png;base64,([A-Za-z0-9+/=]+)">', page)
    assert len(narrow) == len(re.findall(r"<figure>", page)) == 4
    assert all(base64.b64decode(d)[:8] == b"\x89PNG\r\n\x1a\n" for d in narrow)
    assert "@media (max-width:640px)" in page and ".scroll{overflow-x:auto" in page
    assert re.search(r'<td class="num" data-arm="points_program">', page)          # cards on a phone
    assert 'class="total"><td>what the strategy costs: every yuan given or spent above' in page
    assert "<b>Return on the extra cost</b>" in page and "<b>ROI</b> = its whole market's net profit" in page
    # the comparison's ROI row is read against the reference: the extra net profit per extra yuan
    assert "Return on the strategy&#x27;s extra cost" in page or "Return on the strategy's extra cost" in page
    assert "big_brand_item: 3,000 points, cost 240 CNY" in page                    # the arm in full


def test_report_in_chinese(compared, tmp_path):
    _, out = compared
    zh = tmp_path / "zh.html"
    done = simlib_cli("report", out, "--out", zh, "--lang", "zh", "--quiet")
    assert done.returncode == 0, done.stderr
    page = zh.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page and "<b>结论。</b>" in page
    for heading in ("钱花在哪里", "利润随时间的变化", "各方案改了什么", "如何阅读本报告"):
        assert f"<h2>{heading}</h2>" in page
    assert "欠付积分（负债）" in page and "积分兑换 points_program" in page and "元</td>" in page
    assert '"Noto Sans CJK SC"' in page and "sans-serif;" in page      # a font stack that falls back
    bad = simlib_cli("report", out, "--out", zh, "--lang", "fr")
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def test_simlib_report_rebuilds_the_same_html(compared, tmp_path):
    _, out = compared
    again = tmp_path / "again.html"
    done = simlib_cli("report", out, "--out", again)
    assert done.returncode == 0, done.stderr
    assert again.read_bytes() == (out / "report.html").read_bytes()
    assert done.stdout.startswith("Verdict: ")


def test_report_of_a_folder_that_is_not_an_experiment_is_a_user_error(tmp_path):
    done = simlib_cli("report", tmp_path)
    assert done.returncode == 2 and "not an experiment folder" in done.stderr and "Traceback" not in done.stderr


def test_stored_decision_reconciles_with_the_runs(compared):
    _, out = compared
    d = load_decision(out)
    runs = simlib.load_results(str(out), "compare")
    means = runs.groupby("arm")["net_profit_cny"].mean()
    assert d.costs.loc["net profit", "points_program"] == pytest.approx(means["points_program"])
    assert d.costs.loc["points owed (liability)", "baseline"] == 0
    assert d.costs.loc["points owed (liability)", "points_program"] > 0
    assert d.table["outcome"].iloc[0] == "net_profit_cny"


def test_python_api_takes_names_paths_and_scenario_objects(tmp_path):
    ladder = simlib.load_scenario("coupon_ladder")
    d = simlib.compare(["baseline", ladder], reps=2, users=200, days=30, seed=1)
    assert isinstance(d.verdict, str) and d.verdict
    assert set(d.table["arm"]) == {"baseline", "coupon_ladder"}
    assert list(d.costs.columns[2:]) == ["baseline", "coupon_ladder"]
    assert d.diffs["coupon_ladder"] and all(c.is_strategy for c in d.diffs["coupon_ladder"])
    path = d.report(tmp_path)
    assert path.name == "report.html" and d.verdict.split(".")[0] in path.read_text(encoding="utf-8")
    named = simlib.compare({"now": "baseline", "ladder": ladder}, reps=2, users=200, days=30, seed=1)
    assert named.reference == "now" and set(named.table["arm"]) == {"now", "ladder"}
    # the same runs whatever the arm is called: common random numbers key draws by customer
    np.testing.assert_array_equal(named.table["mean"].to_numpy(), d.table["mean"].to_numpy())
    with pytest.raises(simlib.UserError, match="reps"):
        simlib.compare(["baseline", ladder], reps=1)


def test_result_plot_draws_funnel_and_money_in_plain_units():
    res = simlib.run("points_program", seed=1, users=500, days=60)
    fig = res.plot()
    funnel, money = fig.axes[:2]
    assert funnel.get_ylabel() == "share of the market" and money.get_ylabel() == "CNY"
    fig.canvas.draw()
    assert money.yaxis.get_offset_text().get_text() == ""                    # no "1e6"
    labels = [t.get_text() for t in money.get_legend().get_texts()]
    assert "net profit" in labels
    # the curve owes the points as they are earned: it ends at the summary's net profit
    net = next(line for line in money.get_lines() if line.get_label() == "net profit")
    assert net.get_ydata()[-1] == pytest.approx(res.summary["net_profit_cny"], rel=1e-9)
    assert res.summary["points_liability_cny"] > 0


TOY = {"name": "toy", "model": "toy_funnel", "replications": 3, "seed": 2,
       "arms": {"plain": {}, "coupon": {"overrides": {"discount": 0.1}}},
       "uncertainties": {"price_sensitivity": {"low": 0.0, "high": 4.0, "name": "price sensitivity"}},
       "outcomes": {"gross_profit_cny": "maximize"}}


def test_verdict_names_where_a_one_parameter_sweep_flips(tmp_path):
    from simlib.experiment import Experiment
    from simlib.report import write_report
    data = {**TOY, "sweep": {"design": "grid", "levels": 5, "arms": ["plain", "coupon"]}}
    Experiment.from_dict(data, out=str(tmp_path)).run_all()
    path, d = write_report(tmp_path)
    # the toy's 10 % coupon cuts the margin from 0.45 to 0.35 of the basket and multiplies
    # buying by 1 + 0.3 s: it pays when (1 + 0.3 s) x 0.35 > 0.45, i.e. above s = 0.95
    assert re.search(r"The answer turns on price sensitivity: plain leads below about 1\.\d+, coupon above it",
                     d.verdict), d.verdict
    assert "Where the answer flips" in path.read_text(encoding="utf-8")


def test_verdict_names_the_input_the_difference_depends_on(tmp_path):
    from simlib.experiment import Experiment
    data = {**TOY, "uncertainties": {**TOY["uncertainties"], "unused": {"low": 0.0, "high": 1.0}},
            "sensitivity": {"samples": 16, "bootstrap": 50, "difference": True, "arms": ["plain", "coupon"]}}
    Experiment.from_dict(data, out=str(tmp_path)).run_all()
    d = load_decision(tmp_path)
    assert "The answer turns on price sensitivity: it accounts for about" in d.verdict
    assert "of coupon - plain (total Sobol' index" in d.verdict and "unused" not in d.verdict
