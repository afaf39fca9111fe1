"""Issue 13: counts and seeds the command line takes are bounded, so a huge one is one line and
exit 2 instead of a traceback deep in a run (the last seed beyond 2^63-1, an OverflowError in
the process pool) or a sweep that never starts (a Dask cluster of 10^18 workers)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_bad_input import assert_one_line_exit_2

from lithium_abm.cli import MAX_WHOLE, main

TINY_SPEC = """\
[experiment]
scenario = "baseline"
end = "2015-03"
design = "grid"

[parameters]
hurdle_rate = { levels = [0.08, 0.12] }
"""
LAST = str(MAX_WHOLE)  # a valid seed, but with two seeds the second would be 2^63
HUGE = str(10**18)


def _spec(tmp: Path) -> str:
    path = tmp / "spec.toml"
    path.write_text(TINY_SPEC)
    return str(path)


def _calibration_spec(tmp: Path, first_seed: int) -> str:
    path = tmp / "cal.toml"
    path.write_text(
        f"[calibration]\nseeds = 1\nfirst_seed = {first_seed}\nbudget = 1\n\n"
        "[parameters]\nhurdle_rate = true\n"
    )
    return str(path)


CASES = {
    "patterns last seed 2^63": (
        lambda t: ["patterns", "--seeds", "2", "--first-seed", LAST],
        f"--first-seed: expected a whole number in 0-{MAX_WHOLE - 1}",
    ),
    "validate last seed 2^63": (
        lambda t: ["validate", "--seeds", "2", "--first-seed", LAST, "--out", str(t / "v")],
        f"--first-seed: expected a whole number in 0-{MAX_WHOLE - 1}",
    ),
    "calibrate last seed 2^63": (
        lambda t: ["calibrate", "--budget", "1", "--seeds", "2", "--first-seed", LAST],
        f"--first-seed: expected a whole number in 0-{MAX_WHOLE - 1}",
    ),
    "calibration spec first_seed 2^64": (
        lambda t: ["calibrate", "--params", _calibration_spec(t, 2**64)],
        f"calibration.first_seed: expected a whole number in 0-{MAX_WHOLE}, got {2**64}",
    ),
    "calibrate workers 10^18": (
        lambda t: ["calibrate", "--budget", "1", "--seeds", "1", "--workers", HUGE],
        "--workers: expected a whole number in 1-1024",
    ),
    "sweep workers 10^18": (
        lambda t: ["sweep", _spec(t), "--out", str(t / "o"), "--workers", HUGE],
        "--workers: expected a whole number in 1-1024",
    ),
    "sweep dask-local 10^18": (
        lambda t: ["sweep", _spec(t), "--out", str(t / "o"), "--dask-local", HUGE],
        "--dask-local: expected a whole number in 1-1024",
    ),
    "sweep dask-scheduler empty": (
        lambda t: ["sweep", _spec(t), "--out", str(t / "o"), "--dask-scheduler", ""],
        "--dask-scheduler: expected a scheduler address such as tcp://host:8786, got ''",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_huge_counts_and_seeds_are_one_line_and_exit_2(case, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv, expected = CASES[case]
    assert_one_line_exit_2(argv(tmp_path), expected, tmp_path, capsys)
    assert not (tmp_path / "o" / "runs").exists()


def test_the_largest_seed_range_is_still_accepted():
    from lithium_abm.cli import _first_seed

    assert _first_seed(str(MAX_WHOLE - 1), "--first-seed", 2) == MAX_WHOLE - 1
    assert _first_seed(LAST, "--first-seed", 1) == MAX_WHOLE


def test_the_data_bounds_are_documented_as_enforced():
    """docs/scenarios.md lists the bounds the loader enforces (issue 13: documented bounds)."""
    from lithium_abm.experiments.scenario import CSV_BOUNDS, DEMAND_MAX_T

    docs = (Path(__file__).resolve().parents[1] / "docs" / "scenarios.md").read_text()
    assert "## Bounds on scenario data" in docs
    for column, (low, high) in CSV_BOUNDS.items():
        assert f"| `{column}` (CSV) | ({low:g}, {high:g}] |" in docs
    assert f"| `[demand_path]` values | (0, {DEMAND_MAX_T:g}] |" in docs
    assert CSV_BOUNDS["capacity_tpa"] == (0.0, 2.0e6)  # a 1e300 mine (issue 13) is far outside


def test_resource_cost_range_upside_down_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch):
    """cost_min_usd_t above cost_max_usd_t was a ValueError traceback from the cost draw."""
    import shutil

    from lithium_abm.experiments.scenario import SCENARIO_DIR

    monkeypatch.chdir(tmp_path)
    for name in ("mines_2015.csv", "refiners_2015.csv", "battery_makers.csv"):
        shutil.copy(SCENARIO_DIR / name, tmp_path / name)
    rows = (SCENARIO_DIR / "resource_base.csv").read_text().splitlines()
    assert ",2800,8000," in rows[1]
    rows[1] = rows[1].replace(",2800,8000,", ",9000,8000,", 1)
    (tmp_path / "resource_base.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "bad.toml").write_text(
        '[scenario]\nname = "bad"\nextends = "baseline"\n[data]\nmines = "mines_2015.csv"\n'
        'refiners = "refiners_2015.csv"\nbattery_makers = "battery_makers.csv"\n'
        'resource_base = "resource_base.csv"\n'
    )
    code = main(["run", "--scenario", str(tmp_path / "bad.toml"), "--no-figures"])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1, lines
    assert lines[0] == (
        "lithium-abm: error: resource_base.csv, line 2: cost_min_usd_t must be <= "
        "cost_max_usd_t, got 9000 > 8000"
    )
    assert not (tmp_path / "results").exists()
