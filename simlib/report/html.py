"""The report to forward: one self-contained HTML file that reads on a laptop and on a phone.

Tables are HTML, figures are PNG embedded as base64 data URIs (each chart twice: wide, and
re-laid out for a narrow screen, chosen by a ``<picture>`` media query), the style sheet is
inline: no script, no external file, font or link, so the file reads the same offline, as a mail
attachment, or opened from a shared drive. The page declares a viewport, tables wrap or scroll
inside their box, and on a narrow screen the outcome table becomes one card per outcome. Nothing
in it depends on the clock, so the same results give the same bytes. Figures are drawn and
closed at once, whatever the matplotlib backend.

The page is the list ``SECTIONS``: each entry is a function (decision, words) -> HTML ('' to
leave the section out), so a section is added in one place.
"""

from __future__ import annotations

import base64
import html
import io

import matplotlib.pyplot as plt
import numpy as np

from . import figures
from .costs import COST, REVENUE, SUBTOTAL, TOTAL, cost_differences
from .lang import Words, verdict_zh
from .units import param_label

# the font stack names the common Chinese system fonts before the generic family, so Chinese
# reads on any machine that has one and falls back to the system's sans-serif (never a download)
STYLE = """
body{font-family:-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"PingFang SC","Hiragino Sans GB",
"Microsoft YaHei","Noto Sans CJK SC","Noto Sans SC","Source Han Sans SC","WenQuanYi Micro Hei",sans-serif;
color:#222;max-width:1180px;margin:24px auto;padding:0 20px;line-height:1.45;font-size:16px;
-webkit-text-size-adjust:100%;text-size-adjust:100%}
h1{font-size:26px;margin-bottom:4px}h2{font-size:19px;margin-top:34px;border-bottom:1px solid #ddd;
padding-bottom:4px}.sub{color:#555;margin-top:0}
.verdict{font-size:19px;padding:14px 18px;border-radius:6px;margin:18px 0;border-left:6px solid}
.clear{background:#eef7ee;border-color:#3a8f3a}.unclear{background:#fff6e5;border-color:#d08c00}
.warn{background:#fdecea;border-left:6px solid #c0392b;padding:8px 14px;margin:8px 0}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;max-width:100%}
table{border-collapse:collapse;margin:10px 0;font-size:14px}
th,td{padding:5px 10px;border-bottom:1px solid #e4e4e4;vertical-align:top;overflow-wrap:break-word}
th{background:#f4f4f4;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.subtotal td{font-weight:bold;border-top:1px solid #999}tr.total td{font-style:italic;border-top:1px dashed #999}
tr.policy td{background:#f7f7fb}
.small{font-size:12px;color:#555}.good{color:#2e7d32}.bad{color:#c62828}.nowrap{white-space:nowrap}
figure{margin:18px 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:13px;color:#555;max-width:900px}
code{background:#f4f4f4;padding:0 3px;overflow-wrap:break-word}
table.outcomes{table-layout:fixed;width:100%}table.outcomes th:first-child{width:19%}
table.outcomes td.num{white-space:normal}
table.settings{width:100%}table.settings td{overflow-wrap:break-word}
table.costs td:first-child,table.costs th:first-child{min-width:7.5em}
@media (max-width:640px){
body{margin:12px auto;padding:0 10px}h1{font-size:21px}h2{font-size:17px}
.verdict{font-size:16px;padding:10px 12px}table{font-size:13px}th,td{padding:4px 6px}
table.outcomes,table.outcomes tbody,table.outcomes tr,table.outcomes td{display:block;width:auto}
table.outcomes tr.head{display:none}table.outcomes tr{border-bottom:2px solid #ccc;padding:6px 0}
table.outcomes td{border:0;text-align:left;padding:3px 2px}
table.outcomes td.num::before{content:attr(data-arm);display:block;font-weight:bold;color:#444}
table.outcomes td.name{font-weight:bold;background:#f4f4f4}
}
"""

NARROW_MEDIA = "(max-width: 640px)"


