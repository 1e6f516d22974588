"""The docs are generated from the code and cover all of it (sqlite-utils' test_docs.py).

If a test here fails after you changed a command, an option, the config models, the exit
codes, the entities or the SQL: run ``make docs`` (``python -m ordertrack.docgen --write``)
and commit the regenerated files in docs/.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

import pytest
from pydantic import BaseModel, BeforeValidator, Field

from ordertrack import docgen

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"
FIX = "Run `make docs` (python -m ordertrack.docgen --write) and commit the result."


@pytest.fixture(scope="module")
def generated() -> dict[str, str]:
    return docgen.generate()


def doc(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def sections(text: str, level: str = "##") -> dict[str, str]:
    """Heading text → the text under it, up to the next heading of the same level."""
    out: dict[str, str] = {}
    parts = re.split(rf"^{level} (.+)$", text, flags=re.MULTILINE)
    for title, body in zip(parts[1::2], parts[2::2], strict=True):
        out[title.strip()] = body
    return out


# ---------------------------------------------------------------------------------------
# (a) the committed docs are what the code generates


@pytest.mark.parametrize("name", sorted(docgen.GENERATORS))
def test_generated_doc_is_up_to_date(name: str, generated: dict[str, str]) -> None:
    path = DOCS / name
    assert path.exists(), f"docs/{name} is missing. {FIX}"
    assert path.read_bytes() == generated[name].encode("utf-8"), f"docs/{name} is stale. {FIX}"


def test_generation_is_deterministic_lf_utf8(generated: dict[str, str]) -> None:
    again = docgen.generate()
    assert again == generated
    for name, text in generated.items():
        assert text.endswith("\n") and not text.endswith("\n\n"), name
        assert "\r" not in text, name
        assert not [line for line in text.splitlines() if line != line.rstrip()], name
        text.encode("utf-8")


def test_check_names_stale_files_and_write_fixes_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert docgen.main(["--check", "--docs-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    for name in docgen.GENERATORS:
        assert name in err
    assert "make docs" in err

    assert docgen.main(["--write", "--docs-dir", str(tmp_path)]) == 0
    assert docgen.main(["--check", "--docs-dir", str(tmp_path)]) == 0

    (tmp_path / "exit-codes.md").write_text("old\n", encoding="utf-8")
    capsys.readouterr()
    assert docgen.main(["--check", "--docs-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "exit-codes.md" in err and "cli.md" not in err


# ---------------------------------------------------------------------------------------
# (b) every configuration key is documented, in the section of its table


def _inner_models(annotation: Any) -> list[tuple[str, type[BaseModel]]]:
    """("table" | "array" | "dict", Model) for the models a field's type holds."""
    origin, args = get_origin(annotation), get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [("table", annotation)]
    if origin is list and args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        return [("array", args[0])]
    if origin is dict and len(args) == 2:
        value = args[1]
        if isinstance(value, type) and issubclass(value, BaseModel):
            return [("dict", value)]
    out = []
    for arg in args:
        out += _inner_models(arg)
    return out


def config_keys(model: type[BaseModel], title: str = "", path: str = "") -> list[tuple[str, str]]:
    """(section heading, key) for every key of the configuration."""
    heading = f"`{title}`" if title else "Top level"
    out = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        out.append((heading, key))
        dotted = f"{path}.{key}" if path else key
        for kind, child in _inner_models(info.annotation):
            if kind == "table":
                out += config_keys(child, f"[{dotted}]", dotted)
            elif kind == "array":
                out += config_keys(child, f"[[{dotted}]]", dotted)
            else:
                out += config_keys(child, f"[{dotted}.NAME]", f"{dotted}.NAME")
    return out


def test_every_config_key_is_documented() -> None:
    from ordertrack.config import Config

    text = doc("configuration.md")
    by_heading = sections(text)
    keys = config_keys(Config)
    assert len(keys) > 20
    missing = [
        f"{heading}: {key}"
        for heading, key in keys
        if f"| `{key}` |" not in by_heading.get(heading, "")
    ]
    assert not missing, f"not in docs/configuration.md: {missing}. {FIX}"
    assert "```toml\n" in by_heading["Example"], "the example configuration is missing"


def test_every_config_field_has_a_description() -> None:
    """The field descriptions are the user documentation: none may be missing."""
    from ordertrack.config import Config

    seen: set[type[BaseModel]] = set()

    def walk(model: type[BaseModel]) -> list[str]:
        if model in seen:
            return []
        seen.add(model)
        out = [f"{model.__name__}.{n}" for n, i in model.model_fields.items() if not i.description]
        for info in model.model_fields.values():
            for _, child in _inner_models(info.annotation):
                out += walk(child)
        return out

    assert walk(Config) == []


