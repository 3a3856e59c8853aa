"""Durable experiment folders: every finished run is on disk the moment it finishes.

Layout of an experiment folder::

    experiment.yaml          the experiment as declared (resolved paths)
    fingerprint.txt          hash of the declaration; a different experiment refuses to mix in
    scenarios/ARM.yaml       resolved scenario of each arm (before design overrides)
    runs/STAGE/RUN_ID.json   one file per finished run: keys, seed, overrides, resolved
                             scenario, summary, (daily series)
    corrupt/STAGE/...        stored runs found unreadable on resume, set aside (then redone)
    results.csv/.parquet     tidy tables written at the end (re-creatable from runs/)

Every file is written through `simlib.fileio` (a temporary file renamed into place, 0644),
so a killed process leaves either a whole file or none. On resume each stored run is read
back and checked against the run planned under its id; one that is truncated, unreadable or
not the planned run is named, moved to ``corrupt/`` and computed again.
"""
from __future__ import annotations

import json
import os
import sys

import numpy as np
import pandas as pd

from ..fileio import replacing, write_text
from .spec import ExperimentError

KEY_COLUMNS = ["stage", "arm", "point", "replication"]


_SCALARS = {float, int, str, bool, type(None)}


def _plain(x):
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        if set(map(type, x)) <= _SCALARS:   # a column of a run's daily table: already plain
            return list(x)
        return [_plain(v) for v in x]
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    return x


def atomic_write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    write_text(path, text)


def _read_run(path: str):
    """The stored record at ``path``, or the reason it cannot be used."""
    try:
        with open(path, encoding="utf-8") as fh:
            record = json.load(fh)
    except (OSError, ValueError, RecursionError) as e:  # ValueError: bad JSON or UTF-8
        return None, f"unreadable ({type(e).__name__}: {str(e)[:80]})"
    if not isinstance(record, dict) or not isinstance(record.get("summary"), dict):
        return None, "not a stored run (no summary)"
    return record, ""


def _matches(record: dict, run) -> bool:
    """Is the stored record the run planned under its id (same keys, seed and overrides)?"""
    planned = {"run_id": run.run_id, "stage": run.stage, "arm": run.arm, "point": run.point,
               "replication": run.replication, "seed": run.seed,
               "overrides": json.loads(json.dumps(_plain(dict(run.overrides))))}
    return all(record.get(k) == v for k, v in planned.items())


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
        folder = self.folder
        if os.path.exists(folder) and not os.path.isdir(folder):
            raise ExperimentError(folder, "", "is a file; the results need a folder (give another --out)")
        os.makedirs(folder, exist_ok=True)
        fp_path = os.path.join(folder, "fingerprint.txt")
        if os.path.exists(fp_path):
            with open(fp_path, encoding="utf-8", errors="replace") as fh:
                old = fh.read(200).strip()
            if old != fingerprint:
                raise ExperimentError(folder, "", f"holds results of a different experiment (fingerprint "
                                      f"{old[:40]}, now {fingerprint}); use another --out folder, or delete "
                                      "it to start again. Nothing in it was changed.")
        else:
            others = [f for f in os.listdir(folder) if not f.startswith(".")]
            if others:
                raise ExperimentError(folder, "", f"holds other files ({', '.join(sorted(others)[:3])}"
                                      f"{', ...' if len(others) > 3 else ''}) but no experiment; give a new "
                                      "or an empty folder with --out, so that nothing in it is overwritten")
            write_text(fp_path, fingerprint + "\n")
        os.makedirs(os.path.join(folder, "runs"), exist_ok=True)
        for name, text in inputs.items():
            path = os.path.join(folder, name)
            if not os.path.exists(path):
                atomic_write(path, text)

    # -- runs ------------------------------------------------------------------------------
    def _path(self, stage: str, run_id: str) -> str:
        return os.path.join(self.folder, "runs", stage, run_id + ".json")

    def verified(self, runs) -> set:
        """Ids of the planned ``runs`` already stored whole. A stored run that cannot be read,
        or is not the run planned under its id, is named on stderr and moved to corrupt/ so
        that it is computed again."""
        if self.folder is None:
            return {r.run_id for r in runs if r.run_id in self._memory}
        good, listed = set(), {}
        for run in runs:
            stage_dir = os.path.join(self.folder, "runs", run.stage)
            if run.stage not in listed:
                listed[run.stage] = set(os.listdir(stage_dir)) if os.path.isdir(stage_dir) else set()
            if run.run_id + ".json" not in listed[run.stage]:
                continue
            path = self._path(run.stage, run.run_id)
            record, problem = _read_run(path)
            if record is not None and not _matches(record, run):
                problem = "not the run planned under this id (keys, seed or overrides differ)"
            if problem:
                moved = self._set_aside(path, run.stage)
                print(f"warning: {path}: stored run {problem}; moved to {moved}; it will be run again",
                      file=sys.stderr)
            else:
                good.add(run.run_id)
        return good

    def _set_aside(self, path: str, stage: str) -> str:
        folder = os.path.join(self.folder, "corrupt", stage)
        os.makedirs(folder, exist_ok=True)
        name = os.path.basename(path)
        dest, n = os.path.join(folder, name), 1
        while os.path.exists(dest):
            dest, n = os.path.join(folder, f"{name}.{n}"), n + 1
        os.replace(path, dest)
        return dest

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
                record, problem = _read_run(os.path.join(d, f))
                if record is None:
                    raise ExperimentError(os.path.join(d, f), "", f"stored run {problem}; run the experiment "
                                          "again to set it aside and redo it")
                out.append(record)
        return out

    # -- tidy tables -----------------------------------------------------------------------
    def summary_frame(self, stage: str | None = None, ids=None) -> pd.DataFrame:
        """One row per run: stage, arm, point, replication, seed, design values, metrics."""
        return records_to_frame(self.records(stage, ids))

    def daily_frame(self, stage: str | None = None, ids=None) -> pd.DataFrame:
        """Long format: one row per run and day (runs that kept their daily series)."""
        return records_to_daily(self.records(stage, ids))

    def write_table(self, name: str, df: pd.DataFrame, parquet: bool = True) -> list[str]:
        if self.folder is None:
            return []
        paths = []
        csv = os.path.join(self.folder, name + ".csv")
        atomic_write(csv, df.to_csv(index=False))
        paths.append(csv)
        if parquet and _has_parquet():
            pq = os.path.join(self.folder, name + ".parquet")
            with replacing(pq) as tmp:
                df.to_parquet(tmp, index=False)
            paths.append(pq)
        return paths


