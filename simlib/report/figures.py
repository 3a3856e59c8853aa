"""Decision charts for the report: each shows profit, money in whole CNY, levels from zero."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from ..experiment.compare import mean_ci
from .units import metric_label, metric_name, money_axis

COST_COLORS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
               "#ff9da7", "#9c755f", "#bab0ac", "#86bcb6", "#d37295"]


def _arm_colors(arms):
    return {a: f"C{i}" for i, a in enumerate(arms)}


def profit_by_arm(runs: pd.DataFrame, arms, reference: str, outcome: str = "net_profit_cny",
                  confidence: float = 0.95):
    """Mean net profit per arm with its interval, bars from zero."""
    fig, ax = plt.subplots(figsize=(7.5, 0.9 + 0.55 * len(arms)))
    stats = [mean_ci(runs.loc[runs["arm"] == a, outcome].astype(float), confidence) for a in arms]
    y = np.arange(len(arms))[::-1]
    means = np.array([s[0] for s in stats])
    colors = ["#59a14f" if m >= 0 else "#e15759" for m in means]
    ax.barh(y, means, color=colors, alpha=0.85, height=0.6)
    lo = np.array([s[1] for s in stats])
    hi = np.array([s[2] for s in stats])
    ok = np.isfinite(lo) & np.isfinite(hi)
    ax.errorbar(means[ok], y[ok], xerr=[means[ok] - lo[ok], hi[ok] - means[ok]], fmt="none", ecolor="0.2", capsize=4)
    ax.axvline(0, color="0.2", lw=0.8)
    ax.set_yticks(y, [f"{a} (reference)" if a == reference else a for a in arms])
    money_axis(ax, "x", metric_label(outcome))
    _include_zero(ax, "x")
    pct = f"{round(confidence * 100):g}%"
    ax.set_title(f"{metric_name(outcome)} per arm: mean and {pct} interval")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def costs_by_arm(breakdown: pd.DataFrame, arms, reference: str):
    """Where the money goes: every cost line stacked per arm (left) beside net profit (right)."""
    costs = breakdown[breakdown["role"] == "cost"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11.5, 1.6 + 0.55 * len(arms)),
                                      gridspec_kw={"width_ratios": [2, 1]}, sharey=True)
    y = np.arange(len(arms))[::-1]
    start = np.zeros(len(arms))
    for i, (line, row) in enumerate(costs.iterrows()):
        values = row[list(arms)].to_numpy(dtype=float)
        left.barh(y, values, left=start, height=0.6, color=COST_COLORS[i % len(COST_COLORS)], label=line)
        start += values
    left.set_yticks(y, [f"{a} (reference)" if a == reference else a for a in arms])
    money_axis(left, "x", "costs, CNY (mean per run)")
    left.set_title("Where the money goes: every cost")
    left.legend(frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.22 - 0.05 * (4 - min(len(arms), 4))),
                ncol=3)
    left.grid(axis="x", alpha=0.3)
    net = breakdown.loc[breakdown["key"] == "net_profit_cny", list(arms)].to_numpy(dtype=float).ravel()
    right.barh(y, net, height=0.6, color=["#59a14f" if v >= 0 else "#e15759" for v in net])
    right.axvline(0, color="0.2", lw=0.8)
    money_axis(right, "x", "net profit, CNY")
    _include_zero(right, "x")
    right.xaxis.set_major_locator(MaxNLocator(nbins=3, steps=[1, 2, 2.5, 5, 10]))
    right.set_title("What is left: net profit")
    right.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def cumulative_profit(daily: pd.DataFrame, arms, reference: str, quantiles=(0.05, 0.5, 0.95)):
    """Cumulative net profit by day (left) and each arm's paired
    difference to the reference (right, its own scale): median and band over replications."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11.5, 4.2))
    colors = _arm_colors(arms)
    paths = {}
    for arm in arms:
        d = daily[daily["arm"] == arm]
        if d.empty:
            continue
        # net profit day by day (the points owed accrue as earned), so the curves end at the verdict's
        # figure; runs stored before that column existed show gross profit minus marketing cost
        net = d.assign(net=d["net_profit_cny"] if "net_profit_cny" in d else d["gross_profit_cny"] - d["marketing_cost_cny"])
        paths[arm] = net.pivot_table(index="day", columns="replication", values="net").cumsum()
    band = f"median and {quantiles[0]:.0%} to {quantiles[-1]:.0%} band"
    for arm, wide in paths.items():
        _band(left, wide, quantiles, colors[arm], f"{arm} (reference)" if arm == reference else arm)
        if arm != reference and reference in paths:
            diff, ref = wide.align(paths[reference], join="inner")
            _band(right, diff - ref, quantiles, colors[arm], f"{arm} - {reference}")
    for ax in (left, right):
        ax.axhline(0, color="0.2", lw=0.8)
        ax.set_xlabel("day")
        ax.grid(alpha=0.3)
        ax.legend(frameon=False, fontsize=9)
    money_axis(left, "y", "cumulative profit, CNY")
    money_axis(right, "y", f"difference to {reference}, CNY")
    left.set_title(f"Gross profit minus marketing cost, cumulative\n({band})", fontsize=10)
    right.set_title(f"The same, minus {reference}'s, paired by replication\n({band})", fontsize=10)
    fig.tight_layout()
    return fig


def _band(ax, wide: pd.DataFrame, quantiles, color, label) -> None:
    qs = wide.quantile(list(quantiles), axis=1).T
    ax.fill_between(qs.index, qs.iloc[:, 0], qs.iloc[:, -1], color=color, alpha=0.18, lw=0)
    ax.plot(qs.index, qs.iloc[:, len(quantiles) // 2], color=color, label=label)


def _include_zero(ax, axis: str) -> None:
    lo, hi = ax.get_xlim() if axis == "x" else ax.get_ylim()
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    (ax.set_xlim if axis == "x" else ax.set_ylim)(lo, hi)
