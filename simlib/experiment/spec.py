"""Experiment declarations: what to run (arms), what the world might be (uncertainties),
what the team controls (levers), what is measured (outcomes), and how often (replications).

An experiment file is YAML, checked in the scenario dialect: every key is declared with
``simlib.params.Param`` (nested items included), so unknown keys, wrong kinds and values out
of range give the same message as a scenario: the file, the dotted key and what is allowed,
with a did-you-mean. Then the cross-references are checked (the reference is an arm, a
sweep's arms exist, ...), and the size of every analysis is bounded before anything is
planned. A file never names code: a custom model is a registered entry point
(``simlib.models``) chosen by name, or a function passed from Python.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Callable

import yaml

from ..errors import ScenarioError, did_you_mean
from ..params import Param, resolve
from .formula import FormulaError, check_formula
from .formula import evaluate as eval_formula  # noqa: F401  (used by core)
from .errors import ExperimentError
from .parameters import Arm, Constraint, Outcome, Parameter  # noqa: F401  (re-exported)
from .schema import (_ARM_NAME, ARM, DEFAULT_OUTCOMES, KNOWN_DIRECTIONS,  # noqa: F401
                     MAX_DEPTH_IN_FILE, MAX_FILE_BYTES, MAX_NAME_CHARS, MAX_RUNS_PER_ANALYSIS, TOP_LEVEL,
                     check_bounded, expand_shorthands)


@dataclass
class ExperimentSpec:
    name: str
    source: str = "<dict>"
    description: str = ""
    base: str | None = None
    model: str | None = None                    # a registered model's name, as declared
    model_function: Callable | None = None      # f(params, seed, arm) -> metrics, from Python
    users: int | None = None
    days: int | None = None
    seed: int = 0
    replications: int = 10
    crn: bool = True
    confidence: float = 0.95
    reference: str = ""
    overrides: dict = field(default_factory=dict)       # applied to every arm first
    arms: dict = field(default_factory=dict)            # name -> Arm
    uncertainties: list = field(default_factory=list)   # [Parameter]
    levers: list = field(default_factory=list)          # [Parameter]
    outcomes: list = field(default_factory=list)        # [Outcome]
    detect_difference: dict = field(default_factory=dict)
    compare: dict | None = None
    sweep: dict | None = None
    sensitivity: dict | None = None
    optimize: dict | None = None
    robust: dict | None = None                  # the robust verdict's settings (experiment.robust)
    uncertain: object = None                    # experiment.uncertainty.UncertainParameters
    raw: dict = field(default_factory=dict)

    @property
    def custom_model(self) -> bool:
        return self.model is not None or self.model_function is not None

    def outcome(self, name: str) -> Outcome:
        for o in self.outcomes:
            if o.name == name:
                return o
        names = [o.name for o in self.outcomes]
        raise ExperimentError(self.source, "outcomes", f"no outcome {name!r}; declared: "
                              + ", ".join(names) + "." + did_you_mean(name, names))

    def parameters(self, over: str = "both") -> list:
        if over == "uncertainties":
            return list(self.uncertainties)
        if over == "levers":
            return list(self.levers)
        return list(self.uncertainties) + list(self.levers)

    def set_replications(self, replications, source: str = "--reps") -> None:
        """Change the replications (e.g. from the command line), checked like the file's."""
        self.replications = check_replications(self, replications, source)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.raw, sort_keys=False, allow_unicode=True)


def registered_models() -> dict:
    """Models installed packages register (entry point group ``simlib.models``), by name.
    Reading the list imports nothing."""
    from importlib.metadata import entry_points
    found = {}
    for ep in entry_points(group="simlib.models"):
        found.setdefault(ep.name, ep)
    return found


def plain_file_name(source: str, key: str, name: str) -> str:
    """``name`` if it can name a folder inside the working folder, else an error."""
    bad = (not name or name in (".", "..") or len(name) > MAX_NAME_CHARS or os.path.isabs(name)
           or any(ch in name for ch in "/\\:") or any(ord(ch) < 32 for ch in name))
    if bad:
        shown = name if len(name) <= MAX_NAME_CHARS else name[:MAX_NAME_CHARS] + "..."
        raise ExperimentError(source, key, f"{shown!r} cannot name the output folder results/NAME: "
                              f"allowed: a plain file name (no / \\ or :, not . or .., at most "
                              f"{MAX_NAME_CHARS} characters); or give the folder with --out")
    return name


