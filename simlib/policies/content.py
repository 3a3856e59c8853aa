"""Content to the pond: cadence per channel, quality, and stage-specific sequences (SOPs).

Content acts through two per-customer inputs of the behaviour model (``Sim.message``):
usefulness (quality x the customer's content affinity) builds trust and interest and wakes
the dormant; load tires, and fatigue above the customer's weekly tolerance lowers purchase,
raises lost interest, silence and unsubscribes. Useful content tires less than ads
(``behavior.useful_relief``). So quality beats quantity by construction, and too much of
anything, or ads alone, ends in silence and unsubscribes.
"""

from __future__ import annotations

import numpy as np

from ..errors import ScenarioError
from ..params import Param, resolve
from ..population import AWARE, INTERESTED, LOYAL, PURCHASED
from .base import MESSAGE_EFFECTS, USEFUL_CONTACT_EFFECTS, Policy, register_policy


@register_policy("content_broadcast")
class ContentBroadcast(Policy):
    """Send every pond member ``messages_per_send`` posts every ``every_days`` days.

    ``quality`` 1 is useful content (builds trust and interest, tires little), 0 is a hard ad
    (tires fully, builds nothing). Past a customer's tolerance, fatigue grows: silence,
    lost interest, unsubscribes (see docs/model.md).
    """

    acts_through = MESSAGE_EFFECTS + USEFUL_CONTACT_EFFECTS + ("useful_relief",)
    params = {
        "every_days": Param(7, "days between sends", "days", int, low=1, basis="business"),
        "messages_per_send": Param(1, "posts per member per send", "messages", int, low=1, high=100, basis="business"),
        "quality": Param(0.7, "usefulness: 1 useful content, 0 hard ad", "0-1", low=0.0, high=1.0, basis="business"),
        "cost_cny_per_send": Param(0.0, "production cost of one send", "CNY", low=0.0, basis="business"),
        "interest_effect": Param(0.0, "log-lift on aware -> interested on the day of a send (a call to look)", "log",
                                 source="assumption (0: a post acts through usefulness alone); a call to look on the "
                                        "day, tested 0-0.5",
                                 low=0.0,
                                 basis="assumption", plausible=(0.0, 0.5)),
        "purchase_effect": Param(0.0, "log-lift on purchase on the day of a send (a call to buy)", "log", low=0.0,
                                 source="assumption (0: none); a reminder that features a product, tested 0-0.6",
                                 basis="assumption", plausible=(0.0, 0.6)),
    }

    sends = True

    def act(self, day):
        if not self.sends_on(day):
            return
        sim = self.sim
        to = sim.message(self.recipients(sim.pond_members()), quality=self.p["quality"],
                         count=self.p["messages_per_send"])
        _nudge(sim, to, self.p["interest_effect"], self.p["purchase_effect"])
        self.sent = to.size
        sim.ledger.post(day, "content_production", self.p["cost_cny_per_send"], source=self.name)


def _nudge(sim, idx, interest_effect: float, purchase_effect: float) -> None:
    """Today's log-lifts from a post that calls to look or to buy."""
    if interest_effect and idx.size:
        sim.today.touch("interest_boost")[idx] += np.float32(interest_effect)
    if purchase_effect and idx.size:
        sim.today.touch("purchase_boost")[idx] += np.float32(purchase_effect)


CHANNEL_SCHEMA = {
    "every_days": Param(7, "days between posts on this channel", "days", int, low=1, basis="business"),
    "messages_per_send": Param(1, "posts each time", "messages", int, low=1, high=100, basis="business"),
    "quality": Param(0.7, "usefulness: 1 useful content, 0 hard ad", "0-1", low=0.0, high=1.0, basis="business"),
    "reach_share": Param(1.0, "share of pond members who see a post (opened, scrolled past)", "share", low=0.0, high=1.0,
                         basis="assumption", plausible=(0.1, 1.0),
                         source="assumption: the share of members who see a post (an official account's opens, a "
                                "Moments feed scrolled past); the team's back office reports its own"),
    "offset_days": Param(0, "first post this many days after the policy starts", "days", int, low=0, basis="business"),
    "cost_cny_per_send": Param(0.0, "production cost of one post", "CNY", low=0.0, basis="business"),
    "interest_effect": Param(0.0, "log-lift on aware -> interested on the day a member sees a post", "log", low=0.0,
                               source="assumption (0: a post acts through usefulness alone); a call to look on the "
                                      "day, tested 0-0.5",
                               basis="assumption", plausible=(0.0, 0.5)),
    "purchase_effect": Param(0.0, "log-lift on purchase on the day a member sees a post", "log", low=0.0,
                               source="assumption (0: none); a post that features a product, tested 0-0.6",
                               basis="assumption", plausible=(0.0, 0.6)),
}


