"""The governments table of a scenario: one row per jurisdiction, one column per instrument.

A cell holds the instrument's level, either a number or the name of a registry parameter (so a
scenario's ``[parameters]`` and a sweep still move it by name); an empty cell means the
government does not hold that instrument. Columns are the names in
``lithium_abm.model.policy.instrument.INSTRUMENTS`` plus ``region``, ``self_sufficiency_target``,
``support_budget_usd_yr`` and an optional ``source``.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

from lithium_abm.model.config import GovernmentSpec
from lithium_abm.model.parameters import PARAMETERS
from lithium_abm.model.policy import instruments as _instruments  # noqa: F401 - registers them
from lithium_abm.model.policy.instrument import INSTRUMENTS

POLICY_COLUMNS = ("self_sufficiency_target", "support_budget_usd_yr")


class GovernmentsTableError(ValueError):
    """The table is malformed; the message names the file, line and column."""


def _check_cell(value: str, where: str) -> str:
    if value in PARAMETERS:
        return value
    try:
        number = float(value)
    except ValueError:
        raise GovernmentsTableError(
            f"{where}: expected a number or a parameter name (see `lithium-abm params`), "
            f"got {value!r}"
        ) from None
    if not math.isfinite(number):
        raise GovernmentsTableError(f"{where}: expected a finite number, got {value!r}")
    return value


def read_governments(path: Path) -> tuple[GovernmentSpec, ...]:
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
            header = rows[0].keys() if rows else []
    except OSError as exc:
        raise GovernmentsTableError(f"governments: cannot read {path}: {exc.strerror}") from None
    allowed = {"region", "source", *POLICY_COLUMNS, *INSTRUMENTS}
    unknown = [c for c in header if c not in allowed]
    if unknown:
        raise GovernmentsTableError(
            f"{path.name}: unknown column {unknown[0]!r}; allowed: region, "
            f"{', '.join(INSTRUMENTS)}, {', '.join(POLICY_COLUMNS)}, source"
        )
    specs: list[GovernmentSpec] = []
    seen: set[str] = set()
    for line, row in enumerate(rows, start=2):
        region = (row.get("region") or "").strip()
        if not region or region in seen:
            raise GovernmentsTableError(
                f"{path.name} line {line}: region must be a new, non-empty code, got {region!r}"
            )
        seen.add(region)
        held = []
        for name in INSTRUMENTS:
            cell = (row.get(name) or "").strip()
            if cell:
                held.append((name, _check_cell(cell, f"{path.name} line {line}, {name}")))
        policy = {
            c: _check_cell((row.get(c) or "0").strip() or "0", f"{path.name} line {line}, {c}")
            for c in POLICY_COLUMNS
        }
        specs.append(GovernmentSpec(region, tuple(held), **policy))
    if not specs:
        raise GovernmentsTableError(f"{path.name}: needs at least one government")
    return tuple(specs)
