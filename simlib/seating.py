"""An existing base seated from a customer file (``market.customers``, e.g. a twin's customers.csv).

Each row is a real customer: their orders before day 0, the days of their first and last order
(relative to day 0, so negative), their spend, their channel and whether they are in the pond;
a row with no orders is a prospect (someone in the market who has not bought yet: interested
when in the pond, aware otherwise). With ``market.users`` smaller than the file, every channel
keeps a systematic sample of its rows in history order (orders, last order, first order), so
the sample is stratified by history and each simulated customer stands for the same number of
real ones (``market.represents``).

A buyer's latent state is drawn from the purchase process's posterior given their history
(simlib.calibrate.processes.posterior): alive or not, their purchase rate, their chance of
leaving after an order or their lifetime hazard, and for Erlang-k buyers the phases of the
next gap already done. The process is the one the scenario's traits describe: a Gamma purchase
rate with a Beta dropout after orders (BG/NBD, MBG/NBD with behavior.dropout_at_first_purchase,
MBG/CNBD-k with behavior.purchase_regularity k) or a Gamma lifetime hazard (Pareto/NBD), on the
scenario's purchase clock (behavior.new_buyer_boost, or behavior.seasonal_index). Their basket
is drawn from the log-normal spend model's posterior given their own orders (shrunk towards the
market's mean as much as their few orders warrant). Every draw is keyed by (seed, decision,
customer), so a customer is the same in every arm of a comparison.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from .apportion import apportion
from .customer_file import CustomerFile, read_customer_file
from .errors import UserError
from .population import AWARE, INTERESTED, LOST, LOYAL, PURCHASED


@dataclass
class SeatedBase:
    """The rows of a customer file chosen for one replication's block, in block order."""

    file: CustomerFile
    rows: np.ndarray            # row of the file for each customer of the block
    channel_size: np.ndarray    # customers per channel in the block

    @classmethod
    def choose(cls, market: dict, block: int) -> "SeatedBase":
        """Read the file and choose ``block`` rows, channel by channel (market.channels order)."""
        file = read_customer_file(market["customers"], list(market["channels"]))
        if block > file.n:
            raise UserError(f"market.users {block:,}: {file.source} holds {file.n:,} customers (prospects included); "
                            f"allowed: 1 to {file.n:,} simulated customers (each stands for one real customer, or "
                            "for several when fewer)")
        file.check_shares(market["channels"])
        counts = file.channel_counts(len(market["channels"]))
        size = apportion(counts.astype(float), block)
        rows = []
        for c, m in enumerate(size):
            mine = file.history_order(c)
            positions = np.floor((np.arange(m) + 0.5) * mine.size / max(m, 1)).astype(np.int64)
            rows.append(mine[positions])
        return cls(file, np.concatenate(rows) if rows else np.zeros(0, np.int64), size)

    @property
    def customer_id(self) -> np.ndarray:
        return self.file.customer_id[self.rows]

    def seat(self, pop, traits: dict, behavior: dict, market: dict, rng) -> None:
        """Write the chosen customers' state and posterior draws into ``pop`` (every replication's
        block holds the same customers; the draws differ with each replication's seed)."""
        f, reps = self.file, pop.reps
        rows = np.tile(self.rows, reps)
        idx = np.arange(pop.n, dtype=np.int64)
        orders = f.orders[rows]
        buyer = orders > 0
        pop.in_pond[:] = f.in_pond[rows]
        pop.stage[:] = np.where(pop.in_pond, INTERESTED, AWARE)
        pop.initial_orders[:] = orders
        pop.orders[:] = orders
        b = np.flatnonzero(buyer)
        if not b.size:
            return
        first, last = f.first_order_day[rows[b]], f.last_order_day[rows[b]]
        pop.first_purchase_day[b] = first
        pop.last_purchase_day[b] = last
        from .calibrate.processes.posterior import draw_latent
        process, params, k = purchase_process(traits, behavior)
        h = purchase_clock_histories(orders[b] - 1, last - first, -1 - first, first, behavior, market)
        keys = {name: rng.uniform(f"seat:{name}", -1, idx[b]) for name in ("alive", "rate", "dropout", "phase")}
        latent = draw_latent(process, params, h, k, keys)
        pop.purchase_rate_per_day[b] = latent.rate_per_day
        pop.dropout_after_purchase[b] = latent.dropout
        pop.lifetime_hazard_per_day[b] = latent.lifetime_hazard_per_day
        pop.stage[b] = np.where(~latent.alive, LOST, np.where(orders[b] >= 2, LOYAL, PURCHASED))
        self._phases = (b, latent.phases_done)
        basket = posterior_basket(traits["basket_value_cny"], behavior.get("order_value_sd_log", 0.0),
                                  f.spend_orders[rows[b]], f.mean_log_spend[rows[b]],
                                  rng.uniform("seat:basket", -1, idx[b]))
        if basket is not None:
            pop.basket_value_cny[b] = basket

    def wind_clocks(self, pop, rng) -> None:
        """Erlang-k buyers who are part-way through their next gap: only the k - j phases not yet
        done remain on their purchase clock (keyed as ``Keyed.erlang_nth`` keys the whole gap)."""
        b, done = getattr(self, "_phases", (None, None))
        k = pop.regularity
        if b is None or k == 1:
            return
        nth = pop.orders[b].astype(np.int64) * k
        clock = np.zeros(b.size)
        for phase in range(k):
            clock += np.where(phase >= done, rng.exponential_nth("purchase_clock", b, nth + phase), 0.0)
        alive = pop.stage[b] != LOST
        pop.purchase_clock[b[alive]] = clock[alive]


