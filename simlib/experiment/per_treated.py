"""Per-treated outcomes of a campaign: an arm's difference to the reference divided by the
customers its target files list (``treated_customers`` in each run's summary).

A campaign sent to a listed group (``target: {file, arm}``) is judged per customer sent:
``purchases_per_treated`` is the extra orders per treated customer, ``net_profit_cny_per_treated``
the net profit it adds per treated customer, in CNY of the real market. The treated count is
fixed for an arm, so each per-treated row is the outcome's own row scaled by 1 / treated:
its interval, P(better) and replications needed (scale-free) are those of the paired
difference, with or without uncertain parameters.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TREATED = "treated_customers"
SUFFIX = "_per_treated"
# outcomes a campaign is judged by, per treated customer (each needs its own row in the table)
PER_TREATED = ("purchases", "gmv_cny", "discount_cny", "gross_profit_cny", "net_profit_cny")
_SCALED = ("mean", "mean_low", "mean_high", "diff", "diff_low", "diff_high", "delta", "sd_diff", "diff_low_sim",
           "diff_high_sim")
_SCALED_SQUARED = ("var_param", "var_sim")


def treated_by_arm(runs: pd.DataFrame, reference: str) -> dict:
    """Arm -> (treated customers, real customers each simulated one stands for), for the arms
    other than the reference whose runs list treated customers."""
    if TREATED not in runs.columns or not len(runs):
        return {}
    out = {}
    for arm, g in runs.groupby("arm", sort=False):
        n = float(g[TREATED].fillna(0).max())
        if arm != reference and n > 0:
            weight = float(g["customers_per_simulated"].iloc[0]) if "customers_per_simulated" in g else 1.0
            out[arm] = (n, weight)
    return out


def campaign_outcomes(outcomes: list, runs: pd.DataFrame, reference: str) -> list:
    """``outcomes`` plus those the per-treated rows are computed from, when an arm treats a
    listed group (the orders outcome is not among the defaults)."""
    if not treated_by_arm(runs, reference):
        return list(outcomes)
    from .parameters import Outcome
    from .schema import KNOWN_DIRECTIONS
    have = {o.key for o in outcomes}
    extra = [Outcome(key, KNOWN_DIRECTIONS.get(key, "maximize"), key, None)
             for key in PER_TREATED if key not in have and key in runs.columns]
    return list(outcomes) + extra


def add_per_treated(table: pd.DataFrame, runs: pd.DataFrame, reference: str) -> pd.DataFrame:
    """``table`` with a ``KEY_per_treated`` row per arm for each outcome of ``PER_TREATED``: the
    arm's row scaled by 1 / treated (money by 1 / (treated x real customers per simulated one)).
    The arm's mean is its difference per treated customer; the reference's is 0."""
    arms = treated_by_arm(runs, reference)
    if not arms or not len(table):
        return table
    rows = []
    for key in PER_TREATED:
        base = table[table["outcome"] == key]
        treated = base[base["arm"].isin(arms)]
        if treated.empty:
            continue
        ref = base[base["arm"] == reference].copy()
        ref["outcome"] = key + SUFFIX
        ref[[c for c in _SCALED if c in ref.columns]] = 0.0
        rows.append(ref)
        for _, row in treated.iterrows():
            n, weight = arms[row["arm"]]
            scale = n * (weight if key.endswith("_cny") else 1.0)
            new = row.to_frame().T.copy()
            new["outcome"] = key + SUFFIX
            for col, power in [(c, 1) for c in _SCALED] + [(c, 2) for c in _SCALED_SQUARED]:
                if col in new.columns:
                    new[col] = pd.to_numeric(new[col]) / scale ** power
            new[["mean", "mean_low", "mean_high"]] = new[["diff", "diff_low", "diff_high"]].to_numpy()
            new["n_treated"] = n
            rows.append(new)
    if not rows:
        return table
    out = pd.concat([table, *rows], ignore_index=True)
    return out.infer_objects()


def per_treated_summary(table: pd.DataFrame, arm: str) -> dict:
    """{outcome: (difference per treated, low, high)} of one arm, for a sentence or a notebook."""
    rows = table[(table["arm"] == arm) & table["outcome"].str.endswith(SUFFIX)]
    return {r["outcome"]: (float(r["diff"]), float(r["diff_low"]), float(r["diff_high"])) for _, r in rows.iterrows()
            if np.isfinite(r["diff"])}
