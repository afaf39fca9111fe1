"""New converters outside China (issue 12): the entrant's rule with numbers, and what it does
to a run of the regional markets (new refiners, paid by the capital market, lithium and money
still balanced, nothing changed with the switch off)."""

from __future__ import annotations

import functools
from types import SimpleNamespace

import mesa
import pytest

from lithium_abm.agents.converter_developer import ConverterDeveloper
from lithium_abm.agents.intents import ConverterProject
from lithium_abm.experiments.scenario import load_scenario
from lithium_abm.model.behaviour import annuity_factor
from lithium_abm.model.lithium_model import LithiumModel
from lithium_abm.model.param_groups import ParamGroups
from lithium_abm.model.parameters import defaults


class _Draws:
    """A stand-in for the generator: hands out the given draws and counts them."""

    def __init__(self, *values: float) -> None:
        self.values = list(values)
        self.calls = 0

    def random(self) -> float:
        self.calls += 1
        return self.values.pop(0)


def _world(chem: float, conc: float, installed: float, pipeline: float, *draws: float):
    params = ParamGroups.from_params(defaults())
    prices = {"chemical": chem, "concentrate": conc}
    return SimpleNamespace(
        host=mesa.Model(rng=1),
        params=params,
        rng=_Draws(*draws),
        smoothed_price=prices.__getitem__,
        converter_capacity_and_pipeline=lambda zone: (installed, pipeline),
        converter_capex_and_lead=lambda region: (20000.0, 36),
    )


def test_an_entrant_starts_a_converter_when_the_margin_beats_the_capital_charge() -> None:
    p = ParamGroups.from_params(defaults())
    conversion = p.refiner.conversion_cost_usd_t_spodumene * (
        1.0 + p.refiner.conversion_cost_premium_ex_china
    )
    assert conversion == 4500.0  # 3,000 USD/t in China, half again outside it
    charge = 20000.0 * annuity_factor(p.investment.hurdle_rate, p.investment.project_life_years)
    assert charge == pytest.approx(2677.6, abs=0.1)  # 12% over 20 years
    # Spread 8,000: margin 3,500 against a charge of 2,678, an excess return of 0.307, so a
    # project starts in a month with probability 0.08 * 0.307 = 0.0246.
    world = _world(20000.0, 12000.0, 40000.0, 0.0, 0.02)
    entrant = ConverterDeveloper(world, "row", "AU")
    assert entrant.expected_margin_usd_t() == pytest.approx(3500.0)
    project = entrant.consider()
    assert project == ConverterProject(entrant, 20000.0, 20000.0 * 20000.0, 36)
    assert entrant.projects_started == 1
    missed = ConverterDeveloper(_world(20000.0, 12000.0, 40000.0, 0.0, 0.03), "row", "AU")
    assert missed.consider() is None and missed.projects_started == 0


def test_an_entrant_stays_out_below_the_charge_and_beyond_the_pipeline_limit() -> None:
    # Spread 7,000: margin 2,500 is below the charge; no draw is spent on it.
    thin = _world(19000.0, 12000.0, 40000.0, 0.0)
    assert ConverterDeveloper(thin, "row", "AU").consider() is None
    assert thin.rng.calls == 0
    # Pipeline limit 1.5: with 40,000 t/yr installed, 50,000 under way plus a 20,000 train is
    # more than 1.5 * 40,000; with 30,000 under way it is allowed.
    full = _world(30000.0, 12000.0, 40000.0, 50000.0)
    assert ConverterDeveloper(full, "row", "AU").consider() is None
    room = _world(30000.0, 12000.0, 40000.0, 30000.0, 0.0)
    assert ConverterDeveloper(room, "row", "AU").consider() is not None
    # With nothing installed the limit is taken against two trains (a first refinery can start).
    first = _world(30000.0, 12000.0, 0.0, 0.0, 0.0)
    assert ConverterDeveloper(first, "row", "AU").consider() is not None


@functools.cache
def _run(entry: bool, seed: int = 1) -> LithiumModel:
    config = load_scenario("regional_markets", {"converter_entry_row_enabled": entry})
    return LithiumModel(config, seed=seed).run()


def test_entrants_build_converters_outside_china_paid_by_the_capital_market() -> None:
    with_entry, without = _run(True), _run(False)
    assert without.population.converter_developers == []
    (entrant,) = with_entry.population.converter_developers
    assert (entrant.zone, entrant.region) == ("row", "AU")
    new = [r for r in with_entry.population.refiners if r.name.endswith("(row)")]
    assert len(new) == entrant.projects_started >= 1
    assert all(r.region == "AU" and r.owner_kind == "independent" for r in new)
    agents = with_entry.agents_frame()
    first = agents[agents["name"] == new[0].name]
    assert first["capacity_tpa"].iloc[0] == 0.0  # under construction: no capacity yet
    assert first["capacity_tpa"].max() == with_entry.params.investment.converter_entry_tpa
    # Money and lithium still balance with the new firms.
    flows = sum(with_entry.ledger.total_flows.values())
    assert abs(with_entry.ledger.imbalance()) <= 1e-9 * flows
    assert abs(with_entry.lithium_balance_error_t()) <= 1e-6 * with_entry.recorder.cum_production_t
    row_capacity = [
        sum(r.capacity_tpa for r in run.population.refiners if r.region != "CN")
        for run in (with_entry, without)
    ]
    assert row_capacity[0] > row_capacity[1]


def test_china_entry_is_its_own_switch_and_builds_at_china_costs() -> None:
    config = load_scenario("baseline", {"converter_entry_cn_enabled": True}, end="2016-12")
    model = LithiumModel(config, seed=1)
    (china,) = model.population.converter_developers  # the rest of the world's is off
    assert (china.zone, china.region) == ("cn", "CN")
    # China's conversion cost has no ex-China premium (3,000 USD/t at the defaults).
    assert china.conversion_cost_usd_t == model.params.refiner.conversion_cost_usd_t_spodumene
    both = LithiumModel(
        load_scenario("regional_markets", {"converter_entry_cn_enabled": True}, end="2016-12"),
        seed=1,
    )
    assert [d.zone for d in both.population.converter_developers] == ["cn", "row"]
