"""The shipped funnel example, ``examples/funnel_weekly.csv``: 26 weeks of the ``baseline`` market
drawn by the engine with known hazards (``EXAMPLE_TRUTH``; every other parameter is baseline's),
with the ad spend a team would export: each week's budget varies around the plan (x 0.7 to 1.3,
seeded) and the Douyin budget doubles from week 14. ``examples/make_examples.py`` writes it;
``tests/test_calibrate_funnel.py`` checks the shipped file is what the engine draws today."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simlib.population import STAGES as STAGE_NAMES

EXAMPLE_TRUTH = {"behavior.interest_per_day": 0.02, "behavior.first_purchase_per_day": 0.01,
                 "behavior.dormancy_per_day": 0.008}
"""Hazards behind examples/funnel_weekly.csv (the baseline scenario otherwise)."""
EXAMPLE_SEED, EXAMPLE_USERS, EXAMPLE_WEEKS = 7, 20_000, 26
EXAMPLE_DOUBLING_WEEK = 14    # the Douyin budget doubles from this week on
ADS = ("douyin_ads", "search_ads")


def example_spend(seed: int = EXAMPLE_SEED, weeks: int = EXAMPLE_WEEKS) -> pd.DataFrame:
    """CNY per week per ad policy: the baseline's daily budget x 7 x U(0.7, 1.3), Douyin x 2 from
    week ``EXAMPLE_DOUBLING_WEEK``."""
    from simlib import load_scenario
    policies = load_scenario("baseline").data["policies"]
    rng = np.random.default_rng([seed, 17])
    week = np.arange(1, weeks + 1)
    out = pd.DataFrame(index=week)
    for name in ADS:
        plan = policies[name]["budget_cny_per_day"] * 7 * rng.uniform(0.7, 1.3, weeks)
        if name == "douyin_ads":
            plan = plan * np.where(week >= EXAMPLE_DOUBLING_WEEK, 2.0, 1.0)
        out[name] = np.round(plan, 2)
    return out


def example_scenario(seed: int = EXAMPLE_SEED, weeks: int = EXAMPLE_WEEKS):
    """The baseline with EXAMPLE_TRUTH and each week's spend as its ads' budget schedule."""
    from simlib import load_scenario
    spend = example_spend(seed, weeks)
    changes = dict(EXAMPLE_TRUTH)
    for name in ADS:
        changes[f"policies.{name}.schedule"] = [
            {"from_day": int(7 * (w - 1)), "to_day": int(7 * w - 1), "budget_cny_per_day": float(v / 7)}
            for w, v in spend[name].items()]
    return load_scenario("baseline").override(changes, source="examples/funnel_weekly.csv generator")


def make_example_funnel(seed: int = EXAMPLE_SEED, users: int = EXAMPLE_USERS, weeks: int = EXAMPLE_WEEKS) -> pd.DataFrame:
    """Weekly stage counts, new interested and new buyers, and ad spend per policy (CNY per week)."""
    from simlib import run
    daily = run(example_scenario(seed, weeks), seed=seed, users=users, days=weeks * 7).daily
    ends = np.arange(1, weeks + 1) * 7 - 1
    frame = pd.DataFrame({"week": np.arange(1, weeks + 1)})
    for stage in STAGE_NAMES:
        frame[stage] = daily[stage].to_numpy()[ends]
    for flow in ("new_interested", "new_buyers"):
        frame[flow] = daily[flow].to_numpy()[: weeks * 7].reshape(weeks, 7).sum(axis=1)
    for name, values in example_spend(seed, weeks).items():
        frame[f"ad_spend_cny.{name}"] = values.to_numpy()
    frame["policies"] = ";".join(ADS)
    return frame
