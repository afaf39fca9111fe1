"""The lithium supply-chain model: it wires agents, markets, the calendar and the accounts.

One step is one month. The stage order is fixed and documented (docs/ODD.md):

1. government   policy reviews and budget years run as Mesa events between months
2. demand       world battery demand, with a price response, split among battery makers
   demand       (EV support, battery chemistry and substitution shift the path)
3. mines        production, variable and compliance costs, inspections, pollution incidents
4. concentrate  captive transfers, then the concentrate call auction
5. refiners     conversion of feed into chemical; recyclers collect and recover retired lithium
6. chemical     captive transfers, then the chemical call auction (tariffs, export duties,
                the state reserve buying or releasing)
7. batteries    battery makers consume chemical and earn the downstream margin
8. accounting   fixed costs, subsidies, hysteresis decisions, bankruptcies and asset sales
9. investment   developers, refiners, recyclers, integrated groups and the state start projects
10. data        the month's record
"""

from __future__ import annotations

from collections import defaultdict

import mesa
import numpy as np
import pandas as pd
from mesa.time import Schedule

from lithium_abm.agents.base import Firm, Group
from lithium_abm.agents.battery_maker import BatteryMaker
from lithium_abm.agents.developer import Deposit, Developer
from lithium_abm.agents.government import Government
from lithium_abm.agents.mine import CLOSED, CONSTRUCTION, OPERATING, Mine
from lithium_abm.agents.recycler import Recycler
from lithium_abm.agents.refiner import Refiner
from lithium_abm.agents.stockpiler import Stockpiler
from lithium_abm.model import markets
from lithium_abm.model.behaviour import annuity_factor
from lithium_abm.model.config import ModelConfig, month_index
from lithium_abm.model.demand import (
    chemistry_factor,
    ev_subsidy_factor,
    monthly_demand_path_t,
    next_substitution_share,
    price_response,
)
from lithium_abm.model.ledger import Ledger
from lithium_abm.model.parameters import CHEMICAL_RESOURCES
from lithium_abm.model.recorder import Recorder
from lithium_abm.model.recycling import (
    battery_share_of_use,
    collection_rate,
    lifetime_pmf,
    retirements_t,
)

PRODUCTS = ("concentrate", "chemical")


