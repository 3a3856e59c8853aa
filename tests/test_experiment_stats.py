"""Statistics, designs and seeds of the experiment layer, against hand-worked answers."""
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simlib.experiment import compare as cs
from simlib.experiment import designs, run_seed
from simlib.experiment.optimize import pareto_front
from simlib.experiment.spec import Outcome, Parameter


def test_mean_ci_matches_hand_computation():
    # x = 1..5: mean 3, sd sqrt(2.5), se sqrt(0.5), t(0.975, 4) = 2.7764
    m, lo, hi = cs.mean_ci([1, 2, 3, 4, 5], 0.95)
    assert m == 3
    assert lo == pytest.approx(3 - 2.776445 * math.sqrt(0.5), rel=1e-5)
    assert hi == pytest.approx(3 + 2.776445 * math.sqrt(0.5), rel=1e-5)


def test_prob_better_known_value_and_symmetry():
    # d = [0, 2]: mean 1, se 1, t = 1 with 1 df: Cauchy cdf(1) = 0.75
    assert cs.prob_better([0, 2]) == pytest.approx(0.75)
    assert cs.prob_better([0, 2], sign=-1) == pytest.approx(0.25)
    d = np.array([0.3, -0.1, 0.5, 0.2, 0.05])
    assert cs.prob_better(d) + cs.prob_better(-d) == pytest.approx(1.0)
    assert cs.prob_better([1.0, 1.0, 1.0]) == 1.0


_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(2000)


def power_by_integration(n: int, effect: float, confidence: float = 0.95) -> float:
    """Power of the two-sided paired t-test, computed without the noncentral t: with
    T = (Z + effect sqrt(n)) / sqrt(V / df), Z normal and V chi-square(df), average the
    normal tail probabilities over V (Gauss-Legendre in V's quantile u, 2000 nodes; agrees
    with adaptive quadrature to 1e-8 on this grid)."""
    df, shift = n - 1, effect * math.sqrt(n)
    c = stats.t.ppf(0.5 + confidence / 2, df)
    u, w = (_NODES + 1) / 2, _WEIGHTS / 2
    scale = c * np.sqrt(stats.chi2.ppf(u, df) / df)
    return float(np.sum(w * (stats.norm.sf(scale - shift) + stats.norm.cdf(-scale - shift))))


def test_the_integral_agrees_with_simulated_t_tests():
    rng = np.random.default_rng(20240611)
    d = rng.normal(1.0, 1.0, size=(200_000, 10))
    t = d.mean(axis=1) / (d.std(axis=1, ddof=1) / math.sqrt(10))
    simulated = float(np.mean(np.abs(t) > stats.t.ppf(0.975, 9)))
    assert power_by_integration(10, 1.0) == pytest.approx(simulated, abs=4 * math.sqrt(0.2 / 200_000))


EFFECTS = sorted({*np.round(np.geomspace(0.25, 6.0, 23), 4), 1.5, 2.0, 3.0})


@pytest.mark.parametrize("effect", EFFECTS)
def test_replications_needed_is_the_smallest_n_with_the_power(effect):
    n = int(cs.replications_needed(1.0, effect, 0.95, 0.8))
    assert power_by_integration(n, effect) >= 0.8 - 1e-9
    assert n == 2 or power_by_integration(n - 1, effect) < 0.8


def test_replications_needed_large_effects_and_scale():
    # the cases (sd of the paired difference 1): the old formula gave 10, 50 and 23
    assert [cs.replications_needed(1.0, d) for d in (1.5, 2.0, 3.0)] == [6.0, 5.0, 4.0]
    assert cs.replications_needed(1.0, 1.0) == 10.0  # G*Power, matched pairs, d = 1: 10 pairs
    assert cs.replications_needed(1000.0, 300.0) == cs.replications_needed(1.0, 0.3)
    assert cs.replications_needed(1.0, -2.0) == 5.0  # a fall is detected like a rise
    assert cs.replications_needed(0.0, 1.0) == 2.0 and cs.replications_needed(1.0, 0.0) == math.inf


def test_compare_table_pairs_by_replication():
    # arm b = arm a + 2 exactly in each replication: paired diff has zero spread
    df = pd.DataFrame({"arm": ["a"] * 4 + ["b"] * 4, "point": 0, "replication": [0, 1, 2, 3] * 2,
                       "m": [10.0, 20.0, 30.0, 40.0, 12.0, 22.0, 32.0, 42.0]})
    t = cs.compare_table(df, [Outcome("m", "maximize")], "a")
    b = t[t["arm"] == "b"].iloc[0]
    assert b["diff"] == 2.0 and b["diff_low"] == 2.0 and b["diff_high"] == 2.0
    assert b["p_better"] == 1.0
    t2 = cs.compare_table(df, [Outcome("m", "minimize")], "a")
    assert t2[t2["arm"] == "b"]["p_better"].iloc[0] == 0.0


