"""Runs: what one simulation of an experiment is, how its seed is derived, how it executes.

A `Run` is (stage, arm, design point, replication, seed, overrides). Seeds come from the
experiment seed and the replication index only, so with common random numbers every arm and
every design point of one replication share a seed: the engine keys each draw by (seed,
decision, day, customer), so they differ only by what the strategy or parameter changes.
"""
from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass, field

import numpy as np

from .spec import ExperimentError


@dataclass(frozen=True)
class Run:
    stage: str             # "compare", "sweep", "sensitivity", "optimize-0", ...
    arm: str
    point: int             # design point index (0 when there is no design)
    replication: int
    seed: int
    overrides: dict = field(default_factory=dict)  # dotted scenario key -> value

    @property
    def run_id(self) -> str:
        return f"{self.stage}-{self.arm}-p{self.point:05d}-r{self.replication:04d}"


def run_seed(seed: int, replication: int, *, crn: bool = True, arm_index: int = 0,
             point: int = 0) -> int:
    """Seed of one run. With CRN it depends on (seed, replication) only."""
    entropy = [int(seed), int(replication)] if crn else [int(seed), int(replication),
                                                        int(arm_index) + 1, int(point) + 1]
    return int(np.random.SeedSequence(entropy).generate_state(1, dtype=np.uint32)[0] >> 1)


# Validated arm scenarios, per process: a worker builds each arm once, not once per run
# (the model is pickled with every task, so an instance cache would start empty each time).
_SCENARIOS: dict = {}


class SimlibModel:
    """Evaluates a run with the simulator: arm scenario + overrides -> simlib.run."""

    def __init__(self, arms: dict, users: int | None = None, days: int | None = None,
                 keep_daily: bool = False):
        self.arms = arms            # arm name -> resolved scenario data (plain dict)
        self.users, self.days = users, days
        self.keep_daily = keep_daily
        self._keys = {name: hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()
                      for name, d in arms.items()}

    def scenario(self, run: Run):
        import simlib
        key = self._keys[run.arm]
        base = _SCENARIOS.get(key)
        if base is None:
            if len(_SCENARIOS) > 64:
                _SCENARIOS.clear()
            base = _SCENARIOS[key] = simlib.scenario_from_dict(self.arms[run.arm],
                                                               source=f"<arm {run.arm}>")
        return base.override(dict(run.overrides)) if run.overrides else base

    def __call__(self, run: Run) -> dict:
        return self.batch([run])[0]

    def batch(self, runs: list[Run]) -> list[dict]:
        """Runs that differ only in their seed (same arm, design point and overrides), as one
        batch of replications over one population: the numbers of separate runs, at a fraction
        of the cost (the day's overhead is paid once)."""
        from simlib.run import run_batch
        sc = self.scenario(runs[0])
        out = []
        for res in run_batch(sc, [r.seed for r in runs], users=self.users, days=self.days):
            one = {"summary": dict(res.summary), "scenario": sc.data}
            if self.keep_daily:
                one["daily"] = res.daily_columns()
            out.append(one)
        return out


class FunctionModel:
    """Evaluates a run with a plain function f(params, seed, arm) -> dict of metrics.

    `params` merges the arm's overrides and the design point's. `target` is the function
    itself (passed from Python) or the name of a registered model (entry point group
    ``simlib.models``), loaded on first use in each worker. Used for toy models with known
    answers (tests, docs) and for users who wrap their own simulator.
    """

    def __init__(self, target, arms: dict | None = None, keep_daily: bool = False):
        self.target = target
        self.arms = arms or {}      # arm name -> overrides dict
        self.keep_daily = keep_daily
        self._fn = target if callable(target) else None

    def __getstate__(self):
        d = dict(self.__dict__)
        if not callable(self.target):
            d["_fn"] = None
        return d

    @property
    def fn(self):
        if self._fn is None:
            self._fn = load_registered_model(self.target)
        return self._fn

    @property
    def identity(self) -> str:
        """What the runs were computed with, for the experiment's fingerprint."""
        if callable(self.target):
            return f"function {getattr(self.target, '__module__', '?')}.{getattr(self.target, '__qualname__', '?')}"
        return f"registered model {self.target}"

    def __call__(self, run: Run) -> dict:
        params = {**self.arms.get(run.arm, {}), **run.overrides}
        out = self.fn(params, run.seed, run.arm)
        if isinstance(out, dict) and "summary" in out:
            res = dict(out)
        else:
            res = {"summary": dict(out)}
        res["scenario"] = params
        if not self.keep_daily:
            res.pop("daily", None)
        return res


