"""How long a twin takes: calibrate + twin building, and a 49-day forward run, on pond-sized logs.

The logs are drawn here with plain numpy (not simlib): BG/NBD buyers (r 0.8, alpha 62 days,
a 0.8, b 4) whose first purchases fall in the first 12 weeks of 2024, orders to 2024-12-30,
about 3.6 orders a customer (200,000 customers: ~725,000 orders, the size of the log that took
6 min 25 s and 1.1 GB to calibrate when issue 15 was filed). Each measurement runs in a fresh
process (so its peak memory is its own) and is repeated; the medians are printed, with CPU
time (the machine is shared: read CPU, wall is up to several times more under load) and the
peak resident memory of the process (VmHWM, imports included).

- ``twin N``: `simlib.twin(LOG, "2024-12-31", OUT)`: read the log, choose and fit the purchase
  process (auto) and the basket, test the new-buyer period, write twin.yaml, customers.csv and
  calibration/ (calibrate + twin);
- ``run N``: `simlib.run(OUT/twin.yaml, days=49)`: seat the N customers from their posterior and
  simulate 49 days with no lever;
- ``calibrate N``: `simlib calibrate transactions LOG --calibration-end 2024-09-30` (holdout to the
  end of the log, no plots), the command the issue timed.

    python benchmarks/twin_speed.py                        # 20,000 and 23,570: twin + run; 200,000: twin, run, calibrate; 1,000,000: twin
    python benchmarks/twin_speed.py --sizes 20000 --repeats 1 --skip-million   # a smoke run

Targets (issue 15): twin + a 49-day run under 30 s each at 20,000 and 23,570 (2 cores); calibrate
+ twin at 200,000 under 2 minutes and 1 GB; a quoted figure at 1,000,000.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ORIGIN = np.datetime64("2024-01-01")
END_DAY = 364            # orders to 2024-12-30
AS_OF = "2024-12-31"


def draw_log(n: int, seed: int = 0) -> pd.DataFrame:
    """BG/NBD orders of n customers (plain numpy), one row per order."""
    rng = np.random.default_rng(seed)
    first = rng.integers(0, 84, n)
    lam, p = rng.gamma(0.8, 1 / 62.0, n), rng.beta(0.8, 4.0, n)
    ids, days = [np.arange(n)], [first]
    clock, alive = first.astype(float), np.ones(n, bool)
    while alive.any():
        i = np.flatnonzero(alive)
        clock[i] += rng.exponential(1.0, i.size) / lam[i]
        inside = clock[i] <= END_DAY
        j = i[inside]
        ids.append(j)
        days.append(np.floor(clock[j]).astype(np.int64))
        alive[i[~inside]] = False
        alive[j[rng.random(j.size) < p[j]]] = False
    ids, days = np.concatenate(ids), np.concatenate(days)
    amount = np.round(np.exp(rng.normal(4.0, 0.6, ids.size)), 2)
    return pd.DataFrame({"customer_id": np.char.add("C", ids.astype(str)),
                         "date": (ORIGIN + days.astype("timedelta64[D]")).astype(str), "amount": amount})


def _peak_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def measure(kind: str, log: str, out: str) -> dict:
    """One measurement in this process (the child): its wall and CPU seconds and peak memory."""
    import simlib
    started, cpu = time.perf_counter(), time.process_time()
    if kind == "twin":
        simlib.twin(log, AS_OF, out)
    elif kind == "run":
        res = simlib.run(Path(out) / "twin.yaml", days=49)
        assert res.summary["purchases"] > 0
    elif kind == "calibrate":
        from simlib.calibrate.report import calibrate_transactions
        calibrate_transactions(log, "2024-09-30").write(out, plots=False)
    else:
        raise ValueError(kind)
    return {"wall_s": time.perf_counter() - started, "cpu_s": time.process_time() - cpu, "peak_mb": _peak_mb()}


def child(kind: str, log: Path, out: Path) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", kind, str(log), str(out)], capture_output=True,
                          text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[20_000, 23_570, 200_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-million", action="store_true", help="leave out 1,000,000")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "LOG", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(*args.child)))
        return
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for n in args.sizes:
            if n >= 1_000_000 and args.skip_million:
                continue
            log = Path(folder) / f"log_{n}.csv"
            frame = draw_log(n)
            frame.to_csv(log, index=False)
            kinds = ["twin", "run"] + (["calibrate"] if 100_000 <= n < 1_000_000 else [])
            repeats = 1 if n >= 1_000_000 else args.repeats
            for kind in kinds:
                out = Path(folder) / f"twin_{n}" if kind != "calibrate" else Path(folder) / f"cal_{n}"
                runs = [child(kind, log, out) for _ in range(repeats)]
                row = {"customers": n, "orders": len(frame), "step": kind, "repeats": repeats,
                       **{key: statistics.median(r[key] for r in runs) for key in runs[0]},
                       "cpu_s_all": ", ".join(f"{r['cpu_s']:.1f}" for r in runs)}
                rows.append(row)
                print(f"{n:>9,} customers, {len(frame):>9,} orders  {kind:<9}  median of {repeats}: "
                      f"{row['wall_s']:7.1f} s wall, {row['cpu_s']:7.1f} s CPU ({row['cpu_s_all']}), "
                      f"peak {row['peak_mb']:,.0f} MB", flush=True)
    print("\n" + pd.DataFrame(rows).round(1).to_string(index=False))


if __name__ == "__main__":
    main()
