"""Parameters resolved once into typed, frozen groups, each injected into the code that uses it.

The registry (``parameters.py``) keeps flat names so that a scenario or a sweep can set any of
them; the monthly loop never looks a name up. ``ParamGroups.from_params`` builds every group at
model construction, and an agent keeps a reference to its own group. A field's name is the
registry name, so ``docs/parameters.md`` documents each field.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Self

from lithium_abm.model.parameters import CHEMICAL_RESOURCES, RESOURCES


class _Group:
    @classmethod
    def from_params(cls, p: dict[str, Any]) -> Self:
        return cls(**{f.name: p[f.name] for f in fields(cls)})  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class AskParams(_Group):
    """How every seller asks: discount on excess stock, premium when tight, distress floor."""

    ask_inventory_discount: float
    ask_tightness_premium: float
    distress_cover_months: float
    distress_floor_share: float


@dataclass(frozen=True, slots=True)
class ResourceParams:
    """What a resource's operations cost, take and leave behind (one group per resource)."""

    resource: str
    capex_usd_tpa: float
    lead_time_months: int
    ramp_months: int
    min_utilisation: float
    care_loss_extra_months: float
    energy_share: float
    waste_t_per_t: float
    conversion_cost_usd_t: float  # 0 where the operation makes chemical on site

    @classmethod
    def from_params(cls, p: dict[str, Any], resource: str) -> ResourceParams:
        conversion = (
            0.0 if resource in CHEMICAL_RESOURCES else float(p[f"conversion_cost_usd_t_{resource}"])
        )
        return cls(
            resource=resource,
            capex_usd_tpa=p[f"capex_usd_tpa_{resource}"],
            lead_time_months=int(p[f"lead_time_months_{resource}"]),
            ramp_months=int(p[f"ramp_months_{resource}"]),
            min_utilisation=float(p[f"min_utilisation_{resource}"]),
            care_loss_extra_months=float(p[f"care_loss_extra_months_{resource}"]),
            energy_share=p[f"energy_share_{resource}"],
            waste_t_per_t=p[f"waste_t_per_t_{resource}"],
            conversion_cost_usd_t=conversion,
        )


@dataclass(frozen=True, slots=True)
class MineParams(_Group):
    """A mine's costs, hysteresis thresholds, environmental exposure and whose margin counts."""

    fixed_cost_share: float
    mine_working_capital_months: float
    care_loss_months: float
    restart_surplus_months: float
    restart_delay_months: int
    restart_cost_months: float
    restart_on_spot_enabled: bool
    outlook_idling_enabled: bool
    operator_anchor_weight: float
    care_cost_share: float
    max_care_months: int
    night_power_discount: float
    cheap_power_discount: float
    compliance_usd_per_t_waste: float
    max_stock_months: float
    cost_spread: float
    utilisation_adjust_share: float
    brownfield_full_months: int
    brownfield_block_share: float
    brownfield_capex_share: float
    brownfield_lead_months: int
    brownfield_max_multiple: float
    feed_security_premium: float
    group_margin_weight: float
    closure_pressure_max: float
    env_inspection_rate: float
    env_fine_usd_per_t_waste: float
    env_shutdown_months: int
    pollution_incident_rate: float
    incident_fine_usd: float
    trend_weight: float
    credit_line_months: float


@dataclass(frozen=True, slots=True)
class RefinerParams(_Group):
    """Converters: conversion cost, feed cover, bidding and expansion."""

    conversion_cost_usd_t_spodumene: float
    conversion_cost_usd_t_lepidolite: float
    conversion_cost_premium_ex_china: float
    refiner_feed_cover_months: float
    max_stock_months: float
    converter_curtailment_enabled: bool
    bid_urgency: float
    capex_usd_tpa_refiner_cn: float
    capex_usd_tpa_refiner_row: float
    lead_time_months_refiner_cn: int
    lead_time_months_refiner_row: int
    converter_cash_usd_tpa: float

    def conversion_cost_in(self, region: str) -> float:
        """Cash cost of converting spodumene concentrate in ``region`` (dearer outside China)."""
        premium = 0.0 if region == "CN" else self.conversion_cost_premium_ex_china
        return self.conversion_cost_usd_t_spodumene * (1.0 + premium)


@dataclass(frozen=True, slots=True)
class BatteryMakerParams(_Group):
    """Cell makers: inventory cover, bidding, battery economics and upstream integration."""

    li_intensity_kg_kwh: float
    inventory_cover_months: float
    hoarding_sensitivity: float
    max_cover_multiple: float
    restock_months: float
    bid_urgency: float
    battery_price_usd_kwh: float
    battery_price_decline: float
    max_lithium_cost_share: float
    downstream_margin_usd_kwh: float
    integrated_feed_target: float
    reference_price_usd_t: float
    invest_intensity: float
    battery_maker_cash_usd: float


