"""Battery makers: turn lithium chemical into batteries, hold inventory, and may own upstream.

Procurement follows an inventory-cover target that rises when the buyer expects prices to rise
(hoarding) and falls when it expects them to fall (destocking), the amplifier of the cycle. A
maker's willingness to pay is bounded by what the lithium in a battery is worth. Integrated
makers (CATL-like) also secure feed: they develop captive mines when their own supply is short.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lithium_abm.agents.base import Firm, Group, PlanBuyer
from lithium_abm.agents.intents import CaptiveMine
from lithium_abm.model.behaviour import bid_price, expected_growth

if TYPE_CHECKING:
    from lithium_abm.agents.world import World


class BatteryMaker(PlanBuyer, Firm):
    """A cell maker facing a share of world battery demand."""

    agent_type = "battery_maker"

    def __init__(
        self,
        world: World,
        name: str,
        region: str,
        demand_share: float,
        owner_kind: str = "independent",
        group: Group | None = None,
        cash_usd: float = 0.0,
    ) -> None:
        super().__init__(world, name, region, owner_kind, group, cash_usd)
        self.p = world.params.battery_maker
        self.demand_share = float(demand_share)
        self.need_t = 0.0
        self.inventory_t = 0.0
        self.inventory_cost_usd = 0.0
        self.consumed_t = 0.0
        self.unmet_t = 0.0
        self.bought_t = 0.0
        self.margin_usd_t = 0.0
        self.target_inventory_t = 0.0
        # Makers differ in how much lithium cost their products bear (LFP vs NCM, premium
        # vs mass market); drawn once, so the top of the demand curve is a slope, not a wall.
        self.ceiling_factor = float(world.rng.uniform(0.6, 1.4))
        self.state = "active"

    # --- stage: demand -------------------------------------------------------------------------
    def take_orders(self, world_demand_t: float) -> None:
        self.need_t = world_demand_t * self.demand_share
        self.bought_t = 0.0

    # --- stage: procurement --------------------------------------------------------------------
    def target_cover_months(self) -> float:
        """Cover target: hoard when prices are expected to rise, destock when to fall."""
        world = self.world
        p = self.p
        growth = expected_growth(world.recent_price("chemical"), world.slow_price("chemical"))
        factor = 1.0 + p.hoarding_sensitivity * growth
        top = p.max_cover_multiple
        return p.inventory_cover_months * max(1.0 / top, min(top, factor))

    def bid_ceiling_usd_t(self) -> float:
        p = self.p
        intensity_t_kwh = p.li_intensity_kg_kwh / 1000.0
        years_since_2020 = self.world.year_fraction() - 2020.0
        battery_price = p.battery_price_usd_kwh * (1.0 - p.battery_price_decline) ** (
            years_since_2020
        )
        return self.ceiling_factor * p.max_lithium_cost_share * battery_price / intensity_t_kwh

    def purchase_plan(self) -> list[tuple[float, float]]:
        """Bids as (price, quantity): the month's shortfall urgently, restocking at the margin."""
        p = self.p
        self.target_inventory_t = self.target_cover_months() * self.need_t
        gap = self.target_inventory_t - self.inventory_t
        wanted = max(0.0, self.need_t + gap / p.restock_months)
        if wanted <= 0.0:
            return []
        gap_ratio = gap / max(self.target_inventory_t, 1e-9)
        last = self.world.last_price["chemical"]
        ceiling = self.bid_ceiling_usd_t()
        price = bid_price(last, gap_ratio, p.bid_urgency, ceiling)
        urgent = min(wanted, max(0.0, self.need_t - self.inventory_t))
        bids = []
        if urgent > 0.0:
            bids.append((min(ceiling, price * (1.0 + p.bid_urgency)), urgent))
        if wanted - urgent > 0.0:
            bids.append((price, wanted - urgent))
        return bids

    def receive(self, quantity_t: float, price_usd_t: float) -> None:
        self.inventory_t += quantity_t
        self.inventory_cost_usd += quantity_t * price_usd_t
        self.bought_t += quantity_t

    # --- stage: production ---------------------------------------------------------------------
    def make_batteries(self) -> None:
        """Consume chemical for this month's orders and earn the downstream margin."""
        world = self.world
        p = self.p
        used = min(self.need_t, self.inventory_t)
        self.unmet_t = self.need_t - used
        self.consumed_t = used
        if used <= 0.0:
            return
        unit_cost = self.inventory_cost_usd / self.inventory_t
        self.inventory_t -= used
        self.inventory_cost_usd -= used * unit_cost
        if self.inventory_t < 1e-9:
            self.inventory_t = 0.0
            self.inventory_cost_usd = 0.0
        intensity_t_kwh = p.li_intensity_kg_kwh / 1000.0
        margin_t = p.downstream_margin_usd_kwh / intensity_t_kwh
        # Battery prices pass lithium costs through with a lag (12-month average price).
        revenue = used * (world.slow_price("chemical") + margin_t)
        world.ledger.pay(world.households_account, self.account, revenue, "battery_sales")
        realised = revenue / used - unit_cost
        self.margin_usd_t += 0.2 * (realised - self.margin_usd_t)

    # --- stage: investment ---------------------------------------------------------------------
    def own_feed_tpa(self) -> float:
        if self.group is None:
            return 0.0
        return sum(m.capacity_tpa for m in self.group.mines if m.state != "closed")

    def consider_upstream(self) -> CaptiveMine | None:
        """Integrated makers develop captive mines while own feed is short of their target."""
        world = self.world
        p = self.p
        if self.owner_kind != "integrated" or not self.supported or self.group is None:
            return None
        annual_need = self.need_t * 12.0
        if self.own_feed_tpa() >= p.integrated_feed_target * annual_need:
            return None
        if self.cash_usd <= 0.0:
            return None
        # Secure feed when lithium is dear relative to the downstream margin it erodes.
        dear = world.smoothed_price("chemical") > p.reference_price_usd_t
        if not dear or world.rng.random() >= p.invest_intensity * 2.0:
            return None
        return CaptiveMine(self)
