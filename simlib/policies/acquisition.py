"""Acquisition in the public domain: buy reach on channels, move the people reached into the pond.

Two policy types share one mechanism (``_buy_reach``):
- ``paid_acquisition``: ads on one channel at a constant daily budget (the baseline's lever);
- ``acquisition_mix``: several channels at once, each with its own budget over time, CPM or
  CPC pricing, reach saturation and routes into the pond, and CAC per channel at the end.
Word of mouth per channel is a property of the market (``market.channels.NAME.word_of_mouth``);
ads make buyers, buyers make the channel's social proof, which carries word of mouth.
"""

from __future__ import annotations

import numpy as np

from ..errors import ScenarioError
from ..params import Param, resolve
from .base import Policy, register_policy


def _buy_reach(sim, c: int, impressions: float, awareness_per_impression: float, max_awareness_per_day: float) -> None:
    """Add the awareness hazard that ``impressions`` on channel ``c`` give its unaware members.

    Impressions per member f -> hazard cap * (1 - exp(-a f / cap)): linear (a per impression)
    at low spend, saturating at ``cap`` at high spend, because the same people see the ads again.
    """
    size = max(float(sim.pop.channel_size[c]) * sim.pop.weight, 1.0)   # real customers on the channel
    per_member = impressions / size
    cap = max_awareness_per_day
    sim.today.ad_awareness[c] += cap * -np.expm1(-awareness_per_impression * per_member / cap)


def _open_routes(today, c: int, join_per_day: float, join_on_purchase: float, cost_per_member_cny: float,
                 min_orders: int = 0) -> None:
    """Pond entry on channel ``c`` today: a daily hazard for aware-or-later customers and a
    chance per purchase, each member at ``cost_per_member_cny`` (the engine books the cost),
    for customers with at least ``min_orders`` orders (when routes on one channel ask for
    different numbers, the smallest applies)."""
    if not (join_per_day or join_on_purchase):
        return
    first = not (today.pond_entry[c] or today.pond_on_purchase[c])
    today.pond_min_orders[c] = min_orders if first else min(today.pond_min_orders[c], min_orders)
    if join_per_day:
        today.pond_entry[c] += join_per_day
        today.pond_entry_cost[c] += join_per_day * cost_per_member_cny
    if join_on_purchase:
        today.pond_on_purchase[c] = 1 - (1 - today.pond_on_purchase[c]) * (1 - join_on_purchase)
        today.pond_on_purchase_cost[c] += join_on_purchase * cost_per_member_cny


SCHEDULE_PARAMS = {
    "from_day": Param(0, "first day of the range", "day", int, low=0, basis="business"),
    "to_day": Param(None, "last day of the range (null: to the end of the run)", "day", int, low=0, nullable=True, basis="business"),
    "from_date": Param(None, "instead of from_day: the first date of the range (YYYY-MM-DD; needs market.start_date)",
                       "", str, nullable=True, basis="business"),
    "to_date": Param(None, "instead of to_day: the last date of the range (YYYY-MM-DD; needs market.start_date)",
                     "", str, nullable=True, basis="business"),
    "budget_cny_per_day": Param(0.0, "daily budget within the range", "CNY per day", low=0.0, basis="business"),
}


def _resolve_schedule(items, source: str, key: str, market: dict) -> list[dict]:
    """Check a budget schedule; dates become day numbers of the run (day 0 = market.start_date)."""
    import datetime as dt
    out = []
    for i, item in enumerate(items):
        where = f"{key}[{i}]"
        item = _resolve_item(SCHEDULE_PARAMS, item, source, where)
        for end in ("from", "to"):
            date = item.pop(f"{end}_date")
            if date is None:
                continue
            if f"{end}_day" in (items[i] or {}):
                raise ScenarioError(source, f"{where}.{end}_date", f"give {end}_day or {end}_date, not both")
            if market["start_date"] is None:
                raise ScenarioError(source, f"{where}.{end}_date", "a date needs market.start_date (the date of "
                                                                    "day 0); or give the day number as " + f"{end}_day")
            try:
                day = (dt.date.fromisoformat(date) - dt.date.fromisoformat(market["start_date"])).days
            except ValueError:
                raise ScenarioError(source, f"{where}.{end}_date", f"expected a date YYYY-MM-DD, got {date!r}") from None
            if day < 0:
                raise ScenarioError(source, f"{where}.{end}_date", f"{date} is before market.start_date "
                                                                    f"({market['start_date']})")
            item[f"{end}_day"] = day
        if item["to_day"] is not None and item["to_day"] < item["from_day"]:
            raise ScenarioError(source, f"{where}.to_day", f"must be >= from_day ({item['from_day']})")
        out.append(item)
    return out


