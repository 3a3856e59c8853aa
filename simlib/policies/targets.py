"""A sender's target group from a file: ``target: {file: assignment.csv, arm: coupon}``.

The file is an assignment (``customer_id, arm``) or a file of ids (``simlib.assignment``).
Its path is written relative to the scenario file that names it and must stay inside that
file's folder: an absolute path, or one that climbs out (``../``, a link pointing elsewhere),
is refused when the file is read (``anchor_paths``), which then keeps the path absolute so
that overrides, worker processes and extended files all find it. A scenario built in Python
may name any file it can read (relative to the working folder).

The ids are resolved on the population (``Population.index_of``) when the policy is built:
an id that is not a customer of the market is an error, not a silent omission.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from ..errors import ScenarioError, UserError, short_repr

TARGETS_FOLDER = "targets"      # beside a saved scenario.yaml: copies of the files it names


def check_target(target: dict, source: str, key: str) -> None:
    """Validation: the file exists, reads as an assignment, and the arm is one of its arms."""
    from ..assignment import read_assignment
    if target["file"] is None:
        raise ScenarioError(source, f"{key}.file", "missing; name a CSV of customer_id (and arm), relative to the "
                                                   "scenario file")
    try:
        read_assignment(target["file"]).ids_of(target["arm"], key="arm")
    except ScenarioError:
        raise
    except UserError as exc:
        raise ScenarioError(source, key, str(exc)) from None


def first_ids(ids, count: int = 3) -> str:
    """The first ``count`` of some ids, each shortened, for a message about ids that are not customers."""
    return ", ".join(short_repr(str(i), 30) for i in list(ids)[:count])


def target_indices(target: dict, pop, policy: str, source: str = "") -> np.ndarray:
    """A mask over ``pop``: the customers the target file lists (every one must be a customer)."""
    from ..assignment import read_assignment
    assignment = read_assignment(target["file"])
    ids = assignment.ids_of(target["arm"], key=f"policies.{policy}.target.arm")
    where = pop.index_of(ids)
    missing = where < 0
    if missing.any():
        shown = first_ids(ids[missing])
        where = f"{source}: " if source else ""
        raise UserError(f"{where}policies.{policy}.target: {int(missing.sum()):,} of the {ids.size:,} customers "
                        f"listed in {assignment.source}" + (f" (arm {target['arm']!r})" if target["arm"] else "")
                        + f" are not customers of this market (first: {shown}); {pop.describe_ids()}")
    mask = np.zeros(pop.n, bool)
    mask[where] = True
    return mask


def anchor_paths(data: dict, folder: Path, source: str) -> None:
    """In a scenario file just read: each policy's ``target.file`` made absolute from ``folder``
    (the file's own), after refusing an absolute path or one that leaves the folder."""
    policies = data.get("policies")
    if not isinstance(policies, dict):
        return
    root = folder.resolve()
    for name, cfg in policies.items():
        target = cfg.get("target") if isinstance(cfg, dict) else None
        if not isinstance(target, dict) or not isinstance(target.get("file"), str):
            continue
        key = f"policies.{name}.target.file"
        text = target["file"]
        if Path(text).is_absolute() or text.startswith("~"):
            raise ScenarioError(source, key, f"{short_repr(text)} is an absolute path; give the file's path relative "
                                             "to this scenario file, inside its folder")
        try:
            path = (root / text).resolve()
        except (OSError, RuntimeError, ValueError):
            raise ScenarioError(source, key, f"{short_repr(text)} is not a usable path") from None
        if not path.is_relative_to(root):
            raise ScenarioError(source, key, f"{short_repr(text)} leaves this scenario's folder ({root}); put the "
                                             "file in that folder (or below it)")
        target["file"] = str(path)


def portable(data: dict, folder: Path) -> dict:
    """Resolved scenario data to save in ``folder``: the files it names copied there and named
    relative to it (a seated base's customer file, ``market.customers``, as ``customers.csv``; every
    target file in ``targets/``), so the saved scenario runs again from that folder."""
    out = dict(data)
    customers = (data.get("market") or {}).get("customers")
    if customers:
        shutil.copyfile(customers, folder / "customers.csv")
        out["market"] = {**data["market"], "customers": "customers.csv"}
    policies = data.get("policies") or {}
    named = {n: c for n, c in policies.items() if isinstance(c, dict) and isinstance(c.get("target"), dict)
             and c["target"].get("file")}
    if not named:
        return out
    out["policies"] = dict(policies)
    (folder / TARGETS_FOLDER).mkdir(parents=True, exist_ok=True)
    for name, cfg in named.items():
        copy = Path(TARGETS_FOLDER) / f"{name}.csv"
        shutil.copyfile(cfg["target"]["file"], folder / copy)
        out["policies"][name] = {**cfg, "target": {**cfg["target"], "file": copy.as_posix()}}
    return out


def treated_customers(sim) -> int:
    """Customers listed by the target files of the run's senders (each once): the treated of a
    campaign, whom per-treated outcomes divide by (0 when no sender has a target)."""
    masks = [p._targeted for p in sim.policies if p.sends and p.p.get("target") is not None]
    if not masks:
        return 0
    return int(np.count_nonzero(np.logical_or.reduce(masks)))


def without_send_plan(data: dict) -> dict:
    """Resolved scenario data whose senders send every ``every_days`` to their whole audience: a
    tiny trial run of it (a few customers, two days) reports the same summary keys without
    needing the planned days or the listed customers."""
    policies = {}
    for name, cfg in (data.get("policies") or {}).items():
        if isinstance(cfg, dict) and any(cfg.get(k) is not None for k in ("on_day", "on_date", "target")):
            cfg = {**cfg, "on_day": None, "on_date": None, "target": None}
        policies[name] = cfg
    return {**data, "policies": policies}
