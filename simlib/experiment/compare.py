"""Arm comparison statistics: means with intervals, paired differences to the reference arm,
the probability an arm beats the reference, and replications needed to detect a difference.

All functions take the tidy run table (one row per arm x replication) and never run
anything, so they are cheap to test and to re-run on stored results.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .distributions import noncentral_t_sf, normal_quantile, t_cdf, t_quantile


def mean_ci(x, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t interval of the mean."""
    x = np.asarray(x, dtype=float)
    m = float(np.mean(x))
    if len(x) < 2:
        return m, float("nan"), float("nan")
    se = float(np.std(x, ddof=1)) / math.sqrt(len(x))
    h = float(t_quantile(0.5 + confidence / 2, len(x) - 1)) * se
    return m, m - h, m + h


def share_ci(x, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and interval of a mean share (a rate per replication, in [0, 1]) that stays in [0, 1]:
    the Student-t interval built on the logit scale (delta method: the standard error of the mean
    divided by m(1 - m)) and mapped back. Near the middle it matches ``mean_ci``; near 0 or 1 it
    is asymmetric instead of crossing the bound (a churn rate never reads '-0.8 % to 7.9 %')."""
    x = np.asarray(x, dtype=float)
    m = float(np.mean(x))
    if len(x) < 2:
        return m, float("nan"), float("nan")
    se = float(np.std(x, ddof=1)) / math.sqrt(len(x))
    if se == 0 or m <= 0 or m >= 1:
        return m, m, m            # every replication the same (or all 0 / all 1): no spread to show
    return (m, *logit_interval(m, float(t_quantile(0.5 + confidence / 2, len(x) - 1)) * se))


def logit_interval(m: float, half_width: float) -> tuple[float, float]:
    """A symmetric interval m +- half_width of a share, moved to the logit scale (delta method)
    and back, so it stays inside (0, 1)."""
    if not (0 < m < 1) or not np.isfinite(half_width):
        return m, m
    h = half_width / (m * (1 - m))
    centre = math.log(m / (1 - m))
    return 1 / (1 + math.exp(-(centre - h))), 1 / (1 + math.exp(-(centre + h)))


def is_share(key: str) -> bool:
    """True for outcomes that are shares in [0, 1] (rates), whose intervals must stay in range."""
    from ..report.units import SHARE, metric_unit
    return metric_unit(key) == SHARE


def prob_better(diff, sign: float = 1.0) -> float:
    """Probability that the mean paired difference is on the good side of zero.

    Posterior of the mean under a flat prior with a Student-t likelihood (equivalently one
    minus the one-sided p-value). `sign` is +1 when larger is better, -1 when smaller is.
    """
    d = sign * np.asarray(diff, dtype=float)
    m = float(np.mean(d))
    if len(d) < 2:
        return float("nan")
    sd = float(np.std(d, ddof=1))
    if sd == 0:
        return 1.0 if m > 0 else (0.0 if m < 0 else 0.5)
    return float(t_cdf(m / (sd / math.sqrt(len(d))), len(d) - 1))


MAX_EXACT_REPLICATIONS = 10 ** 15  # beyond this "inf": a difference lost in the noise


def paired_t_power(n: int, effect: float, confidence: float = 0.95) -> float:
    """Power of a two-sided paired t-test with n pairs when the true mean difference is
    ``effect`` standard deviations of the paired difference (noncentral t, df = n - 1)."""
    df, nc = n - 1, abs(effect) * math.sqrt(n)
    t_crit = t_quantile(0.5 + confidence / 2, df)
    upper = noncentral_t_sf(t_crit, df, nc)       # rejects on the right side
    lower = noncentral_t_sf(t_crit, df, -nc)      # on the wrong side: P(T < -t) by symmetry
    return float(upper + lower)


def replications_needed(sd_diff: float, delta: float, confidence: float = 0.95,
                        power: float = 0.8) -> float:
    """Smallest number of paired replications n for which a two-sided paired t-test at
    ``confidence`` detects a true mean difference ``delta`` with probability >= ``power``,
    when the paired difference has standard deviation ``sd_diff``.

    Exact: the power at n is computed from the noncentral t distribution (df = n - 1,
    noncentrality delta / sd * sqrt(n)) and the smallest n reaching the target is found by
    bisection (power grows with n). Normal-theory shortcuts are wrong for the large effects
    common random numbers make common: at delta / sd = 2 the exact answer is 5. A t-test
    needs n >= 2; with sd 0 any difference is seen with 2, with delta 0 none is (inf).
    """
    if not np.isfinite(sd_diff) or delta == 0 or not np.isfinite(delta):
        return float("inf")
    if sd_diff == 0:
        return 2.0
    effect = abs(delta) / sd_diff
    if paired_t_power(2, effect, confidence) >= power:
        return 2.0
    z = normal_quantile(0.5 + confidence / 2) + normal_quantile(power)
    high = max(3, math.ceil((z / effect) ** 2) + 3)  # the normal answer, plus room for t's heavier tails
    while paired_t_power(high, effect, confidence) < power:
        if high > MAX_EXACT_REPLICATIONS:
            return float("inf")
        high *= 2
    low = 2  # power(low) < target <= power(high)
    while high - low > 1:
        mid = (low + high) // 2
        if paired_t_power(mid, effect, confidence) >= power:
            high = mid
        else:
            low = mid
    return float(high)


def paired(df: pd.DataFrame, metric: str, arm: str, reference: str,
           keys=("point", "replication")) -> pd.Series:
    """Per-replication difference arm - reference, aligned on the keys."""
    keys = [k for k in keys if k in df.columns]
    same = _same_keys(df, metric, arm, reference, keys)
    if same is not None:
        return same
    a = df[df["arm"] == arm].set_index(keys)[metric]
    b = df[df["arm"] == reference].set_index(keys)[metric]
    a, b = a.align(b, join="inner")
    return (a - b).astype(float)


def _same_keys(df: pd.DataFrame, metric: str, arm: str, reference: str, keys: list) -> pd.Series | None:
    """``paired``'s answer where both arms hold the same integer keys (two or more) in the same
    order (every comparison's replications): then pandas aligns nothing and the difference is
    row by row; None otherwise. A tenth of the time of indexing each arm (36 calls after a
    3-arm compare)."""
    columns = [df[k] for k in keys] + [df[metric]]
    numeric = all(isinstance(c.dtype, np.dtype) and c.dtype.kind in "iuf" for c in columns)
    if len(keys) < 2 or metric in keys or not numeric or any(c.dtype.kind == "f" for c in columns[:-1]):
        return None
    in_arm, in_ref = (df["arm"] == arm).to_numpy(), (df["arm"] == reference).to_numpy()
    at_arm = [c.to_numpy()[in_arm] for c in columns[:-1]]
    if any(not np.array_equal(x, c.to_numpy()[in_ref]) for x, c in zip(at_arm, columns[:-1])):
        return None
    index = pd.MultiIndex.from_arrays(at_arm, names=keys)
    values = columns[-1].to_numpy()
    return pd.Series(values[in_arm] - values[in_ref], index=index, name=metric).astype(float)


def compare_table(df: pd.DataFrame, outcomes, reference: str, confidence: float = 0.95,
                  detect_difference: dict | None = None, power: float = 0.8) -> pd.DataFrame:
    """One row per outcome and arm.

    Columns: outcome, direction, arm, n, mean, mean_low, mean_high, diff, diff_low,
    diff_high, p_better, sd_diff, reps_needed, delta, power: reps_needed replications per
    arm give a two-sided paired t-test at ``confidence`` this ``power`` to detect a true
    difference ``delta`` (the detect_difference given, else the difference observed).
    `outcomes` is a list of spec.Outcome (name, direction, key).
    """
    detect_difference = detect_difference or {}
    arms = [reference] + sorted(a for a in df["arm"].unique() if a != reference)
    rows = []
    for o in outcomes:
        if o.key not in df.columns:
            continue
        bounded = is_share(o.key) and df[o.key].dropna().between(0, 1).all()
        for arm in arms:
            x = df.loc[df["arm"] == arm, o.key].astype(float).to_numpy()
            m, lo, hi = (share_ci if bounded else mean_ci)(x, confidence)
            row = {"outcome": o.name, "direction": o.direction, "arm": arm, "n": len(x),
                   "mean": m, "mean_low": lo, "mean_high": hi}
            if arm == reference:
                row.update(diff=0.0, diff_low=0.0, diff_high=0.0, p_better=float("nan"),
                           sd_diff=0.0, reps_needed=float("nan"), delta=float("nan"), power=power)
            else:
                d = paired(df, o.key, arm, reference)
                dm, dlo, dhi = mean_ci(d, confidence)
                sd = float(np.std(d, ddof=1)) if len(d) > 1 else float("nan")
                delta = float(detect_difference.get(o.name, abs(dm)))
                row.update(diff=dm, diff_low=dlo, diff_high=dhi,
                           p_better=prob_better(d, o.sign), sd_diff=sd, delta=delta,
                           reps_needed=replications_needed(sd, delta, confidence, power), power=power)
            rows.append(row)
    return pd.DataFrame(rows)


def format_table(table: pd.DataFrame, reference: str, confidence: float = 0.95) -> str:
    """The comparison table as aligned text for a terminal."""
    pct = int(round(confidence * 100))
    lines = []
    for outcome, g in table.groupby("outcome", sort=False):
        direction = g["direction"].iloc[0]
        lines.append(f"{outcome} ({'higher' if direction == 'maximize' else 'lower'} is better)")
        header = (f"  {'arm':<22}{'mean':>14}  {f'{pct}% CI':<27}{'diff vs ' + reference:>18}  "
                  f"{f'{pct}% CI':<27}{'P(better)':>10}{'reps needed':>13}")
        lines.append(header)
        for _, r in g.iterrows():
            ci = f"[{_fmt(r['mean_low'])}, {_fmt(r['mean_high'])}]"
            if r["arm"] == reference:
                lines.append(f"  {r['arm']:<22}{_fmt(r['mean']):>14}  {ci:<27}{'(reference)':>18}")
            else:
                dci = f"[{_fmt(r['diff_low'])}, {_fmt(r['diff_high'])}]"
                reps = "inf" if not np.isfinite(r["reps_needed"]) else f"{int(r['reps_needed'])}"
                lines.append(f"  {r['arm']:<22}{_fmt(r['mean']):>14}  {ci:<27}{_fmt(r['diff'], sign=True):>18}  "
                             f"{dci:<27}{r['p_better']:>10.3f}{reps:>13}")
        lines.append(_reps_legend(g[g["arm"] != reference], pct))
        lines.append("")
    return "\n".join(lines)


def _reps_legend(arms: pd.DataFrame, pct: int) -> str:
    """What 'reps needed' means, under an outcome's rows."""
    if arms.empty:
        return ""
    power = int(round(100 * float(arms["power"].iloc[0]))) if "power" in arms else 80
    deltas = arms["delta"].to_numpy(dtype=float)
    if np.allclose(deltas, np.abs(arms["diff"].to_numpy(dtype=float)), equal_nan=True):
        size = "as large as the one shown"
    elif np.all(deltas == deltas[0]):
        size = f"of {_fmt(float(deltas[0]))}"
    else:
        size = "of the size asked for"
    return (f"  reps needed = replications per arm to detect a difference {size} with {power} % power at "
            f"{pct} % confidence; P(better) = chance the arm is truly better")


def _fmt(x, sign=False) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "nan"
    ax = abs(x)
    s = f"{x:+,.0f}" if sign else f"{x:,.0f}"
    if ax < 1000:
        s = f"{x:+.4g}" if sign else f"{x:.4g}"
    return s


def crn_variance(df_crn: pd.DataFrame, df_indep: pd.DataFrame, metric: str, arm: str,
                 reference: str) -> dict:
    """Variance of the paired difference with common vs independent random numbers."""
    d_crn = paired(df_crn, metric, arm, reference)
    d_ind = paired(df_indep, metric, arm, reference)
    v_crn = float(np.var(d_crn, ddof=1))
    v_ind = float(np.var(d_ind, ddof=1))
    return {"metric": metric, "var_diff_crn": v_crn, "var_diff_independent": v_ind,
            "ratio": v_ind / v_crn if v_crn > 0 else float("inf"),
            "mean_diff_crn": float(np.mean(d_crn)), "mean_diff_independent": float(np.mean(d_ind))}
