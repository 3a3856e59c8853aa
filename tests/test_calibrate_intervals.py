"""Intervals that exist, and the gradients the fits now use.

- A log that does not pin the dropout down (nobody leaves: BG/NBD's a -> 0) still gives the
  purchase rate finite Wald intervals, and the dropout parameters a profile-likelihood interval
  or "not identified", never NaN.
- Each process's analytic gradient (and the new-buyer clock's chain rule) equals central
  differences of its own log-likelihood."""

from __future__ import annotations

import re

import numpy as np
import pytest

from simlib.calibrate.new_buyers import TenureDesign
from simlib.calibrate.processes import Histories, fit_process, get_process


def poisson_buyers_who_never_leave(n=1500, seed=4):
    """Histories (plain numpy) of Poisson buyers with gamma rates and no dropout at all."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(0.8, 1 / 30, n)
    T = rng.integers(150, 250, n).astype(float)
    x = rng.poisson(lam * T)
    t_x = np.array([rng.uniform(0, t, k).max() if k else 0.0 for t, k in zip(T, x)])
    return x.astype(float), t_x, T


def test_a_log_that_does_not_pin_dropout_down_still_has_intervals():
    fit = fit_process("bgnbd", *poisson_buyers_who_never_leave())
    table = fit.table()
    assert not fit.converged and "profile likelihood" in fit.message
    for name in ("r", "alpha", "scale"):   # the purchase rate keeps finite Wald intervals
        row = table.loc[name]
        assert row["interval"] == "wald" and np.isfinite([row["lower"], row["upper"], row["std_error"]]).all()
        assert row["lower"] < row["estimate"] < row["upper"]
    assert table.loc["r", "lower"] < 0.8 < table.loc["r", "upper"]     # the truth
    for name in ("a", "b"):
        row = table.loc[name]
        assert not np.isnan([row["lower"], row["upper"]]).any()
        assert row["lower"] <= row["estimate"] <= row["upper"]
    # the mean dropout a / (a + b) is near 0: b cannot be told from infinity, nor a from 0
    assert table.loc["b", "interval"].startswith("profile likelihood") and table.loc["b", "upper"] == np.inf
    assert table.loc["a", "lower"] == 0.0


def test_describe_prints_no_nan_for_a_boundary_fit(tmp_path):
    import pandas as pd

    from simlib.calibrate.report import calibrate_transactions
    x, t_x, T = poisson_buyers_who_never_leave(600, seed=4)
    rows = []
    rng = np.random.default_rng(0)
    for i, (k, t) in enumerate(zip(x.astype(int), T)):
        days = np.unique(np.r_[0, np.floor(rng.uniform(0, t, k))]).astype(int)
        start = 250 - int(t)
        rows += [(f"c{i}", start + d, 20.0) for d in days]
    frame = pd.DataFrame(rows, columns=["customer_id", "day", "amount"])
    frame.to_csv(tmp_path / "log.csv", index=False)
    cal = calibrate_transactions(tmp_path / "log.csv", 249, date_col="day", process="bgnbd", new_buyers="off")
    text = cal.describe()
    assert not re.search(r"\bnan\b", text.lower()), text
    params = cal.parameters()
    assert np.isfinite(params.loc[["r", "alpha"], ["lower", "upper"]].to_numpy()).all()


@pytest.mark.parametrize("name, params, k", [
    ("bgnbd", (0.8, 30.0, 0.9, 4.0), None), ("mbgnbd", (0.8, 30.0, 0.9, 4.0), None),
    ("pnbd", (0.8, 30.0, 1.3, 200.0), None), ("pnbd", (0.8, 300.0, 1.3, 20.0), None),
    ("cnbd", (1.5, 40.0, 0.9, 4.0), 3),
])
def test_analytic_gradients_equal_central_differences(name, params, k):
    rng = np.random.default_rng(1)
    n = 300
    T = rng.uniform(30, 300, n)
    x = rng.poisson(3, n).astype(float)
    t_x = np.where(x > 0, rng.uniform(0, 1, n) * T, 0.0)
    h = Histories.of(x, t_x, T, np.where(x > 0, rng.normal(2, 1, n) * x, 0.0))
    process = get_process(name)
    ll, grad = process.log_likelihood_gradient(params, h, k)
    assert np.allclose(ll, process.log_likelihood(params, h, k))

    def total(theta):
        return process.log_likelihood(np.exp(theta), h, k).sum()
    theta = np.log(params)
    numeric = np.array([(total(theta + e) - total(theta - e)) / 2e-5 for e in np.eye(4) * 1e-5])
    assert np.allclose(grad.sum(axis=0), numeric, rtol=1e-6, atol=1e-4)


@pytest.mark.parametrize("name, k", [("bgnbd", 1), ("cnbd", 3)])
def test_the_new_buyer_clock_gradient_is_the_chain_rule(name, k):
    rng = np.random.default_rng(2)
    m = 200
    starts = np.tile([0.0, 10.0], m) + rng.integers(0, 5, 2 * m)
    ends = starts + rng.integers(1, 30, 2 * m)
    t_x = ends[1::2]
    design = TenureDesign(np.full(m, 2.0), t_x, t_x + rng.integers(0, 100, m), starts, ends,
                          np.repeat(np.arange(m), 2))
    process, params = get_process(name), (1.2, 35.0, 0.9, 4.0)

    def total(theta):
        return design.log_likelihood(process, np.exp(theta[:4]), k, *np.exp(theta[4:]))
    theta = np.log(list(params) + [0.7, 25.0])
    value, grad = design.log_likelihood_gradient(process, params, k, 0.7, 25.0)
    assert value == pytest.approx(total(theta))
    numeric = np.array([(total(theta + e) - total(theta - e)) / 2e-5 for e in np.eye(6) * 1e-5])
    assert np.allclose(grad, numeric, rtol=1e-6, atol=1e-4)
