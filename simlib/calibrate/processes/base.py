"""What every purchase process shares: the per-customer summary, the fitted result, and the
maximum-likelihood fit with standard errors from the observed information."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize

from simlib.calibrate.processes.intervals import (ProfileLikelihood, information_block, interval_rows,
                                                  inverse_row)


@dataclass(frozen=True)
class Histories:
    """Per-customer calibration summaries, in days from each customer's first purchase.

    x: repeat purchase occasions; t_x: day of the last one (0 if none); T: days observed;
    log_gaps: sum over the x inter-purchase gaps of log(gap in days) (the Erlang-k likelihood
    needs it; 0 when x = 0)."""

    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    log_gaps: np.ndarray

    @classmethod
    def of(cls, x, t_x, T, log_gaps=None) -> "Histories":
        x = np.atleast_1d(np.asarray(x, float))
        t_x = np.broadcast_to(np.asarray(t_x, float), x.shape).astype(float)
        T = np.broadcast_to(np.asarray(T, float), x.shape).astype(float)
        if log_gaps is None:
            log_gaps = np.zeros(x.shape)
        log_gaps = np.broadcast_to(np.asarray(log_gaps, float), x.shape).astype(float)
        return cls(x, t_x, T, log_gaps)

    @classmethod
    def from_frame(cls, customers: pd.DataFrame) -> "Histories":
        gaps = customers["log_gaps"] if "log_gaps" in customers else None
        return cls.of(customers["frequency"], customers["recency"], customers["age"], gaps)

    def check(self) -> None:
        if self.x.size == 0:
            raise ValueError("no customers to fit")
        if (self.x < 0).any() or (self.t_x < 0).any() or (self.t_x > self.T).any():
            raise ValueError("need 0 <= recency <= age and frequency >= 0 for every customer")

    def pooled(self, with_gaps: bool = False):
        """Distinct histories and how many customers share each (the likelihood is a sum);
        computed once per Histories and kept (every candidate process pools the same ones)."""
        cache = self.__dict__.setdefault("_pooled", {})
        if with_gaps not in cache:
            cols = [self.x, self.t_x, self.T] + ([self.log_gaps] if with_gaps else [])
            uniq, _, counts = distinct_rows(np.column_stack(cols))
            gaps = uniq[:, 3] if with_gaps else np.zeros(len(uniq))
            cache[with_gaps] = (Histories(uniq[:, 0], uniq[:, 1], uniq[:, 2], gaps), counts.astype(float))
        return cache[with_gaps]


def weighted_sum(weights, values) -> float:
    """sum(weights * values) without BLAS: a threaded BLAS dot product waits for its threads, which
    on a busy machine took 40 ms for 14,000 numbers (0.02 ms this way), once per likelihood call."""
    return float(np.sum(np.asarray(weights) * np.asarray(values)))


def distinct_rows(matrix: np.ndarray):
    """(distinct rows in lexicographic order, each row's position among them, their counts): what
    ``np.unique(matrix, axis=0, return_inverse=True, return_counts=True)`` gives, by hashing
    (several times faster on hundreds of thousands of rows)."""
    frame = pd.DataFrame(np.asarray(matrix, float))
    inverse = frame.groupby(list(frame.columns), sort=True).ngroup().to_numpy()
    counts = np.bincount(inverse)
    first = np.full(counts.size, matrix.shape[0], np.int64)
    np.minimum.at(first, inverse, np.arange(matrix.shape[0]))
    return np.asarray(matrix, float)[first], inverse, counts


def numeric_hessian(f, theta, step=1e-3):
    """Central finite-difference Hessian of a scalar function."""
    n = len(theta)
    hess = np.empty((n, n))
    f0 = f(theta)
    eye = np.eye(n) * step
    for i in range(n):
        hess[i, i] = (f(theta + eye[i]) - 2 * f0 + f(theta - eye[i])) / step**2
        for j in range(i + 1, n):
            value = (f(theta + eye[i] + eye[j]) - f(theta + eye[i] - eye[j]) - f(theta - eye[i] + eye[j])
                     + f(theta - eye[i] - eye[j])) / (4 * step**2)
            hess[i, j] = hess[j, i] = value
    return hess


@dataclass
class MaximumLikelihood:
    """The optimum of a negative log-likelihood over log-parameters."""

    log_params: np.ndarray
    log_cov: np.ndarray
    log_likelihood: float
    converged: bool
    message: str
    profile: object = None     # intervals.ProfileLikelihood for the parameters log_cov leaves out


def gradient_hessian(gradient, theta, step=1e-4):
    """Hessian by central differences of an analytic gradient (2n gradient calls, against about
    2n^2 function calls for ``numeric_hessian``), symmetrised."""
    n = len(theta)
    hess = np.empty((n, n))
    for i in range(n):
        e = np.zeros(n)
        e[i] = step
        hess[:, i] = (gradient(theta + e) - gradient(theta - e)) / (2 * step)
    return (hess + hess.T) / 2


def maximise(negll, starts, bounds, gradient=None, covariance: bool = True) -> MaximumLikelihood:
    """Minimise ``negll`` over log-parameters (L-BFGS-B from the first start; the next starts
    only when it fails or ends on a bound); covariance = inverse of the finite-difference
    Hessian at the optimum. ``gradient``, when given, returns (negll, its gradient) in one
    call: the optimiser then takes one call a step instead of one per parameter more, and the
    Hessian is differenced from it. ``covariance=False`` skips the Hessian (NaN covariance)."""
    def safe(theta):
        value = negll(theta)
        return value if np.isfinite(value) else 1e300

    def safe_with_gradient(theta):
        value, grad = gradient(theta)
        if not (np.isfinite(value) and np.all(np.isfinite(grad))):
            return 1e300, np.zeros(len(theta))
        return value, np.asarray(grad, float)

    def on_bound(x):
        return any(abs(v - lo) < 1e-3 or abs(v - hi) < 1e-3 for v, (lo, hi) in zip(x, bounds))
    best = None
    for start in starts:
        res = optimize.minimize(safe if gradient is None else safe_with_gradient, np.asarray(start, float),
                                method="L-BFGS-B", jac=gradient is not None, bounds=bounds,
                                options={"ftol": 1e-12, "gtol": 1e-7, "maxiter": 500})
        if best is None or res.fun < best.fun:
            best = res
        if best.success and not on_bound(best.x):
            break
    res = best
    theta = np.clip(res.x, [lo for lo, _ in bounds], [hi for _, hi in bounds])
    edge = np.array([abs(v - lo) < 1e-3 or abs(v - hi) < 1e-3 for v, (lo, hi) in zip(theta, bounds)])
    if not covariance:
        log_cov, free = np.full((len(theta), len(theta)), np.nan), ~edge
    else:
        hess = (numeric_hessian(safe, theta) if gradient is None
                else gradient_hessian(lambda t: safe_with_gradient(t)[1], theta))
        log_cov, free = information_block(hess, ~edge)
    profile = None
    if not free.all() and covariance:
        reasons = {i: "at the edge of its search range" if edge[i] else "along a flat ridge of the likelihood"
                   for i in np.flatnonzero(~free)}
        profile = ProfileLikelihood(safe, theta, list(bounds), reasons,
                                    None if gradient is None else safe_with_gradient)
    message = ("a parameter at the edge of its search range: the log does not pin it down (its interval is a "
               "profile likelihood)" if edge.any() else "some parameter is not pinned down by the log (the "
               "likelihood is flat along a ridge; its interval is a profile likelihood)" if not free.all() else "")
    return MaximumLikelihood(theta, log_cov, float(-safe(theta)), bool(free.all()), message, profile)


@dataclass
class ProcessFit:
    """A fitted purchase process: parameters (days), their covariance on the log scale, the
    maximised log-likelihood, and the closed forms evaluated at the estimates."""

    process: str
    params: dict
    log_cov: np.ndarray
    log_likelihood: float
    n_customers: int
    converged: bool = True
    message: str = ""
    regularity: int = 1                      # Erlang k of the inter-purchase times
    extra: dict = field(default_factory=dict)
    profile: object = None                   # intervals.ProfileLikelihood where log_cov leaves a parameter out

    def __getattr__(self, name):
        params = self.__dict__.get("params", {})
        if name in params:
            return params[name]
        raise AttributeError(name)

    @property
    def n_parameters(self) -> int:
        return len(self.params) + (1 if self.regularity > 1 else 0)

    def _closed_forms(self):
        from simlib.calibrate.processes import get_process
        return get_process(self.process), tuple(self.params.values())

    def expected_repeat(self, t):
        """E[X(t)] for a new customer, t days after the first purchase."""
        process, params = self._closed_forms()
        return process.expected_purchases(params, t, self.regularity)

    def probability_alive(self, x, t_x, T):
        process, params = self._closed_forms()
        return process.probability_alive(params, Histories.of(x, t_x, T), self.regularity)

    def conditional_expected(self, x, t_x, T, t_star):
        """E[repeat purchases in (T, T + t_star] | x, t_x, T] (the inter-purchase gaps cancel).

        Evaluated once per distinct (x, t_x, T, t_star): customers first seen on the same day
        share most histories (CDNOW, 23,570 customers: 8,685 distinct), and the Erlang and
        Pareto forms are costly per row."""
        process, params = self._closed_forms()
        columns = np.broadcast_arrays(*(np.asarray(v, float) for v in (x, t_x, T, t_star)))
        rows, inverse, _ = distinct_rows(np.column_stack([c.ravel() for c in columns]))
        values = process.conditional_expected(params, Histories.of(rows[:, 0], rows[:, 1], rows[:, 2]), rows[:, 3],
                                              self.regularity)
        return np.asarray(values, float)[inverse.ravel()].reshape(columns[0].shape)

    def conditional_expected_totals(self, x, t_x, T, aheads) -> np.ndarray:
        """Sum over customers of E[repeat purchases in (T, T + ahead] | x, t_x, T] for each array
        of ``aheads`` (one per horizon, e.g. week by week): P(alive) once per distinct history,
        the part given alive per distinct (history, horizon)."""
        process, params = self._closed_forms()
        rows, inverse, _ = distinct_rows(np.column_stack([np.asarray(v, float).ravel() for v in (x, t_x, T)]))
        alive = np.asarray(process.probability_alive(params, Histories.of(rows[:, 0], rows[:, 1], rows[:, 2]),
                                                     self.regularity), float)[inverse]
        totals = []
        for ahead in aheads:
            ahead = np.broadcast_to(np.asarray(ahead, float), alive.shape)
            keys, where, _ = distinct_rows(np.column_stack([rows[inverse], ahead]))
            part = process.expected_if_alive(params, Histories.of(keys[:, 0], keys[:, 1], keys[:, 2]), keys[:, 3],
                                             self.regularity)
            totals.append(weighted_sum(alive, np.asarray(part, float)[where]))
        return np.array(totals)

    def table(self, level: float = 0.95) -> pd.DataFrame:
        """Estimates, standard errors and intervals: Wald, formed on the log scale (positive),
        where the information matrix pins a parameter down, else profile likelihood or "not
        identified" (column ``interval`` says which; simlib.calibrate.processes.intervals).

        Rows: every parameter, plus scale = 1/alpha (the engine's Gamma scale, per day) and,
        for Pareto/NBD, lifetime_scale = 1/beta."""
        rows = interval_rows(list(self.params), list(self.params.values()), self.log_cov, self.profile, 0, level)
        for source, alias in (("alpha", "scale"), ("beta", "lifetime_scale")):
            if source in self.params:
                rows[alias] = inverse_row(rows[source])
        return pd.DataFrame.from_dict(rows, orient="index",
                                      columns=["estimate", "std_error", "lower", "upper", "interval"])
