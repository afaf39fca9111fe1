"""Exogenous lithium demand: an annual path interpolated to months, with a price response."""

from __future__ import annotations

import numpy as np


def monthly_demand_path_t(
    start_year: int, start_month: int, n_months: int, path: tuple[tuple[int, float], ...]
) -> np.ndarray:
    """Monthly demand (t LCE per month) from annual figures (t LCE per year).

    Annual values are placed at mid-year and interpolated log-linearly, so growth rates are
    smooth between calibration points; beyond the ends the end growth rate is extrapolated.
    """
    if len(path) < 2:
        raise ValueError("demand path needs at least two (year, tonnes) points")
    years = np.array([y for y, _ in path], dtype=float) + 0.5 - 1.0 / 24.0
    values = np.array([v for _, v in path], dtype=float)
    if np.any(values <= 0) or np.any(np.diff(years) <= 0):
        raise ValueError("demand path needs increasing years and positive tonnes")
    t = start_year + (start_month - 1) / 12.0 + np.arange(n_months) / 12.0
    logs = np.log(values)
    inside = np.interp(t, years, logs)
    first_slope = (logs[1] - logs[0]) / (years[1] - years[0])
    last_slope = (logs[-1] - logs[-2]) / (years[-1] - years[-2])
    inside = np.where(t < years[0], logs[0] + first_slope * (t - years[0]), inside)
    inside = np.where(t > years[-1], logs[-1] + last_slope * (t - years[-1]), inside)
    return np.exp(inside) / 12.0


def price_response(base_t: float, price_usd_t: float, reference_usd_t: float, elasticity: float):
    """Demand after a constant-elasticity response to the (smoothed) price."""
    if price_usd_t <= 0.0:
        return base_t
    return base_t * (price_usd_t / reference_usd_t) ** elasticity
