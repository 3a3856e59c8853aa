"""Student-t and normal quantiles and distribution functions for the comparison statistics.

These are ``scipy.special``'s functions, the very ones ``scipy.stats.t.ppf``, ``t.cdf``,
``norm.ppf`` and ``nct.sf`` evaluate, so the numbers are the same bit for bit
(tests/test_distributions.py); calling them directly spares a comparison importing
``scipy.stats`` (0.5-1 CPU s under load, paid before the first run starts or after the last).
"""

from __future__ import annotations

import numpy as np
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


def noncentral_t_sf(x, df, nc):
    """P(T > x) for the noncentral t with ``df`` degrees of freedom and noncentrality ``nc``:
    what ``scipy.stats.nct.sf`` evaluates (scipy.special's Boost-based ``_nct_sf``, clipped to
    [0, 1]); through scipy.stats where this scipy has no such function."""
    try:
        from scipy.special._ufuncs import _nct_sf
    except ImportError:   # another scipy: the public way (imports scipy.stats)
        from scipy import stats
        return stats.nct.sf(x, df, nc)
    with np.errstate(over="ignore"):
        return np.clip(_nct_sf(x, df, nc), 0, 1)
