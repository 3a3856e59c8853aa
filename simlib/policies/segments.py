"""Segments and tags: RFM scores, named segments and rule-based tags, recomputed during the run.

Operators "tag each member and serve segments differently" (docs/domain.md). One ``segments``
policy per scenario computes, every ``every_days`` days and only for the customers in its
scope (the pond and buyers by default, not the whole market):
- RFM scores 1-5: recency (days since the last order; fewer is better), frequency (orders)
  and monetary (CNY paid), by fixed cut points or by quintiles of the scope's buyers;
- one segment per customer: the first rule in ``segments`` whose score bounds hold
  (buyers matching none are ``others``; customers in scope who never bought are ``prospects``);
- any number of tags, each a conjunction of simple conditions (``dormant_30d``, ``coupon_user``).
Any policy targets them through ``sim.segments`` (this object): ``members(name)`` gives the
customer indices, ``is_member(name, idx)`` a mask. Between recomputations they are a snapshot.
"""

from __future__ import annotations

import numpy as np

from ..errors import ScenarioError, did_you_mean
from ..params import Param, resolve
from ..population import NEVER, STAGES
from .base import Policy, register_policy

SCOPES = ("pond", "buyers", "pond_or_buyers", "all")
FALLBACK_SEGMENTS = ("others", "prospects")
MAX_TAGS = 64

SEGMENT_RULE_PARAMS = {f"{axis}_{bound}": Param(None, f"{'lowest' if bound == 'min' else 'highest'} "
                                                      f"{axis.upper()} score (1-5) of the segment", "score", int,
                                                low=1, high=5, nullable=True, basis="structural")
                       for axis in ("r", "f", "m") for bound in ("min", "max")}

TAG_PARAMS = {
    "orders_min": Param(None, "at least this many orders (before and during the run)", "orders", int, low=0, nullable=True,
                        basis="structural"),
    "orders_max": Param(None, "at most this many orders", "orders", int, low=0, nullable=True, basis="structural"),
    "days_since_purchase_min": Param(None, "no order for at least this many days (buyers only)", "days", int,
                                     low=0, nullable=True, basis="structural"),
    "days_since_purchase_max": Param(None, "an order within this many days", "days", int, low=0, nullable=True,
                                     basis="structural"),
    "monetary_cny_min": Param(None, "paid at least this much in total", "CNY", low=0.0, nullable=True,
                              basis="structural"),
    "coupon_orders_min": Param(None, "at least this many orders paid with a coupon", "orders", int, low=0, nullable=True,
                               basis="structural"),
    "in_pond": Param(None, "in the pond (true) or not (false)", "", bool, nullable=True, basis="structural"),
    "stage": Param(None, "current stage is one of these: " + ", ".join(STAGES), "", list, nullable=True,
                   basis="structural"),
    "trust_min": Param(None, "trust at least this", "0-1", low=0.0, high=1.0, nullable=True, basis="structural"),
    "fatigue_min": Param(None, "fatigue at least this (1 = at tolerance)", "", low=0.0, nullable=True,
                         basis="structural"),
    "segment": Param(None, "member of this RFM segment", "", str, nullable=True, basis="structural"),
}

DEFAULT_SEGMENTS = {
    "champions": {"r_min": 4, "f_min": 4},
    "loyal": {"r_min": 3, "f_min": 3},
    "new": {"r_min": 4, "f_max": 1},
    "at_risk": {"r_max": 2, "f_min": 3},
    "hibernating": {"r_max": 2},
}
DEFAULT_TAGS = {
    "coupon_user": {"coupon_orders_min": 1},
    "dormant_30d": {"days_since_purchase_min": 30},
}


