"""simlib: simulate private-domain marketing strategies before rolling them out.

The flat API: ``load_scenario``, ``run`` and ``Result`` for single runs; ``compare`` (package
``simlib.report``) for a decision between strategies: a verdict on net profit, the tables, the
cost breakdown and a report to forward; ``compare_scenarios`` and ``load_experiment`` (package
``simlib.experiment``) for comparisons, sweeps, sensitivity and optimisation;
``whatif`` for one setting of the levers against a reference (the panel a slider redraws);
``calibrate_transactions``, ``calibrate_funnel`` and ``calibrate_uplift`` (package
``simlib.calibrate``) for fitting to a team's data. The packages load on first use, so ``import simlib`` stays quick.
"""

__version__ = "0.1.0"

from .errors import ScenarioError, UserError  # noqa: E402
from .population import STAGES  # noqa: E402
from .results import Result  # noqa: E402
from .run import run, run_batch  # noqa: E402
from .scenario import Scenario, builtin_scenarios, load_scenario, scenario_from_dict  # noqa: E402

_LAZY = {
    "compare": "simlib.report",
    "load_decision": "simlib.report",
    "whatif": "simlib.report.whatif",
    "compare_scenarios": "simlib.experiment",
    "load_experiment": "simlib.experiment",
    "load_results": "simlib.experiment",
    "Experiment": "simlib.experiment",
    "make_executor": "simlib.experiment",
    "calibrate_transactions": "simlib.calibrate",
    "calibrate_funnel": "simlib.calibrate",
    "calibrate_uplift": "simlib.calibrate.uplift",
    "twin": "simlib.calibrate.twin",
}

__all__ = ["STAGES", "Result", "Scenario", "ScenarioError", "UserError", "builtin_scenarios",
           "load_scenario", "run", "run_batch", "scenario_from_dict", "__version__", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'simlib' has no attribute {name!r}")
