"""Content to the pond: cadence and quality."""

from __future__ import annotations

from ..params import Param
from .base import Policy, register_policy


@register_policy("content_broadcast")
class ContentBroadcast(Policy):
    """Send every pond member ``messages_per_send`` posts every ``every_days`` days.

    ``quality`` 1 is useful content (builds trust and interest, tires little), 0 is a hard ad
    (tires fully, builds nothing). Past a customer's tolerance, fatigue grows: silence,
    lost interest, unsubscribes (see model.md).
    """

    params = {
        "every_days": Param(7, "days between sends", "days", int, low=1),
        "messages_per_send": Param(1, "posts per member per send", "messages", int, low=1, high=100),
        "quality": Param(0.7, "usefulness: 1 useful content, 0 hard ad", "0-1", low=0.0, high=1.0),
        "cost_cny_per_send": Param(0.0, "production cost of one send", "CNY", low=0.0),
    }

    def act(self, day):
        if (day - self.p["start_day"]) % self.p["every_days"]:
            return
        sim = self.sim
        self.sent = sim.message(sim.pond_members(), quality=self.p["quality"], count=self.p["messages_per_send"]).size
        sim.ledger.post(day, "content_production", self.p["cost_cny_per_send"], source=self.name)
