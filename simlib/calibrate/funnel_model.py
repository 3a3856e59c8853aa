"""What a funnel fit moves and the scenario it moves it in.

- ``prepare``: the scenario as the data describe it: the data's market size (every stage
  counted), its starting state (a period-0 row) and the team's ad spend per period, which
  replaces the scenario's budgets on the days the data cover (``apply_spend``);
- ``default_keys``: what the counted columns inform, and notes on what they do not;
- ``FitKey``: a fitted parameter's start and search range (log scale: every one is positive).

Keys follow one convention (``simlib.keys.canonical_key``): ``behavior.forget_per_day``,
``policies.douyin_ads.awareness_per_impression``, ``policies.mix.channels.douyin.max_awareness_per_day``,
or a bare name where it is unambiguous.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simlib.calibrate._errors import user_error

# behaviour parameters, the columns that inform them, and whether they are fitted by default only
# when the scenario has the mechanism (not 0): hazards a scenario switches off stay off, while the
# spreads are how a real market differs from a constant-hazard chain (0 is then an answer)
BEHAVIOR_KEYS = (
    ("word_of_mouth_per_day", ("unaware", "aware"), True),
    ("interest_per_day", ("interested", "new_interested"), True),
    ("interest_cv", ("interested", "new_interested"), False),
    ("first_purchase_per_day", ("purchased", "loyal", "new_buyers"), True),
    ("first_purchase_cv", ("purchased", "loyal", "new_buyers"), False),
    ("dormancy_per_day", ("dormant",), True),
    ("wake_per_day", ("dormant",), True),
    ("dormant_loss_per_day", ("lost",), True),
)
INTEREST_COLUMNS = ("interested", "new_interested")
# hazards back up the funnel: the default fit sets them to 0 and lets differences between people
# (the spreads) slow the funnel instead; --fit names them to fit them (see default_keys)
WAY_BACK = (("forget_per_day", ("unaware", "aware")), ("lose_interest_per_day", ("aware", "interested", "new_interested")))
REACH_COLUMNS = ("unaware", "aware", "new_interested")
SATURATION_SPREAD = 1.3   # spend must range this many times (max / min over the fitted periods) to fit saturation
MAX_LOG_HIGH = 5.0        # open upper bounds become max(this, 100 x start)


LINEAR_UNITS = ("cv", "ratio")   # fitted on their own scale: 0 (none) is a plausible answer
ZERO_SCALE = 0.1   # the other keys' coordinate is asinh(value / (this x start)): log-like above, linear near 0


@dataclass(frozen=True)
class FitKey:
    """A fitted parameter: its start and search range. Hazards, reach and saturation are fitted in
    asinh(value / c), c = a tenth of the start: the log scale (relative steps) above c, and a
    linear one near 0, so a hazard the market does not have (forgetting, losing interest) can
    reach 0 in a few steps; spreads and ratios on their own scale."""

    key: str
    start: float
    low: float
    high: float
    linear: bool = False

    @property
    def scale(self) -> float:
        return 1.0 if self.linear else ZERO_SCALE * self.start


class Coordinates:
    """The fit's coordinates theta of a list of FitKeys (see FitKey) and back."""

    def __init__(self, spec: list[FitKey]):
        self.keys = [k.key for k in spec]
        self.linear = np.array([k.linear for k in spec])
        self.scale = np.array([k.scale for k in spec])
        self.low = np.array([k.low for k in spec])
        self.high = np.array([k.high for k in spec])
        self.bounds = np.column_stack([self.to_theta(self.low), self.to_theta(self.high)])
        self.start = self.to_theta(np.array([k.start for k in spec]))

    def to_theta(self, values) -> np.ndarray:
        values = np.asarray(values, float)
        return np.where(self.linear, values, np.arcsinh(values / self.scale))

    def to_values(self, theta) -> np.ndarray:
        theta = np.asarray(theta, float)
        with np.errstate(over="ignore"):
            values = np.where(self.linear, theta, self.scale * np.sinh(np.clip(theta, -700, 700)))
        return np.clip(values, self.low, self.high)

    def slope(self, values) -> np.ndarray:
        """d value / d theta at ``values`` (about the value itself, well above the scale)."""
        values = np.asarray(values, float)
        return np.where(self.linear, 1.0, np.sqrt(self.scale**2 + values**2))

    def interval(self, values, se, z) -> tuple[np.ndarray, np.ndarray]:
        """theta +- z se, back on the values' scale (inside the search range)."""
        theta = self.to_theta(values)
        return self.to_values(theta - z * se), self.to_values(theta + z * se)

    def clip(self, theta) -> np.ndarray:
        return np.clip(theta, self.bounds[:, 0], self.bounds[:, 1])


