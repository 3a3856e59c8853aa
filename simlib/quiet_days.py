"""The days a customer's clocks only run down, skipped: the calendar of a day-invariant run.

In a run whose hazards change only with a customer's own events (``Behavior.day_invariant``:
the classic special cases), a day on which none of a customer's clocks runs out changes
nothing but the clocks themselves (each falls by its held rate) and trust (it decays by a
constant factor a day). Such days need not be visited one by one: the step keeps, per
customer, the day their first clock runs out (``due_day``) and the day their clocks stand at
(``since_day``), and visits only the customers due today (``customer_day.advance_quiet``). On
that day the clocks and trust are brought up to date in one go (``catch_up``), the day runs
as any other, and the next due day is set (``schedule``); at the end of the run everyone is
brought up to the last day (``catch_up_all``), so the population's state is the one a daily
visit leaves. A customer who may join the pond today (a draw of its own every day) is visited
every day.

A clock brought up to date in one subtraction (``clock - rate * days``) differs from one run
down day by day only in the rounding of the float32 it is kept in (about 1e-7 of a clock a
day): an event may move by that much of a day.

The customers due on a day are a few per cent of the market, spread over it, so a visit is
memory-bound: every array it reads costs a cache line of its own. ``pack`` therefore lays out
the fields a visit reads as one record of two cache lines per customer (the arrays become
views of it: the same numbers in another place), and ``advance_quiet`` fetches the records of
the customers a few visits ahead (``compiled.prefetch``).
"""

from __future__ import annotations

import math

import numpy as np

from .behavior import awareness_hazard
from .compiled import compiled
from .population import LOST, UNAWARE

NOT_DUE = 32767          # the calendar's days are int16 (as the population's): a customer no clock will wake
LINE = 64                # bytes in a cache line
CHUNK = 8192             # records filled at a time
# what a visit reads and writes, packed by ``pack`` with the step's own ``held`` (the rates held
# since the customer's last event) and ``since_day``: the 4-byte fields, the rates, the narrower
HOT_FIELDS = ("stage_clock", "purchase_clock", "pond_clock", "trust", "reference_price", "margin_clv_cny",
              "basket_value_cny", "purchase_rate_per_day", "lifetime_hazard_per_day", "social_susceptibility",
              "orders", "moves", "first_purchase_day", "last_purchase_day", "stock_until", "stage", "channel")
assert HOT_FIELDS[0] == "stage_clock" and HOT_FIELDS[-1] == "channel"   # what ``advance_quiet`` fetches ahead
# (pond membership stays an array of its own: it is counted every day, and a count over a
# strided view costs a cache line per customer)


def pack(pop) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lay out what a visit reads as one record of 80 bytes per customer, and make
    the population's arrays views of it (before any replication's view exists). Returns the
    held rates (n x 3, float64), the day each customer's clocks stand at (int16, all 0) and the
    day each is due (int16, all 0: everyone is visited on day 0; a plain array, scanned daily)."""
    n = pop.n
    own = [name for name in HOT_FIELDS
           if isinstance(getattr(pop, name, None), np.ndarray) and getattr(pop, name).shape == (n,)
           and getattr(pop, name).strides != (0,)]
    fields = [(name, getattr(pop, name).dtype) for name in own]
    wide = [f for f in fields if f[1].itemsize >= 4]
    narrow = sorted([f for f in fields if f[1].itemsize < 4] + [("since_day", np.dtype(np.int16))],
                    key=lambda f: -f[1].itemsize)
    names, formats, offsets, at = [], [], [], 0
    # the first field (the stage clock) and the last (the channel) lie on a record's two lines
    for name, dtype in wide + [("held", np.dtype((np.float64, (3,))))] + narrow:
        at += -at % dtype.base.itemsize
        names.append(name), formats.append(dtype), offsets.append(at)
        at += dtype.itemsize
    size = at + (-at % 16)                           # 80 bytes: on exactly two lines wherever it starts
    record = np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": size})
    raw = np.empty(n * size + LINE, np.uint8)
    start = -raw.ctypes.data % LINE
    packed = raw[start:start + n * size].view(record)
    packed["held"] = 0.0
    packed["since_day"] = 0
    for lo in range(0, n, CHUNK):                   # a chunk of records at a time, while in the cache
        part = packed[lo:lo + CHUNK]
        for name in own:
            part[name] = getattr(pop, name)[lo:lo + CHUNK]
    for name in own:
        pop.rebind(name, packed[name])
    return packed["held"], packed["since_day"], np.zeros(n, np.int16)


@compiled(inline=True)
def catch_up(i, day, rep, c, x, d, p):
    """Customer ``i``'s clocks and trust brought from the day they stand at to the start of
    ``day``: each clock falls by its rate a day (the unaware's stage clock by the awareness
    hazard), trust decays a day for an active customer (``relationship``)."""
    days = day - d.since_day[i]
    if days <= 0:
        return
    d.since_day[i] = day
    stage = c.stage[i]
    if stage == LOST:
        return
    if stage == UNAWARE:
        c.stage_clock[i] = c.stage_clock[i] - awareness_hazard(i, rep * d.n_channels + c.channel[i], c, x, d) * days
        return
    if d.held[i, 0] > 0:
        c.stage_clock[i] = c.stage_clock[i] - d.held[i, 0] * days
    if d.held[i, 1] > 0:
        c.purchase_clock[i] = c.purchase_clock[i] - d.held[i, 1] * days
    if d.held[i, 2] > 0:
        c.pond_clock[i] = c.pond_clock[i] - d.held[i, 2] * days
    c.trust[i] = c.trust[i] * math.pow(p.trust_decay, days)


@compiled(inline=True)
def schedule(i, day, rep, c, x, d):
    """Set the day customer ``i`` is next due, their clocks standing at the start of ``day`` + 1:
    the first day on which a clock, falling by its held rate a day, runs out; tomorrow for
    whoever may join the pond (a draw every day); never for a lost customer."""
    start = day + 1
    d.since_day[i] = start
    stage = c.stage[i]
    if stage == LOST:
        d.due_day[i] = NOT_DUE
        return
    rc = rep * d.n_channels + c.channel[i]
    if (stage != UNAWARE and d.on.pond_entry and not c.in_pond[i] and not c.left_pond[i]
            and d.pond_entry_chance[rc] > 0 and c.orders[i] >= d.pond_min_orders[rc]):
        d.due_day[i] = start
        return
    days = math.inf                                  # days until the first clock runs out
    if stage == UNAWARE:
        rate = awareness_hazard(i, rc, c, x, d)
        if rate > 0:
            days = c.stage_clock[i] / rate
    else:
        if d.held[i, 0] > 0:
            days = min(days, c.stage_clock[i] / d.held[i, 0])
        if d.held[i, 1] > 0:
            days = min(days, c.purchase_clock[i] / d.held[i, 1])
        if d.held[i, 2] > 0:
            days = min(days, c.pond_clock[i] / d.held[i, 2])
    # on day start + m a clock has fallen by (m + 1) rates by the day's end: it runs out then
    # for the first m with m + 1 >= days
    d.due_day[i] = min(day + max(math.ceil(days), 1), NOT_DUE) if days < NOT_DUE else NOT_DUE


@compiled
def catch_up_all(day, c, x, d, p):
    """Everyone's clocks and trust brought up to the start of ``day`` (the end of the run)."""
    rep, next_rep = 0, d.block
    for i in range(c.stage.size):
        if i == next_rep:
            rep += 1
            next_rep += d.block
        catch_up(i, day, rep, c, x, d, p)
