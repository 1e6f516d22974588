"""``report build|list|send``: KPI packs as self-contained HTML (and XLSX), and by e-mail."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ordertrack.cli._common import (
    ByOpt,
    JsonOpt,
    WaitOpt,
    WorkspaceOpt,
    console,
    make_typer,
    open_ws,
    print_json,
    print_table,
)

report_app = make_typer("KPI reports for managers: packs of KPIs and charts over a period.")

PeriodOpt = Annotated[
    str | None,
    typer.Option(
        "--period",
        help="2026-06 (month), 2026-W23 (ISO week), 2026-Q2, 2026-06-15 (day), or "
        "2026-06-01..2026-06-15; default: the pack's last full week / month / quarter.",
    ),
]


@report_app.command("build")
def report_build(
    pack: Annotated[
        str, typer.Option("--pack", "-p", help="ceo, sales, production, or one of yours.")
    ] = "ceo",
    period: PeriodOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="The HTML file (default: out/PACK.html).")
    ] = None,
    xlsx: Annotated[
        Path | None, typer.Option("--xlsx", help="Also write the KPI tables to this XLSX file.")
    ] = None,
    workspace: WorkspaceOpt = None,
    wait: WaitOpt = 0,
    json_: JsonOpt = False,
) -> None:
    """Build a pack's report: one self-contained HTML file (charts embedded, no scripts).

    The KPIs are computed over the period and the one before it; see docs/kpis.md for
    each definition and docs/reports.md for packs and periods.
    """
    from ordertrack.report.packs import write_report

    ws = open_ws(workspace, wait)
    written = write_report(ws, pack, period, html=out, xlsx=xlsx)
    report = written.report
    if json_:
        print_json(
            {
                "pack": report.pack.id,
                "period": [report.period.start, report.period.end],
                "previous": [report.previous.start, report.previous.end],
                "html": written.html,
                "xlsx": written.xlsx,
                "tiles": [t.__dict__ for t in report.tiles],
                "sections": [
                    {"kpi": s.kpi_id, "headline": s.headline, "rows": s.rows, "note": s.note}
                    for s in report.sections
                ],
                "warnings": report.warnings,
            }
        )
        return
    err = console(stderr=True)
    for w in report.warnings:
        err.print(f"Warning: {w}", markup=False)
    out_ = console()
    lang = report.lang
    out_.print(
        f"{report.title}: {report.period.label_for(lang)} "
        f"(vs {report.previous.label_for(lang)}) → {written.html}",
        markup=False,
        soft_wrap=True,
    )
    if written.xlsx is not None:
        out_.print(f"KPI tables → {written.xlsx}", markup=False, soft_wrap=True)


@report_app.command("list")
def report_list(workspace: WorkspaceOpt = None, json_: JsonOpt = False) -> None:
    """List the packs: built in and from ordertrack.toml \\[packs.NAME]."""
    from ordertrack.report.packs import list_packs

    rows = list_packs(open_ws(workspace))
    if json_:
        print_json(rows)
        return
    print_table(
        [
            {
                "pack": r["pack"],
                "title": r["title"],
                "period": r["period"],
                "KPIs": len(r["kpis"]),
                "recipients": ", ".join(r["recipients"]),
                "from": r["from"],
            }
            for r in rows
        ]
    )


@report_app.command("send")
def report_send(
    pack: Annotated[
        str, typer.Option("--pack", "-p", help="ceo, sales, production, or one of yours.")
    ] = "ceo",
    period: PeriodOpt = None,
    to: Annotated[
        list[str] | None,
        typer.Option(
            "--to",
            help="An e-mail address, a person (\\[people]) or a role (\\[roles]); repeat it or "
            "separate with commas. Default: the pack's recipients.",
        ),
    ] = None,
    resend: Annotated[
        bool,
        typer.Option(
            "--resend", help="Send it again to readers who were sent this report already."
        ),
    ] = False,
    by: ByOpt = None,
    workspace: WorkspaceOpt = None,
    wait: WaitOpt = 0,
    json_: JsonOpt = False,
) -> None:
    """E-mail a pack's report: one message per recipient, with the charts inline and the
    KPI tables as an XLSX attachment.

    Needs \\[notify.smtp] in ordertrack.toml. The messages go through the outbox: one the
    mail server did not take stays queued with its error (exit 1) and `ordertrack outbox
    retry` sends it later. Running it again for the same pack and period mails nobody
    twice: readers sent the report already are passed over (unless --resend), and a copy
    still waiting in the outbox, or failed, is replaced by the fresh one.
    """
    from dataclasses import asdict

    from ordertrack.errors import ConditionMet
    from ordertrack.report.mail import send_report

    entries = [t.strip() for item in to or [] for t in item.split(",") if t.strip()]
    results = send_report(
        open_ws(workspace, wait), pack, period, to=entries or None, by=by, resend=resend
    )
    if json_:
        print_json([asdict(d) for d in results])
    else:
        for d in results:
            state = d.status if d.error is None else f"{d.status}: {d.error}"
            state += f" ({d.note})" if d.note else ""
            console().print(f"{d.message_id} {d.channel} {d.recipient}: {state}", markup=False)
    unsent = [d for d in results if d.status not in ("sent", "skipped")]
    if unsent:
        raise ConditionMet(
            f"{len(unsent)} of {len(results)} message(s) not sent:\n"
            + "\n".join(f"  {d.message_id} to {d.recipient}: {d.error}" for d in unsent),
            hint="They wait in the outbox: `ordertrack outbox retry` sends them once the mail "
            "server takes them (`ordertrack outbox list` shows them).",
        )
