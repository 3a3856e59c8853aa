"""Incentives: coupons (threshold and percentage), the coupon ladder, points, red packets,
gifts and member tiers.

Every incentive acts through the behaviour model, never on outcomes directly: a coupon, a
member price or red-packet cash is a discount depth that the policy declares (a held coupon,
``Today.discount_depth``) and ``Behavior`` prices (``Behavior.price_log_lift``, the one place);
a gift is useful contact (trust, interest, waking); progress towards a points gift and a tier's
status are log-lifts on purchase hazards. Money is booked when it is paid: coupons on
redemption (also on orders that would have happened anyway: behaviour's counterfactual, posted
to the memo account ``cannibalised_discount``), red packets when claimed, gifts when given;
every money column of a policy is a ledger query by its name.
"""

from __future__ import annotations

import numpy as np

from ..errors import ScenarioError
from ..ledger import points_value_cny_per_point
from ..params import Param, check_keys, resolve
from ..population import DORMANT, NEVER
from ..sparse_state import rows_wanted
from ..unique_ids import unique_ids
from .base import MESSAGE_EFFECTS, PRICE_EFFECTS, USEFUL_CONTACT_EFFECTS, Policy, register_policy
from .incentive_passes import add_pulls, earn, ladder_buyers, ladder_due, redeem, welcome

NO_STEP = np.int16(32767)  # a day that never comes
AUDIENCES = ("pond", "pond_never_bought", "pond_buyers", "pond_dormant")


def audience(sim, name: str) -> np.ndarray:
    """Pond members of one kind (unique, ascending)."""
    pond = sim.pond_members()
    pop = sim.pop
    if name == "pond_never_bought":
        return pond[pop.orders[pond] == 0]
    if name == "pond_buyers":
        return pond[pop.orders[pond] > 0]
    if name == "pond_dormant":
        return pond[pop.stage[pond] == DORMANT]
    return pond


def _audience_param(default="pond"):
    return Param(default, "who receives it: pond members, or those of them who never bought / bought / are dormant",
                 "", str, choices=AUDIENCES, basis="structural")


def _check_shares(values, source, key, allow_empty=False):
    if not isinstance(values, list) or (not values and not allow_empty):
        raise ScenarioError(source, key, "expected a non-empty list of shares in [0, 1], e.g. [0.15, 0.57, 0.72]")
    spec = Param(0.0, "", kind=float, low=0.0, high=1.0)
    return [spec.check(v, source, f"{key}[{i}]") for i, v in enumerate(values)]


def _check_items(items, schema, source, key, what):
    if not isinstance(items, list) or not items:
        raise ScenarioError(source, key, f"expected a non-empty list of {what}, each a mapping with keys "
                                         + ", ".join(schema))
    out = []
    for i, item in enumerate(items):
        where = f"{key}[{i}]"
        if not isinstance(item, dict):
            raise ScenarioError(source, where, "expected a mapping with keys " + ", ".join(schema))
        check_keys(item, schema, source, where)   # a typo ('anme') is an unknown key with a did-you-mean
        missing = [k for k, spec in schema.items() if spec.default is None and k not in item]
        if missing:
            raise ScenarioError(source, where, "missing " + ", ".join(missing))
        out.append(resolve(schema, item, source, where))
    return out


def _unique_buyers(sim) -> np.ndarray:
    return sim.today.buyers()


class CouponPolicy(Policy):
    """Shared book-keeping of a coupon source: issued, redeemed, discount paid, and the part of
    that discount paid on orders that would have happened anyway.

    Behaviour says, for each order placed with the coupon, the chance it would have been placed
    at the list price (``Hazards.anyway``: the purchase rate without the discount over the rate
    with it, through the brand-share logit and loss aversion); the population step posts that
    share of the discount to ``cannibalised_discount``. Summed over redemptions this is the
    model's own estimate; it leaves out the knock-on effects of an extra order (trust, loyalty),
    and tests check it against a no-coupon arm run with the same seed.
    """

    def init(self):
        self.issued = self.redeemed = 0
        self.anyway_orders = 0.0
        self._day = {}

    def give(self, idx, day, off_share=0.0, off_cny=0.0, min_spend_cny=0.0, valid_days=7, quality=0.0):
        """Announce (a message) and hand a coupon to the pond members among ``idx``."""
        sim = self.sim
        to = sim.message(idx, quality=quality) if idx.size else idx
        if to.size:
            sim.give_coupon(to, self.name, off_share=off_share, off_cny=off_cny,
                            min_spend_cny=min_spend_cny, valid_days=valid_days)
        self._day["issued"] = self._day.get("issued", 0) + int(to.size)
        self.issued += int(to.size)
        return to

    def count_redemptions(self, day):
        i, _, anyway = self.sim.pop.coupons.redeemed(self.name)
        self._day["redeemed"] = int(i.size)
        self.redeemed += int(i.size)
        self.anyway_orders += float(anyway.sum())

    def react_days(self):
        """Every day from ``start_day``: coupons given before ``end_day`` are redeemed after it."""
        return range(self.p["start_day"], self.sim.days)

    def react(self, day):
        self.count_redemptions(day)

    def record(self, day):
        today, self._day = self._day, {}
        ledger = self.sim.ledger
        return {"issued": today.get("issued", 0), "redeemed": today.get("redeemed", 0),
                "discount_cny": ledger.total("discount", day=day, source=self.name),
                "cannibalised_discount_cny": ledger.total("cannibalised_discount", day=day, source=self.name)}

    def finalize(self):
        n, ledger = self.name, self.sim.ledger
        paid, anyway = ledger.total("discount", source=n), ledger.total("cannibalised_discount", source=n)
        return {f"{n}.coupons_issued": self.issued, f"{n}.coupons_redeemed": self.redeemed,
                f"{n}.redemption_rate": self.redeemed / self.issued if self.issued else float("nan"),
                f"{n}.discount_cny": paid,
                f"{n}.cannibalised_discount_cny": anyway,
                f"{n}.cannibalised_share": anyway / paid if paid else float("nan"),
                f"{n}.incremental_orders_est": self.redeemed - self.anyway_orders}


