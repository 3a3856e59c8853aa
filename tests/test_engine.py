"""Engine invariants: conservation, the ledger, determinism, common random numbers."""

import numpy as np
import pytest

import simlib
from simlib.engine import Sim
from simlib.population import STAGES
from simlib.rng import Keyed

POND = {  # a small pond-heavy variant of the baseline, so coupons, content and pond costs all move money
    "policies.douyin_ads.pond_entry_per_day": 0.05,
    "policies.douyin_ads.cost_per_pond_member_cny": 8.0,
    "policies.search_ads.pond_entry_on_purchase": 0.3,
    "policies.search_ads.cost_per_pond_member_cny": 3.0,
    "policies.weekly": {"type": "content_broadcast", "every_days": 3, "quality": 0.6, "cost_cny_per_send": 50},
    "policies.coupon": {"type": "flat_coupon", "every_days": 14, "off_share": 0.15, "min_spend_cny": 60, "valid_days": 5},
}


@pytest.fixture(scope="module")
def pond_run():
    return simlib.run("baseline", seed=7, users=8000, days=150, overrides=POND)


def test_stage_counts_sum_to_n_every_day(pond_run):
    counts = pond_run.daily[list(STAGES)].sum(axis=1)
    assert (counts == 8000).all()
    assert (pond_run.daily["in_pond"] <= 8000 - pond_run.daily["unaware"]).all()


def test_stage_counts_match_a_recount():
    sim = Sim(simlib.load_scenario("baseline").override(POND | {"market.users": 3000, "market.days": 60}), seed=1)
    sim.run()
    assert list(sim.pop.counts()) == list(np.bincount(sim.pop.stage, minlength=len(STAGES)))


def test_ledger_balances(pond_run):
    s, daily, ledger = pond_run.summary, pond_run.daily, pond_run.ledger
    by_account = ledger.groupby("account")["amount_cny"].sum()
    assert s["gmv_cny"] == pytest.approx(by_account["gmv"])
    assert s["discount_cny"] == pytest.approx(by_account["discount"]) and s["discount_cny"] > 0
    assert s["gross_profit_cny"] == pytest.approx(by_account["gmv"] - by_account["cogs"] - by_account["discount"])
    marketing = ledger.loc[ledger["kind"].str.startswith("marketing"), "amount_cny"].sum()
    assert s["marketing_cost_cny"] == pytest.approx(marketing)
    assert set(ledger.loc[ledger["kind"].str.startswith("marketing"), "account"]) >= {"ad_spend", "pond_acquisition", "content_production"}
    cost = s["discount_cny"] + marketing + s["points_liability_cny"]     # every yuan given or spent
    assert s["roi"] == pytest.approx(s["net_profit_cny"] / cost)
    acquisition = ledger.loc[ledger["kind"] == "marketing_acquisition", "amount_cny"].sum()
    assert s["cac_cny"] == pytest.approx(acquisition / (s["new_buyers"] * s["customers_per_simulated"]))
    # daily columns add up to the same totals
    for col, key in [("gmv_cny", "gmv_cny"), ("discount_cny", "discount_cny"), ("ad_spend_cny", "ad_spend_cny"),
                     ("marketing_cost_cny", "marketing_cost_cny"), ("purchases", "purchases")]:
        assert daily[col].sum() == pytest.approx(s[key])
    # cogs is the declared share of list value
    assert by_account["cogs"] == pytest.approx(0.45 * by_account["gmv"])


def test_transactions_reconcile_with_ledger():
    res = simlib.run("baseline", seed=4, users=3000, days=90, overrides=POND, record_transactions=True)
    tx = res.transactions
    assert len(tx) == res.summary["purchases"]
    w = res.summary["customers_per_simulated"]       # each simulated customer's orders stand for w
    assert w == pytest.approx(20_000 / 3000)
    assert tx["amount_cny"].sum() * w == pytest.approx(res.summary["gmv_cny"])
    assert tx["discount_cny"].sum() * w == pytest.approx(res.summary["discount_cny"])
    assert (tx["discount_cny"] <= tx["amount_cny"]).all()
    buyers = tx["customer_id"].nunique()
    assert buyers == res.summary["buyers"]
    repeat = (tx.groupby("customer_id").size() >= 2).sum()
    assert repeat == res.summary["repeat_buyers"]  # nobody starts with orders in the baseline


