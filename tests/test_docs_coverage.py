"""The hand-written docs cannot drift from the code or fall apart (tests/test_docs.py covers
the generated reference pages; this covers what links them and what they show).

- Every KPI of the registry (``ordertrack.report.kpis.KPIS``) is in docs/kpis.md, with
  its anchor, names, table row and formula, and kpis.md documents no other.
- Every page under docs/ (how-tos included) is linked from docs/index.md; README.md
  links the tutorial (both languages) and every how-to.
- Every relative link (and image) in README.md and docs/**/*.md resolves to an existing
  file, and its ``#anchor`` to a heading (GitHub's slugs) or an ``<a id>`` of the target.
- Every ``ordertrack …`` command shown in a code block of README.md and the hand-written
  pages parses with the real typer/click app: its sub-commands exist, its options exist
  and get their values, no argument is missing or left over.
- The tutorial in English and in Chinese shows the same commands with the same options.
- The tutorial's and the how-tos' SQL (``sql`` blocks and ``ordertrack sql "…"``) runs on
  a workspace, and their TOML, applied to the default configuration page by page, loads
  and passes ``config check``.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from ordertrack import docgen

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"
INDEX = DOCS / "index.md"
TUTORIALS = (DOCS / "tutorial.md", DOCS / "tutorial.zh.md")

# docs/scheduling.md is written together with the scheduler (issue 8); until it lands,
# links to it are the only ones allowed to dangle. Once the file exists it is checked
# like every other page (anchors included), so this needs no cleaning up.
PENDING = frozenset({DOCS / "scheduling.md"})


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def handwritten() -> list[Path]:
    """README.md and every page of docs/ that ``make docs`` does not generate."""
    return [
        README,
        *(p for p in pages() if p.relative_to(DOCS).as_posix() not in docgen.GENERATORS),
    ]


def howtos() -> list[Path]:
    return sorted((DOCS / "howto").glob("*.md"))


def guides() -> list[Path]:
    """The pages that walk through commands: the tutorial and the how-tos."""
    return [*TUTORIALS, *howtos()]


# ---------------------------------------------------------------------------------------
# markdown


_MD = MarkdownIt("commonmark").enable("table")


@cache
def tokens(path: Path) -> tuple[Token, ...]:
    return tuple(_MD.parse(path.read_text(encoding="utf-8")))


def links(path: Path) -> list[tuple[int, str]]:
    """(line, target) of every link and image of a page, outside code."""
    out = []
    for token in tokens(path):
        if token.type != "inline" or not token.children:
            continue
        line = token.map[0] + 1 if token.map else 0
        for child in token.children:
            if child.type == "link_open":
                out.append((line, str(child.attrGet("href") or "")))
            elif child.type == "image":
                out.append((line, str(child.attrGet("src") or "")))
    return out


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces → '-'."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@cache
def anchors(path: Path) -> frozenset[str]:
    """Every anchor a page has: its headings' slugs (``-1``, ``-2`` for repeats) and
    its explicit ``<a id="…">`` / ``<a name="…">``."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    toks = tokens(path)
    for i, token in enumerate(toks):
        if token.type != "heading_open":
            continue
        inline = toks[i + 1]
        text = "".join(
            c.content for c in inline.children or [] if c.type in ("text", "code_inline")
        )
        base = slug(text)
        n = seen.get(base, 0)
        seen[base] = n + 1
        found.add(base if n == 0 else f"{base}-{n}")
    text = path.read_text(encoding="utf-8")
    found |= set(re.findall(r"<a\s+(?:id|name)=\"([^\"]+)\"", text))
    return frozenset(found)


def resolve(page: Path, target: str) -> tuple[Path, str] | None:
    """The file and anchor a relative link points at; None for an external link."""
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) or target.startswith("//"):
        return None
    path, _, anchor = target.partition("#")
    dest = (page.parent / unquote(path)).resolve() if path else page
    return dest, unquote(anchor)


def fences(path: Path) -> list[tuple[str, str, int]]:
    """(language, body, first line) of every fenced code block of a page."""
    return [
        (t.info.strip().split(" ")[0].lower(), t.content, (t.map[0] + 2) if t.map else 0)
        for t in tokens(path)
        if t.type == "fence"
    ]


