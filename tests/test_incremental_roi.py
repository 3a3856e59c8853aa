"""The comparison reads ROI against the reference: extra net profit per extra CNY the strategy
costs (experiment/returns.py), not the whole market's net profit over the strategy's cost."""

import numpy as np
import pandas as pd

from simlib.experiment.parameters import Outcome
from simlib.experiment.returns import ratio_ci
from simlib.experiment.table import comparison_table


def _runs(rng, n=40):
    rows = []
    for r in range(n):
        base_net = 800_000 + rng.normal(0, 5_000)
        cost = 17_000 + rng.normal(0, 300)
        rows.append({"arm": "pond", "replication": r, "net_profit_cny": base_net, "strategy_cost_cny": 0.0,
                     "roi": np.nan})
        # the coupon costs 17k and brings back 40 % of it: it loses 0.6 CNY per extra CNY
        net = base_net - 0.6 * cost + rng.normal(0, 400)
        rows.append({"arm": "coupon", "replication": r, "net_profit_cny": net, "strategy_cost_cny": cost,
                     "roi": net / cost})
    return pd.DataFrame(rows)


def test_the_return_on_a_losing_coupon_is_negative_where_the_whole_market_roi_is_large():
    runs = _runs(np.random.default_rng(3))
    outcomes = [Outcome(k, "maximize", k, None) for k in ("net_profit_cny", "roi")]
    table = comparison_table(runs, outcomes, "pond")
    assert "roi" not in set(table["outcome"]) and "incremental_roi" in set(table["outcome"])
    row = table[(table["outcome"] == "incremental_roi") & (table["arm"] == "coupon")].iloc[0]
    d_net = runs[runs.arm == "coupon"]["net_profit_cny"].to_numpy() - runs[runs.arm == "pond"]["net_profit_cny"].to_numpy()
    d_cost = runs[runs.arm == "coupon"]["strategy_cost_cny"].to_numpy()
    assert np.isclose(row["mean"], d_net.mean() / d_cost.mean())
    assert row["mean_low"] < -0.6 < row["mean_high"] and row["mean_high"] < 0
    assert runs.loc[runs.arm == "coupon", "roi"].mean() > 40       # what the whole-market ratio said
    ref = table[(table["outcome"] == "incremental_roi") & (table["arm"] == "pond")].iloc[0]
    assert np.isnan(ref["mean"])


def test_the_interval_covers_the_true_ratio_at_its_level():
    rng = np.random.default_rng(11)
    hits = 0
    for _ in range(400):
        d_cost = 100 + rng.normal(0, 10, 20)
        d_net = 0.5 * d_cost + rng.normal(0, 30, 20)
        _, lo, hi = ratio_ci(d_net, d_cost, 0.9)
        hits += lo <= 0.5 <= hi
    assert 0.85 <= hits / 400 <= 0.95


def test_no_ratio_when_the_arm_costs_no_more():
    assert all(np.isnan(ratio_ci([1.0, 2.0], [0.0, 0.0])))
    assert all(np.isnan(ratio_ci([1.0, 2.0], [-5.0, -4.0])))
