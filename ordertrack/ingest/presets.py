"""Built-in source profiles: common ERP / WMS / finance exports, Chinese and English.

Each preset is what a user would write under ``[profiles.NAME]``; a workspace profile
can start from one with ``preset = "NAME"`` and override keys. Headers are matched after
trimming spaces and ignoring case, full-width forms and a trailing "(元)"-style unit.
Alternatives are tried in order; the first header present in the file wins.
"""

from __future__ import annotations

from typing import Any

# Common header names per field, reused by the presets and by `profile suggest`.
ORDER_HEADER = {
    "order_id": [
        "订单编号",
        "订单号",
        "单据编号",
        "销售订单号",
        "Order ID",
        "Order No",
        "order_id",
    ],
    "customer": ["客户名称", "客户", "购货单位", "Customer", "Customer Name", "customer"],
    "customer_id": ["客户编码", "客户代码", "Customer ID", "Customer Code", "customer_id"],
    "sales_rep": ["业务员", "销售员", "销售人员", "Sales Rep", "Salesperson", "sales_rep"],
    "follow_up": ["跟单员", "Follow-up", "follow_up"],
    "region": ["区域", "销售区域", "地区", "Region", "region"],
    "order_date": ["下单日期", "订单日期", "单据日期", "日期", "Order Date", "order_date"],
    "promised_date": [
        "承诺交期",
        "交货日期",
        "要货日期",
        "客户交期",
        "Promised Date",
        "Due Date",
        "promised_date",
    ],
    "planned_ship_date": [
        "计划发货日期",
        "预发货日期",
        "Planned Ship Date",
        "Ship By",
        "planned_ship_date",
    ],
    "currency": ["币别", "币种", "结算币别", "Currency", "currency"],
    "status": ["订单状态", "业务状态", "Status", "status"],
}
LINE_HEADER = {
    "line_no": ["行号", "序号", "Line", "Line No", "line_no"],
    "sku": ["物料编码", "存货编码", "商品编码", "产品编码", "SKU", "Item Code", "sku"],
    "description": [
        "物料名称",
        "存货名称",
        "商品名称",
        "产品名称",
        "Description",
        "Item",
        "description",
    ],
    "qty": ["销售数量", "数量", "订货数量", "Quantity", "Qty", "qty"],
    "unit": ["销售单位", "单位", "主计量单位", "计量单位", "Unit", "UoM", "unit"],
    "unit_price": ["含税单价", "单价", "Unit Price", "Price", "unit_price"],
    "warehouse": ["发货仓库", "仓库", "Warehouse", "warehouse"],
    "bin": ["库位", "仓位", "Bin", "bin"],
    "reserved_qty": ["预留数量", "已预留", "Reserved", "reserved_qty"],
}

