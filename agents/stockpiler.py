"""A state reserve: buys lithium chemical when it is cheap and releases it when it is dear.

It trades in the chemical market like anyone else, so its purchases lift a low price and its
releases cap a high one, within a budget that the state sets once and refills from sales.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lithium_abm.agents.base import Firm, PlanBuyer

if TYPE_CHECKING:
    from lithium_abm.agents.world import World


class Stockpiler(PlanBuyer, Firm):
    """A strategic reserve agency (China's state reserve bureau in the seeds)."""

    agent_type = "stockpiler"

    def __init__(self, world: World, name: str, region: str, budget_usd: float) -> None:
        super().__init__(world, name, region, "state", None, budget_usd)
        self.p = world.params.stockpile
        self.inventory_t = 0.0
        self.inventory_cost_usd = 0.0
        self.bought_t = 0.0
        self.sold_t = 0.0
        self.state = "active"

    @property
    def stock_for_sale_t(self) -> float:
        """Chemical on offer: the whole reserve, but only above the release price."""
        return self.inventory_t if self._releasing() else 0.0

    chemical_stock_t = stock_for_sale_t

    def _releasing(self) -> bool:
        return self.world.last_price["chemical"] >= self.p.stockpile_release_above_usd_t

    def purchase_plan(self) -> list[tuple[float, float]]:
        """Bid at the trigger price for a month's tranche, if the budget allows."""
        p = self.p
        self.bought_t = 0.0
        self.sold_t = 0.0
        trigger = p.stockpile_buy_below_usd_t
        last = self.world.last_price["chemical"]
        # Never bid while releasing (a scenario may set the trigger above the release price).
        if last > trigger or self._releasing() or self.cash_usd <= 0.0:
            return []
        room = p.stockpile_capacity_t - self.inventory_t
        affordable = self.cash_usd / trigger
        quantity = min(p.stockpile_tranche_t, room, affordable)
        return [(trigger, quantity)] if quantity > 1e-9 else []

    def receive(self, quantity_t: float, price_usd_t: float) -> None:
        self.inventory_t += quantity_t
        self.inventory_cost_usd += quantity_t * price_usd_t
        self.bought_t += quantity_t

    def ask_usd_t(self, last_price: float) -> float:
        """Release at no less than the release price: the reserve caps spikes, it does not dump."""
        return max(last_price, self.p.stockpile_release_above_usd_t)

    def deliver(self, quantity_t: float, price_usd_t: float, buyer_account: int) -> None:
        if quantity_t <= 0.0:
            return
        share = min(1.0, quantity_t / self.inventory_t) if self.inventory_t > 0 else 1.0
        self.inventory_cost_usd -= self.inventory_cost_usd * share
        self.inventory_t = max(0.0, self.inventory_t - quantity_t)
        self._ledger.pay(buyer_account, self.account, quantity_t * price_usd_t, "stock_sales")
        self.sold_t += quantity_t
