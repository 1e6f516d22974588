"""``config check`` and ``config show``."""

from __future__ import annotations

from typing import Annotated

import typer

from ordertrack.cli._common import (
    JsonOpt,
    WorkspaceOpt,
    console,
    make_typer,
    print_json,
)
from ordertrack.words import counted

app = make_typer("Check and show the workspace configuration (ordertrack.toml).")


@app.command("check")
def check(workspace: WorkspaceOpt = None) -> None:
    """Validate ordertrack.toml and list every problem (exit 2 when there are any)."""
    from ordertrack.config import condition_problems
    from ordertrack.errors import ConfigError
    from ordertrack.workspace import open_workspace

    ws = open_workspace(workspace)
    c = ws.config
    problems = condition_problems(c, file=str(ws.config_path.name))
    if problems:
        raise ConfigError(problems)
    console().print(
        f"{ws.config_path}: OK — {counted(len(c.flow.stages), 'stage')}, "
        f"{counted(len(c.roles), 'role')}, {counted(len(c.rules), 'rule')}, "
        f"{counted(len(c.profiles), 'profile')}",
        markup=False,  # a path such as /data/[2026]/ws is text, not markup
        soft_wrap=True,  # one line, never broken inside the path
    )


@app.command("show")
def show(
    workspace: WorkspaceOpt = None,
    json_: JsonOpt = False,
    defaults: Annotated[
        bool, typer.Option("--defaults", help="Include keys left at their default.")
    ] = True,
) -> None:
    """Print the configuration as ordertrack reads it (defaults filled in)."""
    from ordertrack.workspace import open_workspace

    ws = open_workspace(workspace)
    data = ws.config.model_dump(mode="json", exclude_defaults=not defaults)
    if json_:
        print_json(data)
    else:
        import json

        console().print_json(json.dumps(data, ensure_ascii=False))
