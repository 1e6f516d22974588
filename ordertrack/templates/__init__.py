"""Templates shipped with the package: the commented ``ordertrack.toml`` and the default flow."""

from __future__ import annotations

from importlib.resources import files
from typing import Any

PICKING_GUARD = "some lines are short of stock; see `ordertrack orders show ORDER`"
SHIPPED_GUARD = "no shipment is recorded; import the WMS / carrier export first"

# The design's nine stages. The commented templates (ordertrack.en.toml / .zh.toml) spell
# the same flow out; a test keeps them in agreement.
DEFAULT_STAGES: list[dict[str, Any]] = [
    {"id": "order_entry", "name": "Order entry", "owner": "sales", "sla": "4h"},
    {"id": "business_review", "name": "Business review", "owner": "business", "sla": "2h"},
    {
        "id": "finance_approval",
        "name": "Finance approval",
        "owner": "finance",
        "sla": "1d",
        "auto": "credit_limit IS NOT NULL AND customer_open_amount <= credit_limit",
    },
    {
        "id": "director_approval",
        "name": "Director approval",
        "owner": "director",
        "sla": "2d",
        "when": "amount > 100000",
    },
    {
        "id": "picking",
        "name": "Warehouse picking",
        "owner": "warehouse",
        "sla": "3d",
        "requires": [{"when": "NOT is_short", "message": PICKING_GUARD}],
        "on_enter": [
            {"form": "pick_list"},
            {"task": {"role": "warehouse", "title": "Pick and pack {order_id}", "due": "1d"}},
        ],
    },
    {
        "id": "shipped",
        "name": "Shipped",
        "owner": "logistics",
        "sla": "5d",
        "requires": [{"when": "shipment_count > 0", "message": SHIPPED_GUARD}],
    },
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
