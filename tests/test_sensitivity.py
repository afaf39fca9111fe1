"""Sensitivity analysis: the sample -> evaluate -> analyse path recovers Ishigami's known indices,
a tiny model study writes its tables and charts, and sweep results feed EMA's analyses."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from lithium_abm.cli import main
from lithium_abm.experiments.sensitivity import analyse, point_means
from lithium_abm.experiments.spec import sample

ISHIGAMI = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}


def ishigami(X: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(X[:, 0]) + a * np.sin(X[:, 1]) ** 2 + b * X[:, 2] ** 4 * np.sin(X[:, 0])


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> tuple[list[float], list[float]]:
    """Analytical first-order and total indices (Ishigami and Homma 1990)."""
    v1 = 0.5 * (1 + b * math.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * math.pi**8 * (1 / 18 - 1 / 50)
    total = v1 + v2 + v13
    return [v1 / total, v2 / total, 0.0], [(v1 + v13) / total, v2 / total, v13 / total]


def test_sobol_recovers_ishigami_indices():
    X = sample("sobol", ISHIGAMI, 2048, seed=11)
    table = analyse("sobol", ISHIGAMI, X, ishigami(X))
    s1, st = ishigami_indices()
    assert list(table["parameter"]) == ["x1", "x2", "x3"]
    np.testing.assert_allclose(table["S1"], s1, atol=0.04)
    np.testing.assert_allclose(table["ST"], st, atol=0.04)
    assert (table["S1_conf"] > 0).all() and (table["S1_conf"] < 0.1).all()


def test_morris_ranks_ishigami_inputs():
    X = sample("morris", ISHIGAMI, 60, seed=11)
    table = analyse("morris", ISHIGAMI, X, ishigami(X)).set_index("parameter")
    # x3 acts only through its interaction with x1: it has the smallest mean effect
    # but a spread (sigma) comparable to its mean, the signature of an interaction.
    assert table["mu_star"].idxmin() == "x3"
    assert table.loc["x3", "sigma"] > 0.5 * table.loc["x3", "mu_star"]
    assert (table["mu_star"] >= table["mu"].abs() - 1e-12).all()


def test_point_means_average_only_successful_seeds():
    runs = pd.DataFrame(
        {
            "point": [0, 0, 1, 1, 2],
            "status": ["ok", "ok", "ok", "failed", "failed"],
            "m": [1.0, 3.0, 5.0, np.nan, np.nan],
        }
    )
    means = point_means(runs, 3, ["m"])
    assert means["m"].tolist()[:2] == [2.0, 5.0] and math.isnan(means["m"].iloc[2])


SOBOL_TINY = """\
[experiment]
name = "sobol-tiny"
scenario = "baseline"
end = "2018-12"
design = "sobol"
samples = 4
design_seed = 3
seeds = 1
metrics = ["peak_price_usd_t", "months_peak_to_trough"]

[parameters]
hurdle_rate = { range = [0.06, 0.18] }
cn_support_budget_usd_yr = { range = [0.0, 6.0e9] }
"""


def test_sensitivity_command_writes_tables_and_charts(tmp_path, capsys):
    spec = tmp_path / "sobol.toml"
    spec.write_text(SOBOL_TINY, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["sensitivity", str(spec), "--out", str(out), "--workers", "1", "-q"]) == 0
    report = capsys.readouterr().out
    table = pd.read_csv(out / "sobol_indices.csv")
    assert list(table.columns) == ["metric", "parameter", "S1", "S1_conf", "ST", "ST_conf"]
    peak = table[table["metric"] == "peak_price_usd_t"]
    assert list(peak["parameter"]) == ["hurdle_rate", "cn_support_budget_usd_yr"]
    assert peak["ST"].notna().all() and (peak["ST_conf"] >= 0).all()
    png = out / "figures" / "sobol_peak_price_usd_t.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Most influential: peak_price_usd_t" in report
    # A run that ends in 2018 rarely has a trough after its peak: undefined points are
    # reported and the metric skipped, never analysed with NaN.
    if "months_peak_to_trough" not in set(table["metric"]):
        assert re.search(r"months_peak_to_trough: undefined at \d+ of 16 points; skipped", report)

    pytest.importorskip("ema_workbench")
    from ema_workbench.analysis import feature_scoring, prim

    from lithium_abm.experiments.ema_adapter import ema_model, ema_results
    from lithium_abm.experiments.spec import load_spec

    x, outcomes = ema_results(out)
    assert list(x.columns) == ["hurdle_rate", "cn_support_budget_usd_yr"] and len(x) == 16
    y = outcomes["peak_price_usd_t"]
    box = prim.Prim(x, y > np.median(y)).find_box()
    assert list(box.box_lims[-1].columns) == list(x.columns)
    scores = feature_scoring.get_feature_scores_all(x, {"peak": y})
    assert set(scores.index) == set(x.columns)
    model = ema_model(load_spec(spec))
    assert [p.name for p in model.uncertainties] == ["hurdle_rate"]
    assert [p.name for p in model.levers] == ["cn_support_budget_usd_yr"]
    assert [o.name for o in model.outcomes] == ["peak_price_usd_t", "months_peak_to_trough"]
