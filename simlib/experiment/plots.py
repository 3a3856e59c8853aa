"""Figures for experiments: forest plot of differences, funnel fan charts, sensitivity bars,
response surfaces, optimisation frontier. Each function returns a matplotlib Figure.

Axes carry plain names and units (``simlib.report.units``), never dotted keys: money in whole
CNY with thousands separators, shares in percent; levels start at zero.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..report.units import (MONEY, SHARE, metric_label, metric_name, metric_unit, money_axis,
                            param_label, share_axis)


def _unit_axis(ax, key: str, axis: str = "y") -> None:
    """Tick format of a metric axis: CNY with separators, or percent."""
    unit = metric_unit(key)
    if unit == MONEY:
        money_axis(ax, axis)
    elif unit == SHARE:
        share_axis(ax, axis)


def forest_plot(table: pd.DataFrame, outcome: str, ax=None):
    """Paired difference of each arm to the reference, with its confidence interval."""
    t = table[(table["outcome"] == outcome)]
    ref = t[t["diff_low"].eq(0) & t["diff_high"].eq(0) & t["p_better"].isna()]["arm"].tolist()
    t = t[~t["arm"].isin(ref)].iloc[::-1]
    fig, ax = _axes(ax, (7.5, max(2.4, 0.9 + 0.5 * len(t))))
    y = np.arange(len(t))
    good = np.where(t["direction"] == "maximize", t["diff"] > 0, t["diff"] < 0)
    colors = np.where(good, "tab:green", "tab:red")
    ax.errorbar(t["diff"], y, xerr=[t["diff"] - t["diff_low"], t["diff_high"] - t["diff"]],
                fmt="none", ecolor="0.4", capsize=3)
    ax.scatter(t["diff"], y, c=list(colors), zorder=3)
    ax.axvline(0, color="0.2", lw=0.8)
    ax.set_yticks(y, [f"{a}  (P better {p:.2f})" for a, p in zip(t["arm"], t["p_better"])])
    ref_name = ref[0] if ref else "reference"
    _unit_axis(ax, outcome, "x")
    ax.set_xlabel(f"difference to {ref_name}, " + _unit_word(outcome, diff=True))
    ax.set_title(f"{metric_name(outcome)}: each arm minus {ref_name} (paired, with intervals)")
    fig.tight_layout()
    return fig


def fan_chart(daily: pd.DataFrame, column: str = "purchased", arms=None,
              quantiles=(0.05, 0.25, 0.5, 0.75, 0.95), ax=None):
    """Quantile bands over replications of one daily column, one colour per arm."""
    fig, ax = _axes(ax, (7, 4))
    arms = arms or list(pd.unique(daily["arm"]))
    for i, arm in enumerate(arms):
        d = daily[daily["arm"] == arm]
        wide = d.pivot_table(index="day", columns="replication", values=column)
        qs = wide.quantile(list(quantiles), axis=1).T
        color = f"C{i}"
        n = len(quantiles)
        for k in range(n // 2):
            ax.fill_between(qs.index, qs.iloc[:, k], qs.iloc[:, n - 1 - k], color=color,
                            alpha=0.15 + 0.15 * k, lw=0)
        ax.plot(qs.index, qs.iloc[:, n // 2], color=color, label=arm)
    ax.set_xlabel("day")
    ax.set_ylabel(metric_label(column))
    _unit_axis(ax, column)
    ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))
    ax.set_title(f"{metric_name(column)}: median and {int(quantiles[0]*100)}-{int(quantiles[-1]*100)}% bands")
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def sensitivity_bars(table: pd.DataFrame, outcome: str, arm: str | None = None, ax=None,
                     scenario: dict | None = None):
    """Tornado of Sobol' indices: total (light) and first order (dark), with intervals.
    Bars are named by the experiment's short names, else by the parameters' plain names."""
    t = table[table["outcome"] == outcome]
    if arm is not None:
        t = t[t["arm"] == arm]
    t = t.sort_values("total")
    fig, ax = _axes(ax, (6.5, 0.8 + 0.45 * len(t)))
    y = np.arange(len(t))
    ax.barh(y + 0.2, t["total"], height=0.4, color="tab:blue", alpha=0.45, label="total (ST)")
    ax.barh(y - 0.2, t["first"], height=0.4, color="tab:blue", label="first order (S1)")
    if "total_low" in t:
        ax.errorbar(t["total"], y + 0.2, xerr=_err(t, "total"), fmt="none", ecolor="0.3", capsize=2)
        ax.errorbar(t["first"], y - 0.2, xerr=_err(t, "first"), fmt="none", ecolor="0.3", capsize=2)
    ax.set_yticks(y, [_param_name(p, lab, scenario) for p, lab in zip(t["parameter"], t["label"])]
                  if "parameter" in t else t["label"])
    ax.set_xlim(left=min(0, float(np.nanmin(t[["first"]].to_numpy())) - 0.02))
    share_axis(ax, "x", "share of the variance it explains")
    ax.set_title(f"What drives {metric_name(outcome).lower()}" + (f" ({arm})" if arm else ""))
    ax.legend(frameon=False, loc="lower right")
    fig.tight_layout()
    return fig


def _param_name(parameter: str, label: str, scenario: dict | None) -> str:
    """The experiment's short name when it gave one, else the parameter's plain name."""
    return param_label(parameter, scenario) if label == parameter and "." in parameter else label


def _unit_word(key: str, diff: bool = False) -> str:
    unit = metric_unit(key)
    return {MONEY: "CNY", SHARE: "percentage points" if diff else "%"}.get(unit, metric_name(key).lower())


def _err(t, name):
    lo = np.clip(t[name] - t[f"{name}_low"], 0, None).fillna(0)
    hi = np.clip(t[f"{name}_high"] - t[name], 0, None).fillna(0)
    return [lo, hi]


def response_surface(runs: pd.DataFrame, params, outcome: str, arm: str | None = None, ax=None,
                     scenario: dict | None = None, labels: dict | None = None):
    """Mean outcome over the design: a line with a band (1 parameter) or a map (2)."""
    params = [p if p.startswith("param:") else f"param:{p}" for p in params]
    d = runs if arm is None else runs[runs["arm"] == arm]
    fig, ax = _axes(ax, (6.5, 4.5))
    if len(params) == 1:
        p = params[0]
        for i, (a, g) in enumerate(d.groupby("arm", sort=False)):
            m = g.groupby(p)[outcome].agg(["mean", "std", "count"]).sort_index()
            se = m["std"].fillna(0) / np.sqrt(m["count"])
            ax.plot(m.index, m["mean"], marker="o", color=f"C{i}", label=a)
            ax.fill_between(m.index, m["mean"] - 2 * se, m["mean"] + 2 * se, color=f"C{i}", alpha=0.2)
        ax.set_xlabel(param_label(p[6:], scenario, labels))
        ax.set_ylabel("mean " + metric_label(outcome))
        _unit_axis(ax, outcome)
        ax.axhline(0, color="0.2", lw=0.8)
        ax.legend(frameon=False)
    else:
        px, py = params[:2]
        m = d.groupby([px, py])[outcome].mean().reset_index()
        x, y, z = (m[c].astype(float).to_numpy() for c in (px, py, outcome))
        if len(np.unique(x)) * len(np.unique(y)) == len(m):  # a grid
            grid = m.pivot(index=py, columns=px, values=outcome)
            cs = ax.pcolormesh(grid.columns.astype(float), grid.index.astype(float), grid.to_numpy(),
                               shading="nearest", cmap="viridis")
        else:
            cs = ax.tricontourf(x, y, z, levels=12, cmap="viridis")
            ax.scatter(x, y, s=6, c="k", alpha=0.4)
        bar = fig.colorbar(cs, ax=ax, label="mean " + metric_label(outcome))
        if metric_unit(outcome) == MONEY:
            money_axis(bar.ax, "y")
        ax.set_xlabel(param_label(px[6:], scenario, labels))
        ax.set_ylabel(param_label(py[6:], scenario, labels))
    ax.set_title(f"{metric_name(outcome)} across the design" + (f" ({arm})" if arm else ""))
    fig.tight_layout()
    return fig


def difference_plot(diff: pd.DataFrame, param: str, outcome: str = "", label: str = "", ax=None,
                    scenario: dict | None = None, labels: dict | None = None):
    """Paired difference (arm - reference) along one swept parameter, with its interval:
    where the line crosses zero, the answer flips."""
    d = diff.sort_values(param)
    fig, ax = _axes(ax, (6.5, 4))
    x = d[param].astype(float)
    ax.fill_between(x, d["diff_low"], d["diff_high"], color="tab:blue", alpha=0.2, lw=0,
                    label="interval")
    ax.plot(x, d["diff"], marker="o", color="tab:blue", label=label or "paired difference")
    ax.axhline(0, color="0.2", lw=0.8)
    ax.set_xlabel(param_label(param, scenario, labels))
    if outcome:
        ax.set_ylabel(f"difference in {metric_name(outcome).lower()}, {_unit_word(outcome, diff=True)}")
        _unit_axis(ax, outcome)
    else:
        ax.set_ylabel("difference")
    ax.set_title("Where does the answer flip?")
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def frontier_plot(result, ax=None):
    """Every candidate (grey), feasible ones (blue), the frontier (line) and the best (star)."""
    c = result.candidates
    fm = result.frontier_metric
    fig, ax = _axes(ax, (6.5, 4.5))
    ax.scatter(c[fm], c["objective"], s=12, color="0.7", label="infeasible")
    f = c[c["feasible"]]
    ax.scatter(f[fm], f["objective"], s=14, color="tab:blue", label="feasible")
    fr = result.frontier
    ax.plot(fr[fm], fr["objective"], color="tab:orange", marker="o", ms=4, label="frontier")
    if result.best is not None:
        ax.scatter([result.best[fm]], [result.best["objective"]], marker="*", s=220,
                   color="tab:red", zorder=4, label="best feasible")
    fkey = fm.split(":", 1)[-1]
    ax.set_xlabel(metric_label(fkey) if fm.startswith("mean:") else f"constraint {fkey}")
    if fm.startswith("mean:"):
        _unit_axis(ax, fkey, "x")
    ax.set_ylabel(f"{metric_label(result.outcome)} (robust score)")
    _unit_axis(ax, result.outcome)
    ax.set_title("Optimisation: trade-off frontier")
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def _axes(ax, size):
    if ax is None:
        fig, ax = plt.subplots(figsize=size)
        return fig, ax
    return ax.figure, ax
