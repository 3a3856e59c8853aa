"""Keyed, counter-based random numbers for common random numbers (CRN).

Every draw is a pure function of its key: (seed, decision, day, customer index) for
decisions taken on the calendar (``uniform``), or (seed, decision, customer index, the
customer's own occurrence number) for decisions a customer takes in their own life
(``uniform_nth``: the clock of their j-th stage, the dropout after their k-th order). A
64-bit key is mixed from (seed, decision, day) once, the customer index is the counter,
finalised with SplitMix64. So the same customer meets the same numbers whatever else a
scenario changes, with no generator per customer and no state to carry between days, and
draws for a sparse subset of customers cost only that subset.

The hash and the transforms of a uniform (exponential, Erlang-k, normal) are written once, as
compiled scalar functions (``finalise``, ``day_uniform``, ``nth_uniform``, ``normal_quantile``):
the population step calls them per customer, and ``Keyed`` runs them over arrays.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
from .compiled import compiled

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_ONE = np.uint64(1)
_MASK = (1 << 64) - 1
_TO_UNIT = 1.0 / 9007199254740992.0   # 2^-53


@compiled(inline=True)
def finalise(z):
    """SplitMix64's finaliser: 64 well-mixed bits from a uint64."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@compiled(inline=True)
def to_unit(z) -> float:
    """A uniform in the open interval (0, 1) from 64 bits (their top 53): safe under log, never 1."""
    return (float(z >> _S11) + 0.5) * _TO_UNIT


@compiled(inline=True)
def day_uniform(key, local) -> float:
    """The uniform of customer ``local`` (numbered within their replication) for the decision
    whose (seed, decision, day) key is ``key``."""
    return to_unit(finalise(np.uint64(local) * GOLDEN + key))


@compiled(inline=True)
def nth_uniform(key0, local, nth) -> float:
    """Customer ``local``'s ``nth`` uniform of a decision they take in their own life; ``key0``
    is the decision's key on day 0."""
    first = finalise(np.uint64(local) * GOLDEN + key0)
    return to_unit(finalise(first + (np.uint64(nth) + _ONE) * GOLDEN))


@compiled(inline=True)
def nth_exponential(key0, local, nth) -> float:
    return -math.log(nth_uniform(key0, local, nth))


@compiled(inline=True)
def nth_erlang(key0, local, nth, k) -> float:
    """An Erlang-k draw (sum of ``k`` unit exponentials, mean k): the n-th uses occurrences
    n*k ... n*k + k - 1, so k = 1 is ``nth_exponential`` itself."""
    total = 0.0
    for j in range(k):
        total += nth_exponential(key0, local, np.int64(nth) * k + j)
    return total


# Wichura's algorithm AS 241 (Applied Statistics 37, 1988), PPND16: the normal quantile to
# about 1e-16 relative accuracy, in three rational approximations.
_CENTRAL_A = (3.387132872796366608, 133.14166789178437745, 1971.5909503065514427, 13731.693765509461125,
              45921.953931549871457, 67265.770927008700853, 33430.575583588128105, 2509.0809287301226727)
_CENTRAL_B = (1.0, 42.313330701600911252, 687.1870074920579083, 5394.1960214247511077,
              21213.794301586595867, 39307.89580009271061, 28729.085735721942674, 5226.495278852545925)
_NEAR_A = (1.42343711074968357734, 4.6303378461565452959, 5.7694972214606914055, 3.64784832476320460504,
           1.27045825245236838258, 0.24178072517745061177, 0.0227238449892691845833, 7.7454501427834140764e-4)
_NEAR_B = (1.0, 2.05319162663775882187, 1.6763848301838038494, 0.68976733498510000455,
           0.14810397642748007459, 0.0151986665636164571966, 5.475938084995344946e-4, 1.05075007164441684324e-9)
_TAIL_A = (6.6579046435011037772, 5.4637849111641143699, 1.7848265399172913358, 0.29656057182850489123,
           0.026532189526576123093, 0.0012426609473880784386, 2.71155556874348757815e-5, 2.01033439929228813265e-7)
_TAIL_B = (1.0, 0.59983220655588793769, 0.13692988092273580531, 0.0148753612908506148525,
           7.868691311456132591e-4, 1.8463183175100546818e-5, 1.4215117583164458887e-7, 2.04426310338993978564e-15)


@compiled
def _ratio(a, b, x) -> float:
    num, den = a[7], b[7]
    for j in range(6, -1, -1):
        num = num * x + a[j]
        den = den * x + b[j]
    return num / den


