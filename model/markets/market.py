"""One monthly market: collect orders, move captive flows, clear by a named rule, settle.

``Market.run`` is the whole stage for one product. What differs between products is small and
lives in the two subclasses: which captive flows bypass the book, and how a fill is settled
(concentrate carries a quality discount for lepidolite; chemical purchases carry the buyer's
government's import instruments). Every payment runs through the exchange account, so the
exchange nets to zero, and every government's instruments see each sale, purchase and the
settled market through their hooks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from lithium_abm.model.markets.coupling import Book, couple
from lithium_abm.model.markets.orders import MarketOutcome, Trades
from lithium_abm.model.markets.rules import clearing_rule
from lithium_abm.model.zones import CHINA, ZONES, zone_of

if TYPE_CHECKING:
    from lithium_abm.model.world import PriceBoard, World

MIN_ORDER_T = 1e-9


def next_price(last: float, result: Any, held: bool = False) -> tuple[float, bool]:
    """Clearing price. When nothing trades: the mid of best bid and offer (or the last price
    without both), or with ``held`` the last price held unless the standing book contradicts
    it (raised to the best bid, lowered to the best offer), as a price reporter assesses a
    thin market."""
    if result.volume > 0.0 and math.isfinite(result.price):
        return float(result.price), True
    if not held:
        if math.isfinite(result.best_bid) and math.isfinite(result.best_offer):
            return 0.5 * (result.best_bid + result.best_offer), False
        return last, False
    price = last
    if math.isfinite(result.best_bid):
        price = max(price, float(result.best_bid))
    if math.isfinite(result.best_offer):
        price = min(price, float(result.best_offer))
    return price, False


@dataclass(frozen=True, slots=True)
class OwnedBook:
    """A zone's book and who placed each order, in book order (for settlement)."""

    orders: Book
    bid_owners: list[Any]
    offer_owners: list[Any]


