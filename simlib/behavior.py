"""Hazards of a customer: what moves them through the funnel, given state and today's inputs.

Every transition has a hazard per day, held constant within a day and evaluated from the
state at the start of the day; the engine turns hazards into events exactly (exponential
clocks, see ``dynamics.py``). The formulas are written out in ``docs/model.md``; this module
is their one implementation.

Four exits per stage (``DEST``): forward (awareness, interest, first order, waking), back
(forgetting, losing interest, going dormant), churn (the customer is lost to the brand) and
leaving the pond (unsubscribe, block, unfollow: free reach ends, the customer stays in their
stage and keeps buying through public channels). Repeat orders are events of their own.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from .compiled import compiled
from .errors import ScenarioError
from .params import Param
from .population import AWARE, DORMANT, INTERESTED, LOST, LOYAL, NEVER, PURCHASED, UNAWARE
from .promotion import PROMOTION_PARAMS, Promotion, price_log_lift
from .today import (AWARENESS_EXTRA, BELONGING, CHAT, DISCOUNT_DEPTH, INTEREST_BOOST, LOAD, PURCHASE_BOOST, USEFUL,
                    today_input)

E = "docs/evidence.md"   # where each source below is quoted and converted to the model's unit

BEHAVIOR_PARAMS = {
    # funnel hazards
    "awareness_per_day": Param(0.0003, "organic awareness of an unaware customer (Bass p without ads)", "per day", low=0.0,
                               source=f"Bass p: Sultan, Farley & Lehmann 1990 give 0.03/yr (8e-5/day) for durables; "
                                      f"faster for social FMCG; assumption, tested 0.0001-0.001 ({E} s9)",
                               basis="assumption", plausible=(0.0001, 0.001)),
    "word_of_mouth_per_day": Param(0.01, "word of mouth: awareness per unit share of buyers in the channel (Bass q)", "per day", low=0.0,
                                   source=f"Bass q: Sultan et al. 1990 give 0.38/yr (0.001/day) for durables, q/p 12.7; "
                                          f"assumption for social FMCG, tested 0.001-0.03 ({E} s9)",
                                   basis="assumption", plausible=(0.001, 0.03)),
    "interest_per_day": Param(0.01, "aware -> interested, before effects", "per day", low=0.0,
                              source="assumption, tested 0.003-0.03; fit it with simlib calibrate funnel",
                              basis="assumption", plausible=(0.003, 0.03)),
    # heterogeneity and fading word of mouth in the funnel (neutral by default: 0 = the plain funnel)
    "ad_exposure_cv": Param(0.0, "how unevenly a channel's ads reach its members: coefficient of variation of a "
                                 "customer's share of the impressions (gamma multiplier, mean 1) on their ad awareness "
                                 "and ad interest hazards; 0: every member equally exposed", "cv", low=0.0, high=5.0,
                            source="exposure frequencies across people are gamma-mixed Poisson (NBD) or beta-binomial "
                                   "(Metheringham 1964; Danaher 1992); the spread is an assumption, tested 0-2; fit it "
                                   "with simlib calibrate funnel", basis="assumption", plausible=(0.0, 2.0)),
    "interest_cv": Param(0.0, "differences between customers in the aware -> interested hazard: coefficient of "
                              "variation of a per-customer multiplier (gamma, mean 1); 0: the same for everyone", "cv",
                         low=0.0, high=5.0,
                         source="assumption, tested 0-1.5 (the exponential-gamma form of trial models, Hardie, Fader "
                                "& Wisniewski 1998); fit it with simlib calibrate funnel", basis="assumption",
                         plausible=(0.0, 1.5)),
    "first_purchase_cv": Param(0.0, "differences between customers in the interested -> first purchase hazard: "
                                    "coefficient of variation of a per-customer multiplier (gamma, mean 1); 0: the same "
                                    "for everyone", "cv", low=0.0, high=5.0,
                               source="times to trial fit an exponential-gamma mixture best among trial models "
                                      "(Hardie, Fader & Wisniewski 1998); the spread is an assumption, tested 0-1.5; "
                                      "fit it with simlib calibrate funnel", basis="assumption", plausible=(0.0, 1.5)),
    "word_of_mouth_fade_per_day": Param(0.0, "a buyer's word of mouth fades with the days since their first purchase "
                                             "at this rate (talk x exp(-rate x days)); 0: buyers talk for ever (Bass)",
                                        "per day", low=0.0, high=1.0,
                                        source="immediate word of mouth exceeds ongoing word of mouth for most products "
                                               "(Berger & Schwartz 2011); the rate is an assumption, tested 0-0.1 "
                                               "(half-life from a week to for ever); fit it with simlib calibrate funnel",
                                        basis="assumption", plausible=(0.0, 0.1)),
    "ad_interest_ratio": Param(0.5, "ads also turn aware into interested: this share of their awareness hazard", "ratio", low=0.0,
                               source="assumption, tested 0-1", basis="assumption", plausible=(0.0, 1.0)),
    "forget_per_day": Param(0.02, "aware -> unaware, for customers outside the pond", "per day", low=0.0,
                            source="assumption, tested 0.005-0.05; the default simlib calibrate funnel fit sets it to 0 "
                                   "(it reads a slowing funnel as people who differ); fit it with "
                                   "--fit forget_per_day when your stages can go back",
                            basis="assumption", plausible=(0.005, 0.05)),
    "first_purchase_per_day": Param(0.015, "interested -> purchased (first order), before effects", "per day", low=0.0,
                                    source="assumption, tested 0.005-0.05; fit it with simlib calibrate funnel",
                                    basis="assumption", plausible=(0.005, 0.05)),
    "lose_interest_per_day": Param(0.02, "interested -> aware, before fatigue", "per day", low=0.0,
                                   source="assumption, tested 0.005-0.05; the default simlib calibrate funnel fit sets it "
                                          "to 0 (it reads a slowing funnel as people who differ); fit it with "
                                          "--fit lose_interest_per_day when your stages can go back",
                                   basis="assumption", plausible=(0.005, 0.05)),
    "dormancy_per_day": Param(0.004, "purchased/loyal -> dormant (goes silent), before the relationship and fatigue", "per day",
                              low=0.0, source="assumption, tested 0.001-0.01; fit it with simlib calibrate funnel",
                              basis="assumption", plausible=(0.001, 0.01)),
    "wake_per_day": Param(0.005, "dormant -> active again without contact", "per day", low=0.0,
                          source="assumption, tested 0.001-0.02; fit it with simlib calibrate funnel",
                          basis="assumption", plausible=(0.001, 0.02)),
    "max_orders_per_day": Param(2.0, "cap on a customer's repeat-order rate, however strong the lifts", "orders per day",
                                low=1e-9, source="a safety bound, not an effect", basis="safety"),
    "dormant_purchase_factor": Param(0.2, "purchase rate while dormant, as a share of the active rate", "ratio", low=0.0,
                                     source="assumption, tested 0-0.5", basis="assumption", plausible=(0.0, 0.5)),
    "dormant_loss_per_day": Param(0.003, "extra churn hazard of a dormant customer, before the relationship", "per day",
                                  low=0.0, source="assumption, tested 0.001-0.01; fit it with simlib calibrate funnel",
                                  basis="assumption", plausible=(0.001, 0.01)),
    "unsubscribe_per_day": Param(0.0001, "pond member leaves the pond (unsubscribes, blocks) unprompted, before the "
                                         "relationship", "per day", low=0.0,
                                 source=f"WeChat official accounts unfollow 0.03-0.06 %/day (mode) to 0.08 % (mean) "
                                        f"with their sends included (NewRank 2017 survey of 8,464 accounts); about half "
                                        f"is unprompted (unfollows double on send days); tested 0.00005-0.0005 ({E} s7)",
                                         basis="practitioner", plausible=(5e-05, 0.0005)),
    "unsubscribe_per_message": Param(0.002, "chance of leaving the pond per message received (per unit of message load: "
                                            "useful messages load less), before the relationship", "probability",
                                     low=0.0, high=1.0,
                                     source=f"email unsubscribes 0.25 % per campaign (Mailchimp benchmarks 2019), 0.1 % "
                                            f"(Campaign Monitor 2020); unfollows double on WeChat send days; tested "
                                            f"0.001-0.003 ({E} s7)", basis="practitioner", plausible=(0.001, 0.003)),
    # purchase process (with the traits purchase_rate_per_day, lifetime_hazard_per_day, dropout_after_purchase)
    "purchase_regularity": Param(1, "shape k of Erlang-k times between a customer's orders (same mean 1/rate; 1 = Poisson, "
                                    "larger = more regular buyers)", "", int, low=1, high=20,
                                 source="1 = Poisson (BG/NBD, Pareto/NBD); fit k with simlib calibrate transactions "
                                        "(CNBD-k)", basis="structural"),
    "dropout_at_first_purchase": Param(False, "the chance of leaving after an order also applies to the first order "
                                              "(MBG/NBD) instead of repeat orders only (BG/NBD)", "", bool,
                                       source="BG/NBD (Fader, Hardie & Lee 2005) or MBG/NBD (Batislam et al. 2007); "
                                              "chosen by simlib calibrate transactions", basis="structural"),
    "seasonal_index": Param(None, "12 monthly multipliers of every purchase rate (category demand), mean 1, January "
                                  "first; needs market.start_date (null: no seasons)", "x", list, nullable=True,
                            source="fit it with simlib calibrate transactions --seasonal, or declare the team's own "
                                   "from earlier years", basis="fitted"),
    "new_buyer_boost": Param(0.0, "extra repeat-purchase rate right after a customer's first purchase, as a multiple of "
                                  "their settled rate; fades with new_buyer_boost_days (0: none)", "x", low=0.0, high=50.0,
                             source="0 = none; fit it with simlib calibrate transactions (new-buyer period): CDNOW's "
                                    "1997 cohort 0.84 (all 23,570) and 0.97 (1/10 sample), benchmarks/real_logs.py",
                                  basis="fitted", plausible=(0.0, 1.0)),
    "new_buyer_boost_days": Param(30.0, "time constant of the new-buyer boost's fade (the boost is new_buyer_boost x "
                                        "exp(-days since the first purchase / this))", "days", low=1.0, high=365.0,
                                  source="fitted with new_buyer_boost: CDNOW 38 and 35 days; 30 is a round default",
                                        basis="fitted", plausible=(20.0, 60.0)),
    # orders
    "order_value_sd_log": Param(0.4, "spread of one order's value around the customer's mean basket (sd of log; "
                                     "the calibration's order-to-order spread)", "log", low=0.0, high=3.0,
                                source="assumption, tested 0-0.8; fit it with simlib calibrate transactions (sd_within)",
                                     basis="assumption", plausible=(0.0, 0.8)),
    "baseline_brand_share": Param(0.25, "share of a customer's buying occasions in the category the brand wins with no "
                                        "lift; levers raise it by a logit, so the purchase rate can rise at most "
                                        "1 / this-fold (0: no ceiling, lifts multiply the rate)", "share",
                                  low=0.0, high=1.0,
                                  source="logit brand choice (Guadagni & Little 1983); the share is an assumption, "
                                         "tested 0.1-0.5", basis="assumption", plausible=(0.1, 0.5)),
    # effects (log-multipliers on hazards)
    "trust_effect": Param(0.5, "log-multiplier on interest and purchase hazards at trust 1", "log", low=0.0,
                          source=f"relationship effects are 'rather small' (Verhoef 2003; Gustafsson, Johnson & Roos "
                                 f"2005); assumption, tested 0.2-1.0 ({E} s6)",
                          basis="assumption", plausible=(0.2, 1.0)),
    "social_proof_effect": Param(0.5, "log-multiplier on interest and purchase per unit buyer share x susceptibility",
                                 "log", low=0.0,
                                 source=f"popularity information +13-20 % (Cai, Chen & Fang 2009): 0.15 at a 30 % buyer "
                                        f"share; tested 0.2-1.0 ({E} s10)", basis="published", plausible=(0.2, 1.0)),
    "content_effect": Param(0.8, "log-multiplier on aware -> interested per useful-content unit today", "log", low=0.0,
                            source="assumption: no published lift in interest per post was found (content marketing "
                                   "studies measure engagement, not a hazard); 0.8 makes a weekly useful post "
                                   "roughly double a pond member's interest on the day; tested 0.2-1.5",
                            basis="assumption", plausible=(0.2, 1.5)),
    "chat_effect": Param(1.0, "log-multiplier on interest and purchase on a day with a one-to-one chat", "log", low=0.0,
                         source="one practitioner figure: ~15 % touch-to-purchase among ~1,000 warm fans in an "
                                "afternoon (docs/domain.md) needs x3-5 on a chat day; published work gives only the "
                                "shape (diminishing, then negative returns to call intensity, a classified-ads field "
                                "study); tested 0.3-1.6 (docs/evidence.md s8)",
                         basis="domain", plausible=(0.3, 1.6)),
    "fatigue_effect": Param(0.7, "log-multiplier per unit excess fatigue: down on purchase, up on losing interest",
                            "log", low=0.0,
                            source=f"reactance past an ideal frequency (Godfrey, Seiders & Voss 2011): direction only; "
                                   f"assumption, tested 0.3-1.5 ({E} s7)", basis="assumption", plausible=(0.3, 1.5)),
    "churn_fatigue_effect": Param(0.3, "log-multiplier up on churn per unit excess fatigue (contact past tolerance "
                                       "makes some customers leave the brand, not only the pond)", "log", low=0.0,
                                  source="assumption: no study measures churn from message fatigue; the nearest, "
                                         "Ascarza, Iyengar & Schleicher 2016 (a wireless carrier's "
                                         "plan-recommendation offer raised 3-month churn from 6 % to 10 %), shows "
                                         "contact can prompt leaving by another mechanism and is not used for the "
                                         "size; tested 0-0.7 (docs/evidence.md s8)",
                                       basis="assumption", plausible=(0.0, 0.7)),
    "wake_chat_per_day": Param(0.05, "extra dormant -> active hazard on a day with a one-to-one chat", "per day", low=0.0,
                               source=f"assumption, tested 0.01-0.1 ({E} s8)",
                               basis="assumption", plausible=(0.01, 0.1)),
    "wake_content_per_day": Param(0.01, "extra dormant -> active hazard per useful-content unit", "per day", low=0.0,
                                  source="assumption, tested 0-0.03", basis="assumption", plausible=(0.0, 0.03)),
    "silence_per_fatigue": Param(0.02, "extra purchased/loyal -> dormant hazard per unit excess fatigue", "per day",
                                 low=0.0, source="assumption, tested 0.005-0.04",
                                 basis="assumption", plausible=(0.005, 0.04)),
    "unsubscribe_per_fatigue": Param(0.01, "extra leave-the-pond hazard per unit excess fatigue", "per day", low=0.0,
                                     source=f"a third of app users would switch notifications off at 2-3x their "
                                            f"tolerated load (Localytics 2017 survey), discounted for stated intent; "
                                            f"tested 0.003-0.02 ({E} s7)",
                                     basis="practitioner", plausible=(0.003, 0.02)),
    # the relationship: what keeps customers (log-multipliers down on dormancy, churn and leaving the pond)
    "retention_trust_effect": Param(0.3, "log-multiplier down on dormancy, churn and leaving the pond at trust 1", "log",
                                    low=0.0,
                                    source=f"satisfaction and commitment lengthen relationships, modestly (Bolton 1998; "
                                           f"Verhoef 2003); assumption, tested 0-0.7 ({E} s6)",
                                    basis="assumption", plausible=(0.0, 0.7)),
    "retention_pond_effect": Param(0.1, "log-multiplier down on dormancy and churn for a pond member (free, repeated "
                                        "reach)", "log", low=0.0,
                                   source=f"assumption: programme membership lengthens lifetimes, slightly "
                                          f"(Meyer-Waarden 2007; Verhoef 2003; Leenheer et al. 2007, grocery "
                                          f"and insurance): x0.9, tested 0-0.22 ({E} s5)",
                                   basis="assumption", plausible=(0.0, 0.22)),
    "retention_community_effect": Param(0.3, "log-multiplier down on dormancy, churn and leaving the pond per unit of "
                                             "group activity a member takes part in", "log", low=0.0,
                                        source="assumption: Manchanda, Packard & Pattabhiramaiah 2015 attribute 19 % "
                                               "of community members' revenue to joining (a North American "
                                               "entertainment retailer, difference in differences), one figure for "
                                               "the whole effect, which community_groups.social_proof_effect already "
                                               "uses: read together they should stay near x1.23 of a member's "
                                               "revenue; an eBay trial found none (Algesheimer et al. 2010); tested "
                                               "0-0.7 (docs/evidence.md s6)",
                                             basis="assumption", plausible=(0.0, 0.7)),
    "drift_per_day": Param(0.0007, "hazard that a pond member who hears nothing useful drifts out of the pond "
                                   "(unfollows, mutes for good), reached after long silence", "per day", low=0.0,
                           source=f"contact lists decay ~22.5 %/yr (HubSpot, secondary); WeChat prompts users to mute "
                                  f"accounts they have not read for long (2020); assumption, tested 0-0.002 ({E} s7)",
                                   basis="assumption", plausible=(0.0, 0.002)),
    "silence_tolerance_days": Param(30.0, "days without a useful touch after which drift is at 63 % of drift_per_day "
                                          "(drift = drift_per_day x (1 - exp(-days / this)))", "days", low=1e-6,
                                    source="assumption, tested 14-90", basis="assumption", plausible=(14.0, 90.0)),
    # state dynamics
    "trust_half_life_days": Param(90.0, "trust halves in this many days without contact", "days", low=1e-6,
                                  source="assumption, tested 30-180", basis="assumption", plausible=(30.0, 180.0)),
    "trust_gain_content": Param(0.02, "trust gained per useful-content unit (share of the gap to 1)", "share", low=0.0,
                                high=1.0, source="assumption, tested 0.005-0.05",
                                basis="assumption", plausible=(0.005, 0.05)),
    "trust_gain_chat": Param(0.08, "trust gained from a one-to-one chat (share of the gap to 1)", "share", low=0.0,
                             high=1.0, source="assumption, tested 0.02-0.15",
                             basis="assumption", plausible=(0.02, 0.15)),
    "trust_gain_purchase": Param(0.1, "trust gained from a purchase (share of the gap to 1)", "share", low=0.0, high=1.0,
                                 source="assumption, tested 0.03-0.2", basis="assumption", plausible=(0.03, 0.2)),
    "fatigue_half_life_days": Param(7.0, "fatigue halves in this many days without messages", "days", low=1e-6,
                                    source=f"assumption: annoyance from repeated ads decays over weeks (Kronrod & "
                                           f"Huber 2019, ad wear-out experiments); tested 7-28 ({E} s7)",
                                    basis="assumption", plausible=(7.0, 28.0)),
    "useful_relief": Param(0.6, "a fully useful message to a fully interested customer tires this much less than an ad",
                           "share", low=0.0, high=1.0,
                           source=f"communication aligned with preferences softens reactance (Godfrey et al. 2011): "
                                  f"direction; assumption, tested 0.3-0.8 ({E} s7)",
                           basis="assumption", plausible=(0.3, 0.8)),
}

BEHAVIOR_PARAMS.update(PROMOTION_PARAMS)   # the promotion response (promotion.py): behaviour's too

# a hazard of a million a day is "at once" (the Bass special case uses it); larger ones only
# make the event replay spin
MAX_HAZARD_PER_DAY = 1e6
BEHAVIOR_PARAMS = {name: (Param(**{**vars(p), "high": MAX_HAZARD_PER_DAY}) if p.unit == "per day" and p.high is None
                          else p) for name, p in BEHAVIOR_PARAMS.items()}

FORWARD, BACK, CHURN, LEAVE = range(4)   # columns of the exit table
# destination of the stage exits by (stage, column); WAKE is resolved to purchased/loyal by
# orders. Leaving the pond (column LEAVE) keeps the stage: it ends free reach, not the customer,
# and runs on a clock of its own.
WAKE = 100
DEST = np.array([
    [AWARE, UNAWARE, UNAWARE],         # unaware (only the forward exit has a hazard)
    [INTERESTED, UNAWARE, LOST],       # aware
    [PURCHASED, AWARE, LOST],          # interested: forward is the first order
    [PURCHASED, DORMANT, LOST],        # purchased (no forward exit: repeat orders are events)
    [LOYAL, DORMANT, LOST],            # loyal
    [WAKE, DORMANT, LOST],             # dormant
    [LOST, LOST, LOST],                # lost
], dtype=np.int16)


def check_seasons(behavior: dict, market: dict, source: str) -> None:
    """A seasonal index is 12 positive multipliers and needs the calendar date of day 0."""
    index = behavior["seasonal_index"]
    if index is None:
        return
    spec = Param(1.0, "", kind=float, low=1e-6, high=1e3)
    if len(index) != 12:
        raise ScenarioError(source, "behavior.seasonal_index", f"expected 12 monthly multipliers (January first), "
                                                                f"got {len(index)}")
    behavior["seasonal_index"] = [spec.check(v, source, f"behavior.seasonal_index[{i}]") for i, v in enumerate(index)]
    if market["start_date"] is None:
        raise ScenarioError(source, "behavior.seasonal_index", "needs market.start_date (the calendar date of day 0) "
                                                                "to know each day's month")


def seasonal_multipliers(behavior: dict, market: dict, days: int) -> np.ndarray | None:
    """The purchase-rate multiplier of each day of the run, from the monthly index (or None)."""
    index = behavior["seasonal_index"]
    if index is None:
        return None
    import datetime as dt
    start = dt.date.fromisoformat(market["start_date"])
    months = [(start + dt.timedelta(days=d)).month for d in range(days)]
    return np.asarray(index, np.float64)[np.asarray(months) - 1]


# The numbers the compiled hazards read: every numeric behaviour parameter by its name, then
# what the engine derives from them once per run.
DERIVED = ("trust_decay", "fatigue_decay", "price_decay", "pond_keep")
HazardParams = namedtuple("HazardParams", [name for name, p in BEHAVIOR_PARAMS.items()
                                           if p.kind in (float, int, bool)] + list(DERIVED))


def hazard_params(params: dict) -> HazardParams:
    """The behaviour parameters as the compiled code reads them (floats by name)."""
    derived = {"trust_decay": 0.5 ** (1.0 / params["trust_half_life_days"]),
               "fatigue_decay": 0.5 ** (1.0 / params["fatigue_half_life_days"]),
               "price_decay": 0.5 ** (1.0 / params["reference_price_memory_days"]),
               "pond_keep": math.exp(-params["retention_pond_effect"])}
    return HazardParams(*(float(params[name]) if name in params else derived[name] for name in HazardParams._fields))


# Today's inputs per (replication, channel) and per replication, as the compiled hazards and the
# compiled population step read them; ``keys``, the counts and the economics serve the step.
DayInputs = namedtuple("DayInputs", ["block", "n_channels", "regularity", "awareness_base", "awareness_wom",
                                     "social_proof", "ad_awareness", "ad_interest", "pond_entry_chance", "pond_on_purchase",
                                     "pond_min_orders", "purchase_multiplier", "interest_multiplier", "keys",
                                     "on", "stage_counts", "buyers_by_channel", "cogs_share", "clv_horizon_days",
                                     "static", "held", "since_day", "due_day", "silence_drift", "season"])
NOT_HELD = np.zeros((0, 3))   # ``DayInputs.held`` of a run whose hazards are recomputed every day
NO_DAYS = np.zeros(0, np.int16)   # its ``DayInputs.since_day`` and ``due_day`` (every customer is visited every day)


# Today's switches: terms whose inputs are all zero today are skipped (same result, cheaper day);
# the first eight are today's per-customer inputs, ``rows`` whether any of them was written
Switches = namedtuple("Switches", ["awareness_extra", "interest_boost", "purchase_boost", "discount_depth", "useful",
                                   "load", "chat", "belonging", "fatigue", "coupons", "reference_prices",
                                   "acceleration", "social_proof", "uneven_ads", "dropout", "pond_entry", "rows"])


@compiled(inline=True)
def choice_lift(utility, s0):
    """Multiplier on the purchase rate from the brand's extra utility ``utility`` (the sum of
    every log-lift): at each buying occasion of the category the customer picks the brand
    with logit share s = s0 e^u / (1 - s0 + s0 e^u) (Guadagni & Little 1983), s0 the share
    with no lift; the rate moves by s / s0. Small lifts act as e^u; however many lifts add
    up, the brand can at most win every occasion (1 / s0)."""
    if utility == 0.0:
        return 1.0
    e = math.exp(utility)
    if s0 <= 0:
        return e
    return e / ((1.0 - s0) + s0 * e)


@compiled
def daily_chance(hazard, out):
    """``out``: the chance that an event of per-day ``hazard`` happens within one day, 1 - e^-h."""
    for k in range(hazard.size):
        out[k] = -math.expm1(-hazard[k])


@compiled(inline=True)
def new_buyer_factor(first_purchase_day, day, p):
    """1 + boost x exp(-tenure / days) for a customer whose first purchase fell inside the run
    (the new-buyer period, simlib.calibrate.new_buyers); 1 for everyone else."""
    if first_purchase_day == NEVER:
        return 1.0
    return 1.0 + p.new_buyer_boost * math.exp(-(day - first_purchase_day) / p.new_buyer_boost_days)


@compiled(inline=True)
def awareness_hazard(i, rc, c, x, d):
    """An unaware customer's hazard of becoming aware: organic and ads (per channel; with uneven
    exposure, the ads per unit of the customer's exposure), word of mouth (the channel's buyer
    share x the customer's susceptibility) and policies' extras."""
    h = d.awareness_base[rc] + d.awareness_wom[rc] * c.social_susceptibility[i]
    if d.on.uneven_ads:
        h += d.ad_awareness[rc] * c.ad_exposure[i]
    if d.on.awareness_extra:
        h += today_input(x, x.slot[i], AWARENESS_EXTRA)
    return h


@compiled(inline=True)
def customer_hazards(i, rep, day, stage, c, x, d, p):
    """Per-day hazards of customer ``i`` (of replication ``rep``) in ``stage``: (forward, back,
    churn, leave the pond, repeat-order rate, dropout scale, anyway). ``c`` is the population's
    state (``CustomerArrays``), ``x`` today's per-customer inputs, ``d`` today's per-channel and
    per-replication inputs and switches (``DayInputs``), ``p`` the parameters
    (``HazardParams``). The exits are those of the stage (``DEST``); a lost customer has none.
    ``anyway``: the chance that an order placed today would have been placed at the list price,
    with no discount (1 without one), through the same brand-share logit and loss aversion."""
    if stage == LOST:
        return 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0
    rc = rep * d.n_channels + c.channel[i]
    on = d.on
    trust = float(c.trust[i])
    in_pond = c.in_pond[i]
    # the customer's row of today's inputs (-1: none today; not looked up when nothing was written)
    slot = x.slot[i] if on.rows else -1
    interested, dormant = stage == INTERESTED, stage == DORMANT
    active_buyer = stage == PURCHASED or stage == LOYAL
    buyer = active_buyer or dormant
    # log-lift shared by interest and purchase: trust, social proof, chat
    common = p.trust_effect * trust
    if on.social_proof:
        common += p.social_proof_effect * c.social_susceptibility[i] * d.social_proof[rc]
    chat = on.chat and today_input(x, slot, CHAT) != 0
    if chat:
        common += p.chat_effect
    useful = float(today_input(x, slot, USEFUL)) if on.useful else 0.0
    # excess fatigue, in tolerances above 1 (capped: past 50 it changes nothing more but overflows)
    excess = min(max(float(c.fatigue[i]) - 1.0, 0.0), 50.0) if on.fatigue else 0.0

    # purchase lift M: trust, social proof, chat, price against the reference, fatigue, boosts, calendar
    lift, anyway = 0.0, 1.0
    if interested or buyer:
        log_m = common
        depth = 0.0
        if on.coupons and c.coupon_depth[i] != 0 and c.coupon_expiry[i] >= day:
            depth = float(c.coupon_depth[i])
        if on.discount_depth:   # member prices, red-packet cash, referral rewards
            depth = min(depth + today_input(x, slot, DISCOUNT_DEPTH), 1.0)
        gap = 0.0
        # the price term is zero for whoever holds no discount and expects the list price
        if depth > 0 or (on.reference_prices and c.reference_price[i] < 1):
            sensitivity, reference = float(c.price_sensitivity[i]), float(c.reference_price[i])
            at_price = price_log_lift(sensitivity, depth, reference, p)
            log_m += at_price
            if depth > 0:   # what the discount adds over paying the list price (for ``anyway``)
                gap = at_price - price_log_lift(sensitivity, 0.0, reference, p)
        log_m -= p.fatigue_effect * excess
        if on.purchase_boost:
            log_m += today_input(x, slot, PURCHASE_BOOST)
        lift = choice_lift(log_m, p.baseline_brand_share)
        if gap:
            # would the order have happened at the list price? the rate without the discount over
            # the rate with it, through the same brand-share logit and loss aversion (thinning)
            anyway = choice_lift(log_m - gap, p.baseline_brand_share) / lift
        lift *= d.purchase_multiplier[rep]

    # the relationship: what keeps a customer (trust, the pond, taking part in a group)
    leave_keep = keep = 1.0
    if buyer or in_pond:
        keep_log = p.retention_trust_effect * trust
        if on.belonging:
            keep_log += p.retention_community_effect * today_input(x, slot, BELONGING)
        if keep_log:
            leave_keep = keep = math.exp(-keep_log)    # leaving the pond: trust and community
        if in_pond:
            keep *= p.pond_keep                        # dormancy and churn: also the pond

    # forward exit: awareness, interest, the first order, waking
    if stage == UNAWARE:
        forward = awareness_hazard(i, rc, c, x, d)
    elif stage == AWARE:
        log_i = common
        if on.useful:
            log_i += p.content_effect * useful
        if on.interest_boost:
            log_i += today_input(x, slot, INTEREST_BOOST)
        by_ads = d.ad_interest[rc]
        if on.uneven_ads:
            by_ads *= c.ad_exposure[i]
        rate_i = p.interest_per_day + by_ads
        if c.interest_propensity.size:
            rate_i *= c.interest_propensity[i]
        forward = rate_i * math.exp(log_i) * d.interest_multiplier[rep]
    elif interested:
        forward = p.first_purchase_per_day * lift
        if c.first_purchase_propensity.size:
            forward *= c.first_purchase_propensity[i]
    elif dormant:
        forward = p.wake_per_day + useful * p.wake_content_per_day
        if chat:
            forward += p.wake_chat_per_day
    else:
        forward = 0.0

    # back exit: losing interest, forgetting, going quiet
    back = 0.0
    if interested:
        back = p.lose_interest_per_day
        if excess:
            back *= math.exp(p.fatigue_effect * excess)
    elif active_buyer:
        back = p.dormancy_per_day * keep + p.silence_per_fatigue * excess
    elif stage == AWARE and not in_pond:
        back = p.forget_per_day

    # churn: a lifetime in time (Pareto/NBD's mu), more likely once dormant; the relationship
    # lowers it, fatigue raises it
    churn = 0.0
    if buyer:
        churn = c.lifetime_hazard_per_day[i] + (p.dormant_loss_per_day if dormant else 0.0)
        churn *= keep
        if excess and p.churn_fatigue_effect:
            churn *= math.exp(p.churn_fatigue_effect * excess)

    # leaving the pond: a base hazard, drift when nothing useful comes, fatigue (members only)
    leave = 0.0
    if in_pond:
        leave = p.unsubscribe_per_day + p.drift_per_day * d.silence_drift[min(day - c.last_useful_day[i],
                                                                            d.silence_drift.size - 1)]
        if on.load:
            leave += p.unsubscribe_per_message * today_input(x, slot, LOAD)
        leave = leave * leave_keep + p.unsubscribe_per_fatigue * excess

    # repeat orders
    base_rate = 0.0
    if active_buyer:
        base_rate = float(c.purchase_rate_per_day[i])
        if p.new_buyer_boost:
            base_rate *= new_buyer_factor(c.first_purchase_day[i], day, p)
    elif dormant:
        base_rate = c.purchase_rate_per_day[i] * p.dormant_purchase_factor
    base_rate *= d.season   # category demand changes the purchase clock itself, as the calibration fits it
    rate = min(base_rate * lift, p.max_orders_per_day)
    # the chance of leaving after an order is taken at the customer's own pace: orders the
    # levers add are not extra occasions to leave (scale = keep / lift), so a purchase lift
    # never shortens a lifetime; the relationship lowers it like every other exit
    scale = 0.0
    if on.dropout:
        scale = keep * base_rate / rate if rate > 0 else keep
    return forward, back, churn, leave, rate, scale, anyway


@compiled
def _hazards_of(idx, day, c, x, d, p, out):
    for j in range(idx.size):
        i = idx[j]
        h = customer_hazards(i, i // d.block, day, c.stage[i], c, x, d, p)
        for k in range(len(h)):
            out[j, k] = h[k]


class Hazards:
    """Today's hazards of a set of customers, aligned with their index array (``Behavior.hazards``).

    ``exits`` (n x 4, float32): forward, back, churn, leave the pond; ``rate``: repeat orders per
    day; ``dropout_scale``: multiplier on the chance of leaving after an order (the relationship
    and the purchase lift); ``anyway``: the chance that an order placed today would have been
    placed at the list price, with no discount (1 without one)."""

    __slots__ = ("exits", "rate", "dropout_scale", "anyway")

    def __init__(self, exits, rate, dropout_scale, anyway):
        self.exits, self.rate, self.dropout_scale, self.anyway = exits, rate, dropout_scale, anyway


class RecentBuyerTalk:
    """Word of mouth from recent buyers: each buyer talks with weight exp(-f x days since their
    first purchase), f = ``word_of_mouth_fade_per_day``; per (replication, channel), the summed
    weight T over the channel's customers. Customers who bought before day 0 start at the weight
    of their last order's age. With f -> 0, T is the number who ever bought (the Bass model)."""

    def __init__(self, pop, fade_per_day: float):
        self.pop, self.decay = pop, float(np.exp(-fade_per_day))
        n_channels = len(pop.channel_names)
        had = np.flatnonzero(pop.orders > 0)
        age = -pop.last_purchase_day[had].astype(np.float64)   # days before day 0
        where = pop.rep_of(had) * n_channels + pop.channel[had]
        # their weight at the start of day 0 (step() ages it by one day before day 0 is simulated)
        self.talk = np.bincount(where, weights=np.exp(-fade_per_day * age), minlength=pop.reps * n_channels)
        self.talk = self.talk.astype(np.float64) / self.decay
        self.buyers = pop.buyers_by_channel.reshape(-1).copy()
        self.size = np.tile(np.maximum(pop.channel_size, 1), pop.reps).astype(np.float64)

    def step(self) -> np.ndarray:
        """Advance to the start of today; the talking share at mid-day (yesterday's new buyers
        bought at mid-day on average; today's are extrapolated from them, as social proof is)."""
        buyers = self.pop.buyers_by_channel.reshape(-1)
        new = buyers - self.buyers
        self.buyers = buyers.copy()
        half = np.sqrt(self.decay)
        self.talk = self.talk * self.decay + new * half
        return np.clip((self.talk * half + 0.5 * new) / self.size, 0.0, 1.0)




