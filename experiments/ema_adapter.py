"""Optional bridge to the EMA Workbench (``pip install 'lithium-abm[ema]'``).

Two things: :func:`ema_model` describes lithium-abm as an EMA ``Model`` (the spec's ranges as
uncertainties or levers, the metrics as outcomes), and :func:`ema_results` turns a finished sweep
into the ``(experiments, outcomes)`` pair that EMA's scenario discovery takes::

    from ema_workbench.analysis import prim, feature_scoring
    x, outcomes = ema_results("results/study")
    box = prim.Prim(x, outcomes["peak_to_trough_fall"] > 0.8).find_box()
    scores = feature_scoring.get_feature_scores_all(x, outcomes)

Simulations always run through ``lithium-abm sweep`` (resumable, failures recorded, any
cluster), never through EMA's ``MultiprocessingEvaluator``, which hangs when a model raises.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lithium_abm.experiments.spec import ExperimentSpec, SpecError

EMA_MISSING = "the EMA Workbench is not installed: pip install 'lithium-abm[ema]'"
# Parameters a government chooses (EMA "levers"); everything else is an uncertainty.
POLICY_PREFIXES = (
    "cn_",
    "state_",
    "max_subsidy",
    "subsidy_",
    "closure_pressure",
    "cheap_power",
    "policy_review",
    "env_",
    "royalty_",
    "tariff_",
)


def is_policy(name: str) -> bool:
    return name.startswith(POLICY_PREFIXES)


def _ema() -> Any:
    try:
        import ema_workbench
    except ImportError:
        raise SpecError(EMA_MISSING) from None
    return ema_workbench


def ema_model(spec: ExperimentSpec, metrics: tuple[str, ...] | None = None) -> Any:
    """An EMA ``Model`` whose function runs our runner for one point (seeds averaged).

    Meant for describing the experiment and for EMA's ``SequentialEvaluator`` on small
    studies; large ones run as a sweep and come back through :func:`ema_results`.
    """
    ema = _ema()
    from lithium_abm.experiments.spec import check_metrics

    names = metrics or check_metrics(spec)

    def run_point(**values: Any) -> dict[str, float]:
        return _run_point(spec, values, names)

    model = ema.Model(spec.name.replace("-", "_"), function=run_point)
    params = []
    for axis in spec.axes:
        if axis.param.kind is bool:
            params.append(ema.BooleanParameter(axis.name))
        elif axis.levels:
            params.append(ema.CategoricalParameter(axis.name, list(axis.levels)))
        elif axis.param.kind is int:
            params.append(ema.IntegerParameter(axis.name, int(axis.low), int(axis.high)))
        else:
            params.append(ema.RealParameter(axis.name, axis.low, axis.high))
    model.uncertainties = [p for p in params if not is_policy(p.name)]
    model.levers = [p for p in params if is_policy(p.name)]
    model.outcomes = [ema.ScalarOutcome(name) for name in names]
    return model


def _run_point(spec: ExperimentSpec, values: dict[str, Any], names: tuple[str, ...]) -> dict:
    from lithium_abm.experiments.sweep import BatchJob, base_config, plan_runs, run_batch

    config = base_config(spec)
    typed = {
        a.name: a.coerce(values[a.name]) if not a.levels else values[a.name] for a in spec.axes
    }
    runs = tuple(plan_runs(spec, config, [typed]))
    output = run_batch(BatchJob(config, names, (), spec.metric_modules, runs))
    frame = pd.DataFrame(output.rows)
    return {name: float(frame[name].mean()) for name in names}


def ema_results(
    out: str | Path, average_seeds: bool = False
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """(experiments, outcomes) of a sweep's successful runs, as EMA's analyses take them.

    ``experiments`` holds one column per varied parameter (and nothing else, so PRIM and
    feature scoring use only real inputs); ``outcomes`` maps each metric to an array aligned
    with its rows. With ``average_seeds`` each design point is one row (metrics averaged).
    """
    from lithium_abm.experiments.sweep import load_results, read_provenance

    runs = load_results(out)
    if runs.empty:
        raise SpecError(f"{str(out)!r} holds no sweep results")
    spec_text = read_provenance(out).get("spec", "")
    from lithium_abm.experiments.spec import parse_spec

    params = parse_spec(spec_text).param_names
    fixed = {"run_id", "point", "seed", "status", "error", "wall_time_s", *params}
    metrics = [c for c in runs.columns if c not in fixed]
    ok = runs[runs["status"] == "ok"]
    if average_seeds:
        ok = ok.groupby("point", sort=True).agg(
            {**dict.fromkeys(params, "first"), **dict.fromkeys(metrics, "mean")}
        )
    experiments = ok[params].reset_index(drop=True)
    outcomes = {m: ok[m].to_numpy(dtype=float) for m in metrics}
    return experiments, outcomes
