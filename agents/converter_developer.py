"""Converter developers: the private capital that builds new converters in a market zone.

The converters of the scenario data expand only after running nearly full, and the groups build
converters only to match their own mines, so without entrants the conversion capacity of a
region is fixed by who happened to own a converter in 2015. Real capacity grew mostly by entry:
new Chinese firms in 2017-2023, and outside China refineries that followed the regional price
(Kemerton, Kings Mountain, Covalent, Gwangyang). A developer per market zone, each behind its
own switch, weighs the zone's expected conversion margin against the capital charge of a new
train, as a mine developer weighs a deposit, and starts one with a probability that grows with
the excess return, within the pipeline limit. A tariff or an export duty that lifts a zone's
chemical price therefore draws converters into it; technology export controls make them dearer
and slower there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lithium_abm.agents.base import WorldAgent
from lithium_abm.agents.intents import ConverterProject
from lithium_abm.model.behaviour import annuity_factor

if TYPE_CHECKING:
    from lithium_abm.agents.world import World


class ConverterDeveloper(WorldAgent):
    """Greenfield converter investor for one market zone, building in one region of it."""

    agent_type = "converter_developer"

    def __init__(self, world: World, zone: str, region: str) -> None:
        super().__init__(world)
        self.see_from(region)  # the prices of its own market zone
        self.zone = zone
        self.region = region
        self.name = f"converter_developer_{zone}"
        self.p = world.params.investment
        self.conversion_cost_usd_t = world.params.refiner.conversion_cost_in(region)
        self.projects_started = 0
        self.owner_kind = "independent"
        self.state = "active"
        self.output_t = 0.0

    def expected_margin_usd_t(self) -> float:
        """What a tonne of conversion capacity earns a year at the zone's smoothed prices."""
        world = self.world
        spread = world.smoothed_price("chemical") - world.smoothed_price("concentrate")
        return spread - self.conversion_cost_usd_t

    def consider(self) -> ConverterProject | None:
        """Start one converter if the margin beats the capital charge (probabilistically)."""
        world = self.world
        p = self.p
        block = p.converter_entry_tpa
        installed, pipeline = world.converter_capacity_and_pipeline(self.zone)
        if pipeline + block > p.pipeline_limit * max(installed, 2.0 * block):
            return None
        capex, lead = world.converter_capex_and_lead(self.region)
        charge = capex * annuity_factor(p.hurdle_rate, p.project_life_years)
        excess = self.expected_margin_usd_t() / charge - 1.0
        if excess <= 0.0 or world.rng.random() >= min(1.0, p.invest_intensity * excess):
            return None
        self.projects_started += 1
        return ConverterProject(self, block, capex * block, lead)
