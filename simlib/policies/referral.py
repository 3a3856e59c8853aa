"""KOCs and referral ("fission", 裂变): loyal customers who recruit others.

``koc_program`` names KOCs (key opinion consumers) by rule among loyal pond members; KOCs
spread word of mouth into the market, lift group activity and calm complaints (see
``community_groups``). ``referral_fission`` lets loyal customers and KOCs invite friends on
their own channel; an invitation raises the friend's awareness, interest and first-purchase
hazards while it is valid, and when the friend buys, both get a reward.
"""

from __future__ import annotations

import numpy as np

from ..errors import ScenarioError
from ..params import Param
from ..population import INTERESTED, LOST, LOYAL, NEVER, PURCHASED, STAGES, UNAWARE
from .base import Policy, register_policy

REFERRER_STAGES = ("purchased", "loyal", "dormant")


@register_policy("koc_program")
class KocProgram(Policy):
    """Name KOCs by rule; their word of mouth reaches the unaware on their channel.

    Every ``review_every_days`` a pond member becomes a KOC when loyal, with at least
    ``min_orders`` orders and trust at least ``min_trust``, if they accept (a keyed draw per
    customer, fixed for the run, below ``accept_share``), up to ``max_kocs``. A KOC stays one
    until lost or out of the pond. Word of mouth: unaware customers on channel c get an extra
    awareness hazard ``behavior.word_of_mouth_per_day * koc_word_of_mouth_vs_buyer * (KOCs on
    c / customers on c) * channel word_of_mouth * social_susceptibility`` - the engine's Bass q
    term for buyers, with each KOC counting as that many buyers. KOCs buy more themselves
    (``koc_purchase_effect``, a log-multiplier) and cost a perk per day.
    """

    acts_through = ("word_of_mouth_per_day",)
    params = {
        "min_orders": Param(3, "orders needed to be named a KOC", "orders", int, low=0, basis="business"),
        "min_trust": Param(0.3, "trust needed to be named a KOC", "0-1", low=0.0, high=1.0, basis="business"),
        "accept_share": Param(0.3, "share of qualifying customers who accept the role", "share", low=0.0, high=1.0,
                              basis="assumption", plausible=(0.1, 0.6),
                              source="assumption: how many qualifying customers take up a KOC role"),
        "review_every_days": Param(7, "days between reviews of who qualifies as a KOC", "days", int, low=1,
                                   basis="business"),
        "max_kocs": Param(None, "most KOCs at any time (null: no limit)", "customers", int, low=0, nullable=True,
                          basis="business"),
        "koc_word_of_mouth_vs_buyer": Param(10.0, "a KOC's word of mouth as a multiple of one buyer's (behavior.word_of_mouth_per_day)", "x", low=0.0,
                                            source="assumption, tested 3-30",
                                            basis="assumption", plausible=(3.0, 30.0)),
        "koc_purchase_effect": Param(0.3, "log-multiplier on a KOC's own purchase hazard", "log", low=0.0,
                                     source="assumption, tested 0-0.6 (docs/evidence.md s10)",
                                     basis="assumption", plausible=(0.0, 0.6)),
        "perk_cny_per_koc_per_day": Param(0.5, "perks (samples, gifts) per KOC per day, booked as gifts", "CNY per day", low=0.0,
                                          basis="business"),
    }

    @classmethod
    def check_references(cls, name, params, enabled, source):
        first = next(n for n, p in enabled.items() if p["type"] == cls.type_name)
        if name != first:
            raise ScenarioError(source, f"policies.{name}",
                                f"only one koc_program policy can be enabled in a scenario (also: {first})")

    def init(self):
        pop = self.sim.pop
        self.koc = pop.add_sparse("koc", bool, False)
        self.wom = np.array([c["word_of_mouth"] for c in self.sim.scenario.data["market"]["channels"].values()])
        self.named = self.dropped = 0
        self._kocs = np.zeros(0, np.int64)

    def act(self, day):
        sim, pop, p = self.sim, self.sim.pop, self.p
        k = self._kocs
        if not k.size:
            return
        per_channel = np.bincount(pop.channel[k], minlength=len(sim.channels)) / np.maximum(pop.channel_size, 1)
        q = sim.behavior.p["word_of_mouth_per_day"] * p["koc_word_of_mouth_vs_buyer"]
        hazard = (q * per_channel * self.wom).astype(np.float32)
        if hazard.any():   # word of mouth: per unit of each unaware customer's susceptibility
            sim.today.awareness_per_susceptibility += hazard
        if p["koc_purchase_effect"]:
            sim.today.touch("purchase_boost")[k] += np.float32(p["koc_purchase_effect"])
        sim.ledger.post(day, "gifts", p["perk_cny_per_koc_per_day"] * k.size, source=self.name, per_customer=True)

    def react(self, day):
        sim, pop, p = self.sim, self.sim.pop, self.p
        k = self._kocs
        gone = k[(pop.stage[k] == LOST) | ~pop.in_pond[k]]
        self.dropped = gone.size
        if gone.size:
            self.koc[gone] = False
            k = k[self.koc[k]]
        self.named = 0
        self._kocs = k
        if (day - p["start_day"]) % p["review_every_days"]:
            return
        pond = sim.pond_members()
        cand = pond[(pop.stage[pond] == LOYAL) & ~self.koc[pond] & (pop.orders[pond] >= p["min_orders"])
                    & (pop.trust[pond] >= p["min_trust"])]
        cand = cand[sim.rng.uniform(f"{self.name}:accept", -1, cand) < p["accept_share"]]
        if p["max_kocs"] is not None:
            cand = cand[: max(p["max_kocs"] - k.size, 0)]
        self.koc[cand] = True
        self.named = cand.size
        self._kocs = np.concatenate([k, cand]) if cand.size else k

    def record(self, day):
        return {"kocs": int(self._kocs.size), "named": self.named}

    def finalize(self):
        return {f"{self.name}.kocs_end": int(self._kocs.size)}