def test_config_docs_are_generic() -> None:
    """A model added later appears without changing docgen: nesting, lists, dicts, types."""
    duration = Annotated[timedelta, BeforeValidator(lambda v: v)]

    class Leaf(BaseModel):
        """A leaf."""

        every: duration = Field(timedelta(hours=2), description="How often.")

    class Item(BaseModel):
        """An item."""

        id: str = Field(..., description="Its id.")
        tags: list[str] = Field(default_factory=list, description="Tags.")

    class Root(BaseModel):
        """The root."""

        lang: Literal["zh", "en"] = Field("en", description="Language.")
        limit: int | None = Field(None, ge=1, description="A limit.")
        leaf: Leaf = Field(
            default_factory=lambda: Leaf(every=timedelta(hours=2)), description="The leaf."
        )
        items: list[Item] = Field(default_factory=list, description="Items.")
        named: dict[str, Item] = Field(default_factory=dict, description="Named items.")
        plain: dict[str, list[str]] = Field(default_factory=dict, description="A map.")

    found = {s.title: {r.key: r for r in s.rows} for s in docgen.config_sections(Root)}
    assert list(found) == ["", "[leaf]", "[[items]]", "[named.NAME]"]
    root = found[""]
    assert root["lang"].type == '`"zh"` or `"en"`'
    assert root["lang"].default == '`"en"`'
    assert root["limit"].type == "integer (optional), ≥ 1"
    assert root["limit"].default == "not set"
    assert root["plain"].type == "table (any key → list of strings)"
    assert root["items"].type.startswith("array of tables")
    assert found["[leaf]"]["every"].type == 'duration like "2h" or "3d"'
    assert found["[leaf]"]["every"].default == '`"2h"`'
    assert found["[[items]]"]["id"].default == "**required**"
    assert found["[[items]]"]["tags"].type == "list of strings"
    assert set(found["[named.NAME]"]) == {"id", "tags"}


# ---------------------------------------------------------------------------------------
# (c) every command (and its options) is documented


def command_paths() -> list[tuple[str, Any]]:
    import typer.main

    from ordertrack.cli import app

    out: list[tuple[str, Any]] = []

    def walk(cmd: Any, path: str) -> None:
        out.append((path, cmd))
        for name, sub in (getattr(cmd, "commands", None) or {}).items():
            if not sub.hidden:
                walk(sub, f"{path} {name}")

    walk(typer.main.get_command(app), "ordertrack")
    return out


def test_every_command_is_documented() -> None:
    text = doc("cli.md")
    by_heading = sections(text)
    missing = []
    for path, cmd in command_paths():
        body = by_heading.get(path)
        if body is None:
            missing.append(path)
            continue
        for param in cmd.params:
            if getattr(param, "hidden", False):
                continue
            names = [*param.opts, *getattr(param, "secondary_opts", [])]
            if param.param_type_name == "argument":
                names = [param.metavar or param.name]
            for name in names:
                if name not in body:
                    missing.append(f"{path} {name}")
    assert not missing, f"not in docs/cli.md: {missing}. {FIX}"


def test_cli_docs_have_no_markup_and_a_usage_per_command() -> None:
    text = doc("cli.md")
    assert not re.search(r"\[/?(bold|b|italic|i|dim|red|green|yellow|blue|cyan)\]", text)
    for path, _ in command_paths():
        assert f"\n{path} [OPTIONS]" in sections(text)[path], path


# ---------------------------------------------------------------------------------------
# (d) every exit code


def test_every_exit_code_is_documented() -> None:
    from ordertrack import errors

    text = doc("exit-codes.md")
    for code, meaning in errors.EXIT_CODES.items():
        assert f"| `{code}` | {meaning.split('`')[0].strip()}" in text, code
    assert "Error: " in text and "Hint: " in text and "traceback" in text


def test_every_error_class_has_a_documented_exit_code() -> None:
    from ordertrack import errors

    Error = type[errors.OrdertrackError]

    def subclasses(cls: Error) -> list[Error]:
        out = [cls]
        for sub in cls.__subclasses__():
            out += subclasses(sub)
        return out

    for cls in subclasses(errors.OrdertrackError):
        assert cls.exit_code in errors.EXIT_CODES, cls


# ---------------------------------------------------------------------------------------
# (e) every entity field, table and view column


def test_every_entity_field_is_documented() -> None:
    from ordertrack.entities import ENTITIES

    by_heading = sections(doc("data-model.md"), "###")
    missing = []
    for entity in ENTITIES.values():
        body = by_heading.get(f"Entity `{entity.name}`", "")
        if f"Table: `{entity.table}`" not in body:
            missing.append(entity.name)
        missing += [
            f"{entity.name}.{f.name}" for f in entity.fields if f"| `{f.name}` |" not in body
        ]
    assert not missing, f"not in docs/data-model.md: {missing}. {FIX}"


