"""Global sensitivity: Sobol' first-order and total indices with bootstrap intervals.

Points come from `designs.saltelli` (blocks A, B, AB_i); the model outputs at those points
are handed to `scipy.stats.sobol_indices` as precomputed evaluations. With replications the
outcome at each point is the mean over replications (common random numbers across points,
so the noise does not masquerade as sensitivity more than it must).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .spec import ExperimentError


def sobol_from_outputs(y: np.ndarray, labels: np.ndarray, d: int, *, bootstrap: int = 200,
                       confidence: float = 0.95, seed: int = 0) -> dict:
    """Indices from outputs y (rows ordered as designs.saltelli; shape (rows,) or (rows, s))."""
    from scipy import stats   # here: a comparison never needs scipy.stats (0.3-0.5 s to import)
    y = np.asarray(y, dtype=float)
    if y.ndim == 1:
        y = y[:, None]
    if not np.all(np.isfinite(y)):
        raise ExperimentError("sensitivity: some outcomes are not finite (nan/inf); "
                              "pick outcomes defined for every run")
    n = int(np.sum(labels == 0))
    f_A = y[labels == 0].T
    f_B = y[labels == 1].T
    f_AB = np.stack([y[labels == 2 + i].T for i in range(d)])
    res = stats.sobol_indices(func={"f_A": f_A, "f_B": f_B, "f_AB": f_AB}, n=n,
                              rng=np.random.default_rng(seed))
    s = y.shape[1]
    shape = (s, d)
    out = {"first": np.reshape(res.first_order, shape), "total": np.reshape(res.total_order, shape)}
    if bootstrap:
        const = np.var(np.concatenate([f_A, f_B], axis=1), axis=1) == 0
        if np.any(const):
            nanfill = np.full(shape, np.nan)
            out.update(first_low=nanfill, first_high=nanfill, total_low=nanfill, total_high=nanfill)
        else:
            # SobolResult.bootstrap draws unseeded; resample the rows ourselves so the
            # intervals are reproducible from the experiment seed.
            def statistic(idx):
                idx = np.asarray(idx, dtype=int)
                first, total = _saltelli_2010(f_A[:, idx], f_B[:, idx], f_AB[..., idx])
                return np.concatenate([first.ravel(), total.ravel()])

            with np.errstate(all="ignore"):
                boot = stats.bootstrap((np.arange(n),), statistic, n_resamples=bootstrap,
                                       confidence_level=confidence, method="percentile",
                                       vectorized=False, rng=np.random.default_rng(seed))
            lo, hi = boot.confidence_interval.low, boot.confidence_interval.high
            k = s * d
            out.update(first_low=lo[:k].reshape(shape), first_high=hi[:k].reshape(shape),
                       total_low=lo[k:].reshape(shape), total_high=hi[k:].reshape(shape))
    return out


def _saltelli_2010(f_A, f_B, f_AB):
    """First-order (Saltelli 2010) and total (Jansen) estimators on centred outputs, as
    scipy.stats.sobol_indices computes them; shapes (s, n), (s, n), (d, s, n) -> (s, d)."""
    mean = np.mean(np.concatenate([f_A, f_B], axis=1), axis=1, keepdims=True)
    f_A, f_B, f_AB = f_A - mean, f_B - mean, f_AB - mean
    var = np.var(np.concatenate([f_A, f_B], axis=1), axis=1)
    first = np.mean(f_B * (f_AB - f_A), axis=-1) / var
    total = 0.5 * np.mean((f_A - f_AB) ** 2, axis=-1) / var
    return first.T, total.T


def sensitivity_table(df: pd.DataFrame, labels: np.ndarray, params, outcomes, *,
                      bootstrap: int = 200, confidence: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Tidy indices: one row per (arm, outcome, parameter).

    `df` is the run table of the sensitivity stage; `labels[point]` is the Saltelli block.
    """
    d = len(params)
    rows = []
    for arm, g in df.groupby("arm", sort=True):
        means = g.groupby("point")[[o.key for o in outcomes]].mean().sort_index()
        if len(means) != len(labels):
            raise ExperimentError(f"sensitivity: {len(means)} of {len(labels)} points have results")
        y = means.to_numpy(dtype=float)
        ind = sobol_from_outputs(y, labels, d, bootstrap=bootstrap, confidence=confidence, seed=seed)
        for s, o in enumerate(outcomes):
            for j, p in enumerate(params):
                row = {"arm": arm, "outcome": o.name, "parameter": p.key, "label": p.short,
                       "first": ind["first"][s, j], "total": ind["total"][s, j]}
                for k in ("first_low", "first_high", "total_low", "total_high"):
                    if k in ind:
                        row[k] = ind[k][s, j]
                rows.append(row)
    return pd.DataFrame(rows)
