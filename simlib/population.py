"""The market: N potential customers as a struct of numpy arrays, fixed at the start.

Customer i's traits are drawn by inverse CDF from keyed uniforms that depend only on
(seed, trait, i): customer i is the same person in every run of a scenario and seed,
whatever the strategy, and also when only ``users`` changes.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import namedtuple

import numpy as np
from scipy import special

from .apportion import apportion
from .days import NEVER
from .errors import ScenarioError, short_repr
from .params import Param, check_keys, resolve
from .rng import Keyed
from .sparse_state import SparseColumn, SparseState

STAGES = ("unaware", "aware", "interested", "purchased", "loyal", "dormant", "lost")
UNAWARE, AWARE, INTERESTED, PURCHASED, LOYAL, DORMANT, LOST = range(7)
MAX_DAYS_SINCE_ORDER = 30_000   # an existing buyer's last order is at most this long before day 0
COUNT = np.uint16               # a customer's orders and stage moves (docs/architecture.md: the precision budget)
COUNT_CAP = int(np.iinfo(COUNT).max)   # the population step stops with an error before a count passes it

MARKET_PARAMS = {
    "users": Param(10_000, "potential customers in the market (N), fixed for the run",
                   "customers", int, low=1, high=50_000_000, basis="business"),
    "days": Param(365, "length of the run", "days", int, low=1, high=20_000, basis="business"),
    "channels": Param({"douyin": {"share": 0.6, "word_of_mouth": 1.0},
                       "taobao_search": {"share": 0.4, "word_of_mouth": 0.5}},
                      "public channels: share of the market reachable on each (shares sum to 1) "
                      "and how strongly word of mouth travels on it (multiplier)", "", dict, basis="business"),
    "initial_stage": Param({}, "share of the market in each stage on day 0; the rest is unaware",
                           "share", dict, basis="business"),
    "initial_in_pond": Param(0.0, "share of customers already in the pond (aware or later) on day 0",
                             "share", float, 0.0, 1.0, basis="business"),
    "initial_trust": Param(0.0, "trust of every customer on day 0", "0-1", float, 0.0, 1.0,
                           basis="assumption", plausible=(0.0, 0.5),
                           source="assumption: trust cannot be observed; 0 for a market that does not know the brand "
                                  "yet, higher for an existing base"),
    "initial_days_since_order": Param({"dist": "constant", "value": 0.0}, "days between the last order before the run "
                                      "and day 0, for customers who start as buyers (purchased, loyal, dormant): a "
                                      "distribution, e.g. {dist: uniform, low: 0, high: 180} or {dist: gamma, shape: 1.5, "
                                      "scale: 40} (draws past 30,000 days count as 30,000)", "days", dict,
                                      basis="business"),
    "start_date": Param(None, "calendar date of day 0 (YYYY-MM-DD); needed by behavior.seasonal_index", "", str,
                        nullable=True, basis="business"),
    "customers": Param(None, "a customer file of an existing base (a twin's customers.csv): one row per real customer "
                             "with their orders, first and last order day, spend, channel and pond membership "
                             "(simlib.customer_file). In a scenario file: a path relative to the file, inside its folder",
                       "", str, nullable=True,
                       source="written by simlib twin from the team's order log", basis="business"),
    "represents": Param(None, "real customers the simulated market stands for (null: market.users as the scenario "
                              "states it). Each simulated customer stands for represents / users real ones, so "
                              "budgets, staff, group sizes and money stay per real customer and a smaller --users "
                              "changes the precision, not the answer", "customers", int, low=1, high=10_000_000_000,
                        nullable=True, basis="business"),
}
CHANNEL_PARAMS = {
    "share": Param(1.0, "share of the market reachable on this channel", "share", float, 0.0, 1.0, basis="business"),
    "word_of_mouth": Param(1.0, "multiplier on word of mouth on this channel", "x", float, 0.0,
                           basis="assumption", plausible=(0.5, 2.0),
                           source="assumption: docs/domain.md describes Douyin's community as weak and Kuaishou's as "
                                  "strong, without a figure"),
}

# per-customer multipliers (gamma, mean 1) -> the behavior key giving their coefficient of variation
SPREADS = {"ad_exposure": "ad_exposure_cv", "interest_propensity": "interest_cv",
           "first_purchase_propensity": "first_purchase_cv"}

# dist name -> its parameters and their bounds
DISTRIBUTIONS = {
    "constant": {"value": Param(0.0, "the value", kind=float)},
    "uniform": {"low": Param(0.0, "lower bound"), "high": Param(1.0, "upper bound")},
    "gamma": {"shape": Param(1.0, "shape k", low=1e-9), "scale": Param(1.0, "scale theta", low=1e-12)},
    "beta": {"a": Param(1.0, "alpha", low=1e-9), "b": Param(1.0, "beta", low=1e-9)},
    "lognormal": {"mean_log": Param(0.0, "mean of log"), "sd_log": Param(1.0, "sd of log", low=0.0)},
}
# trait -> (default distribution, unit, doc, lower bound, upper bound of the values)
TRAITS = {
    "purchase_rate_per_day": ({"dist": "gamma", "shape": 0.8, "scale": 0.04}, "purchases per day",
                              "purchase rate while active, lambda (BG/NBD: Gamma(r, 1/alpha))", 0, None),
    "lifetime_hazard_per_day": ({"dist": "gamma", "shape": 1.0, "scale": 0.0015}, "per day",
                                "hazard of being lost to the brand once a buyer, before the relationship, mu "
                                "(Pareto/NBD: Gamma(s, 1/beta))", 0, None),
    "dropout_after_purchase": ({"dist": "constant", "value": 0.0}, "probability",
                               "chance of leaving for good after each repeat purchase (each order with "
                               "behavior.dropout_at_first_purchase), p (BG/NBD: Beta(a, b))", 0, 1),
    "basket_value_cny": ({"dist": "lognormal", "mean_log": 4.4, "sd_log": 0.5}, "CNY",
                         "list value of one order", 0, None),
    "price_sensitivity": ({"dist": "beta", "a": 2.0, "b": 2.0}, "0-1",
                          "how much a discount lifts purchase hazards", 0, None),
    "content_affinity": ({"dist": "beta", "a": 2.0, "b": 3.0}, "0-1",
                         "how useful the customer finds content", 0, 1),
    "social_susceptibility": ({"dist": "gamma", "shape": 4.0, "scale": 0.25}, "x (mean 1)",
                              "multiplier on social proof and word of mouth", 0, None),
    "message_tolerance_per_week": ({"dist": "gamma", "shape": 2.0, "scale": 3.0}, "messages per week",
                                   "messages a week the customer takes without tiring (default: mean 6; fits the "
                                   "share of app users who would switch notifications off at 1, <=5 and <=10 a week, "
                                   "Localytics 2017; docs/evidence.md s7)", 0, None),
}


# The per-customer arrays the compiled population step reads and writes (behavior.customer_hazards,
# customer_day): the state, every trait, the per-customer spreads (``SPREADS``; none when switched off)
# and the held coupon (``coupon_*``: ``Coupons``' arrays: per customer its depth, kind and expiry,
# then the table of kinds).
STATE_ARRAYS = ("stage", "channel", "in_pond", "left_pond", "trust", "fatigue", "last_useful_day", "reference_price",
                "orders", "first_purchase_day", "last_purchase_day", "margin_clv_cny", "moves", "stage_clock",
                "purchase_clock", "pond_clock", "stock_until")
COUPON_ARRAYS = ("depth", "kind", "expiry", "kind_off_share", "kind_off_cny", "kind_min_spend_cny", "kind_source")
CustomerArrays = namedtuple("CustomerArrays", STATE_ARRAYS + tuple(TRAITS) + tuple(SPREADS)
                            + tuple(f"coupon_{k}" for k in COUPON_ARRAYS))
# traits the compiled step reads through ``trait_value``: when the scenario makes one constant, the
# population holds its one value (a read-only broadcast for Python, one entry for the compiled step)
ONE_VALUE_TRAITS = ("dropout_after_purchase",)
NO_SPREAD = np.zeros(0, np.float32)   # a spread switched off (its cv 0): the compiled code sees no entries


def resolve_market(given, source: str) -> dict:
    market = resolve(MARKET_PARAMS, given, source, "market")
    channels = market["channels"]
    if not isinstance(channels, dict) or not channels:
        raise ScenarioError(source, "market.channels", "needs at least one channel: {name: {share, word_of_mouth}}")
    if len(channels) > 100:
        raise ScenarioError(source, "market.channels", "at most 100 channels")
    market["channels"] = {str(name): resolve(CHANNEL_PARAMS, spec, source, f"market.channels.{name}")
                          for name, spec in channels.items()}
    total = sum(c["share"] for c in market["channels"].values())
    if abs(total - 1.0) > 1e-6:
        raise ScenarioError(source, "market.channels", f"shares must sum to 1, they sum to {total:g}")
    since = resolve_distribution(market["initial_days_since_order"], source, "market.initial_days_since_order", 0)
    if np.isfinite(_support(since)[1]) and _support(since)[1] > MAX_DAYS_SINCE_ORDER:
        raise ScenarioError(source, "market.initial_days_since_order", f"values must lie in [0, {MAX_DAYS_SINCE_ORDER}]; "
                                                                       f"this {since['dist']} reaches {_support(since)[1]:g}")
    market["initial_days_since_order"] = since   # a gamma or log-normal may reach past the cap: cut there
    if market["represents"] is None:
        market["represents"] = market["users"]
    if market["start_date"] is not None:
        try:
            dt.date.fromisoformat(market["start_date"])
        except ValueError:
            raise ScenarioError(source, "market.start_date",
                                f"expected a date YYYY-MM-DD, got {short_repr(market['start_date'])}") from None
    initial = market["initial_stage"]
    check_keys(initial, STAGES[1:], source, "market.initial_stage")
    spec = Param(0.0, "", kind=float, low=0.0, high=1.0)
    market["initial_stage"] = {k: spec.check(v, source, f"market.initial_stage.{k}") for k, v in initial.items()}
    total = sum(market["initial_stage"].values())
    if total > 1 + 1e-9:
        shares = ", ".join(f"{k} {v:g}" for k, v in market["initial_stage"].items())
        others = [k for k, v in market["initial_stage"].items() if v > 0][:1]
        raise ScenarioError(source, "market.initial_stage", f"shares must sum to at most 1; they sum to {total:g} "
                            f"({shares}). An override merges into the scenario's shares: set the ones you do not "
                            "want to 0" + (f", e.g. --set market.initial_stage.{others[0]}=0" if others else ""))
    if market["customers"] is not None:
        from .customer_file import check_market
        check_market(market, source)
    return market


def resolve_distribution(given, source: str, path: str, low=None, high=None) -> dict:
    if not isinstance(given, dict) or "dist" not in given:
        raise ScenarioError(source, path, "expected a distribution such as {dist: gamma, shape: 2, scale: 0.5}; "
                                          "dist is one of " + ", ".join(DISTRIBUTIONS))
    name = given["dist"]
    if not isinstance(name, str) or name not in DISTRIBUTIONS:
        from .errors import did_you_mean
        raise ScenarioError(source, f"{path}.dist", f"unknown distribution {name!r}." + did_you_mean(name, DISTRIBUTIONS)
                            + " Allowed: " + ", ".join(DISTRIBUTIONS))
    schema = DISTRIBUTIONS[name]
    # another family's keys are what a merge over a distribution of that family leaves behind: ignored;
    # any other key is a typo ('vaule'), reported as unknown with a did-you-mean before anything is "missing"
    others = {k for spec in DISTRIBUTIONS.values() for k in spec} - set(schema)
    rest = {k: v for k, v in given.items() if k != "dist" and k not in others}
    check_keys(rest, schema, source, path)
    missing = [k for k in schema if k not in rest]
    if missing:
        raise ScenarioError(source, path, f"{name} needs " + ", ".join(schema) + f"; missing {', '.join(missing)}")
    out = {"dist": name, **resolve(schema, rest, source, path)}
    lo, hi = _support(out)
    if (low is not None and lo < low) or (high is not None and hi > high):
        raise ScenarioError(source, path, f"values must lie in [{low}, {high if high is not None else 'inf'}]; "
                                          f"this {name} gives [{lo:g}, {hi:g}]")
    if name == "uniform" and out["high"] < out["low"]:
        raise ScenarioError(source, f"{path}.high", "must be >= low")
    return out


def _support(d):
    n = d["dist"]
    if n == "constant":
        return d["value"], d["value"]
    if n == "uniform":
        return d["low"], d["high"]
    if n == "beta":
        return 0.0, 1.0
    return 0.0, float("inf")


def resolve_traits(given, source: str) -> dict:
    given = {} if given is None else given
    check_keys(given, TRAITS, source, "traits")
    out = {}
    for name, (default, _unit, _doc, lo, hi) in TRAITS.items():
        spec = given.get(name, default)
        if isinstance(spec, dict) and "dist" not in spec:  # e.g. only {a: 4}: adjust the default distribution
            spec = {**default, **spec}
        out[name] = resolve_distribution(spec, source, f"traits.{name}", lo, hi)
    return out


_Z_GRID = np.linspace(-8.5, 8.5, 1 << 14)  # normal scores; uniforms of 53 bits stay inside


def _interp_on_grid(z: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Linear interpolation of ``values`` given on the evenly spaced ``_Z_GRID`` (no search)."""
    step = _Z_GRID[1] - _Z_GRID[0]
    pos = np.clip((z - _Z_GRID[0]) / step, 0, _Z_GRID.size - 1.000001)
    i = pos.astype(np.intp)
    w = pos - i
    return values[i] * (1 - w) + values[i + 1] * w


