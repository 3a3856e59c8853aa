"""Coupon state: the one coupon each customer may hold, what it is worth, and its redemption.

A coupon policy gives (``Coupons.give``); the population step reads the held depth for the
purchase hazard (``behavior.customer_hazards``) and redeems the coupon on an order
(``customer_day.order``), posting the discount to the ledger; coupon policies read today's
redemptions (``redeemed``). The value of a coupon on an order of a given size is computed in
one place, ``coupon_value_cny``.

Orders vary around the customer's mean basket (log-normal, ``behavior.order_value_sd_log``),
so a threshold coupon ("spend 99, save 3") is within reach of some orders and not others. A
customer whose order falls short of the threshold tops it up when the shortfall, valued at
``1 - topup_value_share`` of its price, costs less than the discount (``topped_up``). The
depth a customer perceives is the expected discount over their orders, top-ups included,
over their mean basket (``expected_discount_cny``).
"""

from __future__ import annotations

import math

import numpy as np
from .compiled import compiled

from .days import NEVER

MAX_SOURCES = 127   # coupon sources fit an int8; index 0 is "none"
LAST_DAY = int(np.iinfo(np.int16).max)   # the latest expiry an int16 day holds (np.iinfo costs 6 us a call)


@compiled(inline=True)
def coupon_value_cny(order_cny, off_share, off_cny, min_spend_cny):
    """Discount of a coupon on an order of ``order_cny``: ``off_share`` of it plus ``off_cny``,
    at most the order, and nothing when the order is below ``min_spend_cny``."""
    if order_cny < min_spend_cny:
        return 0.0
    return min(order_cny, order_cny * off_share + off_cny)


@compiled(inline=True)
def topup_floor_cny(min_spend_cny, off_share, off_cny, topup_value_share):
    """Smallest order that is topped up to ``min_spend_cny`` rather than paid without the coupon:
    the shortfall x (1 - topup_value_share) must be less than the discount at the threshold."""
    keep = 1.0 - topup_value_share
    if keep <= 0:
        return 0.0
    reach = coupon_value_cny(min_spend_cny, off_share, off_cny, min_spend_cny) / max(keep, 1e-12)
    return max(min_spend_cny - reach, 0.0)


@compiled(inline=True)
def topped_up(order_cny, min_spend_cny, off_share, off_cny, topup_value_share):
    """An order's value after topping it up to a coupon's threshold where that pays for the customer."""
    if order_cny < min_spend_cny and order_cny >= topup_floor_cny(min_spend_cny, off_share, off_cny, topup_value_share):
        return min_spend_cny
    return order_cny


@compiled
def _normal_cdf(x):
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


@compiled(inline=True)
def expected_discount_cny(basket_cny, sd_log, off_share, off_cny, min_spend_cny, topup_value_share):
    """Expected discount of a coupon over a customer's orders, log-normal around ``basket_cny``
    (their mean) with spread ``sd_log``, top-ups included. Exact (log-normal partial moments)."""
    m, s, c = min_spend_cny, off_share, off_cny
    floor = topup_floor_cny(m, s, c, topup_value_share)
    at_threshold = coupon_value_cny(m, s, c, m)
    if sd_log <= 0:   # every order is the basket
        if basket_cny >= m:
            return coupon_value_cny(basket_cny, s, c, m)
        return at_threshold if basket_cny >= floor else 0.0
    mu = math.log(max(basket_cny, 1e-12)) - sd_log * sd_log / 2

    def above(x):            # P(a >= x)
        return 1.0 if x <= 0 else _normal_cdf((mu - math.log(x)) / sd_log)

    def mean_above(x):       # E[a; a >= x]
        return basket_cny if x <= 0 else basket_cny * _normal_cdf((mu + sd_log * sd_log - math.log(x)) / sd_log)

    # above the threshold the value is min(a, s a + c): a itself below a* = c / (1 - s)
    cross = c / max(1 - s, 1e-12) if s < 1 else math.inf
    split = max(m, cross)
    whole = mean_above(m) - mean_above(split)                # orders given away whole
    part = s * mean_above(split) + (c * above(split) if c else 0.0)   # s a + c beyond the split
    band = above(floor) - above(m)                           # topped up to the threshold
    return whole + part + at_threshold * band


@compiled
def _depths(basket_cny, sd_log, off_share, off_cny, min_spend_cny, topup_value_share, out):
    for i in range(basket_cny.size):
        b = float(basket_cny[i])
        value = expected_discount_cny(b, sd_log, off_share, off_cny, min_spend_cny, topup_value_share)
        out[i] = min(value / max(b, 1e-9), 1.0)


