"""The report to forward: one self-contained HTML file.

Tables are HTML, figures are PNG embedded as base64 data URIs, the style sheet is inline: no
script, no external file, font or link, so the file reads the same offline, as a mail
attachment, or opened from a shared drive. Nothing in it depends on the clock, so the same
results give the same bytes. Figures are drawn and closed at once, whatever the matplotlib
backend (the command line picks Agg; a notebook keeps its own).
"""

from __future__ import annotations

import base64
import html
import io

import matplotlib.pyplot as plt
import numpy as np

from . import figures
from .diff import ABSENT
from .units import fmt_metric, metric_label, metric_name, nice_number, param_label

STYLE = """
body{font-family:-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans CJK SC","Microsoft YaHei",
sans-serif;color:#222;max-width:1180px;margin:24px auto;padding:0 20px;line-height:1.45}
h1{font-size:26px;margin-bottom:4px}h2{font-size:19px;margin-top:34px;border-bottom:1px solid #ddd;
padding-bottom:4px}.sub{color:#555;margin-top:0}
.verdict{font-size:19px;padding:14px 18px;border-radius:6px;margin:18px 0;border-left:6px solid}
.clear{background:#eef7ee;border-color:#3a8f3a}.unclear{background:#fff6e5;border-color:#d08c00}
.warn{background:#fdecea;border-left:6px solid #c0392b;padding:8px 14px;margin:8px 0}
table{border-collapse:collapse;margin:10px 0;font-size:14px}
th,td{padding:5px 10px;border-bottom:1px solid #e4e4e4;vertical-align:top}
th{background:#f4f4f4;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.subtotal td{font-weight:bold;border-top:1px solid #999}
.small{font-size:12px;color:#555}.good{color:#2e7d32}.bad{color:#c62828}
figure{margin:18px 0}figure img{max-width:100%;border:1px solid #eee}
figcaption{font-size:13px;color:#555;max-width:900px}
code{background:#f4f4f4;padding:0 3px}
table.outcomes{table-layout:fixed;width:100%}table.outcomes th:first-child{width:19%}
"""


def render(decision) -> str:
    """The whole report as one HTML string."""
    inputs = decision.inputs
    e = html.escape
    parts = [f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
             f"<title>{e(inputs.title)}</title><style>{STYLE}</style></head><body>",
             f"<h1>{e(inputs.title)}</h1>"]
    if inputs.description:
        parts.append(f"<p class=\"sub\">{e(inputs.description)}</p>")
    parts.append(f"<p class=\"sub\">{e(_setup(inputs))}</p>")
    if decision.outcome:
        cls = "clear" if decision._verdict.clear else "unclear"
        parts.append(f"<div class=\"verdict {cls}\"><b>Verdict.</b> {e(decision.verdict)}</div>")
    for w in decision.warnings:
        parts.append(f"<div class=\"warn\"><b>Check the arms:</b> {e(w)}</div>")
    if len(decision.table):
        o = decision.outcome
        parts.append(f"<h2>{e(metric_name(o))}: which arm earns most</h2>")
        parts.append(_figure(figures.profit_by_arm(inputs.runs, decision.arms, decision.reference, o,
                                                   inputs.confidence),
                             f"Mean {metric_name(o).lower()} per run for each arm, with its "
                             f"{_pct(inputs.confidence)} interval over replications."))
        from ..experiment.plots import forest_plot
        parts.append(_figure(forest_plot(decision.table, o),
                             "Paired difference to the reference: each replication runs every arm on the same "
                             "customers and random numbers, so the difference is measured on equal terms. "
                             "An interval that crosses zero is not a clear difference."))
        parts.append("<h2>Outcomes, arm by arm</h2>")
        parts.append(_outcomes_table(decision))
        shares = _uncertainty_section(decision)
        if shares:
            parts.append(shares)
    if decision.costs is not None and len(decision.costs):
        parts.append("<h2>Where the money goes</h2>")
        parts.append(_costs_table(decision))
        c = decision.costs
        if (c["role"] == "cost").any() and (c["key"] == "net_profit_cny").any():
            parts.append(_figure(figures.costs_by_arm(c, list(c.columns[2:]), decision.reference),
                                 "Every cost the strategy causes, mean per run, beside the net profit that "
                                 "is left."))
    daily = inputs.daily
    if len(daily) and {"gross_profit_cny", "marketing_cost_cny"} <= set(daily.columns):
        parts.append("<h2>Profit over time</h2>")
        parts.append(_figure(figures.cumulative_profit(daily, decision.arms, decision.reference),
                             "Left: cumulative net profit per arm (gross profit minus every marketing cost "
                             "and the points owed, which accrue as they are earned). Right: each arm's "
                             "lead over the reference on the same replications, on its own scale. Bands hold "
                             "90% of the replications."))
    parts += _analyses(decision)
    if decision.diffs:
        parts.append("<h2>What each arm changes</h2>")
        parts.append(_diffs(decision))
    parts.append(_notes(decision))
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _setup(inputs) -> str:
    s = inputs.settings
    bits = []
    if inputs.runs is not None and len(inputs.runs):
        bits.append(f"{s['replications']} replications per arm"
                    + (", common random numbers" if inputs.crn else ", independent random numbers"))
    if s.get("users"):
        bits.append(f"{int(s['users']):,} simulated customers")
    if s.get("days"):
        bits.append(f"{int(s['days']):,} days")
    bits.append(f"seed {s['seed']}")
    if len(inputs.arms) > 1:
        bits.append(f"reference: {inputs.reference}")
    return "; ".join(bits) + "."


