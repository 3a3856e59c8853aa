"""Intervals in range: a rate's interval stays in [0, 1], and a difference prints with enough
digits that a bound never rounds onto zero beside P(better) 1.00."""

import numpy as np
import pandas as pd

from simlib.experiment.compare import compare_table, mean_ci, share_ci
from simlib.experiment.spec import Outcome
from simlib.report.text import format_comparison
from simlib.report.units import fmt_span
from simlib.report.verdict import decide


def test_a_rate_near_zero_keeps_its_interval_above_zero():
    churn = [0.0, 0.02, 0.06, 0.01]
    _, t_low, _ = mean_ci(churn)
    m, low, high = share_ci(churn)
    assert t_low < 0 < low < m < high < 1                 # the plain t interval would cross zero
    mid = [0.50, 0.52, 0.49]
    assert np.allclose(share_ci(mid)[1:], mean_ci(mid)[1:], atol=2e-4)   # in the middle it is the t interval
    assert share_ci([0.0, 0.0, 0.0]) == (0.0, 0.0, 0.0)


def test_the_comparison_table_bounds_rates_and_not_money():
    runs = pd.DataFrame({"arm": ["pond"] * 4 + ["ladder"] * 4, "replication": list(range(4)) * 2,
                         "churn_rate": [0.0, 0.02, 0.06, 0.01, 0.0, 0.01, 0.05, 0.01],
                         "net_profit_cny": [10.0, -300.0, 200.0, 0.0, 5.0, -290.0, 210.0, 3.0]})
    t = compare_table(runs, [Outcome("churn_rate", "minimize"), Outcome("net_profit_cny", "maximize")], "pond")
    rates = t[t["outcome"] == "churn_rate"]
    assert (rates["mean_low"] >= 0).all() and (rates["mean_high"] <= 1).all()
    money = t[t["outcome"] == "net_profit_cny"]
    assert (money["mean_low"] < 0).any()                 # money may be negative


def test_a_small_sure_difference_never_prints_a_zero_bound():
    assert fmt_span("churn_rate", -0.0008, -0.0012, -0.0004) == ("-0.08 pp", "-0.12 pp", "-0.04 pp")
    assert fmt_span("roi", -0.004, -0.007, -0.001) == ("-0.004", "-0.007", "-0.001")
    assert fmt_span("net_profit_cny", -14_355, -37_790, 9_080) == ("-14,355", "-37,790", "+9,080")
    runs = pd.DataFrame({"arm": ["pond"] * 5 + ["ladder"] * 5, "replication": list(range(5)) * 2,
                         "churn_rate": [0.10, 0.12, 0.11, 0.13, 0.09] * 2,
                         "net_profit_cny": [0.0] * 10})
    runs.loc[runs.arm == "ladder", "churn_rate"] -= [0.0009, 0.0011, 0.0010, 0.0012, 0.0008]
    runs.loc[runs.arm == "ladder", "net_profit_cny"] = 1.0
    t = compare_table(runs, [Outcome("churn_rate", "minimize")], "pond")
    v = decide(t, "pond", runs=runs)
    assert "P(better) 1.00" in v.text and "0.0 pp" not in v.text and "-0.10 pp" in v.text
    assert "+0.0 pp" not in format_comparison(t, "pond") and "-0.0 pp" not in format_comparison(t, "pond")
