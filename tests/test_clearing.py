"""Tests for the uniform-price call auction in ``lithium_abm.model.clearing``.

Hand-worked books pin the rules down with exact numbers; random books are checked
against an independent exact-arithmetic reference that walks the step curves level by
level, and against the invariants the market model relies on.
"""

import math
from fractions import Fraction

import numpy as np
import pytest

from lithium_abm.model.clearing import ClearingResult, clear_call_auction

# ---------------------------------------------------------------------------------------
# Independent reference: walk demand down and supply up in exact arithmetic.
# ---------------------------------------------------------------------------------------


def _levels(prices, quantities, descending: bool) -> list[list]:
    """Aggregate positive quantities per price, best price first, as [price, remaining]."""
    total: dict[float, Fraction] = {}
    for p, q in zip(prices, quantities, strict=True):
        if q > 0:
            total[float(p)] = total.get(float(p), Fraction(0)) + Fraction(float(q))
    return [[p, q] for p, q in sorted(total.items(), reverse=descending)]


def _reference(bp, bq, op, oq):
    """Return (volume, lo, hi, bid_fills, offer_fills), or None when nothing trades."""
    bids = _levels(bp, bq, descending=True)
    offers = _levels(op, oq, descending=False)
    bid_total = {p: q for p, q in bids}
    offer_total = {p: q for p, q in offers}
    volume = Fraction(0)
    i = j = 0
    last_i = last_j = -1
    while i < len(bids) and j < len(offers) and bids[i][0] >= offers[j][0]:
        traded = min(bids[i][1], offers[j][1])
        bids[i][1] -= traded
        offers[j][1] -= traded
        volume += traded
        last_i, last_j = i, j
        if bids[i][1] == 0:
            i += 1
        if offers[j][1] == 0:
            j += 1
    if volume == 0:
        return None
    rejected_bid = bids[last_i + 1][0] if last_i + 1 < len(bids) else -math.inf
    rejected_offer = offers[last_j + 1][0] if last_j + 1 < len(offers) else math.inf
    lo = max(offers[last_j][0], rejected_bid)
    hi = min(bids[last_i][0], rejected_offer)
    bid_share = {p: 1 - rem / bid_total[p] for p, rem in bids}
    offer_share = {p: 1 - rem / offer_total[p] for p, rem in offers}
    return (
        float(volume),
        lo,
        hi,
        _order_fills(bp, bq, bid_share),
        _order_fills(op, oq, offer_share),
    )


def _order_fills(prices, quantities, share: dict[float, Fraction]) -> np.ndarray:
    """Each order gets its level's filled fraction of its own quantity (pro rata)."""
    return np.array(
        [
            float(Fraction(float(q)) * share[float(p)]) if q > 0 else 0.0
            for p, q in zip(prices, quantities, strict=True)
        ]
    )


def _random_book(rng: np.random.Generator, integer: bool):
    """Small book with many price ties, some zero quantities and sometimes an empty side."""
    nb, no = (int(n) for n in rng.integers(0, 25, size=2))
    if integer:
        bp = rng.integers(90, 111, nb).astype(float)
        op = rng.integers(90, 111, no).astype(float)
        bq = rng.integers(0, 6, nb).astype(float)
        oq = rng.integers(0, 6, no).astype(float)
    else:
        bp = np.round(rng.uniform(90.0, 110.0, nb) * 2) / 2
        op = np.round(rng.uniform(90.0, 110.0, no) * 2) / 2
        bq = rng.uniform(0.0, 10.0, nb) * (rng.random(nb) > 0.1)
        oq = rng.uniform(0.0, 10.0, no) * (rng.random(no) > 0.1)
    return bp, bq, op, oq


def _books(seed: int, count: int):
    rng = np.random.default_rng(seed)
    for n in range(count):
        yield rng, _random_book(rng, integer=n % 2 == 0)


