"""Decision speed: a 3-arm x 20-replication comparison at 20k customers x 365 days on 2 workers,
and where its time goes.

    python benchmarks/decision_speed.py            # the comparison 3 times, then the breakdown (~3-5 min)
    python benchmarks/decision_speed.py --quick    # the comparison once at 5 replications, a shorter profile
    python benchmarks/decision_speed.py --profile-only   # only where the time goes

Target (issue 11, "Fast enough to iterate"): ``simlib compare pond coupon_ladder points_program
--reps 20`` at 20k customers x 365 days with 2 workers in at most 10 s wall on the 2-core
machine (it took 29.8 s when the issue was filed). Prints the median of 3 wall times of the
command exactly as a user types it (a fresh process: the import counts), its CPU time summed over
the workers, then where the time goes:

- import: ``import simlib`` and the ``simlib compare`` command's imports, in a fresh process
  (with ``-X importtime``'s own time summed per package);
- per run: building and running one replication of each arm in this process (median of 3),
  and what 60 runs on 2 workers would take if nothing else cost anything; then a batch of the
  replications the experiment runner gives a worker at once (``simlib.run_batch``: the
  replications of an arm in one population) against as many separate runs;
- per simulated day: the same arm at 200 customers (what a day costs whatever the market size:
  the Python and numpy-call overhead) against 20k;
- a cProfile of one run: Python calls per run and per day, the top functions by cumulative and
  by own time, and own time summed per simlib module.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _profile import profile_run  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ARMS = ("pond", "coupon_ladder", "points_program")
TARGET_S = 10.0


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def time_compare(reps: int, users: int, days: int, workers: int) -> tuple[float, float]:
    """Wall and CPU seconds (this process's children: the CLI and its workers) of one comparison."""
    cmd = [sys.executable, "-m", "simlib.cli", "compare", *ARMS, "--reps", str(reps), "--users", str(users),
           "--days", str(days), "--workers", str(workers), "--no-progress"]
    c0, t0 = _children_cpu(), time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    wall, cpu = time.perf_counter() - t0, _children_cpu() - c0
    if out.returncode:
        raise SystemExit(f"`{' '.join(cmd[2:])}` failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return wall, cpu


def import_times(repeats: int) -> dict:
    """Seconds to import simlib and the compare command's modules, each in a fresh process (median)."""
    probes = {"import simlib": "import simlib",
              "compare command's imports": "import simlib, simlib.cli.main, simlib.experiment, simlib.experiment.compare"}
    out = {}
    for label, stmt in probes.items():
        code = f"import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"
        out[label] = statistics.median(float(subprocess.run([sys.executable, "-c", code], capture_output=True,
                                                            text=True, check=True, cwd=ROOT).stdout)
                                       for _ in range(repeats))
    return out


def import_time_by_package(top: int = 8) -> list[tuple[float, str]]:
    """(seconds, top-level package) of the compare command's imports under ``-X importtime``,
    each module's own time summed into its top-level package (numpy, pandas, scipy, simlib...)."""
    stmt = "import simlib, simlib.cli.main, simlib.experiment, simlib.experiment.compare"
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", stmt], capture_output=True, text=True,
                         cwd=ROOT).stderr
    total: dict[str, float] = {}
    for line in err.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
        if m:
            package = m.group(2).split(".")[0]
            total[package] = total.get(package, 0.0) + int(m.group(1)) / 1e6
    return sorted(((v, k) for k, v in total.items()), reverse=True)[:top]


def one_run(arm: str, users: int, days: int, seed: int = 0) -> dict:
    """Wall and CPU seconds of building and of running one replication, in this process."""
    import simlib
    from simlib.engine import Sim
    sc = simlib.load_scenario(arm).override({"market.users": users, "market.days": days})
    c0, t0 = time.process_time(), time.perf_counter()
    sim = Sim(sc, seed=seed)
    c1, t1 = time.process_time(), time.perf_counter()
    sim.run()
    c2, t2 = time.process_time(), time.perf_counter()
    return {"build": t1 - t0, "run": t2 - t1, "build_cpu": c1 - c0, "run_cpu": c2 - c1}


def one_batch(arm: str, users: int, days: int, reps: int) -> float | None:
    """CPU seconds of ``reps`` replications simulated together (simlib.run_batch), or None where
    this simlib has no batches."""
    try:
        from simlib.run import run_batch
    except ImportError:
        return None
    c0 = time.process_time()
    run_batch(arm, seeds=range(reps), users=users, days=days)
    return time.process_time() - c0


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--users", type=int, default=20_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3, help="times the comparison runs (median)")
    ap.add_argument("--profile-arm", default="points_program")
    ap.add_argument("--top", type=int, default=20)
    ap.add_argument("--profile-only", action="store_true")
    ap.add_argument("--quick", action="store_true", help="5 replications, once; a shorter profile")
    args = ap.parse_args(argv)
    if args.quick:
        args.reps, args.repeats, args.top = 5, 1, 12
    print(f"cores: {os.cpu_count()}; load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    runs = len(ARMS) * args.reps
    if not args.profile_only:
        print(f"`simlib compare {' '.join(ARMS)} --reps {args.reps} --users {args.users} --days {args.days} "
              f"--workers {args.workers}` ({runs} runs), {args.repeats} time(s):")
        timed = [time_compare(args.reps, args.users, args.days, args.workers) for _ in range(args.repeats)]
        walls = [w for w, _ in timed]
        wall = statistics.median(walls)
        cpu = statistics.median(c for _, c in timed)
        print(f"  wall {wall:.1f} s (median; {', '.join(f'{w:.1f}' for w in walls)}); target <= {TARGET_S:.0f} s "
              f"for 20 reps: {'meets' if wall <= TARGET_S else f'misses by {wall / TARGET_S:.1f}x'}"
              + ("" if args.reps == 20 else " (fewer reps than the target's 20)"))
        print(f"  CPU {cpu:.1f} s over all processes: on {args.workers} idle cores about {cpu / args.workers:.1f} s "
              f"wall (the load-independent figure; load average now {os.getloadavg()[0]:.2f})")

    print("\nwhere the time goes (CPU seconds unless said: the machine is shared)")
    imports = import_times(3)
    for label, seconds in imports.items():
        print(f"  {label:28} {seconds:6.2f} s wall (fresh process, median of 3)")
    print("  import time by package (-X importtime, own time summed): " +
          ", ".join(f"{m} {s:.2f} s" for s, m in import_time_by_package()))
    per_run = {}
    for arm in ARMS:
        one_run(arm, 2000, 30)   # warm caches (scenario files, first-call imports)
        parts = [one_run(arm, args.users, args.days, seed) for seed in range(3)]
        med = {key: statistics.median(p[key] for p in parts) for key in parts[0]}
        per_run[arm] = med["build_cpu"] + med["run_cpu"]
        floor = statistics.median(one_run(arm, 200, args.days, seed)["run_cpu"] for seed in range(3))
        print(f"  one `{arm}` run: build {med['build_cpu'] * 1000:.0f} ms + run {med['run_cpu']:.2f} s "
              f"(wall {med['build'] + med['run']:.2f} s); {med['run_cpu'] / args.days * 1000:.2f} ms per day at "
              f"{args.users:,}, {floor / args.days * 1000:.2f} ms per day at 200 customers (the per-day floor, "
              f"whatever the market size: {floor / med['run_cpu']:.0%} of the run)")
    ideal = imports["compare command's imports"] + args.reps * sum(per_run.values()) / args.workers
    print(f"  {runs} separate runs on {args.workers} idle workers, nothing else counted: {ideal:.1f} s "
          f"(import + reps x sum of per-run CPU times / workers)")
    # the experiment runner cuts each arm's replications into nearly equal batches, about two per worker
    size = max(1, -(-runs // (2 * args.workers)))
    reps = -(-args.reps // -(-args.reps // size))     # the largest batch of an arm
    batch_total = 0.0
    for arm in ARMS:
        cpu = one_batch(arm, args.users, args.days, reps)
        if cpu is None:
            print("  (this simlib has no run_batch: replications run one by one)")
            break
        batch_total += cpu / reps
        print(f"  one `{arm}` batch of {reps} replications in one population: {cpu:.2f} s, {cpu / reps:.2f} s "
              f"per replication ({per_run[arm] / (cpu / reps):.1f}x cheaper than a separate run)")
    else:
        ideal = imports["compare command's imports"] + args.reps * batch_total / args.workers
        print(f"  {runs} runs in batches of up to {reps} on {args.workers} idle workers, nothing else "
              f"counted: {ideal:.1f} s")
    profile_run(args.profile_arm, args.users, args.days, args.top)
    if batch_total:
        profile_run(args.profile_arm, args.users, args.days, args.top, reps=reps)


if __name__ == "__main__":
    main()