@register_policy("segments")
class Segments(Policy):
    """RFM scores, segments and tags per customer, recomputed every ``every_days`` days for
    the customers in ``scope``; exposed as ``sim.segments`` for any policy to target.

    Recency = today - last order day (orders before the run count as ``pre_run_recency_days``
    ago); frequency = orders; monetary = CNY paid (list value minus discount; orders before the
    run count at the customer's basket value). Scores: ``thresholds`` gives
    R = 5 - #(cuts < recency), F or M = 1 + #(cuts <= value); ``quantiles`` scores by mid-rank
    quintile among the scope's buyers. Segments: first rule that matches wins.
    """

    params = {
        "every_days": Param(7, "days between recomputations (weekly keeps it cheap)", "days", int, low=1,
                            basis="business"),
        "scope": Param("pond_or_buyers", "whom segments and tags are computed for", "", str, choices=SCOPES,
                       basis="structural"),
        "method": Param("thresholds", "RFM scores from fixed cut points or from quintiles of the scope's buyers",
                        "", str, choices=("thresholds", "quantiles"), basis="structural"),
        "recency_days_cuts": Param([7, 30, 90, 180], "4 ascending cut points: recency <= 7 days scores 5, "
                                                     "> 180 scores 1 (method: thresholds)", "days", list,
                                                     basis="structural"),
        "frequency_cuts": Param([2, 3, 5, 10], "4 ascending cut points: orders >= 10 scores 5, < 2 scores 1",
                                "orders", list, basis="structural"),
        "monetary_cny_cuts": Param([100, 300, 1000, 3000], "4 ascending cut points on CNY paid", "CNY", list,
                                   basis="structural"),
        "pre_run_recency_days": Param(60, "days before day 0 at which orders placed before the run are assumed",
                                      "days", int, low=0, basis="business"),
        "segments": Param(DEFAULT_SEGMENTS, "ordered rules {NAME: {r_min, r_max, f_min, f_max, m_min, m_max}}; "
                                            "the first that holds names the segment", "", dict, basis="structural"),
        "tags": Param(DEFAULT_TAGS, "rules {NAME: {condition: value, ...}}; a tag holds when all its "
                                    "conditions do", "", dict, basis="structural"),
    }

    @classmethod
    def check(cls, params, source, path, market):
        for key in ("recency_days_cuts", "frequency_cuts", "monetary_cny_cuts"):
            cuts = params[key]
            if (len(cuts) != 4 or not all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in cuts)
                    or any(b < a for a, b in zip(cuts, cuts[1:]))):
                raise ScenarioError(source, f"{path}.{key}", f"expected 4 ascending numbers, got {cuts!r}")
        segs = {}
        for name, rule in params["segments"].items():
            key = f"{path}.segments.{name}"
            if name in FALLBACK_SEGMENTS:
                raise ScenarioError(source, key, f"{name!r} is reserved (buyers matching no rule are 'others', "
                                                 "customers who never bought are 'prospects')")
            segs[str(name)] = resolve(SEGMENT_RULE_PARAMS, rule, source, key)
        if len(segs) > 100:
            raise ScenarioError(source, f"{path}.segments", "at most 100 segments")
        tags = {}
        if len(params["tags"]) > MAX_TAGS:
            raise ScenarioError(source, f"{path}.tags", f"at most {MAX_TAGS} tags")
        known_segments = list(segs) + list(FALLBACK_SEGMENTS)
        for name, rule in params["tags"].items():
            key = f"{path}.tags.{name}"
            if name in known_segments:
                raise ScenarioError(source, key, "a tag cannot have the name of a segment")
            rule = resolve(TAG_PARAMS, rule, source, key)
            if not any(v is not None for v in rule.values()):
                raise ScenarioError(source, key, "needs at least one condition: " + ", ".join(TAG_PARAMS))
            if rule["stage"] is not None:
                for s in rule["stage"]:
                    if s not in STAGES:
                        raise ScenarioError(source, f"{key}.stage", f"unknown stage {s!r}." + did_you_mean(s, STAGES)
                                            + " Allowed: " + ", ".join(STAGES))
            if rule["segment"] is not None and rule["segment"] not in known_segments:
                raise ScenarioError(source, f"{key}.segment", f"unknown segment {rule['segment']!r}."
                                    + did_you_mean(rule["segment"], known_segments)
                                    + " Segments: " + ", ".join(known_segments))
            tags[str(name)] = rule
        params["segments"], params["tags"] = segs, tags

    @classmethod
    def check_references(cls, name, params, enabled, source):
        others = [n for n, p in enabled.items() if p["type"] == cls.type_name and n != name]
        if others:
            raise ScenarioError(source, f"policies.{name}",
                                f"only one segments policy per scenario (also: {', '.join(others)})")

    # --- lifecycle ----------------------------------------------------------------------
    def init(self):
        sim = self.sim
        pop = sim.pop
        # the scope's state: rows for the customers who bought or are in scope (simlib.sparse_state)
        self.monetary = pop.add_sparse("monetary_cny", np.float32)
        had = np.flatnonzero(pop.initial_orders)                # orders before the run (0 for the others)
        self.monetary[had] = pop.initial_orders[had] * pop.basket_value_cny[had]
        # orders paid with a coupon: kept only when a tag reads them
        counts_coupons = any(rule["coupon_orders_min"] is not None for rule in self.p["tags"].values())
        self.coupon_orders = pop.add_sparse("coupon_orders", np.int16) if counts_coupons else None
        self.r_score = pop.add_sparse("rfm_recency_score", np.int8)
        self.f_score = pop.add_sparse("rfm_frequency_score", np.int8)
        self.m_score = pop.add_sparse("rfm_monetary_score", np.int8)
        self.segment = pop.add_sparse("segment", np.int8, -1)       # index into segment_names; -1 out of scope
        # bit k = tag k, in the smallest unsigned integer that holds every tag (1 byte for up to 8)
        self._tag_type = next(t for t in (np.uint8, np.uint16, np.uint32, np.uint64)
                              if np.iinfo(t).bits >= len(self.p["tags"]))
        self.tags = pop.add_sparse("tags", self._tag_type)
        self.segment_names = list(self.p["segments"]) + list(FALLBACK_SEGMENTS)
        self.tag_names = list(self.p["tags"])
        self._members: dict[str, np.ndarray] = {name: np.zeros(0, np.int64) for name in self.names}
        self.computed_day = None
        self._scope = np.zeros(0, np.int64)
        sim.segments = self

    def react(self, day):
        idx, amount, discount = self.sim.today.orders()
        if idx.size:
            who, inverse = np.unique(idx, return_inverse=True)    # a customer may order twice a day
            self.monetary[who] += np.bincount(inverse, weights=amount - discount).astype(np.float32)
            used = discount > 0
            if self.coupon_orders is not None and used.any():
                self.coupon_orders[who] += np.bincount(inverse[used], minlength=who.size).astype(np.int16)
        if (day - self.p["start_day"]) % self.p["every_days"] == 0:
            self.recompute(day)

    def record(self, day):
        return {f"size.{name}": int(self._members[name].size) for name in self.names}

    def finalize(self):
        return {f"{self.name}.size_end.{name}": int(self._members[name].size) for name in self.names}

    # --- the computation ----------------------------------------------------------------
    def scope_members(self) -> np.ndarray:
        pop, scope = self.sim.pop, self.p["scope"]
        if scope == "all":
            return np.arange(pop.n)
        if scope == "pond":
            return np.flatnonzero(pop.in_pond)
        if scope == "buyers":
            return np.flatnonzero(pop.orders > 0)
        return np.flatnonzero(pop.in_pond | (pop.orders > 0))

    def recompute(self, day: int) -> None:
        """Scores, segment and tags for the scope as of ``day`` (after that day's orders)."""
        pop, p = self.sim.pop, self.p
        for name in self.segment_names:          # clear the previous snapshot (proportional to it)
            self.segment[self._members[name]] = -1
        for name in self.tag_names:
            self.tags[self._members[name]] = 0
        for scores in (self.r_score, self.f_score, self.m_score):   # who has left the scope keeps none
            scores[self._scope] = 0
        who = self.scope_members()
        orders = pop.orders[who]
        bought = orders > 0
        buyers = who[bought]
        since = self.recency(who, day)          # shared by the R score and the recency tags
        recency = since[bought]
        frequency = orders[bought]
        monetary = self.monetary[buyers]
        if p["method"] == "thresholds":
            r = 5 - _count_below(p["recency_days_cuts"], recency, strict=True)
            f = 1 + _count_below(p["frequency_cuts"], frequency, strict=False)
            m = 1 + _count_below(p["monetary_cny_cuts"], monetary, strict=False)
        else:
            r = 5 - _quintile(recency)
            f = 1 + _quintile(frequency)
            m = 1 + _quintile(monetary)
        self._scope = who
        self.r_score[buyers], self.f_score[buyers], self.m_score[buyers] = r, f, m
        seg = np.full(buyers.size, self.segment_names.index("others"), np.int8)
        open_ = np.ones(buyers.size, bool)
        for k, rule in enumerate(self.p["segments"].values()):
            hit = open_.copy()
            for axis, score in (("r", r), ("f", f), ("m", m)):
                if rule[f"{axis}_min"] is not None:
                    hit &= score >= rule[f"{axis}_min"]
                if rule[f"{axis}_max"] is not None:
                    hit &= score <= rule[f"{axis}_max"]
            seg[hit] = k
            open_ &= ~hit
        self.segment[who[~bought]] = self.segment_names.index("prospects")
        self.segment[buyers] = seg
        members = {}
        seg_of_who = self.segment[who]
        for k, name in enumerate(self.segment_names):
            members[name] = who[seg_of_who == k]
        for k, (name, rule) in enumerate(self.p["tags"].items()):
            hit = self._tag(rule, who, orders, since)
            members[name] = who[hit]
            self.tags[members[name]] |= self._tag_type(1 << k)
        self._members = members
        self.computed_day = day

    def recency(self, idx: np.ndarray, day: int) -> np.ndarray:
        """Days since the last order (orders only before the run: ``pre_run_recency_days`` + day)."""
        last = self.sim.pop.last_purchase_day[idx].astype(np.int32)
        return np.where(last == NEVER, day + self.p["pre_run_recency_days"], day - last)

    def _tag(self, rule: dict, who: np.ndarray, orders: np.ndarray, since: np.ndarray) -> np.ndarray:
        pop = self.sim.pop
        hit = np.ones(who.size, bool)
        if rule["orders_min"] is not None:
            hit &= orders >= rule["orders_min"]
        if rule["orders_max"] is not None:
            hit &= orders <= rule["orders_max"]
        if rule["days_since_purchase_min"] is not None or rule["days_since_purchase_max"] is not None:
            hit &= orders > 0
            if rule["days_since_purchase_min"] is not None:
                hit &= since >= rule["days_since_purchase_min"]
            if rule["days_since_purchase_max"] is not None:
                hit &= since <= rule["days_since_purchase_max"]
        if rule["monetary_cny_min"] is not None:
            hit &= self.monetary[who] >= rule["monetary_cny_min"]
        if rule["coupon_orders_min"] is not None:
            hit &= self.coupon_orders[who] >= rule["coupon_orders_min"]
        if rule["in_pond"] is not None:
            hit &= pop.in_pond[who] == rule["in_pond"]
        if rule["stage"] is not None:
            hit &= np.isin(pop.stage[who], [STAGES.index(s) for s in rule["stage"]])
        if rule["trust_min"] is not None:
            hit &= pop.trust[who] >= rule["trust_min"]
        if rule["fatigue_min"] is not None:
            hit &= pop.fatigue[who] >= rule["fatigue_min"]
        if rule["segment"] is not None:
            hit &= self.segment[who] == self.segment_names.index(rule["segment"])
        return hit

    # --- what other policies call -----------------------------------------------------------
    @property
    def names(self) -> list[str]:
        """Every segment and tag name (a policy may target any of them)."""
        return self.segment_names + self.tag_names

    def members(self, name: str) -> np.ndarray:
        """Customers in segment or tag ``name`` at the last recomputation (ascending indices)."""
        try:
            return self._members[name]
        except KeyError:
            raise KeyError(f"no segment or tag {name!r}; known: {', '.join(self.names)}") from None

    def is_member(self, name: str, idx: np.ndarray) -> np.ndarray:
        """Mask over ``idx``: who is in segment or tag ``name`` (as of the last recomputation)."""
        if name in self.segment_names:
            return self.segment[idx] == self.segment_names.index(name)
        if name in self.tag_names:
            return (self.tags[idx] & self._tag_type(1 << self.tag_names.index(name))) != 0
        raise KeyError(f"no segment or tag {name!r}; known: {', '.join(self.names)}")


def find_segments(sim):
    """The scenario's ``segments`` policy, or None if it declares none."""
    return next((p for p in sim.policies if isinstance(p, Segments)), None)


def _count_below(cuts, values: np.ndarray, strict: bool) -> np.ndarray:
    """Per value: how many of the 4 cut points lie below it (strict: cut < value, else cut <= value)."""
    out = np.zeros(values.shape, np.int8)
    for c in cuts:
        out += (values > c) if strict else (values >= c)
    return out


def _quintile(values: np.ndarray) -> np.ndarray:
    """0-4: the mid-rank quintile of each value among ``values`` (ties share a quintile)."""
    if not values.size:
        return np.zeros(0, np.int64)
    s = np.sort(values)
    mid = (np.searchsorted(s, values, "left") + np.searchsorted(s, values, "right")) / (2.0 * values.size)
    return np.minimum((mid * 5).astype(np.int64), 4)