def load_experiment(path, metrics: list | None = None, model: Callable | None = None) -> ExperimentSpec:
    """Read and check an experiment YAML file. ``model`` (a function f(params, seed, arm)) is
    evaluated instead of the simulator."""
    path = str(path)
    if not os.path.exists(path):
        raise ExperimentError(path, "", "experiment file not found")
    if not os.path.isfile(path):
        raise ExperimentError(path, "", "is a folder, not an experiment file (a YAML file)")
    size = os.path.getsize(path)
    if size > MAX_FILE_BYTES:
        raise ExperimentError(path, "", f"the file has {size:,} bytes; an experiment file has at most "
                                        f"{MAX_FILE_BYTES:,}")
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ExperimentError(path, "", f"{where}not valid YAML ({getattr(e, 'problem', None) or e})") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ExperimentError(path, "", f"cannot read the file ({type(e).__name__})") from None
    except RecursionError:
        raise ExperimentError(path, "", f"nested deeper than {MAX_DEPTH_IN_FILE} levels") from None
    return parse_experiment(data if data is not None else {}, source=path, metrics=metrics, model=model)


def parse_experiment(data, source: str = "<dict>", metrics: list | None = None,
                     model: Callable | None = None) -> ExperimentSpec:
    """Check a raw experiment mapping and return the spec (scenario keys are checked later,
    when the arms are built)."""
    if model is not None and not callable(model):
        raise ExperimentError(source, "model", "the model passed from Python must be a function "
                                               "f(params, seed, arm) -> dict of metrics")
    check_bounded(data, source)
    if not isinstance(data, dict):
        raise ExperimentError(source, "", "an experiment file is a mapping of keys (name:, arms:, ...)")
    try:
        given = resolve(TOP_LEVEL, expand_shorthands(data), source, "")
        return _build(given, data, source, metrics, model)
    except ExperimentError:
        raise
    except ScenarioError as e:  # Param's messages, under the experiment's error type
        raise ExperimentError(e.source, e.key, e.problem) from None


def _build(g: dict, raw: dict, source: str, metrics, model) -> ExperimentSpec:
    if g["name"] is not None:
        name = plain_file_name(source, "name", g["name"])
    else:  # the file's own name, when it can name a folder
        stem = os.path.splitext(os.path.basename(source))[0]
        name = stem if source.endswith((".yaml", ".yml")) and _is_plain(stem) else "experiment"
    spec = ExperimentSpec(name=name, source=source, raw=raw)
    spec.description = g["description"]
    spec.model_function = model
    if g["model"] is not None:
        spec.model = _registered(source, g["model"])
    spec.base = _resolve_path(source, g["base"]) if g["base"] is not None else None
    spec.users, spec.days, spec.seed = g["users"], g["days"], g["seed"]
    spec.replications, spec.crn, spec.confidence = g["replications"], g["crn"], g["confidence"]
    spec.overrides = dict(g["overrides"])

    for arm_name, a in (g["arms"] or {"base": ARM.check({}, source, "arms.base")}).items():
        if not _ARM_NAME.match(arm_name) or len(arm_name) > MAX_NAME_CHARS:
            raise ExperimentError(source, f"arms.{arm_name}", "an arm name is letters, digits and _, starting "
                                  f"with a letter (at most {MAX_NAME_CHARS} characters)")
        scenario = _resolve_path(source, a["scenario"]) if a["scenario"] else None
        spec.arms[arm_name] = Arm(arm_name, scenario, dict(a["overrides"]), a["description"])
    spec.reference = (_one_of(source, "reference", g["reference"], list(spec.arms), "arm")
                      if g["reference"] is not None else next(iter(spec.arms)))

    for role, block in (("uncertainty", "uncertainties"), ("lever", "levers")):
        setattr(spec, block, [_parameter(source, f"{block}.{key}", key, p, role) for key, p in g[block].items()])
    seen = set()
    for p in spec.uncertainties + spec.levers:
        if p.key in seen:
            raise ExperimentError(source, f"levers.{p.key}", "declared both as an uncertainty and as a lever")
        seen.add(p.key)

    outcomes = g["outcomes"] if g["outcomes"] is not None else {k: {"direction": KNOWN_DIRECTIONS[k],
                                                                      "metric": None, "formula": None}
                                                                  for k in DEFAULT_OUTCOMES}
    for out_name, o in outcomes.items():
        direction = o["direction"] or KNOWN_DIRECTIONS.get(out_name, "maximize")
        formula = o["formula"]
        if formula is not None:
            if o["metric"] is not None:
                raise ExperimentError(source, f"outcomes.{out_name}", "give a metric or a formula, not both")
            _formula_names(source, f"outcomes.{out_name}.formula", formula)
        metric = None if formula is not None else (o["metric"] or out_name)
        if metrics and not spec.custom_model and metric is not None and metric not in metrics:
            raise ExperimentError(source, f"outcomes.{out_name}", f"no metric {metric!r}; allowed: "
                                  + ", ".join(sorted(metrics)) + "." + did_you_mean(metric, metrics))
        spec.outcomes.append(Outcome(out_name, direction, metric, formula))
    names = [o.name for o in spec.outcomes]
    for out_name, delta in g["detect_difference"].items():
        _one_of(source, f"detect_difference.{out_name}", out_name, names, "outcome")
        if not delta > 0:
            raise ExperimentError(source, f"detect_difference.{out_name}", f"got {delta:g}; allowed: a number > 0")
        spec.detect_difference[out_name] = delta

    spec.compare = g["compare"]
    if g["uncertain"] is not None:
        from .uncertainty import load_uncertain
        base_dir = os.path.dirname(os.path.abspath(source)) if not source.startswith("<") else None
        spec.uncertain = load_uncertain(g["uncertain"], source, base_dir)
        # the stored copy and the fingerprint hold the values drawn from, not a path to them
        spec.raw = {**raw, "uncertain": spec.uncertain.to_plain()}
    if g["sweep"] is not None:
        sw = dict(g["sweep"])
        sw["arms"] = _arm_list(spec, "sweep.arms", sw["arms"], list(spec.arms))
        sw["over"] = _over(spec, "sweep.over", sw["over"])
        spec.sweep = sw
    if g["sensitivity"] is not None:
        spec.sensitivity = _sensitivity(spec, dict(g["sensitivity"]))
    if g["optimize"] is not None:
        spec.optimize = _optimize(spec, dict(g["optimize"]))
    if g["robust"] is not None:
        spec.robust = _robust_verdict(spec, dict(g["robust"]))
    check_sizes(spec)
    return spec


