-- The public views: the documented interface for rules, reports and power users.
-- Recreated on every migration. "Now" is getvariable('ot_now') when ordertrack set it
-- (so tests and backtests can pin the clock), else the current time.

CREATE OR REPLACE VIEW v_now AS
SELECT coalesce(getvariable('ot_now')::TIMESTAMPTZ, current_timestamp) AS now;

-- v_line_facts: one row per order line with the stock of its SKU (summed over warehouses).
-- Open lines (order open, nothing shipped yet) take the available stock in promise order
-- (earliest promised date first); a line is short when the stock runs out before it.
CREATE OR REPLACE VIEW v_line_facts AS
WITH stock AS (
    SELECT sku,
           sum(coalesce(on_hand, available, 0)) AS on_hand,
           sum(coalesce(reserved, 0)) AS reserved,
           sum(coalesce(available, coalesce(on_hand, 0) - coalesce(reserved, 0))) AS available
    FROM inventory GROUP BY sku
),
shipped AS (SELECT DISTINCT order_id FROM shipments WHERE shipped_at IS NOT NULL),
lines AS (
    SELECT l.*, o.promised_date, o.order_date,
           o.state = 'open' AND s.order_id IS NULL AS is_open
    FROM order_lines l
    JOIN orders o USING (order_id)
    LEFT JOIN shipped s USING (order_id)
),
alloc AS (
    SELECT l.*, st.on_hand, st.reserved, st.available,
           sum(CASE WHEN l.is_open THEN coalesce(l.qty, 0) ELSE 0 END) OVER (
               PARTITION BY l.sku
               ORDER BY l.promised_date NULLS LAST, l.order_date, l.order_id, l.line_no
               ROWS UNBOUNDED PRECEDING) AS open_demand_to_here
    FROM lines l LEFT JOIN stock st USING (sku)
)
SELECT order_id, line_no, sku, description, qty, unit_price, amount, warehouse, bin,
       reserved_qty, on_hand, reserved, available, is_open, open_demand_to_here,
       CASE WHEN is_open
            THEN least(coalesce(qty, 0), greatest(open_demand_to_here - coalesce(available, 0), 0))
            ELSE 0 END AS shortage_qty,
       is_open AND open_demand_to_here > coalesce(available, 0) AS is_short
FROM alloc;

CREATE OR REPLACE VIEW v_order_facts AS
WITH n AS (SELECT now FROM v_now),
first_stage AS (SELECT stage_id FROM flow_stages ORDER BY position LIMIT 1),
base AS (
    -- an order the flow has not moved yet is in the first stage since it was imported
    SELECT o.* REPLACE (coalesce(o.stage, (SELECT stage_id FROM first_stage)) AS stage,
                        coalesce(o.stage_entered_at, o.created_at) AS stage_entered_at)
    FROM orders o
),
lines AS (
    SELECT order_id, count(*) AS line_count, sum(qty) AS total_qty, sum(amount) AS lines_amount,
           sum(shortage_qty) AS shortage_qty, count(*) FILTER (WHERE is_short) AS short_lines
    FROM v_line_facts GROUP BY order_id
),
ship AS (
    SELECT order_id, count(*) AS shipment_count,
           min(shipped_at) AS shipped_at, max(delivered_at) AS delivered_at,
           arg_max(status, coalesce(delivered_at, shipped_at)) AS shipment_status,
           sum(freight_cost) AS freight_cost, bool_or(coalesce(expedited, false)) AS expedited
    FROM shipments GROUP BY order_id
),
inv AS (SELECT order_id, sum(amount) AS invoiced_amount FROM invoices GROUP BY order_id),
pay AS (SELECT order_id, sum(amount) AS paid_amount FROM payments GROUP BY order_id)
SELECT o.order_id, o.customer, o.customer_id, c.segment, c.credit_limit,
       o.sales_rep, coalesce(o.follow_up, o.sales_rep) AS follow_up, o.region,
       o.order_date, o.promised_date, o.planned_ship_date,
       coalesce(o.amount, lines.lines_amount) AS amount, o.currency, o.status, o.state,
       -- what the customer owes on its open orders (this one included): credit exposure
       sum(CASE WHEN o.state IN ('open', 'on_hold')
                THEN coalesce(o.amount, lines.lines_amount, 0) - coalesce(pay.paid_amount, 0)
                ELSE 0 END)
           OVER (PARTITION BY coalesce(o.customer_id, o.customer)) AS customer_open_amount,
       o.stage, fs.name AS stage_name, fs.owner_role, o.stage_entered_at,
       date_diff('second', o.stage_entered_at, n.now) / 3600.0 AS stage_hours,
       -- business hours when [calendar] is set, else the same as stage_hours
       business_hours_between(o.stage_entered_at, n.now) AS stage_business_hours,
       fs.sla_hours,
       coalesce(fs.sla_hours IS NOT NULL
                AND business_hours_between(o.stage_entered_at, n.now) > fs.sla_hours, false)
           AS overdue,
       coalesce(lines.line_count, 0) AS line_count, lines.total_qty,
       coalesce(lines.shortage_qty, 0) AS shortage_qty, coalesce(lines.short_lines, 0) > 0 AS is_short,
       coalesce(ship.shipment_count, 0) AS shipment_count, ship.shipment_status,
       ship.shipped_at, ship.delivered_at, ship.freight_cost, coalesce(ship.expedited, false) AS expedited,
       inv.invoiced_amount, pay.paid_amount,
       n.now AS as_of
FROM base o
CROSS JOIN n
LEFT JOIN flow_stages fs ON fs.stage_id = o.stage
LEFT JOIN customers c ON c.customer_id = o.customer_id
LEFT JOIN lines USING (order_id)
LEFT JOIN ship USING (order_id)
LEFT JOIN inv USING (order_id)
LEFT JOIN pay USING (order_id);

CREATE OR REPLACE VIEW v_stage_durations AS
SELECT e.order_id, e.to_stage AS stage, e.event_at AS entered_at,
       lead(e.event_at) OVER (PARTITION BY e.order_id ORDER BY e.event_at, e.event_id) AS left_at,
       date_diff('second', e.event_at,
                 coalesce(lead(e.event_at) OVER (PARTITION BY e.order_id ORDER BY e.event_at, e.event_id),
                          (SELECT now FROM v_now))) / 3600.0 AS hours,
       business_hours_between(e.event_at,
                 coalesce(lead(e.event_at) OVER (PARTITION BY e.order_id ORDER BY e.event_at, e.event_id),
                          (SELECT now FROM v_now))) AS business_hours,
       lead(e.event_at) OVER (PARTITION BY e.order_id ORDER BY e.event_at, e.event_id) IS NULL AS is_current,
       e.actor, e.via
FROM stage_events e
WHERE e.kind = 'move';
