"""The shipped funnel example, ``examples/funnel_weekly.csv``: 26 weeks of the ``baseline`` market
drawn by the engine with known parameters (``EXAMPLE_TRUTH``; every other one is baseline's),
with the ad spend a team would export: flighted budgets (each week x 0.6 to 1.4 of the plan,
seeded), a two-week test of a doubled Douyin budget (weeks 10-11), and the doubling from week 14. ``examples/make_examples.py`` writes it;
``tests/test_calibrate_funnel.py`` checks the shipped file is what the engine draws today."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simlib.population import STAGES as STAGE_NAMES

EXAMPLE_TRUTH = {"behavior.interest_per_day": 0.02, "behavior.first_purchase_per_day": 0.01,
                 "behavior.dormancy_per_day": 0.008, "behavior.interest_cv": 0.6, "behavior.first_purchase_cv": 0.8,
                 "behavior.forget_per_day": 0.0, "behavior.lose_interest_per_day": 0.0}
"""What examples/funnel_weekly.csv was drawn at (the baseline scenario otherwise): people who differ in
how quickly they take interest and buy, and who do not go back up the funnel."""
EXAMPLE_SEED, EXAMPLE_USERS, EXAMPLE_WEEKS = 7, 20_000, 26
EXAMPLE_DOUBLING_WEEK = 14    # the Douyin budget doubles from this week on
ADS = ("douyin_ads", "search_ads")


EXAMPLE_TEST_WEEKS = (10, 11)  # a test of the doubled Douyin budget before it is adopted


def example_spend(seed: int = EXAMPLE_SEED, weeks: int = EXAMPLE_WEEKS) -> pd.DataFrame:
    """CNY per week per ad policy: the baseline's daily budget x 7, flighted (x U(0.6, 1.4) a week
    for both together, x U(0.9, 1.1) each); Douyin x 2 in the test weeks and from week
    ``EXAMPLE_DOUBLING_WEEK``."""
    from simlib import load_scenario
    policies = load_scenario("baseline").data["policies"]
    rng = np.random.default_rng([seed, 17])
    week = np.arange(1, weeks + 1)
    flight = rng.uniform(0.6, 1.4, weeks)
    out = pd.DataFrame(index=week)
    for name in ADS:
        plan = policies[name]["budget_cny_per_day"] * 7 * flight * rng.uniform(0.9, 1.1, weeks)
        if name == "douyin_ads":
            plan = plan * np.where((week >= EXAMPLE_DOUBLING_WEEK) | np.isin(week, EXAMPLE_TEST_WEEKS), 2.0, 1.0)
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


def weekly_counts(daily: pd.DataFrame, weeks: int, stages=STAGE_NAMES, flows=("new_interested", "new_buyers")):
    """A funnel file's rows from an engine run's daily table: each stage at the end of week w (the
    row of day 7w - 1) and each flow summed over the week."""
    ends = np.arange(1, weeks + 1) * 7 - 1
    frame = pd.DataFrame({"week": np.arange(1, weeks + 1)})
    for stage in stages:
        frame[stage] = daily[stage].to_numpy()[ends]
    for flow in flows:
        frame[flow] = daily[flow].to_numpy()[: weeks * 7].reshape(weeks, 7).sum(axis=1)
    return frame


def make_example_funnel(seed: int = EXAMPLE_SEED, users: int = EXAMPLE_USERS, weeks: int = EXAMPLE_WEEKS) -> pd.DataFrame:
    """Weekly stage counts, new interested and new buyers, and ad spend per policy (CNY per week)."""
    from simlib import run
    frame = weekly_counts(run(example_scenario(seed, weeks), seed=seed, users=users, days=weeks * 7).daily, weeks)
    for name, values in example_spend(seed, weeks).items():
        frame[f"ad_spend_cny.{name}"] = values.to_numpy()
    frame["policies"] = ";".join(ADS)
    return frame
