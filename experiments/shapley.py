"""Shapley values over a full factorial of on/off switches, as pure functions over arrays.

A factorial over k switches has 2^k cells; cell ``c`` (an integer whose bit ``i`` is switch
``i``) holds the game's value v(S) for the coalition S of switches that are on. The Shapley value
of switch i is the weighted mean of its marginal contributions v(S + i) - v(S) over all S without
i, with weight |S|! (k - |S| - 1)! / k!; the values sum to v(all on) - v(all off) (efficiency).
The pairwise Shapley interaction index of i and j averages v(S+ij) - v(S+i) - v(S+j) + v(S) with
weight |S|! (k - |S| - 2)! / (k - 1)!.
"""

from __future__ import annotations

from math import factorial

import numpy as np


def _check(values: np.ndarray) -> int:
    values = np.asarray(values, dtype=float)
    k = int(round(np.log2(values.shape[0]))) if values.shape[0] > 0 else -1
    if k < 1 or 2**k != values.shape[0]:
        raise ValueError(f"a factorial needs 2^k cells (k >= 1), got {values.shape[0]}")
    return k


def cell_index(on: np.ndarray) -> np.ndarray:
    """Cell number of each row of a boolean matrix (rows: runs, columns: switches)."""
    on = np.asarray(on, dtype=bool)
    return (on.astype(np.int64) << np.arange(on.shape[1], dtype=np.int64)).sum(axis=1)


def shapley_values(values: np.ndarray) -> np.ndarray:
    """Exact Shapley value of each switch; ``values[c]`` is v of the coalition in cell c.

    ``values`` may carry trailing axes (e.g. metrics, bootstrap replicates); the result has
    shape ``(k, *values.shape[1:])``.
    """
    values = np.asarray(values, dtype=float)
    k = _check(values)
    cells = np.arange(2**k)
    sizes = np.array([bin(c).count("1") for c in cells])
    out = np.zeros((k, *values.shape[1:]))
    for i in range(k):
        without = cells[(cells >> i) & 1 == 0]
        s = sizes[without]
        weight = np.array([factorial(n) * factorial(k - n - 1) for n in s]) / factorial(k)
        diff = values[without | (1 << i)] - values[without]
        out[i] = np.tensordot(weight, diff, axes=(0, 0))
    return out


def interaction_index(values: np.ndarray) -> np.ndarray:
    """Pairwise Shapley interaction index, a symmetric (k, k, ...) array with zero diagonal."""
    values = np.asarray(values, dtype=float)
    k = _check(values)
    out = np.zeros((k, k, *values.shape[1:]))
    if k < 2:
        return out
    cells = np.arange(2**k)
    sizes = np.array([bin(c).count("1") for c in cells])
    for i in range(k):
        for j in range(i + 1, k):
            mask = ((cells >> i) & 1 == 0) & ((cells >> j) & 1 == 0)
            base = cells[mask]
            s = sizes[base]
            weight = np.array([factorial(n) * factorial(k - n - 2) for n in s]) / factorial(k - 1)
            bi, bj = 1 << i, 1 << j
            diff = values[base | bi | bj] - values[base | bi] - values[base | bj] + values[base]
            out[i, j] = out[j, i] = np.tensordot(weight, diff, axes=(0, 0))
    return out


def cell_means(cells: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    """Mean of ``values`` (runs, or runs x metrics) in each of the 2^k cells (NaN if empty)."""
    cells = np.asarray(cells, dtype=np.int64)
    values = np.asarray(values, dtype=float)
    flat = values.reshape(values.shape[0], -1)
    out = np.full((2**k, flat.shape[1]), np.nan)
    for c in range(2**k):
        rows = flat[cells == c]
        if rows.shape[0]:
            with np.errstate(invalid="ignore"):
                out[c] = np.nanmean(rows, axis=0) if np.isfinite(rows).any() else np.nan
    return out.reshape((2**k, *values.shape[1:]))


def bootstrap_shapley(
    table: np.ndarray, replicates: int = 1000, seed: int = 0, level: float = 0.9
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of the Shapley values by resampling seeds.

    ``table`` has shape (2^k cells, n seeds): the metric of each cell in each seed (the same
    seeds in every cell, so a replicate resamples whole seeds, keeping the pairing). Returns
    (low, high), each of shape (k,).
    """
    table = np.asarray(table, dtype=float)
    _check(table)
    n = table.shape[1]
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, n, size=(replicates, n))
    with np.errstate(invalid="ignore"):
        means = np.stack([np.nanmean(table[:, p], axis=1) for p in picks], axis=1)
    draws = shapley_values(means)  # (k, replicates)
    tail = (1.0 - level) / 2.0
    low = np.nanquantile(draws, tail, axis=1)
    high = np.nanquantile(draws, 1.0 - tail, axis=1)
    return low, high
