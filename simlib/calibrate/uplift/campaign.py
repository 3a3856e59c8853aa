"""What ran in a past campaign, and the engine's version of its arm means at given effect sizes.

Two ways to say what ran:
- **Arms as scenarios** (``arms={"coupon": scenario, ...}``): the control arm runs the campaign's
  scenario, each treated arm its own (usually one that ``extends:`` it and adds the policy).
  Every arm is simulated on the same market with the same seed, so customer i is the same
  person with the same luck in every arm (common random numbers between arms as well as
  between effect sizes). The customers in the test are those in the ``population`` on day 0
  (pond members, buyers or pond buyers not lost, or everyone, lost customers included).
- **A journey with a holdout** (no ``arms``): one run of the scenario; the customers in the
  test are those who entered the journey, split by the journey's own keyed draw into
  ``holdout`` and ``treated`` (or the variants of a ``split: {variants: ...}`` step).

The campaign window is ``days`` long (weekly data: 7 x its weeks) and starts on day
``window_start`` of the run (default 0). A warm-up before it lets the simulated customers
settle into the state the real ones were in when the campaign began (trust, fatigue,
reference prices, who is dormant); the campaign's policies then start on that day
(``start_day``). The customers in the test are chosen on day 0 of the run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simlib.calibrate._errors import user_error
from simlib.calibrate.uplift.data import CampaignData

POPULATIONS = ("pond", "buyers", "pond_buyers", "everyone")
TREATED_NAMES = ("treated", "treatment", "test")
HOLDOUT = "holdout"


@dataclass
class Campaign:
    """A past campaign: its data and what ran, ready to be simulated."""

    data: CampaignData
    scenario: object            # simlib Scenario: the control arm's, or the journey's
    arm_scenarios: dict         # data arm -> Scenario (arms as scenarios); {} for a journey
    journey: str | None         # the journey policy with the holdout, or None
    sim_arms: dict              # data arm -> what the simulation calls it
    population: str
    users: int
    days: int
    name: str
    window_start: int = 0
    ids: object = None          # customer ids of the test (a campaign read from a log), else None

    def units(self, pop) -> np.ndarray:
        """The simulated customers in the test: the test's ids looked up on the population, or
        those in ``population`` on day 0."""
        if self.ids is None:
            return members(pop, self.population)
        where = pop.index_of(self.ids)
        if (where < 0).any():
            shown = ", ".join(repr(str(i)[:30]) for i in np.asarray(self.ids)[where < 0][:3])
            raise user_error(f"{self.name}: {int((where < 0).sum()):,} customers of the test are not customers of "
                             f"{self.scenario.source} (first: {shown}); {pop.describe_ids()}")
        return where

    @property
    def run_days(self) -> int:
        return self.window_start + self.days

    @property
    def mode(self) -> str:
        return "journey" if self.journey else "arms"

    def scenarios(self) -> list:
        return [self.scenario] + list(self.arm_scenarios.values())

    def describe(self) -> str:
        if self.journey:
            how = (f"journey {self.journey!r} of {self.scenario.source}: its entrants, split into "
                   + ", ".join(f"{a} (data {d!r})" for d, a in self.sim_arms.items()))
        else:
            test = (f"the {len(self.ids):,} customers of the assignment" if self.ids is not None
                    else f"{self.population} on day 0")
            how = (f"{self.data.control!r} runs {self.scenario.source}; "
                   + "; ".join(f"{a!r} runs {s.source}" for a, s in self.arm_scenarios.items())
                   + f"; customers in the test: {test}")
        sizes = ", ".join(f"{a} {n:,}" for a, n in self.data.sizes.items())
        return (f"{self.name}: {self.data.source} ({self.data.kind}: {sizes} customers; "
                f"{self.data.periods} period(s)); {how}; {self.users:,} simulated customers, window of {self.days} days"
                + (f" from day {self.window_start}" if self.window_start else "") + ")")


def build_campaign(data: CampaignData, scenario, arms: dict | None = None, population: str | None = None,
                   users: int | None = None, days: int | None = None, name: str | None = None,
                   window_start: int = 0) -> Campaign:
    """Check that the data's arms match what the scenario(s) ran, and fix the run's size."""
    from simlib.run import as_scenario
    scenario = as_scenario(scenario)
    arm_scenarios = {a: as_scenario(s) for a, s in (arms or {}).items()}
    market = scenario.data["market"]
    for option, value, low, high in (("--window-start", window_start, 0, 3650), ("--days", days, 1, 3650),
                                     ("--users", users, 100, 5_000_000)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high):
            raise user_error(f"{option} {value!r}: allowed: a whole number from {low:,} to {high:,}")
    if data.kind == "weekly":
        run_days = 7 * data.periods
        if days is not None and days != run_days:
            raise user_error(f"--days {days}: {data.source} has {data.periods} weeks, so the window is {run_days} days")
    else:
        run_days = int(days or market["days"] - window_start)
        if run_days < 1:
            raise user_error(f"--window-start {window_start}: the scenario runs {market['days']} days, so no window "
                             "is left after it; give --days (the window's length)")
    users = int(users or market["users"])
    label = name or scenario.name
    if arm_scenarios:
        unknown = [a for a in arm_scenarios if a not in data.arms]
        if unknown:
            raise user_error(f"--arm {unknown[0]}: no arm {unknown[0]!r} in {data.source}; its arms: "
                             + ", ".join(data.arms))
        if data.control in arm_scenarios:
            raise user_error(f"--arm {data.control}: {data.control!r} is the control group; it runs --scenario")
        missing = [a for a in data.treatments if a not in arm_scenarios]
        if missing:
            raise user_error(f"{data.source}, column 'arm': arm {missing[0]!r} is not declared; say what it ran "
                             f"with --arm {missing[0]}=SCENARIO (a file that extends the control's scenario and "
                             "adds the policy)")
        population = population or "pond"
        if population not in POPULATIONS:
            raise user_error(f"--population {population!r}: allowed: {', '.join(POPULATIONS)}")
        sim_arms = {a: a for a in data.arms}
        return Campaign(data, scenario, arm_scenarios, None, sim_arms, population, users, run_days, label,
                        window_start)
    journey = _holdout_journey(scenario, data)
    if population not in (None, "entrants"):
        raise user_error(f"--population {population}: with a journey's holdout the customers in the test are "
                         "the journey's entrants")
    sim_arms = _journey_arms(scenario, journey, data)
    return Campaign(data, scenario, {}, journey, sim_arms, "entrants", users, run_days, label, window_start)


def _holdout_journey(scenario, data) -> str:
    journeys = [n for n, c in scenario.data["policies"].items()
                if c["enabled"] and c["type"] == "journey" and c["holdout_percent"] > 0]
    if len(journeys) != 1:
        found = "none" if not journeys else ", ".join(journeys)
        raise user_error(f"{data.source}: say what each arm ran: either --arm ARM=SCENARIO for each treated arm "
                         f"({', '.join(data.treatments)}), or a scenario with exactly one enabled journey with "
                         f"holdout_percent > 0 ({scenario.source} has {found})")
    return journeys[0]


def _journey_arms(scenario, journey, data) -> dict:
    from simlib.policies.journeys_lang import compile_journey
    cfg = scenario.data["policies"][journey]
    program = compile_journey(cfg["steps"], scenario.source, f"policies.{journey}.steps")
    variants = [v for s in program if s.kind == "split_variants" for v in s.variant_names]
    out = {data.control: HOLDOUT}
    for arm in data.treatments:
        if arm in variants:
            out[arm] = f"variant:{arm}"
        elif arm.lower() in TREATED_NAMES:
            out[arm] = "treated"
        else:
            allowed = ", ".join([*TREATED_NAMES[:1], *variants])
            raise user_error(f"{data.source}, column 'arm': arm {arm!r} is not an arm of journey {journey!r}; "
                             f"allowed: {data.control!r} (its holdout), {allowed}")
    if "treated" in out.values() and any(v.startswith("variant:") for v in out.values()):
        raise user_error(f"{data.source}, column 'arm': give the journey's variants or 'treated', not both "
                         "(the variants are part of the treated)")
    return out


@dataclass
class SimulatedArms:
    """Per-arm means over (outcome, period) and, when kept, the per-customer values behind them."""

    means: dict                 # data arm -> vector
    units: dict | None          # data arm -> (customers x entries) array
    paired: bool                # the same customers in every arm (arms as scenarios)
    sizes: dict                 # data arm -> simulated customers in the test


def simulate(campaign: Campaign, values: dict, seeds, keep_units: bool = False) -> SimulatedArms:
    """The campaign's arm means at effect sizes ``values`` ({dotted key: value}), averaged over
    ``seeds`` (the same seeds at every call: common random numbers)."""
    total, units_all, sizes, paired = None, None, None, True
    for seed in seeds:
        if campaign.journey:
            per_arm = _run_journey(campaign, values, seed)
            paired = False
        else:
            per_arm, paired = _run_arms(campaign, values, seed)
        means = {a: u.mean(axis=0) for a, u in per_arm.items()}
        total = means if total is None else {a: total[a] + means[a] for a in means}
        if keep_units:
            units_all = per_arm if units_all is None else {a: np.vstack([units_all[a], per_arm[a]])
                                                           for a in per_arm}
        sizes = {a: len(u) for a, u in per_arm.items()}
    n = len(seeds)
    return SimulatedArms({a: v / n for a, v in total.items()}, units_all, paired, sizes)


def _with(scenario, values: dict):
    from simlib.keys import declared_param
    changes = {k: float(v) for k, v in values.items() if declared_param(k, scenario.data) is not None}
    return scenario.override(changes, source="<calibrate uplift>") if changes else scenario


def _sized(campaign: Campaign, scenario):
    market = scenario.data["market"]
    if market["users"] == campaign.users and market["days"] == campaign.run_days:
        return scenario
    return scenario.override({"market.users": campaign.users, "market.days": campaign.run_days}, source="")


def per_customer(transactions, n: int, units: np.ndarray, outcomes, first_day: int, days: int,
                 periods: int = 1) -> np.ndarray:
    """Per customer of ``units``: each outcome (orders; spend_cny = list value - discount, what
    they paid) over days [first_day, first_day + days), in ``periods`` equal parts (weeks when
    more than one), outcome-major."""
    where = np.full(n, -1, np.int64)
    where[units] = np.arange(units.size)
    cust = transactions["customer_id"].to_numpy(np.int64)
    day = transactions["day"].to_numpy(np.int64) - first_day
    keep = (where[cust] >= 0) & (day >= 0) & (day < days)
    row = where[cust[keep]]
    period = np.minimum(day[keep] * periods // days, periods - 1) if periods > 1 else np.zeros(row.size, np.int64)
    cell = row * periods + period
    columns = []
    for outcome in outcomes:
        weights = None
        if outcome != "orders":
            paid = transactions["amount_cny"].to_numpy(float) - transactions["discount_cny"].to_numpy(float)
            weights = paid[keep]
        counts = np.bincount(cell, weights=weights, minlength=units.size * periods)
        columns.append(counts.reshape(units.size, periods))
    return np.concatenate(columns, axis=1).astype(float)


def _outcomes(sim, result, units: np.ndarray, campaign: Campaign) -> np.ndarray:
    return per_customer(result.transactions, sim.n, units, campaign.data.outcomes, campaign.window_start,
                        campaign.days, campaign.data.periods)


def members(pop, population: str) -> np.ndarray:
    from simlib.population import LOST
    alive = pop.stage != LOST
    if population == "pond":
        mask = alive & pop.in_pond
    elif population == "buyers":
        mask = alive & (pop.orders > 0)
    elif population == "pond_buyers":
        mask = alive & pop.in_pond & (pop.orders > 0)
    else:   # everyone: the lost too (they are in a team's test, and buy nothing)
        return np.arange(pop.n)
    return np.flatnonzero(mask)


def _run_arms(campaign: Campaign, values: dict, seed: int):
    from simlib.engine import Sim
    per_arm, first = {}, None
    paired = True
    for arm in campaign.data.arms:
        base = campaign.arm_scenarios.get(arm, campaign.scenario)
        sim = Sim(_sized(campaign, _with(base, values)), seed=seed, record_transactions=True)
        units = campaign.units(sim.pop)
        if first is None:
            first = units
            if not units.size:
                raise user_error(f"{campaign.scenario.source}: nobody is in the test population "
                                 f"({campaign.population}) on day 0; give the scenario an existing base "
                                 "(market.initial_stage, market.initial_in_pond) or choose --population")
        elif units.size != first.size or (units != first).any():
            paired = False
        per_arm[arm] = _outcomes(sim, sim.run(), units, campaign)
    return per_arm, paired


def journey_groups(sim, name: str) -> dict:
    """After a run: the journey's entrants by arm: ``holdout``, ``treated`` and ``variant:NAME``
    (a customer's last entry decides)."""
    from simlib.policies.journeys import HOLDOUT as HOLDOUT_STEP
    from simlib.population import NEVER
    pop = sim.pop
    entered = getattr(pop, f"{name}_entry_day") != NEVER
    held = entered & (getattr(pop, f"{name}_step") == HOLDOUT_STEP)
    variant = getattr(pop, f"{name}_variant")
    policy = next(p for p in sim.policies if p.name == name)
    out = {HOLDOUT: held, "treated": entered & ~held}
    for label in dict.fromkeys(v for _, v in policy.variant_labels):
        codes = [c for c, (_, v) in enumerate(policy.variant_labels) if v == label]
        out[f"variant:{label}"] = entered & ~held & np.isin(variant, codes)
    return out


def _run_journey(campaign: Campaign, values: dict, seed: int):
    from simlib.engine import Sim
    sim = Sim(_sized(campaign, _with(campaign.scenario, values)), seed=seed, record_transactions=True)
    result = sim.run()
    groups = journey_groups(sim, campaign.journey)
    per_arm = {}
    for arm, sim_arm in campaign.sim_arms.items():
        units = np.flatnonzero(groups[sim_arm])
        if units.size < 2:
            raise user_error(f"{campaign.scenario.source}: the simulated journey {campaign.journey!r} put "
                             f"{units.size} customers in arm {arm!r} ({sim_arm}); simulate more customers (--users) "
                             "or check its entry")
        per_arm[arm] = _outcomes(sim, result, units, campaign)
    return per_arm
