"""The report engine: KPIs over a period, compared with the period before.

    >>> from ordertrack import open_workspace
    >>> from ordertrack.report import compare, parse_period
    >>> ws = open_workspace()                                         # doctest: +SKIP
    >>> period = parse_period("2026-06", today=ws.now().date())       # doctest: +SKIP
    >>> with ws.connect(read_only=True) as store:                     # doctest: +SKIP
    ...     pairs = compare(store.con, ["on_time_delivery", "nps"], period, ws.timezone)

KPI definitions (SQL plus the formula in English and Chinese) live in
:mod:`ordertrack.report.kpis` and are documented in docs/kpis.md; periods (month, ISO
week, quarter, day, range) in :mod:`ordertrack.report.periods`.

Importing this package loads nothing: the names below are imported on first use, so the
CLI stays fast and matplotlib (charts) is loaded only by the commands that draw.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ordertrack.report.kpis import KPIS, Kpi, KpiValue, compare, compute, kpi_doc_markdown
    from ordertrack.report.periods import Period, parse_period, period_between, previous

__all__ = [
    "KPIS",
    "Kpi",
    "KpiValue",
    "Period",
    "compare",
    "compute",
    "kpi_doc_markdown",
    "parse_period",
    "period_between",
    "previous",
]

_WHERE = {
    "KPIS": "kpis",
    "Kpi": "kpis",
    "KpiValue": "kpis",
    "compare": "kpis",
    "compute": "kpis",
    "kpi_doc_markdown": "kpis",
    "Period": "periods",
    "parse_period": "periods",
    "period_between": "periods",
    "previous": "periods",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
