"""Issue 9 item 7: the counterfactual defined once (as scenario data) and one simulation path."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from lithium_abm.experiments.runner import run_model, simulate
from lithium_abm.experiments.scenario import counterfactual_overrides, load_scenario
from lithium_abm.experiments.targets import counterfactual_config
from lithium_abm.experiments.validation import COUNTERFACTUAL


def test_counterfactual_is_the_no_support_scenario_data():
    base, no_support = load_scenario("baseline"), load_scenario("no_support")
    changed = {k: v for k, v in no_support.params.items() if base.params[k] != v}
    assert counterfactual_overrides() == changed == COUNTERFACTUAL
    assert counterfactual_config(base).params == no_support.params


def test_one_simulation_path_for_model_and_full_records():
    config = replace(load_scenario("baseline"), end="2015-12")
    frame = simulate(config, 3, record="model")
    full = simulate(config, 3, record="all")
    pd.testing.assert_frame_equal(frame, full.model_df)
    pd.testing.assert_frame_equal(frame, run_model(config, 3).model_df)
    assert len(full.agents_df) > 0
