"""A planned campaign in a comparison: the arms' senders sent to the customers of an assignment
(``simlib compare BASE OFFER --assignment A.csv``); the per-treated rows follow from it
(``per_treated``)."""

from __future__ import annotations

from pathlib import Path

from ..errors import UserError


def with_assignment(scenario, path, arm: str | None = None, control: str | None = None):
    """``scenario`` with each of its enabled senders sent to one arm of an assignment file (or to
    everyone a file of ids lists): the treated arm is ``arm``, else the file's one arm besides
    its control group. For a comparison: the planned campaign on its planned customers."""
    from ..assignment import read_assignment
    from ..policies.base import policy_types
    from ..run import as_scenario
    scenario = as_scenario(scenario)
    path = Path(path).resolve()
    assignment = read_assignment(path)
    if assignment.arms is not None and arm is None:
        others = [a for a in assignment.arm_names if a != assignment.control(control)]
        if len(others) != 1:
            raise UserError(f"{path}: arms {', '.join(others)} besides the control group; say which one receives "
                            "the campaign (--assignment-arm ARM)")
        arm = others[0]
    _check_ids_before_running(scenario, assignment, arm)
    types = policy_types()
    senders = [name for name, cfg in scenario.data["policies"].items() if cfg["enabled"] and types[cfg["type"]].sends]
    if not senders:
        kinds = ", ".join(sorted(n for n, c in types.items() if c.sends))
        raise UserError(f"{scenario.source}: no enabled policy sends anything, so an assignment has nobody to send "
                        f"to; policies that send: {kinds}")
    return scenario.override({f"policies.{name}.target": {"file": str(path), "arm": arm} for name in senders},
                             source=f"--assignment {path.name}")


def _check_ids_before_running(scenario, assignment, arm) -> None:
    """Every id of the treated arm must be a customer of a market built from a customer file (a
    twin): said before any run starts, naming the first ids that are not, rather than after the
    first replications (the run itself checks again, against the customers it seats)."""
    ids = assignment.ids_of(arm, key="--assignment-arm")
    market = scenario.data.get("market", {})
    if not market.get("customers"):
        return
    import numpy as np

    from ..customer_file import read_customer_file
    from ..policies.targets import first_ids
    known = read_customer_file(market["customers"], list(market["channels"])).customer_id
    missing = ~np.isin(np.asarray(ids).astype(str), known)
    if missing.any():
        raise UserError(f"{assignment.source}: {int(missing.sum()):,} of the {len(ids):,} customers of arm {arm!r} are "
                        f"not customers of {scenario.name}'s market (first: {first_ids(np.asarray(ids)[missing])}); "
                        f"allowed: the ids of "
                        f"{market['customers']} (the order log the twin was built from)")

