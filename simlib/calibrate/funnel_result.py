"""The result of a funnel fit: estimates with their intervals and identification, goodness of fit,
the fragment a scenario ``extends:``, the covariance file ``simlib compare --uncertain`` reads,
and predictions for held-out periods or a budget plan (``predict``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from simlib.calibrate.fragment import write_fragment


def _round(value: float) -> float:
    return float(f"{value:.6g}")


def nested(values: dict) -> dict:
    """``{"a.b.c": 1}`` -> ``{"a": {"b": {"c": 1}}}``."""
    out: dict = {}
    for key, value in values.items():
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


@dataclass
class FunnelFit:
    """Fitted parameters (dotted keys) with their uncertainty, goodness of fit, and the
    trajectories behind them. ``scenario`` is the scenario as the data describe it (market size,
    starting state, the data's ad spend); ``source_scenario`` the one given."""

    keys: list[str]
    estimates: np.ndarray
    cov: np.ndarray      # of the fit's coordinates (funnel_model.Coordinates)
    objective: float
    p_value: float
    rmse: dict
    observed: pd.DataFrame
    fitted: pd.DataFrame
    data: object
    scenario: object
    start: dict
    evaluations: int
    converged: bool
    bootstrap: np.ndarray | None = None
    notes: list = field(default_factory=list)
    interval_df: int | None = None  # degrees of freedom of the standard errors (Student t)
    uncertainty: object = None
    identification: object = None
    coords: object = None            # funnel_model.Coordinates
    users: int = 0
    size: int = 0
    seed: int = 0
    source_scenario: object = None
    fixed: dict = field(default_factory=dict)   # keys the fit set without fitting them (default fit)

    @property
    def hazards(self) -> dict:
        """Fitted values by key (named for the hazards it first held; every fitted key is here)."""
        return dict(zip(self.keys, map(float, self.estimates)))

    @property
    def misfit(self) -> float:
        """Q over its mean under the fitted model (the projected draws): 1 when the model fits as
        well as its own noise allows; above 1, the share of Q the model's noise does not explain."""
        draws = getattr(self.uncertainty, "q_draws", None)
        if draws is None or not len(draws) or not np.mean(draws) > 0:
            return 1.0
        return float(self.objective / np.mean(draws))

    @property
    def prediction_cov(self) -> np.ndarray:
        """The covariance predictions draw from: the sandwich, widened by the misfit when it is
        above 1 (the quasi-likelihood dispersion of Wedderburn 1974: a model that fits worse than
        its noise allows knows its parameters less well than the sandwich says)."""
        return self.cov * max(1.0, self.misfit)

    @property
    def p_value_floor(self) -> float:
        """The smallest simulated p-value the runs allow: 1 / (runs + 1)."""
        return 1.0 / (self.interval_df + 2) if self.interval_df else float("nan")

    def _quantile(self, level: float) -> float:
        if self.interval_df is None:
            return stats.norm.ppf(0.5 + level / 2)
        return stats.t.ppf(0.5 + level / 2, self.interval_df)

    def table(self, level: float = 0.95) -> pd.DataFrame:
        """Per key: start, estimate, standard error, interval (log-normal for hazards, reach and
        saturation; normal, cut at the search range, for spreads and ratios), identified."""
        z = self._quantile(level)
        se = np.sqrt(np.clip(np.diag(self.cov), 0, None))
        lower, upper = self.coords.interval(self.estimates, se, z)
        frame = pd.DataFrame({
            "start": [self.start[k] for k in self.keys],
            "estimate": self.estimates,
            "std_error": self.coords.slope(self.estimates) * se,
            "lower": lower,
            "upper": upper,
        }, index=pd.Index(self.keys, name="key"))
        if self.identification is not None:
            frame["identified"] = self.identification.identified
            frame["could_be_zero"] = [k in self.identification.at_zero for k in self.keys]
        if self.bootstrap is not None and len(self.bootstrap) >= 5:
            tail = (1 - level) / 2 * 100
            frame["boot_lower"] = np.percentile(self.bootstrap, tail, axis=0)
            frame["boot_upper"] = np.percentile(self.bootstrap, 100 - tail, axis=0)
        return frame

    def fragment(self) -> dict:
        fragment = nested({**self.fixed, **{k: _round(v) for k, v in self.hazards.items()}})
        market = {}
        if self.data.initial is not None:
            market["initial_stage"] = {k: _round(v) for k, v in self.data.initial.items()}
        given = self.source_scenario.data["market"]["represents"] if self.source_scenario is not None else self.size
        if self.data.market_size is not None and self.data.market_size != given:
            market["users"] = market["represents"] = int(self.data.market_size)
        if market:
            fragment["market"] = market
        return fragment

    def covariance(self) -> dict:
        """Estimates and their covariance on the natural scale (delta method from the log scale),
        in the format ``simlib compare --uncertain`` reads."""
        table = self.table()
        slope = self.coords.slope(self.estimates)
        cov = self.cov * np.outer(slope, slope)
        low, high = self.coords.low, self.coords.high
        params = {}
        for i, (key, row) in enumerate(table.iterrows()):
            params[key] = {"estimate": _round(row["estimate"]), "std_error": float(np.sqrt(max(cov[i, i], 0.0))),
                           "lower": _round(row["lower"]), "upper": _round(row["upper"]),
                           "low": float(low[i]), "high": float(high[i])}
        return {"fragment": "fitted_behavior.yaml",
                "method": "simulated moments (stage shares and flows per period), MSM sandwich on the log scale, "
                          "delta method to this scale",
                "parameters": params, "covariance": [[float(v) for v in row] for row in cov],
                "goodness_of_fit": {"Q": float(self.objective), "p_value": float(self.p_value),
                                    "p_value_floor": float(self.p_value_floor)}}

    def p_value_text(self) -> str:
        floor = self.p_value_floor
        text = f"simulated p-value {self.p_value:.3g}"
        if self.p_value <= floor + 1e-12:
            runs = self.interval_df + 1
            text += (f", the smallest {runs} runs allow (Q is beyond every simulated draw, so the test says only "
                     f"p <= {floor:.3g})")
        chi2 = getattr(self.uncertainty, "p_value_chi2", float("nan"))
        if np.isfinite(chi2):
            text += f"; scaled chi-square p = {chi2:.2g}"
        return text

    def describe(self) -> str:
        d = self.data
        held = (f"; {d.holdout} held out ({d.describe_periods(d.counts.index[-d.holdout:])})" if d.holdout else "")
        spend = ""
        if d.spend is not None:
            spend = f"; ad spend per period: {', '.join(c or 'total' for c in d.spend.columns)}"
            if d.spend_source and d.spend_source != d.source:
                spend += f" (from {d.spend_source})"
        lines = [f"Funnel: {d.source}: {len(d.counts)} periods of {d.period_days} days{held}, columns "
                 f"{', '.join(d.stocks + d.flows)}{spend}; market size {self.size:,}",
                 f"Scenario: {self.source_scenario.source if self.source_scenario is not None else self.scenario.source}; "
                 f"policies running: "
                 f"{', '.join(n for n, c in self.scenario.data['policies'].items() if c['enabled']) or 'none'}",
                 "", f"Fitted parameters (method of simulated moments, {self.evaluations} engine runs; "
                 "95% intervals from the MSM sandwich, Student t):"]
        width = max(24, max(len(k) for k in self.keys) + 2)
        for key, row in self.table().iterrows():
            extra = (f"  bootstrap [{row['boot_lower']:.4g}, {row['boot_upper']:.4g}]" if "boot_lower" in row else "")
            flag = ("  NOT IDENTIFIED" if not row.get("identified", True)
                    else "  could be 0" if row.get("could_be_zero", False) else "")
            lines.append(f"  {key:<{width}}{row['estimate']:>10.4g}  se {row['std_error']:<9.3g} "
                         f"[{row['lower']:.4g}, {row['upper']:.4g}]  (start {row['start']:.4g}){flag}{extra}")
        if self.identification is not None:
            lines += [f"  not identified: {n}" for n in self.identification.notes()]
        moments = self.observed.shape[0] * (self.observed.shape[1] - 1)
        lines += ["", f"Goodness of fit: Q = {self.objective:.1f} over {moments} moments, {self.p_value_text()}; "
                      f"Q is {self.misfit:.2g} times its mean under the fitted model"
                      + (" (predictions widen the parameters' uncertainty by this factor)" if self.misfit > 1 else ""),
                  "  RMSE per column (percentage points of the market): "
                  + ", ".join(f"{k} {v:.2f}" for k, v in self.rmse.items())]
        if not self.converged:
            lines.append("  warning: the fit stopped at its iteration limit; check the plot")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def predict(self, plan=None, weeks: int | None = None, draws: int = 40, level: float = 0.95, seed=None):
        """A band for the held-out periods (no ``plan``) or for a budget plan (a scenario: its budgets
        after the data's days, the data's spend before); see `simlib.calibrate.funnel_predict`."""
        from simlib.calibrate.funnel_predict import predict
        return predict(self, plan=plan, weeks=weeks, draws=draws, level=level, seed=seed)

    def write(self, out, plots: bool = True) -> list[Path]:
        from simlib.calibrate.report import _write_csv
        from simlib.fileio import write_text
        import yaml
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        comments = ["Fitted by `simlib calibrate funnel` (method of simulated moments against the engine).",
                    f"Data: {self.data.source}; scenario: {self.scenario.source.split(' + ')[0]}.",
                    "Use it with: extends: [your_scenario.yaml, fitted_behavior.yaml]   (later files win)",
                    "95% intervals (MSM sandwich):"]
        for key, row in self.table().iterrows():
            flag = ("   (not identified by the data)" if not row.get("identified", True)
                    else "   (could be 0)" if row.get("could_be_zero", False) else "")
            comments.append(f"  {key} = {row['estimate']:.4g} [{row['lower']:.4g}, {row['upper']:.4g}]{flag}")
        comments += [f"  {key} = {value:g}   (set by the default fit, not fitted)" for key, value in self.fixed.items()]
        comments.append(f"Goodness of fit: Q = {self.objective:.1f}, {self.p_value_text()}")
        paths = [write_fragment(out / "fitted_behavior.yaml", self.fragment(), comments)]
        cov_text = "# the fitted parameters' covariance, for simlib compare --uncertain\n" + yaml.safe_dump(
            self.covariance(), sort_keys=False, default_flow_style=None, width=100)
        paths.append(write_text(out / "fitted_behavior_covariance.yaml", cov_text))
        paths.append(_write_csv(out / "funnel_parameters.csv", self.table().reset_index()))
        both = self.observed.merge(self.fitted, on="period", suffixes=("_observed", "_fitted"))
        paths.append(_write_csv(out / "funnel_fit.csv", both))
        if plots:
            from simlib.calibrate.plots import save_funnel_plot
            paths.append(save_funnel_plot(self.observed, self.fitted, self.data.stocks + self.data.flows, out))
        return paths
