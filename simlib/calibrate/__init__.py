"""Calibration: fit a scenario to a team's own data.

- transaction logs -> customer traits: the purchase process (BG/NBD, MBG/NBD, Pareto/NBD or
  MBG/CNBD-k regular buyers, chosen on the log; optionally a monthly seasonal index) and a
  log-normal basket, by maximum likelihood, with a holdout check (`calibrate_transactions`);
- funnel counts per period -> behaviour hazards, by simulated moments against the engine
  (`calibrate_funnel`).
Both write a YAML fragment a scenario can ``extends:``. The models are in docs/calibration.md.
The closed forms of each process (E[X(t)], P(alive), conditional expectations) are in
`simlib.calibrate.processes`.
"""

from simlib.calibrate.bgnbd import (BGNBDFit, conditional_expected, expected_repeat, fit_bgnbd,
                                    log_likelihood, probability_alive)
from simlib.calibrate.funnel import FunnelData, FunnelFit, calibrate_funnel, fit_funnel, read_funnel
from simlib.calibrate.processes import PROCESSES, ProcessFit, fit_process
from simlib.calibrate.report import TransactionCalibration, calibrate_log, calibrate_transactions
from simlib.calibrate.spend import SpendFit, fit_spend
from simlib.calibrate.transactions import (CalibrationData, TransactionLog, read_transactions, summarize,
                                           transactions_from_frame)

__all__ = [
    "BGNBDFit", "CalibrationData", "FunnelData", "FunnelFit", "PROCESSES", "ProcessFit", "SpendFit",
    "TransactionCalibration", "fit_process",
    "TransactionLog", "calibrate_funnel", "calibrate_log", "calibrate_transactions", "conditional_expected",
    "expected_repeat", "fit_bgnbd", "fit_funnel", "fit_spend", "log_likelihood", "probability_alive",
    "read_funnel", "read_transactions", "summarize", "transactions_from_frame",
]
