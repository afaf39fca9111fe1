"""Project finance: the investment stage carries out the agents' intents.

Developers, converters, recyclers, integrated groups and the state decide *whether* to invest;
this module starts the mine or the block of capacity and moves the money: from the investor's
own cash when it has enough, otherwise from the capital market, always to the suppliers.
"""

from __future__ import annotations

from typing import Any

from lithium_abm.agents.battery_maker import BatteryMaker
from lithium_abm.agents.developer import Deposit, Developer
from lithium_abm.agents.government import Government
from lithium_abm.agents.intents import (
    CaptiveMine,
    ConverterProject,
    Expansion,
    MineProject,
    StateProject,
)
from lithium_abm.agents.mine import CLOSED, CONSTRUCTION, Mine
from lithium_abm.model.behaviour import annuity_factor
from lithium_abm.model.population import Population
from lithium_abm.model.world import World

# Where an integrated group looks first for a captive deposit: the fastest to bring on line
# (Yichun lepidolite), then the hard rock groups bought into (Zimbabwe, Australia).
CAPTIVE_DEPOSITS = (("CN", "lepidolite"), ("ZW", "spodumene"), ("AU", "spodumene"))
# The state co-invests only in deposits that produce within this many months.
STATE_MAX_LEAD_MONTHS = 48


class Projects:
    """Starts the projects the agents ask for."""

    def __init__(self, world: World, population: Population) -> None:
        self.world = world
        self.pop = population

    def carry_out(self, intent: Any) -> Mine | None:
        """Carry out one intent at once (random draws keep the order of the decisions)."""
        if isinstance(intent, Expansion):
            self.pay_capex(intent.capex_usd, intent.kind)
            intent.firm.add_block(intent.block_tpa, intent.lead_months)
            return None
        if isinstance(intent, MineProject):
            return self.start_mine(intent.developer, intent.deposit, "independent", None)
        if isinstance(intent, ConverterProject):
            self.start_converter(intent)
            return None
        if isinstance(intent, CaptiveMine):
            return self.develop_captive_mine(intent.maker)
        if isinstance(intent, StateProject):
            return self.develop_state_mine(intent.government)
        raise TypeError(f"not an intent: {intent!r}")

    def pay_capex(self, amount_usd: float, kind: str) -> None:
        """Projects are financed by the capital market and spent with suppliers."""
        world = self.world
        world.ledger.pay(world.capital_account, world.suppliers_account, amount_usd, kind)

    def start_mine(
        self,
        developer: Developer,
        deposit: Deposit,
        owner_kind: str,
        group: Any,
        payer: Any = None,
        state_share: float = 0.0,
    ) -> Mine:
        """A new mine enters construction with a lead time drawn around the resource's norm."""
        world = self.world
        lead = developer.lead_time_months * float(world.rng.uniform(0.8, 1.2))
        capex = developer.capex_usd_tpa * deposit.capacity_tpa
        if state_share > 0.0 and payer is not None:
            paid = payer.spend(world.suppliers_account, state_share * capex, "equity_stakes")
            capex -= paid
        if payer is not None and not isinstance(payer, Government) and payer.cash_usd > capex:
            payer.pay(world.suppliers_account, capex, "capex_mining")
        else:
            self.pay_capex(capex, "capex_mining")
        developer.projects_started += 1
        name = f"{developer.region}-{developer.resource}-{owner_kind}-{len(self.pop.mines) + 1}"
        return self.pop.add_mine(
            name,
            developer.resource,
            developer.region,
            deposit.capacity_tpa,
            deposit.cost_usd_t,
            owner_kind,
            group,
            CONSTRUCTION,
            max(1, round(lead)),
        )

    def start_converter(self, project: ConverterProject) -> None:
        """A new independent converter: the capital market pays, capacity after the lead."""
        self.pay_capex(project.capex_usd, "capex_refining")
        developer = project.developer
        name = f"{developer.region} converter {developer.projects_started} ({developer.zone})"
        self.pop.add_refiner(
            name,
            developer.region,
            project.capacity_tpa,
            "independent",
            months_to_output=max(1, project.lead_months),
        )

    def develop_captive_mine(self, maker: BatteryMaker) -> Mine | None:
        """An integrated group takes the best domestic deposit it can bring on fastest."""
        for key in CAPTIVE_DEPOSITS:
            developer = self.pop.developers.get(key)
            if developer is not None and developer.deposits:
                deposit = developer.take_deposit()
                mine = self.start_mine(developer, deposit, "integrated", maker.group, payer=maker)
                self._match_group_refining(maker)
                return mine
        return None

    def _match_group_refining(self, maker: BatteryMaker) -> None:
        """An integrated group converts its own ore: it adds converter capacity to match."""
        group = maker.group
        if group is None:
            return
        refining = sum(r.capacity_tpa + r.expanding_tpa for r in group.refiners)
        ore = sum(
            m.capacity_tpa for m in group.mines if m.product == "concentrate" and m.state != CLOSED
        )
        missing = ore - refining
        if missing <= 0.0:
            return
        capex, lead = self.world.converter_capex_and_lead(maker.region)
        if group.refiners:
            refiner = group.refiners[0]
        else:
            refiner = self.pop.add_refiner(
                f"{group.name} converter", maker.region, 0.0, "integrated", group.name
            )
        if maker.cash_usd > capex * missing:
            maker.pay(self.world.suppliers_account, capex * missing, "capex_refining")
        else:
            self.pay_capex(capex * missing, "capex_refining")
        refiner.add_block(missing, lead)

    def develop_state_mine(self, gov: Government) -> Mine | None:
        """The state co-invests in the cheapest domestic deposit that clears its hurdle."""
        world = self.world
        p = world.params.investment
        outlook = max(world.smoothed_price("chemical"), p.reference_price_usd_t)
        best = None
        for (region, _resource), developer in self.pop.developers.items():
            if region != gov.region or not developer.deposits:
                continue
            if developer.lead_time_months > STATE_MAX_LEAD_MONTHS:
                continue
            deposit = developer.deposits[0]
            margin = outlook - deposit.cost_usd_t - world.conversion_cost_for(developer.resource)
            charge = developer.capex_usd_tpa * annuity_factor(
                p.state_hurdle_rate, p.project_life_years
            )
            if margin > charge and (best is None or margin / charge > best[0]):
                best = (margin / charge, developer)
        if best is None:
            return None
        developer = best[1]
        deposit = developer.take_deposit()
        return self.start_mine(
            developer, deposit, "state", None, payer=gov, state_share=gov.equity_share
        )