def render(decision, lang: str = "en") -> str:
    """The whole report as one HTML string (``lang`` 'en' or 'zh')."""
    words = Words(lang)
    inputs = decision.inputs
    e = html.escape
    title = inputs.title
    if words.zh and title.startswith("Strategy comparison: "):
        title = words("Strategy comparison: ") + "、".join(words.arm(a) for a in inputs.arms)
    parts = [f"<!DOCTYPE html>\n<html lang=\"{'zh-CN' if words.zh else 'en'}\"><head><meta charset=\"utf-8\">"
             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
             f"<title>{e(title)}</title><style>{STYLE}</style></head><body>",
             f"<h1>{e(title)}</h1>"]
    if inputs.description:
        parts.append(f"<p class=\"sub\">{e(inputs.description)}</p>")
    parts.append(f"<p class=\"sub\">{e(_setup(inputs, words))}</p>")
    for _name, section in SECTIONS:
        text = section(decision, words)
        if text:
            parts.append(text)
    parts.append("</body></html>\n")
    return "\n".join(parts)


# -- sections, in page order ----------------------------------------------------------------------

def verdict_section(decision, words) -> str:
    if not decision.outcome:
        return ""
    e = html.escape
    cls = "clear" if decision._verdict.clear else "unclear"
    text = verdict_zh(decision._verdict.facts, words) if words.zh else decision.verdict
    out = [f"<div class=\"verdict {cls}\"><b>{words('Verdict.')}</b> {e(text)}</div>"]
    out += [f"<div class=\"warn\"><b>{words('Check the arms:')}</b> {e(w)}</div>" for w in decision.warnings]
    return "\n".join(out)


def profit_section(decision, words) -> str:
    if not len(decision.table):
        return ""
    inputs, o, ref = decision.inputs, decision.outcome, decision.reference
    name = words.metric(o)
    head = f"<h2>{html.escape(name)}：{words('which arm earns most')}</h2>" if words.zh else \
        f"<h2>{html.escape(name)}: which arm earns most</h2>"
    per_arm = _figure(lambda narrow: figures.profit_by_arm(inputs.runs, decision.arms, ref, o, inputs.confidence,
                                                            narrow=narrow, words=words),
                      words.zh and f"各方案每次运行的平均{name}及其 {_pct(inputs.confidence)} 区间。"
                      or f"Mean {name.lower()} per run for each arm, with its {_pct(inputs.confidence)} interval "
                         "over replications.")
    paired = _figure(lambda narrow: figures.paired_differences(decision.table, o, ref, narrow=narrow, words=words),
                     words.zh and "与参照的配对差额：每次重复中所有方案使用相同的客户和随机数，因此差额是在同等条件下测得的。"
                                  "区间跨过零即不是明确的差异。"
                     or "Paired difference to the reference: each replication runs every arm on the same customers "
                        "and random numbers, so the difference is measured on equal terms. An interval that crosses "
                        "zero is not a clear difference.")
    return "\n".join([head, per_arm, paired])


def outcomes_section(decision, words) -> str:
    if not len(decision.table):
        return ""
    t, ref, conf = decision.table, decision.reference, decision.inputs.confidence
    e = html.escape
    arms = [a for a in decision.arms if a in set(t["arm"])]
    label = {a: words.arm(a) + (" " + words("(reference)") if a == ref else "") for a in arms}
    head = "".join(f"<th>{e(label[a])}</th>" for a in arms)
    rows = [f"<h2>{words('Outcomes, arm by arm')}</h2>",
            f"<table class=\"outcomes\"><tr class=\"head\"><th>{words('outcome')}</th>{head}</tr>"]
    for outcome, g in t.groupby("outcome", sort=False):
        g = g.set_index("arm")
        better = words("higher is better" if g["direction"].iloc[0] == "maximize" else "lower is better")
        cells = []
        for a in arms:
            r = g.loc[a]
            mean = words.span(outcome, r["mean"], r["mean_low"], r["mean_high"], sign=False, diff=False)
            cell = f"<b>{mean[0]}</b> <span class=\"small\">({mean[1]} – {mean[2]})</span>"
            if a != ref:
                sign = 1.0 if r["direction"] == "maximize" else -1.0
                lo, hi = sorted((sign * r["diff_low"], sign * r["diff_high"]))
                cls = "good" if lo > 0 else "bad" if hi < 0 else ""
                need = r.get("reps_needed", np.nan)
                detect = (f"; {words('detectable with about')} {int(need):,} {words('replications')}"
                          if np.isfinite(need) else "")
                dm, dlo, dhi = words.span(outcome, r["diff"], r["diff_low"], r["diff_high"])
                cell += (f"<br><span class=\"{cls}\">{dm} {words('vs')} {e(words.arm(ref))}</span><br>"
                         f"<span class=\"small\">{_pct(conf)}: {dlo} {'至' if words.zh else 'to'} {dhi}; "
                         f"{words('P(better)')} {r['p_better']:.2f}{detect}</span>")
            cells.append(f"<td class=\"num\" data-arm=\"{e(label[a])}\">{cell}</td>")
        rows.append(f"<tr><td class=\"name\">{e(words.metric_label(outcome))}<br><span class=\"small\">{better}"
                    f"</span></td>{''.join(cells)}</tr>")
    rows.append("</table>")
    return "\n".join(rows)