class Behavior:
    """The behaviour model of a run: its parameters (``HazardParams``), the day's social proof
    and word of mouth, and the switches the day's inputs turn on. The formulas are the compiled
    functions above; ``hazards`` evaluates them for a set of customers (inspection and tests:
    the population step calls them per customer)."""

    def __init__(self, params: dict, pop, today, market: dict):
        self.p = params
        self.numbers = hazard_params(params)
        self.pop = pop
        self.today = today
        self.wom = np.array([c["word_of_mouth"] for c in market["channels"].values()])
        self._wom_per_talk = params["word_of_mouth_per_day"] * np.tile(self.wom, pop.reps)
        # per (replication, channel), flattened replication by replication; set each day by the engine
        self.social_proof = np.zeros(pop.reps * len(self.wom))
        self.talk_share = None     # recent buyers' share, when word of mouth fades (``begin_day``)
        fade = params["word_of_mouth_fade_per_day"]
        self._talk = RecentBuyerTalk(pop, fade) if fade > 0 else None
        self.fatigue_on = False   # set once any message has been sent
        self.season = 1.0         # today's seasonal multiplier of every purchase rate, set by the engine
        self.promotion = Promotion(params, pop)   # the price term, buying ahead, reference prices
        # BG/NBD dropout after orders exists in this market (else its scale is never read)
        self.dropout_on = bool(np.any(pop.dropout_after_purchase > 0))
        # a pond member's drift after k silent days, 1 - exp(-k / silence_tolerance_days), by k
        # (day numbers are int16: k < 2^16)
        self.silence_drift = -np.expm1(-np.arange(1 << 16) / params["silence_tolerance_days"])

    def begin_day(self) -> None:
        """Called by the engine at the start of each day, after social proof is set: the share of
        recent buyers whose word of mouth has not faded (``word_of_mouth_fade_per_day`` > 0)."""
        if self._talk is not None:
            self.talk_share = self._talk.step()

    def awareness_by_channel(self) -> tuple[np.ndarray, np.ndarray]:
        """(base hazard, word-of-mouth hazard per unit susceptibility) for the unaware, per
        (replication, channel), flattened as ``pop.channel_slices``. With uneven ad exposure the
        ads are not in the base: each customer's ad hazard is the channel's x their exposure."""
        base = self.p["awareness_per_day"]
        if self.pop.ad_exposure is None:
            base = base + self.today.ad_awareness.reshape(-1)
        else:
            base = np.full(self.today.ad_awareness.size, base)
        talk = self.social_proof if self.talk_share is None else self.talk_share
        return base, self._wom_per_talk * talk + self.today.awareness_per_susceptibility.reshape(-1)

    def switches(self) -> Switches:
        """Which terms today's inputs turn on."""
        t, p = self.today, self.p
        if t.touched("load"):   # whoever wrote today's load (messages, group chatter), fatigue is live
            self.fatigue_on = True
        touched = [t.touched(name) for name in Switches._fields[:8]]
        # a reference price below the list price comes only from a coupon's discount, and weighs
        # only with loss aversion: until a coupon is given, reference prices change nothing
        coupons, promo = self.pop.coupons.any_given, self.promotion
        return Switches(*touched, self.fatigue_on, coupons, bool(coupons and promo.reference_prices_on),
                        bool(promo.acceleration_on),
                        bool(p["social_proof_effect"] and self.social_proof.any()),
                        bool(self.pop.ad_exposure is not None and t.ad_awareness.any()), self.dropout_on,
                        bool(t.pond_entry.any()), any(touched))

    def _pond_entry_chance(self) -> np.ndarray:
        """Today's chance that an active customer outside the pond joins it, per (replication,
        channel): the pond-entry hazard over one day, worked out once a day for the step."""
        hazard = self.today.pond_entry.reshape(-1)
        chance = np.zeros(hazard.size)
        if hazard.any():
            daily_chance(hazard, chance)
        return chance

    def day_invariant(self, policies: bool) -> bool:
        """True when no term of ``customer_hazards`` can change from one day to the next but by
        the customer's own events: no policy writes today's inputs or coupons, and the terms
        that move with the calendar (seasons, the new-buyer period), with trust (it decays
        daily), with the buyer share (word of mouth, social proof) or with a pond member's
        silence are switched off. The population step then holds each customer's hazards from
        their last event instead of recomputing them daily: the same numbers, less work (the
        classic special cases)."""
        p = self.p
        return not (policies or p["seasonal_index"] is not None or p["new_buyer_boost"] or p["trust_effect"]
                    or p["retention_trust_effect"] or p["social_proof_effect"]
                    or (p["word_of_mouth_per_day"] and self.wom.any())
                    or (p["drift_per_day"] and self.pop.in_pond.any()))

    @staticmethod
    def usefulness(quality, affinity=None):
        """How useful a message of content ``quality`` (0 hard ad, 1 useful) is: as useful as each
        customer finds such content (quality x their ``affinity``, the content_affinity trait) for
        a message to many; its quality itself for a personal one (``affinity`` None: a chat,
        written for the customer)."""
        return np.float32(quality) if affinity is None else np.float32(quality) * affinity

    def message_load(self, count, usefulness):
        """Message load of ``count`` messages of ``usefulness`` (0-1) each: a useful message tires
        ``useful_relief`` less than a hard ad (fatigue, unsubscribing)."""
        return count * (1.0 - np.float32(self.p["useful_relief"]) * usefulness)

    def day_inputs(self, day: int, keys: np.ndarray | None = None, economics: dict | None = None,
                   held: np.ndarray | None = None, calendar: tuple | None = None) -> DayInputs:
        """Today's ``DayInputs``. ``keys``: the step's decisions' keys (a row per decision, a column
        per replication); ``economics``: the scenario's; ``held``: each customer's rates since their
        last event, (n x 3), in a day-invariant run (``day_invariant``), and ``calendar`` the days
        their clocks stand at and the days they are due (``quiet_days``)."""
        pop, t, p = self.pop, self.today, self.p
        base, wom = self.awareness_by_channel()
        ad_awareness = t.ad_awareness.reshape(-1)
        economics = economics or {"cogs_share": 0.0, "clv_horizon_days": 0}
        f64 = np.float64
        return DayInputs(pop.block, len(pop.channel_names), pop.regularity, np.asarray(base, f64),
                         np.asarray(wom, f64), np.asarray(self.social_proof, f64), ad_awareness,
                         p["ad_interest_ratio"] * ad_awareness, self._pond_entry_chance(),
                         t.pond_on_purchase.reshape(-1), t.pond_min_orders.reshape(-1),
                         t.purchase_multiplier, t.interest_multiplier,
                         np.zeros((1, pop.reps), np.uint64) if keys is None else keys, self.switches(),
                         pop.stage_counts.reshape(-1), pop.buyers_by_channel.reshape(-1),
                         float(economics["cogs_share"]), int(economics["clv_horizon_days"]), held is not None,
                         NOT_HELD if held is None else held, *(calendar or (NO_DAYS, NO_DAYS)),
                         self.silence_drift, float(self.season))

    def hazards(self, idx: np.ndarray, day: int) -> Hazards:
        """Today's hazards of customers ``idx`` (see ``customer_hazards``), as arrays."""
        idx = np.ascontiguousarray(idx, dtype=np.int64)
        out = np.zeros((idx.size, 7))
        _hazards_of(idx, day, self.pop.arrays(), self.today.customer_inputs(), self.day_inputs(day), self.numbers, out)
        f32 = np.float32
        return Hazards(out[:, :4].astype(f32), out[:, 4].astype(f32), out[:, 5].astype(f32), out[:, 6].astype(f32))
