"""Calibrate the customer traits of a scenario to a transaction log, and check the holdout.

``calibrate_transactions`` is the whole workflow behind ``simlib calibrate transactions``:
read the log, summarise each customer, choose the purchase process on a split inside the
calibration period (or take the one named), fit it and the basket value by maximum
likelihood, predict the holdout, and write the scenario fragment, the tables and the plots.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from simlib.calibrate._errors import user_error
from simlib.calibrate.fragment import process_fragment, write_fragment
from simlib.calibrate.holdout import by_frequency, holdout_table, total_check, weekly_tracking
from simlib.calibrate.new_buyers import (ENGINE_KEYS, NEW_BUYER_PROCESSES, TEST_LEVEL, NewBuyerClock, TenureDesign,
                                        fit_new_buyer_period)
from simlib.calibrate.processes import PROCESSES, Histories, ProcessFit, get_process
from simlib.calibrate.seasonal import SEASONAL_PROCESSES
from simlib.calibrate.selection import histories
from simlib.calibrate.spend import SpendFit, fit_spend
from simlib.calibrate.transactions import (CalibrationData, TransactionLog, occasions_in_calibration,
                                           read_transactions, summarize)

PROCESS_CHOICES = ("auto",) + tuple(PROCESSES)
NEW_BUYER_CHOICES = ("auto", "on", "off")
_SETS = {
    "r": "traits.purchase_rate_per_day.shape", "alpha": "(days; scale = 1/alpha)",
    "scale": "traits.purchase_rate_per_day.scale", "a": "traits.dropout_after_purchase.a",
    "b": "traits.dropout_after_purchase.b", "s": "traits.lifetime_hazard_per_day.shape",
    "beta": "(days; lifetime scale = 1/beta)", "lifetime_scale": "traits.lifetime_hazard_per_day.scale",
    "mu": "(mean log amount of an order)", "sd_between": "traits.basket_value_cny.sd_log",
    "sd_within": "behavior.order_value_sd_log", "mean_log": "traits.basket_value_cny.mean_log",
}


@dataclass
class TransactionCalibration:
    """Everything fitted from one transaction log, with the holdout check when there is one."""

    data: CalibrationData
    fit: ProcessFit
    spend: SpendFit
    customers: pd.DataFrame          # holdout.csv: one row per customer
    by_frequency: pd.DataFrame | None
    weekly: pd.DataFrame
    check: dict | None
    selection: object = None         # selection.Selection when the process was chosen
    comparison: dict | None = None   # comparison.compare_processes tables
    notes: list = field(default_factory=list)
    new_buyers: NewBuyerClock | None = None   # the tested new-buyer period, used or not
    check_without_period: dict | None = None  # the holdout check of the same process without it

    @property
    def process(self):
        return get_process(self.fit.process)

    @property
    def clock(self):
        """The purchase clock: simlib.calibrate.seasonal.SeasonalClock,
        simlib.calibrate.new_buyers.NewBuyerClock, or None (calendar days)."""
        return self.fit.extra.get("clock")

    def fragment(self) -> dict:
        fragment = process_fragment(self.process.fragment(self.fit), self.spend.mean_log, self.spend.sd_log,
                                    self.spend.sd_within)
        if isinstance(self.clock, NewBuyerClock):
            return self.clock.add_to(fragment)
        if self.clock is not None:
            start = self.data.log.to_date(self.data.calibration_end_day + 1)
            fragment = {"market": {"start_date": str(start)}, **fragment}
            fragment["behavior"]["seasonal_index"] = [float(f"{v:.4g}") for v in self.clock.index]
        return fragment

    def parameters(self, level: float = 0.95) -> pd.DataFrame:
        """All fitted parameters: estimate, standard error, interval, and the engine key each sets."""
        parts = [self.fit.table(level), self.spend.table(level)]
        if self.clock is not None:
            parts.append(self.clock.table(level))
        table = pd.concat(parts)
        declared = "" if self.clock is None or self.clock.fitted else " (declared)"
        table["sets"] = [_SETS.get(name) or ENGINE_KEYS.get(name)
                         or f"behavior.seasonal_index[{int(name[-2:]) - 1}]{declared}" for name in table.index]
        return table

    def describe(self) -> str:
        """The text the command line prints: data, selection, parameters, holdout check."""
        d = self.data
        log = d.log
        lines = [
            f"Transactions: {log.source}: {log.n_transactions:,} rows, {len(log.occasions):,} purchase occasions",
            f"Calibration: {log.to_date(d.customers['first_day'].min())} .. {log.to_date(d.calibration_end_day)}, "
            f"{len(d.customers):,} customers, {int(d.customers['frequency'].sum()):,} repeat purchases",
        ]
        if d.holdout_days:
            lines.append(f"Holdout: {d.holdout_days} days to {log.to_date(d.holdout_end_day)}")
        lines += [f"note: {n}" for n in self.notes]
        if self.comparison is not None:
            from simlib.calibrate.comparison import describe_comparison
            lines += [""] + describe_comparison(self.comparison["summary"], self.comparison["by_frequency"],
                                                log.to_date(self.selection.split_day))
        k = f", k = {self.fit.regularity}" if self.fit.regularity > 1 else ""
        lines += ["", f"Fitted parameters ({self.process.label}{k}, max log-likelihood "
                      f"{self.fit.log_likelihood:,.1f}; 95% intervals):"]
        for name, row in self.parameters().iterrows():
            se = f"{row['std_error']:<9.3g}" if np.isfinite(row["std_error"]) else f"{'-':<9}"
            how = "" if row["interval"] in ("wald", "declared") else f"  ({row['interval']})"
            lines.append(f"  {name:<15}{row['estimate']:>11.4g}  se {se} "
                         f"[{row['lower']:.4g}, {row['upper']:.4g}]  {row['sets']}{how}")
        if not self.fit.converged:
            lines.append(f"  warning: the fit did not converge cleanly: {self.fit.message or 'see the intervals'}")
        if self.new_buyers is not None:
            used = "used" if self.new_buyers is self.clock else "not used"
            lines += ["", *self.new_buyers.describe()]
            lines[-1] += f": {used}"
        if self.check:
            c = self.check
            lines += ["", f"Holdout check ({self.process.label}; repeat purchases of the calibration customers):",
                      f"  actual {c['actual']:,.0f}, predicted {c['predicted']:,.1f} "
                      f"(prediction error {c['relative_difference']:+.1%} of actual, {abs(c['z']):.1f} standard errors)",
                      "  per customer by calibration frequency:"]
            for _, row in self.by_frequency.iterrows():
                lines.append(f"    {row['frequency']:>3}: {row['customers']:>7,} customers, actual {row['actual']:.3f}, "
                             f"predicted {row['predicted']:.3f}")
            if self.check_without_period:
                lines.append(f"  without the new-buyer period: predicted {self.check_without_period['predicted']:,.1f} "
                             f"({self.check_without_period['relative_difference']:+.1%})")
        return "\n".join(lines)

    def write(self, out: str | Path, plots: bool = True) -> list[Path]:
        """Write fitted_traits.yaml, parameters.csv, holdout.csv, holdout_by_frequency.csv,
        weekly_tracking.csv, the process comparison tables (when chosen) and the plots."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        paths = [write_fragment(out / "fitted_traits.yaml", self.fragment(), self._comments())]
        tables = {"parameters.csv": self.parameters().rename_axis("parameter").reset_index(),
                  "holdout.csv": self.customers, "holdout_by_frequency.csv": self.by_frequency,
                  "weekly_tracking.csv": self.weekly}
        if self.comparison is not None:
            tables["process_comparison.csv"] = self.comparison["summary"]
            tables["process_by_frequency.csv"] = self.comparison["by_frequency"]
            tables["process_weekly.csv"] = self.comparison["weekly"]
            tables["process_validation_by_frequency.csv"] = self.selection.by_frequency
        paths += [_write_csv(out / name, table) for name, table in tables.items() if table is not None]
        if plots:
            from simlib.calibrate.plots import save_transaction_plots
            paths += save_transaction_plots(self, out)
        return paths

    def _comments(self) -> list[str]:
        d = self.data
        how = (f"chosen among {', '.join(self.comparison['summary']['process'])} by held-out likelihood"
               if self.comparison is not None else "named with --process")
        comments = [
            f"Fitted by `simlib calibrate transactions`: {self.process.label} ({how}) + log-normal basket, "
            "maximum likelihood.",
            f"Data: {d.log.source}, {len(d.customers):,} customers, calibration to {d.log.to_date(d.calibration_end_day)}.",
            "Keys of model v2 (time unit: days). Use it with: extends: [baseline.yaml, fitted_traits.yaml]",
            "95% intervals:",
        ]
        for name, row in self.parameters().iterrows():
            comments.append(f"  {name} = {row['estimate']:.4g} [{row['lower']:.4g}, {row['upper']:.4g}]")
        return comments


