"""Experiments: compare strategies, sweep and analyse sensitivity, optimise levers.

Declarations live in YAML (see docs/experiments.md); execution goes through one executor
interface (serial, local processes, Dask); every finished run is stored at once, so an
interrupted experiment resumes where it stopped.
"""
from .compare import compare_table, crn_variance, mean_ci, prob_better, replications_needed
from .core import (CompareResult, Experiment, OptimizationResult, SensitivityResult, SweepResult,
                   compare_experiment, compare_scenarios)
from .designs import make_design, saltelli
from .executors import (DaskExecutor, Executor, ProcessExecutor, SerialExecutor, WorkerCrashed,
                        make_executor)
from .runner import FunctionModel, Run, SimlibModel, run_seed
from .spec import ExperimentError, ExperimentSpec, load_experiment, parse_experiment, registered_models
from .store import RunStore, load_daily, load_results

__all__ = [
    "Experiment", "ExperimentSpec", "ExperimentError", "load_experiment", "parse_experiment",
    "registered_models",
    "CompareResult", "SweepResult", "SensitivityResult", "OptimizationResult", "compare_scenarios",
    "compare_experiment",
    "compare_table", "crn_variance", "mean_ci", "prob_better", "replications_needed",
    "make_design", "saltelli",
    "Executor", "SerialExecutor", "ProcessExecutor", "DaskExecutor", "WorkerCrashed", "make_executor",
    "Run", "run_seed", "SimlibModel", "FunctionModel",
    "RunStore", "load_results", "load_daily",
]
