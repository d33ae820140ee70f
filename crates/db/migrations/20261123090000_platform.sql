-- Platform mechanisms every context builds on: idempotency keys, the
-- transactional outbox and the append-only audit log.

-- A stored response to a POST that moved money or stock. Written in the same
-- transaction as the effect, so a key exists if and only if the effect does.
CREATE TABLE idempotency_keys (
    scope            text        NOT NULL, -- the caller: 'user:<uuid>', 'api_key:<uuid>', 'anonymous'
    route            text        NOT NULL, -- method and route template: 'POST /api/v1/checkout'
    key              text        NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash     bytea       NOT NULL, -- SHA-256 of the request body
    response_status  smallint    NOT NULL CHECK (response_status BETWEEN 100 AND 599),
    response_headers jsonb       NOT NULL DEFAULT '[]',
    response_body    bytea       NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, route, key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);

-- Side effects (mail, webhooks, cache invalidation, alerts) recorded in the
-- transaction of the change that causes them and delivered at least once by
-- the workers. `locked_until` is the lease of the worker delivering it.
CREATE TABLE outbox_events (
    id           uuid        PRIMARY KEY,
    topic        text        NOT NULL CHECK (topic <> ''),
    payload      jsonb       NOT NULL,
    status       text        NOT NULL DEFAULT 'pending'
                             CHECK (status IN ('pending', 'delivered', 'parked')),
    attempts     integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    available_at timestamptz NOT NULL DEFAULT now(),
    locked_until timestamptz,
    last_error   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz
);
CREATE INDEX outbox_events_due ON outbox_events (available_at, id) WHERE status = 'pending';
CREATE INDEX outbox_events_delivered ON outbox_events (delivered_at) WHERE status = 'delivered';

-- Who did what, when. Rows are never changed nor removed: the triggers below
-- refuse it, whatever role the application connects with.
CREATE TABLE audit_log (
    id           uuid        PRIMARY KEY,
    occurred_at  timestamptz NOT NULL DEFAULT now(),
    actor_kind   text        NOT NULL CHECK (actor_kind IN ('user', 'api_key', 'system', 'anonymous')),
    actor_id     uuid,
    action       text        NOT NULL CHECK (action ~ '^[a-z_]+(\.[a-z_]+)+$'),
    subject_type text,
    subject_id   text,
    request_id   text,
    ip           text,
    details      jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_recent ON audit_log (occurred_at DESC, id DESC);
CREATE INDEX audit_log_subject ON audit_log (subject_type, subject_id, occurred_at DESC);
CREATE INDEX audit_log_actor ON audit_log (actor_kind, actor_id, occurred_at DESC);

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_no_update_or_delete
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