class Market:
    """A product's monthly call market between its sellers and buyers.

    With one world market (the default) everybody meets in one book. With
    ``regional_markets_enabled`` the book is split by market zone (``model/zones.py``): each
    zone clears on its own, and the product's traders join as buyers in their source zone and
    sellers in their destination zone. Captive transfers and offtake deliveries cross zones
    inside firms and contracts, before any zone's auction.
    """

    product = ""

    def __init__(
        self,
        world: World,
        groups: dict[str, Any],
        rule: str = "uniform_price",
        traders: list[Any] | None = None,
    ) -> None:
        self.world = world
        self.groups = groups
        self.rule = clearing_rule(rule)
        self.traders = traders
        self.outcome = MarketOutcome(world.last_price[self.product], 0.0, 0.0, False)
        # Per zone: (price, volume, traded) of the month (regional markets only).
        self.zone_outcomes: dict[str, tuple[float, float, bool]] = {}

    def run(self, sellers: list[Any], buyers: list[Any]) -> MarketOutcome:
        world = self.world
        last = world.last_price[self.product]
        wanted = {b: b.wanted_t() for b in buyers}
        captive = self.captive_transfers(wanted, last) if self._integration() else 0.0
        contracted = self.contract_deliveries(sellers, buyers, wanted)
        if self.traders is None:
            price, volume, traded = self.auction(sellers, buyers, wanted, world.prices)
        else:
            price, volume, traded = self.run_zones(sellers, buyers, wanted)
        self.outcome = MarketOutcome(price, volume, captive, traded, contracted)
        return self.outcome

    def run_zones(
        self, sellers: list[Any], buyers: list[Any], wanted: dict[Any, float]
    ) -> tuple[float, float, bool]:
        """Clear every zone's book, coupled by a trade route where one pays; the China
        zone's price is the product's benchmark.

        The routes are tried in order (``coupling.couple``); the first that carries product
        sets both zones' prices and its trader buys the flow in the exporting zone and sells
        it in the importing one, so the cargo is bought before it is sold. Without a flow,
        each zone clears alone and a zone where nothing traded is assessed within parity of
        the other.
        """
        boards = self.world.boards
        books = {}
        for zone in ZONES:
            zone_sellers = [s for s in sellers if zone_of(s.region) == zone]
            zone_buyers = [b for b in buyers if zone_of(b.region) == zone]
            books[zone] = self.book(zone_sellers, zone_buyers, wanted, boards[zone].last)
        for trader in self.traders or []:
            trader.start_month()
            offered: dict[str, float] = {}
            source = books[trader.source]
            for owner, quantity in zip(source.offer_owners, source.orders.offer_q, strict=True):
                offered[owner.region] = offered.get(owner.region, 0.0) + float(quantity)
            trader.set_origins(offered)
        outcomes: dict[str, tuple[float, float, bool]] = {}
        resold_t = 0.0  # tonnes a trader bought in one zone and sold again in the other
        for trader in self.traders or []:
            a, b = trader.source, trader.destination
            coupling = couple(
                self.rule,
                books[a].orders,
                books[b].orders,
                trader.border_rate(),
                trader.transport_usd_t,
                trader.capacity_t,
            )
            if coupling is None:
                continue
            flow = coupling.flow_t
            exporting = books[a]
            importing = books[b]
            a_fills = Trades(
                coupling.price_a_usd_t,
                coupling.a.volume,
                exporting.offer_owners,
                coupling.a.offer_fills,
                [*exporting.bid_owners, trader],
                np.append(coupling.a.bid_fills, flow),
                a,
            )
            outcomes[a] = self.settle_zone(a_fills)
            b_fills = Trades(
                coupling.price_b_usd_t,
                coupling.b.volume,
                [*importing.offer_owners, trader],
                np.append(coupling.b.offer_fills, trader.stock_t),
                importing.bid_owners,
                coupling.b.bid_fills,
                b,
            )
            outcomes[b] = self.settle_zone(b_fills)
            resold_t = float(flow)
            break
        else:
            for zone in ZONES:
                outcomes[zone] = self.clear(books[zone], boards[zone], zone, post=False)
        # Zones that traded anchor the others' assessments; China's when none traded.
        anchors = {z for z in ZONES if outcomes[z][2]} or {CHINA}
        for zone in ZONES:
            price, _, traded = outcomes[zone]
            if not traded:
                if zone not in anchors:
                    price = self.parity_bounded(zone, price, outcomes, anchors)
                outcomes[zone] = (price, 0.0, False)
            boards[zone].set(self.product, price)
        self.zone_outcomes = {z: outcomes[z] for z in ZONES}
        price, _, traded = outcomes[CHINA]
        # The world's volume counts a shipped tonne once: each zone's volume includes the
        # trader's side of the route, as an exchange's would.
        return price, sum(o[1] for o in outcomes.values()) - resold_t, traded

    def settle_zone(self, trades: Trades) -> tuple[float, float, bool]:
        """Settle trades and let every government's instruments see them; returns (price,
        volume, traded). The caller posts the price."""
        self.settle(trades)
        for gov in self.world.governments.values():
            gov.at_market_settlement(self.product, trades)
        return trades.price_usd_t, trades.volume_t, True

    def parity_bounded(
        self,
        zone: str,
        price: float,
        outcomes: dict[str, tuple[float, float, bool]],
        anchors: set[str],
    ) -> float:
        """A zone where nothing traded is assessed within parity of an anchor zone: no
        dearer than product imported from it (landed cost), no cheaper than what its sellers
        would net by exporting to it, as price reporters assess a thin market by netbacks."""
        for trader in self.traders or []:
            if trader.destination == zone and trader.source in anchors:
                price = min(price, trader.landed_usd_t(outcomes[trader.source][0]))
            elif trader.source == zone and trader.destination in anchors:
                price = max(price, trader.netback_usd_t(outcomes[trader.destination][0]))
        return price

    def book(
        self,
        sellers: list[Any],
        buyers: list[Any],
        wanted: dict[Any, float],
        last_price: dict[str, float],
    ) -> OwnedBook:
        """The sellers' offers and buyers' bids as arrays, with the owner of each order."""
        last = last_price[self.product]
        offer_owners: list[Any] = []
        offer_p: list[float] = []
        offer_q: list[float] = []
        for s in sellers:
            if s.stock_for_sale_t > MIN_ORDER_T:
                offer_owners.append(s)
                offer_p.append(s.ask_usd_t(last))
                offer_q.append(s.stock_for_sale_t)
        bid_owners: list[Any] = []
        bid_p: list[float] = []
        bid_q: list[float] = []
        for b in buyers:
            for p, q in b.bids(wanted[b]):
                bid_owners.append(b)
                bid_p.append(p)
                bid_q.append(q)
        orders = Book(np.array(bid_p), np.array(bid_q), np.array(offer_p), np.array(offer_q))
        return OwnedBook(orders, bid_owners, offer_owners)

    def auction(
        self,
        sellers: list[Any],
        buyers: list[Any],
        wanted: dict[Any, float],
        board: PriceBoard,
    ) -> tuple[float, float, bool]:
        """One call auction over these sellers and buyers (the one world market)."""
        return self.clear(self.book(sellers, buyers, wanted, board.last), board, None)

    def clear(
        self, book: OwnedBook, board: PriceBoard, zone: str | None, post: bool = True
    ) -> tuple[float, float, bool]:
        """Clear a book by the market's rule, settle it and (with ``post``) post its price on
        the board; returns (price, volume, traded)."""
        world = self.world
        last = board.last[self.product]
        o = book.orders
        result = self.rule(o.bid_p, o.bid_q, o.offer_p, o.offer_q)
        price, traded = next_price(last, result, world.params.market.held_price_enabled)
        if traded:
            trades = Trades(
                price,
                float(result.volume),
                book.offer_owners,
                result.offer_fills,
                book.bid_owners,
                result.bid_fills,
                zone,
            )
            self.settle_zone(trades)
        if post:
            board.set(self.product, price)
        return price, float(result.volume), traded

    def _integration(self) -> bool:
        return bool(self.world.params.policy.integration_enabled)

    def captive_transfers(self, wanted: dict[Any, float], last: float) -> float:
        """Move product inside integrated groups at transfer value; returns tonnes moved."""
        return 0.0

    def contract_deliveries(
        self, sellers: list[Any], buyers: list[Any], wanted: dict[Any, float]
    ) -> float:
        """Deliver contracted tonnes before the auction; returns tonnes delivered."""
        return 0.0

    def settle(self, trades: Trades) -> None:
        raise NotImplementedError


