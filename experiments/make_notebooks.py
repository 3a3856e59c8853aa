"""Write notebooks 07-09 (the experiment notebooks) from this script, so their cells stay
reviewable as code. Then execute them in place, from the repository root:

    python experiments/make_notebooks.py            # or: ... 07 (only the notebooks named so)
    jupyter nbconvert --to notebook --execute --inplace notebooks/0[789]_*.ipynb
    python -m pytest -p no:cacheprovider notebooks/0[789]_*.ipynb

Each notebook reads its experiment file from this repository (found from the folder it runs in
or any folder above it, so nbval in notebooks/ and papermill at the root both work), applies its
parameters cell to the declaration, and prints every reading from the numbers it discusses.
"""
from pathlib import Path

import nbformat as nbf

ROOT = Path(__file__).resolve().parents[1]


def md(text):
    return nbf.v4.new_markdown_cell(text.strip())


def code(text, tags=()):
    c = nbf.v4.new_code_cell(text.strip())
    if tags:
        c.metadata["tags"] = list(tags)
    return c


def notebook(cells):
    nb = nbf.v4.new_notebook()
    nb.cells = cells
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


SETUP = '''
from pathlib import Path

import matplotlib
matplotlib.use("Agg")
%matplotlib inline
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import yaml

from simlib.experiment import Experiment, make_executor
from simlib.experiment import plots as pe

pd.set_option("display.width", 160)


def repository_file(relative):
    """A file of this repository, found from the current folder or any folder above it (nbval
    runs a notebook from notebooks/, papermill from the repository root)."""
    for folder in (Path.cwd(), *Path.cwd().parents):
        if (folder / relative).is_file():
            return folder / relative
    raise FileNotFoundError(f"{relative}: not found in {Path.cwd()} or any folder above it")
'''

