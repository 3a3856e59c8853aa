"""Does a coupon test the engine did not generate fit, and does the fit predict the next one?

For each truth of ``uplift_generator.py`` (plain numpy: a linear lift with orders pulled forward
from the following weeks; a lift with a small post-promotion dip) and each trial:

1. a brand's customers are drawn: one group of ``--users`` gets a randomised 10 %-off coupon test
   (half treated), a second group of other customers of the same brand is the next campaign's;
2. the test is fitted through the engine: the market is the twin of the first group on the send
   date (``simlib.twin``: its own customers and histories, from the orders before it), and
   ``simlib.calibrate_uplift`` fits the promotion response in parts (``--fit promotion``) to the
   test's week-by-week arm totals;
3. the fit predicts a 20 %-off coupon to the second group (the twin of its own market), with the
   fitted parameters' uncertainty carried (``simlib.compare(..., uncertain=...)``): incremental
   orders per treated customer over 49 days, with a 95 % interval;
4. the truth is what that coupon adds to those customers, from the generator itself (the same
   customers with and without it, the same luck, averaged over draws of the luck).

Printed per truth: how often the interval holds the truth (aim >= 90 %), how often the predicted
sign is right (aim >= 95 %), and the in-sample fit of the test: the 49-day total per treated and
the week-by-week uplift, observed against fitted, and the J test.

    python benchmarks/uplift_independent.py --trials 20 --workers 2     # the figures in the report
    python benchmarks/uplift_independent.py --quick                     # 2 trials per truth, smaller

The fit reads the test as week-by-week arm totals (a results file); ``calibrate uplift --log
--assignment`` (per customer and week, from the log itself) replaces that once it is on main.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import uplift_generator as gen  # noqa: E402

START = np.datetime64("2024-01-01")      # day 0 of the history; the send date is HISTORY_DAYS later
SEND_DATE = str(START + np.timedelta64(gen.HISTORY_DAYS, "D"))
FIT_DEPTH, PREDICT_DEPTH = 0.10, 0.20
WEEKS = gen.WINDOW_DAYS // 7


def the_log(c: dict, o: dict, prefix: str) -> pd.DataFrame:
    """The orders as a team exports them: customer, date, amount paid."""
    day = np.floor(o["time"]).astype(np.int64) + gen.HISTORY_DAYS
    return pd.DataFrame({"customer_id": np.char.add(prefix, o["customer"].astype(str)),
                         "date": (START + day.astype("timedelta64[D]")).astype(str),
                         "amount_cny": np.round(o["amount_cny"] - o["discount_cny"], 2)})


def market_of(log: pd.DataFrame, folder: str, name: str):
    """The twin of these customers' market on the send date (``simlib.twin``): built from their
    orders before it, each simulated customer one of them with their own history (posterior
    draws), every effect an order log cannot identify neutral. Returns the twin's Scenario."""
    import simlib
    path = os.path.join(folder, f"{name}_orders.csv")
    log.to_csv(path, index=False)
    built = simlib.twin(path, as_of=SEND_DATE, out=os.path.join(folder, f"{name}_twin"), amount_col="amount_cny")
    return built.scenario


def with_coupon(market, depth: float):
    """The market with a coupon of ``depth`` off, valid 7 days, to every customer in the pond on day 0."""
    return market.override({"policies.coupon.type": "percentage_coupon", "policies.coupon.off_share": depth,
                            "policies.coupon.every_days": 10_000, "policies.coupon.valid_days": gen.VALID_DAYS},
                           source=f"{market.source} + {depth:.0%} off")


