"""Import every policy module so that its types register. Add new modules here."""

import importlib
import pkgutil

from . import __path__ as _path

for _mod in sorted(m.name for m in pkgutil.iter_modules(_path)):
    if not _mod.startswith("_") and _mod != "base":
        importlib.import_module(f"{__package__}.{_mod}")
