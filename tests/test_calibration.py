"""``lithium-abm calibrate``: parameter validation, spec files, and a tiny deterministic fit.

The fits run on a scenario cut at 2025-12 (every target lies before it) with 2 seeds and a
budget of 4 evaluations: about 3 s each.
"""

from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from lithium_abm.cli import main
from lithium_abm.experiments.calibration import (
    DEFAULT_PARAMS,
    CalibrationError,
    CalibrationSpec,
    FitParam,
    _Evaluator,
    fit_params,
    load_spec,
    with_values,
)
from lithium_abm.experiments.scenario import load_scenario
from lithium_abm.experiments.targets import TARGETS
from lithium_abm.model.parameters import PARAMETERS

SHORT = """\
[scenario]
name = "short"
extends = "baseline"
end = "2025-12"
"""
FIT = ["--params", "bid_urgency,care_loss_months", "--seeds", "2", "--budget", "4"]


@pytest.fixture(scope="module")
def short_scenario(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("calibration") / "short.toml"
    path.write_text(SHORT, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def two_fits(short_scenario, tmp_path_factory) -> list[Path]:
    """The same tiny calibration twice, into two directories."""
    outs = []
    for name in ("a", "b"):
        out = tmp_path_factory.mktemp(name) / "fit.toml"
        code = main(["calibrate", "--scenario", str(short_scenario), *FIT, "--out", str(out)])
        assert code == 0
        outs.append(out)
    return outs


# --- parameters and specs -----------------------------------------------------------------------


def test_default_parameters_take_their_documented_ranges():
    params = fit_params(list(DEFAULT_PARAMS))
    for p in params:
        assert (p.low, p.high) == (PARAMETERS[p.name].low, PARAMETERS[p.name].high)


@pytest.mark.parametrize(
    ("names", "narrowed", "words"),
    [
        (["hoarding_sensitivty"], {}, ["hoarding_sensitivty", "unknown"]),
        (["integration_enabled"], {}, ["integration_enabled", "switch"]),
        (["bid_urgency"], {"bid_urgency": (0.0, 5.0)}, ["bid_urgency", "documented range"]),
        (["bid_urgency"], {"bid_urgency": (0.5, 0.5)}, ["low < high"]),
        (["bid_urgency", "bid_urgency"], {}, ["twice"]),
        ([], {}, ["no parameters"]),
    ],
)
def test_bad_parameters_are_refused(names, narrowed, words):
    with pytest.raises(CalibrationError) as info:
        fit_params(names, narrowed)
    for word in words:
        assert word in str(info.value)


def test_candidates_stay_in_bounds_and_integers_stay_integers():
    p = FitParam("restart_delay_months", 1, 36, integer=True)
    assert p.from_unit(0.5) == 18 and isinstance(p.from_unit(0.5), int)
    q = FitParam("bid_urgency", 0.0, 2.0)
    assert q.from_unit(-1.0) == 0.0 and q.from_unit(2.0) == 2.0
    assert q.from_unit(1 / 3) == 0.66667  # rounded so the TOML file reproduces it exactly


def test_candidates_apply_to_the_scenario_as_overrides_would(short_scenario):
    values = {"bid_urgency": 0.75, "restart_delay_months": 9.0}
    built = with_values(load_scenario(short_scenario), values)
    loaded = load_scenario(short_scenario, values)
    assert built.params == loaded.params
    assert isinstance(built.params["restart_delay_months"], int)
    with pytest.raises(ValueError, match="bid_urgency"):
        with_values(loaded, {"bid_urgency": 9.0})


def test_spec_file_narrows_ranges_and_sets_weights(tmp_path):
    spec_file = tmp_path / "spec.toml"
    spec_file.write_text(
        "[calibration]\nscenario = 'no_support'\nseeds = 3\nbudget = 7\n"
        "[parameters]\nbid_urgency = [0.0, 0.5]\nanchor_weight = true\n"
        "[weights]\npeak_offset_months = 0.0\n",
        encoding="utf-8",
    )
    spec = load_spec(spec_file)
    assert spec.scenario == "no_support" and spec.seeds == 3 and spec.budget == 7
    assert spec.params == (
        FitParam("bid_urgency", 0.0, 0.5),
        FitParam("anchor_weight", 0.0, 1.0),
    )
    assert spec.weights == {"peak_offset_months": 0.0}
    assert spec.pattern_pass_share == 0.8 and spec.start == {}


def test_spec_file_takes_a_pattern_bar_and_a_warm_start(tmp_path):
    spec_file = tmp_path / "spec.toml"
    spec_file.write_text(
        "[calibration]\npattern_pass_share = 1.0\n[parameters]\nbid_urgency = [0.0, 0.5]\n"
        "[start]\nbid_urgency = 0.2\n",
        encoding="utf-8",
    )
    spec = load_spec(spec_file)
    assert spec.pattern_pass_share == 1.0
    assert spec.start == {"bid_urgency": 0.2}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[calibration]\nbudgett = 3\n", ["budgett"]),
        ("[params]\n", ["params"]),
        ("[parameters]\nbid_urgency = 'wide'\n", ["bid_urgency", "[low, high]"]),
        ("[weights]\nno_such_target = 1.0\n", ["no_such_target"]),
        ("[weights]\npeak_offset_months = nan\n", ["peak_offset_months", "finite number >= 0"]),
        ("[weights]\npeak_offset_months = inf\n", ["peak_offset_months", "finite number >= 0"]),
        ("[parameters]\nbid_urgency = [nan, 0.5]\n", ["bid_urgency", "low < high"]),
        ("[calibration]\nseeds = 0\n", ["seeds", "whole number in 1-100000"]),
        ("[calibration\n", ["TOML"]),
        ("[calibration]\npattern_pass_share = 1.5\n", ["pattern_pass_share", "(0, 1]"]),
        ("[parameters]\nbid_urgency = true\n[start]\nanchor_weight = 0.5\n", ["start.anchor"]),
        ("[parameters]\nbid_urgency = [0.0, 0.5]\n[start]\nbid_urgency = 0.9\n", ["[0, 0.5]"]),
    ],
)
def test_bad_spec_files_are_refused(tmp_path, text, words):
    spec_file = tmp_path / "spec.toml"
    spec_file.write_text(text, encoding="utf-8")
    with pytest.raises(CalibrationError) as info:
        load_spec(spec_file)
    for word in words:
        assert word in str(info.value)


