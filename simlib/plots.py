"""Figures people look at: the funnel over time and the money."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .population import STAGES

STAGE_COLORS = {"unaware": "#d9d9d9", "aware": "#9ecae1", "interested": "#4292c6", "purchased": "#41ab5d",
                "loyal": "#006d2c", "dormant": "#fdae6b", "lost": "#cb181d"}


def funnel(daily, ax=None, share: bool = True, title: str = "The funnel over time"):
    """Stacked area of customers per AIPL stage by day (share of the market by default)."""
    ax = ax or plt.subplots(figsize=(8, 4))[1]
    counts = daily[list(STAGES)].to_numpy(dtype=float)
    if share:
        counts = counts / counts.sum(axis=1, keepdims=True)
    ax.stackplot(daily["day"], counts.T, labels=STAGES, colors=[STAGE_COLORS[s] for s in STAGES], linewidth=0)
    ax.set_xlabel("day")
    ax.set_ylabel("share of the market" if share else "customers")
    ax.set_xlim(daily["day"].min(), daily["day"].max())
    ax.set_title(title)
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    return ax


def money(daily, ax=None, title: str = "Money, cumulative"):
    """Cumulative GMV, gross profit and marketing cost (CNY) by day."""
    ax = ax or plt.subplots(figsize=(8, 4))[1]
    for col, label, style in [("gmv_cny", "GMV", "-"), ("gross_profit_cny", "gross profit", "-"),
                              ("marketing_cost_cny", "marketing cost", "--")]:
        ax.plot(daily["day"], np.cumsum(daily[col]) / 1e4, style, label=label)
    net = np.cumsum(daily["gross_profit_cny"] - daily["marketing_cost_cny"]) / 1e4
    ax.plot(daily["day"], net, ":", color="black", label="gross profit - marketing")
    ax.axhline(0, color="grey", linewidth=0.5)
    ax.set_xlabel("day")
    ax.set_ylabel("10k CNY")
    ax.set_title(title)
    ax.legend(frameon=False)
    return ax


def compare_daily(results: dict, column: str, ax=None, cumulative: bool = True, ylabel: str | None = None):
    """One line per named result for a daily column."""
    ax = ax or plt.subplots(figsize=(8, 4))[1]
    for name, res in results.items():
        y = res.daily[column].to_numpy(dtype=float)
        ax.plot(res.daily["day"], np.cumsum(y) if cumulative else y, label=name)
    ax.set_xlabel("day")
    ax.set_ylabel(ylabel or (f"cumulative {column}" if cumulative else column))
    ax.legend(frameon=False)
    return ax
