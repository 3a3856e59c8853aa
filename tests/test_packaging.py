"""Packaging: the wheel carries every subpackage and the built-in scenarios; optional extras fail
cleanly when missing; environment.yml, README and CI agree with pyproject.toml.

(.ci/run builds the wheel, installs it in a fresh environment and runs it from another folder.)
"""

import re
import sys
import tomllib

import pandas as pd
import pytest
import yaml

import simlib
from simlib.scenario import BUILTIN_DIR

from conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _name_and_floor(requirement: str) -> tuple[str, str]:
    match = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*(?:>=\s*([\w.]+))?", requirement.strip())
    assert match, requirement
    return match.group(1).lower(), match.group(2) or ""


def test_every_subpackage_is_listed_for_the_wheel():
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "simlib").rglob("__init__.py")}
    assert listed - {"simlib.scenarios"} == on_disk
    assert PYPROJECT["tool"]["setuptools"]["package-dir"]["simlib.scenarios"] == "scenarios"
    assert PYPROJECT["tool"]["setuptools"]["package-data"]["simlib.scenarios"] == ["*.yaml"]


def test_builtin_scenarios_resolve_from_the_checkout_in_an_editable_install():
    assert BUILTIN_DIR == ROOT / "scenarios"
    assert simlib.builtin_scenarios() == sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))


def test_environment_yml_lists_every_dependency_with_the_same_floor():
    conda = {}
    for item in yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))["dependencies"]:
        if isinstance(item, str) and item not in ("pip",) and not item.startswith("python="):
            name, floor = _name_and_floor(item)
            conda[name] = floor
        elif isinstance(item, dict):   # the pip section: simlib itself, and what conda-forge lacks
            for requirement in item.get("pip", []):
                if not requirement.startswith("-e"):
                    name, floor = _name_and_floor(requirement)
                    conda[name] = floor
    wanted = list(PYPROJECT["project"]["dependencies"])
    for extra in PYPROJECT["project"]["optional-dependencies"].values():
        wanted += [r for r in extra if not r.startswith("simlib[")]
    for requirement in wanted:
        name, floor = _name_and_floor(requirement)
        names = ["dask", "distributed"] if requirement.startswith("dask[distributed]") else [name]
        for n in names:
            assert conda.get(n) == floor, (requirement, n, conda.get(n))


def test_the_cluster_stack_is_an_extra_and_the_test_extra_pulls_it_in():
    core = {_name_and_floor(r)[0] for r in PYPROJECT["project"]["dependencies"]}
    assert not core & {"dask", "distributed", "pyarrow"}
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert {_name_and_floor(r)[0] for r in extras["cluster"]} == {"dask", "pyarrow"}
    assert "simlib[cluster]" in extras["test"] and any(r.startswith("papermill") for r in extras["test"])


def test_ci_runs_exactly_the_readme_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"```bash\n(pip install [^\n]*)\n```", readme)
    assert commands[:2] == ["pip install . && simlib run", 'pip install -e ".[test]" && python -m pytest']
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert commands[1] in ci                       # the test command, verbatim
    assert any(line.strip().startswith("simlib run ") for line in ci)   # the main job, at a small size
    assert any(line.strip().startswith("simlib scenarios") for line in ci)


def test_dask_without_the_cluster_extra_names_the_extra(monkeypatch):
    from simlib.experiment import make_executor
    monkeypatch.setitem(sys.modules, "distributed", None)     # import distributed -> ImportError
    with pytest.raises(simlib.UserError, match=re.escape("simlib[cluster]")):
        make_executor(scheduler="local")


def test_parquet_copies_are_skipped_without_pyarrow(monkeypatch, tmp_path):
    from simlib.experiment.store import RunStore
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    frame = pd.DataFrame({"arm": ["a", "b"], "gmv_cny": [1.0, 2.0]})
    written = RunStore(str(tmp_path)).write_table("comparison", frame)
    assert [p.rsplit("/", 1)[-1] for p in written] == ["comparison.csv"]
    assert (tmp_path / "comparison.csv").read_text() == frame.to_csv(index=False)
