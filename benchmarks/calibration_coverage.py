"""Coverage of the calibration intervals, process selection and holdout error over repeated
trials (not part of the test run).

Transactions: for each true process (BG/NBD, Pareto/NBD, MBG/CNBD-3 regular buyers) draw
logs from known parameters with the seeded simulators of `simlib.calibrate.synthetic`,
calibrate with ``process="auto"``, and count: how often each 95 % interval of the true
process's fit holds the truth, which process the selector chose, and the chosen model's
holdout error against its sampling error. Funnel (--funnel-trials K): simulate weekly counts
with the engine at known hazards, fit by simulated moments, count covering intervals and
p-values below 5 % (for the true model and for a clearly wrong one). Model v2 with a pond
(--pond-trials K): the engine runs the `pond` preset (churn in time as well as after orders, a
pond that retains, reference prices, competitors' share) and its buyers of days 0-89 are the log;
no closed form is true here, so the figures are the process chosen and the holdout error.

    python benchmarks/calibration_coverage.py --quick                 # smoke run, ~2 minutes
    python benchmarks/calibration_coverage.py --trials 30             # transactions, ~25 minutes
    python benchmarks/calibration_coverage.py --trials 0 --funnel-trials 40   # ~9 minutes
    python benchmarks/calibration_coverage.py --trials 0 --funnel-trials 40 --funnel-first-seed 40  # 40 more
    python benchmarks/calibration_coverage.py --trials 0 --seasonal-trials 10
    python benchmarks/calibration_coverage.py --trials 0 --pond-trials 10
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

TRUE_PROCESSES = {  # name -> (parameters, first-purchase dropout, Erlang k, family the selector may pick)
    "bgnbd": ({"r": 0.6, "alpha": 30.0, "a": 1.2, "b": 4.0}, False, 1, ("bgnbd", "bgnbd-daily")),
    "pnbd": ({"r": 0.6, "alpha": 30.0, "s": 0.8, "beta": 150.0}, False, 1, ("pnbd",)),
    "cnbd": ({"r": 2.0, "alpha": 60.0, "a": 1.2, "b": 4.0}, True, 3, ("cnbd",)),
}
CALIBRATION_END, HOLDOUT_END, ACQUISITION_DAYS = 270, 450, 90


def transaction_trial(truth: str, seed: int, customers: int) -> dict:
    from simlib.calibrate.report import calibrate_log
    from simlib.calibrate.synthetic import simulate_process
    from simlib.calibrate.transactions import transactions_from_frame
    params, first, k, family = TRUE_PROCESSES[truth]
    rng = np.random.default_rng([seed, list(TRUE_PROCESSES).index(truth)])
    occ = simulate_process(rng, rng.integers(0, ACQUISITION_DAYS, customers), HOLDOUT_END, params, first, k)
    cal = calibrate_log(transactions_from_frame(occ), CALIBRATION_END, HOLDOUT_END, process="auto")
    own = cal.comparison["summary"].set_index("process")
    true_fit = _true_fit(cal, truth)
    table = true_fit.table()
    row = {"truth": truth, "seed": seed, "chosen": cal.fit.process, "chosen_k": cal.fit.regularity,
           "in_family": cal.fit.process in family, "true_k": true_fit.regularity,
           "holdout_error": cal.check["relative_difference"], "z": cal.check["z"],
           "true_holdout_error": own.loc[truth, "holdout_error"], "true_z": own.loc[truth, "holdout_z"],
           "bgnbd_holdout_error": own.loc["bgnbd", "holdout_error"]}
    for name, value in params.items():
        row[f"cover_{name}"] = bool(table.loc[name, "lower"] <= value <= table.loc[name, "upper"])
        row[f"est_{name}"] = table.loc[name, "estimate"]
    return row


def _true_fit(cal, truth):
    """The true process's fit on the whole calibration period (auto fits every candidate)."""
    return cal.comparison["fits"][truth]


