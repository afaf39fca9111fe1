"""A trader carries one product from one market zone to another when the spread pays for it.

The market decides how much flows on the route each month (``model/markets/coupling.py``): the
importing zone's net purchases when both zones clear as one book, with the importing zone's
price the exporting zone's plus the route's cost. The trader buys that cargo in the exporting
zone and sells it in the importing one, and pays the route's cost through the ledger: freight to
the suppliers, the exporting government's duty and the importing governments' tariffs (the
trader is the exporter and importer of record), so it breaks even on an uncongested route and
earns the congestion rent on a full one. Voyages of two to six weeks fall within the model's
month, so a cargo bought in a month is sold in the same month.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lithium_abm.agents.base import Firm

if TYPE_CHECKING:
    from lithium_abm.agents.government import Government
    from lithium_abm.agents.world import World

MIN_CARGO_T = 1e-9


class Trader(Firm):
    """The buyer in one zone and seller in another on one product's trade route."""

    agent_type = "trader"
    resource = "spodumene"  # its resource for price lookups; lepidolite_share grades a cargo

    def __init__(
        self,
        world: World,
        product: str,
        source: str,
        destination: str,
        exporters: list[Government],
        importers: list[tuple[Government, float]],
    ) -> None:
        # Region "trade": no government's sale or purchase hooks see the trader's own deals.
        super().__init__(world, f"{product} {source} to {destination}", "trade")
        market = world.params.market
        self.product = product
        self.source = source
        self.destination = destination
        self.exporters = exporters  # governments whose export duty applies at departure
        self.importers = importers  # (government, share of the destination's purchases)
        self.transport_usd_t = float(getattr(market, f"transport_usd_t_{product}"))
        self.capacity_t = float(getattr(market, f"trade_capacity_t_{product}"))
        # Each region's share of the exporting zone's offers this month: a concentrate cargo
        # pays a region's duty on that share (origin is pooled, as in one world market).
        self.origin_shares: dict[str, float] = {}
        self.stock_t = 0.0  # bought and not yet sold (within the month)
        self.lepidolite_t = 0.0  # of which lepidolite concentrate
        self.shipped_t = 0.0  # bought this month for export
        self.sold_t = 0.0
        self.duties_usd = 0.0  # cumulative
        self.tariffs_usd = 0.0

    # --- border costs -------------------------------------------------------------------------
    def set_origins(self, offered_t_by_region: dict[str, float]) -> None:
        total = sum(offered_t_by_region.values())
        self.origin_shares = (
            {r: q / total for r, q in offered_t_by_region.items()} if total > 0.0 else {}
        )

    def duty_rate_of(self, gov: Government) -> float:
        """One exporting government's duty on this route's cargo, as a share of its value."""
        if self.product == "chemical":
            return gov.export_duty
        return gov.concentrate_export_duty * self.origin_shares.get(gov.region, 0.0)

    def export_duty_rate(self) -> float:
        return sum(self.duty_rate_of(g) for g in self.exporters)

    def tariff_rate_of(self, gov: Government, share: float) -> float:
        """One importing government's tariff on this route's cargo (chemical only), weighted
        by its share of the destination's purchases."""
        return gov.tariff * share if self.product == "chemical" else 0.0

    def tariff_rate(self) -> float:
        return sum(self.tariff_rate_of(g, share) for g, share in self.importers)

    def border_rate(self) -> float:
        """Duty and tariffs as a share of the price paid in the exporting zone."""
        return self.export_duty_rate() + self.tariff_rate()

    def landed_usd_t(self, source_price_usd_t: float) -> float:
        """What a tonne bought at this price costs delivered in the importing zone."""
        return source_price_usd_t * (1.0 + self.border_rate()) + self.transport_usd_t

    def netback_usd_t(self, destination_price_usd_t: float) -> float:
        """What a seller in the exporting zone nets per tonne sold at this importing price."""
        return (destination_price_usd_t - self.transport_usd_t) / (1.0 + self.border_rate())

    # --- the month ------------------------------------------------------------------------------
    def start_month(self) -> None:
        self.shipped_t = 0.0
        self.sold_t = 0.0

    @property
    def held_t(self) -> float:
        """Lithium the trader holds (zero between months: each cargo sells in its month)."""
        return self.stock_t

    # --- buying in the exporting zone -----------------------------------------------------------
    @property
    def lepidolite_share(self) -> float:
        """Share of the cargo in hand that is lepidolite: it sells at the destination with the
        quality discount it was bought with, so a border does not upgrade it to spodumene."""
        return self.lepidolite_t / self.stock_t if self.stock_t > 0.0 else 0.0

    def receive_feed(self, quantity_t: float, unit_usd_t: float, lepidolite_t: float) -> None:
        """A concentrate cargo bought, with the lepidolite it contains."""
        self.receive(quantity_t, unit_usd_t)
        self.lepidolite_t += lepidolite_t

    def receive(self, quantity_t: float, price_usd_t: float) -> None:
        """A cargo bought: pay freight, the export duty and the tariffs, and load it."""
        value = quantity_t * price_usd_t
        freight = quantity_t * self.transport_usd_t
        if freight > 0.0:
            self.pay(self.world.suppliers_account, freight, "freight")
        for gov in self.exporters:
            duty = self.duty_rate_of(gov) * value
            if duty > 0.0:
                self.pay(gov.account, duty, "export_duties")
                self.duties_usd += duty
        for gov, share in self.importers:
            tariff = self.tariff_rate_of(gov, share) * value
            if tariff > 0.0:
                self.pay(gov.account, tariff, "tariffs")
                self.tariffs_usd += tariff
        self.stock_t += quantity_t
        self.shipped_t += quantity_t

    # --- selling in the importing zone ----------------------------------------------------------
    def deliver(self, quantity_t: float, price_usd_t: float, buyer_account: int) -> None:
        if quantity_t <= 0.0:
            return
        self.lepidolite_t -= quantity_t * self.lepidolite_share
        self.stock_t -= quantity_t
        if self.stock_t < MIN_CARGO_T:
            self.stock_t = 0.0
            self.lepidolite_t = 0.0
        self._ledger.pay(buyer_account, self.account, quantity_t * price_usd_t, "sales_trade")
        self.sold_t += quantity_t
