"""Double-entry money ledger: every payment has a payer and a payee, so money is conserved.

Balances start at zero; initial endowments are payments from an external account (the capital
market), so the sum of all balances is zero at every moment. Flows are tallied by kind per month
for reporting (subsidies, fines, tariffs, ...).
"""

from __future__ import annotations

import math
from collections import defaultdict


class Ledger:
    """Accounts with balances in USD and a monthly tally of flows by kind."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.balances: list[float] = []
        self.month_flows: defaultdict[str, float] = defaultdict(float)
        self.total_flows: defaultdict[str, float] = defaultdict(float)
        self.transfers = 0

    def open(self, name: str) -> int:
        """Open an account and return its index."""
        self.names.append(name)
        self.balances.append(0.0)
        return len(self.balances) - 1

    def pay(self, payer: int, payee: int, amount_usd: float, kind: str) -> None:
        """Move ``amount_usd`` from payer to payee; zero amounts are skipped."""
        # One comparison chain for the usual case: positive and finite (NaN fails both).
        if not (0.0 < amount_usd < math.inf and payer != payee):
            if amount_usd == 0.0:
                return
            raise ValueError(
                f"invalid payment {amount_usd!r} of kind {kind!r} "
                f"from {self.names[payer]} to {self.names[payee]}"
            )
        balances = self.balances
        balances[payer] -= amount_usd
        balances[payee] += amount_usd
        self.month_flows[kind] += amount_usd
        self.total_flows[kind] += amount_usd
        self.transfers += 1

    def balance(self, account: int) -> float:
        return self.balances[account]

    def imbalance(self) -> float:
        """Sum of all balances: zero (to rounding) when money is conserved."""
        return math.fsum(self.balances)

    def start_month(self) -> None:
        self.month_flows = defaultdict(float)
