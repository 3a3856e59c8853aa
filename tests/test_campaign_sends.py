"""Campaigns as they happen: a send on given days or dates (``on_day``, ``on_date``), to a target
group given as a file (``target: {file, arm}``), resolved on the population's customer ids."""

import os
import shutil

import numpy as np
import pytest

import simlib
from simlib.cli.main import main
from simlib.engine import Sim
from simlib.population import Population

MARKET = {"users": 1200, "days": 30, "initial_stage": {"purchased": 0.5, "loyal": 0.3}, "initial_in_pond": 1.0,
          "start_date": "2024-05-01"}


def pond(policies, **market):
    return {"extends": "pond", "market": {**MARKET, **market}, "policies": policies}


def write_assignment(folder, n=1200, arms=("coupon", "control")):
    path = folder / "assignment.csv"
    path.write_text("customer_id,arm\n" + "".join(f"{i},{arms[i % len(arms)]}\n" for i in range(n)))
    return path


SENDERS = {   # type -> (extra keys, the daily column that counts what went out)
    "percentage_coupon": ({}, "issued"),
    "threshold_coupon": ({}, "issued"),
    "red_packet": ({}, "sent"),
    "member_gift": ({"trigger": "periodic"}, "given"),
    "group_broadcast": ({}, "messages"),
}


@pytest.mark.parametrize("kind", SENDERS)
def test_a_sender_sends_on_the_listed_days_only(kind):
    extra, column = SENDERS[kind]
    res = simlib.run(pond({"p": {"type": kind, "on_day": [3, 17], **extra}}), seed=2)
    daily = res.daily
    assert daily.loc[daily[f"p.{column}"] > 0, "day"].tolist() == [3, 17]


def test_content_broadcast_sends_once_on_its_day():
    res = simlib.run(pond({"p": {"type": "content_broadcast", "on_day": 12}}), seed=2)
    assert res.daily["messages_sent"].gt(0).to_numpy().nonzero()[0].tolist() == [12]


def test_a_date_is_the_run_day_counted_from_the_start_date():
    sc = simlib.scenario_from_dict(pond({"p": {"type": "percentage_coupon", "on_date": ["2024-05-21", "2024-05-02"]}}))
    assert sc.data["policies"]["p"]["on_date"] == ["2024-05-02", "2024-05-21"]
    daily = simlib.run(sc, seed=2).daily
    assert daily.loc[daily["p.issued"] > 0, "day"].tolist() == [1, 20]


def test_a_repeating_send_is_unchanged_by_the_new_keys():
    every = simlib.run(pond({"p": {"type": "percentage_coupon", "every_days": 10}}), seed=2).daily
    assert every.loc[every["p.issued"] > 0, "day"].tolist() == [0, 10, 20]


@pytest.mark.parametrize("policy, key, says", [
    ({"type": "percentage_coupon", "on_day": 30}, "on_day", "after the run's last day, 29"),
    ({"type": "percentage_coupon", "on_date": "2024-04-30"}, "on_date", "before the run starts"),
    ({"type": "percentage_coupon", "on_date": "2024-06-30"}, "on_date", "after the run's last day"),
    ({"type": "percentage_coupon", "on_date": "2024-13-01"}, "on_date", "expected a date YYYY-MM-DD"),
    ({"type": "percentage_coupon", "on_day": 3, "on_date": "2024-05-02"}, "on_date", "not both"),
    ({"type": "percentage_coupon", "on_day": 3, "every_days": 7}, "every_days", "not both"),
    ({"type": "percentage_coupon", "on_day": 3, "start_day": 5}, "on_day", "outside start_day"),
    ({"type": "percentage_coupon", "on_day": []}, "on_day", "allowed: 1 to"),
    ({"type": "percentage_coupon", "on_day": "soon"}, "on_day", "expected an integer"),
    ({"type": "staff_chats", "on_day": 3}, "on_day", "does not send on a schedule"),
    ({"type": "member_gift", "on_day": 3}, "on_day", "trigger: periodic"),
])
def test_a_send_day_that_cannot_happen_is_refused_naming_the_key(policy, key, says):
    with pytest.raises(simlib.ScenarioError) as err:
        simlib.scenario_from_dict(pond({"p": policy}))
    assert f"policies.p.{key}" in str(err.value) and says in str(err.value)


