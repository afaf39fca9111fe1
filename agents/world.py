"""The narrow world an agent sees: calendar, prices and expectations, accounts, rng, parameters.

Agents never import or call the model class. They read the world through this protocol and
return *intents* (a project to start, an asset for sale, an expansion to pay for) that the
model's stages carry out. Any object with these members can host the agents, which is how the
tests drive a single agent without building a whole model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import mesa
    import numpy as np

    from lithium_abm.model.ledger import Ledger
    from lithium_abm.model.param_groups import ParamGroups


class World(Protocol):
    """What agents may ask of the world they live in."""

    # --- identity for Mesa's agent registry (never called by agents) ------------------------
    host: mesa.Model

    # --- calendar -------------------------------------------------------------------------------
    month: int

    def year_fraction(self) -> float:
        """Calendar time of the current month as a fractional year (2015.0 = January 2015)."""
        ...

    def event_time(self, months_ahead: int) -> float:
        """Mesa time between months, ``months_ahead`` months from now."""
        ...

    def schedule(self, action: Callable[[], None], months_ahead: int) -> float:
        """Run ``action`` between months, ``months_ahead`` months from now; returns its time."""
        ...

    def now(self) -> float:
        """Mesa time (a due block of capacity compares its due time with it)."""
        ...

    # --- prices and expectations --------------------------------------------------------------
    last_price: dict[str, float]

    def recent_price(self, product: str) -> float: ...

    def slow_price(self, product: str) -> float: ...

    def smoothed_price(self, product: str) -> float: ...

    def product_price(self, resource: str) -> float: ...

    def view_for(self, region: str) -> World:
        """The world as seen from ``region``'s market zone (its prices)."""
        ...

    def quality_discount(self, resource: str) -> float: ...

    def conversion_cost_for(self, resource: str) -> float: ...

    # --- money, randomness, parameters --------------------------------------------------------
    ledger: Ledger
    capital_account: int
    suppliers_account: int
    households_account: int
    treasury_account: int
    rng: np.random.Generator
    params: ParamGroups

    # --- what investors and governments observe -----------------------------------------------
    def capacity_and_pipeline(self, region: str, resource: str) -> tuple[float, float]: ...

    def converter_capacity_and_pipeline(self, zone: str) -> tuple[float, float]: ...

    def domestic_feed_share(self, region: str) -> float: ...

    def state_mine_loss_share(self, region: str) -> float: ...

    def royalty_rate(self, region: str) -> float: ...

    def state_profit_share(self, region: str) -> float: ...

    def converter_capex_and_lead(self, region: str) -> tuple[float, int]: ...