def _budget_by_day(budget_cny_per_day: float, schedule: list[dict], days: int) -> np.ndarray:
    """The daily budget of each day of the run: the last schedule range containing the day, else
    ``budget_cny_per_day``."""
    budget = np.full(days, float(budget_cny_per_day))
    for item in schedule:
        end = days if item["to_day"] is None else min(days, item["to_day"] + 1)
        budget[item["from_day"]:end] = item["budget_cny_per_day"]
    return budget


@register_policy("paid_acquisition")
class PaidAcquisition(Policy):
    """Ads on one public channel: budget -> impressions -> awareness (saturating), cost booked.

    The budget of day d is that of the last ``schedule`` range containing d, else
    ``budget_cny_per_day`` ("double the budget from week 14": ``schedule: [{from_day: 91,
    budget_cny_per_day: 2000}]``). Impressions per channel member f = budget / cpm * 1000 /
    channel size; the awareness
    hazard for the unaware is max_awareness_per_day * (1 - exp(-awareness_per_impression * f
    / max_awareness_per_day)): linear at low spend, saturating at high spend. The same ads
    nudge aware customers to interest (``behavior.ad_interest_ratio``). Aware customers on
    the channel join the pond at ``pond_entry_per_day`` ("add staff for a gift"), each at
    ``cost_per_pond_member_cny``; buyers join with ``pond_entry_on_purchase`` (package insert).
    """

    params = {
        "channel": Param("douyin", "public channel the ads run on (a key of market.channels)", "", str,
                         basis="structural"),
        "budget_cny_per_day": Param(2000.0, "ad budget, spent in full each active day no schedule range covers",
                                    "CNY per day", low=0.0, basis="business"),
        "schedule": Param([], "budget by day (or date) ranges: a list of {from_day, to_day, budget_cny_per_day}; "
                              "a later range wins where ranges overlap", "", list, basis="business"),
        "cpm_cny": Param(40.0, "cost per thousand impressions", "CNY", low=1e-6, basis="business"),
        "awareness_per_impression": Param(0.01, "chance one impression makes an unaware person aware", "probability", low=0.0, high=1.0,
                                          basis="assumption", plausible=(0.002, 0.03),
                                          source="assumption: the share of impressions that leave a lasting "
                                                 "awareness of the brand; fit it with simlib calibrate funnel"),
        "max_awareness_per_day": Param(0.05, "saturation: awareness hazard reached with unlimited spend", "per day", low=1e-9,
                                       basis="assumption", plausible=(0.01, 0.1),
                                       source="assumption: reach saturation of a feed; fit it with simlib calibrate "
                                              "funnel"),
        "pond_entry_per_day": Param(0.0, "hazard that an aware-or-later customer on the channel joins the pond", "per day", low=0.0,
                                    basis="assumption", plausible=(0.0, 0.01),
                                    source="assumption (0: no such route); a preset sets it"),
        "pond_entry_on_purchase": Param(0.0, "chance a buyer on the channel joins the pond at purchase", "probability", low=0.0, high=1.0,
                                        basis="assumption", plausible=(0.0, 0.5),
                                        source="assumption (0: no such route): how many buyers scan a package insert "
                                               "or a till QR code; a preset sets it"),
        "cost_per_pond_member_cny": Param(0.0, "cost of each member moved into the pond (gift, staff time)", "CNY", low=0.0,
                                          basis="business"),
        "pond_entry_min_orders": Param(0, "orders a customer needs before being admitted to the pond (the host admits "
                                          "fans with 2+ orders)", "orders", int, low=0, high=1000, basis="business"),
    }

    @classmethod
    def check(cls, params, source, path, market):
        cls.check_channel(params["channel"], source, f"{path}.channel", market)
        params["schedule"] = _resolve_schedule(params["schedule"], source, f"{path}.schedule", market)

    def init(self):
        self.c = self.sim.channels.index(self.p["channel"])
        self.impressions = 0.0
        self.budget = _budget_by_day(self.p["budget_cny_per_day"], self.p["schedule"], self.sim.days)

    def act(self, day):
        p, sim = self.p, self.sim
        budget = float(self.budget[day])
        self.impressions = budget / p["cpm_cny"] * 1000.0
        _buy_reach(sim, self.c, self.impressions, p["awareness_per_impression"], p["max_awareness_per_day"])
        _open_routes(sim.today, self.c, p["pond_entry_per_day"], p["pond_entry_on_purchase"], p["cost_per_pond_member_cny"],
                     p["pond_entry_min_orders"])
        sim.ledger.post(day, "ad_spend", budget, source=self.name, channel=p["channel"])

    def record(self, day):
        return {"impressions": self.impressions if self.active(day) else 0.0}


