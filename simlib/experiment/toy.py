"""Toy models with known answers, for tests and documentation of the experiment machinery.

Each is a function f(params, seed, arm) -> dict of metrics (or {"summary", "daily"}), the
contract of `runner.FunctionModel`. funnel, quadratic, ishigami and slow are registered
entry points (group ``simlib.models`` in pyproject.toml), so an experiment file selects one
with `model: toy_funnel`; crash_once is only passed from Python
(`Experiment(spec, model=crash_once)`), as any unregistered function is.
"""
from __future__ import annotations

import numpy as np

# Ishigami function, a standard sensitivity benchmark with analytical Sobol' indices
# (a = 7, b = 0.1, inputs uniform on [-pi, pi]).
ISHIGAMI_A, ISHIGAMI_B = 7.0, 0.1


def ishigami_indices(a: float = ISHIGAMI_A, b: float = ISHIGAMI_B) -> dict:
    """Analytical first-order and total indices of the Ishigami function."""
    v1 = 0.5 * (1 + b * np.pi ** 4 / 5) ** 2
    v2 = a ** 2 / 8
    v13 = b ** 2 * np.pi ** 8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return {"first": np.array([v1, v2, 0.0]) / v, "total": np.array([v1 + v13, v2, v13]) / v}


def ishigami(params, seed, arm):
    x1, x2, x3 = (float(params[k]) for k in ("x1", "x2", "x3"))
    y = np.sin(x1) + ISHIGAMI_A * np.sin(x2) ** 2 + ISHIGAMI_B * x3 ** 4 * np.sin(x1)
    return {"y": float(y)}


def quadratic(params, seed, arm):
    """A noisy bowl with its peak at (x, y) = (0.3 + shift, 0.7); `shift` is an uncertainty."""
    rng = np.random.default_rng(seed)
    shift = float(params.get("shift", 0.0))
    x, y = float(params["x"]), float(params["y"])
    value = 10 - 20 * (x - 0.3 - shift) ** 2 - 20 * (y - 0.7) ** 2 + rng.normal(0, 0.05)
    return {"value": float(value), "cost": float(100 * x + 100 * y)}


def funnel(params, seed, arm):
    """A tiny market: each customer buys on a day when their uniform falls below a hazard.

    Draws are keyed by (seed, day, customer) as in the engine, so two arms with the same seed
    share them (common random numbers). `discount` raises the hazard and costs margin.
    """
    users = int(params.get("users", 400))
    days = int(params.get("days", 30))
    discount = float(params.get("discount", 0.0))
    sensitivity = float(params.get("price_sensitivity", 1.0))
    rng = np.random.default_rng(seed)
    base = rng.gamma(2.0, 0.01, size=users)             # purchase hazard per day
    basket = rng.lognormal(np.log(80), 0.4, size=users)  # CNY
    u = rng.random((days, users))
    hazard = np.minimum(base * (1 + sensitivity * 3 * discount), 1.0)
    buys = u < hazard
    per_day = buys.sum(axis=1)
    gmv = (buys * basket).sum(axis=1) * (1 - discount)
    profit = gmv - (buys * basket).sum(axis=1) * 0.55
    return {"summary": {"purchases": int(per_day.sum()), "gmv_cny": float(gmv.sum()),
                        "gross_profit_cny": float(profit.sum()),
                        "buyers": int(buys.any(axis=0).sum())},
            "daily": {"day": list(range(days)), "purchases": per_day.tolist(),
                      "gmv_cny": gmv.tolist(),
                      "purchased": np.cumsum(buys, axis=0).astype(bool).sum(axis=1).tolist()}}


def slow(params, seed, arm):
    """Sleeps a little, then answers: for kill/resume tests and executor benchmarks."""
    import time
    time.sleep(float(params.get("sleep", 0.05)))
    rng = np.random.default_rng(seed)
    return {"value": float(rng.normal() + float(params.get("x", 0.0)))}


def crash_once(params, seed, arm):
    """Kills its worker process the first time it sees `crash_file` (then deletes it)."""
    import os
    marker = params.get("crash_file")
    if marker and float(params.get("x", 0.0)) > 0.5:
        try:
            os.unlink(marker)  # only the worker that removes it crashes (workers race)
        except FileNotFoundError:
            pass
        else:
            os._exit(1)
    return slow(params, seed, arm)
