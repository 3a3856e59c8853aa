"""Write notebooks/12_what_if.ipynb from this script (cells stay reviewable as code), then run it:

    python examples/make_notebook_12.py
    jupyter nbconvert --to notebook --execute --inplace notebooks/12_what_if.ipynb
    python -m pytest -p no:cacheprovider -n0 notebooks/12_what_if.ipynb
"""
import sys
from pathlib import Path

import nbformat as nbf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "experiments"))
from make_notebooks import code, md, notebook  # noqa: E402  (the cell helpers of the experiment notebooks)


CELLS = [
    md("""
# 12 · What if? The ladder's levers on sliders

**Question:** if we move the coupon ladder's levers (how long a member is idle before the first
coupon, the days between steps, how deep the rungs go, how long a coupon lasts), what happens to
net profit, GMV, what the strategy costs and churn against the pond?

`simlib.whatif(scenario, reference=..., **levers)` runs one setting and its reference on the same
seeds (common random numbers), `reps` paired replications each in one population
(`simlib.run_batch`), and returns the verdict panel: each outcome with its paired difference, the
interval and P(better), and a reading that says when the interval still holds zero. Each setting
is cached, so a slider moved back redraws at once. In JupyterLab the sliders below redraw the
panel when released (`continuous_update=False`); `pip install "simlib[lab]"` brings ipywidgets.

A lever is a key of one of the scenario's policies (`idle_days=21`), `POLICY__KEY`
(`ladder__idle_days=21`) or any dotted key in `overrides=`. The sizes here are small so the
notebook runs in seconds; `benchmarks/whatif_speed.py` times one redraw at 20,000 customers and a
year.
"""),
    code('''
scenario = "coupon_ladder"   # the preset whose levers the sliders move
reference = "pond"           # what each setting is compared with
users = 2000                 # simulated customers (they stand for the scenario's 20,000)
days = 180                   # simulated days
reps = 4                     # paired replications per setting
seed = 0
idle_days = 30               # the ladder's first lever: days idle before the first coupon (stock: 30)
''', tags=["parameters"]),
    code('''
import simlib
from simlib.report.whatif import whatif

stock = simlib.load_scenario(scenario)
down = stock.get("policies.ladder.down_off_shares")
up = stock.get("policies.ladder.up_off_shares")
print(f"{scenario}: steps down {' -> '.join(f'{x:.0%}' for x in down)}, back up {' -> '.join(f'{x:.0%}' for x in up)}, "
      f"first step after {stock.get('policies.ladder.idle_days')} idle days")
'''),
    md("""
## One setting, read plainly

The ladder with `idle_days` from the parameters cell against the pond. The panel prints each
outcome for the setting and for the reference, the paired difference and its 95 % interval; the
reading is computed from the net-profit interval.
"""),
    code('''
panel = whatif(scenario, reference=reference, reps=reps, seed=seed, users=users, days=days, idle_days=idle_days)
print(panel)
'''),
    code('''
# the readings above, checked on the numbers they discuss
cost = panel.row("strategy_cost_cny")
assert cost["diff_low"] > 0, "the ladder no longer costs more than the pond (its discounts are a cost)"
net = panel.row("net_profit_cny")
assert panel.resolved == (net["diff_low"] > 0 or net["diff_high"] < 0)
churn = panel.table.query("outcome == 'churn_rate'")
assert ((churn["mean_low"] >= 0) & (churn["mean_high"] <= 1)).all(), "a churn interval left [0, 1]"
'''),
    md("""
## The sliders

Five levers of the preset: idle days before the first coupon, days between steps, the depth of
the rungs down and back up (as a multiple of the stock Luckin rungs: 0.33 turns 15 / 57 / 72 %
into 5 / 19 / 24 %), and how many days a coupon lasts. Release a slider to redraw.
"""),
    code('''
# NBVAL_IGNORE_OUTPUT
import ipywidgets as widgets
from IPython.display import display

sliders = {
    "idle_days": widgets.IntSlider(value=idle_days, min=7, max=90, step=1, description="idle days"),
    "step_days": widgets.IntSlider(value=stock.get("policies.ladder.step_days"), min=1, max=30, description="step days"),
    "down_depth": widgets.FloatSlider(value=1.0, min=0.1, max=1.3, step=0.05, description="rungs down x"),
    "up_depth": widgets.FloatSlider(value=1.0, min=0.0, max=1.5, step=0.05, description="rungs up x"),
    "valid_days": widgets.IntSlider(value=stock.get("policies.ladder.valid_days"), min=1, max=30, description="valid days"),
}
for s in sliders.values():
    s.continuous_update = False     # redraw on release, not while dragging
panel_out = widgets.Output()


def redraw(_change=None):
    v = {k: s.value for k, s in sliders.items()}
    setting = whatif(scenario, reference=reference, reps=reps, seed=seed, users=users, days=days,
                     idle_days=v["idle_days"], step_days=v["step_days"], valid_days=v["valid_days"],
                     down_off_shares=[min(1.0, round(x * v["down_depth"], 4)) for x in down],
                     up_off_shares=[min(1.0, round(x * v["up_depth"], 4)) for x in up])
    panel_out.clear_output(wait=True)
    with panel_out:
        print(setting)


for s in sliders.values():
    s.observe(redraw, names="value")
redraw()
display(widgets.VBox([*sliders.values(), panel_out]))
'''),
    md("""
**Reading the panel.** A difference whose interval holds zero is not resolved at this many
replications: raise `reps` (or `users`) before acting on it. What the strategy costs counts every
yuan the setting gives or spends (the ladder's discounts above all), so a deeper ladder can sell
more and still earn less. For a decision to forward, run the chosen setting through
`simlib compare ... --out` and send its `report.html`.
"""),
]


def main():
    path = ROOT / "notebooks" / "12_what_if.ipynb"
    nbf.write(notebook(CELLS), path)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
