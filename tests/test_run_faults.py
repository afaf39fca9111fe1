"""Issue 13: a run directory is written whole (staged next to it, renamed into place), stale
staging directories of killed runs are removed, and a directory of other files is refused."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from lithium_abm.cli import main
from lithium_abm.experiments.runner import run_model, write_run
from lithium_abm.experiments.scenario import load_scenario


@pytest.fixture(scope="module")
def runs():
    config = replace(load_scenario("baseline"), end="2015-06")
    return run_model(config, 1), run_model(config, 2)


def test_a_run_replaces_the_earlier_one_whole(tmp_path, runs):
    out = tmp_path / "run"
    write_run(runs[0], out, figures=False)
    (out / "figures").mkdir()
    (out / "figures" / "prices.png").write_bytes(b"seed 1 figure")
    inode = out.stat().st_ino
    write_run(runs[1], out, figures=False)
    assert out.stat().st_ino != inode  # a new directory, not files renamed one by one
    assert sorted(p.name for p in out.iterdir()) == ["agents.parquet", "model.parquet", "run.json"]
    assert json.loads((out / "run.json").read_text())["seed"] == 2
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no staging left


def test_stale_staging_of_a_killed_run_is_removed(tmp_path, runs):
    stale = tmp_path / ".run.999999999.deadbeef.tmp"  # pid that cannot exist
    stale.mkdir()
    (stale / "model.parquet").write_bytes(b"half")
    write_run(runs[0], tmp_path / "run", figures=False)
    assert not stale.exists()


def test_run_refuses_a_directory_of_other_files(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    code = main(["run", "--out", str(out), "--no-figures"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "not a run's (thesis.tex)" in err[0]
    assert (out / "thesis.tex").read_text() == "precious"
