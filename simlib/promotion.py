"""The promotion response: what a price cut does to a customer's buying, in parts data can tell apart.

- **Immediate lift.** A discount of depth d (a held coupon plus any price cut declared in
  ``Today.discount_depth``) adds ``discount_effect`` x price sensitivity x d to the brand's
  utility; ``Behavior.choice_lift`` (the brand-share logit) turns the utility into the purchase
  multiplier. Where a competitor share is modelled (``baseline_brand_share`` > 0) the extra
  orders are won from competitors (brand switching) and the lift has a ceiling.
- **Purchase acceleration.** A share ``acceleration_share`` of the orders a discount adds are
  bought ahead: the customer stocks up, and their next regular order within
  ``acceleration_window_days`` is not placed (the purchase clock runs, the order is covered by
  what they bought). A bump, then a dip as long as the window, then back to base. Stockpiling
  (``stockpile_share``, off by default): an order placed with a discount that the customer would
  have placed anyway is a larger basket that covers their next regular order in the same window;
  a dip that follows the orders bought at a discount, so a deeper coupon barely deepens it.
- **Reference prices.** The price paid moves the price the customer expects to pay
  (``reference_price_adaptation``); the regular prices they keep seeing pull it back (half-life
  ``reference_price_memory_days``); paying above it weighs ``reference_price_loss_ratio`` times
  a discount of the same size. After a deep discount, full price feels like a loss: a post-
  promotion dip of its own, proportional to the depth paid, not to the orders added.

The parts leave different footprints in a campaign's weekly arm data (the lift in the weeks the
discount is held, acceleration as a dip proportional to it over the window, reference prices as
a dip proportional to the depth paid with the memory's half-life), which is what
``simlib calibrate uplift`` fits (docs/calibration.md). The formulas below are compiled: the
hazards (``behavior.customer_hazards``) call ``price_log_lift``; the population step
(``customer_day``) calls ``ahead_chance``, ``stockpile_chance``, ``paid_back_chance``, ``stocked_until``,
``adapted_reference`` and ``relaxed_reference`` for each order and each day.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .compiled import compiled
from .params import Param

E = "docs/evidence.md"

PROMOTION_PARAMS = {
    "discount_effect": Param(8.0, "log-multiplier on the brand's utility per unit discount depth x price sensitivity "
                                  "(the immediate lift; the logit of baseline_brand_share turns it into a purchase "
                                  "multiplier)", "log", low=0.0,
                             source=f"promotional price elasticity -3.63, a 20 % cut lifting sales 73 % (Bijmolt, "
                                    f"van Heerde & Pieters 2005, a meta-analysis of mostly packaged-goods scanner "
                                    f"data, deals mostly 5-20 % off); the whole bump, since orders bought ahead are "
                                    f"acceleration_share: 8 gives the average customer x1.71 at 20 % off through the "
                                    f"brand-share logit, which saturates deeper rungs (57-72 %) towards its "
                                    f"ceiling; tested 4-12 ({E} s1)",
                             basis="published", plausible=(4.0, 12.0)),
    "acceleration_share": Param(0.25, "share of the orders a discount adds that are bought ahead: the customer's next "
                                      "regular order within acceleration_window_days is then not placed (0: none)",
                                "share", low=0.0, high=1.0,
                                source=f"cross-period effects about a third of the promotion bump (van Heerde, "
                                       f"Leeflang & Wittink 2004), acceleration 14 % for coffee (Gupta 1988), "
                                       f"post-promotion dips 4-25 % of the current effect (van Heerde, Leeflang & "
                                       f"Wittink 2000); tested 0-0.5 ({E} s1)",
                                basis="published", plausible=(0.0, 0.5)),
    "acceleration_window_days": Param(28, "days after an order bought ahead during which it stands in for the "
                                          "customer's next regular order (the length of the post-promotion dip)",
                                      "days", int, low=1, high=365,
                                      source=f"post-promotion dips spread over the weeks after the promotion (van "
                                             f"Heerde, Leeflang & Wittink 2000); the length is an assumption, tested "
                                             f"7-60 ({E} s1)", basis="assumption", plausible=(7, 60)),
    "stockpile_share": Param(0.0, "chance that an order placed with a discount, one the customer would have placed "
                                  "anyway, is a larger basket that covers their next regular order within "
                                  "acceleration_window_days (stockpiling on deal: a dip that follows the orders bought "
                                  "at a discount, not the orders the discount adds, so it grows little with the depth; "
                                  "0: none)", "share", low=0.0, high=1.0,
                             source=f"households buy larger quantities on deal and stockpile, more so after long "
                                    f"exposure to promotions (Mela, Jedidi & Bowman 1998); the quantity part of the "
                                    f"deal effect, beside timing and brand choice (Gupta 1988; Bell, Chiang & "
                                    f"Padmanabhan 1999); off by default (the default bump's payback is "
                                    f"acceleration_share), fitted where a team's weekly data show a dip after the "
                                    f"coupon week that a deeper coupon would not deepen; tested 0-0.3 ({E} s1)",
                             basis="published", plausible=(0.0, 0.3)),
    "topup_value_share": Param(0.7, "what items added to reach a coupon threshold are worth to the customer, as a share "
                                    "of their price: a customer short of the threshold tops up when the shortfall x "
                                    "(1 - this) is less than the discount", "share", low=0.0, high=1.0,
                               source=f"assumption, tested 0.5-0.9, checked against 12.4-28.4 % of below-threshold "
                                      f"orders padded to a free-shipping threshold (Hemmati et al. 2021) ({E} s3)",
                               basis="assumption", plausible=(0.5, 0.9)),
    "reference_price_adaptation": Param(0.05, "weight of the price share paid on the latest order in the customer's "
                                             "reference price (exponential smoothing per order): how much a "
                                             "discounted price lowers the price they expect", "share", low=0.0,
                                        high=1.0,
                                        source=f"memory-based reference prices fit best (Briesch et al. 1997); "
                                               f"promotion depth lowers price expectations (Kalwani & Yim 1992), a "
                                               f"percentage-off frame less than cents off (DelVecchio, Krishnan & "
                                               f"Smith 2007); the weight is an assumption kept small, so the post-"
                                               f"promotion dip is small unless a team's weekly data show more; "
                                               f"tested 0.01-0.3 ({E} s2)", basis="assumption", plausible=(0.01, 0.3)),
    "reference_price_memory_days": Param(30.0, "half-life of the gap between the customer's reference price and the "
                                               "list price: the regular prices they keep seeing pull it back", "days",
                                         low=1e-6,
                                         source=f"reference prices form from past prices seen, not only paid "
                                                f"(Kalyanaram & Winer 1995); assumption, tested 14-90 ({E} s2)",
                                         basis="assumption", plausible=(14.0, 90.0)),
    "reference_price_loss_ratio": Param(1.5, "a price above the reference price weighs this many times a discount of "
                                             "the same size (loss aversion); 0 switches reference prices off", "x",
                                        low=0.0,
                                        source=f"assumption between the published ends: losses weigh more than gains "
                                               f"(Kalyanaram & Winer 1995); 2.25 in risky choice (Tversky & Kahneman "
                                               f"1992), smaller with heterogeneity (Bell & Lattin 2000); tested 1-2.25 "
                                               f"({E} s2)",
                                        basis="assumption", plausible=(1.0, 2.25)),
}


# the parts a campaign's week-by-week arm data can tell apart: what ``simlib calibrate uplift``
# fits for an offer that cuts the price (``--fit promotion``)
FITTED_PARTS = ("behavior.discount_effect", "behavior.acceleration_share", "behavior.reference_price_adaptation")


@dataclass(frozen=True)
class DipForm:
    """One account of the dip after a promotion: the parts it fits, and the parts it holds at a
    value (the other accounts' dips switched off)."""

    name: str
    parts: tuple
    fixed: tuple      # ((dotted key, value), ...)
    says: str
    name_zh: str


# The dip after a coupon has two accounts that a test at one depth cannot tell apart: both
# produce a bump and then a dip of the same weeks. They part at another depth. When a comparison
# predicts another depth, the draws carry both, weighted by how well each fits
# (``simlib calibrate uplift --fit promotion``; docs/calibration.md section 5).
DIP_FORMS = (
    DipForm("dip grows with depth", FITTED_PARTS, (("behavior.stockpile_share", 0.0),),
            "orders bought ahead and reference prices: a deeper coupon deepens the dip", "回落随力度加深"),
    DipForm("dip follows the buyers", ("behavior.discount_effect", "behavior.stockpile_share"),
            (("behavior.acceleration_share", 0.0), ("behavior.reference_price_adaptation", 0.0)),
            "stockpiling by the customers who bought at a discount: a deeper coupon barely deepens the dip",
            "回落跟随打折购买者"),
)
# every key a form fits or holds: naming one of them beside ``promotion`` fits exactly what is named
FORM_KEYS = tuple(dict.fromkeys(k for f in DIP_FORMS for k in f.parts + tuple(key for key, _ in f.fixed)))
SHARE_OFF_KEYS = ("off_share", "coupon_off_share", "discount_share", "down_off_shares", "up_off_shares")


def share_offs(policies: dict) -> list[float]:
    """The share-off price cuts (0-1) that a scenario's enabled policies offer, however deep in
    their settings (coupons, ladder steps, a broadcast's coupon, member prices, journey steps):
    the depths a fitted promotion response was measured at, or is asked to predict."""
    found: list[float] = []

    def walk(node, key=None):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key if key in SHARE_OFF_KEYS else None)
        elif key in SHARE_OFF_KEYS and isinstance(node, (int, float)) and not isinstance(node, bool) and node > 0:
            found.append(float(node))

    for cfg in (policies or {}).values():
        if isinstance(cfg, dict) and cfg.get("enabled", True):
            walk(cfg)
    return sorted(set(found))


