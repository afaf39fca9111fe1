"""Attribution: a Shapley decomposition of metrics over the full factorial of mechanism switches.

``run_attribution`` builds the 2^k design of the chosen mechanisms (True = on), runs it times the
seeds on the sweep engine (same executors, resumable, progress line) into ``OUT/sweep`` and
writes:

* ``factorial.parquet``: one row per combination and seed, a boolean column per mechanism, the
  seed and one column per metric;
* ``attribution.csv``: mechanism, metric, shapley, ci_low, ci_high, share_of_total. The Shapley
  values are computed on the seed-averaged factorial and sum, per metric, to
  metric(all on) - metric(all off); the interval is a 90 % percentile bootstrap over seeds;
* ``interactions.csv``: the pairwise Shapley interaction index of every pair, per metric;
* ``waterfall_<metric>.png``: all-off value, one bar per mechanism, all-on value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np
import pandas as pd

from lithium_abm.experiments import shapley
from lithium_abm.experiments.mechanisms import DEFAULT_METRICS, mechanism_param
from lithium_abm.experiments.spec import ExperimentSpec, SpecError, parse_spec
from lithium_abm.experiments.sweep import SweepSummary, load_results, run_sweep

SWEEP_SUBDIR = "sweep"
BOOTSTRAP_REPLICATES = 1000
CI_LEVEL = 0.9


@dataclass
class AttributionResult:
    out: Path
    mechanisms: tuple[str, ...]
    metrics: tuple[str, ...]
    factorial: pd.DataFrame
    attribution: pd.DataFrame
    interactions: pd.DataFrame
    summary: SweepSummary
    figures: list[Path]

    def table(self) -> str:
        """The attribution table as text, one block per metric."""
        lines = []
        for metric in self.metrics:
            rows = self.attribution[self.attribution["metric"] == metric]
            on, off = _ends(self.factorial, self.mechanisms, metric)
            lines.append(f"{metric}: all on {on:.4g}, all off {off:.4g}, total {on - off:+.4g}")
            for _, r in rows.iterrows():
                lines.append(
                    f"  {r['mechanism']:<20} {r['shapley']:+10.4g}  "
                    f"[{r['ci_low']:+.4g}, {r['ci_high']:+.4g}]  share {r['share_of_total']:+.2f}"
                )
        lines.append(
            f"{self.summary.total} runs ({self.summary.skipped} on disk already), "
            f"{self.summary.failed} failed, {self.summary.wall_s:.1f} s; written to {self.out}"
        )
        return "\n".join(lines)


def parse_mechanisms(text: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    if text is None:
        return default
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    if not names:
        raise ValueError("--mechanisms: give at least one mechanism")
    for n in names:
        mechanism_param(n)
    if len(set(names)) != len(names):
        raise ValueError(f"--mechanisms: a mechanism is named twice in {text!r}")
    return names


def build_spec(
    scenario: str,
    seeds: int,
    mechanisms: tuple[str, ...],
    metrics: tuple[str, ...],
    start: str | None = None,
    end: str | None = None,
    first_seed: int = 1,
) -> ExperimentSpec:
    """The factorial as a grid spec: each mechanism's switch at levels [true, false]."""
    if seeds < 1:
        raise SpecError(f"--seeds: expected a whole number >= 1, got {seeds}")
    if not mechanisms:
        raise SpecError("--mechanisms: give at least one mechanism")
    lines = [
        "[experiment]",
        'name = "attribution"',
        f"scenario = {_toml_str(scenario)}",
        'design = "grid"',
        f"seeds = {int(seeds)}",
        f"first_seed = {int(first_seed)}",
        "metrics = [" + ", ".join(_toml_str(m) for m in metrics) + "]",
    ]
    if start:
        lines.append(f"start = {_toml_str(start)}")
    if end:
        lines.append(f"end = {_toml_str(end)}")
    lines.append("[parameters]")
    lines += [f"{mechanism_param(m)} = {{ levels = [true, false] }}" for m in mechanisms]
    return parse_spec("\n".join(lines) + "\n", base_dir=Path.cwd())


def _toml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def factorial_table(runs: pd.DataFrame, mechanisms: tuple[str, ...], metrics: tuple[str, ...]):
    """Sweep rows -> one row per combination and seed, a boolean column per mechanism."""
    ok = runs[runs["status"] == "ok"]
    table = pd.DataFrame({m: ok[mechanism_param(m)].astype(bool).to_numpy() for m in mechanisms})
    table["seed"] = ok["seed"].to_numpy()
    for metric in metrics:
        table[metric] = ok[metric].to_numpy(dtype=float)
    return table.sort_values([*mechanisms, "seed"], ascending=False, kind="stable").reset_index(
        drop=True
    )


def _cells(table: pd.DataFrame, mechanisms: tuple[str, ...]) -> np.ndarray:
    return shapley.cell_index(table[list(mechanisms)].to_numpy(dtype=bool))


