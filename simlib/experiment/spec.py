"""Experiment declarations: what to run (arms), what the world might be (uncertainties),
what the team controls (levers), what is measured (outcomes), and how often (replications).

An experiment file is YAML; `load_experiment(path)` validates it strictly (unknown keys are
errors naming the file, the key path, the allowed values and a did-you-mean) and returns an
`ExperimentSpec`. Scenario keys named by uncertainties, levers and arm overrides are checked
against the base scenario when the engine is available.
"""
from __future__ import annotations

import ast
import difflib
import os
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import yaml

try:  # the engine's error type, so the CLI prints our messages without a traceback
    from simlib import UserError as _BaseUserError  # type: ignore[attr-defined]
except Exception:  # engine not importable yet: keep a local base class
    class _BaseUserError(Exception):
        """Error a user can cause."""


class ExperimentError(_BaseUserError):
    """A broken experiment file or request; str() is the full message for the user."""


# Summary metrics and the direction in which they are good. Used for defaults and for
# "did you mean" on outcome names; the engine's own list, when it exposes one, wins.
KNOWN_DIRECTIONS = {
    "gmv_cny": "maximize", "gross_profit_cny": "maximize", "roi": "maximize",
    "purchases": "maximize", "buyers": "maximize", "repeat_buyers": "maximize",
    "repurchase_rate": "maximize", "clv_cny": "maximize", "pond_size": "maximize",
    "in_pond": "maximize", "loyal": "maximize",
    "marketing_cost_cny": "minimize", "cac_cny": "minimize", "churn_rate": "minimize",
    "messages_sent": "minimize", "unsubscribes": "minimize", "discount_cny": "minimize",
    "ad_spend_cny": "minimize", "staff_cost_cny": "minimize", "lost": "minimize",
    "revenue_cny": "maximize", "cogs_cny": "minimize", "acquisition_cost_cny": "minimize",
    "roas": "maximize", "clv_cny": "maximize", "new_buyers": "maximize",
    "pond_size_end": "maximize", "pond_joins": "maximize", "coupons_redeemed": "maximize",
    "loyal_end": "maximize", "lost_end": "minimize", "dormant_end": "minimize",
}
DEFAULT_OUTCOMES = ["gross_profit_cny", "gmv_cny", "roi", "repurchase_rate", "churn_rate",
                    "marketing_cost_cny"]

TOP_KEYS = {
    "name": "a short name for the experiment",
    "description": "one line on the question it answers",
    "base": "the base scenario: a YAML path (relative to this file) or a built-in name",
    "model": "advanced: 'module:function' evaluated instead of the simulator (tests, toys)",
    "users": "market size used for every run (overrides the scenarios)",
    "days": "simulated days for every run (overrides the scenarios)",
    "seed": "experiment seed; per-replication seeds are derived from it",
    "replications": "replications per arm (and per design point)",
    "crn": "common random numbers: arms share a seed within a replication (default true)",
    "confidence": "confidence level of intervals (default 0.95)",
    "reference": "the arm the others are compared to (default: the first arm)",
    "overrides": "dotted.key: value applied to every arm first (the shared market)",
    "arms": "strategy arms: NAME: {scenario: FILE, overrides: {dotted.key: value}}",
    "uncertainties": "world parameters: dotted.key: {low, high} or {values: [...]}",
    "levers": "team-controlled parameters: dotted.key: {low, high} or {values: [...]}",
    "outcomes": "metric: maximize|minimize (or {direction, metric})",
    "detect_difference": "outcome: smallest difference worth detecting (for replications needed)",
    "compare": "arm comparison settings: {keep_daily: true}",
    "sweep": "design over uncertainties and levers: {design: grid|lhs|sobol, points, levels, arms}",
    "sensitivity": "global sensitivity: {samples, bootstrap, outcomes, arms, over}",
    "optimize": "lever search: {outcome, robust, constraints, candidates, scenarios, rounds, arm, frontier}",
}
ARM_KEYS = {"scenario": "a scenario YAML path (relative to this file) or built-in name",
            "overrides": "dotted.key: value overrides applied on top",
            "description": "one line"}
