"""Fit effect sizes to past campaigns by simulated moments with common random numbers.

    Q(theta) = (g_obs - g_sim(theta))' W (g_obs - g_sim(theta)),   W = Omega^-1,
    Omega = Omega_data + Omega_sim,

g the log relative uplifts of every campaign (``moments.py``), g_sim(theta) the engine's at
effect sizes theta with the same seeds at every theta (so Q is smooth enough to
differentiate), Omega_data the covariance of the data's moments (from the customers' own
spread; weekly totals borrow the simulated customers' spread at the data's arm sizes) and
Omega_sim that of the simulated ones (the noise frozen into the fitting seeds). Q is
minimised by Levenberg-Marquardt inside the effects' declared bounds; W is computed at the
start, then again at the fit, and the fit refined (two-step efficient GMM).

Uncertainty: Cov(theta) = (J'WJ)^-1 J'W Omega W J (J'WJ)^-1 (= (J'WJ)^-1 here), J the
central-difference slope of g_sim at the fit. Goodness of fit: Hansen's J = Q(theta_hat),
chi-square with (moments - parameters) degrees of freedom under the model; with as many
moments as parameters the test cannot reject and says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simlib.calibrate._errors import user_error
from simlib.calibrate.uplift import moments as mom
from simlib.calibrate.uplift.campaign import simulate

MAX_EVALUATIONS = 400    # engine evaluations (each runs every arm of every campaign): bounded time
STEP_SHARE = 0.1         # finite-difference step: this share of the effect's scale


@dataclass(frozen=True)
class Target:
    """An effect to fit: its dotted key, search range (declared bounds), start and scale."""

    key: str
    low: float
    high: float
    start: float
    unit: str
    doc: str

    @property
    def scale(self) -> float:
        return max(abs(self.start), 0.5, 0.02 * (self.high - self.low))


def expand_fit_keys(keys, parts=None) -> list:
    """``promotion`` stands for the parts of the promotion response a campaign's weekly data can
    tell apart (``parts``, by default ``simlib.promotion.FITTED_PARTS``: the immediate lift,
    buying ahead, reference prices; a ``DipForm``'s parts); every other key is itself."""
    from simlib.promotion import FITTED_PARTS
    parts = FITTED_PARTS if parts is None else parts
    out = []
    for key in keys:
        if key == "promotion":
            out += [k for k in parts if k not in out]
        elif key not in out or key not in parts:   # a key named twice is still refused below
            out.append(key)
    return out


def targets_for(campaigns, keys, parts=None) -> list[Target]:
    """Targets for ``keys`` (``promotion`` standing for ``parts``), with the start value of the
    first scenario that declares each."""
    from simlib.keys import canonical_key, declared_param, effect_bounds, require_float_key
    keys = expand_fit_keys(keys, parts)
    if not keys:
        raise user_error("nothing to fit: name the effects with --fit, e.g. --fit behavior.discount_effect, or "
                         "--fit promotion (the immediate lift, buying ahead and reference prices)")
    datas = [s.data for c in campaigns for s in c.scenarios()]
    keys = [canonical_key(k, datas) for k in keys]   # a bare name where it is unambiguous
    if len(set(keys)) != len(keys):
        raise user_error(f"--fit names {next(k for k in keys if keys.count(k) > 1)} twice")
    out = []
    for key in keys:
        param = require_float_key(key, datas, "--fit")
        start = None
        for data in datas:
            if declared_param(key, data) is not None:
                node = data
                for part in key.split("."):
                    node = node[part]
                start = float(node)
                break
        low, high = effect_bounds(key, param, float(param.default))
        start = min(max(start, low), high)
        out.append(Target(key, low, high, start, param.unit, param.doc))
    return out


class Problem:
    """The moment conditions of several campaigns and the engine evaluations behind them."""

    def __init__(self, campaigns, targets, seed: int = 0, replications: int = 1, progress=None,
                 fixed: dict | None = None):
        self.campaigns, self.targets = campaigns, targets
        self.fixed = dict(fixed or {})  # effects held at a value in every evaluation (a DipForm's)
        self.progress = progress        # a callable told every few engine evaluations, or None
        self.seeds = [[seed + 7919 * c + r for r in range(replications)] for c in range(len(campaigns))]
        self.evaluations = 0
        self._cache = [{} for _ in campaigns]
        self._relevant = [{t.key for t in targets if _moves(c, t.key)} for c in campaigns]
        self.g_obs = np.concatenate([mom.log_uplift(c.data.means, c.data.control, c.data.treatments)
                                     for c in campaigns])

    def values(self, theta) -> dict:
        """The fitted effects at ``theta``, beside the ones held fixed."""
        return {**self.fixed, **{t.key: float(v) for t, v in zip(self.targets, theta)}}

    def simulate(self, theta, keep_units: bool = False) -> list:
        """Every campaign at ``theta``. A campaign whose scenarios do not run the policy an effect
        belongs to is not run again when only that effect moves (its arms cannot change)."""
        if self.evaluations >= MAX_EVALUATIONS:
            raise user_error(f"the fit needed more than {MAX_EVALUATIONS} engine evaluations; fit fewer effects, "
                             "or check that each is informed by a campaign")
        self.evaluations += 1
        values = self.values(theta)
        if self.progress is not None and self.evaluations % 5 == 1:
            shown = ", ".join(f"{t.key.split('.')[-1]} {v:.4g}" for t, v in zip(self.targets, theta))
            self.progress(f"engine evaluation {self.evaluations} ({shown})")
        out = []
        for i, (c, seeds) in enumerate(zip(self.campaigns, self.seeds)):
            key = tuple((k, v) for k, v in values.items() if k in self._relevant[i])
            hit = self._cache[i].get(key)
            if hit is None or (keep_units and hit.units is None):
                hit = simulate(c, values, seeds, keep_units)
                if len(self._cache[i]) >= 32:
                    self._cache[i].pop(next(iter(self._cache[i])))
                self._cache[i][key] = hit
            out.append(hit)
        return out

    def g_sim(self, sims) -> np.ndarray:
        return np.concatenate([mom.log_uplift(s.means, c.data.control, c.data.treatments)
                               for c, s in zip(self.campaigns, sims)])

    def omegas(self, sims) -> tuple[np.ndarray, np.ndarray]:
        """Covariance of the data's moments and of the simulated ones (block-diagonal over campaigns)."""
        data_blocks, sim_blocks = [], []
        for c, s in zip(self.campaigns, sims):
            d, arms = c.data, c.data.arms
            k = len(d.means[d.control])
            blocks = d.cov if d.cov is not None else mom.unit_blocks(s.units, scale_to=d.sizes)
            m, cov = mom.stacked_cov(d.means, arms, blocks)
            data_blocks.append(mom.uplift_cov(m, cov, k, arms))
            if s.paired:
                m, cov = mom.paired_cov(s.means, arms, s.units)
            else:
                m, cov = mom.stacked_cov(s.means, arms, mom.unit_blocks(s.units))
            sim_blocks.append(mom.uplift_cov(m, cov, k, arms))
        return _block_diag(data_blocks), _block_diag(sim_blocks)


def _moves(campaign, key: str) -> bool:
    """Can ``key`` change this campaign's arms? Behaviour keys always can; a policy's key only
    where one of its scenarios runs that policy."""
    from simlib.keys import declared_param
    return not key.startswith("policies.") or any(declared_param(key, s.data) is not None
                                                  for s in campaign.scenarios())


def _block_diag(blocks) -> np.ndarray:
    size = sum(len(b) for b in blocks)
    out = np.zeros((size, size))
    at = 0
    for b in blocks:
        out[at:at + len(b), at:at + len(b)] = b
        at += len(b)
    return out


def _whitener(omega: np.ndarray) -> np.ndarray:
    """L with L'L = omega^-1 (eigenvalues floored, so nearly collinear moments do not explode)."""
    vals, vecs = np.linalg.eigh((omega + omega.T) / 2)
    floor = max(vals.max(), 1e-300) * 1e-10
    return (vecs / np.sqrt(np.maximum(vals, floor))).T


@dataclass
class FitOutcome:
    theta: np.ndarray
    cov: np.ndarray
    jacobian: np.ndarray
    g_fit: np.ndarray
    omega: np.ndarray
    omega_data: np.ndarray
    omega_sim: np.ndarray
    mask: np.ndarray
    objective: float
    converged: bool
    sims: list


def fit(problem: Problem, max_iter: int = 12) -> FitOutcome:
    """Two-step efficient simulated moments; see the module docstring."""
    targets = problem.targets
    theta = np.array([t.start for t in targets])
    sims = problem.simulate(theta, keep_units=True)
    g0 = problem.g_sim(sims)
    omega_data, omega_sim = problem.omegas(sims)
    mask = (np.isfinite(problem.g_obs) & np.isfinite(g0) & (np.diag(omega_data) > 0)
            & np.isfinite(np.diag(omega_data)) & np.isfinite(np.diag(omega_sim)))
    if not mask.any():
        raise user_error("no moment can be compared: every arm mean is zero in the data or the simulation "
                         "(check the window, the population and that the arms bought something)")
    converged = False
    for stage in range(2):
        omega = (omega_data + omega_sim)[np.ix_(mask, mask)]
        whiten = _whitener(omega)
        theta, converged = _levenberg_marquardt(problem, theta, whiten, mask, max_iter if stage == 0 else 4)
        sims = problem.simulate(theta, keep_units=True)
        omega_data, omega_sim = problem.omegas(sims)
    omega = (omega_data + omega_sim)[np.ix_(mask, mask)]
    whiten = _whitener(omega)
    g_fit = problem.g_sim(sims)
    resid = whiten @ (problem.g_obs - g_fit)[mask]
    jac = _central_jacobian(problem, theta, mask)
    weight = whiten.T @ whiten
    bread = np.linalg.pinv(jac.T @ weight @ jac)
    cov = bread @ (jac.T @ weight @ omega @ weight @ jac) @ bread
    return FitOutcome(theta, cov, jac, g_fit, omega, omega_data, omega_sim, mask, float(resid @ resid),
                      converged, sims)


def _clip(problem, theta):
    return np.array([min(max(v, t.low), t.high) for v, t in zip(theta, problem.targets)])


def _levenberg_marquardt(problem, theta, whiten, mask, max_iter):
    def residual(th):
        return whiten @ (problem.g_obs - problem.g_sim(problem.simulate(th)))[mask]

    scale = np.array([t.scale for t in problem.targets])
    res = residual(theta)
    cost, damping = res @ res, 1e-2
    for _ in range(max_iter):
        jac = np.empty((res.size, theta.size))
        for j in range(theta.size):
            step = STEP_SHARE * scale[j] * (1 if theta[j] + STEP_SHARE * scale[j] <= problem.targets[j].high else -1)
            shifted = theta.copy()
            shifted[j] += step
            jac[:, j] = (residual(shifted) - res) / step
        grad, normal = jac.T @ res, jac.T @ jac
        improved = False
        reach = 2 * scale          # the largest move tried; halved with each rejected step (else a clipped
        for _ in range(5):         # step would be tried again unchanged however large the damping)
            delta = -np.linalg.solve(normal + damping * np.diag(np.diag(normal) + 1e-12), grad)
            delta = np.clip(delta, -reach, reach)
            trial = _clip(problem, theta + delta)
            res_trial = residual(trial)
            cost_trial = res_trial @ res_trial
            if cost_trial < cost:
                relative = (cost - cost_trial) / max(cost, 1e-12)
                moved = np.max(np.abs(trial - theta) / scale)
                theta, res, cost = trial, res_trial, cost_trial
                damping = max(damping / 3, 1e-6)
                improved = True
                break
            damping *= 4
            reach = reach / 2
        if not improved:
            return theta, True
        if relative < 1e-4 or moved < 1e-3:
            return theta, True
    return theta, False


def _central_jacobian(problem, theta, mask) -> np.ndarray:
    """d g_sim / d theta at the fit: central differences of half-step STEP_SHARE x scale
    (one-sided at a bound). Wide enough that whole customers changing their minds read as
    slope, not as noise."""
    cols = []
    for j, t in enumerate(problem.targets):
        h = STEP_SHARE * t.scale
        up, down = theta.copy(), theta.copy()
        up[j] = min(theta[j] + h, t.high)
        down[j] = max(theta[j] - h, t.low)
        g_up = problem.g_sim(problem.simulate(up))[mask]
        g_down = problem.g_sim(problem.simulate(down))[mask]
        cols.append((g_up - g_down) / (up[j] - down[j]))
    return np.column_stack(cols)
