"""Clean arms: what each arm's resolved scenario changes against the reference's.

A comparison answers "which strategy?" only when the arms differ by strategy. The diff lists
every dotted key whose value differs (a policy or mapping present on one side only is one
entry at its own key), and flags changes outside ``policies`` (the market, the customers'
traits, the behaviour model, the economics): those change the world, not the strategy.
"""

from __future__ import annotations

from dataclasses import dataclass

from .units import nice_number

IGNORED = ("name", "description", "extends")   # labels, not part of the model
ABSENT = object()


@dataclass(frozen=True)
class Change:
    key: str          # dotted key
    old: object       # value in the reference (ABSENT when the reference lacks it)
    new: object       # value in the arm (ABSENT when the arm lacks it)

    @property
    def is_strategy(self) -> bool:
        return self.key.startswith("policies.")

    def text(self) -> str:
        return f"{self.key}: {_show(self.old)} -> {_show(self.new)}"


def scenario_diff(reference: dict, arm: dict) -> list[Change]:
    """Changes from ``reference`` to ``arm`` (resolved scenario dicts), in the arm's key order."""
    out: list[Change] = []
    _walk(reference, arm, "", out)
    return out


def _walk(old, new, prefix, out) -> None:
    keys = list(new) + [k for k in old if k not in new]
    for k in keys:
        if not prefix and k in IGNORED:
            continue
        key = f"{prefix}{k}"
        a, b = old.get(k, ABSENT), new.get(k, ABSENT)
        if isinstance(a, dict) and isinstance(b, dict):
            _walk(a, b, key + ".", out)
        elif not _same(a, b):
            out.append(Change(key, a, b))


def _same(a, b) -> bool:
    if a is ABSENT or b is ABSENT:
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) \
            and not isinstance(b, bool):
        return float(a) == float(b)
    return a == b


def _show(v) -> str:
    if v is ABSENT:
        return "(absent)"
    if isinstance(v, dict):
        kind = v.get("type")
        return f"{{type: {kind}, ...}}" if kind else "{" + ", ".join(f"{k}: {_show(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return f"[{len(v)} items]" if len(v) > 3 else "[" + ", ".join(_show(x) for x in v) + "]"
    return nice_number(v)


def arm_diffs(arms: dict, reference: str) -> dict[str, list[Change]]:
    """Changes of every arm against the reference arm; arms maps name -> resolved scenario."""
    return {name: scenario_diff(arms[reference], data) for name, data in arms.items() if name != reference}


def warnings(diffs: dict[str, list[Change]]) -> list[str]:
    """One warning per arm whose changes reach beyond its policies."""
    out = []
    for arm, changes in diffs.items():
        world = [c.key for c in changes if not c.is_strategy]
        if world:
            shown = ", ".join(world[:6]) + (f" and {len(world) - 6} more" if len(world) > 6 else "")
            out.append(f"{arm} differs from the reference in more than its policies ({shown}): "
                       "its result mixes the strategy with a different market or behaviour")
    return out
