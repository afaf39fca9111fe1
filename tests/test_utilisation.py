"""The utilisation decision (model/utilisation.py) with numbers, and in a running model."""

from __future__ import annotations

import math

import pytest

from lithium_abm.agents.mine import CARE, OPERATING
from lithium_abm.model.lithium_model import LithiumModel
from lithium_abm.model.utilisation import (
    average_variable_cost_usd_t,
    loss_making_share,
    marginal_cost_usd_t,
    next_utilisation,
    target_utilisation,
)

# An operation whose variable cost averages 4,000 USD/t at nameplate, spread +-30%:
# its marginal tranche costs 2,800 USD/t at u = 0 and 5,200 USD/t at u = 1.
V, S = 4000.0, 0.3


def test_marginal_cost_rises_linearly_and_averages_to_the_quoted_cost_at_nameplate():
    assert marginal_cost_usd_t(0.0, V, S) == pytest.approx(2800.0)
    assert marginal_cost_usd_t(0.5, V, S) == pytest.approx(4000.0)
    assert marginal_cost_usd_t(1.0, V, S) == pytest.approx(5200.0)
    assert average_variable_cost_usd_t(1.0, V, S) == pytest.approx(V)
    # Running half the capacity, the cheapest half: 3,400 USD/t on average.
    assert average_variable_cost_usd_t(0.5, V, S) == pytest.approx(3400.0)


@pytest.mark.parametrize(
    ("price", "expected"),
    [
        (6000.0, 1.0),  # above the dearest tranche: run at nameplate
        (5200.0, 1.0),
        (4600.0, 0.75),  # covers tranches up to marginal cost 4,600
        (4000.0, 0.5),
        (3400.0, 0.4),  # 0.25 would be optimal, but the technical minimum is 0.4
        (100.0, 0.4),
    ],
)
def test_target_utilisation_runs_the_tranches_the_price_covers(price, expected):
    assert target_utilisation(price, V, 0.0, S, 0.4) == pytest.approx(expected)


def test_a_per_tonne_cost_common_to_all_tranches_shifts_the_target():
    # 600 USD/t compliance on every tonne: at 4,600 the mine covers only up to 4,000 marginal.
    assert target_utilisation(4600.0, V, 600.0, S, 0.0) == pytest.approx(0.5)


def test_without_spread_the_choice_is_all_or_the_technical_minimum():
    assert target_utilisation(4001.0, V, 0.0, 0.0, 0.3) == 1.0
    assert target_utilisation(3999.0, V, 0.0, 0.0, 0.3) == 0.3


def test_utilisation_adjusts_partially_towards_its_target():
    assert next_utilisation(1.0, 0.4, 0.35) == pytest.approx(0.79)
    u = 1.0
    for _ in range(12):
        u = next_utilisation(u, 0.4, 0.35)
    assert 0.4 < u < 0.41  # a year later it has all but reached the target


def test_loss_making_share_is_graded_within_an_operation():
    fixed = 1000.0  # per tonne of nameplate
    # At 5,000 USD/t tranches up to marginal cost 4,000 (u = 0.5) cover their full cost.
    assert loss_making_share(1.0, 5000.0, V, 0.0, fixed, S) == pytest.approx(0.5)
    assert loss_making_share(0.5, 5000.0, V, 0.0, fixed, S) == 0.0
    assert loss_making_share(0.75, 5000.0, V, 0.0, fixed, S) == pytest.approx(1.0 / 3.0)
    assert loss_making_share(1.0, 7000.0, V, 0.0, fixed, S) == 0.0
    assert loss_making_share(1.0, 3000.0, V, 0.0, fixed, S) == 1.0
    assert loss_making_share(0.0, 3000.0, V, 0.0, fixed, S) == 0.0


def test_loss_share_at_nameplate_without_spread_is_the_old_all_or_nothing_flag():
    assert loss_making_share(1.0, 4999.0, V, 0.0, 1000.0, 0.0) == 1.0
    assert loss_making_share(1.0, 5001.0, V, 0.0, 1000.0, 0.0) == 0.0


def _operating_mine(model: LithiumModel, resource: str = "spodumene"):
    """An operating spodumene mine (technical minimum 0.4) three months into a baseline run."""
    for _ in range(3):
        model.step()
    mines = model.population.mines
    return next(m for m in mines if m.state == OPERATING and m.resource == resource)


def test_a_mine_cuts_back_progressively_when_its_price_falls(baseline_config):
    model = LithiumModel.from_config(baseline_config, 1)
    mine = _operating_mine(model)
    cost = mine.average_variable_usd_t()
    mine.decision_price_usd_t = lambda price: cost  # the owner's price = average variable cost
    mine.loss_tolerance = lambda: 100.0  # isolate the utilisation path from going idle
    target = mine.target_utilisation(0.0)
    assert 0.4 <= target < 0.6  # covers about the cheaper half of its tranches
    path = []
    for _ in range(6):
        mine._decide(0.0)
        path.append(mine.utilisation)
    assert all(b < a for a, b in zip(path, path[1:], strict=False))  # falls month by month
    assert path[0] > 0.75 and path[-1] < 0.6  # gradually, not at once
    assert mine.state == OPERATING
    del mine.loss_tolerance
    for _ in range(6):
        mine._decide(0.0)
    assert mine.state == CARE  # sustained losses: the hysteresis remains the last step


def test_the_margin_at_the_best_utilisation_beats_running_at_nameplate(baseline_config):
    model = LithiumModel.from_config(baseline_config, 1)
    mine = _operating_mine(model)
    price = 0.8 * mine.average_variable_usd_t()
    mine.decision_price_usd_t = lambda p: p
    best = mine.monthly_margin_usd(price)
    royalty = price * mine.world.royalty_rate(mine.region)
    at_nameplate = (
        price - royalty - mine.average_variable_usd_t() - mine.compliance_usd_t()
    ) * mine.monthly_capacity_t - mine.fixed_cost_usd_month
    assert best > at_nameplate
    assert math.isfinite(best)


def test_bust_months_have_graded_loss_making_shares(baseline_run):
    """With tranches, the world's loss-making share takes values between 0 and 1."""
    shares = baseline_run.model_frame["loss_making_share"].dropna()
    graded = shares[(shares > 0.05) & (shares < 0.95)]
    assert len(graded) >= 0.3 * len(shares[shares > 0.0])