def test_every_table_and_view_column_is_documented() -> None:
    from ordertrack.store import Store

    with Store.open(Path(":memory:"), create=True) as store:
        rows = store.fetchall(
            "SELECT t.table_type, c.table_name, c.column_name FROM information_schema.columns c "
            "JOIN information_schema.tables t USING (table_schema, table_name) "
            "WHERE c.table_schema = 'main'"
        )
    assert rows
    text = doc("data-model.md")
    by_heading = sections(text, "###")
    missing = []
    for table_type, table, column in rows:
        kind = "View" if table_type == "VIEW" else "Table"
        if kind == "Table" and f"### Table `{table}`" not in text:
            assert f"`{table}`" in text, table  # bookkeeping tables: listed by name
            continue
        if f"| `{column}` |" not in by_heading.get(f"{kind} `{table}`", ""):
            missing.append(f"{table}.{column}")
    assert not missing, f"not in docs/data-model.md: {missing}. {FIX}"


def test_preset_headers_are_documented() -> None:
    from ordertrack.ingest.presets import PRESETS

    text = doc("data-model.md")
    for name, spec in PRESETS.items():
        assert f"`{name}`" in text, name
        for headers in spec.get("columns", {}).values():
            for header in [headers] if isinstance(headers, str) else headers:
                assert docgen._prose(header) in text, (name, header)


def test_sql_comments_become_descriptions() -> None:
    source = (
        "-- file header, not a table's description\n"
        "\n"
        "CREATE TABLE things (   -- one row per thing\n"
        "    thing_id VARCHAR PRIMARY KEY,\n"
        "    state VARCHAR NOT NULL,   -- open | closed\n"
        "    size INTEGER\n"
        ");\n"
        "\n"
        "-- Things with their size class.\n"
        "-- Stable: rules use it.\n"
        "CREATE OR REPLACE VIEW v_things AS\n"
        "SELECT thing_id,   -- the id\n"
        "       size > 10 AS big,  -- more than 10\n"
        "       state\n"
        "FROM things;\n"
    )
    found = {o.name: o for o in docgen.parse_sql([("x.sql", source)])}
    assert found["things"].kind == "table"
    assert found["things"].comment == "one row per thing"
    assert found["things"].notes == {"state": "open | closed"}
    assert found["v_things"].kind == "view"
    assert found["v_things"].comment == "Things with their size class. Stable: rules use it."
    assert found["v_things"].notes == {"thing_id": "the id", "big": "more than 10"}


# ---------------------------------------------------------------------------------------
# (f) README: the quick start is exactly `make demo` and `make test`


def readme_sections() -> dict[str, str]:
    return sections(README.read_text(encoding="utf-8"))


def commands_in(markdown: str) -> list[str]:
    """The commands in the fenced code blocks of ``markdown`` (comments and prompts dropped)."""
    out = []
    for block in re.findall(r"^```[^\n]*\n(.*?)^```", markdown, flags=re.MULTILINE | re.DOTALL):
        for line in block.splitlines():
            line = line.split(" #")[0].strip().removeprefix("$ ")
            if line and not line.startswith("#"):
                out.append(line)
    return out


def test_readme_quick_start_is_make_demo_and_make_test() -> None:
    quick = [body for title, body in readme_sections().items() if title.lower() == "quick start"]
    assert len(quick) == 1, "README.md needs one '## Quick start' section"
    assert commands_in(quick[0]) == ["make demo", "make test"]
    assert "python3" in quick[0] and "make" in quick[0]


def test_readme_documents_the_plain_pip_equivalent() -> None:
    text = README.read_text(encoding="utf-8")
    for command in (
        "python3 -m venv .venv",
        ".venv/bin/pip install -e '.[dev]'",
        ".venv/bin/ordertrack demo demo",
        ".venv/bin/python -m pytest",
    ):
        assert command in text, command


def test_readme_make_targets_exist() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, flags=re.MULTILINE))
    used = set(re.findall(r"`make ([a-z][\w-]*)`", README.read_text(encoding="utf-8")))
    assert used and used <= targets, used - targets


def test_docs_index_links_every_generated_page() -> None:
    index = doc("index.md")
    for name in [*docgen.GENERATORS, "importing.md"]:
        assert f"]({name})" in index, name
    assert "](../CHANGELOG.md)" in index
    for target in re.findall(r"\]\((?!https?:)([^)#]+)", README.read_text(encoding="utf-8")):
        if target.startswith("docs/") and Path(target).name in docgen.GENERATORS:
            assert (ROOT / target).exists(), target
