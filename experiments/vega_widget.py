"""A Vega-Lite chart widget for the dashboard that works offline and redraws in the browser.

Solara's own ``VegaLite`` widget asks the CDN path for ``vega@5``, which solara-assets does not
install under that name (it ships ``vega@5.21.0``), and it re-embeds the whole chart on every
change. This widget loads the installed versions by their real paths and swaps only the data
(``vega_chart.vue``), so a step costs the server a few rows of JSON.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

import ipyvuetify as v
import traitlets

# Module -> file inside the installed package folder ``<name>@<version>``.
VEGA_FILES = {
    "vega": "build/vega.min.js",
    "vega-lite": "build/vega-lite.min.js",
    "vega-embed": "build/vega-embed.min.js",
    "requirejs": "require.js",
}


def cdn_root() -> Path:
    """Where solara-assets installs the front-end packages Solara serves at ``/_solara/cdn``."""
    return Path(sys.prefix) / "share" / "solara" / "cdn"


@cache
def vega_libs(root: Path | None = None) -> dict[str, str]:
    """Each module's path under the CDN root, at the version installed; a missing package is
    an error that names it (the charts would otherwise stay blank)."""
    root = root or cdn_root()
    libs = {}
    for name, file in VEGA_FILES.items():
        found = sorted(p for p in root.glob(f"{name}@*") if (p / file).is_file())
        if not found:
            raise RuntimeError(f"{name}: not installed under {root} (install solara-assets)")
        libs[name] = f"{found[-1].name}/{file}"
    return libs


class VegaChart(v.VuetifyTemplate):
    """``spec``: the Vega-Lite specification as JSON (re-embedded when it changes); ``frame``:
    ``{"stamp": str, "sets": {dataset name: rows}}`` as JSON (swapped in place).

    JSON text, not dicts: the renderer (reacton) walks every dict and list it is given as a
    property in search of nested elements, which for a few hundred rows of data cost more than
    the whole step; a string it compares and passes on.
    """

    template_file = str(Path(__file__).with_name("vega_chart.vue"))
    spec = traitlets.Unicode("{}").tag(sync=True)
    frame = traitlets.Unicode("{}").tag(sync=True)
    libs = traitlets.Dict().tag(sync=True)
