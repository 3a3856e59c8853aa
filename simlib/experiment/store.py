"""Durable experiment folders: every finished run is on disk the moment it finishes.

Layout of an experiment folder::

    experiment.yaml          the experiment as declared (resolved paths)
    fingerprint.txt          hash of the declaration; a different experiment refuses to mix in
    scenarios/ARM.yaml       resolved scenario of each arm (before design overrides)
    runs/STAGE/RUN_ID.json   one file per finished run: keys, seed, overrides, resolved
                             scenario, summary, (daily series)
    results.csv/.parquet     tidy tables written at the end (re-creatable from runs/)

A run file is written to a temporary name and renamed into place (atomic on POSIX), so a
killed process leaves either a whole run or none; temporary leftovers are ignored. The run id
is the file name, so a run can never be stored twice.
"""
from __future__ import annotations

import json
import os
import tempfile

import numpy as np
import pandas as pd

from .spec import ExperimentError

KEY_COLUMNS = ["stage", "arm", "point", "replication"]


def _plain(x):
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    return x


def atomic_write(path: str, text: str) -> None:
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class RunStore:
    """An experiment folder on disk (or None for a throw-away in-memory store)."""

    def __init__(self, folder: str | None):
        self.folder = folder
        self._memory: dict = {}  # run_id -> record, when folder is None

    # -- set-up ----------------------------------------------------------------------------
    def prepare(self, fingerprint: str, inputs: dict[str, str]) -> None:
        """Create the folder, or check that it holds this same experiment (resume)."""
        if self.folder is None:
            return
        os.makedirs(os.path.join(self.folder, "runs"), exist_ok=True)
        fp_path = os.path.join(self.folder, "fingerprint.txt")
        if os.path.exists(fp_path):
            old = open(fp_path, encoding="utf-8").read().strip()
            if old != fingerprint:
                raise ExperimentError(
                    f"{self.folder}: this folder holds results of a different experiment "
                    f"(fingerprint {old}, now {fingerprint}); use another --out folder, or delete "
                    "it to start again. Nothing in it was changed.")
        else:
            atomic_write(fp_path, fingerprint + "\n")
        for name, text in inputs.items():
            path = os.path.join(self.folder, name)
            if not os.path.exists(path):
                atomic_write(path, text)

    # -- runs ------------------------------------------------------------------------------
    def _path(self, stage: str, run_id: str) -> str:
        return os.path.join(self.folder, "runs", stage, run_id + ".json")

    def done_ids(self, stage: str | None = None) -> set:
        if self.folder is None:
            return {k for k, r in self._memory.items() if stage is None or r["stage"] == stage}
        root = os.path.join(self.folder, "runs")
        stages = [stage] if stage else (os.listdir(root) if os.path.isdir(root) else [])
        done = set()
        for st in stages:
            d = os.path.join(root, st)
            if os.path.isdir(d):
                done.update(f[:-5] for f in os.listdir(d) if f.endswith(".json") and not f.startswith("."))
        return done

    def save(self, record: dict) -> None:
        record = _plain(record)
        if self.folder is None:
            self._memory[record["run_id"]] = record
            return
        atomic_write(self._path(record["stage"], record["run_id"]),
                     json.dumps(record, sort_keys=True, allow_nan=True))

    def records(self, stage: str | None = None, ids=None):
        if self.folder is None:
            recs = [r for r in self._memory.values() if stage is None or r["stage"] == stage]
            return [r for r in recs if ids is None or r["run_id"] in ids]
        out = []
        root = os.path.join(self.folder, "runs")
        stages = [stage] if stage else (sorted(os.listdir(root)) if os.path.isdir(root) else [])
        for st in stages:
            d = os.path.join(root, st)
            if not os.path.isdir(d):
                continue
            for f in sorted(os.listdir(d)):
                if not f.endswith(".json") or f.startswith("."):
                    continue
                if ids is not None and f[:-5] not in ids:
                    continue
                with open(os.path.join(d, f), encoding="utf-8") as fh:
                    out.append(json.load(fh))
        return out

    # -- tidy tables -----------------------------------------------------------------------
    def summary_frame(self, stage: str | None = None, ids=None) -> pd.DataFrame:
        """One row per run: stage, arm, point, replication, seed, design values, metrics."""
        return records_to_frame(self.records(stage, ids))

    def daily_frame(self, stage: str | None = None, ids=None) -> pd.DataFrame:
        """Long format: one row per run and day (runs that kept their daily series)."""
        return records_to_daily(self.records(stage, ids))

    def write_table(self, name: str, df: pd.DataFrame, parquet: bool | None = None) -> list[str]:
        """CSV always; a Parquet copy when asked (True), or by default (None) when pyarrow (the
        cluster extra) is installed."""
        if self.folder is None:
            return []
        if parquet is None:
            parquet = _have_pyarrow()
        elif parquet and not _have_pyarrow():
            raise ExperimentError('Parquet tables need pyarrow, in the cluster extra: pip install "simlib[cluster]"')
        paths = []
        csv = os.path.join(self.folder, name + ".csv")
        atomic_write(csv, df.to_csv(index=False))
        paths.append(csv)
        if parquet:
            pq = os.path.join(self.folder, name + ".parquet")
            tmp = pq + ".tmp"
            df.to_parquet(tmp, index=False)
            os.replace(tmp, pq)
            paths.append(pq)
        return paths


def _have_pyarrow() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def records_to_frame(records) -> pd.DataFrame:
    rows = []
    for r in records:
        row = {"stage": r["stage"], "arm": r["arm"], "point": r["point"],
               "replication": r["replication"], "seed": r["seed"], "run_id": r["run_id"]}
        for k, v in (r.get("overrides") or {}).items():
            row[f"param:{k}"] = v
        for k, v in (r.get("summary") or {}).items():
            if isinstance(v, (int, float)) and not isinstance(v, bool) and k not in row:
                row[k] = v
        rows.append(row)
    if not rows:
        return pd.DataFrame(columns=KEY_COLUMNS + ["seed", "run_id"])
    df = pd.DataFrame(rows)
    return df.sort_values(KEY_COLUMNS, kind="stable").reset_index(drop=True)


def records_to_daily(records) -> pd.DataFrame:
    parts = []
    for r in records:
        daily = r.get("daily")
        if not daily:
            continue
        d = pd.DataFrame(daily)
        for k in KEY_COLUMNS[::-1]:
            d.insert(0, k, r[k])
        parts.append(d)
    if not parts:
        return pd.DataFrame(columns=KEY_COLUMNS + ["day"])
    df = pd.concat(parts, ignore_index=True)
    return df.sort_values(KEY_COLUMNS + ["day"], kind="stable").reset_index(drop=True)


def load_results(folder: str, stage: str | None = None) -> pd.DataFrame:
    """Every finished run in an experiment folder, as one tidy DataFrame."""
    if not os.path.isdir(os.path.join(folder, "runs")):
        raise ExperimentError(f"{folder}: not an experiment folder (no runs/ inside)")
    return RunStore(folder).summary_frame(stage)


def load_daily(folder: str, stage: str | None = None) -> pd.DataFrame:
    if not os.path.isdir(os.path.join(folder, "runs")):
        raise ExperimentError(f"{folder}: not an experiment folder (no runs/ inside)")
    return RunStore(folder).daily_frame(stage)
