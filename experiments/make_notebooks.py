"""Write notebooks 07-09 (the experiment notebooks) from this script, so their cells stay
reviewable as code. Then execute them in place:

    python experiments/make_notebooks.py
    jupyter nbconvert --to notebook --execute --inplace notebooks/0[789]_*.ipynb
    python -m pytest --nbval notebooks/0[789]_*.ipynb
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


SETUP = """
import matplotlib
matplotlib.use("Agg")
%matplotlib inline
import numpy as np
import pandas as pd
from simlib.experiment import Experiment, load_experiment, make_executor
from simlib.experiment import plots as pe
pd.set_option("display.width", 160)
"""

NB07 = [
    md("""
# 07 — Coupon ladder or points? And when does the answer flip?

A brand sells a product people buy about **once a month**. Buyers join the pond and get weekly
useful content. Should the pond run a **Luckin-style coupon ladder** (15 / 57 / 72 % off as a
member stays idle, 57 / 42 / 5 % back up after each purchase) or **points from orders** spent on
a gift catalogue?

We answer with paired replications: both arms see the same customers and the same random
draws (common random numbers), so the difference is the strategy alone. Then we sweep the one
thing we are least sure about — how strongly a discount moves these customers — to see where
the answer changes. The experiment is declared in `experiments/ladder_vs_points.yaml`.
"""),
    code("""
# parameters: small and fast by default (papermill can pass bigger ones)
EXPERIMENT = "../experiments/ladder_vs_points.yaml"
USERS = 1000
DAYS = 120
REPLICATIONS = 4
SWEEP_LEVELS = 5
WORKERS = 2
""", tags=["parameters"]),
    code(SETUP),
    code("""
spec = load_experiment(EXPERIMENT)
spec.users, spec.days, spec.replications = USERS, DAYS, REPLICATIONS
spec.sweep["levels"] = SWEEP_LEVELS
executor = make_executor("processes", WORKERS)
exp = Experiment(spec, executor=executor)
print(f"arms: {', '.join(spec.arms)}; reference: {spec.reference}; {spec.replications} replications, "
      f"{spec.users} customers, {spec.days} days")
"""),
    md("""
## Which strategy, by how much, how sure are we?

For each outcome: each arm's mean with a 95 % interval, the paired difference to the reference
(points) with its interval, the probability the ladder is better, and how many replications a
difference of the size in `detect_difference` (or of the observed size) needs to be detected
with 80 % power.
"""),
    code("""
cmp = exp.compare()
print(cmp.text())
"""),
    code("""
fig = pe.forest_plot(cmp.table, "net_profit_cny")
"""),
    code("""
fig = pe.fan_chart(cmp.daily, "loyal")
"""),
    md("""
## Why the pairing matters

The same comparison with an independent seed per arm: the variance of the difference is far
larger, so the same certainty would need many more replications.
"""),
    code("""
v = exp.crn_check("net_profit_cny", "ladder")
print(f"variance of the paired difference, common random numbers: {v['var_diff_crn']:,.0f}")
print(f"variance of the difference, independent seeds:          {v['var_diff_independent']:,.0f}")
print(f"CRN cuts the variance {v['ratio']:.0f}-fold")
"""),
    md("""
## Under which price sensitivity does the answer flip?

`behavior.discount_effect` scales how much a discount lifts a customer's purchase hazard (4 in
the baseline). We sweep it on a grid; at every point both arms share seeds, so the paired
difference ladder − points is sharp even with few replications.
"""),
    code("""
sw = exp.sweep()
diff = sw.difference("net_profit_cny", "ladder", "points")
print(diff.round({"diff": 0, "diff_low": 0, "diff_high": 0, "p_higher": 3}).to_string(index=False))
"""),
    code("""
x = diff["behavior.discount_effect"].to_numpy(float)
d = diff["diff"].to_numpy(float)
crossing = np.nonzero(np.sign(d[:-1]) != np.sign(d[1:]))[0]
if len(crossing):
    i = crossing[0]
    flip = x[i] - d[i] * (x[i + 1] - x[i]) / (d[i + 1] - d[i])
    better_low = "ladder" if d[0] > 0 else "points"
    better_high = "points" if better_low == "ladder" else "ladder"
    print(f"Answer: {better_low} earns more net profit while discount_effect < {flip:.1f}; "
          f"above it, {better_high} does (baseline assumption: 4).")
