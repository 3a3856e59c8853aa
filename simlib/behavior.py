"""Hazards of a customer: what moves them through the funnel, given state and today's inputs.

Every transition has a hazard per day, held constant within a day and evaluated from the
state at the start of the day; the engine turns hazards into events exactly (exponential
clocks, see ``dynamics.py``). The formulas are written out in ``docs/model.md``; this module is
their one implementation.
"""

from __future__ import annotations

import numpy as np

from .params import Param
from .population import AWARE, DORMANT, INTERESTED, LOST, LOYAL, PURCHASED, UNAWARE

BEHAVIOR_PARAMS = {
    # funnel hazards
    "awareness_per_day": Param(0.0003, "organic awareness of an unaware customer (Bass p without ads)", "per day", low=0.0),
    "word_of_mouth_per_day": Param(0.03, "word of mouth: awareness per unit share of buyers in the channel (Bass q)", "per day", low=0.0),
    "interest_per_day": Param(0.01, "aware -> interested, before effects", "per day", low=0.0),
    "ad_interest_ratio": Param(0.5, "ads also turn aware into interested: this share of their awareness hazard", "ratio", low=0.0),
    "forget_per_day": Param(0.02, "aware -> unaware, for customers outside the pond", "per day", low=0.0),
    "first_purchase_per_day": Param(0.015, "interested -> purchased (first order), before effects", "per day", low=0.0),
    "lose_interest_per_day": Param(0.02, "interested -> aware, before fatigue", "per day", low=0.0),
    "dormancy_per_day": Param(0.004, "purchased/loyal -> dormant (goes silent), before fatigue", "per day", low=0.0),
    "wake_per_day": Param(0.005, "dormant -> active again without contact", "per day", low=0.0),
    "max_orders_per_day": Param(2.0, "cap on a customer's repeat-order rate, however strong the lifts", "orders per day", low=1e-9),
    "dormant_purchase_factor": Param(0.2, "purchase rate while dormant, as a share of the active rate", "ratio", low=0.0),
    "dormant_loss_per_day": Param(0.003, "dormant -> lost", "per day", low=0.0),
    "unsubscribe_per_day": Param(0.0005, "pond member leaves (unsubscribes, blocks) -> lost, before fatigue", "per day", low=0.0),
    # effects (log-multipliers on hazards)
    "trust_effect": Param(1.0, "log-multiplier on interest and purchase hazards at trust 1", "log", low=0.0),
    "discount_effect": Param(4.0, "log-multiplier on purchase hazards per unit discount depth x price sensitivity", "log", low=0.0),
    "social_proof_effect": Param(0.5, "log-multiplier on interest and purchase per unit buyer share x susceptibility", "log", low=0.0),
    "content_effect": Param(0.8, "log-multiplier on aware -> interested per useful-content unit today", "log", low=0.0),
    "chat_effect": Param(1.2, "log-multiplier on interest and purchase on a day with a one-to-one chat", "log", low=0.0),
    "fatigue_effect": Param(0.7, "log-multiplier down on purchase, up on losing interest, per unit excess fatigue", "log", low=0.0),
    "wake_chat_per_day": Param(0.08, "extra dormant -> active hazard on a day with a one-to-one chat", "per day", low=0.0),
    "wake_content_per_day": Param(0.01, "extra dormant -> active hazard per useful-content unit", "per day", low=0.0),
    "silence_per_fatigue": Param(0.02, "extra purchased/loyal -> dormant hazard per unit excess fatigue", "per day", low=0.0),
    "unsubscribe_per_fatigue": Param(0.02, "extra unsubscribe hazard per unit excess fatigue", "per day", low=0.0),
    # state dynamics
    "trust_half_life_days": Param(90.0, "trust halves in this many days without contact", "days", low=1e-6),
    "trust_gain_content": Param(0.02, "trust gained per useful-content unit (share of the gap to 1)", "share", low=0.0, high=1.0),
    "trust_gain_chat": Param(0.08, "trust gained from a one-to-one chat (share of the gap to 1)", "share", low=0.0, high=1.0),
    "trust_gain_purchase": Param(0.1, "trust gained from a purchase (share of the gap to 1)", "share", low=0.0, high=1.0),
    "fatigue_half_life_days": Param(7.0, "fatigue halves in this many days without messages", "days", low=1e-6),
    "useful_relief": Param(0.6, "a fully useful message to a fully interested customer tires this much less than an ad", "share", low=0.0, high=1.0),
}

_EXITS = 3  # columns of the exit table: forward, back/decay, unsubscribe
# destination by (stage, column); WAKE is resolved to purchased/loyal by orders
WAKE = 100
DEST = np.array([
    [AWARE, UNAWARE, UNAWARE],          # unaware (only the forward exit has a hazard)
    [INTERESTED, UNAWARE, LOST],        # aware
    [PURCHASED, AWARE, LOST],           # interested: forward is the first order
    [PURCHASED, DORMANT, LOST],         # purchased (no forward exit: repeat orders are events)
    [LOYAL, DORMANT, LOST],             # loyal
    [WAKE, LOST, LOST],                 # dormant
    [LOST, LOST, LOST],                 # lost
], dtype=np.int16)


