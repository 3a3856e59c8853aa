"""Coupon state: the one coupon each customer may hold, what it is worth, and its redemption.

A coupon policy gives (``Coupons.give``); the population step reads the held depth for the
purchase hazard (``depth``) and redeems the coupon on an order (``redeem``), posting the
discount to the ledger; coupon policies read today's redemptions (``redeemed``). The value of
a coupon on an order of a given size is computed in one place, ``coupon_value_cny``.
"""

from __future__ import annotations

import numpy as np

from .population import NEVER

MAX_SOURCES = 127   # coupon sources fit an int8; index 0 is "none"


def coupon_value_cny(order_cny, off_share, off_cny, min_spend_cny):
    """Discount of a coupon on an order of ``order_cny``: ``off_share`` of it plus ``off_cny``,
    at most the order, and nothing when the order is below ``min_spend_cny``."""
    return np.where(order_cny >= min_spend_cny, np.minimum(order_cny, order_cny * off_share + off_cny), 0.0)


class Coupons:
    """Per-customer held coupon (one at a time; a new one replaces it), as arrays."""

    def __init__(self, n: int):
        self.depth = np.zeros(n, np.float32)         # perceived depth: discount on the usual basket / basket
        self.off_share = np.zeros(n, np.float32)
        self.off_cny = np.zeros(n, np.float32)
        self.min_spend_cny = np.zeros(n, np.float32)
        self.expiry = np.full(n, NEVER, np.int16)    # last day it can be used
        self.source = np.zeros(n, np.int8)           # index into ``sources``
        self.sources = [""]
        self.any_given = False                       # no coupon yet: the step skips the term
        self._redeemed: list[tuple] = []             # today's (idx, discount, source) per batch

    def give(self, idx, basket_cny, day: int, source: str, off_share: float = 0.0, off_cny: float = 0.0,
             min_spend_cny: float = 0.0, valid_days: int = 7) -> None:
        """Hand ``idx`` (whose usual basket is ``basket_cny``) a coupon valid from ``day`` for
        ``valid_days`` days. Its cost is booked only on redemption."""
        self.any_given = True
        if source not in self.sources:
            if len(self.sources) > MAX_SOURCES:
                raise RuntimeError(f"more than {MAX_SOURCES} coupon sources")
            self.sources.append(source)
        value = coupon_value_cny(basket_cny, off_share, off_cny, min_spend_cny)
        self.depth[idx] = value / np.maximum(basket_cny, 1e-9)
        self.off_share[idx] = off_share
        self.off_cny[idx] = off_cny
        self.min_spend_cny[idx] = min_spend_cny
        self.expiry[idx] = min(day + valid_days - 1, np.iinfo(np.int16).max)
        self.source[idx] = self.sources.index(source)

    def held_depth(self, idx, day: int) -> tuple[np.ndarray, np.ndarray]:
        """(positions in ``idx`` holding a coupon, the depth of each, 0 where expired)."""
        held = np.flatnonzero(self.depth[idx])
        h_idx = idx[held]
        return held, self.depth[h_idx] * (self.expiry[h_idx] >= day)

    def redeem(self, idx, amount_cny, day: int) -> tuple[np.ndarray, np.ndarray]:
        """Use the valid coupons of ``idx`` (unique) on orders of ``amount_cny``. Returns the
        discount of each order (0 without a coupon) and which orders used one; logs them."""
        used = (self.expiry[idx] >= day) & (amount_cny >= self.min_spend_cny[idx])
        discount = np.where(used, coupon_value_cny(amount_cny, self.off_share[idx], self.off_cny[idx],
                                                   self.min_spend_cny[idx]), 0.0)
        if used.any():
            u = idx[used]
            self.expiry[u] = NEVER
            self._redeemed.append((u, discount[used], self.source[u]))
        return discount, used

    def redeemed(self, source: str) -> tuple[np.ndarray, np.ndarray]:
        """Today's redemptions of coupons from ``source`` with a discount: (idx, discount CNY)."""
        if source not in self.sources or not self._redeemed:
            e = np.zeros(0)
            return e.astype(np.int64), e
        code = self.sources.index(source)
        idx, discount, src = (np.concatenate(x) for x in zip(*self._redeemed))
        mine = (discount > 0) & (src == code)
        return idx[mine], discount[mine]

    def new_day(self) -> None:
        self._redeemed = []
