"""Building the population of a run from its configuration, and adding firms during the run.

The order in which agents are created is part of the model: it fixes their ids and the order
of random draws, so a run is reproducible from (scenario, seed).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from lithium_abm.agents.base import Group
from lithium_abm.agents.battery_maker import BatteryMaker
from lithium_abm.agents.converter_developer import ConverterDeveloper
from lithium_abm.agents.developer import Deposit, Developer
from lithium_abm.agents.government import Government
from lithium_abm.agents.mine import CLOSED, CONSTRUCTION, OPERATING, Mine
from lithium_abm.agents.recycler import Recycler
from lithium_abm.agents.refiner import Refiner
from lithium_abm.agents.stockpiler import Stockpiler
from lithium_abm.agents.trader import Trader
from lithium_abm.model.config import GovernmentSpec, ModelConfig, month_index
from lithium_abm.model.policy import instruments as _instruments  # noqa: F401 - registers them
from lithium_abm.model.policy.instrument import INSTRUMENTS
from lithium_abm.model.world import PRODUCTS, World
from lithium_abm.model.zones import CHINA, REST_OF_WORLD, ZONES, routes, zone_of

RECYCLER_SITES = (("China recyclers", "CN"), ("Korea-Europe recyclers", "EU"))


def level(ref: str, params: dict[str, Any]) -> Any:
    """A table cell: the value of the parameter it names, or the number it holds."""
    return params[ref] if ref in params else float(ref)


@dataclass
class Population:
    """Every agent of a run, in lists and dicts by role (never found by indexing)."""

    world: World
    governments: dict[str, Government] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    mines: list[Mine] = field(default_factory=list)
    hard_rock_mines: list[Mine] = field(default_factory=list)  # sell concentrate
    chemical_mines: list[Mine] = field(default_factory=list)  # brine and clay: sell chemical
    refiners: list[Refiner] = field(default_factory=list)
    battery_makers: list[BatteryMaker] = field(default_factory=list)
    developers: dict[tuple[str, str], Developer] = field(default_factory=dict)
    converter_developers: list[ConverterDeveloper] = field(default_factory=list)
    recyclers: list[Recycler] = field(default_factory=list)
    stockpiler: Stockpiler | None = None
    traders: list[Trader] = field(default_factory=list)  # regional markets only
    opening_stock_t: float = 0.0

    def traders_of(self, product: str, regional: bool) -> list[Trader] | None:
        """A product's traders for its market, or None when there is one world market."""
        return [t for t in self.traders if t.product == product] if regional else None

    def capacity_tables(
        self,
    ) -> tuple[dict[tuple[str, str], tuple[float, float]], dict[str, tuple[float, float]]]:
        """(installed, under construction) t/yr: of mines by (region, resource), and of
        converters by market zone, what investors weigh their pipeline limits against."""
        mines: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
        for mine in self.mines:
            key = (mine.region, mine.resource)
            if mine.state == CONSTRUCTION:
                mines[key][1] += mine.capacity_tpa
            elif mine.state != CLOSED:
                mines[key][0] += mine.capacity_tpa
        converters: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        for refiner in self.refiners:
            totals = converters[zone_of(refiner.region)]
            totals[0] += refiner.capacity_tpa
            totals[1] += refiner.expanding_tpa
        return (
            {k: (v[0], v[1]) for k, v in mines.items()},
            {k: (v[0], v[1]) for k, v in converters.items()},
        )

    def group(self, name: str) -> Group | None:
        if not name:
            return None
        if name not in self.groups:
            self.groups[name] = Group(name)
        return self.groups[name]

    def add_mine(
        self,
        name: str,
        resource: str,
        region: str,
        capacity_tpa: float,
        cost_usd_t: float,
        owner_kind: str = "independent",
        group: Group | None = None,
        state: str = OPERATING,
        months_to_output: int = 0,
    ) -> Mine:
        """Create a mine with working capital of some months' fixed cost."""
        p = self.world.params.mine
        working_capital = (
            p.mine_working_capital_months * p.fixed_cost_share * cost_usd_t * capacity_tpa / 12.0
        )
        mine = Mine(
            self.world,
            name,
            resource,
            region,
            capacity_tpa,
            cost_usd_t,
            owner_kind,
            group,
            state,
            months_to_output,
            cash_usd=working_capital,
        )
        self.mines.append(mine)
        if group is not None:
            group.mines.append(mine)
        (self.hard_rock_mines if mine.product == "concentrate" else self.chemical_mines).append(
            mine
        )
        return mine

    def add_refiner(
        self,
        name: str,
        region: str,
        capacity_tpa: float,
        owner_kind: str = "independent",
        group_name: str = "",
        months_to_output: int = 0,
    ) -> Refiner:
        group = self.group(group_name)
        refiner = Refiner(
            self.world,
            name,
            region,
            0.0 if months_to_output > 0 else capacity_tpa,
            owner_kind,
            group,
            cash_usd=self.world.params.refiner.converter_cash_usd_tpa * capacity_tpa,
        )
        if months_to_output > 0:
            refiner.add_block(capacity_tpa, months_to_output)
        self.refiners.append(refiner)
        if group is not None:
            group.refiners.append(refiner)
        return refiner


def build_government(world: World, spec: GovernmentSpec, params: dict[str, Any]) -> Government:
    instruments = [INSTRUMENTS[name](level(ref, params)) for name, ref in spec.instruments]
    return Government(
        world,
        spec.region,
        instruments,
        level(spec.self_sufficiency_target, params),
        level(spec.support_budget_usd_yr, params),
    )


