"""Summary metrics: sums over the ledger and the population at the end of the run.

Definitions (units in the names):
- gross_profit_cny = gmv_cny - cogs_cny - discount_cny
- marketing_cost_cny = every marketing account (ads, pond acquisition, staff, gifts, ...)
- points_liability_cny = points still outstanding at the end x the catalogue's highest cost per
  point (ledger.points_value_cny_per_point): accrued on the ledger as points are earned and
  released as they are spent, so each day's net profit already owes its points
- net_profit_cny = gross_profit_cny - marketing_cost_cny - points_liability_cny: every cost the
  strategy causes; it reconciles with ledger.csv (revenue - cost of goods - discount - marketing
  - liability; ``Ledger.net_profit``), and daily.csv's net_profit_cny adds up to it
- cost_ACCOUNT_cny = each marketing account on its own (the cost breakdown);
  discount_member_price_cny = discounts of policies that declare them member prices
  (``Policy.discount_is_member_price``), discount_coupons_cny = every other discount
- strategy_cost_cny = what the strategy costs: every yuan it gives or spends = discount_cny
  (coupons and member prices) + marketing_cost_cny (ads, pond acquisition, gifts, points redeemed,
  red packets, staff, content, events, referral rewards) + points_liability_cny (points owed);
  net_profit_cny = gmv_cny - cogs_cny - strategy_cost_cny
- roi = net_profit_cny / strategy_cost_cny  (net return per yuan the strategy costs)
- roas = gmv_cny / marketing_cost_cny
- cac_cny = acquisition cost (ads, pond acquisition, referral rewards) / new buyers
- clv_cny = mean gross profit of a new buyer in the clv_window_days after the first order:
  economics.clv_horizon_days, or the run if shorter (censored at the end for late buyers)
- repurchase_rate = new buyers who ordered again in the run / new buyers
- existing_repurchase_rate = customers who had bought before day 0 and ordered in the run / them
- churn_rate = customers who were buyers at some point of the run (before day 0 included) and
  are lost at its end / those customers, leaving out those already lost on day 0 (a twin's
  customers whose posterior says they had gone: the run did not lose them); churn_rate_new and
  churn_rate_existing split them

Money is in CNY of the real market (see ``Ledger``); counts are simulated customers, each of
whom stands for ``customers_per_simulated`` real ones (``market.represents / market.users``),
so per-customer ratios such as CAC divide money by counts times that weight.
"""

from __future__ import annotations

import numpy as np

from .ledger import ACCOUNTS
from .population import LOST, STAGES

MARKETING_ACCOUNTS = [a for a, kind in ACCOUNTS.items() if kind.startswith("marketing")]


def summarize(sim) -> dict:
    pop, ledger = sim.pop, sim.ledger
    gmv = ledger.total("gmv")
    cogs = ledger.total("cogs")
    discount = ledger.total("discount")
    acquisition = ledger.total(kind="marketing_acquisition")
    marketing = ledger.total(kind="marketing")
    liability = ledger.total(kind="liability")
    gross, net = ledger.gross_profit(), ledger.net_profit()
    member_price = sum(ledger.total("discount", source=p.name) for p in sim.policies if p.discount_is_member_price)
    c = _customer_counts(pop)
    n_buyers, n_new, n_repeat, n_existing = c["buyers"], c["new"], c["repeat"], c["existing"]
    weight = pop.weight
    clv_window = min(sim.econ["clv_horizon_days"], sim.days)
    out = {
        "users": sim.n,
        "represents": sim.scenario.data["market"]["represents"],
        "customers_per_simulated": weight,
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
        "net_profit_cny": net,
        "strategy_cost_cny": discount + marketing + liability,
        "roi": _ratio(net, discount + marketing + liability),
        "roas": _ratio(gmv, marketing),
        "cac_cny": _ratio(acquisition, n_new * weight),
        "clv_cny": c["clv_cny"],
        "clv_window_days": clv_window,
        "purchases": c["purchases"],
        "buyers": n_buyers,
        "new_buyers": n_new,
        "repeat_buyers": n_repeat,
        "repurchase_rate": _ratio(n_repeat, n_new),
        "existing_customers": n_existing,
        "existing_buyers": c["existing_buyers"],
        "existing_repurchase_rate": _ratio(c["existing_buyers"], n_existing),
        "churn_rate": _ratio(c["ever_lost"], c["ever"]),
        "churn_rate_new": _ratio(c["new_lost"], n_new),
        "churn_rate_existing": _ratio(c["existing_lost"], c["existing_alive"]),
        "pond_size_end": int(np.count_nonzero(pop.in_pond)),
        "left_pond_end": int(np.count_nonzero(pop.left_pond)),
        "pond_gmv_share": _ratio(ledger.total("pond_gmv"), gmv),
    }
    totals = {key: sum(row[key] for row in sim.rows) for key in
              ("messages_sent", "unsubscribes", "pond_joins", "coupons_redeemed", "bought_ahead")}
    out.update(totals)
    out.update({f"cost_{account}_cny": ledger.total(account) for account in MARKETING_ACCOUNTS})
    out["discount_coupons_cny"] = discount - member_price
    out["discount_member_price_cny"] = member_price
    out.update({f"{name}_end": int(c) for name, c in zip(STAGES, pop.counts())})
    return out


def _customer_counts(pop) -> dict:
    """The summary's counts of customers, from one-byte masks, a few alive at a time: this runs at
    the end of a run, on top of its state (customers lost before day 0 are left out of churn)."""
    def count(mask):
        return int(np.count_nonzero(mask))
    c = {"purchases": int(pop.orders.sum(dtype=np.int64) - pop.initial_orders.sum(dtype=np.int64))}
    lost = pop.stage == LOST
    new = pop.first_purchase_day >= 0     # first order inside the run (a seated base has negative days)
    c["new"] = count(new)
    c["repeat"] = count(new & (pop.orders >= 2))   # a new buyer had no orders before the run
    c["new_lost"] = count(new & lost)
    c["clv_cny"] = float(pop.margin_clv_cny[new].astype(np.float64).mean()) if c["new"] else float("nan")
    del new
    buyers = pop.orders > pop.initial_orders         # ordered in the run
    existing = pop.initial_orders > 0
    c["buyers"], c["existing"] = count(buyers), count(existing)
    c["existing_buyers"] = count(existing & buyers)
    del buyers
    existing[pop._lost_before] = False
    c["existing_alive"], c["existing_lost"] = count(existing), count(existing & lost)
    del existing
    ever = pop.orders > 0                 # buyers the run could still lose
    ever[pop._lost_before] = False
    c["ever"], c["ever_lost"] = count(ever), count(ever & lost)
    return c


def _ratio(a, b) -> float:
    return float(a) / float(b) if b else float("nan")
