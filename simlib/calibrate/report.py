"""Calibrate the customer traits of a scenario to a transaction log, and check the holdout.

``calibrate_transactions`` is the whole workflow behind ``simlib calibrate transactions``:
read the log, summarise each customer, fit BG/NBD (repeat buying and dropout) and the basket
value by maximum likelihood, predict the holdout, and write the scenario fragment, the
holdout tables and the plots.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from simlib.calibrate.bgnbd import BGNBDFit, fit_bgnbd
from simlib.calibrate.fragment import traits_fragment, write_fragment
from simlib.calibrate.holdout import by_frequency, holdout_table, total_check, weekly_tracking
from simlib.calibrate.spend import SpendFit, fit_spend
from simlib.calibrate.transactions import (CalibrationData, TransactionLog, occasions_in_calibration,
                                           read_transactions, summarize)


@dataclass
class TransactionCalibration:
    """Everything fitted from one transaction log, with the holdout check when there is one."""

    data: CalibrationData
    fit: BGNBDFit
    spend: SpendFit
    customers: pd.DataFrame          # holdout.csv: one row per customer
    by_frequency: pd.DataFrame | None
    weekly: pd.DataFrame
    check: dict | None

    def fragment(self) -> dict:
        return traits_fragment(self.fit.r, self.fit.alpha, self.fit.a, self.fit.b,
                               self.spend.mean_log, self.spend.sd_log)

    def parameters(self, level: float = 0.95) -> pd.DataFrame:
        """All fitted parameters: estimate, standard error, interval, and the engine key each sets."""
        keys = {
            "r": "traits.purchase_rate_per_day.shape",
            "alpha": "(days; scale = 1/alpha)",
            "scale": "traits.purchase_rate_per_day.scale",
            "a": "traits.dropout_after_purchase.a",
            "b": "traits.dropout_after_purchase.b",
            "mu": "(mean log amount of an order)",
            "sd_between": "traits.basket_value_cny.sd_log",
            "sd_within": "(order-to-order spread, not simulated)",
            "mean_log": "traits.basket_value_cny.mean_log",
        }
        table = pd.concat([self.fit.table(level), self.spend.table(level)])
        table["sets"] = [keys[name] for name in table.index]
        return table

    def describe(self) -> str:
        """The text the command line prints: data, parameters, holdout check."""
        d = self.data
        log = d.log
        lines = [
            f"Transactions: {log.source}: {log.n_transactions:,} rows, {len(log.occasions):,} purchase occasions",
            f"Calibration: {log.to_date(d.customers['first_day'].min())} .. {log.to_date(d.calibration_end_day)}, "
            f"{len(d.customers):,} customers, {int(d.customers['frequency'].sum()):,} repeat purchases",
        ]
        if d.holdout_days:
            lines.append(f"Holdout: {d.holdout_days} days to {log.to_date(d.holdout_end_day)}")
        lines.append("")
        lines.append(f"Fitted parameters (BG/NBD, {self.fit.time_model} purchases, max log-likelihood "
                     f"{self.fit.log_likelihood:,.1f}; 95% intervals):")
        table = self.parameters()
        for name, row in table.iterrows():
            lines.append(f"  {name:<11}{row['estimate']:>11.4g}  se {row['std_error']:<9.3g} "
                         f"[{row['lower']:.4g}, {row['upper']:.4g}]  {row['sets']}")
        if not self.fit.converged:
            lines.append(f"  warning: the fit did not converge cleanly: {self.fit.message or 'see the intervals'}")
        if self.check:
            c = self.check
            lines += ["", "Holdout check (repeat purchases of the calibration customers):",
                      f"  actual {c['actual']:,.0f}, predicted {c['predicted']:,.1f} "
                      f"(difference {c['relative_difference']:+.1%} of actual, {abs(c['z']):.1f} standard errors)"]
            lines.append("  per customer by calibration frequency:")
            for _, row in self.by_frequency.iterrows():
                lines.append(f"    {row['frequency']:>3}: {row['customers']:>7,} customers, actual {row['actual']:.3f}, "
                             f"predicted {row['predicted']:.3f}")
        return "\n".join(lines)

    def write(self, out: str | Path, plots: bool = True) -> list[Path]:
        """Write fitted_traits.yaml, parameters.csv, holdout.csv, holdout_by_frequency.csv,
        weekly_tracking.csv and the plots into ``out``; returns the paths."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        d = self.data
        comments = [
            "Fitted by `simlib calibrate transactions` (BG/NBD + log-normal basket, maximum likelihood).",
            f"Data: {d.log.source}, {len(d.customers):,} customers, calibration to {d.log.to_date(d.calibration_end_day)}.",
            "Use it with: extends: [baseline.yaml, fitted_traits.yaml]   (later files win)",
            "95% intervals:",
        ]
        for name, row in self.parameters().iterrows():
            comments.append(f"  {name} = {row['estimate']:.4g} [{row['lower']:.4g}, {row['upper']:.4g}]")
        paths = [write_fragment(out / "fitted_traits.yaml", self.fragment(), comments)]
        params = self.parameters().rename_axis("parameter").reset_index()
        params.to_csv(out / "parameters.csv", index=False)
        paths.append(out / "parameters.csv")
        self.customers.to_csv(out / "holdout.csv", index=False)
        paths.append(out / "holdout.csv")
        if self.by_frequency is not None:
            self.by_frequency.to_csv(out / "holdout_by_frequency.csv", index=False)
            paths.append(out / "holdout_by_frequency.csv")
        self.weekly.to_csv(out / "weekly_tracking.csv", index=False)
        paths.append(out / "weekly_tracking.csv")
        if plots:
            from simlib.calibrate.plots import save_transaction_plots
            paths += save_transaction_plots(self, out)
        return paths


def calibrate_log(log: TransactionLog, calibration_end, holdout_end=None, time_model: str = "daily",
                  dropout_at_first_purchase: bool = False, cohort_start=None) -> TransactionCalibration:
    """Fit an already-read log (see `read_transactions`, `transactions_from_frame`)."""
    data = summarize(log, calibration_end, holdout_end, cohort_start)
    c = data.customers
    fit = fit_bgnbd(c["frequency"], c["recency"], c["age"], time_model=time_model,
                    dropout_at_first_purchase=dropout_at_first_purchase)
    spend = fit_spend(occasions_in_calibration(data))
    table = holdout_table(data, fit)
    if data.holdout_days:
        check = total_check(table)
        freq = by_frequency(table)
    else:
        check = freq = None
    weekly = weekly_tracking(data, fit)
    return TransactionCalibration(data, fit, spend, table, freq, weekly, check)


def calibrate_transactions(path, calibration_end, holdout_end=None, customer_col="customer_id",
                           date_col="date", amount_col="amount", date_format=None,
                           time_model: str = "daily", cohort_start=None) -> TransactionCalibration:
    """Read a transaction CSV and fit the scenario traits (see the module docstring)."""
    log = read_transactions(path, customer_col, date_col, amount_col, date_format)
    return calibrate_log(log, calibration_end, holdout_end, time_model=time_model, cohort_start=cohort_start)
