"""Hostile or broken experiment input ends cleanly: exit 2, a message naming the file, the
key and what is allowed, in bounded time and memory, with nothing written (one case per
class of input, not per example)."""
import os
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from simlib.cli.main import main
from simlib.experiment import ExperimentError, make_executor

BASE = str(Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml")
HEAD = (f"name: t\nbase: {BASE}\nusers: 200\ndays: 10\nreplications: 2\n"
        "arms: {a: {}, b: {overrides: {policies.douyin_ads.budget_cny_per_day: 100}}}\n")
TOY = "name: toy\nmodel: toy_funnel\nreplications: 2\narms: {a: {}, b: {overrides: {discount: 0.1}}}\n"
BOMB = "".join(f"{x}: &{x} [{', '.join([f'*{p}'] * 9)}]\n" for p, x in zip("abcdefg", "bcdefgh"))
BOMB = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + BOMB + "name: *h\n"

# (id, file text, the key the message must name, a fragment of what is allowed)
FILES = [
    ("string_as_bool", HEAD + "crn: 'false'\n", "crn", "true or false"),
    ("formula_adds_a_string", HEAD + "outcomes: {net: {formula: \"gross_profit_cny + 'x'\"}}\n",
     "outcomes.net.formula", "metric names, numbers"),
    ("formula_calls_code", HEAD + "outcomes: {net: {formula: \"__import__('os').system('true')\"}}\n",
     "outcomes.net.formula", "metric names, numbers"),
    ("formula_unknown_metric", HEAD + "outcomes: {net: {formula: gross_profit_cny - costs}}\n",
     "outcomes.net.formula", "gross_profit_cny"),
    ("list_where_a_choice", HEAD + "outcomes: {gmv_cny: {direction: [max]}}\n",
     "outcomes.gmv_cny.direction", "'maximize', 'minimize'"),
    ("scalar_where_a_mapping", HEAD + "sweep: grid\n", "sweep", "a mapping with keys design"),
    ("list_where_a_mapping", "name: t\nbase: baseline\narms: [1, 2]\n", "arms", "a mapping of names"),
    ("absurd_levels", HEAD + "levers: {policies.douyin_ads.budget_cny_per_day: {low: 0, high: 100}}\n"
     "sweep: {design: grid, levels: 100000000}\n", "sweep.levels", "[2, 1000]"),
    ("absurd_grid", HEAD + "levers: {" + ", ".join(f"x{i}: {{low: 0, high: 1}}" for i in range(8))
     + "}\nsweep: {design: grid, levels: 10}\n", "sweep", "at most 100,000 runs per analysis"),
    ("absurd_samples", HEAD + "uncertainties: {a: {low: 0, high: 1}, b: {low: 0, high: 1}}\n"
     "sensitivity: {samples: 1073741824}\n", "sensitivity.samples", "[8, 65536]"),
    ("absurd_replications", HEAD.replace("replications: 2", "replications: 1000000000"),
     "replications", "[1, 10000]"),
    ("absurd_market", HEAD.replace("users: 200", "users: 1000000000000"), "users", "[1, 50000000]"),
    ("too_many_values", HEAD + "levers: {x: {values: [" + ",".join(["1"] * 2000) + "]}}\n",
     "levers.x.values", "1 to 1000 items"),
    ("not_a_number", HEAD + "levers: {x: {low: 0, high: .nan}}\n", "levers.x.high", "a number"),
    ("bool_as_integer", HEAD.replace("replications: 2", "replications: true"), "replications", "an integer"),
    ("mapping_as_text", HEAD.replace("name: t", "name: {a: 1}"), "name", "a string"),
    ("code_as_model", HEAD + "model: 'subprocess:Popen'\n", "model", "toy_funnel"),
    ("path_as_name", HEAD.replace("name: t", "name: 实验/../../x"), "name", "a plain file name"),
    ("absolute_name", HEAD.replace("name: t", "name: /tmp/x"), "name", "a plain file name"),
    ("unknown_cross_reference", HEAD + "levers: {x: {low: 0, high: 1}}\noutcomes: [gmv_cny]\n"
     "optimize: {outcome: gmv_cny, constraints: [{levers: [y], max: 1}]}\n",
     "optimize.constraints[0].levers.y", "allowed: x"),
    ("misspelt_scenario_key", HEAD + "levers: {policies.douyin_ads.budget_per_day: {low: 0, high: 1}}\n",
     "levers.policies.douyin_ads.budget_per_day", "Did you mean 'budget_cny_per_day'?"),
    ("alias_bomb", BOMB, "name", "100,000 values"),
    ("deep_nesting", "name: t\noverrides: " + "{a: " * 100 + "1" + "}" * 100 + "\n", "overrides",
     "deeper than 50 levels"),
]


def run_cli(tmp_path, monkeypatch, capsys, *argv):
    monkeypatch.chdir(tmp_path)
    start = time.perf_counter()
    code = main([*map(str, argv), "--workers", "1", "--no-progress", "--no-plots"])
    return code, capsys.readouterr().err, time.perf_counter() - start


@pytest.mark.parametrize("text,key,allowed", [f[1:] for f in FILES], ids=[f[0] for f in FILES])
def test_hostile_experiment_file(tmp_path, monkeypatch, capsys, text, key, allowed):
    path = tmp_path / "exp.yaml"
    path.write_text(text, encoding="utf-8")
    tracemalloc.start()
    try:
        code, err, seconds = run_cli(tmp_path, monkeypatch, capsys, "experiment", path)
        peak_bytes = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert code == 2
    assert err.startswith(f"error: {path}: {key}: "), err[:300]
    assert allowed in err and "Traceback" not in err
    assert len(err) < 2000
    assert seconds < 10 and peak_bytes < 100e6
    assert sorted(os.listdir(tmp_path)) == ["exp.yaml"]  # nothing written, no run computed


@pytest.mark.parametrize("case", ["folder", "binary", "broken_yaml", "top_level_list", "very_deep", "huge"])
def test_unusable_experiment_file(tmp_path, monkeypatch, capsys, case):
    path = tmp_path / "exp.yaml"
    if case == "folder":
        path.mkdir()
    elif case == "binary":
        path.write_bytes(b"\x00\x01\xff\xfe" * 100)
    elif case == "broken_yaml":
        path.write_text("name: [\n")
    elif case == "top_level_list":
        path.write_text("- a\n- b\n")
    elif case == "very_deep":
        path.write_text("name: " + "[" * 20000 + "]" * 20000 + "\n")
    else:
        path.write_text("description: '" + "x" * 1_100_000 + "'\n")
    code, err, seconds = run_cli(tmp_path, monkeypatch, capsys, "experiment", path)
    assert code == 2 and err.startswith(f"error: {path}: ") and "Traceback" not in err
    assert len(err) < 500 and seconds < 10
    assert sorted(os.listdir(tmp_path)) == ["exp.yaml"]


@pytest.mark.parametrize("args,flag,allowed", [
    (["--workers", "-1"], "--workers", "an integer from 1 to"),
    (["--scheduler", "bogus://x"], "--scheduler", "SCHEME://HOST:PORT"),
    (["--reps", "0"], "--reps", "[1, 10000]"),
    (["--out", "taken"], "--out", "is a file"),
    (["--only", "sweeep"], "--only", "compare, sweep"),
])
def test_hostile_command_line(tmp_path, monkeypatch, capsys, args, flag, allowed):
    (tmp_path / "toy.yaml").write_text(TOY)
    (tmp_path / "taken").write_text("a file the user keeps\n")
    monkeypatch.chdir(tmp_path)
    start = time.perf_counter()
    code = main(["experiment", "toy.yaml", "--no-progress", "--no-plots", *args])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith(f"error: {flag}: ") and allowed in err, err
    assert time.perf_counter() - start < 10
    assert sorted(os.listdir(tmp_path)) == ["taken", "toy.yaml"]
    assert (tmp_path / "taken").read_text() == "a file the user keeps\n"


def test_without_dask_the_scheduler_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    for kw in ({"scheduler": "tcp://10.0.0.5:8786"}, {"kind": "dask"}):
        with pytest.raises(ExperimentError) as e:
            make_executor(**kw)
        assert "pip install 'simlib[cluster]'" in str(e.value)


def test_out_folder_holding_other_files_is_refused_and_kept(tmp_path, monkeypatch, capsys):
    (tmp_path / "toy.yaml").write_text(TOY)
    other = tmp_path / "report"
    other.mkdir()
    (other / "comparison.csv").write_text("somebody else's numbers\n")
    code, err, _ = run_cli(tmp_path, monkeypatch, capsys, "experiment", "toy.yaml", "--out", other)
    assert code == 2 and err.startswith(f"error: {other}: holds other files (comparison.csv)")
    assert os.listdir(other) == ["comparison.csv"]
    assert (other / "comparison.csv").read_text() == "somebody else's numbers\n"
