"""Param checks nested items (declared keys, named entries, lists) in the one dialect:
file, dotted key path, what is allowed, a did-you-mean."""
import pytest

from simlib.errors import ScenarioError
from simlib.params import Param, resolve

POINT = Param({}, "a point", kind=dict, fields={
    "low": Param(0.0, "lower end"), "high": Param(1.0, "upper end"),
    "integer": Param(False, "whole numbers only", kind=bool)})
SCHEMA = {
    "points": Param({}, "named points", kind=dict, items=POINT, high=3),
    "tags": Param([], "labels", kind=list, items=Param("", "a label", kind=str), low=1, high=2),
}


def error(given) -> ScenarioError:
    with pytest.raises(ScenarioError) as e:
        resolve(SCHEMA, given, "f.yaml", "")
    return e.value


def test_nested_items_are_resolved_with_defaults():
    out = resolve(SCHEMA, {"points": {"a": {"high": 2}}, "tags": ["x"]}, "f.yaml", "")
    assert out == {"points": {"a": {"low": 0.0, "high": 2.0, "integer": False}}, "tags": ["x"]}


def test_unknown_nested_key_names_the_path_and_a_guess():
    e = error({"points": {"a": {"hihg": 2}}})
    assert (e.source, e.key) == ("f.yaml", "points.a.hihg")
    assert "Did you mean 'high'?" in e.problem and "Allowed: high, integer, low" in e.problem


def test_list_item_kind_and_size():
    e = error({"tags": ["x", 3]})
    assert e.key == "tags[1]" and "expected a string, got 3" in e.problem
    e = error({"tags": ["a", "b", "c"]})
    assert e.key == "tags" and "has 3 items" in e.problem and "1 to 2 items" in e.problem
    e = error({"points": {k: {} for k in "abcd"}})
    assert e.key == "points" and "at most 3 items" in e.problem


def test_strings_are_not_booleans_and_mappings_not_scalars():
    e = error({"points": {"a": {"integer": "false"}}})
    assert e.key == "points.a.integer" and "true or false" in e.problem
    e = error({"points": "grid"})
    assert e.key == "points" and "a mapping of names to a mapping with keys low, high, integer" in e.problem


def test_existing_scalar_behaviour_is_unchanged():
    p = Param(1, "n", kind=int, low=1, high=10)
    assert p.check(3.0, "f", "k") == 3
    with pytest.raises(ScenarioError, match=r"allowed: an integer in \[1, 10\]"):
        p.check(11, "f", "k")
    assert Param({}, "m", kind=dict).check({"anything": [1]}, "f", "k") == {"anything": [1]}
