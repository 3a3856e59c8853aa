"""Hostile scenario input ends cleanly: exit 2 naming the file, the key and what is allowed,
quickly and in little memory; or, where the input is legitimate if unusual, a correct result."""

import random
import resource
import subprocess
import sys
import time
import tracemalloc

import pytest
import yaml

import simlib
from simlib.cli.main import main
from simlib.errors import short_repr

from conftest import ROOT, pond_scenario, simlib_cli


def _yaml(data) -> bytes:
    return yaml.safe_dump(data, allow_unicode=True).encode()


def _alias_bomb() -> bytes:
    """360 bytes that stand for 9**9 strings (the classic "billion laughs")."""
    items = ['&a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        items.append(f"&{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return ("name: [" + ", ".join(items) + "]\n").encode()


def _journey(**fields) -> bytes:
    policy = {"type": "journey", "steps": [{"send_content": {}}], **fields}
    return _yaml({"extends": "baseline", "policies": {"j": policy}})


def _with_segments(**journey) -> bytes:
    data = yaml.safe_load(_journey(**journey))
    data["policies"]["rfm"] = {"type": "segments"}
    return _yaml(data)


# name -> (file content, fragments the message must hold: the key path, then what is wrong or allowed)
HOSTILE = {
    "alias_bomb": (_alias_bomb(), ["name", "aliases"]),
    "duplicate_keys": (b"extends: baseline\nname: a\nname: b\n", ["name", "line 3", "duplicate key"]),
    "duplicate_nested_keys": (b"extends: baseline\nmarket:\n  users: 10\n  days: 5\n  users: 20\n",
                              ["market.users", "line 5", "duplicate key (first at line 3)"]),
    "deep_nesting": (b"name: " + b"[" * 20_000 + b"]" * 20_000 + b"\n", ["name", "nesting"]),
    "deep_block_nesting": (b"".join(b"  " * i + b"a:\n" for i in range(200)) + b"  " * 200 + b"1\n",
                           ["a", "nesting deeper than 50"]),
    "empty_file": (b"", ["empty", "extends: baseline"]),
    "only_comments": (b"# a scenario, one day\n", ["empty"]),
    "binary_garbage": (random.Random(8).randbytes(4096), ["UTF-8"]),
    "nul_byte": (b"name: a\x00b\n", ["not valid YAML", "control characters are not allowed"]),
    "too_large": (b"# " + b"x" * 2_000_001 + b"\n", ["larger than 2,000,000 bytes"]),
    "several_documents": (b"name: a\n---\nname: b\n", ["not valid YAML", "single document"]),
    "python_tag": (b"name: !!python/object/apply:os.system ['echo hi']\n", ["not valid YAML", "python/object"]),
    "top_level_text": (b"just a sentence\n", ["expected a mapping of sections"]),
    "huge_integer": (b"market:\n  users: " + b"9" * 5000 + b"\n", ["market.users", "cannot read the value"]),
    "impossible_date": (b"name: 2024-02-30\n", ["name", "cannot read the value", "day is out of range"]),
    "megabyte_value": (_yaml({"extends": "baseline", "name": ["x" * 1_000_000]}), ["name", "expected a string"]),
    "megabyte_key": (_yaml({"extends": "baseline", "policies": {"p" * 1_000_000: {"type": "journey"}}}),
                     ["policies.", "at most 64 printable characters"]),
    "nan_integer": (b"extends: baseline\nmarket:\n  users: .nan\n", ["market.users", "expected an integer"]),
    "infinite_rate": (b"extends: baseline\nbehavior:\n  awareness_per_day: .inf\n",
                      ["behavior.awareness_per_day", "got inf"]),
    "integer_too_large": (b"extends: baseline\nmarket:\n  days: 1000000000000000\n", ["market.days", "allowed"]),
    "integer_without_bound_too_large": (_yaml({"extends": "baseline", "policies": {"g": {
        "type": "community_groups", "activation_every_days": 10**15}}}),
        ["policies.g.activation_every_days", "at most 2,147,483,647"]),
    "list_typed_type": (_yaml({"extends": "baseline", "policies": {"x": {"type": ["coupon_ladder"]}}}),
                        ["policies.x.type", "expected the name of one policy type", "coupon_ladder"]),
    "mapping_typed_type": (_yaml({"extends": "baseline", "policies": {"x": {"type": {"a": 1}}}}),
                           ["policies.x.type", "expected the name of one policy type"]),
    "misspelt_type": (_yaml({"extends": "baseline", "policies": {"x": {"ytpe": "coupon_ladder"}}}),
                      ["policies.x.ytpe", "did you mean 'type'", "Allowed: "]),
    "huge_journey": (_journey(steps=[{"wait": 1}] * 10_001), ["policies.j.steps", "at most 10,000"]),
    "journey_unknown_segment": (_with_segments(entry={"trigger": "segment", "segment": "champs"}),
                                ["policies.j.entry.segment", "unknown segment", "Did you mean 'champions'?"]),
    "journey_segment_without_policy": (_journey(entry={"trigger": "segment", "segment": "champions"}),
                                       ["policies.j.entry.segment", "no segments policy"]),
    "journey_unknown_tag": (_with_segments(steps=[{"split": {"if": {"tag": "nosuch"}, "then": "end"}}]),
                            ["policies.j.steps[0].split.if.tag", "unknown tag"]),
    "journey_unknown_event": (_journey(entry={"trigger": "event", "event": "purchse"}),
                              ["policies.j.entry.event", "Did you mean 'purchase'?"]),
    "journey_unknown_staff": (_journey(chat_staff="staf", steps=[{"assign_chat": {}}]),
                              ["policies.j.chat_staff", "no enabled policy named 'staf'", "staff_chats"]),
    "journey_staff_of_wrong_type": (_journey(chat_staff="douyin_ads", steps=[{"assign_chat": {}}]),
                                    ["policies.j.chat_staff", "is a paid_acquisition policy"]),
    "journey_unknown_group_policy": (_journey(group_policy="groups", steps=[{"invite_to_group": {}}]),
                                     ["policies.j.group_policy", "no enabled policy named 'groups'"]),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_scenario_file_exits_2_naming_file_and_key(case, tmp_path, capsys):
    content, fragments = HOSTILE[case]
    path = tmp_path / f"{case}.yaml"
    path.write_bytes(content)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        code = main(["validate", str(path)])
        seconds = time.perf_counter() - started
        peak_bytes = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("error: ") and path.name in err
    for fragment in fragments:
        assert fragment in err, (fragment, err[:500])
    assert len(err) < 2000                    # no message grows with the input
    assert seconds < 5                        # the alias bomb took 61 s before it was refused
    assert peak_bytes < 60 * 2**20 + 2 * len(content)   # and reached 3.2 GB


def test_alias_bomb_through_the_real_command_in_limited_memory(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_bytes(_alias_bomb())

    def one_gigabyte():
        resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))

    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "simlib.cli", "validate", str(path)], capture_output=True,
                          text=True, cwd=ROOT, timeout=60, preexec_fn=one_gigabyte)
    assert done.returncode == 2 and "aliases" in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert time.perf_counter() - started < 30