PARAM_KEYS = {"low": "lower bound", "high": "upper bound", "values": "a list of discrete values",
              "dist": "uniform|loguniform|triangular", "mode": "peak of a triangular dist",
              "integer": "round to whole numbers", "default": "value when not varied",
              "description": "one line", "name": "short label for plots"}
DISTS = ("uniform", "loguniform", "triangular")
SWEEP_KEYS = {"design": "grid|lhs|sobol", "points": "number of design points (lhs, sobol)",
              "levels": "levels per parameter (grid)", "arms": "arms to sweep (default all)",
              "over": "uncertainties|levers|both (default both)", "keep_daily": "store daily series"}
SENS_KEYS = {"samples": "base sample size n (a power of 2); runs = n*(d+2) per arm and rep",
             "bootstrap": "bootstrap resamples for the intervals", "outcomes": "outcomes analysed",
             "arms": "arms analysed (default: reference)",
             "over": "uncertainties|levers|both (default both)",
             "difference": "also analyse each arm's paired difference to the reference arm"}
OPT_KEYS = {"outcome": "the outcome to optimise (direction from outcomes:)",
            "robust": "mean, or {quantile: q}: statistic across uncertainty scenarios",
            "constraints": "list of {metric|levers, max|min}",
            "candidates": "lever settings tried in the first round",
            "scenarios": "uncertainty scenarios each candidate is scored on",
            "rounds": "refinement rounds around the best feasible candidates",
            "keep": "candidates refined per round", "arm": "arm whose levers are tuned",
            "frontier": "second objective for the trade-off frontier (an outcome)"}
COMPARE_KEYS = {"keep_daily": "store the daily funnel of every run (fan charts)"}
CONSTRAINT_KEYS = {"metric": "a summary metric (mean across scenarios must satisfy the bound)",
                   "levers": "{lever.key: weight}: weighted sum of lever values",
                   "max": "upper bound", "min": "lower bound", "name": "label",
                   "statistic": "mean (default) or {quantile: q} of the metric across scenarios"}

