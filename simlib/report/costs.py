"""Where the money goes: the margin at list price, then what the strategy costs line by line
(every yuan it gives or spends: discounts, marketing, points owed), then net profit, per arm.

    GMV - cost of goods = margin at list price
    what the strategy costs = coupon discounts + member-price discounts + every marketing account
                              (ads, pond acquisition, gifts, points redeemed, staff, content, ...)
                              + points owed at the end
    net profit = margin at list price - what the strategy costs

The same definitions as ``metrics.summarize`` (``strategy_cost_cny``, ``roi``); the report's
footnote states them.
"""

from __future__ import annotations

import pandas as pd

from ..ledger import ACCOUNT_NAMES
from ..metrics import MARKETING_ACCOUNTS

SUBTOTAL, REVENUE, COST, TOTAL = "subtotal", "revenue", "cost", "total"
MARGIN_KEY = "margin_cny"          # gmv - cogs, derived here (not a summary key)

# (summary key, label, role): a cost row is subtracted; a subtotal is the sum so far; the total
# sums the cost rows above it back to the margin (what the strategy costs)
LINES = ([("gmv_cny", "GMV (list value of orders)", REVENUE),
          ("cogs_cny", "cost of goods", COST),
          (MARGIN_KEY, "margin at list price", SUBTOTAL),
          ("discount_coupons_cny", "coupon discounts", COST),
          ("discount_member_price_cny", "member-price discounts (tiers)", COST)]
         + [(f"cost_{account}_cny", ACCOUNT_NAMES[account], COST) for account in MARKETING_ACCOUNTS]
         + [("points_liability_cny", "points owed (liability)", COST),
            ("strategy_cost_cny", "what the strategy costs: every yuan given or spent above", TOTAL),
            ("net_profit_cny", "net profit", SUBTOTAL)])


def cost_breakdown(summaries, arms=None, keep_zero: bool = False) -> pd.DataFrame:
    """Mean CNY per line (rows, in LINES order) and arm (columns).

    ``summaries`` is a run table (one row per run, an ``arm`` column, summary keys as columns)
    or a mapping arm -> summary dict. Cost lines that are zero in every arm are left out
    unless ``keep_zero``; the ``role`` column says revenue, cost, subtotal or total.
    """
    if isinstance(summaries, pd.DataFrame):
        means = summaries.groupby("arm", sort=False).mean(numeric_only=True)
    else:
        means = pd.DataFrame.from_dict({a: {k: v for k, v in s.items() if isinstance(v, (int, float))}
                                        for a, s in summaries.items()}, orient="index")
    if {"gmv_cny", "cogs_cny"} <= set(means.columns):
        means[MARGIN_KEY] = means["gmv_cny"] - means["cogs_cny"]
    if "strategy_cost_cny" not in means.columns and {"discount_cny", "marketing_cost_cny"} <= set(means.columns):
        # runs stored before the summary had it: the same definition
        means["strategy_cost_cny"] = (means["discount_cny"] + means["marketing_cost_cny"]
                                      + means.get("points_liability_cny", 0.0))
    arms = list(arms) if arms is not None else list(means.index)
    rows = []
    for key, label, role in LINES:
        if key not in means.columns:
            continue
        values = means.loc[arms, key].astype(float)
        if role == COST and key != "cogs_cny" and not keep_zero and (values.fillna(0) == 0).all():
            continue
        rows.append({"line": label, "key": key, "role": role, **values.to_dict()})
    return pd.DataFrame(rows, columns=["line", "key", "role", *arms]).set_index("line")


MARKS = {COST: "- ", SUBTOTAL: "= ", REVENUE: "  ", TOTAL: "  "}


def format_breakdown(table: pd.DataFrame, header: bool = True) -> str:
    """The breakdown as aligned text: '-' before costs, '=' before subtotals, CNY throughout."""
    arms = [c for c in table.columns if c not in ("key", "role")]
    width = max([len(a) for a in arms] + [12]) + 2
    labels = [MARKS[r["role"]] + (f"({line})" if r["role"] == TOTAL else line) for line, r in table.iterrows()]
    label_w = max([len(x) for x in labels] + [40]) + 2
    lines = [f"  {'CNY':<{label_w}}" + "".join(f"{a:>{width}}" for a in arms)] if header else []
    for label, (_, row) in zip(labels, table.iterrows()):
        lines.append(f"  {label:<{label_w}}" + "".join(f"{row[a]:>{width},.0f}" for a in arms))
    return "\n".join(lines)


def cost_differences(table: pd.DataFrame, reference: str, top: int = 3) -> dict[str, tuple[float, list]]:
    """arm -> (what it costs minus the reference's, [(line, difference)] of the largest lines)."""
    arms = [c for c in table.columns if c not in ("key", "role")]
    if reference not in arms or "strategy_cost_cny" not in set(table["key"]):
        return {}
    costs = table[table["role"] == COST].drop(index=[i for i in table.index if table.loc[i, "key"] == "cogs_cny"])
    total = table.loc[table["key"] == "strategy_cost_cny"].iloc[0]
    out = {}
    for arm in arms:
        if arm == reference:
            continue
        d = (costs[arm] - costs[reference]).astype(float)
        d = d[d.abs() >= 0.5].reindex(d.abs().sort_values(ascending=False).index).dropna()
        out[arm] = (float(total[arm] - total[reference]), [(line, float(v)) for line, v in d.head(top).items()])
    return out


def format_cost_differences(table: pd.DataFrame, reference: str) -> str:
    """'coupon_ladder costs +39,703 CNY more than pond: coupon discounts +39,688, ...' per arm."""
    lines = []
    for arm, (total, parts) in cost_differences(table, reference).items():
        more = "more" if total >= 0 else "less"
        detail = ", ".join(f"{line} {v:+,.0f}" for line, v in parts)
        lines.append(f"{arm} costs {abs(total):,.0f} CNY {more} than {reference}" + (f": {detail}" if detail else ""))
    return "\n".join(lines)
