"""The return on what a strategy costs, against the reference: ``incremental_roi``.

A run's ``roi`` divides the whole market's net profit by what the strategy costs, so an arm whose
coupon loses money can still show a large ROI (the market earns without it). A strategist asks
what each extra yuan returns: ``incremental_roi`` = (net profit of the arm - net profit of the
reference) / (strategy cost of the arm - strategy cost of the reference), from the paired
replications (common random numbers): the ratio of the mean paired differences, with a
delta-method interval. Above 0 the strategy pays for itself and more; -1 means every extra
yuan is lost. Undefined (n/a) when the arm costs no more than the reference.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .compare import paired, prob_better
from .distributions import t_quantile

INCREMENTAL_ROI = "incremental_roi"
NET, COST = "net_profit_cny", "strategy_cost_cny"


def ratio_ci(d_net, d_cost, confidence: float = 0.95) -> tuple[float, float, float]:
    """mean(d_net) / mean(d_cost) and its delta-method interval (Student t on n - 1 degrees of
    freedom); NaN when the mean extra cost is not positive or fewer than 2 pairs."""
    d_net, d_cost = np.asarray(d_net, float), np.asarray(d_cost, float)
    n = len(d_net)
    if n == 0:
        return (math.nan,) * 3
    cost = float(d_cost.mean())
    if not cost > 0:
        return (math.nan,) * 3
    r = float(d_net.mean()) / cost
    if n < 2:
        return r, math.nan, math.nan
    cov = np.cov(d_net, d_cost, ddof=1)
    var = (cov[0, 0] - 2 * r * cov[0, 1] + r * r * cov[1, 1]) / (n * cost * cost)
    h = float(t_quantile(0.5 + confidence / 2, n - 1)) * math.sqrt(max(var, 0.0))
    return r, r - h, r + h


def with_incremental_roi(table: pd.DataFrame, runs: pd.DataFrame, reference: str, confidence: float = 0.95):
    """A comparison ``table`` whose ``roi`` rows become ``incremental_roi`` rows (in the same
    place), when the runs carry net profit and strategy cost; unchanged otherwise."""
    at = np.flatnonzero((table["outcome"] == "roi").to_numpy()) if len(table) else []
    if not len(at) or NET not in runs.columns or COST not in runs.columns:
        return table
    arms = list(table.loc[table["outcome"] == "roi", "arm"])
    power = float(table["power"].iloc[at[0]]) if "power" in table.columns else 0.8
    rows = pd.DataFrame(incremental_roi_rows(runs, arms, reference, confidence, power))
    return pd.concat([table.iloc[:at[0]], rows, table.iloc[at[0]:].query("outcome != 'roi'")],
                     ignore_index=True).infer_objects()


def incremental_roi_rows(runs, arms, reference: str, confidence: float = 0.95, power: float = 0.8) -> list[dict]:
    """The table's rows for ``incremental_roi``: n/a for the reference; for each arm its ratio as
    both mean and difference, and P(better) that its extra net profit is positive (the return
    beats break-even)."""
    rows = []
    for arm in arms:
        n = int((runs["arm"] == arm).sum())
        row = {"outcome": INCREMENTAL_ROI, "direction": "maximize", "arm": arm, "n": n}
        if arm == reference:
            row.update(mean=math.nan, mean_low=math.nan, mean_high=math.nan, diff=math.nan, diff_low=math.nan,
                       diff_high=math.nan, p_better=math.nan, sd_diff=math.nan, reps_needed=math.nan,
                       delta=math.nan, power=power)
        else:
            d_net, d_cost = paired(runs, NET, arm, reference), paired(runs, COST, arm, reference)
            d_net, d_cost = d_net.align(d_cost, join="inner")
            r, lo, hi = ratio_ci(d_net.to_numpy(), d_cost.to_numpy(), confidence)
            row.update(mean=r, mean_low=lo, mean_high=hi, diff=r, diff_low=lo, diff_high=hi,
                       p_better=prob_better(d_net.to_numpy()) if math.isfinite(r) else math.nan,
                       sd_diff=math.nan, reps_needed=math.nan, delta=math.nan, power=power)
        rows.append(row)
    return rows