@register_policy("flat_coupon")
class FlatCoupon(CouponPolicy):
    """Every ``every_days`` days, give each member of ``audience`` a coupon: ``off_share`` of the
    order plus ``off_cny`` off when the order is at least ``min_spend_cny``, valid ``valid_days``.

    The coupon is a discount depth the customer holds (the expected discount over their
    orders / their basket, 0 when the basket is far below the threshold), which behaviour turns
    into a purchase lift, and costs money only when redeemed, on any order, including orders
    that would have happened anyway (reported as ``cannibalised_discount_cny``).
    """

    acts_through = PRICE_EFFECTS + MESSAGE_EFFECTS
    params = {
        "every_days": Param(30, "days between coupon drops", "days", int, low=1, basis="business"),
        "off_share": Param(0.1, "share of the order value taken off", "share", low=0.0, high=1.0, basis="business"),
        "off_cny": Param(0.0, "fixed amount taken off", "CNY", low=0.0, basis="business"),
        "min_spend_cny": Param(0.0, "order value needed to use the coupon", "CNY", low=0.0, basis="business"),
        "valid_days": Param(7, "days the coupon can be used, from the day it is given", "days", int, low=1,
                            basis="business"),
        "audience": _audience_param(),
        "message_quality": Param(0.0, "usefulness of the message announcing it (0 hard ad)", "0-1", low=0.0, high=1.0,
                                 basis="business"),
    }

    sends = True

    def act(self, day):
        p = self.p
        if not self.sends_on(day):
            return
        self.give(self.recipients(audience(self.sim, p["audience"])), day, off_share=p["off_share"], off_cny=p["off_cny"],
                  min_spend_cny=p["min_spend_cny"], valid_days=p["valid_days"], quality=p["message_quality"])


@register_policy("threshold_coupon")
class ThresholdCoupon(FlatCoupon):
    """A threshold coupon ("spend 99, save 3"): ``flat_coupon`` with a fixed amount off above a
    minimum spend. Customers whose usual basket is below the threshold feel no pull and never
    redeem it."""

    acts_through = FlatCoupon.acts_through + ("topup_value_share",)
    params = {**FlatCoupon.params,
              "off_share": Param(0.0, "share of the order value taken off", "share", low=0.0, high=1.0,
                                 basis="business"),
              "off_cny": Param(3.0, "fixed amount taken off", "CNY", low=0.0, basis="business"),
              "min_spend_cny": Param(99.0, "order value needed to use the coupon", "CNY", low=0.0, basis="business")}


@register_policy("percentage_coupon")
class PercentageCoupon(FlatCoupon):
    """A percentage coupon ("20 % off"): ``flat_coupon`` with a share of the order taken off."""

    params = {**FlatCoupon.params,
              "off_share": Param(0.2, "share of the order value taken off", "share", low=0.0, high=1.0,
                                 basis="business")}