# --- several channels at once -----------------------------------------------------------------

POND_ROUTES = ("package_insert", "store_qr", "livestream_call", "add_staff_gift")

ROUTE_PARAMS = {
    "route": Param("add_staff_gift", "how people move into the pond", "", str, choices=POND_ROUTES, basis="structural"),
    "join_per_day": Param(0.0, "hazard that an aware-or-later customer on the channel joins by this route "
                               "on a day the route is open (store QR scans, livestream calls, gift offers)",
                          "per day", low=0.0, high=5.0,
                               basis="assumption", plausible=(0.0, 0.01),
                               source="assumption (0: the route admits nobody on its own); a preset sets it"),
    "join_on_purchase": Param(0.0, "chance that a buyer on the channel joins at the order (package insert, "
                                   "QR code at the till)", "probability", low=0.0, high=1.0,
                                   basis="assumption", plausible=(0.0, 0.5),
                                   source="assumption (0: none): how many buyers scan a package insert or a till QR "
                                          "code; a preset sets it"),
    "cost_per_member_cny": Param(0.0, "cost of each member added by this route (gift, insert, staff time)", "CNY", low=0.0,
                                 basis="business"),
    "every_days": Param(1, "the route is open one day in this many (e.g. 7 for a weekly livestream call)", "days",
                        int, low=1, basis="business"),
    "min_orders": Param(0, "orders a customer needs before this route admits them", "orders", int, low=0, high=1000,
                        basis="business"),
}

