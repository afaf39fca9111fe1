"""The field checks shared by the scenario, experiment spec and calibration spec TOML files.

One core, so a mistake in any of the three reads the same way: one line
``FILE: FIELD: expected ALLOWED, got VALUE`` (``FILE: `` left out for text without a file, or
for a table merged from several files), which the command line prints with exit 2. Each caller
passes its own error class, so callers that catch ``ScenarioError`` or ``CalibrationError``
keep working.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Iterable
from typing import Any, NoReturn

MONTH = re.compile(r"^(19\d\d|2[01]\d\d|2200)-(0[1-9]|1[0-2])$")  # 1900-01 .. 2200-12
MONTH_RULE = "a month as 'YYYY-MM' with a year in 1900-2200"
MAX_SEED = 2**63 - 1  # numpy and Mesa take seeds up to this


def is_number(value: Any) -> bool:
    """An int or float from TOML (``true`` is not a number here)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_month(value: Any, where: str, error: type[Exception]) -> str:
    """A 'YYYY-MM' month in 1900-2200 (also used for CSV cells, hence ``where`` as text)."""
    if not isinstance(value, str) or not MONTH.match(value):
        raise error(f"{where}: expected {MONTH_RULE}, got {value!r}")
    return value


def read_toml(
    text: str,
    sections: Iterable[str],
    error: type[Exception],
    file: object = None,
    what: str = "the text",
) -> dict[str, Any]:
    """Parse a document; refuse bad TOML, unknown sections and sections that are not tables."""
    head = f"{file}: " if file is not None else ""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        where = head or f"{what} is "
        raise error(f"{where}not valid TOML: {exc}") from None
    allowed = sorted(sections)
    unknown = sorted(set(doc) - set(allowed))
    if unknown:
        raise error(f"{head}unknown section [{unknown[0]}]; allowed sections: {', '.join(allowed)}")
    for key in sorted(doc):
        if not isinstance(doc[key], dict):
            raise error(f"{head}{key} must be a table [{key}]")
    return doc


class Fields:
    """One table of one file; every check raises ``error`` naming the file and the field."""

    def __init__(self, table: dict, name: str, error: type[Exception], file: object = None) -> None:
        self.table, self.name, self.error, self.file = table, name, error, file
        self.head = f"{file}: " if file is not None else ""

    def where(self, key: str) -> str:
        return f"{self.name}.{key}" if self.name else key

    def fail(self, text: str) -> NoReturn:
        raise self.error(f"{self.head}{text}")

    def wrong(self, key: str, allowed: str, value: Any) -> NoReturn:
        self.fail(f"{self.where(key)}: expected {allowed}, got {value!r}")

    def only(self, allowed: Iterable[str]) -> None:
        """Refuse an unknown key, listing the allowed ones."""
        names = sorted(allowed)
        for key in sorted(self.table):
            if key not in names:
                self.fail(f"unknown key {self.where(key)}; allowed: {', '.join(names)}")

    def require(self, key: str, what: str = "") -> Any:
        """The value of a key that must be there (``what``: e.g. "(a string)")."""
        if key not in self.table:
            self.fail(f"{self.where(key)} is required{' ' if what else ''}{what}")
        return self.table[key]

    def whole(self, key: str, default: int | None, low: int, high: int, why: str = "") -> int:
        """A whole number in ``low``-``high`` (``default`` None: required, ``why`` says when)."""
        if key not in self.table:
            if default is None:
                self.require(key, f"{why}{' ' if why else ''}(a whole number)")
            return default
        value = self.table[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.wrong(key, f"a whole number in {low}-{high}", value)
        return value

    def number(
        self, key: str, default: Any, low: float, high: float, low_open: bool = False
    ) -> float:
        """A finite number in [low, high] (or (low, high]); nan and inf are refused."""
        value = self.table.get(key, default)
        inside = is_number(value) and math.isfinite(value)
        inside = inside and (low < value if low_open else low <= value) and value <= high
        if not inside:
            self.wrong(key, f"a number in {'(' if low_open else '['}{low:g}, {high:g}]", value)
        return float(value)

    def text(self, key: str, default: str | None = None) -> str:
        """A non-empty string, stripped (``default`` None: required)."""
        if key not in self.table:
            if default is None:
                self.require(key, "(a string)")
            return default
        value = self.table[key]
        if not isinstance(value, str) or not value.strip():
            self.wrong(key, "a non-empty string", value)
        return value.strip()

    def choice(self, key: str, allowed: Iterable[str], default: str | None = None) -> str:
        value = self.table.get(key, default)
        names = list(allowed)
        if value not in names:
            got = "nothing" if value is None else repr(value)
            self.fail(f"{self.where(key)}: expected one of {', '.join(names)}, got {got}")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.table.get(key, default)
        if not isinstance(value, bool):
            self.wrong(key, "true or false", value)
        return value

    def names(self, key: str) -> tuple[str, ...]:
        """A list of distinct non-empty strings (empty when the key is absent)."""
        value = self.table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.wrong(key, "a list of names", value)
        if len(set(value)) != len(value):
            self.fail(f"{self.where(key)}: lists a name twice")
        return tuple(value)

    def month(self, key: str) -> str | None:
        if key not in self.table:
            return None
        return check_month(self.table[key], self.head + self.where(key), self.error)
