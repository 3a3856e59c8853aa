"""Broken experiment files give one clear message: file, key path, allowed values, a guess."""
import subprocess
import sys

import pytest
import yaml

from simlib.experiment import Experiment, ExperimentError, load_experiment, parse_experiment

from pathlib import Path

BASE = str(Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml")


def write(tmp_path, data, name="exp.yaml"):
    p = tmp_path / name
    p.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return str(p)


def good(**extra):
    d = {"name": "t", "base": BASE, "users": 300, "days": 20,
         "replications": 2, "arms": {"a": {}, "b": {"overrides": {"policies.douyin_ads.budget_cny_per_day": 100}}},
         "outcomes": {"gmv_cny": "maximize"}}
    d.update(extra)
    return d


def error_of(tmp_path, data, build=False):
    path = write(tmp_path, data)
    with pytest.raises(ExperimentError) as e:
        spec = load_experiment(path)
        if build:
            Experiment(spec).arms_data()
    return str(e.value), path


def test_unknown_top_key_names_file_key_and_guess(tmp_path):
    d = good()
    d["replicatons"] = 3
    msg, path = error_of(tmp_path, d)
    assert msg.startswith(f"{path}: replicatons: unknown key. Did you mean 'replications'?")
    assert "Allowed: arms, base," in msg


def test_impossible_range(tmp_path):
    msg, _ = error_of(tmp_path, good(levers={"policies.douyin_ads.budget_cny_per_day": {"low": 500, "high": 100}}))
    assert "levers.policies.douyin_ads.budget_cny_per_day" in msg and "low (500) must be below high (100)" in msg


def test_sobol_samples_must_be_power_of_two(tmp_path):
    d = good(uncertainties={"behavior.discount_effect": {"low": 1, "high": 5},
                            "behavior.content_effect": {"low": 0.1, "high": 1}},
             sensitivity={"samples": 100})
    msg, _ = error_of(tmp_path, d)
    assert "sensitivity.samples" in msg and "power of 2" in msg and "nearest: 128" in msg


def test_unknown_reference_arm(tmp_path):
    msg, path = error_of(tmp_path, good(reference="bb"))
    assert msg == f"{path}: reference: no arm 'bb'; allowed: a, b. Did you mean 'b'?"


def test_bad_direction(tmp_path):
    msg, path = error_of(tmp_path, good(outcomes={"gmv_cny": "biggest"}))
    assert msg == f"{path}: outcomes.gmv_cny.direction: got 'biggest'; allowed: one of 'maximize', 'minimize'."
    spec = load_experiment(write(tmp_path, good(outcomes={"gmv_cny": "min", "roi": None})))
    assert [o.direction for o in spec.outcomes] == ["minimize", "maximize"]


def test_unknown_outcome_metric_is_checked_against_the_engine(tmp_path):
    path = write(tmp_path, good(outcomes={"gmv_cyn": "maximize"}))
    with pytest.raises(ExperimentError) as e:
        Experiment(load_experiment(path)).arms_data()
    msg = str(e.value)
    assert f"{path}: outcomes.gmv_cyn: no metric 'gmv_cyn'" in msg
    assert "Did you mean 'gmv_cny'?" in msg and "gross_profit_cny" in msg


def test_unknown_scenario_key_in_uncertainties(tmp_path):
    d = good(uncertainties={"behavior.discount_efect": {"low": 1, "high": 5}})
    msg, _ = error_of(tmp_path, d, build=True)
    assert "uncertainties.behavior.discount_efect" in msg and "discount_effect" in msg


def test_broken_yaml_reports_line(tmp_path):
    path = write(tmp_path, "name: x\narms:\n  a: {overrides: [\n")
    with pytest.raises(ExperimentError) as e:
        load_experiment(path)
    assert path in str(e.value) and "line" in str(e.value)


def test_formula_rejects_code():
    with pytest.raises(ExperimentError) as e:
        parse_experiment({"name": "x", "model": "toy_funnel",
                          "outcomes": {"x": {"formula": "__import__('os').getcwd()"}}})
    assert e.value.key == "outcomes.x.formula" and "'Call' is not allowed" in e.value.problem


def test_cli_exit_2_without_traceback(tmp_path):
    d = good()
    d["seed"] = -1
    path = write(tmp_path, d)
    p = subprocess.run([sys.executable, "-m", "simlib.cli", "experiment", path, "--workers", "1",
                        "--out", str(tmp_path / "out")], capture_output=True, text=True)
    assert p.returncode == 2
    assert "Traceback" not in p.stderr
    assert f"{path}: seed: got -1; allowed: an integer in [0, 4294967295]" in p.stderr


def test_folder_of_another_experiment_is_refused_and_kept(tmp_path):
    d = {"name": "toy", "model": "toy_quadratic", "replications": 2,
         "levers": {"x": {"low": 0, "high": 1}, "y": {"low": 0, "high": 1}},
         "outcomes": {"value": "maximize"}, "sweep": {"design": "lhs", "points": 4}}
    out = str(tmp_path / "out")
    Experiment(parse_experiment(d, "toy.yaml"), out=out).sweep()
    d["levers"]["x"]["high"] = 2
    with pytest.raises(ExperimentError) as e:
        Experiment(parse_experiment(d, "toy.yaml"), out=out).sweep()
    assert "different experiment" in str(e.value)
    assert len(list((tmp_path / "out" / "runs" / "sweep").glob("*.json"))) == 8


def test_shared_overrides_are_checked_against_the_scenario(tmp_path):
    msg, _ = error_of(tmp_path, good(overrides={"policies.douyin_ads.budget_per_day": 10}), build=True)
    assert ": overrides: " in msg and "budget_per_day: unknown key" in msg and "budget_cny_per_day" in msg
