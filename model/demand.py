"""Exogenous lithium demand: an annual path interpolated to months, with a price response."""

from __future__ import annotations

import numpy as np

from lithium_abm.model import portable_math


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
    logs = portable_math.log(values)
    inside = np.interp(t, years, logs)
    first_slope = (logs[1] - logs[0]) / (years[1] - years[0])
    last_slope = (logs[-1] - logs[-2]) / (years[-1] - years[-2])
    inside = np.where(t < years[0], logs[0] + first_slope * (t - years[0]), inside)
    inside = np.where(t > years[-1], logs[-1] + last_slope * (t - years[-1]), inside)
    return portable_math.exp(inside) / 12.0


def price_response(base_t: float, price_usd_t: float, reference_usd_t: float, elasticity: float):
    """Demand after a constant-elasticity response to the (smoothed) price."""
    if price_usd_t <= 0.0:
        return base_t
    return base_t * (price_usd_t / reference_usd_t) ** elasticity


# China's EV purchase support by year relative to the 2022 purchase subsidy (the purchase subsidy
# ended in 2022; trade-in subsidies doubled in 2024: public policy record, not copied into the
# repository). The demand path already contains
# this history, so only departures from it move demand.
def ev_support_history(year: float) -> float:
    if year < 2023.0:
        return 1.0
    if year < 2024.0:
        return 0.0
    return 2.0


def ev_subsidy_factor(year: float, level_2024: float, uplift: float, china_share: float) -> float:
    """Demand multiplier when China's EV support from 2024 differs from history."""
    if year < 2024.0:
        return 1.0
    change = level_2024 - ev_support_history(year)
    return max(0.0, 1.0 + uplift * china_share * change)


# LFP share of battery capacity (IEA Global EV Outlook: about a third in 2015-2020 with China's
# buses, about 40% of EV batteries in 2023, rising); the demand path assumes this mix.
LFP_SHARE_POINTS: tuple[tuple[float, float], ...] = (
    (2015.0, 0.35),
    (2020.0, 0.30),
    (2023.0, 0.40),
    (2030.0, 0.50),
)


def lfp_share(year: float) -> float:
    years = [y for y, _ in LFP_SHARE_POINTS]
    shares = [s for _, s in LFP_SHARE_POINTS]
    return float(np.interp(year, years, shares))


def chemistry_factor(
    year: float, shift: float, intensity_lfp: float, intensity_ncm: float
) -> float:
    """Lithium per kWh with the LFP share shifted (phased in over 2025-2027) over the path's mix."""
    base = lfp_share(year)
    phase = min(1.0, max(0.0, (year - 2025.0) / 3.0))
    shifted = min(1.0, max(0.0, base + shift * phase))

    def intensity(share: float) -> float:
        return share * intensity_lfp + (1.0 - share) * intensity_ncm

    return intensity(shifted) / intensity(base)


def next_substitution_share(
    share: float, smoothed_price: float, threshold_usd_t: float, max_share: float, speed: float
) -> float:
    """Share of lithium demand taken by substitutes (sodium-ion) next month.

    The target rises with how far the smoothed price is above the threshold (full at twice it).
    Capacity for substitutes is built at ``speed`` and, once built, unwinds four times slower.
    """
    excess = smoothed_price / threshold_usd_t - 1.0
    target = max_share * min(1.0, max(0.0, excess))
    rate = speed if target > share else speed / 4.0
    return share + rate * (target - share)
