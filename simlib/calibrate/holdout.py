"""Holdout checks: the fitted model's predictions beside what the customers really did.

- per customer: repeat purchases expected in the holdout given their calibration history;
- grouped by calibration-period frequency (the classic conditional-expectation check);
- cumulative repeat purchases week by week over calibration and holdout (tracking).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simlib.calibrate.bgnbd import BGNBDFit
from simlib.calibrate.transactions import CalibrationData


def _clock(fit):
    """The seasonal clock of a fit (simlib.calibrate.seasonal), or None."""
    return getattr(fit, "extra", {}).get("clock")


def purchase_clock(data: CalibrationData, fit, ahead_days=0):
    """x, t_x, T and the span of the next ``ahead_days`` per customer, on the fit's purchase
    clock (calendar days, or operational days under a seasonal index)."""
    c = data.customers
    x, t_x, T = (c[k].to_numpy(float) for k in ("frequency", "recency", "age"))
    clock = _clock(fit)
    if clock is None:
        return x, t_x, T, np.broadcast_to(np.asarray(ahead_days, float), x.shape)
    first = c["first_day"].to_numpy(np.int64)
    tau_T = clock.tau(first, T.astype(np.int64))
    ahead = clock.tau(first, T.astype(np.int64) + np.asarray(ahead_days, np.int64)) - tau_T
    return x, clock.tau(first, t_x.astype(np.int64)), tau_T, ahead


def holdout_table(data: CalibrationData, fit: BGNBDFit) -> pd.DataFrame:
    """One row per customer: customer_id, frequency, recency, age, actual_holdout,
    predicted_holdout and p_alive (at the calibration end)."""
    c = data.customers
    x, t_x, T, ahead = purchase_clock(data, fit, data.holdout_days)
    table = pd.DataFrame({
        "customer_id": c["customer_id"].to_numpy(),
        "frequency": c["frequency"].to_numpy(),
        "recency": c["recency"].to_numpy(),
        "age": c["age"].to_numpy(),
    })
    if data.holdout_days:
        table["actual_holdout"] = c["actual_holdout"].to_numpy()
        table["predicted_holdout"] = fit.conditional_expected(x, t_x, T, ahead)
    table["p_alive"] = fit.probability_alive(x, t_x, T)
    return table


def total_check(table: pd.DataFrame) -> dict:
    """Total predicted vs actual holdout purchases, with the sampling error of the difference.

    ``difference`` is predicted - actual (negative: the model under-predicts). Customers are
    independent given the parameters, so the standard error of the summed residual is
    estimated by the root of the summed squared residuals.
    """
    actual = table["actual_holdout"].to_numpy(float)
    predicted = table["predicted_holdout"].to_numpy(float)
    resid = predicted - actual
    se = float(np.sqrt(np.sum(resid**2)))
    return {
        "actual": float(actual.sum()),
        "predicted": float(predicted.sum()),
        "difference": float(resid.sum()),
        "relative_difference": float(resid.sum() / max(actual.sum(), 1.0)),
        "standard_error": se,
        "z": float(resid.sum() / se) if se > 0 else 0.0,
    }


def by_frequency(table: pd.DataFrame, top: int = 7) -> pd.DataFrame:
    """Mean actual and predicted holdout purchases per customer, by calibration frequency
    (the last group is ``top``+)."""
    group = np.minimum(table["frequency"].to_numpy(), top)
    frame = pd.DataFrame({"group": group, "actual": table["actual_holdout"], "predicted": table["predicted_holdout"]})
    out = frame.groupby("group").agg(customers=("actual", "size"), actual=("actual", "mean"),
                                     predicted=("predicted", "mean")).reset_index()
    out.insert(0, "frequency", [f"{g}+" if g == top else str(g) for g in out.pop("group")])
    return out


def weekly_tracking(data: CalibrationData, fit: BGNBDFit, week_days: int = 7) -> pd.DataFrame:
    """Cumulative repeat purchases at the end of each week, actual and predicted.

    ``predicted`` is the unconditional model: every customer from their own first purchase
    on (the fit only saw the calibration period, so the holdout weeks are a forecast).
    ``predicted_conditional`` (holdout weeks only) adds the expectation given each customer's
    calibration history to the actual calibration total.
    """
    c = data.customers
    start = int(c["first_day"].min())
    end = data.holdout_end_day or data.calibration_end_day
    week_ends = np.arange(start + week_days - 1, end + week_days, week_days)
    week_ends = np.minimum(week_ends, end)
    week_ends = np.unique(week_ends)
    occ = data.log.occasions
    occ = occ[occ["customer_id"].isin(c["customer_id"])]
    first = occ.groupby("customer_id")["day"].transform("min")
    repeat_days = np.sort(occ.loc[occ["day"] > first, "day"].to_numpy())
    actual = np.searchsorted(repeat_days, week_ends, side="right")
    predicted = _unconditional(c["first_day"].to_numpy(np.int64), start, end, week_ends, fit)
    frame = pd.DataFrame({
        "week": np.arange(1, week_ends.size + 1),
        "day": week_ends,
        "date": [data.log.to_date(d) for d in week_ends],
        "actual_cumulative": actual,
        "predicted_cumulative": predicted,
    })
    if data.holdout_days:
        hold = week_ends > data.calibration_end_day
        cal_total = int(np.searchsorted(repeat_days, data.calibration_end_day, side="right"))
        conditional = np.full(week_ends.size, np.nan)
        weeks = np.flatnonzero(hold)
        if weeks.size:
            clocks = [purchase_clock(data, fit, week_ends[i] - data.calibration_end_day) for i in weeks]
            x, t_x, T, _ = clocks[0]
            conditional[weeks] = cal_total + fit.conditional_expected_totals(x, t_x, T, [c[3] for c in clocks])
        frame["predicted_conditional"] = conditional
        frame["period"] = np.where(hold, "holdout", "calibration")
    else:
        frame["period"] = "calibration"
    return frame


def _unconditional(first_days, start, end, week_ends, fit):
    """Sum over customers of E[X(week end - first day)]: a convolution of first-purchase days
    with E[X(t)]; under a seasonal index E[X] of each first day's operational span."""
    clock = _clock(fit)
    if clock is None:
        horizon = np.arange(0, end - start + 1)
        curve = fit.expected_repeat(horizon)  # E[X(t)], t = 0 .. end - start
        counts = np.bincount(first_days - start, minlength=horizon.size)
        return np.convolve(counts, curve)[: horizon.size][week_ends - start]
    days, counts = np.unique(first_days, return_counts=True)
    elapsed = np.maximum(week_ends[None, :] - days[:, None], 0)
    tau = clock.tau(np.repeat(days, week_ends.size), elapsed.ravel()).reshape(elapsed.shape)
    values, inverse = np.unique(np.round(tau, 9), return_inverse=True)
    expected = np.asarray(fit.expected_repeat(values))[inverse.ravel()].reshape(tau.shape)
    return counts @ np.where(elapsed > 0, expected, 0.0)