def draw(dist: dict, u: np.ndarray) -> np.ndarray:
    """Inverse-CDF draws from uniforms ``u`` in (0, 1): monotone in u, so customer i keeps
    their quantile whatever the distribution's parameters (CRN across parameter values).

    Gamma and beta quantiles are computed exactly on a fine grid of normal scores and
    interpolated (relative error ~1e-6), which is ~100x faster than ``gammaincinv`` per draw.
    """
    n = dist["dist"]
    if n == "constant":
        return np.full(u.shape, dist["value"])
    if n == "uniform":
        return dist["low"] + (dist["high"] - dist["low"]) * u
    z = special.ndtri(u)
    if n == "lognormal":
        return np.exp(dist["mean_log"] + dist["sd_log"] * z)
    if n == "gamma":
        return np.exp(_interp_on_grid(z, _grid_quantiles("gamma", float(dist["shape"])))) * dist["scale"]
    if n == "beta":
        return np.clip(_interp_on_grid(z, _grid_quantiles("beta", float(dist["a"]), float(dist["b"]))), 0.0, 1.0)
    raise AssertionError(n)


@functools.lru_cache(maxsize=256)
def _grid_quantiles(kind: str, *shape: float) -> np.ndarray:
    """The gamma's log quantiles (unit scale) or the beta's quantiles at ``_Z_GRID``'s normal
    scores, read-only. Kept per process: 5-15 ms a distribution whatever the market's size,
    and every batch, arm and what-if redraw of a process draws the same traits."""
    grid_u = special.ndtr(_Z_GRID)
    if kind == "gamma":
        with np.errstate(divide="ignore"):
            out = np.maximum(np.log(special.gammaincinv(shape[0], grid_u)), -700.0)
    else:
        out = special.betaincinv(shape[0], shape[1], grid_u)
    out.setflags(write=False)
    return out


