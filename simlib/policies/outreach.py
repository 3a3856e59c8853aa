"""Outreach: one-to-one chats by a limited staff, and group broadcasts with per-customer caps.

Staff are a ``simpy.PriorityResource`` (capacity = staff members). Chat tasks are queued in
the ACT phase (by this policy's own rules, or by any other policy through ``assign``); in
the OUTREACH phase the queue is sorted by priority and cut into batches of one staff day;
each batch is a SimPy process that must acquire a staff member, holds them while it chats
(``chats_per_staff_per_day`` per OUTREACH window) and releases them. Batches still waiting
at OUTREACH_END are dropped and counted, so queueing and dropped tasks are real.
"""

from __future__ import annotations

import numpy as np
import simpy

from ..errors import ScenarioError, did_you_mean, short_repr
from ..params import Param
from ..population import DORMANT, INTERESTED, LOST, LOYAL, NEVER, PURCHASED, STAGES
from .base import (CHAT_EFFECTS, MESSAGE_EFFECTS, USEFUL_CONTACT_EFFECTS, Policy,
                   check_reference, register_policy)

TASK_STAGES = ("interested", "purchased", "loyal", "dormant")


@register_policy("staff_chats")
class StaffChats(Policy):
    """One-to-one chats by staff: revisits on the repurchase cycle, wake-up chats, prospects.

    Tasks each day (pond members only, one task per customer per day):
    - revisit: purchased/loyal customers whose last purchase or chat is at least
      ``repurchase_cycle_days / revisits_per_cycle`` days ago ("a monthly product gets a touch
      weekly"), for at most ``revisit_for_cycles`` cycles after the last purchase;
    - wake-up: dormant customers not chatted for ``wake_dormant_every_days`` days;
    - prospect: interested (not yet paid) customers not chatted for ``prospect_every_days``;
    - plus tasks other policies ``assign`` (e.g. complaints, journeys).
    Priority follows ``priority_segments`` (segments or tags of the scenario's ``segments``
    policy, served first in that order), then ``priority_by_stage`` (first = served first);
    ties are broken by a keyed draw, so the same customers win in every arm. A served task is a ``sim.chat``: a useful
    personal message (trust, interest, purchase and wake-up effects in the behaviour model)
    that also counts against the customer's message tolerance. Staff cost is booked daily.
    """

    acts_through = CHAT_EFFECTS
    params = {
        "staff_members": Param(3, "staff looking after the pond (capacity of the chat resource)", "people", int, low=0, high=10_000,
                               basis="business"),
        "chats_per_staff_per_day": Param(60, "one-to-one chats one staff member completes in a day", "chats per day", int, low=1, high=10_000,
                                         basis="business"),
        "staff_cost_cny_per_day": Param(300.0, "cost of one staff member per day (wage, tools)", "CNY per day", low=0.0,
                                        basis="business"),
        "repurchase_cycle_days": Param(30.0, "the product's repurchase cycle", "days", low=1.0, basis="business"),
        "revisits_per_cycle": Param(4.0, "chats per repurchase cycle (4 for a monthly product: weekly)", "per cycle", low=0.0,
                                    basis="business"),
        "revisit_for_cycles": Param(3.0, "stop revisiting this many cycles after the last purchase", "cycles", low=0.0,
                                    basis="business"),
        "wake_dormant_every_days": Param(30, "days between wake-up chats to a dormant customer (0: none)", "days", int, low=0,
                                         basis="business"),
        "prospect_every_days": Param(0, "days between chats to an interested, not yet paid customer (0: none)", "days", int, low=0,
                                     basis="business"),
        "priority_by_stage": Param(["loyal", "purchased", "dormant", "interested"],
                                   "stages in the order staff serve them (stages not listed are not served)", "", list,
                                   basis="business"),
        "priority_segments": Param([], "segments or tags of the scenario's segments policy served before the rest, "
                                       "in this order (stage order applies within each)", "", list, basis="business"),
        "attribution_days": Param(7, "an order within this many days after a chat counts as a chat conversion", "days", int, low=0, high=365,
                                  basis="structural"),
    }

    @classmethod
    def check(cls, params, source, path, market):
        order = params["priority_by_stage"]
        for i, s in enumerate(order):
            if s not in TASK_STAGES:
                raise ScenarioError(source, f"{path}.priority_by_stage[{i}]",
                                    f"unknown stage {s!r}; allowed: " + ", ".join(TASK_STAGES))
        if len(set(order)) != len(order):
            raise ScenarioError(source, f"{path}.priority_by_stage", "lists a stage twice")

    @classmethod
    def check_references(cls, name, params, enabled, source):
        if not params["priority_segments"]:
            return
        from .segments import FALLBACK_SEGMENTS
        key = f"policies.{name}.priority_segments"
        segments = next((p for p in enabled.values() if p["type"] == "segments"), None)
        if segments is None:
            raise ScenarioError(source, key, "needs an enabled policy of type segments in the scenario")
        known = list(segments["segments"]) + list(FALLBACK_SEGMENTS) + list(segments["tags"])
        for i, target in enumerate(params["priority_segments"]):
            if target not in known:
                raise ScenarioError(source, f"{key}[{i}]", f"unknown segment or tag {short_repr(target)}."
                                    + did_you_mean(target, known) + " Known: " + ", ".join(known))

    def init(self):
        sim, p = self.sim, self.p
        self.staff = simpy.PriorityResource(sim.env, capacity=max(p["staff_members"], 1))
        self.last_chat_day = sim.pop.add_sparse(f"{self.name}_last_chat_day", np.int16, NEVER)
        self.rank = np.full(len(STAGES), 127, np.int8)  # stage -> priority class (127: not served)
        for i, s in enumerate(p["priority_by_stage"]):
            self.rank[STAGES.index(s)] = i
        self.segments = None
        if p["priority_segments"]:            # checked against the segments policy at validation
            from .segments import find_segments
            self.segments = find_segments(sim)
        self._assigned: list[tuple[np.ndarray, int]] = []
        self._own = None   # today's own tasks, from ACT to OUTREACH
        # a staff member's chats are with real customers: so many of the simulated ones a day
        self.capacity_per_staff = max(int(round(p["chats_per_staff_per_day"] / sim.pop.weight)), 1) \
            if p["chats_per_staff_per_day"] else 0
        self._counts = dict.fromkeys(("tasks_queued", "chats_served", "tasks_dropped", "chat_orders"), 0)
        self.totals = {k: 0.0 for k in self._counts}

    # --- what other policies call ----------------------------------------------------------
    def assign(self, idx: np.ndarray, priority: int = -1) -> None:
        """Queue chat tasks for ``idx`` today (call in the ACT phase). Lower priority numbers are
        served first; own tasks have 16 * (segment rank) + (stage rank), both from 0, so the
        default -1 puts these tasks ahead of all of them."""
        self._assigned.append((np.asarray(idx, np.int64), int(priority)))

    def served_today(self, idx: np.ndarray, day: int) -> np.ndarray:
        """Boolean mask: was each of ``idx`` chatted by this team on ``day``?"""
        return self.last_chat_day[idx] == day

    # --- lifecycle --------------------------------------------------------------------------
    def act_days(self):
        """Every day from ``start_day``: tasks assigned after ``end_day`` are dropped, not kept."""
        return range(self.p["start_day"], self.sim.days)

    def act(self, day):
        if not self.active(day):
            self._assigned = []
            self._own = None
            return
        self._counts = {k: 0 for k in self._counts}
        self._own = self._due(day)

    def outreach(self, day):
        if self._own is not None:
            self._serve(day, self._own)
            self._own = None

    def react(self, day):
        self._conversions(day)
        self.sim.ledger.post(day, "staff", self.p["staff_members"] * self.p["staff_cost_cny_per_day"],
                             source=self.name)
        for k, v in self._counts.items():
            self.totals[k] += v

    def _due(self, day: int) -> tuple[np.ndarray, np.ndarray]:
        """Today's own tasks: (customer idx, priority class)."""
        p, pop = self.p, self.sim.pop
        pond = self.sim.pond_members()
        stage = pop.stage[pond]
        rank = self.rank[stage]
        keep = rank < 127
        pond, stage, rank = pond[keep], stage[keep], rank[keep]
        last_chat = self.last_chat_day[pond].astype(np.int32)
        since_chat = day - last_chat
        due = np.zeros(pond.size, bool)
        if p["revisits_per_cycle"] > 0:
            buying = (stage == PURCHASED) | (stage == LOYAL)
            last_buy = pop.last_purchase_day[pond].astype(np.int32)
            since_buy = np.where(last_buy == NEVER, day, day - last_buy)  # bought before the run: as if on day 0
            since_touch = np.minimum(since_buy, since_chat)
            every = p["repurchase_cycle_days"] / p["revisits_per_cycle"]
            due |= buying & (since_touch >= every) & (since_buy <= p["revisit_for_cycles"] * p["repurchase_cycle_days"])
        if p["wake_dormant_every_days"]:
            due |= (stage == DORMANT) & (since_chat >= p["wake_dormant_every_days"])
        if p["prospect_every_days"]:
            due |= (stage == INTERESTED) & (since_chat >= p["prospect_every_days"])
        idx, prio = pond[due], rank[due].astype(np.int64)
        if self.segments is not None and idx.size:   # listed segments first, stage order within each
            names = p["priority_segments"]
            seg_rank = np.full(idx.size, len(names), np.int64)
            for k in range(len(names) - 1, -1, -1):
                seg_rank[self.segments.is_member(names[k], idx)] = k
            prio += 16 * seg_rank
        return idx, prio

    def _serve(self, day: int, own) -> None:
        """Sort today's tasks by priority and launch one staff-day batch process per slot."""
        sim, p = self.sim, self.p
        idx, prio = own
        if self._assigned:   # own tasks are live pond members already; assigned ones are checked
            pop = sim.pop
            more = np.concatenate([a for a, _ in self._assigned])
            more_prio = np.concatenate([np.full(a.size, q, np.int64) for a, q in self._assigned])
            live = pop.in_pond[more] & (pop.stage[more] != LOST)
            idx = np.concatenate([idx, more[live]])
            prio = np.concatenate([prio, more_prio[live]])
            self._assigned = []
            order = np.argsort(prio, kind="stable")  # one task per customer: keep its most urgent
            idx, first = np.unique(idx[order], return_index=True)
            prio = prio[order][first]
        if not idx.size:
            return
        key = prio + 0.5 * sim.rng.uniform(f"{self.name}:tie", day, idx)   # class, then a keyed tie-break
        size = self.capacity_per_staff
        head = 2 * max(p["staff_members"], 1) * size
        if idx.size > 2 * head:   # only the head can be reached today: order it, leave the tail as one batch
            part = np.argpartition(key, head)
            order = np.concatenate([part[:head][np.argsort(key[part[:head]], kind="stable")], part[head:]])
        else:
            order = np.argsort(key, kind="stable")
        idx = idx[order]
        self._counts["tasks_queued"] = idx.size
        # batches of one staff day; beyond twice the staff, the tail is one batch (it waits, then drops)
        cuts = list(range(0, min(idx.size, head), size))
        bounds = cuts + [idx.size]
        for b, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
            sim.env.process(self._batch(day, idx[lo:hi], b))

    def _batch(self, day: int, tasks: np.ndarray, priority: int):
        """One staff-day of chats: wait for a staff member, chat while the window lasts."""
        env, sim = self.sim.env, self.sim
        end = day + sim.OUTREACH_END
        rate = self.capacity_per_staff / (sim.OUTREACH_END - sim.OUTREACH)  # chats per unit time
        if self.p["staff_members"] == 0:
            self._counts["tasks_dropped"] += tasks.size
            return
        req = self.staff.request(priority=priority)
        got = yield req | env.timeout(max(end - env.now, 0.0))
        if req not in got:
            req.cancel()
            self._counts["tasks_dropped"] += tasks.size
            return
        can = min(tasks.size, int((end - env.now) * rate + 1e-6))
        served = sim.chat(tasks[:can])
        self.last_chat_day[served] = day
        self._counts["chats_served"] += served.size
        self._counts["tasks_dropped"] += tasks.size - can
        yield env.timeout(can / rate)
        self.staff.release(req)

    def _conversions(self, day: int) -> None:
        idx, amount, _ = self.sim.today.orders()
        if not idx.size:
            return
        since = day - self.last_chat_day[idx].astype(np.int32)
        hit = since <= self.p["attribution_days"]
        self._counts["chat_orders"] = int(np.count_nonzero(hit))
        self.sim.ledger.post(day, "chat_gmv", float(amount[hit].sum()), source=self.name, per_customer=True)

    def record(self, day):
        c = self._counts if self.active(day) else dict.fromkeys(self._counts, 0)
        capacity = self.p["staff_members"] * self.capacity_per_staff
        return {"tasks_queued": c["tasks_queued"], "chats_served": c["chats_served"],
                "tasks_dropped": c["tasks_dropped"], "chat_orders": c["chat_orders"],
                "chat_gmv_cny": self.sim.ledger.total("chat_gmv", day=day, source=self.name),
                "staff_utilisation": c["chats_served"] / capacity if capacity else 0.0}

    def finalize(self):
        t = self.totals
        return {f"{self.name}.chats_served": int(t["chats_served"]),
                f"{self.name}.tasks_dropped": int(t["tasks_dropped"]),
                f"{self.name}.chat_orders": int(t["chat_orders"]),
                f"{self.name}.chat_gmv_cny": self.sim.ledger.total("chat_gmv", source=self.name),
                f"{self.name}.staff_cost_cny": self.sim.ledger.total("staff", source=self.name)}


