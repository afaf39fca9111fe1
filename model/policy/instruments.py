"""The policy instruments governments hold, each a small class on the ``Instrument`` hooks.

Trade: royalty, import tariff, export duties (chemical, concentrate), state profit share,
technology export control.
Support (China's self-sufficiency policy, active while ``state_support_enabled``): production
subsidy, cheap power, pressure against closure, equity stakes in projects. Environment:
inspections with fines and shutdowns. Resources: orefield reserves, the strategic stockpile.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from lithium_abm.model.policy.instrument import Instrument, register

if TYPE_CHECKING:
    from lithium_abm.agents.government import Government
    from lithium_abm.agents.world import World
    from lithium_abm.model.markets.orders import Trades


# --- trade and resource rent ------------------------------------------------------------------
@register
class Royalty(Instrument):
    """A royalty on the sales value of mines in the region (level: share of value)."""

    name = "royalty"

    def at_sale(self, gov: Government, seller: Any, value_usd: float) -> None:
        if self.level > 0.0:
            seller.pay(gov.account, value_usd * self.level, "royalties")


@register
class Tariff(Instrument):
    """An import tariff on the imported share of chemical bought in the region."""

    name = "tariff"

    def at_purchase(
        self, gov: Government, buyer: Any, fill_t: float, price_usd_t: float, imported: float
    ) -> None:
        if self.level <= 0.0:
            return
        duty = self.level * price_usd_t * fill_t * imported
        if duty > 0.0:
            buyer.pay(gov.account, duty, "tariffs")
            buyer.inventory_cost_usd += duty


@register
class ExportDuty(Instrument):
    """A duty on chemical the region's sellers sell abroad, on the share bought abroad."""

    name = "export_duty"
    product = "chemical"

    def at_market_settlement(self, gov: Government, product: str, trades: Trades) -> None:
        rate = self.level
        if product != self.product or rate <= 0.0 or trades.zone is not None:
            return  # in regional markets the exporting traders pay the duty at the border
        region = gov.region
        volume = float(np.sum(trades.bid_fills))
        abroad = sum(
            float(f)
            for b, f in zip(trades.buyers, trades.bid_fills, strict=True)
            if b.region != region
        )
        if volume <= 0.0 or abroad <= 0.0:
            return
        price = trades.price_usd_t
        for seller, fill in zip(trades.sellers, trades.offer_fills, strict=True):
            if fill > 0.0 and seller.region == region:
                seller.pay(
                    gov.account, rate * price * float(fill) * abroad / volume, "export_duties"
                )


@register
class ConcentrateExportDuty(ExportDuty):
    """The same duty on concentrate (a push to refine at home, as Zimbabwe's 2022 ban on raw
    lithium ore exports and Chile's and Australia's value-adding debates)."""

    name = "concentrate_export_duty"
    product = "concentrate"


@register
class TechnologyExportControl(Instrument):
    """Controls on exporting conversion technology: converters abroad cost more, take longer.

    Its level is read by ``World.converter_capex_and_lead``.
    """

    name = "technology_export_control"


# --- support for state-backed mines -----------------------------------------------------------
def _state_backed_output(gov: Government, mine: Any) -> bool:
    """Output the support budget pays for (never with ``state_subsidy_enabled`` off)."""
    return (
        mine.output_t > 0.0
        and mine.owner_kind == "state"
        and mine.supported
        and gov.world.params.policy.state_subsidy_enabled
    )


@register
class ProductionSubsidy(Instrument):
    """A per-tonne subsidy (level: its ceiling in USD/t) that rises while the region is short of
    its self-sufficiency target and state mines lose money, and falls when they do not."""

    name = "production_subsidy"

    def __init__(self, level: Any) -> None:
        super().__init__(level)
        self.rate_usd_t = 0.0
        self.step_usd_t = 0.0

    def bind(self, gov: Government, world: World, population: Any) -> None:
        self.step_usd_t = world.params.policy.subsidy_step_usd_t

    def at_review(self, gov: Government, world: World) -> None:
        if not gov.active_policy:
            self.rate_usd_t = 0.0
            return
        if gov.shortfall() > 0.0 and gov.state_losses > 0.2:
            self.rate_usd_t = min(self.level, self.rate_usd_t + self.step_usd_t)
        elif gov.state_losses < 0.05:
            self.rate_usd_t = max(0.0, self.rate_usd_t - self.step_usd_t)

    def at_mine_settlement(self, gov: Government, mine: Any, unit_cost_usd_t: float) -> None:
        if _state_backed_output(gov, mine) and self.rate_usd_t > 0.0 and gov.active_policy:
            gov.spend(mine.account, self.rate_usd_t * mine.output_t, "subsidy")

    def support_usd_t(self, gov: Government, mine: Any) -> float:
        return self.rate_usd_t


