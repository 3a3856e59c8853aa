"""The comparison statistics' t and normal functions give scipy.stats' numbers bit for bit
(they call what scipy.stats calls, without importing it)."""

import subprocess
import sys

import numpy as np
from scipy import stats

from simlib.experiment.distributions import normal_quantile, t_cdf, t_quantile


def test_t_and_normal_equal_scipy_stats_bit_for_bit():
    rng = np.random.default_rng(7)
    p = np.concatenate([rng.uniform(0, 1, 300), [0.5, 0.8, 0.9, 0.95, 0.975, 0.995, 0.9995]])
    x = rng.normal(0, 4, 300)
    for df in [1, 2, 3, 4, 9, 19, 39, 199, 10**6, np.inf]:
        assert np.array_equal(t_quantile(p, df), stats.t.ppf(p, df))
        assert np.array_equal(t_cdf(x, df), stats.t.cdf(x, df))
    assert np.array_equal(normal_quantile(p), stats.norm.ppf(p))
    # one replication: no interval, as scipy.stats says
    assert np.isnan(t_quantile(0.975, 0)) and np.isnan(stats.t.ppf(0.975, 0))


def test_a_comparison_does_not_import_scipy_stats():
    code = ("import sys; import simlib.cli.experiment, simlib.experiment, simlib.experiment.returns, "
            "simlib.experiment.uncertainty, simlib.report; print('scipy.stats' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
