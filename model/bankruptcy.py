"""Bankruptcy and distressed-asset sales: who buys a failed mine is an integration channel.

A mine whose overdraft passes its credit line is bankrupt: its debt is written off and it is
offered, at a share of the capex of its capacity, first to integrated groups with the cash (when
integration is on), then to a government with an active self-sufficiency policy (when equity
stakes are on); an unwanted mine closes.
"""

from __future__ import annotations

from lithium_abm.agents.mine import CLOSED, Mine
from lithium_abm.model.population import Population
from lithium_abm.model.world import World


class BankruptcyCourt:
    """Resolves the month's bankruptcies; counts them and the asset sales."""

    def __init__(self, world: World, population: Population) -> None:
        self.world = world
        self.pop = population
        self.bankruptcies = 0
        self.asset_sales = 0

    def is_bankrupt(self, mine: Mine) -> bool:
        return mine.cash_usd < -mine.p.credit_line_months * mine.fixed_cost_usd_month

    def resolve(self, mine: Mine) -> None:
        world = self.world
        p = world.params.investment
        self.bankruptcies += 1
        debt = -mine.cash_usd
        world.ledger.pay(world.capital_account, mine.account, debt, "debt_writeoff")
        capex = world.params.resources[mine.resource].capex_usd_tpa
        value = p.distressed_value_share_of_capex * capex * mine.capacity_tpa
        outlook = world.smoothed_price("chemical")
        attractive = mine.cost_chem_equiv_usd_t() < outlook * p.distressed_cost_limit
        if world.params.policy.integration_enabled and attractive:
            buyers = [
                b
                for b in self.pop.battery_makers
                if b.owner_kind == "integrated" and b.group is not None and b.cash_usd > value
            ]
            if buyers:
                buyer = max(buyers, key=lambda b: (b.cash_usd, -b.unique_id))
                buyer.pay(world.capital_account, value, "asset_purchases")
                if mine.group is not None and mine in mine.group.mines:
                    mine.group.mines.remove(mine)
                mine.owner_kind = "integrated"
                mine.group = buyer.group
                buyer.group.mines.append(mine)
                mine.cum_loss_usd = 0.0
                self.asset_sales += 1
                return
        gov = world.government_of(mine.region)
        equity = world.params.policy.equity_stakes_enabled
        if gov is not None and gov.active_policy and attractive and equity:
            paid = gov.spend(world.capital_account, value, "state_takeovers")
            if paid > 0.0:
                mine.owner_kind = "state"
                mine.group = None
                mine.cum_loss_usd = 0.0
                self.asset_sales += 1
                return
        mine.state = CLOSED
