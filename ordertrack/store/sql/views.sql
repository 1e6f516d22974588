-- The public views: the documented interface for rules, reports and power users.
-- Recreated on every migration. "Now" is getvariable('ot_now') when ordertrack set it
-- (so tests and backtests can pin the clock), else the current time.

CREATE OR REPLACE VIEW v_now AS
SELECT coalesce(getvariable('ot_now')::TIMESTAMPTZ, current_timestamp) AS now;

-- v_line_facts: one row per order line with the stock of its SKU (summed over the
-- warehouses [inventory] warehouses lists, else all). Open lines (order open, nothing
-- shipped yet) take the available stock in promise order (earliest promised date first);
-- a line is short when the stock runs out before it. Closed lines take nothing.
CREATE OR REPLACE VIEW v_line_facts AS
WITH stock AS (
    SELECT sku,
           sum(coalesce(on_hand, available, 0)) AS on_hand,
           sum(coalesce(reserved, 0)) AS reserved,
           sum(coalesce(available, coalesce(on_hand, 0) - coalesce(reserved, 0))) AS available
    FROM inventory
    WHERE getvariable('ot_warehouses') IS NULL
       OR list_contains(getvariable('ot_warehouses')::VARCHAR[], warehouse)
    GROUP BY sku
),
shipped AS (SELECT DISTINCT order_id FROM shipments WHERE shipped_at IS NOT NULL),
first_stage AS (SELECT stage_id FROM flow_stages ORDER BY position LIMIT 1),
lines AS (
    SELECT l.*, o.promised_date, o.planned_ship_date, o.order_date, o.customer, o.sales_rep,
           coalesce(o.follow_up, o.sales_rep) AS follow_up, o.status, o.state,
           coalesce(o.stage, (SELECT stage_id FROM first_stage)) AS stage,
           o.state = 'open' AND s.order_id IS NULL AS is_open
    FROM order_lines l
    JOIN orders o USING (order_id)
    LEFT JOIN shipped s USING (order_id)
),
alloc AS (
    -- the running demand is a window over open lines only: closed history costs nothing
    SELECT l.*, sum(coalesce(l.qty, 0)) OVER (
               PARTITION BY l.sku
               ORDER BY l.promised_date NULLS LAST, l.order_date, l.order_id, l.line_no
               ROWS UNBOUNDED PRECEDING) AS open_demand_to_here
    FROM lines l WHERE l.is_open
    UNION ALL
    SELECT l.*, NULL::DECIMAL(38,3) AS open_demand_to_here FROM lines l WHERE NOT l.is_open
)
SELECT a.order_id, a.line_no, a.sku, a.description, a.qty, a.unit_price, a.amount, a.warehouse,
       a.bin, a.reserved_qty, st.on_hand, st.reserved, st.available, a.is_open,
       a.open_demand_to_here,
       CASE WHEN a.is_open
            THEN least(coalesce(a.qty, 0),
                       greatest(a.open_demand_to_here - coalesce(st.available, 0), 0))
            ELSE 0 END AS shortage_qty,
       coalesce(a.is_open AND a.open_demand_to_here > coalesce(st.available, 0), false) AS is_short,
       a.customer, a.sales_rep, a.follow_up, a.promised_date, a.planned_ship_date, a.stage,
       a.state, a.status,
       (SELECT now FROM v_now) AS as_of
FROM alloc a LEFT JOIN stock st USING (sku);

-- v_order_facts: one row per order: what rules, reports and guards look at.
-- Projected dates: now + what is left of the current stage + the stages still to come,
-- each at the [alerts] projection percentile of past stays (stage_forecast, per customer
-- segment where there is enough history), weighted by how often orders pass them.
CREATE OR REPLACE VIEW v_order_facts AS
WITH n AS (SELECT now FROM v_now),
first_stage AS (SELECT stage_id FROM flow_stages ORDER BY position LIMIT 1),
milestones AS (
    SELECT min(position) FILTER (WHERE milestone = 'shipped') AS ship_pos,
           min(position) FILTER (WHERE milestone = 'delivered') AS delivery_pos
    FROM flow_stages
),
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
       o.stage, fs.name AS stage_name, fs.position AS stage_position, fs.owner_role,
       o.stage_entered_at,
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
       -- still to ship / deliver: nothing recorded and the flow not yet at that milestone
       ship.shipped_at IS NULL AND coalesce(fs.position < m.ship_pos, true) AS before_shipped,
       ship.delivered_at IS NULL AND coalesce(fs.position < m.delivery_pos, true) AS before_delivered,
       -- typical hours still to spend in the current stage (the projections start there)
       greatest(coalesce(f1.hours, f0.hours) - stage_hours, 0) AS stage_hours_left,
       CASE WHEN ship.shipped_at IS NOT NULL THEN ship.shipped_at::DATE
            WHEN coalesce(fs.position < m.ship_pos, false) THEN (n.now + to_seconds(round(3600 *
                (stage_hours_left + coalesce(f1.to_ship_hours, f0.to_ship_hours)))::BIGINT))::DATE
       END AS projected_ship_date,
       CASE WHEN ship.delivered_at IS NOT NULL THEN ship.delivered_at::DATE
            WHEN coalesce(fs.position < m.delivery_pos, false) THEN (n.now + to_seconds(round(3600 *
                (stage_hours_left + coalesce(f1.to_delivery_hours, f0.to_delivery_hours)))::BIGINT))::DATE
       END AS projected_delivery_date,
       n.now AS as_of
FROM base o
CROSS JOIN n
CROSS JOIN milestones m
LEFT JOIN flow_stages fs ON fs.stage_id = o.stage
LEFT JOIN customers c ON c.customer_id = o.customer_id
LEFT JOIN lines USING (order_id)
LEFT JOIN ship USING (order_id)
LEFT JOIN inv USING (order_id)
LEFT JOIN pay USING (order_id)
LEFT JOIN stage_forecast f0 ON f0.stage_id = o.stage AND f0.segment = '*'
LEFT JOIN stage_forecast f1 ON f1.stage_id = o.stage AND f1.segment = c.segment;

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
