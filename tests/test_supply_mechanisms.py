"""The supply-side mechanism switches, with numbers: offtake contracts, held thin-market prices,
converters that curtail on unsold stock, restarts judged on the spot price."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from lithium_abm.agents.mine import CARE, PRODUCING
from lithium_abm.model.lithium_model import LithiumModel
from lithium_abm.model.markets.market import next_price

INF = float("inf")


def _book(bid: float, offer: float) -> SimpleNamespace:
    """A clearing result in which nothing traded."""
    return SimpleNamespace(volume=0.0, price=float("nan"), best_bid=bid, best_offer=offer)


# --- thin-market price --------------------------------------------------------------------------
def test_without_trades_the_mid_is_the_default_and_the_held_price_stays_within_the_book():
    book = _book(100.0, 900.0)
    assert next_price(800.0, book) == (500.0, False)
    assert next_price(800.0, book, held=True) == (800.0, False)
    assert next_price(50.0, book, held=True) == (100.0, False)  # raised to the best bid
    assert next_price(1000.0, book, held=True) == (900.0, False)  # lowered to the best offer


def test_without_one_side_of_the_book_the_held_price_only_moves_towards_the_other():
    assert next_price(800.0, _book(100.0, INF)) == (800.0, False)
    assert next_price(800.0, _book(1200.0, INF), held=True) == (1200.0, False)
    assert next_price(800.0, _book(-INF, 300.0), held=True) == (300.0, False)
    traded = SimpleNamespace(volume=5.0, price=640.0, best_bid=700.0, best_offer=600.0)
    assert next_price(800.0, traded, held=True) == (640.0, True)


# --- offtake contracts --------------------------------------------------------------------------
def _contracted_mine(model: LithiumModel):
    return next(m for m in model.population.hard_rock_mines if m.contracted)


def test_only_independent_hard_rock_mines_outside_china_are_contracted():
    model = LithiumModel("baseline", seed=1, offtake_enabled=True)
    contracted = [m for m in model.population.mines if m.contracted]
    assert contracted, "the 2015 population has independent Australian mines"
    assert all(
        m.product == "concentrate" and m.owner_kind == "independent" and m.region != "CN"
        for m in contracted
    )
    off = LithiumModel("baseline", seed=1)
    assert not any(m.contracted for m in off.population.mines)


def test_a_contracted_mine_weighs_the_blend_of_contract_and_spot_prices():
    model = LithiumModel("baseline", seed=1, offtake_enabled=True, offtake_share=0.6)
    for _ in range(14):
        model.step()
    mine = _contracted_mine(model)
    world = model.world
    spot = world.product_price(mine.resource)
    contract = world.contract_price_usd_t("concentrate")
    assert contract == pytest.approx(world.prices.mean_of_last("concentrate", 6))
    assert contract != pytest.approx(spot)
    assert mine.market_price_usd_t() == pytest.approx(0.6 * contract + 0.4 * spot)
    integrated = next(m for m in model.population.mines if m.owner_kind == "integrated")
    assert integrated.market_price_usd_t() == world.product_price(integrated.resource)


def test_contracted_tonnes_go_to_converters_in_proportion_to_their_room_at_the_contract_price():
    model = LithiumModel("baseline", seed=1, offtake_enabled=True, offtake_share=0.5)
    for _ in range(14):
        model.step()
    market = model.concentrate_market
    mine = _contracted_mine(model)
    a, b = model.population.refiners[:2]
    limit = model.world.params.market.offtake_max_cover_months
    a.feed_t = limit * a.monthly_capacity_t - 300.0  # room 300 t
    b.feed_t = limit * b.monthly_capacity_t - 100.0  # room 100 t
    mine.inventory_t, mine.output_t = 1000.0, 400.0  # the offtake calls for 0.5 x 400 = 200 t
    feed_a, feed_b, revenue = a.feed_t, b.feed_t, mine.revenue_usd
    wanted = {a: 500.0, b: 500.0}
    delivered = market.contract_deliveries([mine], [a, b], wanted)
    assert delivered == pytest.approx(200.0)
    assert a.feed_t - feed_a == pytest.approx(150.0)
    assert b.feed_t - feed_b == pytest.approx(50.0)
    assert wanted == {a: pytest.approx(350.0), b: pytest.approx(450.0)}
    assert mine.inventory_t == pytest.approx(800.0)
    price = model.world.contract_price_usd_t("concentrate")
    assert mine.revenue_usd - revenue == pytest.approx(200.0 * price)


def test_converters_with_full_feed_stocks_defer_contracted_shipments():
    model = LithiumModel("baseline", seed=1, offtake_enabled=True)
    for _ in range(14):
        model.step()
    mine = _contracted_mine(model)
    refiners = model.population.refiners
    limit = model.world.params.market.offtake_max_cover_months
    for r in refiners:
        r.feed_t = limit * r.monthly_capacity_t  # no room left
    mine.inventory_t, mine.output_t = 1000.0, 400.0
    wanted = {r: 0.0 for r in refiners}
    assert model.concentrate_market.contract_deliveries([mine], refiners, wanted) == 0.0
    assert mine.inventory_t == 1000.0


def test_offtakes_move_tonnes_every_year_and_conserve_lithium_over_a_run():
    model = LithiumModel("named_supply", seed=2)
    contracted_by_year: dict[int, float] = {}
    while model.running:
        model.step()
        year = model.world.year_fraction()
        outcome = model.concentrate_market.outcome
        contracted_by_year[int(year)] = contracted_by_year.get(int(year), 0.0) + (
            outcome.contracted_t
        )
    # Offtakes pause only while every contracted mine is idle or every converter is full.
    active_years = [y for y in range(2015, 2036) if contracted_by_year.get(y, 0.0) > 0.0]
    assert len(active_years) >= 12
    assert sum(contracted_by_year.values()) > 1.0e6
    assert abs(model.lithium_balance_error_t()) < 1e-6 * model.recorder.cum_production_t
    baseline = LithiumModel("baseline", seed=2)
    baseline.run()
    assert baseline.concentrate_market.outcome.contracted_t == 0.0


# --- converters curtail on unsold stock ---------------------------------------------------------
@pytest.mark.parametrize(("enabled", "expected_share"), [(True, 0.25), (False, 1.0)])
def test_a_converter_with_twice_its_stock_limit_unsold_runs_at_a_quarter(enabled, expected_share):
    model = LithiumModel("baseline", seed=1, converter_curtailment_enabled=enabled)
    model.step()
    refiner = model.population.refiners[0]
    cap = refiner.monthly_capacity_t
    refiner.feed_t = 10.0 * cap
    refiner.feed_cost_usd = refiner.feed_t * 1000.0
    refiner.chemical_t = 2.0 * refiner.p.max_stock_months * cap
    refiner.convert()
    assert refiner.output_t == pytest.approx(expected_share * cap)
    assert refiner.feed_t == pytest.approx((10.0 - expected_share) * cap)


# --- restarts on the spot price -----------------------------------------------------------------
@pytest.mark.parametrize("on_spot", [True, False])
def test_a_mine_in_care_counts_a_surplus_only_from_the_price_its_rule_reads(on_spot):
    model = LithiumModel("baseline", seed=1, restart_on_spot_enabled=on_spot)
    for _ in range(3):
        model.step()
    mine = next(m for m in model.population.mines if m.state in PRODUCING)
    mine.state, mine.care_months, mine.cum_surplus_usd = CARE, 0, 0.0
    world = model.world
    # Spot far above the mine's cost, the slow expectation far below it.
    world.recent_price = lambda product: 1.0e6
    world.smoothed_price = lambda product: 1.0
    mine._decide(world.product_price(mine.resource))
    assert (mine.cum_surplus_usd > 0.0) is on_spot


# --- idling on the outlook ----------------------------------------------------------------------
def _loss_making_mine(**params):
    """A producing spodumene mine whose accumulated losses are far past its threshold."""
    model = LithiumModel("baseline", seed=1, **params)
    for _ in range(3):
        model.step()
    mine = next(
        m for m in model.population.mines if m.state in PRODUCING and m.resource == "spodumene"
    )
    mine.cum_loss_usd = -1.0e12
    world = model.world
    world.recent_price = world.slow_price = lambda product: 10_000.0  # no trend
    return mine, world


@pytest.mark.parametrize("enabled", [True, False])
def test_a_loss_making_mine_rides_out_a_glut_its_outlook_covers(enabled):
    mine, world = _loss_making_mine(outlook_idling_enabled=enabled)
    world.smoothed_price = lambda product: 100_000.0  # the outlook is far above its cost
    mine._decide(1.0)  # this month it sells at a loss
    assert (mine.state in PRODUCING) is enabled
    assert (mine.state == CARE) is not enabled


def test_a_loss_making_mine_whose_outlook_does_not_cover_its_cost_idles():
    mine, world = _loss_making_mine(outlook_idling_enabled=True, operator_anchor_weight=0.0)
    world.smoothed_price = lambda product: 1.0  # adaptive outlook near zero, no long-run deck
    mine._decide(1.0)
    assert mine.state == CARE


def test_the_operator_outlook_blends_the_long_run_deck_and_the_adaptive_price():
    for weight, expected in ((1.0, 16_000.0 - 3_000.0), (0.0, 10_000.0 - 3_000.0)):
        mine, world = _loss_making_mine(
            outlook_idling_enabled=True,
            operator_anchor_weight=weight,
            long_run_price_usd_t=16_000.0,
            conversion_cost_usd_t_spodumene=3_000.0,
        )
        world.smoothed_price = lambda product: 10_000.0
        assert mine.outlook_usd_t() == pytest.approx(expected)
    mine, world = _loss_making_mine(outlook_idling_enabled=True, operator_anchor_weight=0.5)
    world.smoothed_price = lambda product: 10_000.0
    p = world.params
    deck = p.investment.long_run_price_usd_t
    conversion = p.resources["spodumene"].conversion_cost_usd_t
    assert mine.outlook_usd_t() == pytest.approx(0.5 * deck + 0.5 * 10_000.0 - conversion)
