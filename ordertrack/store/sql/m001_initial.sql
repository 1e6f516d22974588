-- m001: the order center's tables. Entity tables carry no index: keys are kept unique by
-- the importer (compare-first loads), which keeps million-row imports fast.
-- Times are TIMESTAMPTZ; dates are DATE; money DECIMAL.
-- Every imported entity keeps the columns its file had but no field maps in `attrs` (JSON),
-- and the import that last wrote the row in `import_id`.

CREATE SEQUENCE IF NOT EXISTS seq_import_id START 1;
CREATE SEQUENCE IF NOT EXISTS seq_event_id START 1;
CREATE SEQUENCE IF NOT EXISTS seq_alert_id START 1;
CREATE SEQUENCE IF NOT EXISTS seq_task_id START 1;
CREATE SEQUENCE IF NOT EXISTS seq_message_id START 1;
CREATE SEQUENCE IF NOT EXISTS seq_audit_id START 1;

CREATE TABLE meta (
    key VARCHAR PRIMARY KEY,
    value VARCHAR
);

CREATE TABLE flow_stages (            -- the configured flow, synced from ordertrack.toml
    stage_id VARCHAR PRIMARY KEY,
    position INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    owner_role VARCHAR NOT NULL,
    sla_hours DOUBLE,
    condition VARCHAR
);

CREATE TABLE orders (
    order_id VARCHAR NOT NULL,        -- unique: the importer keeps it so (no index: bulk loads stay fast)
    customer VARCHAR,
    customer_id VARCHAR,
    sales_rep VARCHAR,
    follow_up VARCHAR,
    region VARCHAR,
    order_date DATE,
    promised_date DATE,
    planned_ship_date DATE,
    amount DECIMAL(18,2),
    currency VARCHAR,
    status VARCHAR,
    stage VARCHAR,                    -- current stage id; NULL: the flow's first stage
    stage_entered_at TIMESTAMPTZ,     -- when it entered it; NULL: created_at
    state VARCHAR NOT NULL DEFAULT 'open',  -- open | on_hold | cancelled | closed
    attrs JSON,
    import_id BIGINT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);

CREATE TABLE order_lines (
    order_id VARCHAR NOT NULL,
    line_no INTEGER NOT NULL,
    sku VARCHAR,
    description VARCHAR,
    qty DECIMAL(18,3),
    unit VARCHAR,
    unit_price DECIMAL(18,4),
    amount DECIMAL(18,2),
    warehouse VARCHAR,
    bin VARCHAR,
    reserved_qty DECIMAL(18,3),
    attrs JSON,
    import_id BIGINT                  -- (order_id, line_no) unique, kept by the importer
);

CREATE TABLE customers (
    customer_id VARCHAR NOT NULL,
    name VARCHAR,
    segment VARCHAR,
    region VARCHAR,
    credit_limit DECIMAL(18,2),
    contact VARCHAR,
    email VARCHAR,
    attrs JSON,
    import_id BIGINT
);

CREATE TABLE inventory (
    sku VARCHAR NOT NULL,
    warehouse VARCHAR NOT NULL,
    description VARCHAR,
    on_hand DECIMAL(18,3),
    reserved DECIMAL(18,3),
    available DECIMAL(18,3),
    unit_cost DECIMAL(18,4),
    bin VARCHAR,
    as_of DATE,
    attrs JSON,
    import_id BIGINT                  -- (sku, warehouse) unique, kept by the importer
);

CREATE TABLE inventory_history (      -- one snapshot per SKU, warehouse and day imported
    as_of DATE NOT NULL,
    sku VARCHAR NOT NULL,
    warehouse VARCHAR NOT NULL,
    on_hand DECIMAL(18,3),
    reserved DECIMAL(18,3),
    unit_cost DECIMAL(18,4),
    import_id BIGINT,
    PRIMARY KEY (as_of, sku, warehouse)
);

CREATE TABLE shipments (
    shipment_id VARCHAR NOT NULL,
    order_id VARCHAR NOT NULL,
    carrier VARCHAR,
    tracking_no VARCHAR,
    status VARCHAR,
    shipped_at TIMESTAMPTZ,
    delivered_at TIMESTAMPTZ,
    freight_cost DECIMAL(18,2),
    expedited BOOLEAN,
    attrs JSON,
    import_id BIGINT
);

CREATE TABLE invoices (
    invoice_id VARCHAR NOT NULL,
    order_id VARCHAR NOT NULL,
    invoice_date DATE,
    amount DECIMAL(18,2),
    tax_amount DECIMAL(18,2),
    attrs JSON,
    import_id BIGINT
);

CREATE TABLE payments (
    payment_id VARCHAR NOT NULL,
    order_id VARCHAR NOT NULL,
    paid_date DATE,
    amount DECIMAL(18,2),
    method VARCHAR,
    attrs JSON,
    import_id BIGINT
);