MIX_CHANNEL_PARAMS = {
    "budget_cny_per_day": Param(0.0, "daily budget on days no schedule range covers", "CNY per day", low=0.0,
                                basis="business"),
    "schedule": Param([], "budget by day (or date) ranges: a list of {from_day, to_day, budget_cny_per_day}; "
                          "a later range wins where ranges overlap", "", list, basis="business"),
    "total_budget_cny": Param(None, "instead of daily budgets: this total over the policy's active days, spread by "
                                    "the flighting pattern", "CNY", low=0.0, nullable=True, basis="business"),
    "flighting": Param("even", "how total_budget_cny is spread: evenly, front_loaded (falling linearly to zero), "
                               "or pulsed (bursts)", "", str, choices=("even", "front_loaded", "pulsed"),
                               basis="business"),
    "pulse_every_days": Param(14, "pulsed flighting: a burst starts every this many days", "days", int, low=1,
                              basis="business"),
    "pulse_days": Param(3, "pulsed flighting: days each burst lasts", "days", int, low=1, basis="business"),
    "pricing": Param("cpm", "what the platform charges for: thousand impressions (cpm) or clicks (cpc)", "",
                     str, choices=("cpm", "cpc"), basis="structural"),
    "cpm_cny": Param(40.0, "cost per thousand impressions (pricing: cpm)", "CNY", low=1e-6, basis="business"),
    "cpc_cny": Param(1.0, "cost per click (pricing: cpc)", "CNY", low=1e-6, basis="business"),
    "click_through_rate": Param(0.02, "clicks per impression (pricing: cpc): impressions = clicks / rate",
                                "share", low=1e-6, high=1.0,
                                basis="assumption", plausible=(0.005, 0.05),
                                source="assumption: a platform's click-through rate; the team's ad account reports "
                                       "its own"),
    "awareness_per_impression": Param(0.01, "chance one impression makes an unaware person aware (low spend)",
                                      "probability", low=0.0, high=1.0,
                                      basis="assumption", plausible=(0.002, 0.03),
                                      source="assumption: the share of impressions that leave a lasting awareness of "
                                             "the brand; fit it with simlib calibrate funnel"),
    "max_awareness_per_day": Param(0.05, "reach saturation: the awareness hazard unlimited spend approaches",
                                   "per day", low=1e-9,
                                   basis="assumption", plausible=(0.01, 0.1),
                                   source="assumption: reach saturation of a feed; fit it with simlib calibrate "
                                          "funnel"),
    "pond_routes": Param([], "routes into the pond from this channel: a list of {route, join_per_day, "
                             "join_on_purchase, cost_per_member_cny, every_days, min_orders}", "", list,
                             basis="structural"),
}