_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def did_you_mean(word: str, allowed) -> str:
    close = difflib.get_close_matches(str(word), [str(a) for a in allowed], n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _fail(source: str, path: str, problem: str) -> ExperimentError:
    where = f"{source}: " if source else ""
    key = f"key '{path}': " if path else ""
    return ExperimentError(f"{where}{key}{problem}")


def _check_keys(source, path, mapping, allowed: dict):
    if not isinstance(mapping, dict):
        raise _fail(source, path, f"expected a mapping, got {type(mapping).__name__} {mapping!r}")
    for k in mapping:
        if k not in allowed:
            full = f"{path}.{k}" if path else str(k)
            raise _fail(source, full, f"unknown key '{k}'; allowed: {', '.join(sorted(allowed))}"
                        f"{did_you_mean(k, allowed)}")


def _number(source, path, value, *, integer=False, positive=False, minimum=None):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(source, path, f"expected a number, got {value!r}")
    if integer and int(value) != value:
        raise _fail(source, path, f"expected a whole number, got {value!r}")
    if not np.isfinite(value):
        raise _fail(source, path, f"expected a finite number, got {value!r}")
    if positive and value <= 0:
        raise _fail(source, path, f"must be > 0, got {value!r}")
    if minimum is not None and value < minimum:
        raise _fail(source, path, f"must be >= {minimum}, got {value!r}")
    return int(value) if integer else value


@dataclass(frozen=True)
class Parameter:
    """A scenario parameter varied by a design: an uncertainty or a lever."""
    key: str                      # dotted scenario key, e.g. "traits.price_sensitivity.mean"
    role: str                     # "uncertainty" or "lever"
    low: float | None = None
    high: float | None = None
    values: tuple | None = None   # discrete alternatives (then low/high unused)
    dist: str = "uniform"
    mode: float | None = None
    integer: bool = False
    default: Any = None
    label: str | None = None

    @property
    def short(self) -> str:
        return self.label or self.key

    def from_unit(self, u) -> np.ndarray:
        """Map points of the unit interval to parameter values (the inverse CDF)."""
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        if self.values is not None:
            idx = np.minimum((u * len(self.values)).astype(int), len(self.values) - 1)
            return np.asarray(self.values, dtype=object)[idx]
        lo, hi = float(self.low), float(self.high)
        if self.dist == "loguniform":
            x = np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo)))
        elif self.dist == "triangular":
            c = (float(self.mode) - lo) / (hi - lo)
            left = lo + np.sqrt(u * (hi - lo) * (float(self.mode) - lo))
            right = hi - np.sqrt((1 - u) * (hi - lo) * (hi - float(self.mode)))
            x = np.where(u < c, left, right)
        else:
            x = lo + u * (hi - lo)
        if self.integer:
            # floor of a stretched interval keeps every integer equally likely
            x = np.minimum(np.floor(lo + u * (hi - lo + 1)), hi) if self.dist == "uniform" else np.round(x)
        return x

    def grid(self, levels: int) -> list:
        if self.values is not None:
            return list(self.values)
        if self.integer:
            n = int(self.high - self.low) + 1
            if n <= levels:
                return [int(v) for v in range(int(self.low), int(self.high) + 1)]
            return sorted({int(round(v)) for v in np.linspace(self.low, self.high, levels)})
        return [float(v) for v in np.linspace(self.low, self.high, levels)]

    def midpoint(self):
        if self.default is not None:
            return self.default
        if self.values is not None:
            return self.values[0]
        v = (float(self.low) + float(self.high)) / 2
        return int(round(v)) if self.integer else v

    def clip(self, x):
        if self.values is not None:
            return x
        x = min(max(float(x), float(self.low)), float(self.high))
        return int(round(x)) if self.integer else x

    def to_plain(self, value):
        """A value as a plain Python scalar (for YAML/JSON and scenario overrides)."""
        if isinstance(value, np.generic):
            value = value.item()
        if self.integer and isinstance(value, float):
            value = int(round(value))
        return value


@dataclass(frozen=True)
class Outcome:
    name: str
    direction: str = "maximize"   # or "minimize"
    metric: str | None = None     # summary key (default: name)
    formula: str | None = None    # arithmetic of summary keys, e.g. "gross_profit_cny - marketing_cost_cny"

    @property
    def key(self) -> str:
        return self.name if self.formula else (self.metric or self.name)

    @property
    def sign(self) -> float:
        return 1.0 if self.direction == "maximize" else -1.0


@dataclass(frozen=True)
class Arm:
    name: str
    scenario: str | None = None   # resolved path or built-in name; None = the base
    overrides: dict = field(default_factory=dict)
    description: str = ""


@dataclass(frozen=True)
class Constraint:
    name: str
    metric: str | None = None
    levers: dict | None = None
    max: float | None = None
    min: float | None = None
    quantile: float | None = None  # None = mean across scenarios

    def slack(self, value: float) -> float:
        """>= 0 when satisfied; the amount of violation otherwise (negative)."""
        s = np.inf
        if self.max is not None:
            s = min(s, self.max - value)
        if self.min is not None:
            s = min(s, value - self.min)
        return float(s)


