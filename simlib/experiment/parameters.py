"""What an experiment declares, as plain values: a varied scenario key (`Parameter`), an
`Outcome`, an `Arm`, an optimiser's `Constraint`. `spec.py` builds them from a checked file."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Parameter:
    """A scenario parameter varied by a design: an uncertainty or a lever."""
    key: str                      # dotted scenario key, e.g. "traits.price_sensitivity.mean"
    role: str                     # "uncertainty" or "lever"
    low: float | None = None
    high: float | None = None
    values: tuple | None = None   # discrete alternatives (then low/high unused)
    dist: str = "uniform"
    mode: float | None = None
    integer: bool = False
    default: Any = None
    label: str | None = None

    @property
    def short(self) -> str:
        return self.label or self.key

    def from_unit(self, u) -> np.ndarray:
        """Map points of the unit interval to parameter values (the inverse CDF)."""
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        if self.values is not None:
            idx = np.minimum((u * len(self.values)).astype(int), len(self.values) - 1)
            return np.asarray(self.values, dtype=object)[idx]
        lo, hi = float(self.low), float(self.high)
        if self.dist == "loguniform":
            x = np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo)))
        elif self.dist == "triangular":
            c = (float(self.mode) - lo) / (hi - lo)
            left = lo + np.sqrt(u * (hi - lo) * (float(self.mode) - lo))
            right = hi - np.sqrt((1 - u) * (hi - lo) * (hi - float(self.mode)))
            x = np.where(u < c, left, right)
        else:
            x = lo + u * (hi - lo)
        if self.integer:
            # floor of a stretched interval keeps every integer equally likely
            x = np.minimum(np.floor(lo + u * (hi - lo + 1)), hi) if self.dist == "uniform" else np.round(x)
        return x

    def grid(self, levels: int) -> list:
        if self.values is not None:
            return list(self.values)
        if self.integer:
            n = int(self.high - self.low) + 1
            if n <= levels:
                return [int(v) for v in range(int(self.low), int(self.high) + 1)]
            return sorted({int(round(v)) for v in np.linspace(self.low, self.high, levels)})
        return [float(v) for v in np.linspace(self.low, self.high, levels)]

    def grid_size(self, levels: int) -> int:
        """How many values `grid(levels)` gives at most, without building them."""
        if self.values is not None:
            return len(self.values)
        if self.integer:
            return min(levels, int(self.high - self.low) + 1)
        return levels

    def midpoint(self):
        if self.default is not None:
            return self.default
        if self.values is not None:
            return self.values[0]
        v = (float(self.low) + float(self.high)) / 2
        return int(round(v)) if self.integer else v

    def clip(self, x):
        if self.values is not None:
            return x
        x = min(max(float(x), float(self.low)), float(self.high))
        return int(round(x)) if self.integer else x

    def to_plain(self, value):
        """A value as a plain Python scalar (for YAML/JSON and scenario overrides)."""
        if isinstance(value, np.generic):
            value = value.item()
        if self.integer and isinstance(value, float):
            value = int(round(value))
        return value


@dataclass(frozen=True)
class Outcome:
    name: str
    direction: str = "maximize"   # or "minimize"
    metric: str | None = None     # summary key (default: name)
    formula: str | None = None    # arithmetic of summary keys, e.g. "gross_profit_cny - marketing_cost_cny"

    @property
    def key(self) -> str:
        return self.name if self.formula else (self.metric or self.name)

    @property
    def sign(self) -> float:
        return 1.0 if self.direction == "maximize" else -1.0


@dataclass(frozen=True)
class Arm:
    name: str
    scenario: str | None = None   # resolved path or built-in name; None = the base
    overrides: dict = field(default_factory=dict)
    description: str = ""


@dataclass(frozen=True)
class Constraint:
    name: str
    metric: str | None = None
    levers: dict | None = None
    max: float | None = None
    min: float | None = None
    quantile: float | None = None  # None = mean across scenarios

    def slack(self, value: float) -> float:
        """>= 0 when satisfied; the amount of violation otherwise (negative)."""
        s = np.inf
        if self.max is not None:
            s = min(s, self.max - value)
        if self.min is not None:
            s = min(s, value - self.min)
        return float(s)

