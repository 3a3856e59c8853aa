"""Past campaigns simulated by the engine with known effect sizes: test data for the uplift fit.

Each arm of an A/B test is a different group of customers, so here every arm is its own
market drawn with its own seed (unlike the fit, which runs every arm on the same customers).
A journey's holdout is one run, split by the journey. With ``window_start`` > 0 the days
before the window are the pre-period (``pre_orders``, ``pre_spend_cny``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simlib.calibrate.uplift.campaign import (HOLDOUT, _with, journey_groups, members, per_customer)
from simlib.calibrate.uplift.data import OUTCOMES


def campaign_results(scenario, arms: dict | None = None, *, truth: dict | None = None, users: int = 20_000,
                     days: int = 28, window_start: int = 0, seed: int = 0, population: str = "pond",
                     weekly: bool = False, control: str = "control") -> pd.DataFrame:
    """A results table as a team would export it: per customer (``weekly=False``) or per arm and week.

    ``scenario`` is the control arm's (or the journey's) scenario, ``arms`` maps treated arm names
    to their scenarios, ``truth`` the effect sizes ({dotted key: value}) the data are made with.
    """
    from simlib.engine import Sim
    from simlib.run import as_scenario
    truth = truth or {}
    size = {"market.users": users, "market.days": window_start + days}
    frames = []
    if arms:
        plan = [(control, as_scenario(scenario))] + [(a, as_scenario(s)) for a, s in arms.items()]
        for k, (arm, sc) in enumerate(plan):
            sim = Sim(_with(sc, truth).override(size, source=""), seed=seed + 1000 * k, record_transactions=True)
            units = members(sim.pop, population)
            result = sim.run()
            frames.append(_rows(arm, units, sim, result, days, window_start, weekly))
    else:
        sc = as_scenario(scenario)
        journey = next(n for n, c in sc.data["policies"].items()
                       if c["enabled"] and c["type"] == "journey" and c["holdout_percent"] > 0)
        sim = Sim(_with(sc, truth).override(size, source=""), seed=seed, record_transactions=True)
        result = sim.run()
        groups = journey_groups(sim, journey)
        variants = [g for g in groups if g.startswith("variant:")]
        for group in [HOLDOUT] + (variants or ["treated"]):
            arm = control if group == HOLDOUT else group.split(":", 1)[-1]
            frames.append(_rows(arm, np.flatnonzero(groups[group]), sim, result, days, window_start, weekly))
    return pd.concat(frames, ignore_index=True)


def _rows(arm, units, sim, result, days, window_start, weekly) -> pd.DataFrame:
    tx = result.transactions
    if weekly:
        weeks = days // 7
        values = per_customer(tx, sim.n, units, OUTCOMES, window_start, weeks * 7, weeks).sum(axis=0)
        return pd.DataFrame({"arm": arm, "week": np.arange(1, weeks + 1), "customers": units.size,
                             "orders": values[:weeks].astype(int), "spend_cny": np.round(values[weeks:], 2)})
    window = per_customer(tx, sim.n, units, OUTCOMES, window_start, days)
    frame = pd.DataFrame({"customer_id": [f"{arm}-{i}" for i in units], "arm": arm,
                          "orders": window[:, 0].astype(int), "spend_cny": np.round(window[:, 1], 2)})
    if window_start > 0:
        pre = per_customer(tx, sim.n, units, OUTCOMES, 0, window_start)
        frame["pre_orders"] = pre[:, 0].astype(int)
        frame["pre_spend_cny"] = np.round(pre[:, 1], 2)
    return frame
