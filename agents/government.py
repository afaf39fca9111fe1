"""Governments: collect royalties, tariffs and fines; China also pursues self-sufficiency.

A government reviews its policy on its own calendar (a recurring Mesa event), from what it
observes: the domestic share of its chemical industry's feed and the losses of its state-backed
mines. Its instruments are a production subsidy, cheap power, pressure against closure, equity
stakes in domestic projects, environmental inspection with fines, and import tariffs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lithium_abm.agents.base import Firm

if TYPE_CHECKING:
    from lithium_abm.agents.mine import Mine
    from lithium_abm.model.lithium_model import LithiumModel


class Government(Firm):
    """One jurisdiction's state."""

    agent_type = "government"

    def __init__(
        self,
        model: LithiumModel,
        region: str,
        royalty: float,
        tariff: float,
        self_sufficiency_target: float = 0.0,
        budget_usd_yr: float = 0.0,
        enforcement: float = 1.0,
    ) -> None:
        super().__init__(model, f"government_{region}", region, "state", None, 0.0)
        self.royalty = royalty
        self.tariff = tariff
        self.self_sufficiency_target = self_sufficiency_target
        self.budget_usd_yr = budget_usd_yr
        self.base_enforcement = enforcement
        self.enforcement = enforcement
        self.subsidy_rate_usd_t = 0.0
        self.pressure = 0.0
        self.spent_this_year_usd = 0.0
        self.self_sufficiency = 0.0
        self.incidents = 0
        self.state = "active"
        self.output_t = 0.0

    @property
    def active_policy(self) -> bool:
        return self.self_sufficiency_target > 0.0 and bool(self.model.p["state_support_enabled"])

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
        treasury = self.model.treasury_account
        self.model.ledger.pay(treasury, self.account, amount, "budget")
        self.pay(payee, amount, kind)
        self.spent_this_year_usd += amount
        return amount

    def pay_subsidy(self, mine: Mine, output_t: float) -> None:
        if self.subsidy_rate_usd_t > 0.0 and self.active_policy:
            self.spend(mine.account, self.subsidy_rate_usd_t * output_t, "subsidy")

    def pay_cheap_power(self, mine: Mine, output_t: float) -> None:
        """Cheap power is paid for: the state covers the discount on the mine's power bill."""
        power_usd_t = (
            mine.variable_cost_usd_t * mine.energy_share * self.model.p["cheap_power_discount"]
        )
        if power_usd_t > 0.0:
            self.spend(mine.account, power_usd_t * output_t, "cheap_power")

    def record_incident(self) -> None:
        """A pollution incident raises enforcement for a while (seeds: thallium in wastewater)."""
        self.incidents += 1
        self.enforcement += 0.1 * self.base_enforcement

    # --- policy review (recurring event) -------------------------------------------------------
    def review(self) -> None:
        """Adjust subsidy and pressure from observed self-sufficiency and domestic losses."""
        model = self.model
        p = model.p
        self.enforcement += 0.25 * (self.base_enforcement - self.enforcement)
        self.self_sufficiency = model.domestic_feed_share(self.region)
        if self.shortfall() > p["orefield_release_shortfall"]:
            model.release_orefield_reserves(self.region)
        if not self.active_policy:
            self.subsidy_rate_usd_t = 0.0
            self.pressure = 0.0
            return
        shortfall = self.shortfall()
        losses = model.state_mine_loss_share(self.region)
        if shortfall > 0.0 and losses > 0.2:
            self.subsidy_rate_usd_t = min(
                p["max_subsidy_usd_t"], self.subsidy_rate_usd_t + p["subsidy_step_usd_t"]
            )
        elif losses < 0.05:
            self.subsidy_rate_usd_t = max(0.0, self.subsidy_rate_usd_t - p["subsidy_step_usd_t"])
        # Standing pressure against closure grows with the self-sufficiency gap; losses at
        # state-backed mines (jobs, tax) add to it.
        self.pressure = min(1.0, 2.0 * shortfall + (0.25 if losses > 0.2 else 0.0))

    def shortfall(self) -> float:
        """Relative gap between self-sufficiency target and what it observes (0 when met)."""
        if self.self_sufficiency_target <= 0.0:
            return 0.0
        gap = self.self_sufficiency_target - self.self_sufficiency
        return max(0.0, gap / self.self_sufficiency_target)

    # --- investment ----------------------------------------------------------------------------
    def consider_stakes(self) -> None:
        """Co-invest in domestic projects while self-sufficiency is short of target."""
        model = self.model
        if not self.active_policy or self.self_sufficiency >= self.self_sufficiency_target:
            return
        if self.budget_left_usd() <= 0.0:
            return
        if model.rng.random() >= model.p["state_invest_rate"] * self.shortfall():
            return
        model.develop_state_mine(self)