@dataclass(frozen=True, slots=True)
class InvestmentParams(_Group):
    """How investors value projects: expectations, hurdle rates, pipeline limits."""

    trend_weight: float
    long_run_price_usd_t: float
    anchor_weight: float
    hurdle_rate: float
    project_life_years: float
    invest_intensity: float
    pipeline_limit: float
    converter_entry_row_enabled: bool
    converter_entry_cn_enabled: bool
    converter_entry_tpa: float
    state_hurdle_rate: float
    state_equity_share: float
    state_invest_rate: float
    reference_price_usd_t: float
    distressed_value_share_of_capex: float
    distressed_cost_limit: float


@dataclass(frozen=True, slots=True)
class RecyclingParams(_Group):
    """Retirement, collection and recovery of lithium in used batteries."""

    recycling_enabled: bool
    battery_life_mean_years: float
    battery_life_sd_years: float
    collection_rate_2020: float
    collection_rate_growth: float
    collection_rate_max: float
    recovery_rate: float
    recycling_cost_usd_t: float
    black_mass_payable: float
    recycling_capacity_tpa_2015: float
    recycling_capacity_share_cn: float
    recycler_cash_usd_tpa: float
    capex_usd_tpa_recycler: float
    lead_time_months_recycler: int
    hurdle_rate: float
    project_life_years: float


@dataclass(frozen=True, slots=True)
class StockpileParams(_Group):
    """A state reserve's triggers, tranche, capacity and budget."""

    stockpile_enabled: bool
    stockpile_budget_usd: float
    stockpile_buy_below_usd_t: float
    stockpile_release_above_usd_t: float
    stockpile_tranche_t: float
    stockpile_capacity_t: float


@dataclass(frozen=True, slots=True)
class PolicyParams(_Group):
    """Governments' instruments and how they review them."""

    integration_enabled: bool
    state_support_enabled: bool
    state_subsidy_enabled: bool
    closure_pressure_enabled: bool
    hysteresis_enabled: bool
    growth_expectations_enabled: bool
    equity_stakes_enabled: bool
    brownfield_enabled: bool
    policy_review_months: int
    max_subsidy_usd_t: float
    subsidy_step_usd_t: float
    cheap_power_discount: float
    orefield_reserve_share: float
    orefield_release_shortfall: float
    export_duty_cn_chemical: float
    export_duty_au_concentrate: float
    tech_export_control: float
    state_share_cl: float
    cn_self_sufficiency_target: float
    cn_support_budget_usd_yr: float


@dataclass(frozen=True, slots=True)
class DemandParams(_Group):
    """World battery demand: scale, price response, policy, chemistry and substitution."""

    demand_scale: float
    demand_price_elasticity: float
    reference_price_usd_t: float
    li_intensity_kg_kwh: float
    ev_subsidy_level_2024: float
    ev_subsidy_demand_uplift: float
    lfp_share_shift: float
    li_intensity_kg_kwh_lfp: float
    li_intensity_kg_kwh_ncm: float
    substitution_max_share: float
    substitution_price_usd_t: float
    substitution_speed: float


@dataclass(frozen=True, slots=True)
class MarketParams(_Group):
    """Opening prices, expectations and the clearing rule of the two markets."""

    initial_price_chemical_usd_t: float
    initial_price_concentrate_usd_t: float
    expectation_smoothing: float
    usd_cny: float
    offtake_enabled: bool
    held_price_enabled: bool
    offtake_share: float
    offtake_price_months: int
    offtake_max_cover_months: float
    regional_markets_enabled: bool
    transport_usd_t_concentrate: float
    transport_usd_t_chemical: float
    trade_capacity_t_concentrate: float
    trade_capacity_t_chemical: float


@dataclass(frozen=True, slots=True)
class ExplorationParams(_Group):
    """Yearly discoveries and the January 2025 China discovery."""

    discovery_rate_per_yr: float
    long_run_price_usd_t: float
    cn_discovery_2025_tpa: float


@dataclass(frozen=True, slots=True)
class ParamGroups:
    """Every group, resolved once from a scenario's flat parameter values."""

    ask: AskParams
    mine: MineParams
    refiner: RefinerParams
    battery_maker: BatteryMakerParams
    investment: InvestmentParams
    recycling: RecyclingParams
    stockpile: StockpileParams
    policy: PolicyParams
    demand: DemandParams
    market: MarketParams
    exploration: ExplorationParams
    resources: dict[str, ResourceParams]

    @classmethod
    def from_params(cls, p: dict[str, Any]) -> ParamGroups:
        return cls(
            ask=AskParams.from_params(p),
            mine=MineParams.from_params(p),
            refiner=RefinerParams.from_params(p),
            battery_maker=BatteryMakerParams.from_params(p),
            investment=InvestmentParams.from_params(p),
            recycling=RecyclingParams.from_params(p),
            stockpile=StockpileParams.from_params(p),
            policy=PolicyParams.from_params(p),
            demand=DemandParams.from_params(p),
            market=MarketParams.from_params(p),
            exploration=ExplorationParams.from_params(p),
            resources={r: ResourceParams.from_params(p, r) for r in RESOURCES},
        )