class Behavior:
    """Evaluates hazards for a subset of customers; the engine calls it with index arrays.

    Terms whose inputs are all zero today (no chats, no coupons, no fatigue yet...) are
    skipped; the result is the same, the day is cheaper.
    """

    def __init__(self, params: dict, pop, today, market: dict):
        self.p = params
        self.pop = pop
        self.today = today
        self.wom = np.array([c["word_of_mouth"] for c in market["channels"].values()])
        self.social_proof = np.zeros(len(self.wom))  # per channel, set each day by the engine
        self.fatigue_on = False   # set once any message has been sent

    def decay_factors(self) -> tuple[float, float]:
        return (0.5 ** (1.0 / self.p["trust_half_life_days"]),
                0.5 ** (1.0 / self.p["fatigue_half_life_days"]))

    def awareness_by_channel(self) -> tuple[np.ndarray, np.ndarray]:
        """(base hazard, word-of-mouth hazard per unit susceptibility) for the unaware, per channel."""
        base = self.p["awareness_per_day"] + self.today.ad_awareness
        wom = self.p["word_of_mouth_per_day"] * self.wom * self.social_proof
        return base, wom

    def hazards(self, idx: np.ndarray, day: int):
        """Per-day hazards for customers ``idx`` (ascending): the three exits of their current stage
        (forward, back/decay, unsubscribe; see ``DEST``) and their repeat-purchase rate.

        Written with stage masks and plain arithmetic (no lookups, no ``np.where``), which is
        several times cheaper per customer; lost customers come out all zero."""
        p, pop, t = self.p, self.pop, self.today
        f32 = np.float32
        stage = pop.stage[idx]
        # customers are numbered channel by channel and idx is ascending, so a per-channel value
        # is spread to customers by repeating it over each channel's run (no gather)
        runs = np.diff(np.searchsorted(idx, pop.channel_edges))

        def by_channel(values):
            return np.repeat(np.asarray(values, f32), runs)

        def by_channel_at(values, sub):  # the same for positions ``sub`` (ascending) of idx
            return np.repeat(np.asarray(values, f32), np.diff(np.searchsorted(idx[sub], pop.channel_edges)))

        unaware, aware, interested = stage == UNAWARE, stage == AWARE, stage == INTERESTED
        dormant = stage == DORMANT
        active_buyer = (stage == PURCHASED) | (stage == LOYAL)
        # log-lift shared by interest and purchase: trust, social proof, chat
        common = f32(p["trust_effect"]) * pop.trust[idx]
        susceptibility = pop.social_susceptibility[idx]
        if p["social_proof_effect"] and self.social_proof.any():
            common += f32(p["social_proof_effect"]) * susceptibility * by_channel(self.social_proof)
        chat = t.chat[idx] if t.touched("chat") else None
        if chat is not None:
            common += f32(p["chat_effect"]) * chat
        useful = t.useful[idx] if t.touched("useful") else None
        excess = np.maximum(pop.fatigue[idx] - f32(1), f32(0)) if self.fatigue_on else None
        in_pond = pop.in_pond[idx]

        # purchase lift M: trust, social proof, chat, discount held, fatigue, boosts, calendar
        log_m = common.copy()
        if pop.coupons.any_given:  # only customers holding a coupon can have a discount term
            held, depth = pop.coupons.held_depth(idx, day)
            log_m[held] += f32(p["discount_effect"]) * pop.price_sensitivity[idx[held]] * depth
        if excess is not None:
            log_m -= f32(p["fatigue_effect"]) * excess
        if t.touched("purchase_boost"):
            log_m += t.purchase_boost[idx]
        lift = np.exp(log_m)
        lift *= f32(t.purchase_multiplier)

        # forward exit
        h0 = (f32(p["first_purchase_per_day"]) * interested) * lift
        if unaware.any():
            base, wom = self.awareness_by_channel()
            aw = by_channel(base) + by_channel(wom) * susceptibility
            if t.touched("awareness_extra"):
                aw += t.awareness_extra[idx]
            h0 += aw * unaware
        a = np.flatnonzero(aware)
        if a.size:  # interest: computed for the aware only
            log_i = common[a]
            if useful is not None:
                log_i += f32(p["content_effect"]) * useful[a]
            if t.touched("interest_boost"):
                log_i += t.interest_boost[idx[a]]
            rate_i = f32(p["interest_per_day"])
            if p["ad_interest_ratio"] and t.ad_awareness.any():
                rate_i = rate_i + by_channel_at(p["ad_interest_ratio"] * t.ad_awareness, a)
            h0[a] += rate_i * np.exp(log_i) * f32(t.interest_multiplier)
        d = np.flatnonzero(dormant)
        if d.size:
            wake = np.full(d.size, p["wake_per_day"], f32)
            if chat is not None:
                wake = wake + f32(p["wake_chat_per_day"]) * chat[d]
            if useful is not None:
                wake = wake + f32(p["wake_content_per_day"]) * useful[d]
            h0[d] += wake

        # back / decay exit
        lose = f32(p["lose_interest_per_day"]) * interested
        if excess is not None:
            lose *= np.exp(f32(p["fatigue_effect"]) * excess)
        quiet = f32(p["dormancy_per_day"])
        if excess is not None:
            quiet = quiet + f32(p["silence_per_fatigue"]) * excess
        h1 = lose + quiet * active_buyer + f32(p["dormant_loss_per_day"]) * dormant
        if p["forget_per_day"]:
            h1 += f32(p["forget_per_day"]) * (aware & ~in_pond)

        # unsubscribe (pond members only; lost customers are never in the pond)
        unsub = f32(p["unsubscribe_per_day"])
        if excess is not None:
            unsub = unsub + f32(p["unsubscribe_per_fatigue"]) * excess
        h2 = unsub * in_pond

        # repeat orders
        rate = pop.purchase_rate_per_day[idx] * lift
        buying = active_buyer.astype(f32)
        buying[d] = p["dormant_purchase_factor"]
        rate *= buying
        np.minimum(rate, f32(p["max_orders_per_day"]), out=rate)
        return h0.astype(f32, copy=False), h1.astype(f32, copy=False), h2.astype(f32, copy=False), rate
