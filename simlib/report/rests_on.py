"""The section "What this answer rests on": the effects that matter for a comparison, each with
its basis, source and range, the share of the ranking it decides, and where the ranking flips.

One function gathers the section's data from a robust verdict (``rests_on``); the terminal
(``format_rests_on``) and the HTML report (``render_rests_on``) each render it in one place.
"""

from __future__ import annotations

import html

import numpy as np

from .units import metric_name

RULE_HOLDS = 0.9   # a threshold sorting fewer sets than this is shown with the box where the other side wins

MAX_EFFECTS_SHOWN = 8


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"


def _limit_text(name: str, lo, hi) -> str:
    if lo is not None and hi is not None:
        return f"{lo:.3g} < {name} < {hi:.3g}"
    return f"{name} > {lo:.3g}" if lo is not None else f"{name} < {hi:.3g}"


def _name_of(rv, key: str) -> str:
    return next((e.name for e in rv.effects if e.key == key), key)


def pair_sentence(rv, pv) -> str:
    """'pond beats coupon_ladder at 100 % of 64 assumption sets', with where it flips."""
    text = f"{pv.first} beats {pv.second} at {_pct(pv.share)} of {pv.points} assumption sets"
    if pv.close:
        text += f" ({pv.close} of them too close to call)"
    if pv.ties:
        text += f"; the two earn exactly the same at {pv.ties}"
    if not pv.flips:
        if pv.losses:
            sets = f"{pv.losses} set{'s' if pv.losses != 1 else ''}"
            text += (f"; {pv.second} is ahead at {sets}, too few or too close to place a flip"
                     if pv.clear_losses else f"; {pv.second} is ahead at {sets}, within the noise")
        return text
    r = pv.rule
    if r is None or not r["significant"]:
        return text + (f"; {pv.second} wins the other {pv.losses}, and no single effect sorts the sets better than "
                       f"chance at {pv.points} of them")
    name = _name_of(rv, r["key"])
    side = ">" if r["wins_above"] else "<"
    text += (f"; it turns on {name}: {pv.first} wins where {name} {side} {r['threshold']:.3g} "
             f"(this threshold alone sorts {r['correct']} of {pv.points} sets)")
    box = _box_beside(pv)
    if box is not None:
        limits = " and ".join(_limit_text(_name_of(rv, k), lo, hi) for k, (lo, hi) in box["limits"].items())
        text += (f"; {box['winner']} wins mostly where {limits} ({box['hits']} of the {box['sets']} sets there, "
                 f"{_pct(box['coverage'])} of its wins)")
    return text


def _box_beside(pv) -> dict | None:
    """The flip box, shown beside the threshold when that threshold alone sorts too few sets."""
    r = pv.rule
    return pv.box if r is not None and pv.box is not None and r["accuracy"] < RULE_HOLDS else None


def verdict_text(rv) -> str:
    """The robust verdict in sentences: how often the ranking holds, then each pair."""
    fitted = any(e.mean is not None for e in rv.effects)
    how = (f"{len(rv.effects)} effects these arms act through drawn over their plausible ranges"
           + (", fitted ones from their posterior" if fitted else "")
           + f"; {rv.replications} run{'s' if rv.replications != 1 else ''} per arm at each set, common random numbers")
    lines = [f"Across {rv.points} assumption sets ({how}), on {metric_name(rv.outcome).lower()}:"]
    if len(rv.ranking) > 2:
        held = rv.holds()
        lines.append(f"  the ranking {' > '.join(rv.ranking)} holds at {_pct(held)} of them"
                     + (f" ({int(round(held * rv.points))} of {rv.points})" if 0 < held < 1 else "") + ";")
    for pv in rv.pairs:
        lines.append("  " + pair_sentence(rv, pv) + ".")
    return "\n".join(lines)


def headline(rv, words=None) -> str:
    """One sentence for the verdict line: the top pair, the whole ranking's share and where the
    first pair that flips turns; in Chinese when ``words`` (report.lang.Words) asks for it."""
    if not rv.pairs:
        return ""
    zh = words is not None and words.zh
    pv = rv.pairs[0]
    text = ("稳健性：" + _pair_zh(_pair_facts(rv, pv), words.arm)) if zh else ("Robust: " + pair_sentence(rv, pv))
    if len(rv.ranking) > 2:
        ranking = " > ".join(words.arm(a) for a in rv.ranking) if zh else " > ".join(rv.ranking)
        text += (f"；整个排序 {ranking} 在 {_pct(rv.holds())} 的假设组成立" if zh else
                 f"; the whole ranking {ranking} holds at {_pct(rv.holds())}")
        flip = next((p for p in rv.pairs[1:] if p.flips and p.rule and p.rule["significant"]), None)
        if flip is not None:
            r, name = flip.rule, _name_of(rv, flip.rule["key"])
            if zh:
                text += (f"；{words.arm(flip.first)} 对 {words.arm(flip.second)} 取决于 {name}"
                         f"（{name} {'高于' if r['wins_above'] else '低于'} {r['threshold']:.3g} 时 "
                         f"{words.arm(flip.first)} 领先）")
            else:
                text += (f"; {flip.first} against {flip.second} turns on {name} "
                         f"({flip.first} ahead where it is {'above' if r['wins_above'] else 'below'} "
                         f"{r['threshold']:.3g})")
    return text + ("。" if zh else ".")