@dataclass(frozen=True)
class AdTarget:
    """Where ad spend goes: a paid_acquisition policy or a channel of an acquisition mix."""

    name: str           # paid_acquisition: the policy; mix: POLICY.CHANNEL
    channel: str
    prefix: str         # dotted key of its parameters: policies.P or policies.P.channels.C

    def key(self, param: str) -> str:
        return f"{self.prefix}.{param}"


def ad_targets(scenario) -> list[AdTarget]:
    out = []
    for name, cfg in scenario.data["policies"].items():
        if not cfg["enabled"]:
            continue
        if cfg["type"] == "paid_acquisition":
            out.append(AdTarget(name, cfg["channel"], f"policies.{name}"))
        elif cfg["type"] == "acquisition_mix":
            out += [AdTarget(f"{name}.{ch}", ch, f"policies.{name}.channels.{ch}") for ch in cfg["channels"]]
    return out


def _target_for(name: str, targets: list[AdTarget], where: str) -> AdTarget:
    exact = [t for t in targets if t.name == name]
    by_channel = [t for t in targets if t.channel == name]
    mix_channel = [t for t in targets if "." in t.name and t.name.split(".", 1)[1] == name]
    for found in (exact, by_channel, mix_channel):
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise user_error(f"{where}: {name!r} names {len(found)} ad policies ("
                             + ", ".join(t.name for t in found) + "); name the policy")
    allowed = sorted({t.name for t in targets} | {t.channel for t in targets})
    raise user_error(f"{where}: no ad policy or channel {name!r} runs in the scenario; allowed: "
                     + (", ".join(allowed) or "none (the scenario runs no paid_acquisition or acquisition_mix)"))


def spend_by_target(data, scenario) -> dict[AdTarget, np.ndarray]:
    """CNY per period for each ad target the data give spend for (a total column is split in
    proportion to the scenario's own budgets over those days)."""
    if data.spend is None:
        return {}
    targets = ad_targets(scenario)
    source = data.spend_source or data.source
    if not targets:
        raise user_error(f"{source}: the data give ad spend, but scenario {scenario.source} runs no "
                         "paid_acquisition or acquisition_mix policy to spend it")
    named = [c for c in data.spend.columns if c]
    out: dict[AdTarget, np.ndarray] = {}
    for column in named:
        target = _target_for(column, targets, f"{source}, column 'ad_spend_cny.{column}'")
        if target in out:
            raise user_error(f"{source}, column 'ad_spend_cny.{column}': {target.name}'s spend is given twice")
        out[target] = data.spend[column].to_numpy(float)
    if "" in data.spend.columns:
        if named:
            raise user_error(f"{source}, column 'ad_spend_cny': give the total or the spend per policy or channel, "
                             "not both")
        own = np.array([_scenario_budget(scenario, t, data.all_days) for t in targets])
        if own.sum() <= 0:
            raise user_error(f"{source}, column 'ad_spend_cny': the scenario's ad budgets are all 0, so the total "
                             "cannot be split between its channels; give ad_spend_cny.NAME per policy or channel")
        total = data.spend[""].to_numpy(float)
        out = {t: total * share for t, share in zip(targets, own / own.sum())}
    return out


