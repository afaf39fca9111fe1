"""Coupling two zones' call auctions through a trade route, in pure numpy.

A route from an exporting zone ``a`` to an importing zone ``b`` costs ``rate`` of the price paid
in ``a`` (export duty and tariffs, ad valorem) plus ``fixed_usd_t`` (freight and handling), so a
tonne bought in ``a`` at ``p`` lands in ``b`` at ``p * (1 + rate) + fixed_usd_t``. As in the
implicit auctions that couple Europe's electricity markets, both zones clear together:

* **Coupled.** ``b``'s orders are restated at ``a``'s prices (``(price - fixed) / (1 + rate)``)
  and one auction clears the joint book. If ``b`` then buys more than its own sellers supply
  and the difference fits the route's capacity, that difference is the flow, ``a``'s price is
  the joint price and ``b``'s is its landed cost: the spread is exactly the route's cost.
* **Congested.** If the joint clearing wants more than the capacity, the route carries its
  capacity: a bid for it in ``a`` above every local bid, an offer of it in ``b`` below every
  local ask, and each zone clears alone. ``b``'s price then exceeds the landed cost.
* **Apart.** If ``b`` would not import at the joint price, nothing flows on this route and
  each zone clears alone (the reverse route may couple them the other way).

The function returns what the market needs to settle each zone: the flow, both prices and
each zone's own fills.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lithium_abm.model.clearing import ClearingResult

MIN_FLOW_T = 1e-9
# The congested route's offer price: below every real ask (asks are at least 1 USD/t).
FLOW_OFFER_USD_T = 0.5


@dataclass(frozen=True, slots=True)
class Book:
    """One zone's limit orders: bid and offer prices (USD/t) and quantities (t)."""

    bid_p: np.ndarray
    bid_q: np.ndarray
    offer_p: np.ndarray
    offer_q: np.ndarray

    def top_usd_t(self) -> float:
        """Just above the highest price in the book: a flow bid priced here outbids every
        buyer (it never shares a price level with one), yet cannot drag the clearing price
        far beyond the book."""
        prices = np.concatenate((self.bid_p, self.offer_p))
        return float(max(1.0, prices.max())) + 1.0 if prices.size else 1.0

    def with_bid(self, price_usd_t: float, quantity_t: float) -> Book:
        """The book with one more bid appended last (the route's bid)."""
        return Book(
            np.append(self.bid_p, price_usd_t),
            np.append(self.bid_q, quantity_t),
            self.offer_p,
            self.offer_q,
        )

    def with_offer(self, price_usd_t: float, quantity_t: float) -> Book:
        """The book with one more offer appended last (the route's offer)."""
        return Book(
            self.bid_p,
            self.bid_q,
            np.append(self.offer_p, price_usd_t),
            np.append(self.offer_q, quantity_t),
        )


type Rule = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], ClearingResult]


@dataclass(frozen=True, slots=True)
class Coupling:
    """A route's month: the flow (t), each zone's price (USD/t) and its own orders' fills."""

    flow_t: float
    congested: bool
    price_a_usd_t: float
    price_b_usd_t: float
    a: ClearingResult  # fills of a's own orders (the route's bid not included)
    b: ClearingResult  # fills of b's own orders (the route's offer not included)


def _zone_result(price: float, bid_fills: np.ndarray, offer_fills: np.ndarray, book: Book):
    live_bids = book.bid_p[book.bid_q > 0.0]
    live_offers = book.offer_p[book.offer_q > 0.0]
    return ClearingResult(
        price,
        float(max(bid_fills.sum(), offer_fills.sum())),
        bid_fills,
        offer_fills,
        float(live_bids.max()) if live_bids.size else float("nan"),
        float(live_offers.min()) if live_offers.size else float("nan"),
    )


def couple(
    rule: Rule, book_a: Book, book_b: Book, rate: float, fixed_usd_t: float, capacity_t: float
) -> Coupling | None:
    """The route's coupling of zones ``a`` and ``b`` this month, or None when ``b`` would
    not import from ``a``."""

    def restated(prices: np.ndarray) -> np.ndarray:
        return (prices - fixed_usd_t) / (1.0 + rate)

    na_bids, na_offers = book_a.bid_p.size, book_a.offer_p.size
    joint = rule(
        np.concatenate((book_a.bid_p, restated(book_b.bid_p))),
        np.concatenate((book_a.bid_q, book_b.bid_q)),
        np.concatenate((book_a.offer_p, restated(book_b.offer_p))),
        np.concatenate((book_a.offer_q, book_b.offer_q)),
    )
    if joint.volume <= 0.0:
        return None
    b_bought = joint.bid_fills[na_bids:]
    b_sold = joint.offer_fills[na_offers:]
    flow = float(b_bought.sum() - b_sold.sum())
    if flow <= MIN_FLOW_T:
        return None
    if flow <= capacity_t:
        price_a = float(joint.price)
        price_b = price_a * (1.0 + rate) + fixed_usd_t
        a_bought, a_sold = joint.bid_fills[:na_bids], joint.offer_fills[:na_offers]
        return Coupling(
            flow,
            False,
            price_a,
            price_b,
            _zone_result(price_a, a_bought, a_sold, book_a),
            _zone_result(price_b, b_bought, b_sold, book_b),
        )
    # Congested: the route carries its capacity, each zone clears alone around it.
    flow = min(capacity_t, float(book_a.offer_q.sum()), float(book_b.bid_q.sum()))
    flow *= 1.0 - 1e-9  # leaves both zones' own orders something to set a price
    a = book_a.with_bid(book_a.top_usd_t(), flow)
    b = book_b.with_offer(FLOW_OFFER_USD_T, flow)
    ra = rule(a.bid_p, a.bid_q, a.offer_p, a.offer_q)
    rb = rule(b.bid_p, b.bid_q, b.offer_p, b.offer_q)
    return Coupling(
        flow,
        True,
        float(ra.price),
        float(rb.price),
        _zone_result(float(ra.price), ra.bid_fills[:na_bids], ra.offer_fills, book_a),
        _zone_result(float(rb.price), rb.bid_fills, rb.offer_fills[: book_b.offer_p.size], book_b),
    )