class ConcentrateMarket(Market):
    """Hard-rock mines sell concentrate to converters, on a spodumene-equivalent basis.

    Lepidolite concentrate costs more to convert, so its seller receives the price less a
    quality discount, and buyers receive their share of that discount with their share of the
    lepidolite they take.
    """

    product = "concentrate"

    def captive_transfers(self, wanted: dict[Any, float], last: float) -> float:
        discount = self.world.quality_discount("lepidolite")
        captive = 0.0
        for group in self.groups.values():
            if not group.refiners:
                continue
            for mine in group.mines:
                if mine.product != "concentrate" or mine.inventory_t <= 0.0:
                    continue
                for refiner in group.refiners:
                    take = min(mine.inventory_t, wanted[refiner])
                    if take <= 0.0:
                        continue
                    lep = take if mine.resource == "lepidolite" else 0.0
                    price = max(1.0, last - (discount if lep else 0.0))
                    mine.deliver(take, price, refiner.account)
                    refiner.receive_feed(take, price, lep)
                    wanted[refiner] -= take
                    captive += take
        return captive

    def contract_deliveries(
        self, sellers: list[Any], buyers: list[Any], wanted: dict[Any, float]
    ) -> float:
        """Offtakes: each contracted mine's share of this month's output goes to converters
        with room in their feed stock, in proportion to that room, at the contract price.

        Converters take contracted tonnes whatever their spot bids would be (that is what a
        contract is) but only up to a feed-stock limit; what they cannot take stays with the
        mine and is offered spot. What they take is subtracted from what they bid for.
        """
        market = self.world.params.market
        if not market.offtake_enabled:
            return 0.0
        limit = market.offtake_max_cover_months
        rooms = [max(0.0, limit * r.monthly_capacity_t - r.feed_t) for r in buyers]
        room = sum(rooms)
        if room <= 0.0:
            return 0.0
        due = [(m, min(m.inventory_t, m.contracted_t())) for m in sellers if m.contracted]
        total = sum(q for _, q in due)
        if total <= 0.0:
            return 0.0
        scale = min(1.0, room / total)
        price = self.world.contract_price_usd_t(self.product)
        delivered = 0.0
        for mine, quantity in due:
            quantity *= scale
            if quantity <= 0.0:
                continue
            for refiner, refiner_room in zip(buyers, rooms, strict=True):
                take = quantity * refiner_room / room
                if take <= 0.0:
                    continue
                mine.deliver(take, price, refiner.account)
                refiner.receive_feed(take, price, 0.0)
                wanted[refiner] = max(0.0, wanted[refiner] - take)
                delivered += take
        return delivered

    def settle(self, trades: Trades) -> None:
        world = self.world
        exchange = world.exchange_account
        discount = world.quality_discount("lepidolite")
        price = trades.price_usd_t
        lep_sold = 0.0
        for seller, fill in zip(trades.sellers, trades.offer_fills, strict=True):
            if fill > 0.0:
                # A mine's concentrate is lepidolite or not; a trader's cargo carries the
                # share it was bought with, so lepidolite keeps its discount across a border.
                lep = seller.lepidolite_share
                seller.deliver(float(fill), price - discount * lep, exchange)
                lep_sold += float(fill) * lep
        lep_share = lep_sold / trades.volume_t
        for refiner, fill in zip(trades.buyers, trades.bid_fills, strict=True):
            if fill > 0.0:
                unit = price - discount * lep_share
                world.ledger.pay(refiner.account, exchange, float(fill) * unit, "purchases_feed")
                refiner.receive_feed(float(fill), unit, float(fill) * lep_share)


