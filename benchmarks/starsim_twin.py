"""simlib against a Starsim twin of the `classic_ctmc` chain: time side by side, and both checked
against the closed form.

    pip install -e ".[bench]"                    # Starsim is a benchmark-only dependency
    python benchmarks/starsim_twin.py            # 1M customers x 365 days, 3 repeats (~2 min)
    python benchmarks/starsim_twin.py --quick    # 100k customers, 1 repeat
    python benchmarks/starsim_twin.py --also path/to/other_twin.py
                                                 # also time another twin (a script with a function
                                                 # run(n, days, seed)), alternating with the others

Target (issue 20, "Speed"): simlib's time at most the twin's (simlib / twin <= 1), both within
their tolerance of expm(Qt); simlib keeps exact event times.

The chain (scenarios/classic_ctmc.yaml, docs/model.md section 6): constant hazards per day,
unaware -> aware (awareness_per_day), aware -> interested (interest_per_day), aware ->
unaware (forget_per_day), interested -> purchased (first_purchase_per_day), interested ->
aware (lose_interest_per_day), purchased -> loyal (the second order, purchase_rate_per_day);
everyone starts unaware. The rates are read from the scenario file, so the twin follows it.

The twin is one Starsim module written in Starsim's own idioms (``ss.SIR`` and ``ss.SIS``):
one ``ss.BoolState`` per funnel stage (Starsim counts them as ``n_<stage>`` results), a
scheduled time per agent (``ss.FloatArr``, like ``ti_recovered``) at which the agent leaves its
stage, drawn on entry from the stage's total hazard with ``ss.random()`` (common random
numbers), and the exit chosen by hazard shares with a second ``ss.random()``. Each daily step
moves exactly the agents whose time has come, and moves them again if their next time also
falls within the day, so the twin is exact in continuous time too (no daily discretisation:
its tolerance is sampling error alone, as simlib's). Only the agents who move are touched.

Both are checked against p(t) = p(0) expm(Q t) at days 5, 20, 60, 119 and 364 (a row is the
state at the end of its day, t = day + 1): the largest deviation of a stage share, and in
binomial standard errors (within 4.5 SE is the tolerance tests/test_special_cases.py uses).
Both run in fresh processes, alternating (simlib, twin, simlib, ...), so background load meets
both; timed: building the model and running it, after a first run of 1,000 customers in the
same process (``warm-up``: what a first use loads, numba's machine code for simlib, Starsim's
for the twin); the imports and the warm-up are printed apart, and the ratio is also given with
them counted. The target is met when simlib is at most the twin by wall, by CPU and counted
whole. simlib also
books every repeat order of its loyal customers (the twin does not).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

STAGES = ("unaware", "aware", "interested", "purchased", "loyal")
CHECK_DAYS = (5, 20, 60, 119, 364)
TOLERANCE_SE = 4.5
WARM_UP = 1000   # customers of the untimed first run in each process (loads what a first use loads)


def generator(scenario_data: dict) -> np.ndarray:
    """Q (5 x 5, per day) of the classic_ctmc chain over unaware, aware, interested, purchased, loyal."""
    b = scenario_data["behavior"]
    q = np.zeros((5, 5))
    q[0, 1] = b["awareness_per_day"]
    q[1, 2], q[1, 0] = b["interest_per_day"], b["forget_per_day"]
    q[2, 3], q[2, 1] = b["first_purchase_per_day"], b["lose_interest_per_day"]
    q[3, 4] = scenario_data["traits"]["purchase_rate_per_day"]["value"]
    np.fill_diagonal(q, -q.sum(axis=1))
    return q


def _rss(field: str) -> int:
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) * 1024
    return 0


# --- the twin (runs in its own process; imports Starsim only) -------------------------------

def run_twin(users: int, days: int, seed: int, q: list) -> dict:
    t_import = time.perf_counter()
    import starsim as ss
    import_s = time.perf_counter() - t_import

    class FunnelClocks(ss.Module):
        """The constant-hazard funnel: a stage per boolean state, a scheduled leaving time per agent."""

        def __init__(self, pars=None, **kwargs):
            super().__init__()
            self.define_pars(generator=np.zeros((5, 5)))   # Q, per day (rows: from, columns: to)
            self.update_pars(pars, **kwargs)
            self.define_states(*[ss.BoolState(name, default=(k == 0), label=name.capitalize())
                                 for k, name in enumerate(STAGES)],
                               ss.IntArr("stage", default=0, label="Funnel stage (0 unaware ... 4 loyal)"),
                               ss.FloatArr("t_leave", default=np.inf, label="Day the agent leaves its stage"))
            self.wait = ss.random(name="wait")      # unit exponential waits, by inversion
            self.route = ss.random(name="route")    # which exit, by hazard shares

        def init_post(self):
            super().init_post()
            q = np.asarray(self.pars.generator, float)
            exits = q - np.diag(np.diag(q))
            self.total = exits.sum(axis=1)                       # hazard of leaving each stage
            with np.errstate(invalid="ignore", divide="ignore"):
                self.bounds = np.where(self.total[:, None] > 0, np.cumsum(exits, axis=1) / self.total[:, None], 1.0)
            self.schedule(self.unaware.uids, 0.0)

        def schedule(self, uids, now):
            """Draw when ``uids`` leave the stage they are in (inf in a stage without exits)."""
            with np.errstate(divide="ignore"):
                self.t_leave[uids] = now - np.log(self.wait.rvs(uids)) / self.total[self.stage[uids]]

        def step(self):
            end = self.ti + 1.0                      # this step is the day [ti, ti + 1)
            due = (self.t_leave < end).uids
            while len(due):
                now = self.t_leave[due]
                old = self.stage[due]
                new = (self.route.rvs(due)[:, None] > self.bounds[old]).sum(axis=1)
                for k, name in enumerate(STAGES):
                    getattr(self, name)[due[old == k]] = False
                for k, name in enumerate(STAGES):
                    getattr(self, name)[due[new == k]] = True
                self.stage[due] = new
                self.schedule(due, now)
                due = due[self.t_leave[due] < end]

    def build(n):
        return ss.Sim(n_agents=n, start=ss.days(0), stop=ss.days(days - 1), dt=ss.days(1), rand_seed=seed + 1,
                      modules=FunnelClocks(generator=np.asarray(q)), verbose=0)
    c0 = time.process_time()
    build(WARM_UP).run()
    warm = time.process_time() - c0
    before = _rss("VmRSS:")
    t0, c0 = time.perf_counter(), time.process_time()
    sim = build(users)
    sim.run()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    res = sim.results.funnelclocks
    assert len(res["n_unaware"]) == days, (len(res["n_unaware"]), days)
    rows = {d: [int(res[f"n_{name}"][d]) for name in STAGES] for d in CHECK_DAYS if d < days}
    return {"wall": wall, "cpu": cpu, "import": import_s, "warm_up": warm, "peak_bytes": _rss("VmHWM:") - before,
            "rows": rows, "orders": None, "version": ss.__version__}


# --- simlib (runs in its own process) --------------------------------------------------------

def run_simlib(users: int, days: int, seed: int) -> dict:
    t_import = time.perf_counter()
    import simlib
    import_s = time.perf_counter() - t_import
    sc = simlib.load_scenario("classic_ctmc").override(
        {"market.users": users, "market.represents": users, "market.days": days})
    c0 = time.process_time()
    simlib.run(sc.override({"market.users": WARM_UP, "market.represents": WARM_UP}), seed=seed)
    warm = time.process_time() - c0
    before = _rss("VmRSS:")
    t0, c0 = time.perf_counter(), time.process_time()
    res = simlib.run(sc, seed=seed)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    rows = {d: [int(x) for x in res.daily.loc[d, list(STAGES)]] for d in CHECK_DAYS if d < days}
    return {"wall": wall, "cpu": cpu, "import": import_s, "warm_up": warm, "peak_bytes": _rss("VmHWM:") - before,
            "rows": rows, "orders": int(res.summary["purchases"]), "version": ""}


def run_other(script: str, users: int, days: int, seed: int) -> dict:
    """Another twin: the script's ``run(n, days, seed)``, imported and timed here (build and run)."""
    import importlib.util
    folder = os.path.dirname(os.path.abspath(script))
    sys.path.insert(0, folder)
    t_import = time.perf_counter()
    spec = importlib.util.spec_from_file_location("other_twin", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    import_s = time.perf_counter() - t_import
    c0 = time.process_time()
    module.run(WARM_UP, days, seed + 1)
    warm = time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    module.run(users, days, seed + 1)
    return {"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0, "import": import_s, "warm_up": warm}


def _measure(which: str, users: int, days: int, seed: int, q: np.ndarray) -> dict:
    """One run of simlib, the twin, or (``which`` a path) another twin script, in a fresh process."""
    cmd = [sys.executable, __file__, "--child", which, str(users), str(days), str(seed), json.dumps(q.tolist())]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{which} run failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def deviation(rows: dict, q: np.ndarray, users: int) -> tuple[float, float]:
    """Largest |share - closed form| over the checked days and stages, and the largest in binomial SEs."""
    from scipy import linalg
    p0 = np.eye(5)[0]
    worst, worst_se = 0.0, 0.0
    for day, counts in rows.items():
        expected = p0 @ linalg.expm(q * (int(day) + 1))
        got = np.asarray(counts) / users
        se = np.sqrt(np.maximum(expected * (1 - expected), 1e-12) / users)
        worst = max(worst, float(np.max(np.abs(got - expected))))
        worst_se = max(worst_se, float(np.max(np.abs(got - expected) / se)))
    return worst, worst_se


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        which, users, days, seed, q = argv[1], int(argv[2]), int(argv[3]), int(argv[4]), json.loads(argv[5])
        out = (run_twin(users, days, seed, q) if which == "twin" else run_simlib(users, days, seed)
               if which == "simlib" else run_other(which, users, days, seed))
        print(json.dumps(out))
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--also", metavar="SCRIPT", help="also time another twin: a script with run(n, days, seed) "
                                                     "(build and run), imported in a fresh process")
    ap.add_argument("--quick", action="store_true", help="100k customers, 1 repeat")
    args = ap.parse_args(argv)
    if args.quick:
        args.users, args.repeats = 100_000, 1
    import simlib
    q = generator(simlib.load_scenario("classic_ctmc").data)
    n, days = args.users, args.days
    print(f"cores: {os.cpu_count()}; load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"classic_ctmc, {n:,} customers x {days} days; median of {args.repeats}, each run in a fresh process, "
          f"alternating")
    sims, twins, others = [], [], []
    for seed in range(args.repeats):
        sims.append(_measure("simlib", n, days, seed, q))
        twins.append(_measure("twin", n, days, seed, q))
        if args.also:
            others.append(_measure(os.path.abspath(args.also), n, days, seed, q))
    print(f"{'':22} {'wall s':>8} {'CPU s':>8} {'import s':>9} {'warm-up s':>10} {'peak B/cust':>12} {'max |dev|':>10} "
          f"{'max dev/SE':>11}")
    for label, runs in (("simlib", sims), (f"Starsim {twins[0]['version']} twin", twins)):
        dev = [deviation(r["rows"], q, n) for r in runs]
        print(f"{label:22} {statistics.median(r['wall'] for r in runs):8.2f} "
              f"{statistics.median(r['cpu'] for r in runs):8.2f} {statistics.median(r['import'] for r in runs):9.2f} "
              f"{statistics.median(r['warm_up'] for r in runs):10.2f} "
              f"{statistics.median(r['peak_bytes'] for r in runs) / n:12.0f} {max(d[0] for d in dev):10.5f} "
              f"{max(d[1] for d in dev):11.1f}")
    print(f"tolerance: {TOLERANCE_SE} SE; simlib also booked {int(statistics.median(r['orders'] for r in sims)):,} "
          f"orders (median); the twin books none")
    wall = statistics.median(s["wall"] / t["wall"] for s, t in zip(sims, twins))
    cpu = statistics.median(s["cpu"] / t["cpu"] for s, t in zip(sims, twins))
    whole = statistics.median((s["import"] + s["warm_up"] + s["cpu"]) / (t["import"] + t["warm_up"] + t["cpu"])
                              for s, t in zip(sims, twins))
    print(f"simlib / twin: {wall:.2f}x wall, {cpu:.2f}x CPU (the timed run; median of the pairs); {whole:.2f}x "
          f"counting each process's import and warm-up too; target <= 1x: "
          f"{'meets' if max(wall, cpu, whole) <= 1.0 else 'misses'}")
    if others:
        wall = statistics.median(s["wall"] / o["wall"] for s, o in zip(sims, others))
        cpu = statistics.median(s["cpu"] / o["cpu"] for s, o in zip(sims, others))
        print(f"{os.path.basename(args.also)}: {statistics.median(o['wall'] for o in others):.2f} s wall, "
              f"{statistics.median(o['cpu'] for o in others):.2f} CPU s (build + run); simlib / it: {wall:.2f}x wall, "
              f"{cpu:.2f}x CPU; twin / it: "
              f"{statistics.median(t['cpu'] / o['cpu'] for t, o in zip(twins, others)):.2f}x CPU")


if __name__ == "__main__":
    main()