def _assert_no_trade(r: ClearingResult, n_bids: int, n_offers: int) -> None:
    assert math.isnan(r.price)
    assert r.volume == 0.0
    np.testing.assert_array_equal(r.bid_fills, np.zeros(n_bids))
    np.testing.assert_array_equal(r.offer_fills, np.zeros(n_offers))


# ---------------------------------------------------------------------------------------
# Hand-worked books.
# ---------------------------------------------------------------------------------------

# Demand (desc): 10 @ 105, 5 @ 100, 8 @ 95, 4 @ 90.  Supply (asc): 6 @ 92, 7 @ 96, 5 @ 99,
# 10 @ 104. Units 0-15 cross (the 15th is bid 100 vs offer 99), unit 16 is bid 95 vs offer
# 99, so Q = 15: bids 105 and 100 fill, offer 99 fills 2 of 5. lo = max(99, rejected bid
# 95) = 99, hi = min(100, rejected offer 104) = 100.
HAND = {
    "bid_prices": [100.0, 95.0, 105.0, 90.0],
    "bid_quantities": [5.0, 8.0, 10.0, 4.0],
    "offer_prices": [99.0, 92.0, 104.0, 96.0],
    "offer_quantities": [5.0, 6.0, 10.0, 7.0],
}


def test_simple_crossing_worked_by_hand():
    r = clear_call_auction(**HAND)
    assert r.price == 99.5
    assert r.volume == 15.0
    np.testing.assert_allclose(r.bid_fills, [5.0, 0.0, 10.0, 0.0])
    np.testing.assert_allclose(r.offer_fills, [2.0, 6.0, 0.0, 7.0])
    assert r.best_bid == 105.0
    assert r.best_offer == 92.0


@pytest.mark.parametrize(("k", "price"), [(0.0, 99.0), (1.0, 100.0), (0.25, 99.25), (0, 99.0)])
def test_k_moves_price_between_interval_ends(k, price):
    r = clear_call_auction(**HAND, k=k)
    assert r.price == price
    assert r.volume == 15.0  # k changes only the price, never who trades
    np.testing.assert_allclose(r.offer_fills, [2.0, 6.0, 0.0, 7.0])


def test_accepts_numpy_input_and_does_not_modify_it():
    arrays = {name: np.array(values) for name, values in HAND.items()}
    copies = {name: a.copy() for name, a in arrays.items()}
    r = clear_call_auction(**arrays)
    assert r.price == 99.5
    for name, a in arrays.items():
        np.testing.assert_array_equal(a, copies[name])


def test_no_bids():
    r = clear_call_auction([], [], [90.0, 95.0], [1.0, 2.0])
    _assert_no_trade(r, 0, 2)
    assert math.isnan(r.best_bid)
    assert r.best_offer == 90.0


def test_no_offers():
    r = clear_call_auction([100.0, 97.0], [1.0, 2.0], [], [])
    _assert_no_trade(r, 2, 0)
    assert r.best_bid == 100.0
    assert math.isnan(r.best_offer)


def test_both_sides_empty():
    r = clear_call_auction([], [], [], [])
    _assert_no_trade(r, 0, 0)
    assert math.isnan(r.best_bid)
    assert math.isnan(r.best_offer)


def test_all_offers_above_all_bids():
    r = clear_call_auction([90.0, 95.0], [10.0, 5.0], [96.0, 100.0], [3.0, 4.0])
    _assert_no_trade(r, 2, 2)
    assert r.best_bid == 95.0
    assert r.best_offer == 96.0


def test_touching_best_prices_trade_at_that_price():
    r = clear_call_auction([95.0, 90.0], [3.0, 5.0], [95.0, 99.0], [2.0, 4.0], k=0.3)
    # One level each side is accepted; rejected bid 90 < 95 < rejected offer 99.
    assert r.price == 95.0
    assert r.volume == 2.0
    np.testing.assert_allclose(r.bid_fills, [2.0, 0.0])
    np.testing.assert_allclose(r.offer_fills, [2.0, 0.0])


