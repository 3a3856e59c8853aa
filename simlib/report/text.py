"""The comparison and a run's summary as terminal text, each number in its unit's format."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .units import MONEY, PER_TREATED_SUFFIX, fmt_metric, fmt_span, metric_label, metric_name, metric_unit



def format_comparison(table: pd.DataFrame, reference: str, confidence: float = 0.95) -> str:
    """One block per outcome: each arm's mean and interval, its paired difference to the
    reference with interval, P(better) and the replications needed to detect it."""
    pct = f"{round(confidence * 100):g}%"
    arm_w = max([len(str(a)) for a in table["arm"]] + [len(reference) + 12, 10]) + 2
    lines = []
    per_treated = table["outcome"].str.endswith(PER_TREATED_SUFFIX)
    for outcome, g in table[~per_treated].groupby("outcome", sort=False):
        key = outcome
        better = "higher" if g["direction"].iloc[0] == "maximize" else "lower"
        lines.append(f"{metric_label(key)} ({better} is better)")
        lines.append(f"  {'arm':<{arm_w}}{'mean':>12}  {pct + ' interval':<26}{'vs ' + reference:>16}  "
                     f"{pct + ' interval':<26}{'P(better)':>9}{'reps to detect':>16}")
        for _, r in g.iterrows():
            mean, mlo, mhi = fmt_span(key, r["mean"], r["mean_low"], r["mean_high"], sign=False, diff=False)
            ci = f"{mlo} to {mhi}"
            head = f"  {r['arm']:<{arm_w}}{mean:>12}  {ci:<26}"
            if r["arm"] == reference:
                lines.append(head + f"{'(reference)':>16}")
                continue
            dm, dlo, dhi = fmt_span(key, r["diff"], r["diff_low"], r["diff_high"])
            dci = f"{dlo} to {dhi}"
            need = r.get("reps_needed", np.nan)
            reps = f"{int(need):,}" if np.isfinite(need) else "-"
            lines.append(head + f"{dm:>16}  {dci:<26}"
                         f"{r['p_better']:>9.2f}{reps:>16}")
        legend = reps_legend(g[g["arm"] != reference], key, pct)
        lines += [f"  {legend}", ""] if legend else [""]
    if per_treated.any():
        lines += [format_per_treated(table[per_treated], reference, pct), ""]
    lines.append("P(better): the chance the arm's true mean beats the reference's, from the paired replications")
    return "\n".join(lines)


def format_per_treated(table: pd.DataFrame, reference: str, pct: str = "95%") -> str:
    """The campaign per treated customer: each arm's difference to the reference divided by the
    customers its target files list, one line per outcome."""
    rows = table[table["arm"] != reference]
    name_w = max(len(metric_label(o.removesuffix(PER_TREATED_SUFFIX))) for o in rows["outcome"]) + 2
    arm_w = max([len(str(a)) for a in rows["arm"]] + [4]) + 2
    lines = [f"Per treated customer: the difference to {reference} divided by the customers the campaign was sent to",
             f"  {'arm':<{arm_w}}{'treated':>9}   {'outcome':<{name_w}}{'vs ' + reference:>14}  "
             f"{pct + ' interval':<24}{'P(better)':>9}"]
    for arm, g in rows.groupby("arm", sort=False):
        for k, (_, r) in enumerate(g.iterrows()):
            key = r["outcome"]
            head = f"  {arm:<{arm_w}}{int(r['n_treated']):>9,}   " if k == 0 else " " * (arm_w + 14)
            ci = f"{fmt_metric(key, r['diff_low'], sign=True)} to {fmt_metric(key, r['diff_high'], sign=True)}"
            name = metric_label(key.removesuffix(PER_TREATED_SUFFIX))
            lines.append(f"{head}{name:<{name_w}}{fmt_metric(key, r['diff'], sign=True):>14}  {ci:<24}"
                         f"{r['p_better']:>9.2f}")
    return "\n".join(lines)


def per_treated_sentence(table: pd.DataFrame, arm: str, pct: str = "95%", words=None) -> str:
    """'Per treated customer (10,000 sent): net profit -2.82 CNY (95% interval ...), orders +0.019 (...).'
    In Chinese when ``words`` (report.lang.Words) asks for it."""
    rows = table[(table["arm"] == arm) & table["outcome"].str.endswith(PER_TREATED_SUFFIX)].set_index("outcome")
    zh = words is not None and words.zh
    parts = []
    for key in ("net_profit_cny" + PER_TREATED_SUFFIX, "purchases" + PER_TREATED_SUFFIX):
        if key in rows.index:
            r = rows.loc[key]
            base = key.removesuffix(PER_TREATED_SUFFIX)
            low, high = fmt_metric(key, r["diff_low"], sign=True), fmt_metric(key, r["diff_high"], sign=True)
            if zh:
                unit = "元" if metric_unit(key) == MONEY else ""
                parts.append(f"{words.metric(base)} {fmt_metric(key, r['diff'], sign=True)}{unit}"
                             f"（{pct} 区间 {low} 至 {high}）")
            else:
                parts.append(f"{metric_name(base).lower()} "
                             f"{fmt_metric(key, r['diff'], sign=True, unit_suffix=True)} ({pct} interval {low} to {high})")
    if not parts:
        return ""
    sent = int(rows["n_treated"].iloc[0])
    if zh:
        return f"{words.arm(arm)} 每位触达客户（共发送 {sent:,} 人）：" + "，".join(parts) + "。"
    return f"Per treated customer of {arm} ({sent:,} sent): " + ", ".join(parts) + "."


def reps_legend(arms: pd.DataFrame, key: str, pct: str) -> str:
    """What 'reps to detect' means under one outcome: the difference size, power and level."""
    if arms.empty or "reps_needed" not in arms:
        return ""
    power = float(arms["power"].iloc[0]) if "power" in arms else 0.8
    deltas = arms["delta"].to_numpy(dtype=float) if "delta" in arms else np.abs(arms["diff"].to_numpy(dtype=float))
    if np.allclose(deltas, np.abs(arms["diff"].to_numpy(dtype=float)), equal_nan=True):
        size = "as large as the one shown"
    elif np.all(deltas == deltas[0]):
        size = f"of {fmt_metric(key, float(deltas[0]), diff=True)}"
        size += " CNY" if metric_unit(key) == MONEY else ""
    else:
        size = "of the size asked for"
    return (f"reps to detect: replications per arm for a paired t-test to detect a difference {size} "
            f"with {power:.0%} power at {pct} confidence")


SUMMARY_SECTIONS = [
    ("Returns", ["incremental_roi", "roi", "roas", "cac_cny", "clv_cny"]),
    ("Customers", ["purchases", "buyers", "new_buyers", "repeat_buyers", "repurchase_rate", "churn_rate",
                   "existing_customers", "existing_repurchase_rate", "churn_rate_existing"]),
    ("Pond", ["pond_size_end", "pond_joins", "unsubscribes", "pond_gmv_share", "messages_sent", "coupons_redeemed"]),
]


COUNTS = {"purchases", "buyers", "new_buyers", "repeat_buyers", "existing_customers", "pond_size_end", "pond_joins",
          "unsubscribes", "messages_sent", "coupons_redeemed"}
"""Summary counts of simulated customers (or their orders, messages): each stands for
customers_per_simulated real ones."""


def represents_line(summary) -> str:
    """What the simulated customers stand for, in words."""
    users, w = summary["users"], summary.get("customers_per_simulated", 1.0)
    if abs(w - 1.0) < 1e-12:
        return f"{users:,} simulated customers, one for each customer of the market;"
    return (f"{users:,} simulated customers standing for {summary.get('represents', users):,} real ones "
            f"({w:,.2f} each; money in CNY of the real market, counts in simulated customers);")


def format_run(result) -> str:
    """A run's summary: the money from GMV down to net profit, returns, customers, pond."""
    from .costs import cost_breakdown, format_breakdown
    s = result.summary
    lines = [f"Scenario: {result.scenario.name}  ({result.scenario.source})",
             f"Market: {represents_line(s)} {s['days']:,} days, seed {s['seed']}.",
             "", "Money (CNY), from GMV down to net profit",
             format_breakdown(cost_breakdown({"CNY": s}), header=False)]
    name_w = max(len(metric_name(k)) for _, keys in SUMMARY_SECTIONS for k in keys) + 2
    weight = s.get("customers_per_simulated", 1.0)
    for title, keys in SUMMARY_SECTIONS:
        lines.append(f"\n{title}")
        if abs(weight - 1.0) > 1e-12 and any(k in COUNTS for k in keys):   # counts also in the real market's terms
            lines.append(f"  {'':<{name_w}}{'simulated':>12}  {'real market':>12}")
        for key in keys:
            if key in s:
                value = s[key]
                text = fmt_metric(key, value if value is not None else np.nan)
                if key in COUNTS and value is not None and float(value).is_integer():
                    text = f"{int(value):,}"           # one run counts whole customers and orders
                unit = "CNY" if metric_unit(key) == MONEY else ""
                real = f"{value * weight:>12,.0f}" if key in COUNTS and abs(weight - 1.0) > 1e-12 else ""
                lines.append(f"  {metric_name(key):<{name_w}}{text:>12}  {real or unit}".rstrip())
    stages = [f"{k[:-4]} {s[k]:,}" for k in s if k.endswith("_end") and k != "pond_size_end"]
    lines.append("\nStages at the end: " + ", ".join(stages))
    return "\n".join(lines)


