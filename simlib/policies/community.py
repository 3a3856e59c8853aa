"""Community groups: entry threshold, size limit, activity that decays, social proof, complaints.

Groups open one after another as members arrive (group 2 opens when group 1 is full). Each
group has an activity level in [0, 1] that decays with a half-life and is lifted by
activation events (at opening, when KOCs "set the tone", and periodically) and by its KOCs.
Activity is what makes a group worth being in: its chatter is useful content for members,
it carries social proof (the share of members who bought recently), and taking part keeps
members (``behavior.retention_community_effect``: belonging lowers dormancy, churn and
leaving the pond). Members chose the group, so its chatter loads them lightly
(``chatter_load_share``); a member it tires mutes the group rather than leaving the pond, and
hears no more chatter. After-sales complaints arise from members' orders, spread within the
group while open, lower members' purchase hazards and tire them, and are closed by staff (a
``staff_chats`` team) or calmed by the group's KOCs, often before they spread.
"""

from __future__ import annotations

import numpy as np

from ..params import Param
from ..population import LOST
from .base import USEFUL_CONTACT_EFFECTS, Policy, register_policy
from .outreach import check_policy, find_policy


@register_policy("community_groups")
class CommunityGroups(Policy):
    """Groups for pond members with at least ``entry_min_orders`` orders.

    Per day, for a member of group g with activity A_g and recent-buyer share s_g:
    - useful content: ``A_g * content_units_at_full_activity`` units of quality
      ``content_quality`` (same effect as content: trust, interest, wake-up), with only
      ``chatter_load_share`` of the load a message of that quality carries;
    - belonging A_g (the relationship's community term);
    - purchase_boost += ``social_proof_effect * s_g * A_g * social_susceptibility``
      - ``complaint_effect * c_g`` with c_g the share of the group complaining now;
    - A_g <- A_g * 0.5 ** (1 / ``activity_half_life_days``) + lifts, capped at 1:
      ``activation_lift`` at opening and every ``activation_every_days``, plus
      ``koc_lift_per_day`` per KOC member (up to ``koc_lift_max_kocs`` KOCs).
    A member whose fatigue exceeds their tolerance mutes the group at ``mute_per_fatigue``
    per unit excess; muted members keep their seat and stay in the pond but get none of the
    above. Complaints: each member order opens one with ``complaint_per_order``; a KOC in the
    group calms a new one before it spreads with chance 1 - exp(-``koc_calm_per_day`` x KOCs);
    each open complaint makes other members complain at ``complaint_spread_per_day * A_g`` per
    complaint share; open ones close at ``complaint_close_per_day`` on their own, plus
    ``koc_calm_per_day`` per KOC in the group, and for sure when ``complaint_staff`` (a
    staff_chats team) chats with the complainer that day (staff capacity permitting). Journeys
    can ``invite(idx)`` pond members, who take a seat at once, skipping the order threshold.
    """

    acts_through = USEFUL_CONTACT_EFFECTS + ("retention_community_effect",)
    params = {
        "groups": Param(10, "number of groups that can open", "groups", int, low=1, high=100_000, basis="business"),
        "group_size_limit": Param(500, "members per group at most", "members", int, low=2, high=100_000,
                                  basis="business"),
        "entry_min_orders": Param(2, "orders needed to be invited into a group", "orders", int, low=0,
                                  basis="business"),
        "join_per_day": Param(0.2, "hazard that an eligible pond member accepts the invitation and joins", "per day", low=0.0,
                              basis="assumption", plausible=(0.05, 0.5),
                              source="assumption: an invited member joins within days (0.2: half in 3.5 days)"),
        "content_units_at_full_activity": Param(0.5, "useful-content units a member gets per day from a fully active group", "units per day", low=0.0,
                                                basis="assumption", plausible=(0.2, 1.0),
                                                source="assumption: what an active group's chatter is worth to a "
                                                       "member per day, in units of one useful post"),
        "content_quality": Param(0.7, "usefulness of group chatter (1 useful, 0 ads)", "0-1", low=0.0, high=1.0,
                                 basis="assumption", plausible=(0.4, 0.9),
                                 source="assumption: chatter is mostly useful (docs/domain.md: KOCs set the tone, "
                                        "complaints spread)"),
        "chatter_load_share": Param(0.2, "share of the load of a message of the same quality that group chatter carries "
                                         "for members, who chose the group (opt-in content)", "share", low=0.0, high=1.0,
                                         basis="assumption", plausible=(0.05, 0.5),
                                         source="assumption: members chose the group, so its chatter tires them less "
                                                "than a message of the same quality"),
        "mute_per_fatigue": Param(0.05, "hazard a member mutes the group per unit excess fatigue (instead of leaving "
                                        "the pond)", "per day", low=0.0,
                                        basis="assumption", plausible=(0.01, 0.2),
                                        source="assumption: WeChat lets a member mute a group, and tired members do "
                                               "(docs/domain.md); no rate found"),
        "activity_half_life_days": Param(30.0, "activity halves in this many days without lifts", "days", low=1e-3,
                                         basis="assumption", plausible=(14.0, 90.0),
                                         source="assumption: group activity has a lifecycle and decays "
                                                "(docs/domain.md), rate not measured"),
        "initial_activity": Param(0.5, "activity of a group when it opens, before activation", "0-1", low=0.0, high=1.0,
                                  basis="assumption", plausible=(0.2, 0.8),
                                  source="assumption"),
        "activation_lift": Param(0.5, "activity added by an activation event (KOCs set the tone, a launch)", "0-1", low=0.0, high=1.0,
                                 source="assumption, tested 0.2-0.8", basis="assumption", plausible=(0.2, 0.8)),
        "activation_every_days": Param(0, "days between activation events after opening (0: only at opening)", "days", int, low=0,
                                       basis="business"),
        "activate_at_opening": Param(True, "an activation event when the group opens", "", bool, basis="business"),
        "koc_lift_per_day": Param(0.004, "activity added per day per KOC member", "per day", low=0.0,
                                  source="assumption, tested 0-0.01", basis="assumption", plausible=(0.0, 0.01)),
        "koc_lift_max_kocs": Param(5, "KOCs beyond this number add nothing more", "KOCs", int, low=0,
                                   source="assumption: a few KOCs set a group's tone (docs/domain.md); more add "
                                          "nothing",
                                   basis="assumption", plausible=(2, 10)),
        "social_proof_effect": Param(1.0, "log-multiplier on purchase per unit recent-buyer share x activity", "log", low=0.0,
                                     source="+13-20 % demand for dishes shown as popular (Cai, Chen & Fang 2009, "
                                            "Beijing restaurants): 0.2 at a 20 % recent-buyer share; the 19 % of "
                                            "revenue a community adds (Manchanda et al. 2015) bounds this and "
                                            "behavior.retention_community_effect together; tested 0-1.5 "
                                            "(docs/evidence.md s6)",
                                     basis="published", plausible=(0.0, 1.5)),
        "recent_purchase_days": Param(7, "a member 'bought recently' within this many days", "days", int, low=1, high=365,
                                      basis="assumption", plausible=(3, 14),
                                      source="assumption: how far back a member sees others' orders in the chatter"),
        "complaint_per_order": Param(0.02, "chance one member order leads to an after-sales complaint", "probability", low=0.0, high=1.0,
                                     source="assumption, tested 0.005-0.05",
                                     basis="assumption", plausible=(0.005, 0.05)),
        "complaint_spread_per_day": Param(0.5, "hazard a member joins in, per unit complaining share x activity", "per day", low=0.0,
                                          source="assumption, tested 0.1-1.0",
                                          basis="assumption", plausible=(0.1, 1.0)),
        "complaint_close_per_day": Param(0.05, "hazard an open complaint calms down by itself", "per day", low=0.0,
                                         source="assumption, tested 0.02-0.2",
                                         basis="assumption", plausible=(0.02, 0.2)),
        "koc_calm_per_day": Param(0.1, "extra closing hazard per KOC in the group (and chance, at once, per KOC that a new complaint is calmed before it spreads)", "per day", low=0.0,
                                  source="assumption, tested 0-0.3", basis="assumption", plausible=(0.0, 0.3)),
        "complaint_effect": Param(3.0, "log-multiplier down on members' purchase per unit complaining share", "log", low=0.0,
                                  source="assumption, tested 1-5", basis="assumption", plausible=(1.0, 5.0)),
        "complaint_load": Param(0.5, "messages-equivalent load on a member per day per unit complaining share (tires them)", "messages", low=0.0,
                                source="assumption, tested 0-1", basis="assumption", plausible=(0.0, 1.0)),
        "complaint_staff": Param(None, "staff_chats policy that handles complaints first thing (null: none)", "", str, nullable=True,
                                 basis="structural"),
        "complaint_staff_priority": Param(-1, "priority of complaint chats on that team (lower first)", "", int,
                                          basis="business"),
        "cost_cny_per_group_per_day": Param(0.0, "running cost of one open group (tools, moderation)", "CNY per day", low=0.0,
                                            basis="business"),
    }

    @classmethod
    def check_references(cls, name, params, enabled, source):
        if params["complaint_staff"] is not None:
            check_policy(params["complaint_staff"], "staff_chats", enabled, source, f"policies.{name}.complaint_staff")

    def init(self):
        sim, p = self.sim, self.p
        # the group each customer sits in (-1: none), in the smallest signed integer that numbers the groups
        self.group = sim.pop.add_sparse(f"{self.name}_group", np.int16 if self.p["groups"] < 2**15 else np.int32, -1)
        self.complaining = sim.pop.add_sparse(f"{self.name}_complaining", bool, False)
        self.muted = sim.pop.add_sparse(f"{self.name}_muted", bool, False)
        self.size = np.zeros(p["groups"], np.int64)
        self.opened_day = np.full(p["groups"], -1, np.int64)
        self.activity = np.zeros(p["groups"])
        self._members = np.zeros(0, np.int64)
        self._affinity = np.zeros(0, np.float32)        # content_affinity of _members, aligned
        self._susceptibility = np.zeros(0, np.float32)  # social_susceptibility of _members, aligned
        self.staff = None
        if p["complaint_staff"] is not None:
            self.staff = find_policy(sim, p["complaint_staff"])
        self._decay = 0.5 ** (1.0 / p["activity_half_life_days"])
        # seats per group: group_size_limit real members, each simulated member stands for weight of them
        self.seats = max(int(round(p["group_size_limit"] / sim.pop.weight)), 1)
        self.day_counts = dict(joined=0, muted=0, new_complaints=0, calmed_at_once=0, spread_complaints=0,
                               closed_complaints=0)

    # --- what other policies call ----------------------------------------------------------
    def members(self) -> np.ndarray:
        """Current group members (customer idx, in order of joining; read-only)."""
        return self._members

    def kocs_per_group(self) -> np.ndarray:
        koc = getattr(self.sim.pop, "koc", None)
        m = self._members
        if koc is None or not m.size:
            return np.zeros(self.p["groups"])
        k = m[koc[m]]
        return np.bincount(self.group[k], minlength=self.p["groups"]).astype(np.float64)

    # --- lifecycle --------------------------------------------------------------------------
    def act(self, day):
        p, sim, pop = self.p, self.sim, self.sim.pop
        self._leave()
        self._join(day)
        m = self._members
        g = self.group[m]
        opened = self.opened_day >= 0
        # activity: decay, then lifts
        kocs = self._kocs = self.kocs_per_group()
        self.activity[opened] *= self._decay
        self.activity += p["koc_lift_per_day"] * np.minimum(kocs, p["koc_lift_max_kocs"])
        if p["activation_every_days"]:
            due = opened & (self.opened_day < day) & ((day - self.opened_day) % p["activation_every_days"] == 0)
            self.activity[due] += p["activation_lift"]
        np.clip(self.activity, 0.0, 1.0, out=self.activity)
        if not m.size:
            return
        f32 = np.float32
        size = np.maximum(self.size, 1)
        recent = (day - pop.last_purchase_day[m].astype(np.int32)) <= p["recent_purchase_days"]
        share_recent = np.bincount(g, weights=recent, minlength=p["groups"]) / size
        complaining = np.bincount(g, weights=self.complaining[m], minlength=p["groups"]) / size
        a = self.activity.astype(f32)[g]
        self._mute(day, m)
        listening = ~self.muted[m]
        a_heard = a * listening
        # group chatter: useful content, belonging and a light load (members chose the group)
        units = a_heard * f32(p["content_units_at_full_activity"])
        usefulness = sim.behavior.usefulness(p["content_quality"], self._affinity)
        useful = units * usefulness
        t = sim.today
        t.touch("useful")[m] += useful
        t.touch("belonging")[m] = np.maximum(t.belonging[m], a_heard)
        # social proof lifts, complaints weigh on purchases and tire
        proof = (p["social_proof_effect"] * share_recent * self.activity).astype(f32)
        weigh = (p["complaint_effect"] * complaining).astype(f32)
        t.touch("purchase_boost")[m] += (proof[g] * self._susceptibility - weigh[g]) * listening
        tire = (p["complaint_load"] * complaining).astype(f32)
        chatter = f32(p["chatter_load_share"]) * sim.behavior.message_load(units, usefulness)
        t.touch("load")[m] += chatter + tire[g] * listening
        self._spread(day, m, g, a, complaining)
        if self.staff is not None:
            open_ = m[self.complaining[m]]
            if open_.size:
                self.staff.assign(open_, p["complaint_staff_priority"])
        sim.ledger.post(day, "events", p["cost_cny_per_group_per_day"] * np.count_nonzero(opened), source=self.name)

    def _mute(self, day, m):
        """Members tired beyond their tolerance mute the group (they stay in it and in the pond)."""
        if not self.p["mute_per_fatigue"] or not self.sim.behavior.fatigue_on:
            return
        pop = self.sim.pop
        excess = np.maximum(pop.fatigue[m] - np.float32(1), np.float32(0))
        tired = np.flatnonzero((excess > 0) & ~self.muted[m])
        if not tired.size:
            return
        who = m[tired]
        u = self.sim.rng.uniform(f"{self.name}:mute", day, who)
        mute = who[u < -np.expm1(-self.p["mute_per_fatigue"] * excess[tired].astype(np.float64))]
        self.muted[mute] = True
        self.day_counts["muted"] += mute.size

    def _leave(self):
        pop = self.sim.pop
        m = self._members
        out = (pop.stage[m] == LOST) | ~pop.in_pond[m]
        if out.any():
            gone = m[out]
            self.size -= np.bincount(self.group[gone], minlength=self.p["groups"])
            self.group[gone] = -1
            self.complaining[gone] = False
            self.muted[gone] = False
            self._members = m[~out]
            self._affinity = self._affinity[~out]
            self._susceptibility = self._susceptibility[~out]

    def invite(self, idx: np.ndarray) -> np.ndarray:
        """Seat invited pond members at once (an operator's invitation skips the order threshold),
        while groups have room. Returns who joined."""
        pop = self.sim.pop
        idx = np.unique(np.asarray(idx, np.int64))
        idx = idx[pop.in_pond[idx] & (pop.stage[idx] != LOST) & (self.group[idx] < 0)]
        return self._seat(idx, self.sim.day)

    def _join(self, day):
        p, sim, pop = self.p, self.sim, self.sim.pop
        if not (self.size < self.seats).any():
            return
        pond = sim.pond_members()
        eligible = pond[(pop.orders[pond] >= p["entry_min_orders"]) & (self.group[pond] < 0) & (pop.stage[pond] != LOST)]
        if not eligible.size:
            return
        chance = -np.expm1(-p["join_per_day"])
        self._seat(eligible[sim.rng.uniform(f"{self.name}:join", day, eligible) < chance], day)

    def _seat(self, joiners: np.ndarray, day: int) -> np.ndarray:
        """Put ``joiners`` (unique, in no group) into groups in order: group 2 opens when 1 is full."""
        p = self.p
        room = self.seats - self.size
        seats = np.repeat(np.arange(p["groups"]), room)[: joiners.size]
        joiners = joiners[: seats.size]
        if not joiners.size:
            return joiners
        self.group[joiners] = seats
        new = np.bincount(seats, minlength=p["groups"])
        opening = (new > 0) & (self.opened_day < 0)
        self.opened_day[opening] = day
        self.activity[opening] = p["initial_activity"] + (p["activation_lift"] if p["activate_at_opening"] else 0.0)
        self.size += new
        self._members = np.concatenate([self._members, joiners])  # joiners are new: no duplicates
        pop = self.sim.pop
        self._affinity = np.concatenate([self._affinity, pop.content_affinity[joiners].astype(np.float32)])
        self._susceptibility = np.concatenate([self._susceptibility, pop.social_susceptibility[joiners].astype(np.float32)])
        self.day_counts["joined"] += joiners.size
        return joiners

    def _spread(self, day, m, g, a, complaining):
        """Open complaints from yesterday's orders spread; open ones close (KOCs calm them)."""
        p, sim, pop = self.p, self.sim, self.sim.pop
        u = sim.rng.uniform(f"{self.name}:complaint", day, m)
        was = self.complaining[m]
        join_in = ~was & (u < -np.expm1(-p["complaint_spread_per_day"] * complaining[g] * a))
        close_hazard = p["complaint_close_per_day"] + p["koc_calm_per_day"] * self._kocs[g]
        close = was & (u < -np.expm1(-close_hazard))
        self.complaining[m[join_in]] = True
        self.complaining[m[close]] = False
        self.day_counts["spread_complaints"] = int(np.count_nonzero(join_in))
        self.day_counts["closed_complaints"] = int(np.count_nonzero(close))

    def react(self, day):
        p, sim = self.p, self.sim
        if self.staff is not None:   # staff chats close complaints
            open_ = self._members[self.complaining[self._members]]
            handled = open_[self.staff.served_today(open_, day)]
            self.complaining[handled] = False
            self.day_counts["closed_complaints"] += handled.size
        idx, _, _ = sim.today.orders()
        if not idx.size or p["complaint_per_order"] <= 0:
            return
        idx = idx[self.group[idx] >= 0]
        new = idx[sim.rng.uniform(f"{self.name}:after_sales", day, idx) < p["complaint_per_order"]]
        new = np.unique(new)
        new = new[~self.complaining[new]]
        self.day_counts["new_complaints"] = new.size
        if new.size and p["koc_calm_per_day"]:   # a KOC in the group calms it before it spreads
            kocs = self.kocs_per_group()[self.group[new]]
            calm = sim.rng.uniform(f"{self.name}:calm", day, new) < -np.expm1(-p["koc_calm_per_day"] * kocs)
            self.day_counts["calmed_at_once"] = int(np.count_nonzero(calm))
            new = new[~calm]
        self.complaining[new] = True

    def record(self, day):
        opened = self.opened_day >= 0
        m = self._members
        row = {"groups_open": int(np.count_nonzero(opened)),
               "members": int(m.size),
               "mean_activity": float(self.activity[opened].mean()) if opened.any() else 0.0,
               "open_complaints": int(np.count_nonzero(self.complaining[m])) if m.size else 0,
               "muted_members": int(np.count_nonzero(self.muted[m])) if m.size else 0,
               **self.day_counts}
        self.day_counts = dict.fromkeys(self.day_counts, 0)
        return row

    def finalize(self):
        return {f"{self.name}.members_end": int(self._members.size),
                f"{self.name}.groups_open_end": int(np.count_nonzero(self.opened_day >= 0))}
