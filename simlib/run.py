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


def step_compiled() -> bool:
    """Whether the population step's machine code is cached (``simlib compile``)."""
    from .compiled import in_cache
    from .customer_day import run_customers
    return in_cache(run_customers)


def compile_step() -> None:
    """Compile the population step and the keyed draws now and cache their machine code (1-2 CPU
    min, once per install or upgrade), so that no later run pays it: tiny runs, one with
    policies, one without (whose hazards are held between a customer's events), and the points
    programme and the coupon ladder (their passes, ``policies/incentive_passes.py``), and every
    lever at once (the reads of each type of policies' sparse fields, ``sparse_state.py``)."""
    run("baseline", users=200, days=3)
    run("classic_ctmc", users=200, days=3)
    run("points_program", users=200, days=40)
    run("coupon_ladder", users=200, days=40)
    run("all_levers", users=200, days=40)


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


def run_arms(arms, users: int | None = None, days: int | None = None, record_transactions: bool = False,
             workers: int = 1, summaries: bool = False) -> list[list]:
    """Arms of a comparison, each ``(scenario, seeds)``, with common random numbers: the
    replications of every arm over one population (arms that share the market, traits,
    behaviour and economics, i.e. differ in their policies only, share it; others run apart),
    each replication bit-identical to ``run(scenario, seed)``. With ``workers`` > 1 the
    replications are shared out among that many worker processes, which stay up for the next
    call (a what-if panel redraws in the time of one share). Returns each arm's ``Result``
    list, in the order of its seeds; with ``summaries``, each run's summary dict instead (what
    a panel reads: a worker sends 1.5 kB a run, not the daily rows and ledger, 220 kB)."""
    prepared = []
    for scenario, seeds in arms:
        sc = _prepared(scenario, users, days, None)
        seeds = [int(s) for s in seeds] if all(not isinstance(s, bool) for s in seeds) else list(seeds)
        for seed in seeds:
            _check_seed(seed)
        prepared.append((sc, seeds))
    shares = _shares(prepared, max(1, int(workers)))
    if len(shares) > 1:
        outs = dict(_pool(len(shares)).imap(_RunShare(record_transactions, summaries), shares))
    else:
        outs = {share: _RunShare(record_transactions, summaries)(share) for share in shares}
    results = [[None] * len(seeds) for _, seeds in prepared]
    for share, out in outs.items():
        for (a, k, _, _), result in zip(share, out):
            results[a][k] = result
    return results


def _shares(prepared, workers: int) -> list[tuple]:
    """The replications, ``(arm, position, scenario, seed)``, cut into at most ``workers``
    shares of nearly equal size, each share's arms in one population where they can be."""
    flat = [(a, k, sc, seed) for a, (sc, seeds) in enumerate(prepared) for k, seed in enumerate(seeds)]
    n = min(workers, len(flat)) or 1
    per_arm = [[r for r in flat if r[0] == a] for a in range(len(prepared))]
    shares = [[] for _ in range(n)]
    for runs in per_arm:            # every share gets a slice of every arm (balanced work)
        for w in range(n):
            shares[w] += runs[len(runs) * w // n:len(runs) * (w + 1) // n]
    return [tuple(s) for s in shares if s]


class _RunShare:
    """Run one share of replications (in this process or a worker): one population for the
    runs whose shared sections agree. Picklable."""

    def __init__(self, record_transactions: bool, summaries: bool = False):
        self.record_transactions = record_transactions
        self.summaries = summaries          # each run's summary only, not its Result

    def __call__(self, share: tuple) -> list:
        from .engine import World
        groups: dict = {}
        for i, (_, _, sc, _) in enumerate(share):
            key = tuple(repr(sc.data[k]) for k in World.SHARED)
            groups.setdefault(key, []).append(i)
        out = [None] * len(share)
        for members in groups.values():
            scenarios = [share[i][2] for i in members]
            seeds = [share[i][3] for i in members]
            users = scenarios[0].data["market"]["users"]
            if len(seeds) * users > MAX_BATCH_CUSTOMERS:
                raise UserError(f"{len(seeds)} replications x {users:,} customers is more than "
                                f"{MAX_BATCH_CUSTOMERS:,} in one population: run fewer replications at once")
            for i, result in zip(members, World(scenarios, seeds, record_transactions=self.record_transactions).run()):
                out[i] = result.summary if self.summaries else result
        return out


_POOL = None


def _pool(workers: int):
    """Worker processes kept for the next call (``experiment.executors.ProcessExecutor``)."""
    global _POOL
    if _POOL is None or _POOL.workers != workers:
        from .experiment.executors import ProcessExecutor
        if _POOL is not None:
            _POOL.close()
        _POOL = ProcessExecutor(workers)
    return _POOL
