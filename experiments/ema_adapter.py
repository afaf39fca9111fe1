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


def _ema_run(
    scenario: str,
    metrics: tuple[str, ...],
    seeds: tuple[int, ...],
    start: str | None,
    end: str | None,
    **values: Any,
) -> dict[str, float]:
    """EMA's model function (module level, so it pickles): metrics averaged over the seeds
    (a ``seed`` keyword, e.g. from a ``ReplicatorModel``'s replications, runs that one only).
    Never raises from inside a run: EMA's MultiprocessingEvaluator hangs on a raising worker."""
    from lithium_abm.experiments.outside import simulate

    seed = values.pop("seed", None)
    runs = [
        simulate(scenario, int(s), start=start, end=end, metrics=metrics, **values)
        for s in ((seed,) if seed is not None else seeds)
    ]
    return {
        m: float(np.nanmean([r[m] for r in runs]))
        if any(np.isfinite(r[m]) for r in runs)
        else float("nan")
        for m in metrics
    }


def ema_model(
    spec: ExperimentSpec | None = None,
    metrics: tuple[str, ...] | list[str] | None = None,
    *,
    params: list[str] | tuple[str, ...] | None = None,
    seeds: int | list[int] | tuple[int, ...] = 1,
    scenario: str = "baseline",
    start: str | None = None,
    end: str | None = None,
    name: str = "lithium_abm",
) -> Any:
    """An EMA ``Model`` of lithium-abm.

    Without a spec, ``params`` names registry parameters: their ranges give the EMA
    parameters (real, integer or boolean) and their role the split (``lever`` -> levers, the
    rest uncertainties); ``seeds`` is a count (seeds 1..N averaged) or a list of seeds. With a
    spec (the older form) its axes are used. Runs go through :func:`lithium_abm.simulate`,
    which returns NaN outcomes instead of raising, so every evaluator finishes.
    """
    if spec is None:
        return _registry_model(params, metrics, seeds, scenario, start, end, name)
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


def _registry_model(params, metrics, seeds, scenario, start, end, name) -> Any:
    import functools

    from lithium_abm.experiments.metrics import METRICS
    from lithium_abm.model.parameters import PARAMETERS

    ema = _ema()
    if not params:
        raise SpecError("ema_model: params must name at least one parameter")
    names = tuple(metrics) if metrics else tuple(METRICS)
    for metric in names:
        if metric not in METRICS:
            raise SpecError(f"ema_model: unknown metric {metric!r}; allowed: {', '.join(METRICS)}")
    seed_list = tuple(range(1, int(seeds) + 1)) if isinstance(seeds, int) else tuple(seeds)
    function = functools.partial(_ema_run, scenario, names, seed_list, start, end)
    model = ema.Model(name, function=function)
    uncertainties, levers = [], []
    for pname in params:
        if pname not in PARAMETERS:
            raise SpecError(f"ema_model: unknown parameter {pname!r}; see `lithium-abm params`")
        p = PARAMETERS[pname]
        if p.kind is bool:
            made = ema.BooleanParameter(pname)
        elif p.kind is int:
            made = ema.IntegerParameter(pname, int(p.low), int(p.high))
        else:
            made = ema.RealParameter(pname, float(p.low), float(p.high))
        (levers if p.role == "lever" else uncertainties).append(made)
    model.uncertainties = uncertainties
    model.levers = levers
    model.outcomes = [ema.ScalarOutcome(m) for m in names]
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
