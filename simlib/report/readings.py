"""Readings a notebook may print: a "best", "most" or "highest" read from paired replications,
with the interval of its lead over the runner-up, or "not resolved at this size".

    values = pd.DataFrame({option: per-replication values, ...})   # rows: the same seeds
    pick = pick_best(values, "net profit against the pond")
    print(pick)            # 'Most net profit against the pond: 7 a week (+12,345 CNY); ahead of ...'
    pick.check()           # asserts the sentence printed: the lead's interval excludes zero, or not

The options share their replications (common random numbers), so the lead is a paired
difference; its interval is Student-t over the replications (``experiment.compare.mean_ci``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..experiment.compare import mean_ci
from .units import fmt_span


@dataclass(frozen=True)
class Pick:
    what: str              # what is most (or least): 'net profit against the pond'
    key: str               # the metric key, for units ('net_profit_cny')
    best: object
    runner_up: object
    value: float           # the best option's mean
    lead: float            # best - runner-up (paired mean; negative when smaller is better)
    low: float
    high: float
    n: int
    larger_is_better: bool = True
    basis: str = "in the mean"     # how the best was ranked ('by its score' when not by the mean)

    @property
    def resolved(self) -> bool:
        """True when the lead over the runner-up is told apart from zero at this size."""
        return bool(np.isfinite(self.low) and (self.low > 0 or self.high < 0))

    def text(self) -> str:
        word = "Most" if self.larger_is_better else "Least"
        value = fmt_span(self.key, self.value, self.value, self.value, sign=False, diff=False)[0]
        lead, lo, hi = fmt_span(self.key, self.lead, self.low, self.high)
        unit = " CNY" if self.key.endswith("_cny") else ""
        span = f"{lead}{unit} (95% interval {lo} to {hi}, {self.n} paired replications)"
        gap = "lead over" if self.larger_is_better else "difference to"
        if self.resolved:
            return (f"{word} {self.what}: {self.best} ({value}{unit}), ahead of the runner-up, {self.runner_up}, "
                    f"by {span}.")
        return (f"{word} {self.what} {self.basis}: {self.best} ({value}{unit}), but not resolved at this size: its {gap} "
                f"the runner-up, {self.runner_up}, is {span}.")

    def __str__(self) -> str:
        return self.text()

    def check(self) -> None:
        """Assert what ``text`` says: the lead's interval excludes zero when the choice is named
        outright, and holds zero when it is 'not resolved at this size'."""
        if self.resolved:
            assert self.low > 0 if self.larger_is_better else self.high < 0, self.text()
        else:
            assert self.low <= 0 <= self.high, self.text()


def pick_best(values: pd.DataFrame, what: str, key: str = "net_profit_cny", larger_is_better: bool = True,
              confidence: float = 0.95) -> Pick:
    """The option (column) with the best mean over the replications (rows), and its paired lead
    over the runner-up."""
    sign = 1.0 if larger_is_better else -1.0
    means = values.mean(axis=0)
    order = (sign * means).sort_values(ascending=False, kind="stable").index.tolist()
    best = order[0]
    runner = order[1] if len(order) > 1 else order[0]
    lead = (values[best] - values[runner]).astype(float).to_numpy()
    m, lo, hi = mean_ci(lead, confidence)
    return Pick(what, key, best, runner, float(means[best]), m, lo, hi, len(lead), larger_is_better)


def paired_band(values: pd.DataFrame, reference, confidence: float = 0.95) -> pd.DataFrame:
    """Per option (column): the mean paired difference to ``reference`` (a column) with its
    interval, for bands around a sweep."""
    rows = []
    for option in values.columns:
        m, lo, hi = mean_ci((values[option] - values[reference]).astype(float).to_numpy(), confidence)
        rows.append({"option": option, "diff": m, "low": lo, "high": hi})
    return pd.DataFrame(rows).set_index("option")
