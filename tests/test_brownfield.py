"""Brownfield expansion of operating mines (Mine.consider_expansion), with numbers."""

from __future__ import annotations

import pytest

from lithium_abm.agents.intents import Expansion
from lithium_abm.agents.mine import OPERATING, Mine
from lithium_abm.model.lithium_model import LithiumModel


def _full_mine(model: LithiumModel, resource: str = "spodumene") -> Mine:
    """An operating mine three months into the run, marked as having run full for a year."""
    for _ in range(3):
        model.step()
    mine = next(
        m for m in model.population.mines if m.state == OPERATING and m.resource == resource
    )
    mine.full_months = 12
    return mine


def test_a_full_mine_with_a_rich_margin_expands_by_a_block_at_brownfield_cost():
    model = LithiumModel("baseline", seed=1, brownfield_enabled=True)
    mine = _full_mine(model)
    mine.net_decision_price_usd_t = lambda price: 1.0e6  # the margin dwarfs the charge
    intent = mine.consider_expansion()
    assert isinstance(intent, Expansion)
    p = mine.p
    assert intent.block_tpa == pytest.approx(0.5 * mine.capacity_tpa)
    spodumene_capex = model.world.params.resources["spodumene"].capex_usd_tpa
    assert intent.capex_usd == pytest.approx(0.3 * spodumene_capex * intent.block_tpa)
    assert intent.lead_months == p.brownfield_lead_months == 24
    assert intent.kind == "capex_mining"


def test_no_expansion_when_the_margin_does_not_pay_the_capital_charge():
    model = LithiumModel("baseline", seed=1, brownfield_enabled=True)
    mine = _full_mine(model)
    mine.net_decision_price_usd_t = lambda price: mine.unit_cash_cost_usd_t() + 1.0
    assert mine.consider_expansion() is None


def test_no_expansion_before_the_mine_has_run_full_or_with_the_switch_off():
    model = LithiumModel("baseline", seed=1, brownfield_enabled=True)
    mine = _full_mine(model)
    mine.net_decision_price_usd_t = lambda price: 1.0e6
    mine.full_months = mine.p.brownfield_full_months - 1
    assert mine.consider_expansion() is None
    off = LithiumModel("baseline", seed=1, brownfield_enabled=False)
    mine_off = _full_mine(off)
    mine_off.net_decision_price_usd_t = lambda price: 1.0e6
    assert mine_off.consider_expansion() is None


def test_growth_stops_at_the_maximum_multiple_of_first_capacity():
    model = LithiumModel("baseline", seed=1, brownfield_enabled=True, brownfield_max_multiple=1.2)
    mine = _full_mine(model)
    mine.net_decision_price_usd_t = lambda price: 1.0e6
    intent = mine.consider_expansion()
    assert intent.block_tpa == pytest.approx(0.2 * mine.first_capacity_tpa)  # the headroom
    mine.capacity_tpa = 1.2 * mine.first_capacity_tpa
    assert mine.consider_expansion() is None


def test_a_completed_block_raises_capacity_and_fixed_cost_when_due():
    model = LithiumModel("baseline", seed=1, brownfield_enabled=True)
    mine = _full_mine(model)
    capacity, fixed = mine.capacity_tpa, mine.fixed_cost_usd_month
    mine.add_block(0.5 * capacity, 2)
    assert mine.expanding_tpa == pytest.approx(0.5 * capacity)
    model.step()
    assert mine.capacity_tpa == capacity  # not yet due
    model.step()
    model.step()
    assert mine.capacity_tpa == pytest.approx(1.5 * capacity)
    assert mine.expanding_tpa == 0.0
    assert mine.fixed_cost_usd_month == pytest.approx(1.5 * fixed)


def test_brownfield_expansion_adds_capacity_in_a_run_and_keeps_the_books():
    def capacity_2025(enabled: bool) -> float:
        model = LithiumModel("baseline", seed=1, end="2025-12", brownfield_enabled=enabled)
        while model.running:
            model.step()
        assert abs(model.lithium_balance_error_t()) < 1e-3
        balances = model.ledger.balances
        assert abs(sum(balances)) < 1e-12 * sum(abs(b) for b in balances)  # money is conserved
        return sum(m.capacity_tpa - m.first_capacity_tpa for m in model.population.mines)

    assert capacity_2025(False) == 0.0
    assert capacity_2025(True) > 50_000.0  # t/yr added by brownfield blocks by 2025
