-- m003: the rule engine. Alerts become one row per firing episode (an alert key fires,
-- resolves, and may fire again as a new row: alerts are never deleted), with a
-- pending state for rules with `for`. The outbox gets a status; tasks remember their
-- rule; sweeps are recorded when they change something; stage_forecast holds the
-- stage-duration percentiles projected dates are computed from.
-- The m001 tables replaced here were never written by an earlier version.

DROP TABLE alerts;
CREATE TABLE alerts (
    alert_id BIGINT PRIMARY KEY DEFAULT nextval('seq_alert_id'),
    alert_key VARCHAR NOT NULL,          -- rule|order|sku; at most one open alert per key
    rule_id VARCHAR NOT NULL,
    order_id VARCHAR,
    sku VARCHAR,
    severity VARCHAR NOT NULL,           -- info | warning | critical
    state VARCHAR NOT NULL,              -- pending | firing | resolved
    first_seen_at TIMESTAMPTZ NOT NULL,  -- the condition held first (pending since)
    fired_at TIMESTAMPTZ,                -- NULL: resolved while pending, never fired
    resolved_at TIMESTAMPTZ,
    resolved_reason VARCHAR,             -- condition cleared | order closed | order cancelled | rule removed
    acked_at TIMESTAMPTZ,
    acked_by VARCHAR,
    ack_note VARCHAR,
    snoozed_until TIMESTAMPTZ,
    snoozed_by VARCHAR,
    last_notified_at TIMESTAMPTZ,
    notify_count INTEGER NOT NULL DEFAULT 0,
    escalation_level INTEGER NOT NULL DEFAULT 0,
    notified_level INTEGER NOT NULL DEFAULT 0,
    resolved_notified_at TIMESTAMPTZ,
    sweep_id BIGINT                      -- the sweep that opened it
);

DROP TABLE outbox;
CREATE TABLE outbox (
    message_id BIGINT PRIMARY KEY DEFAULT nextval('seq_message_id'),
    dedupe_key VARCHAR NOT NULL UNIQUE,  -- sweep|channel|recipient: queued once
    sweep_id BIGINT,
    channel VARCHAR NOT NULL,            -- email | webhook | file
    recipient VARCHAR NOT NULL,          -- address, robot name or person
    recipient_name VARCHAR,
    subject VARCHAR,
    payload BLOB NOT NULL,               -- email: the MIME message; webhook/file: JSON
    alert_count INTEGER,
    status VARCHAR NOT NULL DEFAULT 'queued',  -- queued | sent | failed (not retried by itself)
    created_at TIMESTAMPTZ NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_attempt_at TIMESTAMPTZ,
    last_error VARCHAR,
    sent_at TIMESTAMPTZ
);

ALTER TABLE tasks ADD COLUMN rule_id VARCHAR;

CREATE SEQUENCE IF NOT EXISTS seq_sweep_id START 1;
CREATE TABLE sweeps (
    sweep_id BIGINT PRIMARY KEY,
    started_at TIMESTAMPTZ NOT NULL,
    as_of TIMESTAMPTZ NOT NULL,
    actor VARCHAR,
    notify BOOLEAN NOT NULL,
    rules INTEGER NOT NULL,
    fired INTEGER NOT NULL,
    resolved INTEGER NOT NULL,
    messages INTEGER NOT NULL,
    summary JSON
);

CREATE TABLE stage_forecast (           -- refreshed by `alerts run` when stage_events change
    stage_id VARCHAR NOT NULL,
    segment VARCHAR NOT NULL,           -- a customer segment, or '*' for all
    samples BIGINT NOT NULL,
    visit_share DOUBLE NOT NULL,        -- share of shipped orders that passed the stage
    hours DOUBLE NOT NULL,              -- the configured percentile of the time spent in it
    to_ship_hours DOUBLE,               -- expected hours after leaving it until shipped
    to_delivery_hours DOUBLE            -- … until delivered (signed for)
);

ALTER TABLE flow_stages ADD COLUMN milestone VARCHAR;   -- shipped | delivered | NULL
