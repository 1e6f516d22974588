"""The importable entities of the order center and their fields.

One declaration serves the importer (which fields a profile may map, their types, the
key), ``profile suggest`` and the docs. The tables themselves are created by the store's
migrations (``ordertrack/store/sql``); a test keeps the two in agreement.
No heavy imports here: the config loader uses this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # DuckDB type of the column
    doc: str
    required: bool = False

    @property
    def kind(self) -> str:
        """text | int | decimal | date | timestamp | bool: how a raw cell is parsed."""
        t = self.type.upper()
        if t.startswith("DECIMAL") or t == "DOUBLE":
            return "decimal"
        if t in ("INTEGER", "BIGINT", "SMALLINT"):
            return "int"
        if t == "DATE":
            return "date"
        if t.startswith("TIMESTAMP"):
            return "timestamp"
        if t == "BOOLEAN":
            return "bool"
        return "text"


@dataclass(frozen=True)
class Entity:
    name: str
    table: str
    key: tuple[str, ...]
    doc: str
    fields: tuple[Field, ...]
    parent: str | None = None  # rows must refer to an existing order
    append_only: bool = False  # rows are never updated once loaded (history)
    derived_key: bool = field(default=False)  # the id may be built from other columns

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


def _f(name: str, type_: str, doc: str, required: bool = False) -> Field:
    return Field(name, type_, doc, required)


MONEY = "DECIMAL(18,2)"
QTY = "DECIMAL(18,3)"
PRICE = "DECIMAL(18,4)"
TS = "TIMESTAMPTZ"

ENTITIES: dict[str, Entity] = {
    e.name: e
    for e in (
        Entity(
            "orders",
            "orders",
            ("order_id",),
            "Sales orders: one row per order (the order header).",
            (
                _f("order_id", "VARCHAR", "Order number (订单编号), unique.", True),
                _f("customer", "VARCHAR", "Customer name (客户名称)."),
                _f("customer_id", "VARCHAR", "Customer code (客户编码); joins `customers`."),
                _f("sales_rep", "VARCHAR", "Sales representative (业务员)."),
                _f("follow_up", "VARCHAR", "Follow-up owner (跟单员); defaults to the sales rep."),
                _f("region", "VARCHAR", "Sales region."),
                _f("order_date", "DATE", "Date the order was placed (下单日期)."),
                _f("promised_date", "DATE", "Delivery date promised to the customer (承诺交期)."),
                _f("planned_ship_date", "DATE", "Planned ship date (计划发货日期)."),
                _f("amount", MONEY, "Order total including tax (价税合计)."),
                _f("currency", "VARCHAR", "Currency code, e.g. CNY."),
                _f(
                    "status",
                    "VARCHAR",
                    "Business status text (e.g. 缺货待产), set by imports or rules.",
                ),
            ),
        ),
        Entity(
            "order_lines",
            "order_lines",
            ("order_id", "line_no"),
            "Order lines: one row per SKU on an order. `line_no` is numbered in file order "
            "within each order when the export has no line number.",
            (
                _f("order_id", "VARCHAR", "Order number; must exist in `orders`.", True),
                _f("line_no", "INTEGER", "Line number within the order (行号)."),
                _f("sku", "VARCHAR", "Item code (物料编码).", True),
                _f("description", "VARCHAR", "Item name (物料名称)."),
                _f("qty", QTY, "Ordered quantity (数量); not negative."),
                _f("unit", "VARCHAR", "Unit of measure (单位)."),
                _f("unit_price", PRICE, "Unit price including tax (含税单价)."),
                _f("amount", MONEY, "Line amount (金额)."),
                _f("warehouse", "VARCHAR", "Warehouse the line ships from (仓库)."),
                _f("bin", "VARCHAR", "Bin / location (库位)."),
                _f("reserved_qty", QTY, "Quantity reserved for this line (已预留)."),
            ),
            parent="orders",
        ),
        Entity(
            "customers",
            "customers",
            ("customer_id",),
            "Customers: segment and credit limit (used by automatic approvals and projections).",
            (
                _f("customer_id", "VARCHAR", "Customer code (客户编码).", True),
                _f("name", "VARCHAR", "Customer name."),
                _f(
                    "segment",
                    "VARCHAR",
                    "Customer segment (客户分类), for projections per segment.",
                ),
                _f("region", "VARCHAR", "Region."),
                _f("credit_limit", MONEY, "Credit limit (信用额度)."),
                _f("contact", "VARCHAR", "Contact person."),
                _f("email", "VARCHAR", "Contact e-mail."),
            ),
        ),
        Entity(
            "inventory",
            "inventory",
            ("sku", "warehouse"),
            "Stock per SKU and warehouse. Each import also records a dated snapshot in "
            "`inventory_history` (for inventory turnover).",
            (
                _f("sku", "VARCHAR", "Item code.", True),
                _f("warehouse", "VARCHAR", "Warehouse (仓库).", True),
                _f("description", "VARCHAR", "Item name."),
                _f("on_hand", QTY, "Quantity on hand (现存量)."),
                _f("reserved", QTY, "Quantity reserved for orders (预留量)."),
                _f(
                    "available",
                    QTY,
                    "Available quantity (可用库存); when the export only has "
                    "this, `on_hand` = available and `reserved` = 0.",
                ),
                _f("unit_cost", PRICE, "Unit cost (单位成本)."),
                _f("bin", "VARCHAR", "Default bin / location (库位)."),
                _f("as_of", "DATE", "Snapshot date; the import date when absent."),
            ),
        ),
        Entity(
            "shipments",
            "shipments",
            ("shipment_id",),
            "Shipments: carrier, tracking number and status per parcel. Without a shipment "
            "id column the id is the tracking number (or the profile's `key` columns).",
            (
                _f("shipment_id", "VARCHAR", "Shipment / delivery note number (发货单号)."),
                _f("order_id", "VARCHAR", "Order number; must exist in `orders`.", True),
                _f("carrier", "VARCHAR", "Carrier (快递公司)."),
                _f("tracking_no", "VARCHAR", "Tracking number (运单号)."),
                _f(
                    "status",
                    "VARCHAR",
                    "Shipment status; exception statuses such as 派送异常 "
                    "are kept as written and listed in `[alerts] exception_statuses`.",
                ),
                _f("shipped_at", TS, "When it left the warehouse (发货时间)."),
                _f("delivered_at", TS, "When the customer signed for it (签收时间)."),
                _f("freight_cost", MONEY, "Freight cost (运费)."),
                _f("expedited", "BOOLEAN", "Expedited shipment (加急)."),
            ),
            parent="orders",
            derived_key=True,
        ),
        Entity(
            "invoices",
            "invoices",
            ("invoice_id",),
            "Invoices issued for orders.",
            (
                _f("invoice_id", "VARCHAR", "Invoice number (发票号).", True),
                _f("order_id", "VARCHAR", "Order number; must exist in `orders`.", True),
                _f("invoice_date", "DATE", "Invoice date (开票日期)."),
                _f("amount", MONEY, "Invoiced amount (开票金额)."),
                _f("tax_amount", MONEY, "Tax amount (税额)."),
            ),
            parent="orders",
        ),
        Entity(
            "payments",
            "payments",
            ("payment_id",),
            "Payments received for orders.",
            (
                _f("payment_id", "VARCHAR", "Receipt number (收款单号).", True),
                _f("order_id", "VARCHAR", "Order number; must exist in `orders`.", True),
                _f("paid_date", "DATE", "Date received (收款日期)."),
                _f("amount", MONEY, "Amount received (收款金额)."),
                _f("method", "VARCHAR", "Payment method."),
            ),
            parent="orders",
        ),
        Entity(
            "feedback",
            "feedback",
            ("feedback_id",),
            "Customer feedback: complaints and NPS answers.",
            (
                _f("feedback_id", "VARCHAR", "Feedback / ticket number.", True),
                _f("order_id", "VARCHAR", "Order number; must exist in `orders`.", True),
                _f("received_date", "DATE", "Date received."),
                _f("complaint", "BOOLEAN", "Is a complaint (投诉)."),
                _f("category", "VARCHAR", "Complaint category (e.g. 延迟交付)."),
                _f("nps", "INTEGER", "Net-promoter answer, 0–10."),
                _f("comment", "VARCHAR", "Free text."),
            ),
            parent="orders",
        ),
        Entity(
            "stage_history",
            "stage_events",
            ("order_id", "to_stage", "event_at"),
            "Past stage moves, so KPIs work from day one. Loaded into `stage_events` with "
            "`via = 'import'`; rows already present are left alone (history is append-only).",
            (
                _f("order_id", "VARCHAR", "Order number; must exist in `orders`.", True),
                _f("to_stage", "VARCHAR", "Stage entered (a stage id of the flow).", True),
                _f("event_at", TS, "When it was entered.", True),
                _f("from_stage", "VARCHAR", "Stage left."),
                _f("actor", "VARCHAR", "Who moved it."),
                _f("note", "VARCHAR", "Note."),
            ),
            parent="orders",
            append_only=True,
        ),
    )
}


def entity(name: str) -> Entity:
    return ENTITIES[name]
