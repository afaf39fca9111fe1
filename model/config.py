"""What a model is built from: resolved parameters plus the initial population and data.

The experiments layer reads scenario files into a ``ModelConfig``; the model only sees this
validated, immutable structure, so it never parses files itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class MineSpec:
    name: str
    resource: str
    region: str
    capacity_tpa: float
    cost_usd_t: float
    owner_kind: str = "independent"
    group: str = ""
    state: str = "operating"
    start: str = ""  # YYYY-MM of first output, for projects under construction


@dataclass(frozen=True)
class RefinerSpec:
    name: str
    region: str
    capacity_tpa: float
    owner_kind: str = "independent"
    group: str = ""
    start: str = ""


@dataclass(frozen=True)
class BatteryMakerSpec:
    name: str
    region: str
    demand_share: float
    owner_kind: str = "independent"
    group: str = ""


@dataclass(frozen=True)
class ResourceSpec:
    """Undeveloped deposits of one region and resource, as a uniform cost range."""

    region: str
    resource: str
    deposits: int
    capacity_tpa: float
    cost_min_usd_t: float
    cost_max_usd_t: float


@dataclass(frozen=True)
class GovernmentSpec:
    """One row of the governments table: a region and the instruments it holds.

    Each level is a number or the name of a registry parameter (so scenarios and sweeps move
    it by name); an instrument a government does not hold is absent from ``instruments``.
    """

    region: str
    instruments: tuple[tuple[str, str], ...]  # (instrument name, level: number or parameter)
    self_sufficiency_target: str = "0"
    support_budget_usd_yr: str = "0"


@dataclass(frozen=True)
class ModelConfig:
    name: str
    start: str  # YYYY-MM
    end: str  # YYYY-MM
    params: dict[str, Any]
    mines: tuple[MineSpec, ...]
    refiners: tuple[RefinerSpec, ...]
    battery_makers: tuple[BatteryMakerSpec, ...]
    resource_base: tuple[ResourceSpec, ...]
    demand_path_t: tuple[tuple[int, float], ...]  # (year, t LCE per year)
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    governments: tuple[GovernmentSpec, ...] = ()
    clearing_rule: str = "uniform_price"  # a name in model/markets/rules.CLEARING_RULES


def month_index(start: str, when: str) -> int:
    """Months from ``start`` to ``when`` (both YYYY-MM)."""
    y0, m0 = (int(x) for x in start.split("-"))
    y1, m1 = (int(x) for x in when.split("-"))
    return (y1 - y0) * 12 + (m1 - m0)
