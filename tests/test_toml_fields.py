"""Issue 9: one validation core (experiments/toml_fields.py) for the scenario, experiment spec
and calibration spec TOML files: the same mistake gives the same line in each of them,
``FILE: FIELD: expected ALLOWED, got VALUE``."""

from __future__ import annotations

import pytest

from lithium_abm.experiments import calibration, spec
from lithium_abm.experiments.scenario import load_scenario

SPEC_HEAD = '[experiment]\nscenario = "baseline"\ndesign = "grid"\n'
SPEC_AXIS = "[parameters]\nhurdle_rate = { levels = [0.1] }\n"
LOADERS = {"scenario": load_scenario, "spec": spec.load_spec, "calibration": calibration.load_spec}

CASES = [
    (
        "scenario",
        '[scenario]\nname = "x"\ncolour = "red"\n',
        "unknown key scenario.colour; allowed: clearing_rule, description, end, extends, name, "
        "start",
    ),
    (
        "spec",
        "[experiment]\ncolour = 1\n",
        "unknown key experiment.colour; allowed: batch_size, description, design, design_seed, "
        "end, first_seed, metric_modules, metrics, monthly_columns, morris_levels, name, "
        "samples, scenario, second_order, seeds, start",
    ),
    (
        "calibration",
        "[calibration]\ncolour = 1\n",
        "unknown key calibration.colour; allowed: budget, first_seed, optimiser_seed, "
        "pattern_pass_share, scenario, seeds",
    ),
    (
        "spec",
        SPEC_HEAD + "seeds = 0\n" + SPEC_AXIS,
        "experiment.seeds: expected a whole number in 1-100000, got 0",
    ),
    (
        "calibration",
        "[calibration]\nseeds = 0\n",
        "calibration.seeds: expected a whole number in 1-100000, got 0",
    ),
    (
        "scenario",
        'parameters = 3\n[scenario]\nname = "x"\n',
        "parameters must be a table [parameters]",
    ),
    ("spec", "parameters = 3\n" + SPEC_HEAD, "parameters must be a table [parameters]"),
    # was an AttributeError traceback: the calibration loader did not check for tables
    ("calibration", "parameters = 3\n", "parameters must be a table [parameters]"),
    (
        "spec",
        SPEC_HEAD + 'start = "2015-13"\n' + SPEC_AXIS,
        "experiment.start: expected a month as 'YYYY-MM' with a year in 1900-2200, got '2015-13'",
    ),
    (
        "calibration",
        "[calibration]\npattern_pass_share = nan\n",
        "calibration.pattern_pass_share: expected a number in (0, 1], got nan",
    ),
]


@pytest.mark.parametrize(("kind", "text", "message"), CASES)
def test_one_line_names_the_file_the_field_and_the_allowed_values(tmp_path, kind, text, message):
    path = tmp_path / f"{kind}.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError) as err:
        LOADERS[kind](path)
    assert str(err.value) == f"{path}: {message}"
