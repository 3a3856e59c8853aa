"""simlib against a plain numpy reference step (baseline at 1M), and simlib's every-lever throughput.

    python benchmarks/numpy_reference.py                 # 1M customers x 365 days, 3 repeats (~5-10 min)
    python benchmarks/numpy_reference.py --quick         # 100k customers, 1 repeat (a smoke run)
    python benchmarks/numpy_reference.py --scale-budgets # ad pressure per customer as in the scenario's own market
    python benchmarks/numpy_reference.py --skip-levers   # only the reference comparison

Targets (issue 9, "Speed"), all at 1M customers x 365 days:
  - the `baseline` scenario within 2x of the plain numpy reference below (simlib / reference,
    CPU time; the issue measured about 1.2x);
  - every lever on (`scenarios/all_levers.yaml`): no lower than 10-14 M customer-days per CPU
    second, aim 25 M;
  - peak memory of the every-lever run at most 150 bytes per customer.

The reference is what a minimal daily-step implementation of the baseline funnel must do,
written plainly in numpy (no simlib code runs in it; simlib only resolves the scenario file into
numbers): per day one uniform per customer decides that customer's competing transitions
(forward, back, churn) with chance 1 - exp(-total hazard) split by hazard shares; awareness
per channel from the ads' saturating reach, organic awareness and word of mouth (buyer share x
susceptibility); the logit purchase lift from trust and social proof; dormancy and churn lowered
by trust; orders as Poisson draws for buyers (first orders on the move to purchased), GMV, and
trust decay and gain; the day's stage counts, orders and GMV recorded. What it leaves out,
and simlib does: exact event times within the day (several moves a day, orders at their own
times), orders booked one by one (values around the mean basket, coupons, the ledger), keyed
random numbers for common random numbers across arms, the reference price (inert here: no
discounts), policies as SimPy processes. Its buyers and orders are printed beside simlib's so
you can see both do the same work (they agree to a few per cent, not exactly: the chain is
discretised differently).

Both run in fresh processes, alternating (reference, simlib, reference, ...) so background load
on the shared machine hits both; medians over the repeats. A real 1M market: market.represents
is set to the number of customers, so the baseline's ads reach 1M real people (a light load:
few customers move). ``--scale-budgets`` multiplies every policy's CNY-per-day budget by
users / market.users, so the 1M market gets the ad pressure per customer of the scenario's own
20k market (about a third of the market buys in the year), in both the reference and simlib.
The every-lever figures come from benchmarks/throughput.py's measurement (same conventions).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import measure as measure_simlib, owner_table, state_bytes  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
UNAWARE, AWARE, INTERESTED, PURCHASED, LOYAL, DORMANT, LOST = range(7)


def _draw(dist: dict, rng: np.random.Generator, n: int) -> np.ndarray:
    """n draws of a scenario trait distribution, as float32."""
    kind = dist["dist"]
    if kind == "constant":
        out = np.full(n, dist["value"])
    elif kind == "uniform":
        out = rng.uniform(dist["low"], dist["high"], n)
    elif kind == "gamma":
        out = rng.gamma(dist["shape"], dist["scale"], n)
    elif kind == "beta":
        out = rng.beta(dist["a"], dist["b"], n)
    else:
        out = rng.lognormal(dist["mean_log"], dist["sd_log"], n)
    return out.astype(np.float32)


def scenario_numbers(users: int, days: int, scale_budgets: bool) -> dict:
    """The baseline's numbers, resolved by simlib's scenario loader (the only simlib code used)."""
    import simlib
    sc = simlib.load_scenario("baseline")
    d = sc.data
    factor = users / d["market"]["users"] if scale_budgets else 1.0
    channels = list(d["market"]["channels"])
    ads = []   # (channel index, impressions per day, awareness per impression, saturation)
    for name, cfg in d["policies"].items():
        if cfg["type"] != "paid_acquisition" or not cfg["enabled"]:
            raise SystemExit(f"the reference knows paid_acquisition only; baseline now has {name}: {cfg['type']}")
        ads.append((channels.index(cfg["channel"]), cfg["budget_cny_per_day"] * factor / cfg["cpm_cny"] * 1000.0,
                    cfg["awareness_per_impression"], cfg["max_awareness_per_day"]))
    if d["behavior"].get("seasonal_index") is not None:
        raise SystemExit("the reference has no seasons; baseline now sets behavior.seasonal_index")
    return {"users": users, "days": days, "behavior": d["behavior"], "traits": d["traits"],
            "shares": [c["share"] for c in d["market"]["channels"].values()],
            "word_of_mouth": [c["word_of_mouth"] for c in d["market"]["channels"].values()],
            "initial_stage": d["market"]["initial_stage"], "cogs_share": d["economics"]["cogs_share"], "ads": ads}


def reference_run(s: dict, seed: int) -> dict:
    """The plain numpy baseline: state and traits as arrays, one pass over the population per day.
    Returns the totals and the timed part's wall and CPU seconds."""
    n, days, b = s["users"], s["days"], s["behavior"]
    f32 = np.float32
    rng = np.random.default_rng(seed)
    shares = np.asarray(s["shares"])
    size = np.floor(shares * n).astype(np.int64)
    size[0] += n - size.sum()
    edges = np.concatenate([[0], np.cumsum(size)])
    blocks = [slice(int(a), int(z)) for a, z in zip(edges[:-1], edges[1:])]   # customers numbered by channel
    channel = np.repeat(np.arange(len(size), dtype=np.int8), size)
    susceptibility = _draw(s["traits"]["social_susceptibility"], rng, n)
    rate = _draw(s["traits"]["purchase_rate_per_day"], rng, n)
    lifetime = _draw(s["traits"]["lifetime_hazard_per_day"], rng, n)
    basket = _draw(s["traits"]["basket_value_cny"], rng, n)
    stage = np.zeros(n, np.int8)
    u0 = rng.random(n)
    edge = 0.0
    for name, share in s["initial_stage"].items():
        stage[(u0 > edge) & (u0 <= edge + share)] = ("unaware", "aware", "interested", "purchased", "loyal",
                                                     "dormant", "lost").index(name)
        edge += share
    orders = np.zeros(n, np.int32)
    orders[stage == PURCHASED] = 1
    orders[(stage == LOYAL) | (stage == DORMANT)] = 2
    trust = np.zeros(n, f32)
    ad = np.zeros(len(size))
    for c, impressions, per_impression, cap in s["ads"]:   # the saturating reach of the ads, per real member
        ad[c] += cap * -np.expm1(-per_impression * impressions / size[c] / cap)
    organic, wom = b["awareness_per_day"], b["word_of_mouth_per_day"] * np.asarray(s["word_of_mouth"])
    s0 = b["baseline_brand_share"]
    trust_decay = f32(0.5 ** (1.0 / b["trust_half_life_days"]))
    keep_purchase = f32(1 - b["trust_gain_purchase"])
    buyers_by_channel = np.bincount(channel[orders > 0], minlength=len(size)).astype(np.float64)
    rows = np.zeros((days, 9))   # stage counts, orders, GMV
    counts = np.bincount(stage, minlength=7)   # customers per stage, kept up to date

    t0, c0 = time.perf_counter(), time.process_time()
    for day in range(days):
        u = rng.random(n, dtype=np.float32)            # one uniform per customer per day
        share = buyers_by_channel / size
        act = np.flatnonzero((stage > UNAWARE) & (stage < LOST))   # in the funnel at the start of the day
        # the unaware, channel by channel: one forward exit (awareness)
        for c, sl in enumerate(blocks):
            hazard = f32(organic + ad[c]) + f32(wom[c] * share[c]) * susceptibility[sl]
            block = stage[sl]
            aware = (block == UNAWARE) & (u[sl] < -np.expm1(-hazard))
            block[aware] = AWARE
            became_aware = np.count_nonzero(aware)
            counts[UNAWARE] -= became_aware
            counts[AWARE] += became_aware
        st = stage[act]
        ch = channel[act]
        tr = trust[act]
        social = f32(b["social_proof_effect"]) * susceptibility[act] * share[ch].astype(f32)
        common = f32(b["trust_effect"]) * tr + social
        e = np.exp(common)
        lift = e if s0 <= 0 else e / (f32(1 - s0) + f32(s0) * e)   # logit brand choice
        keep = np.exp(f32(-b["retention_trust_effect"]) * tr)
        is_aware, is_interested, is_dormant = st == AWARE, st == INTERESTED, st == DORMANT
        active_buyer = (st == PURCHASED) | (st == LOYAL)
        buyer = active_buyer | is_dormant
        forward = (is_aware * (f32(b["interest_per_day"]) + f32(b["ad_interest_ratio"]) * ad[ch].astype(f32)) * e
                   + is_interested * f32(b["first_purchase_per_day"]) * lift + is_dormant * f32(b["wake_per_day"]))
        back = (is_aware * f32(b["forget_per_day"]) + is_interested * f32(b["lose_interest_per_day"])
                + active_buyer * f32(b["dormancy_per_day"]) * keep)
        churn = buyer * (lifetime[act] + is_dormant * f32(b["dormant_loss_per_day"])) * keep
        total = forward + back + churn
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(total > 0, -np.expm1(-total) / total, 0)
        ua = u[act]
        go_forward = ua < forward * scale
        go_back = ~go_forward & (ua < (forward + back) * scale)
        go_churn = ~go_forward & ~go_back & (ua < total * scale)
        # repeat orders of buyers (dormant ones at a fraction), Poisson over the day
        order_rate = rate[act] * lift * (active_buyer + is_dormant * f32(b["dormant_purchase_factor"]))
        np.minimum(order_rate, f32(b["max_orders_per_day"]), out=order_rate)
        placed = np.zeros(act.size, np.int32)
        who = np.flatnonzero(buyer)
        placed[who] = rng.poisson(order_rate[who])
        placed += go_forward & is_interested            # the first order
        # new stages
        new = st.copy()
        new[go_forward & is_aware] = INTERESTED
        new[go_forward & is_interested] = PURCHASED
        new[go_back & is_aware] = UNAWARE
        new[go_back & is_interested] = AWARE
        new[go_back & active_buyer] = DORMANT
        new[go_churn] = LOST
        n_orders = orders[act] + placed
        wake = (go_forward & is_dormant) | (is_dormant & (placed > 0) & ~go_churn)
        new[wake] = PURCHASED
        repeat = (placed > 0) & (n_orders >= 2) & (new != LOST) & (new != DORMANT)
        new[repeat | (wake & (n_orders >= 2))] = LOYAL
        first = (orders[act] == 0) & (placed > 0)
        buyers_by_channel += np.bincount(ch[first], minlength=len(size))
        orders[act] = n_orders
        stage[act] = new
        counts += np.bincount(new, minlength=7) - np.bincount(st, minlength=7)
        # trust decays for everyone active, each order closes a share of the gap to 1
        tr *= trust_decay
        bought = placed > 0
        tr[bought] = 1 - (1 - tr[bought]) * keep_purchase ** placed[bought]
        trust[act] = tr
        rows[day, :7] = counts
        rows[day, 7] = placed.sum()
        rows[day, 8] = float(np.dot(placed.astype(np.float32), basket[act]))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert np.array_equal(counts, np.bincount(stage, minlength=7)), "stage counts drifted from the stages"
    return {"wall": wall, "cpu": cpu, "buyers": int(np.count_nonzero(orders > 0)), "orders": int(rows[:, 7].sum()),
            "gmv_cny": float(rows[:, 8].sum())}


