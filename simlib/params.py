"""Declared parameters: default, unit, bounds and a line of doc, checked strictly.

Every component (market, traits, behaviour, economics, each policy type) declares its
parameters as ``{name: Param(...)}``. Unknown keys are errors with a did-you-mean; every
default carries its unit, so the parameter reference (``docs/parameters.md``) can be
generated from the code.

Nested items use the same Param: a mapping with declared keys (``fields=``), a mapping of
names the user chooses or a list (``items=`` checks each value); for a mapping or a list,
``low``/``high`` bound how many items it may hold. Experiment files are checked this way too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from .errors import ScenarioError, did_you_mean, key_text, short_repr

MAX_INT = 2**31 - 1   # an integer without a declared bound stays within this (10**15 overflowed numpy's int64 math)
_KIND_NAMES = {float: "a number", int: "an integer", bool: "true or false", str: "a string",
               dict: "a mapping", list: "a list"}


BASES = {
    "business": "a plain business input the team states or chooses (a price, a budget, a date, a size, a lever)",
    "domain": "a practitioner figure quoted in docs/domain.md",
    "published": "a published figure, named with its setting in the source text",
    "practitioner": "a practitioner report outside docs/domain.md, named in the source text",
    "assumption": "an assumption, tested over its plausible range",
    "fitted": "set by a calibration from the team's own data",
    "structural": "a switch or a choice of model form, not an effect size",
    "safety": "a bound that keeps the run finite, not an effect",
}
"""What a parameter's default may rest on (``Param.basis``)."""


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
    # What the default rests on, as data: one of BASES below ("" = not yet classified).
    basis: str = ""
    # The plausible range (low, high) of an effect size or assumption, in the parameter's unit:
    # what robust comparisons draw over and sensitivity studies sweep. None for business inputs.
    plausible: tuple | None = None
    fields: Mapping[str, "Param"] | None = None  # kind=dict: its keys, each checked by its Param
    items: "Param | None" = None                 # kind=list, or kind=dict without fields: each value

    def allowed(self) -> str:
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind in (list, dict):
            return self._allowed_container()
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
                raise ScenarioError(source, key, f"expected {self.allowed()}, got {short_repr(value)}")
            try:
                value = float(value)
            except OverflowError:   # an integer of hundreds of digits
                raise ScenarioError(source, key, f"expected {self.allowed()}, got {short_repr(value)}") from None
            if not math.isfinite(value):
                raise ScenarioError(source, key, f"expected {self.allowed()}, got {value}")
        elif self.kind is int:
            if isinstance(value, bool) or not (isinstance(value, int) or
                                               (isinstance(value, float) and value.is_integer())):
                raise ScenarioError(source, key, f"expected {self.allowed()}, got {short_repr(value)}")
            value = int(value)
            if self.high is None and value > MAX_INT or self.low is None and value < -MAX_INT:
                raise ScenarioError(source, key, f"got {short_repr(value)}; allowed: {self.allowed()}, "
                                                 f"and at most {MAX_INT:,} in size")
        elif not isinstance(value, self.kind):
            raise ScenarioError(source, key, f"expected {self.allowed()}, got {short_repr(value)}")
        if self.kind in (list, dict):
            return self._check_container(value, source, key)
        if self.choices and value not in self.choices:
            raise ScenarioError(source, key, f"got {short_repr(value)}; allowed: {self.allowed()}."
                                + did_you_mean(value, self.choices))
        if self.low is not None and value < self.low or self.high is not None and value > self.high:
            raise ScenarioError(source, key, f"got {_fmt(value)}; allowed: {self.allowed()}")
        return value

    def _allowed_container(self) -> str:
        if self.fields is not None:
            text = "a mapping with keys " + ", ".join(self.fields)
        elif self.items is None:
            text = _KIND_NAMES[self.kind]
        elif self.kind is dict:
            text = "a mapping of names to " + self.items.allowed()
        else:
            text = "a list of " + self.items.allowed()
        if self.low is not None and self.high is not None:
            text += f" ({_fmt(self.low)} to {_fmt(self.high)} items)"
        elif self.low is not None:
            text += f" (at least {_fmt(self.low)} items)"
        elif self.high is not None:
            text += f" (at most {_fmt(self.high)} items)"
        if self.nullable:
            text += " (or null)"
        return text

    def _check_container(self, value, source: str, key: str):
        """A mapping or list: its size, then each item through ``fields`` or ``items``."""
        if self.low is not None and len(value) < self.low or self.high is not None and len(value) > self.high:
            raise ScenarioError(source, key, f"has {len(value)} items; allowed: {self.allowed()}")
        if self.kind is list:
            if self.items is None:
                return value
            return [self.items.check(v, source, f"{key}[{i}]") for i, v in enumerate(value)]
        if self.fields is not None:
            return resolve(self.fields, value, source, key)
        if self.items is None:
            return value
        out = {}
        for name, v in value.items():
            if not isinstance(name, str):
                raise ScenarioError(source, f"{key}.{key_text(name)}", f"expected a name (text) as the key, "
                                    f"got {short_repr(name)}")
            out[name] = self.items.check(v, source, _join(key, name))
        return out


def _join(path: str, name) -> str:
    return f"{path}.{name}" if path else str(name)


def _fmt(x) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def check_keys(given: Mapping, allowed, source: str, path: str) -> None:
    """Raise on the first key of ``given`` that is not in ``allowed``."""
    if not isinstance(given, Mapping):
        raise ScenarioError(source, path, f"expected a mapping of keys, got {short_repr(given)}")
    for key in given:
        if key not in allowed:
            where = f"{path}.{key_text(key)}" if path else key_text(key)
            raise ScenarioError(source, where, "unknown key." + did_you_mean(key, allowed)
                                + " Allowed: " + ", ".join(sorted(map(str, allowed))))


def resolve(schema: Mapping[str, Param], given: Mapping | None, source: str, path: str) -> dict:
    """Check ``given`` against ``schema`` and return a dict with every default filled in."""
    given = {} if given is None else given
    check_keys(given, schema, source, path)
    return {name: (spec.check(given[name], source, _join(path, name)) if name in given
                   else spec.default)
            for name, spec in schema.items()}


def table(schema: Mapping[str, Param]) -> str:
    """A Markdown table of a schema, for the model reference."""
    rows = ["| key | default | unit | allowed | meaning |", "|---|---|---|---|---|"]
    for name, p in schema.items():
        rows.append(f"| `{name}` | {p.default!r} | {p.unit} | {p.allowed()} | {p.doc} |")
    return "\n".join(rows)
