"""Net profit and the cost breakdown, recomputed from the files a run writes (ledger.csv,
daily.csv) rather than from the summary code."""

import json

import pandas as pd
import pytest

import simlib


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """all_levers (festival coupons, points, gifts, red packets, staff, groups, referrals) plus
    member tiers, written to disk."""
    scenario = {"extends": "all_levers", "policies": {"tiers": {"type": "member_tiers"}}}
    res = simlib.run(scenario, seed=3, users=2000, days=120)
    folder = res.save(tmp_path_factory.mktemp("all_levers"))
    return res, folder


def test_net_profit_reconciles_with_ledger_csv(saved):
    res, folder = saved
    ledger = pd.read_csv(folder / "ledger.csv")
    summary = json.loads((folder / "summary.json").read_text())
    by_kind = ledger.groupby("kind")["amount_cny"].sum()
    marketing = by_kind[by_kind.index.str.startswith("marketing")].sum()
    net = (by_kind["revenue"] - by_kind["cost_of_goods"] - by_kind["discount"] - marketing
           - by_kind.get("liability", 0.0))
    assert summary["net_profit_cny"] == pytest.approx(net, rel=1e-12)
    assert by_kind.get("liability", 0.0) > 0          # all_levers runs a points programme
    assert summary["net_profit_cny"] < summary["gross_profit_cny"] - summary["marketing_cost_cny"]


def test_cost_breakdown_adds_up_to_the_totals(saved):
    res, folder = saved
    s = res.summary
    ledger = pd.read_csv(folder / "ledger.csv")
    costs = {k: v for k, v in s.items() if k.startswith("cost_") and k.endswith("_cny")}
    assert sum(costs.values()) == pytest.approx(s["marketing_cost_cny"], rel=1e-12)
    for key, value in costs.items():
        account = key[len("cost_"):-len("_cny")]
        assert value == pytest.approx(ledger.loc[ledger["account"] == account, "amount_cny"].sum(), rel=1e-12)
    tiers = [name for name, cfg in res.scenario.data["policies"].items() if cfg["type"] == "member_tiers"]
    member_price = ledger[(ledger["account"] == "discount") & ledger["source"].isin(tiers)]["amount_cny"].sum()
    assert member_price > 0 and s["discount_coupons_cny"] > 0
    assert s["discount_member_price_cny"] == pytest.approx(member_price, rel=1e-12)
    assert s["discount_member_price_cny"] + s["discount_coupons_cny"] == pytest.approx(s["discount_cny"], rel=1e-12)


def test_what_the_strategy_costs_is_every_yuan_given_or_spent(saved):
    """Discounts (coupons and member prices), every marketing account and the points owed: the
    cost a strategist asks about; net profit is the margin at list price less it, ROI its return."""
    res, folder = saved
    s = res.summary
    ledger = pd.read_csv(folder / "ledger.csv")
    # memo accounts attribute money booked elsewhere (cannibalised discount, pond and chat GMV): not spent
    given_or_spent = ledger.loc[~ledger["account"].isin(["gmv", "cogs"]) & (ledger["kind"] != "memo"),
                                "amount_cny"].sum()
    assert s["strategy_cost_cny"] == pytest.approx(given_or_spent, rel=1e-12)
    assert s["strategy_cost_cny"] > s["marketing_cost_cny"] + s["points_liability_cny"]   # discounts are in it
    assert s["net_profit_cny"] == pytest.approx(s["gmv_cny"] - s["cogs_cny"] - s["strategy_cost_cny"], rel=1e-12)
    assert s["roi"] == pytest.approx(s["net_profit_cny"] / s["strategy_cost_cny"], rel=1e-12)


def test_points_liability_is_outstanding_points_times_the_catalogue_value(saved):
    res, folder = saved
    daily = pd.read_csv(folder / "daily.csv")
    ledger = pd.read_csv(folder / "ledger.csv")
    programmes = {name: cfg for name, cfg in res.scenario.data["policies"].items()
                  if cfg["type"] == "points_program" and cfg["enabled"]}
    assert programmes
    for name, cfg in programmes.items():
        value = max(g["cost_cny"] / g["points"] for g in cfg["catalogue"])  # the stated rule
        booked = ledger[(ledger["account"] == "points_liability") & (ledger["source"] == name)]
        # the liability accrues as points are earned and is released as they are spent: at the end
        # of every day it is the points then outstanding, for the real customers each stands for
        w = res.summary["customers_per_simulated"]
        owed = booked.groupby("day")["amount_cny"].sum().reindex(daily["day"], fill_value=0.0).cumsum()
        outstanding = daily[f"{name}.points_outstanding"].to_numpy()     # points, end of each day
        assert owed.to_numpy() == pytest.approx(outstanding * value * w, rel=1e-9, abs=1e-6)
        assert (booked["amount_cny"] < 0).any() and outstanding[-1] > 0   # released on spending, some still owed
        assert res.summary[f"{name}.value_cny_per_point"] == value
    assert res.summary["points_liability_cny"] == pytest.approx(
        ledger.loc[ledger["account"] == "points_liability", "amount_cny"].sum(), rel=1e-12)


def test_daily_net_profit_adds_up_to_the_verdicts_figure_at_every_day(saved):
    """Profit over time and the summary agree: the running sum of daily.csv's net profit is
    the ledger's net profit up to that day (points owed included), and ends at the summary's."""
    res, folder = saved
    daily = pd.read_csv(folder / "daily.csv")
    ledger = pd.read_csv(folder / "ledger.csv")
    sign = {"revenue": 1.0, "cost_of_goods": -1.0, "discount": -1.0, "liability": -1.0, "memo": 0.0}
    ledger["signed"] = ledger["amount_cny"] * ledger["kind"].map(lambda k: sign.get(k, -1.0))
    by_day = ledger.groupby("day")["signed"].sum().reindex(daily["day"], fill_value=0.0)
    assert daily["net_profit_cny"].cumsum().to_numpy() == pytest.approx(by_day.cumsum().to_numpy(), rel=1e-9,
                                                                        abs=1e-3)
    assert daily["net_profit_cny"].sum() == pytest.approx(res.summary["net_profit_cny"], rel=1e-9)
    assert (ledger.loc[ledger["account"] == "points_liability", "day"] < res.summary["days"] - 1).any()


def test_no_points_programme_no_liability():
    s = simlib.run("coupon_ladder", seed=1, users=1000, days=60).summary
    assert s["points_liability_cny"] == 0.0
    assert s["net_profit_cny"] == pytest.approx(s["gross_profit_cny"] - s["marketing_cost_cny"], rel=1e-12)
