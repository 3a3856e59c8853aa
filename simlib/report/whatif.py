"""What if: one setting of the levers against a reference, as the verdict panel a slider redraws.

    panel = simlib.whatif("coupon_ladder", reference="pond", idle_days=21, reps=4)
    print(panel)          # net profit, GMV, what it costs, churn: the setting vs the reference

The setting and the reference run the same seeds (common random numbers), their replications in
one population and shared among worker processes (``simlib.run.run_arms``). Runs are cached by setting, so moving a slider
back, or moving one while the reference stays, does not run anything again.

A lever is named by its key inside a policy (``idle_days=21``: the one policy that has it), by
``POLICY__KEY`` (``ladder__idle_days=21``), or any dotted key through ``overrides=``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import UserError

PANEL = [("net_profit_cny", "maximize"), ("gmv_cny", "maximize"), ("strategy_cost_cny", "minimize"),
         ("churn_rate", "minimize")]
SHORT = {"net_profit_cny": "net profit", "gmv_cny": "GMV", "strategy_cost_cny": "what it costs",
         "churn_rate": "churn rate"}
MAX_CACHED = 256                  # settings kept (each: a list of summary dicts)
WORKERS = 4                       # worker processes a redraw may use (at most one per core)
_CACHE: dict = {}


@dataclass
class WhatIf:
    """The verdict panel of one setting: each outcome of ``PANEL`` for the setting and the
    reference, the paired difference with its interval and P(better)."""
    setting: dict                 # dotted key -> value changed on the scenario
    scenario: str
    reference: str
    reps: int
    users: int
    days: int
    table: pd.DataFrame           # experiment.compare.compare_table of the two arms
    confidence: float = 0.95

    def row(self, outcome: str) -> pd.Series:
        return self.table[(self.table["outcome"] == outcome) & (self.table["arm"] == "setting")].iloc[0]

    @property
    def resolved(self) -> bool:
        """True when the net-profit difference's interval excludes zero."""
        r = self.row("net_profit_cny")
        return bool(r["diff_low"] > 0 or r["diff_high"] < 0)

    def text(self) -> str:
        from .lang import Words
        w = Words("en")
        changed = ", ".join(f"{k} = {_plain(v)}" for k, v in self.setting.items()) or "no change"
        lines = [f"What if {changed} ({self.scenario}), against {self.reference}: {self.reps} paired "
                 f"replications, {self.users:,} customers x {self.days:,} days"]
        width = max(len(v) for v in SHORT.values()) + 2
        pct = f"{round(self.confidence * 100):g}%"
        for key, _direction in PANEL:
            if not (self.table["outcome"] == key).any():
                continue
            r = self.row(key)
            ref = self.table[(self.table["outcome"] == key) & (self.table["arm"] == "reference")].iloc[0]
            mean = w.number(key, r["mean"])
            m, lo, hi = w.span(key, r["diff"], r["diff_low"], r["diff_high"])
            unit = " CNY" if key.endswith("_cny") else ""
            lines.append(f"  {SHORT[key]:<{width}}{mean:>10}{unit} vs {w.number(key, ref['mean'])}{unit}:"
                         f" {m} ({pct} {lo} to {hi}), P(better) {r['p_better']:.2f}")
        r = self.row("net_profit_cny")
        if self.resolved:
            word = "more" if r["diff"] > 0 else "less"
            lines.append(f"Reading: this setting earns {word} net profit than {self.reference} "
                         f"(the interval excludes zero at {self.reps} replications).")
        else:
            lines.append(f"Reading: not resolved at {self.reps} replications: the net-profit interval holds zero.")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        import html
        return "<pre>" + html.escape(self.text()) + "</pre>"


