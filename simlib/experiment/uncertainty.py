"""Fitted parameters that are not known exactly, carried into a comparison.

Given estimates with a covariance (``simlib calibrate uplift`` writes one beside its fragment)
or intervals, each *parameter draw* g = 0, 1, ... is theta_g ~ N(estimate, covariance), kept
inside the parameters' declared bounds (drawn again, keyed, when outside). Replication r of a
comparison uses draw r // inner for every arm: arms share the parameters (and the seed), so
common random numbers hold. Two seeds per draw (``inner: 2``) let the runs tell the two
sources of variance apart (a one-way random-effects analysis):

    Var(paired difference) = Var_theta(E[D | theta])  +  E_theta[Var(D | theta)]
                              parameters                 simulation

The verdict's interval is for the true difference at the true parameters, Delta(theta):
mean +- t sqrt(sigma_param^2 + Var(mean)), and P(better) = P(Delta(theta) on the good side),
so neither shrinks to certainty with more replications while the parameters are uncertain.
Effects fitted in several forms (``forms:``, ``forms.py``) are a mixture: a draw first picks a
form by weight, then draws that form's estimates.
Which parameter to measure next: measuring parameter j exactly would remove
Var(E[D | theta_j]) of the variance, estimated by how much of the draws' mean differences
theta_j alone explains (adjusted r^2 of a regression on it).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace

import numpy as np

from .distributions import normal_quantile, t_cdf, t_quantile
from .errors import ExperimentError

MAX_PARAMETERS = 50
MAX_INNER = 100
REDRAWS = 200           # tries to land inside the bounds before clipping
ENTRY_KEYS = ("estimate", "std_error", "lower", "upper", "low", "high", "confidence")
INFO_KEYS = ("fragment", "method", "goodness_of_fit", "campaigns", "description", "correlation", "measured_on",
             "form", "fixed")


@dataclass(frozen=True)
class UncertainParameters:
    """Estimates of dotted scenario keys with their covariance and bounds; ``inner`` seeds per draw."""

    keys: tuple
    mean: np.ndarray
    cov: np.ndarray
    low: np.ndarray
    high: np.ndarray
    inner: int = 2
    source: str = "<uncertain>"
    measured_share_off: tuple = ()   # depths (share off) the fitted campaigns offered, from measured_on
    forms: tuple = ()                # forms.Form: a mixture the draws come from (mean, cov are its moments)

    @property
    def std_errors(self) -> np.ndarray:
        return np.sqrt(np.diag(self.cov))

    def draws(self, seed: int, count: int) -> np.ndarray:
        """Draws 0 .. count-1 (count x parameters); draw g depends only on (seed, g)."""
        from .forms import form_of_draw
        chol = None if self.forms else _factor(self.cov)      # a mixture draws from its forms' own
        factors = [_factor(f.cov) for f in self.forms]
        out = np.empty((count, len(self.keys)))
        for g in range(count):
            rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x0C0FFEE, g]))
            mean, root = self.mean, chol
            if self.forms:
                k = form_of_draw(self.forms, seed, g)
                mean, root = self.forms[k].mean, factors[k]
            for _ in range(REDRAWS):
                x = mean + root @ rng.standard_normal(len(self.keys))
                if np.all(x >= self.low) and np.all(x <= self.high):
                    break
            out[g] = np.clip(x, self.low, self.high)
        return out

    def to_plain(self) -> dict:
        """The resolved declaration, as an experiment file (or its stored copy) holds it."""
        params = {}
        for k, m, lo, hi, se in zip(self.keys, self.mean, self.low, self.high, self.std_errors):
            entry = {"estimate": float(m), "std_error": float(se)}
            if np.isfinite(lo):
                entry["low"] = float(lo)
            if np.isfinite(hi):
                entry["high"] = float(hi)
            params[k] = entry
        out = {"parameters": params, "covariance": [[float(v) for v in row] for row in self.cov],
               "inner_replications": int(self.inner), "source": self.source}
        if self.measured_share_off:    # the depths measured at, for the verdict's extrapolation sentence
            out["measured_on"] = {"share_off": [float(v) for v in self.measured_share_off]}
        if self.forms:
            from .forms import forms_document
            out["forms"] = forms_document(self.forms, self.keys, self.low, self.high)
        return out


def _factor(cov: np.ndarray) -> np.ndarray:
    vals, vecs = np.linalg.eigh((cov + cov.T) / 2)
    return vecs * np.sqrt(np.clip(vals, 0, None))


def load_uncertain(ref, source: str = "uncertain", base_dir: str | None = None,
                   inner: int | None = None) -> UncertainParameters:
    """From a file path (a covariance file, or a fragment with its ``NAME_covariance.yaml`` beside
    it), or a mapping ``{file: PATH}`` / ``{parameters: {...}, covariance: [...]}``."""
    if isinstance(ref, (str, os.PathLike)):
        return _from_file(str(ref), base_dir, inner)
    if not isinstance(ref, dict):
        raise ExperimentError(source, "uncertain", "expected a file name, or a mapping with parameters: "
                              "{KEY: {estimate, std_error}} (or lower/upper) and optionally covariance")
    ref = dict(ref)
    inner = inner or ref.pop("inner_replications", None)
    ref.pop("source", None)
    if "file" in ref:
        extra = [k for k in ref if k != "file"]
        if extra:
            raise ExperimentError(source, f"uncertain.{extra[0]}", "give file: or parameters:, not both")
        return _from_file(str(ref["file"]), base_dir, inner, source)
    measured = _measured_share_off(ref.pop("measured_on", None), source)
    found = _from_mapping(ref, source, inner)
    return replace(found, measured_share_off=measured) if measured else found


def _from_file(path: str, base_dir: str | None, inner, where: str | None = None) -> UncertainParameters:
    from ..safe_yaml import read_yaml_file
    from pathlib import Path
    candidate = Path(base_dir) / path if base_dir and not os.path.isabs(path) else Path(path)
    if not candidate.is_file():
        raise ExperimentError(where or path, "uncertain", f"{path}: no such file (a fitted fragment with its "
                              "_covariance.yaml beside it, or a file with parameters: and covariance:)")
    doc = read_yaml_file(candidate, str(candidate))
    if isinstance(doc, dict) and "parameters" not in doc:   # a fragment: read its covariance file
        cov_path = candidate.with_name(candidate.stem + "_covariance" + candidate.suffix)
        if not cov_path.is_file():
            raise ExperimentError(str(candidate), "parameters", "a scenario fragment without uncertainty: "
                                  f"expected {cov_path.name} beside it (written by simlib calibrate uplift), or "
                                  "a file with parameters: {KEY: {estimate, std_error}}")
        candidate, doc = cov_path, read_yaml_file(cov_path, str(cov_path))
    if not isinstance(doc, dict):
        raise ExperimentError(str(candidate), "", "expected a mapping with parameters: and optionally covariance:")
    measured = _measured_share_off(doc.get("measured_on"), str(candidate))
    doc = {k: v for k, v in doc.items() if k not in INFO_KEYS}
    found = _from_mapping(doc, str(candidate), inner)
    return replace(found, measured_share_off=measured) if measured else found


def _measured_share_off(value, source: str) -> tuple:
    """``measured_on: {share_off: [...]}`` of a covariance file (simlib calibrate uplift)."""
    if value is None:
        return ()
    shares = value.get("share_off") if isinstance(value, dict) else None
    if not isinstance(shares, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                               and 0 <= v <= 1 for v in shares):
        raise ExperimentError(source, "measured_on.share_off", "expected a list of shares off in [0, 1]")
    return tuple(float(v) for v in shares)


def extrapolation_sentence(unc: "UncertainParameters | None", scenario: dict | None, words=None) -> str:
    """Whether an arm's price cuts lie within the depths the fitted effects were measured at
    (the prediction then interpolates) or outside them (it extrapolates along the model's depth
    curve); '' when either side offers no share-off cut. In Chinese when ``words``
    (report.lang.Words) asks for it."""
    from ..promotion import share_offs
    if unc is None or not unc.measured_share_off or not scenario:
        return ""
    offered = share_offs(scenario.get("policies", {}))
    if not offered:
        return ""
    lo, hi = min(unc.measured_share_off), max(unc.measured_share_off)
    outside = [d for d in offered if d < lo - 1e-9 or d > hi + 1e-9]
    zh = words is not None and words.zh

    def pct(values):
        shown = [f"{v:.0%}" for v in values]
        if zh:
            return "、".join(shown) + " 的折扣"
        return (", ".join(shown[:-1]) + " and " if len(shown) > 1 else "") + shown[-1] + " off"

    forms = [f for f in unc.forms if f.weight > 0]
    if zh:
        if not outside:
            return f"拟合的效应是在 {pct(unc.measured_share_off)}下测得的，正是本方案提供的力度。"
        head = (f"拟合的效应是在 {pct(unc.measured_share_off)}下测得的；本方案提供 {pct(outside)}：这是沿模型的力度曲线"
                f"（discount_effect × 价格敏感度 × 力度 的品牌份额 logit，docs/model.md 3b）在力度上的外推")
        if len(forms) < 2:
            return head + "，区间并未因此放宽。"
        from ..promotion import DIP_FORMS
        in_zh = {f.name: f.name_zh for f in DIP_FORMS}
        shares = "、".join(f"“{in_zh.get(f.name, f.name)}”{f.weight:.0%}" for f in forms)
        return (head + f"。券后回落随力度如何变化，单一力度的测试分辨不出：参数抽样按权重混合拟合出的两种形式（{shares}），"
                f"区间已包含这一不确定性。")
    if not outside:
        return f"The fitted effects were measured at {pct(unc.measured_share_off)}, the depth this arm offers."
    head = (f"The fitted effects were measured at {pct(unc.measured_share_off)}; this arm offers {pct(outside)}: "
            f"an extrapolation in depth along the model's depth curve (the brand-share logit of discount_effect x "
            f"price sensitivity x depth, docs/model.md 3b)")
    if len(forms) < 2:
        return head + ", which the interval does not widen for."
    shares = " and ".join(f"'{f.name}' ({f.weight:.0%})" for f in forms)
    return (head + f". How the dip after the coupon grows with depth is not told by a test at one depth, so the "
            f"parameter draws mix the forms fitted, {shares}, and the interval carries that.")


def _number(value, source, key) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ExperimentError(source, key, f"expected a finite number, got {str(value)[:40]!r}")
    return float(value)


def _from_mapping(doc: dict, source: str, inner) -> UncertainParameters:
    if doc.get("forms") is not None:
        return _with_forms(doc, source, inner)
    allowed = ("parameters", "covariance", "inner_replications")
    for key in doc:
        if key not in allowed:
            raise ExperimentError(source, f"uncertain.{key}", f"unknown key; allowed: {', '.join(allowed)}")
    inner = inner if inner is not None else doc.get("inner_replications", 2)
    if isinstance(inner, bool) or not isinstance(inner, int) or not 1 <= inner <= MAX_INNER:
        raise ExperimentError(source, "uncertain.inner_replications", f"got {inner!r}; allowed: a whole number "
                              f"from 1 to {MAX_INNER} (seeds per parameter draw; 2 separates the two sources)")
    params = doc.get("parameters")
    if not isinstance(params, dict) or not params:
        raise ExperimentError(source, "uncertain.parameters", "expected {KEY: {estimate, std_error}} or "
                              "{KEY: {estimate, lower, upper}} for at least one dotted scenario key")
    if len(params) > MAX_PARAMETERS:
        raise ExperimentError(source, "uncertain.parameters", f"{len(params)} parameters; at most {MAX_PARAMETERS}")
    keys, mean, se, low, high = [], [], [], [], []
    for key, entry in params.items():
        where = f"uncertain.parameters.{str(key)[:80]}"
        if not isinstance(key, str) or not key.strip() or len(key) > 200:
            raise ExperimentError(source, where, "expected a dotted scenario key such as behavior.discount_effect "
                                  "(or a parameter name of the experiment's model)")
        if not isinstance(entry, dict):
            raise ExperimentError(source, where, "expected {estimate, std_error} or {estimate, lower, upper}")
        for k in entry:
            if k not in ENTRY_KEYS:
                raise ExperimentError(source, f"{where}.{k}", f"unknown key; allowed: {', '.join(ENTRY_KEYS)}")
        values = {k: _number(v, source, f"{where}.{k}") for k, v in entry.items() if v is not None}
        level = values.get("confidence", 0.95)
        if not 0.5 <= level < 1:
            raise ExperimentError(source, f"{where}.confidence", f"got {level:g}; allowed: 0.5 to 0.999")
        if "std_error" in values:
            s = values["std_error"]
            m = values.get("estimate")
        elif "lower" in values and "upper" in values:
            if not values["lower"] < values["upper"]:
                raise ExperimentError(source, f"{where}.lower", "must be below upper")
            s = (values["upper"] - values["lower"]) / (2 * normal_quantile(0.5 + level / 2))
            m = values.get("estimate", (values["lower"] + values["upper"]) / 2)
        else:
            raise ExperimentError(source, where, "give std_error, or lower and upper (an interval)")
        if m is None:
            raise ExperimentError(source, f"{where}.estimate", "missing")
        if s < 0:
            raise ExperimentError(source, f"{where}.std_error", "must be >= 0")
        keys.append(key)
        mean.append(m)
        se.append(s)
        low.append(values.get("low", -np.inf))
        high.append(values.get("high", np.inf))
    cov = np.diag(np.square(se))
    if doc.get("covariance") is not None:
        cov = _covariance(doc["covariance"], len(keys), source, np.array(se))
    return UncertainParameters(tuple(keys), np.array(mean), cov, np.array(low), np.array(high), inner, source)


def _with_forms(doc: dict, source: str, inner) -> UncertainParameters:
    """A document with ``forms:`` (``forms.py``): its own parameters name the keys first; the
    draws come from the forms, and mean and covariance are the mixture's."""
    from .forms import mixture_moments, read_forms
    doc = dict(doc)
    entries = doc.pop("forms")
    top = _from_mapping(doc, source, inner)
    keys, forms, low, high = read_forms(entries, top.keys, source,
                                        lambda mapping, where: _from_mapping(mapping, where, 1))
    if len(keys) > MAX_PARAMETERS:
        raise ExperimentError(source, "forms", f"{len(keys)} parameters over the forms; at most {MAX_PARAMETERS}")
    for j, k in enumerate(top.keys):
        low[j], high[j] = max(low[j], top.low[j]), min(high[j], top.high[j])
    mean, cov = mixture_moments(forms)
    return replace(top, keys=keys, mean=mean, cov=cov, low=low, high=high, forms=forms)


