"""The keys of an experiment file, declared with `simlib.params.Param` like a scenario's:
default, unit, bounds and a line of doc for each, nested items included; the bounds on a
file's size; and the short forms a file may use. `spec.py` checks a file against
`TOP_LEVEL` and builds the `ExperimentSpec`."""
from __future__ import annotations

import os
import re

from ..params import Param
from ..population import MARKET_PARAMS
from .errors import ExperimentError

# Summary metrics and the direction in which they are good: defaults for `outcomes:`.
KNOWN_DIRECTIONS = {
    "net_profit_cny": "maximize", "points_liability_cny": "minimize",
    "discount_coupons_cny": "minimize", "discount_member_price_cny": "minimize",
    **{f"cost_{account}_cny": "minimize" for account in (
        "ad_spend", "pond_acquisition", "referral_rewards", "gifts", "red_packets",
        "points_redemption", "content_production", "staff", "events")},
    "gmv_cny": "maximize", "gross_profit_cny": "maximize", "roi": "maximize", "incremental_roi": "maximize",
    "purchases": "maximize", "buyers": "maximize", "repeat_buyers": "maximize",
    "repurchase_rate": "maximize", "clv_cny": "maximize", "pond_size": "maximize",
    "in_pond": "maximize", "loyal": "maximize",
    "marketing_cost_cny": "minimize", "strategy_cost_cny": "minimize", "cac_cny": "minimize", "churn_rate": "minimize",
    "messages_sent": "minimize", "unsubscribes": "minimize", "discount_cny": "minimize",
    "ad_spend_cny": "minimize", "staff_cost_cny": "minimize", "lost": "minimize",
    "revenue_cny": "maximize", "cogs_cny": "minimize", "acquisition_cost_cny": "minimize",
    "roas": "maximize", "clv_cny": "maximize", "new_buyers": "maximize",
    "pond_size_end": "maximize", "pond_joins": "maximize", "coupons_redeemed": "maximize",
    "loyal_end": "maximize", "lost_end": "minimize", "dormant_end": "minimize",
}
# Names users type for a metric that simlib calls otherwise: the number of orders is `purchases`
# (the summary, daily.csv and every table), and per-treated rows are added by themselves.
METRIC_ALIASES = {"orders": "purchases"}
PER_TREATED_SUFFIX = "_per_treated"


def canonical_metric(name: str, where: str = "outcomes") -> str:
    """The metric a typed outcome name means, saying so (a warning) when it is not the name itself:
    ``orders`` -> ``purchases``; ``X_per_treated`` -> ``X`` (its per-treated row comes by itself)."""
    import warnings
    if not isinstance(name, str):
        return name
    base = name.removesuffix(PER_TREATED_SUFFIX)
    canonical = METRIC_ALIASES.get(base, base)
    if canonical != base:
        warnings.warn(f"{where}: {base!r} is read as {canonical!r}, simlib's name for the number of orders "
                      "(summary, daily.csv, comparison tables)", UserWarning, stacklevel=3)
    if base != name:
        warnings.warn(f"{where}: {name!r} is read as {canonical!r}: the comparison adds "
                      f"{canonical + PER_TREATED_SUFFIX!r} by itself whenever the arms send to listed customers "
                      "(simlib compare --assignment, or a policy's target:)", UserWarning, stacklevel=3)
    return canonical


DEFAULT_OUTCOMES = ["net_profit_cny", "gross_profit_cny", "gmv_cny", "roi", "repurchase_rate",
                    "churn_rate", "strategy_cost_cny"]   # net profit first: the decision; then what it costs

# Bounds that keep a hostile or mistyped file from planning more than a machine can hold:
# a Run is ~1 kB in memory, and 100,000 runs of a 20k-customer year are ~40 CPU-hours.
MAX_RUNS_PER_ANALYSIS = 100_000
MAX_FILE_BYTES = 1_000_000
MAX_VALUES_IN_FILE = 100_000   # scalars and containers after YAML aliases are expanded
MAX_DEPTH_IN_FILE = 50
MAX_CHARS_IN_FILE = 2_000_000  # all text, aliases expanded: bounds any message quoting a value
MAX_NAME_CHARS = 100