# --- the command ----------------------------------------------------------------------------------


def test_calibrate_writes_a_loadable_scenario_within_range(two_fits, short_scenario):
    out = two_fits[0]
    config = load_scenario(out)
    base = load_scenario(short_scenario)
    assert config.end == "2025-12" and config.name == "fit"
    with out.open("rb") as fh:
        fitted = tomllib.load(fh)["parameters"]
    assert set(fitted) == {"bid_urgency", "care_loss_months"}
    for name, value in fitted.items():
        assert PARAMETERS[name].low <= value <= PARAMETERS[name].high
        assert config.params[name] == value
    # Everything not fitted is inherited from the base scenario.
    assert config.params["hurdle_rate"] == base.params["hurdle_rate"]
    header = out.read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("# Calibrated by `lithium-abm calibrate")


def test_calibrate_writes_the_fit_report(two_fits):
    report = two_fits[0].with_name("fit_report")
    table = pd.read_csv(report / "fit_report.csv")
    assert list(table["target"]) == [t.name for t in TARGETS if t.in_sample]
    for column in ("before_moment", "after_moment", "after_p10", "after_p90", "weight"):
        assert column in table.columns
    history = pd.read_csv(report / "evaluations.csv")
    assert len(history) == 4 and history["phase"].iloc[0] == "before"
    # The fitted point is the best evaluation, and never worse than the start.
    assert table["after_contribution"].sum() == pytest.approx(history["objective"].min())
    assert history["objective"].min() <= history["objective"].iloc[0]
    text = (report / "fit_report.md").read_text(encoding="utf-8")
    for heading in ("# Calibration fit report", "## Parameters", "## Targets"):
        assert heading in text


def test_calibrate_is_deterministic(two_fits):
    a, b = (p.read_text(encoding="utf-8").splitlines() for p in two_fits)
    # Only the date line and the --out path in the command may differ.
    differ = {i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y}
    assert differ <= {0, 1}
    for name in ("fit_report.csv", "evaluations.csv"):
        left, right = (p.with_name("fit_report") / name for p in two_fits)
        assert left.read_bytes() == right.read_bytes()


def test_parallel_workers_give_the_sequential_answer(short_scenario):
    """Workers change only the speed: same per-seed statistics, same objective, same order."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    spec = CalibrationSpec(
        params=fit_params(["anchor_weight"]), scenario=str(short_scenario), seeds=1, budget=2
    )
    points = [{"anchor_weight": 0.2}, {"anchor_weight": 0.9}]
    sequential = _Evaluator(spec, TARGETS, None, None).evaluate_many(points, "test")
    with ProcessPoolExecutor(2, mp_context=get_context("spawn")) as pool:  # as the command
        parallel = _Evaluator(spec, TARGETS, pool, None).evaluate_many(points, "test")
    assert sequential[0].objective != sequential[1].objective  # the test can tell them apart
    for s, p in zip(sequential, parallel, strict=True):
        pd.testing.assert_frame_equal(s.per_seed, p.per_seed)
        assert s.objective == p.objective


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--params", "bid_urgncy"], ["--params", "bid_urgncy", "unknown"]),
        (["--params", "missing_spec.toml"], ["--params", "missing_spec.toml"]),
        (["--seeds", "0"], ["--seeds", "whole number in 1-"]),
        (["--budget", "many"], ["--budget"]),
        (["--scenario", "nowhere"], ["nowhere"]),
        (["--out", "fit.txt"], ["--out", ".toml"]),
    ],
)
def test_bad_input_is_one_line_with_exit_2_and_writes_nothing(tmp_path, capsys, args, words):
    out = tmp_path / "fit.toml"
    argv = ["calibrate", "--out", str(out), *args]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lithium-abm: error:")
    for word in words:
        assert word in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_help_answers(capsys):
    for command in ("calibrate", "validate"):
        with pytest.raises(SystemExit) as info:
            main([command, "--help"])
        assert info.value.code == 0
        assert "--seeds" in capsys.readouterr().out


def test_warm_start_is_evaluated_and_a_higher_pattern_bar_costs_more(short_scenario):
    from lithium_abm.experiments.calibration import calibrate

    params = fit_params(["anchor_weight"])
    base = CalibrationSpec(params=params, scenario=str(short_scenario), seeds=1, budget=2)
    warm = calibrate(replace(base, start={"anchor_weight": 0.3}))
    assert [e.phase for e in warm.history] == ["before", "start"]
    assert warm.history[1].values == {"anchor_weight": 0.3}
    strict = calibrate(replace(base, budget=1, pattern_pass_share=1.0))
    lenient = calibrate(replace(base, budget=1, pattern_pass_share=0.01))
    patterns = strict.before.summary["target"].str.startswith("pattern_")
    assert (strict.before.summary.loc[patterns, "low"] == 1.0).all()
    strict_cost = strict.before.summary.loc[patterns, "contribution"].sum()
    lenient_cost = lenient.before.summary.loc[patterns, "contribution"].sum()
    assert lenient_cost < 0.01 < strict_cost
