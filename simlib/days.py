"""Day numbers shared by the state modules: the sentinel for "no such day" in int16 day arrays.

Its own module so that ``population`` (the market) and ``coupons`` (the coupon each customer
holds) both read it without importing each other.
"""

from __future__ import annotations

import numpy as np

NEVER = np.int16(-32768)  # "no such day" in int16 day arrays
