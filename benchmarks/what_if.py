"""A what-if redraw: an arm and its reference, 4 paired replications each, 20k customers x 365 days,
in a warm process (simlib imported, one run done), as a strategist's panel redraws it.

    python benchmarks/what_if.py                       # coupon_ladder against pond, 5 redraws
    python benchmarks/what_if.py --arm points_program --reference pond --repeats 7
    python benchmarks/what_if.py --quick               # 2 redraws

Target (issue 20): under 1 s wall. Prints the median wall and CPU seconds of the redraws (each
draws new seeds, so nothing is cached between them), the machine's load, and per replication.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def redraw(arm: str, reference: str, seeds: list[int], users: int, days: int) -> dict:
    """The arm and its reference on the same seeds; their mean difference in net profit."""
    from simlib.run import run_batch
    ref = run_batch(reference, seeds, users=users, days=days)
    got = run_batch(arm, seeds, users=users, days=days)
    diff = [g.summary["net_profit_cny"] - r.summary["net_profit_cny"] for g, r in zip(got, ref)]
    return {"net_profit_difference_cny": statistics.mean(diff)}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arm", default="coupon_ladder")
    ap.add_argument("--reference", default="pond")
    ap.add_argument("--reps", type=int, default=4)
    ap.add_argument("--users", type=int, default=20_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    if args.quick:
        args.repeats = 2
    t0 = time.perf_counter()
    import simlib  # noqa: F401
    redraw(args.arm, args.reference, [0], 2000, 30)   # warm: imports, scenario files, compiled code
    print(f"cores: {os.cpu_count()}; load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"import and warm-up {time.perf_counter() - t0:.2f} s")
    walls, cpus = [], []
    for k in range(args.repeats):
        seeds = [1000 * (k + 1) + r for r in range(args.reps)]
        c0, w0 = time.process_time(), time.perf_counter()
        out = redraw(args.arm, args.reference, seeds, args.users, args.days)
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    runs = 2 * args.reps
    print(f"`{args.arm}` against `{args.reference}`, {args.reps} paired replications each, {args.users:,} customers x "
          f"{args.days} days: wall {wall:.2f} s (median of {args.repeats}: {', '.join(f'{w:.2f}' for w in walls)}), "
          f"CPU {cpu:.2f} s ({cpu / runs * 1000:.0f} ms per replication); target < 1 s: "
          f"{'meets' if wall < 1.0 else 'misses'}; load average now {os.getloadavg()[0]:.2f}")
    print(f"  (last redraw: mean net-profit difference {out['net_profit_difference_cny']:,.0f} CNY)")


if __name__ == "__main__":
    main()