@register
class CheapPower(Instrument):
    """Power for state-backed mines at a discount (level: share off the power bill), paid by
    the state from its support budget."""

    name = "cheap_power"

    def support_usd_t(self, gov: Government, mine: Any) -> float:
        return mine.variable_cost_usd_t * mine.energy_share * self.level

    def at_mine_settlement(self, gov: Government, mine: Any, unit_cost_usd_t: float) -> None:
        if not _state_backed_output(gov, mine):
            return
        power_usd_t = mine.variable_cost_usd_t * mine.energy_share * self.level
        if power_usd_t > 0.0:
            gov.spend(mine.account, power_usd_t * mine.output_t, "cheap_power")


@register
class StateProfitShare(Instrument):
    """Resource nationalism: the state takes a share of mines' monthly operating profit."""

    name = "state_profit_share"

    def at_mine_settlement(self, gov: Government, mine: Any, unit_cost_usd_t: float) -> None:
        if self.level <= 0.0 or mine.sold_t <= 0.0:
            return
        profit = mine.revenue_usd - unit_cost_usd_t * mine.sold_t
        if profit > 0.0:
            mine.pay(gov.account, self.level * profit, "state_profit_share")


@register
class ClosurePressure(Instrument):
    """Pressure against care and maintenance (level: how far it stretches a state mine's loss
    threshold at full pressure); grows with the self-sufficiency gap and state mines' losses."""

    name = "closure_pressure"

    def __init__(self, level: Any) -> None:
        super().__init__(level)
        self.pressure = 0.0

    def at_review(self, gov: Government, world: World) -> None:
        if not gov.active_policy:
            self.pressure = 0.0
            return
        # Standing pressure grows with the gap; losses at state mines (jobs, tax) add to it.
        self.pressure = min(1.0, 2.0 * gov.shortfall() + (0.25 if gov.state_losses > 0.2 else 0.0))

    def loss_tolerance(self) -> float:
        return 1.0 + self.pressure * self.level


@register
class EquityStakes(Instrument):
    """The state co-invests in domestic projects (level: its share of the capex)."""

    name = "equity_stakes"


# --- environment --------------------------------------------------------------------------------
@register
class Inspections(Instrument):
    """Environmental inspections (level: base enforcement): fines and shutdowns on violations;
    incidents tighten enforcement for a while, and it relaxes back at each review."""

    name = "inspections"

    def __init__(self, level: Any) -> None:
        super().__init__(level)
        self.enforcement = level

    def bind(self, gov: Government, world: World, population: Any) -> None:
        self._rng = world.rng
        self._p = world.params.mine

    def at_review(self, gov: Government, world: World) -> None:
        self.enforcement += 0.25 * (self.level - self.enforcement)

    def record_incident(self) -> None:
        self.enforcement += 0.1 * self.level

    def inspect(self, gov: Government, mine: Any, waste_t: float) -> None:
        """An inspection may find a violation (more likely with more waste): fine and shutdown."""
        p = self._p
        if self._rng.random() >= p.env_inspection_rate * self.enforcement:
            return
        mine.inspections += 1
        violation_probability = min(1.0, mine.waste_t_per_t / 50.0)
        if self._rng.random() < violation_probability:
            mine.violations += 1
            mine.pay(gov.account, waste_t * p.env_fine_usd_per_t_waste, "fines")
            mine.suspended_months = int(p.env_shutdown_months)
            gov.record_incident()


# --- resources ----------------------------------------------------------------------------------
@register
class OrefieldReserve(Instrument):
    """The state holds back a share of the region's deposits (level) and releases them when the
    self-sufficiency shortfall passes a threshold."""

    name = "orefield_reserve"

    def bind(self, gov: Government, world: World, population: Any) -> None:
        self._developers = [
            d for (region, _), d in sorted(population.developers.items()) if region == gov.region
        ]
        self._threshold = world.params.policy.orefield_release_shortfall
        for developer in self._developers:
            developer.hold_back(self.level)

    def at_review(self, gov: Government, world: World) -> None:
        if gov.shortfall() > self._threshold:
            for developer in self._developers:
                developer.release_reserves()


@register
class Stockpile(Instrument):
    """A strategic reserve agency (level: on or off) funded once with the stockpile budget."""

    name = "stockpile"

    def bind(self, gov: Government, world: World, population: Any) -> None:
        if not self.level:
            return
        from lithium_abm.agents.stockpiler import Stockpiler

        reserve = Stockpiler(world, f"{gov.country} state reserve", gov.region, 0.0)
        budget = world.params.stockpile.stockpile_budget_usd
        world.ledger.pay(world.treasury_account, reserve.account, budget, "budget")
        population.stockpiler = reserve
