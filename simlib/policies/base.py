"""The one lifecycle every policy shares, and the registry of policy types.

declare ``params`` -> ``init()`` -> ``act(day)`` at the ACT phase of each day in
``act_days()`` and ``react(day)`` at the REACT phase of each day in ``react_days()`` (by
default the active days), ``outreach(day)`` for a policy that holds a shared SimPy resource
(staff) -> ``record(day)`` every day -> ``finalize()``. The engine calls these; see the day's
order of work in ``simlib/engine.py``.
"""

from __future__ import annotations

from typing import ClassVar

from ..errors import ScenarioError, did_you_mean, key_text, short_repr
from ..params import Param, resolve

_REGISTRY: dict[str, type["Policy"]] = {}

COMMON_PARAMS = {
    "type": Param("", "the policy type", "", str, basis="structural"),
    "enabled": Param(True, "switch the policy off without deleting it", "", bool, basis="structural"),
    "start_day": Param(0, "first day the policy acts", "day", int, low=0, basis="business"),
    "end_day": Param(None, "last day the policy acts (null: to the end of the run)", "day", int, low=0, nullable=True,
                     basis="business"),
}


def register_policy(type_name: str):
    """Class decorator: make a Policy subclass available as ``type: type_name``."""
    def deco(cls):
        if type_name in _REGISTRY and _REGISTRY[type_name] is not cls:
            raise ValueError(f"policy type {type_name!r} registered twice")
        cls.type_name = type_name
        _REGISTRY[type_name] = cls
        return cls
    return deco


def policy_types() -> dict[str, type["Policy"]]:
    from . import _load_all  # noqa: F401  (imports every policy module, which registers them)
    return dict(_REGISTRY)


MAX_NAME_CHARS = 64


def resolve_policy(name: str, given, source: str, market: dict) -> dict:
    path = f"policies.{name}"
    if len(name) > MAX_NAME_CHARS or not name.isprintable():
        raise ScenarioError(source, f"policies.{key_text(name)}",
                            f"a policy name is at most {MAX_NAME_CHARS} printable characters")
    if not isinstance(given, dict):
        raise ScenarioError(source, path, "expected a mapping with at least a 'type' key")
    types = policy_types()
    allowed = "Allowed: " + ", ".join(sorted(types))
    if "type" not in given:
        near = [k for k in given if k not in COMMON_PARAMS and did_you_mean(k, ["type"])]
        if near:
            raise ScenarioError(source, f"{path}.{near[0]}", f"unknown key; did you mean 'type'? "
                                f"Every policy needs a type. {allowed}")
        raise ScenarioError(source, f"{path}.type", f"missing; every policy needs a type. {allowed}")
    kind = given["type"]
    if not isinstance(kind, str):
        raise ScenarioError(source, f"{path}.type", f"expected the name of one policy type, got {short_repr(kind)}. "
                            + allowed)
    if kind not in types:
        raise ScenarioError(source, f"{path}.type", f"unknown policy type {short_repr(kind)}."
                            + did_you_mean(kind, types) + " " + allowed)
    cls = types[kind]
    resolved = resolve({**COMMON_PARAMS, **cls.params}, given, source, path)
    if resolved["end_day"] is not None and resolved["end_day"] < resolved["start_day"]:
        raise ScenarioError(source, f"{path}.end_day", f"must be >= start_day ({resolved['start_day']})")
    cls.check(resolved, source, path, market)
    return resolved


def check_policy_references(policies: dict[str, dict], source: str) -> None:
    """Checks between policies (a journey naming a staff team, a tag, an event...), at validation
    time so that ``simlib validate`` refuses what a run would refuse. Only enabled policies run,
    so only they are checked and only they can be referred to."""
    types = policy_types()
    enabled = {name: p for name, p in policies.items() if p["enabled"]}
    for name, params in enabled.items():
        types[params["type"]].check_references(name, params, enabled, source)


