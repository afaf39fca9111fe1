"""The one small protocol every policy instrument follows, and the registry of instruments.

An instrument belongs to one government and acts only through hooks that the model's stages
call at fixed points of the month: at a sale, at a purchase, when a market has settled, when a
mine settles its month, and at the government's policy review. A hook it does not need is a
no-op. A new instrument is one class with ``@register``, and one column of the governments table
(``experiments/scenarios/governments.csv``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from lithium_abm.agents.government import Government
    from lithium_abm.agents.world import World
    from lithium_abm.model.markets.orders import Trades


class Instrument:
    """Base class: a level (a rate, a share, a switch) and hooks that default to doing nothing."""

    name: ClassVar[str] = ""
    # Instruments act in this order within one hook (registration order), whatever the order of
    # the table's columns, so that results do not depend on how a table is written.
    order: ClassVar[int] = 0

    def __init__(self, level: Any) -> None:
        self.level = level

    def bind(self, gov: Government, world: World, population: Any) -> None:
        """Called once the population is built (reserve deposits, set up an agency)."""

    def at_sale(self, gov: Government, seller: Any, value_usd: float) -> None:
        """A seller in the government's region sold product worth ``value_usd``."""

    def at_purchase(
        self, gov: Government, buyer: Any, fill_t: float, price_usd_t: float, imported: float
    ) -> None:
        """A buyer in the region bought ``fill_t``, of which the share ``imported`` abroad."""

    def at_market_settlement(self, gov: Government, product: str, trades: Trades) -> None:
        """A market has settled all its trades this month."""

    def at_mine_settlement(self, gov: Government, mine: Any, unit_cost_usd_t: float) -> None:
        """A mine in the region settles its month (fixed costs paid, before its decision)."""

    def at_review(self, gov: Government, world: World) -> None:
        """The government reviews its policy (recurring event)."""

    def support_usd_t(self, gov: Government, mine: Any) -> float:
        """Per-tonne support this instrument gives a state-backed mine's decisions."""
        return 0.0


INSTRUMENTS: dict[str, type[Instrument]] = {}


def register(cls: type[Instrument]) -> type[Instrument]:
    """Make an instrument available to governments tables under ``cls.name``."""
    if not cls.name or cls.name in INSTRUMENTS:
        raise ValueError(f"instrument name {cls.name!r} is empty or taken")
    cls.order = len(INSTRUMENTS)
    INSTRUMENTS[cls.name] = cls
    return cls
