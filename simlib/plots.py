"""Figures people look at: the funnel over time and the money."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .population import STAGES
from .report.units import metric_label, metric_unit, money_axis, MONEY

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
    """Cumulative GMV, gross profit, marketing cost and profit (CNY, whole yuan) by day.

    Net profit owes the points earned by each day (the liability accrues as they are earned), so
    its curve ends at the run's ``net_profit_cny``."""
    ax = ax or plt.subplots(figsize=(8, 4))[1]
    for col, label, style in [("gmv_cny", "GMV", "-"), ("gross_profit_cny", "gross profit", "-"),
                              ("marketing_cost_cny", "marketing cost", "--")]:
        ax.plot(daily["day"], np.cumsum(daily[col]), style, label=label)
    ax.plot(daily["day"], np.cumsum(daily["net_profit_cny"]), ":", color="black", label="net profit")
    ax.axhline(0, color="grey", linewidth=0.5)
    ax.set_xlabel("day")
    money_axis(ax, "y", "CNY")
    ax.set_title(title)
    ax.legend(frameon=False)
    return ax


def result_figure(result, figsize=(9, 8)):
    """The funnel (share of the market per stage) above the money, for ``Result.plot()``."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=figsize)
    funnel(result.daily, ax=top, title=f"{result.scenario.name}: the funnel over time")
    money(result.daily, ax=bottom, title=f"{result.scenario.name}: money, cumulative")
    bottom.legend(frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    return fig


def compare_daily(results: dict, column: str, ax=None, cumulative: bool = True, ylabel: str | None = None):
    """One line per named result for a daily column."""
    ax = ax or plt.subplots(figsize=(8, 4))[1]
    for name, res in results.items():
        y = res.daily[column].to_numpy(dtype=float)
        ax.plot(res.daily["day"], np.cumsum(y) if cumulative else y, label=name)
    ax.set_xlabel("day")
    ax.set_ylabel(ylabel or (f"cumulative {metric_label(column)}" if cumulative else metric_label(column)))
    if metric_unit(column) == MONEY:
        money_axis(ax, "y")
    ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))
    ax.legend(frameon=False)
    return ax
