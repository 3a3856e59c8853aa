"""Scenario discovery on a design's outcomes: where does a ranking flip? The best one-effect
threshold, a box on one or two effects in the spirit of PRIM (Friedman & Fisher 1999, the EMA
Workbench's scenario discovery), and the share of an outcome's variation one effect explains.
Plain numpy on (points x effects)."""

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


def split_null(win: np.ndarray, draws: int = 1000, seed: int = 0) -> np.ndarray:
    """The best one-effect split's accuracy when the effect has nothing to do with the outcome:
    ``best_split`` on the labels shuffled ``draws`` times (with distinct effect values the order
    is all that matters, so one null serves every effect)."""
    rng = np.random.default_rng(seed)
    x = np.arange(len(win), dtype=float)
    return np.array([best_split(x, rng.permutation(win))["accuracy"] for _ in range(draws)])


def prim_box(X: np.ndarray, y: np.ndarray, keys: list, min_support: int | None = None,
             max_limits: int = 2, min_gain: float = 0.05) -> dict | None:
    """The box on one or two effects where ``y`` (the sets the minority side wins) is densest, in
    the spirit of PRIM's scenario discovery: limits are added one at a time, each the cut (at a
    5 % quantile step of the sets still inside) that raises the density most while the box keeps
    at least half of the minority's sets; a limit that raises it by less than ``min_gain`` is not
    added. Two limits at most: with a few dozen sets a box on many effects fits the noise."""
    n, d = X.shape
    if y.sum() == 0 or y.sum() == n:
        return None
    min_support = min_support or max(3, int(round(0.05 * n)))
    inside = np.ones(n, bool)
    limits: dict = {}
    for _ in range(max_limits):
        best = None
        for j in range(d):
            if keys[j] in limits:
                continue
            for cut in np.unique(np.quantile(X[inside, j], np.arange(0.05, 0.951, 0.05))):
                for upper in (False, True):
                    keep = inside & ((X[:, j] <= cut) if upper else (X[:, j] >= cut))
                    if keep.sum() < min_support or keep.sum() == inside.sum() or y[keep].sum() < 0.5 * y.sum():
                        continue
                    score = (y[keep].mean(), y[keep].sum())
                    if best is None or score > best[0]:
                        best = (score, j, float(cut), upper, keep)
        if best is None or best[0][0] - y[inside].mean() < min_gain:
            break
        (_, _), j, cut, upper, inside = best
        limits[keys[j]] = (None, cut) if upper else (cut, None)
    if not limits:
        return None
    return {"limits": limits, "sets": int(inside.sum()), "hits": int(y[inside].sum()),
            "density": float(y[inside].mean()), "coverage": float(y[inside].sum() / y.sum())}


def explained_share(x: np.ndarray, d: np.ndarray) -> float:
    """Share of the variation of ``d`` across the sets that ``x`` alone explains: adjusted r^2 of a
    cubic in x (a first-order index that needs no extra runs)."""
    return explanation(x, d)[0]


def explanation(x: np.ndarray, d: np.ndarray) -> tuple[float, float]:
    """(explained share, p-value of the F test that the cubic in x explains nothing). With a few
    dozen sets and many effects a noise effect reaches a visible share by chance; the p-value
    tells it apart."""
    from scipy import stats
    n = len(x)
    if n < 6 or np.std(d) == 0 or np.std(x) == 0:
        return 0.0, 1.0
    z = (x - x.mean()) / x.std()
    A = np.column_stack([np.ones(n), z, z ** 2, z ** 3])
    coef, *_ = np.linalg.lstsq(A, d, rcond=None)
    ss_res = float(((d - A @ coef) ** 2).sum())
    ss_tot = float(((d - d.mean()) ** 2).sum())
    r2 = 1 - ss_res / ss_tot
    f = (r2 / 3) / max((1 - r2) / (n - 4), 1e-300)
    return float(np.clip(1 - (1 - r2) * (n - 1) / (n - 4), 0.0, 1.0)), float(stats.f.sf(f, 3, n - 4))
