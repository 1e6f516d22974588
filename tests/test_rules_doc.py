"""docs/rules.md says what the rule engine does; this checks that what it shows works.

- Every ```toml block with ``[[rules]]`` is a complete rule (or several) that the
  default English configuration accepts: appended to ``config_template("en")`` (minus
  the template's rules with the same ids), it loads with ``parse_config`` and has no
  problems in ``check_config`` or ``condition_problems``. Alone, and all of them together
  (so their ids are distinct and their ``inhibits`` resolve).
- Every other ```toml block (SMTP presets, robots, people, …) validates merged into the
  default configuration.
- A ```` ```toml refused ```` block gives exactly the ``config check`` errors the doc shows.
- The cookbook has at least 15 distinct rules, and shows every rule the template writes.
- Every ``ordertrack …`` command in a ```sh / ```console / ```crontab block exists, and
  every option given to it is one of its options.
"""

from __future__ import annotations

import re
import shlex
import textwrap
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from ordertrack.config import Config, check_config, condition_problems, parse_config
from ordertrack.templates import config_template

ROOT = Path(__file__).resolve().parent.parent
RULES_MD = ROOT / "docs" / "rules.md"

_FENCE = re.compile(r"^([ \t]*)```([\w-]*)([^\n]*)\n(.*?)^\1```[ \t]*$", re.MULTILINE | re.DOTALL)
_RULES_HEADER = re.compile(r"^\[\[rules\]\]\s*$", re.MULTILINE)
_COMMAND_LANGS = {"sh", "shell", "bash", "console", "crontab"}
_SHELL_OPERATORS = {"|", "||", "&", "&&", ";", ";;", "(", ")", ">", ">>", "<", "<<", "2>", "2>&1"}


def _text() -> str:
    return RULES_MD.read_text(encoding="utf-8")


@cache
def _blocks() -> tuple[tuple[str, str, str], ...]:
    """(language, body, section heading) of every fenced block of docs/rules.md.

    A block whose info string says ``refused`` (```` ```toml refused ````) is an example of
    a configuration ordertrack refuses: its language is reported as ``toml-refused``.
    """
    text = _text()
    headings = [(m.start(), m.group(1)) for m in re.finditer(r"^## (.+)$", text, re.MULTILINE)]
    out = []
    for m in _FENCE.finditer(text):
        section = next((h for pos, h in reversed(headings) if pos < m.start()), "")
        lang = m.group(2).lower() + ("-refused" if "refused" in m.group(3) else "")
        out.append((lang, textwrap.dedent(m.group(4)), section))
    return tuple(out)


def _toml_blocks() -> list[tuple[str, str]]:
    return [(body, section) for lang, body, section in _blocks() if lang == "toml"]


def _rule_blocks() -> list[str]:
    return [body for body, _ in _toml_blocks() if _RULES_HEADER.search(body)]


def _cookbook_blocks() -> list[str]:
    return [
        body
        for body, section in _toml_blocks()
        if section == "Cookbook" and _RULES_HEADER.search(body)
    ]


def _rule_ids(toml_text: str) -> list[str]:
    return [r["id"] for r in tomllib.loads(toml_text).get("rules", [])]


def _without_rules(template: str, ids: set[str]) -> str:
    """The template text without its ``[[rules]]`` tables whose id is in ``ids``.

    A rule's table runs from its ``[[rules]]`` line to the next table header that is not
    one of its sub-tables (``[[rules.escalate]]``, ``[rules.actions.task]``…).
    """
    lines = template.splitlines(keepends=True)
    out: list[str] = []
    i = 0
    while i < len(lines):
        if lines[i].strip() != "[[rules]]":
            out.append(lines[i])
            i += 1
            continue
        j = i + 1
        while j < len(lines) and not (
            lines[j].startswith("[") and not lines[j].startswith(("[[rules.", "[rules."))
        ):
            j += 1
        segment = "".join(lines[i:j])
        if set(_rule_ids(segment)) & ids:
            i = j
            continue
        out.extend(lines[i:j])
        i = j
    return "".join(out)


def _config_with(blocks: list[str]) -> Config:
    ids = {rule_id for body in blocks for rule_id in _rule_ids(body)}
    template = _without_rules(config_template("en"), ids)
    text = template.rstrip("\n") + "\n\n" + "\n\n".join(b.strip("\n") for b in blocks) + "\n"
    return parse_config(text, "docs/rules.md")


def _problems(config: Config) -> list[str]:
    return [
        str(p)
        for p in [
            *check_config(config, "docs/rules.md"),
            *condition_problems(config, "docs/rules.md"),
        ]
    ]


# ---------------------------------------------------------------------------------------
# TOML


def test_the_doc_has_rule_blocks() -> None:
    assert RULES_MD.exists(), "docs/rules.md is missing"
    assert len(_rule_blocks()) >= 15


@pytest.mark.parametrize("index", range(len(_rule_blocks())))
def test_rule_block_loads_in_the_default_configuration(index: int) -> None:
    block = _rule_blocks()[index]
    config = _config_with([block])
    assert _problems(config) == [], block
    for rule_id in _rule_ids(block):
        assert rule_id in [r.id for r in config.rules]


