"""Synthetic transaction logs from known BG/NBD parameters, independent of the engine.

Used by the tests (parameter recovery, holdout checks), the coverage benchmark and the
shipped example. A purchase s days (continuous model: rounded up to a whole day) after a
first purchase on day d is recorded on day d + s.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def simulate_repeat_buying(
    rng: np.random.Generator,
    first_days: np.ndarray,
    end_day: int,
    r: float,
    alpha: float,
    a: float,
    b: float,
    mean_log: float = 4.0,
    sd_log: float = 0.5,
    order_sd_log: float = 0.0,
    dropout_at_first_purchase: bool = False,
    time_model: str = "daily",
) -> pd.DataFrame:
    """Purchase occasions (customer_id, day, amount_cny) up to and including ``end_day``.

    Customer i first buys on ``first_days[i]``; afterwards lambda_i ~ Gamma(r, scale 1/alpha)
    per day, p_i ~ Beta(a, b), each purchase is followed by dropout with probability p_i (the
    first one too when ``dropout_at_first_purchase``). The basket value is a per-customer
    LogNormal(mean_log, sd_log) trait; ``order_sd_log`` > 0 adds order-to-order spread
    (mean-preserving). ``time_model="daily"``: on each day alive the customer buys with
    probability 1 - exp(-lambda_i); ``"continuous"``: a Poisson process, several purchases on
    one day becoming one occasion.
    """
    if time_model not in ("daily", "continuous"):
        raise ValueError(f"time_model must be 'daily' or 'continuous', not {time_model!r}")
    first_days = np.asarray(first_days, dtype=np.int64)
    n = first_days.size
    lam = rng.gamma(r, 1.0 / alpha, size=n)
    p = rng.beta(a, b, size=n)
    basket = np.exp(rng.normal(mean_log, sd_log, size=n))
    horizon = (end_day - first_days).astype(float)
    alive = np.ones(n, dtype=bool)
    if dropout_at_first_purchase:
        alive &= rng.random(n) >= p
    clock = np.zeros(n)
    ids, days = [np.arange(n)], [first_days.copy()]
    while alive.any():
        idx = np.flatnonzero(alive)
        if time_model == "daily":
            clock[idx] += rng.geometric(-np.expm1(-lam[idx]))
        else:
            clock[idx] += rng.exponential(1.0, size=idx.size) / lam[idx]
        within = clock[idx] <= horizon[idx]
        buyers = idx[within]
        ids.append(buyers)
        days.append(first_days[buyers] + np.ceil(clock[buyers]).astype(np.int64))
        alive[idx[~within]] = False
        drops = buyers[rng.random(buyers.size) < p[buyers]]
        alive[drops] = False
    cust = np.concatenate(ids)
    day = np.concatenate(days)
    amount = basket[cust]
    if order_sd_log > 0:
        amount = amount * np.exp(rng.normal(-order_sd_log**2 / 2, order_sd_log, size=cust.size))
    width = max(4, len(str(n)))
    frame = pd.DataFrame({
        "customer_id": np.char.add("C", np.char.zfill(cust.astype(str), width)),
        "day": day,
        "amount_cny": np.round(amount, 2),
    })
    frame = frame.groupby(["customer_id", "day"], as_index=False, sort=True)["amount_cny"].sum()
    return frame


def simulate_process(
    rng: np.random.Generator,
    first_days: np.ndarray,
    end_day: int,
    params: dict,
    dropout_at_first_purchase: bool = False,
    regularity: int = 1,
    mean_log: float = 4.0,
    sd_log: float = 0.5,
    seasonal_index=None,
    origin: str = "2024-01-01",
    new_buyer: tuple[float, float] | None = None,
) -> pd.DataFrame:
    """Purchase occasions from any continuous-time process the calibration can fit.

    ``params`` holds r, alpha (lambda ~ Gamma(r, scale 1/alpha) per day) and either a, b
    (dropout chance p ~ Beta(a, b) after each repeat purchase, and after the first when
    ``dropout_at_first_purchase``) or s, beta (Pareto/NBD: lifetime exponential with hazard
    mu ~ Gamma(s, scale 1/beta) per day). Gaps between purchases are Erlang-``regularity``
    with mean 1/lambda. A purchase at time c after the first (on day d) is recorded on day
    d + ceil(c); same-day purchases become one occasion. ``seasonal_index`` (12 monthly
    multipliers, day 0 = ``origin``) runs the purchase clock at speed s(month): purchases are
    drawn in operational time and mapped back to calendar days (BG family only); so does
    ``new_buyer`` = (boost, days), at speed 1 + boost exp(-t / days) at t days after the first
    purchase (simlib.calibrate.new_buyers)."""
    first_days = np.asarray(first_days, dtype=np.int64)
    n = first_days.size
    k = int(regularity)
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], size=n)
    basket = np.exp(rng.normal(mean_log, sd_log, size=n))
    horizon = (end_day - first_days).astype(float)
    to_calendar = _identity
    if seasonal_index is not None:
        horizon, to_calendar = _seasonal_clock(seasonal_index, origin, first_days, end_day)
    if new_buyer is not None:
        if seasonal_index is not None:
            raise ValueError("a new-buyer period and a seasonal index are not combined")
        horizon, to_calendar = _new_buyer_clock(*new_buyer, horizon)
    time_based = "s" in params
    if time_based and (seasonal_index is not None or new_buyer is not None):
        raise ValueError("a seasonal index or a new-buyer period runs the purchase clock of the BG family only, "
                         "not Pareto/NBD lifetimes")
    if time_based:
        lifetime = rng.exponential(1.0, size=n) / rng.gamma(params["s"], 1.0 / params["beta"], size=n)
        horizon = np.minimum(horizon, lifetime)
        p = np.zeros(n)
    else:
        p = rng.beta(params["a"], params["b"], size=n)
    alive = np.ones(n, dtype=bool)
    if dropout_at_first_purchase:
        alive &= rng.random(n) >= p
    clock = np.zeros(n)
    ids, days = [np.arange(n)], [first_days.copy()]
    while alive.any():
        idx = np.flatnonzero(alive)
        clock[idx] += rng.gamma(k, 1.0, size=idx.size) / (k * lam[idx])
        within = clock[idx] <= horizon[idx]
        buyers = idx[within]
        ids.append(buyers)
        elapsed = to_calendar(buyers, clock[buyers])
        days.append(first_days[buyers] + np.maximum(np.ceil(elapsed - 1e-9), 1).astype(np.int64))
        alive[idx[~within]] = False
        alive[buyers[rng.random(buyers.size) < p[buyers]]] = False
    cust = np.concatenate(ids)
    width = max(4, len(str(n)))
    frame = pd.DataFrame({
        "customer_id": np.char.add("C", np.char.zfill(cust.astype(str), width)),
        "day": np.concatenate(days),
        "amount_cny": np.round(basket[cust], 2),
    })
    return frame.groupby(["customer_id", "day"], as_index=False, sort=True)["amount_cny"].sum()


def _identity(_, elapsed):
    return elapsed


def _seasonal_clock(index, origin, first_days, end_day):
    """Operational horizons and the map from operational to calendar time under a monthly index."""
    days = np.arange(0, end_day + 2)
    months = (pd.Timestamp(origin) + pd.to_timedelta(days, unit="D")).month.to_numpy() - 1
    cumulative = np.concatenate([[0.0], np.cumsum(np.asarray(index, float)[months])])  # S at day starts
    grid = np.arange(cumulative.size, dtype=float)
    start = cumulative[first_days]
    horizon = cumulative[end_day] - start

    def to_calendar(rows, operational):
        return np.interp(start[rows] + operational, cumulative, grid) - first_days[rows]
    return horizon, to_calendar


def _new_buyer_clock(boost, days, horizon):
    """Operational horizons and the map back to days since the first purchase (tau inverted on
    a grid of 1/64 day)."""
    from simlib.calibrate.new_buyers import operational_days
    grid = np.arange(0.0, float(horizon.max()) + 1.0, 1 / 64)
    tau = operational_days(grid, boost, days)

    def to_calendar(_, operational):
        return np.interp(operational, tau, grid)
    return operational_days(horizon, boost, days), to_calendar
