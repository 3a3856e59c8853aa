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
go below 1 / (omega_runs + 1): at least 19 runs are needed to reject at 5 % (p <= 0.05), and a
p-value at that floor says only "Q is beyond every draw". Beside it, a parametric p-value that
can go lower: Q against a scaled chi-square a * chi2(b) with the draws' mean and variance
(Satterthwaite 1946), a = var / (2 mean), b = 2 mean^2 / var.
Noise in the slopes: with many parameters the averaged J still carries the seeds' noise, and
J'J = (J'J)_true + C, C the noise's own contribution, estimated from the spread of the seeds'
slopes (``information``). In directions where the information left after removing C is below C
the data do not identify the parameters (counted as "not identified", with the noise level as
their information, so their variance is wide but finite); elsewhere the corrected J'J is used.
On a 13-parameter fit of 13 weeks (reach and saturation of two channels, heterogeneity, word of
mouth, forgetting) 3 of 13 directions were of this kind, and the uncorrected sandwich from 4
seeds had standard errors half as large as from 8.
Identification: a parameter is "not identified" by these data when its 95 % interval spans more
than IDENTIFIED_RATIO (upper / lower; spreads: wider than 2 or their range), when it ends on its
upper search bound, when no moment responds to it, or when it makes up most (|weight| >= 0.5) of
a direction the data do not identify. An interval reaching 0 says the parameter could be 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats

JACOBIAN_STEP = 0.25  # central-difference half-step in log hazard
MIN_RUNS_TO_REJECT = 19
OMEGA, JACOBIAN, BOOTSTRAP = 1, 2, 3  # purposes of the engine seeds a fit draws besides its own


def auxiliary_seeds(seed: int, purpose: int, count: int) -> list[int]:
    """``count`` engine seeds for one purpose of the fit with ``seed``, hashed from (seed, purpose).

    Fits with different seeds draw unrelated runs: with seed + 10,000 + j the Omega runs of
    seeds s and s + 1 shared 38 of 39 runs, so repeated fits shared one draw of Omega."""
    state = np.random.SeedSequence([int(seed), 0x5EED, int(purpose)]).generate_state(count, dtype=np.uint64)
    return [int(x >> np.uint64(1)) for x in state]


IDENTIFIED_RATIO = 100.0   # a 95 % interval wider than this (upper / lower) is "not identified"


@dataclass
class FunnelUncertainty:
    cov: np.ndarray             # of the fit's coordinates (log hazards; spreads on their own scale)
    p_value: float
    degrees_of_freedom: int     # of the standard errors (Student t intervals)
    jacobian: np.ndarray
    p_value_chi2: float = float("nan")   # scaled chi-square approximation (can go below the floor)
    q_draws: np.ndarray = field(default_factory=lambda: np.zeros(0))
    weak_directions: list = field(default_factory=list)   # directions the slopes cannot tell from their noise

    @property
    def smallest_p_value(self) -> float:
        """The floor of the simulated p-value: 1 / (runs + 1)."""
        return 1.0 / (self.degrees_of_freedom + 2)


def scaled_chi2_p_value(q_draws: np.ndarray, objective: float) -> float:
    """P(a chi2(b) >= Q) with a chi2(b) matching the mean and variance of the draws of Q."""
    mean, var = float(np.mean(q_draws)), float(np.var(q_draws, ddof=1)) if len(q_draws) > 1 else 0.0
    if not (mean > 0 and var > 0):
        return float("nan")
    scale, dof = var / (2 * mean), 2 * mean**2 / var
    return float(stats.chi2.sf(objective / scale, dof))


@dataclass
class Identification:
    """Which fitted parameters the data pin down (see the module docstring)."""

    identified: np.ndarray        # bool per parameter
    reasons: list                 # per parameter: "" or why not
    weak: list                    # per direction the data do not identify: [(key, weight)], largest first
    at_zero: list = field(default_factory=list)   # keys whose interval reaches 0: the data bound them above

    def notes(self) -> list[str]:
        out = [r for r in self.reasons if r]
        for direction in self.weak:
            if len(direction) > 1:
                out.append("the data cannot see " + ", ".join(f"{k} ({w:+.2f})" for k, w in direction)
                           + " moving together (weights in the fit's coordinates)")
        return out


