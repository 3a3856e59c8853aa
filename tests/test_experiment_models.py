"""No experiment file runs code: a model is a registered entry point chosen by name, or a
function passed from Python; a module path in a file is refused without importing it."""
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from simlib.experiment import Experiment, ExperimentError, load_experiment, parse_experiment
from simlib.experiment import toy
from simlib.experiment.spec import registered_models

FUNNEL = {"name": "funnel", "replications": 3, "seed": 2,
          "arms": {"plain": {}, "coupon": {"overrides": {"discount": 0.05}}},
          "outcomes": {"gmv_cny": "maximize", "purchases": "maximize"}}


@pytest.fixture
def trap(tmp_path, monkeypatch):
    """An importable module that leaves a marker file if anything imports it."""
    marker = tmp_path / "imported"
    (tmp_path / "trap_module.py").write_text(
        f"open({str(marker)!r}, 'w').write('imported')\ndef run(params, seed, arm):\n    return {{'x': 1.0}}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return marker


@pytest.mark.parametrize("name", ["trap_module:run", "trap_module", "subprocess:Popen", "os:system"])
def test_a_module_path_in_a_file_is_refused_without_importing(tmp_path, trap, name):
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump({**FUNNEL, "model": name}))
    with pytest.raises(ExperimentError) as e:
        load_experiment(path)
    assert (e.value.source, e.value.key) == (str(path), "model")
    assert "not a registered model" in e.value.problem and "toy_funnel" in e.value.problem
    assert "entry point in group 'simlib.models'" in e.value.problem
    assert not trap.exists() and "trap_module" not in sys.modules


def test_crafted_command_is_not_run_from_the_command_line(tmp_path):
    marker = tmp_path / "pwned"
    exp = {"name": "x", "model": "subprocess:Popen", "replications": 2,
           "arms": {"a": {"overrides": {"args": ["touch", str(marker)]}}},
           "levers": {"shell": {"values": [True]}}, "sweep": {"design": "grid"}}
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(exp))
    p = subprocess.run([sys.executable, "-m", "simlib.cli", "experiment", str(path), "--workers", "1",
                        "--out", str(tmp_path / "out"), "--no-progress"], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert f"{path}: model: 'subprocess:Popen' is not a registered model" in p.stderr
    assert not marker.exists() and not (tmp_path / "out").exists()


def test_listing_registered_models_imports_none_of_them():
    code = ("import sys; from simlib.experiment.spec import registered_models; "
            "names = sorted(registered_models()); "
            "print(names, 'simlib.experiment.toy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert out.strip() == "['toy_funnel', 'toy_ishigami', 'toy_quadratic', 'toy_slow'] False"


def test_registered_name_and_python_function_give_the_same_runs():
    assert registered_models()["toy_funnel"].value == "simlib.experiment.toy:funnel"
    by_name = Experiment(parse_experiment({**FUNNEL, "model": "toy_funnel"})).compare()
    from_python = Experiment(parse_experiment(FUNNEL), model=toy.funnel).compare()
    pd.testing.assert_frame_equal(by_name.runs, from_python.runs, check_exact=True)
    assert by_name.runs["gmv_cny"].nunique() == 6  # three seeds, two arms that differ


def test_model_from_python_must_be_a_function():
    with pytest.raises(ExperimentError, match="must be a function"):
        parse_experiment(FUNNEL, model="simlib.experiment.toy:funnel")
    with pytest.raises(ExperimentError, match="expected a function"):
        Experiment(parse_experiment(FUNNEL), model="simlib.experiment.toy:funnel")


def test_an_unknown_outcome_stops_a_custom_model_after_its_first_run(tmp_path):
    spec = parse_experiment({**FUNNEL, "outcomes": {"profit": {"formula": "gmv_cny - costs"}}})
    exp = Experiment(spec, out=str(tmp_path / "out"), model=toy.funnel)
    with pytest.raises(ExperimentError) as e:
        exp.compare()
    assert e.value.key == "outcomes.profit.formula" and "no metric 'costs'" in e.value.problem
    assert len(list((tmp_path / "out" / "runs" / "compare").glob("*.json"))) == 1


def test_fingerprint_records_the_model(tmp_path):
    out = str(tmp_path / "out")
    Experiment(parse_experiment(FUNNEL), out=out, model=toy.funnel).compare()
    with pytest.raises(ExperimentError, match="different experiment"):
        Experiment(parse_experiment(FUNNEL), out=out, model=toy.slow).compare()
    assert Path(out, "fingerprint.txt").stat().st_mode & 0o777 == 0o644
