"""Issue 13: bad input gets one line naming the field and the allowed values, exit 2, no
traceback, before any computation (the bad-input table of the issue, one case a row)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lithium_abm.cli import main
from lithium_abm.experiments.scenario import SCENARIO_DIR

TINY_SPEC = """\
[experiment]
scenario = "baseline"
end = "2015-03"
design = "grid"
{extra}

[parameters]
hurdle_rate = {{ levels = [0.08, 0.12] }}
"""


def _scenario(tmp: Path, *, mines_edit=None, demand=None, start=None, end=None) -> str:
    """A scenario extending the baseline with an edited mines file, demand path or span."""
    lines = ["[scenario]", 'name = "bad"', 'extends = "baseline"']
    if start:
        lines.append(f'start = "{start}"')
    if end:
        lines.append(f'end = "{end}"')
    if mines_edit:
        text = (SCENARIO_DIR / "mines_2015.csv").read_text().splitlines()
        old, new = mines_edit
        text[1] = text[1].replace(old, new, 1)
        (tmp / "mines.csv").write_text("\n".join(text) + "\n")
        for name in ("refiners_2015.csv", "battery_makers.csv", "resource_base.csv"):
            shutil.copy(SCENARIO_DIR / name, tmp / name)
        lines += [
            "[data]",
            'mines = "mines.csv"',
            'refiners = "refiners_2015.csv"',
            'battery_makers = "battery_makers.csv"',
            'resource_base = "resource_base.csv"',
        ]
    if demand:
        lines += ["[demand_path]", *demand]
    path = tmp / "bad.toml"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _spec(tmp: Path, extra: str) -> str:
    path = tmp / "spec.toml"
    path.write_text(TINY_SPEC.format(extra=extra))
    return str(path)


CASES = {
    "int param inf": (lambda t: ["run", "--set", "restart_delay_months=inf"], "restart_delay"),
    "int param 1e400": (lambda t: ["run", "--set", "restart_delay_months=1e400"], "int in [1"),
    "float param nan": (lambda t: ["run", "--set", "hurdle_rate=nan"], "hurdle_rate"),
    "seed beyond 2^63": (lambda t: ["run", "--seed", str(2**64)], "--seed"),
    "csv capacity nan": (
        lambda t: ["run", "--scenario", _scenario(t, mines_edit=(",40000,", ",nan,"))],
        "capacity_tpa must be a finite number",
    ),
    "csv capacity 1e300": (
        lambda t: ["run", "--scenario", _scenario(t, mines_edit=(",40000,", ",1e300,"))],
        "capacity_tpa must be a finite number in (0, 2e+06]",
    ),
    "csv cost inf": (
        lambda t: ["run", "--scenario", _scenario(t, mines_edit=(",4000,", ",inf,"))],
        "cost_usd_t must be a finite number",
    ),
    "demand nan": (
        lambda t: ["run", "--scenario", _scenario(t, demand=["2015 = nan", "2035 = 2e6"])],
        "demand_path.2015",
    ),
    "demand inf": (
        lambda t: ["run", "--scenario", _scenario(t, demand=["2015 = 2e5", "2035 = inf"])],
        "demand_path.2035",
    ),
    "year 0000": (
        lambda t: ["run", "--scenario", _scenario(t, start="0000-01")],
        "year in 1900-2200",
    ),
    "years 9990-9999": (
        lambda t: ["run", "--scenario", _scenario(t, start="9990-01", end="9999-12")],
        "year in 1900-2200",
    ),
    "spec seed 2^64": (
        lambda t: ["sweep", _spec(t, f"first_seed = {2**64}"), "--out", str(t / "o")],
        "experiment.first_seed",
    ),
    "spec start year 0000": (
        lambda t: ["sweep", _spec(t, 'start = "0000-01"'), "--out", str(t / "o")],
        "experiment.start",
    ),
    "dask url": (
        lambda t: [
            "sweep",
            _spec(t, ""),
            "--out",
            str(t / "o"),
            "--dask-scheduler",
            "not a url",
        ],
        "--dask-scheduler",
    ),
    "sweep read-only out": (
        lambda t: ["sweep", _spec(t, ""), "--out", "/proc/1/lithium-out"],
        "--out: cannot write",
    ),
    "validate read-only out": (
        lambda t: ["validate", "--seeds", "1", "--out", "/proc/1/lithium-out"],
        "--out: cannot write",
    ),
    "calibrate read-only out": (
        lambda t: ["calibrate", "--budget", "2", "--out", "/proc/1/fit.toml"],
        "--out: cannot write",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_line_and_exit_2(case, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv, expected = CASES[case]
    assert_one_line_exit_2(argv(tmp_path), expected, tmp_path, capsys)


def assert_one_line_exit_2(argv: list[str], expected: str, tmp_path, capsys) -> None:
    """The command exits 2 with one error line holding ``expected``, and writes no results."""
    code = main(argv)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("lithium-abm: error:"), err
    assert expected in lines[0], err
    assert not (tmp_path / "results").exists()  # nothing computed or written


def test_horizon_beyond_the_demand_data_warns_once(tmp_path, capsys):
    from lithium_abm.experiments.scenario import load_scenario

    load_scenario("baseline", end="2099-12")
    load_scenario("baseline", end="2099-12")
    err = capsys.readouterr().err
    assert err.count("beyond its demand path's data") == 1
