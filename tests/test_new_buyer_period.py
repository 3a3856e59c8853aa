"""The new-buyer period (simlib.calibrate.new_buyers): its clock is the integral of its rate,
it reduces to the plain process at zero boost, the calibration finds it where it is and not
where it is not, and the engine simulates what is fitted."""

import numpy as np
import pandas as pd
import pytest
from scipy import integrate

import simlib
from conftest import ROOT
from simlib.calibrate.new_buyers import NewBuyerClock, TenureDesign, operational_days
from simlib.calibrate.processes import ProcessFit, expected_purchases, get_process
from simlib.calibrate.report import calibrate_log
from simlib.calibrate.synthetic import simulate_process
from simlib.calibrate.transactions import summarize, transactions_from_frame

BGNBD = {"r": 0.6, "alpha": 30.0, "a": 1.2, "b": 4.0}


def test_operational_days_are_the_integral_of_the_rate():
    boost, days = 1.3, 25.0
    for t in (0.5, 10.0, 80.0, 400.0):
        integral, _ = integrate.quad(lambda s: 1 + boost * np.exp(-s / days), 0, t)
        assert operational_days(t, boost, days) == pytest.approx(integral, rel=1e-10)


def _log(seed, customers, new_buyer=None):
    rng = np.random.default_rng([seed, 7])
    occ = simulate_process(rng, rng.integers(0, 90, customers), 450, BGNBD, new_buyer=new_buyer)
    return transactions_from_frame(occ)


def test_zero_boost_gives_the_plain_histories():
    data = summarize(_log(0, 300), 270, 450)
    design = TenureDesign.of(data.customers, data.log.occasions, data.calibration_end_day)
    h = design.histories(0.0, 30.0)
    c = data.customers
    np.testing.assert_allclose(h.x, c["frequency"])
    np.testing.assert_allclose(h.t_x, c["recency"])
    np.testing.assert_allclose(h.T, c["age"])
    np.testing.assert_allclose(h.log_gaps, c["log_gaps"], atol=1e-9)
    assert design.log_jacobian(0.0, 30.0) == 0.0


def test_a_new_buyer_period_is_found_and_its_size_recovered():
    stages = []
    cal = calibrate_log(_log(0, 2000, new_buyer=(1.0, 30.0)), 270, 450, process="bgnbd", progress=stages.append)
    assert stages == ["testing a new-buyer period on the chosen process"]
    period = cal.new_buyers
    assert period is cal.clock, "a strong period must be used"
    assert period.p_value < 1e-6
    table = period.table()
    assert table.loc["new_buyer_boost", "lower"] <= 1.0 <= table.loc["new_buyer_boost", "upper"]
    assert table.loc["new_buyer_days", "lower"] <= 30.0 <= table.loc["new_buyer_days", "upper"]
    fragment = cal.fragment()["behavior"]
    assert fragment["new_buyer_boost"] == pytest.approx(period.boost, rel=1e-3)
    assert fragment["new_buyer_boost_days"] == pytest.approx(period.days, rel=1e-3)
    assert "New-buyer period" in cal.describe() and "without the new-buyer period" in cal.describe()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_plain_log_keeps_the_plain_process(seed):
    cal = calibrate_log(_log(seed, 2000), 270, 450, process="bgnbd")
    assert cal.new_buyers is not None and cal.new_buyers.p_value > 0.01
    assert cal.clock is None and "new_buyer_boost" not in cal.fragment()["behavior"]


def test_off_and_on():
    log = _log(1, 1500)
    assert calibrate_log(log, 270, 450, process="bgnbd", new_buyers="off").new_buyers is None
    forced = calibrate_log(log, 270, 450, process="bgnbd", new_buyers="on")
    assert isinstance(forced.clock, NewBuyerClock)
    kept = calibrate_log(log, 270, 450, process="pnbd", new_buyers="on")
    assert kept.clock is None and any("not available with Pareto/NBD" in n for n in kept.notes)
    with pytest.raises(simlib.UserError, match="not combined"):
        calibrate_log(log, 270, 450, process="bgnbd", new_buyers="on", seasonal=[1.0] * 12)
    with pytest.raises(simlib.UserError, match="allowed: auto, on, off"):
        calibrate_log(log, 270, 450, new_buyers="sometimes")


def test_the_engine_simulates_the_fitted_period():
    """Everyone buys first on day 0; repeat purchases by day t match E[X] of BG/NBD over the
    operational span tau(t + 1), and differ from the plain process's (so the check can fail)."""
    from test_processes_in_the_engine import N, market_of_new_buyers
    params = {"r": 0.7, "alpha": 25.0, "a": 1.3, "b": 5.0}
    boost, days = 1.0, 40.0
    fit = ProcessFit("bgnbd", params, np.zeros((4, 4)), 0.0, 0)
    fragment = get_process("bgnbd").fragment(fit)
    fragment["behavior"].update(new_buyer_boost=boost, new_buyer_boost_days=days)
    tx = simlib.run(market_of_new_buyers(fragment), seed=17, record_transactions=True).transactions
    for t in (10, 40, 150):
        repeats = np.bincount(tx.loc[tx.day <= t, "customer_id"], minlength=N) - 1
        se = repeats.std() / np.sqrt(N)
        # the engine holds the boost at the day's start tenure (day - first day) for the whole day
        span = float(np.sum(1 + boost * np.exp(-np.arange(t + 1) / days)))
        expected = float(np.asarray(expected_purchases(fit, [span])).ravel()[0])
        plain = float(np.asarray(expected_purchases(fit, [t + 1])).ravel()[0])
        assert abs(repeats.mean() - expected) <= 4.5 * se + 0.003 * expected, (t, repeats.mean(), expected)
        assert abs(repeats.mean() - plain) > 10 * se, (t, repeats.mean(), plain)


def test_the_cli_writes_the_period_into_the_fragment(tmp_path, capsys):
    from simlib.cli.main import main
    occ = simulate_process(np.random.default_rng(3), np.random.default_rng(4).integers(0, 90, 1500), 450, BGNBD,
                           new_buyer=(1.5, 20.0))
    path = tmp_path / "log.csv"
    occ.rename(columns={"amount_cny": "amount"}).to_csv(path, index=False)
    code = main(["calibrate", "transactions", str(path), "--date-col", "day", "--calibration-end", "270",
                 "--process", "bgnbd", "--out", str(tmp_path / "out"), "--no-plots"])
    assert code == 0
    assert "New-buyer period" in capsys.readouterr().out
    params = pd.read_csv(tmp_path / "out" / "parameters.csv").set_index("parameter")
    assert params.loc["new_buyer_boost", "sets"] == "behavior.new_buyer_boost"
    scenario_file = tmp_path / "calibrated.yaml"
    scenario_file.write_text(f"name: calibrated\nextends: [{ROOT / 'scenarios' / 'baseline.yaml'}, "
                             f"{tmp_path / 'out' / 'fitted_traits.yaml'}]\n", encoding="utf-8")
    scenario = simlib.load_scenario(scenario_file)
    assert scenario.data["behavior"]["new_buyer_boost"] == pytest.approx(params.loc["new_buyer_boost", "estimate"],
                                                                         rel=1e-3)