@register_policy("coupon_ladder")
class CouponLadder(CouponPolicy):
    """The coupon ladder (Luckin): a pond member with no purchase for ``idle_days`` gets the
    first step down (15 % off); each further ``step_days`` without a purchase brings the next,
    deeper step (57 %, then 72 %). A purchase by a laddered customer steps the next coupon back
    up (57 %, 42 %, 5 % off, one per purchase); after the last up step they pay full price
    until they fall idle again. Customers who keep buying never enter the ladder.

    Every step is decided in ``react()`` from the customer's own orders that day and delivered
    (a message and a coupon) at the next day's ACT phase, so the message tires like any other.
    """

    acts_through = PRICE_EFFECTS + MESSAGE_EFFECTS
    params = {
        "idle_days": Param(30, "days in the pond without a purchase before the first step down", "days", int, low=1,
                           high=3650, basis="business"),
        "step_days": Param(7, "days without a purchase between one step down and the next", "days", int, low=1,
                           high=3650, basis="business"),
        "down_off_shares": Param([0.15, 0.57, 0.72], "discount of each step down, in order", "share", list,
                                 basis="business"),
        "up_off_shares": Param([0.57, 0.42, 0.05], "discount of the coupon after each purchase, in order", "share", list,
                               basis="business"),
        "valid_days": Param(7, "days each coupon can be used", "days", int, low=1, basis="business"),
        "min_spend_cny": Param(0.0, "order value needed to use a ladder coupon", "CNY", low=0.0, basis="business"),
        "message_quality": Param(0.0, "usefulness of the message announcing a coupon (0 hard ad)", "0-1", low=0.0, high=1.0,
                                 basis="business"),
    }

    @classmethod
    def check(cls, params, source, path, market):
        params["down_off_shares"] = _check_shares(params["down_off_shares"], source, f"{path}.down_off_shares")
        params["up_off_shares"] = _check_shares(params["up_off_shares"], source, f"{path}.up_off_shares",
                                                allow_empty=True)
        if len(params["down_off_shares"]) + len(params["up_off_shares"]) > 100:
            raise ScenarioError(source, path, "at most 100 steps in all")

    def init(self):
        super().init()
        pop = self.sim.pop
        self.down = self.p["down_off_shares"]
        self.up = self.p["up_off_shares"]
        # step: 0 off the ladder; 1..D last step down given; D+1..D+U last step up given
        self.step = pop.add_sparse(f"{self.name}__step", np.int8, 0)   # pond members only: rows for them
        # day the next step down fires if the customer does not buy (NEVER: not seen in the pond
        # yet; NO_STEP: at the deepest step, nothing scheduled)
        self.due = pop.add_sparse(f"{self.name}__due", np.int16, NEVER)
        self.pending = (np.zeros(0, np.int64), np.zeros(0, np.int64))   # (idx, step number) to deliver
        self.keep_log = False
        n_down = len(self.down)   # the daily row's column of each step: given_down1 .. given_up1 ..
        self._given_columns = [f"given_down{k}" if k <= n_down else f"given_up{k - n_down}"
                               for k in range(1, n_down + len(self.up) + 1)]
        self.log: list[tuple[int, np.ndarray, int]] = []  # (day, idx, step) of deliveries

    def act(self, day):
        """Deliver the steps decided yesterday: one message to all their customers (each is in
        one step; a message reaches each customer as it would alone), then each step's coupon."""
        p = self.p
        idx, step_of = self.pending
        if not idx.size:
            self._day["steps"] = {}
            return
        shares = self.down + self.up
        n_down = len(self.down)   # the steps up (after a purchase) are listed first, as they were decided
        steps = np.flatnonzero(np.bincount(step_of, minlength=len(shares) + 1)).tolist()
        counts = {k: 0 for k in [k for k in steps if k > n_down] + [k for k in steps if k <= n_down]}
        self._day["steps"] = counts
        self.pending = (np.zeros(0, np.int64), np.zeros(0, np.int64))
        order = np.argsort(idx, kind="stable")
        idx, step_of = idx[order], step_of[order]
        to = self.sim.message(idx, quality=p["message_quality"])
        got = step_of[np.searchsorted(idx, to)]
        given = np.bincount(got, minlength=len(shares) + 1).tolist()
        offered = [step for step in counts if given[step]]   # each step's coupon, in the order decided
        if offered:
            place = np.zeros(len(given), np.int64)
            place[offered] = range(len(offered))
            self.sim.give_coupons(to, place[got], [(shares[step - 1], 0.0, p["min_spend_cny"]) for step in offered],
                                  self.name, valid_days=p["valid_days"])
        for step in counts:
            counts[step] += given[step]
            if self.keep_log:
                self.log.append((day, to[got == step], step))
        self._day["issued"] = self._day.get("issued", 0) + int(to.size)
        self.issued += int(to.size)

    def react(self, day):
        """Per-day work is today's buyers and one pass over the pond: members seen for the first
        time fall due ``idle_days`` on, members due today take their next step down. (A buyer
        falls due ``idle_days`` on too, so taking the buyers first changes nothing.)"""
        super().react(day)
        if not self.active(day):
            return
        sim, pop, p = self.sim, self.sim.pop, self.p
        step, due, state = self.step, self.due, self.step.state
        n_down, n_all = len(self.down), len(self.down) + len(self.up)
        buyers, pond = _unique_buyers(sim), sim.pond_members()
        idx, steps, queued = np.empty(buyers.size + pond.size, np.int64), np.empty(buyers.size + pond.size, np.int64), \
            np.zeros(1, np.int64)
        # buyers first: a buyer falls due idle_days on, so the pass over the pond then finds them not due
        state.write(ladder_buyers, buyers, lambda: (pop.in_pond, step.values, due.values, day + p["idle_days"], n_down,
                                                     n_all, idx, steps, queued),
                    wanted=lambda stop: rows_wanted(buyers[stop:][pop.in_pond[buyers[stop:]]], state.slot))
        state.write(ladder_due, pond, lambda: (step.values, due.values, day, day + p["idle_days"],
                                               day + p["step_days"], NEVER, NO_STEP, n_down, idx, steps, queued))
        self._queue(idx[:queued[0]], steps[:queued[0]])

    def _queue(self, idx, steps):
        """Queue customers ``idx`` (unique, none queued yet today) for their ``steps``, delivered
        at the next ACT."""
        if idx.size:
            self.pending = (np.concatenate([self.pending[0], idx]), np.concatenate([self.pending[1], steps]))

    def record(self, day):
        steps = self._day.get("steps", {})
        row = super().record(day)
        for k, column in enumerate(self._given_columns, start=1):
            row[column] = steps.get(k, 0)
        return row