def build_population(world: World, config: ModelConfig, first_demand_t: float) -> Population:
    """The world of ``config`` at its first month, every stage holding its normal stock."""
    if not config.governments:
        raise ValueError("the configuration has no governments table")
    params = config.params
    groups = world.params
    pop = Population(world)
    for spec in config.governments:
        pop.governments[spec.region] = build_government(world, spec, params)
    world.governments = pop.governments
    for spec in config.battery_makers:
        maker = BatteryMaker(
            world,
            spec.name,
            spec.region,
            spec.demand_share,
            spec.owner_kind,
            pop.group(spec.group),
            cash_usd=groups.battery_maker.battery_maker_cash_usd,
        )
        pop.battery_makers.append(maker)
        if maker.group is not None:
            maker.group.battery_makers.append(maker)
    for spec in config.refiners:
        pop.add_refiner(
            spec.name,
            spec.region,
            spec.capacity_tpa,
            spec.owner_kind,
            spec.group,
            months_to_output=_months_until(config, spec.start),
        )
    for spec in config.mines:
        months = _months_until(config, spec.start)
        state = spec.state if months <= 0 else CONSTRUCTION
        pop.add_mine(
            spec.name,
            spec.resource,
            spec.region,
            spec.capacity_tpa,
            spec.cost_usd_t,
            spec.owner_kind,
            pop.group(spec.group),
            state,
            months,
        )
    rng = world.rng
    for spec in config.resource_base:
        costs = rng.uniform(spec.cost_min_usd_t, spec.cost_max_usd_t, spec.deposits)
        sizes = spec.capacity_tpa * rng.uniform(0.6, 1.4, spec.deposits)
        deposits = [Deposit(float(s), float(c)) for s, c in zip(sizes, costs, strict=True)]
        pop.developers[(spec.region, spec.resource)] = Developer(
            world,
            spec.region,
            spec.resource,
            deposits,
            spec.capacity_tpa,
            (spec.cost_min_usd_t, spec.cost_max_usd_t),
        )
    recycling = groups.recycling
    if recycling.recycling_enabled and recycling.recycling_capacity_tpa_2015 > 0.0:
        share_cn = recycling.recycling_capacity_share_cn
        # The complement rounded to 12 decimals: 1 - 0.7 is 0.30000000000000004 in floats.
        shares = (share_cn, round(1.0 - share_cn, 12))
        for (name, region), share in zip(RECYCLER_SITES, shares, strict=True):
            capacity = share * recycling.recycling_capacity_tpa_2015
            cash = recycling.recycler_cash_usd_tpa * capacity
            pop.recyclers.append(Recycler(world, name, region, capacity, cash_usd=cash))
    entry = groups.investment
    if entry.converter_entry_row_enabled or entry.converter_entry_cn_enabled:
        pop.converter_developers = build_converter_developers(world, config)
    if groups.market.regional_markets_enabled:
        pop.traders = build_traders(world, pop)
    for gov in pop.governments.values():
        for inst in gov.instruments:
            inst.bind(gov, world, pop)
    _initial_stocks(pop, world.params.battery_maker.inventory_cover_months, first_demand_t)
    return pop


def build_converter_developers(world: World, config: ModelConfig) -> list[ConverterDeveloper]:
    """A converter developer for each zone whose entry switch is on (China's zone first), each
    building where the zone's first converter in the scenario's data stands (China; Australia
    for the rest of the world); none for a zone whose data hold no converter."""
    entry = world.params.investment
    wanted = {
        CHINA: entry.converter_entry_cn_enabled,
        REST_OF_WORLD: entry.converter_entry_row_enabled,
    }
    developers = []
    for zone in ZONES:
        regions = [spec.region for spec in config.refiners if zone_of(spec.region) == zone]
        if wanted[zone] and regions:
            developers.append(ConverterDeveloper(world, zone, regions[0]))
    return developers


def build_traders(world: World, pop: Population) -> list[Trader]:
    """One trader per product and ordered pair of market zones.

    A trader pays the export duty of the source zone's governments and the tariff of each
    destination government on the share of the destination's chemical demand its battery
    makers hold (a US tariff bites on the part of a cargo bound for US buyers).
    """
    demand: dict[str, float] = defaultdict(float)
    for maker in pop.battery_makers:
        demand[maker.region] += maker.demand_share
    traders = []
    for product in PRODUCTS:
        for source, destination in routes():
            exporters = [g for r, g in pop.governments.items() if zone_of(r) == source]
            zone_demand = sum(d for r, d in demand.items() if zone_of(r) == destination)
            importers = [
                (g, demand[r] / zone_demand)
                for r, g in pop.governments.items()
                if zone_of(r) == destination and zone_demand > 0.0 and demand[r] > 0.0
            ]
            traders.append(Trader(world, product, source, destination, exporters, importers))
    return traders


def _months_until(config: ModelConfig, when: str) -> int:
    return month_index(config.start, when) if when else 0


def _initial_stocks(pop: Population, cover_months: float, first_demand_t: float) -> None:
    """The chain starts in a working state: each stage holds its normal cover of stock.

    Stocks are created as lithium produced before the first month (counted as opening
    production, so the lithium balance holds from month one).
    """
    world = pop.world
    opening = 0.0
    for maker in pop.battery_makers:
        stock = cover_months * first_demand_t * maker.demand_share
        maker.inventory_t = stock
        maker.inventory_cost_usd = stock * world.last_price["chemical"]
        opening += stock
    feed_cover = world.params.refiner.refiner_feed_cover_months
    for refiner in pop.refiners:
        if refiner.capacity_tpa > 0.0:
            feed = feed_cover * refiner.monthly_capacity_t * 0.5
            refiner.receive_feed(feed, world.last_price["concentrate"], 0.0)
            opening += feed
    pop.opening_stock_t = opening
