"""`simlib calibrate uplift --log LOG --assignment A --arm coupon=OFFER --window-days N`: a past
campaign's outcomes computed from the order log itself, every assigned customer in the test."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import simlib
from simlib.assignment import read_assignment
from simlib.calibrate.transactions import read_transactions
from simlib.calibrate.uplift.campaign import members
from simlib.calibrate.uplift.from_log import default_fit, log_outcomes
from simlib.cli.main import main
from simlib.engine import Sim

START = dt.date(2024, 1, 1)
MARKET = ("market:\n  users: 400\n  channels: {wechat: {share: 1.0, word_of_mouth: 0.0}}\n"
          "  initial_stage: {purchased: 0.5, loyal: 0.5}\n  initial_in_pond: 1.0\n"
          "  initial_days_since_order: {dist: uniform, low: 0, high: 20}\n")


def day(n):
    return str(START + dt.timedelta(days=n))


@pytest.fixture()
def folder(tmp_path):
    """400 customers "0".."399" with a first order on day 0 and a few more; the even ones were sent a
    coupon on day 60 (2024-03-01), the window is 28 days."""
    rng = np.random.default_rng(3)
    rows = [("customer_id", "date", "amount")]
    for i in range(400):
        rows.append((str(i), day(0), "100"))
        for d in sorted(rng.choice(np.arange(1, 100), size=rng.integers(0, 6), replace=False)):
            rows.append((str(i), day(int(d)), f"{50 + i % 7}"))
    (tmp_path / "log.csv").write_text("\n".join(",".join(r) for r in rows) + "\n")
    (tmp_path / "ab.csv").write_text("customer_id,arm\n" + "".join(f"{i},{'coupon' if i % 2 == 0 else 'control'}\n"
                                                                   for i in range(400)))
    (tmp_path / "offer.yaml").write_text("policies:\n  cp: {type: percentage_coupon, off_share: 0.1, valid_days: 7, "
                                         "on_date: 2024-03-01}\n")
    (tmp_path / "market.yaml").write_text(MARKET)
    return tmp_path


def test_the_outcomes_are_each_customers_orders_and_spend_in_the_window(folder):
    log = read_transactions(folder / "log.csv")
    out = log_outcomes(log, read_assignment(folder / "ab.csv"), 60, 28, pre_days=0)
    frame = pd.read_csv(folder / "log.csv", dtype={"customer_id": str})
    frame["day"] = (pd.to_datetime(frame["date"]) - pd.Timestamp(START)).dt.days
    window = frame[(frame["day"] >= 60) & (frame["day"] < 88)]
    window = window.assign(week=(window["day"] - 60) // 7 + 1, arm=np.where(window["customer_id"].astype(int) % 2,
                                                                             "control", "coupon"))
    by_hand = window.groupby(["arm", "week"]).agg(orders=("amount", "size"), spend_cny=("amount", "sum"))
    got = out.weekly.set_index(["arm", "week"])
    for (arm, week), r in by_hand.iterrows():
        assert got.loc[(arm, week), "orders"] == r["orders"]
        assert got.loc[(arm, week), "spend_cny"] == pytest.approx(r["spend_cny"])
    assert set(got["customers"]) == {200}
    orders_per_customer = window.groupby("arm").size() / 200
    diff = orders_per_customer["coupon"] - orders_per_customer["control"]
    per = out.per_treated.set_index("outcome")
    assert per.loc["orders", "per_treated"] == pytest.approx(diff)
    assert out.data.periods == 4 and out.data.sizes == {"control": 200, "coupon": 200}


def test_a_pre_period_adjusts_the_means_and_says_by_how_much(folder):
    log = read_transactions(folder / "log.csv")
    out = log_outcomes(log, read_assignment(folder / "ab.csv"), 60, 28)
    assert any("pre-period activity explains" in n and "over 28 days" in n for n in out.data.notes)


@pytest.mark.parametrize("edit, args, says", [
    ("ab.csv=customer_id,arm\n1,control\n2,coupon\nZZ9,coupon\n", [], "1 of its 3 customers have no order in"),
    ("ab.csv=customer_id,arm\n1,control\n2,coupon\n2,control\n", [], "listed twice"),
    ("ab.csv=customer_id,arm\n1,control\n2,control\n", [], "only one arm ('control')"),
    ("ab.csv=customer_id\n1\n2\n", [], "no arm column"),
    ("ab.csv=customer_id,group,arm\n1,a,control\n", [], "two columns are read as 'arm'"),
    ("ab.csv=id_number,arm\n1,control\n", [], "unknown column"),
    ("", ["--window-days", "60"], "the window runs from 2024-03-01 to 2024-04-29"),
    ("offer.yaml=policies:\n  cp: {type: percentage_coupon}\n", ["--send-date", "2024-01-01"],
     "not after the log's first order"),
    ("offer.yaml=policies:\n  cp: {type: percentage_coupon}\n", ["--send-date", "2025-13-01"], "is not a date"),
    ("offer.yaml=policies:\n  cp: {type: percentage_coupon}\n", [], "say when the campaign was sent"),
    ("offer.yaml=market: {users: 5}\npolicies:\n  cp: {type: percentage_coupon}\n", [], "the market (market) is the"),
    ("offer.yaml=name: x\n", [], "an offer says what the treated customers got"),
    ("offer.yaml=policies:\n  s: {type: staff_chats, on_date: 2024-03-01}\n", [], "no enabled policy sends anything"),
    ("log.csv=customer,date,amount\n1,2024-01-01,5\n", [], "no customer column named 'customer_id'"),
])
def test_a_campaign_that_cannot_be_read_is_a_clear_error_and_exit_2(folder, capsys, edit, args, says):
    if edit:
        name, _, text = edit.partition("=")
        (folder / name).write_text(text)
    code = main(["calibrate", "uplift", "--log", str(folder / "log.csv"), "--assignment", str(folder / "ab.csv"),
                 "--arm", f"coupon={folder / 'offer.yaml'}", "--window-days", "28", "--scenario",
                 str(folder / "market.yaml"), "--out", str(folder / "out"), *args])
    err = capsys.readouterr().err
    assert code == 2, err
    assert says in err and "Traceback" not in err


def test_an_assigned_customer_without_an_order_before_the_send_date_is_named(folder, capsys):
    with open(folder / "log.csv", "a") as fh:
        fh.write(f"new1,{day(70)},80\n")
    (folder / "ab.csv").write_text("customer_id,arm\n1,control\n2,coupon\nnew1,coupon\n")
    code = main(["calibrate", "uplift", "--log", str(folder / "log.csv"), "--assignment", str(folder / "ab.csv"),
                 "--arm", f"coupon={folder / 'offer.yaml'}", "--window-days", "28", "--scenario",
                 str(folder / "market.yaml")])
    err = capsys.readouterr().err
    assert code == 2 and "1 of its 3 customers had no order before the send date 2024-03-01" in err
    assert "'new1'" in err


@pytest.mark.parametrize("args, says", [
    (["--arm", "coupn=offer.yaml"], "Did you mean 'coupon'"),
    (["--arm", "control=offer.yaml"], "is the control group"),
    ([], "say what each treated arm"),
    (["--arm", "coupon=offer.yaml", "--days", "10"], "--days: not with --log"),
    (["--arm", "coupon=offer.yaml", "--population", "everyone"], "the customers in the test are the assignment's"),
    (["--arm", "coupon=offer.yaml", "--pre-days", "-1"], "--pre-days -1"),
])
def test_options_that_do_not_fit_a_log_are_refused(folder, capsys, monkeypatch, args, says):
    monkeypatch.chdir(folder)
    code = main(["calibrate", "uplift", "--log", "log.csv", "--assignment", "ab.csv", "--window-days", "28",
                 "--scenario", "market.yaml", *args])
    err = capsys.readouterr().err
    assert code == 2 and says in err, err


def test_a_results_file_and_a_log_are_not_mixed(folder, capsys, monkeypatch):
    monkeypatch.chdir(folder)
    assert main(["calibrate", "uplift", "r.csv", "--log", "log.csv", "--assignment", "ab.csv"]) == 2
    assert "not both" in capsys.readouterr().err
    assert main(["calibrate", "uplift", "r.csv", "--window-days", "7", "--scenario", "market.yaml"]) == 2
    assert "only with --log" in capsys.readouterr().err


def test_the_command_fits_and_writes_the_logs_own_totals(folder, capsys, monkeypatch):
    monkeypatch.chdir(folder)
    code = main(["calibrate", "uplift", "--log", "log.csv", "--assignment", "ab.csv", "--arm", "coupon=offer.yaml",
                 "--window-days", "14", "--scenario", "market.yaml", "--out", "out"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "behavior.discount_effect" in out and "Per treated customer over the window" in out
    assert "customers in the test: the 400 customers of the assignment" in out
    weekly = pd.read_csv(folder / "out" / "campaign_weekly.csv")
    frame = pd.read_csv(folder / "log.csv")
    in_window = frame[(frame["date"] >= "2024-03-01") & (frame["date"] < "2024-03-15")]
    assert weekly["orders"].sum() == len(in_window)
    per = pd.read_csv(folder / "out" / "campaign_per_treated.csv")
    assert list(per["outcome"]) == ["orders", "spend_cny"] and per["fitted"].notna().all()


def test_the_default_fit_is_what_the_offer_acts_through():
    offers = {"coupon": {"policies": {"cp": {"type": "percentage_coupon"}, "g": {"type": "member_gift"}}}}
    assert default_fit(offers) == ["behavior.discount_effect", "behavior.content_effect",
                                   "policies.g.reciprocity_effect"]
    with pytest.raises(simlib.UserError, match="name them with --fit"):
        default_fit({"a": {"policies": {"x": {"type": "festival_calendar"}}}})
    assert default_fit({"a": {"policies": {"x": {"type": "staff_chats"}}}}) == ["behavior.chat_effect"]


def test_everyone_in_the_test_includes_the_lost():
    sc = simlib.scenario_from_dict({"market": {"users": 500, "initial_stage": {"purchased": 0.5, "lost": 0.3}}})
    sim = Sim(sc, seed=0)
    lost = int((sim.pop.stage == 6).sum())
    assert lost > 100
    assert members(sim.pop, "everyone").size == 500
    assert members(sim.pop, "buyers").size == int((sim.pop.orders > 0).sum() - ((sim.pop.orders > 0)
                                                                                 & (sim.pop.stage == 6)).sum())


def test_on_a_twin_the_logs_ids_are_the_customers_and_only_the_test_is_simulated(folder, monkeypatch):
    """A twin carries the log's ids, so an assignment of log ids targets its customers; a refit on a
    twin simulates only the test's customers."""
    monkeypatch.chdir(folder)
    ids = [str(i) for i in range(0, 400, 4)]
    (folder / "ab.csv").write_text("customer_id,arm\n" + "".join(f"{c},{'coupon' if k % 2 else 'control'}\n"
                                                                 for k, c in enumerate(ids)))
    twin = simlib.twin("log.csv", "2024-03-01", folder / "twin", process="bgnbd", new_buyers="off")
    fit = simlib.calibrate_uplift(log="log.csv", assignment="ab.csv", arms={"coupon": "offer.yaml"}, window_days=14,
                                  scenario=twin.scenario, max_iter=1, twin_out=folder / "work")
    assert fit.campaigns[0].users == 100 and (folder / "work" / "customers_in_test.csv").is_file()
    offer = twin.scenario.override({"policies": {"cp": {"type": "percentage_coupon", "off_share": 0.2,
                                                        "on_date": "2024-03-01"}}})
    d = simlib.compare({"twin": twin.scenario, "offer": offer}, reps=2, days=14, assignment="ab.csv")
    per = d.table.set_index(["outcome", "arm"]).loc[("discount_cny_per_treated", "offer")]
    assert per["n_treated"] == 50 and per["diff"] > 0
