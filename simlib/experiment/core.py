"""Experiment: plans the runs of each analysis, executes them durably, analyses the results.

    exp = Experiment.from_yaml("experiments/coupon_vs_points.yaml", out="out/cvp",
                               executor=make_executor("processes"))
    cmp = exp.compare()          # arms x replications, CRN, paired differences
    rb = exp.robust()            # does the ranking hold across the effects the arms act through?
    sw = exp.sweep()             # a design over uncertainties and levers
    sa = exp.sensitivity()       # Sobol' indices with intervals
    op = exp.optimize()          # robust lever settings under constraints, and the frontier

Every stage is a list of `Run`s with stable ids; runs already in the folder are not
recomputed, so calling the same thing again after an interruption resumes it.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd
import yaml

from . import compare as cmp_stats
from . import designs, optimize as opt_mod, sensitivity as sens_mod
from .executors import Executor, SerialExecutor
from .runner import FunctionModel, Run, SimlibModel, execute, run_seed
from .spec import (ExperimentError, ExperimentSpec, check_metrics, check_replications, eval_formula,
                   formula_names, load_experiment, parse_experiment)
from .store import RunStore


@dataclass
class CompareResult:
    table: pd.DataFrame        # one row per outcome x arm (see compare.compare_table)
    runs: pd.DataFrame         # one row per arm x replication
    daily: pd.DataFrame        # long: arm, replication, day, funnel columns (may be empty)
    reference: str
    confidence: float
    crn: bool

    def text(self) -> str:
        """The table in plain names and units (simlib.report.text)."""
        from ..report.text import format_comparison, format_uncertainty
        shares = format_uncertainty(self.table, self.reference)
        return format_comparison(self.table, self.reference, self.confidence) + (f"\n\n{shares}" if shares else "")

    def __str__(self):
        return self.text()


@dataclass
class SweepResult:
    design: pd.DataFrame       # one row per design point
    runs: pd.DataFrame         # arm x point x replication, with param:KEY columns

    def means(self, outcome_keys) -> pd.DataFrame:
        cols = [c for c in self.runs.columns if c.startswith("param:")]
        return self.runs.groupby(["arm", "point"] + cols, sort=True)[list(outcome_keys)].mean().reset_index()

    def difference(self, outcome_key: str, arm: str, reference: str,
                   confidence: float = 0.95) -> pd.DataFrame:
        """Paired difference arm - reference at every design point, with its interval and
        the probability that the arm is higher: where along the design does the answer flip?"""
        cols = [c for c in self.runs.columns if c.startswith("param:")]
        rows = []
        for point, g in self.runs.groupby("point", sort=True):
            d = cmp_stats.paired(g, outcome_key, arm, reference)
            m, lo, hi = cmp_stats.mean_ci(d, confidence)
            rows.append({"point": point, **{c[6:]: g[c].iloc[0] for c in cols}, "diff": m,
                         "diff_low": lo, "diff_high": hi, "p_higher": cmp_stats.prob_better(d)})
        return pd.DataFrame(rows)


@dataclass
class SensitivityResult:
    table: pd.DataFrame        # arm, outcome, parameter, first, total, intervals
    runs: pd.DataFrame


@dataclass
class OptimizationResult:
    candidates: pd.DataFrame   # every candidate tried, scored
    best: pd.Series | None     # the best feasible candidate
    frontier: pd.DataFrame     # non-dominated candidates: objective vs the frontier metric
    outcome: str
    frontier_metric: str | None
    runs: pd.DataFrame


def _hash(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


class Experiment:
    """An experiment to run. ``model`` (a function f(params, seed, arm) -> dict of metrics)
    is evaluated instead of the simulator; a file can only name a registered model."""

    def __init__(self, spec: ExperimentSpec, out: str | None = None,
                 executor: Executor | None = None, progress: bool = False, model=None,
                 status: dict | None = None):
        if model is not None and not callable(model):
            raise ExperimentError("model", "", "expected a function f(params, seed, arm) -> dict of metrics")
        self.spec = spec
        self.out = out
        self.store = RunStore(out)
        self.executor = executor or SerialExecutor()
        self.progress = progress
        self.model_function = model or spec.model_function
        self.status = {} if status is None else status  # stage -> [runs stored, runs planned]
        self._model = None
        self._arms_data = None
        self._prepared = False
        self._uncertain = None          # spec.uncertain with the arms' declared bounds
        self._uncertain_keys = {}       # arm -> the uncertain keys its scenario has

    @classmethod
    def from_yaml(cls, path: str, model=None, **kwargs) -> "Experiment":
        return cls(load_experiment(path, model=model), model=model, **kwargs)

    @classmethod
    def from_dict(cls, data: dict, source: str = "<dict>", model=None, **kwargs) -> "Experiment":
        return cls(parse_experiment(data, source, model=model), model=model, **kwargs)

    @property
    def custom_model(self) -> bool:
        return self.model_function is not None or self.spec.model is not None

    # -- inputs ----------------------------------------------------------------------------
    def arms_data(self) -> dict:
        """Resolved scenario (plain dict) of every arm; checks every declared key."""
        if self._arms_data is not None:
            return self._arms_data
        spec = self.spec
        if self.custom_model:
            self._arms_data = {a.name: {**spec.overrides, **a.overrides} for a in spec.arms.values()}
            if spec.uncertain is not None:
                self._uncertain = spec.uncertain
                self._uncertain_keys = {a: list(spec.uncertain.keys) for a in spec.arms}
            return self._arms_data
        import simlib
        err = getattr(simlib, "UserError", Exception)

        def load(ref, path):
            try:
                return simlib.load_scenario(ref)
            except err as e:
                raise ExperimentError(spec.source, path, str(e)) from None

        base = load(spec.base, "base") if spec.base else None
        data = {}
        for arm in spec.arms.values():
            if arm.scenario is None and base is None:
                raise ExperimentError(spec.source, f"arms.{arm.name}", "no scenario and no base: give a "
                                      "base scenario, a scenario for this arm, or a model")
            sc = load(arm.scenario, f"arms.{arm.name}.scenario") if arm.scenario else base
            if spec.overrides:
                try:
                    sc = sc.override(spec.overrides)
                except err as e:
                    raise ExperimentError(spec.source, "overrides", str(e)) from None
            if arm.overrides:
                try:
                    sc = sc.override(arm.overrides)
                except err as e:
                    raise ExperimentError(spec.source, f"arms.{arm.name}.overrides", str(e)) from None
            for p in spec.uncertainties + spec.levers:
                role = "uncertainties" if p.role == "uncertainty" else "levers"
                for v in ([p.midpoint()] if p.values is None else list(p.values)):
                    try:
                        sc.override({p.key: p.to_plain(v)})
                    except err as e:
                        raise ExperimentError(spec.source, f"{role}.{p.key}", str(e)) from None
            data[arm.name] = sc.data
        if spec.uncertain is not None:
            from .uncertainty import bounded_by_arms
            self._uncertain, self._uncertain_keys = bounded_by_arms(spec.uncertain, data, spec.source)
        # probe: a tiny run of each arm tells which metrics the runs report
        from ..policies.targets import without_send_plan
        available = set()
        for name, d in data.items():
            probe = simlib.run(simlib.scenario_from_dict(without_send_plan(d)), seed=0, users=20, days=2)
            available |= {k for k, v in probe.summary.items()
                          if isinstance(v, (int, float)) and not isinstance(v, bool)}
        check_metrics(spec, available)
        self._arms_data = data
        return data

    @property
    def uncertain(self):
        """The uncertain parameters, inside the bounds every arm declares for them (or None)."""
        if self.spec.uncertain is None:
            return None
        self.arms_data()
        return self._uncertain

    @property
    def model(self):
        if self._model is None:
            spec = self.spec
            if self.custom_model:
                self._model = FunctionModel(self.model_function or spec.model, self.arms_data(),
                                            keep_daily=True)
            else:
                self._model = SimlibModel(self.arms_data(), users=spec.users, days=spec.days,
                                          keep_daily=False)
        return self._model

    def fingerprint(self) -> str:
        # what decides which runs exist and what each computes; replications may grow,
        # and reporting choices (intervals, CRN vs independent stages) may change freely
        ignore = ("replications", "description", "crn", "confidence", "detect_difference", "compare", "robust")
        raw = {k: v for k, v in self.spec.raw.items() if k not in ignore}
        declared = {"experiment": raw, "arms": self.arms_data()}
        if self.custom_model:  # simulator folders keep the fingerprint they were written with
            declared["model"] = self.model.identity
        return _hash(declared)

    def _prepare(self):
        if self._prepared:
            return
        resolved = json.loads(json.dumps(self.spec.raw, default=str))
        resolved["replications"] = self.spec.replications
        if self.uncertain is not None:   # with the bounds the draws respect: the report redraws them
            resolved["uncertain"] = self.uncertain.to_plain()
        if self.spec.base:  # paths as resolved, so the copy works from the folder too
            resolved["base"] = self.spec.base
        for name, arm in self.spec.arms.items():
            if isinstance(arm.scenario, str) and isinstance(resolved.get("arms"), dict) \
                    and isinstance(resolved["arms"].get(name), dict):
                resolved["arms"][name]["scenario"] = arm.scenario
        inputs = {"experiment.yaml": f"# resolved copy of {self.spec.source}\n"
                                     + yaml.safe_dump(resolved, sort_keys=False, allow_unicode=True)}
        for name, d in self.arms_data().items():
            inputs[f"scenarios/{name}.yaml"] = yaml.safe_dump(d, sort_keys=False, allow_unicode=True)
        self.store.prepare(self.fingerprint(), inputs)
        self._prepared = True

    def _check_results(self, summary: dict) -> None:
        """Outcomes must be computable from what the runs report: checked on the first run."""
        check_metrics(self.spec, {k for k, v in summary.items()
                                  if isinstance(v, (int, float)) and not isinstance(v, bool)})

    def _execute(self, stage: str, runs: list[Run], keep_daily: bool = False) -> pd.DataFrame:
        self._prepare()
        model = self.model
        if hasattr(model, "keep_daily"):
            model.keep_daily = keep_daily
        ids = execute(model, runs, self.store, self.executor, progress=self.progress, desc=stage,
                      check=self._check_results, status=self.status)
        df = self.store.summary_frame(stage, set(ids))
        for o in self.spec.outcomes:
            if o.formula and len(df):
                names = formula_names(self.spec.source, f"outcomes.{o.name}.formula", o.formula)
                df[o.name] = eval_formula(o.formula, {n: df[n] for n in names})
        return df

    def _seed(self, rep, arm_index=0, point=0, crn=None):
        crn = self.spec.crn if crn is None else crn
        return run_seed(self.spec.seed, rep, crn=crn, arm_index=arm_index, point=point)

    # -- analyses --------------------------------------------------------------------------
    def compare(self, replications: int | None = None, crn: bool | None = None,
                keep_daily: bool | None = None) -> CompareResult:
        spec = self.spec
        reps = spec.replications if replications is None else check_replications(spec, replications)
        crn = spec.crn if crn is None else crn
        if keep_daily is None:
            keep_daily = bool((spec.compare or {}).get("keep_daily", True))
        stage = "compare" if crn else "compare_independent"
        drawn = self._draws(reps)
        runs = [Run(stage, arm, 0, r, self._seed(r, i, 0, crn), drawn(arm, r))
                for r in range(reps) for i, arm in enumerate(spec.arms)]
        df = self._execute(stage, runs, keep_daily=keep_daily)
        from .table import comparison_table
        table = comparison_table(df, spec.outcomes, spec.reference, spec.confidence,
                                 spec.detect_difference, self.uncertain, spec.seed)
        daily = self.store.daily_frame(stage, {r.run_id for r in runs}) if keep_daily else pd.DataFrame()
        self.store.write_table(stage + "_runs", df)
        self.store.write_table("comparison" if crn else "comparison_independent", table)
        if keep_daily and len(daily):
            self.store.write_table(stage + "_daily", daily)
        return CompareResult(table, df, daily, spec.reference, spec.confidence, crn)

    def _draws(self, reps: int):
        """(arm, replication) -> the run's overrides: the parameters drawn for the replication
        (``uncertainty.run_overrides``); none without uncertain parameters."""
        if self.uncertain is None:
            return lambda arm, r: {}
        from .uncertainty import run_overrides
        return run_overrides(self.uncertain, self.spec.seed, reps, self._uncertain_keys)

    def robust(self, points: int | None = None, replications: int | None = None,
               ranking: tuple | None = None):
        """Every arm at each of ``points`` assumption sets (a Latin hypercube over the plausible ranges
        of the effects the arms act through), on seeds the arms share: how often each ranking
        holds and what decides a flip (``experiment.robust.run``)."""
        from .robust import run
        return run(self, points, replications, ranking)

    def crn_check(self, outcome: str | None = None, arm: str | None = None,
                  replications: int | None = None) -> dict:
        """Variance of the paired difference with common vs independent random numbers."""
        spec = self.spec
        outcome = spec.outcome(outcome or spec.outcomes[0].name)
        arm = arm or next(a for a in spec.arms if a != spec.reference)
        a = self.compare(replications, crn=True, keep_daily=False)
        b = self.compare(replications, crn=False, keep_daily=False)
        return cmp_stats.crn_variance(a.runs, b.runs, outcome.key, arm, spec.reference)

    def _design_runs(self, stage: str, arms, design) -> list:
        """One run per arm x design point x replication, each point's values as overrides."""
        runs = []
        for a_i, arm in enumerate(arms):
            for point, row in design.iterrows():
                ov = {k: _plain(v) for k, v in row.items()}
                for r in range(self.spec.replications):
                    runs.append(Run(stage, arm, int(point), r, self._seed(r, a_i, int(point)), ov))
        return runs

    def sweep(self) -> SweepResult:
        spec = self.spec
        sw = spec.sweep or {"design": "lhs", "points": 32, "levels": 5, "arms": list(spec.arms),
                            "over": "both"}
        params = spec.parameters(sw["over"])
        design = designs.make_design(sw["design"], params, points=sw["points"],
                                     levels=sw["levels"], seed=spec.seed)
        runs = self._design_runs("sweep", sw["arms"], design)
        df = self._execute("sweep", runs, keep_daily=bool(sw.get("keep_daily", False)))
        self.store.write_table("sweep_runs", df)
        self.store.write_table("sweep_design", design.reset_index())
        return SweepResult(design, df)

    def sensitivity(self) -> SensitivityResult:
        spec = self.spec
        se = spec.sensitivity
        if se is None:
            raise ExperimentError(spec.source, "sensitivity", "missing; add e.g. sensitivity: {samples: 64}")
        params = spec.parameters(se["over"])
        design, labels = designs.saltelli(params, se["samples"], seed=spec.seed)
        runs = self._design_runs("sensitivity", se["arms"], design)
        df = self._execute("sensitivity", runs)
        outcomes = [spec.outcome(n) for n in se["outcomes"]]
        analysed = df
        if se.get("difference"):
            # the paired difference arm - reference at each point: what the answer depends on
            keys = [o.key for o in outcomes]
            ref = df[df["arm"] == spec.reference].set_index(["point", "replication"])[keys]
            parts = [df]
            for arm in se["arms"]:
                if arm == spec.reference:
                    continue
                a = df[df["arm"] == arm].set_index(["point", "replication"])[keys]
                d = (a - ref).reset_index()
                d["arm"] = f"{arm} - {spec.reference}"
                parts.append(d)
            analysed = pd.concat(parts, ignore_index=True)
        table = sens_mod.sensitivity_table(analysed, labels, params, outcomes, bootstrap=se["bootstrap"],
                                           confidence=spec.confidence, seed=spec.seed)
        self.store.write_table("sensitivity_runs", df)
        self.store.write_table("sensitivity", table)
        return SensitivityResult(table, df)

    def optimize(self) -> OptimizationResult:
        spec = self.spec
        op = spec.optimize
        if op is None:
            raise ExperimentError(spec.source, "optimize", "missing; add e.g. optimize: {outcome: gross_profit_cny}")
        levers = spec.levers
        lever_keys = [p.key for p in levers]
        S = op["scenarios"] if spec.uncertainties else 1
        scen = (designs.make_design("lhs", spec.uncertainties, points=S, seed=spec.seed + 1)
                if spec.uncertainties else pd.DataFrame(index=pd.RangeIndex(1)))
        outcomes = {o.name: o for o in spec.outcomes}
        a_i = list(spec.arms).index(op["arm"])
        cands = pd.DataFrame(columns=lever_keys)
        frames = []
        scored = None
        for rnd in range(op["rounds"] + 1):
            if rnd == 0:
                new = designs.make_design("sobol", levers, points=op["candidates"], seed=spec.seed + 2)
            else:
                top = opt_mod.ranked(scored).head(op["keep"])
                new = designs.around(levers, top[lever_keys], width=0.5 ** rnd,
                                     n_each=max(2, op["candidates"] // op["keep"]),
                                     seed=spec.seed + 100 + rnd)
            new = new[opt_mod.lever_feasible(new, op["constraints"])]
            seen = {tuple(r) for r in cands[lever_keys].itertuples(index=False)} if len(cands) else set()
            new = new[[tuple(r) not in seen for r in new[lever_keys].itertuples(index=False)]]
            new = new.drop_duplicates().reset_index(drop=True)
            if new.empty:
                if rnd == 0:
                    raise ExperimentError(spec.source, "optimize.constraints", "no lever setting in the "
                                          "declared ranges satisfies the lever constraints")
                break
            new.index = pd.RangeIndex(len(cands), len(cands) + len(new))
            cands = pd.concat([cands, new]) if len(cands) else new
            runs = []
            for c, row in new.iterrows():
                for k in range(S):
                    ov = {key: _plain(v) for key, v in row.items()}
                    if spec.uncertainties:
                        ov.update({key: _plain(v) for key, v in scen.iloc[k].items()})
                    point = int(c) * S + k
                    for r in range(spec.replications):
                        runs.append(Run("optimize", op["arm"], point, r, self._seed(r, a_i, point), ov))
            frames.append(self._execute("optimize", runs))
            df = pd.concat(frames, ignore_index=True)
            scored = opt_mod.score_candidates(df, cands, S, op, outcomes)
        obj = outcomes[op["outcome"]]
        front_name = op.get("frontier")
        fmetric = None
        if front_name:
            fo = outcomes[front_name]
            fmetric, fsign = f"mean:{fo.key}", fo.sign
        else:
            mc = [c for c in op["constraints"] if c.metric]
            if mc:
                fmetric, fsign = f"constraint:{mc[0].name}", (-1.0 if mc[0].max is not None else 1.0)
        if fmetric:
            # the frontier relaxes the constraint on its own metric: it shows what a looser
            # cap would buy; every other constraint still holds
            fkey = fmetric.split(":", 1)[1]
            others = [c for c in op["constraints"]
                      if f"constraint:{c.name}" != fmetric and c.metric not in (fkey, front_name)]
            ok = np.ones(len(scored), dtype=bool)
            for c in others:
                ok &= np.array([c.slack(v) >= 0 for v in scored[f"constraint:{c.name}"]])
            frontier = opt_mod.pareto_front(scored[ok], "objective", obj.sign, fmetric, fsign)
        else:
            frontier = scored[scored["feasible"]].head(0)
        best = opt_mod.best(scored)
        self.store.write_table("optimize_runs", df)
        self.store.write_table("optimize_candidates", scored)
        self.store.write_table("optimize_frontier", frontier)
        return OptimizationResult(opt_mod.ranked(scored).reset_index(drop=True), best, frontier,
                                  op["outcome"], fmetric, df)

    def run_all(self) -> dict:
        """Every analysis the experiment file declares (compare always runs with 2+ arms)."""
        out = {}
        if len(self.spec.arms) > 1 or self.spec.compare is not None:
            out["compare"] = self.compare()
        if self.spec.sweep is not None:
            out["sweep"] = self.sweep()
        if self.spec.sensitivity is not None:
            out["sensitivity"] = self.sensitivity()
        if self.spec.optimize is not None:
            out["optimize"] = self.optimize()
        if self.spec.robust is not None:
            out["robust"] = self.robust()
        return out


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


def compare_scenarios(base, arms: list, *, replications: int = 10, seed: int = 0,
                      users: int | None = None, days: int | None = None, outcomes=None,
                      out: str | None = None, executor: Executor | None = None,
                      progress: bool = False, crn: bool = True,
                      detect_difference: dict | None = None, status: dict | None = None,
                      uncertain=None, robust: int | None = None, assignment=None,
                      assignment_arm: str | None = None) -> CompareResult:
    """Compare scenario files against a base scenario (the `simlib compare` command).
    ``status`` (a dict) is kept at {stage: [runs stored, runs planned]} while it runs."""
    return compare_experiment([base, *arms], replications=replications, seed=seed, users=users, days=days,
                              outcomes=outcomes, out=out, executor=executor, progress=progress, crn=crn,
                              detect_difference=detect_difference, status=status, uncertain=uncertain,
                              robust=robust, assignment=assignment, assignment_arm=assignment_arm).compare()


def compare_experiment(arms, reference: str | None = None, *, replications: int = 10, seed: int = 0,
                       users: int | None = None, days: int | None = None, outcomes=None,
                       out: str | None = None, executor: Executor | None = None,
                       progress: bool = False, crn: bool = True,
                       detect_difference: dict | None = None, status: dict | None = None,
                       uncertain=None, robust: int | dict | None = None, assignment=None,
                       assignment_arm: str | None = None) -> Experiment:
    """The comparison experiment of ``arms``: a list of scenario paths, built-in names or
    ``Scenario`` objects (named after the file or the scenario), or a mapping name -> one of
    those. ``reference`` defaults to the first arm. ``uncertain``: fitted parameters with their
    covariance (a file, or a mapping as the experiment key ``uncertain:`` takes), drawn once per
    replication for every arm. ``robust``: assumption sets of a robust verdict (``Experiment.robust``),
    or the experiment key ``robust:``'s mapping. ``assignment``: a file of customer_id (and arm):
    every arm but the reference sends its campaign to the listed customers (``assignment_arm``, else
    the file's one arm besides control), and the table adds per-treated outcomes."""
    import simlib
    builtins = list(simlib.builtin_scenarios())
    items = list(arms.items()) if isinstance(arms, dict) else [(None, a) for a in arms]
    arm_map, objects = {}, {}
    for given_name, ref in items:
        if isinstance(ref, simlib.Scenario):
            stem = ref.name
        else:
            ref = str(ref)
            stem = os.path.splitext(os.path.basename(ref))[0]
            if not os.path.exists(ref) and stem not in builtins:
                from .spec import did_you_mean
                raise ExperimentError(ref, "", "no such scenario file, nor a built-in scenario; built-in: "
                                      + ", ".join(builtins) + "." + did_you_mean(stem, builtins))
        name = given_name or "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in stem) or "arm"
        if not name[0].isalpha():
            name = "arm_" + name
        while name in arm_map:
            name += "_2"
        is_reference = name == reference if reference else not arm_map
        if assignment is not None and not is_reference:
            from .campaign import with_assignment   # the campaign goes to the assigned customers
            ref = with_assignment(ref, assignment, assignment_arm)
        if isinstance(ref, simlib.Scenario):
            objects[name] = ref
            arm_map[name] = {"scenario": f"<scenario {ref.name} from {ref.source}>"}
        else:
            arm_map[name] = {"scenario": os.path.abspath(ref) if os.path.exists(ref) else ref}
    data = {"name": "compare", "arms": arm_map, "reference": reference or next(iter(arm_map)), "seed": seed,
            "replications": replications, "crn": crn}
    if users is not None:
        data["users"] = users
    if days is not None:
        data["days"] = days
    if outcomes:
        data["outcomes"] = list(outcomes)
    if uncertain is not None:
        data["uncertain"] = os.path.abspath(uncertain) if isinstance(uncertain, (str, os.PathLike)) else uncertain
    if robust is not None:
        data["robust"] = dict(robust) if isinstance(robust, dict) else {"points": robust}
    if detect_difference:
        data["detect_difference"] = dict(detect_difference)
        if not outcomes:
            from .spec import DEFAULT_OUTCOMES
            data["outcomes"] = list(dict.fromkeys(DEFAULT_OUTCOMES + list(detect_difference)))
    spec = parse_experiment(data, "<command line>")
    for name, scenario in objects.items():   # a Scenario object stands in for its placeholder
        arm = spec.arms[name]
        spec.arms[name] = type(arm)(name, scenario, arm.overrides, arm.description)
    return Experiment(spec, out=out, executor=executor, progress=progress, status=status)