def _write_csv(path: Path, table: pd.DataFrame) -> Path:
    from simlib.fileio import replacing
    with replacing(path) as tmp:
        table.to_csv(tmp, index=False)
    return path


def _resolve_process(process: str | None, time_model: str | None, dropout_at_first_purchase: bool) -> str:
    """``auto`` unless a process is named; the older time_model/dropout arguments name a BG process."""
    if process not in (None, "auto"):
        if process not in PROCESSES:
            raise user_error(f"--process {process}: unknown; allowed: {', '.join(PROCESS_CHOICES)}")
        return process
    if time_model is None and not dropout_at_first_purchase:
        return "auto"
    if time_model not in (None, "daily", "continuous"):
        raise user_error(f"--time-model {time_model}: allowed: daily, continuous")
    base = "mbgnbd" if dropout_at_first_purchase else "bgnbd"
    return base + "-daily" if time_model in (None, "daily") else base


def _fit_spend(data: CalibrationData) -> SpendFit:
    try:
        return fit_spend(occasions_in_calibration(data))
    except ValueError:
        raise user_error(f"{data.log.source}: every amount in the calibration period is 0, so there is no basket "
                         "value to fit; allowed: at least one positive amount (check the amount column)") from None


def _splittable(data) -> bool:
    from simlib.calibrate.selection import can_split
    return can_split(data)


