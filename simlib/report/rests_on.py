"""The section "What this answer rests on": the effects that matter for a comparison, each with
its basis, source and range, the share of the ranking it decides, and where the ranking flips.

One function gathers the section's data from a robust verdict (``rests_on``); the terminal
(``format_rests_on``) and the HTML report (``render_rests_on``) each render it in one place.
"""

from __future__ import annotations

import html

import numpy as np

from .units import metric_name

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
    if not pv.flips:
        if pv.losses:
            text += (f"; the other {pv.losses} are too few or too close to place a flip"
                     if pv.losses > pv.close_losses else f"; at the other {pv.losses} the gap is within the noise")
        return text
    r = pv.rule
    if r is not None:
        name = _name_of(rv, r["key"])
        side = ">" if r["wins_above"] else "<"
        text += (f"; it turns on {name}: {pv.first} wins where {name} {side} {r['threshold']:.3g} "
                 f"(this threshold alone sorts {r['correct']} of {pv.points} sets)")
    box = pv.box
    if box is not None and (r is None or r["accuracy"] < 0.9):
        limits = " and ".join(_limit_text(_name_of(rv, k), lo, hi) for k, (lo, hi) in box["limits"].items())
        text += (f"; {box['winner']} wins mostly where {limits} ({box['hits']} of the {box['sets']} sets there, "
                 f"{_pct(box['coverage'])} of its wins)")
    return text


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


def headline(rv) -> str:
    """One sentence for the verdict line: the headline pair and the ranking's share."""
    if not rv.pairs:
        return ""
    pv = rv.pairs[0]
    text = pair_sentence(rv, pv)
    text = "Robust: " + text
    if len(rv.ranking) > 2:
        text += f"; the whole ranking {' > '.join(rv.ranking)} holds at {_pct(rv.holds())}"
    return text + "."


def rests_on(rv) -> dict:
    """The section's data: what the answer rests on, for a terminal or a report to render."""
    if rv is None:
        return {}
    t = rv.table.head(MAX_EFFECTS_SHOWN)
    effects = []
    for _, r in t.iterrows():
        effects.append({"effect": r["effect"], "key": r["key"], "basis": r["basis"], "range": r["range"],
                        "explains": None if not np.isfinite(r["explains"]) else float(r["explains"]),
                        "sorts": None if not np.isfinite(r["sorts"]) else float(r["sorts"]),
                        "threshold": None if not np.isfinite(r["threshold"]) else float(r["threshold"]),
                        "source": r["source"]})
    head = rv.pairs[0] if rv.pairs else None
    return {"title": "What this answer rests on", "summary": verdict_text(rv),
            "pair": (head.first, head.second) if head else None, "effects": effects,
            "not_shown": max(0, len(rv.table) - MAX_EFFECTS_SHOWN),
            "flip": [pair_sentence(rv, pv) for pv in rv.pairs if pv.flips]}


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
                 "sorts = share of the flips its best threshold puts on the right side. Sources: the parameter "
                 "reference (docs/parameters.md).")
    return "\n".join(lines)


def render_rests_on(data: dict) -> str:
    """The section for the HTML report (self-contained: a heading, a paragraph and a table)."""
    if not data:
        return ""
    e = html.escape
    a, b = data["pair"] or ("", "")
    rows = "".join(
        f"<tr><td><code>{e(x['effect'])}</code></td><td>{e(x['basis'])}</td><td>{e(x['range'])}</td>"
        f"<td class=\"num\">{_explains(x['explains'])}</td><td class=\"num\">{_explains(x['sorts'])}</td>"
        f"<td class=\"small\">{e(x['source'])}</td></tr>" for x in data["effects"])
    summary = "<br>".join(e(line.strip()) for line in data["summary"].split("\n"))
    more = (f"<p class=\"small\">{data['not_shown']} more effects were drawn; they explain less.</p>"
            if data["not_shown"] else "")
    return (f"<h2>{e(data['title'])}</h2><p>{summary}</p>"
            f"<div style=\"overflow-x:auto\"><table><tr><th>effect</th><th>basis</th><th>plausible range</th>"
            f"<th>explains</th><th>sorts</th><th>source</th></tr>{rows}</table></div>{more}"
            f"<p class=\"small\">Explains: the share of the variation of {e(a)} − {e(b)} across the assumption "
            f"sets that this effect alone accounts for. Sorts: the share of the sets where the ranking flips "
            f"that its best threshold puts on the right side. Basis and source: the parameter reference.</p>")
