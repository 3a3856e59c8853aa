"""One simulated day of one customer, compiled: the population step's inner loop.

``run_customers`` takes customers a chunk at a time: ``advance`` runs the day of each whose
clocks all last it, ``replay_due`` replays the others event by event. Each customer's day depends only on their own state and today's
inputs, so customers may run in any order and a replication gives the same numbers alone or
in a batch. For one customer, in this order:

1. hazards from the state at the start of the day (``behavior.customer_hazards``), held for
   the day; each of the customer's three unit-exponential clocks (the stage, the next order,
   leaving the pond) runs down by its hazard;
2. if a clock runs out within the day, the day is replayed event by event at the exact times
   (``replay``): the first clock to run out fires (a stage exit chosen by hazard shares, an
   order, leaving the pond), hazards are recomputed for the new state, the fired clock is
   redrawn, until the day is used up;
3. a customer active at the start of the day who is still outside the pond may join it
   (``pond_entry``);
4. trust, fatigue and the reference price move (``relationship``); they act from tomorrow.

In a day-invariant run (the classic special cases) only the customers with a clock running
out today are visited (``advance_quiet``; ``quiet_days`` keeps the calendar): the same steps,
with hazards held since each customer's last event.

What the rest of the engine must see is written to ``Events`` (today's orders, stage moves,
pond joins, unsubscribes: the population step books their money and hands them to the
policies) and to the population's arrays; stage counts and buyers per channel are kept up
to date here.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
from .compiled import compiled, prefetch

from .behavior import DEST, WAKE, awareness_hazard, customer_hazards
from .coupons import coupon_value_cny, topped_up
from .promotion import (adapted_reference, ahead_chance, paid_back_chance, relaxed_reference, stocked_until,
                        stockpile_chance)
from .population import AWARE, COUNT_CAP, INTERESTED, LOST, LOYAL, NEVER, PURCHASED, STAGES, UNAWARE
from .quiet_days import catch_up, schedule
from .today import CHAT, LOAD, USEFUL, today_input
from .rng import day_uniform, normal_quantile, nth_erlang, nth_exponential, nth_uniform

MAX_EVENTS_PER_DAY = 200   # safety bound on events of one customer within one day
ROOM_PER_CUSTOMER = 4 * MAX_EVENTS_PER_DAY + 4   # event slots one customer's day may need at most
CHUNK = 8192   # customers advanced before their replays: their data are still in the cache then
AHEAD = 4      # a day-invariant run fetches the record of the customer this many visits ahead (quiet_days)
N_STAGES = len(STAGES)

# rows of ``DayInputs.keys``: each decision's key per replication (on day 0 for the decisions a
# customer takes in their own life, keyed by their own count; today's for pond entry)
KEY_NAMES = ("stage_exit", "stage_clock", "purchase_clock", "order_value", "dropout", "pond_on_purchase",
             "purchase_clock_covered", "bought_ahead", "pond_entry")
(K_STAGE_EXIT, K_STAGE_CLOCK, K_PURCHASE_CLOCK, K_ORDER_VALUE, K_DROPOUT, K_POND_ON_PURCHASE,
 K_PURCHASE_CLOCK_COVERED, K_BOUGHT_AHEAD, K_POND_ENTRY) = range(len(KEY_NAMES))

ROUTE_ENTRY, ROUTE_ON_PURCHASE = 0, 1   # how a customer joined the pond (``Events.join_route``)

# Today's events, in the order they happened for each customer, customers in order.
# ``used``: orders, moves and joins recorded; ``unsubscribes``: per replication; ``failed``: the
# customer whose day needed more than MAX_EVENTS_PER_DAY events (-1: none).
Events = namedtuple("Events", ["order_idx", "order_amount", "order_discount", "order_anyway", "order_source",
                               "order_first", "order_member", "order_ahead", "move_idx", "move_to", "join_idx", "join_route", "used",
                               "unsubscribes", "failed"])


def new_events(capacity: int, reps: int) -> Events:
    """Empty event buffers with room for ``capacity`` events of each kind."""
    i64 = np.int64
    return Events(np.empty(capacity, i64), np.empty(capacity), np.empty(capacity), np.empty(capacity),
                  np.empty(capacity, np.int8), np.empty(capacity, np.bool_), np.empty(capacity, np.bool_),
                  np.empty(capacity, np.bool_), np.empty(capacity, i64),
                  np.empty(capacity, np.int8), np.empty(capacity, i64), np.empty(capacity, np.int8),
                  np.zeros(3, i64), np.zeros(reps, i64), np.full(1, -1, i64))


@compiled
def run_customers(start, stop, day, c, x, d, p, ev, due, work):
    """Today for customers ``start`` .. ``stop`` - 1, ``CHUNK`` at a time: ``advance`` a chunk,
    then replay its customers whose clocks ran out while their data are still in the cache.
    Returns the first customer not advanced; when the event buffers filled up (or a day ran
    out of events: ``ev.failed``), ``due`` still lists customers to replay (``replay_due``).
    ``work``: room for ``CHUNK`` customer numbers."""
    i = start
    while i < stop:
        due[0] = 0
        i = advance(i, min(i + CHUNK, stop), day, c, x, d, p, ev, due, work)
        if due[0] and not replay_due(day, c, x, d, p, ev, due):
            return i
    return stop


@compiled
def run_customers_quiet(start, stop, day, c, x, d, p, ev, due, work):
    """``run_customers`` in a day-invariant run, with ``advance_quiet``: a function of its own,
    so that each kind of run compiles only the code it runs (one function choosing on an
    argument would compile both: numba drops a branch only on an argument typed None)."""
    i = start
    while i < stop:
        due[0] = 0
        i = advance_quiet(i, min(i + CHUNK, stop), day, c, x, d, p, ev, due, work)
        if due[0] and not replay_due(day, c, x, d, p, ev, due):
            return i
    return stop


@compiled
def advance(start, stop, day, c, x, d, p, ev, due, work):
    """Today for customers ``start`` .. ``stop`` - 1 whose clocks all last the day; the others
    are listed in ``due`` (``due[0]`` their count, room for ``stop - start``). Returns ``stop``.

    Two passes, so that the usual majority costs little: the unaware's clocks run down without
    a branch on anyone's stage (stages come mixed, and a mispredicted branch costs more than
    the arithmetic), while the customers with more to do are listed in ``work``; then those."""
    k = run_down_unaware(start, stop, c, x, d, work)
    rep = start // d.block
    next_rep = (rep + 1) * d.block
    for j in range(k):
        i = work[j]
        while i >= next_rep:
            rep += 1
            next_rep += d.block
        stage = c.stage[np.uint64(i)]
        if stage == LOST:
            relationship(i, day, False, 0, c, x, d, p)
            continue
        if stage != UNAWARE:
            forward, back, churn, leave, rate, _, _ = customer_hazards(i, rep, day, stage, c, x, d, p)
            if clocks_last(i, rep, day, forward + back + churn, rate * d.regularity, leave, c, x, d, p, ev):
                continue
        due[0] += 1
        due[due[0]] = i
    return stop


@compiled
def run_down_unaware(start, stop, c, x, d, work):
    """``advance``'s first pass: the unaware's stage clocks of customers ``start`` .. ``stop`` - 1
    run down by their awareness hazard; the customers with more to do today (the active, the
    lost still in the pond, the unaware whose clock runs out) are listed in ``work``; returns
    their count. Customers are indexed with an unsigned number (``u``): numba then leaves out
    its check for a negative index, which kept every array's length live and pushed the loop's
    count out of the registers. The pass is two loops: the first, a replication at a time,
    writes each customer's clock and whether they have more to do (in ``work``, as 0 or 1) with
    no dependence from one customer to the next, so the compiler does several at once; the
    second lists them, in order, over those marks."""
    i = start
    while i < stop:                    # customers are numbered replication by replication
        rep = i // d.block
        end = min(stop, (rep + 1) * d.block)
        first_rc = rep * d.n_channels
        for j in range(i, end):
            u = np.uint64(j)           # an unsigned index: no check for a negative one
            stage = c.stage[u]
            clock = c.stage_clock[u]
            left = clock - awareness_hazard(u, first_rc + c.channel[u], c, x, d)
            runs_down = (stage == UNAWARE) & (left > 0)
            c.stage_clock[u] = left if runs_down else clock
            work[np.uint64(j - start)] = (not runs_down) & ((stage != LOST) | c.in_pond[u])
        i = end
    k = 0
    for j in range(stop - start):      # in place: the k-th listed is written after the j-th mark is read (k <= j)
        more = work[np.uint64(j)]
        work[np.uint64(k)] = start + j
        k += more
    return k


@compiled
def advance_quiet(start, stop, day, c, x, d, p, ev, due, work):
    """``advance`` in a day-invariant run (``d.static``): only the customers due today on the
    calendar (``quiet_days``) are visited; their clocks and trust are brought up to today, their
    day runs on their held hazards, and the next day they are due is set (for those replayed,
    by ``replay_due``). Returns ``stop``."""
    k = 0
    for i in range(start, stop):       # the due days side by side: a quick scan
        work[k] = i
        k += d.due_day[i] <= day
    rep, next_rep = start // d.block, (start // d.block + 1) * d.block
    for j in range(k):
        if j + AHEAD < k:              # the two cache lines of a customer a few visits ahead
            prefetch(c.stage_clock, work[j + AHEAD])
            prefetch(c.channel, work[j + AHEAD])
        i = work[j]
        while i >= next_rep:
            rep += 1
            next_rep += d.block
        catch_up(i, day, rep, c, x, d, p)
        u = np.uint64(i)               # an unsigned index: no check for a negative one
        stage = c.stage[u]
        if stage == LOST:
            schedule(i, day, rep, c, x, d)
            continue
        if stage == UNAWARE:
            left = c.stage_clock[u] - awareness_hazard(i, rep * d.n_channels + c.channel[u], c, x, d)
            if left > 0:
                c.stage_clock[u] = left
                schedule(i, day, rep, c, x, d)
                continue
        else:
            if clocks_last(i, rep, day, d.held[u, 0], d.held[u, 1], d.held[u, 2], c, x, d, p, ev):
                schedule(i, day, rep, c, x, d)
                continue
        due[0] += 1
        due[due[0]] = i
    return stop


@compiled(inline=True)
def clocks_last(i, rep, day, rate_stage, rate_purchase, leave, c, x, d, p, ev):
    """Active customer ``i``'s day when none of their clocks runs out at these rates: the clocks
    run down, then pond entry and the relationship; True. False (nothing done) when one runs
    out: the day is replayed event by event."""
    u = np.uint64(i)   # the customer as an unsigned index: no check for a negative one
    left_stage = c.stage_clock[u] - rate_stage
    left_purchase = c.purchase_clock[u] - rate_purchase
    left_pond = c.pond_clock[u] - leave
    if left_stage > 0 and left_purchase > 0 and left_pond > 0:
        c.stage_clock[u] = left_stage
        c.purchase_clock[u] = left_purchase
        if leave > 0:
            c.pond_clock[u] = left_pond
        pond_entry(i, rep, day, c, d, ev)
        relationship(i, day, True, 0, c, x, d, p)
        return True
    return False


@compiled
def replay_due(day, c, x, d, p, ev, due):
    """Replay the day of the customers listed in ``due`` event by event, then their pond entry
    and relationship. True when all are done; False when the event buffers are nearly full or a
    customer's day needed more than MAX_EVENTS_PER_DAY events (``ev.failed``): ``due`` then
    lists those still to do."""
    capacity = ev.order_idx.size
    count = due[0]
    rep, next_rep = 0, d.block           # the list is ascending: the replication only moves up
    for j in range(1, count + 1):
        i = due[j]
        while i >= next_rep:
            rep += 1
            next_rep += d.block
        if capacity - max(ev.used[0], ev.used[1], ev.used[2]) < ROOM_PER_CUSTOMER:
            return _keep_rest(due, j, count)
        active_at_start = c.stage[i] != UNAWARE
        orders_before = ev.used[0]
        if not replay(i, rep, day, c, x, d, p, ev):
            ev.failed[0] = i
            return _keep_rest(due, j, count)
        if active_at_start:
            pond_entry(i, rep, day, c, d, ev)
        relationship(i, day, active_at_start, ev.used[0] - orders_before, c, x, d, p)
        if d.static:
            schedule(i, day, rep, c, x, d)
    due[0] = 0
    return True


@compiled(inline=True)
def _keep_rest(due, j, count):
    """Move entries j .. count of ``due`` to its front; False."""
    for k in range(j, count + 1):
        due[k - j + 1] = due[k]
    due[0] = count - j + 1
    return False


@compiled(inline=True)
def replay(i, rep, day, c, x, d, p, ev):
    """Customer ``i``'s (of replication ``rep``) day event by event from its start, with the
    clocks as they stood then."""
    u = np.uint64(i)   # the customer as an unsigned index: no check for a negative one
    local = i - rep * d.block
    k = d.regularity
    clock_stage, clock_purchase, clock_pond = float(c.stage_clock[u]), float(c.purchase_clock[u]), float(c.pond_clock[u])
    used = 0.0                                     # share of the day gone
    for _ in range(MAX_EVENTS_PER_DAY):
        if c.orders[u] >= COUNT_CAP or c.moves[u] >= COUNT_CAP - 1:   # (joining the pond may add a move)
            return False   # a count would pass its cap: the step stops with an error
        forward, back, churn, leave, rate, scale, anyway = customer_hazards(i, rep, day, c.stage[u], c, x, d, p)
        rate_stage, rate_purchase = forward + back + churn, rate * k
        # the clock that runs out first, and when (the first of equals, as argmin)
        until, which = math.inf, -1
        if rate_stage > 0:
            until, which = max(clock_stage, 0.0) / rate_stage, 0
        if rate_purchase > 0 and max(clock_purchase, 0.0) / rate_purchase < until:
            until, which = max(clock_purchase, 0.0) / rate_purchase, 1
        if leave > 0 and max(clock_pond, 0.0) / leave < until:
            until, which = max(clock_pond, 0.0) / leave, 2
        left = 1.0 - used
        if until >= left:
            c.stage_clock[u] = clock_stage - rate_stage * left
            c.purchase_clock[u] = clock_purchase - rate_purchase * left
            c.pond_clock[u] = clock_pond - leave * left
            if d.static:
                hold(i, rate_stage, rate_purchase, leave, d)
            return True
        clock_stage -= rate_stage * until
        clock_purchase -= rate_purchase * until
        clock_pond -= leave * until
        used += until
        if which == 2:   # leaving the pond ends free reach, not the customer
            ev.unsubscribes[rep] += 1
            c.in_pond[u] = False
            c.left_pond[u] = True
            clock_pond = math.inf
        elif which == 1 and d.on.acceleration and c.stock_until[u] >= day:
            # an order bought ahead covers this regular one: no order; the clock is drawn anew
            # (keyed by the order count under a name of its own: at most one cover per order)
            c.stock_until[u] = NEVER
            clock_purchase = nth_erlang(d.keys[K_PURCHASE_CLOCK_COVERED, rep], local, c.orders[u], k)
        else:   # a stage exit (the move into purchased is the first order), or a repeat order
            if which == 1 or stage_event(i, rep, local, forward, back, churn, c, d, ev):
                order(i, rep, local, day, scale, anyway, c, d, p, ev)
            if which == 1:
                clock_purchase = nth_erlang(d.keys[K_PURCHASE_CLOCK, rep], local, c.orders[u], k)
            else:
                c.moves[u] += 1
                clock_stage = nth_exponential(d.keys[K_STAGE_CLOCK, rep], local, c.moves[u])
        if c.stage[u] == LOST:
            clock_stage = clock_purchase = clock_pond = math.inf
    return False


@compiled(inline=True)
def hold(i, rate_stage, rate_purchase, leave, d):
    """Keep customer ``i``'s rates until their next event (``DayInputs.static``)."""
    u = np.uint64(i)   # the customer as an unsigned index: no check for a negative one
    d.held[u, 0] = rate_stage         # a customer's three rates side by side: one cache line
    d.held[u, 1] = rate_purchase
    d.held[u, 2] = leave


