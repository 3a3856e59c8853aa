"""Predicting a campaign: `simlib compare BASE OFFER --assignment A.csv` sends the offer to the
assigned customers and reports per-treated outcomes (the arm difference / customers sent to)."""

import warnings

import numpy as np
import pandas as pd
import pytest

import simlib
from simlib.cli.main import main
from simlib.experiment.parameters import Outcome
from simlib.experiment.per_treated import add_per_treated, campaign_outcomes
from simlib.experiment.compare import compare_table

BASE = ("extends: pond\nmarket: {users: 600, days: 20, initial_stage: {purchased: 0.5, loyal: 0.3}, "
        "initial_in_pond: 1.0}\n")


@pytest.fixture()
def folder(tmp_path):
    (tmp_path / "base.yaml").write_text(BASE)
    (tmp_path / "offer.yaml").write_text("extends: base.yaml\npolicies:\n  cp: {type: percentage_coupon, "
                                         "off_share: 0.3, on_day: 2}\n")
    (tmp_path / "a.csv").write_text("customer_id,arm\n" + "".join(f"{i},{'coupon' if i % 3 else 'control'}\n"
                                                                  for i in range(600)))
    return tmp_path


def test_per_treated_rows_are_the_paired_difference_divided_by_the_treated():
    runs = pd.DataFrame({"arm": ["ref", "a"] * 3, "replication": [0, 0, 1, 1, 2, 2],
                         "purchases": [100, 130, 90, 126, 110, 134], "net_profit_cny": [1000., 700, 900, 650, 1100, 800],
                         "treated_customers": [np.nan, 40] * 3, "customers_per_simulated": [2.0] * 6})
    outcomes = campaign_outcomes([Outcome("net_profit_cny", "maximize", "net_profit_cny", None)], runs, "ref")
    assert [o.key for o in outcomes] == ["net_profit_cny", "purchases"]
    table = add_per_treated(compare_table(runs, outcomes, "ref"), runs, "ref").set_index(["outcome", "arm"])
    # by hand: orders +30, +36, +24 over 40 treated; money -300, -250, -300 over 40 x 2 real customers
    assert table.loc[("purchases_per_treated", "a"), "diff"] == pytest.approx(30 / 40)
    assert table.loc[("net_profit_cny_per_treated", "a"), "diff"] == pytest.approx(-850 / 3 / 80)
    plain = table.loc[("purchases", "a")]
    per = table.loc[("purchases_per_treated", "a")]
    assert per["diff_low"] == pytest.approx(plain["diff_low"] / 40) and per["p_better"] == plain["p_better"]
    assert per["reps_needed"] == plain["reps_needed"] and per["n_treated"] == 40
    assert table.loc[("purchases_per_treated", "ref"), "diff"] == 0


def test_no_per_treated_rows_without_a_treated_group():
    runs = pd.DataFrame({"arm": ["ref", "a"] * 2, "replication": [0, 0, 1, 1], "net_profit_cny": [1., 2, 3, 5]})
    out = [Outcome("net_profit_cny", "maximize", "net_profit_cny", None)]
    table = compare_table(runs, campaign_outcomes(out, runs, "ref"), "ref")
    assert add_per_treated(table, runs, "ref").equals(table)


def test_compare_with_an_assignment_reports_per_treated_outcomes(folder, capsys, monkeypatch):
    monkeypatch.chdir(folder)
    code = main(["compare", "base.yaml", "offer.yaml", "--assignment", "a.csv", "--reps", "3", "--workers", "1",
                 "--out", "cmp", "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Per treated customer of offer (400 sent): net profit" in out
    table = pd.read_csv(folder / "cmp" / "comparison.csv").set_index(["outcome", "arm"])
    runs = pd.read_csv(folder / "cmp" / "compare_runs.csv")
    by_arm = runs.pivot(index="replication", columns="arm", values="purchases")
    assert table.loc[("purchases_per_treated", "offer"), "diff"] == pytest.approx(
        (by_arm["offer"] - by_arm["base"]).mean() / 400)
    assert set(runs.loc[runs["arm"] == "offer", "treated_customers"]) == {400}
    assert "per treated customer" in (folder / "cmp" / "report.html").read_text().lower()


def test_the_python_compare_takes_the_assignment_too(folder, monkeypatch):
    monkeypatch.chdir(folder)
    d = simlib.compare(["base.yaml", "offer.yaml"], reps=2, assignment="a.csv", assignment_arm="coupon")
    rows = d.table[d.table["outcome"] == "net_profit_cny_per_treated"].set_index("arm")
    assert rows.loc["offer", "n_treated"] == 400 and rows.loc["offer", "diff"] < 0   # a 30 % coupon costs


@pytest.mark.parametrize("args, says", [
    (["--assignment", "missing.csv"], "no such file"),
    (["--assignment", "a.csv", "--assignment-arm", "cupon"], "Did you mean 'coupon'"),
    (["--assignment-arm", "coupon"], "only with --assignment"),
    (["--assignment", "three.csv"], "say which one receives the campaign"),
    (["--assignment", "strangers.csv"], "are not customers of this market"),
    (["--assignment", "dup.csv"], "listed twice"),
])
def test_a_bad_assignment_is_a_clear_error_and_exit_2(folder, capsys, monkeypatch, args, says):
    monkeypatch.chdir(folder)
    (folder / "three.csv").write_text("customer_id,arm\n1,control\n2,a\n3,b\n")
    (folder / "strangers.csv").write_text("customer_id\n1\nu-77\n")
    (folder / "dup.csv").write_text("customer_id,arm\n1,control\n1,coupon\n")
    code = main(["compare", "base.yaml", "offer.yaml", "--reps", "2", "--workers", "1", "--no-progress", *args])
    err = capsys.readouterr().err
    assert code == 2 and says in err and "Traceback" not in err


def test_an_arm_that_sends_nothing_cannot_take_an_assignment(folder, capsys, monkeypatch):
    monkeypatch.chdir(folder)
    code = main(["compare", "offer.yaml", "base.yaml", "--assignment", "a.csv", "--reps", "2", "--workers", "1"])
    assert code == 2 and "no enabled policy sends anything" in capsys.readouterr().err


def test_orders_is_read_as_purchases_with_a_note():
    from simlib.experiment.spec import parse_experiment
    with pytest.warns(UserWarning, match="'orders' is read as 'purchases'"):
        spec = parse_experiment({"base": "pond", "outcomes": ["net_profit_cny", "orders"],
                                 "detect_difference": {"orders": 5}}, "<test>")
    assert [o.key for o in spec.outcomes] == ["net_profit_cny", "purchases"]
    assert spec.detect_difference == {"purchases": 5}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        parse_experiment({"base": "pond", "outcomes": ["purchases"]}, "<test>")   # the name itself: no note