def load_registered_model(name: str):
    """The function a registered model names: only entry points of installed packages, in
    group ``simlib.models``, can be loaded; a name is never imported as a module path."""
    from .spec import registered_models
    models = registered_models()
    if name not in models:
        raise ExperimentError("model", "", f"{name!r} is not a registered model; allowed: "
                              + (", ".join(sorted(models)) or "none installed"))
    fn = models[name].load()
    if not callable(fn):
        raise ExperimentError("model", "", f"the registered model {name!r} is not a function")
    return fn


def record(run: Run, out: dict) -> dict:
    return {"run_id": run.run_id, "stage": run.stage, "arm": run.arm, "point": run.point,
            "replication": run.replication, "seed": run.seed, "overrides": dict(run.overrides),
            "scenario": out.get("scenario"), "summary": out.get("summary", {}),
            "daily": out.get("daily")}


class _Batch:
    """One task for an executor: runs evaluated together when the model can (``model.batch``),
    one after another when it cannot. Picklable: it travels to worker processes."""

    def __init__(self, model):
        self.model = model

    def __call__(self, runs: list[Run]) -> list[dict]:
        batch = getattr(self.model, "batch", None)
        return batch(runs) if batch is not None else [self.model(r) for r in runs]


def plan_batches(runs: list[Run], workers: int, batchable: bool) -> list[list[Run]]:
    """Group runs that differ only in their seed, and cut each group into nearly equal batches
    so that every worker gets about two (a late straggler costs little)."""
    if not batchable:
        return [[r] for r in runs]
    groups: dict = {}
    for r in runs:
        key = (r.stage, r.arm, r.point, json.dumps(r.overrides, sort_keys=True, default=str))
        groups.setdefault(key, []).append(r)
    size = max(1, -(-len(runs) // (2 * max(workers, 1))))          # ceil
    out = []
    for group in groups.values():
        k = -(-len(group) // size)
        cuts = [len(group) * i // k for i in range(k + 1)]
        out += [group[a:b] for a, b in zip(cuts[:-1], cuts[1:])]
    return out


def execute(model, runs: list[Run], store, executor, *, progress: bool = False,
            desc: str = "runs", check=None, status: dict | None = None) -> list[str]:
    """Run what is not yet in the store, saving each run the moment it finishes.

    ``check(summary)`` sees the first result (stored or new) before the rest are computed,
    so that an outcome the runs do not report stops the experiment after one run, not after
    all. ``status[desc]`` is kept at [runs stored, runs planned] for an interruption message.
    Returns the run ids of `runs` (all of them are in the store afterwards).
    """
    ids = [r.run_id for r in runs]
    if len(set(ids)) != len(ids):
        raise ExperimentError("internal: duplicate run ids in one plan")
    done = store.verified(runs)
    todo = [r for r in runs if r.run_id not in done]
    status = {} if status is None else status
    status[desc] = [len(runs) - len(todo), len(runs)]
    if check is not None and done:
        check(store.records(runs[0].stage, {next(iter(done))})[0]["summary"])
    bar = None
    if progress and runs:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(runs), initial=len(runs) - len(todo), desc=desc, unit="run",
                   file=sys.stderr, dynamic_ncols=True, smoothing=0.1)
    batches = plan_batches(todo, getattr(executor, "workers", 1) or 1, hasattr(model, "batch"))
    try:
        for batch, outs in executor.imap(_Batch(model), batches):
            for run, out in zip(batch, outs):
                store.save(record(run, out))
                status[desc][0] += 1
                if check is not None and not done:
                    check(out.get("summary", {}))
                    done = {run.run_id}
                if bar is not None:
                    bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return ids