@compiled
def _give_each(idx, which, kinds, off_share, off_cny, min_spend_cny, expiry_day, basket_cny, sd_log, topup_value_share,
               kind, depth, expiry):
    """Customer ``idx[j]`` (unique) holds coupon ``which[j]`` from now: its kind ``kinds[which[j]]``,
    the depth they perceive in it (``_depths`` with the terms of that coupon, the terms as
    arrays) and its last day ``expiry_day``."""
    for j in range(idx.size):
        i = idx[j]
        k = which[j]
        b = float(basket_cny[i])
        value = expected_discount_cny(b, sd_log, off_share[k], off_cny[k], min_spend_cny[k], topup_value_share)
        kind[i] = kinds[k]
        depth[i] = min(value / max(b, 1e-9), 1.0)
        expiry[i] = expiry_day


MAX_KINDS = 255   # coupon kinds (terms x source) of a run: a customer's kind fits a uint8; 0 is "none"


class Coupons:
    """Per-customer held coupon (one at a time; a new one replaces it), as arrays: its kind (an
    index into the run's table of kinds: the terms and the source), the last day it can be used
    and the depth the customer perceives in it. 7 bytes a customer."""

    def __init__(self, basket_cny: np.ndarray, order_sd_log: float = 0.0, topup_value_share: float = 0.0):
        n = basket_cny.size
        self.basket_cny = basket_cny                 # each customer's mean basket (the trait)
        self.order_sd_log = order_sd_log             # spread of orders around the mean basket (log)
        self.topup_value_share = topup_value_share   # behaviour parameters of the same names
        self.depth = np.zeros(n, np.float32)         # perceived depth: discount on the usual basket / basket
        self.kind = np.zeros(n, np.uint8)            # index into the kind table below (0: none given)
        self.expiry = np.full(n, NEVER, np.int16)    # last day it can be used
        # the table of kinds, one entry per kind given in the run (entry 0: none)
        self.kind_off_share = np.zeros(MAX_KINDS + 1, np.float32)
        self.kind_off_cny = np.zeros(MAX_KINDS + 1, np.float32)
        self.kind_min_spend_cny = np.zeros(MAX_KINDS + 1, np.float32)
        self.kind_source = np.zeros(MAX_KINDS + 1, np.int8)   # index into ``sources``
        self.kinds: list[tuple] = [None]
        self.kind_by_terms: dict[tuple, int] = {}     # (source, terms as given) -> kind, once looked up
        self.offer_tables: dict[tuple, tuple] = {}    # (source, offers) -> ``give_each``'s kinds and terms
        self.sources = [""]
        self.any_given = False                       # no coupon yet: the step skips the term
        self._redeemed: list[tuple] = []             # today's (idx, discount, source) per batch
        self._redeemed_by_source: dict = {}          # source -> (batches read, its redemptions today)

    # what a held coupon is, per customer (from the table of kinds)
    off_share = property(lambda self: self.kind_off_share[self.kind])
    off_cny = property(lambda self: self.kind_off_cny[self.kind])
    min_spend_cny = property(lambda self: self.kind_min_spend_cny[self.kind])
    source = property(lambda self: self.kind_source[self.kind], doc="index into ``sources``")

    def depth_of(self, off_share: float, off_cny: float, min_spend_cny: float, idx) -> np.ndarray:
        """The depth customers ``idx`` perceive in a coupon of this kind (float32; from their
        baskets, computed for them alone: no per-kind array of every customer is kept)."""
        basket = self.basket_cny[idx]
        depth = np.empty(basket.size, np.float32)
        _depths(basket, float(self.order_sd_log), float(off_share), float(off_cny), float(min_spend_cny),
                float(self.topup_value_share), depth)
        return depth

    def _kind_of(self, source: str, off_share: float, off_cny: float, min_spend_cny: float) -> int:
        terms = (source, off_share, off_cny, min_spend_cny)
        known = self.kind_by_terms.get(terms)
        if known is not None:
            return known
        if source not in self.sources:
            if len(self.sources) > MAX_SOURCES:
                raise RuntimeError(f"more than {MAX_SOURCES} coupon sources")
            self.sources.append(source)
        f32 = np.float32
        key = (self.sources.index(source), f32(off_share), f32(off_cny), f32(min_spend_cny))
        if key not in self.kinds:
            if len(self.kinds) > MAX_KINDS:
                raise RuntimeError(f"more than {MAX_KINDS} kinds of coupon (terms x source) in one run")
            k = len(self.kinds)
            self.kinds.append(key)
            self.kind_source[k], self.kind_off_share[k], self.kind_off_cny[k], self.kind_min_spend_cny[k] = key
        kind = self.kinds.index(key)
        self.kind_by_terms[terms] = kind
        return kind

    def give(self, idx, day: int, source: str, off_share: float = 0.0, off_cny: float = 0.0,
             min_spend_cny: float = 0.0, valid_days: int = 7) -> None:
        """Hand ``idx`` a coupon valid from ``day`` for ``valid_days`` days. Its cost is booked
        only on redemption."""
        self.any_given = True
        self.kind[idx] = self._kind_of(source, off_share, off_cny, min_spend_cny)
        self.depth[idx] = self.depth_of(off_share, off_cny, min_spend_cny, idx)
        self.expiry[idx] = min(day + valid_days - 1, LAST_DAY)

    def give_each(self, idx, which, offers, day: int, source: str, valid_days: int = 7) -> None:
        """Hand each customer ``idx[j]`` the coupon ``offers[which[j]]``, an ``(off_share, off_cny,
        min_spend_cny)``, valid from ``day`` for ``valid_days`` days: what ``give`` of each offer to
        its customers does, in one pass (``idx`` unique; the kinds are named in the order of
        ``offers``)."""
        offers = tuple(tuple(terms) for terms in offers)
        table = self.offer_tables.get((source, offers))
        if table is None:   # the kinds and the terms as arrays, once for each list of offers
            table = self.offer_tables[(source, offers)] = (
                np.array([self._kind_of(source, *terms) for terms in offers], np.int64),
                *(np.array([float(t[k]) for t in offers], np.float64) for k in range(3)))
        self.any_given = True
        _give_each(np.asarray(idx, np.int64), np.asarray(which, np.int64), *table, min(day + valid_days - 1, LAST_DAY),
                   self.basket_cny, float(self.order_sd_log), float(self.topup_value_share), self.kind, self.depth,
                   self.expiry)

    def redeemed(self, source: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Today's redemptions of coupons from ``source`` with a discount: (idx, discount CNY, the
        chance the order would have been placed anyway, at the list price); read-only."""
        if source not in self.sources or not self._redeemed:
            e = np.zeros(0)
            return e.astype(np.int64), e, e
        read, got = self._redeemed_by_source.get(source, (0, None))
        if read != len(self._redeemed):   # once a day per source (every replication's policy asks)
            code = self.sources.index(source)
            idx, discount, src, anyway = (np.concatenate(x) for x in zip(*self._redeemed))
            mine = (discount > 0) & (src == code)
            got = idx[mine], discount[mine], anyway[mine]
            for a in got:
                a.setflags(write=False)     # shared by the replications' reads
            self._redeemed_by_source[source] = (len(self._redeemed), got)
        return got

    def new_day(self) -> None:
        self._redeemed = []
        self._redeemed_by_source = {}


class CouponsView(Coupons):
    """The coupons of one replication of a batched population (customers ``lo`` .. ``hi`` - 1
    of the whole), numbered from 0: views of the shared arrays, the shared table of kinds."""

    def __init__(self, whole: Coupons, lo: int, hi: int):   # noqa: D107 (a view, no Coupons.__init__)
        self._whole, self._lo, self._hi = whole, lo, hi
        self.order_sd_log, self.topup_value_share = whole.order_sd_log, whole.topup_value_share
        for name in ("basket_cny", "depth", "kind", "expiry"):
            setattr(self, name, getattr(whole, name)[lo:hi])
        for name in ("kind_off_share", "kind_off_cny", "kind_min_spend_cny", "kind_source", "kinds", "kind_by_terms",
                     "offer_tables", "sources"):
            setattr(self, name, getattr(whole, name))

    @property
    def any_given(self):
        return self._whole.any_given

    @any_given.setter
    def any_given(self, value):
        self._whole.any_given = value

    def redeemed(self, source: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        idx, discount, anyway = self._whole.redeemed(source)
        if len(self._whole._redeemed) <= 1:   # one batch a day, the step's: customers ascending
            lo, hi = np.searchsorted(idx, (self._lo, self._hi)).tolist()
            return idx[lo:hi] - self._lo, discount[lo:hi], anyway[lo:hi]
        mine = (idx >= self._lo) & (idx < self._hi)
        return idx[mine] - self._lo, discount[mine], anyway[mine]
