"""What a decision report is made of, gathered from a live experiment or from its folder.

Both paths give the same ``ReportInputs``: the folder path reads only what the experiment
store keeps (experiment.yaml, scenarios/ARM.yaml, runs/STAGE/*.json, sensitivity.csv,
optimize_candidates.csv), so ``simlib report DIR`` rebuilds the report without running
anything.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pandas as pd
import yaml

from ..errors import UserError


@dataclass
class ReportInputs:
    title: str
    description: str
    reference: str
    confidence: float
    crn: bool
    arms: list                      # arm names, reference first
    outcomes: list                  # experiment.spec.Outcome, the decision outcome first
    runs: pd.DataFrame              # compare stage: one row per arm x replication (may be empty)
    daily: pd.DataFrame             # compare stage, long: arm, replication, day, columns
    scenarios: dict                 # arm -> resolved scenario (dict)
    settings: dict                  # replications, users, days, seed
    detect_difference: dict = field(default_factory=dict)
    sensitivity: pd.DataFrame | None = None
    sweep_runs: pd.DataFrame | None = None
    optimize: pd.DataFrame | None = None    # ranked candidates
    lever_keys: list = field(default_factory=list)
    labels: dict = field(default_factory=dict)      # scenario key -> the experiment's short name
    model: str | None = None        # a plain-function model: arms are overrides, not scenarios
    uncertain: object = None        # experiment.uncertainty.UncertainParameters drawn per replication
    robust_runs: pd.DataFrame | None = None     # robust stage: arm x assumption set x replication
    robust_effects: list = field(default_factory=list)   # experiment.robust.Effect drawn there
    robust_outcome: str | None = None           # the outcome the robust verdict ranks


def from_experiment(exp, compare_result=None, results: dict | None = None) -> ReportInputs:
    """Inputs of a report from an Experiment that has run (in memory or on disk)."""
    results = dict(results or {})
    if compare_result is not None:
        results["compare"] = compare_result
    spec = exp.spec
    cmp = results.get("compare")
    runs = cmp.runs if cmp is not None else _empty()
    daily = cmp.daily if cmp is not None else _empty()
    sens = results.get("sensitivity")
    sweep = results.get("sweep")
    opt = results.get("optimize")
    inputs = _assemble(spec, runs, daily, exp.arms_data(),
                       sens.table if sens is not None else None,
                       sweep.runs if sweep is not None else None,
                       opt.candidates if opt is not None else None)
    inputs.uncertain = exp.uncertain
    rb = results.get("robust")
    if rb is not None:
        inputs.robust_runs, inputs.robust_effects = rb.runs, rb.effects
        inputs.robust_outcome = spec.robust["outcome"]
    return inputs


def from_folder(folder) -> ReportInputs:
    """Inputs of a report from an experiment folder (what ``--out`` wrote)."""
    from ..experiment.spec import ExperimentError, parse_experiment
    from ..experiment.store import RunStore
    folder = str(folder)
    spec_path = os.path.join(folder, "experiment.yaml")
    if not os.path.isdir(os.path.join(folder, "runs")) or not os.path.isfile(spec_path):
        raise UserError(f"{folder}: not an experiment folder (expected experiment.yaml and runs/ inside, "
                        "as written by `simlib compare --out` or `simlib experiment --out`)")
    try:
        with open(spec_path, encoding="utf-8") as fh:
            raw = yaml.safe_load(fh)
        spec = parse_experiment(raw, spec_path)
    except (yaml.YAMLError, ExperimentError) as exc:
        raise UserError(f"{spec_path}: cannot read the stored experiment ({exc})") from None
    scenarios = {}
    for arm in spec.arms:
        path = os.path.join(folder, "scenarios", f"{arm}.yaml")
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as fh:
                scenarios[arm] = yaml.safe_load(fh)
    store = RunStore(folder)
    runs = _with_formulas(spec, store.summary_frame("compare"))
    daily = store.daily_frame("compare")
    sens = _read_csv(folder, "sensitivity")
    sweep = _with_formulas(spec, store.summary_frame("sweep"))
    opt = _read_csv(folder, "optimize_candidates")
    inputs = _assemble(spec, runs, daily, scenarios, sens, sweep if len(sweep) else None, opt)
    robust = _with_formulas(spec, store.summary_frame("robust"))
    if len(robust) and spec.robust is not None and all(a in scenarios for a in spec.robust["arms"]):
        from ..experiment.robust import effects_from
        inputs.robust_runs, inputs.robust_outcome = robust, spec.robust["outcome"]
        inputs.robust_effects = effects_from(spec, scenarios, spec.uncertain)
    return inputs


def _assemble(spec, runs, daily, scenarios, sensitivity, sweep_runs, optimize) -> ReportInputs:
    arms = [spec.reference] + [a for a in spec.arms if a != spec.reference]
    outcomes = sorted(spec.outcomes, key=lambda o: o.name != "net_profit_cny")
    first = scenarios.get(spec.reference) or {}
    market = first.get("market", {}) if isinstance(first, dict) else {}
    settings = {"replications": int(runs["replication"].nunique()) if len(runs) else spec.replications,
                "users": spec.users or market.get("users"), "days": spec.days or market.get("days"),
                "seed": spec.seed}
    title = spec.name if spec.name != "compare" else "Strategy comparison: " + ", ".join(arms)
    return ReportInputs(title=title, description=spec.description, reference=spec.reference,
                        confidence=spec.confidence, crn=spec.crn, arms=arms, outcomes=outcomes,
                        runs=runs, daily=daily, scenarios=scenarios, settings=settings,
                        detect_difference=dict(spec.detect_difference), sensitivity=sensitivity,
                        sweep_runs=sweep_runs, optimize=optimize, lever_keys=[p.key for p in spec.levers],
                        labels={p.key: p.label for p in spec.parameters() if p.label}, model=spec.model,
                        uncertain=spec.uncertain)


def _with_formulas(spec, df: pd.DataFrame) -> pd.DataFrame:
    """Formula outcomes computed on stored runs, as the experiment does when it runs them."""
    from ..experiment.spec import eval_formula, formula_names
    for o in spec.outcomes:
        if o.formula and len(df):
            names = formula_names(spec.source, f"outcomes.{o.name}.formula", o.formula)
            if all(n in df.columns for n in names):
                df[o.name] = eval_formula(o.formula, {n: df[n] for n in names})
    return df


def _read_csv(folder, name):
    path = os.path.join(folder, name + ".csv")
    return pd.read_csv(path) if os.path.isfile(path) else None


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=["arm", "replication", "day"])
