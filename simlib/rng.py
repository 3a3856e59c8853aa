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
    """Uniform draws keyed by (seed, decision, day, customer).

    Several replications can share one population (a block of ``block`` customers each,
    replication r holding customers r*block ... (r+1)*block - 1): ``seed`` is then a list, one
    seed per replication, and customer r*block + i draws exactly what customer i draws in a run
    of its own with seed r, so a batch of replications gives the numbers of separate runs."""

    def __init__(self, seed, block: int | None = None):
        seeds = list(seed) if isinstance(seed, (list, tuple, np.ndarray)) else [seed]
        for s in seeds:
            if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0:
                raise ValueError(f"seed must be a non-negative integer, got {s!r}")
        if not seeds:
            raise ValueError("at least one seed")
        self.seeds = [int(s) for s in seeds]
        self.seed = self.seeds[0]
        self.block = int(block) if block is not None and len(self.seeds) > 1 else None
        self._decisions: dict[str, int] = {}

    def key(self, decision: str, day: int, seed: int | None = None) -> int:
        d = self._decisions.get(decision)
        if d is None:
            d = self._decisions[decision] = decision_id(decision)
        s = self.seed if seed is None else seed
        return _mix64(_mix64(_mix64(s) ^ d) ^ ((int(day) + (1 << 32)) & _MASK))

    def _base(self, decision: str, day: int, idx) -> np.ndarray:
        """idx * golden + the key of (seed, decision, day), per customer's replication."""
        idx = np.asarray(idx, dtype=np.uint64)
        with np.errstate(over="ignore"):
            if self.block is None:
                return idx * _GOLDEN + np.uint64(self.key(decision, day))
            keys = np.array([self.key(decision, day, s) for s in self.seeds], np.uint64)
            rep = idx // np.uint64(self.block)
            return (idx - rep * np.uint64(self.block)) * _GOLDEN + keys[rep]

    def bits(self, decision: str, day: int, idx) -> np.ndarray:
        """64 random bits per customer index in ``idx`` (an integer array)."""
        with np.errstate(over="ignore"):
            z = self._base(decision, day, idx)
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
