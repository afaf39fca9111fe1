"""Recyclers: the chain's fourth link, turning retired batteries back into lithium chemical.

A recycler buys collected black mass (paying a share of the lithium price, as the trade does),
recovers a share of its lithium within capacity, and sells the chemical like any other seller.
It expands, like a converter, when it has run full and the margin pays for new capacity.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lithium_abm.agents.base import ChemicalSeller, Firm
from lithium_abm.agents.intents import Expansion
from lithium_abm.model.behaviour import annuity_factor, seller_ask

if TYPE_CHECKING:
    from lithium_abm.agents.world import World

FEED_STORE_MONTHS = 6.0  # black mass a recycler will hold before it stops accepting more


class Recycler(ChemicalSeller, Firm):
    """A battery recycler in one region."""

    agent_type = "recycler"

    def __init__(
        self, world: World, name: str, region: str, capacity_tpa: float, cash_usd: float
    ) -> None:
        super().__init__(world, name, region, "independent", None, cash_usd)
        self.p = world.params.recycling
        self._ask = world.params.ask
        self.capacity_tpa = float(capacity_tpa)
        self.feed_t = 0.0
        self.init_chemical_stock()
        self.collected_t = 0.0
        self.output_t = 0.0
        self.lost_t = 0.0
        self.expanding_tpa = 0.0
        self.full_months = 0
        self.state = "active"

    @property
    def monthly_capacity_t(self) -> float:
        return self.capacity_tpa / 12.0

    def room_t(self) -> float:
        """Black mass (t LCE contained) it can still accept this month."""
        return max(0.0, FEED_STORE_MONTHS * self.monthly_capacity_t - self.feed_t)

    def unit_cost_usd_t(self) -> float:
        """Cash cost per t of recovered chemical: processing plus the black-mass payable."""
        p = self.p
        payable = p.black_mass_payable * self.world.slow_price("chemical")
        return (p.recycling_cost_usd_t + payable) / p.recovery_rate

    # --- stage: collection and processing ------------------------------------------------------
    def collect(self, quantity_t: float) -> None:
        """Take collected black mass, paying collectors a share of the lithium price."""
        self.collected_t = quantity_t
        if quantity_t <= 0.0:
            return
        world = self.world
        price = self.p.black_mass_payable * world.slow_price("chemical")
        cost = quantity_t * price
        self.pay(world.households_account, cost, "purchases_black_mass")
        self.feed_t += quantity_t
        self.chemical_cost_usd += cost

    def process(self) -> None:
        """Recover lithium from black mass up to capacity; the unrecovered part is lost."""
        p = self.p
        quantity = min(self.feed_t, self.monthly_capacity_t)
        self.full_months = self.full_months + 1 if quantity >= 0.95 * self.monthly_capacity_t else 0
        self.sold_t = 0.0
        self.revenue_usd = 0.0
        self.output_t = quantity * p.recovery_rate
        self.lost_t = quantity - self.output_t
        if quantity <= 0.0:
            return
        self.feed_t -= quantity
        cost = quantity * p.recycling_cost_usd_t
        self.pay(self.world.suppliers_account, cost, "recycling_cost")
        self.chemical_t += self.output_t
        self.chemical_cost_usd += cost

    # --- stage: selling chemical ---------------------------------------------------------------
    def ask_usd_t(self, last_price: float) -> float:
        flow = self.monthly_capacity_t * self.p.recovery_rate
        return seller_ask(self._ask, last_price, self.chemical_t, flow, self.unit_cost_usd_t())

    # --- stage: investment ---------------------------------------------------------------------
    def consider_expansion(self) -> Expansion | None:
        """Add capacity when it has run full for three months and the margin pays the capex."""
        p = self.p
        if self.full_months < 3 or self.expanding_tpa > 0.0:
            return None
        margin = self.world.smoothed_price("chemical") - self.unit_cost_usd_t()
        charge = p.capex_usd_tpa_recycler * annuity_factor(p.hurdle_rate, p.project_life_years)
        if margin <= charge:
            return None
        block = max(5000.0, 0.5 * self.capacity_tpa)
        capex = p.capex_usd_tpa_recycler * block
        return Expansion(self, capex, block, int(p.lead_time_months_recycler), "capex_recycling")

    def add_block(self, block_tpa: float, lead_months: int) -> None:
        self.expanding_tpa = block_tpa
        self.world.schedule(self.complete_expansion, lead_months)

    def complete_expansion(self) -> None:
        self.capacity_tpa += self.expanding_tpa
        self.expanding_tpa = 0.0