class Population:
    """Struct of arrays, one entry per customer. Small dtypes; no object per customer.

    A population may hold several replications of the same market (``reps``), one block of
    ``block`` customers each, laid out one after the other: the population step then runs over
    all of them at once, and each replication's policies see their own block through a
    ``PopulationView`` (``view(r)``), as if it were a population of its own."""

    def __init__(self, market: dict, traits: dict, users: int, rng: Keyed, behavior: dict | None = None,
                 reps: int = 1, chunk: int = 1 << 20, seated=None):
        """``seated``: the customers of a customer file chosen for the block (simlib.seating.SeatedBase)
        when the market has one (``market.customers``); they replace the drawn initial state."""
        block = self.block = int(users)
        self.reps = int(reps)
        n = self.n = block * self.reps
        self.weight = float(market.get("represents") or block) / block   # real customers per simulated one
        self.channel_names = list(market["channels"])
        idx = np.arange(n, dtype=np.int64)
        # customers are numbered replication by replication, and channel by channel within one:
        # channel c of replication r is a contiguous block, so per-channel work is a slice
        shares = np.array([c["share"] for c in market["channels"].values()])
        n_channels = len(shares)
        if seated is not None:   # an existing base from a customer file: its channels' sizes
            self.channel_size = seated.channel_size
        else:
            self.channel_size = apportion(shares, block)                 # customers per channel, one replication
        self._customer_id = None if seated is None else seated.customer_id
        starts = np.concatenate([[0], np.cumsum(self.channel_size)])
        self.channel_edges = (np.arange(self.reps)[:, None] * block + starts[None, :-1]).ravel()
        self.channel_edges = np.concatenate([self.channel_edges, [n]])    # where each (replication, channel) starts
        self.channel_slices = [slice(int(a), int(b)) for a, b in zip(self.channel_edges[:-1], self.channel_edges[1:])]
        self.channel = np.tile(np.repeat(np.arange(n_channels, dtype=np.int8), self.channel_size), self.reps)
        self.rep_edges = np.arange(self.reps + 1, dtype=np.int64) * block
        for name, dist in traits.items():
            if name in ONE_VALUE_TRAITS and dist["dist"] == "constant" and seated is None:
                # the same for everyone (BG/NBD's dropout switched off): one value, no per-customer array
                setattr(self, name, np.broadcast_to(np.float32(dist["value"]), (n,)))
                continue
            arr = np.empty(n, np.float32)
            for start in range(0, n, chunk):
                sl = slice(start, start + chunk)
                arr[sl] = draw(dist, rng.uniform("trait:" + name, -1, idx[sl]))
            setattr(self, name, arr)

        # per-customer multipliers of the funnel (behavior.*_cv; None when everyone is alike)
        b = behavior or {}
        for name, cv_key in SPREADS.items():
            setattr(self, name, _spread(b.get(cv_key, 0.0), rng, name, idx, chunk))

        self.stage = np.zeros(n, np.int8)
        u = rng.uniform("initial_stage", -1, idx)
        edge = 0.0
        for name, share in market["initial_stage"].items():
            self.stage[(u > edge) & (u <= edge + share)] = STAGES.index(name)
            edge += share
        del u
        self.in_pond = np.zeros(n, bool)   # written only through join_pond / leave_pond
        self.left_pond = np.zeros(n, bool)  # opted out (unsubscribed, blocked): not asked again
        self._pond: np.ndarray | None = None
        self._arrays: CustomerArrays | None = None
        self.pond_version = 0               # bumped when membership changes (views cache by it)
        if market["initial_in_pond"] > 0:
            eligible = (self.stage != UNAWARE) & (self.stage != LOST)
            self.in_pond[eligible & (rng.uniform("initial_in_pond", -1, idx) <= market["initial_in_pond"])] = True
        self.trust = np.full(n, market["initial_trust"], np.float32)
        self.fatigue = np.zeros(n, np.float32)
        self.last_useful_day = np.zeros(n, np.int16)           # last useful touch (pond members drift after silence)
        self.reference_price = np.ones(n, np.float32)          # share of list price the customer expects to pay
        self.stock_until = np.full(n, NEVER, np.int16)          # last day an order bought ahead covers a regular one
        # orders before the run: purchased = 1, loyal and dormant = 2 (bought again before going quiet)
        self.initial_orders = np.zeros(n, np.int16)
        self.initial_orders[self.stage == PURCHASED] = 1
        self.initial_orders[(self.stage == LOYAL) | (self.stage == DORMANT)] = 2
        self.orders = self.initial_orders.astype(COUNT)
        self.first_purchase_day = np.full(n, NEVER, np.int16)   # first purchase ever, when inside the run
        self.last_purchase_day = np.full(n, NEVER, np.int16)
        had = np.flatnonzero(self.initial_orders)               # an existing base: their last order before day 0
        if had.size:
            since = draw(market["initial_days_since_order"], rng.uniform("initial_days_since_order", -1, had))
            self.last_purchase_day[had] = -np.minimum(np.round(since), MAX_DAYS_SINCE_ORDER).astype(np.int16)
        self.margin_clv_cny = np.zeros(n, np.float32)          # gross profit within the CLV horizon after the first purchase
        from .coupons import Coupons
        b = behavior or {}
        self.regularity = int(b.get("purchase_regularity", 1))   # Erlang-k shape of times between orders
        if seated is not None:
            seated.seat(self, traits, b, market, rng)
        self.coupons = Coupons(self.basket_value_cny, b.get("order_value_sd_log", 0.0), b.get("topup_value_share", 0.0))
        # remaining unit-exponential "clocks": leave the current stage / next purchase; each is
        # keyed by the customer's own count (j-th stage, k-th order), see rng.uniform_nth
        self.moves = np.zeros(n, COUNT)     # stage clocks drawn so far (keys the next draw)
        self.stage_clock = np.empty(n, np.float32)
        self.purchase_clock = np.empty(n, np.float32)
        self.pond_clock = np.empty(n, np.float32)            # leaving the pond (one per customer: no return)
        for start in range(0, n, chunk):
            sl = slice(start, start + chunk)
            self.stage_clock[sl] = rng.exponential_nth("stage_clock", idx[sl], 0)
            self.purchase_clock[sl] = rng.erlang_nth("purchase_clock", idx[sl], self.orders[sl], self.regularity)
            self.pond_clock[sl] = rng.exponential_nth("pond_clock", idx[sl], 0)
        if seated is not None:
            seated.wind_clocks(self, rng)
        self.stage_clock[self.stage == LOST] = np.inf
        self.purchase_clock[self.stage == LOST] = np.inf
        # lost before day 0 (a seated base's gone customers): not the run's churn; few, so kept as a list
        self._lost_before = np.flatnonzero(self.stage == LOST)

        k = len(STAGES)
        rep = idx // block
        self.stage_counts = np.bincount(rep * k + self.stage, minlength=self.reps * k).reshape(self.reps, k)
        # buyers per (replication, channel), ever (social proof and word of mouth read their share)
        bought = self.orders > 0
        self.buyers_by_channel = np.bincount(rep[bought] * n_channels + self.channel[bought],
                                             minlength=self.reps * n_channels).astype(np.float64).reshape(self.reps, -1)

    @property
    def lost_before(self) -> np.ndarray:
        """Mask of the customers lost before day 0."""
        mask = np.zeros(self.n, bool)
        mask[self._lost_before] = True
        return mask

    # --- replications -------------------------------------------------------------------
    def rep_of(self, idx: np.ndarray) -> np.ndarray:
        """The replication of each customer in ``idx``."""
        return np.asarray(idx) // self.block if self.reps > 1 else np.zeros(len(idx), np.int64)

    def tally(self, idx: np.ndarray, weights=None) -> np.ndarray:
        """Per replication: how many of ``idx`` (or the sum of ``weights`` over them, added in
        order: the same sum a replication run alone would give)."""
        return np.bincount(self.rep_of(idx), weights=weights, minlength=self.reps)

    def view(self, r: int) -> "Population | PopulationView":
        """Replication r as a population of its own (this population when there is one)."""
        return self if self.reps == 1 else PopulationView(self, r)

    def arrays(self) -> CustomerArrays:
        """The arrays the compiled population step reads and writes (the whole population)."""
        if self._arrays is None:
            spreads = (NO_SPREAD if getattr(self, name) is None else getattr(self, name) for name in SPREADS)
            self._arrays = CustomerArrays(*(getattr(self, name) for name in STATE_ARRAYS),
                                          *(_compact(getattr(self, name)) for name in TRAITS), *spreads,
                                          *(getattr(self.coupons, name) for name in COUPON_ARRAYS))
        return self._arrays

    # --- the state ----------------------------------------------------------------------
    def counts(self) -> np.ndarray:
        """Customers per stage (kept up to date by ``move``); one row per replication."""
        return self.stage_counts[0].copy() if self.reps == 1 else self.stage_counts.copy()

    def move(self, idx: np.ndarray, new) -> None:
        """Set the stage of customers ``idx`` (unique) and keep the stage counts."""
        k = len(STAGES)
        if self.reps == 1:
            counts = self.stage_counts[0]
            counts -= np.bincount(self.stage[idx], minlength=k)
            self.stage[idx] = new
            counts += np.bincount(self.stage[idx], minlength=k)
            return
        base = self.rep_of(idx) * k
        flat = self.stage_counts.reshape(-1)
        flat -= np.bincount(base + self.stage[idx], minlength=flat.size)
        self.stage[idx] = new
        flat += np.bincount(base + self.stage[idx], minlength=flat.size)

    def join_pond(self, idx: np.ndarray) -> None:
        self.in_pond[idx] = True
        self._pond = None
        self.pond_version += 1

    def leave_pond(self, idx: np.ndarray) -> None:
        """Members leave the pond for good: an opt-out is respected, pond routes skip them."""
        self.in_pond[idx] = False
        self.left_pond[idx] = True
        self._pond = None
        self.pond_version += 1

    def rebind(self, name: str, values: np.ndarray) -> None:
        """Hold ``values`` as array ``name`` from now on (the same numbers in another place: a
        field of a packed record, ``quiet_days.pack``); before any replication's view is made."""
        setattr(self, name, values)
        self._arrays = None

    def pond_changed(self) -> None:
        """Membership changed outside ``join_pond``/``leave_pond`` (the population step writes it)."""
        self._pond = None
        self.pond_version += 1

    def pond_members(self) -> np.ndarray:
        """Indices of pond members (ascending, read-only; cached until the pond changes)."""
        if self._pond is None:
            self._pond = np.flatnonzero(self.in_pond)
            self._pond.setflags(write=False)
        return self._pond

    def buyer_share(self) -> np.ndarray:
        """Share of each channel's customers who have ever bought (one row per replication)."""
        share = self.buyers_by_channel / np.maximum(self.channel_size, 1)
        return share[0] if self.reps == 1 else share

    def add_array(self, name: str, dtype, fill=0) -> np.ndarray:
        """A per-customer array owned by a policy (points, tier, group...); the policy being set
        up (``adding_for``, set by the engine around each policy's ``init``) is its owner."""
        if hasattr(self, name):
            raise ValueError(f"population already has an array named {name!r}")
        arr = np.full(self.n, fill, dtype)
        setattr(self, name, arr)
        owners = self.__dict__.setdefault("array_owner", {})
        owners[name] = getattr(self, "adding_for", None)
        return arr

    def add_sparse(self, name: str, dtype, fill=0) -> SparseColumn:
        """A per-customer field owned by a policy that only some customers ever have (pond
        members, buyers): rows for the customers written, read and written like a full array
        (``simlib.sparse_state``); owned like ``add_array``'s."""
        if hasattr(self, name):
            raise ValueError(f"population already has an array named {name!r}")
        state = self.__dict__.get("sparse")
        if state is None:
            state = self.sparse = SparseState(self.n)   # every sparse field of this population shares its slots
        column = state.add(name, dtype, fill)
        setattr(self, name, column)
        self.__dict__.setdefault("array_owner", {})[name] = getattr(self, "adding_for", None)
        return column

    # --- who is who -----------------------------------------------------------------------
    @property
    def customer_id(self) -> np.ndarray:
        """Each simulated customer's id as text, one per customer of a replication's block (the
        same customers in every replication of a batch): a base seated from a customer file (a
        twin) carries the team's ids, any other market numbers its customers "0" to "N-1"."""
        ids = getattr(self, "_customer_id", None)
        return np.arange(self.block).astype(str) if ids is None else ids

    @customer_id.setter
    def customer_id(self, ids) -> None:
        ids = np.asarray(ids).astype(str)
        if ids.shape != (self.block,):
            raise ValueError(f"customer_id: {ids.shape} ids for {self.block} customers")
        if np.unique(ids).size != ids.size:
            raise ValueError("customer_id: ids must be unique")
        self._customer_id = ids
        self._id_lookup = None

    def index_of(self, ids) -> np.ndarray:
        """Each id's customer number within one replication (-1 for an id that is no customer)."""
        query = np.asarray(ids).astype(str)
        own = getattr(self, "_customer_id", None)
        if own is None:    # ids are the numbers themselves, written plainly ("7", not "07" or "7.0")
            out = np.full(query.size, -1, np.int64)
            plain = np.char.isdigit(query) & ((np.char.str_len(query) == 1) | ~np.char.startswith(query, "0"))
            plain &= np.char.str_len(query) <= 10
            values = np.zeros(query.size, np.int64)
            values[plain] = query[plain].astype(np.int64)
            ok = plain & (values < self.block)
            out[ok] = values[ok]
            return out
        lookup = getattr(self, "_id_lookup", None)
        if lookup is None:
            order = np.argsort(own, kind="stable")
            lookup = self._id_lookup = (own[order], order)
        ordered, order = lookup
        pos = np.minimum(np.searchsorted(ordered, query), ordered.size - 1)
        found = ordered[pos] == query
        return np.where(found, order[pos], -1).astype(np.int64)

    def describe_ids(self) -> str:
        """What this market's customer ids are, for a message about ids that are not among them."""
        if getattr(self, "_customer_id", None) is None:
            return (f"this market's customers are numbered 0 to {self.block - 1:,} (a twin built from an order log "
                    "by simlib twin carries the log's customer ids)")
        return f"this market's {self.block:,} customers carry the ids of the log it was built from"

    def customer(self, i: int) -> dict:
        """One customer's state, for inspection (not for the hot path)."""
        out = {k: v[i].item() for k, v in vars(self).items()
               if isinstance(v, (np.ndarray, SparseColumn)) and v.shape == (self.n,)}
        out.update({f"coupon_{k}": v[i].item() for k, v in vars(self.coupons).items()
                    if isinstance(v, np.ndarray) and v.shape == (self.n,)})
        out["stage"] = STAGES[out["stage"]]
        out["channel"] = self.channel_names[out["channel"]]
        return out


