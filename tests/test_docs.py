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


def test_parameter_tables_in_the_policies_chapter_match_the_code():
    from simlib.params import table

    declared = set()
    for _label, schema in docs.behaviour_and_policy_schemas():
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


def test_the_reference_has_basis_range_and_source_columns():
    from simlib.params import Param

    rows = docs.param_table({"discount_effect": Param(4.0, "log-lift", "log", low=0.0, source="Tellis (1988)",
                                                      basis="published", plausible=(2.0, 7.0)),
                             "budget_cny": Param(10.0, "a budget", "CNY", basis="business")}).split("\n")
    assert rows[0] == "| key | default | unit | allowed | meaning | basis | plausible range | source |"
    assert rows[2].endswith("| log-lift | published | 2 to 7 | Tellis (1988) |")
    assert rows[3].endswith("| a budget | business |  |  |")


def test_missing_sources_command_prints_the_list_and_does_not_fail(capsys):
    assert docs.main(["--missing-sources"]) == 0
    lines = capsys.readouterr().out.strip().split("\n")
    missing = docs.missing_sources()
    assert lines[-1].startswith(f"{len(missing)} problems")
    assert len(lines) == len(missing) + 1
    assert all(line.startswith(key + " ") for line, (key, _) in zip(lines, missing))


def _anchor(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    import re
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_links_between_the_chapters_resolve():
    import re
    root = DOCS.parent
    pages = sorted(DOCS.glob("*.md")) + [root / "README.md"]
    broken = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue   # a web address
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            if not linked.exists():
                broken.append(f"{page.name}: {target}")
            elif anchor and linked.suffix == ".md":
                headings = re.findall(r"^#+ (.+)$", linked.read_text(encoding="utf-8"), re.MULTILINE)
                if anchor not in {_anchor(h) for h in headings}:
                    broken.append(f"{page.name}: {target}")
    assert len(pages) >= 8 and not broken, broken
