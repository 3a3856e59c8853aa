"""The practitioner figures of docs/domain.md that the model reproduces stay reproduced, and
every figure it cannot reach says why (benchmarks/stylised_facts.py, the README's table).

At 6,000 customers (the benchmark's --quick size) the two pond figures of the livestream host
are measured; the other rows are checked for the shape of their verdicts only, since each needs
a full year of its own preset.
"""

import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import stylised_facts as sf  # noqa: E402

FACTS = {f.name: f for f in sf.FACTS}


@pytest.mark.parametrize("name", ["host_pond_churn", "host_active_share"])
def test_the_host_pond_figures_are_reproduced(name):
    fact = FACTS[name]
    value = float(fact.measure(6000, 1))
    assert fact.low <= value <= fact.high, f"{fact.figure}: model {sf.fmt(fact, value)}, " \
                                          f"allowed {sf.fmt(fact, fact.low)}-{sf.fmt(fact, fact.high)}"
    assert sf.verdict(fact, value) == "reproduced"


def test_a_figure_out_of_reach_says_why_and_a_miss_is_called_a_miss():
    for fact in sf.FACTS:
        outside = fact.high + abs(fact.high) + 1.0
        said = sf.verdict(fact, outside)
        if fact.out_of_reach:
            assert said.startswith("out of reach: ") and len(fact.out_of_reach) > 40, fact.name
        else:
            assert said == "missed", fact.name
        assert fact.low <= fact.target <= fact.high, fact.name
        assert (ROOT / "scenarios" / f"{fact.preset}.yaml").exists(), fact.preset
