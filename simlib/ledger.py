"""Every yuan, posted where it happens; summary money metrics are sums over these postings."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .params import Param

ECONOMICS_PARAMS = {
    "cogs_share": Param(0.45, "cost of goods as a share of list value", "share", low=0.0, high=1.0, basis="business"),
    "gross_margin": Param(None, "gross margin as a share of list value, the team's way of saying 1 - cogs_share: "
                                "give one or the other (both only when they agree); it sets cogs_share", "share",
                          low=0.0, high=1.0, nullable=True, source="the team's own figure (null: 1 - cogs_share)",
                          basis="business"),
    "clv_horizon_days": Param(365, "horizon of customer lifetime value after a first purchase", "days", int, low=1,
                              basis="business"),
}

# account -> kind. Gross profit = gmv - cogs - discount; marketing cost = every marketing_* kind;
# net profit = gross profit - marketing cost - liabilities (``Ledger.gross_profit``, ``net_profit``).
# A "memo" account moves no money: it attributes money booked elsewhere (the part of a discount
# paid on orders that would have happened anyway, the GMV of pond members or after a chat), so
# per-policy and per-channel figures are ledger queries too, weighted once, here.
ACCOUNTS = {
    "gmv": "revenue",                      # list value of orders
    "cogs": "cost_of_goods",
    "discount": "discount",                # coupons redeemed (paid only on redemption)
    "ad_spend": "marketing_acquisition",   # public-domain ads
    "pond_acquisition": "marketing_acquisition",  # cost per member moved into the pond
    "referral_rewards": "marketing_acquisition",
    "gifts": "marketing_retention",
    "red_packets": "marketing_retention",
    "points_redemption": "marketing_retention",
    "content_production": "marketing_retention",
    "staff": "marketing_retention",
    "events": "marketing_retention",
    "points_liability": "liability",       # points outstanding, valued in CNY: accrues as earned, released as spent
    "cannibalised_discount": "memo",       # of ``discount``: paid on orders that would have happened anyway
    "pond_gmv": "memo",                    # of ``gmv``: ordered by customers in the pond when they ordered
    "chat_gmv": "memo",                    # of ``gmv``: ordered within a staff team's attribution days of a chat
}

# account -> what a manager calls it (cost-breakdown tables, reports)
ACCOUNT_NAMES = {
    "gmv": "GMV (list value of orders)",
    "cogs": "cost of goods",
    "discount": "discounts (coupons, member prices)",
    "ad_spend": "ads (public domain)",
    "pond_acquisition": "pond acquisition (per member moved in)",
    "referral_rewards": "referral rewards",
    "gifts": "gifts and samples",
    "red_packets": "red packets",
    "points_redemption": "points redeemed (gift cost)",
    "content_production": "content production",
    "staff": "staff",
    "events": "events, groups and livestreams",
    "points_liability": "points outstanding (liability)",
    "cannibalised_discount": "discount paid on orders that would have happened anyway",
    "pond_gmv": "GMV of pond members",
    "chat_gmv": "GMV after a staff chat",
}


def points_value_cny_per_point(catalogue) -> float:
    """What one outstanding point may still cost the brand: the catalogue's highest
    ``cost_cny / points`` (prudent: any point can still go to the dearest gift per point)."""
    return max((g["cost_cny"] / g["points"] for g in catalogue), default=0.0)


class Ledger:
    """Postings summed per (day, account, source, channel), kept as float64 day arrays, in CNY
    of the real market: an amount that accrues per simulated customer (an order, a gift, a
    reward) is posted with ``per_customer=True`` and counted ``weight`` times, the real
    customers each simulated one stands for; a fixed amount (a budget, a salary) is posted as it is."""

    def __init__(self, days: int, weight: float = 1.0):
        self.days = days
        self.weight = float(weight)
        self._books: dict[tuple[str, str, str], np.ndarray] = {}
        self._matching: dict[tuple, list[np.ndarray]] = {}   # a query's books, until a new book opens
        self.recorded_through = -1   # the last day whose row is written: no posting to it or before

    def post(self, day: int, account: str, amount_cny: float, source: str = "", channel: str = "",
             per_customer: bool = False) -> None:
        if account not in ACCOUNTS:
            raise KeyError(f"unknown ledger account {account!r}; known: {', '.join(ACCOUNTS)}")
        if day <= self.recorded_through:
            raise ValueError(f"posting to day {day}, whose row is written already (day {self.recorded_through}): "
                             "post money on the day it happens")
        if amount_cny:
            amount = float(amount_cny) * self.weight if per_customer else float(amount_cny)
            book = self._books.get((account, source, channel))
            if book is None:
                book = self._books[(account, source, channel)] = np.zeros(self.days)
                self._matching = {}
            book[day] += amount

    def total(self, account: str | None = None, kind: str | None = None, day: int | None = None,
              source: str | None = None, channel: str | None = None) -> float:
        out = 0.0
        for arr in self._books_of(account, kind, source, channel):
            out += arr[day] if day is not None else arr.sum()
        return float(out)

    def _books_of(self, account, kind, source, channel) -> list[np.ndarray]:
        """The books a query adds up, in the order they opened."""
        query = (account, kind, source, channel)
        books = self._matching.get(query)
        if books is None:
            books = self._matching[query] = [
                arr for (acc, src, ch), arr in self._books.items()
                if ((account is None or acc == account) and (kind is None or ACCOUNTS[acc].startswith(kind))
                    and (source is None or src == source) and (channel is None or ch == channel))]
        return books

    def series(self, account: str | None = None, kind: str | None = None) -> np.ndarray:
        """``total(account, kind, day=d)`` for every day d at once: the same additions, day by day."""
        out = np.zeros(self.days)
        for arr in self._books_of(account, kind, None, None):
            out += arr
        return out

    def daily_money(self) -> dict[str, np.ndarray]:
        """The daily row's money columns, every day at once (each value as ``total``,
        ``gross_profit`` and ``net_profit`` give it for its day)."""
        gmv, cogs, discount = self.series("gmv"), self.series("cogs"), self.series("discount")
        marketing = self.series(kind="marketing")
        gross = gmv - cogs - discount
        return {"gmv_cny": gmv, "pond_gmv_cny": self.series("pond_gmv"), "discount_cny": discount, "cogs_cny": cogs,
                "ad_spend_cny": self.series("ad_spend"), "marketing_cost_cny": marketing,
                "gross_profit_cny": gross, "net_profit_cny": gross - marketing - self.series(kind="liability")}

    def gross_profit(self, day: int | None = None) -> float:
        """GMV - cost of goods - discounts (coupons and member prices), for ``day`` or the run."""
        return self.total("gmv", day=day) - self.total("cogs", day=day) - self.total("discount", day=day)

    def net_profit(self, day: int | None = None) -> float:
        """Gross profit - every marketing cost - liabilities (the points still owed): every cost
        a strategy causes. Liabilities accrue as they arise, so the days add up to the run."""
        return (self.gross_profit(day) - self.total(kind="marketing", day=day)
                - self.total(kind="liability", day=day))

    def frame(self) -> pd.DataFrame:
        """Long table: day, account, kind, source, channel, amount_cny (non-zero rows)."""
        rows = []
        for (acc, src, ch), arr in sorted(self._books.items()):
            nz = np.flatnonzero(arr)
            rows.append(pd.DataFrame({"day": nz, "account": acc, "kind": ACCOUNTS[acc], "source": src,
                                      "channel": ch, "amount_cny": arr[nz]}))
        if not rows:
            return pd.DataFrame(columns=["day", "account", "kind", "source", "channel", "amount_cny"])
        return pd.concat(rows, ignore_index=True).sort_values(["day", "account", "source", "channel"],
                                                             kind="stable", ignore_index=True)