def summarize_transactions(rows: pd.DataFrame, customers: int) -> None:
    print(f"\nTransactions: {rows.groupby('truth').size().iloc[0]} trials per process x {customers} customers, "
          f"calibration days 0-{CALIBRATION_END}, holdout to day {HOLDOUT_END}, nominal 95 % intervals")
    for truth, group in rows.groupby("truth", sort=False):
        params = TRUE_PROCESSES[truth][0]
        cover = ", ".join(f"{k} {group[f'cover_{k}'].mean():.0%}" for k in params)
        means = ", ".join(f"{k} {group[f'est_{k}'].mean():.3g} (truth {v:g})" for k, v in params.items())
        picks = group["chosen"].value_counts().to_dict()
        print(f"  true {truth}: coverage {cover}")
        print(f"    mean estimates {means}")
        if truth == "cnbd":
            print(f"    fitted k: {group['true_k'].value_counts().sort_index().to_dict()} (truth 3)")
        print(f"    selected: {picks}; the true family in {group['in_family'].mean():.0%} of trials")
        print(f"    holdout error of the selected model: mean {group['holdout_error'].mean():+.1%}, "
              f"mean z {group['z'].mean():+.2f}, |z| < 1.96 in {np.mean(np.abs(group['z']) < 1.96):.0%}; "
              f"true model mean {group['true_holdout_error'].mean():+.1%} (|z| < 1.96 in "
              f"{np.mean(np.abs(group['true_z']) < 1.96):.0%}); BG/NBD mean {group['bgnbd_holdout_error'].mean():+.1%}")


def pond_trial(seed: int, users: int = 20_000) -> dict:
    """The engine's `pond` preset (model v2) for HOLDOUT_END days; the log is every order of the
    customers whose first order fell in days 0 .. ACQUISITION_DAYS - 1."""
    import simlib
    from simlib.calibrate.report import calibrate_log
    from simlib.calibrate.transactions import transactions_from_frame
    scenario = simlib.load_scenario("pond")
    tx = simlib.run(scenario, seed=seed, users=users, days=HOLDOUT_END + 1, record_transactions=True).transactions
    first = tx.groupby("customer_id")["day"].transform("min")
    cohort = tx[first < ACQUISITION_DAYS]
    cal = calibrate_log(transactions_from_frame(cohort, source=f"pond seed {seed}"), CALIBRATION_END, HOLDOUT_END,
                        process="auto")
    own = cal.comparison["summary"].set_index("process")
    return {"seed": seed, "customers": int(cohort["customer_id"].nunique()), "chosen": cal.fit.process,
            "chosen_k": cal.fit.regularity, "holdout_error": cal.check["relative_difference"], "z": cal.check["z"],
            **{f"{p}_error": own.loc[p, "holdout_error"] for p in own.index}}


def summarize_pond(rows: pd.DataFrame) -> None:
    print(f"\nModel v2 with a pond (`pond` preset, engine logs): {len(rows)} trials, "
          f"{rows['customers'].mean():,.0f} customers on average, calibration days 0-{CALIBRATION_END}, "
          f"holdout to day {HOLDOUT_END}")
    print(f"  selected: {rows['chosen'].value_counts().to_dict()}")
    print(f"  holdout error of the selected model: mean {rows['holdout_error'].mean():+.1%}, mean |error| "
          f"{rows['holdout_error'].abs().mean():.1%}, |z| < 1.96 in {np.mean(np.abs(rows['z']) < 1.96):.0%}")
    for col in [c for c in rows.columns if c.endswith("_error") and c != "holdout_error"]:
        print(f"    {col[:-6]:<12} mean {rows[col].mean():+.1%}, mean |error| {rows[col].abs().mean():.1%}")


SEASONAL_INDEX = [0.8, 0.7, 1.0, 0.9, 0.9, 1.5, 0.8, 0.8, 0.9, 1.0, 1.7, 1.0]   # mean 1: 618 and Double 11