NB07 = [
    md("""
# 07 — Coupon ladder or points? What does each cost against the pond, and does the answer hold?

A brand sells a product people buy about **once a month**; buyers and Douyin viewers join its
WeChat pond. Should the pond run a **Luckin-style coupon ladder** (15 / 57 / 72 % off as a member
stays idle, 57 / 42 / 5 % back up after each purchase) or **points from orders** spent on a gift
catalogue? And what does each earn against the pond with neither (the `pond` preset, the
reference every pond strategy is compared with)?

The arms are the presets `pond`, `coupon_ladder` and `points_program`: each strategy preset
changes only its own policy over the pond. We answer with paired replications: all arms see the
same customers and the same random draws (common random numbers), so a difference is the
strategy's alone. A ranking is only named where its paired interval excludes zero; otherwise the
notebook says it is not resolved at this size. Then we ask whether the answer holds across what
it rests on: first along the one assumption we are least sure about (how strongly a discount
moves these customers), then across **every effect both strategies act through at once**, each
drawn over the plausible range the parameter reference gives it (the robust verdict). The
experiment is declared in `experiments/ladder_vs_points.yaml`; `simlib experiment
experiments/ladder_vs_points.yaml --out results/lvp` runs it from the command line and writes
`report.html`.
"""),
    code("""
# parameters: small and fast by default (papermill can pass bigger ones)
experiment_file = "experiments/ladder_vs_points.yaml"   # relative to the repository root
users = 1000                  # simulated customers (they stand for the pond's 20,000 real ones)
days = 150
seed = 7
reps = 4                      # paired replications per arm in the comparison
sweep_reps = 3                # paired replications per point of the sweep
sweep_levels = 4              # points on the price-sensitivity grid
discount_effect_low = 2.0     # the sweep's range of behavior.discount_effect (its plausible range: 2-7)
discount_effect_high = 7.0
robust_points = 16            # assumption sets of the robust verdict (the experiment file says 32)
ladder_idle_days = 30         # days without a purchase before the ladder's first step
points_per_cny = 1.0          # points earned per yuan paid
workers = 2
""", tags=["parameters"]),
    code(SETUP + """
from simlib.experiment.compare import crn_variance, mean_ci, paired
from simlib.report import figures
from simlib.report.decision import Decision
from simlib.report.inputs import from_experiment
from simlib.report.rests_on import format_rests_on
"""),
    code("""
path = repository_file(experiment_file)
data = yaml.safe_load(path.read_text(encoding="utf-8"))
data.update(users=users, days=days, seed=seed, replications=sweep_reps)
data["uncertainties"]["behavior.discount_effect"].update(low=discount_effect_low, high=discount_effect_high)
data["sweep"].update(levels=sweep_levels, arms=["pond", "ladder", "points"])
data["robust"]["points"] = robust_points
data["arms"]["ladder"]["overrides"] = {"policies.ladder.idle_days": ladder_idle_days}
data["arms"]["points"]["overrides"] = {"policies.points.points_per_cny": points_per_cny}
executor = make_executor("processes", workers)
exp = Experiment.from_dict(data, source=str(path), executor=executor)
print(f"arms: {', '.join(exp.spec.arms)}; reference: {exp.spec.reference}; {reps} replications of "
      f"{users:,} simulated customers standing for 20,000, {days} days")
"""),
    md("""
## Which strategy, by how much, how sure are we?

The verdict first (on net profit: gross profit minus every cost the strategy causes, including
the points still owed at the end), then for each outcome each arm's mean with a 95 % interval,
the paired difference to the pond with its interval, the probability the arm is better, and how
many replications a difference of the size in `detect_difference` needs to be detected with
80 % power.
"""),
    code("""
cmp = exp.compare(replications=reps)
sw = exp.sweep()
rb = exp.robust()
decision = Decision(from_experiment(exp, cmp, {"sweep": sw, "robust": rb}))
print("Verdict:", decision.verdict)
print()
print(cmp.text())
"""),
    code("""
fig = figures.costs_by_arm(decision.costs, decision.arms, decision.reference)
"""),
    code("""
fig = figures.cumulative_profit(cmp.daily, decision.arms, decision.reference)
"""),
    code("""
t = cmp.table.set_index(["outcome", "arm"])
net = t.loc["net_profit_cny"]
costs = decision.costs.set_index("key")
means = net["mean"].sort_values(ascending=False)
best, runner_up = means.index[0], means.index[1]
lead = mean_ci(paired(cmp.runs, "net_profit_cny", best, runner_up))
resolved = lead[1] > 0
print(f"Against the pond over {days} days: the ladder {net.loc['ladder', 'diff']:+,.0f} CNY of net profit "
      f"(95 %: {net.loc['ladder', 'diff_low']:+,.0f} to {net.loc['ladder', 'diff_high']:+,.0f}), points "
      f"{net.loc['points', 'diff']:+,.0f} CNY ({net.loc['points', 'diff_low']:+,.0f} to "
      f"{net.loc['points', 'diff_high']:+,.0f}).")
if resolved:
    print(f"Most net profit: {best}, ahead of the runner-up {runner_up} by {lead[0]:+,.0f} CNY "
          f"(95 %: {lead[1]:+,.0f} to {lead[2]:+,.0f}, {reps} paired replications).")
else:
    print(f"Most net profit: not resolved at this size. {best} has the best mean, {lead[0]:+,.0f} CNY ahead of "
          f"{runner_up}, but the 95 % interval of that lead ({lead[1]:+,.0f} to {lead[2]:+,.0f}) holds zero "
          f"after {reps} paired replications.")
print(f"The ladder sells {t.loc[('gmv_cny', 'ladder'), 'diff']:+,.0f} CNY of GMV more than the pond and pays "
      f"{costs.loc['discount_coupons_cny', 'ladder']:,.0f} CNY of discounts for it; points sell "
      f"{t.loc[('gmv_cny', 'points'), 'diff']:+,.0f} CNY more and cost "
      f"{costs.loc['cost_points_redemption_cny', 'points']:,.0f} CNY of gifts redeemed plus "
      f"{costs.loc['points_liability_cny', 'points']:,.0f} CNY of points still owed.")
"""),
    code("""
# the readings above, checked on the numbers they discuss
assert (lead[1] > 0) == resolved and (resolved or lead[1] <= 0 <= lead[2])
assert means[best] >= means[runner_up]
assert costs.loc["discount_coupons_cny", "ladder"] > 0 and costs.loc["points_liability_cny", "points"] > 0
"""),
    md("""
## Why the pairing matters

The same comparison with an independent seed per arm: the variance of the difference is far
larger, so the same certainty would need many more replications.
"""),
    code("""
independent = exp.compare(replications=reps, crn=False, keep_daily=False)
v = crn_variance(cmp.runs, independent.runs, "net_profit_cny", "ladder", "pond")
print(f"variance of the paired difference, common random numbers: {v['var_diff_crn']:,.0f}")
print(f"variance of the difference, independent seeds:          {v['var_diff_independent']:,.0f}")
print(f"CRN cuts the variance {v['ratio']:.0f}-fold")
assert v["ratio"] > 1, "pairing no longer narrows the difference"
"""),
    md("""
## Does the answer depend on how price-sensitive the customers are?

`behavior.discount_effect` scales how much a discount lifts a customer's purchase hazard (4 by
default, from published price elasticities of packaged-goods deals far shallower than the
ladder's 57 and 72 % rungs; plausible range 2–7). We sweep it on a grid; at every point the arms
share seeds. Points do not depend on it (they give no discount); the ladder does. With
`sweep_reps` replications per point the intervals are wide: the table says at which points a
difference is resolved (its interval excludes zero), and a flip is only read from resolved
points.
"""),
    code("""
x_key = "behavior.discount_effect"
grid = sorted(sw.design[x_key].unique())
d_pond = sw.difference("net_profit_cny", "ladder", "pond")
d_points = sw.difference("net_profit_cny", "ladder", "points")
gmv_gain = sw.difference("gmv_cny", "ladder", "pond")
discount_paid = sw.difference("discount_cny", "ladder", "pond")


def side(diff):
    \"\"\"+1 where the interval lies above zero, -1 below, 0 where it holds zero.\"\"\"
    return np.where(diff["diff_low"] > 0, 1, np.where(diff["diff_high"] < 0, -1, 0))


def interval(diff):
    return [f"{lo:+,.0f} to {hi:+,.0f}" for lo, hi in zip(diff["diff_low"], diff["diff_high"])]


along = pd.DataFrame({"discount_effect": d_pond[x_key],
                      "ladder-pond CNY": d_pond["diff"].round(0), "95 % (vs pond)": interval(d_pond),
                      "side (vs pond)": side(d_pond),
                      "ladder-points CNY": d_points["diff"].round(0), "95 % (vs points)": interval(d_points),
                      "side (vs points)": side(d_points),
                      "ladder extra GMV": gmv_gain["diff"].round(0), "ladder discounts": discount_paid["diff"].round(0)})
print(along.to_string(index=False, formatters={"discount_effect": "{:.4g}".format}))
print("side: +1 the ladder is ahead (interval above zero), -1 behind, 0 not resolved (the interval holds zero)")
"""),
    code("""
def reading(diff, other):
    s = side(diff)
    x = diff[x_key].to_numpy(float)
    if (s > 0).any() and (s < 0).any():
        return (f"Ladder against {other}: ahead where discount_effect is {', '.join(f'{v:.3g}' for v in x[s > 0])} "
                f"and behind at {', '.join(f'{v:.3g}' for v in x[s < 0])}: the answer flips within the range swept.")
    if (s != 0).all():
        where = "ahead of" if s[0] > 0 else "behind"
        return (f"Ladder against {other}: {where} at every point swept ({x.min():.3g} to {x.max():.3g}), "
                f"each interval clear of zero: no flip in this range.")
    if (s != 0).any():
        where = "ahead" if (s > 0).any() else "behind"
        return (f"Ladder against {other}: {where} where the interval clears zero (discount_effect "
                f"{', '.join(f'{v:.3g}' for v in x[s != 0])}), not resolved at {', '.join(f'{v:.3g}' for v in x[s == 0])} "
                f"({sweep_reps} paired replications each): no flip seen, none ruled out.")
    return (f"Ladder against {other}: not resolved at this size: the interval holds zero at all {len(s)} grid "
            f"points ({sweep_reps} paired replications each), so this sweep cannot say whether the answer flips.")


for other, diff in (("the pond", d_pond), ("points", d_points)):
    print(reading(diff, other))
print(f"As customers grow more price-sensitive ({grid[0]:.3g} -> {grid[-1]:.3g}), the ladder's extra GMV goes from "
      f"{gmv_gain['diff'].iloc[0]:+,.0f} to {gmv_gain['diff'].iloc[-1]:+,.0f} CNY and its discounts from "
      f"{discount_paid['diff'].iloc[0]:,.0f} to {discount_paid['diff'].iloc[-1]:,.0f} CNY.")
"""),
    code("""
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4))
pe.difference_plot(d_pond, x_key, "net_profit_cny", "ladder - pond", ax=ax1)
pe.difference_plot(d_points, x_key, "net_profit_cny", "ladder - points", ax=ax2)
fig.tight_layout()
"""),
    code("""
# the readings above, checked on the numbers they discuss: the table's grid is the design's,
# and a side is only claimed where the interval excludes zero
assert np.allclose(sorted(along["discount_effect"]), grid) and len(grid) == sweep_levels
assert np.isclose(grid[0], discount_effect_low) and np.isclose(grid[-1], discount_effect_high)
for diff in (d_pond, d_points):
    s = side(diff)
    assert ((s == 0) == ((diff["diff_low"] <= 0) & (diff["diff_high"] >= 0))).all()
assert discount_paid["diff"].iloc[-1] > discount_paid["diff"].iloc[0], \\
    "the ladder's discounts no longer grow with price sensitivity"
"""),
    md("""
## Does the ranking hold across everything it rests on?

One assumption at a time misses how they combine. The robust verdict draws **every effect the
three arms act through** at once: for the ladder the discount effect, the reference-price
mechanism and each message's unsubscribe chance and fatigue; for the points the goal gradient,
how soon members redeem and the useful contact of a gift; plus four market-wide effects (the
ceiling on any lift, trust and what it keeps). Each is drawn over the plausible range of the
parameter reference on a Latin hypercube of `robust_points` assumption sets; every arm runs at
every set on a seed it shares with the others. A set where two arms are closer than the noise of
one run (measured by the comparison above) is "too close to call"; a pair flips only when each
side wins several sets by more than that, and then the verdict names the effect whose threshold
sorts the sets best.
"""),
    code("""
verdict = decision.robust
print(format_rests_on(decision.rests_on()))
"""),
    code("""
pairs = {(p.first, p.second): p for p in verdict.pairs}
key = next(k for k in pairs if set(k) == {"ladder", "points"})
pair = pairs[key]
print(f"Ladder or points, across {verdict.points} assumption sets: {pair.first} ahead at {pair.wins}, "
      f"{pair.second} at {pair.losses}; {pair.close} of them within the noise of one run.")
clear_wins, clear_losses = pair.clear_wins, pair.clear_losses
if pair.flips and pair.rule["significant"]:
    r = pair.rule
    print(f"The order flips: it turns on {r['key']} ({pair.first} ahead where it is "
          f"{'above' if r['wins_above'] else 'below'} {r['threshold']:.3g}; that threshold alone sorts "
          f"{r['correct']} of {verdict.points} sets).")
elif pair.flips:
    print(f"The order flips ({clear_wins} sets clearly one way, {clear_losses} the other), but no single effect "
          f"sorts them better than chance at {verdict.points} sets: raise robust_points to find what decides it.")
elif clear_losses == 0:
    print(f"No flip: {pair.first} is ahead at every set where the gap exceeds the noise ({clear_wins} sets); "
          f"the other {verdict.points - clear_wins} are too close to call.")
else:
    print(f"No flip resolved: {pair.first} is clearly ahead at {clear_wins} sets and clearly behind at "
          f"{clear_losses}, too few to place where the order turns.")
read = verdict.table[verdict.table["significant"]]
margin = f"the {verdict.ranking[0]} - {verdict.ranking[1]} margin"
if len(read):
    top = read.iloc[0]
    print(f"Of how {margin} moves across the sets, {top['effect']} alone explains {top['explains']:.0%} "
          f"(basis: {top['basis']}, range {top['range']}).")
else:
    print(f"No single effect explains how {margin} moves across the sets more than chance could at "
          f"{verdict.points} sets.")
"""),
    code("""
# the robust verdict's structure, checked: every arm at every set, on one seed per set they share
runs = rb.runs
assert len(runs) == robust_points * len(exp.spec.arms)
assert (runs.groupby("point")["seed"].nunique() == 1).all() and runs["seed"].nunique() == robust_points
assert pair.wins + pair.losses == verdict.points and 0 <= pair.close <= verdict.points
assert pair.flips == (pair.rule is not None) and pair.wins + pair.losses + pair.ties == verdict.points
assert clear_wins + clear_losses <= verdict.points - pair.close
executor.close()
"""),
    md("""
**Reading it.** Net profit is after ad spend, after every discount (including those paid on
orders that would have happened anyway) and after the points still owed: the points arm books
the points its members hold at the end as a liability, valued at the catalogue's highest cost
per point, besides the gifts already redeemed. The cells above print, from this run's numbers,
which arm earns most against the pond and whether that lead is resolved at this size, whether
the ranking changes along the price-sensitivity sweep (only where the intervals allow it), and
how often it holds across every effect both strategies act through. A flip names the effect to
measure before deciding (an A/B test of one coupon step measures the discount effect); effects
that explain little of the margin can stay at their defaults. Larger `users`, `reps` and
`robust_points` tighten every interval; `simlib compare pond coupon_ladder points_program
--robust 64 --users 20000` gives the full-size answer.
"""),
]

