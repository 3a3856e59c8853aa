"""Keyed, counter-based random numbers for common random numbers (CRN).

Every draw is a pure function of its key: (seed, decision, day, customer index) for
decisions taken on the calendar (``uniform``), or (seed, decision, customer index, the
customer's own occurrence number) for decisions a customer takes in their own life
(``uniform_nth``: the clock of their j-th stage, the dropout after their k-th order). A
64-bit key is mixed from (seed, decision, day) once, the customer index is the counter,
finalised with SplitMix64. So the same customer meets the same numbers whatever else a
scenario changes, with no generator per customer and no state to carry between days, and
draws for a sparse subset of customers cost only that subset.
"""

from __future__ import annotations

import hashlib

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_MASK = (1 << 64) - 1


def _mix64(x: int) -> int:
    """SplitMix64 finaliser on a Python int (for keys)."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def decision_id(name: str) -> int:
    """A stable 64-bit id for a decision name (independent of Python's hash seed)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


class Keyed:
    """Uniform draws keyed by (seed, decision, day, customer)."""

    def __init__(self, seed: int):
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        self.seed = int(seed)
        self._decisions: dict[str, int] = {}

    def key(self, decision: str, day: int) -> int:
        d = self._decisions.get(decision)
        if d is None:
            d = self._decisions[decision] = decision_id(decision)
        return _mix64(_mix64(_mix64(self.seed) ^ d) ^ ((int(day) + (1 << 32)) & _MASK))

    def bits(self, decision: str, day: int, idx) -> np.ndarray:
        """64 random bits per customer index in ``idx`` (an integer array)."""
        with np.errstate(over="ignore"):
            z = np.asarray(idx, dtype=np.uint64) * _GOLDEN + np.uint64(self.key(decision, day))
            z ^= z >> np.uint64(30)
            z *= _M1
            z ^= z >> np.uint64(27)
            z *= _M2
            z ^= z >> np.uint64(31)
        return z

    def uniform(self, decision: str, day: int, idx) -> np.ndarray:
        """Float64 uniforms in the open interval (0, 1): safe under log, never exactly 1."""
        z = self.bits(decision, day, idx) >> np.uint64(11)
        return (z.astype(np.float64) + 0.5) * (1.0 / 9007199254740992.0)

    def exponential(self, decision: str, day: int, idx) -> np.ndarray:
        """Unit-rate exponential draws (float64)."""
        return -np.log(self.uniform(decision, day, idx))

    def uniform_nth(self, decision: str, idx, nth) -> np.ndarray:
        """Uniforms in (0, 1) keyed by customer and that customer's occurrence number ``nth``
        (an array like ``idx``): customer i's n-th draw of a decision is the same in every arm,
        whenever it happens."""
        first = self.bits(decision, 0, idx)
        with np.errstate(over="ignore"):
            z = first + (np.asarray(nth, dtype=np.uint64) + np.uint64(1)) * _GOLDEN
            z ^= z >> np.uint64(30)
            z *= _M1
            z ^= z >> np.uint64(27)
            z *= _M2
            z ^= z >> np.uint64(31)
        return ((z >> np.uint64(11)).astype(np.float64) + 0.5) * (1.0 / 9007199254740992.0)

    def exponential_nth(self, decision: str, idx, nth) -> np.ndarray:
        return -np.log(self.uniform_nth(decision, idx, nth))

    def erlang_nth(self, decision: str, idx, nth, k: int) -> np.ndarray:
        """Erlang-k draws (sum of ``k`` unit exponentials, mean k), keyed like ``uniform_nth``: the
        n-th uses occurrences n*k ... n*k + k - 1, so k = 1 is ``exponential_nth`` itself."""
        if k == 1:
            return self.exponential_nth(decision, idx, nth)
        nth = np.asarray(nth, np.int64) * k
        return sum(self.exponential_nth(decision, idx, nth + j) for j in range(k))
