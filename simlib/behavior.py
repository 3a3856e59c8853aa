"""Hazards of a customer: what moves them through the funnel, given state and today's inputs.

Every transition has a hazard per day, held constant within a day and evaluated from the
state at the start of the day; the engine turns hazards into events exactly (exponential
clocks, see ``engine.py``). The formulas are written out in ``docs/model.md``; this module is
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
    """Evaluates hazards for a subset of customers; the engine calls it with index arrays."""

    def __init__(self, params: dict, pop, today, market: dict):
        self.p = params
        self.pop = pop
        self.today = today
        self.wom = np.array([c["word_of_mouth"] for c in market["channels"].values()])
        self.social_proof = np.zeros(len(self.wom))  # per channel, set each day by the engine

    def decay_factors(self) -> tuple[float, float]:
        return (0.5 ** (1.0 / self.p["trust_half_life_days"]),
                0.5 ** (1.0 / self.p["fatigue_half_life_days"]))

    # --- unaware, full population (the fast path) --------------------------------------
    def awareness_by_channel(self) -> tuple[np.ndarray, np.ndarray]:
        """(base hazard, word-of-mouth hazard per unit susceptibility), each per channel."""
        base = self.p["awareness_per_day"] + self.today.ad_awareness
        wom = self.p["word_of_mouth_per_day"] * self.wom * self.social_proof
        return base, wom

    # --- any subset ---------------------------------------------------------------------
    def exits(self, idx: np.ndarray, day: int):
        """Hazards (m x 3, per day) of leaving the current stage, by exit column."""
        p, pop, t = self.p, self.pop, self.today
        stage = pop.stage[idx]
        ch = pop.channel[idx]
        susceptibility = pop.social_susceptibility[idx].astype(np.float64)
        social = susceptibility * self.social_proof[ch]
        excess = np.maximum(pop.fatigue[idx].astype(np.float64) - 1.0, 0.0)
        trust = pop.trust[idx].astype(np.float64)
        useful = t.useful[idx].astype(np.float64)
        chat = t.chat[idx].astype(np.float64)
        in_pond = pop.in_pond[idx]
        h = np.zeros((idx.size, _EXITS))

        s = stage == UNAWARE
        if s.any():
            base, wom = self.awareness_by_channel()
            h[s, 0] = base[ch[s]] + wom[ch[s]] * susceptibility[s] + t.awareness_extra[idx[s]]
        s = stage == AWARE
        if s.any():
            lift = np.exp(p["content_effect"] * useful[s] + p["chat_effect"] * chat[s]
                          + p["social_proof_effect"] * social[s] + p["trust_effect"] * trust[s]
                          + t.interest_boost[idx[s]])
            h[s, 0] = (p["interest_per_day"] + p["ad_interest_ratio"] * t.ad_awareness[ch[s]]) * lift * t.interest_multiplier
            h[s, 1] = p["forget_per_day"] * ~in_pond[s]
        s = stage == INTERESTED
        if s.any():
            h[s, 0] = p["first_purchase_per_day"] * self._purchase_lift(idx[s], social[s], excess[s], trust[s], chat[s], day)
            h[s, 1] = p["lose_interest_per_day"] * np.exp(p["fatigue_effect"] * excess[s])
        s = (stage == PURCHASED) | (stage == LOYAL)
        if s.any():
            h[s, 1] = p["dormancy_per_day"] + p["silence_per_fatigue"] * excess[s]
        s = stage == DORMANT
        if s.any():
            h[s, 0] = p["wake_per_day"] + p["wake_chat_per_day"] * chat[s] + p["wake_content_per_day"] * useful[s]
            h[s, 1] = p["dormant_loss_per_day"]
        h[:, 2] = np.where(in_pond & (stage != LOST),
                           p["unsubscribe_per_day"] + p["unsubscribe_per_fatigue"] * excess, 0.0)
        h[stage == LOST] = 0.0
        return h

    def purchase_rates(self, idx: np.ndarray, day: int) -> np.ndarray:
        """Repeat-purchase rate per day (0 for stages that do not repeat-buy)."""
        pop = self.pop
        stage = pop.stage[idx]
        buying = (stage == PURCHASED) | (stage == LOYAL) | (stage == DORMANT)
        rate = np.zeros(idx.size)
        if buying.any():
            b = idx[buying]
            social = pop.social_susceptibility[b] * self.social_proof[pop.channel[b]]
            excess = np.maximum(pop.fatigue[b].astype(np.float64) - 1.0, 0.0)
            lift = self._purchase_lift(b, social, excess, pop.trust[b].astype(np.float64),
                                       self.today.chat[b].astype(np.float64), day)
            factor = np.where(stage[buying] == DORMANT, self.p["dormant_purchase_factor"], 1.0)
            rate[buying] = pop.purchase_rate_per_day[b] * factor * lift
        return rate

    def _purchase_lift(self, idx, social, excess, trust, chat, day):
        """Multiplier M on purchase hazards: trust, discount held, social proof, chat, fatigue."""
        p, pop, t = self.p, self.pop, self.today
        depth = np.where(pop.coupon_expiry[idx] >= day, pop.coupon_depth[idx], 0.0)
        return np.exp(p["trust_effect"] * trust
                      + p["discount_effect"] * pop.price_sensitivity[idx] * depth
                      + p["social_proof_effect"] * social
                      + p["chat_effect"] * chat
                      - p["fatigue_effect"] * excess
                      + t.purchase_boost[idx]) * t.purchase_multiplier
