"""Whole numbers from shares: the market's customers per channel, a customer file's rows per
channel. Its own module so that ``population`` and ``seating`` both use it without importing
each other."""

from __future__ import annotations

import numpy as np


def apportion(shares: np.ndarray, n: int) -> np.ndarray:
    """Whole counts proportional to ``shares``, summing to ``n`` (largest remainder)."""
    exact = shares / shares.sum() * n
    size = np.floor(exact).astype(np.int64)
    rest = n - size.sum()
    size[np.argsort(-(exact - size), kind="stable")[:rest]] += 1
    return size
