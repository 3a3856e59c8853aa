"""Calibration: fit a scenario to a team's own data (issue 5).

- transaction logs -> customer traits (BG/NBD repeat buying and dropout, log-normal basket),
  by maximum likelihood, with a holdout check (`calibrate_transactions`);
- funnel counts per period -> behaviour hazards, by simulated moments against the engine
  (`calibrate_funnel`).
Both write a YAML fragment a scenario can ``extends:``. The model is in docs/calibration.md.
"""

from simlib.calibrate.bgnbd import (BGNBDFit, conditional_expected, expected_repeat, fit_bgnbd,
                                    log_likelihood, probability_alive)
from simlib.calibrate.funnel import FunnelData, FunnelFit, calibrate_funnel, fit_funnel, read_funnel
from simlib.calibrate.report import TransactionCalibration, calibrate_log, calibrate_transactions
from simlib.calibrate.spend import SpendFit, fit_spend
from simlib.calibrate.transactions import (CalibrationData, TransactionLog, read_transactions, summarize,
                                           transactions_from_frame)

__all__ = [
    "BGNBDFit", "CalibrationData", "FunnelData", "FunnelFit", "SpendFit", "TransactionCalibration",
    "TransactionLog", "calibrate_funnel", "calibrate_log", "calibrate_transactions", "conditional_expected",
    "expected_repeat", "fit_bgnbd", "fit_funnel", "fit_spend", "log_likelihood", "probability_alive",
    "read_funnel", "read_transactions", "summarize", "transactions_from_frame",
]
