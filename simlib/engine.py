"""Sim: one run of one scenario with one seed, clocked by a ``simpy.Environment``.

ORDER OF WORK IN ONE SIMULATED DAY (the day d runs from time d to d + 1; this docstring is
the one place the order is written down, and the phase constants below are its only code)

    d + 0.0  BEGIN    engine: today's inputs are reset; social proof per channel is set
                      (buyer share, extrapolated to mid-day).
    d + 0.1  ACT      policies act, in the order the scenario lists them: ads buy reach,
                      content, coupons and gifts go out, journeys advance, chat tasks queue.
    d + 0.2  OUTREACH one-to-one chat processes hold staff (a ``simpy.Resource``) until
                      d + 0.45; tasks still waiting then are dropped and counted.
    d + 0.5  STEP     engine: the population step. Hazards are evaluated from the state at
                      the start of the day and today's inputs, and held for the day; every
                      customer's exponential clocks run down and each event (stage move,
                      order, dropout, unsubscribe) happens at its exact time within the
                      day, so a customer may move several stages in one day. Then pond
                      entry, then trust and fatigue update (they act from tomorrow).
    d + 0.6  REACT    policies react to today's orders and moves (ladders step, points are
                      earned, KOCs named, journeys enrol).
    d + 0.9  RECORD   engine: the day's row (stage counts, money, policy columns).

Within a phase, policies run in scenario order; SimPy breaks ties by scheduling order, so
the run is deterministic.
"""

from __future__ import annotations

import time

import numpy as np
import simpy

from .behavior import DEST, WAKE, Behavior
from .ledger import Ledger
from .policies.base import policy_types
from .population import (AWARE, DORMANT, INTERESTED, LOST, LOYAL, NEVER, PURCHASED, STAGES,
                         UNAWARE, Population)
from .rng import Keyed


class Today:
    """Inputs policies set for the current day; reset at BEGIN (only what was touched)."""

    PER_CUSTOMER = {"awareness_extra": np.float32, "interest_boost": np.float32, "purchase_boost": np.float32,
                    "useful": np.float32, "load": np.float32, "chat": bool}

    def __init__(self, n: int, channels: int):
        self.n, self.channels = n, channels
        for name, dtype in self.PER_CUSTOMER.items():
            setattr(self, name, np.zeros(n, dtype))
        self._dirty = set(self.PER_CUSTOMER)
        self.reset()

    def touch(self, name: str) -> np.ndarray:
        """The per-customer array ``name``, marked to be cleared tomorrow."""
        self._dirty.add(name)
        return getattr(self, name)

    def reset(self) -> None:
        for name in self._dirty:
            getattr(self, name).fill(0)
        self._dirty = set()
        c = self.channels
        self.ad_awareness = np.zeros(c)         # awareness hazard from ads, per channel, per day
        self.pond_entry = np.zeros(c)           # hazard of joining the pond, aware+ customers
        self.pond_entry_cost = np.zeros(c)      # sum of hazard x cost per member (CNY)
        self.pond_on_purchase = np.zeros(c)     # chance a buyer joins the pond (package insert)
        self.pond_on_purchase_cost = np.zeros(c)
        self.purchase_multiplier = 1.0          # calendar effects on every purchase hazard
        self.interest_multiplier = 1.0
        self.messages_sent = 0
        self.unsubscribes = 0
        self.pond_joins = 0
        self.coupons_redeemed = 0
        self.purchases = 0
        self.new_buyers = 0
        self._orders: list[tuple] = []          # (idx, amount, discount) per batch
        self._moves: list[tuple] = []           # (idx, new stage) per batch
        self._lost_from_pond: list[np.ndarray] = []

    def orders(self):
        """Today's orders as (customer idx, list value CNY, discount CNY); a customer may repeat."""
        if not self._orders:
            e = np.zeros(0)
            return e.astype(np.int64), e, e
        return tuple(np.concatenate(x) for x in zip(*self._orders))

    def entered(self, stage: int) -> np.ndarray:
        """Customers who entered ``stage`` today (unique, ascending)."""
        got = [idx[to == stage] for idx, to in self._moves]
        return np.unique(np.concatenate(got)) if got else np.zeros(0, np.int64)


