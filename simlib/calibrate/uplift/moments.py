"""The moments matched: log relative uplifts of each treated arm over the control group.

For a campaign with control arm c, treated arms a, outcomes o (orders, spend) and periods p
(the whole window, or weeks), the moment is

    g[a, o, p] = log(mean of o in arm a, period p) - log(mean of o in arm c, period p).

A relative uplift does not move when the scenario's baseline buys a little more or less than
the team's customers (levers act on hazards as multipliers), so an effect fitted to it is not
a baseline misfit in disguise. Its covariance follows from the covariance of the arm means by
the delta method: d g = d m_a / m_a - d m_c / m_c.
"""

from __future__ import annotations

import numpy as np


def log_uplift(means: dict, control: str, treatments: list) -> np.ndarray:
    """Stacked g over treated arms (arm-major, then outcome and period as in the means)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        base = np.log(means[control])
        return np.concatenate([np.log(means[a]) - base for a in treatments])


def stacked_cov(means: dict, arms: list, blocks: dict) -> tuple[np.ndarray, np.ndarray]:
    """Stacked arm means and a block-diagonal covariance (arms independent)."""
    m = np.concatenate([means[a] for a in arms])
    size = len(m)
    cov = np.zeros((size, size))
    at = 0
    for a in arms:
        k = len(means[a])
        cov[at:at + k, at:at + k] = blocks[a]
        at += k
    return m, cov


def paired_cov(means: dict, arms: list, units: dict) -> tuple[np.ndarray, np.ndarray]:
    """Stacked arm means and their covariance when every arm holds the same customers (rows
    of ``units[a]`` are the same people): covariance of the stacked per-customer rows / n."""
    m = np.concatenate([means[a] for a in arms])
    stacked = np.concatenate([units[a] for a in arms], axis=1)
    return m, np.atleast_2d(np.cov(stacked, rowvar=False)) / len(stacked)


def uplift_cov(m: np.ndarray, cov: np.ndarray, control_size: int, arms: list) -> np.ndarray:
    """Covariance of ``log_uplift`` from the covariance of the stacked means (control first,
    each arm ``control_size`` entries): G cov G' with G = d g / d m."""
    treated = len(arms) - 1
    k = control_size
    grad = np.zeros((treated * k, len(m)))
    with np.errstate(divide="ignore"):
        inv = 1.0 / m
    for t in range(treated):
        rows = slice(t * k, (t + 1) * k)
        grad[rows, (t + 1) * k:(t + 2) * k] = np.diag(inv[(t + 1) * k:(t + 2) * k])
        grad[rows, 0:k] = -np.diag(inv[0:k])
    return grad @ cov @ grad.T


def unit_blocks(units: dict, scale_to: dict | None = None) -> dict:
    """Per arm: covariance of its mean from per-customer rows, for ``scale_to[arm]`` customers
    (default: as many as there are rows)."""
    out = {}
    for arm, rows in units.items():
        n = (scale_to or {}).get(arm, len(rows))
        out[arm] = np.atleast_2d(np.cov(rows, rowvar=False)) / n
    return out
