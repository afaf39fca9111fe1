"""Governments: one per jurisdiction, holding the policy instruments its row of the table gives.

A government reviews its policy on its own calendar (a recurring Mesa event) from what it
observes: the domestic share of its chemical industry's feed and the losses of its state-backed
mines. The instruments (``model/policy/instruments.py``) do the rest through their hooks; this
class only observes, keeps the support budget and passes each hook on to its instruments.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from lithium_abm.agents.base import Firm
from lithium_abm.model.policy.instrument import Instrument

if TYPE_CHECKING:
    from lithium_abm.agents.world import World
    from lithium_abm.model.markets.orders import Trades


# The instrument settings a government exposes: instrument name -> {attribute: default}. The
# government keeps each instrument it holds, or a stand-in with these defaults, under
# ``_<instrument>``, and a property reads the setting from it (mines read enforcement and
# royalties many times a month, so each read is one plain attribute chain).
_SETTINGS: dict[str, dict[str, float]] = {
    "royalty": {"level": 0.0},
    "tariff": {"level": 0.0},
    "export_duty": {"level": 0.0},
    "concentrate_export_duty": {"level": 0.0},
    "state_profit_share": {"level": 0.0},
    "technology_export_control": {"level": 0.0},
    "equity_stakes": {"level": 0.0},
    "production_subsidy": {"rate_usd_t": 0.0},
    "closure_pressure": {"pressure": 0.0},
    "inspections": {"enforcement": 1.0},
}


COUNTRY_NAMES = {"CN": "China", "AU": "Australia", "CL": "Chile", "AR": "Argentina", "US": "US"}


class Government(Firm):
    """One jurisdiction's state and its instruments."""

    agent_type = "government"

    def __init__(
        self,
        world: World,
        region: str,
        instruments: list[Instrument],
        self_sufficiency_target: float = 0.0,
        budget_usd_yr: float = 0.0,
    ) -> None:
        super().__init__(world, f"government_{region}", region, "state", None, 0.0)
        self.country = COUNTRY_NAMES.get(region, region)
        self.instruments = sorted(instruments, key=lambda i: i.order)
        self._by_name = {i.name: i for i in self.instruments}
        for name, defaults in _SETTINGS.items():
            inst = self._by_name.get(name)
            holder = inst if inst is not None else SimpleNamespace(**defaults)
            setattr(self, f"_{name}", holder)
        self.self_sufficiency_target = self_sufficiency_target
        self.budget_usd_yr = budget_usd_yr
        self.spent_this_year_usd = 0.0
        self.self_sufficiency = 0.0
        self.state_losses = 0.0
        self.incidents = 0
        self.state = "active"
        self.output_t = 0.0
        self._support_enabled = world.params.policy.state_support_enabled
        self._sale_hooks = self._hooked("at_sale")
        self._purchase_hooks = self._hooked("at_purchase")
        self._settlement_hooks = self._hooked("at_mine_settlement")
        self._support = [
            i for i in self.instruments if i.name in ("production_subsidy", "cheap_power")
        ]

    def _hooked(self, hook: str) -> list[Instrument]:
        """Instruments that override ``hook`` (the others would only cost a call)."""
        return [
            i for i in self.instruments if getattr(type(i), hook) is not getattr(Instrument, hook)
        ]

    def instrument(self, name: str) -> Instrument | None:
        return self._by_name.get(name)

    # --- what other code reads ----------------------------------------------------------------
    @property
    def active_policy(self) -> bool:
        return self.self_sufficiency_target > 0.0 and bool(self._support_enabled)

    def level(self, name: str, attribute: str = "level", default: float = 0.0) -> float:
        """An instrument's setting (``default`` when this government does not hold it)."""
        inst = self._by_name.get(name)
        return float(getattr(inst, attribute)) if inst is not None else default

    # Instrument settings (the default of _SETTINGS where the government does not hold it).
    @property
    def royalty(self) -> float:
        return self._royalty.level

    @property
    def tariff(self) -> float:
        return self._tariff.level

    @property
    def export_duty(self) -> float:
        """Duty on the value of chemical exported from the region (paid by traders)."""
        return self._export_duty.level

    @property
    def concentrate_export_duty(self) -> float:
        """Duty on the value of concentrate exported from the region (paid by traders)."""
        return self._concentrate_export_duty.level

    @property
    def profit_share(self) -> float:
        return self._state_profit_share.level

    @property
    def technology_control(self) -> float:
        return self._technology_export_control.level

    @property
    def equity_share(self) -> float:
        return self._equity_stakes.level

    @property
    def subsidy_rate_usd_t(self) -> float:
        return self._production_subsidy.rate_usd_t

    @property
    def pressure(self) -> float:
        return self._closure_pressure.pressure

    @property
    def enforcement(self) -> float:
        return self._inspections.enforcement

    def support_usd_t(self, mine: Any) -> float:
        """Per-tonne support a state-backed mine's decisions count on."""
        total = 0.0
        for inst in self._support:
            total += inst.support_usd_t(self, mine)
        return total

    def loss_tolerance(self) -> float:
        """Multiplier on a state mine's care-and-maintenance threshold (political pressure)."""
        inst: Any = self._by_name.get("closure_pressure")
        return inst.loss_tolerance() if inst is not None else 1.0

    # --- the budget ---------------------------------------------------------------------------
    def budget_left_usd(self) -> float:
        return max(0.0, self.budget_usd_yr - self.spent_this_year_usd)

    def new_year(self) -> None:
        """The treasury funds a new year's support budget."""
        self.spent_this_year_usd = 0.0

    def spend(self, payee: int, amount_usd: float, kind: str) -> float:
        """Pay from the support budget (funded by the treasury), as far as the budget allows."""
        amount = min(amount_usd, self.budget_left_usd())
        if amount <= 0.0:
            return 0.0
        self.world.ledger.pay(self.world.treasury_account, self.account, amount, "budget")
        self.pay(payee, amount, kind)
        self.spent_this_year_usd += amount
        return amount

    # --- hooks the stages call ------------------------------------------------------------------
    def at_sale(self, seller: Any, value_usd: float) -> None:
        for inst in self._sale_hooks:
            inst.at_sale(self, seller, value_usd)

    def at_purchase(self, buyer: Any, fill_t: float, price_usd_t: float, imported: float) -> None:
        for inst in self._purchase_hooks:
            inst.at_purchase(self, buyer, fill_t, price_usd_t, imported)

    def at_market_settlement(self, product: str, trades: Trades) -> None:
        for inst in self.instruments:
            inst.at_market_settlement(self, product, trades)

    def at_mine_settlement(self, mine: Any, unit_cost_usd_t: float) -> None:
        for inst in self._settlement_hooks:
            inst.at_mine_settlement(self, mine, unit_cost_usd_t)

    def inspect(self, mine: Any, waste_t: float) -> None:
        inst: Any = self._by_name.get("inspections")
        if inst is not None:
            inst.inspect(self, mine, waste_t)

    def record_incident(self) -> None:
        """A pollution incident or violation; enforcement tightens (seeds: thallium)."""
        self.incidents += 1
        inst: Any = self._by_name.get("inspections")
        if inst is not None:
            inst.record_incident()

    # --- policy review (recurring event) -------------------------------------------------------
    def review(self) -> None:
        """Observe self-sufficiency and state mines' losses, then let each instrument adjust."""
        world = self.world
        self.self_sufficiency = world.domestic_feed_share(self.region)
        self.state_losses = world.state_mine_loss_share(self.region)
        for inst in self.instruments:
            inst.at_review(self, world)

    def shortfall(self) -> float:
        """Relative gap between self-sufficiency target and what it observes (0 when met)."""
        if self.self_sufficiency_target <= 0.0:
            return 0.0
        gap = self.self_sufficiency_target - self.self_sufficiency
        return max(0.0, gap / self.self_sufficiency_target)

    # --- investment ----------------------------------------------------------------------------
    def consider_stakes(self) -> bool:
        """Whether to co-invest in a domestic project this month (the stage finds one)."""
        if "equity_stakes" not in self._by_name:
            return False
        if not self.world.params.policy.equity_stakes_enabled:
            return False
        if not self.active_policy or self.self_sufficiency >= self.self_sufficiency_target:
            return False
        if self.budget_left_usd() <= 0.0:
            return False
        policy = self.world.params.investment
        return bool(self.world.rng.random() < policy.state_invest_rate * self.shortfall())