def identification(coords, theta, jac, cov, quantile: float, weak=None) -> Identification:
    """Flag parameters that no moment responds to, that end on their upper search bound, or whose
    95 % interval spans more than IDENTIFIED_RATIO (hazards, reach, saturation) or more than their
    range (spreads and ratios); name the directions the data do not identify (``information``). An
    interval that reaches the lower bound (0) says the parameter could be 0: the data bound it
    from above only, which is said, not flagged as unidentified."""
    keys = coords.keys
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    values = coords.to_values(theta)
    lower, upper = coords.interval(values, se, quantile)
    slope = np.linalg.norm(jac, axis=0)
    reasons, could_be_zero = [], []
    for i, key in enumerate(keys):
        if slope[i] == 0:
            reasons.append(f"{key}: not identified: no counted column responds to it")
        elif theta[i] >= coords.bounds[i, 1] - 0.05:
            reasons.append(f"{key}: not identified: the fit ends on its upper search bound ({coords.high[i]:.3g})")
        elif lower[i] <= coords.low[i] + 1e-12 * max(1.0, abs(coords.high[i])):
            if upper[i] >= coords.high[i] * (1 - 1e-9):
                reasons.append(f"{key}: not identified: its 95 % interval covers its whole search range")
            else:
                could_be_zero.append(key)
                reasons.append("")
        elif coords.linear[i] and upper[i] - lower[i] > min(coords.high[i] - coords.low[i], 2.0):
            reasons.append(f"{key}: not identified: its 95 % interval is {upper[i] - lower[i]:.3g} wide")
        elif not coords.linear[i] and not upper[i] / lower[i] <= IDENTIFIED_RATIO:
            reasons.append(f"{key}: not identified: its 95 % interval spans a factor of {upper[i] / lower[i]:.3g} "
                           f"(upper / lower > {IDENTIFIED_RATIO:g})")
        else:
            reasons.append("")
    directions = []
    for v in weak or []:
        v = v * np.sign(v[np.argmax(np.abs(v))])
        order = np.argsort(-np.abs(v))
        directions.append([(keys[i], float(v[i])) for i in order if abs(v[i]) >= 0.3])
        for i in np.flatnonzero(np.abs(v) >= 0.5):   # a parameter that is most of such a direction
            if not reasons[i]:
                if keys[i] in could_be_zero:
                    could_be_zero.remove(keys[i])
                others = [k for k, _ in directions[-1] if k != keys[i]]
                reasons[i] = (f"{keys[i]}: not identified: " + (f"the data move it only together with {', '.join(others)}"
                              if others else "the data say no more about it than the noise of the slopes"))
    return Identification(np.array([not r for r in reasons]), reasons, directions, could_be_zero)


def jacobian(residual_each, theta, seeds, bounds=None) -> np.ndarray:
    """dr/dtheta at ``theta`` for each of ``seeds`` (seeds x moments x parameters): central
    differences of that seed's residual (cut to ``bounds`` where a step would leave them:
    one-sided at a bound). ``residual_each(theta, seeds)`` gives one residual row per seed."""
    slopes = []
    for i, e in enumerate(np.eye(theta.size)):
        up, down = theta[i] + JACOBIAN_STEP, theta[i] - JACOBIAN_STEP
        if bounds is not None:
            up, down = min(up, bounds[i, 1]), max(down, bounds[i, 0])
        hi = residual_each(theta + (up - theta[i]) * e, seeds)
        lo = residual_each(theta + (down - theta[i]) * e, seeds)
        slopes.append((hi - lo) / (up - down))
    return np.stack(slopes, axis=2)


def information(jacobians: np.ndarray):
    """(mean slope J, J'J corrected for the noise of the seeds' slopes, the directions it cannot
    tell from that noise). Noise in J adds E[d'd] = C to J'J and so shrinks the sandwich most in
    the directions the data say least about; with S seeds C is estimated from their spread. In each
    eigen-direction v of J'J the information is v'J'Jv - v'Cv; where that is below the noise v'Cv
    the direction is not identified and keeps only the noise level as its information (a wide,
    finite variance), else the corrected value."""
    mean = jacobians.mean(axis=0)
    normal = mean.T @ mean
    seeds = jacobians.shape[0]
    if seeds < 2:
        return mean, normal, []
    dev = jacobians - mean
    noise = np.einsum("smi,smj->ij", dev, dev) / (seeds * (seeds - 1))
    values, vectors = np.linalg.eigh(normal)
    level = np.einsum("ij,jk,ki->i", vectors.T, noise, vectors)
    signal = values - level
    weak = signal < level
    used = np.where(weak, np.maximum(level, 1e-12 * max(values.max(), 1e-12)), signal)
    return mean, (vectors * used) @ vectors.T, [vectors[:, i] for i in np.flatnonzero(weak)]


def funnel_uncertainty(jacobians: np.ndarray, deviations: np.ndarray, scale: float, objective: float) -> FunnelUncertainty:
    """Sandwich covariance and simulated p-value from the per-seed slopes (``jacobian``) and the
    scaled deviations of independent runs at the fit (rows: runs), ``scale`` = their variance
    relative to data + fitting-run noise."""
    if jacobians.ndim == 2:
        jacobians = jacobians[None]
    jac, normal, weak = information(jacobians)
    runs = deviations.shape[0]
    dev = deviations - deviations.mean(axis=0)
    bread = np.linalg.pinv(normal)
    u = dev @ jac
    meat = np.atleast_2d(np.cov(u, rowvar=False)) * scale
    cov = bread @ meat @ bread
    plain = np.linalg.pinv(jac.T @ jac)
    projected = dev - (dev @ jac) @ plain @ jac.T
    q_sim = np.sum(projected**2, axis=1) * scale * runs / max(runs - 1, 1)
    p_value = float((1 + np.sum(q_sim >= objective)) / (runs + 1))
    return FunnelUncertainty(cov, p_value, max(runs - 1, 1), jac, scaled_chi2_p_value(q_sim, objective), q_sim,
                             weak)