def _covariance(rows, k, source, se) -> np.ndarray:
    if not isinstance(rows, list) or len(rows) != k or not all(isinstance(r, list) and len(r) == k for r in rows):
        raise ExperimentError(source, "uncertain.covariance", f"expected a {k} x {k} matrix (a list of {k} rows), "
                              "in the order of parameters:")
    cov = np.array([[_number(v, source, "uncertain.covariance") for v in r] for r in rows])
    if not np.allclose(cov, cov.T, rtol=1e-6, atol=1e-12 * max(1.0, np.abs(cov).max())):
        raise ExperimentError(source, "uncertain.covariance", "is not symmetric")
    if np.linalg.eigvalsh((cov + cov.T) / 2).min() < -1e-8 * max(1.0, np.abs(cov).max()):
        raise ExperimentError(source, "uncertain.covariance", "is not a covariance (it has a negative eigenvalue)")
    if not np.allclose(np.sqrt(np.clip(np.diag(cov), 0, None)), se, rtol=1e-3, atol=1e-9):
        raise ExperimentError(source, "uncertain.covariance", "its diagonal does not match the std_error of the "
                              "parameters (squared)")
    return (cov + cov.T) / 2


def bounded_by_arms(unc: UncertainParameters, data: dict, source: str):
    """Check the uncertain keys against the arms' resolved scenarios (each in at least one) and
    tighten their bounds to the declared ones; returns (parameters, arm -> keys it has)."""
    from dataclasses import replace

    from ..keys import declared_param
    low, high = unc.low.copy(), unc.high.copy()
    per_arm = {arm: [] for arm in data}
    for j, key in enumerate(unc.keys):
        declared = [(arm, declared_param(key, d)) for arm, d in data.items()]
        having = [(arm, p) for arm, p in declared if p is not None]
        if not having:
            from ..keys import numeric_keys
            from ..errors import did_you_mean
            allowed = sorted({k for d in data.values() for k in numeric_keys(d)})
            raise ExperimentError(source, f"uncertain.parameters.{key}", "no arm's scenario has this number "
                                  "parameter." + did_you_mean(key, allowed))
        param = having[0][1]
        if param.kind is not float:
            raise ExperimentError(source, f"uncertain.parameters.{key}", f"not a number parameter "
                                  f"({param.allowed()})")
        if param.low is not None:
            low[j] = max(low[j], param.low)
        if param.high is not None:
            high[j] = min(high[j], param.high)
        if not low[j] <= unc.mean[j] <= high[j]:
            raise ExperimentError(source, f"uncertain.parameters.{key}.estimate", f"{unc.mean[j]:g} is outside "
                                  f"its allowed range: {param.allowed()}")
        for arm, _ in having:
            per_arm[arm].append(key)
    return replace(unc, low=low, high=high), per_arm


