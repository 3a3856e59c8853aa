"""The documentation stays in step with the code."""

from simlib import docs
from simlib.behavior import BEHAVIOR_PARAMS
from simlib.policies.base import policy_types

DOCS = docs.REFERENCE_MD.parent


def test_parameter_reference_is_up_to_date():
    text = docs.REFERENCE_MD.read_text(encoding="utf-8")
    assert docs.render(text) == text, "docs/parameters.md is out of date: run python -m simlib.docs"


def test_every_policy_type_and_behaviour_parameter_is_documented():
    reference = docs.REFERENCE_MD.read_text(encoding="utf-8")
    for name in policy_types():
        assert f"`type: {name}`" in reference
    for key in BEHAVIOR_PARAMS:
        assert f"`{key}`" in reference
