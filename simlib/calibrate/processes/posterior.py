"""A customer's latent state drawn from the fitted process's posterior given their history.

The purchase processes say how a customer's unobserved rate lambda, dropout chance p (or
lifetime hazard mu) and being alive vary across customers (the prior: Gamma, Beta). Given
what one customer did (x repeat purchases, the last at t_x, observed for T days, all on the
process's clock), Bayes' rule gives their own:

- BG/NBD, MBG/NBD (f = 1 when the first purchase can end the relationship): alive with
  P(alive | x, t_x, T); given alive, lambda ~ Gamma(r + x, alpha + T) and p ~ Beta(a, b + x + f)
  (they survived x + f chances to leave), independent.
- Pareto/NBD: alive with P(alive | x, t_x, T); given alive, lambda ~ Gamma(r + x, alpha + T) and
  mu ~ Gamma(s, beta + T).
- MBG/CNBD-k: alive as above; given alive, the phases j < k of the next gap already done
  (weight (k u)^j / j! Gamma(r+kx+j) / (alpha+kT)^j, u = T - t_x), then
  lambda | j ~ Gamma(r + kx + j, alpha + kT) and p ~ Beta(a, b + x + 1).

These are the terms behind the conditional expectations in the process modules (the same
weights, the same Gamma and Beta), so a forward simulation from these draws has, per
customer, the process's expected purchases given the history. Draws are inverse CDFs of
uniforms the caller keys (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from simlib.calibrate.processes.base import Histories, distinct_rows
from simlib.calibrate.processes.erlang import phase_weights


@dataclass(frozen=True)
class LatentDraws:
    """Per customer: alive now, the purchase rate per day (on the process's clock), the chance
    of leaving after an order (0 for Pareto/NBD), the lifetime hazard per day (0 for the
    BG family) and, for Erlang-k buyers, the phases of the next gap already done."""

    alive: np.ndarray
    rate_per_day: np.ndarray
    dropout: np.ndarray
    lifetime_hazard_per_day: np.ndarray
    phases_done: np.ndarray


def _distinct(h: Histories):
    rows, inverse, _ = distinct_rows(np.column_stack([h.x, h.t_x, h.T]))
    return Histories.of(rows[:, 0], rows[:, 1], rows[:, 2]), inverse


def _gamma_quantile(shape, rate, u):
    """Gamma(shape, rate) quantiles at u, grouped by distinct shape (few: shape depends on x)."""
    out = np.empty(u.shape)
    shapes, where = np.unique(shape, return_inverse=True)
    for i, value in enumerate(shapes):
        sel = where == i
        out[sel] = special.gammaincinv(value, u[sel])
    return out / rate


def _beta_quantile(a, b, u):
    out = np.empty(u.shape)
    values, where = np.unique(b, return_inverse=True)
    for i, value in enumerate(values):
        sel = where == i
        out[sel] = special.betaincinv(a, value, u[sel])
    return out


def draw_latent(process, params, h: Histories, k: int, uniforms: dict) -> LatentDraws:
    """Draw each customer's latent state from the posterior of ``process`` (a
    `simlib.calibrate.processes.Process`) at ``params`` (its parameter tuple) and regularity
    ``k`` given histories ``h`` (on the process's clock). ``uniforms``: arrays in (0, 1), one per
    customer, under the keys alive, rate, dropout (p or mu) and phase."""
    n = h.x.size
    distinct, inverse = _distinct(h)
    p_alive = np.asarray(process.probability_alive(params, distinct, k), float)[inverse]
    alive = uniforms["alive"] < p_alive
    phases = np.zeros(n, np.int64)
    zeros = np.zeros(n)
    if process.time_based_dropout:
        r, alpha, s, beta = params
        rate = _gamma_quantile(r + h.x, alpha + h.T, uniforms["rate"])
        mu = _gamma_quantile(np.full(n, s), beta + h.T, uniforms["dropout"])
        return LatentDraws(alive, rate, zeros, mu, phases)
    r, alpha, a, b = params
    first = int(process.dropout_at_first_purchase)
    if k > 1:
        weights = phase_weights(params, distinct, k)[inverse]
        phases = np.minimum((uniforms["phase"][:, None] > np.cumsum(weights, axis=1)).sum(axis=1), k - 1)
        rate = _gamma_quantile(r + k * h.x + phases, alpha + k * h.T, uniforms["rate"])
    else:
        rate = _gamma_quantile(r + h.x, alpha + h.T, uniforms["rate"])
    p = _beta_quantile(a, b + h.x + first, uniforms["dropout"])
    return LatentDraws(alive, rate, p, zeros, phases)
