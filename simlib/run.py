"""``simlib.run``: one scenario, one seed, one result."""

from __future__ import annotations

from .engine import Sim, World
from .errors import UserError
from .scenario import Scenario, load_scenario, scenario_from_dict


def as_scenario(scenario) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, dict):
        return scenario_from_dict(scenario)
    return load_scenario(scenario)


def _prepared(scenario, users, days, overrides):
    sc = as_scenario(scenario)
    changes = dict(overrides or {})
    if users is not None:
        changes["market.users"] = users
    if days is not None:
        changes["market.days"] = days
    return sc.override(changes) if changes else sc


def _check_seed(seed) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise UserError(f"seed must be a non-negative integer, got {seed!r}")


def run(scenario="baseline", seed: int = 0, users: int | None = None, days: int | None = None,
        progress: bool = False, record_transactions: bool = False, overrides: dict | None = None):
    """Run ``scenario`` (a Scenario, path, built-in name or dict) once; returns a ``Result``.

    ``users`` and ``days`` override ``market.users`` and ``market.days``; ``overrides`` takes
    any other dotted keys. The same scenario and seed give bit-identical results.
    """
    sc = _prepared(scenario, users, days, overrides)
    _check_seed(seed)
    return Sim(sc, seed=seed, progress=progress, record_transactions=record_transactions).run()


MAX_BATCH_CUSTOMERS = 20_000_000   # replications x customers in one population


def run_batch(scenario="baseline", seeds=(0,), users: int | None = None, days: int | None = None,
              progress: bool = False, record_transactions: bool = False, overrides: dict | None = None) -> list:
    """Run ``scenario`` once per seed, all replications over one population (one population
    step a day for all of them); the ``Result`` of each seed, in order. Each is bit-identical to
    ``run(scenario, seed)``: a replication draws its own seed's numbers for its own customers."""
    sc = _prepared(scenario, users, days, overrides)
    seeds = list(seeds)
    for seed in seeds:
        _check_seed(seed)
    if not seeds:
        return []
    if len(seeds) * sc.data["market"]["users"] > MAX_BATCH_CUSTOMERS:
        raise UserError(f"{len(seeds)} replications x {sc.data['market']['users']:,} customers is more than "
                        f"{MAX_BATCH_CUSTOMERS:,} in one population: run fewer replications at once")
    return World(sc, seeds, progress, record_transactions).run()
