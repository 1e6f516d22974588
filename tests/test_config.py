"""ordertrack.toml: one bad file per failure mode (tests/data/config), checked two ways.

Through the command (``ordertrack config check`` in a workspace whose ordertrack.toml is
the bad file): exit 2, ``Error:`` first on stderr, the file name and the dotted key in
the message, no traceback. Through Python: ``parse_config`` raises ``ConfigError`` whose
``problems`` name each key.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import DATA, Invoke, set_config

from ordertrack.config import CONFIG_FILE, load_config, parse_config
from ordertrack.durations import format_duration, parse_duration
from ordertrack.errors import EXIT_OK, EXIT_USER, ConfigError, Problem
from ordertrack.templates import config_template

CORPUS = DATA / "config"


@dataclass(frozen=True)
class Case:
    file: str
    keys: list[str]  # the dotted key of every problem, in the order they are listed
    words: list[str]  # fragments the message must contain


CASES = [
    Case("not_toml", [""], ["not valid TOML", "line 2"]),
    Case("unknown_top_level_key", ["workspce"], ['unknown key; did you mean "workspace"?']),
    Case(
        "unknown_stage_key",
        ["flow.stages[1].whne"],
        ['unknown key; did you mean "when"?', "allowed keys here: id, name, owner, cc, sla, when"],
    ),
    Case("wrong_type_lang", ["workspace.lang"], ["input should be 'zh' or 'en', got 5"]),
    Case("wrong_type_stages", ["flow.stages"], ['should be a valid list, got "all of them"']),
    Case("bad_duration", ["flow.stages[3].sla"], ['expected a duration like "24h" or "2d"']),
    Case(
        "unknown_stage_reference",
        ["flow.on_import.shipped"],
        ['unknown stage "shiped"; did you mean "shipped"?'],
    ),
    Case(
        "duplicate_stage_id",
        ["flow.stages[2].id"],
        ['duplicate stage id "shipped"; stage ids must be unique'],
    ),
    Case(
        "unknown_role",
        ["flow.stages[0].owner"],
        ['unknown role "warehose"; did you mean "warehouse"?', "packer"],
    ),
    Case("bad_timezone", ["workspace.timezone"], ['unknown time zone "Beijing Time"', "IANA"]),
    Case("missing_required_key", ["flow.stages[1].owner"], ["required key is missing"]),
    Case("bad_stage_id", ["flow.stages[0].id"], ['"Shipped Today" is not lower_snake_case']),
    Case(
        "several_problems",
        ["workspace.timezone", "workspace.lang", "workspace.colour", "flow.stages[0].sla"],
        ["4 problems in the configuration:", 'got "fr"', "Mars/Olympus", 'got "soon"'],
    ),
]


def text_of(name: str) -> str:
    return (CORPUS / f"{name}.toml").read_text(encoding="utf-8")


def test_every_corpus_file_has_a_case() -> None:
    """A new bad file without a test (or a case without its file) is a mistake."""
    expected_fail = {"several_problems_mixed", "custom_flow_without_on_import", "empty_flow"}
    on_disk = {p.stem for p in CORPUS.glob("*.toml")}
    assert on_disk == {c.file for c in CASES} | expected_fail


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.file)
def test_parse_config_lists_problems(case: Case) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text_of(case.file))
    err = info.value
    assert [p.key for p in err.problems] == case.keys
    assert all(p.file == CONFIG_FILE for p in err.problems)
    for word in case.words:
        assert word in err.message, (word, err.message)
    assert err.exit_code == EXIT_USER
    assert err.hint


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.file)
def test_config_check_reports_problems(
    case: Case, invoke: Invoke, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(CORPUS / f"{case.file}.toml", workspace / CONFIG_FILE)
    monkeypatch.chdir(workspace)
    result = invoke("config", "check")
    assert result.exit_code == EXIT_USER, result.output
    assert result.stderr.startswith("Error: ")
    assert "Traceback" not in result.output
    assert result.stdout == ""
    for key in case.keys:
        assert (f"{CONFIG_FILE}: {key}: " if key else f"{CONFIG_FILE}: ") in result.stderr
    for word in case.words:
        assert word in result.stderr, (word, result.stderr)
    assert result.stderr.rstrip("\n").splitlines()[-1].startswith("Hint: ")


def test_bad_duration_message_is_exact(
    invoke: Invoke, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(CORPUS / "bad_duration.toml", workspace / CONFIG_FILE)
    monkeypatch.chdir(workspace)
    result = invoke("config", "check")
    assert result.exit_code == EXIT_USER
    assert result.stderr == (
        'Error: ordertrack.toml: flow.stages[3].sla: expected a duration like "24h" or "2d", '
        'got "soon"\n'
        "Hint: Fix the file and run `ordertrack config check`.\n"
    )
    with pytest.raises(ConfigError) as info:
        parse_config(text_of("bad_duration"))
    assert info.value.problems == [
        Problem(
            "ordertrack.toml",
            "flow.stages[3].sla",
            'expected a duration like "24h" or "2d", got "soon"',
        )
    ]
    assert str(info.value) == (
        'ordertrack.toml: flow.stages[3].sla: expected a duration like "24h" or "2d", got "soon"'
    )


def test_several_problems_are_all_listed(
    invoke: Invoke, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(CORPUS / "several_problems.toml", workspace / CONFIG_FILE)
    monkeypatch.chdir(workspace)
    result = invoke("config", "check")
    assert result.exit_code == EXIT_USER
    lines = result.stderr.splitlines()
    assert lines[0] == "Error: 4 problems in the configuration:"
    assert [line.split(": ")[1] for line in lines[1:5]] == [
        "workspace.timezone",
        "workspace.lang",
        "workspace.colour",
        "flow.stages[0].sla",
    ]
    assert all(line.startswith("  ordertrack.toml: ") for line in lines[1:5])
    assert lines[5] == "Hint: Fix the file and run `ordertrack config check`."


def test_file_is_named_relative_to_the_current_folder(invoke: Invoke, workspace: Path) -> None:
    """From outside the workspace, the message names the file as the user can open it."""
    shutil.copy(CORPUS / "bad_timezone.toml", workspace / CONFIG_FILE)
    result = invoke("config", "check", "--workspace", "ws")
    assert result.exit_code == EXIT_USER
    assert result.stderr.startswith(
        'Error: ws/ordertrack.toml: workspace.timezone: unknown time zone "Beijing Time"'
    )


def test_empty_flow(invoke: Invoke, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(CORPUS / "empty_flow.toml", workspace / CONFIG_FILE)
    monkeypatch.chdir(workspace)
    result = invoke("config", "check")
    assert result.exit_code == EXIT_USER
    assert result.stderr.startswith("Error: ")
    assert "ordertrack.toml: flow.stages: the flow needs at least one stage\n" in result.stderr
    with pytest.raises(ConfigError) as info:
        parse_config(text_of("empty_flow"))
    assert info.value.problems[0] == Problem(
        CONFIG_FILE, "flow.stages", "the flow needs at least one stage"
    )


def test_empty_flow_is_one_problem() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text_of("empty_flow"))
    assert [p.key for p in info.value.problems] == ["flow.stages"]


def test_type_and_reference_problems_are_listed_together() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text_of("several_problems_mixed"))
    assert [p.key for p in info.value.problems] == ["flow.stages[0].sla", "flow.stages[1].owner"]


def test_custom_flow_without_on_import_is_valid() -> None:
    config = parse_config(text_of("custom_flow_without_on_import"))
    assert config.flow.stage_ids == ["order_entry", "shipped"]


def test_load_config_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / CONFIG_FILE, CONFIG_FILE)
    assert info.value.problems == [Problem(CONFIG_FILE, "", "file not found")]
    assert info.value.hint == "Run `ordertrack init` to create it."


def test_load_config_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / CONFIG_FILE
    path.write_bytes('[workspace]\nname = "我的公司"\n'.encode("gb18030"))
    with pytest.raises(ConfigError) as info:
        load_config(path, CONFIG_FILE)
    assert info.value.message.startswith("ordertrack.toml: not UTF-8 text")
    assert info.value.hint == "Save the file as UTF-8."


def test_load_config_accepts_a_bom(tmp_path: Path) -> None:
    path = tmp_path / CONFIG_FILE
    path.write_text(config_template("zh"), encoding="utf-8-sig")
    assert load_config(path).flow.stage("business_review").name == "商务审核"


def test_empty_file_is_the_default_config() -> None:
    config = parse_config("")
    assert config.workspace.database == "ordertrack.duckdb"
    assert config.workspace.timezone is None
    assert config.flow.stage_ids == parse_config(config_template("en")).flow.stage_ids
    assert config.flow.stage("director_approval").sla == timedelta(days=2)


def test_durations_in_stages() -> None:
    text = config_template("en").replace('sla = "4h"', 'sla = "1d 12h"', 1)
    config = parse_config(text)
    assert config.flow.stages[0].sla == timedelta(hours=36)


def test_config_check_ok(invoke: Invoke, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(workspace)
    result = invoke("config", "check")
    assert result.exit_code == EXIT_OK, result.output
    assert (
        result.stdout
        == f"{workspace / CONFIG_FILE}: OK — 9 stages, 10 roles, 6 rules, 0 profiles\n"
    )
    assert result.stderr == ""


def test_config_check_declared_roles(invoke: Invoke, workspace: Path) -> None:
    set_config(workspace, "ceo = []", 'ceo = []\npacker = ["li.wei@example.com"]')
    set_config(workspace, 'owner = "warehouse"', 'owner = "packer"')
    result = invoke("config", "check", "-w", str(workspace))
    assert result.exit_code == EXIT_OK, result.output
    assert "OK — 9 stages, 11 roles, 6 rules, 0 profiles" in result.stdout


def test_config_show_json(invoke: Invoke, workspace: Path) -> None:
    set_config(workspace, '# timezone = "Asia/Shanghai"', 'timezone = "Asia/Shanghai"')
    result = invoke("config", "show", "--json", "-w", str(workspace))
    assert result.exit_code == EXIT_OK, result.output
    data = json.loads(result.stdout)
    assert data["workspace"]["timezone"] == "Asia/Shanghai"
    assert data["workspace"]["name"] == "My Company"
    director = data["flow"]["stages"][3]
    assert director == {
        "id": "director_approval",
        "name": "Director approval",
        "owner": "director",
        "cc": [],
        "sla": "2d",
        "when": "amount > 100000",
        "requires": [],
        "on_enter": [],
        "auto": None,
    }
    assert data["flow"]["on_import"] == {
        "shipped": "shipped",
        "delivered": "signed",
        "invoiced": "invoiced",
        "paid": "paid",
    }


def test_bad_config_stops_every_command(
    invoke: Invoke, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(CORPUS / "unknown_role.toml", workspace / CONFIG_FILE)
    monkeypatch.chdir(workspace)
    for args in (("status",), ("sql", "select 1"), ("config", "show")):
        result = invoke(*args)
        assert result.exit_code == EXIT_USER, args
        assert result.stderr.startswith(
            'Error: ordertrack.toml: flow.stages[0].owner: unknown role "warehose"'
        )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("90min", timedelta(minutes=90)),
        ("2h", timedelta(hours=2)),
        ("1.5h", timedelta(minutes=90)),
        ("3d", timedelta(days=3)),
        ("1d 4h", timedelta(hours=28)),
        ("1d12h", timedelta(hours=36)),
        ("1w", timedelta(days=7)),
        (" 2H ", timedelta(hours=2)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("soon", 'expected a duration like "24h" or "2d", got "soon"'),
        ("2", 'expected a duration like "24h" or "2d", got "2"'),
        ("2 hours", 'expected a duration like "24h" or "2d", got "2 hours"'),
        ("-2h", 'expected a duration like "24h" or "2d", got "-2h"'),
        ("", 'expected a duration like "24h" or "2d", got ""'),
        ("0h", 'expected a positive duration like "24h" or "2d", got "0h"'),
    ],
)
def test_parse_duration_refuses(text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_duration(text)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(hours=26), "1d2h"),
        (timedelta(minutes=90), "1h30m"),
        (timedelta(days=30), "30d"),
        (timedelta(0), "0s"),
    ],
)
def test_format_duration(value: timedelta, text: str) -> None:
    assert format_duration(value) == text
    if value:
        assert parse_duration(text) == value
