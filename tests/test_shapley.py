"""Shapley values and interactions over a 2^k factorial against games with known answers."""

import numpy as np
import pytest

from lithium_abm.experiments import shapley


def game(k, v):
    """Values of every cell of a k-player game given v(frozenset of players)."""
    return np.array([v(frozenset(i for i in range(k) if c >> i & 1)) for c in range(2**k)])


def test_glove_game_hand_computed():
    # Player 0 holds a left glove, players 1 and 2 a right glove each; a pair is worth 1.
    values = game(3, lambda s: float(0 in s and (1 in s or 2 in s)))
    phi = shapley.shapley_values(values)
    np.testing.assert_allclose(phi, [4 / 6, 1 / 6, 1 / 6])
    assert phi.sum() == pytest.approx(values[-1] - values[0])  # efficiency


def test_additive_game_gives_each_its_own_effect():
    effects = np.array([0.4, -0.1, 0.25, 0.05])
    values = game(4, lambda s: 7.0 + sum(effects[i] for i in s))
    np.testing.assert_allclose(shapley.shapley_values(values), effects)
    np.testing.assert_allclose(shapley.interaction_index(values), np.zeros((4, 4)), atol=1e-12)


def test_pure_interaction_is_split_evenly_and_shows_in_the_index():
    values = game(3, lambda s: 0.6 if {0, 1} <= s else 0.0)
    np.testing.assert_allclose(shapley.shapley_values(values), [0.3, 0.3, 0.0])
    inter = shapley.interaction_index(values)
    assert inter[0, 1] == pytest.approx(0.6)
    assert inter[1, 0] == pytest.approx(0.6)
    assert inter[0, 2] == pytest.approx(0.0)


def test_symmetry_null_player_and_efficiency_on_a_random_game():
    rng = np.random.default_rng(3)
    base = rng.normal(size=8)  # a 3-player game
    # player 3 is null: v(S + 3) = v(S)
    values = np.concatenate([base, base])
    phi = shapley.shapley_values(values)
    assert phi[3] == pytest.approx(0.0, abs=1e-12)
    assert phi.sum() == pytest.approx(values[-1] - values[0])
    # symmetric players 0 and 1: v depends on them only through how many are in
    sym = game(3, lambda s: len(s & {0, 1}) ** 2 + (2.5 if 2 in s else 0.0) * len(s))
    phi = shapley.shapley_values(sym)
    assert phi[0] == pytest.approx(phi[1])
    assert phi.sum() == pytest.approx(sym[-1] - sym[0])


def test_trailing_axes_and_cell_index():
    values = np.stack([game(2, lambda s: float(len(s))), game(2, lambda s: float(0 in s))], 1)
    phi = shapley.shapley_values(values)
    np.testing.assert_allclose(phi, [[1.0, 1.0], [1.0, 0.0]])
    on = np.array([[True, False], [False, True], [True, True], [False, False]])
    np.testing.assert_array_equal(shapley.cell_index(on), [1, 2, 3, 0])


def test_bootstrap_interval_is_a_point_when_seeds_agree_and_brackets_otherwise():
    values = game(2, lambda s: 1.0 * (0 in s) + 0.5 * (1 in s))
    table = np.repeat(values[:, None], 5, axis=1)
    low, high = shapley.bootstrap_shapley(table, replicates=200)
    np.testing.assert_allclose(low, [1.0, 0.5])
    np.testing.assert_allclose(high, [1.0, 0.5])
    noisy = table + np.random.default_rng(1).normal(scale=0.1, size=table.shape)
    low, high = shapley.bootstrap_shapley(noisy, replicates=200)
    point = shapley.shapley_values(noisy.mean(axis=1))
    assert np.all(low <= point) and np.all(point <= high)
    assert np.all(high - low > 0.0)


def test_cell_means_and_bad_sizes():
    means = shapley.cell_means(np.array([0, 0, 1, 3]), np.array([1.0, 3.0, 5.0, 7.0]), 2)
    np.testing.assert_allclose(means[[0, 1, 3]], [2.0, 5.0, 7.0])
    assert np.isnan(means[2])
    with pytest.raises(ValueError, match="2\\^k"):
        shapley.shapley_values(np.zeros(6))
