"""The demand stage: this month's world lithium demand from the path, policy, chemistry,
substitution and price (the pure rules are in ``demand.py``)."""

from __future__ import annotations

from lithium_abm.model.config import ModelConfig
from lithium_abm.model.demand import (
    chemistry_factor,
    ev_subsidy_factor,
    monthly_demand_path_t,
    next_substitution_share,
    price_response,
)
from lithium_abm.model.world import World


class DemandStage:
    def __init__(self, world: World, config: ModelConfig, n_months: int) -> None:
        self.world = world
        self.p = world.params.demand
        self.base_demand_t = monthly_demand_path_t(
            world.start_year, world.start_month, n_months, config.demand_path_t
        )
        self.china_demand_share = 0.0
        self.substitution_share = 0.0
        self.factors = {"ev_subsidy": 1.0, "chemistry": 1.0}
        self.demand_t = 0.0

    def first_month_t(self) -> float:
        return self.base_demand_t[0] * self.p.demand_scale

    def run(self) -> float:
        p = self.p
        world = self.world
        year = world.year_fraction()
        self.factors["ev_subsidy"] = ev_subsidy_factor(
            year, p.ev_subsidy_level_2024, p.ev_subsidy_demand_uplift, self.china_demand_share
        )
        self.factors["chemistry"] = chemistry_factor(
            year, p.lfp_share_shift, p.li_intensity_kg_kwh_lfp, p.li_intensity_kg_kwh_ncm
        )
        smoothed = world.smoothed_price("chemical")
        self.substitution_share = next_substitution_share(
            self.substitution_share,
            smoothed,
            p.substitution_price_usd_t,
            p.substitution_max_share,
            p.substitution_speed,
        )
        base = self.base_demand_t[world.month] * p.demand_scale
        base *= self.factors["ev_subsidy"] * self.factors["chemistry"]
        base *= 1.0 - self.substitution_share
        self.demand_t = price_response(
            base,
            world.smoothed_price("chemical"),
            p.reference_price_usd_t,
            p.demand_price_elasticity,
        )
        return self.demand_t