@register_policy("acquisition_mix")
class AcquisitionMix(Policy):
    """Ads on several public channels at once, each with its own budget over time, and routes
    from each channel into the pond; CAC per channel comes out of the ledger at the end.

    Per channel and day: budget B(day) from ``schedule`` (else ``budget_cny_per_day``), or a
    ``total_budget_cny`` spread over the active days by ``flighting`` (even, front-loaded, pulsed);
    impressions = B / cpm * 1000 (cpm) or B / cpc / click_through_rate (cpc); awareness hazard
    of the channel's unaware = cap * (1 - exp(-a * impressions / channel size / cap)) (reach
    saturation). Each pond route opens a joining hazard (``join_per_day``) and/or a chance per
    purchase (``join_on_purchase``) at ``cost_per_member_cny``. Summary: per channel,
    acquisition spend (ads + pond joining + referral on that channel, whoever posted it) and
    CAC = that spend / new buyers whose channel it is.
    """

    params = {
        "channels": Param({}, "per public channel (a key of market.channels): budget, pricing, saturation, "
                              "pond routes", "", dict, basis="structural"),
    }

    @classmethod
    def check(cls, params, source, path, market):
        chans = params["channels"]
        if not chans:
            raise ScenarioError(source, f"{path}.channels", "needs at least one channel: {NAME: {budget_cny_per_day, "
                                                              "cpm_cny, ...}}; NAME is a key of market.channels ("
                                + ", ".join(market["channels"]) + ")")
        out = {}
        for name, spec in chans.items():
            key = f"{path}.channels.{name}"
            cls.check_channel(str(name), source, key, market)
            spec = resolve(MIX_CHANNEL_PARAMS, spec, source, key)
            spec["schedule"] = _resolve_schedule(spec["schedule"], source, f"{key}.schedule", market)
            if spec["total_budget_cny"] is not None and (spec["schedule"] or spec["budget_cny_per_day"]):
                raise ScenarioError(source, f"{key}.total_budget_cny", "give either total_budget_cny (with flighting) "
                                                                       "or budget_cny_per_day/schedule, not both")
            spec["pond_routes"] = [_resolve_item(ROUTE_PARAMS, item, source, f"{key}.pond_routes[{i}]")
                                   for i, item in enumerate(spec["pond_routes"])]
            out[str(name)] = spec
        params["channels"] = out  # resolved in place: defaults filled in, nested lists checked

    def init(self):
        sim = self.sim
        self.specs = [(sim.channels.index(name), name, spec) for name, spec in self.p["channels"].items()]
        # budget per channel and day, computed once (the schedule is static)
        self.budget = np.zeros((len(self.specs), sim.days))
        for k, (_c, _name, spec) in enumerate(self.specs):
            self.budget[k, :] = _budget_by_day(spec["budget_cny_per_day"], spec["schedule"], sim.days)
            if spec["total_budget_cny"] is not None:
                self.budget[k, :] = spec["total_budget_cny"] * self._flighting(spec)
        self.impressions = np.zeros(len(self.specs))

    def _flighting(self, spec) -> np.ndarray:
        """Share of a total budget spent on each day of the run (sums to 1 over the active days)."""
        days = self.sim.days
        first = min(self.p["start_day"], days)
        last = days if self.p["end_day"] is None else min(days, self.p["end_day"] + 1)
        weight = np.zeros(days)
        age = np.arange(max(last - first, 0))
        if spec["flighting"] == "even":
            weight[first:last] = 1.0
        elif spec["flighting"] == "front_loaded":
            weight[first:last] = age.size - age
        else:
            weight[first:last] = (age % spec["pulse_every_days"]) < spec["pulse_days"]
        total = weight.sum()
        return weight / total if total else weight

    def act(self, day):
        sim = self.sim
        self.impressions[:] = 0.0
        for k, (c, name, spec) in enumerate(self.specs):
            budget = self.budget[k, day]
            if budget > 0:
                if spec["pricing"] == "cpm":
                    self.impressions[k] = budget / spec["cpm_cny"] * 1000.0
                else:
                    self.impressions[k] = budget / spec["cpc_cny"] / spec["click_through_rate"]
                _buy_reach(sim, c, self.impressions[k], spec["awareness_per_impression"], spec["max_awareness_per_day"])
                sim.ledger.post(day, "ad_spend", budget, source=self.name, channel=name)
            for route in spec["pond_routes"]:
                if (day - self.p["start_day"]) % route["every_days"] == 0:
                    _open_routes(sim.today, c, route["join_per_day"], route["join_on_purchase"],
                                 route["cost_per_member_cny"], route["min_orders"])

    def record(self, day):
        on = self.active(day)
        out = {}
        for k, (_c, name, _spec) in enumerate(self.specs):
            out[f"impressions.{name}"] = float(self.impressions[k]) if on else 0.0
            out[f"ad_spend_cny.{name}"] = float(self.budget[k, day]) if on else 0.0
        return out

    def finalize(self):
        return cac_by_channel(self.sim, [name for _c, name, _s in self.specs], prefix=f"{self.name}.")


def cac_by_channel(sim, channels=None, prefix: str = "") -> dict:
    """Per channel: acquisition spend (every marketing_acquisition posting on the channel), new
    buyers whose channel it is (simulated customers), and CAC = spend / real new buyers (NaN
    without new buyers): spend is CNY of the real market, each simulated buyer stands for
    ``pop.weight`` real ones, as in the run's ``cac_cny``."""
    pop = sim.pop
    new = np.bincount(pop.channel[pop.first_purchase_day >= 0], minlength=len(sim.channels))
    out = {}
    for name in channels if channels is not None else sim.channels:
        c = sim.channels.index(name)
        spend = sim.ledger.total(kind="marketing_acquisition", channel=name)
        out[f"{prefix}acquisition_spend_cny.{name}"] = spend
        out[f"{prefix}new_buyers.{name}"] = int(new[c])
        out[f"{prefix}cac_cny.{name}"] = float(spend / (new[c] * pop.weight)) if new[c] else float("nan")
    return out


def _resolve_item(schema, item, source, key) -> dict:
    if not isinstance(item, dict):
        raise ScenarioError(source, key, "expected a mapping with keys " + ", ".join(schema))
    return resolve(schema, item, source, key)