@dataclass
class ExperimentSpec:
    name: str
    source: str = "<dict>"
    description: str = ""
    base: str | None = None
    model: str | None = None
    users: int | None = None
    days: int | None = None
    seed: int = 0
    replications: int = 10
    crn: bool = True
    confidence: float = 0.95
    reference: str = ""
    overrides: dict = field(default_factory=dict)     # applied to every arm first
    arms: dict = field(default_factory=dict)          # name -> Arm
    uncertainties: list = field(default_factory=list)  # [Parameter]
    levers: list = field(default_factory=list)         # [Parameter]
    outcomes: list = field(default_factory=list)       # [Outcome]
    detect_difference: dict = field(default_factory=dict)
    compare: dict | None = None
    sweep: dict | None = None
    sensitivity: dict | None = None
    optimize: dict | None = None
    raw: dict = field(default_factory=dict)

    # -- helpers ---------------------------------------------------------------------------
    def outcome(self, name: str) -> Outcome:
        for o in self.outcomes:
            if o.name == name:
                return o
        raise _fail(self.source, "outcomes", f"unknown outcome '{name}'; declared: "
                    f"{', '.join(o.name for o in self.outcomes)}{did_you_mean(name, [o.name for o in self.outcomes])}")

    def parameters(self, over: str = "both") -> list:
        if over == "uncertainties":
            return list(self.uncertainties)
        if over == "levers":
            return list(self.levers)
        return list(self.uncertainties) + list(self.levers)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.raw, sort_keys=False, allow_unicode=True)


def _resolve_path(source: str, ref: str) -> str:
    """A scenario reference relative to the experiment file; built-in names pass through."""
    if source and source != "<dict>" and not os.path.isabs(ref):
        cand = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(source)), ref))
        if os.path.exists(cand):
            return cand
    if os.path.exists(ref):
        return os.path.abspath(ref)
    return ref  # a built-in scenario name; the engine resolves (and rejects) it


def _parse_param(source, path, key, d, role) -> Parameter:
    if isinstance(d, list):
        d = {"values": d}
    _check_keys(source, path, d, PARAM_KEYS)
    if "values" in d:
        vals = d["values"]
        if not isinstance(vals, list) or not vals:
            raise _fail(source, f"{path}.values", "expected a non-empty list of values")
        return Parameter(key=key, role=role, values=tuple(vals), default=d.get("default"),
                         label=d.get("name"))
    for b in ("low", "high"):
        if b not in d:
            raise _fail(source, path, f"missing '{b}'; give low and high, or values: [...]")
    integer = bool(d.get("integer", False))
    lo = _number(source, f"{path}.low", d["low"])
    hi = _number(source, f"{path}.high", d["high"])
    if not lo < hi:
        raise _fail(source, path, f"impossible range: low ({lo}) must be below high ({hi})")
    dist = d.get("dist", "uniform")
    if dist not in DISTS:
        raise _fail(source, f"{path}.dist", f"unknown distribution '{dist}'; allowed: "
                    f"{', '.join(DISTS)}{did_you_mean(dist, DISTS)}")
    if dist == "loguniform" and lo <= 0:
        raise _fail(source, f"{path}.low", f"loguniform needs low > 0, got {lo}")
    mode = d.get("mode")
    if dist == "triangular":
        if mode is None:
            raise _fail(source, path, "triangular needs 'mode' between low and high")
        mode = _number(source, f"{path}.mode", mode)
        if not lo <= mode <= hi:
            raise _fail(source, f"{path}.mode", f"mode {mode} outside [{lo}, {hi}]")
    return Parameter(key=key, role=role, low=lo, high=hi, dist=dist, mode=mode, integer=integer,
                     default=d.get("default"), label=d.get("name"))


_FORMULA_NODES = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Name, ast.Load, ast.Constant,
                  ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd)


def formula_names(source: str, path: str, formula: str) -> list:
    """Names used by an outcome formula; only + - * / ** of names and numbers are allowed."""
    try:
        tree = ast.parse(formula, mode="eval")
    except SyntaxError:
        raise _fail(source, path, f"cannot read formula '{formula}'") from None
    for node in ast.walk(tree):
        if not isinstance(node, _FORMULA_NODES):
            raise _fail(source, path, f"formula '{formula}': only metric names, numbers and "
                        "+ - * / ** are allowed")
    return sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)})