else:
    winner = "ladder" if d.mean() > 0 else "points"
    print(f"Answer: {winner} earns more net profit over the whole range swept "
          f"({x.min():g} to {x.max():g}); no flip.")
"""),
    code("""
fig = pe.difference_plot(diff, "behavior.discount_effect", "net_profit_cny", "ladder - points")
"""),
    code("""
executor.close()
"""),
    md("""
**Reading it.** Net profit is after ad spend and after the points still owed: the points arm
books the points its members hold at the end as a liability, valued at the catalogue's highest
cost per point, besides the gifts already redeemed. On this small market and 120 days both arms
are still paying back acquisition, so the levels are negative and only the difference matters.
The ladder sells more (GMV, repurchase) but pays for it in discounts, including on orders that
would have happened anyway. The cells above print which arm earns more at each
`discount_effect` and whether the ranking flips; the next cell checks the reading against
those numbers: the ladder's lead grows with `discount_effect`, so measuring that sensitivity
(an A/B test of one coupon step is enough) tells how much the ladder is worth, and where the
answer would turn if it flips within the range.
"""),
    code("""
# the reading above, checked on the numbers it discusses
assert np.all(np.diff(d) > 0), "the ladder's lead no longer grows with discount_effect"
assert (cmp.table.query("outcome == 'discount_cny' and arm == 'ladder'")["diff"] > 0).all()
assert (cmp.table.query("outcome == 'gmv_cny' and arm == 'ladder'")["diff"] > 0).all()
"""),
]

NB08 = [
    md("""
# 08 — What does the coupon ladder's profit depend on?

Global sensitivity analysis (Sobol' indices): how much of the variance of an outcome each
input explains alone (**first order**, S1) and with its interactions (**total**, ST), with
bootstrap intervals. First we check the method on a function whose indices are known
exactly (Ishigami), then we ask the simulator: is it the market (how discounts and trust act)
or the ladder's own settings that decide its profit? Declared in `experiments/ladder_drivers.yaml`.
"""),
    code("""
# parameters
EXPERIMENT = "../experiments/ladder_drivers.yaml"
SAMPLES = 16          # Saltelli base sample (a power of 2): runs = SAMPLES * (inputs + 2)
TOY_SAMPLES = 1024
WORKERS = 2
""", tags=["parameters"]),
    code(SETUP + """
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
    "name": "ishigami", "model": "toy_ishigami", "replications": 1, "seed": 1,
    "uncertainties": {k: {"low": -np.pi, "high": np.pi} for k in ("x1", "x2", "x3")},
    "outcomes": {"y": "maximize"}, "sensitivity": {"samples": TOY_SAMPLES, "bootstrap": 200}}))
t = toy.sensitivity().table
truth = ishigami_indices()
t["first_exact"], t["total_exact"] = truth["first"], truth["total"]
print(t[["parameter", "first", "first_low", "first_high", "first_exact", "total", "total_low",
         "total_high", "total_exact"]].round(3).to_string(index=False))
"""),
    md("""
## The simulator

Three uncertainties about the market (how strongly discounts, trust and first purchases act)
and two levers of the ladder (how many idle days before the first step, how many days
between steps). Small market, one replication per point: the intervals tell how far to trust
the ranking; raise `SAMPLES` for tighter ones.
"""),
    code("""
spec = load_experiment(EXPERIMENT)
spec.sensitivity["samples"] = SAMPLES
executor = make_executor("processes", WORKERS)
exp = Experiment(spec, executor=executor)
sa = exp.sensitivity()
cols = ["outcome", "label", "first", "first_low", "first_high", "total", "total_low", "total_high"]
print(sa.table[cols].round(2).to_string(index=False))
executor.close()
"""),
    code("""
fig = pe.sensitivity_bars(sa.table, "net_profit_cny")
"""),
    code("""