def purchase_process(traits: dict, behavior: dict):
    """(Process, parameter tuple, regularity k) that the scenario's traits describe."""
    from .calibrate.processes import get_process
    rate, dropout, lifetime = (traits[k] for k in ("purchase_rate_per_day", "dropout_after_purchase",
                                                   "lifetime_hazard_per_day"))
    allowed = ("allowed: traits.purchase_rate_per_day a gamma, with either traits.dropout_after_purchase a beta "
               "and traits.lifetime_hazard_per_day constant 0 (BG/NBD, MBG/NBD, MBG/CNBD-k) or "
               "dropout_after_purchase constant 0 and lifetime_hazard_per_day a gamma (Pareto/NBD), as "
               "`simlib twin` and `simlib calibrate transactions` write them")
    none = {"dist": "constant", "value": 0.0}
    if rate["dist"] != "gamma":
        raise UserError(f"market.customers: a customer's purchase rate given their history needs a gamma purchase rate, "
                        f"not {rate['dist']}; {allowed}")
    k = int(behavior.get("purchase_regularity", 1))
    if dropout["dist"] == "beta" and lifetime == none:
        name = "cnbd" if k > 1 else "mbgnbd" if behavior.get("dropout_at_first_purchase") else "bgnbd"
        if k > 1 and not behavior.get("dropout_at_first_purchase"):
            raise UserError("market.customers with behavior.purchase_regularity > 1 needs "
                            "behavior.dropout_at_first_purchase: true (MBG/CNBD-k, as the calibration fits it)")
        params = (rate["shape"], 1.0 / rate["scale"], dropout["a"], dropout["b"])
    elif dropout == none and lifetime["dist"] == "gamma":
        if k > 1:
            raise UserError("market.customers: Erlang-k buying (behavior.purchase_regularity > 1) with a lifetime in "
                            "time is not a fitted process; " + allowed)
        name, params = "pnbd", (rate["shape"], 1.0 / rate["scale"], lifetime["shape"], 1.0 / lifetime["scale"])
    else:
        raise UserError(f"market.customers: the traits describe no purchase process the posterior is known for "
                        f"(dropout_after_purchase {dropout['dist']}, lifetime_hazard_per_day {lifetime['dist']}); "
                        + allowed)
    return get_process(name), params, k


def purchase_clock_histories(x, t_x, T, first_day, behavior: dict, market: dict):
    """Histories on the process's clock: calendar days, or operational days under a new-buyer
    period (tenure-based) or a seasonal index (month-based, from market.start_date)."""
    from .calibrate.processes.base import Histories
    x, t_x, T = (np.asarray(v, float) for v in (x, t_x, T))
    boost, index = behavior.get("new_buyer_boost", 0.0), behavior.get("seasonal_index")
    if boost and index is not None:
        raise UserError("market.customers with both behavior.new_buyer_boost and behavior.seasonal_index: a "
                        "customer's history is read on one purchase clock; allowed: one of them (the calibration "
                        "fits one)")
    if boost:
        from .calibrate.new_buyers import operational_days
        days = behavior["new_buyer_boost_days"]
        return Histories.of(x, operational_days(t_x, boost, days), operational_days(T, boost, days))
    if index is not None:
        import pandas as pd

        from .calibrate.seasonal import Calendar
        first_day = np.asarray(first_day, np.int64)
        calendar = Calendar.of(pd.Timestamp(market["start_date"]), int(first_day.min()), 0)
        between = calendar.between
        values = np.asarray(index, float)
        return Histories.of(x, between(first_day, first_day + t_x.astype(np.int64)) @ values,
                            between(first_day, first_day + T.astype(np.int64)) @ values)
    return Histories.of(x, t_x, T)


def posterior_basket(basket: dict, sd_within: float, spend_orders, mean_log_spend, u):
    """Each customer's mean order value from the log-normal spend model given their own orders
    (simlib.calibrate.spend): log order = theta_i + e, e ~ N(0, sd_within^2), theta_i ~
    N(mu, sd_between^2), with basket_value_cny ~ LogNormal(mu + sd_within^2 / 2, sd_between)
    the engine's prior. theta_i | n_i orders of mean log m_i is normal with precision
    1/sd_between^2 + n_i/sd_within^2; the basket is exp(theta_i + sd_within^2 / 2). None when the
    basket is not log-normal (the scenario's own distribution is kept)."""
    if basket["dist"] != "lognormal":
        return None
    sd_b, sd_w = float(basket["sd_log"]), float(sd_within)
    mu = basket["mean_log"] - sd_w**2 / 2
    n = np.asarray(spend_orders, float)
    m = np.where(n > 0, np.asarray(mean_log_spend, float), mu)
    if sd_w == 0.0:
        mean, sd = np.where(n > 0, m, mu), np.where(n > 0, 0.0, sd_b)
    elif sd_b == 0.0:
        mean, sd = np.full(n.shape, mu), np.zeros(n.shape)
    else:
        precision = 1.0 / sd_b**2 + n / sd_w**2
        mean = (mu / sd_b**2 + n * m / sd_w**2) / precision
        sd = 1.0 / np.sqrt(precision)
    return np.exp(mean + sd * special.ndtri(u) + sd_w**2 / 2)
