"""Intervals that exist when the information matrix does not: a parameter at the edge of its
search range (BG/NBD's a -> 0 when the log does not pin dropout down) or along a flat ridge.

The observed information is inverted over the parameters it pins down (those off the edge,
dropping the least determined one while the block is not positive definite), so their Wald
intervals stay finite: the purchase rate's r and alpha keep theirs when the dropout is not
identified. Every other parameter gets a profile-likelihood interval: the values whose
profile log-likelihood (the maximum over the other parameters with this one held) lies within
chi-square(1, 95 %) / 2 = 1.92 of the maximum (Venzon & Moolgavkar 1988). An interval that runs
into an edge of the search range is open there (0 or infinity); one open at both ends means the
likelihood is flat over the whole range: the parameter is not identified from this log.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import optimize

PROFILE_DROP = 1.920729   # chi-square(1) 95 % quantile / 2
MAX_WALD_SE_LOG = 2.5     # beyond it a Wald interval spans a factor of more than e^9.8 (18,000): not pinned down
_EDGE = 1e-3


def information_block(hess: np.ndarray, free: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(log covariance with NaN outside the pinned-down block, the block's mask): ``free`` less
    the parameters dropped, least determined first, until the block is positive definite and
    every standard error on the log scale is at most MAX_WALD_SE_LOG (a ridge: BG/NBD's a and b
    both large or both tiny, only their ratio known)."""
    free = free.copy()
    n = len(free)
    while free.any():
        block = hess[np.ix_(free, free)]
        try:
            np.linalg.cholesky(block)
            cov_block = np.linalg.inv(block)
            if (np.all(np.isfinite(cov_block)) and np.all(np.diag(cov_block) > 0)
                    and np.all(np.diag(cov_block) <= MAX_WALD_SE_LOG**2)):
                cov = np.full((n, n), np.nan)
                cov[np.ix_(free, free)] = cov_block
                return cov, free
        except np.linalg.LinAlgError:
            pass
        worst = np.flatnonzero(free)[int(np.argmax(np.diag(np.linalg.pinv(block))))]
        free[worst] = False
    return np.full((n, n), np.nan), free


@dataclass
class ProfileLikelihood:
    """Profile-likelihood intervals (on the log scale) of the parameters the information
    matrix does not pin down, computed when first asked for (they cost several refits)."""

    negll: object
    theta: np.ndarray
    bounds: list
    reasons: dict                      # parameter index -> why it needs a profile
    gradient: object = None            # theta -> (negll, its gradient), when in closed form
    _cache: dict = field(default_factory=dict)

    def interval(self, i: int) -> tuple[float, float, bool, bool]:
        """(lower, upper) of log-parameter i, and whether each end is open (the search edge)."""
        if i not in self._cache:
            lo, lo_open = self._end(i, -1)
            hi, hi_open = self._end(i, +1)
            self._cache[i] = (lo, hi, lo_open, hi_open)
        return self._cache[i]

    def _profile(self, i: int, value: float, start: np.ndarray) -> tuple[float, np.ndarray]:
        others = [j for j in range(len(self.theta)) if j != i]

        def full(sub):
            point = start.copy()
            point[others] = sub
            point[i] = value
            return point

        def f(sub):
            return self.negll(full(sub))

        def f_and_gradient(sub):
            value_, grad = self.gradient(full(sub))
            return value_, np.asarray(grad)[others]
        res = optimize.minimize(f if self.gradient is None else f_and_gradient, start[others], method="L-BFGS-B",
                                jac=self.gradient is not None, bounds=[self.bounds[j] for j in others],
                                options={"ftol": 1e-12, "maxiter": 300})
        point = start.copy()
        point[others], point[i] = res.x, value
        return float(res.fun), point

    def _end(self, i: int, direction: int) -> tuple[float, bool]:
        edge = self.bounds[i][0 if direction < 0 else 1]
        best = self.negll(self.theta)
        target = best + PROFILE_DROP
        inside, point, step = float(self.theta[i]), self.theta.copy(), 0.25
        if abs(inside - edge) < _EDGE:
            return edge, True
        while True:
            trial = inside + direction * step
            if direction * (trial - edge) >= 0:
                value, _ = self._profile(i, edge, point)
                if value < target:
                    return edge, True
                outside = edge
                break
            value, where = self._profile(i, trial, point)
            if value >= target:
                outside = trial
                break
            inside, point, step = trial, where, step * 2
        for _ in range(8):   # bisect the crossing to 1/256 of the last step (0.001 on the log scale at first)
            middle = (inside + outside) / 2
            value, where = self._profile(i, middle, point)
            if value < target:
                inside, point = middle, where
            else:
                outside = middle
        return (inside + outside) / 2, False


def describe_interval(lower_open: bool, upper_open: bool) -> str:
    """How an interval of a parameter the information matrix did not pin down reads."""
    if lower_open and upper_open:
        return "not identified from this log: the likelihood is flat over the whole search range"
    if lower_open or upper_open:
        return "profile likelihood, bounded on one side only (the log does not rule out the edge)"
    return "profile likelihood"


def interval_rows(names, values, log_cov, profile: ProfileLikelihood | None = None, offset: int = 0,
                  level: float = 0.95) -> dict:
    """name -> (estimate, standard error, lower, upper, how) for positive parameters fitted on
    the log scale: Wald intervals exp(log value -/+ z se) where the information matrix pins the
    parameter down, else its profile-likelihood interval (95 %; open ends are 0 and infinity).
    ``offset``: position of the first name among the profile's parameters."""
    from scipy import stats
    z = stats.norm.ppf(0.5 + level / 2)
    variances = np.diag(log_cov) if log_cov is not None else np.full(len(values), np.nan)
    rows = {}
    for i, (name, value) in enumerate(zip(names, values)):
        var = variances[i]
        if np.isfinite(var) and var > 0:
            s = float(np.sqrt(min(var, 1e4)))
            rows[name] = (value, value * s, value * np.exp(-z * s), value * np.exp(z * s), "wald")
        elif profile is not None and offset + i in profile.reasons:
            lo, hi, lo_open, hi_open = profile.interval(offset + i)
            rows[name] = (value, np.nan, 0.0 if lo_open else float(np.exp(lo)),
                          np.inf if hi_open else float(np.exp(hi)), describe_interval(lo_open, hi_open))
        else:
            rows[name] = (value, np.nan, np.nan, np.nan, "not identified from this log")
    return rows


def inverse_row(row: tuple) -> tuple:
    """The row of 1/value (the engine's scale = 1/alpha) from a row of interval_rows."""
    value, se, lo, hi, how = row
    inv = 1.0 / value
    with np.errstate(divide="ignore"):
        return (inv, inv * se / value if np.isfinite(se) else np.nan, 1.0 / hi if hi > 0 else np.inf,
                1.0 / lo if lo > 0 else np.inf, how)
