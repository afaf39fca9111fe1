"""Retirement of batteries and the lithium they return: pure functions over arrays.

Lithium consumed by battery makers goes into use; it comes back, years later, when the batteries
retire. The retirement flow is the consumption history convolved with a lifetime distribution.
Only the battery part of lithium use is recyclable (glass, ceramics and greases are not), and
that part grew from about a third of use in 2015 to nearly all of it.
"""

from __future__ import annotations

import math

import numpy as np

from lithium_abm.model import portable_math

# Share of lithium end use that goes into batteries (USGS Mineral Commodity Summaries, lithium:
# batteries 35% of end use in 2015, 71% in 2020, 87% in 2024); held flat beyond the ends.
BATTERY_SHARE_POINTS: tuple[tuple[float, float], ...] = (
    (2015.0, 0.35),
    (2020.0, 0.71),
    (2024.0, 0.87),
    (2030.0, 0.92),
)


def battery_share_of_use(year: np.ndarray | float) -> np.ndarray:
    """Share of lithium consumption that ends up in batteries, by (fractional) year."""
    years = np.array([y for y, _ in BATTERY_SHARE_POINTS])
    shares = np.array([s for _, s in BATTERY_SHARE_POINTS])
    return np.interp(np.asarray(year, dtype=float), years, shares)


def lifetime_pmf(mean_years: float, sd_years: float, max_years: float = 30.0) -> np.ndarray:
    """Monthly probability that a battery retires at age k months (k = 0 .. max), lognormal.

    A lognormal keeps ages positive and has the long right tail of second-life use. The mass
    beyond ``max_years`` is dropped (it is a tiny share for realistic lives), so the array sums to
    slightly less than one rather than piling unretired batteries into the last month.
    """
    if mean_years <= 0.0 or sd_years <= 0.0:
        raise ValueError("battery life mean and spread must be positive")
    sigma2 = math.log(1.0 + (sd_years / mean_years) ** 2)
    mu = math.log(mean_years) - 0.5 * sigma2
    edges_years = np.arange(int(max_years * 12) + 2) / 12.0
    z = (portable_math.log(np.maximum(edges_years, 1e-12)) - mu) / math.sqrt(2.0 * sigma2)
    cdf = 0.5 * (1.0 + np.vectorize(math.erf)(z))
    cdf[0] = 0.0
    return np.diff(cdf)


def collection_rate(year: float, rate_2020: float, growth_per_year: float, cap: float) -> float:
    """Share of retired battery lithium collected for formal recycling in ``year``.

    Grows linearly from its 2020 value (41% of retired batteries recycled,
    docs/sources/seeds/002 line 299) by ``growth_per_year`` towards the policy ``cap``; never
    below zero.
    """
    return float(min(cap, max(0.0, rate_2020 + growth_per_year * (year - 2020.0))))


def retirements_t(in_use_history_t: np.ndarray, pmf: np.ndarray) -> float:
    """Lithium retiring this month: past monthly additions to use weighted by retirement age.

    ``in_use_history_t[-1]`` is last month's addition, ``[-k-1]`` the one k months before; the
    addition of this month cannot retire in the same month.
    """
    n = min(len(in_use_history_t), len(pmf) - 1)
    if n <= 0:
        return 0.0
    recent_first = in_use_history_t[::-1][:n]
    return float(np.dot(recent_first, pmf[1 : n + 1]))
