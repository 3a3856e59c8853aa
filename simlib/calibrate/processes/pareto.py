"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987), in days.

While alive a customer buys as a Poisson process with rate lambda per day; the lifetime is
exponential in calendar time with hazard mu per day, whatever the purchases;
lambda ~ Gamma(r, rate alpha) and mu ~ Gamma(s, rate beta), independent. Per customer with x
repeat purchases, the last at t_x, observed for T days:

    L = Gamma(r+x) alpha^r beta^s / Gamma(r) * [ (alpha+T)^-(r+x) (beta+T)^-s  +  s * I ]
    I = integral over t_x < y < T of (alpha+y)^-(r+x) (beta+y)^-(s+1) dy

(alive at T, or dead at some y after the last purchase). The textbook form writes I as a
difference of two Gaussian hypergeometric functions 2F1(r+s+x, s+1 or r+x; r+s+x+1; z); that
difference cancels when T is near t_x, and scipy's 2F1 returns NaN for r+s+x above a few
hundred with z near 1 (and errs by ~5e-7 elsewhere). I is that 2F1's Euler integral, so we
evaluate it directly: in v = log(min(alpha, beta) + y) the integrand is smooth and
log-concave, and the fixed tanh-sinh rule integrates it to ~1e-12 in log I (checked against
adaptive quadrature and, in the tests, against integration over the latent rates).
"""

from __future__ import annotations

import numpy as np
from scipy import special

from simlib.calibrate.processes.base import Histories
from simlib.calibrate.processes.quadrature import flush_tiny, log_integral

PARAM_NAMES = ("r", "alpha", "s", "beta")


CHUNK_ROWS = 16_384   # rows integrated at once: the nodes of a chunk are a few (rows x 77) arrays


def _log_dead_integral(r, alpha, s, beta, h: Histories, gradient: bool = False):
    """log I: the probability weight of dying between the last purchase and T (see module).
    With ``gradient``, also d log I / d(r, alpha, s, beta) (customers x 4): expectations of
    -log(alpha+y), -(r+x)/(alpha+y), -log(beta+y), -(s+1)/(beta+y) under the normalised
    integrand, from the same nodes. Rows go in chunks, so memory does not grow with the log."""
    if h.x.size > CHUNK_ROWS:
        parts = [_log_dead_integral(r, alpha, s, beta, Histories(h.x[i:i + CHUNK_ROWS], h.t_x[i:i + CHUNK_ROWS],
                                                                 h.T[i:i + CHUNK_ROWS], h.log_gaps[i:i + CHUNK_ROWS]),
                                    gradient) for i in range(0, h.x.size, CHUNK_ROWS)]
        if not gradient:
            return np.concatenate(parts)
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    shift = min(alpha, beta)
    m, n = r + h.x[:, None], s + 1.0
    logs = {}

    def log_integrand(v):  # v = log(shift + y); dy = e^v dv
        e = np.exp(v)
        logs["a"], logs["b"] = np.log(alpha - shift + e), np.log(beta - shift + e)
        return v - m * logs["a"] - n * logs["b"]

    lower, upper = np.log(shift + h.t_x), np.log(shift + h.T)
    if not gradient:
        return log_integral(log_integrand, lower, upper)
    value, share = log_integral(log_integrand, lower, upper, shares=True)
    log_a, log_b = logs["a"], logs["b"]
    grad = np.column_stack([-np.sum(share * log_a, axis=1), -(r + h.x) * np.sum(share * np.exp(-log_a), axis=1),
                            -np.sum(share * log_b, axis=1), -n * np.sum(share * np.exp(-log_b), axis=1)])
    return value, grad


def _alive_and_dead(params, h: Histories):
    r, alpha, s, beta = params
    common = special.gammaln(r + h.x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive = common - (r + h.x) * np.log(alpha + h.T) - s * np.log(beta + h.T)
    dead = common + np.log(s) + _log_dead_integral(r, alpha, s, beta, h)
    return alive, dead


def log_likelihood(params, h: Histories):
    """Per-customer log-likelihood of (x, t_x, T) under (r, alpha, s, beta)."""
    return np.logaddexp(*_alive_and_dead(params, h))


def log_likelihood_gradient(params, h: Histories):
    """Per-customer log-likelihood and its gradient with respect to (log r, log alpha, log s,
    log beta), customers x 4."""
    r, alpha, s, beta = params
    common = special.gammaln(r + h.x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive = common - (r + h.x) * np.log(alpha + h.T) - s * np.log(beta + h.T)
    log_i, d_log_i = _log_dead_integral(r, alpha, s, beta, h, gradient=True)
    dead = common + np.log(s) + log_i
    ll = np.logaddexp(alive, dead)
    w, w_dead = flush_tiny(np.exp(alive - ll)), flush_tiny(np.exp(dead - ll))
    d_common_r = special.digamma(r + h.x) - special.digamma(r) + np.log(alpha)
    grad = np.empty((h.x.size, 4))
    grad[:, 0] = r * (d_common_r - w * np.log(alpha + h.T) + w_dead * d_log_i[:, 0])
    grad[:, 1] = alpha * (r / alpha - w * (r + h.x) / (alpha + h.T) + w_dead * d_log_i[:, 1])
    grad[:, 2] = s * (np.log(beta) - w * np.log(beta + h.T) + w_dead * (1.0 / s + d_log_i[:, 2]))
    grad[:, 3] = beta * (s / beta - w * s / (beta + h.T) + w_dead * d_log_i[:, 3])
    return ll, grad


def probability_alive(params, h: Histories):
    """P(alive at T | x, t_x, T)."""
    alive, dead = _alive_and_dead(params, h)
    return np.exp(alive - np.logaddexp(alive, dead))


def _mean_lifetime_within(shape, scale_days, horizon):
    """E[min(lifetime, horizon)] for an exponential lifetime whose hazard ~ Gamma(shape, rate
    scale_days): scale/(shape-1) * (1 - (scale/(scale+horizon))^(shape-1)), with its shape -> 1
    limit scale * log(1 + horizon/scale)."""
    u = np.log1p(np.asarray(horizon, float) / scale_days)
    e = shape - 1.0
    if abs(e) < 1e-9:
        return scale_days * u
    return scale_days * -np.expm1(-e * u) / e


def expected_purchases(params, t):
    """E[X(t)]: repeat purchases in the first t days after a new customer's first purchase."""
    r, alpha, s, beta = params
    return r / alpha * _mean_lifetime_within(s, beta, np.atleast_1d(np.asarray(t, float)))


