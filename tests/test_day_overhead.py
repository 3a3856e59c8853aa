"""The per-day shortcuts of the engine give the numbers the plain way gives: ``unique_ids`` is
``np.unique``, a day's money read after the run is the day's ledger total, ``column[idx] += v``
adds, and a posting to a day already recorded is refused."""

import numpy as np
import pytest

import simlib
from simlib.engine import MONEY_COLUMNS, Sim
from simlib.ledger import Ledger
from simlib.today import Today
from simlib.unique_ids import unique_ids


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int16, np.int8, np.uint8, bool])
def test_unique_ids_is_np_unique(dtype):
    rng = np.random.default_rng(5)
    for size in (0, 1, 2, 7, 500):
        values = rng.integers(0, 2, size).astype(bool) if dtype is bool else \
            rng.integers(np.iinfo(dtype).min, np.iinfo(dtype).max, size, dtype=dtype, endpoint=True) // 7 * 7
        few = values // max(1, int(np.abs(values.astype(np.int64)).max(initial=0)) // 8) if dtype is not bool else values
        for x in (values, np.sort(values), np.sort(values)[::-1], few, np.sort(few)):
            got, want = unique_ids(x), np.unique(x)
            assert got.dtype == want.dtype and np.array_equal(got, want)
            assert not np.shares_memory(got, x)      # a fresh array, as np.unique's


def test_unique_ids_of_a_read_only_list_is_writable():
    x = np.array([1, 1, 2, 5, 5, 9])
    x.setflags(write=False)
    out = unique_ids(x)
    assert out.flags.writeable and list(out) == [1, 2, 5, 9]


def test_each_days_money_is_the_ledgers_total_of_that_day():
    sim = Sim(simlib.load_scenario("coupon_ladder").override({"market.users": 1500, "market.days": 60,
                                                                "policies.ladder.idle_days": 10}), seed=2)
    res = sim.run()
    ledger, daily = sim.ledger, res.daily
    assert daily["discount_cny"].sum() > 0
    for day in (0, 17, 59):
        row = daily.iloc[day]
        assert row["gmv_cny"] == ledger.total("gmv", day=day)
        assert row["discount_cny"] == ledger.total("discount", day=day)
        assert row["marketing_cost_cny"] == ledger.total(kind="marketing", day=day)
        assert row["gross_profit_cny"] == ledger.gross_profit(day)
        assert row["net_profit_cny"] == ledger.net_profit(day)
    columns = list(daily.columns)
    assert columns[columns.index("new_interested") + 1:columns.index("messages_sent")] == list(MONEY_COLUMNS)


def test_a_posting_to_a_recorded_day_is_refused():
    ledger = Ledger(10)
    ledger.post(3, "gmv", 5.0)
    ledger.recorded_through = 3
    with pytest.raises(ValueError, match="day 3"):
        ledger.post(3, "gmv", 1.0)
    ledger.post(4, "gmv", 1.0)
    assert ledger.total("gmv") == 6.0


def test_column_add_reads_then_writes_the_same_customers():
    today = Today(50, 1, reps=2)
    view = today.view(1, 25, 50)
    idx = np.array([0, 3, 7])
    view.touch("useful")[idx] += np.float32(1.5)
    view.touch("useful")[idx] += np.array([1.0, 2.0, 3.0])
    assert list(view.useful[idx]) == [2.5, 3.5, 4.5]
    assert list(today.useful[idx + 25]) == [2.5, 3.5, 4.5] and today.useful[idx].sum() == 0


def test_coupons_given_in_one_pass_are_the_coupons_given_offer_by_offer():
    from simlib.coupons import Coupons
    basket = np.random.default_rng(3).lognormal(4.0, 0.5, 60).astype(np.float32)
    one, each = Coupons(basket, 0.4, 0.3), Coupons(basket, 0.4, 0.3)
    offers = [(0.57, 0.0, 0.0), (0.15, 0.0, 50.0), (0.0, 5.0, 80.0)]
    idx = np.arange(0, 60, 2)
    which = np.arange(idx.size) % 3
    for k, (share, off, spend) in enumerate(offers):
        one.give(idx[which == k], 4, "ladder", off_share=share, off_cny=off, min_spend_cny=spend, valid_days=5)
    each.give_each(idx, which, offers, 4, "ladder", valid_days=5)
    assert one.kinds == each.kinds and one.sources == each.sources
    for name in ("kind", "depth", "expiry"):
        assert np.array_equal(getattr(one, name), getattr(each, name))
    assert each.depth[idx].min() > 0


