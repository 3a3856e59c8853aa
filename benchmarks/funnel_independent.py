"""Funnel calibration on markets it did not generate: fit the first half, predict the second.

The markets are written here in plain numpy, without simlib, with mechanisms of their own:
people on a feed (60 %) or a search channel (40 %), each seeing their channel's ads unevenly
(log-normal exposure), an impression making an unaware person aware with a fixed chance (no
saturation cap: CPM rising with spend is what bends the curve where a market has it); word of
mouth from buyers of the last 30 days (a box, not an exponential fade); interest and first
purchase hazards that differ between people (log-normal); ads also nudging the aware to interest;
no forgetting and no losing interest; repeat buying at gamma rates, "dormant" after 60 days
without an order (an operator's recency rule, not a hazard), dormant customers lost at a hazard.
Weekly budgets follow a flighting plan: each week x U(0.5, 1.5) for both channels together, x
U(0.9, 1.1) per channel. Four markets:

    uneven_exposure   exposure sd_log 1.0; the budgets keep their plan in the second half
    word_of_mouth     strong word of mouth (4x), mild exposure spread
    budget_change     both budgets double from week 14, after a two-week test at that level (weeks 10-11)
    cpm_rising        as budget_change, and CPM rises with spend (elasticity 0.35)

Each trial draws a market of 25,000 people for 26 weeks with its own seed, writes what a team
has (weekly stage counts, new interested, new buyers, spend per channel; the state at week 0)
and a scenario a team would write (two channels with the shares and average CPMs they pay,
reach guessed at a round 0.003 per impression), fits `simlib calibrate funnel` to weeks 1-13
(`--holdout-weeks 13`) and predicts weeks 14-26 with the data's spend. Reported: the in-sample
fit (RMSE, Q, p) and, for the held-out weeks' new interested and new buyers, the error of the
predicted total and whether the observed total is inside the 95 % prediction band.

    python benchmarks/funnel_independent.py --trials 5            # 5 per market, 20 fits
    python benchmarks/funnel_independent.py --trials 1 --markets budget_change
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

STAGES = ("unaware", "aware", "interested", "purchased", "loyal", "dormant", "lost")
UNAWARE, AWARE, INTERESTED, PURCHASED, LOYAL, DORMANT, LOST = range(7)
PEOPLE, WEEKS, FIT_WEEKS = 25_000, 26, 13
CHANNELS = {"feed": {"share": 0.6, "budget_per_day": 1000.0, "cpm": 40.0},
            "search": {"share": 0.4, "budget_per_day": 500.0, "cpm": 60.0}}
CORE = {
    "aware_per_impression": 0.003,  # chance an impression makes an unaware person aware
    "exposure_sd_log": 0.6,         # spread of exposure to one's channel's ads (log-normal, mean 1)
    "organic_per_day": 0.0002,      # awareness without ads or talk
    "talk_per_day": 0.05,           # awareness per unit share of the channel's buyers of the last 30 days
    "talk_days": 30,
    "interest_per_day": 0.02,       # aware -> interested, times the person's propensity
    "interest_sd_log": 0.7,
    "ad_nudge": 0.3,                # ads' extra interest hazard, as a share of their awareness hazard
    "first_purchase_per_day": 0.015,
    "first_purchase_sd_log": 0.8,
    "repeat_shape": 1.0, "repeat_mean_per_day": 0.02,
    "dormant_after_days": 60, "dormant_lost_per_day": 0.01, "dormant_buy_share": 0.3,
    "cpm_elasticity": 0.0,          # CPM = cpm * (budget / planned budget) ** elasticity
    "budget_factor_from_week_14": 1.0,
    "flighting": 0.5,               # the week's budget = plan x U(1 - this, 1 + this), both channels together,
    "channel_noise": 0.1,           # x U(1 - this, 1 + this) per channel
    "test_weeks": (),               # weeks of the first half spent at the second half's level (a budget test)
}
MARKETS = {
    "uneven_exposure": {"exposure_sd_log": 1.0},
    "word_of_mouth": {"talk_per_day": 0.2, "exposure_sd_log": 0.3},
    "budget_change": {"budget_factor_from_week_14": 2.0, "test_weeks": (10, 11)},
    "cpm_rising": {"cpm_elasticity": 0.35, "budget_factor_from_week_14": 2.0, "test_weeks": (10, 11)},
}


def simulate_market(market: dict, seed: int) -> tuple[pd.DataFrame, dict]:
    """Weekly counts, flows and spend of one market (row 0: the state at the start)."""
    m = {**CORE, **market}
    rng = np.random.default_rng(seed)
    n = PEOPLE
    names = list(CHANNELS)
    channel = (rng.random(n) >= CHANNELS["feed"]["share"]).astype(int)      # 0 feed, 1 search
    size = np.bincount(channel, minlength=2).astype(float)

    def lognormal(sd):
        return rng.lognormal(-sd**2 / 2, sd, n)   # mean 1
    exposure, interest, purchase = (lognormal(m["exposure_sd_log"]), lognormal(m["interest_sd_log"]),
                                    lognormal(m["first_purchase_sd_log"]))
    repeat_rate = rng.gamma(m["repeat_shape"], m["repeat_mean_per_day"] / m["repeat_shape"], n)
    stage = np.zeros(n, int)
    start = rng.random(n)
    stage[start < 0.04] = AWARE
    stage[(start >= 0.04) & (start < 0.05)] = INTERESTED
    last_order = np.full(n, -10_000)
    bought = np.zeros(n, bool)
    first_day = np.full(n, -10_000)
    plan = np.array([CHANNELS[c]["budget_per_day"] for c in names])
    cpm0 = np.array([CHANNELS[c]["cpm"] for c in names])
    rows = [dict(week=0, **{s: int(np.sum(stage == k)) for k, s in enumerate(STAGES)}, new_interested=0,
                 new_buyers=0, **{f"ad_spend_cny.{c}_ads": 0.0 for c in names})]
    for week in range(1, WEEKS + 1):
        factor = m["budget_factor_from_week_14"] if week >= 14 or week in m["test_weeks"] else 1.0
        flight = rng.uniform(1 - m["flighting"], 1 + m["flighting"])
        budget = plan * factor * flight * rng.uniform(1 - m["channel_noise"], 1 + m["channel_noise"], 2)
        cpm = cpm0 * (budget / plan) ** m["cpm_elasticity"]
        per_member = budget / cpm * 1000 / size                               # impressions a day
        ad = m["aware_per_impression"] * per_member                           # per unit exposure
        new_interested = new_buyers = 0
        for day in range((week - 1) * 7, week * 7):
            recent = np.bincount(channel[bought & (day - first_day <= m["talk_days"])], minlength=2) / size
            u = rng.random(n)
            hazard = m["organic_per_day"] + ad[channel] * exposure + m["talk_per_day"] * recent[channel]
            to_aware = (stage == UNAWARE) & (u < -np.expm1(-hazard))
            h_int = interest * (m["interest_per_day"] + m["ad_nudge"] * ad[channel] * exposure)
            to_interest = (stage == AWARE) & (u < -np.expm1(-h_int))
            to_buy = (stage == INTERESTED) & (u < -np.expm1(-purchase * m["first_purchase_per_day"]))
            active = (stage == PURCHASED) | (stage == LOYAL)
            rate = np.where(stage == DORMANT, m["dormant_buy_share"] * repeat_rate, repeat_rate)
            repeat = (active | (stage == DORMANT)) & (rng.random(n) < -np.expm1(-rate))
            lose = (stage == DORMANT) & ~repeat & (rng.random(n) < m["dormant_lost_per_day"])
            stage[to_aware] = AWARE
            stage[to_interest] = INTERESTED
            stage[to_buy] = PURCHASED
            bought |= to_buy
            first_day[to_buy] = day
            last_order[to_buy | repeat] = day
            stage[repeat] = LOYAL
            stage[lose] = LOST
            quiet = ((stage == PURCHASED) | (stage == LOYAL)) & (day - last_order > m["dormant_after_days"])
            stage[quiet] = DORMANT
            new_interested += int(to_interest.sum())
            new_buyers += int(to_buy.sum())
        rows.append(dict(week=week, **{s: int(np.sum(stage == k)) for k, s in enumerate(STAGES)},
                         new_interested=new_interested, new_buyers=new_buyers,
                         **{f"ad_spend_cny.{c}_ads": round(float(b * 7), 2) for c, b in zip(names, budget)}))
    return pd.DataFrame(rows), m


REPORTED = ["week", "unaware", "aware", "interested", "new_interested", "new_buyers"]   # a funnel dashboard


def team_data(frame: pd.DataFrame, path: Path) -> Path:
    """What the team's dashboard shows: reach and leads, new leads and new buyers, spend; weeks 1-26."""
    spend = [c for c in frame.columns if c.startswith("ad_spend_cny.")]
    frame[frame.week > 0][REPORTED + spend].to_csv(path, index=False)
    return path


