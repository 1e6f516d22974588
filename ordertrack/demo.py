"""``ordertrack demo``: a complete workspace from the bundled sample data, and a day in its life.

Today the day is: import every export → look at the order center. The flow, rules and
report engines add their steps (advance, alerts sweep, reports) as they land.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

import ordertrack
from ordertrack.config import CONFIG_FILE
from ordertrack.errors import WorkspaceError

if TYPE_CHECKING:
    from ordertrack.ingest import ImportResult
    from ordertrack.overview import StatusReport


def sample_data_dir() -> Path:
    """The bundled sample data: inside the installed package, or the repository's folder."""
    packaged = Path(str(files("ordertrack") / "_sample_data"))
    if (packaged / CONFIG_FILE).is_file():
        return packaged
    repo = Path(ordertrack.__file__).resolve().parents[1] / "sample_data"
    if (repo / CONFIG_FILE).is_file():
        return repo
    raise WorkspaceError(
        "the bundled sample data is missing from this installation",
        hint="Reinstall ordertrack, or run the demo from a clone of the repository.",
    )


@dataclass
class DemoResult:
    root: Path
    exports: Path
    imports: list[ImportResult] = field(default_factory=list)
    status: StatusReport | None = None


def build_demo(directory: Path | str, *, force: bool = False) -> DemoResult:
    """Create the demo workspace in ``directory`` and run the daily job on it."""
    from ordertrack.ingest import ImportOptions, import_files
    from ordertrack.overview import status
    from ordertrack.workspace import open_workspace

    root = Path(directory).expanduser().resolve()
    if (root / CONFIG_FILE).exists() and not force:
        raise WorkspaceError(
            f"{root} already holds a workspace",
            hint="Use --force to rebuild the demo there (its database is replaced), "
            "or name another folder.",
        )
    if root.exists() and force and (root / CONFIG_FILE).exists():
        shutil.rmtree(root)
    elif root.exists() and any(root.iterdir()):
        raise WorkspaceError(
            f"{root} is not empty and is not a demo workspace",
            hint="Name a new or empty folder.",
        )
    source = sample_data_dir()
    exports = root / "exports"
    exports.mkdir(parents=True)
    for f in sorted(source.iterdir()):
        if f.is_file() and f.suffix.lower() in (".csv", ".xlsx", ".xls"):
            shutil.copy2(f, exports / f.name)
    shutil.copy2(source / CONFIG_FILE, root / CONFIG_FILE)
    ws = open_workspace(root)
    from ordertrack.store import Store

    Store.open(ws.db_path, create=True, timezone=ws.timezone).close()
    result = DemoResult(root=root, exports=exports)
    result.imports = import_files(ws, sorted(exports.iterdir()), ImportOptions(actor="demo"))
    result.status = status(ws)
    return result
