"""Uncertainty and goodness of fit of a funnel fit by simulated moments.

Sandwich: Cov(log theta) = (J'J)^-1 J' Omega J (J'J)^-1, where r is the scaled residual
vector, J = dr/dlog theta and Omega = Cov(r). What brought the 95 % intervals from 85 % (20
trials, benchmarks/calibration_coverage.py) to 95 % and 95 % (80 trials; sd of the z-scores 1.06 and 1.13):
- J from one seed is noisy, and noise in J inflates J'J and shrinks the intervals: J is the
  average of central differences over ``jacobian_runs`` seeds (common random numbers within
  each seed); 4 seeds leave the standard error < 0.5 % low;
- Omega is estimated from ``omega_runs`` independent engine runs, so the standard error has
  omega_runs - 1 degrees of freedom: intervals use Student's t quantile;
- those runs' seeds are hashed from the fit's seed (``auxiliary_seeds``): with seed + 10,000 + j,
  fits with neighbouring seeds shared all but one run, so the benchmark's trials shared one
  draw of Omega (at the truth 2 % and 11 % below the standard errors from 195 other runs),
  which the t quantile, paying for an Omega drawn afresh in each fit, cannot cover.
Omega * scale is the variance of the residual at the truth: over 100 pairs of data and fitting
seeds the linear prediction -(J'J)^-1 J' r has sd 1.08 and 1.02 (+- 0.07) of the sandwich's.
Not counted: the fit's own seed makes the objective rough, and the optimum found moves by
0.14 and 0.28 standard errors (sd) from the linear prediction (interest, first purchase).
Goodness of fit: Q = r'r at the fit against draws of Q under the fitted model. Each
independent run's deviation d_j is projected as the fit would project it,
q_j = d_j' (I - J (J'J)^-1 J') d_j, so fitting is accounted for (comparing Q with unfitted
draws made the test conservative); p = (1 + #{q_j >= Q}) / (omega_runs + 1), which cannot
go below 1 / (omega_runs + 1): at least 19 runs are needed to reject at 5 % (p <= 0.05).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

JACOBIAN_STEP = 0.25  # central-difference half-step in log hazard
MIN_RUNS_TO_REJECT = 19
OMEGA, JACOBIAN, BOOTSTRAP = 1, 2, 3  # purposes of the engine seeds a fit draws besides its own


def auxiliary_seeds(seed: int, purpose: int, count: int) -> list[int]:
    """``count`` engine seeds for one purpose of the fit with ``seed``, hashed from (seed, purpose).

    Fits with different seeds draw unrelated runs: with seed + 10,000 + j the Omega runs of
    seeds s and s + 1 shared 38 of 39 runs, so repeated fits shared one draw of Omega."""
    state = np.random.SeedSequence([int(seed), 0x5EED, int(purpose)]).generate_state(count, dtype=np.uint64)
    return [int(x >> np.uint64(1)) for x in state]


@dataclass
class FunnelUncertainty:
    log_cov: np.ndarray
    p_value: float
    degrees_of_freedom: int     # of the standard errors (Student t intervals)
    jacobian: np.ndarray

    @property
    def smallest_p_value(self) -> float:
        return 1.0 / (self.degrees_of_freedom + 2)


def jacobian(residual_at_seeds, theta, seeds) -> np.ndarray:
    """dr/dlog theta at ``theta``: central differences of the residual averaged over ``seeds``."""
    columns = []
    for e in np.eye(theta.size):
        up = residual_at_seeds(theta + JACOBIAN_STEP * e, seeds)
        down = residual_at_seeds(theta - JACOBIAN_STEP * e, seeds)
        columns.append((up - down) / (2 * JACOBIAN_STEP))
    return np.column_stack(columns)


def funnel_uncertainty(jac: np.ndarray, deviations: np.ndarray, scale: float, objective: float) -> FunnelUncertainty:
    """Sandwich covariance and simulated p-value from the scaled deviations of independent runs
    at the fit (rows: runs), ``scale`` = their variance relative to data + fitting-run noise."""
    runs = deviations.shape[0]
    dev = deviations - deviations.mean(axis=0)
    bread = np.linalg.pinv(jac.T @ jac)
    u = dev @ jac
    meat = np.atleast_2d(np.cov(u, rowvar=False)) * scale
    log_cov = bread @ meat @ bread
    projected = dev - (dev @ jac) @ bread @ jac.T
    q_sim = np.sum(projected**2, axis=1) * scale * runs / max(runs - 1, 1)
    p_value = float((1 + np.sum(q_sim >= objective)) / (runs + 1))
    return FunnelUncertainty(log_cov, p_value, max(runs - 1, 1), jac)
