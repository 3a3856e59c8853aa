"""Hostile input to `simlib twin` and to a customer file (market.customers) ends in a clear
`simlib.UserError` (exit 2 from the command line) naming the option or the file, the row and the
column, and what is allowed."""

from __future__ import annotations

import pandas as pd
import pytest

import simlib
from conftest import simlib_cli

HEADER = "customer_id,date,amount\n"
GOOD = "".join(f"C{i % 40},2024-{1 + i % 6:02d}-{1 + i % 27:02d},{10 + i % 7}\n" for i in range(400))


@pytest.fixture
def log(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + GOOD, encoding="utf-8")   # 2024-01-01 .. 2024-06-27
    return path


@pytest.mark.parametrize("as_of, words", [
    ("2023-06-01", ["--as-of 2023-06-01", "before the first order", "2024-01-01"]),
    ("2024-01-01", ["--as-of 2024-01-01", "on or before the first order"]),
    ("2026-01-01", ["--as-of 2026-01-01", "after the last", "2024-06-27", "allowed"]),
    ("next tuesday", ["--as-of", "not a date"]),
])
def test_as_of_outside_the_log(log, tmp_path, as_of, words):
    with pytest.raises(simlib.UserError) as err:
        simlib.twin(log, as_of, tmp_path / "out", process="bgnbd", new_buyers="off")
    for word in words:
        assert word in str(err.value), str(err.value)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("options, words", [
    ({"customer_col": "member"}, ["no customer column named 'member'", "--customer-col"]),
    ({"amount_col": "paid"}, ["no amount column named 'paid'"]),
    ({"users": 0}, ["--users 0", "allowed: 1 to 40"]),
    ({"users": 41}, ["--users 41", "allowed: 1 to 40"]),
    ({"prospects": -5}, ["--prospects -5", "allowed: 0 to"]),
    ({"gross_margin": 1.5}, ["--gross-margin 1.5", "a share from 0 to 1"]),
    ({"days": 0}, ["--days 0", "allowed: 1 to"]),
    ({"process": "bgnbd-daily"}, ["--process bgnbd-daily", "allowed for a twin"]),
    ({"pond_col": "member"}, ["--pond-col member", "no such column"]),
])
def test_bad_options(log, tmp_path, options, words):
    options = {"process": "bgnbd", "new_buyers": "off", **options}
    with pytest.raises(simlib.UserError) as err:
        simlib.twin(log, "2024-05-01", tmp_path / "out", **options)
    for word in words:
        assert word in str(err.value), str(err.value)


def test_ids_files_that_do_not_fit_the_log(log, tmp_path):
    ids = tmp_path / "pond.csv"
    ids.write_text("customer_id\nC1\nC2\nNOBODY\n", encoding="utf-8")
    with pytest.raises(simlib.UserError, match=r"--pond-ids .*pond.csv: 1 of its 3 ids bought nothing.*'NOBODY'"):
        simlib.twin(log, "2024-05-01", tmp_path / "out", process="bgnbd", new_buyers="off", pond_ids=ids)
    twice = tmp_path / "b.csv"
    twice.write_text("customer_id\nC1\n", encoding="utf-8")
    with pytest.raises(simlib.UserError, match="already on channel 'a'"):
        simlib.twin(log, "2024-05-01", tmp_path / "out", process="bgnbd", new_buyers="off",
                    channel_ids={"a": twice, "b": twice})
    with pytest.raises(simlib.UserError, match="no such file"):
        simlib.twin(log, "2024-05-01", tmp_path / "out", process="bgnbd", new_buyers="off",
                    pond_ids=tmp_path / "missing.csv")


def test_the_command_exits_2(log, tmp_path):
    done = simlib_cli("twin", log, "--as-of", "2023-01-01", "--out", tmp_path / "o")
    assert done.returncode == 2 and "--as-of 2023-01-01" in done.stderr and "Traceback" not in done.stderr
    done = simlib_cli("twin", log, "--as-of", "2024-05-01", "--channel-ids", "nofile", "--out", tmp_path / "o")
    assert done.returncode == 2 and "NAME=VALUE" in done.stderr


# --- the customer file a scenario names -----------------------------------------------------------
ROWS = ("customer_id,in_pond,orders,first_order_day,last_order_day\n"
        "a,1,3,-90,-10\nb,0,1,-40,-40\nc,1,0,,\n")
TWIN = ("market: {users: 3, days: 10, customers: %s, channels: {m: {share: 1.0, word_of_mouth: 0.0}}}\n"
        "traits:\n  purchase_rate_per_day: {dist: gamma, shape: 0.8, scale: 0.04}\n"
        "  dropout_after_purchase: {dist: beta, a: 1.0, b: 3.0}\n"
        "  lifetime_hazard_per_day: {dist: constant, value: 0}\n")


def _scenario(folder, customers="customers.csv", rows=ROWS, users=3):
    folder.mkdir(exist_ok=True)
    (folder / "customers.csv").write_text(rows, encoding="utf-8")
    path = folder / "twin.yaml"
    path.write_text(TWIN.replace("users: 3", f"users: {users}") % customers, encoding="utf-8")
    return path


def test_a_good_customer_file_runs(tmp_path):
    res = simlib.run(simlib.load_scenario(_scenario(tmp_path / "ok")), seed=1)
    assert res.summary["existing_customers"] == 2 and res.summary["users"] == 3


