"""What each arm does, in full: every setting it changes against the reference, nested values
shown (ladder rungs, a gift catalogue, member tiers, cadences), each in the unit the parameter
reference declares (docs/parameters.md).

``report.diff`` finds which dotted keys differ; this module says what they are. A policy the
reference lacks is listed with every one of its settings (a shallow 5 / 15 / 25 % ladder and the
stock 15 / 57 / 72 % one read differently); a policy both have lists the keys that differ.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .diff import ABSENT, Change
from .units import nice_number

SKIPPED = ("type", "enabled")      # said in the policy's heading


@dataclass(frozen=True)
class Setting:
    """One line of an arm's description: a dotted key, its meaning, its value in the reference
    and in the arm, each as text in the declared unit (lists and mappings over several lines)."""
    arm: str
    key: str
    meaning: str
    reference: list
    value: list
    is_strategy: bool
    heading: bool = False            # a whole policy added or removed: the lines below detail it

    def text(self) -> str:
        old, new = " / ".join(self.reference), " / ".join(self.value)
        if self.heading:
            return f"{self.key}: {new if self.value != ['(none)'] else 'removed (' + old + ')'}"
        return f"{self.key}: {old} -> {new}" if self.reference != ["(none)"] else f"{self.key} = {new}"


def describe(change: Change, scenario: dict | None, reference_scenario: dict | None, arm: str = "") -> list[Setting]:
    """The settings one change stands for: a policy added or removed expands into its heading and
    every setting it has; any other change is one line."""
    parts = change.key.split(".")
    if parts[0] == "policies" and len(parts) == 2:
        added = change.new is not ABSENT
        policy = change.new if added else change.old
        kind = policy.get("type", "") if isinstance(policy, dict) else ""
        word = "adds" if added else "removes"
        head = f"{word} a {kind.replace('_', ' ')} policy" if kind else f"{word} a policy"
        out = [Setting(arm, change.key, head, ["(none)"] if added else [head],
                       [head] if added else ["(none)"], True, heading=True)]
        if isinstance(policy, dict):
            params = policy_params(kind)
            for name, value in policy.items():
                if name in SKIPPED or not _applies(name, value, policy):
                    continue
                param = params.get(name)
                shown = show(value, param, name)
                out.append(Setting(arm, f"{change.key}.{name}", _meaning(param, name),
                                   ["(none)"] if added else shown, shown if added else ["(none)"], True))
        return out
    param = lookup(change.key, scenario if change.new is not ABSENT else reference_scenario)
    last = parts[-1]
    return [Setting(arm, change.key, _meaning(param, last),
                    ["(none)"] if change.old is ABSENT else show(change.old, param, last),
                    ["(none)"] if change.new is ABSENT else show(change.new, param, last),
                    change.is_strategy)]


def _applies(name: str, value, policy: dict) -> bool:
    """Whether an added policy's setting does anything: an unset end or start, an unset one-shot
    send or target, and the repeat interval of a policy that sends once (on a day or a date) are
    left out of its description."""
    if value is None and name in ("end_day", "on_day", "on_date", "target"):
        return False
    if name == "start_day" and not value:
        return False
    return not (name == "every_days" and (policy.get("on_day") is not None or policy.get("on_date") is not None))


def describe_arms(diffs: dict, scenarios: dict, reference: str) -> dict[str, list[Setting]]:
    """arm -> its settings, from ``report.diff.arm_diffs`` and the resolved scenarios."""
    return {arm: [s for c in changes for s in describe(c, scenarios.get(arm), scenarios.get(reference), arm)]
            for arm, changes in diffs.items()}


def settings_frame(described: dict[str, list[Setting]]) -> pd.DataFrame:
    """One row per arm and setting: arm, key, meaning, reference, value (lines joined by '; ')."""
    rows = [{"arm": s.arm, "key": s.key, "meaning": s.meaning, "reference": "; ".join(s.reference),
             "value": "; ".join(s.value), "is_strategy": s.is_strategy} for ss in described.values() for s in ss]
    return pd.DataFrame(rows, columns=["arm", "key", "meaning", "reference", "value", "is_strategy"])


def format_described(described: dict[str, list[Setting]], reference: str) -> str:
    """The arms' settings as terminal text: one block per arm, a policy's settings indented
    under it, values over several lines indented once more."""
    lines = []
    for arm, settings in described.items():
        count = sum(not s.heading for s in settings)
        lines.append(f"{arm} vs {reference}: " + (f"{count} setting(s) differ" if settings else "identical"))
        policy = None
        for s in settings:
            if s.heading:
                policy = s.key
                lines.append(f"  {s.key}: {s.value[0] if s.value != ['(none)'] else s.reference[0]}")
                continue
            inside = policy is not None and s.key.startswith(policy + ".")
            indent, name = ("    ", s.key[len(policy) + 1:]) if inside else ("  ", s.key)
            one_side = s.reference == ["(none)"] or s.value == ["(none)"]
            shown = s.value if s.value != ["(none)"] else s.reference
            note = f"   ({s.meaning})" if s.meaning else ""
            if one_side and len(shown) == 1:
                lines.append(f"{indent}{name} = {shown[0]}{note}")
            elif len(s.reference) == 1 and len(s.value) == 1:
                lines.append(f"{indent}{name}: {s.reference[0]} -> {s.value[0]}{note}")
            elif one_side:
                lines.append(f"{indent}{name}:{note}")
                lines += [f"{indent}  {line}" for line in shown]
            else:
                lines.append(f"{indent}{name}:{note}")
                lines += [f"{indent}  was {line}" for line in s.reference] + [f"{indent}  now {line}" for line in s.value]
    return "\n".join(lines)


# -- values in their unit ------------------------------------------------------------------------

def show(value, param=None, name: str = "") -> list[str]:
    """A scenario value as lines of text in its declared unit: one line for a number or a list of
    numbers (ordered steps as '15 % -> 57 % -> 72 %'), one line per item of a list of mappings or
    a mapping of named entries."""
    unit = param.unit if param is not None else _unit_from_name(name)
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            schema = _item_schema(param, value)
            return [_mapping_line(v, schema) for v in value]
        item = param.items if param is not None and param.items is not None else None
        shown = [_scalar(v, item.unit if item is not None else unit) for v in value]
        if not shown:
            return ["none"]
        ordered = param is not None and "in order" in param.doc
        return [(" → " if ordered else ", ").join(shown)]
    if isinstance(value, dict):
        if not value:
            return ["none"]
        fields = param.fields if param is not None and param.fields else None
        if fields is None and all(isinstance(v, list) and all(isinstance(i, dict) for i in v) for v in value.values()):
            schema = _item_schema(None, [i for v in value.values() for i in v])
            return [f"{k}: " + " -> ".join(f"({_mapping_line(i, schema)})" for i in v) for k, v in value.items()]
        if fields is None and all(isinstance(v, dict) for v in value.values()):
            schema = _item_schema(param, list(value.values()))
            return [f"{k}: {_mapping_line(v, schema)}" for k, v in value.items()]
        if fields is None and param is not None and param.items is not None:
            return [", ".join(f"{k} {_scalar(v, param.items.unit)}" for k, v in value.items())]
        return [_mapping_line(value, fields or {})]
    return [_scalar(value, unit)]


def _mapping_line(item: dict, schema: dict) -> str:
    """'big_brand_item: 3,000 points, 240 CNY, appeal 1 (0-1)': the name first, then each field."""
    bits, label = [], ""
    for k, v in item.items():
        if k == "name" and isinstance(v, str):
            label = v
            continue
        p = schema.get(k)
        if isinstance(v, (list, dict)):
            text = "; ".join(show(v, p, k))
            bits.append(f"{_short(k)} [{text}]")
            continue
        unit = p.unit if p is not None else _unit_from_name(k)
        name = _short(k)
        bits.append(_scalar(v, unit) if name == unit or name + "s" == unit else f"{name} {_scalar(v, unit)}")
    body = ", ".join(bits)
    return f"{label}: {body}" if label else body


def _scalar(v, unit: str) -> str:
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, str):
        return v
    if isinstance(v, (int, float)):
        if unit in ("share", "probability"):
            pct = float(v) * 100
            return f"{pct:.3g} %"
        if unit == "%":
            return f"{float(v):.3g} %"
        text = nice_number(v)
        word = {"log": "(log-multiplier)", "x": "x", "0-1": "(0 to 1)", "": ""}.get(unit, unit)
        if unit == "days" and float(v) == 1:
            word = "day"
        if unit == "x":
            return f"x{text}"
        return f"{text} {word}".strip()
    return str(v)


def _short(key: str) -> str:
    """A field name without the unit its value now carries: 'cost_cny' -> 'cost'."""
    key = key.replace("_cny_", "_") if "_cny_" in key and not key.startswith("cny") else key
    for suffix in ("_cny_per_day", "_cny", "_share", "_days", "_per_day"):
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)].replace("_", " ")
    return key.replace("_", " ")


def _unit_from_name(key: str) -> str:
    if key.endswith("_cny_per_day"):
        return "CNY per day"
    if key.endswith("_cny"):
        return "CNY"
    if key.endswith(("_share", "share")):
        return "share"
    if key.endswith("_per_day"):
        return "per day"
    if key.endswith("_days"):
        return "days"
    return ""


def _meaning(param, name: str) -> str:
    return param.doc if param is not None else name.replace("_", " ")


# -- where a key's Param is declared ------------------------------------------------------------

def policy_params(kind: str) -> dict:
    from ..policies.base import COMMON_PARAMS, policy_types
    cls = policy_types().get(kind)
    return {**COMMON_PARAMS, **(cls.params if cls else {})}


def lookup(dotted: str, scenario: dict | None):
    """The Param a dotted scenario key is declared by (walking nested fields and items), or None."""
    from ..behavior import BEHAVIOR_PARAMS
    from ..ledger import ECONOMICS_PARAMS
    from ..population import MARKET_PARAMS
    parts = dotted.split(".")
    head, rest = parts[0], parts[1:]
    tables = {"behavior": BEHAVIOR_PARAMS, "economics": ECONOMICS_PARAMS, "market": MARKET_PARAMS}
    if head == "policies" and len(rest) >= 2:
        kind = ((scenario or {}).get("policies", {}).get(rest[0]) or {}).get("type", "")
        table, rest = policy_params(kind), rest[1:]
    elif head in tables and rest:
        table = tables[head]
    else:
        return None
    param = table.get(rest[0])
    for step in rest[1:]:
        if param is None:
            return None
        if param.fields:
            param = param.fields.get(step)
        elif param.items is not None:
            param = param.items
        else:
            schema = _schema_with(step)
            param = schema.get(step) if schema else None
    return param


def _item_schema(param, items: list) -> dict:
    """The declared fields of the mappings in ``items``: the Param's own, else the policy schema
    (catalogue gifts, tiers, pond routes, channels, steps...) whose keys cover them best."""
    if param is not None and param.items is not None and param.items.fields:
        return dict(param.items.fields)
    keys = set().union(*(set(i) for i in items)) if items else set()
    best, score = {}, 0
    for schema in _schemas():
        overlap = len(keys & set(schema))
        if overlap > score:
            best, score = schema, overlap
    return best if score * 2 >= len(keys) else {}


def _schema_with(key: str) -> dict | None:
    return next((s for s in _schemas() if key in s), None)


_SCHEMAS: list | None = None


def _schemas() -> list[dict]:
    """Every mapping of name -> Param the policy modules declare at module level (item schemas)."""
    global _SCHEMAS
    if _SCHEMAS is None:
        import sys

        from ..params import Param
        from ..policies.base import policy_types
        policy_types()
        found = []
        for name, module in list(sys.modules.items()):
            if not name.startswith("simlib.policies.") or module is None:
                continue
            for value in vars(module).values():
                if isinstance(value, dict) and value and all(isinstance(v, Param) for v in value.values()):
                    if not any(value is f for f in found):
                        found.append(value)
        _SCHEMAS = found
    return _SCHEMAS
