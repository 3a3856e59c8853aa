"""Hostile calibration input ends in a clear `simlib.UserError` (exit 2 from the command line)
naming the file, the row or option and what is allowed, in bounded time: one test per class
of input, each over several examples of its class."""

from __future__ import annotations

import random

import pytest

import simlib
from conftest import simlib_cli
from simlib.calibrate.funnel import read_funnel
from simlib.calibrate.report import calibrate_log, calibrate_transactions
from simlib.calibrate.transactions import read_transactions, summarize

HEADER = "customer_id,date,amount\n"
GOOD = "".join(f"C{i % 40},2024-{1 + i % 10:02d}-{1 + i % 27:02d},{10 + i % 7}\n" for i in range(400))


def _bytes(seed, size=4000):
    rng = random.Random(seed)
    return bytes(rng.randrange(256) for _ in range(size))


NOT_TEXT = {
    "random_bytes": _bytes(1),
    "nul_in_a_row": (HEADER + "A,2024-01-01,1\x00\n").encode(),
    "latin1": (HEADER + "José,2024-01-01,1\n").encode("latin-1"),
    "gzip_header": b"\x1f\x8b\x08\x00" + _bytes(2, 500),
}


@pytest.mark.parametrize("name", NOT_TEXT)
@pytest.mark.parametrize("reader", ["transactions", "funnel"])
def test_files_that_are_not_utf8_text(tmp_path, name, reader):
    path = tmp_path / f"{name}.csv"
    path.write_bytes(NOT_TEXT[name])
    read = read_transactions if reader == "transactions" else read_funnel
    with pytest.raises(simlib.UserError) as err:
        read(path)
    message = str(err.value)
    assert str(path) in message and ("binary" in message or "UTF-8" in message), message
    assert len(message) < 400


@pytest.mark.parametrize("rows, row, column, words", [
    ("Z,9999-12-31,5\n", 402, "date", ["9999-12-31", "within 20 years"]),
    ("Z,0001-01-01,5\n", 402, "date", ["0001-01-01", "within 20 years"]),
    ("Z,2024-01-02,1e308\n", 402, "amount", ["over 1e+12", "from 0 to"]),
    ("Z,2024-01-02,12345678901234567890\n", 402, "amount", ["over 1e+12"]),
])
def test_values_out_of_any_plausible_range(tmp_path, rows, row, column, words):
    path = tmp_path / "log.csv"
    path.write_text(HEADER + GOOD + rows, encoding="utf-8")
    with pytest.raises(simlib.UserError) as err:
        read_transactions(path)
    message = str(err.value)
    assert f"{path}, row {row}, column '{column}'" in message, message
    for word in words:
        assert word in message, message


@pytest.mark.parametrize("day", ["99999999999", "-99999999", "1" * 30])
def test_day_numbers_out_of_range(tmp_path, day):
    path = tmp_path / "days.csv"
    path.write_text("customer_id,day,amount\nA,0,1\nA,5,1\nB," + day + ",1\n", encoding="utf-8")
    with pytest.raises(simlib.UserError, match=r"row 4, column 'day'"):
        read_transactions(path, date_col="day")


@pytest.mark.parametrize("option, calibration_end, holdout_end", [
    ("--calibration-end", "2027-06-30", None),
    ("--calibration-end", "2024-12-31", None),
    ("--holdout-end", "2024-08-31", "2031-01-01"),
])
def test_periods_ending_far_after_the_data_are_refused(tmp_path, option, calibration_end, holdout_end):
    path = tmp_path / "log.csv"
    path.write_text(HEADER + GOOD, encoding="utf-8")   # last transaction 2024-10-27
    with pytest.raises(simlib.UserError) as err:
        summarize(read_transactions(path), calibration_end, holdout_end)
    message = str(err.value)
    assert option in message and "after the last transaction" in message and "allowed: up to 28 days" in message


def test_a_period_ending_just_after_the_data_is_noted(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text(HEADER + GOOD, encoding="utf-8")
    data = summarize(read_transactions(path), "2024-11-10")
    assert any("14 days after the last transaction" in note for note in data.notes)


def test_a_holdout_of_more_than_five_years_is_refused(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text(HEADER + GOOD + "Z,2031-06-01,3\n", encoding="utf-8")
    with pytest.raises(simlib.UserError, match="at most 1827 days"):
        summarize(read_transactions(path), "2024-06-30")


@pytest.mark.parametrize("content, words", [
    (HEADER + "".join(f"C{i % 40},2024-{1 + i % 10:02d}-{1 + i % 27:02d},0\n" for i in range(400)),
     ["every amount", "0", "positive amount"]),
    (HEADER + "".join(f"C{i},2024-{1 + i % 10:02d}-{1 + i % 27:02d},5\n" for i in range(400)),
     ["no customer bought on two different days", "repeat purchases"]),
])
def test_logs_with_nothing_to_fit(tmp_path, content, words):
    path = tmp_path / "log.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(simlib.UserError) as err:
        calibrate_transactions(path, "2024-08-31", process="bgnbd")
    for word in words:
        assert word in str(err.value), str(err.value)


def test_a_short_calibration_period_falls_back_to_one_process(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text(HEADER + GOOD, encoding="utf-8")
    log = read_transactions(path)
    cal = calibrate_log(log, "2024-02-05")
    assert cal.fit.process == "bgnbd" and cal.comparison is None
    assert any("too short" in note for note in cal.notes)


def test_command_line_exit_code_and_no_traceback(tmp_path):
    path = tmp_path / "far.csv"
    path.write_text(HEADER + GOOD + "Z,9999-12-31,5\n", encoding="utf-8")
    done = simlib_cli("calibrate", "transactions", path, "--calibration-end", "2024-06-30", "--out", tmp_path / "o",
                      timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "row 402, column 'date'" in done.stderr
    funnel = tmp_path / "funnel.csv"
    funnel.write_bytes(_bytes(9))
    done = simlib_cli("calibrate", "funnel", funnel, "--scenario", "baseline", "--out", tmp_path / "f", timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr and "binary" in done.stderr
    done = simlib_cli("calibrate", "funnel", funnel, "--scenario", "baseline", "--omega-runs", "0", timeout=60)
    assert done.returncode == 2 and "--omega-runs" in done.stderr
