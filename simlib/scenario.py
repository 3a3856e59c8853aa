"""Scenario files: YAML in, a validated and fully resolved scenario out.

A scenario may ``extends:`` one or more files (paths relative to it, or built-in names);
they are deep-merged in order, the file itself last. Only the final merge is validated,
so a fragment (say, fitted ``traits:``) can be extended. Overrides from Python or the
command line are merged the same way and validated again.
"""

from __future__ import annotations

import copy
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

import yaml

from .behavior import BEHAVIOR_PARAMS, check_seasons
from .errors import ScenarioError, UserError, did_you_mean, short_repr
from .ledger import ECONOMICS_PARAMS
from .params import Param, check_keys, resolve
from .population import resolve_market, resolve_traits
from .safe_yaml import read_yaml_file



def _builtin_dir() -> Path:
    """The built-in scenarios: inside the installed package (a wheel ships the repository's
    scenarios/ as simlib/scenarios/), else the checkout's scenarios/ (an editable install)."""
    packaged = resources.files("simlib") / "scenarios"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "scenarios"


BUILTIN_DIR = _builtin_dir()
MAX_KEY_PARTS = 20       # dotted parts in one override key (the deepest real key has 6)
MAX_POLICIES = 100       # policy instances in one scenario
TOP_LEVEL = {
    "name": Param("unnamed", "a short name", kind=str),
    "description": Param("", "the question this scenario answers", kind=str),
    "extends": Param(None, "file(s) this one overrides", kind=object, nullable=True),
    "market": Param({}, "the market", kind=dict),
    "traits": Param({}, "customer trait distributions", kind=dict),
    "behavior": Param({}, "hazards and effect sizes", kind=dict),
    "economics": Param({}, "money", kind=dict),
    "policies": Param({}, "policy instances by name", kind=dict),
}


class Scenario:
    """A validated scenario. ``data`` is the resolved dict with every default filled in."""

    def __init__(self, raw: dict, source: str = "<dict>"):
        self.raw = raw            # merged user input, without defaults
        self.source = source
        self.data = validate(raw, source)

    @property
    def name(self) -> str:
        return self.data["name"]

    def get(self, dotted: str) -> Any:
        node: Any = self.data
        for part in dotted.split("."):
            if not isinstance(node, Mapping) or part not in node:
                raise ScenarioError(self.source, dotted, "no such key in the resolved scenario")
            node = node[part]
        return node

    def override(self, changes: Mapping | None = None, source: str = "<override>", **dotted) -> "Scenario":
        """A new scenario with ``changes`` merged in (nested or dotted keys) and validated again."""
        merged = copy.deepcopy(self.raw)
        merged.pop("extends", None)
        where = f"{self.source} + {source}" if source else self.source
        for part in (changes or {}), dotted:
            part = nest(part, where)
            if "extends" in part:
                raise ScenarioError(where, "extends", "cannot be overridden: it names the files a scenario is built "
                                    "on, and this scenario is already built. Write a scenario file with "
                                    "`extends: [<this scenario>, <the other>]` (later files win) and run that")
            merged = deep_merge(merged, part)
        market = merged.get("market")
        if (isinstance(market, dict) and market.get("users") != self.data["market"]["users"]
                and market.get("represents") is None):
            # fewer or more simulated customers for the same market: precision, not a new market
            merged["market"] = {**market, "represents": self.data["market"]["represents"]}
        return Scenario(merged, source=where)

    def to_yaml(self, folder: Path | None = None) -> str:
        """The resolved scenario as YAML; to be saved in ``folder``, with the files its policies
        name copied there (so it runs again from that folder)."""
        data = self.data
        if folder is not None:
            from .policies.targets import portable
            data = portable(data, Path(folder))
        return yaml.safe_dump(_plain(data), sort_keys=False, allow_unicode=True, width=100)

    def __repr__(self) -> str:
        return f"Scenario({self.name!r}, source={self.source!r})"


def load_scenario(path_or_name) -> Scenario:
    """Load a scenario file (a path, or the name of a built-in scenario such as 'baseline')."""
    if isinstance(path_or_name, Scenario):
        return path_or_name
    path = find_scenario(path_or_name)
    raw = _load_raw(path, stack=())
    return Scenario(raw, source=_display(path))


def scenario_from_dict(data: Mapping, source: str = "<dict>") -> Scenario:
    data = copy.deepcopy(dict(data))
    parents = data.pop("extends", None)
    raw = {}
    for parent in _as_list(parents, source):
        raw = deep_merge(raw, _load_raw(find_scenario(parent), stack=()))
    return Scenario(deep_merge(raw, data), source=source)


def builtin_scenarios() -> list[str]:
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.yaml"))


