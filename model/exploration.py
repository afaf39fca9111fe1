"""Exploration: a year's discoveries, more when lithium is dear, and China's 2025 discovery."""

from __future__ import annotations

from lithium_abm.model.population import Population
from lithium_abm.model.world import World


class Exploration:
    def __init__(self, world: World, population: Population) -> None:
        self.world = world
        self.pop = population

    def explore_year(self) -> None:
        """A year's discoveries: more exploration, and more finds, when lithium is dear."""
        p = self.world.params.exploration
        rate = p.discovery_rate_per_yr
        if rate <= 0.0:
            return
        dear = self.world.smoothed_price("chemical") / p.long_run_price_usd_t
        expected = rate * min(3.0, max(0.25, dear))
        developers = self.pop.developers
        for key in sorted(developers):
            developers[key].discover(int(self.world.rng.poisson(expected)))

    def china_discovery(self) -> None:
        """January 2025: China reports over 10 Mt of new resources.

        China Geological Survey, via docs/sources/seeds/001 line 33.
        """
        found = [d for (r, _), d in sorted(self.pop.developers.items()) if r == "CN"]
        each_tpa = self.world.params.exploration.cn_discovery_2025_tpa / max(1, len(found))
        for developer in found:
            size = max(developer.typical_size_tpa, 1.0)
            count = max(1, round(each_tpa / size))
            developer.discover(count, size_tpa=each_tpa / count)