DIRECTIONS = ("maximize", "minimize")
_DIRECTION_ALIASES = {"max": "maximize", "min": "minimize", "maximise": "maximize",
                      "minimise": "minimize"}
DESIGNS = ("grid", "lhs", "sobol")
OVER = ("uncertainties", "levers", "both")
DISTS = ("uniform", "loguniform", "triangular")
_ARM_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def _names(doc: str) -> Param:
    return Param(None, doc, kind=list, items=Param("", "a name", kind=str), low=1, high=100,
                 nullable=True)


PARAMETER = Param({}, "a scenario key varied by a design: {low, high} or {values: [...]}", kind=dict, fields={
    "low": Param(None, "lower bound", kind=float, nullable=True),
    "high": Param(None, "upper bound", kind=float, nullable=True),
    "values": Param(None, "discrete alternatives", kind=list, low=1, high=1000, nullable=True),
    "dist": Param("uniform", "distribution between low and high", kind=str, choices=DISTS),
    "mode": Param(None, "peak of a triangular distribution", kind=float, nullable=True),
    "integer": Param(False, "round to whole numbers", kind=bool),
    "default": Param(None, "value when not varied", kind=object, nullable=True),
    "description": Param("", "one line", kind=str),
    "name": Param(None, "short label for plots", kind=str, nullable=True),
})
OUTCOME = Param({}, "a measured outcome", kind=dict, fields={
    "direction": Param(None, "which way is better (default: the metric's usual way)", kind=str,
                       choices=DIRECTIONS, nullable=True),
    "metric": Param(None, "the summary metric (default: the outcome's name)", kind=str, nullable=True),
    "formula": Param(None, "arithmetic of summary metrics, e.g. gross_profit_cny - marketing_cost_cny",
                     kind=str, nullable=True),
})
ARM = Param({}, "a strategy arm", kind=dict, fields={
    "scenario": Param(None, "a scenario file (relative to this file) or built-in name; default: base",
                      kind=str, nullable=True),
    "overrides": Param({}, "dotted.key: value applied on top", kind=dict, high=1000),
    "description": Param("", "one line", kind=str),
})
CONSTRAINT = Param({}, "a bound the optimiser must respect", kind=dict, fields={
    "metric": Param(None, "a summary metric (its statistic across scenarios is bounded)", kind=str, nullable=True),
    "levers": Param(None, "{lever.key: weight}: a weighted sum of lever values is bounded", kind=dict,
                    items=Param(1.0, "weight"), high=100, nullable=True),
    "max": Param(None, "upper bound", kind=float, nullable=True),
    "min": Param(None, "lower bound", kind=float, nullable=True),
    "name": Param(None, "label", kind=str, nullable=True),
    "statistic": Param("mean", "mean, or {quantile: q} of the metric across scenarios", kind=object),
})
TOP_LEVEL = {
    "name": Param(None, "a short name; the default output folder is results/NAME", kind=str, nullable=True),
    "description": Param("", "one line on the question it answers", kind=str),
    "base": Param(None, "the base scenario: a YAML path (relative to this file) or a built-in name",
                  kind=str, nullable=True),
    "model": Param(None, "a registered model (entry point group 'simlib.models') evaluated instead of "
                         "the simulator", kind=str, nullable=True),
    "users": Param(None, "market size for every run (overrides the scenarios)", "customers", int,
                   low=MARKET_PARAMS["users"].low, high=MARKET_PARAMS["users"].high, nullable=True),
    "days": Param(None, "simulated days for every run (overrides the scenarios)", "days", int,
                  low=MARKET_PARAMS["days"].low, high=MARKET_PARAMS["days"].high, nullable=True),
    "seed": Param(0, "experiment seed; per-replication seeds are derived from it", "", int, low=0,
                  high=2 ** 32 - 1),
    "replications": Param(10, "replications per arm (and per design point)", "runs", int, low=1, high=10_000),
    "crn": Param(True, "common random numbers: arms share a seed within a replication", kind=bool),
    "confidence": Param(0.95, "confidence level of intervals", "probability", float, low=0.5, high=0.999),
    "reference": Param(None, "the arm the others are compared to (default: the first arm)", kind=str,
                       nullable=True),
    "overrides": Param({}, "dotted.key: value applied to every arm first (the shared market)", kind=dict,
                       high=1000),
    "arms": Param(None, "strategy arms: NAME: {scenario: FILE, overrides: {dotted.key: value}}", kind=dict,
                  items=ARM, low=1, high=100, nullable=True),
    "uncertainties": Param({}, "world parameters: dotted.key: {low, high} or {values: [...]}", kind=dict,
                           items=PARAMETER, high=100),
    "levers": Param({}, "team-controlled parameters: dotted.key: {low, high} or {values: [...]}", kind=dict,
                    items=PARAMETER, high=100),
    "outcomes": Param(None, "metric: maximize|minimize, or {direction, metric, formula}", kind=dict,
                      items=OUTCOME, low=1, high=100, nullable=True),
    "detect_difference": Param({}, "outcome: smallest difference worth detecting (replications needed)",
                               kind=dict, items=Param(1.0, "a difference in the outcome's unit"), high=100),
    "uncertain": Param(None, "fitted parameters that are not known exactly: a file (a fitted fragment with its "
                             "_covariance.yaml, or parameters: and covariance:), or {parameters: {KEY: {estimate, "
                             "std_error}}, covariance: [...], inner_replications: 2}; each replication draws them "
                             "once for every arm", kind=object, nullable=True),
    "compare": Param(None, "arm comparison settings", kind=dict, nullable=True, fields={
        "keep_daily": Param(True, "store the daily funnel of every run (fan charts)", kind=bool)}),
    "sweep": Param(None, "a design over uncertainties and levers", kind=dict, nullable=True, fields={
        "design": Param("lhs", "how points are placed", kind=str, choices=DESIGNS),
        "points": Param(32, "design points (lhs, sobol)", "points", int, low=1, high=MAX_RUNS_PER_ANALYSIS),
        "levels": Param(5, "levels per parameter (grid)", "levels", int, low=2, high=1000),
        "arms": _names("arms to sweep (default: all)"),
        "over": Param("both", "what the design varies", kind=str, choices=OVER),
        "keep_daily": Param(False, "store the daily series of every run", kind=bool)}),
    "sensitivity": Param(None, "Sobol' indices over uncertainties and levers", kind=dict, nullable=True, fields={
        "samples": Param(64, "base sample size n, a power of 2; runs = n (d + 2) per arm and replication",
                         "points", int, low=8, high=65_536),
        "bootstrap": Param(200, "bootstrap resamples for the intervals", "resamples", int, low=20, high=10_000),
        "outcomes": _names("outcomes analysed (default: all)"),
        "arms": _names("arms analysed (default: the reference)"),
        "over": Param("both", "what is varied", kind=str, choices=OVER),
        "difference": Param(False, "also analyse each arm's paired difference to the reference", kind=bool)}),
    "robust": Param(None, "a robust verdict: the effects the arms act through drawn over their plausible ranges "
                          "(a Latin hypercube), every arm at every set, common random numbers", kind=dict,
                    nullable=True, fields={
        "points": Param(64, "assumption sets (Latin hypercube points)", "points", int, low=4, high=MAX_RUNS_PER_ANALYSIS),
        "replications": Param(1, "runs per arm at each assumption set", "runs", int, low=1, high=1000),
        "outcome": Param(None, "the outcome ranked (default: the first outcome)", kind=str, nullable=True),
        "arms": _names("arms ranked (default: all)"),
        "over": Param({}, "ranges to add or narrow: dotted.key: {low, high}", kind=dict, items=PARAMETER, high=100)}),
    "optimize": Param(None, "a search for the best lever settings", kind=dict, nullable=True, fields={
        "outcome": Param(None, "the outcome to optimise (its direction from outcomes:)", kind=str, nullable=True),
        "robust": Param("mean", "mean, or {quantile: q}: statistic across uncertainty scenarios", kind=object),
        "constraints": Param([], "bounds: {metric or levers, max and/or min}", kind=list, items=CONSTRAINT,
                             high=100),
        "candidates": Param(32, "lever settings tried in the first round", "candidates", int, low=2, high=10_000),
        "scenarios": Param(None, "uncertainty scenarios each candidate is scored on (default 8, or 1 "
                                 "without uncertainties)", "scenarios", int, low=1, high=1000, nullable=True),
        "rounds": Param(1, "refinement rounds around the best feasible candidates", "rounds", int, low=0, high=50),
        "keep": Param(4, "candidates refined per round", "candidates", int, low=1, high=1000),
        "arm": Param(None, "arm whose levers are tuned (default: the reference)", kind=str, nullable=True),
        "frontier": Param(None, "second objective for the trade-off frontier (an outcome)", kind=str,
                          nullable=True)}),
}