def whatif(scenario, reference=None, *, reps: int = 4, seed: int = 0, users: int | None = None,
           days: int | None = None, overrides: dict | None = None, confidence: float = 0.95,
           **levers) -> WhatIf:
    """The verdict panel (net profit, GMV, what it costs, churn) of ``scenario`` with ``levers``
    set, against ``reference`` (a scenario or name; default: ``scenario`` as it is), over ``reps``
    paired replications. Cached by setting."""
    from ..experiment.compare import compare_table
    from ..experiment.spec import Outcome
    from ..run import as_scenario
    if isinstance(reps, bool) or not isinstance(reps, int) or reps < 2:
        raise UserError(f"reps must be an integer of at least 2 (intervals need two), got {reps!r}")
    base = as_scenario(scenario)
    setting = {**{_dotted(base, name): value for name, value in levers.items()}, **(overrides or {})}
    arm = base.override(setting, source="whatif") if setting else base
    ref = as_scenario(reference) if reference is not None else base
    seeds = tuple(seed * 1000 + r for r in range(reps))
    runs = []
    summaries = _summaries([ref, arm], seeds, users, days)
    for label, got in zip(("reference", "setting"), summaries):
        for r, summary in enumerate(got):
            runs.append({"arm": label, "replication": r, **{k: summary.get(k, np.nan) for k, _ in PANEL}})
    table = compare_table(pd.DataFrame(runs), [Outcome(k, d) for k, d in PANEL], "reference", confidence)
    first = summaries[1][0]
    return WhatIf(setting, base.name, ref.name if reference is not None else f"{base.name} as it is", reps,
                  int(first["users"]), int(first["days"]), table, confidence)


def levers_of(scenario) -> dict:
    """dotted key -> value of every numeric setting of the scenario's policies (what a slider can move)."""
    from ..run import as_scenario
    sc = as_scenario(scenario)
    out = {}
    for name, policy in sc.data.get("policies", {}).items():
        for key, value in policy.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                out[f"policies.{name}.{key}"] = value
    return out


def cache_clear() -> None:
    _CACHE.clear()


def _summaries(scenarios, seeds, users, days) -> list:
    """Each scenario's run summaries over ``seeds``, cached by setting; the ones not cached run
    together (``simlib.run.run_arms``: the arms in one population, shared among worker processes
    that stay up for the next redraw)."""
    import os
    from ..run import run_arms
    keys = [(json.dumps(sc.data, sort_keys=True, default=str), seeds, users, days) for sc in scenarios]
    missing = [i for i, key in enumerate(keys) if key not in _CACHE]
    if missing:
        workers = min(os.cpu_count() or 1, WORKERS)
        got = run_arms([(scenarios[i], seeds) for i in missing], users=users, days=days, workers=workers,
                       summaries=True)
        for i, summaries in zip(missing, got):
            if len(_CACHE) >= MAX_CACHED:
                _CACHE.pop(next(iter(_CACHE)))
            _CACHE[keys[i]] = summaries
    return [_CACHE[key] for key in keys]


def _dotted(scenario, name: str) -> str:
    """The dotted key a lever's name stands for: POLICY__KEY, or the one policy with KEY."""
    policies = scenario.data.get("policies", {})
    if "__" in name:
        policy, key = name.split("__", 1)
        if policy in policies and key in policies[policy]:
            return f"policies.{policy}.{key}"
        raise UserError(f"whatif: {name!r}: {scenario.name} has no policies.{policy}.{key}")
    owners = [p for p, data in policies.items() if name in data]
    if len(owners) == 1:
        return f"policies.{owners[0]}.{name}"
    if owners:
        raise UserError(f"whatif: {name!r} is a setting of several policies ({', '.join(owners)}): name one as "
                        f"{owners[0]}__{name}=...")
    known = sorted({k for data in policies.values() for k in data if k not in ("type", "enabled")})
    from ..errors import did_you_mean
    raise UserError(f"whatif: {scenario.name} has no policy setting {name!r}." + did_you_mean(name, known)
                    + " Pass other keys as overrides={'dotted.key': value}.")


def _plain(v) -> str:
    from .units import nice_number
    return nice_number(v) if not isinstance(v, (list, dict)) else json.dumps(v)
