r"""Does a coupon test the engine did not generate fit, and does the fit predict the next one?

For each truth of ``uplift_generator.py`` (plain numpy: a linear lift with orders pulled forward
from the following weeks; a lift with a small post-promotion dip) and each trial:

1. a brand's customers are drawn: one group of ``--users`` gets a randomised 10 %-off coupon test
   (half treated), a second group of other customers of the same brand is the next campaign's;
2. the test is fitted as a team fits theirs, from its order log and assignment file
   (``simlib.calibrate_uplift(log=..., assignment=..., arms={"coupon": offer}, window_days=49,
   fit=["promotion"])``): the market is the log's twin on the send date, the outcomes each
   customer's orders per week of the window (CUPED on the 49 days before), and the promotion
   response is fitted in parts, in each of its two forms of the dip after the coupon (the
   immediate lift with buying ahead and reference prices; the immediate lift with stockpiling),
   weighed by their fit;
3. the fit predicts a 20 %-off coupon sent to the second group, in the twin of their own market
   (``simlib.twin`` on the send date, ``simlib.compare(..., assignment=..., uncertain=fit)``), the
   fitted parameters' uncertainty carried: incremental orders per treated customer over 49
   days (``purchases_per_treated``), with a 95 % interval;
4. the truth is what that coupon adds to those customers, from the generator itself (the same
   customers with and without it, the same luck, averaged over draws of the luck).

The same path from the command line, per trial:

    simlib calibrate uplift --log orders.csv --assignment past_ab.csv --arm coupon=coupon_10.yaml \
        --window-days 49 --fit promotion --amount-col amount_cny --out fit
    simlib twin next_orders.csv --as-of SEND_DATE --amount-col amount_cny --new-buyer-period off --out twin
    simlib compare twin/twin.yaml coupon_20.yaml --assignment next_ab.csv --days 49 \
        --uncertain fit/fitted_uplift.yaml

Printed per truth: how often the interval holds the truth (aim >= 90 %), how often the predicted
sign is right (aim >= 95 %), and the in-sample fit of the test: the 49-day total per treated and
the week-by-week uplift, observed against fitted, and the J test.

    python benchmarks/uplift_independent.py --trials 20 --workers 2     # the figures in the report
    python benchmarks/uplift_independent.py --quick                     # 2 trials per truth, smaller
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


TWIN_OPTIONS = {"new_buyers": "off"}     # the test's customers only: the generator has no newcomers after the send date


def offer_file(folder: str, depth: float) -> str:
    """What the treated customers got, as a team writes it: a coupon of ``depth`` off, valid 7
    days, sent once on the send date."""
    path = os.path.join(folder, f"coupon_{round(depth * 100)}.yaml")
    with open(path, "w") as f:
        f.write(f"policies:\n  coupon: {{type: percentage_coupon, off_share: {depth}, valid_days: {gen.VALID_DAYS}, "
                f"on_date: {SEND_DATE}}}\n")
    return path


def trial(job) -> dict:
    """One trial of one truth: draw, fit at 10 % off, predict 20 % off on other customers, all
    through the public path a team runs (the CLI's equivalents in the module docstring)."""
    import simlib
    truth_name, index, users, reps, max_iter, keys = job
    truth = gen.TRUTHS[truth_name]
    rng = np.random.default_rng([20_240_601, list(gen.TRUTHS).index(truth_name), index])
    tested, nxt = gen.draw_customers(users, truth, rng), gen.draw_customers(users, truth, rng)
    treated = rng.permutation(users) < users // 2
    seen = gen.orders(tested, truth, FIT_DEPTH, treated)
    history_next = gen.orders(nxt, truth, 0.0, np.zeros(users, bool))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        # 1. the past test: the order log and who was in which arm
        log_path, ab_path = os.path.join(folder, "orders.csv"), os.path.join(folder, "past_ab.csv")
        the_log(tested, seen, "a").to_csv(log_path, index=False)
        pd.DataFrame({"customer_id": np.char.add("a", np.arange(users).astype(str)),
                      "arm": np.where(treated, "coupon", "control")}).to_csv(ab_path, index=False)
        # 2. simlib calibrate uplift --log orders.csv --assignment past_ab.csv --arm coupon=coupon_10.yaml
        #    --window-days 49 --fit promotion
        fit = simlib.calibrate_uplift(log=log_path, assignment=ab_path, arms={"coupon": offer_file(folder, FIT_DEPTH)},
                                      window_days=gen.WINDOW_DAYS, fit=list(keys), columns={"amount_col": "amount_cny"},
                                      twin_options=TWIN_OPTIONS, twin_out=os.path.join(folder, "fit_twin"),
                                      seed=index, max_iter=max_iter)
        fit.write(os.path.join(folder, "fit"))
        # 3. the next campaign's customers: their own log, the twin on the send date, the planned coupon
        next_log, next_ids = os.path.join(folder, "next_orders.csv"), os.path.join(folder, "next_ab.csv")
        the_log(nxt, history_next, "b").to_csv(next_log, index=False)
        pd.DataFrame({"customer_id": np.char.add("b", np.arange(users).astype(str))}).to_csv(next_ids, index=False)
        today = simlib.twin(next_log, SEND_DATE, os.path.join(folder, "next_twin"), amount_col="amount_cny",
                            **TWIN_OPTIONS)
        twin_today = today.scenario
        offer = twin_today.override({"policies": {"coupon": {"type": "percentage_coupon", "off_share": PREDICT_DEPTH,
                                                             "valid_days": gen.VALID_DAYS, "on_date": SEND_DATE}}},
                                    source=f"the planned coupon, {PREDICT_DEPTH:.0%} off")
        # 4. simlib compare twin.yaml coupon_20.yaml --assignment next_ab.csv --days 49 --uncertain fitted_uplift.yaml
        decision = simlib.compare({"twin": twin_today, "coupon": offer}, reps=reps, days=gen.WINDOW_DAYS,
                                  seed=1000 + index, assignment=next_ids, workers=1,
                                  uncertain=os.path.join(folder, "fit", "fitted_uplift.yaml"))
    row = decision.table.query("outcome == 'purchases_per_treated' and arm == 'coupon'").iloc[0]
    per = np.array([row["diff"], row["diff_low"], row["diff_high"]], float)
    truth_next = gen.true_incremental(nxt, truth, PREDICT_DEPTH, rng)
    m = fit.moments[fit.moments["outcome"] == "orders"].sort_values("period")
    totals = fit.per_treated().set_index("outcome")
    return {"truth": truth_name, "trial": index, "predicted": per[0], "low": per[1], "high": per[2],
            "true": truth_next, "inside": per[1] <= truth_next <= per[2], "sign_right": np.sign(per[0]) == np.sign(truth_next),
            "observed_total": float(totals.loc["orders", "observed"]), "observed_se": float(totals.loc["orders", "std_error"]),
            "fitted_total": float(totals.loc["orders", "fitted"]),
            "observed_weekly": np.expm1(m["observed"].to_numpy()), "fitted_weekly": np.expm1(m["fitted"].to_numpy()),
            "p_value": fit.p_value, "estimates": dict(sorted({**fit.fixed, **fit.values}.items())),
            "std_errors": {**{k: 0.0 for k in fit.fixed}, **dict(zip(fit.keys, fit.std_errors))},
            "inseparable": fit.inseparable(), "form": fit.form.name if fit.form is not None else "",
            "weight_buyers": next((w for f, w in fit.forms if f.form.name == "dip follows the buyers"), float("nan")),
            "seconds": time.perf_counter() - started}


def saved_row(r: dict) -> dict:
    """A trial's row as one CSV line (weekly uplifts and estimates as text)."""
    out = {k: v for k, v in r.items() if k not in ("observed_weekly", "fitted_weekly", "estimates", "std_errors",
                                                   "inseparable")}
    out["observed_weekly"] = " ".join(f"{x:.6f}" for x in r["observed_weekly"])
    out["fitted_weekly"] = " ".join(f"{x:.6f}" for x in r["fitted_weekly"])
    for k, v in r["estimates"].items():
        out[k] = v
        out[k + ".se"] = float(r["std_errors"][k])
    out["inseparable"] = len(r["inseparable"])
    return out


def summary(frame: pd.DataFrame) -> None:
    """Per truth: coverage and sign of the prediction, the in-sample fit, the estimates."""
    for name, g in frame.groupby("truth", sort=False):
        inside = g["inside"].astype(bool)
        print(f"\n{name}: {len(g)} trials")
        print(f"  95 % interval of incremental orders per treated at {PREDICT_DEPTH:.0%} off holds the truth: "
              f"{inside.mean():.0%} ({int(inside.sum())}/{len(g)}); sign right: {g['sign_right'].astype(bool).mean():.0%}")
        print(f"  truth {g['true'].mean():+.4f} per treated (mean), predicted {g['predicted'].mean():+.4f}, "
              f"mean interval width {(g['high'] - g['low']).mean():.4f}")
        err = g["fitted_total"] - g["observed_total"]
        print(f"  in-sample, 49-day total per treated: observed {g['observed_total'].mean():+.4f} (mean se "
              f"{g['observed_se'].mean():.4f}), fitted {g['fitted_total'].mean():+.4f} (means over trials; mean "
              f"|fitted - observed| {err.abs().mean():.4f})")
        ow = np.vstack([np.array(str(x).split(), float) for x in g["observed_weekly"]])
        fw = np.vstack([np.array(str(x).split(), float) for x in g["fitted_weekly"]])
        print("  in-sample, weekly uplift (mean over trials): observed " + " ".join(f"{x:+.1%}" for x in ow.mean(0)))
        print("                                               fitted   " + " ".join(f"{x:+.1%}" for x in fw.mean(0)))
        keys = [c for c in g.columns if c.startswith("behavior.") and not c.endswith(".se")]
        print("  estimates (mean, sd over trials; mean se): " + "; ".join(
            f"{k.split('.')[-1]} {g[k].mean():.3g}, {g[k].std():.3g}; {g[k + '.se'].mean():.3g}" for k in keys))
        if "weight_buyers" in g and g["weight_buyers"].notna().any():
            print(f"  forms of the dip: 'dip follows the buyers' weighs {g['weight_buyers'].mean():.0%} on average "
                  f"(min {g['weight_buyers'].min():.0%}, max {g['weight_buyers'].max():.0%}); the fragment's form: "
                  + ", ".join(f"{k} {v}" for k, v in g["form"].value_counts().items()))
        print(f"  J test rejects at 5 %: {np.mean(g['p_value'] < 0.05):.0%}; parts not separated in "
              f"{np.mean(g['inseparable'] > 0):.0%} of trials; median {g['seconds'].median():.0f} s wall per trial")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--first-trial", type=int, default=0, help="number of the first trial (to add trials to a saved "
                                                               "run: its seeds are the trial numbers)")
    ap.add_argument("--users", type=int, default=20_000, help="customers in the test, and in the next campaign")
    ap.add_argument("--reps", type=int, default=16, help="replications of the prediction (parameter draws x seeds)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--max-iter", type=int, default=12, help="Levenberg-Marquardt iterations of each fit")
    ap.add_argument("--truths", nargs="+", default=list(gen.TRUTHS), choices=list(gen.TRUTHS))
    ap.add_argument("--fit", nargs="+", default=["promotion"], metavar="KEY",
                    help="what the test fits (default: promotion, the three parts; e.g. promotion behavior.stockpile_share)")
    ap.add_argument("--save", metavar="CSV", help="append each trial's row to this file as it finishes")
    ap.add_argument("--summarize", metavar="CSV", help="print the summary of trials saved earlier (--save), run nothing")
    ap.add_argument("--quick", action="store_true", help="2 trials per truth, 8,000 customers, 8 replications")
    args = ap.parse_args(argv)
    if args.summarize:
        summary(pd.read_csv(args.summarize))
        return 0
    if args.quick:
        args.trials, args.users, args.reps = 2, 8_000, 8
    # trial by trial, every truth in turn: a run stopped early has as many trials of each
    jobs = [(t, i, args.users, args.reps, args.max_iter, tuple(args.fit)) for i in range(args.first_trial, args.first_trial + args.trials)
            for t in args.truths]
    print(f"{len(jobs)} trials ({args.trials} per truth), {args.users:,} customers per test and per next campaign, "
          f"fit {' '.join(args.fit)} at {FIT_DEPTH:.0%} off, predict {PREDICT_DEPTH:.0%} off; {args.workers} worker(s)", flush=True)
    out = []
    with ProcessPoolExecutor(max_workers=max(1, min(args.workers, 2))) as pool:
        for r in pool.map(trial, jobs):
            print(f"  {r['truth']:<13}{r['trial']:>3}: predicted {r['predicted']:+.4f} [{r['low']:+.4f}, "
                  f"{r['high']:+.4f}], truth {r['true']:+.4f} {'in' if r['inside'] else 'OUT'}; test total observed "
                  f"{r['observed_total']:+.4f} fitted {r['fitted_total']:+.4f}; J p {r['p_value']:.2f}; "
                  + ", ".join(f"{k.split('.')[-1]} {v:.3g}" for k, v in r["estimates"].items())
                  + (f"; form '{r['form']}', buyers' weight {r['weight_buyers']:.0%}" if r["form"] else "")
                  + f" ({r['seconds']:.0f} s)", flush=True)
            out.append(saved_row(r))
            if args.save:
                pd.DataFrame([out[-1]]).to_csv(args.save, mode="a", index=False,
                                               header=not os.path.exists(args.save) or os.path.getsize(args.save) == 0)
    summary(pd.DataFrame(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
