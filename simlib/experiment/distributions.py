"""Student-t and normal quantiles and distribution functions for the comparison statistics.

These are ``scipy.special``'s functions, the very ones ``scipy.stats.t.ppf``, ``t.cdf`` and
``norm.ppf`` evaluate, so the numbers are the same bit for bit (tests/test_distributions.py);
calling them directly spares a comparison importing ``scipy.stats`` (0.3-0.5 CPU s, paid
before the first run starts and again in nothing else a ``simlib compare`` needs).
"""

from __future__ import annotations

from scipy import special


def t_quantile(p, df):
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom (nan for df <= 0)."""
    return special.stdtrit(df, p)


def t_cdf(x, df):
    """P(T <= x) for Student's t with ``df`` degrees of freedom (nan for df <= 0)."""
    return special.stdtr(df, x)


def normal_quantile(p):
    """The ``p`` quantile of the standard normal distribution."""
    return special.ndtri(p)