class Promotion:
    """Which parts of the promotion response are live in a population (the compiled step skips
    the others)."""

    def __init__(self, params: dict, pop):
        self.p, self.pop = params, pop
        # a price above the one the customer is used to weighs (else reference prices change nothing)
        self.reference_prices_on = bool(params["reference_price_loss_ratio"])
        # orders can stand in for later ones: bought ahead (added orders) or stockpiled (orders placed anyway)
        self.acceleration_on = params["acceleration_share"] > 0 or params["stockpile_share"] > 0


@compiled(inline=True)
def price_log_lift(sensitivity, depth, reference_price, p):
    """Log-lift on the purchase hazard of paying (1 - ``depth``) of the list price, against
    the customer's reference price: a discount pulls (``discount_effect``), a price above
    what the customer has got used to paying weighs ``reference_price_loss_ratio`` times
    as much (Kalyanaram & Winer 1995; see the parameter reference). ``p``: ``HazardParams``."""
    pull = p.discount_effect * sensitivity
    return pull * depth - p.reference_price_loss_ratio * pull * max(1.0 - depth - reference_price, 0.0)


@compiled(inline=True)
def ahead_chance(anyway, p):
    """Chance that an order placed with a discount was bought ahead: acceleration_share of the
    chance it was added by the discount (1 - ``anyway``, behaviour's counterfactual)."""
    return p.acceleration_share * (1.0 - anyway)