def test_markdown_helpers() -> None:
    assert slug("E-mail: `[notify.smtp]`") == "e-mail-notifysmtp"
    assert slug("View `v_order_facts`") == "view-v_order_facts"
    assert slug("On-time delivery (OTD) · 准时交付率") == "on-time-delivery-otd--准时交付率"
    assert slug("3. Keep the password out of the file") == "3-keep-the-password-out-of-the-file"
    assert "quick-start" in anchors(README)
    assert "on_time_delivery" in anchors(DOCS / "kpis.md")
    assert resolve(INDEX, "flow.md") == ((DOCS / "flow.md").resolve(), "")
    assert resolve(INDEX, "https://example.com/x.md") is None
    assert resolve(INDEX, "#getting-started") == (INDEX, "getting-started")


# ---------------------------------------------------------------------------------------
# (a) every KPI of the registry is documented


def test_every_kpi_is_documented() -> None:
    from ordertrack.report.kpis import KPIS

    text = (DOCS / "kpis.md").read_text(encoding="utf-8")
    flat = " ".join(text.split())
    assert KPIS, "the KPI registry is empty"
    missing = []
    for kpi in KPIS.values():
        wanted = {
            "anchor": f'<a id="{kpi.id}"></a>',
            "heading": f"\n## {kpi.name_en} · {kpi.name_zh}\n",
            "table row": f"| `{kpi.id}` |",
            "link from the table": f"](#{kpi.id})",
        }
        missing += [f"{kpi.id}: {what}" for what, s in wanted.items() if s not in text]
        for what, formula in (("formula_en", kpi.formula_en), ("formula_zh", kpi.formula_zh)):
            if " ".join(formula.split()) not in flat:
                missing.append(f"{kpi.id}: {what}")
    assert not missing, f"not in docs/kpis.md: {missing}. Run `make docs`."


def test_kpis_md_documents_no_other_kpi() -> None:
    from ordertrack.report.kpis import KPIS

    documented = re.findall(r'^<a id="([^"]+)"></a>$', (DOCS / "kpis.md").read_text("utf-8"), re.M)
    assert documented, "docs/kpis.md has no KPI sections"
    assert sorted(documented) == sorted(KPIS), "docs/kpis.md is stale: run `make docs`"


# ---------------------------------------------------------------------------------------
# (b) every page is reachable


def linked_from(page: Path) -> set[Path]:
    out = set()
    for _, target in links(page):
        found = resolve(page, target)
        if found is not None:
            out.add(found[0])
    return out


def test_every_docs_page_is_linked_from_the_index() -> None:
    linked = linked_from(INDEX)
    missing = [rel(p) for p in pages() if p != INDEX and p not in linked]
    assert not missing, f"docs/index.md does not link: {missing}"


def test_the_guides_exist() -> None:
    for path in TUTORIALS:
        assert path.is_file(), rel(path)
    names = {p.stem for p in howtos()}
    assert len(names) >= 7, names


def test_readme_links_the_tutorial_and_every_howto() -> None:
    linked = linked_from(README)
    missing = [rel(p) for p in guides() if p not in linked]
    assert not missing, f"README.md does not link: {missing}"


# ---------------------------------------------------------------------------------------
# (c) every relative link resolves


@pytest.mark.parametrize("page", [README, *pages()], ids=rel)
def test_relative_links_resolve(page: Path) -> None:
    problems = []
    for line, target in links(page):
        found = resolve(page, target)
        if found is None:
            continue
        dest, anchor = found
        where = f"{rel(page)}:{line}: ({target})"
        if not dest.exists():
            if dest not in PENDING:
                problems.append(f"{where}: no such file")
            continue
        if anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            problems.append(f"{where}: {dest.name} has no anchor #{anchor}")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------------
# (d) every command shown exists, with its options


_COMMAND_LANGS = {"sh", "shell", "bash", "zsh", "console", "crontab", "cron", "ini", "systemd"}
# a unit file is an `ini` block: only its `ExecStart=` (`ExecStop=`, …) lines are commands
_PROMPT_ONLY = {"console", "text", ""}  # output blocks: only `$ ` lines are commands


