"""LithiumModel as a Mesa user expects it: keyword parameters, seeds, running, DataCollector and
``mesa.batch_run``."""

from __future__ import annotations

import mesa
import pandas as pd
import pytest

from lithium_abm.model.lithium_model import MAX_SEED, LithiumModel
from lithium_abm.model.recorder import model_columns

END = "2015-06"


def test_parameters_are_keyword_arguments_validated_like_set():
    model = LithiumModel("baseline", seed=1, end=END, hurdle_rate=0.1)
    assert model.p["hurdle_rate"] == 0.1
    assert model.params.investment.hurdle_rate == 0.1
    with pytest.raises(ValueError, match=r"hurdle_rate: expected float in \["):
        LithiumModel("baseline", seed=1, end=END, hurdle_rate=-1.0)
    with pytest.raises(ValueError, match="hurdle_rat"):
        LithiumModel("baseline", seed=1, end=END, hurdle_rat=0.1)


def test_seed_none_draws_a_seed_that_reproduces_the_run():
    drawn = LithiumModel(end=END)
    assert isinstance(drawn.seed, int) and 0 <= drawn.seed <= MAX_SEED
    first = drawn.run().model_frame()
    again = LithiumModel(end=END, seed=drawn.seed).run().model_frame()
    pd.testing.assert_frame_equal(first, again, check_exact=True)


def test_rng_is_an_alias_of_seed():
    by_rng = LithiumModel(end=END, rng=7).run().model_frame()
    by_seed = LithiumModel(end=END, seed=7).run().model_frame()
    pd.testing.assert_frame_equal(by_rng, by_seed, check_exact=True)


@pytest.mark.parametrize("seed", [1.5, "1", True, -1, MAX_SEED + 1])
def test_non_integer_or_out_of_range_seeds_are_refused(seed):
    with pytest.raises(ValueError, match=r"seed: expected an integer in \[0, "):
        LithiumModel(end=END, seed=seed)


def test_running_turns_false_after_the_last_month_and_further_steps_do_nothing():
    model = LithiumModel(end=END, seed=1)
    steps = 0
    while model.running:
        model.step()
        steps += 1
    assert steps == model.n_months
    frame = model.model_frame()
    assert len(frame) == model.n_months
    month, transfers = model.month, model.ledger.transfers
    balances = list(model.ledger.balances)
    draws = model.rng.bit_generator.state["state"]["state"]
    for _ in range(24):  # past two budget years and eight policy reviews
        model.step()
    assert (model.month, len(model.model_frame())) == (month, len(frame))
    assert (model.ledger.transfers, model.ledger.balances) == (transfers, balances)
    assert model.rng.bit_generator.state["state"]["state"] == draws  # no exploration year ran


def test_datacollector_reports_the_monthly_table():
    model = LithiumModel(end=END, seed=2).run()
    collected = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    frame = model.model_frame()
    assert list(frame.columns) == list(model_columns())
    assert list(collected.columns) == list(model_columns()[1:])  # all but the date
    pd.testing.assert_frame_equal(collected, frame.drop(columns="date"), check_dtype=False)


def test_mesa_batch_run_sweeps_a_parameter():
    results = mesa.batch_run(
        LithiumModel,
        parameters={"scenario": "baseline", "end": END, "hurdle_rate": [0.08, 0.12]},
        rng=[3],
        max_steps=100,
        number_processes=1,
        data_collection_period=-1,
        display_progress=False,
    )
    assert sorted(r["hurdle_rate"] for r in results) == [0.08, 0.12]
    for row in results:
        assert row["price_chemical_usd_t"] > 0.0
        assert row["scenario"] == "baseline"
