"""Uniform-price call auction (sealed-bid k-double auction) in pure numpy.

Every market period collects limit bids and offers and clears them at one price, so
that the model's spot price comes out of the agents' orders rather than a formula.

Rules
-----
* Inputs: 1-D float arrays; bid prices/quantities of equal length, offer prices/quantities
  of equal length; either side may be empty. Prices are per unit. Negative quantities,
  non-finite values, mismatched lengths or ``k`` outside [0, 1] raise ``ValueError``.
  Zero-quantity orders are ignored: they never fill and never set a price.
* Demand is the bids sorted by price descending, supply the offers sorted by price
  ascending. The traded volume ``Q`` is the largest quantity at which the marginal bid
  price is >= the marginal offer price (intersection of the two step curves).
* Rationing: orders priced strictly better than the marginal price fill completely; all
  orders *at* the marginal price share what is left pro rata to their quantities. Input
  order never breaks a tie, and orders are sorted by (price, quantity) so even the
  floating-point sums do not depend on input order.
* Price: ``lo + k * (hi - lo)`` with
  ``lo = max(last accepted offer, highest wholly rejected bid)`` and
  ``hi = min(last accepted bid, lowest wholly rejected offer)``; a missing rejected
  order imposes no bound. A partly filled marginal price level counts as *accepted*;
  its unfilled remainder is *not* a rejected order, so the next price level down (bids)
  or up (offers) is the highest/lowest wholly rejected one. Hence a rationed side does
  not pin the price to its own limit: with one bid for 10 @ 100 and one offer for
  5 @ 50 the price is 75, not 100. ``lo <= hi`` then holds because ``Q`` is maximal:
  the first unit beyond ``Q`` has bid price < offer price, and whichever level is
  partly filled lies between the two rejected levels. (Only if a quantity is lost to
  rounding in a cumulative sum, e.g. 1e-5 next to 1e20, can the rejected levels cross;
  they are then ignored, giving [last accepted offer, last accepted bid].) The interval
  end-points are always finite, ``k = 0`` gives ``lo`` and ``k = 1`` gives ``hi`` exactly.
* Nothing trades (a side empty, all quantities zero, best offer > best bid): the price
  is NaN, the volume 0 and all fills 0; ``best_bid``/``best_offer`` are still reported.

Guarantees: fills on each side sum to ``volume`` (to float tolerance), no order fills
above its quantity, no bid priced below and no offer priced above the clearing price
fills.
"""

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["ClearingResult", "clear_call_auction"]


@dataclass(frozen=True)
class ClearingResult:
    """Outcome of one call auction; fill arrays follow the order of the inputs."""

    price: float  # uniform clearing price; math.nan when nothing trades
    volume: float  # total quantity traded
    bid_fills: np.ndarray  # quantity filled per bid, same order as the input
    offer_fills: np.ndarray  # quantity filled per offer, same order as the input
    best_bid: float  # highest bid price with positive quantity (nan if none)
    best_offer: float  # lowest offer price with positive quantity (nan if none)


def _validated(side: str, prices: object, quantities: object) -> tuple[np.ndarray, np.ndarray]:
    """Coerce one side of the book to float arrays, rejecting malformed orders early."""
    p = np.asarray(prices, dtype=float)
    q = np.asarray(quantities, dtype=float)
    if p.ndim != 1 or q.ndim != 1:
        raise ValueError(
            f"{side} prices and quantities must be 1-D, got shapes {p.shape} and {q.shape}"
        )
    if p.size != q.size:
        raise ValueError(
            f"{side} prices and quantities differ in length: {p.size} prices, {q.size} quantities"
        )
    if not np.isfinite(p).all():
        raise ValueError(f"{side} prices must be finite (got NaN or inf)")
    if not np.isfinite(q).all():
        raise ValueError(f"{side} quantities must be finite (got NaN or inf)")
    if q.size and q.min() < 0:
        raise ValueError(f"{side} quantities must be >= 0, got minimum {q.min()}")
    return p, q


