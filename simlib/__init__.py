"""simlib: simulate private-domain marketing strategies before rolling them out."""

__version__ = "0.1.0"

from .errors import ScenarioError, UserError  # noqa: E402
from .population import STAGES  # noqa: E402
from .results import Result  # noqa: E402
from .run import run  # noqa: E402
from .scenario import Scenario, builtin_scenarios, load_scenario, scenario_from_dict  # noqa: E402

__all__ = ["STAGES", "Result", "Scenario", "ScenarioError", "UserError", "builtin_scenarios",
           "load_scenario", "run", "scenario_from_dict", "__version__"]