def command_lines(page: Path) -> list[tuple[int, str]]:
    """(line, command text) of the commands in a page's code blocks."""
    out = []
    for lang, body, first in fences(page):
        if lang not in _COMMAND_LANGS | _PROMPT_ONLY:
            continue
        prompts = lang in _PROMPT_ONLY or any(ln.startswith("$ ") for ln in body.splitlines())
        pending, start = "", 0
        for i, line in enumerate(body.splitlines()):
            if prompts and not pending:
                if not line.startswith("$ "):
                    continue
                line = line[2:]
            if lang in ("ini", "systemd") and not re.match(r"\s*Exec\w*=", line):
                continue  # a unit file: only its Exec…= lines run commands
            if not pending:
                start = first + i
            if line.endswith("\\"):
                pending += line[:-1] + " "
                continue
            out.append((start, pending + line))
            pending = ""
    return out


def invocations(line: str) -> list[list[str]]:
    """The words after each ``ordertrack`` (any path to it) up to a shell operator."""
    line = re.sub(r"\$\([^)]*\)", "VALUE", line)  # $(date +%F) and the like
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    words = list(lexer)
    found = []
    for i, word in enumerate(words):
        if re.split(r"[/=]", word)[-1] != "ordertrack":
            continue
        args: list[str] = []
        for j, arg in enumerate(words[i + 1 :], start=i + 1):
            if re.fullmatch(r"[();<>|&]+", arg):
                break
            if arg.isdigit() and j + 1 < len(words) and words[j + 1].startswith(">"):
                break  # 2>/dev/null
            args.append(arg)
        found.append(args)
    return found


@cache
def cli_root() -> Any:
    """The click command typer builds from ``ordertrack.cli.app`` (as docgen walks it)."""
    import typer.main

    from ordertrack.cli import app

    return typer.main.get_command(app)


def check_command(args: list[str]) -> str | None:
    """What is wrong with ``ordertrack ARGS`` (None when the CLI would accept it)."""
    from typer._click.exceptions import UsageError  # typer vendors click

    command: Any = cli_root()
    ctx = docgen._context(command, "ordertrack", None)
    path = ["ordertrack"]
    args = list(args)
    while hasattr(command, "list_commands"):
        if not args or args[0] in ("-h", "--help", "-V", "--version"):
            return None
        sub = None if args[0].startswith("-") else command.get_command(ctx, args[0])
        if sub is None:
            known = ", ".join(command.list_commands(ctx))
            return f"`{' '.join(path)}` has no sub-command {args[0]!r} (it has: {known})"
        path.append(args.pop(0))
        ctx = docgen._context(sub, path[-1], ctx)
        command = sub
    name = " ".join(path)
    if "-h" in args or "--help" in args:
        return None
    try:
        opts, extra, _ = command.make_parser(ctx).parse_args(args=args)
    except UsageError as e:
        return f"`{name}`: {e.format_message()}"
    if extra and not ctx.allow_extra_args:
        return f"`{name}`: unexpected argument(s) {extra}"
    for param in command.get_params(ctx):
        if param.required and opts.get(param.name) in (None, ()) and not param.envvar:
            return f"`{name}`: missing {param.name}"
    return None


def test_command_helpers() -> None:
    assert invocations("*/15 * * * *  cd /srv && ordertrack alerts run --wait 60 # cron") == [
        ["alerts", "run", "--wait", "60"]
    ]
    assert invocations("ExecStart=/opt/ot/.venv/bin/ordertrack schedule run -w /srv") == [
        ["schedule", "run", "-w", "/srv"]
    ]
    assert invocations('ordertrack sql "SELECT 1 # not a comment" 2>/dev/null | head') == [
        ["sql", "SELECT 1 # not a comment"]
    ]
    assert invocations("本邮件由 ordertrack 为 华东精工 自动发送") == [
        ["为", "华东精工", "自动发送"]
    ]
    assert check_command(["alerts", "run", "--notify", "--wait", "60"]) is None
    assert check_command(["status", "-w", "demo"]) is None
    assert check_command(["advance", "SO-1", "--to", "picking", "--by", "wang"]) is None
    assert "no sub-command 'runn'" in (check_command(["alerts", "runn"]) or "")
    assert "--notfy" in (check_command(["alerts", "run", "--notfy"]) or "")
    assert "requires an argument" in (check_command(["advance", "SO-1", "--to"]) or "")
    assert "missing" in (check_command(["import"]) or "")
    assert "unexpected" in (check_command(["status", "extra"]) or "")


@cache
def all_commands() -> tuple[tuple[Path, int, str, tuple[str, ...]], ...]:
    out = []
    for page in handwritten():
        for line, text in command_lines(page):
            out += [(page, line, text, tuple(args)) for args in invocations(text)]
    return tuple(out)