GIFT_SCHEMA = {
    "name": Param(None, "name of the gift", "", str, basis="structural"),
    "points": Param(None, "points it costs", "points", low=1e-9, basis="business"),
    "cost_cny": Param(None, "what the brand pays for it", "CNY", low=0.0, basis="business"),
    "appeal": Param(None, "how much customers want it (1 = a big-brand item people aim for)", "0-1", low=0.0, high=1.0,
                    basis="assumption", plausible=(0.0, 1.0),
                    source="assumption: how much members want each gift; it multiplies points_program.goal_effect, "
                           "so the two are read together (docs/evidence.md s5)"),
}


@register_policy("points_program")
class PointsProgram(Policy):
    """Points from orders, spent in a catalogue of gifts (a livestream host's pond).

    Pond members earn ``points_per_cny`` per yuan paid. While saving up, the pull of the gift
    they are closest to is a log-lift on their purchase hazards: ``goal_effect`` x max over
    gifts of appeal x min(points / price, 1) (the goal-gradient effect). A member who can
    afford a gift redeems the most appealing one they can afford at hazard
    ``redeem_per_day``; its cost is booked to ``points_redemption`` and its delivery the next
    day is useful contact of ``appeal`` units (trust, interest, waking). Points owed are a
    liability at the catalogue's highest cost per point (``ledger.points_value_cny_per_point``),
    accrued to ``points_liability`` as they are earned and released as they are spent, so the
    net profit of any day already owes the points earned by then.
    """

    acts_through = USEFUL_CONTACT_EFFECTS
    params = {
        "points_per_cny": Param(1.0, "points earned per yuan paid by a pond member", "points per CNY", low=0.0,
                                basis="business"),
        "welcome_points": Param(0.0, "points given on joining the pond", "points", low=0.0, basis="business"),
        "catalogue": Param([
            {"name": "big_brand_item", "points": 3000.0, "cost_cny": 240.0, "appeal": 1.0},
            {"name": "seasonal_item", "points": 1200.0, "cost_cny": 90.0, "appeal": 0.6},
            {"name": "daily_needs", "points": 400.0, "cost_cny": 28.0, "appeal": 0.3},
        ], "gifts: name, points, cost_cny, appeal (domain.md: aspirational big brands, seasonal items, daily needs)",
            "", list, basis="business"),
        "goal_effect": Param(0.25, "log-lift on purchase per unit of appeal-weighted progress to a gift (the goal gradient)", "log", low=0.0,
                             source="buyers speed up 20 % from the first to the last stamp of a reward card (Kivetz, Urminsky & Zheng 2006): ln 1.25; tested 0.1-0.6 (docs/evidence.md s5)",
                             basis="published", plausible=(0.1, 0.6)),
        "redeem_per_day": Param(0.1, "hazard that a member who can afford a gift redeems it", "per day", low=0.0,
                                basis="assumption", plausible=(0.02, 0.5),
                                source="assumption: a member who can afford a gift claims it within days (0.1: half "
                                       "in a week); the points still owed at the end depend on it"),
    }

    @classmethod
    def check(cls, params, source, path, market):
        params["catalogue"] = _check_items(params["catalogue"], GIFT_SCHEMA, source, f"{path}.catalogue", "gifts")

    def init(self):
        pop = self.sim.pop
        # pond members' state: rows for the members only (simlib.sparse_state)
        self.points = pop.add_sparse(f"{self.name}__points", np.float32, 0.0)
        self.seen = pop.add_sparse(f"{self.name}__seen", bool, False) if self.p["welcome_points"] else None
        self.is_saver = pop.add_sparse(f"{self.name}__has_points", bool, False)
        self.savers = np.zeros(0, np.int64)      # everyone who ever held points (unordered)
        cat = sorted(self.p["catalogue"], key=lambda g: -g["appeal"])
        self.price = np.array([g["points"] for g in cat])
        self.cost = np.array([g["cost_cny"] for g in cat])
        self.appeal = np.array([g["appeal"] for g in cat])
        self.names = [g["name"] for g in cat]
        self.deliver = np.zeros(0, np.int64)
        self.deliver_appeal = np.zeros(0)
        self._day = {}
        self.outstanding = 0.0
        self.value_per_point = points_value_cny_per_point(self.p["catalogue"])
        self.total = {"points_earned": 0.0, "points_spent": 0.0, "redemptions": 0}
        self._cheapest = float(self.price.min())
        self._redeem_chance = float(-np.expm1(-self.p["redeem_per_day"]))   # in a day, at hazard redeem_per_day
        self._redeem_decision = f"{self.name}:redeem"
        self._welcome_points = np.float32(self.p["welcome_points"])

    def _new_savers(self, new):
        """List the new savers ``new`` (their ``is_saver`` set already), ascending."""
        if new.size:
            self.savers = np.concatenate([self.savers, np.sort(new)])

    def act(self, day):
        sim, pop, t = self.sim, self.sim.pop, self.sim.today
        self._day = {}
        state = self.points.state
        if self.seen is not None:
            pond = sim.pond_members()
            counts, new = np.zeros(2, np.int64), np.empty(pond.size, np.int64)
            state.write(welcome, pond, lambda: (self.seen.values, self.points.values, self.is_saver.values,
                                                self._welcome_points, counts, new),
                        wanted=lambda stop: rows_wanted(self.seen.unmarked(pond[stop:]), state.slot))
            if counts[0]:   # (nothing owed when no one is new)
                self._owe(day, float(int(counts[0]) * self.p["welcome_points"]))
                self._new_savers(new[:counts[1]])
        if self.deliver.size:
            live = pop.in_pond[self.deliver]
            t.touch("useful").add(self.deliver[live], self.deliver_appeal[live].astype(np.float32))
            self.deliver = np.zeros(0, np.int64)
        if self.p["goal_effect"] and self.savers.size:
            # the pull of the gift each saver in the pond is nearest to, from their points when read
            # (no per-customer array of it: it is a function of the points)
            written, holders = np.zeros(1, np.int64), state.row_of[:state.used]
            saving = self.is_saver.values[:state.used]
            t.purchase_boost.write(add_pulls, holders, saving, pop.in_pond, self.points.values, self.price,
                                   self.appeal, float(self.p["goal_effect"]), written,
                                   wanted=lambda stop: t.purchase_boost.rows_wanted(
                                       holders[stop:][saving[stop:] & pop.in_pond[holders[stop:]]]))
            if written[0]:
                t.touch("purchase_boost")

    def react(self, day):
        sim, pop = self.sim, self.sim.pop
        idx, amount, discount = sim.today.orders()
        counts, earned, new = np.zeros(2, np.int64), np.empty(idx.size), np.empty(idx.size, np.int64)
        state = self.points.state
        state.write(earn, idx, lambda: (amount, discount, pop.in_pond, float(self.p["points_per_cny"]),
                                        self.points.values, self.is_saver.values, earned, counts, new),
                    wanted=lambda stop: rows_wanted(idx[stop:][pop.in_pond[idx[stop:]]], state.slot))
        if counts[0]:
            earned = earned[:counts[0]]
            self._new_savers(new[:counts[1]])
            self._day["points_earned"] = float(earned.sum())
            self._owe(day, float(earned.sum()))
        # who can afford a gift redeems the most appealing one they can afford, at redeem_per_day
        go, choice = np.empty(self.savers.size, np.int64), np.empty(self.savers.size, np.int64)
        keys, block = sim.rng.day_keys(self._redeem_decision, day)
        can, n = redeem(self.savers, self.points.state.slot, self.points.values, self._cheapest, pop.in_pond, keys,
                        block, self._redeem_chance, self.price, go, choice)
        if not can:
            return
        go, choice = go[:n], choice[:n]
        spent = self.price[choice]
        cost = float(self.cost[choice].sum())
        sim.ledger.post(day, "points_redemption", cost, source=self.name, per_customer=True)
        self.deliver, self.deliver_appeal = go, self.appeal[choice]
        self._owe(day, -float(spent.sum()))
        self._day.update(redemptions=int(go.size), points_spent=float(spent.sum()))

    def _owe(self, day, points):
        """Points earned (> 0) or spent (< 0) by simulated customers: the liability moves with them."""
        self.outstanding += points
        self.sim.ledger.post(day, "points_liability", points * self.value_per_point, source=self.name,
                             per_customer=True)

    def record(self, day):
        if not self.active(day):
            self._day = {}
        for k, v in self._day.items():
            self.total[k] += v
        return {**{k: self._day.get(k, 0) for k in self.total},
                "redemption_cost_cny": self.sim.ledger.total("points_redemption", day=day, source=self.name),
                "points_outstanding": self.outstanding}

    def finalize(self):
        return {**{f"{self.name}.{k}": v for k, v in self.total.items()},
                f"{self.name}.redemption_cost_cny": self.sim.ledger.total("points_redemption", source=self.name),
                f"{self.name}.points_outstanding": self.outstanding,
                f"{self.name}.value_cny_per_point": self.value_per_point}