def test_small_aliases_and_merge_keys_still_load(tmp_path):
    path = tmp_path / "anchors.yaml"
    path.write_text("extends: baseline\n"
                    "policies:\n"
                    "  weekly: &content {type: content_broadcast, every_days: 7}\n"
                    "  monthly: {<<: *content, every_days: 30}\n", encoding="utf-8")
    sc = simlib.load_scenario(path)
    assert sc.data["policies"]["weekly"]["every_days"] == 7
    assert sc.data["policies"]["monthly"]["every_days"] == 30
    assert sc.data["policies"]["monthly"]["type"] == "content_broadcast"


def test_validate_and_run_refuse_the_same_references(tmp_path):
    """A reference to a disabled policy is refused at validation, as the run would refuse it;
    a disabled journey's references are not checked (it does not run)."""
    data = yaml.safe_load(_journey(chat_staff="team", steps=[{"assign_chat": {}}]))
    data["policies"]["team"] = {"type": "staff_chats", "enabled": False}
    with pytest.raises(simlib.ScenarioError, match="policies.j.chat_staff"):
        simlib.scenario_from_dict(data)
    data["policies"]["j"]["enabled"] = False
    simlib.scenario_from_dict(data)
    data["policies"]["j"]["enabled"] = data["policies"]["team"]["enabled"] = True
    assert simlib.run(data, users=300, days=3).summary["days"] == 3


