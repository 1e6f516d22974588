"""Source profiles: detection from headers, --profile, near misses, suggest, list, matching."""

from __future__ import annotations

import fnmatch
import json
import tomllib
from pathlib import Path

import pytest
from conftest import Invoke
from test_import import (
    KINGDEE_HEADER,
    ORDERS_HEADER,
    add_profiles,
    assert_counts,
    count,
    import_one,
    import_text,
    rows,
    write_csv,
    write_xlsx,
)

from ordertrack.errors import EXIT_OK, EXIT_USER
from ordertrack.ingest.normalize import header_key
from ordertrack.ingest.presets import PRESETS

# Header rows and the preset each one must pick. The file names say nothing (export_N.csv),
# so only the headers decide.
DETECT = {
    "orders": ["订单编号", "客户名称", "下单日期", "承诺交期", "订单金额"],
    "order_lines": ["订单编号", "行号", "物料编码", "物料名称", "数量", "单价", "金额"],
    "kingdee_sales_order": KINGDEE_HEADER,
    "yonyou_sales_order": [
        "订单号",
        "订单日期",
        "客户编码",
        "客户名称",
        "业务员",
        "销售部门",
        "存货编码",
        "存货名称",
        "主计量单位",
        "数量",
        "含税单价",
        "价税合计",
    ],
    "wms_shipments": ["发货单号", "订单编号", "快递公司", "运单号", "物流状态", "发货时间"],
    "inventory": ["物料编码", "物料名称", "仓库", "现存量", "可用库存"],
    "customers": ["客户编码", "客户名称", "客户分类", "信用额度"],
    "invoices": ["发票号码", "订单编号", "开票日期", "价税合计", "税额"],
    "payments": ["收款单号", "订单编号", "收款日期", "收款金额"],
    "feedback": ["反馈编号", "订单编号", "反馈日期", "是否投诉", "推荐评分"],
    "stage_history": ["订单编号", "环节", "进入时间", "操作人"],
}


def test_every_preset_has_a_detection_case() -> None:
    assert set(DETECT) == set(PRESETS)


@pytest.mark.parametrize("preset", sorted(DETECT))
def test_auto_detection_picks_the_preset_from_the_headers(
    invoke: Invoke, workspace: Path, tmp_path: Path, preset: str
) -> None:
    header = DETECT[preset]
    path = write_csv(tmp_path / "export_1.csv", header, [["" for _ in header]])
    result = import_one(invoke, workspace, str(path), "--dry-run")
    assert result["profile"] == preset, result


def test_profile_option_forces_a_profile(invoke: Invoke, workspace: Path, tmp_path: Path) -> None:
    line = [
        "2026-06-01",
        "C1",
        "甲",
        "张伟",
        "2026-06-20",
        "CNY",
        "M-1",
        "螺钉",
        "个",
        2,
        3,
        6,
        "上海仓",
    ]
    path = write_xlsx(tmp_path / "export.xlsx", [KINGDEE_HEADER, ["SO-1", *line], ["SO-2", *line]])
    detected = import_one(invoke, workspace, str(path), "--dry-run")
    assert detected["profile"] == "kingdee_sales_order"
    forced = import_one(invoke, workspace, str(path), "--profile", "orders")
    assert forced["profile"] == "orders"
    assert forced["entities"] == ["orders"]
    assert_counts(forced, inserted=2)
    assert count(workspace, "order_lines") == 0
    # the orders preset reads 价税合计 as the order amount, 要货日期 as the promised date
    assert rows(
        workspace,
        "SELECT order_id, customer, amount, promised_date::VARCHAR FROM orders ORDER BY 1",
    ) == [
        ("SO-1", "甲", 6, "2026-06-20"),
        ("SO-2", "甲", 6, "2026-06-20"),
    ]


