"""`ordertrack demo`: the bundled sample data, imported and moved through a day."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ordertrack.demo import MARKER, build_demo
from ordertrack.workspace import init_workspace
from tests.conftest import Invoke


def test_demo_builds_a_workspace_and_runs_a_day(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("demo", str(tmp_path / "demo"))
    assert result.exit_code == 0, result.output
    out = result.stdout
    for step in ("1. Import", "2. Advance", "3. Alert sweep", "4. Reports", "5. Status"):
        assert step in out, step
    root = tmp_path / "demo"
    assert (root / MARKER).is_file()
    con = duckdb.connect(str(root / "ordertrack.duckdb"), read_only=True)
    try:
        # every bundled export imported without a rejected row
        assert con.execute("SELECT count(*), sum(rejected) FROM imports").fetchall() == [(9, 0)]
        assert con.execute("SELECT count(*) FROM orders").fetchall() == [(392,)]
        # one order over 100,000 passed director approval; one skipped it
        moved = con.execute(
            "SELECT from_stage, to_stage FROM stage_events WHERE via = 'cli' AND kind = 'move'"
        ).fetchall()
        assert ("director_approval", "picking") in moved
        assert ("finance_approval", "picking") in moved
        skips = con.execute(
            "SELECT count(*) FROM stage_events WHERE via = 'cli' AND kind = 'skip' "
            "AND to_stage = 'director_approval'"
        ).fetchall()
        assert skips == [(1,)]
        # the auto condition (finance approval within credit) moved orders by itself
        auto = con.execute("SELECT count(*) FROM stage_events WHERE via = 'auto'").fetchall()
        assert auto[0][0] > 0
        # the sweep: every seed rule fired, and each digest went to a file (no mail server)
        fired = {r for (r,) in con.execute("SELECT DISTINCT rule_id FROM alerts").fetchall()}
        assert {
            "business_review_overdue",
            "stock_short",
            "ship_date_reached",
            "carrier_exception",
            "projected_late",
        } <= fired
        files = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE status = 'sent') FROM outbox "
            "WHERE channel = 'file'"
        ).fetchone()
        assert files is not None and files[0] > 0 and files[0] == files[1]
        assert len(list((root / "out" / "digests").rglob("*.html"))) == files[0]
        # the managers' reports, one per built-in pack
        for pack in ("ceo", "sales", "production"):
            html = (root / "out" / f"{pack}.html").read_text(encoding="utf-8")
            assert "华东精工科技有限公司" in html and "<script" not in html
    finally:
        con.close()
    assert list((root / "out" / "picklists").glob("出库单_*.xlsx"))


def test_demo_refuses_an_existing_workspace_and_force_rebuilds_only_its_own(
    invoke: Invoke, tmp_path: Path
) -> None:
    build_demo(tmp_path / "demo")
    again = invoke("demo", str(tmp_path / "demo"))
    assert again.exit_code == 2
    assert "already holds a workspace" in again.stderr
    rebuilt = invoke("demo", str(tmp_path / "demo"), "--force")
    assert rebuilt.exit_code == 0, rebuilt.output

    init_workspace(tmp_path / "real")
    refused = invoke("demo", str(tmp_path / "real"), "--force")
    assert refused.exit_code == 2
    assert "only a folder `ordertrack demo` made is ever removed" in refused.stderr
    assert (tmp_path / "real" / "ordertrack.duckdb").is_file()  # untouched


def test_the_sample_exports_import_into_a_new_workspace_without_profiles(
    invoke: Invoke, tmp_path: Path
) -> None:
    """Built-in presets are picked from the headers alone; stage history written with the
    usual Chinese stage names (订单录入, 商务审核, …) maps to the default stage ids."""
    from ordertrack.demo import sample_data_dir

    ws = tmp_path / "ws"
    init_workspace(ws)
    files = [str(p) for p in sorted(sample_data_dir().iterdir()) if p.suffix in (".csv", ".xlsx")]
    result = invoke("import", *files, "--json", "-w", str(ws))
    assert result.exit_code == 0, result.output
    import json

    results = json.loads(result.stdout)
    assert [r["status"] for r in results] == ["ok"] * 9
    assert sum(r["rejected"] for r in results) == 0
    con = duckdb.connect(str(ws / "ordertrack.duckdb"), read_only=True)
    try:
        stages = con.execute("SELECT DISTINCT to_stage FROM stage_events ORDER BY 1").fetchall()
        assert ("business_review",) in stages and ("paid",) in stages
    finally:
        con.close()
