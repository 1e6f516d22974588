"""Import hygiene: the library never loads the CLI, and ``--help`` loads nothing heavy.

Each check runs in a fresh interpreter (``sys.modules`` of the test process is full of
everything the other tests imported).
"""

from __future__ import annotations

import json
import subprocess
import textwrap

import pytest
from conftest import PYTHON, subprocess_env

HEAVY = ("pandas", "matplotlib", "openpyxl")
CLI = ("typer", "rich", "click")


def loaded_after(code: str, watch: tuple[str, ...]) -> dict[str, object]:
    """Run ``code`` in a new interpreter; report which of ``watch`` it loaded."""
    script = textwrap.dedent(code) + textwrap.dedent(
        f"""
        import json, sys
        print(json.dumps({{"loaded": sorted(m for m in {watch!r} if m in sys.modules)}}))
        """
    )
    proc = subprocess.run(
        [PYTHON, "-c", script], capture_output=True, text=True, env=subprocess_env(), timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def test_import_ordertrack_loads_no_cli_and_nothing_heavy() -> None:
    result = loaded_after("import ordertrack", (*CLI, *HEAVY, "duckdb", "pydantic"))
    assert result["loaded"] == []


@pytest.mark.parametrize(
    "module",
    ["ordertrack.workspace", "ordertrack.config", "ordertrack.overview", "ordertrack.query"],
)
def test_library_modules_load_no_cli(module: str) -> None:
    result = loaded_after(f"import {module}", (*CLI, *HEAVY))
    assert result["loaded"] == []


def test_cli_help_loads_nothing_heavy() -> None:
    code = """
        import contextlib, io, sys
        sys.argv = ["ordertrack", "--help"]
        from ordertrack.cli import main
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                main()
            except SystemExit as e:
                assert e.code == 0, e.code
    """
    result = loaded_after(code, (*HEAVY, "duckdb", "pydantic"))
    assert result["loaded"] == []


@pytest.mark.parametrize("command", ["status", "sql", "init", "config"])
def test_command_help_loads_nothing_heavy(command: str) -> None:
    code = f"""
        import contextlib, io, sys
        sys.argv = ["ordertrack", {command!r}, "--help"]
        from ordertrack.cli import main
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                main()
            except SystemExit as e:
                assert e.code == 0, e.code
    """
    result = loaded_after(code, HEAVY)
    assert result["loaded"] == []


def test_public_api_is_lazy_and_complete() -> None:
    code = """
        import ordertrack
        for name in ordertrack.__all__:
            assert getattr(ordertrack, name) is not None, name
    """
    result = loaded_after(code, ("typer", "rich", "matplotlib"))
    assert result["loaded"] == []


def test_public_status_stays_a_function_after_its_module_is_imported() -> None:
    code = """
        import ordertrack
        import ordertrack.overview, ordertrack.cli.workspace_cmd
        assert callable(ordertrack.status), ordertrack.status
    """
    loaded_after(code, ())
