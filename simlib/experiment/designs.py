"""Designs of experiments over uncertainties and levers: full grid, Latin hypercube, Sobol'.

A design is a DataFrame with one row per design point and one column per parameter key
(dotted scenario keys), values already mapped through each parameter's range/distribution.
Every design is a deterministic function of its seed.
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from .spec import ExperimentError, Parameter


def unit_sample(kind: str, n: int, d: int, seed: int) -> np.ndarray:
    """n points in [0, 1)^d: 'lhs' (Latin hypercube) or 'sobol' (scrambled Sobol')."""
    from scipy.stats import qmc   # here: a comparison never needs scipy.stats (0.3-0.5 s to import)
    rng = np.random.default_rng(seed)
    if kind == "lhs":
        return qmc.LatinHypercube(d=d, rng=rng).random(n)
    if kind == "sobol":
        m = int(np.ceil(np.log2(max(n, 2))))
        pts = qmc.Sobol(d=d, scramble=True, rng=rng).random_base2(m)
        return pts[:n]  # first n points of a balanced 2^m set
    if kind == "random":
        return rng.random((n, d))
    raise ExperimentError(f"unknown design '{kind}'; allowed: grid, lhs, sobol")


def to_frame(params: list[Parameter], unit: np.ndarray) -> pd.DataFrame:
    cols = {p.key: [p.to_plain(v) for v in p.from_unit(unit[:, j])] for j, p in enumerate(params)}
    df = pd.DataFrame(cols)
    df.index.name = "point"
    return df


def grid(params: list[Parameter], levels: int) -> pd.DataFrame:
    axes = [p.grid(levels) for p in params]
    rows = list(itertools.product(*axes))
    df = pd.DataFrame(rows, columns=[p.key for p in params])
    df.index.name = "point"
    return df


def make_design(kind: str, params: list[Parameter], *, points: int = 32, levels: int = 5,
                seed: int = 0) -> pd.DataFrame:
    """The design points, one row each, columns = parameter keys."""
    if not params:
        df = pd.DataFrame(index=pd.RangeIndex(1, name="point"))
        return df
    if kind == "grid":
        return grid(params, levels)
    return to_frame(params, unit_sample(kind, points, len(params), seed))


def saltelli(params: list[Parameter], n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Points for Sobol' indices: matrices A, B and AB_i (A with column i from B).

    Returns the design (n*(d+2) rows, ordered A, B, AB_1..AB_d) and a block label per row
    (0 = A, 1 = B, 2 + i = AB_i), the layout `scipy.stats.sobol_indices` expects.
    """
    d = len(params)
    base = unit_sample("sobol", n, 2 * d, seed)
    A, B = base[:, :d], base[:, d:]
    blocks = [A, B]
    for i in range(d):
        ab = A.copy()
        ab[:, i] = B[:, i]
        blocks.append(ab)
    unit = np.vstack(blocks)
    labels = np.repeat(np.arange(d + 2), n)
    return to_frame(params, unit), labels


def around(params: list[Parameter], centres: pd.DataFrame, width: float, n_each: int,
           seed: int) -> pd.DataFrame:
    """Latin-hypercube points in boxes of relative `width` around each centre (refinement)."""
    rows = []
    for c_i, (_, centre) in enumerate(centres.iterrows()):
        u = unit_sample("lhs", n_each, len(params), seed + 7919 * (c_i + 1))
        row = {}
        for j, p in enumerate(params):
            if p.values is not None:
                k = list(p.values).index(centre[p.key]) if centre[p.key] in p.values else 0
                span = max(1, int(round(width * len(p.values))))
                idx = np.clip(k + np.round((u[:, j] - 0.5) * 2 * span).astype(int), 0, len(p.values) - 1)
                row[p.key] = [p.values[i] for i in idx]
            else:
                half = width * (float(p.high) - float(p.low)) / 2
                x = float(centre[p.key]) + (2 * u[:, j] - 1) * half
                row[p.key] = [p.to_plain(p.clip(v)) for v in x]
        rows.append(pd.DataFrame(row))
    df = pd.concat(rows, ignore_index=True)
    df.index.name = "point"
    return df
