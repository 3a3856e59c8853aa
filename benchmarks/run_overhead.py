"""Per-run overhead: what a run costs besides simulating its customers, at 2k, 20k and 200k.

    python benchmarks/run_overhead.py                      # baseline and points_program, 2k / 20k / 200k
    python benchmarks/run_overhead.py --sizes 2000 20000 --scenarios pond

For each scenario and market size (365 days), CPU milliseconds (median of ``--repeats`` runs in
this process, after a warm-up run) of:

- scenario: loading and resolving the scenario (``load_scenario`` + the size override);
- population and policies: building the ``Sim`` (traits drawn, arrays allocated, each policy's
  ``init``), the population's share and the policies' share apart;
- run: the 365 simulated days; per day, and the per-day floor: a day of the same scenario at
  200 customers (the engine's phases, the policies' calls, the books: what a day costs whatever
  the market's size) and its share of the run;
- results: the summary and the daily table (``Result.from_sim``, then reading ``daily`` and
  ``ledger``) and writing the output folder (``Result.save``).

And once per process, in fresh processes (median of ``--repeats``): importing simlib, and the
first call into the compiled step (machine code loaded from numba's cache).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

FLOOR_USERS = 200


def fresh_process_costs(repeats: int) -> dict:
    """CPU seconds of ``import simlib`` and of the first tiny run's build + run (which loads the
    compiled code) against the second, each in a fresh process."""
    code = ("import time; c0 = time.process_time(); import simlib; c1 = time.process_time(); "
            "simlib.run('baseline', users=200, days=3); c2 = time.process_time(); "
            "simlib.run('baseline', users=200, days=3); c3 = time.process_time(); "
            "print(c1 - c0, (c2 - c1) - (c3 - c2))")
    got = [tuple(map(float, subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                           check=True).stdout.split())) for _ in range(repeats)]
    return {"import": statistics.median(g[0] for g in got), "first_call": statistics.median(g[1] for g in got)}


def one(scenario_name: str, users: int, days: int, seed: int, folder: str) -> dict:
    """CPU seconds of each part of one run."""
    import simlib
    import simlib.engine as engine
    parts = {"population": 0.0, "policies": 0.0}
    population_class, attach = engine.Population, engine.Sim._attach

    def timed_population(*a, **k):
        c = time.process_time()
        try:
            return population_class(*a, **k)
        finally:
            parts["population"] += time.process_time() - c

    def timed_attach(self, *a, **k):
        c = time.process_time()
        try:
            return attach(self, *a, **k)
        finally:
            parts["policies"] += time.process_time() - c

    engine.Population, engine.Sim._attach = timed_population, timed_attach
    try:
        c0 = time.process_time()
        sc = simlib.load_scenario(scenario_name).override({"market.users": users, "market.days": days})
        c1 = time.process_time()
        sim = engine.Sim(sc, seed=seed)
        c2 = time.process_time()
    finally:
        engine.Population, engine.Sim._attach = population_class, attach
    sim.env.process(sim.world._days())
    sim.env.run(until=sim.days)
    c3 = time.process_time()
    extras = {}
    for policy in sim.policies:
        extras.update(policy.finalize())
    result = simlib.Result.from_sim(sim, 0.0, extras)
    _ = result.daily, result.ledger
    c4 = time.process_time()
    result.save(os.path.join(folder, f"{scenario_name}_{users}_{seed}"))
    c5 = time.process_time()
    return {"scenario": c1 - c0, "build": c2 - c1, **parts, "run": c3 - c2, "results": c4 - c3, "save": c5 - c4}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", nargs="+", default=["baseline", "points_program"])
    ap.add_argument("--sizes", nargs="+", type=int, default=[2_000, 20_000, 200_000])
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    print(f"cores: {os.cpu_count()}; load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    once = fresh_process_costs(args.repeats)
    print(f"once per process (fresh, median of {args.repeats}): import simlib {once['import']:.2f} CPU s; "
          f"first call into the compiled step {once['first_call']:.2f} CPU s")
    print("\nCPU ms unless said (median of {}; {} days)".format(args.repeats, args.days))
    head = ("| scenario | customers | scenario | build (population + policies) | run s | per day | "
            "floor per day (200 customers) | floor share | results + save |")
    print(head)
    print("|" + "---|" * head.count(" | ") + "---|")
    with tempfile.TemporaryDirectory() as folder:
        for name in args.scenarios:
            one(name, 2000, 30, 0, folder)       # warm: caches, first calls of this scenario's policies
            floor = statistics.median(one(name, FLOOR_USERS, args.days, s, folder)["run"]
                                      for s in range(args.repeats)) / args.days
            for users in args.sizes:
                runs = [one(name, users, args.days, s, folder) for s in range(args.repeats)]
                m = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
                ms = {k: v * 1000 for k, v in m.items()}
                print(f"| {name} | {users:,} | {ms['scenario']:.0f} | {ms['build']:.0f} ({ms['population']:.0f} + "
                      f"{ms['policies']:.0f}) | {m['run']:.2f} | {ms['run'] / args.days:.2f} | {floor * 1000:.2f} | "
                      f"{floor * args.days / m['run']:.0%} | {ms['results']:.0f} + {ms['save']:.0f} |", flush=True)
    print(f"\nload average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
