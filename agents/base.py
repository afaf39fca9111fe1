"""What every firm and government shares: an identity, a region, an owner and a cash account."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from lithium_abm.model.behaviour import expected_growth

if TYPE_CHECKING:
    from lithium_abm.agents.world import World

OWNER_KINDS = ("independent", "integrated", "state")


class Group:
    """An owner of several assets across the chain (CATL-like, Tianqi-like).

    Not an agent: it has no behaviour of its own. Its battery maker, refiners and mines decide,
    and they consult the group's margin and needs when integration is switched on.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.battery_makers: list = []
        self.refiners: list = []
        self.mines: list = []

    def downstream_margin_usd_t(self) -> float:
        """Group's smoothed downstream margin per tonne of lithium it consumes."""
        if not self.battery_makers:
            return 0.0
        return max(b.margin_usd_t for b in self.battery_makers)


class WorldAgent(mesa.Agent):
    """A Mesa agent that sees only the narrow ``World`` (never the model class)."""

    world: World

    def __init__(self, world: World) -> None:
        super().__init__(world.host)
        self.world = world

    def price_growth(self, product: str) -> float:
        """The annual price growth this agent extrapolates for ``product`` (recent against
        slow average), or none with ``growth_expectations_enabled`` off."""
        world = self.world
        if not world.params.policy.growth_expectations_enabled:
            return 0.0
        return expected_growth(world.recent_price(product), world.slow_price(product))

    def see_from(self, region: str) -> None:
        """See the world from ``region``'s market zone: its prices when markets are regional,
        the world itself otherwise (and for stand-in worlds without zones)."""
        view_for = getattr(self.world, "view_for", None)
        if view_for is not None:
            self.world = view_for(region)


class Firm(WorldAgent):
    """An economic actor with a ledger account."""

    agent_type = "firm"

    def __init__(
        self,
        world: World,
        name: str,
        region: str,
        owner_kind: str = "independent",
        group: Group | None = None,
        cash_usd: float = 0.0,
    ) -> None:
        super().__init__(world)
        if owner_kind not in OWNER_KINDS:
            raise ValueError(f"owner_kind must be one of {OWNER_KINDS}, got {owner_kind!r}")
        self.name = name
        self.region = region
        self.see_from(region)
        world = self.world
        self.owner_kind = owner_kind
        self.group = group
        self._ledger = world.ledger
        self.account = world.ledger.open(f"{self.agent_type}:{name}")
        if cash_usd > 0:
            world.ledger.pay(world.capital_account, self.account, cash_usd, "equity")

    @property
    def cash_usd(self) -> float:
        return self._ledger.balances[self.account]

    def pay(self, payee: int, amount_usd: float, kind: str) -> None:
        self._ledger.pay(self.account, payee, amount_usd, kind)

    @property
    def supported(self) -> bool:
        """True when this firm's decisions weigh more than its own cash (group or state)."""
        policy = self.world.params.policy
        if self.owner_kind == "integrated":
            return bool(policy.integration_enabled)
        if self.owner_kind == "state":
            return bool(policy.state_support_enabled)
        return False


class PlanBuyer:
    """A buyer whose month is a purchase plan of (price, quantity) bids (the ``Buyer`` protocol).

    Captive supply covers the most urgent part of the plan first, so what is left to bid for
    is taken from the cheapest bids upwards.
    """

    _plan: list[tuple[float, float]]

    def purchase_plan(self) -> list[tuple[float, float]]:
        raise NotImplementedError

    def wanted_t(self) -> float:
        self._plan = plan = self.purchase_plan()
        return sum(q for _, q in plan)

    def bids(self, remaining_t: float) -> list[tuple[float, float]]:
        bids = []
        remaining = remaining_t
        for price, quantity in reversed(self._plan):
            take = min(quantity, remaining)
            if take > 1e-9:
                bids.append((price, take))
            remaining -= take
        return bids


class BlockBuilder:
    """Capacity that grows in blocks under construction (converters, and mines' brownfield
    expansions): each block comes on line when it is due, so blocks started on different dates
    with different lead times complete in due order, not first in, first out."""

    world: World
    capacity_tpa: float

    def init_blocks(self) -> None:
        self.expanding_tpa = 0.0
        self._blocks: list[tuple[float, float]] = []  # (due model time, t/yr)

    def add_block(self, block_tpa: float, lead_months: int) -> None:
        """Start building ``block_tpa`` of capacity that comes on line in ``lead_months``."""
        due = self.world.event_time(lead_months)
        self.expanding_tpa += block_tpa
        self._blocks.append((due, float(block_tpa)))
        self.world.schedule(self.complete_expansion, lead_months)

    def complete_expansion(self) -> None:
        """Every block due by now comes on line (several may share a due month)."""
        now = self.world.now() + 1e-9
        for _due, block in [b for b in self._blocks if b[0] <= now]:
            self.capacity_tpa += block
            self.expanding_tpa -= block
        self._blocks = [b for b in self._blocks if b[0] > now]
        self.capacity_changed()

    def capacity_changed(self) -> None:
        """Hook for costs that scale with capacity (a mine's fixed cost)."""


class ChemicalSeller:
    """A holder of battery-grade chemical for sale at its average cost (refiners, recyclers).

    A seller in any market offers ``stock_for_sale_t`` at ``ask_usd_t`` and hands over with
    ``deliver`` (the ``Seller`` protocol); this mixin keeps the stock and its cost.
    """

    world: World
    account: int

    def init_chemical_stock(self) -> None:
        self.chemical_t = 0.0
        self.chemical_cost_usd = 0.0
        self.sold_t = 0.0
        self.revenue_usd = 0.0

    @property
    def stock_for_sale_t(self) -> float:
        return self.chemical_t

    chemical_stock_t = stock_for_sale_t

    def unit_stock_cost_usd_t(self) -> float:
        return self.chemical_cost_usd / self.chemical_t if self.chemical_t > 0 else 0.0

    def deliver(self, quantity_t: float, price_usd_t: float, buyer_account: int) -> None:
        """Hand over chemical at its average cost and receive payment from the buyer."""
        if quantity_t <= 0.0:
            return
        share = min(1.0, quantity_t / self.chemical_t) if self.chemical_t > 0 else 1.0
        self.chemical_cost_usd -= self.chemical_cost_usd * share
        self.chemical_t -= quantity_t
        if abs(self.chemical_t) < 1e-9:
            self.chemical_t = 0.0
        value = quantity_t * price_usd_t
        self.world.ledger.pay(buyer_account, self.account, value, "sales_chemical")
        self.sold_t += quantity_t
        self.revenue_usd += value