def test_latin_hypercube_is_stratified_and_seeded():
    params = [Parameter("a", "lever", 0.0, 10.0), Parameter("b", "uncertainty", 100.0, 200.0)]
    d1 = designs.make_design("lhs", params, points=20, seed=5)
    d2 = designs.make_design("lhs", params, points=20, seed=5)
    pd.testing.assert_frame_equal(d1, d2)
    for p in params:
        bins = np.floor((d1[p.key] - p.low) / (p.high - p.low) * 20).astype(int)
        assert sorted(bins) == list(range(20))  # one point in each twentieth


def test_grid_integer_values_and_loguniform():
    params = [Parameter("n", "lever", 1, 3, integer=True), Parameter("q", "lever", values=("x", "y"))]
    g = designs.make_design("grid", params, levels=5)
    assert len(g) == 6 and set(g["n"]) == {1, 2, 3} and set(g["q"]) == {"x", "y"}
    lp = Parameter("r", "uncertainty", 1.0, 100.0, dist="loguniform")
    x = lp.from_unit(np.array([0.0, 0.5, 1.0]))
    assert x == pytest.approx([1.0, 10.0, 100.0])
    ip = Parameter("k", "lever", 0, 4, integer=True)
    vals = ip.from_unit(np.linspace(0, 1, 1000, endpoint=False))
    assert np.bincount(vals.astype(int)).tolist() == [200] * 5  # each integer equally likely


def test_saltelli_blocks_share_columns_as_documented():
    params = [Parameter(k, "uncertainty", 0.0, 1.0) for k in "xyz"]
    design, labels = designs.saltelli(params, 8, seed=1)
    A, B = design[labels == 0].to_numpy(), design[labels == 1].to_numpy()
    for i in range(3):
        AB = design[labels == 2 + i].to_numpy()
        assert np.array_equal(AB[:, i], B[:, i])
        others = [j for j in range(3) if j != i]
        assert np.array_equal(AB[:, others], A[:, others])


def test_crn_seeds_shared_across_arms_independent_seeds_not():
    assert run_seed(7, 3, crn=True, arm_index=0) == run_seed(7, 3, crn=True, arm_index=2)
    assert run_seed(7, 3, crn=True) != run_seed(7, 4, crn=True)
    assert run_seed(7, 3, crn=False, arm_index=0) != run_seed(7, 3, crn=False, arm_index=1)


def test_pareto_front_small_example():
    df = pd.DataFrame({"obj": [1.0, 2.0, 1.5, 0.5, 0.9], "cost": [1.0, 2.0, 3.0, 0.5, 1.2]})
    f = pareto_front(df, "obj", 1.0, "cost", -1.0)
    assert f[["obj", "cost"]].values.tolist() == [[0.5, 0.5], [1.0, 1.0], [2.0, 2.0]]


def test_paired_is_the_aligned_difference_whether_or_not_the_keys_match():
    import numpy as np
    import pandas as pd

    from simlib.experiment.compare import paired

    def aligned(df, metric, arm, ref):   # the difference as pandas aligns it on (point, replication)
        a = df[df["arm"] == arm].set_index(["point", "replication"])[metric]
        b = df[df["arm"] == ref].set_index(["point", "replication"])[metric]
        a, b = a.align(b, join="inner")
        return (a - b).astype(float)

    rng = np.random.default_rng(3)
    same = pd.DataFrame({"arm": np.repeat(["ref", "x"], 6), "point": np.tile([0, 0, 0, 1, 1, 1], 2),
                         "replication": np.tile([0, 1, 2, 0, 1, 2], 2), "net": rng.normal(size=12),
                         "orders": rng.integers(0, 9, 12)})
    shuffled = pd.concat([same[same["arm"] == "ref"], same[same["arm"] == "x"].iloc[[2, 0, 5, 1, 4]]])
    for df in (same, shuffled):
        for metric in ("net", "orders"):
            got, want = paired(df, metric, "x", "ref"), aligned(df, metric, "x", "ref")
            pd.testing.assert_series_equal(got, want, check_exact=True)
            assert list(got.index) == list(want.index)
