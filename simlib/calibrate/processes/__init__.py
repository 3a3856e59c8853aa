"""Purchase processes that `simlib calibrate transactions` can fit, one module per family.

Each process is a `Process`: its likelihood, its closed forms (expected purchases of a new
customer, P(alive), expected purchases given a history), its fit, and the scenario fragment
keys it sets. `PROCESSES` maps the names used by ``--process`` to them:

- ``bgnbd-daily``: BG/NBD with at most one purchase occasion a day (simlib.calibrate.bgnbd);
- ``bgnbd``: BG/NBD, continuous time (Fader, Hardie & Lee 2005);
- ``mbgnbd``: MBG/NBD, the first purchase can end the relationship too (``mbgnbd-daily``: with
  daily occasions);
- ``pnbd``: Pareto/NBD, lifetime exponential in calendar time (processes.pareto);
- ``cnbd``: MBG/CNBD-k, Erlang-k inter-purchase times, k fitted among 2..6 (processes.erlang).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simlib.calibrate import bgnbd as _bg
from simlib.calibrate.processes import erlang as _erlang
from simlib.calibrate.processes import pareto as _pareto
from simlib.calibrate.processes.base import Histories, ProcessFit, maximise, weighted_sum

_GAMMA_RATE = ("r", "alpha")


@dataclass(frozen=True)
class Process:
    """One purchase process: names, likelihood and closed forms over (params, Histories)."""

    name: str
    label: str
    param_names: tuple
    dropout_at_first_purchase: bool = False
    time_based_dropout: bool = False
    regularity: int = 1
    time_model: str = "continuous"

    # --- the model -------------------------------------------------------------------------
    def log_likelihood(self, params, h: Histories, k: int | None = None):
        k = k or self.regularity
        if self.time_based_dropout:
            return _pareto.log_likelihood(params, h)
        if k > 1:
            return _erlang.log_likelihood(params, h, k, int(self.dropout_at_first_purchase))
        return _bg.log_likelihood(params, h.x, h.t_x, h.T, self.dropout_at_first_purchase, self.time_model)

    def log_likelihood_gradient(self, params, h: Histories, k: int | None = None, wrt_history: bool = False):
        """(per-customer log-likelihood, its gradient in the log parameters) where the process has
        it in closed form; None for the daily-occasion models (their fit differences numerically).
        ``wrt_history`` (not for Pareto/NBD) adds d/dt_x, d/dT and d/d(sum of log gaps)."""
        k = k or self.regularity
        if self.time_based_dropout:
            return None if wrt_history else _pareto.log_likelihood_gradient(params, h)
        if k > 1:
            return _erlang.log_likelihood_gradient(params, h, k, int(self.dropout_at_first_purchase), wrt_history)
        if self.time_model == "continuous":
            return _bg.log_likelihood_gradient(params, h.x, h.t_x, h.T, self.dropout_at_first_purchase, wrt_history)
        return None

    def probability_alive(self, params, h: Histories, k: int | None = None):
        k = k or self.regularity
        if self.time_based_dropout:
            return _pareto.probability_alive(params, h)
        if k > 1:
            return _erlang.probability_alive(params, h, k, int(self.dropout_at_first_purchase))
        return _bg.probability_alive(params, h.x, h.t_x, h.T, self.dropout_at_first_purchase, self.time_model)

    def conditional_expected(self, params, h: Histories, t_star, k: int | None = None):
        k = k or self.regularity
        if self.time_based_dropout:
            return _pareto.conditional_expected(params, h, t_star)
        if k > 1:
            return _erlang.conditional_expected(params, h, t_star, k, int(self.dropout_at_first_purchase))
        return _bg.conditional_expected(params, h.x, h.t_x, h.T, t_star, self.dropout_at_first_purchase,
                                        self.time_model)

    def expected_if_alive(self, params, h: Histories, t_star, k: int | None = None):
        """E[purchases in (T, T + t_star] | history, alive at T]: conditional_expected / P(alive)."""
        k = k or self.regularity
        if self.time_based_dropout:
            return _pareto.expected_if_alive(params, h, t_star)
        if k > 1:
            return _erlang.expected_if_alive(params, h, t_star, k, int(self.dropout_at_first_purchase))
        return _bg.expected_if_alive(params, h.x, h.T, t_star, self.dropout_at_first_purchase, self.time_model)

    def expected_purchases(self, params, t, k: int | None = None):
        k = k or self.regularity
        if self.time_based_dropout:
            return _pareto.expected_purchases(params, t)
        if k > 1:
            return _erlang.expected_purchases(params, t, k, int(self.dropout_at_first_purchase))
        return _bg.expected_repeat(params, t, self.dropout_at_first_purchase, self.time_model)

    # --- fitting ---------------------------------------------------------------------------
    def regularities(self):
        return range(2, _erlang.MAX_REGULARITY + 1) if self.regularity > 1 else (1,)

    def fit(self, h: Histories, start=None, covariance: bool = True) -> ProcessFit:
        """Maximum likelihood; for the regular-buyer family, k is chosen by the likelihood too.
        ``start``: parameter values to search from first (a fit of nearby data: the same process
        on a shorter stretch); ``covariance=False`` skips the information matrix (a fit whose
        estimates alone are used, as in choosing the process)."""
        h.check()
        if self.time_model == "daily" and (h.x > h.t_x).any():
            raise ValueError("the daily model allows one purchase occasion a day: need frequency <= recency")
        pooled, counts = h.pooled(with_gaps=self.regularity > 1)
        module = _pareto if self.time_based_dropout else _erlang
        best = None
        starting = None if start is None else [tuple(np.asarray(list(dict(start).values()) if isinstance(start, dict)
                                                                 else start, float))]
        for k in self.regularities():
            if self.time_model == "daily" and start is None:  # the cheap continuous optimum starts the daily search
                cont = PROCESSES["mbgnbd" if self.dropout_at_first_purchase else "bgnbd"]
                starting = [np.exp(cont._maximum(pooled, counts, 1, covariance=False).log_params)]
            found = self._maximum(pooled, counts, k, starting, covariance)
            if best is not None and found.log_likelihood < best[1].log_likelihood:
                break  # the likelihood is unimodal in k in practice: stop once it falls
            best = (k, found)
            starting = [np.exp(found.log_params)] + module.starts(h)
        k, found = best
        return ProcessFit(self.name, dict(zip(self.param_names, map(float, np.exp(found.log_params)))),
                          found.log_cov, found.log_likelihood, int(h.x.size), found.converged, found.message, k,
                          profile=found.profile)

    def _maximum(self, pooled, counts, k, starting=None, covariance: bool = True):
        module = _pareto if self.time_based_dropout else _erlang

        def negll(theta):
            return -weighted_sum(counts, self.log_likelihood(np.exp(theta), pooled, k))

        def negll_and_gradient(theta):
            ll, grad = self.log_likelihood_gradient(np.exp(theta), pooled, k)
            return -weighted_sum(counts, ll), -(counts @ grad)
        starting = starting or module.starts(pooled)
        analytic = self.time_model == "continuous"
        return maximise(negll, [np.log(s) for s in starting], module.BOUNDS,
                        gradient=negll_and_gradient if analytic else None, covariance=covariance)

    # --- the engine's keys -----------------------------------------------------------------
    def fragment(self, fit: ProcessFit) -> dict:
        """``traits:`` and ``behavior:`` keys (model v2) that make the engine simulate this fit."""
        p = {k: float(f"{v:.6g}") for k, v in fit.params.items()}
        traits = {"purchase_rate_per_day": {"dist": "gamma", "shape": p["r"], "scale": float(f"{1 / fit.params['alpha']:.6g}")}}
        if self.time_based_dropout:
            traits["dropout_after_purchase"] = {"dist": "constant", "value": 0}
            traits["lifetime_hazard_per_day"] = {"dist": "gamma", "shape": p["s"],
                                                 "scale": float(f"{1 / fit.params['beta']:.6g}")}
        else:
            traits["dropout_after_purchase"] = {"dist": "beta", "a": p["a"], "b": p["b"]}
            traits["lifetime_hazard_per_day"] = {"dist": "constant", "value": 0}
        behavior = {"dropout_at_first_purchase": bool(self.dropout_at_first_purchase),
                    "purchase_regularity": int(fit.regularity)}
        return {"traits": traits, "behavior": behavior}


_BG_NAMES = _bg.PARAM_NAMES
PROCESSES = {
    "bgnbd-daily": Process("bgnbd-daily", "BG/NBD, daily occasions", _BG_NAMES, time_model="daily"),
    "bgnbd": Process("bgnbd", "BG/NBD", _BG_NAMES),
    "mbgnbd": Process("mbgnbd", "MBG/NBD", _BG_NAMES, dropout_at_first_purchase=True),
    "mbgnbd-daily": Process("mbgnbd-daily", "MBG/NBD, daily occasions", _BG_NAMES, dropout_at_first_purchase=True,
                            time_model="daily"),
    "pnbd": Process("pnbd", "Pareto/NBD", _pareto.PARAM_NAMES, time_based_dropout=True),
    "cnbd": Process("cnbd", "MBG/CNBD-k", _erlang.PARAM_NAMES, dropout_at_first_purchase=True, regularity=2),
}
"""Candidate processes by ``--process`` name."""


def get_process(name: str) -> Process:
    try:
        return PROCESSES[name]
    except KeyError:
        raise ValueError(f"unknown process {name!r}; allowed: {', '.join(PROCESSES)}") from None


def fit_process(name: str, x, t_x, T, log_gaps=None) -> ProcessFit:
    """Fit process ``name`` to per-customer histories in days (see `Histories`)."""
    return get_process(name).fit(Histories.of(x, t_x, T, log_gaps))


# --- closed forms for the engine's checks against simulation --------------------------------
def expected_purchases(fit: ProcessFit, t):
    """E[X(t)]: expected repeat purchases in the first t days after a new customer's first one."""
    return get_process(fit.process).expected_purchases(tuple(fit.params.values()), t, fit.regularity)


def probability_alive(fit: ProcessFit, x, t_x, T, log_gaps=None):
    """P(alive at T | x repeat purchases, the last at t_x, observed T days)."""
    h = Histories.of(x, t_x, T, log_gaps)
    return get_process(fit.process).probability_alive(tuple(fit.params.values()), h, fit.regularity)


def conditional_expected(fit: ProcessFit, x, t_x, T, t_star, log_gaps=None):
    """E[repeat purchases in (T, T + t_star] | x, t_x, T]."""
    h = Histories.of(x, t_x, T, log_gaps)
    return get_process(fit.process).conditional_expected(tuple(fit.params.values()), h, t_star, fit.regularity)


__all__ = ["PROCESSES", "Histories", "Process", "ProcessFit", "conditional_expected", "expected_purchases",
           "fit_process", "get_process", "probability_alive"]
