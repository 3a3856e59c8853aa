"""Throughput and peak memory of one run: customer-days per second and bytes per customer.

    python benchmarks/throughput.py                       # 10k, 100k, 1M customers, 365 days, baseline
    python benchmarks/throughput.py --sizes 1000000 --repeats 3 --scale-budgets
    python benchmarks/throughput.py --scenario scenarios/all_levers.yaml --sizes 1000000
    python benchmarks/throughput.py --quick               # 100k only, one repeat (a smoke run)
    python benchmarks/throughput.py --scenario classic_ctmc --sizes 200000 --repeats 0 --profile
                                                          # only where one run's time goes (cProfile)
    python benchmarks/throughput.py --scenario classic_ctmc --sizes 200000 --repeats 0 --sections
                                                          # ms per day of each statement of the step

Each measurement runs in a fresh process. Memory is the process's peak resident set
(VmHWM) minus its resident set after the imports and a 200-customer, 2-day run of the same
scenario, divided by the number of customers: what the run itself costs. The small run loads
the population step's compiled machine code (numba), a fixed cost per process whatever the
market size (about 68 MB); it is printed apart (``code_bytes``), never divided by customers.

Every size is a real market of that many customers: market.represents is set to the number of
customers, so each simulated customer is one real one and budgets, staff and capacities
meet the whole market (without it, a scenario shrunk or grown with --users keeps the market
it represents, and each simulated customer stands for represents / users real ones).
``--scale-budgets`` (unchanged meaning) multiplies every policy's CNY-per-day budget by
users / market.users, so the larger real market gets the same ad pressure per customer as the
scenario's own market (more customers move, the step has more to do).

Prints medians over the repeats, by wall clock and by CPU time (the latter is the fairer
figure on a shared, loaded machine; numpy runs single-threaded here). Targets at 1M
(issue 9): every lever on (scenarios/all_levers.yaml) no lower than 10-14 M customer-days per
second, aim 25 M; peak memory <= 150 bytes per customer; the baseline within 2x of a plain
numpy step (benchmarks/numpy_reference.py prints that ratio).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, sys, time
import simlib
from simlib.run import as_scenario

def rss(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) * 1024
scenario, users, days, seed, scale = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1"
sc = as_scenario(scenario)
over = {}
if scale:
    factor = users / sc.data["market"]["users"]
    for name, cfg in sc.data["policies"].items():
        for key, value in cfg.items():
            if key.startswith("budget_cny_per_day") and isinstance(value, (int, float)):
                over[f"policies.{name}.{key}"] = value * factor
sc = sc.override(over | {"market.users": users, "market.represents": users, "market.days": days})
imported = rss("VmRSS:")
simlib.run(sc, seed=seed, users=200, days=2)   # loads the step's machine code (a fixed cost per process)
before = rss("VmRSS:")
t0, c0 = time.perf_counter(), time.process_time()
res = simlib.run(sc, seed=seed)
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({"wall": wall, "cpu": cpu, "peak_bytes": rss("VmHWM:") - before, "code_bytes": before - imported,
                  "buyers": res.summary["buyers"],
                  "orders": res.summary["purchases"],
                  "active_end": users - res.summary["unaware_end"] - res.summary["lost_end"]}))
"""


def measure(scenario: str, users: int, days: int, seed: int, scale: bool) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, scenario, str(users), str(days), str(seed), "1" if scale else "0"],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="baseline")
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--scale-budgets", action="store_true")
    ap.add_argument("--quick", action="store_true", help="100k customers, one repeat")
    ap.add_argument("--profile", action="store_true", help="then profile one run at the first size")
    ap.add_argument("--top", type=int, default=20, help="functions shown by --profile")
    ap.add_argument("--memory", action="store_true", help="then list the per-customer arrays at the first size")
    ap.add_argument("--sections", action="store_true",
                    help="then time each statement of the population step and the hazards at the first size")
    args = ap.parse_args(argv)
    if args.quick:
        args.sizes, args.repeats = [100_000], 1
    print(f"scenario={args.scenario} days={args.days} repeats={args.repeats} scale_budgets={args.scale_budgets}")
    if args.repeats:
        print(f"{'customers':>10} {'median s':>9} {'M cust-days/s':>14} {'min..max s':>14} {'M cd/CPU-s':>11} "
              f"{'peak B/cust':>12} {'buyers':>9}")
    for users in args.sizes if args.repeats else []:
        runs = [measure(args.scenario, users, args.days, seed, args.scale_budgets) for seed in range(args.repeats)]
        walls = [r["wall"] for r in runs]
        med = statistics.median(walls)
        peak = statistics.median(r["peak_bytes"] for r in runs) / users
        cpu = statistics.median(r["cpu"] for r in runs)
        print(f"{users:>10,} {med:>9.2f} {users * args.days / med / 1e6:>14.1f} "
              f"{min(walls):>6.2f}..{max(walls):<6.2f} {users * args.days / cpu / 1e6:>11.1f} {peak:>12.0f} {int(statistics.median(r['buyers'] for r in runs)):>9,}",
              flush=True)
    if args.memory:
        arrays = state_bytes(args.scenario, args.sizes[0], args.days)
        print(f"\nper-customer state of a built Sim at {args.sizes[0]:,}, by owner:")
        print(owner_table(arrays))
        print("the arrays:")
        for size, owner, name in arrays:
            print(f"  {size:6.1f} B  {owner}: {name}")
    if args.profile or args.sections:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from _profile import profile_run, section_times
        users = args.sizes[0]
        over = {"market.represents": users}
        if args.scale_budgets:
            over.update(_scaled_budgets(args.scenario, users))
        if args.sections:
            section_times(args.scenario, users, args.days, over)
        if args.profile:
            profile_run(args.scenario, users, args.days, args.top, over)