class Sim:
    BEGIN, ACT, OUTREACH, OUTREACH_END, STEP, REACT, RECORD = 0.0, 0.1, 0.2, 0.45, 0.5, 0.6, 0.9
    MAX_EVENTS_PER_DAY = 200  # safety bound on event rounds within one day

    def __init__(self, scenario, seed: int = 0, progress: bool = False, record_transactions: bool = False):
        data = scenario.data
        self.scenario = scenario
        self.seed = int(seed)
        self.days = data["market"]["days"]
        self.rng = Keyed(self.seed)
        self.pop = Population(data["market"], data["traits"], data["market"]["users"], self.rng)
        self.n = self.pop.n
        self.channels = self.pop.channel_names
        self.today = Today(self.n, len(self.channels))
        self.behavior = Behavior(data["behavior"], self.pop, self.today, data["market"])
        self.econ = data["economics"]
        self.ledger = Ledger(self.days)
        self.env = simpy.Environment()
        self.progress = progress
        self.record_transactions = record_transactions
        self._transactions: list[tuple] = []
        self.rows: list[dict] = []
        self.day = -1
        buyers = self.pop.orders > 0
        self.buyers_by_channel = np.bincount(self.pop.channel[buyers], minlength=len(self.channels)).astype(np.float64)
        self._share_prev = self._buyer_share()
        self.sources = [""]  # coupon source names; index 0 = none
        self._pond_idx = None  # cache of pond_members()
        types = policy_types()
        self.policies = [types[cfg["type"]](name, cfg, self)
                         for name, cfg in data["policies"].items() if cfg["enabled"]]
        for policy in self.policies:
            policy.init()

    # --- clock --------------------------------------------------------------------------
    def until(self, day: int, phase: float) -> simpy.Timeout:
        """A timeout that fires at ``phase`` of ``day`` (never in the past)."""
        return self.env.timeout(max(0.0, day + phase - self.env.now))

    def run(self):
        from .results import Result
        started = time.perf_counter()
        self.env.process(self._days())
        for policy in self.policies:
            self.env.process(policy.process())
        self.env.run(until=self.days)
        wall = time.perf_counter() - started
        extras = {}
        for policy in self.policies:
            extras.update(policy.finalize())
        return Result.from_sim(self, wall, extras)

    def _days(self):
        bar = None
        if self.progress:
            from tqdm.auto import tqdm
            bar = tqdm(total=self.days, unit="day", desc="simulating", leave=False)
        for day in range(self.days):
            yield self.until(day, self.BEGIN)
            self.day = day
            self.today.reset()
            share = self._buyer_share()
            self.behavior.social_proof = np.clip(share + 0.5 * (share - self._share_prev), 0.0, 1.0)
            self._share_prev = share
            yield self.until(day, self.STEP)
            self.step(day)
            yield self.until(day, self.RECORD)
            self.rows.append(self._record(day))
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()

    def _buyer_share(self) -> np.ndarray:
        return self.buyers_by_channel / np.maximum(self.pop.channel_size, 1)

    # --- the population step --------------------------------------------------------------
    def step(self, day: int) -> None:
        pop, beh = self.pop, self.behavior
        # 1. unaware customers (usually most of the market): one vectorised pass per channel
        base, wom = beh.awareness_by_channel()
        extra = self.today.awareness_extra if "awareness_extra" in self.today._dirty else None
        due = []
        if pop.stage_counts[UNAWARE]:
            for c, sl in enumerate(pop.channel_slices):
                unaware = pop.stage[sl] == UNAWARE
                hazard = np.float32(base[c])
                if wom[c] > 0:
                    hazard = hazard + np.float32(wom[c]) * pop.social_susceptibility[sl]
                if extra is not None:
                    hazard = hazard + extra[sl]
                clock = pop.stage_clock[sl]
                np.subtract(clock, hazard, out=clock, where=unaware)
                due.append(sl.start + np.flatnonzero(unaware & (clock <= 0)))
        # 2. everyone else who can still act
        act = np.flatnonzero((pop.stage > UNAWARE) & (pop.stage < LOST))
        known = None
        if act.size:
            h0, h1, h2, rate = beh.hazards(act, day)
            stage_clock = pop.stage_clock[act] - (h0 + h1 + h2)
            purchase_clock = pop.purchase_clock[act] - rate
            pop.stage_clock[act] = stage_clock
            pop.purchase_clock[act] = purchase_clock
            ran_out = (stage_clock <= 0) | (purchase_clock <= 0)
            due.append(act[ran_out])
            known = (h0[ran_out], h1[ran_out], h2[ran_out], rate[ran_out])
        # 3. clocks that ran out: replay those customers' day event by event
        if due and sum(d.size for d in due):
            self._events(due, known, day)
        self._pond_entry(day, act)
        self._update_trust_fatigue(act)

    def _events(self, due: list, known, day: int) -> None:
        """Exact event-by-event replay of the day for customers whose clocks ran out.

        ``due`` lists index arrays (ascending each): unaware customers per channel, then the
        active ones, whose hazards ``known`` the active pass has already computed."""
        pop, beh, rng = self.pop, self.behavior, self.rng
        active = due.pop() if known is not None else None
        parts = [np.concatenate(due)] if due else []
        hazards = [beh.hazards(parts[0], day)] if parts and parts[0].size else []
        if not hazards:
            parts = []
        if active is not None:
            parts.append(active)
            hazards.append(known)
        idx = np.concatenate(parts)
        h0, h1, h2, rate = (np.concatenate(x) for x in zip(*hazards))
        order = np.argsort(idx, kind="stable")
        idx, h0, h1, h2, rate = idx[order], h0[order], h1[order], h2[order], rate[order]
        stage_clock = pop.stage_clock[idx] + (h0 + h1 + h2)      # clocks at the start of the day
        buy_clock = pop.purchase_clock[idx] + rate
        used = np.zeros(idx.size)                                  # share of the day gone
        for k in range(self.MAX_EVENTS_PER_DAY):
            if not idx.size:
                return
            if k:
                h0, h1, h2, rate = beh.hazards(idx, day)
            h = np.stack([h0, h1, h2], axis=1).astype(np.float64)
            rate = rate.astype(np.float64)
            total = h.sum(axis=1)
            left = 1.0 - used
            with np.errstate(divide="ignore", invalid="ignore"):
                t_stage = np.where(total > 0, np.maximum(stage_clock, 0) / total, np.inf)
                t_buy = np.where(rate > 0, np.maximum(buy_clock, 0) / rate, np.inf)
            dt = np.minimum(t_stage, t_buy)
            done = dt >= left
            if done.any():
                d = idx[done]
                pop.stage_clock[d] = stage_clock[done] - total[done] * left[done]
                pop.purchase_clock[d] = buy_clock[done] - rate[done] * left[done]
            go = ~done
            idx, h, total, rate, dt = idx[go], h[go], total[go], rate[go], dt[go]
            stage_clock = stage_clock[go] - total * dt
            buy_clock = buy_clock[go] - rate * dt
            used = used[go] + dt
            is_stage = t_stage[go] <= t_buy[go]
            if is_stage.any():
                s = np.flatnonzero(is_stage)
                stage_clock[s] = self._stage_event(idx[s], h[s], total[s], day)
                buy_clock[s] = np.where(pop.stage[idx[s]] == LOST, np.inf, buy_clock[s])
            if (~is_stage).any():
                b = np.flatnonzero(~is_stage)
                self._orders(idx[b], day)
                buy_clock[b] = rng.exponential_nth("purchase_clock", idx[b], pop.orders[idx[b]])
                lost = pop.stage[idx[b]] == LOST
                stage_clock[b[lost]] = np.inf
                buy_clock[b[lost]] = np.inf
        raise RuntimeError(f"more than {self.MAX_EVENTS_PER_DAY} events for one customer on day {day}: "
                           "a hazard is unreasonably large")

    def _stage_event(self, idx, h, total, day: int) -> np.ndarray:
        """Move customers along the exit drawn by hazard shares; returns their new stage clocks."""
        pop = self.pop
        u = self.rng.uniform_nth("stage_exit", idx, pop.moves[idx]) * total
        column = (u > h[:, 0]).astype(np.int8) + (u > h[:, 0] + h[:, 1])
        old = pop.stage[idx]
        new = DEST[old, column]
        wake = new == WAKE
        new[wake] = np.where(pop.orders[idx[wake]] >= 2, LOYAL, PURCHASED)
        first_order = (old == INTERESTED) & (new == PURCHASED)
        pop.move(idx, new)
        self.today._moves.append((idx, new))
        lost = new == LOST
        if lost.any():
            unsub = lost & pop.in_pond[idx]
            self.today.unsubscribes += int(np.count_nonzero(unsub & (column == 2)))
            pop.in_pond[idx[lost]] = False
            self._pond_idx = None
        if first_order.any():
            self._orders(idx[first_order], day)
        pop.moves[idx] += 1
        clock = self.rng.exponential_nth("stage_clock", idx, pop.moves[idx])
        clock[pop.stage[idx] == LOST] = np.inf
        return clock

    def _orders(self, idx: np.ndarray, day: int) -> None:
        """Book one order for each customer in ``idx`` (unique): money, coupons, stage, dropout."""
        pop, t = self.pop, self.today
        amount = pop.basket_value_cny[idx].astype(np.float64)
        coupon = (pop.coupon_expiry[idx] >= day) & (amount >= pop.coupon_min_spend_cny[idx])
        discount = np.where(coupon, np.minimum(amount, amount * pop.coupon_off_share[idx] + pop.coupon_off_cny[idx]), 0.0)
        if coupon.any():
            used = idx[coupon]
            for src, total in zip(*_group_sum(pop.coupon_source[used], discount[coupon])):
                self.ledger.post(day, "discount", total, source=self.sources[src])
            pop.coupon_expiry[used] = NEVER
            t.coupons_redeemed += used.size
        cogs = amount * self.econ["cogs_share"]
        self.ledger.post(day, "gmv", amount.sum())
        self.ledger.post(day, "cogs", cogs.sum())
        first = pop.orders[idx] == 0
        pop.orders[idx] += 1
        new_buyer = pop.first_purchase_day[idx] == NEVER
        pop.first_purchase_day[idx[new_buyer]] = day
        horizon = day - pop.first_purchase_day[idx] < self.econ["clv_horizon_days"]
        pop.margin_365_cny[idx[horizon]] += (amount - cogs - discount)[horizon]
        pop.last_purchase_day[idx] = day
        if first.any():
            self.buyers_by_channel += np.bincount(pop.channel[idx[first]], minlength=len(self.channels))
        t.purchases += idx.size
        t.new_buyers += int(np.count_nonzero(new_buyer))
        t._orders.append((idx, amount, discount))
        if self.record_transactions:
            self._transactions.append((np.full(idx.size, day, np.int32), idx, amount, discount))
        # stage: a repeat order makes the customer loyal; dormant buyers wake up
        stage = pop.stage[idx]
        repeat = pop.orders[idx] >= 2
        moved = np.where(repeat, LOYAL, PURCHASED).astype(np.int8)
        changed = moved != stage
        pop.move(idx, moved)
        if changed.any():
            t._moves.append((idx[changed], moved[changed]))
        # BG/NBD: after each repeat order the customer leaves for good with chance p
        if repeat.any():
            r = idx[repeat]
            drop = self.rng.uniform_nth("dropout", r, pop.orders[r]) < pop.dropout_after_purchase[r]
            if drop.any():
                gone = r[drop]
                pop.move(gone, LOST)
                pop.in_pond[gone] = False
                self._pond_idx = None
                t._moves.append((gone, np.full(gone.size, LOST, np.int8)))
        # package inserts and store QR codes: some buyers join the pond
        joinable = idx[~pop.in_pond[idx] & (pop.stage[idx] != LOST)]
        chance = t.pond_on_purchase[pop.channel[joinable]]
        if joinable.size and chance.any():
            join = self.rng.uniform_nth("pond_on_purchase", joinable, pop.orders[joinable]) < chance
            self._join_pond(joinable[join], day, t.pond_on_purchase_cost, t.pond_on_purchase)

    def _pond_entry(self, day: int, active: np.ndarray) -> None:
        """Customers active at the start of the day (aware to dormant), outside the pond and
        still not lost, join at their channel's pond-entry hazard."""
        t, pop = self.today, self.pop
        if not t.pond_entry.any():
            return
        eligible = active[~pop.in_pond[active]]
        eligible = eligible[(pop.stage[eligible] != LOST) & (t.pond_entry[pop.channel[eligible]] > 0)]
        if not eligible.size:
            return
        chance = -np.expm1(-t.pond_entry[pop.channel[eligible]])
        join = eligible[self.rng.uniform("pond_entry", day, eligible) < chance]
        self._join_pond(join, day, t.pond_entry_cost, t.pond_entry)

    def _join_pond(self, idx: np.ndarray, day: int, weighted_cost: np.ndarray, weight: np.ndarray) -> None:
        """Move ``idx`` into the pond; joining is an act of interest (AIPL: I)."""
        if not idx.size:
            return
        pop = self.pop
        pop.in_pond[idx] = True
        self._pond_idx = None
        self.today.pond_joins += idx.size
        aware = idx[pop.stage[idx] == AWARE]
        if aware.size:
            pop.move(aware, INTERESTED)
            pop.moves[aware] += 1
            pop.stage_clock[aware] = self.rng.exponential_nth("stage_clock", aware, pop.moves[aware])
            self.today._moves.append((aware, np.full(aware.size, INTERESTED, np.int8)))
        per_member = np.divide(weighted_cost, weight, out=np.zeros_like(weight), where=weight > 0)
        joined = np.bincount(pop.channel[idx], minlength=len(self.channels))
        for c in np.flatnonzero(joined):
            self.ledger.post(day, "pond_acquisition", joined[c] * per_member[c], channel=self.channels[c])

    def _update_trust_fatigue(self, active: np.ndarray) -> None:
        """Trust decays for customers active at the start of the day (aware to dormant), then
        each contact closes a share of the gap to 1: useful content g_C per unit, a chat g_K,
        each order g_P. Fatigue decays and takes today's message load, for pond members (only
        they receive messages). Both act from tomorrow."""
        pop, t, p = self.pop, self.today, self.behavior.p
        trust_decay, fatigue_decay = self.behavior.decay_factors()
        f32 = np.float32
        pop.trust[active] *= f32(trust_decay)
        pond = self.pond_members()
        if "load" in t._dirty:  # whoever wrote today's load (messages, group chatter), fatigue is live
            self.behavior.fatigue_on = True
        if self.behavior.fatigue_on and pond.size:
            fatigue = pop.fatigue[pond] * f32(fatigue_decay)
            if "load" in t._dirty:
                fatigue += f32(1 - fatigue_decay) * t.load[pond] * f32(7.0) / np.maximum(
                    pop.message_tolerance_per_week[pond], f32(1e-3))
            pop.fatigue[pond] = fatigue
        if pond.size and ("useful" in t._dirty or "chat" in t._dirty):
            keep = np.ones(pond.size, f32)            # share of the gap to 1 that remains
            if "useful" in t._dirty:
                keep *= np.exp(f32(np.log1p(-min(p["trust_gain_content"], 1 - 1e-7))) * t.useful[pond])
            if "chat" in t._dirty:
                keep *= 1 - f32(p["trust_gain_chat"]) * t.chat[pond]
            touched = keep < 1
            who = pond[touched]
            pop.trust[who] = 1 - (1 - pop.trust[who]) * keep[touched]
        if p["trust_gain_purchase"]:
            for idx, _, _ in t._orders:               # each batch holds a customer at most once
                pop.trust[idx] = 1 - (1 - pop.trust[idx]) * f32(1 - p["trust_gain_purchase"])

    # --- what policies call ---------------------------------------------------------------
    def pond_members(self) -> np.ndarray:
        """Indices of pond members (ascending, read-only; cached until the pond changes)."""
        if self._pond_idx is None:
            self._pond_idx = np.flatnonzero(self.pop.in_pond)
            self._pond_idx.setflags(write=False)
        return self._pond_idx

    def message(self, idx: np.ndarray, quality: float = 0.0, count: int = 1) -> np.ndarray:
        """Send ``count`` messages of content ``quality`` (0 = hard ad, 1 = useful) to pond members
        among ``idx`` (unique). Returns who received them. Fatigue and trust follow in the step."""
        pop, t = self.pop, self.today
        idx = np.asarray(idx)
        to = idx[pop.in_pond[idx] & (pop.stage[idx] != LOST)]
        if to.size and count > 0:
            self.behavior.fatigue_on = True
            usefulness = quality * pop.content_affinity[to]
            t.touch("useful")[to] += count * usefulness
            t.touch("load")[to] += count * (1.0 - self.behavior.p["useful_relief"] * usefulness)
            t.messages_sent += to.size * count
        return to

    def chat(self, idx: np.ndarray) -> np.ndarray:
        """A one-to-one chat with each of ``idx``: a useful personal message and a chat flag."""
        to = self.message(idx, quality=1.0)
        self.today.touch("chat")[to] = True
        return to

    def give_coupon(self, idx, source: str, off_share: float = 0.0, off_cny: float = 0.0,
                    min_spend_cny: float = 0.0, valid_days: int = 7) -> None:
        """Hand ``idx`` a coupon (replacing any held one). Its cost is booked only on redemption."""
        pop = self.pop
        self.behavior.coupons_on = True
        if source not in self.sources:
            self.sources.append(source)
            if len(self.sources) > 127:
                raise RuntimeError("more than 127 coupon sources")
        basket = pop.basket_value_cny[idx]
        value = np.minimum(basket, basket * off_share + off_cny)
        pop.coupon_depth[idx] = np.where(basket >= min_spend_cny, value / np.maximum(basket, 1e-9), 0.0)
        pop.coupon_off_share[idx] = off_share
        pop.coupon_off_cny[idx] = off_cny
        pop.coupon_min_spend_cny[idx] = min_spend_cny
        pop.coupon_expiry[idx] = min(self.day + valid_days - 1, np.iinfo(np.int16).max)
        pop.coupon_source[idx] = self.sources.index(source)

    # --- recording ------------------------------------------------------------------------
    def _record(self, day: int) -> dict:
        t, pop, ledger = self.today, self.pop, self.ledger
        row = {"day": day}
        row.update(zip(STAGES, (int(c) for c in pop.counts())))
        row["in_pond"] = int(np.count_nonzero(pop.in_pond))
        row["purchases"] = t.purchases
        row["new_buyers"] = t.new_buyers
        row["gmv_cny"] = ledger.total("gmv", day=day)
        row["discount_cny"] = ledger.total("discount", day=day)
        row["cogs_cny"] = ledger.total("cogs", day=day)
        row["ad_spend_cny"] = ledger.total("ad_spend", day=day)
        row["marketing_cost_cny"] = ledger.total(kind="marketing", day=day)
        row["gross_profit_cny"] = row["gmv_cny"] - row["cogs_cny"] - row["discount_cny"]
        row["messages_sent"] = t.messages_sent
        row["unsubscribes"] = t.unsubscribes
        row["pond_joins"] = t.pond_joins
        row["coupons_redeemed"] = t.coupons_redeemed
        for policy in self.policies:
            for key, value in policy.record(day).items():
                row[f"{policy.name}.{key}"] = value
        return row


def _group_sum(keys: np.ndarray, values: np.ndarray):
    """(unique keys, sum of values per key), keys ascending."""
    uniq, inverse = np.unique(keys, return_inverse=True)
    return uniq, np.bincount(inverse, weights=values, minlength=uniq.size)