@pytest.mark.parametrize("customers, words", [
    ("/etc/passwd", ["market.customers", "absolute path", "relative to the scenario's folder"]),
    ("../outside.csv", ["market.customers", "leads out of the scenario's folder"]),
    ("missing.csv", ["market.customers", "no such file"]),
])
def test_paths_a_scenario_file_may_not_name(tmp_path, customers, words):
    path = _scenario(tmp_path / "s", customers)
    (tmp_path / "outside.csv").write_text(ROWS, encoding="utf-8")
    with pytest.raises(simlib.UserError) as err:
        simlib.run(simlib.load_scenario(path), seed=0)
    for word in words:
        assert word in str(err.value), str(err.value)
    assert str(path.name) in str(err.value) or "twin.yaml" in str(err.value)


@pytest.mark.parametrize("rows, words", [
    ("customer_id,orders\na,1\n", ["row 1, column 'in_pond'", "missing"]),
    (ROWS + "a,1,1,-5,-5\n", ["row 5, column 'customer_id'", "given twice"]),
    (ROWS.replace("a,1,3,-90,-10", "a,1,3,-10,-90"), ["row 2, column 'last_order_day'", "before first_order_day"]),
    (ROWS.replace("a,1,3,-90,-10", "a,1,2.5,-90,-10"), ["row 2, column 'orders'", "not a whole number"]),
    (ROWS.replace("a,1,3,-90,-10", "a,1,3,-90,5"), ["row 2, column 'last_order_day'", "-32767 to -1"]),
    (ROWS.replace("a,1,3,-90,-10", "a,1,300,-90,-10"), ["row 2, column 'orders'", "one occasion a day"]),
    (ROWS.replace("b,0,1", "b,maybe,1"), ["row 3, column 'in_pond'", "allowed: 1 or 0"]),
    (ROWS.replace("b,0,1,-40,-40", ",0,1,-40,-40"), ["row 3, column 'customer_id'", "empty"]),
    ("customer_id,in_pond,orders,first_order_day,last_order_day\n", ["no customers"]),
])
def test_broken_customer_files(tmp_path, rows, words):
    path = _scenario(tmp_path / "s", rows=rows)
    with pytest.raises(simlib.UserError) as err:
        simlib.run(simlib.load_scenario(path), seed=0)
    message = str(err.value)
    assert "customers.csv" in message, message
    for word in words:
        assert word in message, message


def test_more_simulated_customers_than_the_file_holds(tmp_path):
    path = _scenario(tmp_path / "s", users=4)
    with pytest.raises(simlib.UserError, match=r"market.users 4: .* holds 3 customers.*allowed: 1 to 3"):
        simlib.run(simlib.load_scenario(path), seed=0)


def test_a_customer_file_beside_an_initial_stage(tmp_path):
    path = _scenario(tmp_path / "s")
    with pytest.raises(simlib.UserError, match="the customer file says who is where"):
        simlib.load_scenario(path).override({"market.initial_stage": {"purchased": 0.5}})


def test_traits_without_a_posterior(tmp_path):
    sc = simlib.load_scenario(_scenario(tmp_path / "s"))
    with pytest.raises(simlib.UserError, match="needs a gamma purchase rate"):
        simlib.run(sc.override({"traits.purchase_rate_per_day": {"dist": "lognormal", "mean_log": -3, "sd_log": 1}}))
    with pytest.raises(simlib.UserError, match="describe no purchase process"):
        simlib.run(sc.override({"traits.lifetime_hazard_per_day": {"dist": "gamma", "shape": 1, "scale": 0.01}}))


def test_the_customer_file_must_match_the_channels(tmp_path):
    rows = ("customer_id,channel,in_pond,orders,first_order_day,last_order_day\n"
            "a,m,1,3,-90,-10\nb,m,0,1,-40,-40\nc,x,1,0,,\n")
    path = _scenario(tmp_path / "s", rows=rows)
    with pytest.raises(simlib.UserError) as err:
        simlib.run(simlib.load_scenario(path), seed=0)
    assert "column 'channel'" in str(err.value) and "allowed: m" in str(err.value)
    frame = pd.read_csv(tmp_path / "s" / "customers.csv")
    assert len(frame) == 3


def test_an_assignment_naming_strangers_stops_before_any_run(tmp_path, capsys):
    """compare --assignment on a twin: ids that are not the twin's customers are refused before
    the first replication runs, and nothing is written."""
    from simlib.cli.main import main
    twin = _scenario(tmp_path / "tw")
    (tmp_path / "tw" / "offer.yaml").write_text("extends: twin.yaml\npolicies:\n  cp: {type: percentage_coupon, "
                                                "off_share: 0.2, on_day: 1, audience: pond}\n")
    (tmp_path / "ab.csv").write_text("customer_id,arm\na,coupon\nZZZ9,coupon\nb,control\n")
    out = tmp_path / "out"
    code = main(["compare", str(twin), str(tmp_path / "tw" / "offer.yaml"), "--assignment", str(tmp_path / "ab.csv"),
                 "--reps", "2", "--workers", "1", "--no-progress", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "'ZZZ9'" in err and "customers.csv" in err and "Traceback" not in err
    assert not out.exists()