def seasonal_trial(seed: int, customers: int) -> dict:
    """A BG/NBD log with a monthly index (acquired Jan-Apr 2023, calibration to 2024-05-15,
    holdout to 2024-12-30): holdout error with the index declared, fitted, and ignored."""
    from simlib.calibrate.report import calibrate_log
    from simlib.calibrate.synthetic import simulate_process
    from simlib.calibrate.transactions import TransactionLog
    rng = np.random.default_rng([seed, 99])
    params = {"r": 0.6, "alpha": 30.0, "a": 1.0, "b": 6.0}
    occ = simulate_process(rng, rng.integers(0, 120, customers), 729, params, seasonal_index=SEASONAL_INDEX,
                           origin="2023-01-01")
    log = TransactionLog(occ, pd.Timestamp("2023-01-01"), f"seasonal {seed}", len(occ))
    row = {}
    for name, seasonal in (("declared", SEASONAL_INDEX), ("fitted", "fit"), ("none", None)):
        cal = calibrate_log(log, "2024-05-15", "2024-12-30", process="bgnbd", seasonal=seasonal)
        row[f"{name}_error"], row[f"{name}_z"] = cal.check["relative_difference"], cal.check["z"]
        if name == "fitted":
            table = cal.clock.table()
            row["index_cover"] = float(np.mean((table["lower"] <= SEASONAL_INDEX) & (SEASONAL_INDEX <= table["upper"])))
    return row


def summarize_seasonal(rows: pd.DataFrame, customers: int) -> None:
    print(f"\nSeasonal BG/NBD: {len(rows)} trials x {customers} customers, index {SEASONAL_INDEX}")
    for name in ("declared", "fitted", "none"):
        print(f"  index {name:<8}: holdout error mean {rows[f'{name}_error'].mean():+.1%}, mean z "
              f"{rows[f'{name}_z'].mean():+.2f}, |z| < 1.96 in {np.mean(np.abs(rows[f'{name}_z']) < 1.96):.0%}")
    print(f"  fitted index: 95 % intervals hold the true multiplier for {rows['index_cover'].mean():.0%} of months")


def funnel_trial(seed: int, weeks: int, omega_runs: int, wrong: bool = True) -> dict:
    import simlib
    from simlib.calibrate.funnel import FunnelData, fit_funnel
    truth = {"behavior.interest_per_day": 0.02, "behavior.first_purchase_per_day": 0.01}
    source = simlib.load_scenario("baseline").override(truth)
    users = 20_000
    daily = simlib.run(source, seed=1000 + seed, users=users, days=weeks * 7).daily
    ends = np.arange(1, weeks + 1) * 7 - 1
    counts = pd.DataFrame({s: daily[s].to_numpy()[ends] for s in simlib.STAGES}, index=np.arange(1, weeks + 1))
    data = FunnelData(counts.astype(float), 7, users, None, None, f"trial {seed}")
    fit = fit_funnel(data, simlib.load_scenario("baseline"), keys=list(truth), omega_runs=omega_runs, seed=seed)
    table = fit.table()
    row = {f"cover_{k}": bool(table.loc[k, "lower"] <= v <= table.loc[k, "upper"]) for k, v in truth.items()}
    row.update({k: table.loc[k, "estimate"] for k in truth})
    row.update({f"se_{k}": table.loc[k, "std_error"] for k in truth})
    # z in log hazard, the scale of the sandwich: sd 1 (1.03 for t with 38 df) when the se is right
    row.update({f"z_{k}": np.log(table.loc[k, "estimate"] / v) * table.loc[k, "estimate"] / table.loc[k, "std_error"]
                for k, v in truth.items()})
    row["p_value"] = fit.p_value
    # a clearly wrong model: dormancy fixed 4x too high, the same two hazards fitted
    row["p_wrong"] = np.nan
    if wrong:
        model = simlib.load_scenario("baseline").override({"behavior.dormancy_per_day": 0.04})
        row["p_wrong"] = fit_funnel(data, model, keys=list(truth), omega_runs=omega_runs, seed=seed).p_value
    return row


