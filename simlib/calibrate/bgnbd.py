"""BG/NBD repeat buying (Fader, Hardie & Lee 2005), in days: likelihood, fit, predictions.

After the first purchase a customer buys as a Poisson process with rate lambda per day while
alive and, after each repeat purchase, drops out for good with probability p;
lambda ~ Gamma(shape r, rate alpha) and p ~ Beta(a, b) across customers. With
``dropout_at_first_purchase=True`` the dropout chance also follows the first purchase (the
"MBG/NBD" variant), which is what an engine does when it applies the dropout after *every*
purchase. Both share one code path: k = 1 if the first purchase can end the relationship.

Per customer, with x repeat purchases, the last at t_x, observed for T days:
    L = Gamma(r+x) alpha^r / Gamma(r) * [ B(a, b+x+k) / B(a,b) * (alpha+T)^-(r+x)
                                          + B(a+1, b+x+k-1) / B(a,b) * (alpha+t_x)^-(r+x) ]
(the second term only when x + k >= 1). The fit maximises the sum of log L over the four
log-parameters; standard errors come from the inverse of the observed information (a central
finite-difference Hessian) at the maximum.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

PARAM_NAMES = ("r", "alpha", "a", "b")


TIME_MODELS = ("daily", "continuous")
"""daily: at most one purchase a day, bought with probability 1 - exp(-lambda) on each day
alive (the engine's daily step, and what day-resolution data can show); continuous: the
classic BG/NBD Poisson process, with purchase occasions as its events."""

_HERMITE_NODES = 24
_JACOBI_NODES = 32


def _check_time_model(time_model):
    if time_model not in TIME_MODELS:
        raise ValueError(f"time_model must be one of {TIME_MODELS}, not {time_model!r}")


def _log_h(lam):
    """log((1 - exp(-lambda)) / lambda): the daily purchase chance relative to the rate."""
    return np.log(-np.expm1(-lam)) - np.log(lam)


_HERMITE = special.roots_hermite(_HERMITE_NODES)


def _tilted_gamma(x, shape, rate):
    """Quadrature for lambda ~ Gamma(shape, rate) tilted by h(lambda)^x, per customer.

    Works in z = log(lambda) with fixed Gauss-Hermite nodes centred near the mode of the
    tilted density (log h(lambda) ~ -lambda/2 moves the rate to rate + x/2), so no nodes are
    recomputed while the optimiser moves. Returns the nodes lambda (customers x nodes), their
    normalised posterior weights, and log E[h(lambda)^x] under the untilted Gamma.
    """
    x = np.asarray(x, float)[:, None]
    shape = np.asarray(shape, float)[:, None]
    rate = np.asarray(rate, float)[:, None]
    t, w = _HERMITE
    sigma = np.sqrt(2.0 / shape)
    z = np.log(shape / (rate + x / 2.0)) + sigma * t[None, :]
    lam = np.exp(z)
    log_f = shape * z - rate * lam + x * (np.log(-np.expm1(-lam)) - z)
    log_terms = np.log(w)[None, :] + t[None, :] ** 2 + log_f
    from simlib.calibrate.processes.quadrature import logsumexp_rows
    log_total = logsumexp_rows(log_terms)
    log_norm = special.gammaln(shape[:, 0]) - shape[:, 0] * np.log(rate[:, 0])
    weights = np.exp(log_terms - log_total[:, None])
    return lam, weights, log_total + np.log(sigma[:, 0]) - log_norm


def _daily_correction(params, x, exposure):
    """log E[h(lambda)^x] with lambda ~ Gamma(r + x, alpha + exposure), per customer."""
    r, alpha, _, _ = params
    out = np.zeros(x.shape)
    sel = x > 0
    if sel.any():
        out[sel] = _tilted_gamma(x[sel], r + x[sel], alpha + exposure[sel])[2]
    return out


def _terms(params, x, t_x, T, k, time_model="daily"):
    """Log of the 'still alive' and 'dropped out after t_x' parts of the likelihood.

    In the daily model a day with a purchase is not a day without one, so the exposure to
    'no purchase' is T - x (or t_x - x) days, and lambda^x becomes (1 - exp(-lambda))^x,
    whose ratio to lambda^x is integrated by quadrature.
    """
    r, alpha, a, b = params
    if time_model == "daily":
        T_eff, tx_eff = T - x, t_x - x
    else:
        T_eff, tx_eff = T, t_x
    common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) - special.betaln(a, b)
    alive = common + special.betaln(a, b + x + k) - (r + x) * np.log(alpha + T_eff)
    can_die = (x + k) >= 1
    b_dead = np.where(can_die, b + x + k - 1, 1.0)
    dead = common + special.betaln(a + 1, b_dead) - (r + x) * np.log(alpha + tx_eff)
    if time_model == "daily":
        alive = alive + _daily_correction(params, x, T_eff)
        dead = dead + _daily_correction(params, x, tx_eff)
    dead = np.where(can_die, dead, -np.inf)
    return alive, dead


def _arrays(x, t_x, T):
    x = np.atleast_1d(np.asarray(x, dtype=float))
    return x, np.broadcast_to(np.asarray(t_x, float), x.shape), np.broadcast_to(np.asarray(T, float), x.shape)


def log_likelihood(params, x, t_x, T, dropout_at_first_purchase=False, time_model="daily"):
    """Per-customer log-likelihood of (x, t_x, T) under params (r, alpha, a, b)."""
    _check_time_model(time_model)
    x, t_x, T = _arrays(x, t_x, T)
    alive, dead = _terms(params, x, t_x, T, int(dropout_at_first_purchase), time_model)
    return np.logaddexp(alive, dead)


def log_likelihood_gradient(params, x, t_x, T, dropout_at_first_purchase=False, wrt_history=False):
    """Continuous BG/NBD: per-customer log-likelihood and its gradient with respect to the log
    parameters (log r, log alpha, log a, log b), customers x 4, from the terms of ``_terms``:
    with w = P(alive), d/dr = psi(r+x) - psi(r) + log alpha - [w log(alpha+T) + (1-w) log(alpha+t_x)],
    d/dalpha = r/alpha - (r+x) [w/(alpha+T) + (1-w)/(alpha+t_x)], and the Beta parts through
    d log B(p, q)/dp = psi(p) - psi(p+q). ``wrt_history`` adds three columns: d/dt_x =
    -(1-w)(r+x)/(alpha+t_x), d/dT = -w (r+x)/(alpha+T) and d/dG = 0 (for a change of clock)."""
    x, t_x, T = _arrays(x, t_x, T)
    r, alpha, a, b = params
    k = int(dropout_at_first_purchase)
    from simlib.calibrate.processes.quadrature import flush_tiny
    alive, dead = _terms(params, x, t_x, T, k, "continuous")
    ll = np.logaddexp(alive, dead)
    w, w_dead = flush_tiny(np.exp(alive - ll)), flush_tiny(np.exp(dead - ll))
    psi = special.digamma
    total = psi(a + b + x + k)
    b_dead = np.where(x + k >= 1, b + x + k - 1, 1.0)
    grad = np.empty((x.size, 4))
    grad[:, 0] = r * (psi(r + x) - psi(r) + np.log(alpha) - w * np.log(alpha + T) - w_dead * np.log(alpha + t_x))
    grad[:, 1] = alpha * (r / alpha - (r + x) * (w / (alpha + T) + w_dead / (alpha + t_x)))
    grad[:, 2] = a * (psi(a + b) - psi(a) + w * (psi(a) - total) + w_dead * (psi(a + 1) - total))
    grad[:, 3] = b * (psi(a + b) - psi(b) + w * (psi(b + x + k) - total) + w_dead * (psi(b_dead) - total))
    if wrt_history:
        grad = np.column_stack([grad, -w_dead * (r + x) / (alpha + t_x), -w * (r + x) / (alpha + T),
                                np.zeros(x.size)])
    return ll, grad


def probability_alive(params, x, t_x, T, dropout_at_first_purchase=False, time_model="daily"):
    """P(customer still active at T | x, t_x, T)."""
    _check_time_model(time_model)
    x, t_x, T = _arrays(x, t_x, T)
    alive, dead = _terms(params, x, t_x, T, int(dropout_at_first_purchase), time_model)
    return np.exp(alive - np.logaddexp(alive, dead))


def _beta_nodes(a, b):
    """Quadrature nodes p in (0, 1) and weights for an expectation under Beta(a, b)."""
    if a + b < 300.0:
        nodes, weights = special.roots_jacobi(_JACOBI_NODES, b - 1.0, a - 1.0)
        return (1.0 + nodes) / 2.0, weights / weights.sum()
    # Jacobi weights overflow for large parameters: integrate over the quantiles instead
    u, w = special.roots_legendre(64)
    return special.betaincinv(a, b, (u + 1.0) / 2.0), w / w.sum()


def _expected_if_alive(params, x, T, t_star, k, time_model):
    """E[purchases in (T, T+t_star] | alive at T, x].

    Given alive, p ~ Beta(a, b+x+k) (Gauss-Jacobi quadrature over p). Continuous model:
    lambda ~ Gamma(r+x, alpha+T) and the count given both is (1 - exp(-lambda p t)) / p; the
    lambda integral is done in closed form. Daily model: lambda's posterior is that Gamma
    tilted by h(lambda)^x (Gauss-Hermite in log lambda), and the count given both is
    (1 - (1 - q p)^t) / p with q = 1 - exp(-lambda). The continuous case has a 2F1 closed
    form; quadrature stays accurate for a <= 1 as well.
    """
    r, alpha, a, b = params
    t_star = np.broadcast_to(np.asarray(t_star, float), x.shape)
    # customers with the same (x, T, t_star) share the answer
    keys, inverse = np.unique(np.column_stack([x, T, t_star]), axis=0, return_inverse=True)
    ux, uT, ut = keys.T
    values = np.empty(ux.shape)
    for value in np.unique(ux):
        p, v = _beta_nodes(a, b + value + k)
        rows = np.flatnonzero(ux == value)
        for chunk in np.array_split(rows, max(1, rows.size // 1000)):
            t = ut[chunk][:, None]
            if time_model == "continuous":
                base = (alpha + uT[chunk])[:, None]
                inner = -np.expm1(-(r + value) * np.log1p(p[None, :] * t / base)) / p[None, :]
                values[chunk] = inner @ v
            else:
                xs = ux[chunk]
                lam, w_post, _ = _tilted_gamma(xs, r + xs, alpha + uT[chunk] - xs)
                q = -np.expm1(-lam)  # customers x lambda nodes
                qp = q[:, :, None] * p[None, None, :]
                inner = -np.expm1(t[:, :, None] * np.log1p(-qp)) / p[None, None, :]
                values[chunk] = np.einsum("ij,ijl,l->i", w_post, inner, v)
    out = values[inverse.ravel()]
    return out


def expected_if_alive(params, x, T, t_star, dropout_at_first_purchase=False, time_model="daily"):
    """E[repeat purchases in the next t_star days | x, T, alive at T] for each customer."""
    _check_time_model(time_model)
    x, _, T = _arrays(x, 0.0, T)
    return _expected_if_alive(params, x, T, t_star, int(dropout_at_first_purchase), time_model)


def conditional_expected(params, x, t_x, T, t_star, dropout_at_first_purchase=False,
                         time_model="daily"):
    """E[repeat purchases in the next t_star days | x, t_x, T] for each customer."""
    _check_time_model(time_model)
    x, t_x, T = _arrays(x, t_x, T)
    alive = probability_alive(params, x, t_x, T, dropout_at_first_purchase, time_model)
    k = int(dropout_at_first_purchase)
    return alive * _expected_if_alive(params, x, T, t_star, k, time_model)


def expected_repeat(params, t, dropout_at_first_purchase=False, time_model="daily"):
    """E[repeat purchases in the first t days after the first purchase] for a new customer."""
    t = np.atleast_1d(np.asarray(t, float))
    zeros = np.zeros_like(t)
    return conditional_expected(params, zeros, zeros, zeros, t, dropout_at_first_purchase, time_model)


def _numeric_hessian(f, theta, step=1e-3):
    n = len(theta)
    hess = np.empty((n, n))
    f0 = f(theta)
    for i in range(n):
        ei = np.zeros(n)
        ei[i] = step
        hess[i, i] = (f(theta + ei) - 2 * f0 + f(theta - ei)) / step**2
        for j in range(i + 1, n):
            ej = np.zeros(n)
            ej[j] = step
            value = (f(theta + ei + ej) - f(theta + ei - ej) - f(theta - ei + ej)
                     + f(theta - ei - ej)) / (4 * step**2)
            hess[i, j] = hess[j, i] = value
    return hess


@dataclass
class BGNBDFit:
    """Maximum-likelihood BG/NBD parameters (days) with their covariance on the log scale."""

    r: float
    alpha: float
    a: float
    b: float
    log_cov: np.ndarray
    log_likelihood: float
    n_customers: int
    dropout_at_first_purchase: bool = False
    time_model: str = "daily"
    converged: bool = True
    message: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def params(self) -> tuple[float, float, float, float]:
        return (self.r, self.alpha, self.a, self.b)

    def table(self, level: float = 0.95) -> pd.DataFrame:
        """Estimates, standard errors and Wald intervals (formed on the log scale, so positive).

        Rows r, alpha, a, b and scale = 1/alpha (the engine's Gamma scale, per day).
        """
        z = stats.norm.ppf(0.5 + level / 2)
        se_log = np.sqrt(np.clip(np.diag(self.log_cov), 0, None))
        est = np.array(self.params)
        rows = {}
        for name, value, s in zip(PARAM_NAMES, est, se_log):
            rows[name] = (value, value * s, value * np.exp(-z * s), value * np.exp(z * s))
        s_alpha = se_log[1]
        scale = 1.0 / self.alpha
        rows["scale"] = (scale, scale * s_alpha, scale * np.exp(-z * s_alpha), scale * np.exp(z * s_alpha))
        return pd.DataFrame.from_dict(rows, orient="index",
                                      columns=["estimate", "std_error", "lower", "upper"])

    def expected_repeat(self, t):
        return expected_repeat(self.params, t, self.dropout_at_first_purchase, self.time_model)

    def probability_alive(self, x, t_x, T):
        return probability_alive(self.params, x, t_x, T, self.dropout_at_first_purchase,
                                 self.time_model)

    def conditional_expected(self, x, t_x, T, t_star):
        return conditional_expected(self.params, x, t_x, T, t_star, self.dropout_at_first_purchase,
                                    self.time_model)


def fit_bgnbd(x, t_x, T, dropout_at_first_purchase=False, time_model="daily", starts=None) -> BGNBDFit:
    """Maximum-likelihood fit of (r, alpha, a, b) to per-customer (x, t_x, T) in days.

    Identical customers are pooled; several starting points are tried on the continuous
    likelihood and the best optimum is refined on the chosen one. Raises ValueError on inconsistent inputs (t_x > T, negative values).
    """
    x = np.asarray(x, dtype=float)
    t_x = np.asarray(t_x, dtype=float)
    T = np.asarray(T, dtype=float)
    if x.size == 0:
        raise ValueError("no customers to fit")
    if (x < 0).any() or (t_x < 0).any() or (t_x > T).any():
        raise ValueError("need 0 <= recency <= age and frequency >= 0 for every customer")
    _check_time_model(time_model)
    if time_model == "daily" and (x > t_x).any():
        raise ValueError("the daily model allows one purchase occasion a day: need frequency <= recency")
    keys = np.column_stack([x, t_x, T])
    uniq, counts = np.unique(keys, axis=0, return_counts=True)
    ux, utx, uT = uniq.T
    k = int(dropout_at_first_purchase)

    def make_negll(model):
        def negll(theta):
            alive, dead = _terms(np.exp(theta), ux, utx, uT, k, model)
            value = -np.dot(counts, np.logaddexp(alive, dead))
            return value if np.isfinite(value) else 1e300
        return negll

    bounds = [(-9.0, 9.0), (-9.0, 14.0), (-9.0, 9.0), (-9.0, 12.0)]
    # the continuous likelihood is cheap: search it from several starts, then (daily model)
    # move to the exact daily likelihood from its optimum
    rate = max(x.sum(), 1.0) / max(T.sum(), 1.0)  # repeat purchases per customer-day
    if starts is None:
        starts = [(1.0, 1.0 / rate, 1.0, 3.0), (0.5, 0.5 / rate, 0.5, 1.0), (2.0, 2.0 / rate, 2.0, 10.0)]
    cheap = make_negll("continuous")
    best = None
    for start in starts:
        res = optimize.minimize(cheap, np.log(start), method="L-BFGS-B", bounds=bounds)
        if best is None or res.fun < best.fun:
            best = res
    negll = make_negll(time_model)
    if time_model == "continuous":
        res = optimize.minimize(negll, best.x, method="Nelder-Mead",
                                options={"xatol": 1e-7, "fatol": 1e-9, "maxiter": 4000})
        if res.fun > best.fun:
            res = best
    else:
        res = optimize.minimize(negll, best.x, method="L-BFGS-B", bounds=bounds,
                                options={"ftol": 1e-12, "gtol": 1e-7})
    hess = _numeric_hessian(negll, res.x)
    try:
        log_cov = np.linalg.inv(hess)
        if np.any(np.diag(log_cov) <= 0):
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        log_cov = np.full((4, 4), np.nan)
    at_bound = any(abs(v - lo) < 1e-3 or abs(v - hi) < 1e-3 for v, (lo, hi) in zip(res.x, bounds))
    r, alpha, a, b = np.exp(res.x)
    message = "parameter at the edge of its search range: not identified by these data" if at_bound else ""
    return BGNBDFit(r=float(r), alpha=float(alpha), a=float(a), b=float(b), log_cov=log_cov,
                    log_likelihood=float(-res.fun), n_customers=int(x.size),
                    dropout_at_first_purchase=bool(dropout_at_first_purchase), time_model=time_model,
                    converged=bool(res.success) and not at_bound,
                    message=message)
