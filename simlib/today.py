"""``Today``: the inputs policies set for the current day, declared as one table of fields.

Policies write these in the ACT and OUTREACH phases; the population step reads them; the
engine resets them at BEGIN. Per-customer arrays are cleared only when they were written
(``touch``), so a day on which nobody chats costs nothing for the ``chat`` array; readers
ask ``touched(name)`` to skip a term that is all zero today.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Field:
    kind: str          # "customer" (array of n), "channel" (array per channel), "scalar", "count"
    doc: str
    dtype: type = np.float64
    default: float = 0.0


FIELDS = {
    # per customer, written by policies through ``touch``
    "awareness_extra": Field("customer", "extra awareness hazard of an unaware customer (per day)", np.float32),
    "interest_boost": Field("customer", "log-lift on aware -> interested", np.float32),
    "purchase_boost": Field("customer", "log-lift on purchase hazards", np.float32),
    "useful": Field("customer", "useful-content units received (trust, interest, waking)", np.float32),
    "load": Field("customer", "message load, in messages, after the relief of usefulness", np.float32),
    "chat": Field("customer", "had a one-to-one chat", bool),
    "belonging": Field("customer", "activity (0-1) of the community group the customer takes part in", np.float32),
    # per public channel
    "ad_awareness": Field("channel", "awareness hazard from ads and events, per day"),
    "pond_entry": Field("channel", "hazard that an aware-or-later customer joins the pond, per day"),
    "pond_entry_cost": Field("channel", "sum over sources of hazard x cost per member (CNY)"),
    "pond_on_purchase": Field("channel", "chance a buyer joins the pond (package insert)"),
    "pond_on_purchase_cost": Field("channel", "sum over sources of chance x cost per member (CNY)"),
    "pond_min_orders": Field("channel", "orders a customer needs before a pond route admits them (smallest open route)"),
    # market-wide multipliers
    "purchase_multiplier": Field("scalar", "calendar multiplier on every purchase hazard", default=1.0),
    "interest_multiplier": Field("scalar", "calendar multiplier on every interest hazard", default=1.0),
    # counts for today's row
    "messages_sent": Field("count", "messages delivered", int),
    "unsubscribes": Field("count", "pond members who left the pond", int),
    "pond_joins": Field("count", "customers who joined the pond", int),
    "coupons_redeemed": Field("count", "coupons used on orders", int),
    "purchases": Field("count", "orders", int),
    "new_buyers": Field("count", "first orders in the run", int),
    "pond_gmv_cny": Field("count", "list value of the orders of customers in the pond when they ordered", float),
}
PER_CUSTOMER = [name for name, f in FIELDS.items() if f.kind == "customer"]


class Today:
    """The day's inputs and event lists; see ``FIELDS`` for what each field means."""

    def __init__(self, n: int, channels: int):
        self.n, self.channels = n, channels
        for name in PER_CUSTOMER:
            setattr(self, name, np.zeros(n, FIELDS[name].dtype))
        self._dirty = set(PER_CUSTOMER)
        self.reset()

    def touch(self, name: str) -> np.ndarray:
        """The per-customer array ``name``, marked to be cleared tomorrow."""
        self._dirty.add(name)
        return getattr(self, name)

    def touched(self, name: str) -> bool:
        """Was the per-customer array ``name`` written today?"""
        return name in self._dirty

    def reset(self) -> None:
        for name in self._dirty:
            getattr(self, name).fill(0)
        self._dirty = set()
        for name, f in FIELDS.items():
            if f.kind == "channel":
                setattr(self, name, np.zeros(self.channels))
            elif f.kind in ("scalar", "count"):
                setattr(self, name, f.dtype(f.default) if f.kind == "count" else f.default)
        self._orders: list[tuple] = []          # (idx, amount, discount) per batch
        self._moves: list[tuple] = []           # (idx, new stage) per batch

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
