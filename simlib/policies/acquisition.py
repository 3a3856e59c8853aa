"""Acquisition in the public domain: buy reach on a channel, move people into the pond."""

from __future__ import annotations

import numpy as np

from ..params import Param
from .base import Policy, register_policy


@register_policy("paid_acquisition")
class PaidAcquisition(Policy):
    """Ads on one public channel: budget -> impressions -> awareness (saturating), cost booked.

    Impressions per channel member f = budget / cpm * 1000 / channel size; the awareness
    hazard for the unaware is max_awareness_per_day * (1 - exp(-awareness_per_impression * f
    / max_awareness_per_day)): linear at low spend, saturating at high spend. The same ads
    nudge aware customers to interest (``behavior.ad_interest_ratio``). Aware customers on
    the channel join the pond at ``pond_entry_per_day`` ("add staff for a gift"), each at
    ``cost_per_pond_member_cny``; buyers join with ``pond_entry_on_purchase`` (package insert).
    """

    params = {
        "channel": Param("douyin", "public channel the ads run on (a key of market.channels)", "", str),
        "budget_cny_per_day": Param(2000.0, "ad budget, spent in full each active day", "CNY per day", low=0.0),
        "cpm_cny": Param(40.0, "cost per thousand impressions", "CNY", low=1e-6),
        "awareness_per_impression": Param(0.01, "chance one impression makes an unaware person aware", "probability", low=0.0, high=1.0),
        "max_awareness_per_day": Param(0.05, "saturation: awareness hazard reached with unlimited spend", "per day", low=1e-9),
        "pond_entry_per_day": Param(0.0, "hazard that an aware-or-later customer on the channel joins the pond", "per day", low=0.0),
        "pond_entry_on_purchase": Param(0.0, "chance a buyer on the channel joins the pond at purchase", "probability", low=0.0, high=1.0),
        "cost_per_pond_member_cny": Param(0.0, "cost of each member moved into the pond (gift, staff time)", "CNY", low=0.0),
    }

    @classmethod
    def check(cls, params, source, path, market):
        cls.check_channel(params["channel"], source, f"{path}.channel", market)

    def init(self):
        self.c = self.sim.channels.index(self.p["channel"])
        self.impressions = 0.0

    def act(self, day):
        p, t = self.p, self.sim.today
        size = max(int(self.sim.pop.channel_size[self.c]), 1)
        self.impressions = p["budget_cny_per_day"] / p["cpm_cny"] * 1000.0
        per_member = self.impressions / size
        cap = p["max_awareness_per_day"]
        t.ad_awareness[self.c] += cap * -np.expm1(-p["awareness_per_impression"] * per_member / cap)
        t.pond_entry[self.c] += p["pond_entry_per_day"]
        t.pond_entry_cost[self.c] += p["pond_entry_per_day"] * p["cost_per_pond_member_cny"]
        t.pond_on_purchase[self.c] = 1 - (1 - t.pond_on_purchase[self.c]) * (1 - p["pond_entry_on_purchase"])
        t.pond_on_purchase_cost[self.c] += p["pond_entry_on_purchase"] * p["cost_per_pond_member_cny"]
        self.sim.ledger.post(day, "ad_spend", p["budget_cny_per_day"], source=self.name, channel=p["channel"])

    def record(self, day):
        return {"impressions": self.impressions if self.active(day) else 0.0}