class ChemicalMarket(Market):
    """Converters, brine and clay producers, recyclers and the reserve sell battery-grade
    chemical to battery makers (and the reserve)."""

    product = "chemical"

    def captive_transfers(self, wanted: dict[Any, float], last: float) -> float:
        captive = 0.0
        for group in self.groups.values():
            if not group.battery_makers:
                continue
            suppliers = [r for r in group.refiners] + [
                m for m in group.mines if m.product == "chemical"
            ]
            for supplier in suppliers:
                for maker in group.battery_makers:
                    take = min(supplier.stock_for_sale_t, wanted[maker])
                    if take <= 0.0:
                        continue
                    supplier.deliver(take, last, maker.account)
                    maker.receive(take, last)
                    wanted[maker] -= take
                    captive += take
        return captive

    def settle(self, trades: Trades) -> None:
        world = self.world
        exchange = world.exchange_account
        price = trades.price_usd_t
        by_region: dict[str, float] = {}
        for seller, fill in zip(trades.sellers, trades.offer_fills, strict=True):
            if fill > 0.0:
                seller.deliver(float(fill), price, exchange)
                by_region[seller.region] = by_region.get(seller.region, 0.0) + float(fill)
        governments = world.governments
        for buyer, fill in zip(trades.buyers, trades.bid_fills, strict=True):
            if fill <= 0.0:
                continue
            fill = float(fill)
            world.ledger.pay(buyer.account, exchange, fill * price, "purchases_chemical")
            buyer.receive(fill, price)
            gov = governments.get(buyer.region)
            if gov is not None:
                # In a zone's market, imports come through traders, who paid the tariff.
                imported = (
                    1.0 - by_region.get(buyer.region, 0.0) / trades.volume_t
                    if trades.zone is None
                    else 0.0
                )
                gov.at_purchase(buyer, fill, price, imported)