def _has_parquet() -> bool:
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
    fast = _daily_by_columns(records)
    if fast is not None:
        return fast
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


def _daily_by_columns(records) -> pd.DataFrame | None:
    """``records_to_daily``'s table built from one list per column for each set of columns (an
    arm's runs share theirs) rather than a table per run (60 runs: 0.2 -> 0.05 CPU s); None when
    a column is not plain (all ints, all floats or all booleans, or ints among floats)."""
    groups: dict[tuple, list] = {}
    for r in records:
        daily = r.get("daily")
        if daily:
            groups.setdefault(tuple(daily), []).append(r)
    if not groups:
        return None
    parts = []
    for columns, runs in groups.items():
        if set(columns) & set(KEY_COLUMNS):
            return None
        data = {k: [] for k in KEY_COLUMNS + list(columns)}
        for r in runs:
            n = len(r["daily"][columns[0]])
            for k in KEY_COLUMNS:
                data[k] += [r[k]] * n
            for k in columns:
                data[k] += r["daily"][k]
        for k in KEY_COLUMNS[2:] + list(columns):   # the dtype a table infers from the list, given
            kinds = set(map(type, data[k]))
            dtype = {frozenset({int}): np.int64, frozenset({float}): np.float64, frozenset({int, float}): np.float64,
                     frozenset({bool}): np.bool_}.get(frozenset(kinds))
            if dtype is None:
                return None
            try:
                data[k] = np.array(data[k], dtype)
            except OverflowError:    # an int beyond int64: the table's own inference decides
                return None
        parts.append(pd.DataFrame(data))
    df = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    return df.sort_values(KEY_COLUMNS + ["day"], kind="stable").reset_index(drop=True)


def load_results(folder: str, stage: str | None = None) -> pd.DataFrame:
    """Every finished run in an experiment folder, as one tidy DataFrame."""
    if not os.path.isdir(os.path.join(folder, "runs")):
        raise ExperimentError(str(folder), "", "not an experiment folder (no runs/ inside)")
    return RunStore(folder).summary_frame(stage)


def load_daily(folder: str, stage: str | None = None) -> pd.DataFrame:
    if not os.path.isdir(os.path.join(folder, "runs")):
        raise ExperimentError(str(folder), "", "not an experiment folder (no runs/ inside)")
    return RunStore(folder).daily_frame(stage)
