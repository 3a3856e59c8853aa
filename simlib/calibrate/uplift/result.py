"""A fitted uplift: effect sizes with intervals and covariance, the test, and the files written.

Files (all through ``simlib.fileio``: temporary file, then rename):
- ``fitted_uplift.yaml``: the scenario fragment (``behavior:`` and, for policy effects,
  ``policies: {NAME: {KEY: value}}``) that scenarios ``extends:``;
- ``fitted_uplift_covariance.yaml``: the estimates with standard errors, intervals, declared
  bounds and their covariance, which ``simlib compare --uncertain`` reads;
- ``uplift_parameters.csv`` and ``uplift_moments.csv``: the tables behind the text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy import stats

FRAGMENT_NAME = "fitted_uplift.yaml"
COVARIANCE_SUFFIX = "_covariance"


def covariance_path(fragment: str | Path) -> Path:
    """The covariance file written beside a fragment: NAME.yaml -> NAME_covariance.yaml."""
    fragment = Path(fragment)
    return fragment.with_name(fragment.stem + COVARIANCE_SUFFIX + fragment.suffix)


def _round(value: float, digits: int = 6) -> float:
    return float(f"{value:.{digits}g}")


@dataclass
class UpliftFit:
    """Effect sizes fitted to one or more campaigns (see ``simlib.calibrate.uplift.fit``)."""

    campaigns: list
    targets: list
    estimates: np.ndarray
    cov: np.ndarray
    objective: float          # Hansen's J at the fit
    moments: pd.DataFrame     # one row per moment matched
    levels: pd.DataFrame      # control groups' means, data against simulation (a check, not fitted)
    evaluations: int
    converged: bool
    seed: int
    replications: int
    notes: list = field(default_factory=list)
    simulated_means: list = field(default_factory=list)   # per campaign: {arm: simulated means at the fit}
    log_outcomes: object = None      # a campaign read from a log: its weekly totals and observed per treated
    twin_folder: object = None       # the temporary folder of the twin on the send date, kept while this lives
    form: object = None              # the promotion.DipForm fitted, or None
    forms: list = field(default_factory=list)     # [(UpliftFit, weight)] of every form fitted, this one among them

    def per_treated(self) -> pd.DataFrame:
        """A campaign read from a log: per treated customer over the window, each treated arm's
        difference to the control, observed (the log, CUPED-adjusted, with its standard error)
        and fitted (the engine at the fitted effects, the same customers in every arm)."""
        if self.log_outcomes is None:
            return pd.DataFrame()
        data, sim = self.campaigns[0].data, self.simulated_means[0]
        out = self.log_outcomes.per_treated.copy()
        fitted = []
        for _, r in out.iterrows():
            k = data.outcomes.index(r["outcome"])
            cols = slice(k * data.periods, (k + 1) * data.periods)
            fitted.append(float(sim[r["arm"]][cols].sum() - sim[data.control][cols].sum()))
        out["fitted"] = fitted
        out["z"] = (out["per_treated"] - out["fitted"]) / out["std_error"]
        return out.rename(columns={"per_treated": "observed"})

    INSEPARABLE = 0.9   # |correlation| of two estimates beyond which the data cannot tell them apart

    def __post_init__(self):
        for a, b, r in self.inseparable():
            self.notes.append(f"the data cannot separate {a} and {b}: their estimates are correlated {r:+.2f}, so "
                              f"the data pin a combination of the two, not each (weekly or daily arm data, another "
                              f"depth or a longer window would tell them apart)")

    def correlation(self) -> np.ndarray:
        """Correlation matrix of the estimates (from their sandwich covariance)."""
        se = self.std_errors
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.cov / np.outer(se, se)

    def inseparable(self, threshold: float | None = None) -> list:
        """(key, key, correlation) of every pair of estimates whose |correlation| is at least
        ``threshold`` (default ``INSEPARABLE``)."""
        limit = self.INSEPARABLE if threshold is None else threshold
        corr, keys = self.correlation(), self.keys
        return [(keys[i], keys[j], float(corr[i, j])) for i in range(len(keys)) for j in range(i + 1, len(keys))
                if np.isfinite(corr[i, j]) and abs(corr[i, j]) >= limit]

    def measured_share_off(self) -> list:
        """The share-off price cuts the fitted campaigns' treated arms offered (the depths the
        effects were measured at; a prediction at another depth extrapolates)."""
        from simlib.promotion import share_offs
        found = set()
        for c in self.campaigns:
            for scenario in c.arm_scenarios.values() or [c.scenario]:
                found.update(share_offs(scenario.data["policies"]))
        return sorted(found)

    # -- numbers -------------------------------------------------------------------------
    @property
    def fixed(self) -> dict:
        """The effects the form held at a value (none without a form)."""
        return {} if self.form is None else dict(self.form.fixed)

    @property
    def keys(self) -> list:
        return [t.key for t in self.targets]

    @property
    def values(self) -> dict:
        return dict(zip(self.keys, map(float, self.estimates)))

    @property
    def std_errors(self) -> np.ndarray:
        return np.sqrt(np.clip(np.diag(self.cov), 0, None))

    @property
    def dof(self) -> int:
        return int(len(self.moments) - len(self.targets))

    @property
    def p_value(self) -> float:
        return float(stats.chi2.sf(self.objective, self.dof)) if self.dof > 0 else float("nan")

    def at_bound(self) -> list:
        """Keys whose estimate sits on its search range's edge (the interval there is not valid)."""
        out = []
        for t, v in zip(self.targets, self.estimates):
            span = t.high - t.low
            if v <= t.low + 1e-6 * span or v >= t.high - 1e-6 * span:
                out.append(t.key)
        return out

    def table(self, level: float = 0.95) -> pd.DataFrame:
        z = stats.norm.ppf(0.5 + level / 2)
        se = self.std_errors
        low = np.array([t.low for t in self.targets])
        high = np.array([t.high for t in self.targets])
        return pd.DataFrame({
            "start": [t.start for t in self.targets], "estimate": self.estimates, "std_error": se,
            "lower": np.clip(self.estimates - z * se, low, high), "upper": np.clip(self.estimates + z * se, low, high),
            "low": low, "high": high, "unit": [t.unit for t in self.targets],
        }, index=pd.Index(self.keys, name="parameter"))

    # -- documents -----------------------------------------------------------------------
    def fragment(self) -> dict:
        out: dict = {}
        for key, value in {**self.fixed, **self.values}.items():
            node = out
            parts = key.split(".")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = _round(value)
        return out

    def covariance_document(self, fragment_name: str = FRAGMENT_NAME) -> dict:
        t = self.table()
        params = {k: {"estimate": _round(r["estimate"]), "std_error": _round(r["std_error"]),
                      "lower": _round(r["lower"]), "upper": _round(r["upper"]),
                      "low": _round(r["low"]), "high": _round(r["high"])} for k, r in t.iterrows()}
        return {
            "fragment": fragment_name,
            "method": "simulated moments (log relative uplift per arm, outcome and period), common random "
                      "numbers, sandwich covariance",
            "parameters": params,
            "covariance": [[_round(float(v)) for v in row] for row in self.cov],
            "goodness_of_fit": {"J": _round(self.objective), "df": self.dof,
                                "p_value": None if self.dof <= 0 else _round(self.p_value)},
            "campaigns": [c.data.source for c in self.campaigns],
            "correlation": [[_round(float(v), 4) for v in row] for row in np.nan_to_num(self.correlation())],
            "measured_on": {"share_off": [_round(v) for v in self.measured_share_off()]},
            **self._forms_document(),
        }

    def _parameters_document(self) -> dict:
        return {k: {"estimate": _round(r["estimate"]), "std_error": _round(r["std_error"]),
                    "low": _round(r["low"]), "high": _round(r["high"])} for k, r in self.table().iterrows()}

    def _forms_document(self) -> dict:
        """``form``, ``fixed`` and, where several forms were fitted, ``forms``: each form's
        estimates, covariance, held values, test and weight, which ``--uncertain`` draws from."""
        if self.form is None:
            return {}
        out = {"form": self.form.name, "fixed": {k: _round(v) for k, v in self.fixed.items()}}
        if len(self.forms) > 1:
            out["forms"] = [{"name": f.form.name, "weight": _round(w), "says": f.form.says,
                             "parameters": f._parameters_document(),
                             "covariance": [[_round(float(v)) for v in row] for row in f.cov],
                             "fixed": {k: _round(v) for k, v in f.fixed.items()},
                             "goodness_of_fit": {"J": _round(f.objective), "df": f.dof}}
                            for f, w in self.forms]
        return out

    def forms_text(self) -> list:
        """Lines on the forms fitted, their fit and weight (empty with one form)."""
        if len(self.forms) < 2:
            return []
        lines = ["", "Forms of the dip after the promotion (a test at one depth cannot tell them apart; at another "
                     "depth they part, so a comparison draws from both, by weight):"]
        for f, w in self.forms:
            shown = ", ".join(f"{k.split('.')[-1]} {v:.3g} (se {se:.2g})" for (k, v), se
                              in zip(f.values.items(), f.std_errors))
            held = ", ".join(f"{k.split('.')[-1]} {v:g}" for k, v in f.fixed.items())
            mark = "  <- the fragment" if f is self else ""
            lines.append(f"  {f.form.name:<24} weight {w:>4.0%}  J {f.objective:.2f} on {f.dof} df  {shown}; held: "
                         f"{held}{mark}")
        lines.append(f"  (weights: exp(-(J + 2 x effects fitted) / 2), the moment-selection criterion of Andrews 1999 "
                     f"with Akaike's penalty)")
        return lines

    def test_text(self) -> str:
        if self.dof <= 0:
            return (f"Goodness of fit: {len(self.moments)} moments for {len(self.targets)} effects: exactly "
                    "identified, so the test cannot reject (add outcomes, weeks, arms or campaigns)")
        verdict = "the model is rejected at 5 %" if self.p_value < 0.05 else "no evidence against the model at 5 %"
        return (f"Goodness of fit: J = {self.objective:.2f} on {self.dof} degrees of freedom, p = {self.p_value:.3f} "
                f"({verdict}; chi-square test of the {len(self.moments)} moments)")

    def describe(self) -> str:
        lines = ["Campaigns:"] + [f"  {c.describe()}" for c in self.campaigns]
        lines += ["", f"Fitted effects (simulated moments against the engine, {self.evaluations} evaluations, "
                      f"{self.replications} seed(s) per arm; 95% intervals from the sandwich):"]
        bound = set(self.at_bound())
        for key, r in self.table().iterrows():
            flag = "  (at the edge of its range: not identified)" if key in bound else ""
            lines.append(f"  {key:<32}{r['estimate']:>9.4g}  se {r['std_error']:<9.3g} [{r['lower']:.4g}, "
                         f"{r['upper']:.4g}]  (start {r['start']:.4g}, range {r['low']:g} to {r['high']:g}){flag}")
        lines += ["", self.test_text()] + self.forms_text()
        lines += ["", "Uplifts matched (observed vs fitted, relative to the control group):"]
        for _, r in self.moments.iterrows():
            period = "" if r["periods"] == 1 else f" week {int(r['period'])}"
            lines.append(f"  {r['campaign']:<18}{r['arm']:<14}{r['outcome']:<10}{period:<8}"
                         f"{np.expm1(r['observed']):>+8.1%}  fitted {np.expm1(r['fitted']):>+7.1%}   z {r['z']:+.2f}")
        lines += ["", "Control groups (not fitted; relative uplifts are matched, the levels are a check):"]
        for _, r in self.levels.iterrows():
            lines.append(f"  {r['campaign']:<18}{r['outcome']:<10} data {r['data']:.4g} per customer, scenario "
                         f"{r['simulated']:.4g}  (z {r['z']:+.1f})")
        if self.log_outcomes is not None:
            lines += ["", "Per treated customer over the window (difference to the control group):"]
            for _, r in self.per_treated().iterrows():
                unit = "CNY" if r["outcome"] == "spend_cny" else ""
                name = "spend" if r["outcome"] == "spend_cny" else "orders"
                lines.append(f"  {r['arm']:<14}{name:<8} observed {r['observed']:+.4g} {unit:<3} "
                             f"(se {r['std_error']:.3g})   fitted {r['fitted']:+.4g}   z {r['z']:+.2f}")
        if not self.converged:
            lines.append("  warning: the fit stopped at its iteration limit")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def write(self, out) -> list[Path]:
        from simlib.fileio import write_text
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        fragment_path = out / FRAGMENT_NAME
        comments = ["Fitted by `simlib calibrate uplift` (simulated moments against the engine).",
                    "Campaigns: " + "; ".join(c.data.source for c in self.campaigns),
                    "Use it with: extends: [your_scenario.yaml, fitted_uplift.yaml]   (later files win);",
                    "a policies.NAME key applies only to scenarios that run a policy of that name.",
                    f"Uncertainty (for simlib compare --uncertain): {covariance_path(fragment_path).name}",
                    "95% intervals:"]
        for key, r in self.table().iterrows():
            comments.append(f"  {key} = {r['estimate']:.4g} [{r['lower']:.4g}, {r['upper']:.4g}]")
        comments.append(self.test_text())
        if self.form is not None:
            comments.append(f"The dip after the promotion: '{self.form.name}' ({self.form.says})"
                            + (f"; the other forms and their weights are in {covariance_path(fragment_path).name}"
                               if len(self.forms) > 1 else ""))
        paths = [write_text(fragment_path, _yaml(self.fragment(), comments))]
        cov_comments = ["Estimates, intervals and covariance of the effects in " + FRAGMENT_NAME + ".",
                        "Pass this file (or the fragment) to: simlib compare ... --uncertain FILE"]
        paths.append(write_text(covariance_path(fragment_path), _yaml(self.covariance_document(), cov_comments)))
        paths.append(write_text(out / "uplift_parameters.csv", self.table().reset_index().to_csv(index=False)))
        paths.append(write_text(out / "uplift_moments.csv", self.moments.to_csv(index=False)))
        if self.log_outcomes is not None:    # what the log says, beside what was fitted
            paths.append(write_text(out / "campaign_weekly.csv", self.log_outcomes.weekly.to_csv(index=False)))
            paths.append(write_text(out / "campaign_per_treated.csv", self.per_treated().to_csv(index=False)))
        return paths