def check_bounded(data, source: str) -> None:
    """Refuse trees too large, too deep or too long to handle (YAML aliases can expand a small
    file a million-fold); iterative and stopped at the limit, so it costs bounded time. The
    message names the top-level key where the limit was reached."""
    stack, values, chars = [(data, 0, "")], 0, 0
    while stack:
        node, depth, key = stack.pop()
        values += 1
        if isinstance(node, str):
            chars += len(node)
        if values > MAX_VALUES_IN_FILE or chars > MAX_CHARS_IN_FILE:
            raise ExperimentError(source, key, f"more than {MAX_VALUES_IN_FILE:,} values or "
                                  f"{MAX_CHARS_IN_FILE:,} characters once YAML aliases are expanded; "
                                  "an experiment file is smaller")
        if depth > MAX_DEPTH_IN_FILE:
            raise ExperimentError(source, key, f"nested deeper than {MAX_DEPTH_IN_FILE} levels")
        if isinstance(node, dict):
            for k, v in node.items():
                top = key or (str(k)[:MAX_NAME_CHARS] if isinstance(k, str) else "")
                stack.extend(((k, depth + 1, top), (v, depth + 1, top)))
        elif isinstance(node, (list, tuple)):
            stack.extend((v, depth + 1, key) for v in node)


