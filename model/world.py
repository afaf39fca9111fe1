"""The world the agents live in: calendar, price board, accounts, parameters and observations.

``World`` implements the protocol in ``agents/world.py``. The model builds one and hands it to
every agent; stages update it (a new price, a month's observations), agents only read it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING

import mesa
import numpy as np

from lithium_abm.model.ledger import Ledger
from lithium_abm.model.param_groups import ParamGroups
from lithium_abm.model.zones import CHINA, ZONES, zone_of

if TYPE_CHECKING:
    from lithium_abm.model.policy.government import Government

PRODUCTS = ("concentrate", "chemical")


class PriceBoard:
    """Last prices, their recent and slow averages and the adaptive expectation, per product."""

    def __init__(self, opening: dict[str, float], smoothing: float) -> None:
        self.last = dict(opening)
        self._smoothed = dict(opening)
        self._smoothing = smoothing
        self._done: dict[str, list[float]] = {k: [] for k in opening}
        self._cache: dict[tuple[str, int], tuple[int, float]] = {}

    def set(self, product: str, price: float) -> None:
        self.last[product] = price
        self._done[product].append(price)
        self._smoothed[product] += self._smoothing * (price - self._smoothed[product])

    def mean_of_last(self, product: str, months: int) -> float:
        """Mean of the last ``months`` prices; computed once per month, asked by many agents."""
        done = self._done[product]
        if not done:
            return self.last[product]
        key = (product, months)
        cached = self._cache.get(key)
        if cached is not None and cached[0] == len(done):
            return cached[1]
        window = done[-months:]
        value = sum(window) / len(window)
        self._cache[key] = (len(done), value)
        return value

    def smoothed(self, product: str) -> float:
        return self._smoothed[product]


class World:
    """The concrete world: what agents see and what the model's stages keep up to date."""

    def __init__(
        self,
        host: mesa.Model,
        params: ParamGroups,
        start_year: int,
        start_month: int,
    ) -> None:
        self.host = host
        self.params = params
        self.rng: np.random.Generator = host.rng
        self.start_year = start_year
        self.start_month = start_month
        self.month = -1
        self.ledger = ledger = Ledger()
        self.capital_account = ledger.open("external:capital_market")
        self.suppliers_account = ledger.open("external:suppliers")
        self.households_account = ledger.open("external:battery_customers")
        self.treasury_account = ledger.open("external:treasuries")
        self.exchange_account = ledger.open("exchange")
        market = params.market
        self.prices = PriceBoard(
            {
                "concentrate": float(market.initial_price_concentrate_usd_t),
                "chemical": float(market.initial_price_chemical_usd_t),
            },
            market.expectation_smoothing,
        )
        self.last_price = self.prices.last
        # One price board per market zone; China's is the world's benchmark board above.
        self.boards: dict[str, PriceBoard] = {CHINA: self.prices}
        self._views: dict[str, ZoneView] = {}
        if market.regional_markets_enabled:
            for zone in ZONES:
                if zone != CHINA:
                    self.boards[zone] = PriceBoard(
                        dict(self.prices.last), market.expectation_smoothing
                    )
                    self._views[zone] = ZoneView(self, self.boards[zone])
        refiner = params.refiner
        self._lepidolite_discount = (
            refiner.conversion_cost_usd_t_lepidolite - refiner.conversion_cost_usd_t_spodumene
        )
        # Resources whose product sells at the chemical price (made into chemical on site).
        self._priced_as_chemical = frozenset(
            r for r, rp in params.resources.items() if rp.conversion_cost_usd_t == 0.0
        )
        self.governments: dict[str, Government] = {}
        self._capacity: dict[tuple[str, str], tuple[float, float]] = {}
        self._converter_capacity: dict[str, tuple[float, float]] = {}
        self._domestic_hist: dict[str, list[tuple[float, float]]] = defaultdict(list)
        self._state_loss_hist: dict[str, list[tuple[float, float]]] = defaultdict(list)

    # --- calendar -------------------------------------------------------------------------------
    def event_time(self, months_ahead: int) -> float:
        """Mesa time of an event that takes effect ``months_ahead`` months from this month.

        Month index m runs as the step at time m + 1, so an event at m + 0.5 happens between
        months, before month m. During initialisation "this month" is the first month.
        """
        return max(self.month, 0) + int(months_ahead) + 0.5

    def schedule(self, action: Callable[[], None], months_ahead: int) -> float:
        at = self.event_time(months_ahead)
        self.host.schedule_event(action, at=at)
        return at

    def now(self) -> float:
        return self.host.time

    def year_fraction(self) -> float:
        """Calendar time of the current month as a fractional year (2015.0 = January 2015)."""
        return self.start_year + (self.start_month - 1 + max(self.month, 0)) / 12.0

    # --- prices ---------------------------------------------------------------------------------
    def recent_price(self, product: str) -> float:
        """Average of the last 3 months (what a trader sees now)."""
        return self.prices.mean_of_last(product, 3)

    def slow_price(self, product: str) -> float:
        """Average of the last 12 months (contract prices, battery pass-through)."""
        return self.prices.mean_of_last(product, 12)

    def contract_price_usd_t(self, product: str) -> float:
        """Offtake contract price: the mean spot price of the last ``offtake_price_months``."""
        return self.prices.mean_of_last(product, self.params.market.offtake_price_months)

    def smoothed_price(self, product: str) -> float:
        """Adaptive expectation (exponential smoothing)."""
        return self.prices.smoothed(product)

    def quality_discount(self, resource: str) -> float:
        """What lepidolite concentrate is worth less than spodumene: its extra conversion cost."""
        return self._lepidolite_discount if resource == "lepidolite" else 0.0

    def conversion_cost_for(self, resource: str) -> float:
        """Cost of turning the resource's product into chemical (0 where made on site)."""
        return self.params.resources[resource].conversion_cost_usd_t

    def product_price(self, resource: str) -> float:
        """Market-equivalent price of a mine's product this month."""
        return self.product_price_in(self.last_price, resource)

    def product_price_in(self, last_price: dict[str, float], resource: str) -> float:
        """A mine's product priced from the given last prices (its zone's)."""
        if resource in self._priced_as_chemical:
            return last_price["chemical"]
        discount = self._lepidolite_discount if resource == "lepidolite" else 0.0
        return max(0.0, last_price["concentrate"] - discount)

    def view_for(self, region: str) -> World:
        """The world as a firm in ``region`` sees it: its own zone's prices when markets are
        regional (the world itself in China, or when there is one world market)."""
        return self._views.get(zone_of(region), self)  # type: ignore[return-value]

    # --- observations ---------------------------------------------------------------------------
    def set_capacity(
        self,
        capacity: dict[tuple[str, str], tuple[float, float]],
        converters: dict[str, tuple[float, float]],
    ) -> None:
        """This month's installed and pipeline capacity: mines by (region, resource),
        converters by market zone (``Population.capacity_tables``)."""
        self._capacity = capacity
        self._converter_capacity = converters

    def converter_capacity_and_pipeline(self, zone: str) -> tuple[float, float]:
        """Installed and under-construction converter capacity (t/yr) of a market zone."""
        return self._converter_capacity.get(zone, (0.0, 0.0))

    def capacity_and_pipeline(self, region: str, resource: str) -> tuple[float, float]:
        """Installed and under-construction mine capacity (t/yr) of a region and resource."""
        return self._capacity.get((region, resource), (0.0, 0.0))

    def observe(
        self, region: str, mined_t: float, chemical_t: float, state_t: float, state_loss_t: float
    ) -> None:
        self._domestic_hist[region].append((mined_t, chemical_t))
        self._state_loss_hist[region].append((state_t, state_loss_t))

    def domestic_feed_share(self, region: str) -> float:
        """Domestic mine output over domestic chemical output, last three months."""
        hist = self._domestic_hist[region][-3:]
        mined = sum(a for a, _ in hist)
        chem = sum(b for _, b in hist)
        return mined / chem if chem > 0 else 1.0

    def state_mine_loss_share(self, region: str) -> float:
        hist = self._state_loss_hist[region][-3:]
        out = sum(a for a, _ in hist)
        return sum(b for _, b in hist) / out if out > 0 else 0.0

    # --- policy as investors see it -------------------------------------------------------------
    def government_of(self, region: str) -> Government | None:
        return self.governments.get(region)

    def royalty_rate(self, region: str) -> float:
        """Royalty on sales value in ``region`` (0 where no government levies one)."""
        gov = self.governments.get(region)
        return gov.royalty if gov is not None else 0.0

    def state_profit_share(self, region: str) -> float:
        """Share of mine profits the producing state takes (resource nationalism)."""
        gov = self.governments.get(region)
        return gov.profit_share if gov is not None else 0.0

    def converter_capex_and_lead(self, region: str) -> tuple[float, int]:
        """Capex (USD per t/yr) and lead time (months) of converter capacity in ``region``.

        Outside China both rise under China's technology export controls (an instrument).
        """
        p = self.params.refiner
        if region == "CN":
            return p.capex_usd_tpa_refiner_cn, int(p.lead_time_months_refiner_cn)
        control = sum(g.technology_control for g in self.governments.values())
        capex = p.capex_usd_tpa_refiner_row * (1.0 + 0.5 * control)
        return capex, round(p.lead_time_months_refiner_row * (1.0 + control))


class ZoneView:
    """The world seen from one market zone: that zone's price board, everything else shared.

    Agents keep reading ``last_price``, ``recent_price`` and the other price members; a firm
    outside China reads the rest of the world's prices through this view without knowing it.
    """

    def __init__(self, world: World, board: PriceBoard) -> None:
        self._world = world
        self.prices = board
        self.last_price = board.last

    def __getattr__(self, name: str):
        return getattr(self._world, name)

    @property
    def month(self) -> int:
        return self._world.month

    def view_for(self, region: str) -> World:
        return self._world.view_for(region)

    # The world's own price readings, over this zone's board: they read ``self.prices`` and
    # ``self.last_price``, which here are the zone's.
    recent_price = World.recent_price
    slow_price = World.slow_price
    contract_price_usd_t = World.contract_price_usd_t
    smoothed_price = World.smoothed_price
    product_price = World.product_price
