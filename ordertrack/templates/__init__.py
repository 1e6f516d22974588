"""Templates shipped with the package: the commented ``ordertrack.toml`` and the default flow."""

from __future__ import annotations

from importlib.resources import files
from typing import Any

# The design's nine stages. The commented templates (ordertrack.en.toml / .zh.toml) spell
# the same flow out; a test keeps them in agreement.
DEFAULT_STAGES: list[dict[str, Any]] = [
    {"id": "order_entry", "name": "Order entry", "owner": "sales", "sla": "4h"},
    {"id": "business_review", "name": "Business review", "owner": "business", "sla": "2h"},
    {"id": "finance_approval", "name": "Finance approval", "owner": "finance", "sla": "1d"},
    {
        "id": "director_approval",
        "name": "Director approval",
        "owner": "director",
        "sla": "2d",
        "when": "amount > 100000",
    },
    {"id": "picking", "name": "Warehouse picking", "owner": "warehouse", "sla": "3d"},
    {"id": "shipped", "name": "Shipped", "owner": "logistics", "sla": "5d"},
    {"id": "signed", "name": "Customer sign-off", "owner": "sales", "sla": "3d"},
    {"id": "invoiced", "name": "Invoiced", "owner": "finance", "sla": "30d"},
    {"id": "paid", "name": "Paid", "owner": "finance"},
]

STAGE_NAMES_ZH = {
    "order_entry": "订单录入",
    "business_review": "商务审核",
    "finance_approval": "财务审批",
    "director_approval": "总监审批",
    "picking": "仓库配货",
    "shipped": "物流发货",
    "signed": "客户签收",
    "invoiced": "开票",
    "paid": "回款",
}


def config_template(lang: str) -> str:
    """The commented ``ordertrack.toml`` written by ``ordertrack init --lang LANG``."""
    return (files(__package__) / f"ordertrack.{lang}.toml").read_text(encoding="utf-8")
