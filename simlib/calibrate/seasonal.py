"""A monthly seasonal index of purchase rates, as a change of the purchase clock.

With rate lambda * s(month) on each calendar day, the purchase process runs on operational
time tau(t) = integral of s from the first purchase to t. For processes whose dropout comes
with purchases (BG/NBD, MBG/NBD, MBG/CNBD-k) this time change is exact: the likelihood in
calendar time is the likelihood of (x, tau(t_x), tau(T), gaps in tau) times the product of
s at each repeat purchase, and every prediction is the operational-time prediction over the
operational span. (Pareto/NBD's lifetime runs in calendar time, so the change is not exact
for it; it is not offered with an index yet.)

The index has 12 multipliers with mean 1, for January .. December. Declared (the team's
index from earlier years) it is used as given; fitted, its 11 free log-ratios are estimated
jointly with the process parameters (the data speak to it through when repeat purchases fall
and how much operational time each customer was observed), which needs more than a year of
calibration data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simlib.calibrate._errors import user_error
from simlib.calibrate.processes.base import Histories, maximise, numeric_hessian
from simlib.calibrate.transactions import repeat_gaps

MONTHS = 12
SEASONAL_PROCESSES = ("bgnbd", "mbgnbd", "cnbd")
MIN_DAYS_TO_FIT = 366


def parse_index(values, option: str = "--seasonal-index") -> tuple[np.ndarray, str]:
    """12 positive multipliers (a list or 'a,b,...'), rescaled to mean 1; returns (index, note)."""
    if isinstance(values, str):
        parts = [p for p in values.replace(";", ",").split(",") if p.strip()]
        try:
            values = [float(p) for p in parts]
        except ValueError:
            raise user_error(f"{option} {values[:80]!r}: allowed: 12 numbers > 0 separated by commas "
                             "(January to December)") from None
    index = np.asarray(values, dtype=float).ravel()
    if index.size != MONTHS or not np.all(np.isfinite(index)) or np.any(index <= 0):
        raise user_error(f"{option}: got {index.size} values; allowed: 12 finite numbers > 0 (January to December)")
    mean = float(index.mean())
    note = "" if abs(mean - 1) < 1e-6 else f"{option} rescaled to mean 1 (its mean was {mean:.4g})"
    return index / mean, note


@dataclass(frozen=True)
class Calendar:
    """Month of every day number of a log, and days-per-month counts from its first day."""

    origin: pd.Timestamp
    first_day: int
    months: np.ndarray       # month index 0..11 of day first_day + i
    counts: np.ndarray       # counts[i, m] = days of month m in [first_day, first_day + i)

    @classmethod
    def of(cls, origin, first_day: int, last_day: int) -> "Calendar":
        if origin is None:
            raise user_error("a seasonal index needs calendar dates in the log, not day numbers")
        days = np.arange(first_day, last_day + 2)
        months = (origin + pd.to_timedelta(days, unit="D")).month.to_numpy() - 1
        onehot = np.zeros((days.size, MONTHS))
        onehot[np.arange(days.size), months] = 1.0
        counts = np.vstack([np.zeros(MONTHS), np.cumsum(onehot, axis=0)])
        return cls(origin, first_day, months, counts)

    def between(self, start_days, end_days) -> np.ndarray:
        """Days of each month in [start, end) per row: (rows x 12)."""
        s = np.asarray(start_days, np.int64) - self.first_day
        e = np.asarray(end_days, np.int64) - self.first_day
        return self.counts[e] - self.counts[s]


@dataclass(frozen=True)
class SeasonalDesign:
    """What the likelihood needs to move the index: per customer the month-day counts of
    (first purchase, T) and (first purchase, t_x), the same per inter-purchase gap, and
    repeat purchases per month."""

    x: np.ndarray
    observed: np.ndarray     # customers x 12
    to_last: np.ndarray      # customers x 12
    gaps: np.ndarray         # gaps x 12
    gap_owner: np.ndarray    # customer row of each gap
    purchases_by_month: np.ndarray

    def histories(self, index) -> Histories:
        tau_gaps = np.log(np.maximum(self.gaps @ index, 1e-12))
        log_gaps = np.bincount(self.gap_owner, weights=tau_gaps, minlength=self.x.size)
        return Histories(self.x, self.to_last @ index, self.observed @ index, log_gaps)

    def log_jacobian(self, index) -> float:
        """Sum over repeat purchases of log s(month): the calendar-time density factor."""
        return float(self.purchases_by_month @ np.log(index))


def design(customers: pd.DataFrame, occasions: pd.DataFrame, end_day: int, calendar: Calendar) -> SeasonalDesign:
    """The design for ``customers`` (a summary frame) observed to ``end_day``."""
    first = customers["first_day"].to_numpy(np.int64)
    observed = calendar.between(first, np.full(first.size, end_day, np.int64))
    to_last = calendar.between(first, first + customers["recency"].to_numpy(np.int64))
    starts, ends, position = repeat_gaps(customers, occasions, end_day)
    # a purchase recorded on day e happened during day e - 1 .. e, at the rate of day e - 1
    repeat_months = calendar.months[ends - 1 - calendar.first_day]
    return SeasonalDesign(customers["frequency"].to_numpy(float), observed, to_last,
                          calendar.between(starts, ends), position,
                          np.bincount(repeat_months, minlength=MONTHS).astype(float))


def index_from_free(free) -> np.ndarray:
    """12 multipliers with mean 1 from 11 free log-ratios (December is the reference)."""
    logs = np.append(np.asarray(free, float), 0.0)
    weights = np.exp(logs - logs.max())
    return MONTHS * weights / weights.sum()


def fit_index(process, seasonal: SeasonalDesign, k: int, start_params) -> tuple[np.ndarray, np.ndarray, float]:
    """Joint maximum likelihood of the process parameters and the index at regularity ``k``.

    Returns the index, the covariance of log(index) (delta method from the joint inverse
    Hessian) and the maximised log-likelihood."""
    n_params = len(start_params)

    def negll(theta):
        index = index_from_free(theta[n_params:])
        h = seasonal.histories(index)
        value = -(np.sum(process.log_likelihood(np.exp(theta[:n_params]), h, k)) + seasonal.log_jacobian(index))
        return float(value)

    start = np.concatenate([np.log(start_params), np.zeros(MONTHS - 1)])
    bounds = [(-9.0, 14.0)] * n_params + [(-3.0, 3.0)] * (MONTHS - 1)
    found = maximise(negll, [start], bounds)
    free = found.log_params[n_params:]
    index = index_from_free(free)
    cov_free = found.log_cov[n_params:, n_params:]
    if not np.all(np.isfinite(cov_free)):
        cov_free = np.linalg.pinv(numeric_hessian(negll, found.log_params))[n_params:, n_params:]
    # d log s_m / d free_j = [m == j] - s_j / 12  (softmax with December fixed)
    grad = np.hstack([np.eye(MONTHS - 1), np.zeros((MONTHS - 1, 1))]).T - index[None, :MONTHS - 1] / MONTHS
    return index, grad @ cov_free @ grad.T, found.log_likelihood


@dataclass(frozen=True)
class SeasonalClock:
    """Operational time for predictions: tau of a customer first seen on day d0 at t days."""

    index: np.ndarray
    calendar: Calendar
    fitted: bool
    log_cov: np.ndarray | None = None

    def tau(self, first_days, elapsed) -> np.ndarray:
        """Operational days from each first purchase to ``elapsed`` days after it."""
        first_days = np.asarray(first_days, np.int64)
        elapsed = np.broadcast_to(np.asarray(elapsed, np.int64), first_days.shape)
        return self.calendar.between(first_days, first_days + elapsed) @ self.index

    def histories(self, customers: pd.DataFrame, occasions: pd.DataFrame, end_day: int) -> Histories:
        return design(customers, occasions, end_day, self.calendar).histories(self.index)

    def table(self, level: float = 0.95) -> pd.DataFrame:
        from scipy import stats
        z = stats.norm.ppf(0.5 + level / 2)
        se = np.sqrt(np.clip(np.diag(self.log_cov), 0, None)) if self.log_cov is not None else np.zeros(MONTHS)
        names = [f"season_{m:02d}" for m in range(1, MONTHS + 1)]
        return pd.DataFrame({"estimate": self.index, "std_error": self.index * se,
                             "lower": self.index * np.exp(-z * se), "upper": self.index * np.exp(z * se),
                             "interval": "wald" if self.fitted else "declared"}, index=names)
