"""Global sensitivity analysis (Sobol, Morris) of a spec, through the sweep machinery.

SALib samples the parameter ranges; the points run as a normal sweep (resumable, any executor);
each point's seeds are averaged so the analysis sees the parameters' effect and not one seed's
noise; SALib then analyses each metric. The sample -> evaluate -> analyse path is the same for
the model and for a test function with known indices (Ishigami), which is how it is tested.
"""

from __future__ import annotations

import os
import uuid
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lithium_abm.experiments.spec import ExperimentSpec, SpecError, design_matrix, design_points

SOBOL_COLUMNS = ("S1", "S1_conf", "ST", "ST_conf")
MORRIS_COLUMNS = ("mu", "mu_star", "mu_star_conf", "sigma")
ANALYSIS_SEED = 7  # bootstrap resampling of the confidence intervals


def analyse(
    design: str,
    problem: dict[str, Any],
    X: np.ndarray,
    Y: np.ndarray,
    second_order: bool = False,
    morris_levels: int = 4,
) -> pd.DataFrame:
    """SALib indices of one output ``Y`` (one value per row of ``X``), one row per parameter."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if design == "sobol":
            from SALib.analyze import sobol

            res = sobol.analyze(problem, Y, calc_second_order=second_order, seed=ANALYSIS_SEED)
            columns = SOBOL_COLUMNS
        elif design == "morris":
            from SALib.analyze import morris

            res = morris.analyze(problem, X, Y, num_levels=morris_levels, seed=ANALYSIS_SEED)
            columns = MORRIS_COLUMNS
        else:
            raise ValueError(f"no sensitivity analysis for design {design!r}; use sobol or morris")
    table = pd.DataFrame({c: np.asarray(res[c], dtype=float) for c in columns})
    table.insert(0, "parameter", problem["names"])
    return table


def point_means(runs: pd.DataFrame, n_points: int, metrics: list[str]) -> pd.DataFrame:
    """Mean of each metric over a point's successful seeds, one row per point (NaN if none)."""
    ok = runs[runs["status"] == "ok"]
    means = ok.groupby("point")[metrics].mean()
    return means.reindex(range(n_points))


def run_sensitivity(
    spec: ExperimentSpec, out: str | Path, quiet: bool = False, **backend: Any
) -> str:
    """Sample, run (as a sweep into ``out``), analyse and plot; returns a short report."""
    from lithium_abm.experiments.sweep import load_results, run_sweep

    if spec.design not in ("sobol", "morris"):
        raise SpecError(
            f"experiment.design: sensitivity needs sobol or morris, got {spec.design!r} "
            "(use `lithium-abm sweep` for grid and lhs)"
        )
    out = Path(out)
    X = design_matrix(spec)
    summary = run_sweep(spec, out, points=design_points(spec, X), quiet=quiet, **backend)
    runs = load_results(out)
    metrics = [c for c in runs.columns if c not in _not_metrics(spec)]
    means = point_means(runs, len(X), metrics)
    tables, notes = [], []
    for metric in metrics:
        y = means[metric].to_numpy(dtype=float)
        if np.isnan(y).any():
            notes.append(
                f"{metric}: undefined at {int(np.isnan(y).sum())} of {len(y)} points; skipped"
            )
            continue
        table = analyse(
            spec.design, spec.salib_problem(), X, y, spec.second_order, spec.morris_levels
        )
        table.insert(0, "metric", metric)
        tables.append(table)
    lines = [summary.text()]
    if tables:
        result = pd.concat(tables, ignore_index=True)
        csv = out / f"{spec.design}_indices.csv"
        _write_atomic(csv, lambda p: result.to_csv(p, index=False, float_format="%.6g"))
        pngs = plot_indices(result, spec.design, out / "figures")
        lines.append(
            f"Indices of {len(tables)} metrics: {csv}; {len(pngs)} charts in {out / 'figures'}"
        )
        lines.append(_headline(result, spec.design))
    lines += notes
    return "\n".join(lines)


def _not_metrics(spec: ExperimentSpec) -> set[str]:
    return {"run_id", "point", "seed", "status", "error", "wall_time_s", *spec.param_names}


def _headline(result: pd.DataFrame, design: str) -> str:
    """The most influential parameter of each metric."""
    key = "ST" if design == "sobol" else "mu_star"
    top = result.loc[result.groupby("metric", sort=False)[key].idxmax()]
    parts = [f"{r.metric}: {r.parameter} ({key} {getattr(r, key):.2f})" for r in top.itertuples()]
    return "Most influential: " + "; ".join(parts)


def _write_atomic(final: Path, writer: Any) -> None:
    """Write to a hidden temporary sibling, then rename over ``final``."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.{uuid.uuid4().hex[:8]}.tmp{final.suffix}")
    try:
        writer(tmp)
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def plot_indices(result: pd.DataFrame, design: str, folder: Path) -> list[Path]:
    """One bar chart per metric: S1 and ST (sobol) or mu* and sigma (morris), with intervals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bars = (
        (("S1", "S1_conf"), ("ST", "ST_conf"))
        if design == "sobol"
        else (("mu_star", "mu_star_conf"), ("sigma", None))
    )
    paths = []
    for metric, table in result.groupby("metric", sort=False):
        fig, ax = plt.subplots(figsize=(7, 0.45 * len(table) + 1.5))
        y = np.arange(len(table))
        height = 0.8 / len(bars)
        for i, (column, conf) in enumerate(bars):
            err = table[conf].to_numpy() if conf else None
            ax.barh(y + i * height, table[column], height, xerr=err, label=column, capsize=2)
        ax.set_yticks(y + height * (len(bars) - 1) / 2, table["parameter"])
        ax.invert_yaxis()
        ax.axvline(0.0, color="black", linewidth=0.6)
        ax.set_xlabel(
            "share of the output's variance (whiskers: 95% interval)"
            if design == "sobol"
            else "elementary effect, in the metric's unit (whiskers: 95% interval of mu*)"
        )
        ax.set_title(f"{design.capitalize()} sensitivity of {metric}")
        ax.legend(loc="lower right")
        fig.tight_layout()
        path = folder / f"{design}_{metric}.png"
        _write_atomic(path, lambda p, fig=fig: fig.savefig(p, dpi=100, format="png"))
        plt.close(fig)
        paths.append(path)
    return paths
