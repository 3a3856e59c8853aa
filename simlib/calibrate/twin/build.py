"""`simlib twin`: a team's order log -> a runnable scenario of their market on a date.

``twin(log, as_of, out)`` reads the log, calibrates the purchase process and the basket on the
orders before ``as_of`` only (simlib.calibrate: the same choice of process, new-buyer period
and seasonal index as ``simlib calibrate transactions --calibration-end`` the day before),
and writes ``out/twin.yaml`` (the scenario) with ``out/customers.csv`` (each customer's
history, simlib.customer_file) and the calibration's tables in ``out/calibration/``. Day 0
of the scenario is the as-of date. With no lever on, its customers buy, pause and leave as the
fitted process says, given their own histories: a forward run's orders per customer have the
process's conditional expectation (simlib.seating).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from simlib.calibrate._errors import user_error
from simlib.calibrate.twin import base as _base
from simlib.calibrate.twin.scenario import NEUTRAL, twin_yaml

DEFAULT_DAYS = 91           # 13 weeks: the run length twin.yaml states (simlib run --days changes it)
TWIN_PROCESSES = ("auto", "bgnbd", "mbgnbd", "pnbd", "cnbd")


@dataclass
class Twin:
    """What `twin` built: the calibration, the customer table, the scenario text and notes."""

    calibration: object               # simlib.calibrate.report.TransactionCalibration
    customers: pd.DataFrame           # the customer file's rows
    text: str                         # twin.yaml
    as_of: object
    users: int
    days: int
    forecast: float                   # the process's expected orders in the first `days` days
    expected_alive: float
    notes: list = field(default_factory=list)
    path: Path | None = None

    @property
    def scenario(self):
        """The written twin.yaml as a `simlib.Scenario`."""
        if self.path is None:
            raise ValueError("write the twin first (Twin.write)")
        from simlib.scenario import load_scenario
        return load_scenario(self.path / "twin.yaml")

    @property
    def base_size(self) -> int:
        return int((self.customers["orders"] > 0).sum())

    @property
    def prospects(self) -> int:
        return int((self.customers["orders"] == 0).sum())

    def describe(self) -> str:
        cal = self.calibration
        real = len(self.customers)
        weight = real / self.users
        lines = [f"Twin of {cal.data.log.source} on {self.as_of} (day 0), from the orders before it "
                 f"(to {cal.data.log.to_date(cal.data.calibration_end_day)})",
                 f"  customers: {self.base_size:,} who bought before it"
                 + (f", {self.prospects:,} prospects who have not" if self.prospects else "")
                 + (f"; simulated one for one" if self.users == real else
                    f"; {self.users:,} simulated, each standing for {weight:,.2f} real ones (a sample stratified "
                    "by history)"),
                 f"  purchase process: {_process_text(cal, self.path)}",
                 f"  real market now: {self.expected_alive:,.0f} of the {self.base_size:,} customers still active "
                 f"(expected, given their histories)",
                 f"  forecast: {self.forecast:,.0f} orders in the first {self.days} days (the process's expectation "
                 f"given each history; a run of twin.yaml with no lever books this many, in real-market units)"]
        lines += [f"  {note}" for note in self.notes]
        lines.append("  neutral until a lever switches them on: " + ", ".join(NEUTRAL))
        return "\n".join(lines)

    def write(self, out) -> list:
        """Write twin.yaml, customers.csv and calibration/ (the fit's tables) into ``out``."""
        from simlib.fileio import replacing, write_text
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        with replacing(out / "customers.csv") as tmp:
            self.customers.to_csv(tmp, index=False)
        paths = [write_text(out / "twin.yaml", self.text), out / "customers.csv"]
        paths += self.calibration.write(out / "calibration", plots=False)
        self.path = out
        return paths


def _process_text(cal, folder=None) -> str:
    fit = cal.fit
    text = cal.process.label + (f", k = {fit.regularity}" if fit.regularity > 1 else "")
    clock = cal.clock
    if clock is not None and clock is cal.new_buyers:
        text += f", with a new-buyer period (x{1 + clock.boost:.2f} fading over {clock.days:.0f} days)"
    elif clock is not None:
        text += ", with a monthly seasonal index"
    how = "chosen on the log" if cal.selection is not None else "named"
    where = f"{folder}/calibration/parameters.csv" if folder else "calibration/parameters.csv beside twin.yaml"
    return f"{text} ({how}; parameters in {where})"


def twin(log, as_of, out=None, *, customer_col="customer_id", date_col="date", amount_col="amount",
         date_format=None, process="auto", users=None, days=DEFAULT_DAYS, prospects=0, pond_col=None,
         pond_ids=None, channel_col=None, channel_ids=None, gross_margin=None, seasonal=None,
         new_buyers="auto", validation_days=None, progress=None) -> Twin:
    """Build the twin of the market in ``log`` (a transaction CSV) on ``as_of`` (day 0), from the
    orders before it; write it to ``out`` when given. See the module docstring and
    docs/calibration.md ("Your pond as a twin")."""
    from simlib.calibrate.holdout import purchase_clock
    from simlib.calibrate.report import calibrate_log
    from simlib.calibrate.transactions import read_transactions
    say = progress or (lambda _: None)
    if process not in TWIN_PROCESSES:
        raise user_error(f"--process {process}: allowed for a twin: {', '.join(TWIN_PROCESSES)} (the engine simulates "
                         "continuous-time processes)")
    if gross_margin is not None and not (isinstance(gross_margin, (int, float)) and 0 <= gross_margin <= 1):
        raise user_error(f"--gross-margin {gross_margin}: allowed: a share from 0 to 1 (revenue minus cost of goods, "
                         "over revenue), e.g. 0.55")
    if not (isinstance(days, (int, np.integer)) and 1 <= days <= 20_000):
        raise user_error(f"--days {days}: allowed: 1 to 20,000")
    if (pond_col is not None) + (pond_ids is not None) > 1 or (channel_col is not None) + bool(channel_ids) > 1:
        raise user_error("pond and channel: say each one way; allowed: --pond-col or --pond-ids, --channel-col or "
                         "--channel-ids")
    say(f"reading {log}")
    tx = read_transactions(log, customer_col, date_col, amount_col, date_format)
    as_of_day = tx.to_day(as_of, "--as-of")
    from simlib.calibrate.transactions import LATE_END_DAYS
    if as_of_day - 1 > tx.last_day + LATE_END_DAYS:
        raise user_error(f"--as-of {as_of}: {as_of_day - 1 - tx.last_day:,} days after the last order in {tx.source} "
                         f"({tx.to_date(tx.last_day)}); the log cannot tell days without orders from days it does not "
                         f"cover: allowed: up to {LATE_END_DAYS + 1} days after the last order")
    if as_of_day <= tx.first_day:
        raise user_error(f"--as-of {as_of}: on or before the first order in {tx.source} ({tx.to_date(tx.first_day)}); "
                         "a twin is built from the orders before its date: allowed: a date after the first order")
    calibration = calibrate_log(tx, tx.to_date(as_of_day - 1), None, process=process, seasonal=seasonal,
                                new_buyers=new_buyers, validation_days=validation_days, progress=say,
                                report_daily=False)
    say("seating the customers: histories, pond, channels")
    table = _base.customer_table(calibration.data, as_of_day)
    notes = []
    column_values = {}
    for option, column in (("--pond-col", pond_col), ("--channel-col", channel_col)):
        if column is not None:
            column_values[option] = _base.last_value_before(log, customer_col, date_col, column, option, tx, as_of_day)
    notes.append(_base.set_pond(table, pond_ids, column_values.get("--pond-col"), f"--pond-col {pond_col}"))
    notes.append(_base.set_channels(table, channel_ids, column_values.get("--channel-col"),
                                    f"--channel-col {channel_col}"))
    table = _base.add_prospects(table, int(prospects))
    if prospects:
        notes.append(f"prospects: {int(prospects):,} in the pond who have not bought yet (interested; their first order "
                     "follows behavior.first_purchase_per_day, an assumption: fit it with simlib calibrate funnel)")
    channels = _base.check_channels(table)
    for column in ("first_order_day", "last_order_day", "spend_orders"):
        table[column] = table[column].astype("Int64")
    total = len(table)
    users = total if users is None else int(users)
    if not 1 <= users <= total:
        raise user_error(f"--users {users}: allowed: 1 to {total:,} (the customers and prospects of the twin)")
    x, t_x, T, ahead = purchase_clock(calibration.data, calibration.fit, days)
    forecast = float(np.sum(calibration.fit.conditional_expected(x, t_x, T, ahead)))
    expected_alive = float(np.sum(calibration.fit.probability_alive(x, t_x, T)))
    notes.append(_money_note(gross_margin))
    text = _scenario_text(calibration, tx, as_of_day, table, channels, users, days, gross_margin)
    result = Twin(calibration, table, text, tx.to_date(as_of_day), users, int(days), forecast, expected_alive,
                  notes + list(calibration.notes))
    if out is not None:
        say(f"writing {out}")
        result.write(out)
    return result


def _money_note(gross_margin) -> str:
    if gross_margin is None:
        return ("gross margin: 55 % (simlib's default, economics.cogs_share 0.45; give yours with --gross-margin or "
                "economics.gross_margin)")
    return f"gross margin: {gross_margin:.1%} (economics.gross_margin)"


def _scenario_text(calibration, tx, as_of_day, table, channels, users, days, gross_margin) -> str:
    fragment = calibration.fragment()
    counts = table["channel"].value_counts()
    market = {"users": users, "represents": len(table), "days": int(days)}
    if tx.origin is not None:
        market["start_date"] = str(tx.to_date(as_of_day))
    market["customers"] = "customers.csv"
    market["channels"] = {name: {"share": float(f"{counts[name] / len(table):.9g}"), "word_of_mouth": 0.0}
                          for name in channels}
    economics = {} if gross_margin is None else {"gross_margin": float(gross_margin)}
    header = [f"The market of {tx.source} on {tx.to_date(as_of_day)} (day 0): a twin written by `simlib twin`.",
              f"Built from the orders before that date only; {int((table['orders'] > 0).sum()):,} customers"
              + (f" and {int((table['orders'] == 0).sum()):,} prospects" if (table['orders'] == 0).any() else "")
              + " in customers.csv beside this file.",
              f"Purchase process: {_process_text(calibration)}.",
              "With no lever on, each customer buys, pauses and leaves as the fitted process says given their own",
              "history (simlib.seating). Run it: simlib run twin.yaml --days 49. A campaign: a file with",
              "`extends: twin.yaml` that adds policies; compare the two with simlib compare."]
    return twin_yaml(name="twin", description=f"The market on {tx.to_date(as_of_day)}, from {Path(tx.source).name}; "
                     "no levers.", header=header, market=market, traits=fragment["traits"],
                     behavior=fragment["behavior"], economics=economics)
