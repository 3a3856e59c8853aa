"""Every notebook runs from the repository root under papermill with parameters other than its
defaults (another seed, a smaller market), so its readings and assertion cells must hold for
more than the one run nbval replays, and no notebook depends on the folder it is started from.

Each notebook's `parameters` cell must expose the levers the notebook is about, in lowercase
names (notebook 10, owned by calibration, is only run with another seed).
"""

import ast
import re

import nbformat
import papermill
import pytest

from conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
RUN_CONTEXT = {"users", "days", "seed", "reps", "workers"}

# per notebook: parameters unlike the defaults (another seed, a smaller or shorter market, a moved
# lever), small enough that the run stays quick
CHANGED = {
    "01_quickstart": {"seed": 5, "users": 2500, "days": 300, "reps": 2, "content_quality": 0.6},
    "02_incentives": {"seed": 11, "users": 2500, "days": 120, "depths": [0.1, 0.3, 0.6]},
    "03_content_and_fatigue": {"seed": 8, "users": 2500, "days": 120, "cost_cny_per_send": 50},
    "04_outreach_and_staff": {"seed": 6, "users": 2500, "days": 120, "staff_sizes": [0, 1, 2, 4]},
    "05_community_koc_referral": {"seed": 9, "users": 2500, "days": 150, "rewards_cny": [0, 20, 40]},
    "06_acquisition_mix": {"seed": 4, "users": 2500, "days": 120, "budget_cny_per_day": 2500},
    "07_compare_strategies": {"seed": 3, "users": 800, "days": 120, "reps": 3, "sweep_levels": 3},
    "08_sensitivity": {"seed": 4, "users": 500, "toy_samples": 512},
    "09_optimise_budget": {"seed": 9, "users": 600, "scenarios": 2},
    "11_your_pond": {"seed": 3, "next_depth": 0.3, "process": "bgnbd", "reps": 4},
    "12_what_if": {"seed": 3, "users": 1000, "days": 120, "reps": 3, "idle_days": 21},
}


def parameters_cell(nb) -> list[str]:
    """Names assigned in the notebook's one cell tagged `parameters`."""
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"{len(cells)} cells tagged parameters"
    tree = ast.parse(cells[0].source)
    return [t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets
            if isinstance(t, ast.Name)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_from_the_root_with_changed_parameters(path, tmp_path, monkeypatch):
    names = parameters_cell(nbformat.read(path, as_version=4))
    if path.stem in CHANGED:
        changed = CHANGED[path.stem]
        assert all(re.fullmatch(r"[a-z][a-z0-9_]*", n) for n in names), f"parameters not in lowercase: {names}"
        assert set(names) - RUN_CONTEXT, f"the parameters expose no lever of the notebook's own: {names}"
    else:   # a notebook this test does not know: another seed, whatever its parameter is called
        seed = [n for n in names if n.lower() == "seed"]
        assert seed, f"no seed among the parameters {names}"
        changed = {seed[0]: 3}
    unknown = set(changed) - set(names)
    assert not unknown, f"{sorted(unknown)} are not parameters of {path.name} ({names})"
    monkeypatch.chdir(ROOT)
    out = tmp_path / path.name
    papermill.execute_notebook(str(path), str(out), parameters=changed, cwd=str(ROOT), kernel_name="python3",
                               progress_bar=False, log_output=False)
    done = nbformat.read(out, as_version=4)
    injected = [c for c in done.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and all(f"{k} = " in injected[0].source for k in changed)
    errors = [o for c in done.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
