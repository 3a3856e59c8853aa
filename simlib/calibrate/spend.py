"""Basket value: a log-normal random-effects model of order amounts, fitted by maximum likelihood.

log(amount of occasion j of customer i) = mu + u_i + e_ij, u_i ~ N(0, sd_between^2) (the
customer's typical basket), e_ij ~ N(0, sd_within^2) (order-to-order spread). The engine draws
one basket value per customer, the customer's *mean* order value exp(mu + u_i + sd_within^2 / 2),
i.e. ``basket_value_cny ~ LogNormal(mean_log = mu + sd_within^2 / 2, sd_log = sd_between)``, and
draws each order around it with the order-to-order spread ``behavior.order_value_sd_log`` =
sd_within (mean kept), which the fragment sets.

With n_i occasions, mean log m_i and within sum of squares S_i, the likelihood factorises:
m_i ~ N(mu, sd_between^2 + sd_within^2 / n_i) and S_i / sd_within^2 ~ chi^2(n_i - 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from simlib.calibrate.bgnbd import _numeric_hessian


@dataclass
class SpendFit:
    """Fitted basket-value model (log CNY) and the engine trait it implies."""

    mu: float
    sd_between: float
    sd_within: float
    cov: np.ndarray  # covariance of (mu, log sd_between, log sd_within); NaN row/col if fixed
    n_customers: int
    n_occasions: int

    @property
    def mean_log(self) -> float:
        """``basket_value_cny.mean_log`` for the engine (mean order value preserved)."""
        return self.mu + self.sd_within**2 / 2

    @property
    def sd_log(self) -> float:
        return self.sd_between

    def table(self, level: float = 0.95) -> pd.DataFrame:
        """Estimates, standard errors and intervals of mu, sd_between, sd_within and mean_log."""
        z = stats.norm.ppf(0.5 + level / 2)
        se = np.sqrt(np.clip(np.diag(self.cov), 0, None))
        rows = {"mu": (self.mu, se[0], self.mu - z * se[0], self.mu + z * se[0])}
        for name, value, s in (("sd_between", self.sd_between, se[1]), ("sd_within", self.sd_within, se[2])):
            if value == 0.0:
                rows[name] = (0.0, 0.0, 0.0, 0.0)
            else:
                rows[name] = (value, value * s, value * np.exp(-z * s), value * np.exp(z * s))
        # delta method for mean_log = mu + sd_within^2 / 2 (d/d log sd_within = sd_within^2)
        grad = np.array([1.0, 0.0, self.sd_within**2])
        cov = np.nan_to_num(self.cov)
        s_ml = float(np.sqrt(grad @ cov @ grad))
        rows["mean_log"] = (self.mean_log, s_ml, self.mean_log - z * s_ml, self.mean_log + z * s_ml)
        table = pd.DataFrame.from_dict(rows, orient="index", columns=["estimate", "std_error", "lower", "upper"])
        table["interval"] = "wald"
        return table


def fit_spend(occasions: pd.DataFrame) -> SpendFit:
    """Fit the model to purchase occasions (columns customer_id, amount_cny); zero amounts are skipped."""
    occ = occasions[occasions["amount_cny"] > 0]
    if occ.empty:
        raise ValueError("no positive amounts to fit a basket value to")
    logs = np.log(occ["amount_cny"].to_numpy(dtype=float))
    codes, _ = pd.factorize(occ["customer_id"])
    n_i = np.bincount(codes).astype(float)
    m_i = np.bincount(codes, weights=logs) / n_i
    s_i = np.bincount(codes, weights=(logs - m_i[codes]) ** 2)
    within_df = float((n_i - 1).sum())
    within_ss = float(s_i.sum())
    n = m_i.size
    if within_ss <= 1e-10 * max(len(logs), 1) or within_df == 0:
        # every customer spends the same on every order (as the engine does): closed form
        mu = float(m_i.mean())
        sd_b = float(m_i.std())
        cov = np.diag([sd_b**2 / n, 1.0 / (2 * n), np.nan])
        return SpendFit(mu, sd_b, 0.0, cov, n, len(logs))

    def negll(theta):
        mu, log_b, log_w = theta
        var_w = np.exp(2 * log_w)
        var_m = np.exp(2 * log_b) + var_w / n_i
        ll = -0.5 * np.sum(np.log(var_m) + (m_i - mu) ** 2 / var_m)
        ll += -0.5 * (within_df * np.log(var_w) + within_ss / var_w)
        return -ll

    sd_w0 = np.sqrt(within_ss / within_df)
    sd_b0 = max(np.sqrt(max(m_i.var() - sd_w0**2 * np.mean(1 / n_i), 1e-6)), 1e-3)
    start = np.array([m_i.mean(), np.log(sd_b0), np.log(sd_w0)])
    res = optimize.minimize(negll, start, method="BFGS")
    res = optimize.minimize(negll, res.x, method="Nelder-Mead", options={"xatol": 1e-9, "fatol": 1e-11})
    try:
        cov = np.linalg.inv(_numeric_hessian(negll, res.x, step=1e-4))
    except np.linalg.LinAlgError:
        cov = np.full((3, 3), np.nan)
    mu, log_b, log_w = res.x
    return SpendFit(float(mu), float(np.exp(log_b)), float(np.exp(log_w)), cov, n, len(logs))
