"""One jinja2 environment for every HTML the package writes (autoescape on, strict)."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def _env() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("ordertrack", "templates/html"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(template: str, **context: Any) -> str:
    return str(_env().get_template(template).render(**context))
