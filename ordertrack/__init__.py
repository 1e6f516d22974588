"""ordertrack: order-fulfilment monitoring over a local DuckDB file.

The library is the product; the ``ordertrack`` command is a thin layer over it.
Importing this package is cheap: it loads neither the CLI (typer, rich) nor the heavy
data libraries (pandas, openpyxl, matplotlib); each function imports what it needs.

    >>> import ordertrack
    >>> ws = ordertrack.open_workspace("path/to/workspace")      # doctest: +SKIP
    >>> ordertrack.status(ws).counts["orders"]                    # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "find_workspace",
    "import_files",
    "init_workspace",
    "open_workspace",
    "run_sql",
    "status",
]

if TYPE_CHECKING:  # pragma: no cover
    from ordertrack.ingest import import_files
    from ordertrack.overview import status
    from ordertrack.query import run_sql
    from ordertrack.workspace import find_workspace, init_workspace, open_workspace

_LAZY = {
    "find_workspace": "ordertrack.workspace",
    "init_workspace": "ordertrack.workspace",
    "open_workspace": "ordertrack.workspace",
    "status": "ordertrack.overview",
    "run_sql": "ordertrack.query",
    "import_files": "ordertrack.ingest",
}


def __getattr__(name: str) -> Any:
    """Load the public API on first use (PEP 562), so ``import ordertrack`` stays light."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ordertrack' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