def state_bytes(scenario: str, users: int, days: int = 365) -> list[tuple[float, str, str]]:
    """Bytes per customer of the arrays a built Sim holds, largest first, as (bytes, owner, array):
    the resident state, against which the peak adds the step's temporaries. Owners: the
    population's state and its traits, each policy (the arrays it added to the population and its
    own), the coupons, today's inputs, the population step and the ledger. Builds the Sim (a real
    market of ``users``) without running it."""
    import numpy as np
    from simlib.engine import Sim
    from simlib.population import SPREADS, TRAITS
    from simlib.run import as_scenario
    from simlib.sparse_state import SparseColumn
    sim = Sim(as_scenario(scenario).override({"market.users": users, "market.represents": users, "market.days": days}))
    added = getattr(sim.pop, "array_owner", {})
    traits = set(TRAITS) | set(SPREADS)

    def population_owner(name):
        if name in added:
            return f"policy {added[name]}"
        return "traits" if name in traits else "population"

    sparse = getattr(sim.pop, "sparse", None)   # rows of the policies' sparse fields (simlib.sparse_state)
    owners = [(population_owner, sim.pop), ("coupons", sim.pop.coupons), ("today's inputs", sim.world.today),
              *((("sparse rows' slots", sparse),) if sparse is not None else ()),
              ("population step", sim.step), *((f"policy {p.name}", p) for p in sim.policies),
              *(("ledger", ledger) for ledger in sim.world.ledgers)]
    out, seen = [], set()
    for owner, obj in owners:
        for name, value in vars(obj).items():
            values = value.items() if isinstance(value, dict) else [(name, value)]
            values = [(f"{name}[{k}]" if isinstance(value, dict) else k, v) for k, v in values]
            for label, v in values:
                if isinstance(v, SparseColumn):   # rows for the customers written so far: all of them count
                    if id(v) in seen or owner == "sparse rows' slots":
                        continue
                    seen.add(id(v))
                    out.append((v.values.nbytes / users, owner(name) if callable(owner) else owner,
                                f"{label} ({v.dtype}, {v.values.size:,} rows at the start)"))
                    continue
                if isinstance(v, np.ndarray) and id(v) not in seen and (v.size >= users // 2 or owner == "ledger"):
                    seen.add(id(v))
                    who = owner(name) if callable(owner) else owner
                    held = v.itemsize if v.ndim and 0 in v.strides else v.nbytes   # a broadcast holds one value
                    out.append((held / users, who, f"{label} ({v.dtype})"))
    return sorted(out, key=lambda row: -row[0])


OWNERS = ("population", "traits", "coupons", "today's inputs", "sparse rows' slots", "population step", "ledger")


def owner_table(rows: list[tuple[float, str, str]], peak: float | None = None) -> str:
    """Per-customer state by owner (bytes per customer and arrays), as printed by the benchmarks;
    with ``peak`` (bytes per customer), the part of the peak no array of a built Sim accounts for."""
    totals: dict[str, list] = {owner: [0.0, 0] for owner in OWNERS}
    for size, owner, _ in rows:
        key = "policies" if owner.startswith("policy ") else owner
        totals.setdefault(key, [0.0, 0])
        totals[key][0] += size
        totals[key][1] += 1
    policies = {}
    for size, owner, _ in rows:
        if owner.startswith("policy "):
            policies.setdefault(owner[7:], [0.0, 0])
            policies[owner[7:]][0] += size
            policies[owner[7:]][1] += 1
    lines = [f"  {'owner':<28} {'B/customer':>10} {'arrays':>7}"]
    for key, (size, count) in totals.items():
        lines.append(f"  {key:<28} {size:10.1f} {count:7d}")
        if key == "policies":
            for name, (psize, pcount) in sorted(policies.items(), key=lambda kv: -kv[1][0]):
                lines.append(f"    {name:<26} {psize:10.1f} {pcount:7d}")
    state = sum(size for size, _, _ in rows)
    lines.append(f"  {'state of a built Sim':<28} {state:10.1f} {len(rows):7d}")
    if peak is not None:
        lines.append(f"  {'peak of the run':<28} {peak:10.1f}        (the rest: the step's and policies' "
                     f"temporaries, arrays grown during the run; pages never written count 0)")
    return "\n".join(lines)


def _scaled_budgets(scenario: str, users: int) -> dict:
    """--scale-budgets' overrides, as the measuring child computes them."""
    from simlib.run import as_scenario
    sc = as_scenario(scenario)
    factor = users / sc.data["market"]["users"]
    return {f"policies.{name}.{key}": value * factor for name, cfg in sc.data["policies"].items()
            for key, value in cfg.items() if key.startswith("budget_cny_per_day") and isinstance(value, (int, float))}


if __name__ == "__main__":
    main()