def format_frame(df: pd.DataFrame, labels: dict | None = None, scenario: dict | None = None,
                 diff_of: str | None = None) -> str:
    """A results table as text with plain column names: scenario keys (``param:KEY`` or dotted)
    by their label, metrics in their unit; ``diff*`` columns in the unit of ``diff_of``."""
    from .units import param_label
    labels = labels or {}
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        key = col[6:] if col.startswith("param:") else col
        values = df[col]
        if col.startswith("param:") or key in labels or "." in key:
            name = labels.get(key) or param_label(key, scenario)
            out[name] = [_plain(v) for v in values]
        elif col in ("diff", "diff_low", "diff_high") and diff_of:
            out[col.replace("diff", "difference")] = [fmt_metric(diff_of, v, sign=True, diff=True) for v in values]
        elif col.startswith("p_"):
            out[col.replace("p_", "P(") + ")"] = [f"{v:.2f}" for v in values]
        elif col in ("arm", "point", "outcome", "label"):
            out[col] = values
        elif pd.api.types.is_numeric_dtype(values):
            out[metric_label(col)] = [fmt_metric(col, v) for v in values]
        else:
            out[col] = values
    return out.to_string(index=False)


def _plain(v) -> str:
    from .units import nice_number
    return nice_number(v.item() if isinstance(v, np.generic) else v)


