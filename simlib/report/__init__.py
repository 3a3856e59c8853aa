"""The decision: verdict, unit formatting, cost breakdown, arm diffs and a self-contained HTML
report, built from a comparison that ran or from an experiment folder on disk."""

from .costs import cost_breakdown, format_breakdown
from .decision import Decision, compare, load_decision, write_report
from .diff import arm_diffs, scenario_diff, warnings
from .verdict import Verdict, decide

__all__ = ["Decision", "Verdict", "arm_diffs", "compare", "cost_breakdown", "decide", "format_breakdown",
           "load_decision", "scenario_diff", "warnings", "write_report"]