NB08 = [
    md("""
# 08 — What does the coupon ladder's profit over the pond depend on?

Global sensitivity analysis (Sobol' indices): how much of the variance of an outcome each
input explains alone (**first order**, S1) and with its interactions (**total**, ST), with
bootstrap intervals. First we check the method on a function whose indices are known
exactly (Ishigami), then we ask the simulator: is it the market (how strongly discounts move
customers, how fast they get used to lower prices, how much more a price above the one they got
used to weighs, how long they remember it) or the ladder's own settings (how long to wait before
the first step, how fast to step) that decide what the ladder earns over the pond? Declared in
`experiments/ladder_drivers.yaml`, which also sets the size of the analysis.
"""),
    code("""
# parameters
experiment_file = "experiments/ladder_drivers.yaml"   # relative to the repository root
samples = 16                  # Saltelli base sample (a power of 2), as the experiment file declares
toy_samples = 1024            # the same for the Ishigami check (cheap)
users = 600                   # simulated customers (they stand for the pond's 20,000 real ones)
days = 180
seed = 11
idle_days_range = [7, 45]     # the ladder's idle days before the first step: the range analysed
step_days_range = [3, 21]     # days between the ladder's steps: the range analysed
workers = 2
""", tags=["parameters"]),
    code(SETUP + """
import simlib
from simlib.experiment import parse_experiment
from simlib.experiment.toy import ishigami_indices
"""),
    md("""
## The method on a known answer

Ishigami: y = sin x1 + 7 sin² x2 + 0.1 x3⁴ sin x1, inputs uniform on [−π, π]. x3 acts only
through its interaction with x1: first-order index 0, total index 0.24.
"""),
    code("""
toy = Experiment(parse_experiment({
    "name": "ishigami", "model": "toy_ishigami", "replications": 1, "seed": seed,
    "uncertainties": {k: {"low": -np.pi, "high": np.pi} for k in ("x1", "x2", "x3")},
    "outcomes": {"y": "maximize"}, "sensitivity": {"samples": toy_samples, "bootstrap": 200}}))
t = toy.sensitivity().table
truth = ishigami_indices()
t["first_exact"], t["total_exact"] = truth["first"], truth["total"]
print(t[["parameter", "first", "first_low", "first_high", "first_exact", "total", "total_low",
         "total_high", "total_exact"]].round(3).to_string(index=False))
error = max((t["first"] - t["first_exact"]).abs().max(), (t["total"] - t["total_exact"]).abs().max())
print(f"largest error against the exact indices: {error:.3f} at {toy_samples} base samples")
assert error < 0.1, "the Sobol' estimates no longer recover the Ishigami indices"
"""),
    md("""
## The simulator

Four uncertainties about the market and two levers of the ladder, over the ranges the parameter
reference gives them. The outcome is the ladder arm's net profit. The pond's own net profit does
not depend on any of the six (the pond gives no discount, and every design point runs on the
same seed), which the next cell checks, so the indices of the ladder's net profit are those of
its gain over the pond. Small market, one replication per point: the intervals tell how far to
trust the ranking; raise `samples` for tighter ones.
"""),
    code("""
path = repository_file(experiment_file)
data = yaml.safe_load(path.read_text(encoding="utf-8"))
declared_samples = data["sensitivity"]["samples"]
data.update(users=users, days=days, seed=seed)
data["levers"]["policies.ladder.idle_days"].update(low=idle_days_range[0], high=idle_days_range[1])
data["levers"]["policies.ladder.step_days"].update(low=step_days_range[0], high=step_days_range[1])
data["sensitivity"]["samples"] = samples
executor = make_executor("processes", workers)
exp = Experiment.from_dict(data, source=str(path), executor=executor)
inputs = exp.spec.uncertainties + exp.spec.levers
print(f"{len(inputs)} inputs, {samples} base samples (the experiment file declares {declared_samples}): "
      f"{samples * (len(inputs) + 2)} runs of {users:,} customers over {days} days")
pond = simlib.scenario_from_dict(exp.arms_data()["pond"])
corners = [simlib.run(pond, seed=seed, users=users, days=days,
                      overrides={p.key: (p.low if corner == 0 else p.high) for p in inputs}).summary["net_profit_cny"]
           for corner in (0, 1)]
print(f"the pond's net profit at the low and the high corner of the design: {corners[0]:,.0f} and {corners[1]:,.0f} CNY")
assert corners[0] == corners[1], "the pond's profit now depends on the inputs: analyse the paired difference instead"
"""),
    code("""
sa = exp.sensitivity()
executor.close()
assert len(sa.runs) == samples * (len(inputs) + 2)
# an index is a share of the variance, in [0, 1]: estimates and bootstrap ends outside it are
# noise of a small design, shown clipped; a first-order estimate above the total is noise too
# (for the true indices S1 <= ST)
shown = sa.table[sa.table.outcome == "net_profit_cny"].copy()
for col in ("first", "first_low", "first_high", "total", "total_low", "total_high"):
    shown[col] = shown[col].clip(0, 1)
shown["note"] = np.where(sa.table.loc[shown.index, "first"] > sa.table.loc[shown.index, "total"],
                         "S1 > ST: noise", "")
print(shown[["label", "first", "first_low", "first_high", "total", "total_low", "total_high", "note"]]
      .round(2).to_string(index=False))
"""),
    code("""
fig = pe.sensitivity_bars(shown, "net_profit_cny")
"""),
    code("""
ranked = shown.sort_values("total", ascending=False)
levers = {p.key for p in exp.spec.levers}
for _, row in ranked.iterrows():
    kind = "a lever the team sets" if row["parameter"] in levers else "a property of the market"
    print(f"{row['label']} ({kind}): total index {row['total']:.2f} [{row['total_low']:.2f}, {row['total_high']:.2f}], "
          f"first order {row['first']:.2f}")
top, runner = ranked.iloc[0], ranked.iloc[1]
resolved = top["total_low"] > runner["total_high"]
if resolved:
    print(f"Largest total effect on what the ladder earns over the pond: {top['label']} "
          f"({top['total_low']:.2f} to {top['total_high']:.2f}, clear of the runner-up {runner['label']}, "
          f"{runner['total_low']:.2f} to {runner['total_high']:.2f}).")
else:
    print(f"Largest total effect: not resolved at this size: {top['label']} has the largest estimate, but its "
          f"interval ({top['total_low']:.2f} to {top['total_high']:.2f}) overlaps the runner-up {runner['label']}'s "
          f"({runner['total_low']:.2f} to {runner['total_high']:.2f}); raise samples.")
small = ranked[ranked["total_high"] < 0.05]["label"].tolist()
print("Inputs whose total index is below 0.05 even at the top of its interval (safe to fix): "
      + (", ".join(small) if small else "none at this size") + ".")
"""),
    code("""
# the readings above, checked on the numbers they discuss
assert resolved == (top["total_low"] > runner["total_high"])
assert all(ranked.set_index("label").loc[s, "total_high"] < 0.05 for s in small)
assert ((shown[["first", "total", "first_low", "total_high"]] >= 0) & (shown[["first", "total", "first_low", "total_high"]] <= 1)).all().all()
"""),
    md("""
**Reading it.** Inputs with a small total index can be fixed at any sensible value without
changing the answer — no need to measure them. Inputs with a large total index deserve the
measurement budget (if they are market properties) or the tuning effort (if they are levers;
notebook 09). A total index well above the first-order one means the input matters through
interactions: its best value depends on the others. The cells above only name the largest
effect when its interval clears the runner-up's; with one small market per design point the
estimates are noisy (shares above 1 or a first-order index above the total are that noise), and
more `samples` or `users` tighten them.
"""),
]