def eval_formula(formula: str, columns) -> np.ndarray:
    """Evaluate a validated formula with `columns` (mapping name -> array)."""
    tree = ast.parse(formula, mode="eval")

    def ev(n):
        if isinstance(n, ast.Expression):
            return ev(n.body)
        if isinstance(n, ast.Constant):
            return float(n.value)
        if isinstance(n, ast.Name):
            return np.asarray(columns[n.id], dtype=float)
        if isinstance(n, ast.UnaryOp):
            v = ev(n.operand)
            return -v if isinstance(n.op, ast.USub) else v
        a, b = ev(n.left), ev(n.right)
        with np.errstate(divide="ignore", invalid="ignore"):
            return {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply,
                    ast.Div: np.divide, ast.Pow: np.power}[type(n.op)](a, b)
    return ev(tree)


def check_metrics(spec: "ExperimentSpec", available) -> None:
    """Outcome and constraint metrics must be reported by the runs (probed before running)."""
    available = sorted(available)
    for o in spec.outcomes:
        if o.formula:
            for nm in formula_names(spec.source, f"outcomes.{o.name}.formula", o.formula):
                if nm not in available:
                    raise _fail(spec.source, f"outcomes.{o.name}.formula", f"unknown metric "
                                f"'{nm}'; allowed: {', '.join(available)}{did_you_mean(nm, available)}")
            continue
        if o.key not in available:
            raise _fail(spec.source, f"outcomes.{o.name}", f"unknown metric '{o.key}'; allowed: "
                        f"{', '.join(available)}{did_you_mean(o.key, available)}")
    available = sorted(set(available) | {o.name for o in spec.outcomes})
    for i, c in enumerate((spec.optimize or {}).get("constraints", [])):
        if c.metric and c.metric not in available:
            raise _fail(spec.source, f"optimize.constraints[{i}].metric", f"unknown metric "
                        f"'{c.metric}'; allowed: {', '.join(available)}{did_you_mean(c.metric, available)}")