def test_a_3000_step_journey_runs_and_matches_its_first_steps():
    """The step checker used to recurse once per step (RecursionError at 3,000 steps). Within
    6 days a customer walks at most a few steps, so the long journey gives the same numbers as
    its first 40 steps."""
    steps = [{"send_content": {"quality": 0.9}}, {"wait": 1}, {"give_coupon": {"off_share": 0.2}}, {"wait": 1}] * 750

    def journey(n):
        return pond_scenario({"j": {"type": "journey", "holdout_percent": 0, "steps": steps[:n]}}, users=5000, days=6)
    assert len(steps) == 3000
    long_run = simlib.run(journey(3000), seed=4)
    short_run = simlib.run(journey(40), seed=4)
    assert long_run.summary["j.touches"] > 0
    assert repr(long_run.summary) == repr(short_run.summary)    # repr: NaN uplift (no holdout) equals itself
    assert long_run.daily.equals(short_run.daily)


@pytest.mark.parametrize("how", ["cli", "python"])
def test_overriding_extends_is_refused_with_a_way_forward(how, capsys):
    if how == "cli":
        assert main(["show", "baseline", "--set", "extends=coupon_ladder"]) == 2
        message = capsys.readouterr().err
    else:
        with pytest.raises(simlib.ScenarioError) as err:
            simlib.load_scenario("baseline").override({"extends": "coupon_ladder"})
        message = str(err.value)
    assert "extends" in message and "cannot be overridden" in message and "Write a scenario file" in message


def test_long_override_key_is_refused():
    with pytest.raises(simlib.ScenarioError, match="at most 20 deep"):
        simlib.load_scenario("baseline").override({".".join(["a"] * 5000): 1})


def test_short_repr_is_bounded_in_length_and_work():
    bomb = yaml.safe_load(_alias_bomb())      # PyYAML shares the aliased lists: 9**9 strings if walked
    started = time.perf_counter()
    text = short_repr(bomb)
    assert time.perf_counter() - started < 0.1
    assert len(text) <= 120 and text.startswith("{'name': [[")
    assert short_repr("x" * 10**6).endswith("(1,000,000 characters)")
    assert short_repr(10**5000) == "<an integer of about 5001 digits>"
    assert short_repr(list(range(100))) == "[0, 1, 2, 3, ... (100 entries)]"


def test_run_refuses_an_out_that_is_a_file_before_running(tmp_path):
    blocker = tmp_path / "results.csv"
    blocker.write_text("a file the user keeps")
    for out in (blocker, blocker / "sub"):
        done = simlib_cli("run", "--users", 500, "--days", 5, "--out", out)
        assert done.returncode == 2 and "Traceback" not in done.stderr
        assert "is a file, not a folder" in done.stderr and "gmv_cny" not in done.stdout
    assert blocker.read_text() == "a file the user keeps"


def test_trait_distribution_named_by_a_list_is_a_user_error():
    with pytest.raises(simlib.ScenarioError):
        simlib.scenario_from_dict({"extends": "baseline", "traits": {"basket_value_cny": {"dist": ["gamma"]}}})


def test_absurd_hazard_is_refused_at_validation():
    with pytest.raises(simlib.ScenarioError):
        simlib.run({"extends": "classic_bass", "behavior": {"awareness_per_day": 1e300}}, users=200, days=3)


def test_a_scenario_name_too_long_for_the_file_system_is_a_short_clean_error(capsys):
    assert main(["validate", "x" * 5000]) == 2
    err = capsys.readouterr().err
    assert "no such scenario file" in err and len(err) < 2000
