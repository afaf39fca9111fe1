"""Mines: brine operations sell chemical, hard-rock mines (spodumene, lepidolite) sell concentrate.

A mine knows its own costs and life cycle. Each month a producing mine chooses how much of its
capacity to run: the tranches of its ore whose marginal cash cost the price covers, never below
a technical minimum (``model/utilisation.py``), so a falling price first cuts output
progressively. Going idle has hysteresis: it goes to care and maintenance only after losses at
its chosen utilisation accumulate past a threshold, and it restarts only after an expected
surplus accumulates, paying a restart cost and waiting a restart delay. Whose profit
counts depends on the owner: an independent weighs its own cash; an integrated mine adds the
group's downstream margin and the value of secure feed; a state-backed mine adds the subsidy and
tolerates more loss under political pressure.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from lithium_abm.agents.base import BlockBuilder, Firm, Group
from lithium_abm.agents.intents import Expansion
from lithium_abm.model.behaviour import (
    anchored_outlook,
    annuity_factor,
    expected_price,
    seller_ask,
    stock_curtailment,
)
from lithium_abm.model.parameters import CHEMICAL_RESOURCES
from lithium_abm.model.utilisation import (
    average_variable_cost_usd_t,
    loss_making_share,
    next_utilisation,
    target_utilisation,
)

if TYPE_CHECKING:
    from lithium_abm.agents.world import World

CONSTRUCTION = "construction"
RAMP_UP = "ramp_up"
OPERATING = "operating"
CARE = "care_maintenance"
OUTLOOK_MONTHS = 12  # how far ahead an operator judges whether a loss-making month is passing
CLOSED = "closed"
MINE_STATES = (CONSTRUCTION, RAMP_UP, OPERATING, CARE, CLOSED)
PRODUCING = (RAMP_UP, OPERATING)


class Mine(BlockBuilder, Firm):
    """A lithium mine with a life cycle, a cost structure and an owner."""

    agent_type = "mine"

    def __init__(
        self,
        world: World,
        name: str,
        resource: str,
        region: str,
        capacity_tpa: float,
        cost_usd_t: float,
        owner_kind: str = "independent",
        group: Group | None = None,
        state: str = OPERATING,
        months_to_output: int = 0,
        cash_usd: float = 0.0,
    ) -> None:
        super().__init__(world, name, region, owner_kind, group, cash_usd)
        self.p = p = world.params.mine
        self._ask = world.params.ask
        self._market = world.params.market
        rp = world.params.resources[resource]
        if state not in MINE_STATES:
            raise ValueError(f"mine state must be one of {MINE_STATES}, got {state!r}")
        self.resource = resource
        self.product = "chemical" if resource in CHEMICAL_RESOURCES else "concentrate"
        self._sales_kind = "sales_" + self.product
        # Governments are built before any mine and never change: look this one up once.
        self.government = world.government_of(region)
        self.capacity_tpa = float(capacity_tpa)
        self.cost_usd_t = float(cost_usd_t)
        self.capacity_changed()  # sets the fixed cost, which scales with capacity
        self.variable_cost_usd_t = (1.0 - p.fixed_cost_share) * cost_usd_t
        self.energy_share = rp.energy_share
        self.waste_t_per_t = rp.waste_t_per_t
        self.ramp_months = int(rp.ramp_months)
        self.min_utilisation = rp.min_utilisation
        self.care_loss_months = p.care_loss_months + rp.care_loss_extra_months
        self.conversion_cost_usd_t = rp.conversion_cost_usd_t
        self.state = state
        self.ramp_progress = 0
        self.inventory_t = 0.0
        # Share of capacity the operation chooses to run (before ramp-up and stock limits).
        self.utilisation = 1.0
        # Share of this month's output from tranches whose cash cost exceeded the price.
        self.loss_share = 0.0
        self.cum_loss_usd = 0.0
        self.cum_surplus_usd = 0.0
        self.care_months = 0
        self.suspended_months = 0
        self.restarting = False
        self.night_shift = False
        self.ran_night_shift = False
        self.output_t = 0.0
        self.sold_t = 0.0
        self.revenue_usd = 0.0
        self.realized_price_usd_t = math.nan
        self.loss_making = False
        self.inspections = 0
        self.violations = 0
        self.incidents = 0
        self.judged_unit_cost_usd_t = math.nan
        self.init_blocks()
        self.first_capacity_tpa = self.capacity_tpa
        self._capex_usd_tpa = rp.capex_usd_tpa
        # Consecutive operating months at (nearly) full capacity: the brownfield trigger.
        self.full_months = 0
        if state == CONSTRUCTION:
            world.schedule(self.commission, max(1, months_to_output))

    # --- life cycle events (scheduled on the mine's own calendar) ------------------------------
    def commission(self) -> None:
        """Construction ends: first output, then ramp-up to nameplate.

        An owner who weighs only its own cash does not start a finished mine into a market
        that pays less than its cash cost: it goes straight to care and maintenance.
        """
        if self.state != CONSTRUCTION:
            return
        price = self.decision_price_usd_t(self.market_price_usd_t())
        if price < self.unit_cash_cost_usd_t():
            self.state = CARE
            self.care_months = 0
            self.cum_surplus_usd = 0.0
            return
        self.state = RAMP_UP
        self.ramp_progress = 0
        self.utilisation = 1.0

    def restart(self) -> None:
        """A restart decided months ago is complete."""
        if self.state == CARE:
            self.state = RAMP_UP
            self.ramp_progress = max(0, self.ramp_months // 2)
            self.restarting = False
            self.care_months = 0
            self.cum_loss_usd = 0.0
            self.utilisation = 1.0

    # --- costs ---------------------------------------------------------------------------------
    @property
    def monthly_capacity_t(self) -> float:
        return self.capacity_tpa / 12.0

    def capacity_changed(self) -> None:
        """Fixed cost scales with the operation (at construction, and when a brownfield block
        comes on line)."""
        self.fixed_cost_usd_month = (
            self.p.fixed_cost_share * self.cost_usd_t * self.capacity_tpa / 12.0
        )

    @property
    def stock_for_sale_t(self) -> float:
        """What it offers in its product's market (the ``Seller`` protocol): all its stock."""
        return self.inventory_t

    @property
    def lepidolite_share(self) -> float:
        """Share of its concentrate graded as lepidolite (sold at the quality discount)."""
        return 1.0 if self.resource == "lepidolite" else 0.0

    def compliance_usd_t(self) -> float:
        gov = self.government
        enforcement = gov.enforcement if gov is not None else 1.0
        return self.waste_t_per_t * self.p.compliance_usd_per_t_waste * enforcement

    def average_variable_usd_t(self) -> float:
        """Variable cost per tonne at nameplate, with this month's night-shift power saving."""
        energy_saving = self.p.night_power_discount if self.night_shift else 0.0
        return self.variable_cost_usd_t * (1.0 - self.energy_share * energy_saving)

    def unit_cash_cost_usd_t(self) -> float:
        """Cash cost per tonne at nameplate, with the mine's own savings but before any subsidy."""
        return (
            self.average_variable_usd_t()
            + self.fixed_cost_usd_month / self.monthly_capacity_t
            + self.compliance_usd_t()
        )

    def support_usd_t(self) -> float:
        """Per-tonne support a state-backed mine receives: subsidy plus cheap power."""
        if self.owner_kind != "state" or not self.supported:
            return 0.0
        if not self.world.params.policy.state_subsidy_enabled:
            return 0.0
        gov = self.government
        if gov is None:
            return 0.0
        return gov.support_usd_t(self)

    def cost_chem_equiv_usd_t(self) -> float:
        """Cash cost on a battery-grade chemical basis, comparable across resources."""
        return self.unit_cash_cost_usd_t() + self.conversion_cost_usd_t

    # --- prices --------------------------------------------------------------------------------
    @property
    def contracted(self) -> bool:
        """Whether part of its output is sold under offtake contracts: an independent hard-rock
        mine outside China, whose converters are its customers, not its owners."""
        return (
            self._market.offtake_enabled
            and self.product == "concentrate"
            and self.owner_kind == "independent"
            and self.region != "CN"
        )

    def contracted_t(self) -> float:
        """Tonnes its offtakes call for this month: their share of this month's output."""
        return self._market.offtake_share * self.output_t

    def market_price_usd_t(self) -> float:
        """Price this mine's product fetches this month (its realised netback): the spot price,
        blended with the contract price for the share sold under offtakes."""
        spot = self.world.product_price(self.resource)
        if not self.contracted:
            return spot
        share = self._market.offtake_share
        contract = self.world.contract_price_usd_t(self.product)
        return share * contract + (1.0 - share) * spot

    def decision_price_usd_t(self, market_price: float) -> float:
        """The price whose margin this mine's owner weighs: own, group or state view."""
        if self.owner_kind == "integrated" and self.supported and self.group is not None:
            p = self.p
            return (
                market_price * (1.0 + p.feed_security_premium)
                + p.group_margin_weight * self.group.downstream_margin_usd_t()
            )
        return market_price + self.support_usd_t()

    def loss_tolerance(self) -> float:
        """Multiplier on the care-and-maintenance threshold (political pressure)."""
        if (
            self.owner_kind == "state"
            and self.supported
            and self.world.params.policy.closure_pressure_enabled
        ):
            gov = self.government
            if gov is not None:
                return gov.loss_tolerance()
        return 1.0

    # --- stage: production ---------------------------------------------------------------------
    def produce(self) -> None:
        """Mine this month's output into inventory and pay the variable costs."""
        self.output_t = 0.0
        self.sold_t = 0.0
        self.revenue_usd = 0.0
        self.loss_making = False
        self.loss_share = 0.0
        if self.state not in PRODUCING:
            return
        if self.suspended_months > 0:
            self.suspended_months -= 1
            return
        if self.state == RAMP_UP:
            self.ramp_progress += 1
            ramp = min(1.0, self.ramp_progress / max(1, self.ramp_months))
            if self.ramp_progress >= self.ramp_months:
                self.state = OPERATING
        else:
            ramp = 1.0
        output = (
            self.monthly_capacity_t
            * ramp
            * self.utilisation
            * stock_curtailment(self.inventory_t, self.monthly_capacity_t, self.p.max_stock_months)
        )
        self.output_t = output
        self.inventory_t += output
        world = self.world
        self.ran_night_shift = self.night_shift  # _decide may switch it for next month
        # The tranches run are the cheapest ones: cost per tonne rises with the share run.
        variable = average_variable_cost_usd_t(
            output / self.monthly_capacity_t, self.average_variable_usd_t(), self.p.cost_spread
        )
        self.pay(world.suppliers_account, output * variable, "operating_cost")
        waste_t = output * self.waste_t_per_t
        self.pay(world.suppliers_account, output * self.compliance_usd_t(), "compliance_cost")
        if self.government is not None:
            self.government.inspect(self, waste_t)
        self._pollution_incident()

    def _pollution_incident(self) -> None:
        """A spill (thallium in wastewater, in the seeds): fine, shutdown, tighter enforcement.

        More likely the more waste a tonne of output leaves; stricter enforcement (and the
        compliance spending it forces) makes it rarer.
        """
        gov = self.government
        if gov is None:
            return
        p = self.p
        rate_yr = p.pollution_incident_rate * self.waste_t_per_t / 10.0
        if self.world.rng.random() >= rate_yr / 12.0 / max(gov.enforcement, 0.1):
            return
        self.incidents += 1
        self.pay(gov.account, p.incident_fine_usd, "fines")
        self.suspended_months = max(self.suspended_months, int(p.env_shutdown_months))
        gov.record_incident()

    # --- stage: selling ------------------------------------------------------------------------
    def ask_usd_t(self, last_market_price: float) -> float:
        """Ask in market terms for all stock; floor at variable cash cost net of support."""
        own_floor = max(0.0, self.variable_cost_usd_t - self.support_usd_t())
        quality = self.world.quality_discount(self.resource)
        own_last = max(1.0, last_market_price - quality)
        ask = seller_ask(self._ask, own_last, self.inventory_t, self.monthly_capacity_t, own_floor)
        return ask + quality

    def deliver(self, quantity_t: float, price_usd_t: float, buyer_account: int) -> None:
        """Hand over product and receive payment (market or captive transfer)."""
        if quantity_t <= 0.0:
            return
        self.inventory_t -= quantity_t
        if self.inventory_t < 0.0:
            self.inventory_t = 0.0 if self.inventory_t > -1e-9 else self.inventory_t
        value = quantity_t * price_usd_t
        self._ledger.pay(buyer_account, self.account, value, self._sales_kind)
        if self.government is not None:
            self.government.at_sale(self, value)
        self.sold_t += quantity_t
        self.revenue_usd += value

    # --- stage: accounting ---------------------------------------------------------------------
    def settle_month(self) -> None:
        """Pay fixed costs, receive support, judge the month and move through the life cycle."""
        world = self.world
        p = self.p
        price = self.market_price_usd_t()
        # The month's costs, computed once (unit_cash_cost_usd_t spelled out, same arithmetic).
        variable = self.average_variable_usd_t()
        compliance = self.compliance_usd_t()
        monthly_capacity_t = self.monthly_capacity_t
        fixed_usd_t = self.fixed_cost_usd_month / monthly_capacity_t
        unit_cost = variable + fixed_usd_t + compliance
        if self.sold_t > 0.0:
            self.realized_price_usd_t = self.revenue_usd / self.sold_t
        else:
            self.realized_price_usd_t = price
        # Judged at the share of capacity it ran: the cheapest tranches first, fixed cost per
        # tonne of nameplate (so at nameplate this is the unit cash cost).
        judged = unit_cost
        self.loss_share = 0.0
        if self.output_t > 0.0:
            run_share = self.output_t / monthly_capacity_t
            judged = (
                average_variable_cost_usd_t(run_share, variable, p.cost_spread)
                + compliance
                + fixed_usd_t
            )
            self.loss_share = loss_making_share(
                run_share, price, variable, compliance, fixed_usd_t, p.cost_spread
            )
        # Equivalent to loss_share > 0.5: marginal cost is linear, so the average over the
        # tranches run is the marginal cost of the middle one.
        self.loss_making = self.output_t > 0.0 and price < judged
        self.judged_unit_cost_usd_t = judged  # _decide may switch night shifts after this
        if self.state in PRODUCING:
            self.pay(world.suppliers_account, self.fixed_cost_usd_month, "fixed_cost")
        elif self.state == CARE:
            self.pay(
                world.suppliers_account,
                self.fixed_cost_usd_month * p.care_cost_share,
                "care_cost",
            )
        if self.government is not None:
            # Subsidy and cheap power for state-backed output, the state's profit share.
            self.government.at_mine_settlement(self, unit_cost)
        self._decide(price, variable, compliance)

    @property
    def loss_output_t(self) -> float:
        """This month's output from loss-making tranches."""
        return self.output_t * self.loss_share

    def net_decision_price_usd_t(self, price: float) -> float:
        """The owner's price (own, group or state view) after royalty."""
        return self.decision_price_usd_t(price) - price * self.world.royalty_rate(self.region)

    def best_run(self, price: float) -> tuple[float, float]:
        """(utilisation, monthly cash margin) of running the tranches the owner's net price
        covers: the share of capacity, and the margin the owner weighs at that share."""
        return self._best_run(price, self.average_variable_usd_t(), self.compliance_usd_t())

    def _best_run(
        self, price: float, average_variable: float, compliance: float
    ) -> tuple[float, float]:
        """``best_run`` with this month's average variable and compliance costs given."""
        net_price = self.net_decision_price_usd_t(price)
        spread = self.p.cost_spread
        utilisation = target_utilisation(
            net_price, average_variable, compliance, spread, self.min_utilisation
        )
        variable = average_variable_cost_usd_t(utilisation, average_variable, spread)
        per_t = net_price - variable - compliance
        margin = per_t * utilisation * self.monthly_capacity_t - self.fixed_cost_usd_month
        return utilisation, margin

    def target_utilisation(self, price: float) -> float:
        """Share of capacity whose marginal cash cost the owner's net price covers."""
        return self.best_run(price)[0]

    def monthly_margin_usd(self, price: float) -> float:
        """The month's cash margin as the owner weighs it, running at its best utilisation."""
        return self.best_run(price)[1]

    def _decide(
        self, price: float, variable: float | None = None, compliance: float | None = None
    ) -> None:
        """Utilisation for next month, then hysteresis: accumulate losses or expected surpluses,
        and act at the thresholds. ``variable`` and ``compliance`` are this month's average
        variable and compliance costs per tonne, as ``settle_month`` computed them (valid until
        the night shift is switched); computed here when not given.

        With ``hysteresis_enabled`` off the operator is myopic: it idles when this month's cash
        margin is negative and restarts at once, at no cost, when it is positive (it still
        closes after the longest care spell).
        """
        p = self.p
        policy = self.world.params.policy
        if variable is None or compliance is None:
            variable, compliance = self.average_variable_usd_t(), self.compliance_usd_t()
        if self.state == OPERATING and self.output_t >= 0.95 * self.monthly_capacity_t:
            self.full_months += 1
        else:
            self.full_months = 0
        if self.state in PRODUCING:
            target, monthly_margin = self._best_run(price, variable, compliance)
            self.utilisation = next_utilisation(
                self.utilisation, target, p.utilisation_adjust_share
            )
            thin = monthly_margin < 0.1 * self.cost_usd_t * self.monthly_capacity_t
            self.night_shift = thin and self.energy_share > 0.0
            if policy.hysteresis_enabled:
                self.cum_loss_usd = min(0.0, self.cum_loss_usd + monthly_margin)
                threshold = (
                    self.care_loss_months * self.fixed_cost_usd_month * self.loss_tolerance()
                )
                idle = -self.cum_loss_usd > threshold
            else:
                idle = monthly_margin < 0.0
            if idle and p.outlook_idling_enabled:
                idle = self.monthly_margin_usd(self.outlook_usd_t()) < 0.0
            if idle:
                self.state = CARE
                self.care_months = 0
                self.cum_surplus_usd = 0.0
                self.night_shift = False
        elif self.state == CARE and not self.restarting:
            self.care_months += 1
            if self.care_months > p.max_care_months:
                self.state = CLOSED
                return
            if not policy.hysteresis_enabled:
                if self.best_run(price)[1] > 0.0:
                    self.state = OPERATING
                    self.care_months = 0
                    self.cum_loss_usd = 0.0
                return
            world = self.world
            growth = self.price_growth(self.product)
            now = (
                world.recent_price(self.product)
                if p.restart_on_spot_enabled
                else world.smoothed_price(self.product)
            )
            outlook = expected_price(
                now,
                growth,
                p.trend_weight,
                p.restart_delay_months,
            )
            outlook -= world.quality_discount(self.resource)
            # In care the night shift is off, so this month's costs still hold.
            expected_margin = self._best_run(outlook, variable, compliance)[1]
            self.cum_surplus_usd = max(0.0, self.cum_surplus_usd + expected_margin)
            if self.cum_surplus_usd > p.restart_surplus_months * self.fixed_cost_usd_month:
                cost = p.restart_cost_months * self.fixed_cost_usd_month
                self.pay(world.suppliers_account, cost, "restart_cost")
                self.restarting = True
                world.schedule(self.restart, int(p.restart_delay_months))

    def outlook_usd_t(self) -> float:
        """The price of its product its owner expects a year out: the long-run price deck
        (weighted by ``operator_anchor_weight``) blended with the adaptive, trend-following
        chemical outlook, less conversion (what a converter would pay for the feed)."""
        world = self.world
        invest = world.params.investment
        chemical = anchored_outlook(
            world.smoothed_price("chemical"),
            self.price_growth("chemical"),
            invest.trend_weight,
            OUTLOOK_MONTHS,
            invest.long_run_price_usd_t,
            self.p.operator_anchor_weight,
        )
        return max(0.0, chemical - world.conversion_cost_for(self.resource))

    # --- stage: investment ---------------------------------------------------------------------
    def consider_expansion(self) -> Expansion | None:
        """A brownfield block when the mine has run full for months and the expected margin
        on a tonne of capacity pays the block's capital charge.

        The bet is the converters' rule: the chance of committing this month rises with the
        margin's excess over the charge (``invest_intensity``), so a boom brings expansions
        forward and a thin margin defers them. One block at a time, up to a multiple of the
        capacity the mine started with (resource, permit and quota limits).
        """
        p = self.p
        world = self.world
        if (
            not world.params.policy.brownfield_enabled
            or self.state != OPERATING
            or self.full_months < p.brownfield_full_months
            or self.expanding_tpa > 0.0
        ):
            return None
        headroom = p.brownfield_max_multiple * self.first_capacity_tpa - self.capacity_tpa
        block = min(p.brownfield_block_share * self.capacity_tpa, headroom)
        if block < 0.05 * self.first_capacity_tpa:
            return None
        invest = world.params.investment
        price = world.smoothed_price(self.product) - world.quality_discount(self.resource)
        margin = self.net_decision_price_usd_t(price) - self.unit_cash_cost_usd_t()
        capex_usd_tpa = p.brownfield_capex_share * self._capex_usd_tpa
        charge = capex_usd_tpa * annuity_factor(invest.hurdle_rate, invest.project_life_years)
        excess = margin / charge - 1.0
        if excess <= 0.0 or world.rng.random() >= min(1.0, invest.invest_intensity * excess):
            return None
        return Expansion(
            self, capex_usd_tpa * block, block, int(p.brownfield_lead_months), "capex_mining"
        )
