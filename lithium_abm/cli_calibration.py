"""Sub-commands of ``lithium-abm`` (placeholder: filled in by its issue)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction, formatter: type[argparse.HelpFormatter]) -> None:
    """Add this module's sub-commands to the ``lithium-abm`` parser."""
