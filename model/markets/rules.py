"""Clearing rules registered by name: another market mechanism is one new function here or in a
file of its own that calls ``register``.

A rule takes bid prices and quantities and offer prices and quantities (numpy arrays) and
returns a ``ClearingResult`` (``model/clearing.py``): price, volume, fills per order, best bid
and offer. A scenario chooses its rule with ``scenario.clearing_rule`` (default
``uniform_price``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lithium_abm.model.clearing import ClearingResult, clear_call_auction

type ClearingRule = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], ClearingResult]

CLEARING_RULES: dict[str, ClearingRule] = {}


def register(name: str) -> Callable[[ClearingRule], ClearingRule]:
    """Decorator: make ``rule`` available under ``name``."""

    def add(rule: ClearingRule) -> ClearingRule:
        if name in CLEARING_RULES:
            raise ValueError(f"clearing rule {name!r} is already registered")
        CLEARING_RULES[name] = rule
        return rule

    return add


def clearing_rule(name: str) -> ClearingRule:
    try:
        return CLEARING_RULES[name]
    except KeyError:
        raise ValueError(
            f"unknown clearing rule {name!r}; choose one of {', '.join(sorted(CLEARING_RULES))}"
        ) from None


@register("uniform_price")
def uniform_price(
    bid_p: np.ndarray, bid_q: np.ndarray, offer_p: np.ndarray, offer_q: np.ndarray
) -> ClearingResult:
    """The monthly uniform-price call auction (k = 0.5): one price for every trade."""
    return clear_call_auction(bid_p, bid_q, offer_p, offer_q)