def _rss(field: str) -> int:
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) * 1024
    return 0


def _child(argv) -> None:
    users, days, seed, scale = int(argv[0]), int(argv[1]), int(argv[2]), argv[3] == "1"
    numbers = scenario_numbers(users, days, scale)
    before = _rss("VmRSS:")
    out = reference_run(numbers, seed)
    out["peak_bytes"] = _rss("VmHWM:") - before
    print(json.dumps(out))


def measure_reference(users: int, days: int, seed: int, scale: bool) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", str(users), str(days), str(seed), "1" if scale else "0"],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return _child(argv[1:])
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--scale-budgets", action="store_true")
    ap.add_argument("--skip-levers", action="store_true", help="leave out the every-lever throughput")
    ap.add_argument("--quick", action="store_true", help="100k customers, 1 repeat")
    args = ap.parse_args(argv)
    if args.quick:
        args.users, args.repeats = 100_000, 1
    n, days = args.users, args.days
    print(f"cores: {os.cpu_count()}; load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"baseline, {n:,} customers x {days} days (a real market: represents = users), "
          f"scale_budgets={args.scale_budgets}, median of {args.repeats}, each run in a fresh process, alternating")
    ref, sim = [], []
    for seed in range(args.repeats):
        ref.append(measure_reference(n, days, seed, args.scale_budgets))
        sim.append(measure_simlib("baseline", n, days, seed, args.scale_budgets))
    cd = n * days / 1e6
    print(f"{'':18} {'wall s':>8} {'CPU s':>8} {'M cd/CPU-s':>11} {'peak B/cust':>12} {'buyers':>9} {'orders':>11}")
    for label, runs in (("numpy reference", ref), ("simlib", sim)):
        print(f"{label:18} {_median(runs, 'wall'):8.2f} {_median(runs, 'cpu'):8.2f} {cd / _median(runs, 'cpu'):11.1f} "
              f"{_median(runs, 'peak_bytes') / n:12.0f} {int(_median(runs, 'buyers')):9,} "
              f"{int(_median(runs, 'orders')):11,}")
    cpu_ratio = statistics.median(s["cpu"] / r["cpu"] for r, s in zip(ref, sim))
    wall_ratio = statistics.median(s["wall"] / r["wall"] for r, s in zip(ref, sim))
    verdict = "meets" if cpu_ratio <= 2.0 else "misses"
    print(f"simlib / reference: {cpu_ratio:.2f}x CPU, {wall_ratio:.2f}x wall (median of the pairs; "
          f"target <= 2x: {verdict})")
    if args.skip_levers:
        return
    print(f"\nevery lever (scenarios/all_levers.yaml), {n:,} customers x {days} days, a real market, "
          f"median of {args.repeats}")
    runs = [measure_simlib(str(ROOT / "scenarios" / "all_levers.yaml"), n, days, seed, args.scale_budgets)
            for seed in range(args.repeats)]
    by_cpu = cd / _median(runs, "cpu")
    by_wall = cd / _median(runs, "wall")
    peak = _median(runs, "peak_bytes") / n
    print(f"throughput: {by_cpu:.1f} M customer-days per CPU second ({by_wall:.1f} M by wall clock); "
          f"target >= 10-14 M, aim 25 M: {'meets' if by_cpu >= 14 else 'within the floor' if by_cpu >= 10 else 'misses'}")
    print(f"peak memory: {peak:.0f} B per customer; target <= 150 B: {'meets' if peak <= 150 else 'misses'} "
          f"(beside the step's machine code, {_median(runs, 'code_bytes') / 2**20:.0f} MB once per process)")
    arrays = state_bytes(str(ROOT / "scenarios" / "all_levers.yaml"), n, days)
    print("per-customer state by owner (throughput.py --memory lists the arrays):")
    print(owner_table(arrays, peak))


if __name__ == "__main__":
    main()
