"""Markets as objects: orders in, a clearing rule chosen by name, settlement through the ledger.

Every module of this package is imported here, in name order, so a clearing rule registered
with ``@register("name")`` in a new file of its own can be chosen by a scenario's
``scenario.clearing_rule`` without editing any other file.
"""

from importlib import import_module
from pkgutil import iter_modules

for _module in sorted(m.name for m in iter_modules(__path__)):
    import_module(f"{__name__}.{_module}")