def _fit(name: str, h: Histories, clock, start=None, covariance: bool = True) -> ProcessFit:
    fit = get_process(name).fit(h, start=start, covariance=covariance)
    if clock is not None:
        fit.extra["clock"] = clock
    return fit


def _seasonal_clock(data: CalibrationData, seasonal, name: str):
    """The seasonal clock: a declared index as given, or one fitted jointly with BG/NBD (the
    chosen process refits it at the end); returns (clock, note)."""
    from simlib.calibrate.seasonal import (MIN_DAYS_TO_FIT, Calendar, SeasonalClock, design, fit_index,
                                           parse_index)
    log = data.log
    end = max(log.last_day, data.holdout_end_day or 0, data.calibration_end_day) + 1
    calendar = Calendar.of(log.origin, log.first_day, end)
    if not (isinstance(seasonal, str) and seasonal == "fit"):
        index, note = parse_index(seasonal)
        return SeasonalClock(index, calendar, False), note
    span = data.calibration_end_day - int(data.customers["first_day"].min())
    if span < MIN_DAYS_TO_FIT:
        raise user_error(f"--seasonal: the calibration period spans {span} days; fitting a monthly index needs more "
                         f"than a year ({MIN_DAYS_TO_FIT} days): declare the index from earlier years with "
                         "--seasonal-index instead")
    seasonal_design = design(data.customers, log.occasions, data.calibration_end_day, calendar)
    start = get_process("bgnbd").fit(Histories.from_frame(data.customers))
    index, log_cov, _ = fit_index(get_process("bgnbd"), seasonal_design, 1, tuple(start.params.values()))
    return SeasonalClock(index, calendar, True, log_cov), ""


def _refit_index(data: CalibrationData, clock, fit: ProcessFit):
    from simlib.calibrate.seasonal import SeasonalClock, design, fit_index
    seasonal_design = design(data.customers, data.log.occasions, data.calibration_end_day, clock.calendar)
    index, log_cov, _ = fit_index(get_process(fit.process), seasonal_design, fit.regularity,
                                  tuple(fit.params.values()))
    return SeasonalClock(index, clock.calendar, True, log_cov)


