"""The comparison statistics' t and normal functions give scipy.stats' numbers bit for bit
(they call what scipy.stats calls, without importing it)."""

import subprocess
import sys

import numpy as np
from scipy import stats

from simlib.experiment.compare import replications_needed
from simlib.experiment.distributions import noncentral_t_sf, normal_quantile, t_cdf, t_quantile


def test_t_and_normal_equal_scipy_stats_bit_for_bit():
    rng = np.random.default_rng(7)
    p = np.concatenate([rng.uniform(0, 1, 300), [0.5, 0.8, 0.9, 0.95, 0.975, 0.995, 0.9995]])
    x = rng.normal(0, 4, 300)
    for df in [1, 2, 3, 4, 9, 19, 39, 199, 10**6, np.inf]:
        assert np.array_equal(t_quantile(p, df), stats.t.ppf(p, df))
        assert np.array_equal(t_cdf(x, df), stats.t.cdf(x, df))
    assert np.array_equal(normal_quantile(p), stats.norm.ppf(p))
    for df in [1, 2, 5, 19, 99]:
        for nc in [-3.0, -0.4, 0.0, 0.7, 2.5, 8.0]:
            assert np.array_equal(noncentral_t_sf(x, df, nc), stats.nct.sf(x, df, nc))
    # one replication: no interval, as scipy.stats says
    assert np.isnan(t_quantile(0.975, 0)) and np.isnan(stats.t.ppf(0.975, 0))


def test_a_comparison_does_not_import_scipy_stats():
    code = ("import sys; import simlib.cli.experiment, simlib.experiment, simlib.experiment.returns, "
            "simlib.experiment.uncertainty, simlib.report; from simlib.experiment import replications_needed; "
            "replications_needed(1.0, 0.3); print('scipy.stats' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_replications_needed_as_with_scipy_stats():
    # the exact answers of the noncentral t (computed with scipy.stats.nct before this module):
    # a difference of 2 sd is seen with 5 pairs, of 0.5 sd with 34, at 95 % and power 0.8
    assert replications_needed(1.0, 2.0) == 5
    assert replications_needed(1.0, 0.5) == 34
