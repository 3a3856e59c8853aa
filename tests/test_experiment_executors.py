"""Serial, local processes and a local Dask cluster give identical result tables."""
import importlib.util

import pandas as pd
import pytest

from simlib.experiment import Experiment, make_executor, parse_experiment

TOY = {"name": "funnel", "model": "toy_funnel", "replications": 4, "seed": 11,
       "arms": {"base": {"overrides": {"discount": 0.0}}, "coupon": {"overrides": {"discount": 0.05}}},
       "uncertainties": {"price_sensitivity": {"low": 0.5, "high": 2.0}},
       "outcomes": {"gmv_cny": "maximize", "gross_profit_cny": "maximize"},
       "sweep": {"design": "sobol", "points": 4}}

ENGINE = {"name": "engine", "base": "scenarios/baseline.yaml", "users": 400, "days": 40,
          "replications": 3, "seed": 5,
          # a market of 400 real customers (not 400 standing for the baseline's 20,000)
          "arms": {"ads": {"overrides": {"market.represents": 400}}, "pond": {"overrides": {
              "market.represents": 400, "policies.douyin_ads.pond_entry_on_purchase": 0.5,
              "policies.coupon": {"type": "flat_coupon", "every_days": 10, "off_share": 0.1}}}},
          "outcomes": {"gross_profit_cny": "maximize", "coupons_redeemed": "maximize"}}


def tables(executor):
    toy = Experiment(parse_experiment(TOY), executor=executor)
    eng = Experiment(parse_experiment(ENGINE), executor=executor)
    c, s, e = toy.compare(), toy.sweep(), eng.compare()
    return {"toy_table": c.table, "toy_runs": c.runs, "toy_daily": c.daily, "sweep": s.runs,
            "engine_table": e.table, "engine_runs": e.runs, "engine_daily": e.daily}


@pytest.fixture(scope="module")
def serial():
    return tables(make_executor("serial"))


NO_DASK = importlib.util.find_spec("distributed") is None  # Dask is the optional simlib[cluster] extra


@pytest.mark.parametrize("kind", ["processes", pytest.param("dask", marks=pytest.mark.skipif(
    NO_DASK, reason="Dask not installed (pip install 'simlib[cluster]')"))])
def test_executors_give_bit_identical_tables(serial, kind):
    with make_executor(kind, workers=2) as ex:
        assert ex.workers == 2
        other = tables(ex)
    for name, df in serial.items():
        assert len(df) > 0, name
        pd.testing.assert_frame_equal(df, other[name], check_exact=True, obj=name)
    assert serial["engine_runs"]["coupons_redeemed"].max() > 0  # the arms really differ
