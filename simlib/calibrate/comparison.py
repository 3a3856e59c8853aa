"""Every candidate process fitted to the whole calibration period and checked on the holdout,
side by side: totals, conditional expectations by calibration frequency (0..6, 7+), and
weekly cumulative repeat purchases."""

from __future__ import annotations

import pandas as pd

from simlib.calibrate.holdout import by_frequency, holdout_table, total_check, weekly_tracking
from simlib.calibrate.processes import get_process
from simlib.calibrate.selection import Selection
from simlib.calibrate.transactions import CalibrationData


def compare_processes(data: CalibrationData, selection: Selection, fits: dict) -> dict:
    """Tables for ``fits`` (name -> fit on the whole calibration period): ``summary`` (one row
    per process), ``by_frequency`` and ``weekly`` (long, with a ``process`` column)."""
    from simlib.calibrate.selection import histories
    rows, groups, weeks = [], [], []
    clock = next(iter(fits.values())).extra.get("clock") if fits else None
    h = histories(data.customers, data, data.calibration_end_day, clock)
    scores = selection.scores.set_index("process")
    for name, fit in fits.items():
        process = get_process(name)
        row = {"process": name, "label": process.label, "regularity": fit.regularity,
               "calibration_loglik": float(process.log_likelihood(tuple(fit.params.values()), h, fit.regularity).sum()),
               "held_out_loglik": scores.loc[name, "held_out_loglik"],
               "validation_error": scores.loc[name, "validation_error"],
               "validation_z": scores.loc[name, "validation_z"],
               "z_vs_default": scores.loc[name, "z_vs_default"],
               "chosen": name == selection.chosen, "converged": fit.converged}
        weekly = weekly_tracking(data, fit)
        weekly.insert(0, "process", name)
        weeks.append(weekly)
        if data.holdout_days:
            table = holdout_table(data, fit)
            check = total_check(table)
            row.update(holdout_actual=check["actual"], holdout_predicted=check["predicted"],
                       holdout_error=check["relative_difference"], holdout_z=check["z"])
            group = by_frequency(table)
            group.insert(0, "process", name)
            groups.append(group)
        rows.append(row)
    return {"summary": pd.DataFrame(rows), "fits": dict(fits),
            "by_frequency": pd.concat(groups, ignore_index=True) if groups else None,
            "weekly": pd.concat(weeks, ignore_index=True)}


def describe_comparison(summary: pd.DataFrame, by_freq: pd.DataFrame | None, split_date) -> list[str]:
    """Text lines: the candidates' scores and, with a holdout, their errors by frequency group."""
    lines = [f"Process selection (fit before {split_date}, scored on the rest of the calibration period; "
             "BG/NBD unless another process has the best held-out log-likelihood, better than BG/NBD's by "
             "Vuong's z > 1.64, and misses the validation total by at least 1 standard error less):"]
    for _, row in summary.iterrows():
        held = "n/a (daily scale)" if pd.isna(row["held_out_loglik"]) else f"{row['held_out_loglik']:,.1f}"
        k = f", k={row['regularity']}" if row["regularity"] > 1 else ""
        mark = "  <- chosen" if row["chosen"] else ""
        z = row.get("z_vs_default", float("nan"))
        z = f"z {z:+5.2f}" if pd.notna(z) else " " * 7
        vz = row.get("validation_z", float("nan"))
        vz = f" (z {vz:+.1f})" if pd.notna(vz) else ""
        text = (f"  {row['label'] + k:<26} held-out loglik {held:>18} {z}, validation error "
                f"{row['validation_error']:+.1%}{vz}")
        if "holdout_error" in row and pd.notna(row.get("holdout_error")):
            text += f", holdout error {row['holdout_error']:+.1%}"
        lines.append(text + mark)
    if by_freq is not None:
        wide = by_freq.pivot(index="frequency", columns="process", values="predicted")
        actual = by_freq.drop_duplicates("frequency").set_index("frequency")[["customers", "actual"]]
        order = list(summary["process"])
        lines.append("  holdout purchases per customer by calibration frequency (actual, then each process):")
        lines.append("    freq  customers  actual  " + "  ".join(f"{p:>11}" for p in order))
        for freq, row in actual.iterrows():
            lines.append(f"    {freq:>4}  {int(row['customers']):>9,}  {row['actual']:6.3f}  "
                         + "  ".join(f"{wide.loc[freq, p]:11.3f}" for p in order))
    return lines
