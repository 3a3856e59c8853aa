"""Recovery of effect sizes from simulated past campaigns: coverage of the 95 % intervals.

Five past campaigns, each simulated by the engine with known effect sizes (the truth below),
as a team would export them: a coupon test (per customer), staff chats after a four-week
warm-up (per customer, with pre-period activity), useful content to never-bought pond members
(per arm and week), a journey with a 50 % holdout (a chat, then a coupon), and a points
programme (per customer). They are fitted jointly (``simlib.calibrate_uplift``) for
discount_effect, chat_effect, content_effect and the points programme's goal_effect; each
trial draws new data (new seeds) and a new fitting seed. Printed: the share of trials whose
95 % interval holds the truth, per effect; the mean estimate and standard error; the
goodness-of-fit test's rejection rate under the true model (nominal 5 %); and, with
--misspecified, how often it rejects a model whose fixed chat effect is wrong.

    python benchmarks/uplift_recovery.py                 # 20 trials (about 40-60 min on 2 cores)
    python benchmarks/uplift_recovery.py --quick         # 4 smaller trials, a few minutes
    python benchmarks/uplift_recovery.py --trials 30 --workers 2
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

TRUTH = {"behavior.discount_effect": 5.0, "behavior.chat_effect": 1.3, "behavior.content_effect": 1.1,
         "policies.points.goal_effect": 0.35}
START = {"behavior.discount_effect": 8.0, "behavior.chat_effect": 1.0, "behavior.content_effect": 0.8,
         "policies.points.goal_effect": 0.25}   # the shipped defaults: where the fit starts
BASE = {
    "name": "past_campaign",
    "market": {"users": 20000, "days": 28, "channels": {"wechat": {"share": 1.0, "word_of_mouth": 0.0}},
               "initial_stage": {"purchased": 0.4, "loyal": 0.4, "dormant": 0.2}, "initial_in_pond": 1.0,
               "initial_days_since_order": {"dist": "uniform", "low": 0, "high": 60}},
    "policies": {},
}


def _scenario(name, policies=None, **market):
    import copy

    import simlib
    data = copy.deepcopy(BASE)
    data["name"] = name
    data["market"].update(market)
    data["policies"] = policies or {}
    return simlib.scenario_from_dict(data, source=f"<{name}>")


def campaigns(users: int):
    """(name, control scenario, treated arms, options) of the five past campaigns."""
    never_bought = {"initial_stage": {"aware": 0.7, "interested": 0.1}}
    chats = {"type": "staff_chats", "start_day": 28, "staff_members": 20, "chats_per_staff_per_day": 200,
             "repurchase_cycle_days": 28, "revisits_per_cycle": 4, "wake_dormant_every_days": 7}
    journey = {"type": "journey", "holdout_percent": 50, "entry": {"trigger": "days_since_purchase", "days": 10},
               "steps": [{"assign_chat": {}}, {"wait": 3}, {"give_coupon": {"off_share": 0.15, "valid_days": 7}}]}
    return [
        ("coupon", _scenario("control"), {"coupon": _scenario("coupon", {"coupon": {
            "type": "percentage_coupon", "off_share": 0.3, "every_days": 14, "valid_days": 14}})},
         {"users": users, "days": 28}),
        ("chats", _scenario("control", days=56), {"chats": _scenario("chats", {"chats": chats}, days=56)},
         {"users": users, "days": 28, "window_start": 28}),
        ("content", _scenario("control", **never_bought, days=56),
         {"content": _scenario("content", {"posts": {"type": "content_broadcast", "every_days": 2, "quality": 0.9}},
                               **never_bought, days=56)},
         {"users": 2 * users, "days": 56, "weekly": True}),
        ("journey", _scenario("journey", {"sop": journey}), None, {"users": users, "days": 28}),
        ("points", _scenario("control"), {"points": _scenario("points", {"points": {
            "type": "points_program", "welcome_points": 1000}})}, {"users": users, "days": 28}),
    ]


def trial(args):
    """One trial: simulate the five campaigns at the truth, fit them jointly; returns the table."""
    import os
    import tempfile

    from simlib.calibrate.uplift import calibrate_uplift
    from simlib.calibrate.uplift.synthetic import campaign_results
    index, users, fit_keys, fixed = args
    specs = []
    with tempfile.TemporaryDirectory() as folder:
        for k, (name, control, arms, opt) in enumerate(campaigns(users)):
            data = campaign_results(control, arms, truth=TRUTH, users=opt["users"], days=opt["days"],
                                    window_start=opt.get("window_start", 0), seed=100_000 * (index + 1) + 10 * k,
                                    weekly=opt.get("weekly", False))
            path = os.path.join(folder, f"{name}.csv")
            data.to_csv(path, index=False)
            if fixed:   # the misspecified model: these keys held at a wrong value in every scenario
                control = control.override(fixed)
                arms = {a: s.override(fixed) for a, s in (arms or {}).items()} or None
            specs.append({"results": path, "scenario": control, "arms": arms, "users": opt["users"],
                          "days": opt["days"], "window_start": opt.get("window_start", 0), "name": name})
        started = time.perf_counter()
        fit = calibrate_uplift(specs, fit=fit_keys, seed=7 * index + 1)
        seconds = time.perf_counter() - started
    return fit.table(), fit.p_value, fit.dof, fit.evaluations, seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--users", type=int, default=20_000, help="customers per arm and campaign (content: twice)")
    parser.add_argument("--workers", type=int, default=2, help="processes (at most 2 on shared machines)")
    parser.add_argument("--quick", action="store_true", help="4 trials of 10,000 customers per arm")
    parser.add_argument("--misspecified", type=int, default=0, metavar="N",
                        help="also N trials fitting all but chat_effect, held at 0.5 (truth 1.3): the test should reject")
    args = parser.parse_args(argv)
    if args.quick:
        args.trials, args.users = 4, 10_000
    keys = list(TRUTH)
    print(f"truth: " + ", ".join(f"{k} = {v:g}" for k, v in TRUTH.items()))
    print(f"{args.trials} trials, {args.users:,} customers per arm (content campaign {2 * args.users:,}), "
          f"{args.workers} worker(s)", flush=True)
    jobs = [(i, args.users, keys, None) for i in range(args.trials)]
    wrong = [k for k in keys if k != "behavior.chat_effect"]
    jobs += [(1000 + i, args.users, wrong, {"behavior.chat_effect": 0.5}) for i in range(args.misspecified)]
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=max(1, min(args.workers, 2))) as pool:
        results = []
        for job, result in zip(jobs, pool.map(trial, jobs)):
            table, p_value, _, _, seconds = result
            inside = sum(table.loc[k, "lower"] <= TRUTH[k] <= table.loc[k, "upper"] for k in table.index)
            kind = "misspecified" if job[3] else "trial"
            print(f"  {kind} {job[0]:>4}: " + ", ".join(f"{k.split('.')[-1]} {table.loc[k, 'estimate']:.3g}"
                                                      f" ± {table.loc[k, 'std_error']:.2g}" for k in table.index)
                  + f"; {inside}/{len(table)} intervals hold the truth; J test p = {p_value:.3f} ({seconds:.0f} s)",
                  flush=True)
            results.append(result)
    honest, misspecified = results[:args.trials], results[args.trials:]
    print(f"\nwall time {time.perf_counter() - started:,.0f} s; per trial: median {np.median([r[4] for r in results]):.0f} s "
          f"fitting, {np.median([r[3] for r in results]):.0f} moment evaluations")
    print(f"\n{'effect':<30}{'truth':>7}{'mean est':>10}{'sd est':>9}{'mean se':>9}{'coverage 95%':>14}")
    covered_all = []
    for key in keys:
        est = np.array([r[0].loc[key, "estimate"] for r in honest])
        se = np.array([r[0].loc[key, "std_error"] for r in honest])
        inside = np.array([r[0].loc[key, "lower"] <= TRUTH[key] <= r[0].loc[key, "upper"] for r in honest])
        covered_all.append(inside)
        print(f"{key:<30}{TRUTH[key]:>7.3g}{est.mean():>10.3f}{est.std(ddof=1) if len(est) > 1 else 0:>9.3f}"
              f"{se.mean():>9.3f}{inside.mean():>10.0%} ({inside.sum()}/{inside.size})")
    pooled = np.concatenate(covered_all)
    print(f"{'all effects':<30}{'':>35}{pooled.mean():>10.0%} ({pooled.sum()}/{pooled.size})")
    p = np.array([r[1] for r in honest])
    print(f"\ngoodness of fit under the true model: {np.mean(p < 0.05):.0%} of {p.size} trials rejected at 5 % "
          f"(J test, {honest[0][2]} degrees of freedom; nominal 5 %)")
    if misspecified:
        q = np.array([r[1] for r in misspecified])
        print(f"misspecified (chat_effect held at 0.5, truth 1.3): rejected in {np.mean(q < 0.05):.0%} of {q.size} trials")
    return 0


if __name__ == "__main__":
    sys.exit(main())
