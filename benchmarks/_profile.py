"""Where one simlib run spends its time: a cProfile of ``Sim.run`` (building the population is
left out), printed as Python calls per run and per day, the top functions by cumulative and by
own time, and own time summed per simlib module. Used by decision_speed.py and throughput.py."""

from __future__ import annotations

import cProfile
import io
import pstats
import re
from collections import defaultdict
from pathlib import Path


def per_module(stats: pstats.Stats) -> list[tuple[float, str]]:
    """(own seconds, where) summed per simlib module, per outside library, and per C function."""
    total = defaultdict(float)
    for (filename, _line, func), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        if "/simlib/" in filename:
            key = "simlib/" + filename.split("/simlib/", 1)[1]
        elif "site-packages/" in filename:
            key = filename.split("site-packages/", 1)[1].split("/", 1)[0] + " (Python)"
        elif filename == "~":
            key = "C: " + re.sub(r"^<(built-in )?(method|function) |>$|'", "", func)[:60]
        else:
            key = Path(filename).name
        total[key] += tottime
    return sorted(((v, k) for k, v in total.items()), reverse=True)


def profile_run(scenario, users: int, days: int, top: int = 20, overrides: dict | None = None, seed: int = 0) -> None:
    """Profile one run of ``scenario`` (a name, path or Scenario) and print where its time goes."""
    import simlib
    from simlib.engine import Sim
    sc = simlib.load_scenario(scenario).override({**(overrides or {}), "market.users": users, "market.days": days})
    sim = Sim(sc, seed=seed)
    prof = cProfile.Profile()
    prof.enable()
    sim.run()
    prof.disable()
    stats = pstats.Stats(prof)
    name = Path(str(scenario)).stem
    print(f"\ncProfile of one `{name}` run ({users:,} customers x {days} days; the profiler slows it): "
          f"{stats.total_tt:.2f} s, {stats.total_calls:,} Python calls ({stats.prim_calls:,} primitive): "
          f"{stats.total_calls / days:,.0f} calls and {stats.total_tt / days * 1000:.2f} ms per simulated day")
    for key, title in (("cumulative", "by cumulative time"), ("tottime", "by own time")):
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).strip_dirs().sort_stats(key).print_stats(top)
        lines = buf.getvalue().splitlines()
        start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
        print(f"\n  top {top} {title}:")
        for line in lines[start:start + top + 1]:
            print("  " + line)
    print("\n  own time per module or C function (top 15):")
    for seconds, where in per_module(stats)[:15]:
        print(f"  {seconds:7.2f} s  {seconds / stats.total_tt:5.1%}  {where}")
