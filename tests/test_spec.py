"""Experiment specs: valid designs give the documented number of points in range; malformed
specs give one message naming the field, also through the command line (exit 2, one line)."""

from __future__ import annotations

import numpy as np
import pytest

from lithium_abm.cli import main
from lithium_abm.experiments.spec import (
    SpecError,
    design_matrix,
    design_points,
    load_spec,
    parse_spec,
)

HEAD = '[experiment]\nscenario = "baseline"\n'


def spec(design: str, params: str, extra: str = "") -> str:
    return f'{HEAD}design = "{design}"\n{extra}\n[parameters]\n{params}\n'


def test_grid_is_the_product_of_levels_and_steps():
    s = parse_spec(
        spec(
            "grid",
            "hurdle_rate = { levels = [0.08, 0.12, 0.16] }\n"
            "restart_delay_months = { range = [2, 12], steps = 3 }\n"
            "integration_enabled = { levels = [true, false] }",
            "seeds = 2",
        )
    )
    points = design_points(s)
    assert len(points) == 3 * 3 * 2
    assert {p["restart_delay_months"] for p in points} == {2, 7, 12}
    assert all(isinstance(p["restart_delay_months"], int) for p in points)
    assert {p["integration_enabled"] for p in points} == {True, False}
    assert s.seeds == 2


def test_lhs_is_seeded_in_range_and_rounds_integers():
    text = spec(
        "lhs",
        "hurdle_rate = { range = [0.06, 0.18] }\nrestart_delay_months = { range = [2, 12] }",
        "samples = 20\ndesign_seed = 5",
    )
    a, b = design_points(parse_spec(text)), design_points(parse_spec(text))
    assert a == b and len(a) == 20
    rates = np.array([p["hurdle_rate"] for p in a])
    assert rates.min() >= 0.06 and rates.max() <= 0.18
    # Latin hypercube: one point in each of the 20 strata of the range.
    strata = np.floor((rates - 0.06) / 0.12 * 20).astype(int)
    assert sorted(strata) == list(range(20))
    assert all(isinstance(p["restart_delay_months"], int) for p in a)
    other = design_points(parse_spec(text.replace("design_seed = 5", "design_seed = 6")))
    assert other != a


@pytest.mark.parametrize(
    ("design", "extra", "runs"),
    [
        ("sobol", "samples = 8", 8 * (3 + 2)),
        ("sobol", "samples = 8\nsecond_order = true", 8 * (2 * 3 + 2)),
        ("morris", "samples = 5", 5 * (3 + 1)),
    ],
)
def test_salib_designs_have_the_documented_size(design, extra, runs):
    params = (
        "hurdle_rate = { range = [0.06, 0.18] }\n"
        "trend_weight = { range = [0.0, 1.5] }\n"
        "restart_delay_months = { range = [2, 12] }"
    )
    s = parse_spec(spec(design, params, extra))
    assert design_matrix(s).shape == (runs, 3)
    assert len(design_points(s)) == runs


def test_shipped_specs_are_valid():
    small = load_spec("small")
    assert small.design == "grid" and len(design_points(small)) * small.seeds <= 16
    for name in ("sobol_full", "morris_screen"):
        s = load_spec(name)
        assert s.design in ("sobol", "morris") and len(s.axes) >= 6


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("this is not toml", "not valid TOML"),
        ('[experiment]\ndesign = "grid"\n', "experiment.scenario is required"),
        (spec("fractional", "x = 1"), "experiment.design: expected one of grid, lhs, sobol"),
        (spec("grid", "hurdle_rate = { levels = [0.1] }", "seeds = 0"), "experiment.seeds"),
        (
            spec("grid", "hurdle_rate = { levels = [0.1] }", "colour = 1"),
            "unknown key experiment.colour",
        ),
        (spec("grid", "no_such_param = { levels = [1] }"), "parameters.no_such_param: unknown"),
        (
            spec("lhs", "hurdle_rate = { range = [0.1, 0.9] }", "samples = 4"),
            "parameters.hurdle_rate.range: expected float in [0.0, 0.5]",
        ),
        (spec("lhs", "hurdle_rate = { range = [0.2, 0.1] }", "samples = 4"), "low must be below"),
        (spec("lhs", "hurdle_rate = { range = [0.1, 0.2] }"), "experiment.samples is required"),
        (
            spec("sobol", "hurdle_rate = { levels = [0.1, 0.2] }", "samples = 4"),
            "parameters.hurdle_rate.levels: design 'sobol' samples a range",
        ),
        (spec("grid", "hurdle_rate = { range = [0.1, 0.2] }"), "steps >= 2"),
        (
            spec("lhs", "integration_enabled = { range = [0, 1] }", "samples = 4"),
            "true/false switch",
        ),
        (
            spec("grid", "hurdle_rate = { levels = [0.1] }\n[fixed]\nhurdle_rate = 0.2"),
            "fixed.hurdle_rate: also varied",
        ),
        (
            spec("grid", "hurdle_rate = { levels = [0.1] }", 'metrics = ["nope"]'),
            "experiment.metrics: unknown metric 'nope'",
        ),
        (spec("grid", "hurdle_rate = { levels = [0.1] }", 'end = "2024-13"'), "experiment.end"),
        (
            spec(
                "morris", "hurdle_rate = { range = [0.1, 0.2] }", "samples = 2\nmorris_levels = 3"
            ),
            "even number",
        ),
        (HEAD + 'design = "grid"\n', "[parameters] must vary at least one"),
    ],
)
def test_malformed_spec_names_the_field(text, message):
    from lithium_abm.experiments.spec import check_metrics

    with pytest.raises(SpecError) as err:
        check_metrics(parse_spec(text))
    assert message in str(err.value)


def test_malformed_spec_through_the_cli_is_one_line_exit_2(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(spec("lhs", "hurdle_rate = { range = [0.1, 0.9] }", "samples = 4"))
    code = main(["sweep", str(path), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1  # the line names the file, then the field
    assert err.startswith(f"lithium-abm: error: {path}: parameters.hurdle_rate.range: expected")
    assert not (tmp_path / "out").exists()
    assert main(["sweep", str(tmp_path / "missing.toml"), "--out", str(tmp_path / "o")]) == 2
    assert "does not exist" in capsys.readouterr().err
