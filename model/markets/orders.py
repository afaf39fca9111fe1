"""Typed orders and outcomes, and the protocols every seller and buyer in a market follows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np


class Seller(Protocol):
    """Mines, converters, recyclers and the state reserve all sell through these members (in the
    concentrate market also ``lepidolite_share``, the share sold at the quality discount)."""

    region: str
    account: int

    @property
    def stock_for_sale_t(self) -> float: ...

    def ask_usd_t(self, last_price_usd_t: float) -> float: ...

    def deliver(self, quantity_t: float, price_usd_t: float, buyer_account: int) -> None: ...


class Buyer(Protocol):
    """Converters (concentrate), battery makers and the reserve (chemical) buy in two steps:
    what they want this month, then their bids for what captive supply left open."""

    region: str
    account: int

    def wanted_t(self) -> float: ...

    def bids(self, remaining_t: float) -> list[tuple[float, float]]: ...


@dataclass(frozen=True, slots=True)
class Order:
    """A limit order of one agent: a price per t LCE and a quantity."""

    owner: Any
    price_usd_t: float
    quantity_t: float


@dataclass(frozen=True, slots=True)
class Trades:
    """What a market's clearing filled, in the order of its books (for settlement hooks)."""

    price_usd_t: float
    volume_t: float
    sellers: list[Any]
    offer_fills: np.ndarray
    buyers: list[Any]
    bid_fills: np.ndarray
    zone: str | None = None  # the market zone, or None for the one world market


@dataclass
class MarketOutcome:
    """What one market did this month."""

    price_usd_t: float
    volume_t: float
    captive_t: float
    traded: bool
    contracted_t: float = 0.0  # delivered under offtake contracts before the auction