def test_todays_buyers_of_a_replication_are_its_unique_buyers():
    today = Today(40, 1, reps=2)
    idx = np.array([1, 1, 5, 22, 22, 30, 39])
    value = np.ones(idx.size)
    today.add_orders(idx, value, 0 * value, value)
    assert list(today.buyers()) == [1, 5, 22, 30, 39]
    assert list(today.view(1, 20, 40).buyers()) == [2, 10, 19]
    assert list(today.view(0, 0, 20).buyers()) == [1, 5]


def test_column_add_is_plus_equals():
    rng = np.random.default_rng(8)
    for values in (rng.random(6).astype(np.float32), rng.random(6), np.float32(0.3), 0.1, 2):
        plain, fused = Today(30, 1, reps=3), Today(30, 1, reps=3)
        idx = np.array([0, 2, 2, 5, 9, 7])                 # a repeat keeps the last sum, as numpy's
        for today in (plain, fused):
            today.view(1, 10, 20).touch("load")[[0, 1]] += np.float32(0.7)
        plain.view(1, 10, 20).touch("load")[idx] += values
        fused.view(1, 10, 20).touch("load").add(idx, values)
        assert np.array_equal(plain.load[np.arange(30)], fused.load[np.arange(30)])
        assert fused.load[np.arange(10)].sum() == 0


@pytest.mark.parametrize("preset", ["points_program", "coupon_ladder", "all_levers", "livestream_host",
                                    "member_tiers", "referral_fission", "koc_community", "retail_o2o"])
def test_daily_columns_are_the_daily_tables_lists(preset):
    import math
    from simlib.run import run_batch
    for res in run_batch(preset, seeds=[1, 4], users=300, days=40):
        fast = res.daily_columns()
        slow = res.daily.to_dict(orient="list")
        assert list(fast) == list(slow)
        for key in slow:
            assert [type(v) for v in fast[key]] == [type(v) for v in slow[key]], key
            assert all(a == b or (isinstance(a, float) and math.isnan(a) and math.isnan(b))
                       for a, b in zip(fast[key], slow[key])), key


def test_the_long_daily_table_is_the_table_of_tables(monkeypatch):
    import random

    from pandas.testing import assert_frame_equal

    import simlib.experiment.store as store
    records = []
    for preset in ("pond", "coupon_ladder"):
        for k, res in enumerate(simlib.run_batch(preset, seeds=[0, 1, 2], users=200, days=30)):
            records.append({"run_id": f"{preset}{k}", "stage": "compare", "arm": preset, "point": 0,
                            "replication": k, "seed": k, "daily": res.daily_columns()})
    records[1]["daily"]["purchases"] = [float(v) for v in records[1]["daily"]["purchases"]]   # ints here, floats there
    random.Random(3).shuffle(records)
    fast = store.records_to_daily(records)
    monkeypatch.setattr(store, "_daily_by_columns", lambda records: None)
    slow = store.records_to_daily(records)
    assert_frame_equal(fast, slow, check_exact=True)
    assert fast["purchases"].dtype == np.float64 and fast["ladder.issued"].isna().sum() == 6 * 30 / 2


def test_run_arms_can_send_back_the_summaries_alone():
    from simlib.run import run_arms
    arms = [("coupon_ladder", [0, 2]), ("pond", [0, 2])]
    whole = run_arms(arms, users=300, days=30)
    alone = run_arms(arms, users=300, days=30, summaries=True)
    import json
    assert json.dumps([[r.summary for r in results] for results in whole], default=str) == \
        json.dumps(alone, default=str)      # NaN included
    assert isinstance(alone[0][0], dict)


def test_todays_columns_through_growth_and_reset_read_as_full_arrays():
    """``Column.add``/``[]=`` give rows as they go (growing the table past its first 1024 rows) and
    ``reset`` takes every row back: each day reads as full arrays written the plain way."""
    rng = np.random.default_rng(11)
    today = Today(6000, 1, reps=2)
    view = today.view(1, 3000, 6000)
    for day in range(3):
        today.reset()
        want = {"useful": np.zeros(3000, np.float32), "load": np.zeros(3000, np.float32)}
        for _ in range(4):
            idx = rng.integers(0, 3000, 900)                       # repeats: the last write of a customer counts
            values = rng.random(idx.size)
            view.touch("useful").add(idx, values)
            want["useful"][idx] += values
            sub = np.unique(rng.integers(0, 3000, 700))
            view.touch("load")[sub] = values[:sub.size]
            want["load"][sub] = values[:sub.size].astype(np.float32)
        assert today.rows.shape[0] > 1024
        for name, full in want.items():
            assert np.array_equal(getattr(view, name)[np.arange(3000)], full)
        assert not today.useful[np.arange(3000)].any()              # the other replication's customers
    today.reset()
    assert (today.slot == -1).all() and today.used == 0
