"""``simlib.run``: one scenario, one seed, one result."""

from __future__ import annotations

from .engine import Sim
from .errors import UserError
from .scenario import Scenario, load_scenario, scenario_from_dict


def as_scenario(scenario) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, dict):
        return scenario_from_dict(scenario)
    return load_scenario(scenario)


def run(scenario="baseline", seed: int = 0, users: int | None = None, days: int | None = None,
        progress: bool = False, record_transactions: bool = False, overrides: dict | None = None):
    """Run ``scenario`` (a Scenario, path, built-in name or dict) once; returns a ``Result``.

    ``users`` and ``days`` override ``market.users`` and ``market.days``; ``overrides`` takes
    any other dotted keys. The same scenario and seed give bit-identical results.
    """
    sc = as_scenario(scenario)
    changes = dict(overrides or {})
    if users is not None:
        changes["market.users"] = users
    if days is not None:
        changes["market.days"] = days
    if changes:
        sc = sc.override(changes)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise UserError(f"seed must be a non-negative integer, got {seed!r}")
    return Sim(sc, seed=seed, progress=progress, record_transactions=record_transactions).run()