def rests_on(rv) -> dict:
    """The section's data: what the answer rests on, for a terminal or a report to render."""
    if rv is None:
        return {}
    t = rv.table.head(MAX_EFFECTS_SHOWN)
    effects = []
    for _, r in t.iterrows():
        effects.append({"effect": r["effect"], "key": r["key"], "basis": r["basis"], "range": r["range"],
                        "explains": float(r["explains"]) if r["significant"] and np.isfinite(r["explains"]) else None,
                        "sorts": float(r["sorts"]) if r["sorts_significant"] and np.isfinite(r["sorts"]) else None,
                        "threshold": None if not np.isfinite(r["threshold"]) else float(r["threshold"]),
                        "source": r["source"]})
    return {"title": "What this answer rests on", "summary": verdict_text(rv),
            "pair": tuple(rv.focus) or None, "effects": effects,
            "not_shown": max(0, len(rv.table) - MAX_EFFECTS_SHOWN),
            "flip": [pair_sentence(rv, pv) for pv in rv.pairs if pv.flips],
            # the numbers the sentences are made of, for another language's phrasing
            "facts": {"points": rv.points, "replications": rv.replications, "effects": len(rv.effects),
                      "outcome": rv.outcome, "ranking": list(rv.ranking), "holds": rv.holds(),
                      "pairs": [_pair_facts(rv, pv) for pv in rv.pairs]}}


def _pair_facts(rv, pv) -> dict:
    r = pv.rule if pv.flips and pv.rule and pv.rule["significant"] else None
    box = _box_beside(pv) if r is not None else None
    return {"first": pv.first, "second": pv.second, "share": pv.share, "points": pv.points, "close": pv.close,
            "ties": pv.ties, "losses": pv.losses, "clear_losses": pv.clear_losses, "flips": pv.flips,
            "rule": None if r is None else {"effect": _name_of(rv, r["key"]), "above": r["wins_above"],
                                            "threshold": r["threshold"], "correct": r["correct"]},
            "box": None if box is None else {
                "winner": box["winner"], "sets": box["sets"], "hits": box["hits"], "coverage": box["coverage"],
                "limits": [(_name_of(rv, k), lo, hi) for k, (lo, hi) in box["limits"].items()]}}


def _explains(x) -> str:
    return "" if x is None else _pct(x)


def format_rests_on(data: dict) -> str:
    """The section for a terminal."""
    if not data:
        return ""
    a, b = data["pair"] or ("", "")
    lines = [data["title"], data["summary"], "",
             f"  {'effect':<34}{'basis':<14}{'range':<22}{'explains':>9}{'sorts':>7}  (of {a} - {b})"]
    for e in data["effects"]:
        lines.append(f"  {e['effect'][:33]:<34}{e['basis']:<14}{e['range'][:21]:<22}{_explains(e['explains']):>9}"
                     f"{_explains(e['sorts']):>7}")
    if data["not_shown"]:
        lines.append(f"  ... and {data['not_shown']} more that explain less")
    lines.append("  explains = share of the variation of the margin across the sets this effect alone accounts for; "
                 "sorts = share of the flips its best threshold puts on the right side (blank: not told apart from "
                 "chance at this size). Sources: the parameter reference (docs/parameters.md).")
    return "\n".join(lines)


# the section in Chinese: headings, labels and sentences from the same numbers (``facts``);
# sources stay as cited
ZH = {"title": "这个结论依赖什么", "effect": "效应", "basis": "依据", "plausible range": "合理范围",
      "explains": "解释份额", "sorts": "判别份额", "source": "来源"}
BASIS_ZH = {"business": "业务输入", "domain": "行业案例", "published": "已发表研究", "practitioner": "从业者报告",
            "assumption": "假设", "fitted": "由数据拟合", "structural": "模型结构", "safety": "安全上限"}


