"""Result of one run: daily table, summary, optional transaction log, and how to save them."""

from __future__ import annotations

import json
import platform
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .fileio import replacing
from .metrics import summarize


@dataclass
class Result:
    """A run's daily table, summary, ledger (long table) and transactions. From a run, the daily
    table and the ledger are built when first read: a comparison or a what-if panel reads only
    the summary, and building the two tables was 10 ms a replication (``_unbuilt``)."""
    daily: pd.DataFrame
    summary: dict
    scenario: object
    seed: int
    meta: dict = field(default_factory=dict)
    ledger: pd.DataFrame | None = field(default_factory=lambda: None)   # no class attribute: see __getattr__
    transactions: pd.DataFrame | None = None

    @classmethod
    def from_sim(cls, sim, wall_seconds: float, extras: dict) -> "Result":
        from .policies.targets import treated_customers
        summary = summarize(sim)
        treated = treated_customers(sim)
        if treated:   # customers the senders' target files list: per-treated outcomes divide by them
            summary["treated_customers"] = treated
        summary.update(extras)
        transactions = None
        if sim.record_transactions:
            batches = sim.transactions()
            day, customer, amount, discount = (np.concatenate(c) for c in zip(*batches)) \
                if batches else (np.zeros(0),) * 4
            transactions = pd.DataFrame({"customer_id": customer.astype(np.int64), "day": day.astype(np.int64),
                                         "amount_cny": amount, "discount_cny": discount})
            transactions = transactions.sort_values(["day", "customer_id"], kind="stable", ignore_index=True)
        result = cls(daily=None, summary=summary, scenario=sim.scenario, seed=sim.seed,
                     meta=_meta(sim, wall_seconds), transactions=transactions)
        del result.daily, result.ledger
        result._unbuilt = {"daily": sim.rows, "ledger": sim.ledger}
        return result

    def __getattr__(self, name):
        """``daily`` and ``ledger`` of a run, built on first read (Python asks here only for
        attributes an instance does not hold)."""
        unbuilt = self.__dict__.get("_unbuilt")
        if not unbuilt or name not in unbuilt:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        source = unbuilt.pop(name)
        value = pd.DataFrame(source) if name == "daily" else source.frame()
        setattr(self, name, value)
        return value

    def daily_columns(self) -> dict:
        """``self.daily.to_dict(orient="list")``: each column of the daily table as a list. From
        a run's rows themselves when they are plain (the same keys in every row, each column all
        ints, all floats or all booleans; ints among floats become floats, as in the table's
        column), without building the table (5-10 ms a replication); else from the table."""
        rows = self.__dict__.get("_unbuilt", {}).get("daily")
        if rows:
            keys = list(rows[0])
            if all(list(row) == keys for row in rows):
                out = {}
                for key in keys:
                    column = [row[key] for row in rows]
                    kinds = set(map(type, column))
                    if kinds == {int, float}:
                        column = [float(v) for v in column]
                    elif len(kinds) != 1 or kinds.pop() not in (int, float, bool):
                        break
                    out[key] = column
                else:
                    return out
        return self.daily.to_dict(orient="list")

    def plot(self, figsize=(9, 8)):
        """The funnel over time above the cumulative money; returns the matplotlib Figure."""
        from .plots import result_figure
        return result_figure(self, figsize=figsize)

    def save(self, folder) -> Path:
        """Write summary.json, daily.csv, ledger.csv, scenario.yaml, meta.json (+ transactions.csv,
        and customers.csv for a base seated from a customer file).

        Each file is written whole or not at all (``fileio.replacing``: temporary file, then
        rename; 0644). If saving stops part-way (Ctrl-C, a full disk), the exception carries a
        note saying which files are complete and which were not written."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        writers = {
            "summary.json": lambda p: p.write_text(json.dumps(_jsonable(self.summary), indent=2) + "\n", "utf-8"),
            "daily.csv": lambda p: self.daily.to_csv(p, index=False),
            "ledger.csv": None if self.ledger is None else lambda p: self.ledger.to_csv(p, index=False),
            "scenario.yaml": lambda p: p.write_text(self.scenario.to_yaml(folder=out), "utf-8"),
            "meta.json": lambda p: p.write_text(json.dumps(_jsonable(self.meta), indent=2) + "\n", "utf-8"),
            "transactions.csv": (None if self.transactions is None
                                 else lambda p: self.transactions.to_csv(p, index=False)),
        }
        names = [name for name, write in writers.items() if write is not None]
        for done, name in enumerate(names):
            try:
                with replacing(out / name) as tmp:
                    writers[name](tmp)
            except BaseException as exc:
                exc.add_note(f"saving to {out}/ stopped at {name}: complete: {', '.join(names[:done]) or 'none'}; "
                             f"not written: {', '.join(names[done:])} (no file is left half-written)")
                raise
        return out


def _meta(sim, wall_seconds: float) -> dict:
    import scipy
    import simpy

    from . import __version__
    return {"scenario": sim.scenario.name, "source": sim.scenario.source, "seed": sim.seed, "users": sim.n,
            "days": sim.days, "wall_seconds": round(wall_seconds, 3),
            "customer_days_per_second": round(sim.n * sim.days / max(wall_seconds, 1e-9)),
            "versions": {"simlib": __version__, "python": platform.python_version(), "numpy": np.__version__,
                         "scipy": scipy.__version__, "pandas": pd.__version__, "simpy": simpy.__version__}}


def _jsonable(obj):
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return None if not np.isfinite(obj) else float(obj)
    return obj
