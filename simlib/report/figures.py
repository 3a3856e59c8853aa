"""Decision charts for the report: each shows profit, money in whole CNY, levels from zero.

Every chart draws wide (a laptop) or ``narrow`` (a phone, about 400 px: panels stacked, fewer
ticks, legends below, text that stays readable when the image is shown at the screen's width).
``words`` (``lang.Words``) labels it in the report's language when a font for it is present.
"""

from __future__ import annotations

import contextlib

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from ..experiment.compare import mean_ci
from .units import metric_label, metric_name, money_axis

COST_COLORS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
               "#ff9da7", "#9c755f", "#bab0ac", "#86bcb6", "#d37295"]
NARROW_WIDTH_IN = 4.4          # inches; drawn at 150 dpi and shown at the phone's width
WIDE_WIDTH_IN = 11.5


def _arm_colors(arms):
    return {a: f"C{i}" for i, a in enumerate(arms)}


class _Labels:
    """Chart words in the report's language, or English when no font can draw it."""

    def __init__(self, words=None):
        from .lang import zh_font_available
        self.zh = bool(words is not None and words.zh and zh_font_available())
        self.words = words

    def __call__(self, en: str, zh: str) -> str:
        return zh if self.zh else en

    def arm(self, name: str, reference: str) -> str:
        shown = self.words.arm(name) if self.zh else name
        return f"{shown} {self('(reference)', '（参照）')}" if name == reference else shown

    def metric(self, key: str) -> str:
        return self.words.metric_label(key) if self.zh else metric_label(key)

    @contextlib.contextmanager
    def fonts(self):
        if not self.zh:
            yield
            return
        from .lang import zh_font_family
        # the family itself (not "sans-serif"): texts keep it when the figure is saved later
        with plt.rc_context({"font.family": zh_font_family(), "axes.unicode_minus": False}):
            yield


def profit_by_arm(runs: pd.DataFrame, arms, reference: str, outcome: str = "net_profit_cny",
                  confidence: float = 0.95, narrow: bool = False, words=None):
    """Mean net profit per arm with its interval, bars from zero."""
    lab = _Labels(words)
    with lab.fonts():
        width = NARROW_WIDTH_IN if narrow else 7.5
        fig, ax = plt.subplots(figsize=(width, 0.9 + (0.5 if narrow else 0.55) * len(arms)))
        stats = [mean_ci(runs.loc[runs["arm"] == a, outcome].astype(float), confidence) for a in arms]
        y = np.arange(len(arms))[::-1]
        means = np.array([s[0] for s in stats])
        colors = ["#59a14f" if m >= 0 else "#e15759" for m in means]
        ax.barh(y, means, color=colors, alpha=0.85, height=0.6)
        lo = np.array([s[1] for s in stats])
        hi = np.array([s[2] for s in stats])
        ok = np.isfinite(lo) & np.isfinite(hi)
        ax.errorbar(means[ok], y[ok], xerr=[means[ok] - lo[ok], hi[ok] - means[ok]], fmt="none", ecolor="0.2",
                    capsize=4)
        ax.axvline(0, color="0.2", lw=0.8)
        ax.set_yticks(y, [lab.arm(a, reference) for a in arms])
        money_axis(ax, "x", lab.metric(outcome), nbins=3 if narrow else None)
        _include_zero(ax, "x")
        pct = f"{round(confidence * 100):g}%"
        ax.set_title(lab(f"{metric_name(outcome)} per arm: mean and {pct} interval",
                         f"各方案{lab.words.metric(outcome) if lab.zh else ''}：均值和 {pct} 区间"),
                     fontsize=10 if narrow else None)
        ax.grid(axis="x", alpha=0.3)
        fig.tight_layout()
    return fig


