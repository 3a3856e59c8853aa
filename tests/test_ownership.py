"""Who owns what (docs/architecture.md): behaviour owns every effect, the ledger every yuan, and
the walks from YAML to the ledger name code that exists."""

import ast
import importlib
import re
from pathlib import Path

import numpy as np
import pytest

import simlib
from simlib.engine import Sim

ROOT = Path(simlib.__file__).parent
DOCS = ROOT.parent / "docs"


def _modules():
    """{dotted module name: source path} of every module of simlib."""
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path, modules: dict) -> set:
    """Modules of simlib that ``name`` imports, at any level (function-level imports included)."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            prefix = ".".join(base + ([node.module] if node.module else []))
            targets = [f"{prefix}.{a.name}" for a in node.names] + [prefix]
        else:
            continue
        for target in targets:
            while target and target not in modules and "." in target:
                target = target.rsplit(".", 1)[0]
            if target in modules and target != name:
                found.add(target)
    return found


def test_no_module_imports_itself_through_others():
    """No import circle between modules (a package's __init__, which only re-exports, aside):
    cli.main -> cli.calibrate -> cli.calibrate_uplift -> cli.main and coupons <-> population
    were two."""
    modules = _modules()
    packages = {m for m, p in modules.items() if p.name == "__init__.py"}
    graph = {m: _imports(m, p, modules) - packages for m, p in modules.items() if m not in packages}
    assert "simlib.cli.options" in graph["simlib.cli.calibrate_uplift"]   # the graph sees function-level imports
    circles = []
    for start in graph:                      # depth-first search for a path back to the start
        stack, seen = [(start, (start,))], set()
        while stack:
            node, path = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    circles.append(" -> ".join(path + (start,)))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, path + (nxt,)))
    assert circles == []


def _reads_of(text: str, key: str) -> int:
    """How many times the source reads ``something["key"]`` or ``something.key`` (the compiled
    behaviour reads its parameters by name from ``HazardParams``)."""
    return sum((isinstance(n, ast.Subscript) and isinstance(n.slice, ast.Constant) and n.slice.value == key)
               or (isinstance(n, ast.Attribute) and n.attr == key) for n in ast.walk(ast.parse(text)))


@pytest.mark.parametrize("key, owner", [("discount_effect", "promotion.py"),
                                        ("reference_price_loss_ratio", "promotion.py"),
                                        ("acceleration_share", "promotion.py"),
                                        ("reference_price_adaptation", "promotion.py"),
                                        ("useful_relief", "behavior.py"), ("baseline_brand_share", "behavior.py")])
def test_behaviour_reads_its_effect_sizes_alone(key, owner):
    """The coupon response (discount_effect x price sensitivity x depth), the loss of paying above
    the reference price, buying ahead, the relief of useful messages and the brand-share logit are
    each written once, in behaviour (behavior.py and its promotion response, promotion.py); no
    policy, engine or step module reads these effect sizes."""
    readers = {str(p.relative_to(ROOT)): n for p in ROOT.rglob("*.py")
               if (n := _reads_of(p.read_text(encoding="utf-8"), key))}
    assert set(readers) == {owner}, readers
    assert readers[owner] <= 2


def test_policies_never_weight_money_themselves():
    """The real-market weight is applied to money by the ledger (``per_customer=True``); in the
    policies it only converts counts of people (reach, seats, staff capacity, CAC per channel)."""
    counts = {("acquisition.py", "_buy_reach"), ("acquisition.py", "cac_by_channel"),
              ("community.py", "init"), ("outreach.py", "init")}
    found = set()
    for path in (ROOT / "policies").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in ast.walk(tree):
            if isinstance(func, ast.FunctionDef):
                if any(isinstance(n, ast.Attribute) and n.attr == "weight" for n in ast.walk(func)):
                    found.add((path.name, func.name))
    assert found <= counts, found - counts


def test_metrics_name_no_policy_type():
    """The summary splits member prices from coupons by a declared property of the policy type,
    not by its name."""
    from simlib.policies.base import policy_types
    text = (ROOT / "metrics.py").read_text(encoding="utf-8")
    strings = {n.value for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    assert not strings & set(policy_types())
    assert [n for n, cls in policy_types().items() if cls.discount_is_member_price] == ["member_tiers"]


def _holders(overrides: dict, depth_of=None):
    """A pond of buyers, a tenth of them handed a 30 % coupon on day 0; their hazards that day."""
    data = {"name": "holders",
            "market": {"users": 4000, "days": 2, "channels": {"wechat": {"share": 1.0, "word_of_mouth": 0.0}},
                       "initial_stage": {"loyal": 1.0}, "initial_in_pond": 1.0},
            "behavior": overrides, "policies": {}}
    sim = Sim(simlib.scenario_from_dict(data), seed=3)
    idx = np.arange(sim.n)
    sim.world.day = 0
    sim.give_coupon(idx[::10], "test", off_share=0.3)
    return sim, sim.behavior.hazards(idx, 0), idx[::10]


def test_counterfactual_is_behaviours_own_rate_without_the_discount():
    """The chance an order would have been placed at the list price, from behaviour: with no
    brand-share ceiling and no reference price it is exp(-discount_effect x sensitivity x depth)
    exactly; the logit ceiling makes more of the coupon's orders happen anyway; loss aversion
    (a reference price below the list price) makes fewer."""
    free = {"baseline_brand_share": 0.0, "reference_price_loss_ratio": 0.0, "trust_effect": 0.0, "discount_effect": 4.0}
    sim, hz, held = _holders(free)
    pop = sim.pop
    closed = np.exp(-4.0 * pop.price_sensitivity[held] * pop.coupons.depth[held])
    assert hz.anyway[held] == pytest.approx(closed, rel=1e-5)
    assert np.all(np.delete(hz.anyway, held) == 1)                    # no discount held: every order anyway
    _, capped, _ = _holders({**free, "baseline_brand_share": 0.25})
    assert np.all(capped.anyway[held] > hz.anyway[held])
    sim, _, _ = _holders({**free, "reference_price_loss_ratio": 1.5})
    sim.pop.reference_price[:] = 0.8                                  # used to paying 80 % of the list price
    averse = sim.behavior.hazards(np.arange(sim.n), 0)
    assert np.all(averse.anyway[held] < hz.anyway[held])


def test_declared_price_cuts_are_priced_like_a_coupon_of_that_depth():
    """A member price or red-packet cash declared in Today.discount_depth lifts the purchase rate
    exactly as a held coupon of the same depth does."""
    sim, hz, held = _holders({})
    depth = sim.pop.coupons.depth[held].copy()
    sim2, _, _ = _holders({})
    sim2.pop.coupons.expiry[:] = -32768                               # take the coupons back ...
    sim2.today.touch("discount_depth")[held] = depth                 # ... and declare the same depth
    hz2 = sim2.behavior.hazards(np.arange(sim2.n), 0)
    assert hz2.rate == pytest.approx(hz.rate, rel=1e-6)
    assert hz2.anyway == pytest.approx(hz.anyway, rel=1e-6)


CODE_REF = re.compile(r"^([a-z_][a-z_.]*): ([A-Za-z_][\w.]*)$")
SCENARIO_REF = re.compile(r"^scenarios/(\w+)\.yaml: ([\w.]+)$")


def _walk(title: str) -> list[str]:
    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return re.findall(r"`([^`]+)`", text[start:end if end > 0 else None])


@pytest.mark.parametrize("title", ["Following a coupon's depth from YAML to the ledger",
                                   "Following a post's quality from YAML to the ledger"])
def test_the_walks_in_architecture_md_name_code_that_exists(title):
    """Each ``module: Name.attr`` of a walk is importable and each ``scenarios/X.yaml: key``
    resolves: renaming or removing a hop fails here until the walk is written again."""
    refs = _walk(title)
    code = [m.groups() for r in refs if (m := CODE_REF.match(r))]
    keys = [m.groups() for r in refs if (m := SCENARIO_REF.match(r))]
    assert len(code) >= 8 and len(keys) == 1, refs
    missing = []
    for module, dotted in code:
        try:
            obj = importlib.import_module(f"simlib.{module}")
            for part in dotted.split("."):
                obj = getattr(obj, part)
        except (ImportError, AttributeError):
            missing.append(f"{module}: {dotted}")
    assert missing == []
    for name, key in keys:
        assert simlib.load_scenario(name).get(key) is not None, (name, key)
