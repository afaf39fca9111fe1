"""The regions' market zones: where a firm meets its counterparties when markets are regional.

With ``regional_markets_enabled`` each product clears in one call market per zone. China is a
zone of its own (its spot price is the benchmark researchers quote); every other region (AU, CL,
AR, KR, JP, US, EU, ...) meets in the rest of the world. The traders, books and recorder iterate
over ``ZONES``, but ``Market.run_zones`` couples two zones at a time, so a further split
(US-EU, Japan-Korea) needs a joint clearing over all routes as well as new entries here.
"""

from __future__ import annotations

CHINA = "cn"
REST_OF_WORLD = "row"
ZONES: tuple[str, ...] = (CHINA, REST_OF_WORLD)


def zone_of(region: str) -> str:
    """The market zone of a region code."""
    return CHINA if region == "CN" else REST_OF_WORLD


def routes() -> list[tuple[str, str]]:
    """Every ordered pair of zones a trader can ship between, in a fixed order."""
    return [(a, b) for a in ZONES for b in ZONES if a != b]