def weigh_forms(fits: list) -> UpliftFit:
    """The best of several forms' fits, carrying every form with its weight: w proportional to
    exp(-(J + 2 k) / 2), k the effects a form fits (the moment-selection criterion of Andrews
    1999, Econometrica 67, with Akaike's penalty: the same moments, so a better fit with fewer
    free effects weighs more)."""
    score = np.array([f.objective + 2 * len(f.targets) for f in fits])
    weight = np.exp(-(score - score.min()) / 2)
    weight /= weight.sum()
    for f in fits:
        f.forms = list(zip(fits, map(float, weight)))
    return fits[int(np.argmax(weight))]


def _yaml(document: dict, comments: list) -> str:
    head = "".join(f"# {line}\n" if line else "#\n" for line in comments)
    return head + yaml.safe_dump(document, sort_keys=False, default_flow_style=None, allow_unicode=True, width=100)


def assemble(campaigns, targets, outcome, evaluations, seed, replications, notes) -> UpliftFit:
    """The result object from the fit's numbers: moment and level tables, notes."""
    rows, at = [], 0
    sd = np.sqrt(np.clip(np.diag(outcome.omega_data + outcome.omega_sim), 0, None))
    levels = []
    g_obs = np.concatenate([_obs(c) for c in campaigns])
    for c, s in zip(campaigns, outcome.sims):
        d = c.data
        for arm in d.treatments:
            for outcome_name, period in d.labels():
                if outcome.mask[at]:
                    rows.append({"campaign": c.name, "arm": arm, "outcome": outcome_name, "period": period,
                                 "periods": d.periods, "observed": g_obs[at], "fitted": outcome.g_fit[at],
                                 "std_error": sd[at], "z": (g_obs[at] - outcome.g_fit[at]) / sd[at]})
                at += 1
        levels += _levels(c, s)
    return UpliftFit(campaigns, targets, outcome.theta, outcome.cov, outcome.objective, pd.DataFrame(rows),
                     pd.DataFrame(levels), evaluations, outcome.converged, seed, replications, notes,
                     [dict(s.means) for s in outcome.sims])


def _obs(campaign):
    from simlib.calibrate.uplift.moments import log_uplift
    d = campaign.data
    return log_uplift(d.means, d.control, d.treatments)


def _levels(campaign, sim) -> list:
    """Control group's mean per customer over the window, data against the scenario."""
    d, out = campaign.data, []
    units = sim.units[d.control] if sim.units is not None else None
    for i, outcome_name in enumerate(d.outcomes):
        cols = slice(i * d.periods, (i + 1) * d.periods)
        data = float(d.means[d.control][cols].sum())
        simulated = float(sim.means[d.control][cols].sum())
        var = 0.0
        if units is not None:
            per_customer = units[:, cols].sum(axis=1)
            var = per_customer.var(ddof=1) * (1 / d.sizes[d.control] + 1 / len(per_customer))
        z = (data - simulated) / np.sqrt(var) if var > 0 else float("nan")
        out.append({"campaign": campaign.name, "outcome": outcome_name, "data": data, "simulated": simulated, "z": z})
    return out