@register_policy("content_channels")
class ContentChannels(Policy):
    """Cadence per owned channel: each channel (official account, groups, Moments, ...) posts
    ``messages_per_send`` pieces of ``quality`` every ``every_days`` days, seen by a share
    ``reach_share`` of pond members (a keyed draw per member and post, so arms share who
    would have seen it). Each post seen is one message (``Sim.message``).
    """

    acts_through = MESSAGE_EFFECTS + USEFUL_CONTACT_EFFECTS + ("useful_relief",)
    params = {
        "channels": Param({
            "official_account": {"every_days": 7, "quality": 0.8, "reach_share": 0.3, "cost_cny_per_send": 500.0},
            "groups": {"every_days": 2, "quality": 0.6, "reach_share": 0.5, "cost_cny_per_send": 50.0},
            "moments": {"every_days": 3, "quality": 0.5, "reach_share": 0.4, "cost_cny_per_send": 30.0},
        }, "owned channels by name, each {every_days, messages_per_send, quality, reach_share, offset_days, "
           "cost_cny_per_send}", "", dict, basis="structural"),
    }

    @classmethod
    def check(cls, params, source, path, market):
        channels = params["channels"]
        if not channels:
            raise ScenarioError(source, f"{path}.channels", "needs at least one channel")
        params["channels"] = {str(k): resolve(CHANNEL_SCHEMA, v, source, f"{path}.channels.{k}")
                              for k, v in channels.items()}

    def init(self):
        self.sent = {}

    def act(self, day):
        sim = self.sim
        self.sent = {}
        pond = None
        for name, ch in self.p["channels"].items():
            since = day - self.p["start_day"] - ch["offset_days"]
            if since < 0 or since % ch["every_days"]:
                continue
            pond = sim.pond_members() if pond is None else pond
            seen = pond if ch["reach_share"] >= 1 else \
                pond[sim.rng.uniform(f"{self.name}:{name}", day, pond) < ch["reach_share"]]
            to = sim.message(seen, quality=ch["quality"], count=ch["messages_per_send"])
            _nudge(sim, to, ch["interest_effect"], ch["purchase_effect"])
            self.sent[name] = int(to.size) * ch["messages_per_send"]
            sim.ledger.post(day, "content_production", ch["cost_cny_per_send"], source=self.name, channel=name)

    def record(self, day):
        return {f"sent_{name}": self.sent.get(name, 0) for name in self.p["channels"]}


NO_STEP = np.int16(32767)  # a day that never comes
# kinds of SOP step: usefulness of the message, and the extra log-lifts it gives on the day
STEP_KINDS = {
    "value": (0.9, 0.3, 0.0),           # product value: useful, builds interest
    "price": (0.5, 0.2, 0.1),           # the price argument
    "limited_offer": (0.2, 0.0, 0.5),   # urgency: a push to buy now
    "usage_feedback": (0.9, 0.0, 0.0),  # how is it going? useful after a purchase
    "add_on": (0.5, 0.0, 0.3),          # recommend the next product: a push to repurchase
    "ambassador": (0.8, 0.0, 0.1),      # a title, a story with the brand, an invitation
    "useful": (1.0, 0.0, 0.0),
    "ad": (0.0, 0.0, 0.0),
}
SEGMENTS = {"not_yet_paid": (AWARE, INTERESTED), "paid": (PURCHASED,), "loyal": (LOYAL,)}
STEP_SCHEMA = {
    "kind": Param("value", "what the step is", "", str, choices=tuple(STEP_KINDS), basis="structural"),
    "wait_days": Param(3, "days after the previous step (or after entering the stage) before this one", "days",
                       int, low=0, high=3650, basis="business"),
    "quality": Param(None, "usefulness; default by kind", "0-1", low=0.0, high=1.0, nullable=True, basis="business"),
    "interest_effect": Param(None, "log-lift on aware -> interested on the day; default by kind", "log", source="assumption: the SOP defaults by kind, tested 0-1",
                             low=0.0, nullable=True, basis="assumption", plausible=(0.0, 1.0)),
    "purchase_effect": Param(None, "log-lift on purchase on the day; default by kind", "log", low=0.0, nullable=True,
                              source="assumption: the SOP defaults by kind, tested 0-1",
                              basis="assumption", plausible=(0.0, 1.0)),
}


