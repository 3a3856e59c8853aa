"""Coverage of the calibration intervals over repeated trials (not part of the test run).

Transactions: draw a market from known BG/NBD parameters (the independent generator, or the
engine with --engine), fit, and count how often each 95 % interval holds the truth; also
compare the holdout prediction with the actual holdout total. Funnel (--funnel-trials K):
simulate weekly counts with the engine at known hazards, fit by simulated moments, count
covering intervals.

    python benchmarks/calibration_coverage.py --trials 100
    python benchmarks/calibration_coverage.py --trials 20 --engine --funnel-trials 10
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

TRUTH = {"r": 0.6, "alpha": 30.0, "a": 1.2, "b": 4.0}


def transaction_trial(seed: int, customers: int, engine: bool):
    from simlib.calibrate.report import calibrate_log
    from simlib.calibrate.synthetic import simulate_repeat_buying
    from simlib.calibrate.transactions import transactions_from_frame
    if engine:
        import simlib
        sc = simlib.scenario_from_dict({
            "name": "coverage", "market": {"users": customers, "days": 420,
                                           "channels": {"market": {"share": 1.0, "word_of_mouth": 0.0}},
                                           "initial_stage": {"interested": 1.0}},
            "traits": {"purchase_rate_per_day": {"dist": "gamma", "shape": TRUTH["r"], "scale": 1 / TRUTH["alpha"]},
                       "dropout_after_purchase": {"dist": "beta", "a": TRUTH["a"], "b": TRUTH["b"]}},
            "behavior": {"awareness_per_day": 0.0, "word_of_mouth_per_day": 0.0, "first_purchase_per_day": 0.02,
                         "lose_interest_per_day": 0.0, "dormancy_per_day": 0.0, "unsubscribe_per_day": 0.0,
                         "trust_effect": 0.0, "social_proof_effect": 0.0}})
        log = transactions_from_frame(simlib.run(sc, seed=seed, record_transactions=True).transactions)
        cal_end, hold_end = 279, 419
    else:
        rng = np.random.default_rng(seed)
        occ = simulate_repeat_buying(rng, rng.integers(0, 90, customers), 450, *TRUTH.values())
        log = transactions_from_frame(occ)
        cal_end, hold_end = 270, 450
    cal = calibrate_log(log, cal_end, hold_end)
    table = cal.fit.table()
    row = {f"cover_{k}": bool(table.loc[k, "lower"] <= v <= table.loc[k, "upper"]) for k, v in TRUTH.items()}
    row.update({k: table.loc[k, "estimate"] for k in TRUTH})
    row.update(actual=cal.check["actual"], predicted=cal.check["predicted"], z=cal.check["z"])
    return row


def funnel_trial(seed: int, weeks: int):
    import simlib
    from simlib.calibrate.funnel import FunnelData, fit_funnel
    truth = {"interest_per_day": 0.02, "first_purchase_per_day": 0.01}
    source = simlib.load_scenario("baseline").override({f"behavior.{k}": v for k, v in truth.items()})
    users = 20_000
    daily = simlib.run(source, seed=1000 + seed, users=users, days=weeks * 7).daily
    ends = np.arange(1, weeks + 1) * 7 - 1
    counts = pd.DataFrame({s: daily[s].to_numpy()[ends] for s in simlib.STAGES}, index=np.arange(1, weeks + 1))
    data = FunnelData(counts.astype(float), 7, users, None, None, f"trial {seed}")
    fit = fit_funnel(data, simlib.load_scenario("baseline"), keys=list(truth), omega_runs=12, seed=seed)
    table = fit.table()
    row = {f"cover_{k}": bool(table.loc[k, "lower"] <= v <= table.loc[k, "upper"]) for k, v in truth.items()}
    row.update({k: table.loc[k, "estimate"] for k in truth})
    row["p_value"] = fit.p_value
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--engine", action="store_true", help="draw transaction logs with the engine")
    parser.add_argument("--funnel-trials", type=int, default=0)
    parser.add_argument("--weeks", type=int, default=12)
    args = parser.parse_args()
    started = time.perf_counter()
    if args.trials:
        rows = []
        for s in range(args.trials):
            rows.append(transaction_trial(s, args.customers, args.engine))
            print(f"  trial {s + 1}/{args.trials}: " + ", ".join(f"{k} {rows[-1][k]:.4g}" for k in TRUTH), flush=True)
        rows = pd.DataFrame(rows)
        source = "engine" if args.engine else "independent generator"
        print(f"Transactions: {args.trials} trials x {args.customers} customers ({source}), nominal 95 % intervals")
        for k, v in TRUTH.items():
            print(f"  {k:<6} truth {v:<6g} mean estimate {rows[k].mean():<9.4g} coverage {rows[f'cover_{k}'].mean():.0%}")
        print(f"  holdout total: actual mean {rows['actual'].mean():.1f}, predicted mean {rows['predicted'].mean():.1f}, "
              f"|z| < 1.96 in {np.mean(np.abs(rows['z']) < 1.96):.0%} of trials, mean z {rows['z'].mean():+.2f}")
    if args.funnel_trials:
        rows = []
        for s in range(args.funnel_trials):
            rows.append(funnel_trial(s, args.weeks))
            print(f"  funnel trial {s + 1}/{args.funnel_trials}: interest {rows[-1]['interest_per_day']:.4g}, "
                  f"first purchase {rows[-1]['first_purchase_per_day']:.4g}", flush=True)
        rows = pd.DataFrame(rows)
        print(f"Funnel: {args.funnel_trials} trials, baseline market of 20,000, {args.weeks} weeks, MSM sandwich 95 %")
        for k in ("interest_per_day", "first_purchase_per_day"):
            print(f"  {k:<24} mean estimate {rows[k].mean():.4g}  coverage {rows[f'cover_{k}'].mean():.0%}")
        print(f"  simulated p-value < 0.05 in {np.mean(rows['p_value'] < 0.05):.0%} of trials")
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
