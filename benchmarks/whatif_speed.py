"""One what-if redraw: the time a slider waits for its verdict panel.

    python benchmarks/whatif_speed.py                  # coupon_ladder (idle_days 21) vs pond
    python benchmarks/whatif_speed.py --users 5000 --repeats 3

One redraw is `simlib.whatif("coupon_ladder", reference="pond", idle_days=21)`: the setting and its
reference, 4 paired replications each (each arm's replications in one population,
`simlib.run_batch`), 20,000 customers x 365 days. The process is warm (one redraw first, untimed:
imports, scenario loading, first allocations); the cache is emptied before each timed redraw, so
both arms run every time. Prints the median of 5 redraws in wall and CPU seconds (this process's,
and its worker processes' on Linux: the load-independent figure, the larger worker's share being
what 2 idle cores would wait for), and the same work through `simlib.run_batch` alone (what the
panel adds on top). Target (issue 20, the engine's speed): under 1 s wall.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def workers_cpu() -> list[float]:
    """CPU seconds so far of each worker process the what-if keeps (Linux /proc; [] elsewhere)."""
    import importlib
    pool = getattr(importlib.import_module("simlib.run"), "_POOL", None)   # the module (simlib.run is also a function)
    processes = getattr(getattr(pool, "_pool", None), "_processes", None) or {}
    out = []
    for pid in processes:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            out.append((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))
        except (OSError, ValueError, IndexError):
            return []
    return out


def timed(fn) -> tuple[float, float, list[float]]:
    """Wall and CPU seconds of ``fn()``, and each worker's CPU seconds during it."""
    before = workers_cpu()
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    after = workers_cpu()
    return wall, cpu, [a - b for a, b in zip(after, before)] if len(after) == len(before) else []


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--users", type=int, default=20_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--reps", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    import simlib
    from simlib.report import whatif as module

    def redraw():
        module.cache_clear()
        return simlib.whatif("coupon_ladder", reference="pond", reps=args.reps, users=args.users, days=args.days,
                             idle_days=21)

    def batches():
        ladder = simlib.load_scenario("coupon_ladder").override({"policies.ladder.idle_days": 21})
        seeds = range(args.reps)
        simlib.run_batch(ladder, seeds=seeds, users=args.users, days=args.days)
        simlib.run_batch("pond", seeds=seeds, users=args.users, days=args.days)

    panel = redraw()                                   # warm
    runs = [timed(redraw) for _ in range(args.repeats)]
    plain = [timed(batches) for _ in range(args.repeats)]
    wall, cpu = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
    print(panel)
    print(f"cores: {os.cpu_count()}; load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"\none redraw ({args.reps} paired replications x 2 arms, {args.users:,} customers x {args.days} days), "
          f"median of {args.repeats}: {wall:.2f} s wall, {cpu:.2f} s CPU in this process "
          f"(runs: {', '.join(f'{r[0]:.2f}' for r in runs)} s wall)")
    if all(r[2] for r in runs):
        total = statistics.median(cpu + sum(r[2]) for cpu, r in zip((r[1] for r in runs), runs))
        largest = statistics.median(max(r[2]) for r in runs)
        print(f"  CPU over all processes {total:.2f} s; the larger worker's share {largest:.2f} s (about the "
              f"wall time of a redraw on {len(runs[0][2])} idle cores, plus this process's {cpu:.2f} s)")
    print(f"the same runs through simlib.run_batch alone: {statistics.median(p[0] for p in plain):.2f} s wall, "
          f"{statistics.median(p[1] for p in plain):.2f} s CPU; target: one redraw under 1 s wall")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
