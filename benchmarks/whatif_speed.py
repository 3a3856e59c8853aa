"""One what-if redraw: the time a slider waits for its verdict panel.

    python benchmarks/whatif_speed.py                  # coupon_ladder (idle_days 21) vs pond
    python benchmarks/whatif_speed.py --users 5000 --repeats 3

One redraw is `simlib.whatif("coupon_ladder", reference="pond", idle_days=21)`: the setting and its
reference, 4 paired replications each (each arm's replications in one population,
`simlib.run_batch`), 20,000 customers x 365 days. The process is warm (one redraw first, untimed:
imports, scenario loading, first allocations); the cache is emptied before each timed redraw, so
both arms run every time. Prints the median of 5 redraws in wall and CPU seconds, and the same work
through `simlib.run_batch` alone (what the panel adds on top). Target (issue 20, the engine's
speed): under 1 s wall.
"""

from __future__ import annotations

import argparse
import statistics
import time


def timed(fn) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


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
    print(f"\none redraw ({args.reps} paired replications x 2 arms, {args.users:,} customers x {args.days} days), "
          f"median of {args.repeats}: {wall:.2f} s wall, {cpu:.2f} s CPU "
          f"(runs: {', '.join(f'{r[0]:.2f}' for r in runs)} s wall)")
    print(f"the same runs through simlib.run_batch alone: {statistics.median(p[0] for p in plain):.2f} s wall, "
          f"{statistics.median(p[1] for p in plain):.2f} s CPU; target: one redraw under 1 s wall")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