def rests_on_section(decision, words) -> str:
    """What the answer rests on (a robust comparison only): see report/rests_on.py."""
    if decision.robust is None:
        return ""
    from .rests_on import render_rests_on
    return render_rests_on(decision.rests_on(), words)


def uncertainty_section(decision, words) -> str:
    """Variance shares of each paired difference (fitted parameters vs simulation) and the parameter
    worth measuring; '' when no parameter was uncertain."""
    u = decision.uncertainty
    if not len(u):
        return ""
    scenario = decision.inputs.scenarios.get(decision.reference)
    first = u.iloc[0]
    draws, inner = int(first["draws"]), int(first["inner"])
    if words.zh:
        intro = (f"拟合参数每次重复抽取一次（{draws} 组抽样 × {inner} 个随机种子，各方案共用）。每个配对差异在一次重复中的方差，"
                 "一部分来自参数的不确定性，一部分来自模拟；上文的区间和更优概率已包含两者。估计为零或以下的份额显示为 0%："
                 "此时参数的影响小到无法与模拟噪声区分。")
        head = ("指标", "方案", "参数", "模拟", "最值得更准确测量的参数", "仅模拟时的更优概率")
    else:
        intro = (f"Fitted parameters were drawn once per replication ({draws} draws x {inner} seeds, shared by every "
                 "arm). Of the variance of each paired difference in one replication, this share comes from the "
                 "parameters' uncertainty and this from the simulation; the intervals and P(better) above include "
                 "both. A share estimated at or below zero prints as 0 %: the parameters' part is then too small to "
                 "tell from the simulation's noise.")
        head = ("outcome", "arm", "parameters", "simulation", "measuring this would remove the most",
                "P(better), simulation alone")
    rows = [f"<h2>{words('Where the uncertainty comes from')}</h2>", f"<p>{intro}</p>",
            "<div class=\"scroll\"><table><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    about = "约" if words.zh else "about"
    for _, r in u.iterrows():
        voi = (f"{html.escape(param_label(r['voi_parameter'], scenario))} ({about} {r['voi_share']:.0%})"
               if r["voi_parameter"] else "")
        rows.append(f"<tr><td>{html.escape(words.metric_label(r['outcome']))}</td><td>{html.escape(words.arm(str(r['arm'])))}"
                    f"</td><td class=\"num\">{r['share_param']:.0%}</td><td class=\"num\">{r['share_sim']:.0%}</td>"
                    f"<td>{voi}</td><td class=\"num\">{r['p_better_sim']:.2f}</td></tr>")
    rows.append("</table></div>")
    return "\n".join(rows)


def costs_section(decision, words) -> str:
    c = decision.costs
    if c is None or not len(c):
        return ""
    e = html.escape
    arms = list(c.columns[2:])
    head = "".join(f"<th>{e(words.arm(a))}</th>" for a in arms)
    rows = [f"<h2>{words('Where the money goes')}</h2>",
            f"<div class=\"scroll\"><table class=\"costs\"><tr><th>{words('CNY, mean per run')}</th>{head}</tr>"]
    marks = {COST: "&minus; ", SUBTOTAL: "= ", REVENUE: "", TOTAL: ""}
    for line, r in c.iterrows():
        cls = {SUBTOTAL: " class=\"subtotal\"", TOTAL: " class=\"total\""}.get(r["role"], "")
        name = words.metric(r["key"]) if words.zh else line
        cells = "".join(f"<td class=\"num\">{words.number('x_cny', r[a])}</td>" for a in arms)
        rows.append(f"<tr{cls}><td>{marks[r['role']]}{e(name)}</td>{cells}</tr>")
    rows.append("</table></div>")
    differences = cost_differences(c, decision.reference)
    if differences:
        items = []
        for arm, (total, lines) in differences.items():
            detail = ", ".join(f"{e(words.metric(c.loc[line, 'key']) if words.zh else line)} "
                               f"{words.number('x_cny', v, sign=True)}" for line, v in lines)
            if words.zh:
                more = "多" if total >= 0 else "少"
                items.append(f"<li>{e(words.arm(arm))} 比 {e(words.arm(decision.reference))} {more}花 "
                             f"{words.number('x_cny', abs(total))}" + (f"：{detail}" if detail else "") + "</li>")
            else:
                more = "more" if total >= 0 else "less"
                items.append(f"<li><b>{e(arm)}</b> costs {words.number('x_cny', abs(total))} CNY {more} than "
                             f"{e(decision.reference)}" + (f": {detail}" if detail else "") + "</li>")
        rows.append("<ul>" + "".join(items) + "</ul>")
    if (c["role"] == COST).any() and (c["key"] == "net_profit_cny").any():
        rows.append(_figure(lambda narrow: figures.costs_by_arm(c, arms, decision.reference, narrow=narrow,
                                                                words=words),
                            words.zh and "策略的每一项成本（每次运行的平均值），旁边是剩下的净利润。"
                            or "Every yuan each strategy gives or spends, mean per run, beside the net profit that "
                               "is left."))
    return "\n".join(rows)


def over_time_section(decision, words) -> str:
    inputs = decision.inputs
    daily = inputs.daily
    if not len(daily) or not {"gross_profit_cny", "marketing_cost_cny"} <= set(daily.columns):
        return ""
    # runs record each day's net profit with the points owed accrued as earned; older stored runs
    # book the liability at the end
    booked_at_end = not {"points_liability_cny", "net_profit_cny"} & set(daily.columns) and len(inputs.runs) \
        and inputs.runs.get("points_liability_cny", np.zeros(1)).abs().max() > 0
    caption = ("Left (or above): cumulative net profit per arm. Right (or below): each arm's lead over the "
               "reference on the same replications, on its own scale. Bands hold 90% of the replications. "
               "The last day of each curve is the run's net profit, as in the verdict.")
    if booked_at_end:
        caption += (" The points still owed are booked on the last day (as the ledger books them), so a points "
                    "programme's curve drops there.")
    if words.zh:
        caption = ("左（或上）：各方案的累计净利润。右（或下）：同一批重复中各方案相对参照的领先，使用各自的刻度。"
                   "色带包含 90% 的重复。每条曲线的最后一天就是该次运行的净利润，与结论一致。")
        if booked_at_end:
            caption += "欠付积分在最后一天入账（与账本一致），所以积分方案的曲线在那里下降。"
    return "\n".join([f"<h2>{words('Profit over time')}</h2>",
                      _figure(lambda narrow: figures.cumulative_profit(daily, decision.arms, decision.reference,
                                                                       runs=inputs.runs, narrow=narrow, words=words),
                              caption)])


def analyses_section(decision, words) -> str:
    from .html_analyses import analyses
    return analyses(decision, words, _figure)


def arms_section(decision, words) -> str:
    """Each arm in full: every setting it changes against the reference, a policy it adds with
    every one of its settings, nested values (rungs, catalogue, tiers) one per line."""
    if not decision.diffs:
        return ""
    e, rows = html.escape, [f"<h2>{words('What each arm changes')}</h2>"]
    ref = words.arm(decision.reference)
    for arm, settings in decision.described.items():
        count = sum(not s.heading for s in settings)
        said = (f"{count} {words('setting(s) differ.')}" if settings else words("identical."))
        rows.append(f"<p><b>{e(words.arm(arm))}</b> {words('against')} {e(ref)}: {said}</p>")
        if not settings:
            continue
        rows.append(f"<div class=\"scroll\"><table class=\"settings\"><tr><th>{words('setting')}</th>"
                    f"<th>{words('reference')}</th><th>{words('this arm')}</th></tr>")
        for s in settings:
            flag = "" if s.is_strategy else f" <span class=\"bad\">{words('(not a policy)')}</span>"
            if s.heading:
                rows.append(f"<tr class=\"policy\"><td colspan=\"3\"><code>{e(s.key)}</code>: "
                            f"{e(_heading(s, words))}</td></tr>")
                continue
            meaning = f"<br><span class=\"small\">{e(s.meaning)}</span>" if s.meaning else ""
            rows.append(f"<tr><td><code>{_breakable(s.key)}</code>{flag}{meaning}</td>"
                        f"<td>{_values(s.reference, words)}</td><td>{_values(s.value, words)}</td></tr>")
        rows.append("</table></div>")
    return "\n".join(rows)


def _breakable(key: str) -> str:
    """A dotted setting key that a narrow screen breaks after a dot, never inside a word."""
    return "<wbr>".join(html.escape(part + ".") for part in key.split(".")[:-1]) + \
        ("<wbr>" if "." in key else "") + html.escape(key.split(".")[-1])


def _values(lines, words) -> str:
    if lines == ["(none)"]:
        return "&mdash;"
    return "<br>".join(html.escape(words.value(v)) for v in lines)


def _heading(setting, words) -> str:
    text = setting.value[0] if setting.value != ["(none)"] else setting.reference[0]
    if not words.zh:
        return text
    from .glossary import lever_name
    kind = text.split(" a ", 1)[-1].removesuffix(" policy").replace(" ", "_")
    return ("新增" if text.startswith("adds") else "去掉") + " " + lever_name(kind, "zh")


def notes_section(decision, words) -> str:
    conf = _pct(decision.inputs.confidence)
    values = sorted({v for v in _points_values(decision)})
    value_text = (" Here a point is valued at " + ", ".join(f"{v:g}" for v in values) + " CNY.") if values else ""
    power = _power(decision)
    if words.zh:
        value_text = ("本报告中每个积分按 " + "、".join(f"{v:g}" for v in values) + " 元计。") if values else ""
        items = [
            "<b>策略总成本</b> = 策略给出或花掉的每一元：优惠券折扣 + 会员价折扣 + 全部营销费用（公域广告、引流入池、"
            "裂变奖励、赠品、红包、积分兑换、内容制作、人员、活动）+ 期末仍欠的积分（负债）。",
            "<b>净利润</b> = GMV − 商品成本 − 策略总成本。<b>增量 ROI</b> =（本方案净利润 − 参照净利润）÷（本方案策略总成本 − 参照策略总成本）：每多花一元带来的额外净利润，0 以上即回本，−1 即多花的每一元全部亏掉；单次运行的 <b>ROI</b> = 净利润 ÷ 策略总成本（整个市场）。",
            "<b>营销费用</b>（表中单独一行时）不含折扣和欠付积分；决策看的是策略总成本。",
            "欠付积分按礼品目录中每积分最高的成本计（礼品成本 ÷ 所需积分）。" + value_text,
            f"<b>区间</b>为跨重复的 {conf} 区间；比率（复购率、流失率）的区间在 logit 尺度上构造，始终落在 0 到 100% 之间。"
            "<b>更优概率</b>是在配对重复下该方案均值优于参照的概率（一减单侧 p 值）。",
            f"<b>所需重复次数</b>：配对 t 检验以 {power:.0%} 的把握分辨所示差异需要的配对重复次数。",
            "金额为模拟市场每次运行的人民币（税前）；万 = 10,000 元，亿 = 100,000,000 元。",
        ]
        return "<h2>如何阅读本报告</h2><ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"
    items = [
        "<b>What the strategy costs</b> = every yuan it gives or spends: coupon discounts + member-price discounts "
        "+ every marketing cost (ads, pond acquisition, referral rewards, gifts, red packets, points redeemed, "
        "content, staff, events) + the points still owed at the end (the liability).",
        "<b>Net profit</b> = GMV − cost of goods − what the strategy costs. <b>Return on the extra cost</b> "
        "(incremental ROI) = (the arm's net profit − the reference's) ÷ (what the arm costs − what the reference "
        "costs): the extra net profit per extra yuan, from the paired replications; above 0 the strategy pays for "
        "itself, −1 means every extra yuan is lost. A single run's <b>ROI</b> = its whole market's net profit ÷ "
        "what the strategy costs.",
        "<b>Marketing cost</b>, where a table shows it alone, leaves out discounts and points owed; the decision "
        "uses what the strategy costs.",
        "Points owed are valued at the catalogue's highest cost per point (cost of a gift / its points)." + value_text,
        f"<b>Intervals</b> are {conf} intervals over replications; a rate's interval (repurchase, churn) is built "
        "on the logit scale, so it stays between 0 and 100 %. <b>P(better)</b> is the probability that the arm's "
        "mean beats the reference, given the paired replications (one minus the one-sided p-value).",
        "<b>Replications to detect</b>: how many paired replications a two-sided paired t-test needs to "
        f"tell a difference of the size shown (or asked for) from zero with {power:.0%} power, "
        "computed exactly from the noncentral t distribution; more replications narrow every interval.",
        "Money is in CNY per run of the simulated market, before tax.",
    ]
    return "<h2>How to read this</h2><ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


# Page order. To add a section, add one entry here: (name, function(decision, words) -> HTML or '').
SECTIONS = [
    ("verdict", verdict_section),
    ("profit", profit_section),
    ("outcomes", outcomes_section),
    ("uncertainty", uncertainty_section),
    ("rests_on", rests_on_section),
    ("costs", costs_section),
    ("over_time", over_time_section),
    ("analyses", analyses_section),
    ("arms", arms_section),
    ("notes", notes_section),
]


# -- helpers --------------------------------------------------------------------------------------

def _setup(inputs, words) -> str:
    s = inputs.settings
    bits = []
    if words.zh:
        if inputs.runs is not None and len(inputs.runs):
            bits.append(f"每个方案重复 {s['replications']} 次，" + words("common random numbers" if inputs.crn
                                                                   else "independent random numbers"))
        if s.get("users"):
            bits.append(f"{int(s['users']):,} 名模拟客户")
        if s.get("days"):
            bits.append(f"{int(s['days']):,} 天")
        bits.append(f"随机种子 {s['seed']}")
        if len(inputs.arms) > 1:
            bits.append(f"参照：{words.arm(inputs.reference)}")
        return "；".join(bits) + "。"
    if inputs.runs is not None and len(inputs.runs):
        bits.append(f"{s['replications']} {words('replications per arm')}, "
                    + words("common random numbers" if inputs.crn else "independent random numbers"))
    if s.get("users"):
        bits.append(f"{int(s['users']):,} {words('simulated customers')}")
    if s.get("days"):
        bits.append(f"{int(s['days']):,} {words('days')}")
    bits.append(f"{words('seed')} {s['seed']}")
    if len(inputs.arms) > 1:
        bits.append(f"{words('reference: ')}{words.arm(inputs.reference)}")
    return "; ".join(bits) + "."


def _pct(confidence) -> str:
    return f"{round(confidence * 100):g}%"


def _png(fig, dpi: int) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _figure(draw, caption: str, narrow_too: bool = True) -> str:
    """A chart drawn by ``draw(narrow)``: wide for a laptop and, when ``narrow_too``, re-laid out for
    a phone, the browser picking one by the screen's width."""
    wide = _png(draw(False), 100)
    alt = html.escape(caption.split(".")[0].split("。")[0])
    source = (f"<source media=\"{NARROW_MEDIA}\" srcset=\"data:image/png;base64,{_png(draw(True), 150)}\">"
              if narrow_too else "")
    return (f"<figure><picture>{source}<img alt=\"{alt}\" src=\"data:image/png;base64,{wide}\"></picture>"
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def _power(decision) -> float:
    t = decision.table
    return float(t["power"].dropna().iloc[0]) if len(t) and "power" in t and t["power"].notna().any() else 0.8


def _points_values(decision):
    runs = decision.inputs.runs
    if runs is None or not len(runs):
        return []
    cols = [c for c in runs.columns if c.endswith(".value_cny_per_point")]
    return [float(v) for c in cols for v in runs[c].dropna().unique()]