def test_a_workspace_profile_wins_over_a_preset_with_the_same_headers(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    add_profiles(
        workspace,
        """
[profiles.hand_kept]
preset = "orders"
files = ["跟单表*.xlsx"]
[profiles.hand_kept.defaults]
region = "华南"
""",
    )
    path = write_xlsx(
        tmp_path / "跟单表_6月.xlsx", [ORDERS_HEADER, ["SO-1", "甲", "2026-06-01", "", 1]]
    )
    result = import_one(invoke, workspace, str(path))
    assert result["profile"] == "hand_kept"
    assert rows(workspace, "SELECT order_id, region FROM orders") == [("SO-1", "华南")]


def test_unknown_profile_name(invoke: Invoke, workspace: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "orders.csv", ORDERS_HEADER, [["SO-1", "甲", "", "", ""]])
    result = import_text(invoke, workspace, str(path), "--profile", "ordres")
    assert result.exit_code == EXIT_USER
    assert result.stderr.startswith('Error: unknown profile "ordres"; did you mean "orders"?')
    assert "kingdee_sales_order" in result.stderr  # the known ones are listed
    assert "ordertrack profile list" in result.stderr
    assert "Traceback" not in result.output
    assert count(workspace, "imports") == 0


def test_no_matching_profile_names_the_closest_and_what_is_missing(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    write_csv(
        tmp_path / "lines.csv",
        ["物料编码", "物料名称", "数量", "单价"],
        [["M-1", "螺钉", "1", "2"]],
    )
    result = import_text(invoke, workspace, "lines.csv")
    assert result.exit_code == EXIT_USER
    assert result.stderr.startswith(
        "Error: lines.csv: no profile matches the headers; headers seen: 物料编码, 物料名称, 数量, 单价"
    ), result.stderr
    hint = " ".join(result.stderr.split())  # rich wraps long lines
    assert (
        "Closest: order_lines matched 4 headers but is missing: order_id (订单编号 / 订单号 / 单据编号)"
        in hint
    )
    assert "ordertrack profile suggest FILE" in hint
    assert count(workspace, "imports") == 0


def test_near_miss_lists_each_missing_header_once(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    write_csv(
        tmp_path / "lines.csv",
        ["物料编码", "物料名称", "数量", "单价"],
        [["M-1", "螺钉", "1", "2"]],
    )
    result = import_text(invoke, workspace, "lines.csv")
    assert result.exit_code == EXIT_USER
    hint = " ".join(result.stderr.split())
    assert "kingdee_sales_order matched 2 headers but is missing:" in hint
    assert hint.count("order_id (单据编号)") == 1, hint


def test_forced_profile_that_does_not_fit_names_the_headers_seen(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    # (that it also lists what the profile expected: test_import_bad_inputs, an xfail)
    write_csv(tmp_path / "orders.csv", ORDERS_HEADER, [["SO-1", "甲", "", "", ""]])
    before = rows(workspace, "SELECT count(*) FROM imports")
    result = import_text(invoke, workspace, "orders.csv", "--profile", "inventory")
    assert result.exit_code == EXIT_USER
    assert " ".join(result.stderr.split()).startswith(
        "Error: orders.csv: header row not found for profile inventory; headers seen: "
        "订单编号, 客户名称, 下单日期, 承诺交期, 订单金额"
    )
    assert rows(workspace, "SELECT count(*) FROM imports") == before


def test_profile_list(invoke: Invoke, workspace: Path) -> None:
    add_profiles(
        workspace,
        '[profiles.crm]\nentity = "orders"\nfiles = ["crm_*.csv"]\n[profiles.crm.columns]\norder_id = "No"\n',
    )
    result = invoke("profile", "list", "--json", "-w", str(workspace))
    assert result.exit_code == EXIT_OK
    listed = json.loads(result.stdout)
    assert [p["name"] for p in listed] == ["crm", *PRESETS]
    assert listed[0] == {
        "name": "crm",
        "origin": "workspace",
        "entities": ["orders"],
        "files": ["crm_*.csv"],
        "description": "",
    }
    kingdee = next(p for p in listed if p["name"] == "kingdee_sales_order")
    assert kingdee["entities"] == ["orders", "order_lines"] and kingdee["origin"] == "preset"
    text = invoke("profile", "list", "-w", str(workspace))
    assert text.exit_code == EXIT_OK
    for name in PRESETS:
        assert name in text.stdout


def test_profile_list_outside_a_workspace_shows_the_presets(invoke: Invoke) -> None:
    result = invoke("profile", "list", "--json")
    assert result.exit_code == EXIT_OK
    assert [p["name"] for p in json.loads(result.stdout)] == list(PRESETS)


def test_profile_suggest_prints_toml_that_imports_the_file(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "CRM Export 0601.csv",
        ["Order No", "Customer", "Order Date", "Due Date", "Amount", "Remark"],
        [
            ["A-1", "ACME", "2026-06-01", "2026-06-09", "1,500.00", "rush"],
            ["A-2", "Globex", "2026-06-02", "", "", ""],
        ],
    )
    result = invoke("profile", "suggest", str(path))
    assert result.exit_code == EXIT_OK, result.output
    assert result.stdout.startswith("# Suggested from CRM Export 0601.csv")
    data = tomllib.loads(result.stdout)
    profile = data["profiles"]["crm_export"]  # the file's name without its date
    assert profile["entity"] == "orders"
    assert profile["files"] == ["CRM Export *"]  # picks this file and the next ones
    assert fnmatch.fnmatch(path.name, profile["files"][0])
    assert profile["columns"] == {
        "order_id": "Order No",
        "customer": "Customer",
        "order_date": "Order Date",
        "promised_date": "Due Date",
        "amount": "Amount",
    }
    assert "# not mapped (kept in attrs): Remark" in result.stdout
    add_profiles(workspace, result.stdout)
    check = invoke("config", "check", "-w", str(workspace))
    assert check.exit_code == EXIT_OK, check.output
    imported = import_one(invoke, workspace, str(path), "--profile", "crm_export")
    assert_counts(imported, inserted=2)
    assert rows(
        workspace,
        "SELECT order_id, customer, amount::VARCHAR, attrs->>'Remark' FROM orders ORDER BY 1",
    ) == [
        ("A-1", "ACME", "1500.00", "rush"),
        ("A-2", "Globex", None, None),
    ]


def test_profile_suggest_for_a_gbk_xlsx_sheet_and_missing_key(
    invoke: Invoke, tmp_path: Path
) -> None:
    gbk = write_csv(
        tmp_path / "库存.csv",
        ["物料编码", "物料名称", "现存量"],
        [["M-1", "螺钉", "5"]],
        encoding="gbk",
    )
    result = invoke("profile", "suggest", str(gbk), "--name", "stock")
    assert result.exit_code == EXIT_OK
    data = tomllib.loads(result.stdout)["profiles"]["stock"]
    assert data["entity"] == "inventory"
    assert data["encoding"] == "gb18030"
    assert data["columns"] == {"sku": "物料编码", "description": "物料名称", "on_hand": "现存量"}
    assert '# warehouse = "?"    # required: no header looked like it' in result.stdout

    wb = write_xlsx(
        tmp_path / "book.xlsx",
        [["发票清单"], ["发票号码", "订单编号", "开票日期"], ["I-1", "SO-1", "2026-06-01"]],
        sheet="发票",
    )
    result = invoke("profile", "suggest", str(wb))
    assert result.exit_code == EXIT_OK
    data = tomllib.loads(result.stdout)["profiles"]["book"]
    assert (data["entity"], data["sheet"], data["header_row"]) == ("invoices", "发票", 2)


def test_profile_suggest_for_a_line_level_export_imports_it(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    header = [
        "订单编号",
        "客户名称",
        "下单日期",
        "承诺交期",
        "业务员",
        "物料编码",
        "物料名称",
        "数量",
        "单价",
        "金额",
    ]
    path = write_csv(
        tmp_path / "明细.csv",
        header,
        [
            ["A1", "甲", "2026-06-01", "2026-06-09", "张伟", "M1", "螺钉", "1", "2", "2"],
            ["A1", "甲", "2026-06-01", "2026-06-09", "张伟", "M2", "螺母", "3", "2", "6"],
        ],
        encoding="gbk",
    )
    result = invoke("profile", "suggest", str(path), "--name", "detail")
    assert result.exit_code == EXIT_OK
    assert tomllib.loads(result.stdout)["profiles"]["detail"]["entity"] == ["orders", "order_lines"]
    add_profiles(workspace, result.stdout)
    imported = import_one(invoke, workspace, str(path), "--profile", "detail")
    assert_counts(imported, inserted=3)
    assert rows(
        workspace, "SELECT order_id, line_no, sku, amount::VARCHAR FROM order_lines ORDER BY 2"
    ) == [
        ("A1", 1, "M1", "2.00"),
        ("A1", 2, "M2", "6.00"),
    ]


def test_profile_suggest_errors(invoke: Invoke, tmp_path: Path) -> None:
    write_csv(tmp_path / "weird.csv", ["foo", "bar"], [["1", "2"]])
    result = invoke("profile", "suggest", "weird.csv")
    assert result.exit_code == EXIT_USER
    assert result.stderr.startswith("Error: weird")
    assert "no header looks like a known field" in result.stderr
    assert "docs/importing.md" in result.stderr
    result = invoke("profile", "suggest", "nope.csv")
    assert result.exit_code == EXIT_USER
    assert result.stderr.startswith("Error: nope.csv: file not found")
    (tmp_path / "empty.csv").write_bytes(b"")
    result = invoke("profile", "suggest", "empty.csv")
    assert result.exit_code == EXIT_USER
    assert result.stderr.startswith("Error: empty.csv: the file is empty")


def test_profile_suggest_error_names_the_file(invoke: Invoke, tmp_path: Path) -> None:
    write_csv(tmp_path / "weird.csv", ["foo", "bar"], [["1", "2"]])
    result = invoke("profile", "suggest", "weird.csv")
    assert result.exit_code == EXIT_USER
    assert result.stderr.startswith("Error: weird.csv: no header looks like a known field")


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("  订单 编号 ", "订单编号"),
        ("ＣＵＳＴＯＭＥＲ", "customer"),
        ("Order Date", "orderdate"),
        ("订单金额(元)", "订单金额"),
        ("订单金额（元）", "订单金额"),
        ("运费 [元]", "运费"),
        ("\ufeff订单编号", "订单编号"),
        ("(元)", "(元)"),  # a unit alone is still a header
    ],
)
def test_header_key(header: str, key: str) -> None:
    assert header_key(header) == key


def test_header_matching_ignores_spaces_case_full_width_and_units(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "orders.csv",
        ["  订单 编号 ", "ＣＵＳＴＯＭＥＲ", "order date", "订单金额(元)", "备注", "金额", "金额"],
        [["A1", "X", "2026-06-01", "5", "n", "6", "7"]],
    )
    result = import_one(invoke, workspace, str(path))
    assert result["profile"] == "orders"
    assert rows(
        workspace,
        "SELECT order_id, customer, order_date::VARCHAR, amount::VARCHAR, attrs::VARCHAR FROM orders",
    ) == [("A1", "X", "2026-06-01", "5.00", '{"备注":"n","金额":"6","金额 (2)":"7"}')]


def test_a_profile_with_an_unknown_field_is_a_config_error(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    add_profiles(
        workspace, '[profiles.bad]\nentity = "orders"\n[profiles.bad.columns]\nordr_id = "No"\n'
    )
    path = write_csv(tmp_path / "orders.csv", ORDERS_HEADER, [["SO-1", "甲", "", "", ""]])
    result = import_text(invoke, workspace, str(path))
    assert result.exit_code == EXIT_USER
    assert result.stderr.startswith(
        'Error: ws/ordertrack.toml: profiles.bad.columns.ordr_id: unknown field of orders "ordr_id"; '
        'did you mean "order_id"?'
    ), result.stderr
    assert count(workspace, "orders") == 0


@pytest.mark.parametrize(
    ("file_name", "glob"),
    [
        ("U8销售订单列表_0701.csv", "U8销售订单列表_*"),
        ("销售订单_2026Q2.xlsx", "销售订单_*"),
        ("orders-2026-06-30.csv", "orders-*"),
        ("客户档案.xlsx", "客户档案*"),
        ("2026.csv", "2026*"),
    ],
)
def test_suggested_file_glob_matches_the_file_and_its_next_exports(
    file_name: str, glob: str
) -> None:
    from ordertrack.ingest.profiles import file_glob

    assert file_glob(file_name) == glob
    assert fnmatch.fnmatch(file_name, glob)