@register_policy("red_packet")
class RedPacket(Policy):
    """Red packets: every ``every_days`` days, each member of ``audience`` is sent
    ``amount_cny`` of cash to spend with the brand; a share ``claim_share`` opens it (booked to
    ``red_packets`` on claim, bought or not). For ``valid_days`` the claimed money is a price
    cut the customer holds, like a no-threshold coupon of ``amount_cny`` off (its depth from
    ``Coupons.depth_of``; behaviour prices it).
    """

    acts_through = PRICE_EFFECTS + MESSAGE_EFFECTS
    params = {
        "every_days": Param(30, "days between sends", "days", int, low=1, basis="business"),
        "amount_cny": Param(5.0, "cash in each red packet", "CNY", low=0.0, basis="business"),
        "claim_share": Param(0.6, "share of recipients who open (claim) it", "share", low=0.0, high=1.0,
                             basis="assumption", plausible=(0.3, 0.9),
                             source="assumption: the share of a pond who open a brand's red packet; no published "
                                    "open rate was found"),
        "valid_days": Param(3, "days the claimed money pulls towards a purchase", "days", int, low=1, basis="business"),
        "audience": _audience_param(),
        "message_quality": Param(0.3, "usefulness of the red-packet message (0 hard ad)", "0-1", low=0.0, high=1.0,
                                 basis="business"),
    }

    sends = True

    def init(self):
        pop = self.sim.pop
        self.until = pop.add_sparse(f"{self.name}__until", np.int16, NEVER)   # rows for the claimers only
        self.holders = np.zeros(0, np.int64)
        self.depth = np.zeros(0, np.float32)   # the depth each holder perceives (Coupons.depth_of)
        self._day = {}
        self.claimed_total = 0

    def act(self, day):
        sim, pop, p = self.sim, self.sim.pop, self.p
        self._day = {"sent": 0, "claimed": 0}
        if self.sends_on(day):
            to = sim.message(self.recipients(audience(sim, p["audience"])), quality=p["message_quality"])
            claim = to[sim.rng.uniform(f"{self.name}:claim", day, to) < p["claim_share"]]
            self.until[claim] = min(day + p["valid_days"] - 1, np.iinfo(np.int16).max)
            self.holders = self.until.customers_where(self.until.values >= day)
            self.depth = pop.coupons.depth_of(0.0, p["amount_cny"], 0.0, self.holders)   # aligned with holders
            sim.ledger.post(day, "red_packets", claim.size * p["amount_cny"], source=self.name, per_customer=True)
            self._day = {"sent": int(to.size), "claimed": int(claim.size)}
            self.claimed_total += int(claim.size)
        holding = self.until[self.holders] >= day
        self.holders, self.depth = self.holders[holding], self.depth[holding]
        h = self.holders
        if h.size:
            sim.today.touch("discount_depth")[h] += self.depth

    def record(self, day):
        return dict(self._day) or {"sent": 0, "claimed": 0}

    def finalize(self):
        return {f"{self.name}.claimed": self.claimed_total}


