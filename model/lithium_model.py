"""The lithium supply-chain model: a Mesa model that sequences the stages of each month.

One step is one month. The stage order is fixed and documented (docs/ODD.md):

1. government   policy reviews and budget years run as Mesa events between months
2. demand       world battery demand, with a price response, split among battery makers
3. mines        production, variable and compliance costs, inspections, pollution incidents
4. concentrate  captive transfers, then the concentrate market
5. refiners     conversion of feed into chemical; recyclers collect and recover retired lithium
6. chemical     captive transfers, then the chemical market (instruments see every trade)
7. batteries    battery makers consume chemical and earn the downstream margin
8. accounting   fixed costs, instruments at settlement, hysteresis, bankruptcies, asset sales
9. investment   developers, converters, recyclers, mines (brownfield), integrated groups and
                the state decide;
                their intents are carried out at once
10. data        the month's record (and Mesa's DataCollector)

Everything else lives in modules of its own: the world agents see (``world.py``), the
population (``population.py``), markets (``markets/``), policy instruments (``policy/``),
project finance (``projects.py``), bankruptcy (``bankruptcy.py``), exploration
(``exploration.py``), recycling (``recycling_stage.py``) and demand (``demand_stage.py``).
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Callable
from numbers import Integral
from typing import Any

import mesa
import pandas as pd
from mesa.time import Schedule

from lithium_abm.agents.mine import CLOSED
from lithium_abm.model.bankruptcy import BankruptcyCourt
from lithium_abm.model.config import ModelConfig, month_index
from lithium_abm.model.demand_stage import DemandStage
from lithium_abm.model.exploration import Exploration
from lithium_abm.model.markets.market import ChemicalMarket, ConcentrateMarket
from lithium_abm.model.param_groups import ParamGroups
from lithium_abm.model.population import build_population
from lithium_abm.model.projects import Projects
from lithium_abm.model.recorder import Recorder
from lithium_abm.model.recycling_stage import RecyclingStage
from lithium_abm.model.world import World

MAX_SEED = 2**63 - 1


def checked_seed(seed: Any) -> int:
    """A seed as an int in [0, 2^63); ``None`` draws one. Non-integers are refused."""
    if seed is None:
        return secrets.randbits(63)
    if isinstance(seed, bool) or not isinstance(seed, int | Integral):
        raise ValueError(f"seed: expected an integer in [0, {MAX_SEED}], got {seed!r}")
    seed = int(seed)
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed: expected an integer in [0, {MAX_SEED}], got {seed!r}")
    return seed


class LithiumModel(mesa.Model):
    """Monthly agent-based model of the lithium chain, reproducible from (scenario, seed).

    ``LithiumModel("baseline", seed=1, hurdle_rate=0.1)`` builds a scenario by name (or path)
    with parameters validated exactly like ``--set``; ``LithiumModel.from_config`` takes a
    validated configuration. ``seed=None`` draws a seed and records it in ``self.seed``.
    """

    def __init__(
        self,
        scenario: str | ModelConfig = "baseline",
        *,
        seed: int | None = None,
        rng: int | None = None,
        start: str | None = None,
        end: str | None = None,
        record_agents: bool = True,
        **params: Any,
    ) -> None:
        config = _config_for(scenario, start, end, params)
        chosen = checked_seed(seed if seed is not None else rng)
        super().__init__(rng=chosen)
        self.config = config
        self.seed = chosen
        self.p = dict(config.params)
        start_year, start_month = (int(x) for x in config.start.split("-"))
        self.n_months = month_index(config.start, config.end) + 1
        if self.n_months < 1:
            raise ValueError(f"end {config.end} is before start {config.start}")
        self.dates = pd.date_range(config.start + "-01", periods=self.n_months, freq="MS")
        self.params = ParamGroups.from_params(self.p)
        self.world = world = World(self, self.params, start_year, start_month)
        self.demand = DemandStage(world, config, self.n_months)
        self.population = pop = build_population(world, config, self.demand.first_month_t())
        self.demand.china_demand_share = sum(
            b.demand_share for b in pop.battery_makers if b.region == "CN"
        )
        self.recycling = RecyclingStage(world, pop, config)
        self.projects = Projects(world, pop)
        self.court = BankruptcyCourt(world, pop)
        self.exploration = Exploration(world, pop)
        regional = self.params.market.regional_markets_enabled
        self.concentrate_market = ConcentrateMarket(
            world, pop.groups, config.clearing_rule, pop.traders_of("concentrate", regional)
        )
        self.chemical_market = ChemicalMarket(
            world, pop.groups, config.clearing_rule, pop.traders_of("chemical", regional)
        )
        self.outcomes = {
            "concentrate": self.concentrate_market.outcome,
            "chemical": self.chemical_market.outcome,
        }
        self.stages = self._default_stages()
        self._schedule_events(config)
        self.recorder = Recorder(self, record_agents=record_agents)
        self.datacollector = self.recorder.datacollector()

    @classmethod
    def from_config(
        cls, config: ModelConfig, seed: int, *, record_agents: bool = True
    ) -> LithiumModel:
        """The model of a validated configuration and a seed: what every run path builds."""
        return cls(config, seed=seed, record_agents=record_agents)

    def _schedule_events(self, config: ModelConfig) -> None:
        """Reviews and budget years as Mesa events between months, none after the last month
        (so steps after the end do nothing)."""
        last = float(self.n_months)
        review = int(self.params.policy.policy_review_months)
        if review + 0.5 <= last:
            for gov in self.population.governments.values():
                every_review = Schedule(interval=review, start=review + 0.5, end=last)
                self.schedule_recurring(gov.review, every_review)
        first_january = (13 - self.world.start_month) % 12 + 0.5
        if first_january <= last:
            self.schedule_recurring(
                self._new_budget_year, Schedule(interval=12, start=first_january, end=last)
            )
        china_2025 = month_index(config.start, "2025-01")
        discovery = self.params.exploration.cn_discovery_2025_tpa
        if 0 <= china_2025 < self.n_months and discovery > 0.0:
            self.schedule_event(self.exploration.china_discovery, at=china_2025 + 0.5)

    def _new_budget_year(self) -> None:
        for gov in self.population.governments.values():
            gov.new_year()
        self.exploration.explore_year()

    # --- the month -----------------------------------------------------------------------------
    def _default_stages(self) -> list[tuple[str, Callable[[], None]]]:
        return [
            ("demand", self._demand_stage),
            ("mines", self._mines_stage),
            ("concentrate", self._concentrate_stage),
            ("refiners", self._refiners_stage),
            ("chemical", self._chemical_stage),
            ("batteries", self._batteries_stage),
            ("accounting", self._accounting_stage),
            ("investment", self._investment_stage),
            ("data", self._data_stage),
        ]

    def stage_names(self) -> list[str]:
        return [name for name, _ in self.stages]

    def insert_stage(self, name: str, run: Callable[[], None], *, after: str) -> None:
        """Run ``run()`` every month right after the stage ``after`` (how a new agent type or
        mechanism joins the month without editing this class; see docs/ARCHITECTURE.md)."""
        names = self.stage_names()
        if name in names:
            raise ValueError(f"stage {name!r} exists already; stages: {', '.join(names)}")
        if after not in names:
            raise ValueError(f"unknown stage {after!r}; stages: {', '.join(names)}")
        self.stages.insert(names.index(after) + 1, (name, run))

    def step(self) -> None:
        world = self.world
        if world.month >= self.n_months - 1:
            self.running = False
            return
        world.month += 1
        world.ledger.start_month()
        for _, run in self.stages:
            run()
        if world.month == self.n_months - 1:
            self.running = False

    def _demand_stage(self) -> None:
        demand_t = self.demand.run()
        for maker in self.population.battery_makers:
            maker.take_orders(demand_t)

    def _mines_stage(self) -> None:
        for mine in self.population.mines:
            mine.produce()

    def _concentrate_stage(self) -> None:
        pop = self.population
        self.outcomes["concentrate"] = self.concentrate_market.run(
            pop.hard_rock_mines, pop.refiners
        )

    def _refiners_stage(self) -> None:
        for refiner in self.population.refiners:
            refiner.convert()
        self.recycling.run()

    def _chemical_stage(self) -> None:
        pop = self.population
        reserve = [pop.stockpiler] if pop.stockpiler is not None else []
        sellers = pop.refiners + pop.chemical_mines + pop.recyclers + reserve
        self.outcomes["chemical"] = self.chemical_market.run(sellers, pop.battery_makers + reserve)

    def _batteries_stage(self) -> None:
        makers = self.population.battery_makers
        for maker in makers:
            maker.make_batteries()
        self.recycling.put_into_use(sum(b.consumed_t for b in makers))

    def _accounting_stage(self) -> None:
        mines = self.population.mines
        for mine in mines:
            if mine.state != CLOSED:
                mine.settle_month()
        for mine in mines:
            if mine.state != CLOSED and self.court.is_bankrupt(mine):
                self.court.resolve(mine)
        self._observe()

    def _investment_stage(self) -> None:
        pop = self.population
        self.world.set_capacity(*pop.capacity_tables())
        for key in sorted(pop.developers):
            self._carry_out(pop.developers[key].consider())
        for firm in pop.refiners + pop.recyclers:
            self._carry_out(firm.consider_expansion())
        for entrant in pop.converter_developers:
            self._carry_out(entrant.consider())
        for mine in pop.mines:
            if mine.state != CLOSED:
                self._carry_out(mine.consider_expansion())
        for maker in pop.battery_makers:
            self._carry_out(maker.consider_upstream())
        for gov in pop.governments.values():
            if gov.consider_stakes():
                self.projects.develop_state_mine(gov)

    def _data_stage(self) -> None:
        self.recorder.record()
        self.datacollector.collect(self)

    def _carry_out(self, intent: Any) -> None:
        if intent is not None:
            self.projects.carry_out(intent)

    def _observe(self) -> None:
        """What governments observe this month: domestic mine and chemical output, state mines'
        output and losses."""
        mined: dict[str, float] = defaultdict(float)
        chem: dict[str, float] = defaultdict(float)
        state_out: dict[str, float] = defaultdict(float)
        state_loss: dict[str, float] = defaultdict(float)
        for mine in self.population.mines:
            if mine.output_t <= 0.0:
                continue
            mined[mine.region] += mine.output_t
            if mine.product == "chemical":
                chem[mine.region] += mine.output_t
            if mine.owner_kind == "state":
                state_out[mine.region] += mine.output_t
                state_loss[mine.region] += mine.loss_output_t
        for refiner in self.population.refiners:
            chem[refiner.region] += refiner.output_t
        for region in self.population.governments:
            self.world.observe(
                region, mined[region], chem[region], state_out[region], state_loss[region]
            )

    def run(self) -> LithiumModel:
        """Run all remaining months of the scenario."""
        while self.running:
            self.step()
        return self

    # --- results -------------------------------------------------------------------------------
    @property
    def month(self) -> int:
        return self.world.month

    @property
    def ledger(self):
        return self.world.ledger

    def model_frame(self) -> pd.DataFrame:
        return self.recorder.model_frame()

    def agents_frame(self) -> pd.DataFrame:
        return self.recorder.agents_frame()

    def lithium_balance_error_t(self) -> float:
        """Produced minus consumed minus inventories held: zero when lithium is conserved."""
        pop = self.population
        held = sum(m.inventory_t for m in pop.mines)
        held += sum(r.feed_t + r.chemical_t for r in pop.refiners)
        held += sum(b.inventory_t for b in pop.battery_makers)
        held += sum(r.feed_t + r.chemical_t for r in pop.recyclers)
        held += pop.stockpiler.inventory_t if pop.stockpiler is not None else 0.0
        held += sum(t.held_t for t in pop.traders)
        sources = self.recorder.cum_production_t + self.recycling.cum_collected_t
        sinks = self.recorder.cum_consumption_t + self.recycling.cum_loss_t
        return sources - sinks - held

    # Agents by role, for analysis code and tests (the stages use the population directly).
    mines = property(lambda self: self.population.mines)
    refiners = property(lambda self: self.population.refiners)
    battery_makers = property(lambda self: self.population.battery_makers)
    recyclers = property(lambda self: self.population.recyclers)
    developers = property(lambda self: self.population.developers)
    governments = property(lambda self: self.population.governments)
    groups = property(lambda self: self.population.groups)
    stockpiler = property(lambda self: self.population.stockpiler)
    traders = property(lambda self: self.population.traders)
    last_price = property(lambda self: self.world.last_price)


def _config_for(
    scenario: str | ModelConfig, start: str | None, end: str | None, params: dict[str, Any]
) -> ModelConfig:
    """A validated configuration: a given one, or a scenario file with overrides."""
    if isinstance(scenario, ModelConfig):
        if params or start or end:
            raise ValueError("give parameters, start and end with a scenario name, not a config")
        return scenario
    from lithium_abm.experiments.scenario import load_scenario

    return load_scenario(scenario, params, start=start, end=end)
