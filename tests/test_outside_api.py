"""Issue 13: lithium_abm.simulate for outside tools and an EMA model from the registry, driven
by EMA's evaluators (one point raising inside must not hang them), a ReplicatorModel and PRIM."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lithium_abm
from lithium_abm.experiments.metrics import register_metric

END = "2015-09"
RAISE_DIR = Path(os.environ.setdefault("LITHIUM_ABM_TEST_RAISE_DIR", tempfile.mkdtemp()))


@register_metric("test_raise_once", unit="-", doc="test only: raises in the first run (armed)")
def raise_once(df: pd.DataFrame) -> float:
    if (RAISE_DIR / "armed").exists():
        try:
            os.close(os.open(RAISE_DIR / "raised", os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            return 0.0
        raise RuntimeError("boom inside the model")
    return 0.0


def test_simulate_returns_the_registry_metrics():
    out = lithium_abm.simulate("baseline", seed=1, end="2016-12", hurdle_rate=0.1)
    from lithium_abm.experiments.metrics import METRICS

    assert set(out) == set(METRICS)
    assert out["peak_price_usd_t"] > 1000
    again = lithium_abm.simulate("baseline", seed=1, end="2016-12", hurdle_rate=0.1)
    assert again["peak_price_usd_t"] == out["peak_price_usd_t"]


def test_simulate_refuses_bad_input_and_reports_inner_failures(tmp_path):
    from lithium_abm.experiments.scenario import ScenarioError

    with pytest.raises(ScenarioError, match="hurdle_rate"):
        lithium_abm.simulate(hurdle_rate=float("inf"))
    (RAISE_DIR / "raised").unlink(missing_ok=True)
    (RAISE_DIR / "armed").touch()
    try:
        out = lithium_abm.simulate(end=END, metrics=["peak_price_usd_t", "test_raise_once"])
    finally:
        (RAISE_DIR / "armed").unlink()
    assert math.isnan(out["peak_price_usd_t"]) and "boom inside the model" in out["error"]


def test_run_model_takes_a_scenario_name_and_a_default_seed():
    result = lithium_abm.run_model("classroom")
    assert result.seed == 1 and result.config.name == "classroom"


ema = pytest.importorskip("ema_workbench")


def _model(**kwargs):
    return lithium_abm.ema_model(
        params=["hurdle_rate", "restart_delay_months"],
        metrics=["peak_price_usd_t", "test_raise_once"],
        end=END,
        **kwargs,
    )


def test_ema_model_from_the_registry_with_the_sequential_evaluator():
    model = _model()
    kinds = {p.name: type(p).__name__ for p in model.uncertainties}
    assert kinds == {"hurdle_rate": "RealParameter", "restart_delay_months": "IntegerParameter"}
    with ema.SequentialEvaluator(model) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(scenarios=4)
    assert len(experiments) == 4 and np.isfinite(outcomes["peak_price_usd_t"]).all()


EVALUATOR_SCRIPT = """
import os, sys
from pathlib import Path
import numpy as np
import pandas as pd
import ema_workbench as ema
import lithium_abm
from lithium_abm.experiments.metrics import register_metric

RAISE_DIR = Path(sys.argv[1])


@register_metric("test_raise_once", unit="-", doc="raises in the first run")
def raise_once(df: pd.DataFrame) -> float:
    try:
        os.close(os.open(RAISE_DIR / "raised", os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        return 0.0
    raise RuntimeError("boom inside the model")


if __name__ == "__main__":
    model = lithium_abm.ema_model(
        params=["hurdle_rate", "restart_delay_months"],
        metrics=["peak_price_usd_t", "test_raise_once"],
        end="%s",
    )
    with ema.MultiprocessingEvaluator(model, n_processes=2) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(scenarios=4)
    print(len(experiments), int(np.isnan(outcomes["peak_price_usd_t"]).sum()))
"""


def test_multiprocessing_evaluator_finishes_when_one_point_raises(tmp_path):
    """In a fresh process, as a user runs it (spawned workers import the script's metric)."""
    script = tmp_path / "evaluate.py"
    script.write_text(EVALUATOR_SCRIPT % END)
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-2:] == ["4", "1"]  # four points, the raising one is NaN


def test_replicator_over_seeds_and_prim():
    from ema_workbench.analysis import prim

    base = lithium_abm.ema_model(
        params=["hurdle_rate", "demand_scale"], metrics=["peak_price_usd_t"], end="2018-12"
    )
    model = ema.ReplicatorModel("lithium_rep", function=base.function)
    model.uncertainties = base.uncertainties
    model.replications = [{"seed": 1}, {"seed": 2}]
    model.outcomes = [ema.ScalarOutcome("peak_price_usd_t", function=np.mean)]  # over seeds
    with ema.SequentialEvaluator(model) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(scenarios=6)
    peaks = np.asarray(outcomes["peak_price_usd_t"])
    assert peaks.shape == (6,) and np.isfinite(peaks).all()
    x = experiments[["hurdle_rate", "demand_scale"]]
    y = peaks > np.median(peaks)
    box = prim.Prim(x, y).find_box()
    assert len(box.peeling_trajectory) >= 1 and 0 <= box.coverage <= 1
    assert len(set(peaks.round(6))) > 1  # the parameters move the outcome