@register_policy("member_gift")
class MemberGift(Policy):
    """Free gifts and samples: given on joining the pond (``trigger: join_pond``, "add staff
    for a gift"), on the first order in the pond (``first_purchase``), or every ``every_days``
    days (``periodic``) to ``audience``. A gift is useful contact without message load:
    ``appeal`` units of usefulness (trust, interest, waking), plus reciprocity, a log-lift
    ``reciprocity_effect`` x appeal on purchase hazards on the day it arrives. Its cost is
    booked to ``gifts`` when given.
    """

    acts_through = USEFUL_CONTACT_EFFECTS
    params = {
        "trigger": Param("join_pond", "when a gift is given", "", str, choices=("join_pond", "first_purchase", "periodic"),
                         basis="structural"),
        "every_days": Param(90, "days between gifts for trigger periodic", "days", int, low=1, basis="business"),
        "audience": _audience_param(),
        "cost_cny": Param(10.0, "cost of one gift", "CNY", low=0.0, basis="business"),
        "appeal": Param(0.5, "how useful/welcome the gift is (usefulness units)", "0-1", low=0.0, high=1.0,
                        basis="assumption", plausible=(0.2, 0.9),
                        source="assumption: how welcome a free sample or gift is, in usefulness units"),
        "reciprocity_effect": Param(0.5, "log-lift on purchase on the day a gift arrives, per unit appeal (reciprocity)", "log", low=0.0,
                                    source="assumption, tested 0-1", basis="assumption", plausible=(0.0, 1.0)),
    }

    sends = True

    @classmethod
    def check(cls, params, source, path, market):
        if params["trigger"] != "periodic":
            once = [k for k in ("on_day", "on_date") if params[k] is not None]
            if once:
                raise ScenarioError(source, f"{path}.{once[0]}", f"a gift on trigger {params['trigger']!r} is given "
                                    "when the customer gets there, not on a day; use trigger: periodic to give it "
                                    "on given days")

    def init(self):
        self.seen = self.sim.pop.add_sparse(f"{self.name}__seen", bool, False)   # rows for the pond only
        self.given_total = 0
        self.first_buyers = np.zeros(0, np.int64)
        self.given = 0

    def act(self, day):
        sim, p, pop = self.sim, self.p, self.sim.pop
        if p["trigger"] == "join_pond":
            pond = audience(sim, p["audience"])
            to = pond[~self.seen[pond]]
            self.seen[to] = True
        elif p["trigger"] == "first_purchase":
            to = self.first_buyers[pop.in_pond[self.first_buyers]]
            self.first_buyers = np.zeros(0, np.int64)
        else:
            to = audience(sim, p["audience"]) if self.sends_on(day) else np.zeros(0, np.int64)
        to = self.recipients(to)
        self.given = int(to.size)
        if not to.size:
            return
        t = sim.today
        t.touch("useful")[to] += np.float32(p["appeal"])
        t.touch("purchase_boost")[to] += np.float32(p["reciprocity_effect"] * p["appeal"])
        sim.ledger.post(day, "gifts", to.size * p["cost_cny"], source=self.name, per_customer=True)
        self.given_total += int(to.size)

    def react(self, day):
        if self.p["trigger"] != "first_purchase":
            return
        pop = self.sim.pop
        buyers = _unique_buyers(self.sim)
        buyers = buyers[pop.in_pond[buyers] & ~self.seen[buyers]]
        self.seen[buyers] = True
        self.first_buyers = np.union1d(self.first_buyers, buyers)

    def record(self, day):
        return {"given": self.given}

    def finalize(self):
        return {f"{self.name}.given": self.given_total}


