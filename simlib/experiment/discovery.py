"""Scenario discovery on a design's outcomes: where does a ranking flip? The best one-effect
threshold, a box found by peeling (PRIM: Friedman & Fisher 1999, as in the EMA Workbench), and
the share of an outcome's variation one effect explains. Plain numpy on (points x effects)."""

from __future__ import annotations

import numpy as np


def best_split(x: np.ndarray, win: np.ndarray, margin: np.ndarray | None = None) -> dict | None:
    """The threshold on one effect that best sorts the sets into wins and losses: (threshold,
    wins_above, correct share). Among equally good cut points, the middle one; the threshold sits
    where the ``margin`` (the signed difference behind ``win``) crosses zero between the two sets
    either side of the cut (linear interpolation), or half way when it does not cross there."""
    n = len(x)
    order = np.argsort(x, kind="stable")
    xs, w = x[order], win[order].astype(int)
    cum = np.concatenate([[0], np.cumsum(w)])
    k = np.arange(n + 1)
    total = cum[-1]
    above = (total - cum) + (k - cum)          # "wins above the cut": wins above + losses below
    below = cum + ((n - k) - (total - cum))    # "wins below the cut"
    valid = np.zeros(n + 1, bool)
    valid[1:n] = xs[1:] > xs[:-1]
    if not valid.any():
        return None
    best = None
    for score, wins_above in ((above, True), (below, False)):
        s = np.where(valid, score, -1)
        top = s.max()
        ks = np.flatnonzero(s == top)
        kk = ks[len(ks) // 2]
        at = (xs[kk - 1] + xs[kk]) / 2
        if margin is not None:
            m0, m1 = margin[order][kk - 1], margin[order][kk]
            if m0 * m1 < 0:
                at = xs[kk - 1] - m0 * (xs[kk] - xs[kk - 1]) / (m1 - m0)
        cand = {"threshold": float(at), "wins_above": wins_above,
                "correct": int(top), "accuracy": float(top) / n}
        if best is None or cand["correct"] > best["correct"]:
            best = cand
    return best


def prim_box(X: np.ndarray, y: np.ndarray, keys: list, alpha: float = 0.1, min_support: int | None = None) -> dict | None:
    """The box (a range on one or two effects) where ``y`` (the minority side's wins) is densest,
    by peeling ``alpha`` of the points off one face at a time (PRIM), then dropping the limits
    that do not raise the density by 2 points or more."""
    n, d = X.shape
    if y.sum() == 0 or y.sum() == n:
        return None
    min_support = min_support or max(3, int(round(0.05 * n)))
    lo, hi = X.min(axis=0).astype(float), X.max(axis=0).astype(float)
    inside = np.ones(n, bool)
    trajectory = [(lo.copy(), hi.copy(), inside.copy())]
    while inside.sum() > min_support:
        best = None
        for j in range(d):
            xj = X[inside, j]
            for side in (0, 1):
                cut = np.quantile(xj, alpha if side == 0 else 1 - alpha)
                keep = inside & ((X[:, j] >= cut) if side == 0 else (X[:, j] <= cut))
                if keep.sum() < min_support or keep.sum() == inside.sum():
                    continue
                dens = y[keep].mean()
                if best is None or dens > best[0]:
                    best = (dens, j, side, cut, keep)
        if best is None:
            break
        _, j, side, cut, keep = best
        if side == 0:
            lo[j] = cut
        else:
            hi[j] = cut
        inside = keep
        trajectory.append((lo.copy(), hi.copy(), inside.copy()))
    coverage = [y[i].sum() / y.sum() for _, _, i in trajectory]
    density = [y[i].mean() for _, _, i in trajectory]
    # the densest box that still holds at least half of the minority's sets
    ok = [t for t in range(len(trajectory)) if coverage[t] >= 0.5]
    t = max(ok, key=lambda t: (density[t], coverage[t]))
    blo, bhi, _ = trajectory[t]
    full_lo, full_hi = X.min(axis=0), X.max(axis=0)

    def members(a, b):
        return np.all((X >= a) & (X <= b), axis=1)

    restricted = [j for j in range(d) if blo[j] > full_lo[j] or bhi[j] < full_hi[j]]
    base = y[members(blo, bhi)].mean()
    for j in sorted(restricted, key=lambda j: 0):
        a, b = blo.copy(), bhi.copy()
        a[j], b[j] = full_lo[j], full_hi[j]
        if y[members(a, b)].mean() >= base - 0.02:
            blo, bhi = a, b
            base = y[members(blo, bhi)].mean()
    inside = members(blo, bhi)
    limits = {keys[j]: (None if blo[j] <= full_lo[j] else float(blo[j]), None if bhi[j] >= full_hi[j] else float(bhi[j]))
              for j in range(d) if blo[j] > full_lo[j] or bhi[j] < full_hi[j]}
    if not limits:
        return None
    return {"limits": limits, "sets": int(inside.sum()), "hits": int(y[inside].sum()),
            "density": float(y[inside].mean()), "coverage": float(y[inside].sum() / y.sum())}


def explained_share(x: np.ndarray, d: np.ndarray) -> float:
    """Share of the variation of ``d`` across the sets that ``x`` alone explains: adjusted r^2 of a
    cubic in x (a first-order index that needs no extra runs)."""
    n = len(x)
    if n < 6 or np.std(d) == 0 or np.std(x) == 0:
        return 0.0
    z = (x - x.mean()) / x.std()
    A = np.column_stack([np.ones(n), z, z ** 2, z ** 3])
    coef, *_ = np.linalg.lstsq(A, d, rcond=None)
    ss_res = float(((d - A @ coef) ** 2).sum())
    ss_tot = float(((d - d.mean()) ** 2).sum())
    r2 = 1 - ss_res / ss_tot
    return float(np.clip(1 - (1 - r2) * (n - 1) / (n - 4), 0.0, 1.0))