def run_overrides(unc: UncertainParameters, seed: int, replications: int, keys_by_arm: dict):
    """(arm, replication) -> {key: value}: replication r takes draw r // inner, the same for
    every arm (each arm gets the keys its scenario has)."""
    values = unc.draws(seed, (replications - 1) // unc.inner + 1)

    def overrides(arm, r):
        row = values[r // unc.inner]
        return {k: float(v) for k, v in zip(unc.keys, row) if k in keys_by_arm.get(arm, ())}
    return overrides


# -- the analysis ------------------------------------------------------------------------------

def decompose(diff: np.ndarray, groups: np.ndarray, theta: np.ndarray, keys, sign: float = 1.0,
              confidence: float = 0.95) -> dict:
    """Variance of a paired difference split into parameters and simulation, the interval and
    P(better) that carry both, and what measuring each parameter would remove.

    ``diff`` per replication, ``groups`` its draw index, ``theta`` the draws (one row per group
    index), ``keys`` their names."""
    diff = np.asarray(diff, float)
    groups = np.asarray(groups)
    labels, inverse, sizes = np.unique(groups, return_inverse=True, return_counts=True)
    n, g = diff.size, labels.size
    means = np.bincount(inverse, weights=diff) / sizes
    grand = float(diff.mean())
    out = {"mean": grand, "draws": int(g), "runs": int(n)}
    if g < 2:
        return {**out, "method": "none", "var_param": float("nan"), "var_sim": float("nan")}
    if sizes.max() > 1 and n > g:
        ssw = float(((diff - means[inverse]) ** 2).sum())
        msw = ssw / (n - g)
        msb = float((sizes * (means - grand) ** 2).sum()) / (g - 1)
        n0 = (n - (sizes ** 2).sum() / n) / (g - 1)
        var_param, var_sim = max(0.0, (msb - msw) / n0), msw
        var_mean = var_param * float((sizes ** 2).sum()) / n ** 2 + var_sim / n
        method = "anova"
    else:   # one run per draw: the parameters' part is what a linear fit on them explains
        fitted = _linear_fit(means, theta[labels])
        var_param = float(np.var(fitted, ddof=1)) if fitted is not None else 0.0
        var_sim = max(0.0, float(np.var(diff, ddof=1)) - var_param)
        var_mean = float(np.var(diff, ddof=1)) / n
        method = "regression"
    spread = math.sqrt(var_param + var_mean)
    df = g - 1
    t = t_quantile(0.5 + confidence / 2, df)
    if spread > 0:
        p_better = float(t_cdf(sign * grand / spread, df))
    else:
        p_better = 1.0 if sign * grand > 0 else 0.0 if sign * grand < 0 else 0.5
    total = var_param + var_sim
    out.update(method=method, var_param=var_param, var_sim=var_sim, var_mean=var_mean,
               share_param=var_param / total if total > 0 else float("nan"),
               share_sim=var_sim / total if total > 0 else float("nan"),
               low=grand - t * spread, high=grand + t * spread, p_better=p_better,
               sd_sim=math.sqrt(var_sim))
    out["value_of_information"] = _voi(means, theta[labels], keys, var_param)
    return out


def _linear_fit(y, x):
    if len(y) <= x.shape[1] + 1:
        return None
    design = np.column_stack([np.ones(len(y)), x - x.mean(axis=0)])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    return design @ coef


def _voi(means, theta, keys, var_param) -> list:
    """Per parameter: the variance of the difference that knowing it exactly would remove,
    Var(E[D | theta_j]). With the draws normal and E[D | theta] near linear it is the share of
    the draws' mean differences that theta_j alone explains (r_j^2 of a regression on theta_j
    alone, so correlated parameters need no joint fit), times their variance. r^2 of a noise
    regressor averages 1 / (G - 1) over G draws, so the adjusted r^2 is used: with few draws no
    parameter stands out rather than a spurious one. Capped at the parameters' share."""
    g = theta.shape[0]
    x = theta - theta.mean(axis=0)
    y = means - means.mean()
    var_y = float(y @ y) / (g - 1)
    rows = []
    for j, key in enumerate(keys):
        ss = float(x[:, j] @ x[:, j])
        if ss <= 0 or var_y <= 0 or g < 3:
            rows.append({"parameter": key, "removes": 0.0, "slope": 0.0})
            continue
        r2 = float(x[:, j] @ y) ** 2 / (ss * float(y @ y))
        adjusted = max(0.0, 1 - (1 - r2) * (g - 1) / (g - 2))
        rows.append({"parameter": key, "removes": min(adjusted * var_y, var_param),
                     "slope": float(x[:, j] @ y) / ss})
    return sorted(rows, key=lambda r: -r["removes"])


UNCERTAINTY_COLUMNS = ["var_param", "var_sim", "share_param", "share_sim", "voi_parameter", "voi_share",
                       "draws", "inner", "diff_low_sim", "diff_high_sim", "p_better_sim"]


def with_uncertainty(table, runs, outcomes, reference: str, unc: UncertainParameters, seed: int,
                     confidence: float = 0.95):
    """The comparison table (``compare.compare_table``) with intervals and P(better) that carry
    the parameters' uncertainty as well as the simulation's, and the variance shares.

    The simulation-only figures stay as ``diff_low_sim``, ``diff_high_sim``, ``p_better_sim``."""
    from .compare import is_share, logit_interval, paired
    table = table.copy()
    for col in UNCERTAINTY_COLUMNS:
        table[col] = np.nan if col != "voi_parameter" else ""
    if not len(runs) or not len(table):
        return table
    reps = int(runs["replication"].max()) + 1
    theta = unc.draws(seed, (reps - 1) // unc.inner + 1)
    by_name = {o.name: o for o in outcomes}
    for i, row in table.iterrows():
        o = by_name.get(row["outcome"])
        if o is None or o.key not in runs.columns:
            continue
        own = runs[runs["arm"] == row["arm"]]
        dec = decompose(own[o.key].to_numpy(float), own["replication"].to_numpy() // unc.inner, theta, unc.keys,
                        confidence=confidence)
        if dec["method"] != "none":
            low, high = dec["low"], dec["high"]
            if is_share(o.key) and own[o.key].between(0, 1).all():   # a rate's interval stays in [0, 1]
                low, high = logit_interval(dec["mean"], (high - low) / 2)
            table.loc[i, ["mean_low", "mean_high"]] = [low, high]
        if row["arm"] == reference:
            continue
        d = paired(runs, o.key, row["arm"], reference)
        groups = d.index.get_level_values("replication").to_numpy() // unc.inner
        dec = decompose(d.to_numpy(float), groups, theta, unc.keys, o.sign, confidence)
        if dec["method"] == "none":
            continue
        total = dec["var_param"] + dec["var_sim"]
        top = dec["value_of_information"][0]
        table.loc[i, ["diff_low_sim", "diff_high_sim", "p_better_sim"]] = [row["diff_low"], row["diff_high"],
                                                                          row["p_better"]]
        table.loc[i, ["diff_low", "diff_high", "p_better"]] = [dec["low"], dec["high"], dec["p_better"]]
        table.loc[i, ["var_param", "var_sim", "share_param", "share_sim", "draws", "inner"]] = [
            dec["var_param"], dec["var_sim"], dec["share_param"], dec["share_sim"], dec["draws"], unc.inner]
        share = top["removes"] / total if total > 0 else 0.0
        # name a parameter only when measuring it would remove a visible part (1 % or more)
        table.loc[i, "voi_parameter"] = top["parameter"] if share >= 0.01 else ""
        table.loc[i, "voi_share"] = share
        table.loc[i, "reps_needed"] = replications_with_parameters(row["delta"], dec["var_param"], dec["sd_sim"],
                                                                   confidence, row["power"])
    return table


def replications_with_parameters(delta: float, var_param: float, sd_sim: float, confidence: float = 0.95,
                                 power: float = 0.8) -> float:
    """Paired replications n for which a difference ``delta`` is told from zero with ``power`` when
    the parameters' part of the variance does not shrink with n: |delta| >= (z_a + z_b) *
    sqrt(var_param + sd_sim^2 / n) (normal theory), and never fewer than the t-test with the
    simulation alone needs. Infinite when the parameter spread alone hides ``delta``: more runs
    cannot settle it, measuring the parameter can."""
    if not np.isfinite(delta) or delta == 0:
        return float("inf")
    zz = normal_quantile(0.5 + confidence / 2) + normal_quantile(power)
    room = (delta / zz) ** 2 - max(var_param, 0.0)
    if room <= 0:
        return float("inf")
    from .compare import replications_needed
    sim_only = replications_needed(sd_sim, delta, confidence, power)
    return float(max(sim_only, math.ceil(sd_sim ** 2 / room)))