def parse_experiment(data: dict, source: str = "<dict>", metrics: list | None = None) -> ExperimentSpec:
    """Validate a raw experiment mapping and return the spec (no scenario checks here)."""
    if not isinstance(data, dict):
        raise _fail(source, "", "an experiment file must be a mapping of keys (name:, arms:, ...)")
    _check_keys(source, "", data, TOP_KEYS)
    spec = ExperimentSpec(name=str(data.get("name") or os.path.splitext(os.path.basename(source))[0]),
                          source=source, raw=data)
    spec.description = str(data.get("description", ""))
    spec.model = data.get("model")
    if data.get("base") is not None:
        spec.base = _resolve_path(source, str(data["base"]))
    if spec.base is None and spec.model is None and not data.get("arms"):
        raise _fail(source, "base", "missing: name a base scenario (or arms with scenario files)")
    for k in ("users", "days"):
        if data.get(k) is not None:
            setattr(spec, k, _number(source, k, data[k], integer=True, positive=True))
    spec.seed = _number(source, "seed", data.get("seed", 0), integer=True, minimum=0)
    spec.replications = _number(source, "replications", data.get("replications", 10),
                                integer=True, positive=True)
    spec.crn = bool(data.get("crn", True))
    spec.confidence = _number(source, "confidence", data.get("confidence", 0.95))
    if not 0.5 <= spec.confidence < 1:
        raise _fail(source, "confidence", f"must be in [0.5, 1), got {spec.confidence}")

    common = data.get("overrides") or {}
    if not isinstance(common, dict):
        raise _fail(source, "overrides", "expected a mapping dotted.key: value")
    spec.overrides = dict(common)

    # arms
    arms_raw = data.get("arms") or {"base": {}}
    if isinstance(arms_raw, list):  # a list of scenario files
        arms_raw = {os.path.splitext(os.path.basename(str(a)))[0]: {"scenario": a} for a in arms_raw}
    if not isinstance(arms_raw, dict):
        raise _fail(source, "arms", "expected a mapping NAME: {scenario: FILE, overrides: {...}}")
    for name, a in arms_raw.items():
        if not _NAME_RE.match(str(name)):
            raise _fail(source, f"arms.{name}", "arm names are letters, digits and _ , starting with a letter")
        a = a or {}
        if isinstance(a, str):
            a = {"scenario": a}
        _check_keys(source, f"arms.{name}", a, ARM_KEYS)
        ov = a.get("overrides") or {}
        if not isinstance(ov, dict):
            raise _fail(source, f"arms.{name}.overrides", "expected a mapping dotted.key: value")
        scen = _resolve_path(source, str(a["scenario"])) if a.get("scenario") else None
        if scen is None and spec.base is None and spec.model is None:
            raise _fail(source, f"arms.{name}", "no scenario and no base: give one of them")
        spec.arms[str(name)] = Arm(str(name), scen, dict(ov), str(a.get("description", "")))
    spec.reference = str(data.get("reference", next(iter(spec.arms))))
    if spec.reference not in spec.arms:
        raise _fail(source, "reference", f"unknown arm '{spec.reference}'; arms: "
                    f"{', '.join(spec.arms)}{did_you_mean(spec.reference, spec.arms)}")

    # uncertainties and levers
    for role, key in (("uncertainty", "uncertainties"), ("lever", "levers")):
        block = data.get(key) or {}
        if not isinstance(block, dict):
            raise _fail(source, key, "expected a mapping dotted.scenario.key: {low, high}")
        params = [_parse_param(source, f"{key}.{k}", str(k), v, role) for k, v in block.items()]
        setattr(spec, key, params)
    seen = set()
    for p in spec.uncertainties + spec.levers:
        if p.key in seen:
            raise _fail(source, p.key, "declared both as an uncertainty and as a lever")
        seen.add(p.key)

    # outcomes
    allowed = metrics  # None: checked later against what the runs report (check_metrics)
    out_raw = data.get("outcomes") or {k: KNOWN_DIRECTIONS[k] for k in DEFAULT_OUTCOMES}
    if isinstance(out_raw, list):
        out_raw = {k: KNOWN_DIRECTIONS.get(k, "maximize") for k in out_raw}
    if not isinstance(out_raw, dict):
        raise _fail(source, "outcomes", "expected a mapping metric: maximize|minimize")
    for name, o in out_raw.items():
        if isinstance(o, str) or o is None:
            o = {"direction": o or KNOWN_DIRECTIONS.get(name, "maximize")}
        _check_keys(source, f"outcomes.{name}", o, {"direction": "maximize|minimize",
                                                    "metric": "summary key",
                                                    "formula": "arithmetic of summary keys"})
        direction = o.get("direction", KNOWN_DIRECTIONS.get(name, "maximize"))
        direction = {"max": "maximize", "min": "minimize", "maximise": "maximize",
                     "minimise": "minimize"}.get(direction, direction)
        if direction not in ("maximize", "minimize"):
            raise _fail(source, f"outcomes.{name}", f"direction '{direction}' not allowed; "
                        "allowed: maximize, minimize")
        metric = str(o.get("metric", name))
        formula = o.get("formula")
        if formula is not None:
            formula_names(source, f"outcomes.{name}.formula", str(formula))
            metric = None
        elif allowed and spec.model is None and metric not in allowed:
            raise _fail(source, f"outcomes.{name}", f"unknown metric '{metric}'; allowed: "
                        f"{', '.join(sorted(allowed))}{did_you_mean(metric, allowed)}")
        spec.outcomes.append(Outcome(str(name), direction, metric,
                                     str(formula) if formula is not None else None))
    names = [o.name for o in spec.outcomes]

    dd = data.get("detect_difference") or {}
    if not isinstance(dd, dict):
        raise _fail(source, "detect_difference", "expected a mapping outcome: difference")
    for k, v in dd.items():
        if k not in names:
            raise _fail(source, f"detect_difference.{k}", f"not a declared outcome; outcomes: "
                        f"{', '.join(names)}{did_you_mean(k, names)}")
        spec.detect_difference[k] = _number(source, f"detect_difference.{k}", v, positive=True)

    # analyses
    if data.get("compare") is not None:
        _check_keys(source, "compare", data["compare"] or {}, COMPARE_KEYS)
        spec.compare = dict(data["compare"] or {})
    if data.get("sweep") is not None:
        sw = dict(data["sweep"] or {})
        _check_keys(source, "sweep", sw, SWEEP_KEYS)
        sw.setdefault("design", "lhs")
        if sw["design"] not in ("grid", "lhs", "sobol"):
            raise _fail(source, "sweep.design", f"unknown design '{sw['design']}'; allowed: grid, "
                        f"lhs, sobol{did_you_mean(sw['design'], ['grid', 'lhs', 'sobol'])}")
        sw["points"] = _number(source, "sweep.points", sw.get("points", 32), integer=True, positive=True)
        sw["levels"] = _number(source, "sweep.levels", sw.get("levels", 5), integer=True, minimum=2)
        sw["arms"] = _arm_list(spec, "sweep.arms", sw.get("arms"), default=list(spec.arms))
        sw["over"] = _over(spec, "sweep.over", sw.get("over", "both"))
        spec.sweep = sw
    if data.get("sensitivity") is not None:
        se = dict(data["sensitivity"] or {})
        _check_keys(source, "sensitivity", se, SENS_KEYS)
        n = _number(source, "sensitivity.samples", se.get("samples", 64), integer=True, positive=True)
        if n & (n - 1) or n < 8:
            raise _fail(source, "sensitivity.samples", f"must be a power of 2 (>= 8), got {n}; "
                        f"nearest: {2 ** int(round(np.log2(max(n, 8))))}")
        se["samples"] = n
        se["bootstrap"] = _number(source, "sensitivity.bootstrap", se.get("bootstrap", 200),
                                  integer=True, minimum=20)
        se["outcomes"] = _outcome_list(spec, "sensitivity.outcomes", se.get("outcomes"))
        se["arms"] = _arm_list(spec, "sensitivity.arms", se.get("arms"), default=[spec.reference])
        se["over"] = _over(spec, "sensitivity.over", se.get("over", "both"))
        se["difference"] = bool(se.get("difference", False))
        if se["difference"]:
            if spec.reference not in se["arms"] or len(se["arms"]) < 2:
                raise _fail(source, "sensitivity.difference", "needs the reference arm "
                            f"'{spec.reference}' and at least one other arm in sensitivity.arms")
        if len(spec.parameters(se["over"])) < 2:
            raise _fail(source, "sensitivity.over", "needs at least 2 uncertainties/levers to vary")
        spec.sensitivity = se
    if data.get("optimize") is not None:
        spec.optimize = _parse_optimize(spec, dict(data["optimize"] or {}))
    return spec


