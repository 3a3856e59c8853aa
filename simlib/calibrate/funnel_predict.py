"""Predictions from a funnel fit, with a band that carries the fitted uncertainty.

Each of ``draws`` runs takes the fitted parameters from their joint normal on the log scale
(the MSM covariance, not the marginals: parameters the data identify only together move
together), kept inside their search ranges, and its own seed at the data's market size, so
the band holds both the parameters' uncertainty and the noise of a market of that size: it is
where the counts a team will see should fall. When the fit's Q is c > 1 times its mean under the
fitted model, the covariance is widened by c (``FunnelFit.prediction_cov``). Two uses:
- held-out periods (``--holdout-weeks``): the fit's scenario over every period of the data,
  with the data's ad spend throughout; the band of each held-out period and of their totals;
- a budget plan (``--predict PLAN``): the plan scenario, with the data's starting state, market
  size and spend on the days the data cover and the plan's own budgets after them, for
  ``weeks`` more weeks (default: as many as the data cover).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from simlib.calibrate._errors import user_error
from simlib.calibrate.funnel_uncertainty import auxiliary_seeds

PREDICT = 4                       # purpose of the prediction runs' seeds (see auxiliary_seeds)
ALWAYS = ("new_interested", "new_buyers")   # flows every prediction reports
MAX_PREDICT_DAYS = 20_000


@dataclass
class FunnelPrediction:
    """Per period and column: observed (where the data have it), the prediction (the draws' median:
    the parameters' draws are symmetric in the fit's coordinates, the outcomes need not be), their
    mean and band; per column, the same for the predicted periods together (flows summed, stages at
    the end); ``error`` = (predicted - observed) / observed."""

    periods: pd.DataFrame
    totals: pd.DataFrame
    predicted: list           # the periods predicted (held out, or after the data)
    what: str
    draws: int
    level: float
    notes: list = field(default_factory=list)

    def describe(self) -> str:
        pct = f"{self.level:.0%}"
        lines = [f"{self.what}: {pct} prediction band from {self.draws} runs (fitted parameters drawn from their "
                 "covariance, each run its own market noise)"]
        for column, row in self.totals.iterrows():
            kind = "total" if row["kind"] == "flow" else "at the end"
            seen = ""
            if np.isfinite(row["observed"]):
                inside = "inside" if row["lower"] <= row["observed"] <= row["upper"] else "OUTSIDE"
                seen = (f"; observed {row['observed']:,.0f} ({row['error']:+.1%} predicted - observed, "
                        f"{inside} the band)")
            lines.append(f"  {column:<16} {kind:<10} {row['predicted']:>10,.0f}  [{row['lower']:,.0f}, "
                         f"{row['upper']:,.0f}]{seen}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def write(self, out, name: str) -> list[Path]:
        from simlib.calibrate.report import _write_csv
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        return [_write_csv(out / f"{name}.csv", self.periods),
                _write_csv(out / f"{name}_totals.csv", self.totals.reset_index())]


def parameter_draws(fit, count: int, seed: int) -> np.ndarray:
    """``count`` draws of the fitted values (rows): normal in the fit's coordinates (log for
    hazards, reach, saturation) with the fit's covariance (widened by its misfit), inside the
    search ranges; draw g depends only on (seed, g)."""
    cov = fit.prediction_cov
    vals, vecs = np.linalg.eigh((cov + cov.T) / 2)
    factor = vecs * np.sqrt(np.clip(vals, 0, None))
    centre = fit.coords.to_theta(fit.estimates)
    out = np.empty((count, len(fit.keys)))
    for g in range(count):
        z = np.random.default_rng(np.random.SeedSequence([int(seed), 0xF0CA57, g])).standard_normal(len(fit.keys))
        out[g] = fit.coords.to_values(fit.coords.clip(centre + factor @ z))
    return out


def predict(fit, plan=None, weeks: int | None = None, draws: int = 40, level: float = 0.95, seed=None):
    from simlib import run
    from simlib.calibrate.funnel_data import moments
    from simlib.calibrate.funnel_model import extrapolation_notes, prepare
    data = fit.data
    if not 2 <= draws <= 1000:
        raise user_error(f"--predict-draws {draws}: allowed: 2 .. 1000 (runs behind the band)")
    seed = fit.seed if seed is None else seed
    periods_all = data.counts.index.to_numpy()
    if plan is None:
        if not data.holdout:
            raise user_error("nothing to predict: hold periods out (--holdout-weeks N) or give a plan (--predict)")
        scenario, periods = fit.scenario, periods_all
        predicted = list(periods_all[-data.holdout:])
        what = f"Held out, {data.describe_periods(predicted)}"
    else:
        from simlib.run import as_scenario
        plan = as_scenario(plan)
        scenario = prepare(data, plan, fit.users)[0]
        extra = weeks if weeks is not None else max(1, round(data.all_days / 7))
        if extra < 1 or (extra * 7) % data.period_days:
            raise user_error(f"--predict-weeks {extra}: allowed: a whole number >= 1 of weeks that is a whole "
                             f"number of periods ({data.period_days} days each)")
        more = extra * 7 // data.period_days
        periods = np.arange(1, periods_all.max() + more + 1)
        if periods.max() * data.period_days > MAX_PREDICT_DAYS:
            raise user_error(f"--predict-weeks {extra}: at most {MAX_PREDICT_DAYS:,} days in all")
        predicted = list(periods[len(periods_all):])
        what = f"Plan {plan.source}, {data.describe_periods(predicted)}"
        missing = [k for k in fit.keys if not _has(scenario, k)]
        if missing:
            raise user_error(f"--predict {plan.source}: the plan has no {missing[0]}, which the fit moved; the plan "
                             "must run the policies the data ran (extend the fitted scenario and change its budgets)")
    columns = list(dict.fromkeys(data.stocks + data.flows + list(ALWAYS)))
    days = int(periods.max()) * data.period_days
    first = (int(min(predicted)) - 1) * data.period_days
    notes = extrapolation_notes(fit.scenario, data.days, scenario, first, days - 1)
    values = parameter_draws(fit, draws, seed)
    runs = []
    for g, run_seed in enumerate(auxiliary_seeds(seed, PREDICT, draws)):
        sc = scenario.override({k: float(v) for k, v in zip(fit.keys, values[g])}, source="<funnel prediction>")
        daily = run(sc, seed=run_seed, users=fit.users, days=days).daily
        runs.append(moments(daily, periods, data.period_days, columns, fit.users) * fit.size)
    runs = np.array(runs)                                         # draws x periods x columns
    tail = (1 - level) / 2 * 100
    frame = pd.DataFrame({"period": periods, "in_prediction": np.isin(periods, predicted)})
    observed = data.counts.reindex(periods)
    for j, column in enumerate(columns):
        frame[f"{column}_observed"] = observed[column].to_numpy() if column in observed else np.nan
        frame[f"{column}_predicted"] = np.median(runs[:, :, j], axis=0)
        frame[f"{column}_mean"] = runs[:, :, j].mean(axis=0)
        frame[f"{column}_lower"] = np.percentile(runs[:, :, j], tail, axis=0)
        frame[f"{column}_upper"] = np.percentile(runs[:, :, j], 100 - tail, axis=0)
    mask = np.isin(periods, predicted)
    rows = {}
    for j, column in enumerate(columns):
        flow = column in ALWAYS or column in data.flows
        per_draw = runs[:, mask, j].sum(axis=1) if flow else runs[:, mask, j][:, -1]
        seen = observed.loc[mask, column].to_numpy() if column in observed else np.array([np.nan])
        obs = float(seen.sum() if flow else seen[-1]) if not np.isnan(seen).any() else np.nan
        middle = float(np.median(per_draw))
        rows[column] = {"kind": "flow" if flow else "stage", "observed": obs, "predicted": middle,
                        "mean": float(per_draw.mean()),
                        "lower": float(np.percentile(per_draw, tail)), "upper": float(np.percentile(per_draw, 100 - tail)),
                        "error": (middle - obs) / obs if obs and np.isfinite(obs) else np.nan}
    totals = pd.DataFrame.from_dict(rows, orient="index")
    totals.index.name = "column"
    return FunnelPrediction(frame, totals, predicted, what, draws, level, notes)


def _has(scenario, key: str) -> bool:
    from simlib.keys import declared_param
    return declared_param(key, scenario.data) is not None
