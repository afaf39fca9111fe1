"""Pure decision rules shared by agents: expectations, asks and bids.

They take numbers and return numbers, so they can be tested and reasoned about without Mesa.
Agents call them with their own state and parameters.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lithium_abm.model.param_groups import AskParams


def expected_growth(recent_price: float, slow_price: float, lag_months: float = 5.0) -> float:
    """Annualised price growth an observer infers from a short and a long average.

    The 3-month and 12-month averages are centred about ``lag_months`` apart; their log ratio,
    scaled to a year and bounded to +-200%, is the trend a boundedly rational agent extrapolates.
    """
    if recent_price <= 0.0 or slow_price <= 0.0:
        return 0.0
    growth = math.log(recent_price / slow_price) * 12.0 / lag_months
    return max(-2.0, min(2.0, growth))


def expected_price(
    smoothed_price: float, growth: float, trend_weight: float, horizon_months: float
) -> float:
    """Adaptive expectation plus trend extrapolation over a horizon, bounded to [1/3, 3]x."""
    factor = 1.0 + trend_weight * growth * horizon_months / 12.0
    return smoothed_price * max(1.0 / 3.0, min(3.0, factor))


def anchored_outlook(
    smoothed_price: float,
    growth: float,
    trend_weight: float,
    horizon_months: float,
    long_run_price: float,
    anchor_weight: float,
) -> float:
    """An investor's price outlook: a long-run price deck blended with the adaptive,
    trend-following expectation over the horizon (Sterman's anchoring and adjustment)."""
    outlook = expected_price(smoothed_price, growth, trend_weight, horizon_months)
    return anchor_weight * long_run_price + (1.0 - anchor_weight) * outlook


def ask_price(
    last_price: float,
    inventory_t: float,
    monthly_output_t: float,
    target_cover_months: float,
    cost_floor_usd_t: float,
    discount_per_month: float,
    tightness_premium: float,
    distress_cover_months: float,
    distress_floor_share: float = 0.6,
) -> float:
    """The price a seller asks for all it holds.

    Below its target inventory a seller asks a little more than the last price; above it, it
    undercuts in proportion to the excess cover. It does not sell below its cash cost unless its
    inventory grows past target, when the floor falls linearly to ``distress_floor_share`` of the
    cost at the distress cover: a seller in distress takes a loss, but not any price at all.
    """
    flow = max(monthly_output_t, 1e-9)
    cover = inventory_t / flow
    if cover < target_cover_months:
        ask = last_price * (1.0 + tightness_premium * (1.0 - cover / target_cover_months))
    else:
        ask = last_price * max(0.05, 1.0 - discount_per_month * (cover - target_cover_months))
    span = max(distress_cover_months - target_cover_months, 1e-9)
    excess = min(1.0, max(0.0, (cover - target_cover_months) / span))
    floor_weight = 1.0 - (1.0 - distress_floor_share) * excess
    return max(ask, cost_floor_usd_t * floor_weight, 1.0)


def seller_ask(
    params: AskParams, last_price: float, stock_t: float, monthly_flow_t: float, floor_usd_t: float
) -> float:
    """``ask_price`` with the sellers' common parameters (target cover: one month of flow)."""
    return ask_price(
        last_price,
        stock_t,
        monthly_flow_t,
        1.0,
        floor_usd_t,
        params.ask_inventory_discount,
        params.ask_tightness_premium,
        params.distress_cover_months,
        params.distress_floor_share,
    )


def bid_price(
    last_price: float, inventory_gap_ratio: float, urgency: float, ceiling_usd_t: float
) -> float:
    """A buyer's bid: the last price marked up by its relative inventory shortfall, capped."""
    gap = max(-1.0, min(1.0, inventory_gap_ratio))
    return max(1.0, min(ceiling_usd_t, last_price * (1.0 + urgency * gap)))


def annuity_factor(rate_per_year: float, life_years: float) -> float:
    """Capital recovery factor: yearly payment per dollar of capex over the project's life."""
    if rate_per_year <= 0.0:
        return 1.0 / life_years
    return rate_per_year / (1.0 - (1.0 + rate_per_year) ** (-life_years))


def stock_curtailment(stock_t: float, monthly_capacity_t: float, max_stock_months: float) -> float:
    """Share of capacity a producer runs at, given its unsold stock.

    Full output up to ``max_stock_months`` of cover, falling linearly to a quarter of capacity
    at twice that cover: a producer that cannot sell what it makes cuts back.
    """
    if monthly_capacity_t <= 0.0:
        return 1.0
    cover = stock_t / monthly_capacity_t
    if cover <= max_stock_months:
        return 1.0
    return max(0.25, 1.0 - 0.75 * (cover - max_stock_months) / max_stock_months)