def _scenario_budget(scenario, target: AdTarget, days: int) -> float:
    from simlib.policies.acquisition import _budget_by_day
    cfg = scenario.get(target.prefix)
    if cfg.get("total_budget_cny") is not None:
        return float(cfg["total_budget_cny"])
    return float(_budget_by_day(cfg["budget_cny_per_day"], cfg["schedule"], days).mean())


def daily_budgets(scenario, days: int) -> dict:
    """Each running ad target's budget on each day of ``days`` (CNY per day)."""
    from simlib.policies.acquisition import _budget_by_day
    out = {}
    for target in ad_targets(scenario):
        cfg = scenario.get(target.prefix)
        if cfg.get("total_budget_cny") is None:
            out[target] = _budget_by_day(cfg["budget_cny_per_day"], cfg["schedule"], days)
    return out


def extrapolation_notes(fitted_scenario, fitted_days: int, scenario, first_day: int, last_day: int) -> list[str]:
    """Where ``scenario`` spends, on days first_day..last_day, more than the fitted days ever did: a
    prediction there extrapolates the fitted reach curve."""
    seen = daily_budgets(fitted_scenario, fitted_days)
    ahead = daily_budgets(scenario, last_day + 1)
    notes = []
    for target, budget in ahead.items():
        before = seen.get(target)
        if before is None or not len(before):
            continue
        most, plan = float(before.max()), float(budget[first_day:last_day + 1].max())
        if plan > 1.25 * most:
            notes.append(f"{target.name} spends up to {plan:,.0f} CNY a day here, {plan / max(most, 1e-9):.2g}x the "
                         f"most the fitted periods saw ({most:,.0f}): the band extrapolates the fitted reach curve "
                         "(reach per impression and saturation)")
    return notes


def apply_spend(scenario, data, source: str = "<calibrate funnel: ad spend>"):
    """The scenario with the data's ad spend as each target's budget on the days the data cover
    (a schedule range per period, after the scenario's own: they win there); other days keep the
    scenario's budgets (a plan for the weeks after the data)."""
    spend = spend_by_target(data, scenario)
    if not spend:
        return scenario
    days = data.period_days
    changes = {}
    for target, per_period in spend.items():
        cfg = scenario.get(target.prefix)
        if cfg.get("total_budget_cny") is not None:
            raise user_error(f"{data.spend_source}: {target.name} spends a total_budget_cny in scenario "
                             f"{scenario.source}; give it a daily budget (budget_cny_per_day or a schedule) so the "
                             "data's spend can replace it on the days they cover")
        ranges = [{"from_day": int((p - 1) * days), "to_day": int(p * days - 1), "budget_cny_per_day": float(v / days)}
                  for p, v in zip(data.counts.index, per_period)]
        changes[f"{target.prefix}.schedule"] = list(cfg["schedule"]) + ranges
    return scenario.override(changes, source=source)


def prepare(data, scenario, users: int | None):
    """(scenario as the data describe it, simulated customers per run, the data's market size, notes)."""
    notes = []
    changes = {}
    if data.initial is not None:
        changes["market.initial_stage"] = data.initial
    size = data.market_size or scenario.data["market"]["represents"]
    if data.market_size is None:
        notes.append(f"not every stage is counted, so the market size is the scenario's ({size:,})")
    elif data.market_size != scenario.data["market"]["represents"]:
        notes.append(f"market size {data.market_size:,} from the data (the scenario says "
                     f"{scenario.data['market']['represents']:,}): budgets buy reach in a market of this size")
    # policies spend absolute budgets (impressions, chats per day), so by default the simulated
    # market has the data's size; with fewer simulated customers each stands for several real ones
    users = int(users or size)
    changes["market.users"] = users
    changes["market.represents"] = int(size)
    changes["market.days"] = max(int(data.all_days), 1)
    scenario = scenario.override(changes, source=data.source)
    return apply_spend(scenario, data), users, int(size), notes


