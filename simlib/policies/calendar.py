"""Calendar: shopping festivals and livestream sessions, as SimPy processes that wait for
their days.

A festival multiplies every purchase hazard (``today.purchase_multiplier``) and the
aware -> interested hazard (``today.interest_multiplier``) on its days and adds festival buzz
to the awareness hazard of every channel (``today.ad_awareness``); before it, a lull (people
wait for the sale) can lower purchases. A livestream session lifts the purchase and
interest hazards of the pond members who watch (``today.purchase_boost``,
``today.interest_boost``), reaches the public on its channel, and its call to join the
group moves aware viewers into the pond (``today.pond_entry``).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from ..errors import ScenarioError
from ..params import Param, resolve
from .acquisition import _open_routes
from .base import Policy, register_policy

FESTIVAL_SCHEMA = {
    "date": Param("11-11", "month-day of the main day, MM-DD", "", str, basis="business"),
    "days": Param(1, "days the sale lasts from the main day", "days", int, low=1, high=60, basis="business"),
    "warmup_days": Param(0, "pre-sale days before the main day, with warmup_multiplier", "days", int, low=0, high=60,
                         basis="business"),
    "warmup_multiplier": Param(1.3, "multiplier on purchase hazards during the pre-sale", "x", low=0.0,
                               basis="assumption", plausible=(1.0, 1.6),
                               source="assumption: pre-sales and deposits move some buying ahead of the main day; no "
                                      "measured pre-sale lift was found (docs/evidence.md s12)"),
    "lull_days": Param(0, "days before the pre-sale when people hold purchases for the sale", "days", int,
                       low=0, high=60,
                       basis="assumption", plausible=(0, 14),
                       source="assumption: people hold purchases for a sale they know is coming (cart pre-adds, "
                              "deposits), days not measured (docs/evidence.md s12)"),
    "lull_multiplier": Param(0.85, "multiplier on purchase hazards during the lull", "x", low=0.0,
                             basis="assumption", plausible=(0.6, 1.0),
                             source="assumption: the deferral before a sale is qualitative only (docs/evidence.md "
                                    "s12)"),
    "purchase_multiplier": Param(2.5, "multiplier on every purchase hazard on sale days", "x", low=0.0,
                                 source="category demand on a sale day: Double 11 2019 was ~15x an average day of Alibaba's marketplaces, the 2020 11-day event ~2.5x a day; one brand: assumption (docs/evidence.md s12)",
                                 basis="assumption", plausible=(1.5, 15.0)),
    "interest_multiplier": Param(1.5, "multiplier on aware -> interested on sale days", "x", low=0.0,
                                 basis="assumption", plausible=(1.0, 2.5),
                                 source="assumption: festival buzz turns the aware into the interested; no figure "
                                        "found"),
    "awareness_per_day": Param(0.0, "extra awareness hazard on every channel on sale days (festival buzz)",
                               "per day", low=0.0,
                               basis="assumption", plausible=(0.0, 0.01),
                               source="assumption (0: none): festival buzz on every channel"),
    "cost_cny": Param(0.0, "fixed cost of taking part (fees, decoration), booked on the main day", "CNY", low=0.0,
                      basis="business"),
}


def parse_date(text: str, source: str, key: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        raise ScenarioError(source, key, f"expected a date YYYY-MM-DD, got {text!r}") from None


def parse_month_day(text: str, source: str, key: str) -> tuple[int, int]:
    try:
        month, day = (int(x) for x in str(text).split("-"))
        dt.date(2024, month, day)   # a leap year, so 02-29 is allowed
        return month, day
    except ValueError:
        raise ScenarioError(source, key, f"expected a month-day MM-DD such as 11-11, got {text!r}") from None


def festival_days(start: dt.date, days: int, month: int, day: int) -> list[int]:
    """Run days (0 = ``start``) on which month-day falls, for every year the run touches."""
    out = []
    for year in range(start.year, start.year + days // 365 + 2):
        try:
            d = (dt.date(year, month, day) - start).days
        except ValueError:          # 29 February in a common year
            continue
        if 0 <= d < days:
            out.append(d)
    return out


@register_policy("festival_calendar")
class FestivalCalendar(Policy):
    """Shopping festivals on the calendar (618, Double 11, Double 12 by default), placed on run
    days from ``start_date`` (the date of day 0). Multipliers of overlapping festivals
    multiply. Defaults are assumptions to tune, not reported figures.
    """

    params = {
        "start_date": Param("2025-01-01", "calendar date of day 0 of the run, YYYY-MM-DD", "", str, basis="business"),
        "festivals": Param({
            "618": {"date": "06-18", "days": 1, "warmup_days": 3, "lull_days": 5, "purchase_multiplier": 3.0},
            "double_11": {"date": "11-11", "days": 1, "warmup_days": 7, "lull_days": 7, "purchase_multiplier": 5.0,
                          "interest_multiplier": 2.0},
            "double_12": {"date": "12-12", "days": 1, "warmup_days": 2, "purchase_multiplier": 1.8},
        }, "festivals by name, each {date MM-DD, days, warmup_days, warmup_multiplier, lull_days, lull_multiplier, "
           "purchase_multiplier, interest_multiplier, awareness_per_day, cost_cny}", "", dict, basis="business"),
    }

    @classmethod
    def check(cls, params, source, path, market):
        parse_date(params["start_date"], source, f"{path}.start_date")
        out = {}
        for name, spec in params["festivals"].items():
            key = f"{path}.festivals.{name}"
            spec = resolve(FESTIVAL_SCHEMA, spec, source, key)
            parse_month_day(spec["date"], source, f"{key}.date")
            out[str(name)] = spec
        params["festivals"] = out

    def init(self):
        """Build the day -> (purchase x, interest x, awareness +, cost, on sale) table."""
        start = dt.date.fromisoformat(self.p["start_date"])
        days = self.sim.days
        self.purchase = np.ones(days)
        self.interest = np.ones(days)
        self.awareness = np.zeros(days)
        self.cost = np.zeros(days)
        self.sale = np.zeros(days, bool)
        self.main_days: dict[str, list[int]] = {}
        for name, f in self.p["festivals"].items():
            month, mday = (int(x) for x in f["date"].split("-"))
            self.main_days[name] = festival_days(start, days, month, mday)
            for d0 in self.main_days[name]:
                sale = slice(d0, min(d0 + f["days"], days))
                warm = slice(max(d0 - f["warmup_days"], 0), d0)
                lull = slice(max(d0 - f["warmup_days"] - f["lull_days"], 0), max(d0 - f["warmup_days"], 0))
                self.purchase[sale] *= f["purchase_multiplier"]
                self.interest[sale] *= f["interest_multiplier"]
                self.awareness[sale] += f["awareness_per_day"]
                self.sale[sale] = True
                self.purchase[warm] *= f["warmup_multiplier"]
                self.purchase[lull] *= f["lull_multiplier"]
                self.cost[d0] += f["cost_cny"]

    def act_days(self):
        """Only the days the calendar changes something."""
        marked = (self.purchase != 1) | (self.interest != 1) | (self.awareness != 0) | (self.cost != 0)
        active = self.active_days()
        return [int(day) for day in np.flatnonzero(marked) if day in active]

    def act(self, day):
        t = self.sim.today
        t.purchase_multiplier *= self.purchase[day]
        t.interest_multiplier *= self.interest[day]
        t.ad_awareness += self.awareness[day]
        if self.cost[day]:
            self.sim.ledger.post(day, "events", self.cost[day], source=self.name)

    def record(self, day):
        on = self.active(day)
        return {"purchase_multiplier": float(self.purchase[day]) if on else 1.0,
                "on_sale": int(bool(self.sale[day]) and on)}

    def finalize(self):
        return {f"{self.name}.sale_days": int(np.count_nonzero(self.sale))}


@register_policy("livestream")
class Livestream(Policy):
    """Livestream sessions: every ``every_days`` days from ``start_day`` (or on the listed
    ``session_days``). A share ``pond_reach_share`` of pond members watch (keyed draw per member
    and session); watching lifts their purchase hazard by ``purchase_effect`` and their
    interest by ``interest_effect`` (log) that day. On ``channel`` the session reaches the
    public: extra awareness hazard ``public_awareness_per_day`` for the unaware there, and its
    call to join the group is a pond-entry hazard ``pond_entry_per_day`` for aware viewers.
    Each session costs ``cost_cny_per_session`` (booked to ``events``).
    """

    params = {
        "every_days": Param(7, "days between sessions", "days", int, low=1, basis="business"),
        "session_days": Param([], "explicit run days of the sessions (overrides every_days when not empty)", "days",
                              list, basis="business"),
        "pond_reach_share": Param(0.2, "share of pond members who watch a session", "share", low=0.0, high=1.0,
                                  basis="assumption", plausible=(0.05, 0.4),
                                  source="assumption: no watch share of a brand's own pond was found; "
                                         "docs/domain.md's host keeps ~60 % of 100k fans 'highly active', an upper "
                                         "bound"),
        "purchase_effect": Param(1.5, "log-lift on a viewer's purchase hazard on the session day (a session is a sales event: offers, demonstrations, limited stock)", "log", low=0.0,
                                 source="seller-level sales +21.8 % after adopting livestreams (Chen et al., HICSS; "
                                        "journal version 2019) and +22.9 % a day per extra stream (Wang, UBC thesis "
                                        "2024, 167 apparel brands): with 20-30 % of the pond watching, a viewer "
                                        "lift of ~e^1.5, a seller-level figure read per viewer; tested 0.7-2.3 "
                                        "(docs/evidence.md s10)",
                                 basis="published", plausible=(0.7, 2.3)),
        "interest_effect": Param(0.7, "log-lift on a viewer's aware -> interested hazard", "log", low=0.0,
                                 source="assumption, tested 0-1.4", basis="assumption", plausible=(0.0, 1.4)),
        "channel": Param(None, "public channel the session streams on (null: pond only)", "", str, nullable=True,
                         basis="structural"),
        "public_awareness_per_day": Param(0.005, "extra awareness hazard on the channel on session days",
                                          "per day", low=0.0,
                                          basis="assumption", plausible=(0.0, 0.02),
                                          source="assumption: a session's reach outside the pond; fit it with simlib "
                                                 "calibrate funnel"),
        "pond_entry_per_day": Param(0.02, "hazard that an aware-or-later customer on the channel joins the pond on a "
                                          "session day (the host's call to join the group)", "per day", low=0.0,
                                          basis="assumption", plausible=(0.005, 0.05),
                                          source="assumption: the share of viewers who answer the host's call to "
                                                 "join; docs/domain.md's 3,000-5,000 joins a day in the early phase "
                                                 "is a scale, not a rate"),
        "cost_per_pond_member_cny": Param(0.0, "cost of each member who joins from the session", "CNY", low=0.0,
                                          basis="business"),
        "pond_entry_min_orders": Param(0, "orders a viewer needs before the call admits them to the pond", "orders",
                                       int, low=0, high=1000, basis="business"),
        "cost_cny_per_session": Param(3000.0, "cost of one session (host, studio, samples)", "CNY", low=0.0,
                                      basis="business"),
    }

    @classmethod
    def check(cls, params, source, path, market):
        if params["channel"] is not None:
            cls.check_channel(params["channel"], source, f"{path}.channel", market)
        days = params["session_days"]
        spec = Param(0, "", kind=int, low=0)
        params["session_days"] = sorted({spec.check(d, source, f"{path}.session_days[{i}]") for i, d in enumerate(days)})

    def init(self):
        self.c = None if self.p["channel"] is None else self.sim.channels.index(self.p["channel"])
        self.viewers, self.viewers_day = 0, -1
        self.total_viewers = 0
        self.sessions = 0

    def session_days(self) -> list[int]:
        active = self.active_days()
        if self.p["session_days"]:
            return [d for d in self.p["session_days"] if d in active]
        return list(active[::self.p["every_days"]])

    def act_days(self):
        return self.session_days()

    def act(self, day):
        """A session."""
        sim, p, t = self.sim, self.p, self.sim.today
        pond = sim.pond_members()
        watch = pond[sim.rng.uniform(f"{self.name}:watch", day, pond) < p["pond_reach_share"]]
        if watch.size:
            if p["purchase_effect"]:
                t.touch("purchase_boost")[watch] += np.float32(p["purchase_effect"])
            if p["interest_effect"]:
                t.touch("interest_boost")[watch] += np.float32(p["interest_effect"])
        if self.c is not None:
            t.ad_awareness[self.c] += p["public_awareness_per_day"]
            _open_routes(t, self.c, p["pond_entry_per_day"], 0.0, p["cost_per_pond_member_cny"],
                         p["pond_entry_min_orders"])
        sim.ledger.post(day, "events", p["cost_cny_per_session"], source=self.name)
        self.viewers, self.viewers_day = int(watch.size), day
        self.total_viewers += int(watch.size)
        self.sessions += 1

    def record(self, day):
        return {"viewers": self.viewers if self.viewers_day == day else 0}

    def finalize(self):
        return {f"{self.name}.sessions": self.sessions, f"{self.name}.viewers": self.total_viewers}
