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
# 07 — Coupon ladder or points? What does each cost against the pond, and when does the answer flip?

A brand sells a product people buy about **once a month**; buyers and Douyin viewers join its
WeChat pond. Should the pond run a **Luckin-style coupon ladder** (15 / 57 / 72 % off as a member
stays idle, 57 / 42 / 5 % back up after each purchase) or **points from orders** spent on a gift
catalogue? And what does each earn against the pond with neither (the `pond` preset, the
reference every pond strategy is compared with)?

The arms are the presets `pond`, `coupon_ladder` and `points_program`: each strategy preset
changes only its own policy over the pond. We answer with paired replications: all arms see the
same customers and the same random draws (common random numbers), so a difference is the
strategy's alone. Then we sweep the thing we are least sure about, how strongly a discount moves
these customers, to see whether the answer changes. The experiment is declared in
`experiments/ladder_vs_points.yaml`; `simlib experiment experiments/ladder_vs_points.yaml --out
results/lvp` runs it from the command line and writes `report.html`.
"""),
    code("""
# parameters: small and fast by default (papermill can pass bigger ones)
experiment_file = "experiments/ladder_vs_points.yaml"   # relative to the repository root
users = 1000                  # simulated customers (they stand for the pond's 20,000 real ones)
days = 150
seed = 7
reps = 4                      # paired replications per arm in the comparison
sweep_reps = 2                # paired replications per point of the sweep
sweep_levels = 4              # points on the price-sensitivity grid
discount_effect_low = 1.0     # the sweep's range of behavior.discount_effect (4 by default; tested 2-7)
discount_effect_high = 9.0
ladder_idle_days = 30         # days without a purchase before the ladder's first step
points_per_cny = 1.0          # points earned per yuan paid
workers = 2
""", tags=["parameters"]),
    code(SETUP + """
from simlib.experiment.compare import crn_variance, mean_ci, paired
from simlib.report import figures
from simlib.report.decision import Decision
from simlib.report.inputs import from_experiment
"""),
    code("""
path = repository_file(experiment_file)
data = yaml.safe_load(path.read_text(encoding="utf-8"))
data.update(users=users, days=days, seed=seed, replications=sweep_reps)
data["uncertainties"]["behavior.discount_effect"].update(low=discount_effect_low, high=discount_effect_high)
data["sweep"].update(levels=sweep_levels, arms=["pond", "ladder", "points"])
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
decision = Decision(from_experiment(exp, cmp, {"sweep": sw}))
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
ladder_vs_points = mean_ci(paired(cmp.runs, "net_profit_cny", "ladder", "points"))
costs = decision.costs.set_index("key")
print(f"Against the pond over {days} days: the ladder {net.loc['ladder', 'diff']:+,.0f} CNY of net profit "
      f"({net.loc['ladder', 'diff_low']:+,.0f} to {net.loc['ladder', 'diff_high']:+,.0f}), points "
      f"{net.loc['points', 'diff']:+,.0f} CNY ({net.loc['points', 'diff_low']:+,.0f} to "
      f"{net.loc['points', 'diff_high']:+,.0f}); the ladder minus points: {ladder_vs_points[0]:+,.0f} CNY "
      f"({ladder_vs_points[1]:+,.0f} to {ladder_vs_points[2]:+,.0f}).")
print(f"The ladder sells {t.loc[('gmv_cny', 'ladder'), 'diff']:+,.0f} CNY of GMV more than the pond and pays "
      f"{costs.loc['discount_coupons_cny', 'ladder']:,.0f} CNY of discounts for it; points sell "
      f"{t.loc[('gmv_cny', 'points'), 'diff']:+,.0f} CNY more and cost "
      f"{costs.loc['cost_points_redemption_cny', 'points']:,.0f} CNY of gifts redeemed plus "
      f"{costs.loc['points_liability_cny', 'points']:,.0f} CNY of points still owed.")
"""),
    code("""
# the readings above, checked on the numbers they discuss
assert t.loc[("gmv_cny", "ladder"), "diff"] > 0, "the ladder no longer sells more than the pond"
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
default, from published price elasticities; the parameter reference tests 2–7). We sweep it on a
grid; at every point the arms share seeds, so the paired differences are sharp even with few
replications. Points do not depend on it (they give no discount); the ladder does.
"""),
    code("""
x_key = "behavior.discount_effect"
d_pond = sw.difference("net_profit_cny", "ladder", "pond")
d_points = sw.difference("net_profit_cny", "ladder", "points")
gmv_gain = sw.difference("gmv_cny", "ladder", "pond")
discount_paid = sw.difference("discount_cny", "ladder", "pond")
along = pd.DataFrame({"discount_effect": d_pond[x_key], "ladder_minus_pond_cny": d_pond["diff"],
                      "ladder_minus_points_cny": d_points["diff"], "ladder_gmv_gain_cny": gmv_gain["diff"],
                      "ladder_discounts_cny": discount_paid["diff"]})
print(along.round(0).to_string(index=False))
"""),
    code("""
def flip(diff):
    \"\"\"The discount effect where a difference changes sign (linear between grid points), or None.\"\"\"
    x, d = diff[x_key].to_numpy(float), diff["diff"].to_numpy(float)
    i = np.nonzero(np.sign(d[:-1]) != np.sign(d[1:]))[0]
    return None if not len(i) else x[i[0]] - d[i[0]] * (x[i[0] + 1] - x[i[0]]) / (d[i[0] + 1] - d[i[0]])