def _sorted_book(keys: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, ...]:
    """Orders sorted best-first by ``keys`` (ascending), ties by quantity.

    Zero-quantity orders get key ``inf`` (``keys`` is overwritten, pass a fresh array) so
    they sort last and can never be a marginal or rejected price level. Sorting on values
    (not input position) makes the cumulative sums bit-identical for any permutation of
    the input.
    """
    keys[q == 0] = np.inf
    order = np.lexsort((q, keys))
    sq = q[order]
    cum0 = np.zeros(q.size + 1)  # cum0[i] = quantity of the i best orders
    sq.cumsum(out=cum0[1:])
    return order, keys[order], sq, cum0


def _ration(
    order: np.ndarray,
    keys: np.ndarray,
    sq: np.ndarray,
    cum0: np.ndarray,
    marginal: float,
    volume: float,
) -> tuple[np.ndarray, float]:
    """Fill ``volume`` best-first, pro rata among the orders whose key equals ``marginal``.

    Returns the fills in input order and the key of the next (wholly rejected) level,
    ``inf`` if there is none.
    """
    first = int(keys.searchsorted(marginal, side="left"))
    end = int(keys.searchsorted(marginal, side="right"))
    before = float(cum0[first])
    # before < volume <= cum0[end] by construction, so 0 < share <= 1.
    share = min((volume - before) / (float(cum0[end]) - before), 1.0)
    fills = np.zeros(order.size)
    fills[order[:first]] = sq[:first]
    fills[order[first:end]] = sq[first:end] * share
    return fills, float(keys[end]) if end < keys.size else math.inf


def clear_call_auction(
    bid_prices: object,
    bid_quantities: object,
    offer_prices: object,
    offer_quantities: object,
    k: float = 0.5,
) -> ClearingResult:
    """Clear a sealed-bid book at one uniform price (rules in the module docstring).

    ``k`` splits the price interval between buyers and sellers: 0 favours buyers
    (lowest market-clearing price), 1 favours sellers, 0.5 is the midpoint.
    """
    bp, bq = _validated("bid", bid_prices, bid_quantities)
    op, oq = _validated("offer", offer_prices, offer_quantities)
    if not 0.0 <= k <= 1.0:  # also rejects NaN
        raise ValueError(f"k must lie in [0, 1], got {k}")

    # Bids are handled as negated prices so both sides sort ascending, best first.
    b_order, b_keys, b_q, b_cum0 = _sorted_book(-bp, bq)
    o_order, o_keys, o_q, o_cum0 = _sorted_book(op.copy(), oq)
    best_bid = -float(b_keys[0]) if b_keys.size and b_keys[0] < math.inf else math.nan
    best_offer = float(o_keys[0]) if o_keys.size and o_keys[0] < math.inf else math.nan

    if not best_bid >= best_offer:  # also catches an empty side (NaN)
        return ClearingResult(
            math.nan, 0.0, np.zeros(bp.size), np.zeros(op.size), best_bid, best_offer
        )

    # Bid j (best first) trades iff the supply offered at or below its price exceeds the
    # demand of the better bids. Supply there falls and prior demand rises with j, so the
    # trading bids are a prefix; the last one is the marginal bid and it gets whatever
    # that supply leaves, up to its own quantity.
    supply_at = o_cum0[o_keys.searchsorted(-b_keys, side="right")]
    j = int(np.count_nonzero(supply_at > b_cum0[:-1])) - 1  # >= 0 as best bid >= offer
    volume = float(min(b_cum0[j + 1], supply_at[j]))
    marginal_offer = o_keys[o_cum0.searchsorted(volume, side="left") - 1]

    bid_fills, neg_rejected_bid = _ration(b_order, b_keys, b_q, b_cum0, b_keys[j], volume)
    offer_fills, rejected_offer = _ration(o_order, o_keys, o_q, o_cum0, marginal_offer, volume)
    bid, offer, rejected_bid = -float(b_keys[j]), float(marginal_offer), -neg_rejected_bid
    if rejected_bid >= rejected_offer:
        # Only reachable when a quantity vanishes below the float resolution of a
        # cumulative sum (e.g. 1e-5 next to 1e20); fall back to the accepted prices.
        rejected_bid, rejected_offer = -math.inf, math.inf
    lo = max(offer, rejected_bid)
    hi = min(bid, rejected_offer)
    # (1 - k) * lo + k * hi hits both ends exactly; the clip absorbs rounding in between.
    price = min(max((1.0 - k) * lo + k * hi, lo), hi)
    return ClearingResult(price, volume, bid_fills, offer_fills, best_bid, best_offer)
