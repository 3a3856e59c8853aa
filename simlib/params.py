"""Declared parameters: default, unit, bounds and a line of doc, checked strictly.

Every component (market, traits, behaviour, economics, each policy type) declares its
parameters as ``{name: Param(...)}``. Unknown keys are errors with a did-you-mean; every
default carries its unit, so the parameter reference (``docs/parameters.md``) can be
generated from the code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from .errors import ScenarioError, did_you_mean

_KIND_NAMES = {float: "a number", int: "an integer", bool: "true or false", str: "a string",
               dict: "a mapping", list: "a list"}


@dataclass(frozen=True)
class Param:
    default: Any
    doc: str
    unit: str = ""
    kind: type = float
    low: float | None = None
    high: float | None = None
    choices: tuple = field(default=())
    nullable: bool = False
    source: str = ""   # where the default comes from (a study, a report, "assumption"); see docs/domain.md

    def allowed(self) -> str:
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        text = _KIND_NAMES.get(self.kind, self.kind.__name__)
        if self.low is not None and self.high is not None:
            text += f" in [{_fmt(self.low)}, {_fmt(self.high)}]"
        elif self.low is not None:
            text += f" >= {_fmt(self.low)}"
        elif self.high is not None:
            text += f" <= {_fmt(self.high)}"
        if self.nullable:
            text += " (or null)"
        return text

    def check(self, value, source: str, key: str):
        """Return the value converted to the declared kind, or raise ScenarioError."""
        if value is None:
            if self.nullable:
                return None
            raise ScenarioError(source, key, f"is empty; expected {self.allowed()}")
        if self.kind is float:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ScenarioError(source, key, f"expected {self.allowed()}, got {value!r}")
            value = float(value)
            if math.isnan(value):
                raise ScenarioError(source, key, f"expected {self.allowed()}, got NaN")
        elif self.kind is int:
            if isinstance(value, bool) or not (isinstance(value, int) or
                                               (isinstance(value, float) and value.is_integer())):
                raise ScenarioError(source, key, f"expected {self.allowed()}, got {value!r}")
            value = int(value)
        elif not isinstance(value, self.kind):
            raise ScenarioError(source, key, f"expected {self.allowed()}, got {value!r}")
        if self.choices and value not in self.choices:
            raise ScenarioError(source, key, f"got {value!r}; allowed: {self.allowed()}."
                                + did_you_mean(value, self.choices))
        if self.low is not None and value < self.low or self.high is not None and value > self.high:
            raise ScenarioError(source, key, f"got {_fmt(value)}; allowed: {self.allowed()}")
        return value


def _fmt(x) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def check_keys(given: Mapping, allowed, source: str, path: str) -> None:
    """Raise on the first key of ``given`` that is not in ``allowed``."""
    if not isinstance(given, Mapping):
        raise ScenarioError(source, path, f"expected a mapping of keys, got {given!r}")
    for key in given:
        if key not in allowed:
            where = f"{path}.{key}" if path else str(key)
            raise ScenarioError(source, where, "unknown key." + did_you_mean(key, allowed)
                                + " Allowed: " + ", ".join(sorted(map(str, allowed))))


def resolve(schema: Mapping[str, Param], given: Mapping | None, source: str, path: str) -> dict:
    """Check ``given`` against ``schema`` and return a dict with every default filled in."""
    given = {} if given is None else given
    check_keys(given, schema, source, path)
    return {name: (spec.check(given[name], source, f"{path}.{name}") if name in given
                   else spec.default)
            for name, spec in schema.items()}


def table(schema: Mapping[str, Param]) -> str:
    """A Markdown table of a schema, for the model reference."""
    rows = ["| key | default | unit | allowed | meaning |", "|---|---|---|---|---|"]
    for name, p in schema.items():
        rows.append(f"| `{name}` | {p.default!r} | {p.unit} | {p.allowed()} | {p.doc} |")
    return "\n".join(rows)
