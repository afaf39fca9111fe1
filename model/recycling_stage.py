"""The recycling stage: lithium in use retires, is collected as far as recyclers have room, and
is recovered (the pure rules are in ``recycling.py``)."""

from __future__ import annotations

import numpy as np

from lithium_abm.model.config import ModelConfig
from lithium_abm.model.demand import monthly_demand_path_t
from lithium_abm.model.population import Population
from lithium_abm.model.recycling import (
    battery_share_of_use,
    collection_rate,
    lifetime_pmf,
    retirements_t,
)
from lithium_abm.model.world import World

PRE_HISTORY_YEARS = 30


class RecyclingStage:
    def __init__(self, world: World, population: Population, config: ModelConfig) -> None:
        """Lithium put into use before the run (the demand path extended back 30 years)."""
        self.world = world
        self.pop = population
        p = self.p = world.params.recycling
        self._pmf = lifetime_pmf(p.battery_life_mean_years, p.battery_life_sd_years)
        back = 12 * PRE_HISTORY_YEARS
        start = world.start_year - PRE_HISTORY_YEARS
        past = monthly_demand_path_t(start, world.start_month, back, config.demand_path_t)
        years = start + (world.start_month - 1 + np.arange(back)) / 12.0
        scale = world.params.demand.demand_scale
        self.in_use_t: list[float] = list(past * battery_share_of_use(years) * scale)
        self.retired_t = 0.0
        self.collected_t = 0.0
        self.cum_collected_t = 0.0
        self.cum_loss_t = 0.0

    def run(self) -> None:
        """Retired batteries are collected, as far as recyclers have room, and processed."""
        self.retired_t = retirements_t(np.asarray(self.in_use_t[-len(self._pmf) :]), self._pmf)
        self.collected_t = 0.0
        recyclers = self.pop.recyclers
        if not recyclers:
            return
        p = self.p
        rate = collection_rate(
            self.world.year_fraction(),
            p.collection_rate_2020,
            p.collection_rate_growth,
            p.collection_rate_max,
        )
        rooms = [r.room_t() for r in recyclers]
        total_room = sum(rooms)
        collected = min(self.retired_t * rate, total_room)
        for recycler, room in zip(recyclers, rooms, strict=True):
            recycler.collect(collected * room / total_room if total_room > 0.0 else 0.0)
            recycler.process()
            self.cum_loss_t += recycler.lost_t
        self.collected_t = collected
        self.cum_collected_t += collected

    def put_into_use(self, consumed_t: float) -> None:
        """This month's consumption enters use (the battery share of it)."""
        self.in_use_t.append(consumed_t * float(battery_share_of_use(self.world.year_fraction())))