def weekly_totals(c: dict, o: dict, treated: np.ndarray) -> pd.DataFrame:
    """The test's arm totals by week (orders: one per customer and day; spend paid)."""
    orders = gen.weekly_per_customer(o, c["n"], WEEKS)
    w = (o["time"] >= 0) & (o["time"] < gen.WINDOW_DAYS)
    spend = np.zeros((c["n"], WEEKS))
    np.add.at(spend, (o["customer"][w], (o["time"][w] // 7).astype(int)), (o["amount_cny"] - o["discount_cny"])[w])
    rows = []
    for arm, mask in (("control", ~treated), ("coupon", treated)):
        for k in range(WEEKS):
            rows.append({"arm": arm, "week": k + 1, "customers": int(mask.sum()),
                         "orders": int(orders[mask, k].sum()), "spend_cny": round(float(spend[mask, k].sum()), 2)})
    return pd.DataFrame(rows)


def trial(job) -> dict:
    """One trial of one truth: draw, fit at 10 % off, predict 20 % off on other customers."""
    import simlib
    truth_name, index, users, reps = job
    truth = gen.TRUTHS[truth_name]
    rng = np.random.default_rng([20_240_601, list(gen.TRUTHS).index(truth_name), index])
    tested, nxt = gen.draw_customers(users, truth, rng), gen.draw_customers(users, truth, rng)
    treated = rng.permutation(users) < users // 2
    seen = gen.orders(tested, truth, FIT_DEPTH, treated)
    history_next = gen.orders(nxt, truth, 0.0, np.zeros(users, bool))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        log = the_log(tested, seen, "a")
        control = market_of(log, folder, "tested")
        weekly = weekly_totals(tested, seen, treated)
        results = os.path.join(folder, "test_weekly.csv")
        weekly.to_csv(results, index=False)
        fit = simlib.calibrate_uplift(results, control, fit="promotion", arms={"coupon": with_coupon(control, FIT_DEPTH)},
                                      days=gen.WINDOW_DAYS, seed=index)
        fit.write(folder)
        nxt_market = market_of(the_log(nxt, history_next, "b"), folder, "next")
        arms = {"none": nxt_market, "coupon": with_coupon(nxt_market, PREDICT_DEPTH)}
        decision = simlib.compare(arms, reps=reps, outcomes=["purchases"], days=gen.WINDOW_DAYS,
                                  seed=1000 + index, uncertain=os.path.join(folder, "fitted_uplift.yaml"))
        n_next = nxt_market.data["market"]["users"]
    row = decision.table.query("outcome == 'purchases' and arm == 'coupon'").iloc[0]
    per = np.array([row["diff"], row["diff_low"], row["diff_high"]]) / n_next
    truth_next = gen.true_incremental(nxt, truth, PREDICT_DEPTH, rng)
    obs = weekly.pivot(index="week", columns="arm", values="orders")
    m = fit.moments[fit.moments["outcome"] == "orders"].sort_values("period")
    base = obs["control"].to_numpy(float) / (users - treated.sum())
    fitted_weekly, observed_weekly = np.expm1(m["fitted"].to_numpy()), np.expm1(m["observed"].to_numpy())
    return {"truth": truth_name, "trial": index, "predicted": per[0], "low": per[1], "high": per[2],
            "true": truth_next, "inside": per[1] <= truth_next <= per[2], "sign_right": np.sign(per[0]) == np.sign(truth_next),
            "observed_total": float(np.sum(base * observed_weekly)), "fitted_total": float(np.sum(base * fitted_weekly)),
            "observed_weekly": observed_weekly, "fitted_weekly": fitted_weekly, "p_value": fit.p_value,
            "estimates": dict(fit.values), "std_errors": dict(zip(fit.keys, fit.std_errors)),
            "inseparable": fit.inseparable(), "seconds": time.perf_counter() - started}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--users", type=int, default=20_000, help="customers in the test, and in the next campaign")
    ap.add_argument("--reps", type=int, default=16, help="replications of the prediction (parameter draws x seeds)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--truths", nargs="+", default=list(gen.TRUTHS), choices=list(gen.TRUTHS))
    ap.add_argument("--quick", action="store_true", help="2 trials per truth, 8,000 customers, 8 replications")
    args = ap.parse_args(argv)
    if args.quick:
        args.trials, args.users, args.reps = 2, 8_000, 8
    jobs = [(t, i, args.users, args.reps) for t in args.truths for i in range(args.trials)]
    print(f"{len(jobs)} trials ({args.trials} per truth), {args.users:,} customers per test and per next campaign, "
          f"fit at {FIT_DEPTH:.0%} off, predict {PREDICT_DEPTH:.0%} off; {args.workers} worker(s)", flush=True)
    out = []
    with ProcessPoolExecutor(max_workers=max(1, min(args.workers, 2))) as pool:
        for r in pool.map(trial, jobs):
            print(f"  {r['truth']:<13}{r['trial']:>3}: predicted {r['predicted']:+.4f} [{r['low']:+.4f}, "
                  f"{r['high']:+.4f}], truth {r['true']:+.4f} {'in' if r['inside'] else 'OUT'}; test total observed "
                  f"{r['observed_total']:+.4f} fitted {r['fitted_total']:+.4f}; J p {r['p_value']:.2f}; "
                  + ", ".join(f"{k.split('.')[-1]} {v:.3g}" for k, v in r["estimates"].items())
                  + f" ({r['seconds']:.0f} s)", flush=True)
            out.append(r)
    frame = pd.DataFrame(out)
    for name, g in frame.groupby("truth", sort=False):
        print(f"\n{name}: {len(g)} trials")
        print(f"  95 % interval of incremental orders per treated at {PREDICT_DEPTH:.0%} off holds the truth: "
              f"{g['inside'].mean():.0%} ({int(g['inside'].sum())}/{len(g)}); sign right: {g['sign_right'].mean():.0%}")
        print(f"  truth {g['true'].mean():+.4f} per treated (mean), predicted {g['predicted'].mean():+.4f}, "
              f"mean interval width {(g['high'] - g['low']).mean():.4f}")
        err = g["fitted_total"] - g["observed_total"]
        print(f"  in-sample, 49-day total per treated: observed {g['observed_total'].mean():+.4f}, fitted "
              f"{g['fitted_total'].mean():+.4f} (mean over trials; mean |fitted - observed| {err.abs().mean():.4f})")
        ow, fw = np.vstack(g["observed_weekly"]), np.vstack(g["fitted_weekly"])
        print("  in-sample, weekly uplift (mean over trials): observed " + " ".join(f"{x:+.1%}" for x in ow.mean(0)))
        print("                                               fitted   " + " ".join(f"{x:+.1%}" for x in fw.mean(0)))
        print(f"  J test rejects at 5 %: {np.mean(g['p_value'] < 0.05):.0%}; parts not separated in "
              f"{np.mean([bool(x) for x in g['inseparable']]):.0%} of trials")
    return 0


if __name__ == "__main__":
    sys.exit(main())