def check_reference(name: str, enabled: dict[str, dict], source: str, key: str, what: str, accepts,
                    hint: str = "") -> None:
    """Raise unless ``name`` is an enabled policy whose class ``accepts`` (a predicate on the class);
    ``what`` says what was expected ("a staff_chats policy"), ``hint`` what to do if none is enabled."""
    types = policy_types()
    if name in enabled:
        kind = enabled[name]["type"]
        if not accepts(types[kind]):
            raise ScenarioError(source, key, f"{name!r} is a {kind} policy; expected {what}")
        return
    names = [n for n, p in enabled.items() if accepts(types[p["type"]])]
    raise ScenarioError(source, key, f"no enabled policy named {short_repr(name)}; expected {what}."
                        + did_you_mean(name, names) + (" Available: " + ", ".join(names) if names else hint))


# The behaviour effects (keys of simlib.behavior.BEHAVIOR_PARAMS) a policy's inputs act through, by
# kind of input; each type declares its own in ``acts_through``. A robust comparison draws them,
# with the policy's own effect parameters, over their plausible ranges (simlib.experiment.robust).
MESSAGE_EFFECTS = ("unsubscribe_per_message", "fatigue_effect")
PRICE_EFFECTS = ("discount_effect", "reference_price_adaptation", "reference_price_memory_days",
                 "reference_price_loss_ratio")
USEFUL_CONTACT_EFFECTS = ("content_effect", "trust_gain_content", "wake_content_per_day")
CHAT_EFFECTS = ("chat_effect", "wake_chat_per_day", "trust_gain_chat")


class Policy:
    """Base class: subclasses declare ``params`` and override the lifecycle hooks they need."""

    type_name: ClassVar[str] = ""
    params: ClassVar[dict[str, Param]] = {}
    acts_through: ClassVar[tuple] = ()   # behaviour effects its inputs act through (see above)
    # the discounts this policy posts are member prices (a standing price for members), not
    # coupons: the summary splits discount_member_price_cny from discount_coupons_cny by it
    discount_is_member_price: ClassVar[bool] = False

    def __init__(self, name: str, params: dict, sim):
        self.name = name
        self.p = params
        self.sim = sim

    @classmethod
    def check(cls, params: dict, source: str, path: str, market: dict) -> None:
        """Cross-field checks beyond each parameter's own bounds (override when needed)."""

    @classmethod
    def check_references(cls, name: str, params: dict, enabled: dict[str, dict], source: str) -> None:
        """Checks against the scenario's other enabled policies ``{name: resolved params}``
        (override when the policy names another policy, a segment, a tag or an event)."""

    @staticmethod
    def check_channel(channel: str, source: str, key: str, market: dict) -> None:
        if channel not in market["channels"]:
            raise ScenarioError(source, key, f"unknown channel {short_repr(channel)}." + did_you_mean(channel, market["channels"])
                                + " Channels in market.channels: " + ", ".join(market["channels"]))

    def active_days(self) -> range:
        """The days the policy acts: from ``start_day`` to ``end_day`` (or the end of the run)."""
        end = self.p["end_day"]
        return range(self.p["start_day"], self.sim.days if end is None else min(self.sim.days, end + 1))

    def active(self, day: int) -> bool:
        end = self.p["end_day"]
        return self.p["start_day"] <= day and (end is None or day <= end)

    # --- lifecycle -------------------------------------------------------------------
    def init(self) -> None:
        """Allocate state (per-customer arrays via ``sim.pop.add_array``)."""

    def act_days(self):
        """Days on which the engine calls ``act`` (ascending); default: the active days."""
        return self.active_days()

    def react_days(self):
        """Days on which the engine calls ``react`` (ascending); default: the active days."""
        return self.active_days()

    def act(self, day: int) -> None:
        """Before the population step: expose, message, give, queue."""

    def outreach(self, day: int) -> None:
        """OUTREACH phase, on the act days of policies that define it: start SimPy processes
        that hold a shared resource (staff) until ``sim.OUTREACH_END``."""

    def react(self, day: int) -> None:
        """After the population step: respond to today's orders and moves."""

    def record(self, day: int) -> dict:
        """Extra columns for today's row of ``Result.daily``."""
        return {}

    def finalize(self) -> dict:
        """Extra entries for ``Result.summary``."""
        return {}
