"""Fit a scenario to stage counts per period (and the team's ad spend), by simulated moments.

Data (``simlib.calibrate.funnel_data``): one row per period with stage counts, optional flows
(new_interested, new_buyers, ...) and ad spend per policy or channel; the last periods may be
held out. The scenario is set up as the data describe it (``funnel_model.prepare``: market
size, starting state, the spend as each ad policy's budget), and the fitted parameters are any
positive number parameters: hazards under ``behavior:``, the heterogeneity and word-of-mouth
terms, and each ad policy's reach per impression and saturation (``funnel_model.default_keys``).

Moments: stage shares at the end of each fitted period and flows per customer over it. The
engine is run at trial values with the same seed every time (common random numbers, so the
objective is smooth enough to differentiate), and the weighted distance
    Q(theta) = sum_k ((m_obs_k - m_sim_k(theta)) / sigma_k)^2,
with binomial scales sigma_k, is minimised by Levenberg-Marquardt with finite-difference
Jacobians, in asinh(theta / c) for hazards, reach and saturation (log-like, reaching 0) and in
theta for spreads and ratios (`funnel_model.Coordinates`). Uncertainty: the MSM sandwich
    Cov(log theta) = (J'J)^-1 J' Omega J (J'J)^-1,
with Omega from independent runs at the fit; which parameters the data identify, and two
p-values (`simlib.calibrate.funnel_uncertainty`). Predictions for held-out periods or a budget
plan carry the covariance into a band (`simlib.calibrate.funnel_predict`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simlib.calibrate._errors import user_error
from simlib.calibrate.funnel_data import (FLOWS, POLICY_COL, FunnelData, moments, read_funnel, read_spend,  # noqa: F401
                                          with_holdout)
from simlib.calibrate.funnel_example import EXAMPLE_TRUTH, make_example_funnel  # noqa: F401 (public)
from simlib.calibrate.funnel_model import Coordinates, default_keys, fit_keys, prepare
from simlib.calibrate.funnel_result import FunnelFit
from simlib.calibrate.funnel_uncertainty import (BOOTSTRAP, JACOBIAN, MIN_RUNS_TO_REJECT, OMEGA, auxiliary_seeds,
                                                 funnel_uncertainty, identification, jacobian)

__all__ = ["FLOWS", "FunnelData", "FunnelFit", "calibrate_funnel", "fit_funnel", "read_funnel", "read_spend",
           "with_holdout"]


def _check_policies(data: FunnelData, scenario):
    if data.policies is None:
        return
    running = sorted(name for name, cfg in scenario.data["policies"].items() if cfg["enabled"])
    if data.policies != running:
        raise user_error(f"{data.source}, column {POLICY_COL!r}: the data ran {data.policies or 'no policies'} "
                         f"but scenario {scenario.source} runs {running or 'none'}; make the scenario match the "
                         "period the data covers")


class _Simulator:
    """Moments of the engine at given parameter values, with fixed seeds (common random numbers)."""

    def __init__(self, scenario, data: FunnelData, coords: Coordinates, users: int, replications: int, seed: int):
        self.scenario, self.data, self.coords, self.keys = scenario, data, coords, coords.keys
        self.users, self.replications, self.seed = users, replications, seed
        self.periods = data.fitted_counts.index.to_numpy()
        self.columns = data.stocks + data.flows
        self.runs = 0

    def at(self, theta):
        values = self.coords.to_values(self.coords.clip(theta))
        return self.scenario.override({k: float(v) for k, v in zip(self.keys, values)}, source="<calibrate funnel>")

    def moments(self, theta, seeds=None) -> np.ndarray:
        """Moments averaged over ``seeds`` (default: the fitting seeds)."""
        return self.moments_each(theta, seeds).mean(axis=0)

    def moments_each(self, theta, seeds=None) -> np.ndarray:
        """Moments of each seed's run (rows), the runs batched over one population."""
        from simlib.run import MAX_BATCH_CUSTOMERS, run_batch
        scenario = self.at(theta)
        seeds = list(seeds if seeds is not None else range(self.seed, self.seed + self.replications))
        per_batch = max(1, min(MAX_BATCH_CUSTOMERS, 1_000_000) // self.users)  # bounds memory
        rows = []
        for i in range(0, len(seeds), per_batch):
            for result in run_batch(scenario, seeds=seeds[i:i + per_batch], users=self.users, days=self.data.days):
                rows.append(moments(result.daily, self.periods, self.data.period_days, self.columns,
                                    self.users).ravel())
        self.runs += len(seeds)
        return np.array(rows)


def fit_funnel(data: FunnelData, scenario, keys=None, users: int | None = None, replications: int = 1,
               seed: int = 0, omega_runs: int = 39, bootstrap: int = 0, max_iter: int = 15,
               rng: np.random.Generator | None = None, jacobian_runs: int = 8) -> FunnelFit:
    """Fit ``keys`` of ``scenario`` to ``data`` (see the module docstring); ``keys`` are dotted keys
    (``behavior.interest_per_day``, ``policies.douyin_ads.awareness_per_impression``) or bare names
    where unambiguous; None: ``default_keys``.

    ``omega_runs`` independent runs give the sandwich's Omega and the p-value (at least 19 to
    be able to reject at 5 %); ``jacobian_runs`` seeds average the sandwich's slope. Their
    seeds are hashed from ``seed``, so fits with different seeds share none of them."""
    from simlib.keys import canonical_key
    _check_policies(data, scenario)
    prepared, users, size, notes = prepare(data, scenario, users)
    fixed = {}
    if keys is None:
        keys, why, fixed = default_keys(data, prepared)
        notes += why
        if fixed:
            prepared = prepared.override(fixed, source="<calibrate funnel: default fit>")
    else:
        keys = [canonical_key(k, [prepared.data]) for k in keys]
        if len(set(keys)) != len(keys):
            raise user_error(f"--fit names {next(k for k in keys if keys.count(k) > 1)} twice")
    if not keys:
        raise user_error("nothing to fit: name parameters with --fit, e.g. --fit behavior.interest_per_day")
    spec = fit_keys(keys, prepared)
    coords = Coordinates(spec)
    bounds = coords.bounds
    sim = _Simulator(prepared, data, coords, users, replications, seed)
    shape = (len(sim.periods), len(sim.columns))
    m_obs = (data.fitted_counts[sim.columns].to_numpy(float) / size).ravel()
    var = np.maximum(m_obs * (1 - np.minimum(m_obs, 1)), 1.0 / size) * (1.0 / size + 1.0 / (users * replications))
    sigma = np.sqrt(var)

    def residual(theta):
        return (m_obs - sim.moments(theta)) / sigma

    theta, _jac, res, converged = _levenberg_marquardt(residual, coords.start, max_iter, bounds)
    objective = float(res @ res)
    m_fit = m_obs - res * sigma

    # the sandwich: slope averaged over seeds, Omega from independent runs at the fit, scaled to
    # data + fitting-run noise (simlib.calibrate.funnel_uncertainty)
    def residual_each(th, seeds):
        return (m_obs - sim.moments_each(th, seeds=seeds)) / sigma
    jac = jacobian(residual_each, theta, auxiliary_seeds(seed, JACOBIAN, jacobian_runs), bounds)
    runs = sim.moments_each(theta, seeds=auxiliary_seeds(seed, OMEGA, omega_runs))
    scale = users * (1.0 / size + 1.0 / (users * replications))
    uncertainty = funnel_uncertainty(jac, runs / sigma, scale, objective)
    from scipy import stats
    quantile = stats.t.ppf(0.975, uncertainty.degrees_of_freedom)
    ident = identification(coords, theta, uncertainty.jacobian, uncertainty.cov, quantile,
                           uncertainty.weak_directions)
    observed = pd.DataFrame(m_obs.reshape(shape), columns=sim.columns)
    fitted = pd.DataFrame(m_fit.reshape(shape), columns=sim.columns)
    observed.insert(0, "period", sim.periods)
    fitted.insert(0, "period", sim.periods)
    rmse = {c: float(np.sqrt(np.mean((observed[c] - fitted[c]) ** 2)) * 100) for c in sim.columns}
    boot = None
    if bootstrap:
        boot = _bootstrap(sim, theta, size, sigma, bootstrap, seed, max_iter, bounds)
    if omega_runs < MIN_RUNS_TO_REJECT:
        notes.append(f"with {omega_runs} runs the p-value cannot go below {1 / (omega_runs + 1):.3f}, so the test "
                     f"cannot reject at 5 %; use at least {MIN_RUNS_TO_REJECT} runs")
    return FunnelFit(keys, coords.to_values(theta), uncertainty.cov, objective, uncertainty.p_value, rmse,
                     observed, fitted, data, prepared, {k.key: k.start for k in spec}, sim.runs, converged, boot,
                     notes, uncertainty.degrees_of_freedom, uncertainty=uncertainty, identification=ident,
                     coords=coords, users=users, size=size, seed=seed, source_scenario=scenario, fixed=fixed)


def _levenberg_marquardt(residual, theta, max_iter, bounds, step=0.2):
    """Minimise ||residual(theta)||^2 inside ``bounds``; forward-difference Jacobians of size
    ``step`` in the fit's coordinates (log space for hazards).

    The engine's events move by whole customers, so a small step measures discreteness more
    than slope for weakly acting parameters; 0.2 (a 22 % change) keeps the slope visible.
    """
    low, high = bounds[:, 0], bounds[:, 1]
    theta = np.clip(theta, low, high)
    res = residual(theta)
    cost = res @ res
    damping = 1e-2
    converged = False
    jac = None

    def slope(th, r):
        cols = []
        for e in np.eye(th.size):
            h = step if th @ e + step <= high @ e else -step   # step inwards at the upper bound
            cols.append((residual(th + h * e) - r) / h)
        return np.column_stack(cols)

    for _ in range(max_iter):
        jac = slope(theta, res)
        grad = jac.T @ res
        normal = jac.T @ jac
        improved = False
        for _ in range(4):
            delta = -np.linalg.solve(normal + damping * np.diag(np.diag(normal) + 1e-12), grad)
            delta = np.clip(delta, -1.0, 1.0)
            trial = np.clip(theta + delta, low, high)
            res_trial = residual(trial)
            cost_trial = res_trial @ res_trial
            if cost_trial < cost:
                improved = True
                relative = (cost - cost_trial) / max(cost, 1e-12)
                moved = np.max(np.abs(trial - theta))
                theta, res, cost = trial, res_trial, cost_trial
                damping = max(damping / 3, 1e-6)
                break
            damping *= 4
        if not improved or (relative < 1e-4 and moved < 0.01):
            converged = True
            break
    if jac is None:
        jac = slope(theta, res)
    return theta, jac, res, converged


def _bootstrap(sim, theta, size, sigma, n_boot, seed, max_iter, bounds):
    """Refit to datasets simulated at the fit (market size of the data, new seeds)."""
    from simlib import run
    fitted = sim.at(theta)
    estimates = []
    for boot_seed in auxiliary_seeds(seed, BOOTSTRAP, n_boot):
        fake = run(fitted, seed=boot_seed, users=size, days=sim.data.days)
        m_fake = moments(fake.daily, sim.periods, sim.data.period_days, sim.columns, size).ravel()

        def residual(th, m_fake=m_fake):
            return (m_fake - sim.moments(th)) / sigma
        th, _, _, _ = _levenberg_marquardt(residual, theta.copy(), max_iter, bounds)
        estimates.append(sim.coords.to_values(th))
    return np.array(estimates)


def calibrate_funnel(path, scenario, fit_keys=None, period_col=None, period_days=None, users=None,
                     replications=1, bootstrap=0, seed=0, omega_runs: int = 39, spend=None,
                     holdout_weeks: int | None = None, holdout_from=None, max_iter: int = 15) -> FunnelFit:
    """Read a funnel CSV (and a spend CSV) and fit ``scenario`` (a path, built-in name or Scenario)
    to it, holding out the last ``holdout_weeks`` weeks (or the periods from ``holdout_from``)."""
    from simlib.run import as_scenario
    data = read_funnel(path, period_col, period_days)
    if spend is not None:
        data = read_spend(spend, data, period_col if period_col in (None, "period", "week", "day", "date") else None)
    data = with_holdout(data, holdout_weeks, holdout_from)
    return fit_funnel(data, as_scenario(scenario), fit_keys, users=users, replications=replications,
                      seed=seed, bootstrap=bootstrap, omega_runs=omega_runs, max_iter=max_iter)