class PopulationView(Population):
    """Replication r of a batched population: its customers numbered from 0, every
    per-customer array a view (a slice) of the shared one, so what a policy writes is what the
    population step reads. Arrays a policy adds belong to this replication alone."""

    def __init__(self, whole: Population, r: int):   # noqa: D107 (no Population.__init__: a view)
        self._whole, self._r = whole, r
        lo, hi = int(whole.rep_edges[r]), int(whole.rep_edges[r + 1])
        for name, value in vars(whole).items():
            if isinstance(value, np.ndarray) and value.shape == (whole.n,):
                setattr(self, name, value[lo:hi])
        for name in SPREADS:
            if getattr(whole, name) is None:
                setattr(self, name, None)
        self.n, self.block, self.reps, self.offset = hi - lo, hi - lo, 1, lo
        self.weight, self.regularity, self.channel_names = whole.weight, whole.regularity, whole.channel_names
        self._customer_id = whole._customer_id
        self.channel_size = whole.channel_size
        starts = np.concatenate([[0], np.cumsum(whole.channel_size)])
        self.channel_edges = starts
        self.channel_slices = [slice(int(a), int(b)) for a, b in zip(starts[:-1], starts[1:])]
        self.rep_edges = np.array([0, self.n])
        self.stage_counts = whole.stage_counts[r:r + 1]      # a view: the step keeps it up to date
        self.buyers_by_channel = whole.buyers_by_channel[r:r + 1]
        self._id_lookup = getattr(whole, "_id_lookup", None)
        lost = whole._lost_before
        self._lost_before = lost[(lost >= lo) & (lost < hi)] - lo
        from .coupons import CouponsView
        self.coupons = CouponsView(whole.coupons, lo, hi)
        self._pond, self._seen_version = None, -1

    def pond_members(self) -> np.ndarray:
        if self._seen_version != self._whole.pond_version:
            self._pond = np.flatnonzero(self.in_pond)
            self._pond.setflags(write=False)
            self._seen_version = self._whole.pond_version
        return self._pond

    def move(self, idx, new):
        self._whole.move(np.asarray(idx) + self.offset, new)

    def join_pond(self, idx):
        self._whole.join_pond(np.asarray(idx) + self.offset)

    def leave_pond(self, idx):
        self._whole.leave_pond(np.asarray(idx) + self.offset)


def _spread(cv: float, rng: Keyed, name: str, idx: np.ndarray, chunk: int) -> np.ndarray | None:
    """Customer i's multiplier ~ Gamma(shape 1/cv^2, scale cv^2) (mean 1, coefficient of variation
    cv), by inverse CDF of a keyed uniform: customer i keeps their quantile whatever cv is (common
    random numbers across a fit's trial values). None for cv = 0 (everyone 1)."""
    if not cv:
        return None
    dist = {"dist": "gamma", "shape": 1.0 / cv**2, "scale": cv**2}
    out = np.empty(idx.size, np.float32)
    for start in range(0, idx.size, chunk):
        sl = slice(start, start + chunk)
        out[sl] = draw(dist, rng.uniform("trait:" + name, -1, idx[sl]))
    return out


def _compact(values: np.ndarray) -> np.ndarray:
    """A trait as the compiled step reads it: a one-value trait (a broadcast) as one entry."""
    return np.ascontiguousarray(values[:1]) if values.ndim and values.strides == (0,) else values
