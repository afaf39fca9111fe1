"""Policy instruments as objects, and governments built from a scenario's governments table.

Every module of this package is imported here, in name order, so an instrument class with
``@register`` in a new file of its own is available to governments tables without editing any
other file (docs/ARCHITECTURE.md shows one).
"""

from importlib import import_module
from pkgutil import iter_modules

for _module in sorted(m.name for m in iter_modules(__path__)):
    import_module(f"{__name__}.{_module}")
