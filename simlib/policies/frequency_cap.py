"""A per-customer limit on every message the brand sends, as SCRM tools enforce it."""

from __future__ import annotations

import numpy as np

from ..errors import ScenarioError
from ..params import Param
from .base import MESSAGE_EFFECTS, Policy, register_policy


@register_policy("frequency_cap")
class FrequencyCap(Policy):
    """No pond member receives more than ``max_messages_per_week`` messages from the brand in
    a calendar week (days 0-6, 7-13, ...), whoever sends them: broadcasts, journeys, coupons'
    announcements, staff chats, group posts (members' own chatter in a group is not the
    brand's and is not counted). Messages over the limit are not sent. Senders are served in
    the order the scenario lists them, as a shared SCRM quota is used first come, first served.
    A policy's own cap (a journey's, a broadcast's) still applies on top.
    """

    acts_through = MESSAGE_EFFECTS
    params = {
        "max_messages_per_week": Param(3, "messages one customer may receive from the brand per calendar week",
                                       "messages per week", int, low=0, high=1000, basis="business"),
    }

    @classmethod
    def check(cls, params, source, path, market):
        if params["start_day"] or params["end_day"] is not None:
            raise ScenarioError(source, path, "a frequency cap holds for the whole run: remove start_day/end_day")

    def init(self):
        sim = self.sim
        if getattr(sim, "message_cap", None) is not None:
            raise ScenarioError(sim.scenario.source, f"policies.{self.name}",
                                f"only one frequency_cap policy per scenario ({sim.message_cap.name!r} is another)")
        pop = sim.pop
        self.week = pop.add_sparse(f"{self.name}__week", np.int16, -1)        # week of the count below
        # messages received that week: at most the cap, so one byte holds it up to 255
        self.count = pop.add_sparse(f"{self.name}__count",
                                   np.uint8 if self.p["max_messages_per_week"] <= 255 else np.uint16, 0)
        self.blocked_today = self.blocked = 0
        sim.message_cap = self

    def allow(self, idx: np.ndarray, count: int, day: int) -> np.ndarray:
        """Boolean mask of ``idx`` (unique) who may receive ``count`` more messages today; counts them."""
        week = day // 7
        stale = self.week[idx] != week
        self.count[idx[stale]] = 0
        self.week[idx[stale]] = week
        ok = self.count[idx].astype(np.int64) + count <= self.p["max_messages_per_week"]
        self.count[idx[ok]] += self.count.dtype.type(count)   # ok: the sum stays within the cap
        n_blocked = int(idx.size - np.count_nonzero(ok))
        self.blocked_today += n_blocked
        self.blocked += n_blocked
        return ok

    def record(self, day):
        row = {"blocked": self.blocked_today}
        self.blocked_today = 0
        return row

    def finalize(self):
        return {f"{self.name}.blocked_messages": self.blocked}
