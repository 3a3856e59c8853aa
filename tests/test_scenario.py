"""Scenario files: validation with clear errors, extends:, overrides."""

from pathlib import Path

import pytest

import simlib
from simlib.scenario import nest

from conftest import FIXTURES, simlib_cli

BROKEN = sorted((FIXTURES / "broken").glob("*.yaml"))


def expectations(path: Path) -> list[str]:
    return [line.split("expect:", 1)[1].strip() for line in path.read_text().splitlines() if "# expect:" in line]


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.stem)
def test_broken_scenario_gives_clear_error(path):
    with pytest.raises(simlib.ScenarioError) as err:
        simlib.load_scenario(path)
    message = str(err.value)
    assert path.name in message
    for fragment in expectations(path):
        assert fragment in message, f"{fragment!r} not in {message!r}"


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.stem)
def test_cli_validate_exits_2_with_message_and_no_traceback(path):
    done = simlib_cli("validate", path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert path.name in done.stderr
    for fragment in expectations(path):
        assert fragment in done.stderr


def test_every_builtin_scenario_validates():
    names = simlib.builtin_scenarios()
    assert "baseline" in names
    done = simlib_cli("validate", *names)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("ok:") == len(names)


def test_extends_merges_only_overrides(tmp_path):
    child = tmp_path / "child.yaml"
    child.write_text(f"extends: {simlib.scenario.BUILTIN_DIR / 'baseline.yaml'}\n"
                     "market: {users: 1234}\npolicies: {search_ads: {budget_cny_per_day: 1}}\n")
    base = simlib.load_scenario("baseline")
    sc = simlib.load_scenario(child)
    assert sc.get("market.users") == 1234
    assert sc.get("policies.search_ads.budget_cny_per_day") == 1
    assert sc.get("policies.search_ads.cpm_cny") == base.get("policies.search_ads.cpm_cny")
    assert sc.get("market.channels") == base.get("market.channels")


def test_extends_a_list_later_wins_and_fragments_are_allowed(tmp_path):
    (tmp_path / "traits.yaml").write_text("traits:\n  basket_value_cny: {dist: lognormal, mean_log: 3.0, sd_log: 0.2}\n")
    (tmp_path / "more.yaml").write_text("traits:\n  basket_value_cny: {dist: lognormal, mean_log: 5.0, sd_log: 0.2}\n")
    (tmp_path / "s.yaml").write_text("extends: [baseline, traits.yaml, more.yaml]\n")
    sc = simlib.load_scenario(tmp_path / "s.yaml")
    assert sc.get("traits.basket_value_cny.mean_log") == 5.0
    assert sc.get("name") == "baseline"


def test_override_dotted_and_nested_are_the_same_and_validated():
    base = simlib.load_scenario("baseline")
    a = base.override({"market.users": 500, "policies.douyin_ads.budget_cny_per_day": 10})
    b = base.override({"market": {"users": 500}, "policies": {"douyin_ads": {"budget_cny_per_day": 10}}})
    assert a.data == b.data
    assert base.get("market.users") == 20000  # the original is untouched
    with pytest.raises(simlib.ScenarioError, match="budget_cny_per_day"):
        base.override({"policies.douyin_ads.budget_cny_per_day": -1})
    with pytest.raises(simlib.ScenarioError, match="Did you mean 'budget_cny_per_day'"):
        base.override({"policies.douyin_ads.budget_cny_per_dya": 1})


def test_nest():
    assert nest({"a.b.c": 1, "a.d": 2, "e": {"f.g": 3}}) == {"a": {"b": {"c": 1}, "d": 2}, "e": {"f": {"g": 3}}}


def test_resolved_yaml_round_trips(tmp_path):
    sc = simlib.load_scenario("baseline").override({"market.users": 777})
    path = tmp_path / "resolved.yaml"
    path.write_text(sc.to_yaml())
    again = simlib.load_scenario(path)
    assert again.data == sc.data


def test_disabled_policy_does_nothing():
    on = simlib.run("baseline", seed=2, users=3000, days=30)
    off = simlib.run("baseline", seed=2, users=3000, days=30,
                     overrides={"policies.douyin_ads.enabled": False, "policies.search_ads.enabled": False})
    assert on.summary["ad_spend_cny"] == 30 * (1000 + 500)
    assert off.summary["ad_spend_cny"] == 0


def test_override_one_parameter_of_a_default_trait_distribution():
    base = simlib.load_scenario("baseline")
    sc = base.override({"traits.price_sensitivity.a": 4.0})
    assert sc.get("traits.price_sensitivity") == {"dist": "beta", "a": 4.0, "b": base.get("traits.price_sensitivity.b")}
    with pytest.raises(simlib.ScenarioError, match="traits.price_sensitivity.a"):
        base.override({"traits.price_sensitivity.a": -1})