def calibrate_log(log: TransactionLog, calibration_end, holdout_end=None, time_model: str | None = None,
                  dropout_at_first_purchase: bool = False, cohort_start=None, process: str = "auto",
                  validation_days: int | None = None, seasonal=None, new_buyers: str = "auto",
                  progress=None, report_daily: bool = True) -> TransactionCalibration:
    """Fit an already-read log (see `read_transactions`, `transactions_from_frame`).

    ``process``: ``auto`` (choose by held-out likelihood, see `simlib.calibrate.selection`) or
    a name in `PROCESSES`. ``seasonal``: None, ``"fit"`` (a monthly index fitted jointly; more
    than a year of calibration data) or 12 monthly multipliers (declared; rescaled to mean 1).
    ``new_buyers``: ``auto`` (test a new-buyer period on the chosen process and use it when the
    likelihood ratio says so, see `simlib.calibrate.new_buyers`), ``on`` or ``off``.
    ``progress``: called with a line as each stage starts (the command line prints them).
    ``report_daily=False`` leaves the daily-occasion BG/NBD out of the comparison (it is never
    chosen by ``auto``; `simlib twin` simulates continuous-time processes only)."""
    say = progress or (lambda _: None)
    name = _resolve_process(process, time_model, dropout_at_first_purchase)
    if new_buyers not in NEW_BUYER_CHOICES:
        raise user_error(f"--new-buyer-period {new_buyers}: allowed: {', '.join(NEW_BUYER_CHOICES)}")
    if new_buyers == "on" and seasonal is not None:
        raise user_error("--new-buyer-period on with a seasonal index: the two are not combined yet; "
                         "allowed: one of them (--new-buyer-period off, or no --seasonal/--seasonal-index)")
    data = summarize(log, calibration_end, holdout_end, cohort_start)
    if seasonal is not None and name not in ("auto",) + SEASONAL_PROCESSES:
        raise user_error(f"--seasonal with --process {name}: a seasonal index is available with "
                         f"{', '.join(SEASONAL_PROCESSES)} and auto (which then chooses among them)")
    notes = list(data.notes)
    if int(data.customers["frequency"].sum()) == 0:
        raise user_error(f"{log.source}: no customer bought on two different days in the calibration period "
                         f"(to {log.to_date(data.calibration_end_day)}); a purchase process needs repeat purchases: "
                         "allowed: a log with repeat customers, or a later --calibration-end")
    spend = _fit_spend(data)
    clock = None
    if seasonal is not None:
        clock, note = _seasonal_clock(data, seasonal, name)
        notes += [note] if note else []
    h = histories(data.customers, data, data.calibration_end_day, clock)
    selection = comparison = None
    if name == "auto" and validation_days is None and not _splittable(data):
        name = "bgnbd"
        notes.append("the calibration period is too short (under 6 weeks) to choose a process inside it: "
                     "fitting BG/NBD (name another with --process)")
    if name == "auto":
        from simlib.calibrate.comparison import compare_processes
        from simlib.calibrate.selection import AUTO_CANDIDATES, REPORTED, select_process
        candidates = SEASONAL_PROCESSES if clock else REPORTED if report_daily else AUTO_CANDIDATES
        say(f"choosing the purchase process: {len(candidates)} candidates fitted before the split, scored after it")
        selection = select_process(data, candidates, validation_days, SEASONAL_PROCESSES if clock else AUTO_CANDIDATES,
                                   clock)
        if selection.sampled:
            notes.append(f"the process was chosen on a random {selection.sampled:,} of the {len(data.customers):,} "
                         "customers (the same sample every run; the comparison and the fit use them all)")
        say("fitting every candidate on the whole calibration period; holdout and weekly forecasts of each")
        # each candidate searched from its own fit before the split: the same process on most of the same data
        fits = {candidate: _fit(candidate, h, clock, selection.fits[candidate].params,
                                covariance=candidate == selection.chosen)   # intervals are the chosen one's
                for candidate in candidates}
        comparison = compare_processes(data, selection, fits)
        fit = fits[selection.chosen]
    else:
        fit = _fit(name, h, clock)
    if clock is not None and clock.fitted:  # the index again, jointly with the chosen process
        clock = _refit_index(data, clock, fit)
        fit = _fit(fit.process, histories(data.customers, data, data.calibration_end_day, clock), clock)
    period = check_without = None
    if new_buyers != "off" and clock is None:
        if fit.process in NEW_BUYER_PROCESSES:
            say("testing a new-buyer period on the chosen process")
            design = TenureDesign.of(data.customers, data.log.occasions, data.calibration_end_day)
            period = fit_new_buyer_period(get_process(fit.process), design, fit.regularity,
                                          tuple(fit.params.values()), fit.log_likelihood)
            if new_buyers == "on" or period.p_value < TEST_LEVEL:
                if data.holdout_days:
                    check_without = total_check(holdout_table(data, fit))
                fit = _fit(fit.process, design.histories(period.boost, period.days), period)
                fit.log_likelihood = period.log_likelihood
        elif new_buyers == "on":
            notes.append(f"--new-buyer-period on: not available with {get_process(fit.process).label} "
                         f"(available with {', '.join(get_process(p).label for p in NEW_BUYER_PROCESSES)}); fitted without")
    table = holdout_table(data, fit)
    check = total_check(table) if data.holdout_days else None
    freq = by_frequency(table) if data.holdout_days else None
    return TransactionCalibration(data, fit, spend, table, freq, weekly_tracking(data, fit), check,
                                  selection, comparison, notes, period, check_without)



def calibrate_transactions(path, calibration_end, holdout_end=None, customer_col="customer_id",
                           date_col="date", amount_col="amount", date_format=None,
                           time_model: str | None = None, cohort_start=None, process: str = "auto",
                           validation_days: int | None = None, seasonal=None,
                           new_buyers: str = "auto", progress=None) -> TransactionCalibration:
    """Read a transaction CSV and fit the scenario traits (see the module docstring)."""
    log = read_transactions(path, customer_col, date_col, amount_col, date_format)
    return calibrate_log(log, calibration_end, holdout_end, time_model=time_model, cohort_start=cohort_start,
                         process=process, validation_days=validation_days, seasonal=seasonal, new_buyers=new_buyers,
                         progress=progress)