def _pct(confidence) -> str:
    return f"{round(confidence * 100):g}%"


def _figure(fig, caption: str) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    alt = html.escape(caption.split(".")[0])
    return (f"<figure><img alt=\"{alt}\" src=\"data:image/png;base64,{data}\">"
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def _outcomes_table(decision) -> str:
    t, ref, conf = decision.table, decision.reference, decision.inputs.confidence
    arms = [a for a in decision.arms if a in set(t["arm"])]
    head = "".join(f"<th>{html.escape(a)}{' (reference)' if a == ref else ''}</th>" for a in arms)
    rows = [f"<table class=\"outcomes\"><tr><th>outcome</th>{head}</tr>"]
    for outcome, g in t.groupby("outcome", sort=False):
        g = g.set_index("arm")
        better = "higher is better" if g["direction"].iloc[0] == "maximize" else "lower is better"
        cells = []
        for a in arms:
            r = g.loc[a]
            cell = f"<b>{fmt_metric(outcome, r['mean'])}</b>"
            if a != ref:
                sign = 1.0 if r["direction"] == "maximize" else -1.0
                lo, hi = sorted((sign * r["diff_low"], sign * r["diff_high"]))
                cls = "good" if lo > 0 else "bad" if hi < 0 else ""
                need = r.get("reps_needed", np.nan)
                detect = f"; detectable with about {int(need):,} replications" if np.isfinite(need) else ""
                cell += (f"<br><span class=\"{cls}\">{fmt_metric(outcome, r['diff'], sign=True, diff=True)} "
                         f"vs {html.escape(ref)}</span><br><span class=\"small\">{_pct(conf)}: "
                         f"{fmt_metric(outcome, r['diff_low'], sign=True, diff=True)} to "
                         f"{fmt_metric(outcome, r['diff_high'], sign=True, diff=True)}; "
                         f"P(better) {r['p_better']:.2f}{detect}</span>")
            cells.append(f"<td class=\"num\">{cell}</td>")
        rows.append(f"<tr><td>{html.escape(metric_label(outcome))}<br><span class=\"small\">{better}</span>"
                    f"</td>{''.join(cells)}</tr>")
    rows.append("</table>")
    return "\n".join(rows)


def _uncertainty_section(decision) -> str:
    """Variance shares of each paired difference (fitted parameters vs simulation) and the parameter
    worth measuring; '' when no parameter was uncertain."""
    u = decision.uncertainty
    if not len(u):
        return ""
    scenario = decision.inputs.scenarios.get(decision.reference)
    first = u.iloc[0]
    rows = ["<h2>Where the uncertainty comes from</h2>",
            f"<p>Fitted parameters were drawn once per replication ({int(first['draws'])} draws x "
            f"{int(first['inner'])} seeds, shared by every arm). Of the variance of each paired difference in one "
            "replication, this share comes from the parameters' uncertainty and this from the simulation; the "
            "intervals and P(better) above include both.</p>",
            "<table><tr><th>outcome</th><th>arm</th><th>parameters</th><th>simulation</th>"
            "<th>measuring this would remove the most</th><th>P(better), simulation alone</th></tr>"]
    for _, r in u.iterrows():
        voi = (f"{html.escape(param_label(r['voi_parameter'], scenario))} (about {r['voi_share']:.0%})"
               if r["voi_parameter"] else "")
        rows.append(f"<tr><td>{html.escape(metric_label(r['outcome']))}</td><td>{html.escape(str(r['arm']))}</td>"
                    f"<td class=\"num\">{r['share_param']:.0%}</td><td class=\"num\">{r['share_sim']:.0%}</td>"
                    f"<td>{voi}</td><td class=\"num\">{r['p_better_sim']:.2f}</td></tr>")
    rows.append("</table>")
    return "\n".join(rows)


def _costs_table(decision) -> str:
    c = decision.costs
    arms = list(c.columns[2:])
    head = "".join(f"<th>{html.escape(a)}</th>" for a in arms)
    rows = [f"<table><tr><th>CNY, mean per run</th>{head}</tr>"]
    for line, r in c.iterrows():
        mark = {"cost": "&minus; ", "subtotal": "= ", "revenue": ""}[r["role"]]
        cls = " class=\"subtotal\"" if r["role"] == "subtotal" else ""
        cells = "".join(f"<td class=\"num\">{fmt_metric('x_cny', r[a])}</td>" for a in arms)
        rows.append(f"<tr{cls}><td>{mark}{html.escape(line)}</td>{cells}</tr>")
    rows.append("</table>")
    return "\n".join(rows)


def _analyses(decision) -> list[str]:
    """Sensitivity and sweep sections, when the experiment ran them."""
    from ..experiment import plots as pe
    inputs, out = decision.inputs, []
    scenario = inputs.scenarios.get(decision.best or decision.reference)
    sens = inputs.sensitivity
    if sens is not None and len(sens):
        out.append("<h2>What the answer depends on</h2>")
        outcome = decision.outcome or inputs.outcomes[0].name
        arms = sorted(set(sens["arm"]))
        differences = [a for a in arms if " - " in a]   # what the decision turns on, when analysed
        for arm in differences or arms:
            if outcome in set(sens.loc[sens["arm"] == arm, "outcome"]):
                out.append(_figure(pe.sensitivity_bars(sens, outcome, arm=arm, scenario=scenario),
                                   f"Share of the variance of {metric_name(outcome).lower()} ({arm}) each "
                                   "setting explains, alone (first order) and with its interactions (total)."))
    if decision.flip is not None:
        param, d, arm = decision.flip
        out.append("<h2>Where the answer flips</h2>")
        out.append(_figure(pe.difference_plot(d, param, decision.outcome, f"{arm} - {decision.reference}",
                                              scenario=scenario, labels=inputs.labels),
                           f"Paired difference {arm} minus {decision.reference} along "
                           f"{param_label(param, scenario, inputs.labels)}, with its interval."))
    elif inputs.sweep_runs is not None and len(inputs.sweep_runs):
        params = [c for c in inputs.sweep_runs.columns if c.startswith("param:")][:2]
        key = inputs.outcomes[0].key
        if params and key in inputs.sweep_runs.columns:
            out.append("<h2>Across the design</h2>")
            out.append(_figure(pe.response_surface(inputs.sweep_runs, params, key, scenario=scenario,
                                                   labels=inputs.labels),
                               f"Mean {metric_name(key).lower()} over the sweep."))
    opt = inputs.optimize
    if opt is not None and len(opt) and inputs.lever_keys:
        out.append("<h2>Best lever settings found</h2>")
        out.append(_optimum_table(opt, inputs.lever_keys, scenario, inputs.labels))
    return out


def _optimum_table(opt, levers, scenario, labels=None) -> str:
    shown = opt[opt["feasible"]].head(5) if "feasible" in opt.columns else opt.head(5)
    head = "".join(f"<th>{html.escape(param_label(k, scenario, labels))}</th>" for k in levers)
    rows = [f"<table><tr>{head}<th>robust score</th></tr>"]
    for _, r in shown.iterrows():
        cells = "".join(f"<td class=\"num\">{nice_number(r[k])}</td>" for k in levers if k in r)
        rows.append(f"<tr>{cells}<td class=\"num\">{r['objective']:,.0f}</td></tr>")
    rows.append("</table>")
    return "\n".join(rows)


def _diffs(decision) -> str:
    rows = []
    for arm, changes in decision.diffs.items():
        scenario = decision.inputs.scenarios.get(arm)
        rows.append(f"<p><b>{html.escape(arm)}</b> against {html.escape(decision.reference)}: "
                    + (f"{len(changes)} setting(s) differ.</p>" if changes else "identical.</p>"))
        if not changes:
            continue
        rows.append("<table><tr><th>setting</th><th>key</th><th>reference</th><th>this arm</th></tr>")
        for c in changes:
            name = _change_name(c, scenario)
            flag = "" if c.is_strategy else " <span class=\"bad\">(not a policy)</span>"
            rows.append(f"<tr><td>{html.escape(name)}{flag}</td><td><code>{html.escape(c.key)}</code></td>"
                        f"<td>{html.escape(_value(c.old))}</td><td>{html.escape(_value(c.new))}</td></tr>")
        rows.append("</table>")
    return "\n".join(rows)


def _change_name(change, scenario) -> str:
    parts = change.key.split(".")
    if parts[0] == "policies" and len(parts) == 2:
        policy = change.new if change.new is not ABSENT else change.old
        kind = policy.get("type", "") if isinstance(policy, dict) else ""
        return f"policy {parts[1]} ({kind.replace('_', ' ')})" if kind else f"policy {parts[1]}"
    return param_label(change.key, scenario)


def _value(v) -> str:
    from .diff import _show
    return _show(v) if v is not ABSENT else "(none)"


def _notes(decision) -> str:
    conf = _pct(decision.inputs.confidence)
    values = sorted({v.get("value_cny_per_point") for v in _points_values(decision)} - {None})
    value_text = (" Here a point is valued at " + ", ".join(f"{v:g}" for v in values) + " CNY.") if values else ""
    items = [
        "<b>Net profit</b> = GMV − cost of goods − discounts (coupons and member prices) − every marketing "
        "cost (ads, pond acquisition, referral rewards, gifts, red packets, points redeemed, content, staff, "
        "events) − the points still outstanding at the end, valued at the catalogue's highest cost per point "
        "(cost of a gift / its points)." + value_text,
        f"<b>Intervals</b> are {conf} intervals over replications. <b>P(better)</b> is the probability that "
        "the arm's mean beats the reference, given the paired replications (one minus the one-sided p-value).",
        "<b>Replications to detect</b>: how many paired replications a two-sided paired t-test needs to "
        f"tell a difference of the size shown (or asked for) from zero with {_power(decision):.0%} power, "
        "computed exactly from the noncentral t distribution; more replications narrow every interval.",
        "Money is in CNY per run of the simulated market, before tax.",
    ]
    return "<h2>How to read this</h2><ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


def _power(decision) -> float:
    t = decision.table
    return float(t["power"].dropna().iloc[0]) if len(t) and "power" in t and t["power"].notna().any() else 0.8


def _points_values(decision):
    runs = decision.inputs.runs
    if runs is None or not len(runs):
        return []
    cols = [c for c in runs.columns if c.endswith(".value_cny_per_point")]
    return [{"value_cny_per_point": float(v)} for c in cols for v in runs[c].dropna().unique()]