def find_scenario(path_or_name, relative_to: Path | None = None) -> Path:
    text = str(path_or_name)
    candidates = []
    if relative_to is not None:
        candidates.append(relative_to / text)
    candidates += [Path(text), BUILTIN_DIR / text, BUILTIN_DIR / f"{text}.yaml"]
    for c in candidates:
        try:
            if c.is_file():
                return c.resolve()
        except OSError:   # a name too long for the file system, say
            continue
    raise ScenarioError(text, "", "no such scenario file." + did_you_mean(Path(text).stem, builtin_scenarios())
                        + " Built-in scenarios: " + ", ".join(builtin_scenarios()))


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _load_raw(path: Path, stack: tuple) -> dict:
    if path in stack:
        chain = " -> ".join(_display(p) for p in (*stack, path))
        raise ScenarioError(_display(path), "extends", f"circular extends: {chain}")
    data = read_yaml_file(path, _display(path))
    if data is None:
        raise ScenarioError(_display(path), "", "the file is empty; a scenario needs at least `extends: baseline` "
                                                "(or another built-in) or sections such as market:, policies: "
                                                "(see `simlib scenarios`)")
    if not isinstance(data, dict):
        raise ScenarioError(_display(path), "", "expected a mapping of sections (market:, policies:, ...) at the top")
    from .policies.targets import anchor_paths
    anchor_paths(data, path.parent, _display(path))    # files a policy names: relative to this file
    merged: dict = {}
    for parent in _as_list(data.get("extends"), _display(path)):
        try:
            parent_path = find_scenario(parent, relative_to=path.parent)
        except ScenarioError as exc:
            raise ScenarioError(_display(path), "extends", f"{parent}: {exc.problem}") from None
        merged = deep_merge(merged, _load_raw(parent_path, (*stack, path)))
    own = {k: v for k, v in data.items() if k != "extends"}
    market = own.get("market")
    if isinstance(market, dict) and isinstance(market.get("customers"), str):
        # a file names its customer file relative to itself, inside its own folder
        from .customer_file import resolve_path
        try:
            own["market"] = {**market, "customers": resolve_path(market["customers"], path)}
        except UserError as exc:
            raise ScenarioError(_display(path), "market.customers", str(exc).split(": market.customers: ", 1)[-1]) from None
    return deep_merge(merged, own)


def _as_list(value, source: str) -> list:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise ScenarioError(source, "extends", "expected a file name or a list of file names")


def deep_merge(base: dict, top: Mapping) -> dict:
    """``top`` over ``base``: mappings merge key by key, anything else is replaced."""
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(dict(out[key]), value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def nest(changes: Mapping, source: str = "<override>") -> dict:
    """``{"a.b": 1, "c": {"d": 2}}`` -> ``{"a": {"b": 1}, "c": {"d": 2}}``."""
    out: dict = {}
    for key, value in changes.items():
        parts = str(key).split(".")
        if len(parts) > MAX_KEY_PARTS:
            raise ScenarioError(source, short_repr(key), f"a key path of {len(parts)} parts; scenario keys are "
                                                         f"at most {MAX_KEY_PARTS} deep")
        node = {parts[-1]: nest(value, source) if isinstance(value, Mapping) else value}
        for part in reversed(parts[:-1]):
            node = {part: node}
        out = deep_merge(out, node)
    return out


def validate(raw: Mapping, source: str) -> dict:
    """Check every key and value; return the resolved scenario with all defaults."""
    from .policies.base import check_policy_references, resolve_policy
    check_keys(raw, TOP_LEVEL, source, "")
    for section in ("market", "traits", "behavior", "economics", "policies"):
        value = raw.get(section)
        if value is not None and not isinstance(value, Mapping):
            raise ScenarioError(source, section, f"expected a mapping of keys, got {short_repr(value)}")
    out = {
        "name": TOP_LEVEL["name"].check(raw.get("name", "unnamed"), source, "name"),
        "description": TOP_LEVEL["description"].check(raw.get("description", ""), source, "description"),
        "market": resolve_market(raw.get("market"), source),
        "traits": resolve_traits(raw.get("traits"), source),
        "behavior": resolve(BEHAVIOR_PARAMS, raw.get("behavior"), source, "behavior"),
        "economics": resolve(ECONOMICS_PARAMS, raw.get("economics"), source, "economics"),
    }
    check_seasons(out["behavior"], out["market"], source)
    _gross_margin(out["economics"], raw.get("economics") or {}, source)
    policies = raw.get("policies") or {}
    if len(policies) > MAX_POLICIES:
        raise ScenarioError(source, "policies", f"{len(policies)} policies; at most {MAX_POLICIES}")
    out["policies"] = {str(name): resolve_policy(str(name), cfg, source, out["market"])
                       for name, cfg in policies.items()}
    check_policy_references(out["policies"], source)
    return out


def _gross_margin(economics: dict, given: Mapping, source: str) -> None:
    """``gross_margin`` is 1 - ``cogs_share`` said the team's way: it sets cogs_share (the resolved
    scenario carries cogs_share alone, so later overrides of either stay simple), and both given
    in one scenario must agree."""
    margin = economics["gross_margin"]
    if margin is None:
        return
    if given.get("cogs_share") is not None and abs(1.0 - margin - economics["cogs_share"]) > 1e-9:
        raise ScenarioError(source, "economics.gross_margin", f"{margin:g} disagrees with economics.cogs_share "
                            f"{economics['cogs_share']:g} (gross margin = 1 - cost of goods share); allowed: one of "
                            f"them, or cogs_share {1 - margin:g} beside it")
    economics["cogs_share"] = 1.0 - margin
    economics["gross_margin"] = None


def _plain(obj):
    """YAML-safe copy (tuples -> lists)."""
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return obj