def test_a_date_needs_the_start_date():
    market = {k: v for k, v in MARKET.items() if k != "start_date"}
    with pytest.raises(simlib.ScenarioError, match="needs market.start_date"):
        simlib.scenario_from_dict({"extends": "pond", "market": market,
                                   "policies": {"p": {"type": "percentage_coupon", "on_date": "2024-05-02"}}})


# --- target groups --------------------------------------------------------------------------

def offer_file(folder, target="{file: assignment.csv, arm: coupon}", users=1200):
    path = folder / "offer.yaml"
    path.write_text(f"extends: pond\nmarket: {{users: {users}, days: 30, initial_stage: {{purchased: 0.5, loyal: 0.3}},"
                    f" initial_in_pond: 1.0}}\npolicies:\n  cp: {{type: percentage_coupon, off_share: 0.3, on_day: 2,"
                    f" target: {target}}}\n")
    return path


def test_only_the_assigned_arm_gets_the_coupon(tmp_path):
    write_assignment(tmp_path)
    res = simlib.run(offer_file(tmp_path), seed=3, record_transactions=True)
    tx = res.transactions
    discounted = np.unique(tx.loc[tx["discount_cny"] > 0, "customer_id"])
    assert discounted.size > 20
    assert np.all(discounted % 2 == 0)            # the coupon arm is the even ids
    assert res.summary["treated_customers"] == 600
    assert res.summary["cp.coupons_issued"] <= 600


def test_a_file_of_ids_targets_everyone_listed(tmp_path):
    (tmp_path / "vip.csv").write_text("customer_id\n" + "".join(f"{i}\n" for i in range(0, 1200, 3)))
    res = simlib.run(offer_file(tmp_path, "{file: vip.csv}"), seed=3)
    assert res.summary["treated_customers"] == 400


def test_the_path_is_relative_to_the_scenario_that_names_it(tmp_path, monkeypatch):
    sub = tmp_path / "campaign"
    sub.mkdir()
    write_assignment(sub)
    offer_file(sub)
    (tmp_path / "top.yaml").write_text("extends: campaign/offer.yaml\nname: top\n")
    monkeypatch.chdir(tmp_path.parent)
    sc = simlib.load_scenario(tmp_path / "top.yaml")
    assert sc.data["policies"]["cp"]["target"]["file"] == str((sub / "assignment.csv").resolve())


def test_a_saved_run_reruns_from_its_own_folder_with_the_same_numbers(tmp_path):
    write_assignment(tmp_path)
    first = simlib.run(offer_file(tmp_path), seed=4)
    first.save(tmp_path / "out")
    moved = tmp_path.parent / (tmp_path.name + "_moved")
    shutil.copytree(tmp_path / "out", moved)
    os.remove(tmp_path / "assignment.csv")
    again = simlib.run(moved / "scenario.yaml", seed=4)
    assert again.summary["net_profit_cny"] == first.summary["net_profit_cny"]
    assert (moved / "targets" / "cp.csv").is_file()


@pytest.mark.parametrize("target, says", [
    ("{file: /etc/hosts}", "absolute path"),
    ("{file: ../assignment.csv, arm: coupon}", "leaves this scenario's folder"),
    ("{file: link.csv, arm: coupon}", "leaves this scenario's folder"),
    ("{file: missing.csv, arm: coupon}", "no such file"),
    ("{file: assignment.csv}", "say which arm receives it"),
    ("{file: assignment.csv, arm: cupon}", "Did you mean 'coupon'"),
    ("{arm: coupon}", "target.file: missing"),
    ("{file: assignment.csv, arm: coupon, colum: x}", "unknown key"),
])
def test_a_target_file_that_cannot_be_used_is_refused_naming_the_key(tmp_path, target, says):
    sub = tmp_path / "s"
    sub.mkdir()
    write_assignment(tmp_path)
    write_assignment(sub)
    (sub / "link.csv").symlink_to(tmp_path / "assignment.csv")
    with pytest.raises(simlib.ScenarioError) as err:
        simlib.load_scenario(offer_file(sub, target))
    assert "policies.cp.target" in str(err.value) and says in str(err.value)