def _is_plain(name: str) -> bool:
    try:
        plain_file_name("", "", name)
        return True
    except ExperimentError:
        return False


def _registered(source: str, name: str) -> str:
    models = registered_models()
    if name in models:
        return name
    hint = (" A file never names code to import: a custom model is registered as an entry point in "
            "group 'simlib.models' of an installed package, or passed from Python "
            "(load_experiment(path, model=function)).")
    shown = name if len(name) <= MAX_NAME_CHARS else name[:MAX_NAME_CHARS] + "..."
    raise ExperimentError(source, "model", f"{shown!r} is not a registered model; allowed: "
                          + (", ".join(sorted(models)) or "none installed") + "."
                          + did_you_mean(name, models) + hint)


def _resolve_path(source: str, ref: str) -> str:
    """A scenario reference relative to the experiment file; built-in names pass through."""
    if source and not source.startswith("<") and not os.path.isabs(ref):
        cand = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(source)), ref))
        if os.path.exists(cand):
            return cand
    if os.path.exists(ref):
        return os.path.abspath(ref)
    return ref  # a built-in scenario name; the scenario loader resolves (and rejects) it


def _parameter(source: str, path: str, key: str, d: dict, role: str) -> Parameter:
    if not key or len(key) > 200:
        raise ExperimentError(source, path, "expected a dotted scenario key of at most 200 characters")
    label = d["name"]
    if d["values"] is not None:
        if d["low"] is not None or d["high"] is not None:
            raise ExperimentError(source, path, "give low and high, or values: [...], not both")
        return Parameter(key=key, role=role, values=tuple(d["values"]), default=d["default"], label=label)
    for bound in ("low", "high"):
        if d[bound] is None:
            raise ExperimentError(source, path, f"missing {bound}; give low and high, or values: [...]")
    lo, hi = d["low"], d["high"]
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ExperimentError(source, path, "low and high must be finite numbers")
    if not lo < hi:
        raise ExperimentError(source, path, f"impossible range: low ({lo:g}) must be below high ({hi:g})")
    if d["integer"] and hi - lo > 1e12:
        raise ExperimentError(source, path, "an integer range spans at most 10^12 values")
    if d["dist"] == "loguniform" and lo <= 0:
        raise ExperimentError(source, f"{path}.low", f"got {lo:g}; allowed: a number > 0 (loguniform)")
    mode = d["mode"]
    if d["dist"] == "triangular":
        if mode is None:
            raise ExperimentError(source, path, "triangular needs a mode between low and high")
        if not lo <= mode <= hi:
            raise ExperimentError(source, f"{path}.mode", f"got {mode:g}; allowed: a number in [{lo:g}, {hi:g}]")
    return Parameter(key=key, role=role, low=lo, high=hi, dist=d["dist"], mode=mode, integer=d["integer"],
                     default=d["default"], label=label)


