"""The population step: one simulated day of every customer, given today's inputs.

Inputs are explicit: the population (state and traits), today's inputs (``Today``), the
behaviour model (hazards), the keyed draws (``Keyed``) and the ledgers (money). The day of
each customer is compiled (``customer_day``: hazards held for the day, exponential clocks,
the exact event replay when a clock runs out, pond entry, trust and fatigue); this module
hands it today's inputs, then books what happened: the money of today's orders and pond joins
on each replication's ledger, today's counts, and the orders, moves and redemptions the
policies read at REACT. The formulas are in ``docs/model.md``.
"""

from __future__ import annotations

import numpy as np

from .behavior import NOT_HELD
from .compiled import entry
from .customer_day import (KEY_NAMES, K_POND_ENTRY, MAX_EVENTS_PER_DAY, ROOM_PER_CUSTOMER, ROUTE_ENTRY,
                           ROUTE_ON_PURCHASE, CHUNK, hold_all, new_events, replay_due, run_customers,
                           run_customers_quiet)
from .errors import UserError
from .population import COUNT_CAP
from .quiet_days import catch_up_all, pack
from .unique_ids import unique_ids

class PopulationStep:
    """Advances the population by one day; ``run(day)`` is the STEP phase of the engine."""

    def __init__(self, pop, today, behavior, rng, ledgers, economics: dict, record_transactions: bool = False,
                 policies: bool = True):
        """``ledgers``: one ledger per replication of the population; ``policies``: whether any
        replication runs a policy (without, the hazards may be day-invariant)."""
        self.pop, self.today, self.behavior, self.rng, self.ledgers = pop, today, behavior, rng, ledgers
        self.econ = economics
        self.channels = pop.channel_names
        self.record_transactions = record_transactions
        self.transactions: list[tuple] = []   # (day, idx, amount, discount) per batch of orders
        self.keys = np.stack([rng.keys(name, 0) for name in KEY_NAMES])   # the pond-entry row is set each day
        self.events = new_events(max(4 * ROOM_PER_CUSTOMER, min(pop.n, 1 << 16)), pop.reps)
        self.due = np.zeros(CHUNK + 1, np.int64)   # [count, customers to replay...]
        self.work = np.zeros(CHUNK, np.int64)      # customers with more to do than a clock (``advance``)
        self._run = None                           # run_customers' machine code for today's argument types
        # hazards that change only with a customer's own events are held, not recomputed daily
        # (n x 3), and each customer visited only on the days a clock runs out (quiet_days)
        self.held = self.calendar = None
        if behavior.day_invariant(policies):
            self.held, *calendar = pack(pop)
            self.calendar = tuple(calendar)

    def run(self, day: int) -> None:
        pop = self.pop
        self.keys[K_POND_ENTRY] = self.rng.keys("pond_entry", day)
        d = self.behavior.day_inputs(day, self.keys, self.econ, self.held, self.calendar)
        c, x = pop.arrays(), self.today.customer_inputs()
        if self.held is not None and day == 0:
            hold_all(day, c, x, d, self.behavior.numbers)
        ev, due, p = self.events, self.due, self.behavior.numbers
        ev.used[:] = 0
        ev.unsubscribes[:] = 0
        due[0] = 0
        start = 0
        while True:
            while due[0]:   # replays left when the event buffers filled up: make room, finish them
                if ev.failed[0] >= 0 and max(int(pop.orders[ev.failed[0]]), int(pop.moves[ev.failed[0]]) + 1) >= COUNT_CAP:
                    raise UserError(f"day {day}: a customer reached {COUNT_CAP:,} orders or stage moves, the most a "
                                    "customer's count holds; some hazards are far too large (e.g. "
                                    "behavior.max_orders_per_day, awareness and forgetting together): lower them")
                if ev.failed[0] >= 0:
                    raise UserError(f"day {day}: a customer went through more than {MAX_EVENTS_PER_DAY} events in "
                                    "one day; some hazards are too large together (e.g. awareness and forgetting "
                                    "both very large): lower them")
                self.events = ev = _grown(ev)
                replay_due(day, c, x, d, p, ev, due)
            if start >= pop.n:
                break
            args = (start, pop.n, day, c, x, d, p, ev, due, self.work)
            if self._run is None:   # the same argument types every day: dispatch once
                self._run = entry(run_customers if self.calendar is None else run_customers_quiet, args)
            start = self._run(*args)
        self._book(day, ev)

    def finish(self, days: int) -> None:
        """After the last day: in a day-invariant run, everyone's clocks and trust brought up to
        the end of day ``days`` - 1, as a daily visit leaves them (``quiet_days``)."""
        if self.calendar is not None:
            d = self.behavior.day_inputs(days, self.keys, self.econ, self.held, self.calendar)
            catch_up_all(days, self.pop.arrays(), self.today.customer_inputs(), d, self.behavior.numbers)

    def _book(self, day: int, ev) -> None:
        """Today's events into the ledgers, today's counts and the lists policies read."""
        pop, t = self.pop, self.today
        n_orders, n_moves, n_joins = (int(k) for k in ev.used)
        idx = ev.order_idx[:n_orders].copy()
        amount, discount = ev.order_amount[:n_orders].copy(), ev.order_discount[:n_orders].copy()
        source, anyway = ev.order_source[:n_orders], ev.order_anyway[:n_orders].copy()
        if n_orders:
            used = source > 0
            rep, reps = pop.rep_of(idx), pop.reps    # each order's replication, once (``Population.tally``)

            def tally(mask=None, weights=None):
                return np.bincount(rep if mask is None else rep[mask], weights=weights, minlength=reps)
            self._post(day, "gmv", tally(weights=amount))
            self._post(day, "cogs", tally(weights=amount * self.econ["cogs_share"]))
            for src in unique_ids(source[used]):
                mine = source == src
                name = pop.coupons.sources[src]
                self._post(day, "discount", tally(mine, discount[mine]), source=name)
                # the part of the discount paid on orders that would have been placed anyway (a memo)
                self._post(day, "cannibalised_discount", tally(mine, discount[mine] * anyway[mine]), source=name)
            first, member, ahead = ev.order_first[:n_orders], ev.order_member[:n_orders], ev.order_ahead[:n_orders]
            t.purchases += tally()
            t.new_buyers += tally(first)
            if ahead.any():
                t.bought_ahead += tally(ahead)
            if member.any():
                self._post(day, "pond_gmv", tally(member, amount[member]))
            t.coupons_redeemed += tally(used)
            t.add_orders(idx, amount, discount, anyway)
            if used.any():
                pop.coupons._redeemed.append((idx[used], discount[used], source[used].copy(), anyway[used]))
            if self.record_transactions:
                self.transactions.append((np.full(n_orders, day, np.int32), idx, amount, discount))
        if n_moves:
            t.add_moves(ev.move_idx[:n_moves].copy(), ev.move_to[:n_moves].copy())
        if n_joins:
            self._pond_costs(day, ev.join_idx[:n_joins], ev.join_route[:n_joins])
            t.pond_joins += pop.tally(ev.join_idx[:n_joins])
        if ev.unsubscribes.any():
            t.unsubscribes += ev.unsubscribes
        if n_joins or ev.unsubscribes.any():
            pop.pond_changed()

    def _pond_costs(self, day: int, idx: np.ndarray, route: np.ndarray) -> None:
        """Post the cost of the members moved into the pond today, per replication and channel."""
        t, n_channels = self.today, len(self.channels)
        for code, weighted_cost, weight in ((ROUTE_ENTRY, t.pond_entry_cost, t.pond_entry),
                                            (ROUTE_ON_PURCHASE, t.pond_on_purchase_cost, t.pond_on_purchase)):
            mine = idx[route == code]
            if not mine.size:
                continue
            per_member = np.divide(weighted_cost, weight, out=np.zeros_like(weight), where=weight > 0).reshape(-1)
            joined = np.bincount(self._rep_channel(mine), minlength=per_member.size)
            where = np.flatnonzero(joined)
            for rc, cost in zip(where.tolist(), (joined[where] * per_member[where]).tolist()):
                r, ch = divmod(rc, n_channels)
                self.ledgers[r].post(day, "pond_acquisition", cost, channel=self.channels[ch], per_customer=True)

    def _rep_channel(self, idx: np.ndarray) -> np.ndarray:
        """Flat (replication, channel) position of each customer: the index into ``Today``'s
        per-channel rows, raveled."""
        pop = self.pop
        if pop.reps == 1:
            return pop.channel[idx]
        return pop.rep_of(idx) * len(self.channels) + pop.channel[idx]

    def _post(self, day: int, account: str, totals: np.ndarray, source: str = "") -> None:
        """Post each replication's total (``Population.tally`` of values over its customers: added in
        order, so a replication's sum is the same whether it runs alone or in a batch)."""
        for ledger, total in zip(self.ledgers, totals.tolist()):
            ledger.post(day, account, total, source=source, per_customer=True)


def _grown(ev):
    """Event buffers of twice the room, holding what ``ev`` has recorded."""
    out = new_events(2 * ev.order_idx.size, ev.unsubscribes.size)
    for name in ("order_idx", "order_amount", "order_discount", "order_anyway", "order_source", "order_first",
                 "order_member", "order_ahead",
                 "move_idx", "move_to", "join_idx", "join_route"):
        old = getattr(ev, name)
        getattr(out, name)[:old.size] = old
    out.used[:] = ev.used
    out.unsubscribes[:] = ev.unsubscribes
    return out
