"""Small frictions a new user met (issue 15): typos inside a distribution or a list item named
with a did-you-mean, an existing base's shares that an override pushes past 1 explained, a gamma
for days since the last order, a gross margin in the team's terms, the whole question of each
built-in scenario, an existing-pond preset, and a season that moves the purchase clock as the
calibration fits it."""

from __future__ import annotations

import numpy as np
import pytest

import simlib
from conftest import simlib_cli
from simlib.calibrate.processes import ProcessFit, expected_purchases


@pytest.mark.parametrize("traits, words", [
    ({"basket_value_cny": {"dist": "constant", "vaule": 80}}, ["traits.basket_value_cny.vaule", "unknown key",
                                                               "Did you mean 'value'"]),
    ({"basket_value_cny": {"dist": "lognormal", "mean_log": 4, "sd_lgo": 0.5}}, ["sd_lgo", "Did you mean 'sd_log'"]),
])
def test_a_typo_inside_a_distribution_is_an_unknown_key(traits, words):
    with pytest.raises(simlib.ScenarioError) as err:
        simlib.scenario_from_dict({"extends": "baseline", "traits": traits})
    message = str(err.value)
    for word in words:
        assert word in message, message
    assert "missing" not in message


def test_a_typo_inside_a_list_item_is_an_unknown_key():
    sc = simlib.load_scenario("points_program")
    catalogue = [dict(item) for item in sc.data["policies"]["points"]["catalogue"]]
    catalogue[0]["anme"] = catalogue[0].pop("name")
    with pytest.raises(simlib.ScenarioError) as err:
        sc.override({"policies.points.catalogue": catalogue})
    assert "catalogue[0].anme: unknown key. Did you mean 'name'?" in str(err.value)


def test_a_merged_distribution_of_another_family_is_still_accepted():
    sc = simlib.load_scenario("baseline").override(
        {"traits.purchase_rate_per_day": {"dist": "lognormal", "mean_log": -3.5, "sd_log": 0.8}})
    assert sc.data["traits"]["purchase_rate_per_day"] == {"dist": "lognormal", "mean_log": -3.5, "sd_log": 0.8}


def test_initial_stage_shares_past_one_say_how_to_fix_them():
    done = simlib_cli("run", "baseline", "--users", "200", "--days", "2", "--set", "market.initial_stage.purchased=1")
    assert done.returncode == 2
    assert "they sum to 1.05 (aware 0.05, purchased 1)" in done.stderr
    assert "--set market.initial_stage.aware=0" in done.stderr
    done = simlib_cli("run", "baseline", "--users", "200", "--days", "2", "--set", "market.initial_stage.purchased=1",
                      "--set", "market.initial_stage.aware=0")
    assert done.returncode == 0, done.stderr


def test_days_since_the_last_order_may_be_a_gamma():
    sc = simlib.load_scenario("existing_pond")
    assert sc.data["market"]["initial_days_since_order"]["dist"] == "gamma"
    res = simlib.run(sc, seed=1, users=2000, days=5)
    assert res.summary["existing_customers"] > 0
    with pytest.raises(simlib.ScenarioError, match=r"values must lie in \[0, 30000\]"):
        sc.override({"market.initial_days_since_order": {"dist": "uniform", "low": 0, "high": 40000}})


def test_gross_margin_in_the_teams_terms():
    sc = simlib.load_scenario("baseline").override({"economics.gross_margin": 0.62})
    assert sc.data["economics"]["cogs_share"] == pytest.approx(0.38)
    again = simlib.scenario_from_dict(sc.data)       # the resolved scenario carries cogs_share alone
    assert again.data["economics"]["cogs_share"] == pytest.approx(0.38)
    assert simlib.load_scenario("baseline").override(
        {"economics.gross_margin": 0.6, "economics.cogs_share": 0.4}).data["economics"]["cogs_share"] == 0.4
    with pytest.raises(simlib.ScenarioError, match=r"gross_margin: 0.6 disagrees with economics.cogs_share 0.5"):
        simlib.load_scenario("baseline").override({"economics.gross_margin": 0.6, "economics.cogs_share": 0.5})


def test_scenarios_prints_the_whole_question():
    done = simlib_cli("scenarios")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    assert ("coupon_ladder Question: does a coupon ladder that deepens only for members who stop buying (and steps "
            "back up after they buy) win back more orders per yuan of discount than a blanket coupon?") in text
    assert "existing_pond Question: what does a strategy do for a brand that already has a pond?" in text


def test_existing_pond_is_the_pond_with_a_base_and_strategies_compose_with_it(tmp_path):
    pond, existing = simlib.load_scenario("pond"), simlib.load_scenario("existing_pond")
    assert existing.data["policies"] == pond.data["policies"]
    assert sum(existing.data["market"]["initial_stage"].values()) > 0.2 and existing.data["market"]["initial_in_pond"] > 0
    path = tmp_path / "ladder.yaml"
    path.write_text("extends: [coupon_ladder, existing_pond]\n", encoding="utf-8")
    ladder = simlib.load_scenario(path)
    assert ladder.data["market"] == existing.data["market"]
    assert ladder.data["policies"] == simlib.load_scenario("coupon_ladder").data["policies"]
    runs = {name: simlib.run(sc, seed=2, users=3000, days=30) for name, sc in (("existing", existing), ("ladder", ladder))}
    assert runs["existing"].summary["existing_customers"] == runs["ladder"].summary["existing_customers"] > 500


def test_a_season_moves_the_purchase_clock_not_the_dropout():
    """Every month at 2x: BG/NBD on a clock twice as fast, E[X(t)] = E_plain[X(2t)] (the time
    change the calibration fits); the chance of leaving after an order stays p."""
    sc = simlib.load_scenario("classic_bgnbd").override({"behavior.seasonal_index": [2.0] * 12,
                                                         "market.start_date": "2025-01-01"})
    tr = sc.data["traits"]
    params = {"r": tr["purchase_rate_per_day"]["shape"], "alpha": 1 / tr["purchase_rate_per_day"]["scale"],
              "a": tr["dropout_after_purchase"]["a"], "b": tr["dropout_after_purchase"]["b"]}
    fit = ProcessFit("bgnbd", params, np.zeros((4, 4)), 0.0, 0)
    n, days = 40_000, 60
    tx = simlib.run(sc, seed=4, users=n, days=days, record_transactions=True).transactions
    counts = np.bincount(tx["customer_id"], minlength=n)
    expected = float(np.asarray(expected_purchases(fit, [2 * days])).ravel()[0])
    assert abs(counts.mean() - expected) <= 4.5 * counts.std() / np.sqrt(n)
