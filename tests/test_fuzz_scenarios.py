"""Fuzzed mutants of the project's own scenario files end cleanly.

Each mutant of a file in scenarios/ (seeded: a key deleted or misspelt, a value replaced by
another type, a huge, negative, NaN or infinite number, a long string, a line duplicated)
either fails validation with a ScenarioError / UserError, or validates and then runs a few
days at a tiny size without any error: validation runs every check a run runs.
"""

import copy
import math
import random

import pytest
import yaml

import simlib
from simlib.scenario import BUILTIN_DIR

from conftest import ROOT

MUTANTS_PER_FILE = 24
REPLACEMENTS = [None, True, "", "x" * 5000, "coupon_ladder", -1, 0, -1e9, 10**15, 1e300, math.nan, math.inf,
                [], [1, "a"], {}, {"type": "journey"}, 3.5, "2024-02-30"]
SCENARIO_FILES = sorted(p.name for p in (ROOT / "scenarios").glob("*.yaml"))


def _paths(node, prefix=()):
    """Every key path in a nested dict/list, parents before children."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        yield prefix + (key,)
        yield from _paths(value, prefix + (key,))


def _mutate(data: dict, rng: random.Random) -> dict:
    data = copy.deepcopy(data)
    path = rng.choice(list(_paths(data)))
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    op = rng.choice(["delete", "replace", "replace", "misspell", "scale"])
    if op == "delete":
        del parent[last]
    elif op == "misspell" and isinstance(last, str) and len(last) > 1:
        i = rng.randrange(len(last) - 1)
        parent[last[:i] + last[i + 1] + last[i] + last[i + 2:]] = parent.pop(last)
    elif op == "scale" and isinstance(parent[last], (int, float)) and not isinstance(parent[last], bool):
        parent[last] = parent[last] * rng.choice([-1, 1e6, 1e-6, 1000])
    else:
        parent[last] = copy.deepcopy(rng.choice(REPLACEMENTS))
    return data


def _duplicate_a_line(text: str, rng: random.Random) -> str:
    lines = text.splitlines()
    keyed = [i for i, line in enumerate(lines) if ":" in line and not line.lstrip().startswith(("#", "-"))]
    i = rng.choice(keyed)
    return "\n".join(lines[:i + 1] + [lines[i]] + lines[i + 1:]) + "\n"


@pytest.mark.parametrize("file_name", SCENARIO_FILES)
def test_mutants_validate_and_run_or_raise_a_user_error(file_name, tmp_path):
    text = (BUILTIN_DIR / file_name).read_text(encoding="utf-8")
    original = yaml.safe_load(text)
    rng = random.Random(file_name)
    outcomes = {"refused": 0, "ran": 0}
    for k in range(MUTANTS_PER_FILE):
        path = tmp_path / f"{k}_{file_name}"
        if k % 8 == 7:
            path.write_text(_duplicate_a_line(text, rng), encoding="utf-8")
        else:
            path.write_text(yaml.safe_dump(_mutate(original, rng), allow_unicode=True), encoding="utf-8")
        try:
            scenario = simlib.load_scenario(path)
        except simlib.UserError as err:
            assert str(err).startswith(str(path.name)) or path.name in str(err), err
            assert len(str(err)) < 5000
            outcomes["refused"] += 1
            continue
        result = simlib.run(scenario, seed=k, users=200, days=4)
        assert len(result.daily) == 4
        outcomes["ran"] += 1
    assert outcomes["refused"] and outcomes["ran"], outcomes   # the mutations reach both sides
