"""Replications in one population give each replication's numbers bit for bit."""

import pandas as pd
import pytest

import simlib
from simlib.run import run_batch

PRESETS = ["pond", "coupon_ladder", "points_program", "retail_o2o", "livestream_host", "all_levers"]


@pytest.mark.parametrize("preset", PRESETS)
def test_a_batch_of_replications_equals_separate_runs(preset):
    seeds = [3, 11, 40]
    batch = run_batch(preset, seeds, users=1500, days=90, record_transactions=True)
    for seed, got in zip(seeds, batch):
        alone = simlib.run(preset, seed=seed, users=1500, days=90, record_transactions=True)
        pd.testing.assert_frame_equal(got.daily, alone.daily, check_exact=True)
        pd.testing.assert_frame_equal(got.transactions, alone.transactions, check_exact=True)
        pd.testing.assert_frame_equal(got.ledger, alone.ledger, check_exact=True)
        for key, value in alone.summary.items():
            assert got.summary[key] == value or (value != value and got.summary[key] != got.summary[key]), key
    # and the replications really differ
    assert batch[0].summary["gmv_cny"] != batch[1].summary["gmv_cny"]


def test_a_batch_too_large_is_refused_before_it_allocates():
    with pytest.raises(simlib.UserError, match="replications"):
        run_batch("pond", list(range(1000)), users=50_000, days=1)
