"""Fit funnel hazards of a scenario to stage counts per period, by the method of simulated moments.

Data: a CSV with one row per period (a week or a day): a period column, a count column per
observed stage (any of ``STAGES``) and optionally flow columns (``new_buyers``, ``purchases``,
``pond_joins``, ``unsubscribes``: totals over the period) and a ``policies`` column naming the
policies that were running. A row with period 0 is the state on day 0 and sets the scenario's
``market.initial_stage``; the other rows are moments.

Moments: stage shares at the end of each period and flows per customer over it. The engine is
run at trial hazards with the same seed every time (common random numbers, so the objective is
smooth enough to differentiate), and the weighted distance
    Q(theta) = sum_k ((m_obs_k - m_sim_k(theta)) / sigma_k)^2,
with binomial scales sigma_k, is minimised over log hazards by Levenberg-Marquardt with
finite-difference Jacobians. Uncertainty: the MSM sandwich
    Cov(log theta) = (J'J)^-1 J' Omega J (J'J)^-1,
with Omega, the covariance of the scaled residuals, estimated from independent runs at the
fit (data noise with the data's market size plus the simulation noise of the fitting run),
on seeds hashed from the fit's seed; optionally a parametric bootstrap. Goodness of fit: RMSE
per column in percentage points and a simulated p-value of Q (details, and the coverage of the
intervals, 95 % and 95 % for 95 % in 80 trials, in `simlib.calibrate.funnel_uncertainty`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from simlib.calibrate._errors import user_error
from simlib.calibrate.csvfile import check_text_file, show_header
from simlib.calibrate.fragment import behavior_fragment, write_fragment
from simlib.calibrate.funnel_uncertainty import (BOOTSTRAP, JACOBIAN, MIN_RUNS_TO_REJECT, OMEGA, auxiliary_seeds,
                                                 funnel_uncertainty, jacobian)
from simlib.population import STAGES as STAGE_NAMES  # the engine's stage columns

FLOWS = ("new_buyers", "purchases", "pond_joins", "unsubscribes")
POLICY_COL = "policies"
DEFAULT_KEYS = (  # behaviour key -> columns that inform it
    ("awareness_per_day", ("unaware", "aware")),
    ("interest_per_day", ("interested",)),
    ("first_purchase_per_day", ("purchased", "loyal", "new_buyers")),
    ("dormancy_per_day", ("dormant",)),
    ("dormant_loss_per_day", ("lost",)),
)
LOG_BOUNDS = (np.log(1e-6), np.log(5.0))


@dataclass
class FunnelData:
    """Observed counts per period; ``period_days`` days per period, day 0 = start of period 1."""

    counts: pd.DataFrame        # index: period 1..P; columns: stage and flow names
    period_days: int
    market_size: int | None     # N, when every stage is counted (rows sum to it)
    initial: dict | None        # stage -> share on day 0 (from a period-0 row)
    policies: list[str] | None  # policies named in the policies column
    source: str

    @property
    def stocks(self) -> list[str]:
        return [c for c in self.counts.columns if c in STAGE_NAMES]

    @property
    def flows(self) -> list[str]:
        return [c for c in self.counts.columns if c in FLOWS]

    @property
    def days(self) -> int:
        return int(self.counts.index.max()) * self.period_days


def read_funnel(path, period_col: str | None = None, period_days: int | None = None) -> FunnelData:
    """Read a funnel CSV; problems raise `simlib.UserError` naming the file, row and column.

    Without ``period_col`` the first of period, week, day, date in the header is used."""
    path = Path(path)
    source = str(path)
    check_text_file(path, "one row per period")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as exc:
        raise user_error(f"{source}: not a readable CSV ({str(exc)[:200]})") from None
    except UnicodeDecodeError:
        raise user_error(f"{source}: not UTF-8 text; save the CSV as UTF-8") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.index = np.arange(2, len(frame) + 2)
    if period_col is None:
        period_col = next((c for c in ("period", "week", "day", "date") if c in frame.columns), "period")
    if period_col not in frame.columns:
        raise user_error(f"{source}, row 1, column {period_col!r}: no period column named {period_col!r}; "
                         f"the header has {show_header(frame.columns)} (choose it with --period-col)")
    if frame.empty:
        raise user_error(f"{source}: no rows below the header row")
    allowed = set(STAGE_NAMES) | set(FLOWS) | {period_col, POLICY_COL}
    for column in frame.columns:
        if column not in allowed:
            raise user_error(f"{source}, row 1, column {column[:40]!r}: unknown column; allowed: the period column "
                             f"{period_col!r}, stages {', '.join(STAGE_NAMES)}, flows {', '.join(FLOWS)}, "
                             f"and {POLICY_COL!r}")
    measured = [c for c in frame.columns if c in STAGE_NAMES or c in FLOWS]
    if not measured:
        raise user_error(f"{source}, row 1: no stage or flow columns; allowed: {', '.join(STAGE_NAMES + FLOWS)}")
    periods, days_per = _parse_periods(frame[period_col], source, period_col, period_days)
    counts = pd.DataFrame(index=frame.index)
    for column in measured:
        values = pd.to_numeric(frame[column].str.strip(), errors="coerce")
        bad = values.isna() | (values < 0)
        if bad.any():
            row = int(values.index[bad.to_numpy()][0])
            raise user_error(f"{source}, row {row}, column {column!r}: {frame.loc[row, column]!r} is not a count; "
                             "allowed: a number >= 0")
        counts[column] = values.to_numpy(dtype=float)
    counts.index = periods
    policies = _parse_policies(frame, source) if POLICY_COL in frame.columns else None
    stocks = [c for c in measured if c in STAGE_NAMES]
    market_size = None
    if len(stocks) == len(STAGE_NAMES):
        totals = counts[stocks].sum(axis=1).to_numpy()
        market_size = int(round(totals[0]))
        off = np.flatnonzero(np.abs(totals - totals[0]) > max(1.0, 0.001 * totals[0]))
        if off.size:
            row = int(frame.index[off[0]])
            raise user_error(f"{source}, row {row}: the stage counts sum to {totals[off[0]]:,.0f}, but to "
                             f"{totals[0]:,.0f} in the first row; the market is fixed, so every row must sum to the same N")
    initial = None
    if periods[0] == 0:
        if len(stocks) < len(STAGE_NAMES) - 1:
            raise user_error(f"{source}, row 2: a period-0 row sets the starting state and needs every stage "
                             f"(or all but one); it has {stocks}")
        row0 = counts.iloc[0]
        total = market_size or row0[stocks].sum()
        initial = {s: float(row0[s] / total) for s in stocks if s != "unaware" and row0[s] > 0}
        counts = counts.iloc[1:]
    if counts.empty:
        raise user_error(f"{source}: no periods after period 0 to fit")
    return FunnelData(counts, days_per, market_size, initial, policies, source)


def _parse_periods(values, source, column, period_days):
    text = values.str.strip()
    if text.str.match(r"^\d+$").all():
        periods = text.astype(int).to_numpy()
        if period_days is None:
            name = column.lower()
            period_days = 7 if name.startswith("week") else 1 if name.startswith("day") else None
            if period_days is None:
                raise user_error(f"{source}, column {column!r}: say how many days a period lasts with "
                                 "--period-days (or name the column week or day)")
    else:
        dates = pd.to_datetime(text, format="ISO8601", errors="coerce")
        if dates.isna().any():
            row = int(text.index[dates.isna().to_numpy()][0])
            raise user_error(f"{source}, row {row}, column {column!r}: {text.loc[row]!r} is neither a period number "
                             "nor a date like 2024-03-01")
        gaps = np.diff(dates.to_numpy()).astype("timedelta64[D]").astype(int)
        step = period_days or (int(gaps[0]) if gaps.size else 1)
        if gaps.size and (gaps != step).any():
            row = int(text.index[1 + np.flatnonzero(gaps != step)[0]])
            raise user_error(f"{source}, row {row}, column {column!r}: periods must be evenly spaced "
                             f"({step} days apart, as the first two are)")
        period_days = step
        first = 1  # the first dated row is the end of period 1
        periods = first + np.arange(len(dates))
    if period_days < 1:
        raise user_error(f"--period-days {period_days}: must be at least 1")
    expected = np.arange(periods[0], periods[0] + len(periods))
    if periods[0] not in (0, 1) or (periods != expected).any():
        bad = int(np.flatnonzero(periods != expected)[0]) if (periods != expected).any() else 0
        row = int(values.index[bad])
        raise user_error(f"{source}, row {row}, column {column!r}: periods must run 0 or 1, 2, 3, ... without gaps; "
                         f"found {values.iloc[bad]!r}")
    return periods, int(period_days)


def _parse_policies(frame, source):
    names = None
    for row, text in frame[POLICY_COL].items():
        parts = sorted(p for p in re.split(r"[;,+|\s]+", text.strip()) if p and p.lower() != "none")
        if names is None:
            names, first_row = parts, row
        elif parts != names:
            raise user_error(f"{source}, row {row}, column {POLICY_COL!r}: lists {parts or 'none'} but row "
                             f"{first_row} lists {names or 'none'}; policies switching on and off within the data "
                             "are not supported: fit each stretch with the same policies separately")
    return names


def _check_policies(data: FunnelData, scenario):
    if data.policies is None:
        return
    running = sorted(name for name, cfg in scenario.data["policies"].items() if cfg["enabled"])
    if data.policies != running:
        raise user_error(f"{data.source}, column {POLICY_COL!r}: the data ran {data.policies or 'no policies'} "
                         f"but scenario {scenario.source} runs {running or 'none'}; make the scenario match the "
                         "period the data covers")


def _moments(daily: pd.DataFrame, data: FunnelData, users: int) -> np.ndarray:
    """Stage shares at each period end and flows per customer per period, as one vector."""
    length = data.period_days
    periods = data.counts.index.to_numpy()
    ends = periods * length - 1
    parts = []
    if data.stocks:
        parts.append(daily[data.stocks].to_numpy(float)[ends] / users)
    if data.flows:
        flow = daily[data.flows].to_numpy(float)[: periods.max() * length]
        parts.append(flow.reshape(periods.max(), length, -1).sum(axis=1)[periods - 1] / users)
    return np.concatenate(parts, axis=1).ravel()


def _observed(data: FunnelData, size: int) -> np.ndarray:
    columns = data.stocks + data.flows
    return (data.counts[columns].to_numpy(float) / size).ravel()


@dataclass
class FunnelFit:
    """Fitted hazards with their uncertainty, goodness of fit, and the trajectories behind them."""

    keys: list[str]
    estimates: np.ndarray
    log_cov: np.ndarray
    objective: float
    p_value: float
    rmse: dict
    observed: pd.DataFrame
    fitted: pd.DataFrame
    data: FunnelData
    scenario: object
    start: dict
    evaluations: int
    converged: bool
    bootstrap: np.ndarray | None = None
    notes: list = field(default_factory=list)
    interval_df: int | None = None  # degrees of freedom of the standard errors (Student t)

    @property
    def hazards(self) -> dict:
        return dict(zip(self.keys, map(float, self.estimates)))

    def table(self, level: float = 0.95) -> pd.DataFrame:
        z = stats.norm.ppf(0.5 + level / 2) if self.interval_df is None else stats.t.ppf(0.5 + level / 2, self.interval_df)
        se = np.sqrt(np.clip(np.diag(self.log_cov), 0, None))
        frame = pd.DataFrame({
            "start": [self.start[k] for k in self.keys],
            "estimate": self.estimates,
            "std_error": self.estimates * se,
            "lower": self.estimates * np.exp(-z * se),
            "upper": self.estimates * np.exp(z * se),
        }, index=pd.Index(self.keys, name="behavior"))
        if self.bootstrap is not None and len(self.bootstrap) >= 5:
            tail = (1 - level) / 2 * 100
            frame["boot_lower"] = np.percentile(self.bootstrap, tail, axis=0)
            frame["boot_upper"] = np.percentile(self.bootstrap, 100 - tail, axis=0)
        return frame

    def fragment(self) -> dict:
        fragment = behavior_fragment(self.hazards)
        if self.data.initial is not None:
            fragment["market"] = {"initial_stage": {k: float(f"{v:.6g}") for k, v in self.data.initial.items()}}
        return fragment

    def describe(self) -> str:
        d = self.data
        lines = [f"Funnel: {d.source}: {len(d.counts)} periods of {d.period_days} days, columns "
                 f"{', '.join(d.stocks + d.flows)}; market size {self._size():,}",
                 f"Scenario: {self.scenario.source}; policies running: "
                 f"{', '.join(n for n, c in self.scenario.data['policies'].items() if c['enabled']) or 'none'}",
                 "", f"Fitted hazards (per day; method of simulated moments, {self.evaluations} engine runs; "
                 "95% intervals from the MSM sandwich, Student t):"]
        for key, row in self.table().iterrows():
            extra = (f"  bootstrap [{row['boot_lower']:.4g}, {row['boot_upper']:.4g}]" if "boot_lower" in row else "")
            lines.append(f"  {key:<24}{row['estimate']:>10.4g}  se {row['std_error']:<9.3g} "
                         f"[{row['lower']:.4g}, {row['upper']:.4g}]  (start {row['start']:.4g}){extra}")
        lines += ["", f"Goodness of fit: Q = {self.objective:.1f} over {self.observed.shape[0] * (self.observed.shape[1] - 1)} "
                  f"moments, simulated p-value {self.p_value:.2f}",
                  "  RMSE per column (percentage points of the market): "
                  + ", ".join(f"{k} {v:.2f}" for k, v in self.rmse.items())]
        if not self.converged:
            lines.append("  warning: the fit stopped at its iteration limit; check the plot")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def _size(self) -> int:
        return int(self.data.market_size or self.scenario.data["market"]["users"])

    def write(self, out, plots: bool = True) -> list[Path]:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        comments = ["Fitted by `simlib calibrate funnel` (method of simulated moments against the engine).",
                    f"Data: {self.data.source}; scenario: {self.scenario.source}.",
                    "Use it with: extends: [your_scenario.yaml, fitted_behavior.yaml]   (later files win)",
                    "95% intervals (MSM sandwich):"]
        for key, row in self.table().iterrows():
            comments.append(f"  {key} = {row['estimate']:.4g} [{row['lower']:.4g}, {row['upper']:.4g}]")
        comments.append(f"Goodness of fit: Q = {self.objective:.1f}, simulated p-value {self.p_value:.2f}")
        paths = [write_fragment(out / "fitted_behavior.yaml", self.fragment(), comments)]
        from simlib.calibrate.report import _write_csv
        paths.append(_write_csv(out / "funnel_parameters.csv", self.table().reset_index()))
        both = self.observed.merge(self.fitted, on="period", suffixes=("_observed", "_fitted"))
        paths.append(_write_csv(out / "funnel_fit.csv", both))
        if plots:
            from simlib.calibrate.plots import save_funnel_plot
            paths.append(save_funnel_plot(self.observed, self.fitted, self.data.stocks + self.data.flows, out))
        return paths


class _Simulator:
    """Moments of the engine at given hazards, with fixed seeds (common random numbers)."""

    def __init__(self, scenario, data: FunnelData, keys, users: int, replications: int, seed: int):
        self.scenario, self.data, self.keys = scenario, data, list(keys)
        self.users, self.replications, self.seed = users, replications, seed
        self.runs = 0

    def moments(self, log_theta, seeds=None) -> np.ndarray:
        """Moments averaged over ``seeds`` (default: the fitting seeds)."""
        return self.moments_each(log_theta, seeds).mean(axis=0)

    def moments_each(self, log_theta, seeds=None) -> np.ndarray:
        """Moments of each seed's run (rows), the runs batched over one population."""
        from simlib.run import MAX_BATCH_CUSTOMERS, run_batch
        changes = {f"behavior.{k}": float(v) for k, v in zip(self.keys, np.exp(log_theta))}
        scenario = self.scenario.override(changes, source="<calibrate funnel>")
        seeds = list(seeds if seeds is not None else range(self.seed, self.seed + self.replications))
        per_batch = max(1, min(MAX_BATCH_CUSTOMERS, 1_000_000) // self.users)  # bounds memory
        rows = []
        for i in range(0, len(seeds), per_batch):
            for result in run_batch(scenario, seeds=seeds[i:i + per_batch], users=self.users, days=self.data.days):
                rows.append(_moments(result.daily, self.data, self.users))
        self.runs += len(seeds)
        return np.array(rows)


def fit_funnel(data: FunnelData, scenario, keys=None, users: int | None = None, replications: int = 1,
               seed: int = 0, omega_runs: int = 39, bootstrap: int = 0, max_iter: int = 10,
               rng: np.random.Generator | None = None, jacobian_runs: int = 4) -> FunnelFit:
    """Fit behaviour hazards ``keys`` of ``scenario`` to ``data`` (see the module docstring).

    ``omega_runs`` independent runs give the sandwich's Omega and the p-value (at least 19 to
    be able to reject at 5 %); ``jacobian_runs`` seeds average the sandwich's slope. Their
    seeds are hashed from ``seed``, so fits with different seeds share none of them."""
    if data.initial is not None:
        scenario = scenario.override({"market.initial_stage": data.initial}, source=data.source)
    _check_policies(data, scenario)
    behavior = scenario.data["behavior"]
    if keys is None:
        present = set(data.stocks) | set(data.flows)
        running = any(cfg["enabled"] for cfg in scenario.data["policies"].values())
        keys = [k for k, cols in DEFAULT_KEYS if present & set(cols) and behavior.get(k, 0) > 0
                # with policies running, organic awareness is swamped by theirs: not identified
                and not (running and k == "awareness_per_day")]
    if not keys:
        raise user_error("nothing to fit: name behavior keys with --fit")
    for key in keys:
        if key not in behavior or not key.endswith("_per_day"):
            allowed = [k for k in behavior if k.endswith("_per_day")]
            raise user_error(f"--fit {key}: not a hazard of the scenario's behavior; allowed: {', '.join(allowed)}")
    size = data.market_size or scenario.data["market"]["users"]
    # policies spend absolute budgets (impressions, chats per day), so by default the simulated
    # market has the data's size; a smaller one changes what a policy does per customer
    users = int(users or size)
    start = {k: float(behavior[k]) if behavior[k] > 0 else 1e-3 for k in keys}
    sim = _Simulator(scenario, data, keys, users, replications, seed)
    m_obs = _observed(data, size)
    var = np.maximum(m_obs * (1 - np.minimum(m_obs, 1)), 1.0 / size) * (1.0 / size + 1.0 / (users * replications))
    sigma = np.sqrt(var)

    def residual(theta):
        return (m_obs - sim.moments(theta)) / sigma

    theta = np.log(np.array([start[k] for k in keys]))
    theta, jac, res, converged = _levenberg_marquardt(residual, theta, max_iter)
    objective = float(res @ res)
    m_fit = m_obs - res * sigma
    # the sandwich: slope averaged over seeds, Omega from independent runs at the fit, scaled to
    # data + fitting-run noise (simlib.calibrate.funnel_uncertainty)
    def residual_at(th, seeds):
        return (m_obs - sim.moments(th, seeds=seeds)) / sigma
    jac = jacobian(residual_at, theta, auxiliary_seeds(seed, JACOBIAN, jacobian_runs))
    runs = sim.moments_each(theta, seeds=auxiliary_seeds(seed, OMEGA, omega_runs))
    scale = users * (1.0 / size + 1.0 / (users * replications))
    uncertainty = funnel_uncertainty(jac, runs / sigma, scale, objective)
    log_cov, p_value = uncertainty.log_cov, uncertainty.p_value
    columns = data.stocks + data.flows
    shape = (len(data.counts), len(columns))
    observed = pd.DataFrame(m_obs.reshape(shape), columns=columns)
    fitted = pd.DataFrame(m_fit.reshape(shape), columns=columns)
    observed.insert(0, "period", data.counts.index.to_numpy())
    fitted.insert(0, "period", data.counts.index.to_numpy())
    rmse = {c: float(np.sqrt(np.mean((observed[c] - fitted[c]) ** 2)) * 100) for c in columns}
    boot = None
    if bootstrap:
        boot = _bootstrap(sim, data, theta, keys, size, sigma, bootstrap, seed, max_iter)
    notes = []
    if omega_runs < MIN_RUNS_TO_REJECT:
        notes.append(f"with {omega_runs} runs the p-value cannot go below {1 / (omega_runs + 1):.3f}, so the test "
                     f"cannot reject at 5 %; use at least {MIN_RUNS_TO_REJECT} runs")
    if data.market_size is None:
        notes.append(f"not every stage is counted, so the market size is the scenario's market.users ({size:,})")
    return FunnelFit(list(keys), np.exp(theta), log_cov, objective, p_value, rmse, observed, fitted, data,
                     scenario, start, sim.runs, converged, boot, notes, uncertainty.degrees_of_freedom)


def _levenberg_marquardt(residual, theta, max_iter, step=0.2):
    """Minimise ||residual(theta)||^2; forward-difference Jacobians of size ``step`` in log space.

    The engine's events move by whole customers, so a small step measures discreteness more
    than slope for weakly acting hazards; 0.2 (a 22 % change) keeps the slope visible.
    """
    res = residual(theta)
    cost = res @ res
    damping = 1e-2
    converged = False
    jac = None
    for _ in range(max_iter):
        jac = np.column_stack([(residual(theta + step * e) - res) / step for e in np.eye(theta.size)])
        grad = jac.T @ res
        normal = jac.T @ jac
        improved = False
        for _ in range(4):
            delta = -np.linalg.solve(normal + damping * np.diag(np.diag(normal) + 1e-12), grad)
            delta = np.clip(delta, -1.0, 1.0)
            trial = np.clip(theta + delta, *LOG_BOUNDS)
            res_trial = residual(trial)
            cost_trial = res_trial @ res_trial
            if cost_trial < cost:
                improved = True
                relative = (cost - cost_trial) / max(cost, 1e-12)
                theta, res, cost = trial, res_trial, cost_trial
                damping = max(damping / 3, 1e-6)
                break
            damping *= 4
        if not improved or (relative < 1e-4 and np.max(np.abs(delta)) < 0.01):
            converged = True
            break
    if jac is None:
        jac = np.column_stack([(residual(theta + step * e) - res) / step for e in np.eye(theta.size)])
    return theta, jac, res, converged


def _bootstrap(sim, data, theta, keys, size, sigma, n_boot, seed, max_iter):
    """Refit to datasets simulated at the fit (market size of the data, new seeds)."""
    from simlib import run
    changes = {f"behavior.{k}": float(v) for k, v in zip(keys, np.exp(theta))}
    fitted = sim.scenario.override(changes, source="<calibrate funnel>")
    estimates = []
    for boot_seed in auxiliary_seeds(seed, BOOTSTRAP, n_boot):
        fake = run(fitted, seed=boot_seed, users=size, days=data.days)
        m_fake = _moments(fake.daily, data, size)

        def residual(th, m_fake=m_fake):
            return (m_fake - sim.moments(th)) / sigma
        th, _, _, _ = _levenberg_marquardt(residual, theta.copy(), max_iter)
        estimates.append(np.exp(th))
    return np.array(estimates)


def calibrate_funnel(path, scenario, fit_keys=None, period_col=None, period_days=None, users=None,
                     replications=1, bootstrap=0, seed=0, omega_runs: int = 39) -> FunnelFit:
    """Read a funnel CSV and fit hazards of ``scenario`` (a path, built-in name or Scenario)."""
    from simlib.run import as_scenario
    data = read_funnel(path, period_col, period_days)
    return fit_funnel(data, as_scenario(scenario), fit_keys, users=users, replications=replications,
                      seed=seed, bootstrap=bootstrap, omega_runs=omega_runs)


EXAMPLE_TRUTH = {"interest_per_day": 0.02, "first_purchase_per_day": 0.01, "dormancy_per_day": 0.008}
"""Hazards behind examples/funnel_weekly.csv (the baseline scenario otherwise)."""


def make_example_funnel(seed: int = 7, users: int = 20_000, weeks: int = 26) -> pd.DataFrame:
    """Weekly stage counts of the baseline market with EXAMPLE_TRUTH hazards (ads running)."""
    from simlib import load_scenario, run
    scenario = load_scenario("baseline").override({f"behavior.{k}": v for k, v in EXAMPLE_TRUTH.items()})
    daily = run(scenario, seed=seed, users=users, days=weeks * 7).daily
    ends = np.arange(1, weeks + 1) * 7 - 1
    frame = pd.DataFrame({"week": np.arange(1, weeks + 1)})
    for stage in STAGE_NAMES:
        frame[stage] = daily[stage].to_numpy()[ends]
    frame["new_buyers"] = daily["new_buyers"].to_numpy()[: weeks * 7].reshape(weeks, 7).sum(axis=1)
    frame[POLICY_COL] = "douyin_ads;search_ads"
    return frame