def test_same_seed_gives_bit_identical_outputs(tmp_path):
    a = simlib.run("baseline", seed=21, users=4000, days=80, overrides=POND).save(tmp_path / "a")
    b = simlib.run("baseline", seed=21, users=4000, days=80, overrides=POND).save(tmp_path / "b")
    for name in ("daily.csv", "summary.json", "ledger.csv", "scenario.yaml"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_different_seeds_differ():
    a = simlib.run("baseline", seed=1, users=4000, days=80)
    b = simlib.run("baseline", seed=2, users=4000, days=80)
    assert not a.daily.equals(b.daily)
    assert a.summary["purchases"] != b.summary["purchases"]


def test_customers_are_the_same_people_across_strategies():
    sc = simlib.load_scenario("baseline").override({"market.users": 5000})
    a = Sim(sc, seed=9).pop
    b = Sim(sc.override(POND), seed=9).pop
    for trait in ("purchase_rate_per_day", "dropout_after_purchase", "basket_value_cny", "price_sensitivity"):
        assert np.array_equal(getattr(a, trait), getattr(b, trait))
    assert np.array_equal(a.stage, b.stage)
    c = Sim(sc, seed=10).pop
    assert not np.array_equal(a.basket_value_cny, c.basket_value_cny)


def test_common_random_numbers_make_paired_differences_small():
    # a 5 % bigger ad budget: the paired difference with the same seed varies far less than
    # the difference between independent seeds
    more = {"policies.douyin_ads.budget_cny_per_day": 1050}
    paired, independent = [], []
    for seed in range(6):
        base = simlib.run("baseline", seed=seed, users=3000, days=90).summary["buyers"]
        paired.append(simlib.run("baseline", seed=seed, users=3000, days=90, overrides=more).summary["buyers"] - base)
        independent.append(simlib.run("baseline", seed=seed + 100, users=3000, days=90, overrides=more).summary["buyers"] - base)
    assert np.var(paired) * 20 < np.var(independent)
    assert np.mean(paired) > 0  # with the noise gone, the small true effect shows


def test_keyed_uniforms_depend_only_on_the_key():
    k = Keyed(5)
    idx = np.arange(10_000)
    u = k.uniform("x", 3, idx)
    assert np.array_equal(k.uniform("x", 3, idx[[7, 99, 5000]]), u[[7, 99, 5000]])
    assert not np.array_equal(k.uniform("x", 4, idx), u)
    assert not np.array_equal(k.uniform("y", 3, idx), u)
    assert not np.array_equal(Keyed(6).uniform("x", 3, idx), u)
    assert 0 < u.min() and u.max() < 1
    assert abs(u.mean() - 0.5) < 0.01 and abs(u.var() - 1 / 12) < 0.005


def test_trait_distributions_have_the_declared_moments():
    sc = simlib.load_scenario("baseline").override({
        "market.users": 200_000,
        "traits.purchase_rate_per_day": {"dist": "gamma", "shape": 0.5, "scale": 0.04},
        "traits.dropout_after_purchase": {"dist": "beta", "a": 2.0, "b": 6.0},
        "traits.basket_value_cny": {"dist": "lognormal", "mean_log": 4.0, "sd_log": 0.5}})
    pop = Sim(sc, seed=0).pop
    lam = pop.purchase_rate_per_day.astype(float)
    assert lam.mean() == pytest.approx(0.02, rel=0.01) and lam.var() == pytest.approx(0.5 * 0.04**2, rel=0.03)
    p = pop.dropout_after_purchase.astype(float)
    assert p.mean() == pytest.approx(0.25, rel=0.01)
    assert np.median(pop.basket_value_cny) == pytest.approx(np.exp(4.0), rel=0.01)


def test_coupons_cost_only_on_redemption():
    res = simlib.run("baseline", seed=3, users=5000, days=60, overrides=POND)
    given = res.summary["coupons_redeemed"]
    assert 0 < given
    assert res.summary["discount_cny"] > 0
    assert (res.daily["discount_cny"] > 0).sum() <= (res.daily["coupons_redeemed"] > 0).sum()
    assert ((res.daily["discount_cny"] > 0) == (res.daily["coupons_redeemed"] > 0)).all()


def test_unsubscribes_only_from_the_pond_and_counted():
    harsh = dict(POND) | {"policies.weekly.every_days": 1, "policies.weekly.messages_per_send": 5,
                          "policies.weekly.quality": 0.0}
    res = simlib.run("baseline", seed=3, users=5000, days=90, overrides=harsh)
    assert res.summary["unsubscribes"] > 0
    assert res.summary["unsubscribes"] <= res.summary["pond_joins"]
