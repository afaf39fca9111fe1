"""Refiners (converters): buy concentrate, convert it within capacity, sell battery-grade chemical.

A refiner bids for feed up to the netback its chemical will fetch, keeps a target feed cover, and
sells its chemical stock with the same inventory-driven asking rule as any seller. It expands
when it has run full and the expected conversion margin pays for new capacity.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lithium_abm.agents.base import BlockBuilder, ChemicalSeller, Firm, Group
from lithium_abm.agents.intents import Expansion
from lithium_abm.model.behaviour import (
    annuity_factor,
    bid_price,
    seller_ask,
    stock_curtailment,
)

if TYPE_CHECKING:
    from lithium_abm.agents.world import World


class Refiner(BlockBuilder, ChemicalSeller, Firm):
    """A converter of concentrate to chemical."""

    agent_type = "refiner"

    def __init__(
        self,
        world: World,
        name: str,
        region: str,
        capacity_tpa: float,
        owner_kind: str = "independent",
        group: Group | None = None,
        cash_usd: float = 0.0,
    ) -> None:
        super().__init__(world, name, region, owner_kind, group, cash_usd)
        self.p = p = world.params.refiner
        self._ask = world.params.ask
        self._invest = world.params.investment
        self.capacity_tpa = float(capacity_tpa)
        self.conversion_cost_usd_t = p.conversion_cost_in(region)
        self._lepidolite_extra_usd_t = world.quality_discount("lepidolite")
        self.feed_t = 0.0
        self.feed_lepidolite_t = 0.0
        self.feed_cost_usd = 0.0
        self.init_chemical_stock()
        self.output_t = 0.0
        self.utilisation_history: list[float] = []
        self.init_blocks()
        self.state = "active"

    @property
    def monthly_capacity_t(self) -> float:
        return self.capacity_tpa / 12.0

    def netback_usd_t(self) -> float:
        """What a tonne of feed is worth to this refiner at the last chemical price."""
        return self.world.last_price["chemical"] - self.conversion_cost_usd_t

    def _feed_supported(self) -> bool:
        """Whether it buys a full month's feed at a loss: a group's converter, or a state one
        under pressure against closure (``closure_pressure_enabled``)."""
        if not self.supported:
            return False
        if self.owner_kind == "state":
            return bool(self.world.params.policy.closure_pressure_enabled)
        return True

    def feed_wanted_t(self) -> float:
        """Feed to buy this month: a month's throughput plus a share of the cover gap."""
        p = self.p
        run_rate = 1.0 if self.netback_usd_t() > 0.0 or self._feed_supported() else 0.5
        run_rate *= stock_curtailment(self.chemical_t, self.monthly_capacity_t, p.max_stock_months)
        target = p.refiner_feed_cover_months * self.monthly_capacity_t
        wanted = self.monthly_capacity_t * run_rate + (target - self.feed_t) / 2.0
        return max(0.0, wanted)

    def feed_bid_usd_t(self) -> float:
        p = self.p
        target = p.refiner_feed_cover_months * self.monthly_capacity_t
        gap = (target - self.feed_t) / max(target, 1e-9)
        ceiling = max(1.0, self.netback_usd_t())
        last = self.world.last_price["concentrate"]
        if gap > 0.0 and ceiling > last:
            # Short of feed, idle capacity is the alternative: bid towards the full netback.
            return last + min(1.0, gap) * (ceiling - last)
        return bid_price(last, gap, p.bid_urgency, ceiling)

    # --- the Buyer protocol (concentrate market) ---------------------------------------------
    def wanted_t(self) -> float:
        return self.feed_wanted_t()

    def bids(self, remaining_t: float) -> list[tuple[float, float]]:
        """One bid for the feed captive supply left open (priced after captive receipts)."""
        return [(self.feed_bid_usd_t(), remaining_t)] if remaining_t > 1e-9 else []

    def receive_feed(self, quantity_t: float, price_usd_t: float, lepidolite_t: float) -> None:
        self.feed_t += quantity_t
        self.feed_lepidolite_t += lepidolite_t
        self.feed_cost_usd += quantity_t * price_usd_t

    # --- stage: conversion ---------------------------------------------------------------------
    def convert(self) -> None:
        """Turn feed into chemical up to capacity, paying conversion cost (more for lepidolite).

        With ``converter_curtailment_enabled`` a converter whose chemical does not sell cuts
        its run rate as any producer does (``max_stock_months``), keeping the rest of its feed
        as concentrate.
        """
        self.output_t = 0.0
        self.sold_t = 0.0
        self.revenue_usd = 0.0
        p = self.p
        if p.converter_curtailment_enabled:
            run_rate = stock_curtailment(
                self.chemical_t, self.monthly_capacity_t, p.max_stock_months
            )
            quantity = min(self.feed_t, self.monthly_capacity_t * run_rate)
        else:
            quantity = min(self.feed_t, self.monthly_capacity_t)
        self.utilisation_history.append(quantity / max(self.monthly_capacity_t, 1e-9))
        if quantity <= 0.0:
            return
        share = quantity / self.feed_t
        lepidolite = self.feed_lepidolite_t * share
        feed_cost = self.feed_cost_usd * share
        self.feed_t -= quantity
        self.feed_lepidolite_t -= lepidolite
        self.feed_cost_usd -= feed_cost
        conversion = quantity * self.conversion_cost_usd_t + lepidolite * (
            self._lepidolite_extra_usd_t
        )
        self.pay(self.world.suppliers_account, conversion, "conversion_cost")
        self.chemical_t += quantity
        self.chemical_cost_usd += feed_cost + conversion
        self.output_t = quantity

    # --- stage: selling chemical ---------------------------------------------------------------
    def ask_usd_t(self, last_price: float) -> float:
        return seller_ask(
            self._ask,
            last_price,
            self.chemical_t,
            self.monthly_capacity_t,
            self.unit_stock_cost_usd_t(),
        )

    # --- stage: investment ---------------------------------------------------------------------
    def consider_expansion(self) -> Expansion | None:
        """Expand by a block when it ran nearly full for three months and margins pay."""
        world = self.world
        invest = self._invest
        history = self.utilisation_history[-3:]
        if len(history) < 3 or min(history) < 0.85 or self.expanding_tpa >= self.capacity_tpa:
            return None
        capex, lead = world.converter_capex_and_lead(self.region)
        spread = world.smoothed_price("chemical") - world.smoothed_price("concentrate")
        margin = spread - self.conversion_cost_usd_t
        charge = capex * annuity_factor(invest.hurdle_rate, invest.project_life_years)
        excess = margin / charge - 1.0
        if excess <= 0.0 or world.rng.random() >= min(1.0, invest.invest_intensity * excess):
            return None
        block = max(10000.0, 0.5 * self.capacity_tpa)
        return Expansion(self, capex * block, block, lead, "capex_refining")
