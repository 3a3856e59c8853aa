"""Seasonal index of purchase rates: the time change is exact (an index of ones changes
nothing), a fitted index finds the one the log was drawn with, and a declared index predicts
a holdout with 618 and Double 11 where the plain model reads the lull as customers leaving."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simlib
from simlib.calibrate.report import calibrate_log
from simlib.calibrate.seasonal import index_from_free, parse_index
from simlib.calibrate.synthetic import simulate_process
from simlib.calibrate.transactions import TransactionLog, transactions_from_frame

INDEX = np.array([0.8, 0.7, 1.0, 0.9, 0.9, 1.5, 0.8, 0.8, 0.9, 1.0, 1.7, 1.0])  # mean 1: 618 and Double 11
TRUTH = {"r": 0.6, "alpha": 30.0, "a": 1.0, "b": 6.0}


def seasonal_log(seed, n=3000, index=INDEX):
    rng = np.random.default_rng(seed)
    occ = simulate_process(rng, rng.integers(0, 120, n), 729, TRUTH, seasonal_index=index, origin="2023-01-01")
    return TransactionLog(occ, pd.Timestamp("2023-01-01"), f"seasonal seed {seed}", len(occ))


def test_an_index_of_ones_is_no_index():
    log = seasonal_log(1, n=1500, index=np.ones(12))
    plain = calibrate_log(log, "2024-05-15", "2024-12-30", process="mbgnbd")
    flat = calibrate_log(log, "2024-05-15", "2024-12-30", process="mbgnbd", seasonal=[1.0] * 12)
    for key, value in plain.fit.params.items():
        assert flat.fit.params[key] == pytest.approx(value, rel=1e-6)
    assert flat.check["predicted"] == pytest.approx(plain.check["predicted"], rel=1e-9)
    np.testing.assert_allclose(flat.weekly["predicted_cumulative"], plain.weekly["predicted_cumulative"], rtol=1e-6)


def test_fitted_index_finds_the_months_and_the_fragment_carries_it(tmp_path):
    cal = calibrate_log(seasonal_log(2), "2024-05-15", "2024-12-30", process="bgnbd", seasonal="fit")
    table = cal.clock.table()
    assert np.all(np.abs(table["estimate"].to_numpy() - INDEX) < 3 * table["std_error"].to_numpy()), table
    assert table["estimate"].mean() == pytest.approx(1.0)
    fragment = cal.fragment()
    assert fragment["market"]["start_date"] == "2024-05-16"
    assert fragment["behavior"]["seasonal_index"] == pytest.approx(list(table["estimate"]), rel=1e-3)
    params = cal.parameters()
    assert params.loc["season_11", "sets"] == "behavior.seasonal_index[10]"


def test_a_declared_index_predicts_the_peaks_the_plain_model_misses():
    errors = {"declared": [], "none": []}
    for seed in (10, 11):
        log = seasonal_log(seed)
        for name, seasonal in (("declared", list(INDEX)), ("none", None)):
            cal = calibrate_log(log, "2024-05-15", "2024-12-30", process="bgnbd", seasonal=seasonal)
            errors[name].append(cal.check["z"])
    assert max(abs(z) for z in errors["declared"]) < 2.5, errors
    # calibrated through the spring lull, the plain model under-predicts June and November
    assert max(errors["none"]) < -3, errors


def test_seasonal_input_errors(tmp_path):
    with pytest.raises(simlib.UserError, match="12 finite numbers > 0"):
        parse_index("1,2,3")
    with pytest.raises(simlib.UserError, match="12 numbers > 0"):
        parse_index("a,b,c,d,e,f,g,h,i,j,k,l")
    index, note = parse_index([2.0] * 12)
    assert np.allclose(index, 1.0) and "rescaled to mean 1" in note
    log = seasonal_log(3, n=300)
    with pytest.raises(simlib.UserError, match="more than a year"):
        calibrate_log(log, "2023-10-31", "2024-03-31", process="bgnbd", seasonal="fit")
    with pytest.raises(simlib.UserError, match="available with bgnbd, mbgnbd, cnbd"):
        calibrate_log(log, "2024-05-15", process="pnbd", seasonal=list(INDEX))
    numbered = transactions_from_frame(log.occasions)
    with pytest.raises(simlib.UserError, match="calendar dates"):
        calibrate_log(numbered, 500, process="bgnbd", seasonal=list(INDEX))


def test_index_parametrisation_has_mean_one():
    free = np.random.default_rng(0).normal(size=11)
    assert index_from_free(free).mean() == pytest.approx(1.0)
    assert index_from_free(np.zeros(11)) == pytest.approx(np.ones(12))
