"""The verdict: one line a manager reads, from the comparison table.

The best arm on the decision outcome (net profit by default), its paired difference to the
reference with the interval and P(better), and, when a sensitivity or sweep ran, the
assumption the answer turns on. A difference whose interval holds zero is not called a win:
the line then starts "No clear winner".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .units import fmt_metric, fmt_span, metric_name, param_label


@dataclass(frozen=True)
class Verdict:
    text: str
    outcome: str           # the outcome key the verdict is about
    best: str              # the arm with the best mean
    clear: bool            # True when the best arm's lead is distinguishable from zero
    turns_on: str = ""     # the assumption the answer turns on ("" when nothing ran to tell)
    facts: dict | None = None   # the numbers the text is made of, for another language's phrasing

    def __str__(self) -> str:
        return self.text


def decide(table: pd.DataFrame, reference: str, outcome: str | None = None, confidence: float = 0.95,
           runs: pd.DataFrame | None = None, turns_on: str = "") -> Verdict:
    """The verdict on ``outcome`` (default: net profit if compared, else the table's first).

    ``table`` is ``experiment.compare.compare_table``'s output; ``runs`` (one row per arm x
    replication) lets the verdict say whether the best arm also beats the runner-up.
    """
    if outcome is None:
        names = list(dict.fromkeys(table["outcome"]))
        outcome = "net_profit_cny" if "net_profit_cny" in names else names[0]
    t = table[table["outcome"] == outcome].set_index("arm")
    if t.empty:
        raise ValueError(f"the comparison has no outcome {outcome!r}")
    sign = 1.0 if t["direction"].iloc[0] == "maximize" else -1.0
    name, pct = metric_name(outcome).lower(), f"{round(confidence * 100):g}%"
    n = int(t["n"].max())
    order = (sign * t["mean"]).sort_values(ascending=False, kind="stable").index.tolist()
    best = order[0]
    others = [a for a in t.index if a != reference]

    def diff_text(arm):
        r = t.loc[arm]
        m, lo, hi = fmt_span(outcome, r["diff"], r["diff_low"], r["diff_high"], unit_suffix=True)
        return f"{m} vs {reference} ({pct} interval {lo} to {hi}), P(better) {r['p_better']:.2f}"

    def excludes_zero(arm, good: bool):
        lo, hi = sign * t.loc[arm, "diff_low"], sign * t.loc[arm, "diff_high"]
        lo, hi = min(lo, hi), max(lo, hi)
        return lo > 0 if good else hi < 0

    def stats(arm):
        r = t.loc[arm]
        return {"arm": arm, "diff": float(r["diff"]), "low": float(r["diff_low"]), "high": float(r["diff_high"]),
                "p_better": float(r["p_better"])}

    facts = {"outcome": outcome, "reference": reference, "n": n, "confidence": confidence, "best": best,
             "turns_on": turns_on}
    reps = f"{n} paired replications"
    if best != reference and excludes_zero(best, good=True):
        runner = order[1] if len(order) > 1 else None
        facts.update(kind="best", named=stats(best))
        against = (_against_runner_up(runs, outcome, best, runner, sign, confidence)
                   if runner not in (None, reference) and runs is not None else None)
        # a best arm whose lead over the runner-up holds zero is named with it, not alone
        opening = f"Best: {best}." if not against or against[1]["separated"] else \
            f"Best: {best} or {runner} (not resolved between them at this size)."
        text = f"{opening} {name.capitalize()} {diff_text(best)}, over {reps}."
        if against:
            text += " " + against[0]
            facts["runner_up"] = against[1]
        clear = True
    elif best == reference and others and all(excludes_zero(a, good=False) for a in others):
        closest = order[1]
        text = (f"Best: keep {reference} (the reference). Every alternative earns less {name}; the "
                f"closest, {closest}, is {diff_text(closest)}, over {reps}.")
        facts.update(kind="keep", named=stats(closest))
        clear = True
    else:
        contender = best if best != reference else order[1] if len(order) > 1 else best
        text = f"No clear winner on {name}: "
        if best == reference:
            text += f"{reference} (the reference) has the best mean, and {contender} is {diff_text(contender)}"
        else:
            text += f"{best} has the best mean, {diff_text(best)}"
        text += f"; the interval holds zero after {reps}."
        leaning = _leaning(t, contender, reference) if contender in t.index else None
        if leaning:
            text += (f" On this evidence {contender} more likely {'gains' if leaning > 0 else 'loses'} {name} "
                     f"than {'loses' if leaning > 0 else 'gains'} it against {reference}.")
        hint = _replications_hint(t, contender, outcome)
        text += hint[0] if hint else ""
        facts.update(kind="unclear", named=stats(contender) if contender in t.index else None,
                     reps_hint=hint[1] if hint else None, leaning=leaning)
        clear = False
    if turns_on:
        text += f" {turns_on}"
    return Verdict(text, outcome, best, clear, turns_on, facts)


LEANS = 0.9   # P(better) beyond which (or below 1 minus which) an unresolved difference is said to lean


def _leaning(t, arm, reference) -> int:
    """+1 / -1 when an arm's P(better) against the reference leans clearly one way although its
    interval holds zero (P(better) >= LEANS or <= 1 - LEANS), else 0."""
    if arm == reference:
        return 0
    p = float(t.loc[arm, "p_better"])
    return 1 if p >= LEANS else -1 if p <= 1 - LEANS else 0


def _against_runner_up(runs, outcome, best, runner, sign, confidence) -> str:
    from ..experiment.compare import mean_ci, paired
    d = paired(runs, outcome, best, runner)
    if len(d) < 2:
        return None
    m, lo, hi = mean_ci(d, confidence)
    shown = fmt_span(outcome, m, lo, hi, unit_suffix=True)
    span = f"{shown[0]} ({shown[1]} to {shown[2]})"
    separated = min(sign * lo, sign * hi) > 0
    facts = {"arm": runner, "diff": float(m), "low": float(lo), "high": float(hi), "separated": separated}
    if separated:
        return f"It also beats the runner-up, {runner}, by {span}.", facts
    return f"Against the runner-up, {runner}, the lead is {span}: not distinguishable from zero.", facts


def _replications_hint(t, arm, outcome):
    if arm not in t.index or "reps_needed" not in t.columns:
        return None
    need = t.loc[arm, "reps_needed"]
    delta = t.loc[arm, "delta"] if "delta" in t.columns else np.nan
    if not (np.isfinite(need) and np.isfinite(delta)) or delta == 0:
        return None
    power = float(t.loc[arm, "power"]) if "power" in t.columns else 0.8
    return ((f" Telling a difference of {fmt_metric(outcome, abs(delta), diff=True, unit_suffix=True)} from zero "
             f"with {power:.0%} power takes about {int(need):,} replications."),
            {"delta": float(abs(delta)), "power": power, "need": int(need)})


def turns_on_sensitivity(table: pd.DataFrame, outcome: str, arm: str, reference: str,
                         scenario: dict | None = None, labels: dict | None = None, words=None) -> str:
    """The parameter with the largest total Sobol' index on the arm's difference to the
    reference (or on the arm's own outcome when no difference was analysed); in Chinese when
    ``words`` (report.lang.Words) asks for it."""
    if table is None or not len(table):
        return ""
    t = table[table["outcome"] == outcome]
    diff = t[t["arm"] == f"{arm} - {reference}"]
    t, what = (diff, f"{arm} - {reference}") if len(diff) else (t[t["arm"] == arm], arm)
    t = t.dropna(subset=["total"])
    if t.empty:
        return ""
    top = t.sort_values("total", ascending=False, kind="stable").iloc[0]
    share = float(np.clip(top["total"], 0, 1))
    bounds = None
    if np.isfinite(top.get("total_low", np.nan)) and np.isfinite(top.get("total_high", np.nan)):
        bounds = tuple(float(np.clip(top[k], 0, 1)) for k in ("total_low", "total_high"))
    label = param_label(top["parameter"], scenario, labels)
    if _zh(words):
        shown = (f"{words.arm(arm)} − {words.arm(reference)}" if what != arm else words.arm(arm))
        span = f"，区间 {bounds[0]:.0%} 至 {bounds[1]:.0%}" if bounds else ""
        return f"结论取决于 {label}：{shown} 的{words.metric(outcome)}变化中约 {share:.0%} 来自它（总 Sobol' 指数{span}）。"
    span = f", interval {bounds[0]:.0%} to {bounds[1]:.0%}" if bounds else ""
    return (f"The answer turns on {label}: it accounts for about "
            f"{share:.0%} of the variation in {metric_name(outcome).lower()} of {what} "
            f"(total Sobol' index{span}).")


def _zh(words) -> bool:
    return words is not None and words.zh


def turns_on_flip(diff: pd.DataFrame, param: str, outcome: str, arm: str, reference: str,
                  scenario: dict | None = None, sign: float = 1.0, labels: dict | None = None, words=None) -> str:
    """Where along one swept parameter the paired difference changes sign, if it does
    (``sign`` -1 when smaller is better). With intervals (``diff_low``, ``diff_high``) a side is
    only read where the interval excludes zero: a flip needs such points on both sides, "stays"
    needs every point clear of zero; otherwise the sweep does not resolve it."""
    if diff is None or len(diff) < 2 or param not in diff.columns:
        return ""
    zh = _zh(words)
    name_of = words.arm if zh else str
    d = diff.sort_values(param)
    x, y = d[param].astype(float).to_numpy(), sign * d["diff"].astype(float).to_numpy()
    label = param_label(param, scenario, labels)
    outcome_name = words.metric(outcome) if zh else metric_name(outcome).lower()
    if {"diff_low", "diff_high"} <= set(d.columns):
        lo = np.minimum(sign * d["diff_low"].to_numpy(float), sign * d["diff_high"].to_numpy(float))
        hi = np.maximum(sign * d["diff_low"].to_numpy(float), sign * d["diff_high"].to_numpy(float))
        side = np.where(lo > 0, 1, np.where(hi < 0, -1, 0))
        if not ((side > 0).any() and (side < 0).any()) and (side == 0).any():
            open_points = int((side == 0).sum())
            if zh:
                return (f"在扫描范围内（{label} 从 {x[0]:g} 到 {x[-1]:g}），{name_of(arm)} 相对 {name_of(reference)} "
                        f"有 {open_points}/{len(side)} 个点无法判定（区间包含零）：在此规模下结论是否翻转尚无定论。")
            return (f"Along the range swept ({label} {x[0]:g} to {x[-1]:g}), {arm} against {reference} is not "
                    f"resolved at {open_points} of {len(side)} points (the interval holds zero): "
                    f"whether the answer flips is open at this size.")
    flips = np.flatnonzero(np.sign(y[:-1]) * np.sign(y[1:]) < 0)
    if not flips.size:
        if zh:
            side = "领先于" if y[0] > 0 else "落后于"
            return (f"在整个扫描范围内（{label} 从 {x[0]:g} 到 {x[-1]:g}），{name_of(arm)} 的{outcome_name}始终"
                    f"{side} {name_of(reference)}。")
        side = "ahead of" if y[0] > 0 else "behind"
        return (f"Across the range swept ({label} {x[0]:g} to {x[-1]:g}), {arm} stays {side} {reference} "
                f"on {outcome_name}.")
    k = flips[0]
    at = x[k] - y[k] * (x[k + 1] - x[k]) / (y[k + 1] - y[k])
    lead, trail = (arm, reference) if y[k] > 0 else (reference, arm)
    if zh:
        return (f"结论取决于 {label}：低于约 {at:.3g} 时 {name_of(lead)} 领先，高于它时 {name_of(trail)} 领先"
                f"（{outcome_name}）。")
    return (f"The answer turns on {label}: {lead} leads below about {at:.3g}, {trail} above it "
            f"({outcome_name}).")


def uncertainty_sentence(table: pd.DataFrame, outcome: str, arm: str, scenario: dict | None = None,
                         words=None) -> str:
    """How much of the variance of ``arm``'s paired difference the fitted parameters contribute,
    and which one to measure; '' without uncertain parameters."""
    if "share_param" not in table.columns:
        return ""
    row = table[(table["outcome"] == outcome) & (table["arm"] == arm)]
    if row.empty or not np.isfinite(row["share_param"].iloc[0]):
        return ""
    r = row.iloc[0]
    zh = _zh(words)
    if r["share_param"] < 0.005:
        if zh:
            return "拟合参数对这一差异方差的贡献估计为零或以下：在此无法与模拟噪声区分（区间与更优概率已包含两者）。"
        return ("The fitted parameters' share of the variance of this difference is estimated at or below zero: "
                "their part cannot be told from the simulation's noise here (the interval and P(better) carry both).")
    measure = (r["voi_parameter"] and np.isfinite(r["voi_share"]) and r["voi_share"] > 0.005)
    if zh:
        text = (f"这一差异的方差中，{r['share_param']:.0%} 来自拟合参数的不确定性，{r['share_sim']:.0%} 来自模拟"
                f"（区间与更优概率已包含两者）")
        if measure:
            text += f"；更准确地测量 {param_label(r['voi_parameter'], scenario)} 能消除最多（约 {r['voi_share']:.0%}）"
        return text + "。"
    text = (f"Of the variance of this difference, {r['share_param']:.0%} comes from the fitted parameters' "
            f"uncertainty and {r['share_sim']:.0%} from the simulation (the interval and P(better) carry both)")
    if measure:
        text += (f"; measuring {param_label(r['voi_parameter'], scenario)} better would remove the most "
                 f"(about {r['voi_share']:.0%})")
    return text + "."