for other, diff in (("the pond", d_pond), ("points", d_points)):
    at = flip(diff)
    if at is None:
        side = "more" if diff["diff"].mean() > 0 else "less"
        print(f"Ladder against {other}: it earns {side} net profit over the whole range swept "
              f"({diff[x_key].min():g} to {diff[x_key].max():g}), between {diff['diff'].min():+,.0f} and "
              f"{diff['diff'].max():+,.0f} CNY; no flip.")
    else:
        low_side = "more" if diff["diff"].iloc[0] > 0 else "less"
        print(f"Ladder against {other}: it earns {low_side} net profit while discount_effect < {at:.1f}, "
              f"the other way above it (default assumption: 4).")
print(f"As customers grow more price-sensitive ({along.discount_effect.iloc[0]:g} -> "
      f"{along.discount_effect.iloc[-1]:g}), the ladder's extra GMV goes from {along.ladder_gmv_gain_cny.iloc[0]:+,.0f} "
      f"to {along.ladder_gmv_gain_cny.iloc[-1]:+,.0f} CNY and its discounts from {along.ladder_discounts_cny.iloc[0]:,.0f} "
      f"to {along.ladder_discounts_cny.iloc[-1]:,.0f} CNY: more price-sensitive customers buy more on its coupons "
      f"and redeem more of them.")
"""),
    code("""
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4))
pe.difference_plot(d_pond, x_key, "net_profit_cny", "ladder - pond", ax=ax1)
pe.difference_plot(d_points, x_key, "net_profit_cny", "ladder - points", ax=ax2)
fig.tight_layout()
"""),
    code("""
# the readings above, checked on the numbers they discuss
assert along.ladder_gmv_gain_cny.iloc[-1] > along.ladder_gmv_gain_cny.iloc[0], \\
    "the ladder's extra sales no longer grow with price sensitivity"
assert along.ladder_discounts_cny.iloc[-1] > along.ladder_discounts_cny.iloc[0], \\
    "the ladder's discounts no longer grow with price sensitivity"
executor.close()
"""),
    md("""
**Reading it.** Net profit is after ad spend, after every discount (including those paid on
orders that would have happened anyway) and after the points still owed: the points arm books
the points its members hold at the end as a liability, valued at the catalogue's highest cost
per point, besides the gifts already redeemed. The cells above print, from this run's numbers,
which arm earns most against the pond, by how much and how surely, and whether the ranking
changes anywhere in the range of price sensitivity swept. Where it does not, measuring price
sensitivity (an A/B test of one coupon step) will not change the decision; where it does, that
measurement is worth more than any other.
"""),
]

NB08 = [
    md("""
# 08 — What does the coupon ladder's profit over the pond depend on?

Global sensitivity analysis (Sobol' indices): how much of the variance of an outcome each
input explains alone (**first order**, S1) and with its interactions (**total**, ST), with
bootstrap intervals. First we check the method on a function whose indices are known
exactly (Ishigami), then we ask the simulator: is it the market (how strongly discounts move
customers, how fast they get used to lower prices) or the ladder's own settings (how long to
wait before the first step, how fast to step) that decide what the ladder earns over the pond?
Declared in `experiments/ladder_drivers.yaml`.
"""),
    code("""
# parameters
experiment_file = "experiments/ladder_drivers.yaml"   # relative to the repository root
samples = 8                   # Saltelli base sample (a power of 2): runs = samples * (inputs + 2)
toy_samples = 1024            # the same for the Ishigami check (cheap)
users = 600                   # simulated customers (they stand for the pond's 20,000 real ones)
days = 90
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

Two uncertainties about the market and two levers of the ladder, over the ranges the parameter
reference tests. The outcome is the ladder arm's net profit. The pond's own net profit does not
depend on any of the four (the pond gives no discount, and every design point runs on the same
seed), which the next cell checks, so the indices of the ladder's net profit are those of its
gain over the pond. Small market, one replication per point: the intervals tell how far to trust
the ranking; raise `samples` for tighter ones.
"""),
    code("""
path = repository_file(experiment_file)
data = yaml.safe_load(path.read_text(encoding="utf-8"))
data.update(users=users, days=days, seed=seed)
data["levers"]["policies.ladder.idle_days"].update(low=idle_days_range[0], high=idle_days_range[1])
data["levers"]["policies.ladder.step_days"].update(low=step_days_range[0], high=step_days_range[1])
data["sensitivity"]["samples"] = samples
executor = make_executor("processes", workers)
exp = Experiment.from_dict(data, source=str(path), executor=executor)
inputs = exp.spec.uncertainties + exp.spec.levers
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
cols = ["outcome", "label", "first", "first_low", "first_high", "total", "total_low", "total_high"]
print(sa.table[cols].round(2).to_string(index=False))
"""),
    code("""
fig = pe.sensitivity_bars(sa.table, "net_profit_cny")
"""),
    code("""
ranked = sa.table[sa.table.outcome == "net_profit_cny"].sort_values("total", ascending=False)
levers = {p.key for p in exp.spec.levers}
for _, row in ranked.iterrows():
    kind = "a lever the team sets" if row["parameter"] in levers else "a property of the market"
    print(f"{row['label']} ({kind}): total index {row['total']:.2f} [{row['total_low']:.2f}, {row['total_high']:.2f}], "
          f"first order {row['first']:.2f}")
top = ranked.iloc[0]
print(f"Largest total effect on what the ladder earns over the pond: {top['label']}.")
"""),
    md("""
**Reading it.** Inputs with a small total index can be fixed at any sensible value without
changing the answer — no need to measure them. Inputs with a large total index deserve the
measurement budget (if they are market properties) or the tuning effort (if they are levers;
notebook 09). A total index well above the first-order one means the input matters through
interactions: its best value depends on the others. With a handful of base samples the
intervals are wide; the ranking printed above is the one to check with more samples before
acting on it.
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
