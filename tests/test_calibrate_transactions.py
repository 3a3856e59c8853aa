"""Reading transaction logs: clear errors for bad CSVs, and the per-customer summary by hand."""

from __future__ import annotations

import pytest

import simlib
from simlib.calibrate.transactions import read_transactions, summarize
from conftest import FIXTURES, simlib_cli

BAD = FIXTURES / "calibrate"


@pytest.mark.parametrize("name, row, column, words", [
    ("missing_column.csv", "row 1", "'amount'", ["no amount column", "--amount-col", "'amt'"]),
    ("bad_date.csv", "row 4", "'date'", ["'2024-02-30'", "as a date"]),
    ("negative_amount.csv", "row 3", "'amount'", ["negative amount", ">= 0"]),
    ("bad_amount.csv", "row 3", "'amount'", ["'lots'", "as an amount"]),
    ("missing_customer.csv", "row 3", "'customer_id'", ["customer id is empty"]),
])
def test_bad_csv_names_file_row_and_column(name, row, column, words):
    with pytest.raises(simlib.UserError) as err:
        read_transactions(BAD / name)
    message = str(err.value)
    assert name in message and f"{row}, column {column}" in message, message
    for word in words:
        assert word in message, message


@pytest.mark.parametrize("name", ["empty.csv", "header_only.csv"])
def test_empty_files_are_user_errors(name):
    with pytest.raises(simlib.UserError) as err:
        read_transactions(BAD / name)
    assert name in str(err.value) and ("empty" in str(err.value) or "no transactions" in str(err.value))


def test_cli_reports_bad_csv_without_traceback(tmp_path):
    done = simlib_cli("calibrate", "transactions", BAD / "negative_amount.csv", "--calibration-end", "2024-01-04",
                      "--out", tmp_path)
    assert done.returncode == 2
    assert "negative_amount.csv, row 3, column 'amount'" in done.stderr
    assert "Traceback" not in done.stderr


def _write(tmp_path, text, name="log.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_summary_by_hand(tmp_path):
    # A: two rows on 1 Jan are one occasion (30 CNY); repeats on 10 Jan (in calibration) and
    # 1 Feb (holdout). B: one purchase on 20 Jan. C: first purchase after the calibration end.
    path = _write(tmp_path, "cust,when,paid\n"
                  "A,2024-01-01,10\nA,2024-01-01,20\nA,2024-01-10,¥60\nB,2024-01-20,\"1,000\"\n"
                  "A,2024-02-01,5\nC,2024-02-02,7\n")
    log = read_transactions(path, "cust", "when", "paid")
    data = summarize(log, "2024-01-31", "2024-02-29")
    c = data.customers.set_index("customer_id")
    assert list(c.index) == ["A", "B"]
    assert c.loc["A", ["frequency", "recency", "age", "actual_holdout"]].tolist() == [1, 9, 30, 1]
    assert c.loc["A", "mean_spend_cny"] == pytest.approx(45.0)   # (30 + 60) / 2 occasions
    assert c.loc["B", ["frequency", "recency", "age", "actual_holdout"]].tolist() == [0, 0, 11, 0]
    assert c.loc["B", "mean_spend_cny"] == pytest.approx(1000.0)
    assert data.holdout_days == 29


@pytest.mark.parametrize("dates", [
    ["2024/03/01", "2024/03/15"], ["20240301", "20240315"], ["2024年3月1日", "2024年3月15日"],
    ["2024-03-01 09:30:00", "2024-03-15 23:59:59"], ["01/03/2024", "15/03/2024"],
])
def test_common_date_layouts(tmp_path, dates):
    path = _write(tmp_path, f"customer_id,date,amount\nA,{dates[0]},1\nA,{dates[1]},2\n")
    data = summarize(read_transactions(path), "2024-03-31")
    assert data.customers[["frequency", "recency", "age"]].iloc[0].tolist() == [1, 14, 30]


def test_day_first_or_month_first_is_asked_not_guessed(tmp_path):
    path = _write(tmp_path, "customer_id,date,amount\nA,01/03/2024,1\nA,02/03/2024,2\n")
    with pytest.raises(simlib.UserError, match="--date-format"):
        read_transactions(path)
    log = read_transactions(path, date_format="%m/%d/%Y")
    assert log.occasions["day"].tolist() == [0, 31]   # 3 Jan and 3 Feb


def test_day_numbers_as_dates(tmp_path):
    path = _write(tmp_path, "customer_id,day,amount_cny\n7,3,10\n7,5,10\n8,9,1\n")
    data = summarize(read_transactions(path, date_col="day", amount_col="amount_cny"), 10)
    assert data.customers["age"].tolist() == [7, 1]
    with pytest.raises(simlib.UserError, match="day number"):
        summarize(read_transactions(path, date_col="day", amount_col="amount_cny"), "2024-01-01")


def test_calibration_end_before_any_purchase_is_an_error(tmp_path):
    path = _write(tmp_path, "customer_id,date,amount\nA,2024-03-01,1\n")
    with pytest.raises(simlib.UserError, match="before the first transaction"):
        summarize(read_transactions(path), "2024-02-01")
    with pytest.raises(simlib.UserError, match="must come after"):
        summarize(read_transactions(path), "2024-03-05", "2024-03-01")


def test_cohort_start_drops_customers_first_seen_before_it(tmp_path):
    path = _write(tmp_path, "customer_id,date,amount\nOLD,2024-01-02,1\nOLD,2024-02-10,1\nNEW,2024-02-01,1\n")
    data = summarize(read_transactions(path), "2024-02-29", cohort_start="2024-01-15")
    assert data.customers["customer_id"].tolist() == ["NEW"]
    with pytest.raises(simlib.UserError, match="--cohort-start"):
        summarize(read_transactions(path), "2024-02-29", cohort_start="2024-03-05")
