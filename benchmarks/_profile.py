"""Where one simlib run spends its time (building the population is left out), for
decision_speed.py and throughput.py: a cProfile of ``Sim.run`` (Python calls per run and per
day, the top functions by cumulative and by own time, own time summed per simlib module), and
the milliseconds per simulated day of each statement of the population step and the hazards
(``section_times``: the source is recompiled with a timer around each statement, nothing in
simlib is edited)."""

from __future__ import annotations

import ast
import cProfile
import inspect
import io
import pstats
import re
import sys
import textwrap
import time
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


def profile_run(scenario, users: int, days: int, top: int = 20, overrides: dict | None = None, seed: int = 0,
                reps: int = 1) -> None:
    """Profile one run of ``scenario`` (a name, path or Scenario), or a batch of ``reps``
    replications in one population, and print where its time goes."""
    import simlib
    from simlib.engine import Sim
    sc = simlib.load_scenario(scenario).override({**(overrides or {}), "market.users": users, "market.days": days})
    if reps > 1:
        from simlib.engine import World
        sim = World(sc, list(range(seed, seed + reps)))
    else:
        sim = Sim(sc, seed=seed)
    prof = cProfile.Profile()
    prof.enable()
    sim.run()
    prof.disable()
    stats = pstats.Stats(prof)
    name = Path(str(scenario)).stem
    what = f"a batch of {reps} `{name}` replications in one population" if reps > 1 else f"one `{name}` run"
    print(f"\ncProfile of {what} ({users:,} customers x {days} days; the profiler slows it): "
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


def _timed_body(body: list, source: str, labels: dict, depth: int) -> list:
    """``body`` with a timer around every statement (and, inside if/for/with blocks, around theirs)."""
    out = []
    for stmt in body:
        k = len(labels)
        labels[k] = ("  " * depth) + ast.get_source_segment(source, stmt).split("\n")[0].strip()[:80]
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(stmt, (ast.If, ast.For, ast.While, ast.With)) and inner:
                setattr(stmt, field, _timed_body(inner, source, labels, depth + 1))
        out += ast.parse(f"_t{k} = _clock()").body
        out.append(stmt)
        out += ast.parse(f"_T[{k}] += _clock() - _t{k}").body
    return out


def instrument(cls, method: str):
    """Replace ``cls.method`` by a copy that times each of its statements; returns (restore,
    times, labels). The copy runs in the method's module namespace; a ``return`` inside a block
    skips that block's own timer once (its statements are still timed)."""
    module = sys.modules[cls.__module__]
    source = textwrap.dedent(inspect.getsource(getattr(cls, method)))
    tree = ast.parse(source)
    fn = tree.body[0]
    labels: dict[int, str] = {}
    fn.body = _timed_body(fn.body, source, labels, 0)
    ast.fix_missing_locations(tree)
    times = defaultdict(float)
    namespace = dict(vars(module), _T=times, _clock=time.perf_counter)
    exec(compile(tree, f"<timed {cls.__name__}.{method}>", "exec"), namespace)
    original = getattr(cls, method)
    setattr(cls, method, namespace[fn.name])
    return (lambda: setattr(cls, method, original)), times, labels


def section_times(scenario, users: int, days: int, overrides: dict | None = None, seed: int = 0) -> None:
    """Wall milliseconds per simulated day of each statement of the population step and of the
    hazards (nested statements indented), for one run."""
    import simlib
    from simlib.behavior import Behavior
    from simlib.dynamics import PopulationStep
    from simlib.engine import Sim
    sc = simlib.load_scenario(scenario).override({**(overrides or {}), "market.users": users, "market.days": days})
    sim = Sim(sc, seed=seed)
    timed = [(PopulationStep, "run"), (PopulationStep, "_events"), (PopulationStep, "_orders"), (Behavior, "hazards")]
    hooks = [instrument(cls, name) for cls, name in timed]
    try:
        t0 = time.perf_counter()
        sim.run()
        total = time.perf_counter() - t0
    finally:
        for restore, _, _ in hooks:
            restore()
    name = Path(str(scenario)).stem
    print(f"\nstatement by statement, one `{name}` run ({users:,} customers x {days} days, {total:.2f} s wall, "
          f"{total / days * 1000:.2f} ms per day); ms per simulated day, summed over all calls of a method, "
          f"statements under 1 % of the run left out (a loop left by `return` shows only its statements):")
    for (cls, method), (_, times, labels) in zip(timed, hooks):
        print(f"  {cls.__name__}.{method}:")
        for k, label in labels.items():
            if times[k] >= 0.01 * total:
                print(f"  {times[k] / days * 1000:8.2f}  {label}")
