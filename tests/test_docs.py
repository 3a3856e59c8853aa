"""The model reference stays in step with the code."""

from simlib import docs
from simlib.behavior import BEHAVIOR_PARAMS
from simlib.policies.base import policy_types


def test_parameter_reference_is_up_to_date():
    text = docs.MODEL_MD.read_text(encoding="utf-8")
    assert docs.render(text) == text, "docs/model.md is out of date: run python -m simlib.docs"


def test_every_policy_type_and_behaviour_parameter_is_documented():
    text = docs.MODEL_MD.read_text(encoding="utf-8")
    for name in policy_types():
        assert f"`type: {name}`" in text
    for key in BEHAVIOR_PARAMS:
        assert f"`{key}`" in text