class LithiumModel(mesa.Model):
    """Monthly agent-based model of the lithium chain, reproducible from (config, seed)."""

    def __init__(self, config: ModelConfig, seed: int = 0, record_agents: bool = True) -> None:
        """Build the world of ``config``; ``record_agents=False`` keeps only the monthly model
        table (what sweeps need), which saves about a fifth of the run time."""
        super().__init__(rng=int(seed))
        self.config = config
        self.seed = int(seed)
        self.p = dict(config.params)
        self.start_year, self.start_month = (int(x) for x in config.start.split("-"))
        self.n_months = month_index(config.start, config.end) + 1
        if self.n_months < 1:
            raise ValueError(f"end {config.end} is before start {config.start}")
        self.dates = pd.date_range(config.start + "-01", periods=self.n_months, freq="MS")

        self.ledger = _ledger = Ledger()
        self.capital_account = _ledger.open("external:capital_market")
        self.suppliers_account = _ledger.open("external:suppliers")
        self.households_account = _ledger.open("external:battery_customers")
        self.treasury_account = _ledger.open("external:treasuries")
        self.exchange_account = _ledger.open("exchange")

        self.base_demand_t = monthly_demand_path_t(
            self.start_year, self.start_month, self.n_months, config.demand_path_t
        )
        self.last_price = {
            "concentrate": float(self.p["initial_price_concentrate_usd_t"]),
            "chemical": float(self.p["initial_price_chemical_usd_t"]),
        }
        self._smoothed = dict(self.last_price)
        self._price_lists: dict[str, list[float]] = {k: [] for k in PRODUCTS}
        self._history_cache: dict[tuple[str, int], tuple[int, float]] = {}
        self.month = -1
        self.outcomes: dict[str, markets.MarketOutcome] = {}
        self.demand_t = 0.0
        self.bankruptcies = 0
        self.asset_sales = 0
        self._domestic_hist: dict[str, list[tuple[float, float]]] = defaultdict(list)
        self._state_loss_hist: dict[str, list[tuple[float, float]]] = defaultdict(list)

        self.groups: dict[str, Group] = {}
        self.governments: dict[str, Government] = {}
        self.mines: list[Mine] = []
        self.hard_rock_mines: list[Mine] = []  # sell concentrate
        self.chemical_mines: list[Mine] = []  # brine and clay: sell chemical
        self.refiners: list[Refiner] = []
        self.battery_makers: list[BatteryMaker] = []
        self.developers: dict[tuple[str, str], Developer] = {}
        self.recyclers: list[Recycler] = []
        self.stockpiler: Stockpiler | None = None
        self.substitution_share = 0.0
        self.demand_factors = {"ev_subsidy": 1.0, "chemistry": 1.0}
        self._build_population()
        self.china_demand_share = sum(
            b.demand_share for b in self.battery_makers if b.region == "CN"
        )
        self._init_recycling()

        review = int(self.p["policy_review_months"])
        for gov in self.governments.values():
            self.schedule_recurring(gov.review, Schedule(interval=review, start=review + 0.5))
        first_january = (13 - self.start_month) % 12 + 0.5
        self.schedule_recurring(self._new_budget_year, Schedule(interval=12, start=first_january))
        china_2025 = month_index(config.start, "2025-01")
        if 0 <= china_2025 < self.n_months and self.p["cn_discovery_2025_tpa"] > 0.0:
            self.schedule_event(self._china_discovery, at=china_2025 + 0.5)
        self.recorder = Recorder(self, record_agents=record_agents)

    @classmethod
    def from_config(
        cls, config: ModelConfig, seed: int, *, record_agents: bool = True
    ) -> LithiumModel:
        """The model of a validated configuration and a seed: what every run path builds."""
        return cls(config, seed=seed, record_agents=record_agents)

    # --- population ----------------------------------------------------------------------------
    def _group(self, name: str) -> Group | None:
        if not name:
            return None
        if name not in self.groups:
            self.groups[name] = Group(name)
        return self.groups[name]

    def _build_population(self) -> None:
        p = self.p
        cfg = self.config
        gov_specs = {
            "CN": (
                p["royalty_cn"],
                p["tariff_cn"],
                p["cn_self_sufficiency_target"],
                p["cn_support_budget_usd_yr"],
                p["env_enforcement_cn"],
            ),
            "AU": (p["royalty_au"], 0.0, 0.0, 0.0, 1.0),
            "CL": (p["royalty_cl"], 0.0, 0.0, 0.0, 1.0),
            "AR": (p["royalty_ar"], 0.0, 0.0, 0.0, 1.0),
            "US": (0.0, p["tariff_us"], 0.0, 0.0, 1.0),
        }
        for region, (royalty, tariff, target, budget, enforcement) in gov_specs.items():
            self.governments[region] = Government(
                self, region, royalty, tariff, target, budget, enforcement
            )
        for spec in cfg.battery_makers:
            maker = BatteryMaker(
                self,
                spec.name,
                spec.region,
                spec.demand_share,
                spec.owner_kind,
                self._group(spec.group),
                cash_usd=2.0e9,
            )
            self.battery_makers.append(maker)
            if maker.group is not None:
                maker.group.battery_makers.append(maker)
        for spec in cfg.refiners:
            self.add_refiner(
                spec.name,
                spec.region,
                spec.capacity_tpa,
                spec.owner_kind,
                spec.group,
                months_to_output=self._months_until(spec.start),
            )
        for spec in cfg.mines:
            months = self._months_until(spec.start)
            state = spec.state if months <= 0 else CONSTRUCTION
            self.add_mine(
                spec.name,
                spec.resource,
                spec.region,
                spec.capacity_tpa,
                spec.cost_usd_t,
                spec.owner_kind,
                self._group(spec.group),
                state,
                months,
            )
        for spec in cfg.resource_base:
            costs = self.rng.uniform(spec.cost_min_usd_t, spec.cost_max_usd_t, spec.deposits)
            sizes = spec.capacity_tpa * self.rng.uniform(0.6, 1.4, spec.deposits)
            deposits = [Deposit(float(s), float(c)) for s, c in zip(sizes, costs, strict=True)]
            developer = Developer(
                self,
                spec.region,
                spec.resource,
                deposits,
                spec.capacity_tpa,
                (spec.cost_min_usd_t, spec.cost_max_usd_t),
            )
            if spec.region == "CN":
                developer.hold_back(p["orefield_reserve_share"])
            self.developers[(spec.region, spec.resource)] = developer
        if p["recycling_enabled"] and p["recycling_capacity_tpa_2015"] > 0.0:
            for name, region, share in (
                ("China recyclers", "CN", 0.7),
                ("Korea-Europe recyclers", "EU", 0.3),
            ):
                capacity = share * p["recycling_capacity_tpa_2015"]
                self.recyclers.append(
                    Recycler(self, name, region, capacity, cash_usd=2000.0 * capacity)
                )
        if p["stockpile_enabled"]:
            self.stockpiler = Stockpiler(self, "China state reserve", "CN", 0.0)
            budget = p["stockpile_budget_usd"]
            self.ledger.pay(self.treasury_account, self.stockpiler.account, budget, "budget")
        self._initial_stocks()

    def _init_recycling(self) -> None:
        """Lithium put into use before the run (the demand path extended back 30 years)."""
        p = self.p
        self._retirement_pmf = lifetime_pmf(
            p["battery_life_mean_years"], p["battery_life_sd_years"]
        )
        back = 360
        past = monthly_demand_path_t(
            self.start_year - 30, self.start_month, back, self.config.demand_path_t
        )
        years = self.start_year - 30 + (self.start_month - 1 + np.arange(back)) / 12.0
        self._in_use_t: list[float] = list(past * battery_share_of_use(years) * p["demand_scale"])
        self.retired_t = 0.0
        self.collected_t = 0.0
        self.cum_collected_t = 0.0
        self.cum_recycling_loss_t = 0.0

    def _initial_stocks(self) -> None:
        """The chain starts in a working state: each stage holds its normal cover of stock.

        Stocks are created as lithium produced before the first month (counted as opening
        production, so the lithium balance holds from month one).
        """
        p = self.p
        first_demand = self.base_demand_t[0] * p["demand_scale"]
        opening = 0.0
        for maker in self.battery_makers:
            stock = p["inventory_cover_months"] * first_demand * maker.demand_share
            maker.inventory_t = stock
            maker.inventory_cost_usd = stock * self.last_price["chemical"]
            opening += stock
        for refiner in self.refiners:
            if refiner.capacity_tpa > 0.0:
                feed = p["refiner_feed_cover_months"] * refiner.monthly_capacity_t * 0.5
                refiner.receive_feed(feed, self.last_price["concentrate"], 0.0)
                opening += feed
        self.opening_stock_t = opening

    def _months_until(self, when: str) -> int:
        return month_index(self.config.start, when) if when else 0

    def add_mine(
        self,
        name,
        resource,
        region,
        capacity_tpa,
        cost_usd_t,
        owner_kind="independent",
        group: Group | None = None,
        state=OPERATING,
        months_to_output=0,
    ) -> Mine:
        """Create a mine with working capital of six months' fixed cost."""
        working_capital = 6.0 * self.p["fixed_cost_share"] * cost_usd_t * capacity_tpa / 12.0
        mine = Mine(
            self,
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
        name,
        region,
        capacity_tpa,
        owner_kind="independent",
        group_name="",
        months_to_output=0,
    ) -> Refiner:
        group = self._group(group_name)
        refiner = Refiner(
            self,
            name,
            region,
            0.0 if months_to_output > 0 else capacity_tpa,
            owner_kind,
            group,
            cash_usd=2000.0 * capacity_tpa,
        )
        if months_to_output > 0:
            refiner.add_block(capacity_tpa, months_to_output)
        self.refiners.append(refiner)
        if group is not None:
            group.refiners.append(refiner)
        return refiner

    # --- price signals -------------------------------------------------------------------------
    def _history(self, product: str, months: int) -> float:
        """Mean of the last ``months`` prices; computed once per month, asked by many agents."""
        done = self._price_lists[product]
        if not done:
            return self.last_price[product]
        key = (product, months)
        cached = self._history_cache.get(key)
        if cached is not None and cached[0] == len(done):
            return cached[1]
        window = done[-months:]
        value = sum(window) / len(window)
        self._history_cache[key] = (len(done), value)
        return value

    def recent_price(self, product: str) -> float:
        """Average of the last 3 months (what a trader sees now)."""
        return self._history(product, 3)

    def slow_price(self, product: str) -> float:
        """Average of the last 12 months (contract prices, battery pass-through)."""
        return self._history(product, 12)

    def smoothed_price(self, product: str) -> float:
        """Adaptive expectation (exponential smoothing)."""
        return self._smoothed[product]

    def quality_discount(self, resource: str) -> float:
        if resource != "lepidolite":
            return 0.0
        return (
            self.p["conversion_cost_usd_t_lepidolite"] - self.p["conversion_cost_usd_t_spodumene"]
        )

    def conversion_cost_for(self, resource: str) -> float:
        """Cost of turning the resource's product into chemical (0 where made on site)."""
        if resource in CHEMICAL_RESOURCES:
            return 0.0
        return float(self.p[f"conversion_cost_usd_t_{resource}"])

    def product_price(self, resource: str) -> float:
        """Market-equivalent price of a mine's product this month."""
        if resource in CHEMICAL_RESOURCES:
            return self.last_price["chemical"]
        return max(0.0, self.last_price["concentrate"] - self.quality_discount(resource))

    def event_time(self, months_ahead: int) -> float:
        """Mesa time of an event that takes effect ``months_ahead`` months from this month.

        Month index m runs as the step at time m + 1, so an event at m + 0.5 happens between
        months, before month m. During initialisation "this month" is the first month.
        """
        return max(self.month, 0) + int(months_ahead) + 0.5

    def year_fraction(self) -> float:
        """Calendar time of the current month as a fractional year (2015.0 = January 2015)."""
        return self.start_year + (self.start_month - 1 + max(self.month, 0)) / 12.0

    def government_of(self, region: str) -> Government | None:
        return self.governments.get(region)

    # --- observations used by governments -------------------------------------------------------
    def domestic_feed_share(self, region: str) -> float:
        """Domestic mine output over domestic chemical output, last three months."""
        hist = self._domestic_hist[region][-3:]
        mined = sum(a for a, _ in hist)
        chem = sum(b for _, b in hist)
        return mined / chem if chem > 0 else 1.0

    def state_mine_loss_share(self, region: str) -> float:
        hist = self._state_loss_hist[region][-3:]
        out = sum(a for a, _ in hist)
        return sum(b for _, b in hist) / out if out > 0 else 0.0

    # --- investment helpers (called by agents) ---------------------------------------------------
    def capacity_and_pipeline(self, region: str, resource: str) -> tuple[float, float]:
        return self._capacity_cache.get((region, resource), (0.0, 0.0))

    def _refresh_capacity_cache(self) -> None:
        cache: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
        for mine in self.mines:
            key = (mine.region, mine.resource)
            if mine.state == CONSTRUCTION:
                cache[key][1] += mine.capacity_tpa
            elif mine.state != CLOSED:
                cache[key][0] += mine.capacity_tpa
        self._capacity_cache = {k: (v[0], v[1]) for k, v in cache.items()}

    def converter_capex_and_lead(self, region: str) -> tuple[float, int]:
        """Capex (USD per t/yr) and lead time (months) of converter capacity in ``region``.

        Outside China both rise under China's controls on processing-technology exports.
        """
        p = self.p
        if region == "CN":
            return p["capex_usd_tpa_refiner_cn"], int(p["lead_time_months_refiner_cn"])
        control = p["tech_export_control"]
        capex = p["capex_usd_tpa_refiner_row"] * (1.0 + 0.5 * control)
        return capex, round(p["lead_time_months_refiner_row"] * (1.0 + control))

    def royalty_rate(self, region: str) -> float:
        """Royalty on sales value in ``region`` (0 where no government is modelled)."""
        gov = self.governments.get(region)
        return gov.royalty if gov is not None else 0.0

    def state_profit_share(self, region: str) -> float:
        """Share of mine profits a producing state takes (Chile's resource nationalism)."""
        return float(self.p["state_share_cl"]) if region == "CL" else 0.0

    def release_orefield_reserves(self, region: str) -> int:
        return sum(
            d.release_reserves() for (r, _), d in sorted(self.developers.items()) if r == region
        )

    def pay_capex(self, firm: Firm, amount_usd: float, kind: str) -> None:
        """Projects are financed by the capital market and spent with suppliers."""
        self.ledger.pay(self.capital_account, self.suppliers_account, amount_usd, kind)

    def start_mine_project(
        self,
        developer: Developer,
        deposit: Deposit,
        owner_kind: str,
        group: Group | None,
        payer: Firm | None = None,
        state_share: float = 0.0,
    ) -> Mine:
        """A new mine enters construction with a lead time drawn around the resource's norm."""
        lead = developer.lead_time_months * float(self.rng.uniform(0.8, 1.2))
        capex = developer.capex_usd_tpa * deposit.capacity_tpa
        if state_share > 0.0 and payer is not None:
            paid = payer.spend(self.suppliers_account, state_share * capex, "equity_stakes")
            capex -= paid
        if payer is not None and not isinstance(payer, Government) and payer.cash_usd > capex:
            payer.pay(self.suppliers_account, capex, "capex_mining")
        else:
            self.pay_capex(payer, capex, "capex_mining")
        developer.projects_started += 1
        name = f"{developer.region}-{developer.resource}-{owner_kind}-{len(self.mines) + 1}"
        mine = self.add_mine(
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
        return mine

    def develop_captive_mine(self, maker: BatteryMaker) -> Mine | None:
        """An integrated group takes the best domestic deposit it can bring on fastest."""
        for key in (("CN", "lepidolite"), ("ZW", "spodumene"), ("AU", "spodumene")):
            developer = self.developers.get(key)
            if developer is not None and developer.deposits:
                deposit = developer.take_deposit()
                mine = self.start_mine_project(
                    developer, deposit, "integrated", maker.group, payer=maker
                )
                self._match_group_refining(maker, mine)
                return mine
        return None

    def _match_group_refining(self, maker: BatteryMaker, mine: Mine) -> None:
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
        capex, lead = self.converter_capex_and_lead(maker.region)
        if group.refiners:
            refiner = group.refiners[0]
        else:
            refiner = self.add_refiner(
                f"{group.name} converter", maker.region, 0.0, "integrated", group.name
            )
        if maker.cash_usd > capex * missing:
            maker.pay(self.suppliers_account, capex * missing, "capex_refining")
        else:
            self.pay_capex(maker, capex * missing, "capex_refining")
        refiner.add_block(missing, lead)

    def develop_state_mine(self, gov: Government) -> Mine | None:
        """The state co-invests in the cheapest domestic deposit that clears its hurdle."""
        p = self.p
        outlook = max(self.smoothed_price("chemical"), p["reference_price_usd_t"])
        best = None
        for (region, _resource), developer in self.developers.items():
            if region != gov.region or not developer.deposits:
                continue
            if developer.lead_time_months > 48:
                continue
            deposit = developer.deposits[0]
            margin = outlook - deposit.cost_usd_t - self.conversion_cost_for(developer.resource)
            charge = developer.capex_usd_tpa * annuity_factor(
                p["state_hurdle_rate"], p["project_life_years"]
            )
            if margin > charge and (best is None or margin / charge > best[0]):
                best = (margin / charge, developer)
        if best is None:
            return None
        developer = best[1]
        deposit = developer.take_deposit()
        return self.start_mine_project(
            developer, deposit, "state", None, payer=gov, state_share=p["state_equity_share"]
        )

    # --- bankruptcy ----------------------------------------------------------------------------
    def _resolve_bankruptcy(self, mine: Mine) -> None:
        """A mine whose cash runs past its credit line is sold (integration channel) or closed."""
        self.bankruptcies += 1
        debt = -mine.cash_usd
        self.ledger.pay(self.capital_account, mine.account, debt, "debt_writeoff")
        value = 0.25 * self.p[f"capex_usd_tpa_{mine.resource}"] * mine.capacity_tpa
        outlook = self.smoothed_price("chemical")
        attractive = mine.cost_chem_equiv_usd_t() < outlook * 1.5
        if self.p["integration_enabled"] and attractive:
            buyers = [
                b
                for b in self.battery_makers
                if b.owner_kind == "integrated" and b.group is not None and b.cash_usd > value
            ]
            if buyers:
                buyer = max(buyers, key=lambda b: (b.cash_usd, -b.unique_id))
                buyer.pay(self.capital_account, value, "asset_purchases")
                if mine.group is not None and mine in mine.group.mines:
                    mine.group.mines.remove(mine)
                mine.owner_kind = "integrated"
                mine.group = buyer.group
                buyer.group.mines.append(mine)
                mine.cum_loss_usd = 0.0
                self.asset_sales += 1
                return
        gov = self.government_of(mine.region)
        if gov is not None and gov.active_policy and attractive:
            paid = gov.spend(self.capital_account, value, "state_takeovers")
            if paid > 0.0:
                mine.owner_kind = "state"
                mine.group = None
                mine.cum_loss_usd = 0.0
                self.asset_sales += 1
                return
        mine.state = CLOSED

    def _new_budget_year(self) -> None:
        for gov in self.governments.values():
            gov.new_year()
        self._explore()

    def _explore(self) -> None:
        """A year's discoveries: more exploration, and more finds, when lithium is dear."""
        rate = self.p["discovery_rate_per_yr"]
        if rate <= 0.0:
            return
        dear = self.smoothed_price("chemical") / self.p["long_run_price_usd_t"]
        expected = rate * min(3.0, max(0.25, dear))
        for key in sorted(self.developers):
            self.developers[key].discover(int(self.rng.poisson(expected)))

    def _china_discovery(self) -> None:
        """January 2025: China reports over 10 Mt of new resources (seeds)."""
        found = [d for (r, _), d in sorted(self.developers.items()) if r == "CN"]
        each_tpa = self.p["cn_discovery_2025_tpa"] / max(1, len(found))
        for developer in found:
            size = max(developer.typical_size_tpa, 1.0)
            count = max(1, round(each_tpa / size))
            developer.discover(count, size_tpa=each_tpa / count)

    def _recycle(self) -> None:
        """Retired batteries are collected, as far as recyclers have room, and processed."""
        self.retired_t = retirements_t(
            np.asarray(self._in_use_t[-len(self._retirement_pmf) :]), self._retirement_pmf
        )
        self.collected_t = 0.0
        if not self.recyclers:
            return
        p = self.p
        rate = collection_rate(
            self.year_fraction(),
            p["collection_rate_2020"],
            p["collection_rate_growth"],
            p["collection_rate_max"],
        )
        rooms = [r.room_t() for r in self.recyclers]
        total_room = sum(rooms)
        collected = min(self.retired_t * rate, total_room)
        for recycler, room in zip(self.recyclers, rooms, strict=True):
            recycler.collect(collected * room / total_room if total_room > 0.0 else 0.0)
            recycler.process()
            self.cum_recycling_loss_t += recycler.lost_t
        self.collected_t = collected
        self.cum_collected_t += collected

    def _demand(self) -> float:
        """This month's lithium demand: the path, policy and chemistry, substitution, price."""
        p = self.p
        year = self.year_fraction()
        self.demand_factors["ev_subsidy"] = ev_subsidy_factor(
            year,
            p["ev_subsidy_level_2024"],
            p["ev_subsidy_demand_uplift"],
            self.china_demand_share,
        )
        self.demand_factors["chemistry"] = chemistry_factor(
            year, p["lfp_share_shift"], p["li_intensity_kg_kwh_lfp"], p["li_intensity_kg_kwh_ncm"]
        )
        self.substitution_share = next_substitution_share(
            self.substitution_share,
            self.smoothed_price("chemical"),
            p["substitution_price_usd_t"],
            p["substitution_max_share"],
            p["substitution_speed"],
        )
        base = self.base_demand_t[self.month] * p["demand_scale"]
        base *= self.demand_factors["ev_subsidy"] * self.demand_factors["chemistry"]
        base *= 1.0 - self.substitution_share
        return price_response(
            base,
            self.smoothed_price("chemical"),
            p["reference_price_usd_t"],
            p["demand_price_elasticity"],
        )

    # --- the month -----------------------------------------------------------------------------
    def step(self) -> None:
        self.month += 1
        if self.month >= self.n_months:
            self.running = False
            return
        self.ledger.start_month()
        # 2. demand
        self.demand_t = self._demand()
        for maker in self.battery_makers:
            maker.take_orders(self.demand_t)
        # 3. mines
        for mine in self.mines:
            mine.produce()
        # 4. concentrate market
        self.outcomes["concentrate"] = markets.concentrate_market(self)
        self._set_price("concentrate", self.outcomes["concentrate"].price_usd_t)
        # 5. refiners
        for refiner in self.refiners:
            refiner.convert()
        self._recycle()
        # 6. chemical market
        self.outcomes["chemical"] = markets.chemical_market(self)
        self._set_price("chemical", self.outcomes["chemical"].price_usd_t)
        # 7. batteries
        for maker in self.battery_makers:
            maker.make_batteries()
        consumed = sum(b.consumed_t for b in self.battery_makers)
        self._in_use_t.append(consumed * float(battery_share_of_use(self.year_fraction())))
        # 8. accounting
        for mine in self.mines:
            if mine.state != CLOSED:
                mine.settle_month()
        for mine in self.mines:
            if mine.state != CLOSED and mine.cash_usd < -12.0 * mine.fixed_cost_usd_month:
                self._resolve_bankruptcy(mine)
        self._observe_governments()
        # 9. investment
        self._refresh_capacity_cache()
        for key in sorted(self.developers):
            self.developers[key].consider()
        for refiner in self.refiners:
            refiner.consider_expansion()
        for recycler in self.recyclers:
            recycler.consider_expansion()
        for maker in self.battery_makers:
            maker.consider_upstream()
        for gov in self.governments.values():
            gov.consider_stakes()
        # 10. data
        self.recorder.record()
        if self.month == self.n_months - 1:
            self.running = False

    def _set_price(self, product: str, price: float) -> None:
        self.last_price[product] = price
        self._price_lists[product].append(price)
        alpha = self.p["expectation_smoothing"]
        self._smoothed[product] += alpha * (price - self._smoothed[product])

    def _observe_governments(self) -> None:
        mined: dict[str, float] = defaultdict(float)
        chem: dict[str, float] = defaultdict(float)
        state_out: dict[str, float] = defaultdict(float)
        state_loss: dict[str, float] = defaultdict(float)
        for mine in self.mines:
            if mine.output_t <= 0.0:
                continue
            mined[mine.region] += mine.output_t
            if mine.product == "chemical":
                chem[mine.region] += mine.output_t
            if mine.owner_kind == "state":
                state_out[mine.region] += mine.output_t
                if mine.loss_making:
                    state_loss[mine.region] += mine.output_t
        for refiner in self.refiners:
            chem[refiner.region] += refiner.output_t
        for region in self.governments:
            self._domestic_hist[region].append((mined[region], chem[region]))
            self._state_loss_hist[region].append((state_out[region], state_loss[region]))

    def run(self) -> LithiumModel:
        """Run all months of the scenario."""
        while self.month < self.n_months - 1:
            self.step()
        return self

    # --- results -------------------------------------------------------------------------------
    def model_frame(self) -> pd.DataFrame:
        return self.recorder.model_frame()

    def agents_frame(self) -> pd.DataFrame:
        return self.recorder.agents_frame()

    def lithium_balance_error_t(self) -> float:
        """Produced minus consumed minus inventories held: zero when lithium is conserved."""
        held = sum(m.inventory_t for m in self.mines)
        held += sum(r.feed_t + r.chemical_t for r in self.refiners)
        held += sum(b.inventory_t for b in self.battery_makers)
        held += sum(r.feed_t + r.chemical_t for r in self.recyclers)
        held += self.stockpiler.inventory_t if self.stockpiler is not None else 0.0
        sources = self.recorder.cum_production_t + self.cum_collected_t
        sinks = self.recorder.cum_consumption_t + self.cum_recycling_loss_t
        return sources - sinks - held