@compiled(inline=True)
def stockpile_chance(anyway, p):
    """Chance that an order placed with a discount covers a later regular order although the
    customer would have placed it anyway: stockpile_share of ``anyway``, for orders the discount
    made more likely (``anyway`` < 1; 1 is an order at the list price)."""
    return p.stockpile_share * anyway if anyway < 1.0 else 0.0


@compiled(inline=True)
def paid_back_chance(purchase_rate, p):
    """Chance that an order bought ahead stands in for a regular order: that the customer's own
    next order (at their ``purchase_rate`` per day) falls within the window. Of the orders a
    discount adds, ``ahead_chance`` x this were orders the customer would have placed anyway."""
    return -math.expm1(-purchase_rate * p.acceleration_window_days)


@compiled(inline=True)
def stocked_until(day, p):
    """The last day an order bought ahead on ``day`` stands in for a regular one."""
    return min(day + int(p.acceleration_window_days), 32767)


@compiled(inline=True)
def adapted_reference(reference, paid_share, p):
    """The reference price after an order paying ``paid_share`` of the list price: the price paid
    moves what the customer expects to pay (exponential smoothing per order)."""
    return reference + p.reference_price_adaptation * (paid_share - reference)


@compiled(inline=True)
def relaxed_reference(reference, p):
    """The reference price after a day of seeing regular prices: they pull it back towards the list
    price (half-life ``reference_price_memory_days``: ``p.price_decay``)."""
    return 1.0 - (1.0 - reference) * p.price_decay
