"""Developers: the private capital that turns known deposits into mine projects.

One developer per region and resource holds that jurisdiction's undeveloped deposits (a resource
base from the scenario's data), cheapest first. Each month it weighs the cheapest deposit's
expected margin at the price it expects when the mine would start, against the capital charge
at the hurdle rate. Attractive projects start with a probability that grows with the excess
return, within a pipeline limit (finance and permitting bottlenecks).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lithium_abm.agents.base import WorldAgent
from lithium_abm.agents.intents import MineProject
from lithium_abm.model.behaviour import anchored_outlook, annuity_factor

if TYPE_CHECKING:
    from lithium_abm.agents.world import World


@dataclass
class Deposit:
    """An undeveloped deposit: what a mine on it would produce and cost."""

    capacity_tpa: float
    cost_usd_t: float


class Developer(WorldAgent):
    """Project developer for one region and resource."""

    agent_type = "developer"

    def __init__(
        self,
        world: World,
        region: str,
        resource: str,
        deposits: list[Deposit],
        typical_size_tpa: float = 0.0,
        cost_range_usd_t: tuple[float, float] = (0.0, 0.0),
    ) -> None:
        super().__init__(world)
        self.see_from(region)  # the outlook of its own market zone
        self.p = world.params.investment
        resource_params = world.params.resources[resource]
        self.lead_time_months = int(resource_params.lead_time_months)
        self.capex_usd_tpa = float(resource_params.capex_usd_tpa)
        self.region = region
        self.resource = resource
        self.name = f"developer_{region}_{resource}"
        self.deposits = sorted(deposits, key=lambda d: d.cost_usd_t)
        self.typical_size_tpa = typical_size_tpa
        self.cost_range_usd_t = cost_range_usd_t
        self.reserved: list[Deposit] = []  # orefield reserves the state holds back
        self.discovered = 0
        self.projects_started = 0
        self.owner_kind = "independent"
        self.state = "active"
        self.output_t = 0.0

    def hold_back(self, share: float) -> None:
        """The state reserves every deposit whose rank falls in ``share`` (orefield reserves)."""
        if share <= 0.0:
            return
        keep, held = [], []
        for k, deposit in enumerate(self.deposits):
            (held if (k + 1) * share - len(held) >= 1.0 - 1e-9 else keep).append(deposit)
        self.deposits, self.reserved = keep, self.reserved + held

    def release_reserves(self) -> int:
        """Held-back deposits become available to developers; returns how many."""
        released = len(self.reserved)
        if released:
            self.deposits = sorted(self.deposits + self.reserved, key=lambda d: d.cost_usd_t)
            self.reserved = []
        return released

    def discover(self, count: int, size_tpa: float | None = None) -> None:
        """New deposits found by exploration, drawn like the scenario's resource base."""
        if count <= 0 or self.typical_size_tpa <= 0.0:
            return
        rng = self.world.rng
        low, high = self.cost_range_usd_t
        size = self.typical_size_tpa if size_tpa is None else size_tpa
        for _ in range(count):
            deposit = Deposit(size * float(rng.uniform(0.6, 1.4)), float(rng.uniform(low, high)))
            self.deposits.append(deposit)
        self.deposits.sort(key=lambda d: d.cost_usd_t)
        self.discovered += count

    def take_deposit(self) -> Deposit | None:
        """Hand over the cheapest deposit (to this developer, an integrated group or the state)."""
        return self.deposits.pop(0) if self.deposits else None

    def expected_margin_usd_t(self, deposit: Deposit, trend_weight: float) -> float:
        """Expected chemical-equivalent margin at the time the mine would start producing."""
        world = self.world
        growth = self.price_growth("chemical")
        outlook = anchored_outlook(
            world.smoothed_price("chemical"),
            growth,
            trend_weight,
            self.lead_time_months,
            self.p.long_run_price_usd_t,
            self.p.anchor_weight,
        )
        # Royalties are paid on the mine's own product: concentrate is worth the chemical
        # outlook less conversion.
        product_value = outlook - world.conversion_cost_for(self.resource)
        revenue = product_value * (1.0 - world.royalty_rate(self.region))
        return (revenue - deposit.cost_usd_t) * (1.0 - world.state_profit_share(self.region))

    def consider(self) -> MineProject | None:
        """Start a project on the cheapest deposit if it clears the hurdle, within the pipeline."""
        world = self.world
        p = self.p
        if not self.deposits:
            return None
        deposit = self.deposits[0]
        installed, pipeline = world.capacity_and_pipeline(self.region, self.resource)
        if pipeline + deposit.capacity_tpa > p.pipeline_limit * max(
            installed, 2.0 * deposit.capacity_tpa
        ):
            return None
        charge = self.capex_usd_tpa * annuity_factor(p.hurdle_rate, p.project_life_years)
        excess = self.expected_margin_usd_t(deposit, p.trend_weight) / charge - 1.0
        if excess <= 0.0 or world.rng.random() >= min(1.0, p.invest_intensity * excess):
            return None
        self.take_deposit()
        return MineProject(self, deposit)
