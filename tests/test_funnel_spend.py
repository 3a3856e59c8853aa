"""The team's ad spend in a funnel fit: read from columns or a file, applied as each ad policy's
budget on the days the data cover; hostile spend input ends in a UserError (exit 2) naming the
file, row and column; holdout options; one naming convention for --fit keys."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simlib
from conftest import simlib_cli
from simlib.calibrate.funnel_data import read_funnel, read_spend, with_holdout
from simlib.calibrate.funnel_model import default_keys, prepare

WEEKS = 4


def _funnel(tmp_path, spend_columns=None, name="funnel.csv", weeks=WEEKS):
    frame = pd.DataFrame({"week": np.arange(1, weeks + 1), "unaware": 900 - 10 * np.arange(weeks),
                          "aware": 100 + 10 * np.arange(weeks)})
    for column, values in (spend_columns or {}).items():
        frame[column] = values
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def test_spend_columns_become_each_ad_policy_budget_on_the_days_the_data_cover(tmp_path):
    douyin, search = [7000, 14000, 3500, 7000], [700, 700, 1400, 0]
    data = read_funnel(_funnel(tmp_path, {"ad_spend_cny.douyin_ads": douyin, "ad_spend_cny.taobao_search": search}))
    scenario, users, size, _ = prepare(data, simlib.load_scenario("baseline"), 1000)
    assert (users, size) == (1000, 20_000)   # not every stage counted: the scenario's market
    daily = simlib.run(scenario, seed=1, users=1000, days=7 * WEEKS + 7).daily
    expected = np.repeat(np.add(douyin, search) / 7, 7)
    assert np.allclose(daily["ad_spend_cny"][:7 * WEEKS], expected)
    assert np.allclose(daily["douyin_ads.impressions"][:7 * WEEKS], np.repeat(douyin, 7) / 7 / 40 * 1000)
    assert (daily["ad_spend_cny"][7 * WEEKS:] == 1500).all()   # after the data: the scenario's own budgets


def test_a_total_spend_is_split_as_the_scenario_splits_its_budgets(tmp_path):
    data = read_funnel(_funnel(tmp_path, {"ad_spend_cny": [15000, 30000, 15000, 15000]}))
    scenario = prepare(data, simlib.load_scenario("baseline"), 1000)[0]
    daily = simlib.run(scenario, seed=1, users=1000, days=14).daily
    assert np.allclose(daily["douyin_ads.impressions"][7:14], 30000 / 7 * 1000 / 1500 / 40 * 1000)


def test_a_spend_file_gives_the_same_data_as_columns(tmp_path):
    columns = {"ad_spend_cny.douyin_ads": [7000, 8000, 9000, 10000], "ad_spend_cny.search_ads": [1, 2, 3, 4]}
    inline = read_funnel(_funnel(tmp_path, columns))
    spend = tmp_path / "spend.csv"
    pd.DataFrame({"week": np.arange(1, WEEKS + 1), "douyin_ads": columns["ad_spend_cny.douyin_ads"],
                  "ad_spend_cny.search_ads": ["¥1", "2", "3", "4"]}).to_csv(spend, index=False)
    separate = read_spend(spend, read_funnel(_funnel(tmp_path, name="plain.csv")))
    pd.testing.assert_frame_equal(inline.spend, separate.spend)
    assert separate.spend_source == str(spend)


def test_saturation_is_fitted_by_default_only_when_the_spend_varies(tmp_path):
    varied = read_funnel(_funnel(tmp_path, {"ad_spend_cny.douyin_ads": [7000, 14000, 7000, 9000],
                                            "ad_spend_cny.search_ads": [3500] * 4}))
    scenario = prepare(varied, simlib.load_scenario("baseline"), 1000)[0]
    keys, notes, fixed = default_keys(varied, scenario)
    assert "policies.douyin_ads.max_awareness_per_day" in keys
    assert "policies.search_ads.max_awareness_per_day" not in keys
    assert any("search_ads.max_awareness_per_day" in n and "constant" in n for n in notes)
    assert {"policies.douyin_ads.awareness_per_impression", "policies.search_ads.awareness_per_impression",
            "behavior.ad_exposure_cv", "behavior.word_of_mouth_per_day"} <= set(keys)
    assert "behavior.interest_per_day" not in keys    # no interest column counted
    # going back up the funnel is set to 0, not fitted, and said so
    assert fixed == {"behavior.forget_per_day": 0.0, "behavior.lose_interest_per_day": 0.0}
    assert "behavior.forget_per_day" not in keys and any("set to 0" in n for n in notes)


BAD_SPEND = [
    ({"ad_spend_cny.douyin_ads": ["7000", "x", "1", "1"]}, "row 3, column 'ad_spend_cny.douyin_ads'",
     ["'x'", "not an amount"]),
    ({"ad_spend_cny.douyin_ads": ["7000", "-5", "1", "1"]}, "row 3, column 'ad_spend_cny.douyin_ads'", ["'-5'"]),
    ({"ad_spend_cny.douyin_ads": ["7000", "1e300", "1", "1"]}, "row 3", ["1e+12"]),
    ({"ad_spend_cny.": ["1", "1", "1", "1"]}, "column 'ad_spend_cny.'", ["name the policy"]),
]


@pytest.mark.parametrize("columns, where, words", BAD_SPEND)
def test_bad_spend_columns_name_file_row_and_column(tmp_path, columns, where, words):
    path = _funnel(tmp_path, columns)
    with pytest.raises(simlib.UserError) as err:
        read_funnel(path)
    message = str(err.value)
    assert str(path) in message and where in message, message
    for word in words:
        assert word in message, message


@pytest.mark.parametrize("columns, words", [
    ({"ad_spend_cny.tiktok": [1, 1, 1, 1]}, ["no ad policy or channel 'tiktok'", "douyin_ads", "taobao_search"]),
    ({"ad_spend_cny": [1, 1, 1, 1], "ad_spend_cny.douyin_ads": [1, 1, 1, 1]}, ["not both"]),
    ({"ad_spend_cny.douyin_ads": [1, 1, 1, 1], "ad_spend_cny.douyin": [1, 1, 1, 1]}, ["given twice"]),
])
def test_spend_that_names_no_ad_policy_is_refused(tmp_path, columns, words):
    data = read_funnel(_funnel(tmp_path, columns))
    with pytest.raises(simlib.UserError) as err:
        prepare(data, simlib.load_scenario("baseline"), 1000)
    for word in words:
        assert word in str(err.value), str(err.value)


def test_spend_without_ad_policies_is_refused(tmp_path):
    data = read_funnel(_funnel(tmp_path, {"ad_spend_cny": [1, 1, 1, 1]}))
    with pytest.raises(simlib.UserError, match="runs no paid_acquisition"):
        prepare(data, simlib.load_scenario("classic_ctmc"), 1000)


@pytest.mark.parametrize("rows, words", [
    ({"week": [1, 2, 3], "douyin_ads": [1, 2, 3]}, ["no row for period 4"]),
    ({"week": [1, 2, 3, 4, 5], "douyin_ads": [1, 2, 3, 4, 5]}, ["has period 5"]),
    ({"week": [1, 2, 3, 4]}, ["no spend columns"]),
    ({"week": [1, 2, 3, 4], "douyin_ads": ["1", "2", "", "4"]}, ["row 4", "not an amount"]),
])
def test_bad_spend_files_name_the_file_and_what_is_wrong(tmp_path, rows, words):
    spend = tmp_path / "spend.csv"
    pd.DataFrame(rows).to_csv(spend, index=False)
    with pytest.raises(simlib.UserError) as err:
        read_spend(spend, read_funnel(_funnel(tmp_path)))
    message = str(err.value)
    assert str(spend) in message, message
    for word in words:
        assert word in message, message


def test_spend_given_twice_is_refused(tmp_path):
    spend = tmp_path / "spend.csv"
    pd.DataFrame({"week": [1, 2, 3, 4], "douyin_ads": [1, 2, 3, 4]}).to_csv(spend, index=False)
    with pytest.raises(simlib.UserError, match="already has ad spend"):
        read_spend(spend, read_funnel(_funnel(tmp_path, {"ad_spend_cny": [1, 1, 1, 1]})))


@pytest.mark.parametrize("weeks, start, words", [
    (0, None, ["--holdout-weeks 0", "whole number >= 1"]),
    (3, None, ["at least 2 must stay"]),
    (None, "1", ["--holdout-from 1", "after the first"]),
    (None, "9", ["at most the last"]),
    (None, "2024-03-01", ["numbers its periods"]),
])
def test_holdout_options_that_cannot_work_say_why(tmp_path, weeks, start, words):
    data = read_funnel(_funnel(tmp_path))
    with pytest.raises(simlib.UserError) as err:
        with_holdout(data, weeks, start)
    for word in words:
        assert word in str(err.value), str(err.value)


def test_holdout_by_weeks_and_from_a_period_or_date_agree(tmp_path):
    data = read_funnel(_funnel(tmp_path, weeks=6))
    assert with_holdout(data, 2).holdout == with_holdout(data, None, "5").holdout == 2
    assert with_holdout(data, 2).days == 28 and with_holdout(data, 2).all_days == 42
    dated = pd.read_csv(_funnel(tmp_path, weeks=6))
    dated["week"] = pd.date_range("2024-01-07", periods=6, freq="7D").strftime("%Y-%m-%d")
    dated = dated.rename(columns={"week": "date"})
    dated.to_csv(tmp_path / "dated.csv", index=False)
    assert with_holdout(read_funnel(tmp_path / "dated.csv"), None, "2024-02-04").holdout == 2


def test_the_command_refuses_bad_spend_with_exit_2_and_no_traceback(tmp_path):
    path = _funnel(tmp_path)
    spend = tmp_path / "spend.csv"
    spend.write_text("week,douyin_ads\n1,1\n2,two\n3,3\n4,4\n", encoding="utf-8")
    done = simlib_cli("calibrate", "funnel", path, "--scenario", "baseline", "--spend", spend, "--out",
                      tmp_path / "o", timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"{spend}, row 3, column 'ad_spend_cny.douyin_ads'" in done.stderr
    binary = tmp_path / "binary.csv"
    binary.write_bytes(bytes(range(256)) * 8)
    done = simlib_cli("calibrate", "funnel", path, "--scenario", "baseline", "--spend", binary, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr and str(binary) in done.stderr
    done = simlib_cli("calibrate", "funnel", path, "--scenario", "baseline", "--predict-weeks", "3", timeout=120)
    assert done.returncode == 2 and "--predict PLAN" in done.stderr


def test_one_naming_convention_for_fit_keys_in_both_commands():
    from simlib.keys import canonical_key
    funnel = [simlib.load_scenario("baseline").data]
    assert canonical_key("forget_per_day", funnel) == canonical_key("behavior.forget_per_day", funnel) \
        == "behavior.forget_per_day"
    assert canonical_key("douyin_ads.max_awareness_per_day", funnel) == "policies.douyin_ads.max_awareness_per_day"
    with pytest.raises(simlib.UserError, match="ambiguous.*douyin_ads.awareness_per_impression.*search_ads"):
        canonical_key("awareness_per_impression", funnel)
    with pytest.raises(simlib.UserError, match="Did you mean 'forget_per_day'"):
        canonical_key("forgt_per_day", funnel)
    # calibrate uplift reads its --fit through the same convention: a bare name where unambiguous
    from simlib.calibrate.uplift.fit import targets_for

    class Campaign:
        def scenarios(self):
            return [simlib.load_scenario("coupon_ladder")]
    bare, full = targets_for([Campaign()], ["discount_effect"]), targets_for([Campaign()], ["behavior.discount_effect"])
    assert bare == full and bare[0].key == "behavior.discount_effect"
