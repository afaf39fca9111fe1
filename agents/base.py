"""What every firm and government shares: an identity, a region, an owner and a cash account."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from lithium_abm.model.lithium_model import LithiumModel

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


class Firm(mesa.Agent):
    """An economic actor with a ledger account in the model."""

    agent_type = "firm"
    model: LithiumModel

    def __init__(
        self,
        model: LithiumModel,
        name: str,
        region: str,
        owner_kind: str = "independent",
        group: Group | None = None,
        cash_usd: float = 0.0,
    ) -> None:
        super().__init__(model)
        if owner_kind not in OWNER_KINDS:
            raise ValueError(f"owner_kind must be one of {OWNER_KINDS}, got {owner_kind!r}")
        self.name = name
        self.region = region
        self.owner_kind = owner_kind
        self.group = group
        self.account = model.ledger.open(f"{self.agent_type}:{name}")
        if cash_usd > 0:
            model.ledger.pay(model.capital_account, self.account, cash_usd, "equity")

    @property
    def cash_usd(self) -> float:
        return self.model.ledger.balances[self.account]

    def pay(self, payee: int, amount_usd: float, kind: str) -> None:
        self.model.ledger.pay(self.account, payee, amount_usd, kind)

    @property
    def supported(self) -> bool:
        """True when this firm's decisions weigh more than its own cash (group or state)."""
        p = self.model.p
        if self.owner_kind == "integrated":
            return bool(p["integration_enabled"])
        if self.owner_kind == "state":
            return bool(p["state_support_enabled"])
        return False


class ChemicalSeller:
    """A holder of battery-grade chemical for sale at its average cost (refiners, recyclers).

    The chemical market needs only ``region``, ``chemical_stock_t``, ``ask_usd_t`` and
    ``deliver`` from a seller; this mixin keeps the stock and its cost and settles deliveries.
    """

    model: LithiumModel
    account: int

    def init_chemical_stock(self) -> None:
        self.chemical_t = 0.0
        self.chemical_cost_usd = 0.0
        self.sold_t = 0.0
        self.revenue_usd = 0.0

    @property
    def chemical_stock_t(self) -> float:
        return self.chemical_t

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
        self.model.ledger.pay(buyer_account, self.account, value, "sales_chemical")
        self.sold_t += quantity_t
        self.revenue_usd += value