@pytest.mark.parametrize("text, says", [
    ("customer_id,arm\n1,coupon\n2,control\n1,control\n", "listed twice (rows 2 and 4), in arms 'coupon' and 'control'"),
    ("customer_id,arm\n1,coupon\n,control\n", "row 3, column 'customer_id': empty"),
    ("customer_id,arm\n1,coupon\n2,\n", "row 3, column 'arm': empty"),
    ("member,arm\n1,coupon\n", "column 'member': unknown column"),
    ("arm\ncoupon\n", "no column 'customer_id'"),
    ("customer_id,arm\n", "no rows below the header"),
    ("", "the file is empty"),
    ("\x00\x01binary", "a binary file"),
])
def test_a_hostile_assignment_file_is_a_clear_error_and_exit_2(tmp_path, capsys, text, says):
    (tmp_path / "assignment.csv").write_bytes(text.encode())
    offer_file(tmp_path)
    assert main(["validate", str(tmp_path / "offer.yaml")]) == 2
    assert says in capsys.readouterr().err


def test_ids_that_are_not_customers_fail_before_the_run_naming_them(tmp_path, capsys):
    write_assignment(tmp_path)
    offer_file(tmp_path, users=500)
    assert main(["run", str(tmp_path / "offer.yaml"), "--days", "5"]) == 2
    err = capsys.readouterr().err
    assert "350 of the 600 customers listed" in err and "'500'" in err and "numbered 0 to 499" in err


def test_targets_hold_in_every_replication_of_a_batch(tmp_path):
    write_assignment(tmp_path)
    path = offer_file(tmp_path)
    batch = simlib.run_batch(path, seeds=[5, 6])
    alone = [simlib.run(path, seed=s) for s in (5, 6)]
    assert [r.summary["net_profit_cny"] for r in batch] == [r.summary["net_profit_cny"] for r in alone]
    assert [r.summary["treated_customers"] for r in batch] == [600, 600]


# --- customer ids -----------------------------------------------------------------------------

def test_default_ids_are_the_customer_numbers_written_plainly():
    sim = Sim(simlib.scenario_from_dict(pond({})), seed=0)
    pop = sim.pop
    assert pop.customer_id[:3].tolist() == ["0", "1", "2"] and pop.customer_id.size == 1200
    got = pop.index_of(["7", "1199", "1200", "07", "7.0", "-1", "x", ""]).tolist()
    assert got == [7, 1199, -1, -1, -1, -1, -1, -1]


def test_ids_set_on_a_population_are_looked_up_and_shared_by_its_replications():
    sc = simlib.scenario_from_dict(pond({}, users=4))
    from simlib.rng import Keyed
    data = sc.data
    pop = Population(data["market"], data["traits"], 4, Keyed([1, 2], block=4), data["behavior"], reps=2)
    pop.customer_id = ["c9", "a1", "b5", "z0"]
    assert pop.index_of(["b5", "z0", "nope", "c9"]).tolist() == [2, 3, -1, 0]
    assert pop.customer_id.tolist() == ["c9", "a1", "b5", "z0"]     # one replication's block
    view = pop.view(1)
    assert view.index_of(["a1"]).tolist() == [1] and view.customer_id.tolist() == ["c9", "a1", "b5", "z0"]
    with pytest.raises(ValueError, match="unique"):
        pop.customer_id = ["a", "a", "b", "c"]