def find_policy(sim, name: str):
    """The policy instance ``name`` in this run (validation checked that it exists: ``check_policy``)."""
    return next(policy for policy in sim.policies if policy.name == name)


def check_policy(name: str, type_name: str, enabled: dict, source: str, key: str) -> None:
    """Validation: ``name`` must be an enabled policy of type ``type_name``."""
    check_reference(name, enabled, source, key, f"a {type_name} policy", lambda c: c.type_name == type_name,
                    f" Add one with type: {type_name}")


@register_policy("group_broadcast")
class GroupBroadcast(Policy):
    """Broadcast to the pond, or only to community-group members, with a per-customer cap.

    Every ``every_days`` days each recipient gets ``messages_per_send`` messages of content
    ``quality``, but no customer receives more than ``max_messages_per_customer_per_week``
    of this policy's messages in any 7 days (a ring of send days per customer). Practitioners
    keep broadcasts rare ("for big moments"); more of them tire the pond (fatigue, silence,
    unsubscribes, see the behaviour model). An optional coupon rides on the broadcast.
    """

    acts_through = MESSAGE_EFFECTS + USEFUL_CONTACT_EFFECTS
    params = {
        "every_days": Param(7, "days between broadcasts", "days", int, low=1, basis="business"),
        "messages_per_send": Param(1, "messages per recipient per broadcast", "messages", int, low=1, high=50,
                                   basis="business"),
        "quality": Param(0.5, "usefulness of the broadcast: 1 useful content, 0 hard ad", "0-1", low=0.0, high=1.0,
                         basis="business"),
        "max_messages_per_customer_per_week": Param(2, "cap on this policy's messages to one customer in any 7 days", "messages per week", int, low=1, high=50,
                                                    basis="business"),
        "groups_policy": Param(None, "send only to members of this community_groups policy (null: the whole pond)", "", str, nullable=True,
                               basis="structural"),
        "coupon_off_share": Param(0.0, "coupon riding on the broadcast: share off (0: no coupon)", "share", low=0.0, high=1.0,
                                  basis="business"),
        "coupon_valid_days": Param(3, "validity of that coupon", "days", int, low=1, basis="business"),
        "cost_cny_per_send": Param(0.0, "production cost of one broadcast", "CNY", low=0.0, basis="business"),
    }

    sends = True

    @classmethod
    def check_references(cls, name, params, enabled, source):
        if params["groups_policy"] is not None:
            check_policy(params["groups_policy"], "community_groups", enabled, source,
                         f"policies.{name}.groups_policy")

    def init(self):
        sim = self.sim
        self.ring = np.full((sim.n, self.p["max_messages_per_customer_per_week"]), NEVER, np.int16)
        self.groups = None
        if self.p["groups_policy"] is not None:
            self.groups = find_policy(sim, self.p["groups_policy"])
        self.sent = self.capped = 0

    def act(self, day):
        self.sent = self.capped = 0
        p, sim = self.p, self.sim
        if not self.sends_on(day):
            return
        if self.groups is not None:
            audience = self.groups.members()
        else:
            audience = sim.pond_members()
        audience = self.recipients(audience[sim.pop.stage[audience] != LOST])
        ring = self.ring[audience]
        free = (ring <= day - 7).sum(axis=1)      # messages still allowed this week
        count = np.minimum(free, p["messages_per_send"])
        self.capped = int(np.count_nonzero(count < p["messages_per_send"]))
        for k in range(1, p["messages_per_send"] + 1):
            to = audience[count >= k]
            if not to.size:
                break
            got = sim.message(to, quality=p["quality"])
            slot = np.argmin(self.ring[got], axis=1)
            self.ring[got, slot] = day
            self.sent += got.size
            if k == 1 and p["coupon_off_share"] > 0:
                sim.give_coupon(got, self.name, off_share=p["coupon_off_share"], valid_days=p["coupon_valid_days"])
        sim.ledger.post(day, "content_production", p["cost_cny_per_send"], source=self.name)

    def record(self, day):
        return {"messages": self.sent, "capped_customers": self.capped}