def expand_shorthands(data: dict) -> dict:
    """Short forms to their long form (only where the short form's kind matches, so that
    anything else reaches the checks and is named): an arm given as a file name, arms as a
    list of files, a parameter as a list of values, outcomes as a list of names, an outcome as
    a direction, one name where a list of names is expected, lever constraints as a list."""
    out = dict(data)
    arms = out.get("arms")
    if isinstance(arms, list) and all(isinstance(a, str) for a in arms):
        arms = {os.path.splitext(os.path.basename(a))[0]: a for a in arms}
    if isinstance(arms, dict):
        out["arms"] = {k: {} if v is None else {"scenario": v} if isinstance(v, str) else v
                       for k, v in arms.items()}
    for block in ("uncertainties", "levers"):
        if isinstance(out.get(block), dict):
            out[block] = {k: {"values": v} if isinstance(v, list) else v for k, v in out[block].items()}
    outcomes = out.get("outcomes")
    if isinstance(outcomes, list) and all(isinstance(o, str) for o in outcomes):
        outcomes = {canonical_metric(o): {} for o in outcomes}
    if isinstance(outcomes, dict):
        expanded = {}
        for name, o in outcomes.items():
            o = {} if o is None else {"direction": o} if isinstance(o, str) else o
            if isinstance(o, dict) and isinstance(o.get("metric"), str):
                o = {**o, "metric": canonical_metric(o["metric"], f"outcomes.{name}.metric")}
            elif isinstance(o, dict) and not o.get("formula"):
                name = canonical_metric(name)
            if isinstance(o, dict) and isinstance(o.get("direction"), str):
                o = {**o, "direction": _DIRECTION_ALIASES.get(o["direction"], o["direction"])}
            expanded[name] = o
        out["outcomes"] = expanded
    detect = out.get("detect_difference")
    if isinstance(detect, dict):
        out["detect_difference"] = {canonical_metric(k, "detect_difference"): v for k, v in detect.items()}
    for block, keys in (("sweep", ("arms",)), ("sensitivity", ("arms", "outcomes"))):
        if isinstance(out.get(block), dict):
            out[block] = {k: [v] if k in keys and isinstance(v, str) else v for k, v in out[block].items()}
    opt = out.get("optimize")
    if isinstance(opt, dict) and isinstance(opt.get("constraints"), list):
        out["optimize"] = {**opt, "constraints": [
            {**c, "levers": {k: 1.0 for k in c["levers"]}}
            if isinstance(c, dict) and isinstance(c.get("levers"), list)
            and all(isinstance(k, str) for k in c["levers"]) else c
            for c in opt["constraints"]]}
    return out
