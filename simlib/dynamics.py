"""The population step: one simulated day of every customer, given today's inputs.

Inputs are explicit: the population (state and traits), today's inputs (``Today``), the
behaviour model (hazards), the keyed draws (``Keyed``) and the ledger (money). Hazards are
evaluated from the state at the start of the day and held for the day; every customer's
unit-exponential clocks run down, and customers whose clocks run out are replayed event by
event at the exact times within the day (stage moves, orders, dropout, unsubscribing), so a
customer may move several stages in one day. Then pond entry, then trust and fatigue (they
act from tomorrow). The formulas are in ``docs/model.md``.
"""

from __future__ import annotations

import numpy as np

from scipy import special

from .behavior import DEST, LEAVE, MAX_HAZARD_PER_DAY, WAKE, Hazards
from .errors import UserError
from .population import AWARE, INTERESTED, LOST, LOYAL, PURCHASED, UNAWARE

MAX_EVENTS_PER_DAY = 200  # safety bound on event rounds within one day


class PopulationStep:
    """Advances the population by one day; ``run(day)`` is the STEP phase of the engine."""

    def __init__(self, pop, today, behavior, rng, ledgers, economics: dict, record_transactions: bool = False):
        """``ledgers``: one ledger per replication of the population."""
        self.pop, self.today, self.behavior, self.rng, self.ledgers = pop, today, behavior, rng, ledgers
        self.econ = economics
        self.channels = pop.channel_names
        self.record_transactions = record_transactions
        self.transactions: list[tuple] = []   # (day, idx, amount, discount) per batch of orders

    def run(self, day: int) -> None:
        pop, beh, t = self.pop, self.behavior, self.today
        k = np.float32(pop.regularity)   # Erlang-k: the purchase clock holds k phases, run k times as fast
        # 1. unaware customers (usually most of the market): one vectorised pass per channel
        base, wom = beh.awareness_by_channel()
        extra = t.awareness_extra if t.touched("awareness_extra") else None
        due = []
        if pop.stage_counts[:, UNAWARE].any():
            # one pass over everyone: each (replication, channel) block has its own hazard
            sizes = np.diff(pop.channel_edges)
            unaware = pop.stage == UNAWARE
            hazard = np.repeat(base.astype(np.float32), sizes)
            if (wom > 0).any():
                hazard += np.repeat(wom.astype(np.float32), sizes) * pop.social_susceptibility
            ads = beh.uneven_ads()
            if ads is not None:   # uneven exposure to ads (behavior.ad_exposure_cv)
                hazard += np.repeat(ads.astype(np.float32), sizes) * pop.ad_exposure
            if extra is not None:
                hazard += extra
            np.subtract(pop.stage_clock, hazard, out=pop.stage_clock, where=unaware)
            due.append(np.flatnonzero(unaware & (pop.stage_clock <= 0)))
        # 2. everyone else who can still act
        act = np.flatnonzero((pop.stage > UNAWARE) & (pop.stage < LOST))
        known = None
        if act.size:
            hz = beh.hazards(act, day)
            stage_clock = pop.stage_clock[act] - hz.exits[:, :LEAVE].sum(axis=1)
            purchase_clock = pop.purchase_clock[act] - hz.rate * k
            pop.stage_clock[act] = stage_clock
            pop.purchase_clock[act] = purchase_clock
            ran_out = (stage_clock <= 0) | (purchase_clock <= 0)
            if hz.exits[:, LEAVE].any():
                pond_clock = pop.pond_clock[act] - hz.exits[:, LEAVE]
                pop.pond_clock[act] = pond_clock
                ran_out |= pond_clock <= 0
            due.append(act[ran_out])
            known = hz.take(ran_out)
        # 3. clocks that ran out: replay those customers' day event by event
        if due and sum(d.size for d in due):
            self._events(due, known, day)
        self._pond_entry(day, act)
        self._update_relationship(act, day)

    def _events(self, due: list, known, day: int) -> None:
        """Exact event-by-event replay of the day for customers whose clocks ran out.

        ``due`` lists index arrays (ascending each): unaware customers per channel, then the
        active ones, whose hazards ``known`` the active pass has already computed."""
        pop, beh, rng = self.pop, self.behavior, self.rng
        k = float(pop.regularity)
        active = due.pop() if known is not None else None
        parts = [np.concatenate(due)] if due else []
        hazards = [beh.hazards(parts[0], day)] if parts and parts[0].size else []
        if not hazards:
            parts = []
        if active is not None:
            parts.append(active)
            hazards.append(known)
        idx = np.concatenate(parts)
        hz = Hazards.concat(hazards)
        order = np.argsort(idx, kind="stable")
        idx, hz = idx[order], hz.take(order)
        # three clocks per customer, each with its own draws so that one kind of event never
        # shifts another's (common random numbers): the stage (forward, back, churn), the next
        # order, leaving the pond. Wound back to the start of the day.
        clocks = np.stack([pop.stage_clock[idx], pop.purchase_clock[idx], pop.pond_clock[idx]], axis=1
                          ).astype(np.float64) + _rates(hz, k)
        used = np.zeros(idx.size)                                     # share of the day gone
        for rnd in range(MAX_EVENTS_PER_DAY):
            if not idx.size:
                return
            if rnd:
                hz = beh.hazards(idx, day)
            rates = _rates(hz, k)
            left = 1.0 - used
            with np.errstate(divide="ignore", invalid="ignore"):
                until = np.where(rates > 0, np.maximum(clocks, 0) / rates, np.inf)
            which = np.argmin(until, axis=1)
            dt = until[np.arange(idx.size), which]
            done = dt >= left
            if done.any():
                d = idx[done]
                end = clocks[done] - rates[done] * left[done, None]
                pop.stage_clock[d], pop.purchase_clock[d], pop.pond_clock[d] = end[:, 0], end[:, 1], end[:, 2]
            go = ~done
            idx, rates, dt, which = idx[go], rates[go], dt[go], which[go]
            h = hz.exits[go].astype(np.float64)
            scale, anyway = hz.dropout_scale[go], hz.anyway[go]
            clocks = clocks[go] - rates * dt[:, None]
            used = used[go] + dt
            s = np.flatnonzero(which == 0)
            if s.size:
                clocks[s, 0] = self._stage_event(idx[s], h[s, :LEAVE], rates[s, 0], scale[s], anyway[s], day)
            b = np.flatnonzero(which == 1)
            if b.size:
                b = self._bought_ahead(idx, b, clocks, day)
                self._orders(idx[b], scale[b], anyway[b], day)
                clocks[b, 1] = rng.erlang_nth("purchase_clock", idx[b], pop.orders[idx[b]], pop.regularity)
            q = np.flatnonzero(which == 2)
            if q.size:   # leaving the pond ends free reach, not the customer
                self.today.unsubscribes += pop.tally(idx[q])
                pop.leave_pond(idx[q])
                clocks[q, 2] = np.inf
            gone = pop.stage[idx] == LOST
            clocks[gone] = np.inf
        raise UserError(f"day {day}: a customer went through more than {MAX_EVENTS_PER_DAY} events in one day; "
                        "some hazards are too large together (e.g. awareness and forgetting both near "
                        f"{MAX_HAZARD_PER_DAY:g} a day): lower them")

    def _bought_ahead(self, idx, b, clocks, day: int) -> np.ndarray:
        """Of the customers ``idx[b]`` whose purchase clock ran out, those holding an order bought
        ahead place no order: what they bought covers it (promotion.py). Their clock is drawn
        anew (keyed by their order count under a name of its own: at most one cover per order).
        Returns the positions in ``b`` that do order."""
        promo = self.behavior.promotion
        if not promo.acceleration_on:
            return b
        covered = promo.covered(idx[b], day)
        if not covered.any():
            return b
        c = b[covered]
        who = idx[c]
        promo.use_stock(who)
        clocks[c, 1] = self.rng.erlang_nth("purchase_clock_covered", who, self.pop.orders[who], self.pop.regularity)
        return b[~covered]

    def _stage_event(self, idx, h, total, scale, anyway, day: int) -> np.ndarray:
        """Move customers along the exit (forward, back, churn) drawn by hazard shares; returns
        their new stage clocks."""
        pop = self.pop
        u = self.rng.uniform_nth("stage_exit", idx, pop.moves[idx]) * total
        cum = np.cumsum(h, axis=1)
        column = (u > cum[:, 0]).astype(np.int8) + (u > cum[:, 1])
        old = pop.stage[idx]
        new = DEST[old, column]
        wake = new == WAKE
        new[wake] = np.where(pop.orders[idx[wake]] >= 2, LOYAL, PURCHASED)
        first_order = (old == INTERESTED) & (new == PURCHASED)
        pop.move(idx, new)
        moved = new != old
        self.today._moves.append((idx[moved], new[moved]))
        if first_order.any():
            self._orders(idx[first_order], scale[first_order], anyway[first_order], day)
        pop.moves[idx] += 1
        clock = self.rng.exponential_nth("stage_clock", idx, pop.moves[idx])
        clock[pop.stage[idx] == LOST] = np.inf
        return clock

    def _orders(self, idx: np.ndarray, dropout_scale: np.ndarray, anyway: np.ndarray, day: int) -> None:
        """Book one order for each customer in ``idx`` (unique): its value, coupon, money, stage,
        reference price and the chance of leaving after it. ``anyway``: the chance each order
        would have been placed at the list price (``Hazards.anyway``); the part of a coupon's
        discount it implies is posted to the memo account ``cannibalised_discount``."""
        pop, t, b = self.pop, self.today, self.behavior.p
        promo = self.behavior.promotion
        ahead = promo.ahead_chance(anyway) if promo.acceleration_on else 0.0   # bought ahead of a regular order
        if promo.acceleration_on:   # placed anyway: now at the list price, or a regular order it stands in for
            stockpiled = promo.stockpile_chance(anyway)                       # placed anyway, a larger basket
            anyway = anyway + ahead * promo.paid_back_chance(idx)
            ahead = ahead + stockpiled
        amount = pop.basket_value_cny[idx].astype(np.float64)
        sd = b["order_value_sd_log"]
        if sd > 0:   # each order varies around the customer's mean basket (log-normal, mean kept)
            z = special.ndtri(self.rng.uniform_nth("order_value", idx, pop.orders[idx]))
            amount *= np.exp(sd * z - sd * sd / 2)
        amount, discount, used = pop.coupons.redeem(idx, amount, day, anyway)
        if used.any():
            u = idx[used]
            paid, paid_anyway = discount[used], discount[used] * anyway[used]
            for src in np.unique(pop.coupons.source[u]):
                mine = pop.coupons.source[u] == src
                source = pop.coupons.sources[src]
                self._post(day, "discount", u[mine], paid[mine], source=source)
                self._post(day, "cannibalised_discount", u[mine], paid_anyway[mine], source=source)
            t.coupons_redeemed += pop.tally(u)
        cogs = amount * self.econ["cogs_share"]
        self._post(day, "gmv", idx, amount)
        self._post(day, "cogs", idx, cogs)
        first = pop.orders[idx] == 0
        pop.orders[idx] += 1
        pop.first_purchase_day[idx[first]] = day
        horizon = day - pop.first_purchase_day[idx] < self.econ["clv_horizon_days"]
        pop.margin_clv_cny[idx[horizon]] += (amount - cogs - discount)[horizon]
        pop.last_purchase_day[idx] = day
        if first.any():
            f = idx[first]
            flat = pop.buyers_by_channel.reshape(-1)
            flat += np.bincount(pop.rep_of(f) * len(self.channels) + pop.channel[f], minlength=flat.size)
        # the price paid moves what the customer expects to pay; some orders were bought ahead
        stocked = promo.after_orders(idx, day, 1.0 - discount / np.maximum(amount, 1e-9), ahead, self.rng)
        if stocked.size:
            t.bought_ahead += pop.tally(stocked)
        t.purchases += pop.tally(idx)
        t.new_buyers += pop.tally(idx[first])
        member = pop.in_pond[idx]
        if member.any():
            self._post(day, "pond_gmv", idx[member], amount[member])
        t._orders.append((idx, amount, discount, np.asarray(anyway, np.float64)))
        if self.record_transactions:
            self.transactions.append((np.full(idx.size, day, np.int32), idx, amount, discount))
        # stage: a repeat order makes the customer loyal; dormant buyers wake up
        stage = pop.stage[idx]
        repeat = pop.orders[idx] >= 2
        moved = np.where(repeat, LOYAL, PURCHASED).astype(np.int8)
        changed = moved != stage
        pop.move(idx, moved)
        if changed.any():
            t._moves.append((idx[changed], moved[changed]))
        # BG/NBD (MBG/NBD with dropout_at_first_purchase): after an order the customer leaves for
        # good with chance p, at their own pace (see Behavior.hazards: dropout_scale)
        can_drop = np.ones(idx.size, bool) if b["dropout_at_first_purchase"] else repeat
        if can_drop.any():
            sel = np.flatnonzero(can_drop)
            r = idx[sel]
            chance = pop.dropout_after_purchase[r] * dropout_scale[sel]
            drop = self.rng.uniform_nth("dropout", r, pop.orders[r]) < chance
            if drop.any():
                gone = r[drop]
                pop.move(gone, LOST)
                t._moves.append((gone, np.full(gone.size, LOST, np.int8)))
        # package inserts and store QR codes: some buyers join the pond (from their k-th order)
        joinable = idx[~pop.in_pond[idx] & ~pop.left_pond[idx] & (pop.stage[idx] != LOST)]
        where = self._rep_channel(joinable)
        chance = t.pond_on_purchase.reshape(-1)[where]
        if joinable.size and chance.any():
            ready = pop.orders[joinable] >= t.pond_min_orders.reshape(-1)[where]
            join = ready & (self.rng.uniform_nth("pond_on_purchase", joinable, pop.orders[joinable]) < chance)
            self._join_pond(joinable[join], day, t.pond_on_purchase_cost, t.pond_on_purchase)

    def _pond_entry(self, day: int, active: np.ndarray) -> None:
        """Customers active at the start of the day (aware to dormant), outside the pond and
        still not lost, join at their channel's pond-entry hazard."""
        t, pop = self.today, self.pop
        if not t.pond_entry.any():
            return
        eligible = active[~pop.in_pond[active] & ~pop.left_pond[active]]
        where = self._rep_channel(eligible)
        entry = t.pond_entry.reshape(-1)
        eligible = eligible[(pop.stage[eligible] != LOST) & (entry[where] > 0)
                            & (pop.orders[eligible] >= t.pond_min_orders.reshape(-1)[where])]
        if not eligible.size:
            return
        chance = -np.expm1(-entry[self._rep_channel(eligible)])
        join = eligible[self.rng.uniform("pond_entry", day, eligible) < chance]
        self._join_pond(join, day, t.pond_entry_cost, t.pond_entry)

    def _join_pond(self, idx: np.ndarray, day: int, weighted_cost: np.ndarray, weight: np.ndarray) -> None:
        """Move ``idx`` into the pond; joining is an act of interest (AIPL: I)."""
        if not idx.size:
            return
        pop = self.pop
        pop.join_pond(idx)
        pop.last_useful_day[idx] = day   # joining is a touch: silence counts from here
        self.today.pond_joins += pop.tally(idx)
        aware = idx[pop.stage[idx] == AWARE]
        if aware.size:
            pop.move(aware, INTERESTED)
            pop.moves[aware] += 1
            pop.stage_clock[aware] = self.rng.exponential_nth("stage_clock", aware, pop.moves[aware])
            self.today._moves.append((aware, np.full(aware.size, INTERESTED, np.int8)))
        per_member = np.divide(weighted_cost, weight, out=np.zeros_like(weight), where=weight > 0).reshape(-1)
        n_channels = len(self.channels)
        joined = np.bincount(self._rep_channel(idx), minlength=per_member.size)
        for rc in np.flatnonzero(joined):
            r, c = divmod(int(rc), n_channels)
            self.ledgers[r].post(day, "pond_acquisition", joined[rc] * per_member[rc], channel=self.channels[c],
                                 per_customer=True)

    def _rep_channel(self, idx: np.ndarray) -> np.ndarray:
        """Flat (replication, channel) position of each customer: the index into ``Today``'s
        per-channel rows, raveled."""
        pop = self.pop
        if pop.reps == 1:
            return pop.channel[idx]
        return pop.rep_of(idx) * len(self.channels) + pop.channel[idx]

    def _post(self, day: int, account: str, idx: np.ndarray, values: np.ndarray, source: str = "") -> None:
        """Post, per replication, the sum of ``values`` over its customers in ``idx`` (added in
        order, so a replication's sum is the same whether it runs alone or in a batch)."""
        for r, total in enumerate(self.pop.tally(idx, values)):
            self.ledgers[r].post(day, account, total, source=source, per_customer=True)

    def _update_relationship(self, active: np.ndarray, day: int) -> None:
        """Trust decays for customers active at the start of the day (aware to dormant), then
        each contact closes a share of the gap to 1: useful content g_C per unit, a chat g_K,
        each order g_P. A pond member's silence clock restarts with any useful touch. Fatigue
        decays and takes today's message load, for pond members (only they receive messages).
        All act from tomorrow."""
        pop, t, beh = self.pop, self.today, self.behavior
        p = beh.p
        trust_decay, fatigue_decay, price_decay = beh.decay_factors()
        f32 = np.float32
        pop.trust[active] *= f32(trust_decay)
        beh.promotion.relax(active, price_decay)   # the regular prices seen pull the reference price back
        pond = pop.pond_members()
        if t.touched("load"):  # whoever wrote today's load (messages, group chatter), fatigue is live
            beh.fatigue_on = True
        if beh.fatigue_on and pond.size:
            fatigue = pop.fatigue[pond] * f32(fatigue_decay)
            if t.touched("load"):
                fatigue += f32(1 - fatigue_decay) * t.load[pond] * f32(7.0) / np.maximum(
                    pop.message_tolerance_per_week[pond], f32(1e-3))
            pop.fatigue[pond] = fatigue
        if pond.size and (t.touched("useful") or t.touched("chat")):
            keep = np.ones(pond.size, f32)            # share of the gap to 1 that remains
            if t.touched("useful"):
                keep *= np.exp(f32(np.log1p(-min(p["trust_gain_content"], 1 - 1e-7))) * t.useful[pond])
            if t.touched("chat"):
                keep *= 1 - f32(p["trust_gain_chat"]) * t.chat[pond]
            touched = keep < 1
            who = pond[touched]
            pop.trust[who] = 1 - (1 - pop.trust[who]) * keep[touched]
            heard = np.zeros(pond.size, bool)
            if t.touched("useful"):
                heard |= t.useful[pond] > 0
            if t.touched("chat"):
                heard |= t.chat[pond]
            pop.last_useful_day[pond[heard]] = day
        if p["trust_gain_purchase"]:
            for idx, *_ in t._orders:                 # each batch holds a customer at most once
                pop.trust[idx] = 1 - (1 - pop.trust[idx]) * f32(1 - p["trust_gain_purchase"])


def _rates(hz: Hazards, k: float) -> np.ndarray:
    """(n x 3) float64: how fast each clock runs today: the stage's exits, the order rate (k
    phases for Erlang-k), leaving the pond."""
    return np.stack([hz.exits[:, :LEAVE].sum(axis=1), hz.rate * np.float32(k), hz.exits[:, LEAVE]],
                    axis=1).astype(np.float64)


def _group_sum(keys: np.ndarray, values: np.ndarray):
    """(unique keys, sum of values per key), keys ascending."""
    uniq, inverse = np.unique(keys, return_inverse=True)
    return uniq, np.bincount(inverse, weights=values, minlength=uniq.size)
