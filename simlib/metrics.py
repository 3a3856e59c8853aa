"""Summary metrics: sums over the ledger and the population at the end of the run.

Definitions (units in the names):
- gross_profit_cny = gmv_cny - cogs_cny - discount_cny
- marketing_cost_cny = every marketing account (ads, pond acquisition, staff, gifts, ...)
- points_liability_cny = points still outstanding at the end x the catalogue's highest cost per
  point (ledger.points_value_cny_per_point), booked to the ledger on the last day
- net_profit_cny = gross_profit_cny - marketing_cost_cny - points_liability_cny: every cost the
  strategy causes; it reconciles with ledger.csv (revenue - cost of goods - discount - marketing
  - liability)
- cost_ACCOUNT_cny = each marketing account on its own (the cost breakdown);
  discount_member_price_cny = member-tier prices, discount_coupons_cny = every other discount
- roi = (gross_profit_cny - marketing_cost_cny) / marketing_cost_cny  (net return per yuan)
- roas = gmv_cny / marketing_cost_cny
- cac_cny = acquisition cost (ads, pond acquisition, referral rewards) / new buyers
- clv_365_cny = mean gross profit of a new buyer in the 365 days after the first order
  (censored at the end of the run for late buyers)
- repurchase_rate = repeat buyers / buyers; churn_rate = ever-buyers lost by the end / ever-buyers
"""

from __future__ import annotations

import numpy as np

from .ledger import ACCOUNTS
from .population import LOST, NEVER, STAGES

MARKETING_ACCOUNTS = [a for a, kind in ACCOUNTS.items() if kind.startswith("marketing")]
MEMBER_PRICE_POLICY_TYPES = ("member_tiers",)  # their discounts are member prices, not coupons


def summarize(sim) -> dict:
    pop, ledger = sim.pop, sim.ledger
    gmv = ledger.total("gmv")
    cogs = ledger.total("cogs")
    discount = ledger.total("discount")
    acquisition = ledger.total(kind="marketing_acquisition")
    marketing = ledger.total(kind="marketing")
    liability = ledger.total(kind="liability")
    gross = gmv - cogs - discount
    member_price = sum(ledger.total("discount", source=p.name) for p in sim.policies
                       if p.type_name in MEMBER_PRICE_POLICY_TYPES)
    run_orders = pop.orders - pop.initial_orders
    buyers = run_orders > 0
    new_buyers = pop.first_purchase_day != NEVER
    ever = pop.orders > 0
    n_buyers = int(np.count_nonzero(buyers))
    n_new = int(np.count_nonzero(new_buyers))
    n_repeat = int(np.count_nonzero(buyers & (pop.orders >= 2)))
    n_ever = int(np.count_nonzero(ever))
    out = {
        "users": sim.n,
        "days": sim.days,
        "seed": sim.seed,
        "gmv_cny": gmv,
        "revenue_cny": gmv - discount,
        "cogs_cny": cogs,
        "discount_cny": discount,
        "gross_profit_cny": gross,
        "ad_spend_cny": ledger.total("ad_spend"),
        "acquisition_cost_cny": acquisition,
        "marketing_cost_cny": marketing,
        "points_liability_cny": liability,
        "net_profit_cny": gross - marketing - liability,
        "roi": _ratio(gross - marketing, marketing),
        "roas": _ratio(gmv, marketing),
        "cac_cny": _ratio(acquisition, n_new),
        "clv_365_cny": float(pop.margin_365_cny[new_buyers].astype(np.float64).mean()) if n_new else float("nan"),
        "purchases": int(run_orders.sum()),
        "buyers": n_buyers,
        "new_buyers": n_new,
        "repeat_buyers": n_repeat,
        "repurchase_rate": _ratio(n_repeat, n_buyers),
        "churn_rate": _ratio(int(np.count_nonzero(ever & (pop.stage == LOST))), n_ever),
        "pond_size_end": int(np.count_nonzero(pop.in_pond)),
    }
    totals = {key: sum(row[key] for row in sim.rows) for key in
              ("messages_sent", "unsubscribes", "pond_joins", "coupons_redeemed")}
    out.update(totals)
    out.update({f"cost_{account}_cny": ledger.total(account) for account in MARKETING_ACCOUNTS})
    out["discount_coupons_cny"] = discount - member_price
    out["discount_member_price_cny"] = member_price
    out.update({f"{name}_end": int(c) for name, c in zip(STAGES, pop.counts())})
    return out


def _ratio(a, b) -> float:
    return float(a) / float(b) if b else float("nan")