@compiled(inline=True)
def normal_quantile(u) -> float:
    """The standard normal quantile of ``u`` in (0, 1)."""
    q = u - 0.5
    if abs(q) <= 0.425:
        return q * _ratio(_CENTRAL_A, _CENTRAL_B, 0.180625 - q * q)
    r = math.sqrt(-math.log(u if q < 0 else 1.0 - u))
    z = _ratio(_NEAR_A, _NEAR_B, r - 1.6) if r <= 5.0 else _ratio(_TAIL_A, _TAIL_B, r - 5.0)
    return -z if q < 0 else z


@compiled(inline=True)
def keyed_uniform(keys, block, i) -> float:
    """Customer i's uniform of ``Keyed.uniform`` given its ``keys`` and ``block`` (``Keyed.day_keys``):
    for a compiled pass that draws as it goes."""
    rep = i // block
    return day_uniform(keys[rep], i - rep * block)


@compiled
def _day_uniforms(keys, block, idx, out):
    for j in range(idx.size):
        out[j] = keyed_uniform(keys, block, idx[j])


@compiled
def _nth_uniforms(keys, block, idx, nth, out):
    for j in range(idx.size):
        i = idx[j]
        rep = i // block
        out[j] = nth_uniform(keys[rep], i - rep * block, nth[j])


def _mix64(x: int) -> int:
    """SplitMix64 (the golden-ratio step, then the finaliser) on a Python int (for keys)."""
    return int(finalise(np.uint64((x + 0x9E3779B97F4A7C15) & _MASK)))


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
        self._seeded: dict[str, list[int]] = {}   # decision -> per-seed part of the key

    def _seed_parts(self, decision: str) -> list[int]:
        parts = self._seeded.get(decision)
        if parts is None:
            d = decision_id(decision)
            parts = self._seeded[decision] = [_mix64(_mix64(s) ^ d) for s in self.seeds]
        return parts

    def key(self, decision: str, day: int, seed: int | None = None) -> int:
        """The 64-bit key of (seed, decision, day); ``seed`` defaults to the first."""
        if seed is None or seed == self.seed:
            part = self._seed_parts(decision)[0]
        else:
            part = _mix64(_mix64(seed) ^ decision_id(decision))
        return _mix64(part ^ ((int(day) + (1 << 32)) & _MASK))

    def keys(self, decision: str, day: int) -> np.ndarray:
        """``key(decision, day)`` of every seed, as uint64 (one per replication)."""
        tail = (int(day) + (1 << 32)) & _MASK
        return np.array([_mix64(part ^ tail) for part in self._seed_parts(decision)], np.uint64)

    def _block(self) -> int:
        return self.block if self.block is not None else 1 << 62

    def day_keys(self, decision: str, day: int) -> tuple[np.ndarray, int]:
        """The keys and block that ``keyed_uniform`` draws ``uniform(decision, day, idx)`` from,
        customer by customer, in a compiled pass."""
        return self.keys(decision, day), self._block()

    def uniform(self, decision: str, day: int, idx) -> np.ndarray:
        """Float64 uniforms in the open interval (0, 1): safe under log, never exactly 1."""
        idx = np.ascontiguousarray(idx, dtype=np.int64)
        out = np.empty(idx.shape, np.float64)
        _day_uniforms(self.keys(decision, day), self._block(), idx.reshape(-1), out.reshape(-1))
        return out

    def exponential(self, decision: str, day: int, idx) -> np.ndarray:
        """Unit-rate exponential draws (float64)."""
        return -np.log(self.uniform(decision, day, idx))

    def uniform_nth(self, decision: str, idx, nth) -> np.ndarray:
        """Uniforms in (0, 1) keyed by customer and that customer's occurrence number ``nth``
        (an array like ``idx``): customer i's n-th draw of a decision is the same in every arm,
        whenever it happens."""
        idx = np.ascontiguousarray(idx, dtype=np.int64)
        nth = np.ascontiguousarray(np.broadcast_to(nth, idx.shape), dtype=np.int64)
        out = np.empty(idx.shape, np.float64)
        _nth_uniforms(self.keys(decision, 0), self._block(), idx.reshape(-1), nth.reshape(-1), out.reshape(-1))
        return out

    def exponential_nth(self, decision: str, idx, nth) -> np.ndarray:
        return -np.log(self.uniform_nth(decision, idx, nth))

    def erlang_nth(self, decision: str, idx, nth, k: int) -> np.ndarray:
        """Erlang-k draws keyed like ``uniform_nth`` (see ``nth_erlang``)."""
        if k == 1:
            return self.exponential_nth(decision, idx, nth)
        nth = np.asarray(nth, np.int64) * k
        return sum(self.exponential_nth(decision, idx, nth + j) for j in range(k))
