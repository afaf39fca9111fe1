"""The model's parameters: one registry with unit, default, valid range and source for each.

Scenario files and ``--set`` overrides are validated against this registry, so every number that
reaches the model has a documented meaning. Keys are flat (``lead_time_months_brine``, not a
nested table) so that a sweep can vary any of them by name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

RESOURCES: tuple[str, ...] = ("brine", "spodumene", "lepidolite", "clay")
# Resources whose operations make battery-grade chemical on site and sell it directly; the
# others sell concentrate to converters. "clay" stands for the new high-cost routes: sedimentary
# clays and lithium recovered as a by-product of alumina.
CHEMICAL_RESOURCES: tuple[str, ...] = ("brine", "clay")


@dataclass(frozen=True)
class Param:
    """One model parameter: what it means, in which unit, and which values are allowed."""

    name: str
    default: float | int | bool
    unit: str
    low: float | None
    high: float | None
    doc: str
    source: str
    # behaviour | lever | uncertainty | mechanism: what a study does with it (EMA levers and
    # uncertainties, the dashboard's levers, the attribution's switches); set in ROLES below.
    role: str = "behaviour"

    @property
    def kind(self) -> type:
        return type(self.default)

    def allowed(self) -> str:
        if self.kind is bool:
            return "true or false"
        return f"{self.kind.__name__} in [{self.low}, {self.high}] ({self.unit})"

    def coerce(self, value: Any) -> float | int | bool:
        """Convert ``value`` to this parameter's type and check its range, or raise ValueError."""
        if self.kind is bool:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
                return value.lower() in ("true", "1", "yes")
            raise ValueError(f"{self.name}: expected {self.allowed()}, got {value!r}")
        if isinstance(value, bool):
            raise ValueError(f"{self.name}: expected {self.allowed()}, got {value!r}")
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"{self.name}: expected {self.allowed()}, got {value!r}") from None
        if not math.isfinite(number):  # inf, nan and 1e400 (which float() reads as inf)
            raise ValueError(f"{self.name}: expected {self.allowed()}, got {value!r}")
        if self.kind is int:
            if number != int(number):
                raise ValueError(f"{self.name}: expected {self.allowed()}, got {value!r}")
            number = int(number)
        if (
            number != number
            or (self.low is not None and number < self.low)
            or (self.high is not None and number > self.high)
        ):
            raise ValueError(f"{self.name}: expected {self.allowed()}, got {value!r}")
        return number


