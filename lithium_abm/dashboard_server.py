"""``python -m lithium_abm.dashboard_server run ARGS``: ``solara run ARGS``, tuned for a class.

Two settings ``solara run`` has no option for, both about the server's CPU, which is one process
bound by the GIL and serves every student:

- Reacton's fast renderer (``REACTON_FAST=1``, reacton >= 1.11). The default renderer walks and
  re-validates every widget of the page on every render, about a hundred and thirty for the
  dashboard, even when only the status line and the charts changed: most of a step's server
  time. The fast one skips the subtrees whose element and state did not change. Measured
  in one process on one dashboard: 11.4 ms of server CPU per step with the default renderer,
  3.8 ms with the fast one (about 1.8 ms of which is the model's month and the chart rows).
- No websocket compression. Uvicorn compresses every message (permessage-deflate) unless told
  not to; a step sends each browser a few kilobytes of chart rows, which a classroom's network
  carries easily, and compressing them cost the server, and inflating them the browsers, CPU
  that thirty students on one machine do not have.
"""

from __future__ import annotations

import functools
import os
import sys

REACTON_FAST_ENV = "REACTON_FAST"


def without_websocket_compression() -> None:
    """Make ``uvicorn.Config`` default to ``ws_per_message_deflate=False``."""
    import uvicorn

    original = uvicorn.Config.__init__
    if getattr(original, "_lithium_no_deflate", False):
        return

    @functools.wraps(original)
    def init(self, *args, **kwargs) -> None:
        kwargs.setdefault("ws_per_message_deflate", False)
        original(self, *args, **kwargs)

    init._lithium_no_deflate = True  # type: ignore[attr-defined]
    uvicorn.Config.__init__ = init  # type: ignore[method-assign]


def main(argv: list[str]) -> None:
    os.environ.setdefault(REACTON_FAST_ENV, "1")  # read by reacton at each render
    without_websocket_compression()
    from solara.__main__ import cli

    cli(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