PRESETS: dict[str, dict[str, Any]] = {
    "kingdee_sales_order": {
        "description": "Kingdee (金蝶 K/3 Cloud, 星空) 销售订单 detail export: one row per order "
        "line, the order's fields repeated on each line. Fills orders and order lines.",
        "entity": ["orders", "order_lines"],
        "files": ["*销售订单*"],
        "columns": {
            "order_id": "单据编号",
            "order_date": "日期",
            "customer_id": "客户编码",
            "customer": ["客户", "客户名称"],
            "sales_rep": "销售员",
            "follow_up": "跟单员",
            "promised_date": ["要货日期", "交货日期"],
            "planned_ship_date": "计划发货日期",
            "currency": "结算币别",
            "orders.status": "业务状态",
            "line_no": "序号",
            "sku": "物料编码",
            "description": "物料名称",
            "unit": "销售单位",
            "qty": "销售数量",
            "unit_price": "含税单价",
            "order_lines.amount": "价税合计",
            "warehouse": "发货仓库",
        },
        "key": None,
    },
    "yonyou_sales_order": {
        "description": "Yonyou (用友 U8 / T+) 销售订单列表 export: one row per order line. "
        "Fills orders and order lines.",
        "entity": ["orders", "order_lines"],
        "files": ["*订单列表*", "*销售订单列表*"],
        "columns": {
            "order_id": "订单号",
            "order_date": "订单日期",
            "customer_id": "客户编码",
            "customer": ["客户名称", "客户简称"],
            "sales_rep": "业务员",
            "region": "销售部门",
            "promised_date": ["预完工日期", "交货日期"],
            "planned_ship_date": "预发货日期",
            "currency": "币种",
            "sku": "存货编码",
            "description": "存货名称",
            "unit": "主计量单位",
            "qty": "数量",
            "unit_price": "含税单价",
            "order_lines.amount": "价税合计",
            "warehouse": "仓库",
        },
    },
    "wms_shipments": {
        "description": "A generic WMS / carrier shipment export (发货单 / 物流跟踪): one row per "
        "parcel with carrier, tracking number, status and times.",
        "entity": ["shipments"],
        "files": ["*发货*", "*物流*", "*shipment*"],
        "columns": {
            "shipment_id": ["发货单号", "出库单号", "Shipment ID"],
            "order_id": ["订单编号", "订单号", "来源单号", "Order ID"],
            "carrier": ["快递公司", "物流公司", "承运商", "Carrier"],
            "tracking_no": ["运单号", "物流单号", "快递单号", "Tracking No"],
            "status": ["物流状态", "运单状态", "状态", "Status"],
            "shipped_at": ["发货时间", "出库时间", "Shipped At"],
            "delivered_at": ["签收时间", "妥投时间", "Delivered At"],
            "freight_cost": ["运费", "运费(元)", "Freight"],
            "expedited": ["是否加急", "加急", "Expedited"],
        },
    },
    "orders": {
        "description": "Order headers with English or Chinese headers (a CRM or hand-kept sheet).",
        "entity": ["orders"],
        "files": ["*orders*", "*订单*"],
        "columns": {
            **ORDER_HEADER,
            "amount": [
                "订单金额",
                "金额",
                "价税合计",
                "总金额",
                "Amount",
                "Order Amount",
                "amount",
            ],
        },
    },
    "order_lines": {
        "description": "Order lines with English or Chinese headers.",
        "entity": ["order_lines"],
        "files": ["*order_lines*", "*订单明细*"],
        "columns": {
            "order_id": ORDER_HEADER["order_id"],
            **LINE_HEADER,
            "amount": ["金额", "价税合计", "Amount", "Line Amount", "amount"],
        },
    },
    "inventory": {
        "description": "Stock per SKU and warehouse (即时库存 / WMS inventory export).",
        "entity": ["inventory"],
        "files": ["*库存*", "*inventory*"],
        "columns": {
            "sku": LINE_HEADER["sku"],
            "warehouse": ["仓库", "仓库名称", "Warehouse", "warehouse"],
            "description": LINE_HEADER["description"],
            "on_hand": ["现存量", "库存数量", "在库数量", "结存数量", "On Hand", "on_hand"],
            "reserved": ["预留量", "占用数量", "锁定数量", "Reserved", "reserved"],
            "available": ["可用库存", "可用量", "可用数量", "Available", "available"],
            "unit_cost": ["单位成本", "成本单价", "Unit Cost", "unit_cost"],
            "bin": ["库位", "仓位", "Bin", "bin"],
            "as_of": ["盘点日期", "快照日期", "As Of", "as_of"],
        },
    },
    "customers": {
        "description": "Customer master: segment and credit limit.",
        "entity": ["customers"],
        "files": ["*客户*", "*customers*"],
        "columns": {
            "customer_id": ["客户编码", "客户代码", "Customer ID", "customer_id"],
            "name": ["客户名称", "Customer", "Name", "name"],
            "segment": ["客户分类", "客户类别", "Segment", "segment"],
            "region": ["地区", "区域", "Region", "region"],
            "credit_limit": ["信用额度", "Credit Limit", "credit_limit"],
            "contact": ["联系人", "Contact", "contact"],
            "email": ["邮箱", "电子邮件", "Email", "email"],
        },
    },
    "invoices": {
        "description": "Invoices (开票记录) from finance.",
        "entity": ["invoices"],
        "files": ["*发票*", "*开票*", "*invoice*"],
        "columns": {
            "invoice_id": ["发票号码", "发票号", "Invoice No", "invoice_id"],
            "order_id": ["订单编号", "销售订单号", "订单号", "Order ID", "order_id"],
            "invoice_date": ["开票日期", "Invoice Date", "invoice_date"],
            "amount": ["价税合计", "开票金额", "金额", "Amount", "amount"],
            "tax_amount": ["税额", "Tax", "tax_amount"],
        },
    },
    "payments": {
        "description": "Payments received (收款单) from finance.",
        "entity": ["payments"],
        "files": ["*收款*", "*回款*", "*payment*"],
        "columns": {
            "payment_id": ["收款单号", "单据编号", "Payment No", "payment_id"],
            "order_id": ["订单编号", "销售订单号", "订单号", "Order ID", "order_id"],
            "paid_date": ["收款日期", "到账日期", "Paid Date", "paid_date"],
            "amount": ["收款金额", "金额", "Amount", "amount"],
            "method": ["结算方式", "收款方式", "Method", "method"],
        },
    },
    "feedback": {
        "description": "Customer feedback: complaints and NPS answers (CRM / survey export).",
        "entity": ["feedback"],
        "files": ["*反馈*", "*投诉*", "*feedback*", "*nps*"],
        "columns": {
            "feedback_id": ["反馈编号", "工单号", "Feedback ID", "feedback_id"],
            "order_id": ["订单编号", "订单号", "Order ID", "order_id"],
            "received_date": ["反馈日期", "日期", "Date", "received_date"],
            "complaint": ["是否投诉", "投诉", "Complaint", "complaint"],
            "category": ["投诉类别", "问题类别", "Category", "category"],
            "nps": ["推荐评分", "NPS评分", "NPS", "nps"],
            "comment": ["客户意见", "备注", "Comment", "comment"],
        },
    },
    "stage_history": {
        "description": "Past stage moves (one row per stage entered), so KPIs work from day one.",
        "entity": ["stage_history"],
        "files": ["*stage_events*", "*流程记录*", "*stage_history*"],
        "columns": {
            "order_id": ["订单编号", "订单号", "Order ID", "order_id"],
            "to_stage": ["环节", "节点", "Stage", "stage", "to_stage"],
            "event_at": ["进入时间", "时间", "Entered At", "entered_at", "event_at"],
            "from_stage": ["上一环节", "From Stage", "from_stage"],
            "actor": ["操作人", "处理人", "Actor", "actor"],
            "note": ["备注", "Note", "note"],
        },
    },
}
