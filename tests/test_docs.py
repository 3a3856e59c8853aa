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


def _param_schemas():
    """Every declared schema of the policies: each type's params and the nested item schemas."""
    import importlib
    import pkgutil

    import simlib.policies
    from simlib.params import Param

    def is_schema(value):
        return isinstance(value, dict) and all(isinstance(v, Param) for v in value.values())

    schemas = [cls.params for cls in policy_types().values()]
    for info in pkgutil.iter_modules(simlib.policies.__path__):
        module = importlib.import_module(f"simlib.policies.{info.name}")
        for value in vars(module).values():
            if is_schema(value) and value:
                schemas.append(value)
            elif isinstance(value, dict) and value and all(is_schema(v) for v in value.values()):
                schemas.extend(value.values())   # e.g. the arguments of each journey action
    return schemas


def test_parameter_tables_in_the_policies_chapter_match_the_code():
    from simlib.params import table

    declared = set()
    for schema in _param_schemas():
        declared.update(table(schema).split("\n")[2:])
    header = table({}).split("\n")[0]
    lines = (DOCS / "policies.md").read_text(encoding="utf-8").split("\n")
    rows, in_table = [], False
    for line in lines:
        if line == header:
            in_table = True
        elif in_table and line.startswith("| `"):
            rows.append(line)
        elif not line.startswith("|"):
            in_table = False
    assert len(rows) > 100   # the chapter's tables were found
    stale = [row for row in rows if row not in declared]
    assert not stale, "rows of docs/policies.md that differ from the code:\n" + "\n".join(stale)


def test_the_hand_written_chapters_name_every_policy_type_and_behaviour_parameter():
    policies = (DOCS / "policies.md").read_text(encoding="utf-8")
    model = (DOCS / "model.md").read_text(encoding="utf-8")
    assert [name for name in policy_types() if f"`type: {name}`" not in policies] == []
    assert [key for key in BEHAVIOR_PARAMS if f"`{key}`" not in model] == []