def _arm_list(spec, path, value, default):
    if value is None:
        return default
    if isinstance(value, str):
        value = [value]
    for a in value:
        if a not in spec.arms:
            raise _fail(spec.source, path, f"unknown arm '{a}'; arms: {', '.join(spec.arms)}"
                        f"{did_you_mean(a, spec.arms)}")
    return list(value)


def _outcome_list(spec, path, value):
    names = [o.name for o in spec.outcomes]
    if value is None:
        return names
    if isinstance(value, str):
        value = [value]
    for v in value:
        if v not in names:
            raise _fail(spec.source, path, f"unknown outcome '{v}'; outcomes: {', '.join(names)}"
                        f"{did_you_mean(v, names)}")
    return list(value)


def _over(spec, path, value):
    allowed = ("uncertainties", "levers", "both")
    if value not in allowed:
        raise _fail(spec.source, path, f"'{value}' not allowed; allowed: {', '.join(allowed)}"
                    f"{did_you_mean(value, allowed)}")
    if not spec.parameters(value):
        raise _fail(spec.source, path, f"nothing to vary: declare {value if value != 'both' else 'uncertainties or levers'}")
    return value


def _robust(spec, path, value):
    if value in (None, "mean"):
        return None
    if isinstance(value, dict) and set(value) == {"quantile"}:
        q = _number(spec.source, f"{path}.quantile", value["quantile"])
        if not 0 < q < 1:
            raise _fail(spec.source, f"{path}.quantile", f"must be in (0, 1), got {q}")
        return float(q)
    raise _fail(spec.source, path, f"expected 'mean' or {{quantile: q}}, got {value!r}")


