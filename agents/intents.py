"""What agents ask the model's stages to carry out: projects, expansions, asset sales.

Agents decide; they do not build mines or move money between outside accounts themselves. A
decision comes back as one of these records, and the stage that asked carries it out at once,
in the order the agents decided (so random draws keep their order).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Expansion:
    """A firm adds a block of capacity, paid from the capital market (converters, recyclers,
    mines' brownfield blocks)."""

    firm: Any
    capex_usd: float
    block_tpa: float
    lead_months: int
    kind: str


@dataclass(frozen=True, slots=True)
class ConverterProject:
    """A converter developer starts a new independent converter in its region (capital market
    pays; capacity comes on line after the lead time)."""

    developer: Any
    capacity_tpa: float
    capex_usd: float
    lead_months: int


@dataclass(frozen=True, slots=True)
class MineProject:
    """A developer starts a mine on a deposit it holds (independent investors)."""

    developer: Any
    deposit: Any


@dataclass(frozen=True, slots=True)
class CaptiveMine:
    """An integrated battery maker wants a captive mine (and the converter to match)."""

    maker: Any


@dataclass(frozen=True, slots=True)
class StateProject:
    """A government co-invests in the best domestic deposit that clears its hurdle."""

    government: Any