_PARAMS: list[Param] = [
    # --- money and units ---------------------------------------------------------------------
    Param(
        "usd_cny",
        7.0,
        "CNY per USD",
        5.0,
        9.0,
        "Fixed exchange rate used to report prices in CNY.",
        "PBoC reference rate, 2015-2024 range 6.2-7.3",
    ),
    Param(
        "initial_price_chemical_usd_t",
        6500.0,
        "USD/t LCE",
        1000.0,
        100000.0,
        "Chemical price before the first month (initial condition of expectations).",
        "China battery-grade carbonate, early 2015: about CNY 40-45k/t",
    ),
    Param(
        "initial_price_concentrate_usd_t",
        3500.0,
        "USD/t LCE",
        200.0,
        80000.0,
        "Concentrate price per t LCE contained (spodumene basis) before the first month.",
        "SC6 about USD 450-500/t in 2015, 7-7.5 t SC6 per t LCE",
    ),
    Param(
        "offtake_enabled",
        False,
        "switch",
        None,
        None,
        "Independent hard-rock mines outside China sell a share of their output under offtake "
        "contracts to converters, at a lagged contract price, before the spot auction; "
        "converters take contracted tonnes until their feed stock reaches a cover limit. Off: "
        "every tonne not moved inside a group goes through the spot auction.",
        "docs/sources/supply_history/australia_operations.csv, column "
        "chinese_or_integrated_link: Pilgangoora, Ngungaju, Mt Cattlin, Bald Hill and Finniss "
        "sold under offtakes with Chinese converters (Ganfeng, General Lithium, Yahua, Chengxin)",
    ),
    Param(
        "held_price_enabled",
        False,
        "switch",
        None,
        None,
        "A month in which nothing trades keeps the last price unless the standing book "
        "contradicts it (raised to the best bid, lowered to the best offer), as a price "
        "reporting agency assesses a thin market. Off: the mid of the best bid and the best "
        "offer, however far apart.",
        "behavioural: assessed prices in thin markets follow the last deals and firm bids and "
        "offers (price reporting practice)",
    ),
    Param(
        "offtake_share",
        0.7,
        "share of output",
        0.0,
        1.0,
        "Share of a contracted mine's monthly output its offtakes take (the rest is sold spot).",
        "assumption: offtakes covered most of the first stages of Pilgangoora and Altura "
        "(docs/sources/supply_history/australia_operations.csv), part of later expansions was "
        "sold by tender",
    ),
    Param(
        "offtake_price_months",
        6,
        "months",
        1,
        24,
        "The contract price is the mean concentrate price of this many past months: offtake "
        "prices are set quarterly from the preceding spot prices.",
        "assumption: quarterly price resets referenced to the previous quarter's spot (two "
        "quarters of lag)",
    ),
    Param(
        "offtake_max_cover_months",
        6.0,
        "months of capacity",
        0.5,
        24.0,
        "A converter takes contracted concentrate until its feed stock reaches this many months "
        "of its capacity; beyond it the contracted tonnes stay with the mine (deferred "
        "shipments).",
        "behavioural: Chinese converters built concentrate stocks in 2018-2019 and deferred "
        "shipments when they were full",
    ),
    # --- regional markets and trade ---------------------------------------------------------
    Param(
        "regional_markets_enabled",
        False,
        "switch",
        None,
        None,
        "Each product clears in two regional call markets, China and the rest of the world; "
        "traders ship product between them when the spread pays for transport, the exporter's "
        "duty and the importer's tariff, so trade policy enters the bids and the prices. "
        "Off: one world market per product, tariffs and duties paid after clearing.",
        "docs/sources/MODEL_BRIEF.md §Calibration inputs: China about 17% of world mined "
        "lithium but over half of refining, so concentrate flows to China and chemical out of "
        "it; off by default, the calibration being of one world market",
    ),
    Param(
        "transport_usd_t_concentrate",
        300.0,
        "USD/t LCE",
        0.0,
        5000.0,
        "Freight, insurance and handling of a tonne LCE of concentrate between the regions.",
        "assumption: bulk freight Western Australia-China USD 20-40/t of SC6, about 7.5 t SC6 "
        "per t LCE",
    ),
    Param(
        "transport_usd_t_chemical",
        400.0,
        "USD/t LCE",
        0.0,
        5000.0,
        "Freight, insurance and handling of a tonne LCE of chemical between the regions.",
        "assumption: containerised freight and insurance of battery-grade salts, USD 200-500/t",
    ),
    Param(
        "trade_capacity_t_concentrate",
        1.0e6,
        "t LCE/month",
        0.0,
        1.0e7,
        "Most concentrate a trader ships in one direction in a month (shipping and ports).",
        "assumption: shipping does not limit the trade (Australia shipped about 35 kt LCE a "
        "month in 2023; the model's peak flows stay below 0.5 Mt a month in runs 1-10); a "
        "low value models an embargo or quota",
    ),
    Param(
        "trade_capacity_t_chemical",
        1.0e6,
        "t LCE/month",
        0.0,
        1.0e7,
        "Most chemical a trader ships in one direction in a month.",
        "assumption: shipping does not limit the trade (several times the whole chemical use "
        "outside China in the 2030s); a low value models an embargo or quota",
    ),
    # --- demand --------------------------------------------------------------------------------
    Param(
        "demand_scale",
        1.0,
        "dimensionless",
        0.3,
        3.0,
        "Multiplier on the whole exogenous demand path.",
        "scenario lever",
    ),
    Param(
        "demand_price_elasticity",
        -0.15,
        "dimensionless",
        -1.0,
        0.0,
        "Elasticity of lithium demand to the smoothed (expected) chemical price: substitution "
        "in non-battery uses, thrifting, delayed purchases.",
        "short-run metal demand elasticities are small; literature range -0.05 to -0.3",
    ),
    Param(
        "reference_price_usd_t",
        8000.0,
        "USD/t LCE",
        3000.0,
        50000.0,
        "Price at which demand equals the exogenous path.",
        "2015-2020 carbonate prices, USD 6-20k/t; demand path observed near these prices",
    ),
    Param(
        "li_intensity_kg_kwh",
        0.65,
        "kg LCE/kWh",
        0.4,
        1.2,
        "Lithium intensity of batteries (LFP/NCM mix), to express demand in GWh.",
        "LFP ~0.55-0.6, NCM ~0.7-0.8 kg LCE/kWh; 2020s mix",
    ),
    # --- battery makers ------------------------------------------------------------------------
    Param(
        "inventory_cover_months",
        2.0,
        "months",
        0.25,
        6.0,
        "Target chemical inventory of battery makers in months of consumption, in a flat market.",
        "industry practice: 1-3 months of raw-material cover",
    ),
    Param(
        "hoarding_sensitivity",
        1.0,
        "dimensionless",
        0.0,
        20.0,
        "How much the target cover grows per unit of expected annual price growth "
        "(hoard in a rising market, destock in a falling one).",
        "behavioural, base value (baseline fits it: experiments/scenarios/baseline.toml); "
        "docs/sources/MODEL_BRIEF.md §Mechanisms 5: battery makers hoard when prices rise and "
        "destock when they fall",
    ),
    Param(
        "max_cover_multiple",
        2.0,
        "dimensionless",
        1.0,
        6.0,
        "Upper bound on target cover as a multiple of the flat-market cover.",
        "behavioural",
    ),
    Param(
        "restock_months",
        6.0,
        "months",
        1.0,
        24.0,
        "Months over which a battery maker closes its inventory gap.",
        "behavioural",
    ),
    Param(
        "bid_urgency",
        0.1,
        "dimensionless",
        0.0,
        2.0,
        "Premium over the last price a buyer bids per unit of relative inventory shortfall.",
        "behavioural",
    ),
    Param(
        "battery_price_usd_kwh",
        150.0,
        "USD/kWh",
        60.0,
        400.0,
        "Pack-level battery price in 2020; it bounds a buyer's willingness to pay for lithium.",
        "BNEF pack price survey 2020-2022: about USD 140-160/kWh",
    ),
    Param(
        "battery_price_decline",
        0.06,
        "1/yr",
        0.0,
        0.2,
        "Yearly decline of the battery price (learning), so the lithium cost a battery can "
        "bear falls over time.",
        "BNEF: pack prices fell ~6-10%/yr 2015-2024",
    ),
    Param(
        "max_lithium_cost_share",
        0.35,
        "share",
        0.05,
        0.8,
        "Largest share of battery value a maker will pay for lithium before it stops bidding "
        "higher (bid ceiling = share * battery price / intensity).",
        "behavioural",
    ),
    Param(
        "downstream_margin_usd_kwh",
        12.0,
        "USD/kWh",
        0.0,
        60.0,
        "Battery makers' gross margin on cells, excluding lithium cost movements.",
        "CATL gross margin ~20-25% on USD 100-150/kWh cells",
    ),
    # --- mines ---------------------------------------------------------------------------------
    Param(
        "care_loss_months",
        2.0,
        "months of fixed cost",
        0.5,
        36.0,
        "An independent mine goes to care and maintenance when its accumulated cash loss exceeds "
        "this many months of fixed cost (hysteresis).",
        "real-options practice; Bradley 2021",
    ),
    Param(
        "restart_surplus_months",
        9.0,
        "months of fixed cost",
        0.5,
        36.0,
        "A mine in care and maintenance restarts when the accumulated expected surplus exceeds "
        "this many months of fixed cost.",
        "real-options practice",
    ),
    Param(
        "restart_delay_months",
        6,
        "months",
        1,
        36,
        "Months from a restart decision to first output.",
        "Australian restarts 2021-22 (Ngungaju, Bald Hill) took 6-12 months",
    ),
    Param(
        "restart_cost_months",
        3.0,
        "months of fixed cost",
        0.0,
        24.0,
        "One-off cost of a restart.",
        "assumption, order of magnitude",
    ),
    Param(
        "care_cost_share",
        0.3,
        "share of fixed cost",
        0.0,
        1.0,
        "Monthly holding cost in care and maintenance as a share of fixed cost.",
        "assumption",
    ),
    Param(
        "max_care_months",
        60,
        "months",
        6,
        240,
        "A mine kept this long in care and maintenance is closed for good.",
        "assumption",
    ),
    Param(
        "fixed_cost_share",
        0.25,
        "share",
        0.0,
        0.8,
        "Share of a mine's unit cash cost at nameplate that is fixed per month.",
        "typical C1 cost structure of hard-rock mines",
    ),
    Param(
        "ramp_months_brine",
        24,
        "months",
        1,
        60,
        "Ramp-up from first output to nameplate, brine.",
        "Olaroz, Cauchari-Olaroz ramp-ups",
    ),
    Param(
        "ramp_months_spodumene",
        12,
        "months",
        1,
        48,
        "Ramp-up, spodumene.",
        "Pilgangoora, Mt Marion ramp-ups",
    ),
    Param(
        "ramp_months_lepidolite",
        6,
        "months",
        1,
        36,
        "Ramp-up, lepidolite.",
        "Benchmark Mineral Intelligence via docs/sources/seeds/001 line 16: China's lepidolite "
        "output up about 20 times since 2020; docs/sources/MODEL_BRIEF.md §Mechanisms 4: Chinese "
        "lepidolite ramped fastest (6 months: assumption)",
    ),
    Param(
        "ramp_months_clay",
        24,
        "months",
        1,
        60,
        "Ramp-up, clay and by-product lithium (new process routes ramp slowly).",
        "assumption: first-of-a-kind plants (Thacker Pass-like)",
    ),
    Param(
        "min_utilisation_brine",
        0.7,
        "share of capacity",
        0.0,
        1.0,
        "Technical minimum of a brine operation: its ponds hold 12-24 months of brine in "
        "evaporation, so output follows pumping decided long before and cannot be cut far "
        "without idling the whole pond field.",
        "assumption: 0.7, ponds keep concentrating whatever is sold; mining.com 'Lithium ABC's': "
        "18-24 months of pond evaporation; USGS MCS 2022 via "
        "docs/sources/supply_history/usgs_mine_production_t_li.csv: Chile's output rose from "
        "19,300 t Li (2019) to 21,500 t (2020), the price trough",
    ),
    Param(
        "min_utilisation_spodumene",
        0.4,
        "share of capacity",
        0.0,
        1.0,
        "Technical minimum of a spodumene concentrator (below it the plant is idled: care and "
        "maintenance).",
        "assumption: below 40% a concentrator is idled; "
        "docs/sources/supply_history/australia_operations.csv: Pilgangoora cut output in Jun-Jul "
        "2019 (with a 14-day shutdown) and Greenbushes scaled down in Jan 2024, neither going into "
        "care and maintenance",
    ),
    Param(
        "min_utilisation_lepidolite",
        0.3,
        "share of capacity",
        0.0,
        1.0,
        "Technical minimum of a lepidolite operation (small open pits feeding a converter).",
        "assumption: small pits and converter lines run down to 30%; docs/sources/seeds/000 line "
        "3: Yichun kept mining through the bust; docs/sources/seeds/001 line 19: the CATL/Lopal "
        "refinery, briefly halted, returned to its highest-ever capacity",
    ),
    Param(
        "min_utilisation_clay",
        0.5,
        "share of capacity",
        0.0,
        1.0,
        "Technical minimum of a clay or by-product plant (continuous leach circuits).",
        "assumption: continuous hydrometallurgical plants",
    ),
    Param(
        "care_loss_extra_months_brine",
        10.0,
        "months of fixed cost",
        0.0,
        36.0,
        "A brine operation's owner bears this many more months of fixed cost in losses than "
        "care_loss_months before idling: idling forfeits the brine concentrating in its ponds "
        "(18-24 months of evaporation) and a restart waits for the ponds to refill.",
        "mining.com 'Lithium ABC's' (18-24 months of pond evaporation); no brine operation idled "
        "in 2019-20 or 2023-25 (USGS MCS 2022: Chile's output rose in 2020)",
    ),
    Param(
        "care_loss_extra_months_spodumene",
        0.0,
        "months of fixed cost",
        0.0,
        36.0,
        "Extra months of fixed cost in losses before a spodumene mine idles (none: a concentrator "
        "restarts within months).",
        "docs/sources/supply_history/australia_operations.csv: concentrators went into care and "
        "maintenance early in both busts (Bald Hill 2019-08, Wodgina 2019-11, Ngungaju 2020-10; "
        "Finniss 2024-01, Bald Hill 2024-11, Ngungaju 2024-12)",
    ),
    Param(
        "care_loss_extra_months_lepidolite",
        0.0,
        "months of fixed cost",
        0.0,
        36.0,
        "Extra months of fixed cost in losses before a lepidolite mine idles (none).",
        "assumption: small open pits restart within months",
    ),
    Param(
        "care_loss_extra_months_clay",
        0.0,
        "months of fixed cost",
        0.0,
        36.0,
        "Extra months of fixed cost in losses before a clay or by-product plant idles (none).",
        "assumption",
    ),
    Param(
        "energy_share_brine",
        0.15,
        "share of variable cost",
        0.0,
        0.9,
        "Energy share of variable cash cost, brine (solar evaporation).",
        "assumption",
    ),
    Param(
        "energy_share_spodumene",
        0.25,
        "share of variable cost",
        0.0,
        0.9,
        "Energy share of variable cash cost, spodumene.",
        "assumption",
    ),
    Param(
        "energy_share_lepidolite",
        0.40,
        "share of variable cost",
        0.0,
        0.9,
        "Energy share of variable cash cost, lepidolite (energy-intensive roasting).",
        "docs/sources/seeds/000 line 12: lepidolite processing is more energy-intensive than other "
        "lithium sources; docs/sources/seeds/001 line 28: producers run at night for cheaper "
        "electricity (0.40: assumption)",
    ),
    Param(
        "energy_share_clay",
        0.35,
        "share of variable cost",
        0.0,
        0.9,
        "Energy share of variable cash cost, clay and alumina by-product (acid leaching).",
        "assumption",
    ),
    Param(
        "night_power_discount",
        0.3,
        "share of energy cost",
        0.0,
        0.8,
        "Energy cost saved by moving to night shifts on time-of-use power, used when margins "
        "are thin.",
        "assumption: night power 30% cheaper than the average rate; docs/sources/seeds/001 line "
        "28: some producers boost production at night to use cheaper electricity",
    ),
    Param(
        "waste_t_per_t_brine",
        5.0,
        "t waste/t LCE",
        0.0,
        200.0,
        "Waste per t LCE, brine.",
        "assumption: salts and spent brine",
    ),
    Param(
        "waste_t_per_t_spodumene",
        15.0,
        "t waste/t LCE",
        0.0,
        200.0,
        "Waste per t LCE, spodumene.",
        "tailings, ~2 t per t SC6",
    ),
    Param(
        "waste_t_per_t_lepidolite",
        40.0,
        "t waste/t LCE",
        0.0,
        200.0,
        "Waste per t LCE, lepidolite.",
        "Yichun government forecast via docs/sources/seeds/001 line 26: about 10 Mt of "
        "lithium-processing waste in 2025; over China's 2025 lepidolite supply forecasts of "
        "193-280 kt LCE (Traxys, UBS in docs/sources/supply_history/china_lepidolite.csv) that is "
        "36-52 t per t LCE",
    ),
    Param(
        "waste_t_per_t_clay",
        30.0,
        "t waste/t LCE",
        0.0,
        200.0,
        "Waste per t LCE, clay and alumina by-product (leached tailings).",
        "assumption: low-grade clays move large tonnages",
    ),
    Param(
        "compliance_usd_per_t_waste",
        10.0,
        "USD/t waste",
        0.0,
        200.0,
        "Cost of storing and treating waste at baseline enforcement.",
        "assumption: USD 10 per t of waste for storage and treatment; docs/sources/seeds/001 line "
        "27: waste storage and maintenance costs eat into margins; docs/sources/seeds/001 line 26: "
        "groundwater and waste tests, in some cases monthly",
    ),
    # --- refiners ------------------------------------------------------------------------------
    Param(
        "conversion_cost_usd_t_spodumene",
        3000.0,
        "USD/t LCE",
        500.0,
        15000.0,
        "Cash cost of converting spodumene concentrate to carbonate/hydroxide.",
        "converter cash costs CNY 15-25k/t",
    ),
    Param(
        "conversion_cost_usd_t_lepidolite",
        4000.0,
        "USD/t LCE",
        500.0,
        15000.0,
        "Cash cost of converting lepidolite concentrate (roasting, more reagents).",
        "docs/sources/MODEL_BRIEF.md §Calibration inputs: analysts' 2023 all-in cost, lepidolite "
        "up to CNY 100k/t LCE against spodumene 50-60k; the conversion part (USD 4,000, a third "
        "above spodumene's) is an assumption",
    ),
    Param(
        "conversion_cost_premium_ex_china",
        0.5,
        "share",
        0.0,
        3.0,
        "Extra conversion cost outside China (labour, reagents, scale).",
        "assumption: labour, reagents and scale make conversion outside China half again as dear "
        "(Kwinana and Kemerton cost overruns); docs/sources/MODEL_BRIEF.md §Calibration inputs: "
        "China holds over half of refining",
    ),
    Param(
        "refiner_feed_cover_months",
        1.5,
        "months",
        0.25,
        6.0,
        "Target concentrate inventory of a converter.",
        "industry practice",
    ),
    # --- sellers -------------------------------------------------------------------------------
    Param(
        "ask_inventory_discount",
        0.08,
        "per month of excess cover",
        0.0,
        1.0,
        "How far below the last price a seller asks per month of inventory above its target.",
        "behavioural",
    ),
    Param(
        "distress_cover_months",
        4.0,
        "months",
        0.5,
        24.0,
        "Inventory cover (months of output) at which a seller gives up its cost floor and "
        "sells at whatever the market pays.",
        "behavioural",
    ),
    Param(
        "distress_floor_share",
        0.6,
        "share of cash cost",
        0.0,
        1.0,
        "Lowest ask a distressed seller accepts, as a share of its cash cost.",
        "behavioural: sellers cut output before they give product away",
    ),
    Param(
        "cost_spread",
        0.3,
        "share of average variable cost",
        0.0,
        0.8,
        "Half-width of the spread of marginal variable cost across an operation's tranches "
        "(pits, benches, plant lines): the dearest tranche costs (1 + spread) and the cheapest "
        "(1 - spread) times the average, so a mine cuts back its dearest ore first.",
        "assumption: grade and strip-ratio variation within operations; "
        "docs/sources/supply_history/australia_operations.csv: Greenbushes scaled down in Jan 2024 "
        "without care and maintenance; Ngungaju, Pilgangoora's second plant, idled in Dec 2024 "
        "while the Pilgan plant ran",
    ),
    Param(
        "utilisation_adjust_share",
        0.35,
        "share per month",
        0.05,
        1.0,
        "Share of the gap to its target utilisation a mine closes each month (crews, contracts "
        "and blending change within a quarter, not at once).",
        "behavioural: quarterly production guidance revisions of listed producers",
    ),
    Param(
        "brownfield_enabled",
        False,
        "switch",
        None,
        None,
        "Operating mines that run full while the expected margin pays for new capacity expand "
        "in blocks (brownfield expansion). Off: only new mines and converters add capacity.",
        "Greenbushes CGP1/CGP2, SQM Salar de Atacama 48 -> 70 -> 120 -> 180 kt, Albemarle La "
        "Negra III/IV, Pilgangoora P680/P1000 (docs/sources.md, brownfield expansions)",
    ),
    Param(
        "brownfield_full_months",
        6,
        "months",
        1,
        36,
        "Consecutive months an operating mine must run at 95% of capacity or more before it "
        "considers a brownfield expansion.",
        "behavioural: expansions follow sustained full running (SQM, Talison FID timing)",
    ),
    Param(
        "brownfield_block_share",
        0.5,
        "share of capacity",
        0.1,
        1.5,
        "Size of one brownfield block as a share of the mine's current capacity.",
        "Greenbushes CGP2 +80% (2019) and CGP3 +40% (2025); SQM Atacama +46% (48 -> 70 kt, "
        "2018), +71% (-> 120 kt, 2021), +50% (-> 180 kt, 2023) (docs/sources.md, brownfield "
        "expansions)",
    ),
    Param(
        "brownfield_capex_share",
        0.3,
        "share of greenfield capex",
        0.1,
        1.0,
        "Capital cost per t/yr of a brownfield block as a share of the resource's greenfield "
        "capex (the pit, ponds, roads and permits exist).",
        "SQM: under USD 4,000 per t/yr added (48 -> 70 kt) and USD 450m for 70 -> 180 kt "
        "(~0.13-0.14 of brine greenfield); Greenbushes CGP2 A$320m (~0.2 of spodumene "
        "greenfield), CGP3 A$516-880m for 520 kt/yr concentrate (0.35-0.57) (docs/sources.md, "
        "brownfield expansions)",
    ),
    Param(
        "brownfield_lead_months",
        24,
        "months",
        6,
        60,
        "Months from the decision to the block's first output.",
        "Greenbushes CGP2 approved 2016-17, complete April 2019; SQM 120 -> 180 kt approved "
        "2021 for 2023, 70 -> 120 kt 2018 -> end 2021 (docs/sources.md, brownfield expansions)",
    ),
    Param(
        "brownfield_max_multiple",
        3.0,
        "multiple of first capacity",
        1.0,
        6.0,
        "Most a mine can grow by brownfield blocks, as a multiple of the capacity it started "
        "with (resource, permit and quota limits).",
        "Greenbushes 0.74 -> ~1.8 Mt/yr concentrate 2015 -> 2025 (2.4x, CGP4 would take it to "
        "~3.4x); SQM 48 -> 180 kt 2015 -> 2023 (3.8x, within its CORFO quota) (docs/sources.md, "
        "brownfield expansions)",
    ),
    Param(
        "converter_curtailment_enabled",
        False,
        "switch",
        None,
        None,
        "A converter whose chemical stock exceeds max_stock_months of its capacity cuts its "
        "run rate as a mine does, keeping the rest of its feed as concentrate. Off: it "
        "converts all its feed up to capacity whatever its unsold stock.",
        "behavioural: Chinese converters ran at 50-60% in the 2019-2020 and 2023-2024 gluts "
        "(docs/sources/MODEL_BRIEF.md, CATL/Lopal's refinery briefly halted)",
    ),
    Param(
        "outlook_idling_enabled",
        False,
        "switch",
        None,
        None,
        "A producing mine whose losses have passed its care-and-maintenance threshold idles "
        "only if it would also lose money at its owner's price outlook a year out "
        "(long_run_price_usd_t weighted by operator_anchor_weight, the rest the adaptive, "
        "trend-following expectation, less conversion), run at its best utilisation. Off: it "
        "idles on its accumulated losses alone.",
        "real options (Dixit 1989): an operator with a restart cost idles only when it expects "
        "the price to stay below its cash cost; docs/sources/supply_history/"
        "australia_operations.csv: Pilgangoora, Mt Marion and Greenbushes cut output in the "
        "2019-20 and 2024 busts without idling",
    ),
    Param(
        "operator_anchor_weight",
        0.35,
        "share",
        0.0,
        1.0,
        "With outlook_idling_enabled: the weight of the long-run price deck in a loss-making "
        "operator's outlook (the rest is the adaptive, trend-following expectation). Higher: "
        "more mines ride out a glut at reduced utilisation.",
        "assumption: operators, who bear the cash losses now, weigh the long-run deck less "
        "than investors do (anchor_weight 0.6)",
    ),
    Param(
        "restart_on_spot_enabled",
        False,
        "switch",
        None,
        None,
        "A mine in care and maintenance judges a restart on the recent spot price (mean of "
        "the last 3 months) with its trend. Off: on the slow adaptive expectation "
        "(expectation_smoothing).",
        "docs/sources/supply_history/australia_operations.csv: Australian restarts were "
        "decided within months of the 2021 price turn (Ngungaju, Bald Hill, Wodgina)",
    ),
    Param(
        "max_stock_months",
        2.0,
        "months of capacity",
        0.25,
        24.0,
        "Unsold stock above which a producer starts curtailing output (it cannot sell what "
        "it makes); at twice this cover it runs at a quarter of capacity.",
        "behavioural: producers cut output when stocks pile up",
    ),
    Param(
        "ask_tightness_premium",
        0.02,
        "share",
        0.0,
        0.5,
        "Premium over the last price a seller asks when its inventory is below target.",
        "behavioural",
    ),
    # --- integration and the state ---------------------------------------------------------------
    Param(
        "integration_enabled",
        True,
        "switch",
        None,
        None,
        "Integrated groups weigh the group's margin and feed security; captive flows bypass "
        "the spot market.",
        "docs/sources/MODEL_BRIEF.md §Mechanisms 3: an integrated mine weighs the group's margin "
        "and its security of feed; §Mechanisms 1: captive flows bypass the spot market",
    ),
    Param(
        "state_support_enabled",
        True,
        "switch",
        None,
        None,
        "Governments pay production subsidies and cheap power, press state-backed mines to "
        "stay open and take equity stakes.",
        "docs/sources/MODEL_BRIEF.md §Mechanisms 3: a state-backed mine weighs subsidy and "
        "pressure; §Mechanisms 6: policy as behaviour, with a budget",
    ),
    Param(
        "state_subsidy_enabled",
        True,
        "switch",
        None,
        None,
        "State-backed mines receive the production subsidy and cheap power. Off: no subsidy or "
        "cheap-power payment, and a state mine's decisions count no support per tonne.",
        "docs/sources/MODEL_BRIEF.md §Entities: production subsidy or cheap power for domestic "
        "mines; §Mechanisms 6 (attribution switch)",
    ),
    Param(
        "closure_pressure_enabled",
        True,
        "switch",
        None,
        None,
        "Political pressure against care and maintenance stretches a state mine's loss "
        "threshold and keeps state converters buying feed at a loss. Off: a state mine's loss "
        "threshold is the private one and a state converter runs on its netback.",
        "docs/sources/MODEL_BRIEF.md §Entities: pressure against closure; §Mechanisms 3 "
        "(attribution switch); docs/sources/seeds/001 line 14: producers 'strongly encouraged' to "
        "remain open",
    ),
    Param(
        "hysteresis_enabled",
        True,
        "switch",
        None,
        None,
        "Sunk-cost hysteresis: a mine idles only after losses accumulate past a threshold and "
        "restarts after an expected surplus accumulates, paying a restart cost and waiting a "
        "restart delay. Off: a myopic operator idles when this month's cash margin is negative "
        "and restarts at once, at no cost, when it is positive (it still closes after the "
        "maximum months in care).",
        "docs/sources/MODEL_BRIEF.md §Mechanisms 2: care and maintenance after a cumulative loss, "
        "restart after a cumulative surplus (attribution switch)",
    ),
    Param(
        "growth_expectations_enabled",
        True,
        "switch",
        None,
        None,
        "Developers and operators of idle mines extrapolate the price trend. Off: they expect "
        "today's smoothed price to persist (no growth term).",
        "docs/sources/MODEL_BRIEF.md §Mechanisms 4: adaptive or trend-following expectations; §The "
        "question: expected demand growth (attribution switch)",
    ),
    Param(
        "equity_stakes_enabled",
        True,
        "switch",
        None,
        None,
        "Governments co-invest in domestic projects and take over bankrupt mines. Off: no state "
        "mine development and no state takeover (an unwanted bankrupt mine closes).",
        "docs/sources/MODEL_BRIEF.md §Entities: equity stakes; §Mechanisms 3: who buys distressed "
        "mines (attribution switch); docs/sources/seeds/001 line 12: the government took stakes in "
        "mining partnerships",
    ),
    Param(
        "feed_security_premium",
        0.3,
        "share of market price",
        0.0,
        2.0,
        "Value an integrated group puts on a tonne of its own feed above the market price.",
        "Benchmark Mineral Intelligence via docs/sources/seeds/001 line 17: Chinese producers "
        "withstand losses longer 'to secure the raw materials' (0.3: assumption)",
    ),
    Param(
        "group_margin_weight",
        1.0,
        "share",
        0.0,
        1.0,
        "Share of the downstream battery margin an integrated mine counts as its own.",
        "Benchmark Mineral Intelligence via docs/sources/seeds/001 line 30: CATL is 'profitable "
        "elsewhere in the supply chain', so the whole downstream margin counts",
    ),
    Param(
        "integrated_feed_target",
        0.4,
        "share of lithium needs",
        0.0,
        1.5,
        "Share of its lithium needs an integrated battery maker wants from its own mines.",
        "assumption: 40% of needs from own mines; docs/sources/seeds/000 line 9: CATL and Gotion "
        "built facilities in Yichun; docs/sources/seeds/001 line 29: BYD owns multiple links of "
        "the supply chain",
    ),
    # --- government ----------------------------------------------------------------------------
    Param(
        "cn_self_sufficiency_target",
        0.45,
        "share",
        0.0,
        1.0,
        "China's target share of domestic mine output in its chemical production.",
        "docs/sources/seeds/001 line 36: self-sufficiency 'a strategic imperative'; "
        "docs/sources/seeds/004 line 5: the 2025-2026 non-ferrous work plan; the 45% target is an "
        "assumption",
    ),
    Param(
        "cn_support_budget_usd_yr",
        3.0e9,
        "USD/yr",
        0.0,
        5.0e10,
        "Annual budget for production subsidies and equity stakes.",
        "assumption",
    ),
    Param(
        "max_subsidy_usd_t",
        3000.0,
        "USD/t LCE",
        0.0,
        20000.0,
        "Largest production subsidy per tonne for state-backed mines.",
        "assumption",
    ),
    Param(
        "subsidy_step_usd_t",
        500.0,
        "USD/t LCE per review",
        0.0,
        5000.0,
        "Change of the subsidy rate at each policy review.",
        "assumption",
    ),
    Param(
        "cheap_power_discount",
        0.3,
        "share of energy cost",
        0.0,
        0.9,
        "Energy cost discount granted to state-backed domestic mines.",
        "assumption: 30% off energy for state-backed mines; docs/sources/MODEL_BRIEF.md §Entities: "
        "cheap power among government instruments; docs/sources/seeds/001 line 14: officials "
        "advise on lower-cost procurement",
    ),
    Param(
        "closure_pressure_max",
        10.0,
        "dimensionless",
        0.0,
        20.0,
        "At full pressure, a state-backed mine's loss tolerance is multiplied by 1 + this.",
        "docs/sources/seeds/001 line 14: officials 'strongly encouraged' producers to remain open; "
        "the factor is an assumption, base value (baseline fits it: "
        "experiments/scenarios/baseline.toml)",
    ),
    Param(
        "state_equity_share",
        0.3,
        "share of capex",
        0.0,
        1.0,
        "Share of a domestic project's capex the state pays for its stake.",
        "docs/sources/seeds/001 line 12: the government took stakes in mining and battery "
        "partnerships; the 30% share is an assumption",
    ),
    Param(
        "state_hurdle_rate",
        0.03,
        "1/yr",
        0.0,
        0.3,
        "Hurdle rate for state-backed domestic projects when self-sufficiency is short.",
        "assumption: strategic investment",
    ),
    Param(
        "state_invest_rate",
        0.5,
        "1/month",
        0.0,
        1.0,
        "Monthly probability the state co-invests in a domestic project at a full "
        "self-sufficiency gap (scaled by the relative gap).",
        "assumption, base value (baseline fits it: experiments/scenarios/baseline.toml); "
        "docs/sources/seeds/001 line 36: self-sufficiency 'a strategic imperative'; Benchmark "
        "Mineral Intelligence via docs/sources/seeds/001 line 16: lepidolite output to double by "
        "2030",
    ),
    Param(
        "policy_review_months",
        3,
        "months",
        1,
        24,
        "Interval between governments' policy reviews.",
        "assumption: quarterly",
    ),
    Param(
        "env_inspection_rate",
        0.01,
        "1/month",
        0.0,
        1.0,
        "Monthly probability a mine is inspected at enforcement 1.",
        "assumption: a 1% chance a month at baseline enforcement; docs/sources/seeds/001 line 26: "
        "Yichun teams test groundwater and waste handling, in some cases monthly; "
        "docs/sources/seeds/001 line 25: thallium discharges by at least five refiners in 2022",
    ),
    Param(
        "env_fine_usd_per_t_waste",
        20.0,
        "USD/t waste",
        0.0,
        1000.0,
        "Fine per tonne of the month's waste when an inspection finds a violation.",
        "assumption",
    ),
    Param(
        "env_shutdown_months",
        2,
        "months",
        0,
        24,
        "Temporary shutdown after a violation.",
        "assumption: a two-month suspension after a violation; the sources report inspections "
        "(docs/sources/seeds/001 line 26) but no suspension length",
    ),
    Param(
        "env_enforcement_cn",
        1.0,
        "dimensionless",
        0.0,
        5.0,
        "Environmental enforcement intensity in China (1 = baseline).",
        "scenario lever",
    ),
    Param(
        "royalty_au",
        0.05,
        "share of revenue",
        0.0,
        0.5,
        "Western Australia royalty on spodumene concentrate.",
        "WA Mining Regulations: 5% of value",
    ),
    Param(
        "royalty_cl",
        0.15,
        "share of revenue",
        0.0,
        0.6,
        "Chile royalty and CORFO lease payments on brine, averaged.",
        "CORFO-SQM lease: progressive up to 40%",
    ),
    Param(
        "royalty_ar",
        0.03,
        "share of revenue",
        0.0,
        0.5,
        "Argentina provincial royalty.",
        "Argentine mining law: 3% at the mine mouth",
    ),
    Param(
        "royalty_cn",
        0.03,
        "share of revenue",
        0.0,
        0.5,
        "China resource tax on lithium.",
        "resource tax law 2020: 2-6%",
    ),
    Param(
        "tariff_us",
        0.25,
        "share of value",
        0.0,
        2.0,
        "US tariff on lithium chemical imported into the US.",
        "Section 301 list 3 (2019)",
    ),
    Param(
        "tariff_cn",
        0.0,
        "share of value",
        0.0,
        2.0,
        "China tariff on imported lithium chemical.",
        "MFN tariff on Li carbonate 0-3%",
    ),
    # --- investment and expectations -----------------------------------------------------------
    Param(
        "expectation_smoothing",
        0.15,
        "1/month",
        0.01,
        1.0,
        "Weight of the latest price in adaptive expectations.",
        "behavioural",
    ),
    Param(
        "trend_weight",
        0.6,
        "dimensionless",
        0.0,
        3.0,
        "How strongly investors extrapolate the recent price trend (0 = purely adaptive).",
        "Sterman ch. 20: trend extrapolation in commodity investment",
    ),
    Param(
        "long_run_price_usd_t",
        16000.0,
        "USD/t LCE",
        3000.0,
        60000.0,
        "Long-run price deck investors anchor on (incentive price of marginal supply).",
        "analysts' incentive-price estimates USD 15-20k/t LCE (2020s)",
    ),
    Param(
        "anchor_weight",
        0.6,
        "share",
        0.0,
        1.0,
        "Weight of the long-run price deck in an investor's expectation; the rest is the "
        "adaptive, trend-following expectation.",
        "behavioural; Sterman ch. 20",
    ),
    Param(
        "hurdle_rate",
        0.12,
        "1/yr",
        0.0,
        0.5,
        "Return a private investor requires on a new project.",
        "mining project WACC 8-15%",
    ),
    Param(
        "project_life_years", 20, "years", 5, 50, "Economic life of a new project.", "assumption"
    ),
    Param(
        "invest_intensity",
        0.08,
        "1/month",
        0.0,
        1.0,
        "Probability per month that an attractive opportunity becomes a project, per unit of "
        "excess return over the hurdle.",
        "behavioural; bounded rationality",
    ),
    Param(
        "pipeline_limit",
        1.5,
        "share of capacity",
        0.05,
        5.0,
        "Capacity under construction a region-resource can carry, as a share of its "
        "installed capacity.",
        "finance and permitting bottlenecks",
    ),
    Param(
        "converter_entry_row_enabled",
        False,
        "switch",
        None,
        None,
        "New independent converters enter the rest of the world when its expected conversion "
        "margin pays for new capacity at the hurdle rate, within the pipeline limit (Kemerton, "
        "Kings Mountain, Covalent, Gwangyang): outside China the data hold only two "
        "converters, from 2022 (converter_entry_cn_enabled is the same rule in China). Off: "
        "only those and the groups' converters add capacity outside China.",
        "docs/sources.md, converter entry outside China: Kemerton, Kwinana, Albemarle's South "
        "Carolina and Piedmont's Tennessee refineries, projects of 2018-2023",
    ),
    Param(
        "converter_entry_cn_enabled",
        False,
        "switch",
        None,
        None,
        "New independent converters enter China by the same rule as outside it (at China's "
        "capex, lead time and conversion cost), beside its converters' own expansion. Off: "
        "China's capacity grows only by its converters' and the groups' blocks.",
        "docs/sources.md, converter entry in China: lithium salt capacity 170 kt/yr in 2016, "
        "250 kt/yr in 2017 at about half utilisation; new plants (Yongxing, Zhicun, Jiuling, "
        "Yongshan) carried the 2022 output growth",
    ),
    Param(
        "converter_entry_tpa",
        20000.0,
        "t/yr",
        1000.0,
        200000.0,
        "Nameplate of a new converter started by an entrant (one conversion train).",
        "docs/sources.md, converter entry outside China: a Kemerton train is about 25 kt/yr of "
        "hydroxide (22 kt LCE)",
    ),
    Param(
        "lead_time_months_brine",
        84,
        "months",
        24,
        180,
        "Decision to first output, brine.",
        "docs/sources/MODEL_BRIEF.md §Calibration inputs (public estimates): brine 6-10 years from "
        "decision",
    ),
    Param(
        "lead_time_months_spodumene",
        48,
        "months",
        12,
        120,
        "Decision to first output, spodumene.",
        "docs/sources/MODEL_BRIEF.md §Calibration inputs (public estimates): hard-rock mines 3-7 "
        "years from decision",
    ),
    Param(
        "lead_time_months_lepidolite",
        20,
        "months",
        6,
        84,
        "Decision to first output, lepidolite.",
        "docs/sources/MODEL_BRIEF.md §Calibration inputs: Chinese lepidolite expansions fastest "
        "(no figure; 20 months: assumption, under hard rock's 3-7 years)",
    ),
    Param(
        "lead_time_months_clay",
        60,
        "months",
        12,
        120,
        "Decision to first output, clay and alumina by-product (new flowsheets, permitting).",
        "Thacker Pass: decision 2021, first output planned 2027-28",
    ),
    Param(
        "lead_time_months_refiner_cn",
        18,
        "months",
        6,
        72,
        "Converter lead time in China.",
        "docs/sources/MODEL_BRIEF.md §Calibration inputs (public estimates): converters 1.5-3 "
        "years; China at the short end",
    ),
    Param(
        "lead_time_months_refiner_row",
        36,
        "months",
        6,
        96,
        "Converter lead time outside China.",
        "docs/sources/MODEL_BRIEF.md §Calibration inputs (public estimates): converters 1.5-3 "
        "years; outside China at the long end",
    ),
    Param(
        "capex_usd_tpa_brine",
        30000.0,
        "USD per t/yr",
        1000.0,
        200000.0,
        "Capital cost per t/yr of brine capacity.",
        "Argentine projects USD 25-40k per t/yr",
    ),
    Param(
        "capex_usd_tpa_spodumene",
        15000.0,
        "USD per t/yr",
        1000.0,
        200000.0,
        "Capital cost per t/yr LCE of spodumene mine and concentrator.",
        "Australian projects",
    ),
    Param(
        "capex_usd_tpa_lepidolite",
        8000.0,
        "USD per t/yr",
        1000.0,
        200000.0,
        "Capital cost per t/yr LCE of lepidolite mine and concentrator.",
        "Yichun expansions (assumption)",
    ),
    Param(
        "capex_usd_tpa_clay",
        60000.0,
        "USD per t/yr",
        1000.0,
        200000.0,
        "Capital cost per t/yr LCE of a clay or by-product operation with on-site chemical plant.",
        "Thacker Pass phase 1: ~USD 2.9bn for 40 kt/yr",
    ),
    Param(
        "capex_usd_tpa_refiner_cn",
        6000.0,
        "USD per t/yr",
        500.0,
        100000.0,
        "Capital cost per t/yr of conversion capacity in China.",
        "Chinese converters",
    ),
    Param(
        "capex_usd_tpa_refiner_row",
        20000.0,
        "USD per t/yr",
        500.0,
        100000.0,
        "Capital cost per t/yr of conversion capacity outside China.",
        "Kwinana, Kemerton",
    ),
    # --- recycling (issue 5: the chain's fourth link) -------------------------------------------
    Param(
        "recycling_enabled",
        True,
        "switch",
        None,
        None,
        "Retired batteries are collected and recycled into chemical by recycler agents.",
        "docs/sources/seeds/002 lines 67-68: recycling is the fourth link of the chain, after "
        "mineral resources, smelting and processing, key materials and products",
    ),
    Param(
        "battery_life_mean_years",
        10.0,
        "years",
        3.0,
        25.0,
        "Mean service life of a battery (lognormal) before it retires.",
        "IEA Global EV Outlook: EV batteries last 8-15 years in first life",
    ),
    Param(
        "battery_life_sd_years",
        3.0,
        "years",
        0.5,
        10.0,
        "Spread (standard deviation) of battery service life.",
        "assumption: second-life use lengthens the tail",
    ),
    Param(
        "collection_rate_2020",
        0.41,
        "share",
        0.0,
        1.0,
        "Share of retired battery lithium formally collected for recycling in 2020.",
        "docs/sources/seeds/002 lines 298-299: of about 200 kt of power batteries retired by 2020, "
        "only 41% was recycled",
    ),
    Param(
        "collection_rate_growth",
        0.02,
        "share/yr",
        0.0,
        0.2,
        "Yearly rise of the collection rate from its 2020 value.",
        "assumption: policy tightening (China's battery traceability rules)",
    ),
    Param(
        "collection_rate_max",
        0.8,
        "share",
        0.0,
        1.0,
        "Ceiling of the collection rate.",
        "assumption; EU Battery Regulation collection targets",
    ),
    Param(
        "recovery_rate",
        0.9,
        "share",
        0.3,
        0.99,
        "Share of the lithium in collected black mass recovered as battery-grade chemical.",
        "docs/sources/seeds/002 lines 422-423: China's target recovery rate for end-of-life "
        "batteries is above 95%; 0.9, below the target, is an assumption",
    ),
    Param(
        "recycling_cost_usd_t",
        4000.0,
        "USD/t LCE",
        500.0,
        30000.0,
        "Processing cost per t LCE contained in black mass.",
        "assumption: hydrometallurgical processing cost",
    ),
    Param(
        "black_mass_payable",
        0.3,
        "share of price",
        0.0,
        0.9,
        "Share of the 12-month chemical price a recycler pays collectors for contained lithium.",
        "black-mass trade practice (payables quoted as % of lithium price)",
    ),
    Param(
        "recycling_capacity_tpa_2015",
        10000.0,
        "t LCE/yr",
        0.0,
        1000000.0,
        "Recycling capacity at the start (70% in China, 30% elsewhere).",
        "assumption: small pre-2020 recycling industry",
    ),
    Param(
        "capex_usd_tpa_recycler",
        10000.0,
        "USD per t/yr",
        500.0,
        100000.0,
        "Capital cost per t/yr LCE of recycling capacity.",
        "assumption",
    ),
    Param(
        "lead_time_months_recycler",
        18,
        "months",
        3,
        60,
        "Time to build recycling capacity.",
        "assumption",
    ),
    # --- strategic reserves --------------------------------------------------------------------
    Param(
        "stockpile_enabled",
        False,
        "switch",
        None,
        None,
        "China's state reserve buys chemical when cheap and releases it when dear.",
        "docs/sources/seeds/002 lines 452-453: lithium reserves should include product reserves of "
        "lithium salts",
    ),
    Param(
        "stockpile_budget_usd",
        3.0e9,
        "USD",
        0.0,
        1.0e11,
        "Money the reserve starts with (refilled by its own sales).",
        "assumption",
    ),
    Param(
        "stockpile_buy_below_usd_t",
        9000.0,
        "USD/t LCE",
        1000.0,
        100000.0,
        "The reserve bids at this price for a monthly tranche while the price is at or below it.",
        "assumption",
    ),
    Param(
        "stockpile_release_above_usd_t",
        40000.0,
        "USD/t LCE",
        1000.0,
        300000.0,
        "The reserve offers its stock, at no less than this price, while the price is above it.",
        "assumption",
    ),
    Param(
        "stockpile_tranche_t",
        4000.0,
        "t LCE/month",
        0.0,
        100000.0,
        "Most the reserve buys in one month.",
        "assumption",
    ),
    Param(
        "stockpile_capacity_t",
        150000.0,
        "t LCE",
        0.0,
        2000000.0,
        "Most the reserve holds.",
        "assumption",
    ),
    Param(
        "orefield_reserve_share",
        0.0,
        "share",
        0.0,
        0.9,
        "Share of China's undeveloped deposits the state holds back ('orefield reserves').",
        "docs/sources/seeds/002 lines 452-455: orefield reserves, mines hard to develop in the "
        "short term kept on a reserve list (0 = none, scenario lever)",
    ),
    Param(
        "orefield_release_shortfall",
        0.3,
        "share",
        0.0,
        1.0,
        "Held-back deposits are released when the self-sufficiency shortfall exceeds this.",
        "assumption",
    ),
    # --- trade ---------------------------------------------------------------------------------
    Param(
        "export_duty_cn_chemical",
        0.0,
        "share of value",
        0.0,
        1.0,
        "Duty China's chemical sellers pay on the share of their sales bought abroad.",
        "scenario lever (0 = none); docs/sources/MODEL_BRIEF.md §Entities: export controls among "
        "government instruments",
    ),
    Param(
        "export_duty_au_concentrate",
        0.0,
        "share of value",
        0.0,
        1.0,
        "Duty Australia's mines pay on the concentrate they export (in one world market: on the "
        "share bought abroad; in regional markets: by the traders, on Australia's share of the "
        "rest of the world's concentrate offers).",
        "assumption: a what-if lever (0 = none, as today); Zimbabwe banned raw lithium ore "
        "exports in 2022 to push refining at home",
    ),
    Param(
        "tech_export_control",
        0.0,
        "dimensionless",
        0.0,
        2.0,
        "China's controls on processing technology: converter projects outside China take "
        "(1 + this) times as long and cost (1 + this/2) times as much.",
        "scenario lever (0 = none); docs/sources/seeds/003 line 16 (23 May 2025): Beijing "
        "tightened export restrictions on lithium extraction technology",
    ),
    Param(
        "state_share_cl",
        0.0,
        "share of profit",
        0.0,
        0.8,
        "Chile's state takes this share of Chilean mines' operating profit (resource "
        "nationalism); developers see it in project margins.",
        "scenario lever (0 = none); docs/sources/seeds/001 line 11: Chile demands more control "
        "over its lithium; docs/sources/MODEL_BRIEF.md §Entities: royalties (resource nationalism)",
    ),
    # --- environment ---------------------------------------------------------------------------
    Param(
        "pollution_incident_rate",
        0.03,
        "1/yr",
        0.0,
        2.0,
        "Yearly probability of a pollution incident at a mine producing 10 t waste per t LCE "
        "(scales with waste intensity, falls with enforcement).",
        "assumption: 3% a year at 10 t waste per t LCE; docs/sources/seeds/001 line 25: in 2022 at "
        "least five refiners near Yichun discharged wastewater with excessive thallium",
    ),
    Param(
        "incident_fine_usd",
        5.0e6,
        "USD",
        0.0,
        1.0e9,
        "Fine for a pollution incident (besides the temporary shutdown).",
        "assumption",
    ),
    # --- demand side ---------------------------------------------------------------------------
    Param(
        "ev_subsidy_level_2024",
        2.0,
        "x 2022 level",
        0.0,
        4.0,
        "China's EV purchase support from 2024 relative to the 2022 purchase subsidy "
        "(history: trade-in subsidies doubled in 2024 = 2).",
        "assumption: 2, China's 2022 NEV purchase subsidy ended and the 2024 trade-in subsidy "
        "doubled (public policy record, not copied into the repository); 0-4 spans no support to "
        "twice that",
    ),
    Param(
        "ev_subsidy_demand_uplift",
        0.08,
        "share of demand",
        0.0,
        0.5,
        "Share of China's battery demand that one unit of support adds.",
        "assumption: subsidy elasticity studies of China's NEV market",
    ),
    Param(
        "lfp_share_shift",
        0.0,
        "share",
        -0.5,
        0.5,
        "Shift of the LFP share of batteries from 2025 (LFP needs less lithium per kWh).",
        "IEA: LFP ~40% of EV batteries 2023",
    ),
    Param(
        "li_intensity_kg_kwh_lfp",
        0.55,
        "kg LCE/kWh",
        0.3,
        1.2,
        "Lithium intensity of LFP cells.",
        "LFP ~0.55-0.6 kg LCE/kWh",
    ),
    Param(
        "li_intensity_kg_kwh_ncm",
        0.72,
        "kg LCE/kWh",
        0.3,
        1.2,
        "Lithium intensity of NCM cells.",
        "NCM ~0.7-0.8 kg LCE/kWh",
    ),
    Param(
        "substitution_max_share",
        0.15,
        "share of demand",
        0.0,
        0.6,
        "Most of lithium demand that sodium-ion and other chemistries can take at high prices.",
        "assumption: sodium-ion and other chemistries take at most 15% of lithium demand at high "
        "prices (no source in the repository)",
    ),
    Param(
        "substitution_price_usd_t",
        30000.0,
        "USD/t LCE",
        5000.0,
        200000.0,
        "Smoothed chemical price above which substitutes are built.",
        "assumption: sodium-ion competitive above ~CNY 200k/t",
    ),
    Param(
        "substitution_speed",
        0.02,
        "1/month",
        0.0,
        0.5,
        "How fast substitution moves towards its target (lines take time to build and are "
        "slow to unwind).",
        "assumption",
    ),
    # --- exploration ---------------------------------------------------------------------------
    Param(
        "discovery_rate_per_yr",
        0.2,
        "deposits/yr per region-resource",
        0.0,
        10.0,
        "Expected new deposits found each year per region and resource at the long-run price "
        "(rises with the price).",
        "assumption; USGS reserve additions",
    ),
    Param(
        "cn_discovery_2025_tpa",
        150000.0,
        "t LCE/yr",
        0.0,
        2000000.0,
        "Capacity potential of the resources China reported finding in January 2025, added as "
        "new domestic deposits then.",
        "China Geological Survey via docs/sources/seeds/001 line 33 and docs/sources/seeds/000 "
        "line 22: over 10 Mt of additional resources identified (January 2025); the 150 kt/yr of "
        "capacity they support is an assumption",
    ),
    # --- finance of firms (formerly numbers in the code) -----------------------------------------
    Param(
        "mine_working_capital_months",
        6.0,
        "months of fixed cost",
        0.0,
        36.0,
        "Working capital a new mine starts with, in months of its fixed cost.",
        "assumption",
    ),
    Param(
        "credit_line_months",
        12.0,
        "months of fixed cost",
        0.0,
        120.0,
        "Overdraft a mine may run before it is bankrupt, in months of its fixed cost.",
        "assumption",
    ),
    Param(
        "distressed_value_share_of_capex",
        0.25,
        "share of capex",
        0.0,
        1.0,
        "Price of a bankrupt mine as a share of the capex of its capacity.",
        "assumption: distressed sales at a quarter of replacement cost",
    ),
    Param(
        "distressed_cost_limit",
        1.5,
        "multiple of the expected chemical price",
        0.5,
        5.0,
        "A bankrupt mine finds a buyer only while its chemical-equivalent cost is below this "
        "multiple of the expected chemical price.",
        "assumption",
    ),
    Param(
        "converter_cash_usd_tpa",
        2000.0,
        "USD per t/yr",
        0.0,
        100000.0,
        "Opening cash of a converter per t/yr of its capacity.",
        "assumption",
    ),
    Param(
        "battery_maker_cash_usd",
        2.0e9,
        "USD",
        0.0,
        1.0e12,
        "Opening cash of each battery maker.",
        "assumption: order of a large cell maker's free cash",
    ),
    Param(
        "recycler_cash_usd_tpa",
        2000.0,
        "USD per t/yr",
        0.0,
        100000.0,
        "Opening cash of a recycler per t/yr of its capacity.",
        "assumption",
    ),
    Param(
        "recycling_capacity_share_cn",
        0.7,
        "share",
        0.0,
        1.0,
        "China's share of the 2015 recycling capacity; the rest is in Korea and Europe.",
        "assumption: China dominates battery recycling",
    ),
]
MECHANISMS = (
    "integration_enabled",
    "state_support_enabled",
    "state_subsidy_enabled",
    "closure_pressure_enabled",
    "hysteresis_enabled",
    "growth_expectations_enabled",
    "equity_stakes_enabled",
    "recycling_enabled",
    "brownfield_enabled",
    "converter_entry_row_enabled",
    "converter_entry_cn_enabled",
    "offtake_enabled",
    "held_price_enabled",
    "converter_curtailment_enabled",
    "restart_on_spot_enabled",
    "regional_markets_enabled",
    "outlook_idling_enabled",
)
LEVERS = (
    "cn_self_sufficiency_target",
    "cn_support_budget_usd_yr",
    "max_subsidy_usd_t",
    "subsidy_step_usd_t",
    "cheap_power_discount",
    "closure_pressure_max",
    "state_equity_share",
    "state_hurdle_rate",
    "state_invest_rate",
    "policy_review_months",
    "env_inspection_rate",
    "env_fine_usd_per_t_waste",
    "env_shutdown_months",
    "env_enforcement_cn",
    "royalty_au",
    "royalty_cl",
    "royalty_ar",
    "royalty_cn",
    "tariff_us",
    "tariff_cn",
    "stockpile_enabled",
    "stockpile_budget_usd",
    "stockpile_buy_below_usd_t",
    "stockpile_release_above_usd_t",
    "stockpile_tranche_t",
    "stockpile_capacity_t",
    "orefield_reserve_share",
    "orefield_release_shortfall",
    "export_duty_cn_chemical",
    "export_duty_au_concentrate",
    "tech_export_control",
    "state_share_cl",
    "ev_subsidy_level_2024",
)
UNCERTAINTIES = (
    "demand_scale",
    "demand_price_elasticity",
    "battery_price_usd_kwh",
    "battery_price_decline",
    "lfp_share_shift",
    "substitution_max_share",
    "substitution_price_usd_t",
    "discovery_rate_per_yr",
    "cn_discovery_2025_tpa",
    "battery_life_mean_years",
    "collection_rate_growth",
    "recovery_rate",
)
ROLES = ("behaviour", "lever", "uncertainty", "mechanism")
_ROLE_OF = (
    {n: "mechanism" for n in MECHANISMS}
    | {n: "lever" for n in LEVERS}
    | {n: "uncertainty" for n in UNCERTAINTIES}
)
_PARAMS = [replace(p, role=_ROLE_OF.get(p.name, "behaviour")) for p in _PARAMS]

PARAMETERS: dict[str, Param] = {p.name: p for p in _PARAMS}


def defaults() -> dict[str, float | int | bool]:
    """All parameters at their documented defaults."""
    return {p.name: p.default for p in _PARAMS}


def with_role(role: str) -> tuple[str, ...]:
    """Names of the parameters that play ``role`` (one of ROLES)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    return tuple(p.name for p in _PARAMS if p.role == role)


def resolve(overrides: dict[str, Any]) -> dict[str, float | int | bool]:
    """Defaults updated with validated overrides; raises ValueError naming the first bad key."""
    values = defaults()
    for key, value in overrides.items():
        if key not in PARAMETERS:
            raise ValueError(f"unknown parameter {key!r}; see `lithium-abm params` for the list")
        values[key] = PARAMETERS[key].coerce(value)
    return values