def test_bid_tie_shared_pro_rata_under_excess_demand():
    # Supply 10 (5 @ 90, 5 @ 95). Bid 101 takes 4; bids at 100 (6 and 2) share the
    # remaining 6 pro rata: 4.5 and 1.5. Bid 80 is wholly rejected.
    # lo = max(95, 80) = 95, hi = min(100, no rejected offer) = 100.
    r = clear_call_auction([100.0, 101.0, 80.0, 100.0], [6.0, 4.0, 3.0, 2.0], [95.0, 90.0], [5, 5])
    assert r.volume == 10.0
    np.testing.assert_allclose(r.bid_fills, [4.5, 4.0, 0.0, 1.5])
    np.testing.assert_allclose(r.offer_fills, [5.0, 5.0])
    assert r.price == 97.5
    # Swapping the tied bids swaps their fills: input position never breaks the tie.
    s = clear_call_auction([100.0, 101.0, 80.0, 100.0], [2.0, 4.0, 3.0, 6.0], [95.0, 90.0], [5, 5])
    np.testing.assert_allclose(s.bid_fills, [1.5, 4.0, 0.0, 4.5])


def test_offer_tie_shared_pro_rata_under_excess_supply():
    # Demand 10 @ 100. Offer 90 sells 4; offers at 95 (3 and 9) share 6: 1.5 and 4.5.
    # Offer 99 is wholly rejected: lo = 95, hi = min(100, 99) = 99.
    r = clear_call_auction([100.0], [10.0], [95.0, 90.0, 99.0, 95.0], [3.0, 4.0, 2.0, 9.0])
    assert r.volume == 10.0
    np.testing.assert_allclose(r.bid_fills, [10.0])
    np.testing.assert_allclose(r.offer_fills, [1.5, 4.0, 0.0, 4.5])
    assert r.price == 97.0


def test_ties_on_both_sides_at_one_price():
    # Demand 4 and supply 8, all at 100: bids fill, offers share 4 of 8 pro rata.
    for k in (0.0, 0.5, 1.0):
        r = clear_call_auction([100.0, 100.0], [3.0, 1.0], [100.0, 100.0], [2.0, 6.0], k=k)
        assert r.price == 100.0
        assert r.volume == 4.0
        np.testing.assert_allclose(r.bid_fills, [3.0, 1.0])
        np.testing.assert_allclose(r.offer_fills, [1.0, 3.0])


def test_zero_quantities_never_fill_and_never_set_prices():
    # Without the zero orders: Q = 5, offers 90 (3) and 95 (2 of 4) sell, no order is
    # rejected, so [lo, hi] = [95, 100] and the price 97.5. Counted as orders, the zero
    # bid at 200 would be the best bid, the zero bid at 99 a rejected bid (price 99.5)
    # and the zero offer at 96 a rejected offer (price 95.5).
    r = clear_call_auction(
        [200.0, 100.0, 99.0], [0.0, 5.0, 0.0], [10.0, 90.0, 95.0, 96.0], [0.0, 3.0, 4.0, 0.0]
    )
    assert r.best_bid == 100.0
    assert r.best_offer == 90.0
    assert r.volume == 5.0
    assert r.price == 97.5
    np.testing.assert_allclose(r.bid_fills, [0.0, 5.0, 0.0])
    np.testing.assert_allclose(r.offer_fills, [0.0, 3.0, 2.0, 0.0])


def test_all_quantities_zero():
    r = clear_call_auction([100.0, 99.0], [0.0, 0.0], [90.0], [0.0])
    _assert_no_trade(r, 2, 1)
    assert math.isnan(r.best_bid)
    assert math.isnan(r.best_offer)


def test_partial_fill_of_marginal_bid_is_not_a_rejected_bid():
    # Supply 7 (4 @ 90, 3 @ 95) all goes to the bid 10 @ 100, which fills 7. Its unfilled
    # 3 units are not a "wholly rejected" bid, so the rejected bid is 97, not 100:
    # lo = max(95, 97) = 97, hi = min(100, no rejected offer) = 100 -> 98.5.
    r = clear_call_auction([100.0, 97.0], [10.0, 2.0], [90.0, 95.0], [4.0, 3.0])
    assert r.volume == 7.0
    np.testing.assert_allclose(r.bid_fills, [7.0, 0.0])
    np.testing.assert_allclose(r.offer_fills, [4.0, 3.0])
    assert r.price == 98.5


