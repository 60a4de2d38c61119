"""Attribution methods and references.

Every module in this package is imported on first use of `methods`, so adding a
method is adding one file `methods/<name>.py` with one `@register_method`
function. Modules whose name starts with "_" are helpers and are not scanned
for registrations beyond what other modules import.
"""

from __future__ import annotations

import importlib
import pkgutil

from methods.registry import (  # noqa: F401 (re-exported)
    METHODS,
    NO_REFERENCE,
    REFERENCES,
    Attribution,
    AttributionError,
    MethodSpec,
    attribute,
    make_references,
    project,
    register_method,
    register_reference,
)

_SKIP = {"registry", "__main__"}


def load_all() -> None:
    """Import every method module so its registrations run."""
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_") or info.name in _SKIP:
            continue
        importlib.import_module(f"{__name__}.{info.name}")


load_all()