def _parse_optimize(spec, op) -> dict:
    src = spec.source
    _check_keys(src, "optimize", op, OPT_KEYS)
    if not spec.levers:
        raise _fail(src, "levers", "optimize needs at least one lever")
    names = [o.name for o in spec.outcomes]
    if "outcome" not in op:
        raise _fail(src, "optimize.outcome", f"missing; one of: {', '.join(names)}")
    spec.outcome(op["outcome"]) if op["outcome"] in names else _outcome_list(spec, "optimize.outcome", [op["outcome"]])
    op["quantile"] = _robust(spec, "optimize.robust", op.pop("robust", "mean"))
    op["candidates"] = _number(src, "optimize.candidates", op.get("candidates", 32), integer=True, minimum=2)
    op["scenarios"] = _number(src, "optimize.scenarios", op.get("scenarios", 8 if spec.uncertainties else 1),
                              integer=True, positive=True)
    op["rounds"] = _number(src, "optimize.rounds", op.get("rounds", 1), integer=True, minimum=0)
    op["keep"] = _number(src, "optimize.keep", op.get("keep", 4), integer=True, positive=True)
    op["arm"] = _arm_list(spec, "optimize.arm", op.get("arm"), default=[spec.reference])[0]
    if op.get("frontier") is not None and op["frontier"] not in names:
        _outcome_list(spec, "optimize.frontier", [op["frontier"]])
    cons = []
    lever_keys = [p.key for p in spec.levers]
    for i, c in enumerate(op.get("constraints") or []):
        path = f"optimize.constraints[{i}]"
        _check_keys(src, path, c, CONSTRAINT_KEYS)
        if ("metric" in c) == ("levers" in c):
            raise _fail(src, path, "give exactly one of 'metric' or 'levers'")
        if "max" not in c and "min" not in c:
            raise _fail(src, path, "give a bound: max and/or min")
        bmax = _number(src, f"{path}.max", c["max"]) if "max" in c else None
        bmin = _number(src, f"{path}.min", c["min"]) if "min" in c else None
        if bmax is not None and bmin is not None and bmin > bmax:
            raise _fail(src, path, f"impossible bounds: min {bmin} > max {bmax}")
        levers = None
        if "levers" in c:
            levers = c["levers"]
            if isinstance(levers, list):
                levers = {k: 1.0 for k in levers}
            if not isinstance(levers, dict):
                raise _fail(src, f"{path}.levers", "expected {lever.key: weight}")
            for k, w in levers.items():
                if k not in lever_keys:
                    raise _fail(src, f"{path}.levers.{k}", f"not a declared lever; levers: "
                                f"{', '.join(lever_keys)}{did_you_mean(k, lever_keys)}")
                _number(src, f"{path}.levers.{k}", w)
        metric = c.get("metric")
        q = _robust(spec, f"{path}.statistic", c.get("statistic", "mean"))
        cons.append(Constraint(name=str(c.get("name", metric or f"levers_{i}")), metric=metric,
                               levers=levers, max=bmax, min=bmin, quantile=q))
    op["constraints"] = cons
    return op


def load_experiment(path: str, metrics: list | None = None) -> ExperimentSpec:
    """Read and validate an experiment YAML file."""
    if not os.path.exists(path):
        raise ExperimentError(f"{path}: experiment file not found")
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ExperimentError(f"{path}: not valid YAML{where}: {getattr(e, 'problem', e)}") from None
    return parse_experiment(data if data is not None else {}, source=path, metrics=metrics)
