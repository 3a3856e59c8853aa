"""Fitted parameters as a scenario fragment that a scenario can ``extends:``.

A fragment holds only the keys that were fitted (``traits:`` from a transaction log,
``behavior:`` from funnel counts), with the intervals and the data they came from in
comments, so ``extends: [baseline.yaml, fitted.yaml]`` runs the strategies on the
calibrated market.
"""

from __future__ import annotations

from pathlib import Path

import yaml


def _round(value: float, digits: int = 6) -> float:
    return float(f"{value:.{digits}g}")


def traits_fragment(r: float, alpha: float, a: float, b: float, mean_log: float, sd_log: float) -> dict:
    """The engine's trait keys for BG/NBD parameters (alpha in days) and a log-normal basket."""
    return {
        "traits": {
            "purchase_rate_per_day": {"dist": "gamma", "shape": _round(r), "scale": _round(1.0 / alpha)},
            "dropout_after_purchase": {"dist": "beta", "a": _round(a), "b": _round(b)},
            "basket_value_cny": {"dist": "lognormal", "mean_log": _round(mean_log), "sd_log": _round(sd_log)},
        }
    }


ORDER_SPREAD_MAX = 3.0   # behavior.order_value_sd_log's upper bound


def process_fragment(process_keys: dict, mean_log: float, sd_log: float, sd_within: float | None = None) -> dict:
    """A purchase process's ``traits:``/``behavior:`` keys (model v2) plus the log-normal basket
    and, when given, the order-to-order spread of its value (``behavior.order_value_sd_log``)."""
    fragment = {"traits": dict(process_keys["traits"]), "behavior": dict(process_keys["behavior"])}
    fragment["traits"]["basket_value_cny"] = {"dist": "lognormal", "mean_log": _round(mean_log),
                                              "sd_log": _round(sd_log)}
    if sd_within is not None:
        fragment["behavior"]["order_value_sd_log"] = _round(min(sd_within, ORDER_SPREAD_MAX))
    return fragment


def behavior_fragment(hazards: dict) -> dict:
    """``behavior:`` keys (hazards per day) from a funnel fit."""
    return {"behavior": {key: _round(value) for key, value in hazards.items()}}


def write_fragment(path: str | Path, fragment: dict, comments: list[str]) -> Path:
    """Write ``fragment`` as YAML with ``comments`` (one line each) above it."""
    from simlib.fileio import write_text
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    head = "".join(f"# {line}\n" if line else "#\n" for line in comments)
    body = yaml.safe_dump(fragment, sort_keys=False, default_flow_style=None, allow_unicode=True, width=100)
    return write_text(path, head + body)