def test_all_rule_blocks_load_together() -> None:
    blocks = _rule_blocks()
    ids = [rule_id for body in blocks for rule_id in _rule_ids(body)]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    config = _config_with(blocks)
    assert _problems(config) == []


def test_refused_example_gives_the_errors_shown() -> None:
    """The refused rules give, word for word, the `config check` output the doc shows."""
    refused = [body for lang, body, _ in _blocks() if lang == "toml-refused"]
    assert refused, "docs/rules.md shows no refused rule"
    text = _text()
    for block in refused:
        ids = set(_rule_ids(block))
        template = _without_rules(config_template("en"), ids)
        config = parse_config(template.rstrip("\n") + "\n\n" + block, "ordertrack.toml")
        problems = [str(p) for p in condition_problems(config, "ordertrack.toml")]
        assert len(problems) == len(ids), problems
        shown = f"Error: {len(problems)} problems in the configuration:\n" + "".join(
            f"  {p}\n" for p in problems
        )
        assert shown in text, shown


def test_cookbook_has_at_least_15_distinct_rules() -> None:
    ids = [rule_id for body in _cookbook_blocks() for rule_id in _rule_ids(body)]
    assert len(set(ids)) >= 15, ids
    assert len(ids) == len(set(ids)), "a rule id is used twice in the cookbook"


def test_cookbook_shows_every_seed_rule() -> None:
    seed = _rule_ids(config_template("en"))
    assert seed, "the template has no [[rules]]"
    cookbook = {rule_id for body in _cookbook_blocks() for rule_id in _rule_ids(body)}
    text = _text()
    for rule_id in seed:
        assert rule_id in text, f"seed rule {rule_id} is not mentioned in docs/rules.md"
        assert rule_id in cookbook, f"seed rule {rule_id} has no block in the cookbook"
    # …and the Chinese template writes the same rules.
    assert _rule_ids(config_template("zh")) == seed


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        elif isinstance(value, list) and isinstance(out.get(key), list) and key == "rules":
            out[key] = [*out[key], *value]
        else:
            out[key] = value
    return out


def _other_toml_blocks() -> list[str]:
    return [body for body, _ in _toml_blocks() if not _RULES_HEADER.search(body)]


@pytest.mark.parametrize("index", range(len(_other_toml_blocks())))
def test_other_toml_block_validates(index: int) -> None:
    block = _other_toml_blocks()[index]
    data = _merge(tomllib.loads(config_template("en")), tomllib.loads(block))
    config = Config.model_validate(data)
    assert _problems(config) == [], block


# ---------------------------------------------------------------------------------------
# commands


@cache
def _cli() -> dict[str, tuple[set[str], bool]]:
    """Command name → (its option flags, whether it is a group)."""
    from ordertrack.docgen import cli_commands

    out: dict[str, tuple[set[str], bool]] = {}
    for command in cli_commands():
        flags = {"-h", "--help"}
        for param in command.params:
            if param.kind == "option":
                flags |= set(re.findall(r"--?[\w-]+", param.name))
        out[command.name] = (flags, bool(command.subcommands))
    return out


def _command_lines() -> list[str]:
    lines = []
    for lang, body, _ in _blocks():
        if lang not in _COMMAND_LANGS:
            continue
        for line in body.splitlines():
            if lang == "console":
                if not line.startswith("$ "):
                    continue  # output, not a command
                line = line[2:]
            lines.append(line)
    return lines


def _invocations(line: str) -> list[list[str]]:
    """The words after each ``ordertrack`` (any path to it) up to a shell operator."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        tokens = list(lexer)
    except ValueError as e:  # unbalanced quotes
        raise AssertionError(f"cannot split {line!r}: {e}") from None
    found = []
    for i, token in enumerate(tokens):
        if token.rsplit("/", 1)[-1] != "ordertrack":
            continue
        words = []
        for word in tokens[i + 1 :]:
            if word in _SHELL_OPERATORS:
                break
            words.append(word)
        found.append(words)
    return found


def test_doc_has_commands() -> None:
    assert sum(len(_invocations(line)) for line in _command_lines()) >= 20


def test_every_command_in_the_doc_exists() -> None:
    cli = _cli()
    problems = []
    for line in _command_lines():
        for words in _invocations(line):
            name, k = "ordertrack", 0
            while k < len(words) and f"{name} {words[k]}" in cli:
                name, k = f"{name} {words[k]}", k + 1
            flags, is_group = cli[name]
            rest = words[k:]
            if is_group and rest and not rest[0].startswith("-"):
                problems.append(f"{line!r}: `{name}` has no sub-command {rest[0]!r}")
                continue
            for word in rest:
                if word.startswith("-") and not re.fullmatch(r"-\d+(\.\d+)?", word):
                    flag = word.split("=", 1)[0]
                    if flag not in flags:
                        problems.append(f"{line!r}: `{name}` has no option {flag}")
    assert problems == [], "\n".join(problems)


# ---------------------------------------------------------------------------------------
# Python


def test_python_examples_parse_and_import_what_exists() -> None:
    import ast
    import importlib

    blocks = [body for lang, body, _ in _blocks() if lang == "python"]
    assert blocks
    for body in blocks:
        tree = ast.parse(body)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("ordertrack")
            ):
                module = importlib.import_module(node.module)
                for alias in node.names:
                    assert hasattr(module, alias.name), f"{node.module}.{alias.name}"