fig = pe.sensitivity_bars(sa.table, "discount_cny")
"""),
    code("""
ranked = sa.table[sa.table.outcome == "net_profit_cny"].sort_values("total", ascending=False)
top = ranked.iloc[0]
levers = {p.key for p in spec.levers}
kind = "a lever the team sets" if top["parameter"] in levers else "a property of the market"
print(f"Largest total effect on net profit: {top['label']} ({kind}), "
      f"ST = {top['total']:.2f} [{top['total_low']:.2f}, {top['total_high']:.2f}]")
"""),
    md("""
**Reading it.** Inputs with a small total index can be fixed at any sensible value without
changing the answer — no need to measure them. Inputs with a large total index deserve the
measurement budget (if they are market properties) or the tuning effort (if they are levers;
notebook 09). A total index well above the first-order one means the input matters through
interactions: its best value depends on the others.
"""),
]

NB09 = [
    md("""
# 09 — How much on ads, how deep a coupon, under a budget?

Two levers: the Douyin ad budget (CNY per day) and the depth of a monthly coupon to the pond.
Constraints: total spend (marketing cost plus coupon money) at most 6,000 CNY over 90 days,
and at most 2,500 messages. The market's response to discounts is uncertain, so each lever
setting is scored on three market scenarios and we maximise a **low quantile** (25 %) of net
profit across them — good even if discounts move customers less than hoped. We report the
**frontier** of profit against sales (GMV), not just one point: growth and profit pull apart,
and the frontier says at what price. Declared in
`experiments/budget_split.yaml`.
"""),
    code("""
# parameters
EXPERIMENT = "../experiments/budget_split.yaml"
CANDIDATES = 8
ROUNDS = 1
WORKERS = 2
""", tags=["parameters"]),
    code(SETUP),
    code("""
spec = load_experiment(EXPERIMENT)
spec.optimize["candidates"], spec.optimize["rounds"] = CANDIDATES, ROUNDS
executor = make_executor("processes", WORKERS)
exp = Experiment(spec, executor=executor)
op = exp.optimize()
executor.close()
levers = [p.key for p in spec.levers]
if op.best is None:
    print("No lever setting meets every constraint.")
else:
    b = op.best
    print(f"Best feasible: Douyin ads {b[levers[0]]:.0f} CNY/day, coupon {100 * b[levers[1]]:.0f} % off")
    print(f"  net profit (25 % quantile across scenarios): {b['objective']:,.0f} CNY")
    print(f"  spend {b['constraint:budget']:,.0f} CNY of 6,000; messages {b['constraint:message_cap']:,.0f} of 2,500")
"""),
    code("""
cols = levers + ["objective", "constraint:budget", "constraint:message_cap", "feasible"]
print(op.candidates[cols].head(10).round(3).to_string(index=False))
"""),
    md("""
## The frontier

Every candidate, the feasible ones, and the frontier: the settings for which no other
feasible setting gives both more profit and more sales. Moving along it trades profit for
growth; the slope is what each extra yuan of GMV costs in profit.
"""),
    code("""
print(op.frontier[levers + ["objective", "mean:gmv_cny", "constraint:budget"]].round(3).to_string(index=False))
fig = pe.frontier_plot(op)
"""),
    code("""
fig = pe.response_surface(op.runs, levers, "net_profit_cny")
"""),
    md("""
**Reading it.** The best point is the one to try first; the frontier is the one to show the
budget holder: if the brand wants more sales than the best-profit point gives, it says which
settings deliver them at the least loss of profit, across the scenarios we believe possible. Raise `CANDIDATES` and `ROUNDS` for a finer search, and add scenarios in the
experiment file to widen the uncertainty the answer must survive.
"""),
]


def main():
    out = ROOT / "notebooks"
    out.mkdir(exist_ok=True)
    for name, cells in (("07_compare_strategies", NB07), ("08_sensitivity", NB08),
                        ("09_optimise_budget", NB09)):
        nbf.write(notebook(cells), out / f"{name}.ipynb")
        print(f"wrote notebooks/{name}.ipynb")


if __name__ == "__main__":
    main()
