"""The comparison table an experiment reports, from its runs: one place for the comparison a
run of ``simlib compare`` prints and the one a report rebuilds from a folder."""

from __future__ import annotations

import pandas as pd

from .compare import compare_table
from .per_treated import add_per_treated, campaign_outcomes
from .returns import with_incremental_roi
from .uncertainty import with_uncertainty


def comparison_table(runs: pd.DataFrame, outcomes, reference: str, confidence: float = 0.95,
                     detect_difference: dict | None = None, uncertain=None, seed: int = 0) -> pd.DataFrame:
    """The comparison an experiment reports: ``compare_table``, with the fitted parameters'
    uncertainty carried when ``uncertain`` is given (``uncertainty.with_uncertainty``), and
    per-treated rows when an arm sends to a listed group (``per_treated``); the return on what
    each arm costs is read against the reference (``returns.with_incremental_roi``)."""
    outcomes = campaign_outcomes(outcomes, runs, reference)
    table = compare_table(runs, outcomes, reference, confidence, detect_difference)
    if uncertain is not None:
        table = with_uncertainty(table, runs, outcomes, reference, uncertain, seed, confidence)
    table = with_incremental_roi(table, runs, reference, confidence)
    return add_per_treated(table, runs, reference)