@register_policy("referral_fission")
class ReferralFission(Policy):
    """Invite friends, both get a reward when the friend first buys.

    Referrers are pond members in ``referrer_stages`` (KOCs always qualify; newcomers to those
    stages are picked up at the weekly scan of the pond, leavers drop out the same day). Each invites at
    hazard ``invites_per_referrer_per_day * exp(invite_lift_per_reward_cny * referrer_reward_cny)``,
    times ``koc_invite_factor`` for KOCs. The friend is a customer on the referrer's channel
    (keyed draw); the invitation lands if the friend has not bought yet (unaware, aware or
    interested) and holds no valid invitation. For ``invite_valid_days`` the friend gets:
    awareness hazard + ``friend_awareness_per_day`` (if unaware); interest and purchase
    log-multipliers + ``friend_trust_effect`` (a friend's word is trusted); and the promised
    new-customer reward is a price cut the friend holds, like a no-threshold coupon of
    ``friend_reward_cny`` off (``Today.discount_depth``; behaviour prices it). On the friend's
    first order both rewards are booked as ``referral_rewards``.
    """

    params = {
        "referrer_stages": Param(["loyal"], "stages whose pond members invite (KOCs always do)", "", list,
                                 basis="business"),
        "invites_per_referrer_per_day": Param(0.01, "invitation hazard of one referrer, before the reward lift", "per day", low=0.0,
                                              basis="assumption", plausible=(0.002, 0.05),
                                              source="assumption: a referrer invites a friend every few months "
                                                     "without a reward (0.01: one in 100 days); the reward lift "
                                                     "comes on top"),
        "koc_invite_factor": Param(3.0, "KOCs invite this many times as often", "x", low=0.0, source="assumption, tested 1-5",
                                   basis="assumption", plausible=(1.0, 5.0)),
        "referrer_reward_cny": Param(10.0, "reward to the referrer when the friend first buys", "CNY", low=0.0,
                                     basis="business"),
        "friend_reward_cny": Param(10.0, "reward to the friend on their first order", "CNY", low=0.0, basis="business"),
        "invite_lift_per_reward_cny": Param(0.03, "log-multiplier on the invitation hazard per CNY of referrer reward", "log per CNY", low=0.0,
                                            source="assumption, tested 0-0.06 (no published conversion lift found, docs/evidence.md s9)",
                                            basis="assumption", plausible=(0.0, 0.06)),
        "invite_valid_days": Param(14, "days an invitation keeps acting on the friend", "days", int, low=1, high=365,
                                   basis="business"),
        "friend_awareness_per_day": Param(0.5, "extra awareness hazard of an invited unaware friend", "per day", low=0.0,
                                          basis="assumption", plausible=(0.1, 1.0),
                                          source="assumption: an invited friend notices the brand within days (0.5: "
                                                 "half the first day)"),
        "friend_trust_effect": Param(0.7, "log-multiplier on an invited friend's interest and first-purchase hazards", "log", low=0.0,
                                     source="assumption: no conversion lift of an invitation was found; Schmitt, "
                                            "Skiera & Van den Bulte 2011 (a German bank) measure what referred "
                                            "customers are worth once acquired (at least 16 % more, and they stay "
                                            "longer), not how many invited friends convert, and the model has no "
                                            "retention term for them (docs/evidence.md s9)",
                                     basis="assumption", plausible=(0.0, 1.0)),
    }

    @classmethod
    def check(cls, params, source, path, market):
        for i, s in enumerate(params["referrer_stages"]):
            if s not in REFERRER_STAGES:
                raise ScenarioError(source, f"{path}.referrer_stages[{i}]",
                                    f"unknown stage {s!r}; allowed: " + ", ".join(REFERRER_STAGES))

    def init(self):
        sim, pop = self.sim, self.sim.pop
        self._landed: list[tuple] = []   # (friends, their referrers) per day with landed invitations
        self.invite_expiry = pop.add_sparse(f"{self.name}_invite_expiry", np.int16, NEVER)
        self.stage_ok = np.zeros(len(STAGES), bool)
        for s in self.p["referrer_stages"]:
            self.stage_ok[STAGES.index(s)] = True
        # customers are numbered channel by channel: a friend on channel c is start_c + a draw
        self.channel_start = np.array([sl.start for sl in pop.channel_slices], np.int64)
        self._pending = np.zeros(0, np.int64)
        self._referrers = None
        self.day_counts = dict(invites_sent=0, invites_landed=0, friends_converted=0, rewards_cny=0.0)
        self.totals = dict(self.day_counts)

    @property
    def referred_by(self) -> np.ndarray:
        """Each customer's latest referrer (-1: never referred), built from the invitations that
        landed (kept as a list: few customers are ever referred, no array of every customer)."""
        out = np.full(self.sim.pop.n, -1, np.int64)
        for friend, inviting in self._landed:
            out[friend] = inviting
        return out

    def act(self, day):
        sim, pop, p = self.sim, self.sim.pop, self.p
        self.day_counts = dict.fromkeys(self.day_counts, 0)
        self.day_counts["rewards_cny"] = 0.0
        pend = self._pending
        pend = pend[(self.invite_expiry[pend] >= day) & (pop.stage[pend] < PURCHASED)]
        # referrers invite: the pond is scanned for them weekly; who left the pond, the stage
        # or the KOC role since then is dropped every day
        koc = getattr(pop, "koc", None)
        if (day - p["start_day"]) % 7 == 0 or self._referrers is None:
            pond = sim.pond_members()
            ok = self.stage_ok[pop.stage[pond]]
            if koc is not None:
                ok |= koc[pond]
            self._referrers = pond[ok]
        ref = self._referrers
        is_koc = koc[ref] if koc is not None else np.zeros(ref.size, bool)
        ok = (self.stage_ok[pop.stage[ref]] | is_koc) & pop.in_pond[ref]
        ref, is_koc = ref[ok], is_koc[ok]
        if ref.size:
            h = p["invites_per_referrer_per_day"] * np.exp(p["invite_lift_per_reward_cny"] * p["referrer_reward_cny"])
            h = h * np.where(is_koc, p["koc_invite_factor"], 1.0)
            inviting = ref[sim.rng.uniform(f"{self.name}:invite", day, ref) < -np.expm1(-h)]
            if inviting.size:
                c = pop.channel[inviting]
                pick = np.floor(sim.rng.uniform(f"{self.name}:friend", day, inviting) * pop.channel_size[c]).astype(np.int64)
                friend = self.channel_start[c] + np.minimum(pick, pop.channel_size[c] - 1)
                ok = (pop.stage[friend] <= INTERESTED) & (self.invite_expiry[friend] < day) & (friend != inviting)
                friend, inviting = friend[ok], inviting[ok]
                friend, first = np.unique(friend, return_index=True)
                inviting = inviting[first]
                self._landed.append((friend, inviting))
                self.invite_expiry[friend] = min(day + p["invite_valid_days"] - 1, np.iinfo(np.int16).max)
                pend = np.concatenate([pend, friend])  # landing needs no valid invitation: disjoint
                self.day_counts["invites_sent"] = int(ok.size)
                self.day_counts["invites_landed"] = int(friend.size)
        self._pending = pend
        if not pend.size:
            return
        t = sim.today
        stage = pop.stage[pend]
        unaware = pend[stage == UNAWARE]
        if unaware.size and p["friend_awareness_per_day"]:
            t.touch("awareness_extra")[unaware] += np.float32(p["friend_awareness_per_day"])
        t.touch("interest_boost")[pend] += np.float32(p["friend_trust_effect"])
        t.touch("purchase_boost")[pend] += np.float32(p["friend_trust_effect"])
        if p["friend_reward_cny"]:
            t.touch("discount_depth")[pend] += pop.coupons.depth_of(0.0, p["friend_reward_cny"], 0.0, pend)

    def react(self, day):
        sim, pop, p = self.sim, self.sim.pop, self.p
        idx, _, _ = sim.today.orders()
        if not idx.size or not self._pending.size:
            return
        # a valid invitation: the customer was referred (invitations are set only when one lands)
        new = idx[(pop.first_purchase_day[idx] == day) & (self.invite_expiry[idx] >= day)]
        new = np.unique(new)
        if not new.size:
            return
        self.invite_expiry[new] = NEVER
        cost = new.size * (p["referrer_reward_cny"] + p["friend_reward_cny"])
        sim.ledger.post(day, "referral_rewards", cost, source=self.name, per_customer=True)
        self.day_counts["friends_converted"] = int(new.size)

    def record(self, day):
        if not self.active(day):
            return {**dict.fromkeys(self.day_counts, 0), "pending_invites": 0}
        self.day_counts["rewards_cny"] = self.sim.ledger.total("referral_rewards", day=day, source=self.name)
        for k, v in self.day_counts.items():
            self.totals[k] += v
        return {**self.day_counts, "pending_invites": int(self._pending.size)}

    def finalize(self):
        t = self.totals
        rewards = self.sim.ledger.total("referral_rewards", source=self.name)
        return {f"{self.name}.invites_landed": int(t["invites_landed"]),
                f"{self.name}.friends_converted": int(t["friends_converted"]),
                f"{self.name}.rewards_cny": rewards,
                f"{self.name}.reward_cost_per_new_buyer_cny":
                    rewards / t["friends_converted"] if t["friends_converted"] else 0.0}