def summarize_funnel(rows: pd.DataFrame, weeks: int) -> None:
    print(f"\nFunnel: {len(rows)} trials, baseline market of 20,000, {weeks} weeks, MSM sandwich 95 %")
    for k in ("behavior.interest_per_day", "behavior.first_purchase_per_day"):
        z = rows[f"z_{k}"]
        print(f"  {k:<24} mean estimate {rows[k].mean():.4g}, sd of estimates {rows[k].std():.3g}, "
              f"mean std error {rows[f'se_{k}'].mean():.3g} ({rows[f'se_{k}'].mean() / rows[k].std():.0%} of the sd), "
              f"coverage {rows[f'cover_{k}'].mean():.0%}")
        print(f"  {'':<24} z = log(estimate / truth) / se: mean {z.mean():+.2f}, sd {z.std():.2f} "
              f"+- {z.std() / np.sqrt(2 * (len(z) - 1)):.2f}, |z| > 2 in {np.mean(np.abs(z) > 2):.0%}")
    print(f"  true model:  rejected at 5 % (p <= 0.05) in {np.mean(rows['p_value'] <= 0.05):.0%} of trials "
          f"(smallest p {rows['p_value'].min():.3g})")
    wrong = rows["p_wrong"].dropna()
    print(f"  wrong model (dormancy 4x): rejected at 5 % in {np.mean(wrong <= 0.05):.0%} of {len(wrong)} trials "
          f"(largest p {wrong.max():.3g})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=30, help="transaction trials per true process")
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--processes", default=",".join(TRUE_PROCESSES), help="true processes to draw from")
    parser.add_argument("--funnel-trials", type=int, default=0)
    parser.add_argument("--funnel-first-seed", type=int, default=0,
                        help="seed of the first funnel trial (to add trials to an earlier run's)")
    parser.add_argument("--funnel-out", help="CSV of the funnel trials (to pool runs)")
    parser.add_argument("--seasonal-trials", type=int, default=0)
    parser.add_argument("--pond-trials", type=int, default=0, help="engine logs of the pond preset (model v2)")
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--omega-runs", type=int, default=39, help="engine runs for the funnel sandwich")
    parser.add_argument("--wrong-trials", type=int, default=10, help="funnel trials that also fit a wrong model")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 trials of 800 customers, 1 funnel trial")
    args = parser.parse_args()
    if args.quick:
        args.trials, args.customers, args.funnel_trials = 2, 800, 1
        args.seasonal_trials = 1
    started = time.perf_counter()
    if args.trials:
        rows = []
        for truth in args.processes.split(","):
            for s in range(args.trials):
                rows.append(transaction_trial(truth, s, args.customers))
                r = rows[-1]
                print(f"  {truth} trial {s + 1}/{args.trials}: chosen {r['chosen']} (k={r['chosen_k']}), "
                      f"holdout error {r['holdout_error']:+.1%} (z {r['z']:+.2f})", flush=True)
        summarize_transactions(pd.DataFrame(rows), args.customers)
    if args.pond_trials:
        rows = []
        for s in range(args.pond_trials):
            rows.append(pond_trial(s))
            print(f"  pond trial {s + 1}/{args.pond_trials}: {rows[-1]['customers']:,} customers, chosen "
                  f"{rows[-1]['chosen']}, holdout error {rows[-1]['holdout_error']:+.1%} (z {rows[-1]['z']:+.2f})",
                  flush=True)
        summarize_pond(pd.DataFrame(rows))
    if args.seasonal_trials:
        rows = [seasonal_trial(s, args.customers) for s in range(args.seasonal_trials)]
        summarize_seasonal(pd.DataFrame(rows), args.customers)
    if args.funnel_trials:
        rows = []
        first = args.funnel_first_seed
        for s in range(first, first + args.funnel_trials):
            rows.append(funnel_trial(s, args.weeks, args.omega_runs, wrong=s - first < args.wrong_trials))
            print(f"  funnel trial {s + 1 - first}/{args.funnel_trials} (seed {s}): interest {rows[-1]['behavior.interest_per_day']:.4g}, "
                  f"first purchase {rows[-1]['behavior.first_purchase_per_day']:.4g}, p {rows[-1]['p_value']:.3g}, "
                  f"p(wrong) {rows[-1]['p_wrong']:.3g}", flush=True)
        if args.funnel_out:
            pd.DataFrame(rows).assign(seed=range(first, first + args.funnel_trials)).to_csv(args.funnel_out, index=False)
        summarize_funnel(pd.DataFrame(rows), args.weeks)
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
