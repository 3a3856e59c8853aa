"""Incentives: coupons (more in the policy library)."""

from __future__ import annotations

from ..params import Param
from .base import Policy, register_policy


@register_policy("flat_coupon")
class FlatCoupon(Policy):
    """Every ``every_days`` days, give each pond member a coupon: ``off_share`` of the order
    plus ``off_cny`` off when the order is at least ``min_spend_cny``, valid ``valid_days``.

    The coupon lifts purchase hazards (``behavior.discount_effect`` x price sensitivity x
    depth) and costs money only when redeemed, on any order, including orders that would
    have happened anyway (cannibalisation).
    """

    params = {
        "every_days": Param(30, "days between coupon drops", "days", int, low=1),
        "off_share": Param(0.1, "share of the order value taken off", "share", low=0.0, high=1.0),
        "off_cny": Param(0.0, "fixed amount taken off", "CNY", low=0.0),
        "min_spend_cny": Param(0.0, "order value needed to use the coupon", "CNY", low=0.0),
        "valid_days": Param(7, "days the coupon can be used, from the day it is given", "days", int, low=1),
    }

    def act(self, day):
        if (day - self.p["start_day"]) % self.p["every_days"]:
            return
        sim = self.sim
        to = sim.message(sim.pond_members(), quality=0.0)
        p = self.p
        sim.give_coupon(to, self.name, off_share=p["off_share"], off_cny=p["off_cny"],
                        min_spend_cny=p["min_spend_cny"], valid_days=p["valid_days"])
