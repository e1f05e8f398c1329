"""Every rule kind, one module each. Importing this package imports them all, so a kind added
as a new module here is registered without touching any other file."""

import importlib
import pkgutil

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")