def team_scenario(path: Path, start: pd.Series) -> Path:
    """What a team writes: its market, where it stood at the start, its two channels with their
    shares and the CPMs it pays; reach guessed at 0.003 per impression, saturation at 0.05 a day."""
    initial = {s: round(start[s] / PEOPLE, 6) for s in STAGES[1:] if start[s] > 0}
    lines = ["name: team_funnel", "market:", f"  users: {PEOPLE}",
             "  initial_stage: {" + ", ".join(f"{k}: {v}" for k, v in initial.items()) + "}", "  channels:"]
    lines += [f"    {c}: {{share: {v['share']}, word_of_mouth: 1.0}}" for c, v in CHANNELS.items()]
    lines += ["policies:"]
    for c, v in CHANNELS.items():
        lines += [f"  {c}_ads:", "    type: paid_acquisition", f"    channel: {c}",
                  f"    budget_cny_per_day: {v['budget_per_day']}", f"    cpm_cny: {v['cpm']}",
                  "    awareness_per_impression: 0.003", "    max_awareness_per_day: 0.05"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def trial(market: str, seed: int, folder: Path, fit: list | None, draws: int, omega_runs: int) -> dict:
    from simlib.calibrate import calibrate_funnel
    frame, _ = simulate_market(MARKETS[market], seed)
    data = team_data(frame, folder / f"{market}_{seed}.csv")
    scenario = team_scenario(folder / "team.yaml", frame.iloc[0])
    started = time.process_time()
    result = calibrate_funnel(data, scenario, fit_keys=fit, holdout_weeks=WEEKS - FIT_WEEKS, seed=seed,
                              omega_runs=omega_runs)
    held = result.predict(draws=draws)
    row = {"market": market, "seed": seed, "Q": result.objective, "p": result.p_value,
           "moments": result.observed.shape[0] * (result.observed.shape[1] - 1),
           "rmse_max_pp": max(result.rmse.values()), "parameters": len(result.keys),
           "not_identified": int((~result.identification.identified).sum()), "cpu_s": time.process_time() - started}
    for column in ("new_interested", "new_buyers"):
        t = held.totals.loc[column]
        row[f"{column}_observed"] = t["observed"]
        row[f"{column}_predicted"] = t["predicted"]
        row[f"{column}_error"] = t["error"]
        row[f"{column}_inside"] = bool(t["lower"] <= t["observed"] <= t["upper"])
        fitted = result.fitted[column].sum() * result.size
        seen = result.observed[column].sum() * result.size
        row[f"{column}_in_sample_error"] = (fitted - seen) / seen
    return row


def summarize(rows: pd.DataFrame) -> None:
    print(f"\n{len(rows)} trials; fitted weeks 1-{FIT_WEEKS}, predicted weeks {FIT_WEEKS + 1}-{WEEKS} "
          "(totals of the held-out weeks)")
    for column in ("new_interested", "new_buyers"):
        err = rows[f"{column}_error"]
        print(f"  {column:<15} within 10 %: {np.mean(np.abs(err) <= 0.10):.0%}  inside the 95 % band: "
              f"{rows[f'{column}_inside'].mean():.0%}  mean error {err.mean():+.1%}, mean |error| {err.abs().mean():.1%}, "
              f"largest {err.abs().max():.1%}; in-sample total error mean {rows[f'{column}_in_sample_error'].mean():+.1%}")
    both_within = np.mean((rows["new_interested_error"].abs() <= 0.1) & (rows["new_buyers_error"].abs() <= 0.1))
    print(f"  both within 10 %: {both_within:.0%}")
    print(f"  in-sample: Q mean {rows['Q'].mean():.0f} on {rows['moments'].iloc[0]} moments, p <= 0.05 in "
          f"{np.mean(rows['p'] <= 0.05):.0%}, largest RMSE per column mean {rows['rmse_max_pp'].mean():.2f} "
          f"percentage points; parameters {rows['parameters'].iloc[0]}, not identified per fit "
          f"{rows['not_identified'].mean():.1f}; CPU {rows['cpu_s'].median():.0f} s per fit (median)")
    by = rows.groupby("market")[["new_interested_error", "new_buyers_error"]].agg(lambda e: np.mean(np.abs(e)))
    print("  mean |error| by market:\n" + by.to_string(float_format=lambda v: f"{v:.1%}"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, default=5, help="trials per market")
    ap.add_argument("--markets", default=",".join(MARKETS))
    ap.add_argument("--fit", help="comma-separated keys (default: the command's default fit)")
    ap.add_argument("--draws", type=int, default=40, help="runs behind each prediction band")
    ap.add_argument("--omega-runs", type=int, default=39)
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--out", help="CSV of the trials")
    args = ap.parse_args(argv)
    fit = [k.strip() for k in args.fit.split(",")] if args.fit else None
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for market in args.markets.split(","):
            for seed in range(args.first_seed, args.first_seed + args.trials):
                rows.append(trial(market, seed, Path(tmp), fit, args.draws, args.omega_runs))
                r = rows[-1]
                print(f"  {market} seed {seed}: new interested {r['new_interested_error']:+.1%} "
                      f"({'in' if r['new_interested_inside'] else 'OUT'}), new buyers {r['new_buyers_error']:+.1%} "
                      f"({'in' if r['new_buyers_inside'] else 'OUT'}); Q {r['Q']:.0f}, p {r['p']:.3g}, "
                      f"{r['cpu_s']:.0f} CPU s", flush=True)
    frame = pd.DataFrame(rows)
    if args.out:
        frame.to_csv(args.out, index=False)
    summarize(frame)
    return 0


if __name__ == "__main__":
    sys.exit(main())
