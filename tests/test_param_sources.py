"""Every parameter says what its default rests on: a basis, and for a figure or a judgement a
source and the plausible range robust comparisons draw over (issue 18)."""

import pytest

from simlib import docs
from simlib.params import BASES, Param

def test_every_parameter_has_a_basis_and_every_assumption_a_source_and_a_range():
    problems = [f"{key}: {problem}" for key, problem in docs.missing_sources()]
    assert problems == []


def test_the_check_covers_every_schema_a_scenario_declares():
    labels = [label for label, _ in docs.model_schemas()]
    for needed in ("market", "market.channels.*", "economics", "policies.*", "behavior",
                   "policies.points_program", "policies.coupon_ladder", "policies.referral_fission"):
        assert needed in labels
    assert any(label.endswith("GIFT_SCHEMA") for label in labels)
    assert sum(len(schema) for _, schema in docs.model_schemas()) > 300


@pytest.mark.parametrize("param, expected", [
    (Param(1.0, "an effect", "log"), "basis '' is not one of"),
    (Param(1.0, "an effect", "log", basis="guess"), "basis 'guess' is not one of"),
    (Param(1.0, "an effect", "log", basis="assumption", plausible=(0.5, 2.0)), "no source"),
    (Param(1.0, "an effect", "log", basis="assumption", source="assumption"), "no plausible range"),
    (Param(1.0, "an effect", "log", basis="assumption", source="assumption", plausible=(2.0, 3.0)),
     "outside its plausible range"),
    (Param(1.0, "an effect", "log", low=0.0, basis="assumption", source="assumption", plausible=(-1.0, 3.0)),
     "leaves the allowed"),
    (Param(1.0, "an effect", "log", basis="assumption", source="assumption, tested 0-2", plausible=(0.5, 2.0)),
     "the source says tested 0-2"),
    (Param(1.0, "an effect", "log", basis="assumption", source="a guess", plausible=(0.5, 2.0)),
     "does not say so"),
    (Param(1.0, "an effect", "log", basis="published", source="Smith et al.", plausible=(0.5, 2.0)),
     "names no year"),
    (Param(1.0, "an effect", "log", basis="domain", source="a host's pond", plausible=(0.5, 2.0)),
     "docs/domain.md"),
])
def test_an_incomplete_declaration_is_named(param, expected):
    found = docs.missing_sources([("test", {"x": param})])
    assert found and all(key == "test.x" for key, _ in found)
    assert any(expected in problem for _, problem in found), found


def test_complete_declarations_and_plain_inputs_pass():
    schema = {
        "budget_cny": Param(100.0, "a budget", "CNY", basis="business"),
        "kind": Param("a", "a switch", "", str, basis="structural"),
        "cap": Param(2.0, "a cap", basis="safety"),
        "effect": Param(1.0, "an effect", "log", low=0.0, basis="published", plausible=(0.5, 2.0),
                        source="Smith 2001, café loyalty cards: tested 0.5-2"),
        "items": Param(None, "a list", "", list, nullable=True, basis="fitted", source="fit it"),
    }
    assert docs.missing_sources([("test", schema)]) == []
    assert set(BASES) >= {"business", "assumption", "published", "fitted"}


def test_the_reference_shows_basis_range_and_source_of_each_parameter():
    text = docs.REFERENCE_MD.read_text(encoding="utf-8")
    header = "| key | default | unit | allowed | meaning | basis | plausible range | source |"
    assert header in text
    row = next(line for line in text.split("\n") if line.startswith("| `chat_effect` |"))
    assert "| domain | 0.3 to 1.6 |" in row and "docs/domain.md" in row
    assert "## Nested items" in text and "`appeal`" in text
