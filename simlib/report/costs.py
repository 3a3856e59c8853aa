"""Where the money goes: the ledger accounts side by side per arm, from GMV down to net profit."""

from __future__ import annotations

import pandas as pd

from ..ledger import ACCOUNT_NAMES
from ..metrics import MARKETING_ACCOUNTS

SUBTOTAL, REVENUE, COST = "subtotal", "revenue", "cost"

# (summary key, label, role); a cost row is subtracted, a subtotal row is the sum so far
LINES = ([("gmv_cny", "GMV (list value of orders)", REVENUE),
          ("cogs_cny", "cost of goods", COST),
          ("discount_coupons_cny", "coupon discounts", COST),
          ("discount_member_price_cny", "member-price discounts (tiers)", COST),
          ("gross_profit_cny", "gross profit", SUBTOTAL)]
         + [(f"cost_{account}_cny", ACCOUNT_NAMES[account], COST) for account in MARKETING_ACCOUNTS]
         + [("points_liability_cny", ACCOUNT_NAMES["points_liability"], COST),
            ("net_profit_cny", "net profit", SUBTOTAL)])


def cost_breakdown(summaries, arms=None, keep_zero: bool = False) -> pd.DataFrame:
    """Mean CNY per line (rows, in LINES order) and arm (columns).

    ``summaries`` is a run table (one row per run, an ``arm`` column, summary keys as columns)
    or a mapping arm -> summary dict. Cost lines that are zero in every arm are left out
    unless ``keep_zero``; the ``role`` column says revenue, cost or subtotal.
    """
    if isinstance(summaries, pd.DataFrame):
        means = summaries.groupby("arm", sort=False).mean(numeric_only=True)
    else:
        means = pd.DataFrame.from_dict({a: {k: v for k, v in s.items() if isinstance(v, (int, float))}
                                        for a, s in summaries.items()}, orient="index")
    arms = list(arms) if arms is not None else list(means.index)
    rows = []
    for key, label, role in LINES:
        if key not in means.columns:
            continue
        values = means.loc[arms, key].astype(float)
        if role == COST and not keep_zero and (values.fillna(0) == 0).all():
            continue
        rows.append({"line": label, "key": key, "role": role, **values.to_dict()})
    return pd.DataFrame(rows, columns=["line", "key", "role", *arms]).set_index("line")


def format_breakdown(table: pd.DataFrame, header: bool = True) -> str:
    """The breakdown as aligned text: '-' before costs, '=' before subtotals, CNY throughout."""
    arms = [c for c in table.columns if c not in ("key", "role")]
    width = max([len(a) for a in arms] + [12]) + 2
    lines = [f"  {'CNY':<40}" + "".join(f"{a:>{width}}" for a in arms)] if header else []
    for label, row in table.iterrows():
        mark = {"cost": "- ", "subtotal": "= ", "revenue": "  "}[row["role"]]
        lines.append(f"  {mark + label:<40}" + "".join(f"{row[a]:>{width},.0f}" for a in arms))
    return "\n".join(lines)