CREATE TABLE feedback (
    feedback_id VARCHAR NOT NULL,
    order_id VARCHAR NOT NULL,
    received_date DATE,
    complaint BOOLEAN,
    category VARCHAR,
    nps INTEGER CHECK (nps BETWEEN 0 AND 10),
    comment VARCHAR,
    attrs JSON,
    import_id BIGINT
);

CREATE TABLE stage_events (           -- append-only: every move of every order
    event_id BIGINT PRIMARY KEY DEFAULT nextval('seq_event_id'),
    order_id VARCHAR NOT NULL,
    from_stage VARCHAR,
    to_stage VARCHAR,
    event_at TIMESTAMPTZ NOT NULL,
    actor VARCHAR,
    via VARCHAR NOT NULL,             -- cli | import | rule | auto
    kind VARCHAR NOT NULL DEFAULT 'move',  -- move | skip | hold | resume | cancel | reopen
    note VARCHAR,
    import_id BIGINT
);

CREATE TABLE alerts (
    alert_id BIGINT PRIMARY KEY DEFAULT nextval('seq_alert_id'),
    alert_key VARCHAR NOT NULL UNIQUE,   -- rule|order|sku
    rule_id VARCHAR NOT NULL,
    order_id VARCHAR,
    sku VARCHAR,
    severity VARCHAR NOT NULL,           -- info | warning | critical
    state VARCHAR NOT NULL,              -- firing | resolved
    first_fired_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    resolved_at TIMESTAMPTZ,
    acked_at TIMESTAMPTZ,
    acked_by VARCHAR,
    ack_note VARCHAR,
    snoozed_until TIMESTAMPTZ,
    last_notified_at TIMESTAMPTZ,
    notify_count INTEGER NOT NULL DEFAULT 0,
    escalation_level INTEGER NOT NULL DEFAULT 0,
    details JSON
);

CREATE TABLE tasks (
    task_id BIGINT PRIMARY KEY DEFAULT nextval('seq_task_id'),
    dedupe_key VARCHAR UNIQUE,
    alert_id BIGINT,
    order_id VARCHAR,
    sku VARCHAR,
    kind VARCHAR,
    title VARCHAR NOT NULL,
    role VARCHAR,
    assignee VARCHAR,
    state VARCHAR NOT NULL DEFAULT 'open',   -- open | done
    opened_at TIMESTAMPTZ NOT NULL,
    due_at TIMESTAMPTZ,
    done_at TIMESTAMPTZ,
    done_by VARCHAR,
    note VARCHAR
);

CREATE TABLE outbox (
    message_id BIGINT PRIMARY KEY DEFAULT nextval('seq_message_id'),
    dedupe_key VARCHAR UNIQUE,
    channel VARCHAR NOT NULL,           -- email | webhook
    recipient VARCHAR NOT NULL,
    subject VARCHAR,
    payload BLOB NOT NULL,              -- the serialized message
    created_at TIMESTAMPTZ NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_attempt_at TIMESTAMPTZ,
    last_error VARCHAR,
    sent_at TIMESTAMPTZ
);

CREATE TABLE imports (
    import_id BIGINT PRIMARY KEY,
    path VARCHAR NOT NULL,
    file_name VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    size_bytes BIGINT,
    profile VARCHAR,
    entities VARCHAR,
    sheet VARCHAR,
    status VARCHAR NOT NULL,            -- ok | skipped | failed
    rows_read BIGINT NOT NULL DEFAULT 0,
    inserted BIGINT NOT NULL DEFAULT 0,
    updated BIGINT NOT NULL DEFAULT 0,
    unchanged BIGINT NOT NULL DEFAULT 0,
    rejected BIGINT NOT NULL DEFAULT 0,
    moved BIGINT NOT NULL DEFAULT 0,    -- orders moved to a stage by this import
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    actor VARCHAR,
    message VARCHAR
);

CREATE TABLE import_rejects (
    import_id BIGINT NOT NULL,
    sheet VARCHAR,
    row_no BIGINT,                      -- the row number as Excel or a text editor shows it
    column_name VARCHAR,
    raw_value VARCHAR,
    reason VARCHAR NOT NULL,
    raw_row JSON                        -- the original cells, header → value
);

CREATE TABLE audit_log (
    audit_id BIGINT PRIMARY KEY DEFAULT nextval('seq_audit_id'),
    logged_at TIMESTAMPTZ NOT NULL,
    actor VARCHAR,
    command VARCHAR NOT NULL,
    args JSON,
    changes JSON
);

CREATE INDEX idx_events_order ON stage_events (order_id);
CREATE INDEX idx_imports_sha ON imports (sha256);