@register_policy("stage_sequence")
class StageSequence(Policy):
    """Stage-specific SOP sequences for pond members (docs/domain.md): not yet paid (aware or
    interested): value -> price -> limited offer; paid (one order): usage feedback -> add-on;
    loyal: ambassador. A member starts the sequence of their stage when they enter it (or
    the pond); each step waits ``wait_days`` after the previous one, then sends one message of
    the step's quality with its interest/purchase log-lifts on that day. With ``repeat`` the
    sequence starts over after its last step; otherwise the member waits for the next stage.
    """

    acts_through = MESSAGE_EFFECTS + USEFUL_CONTACT_EFFECTS + ("useful_relief",)
    params = {
        "sequences": Param({
            "not_yet_paid": [{"kind": "value", "wait_days": 1}, {"kind": "price", "wait_days": 3},
                             {"kind": "limited_offer", "wait_days": 3}],
            "paid": [{"kind": "usage_feedback", "wait_days": 3}, {"kind": "add_on", "wait_days": 10}],
            "loyal": [{"kind": "ambassador", "wait_days": 7}],
        }, "steps per segment (not_yet_paid, paid, loyal), each {kind, wait_days, quality, interest_effect, "
           "purchase_effect}", "", dict, basis="structural"),
        "repeat": Param(True, "start a segment's sequence over after its last step", "", bool, basis="structural"),
    }

    @classmethod
    def check(cls, params, source, path, market):
        seqs = params["sequences"]
        for seg in seqs:
            if seg not in SEGMENTS:
                from ..errors import did_you_mean
                raise ScenarioError(source, f"{path}.sequences.{seg}", "unknown segment." + did_you_mean(seg, SEGMENTS)
                                    + " Allowed: " + ", ".join(SEGMENTS))
        out = {}
        for seg, steps in seqs.items():
            key = f"{path}.sequences.{seg}"
            if not isinstance(steps, list) or not steps:
                raise ScenarioError(source, key, "expected a non-empty list of steps such as {kind: value, wait_days: 3}")
            if len(steps) > 100:
                raise ScenarioError(source, key, "at most 100 steps")
            resolved = []
            for i, step in enumerate(steps):
                s = resolve(STEP_SCHEMA, step, source, f"{key}[{i}]")
                q, ie, pe = STEP_KINDS[s["kind"]]
                s["quality"] = q if s["quality"] is None else s["quality"]
                s["interest_effect"] = ie if s["interest_effect"] is None else s["interest_effect"]
                s["purchase_effect"] = pe if s["purchase_effect"] is None else s["purchase_effect"]
                resolved.append(s)
            if params["repeat"] and sum(s["wait_days"] for s in resolved) == 0:
                raise ScenarioError(source, key, "a repeating sequence needs at least one step with wait_days > 0")
            out[seg] = resolved
        params["sequences"] = out

    def init(self):
        pop = self.sim.pop
        self.segs = list(self.p["sequences"])
        self.stage_to_seg = np.full(8, -1, np.int8)
        for k, seg in enumerate(self.segs):
            for stage in SEGMENTS[seg]:
                self.stage_to_seg[stage] = k
        self.seg = pop.add_sparse(f"{self.name}__segment", np.int8, -1)   # sequence the member is in
        self.pos = pop.add_sparse(f"{self.name}__position", np.int8, 0)   # next step (at most 100 steps: checked)
        self.due = pop.add_sparse(f"{self.name}__due", np.int16, NO_STEP)  # day the next step is due
        self.sent = {}
        self.keep_log = False
        self.log: list[tuple[int, np.ndarray, str, int]] = []  # (day, idx, segment, step) sent

    def act(self, day):
        sim, pop = self.sim, self.sim.pop
        self.sent = {}
        pond = sim.pond_members()
        seg = self.stage_to_seg[pop.stage[pond]]
        moved = pond[seg != self.seg[pond]]
        if moved.size:
            new_seg = self.stage_to_seg[pop.stage[moved]]
            self.seg[moved] = new_seg
            self.pos[moved] = 0
            first_wait = np.array([self.p["sequences"][s][0]["wait_days"] for s in self.segs] + [0])
            self.due[moved] = np.where(new_seg >= 0, day + first_wait[new_seg], NO_STEP)
        ready = pond[self.due[pond] <= day]
        if not ready.size:
            return
        s_ready, p_ready = self.seg[ready], self.pos[ready]
        for k, name in enumerate(self.segs):
            steps = self.p["sequences"][name]
            for j, step in enumerate(steps):
                who = ready[(s_ready == k) & (p_ready == j)]
                if not who.size:
                    continue
                to = sim.message(who, quality=step["quality"])
                _nudge(sim, to, step["interest_effect"], step["purchase_effect"])
                label = f"{name}.{j + 1}_{step['kind']}"
                self.sent[label] = self.sent.get(label, 0) + int(to.size)
                if self.keep_log:
                    self.log.append((day, to, name, j))
                nxt = j + 1
                if nxt < len(steps):
                    self.pos[who] = nxt
                    self.due[who] = day + max(steps[nxt]["wait_days"], 1 if nxt == 0 else 0)
                elif self.p["repeat"]:
                    self.pos[who] = 0
                    self.due[who] = day + max(steps[0]["wait_days"], 1)
                else:
                    self.pos[who] = nxt
                    self.due[who] = NO_STEP

    def record(self, day):
        row = {}
        for name in self.segs:
            for j, step in enumerate(self.p["sequences"][name]):
                label = f"{name}.{j + 1}_{step['kind']}"
                row[f"sent_{label}"] = self.sent.get(label, 0)
        return row
