"""``import``, ``imports …``, ``profile …`` (filled in by the order-center work)."""

from __future__ import annotations

import typer

from ordertrack.cli import make_typer

imports_app = make_typer("Look at past imports and their rejected rows.")
profile_app = make_typer("Source profiles: how export files map to the order center.")


def register(app: typer.Typer) -> None:
    return None