TIER_SCHEMA = {
    "name": Param(None, "name of the tier", "", str, basis="structural"),
    "min_orders": Param(0, "orders needed (including those before the run)", "orders", int, low=0, basis="business"),
    "min_spend_cny": Param(0.0, "spend in the run needed", "CNY", low=0.0, basis="business"),
    "discount_share": Param(0.0, "member price: share off every order", "share", low=0.0, high=1.0, basis="business"),
    "status_effect": Param(0.0, "log-lift on purchase hazards from belonging to the tier", "log", low=0.0,
                           source="assumption: tier status is felt (Dreze & Nunes 2009, perception only), "
                                  "membership effects on share of wallet are small (Leenheer et al. 2007, Dutch "
                                  "grocery): tested 0-0.2 (docs/evidence.md s5)",
                           basis="assumption", plausible=(0.0, 0.2)),
    "gift_every_days": Param(0, "days between tier gifts (0: none)", "days", int, low=0, basis="business"),
    "gift_cost_cny": Param(0.0, "cost of one tier gift", "CNY", low=0.0, basis="business"),
    "gift_appeal": Param(0.5, "usefulness of a tier gift", "0-1", low=0.0, high=1.0,
                         basis="assumption", plausible=(0.2, 0.9),
                         source="assumption: how welcome a tier gift is, in usefulness units"),
}


