"""The independent coupon-test generator (benchmarks/uplift_generator.py) draws its truths without
simlib, and the truth it reports for a campaign is what its own draws show."""

import ast
import sys

import numpy as np
import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import uplift_generator as gen  # noqa: E402


def test_the_generator_does_not_use_simlib():
    tree = ast.parse((ROOT / "benchmarks" / "uplift_generator.py").read_text(encoding="utf-8"))
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert imported <= {"__future__", "numpy"}


@pytest.mark.parametrize("name", list(gen.TRUTHS))
def test_a_campaigns_truth_matches_the_closed_form_and_its_shape(name):
    truth, rng = gen.TRUTHS[name], np.random.default_rng(7)
    c = gen.draw_customers(6000, truth, rng)
    assert np.mean(c["stop"] < 0) == pytest.approx(gen.STOPPED_SHARE, abs=0.02)   # stopped before the test
    simulated = gen.true_incremental(c, truth, 0.2, rng, draws=4)
    closed = gen.expected_incremental(c, truth, 0.2)
    assert simulated > 0 and simulated == pytest.approx(closed, rel=0.15)   # one order per customer and day: a bit less
    everyone = np.ones(c["n"], bool)
    weeks = gen.weekly_per_customer(gen.orders(c, truth, 0.2, everyone), c["n"]).sum(axis=0)
    base = gen.weekly_per_customer(gen.orders(c, truth, 0.0, everyone), c["n"]).sum(axis=0)
    assert weeks[0] > 1.3 * base[0]                     # the bump in the coupon week
    assert weeks[1:4].sum() < base[1:4].sum()           # a dip after it: orders moved forward, or skipped
    assert weeks[5:].sum() == base[5:].sum()            # the same luck after the truth's three weeks
