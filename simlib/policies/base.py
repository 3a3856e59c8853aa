"""The one lifecycle every policy shares, and the registry of policy types.

declare ``params`` -> ``init()`` -> ``act(day)`` at the ACT phase of each day in
``act_days()`` and ``react(day)`` at the REACT phase of each day in ``react_days()`` (by
default the active days), ``outreach(day)`` for a policy that holds a shared SimPy resource
(staff) -> ``record(day)`` every day -> ``finalize()``. The engine calls these; see the day's
order of work in ``simlib/engine.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

import numpy as np

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


MAX_SEND_DAYS = 1000   # listed send days of one policy


class _OneOrMany(Param):
    """A value or a list of them (``on_day: 10``, ``on_day: [3, 10]``), kept as a sorted list
    without repeats; ``one`` checks each."""

    what = ""

    def allowed(self) -> str:
        return f"{self.what} or a list of them (or null)"

    def one(self, value, source: str, key: str):
        raise NotImplementedError

    def check(self, value, source: str, key: str):
        if value is None:
            return None
        values = value if isinstance(value, list) else [value]
        if not values or len(values) > MAX_SEND_DAYS:
            raise ScenarioError(source, key, f"has {len(values)} entries; allowed: 1 to {MAX_SEND_DAYS}")
        return sorted({self.one(v, source, f"{key}[{i}]" if isinstance(value, list) else key)
                       for i, v in enumerate(values)})


class _DaysParam(_OneOrMany):
    what = "a run day (an integer >= 0)"

    def one(self, value, source: str, key: str):
        return Param(0, "", "day", int, low=0).check(value, source, key)


class _DatesParam(_OneOrMany):
    what = "a date YYYY-MM-DD (needs market.start_date)"

    def one(self, value, source: str, key: str):
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                pass
        if not isinstance(value, dt.date):
            raise ScenarioError(source, key, f"expected a date YYYY-MM-DD, got {short_repr(value)}")
        return value.isoformat()


class _ArmParam(Param):
    """An arm of an assignment file, or a list of arms (their customers together)."""

    def allowed(self) -> str:
        return "an arm name or a list of them (or null)"

    def check(self, value, source: str, key: str):
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, list) and value and len(value) <= 50 and all(isinstance(v, str) for v in value):
            return list(dict.fromkeys(value))
        raise ScenarioError(source, key, f"expected {self.allowed()}, got {short_repr(value)}")


# Keys of every policy that sends something (coupons, red packets, gifts, posts, broadcasts):
# when it sends and to whom. One place, so every sender reads them the same way.
SEND_PARAMS = {
    "on_day": _DaysParam(None, "send once on this run day (or on each listed day) instead of every every_days",
                         "day", object, nullable=True, basis="business"),
    "on_date": _DatesParam(None, "send once on this calendar date (or on each listed date) instead of every "
                                 "every_days; day 0 is market.start_date", "", object, nullable=True, basis="business"),
    "target": Param(None, "send only to the customers listed in a file: {file: CSV with customer_id (and arm), "
                          "arm: the arm of an assignment file that receives it}; the path is relative to the "
                          "scenario file, inside its folder (null: the whole audience)", "", dict, nullable=True,
                    basis="business", fields={
                        "file": Param(None, "CSV of customer_id, or customer_id and arm", "", str, nullable=True,
                                      basis="business"),
                        "arm": _ArmParam(None, "which arm of the assignment receives the policy, or a list of arms "
                                               "(null: every id of a file without an arm column)", "", object,
                                         nullable=True, basis="business")}),
}
SEND_KEYS = tuple(SEND_PARAMS)


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
    if not cls.sends:
        sent = [k for k in given if k in SEND_KEYS]
        if sent:
            senders = ", ".join(sorted(n for n, c in types.items() if c.sends))
            raise ScenarioError(source, f"{path}.{sent[0]}", f"a {kind} policy does not send on a schedule, so it "
                                f"takes no {sent[0]}; policies that do: {senders}")
    resolved = resolve(cls.schema(), given, source, path)
    if resolved["end_day"] is not None and resolved["end_day"] < resolved["start_day"]:
        raise ScenarioError(source, f"{path}.end_day", f"must be >= start_day ({resolved['start_day']})")
    if cls.sends:
        _check_sends(resolved, given, source, path, market, cls.params.get("every_days"))
    cls.check(resolved, source, path, market)
    return resolved


def send_days(params: dict, market: dict) -> list[int] | None:
    """The run days a sender sends on when it sends once (or on listed days); None when it
    sends every ``every_days``."""
    if params.get("on_day") is not None:
        return list(params["on_day"])
    if params.get("on_date") is not None:
        start = dt.date.fromisoformat(market["start_date"])
        return [(dt.date.fromisoformat(d) - start).days for d in params["on_date"]]
    return None


def _check_sends(resolved: dict, given: dict, source: str, path: str, market: dict, every: Param | None) -> None:
    """A one-shot send names days the run has, and only one way of saying when."""
    every_default = every.default if every is not None else None
    if resolved["on_day"] is not None and resolved["on_date"] is not None:
        raise ScenarioError(source, f"{path}.on_date", "give on_day or on_date, not both")
    once = "on_day" if resolved["on_day"] is not None else "on_date" if resolved["on_date"] is not None else None
    if once is None:
        if resolved["target"] is not None:
            _check_target(resolved["target"], source, f"{path}.target")
        return
    if "every_days" in given and given["every_days"] != every_default:   # (a resolved scenario holds the default)
        raise ScenarioError(source, f"{path}.every_days", f"give every_days (a repeating send) or {once} (a send on "
                            "given days), not both")
    if once == "on_date" and market["start_date"] is None:
        raise ScenarioError(source, f"{path}.on_date", "a calendar date needs market.start_date (the date of day 0); "
                            "set it, or give on_day (a run day) instead")
    days = send_days(resolved, market)
    last = market["days"] - 1
    for value, day in zip(resolved[once], days):
        said = f"{value}" if once == "on_day" else f"{value} (day {day} from market.start_date {market['start_date']})"
        if day < 0:
            raise ScenarioError(source, f"{path}.{once}", f"{said} is before the run starts")
        if day > last:
            raise ScenarioError(source, f"{path}.{once}", f"{said} is after the run's last day, {last} "
                                f"(market.days {market['days']}); lengthen the run or send earlier")
        end = resolved["end_day"]
        if day < resolved["start_day"] or (end is not None and day > end):
            raise ScenarioError(source, f"{path}.{once}", f"{said} is outside start_day..end_day "
                                f"({resolved['start_day']}..{end if end is not None else 'the end'})")
    if resolved["target"] is not None:
        _check_target(resolved["target"], source, f"{path}.target")


def _check_target(target: dict, source: str, key: str) -> None:
    from .targets import check_target
    check_target(target, source, key)


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
PRICE_EFFECTS = ("discount_effect", "acceleration_share", "acceleration_window_days", "stockpile_share",
                 "reference_price_adaptation",
                 "reference_price_memory_days", "reference_price_loss_ratio")
USEFUL_CONTACT_EFFECTS = ("content_effect", "trust_gain_content", "wake_content_per_day")
CHAT_EFFECTS = ("chat_effect", "wake_chat_per_day", "trust_gain_chat")


class Policy:
    """Base class: subclasses declare ``params`` and override the lifecycle hooks they need."""

    type_name: ClassVar[str] = ""
    params: ClassVar[dict[str, Param]] = {}
    sends: ClassVar[bool] = False       # sends on a schedule: takes SEND_PARAMS (on_day, on_date, target)
    acts_through: ClassVar[tuple] = ()   # behaviour effects its inputs act through (see above)
    # the discounts this policy posts are member prices (a standing price for members), not
    # coupons: the summary splits discount_member_price_cny from discount_coupons_cny by it
    discount_is_member_price: ClassVar[bool] = False

    @classmethod
    def schema(cls) -> dict[str, Param]:
        """Every key a policy of this type takes: the common ones, the senders' ones, its own."""
        return {**COMMON_PARAMS, **(SEND_PARAMS if cls.sends else {}), **cls.params}

    def __init__(self, name: str, params: dict, sim):
        self.name = name
        self.p = params
        self.sim = sim
        if self.sends and params.get("target") is not None:
            self.targeted()   # ids that are not customers of this market fail here, before day 0

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

    # --- senders: when and to whom (SEND_PARAMS) ----------------------------------------
    def sends_on(self, day: int) -> bool:
        """Does this sender send today: on its listed days (``on_day``, ``on_date``), else every
        ``every_days`` from ``start_day``."""
        days = getattr(self, "_send_days", None)
        if days is None:
            listed = send_days(self.p, self.sim.scenario.data["market"])
            days = self._send_days = frozenset(listed) if listed is not None else False
        if days is False:
            return (day - self.p["start_day"]) % self.p["every_days"] == 0
        return day in days

    def recipients(self, idx: np.ndarray) -> np.ndarray:
        """The customers among ``idx`` this sender may reach: all of them, or those listed in its
        ``target`` file (resolved on the population at the first send)."""
        if self.p.get("target") is None:
            return idx
        targeted = getattr(self, "_targeted", None)
        if targeted is None:
            from .targets import target_indices
            targeted = self._targeted = target_indices(self.p["target"], self.sim.pop, self.name,
                                                            self.sim.scenario.source)
        return idx[targeted[idx]]

    def targeted(self) -> np.ndarray:
        """Indices of the customers this sender's ``target`` lists (empty without a target)."""
        if self.p.get("target") is None:
            return np.zeros(0, np.int64)
        self.recipients(np.zeros(0, np.int64))
        return np.flatnonzero(self._targeted)

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
