"""The entry point for outside tools (EMA Workbench, optimisers, notebooks): one run in, the
registry's metrics out, never an exception from inside the model.

``lithium_abm.simulate(scenario="baseline", seed=1, start=None, end=None, metrics=None,
**params)`` validates its input like ``--set`` (a bad name or value raises ``ScenarioError`` at
once, naming the field), then runs. A run that fails inside returns NaN for every metric and
the error text under ``"error"``, so no evaluator can hang on a raising worker (EMA's
``MultiprocessingEvaluator`` does).
"""

from __future__ import annotations

import math
from typing import Any


def simulate(
    scenario: str = "baseline",
    seed: int = 1,
    start: str | None = None,
    end: str | None = None,
    metrics: list[str] | tuple[str, ...] | None = None,
    **params: Any,
) -> dict[str, Any]:
    """Run one scenario and seed with ``params`` overridden; returns {metric: value}."""
    from lithium_abm.experiments.metrics import METRICS, compute_metrics
    from lithium_abm.experiments.runner import simulate as simulate_config
    from lithium_abm.experiments.scenario import ScenarioError, load_scenario

    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise ScenarioError(f"seed: expected a whole number in 0-{2**63 - 1}, got {seed!r}")
    names = tuple(METRICS) if metrics is None else tuple(metrics)
    for name in names:
        if name not in METRICS:
            raise ScenarioError(f"metrics: unknown metric {name!r}; allowed: {', '.join(METRICS)}")
    config = load_scenario(scenario, params, start=start, end=end)
    try:
        model_df = simulate_config(config, seed, record="model")
        return {name: float(value) for name, value in compute_metrics(model_df, names).items()}
    except Exception as exc:  # the run failed inside: NaN outcomes and the error text
        from lithium_abm.experiments.sweep import _error_text

        return {**dict.fromkeys(names, math.nan), "error": _error_text(exc)}
