"""How much a producing mine runs: cost tranches within an operation and the utilisation choice.

An operation is not one cost: its pits, benches, ponds or plant lines differ in grade, strip ratio
and recovery, so the marginal variable cost rises across its capacity. Here the tranches are
ordered from cheapest to dearest and the marginal cost rises linearly with utilisation ``u`` from
``(1 - spread)`` to ``(1 + spread)`` times the operation's average variable cost, so that running
at nameplate costs exactly the average (the figure the sources quote). A mine runs the tranches
whose marginal cost its price covers, never below a technical minimum (a concentrator or a brine
pond field cannot run at an arbitrarily small share), and reaches that target gradually.

Pure functions of numbers, testable without Mesa.
"""

from __future__ import annotations


def marginal_cost_usd_t(utilisation: float, average_variable_usd_t: float, spread: float) -> float:
    """Variable cost of the last tonne when the operation runs at ``utilisation``."""
    return average_variable_usd_t * (1.0 - spread + 2.0 * spread * utilisation)


def average_variable_cost_usd_t(
    utilisation: float, average_variable_usd_t: float, spread: float
) -> float:
    """Variable cost per tonne of the tranches [0, utilisation] (the cheapest run first)."""
    return average_variable_usd_t * (1.0 - spread + spread * utilisation)


def target_utilisation(
    net_price_usd_t: float,
    average_variable_usd_t: float,
    other_variable_usd_t: float,
    spread: float,
    min_utilisation: float,
) -> float:
    """The share of capacity whose marginal cash cost the net price covers.

    ``other_variable_usd_t`` is a per-tonne cost the same for every tranche (compliance).
    Clipped to [``min_utilisation``, 1]: below its technical minimum a mine does not run at all,
    and that choice (care and maintenance) is the hysteresis rule's, not this one's.
    """
    headroom = net_price_usd_t - other_variable_usd_t
    if spread <= 0.0 or average_variable_usd_t <= 0.0:
        share = 1.0 if headroom >= average_variable_usd_t else min_utilisation
    else:
        base = average_variable_usd_t * (1.0 - spread)
        share = (headroom - base) / (2.0 * spread * average_variable_usd_t)
    return max(min_utilisation, min(1.0, share))


def next_utilisation(current: float, target: float, adjust_share: float) -> float:
    """Partial adjustment: crews, contracts and ore blending change within months, not at once."""
    return current + adjust_share * (target - current)


def loss_making_share(
    utilisation: float,
    price_usd_t: float,
    average_variable_usd_t: float,
    other_variable_usd_t: float,
    fixed_usd_t: float,
    spread: float,
) -> float:
    """Share of the output of tranches [0, utilisation] whose cash cost exceeds the price.

    A tranche's cash cost is its marginal variable cost plus the per-tonne costs common to all
    (compliance) and the fixed cost per tonne at nameplate, so at nameplate with no spread this
    is 1 when the price is below the unit cash cost and 0 otherwise.
    """
    if utilisation <= 0.0:
        return 0.0
    headroom = price_usd_t - other_variable_usd_t - fixed_usd_t
    if spread <= 0.0 or average_variable_usd_t <= 0.0:
        return 1.0 if headroom < average_variable_usd_t else 0.0
    base = average_variable_usd_t * (1.0 - spread)
    breakeven = (headroom - base) / (2.0 * spread * average_variable_usd_t)
    if breakeven >= utilisation:
        return 0.0
    return min(1.0, (utilisation - max(0.0, breakeven)) / utilisation)
