"""The mechanism switches an attribution study turns on and off: name -> registry parameter.

Each switch is a boolean parameter of role "mechanism" in ``model/parameters.py`` whose
description says what "off" means; docs/attribution.md repeats the definitions.
"""

from __future__ import annotations

MECHANISM_PARAMS: dict[str, str] = {
    "integration": "integration_enabled",
    "state_subsidy": "state_subsidy_enabled",
    "closure_pressure": "closure_pressure_enabled",
    "hysteresis": "hysteresis_enabled",
    "growth_expectations": "growth_expectations_enabled",
    "equity_stakes": "equity_stakes_enabled",
}
# The five mechanisms of the brief's question (equity stakes only on request).
DEFAULT_MECHANISMS: tuple[str, ...] = (
    "integration",
    "state_subsidy",
    "closure_pressure",
    "hysteresis",
    "growth_expectations",
)
DEFAULT_METRICS: tuple[str, ...] = (
    "lepidolite_loss_share_bust",
    "peak_to_trough_fall",
    "months_peak_to_trough",
    "lepidolite_output_bust_t",
    "china_self_sufficiency_2030",
    "cumulative_support_usd_bn",
)


def mechanism_param(name: str) -> str:
    """The registry parameter of mechanism ``name``; ValueError naming the allowed ones."""
    try:
        return MECHANISM_PARAMS[name]
    except KeyError:
        allowed = ", ".join(MECHANISM_PARAMS)
        raise ValueError(f"--mechanisms: unknown mechanism {name!r}; allowed: {allowed}") from None