def format_uncertainty(table: pd.DataFrame, reference: str, scenario: dict | None = None) -> str:
    """Where the variance of each paired difference comes from: the fitted parameters' uncertainty
    or the simulation's noise, and the parameter whose measurement would remove the most.
    Empty when the comparison had no uncertain parameters."""
    from .units import param_label
    if "share_param" not in table.columns or not table["share_param"].notna().any():
        return ""
    rows = table[table["share_param"].notna()]
    first = rows.iloc[0]
    lines = [f"Where the uncertainty comes from: variance of the paired difference to {reference} in one "
             f"replication, from the fitted parameters (drawn once per replication, {int(first['draws'])} draws x "
             f"{int(first['inner'])} seeds) and from the simulation"]
    arm_w = max([len(str(a)) for a in rows["arm"]] + [10]) + 2
    for outcome, g in rows.groupby("outcome", sort=False):
        lines.append(f"  {metric_label(outcome)}")
        lines.append(f"    {'arm':<{arm_w}}{'parameters':>11}{'simulation':>12}   measuring this would remove the most")
        for _, r in g.iterrows():
            voi = "no single parameter stands out"
            if r["voi_parameter"]:
                voi = (f"{param_label(r['voi_parameter'], scenario)}: about {r['voi_share']:.0%} of the variance")
            elif r["share_param"] < 0.01:
                voi = "-"
            lines.append(f"    {r['arm']:<{arm_w}}{r['share_param']:>10.0%} {r['share_sim']:>11.0%}   {voi}")
    lines.append("  Intervals and P(better) above cover both sources; from the simulation alone P(better) would be "
                 + ", ".join(f"{r['p_better_sim']:.2f} ({r['arm']}, {r['outcome']})"
                             for _, r in rows.head(3).iterrows()))
    return "\n".join(lines)