def paired_differences(table: pd.DataFrame, outcome: str, reference: str, narrow: bool = False, words=None):
    """Each arm minus the reference, paired by replication: a point, its interval and the figure
    written beside it. Sized to its rows and fitted to the intervals, so no space is wasted."""
    lab = _Labels(words)
    t = table[(table["outcome"] == outcome) & (table["arm"] != reference)].iloc[::-1]
    with lab.fonts():
        width = NARROW_WIDTH_IN if narrow else 7.5
        fig, ax = plt.subplots(figsize=(width, 0.75 + 0.42 * max(len(t), 1)))
        y = np.arange(len(t))
        good = np.where(t["direction"] == "maximize", t["diff"] > 0, t["diff"] < 0)
        sure = [(lo > 0 or hi < 0) for lo, hi in zip(t["diff_low"], t["diff_high"])]
        colors = ["#2e7d32" if g and s else "#c62828" if (not g) and s else "0.45" for g, s in zip(good, sure)]
        ax.errorbar(t["diff"], y, xerr=[t["diff"] - t["diff_low"], t["diff_high"] - t["diff"]], fmt="none",
                    ecolor="0.35", capsize=3, lw=1.2)
        ax.scatter(t["diff"], y, c=colors, zorder=3, s=28)
        ax.axvline(0, color="0.2", lw=0.8)
        ax.set_yticks(y, [lab.arm(a, reference) for a in t["arm"]])
        lo = min(0.0, float(np.nanmin(t["diff_low"]))) if len(t) else -1
        hi = max(0.0, float(np.nanmax(t["diff_high"]))) if len(t) else 1
        pad = 0.06 * (hi - lo or 1.0)
        ax.set_xlim(lo - pad, hi + pad)
        ax.set_ylim(-0.6, len(t) - 0.4)
        money_axis(ax, "x", lab(f"difference to {reference}, CNY",
                                f"相对{lab.words.arm(reference) if lab.zh else reference}的差额（元）"),
                   nbins=3 if narrow else 5)
        ax.set_title(lab(f"{metric_name(outcome)}: each arm minus {reference}, paired",
                         f"{lab.words.metric(outcome) if lab.zh else ''}：各方案减去参照（配对）"),
                     fontsize=10 if narrow else None)
        ax.grid(axis="x", alpha=0.3)
        fig.tight_layout()
    return fig


def costs_by_arm(breakdown: pd.DataFrame, arms, reference: str, narrow: bool = False, words=None):
    """What each arm costs, line by line (every yuan given or spent, stacked), beside the net
    profit that is left. Cost of goods is not a strategy's cost and is left out."""
    lab = _Labels(words)
    costs = breakdown[(breakdown["role"] == "cost") & (breakdown["key"] != "cogs_cny")]
    with lab.fonts():
        if narrow:
            fig, (left, right) = plt.subplots(2, 1, figsize=(NARROW_WIDTH_IN, 2.6 + 1.0 * len(arms)),
                                              gridspec_kw={"height_ratios": [1.6, 1]})
        else:
            fig, (left, right) = plt.subplots(1, 2, figsize=(WIDE_WIDTH_IN, 1.6 + 0.55 * len(arms)),
                                              gridspec_kw={"width_ratios": [2, 1]}, sharey=True)
        y = np.arange(len(arms))[::-1]
        start = np.zeros(len(arms))
        for i, (line, row) in enumerate(costs.iterrows()):
            values = row[list(arms)].to_numpy(dtype=float)
            name = lab.words.metric(row["key"]) if lab.zh else line
            left.barh(y, values, left=start, height=0.6, color=COST_COLORS[i % len(COST_COLORS)], label=name)
            start += values
        names = [lab.arm(a, reference) for a in arms]
        left.set_yticks(y, names)
        money_axis(left, "x", lab("what it costs, CNY (mean per run)", "策略成本（元，每次运行平均）"),
                   nbins=3 if narrow else None)
        left.set_title(lab("What the strategy costs: every yuan given or spent", "策略成本：给出或花掉的每一元"),
                       fontsize=10 if narrow else None)
        left.legend(frameon=False, fontsize=7 if narrow else 8, loc="upper center", ncol=2 if narrow else 3,
                    bbox_to_anchor=(0.5, -0.32 if narrow else -0.22 - 0.05 * (4 - min(len(arms), 4))))
        left.grid(axis="x", alpha=0.3)
        net = breakdown.loc[breakdown["key"] == "net_profit_cny", list(arms)].to_numpy(dtype=float).ravel()
        right.barh(y, net, height=0.6, color=["#59a14f" if v >= 0 else "#e15759" for v in net])
        right.axvline(0, color="0.2", lw=0.8)
        if narrow:
            right.set_yticks(y, names)
        money_axis(right, "x", lab("net profit, CNY", "净利润（元）"), nbins=3)
        _include_zero(right, "x")
        right.set_title(lab("What is left: net profit", "剩下的：净利润"), fontsize=10 if narrow else None)
        right.grid(axis="x", alpha=0.3)
        fig.tight_layout()
    return fig


