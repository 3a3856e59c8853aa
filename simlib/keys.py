"""The declaration (``Param``) behind a dotted scenario key such as ``behavior.discount_effect``
or ``policies.points.goal_effect``: its bounds, unit and doc. Calibration reads the bounds of
the effects it fits; comparisons with uncertain parameters keep their draws inside them.
``canonical_key`` is the one naming convention of every ``--fit``: a full dotted key, or a bare
name where it is unambiguous.
"""

from __future__ import annotations

import math

from .errors import UserError, did_you_mean
from .params import Param


def declared_param(key: str, scenario_data: dict) -> Param | None:
    """The Param declaring ``key`` in a resolved scenario, or None if the scenario has no such
    numeric key (a policy it does not run, a name that does not exist)."""
    parts = str(key).split(".")
    if len(parts) == 2 and parts[0] == "behavior":
        from .behavior import BEHAVIOR_PARAMS
        return BEHAVIOR_PARAMS.get(parts[1])
    if len(parts) == 2 and parts[0] == "economics":
        from .ledger import ECONOMICS_PARAMS
        return ECONOMICS_PARAMS.get(parts[1])
    if len(parts) in (3, 5) and parts[0] == "policies":
        policy = scenario_data.get("policies", {}).get(parts[1])
        if not isinstance(policy, dict):
            return None
        from .policies.base import COMMON_PARAMS, policy_types
        cls = policy_types().get(policy.get("type"))
        if cls is None:
            return None
        if len(parts) == 3:
            return {**COMMON_PARAMS, **cls.params}.get(parts[2])
        # a channel of an acquisition mix: policies.NAME.channels.CHANNEL.KEY
        if parts[2] == "channels" and policy.get("type") == "acquisition_mix" and parts[3] in policy.get("channels", {}):
            from .policies.acquisition import MIX_CHANNEL_PARAMS
            return MIX_CHANNEL_PARAMS.get(parts[4])
    return None


def numeric_keys(scenario_data: dict) -> list[str]:
    """Every float-valued key a fit or an uncertainty may name, for did-you-mean messages."""
    from .behavior import BEHAVIOR_PARAMS
    from .policies.base import policy_types
    keys = [f"behavior.{k}" for k, p in BEHAVIOR_PARAMS.items() if p.kind is float]
    types = policy_types()
    for name, cfg in scenario_data.get("policies", {}).items():
        cls = types.get(cfg.get("type"))
        if cls is not None:
            keys += [f"policies.{name}.{k}" for k, p in cls.params.items() if p.kind is float]
        if cfg.get("type") == "acquisition_mix":
            from .policies.acquisition import MIX_CHANNEL_PARAMS
            keys += [f"policies.{name}.channels.{channel}.{k}" for channel in cfg.get("channels", {})
                     for k, p in MIX_CHANNEL_PARAMS.items() if p.kind is float]
    return keys


def canonical_key(name: str, scenarios: list, what: str = "--fit") -> str:
    """The full dotted key a user means by ``name``, one convention for every command that fits or
    draws parameters: ``behavior.forget_per_day``, ``policies.douyin_ads.awareness_per_impression``,
    ``policies.mix.channels.douyin.max_awareness_per_day``, or a bare name (``forget_per_day``)
    where exactly one number parameter of the scenario(s) has it (behaviour first: a bare
    behaviour name is never ambiguous, a policy's is when several policies declare it).
    A UserError names the choices when it is ambiguous or unknown."""
    name = str(name).strip()
    if "." in name:
        if any(declared_param(name, data) is not None for data in scenarios):
            require_float_key(name, scenarios, what)
            return name
        # a tail of a key: douyin_ads.awareness_per_impression for policies.douyin_ads.awareness_per_impression
        tails = sorted({k for data in scenarios for k in numeric_keys(data) if k.endswith("." + name)})
        if len(tails) == 1:
            return tails[0]
        if tails:
            raise UserError(f"{what} {name}: ambiguous; name one of " + ", ".join(tails))
        require_float_key(name, scenarios, what)   # raises, with did-you-mean
    from .behavior import BEHAVIOR_PARAMS
    if name in BEHAVIOR_PARAMS:
        return f"behavior.{name}"
    candidates = sorted({k for data in scenarios for k in numeric_keys(data)
                         if k.rsplit(".", 1)[-1] == name and _enabled(k, data)})
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        raise UserError(f"{what} {name}: ambiguous, several parameters have that name; name one of "
                        + ", ".join(candidates))
    allowed = sorted({k for data in scenarios for k in numeric_keys(data)})
    bare = sorted({k.rsplit(".", 1)[-1] for k in allowed})
    raise UserError(f"{what} {name}: no such number parameter in the scenario(s)." + did_you_mean(name, bare)
                    + " Allowed: a bare name where one parameter has it, or behavior.KEY, policies.NAME.KEY of a "
                      "policy the scenario runs, policies.NAME.channels.CHANNEL.KEY of an acquisition mix")


def _enabled(key: str, scenario_data: dict) -> bool:
    """A behaviour/economics key, or a key of a policy the scenario runs."""
    parts = key.split(".")
    if parts[0] != "policies":
        return True
    return bool(scenario_data.get("policies", {}).get(parts[1], {}).get("enabled", True))


def effect_bounds(key: str, param: Param, default: float) -> tuple[float, float]:
    """Search range of a fitted effect: the declared bounds; an open upper bound becomes
    max(5 x default, default + 5) (a log-multiplier of 5 is a 150-fold lift)."""
    low = param.low if param.low is not None else -max(5 * abs(default), 5.0)
    high = param.high if param.high is not None else max(5 * abs(default), abs(default) + 5.0)
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise UserError(f"{key}: its declared range [{low}, {high}] cannot be searched")
    return float(low), float(high)


def require_float_key(key: str, scenarios: list, what: str) -> Param:
    """The Param of ``key`` in the first scenario that has it; a UserError naming the key and the
    allowed keys when none does or when it is not a number."""
    for data in scenarios:
        param = declared_param(key, data)
        if param is not None:
            if param.kind is not float:
                raise UserError(f"{what} {key}: not a number parameter ({param.allowed()}); allowed: "
                                "effect sizes and other number parameters, e.g. behavior.discount_effect")
            return param
    allowed = sorted({k for data in scenarios for k in numeric_keys(data)})
    raise UserError(f"{what} {key}: no such number parameter in the scenario(s)." + did_you_mean(key, allowed)
                    + " Allowed: behavior.KEY or policies.NAME.KEY of a policy the scenario runs, e.g. "
                    + ", ".join(k for k in allowed if k.endswith("_effect"))[:600])
