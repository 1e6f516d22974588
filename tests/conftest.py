"""Shared fixtures: every test runs in its own folder, with a known environment.

Nothing ambient leaks in (llm's ``env_setup``, dlt's ``preserve_environ``): the current
folder is ``tmp_path``, every ``ORDERTRACK_*`` variable is cleared, the terminal is 100
columns without colour, the machine's time zone is UTC and the user is ``tester``.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from ordertrack.cli import app
from ordertrack.cli._common import reset_consoles

# The instant tests pin the clock to (a Tuesday, mid-afternoon in Shanghai).
FIXED_NOW = datetime(2026, 6, 30, 6, 0, tzinfo=UTC)

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """chdir to tmp_path, clear ORDERTRACK_*, pin terminal, colour, time zone and user."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("ORDERTRACK_"):
            monkeypatch.delenv(name)
    for name in ("FORCE_COLOR", "CLICOLOR_FORCE", "LINES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("ORDERTRACK_USER", "tester")
    reset_consoles()
    yield
    reset_consoles()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


Invoke = Callable[..., Result]


@pytest.fixture
def invoke(runner: CliRunner) -> Invoke:
    """``invoke("status", "--json")`` runs ``ordertrack`` in-process.

    The result has ``exit_code``, ``stdout`` and ``stderr`` apart (``output`` is both,
    interleaved as a terminal would show them). Unexpected exceptions are re-raised, so
    a bug shows its traceback instead of an anonymous exit 1.
    """

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        reset_consoles()  # rich consoles are cached per process; each run gets fresh streams
        result = runner.invoke(
            app, list(args), input=input, env=env, catch_exceptions=False, prog_name="ordertrack"
        )
        reset_consoles()
        return result

    return run


@pytest.fixture(scope="session")
def _initialized(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One workspace made by ``init_workspace`` per session; tests get copies of it."""
    from ordertrack.workspace import init_workspace

    return init_workspace(tmp_path_factory.mktemp("template") / "ws").root


@pytest.fixture
def workspace(tmp_path: Path, _initialized: Path) -> Path:
    """A fresh workspace (default English template) at ``tmp_path/ws``.

    It is a copy of a workspace ``init_workspace`` made once per session (a closed DuckDB
    file and its ordertrack.toml): the same files at a fraction of the cost of migrating a
    new database for every test. The init tests run ``init`` itself.
    """
    root = tmp_path / "ws"
    shutil.copytree(_initialized, root)
    return root.resolve()


@pytest.fixture
def frozen(time_machine: Any) -> datetime:
    """Pin the clock to :data:`FIXED_NOW` (not ticking) and return it."""
    time_machine.move_to(FIXED_NOW, tick=False)
    return FIXED_NOW


def set_config(ws: Path, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` in the workspace's ordertrack.toml (``old`` must occur)."""
    path = ws / "ordertrack.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def subprocess_env(**extra: str) -> dict[str, str]:
    """The environment for ``sys.executable -m ordertrack`` in a subprocess."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERTRACK_")}
    env.update(
        COLUMNS="100",
        NO_COLOR="1",
        TERM="dumb",
        TZ="UTC",
        ORDERTRACK_USER="tester",
        PYTHONPATH=str(ROOT),
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(extra)
    return env


PYTHON = sys.executable
