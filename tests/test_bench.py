"""The benchmarks: the scaled population keeps the market's size, `bench --quick` prints, and
`bench --dashboard` drives a (tiny) class through the dashboard and leaves no server behind."""

from __future__ import annotations

import json
import math

import pytest

from lithium_abm.cli import main
from lithium_abm.experiments.bench import scaled_config
from lithium_abm.experiments.scenario import load_scenario


def test_scaled_population_has_k_copies_of_the_same_market():
    base = load_scenario("baseline")
    big = scaled_config(base, 3)
    assert len(big.mines) == 3 * len(base.mines)
    assert len({m.name for m in big.mines}) == len(big.mines)
    for field, specs in (("capacity_tpa", "mines"), ("capacity_tpa", "refiners")):
        before = sum(getattr(s, field) for s in getattr(base, specs))
        after = sum(getattr(s, field) for s in getattr(big, specs))
        assert math.isclose(before, after)
    assert math.isclose(sum(b.demand_share for b in big.battery_makers), 1.0)
    groups = {m.group for m in big.mines if m.group}
    assert groups == {f"{m.group}#{i}" for m in base.mines if m.group for i in (1, 2, 3)}
    assert big.demand_path_t == base.demand_path_t and big.params == base.params


def test_bench_quick_prints_its_table(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["bench", "--quick", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Baseline run (252 months): median" in text
    assert "   10x" in text and "Sweep throughput" in text
    data = json.loads(out.read_text())
    assert data["baseline"]["median_s"] > 0
    assert [r["factor"] for r in data["scaling"]] == [1, 10]
    assert data["scaling"][1]["mines_start"] == 10 * data["scaling"][0]["mines_start"]
    assert all(r["runs"] > 0 for r in data["throughput"])


def test_bench_dashboard_tiny_class(tmp_path):
    """Two sessions of two steps, run as a user would: every figure is there, the goals are
    printed beside them, and the server (its whole process group) is gone afterwards."""
    import socket
    import subprocess
    import sys

    import psutil

    pytest.importorskip("playwright.async_api", reason="playwright is a dev dependency")
    from lithium_abm.experiments.bench_dashboard import GOALS, find_chromium

    if find_chromium() is None:
        pytest.skip("no Chromium (apt-get install chromium-headless-shell)")
    out = tmp_path / "dash.json"
    cmd = [sys.executable, "-m", "lithium_abm", "bench", "--dashboard", "--sessions", "2"]
    cmd += ["--months", "2", "--settle", "1", "--to", "2015-04", "--out", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    data = json.loads(out.read_text())
    assert (data["sessions"], data["months"], data["to_month"]) == (2, 2, "2015-04")
    assert data["class_steps"] == 4 and data["class_steps_failed"] == 0
    assert 0 < data["single_step_median_s"] <= data["single_step_max_s"]
    assert 50 < data["idle_mb"] <= data["peak_mb"] and data["after_close_mb"] > 50
    assert data["play_to_s"] > 0 and data["run_to_s"] > 0
    assert set(data["goals"]) == {g.key for g in GOALS}
    for goal in GOALS:
        assert goal.text in done.stdout and data["goals"][goal.key]["limit"] == goal.limit
    assert "2 sessions: median step" in done.stdout and "load" in done.stdout
    assert data["server_left"] is False
    assert not psutil.pid_exists(data["server_pid"])
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", data["port"])) != 0, "the server still listens"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sessions", "0"], "--sessions: expected a whole number 1-200, got '0'"),
        (["--sessions", "2.5"], "--sessions: expected a whole number 1-200, got '2.5'"),
        (["--months", "many"], "--months: expected a whole number 1-120, got 'many'"),
        (["--to", "2031-01"], "--to: expected YYYY-MM after 2015-01 and up to 2027-12"),
    ],
)
def test_bench_dashboard_bad_input_is_one_line(args, message, capsys):
    assert main(["bench", "--dashboard", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_dashboard_options_need_dashboard(capsys):
    assert main(["bench", "--sessions", "3"]) == 2
    assert "--sessions: only with --dashboard" in capsys.readouterr().err