def test_the_guides_show_commands() -> None:
    for page in guides():
        n = sum(1 for p, *_ in all_commands() if p == page)
        assert n >= (10 if page in TUTORIALS else 1), f"{rel(page)}: only {n} commands"


@pytest.mark.parametrize("page", handwritten(), ids=rel)
def test_every_command_shown_parses(page: Path) -> None:
    problems = [
        f"{rel(p)}:{line}: {text}\n    {problem}"
        for p, line, text, args in all_commands()
        if p == page and (problem := check_command(list(args)))
    ]
    assert not problems, "\n".join(problems)


def shape(args: tuple[str, ...]) -> tuple[str, ...]:
    """A command without its values: the sub-commands and the option names."""
    words = [a.split("=", 1)[0] for a in args if a.startswith("-")]
    head = [a for a in args if not a.startswith("-")][:2]
    return (*head, *sorted(words))


def test_the_tutorial_shows_the_same_commands_in_both_languages() -> None:
    en, zh = ([shape(args) for p, _, _, args in all_commands() if p == page] for page in TUTORIALS)
    assert en == zh


# ---------------------------------------------------------------------------------------
# (e) the guides' SQL runs and their TOML loads


def sql_examples() -> list[tuple[str, str]]:
    """(where, statement) for the SQL of the guides: ``sql`` blocks and `ordertrack sql`."""
    out = []
    for page in guides():
        for lang, body, line in fences(page):
            if lang == "sql":
                for statement in re.split(r";\s*(?:--[^\n]*)?\n", body + "\n"):
                    if statement.strip() and not statement.lstrip().upper().startswith("SET "):
                        out.append((f"{rel(page)}:{line}", statement.strip()))
    for page, line, _, args in all_commands():
        if page in guides() and args[:1] == ("sql",):
            out.append((f"{rel(page)}:{line}", next(a for a in args[1:] if not a.startswith("-"))))
    return out


def test_the_guides_sql_runs(workspace: Path) -> None:
    from ordertrack import open_workspace, run_sql

    examples = sql_examples()
    assert len(examples) >= 10, examples
    ws = open_workspace(workspace)
    problems = []
    for where, statement in examples:
        try:
            run_sql(ws, statement)
        except Exception as e:  # the report names every failing query, not just the first
            problems.append(f"{where}: {statement[:80]}…\n    {type(e).__name__}: {e}")
    assert not problems, "\n".join(problems)


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        elif key == "rules" and isinstance(value, list):
            ids = {r.get("id") for r in value}
            out[key] = [*(r for r in out.get(key, []) if r.get("id") not in ids), *value]
        elif key == "stages" and isinstance(value, list) and out.get(key):
            out[key] = [*out[key][:-1], *value, out[key][-1]]  # before the last stage
        else:
            out[key] = value
    return out


@pytest.mark.parametrize("page", guides(), ids=rel)
def test_the_guides_toml_applies_to_the_default_configuration(page: Path) -> None:
    from ordertrack.config import Config, check_config, condition_problems
    from ordertrack.templates import config_template

    blocks = [body for lang, body, _ in fences(page) if lang == "toml"]
    if not blocks:
        pytest.skip("no TOML on this page")
    data = tomllib.loads(config_template("en"))
    for body in blocks:
        data = _merge(data, tomllib.loads(body))
    config = Config.model_validate(data)
    problems = [str(p) for p in [*check_config(config), *condition_problems(config)]]
    assert not problems, "\n".join(problems)


def test_help_texts_lose_no_bracketed_names() -> None:
    """Help is rich markup: "[notify.smtp]" unescaped would vanish from --help and
    docs/cli.md ("Needs  in ordertrack.toml"); it must be written "\\[notify.smtp]"."""
    import typer

    from ordertrack.cli import app
    from ordertrack.docgen import _markup_to_plain

    lost: list[str] = []

    def walk(cmd: Any, name: str) -> None:
        texts = [cmd.help or ""] + [getattr(p, "help", None) or "" for p in cmd.params]
        for text in texts:
            plain = _markup_to_plain(text)
            for word in re.findall(r"(?<!\\)\[[A-Za-z_.]+\]", text):
                if word not in plain and word not in ("[bold]", "[/bold]"):
                    lost.append(f"{name}: {word}")
        for sub_name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, f"{name} {sub_name}")

    walk(typer.main.get_command(app), "ordertrack")
    assert not lost