def conditional_expected(params, h: Histories, t_star):
    """E[repeat purchases in (T, T + t_star] | x, t_x, T]: P(alive) times ``expected_if_alive``."""
    return probability_alive(params, h) * expected_if_alive(params, h, t_star)


def expected_if_alive(params, h: Histories, t_star):
    """E[repeat purchases in (T, T + t_star] | x, t_x, T, alive at T]: the posterior mean rate
    (r+x)/(alpha+T) times the expected remaining lifetime within t_star (mu's posterior given
    alive at T is Gamma(s, beta + T))."""
    r, alpha, s, beta = params
    t_star = np.broadcast_to(np.asarray(t_star, float), h.x.shape)
    rate = (r + h.x) / (alpha + h.T)
    e = s - 1.0
    u = np.log1p(t_star / (beta + h.T))
    within = (beta + h.T) * (u if abs(e) < 1e-9 else -np.expm1(-e * u) / e)
    return rate * within


def starts(h: Histories):
    rate = max(h.x.sum(), 1.0) / max(h.T.sum(), 1.0)
    span = max(float(np.mean(h.T)), 1.0)
    return [(1.0, 1.0 / rate, 1.0, span), (0.5, 0.5 / rate, 0.5, 0.3 * span), (2.0, 2.0 / rate, 2.0, 3 * span)]


BOUNDS = [(-9.0, 9.0), (-9.0, 14.0), (-9.0, 9.0), (-9.0, 16.0)]