def test_single_bid_and_offer_split_the_surplus():
    r = clear_call_auction([100.0], [10.0], [50.0], [5.0])
    assert (r.price, r.volume) == (75.0, 5.0)
    np.testing.assert_allclose(r.bid_fills, [5.0])


def test_excess_demand_price_set_between_marginal_and_rejected_bid():
    # Supply 8 @ 80 against bids 5 @ 120, 5 @ 110, 5 @ 100: bid 110 is marginal (3 of 5),
    # bid 100 is rejected: lo = max(80, 100) = 100, hi = 110.
    args = ([120.0, 110.0, 100.0], [5.0, 5.0, 5.0], [80.0], [8.0])
    r = clear_call_auction(*args)
    assert r.volume == 8.0
    np.testing.assert_allclose(r.bid_fills, [5.0, 3.0, 0.0])
    np.testing.assert_allclose(r.offer_fills, [8.0])
    assert r.price == 105.0
    assert clear_call_auction(*args, k=0.0).price == 100.0
    assert clear_call_auction(*args, k=1.0).price == 110.0


def test_excess_supply_price_set_between_marginal_and_rejected_offer():
    # Demand 8 (5 @ 100, 3 @ 98) is met entirely by the cheap offer 20 @ 90 (8 of 20); the
    # offers at 97 and 99 are rejected: lo = 90, hi = min(98, 97) = 97.
    args = ([100.0, 98.0], [5.0, 3.0], [90.0, 97.0, 99.0], [20.0, 4.0, 1.0])
    r = clear_call_auction(*args)
    assert r.volume == 8.0
    np.testing.assert_allclose(r.bid_fills, [5.0, 3.0])
    np.testing.assert_allclose(r.offer_fills, [8.0, 0.0, 0.0])
    assert r.price == 93.5
    assert clear_call_auction(*args, k=0.0).price == 90.0
    assert clear_call_auction(*args, k=1.0).price == 97.0


def test_interval_stays_ordered_when_a_quantity_vanishes_in_the_cumulative_sum():
    # 1e-5 next to 1e20 is lost to rounding, so bid 60 and offer 55 look rejected although
    # they cross (rejected bid 60 > rejected offer 55). The documented fallback drops the
    # rejected bounds, so the interval is [50, 100] instead of the inverted [60, 55].
    r = clear_call_auction([100.0, 60.0], [1e20, 1e-5], [50.0, 55.0], [1e20, 1.0])
    assert r.price == 75.0
    assert r.volume == 1e20
    assert r.bid_fills[1] == 0.0 and r.offer_fills[1] == 0.0


# ---------------------------------------------------------------------------------------
# Random books.
# ---------------------------------------------------------------------------------------