@register_policy("member_tiers")
class MemberTiers(Policy):
    """Member tiers with benefits, for pond members. A customer holds the highest tier whose
    ``min_orders`` (including orders before the run) and ``min_spend_cny`` (paid in the run)
    they meet, re-evaluated on each order; tiers never go down. Benefits act through
    the behaviour model: a member price (``discount_share``) is a standing price cut the member
    holds (``Today.discount_depth``, priced by behaviour like a coupon of that depth) and is
    booked to ``discount`` on every order of the tier (so it also pays on orders that would have
    happened anyway, behaviour's counterfactual, booked to ``cannibalised_discount``);
    ``status_effect`` is a log-lift on purchase; a periodic tier gift is useful contact booked
    to ``gifts``.
    """

    acts_through = PRICE_EFFECTS + USEFUL_CONTACT_EFFECTS
    discount_is_member_price = True

    params = {
        "tiers": Param([
            {"name": "silver", "min_orders": 2, "discount_share": 0.03, "status_effect": 0.05},
            {"name": "gold", "min_orders": 5, "min_spend_cny": 500.0, "discount_share": 0.05,
             "status_effect": 0.1, "gift_every_days": 90, "gift_cost_cny": 20.0, "gift_appeal": 0.6},
        ], "tiers from lowest to highest: name, min_orders, min_spend_cny, discount_share, status_effect, "
           "gift_every_days, gift_cost_cny, gift_appeal", "", list, basis="business"),
    }

    @classmethod
    def check(cls, params, source, path, market):
        params["tiers"] = _check_items(params["tiers"], TIER_SCHEMA, source, f"{path}.tiers", "tiers")
        for i in range(1, len(params["tiers"])):
            a, b = params["tiers"][i - 1], params["tiers"][i]
            if b["min_orders"] < a["min_orders"] or b["min_spend_cny"] < a["min_spend_cny"]:
                raise ScenarioError(source, f"{path}.tiers[{i}]", "tiers go from lowest to highest: min_orders and "
                                                                   "min_spend_cny must not decrease")
        if len(params["tiers"]) > 100:
            raise ScenarioError(source, f"{path}.tiers", "at most 100 tiers")

    def init(self):
        pop = self.sim.pop
        self.tiers = self.p["tiers"]
        # buyers' state: rows for the customers who bought (simlib.sparse_state)
        self.spend = pop.add_sparse(f"{self.name}__spend_cny", np.float32, 0.0)
        self.tier = pop.add_sparse(f"{self.name}__tier", np.int8, 0)     # 0 none, k = tiers[k-1]
        self.share = np.array([0.0] + [spec["discount_share"] for spec in self.tiers])
        self.tiered = np.zeros(0, np.int64)          # customers with a tier (tiers never go down)
        self._retier(np.flatnonzero(pop.orders > 0))
        self.counts = [0] * len(self.tiers)
        self.gifts = 0

    def _retier(self, idx):
        """Tiers of ``idx`` from their orders and spend; only orders change them."""
        pop = self.sim.pop
        orders, spend = pop.orders[idx], self.spend[idx]
        new = np.zeros(idx.size, np.int8)
        for k, spec in enumerate(self.tiers, start=1):
            new[(orders >= spec["min_orders"]) & (spend >= spec["min_spend_cny"])] = k
        joined = idx[(new > 0) & (self.tier[idx] == 0)]
        self.tier[idx] = np.maximum(self.tier[idx], new)
        if joined.size:   # joined were untiered, so not yet in self.tiered (order does not matter)
            self.tiered = np.concatenate([self.tiered, joined])

    def act(self, day):
        sim, pop, t = self.sim, self.sim.pop, self.sim.today
        members = self.tiered[pop.in_pond[self.tiered]]
        tier = self.tier[members]
        self.counts = np.bincount(tier, minlength=len(self.tiers) + 1)[1:].tolist()
        self.gifts = 0
        for k, spec in enumerate(self.tiers, start=1):
            m = members[tier == k]
            if not m.size:
                continue
            if spec["status_effect"]:
                t.touch("purchase_boost")[m] += np.float32(spec["status_effect"])
            if spec["discount_share"]:
                t.touch("discount_depth")[m] += np.float32(spec["discount_share"])
            every = spec["gift_every_days"]
            if every and (day - self.p["start_day"]) % every == 0:
                t.touch("useful")[m] += np.float32(spec["gift_appeal"])
                sim.ledger.post(day, "gifts", m.size * spec["gift_cost_cny"], source=self.name, per_customer=True)
                self.gifts += int(m.size)

    def react(self, day):
        sim, pop = self.sim, self.sim.pop
        idx, amount, discount = sim.today.orders()
        if not idx.size:
            return
        member = pop.in_pond[idx]
        tier = self.tier[idx]
        off = np.minimum(self.share[tier] * amount, amount - discount) * member
        if off.any():
            sim.ledger.post(day, "discount", float(off.sum()), source=self.name, per_customer=True)
            anyway = sim.today.orders_anyway()   # behaviour's counterfactual of each order
            sim.ledger.post(day, "cannibalised_discount", float((off * anyway).sum()), source=self.name,
                            per_customer=True)
        rows = self.spend.rows(idx)                      # first: it may grow the rows
        np.add.at(self.spend.values, rows, (amount - discount - off).astype(np.float32))
        self._retier(unique_ids(idx))

    def record(self, day):
        row = {f"members_{spec['name']}": c for spec, c in zip(self.tiers, self.counts)}
        row["gifts_given"] = self.gifts
        row["member_price_discount_cny"] = self.sim.ledger.total("discount", day=day, source=self.name)
        row["cannibalised_discount_cny"] = self.sim.ledger.total("cannibalised_discount", day=day, source=self.name)
        return row