def _ends(table: pd.DataFrame, mechanisms: tuple[str, ...], metric: str) -> tuple[float, float]:
    means = shapley.cell_means(_cells(table, mechanisms), table[metric].to_numpy(), len(mechanisms))
    return float(means[-1]), float(means[0])


def attribute(
    table: pd.DataFrame,
    mechanisms: tuple[str, ...],
    metrics: tuple[str, ...],
    replicates: int = BOOTSTRAP_REPLICATES,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Shapley values (with bootstrap intervals) and pairwise interactions of each metric."""
    k = len(mechanisms)
    cells = _cells(table, mechanisms)
    seeds = np.sort(table["seed"].unique())
    rows, pairs = [], []
    for metric in metrics:
        # cell x seed matrix (NaN where a run is missing or the metric undefined)
        grid = np.full((2**k, len(seeds)), np.nan)
        col = np.searchsorted(seeds, table["seed"].to_numpy())
        grid[cells, col] = table[metric].to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            means = np.array([np.nanmean(r) if np.isfinite(r).any() else np.nan for r in grid])
        values = shapley.shapley_values(means)
        low, high = shapley.bootstrap_shapley(grid, replicates, seed, CI_LEVEL)
        total = means[-1] - means[0]
        for i, m in enumerate(mechanisms):
            share = values[i] / total if total and math.isfinite(total) else math.nan
            rows.append((m, metric, values[i], low[i], high[i], share))
        inter = shapley.interaction_index(means)
        for i in range(k):
            for j in range(i + 1, k):
                pairs.append((mechanisms[i], mechanisms[j], metric, inter[i, j]))
    attribution = pd.DataFrame(
        rows, columns=["mechanism", "metric", "shapley", "ci_low", "ci_high", "share_of_total"]
    )
    interactions = pd.DataFrame(
        pairs, columns=["mechanism_a", "mechanism_b", "metric", "interaction"]
    )
    return attribution, interactions


def plot_waterfall(attribution: pd.DataFrame, metric: str, off: float, path: Path) -> Path:
    """All-off value, then each mechanism's Shapley value as a step, to the all-on value."""
    from lithium_abm.experiments.figures import _new_figure, _save

    rows = attribution[attribution["metric"] == metric]
    fig, ax = _new_figure()
    level = off
    labels = ["all off"]
    ax.bar(0, off, color="#7f7f7f")
    for x, (_, r) in enumerate(rows.iterrows(), start=1):
        v = float(r["shapley"])
        ax.bar(x, v, bottom=level, color="#1f77b4" if v >= 0 else "#d62728")
        lo, hi = level + float(r["ci_low"]), level + float(r["ci_high"])
        ax.plot([x, x], [lo, hi], color="black", lw=1)
        level += v
        labels.append(str(r["mechanism"]).replace("_", "\n"))
    n = len(rows) + 1
    ax.bar(n, level, color="#2ca02c")
    labels.append("all on")
    ax.set_xticks(range(n + 1), labels, fontsize=8)
    ax.set_ylabel(metric)
    ax.set_title(f"Shapley attribution of {metric} (90% bootstrap interval)")
    ax.grid(True, axis="y", alpha=0.3)
    return _save(fig, path)


def run_attribution(
    scenario: str,
    seeds: int,
    mechanisms: tuple[str, ...],
    out: str | Path,
    metrics: tuple[str, ...] = DEFAULT_METRICS,
    start: str | None = None,
    end: str | None = None,
    workers: int | None = None,
    dask_scheduler: str | None = None,
    dask_local: int = 0,
    progress: TextIO | None = None,
    quiet: bool = False,
    figures: bool = True,
) -> AttributionResult:
    """Run (or resume) the factorial and write the attribution files into ``out``."""
    out = Path(out)
    spec = build_spec(scenario, seeds, mechanisms, metrics, start, end)
    summary = run_sweep(
        spec,
        out / SWEEP_SUBDIR,
        workers=workers,
        dask_scheduler=dask_scheduler,
        dask_local=dask_local,
        progress=progress,
        quiet=quiet,
    )
    runs = load_results(out / SWEEP_SUBDIR)
    table = factorial_table(runs, mechanisms, metrics)
    table.to_parquet(out / "factorial.parquet", index=False)
    attribution, interactions = attribute(table, mechanisms, metrics)
    attribution.to_csv(out / "attribution.csv", index=False)
    interactions.to_csv(out / "interactions.csv", index=False)
    paths = []
    if figures:
        for metric in metrics:
            _, off = _ends(table, mechanisms, metric)
            paths.append(plot_waterfall(attribution, metric, off, out / f"waterfall_{metric}.png"))
    return AttributionResult(
        out, mechanisms, metrics, table, attribution, interactions, summary, paths
    )