def _formula_names(source: str, key: str, formula: str) -> list:
    try:
        return check_formula(formula)
    except FormulaError as e:
        raise ExperimentError(source, key, str(e)) from None


formula_names = _formula_names


def _one_of(source: str, key: str, value: str, allowed, what: str) -> str:
    if value not in allowed:
        raise ExperimentError(source, key, f"no {what} {value!r}; allowed: {', '.join(allowed)}."
                              + did_you_mean(value, allowed))
    return value


def _arm_list(spec, path, value, default) -> list:
    if value is None:
        return default
    return [_one_of(spec.source, path, a, list(spec.arms), "arm") for a in value]


def _over(spec, path, value) -> str:
    if not spec.parameters(value):
        wanted = "uncertainties or levers" if value == "both" else value
        raise ExperimentError(spec.source, path, f"nothing to vary: declare {wanted}")
    return value


def _robust(spec, path, value):
    """None for the mean across scenarios, else the quantile q in (0, 1)."""
    if value in (None, "mean"):
        return None
    if isinstance(value, dict) and set(value) == {"quantile"}:
        q = Param(0.5, "quantile", kind=float, low=0.0, high=1.0).check(value["quantile"], spec.source,
                                                                         f"{path}.quantile")
        if 0 < q < 1:
            return q
    raise ExperimentError(spec.source, path, "allowed: mean, or {quantile: q} with q strictly between 0 and 1")


def _robust_verdict(spec, rb: dict) -> dict:
    src = spec.source
    names = [o.name for o in spec.outcomes]
    rb["outcome"] = _one_of(src, "robust.outcome", rb["outcome"], names, "outcome") if rb["outcome"] else names[0]
    rb["arms"] = _arm_list(spec, "robust.arms", rb["arms"], list(spec.arms))
    if len(rb["arms"]) < 2:
        raise ExperimentError(src, "robust.arms", "a ranking needs at least 2 arms")
    over = {}
    for key, d in rb["over"].items():
        if d["low"] is None or d["high"] is None or not (math.isfinite(d["low"]) and math.isfinite(d["high"])) \
                or not d["low"] < d["high"]:
            raise ExperimentError(src, f"robust.over.{key}", "give finite low < high")
        over[key] = {"low": d["low"], "high": d["high"], "integer": d["integer"]}
    rb["over"] = over
    if spec.custom_model and not over:
        raise ExperimentError(src, "robust.over", "a model function declares no effects: give the ranges to draw, "
                              "{KEY: {low, high}}")
    return rb


def _sensitivity(spec, se: dict) -> dict:
    src, n = spec.source, se["samples"]
    if n & (n - 1):
        raise ExperimentError(src, "sensitivity.samples", f"got {n}; allowed: a power of 2 (>= 8); nearest: "
                              f"{2 ** int(round(math.log2(n)))}")
    names = [o.name for o in spec.outcomes]
    se["outcomes"] = (names if se["outcomes"] is None else
                      [_one_of(src, "sensitivity.outcomes", o, names, "outcome") for o in se["outcomes"]])
    se["arms"] = _arm_list(spec, "sensitivity.arms", se["arms"], [spec.reference])
    se["over"] = _over(spec, "sensitivity.over", se["over"])
    if se["difference"] and (spec.reference not in se["arms"] or len(se["arms"]) < 2):
        raise ExperimentError(src, "sensitivity.difference", f"needs the reference arm {spec.reference!r} "
                              "and at least one other arm in sensitivity.arms")
    if len(spec.parameters(se["over"])) < 2:
        raise ExperimentError(src, "sensitivity.over", "needs at least 2 uncertainties/levers to vary")
    return se