NB09 = [
    md("""
# 09 — How much on ads, how deep a coupon, under a budget?

A brand with an existing customer base and a WeChat pond (the `pond` preset with 30 % of the
market having bought once, 10 % loyal, 40 % of those who know the brand in the pond, and weekly
useful content) sets two levers for the year: the Douyin ad budget (CNY per day) and the depth
of a monthly coupon to the pond. Constraints: total spend (marketing cost plus coupon money) and
the messages sent to real customers over the year. How strongly discounts move customers is
uncertain, so each lever setting is scored on several market scenarios and we maximise a **low
quantile** (25 %) of net profit across them — good even if discounts move customers less than
hoped. We also report the **frontier** of profit against sales (GMV): where growth and profit
pull apart, it says at what price; where it holds a single setting, the most profitable setting
tried also sells the most and no trade-off shows at this size. Declared in
`experiments/budget_split.yaml`.
"""),
    code("""
# parameters
experiment_file = "experiments/budget_split.yaml"   # relative to the repository root
candidates = 6                # lever settings tried in the first round
rounds = 1                    # refinement rounds around the best
scenarios = 3                 # market scenarios (discount effects) each setting is scored on
users = 1000                  # simulated customers (they stand for the pond's 20,000 real ones)
days = 365
seed = 5
budget_cny = 1_000_000        # marketing cost plus coupon money over the run, at most
message_cap = 500_000         # messages to real customers over the run, at most
max_ads_cny_per_day = 3000    # the Douyin budget searched: 0 to this
max_coupon_share = 0.4        # the coupon depth searched: 0 to this
workers = 2
""", tags=["parameters"]),
    code(SETUP),
    code("""
path = repository_file(experiment_file)
data = yaml.safe_load(path.read_text(encoding="utf-8"))
data.update(users=users, days=days, seed=seed)
data["levers"]["policies.douyin_ads.budget_cny_per_day"]["high"] = max_ads_cny_per_day
data["levers"]["policies.coupon.off_share"]["high"] = max_coupon_share
data["optimize"].update(candidates=candidates, rounds=rounds, scenarios=scenarios)
for c in data["optimize"]["constraints"]:
    c["max"] = {"budget": budget_cny, "message_cap": message_cap}[c["name"]]
executor = make_executor("processes", workers)
exp = Experiment.from_dict(data, source=str(path), executor=executor)
op = exp.optimize()
executor.close()
levers = [p.key for p in exp.spec.levers]
ads, depth = levers
cols = levers + ["objective", "mean:gmv_cny", "constraint:budget", "constraint:message_cap", "feasible"]
print(op.candidates[cols].head(10).round(3).to_string(index=False))
"""),
    code("""
from simlib.experiment.compare import mean_ci


def paired_lead(a, b):
    \"\"\"Net profit of candidate a minus candidate b, paired by market scenario and seed: mean, 95% interval.\"\"\"
    per_candidate = len(op.runs["point"].unique()) // len(op.candidates)
    runs = op.runs.assign(candidate=op.runs["point"] // per_candidate, scenario=op.runs["point"] % per_candidate)
    wide = runs.pivot_table(index=["scenario", "replication"], columns="candidate", values="net_profit_cny")
    return mean_ci((wide[int(a["candidate"])] - wide[int(b["candidate"])]).to_numpy())


if op.best is None:
    print("No lever setting meets every constraint: raise budget_cny or message_cap.")
else:
    b = op.best
    print(f"Best feasible among the {len(op.candidates)} settings tried: Douyin ads {b[ads]:,.0f} CNY a day, "
          f"coupon {b[depth]:.0%} off")
    print(f"  net profit (25 % quantile across {scenarios} market scenarios): {b['objective']:,.0f} CNY")
    print(f"  spend {b['constraint:budget']:,.0f} CNY of {budget_cny:,}; messages {b['constraint:message_cap']:,.0f} "
          f"of {message_cap:,}")
    no_ads = op.candidates[op.candidates[ads] == op.candidates[ads].min()].iloc[0]
    m, lo, hi = paired_lead(b, no_ads)
    if lo > 0:
        print(f"Over {days} days ads pay for themselves here: the best setting spends {b[ads]:,.0f} CNY a day on Douyin "
              f"and earns {m:+,.0f} CNY of net profit (95% interval {lo:+,.0f} to {hi:+,.0f}, the same scenarios and "
              f"seeds) over the setting with the least ads ({no_ads[ads]:,.0f} CNY a day).")
    else:
        print(f"Whether the ads pay for themselves is not resolved at this size: the best setting ({b[ads]:,.0f} CNY a "
              f"day) earns {m:+,.0f} CNY (95% interval {lo:+,.0f} to {hi:+,.0f}) over the least-ads one.")
    assert b[ads] > no_ads[ads], "the best setting no longer spends more on ads than the least-ads setting"
    feasible = op.candidates[op.candidates.feasible]
    assert (feasible.objective <= b["objective"] + 1e-6).all(), "a feasible setting beats the one called best"
    assert b["constraint:budget"] <= budget_cny and b["constraint:message_cap"] <= message_cap
"""),
    md("""
The best setting is the highest score among those tried. Is it better than the runner-up, or
only ahead by the noise of the runs? Both were run on the same market scenarios and seeds, so
their net profits pair up run by run:
"""),
    code("""
from simlib.report.readings import Pick

feasible = op.candidates[op.candidates.feasible]
if len(feasible) >= 2:
    first, second = feasible.iloc[0], feasible.iloc[1]
    m, lo, hi = paired_lead(first, second)
    name = lambda r: f"ads {r[ads]:,.0f} CNY a day, coupon {r[depth]:.0%} off"
    pick = Pick("robust net profit among the settings tried", "net_profit_cny", name(first), name(second),
                float(first["objective"]), m, lo, hi, len(op.runs) // len(op.candidates),
                basis="by its score (the 25 % quantile across scenarios)")
    print(pick)
    pick.check()   # named outright only when its lead over the runner-up excludes zero
"""),
    md("""
## The frontier

Every candidate, the feasible ones, and the frontier: the settings for which no other
feasible setting gives both more profit and more sales. Moving along it trades profit for
growth; the slope is what each extra yuan of GMV costs in profit.
"""),
    code("""
front = op.frontier.sort_values("mean:gmv_cny")
print(front[levers + ["objective", "mean:gmv_cny", "constraint:budget"]].round(3).to_string(index=False))
fig = pe.frontier_plot(op)
if len(front) == 1:
    only = front.iloc[0]
    print(f"The frontier holds one setting (ads {only[ads]:,.0f} CNY a day, coupon {only[depth]:.0%} off): among the "
          f"settings tried, none sells more without earning less, so growth and profit do not pull apart here. A "
          f"finer search (more candidates, rounds) may find settings that trade one for the other.")
if len(front) > 1:
    first, last = front.iloc[0], front.iloc[-1]
    slope = (last["objective"] - first["objective"]) / (last["mean:gmv_cny"] - first["mean:gmv_cny"])
    print(f"Along the frontier, from {first['mean:gmv_cny']:,.0f} to {last['mean:gmv_cny']:,.0f} CNY of GMV, net "
          f"profit moves from {first['objective']:,.0f} to {last['objective']:,.0f} CNY: each extra yuan of sales "
          f"costs {-slope:.3f} CNY of profit (Douyin ads {first[ads]:,.0f} -> {last[ads]:,.0f} CNY a day).")
"""),
    code("""
fig = pe.response_surface(op.runs, levers, "net_profit_cny")
"""),
    md("""
**Reading it.** The best point is the one to try first (if its lead over the runner-up is not
resolved, either is as good at this size); the frontier is the one to show the budget holder: if
the brand wants more sales than the best-profit point gives, it says which settings deliver them
at the least loss of profit, across the scenarios we believe possible.
Raise `candidates` and `rounds` for a finer search, and add scenarios to widen the uncertainty
the answer must survive.
"""),
]


def main(argv=None):
    """Write every experiment notebook, or those whose names start with the arguments (07 ...)."""
    import sys
    wanted = (sys.argv[1:] if argv is None else argv) or ["0"]
    out = ROOT / "notebooks"
    out.mkdir(exist_ok=True)
    for name, cells in (("07_compare_strategies", NB07), ("08_sensitivity", NB08),
                        ("09_optimise_budget", NB09)):
        if any(name.startswith(w) for w in wanted):
            nbf.write(notebook(cells), out / f"{name}.ipynb")
            print(f"wrote notebooks/{name}.ipynb")


if __name__ == "__main__":
    main()
