"""The chain's further mechanisms (issue #5): recycling, reserves, trade, environment, demand.

Pure rules are tested with numbers worked out by hand; agent rules on a model built from the
baseline and stepped a few months; whole-run effects on short runs with a switch on and off.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lithium_abm.agents.developer import Deposit, Developer
from lithium_abm.agents.stockpiler import Stockpiler
from lithium_abm.experiments.scenario import load_scenario
from lithium_abm.model.demand import (
    chemistry_factor,
    ev_subsidy_factor,
    lfp_share,
    next_substitution_share,
)
from lithium_abm.model.lithium_model import LithiumModel
from lithium_abm.model.recycling import (
    battery_share_of_use,
    collection_rate,
    lifetime_pmf,
    retirements_t,
)


@pytest.fixture(scope="module")
def baseline_config():
    return load_scenario("baseline")


def configured(config, end: str = "2017-12", **params):
    return dataclasses.replace(config, end=end, params={**config.params, **params})


# --- recycling: pure rules ---------------------------------------------------------------------


def test_lifetime_distribution_has_the_mean_it_is_given():
    pmf = lifetime_pmf(10.0, 3.0)
    ages_years = np.arange(len(pmf)) / 12.0
    assert pmf.sum() == pytest.approx(1.0, abs=1e-4)
    assert (pmf >= 0.0).all()
    # Cell k holds retirements between ages k and k+1 months: its midpoint is k + 0.5.
    assert np.dot(ages_years + 1 / 24, pmf) / pmf.sum() == pytest.approx(10.0, rel=0.01)
    assert pmf[: 3 * 12].sum() < 0.01  # hardly any battery retires before three years


def test_lifetime_rejects_nonpositive_spread():
    with pytest.raises(ValueError, match="positive"):
        lifetime_pmf(10.0, 0.0)


def test_constant_use_retires_at_the_same_rate_once_in_steady_state():
    pmf = lifetime_pmf(8.0, 2.0)
    history = np.full(40 * 12, 100.0)
    assert retirements_t(history, pmf) == pytest.approx(100.0 * pmf[1:].sum(), rel=1e-12)
    assert retirements_t(np.array([]), pmf) == 0.0
    # Last month's addition is one month old; a pulse 10 years back retires at pmf[120].
    pulse = np.zeros(200)
    pulse[-121] = 1000.0
    assert retirements_t(pulse, pmf) == pytest.approx(1000.0 * pmf[121])


def test_collection_rate_grows_from_the_2020_figure_to_its_cap():
    assert collection_rate(2020.0, 0.41, 0.02, 0.8) == pytest.approx(0.41)
    assert collection_rate(2025.0, 0.41, 0.02, 0.8) == pytest.approx(0.51)
    assert collection_rate(2060.0, 0.41, 0.02, 0.8) == 0.8
    assert collection_rate(1990.0, 0.41, 0.02, 0.8) == 0.0


def test_battery_share_of_use_follows_usgs_end_use():
    assert battery_share_of_use(2015.0) == pytest.approx(0.35)
    assert battery_share_of_use(2020.0) == pytest.approx(0.71)
    assert battery_share_of_use(2022.0) == pytest.approx(0.79)
    assert battery_share_of_use(2000.0) == pytest.approx(0.35)


# --- demand side: pure rules -------------------------------------------------------------------


def test_ev_support_moves_demand_only_where_it_departs_from_history():
    assert ev_subsidy_factor(2023.5, 0.0, 0.08, 0.6) == 1.0  # before 2024: history
    assert ev_subsidy_factor(2026.0, 2.0, 0.08, 0.6) == 1.0  # history: trade-in doubled
    assert ev_subsidy_factor(2026.0, 0.0, 0.08, 0.6) == pytest.approx(1.0 - 0.08 * 0.6 * 2.0)
    assert ev_subsidy_factor(2026.0, 3.0, 0.08, 0.6) == pytest.approx(1.0 + 0.08 * 0.6)


def test_more_lfp_needs_less_lithium_after_the_shift_is_phased_in():
    assert chemistry_factor(2030.0, 0.0, 0.55, 0.72) == 1.0
    assert chemistry_factor(2024.0, 0.3, 0.55, 0.72) == 1.0  # before 2025 nothing moves
    base = lfp_share(2030.0)
    expected = ((base + 0.3) * 0.55 + (0.7 - base) * 0.72) / (base * 0.55 + (1 - base) * 0.72)
    assert chemistry_factor(2030.0, 0.3, 0.55, 0.72) == pytest.approx(expected)
    assert chemistry_factor(2030.0, -0.3, 0.55, 0.72) > 1.0


def test_substitution_builds_when_dear_and_unwinds_slowly():
    share = 0.0
    for _ in range(12):
        share = next_substitution_share(share, 60000.0, 30000.0, 0.15, 0.05)
    assert 0.05 < share < 0.15
    built = share
    share = next_substitution_share(share, 10000.0, 30000.0, 0.15, 0.05)
    assert share == pytest.approx(built - 0.05 / 4.0 * built)
    assert next_substitution_share(0.0, 20000.0, 30000.0, 0.15, 0.05) == 0.0


# --- reserves, exploration -----------------------------------------------------------------------


def test_orefield_reserves_hold_back_an_even_share_and_release_it(baseline_config):
    model = LithiumModel(configured(baseline_config, end="2015-02"), seed=1)
    deposits = [Deposit(10000.0, 4000.0 + 100.0 * k) for k in range(10)]
    developer = Developer(model.world, "CN", "lepidolite", deposits, 10000.0, (4000.0, 5000.0))
    developer.hold_back(0.3)
    assert len(developer.reserved) == 3
    assert len(developer.deposits) == 7
    assert developer.deposits[0].cost_usd_t == 4000.0  # not all the cheapest ones are held
    assert developer.release_reserves() == 3
    assert [d.cost_usd_t for d in developer.deposits] == sorted(d.cost_usd_t for d in deposits)
    developer.discover(4)
    assert len(developer.deposits) == 14 and developer.discovered == 4
    assert all(4000.0 <= d.cost_usd_t <= 5000.0 for d in developer.deposits[-4:])


def test_orefield_share_in_a_scenario_holds_back_chinese_deposits(baseline_config):
    held = LithiumModel(configured(baseline_config, orefield_reserve_share=0.5), seed=1)
    reserved = sum(len(d.reserved) for (r, _), d in held.developers.items() if r == "CN")
    abroad = sum(len(d.reserved) for (r, _), d in held.developers.items() if r != "CN")
    assert reserved > 0 and abroad == 0


def test_china_2025_discovery_adds_the_stated_capacity(baseline_config):
    config = configured(
        baseline_config, end="2025-03", cn_discovery_2025_tpa=300000.0, discovery_rate_per_yr=0.0
    )
    model = LithiumModel(config, seed=3)

    def chinese_capacity_tpa() -> float:
        """Undeveloped plus developed: projects move capacity from one to the other."""
        deposits = sum(
            x.capacity_tpa
            for (r, _), d in model.developers.items()
            if r == "CN"
            for x in d.deposits
        )
        return deposits + sum(m.capacity_tpa for m in model.mines if m.region == "CN")

    while model.month < month_of(model, "2024-12"):
        model.step()
    before = chinese_capacity_tpa()
    model.run()
    # Deposit sizes vary +-40% around the split, so the total is within that band.
    assert chinese_capacity_tpa() - before == pytest.approx(300000.0, rel=0.4)


def month_of(model: LithiumModel, when: str) -> int:
    return list(model.dates).index(np.datetime64(f"{when}-01"))


# --- the state reserve ----------------------------------------------------------------------------


def test_reserve_bids_below_its_trigger_within_budget_and_room(baseline_config):
    model = LithiumModel(configured(baseline_config, end="2015-02"), seed=1)
    world = model.world
    reserve = Stockpiler(world, "reserve", "CN", 0.0)
    model.ledger.pay(world.treasury_account, reserve.account, 50_000_000.0, "budget")
    p = model.p
    model.last_price["chemical"] = p["stockpile_buy_below_usd_t"] - 1.0
    (price, quantity) = reserve.purchase_plan()[0]
    assert price == p["stockpile_buy_below_usd_t"]
    assert quantity == pytest.approx(min(p["stockpile_tranche_t"], 50e6 / price))
    model.last_price["chemical"] = p["stockpile_buy_below_usd_t"] + 1.0
    assert reserve.purchase_plan() == []
    reserve.receive(1000.0, 8000.0)
    assert reserve.stock_for_sale_t == 0.0  # nothing on offer below the release price
    model.last_price["chemical"] = p["stockpile_release_above_usd_t"] + 5.0
    assert reserve.stock_for_sale_t == 1000.0
    assert reserve.ask_usd_t(10.0) == p["stockpile_release_above_usd_t"]


def test_reserve_never_bids_while_releasing(baseline_config):
    """A trigger set above the release price must not make the reserve trade with itself."""
    release = baseline_config.params["stockpile_release_above_usd_t"]
    config = configured(baseline_config, end="2015-02", stockpile_buy_below_usd_t=release + 1e4)
    model = LithiumModel(config, seed=1)
    reserve = Stockpiler(model.world, "reserve", "CN", 0.0)
    model.ledger.pay(model.world.treasury_account, reserve.account, 50_000_000.0, "budget")
    model.last_price["chemical"] = release + 5.0
    assert reserve.purchase_plan() == []
    model.last_price["chemical"] = release - 5.0
    assert reserve.purchase_plan() != []


def test_reserve_in_a_run_buys_in_the_trough_and_keeps_the_books(baseline_config):
    config = configured(baseline_config, end="2021-12", stockpile_enabled=True)
    model = LithiumModel(config, seed=2).run()
    frame = model.model_frame()
    assert frame["stockpile_t"].max() > 0.0
    assert abs(model.ledger.imbalance()) < 1.0
    assert abs(model.lithium_balance_error_t()) < 1e-6 * frame["production_t"].sum()


# --- trade ----------------------------------------------------------------------------------------


def test_technology_controls_slow_and_raise_the_cost_of_converters_abroad(baseline_config):
    free = LithiumModel(configured(baseline_config, end="2015-02"), seed=1)
    controlled = LithiumModel(
        configured(baseline_config, end="2015-02", tech_export_control=1.0), seed=1
    )
    capex, lead = free.world.converter_capex_and_lead("AU")
    capex_c, lead_c = controlled.world.converter_capex_and_lead("AU")
    assert (capex_c, lead_c) == (pytest.approx(1.5 * capex), 2 * lead)
    assert controlled.world.converter_capex_and_lead("CN") == free.world.converter_capex_and_lead(
        "CN"
    )


def test_export_duty_is_paid_by_chinese_sellers_to_china(baseline_config):
    model = LithiumModel(
        configured(baseline_config, end="2016-12", export_duty_cn_chemical=0.2), seed=1
    ).run()
    duties = model.model_frame()["export_duties_usd"]
    assert duties.sum() > 0.0
    assert model.ledger.total_flows["export_duties"] == pytest.approx(duties.sum())
    assert abs(model.ledger.imbalance()) < 1.0


def test_chilean_state_share_cuts_project_margins_in_chile_only(baseline_config):
    model = LithiumModel(configured(baseline_config, end="2015-02", state_share_cl=0.4), seed=1)
    free = LithiumModel(configured(baseline_config, end="2015-02"), seed=1)
    chile = model.developers[("CL", "brine")]
    deposit = chile.deposits[0]
    taxed = chile.expected_margin_usd_t(deposit, 0.0)
    untaxed = free.developers[("CL", "brine")].expected_margin_usd_t(deposit, 0.0)
    assert taxed == pytest.approx(0.6 * untaxed)
    assert model.world.state_profit_share("AU") == 0.0


# --- environment and energy -----------------------------------------------------------------------


def test_pollution_incidents_fine_and_shut_mines(baseline_config):
    frequent = LithiumModel(
        configured(baseline_config, end="2016-12", pollution_incident_rate=2.0), seed=4
    ).run()
    none = LithiumModel(
        configured(
            baseline_config, end="2016-12", pollution_incident_rate=0.0, env_inspection_rate=0.0
        ),
        seed=4,
    ).run()
    assert frequent.model_frame()["env_incidents"].sum() > 3
    assert none.model_frame()["env_incidents"].sum() == 0
    assert frequent.ledger.total_flows["fines"] > none.ledger.total_flows.get("fines", 0.0)


def test_cheap_power_is_paid_by_the_state_in_the_baseline(baseline_config):
    model = LithiumModel(configured(baseline_config, end="2019-12"), seed=1).run()
    assert model.ledger.total_flows.get("cheap_power", 0.0) > 0.0
    frame = model.model_frame()
    assert frame["cheap_power_usd"].sum() == pytest.approx(model.ledger.total_flows["cheap_power"])
    share = frame["night_shift_output_share"].dropna()
    assert share.between(0.0, 1.0).all()