@compiled
def hold_all(day, c, x, d, p):
    """Hold every active customer's rates (the first day of a day-invariant run)."""
    for i in range(c.stage.size):
        stage = c.stage[i]
        if stage != UNAWARE and stage != LOST:
            forward, back, churn, leave, rate, _, _ = customer_hazards(i, i // d.block, day, stage, c, x, d, p)
            hold(i, forward + back + churn, rate * d.regularity, leave, d)


@compiled(inline=True)
def move(i, rep, new, c, d, ev):
    """Set customer ``i``'s stage, keep the stage counts, record the move."""
    u = np.uint64(i)   # the customer as an unsigned index: no check for a negative one
    old = c.stage[u]
    if new == old:
        return
    d.stage_counts[rep * N_STAGES + old] -= 1
    d.stage_counts[rep * N_STAGES + new] += 1
    c.stage[u] = new
    m = ev.used[1]
    ev.move_idx[m] = i
    ev.move_to[m] = new
    ev.used[1] = m + 1


@compiled(inline=True)
def stage_event(i, rep, local, forward, back, churn, c, d, ev):
    """Customer ``i`` leaves their stage by the exit drawn by hazard shares (forward, back,
    churn); True when the exit is the first order (interested -> purchased)."""
    u = np.uint64(i)   # the customer as an unsigned index: no check for a negative one
    old = c.stage[u]
    share = nth_uniform(d.keys[K_STAGE_EXIT, rep], local, c.moves[u]) * (forward + back + churn)
    new = DEST[old, int(share > forward) + int(share > forward + back)]
    if new == WAKE:
        new = LOYAL if c.orders[u] >= 2 else PURCHASED
    move(i, rep, new, c, d, ev)
    return old == INTERESTED and new == PURCHASED


@compiled(inline=True)
def order(i, rep, local, day, dropout_scale, anyway, c, d, p, ev):
    """Book one order of customer ``i``: its value, coupon, stage, reference price and the chance
    of leaving after it; the money is booked from ``ev`` by the population step. ``anyway``: the
    chance the order would have been placed at the list price (behaviour's counterfactual); with
    buying ahead, an order bought ahead that stands in for a regular one was placed anyway too."""
    u = np.uint64(i)   # the customer as an unsigned index: no check for a negative one
    ahead = 0.0
    if d.on.acceleration:
        ahead = ahead_chance(anyway, p)
        stockpiled = stockpile_chance(anyway, p)   # placed anyway, a larger basket
        anyway += ahead * paid_back_chance(float(c.purchase_rate_per_day[u]), p)
        ahead += stockpiled
    amount = float(c.basket_value_cny[u])
    sd = p.order_value_sd_log
    if sd > 0:   # each order varies around the customer's mean basket (log-normal, mean kept)
        z = normal_quantile(nth_uniform(d.keys[K_ORDER_VALUE, rep], local, c.orders[u]))
        amount *= math.exp(sd * z - sd * sd / 2)
    discount, source = 0.0, 0
    if d.on.coupons and c.coupon_expiry[u] >= day:   # a valid coupon: top up to its threshold where that pays, use it
        kind = c.coupon_kind[u]
        min_spend, off_share = float(c.coupon_kind_min_spend_cny[kind]), float(c.coupon_kind_off_share[kind])
        off_cny = float(c.coupon_kind_off_cny[kind])
        amount = topped_up(amount, min_spend, off_share, off_cny, p.topup_value_share)
        if amount >= min_spend:
            discount = coupon_value_cny(amount, off_share, off_cny, min_spend)
            source = c.coupon_kind_source[kind]
            c.coupon_expiry[u] = NEVER
    first = c.orders[u] == 0
    c.orders[u] += 1
    if first:
        c.first_purchase_day[u] = day
        d.buyers_by_channel[rep * d.n_channels + c.channel[u]] += 1
    if day - c.first_purchase_day[u] < d.clv_horizon_days:
        c.margin_clv_cny[u] += amount - amount * d.cogs_share - discount
    c.last_purchase_day[u] = day
    # the price paid moves what the customer expects to pay; the order may have been bought ahead
    c.reference_price[u] = adapted_reference(float(c.reference_price[u]), 1.0 - discount / max(amount, 1e-9), p)
    bought_ahead = ahead > 0 and nth_uniform(d.keys[K_BOUGHT_AHEAD, rep], local, c.orders[u]) < ahead
    if bought_ahead:
        c.stock_until[u] = stocked_until(day, p)
    o = ev.used[0]
    ev.order_idx[o] = i
    ev.order_amount[o] = amount
    ev.order_discount[o] = discount
    ev.order_anyway[o] = anyway
    ev.order_source[o] = source
    ev.order_first[o] = first
    ev.order_member[o] = c.in_pond[u]
    ev.order_ahead[o] = bought_ahead
    ev.used[0] = o + 1
    # stage: a repeat order makes the customer loyal; dormant buyers wake up
    repeat = c.orders[u] >= 2
    move(i, rep, LOYAL if repeat else PURCHASED, c, d, ev)
    # BG/NBD (MBG/NBD with dropout_at_first_purchase): after an order the customer leaves for
    # good with chance p, at their own pace (see behavior.customer_hazards: the dropout scale)
    if repeat or p.dropout_at_first_purchase:
        dropout = c.dropout_after_purchase      # one entry when it is the same for everyone
        chance = dropout[i if dropout.size > 1 else 0] * dropout_scale
        if chance > 0 and nth_uniform(d.keys[K_DROPOUT, rep], local, c.orders[u]) < chance:
            move(i, rep, LOST, c, d, ev)
    # package inserts and store QR codes: some buyers join the pond (from their k-th order)
    if not c.in_pond[u] and not c.left_pond[u] and c.stage[u] != LOST:
        rc = rep * d.n_channels + c.channel[u]
        chance = d.pond_on_purchase[rc]
        if (chance > 0 and c.orders[u] >= d.pond_min_orders[rc]
                and nth_uniform(d.keys[K_POND_ON_PURCHASE, rep], local, c.orders[u]) < chance):
            join_pond(i, rep, local, day, ROUTE_ON_PURCHASE, c, d, ev)


@compiled(inline=True)
def join_pond(i, rep, local, day, route, c, d, ev):
    """Customer ``i`` joins the pond; joining is an act of interest (AIPL: I). (A customer who
    joins on an order is a buyer, never aware, so the replay's stage clock stays theirs.)"""
    u = np.uint64(i)   # the customer as an unsigned index: no check for a negative one
    c.in_pond[u] = True
    c.last_useful_day[u] = day   # joining is a touch: silence counts from here
    j = ev.used[2]
    ev.join_idx[j] = i
    ev.join_route[j] = route
    ev.used[2] = j + 1
    if c.stage[u] == AWARE:
        move(i, rep, INTERESTED, c, d, ev)
        c.moves[u] += 1
        c.stage_clock[u] = nth_exponential(d.keys[K_STAGE_CLOCK, rep], local, c.moves[u])


@compiled(inline=True)
def pond_entry(i, rep, day, c, d, ev):
    """A customer active at the start of the day, outside the pond and still not lost, joins at
    their channel's pond-entry hazard."""
    u = np.uint64(i)   # the customer as an unsigned index: no check for a negative one
    if not d.on.pond_entry or c.in_pond[u] or c.left_pond[u] or c.stage[u] == LOST:
        return
    rc = rep * d.n_channels + c.channel[u]
    chance = d.pond_entry_chance[rc]
    if chance <= 0 or c.orders[u] < d.pond_min_orders[rc]:
        return
    local = i - rep * d.block
    if day_uniform(d.keys[K_POND_ENTRY, rep], local) < chance:
        join_pond(i, rep, local, day, ROUTE_ENTRY, c, d, ev)


@compiled(inline=True)
def relationship(i, day, active_at_start, orders_today, c, x, d, p):
    """Trust decays for a customer active at the start of the day (aware to dormant), then each
    contact closes a share of the gap to 1: useful content per unit, a chat, each order. A pond
    member's silence clock restarts with any useful touch; their fatigue decays and takes
    today's message load. The reference price drifts back to the list price."""
    u = np.uint64(i)   # the customer as an unsigned index: no check for a negative one
    on = d.on
    if active_at_start:
        c.trust[u] *= p.trust_decay
        if on.reference_prices and c.reference_price[u] < 1:   # the regular prices seen pull it back
            c.reference_price[u] = relaxed_reference(float(c.reference_price[u]), p)
    if c.in_pond[u]:
        slot = x.slot[u]
        if on.fatigue:
            fatigue = c.fatigue[u] * p.fatigue_decay
            if on.load:
                fatigue += ((1.0 - p.fatigue_decay) * today_input(x, slot, LOAD) * 7.0
                            / max(c.message_tolerance_per_week[u], 1e-3))
            c.fatigue[u] = fatigue
        keep = 1.0                                # share of the gap to 1 that remains
        heard = False
        useful = today_input(x, slot, USEFUL) if on.useful else np.float32(0.0)
        if useful > 0:
            keep *= math.exp(math.log1p(-min(p.trust_gain_content, 1 - 1e-7)) * useful)
            heard = True
        if on.chat and today_input(x, slot, CHAT) != 0:
            keep *= 1.0 - p.trust_gain_chat
            heard = True
        if keep < 1:
            c.trust[u] = 1.0 - (1.0 - c.trust[u]) * keep
        if heard:
            c.last_useful_day[u] = day
    for _ in range(orders_today if p.trust_gain_purchase else 0):
        c.trust[u] = 1.0 - (1.0 - c.trust[u]) * (1.0 - p.trust_gain_purchase)
