"""Fixed-node quadrature shared by the purchase processes (fixed nodes keep likelihoods smooth
in the parameters, which the optimiser and the finite-difference Hessian need)."""

from __future__ import annotations

import numpy as np


def _tanh_sinh(step: float = 1 / 12, half_width: float = 3.6):
    """Nodes in (-1, 1) and weights of the double-exponential (tanh-sinh) rule.

    Its nodes crowd doubly exponentially towards both ends, so integrands that are steep or
    concentrated at an end (a power law with a large exponent) are integrated as accurately as
    smooth ones."""
    t = np.arange(-half_width, half_width + step / 2, step)
    u = np.pi / 2 * np.sinh(t)
    nodes = np.tanh(u)
    weights = step * np.pi / 2 * np.cosh(t) / np.cosh(u) ** 2
    keep = np.abs(nodes) < 1.0
    return nodes[keep], weights[keep]


TANH_SINH = _tanh_sinh()


def log_integral(log_integrand, lower, upper, shares: bool = False):
    """log of the integral of exp(log_integrand(v)) over [lower, upper], per row.

    ``lower`` and ``upper`` are arrays (one interval per row); ``log_integrand`` receives a
    (rows x nodes) array of abscissae and returns the log integrand there. Rows with
    upper <= lower get -inf. With ``shares``, also each node's share of its row's integral
    (rows x nodes): the weights of an expectation under the normalised integrand, which is what
    a derivative of the log integral with respect to a parameter of the integrand needs."""
    lower = np.asarray(lower, float)[:, None]
    upper = np.asarray(upper, float)[:, None]
    nodes, weights = TANH_SINH
    half = (upper - lower) / 2
    v = lower + half * (1.0 + nodes[None, :])
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = log_integrand(v) + np.log(weights)[None, :] + np.log(half)
    terms = np.where(half > 0, terms, -np.inf)
    top = np.max(terms, axis=1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    scaled = np.exp(np.maximum(terms - top, -700.0))   # e^-700 ~ 1e-304 changes no sum; below it, slow subnormals
    scaled[~np.isfinite(terms)] = 0.0
    total = np.sum(scaled, axis=1, keepdims=True)
    with np.errstate(divide="ignore"):
        value = (top + np.log(total))[:, 0]
    if not shares:
        return value
    with np.errstate(divide="ignore", invalid="ignore"):
        return value, flush_tiny(np.where(total > 0, scaled / total, 0.0))


TINY = 1e-200


def flush_tiny(values: np.ndarray) -> np.ndarray:
    """Weights below 1e-200 set to 0: they change no sum, and subnormal numbers (below 2e-308,
    where such weights end up after a product) make every later multiplication several times
    slower."""
    return np.where(values > TINY, values, 0.0)


def logsumexp_rows(values: np.ndarray) -> np.ndarray:
    """log(sum(exp(values))) along each row: scipy.special.logsumexp's result without its
    array-API machinery (a third of a likelihood call on a few thousand rows); -inf for a row
    of -inf."""
    top = np.max(values, axis=1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return (top + np.log(np.sum(np.exp(np.maximum(values - top, -700.0)) * np.isfinite(values), axis=1,
                                    keepdims=True)))[:, 0]