def _optimize(spec, op: dict) -> dict:
    src = spec.source
    if not spec.levers:
        raise ExperimentError(src, "levers", "optimize needs at least one lever")
    names = [o.name for o in spec.outcomes]
    if op["outcome"] is None:
        raise ExperimentError(src, "optimize.outcome", f"missing; allowed: {', '.join(names)}")
    _one_of(src, "optimize.outcome", op["outcome"], names, "outcome")
    if op["frontier"] is not None:
        _one_of(src, "optimize.frontier", op["frontier"], names, "outcome")
    op["quantile"] = _robust(spec, "optimize.robust", op.pop("robust"))
    if op["scenarios"] is None:
        op["scenarios"] = 8 if spec.uncertainties else 1
    op["arm"] = _one_of(src, "optimize.arm", op["arm"], list(spec.arms), "arm") if op["arm"] else spec.reference
    lever_keys = [p.key for p in spec.levers]
    constraints = []
    for i, c in enumerate(op["constraints"]):
        path = f"optimize.constraints[{i}]"
        if (c["metric"] is None) == (c["levers"] is None):
            raise ExperimentError(src, path, "give exactly one of metric or levers")
        if c["max"] is None and c["min"] is None:
            raise ExperimentError(src, path, "give a bound: max and/or min")
        if c["max"] is not None and c["min"] is not None and c["min"] > c["max"]:
            raise ExperimentError(src, path, f"impossible bounds: min {c['min']:g} > max {c['max']:g}")
        for k in c["levers"] or {}:
            _one_of(src, f"{path}.levers.{k}", k, lever_keys, "lever")
        constraints.append(Constraint(name=c["name"] or c["metric"] or f"levers_{i}", metric=c["metric"],
                                      levers=c["levers"], max=c["max"], min=c["min"],
                                      quantile=_robust(spec, f"{path}.statistic", c["statistic"])))
    op["constraints"] = constraints
    return op


def planned_runs(spec: ExperimentSpec) -> dict:
    """Runs each declared analysis will plan, computed without planning them."""
    reps, out = spec.replications, {"compare": len(spec.arms) * spec.replications}
    if spec.sweep is not None:
        sw = spec.sweep
        params = spec.parameters(sw["over"])
        if sw["design"] == "grid":
            points = 1
            for p in params:
                points *= p.grid_size(sw["levels"])
                if points > MAX_RUNS_PER_ANALYSIS:
                    break
        else:
            points = sw["points"]
        out["sweep"] = points * len(sw["arms"]) * reps
    if spec.sensitivity is not None:
        se = spec.sensitivity
        out["sensitivity"] = se["samples"] * (len(spec.parameters(se["over"])) + 2) * len(se["arms"]) * reps
    if spec.robust is not None:
        rb = spec.robust
        out["robust"] = rb["points"] * rb["replications"] * len(rb["arms"])
    if spec.optimize is not None:
        op = spec.optimize
        candidates = op["candidates"] + op["rounds"] * op["keep"] * max(2, op["candidates"] // op["keep"])
        out["optimize"] = candidates * op["scenarios"] * reps
    return out


def check_sizes(spec: ExperimentSpec) -> None:
    """Refuse an analysis larger than MAX_RUNS_PER_ANALYSIS before anything is allocated."""
    for analysis, runs in planned_runs(spec).items():
        if runs > MAX_RUNS_PER_ANALYSIS:
            key = "replications" if analysis == "compare" else analysis
            raise ExperimentError(spec.source, key, f"plans {runs:,} runs; allowed: at most "
                                  f"{MAX_RUNS_PER_ANALYSIS:,} runs per analysis (fewer points, levels, "
                                  "samples, arms or replications)")


def check_replications(spec: ExperimentSpec, replications, source: str = "replications") -> int:
    """``replications`` if it is allowed for this experiment (kind, range, size of every analysis)."""
    try:
        n = TOP_LEVEL["replications"].check(replications, source, "")
    except ScenarioError as e:
        raise ExperimentError(source, "", e.problem) from None
    previous, spec.replications = spec.replications, n
    try:
        check_sizes(spec)
    finally:
        spec.replications = previous
    return n


def check_metrics(spec: ExperimentSpec, available) -> None:
    """Outcome and constraint metrics must be reported by the runs (known before running)."""
    available = sorted(available)

    def need(key: str, metric: str) -> None:
        if metric not in available:
            raise ExperimentError(spec.source, key, f"no metric {metric!r} in the runs' results; allowed: "
                                  + ", ".join(available) + "." + did_you_mean(metric, available))
    for o in spec.outcomes:
        if o.formula:
            for name in _formula_names(spec.source, f"outcomes.{o.name}.formula", o.formula):
                need(f"outcomes.{o.name}.formula", name)
        else:
            need(f"outcomes.{o.name}", o.key)
    with_outcomes = sorted(set(available) | {o.name for o in spec.outcomes})
    for i, c in enumerate((spec.optimize or {}).get("constraints", [])):
        if c.metric and c.metric not in with_outcomes:
            raise ExperimentError(spec.source, f"optimize.constraints[{i}].metric", f"no metric {c.metric!r}; "
                                  "allowed: " + ", ".join(with_outcomes) + "." + did_you_mean(c.metric, with_outcomes))
