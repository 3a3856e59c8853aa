"""Regular buyers: (M)BG/CNBD-k (Reutterer, Platzer & Schröder), in days.

While alive, the gaps between purchases are Erlang-k with mean 1/lambda (k phases, each
exponential with rate k*lambda; k = 1 is Poisson buying, larger k more regular); after each
repeat purchase (and, in the MBG form, the first purchase too) the customer leaves for good
with probability p. lambda ~ Gamma(r, rate alpha) and p ~ Beta(a, b). This module's alpha is
for the mean rate lambda, so it equals k times the alpha of the paper's Erlang rate.

Per customer, with x repeat purchases, the last at t_x, observed for T days, u = T - t_x,
f = 1 if the first purchase can end the relationship, and G = sum of log inter-purchase gaps:

    L = exp((k-1) G) k^(kx) / ((k-1)!)^x * Gamma(r)^-1 alpha^r / B(a,b) *
        [ B(a, b+x+f) * sum_{i<k} (k u)^i / i! * Gamma(r+kx+i) (alpha+kT)^-(r+kx+i)
          + [x+f >= 1] B(a+1, b+x+f-1) * Gamma(r+kx) (alpha+k t_x)^-(r+kx) ]

(alive and fewer than k phases since the last purchase; or left right after it). With k = 1
and f = 1 this is MBG/NBD, with f = 0 BG/NBD.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from simlib.calibrate.processes.base import Histories
from simlib.calibrate.processes.quadrature import flush_tiny, logsumexp_rows

PARAM_NAMES = ("r", "alpha", "a", "b")
MAX_REGULARITY = 6


def _terms(params, h: Histories, k: int, first: int):
    r, alpha, a, b = params
    x, t_x, T = h.x, h.t_x, h.T
    shape = r + k * x
    common = ((k - 1) * h.log_gaps + k * x * np.log(k) - x * special.gammaln(k) - special.gammaln(r)
              + r * np.log(alpha) - special.betaln(a, b))
    i = np.arange(k)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        phases = (i * np.log(k * (T - t_x))[:, None] - special.gammaln(i + 1)
                  + special.gammaln(shape[:, None] + i) - (shape[:, None] + i) * np.log(alpha + k * T)[:, None])
    phases[:, 0] = special.gammaln(shape) - shape * np.log(alpha + k * T)
    alive = common + special.betaln(a, b + x + first) + logsumexp_rows(phases)
    can_die = (x + first) >= 1
    dead = (common + special.betaln(a + 1, np.where(can_die, b + x + first - 1, 1.0))
            + special.gammaln(shape) - shape * np.log(alpha + k * t_x))
    return alive, np.where(can_die, dead, -np.inf)


def log_likelihood_gradient(params, h: Histories, k: int = 1, first: int = 1, wrt_history: bool = False):
    """Per-customer log-likelihood and its gradient with respect to (log r, log alpha, log a,
    log b), customers x 4: the terms of ``_terms`` differentiated, the alive part through the
    softmax weights of its phases. ``wrt_history`` adds d/dt_x, d/dT and d/dG (the sum of log
    gaps) for a change of the purchase clock."""
    r, alpha, a, b = params
    x, t_x, T = h.x, h.t_x, h.T
    shape = r + k * x
    alive, dead = _terms(params, h, k, first)
    ll = np.logaddexp(alive, dead)
    w, w_dead = flush_tiny(np.exp(alive - ll)), flush_tiny(np.exp(dead - ll))
    i = np.arange(k)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        phases = (i * np.log(k * (T - t_x))[:, None] - special.gammaln(i + 1)
                  + special.gammaln(shape[:, None] + i) - (shape[:, None] + i) * np.log(alpha + k * T)[:, None])
    phases[:, 0] = special.gammaln(shape) - shape * np.log(alpha + k * T)
    pi = flush_tiny(np.exp(phases - logsumexp_rows(phases)[:, None]))
    psi = special.digamma
    d_alive_r = np.sum(pi * psi(shape[:, None] + i), axis=1) - np.log(alpha + k * T)
    d_alive_alpha = -np.sum(pi * (shape[:, None] + i), axis=1) / (alpha + k * T)
    d_dead_r = psi(shape) - np.log(alpha + k * t_x)
    d_dead_alpha = -shape / (alpha + k * t_x)
    total = psi(a + b + x + first)
    b_dead = np.where(x + first >= 1, b + x + first - 1, 1.0)
    grad = np.empty((x.size, 4))
    grad[:, 0] = r * (np.log(alpha) - psi(r) + w * d_alive_r + w_dead * d_dead_r)
    grad[:, 1] = alpha * (r / alpha + w * d_alive_alpha + w_dead * d_dead_alpha)
    grad[:, 2] = a * (psi(a + b) - psi(a) + w * (psi(a) - total) + w_dead * (psi(a + 1) - total))
    grad[:, 3] = b * (psi(a + b) - psi(b) + w * (psi(b + x + first) - total) + w_dead * (psi(b_dead) - total))
    if wrt_history:
        u = T - t_x
        with np.errstate(divide="ignore", invalid="ignore"):
            per_u = np.where(u > 0, np.sum(pi * i, axis=1) / u, 0.0)
        d_alive_T = per_u - k * np.sum(pi * (shape[:, None] + i), axis=1) / (alpha + k * T)
        d_dead_tx = -k * shape / (alpha + k * t_x)
        grad = np.column_stack([grad, w * -per_u + w_dead * d_dead_tx, w * d_alive_T, np.full(x.size, k - 1.0)])
    return ll, grad


def log_likelihood(params, h: Histories, k: int = 1, first: int = 1):
    return np.logaddexp(*_terms(params, h, k, first))


def probability_alive(params, h: Histories, k: int = 1, first: int = 1):
    alive, dead = _terms(params, h, k, first)
    return np.exp(alive - np.logaddexp(alive, dead))


def _future_counts(a, b_post, shape, rate, t_star, k, offset):
    """sum_n E[(1-p)^(n-1)] P(offset + phases in t_star >= n k), p ~ Beta(a, b_post) and
    phases ~ NBD(shape, rate/(rate + k t_star)): the expected purchases in the next t_star days
    of a customer alive now with ``offset`` phases already done."""
    success = rate / (rate + k * t_star)
    mean_phases = shape * (1 - success) / success
    needed = np.ceil((offset + mean_phases + 12 * np.sqrt(mean_phases / success + 1) + 20) / k).astype(np.int64) + 1
    out = np.empty(shape.shape)
    # rows by the purchases they need summed, in chunks: each chunk sums as far as its own rows need
    order = np.argsort(needed, kind="stable")
    for chunk in np.array_split(order, max(1, order.size // 4096)):
        n = np.arange(1, int(needed[chunk].max()) + 1)[None, :]
        b = b_post[chunk][:, None]
        survive = np.exp(special.betaln(a, b + n - 1) - special.betaln(a, b))
        phases = n * k - offset[chunk][:, None]          # P(NBD >= phases) = I_(1-success)(phases, shape)
        with np.errstate(invalid="ignore"):
            reach = np.where(phases > 0, special.betainc(np.maximum(phases, 1), shape[chunk][:, None],
                                                         1.0 - success[chunk][:, None]), 1.0)
        out[chunk] = np.sum(survive * reach, axis=1)
    return out


def phase_weights(params, h: Histories, k: int) -> np.ndarray:
    """Posterior probabilities (customers x k) of the phases j < k of the next gap already done
    by T, given alive: proportional to (k u)^j / j! Gamma(r+kx+j) / (alpha+kT)^j, u = T - t_x."""
    r, alpha = params[0], params[1]
    shape0 = r + k * h.x
    j = np.arange(k)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        log_w = (j * np.log(k * (h.T - h.t_x))[:, None] - special.gammaln(j + 1)
                 + special.gammaln(shape0[:, None] + j) - j * np.log(alpha + k * h.T)[:, None])
    log_w[:, 0] = special.gammaln(shape0)
    return np.exp(log_w - logsumexp_rows(log_w)[:, None])


def conditional_expected(params, h: Histories, t_star, k: int = 1, first: int = 1):
    """E[repeat purchases in (T, T + t_star] | history]: P(alive) times ``expected_if_alive``."""
    return probability_alive(params, h, k, first) * expected_if_alive(params, h, t_star, k, first)


def expected_if_alive(params, h: Histories, t_star, k: int = 1, first: int = 1):
    """E[repeat purchases in (T, T + t_star] | history, alive at T]: the expectation over the
    phases j < k already done since the last purchase (posterior weight
    (k u)^j / j! Gamma(r+kx+j) / (alpha+kT)^(r+kx+j)), lambda | j ~ Gamma(r+kx+j, alpha+kT)
    and p ~ Beta(a, b+x+f)."""
    r, alpha, a, b = params
    t_star = np.broadcast_to(np.asarray(t_star, float), h.x.shape)
    shape0 = r + k * h.x
    rate = alpha + k * h.T
    w = phase_weights(params, h, k)
    total = np.zeros(h.x.shape)
    for phase in range(k):
        total += w[:, phase] * _future_counts(a, b + h.x + first, shape0 + phase, rate, t_star, k,
                                              np.full(h.x.shape, float(phase)))
    return total


def expected_purchases(params, t, k: int = 1, first: int = 1):
    """E[X(t)]: repeat purchases in the first t days after a new customer's first purchase."""
    r, alpha, a, b = params
    t = np.atleast_1d(np.asarray(t, float))
    out = np.zeros(t.shape)
    positive = t > 0
    if positive.any():
        n = int(positive.sum())
        survive_first = np.exp(special.betaln(a, b + first) - special.betaln(a, b))
        out[positive] = survive_first * _future_counts(a, np.full(n, b + first), np.full(n, r), np.full(n, alpha),
                                                       t[positive], k, np.zeros(n))
    return out


def starts(h: Histories):
    rate = max(h.x.sum(), 1.0) / max(h.T.sum(), 1.0)
    return [(1.0, 1.0 / rate, 1.0, 3.0), (0.5, 0.5 / rate, 0.5, 1.0), (2.0, 2.0 / rate, 2.0, 10.0)]


BOUNDS = [(-9.0, 9.0), (-9.0, 14.0), (-9.0, 9.0), (-9.0, 12.0)]