def summary_zh(facts: dict, words) -> str:
    """The verdict's sentences in Chinese, from the numbers the English ones are made of."""
    arm = words.arm
    lines = [f"在 {facts['points']} 组假设下（本比较涉及的 {facts['effects']} 个效应在各自的合理范围内抽取；每组每个方案"
             f"运行 {facts['replications']} 次，使用共同随机数），按{words.metric(facts['outcome'])}："]
    if len(facts["ranking"]) > 2:
        lines.append(f"排序 {' > '.join(arm(a) for a in facts['ranking'])} 在其中 {_pct(facts['holds'])} 的假设组成立；")
    lines += [_pair_zh(p, arm) + "。" for p in facts["pairs"]]
    return "\n".join(lines)


def _pair_zh(p: dict, arm) -> str:
    """One pair's sentence in Chinese (``pair_sentence``'s numbers, from ``_pair_facts``)."""
    text = f"{arm(p['first'])} 在 {_pct(p['share'])} 的假设组（共 {p['points']} 组）中胜过 {arm(p['second'])}"
    if p["close"]:
        text += f"（其中 {p['close']} 组差距在一次运行的噪声之内）"
    if p["ties"]:
        text += f"；两者在 {p['ties']} 组中完全相同"
    if not p["flips"]:
        if p["losses"]:
            text += (f"；{arm(p['second'])} 在 {p['losses']} 组中领先，"
                     + ("组数太少或差距太小，无法确定翻转点" if p["clear_losses"] else "但都在噪声之内"))
    elif p["rule"] is None:
        text += f"；{arm(p['second'])} 在其余 {p['losses']} 组中胜出，在此规模下没有哪个单一效应能比随机更好地区分"
    else:
        r = p["rule"]
        text += (f"；结论取决于 {r['effect']}：{r['effect']} {'>' if r['above'] else '<'} {r['threshold']:.3g} 时 "
                 f"{arm(p['first'])} 胜出（仅此阈值即可正确区分 {r['correct']}/{p['points']} 组）")
        if p["box"] is not None:
            b = p["box"]
            limits = " 且 ".join(_limit_text(name, lo, hi) for name, lo, hi in b["limits"])
            text += (f"；{arm(b['winner'])} 主要在 {limits} 时胜出（该区域 {b['sets']} 组中的 {b['hits']} 组，"
                     f"占其胜出组的 {_pct(b['coverage'])}）")
    return text


def render_rests_on(data: dict, words=None) -> str:
    """The section for the HTML report (self-contained: a heading, a paragraph and a table);
    ``words`` (report.lang.Words) writes it in the report's language."""
    if not data:
        return ""
    e = html.escape
    zh = words is not None and words.zh
    t = (lambda s: ZH.get(s, s)) if zh else (lambda s: s)
    a, b = data["pair"] or ("", "")
    rows = "".join(
        f"<tr><td><code>{e(x['effect'])}</code></td><td>{e(BASIS_ZH.get(x['basis'], x['basis']) if zh else x['basis'])}"
        f"</td><td>{e(x['range'])}</td><td class=\"num\">{_explains(x['explains'])}</td>"
        f"<td class=\"num\">{_explains(x['sorts'])}</td><td class=\"small\">{e(x['source'])}</td></tr>"
        for x in data["effects"])
    summary_text = summary_zh(data["facts"], words) if zh else data["summary"]
    summary = "<br>".join(e(line.strip()) for line in summary_text.split("\n"))
    if zh:
        more = f"<p class=\"small\">另有 {data['not_shown']} 个效应被抽取，解释份额更小。</p>" if data["not_shown"] else ""
        legend = (f"解释份额：{e(words.arm(a))} − {e(words.arm(b))} 在各假设组之间的变化中，仅由该效应解释的份额。"
                  f"判别份额：排序翻转的假设组中，该效应的最佳阈值能正确区分的份额。空白：在此规模下与随机无法区分。"
                  f"依据与来源：见参数参考（docs/parameters.md）。")
    else:
        more = (f"<p class=\"small\">{data['not_shown']} more effects were drawn; they explain less.</p>"
                if data["not_shown"] else "")
        legend = (f"Explains: the share of the variation of {e(a)} − {e(b)} across the assumption sets that this "
                  f"effect alone accounts for. Sorts: the share of the sets where the ranking flips that its best "
                  f"threshold puts on the right side. A blank: not told apart from chance at this size. Basis and "
                  f"source: the parameter reference.")
    head = "".join(f"<th>{t(h)}</th>" for h in ("effect", "basis", "plausible range", "explains", "sorts", "source"))
    return (f"<h2>{e(t('title') if zh else data['title'])}</h2><p>{summary}</p>"
            f"<div style=\"overflow-x:auto\"><table><tr>{head}</tr>{rows}</table></div>{more}"
            f"<p class=\"small\">{legend}</p>")