def default_keys(data, scenario) -> tuple[list[str], list[str], dict]:
    """The keys the counted columns inform (each ad policy's reach, and its saturation where the
    spend varies; the exposure, interest and first-purchase spreads; every forward hazard
    parameters.md says to fit with this command, where its column is counted and the scenario
    does not switch it off), notes on what is left out and why, and the values the default fit
    sets instead of fitting: forgetting and losing interest at 0.

    Why 0: a funnel that slows as it fills can be explained by people who differ (the quick ones
    convert first) or by people going back (forgetting, leads lapsing), and a few months of counts
    rarely tell the two apart; they predict a budget change differently. On markets written
    without simlib (benchmarks/funnel_independent.py) and on the engine's own, fitting both left
    directions the data do not identify and the held-out new buyers 13-40 % low; the spreads alone
    predicted them within a few per cent. A team whose stages can go back names them with --fit."""
    behavior = scenario.data["behavior"]
    present = set(data.stocks) | set(data.flows)
    keys, notes, fixed = [], [], {}
    targets = [t for t in ad_targets(scenario) if _scenario_budget(scenario, t, data.days) > 0]
    if present & set(REACH_COLUMNS):
        if not targets and behavior["awareness_per_day"] > 0:
            keys.append("behavior.awareness_per_day")
        elif targets:
            notes.append("organic awareness (behavior.awareness_per_day) is not fitted: the ads swamp it")
        spend = spend_by_target(data, scenario)
        varied = False   # some ad policy's spend varies enough to fit its saturation
        for target in targets:
            keys.append(target.key("awareness_per_impression"))
            fitted = spend.get(target)
            fitted = None if fitted is None else fitted[:len(data.fitted_counts)]
            if fitted is not None and fitted.min() > 0 and fitted.max() / fitted.min() >= SATURATION_SPREAD:
                keys.append(target.key("max_awareness_per_day"))
                varied = True
            else:
                why = "constant" if fitted is not None else "not given (the scenario's budget throughout)"
                notes.append(f"{target.key('max_awareness_per_day')} (saturation) is not fitted: the spend is {why}, "
                             f"so only the reach at that spend is identified; vary the spend by "
                             f"{SATURATION_SPREAD:g}x or more to fit how reach saturates")
        if targets:
            keys.append("behavior.ad_exposure_cv")
            if varied and present & set(INTEREST_COLUMNS):
                notes.append("behavior.ad_interest_ratio (how much the ads also pull the aware to interest) is kept "
                             "at the scenario's value: with the reach, its saturation and the spreads free it was "
                             "not identified in 13 weeks; fit it with --fit when the spend varies a lot")
    for key, columns, only_if_on in BEHAVIOR_KEYS:
        if present & set(columns) and (behavior[key] > 0 or not only_if_on):
            keys.append(f"behavior.{key}")
    for key, columns in WAY_BACK:
        if present & set(columns) and behavior[key] > 0:
            fixed[f"behavior.{key}"] = 0.0
    if fixed:
        notes.append(", ".join(fixed) + " set to 0 (the scenario had " + ", ".join(
            f"{behavior[k.split('.')[1]]:g}" for k in fixed) + "): the default fit lets differences between people "
            "slow the funnel, not people going back; name them with --fit if your stages can go back")
    return keys, notes, fixed


def fit_keys(keys, scenario) -> list[FitKey]:
    """Start and search range of each key (canonical), from its declaration."""
    from simlib.keys import declared_param
    out = []
    for key in keys:
        param = declared_param(key, scenario.data)
        value = float(scenario.get(key))
        if param.low is not None and param.low < 0:
            raise user_error(f"--fit {key}: can be negative ({param.allowed()}); the funnel fit moves positive "
                             "hazards, reach, saturation and spreads only")
        linear = param.unit in LINEAR_UNITS
        if value > 0:
            start = value
        elif param.plausible and param.plausible[1] > 0:
            start = param.plausible[1] / 4
        else:
            start = 1e-3
        low = param.low or 0.0
        if linear:
            high = param.high if param.high is not None else max(MAX_LOG_HIGH, 10 * start)
        else:
            high = min(param.high if param.high is not None else np.inf, max(MAX_LOG_HIGH, 100 * start))
        out.append(FitKey(key, min(max(start, low), high), low, high, linear))
    return out