def test_matches_exact_reference_on_random_books():
    traded = 0
    for rng, (bp, bq, op, oq) in _books(seed=20240611, count=600):
        k = float(rng.choice([0.0, 1.0, rng.random()]))
        r = clear_call_auction(bp, bq, op, oq, k=k)
        ref = _reference(bp, bq, op, oq)
        if ref is None:
            _assert_no_trade(r, bp.size, op.size)
            continue
        traded += 1
        volume, lo, hi, bid_fills, offer_fills = ref
        assert r.volume == pytest.approx(volume, rel=1e-12)
        assert lo <= hi
        assert r.price == pytest.approx((1 - k) * lo + k * hi, rel=1e-12, abs=0)
        np.testing.assert_allclose(r.bid_fills, bid_fills, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(r.offer_fills, offer_fills, rtol=1e-9, atol=1e-9)
    assert traded > 300  # the generator must actually produce crossing books


def test_invariants_on_random_books():
    for rng, (bp, bq, op, oq) in _books(seed=7, count=600):
        k = float(rng.random())
        r = clear_call_auction(bp, bq, op, oq, k=k)
        assert r.bid_fills.shape == bp.shape and r.offer_fills.shape == op.shape
        assert (r.bid_fills >= 0).all() and (r.offer_fills >= 0).all()
        assert (r.bid_fills <= bq * (1 + 1e-12)).all()
        assert (r.offer_fills <= oq * (1 + 1e-12)).all()
        assert r.bid_fills.sum() == pytest.approx(r.volume, rel=1e-12, abs=1e-12)
        assert r.offer_fills.sum() == pytest.approx(r.volume, rel=1e-12, abs=1e-12)
        live_b, live_o = bp[bq > 0], op[oq > 0]
        assert r.best_bid == (live_b.max() if live_b.size else pytest.approx(math.nan, nan_ok=True))
        assert r.best_offer == (
            live_o.min() if live_o.size else pytest.approx(math.nan, nan_ok=True)
        )
        if r.volume == 0:
            assert math.isnan(r.price)
            continue
        ref = _reference(bp, bq, op, oq)
        assert ref is not None
        _, lo, hi, _, _ = ref
        assert lo <= r.price <= hi
        # Out of the money at the clearing price: never filled.
        assert (r.bid_fills[bp < r.price] == 0).all()
        assert (r.offer_fills[op > r.price] == 0).all()
        # In the money at every price of the interval: filled completely.
        np.testing.assert_allclose(r.bid_fills[bp > hi], bq[bp > hi], rtol=1e-12)
        np.testing.assert_allclose(r.offer_fills[op < lo], oq[op < lo], rtol=1e-12)


def test_result_independent_of_input_order():
    for rng, (bp, bq, op, oq) in _books(seed=12345, count=400):
        r = clear_call_auction(bp, bq, op, oq)
        pb, po = rng.permutation(bp.size), rng.permutation(op.size)
        s = clear_call_auction(bp[pb], bq[pb], op[po], oq[po])
        # Bit-identical, not merely close: orders are summed in value order.
        assert s.price == r.price or (math.isnan(s.price) and math.isnan(r.price))
        assert s.volume == r.volume
        np.testing.assert_array_equal(s.bid_fills, r.bid_fills[pb])
        np.testing.assert_array_equal(s.offer_fills, r.offer_fills[po])
        assert s.best_bid == r.best_bid or math.isnan(r.best_bid)
        assert s.best_offer == r.best_offer or math.isnan(r.best_offer)


# ---------------------------------------------------------------------------------------
# Invalid input.
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (([100.0], [-1.0], [90.0], [1.0]), {}, "bid quantities must be >= 0"),
        (([100.0], [1.0], [90.0], [-0.5]), {}, "offer quantities must be >= 0"),
        (([math.nan], [1.0], [90.0], [1.0]), {}, "bid prices must be finite"),
        (([100.0], [1.0], [math.inf], [1.0]), {}, "offer prices must be finite"),
        (([100.0], [math.nan], [90.0], [1.0]), {}, "bid quantities must be finite"),
        (([100.0, 99.0], [1.0], [90.0], [1.0]), {}, "bid prices and quantities differ"),
        (([100.0], [1.0], [90.0], [1.0, 2.0]), {}, "offer prices and quantities differ"),
        (([[100.0]], [[1.0]], [90.0], [1.0]), {}, "must be 1-D"),
        (([100.0], [1.0], [90.0], [1.0]), {"k": -0.1}, r"k must lie in \[0, 1\]"),
        (([100.0], [1.0], [90.0], [1.0]), {"k": 1.5}, r"k must lie in \[0, 1\]"),
        (([100.0], [1.0], [90.0], [1.0]), {"k": math.nan}, r"k must lie in \[0, 1\]"),
    ],
)
def test_invalid_input_raises(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        clear_call_auction(*args, **kwargs)