def daily_net_profit(daily: pd.DataFrame, runs: pd.DataFrame | None = None) -> pd.Series:
    """Each day's net profit per run. Runs record it (``net_profit_cny``: the ledger's, with the
    points owed accrued as they are earned), so the curve agrees with the verdict at every day.
    Runs stored before that column existed: gross profit - marketing cost - points owed booked
    that day (``points_liability_cny``), or each run's end-of-run liability (``runs``) booked on
    its last day, so the last point of the curve is the run's net profit."""
    if "net_profit_cny" in daily.columns:
        return daily["net_profit_cny"]
    net = daily["gross_profit_cny"] - daily["marketing_cost_cny"]
    if "points_liability_cny" in daily.columns:
        return net - daily["points_liability_cny"].fillna(0.0)
    if runs is not None and len(runs) and "points_liability_cny" in runs.columns:
        last = daily.groupby(["arm", "replication"])["day"].transform("max") == daily["day"]
        owed = daily[["arm", "replication"]].merge(runs[["arm", "replication", "points_liability_cny"]],
                                                   on=["arm", "replication"], how="left")["points_liability_cny"]
        net = net - np.where(last, owed.fillna(0.0).to_numpy(), 0.0)
    return net


def cumulative_profit(daily: pd.DataFrame, arms, reference: str, quantiles=(0.05, 0.5, 0.95),
                      runs: pd.DataFrame | None = None, narrow: bool = False, words=None):
    """Cumulative net profit by day (left, or top when narrow) and each arm's paired difference
    to the reference (right, or below, on its own scale): median and band over replications."""
    lab = _Labels(words)
    with lab.fonts():
        if narrow:
            fig, (left, right) = plt.subplots(2, 1, figsize=(NARROW_WIDTH_IN, 6.4))
        else:
            fig, (left, right) = plt.subplots(1, 2, figsize=(WIDE_WIDTH_IN, 4.2))
        colors = _arm_colors(arms)
        paths = {}
        net = daily.assign(net=daily_net_profit(daily, runs))
        for arm in arms:
            d = net[net["arm"] == arm]
            if d.empty:
                continue
            paths[arm] = d.pivot_table(index="day", columns="replication", values="net").cumsum()
        band = lab(f"median and {quantiles[0]:.0%} to {quantiles[-1]:.0%} band",
                   f"中位数和 {quantiles[0]:.0%} 至 {quantiles[-1]:.0%} 区间")
        for arm, wide in paths.items():
            _band(left, wide, quantiles, colors[arm], lab.arm(arm, reference))
            if arm != reference and reference in paths:
                diff, ref = wide.align(paths[reference], join="inner")
                _band(right, diff - ref, quantiles, colors[arm],
                      f"{lab.arm(arm, reference)} - {lab.arm(reference, '')}")
        for ax in (left, right):
            ax.axhline(0, color="0.2", lw=0.8)
            ax.set_xlabel(lab("day", "天"))
            ax.grid(alpha=0.3)
            ax.legend(frameon=False, fontsize=8 if narrow else 9)
        money_axis(left, "y", lab("cumulative net profit, CNY", "累计净利润（元）"), nbins=5 if narrow else None)
        money_axis(right, "y", lab(f"difference to {reference}, CNY", "相对参照的差额（元）"),
                   nbins=5 if narrow else None)
        size = 9 if narrow else 10
        left.set_title(lab(f"Net profit, cumulative\n({band})", f"累计净利润\n（{band}）"), fontsize=size)
        right.set_title(lab(f"The same, minus {reference}'s, paired by replication\n({band})",
                            f"同上，减去参照（按重复配对）\n（{band}）"), fontsize=size)
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
