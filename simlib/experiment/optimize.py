"""Robust lever optimisation under constraints, reported as a frontier.

Candidates (lever settings) are scored on the same set of uncertainty scenarios and the
same replication seeds (common random numbers across candidates). The score of a
candidate is a statistic across scenarios of its per-scenario mean outcome: the mean, or a
low quantile for a cautious team ("good even in a bad world"). With a single scenario the
quantile is taken across replications instead. Constraints bound a metric (its mean, or a
quantile, across scenarios) or a weighted sum of lever values. The search is a space-filling
first round followed by rounds of Latin-hypercube points in shrinking boxes around the best
feasible candidates; it is deterministic given the seed.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def _stat(values: np.ndarray, quantile: float | None) -> float:
    values = np.asarray(values, dtype=float)
    return float(np.mean(values)) if quantile is None else float(np.quantile(values, quantile))


def score_candidates(df: pd.DataFrame, candidates: pd.DataFrame, n_scenarios: int, opt: dict,
                     outcomes: dict) -> pd.DataFrame:
    """One row per candidate: lever values, objective, constraint values, feasibility.

    `df` holds the runs of these candidates; run point = candidate * n_scenarios + scenario.
    `outcomes` maps outcome name -> spec.Outcome.
    """
    obj = outcomes[opt["outcome"]]
    g = df.assign(candidate=df["point"] // n_scenarios, scenario=df["point"] % n_scenarios)
    metrics = {obj.key}
    for c in opt["constraints"]:
        if c.metric:
            metrics.add(c.metric)
    front = opt.get("frontier")
    if front:
        metrics.add(outcomes[front].key)
    metrics = sorted(m for m in metrics if m in g.columns)
    per_scen = g.groupby(["candidate", "scenario"])[metrics].mean()
    rows = []
    for cand, lever_row in candidates.iterrows():
        if cand not in per_scen.index.get_level_values(0):
            continue
        ps = per_scen.loc[cand]
        if n_scenarios == 1:  # robustness across replications instead
            src = g[g["candidate"] == cand]
        else:
            src = ps
        row = {"candidate": int(cand), **lever_row.to_dict()}
        row["objective"] = _stat(src[obj.key], opt["quantile"])
        row[f"mean:{obj.key}"] = float(np.mean(ps[obj.key]))
        if front:
            fk = outcomes[front].key
            row[f"mean:{fk}"] = float(np.mean(ps[fk]))
        feasible = True
        worst = np.inf
        for c in opt["constraints"]:
            if c.metric:
                val = _stat((src if n_scenarios == 1 else ps)[c.metric], c.quantile)
            else:
                val = float(sum(w * float(lever_row[k]) for k, w in c.levers.items()))
            row[f"constraint:{c.name}"] = val
            s = c.slack(val)
            worst = min(worst, s)
            feasible &= s >= 0
        row["feasible"] = bool(feasible)
        row["slack"] = float(worst) if np.isfinite(worst) else 0.0
        rows.append(row)
    out = pd.DataFrame(rows)
    out["score"] = obj.sign * out["objective"]
    return out


def lever_feasible(candidates: pd.DataFrame, constraints) -> np.ndarray:
    """Which candidates satisfy the lever-only constraints (checked before running)."""
    ok = np.ones(len(candidates), dtype=bool)
    for c in constraints:
        if c.levers:
            val = sum(w * candidates[k].astype(float).to_numpy() for k, w in c.levers.items())
            if c.max is not None:
                ok &= val <= c.max + 1e-12
            if c.min is not None:
                ok &= val >= c.min - 1e-12
    return ok


def best(scored: pd.DataFrame) -> pd.Series | None:
    """The best feasible candidate (ties: lowest candidate id), or None."""
    f = scored[scored["feasible"]]
    if f.empty:
        return None
    return f.sort_values(["score", "candidate"], ascending=[False, True], kind="stable").iloc[0]


def ranked(scored: pd.DataFrame) -> pd.DataFrame:
    """Feasible first by score, then infeasible by least violation."""
    return scored.sort_values(["feasible", "score", "slack", "candidate"],
                              ascending=[False, False, False, True], kind="stable")


def pareto_front(scored: pd.DataFrame, a: str, a_sign: float, b: str, b_sign: float) -> pd.DataFrame:
    """Non-dominated rows when maximising a_sign*a and b_sign*b, sorted along b."""
    x = a_sign * scored[a].to_numpy(dtype=float)
    y = b_sign * scored[b].to_numpy(dtype=float)
    keep = np.ones(len(scored), dtype=bool)
    for i in range(len(scored)):
        dominated = (x >= x[i]) & (y >= y[i]) & ((x > x[i]) | (y > y[i]))
        keep[i] = not dominated.any()
    return scored[keep].sort_values(b, kind="stable")
