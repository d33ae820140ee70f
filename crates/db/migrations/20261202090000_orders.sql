-- Orders, their payments and the money ledger, invoice numbering, and the
-- books of the built-in test gateway.
--
-- An order is written with its lines, its stock reservations and its first
-- payment attempt in one transaction; the gateway is called after that
-- transaction commits, so no stock row stays locked while a bank answers.

CREATE SEQUENCE order_number_seq;

CREATE TABLE orders (
    id                      uuid        PRIMARY KEY,
    -- CMD-2026-000123
    number                  text        NOT NULL UNIQUE,
    user_id                 uuid        REFERENCES users (id) ON DELETE SET NULL,
    email                   text        NOT NULL,
    status                  text        NOT NULL CHECK (status IN (
        'pending_payment', 'awaiting_payment', 'paid', 'processing', 'shipped', 'delivered',
        'cancelled', 'partially_refunded', 'refunded')),
    channel                 text        NOT NULL DEFAULT 'web' CHECK (channel IN ('web', 'pos', 'b2b')),
    currency                text        NOT NULL DEFAULT 'EUR',
    subtotal_minor          bigint      NOT NULL CHECK (subtotal_minor >= 0),
    shipping_minor          bigint      NOT NULL CHECK (shipping_minor >= 0),
    vat_total_minor         bigint      NOT NULL,
    grand_total_minor       bigint      NOT NULL CHECK (grand_total_minor >= 0),
    -- [{rate, base_minor, amount_minor}], highest rate first
    vat                     jsonb       NOT NULL,
    paid_minor              bigint      NOT NULL DEFAULT 0,
    refunded_minor          bigint      NOT NULL DEFAULT 0,
    shipping_method_id      uuid        REFERENCES shipping_methods (id) ON DELETE SET NULL,
    -- what the shopper chose: `colissimo`, `retrait-magasin:BREST`
    shipping_option         text        NOT NULL,
    shipping_name           text        NOT NULL,
    pickup_location_id      uuid        REFERENCES stores (id),
    -- Addresses are personal data: sealed with the field cipher.
    shipping_address_sealed bytea       NOT NULL,
    billing_address_sealed  bytea,
    -- `card` or `bank_transfer`
    payment_method          text        NOT NULL,
    carrier                 text,
    tracking_number         text,
    -- The checkout request that placed it: a retry with the same key finds
    -- the order instead of placing another.
    checkout_scope          text,
    checkout_key            text,
    checkout_hash           bytea,
    -- A guest reaches the order with the token of the cart it came from.
    guest_token_hash        bytea,
    -- Until when the stock waits for the payment.
    payment_due_at          timestamptz,
    invoice_number          text        UNIQUE,
    invoiced_at             timestamptz,
    placed_at               timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    version                 integer     NOT NULL DEFAULT 1,
    CONSTRAINT orders_checkout_key UNIQUE (checkout_scope, checkout_key),
    CONSTRAINT orders_refund_bounded CHECK (refunded_minor BETWEEN 0 AND paid_minor),
    CONSTRAINT orders_paid_bounded CHECK (paid_minor BETWEEN 0 AND grand_total_minor)
);
CREATE INDEX orders_user_idx ON orders (user_id, placed_at DESC, id DESC) WHERE user_id IS NOT NULL;
CREATE INDEX orders_placed_idx ON orders (placed_at DESC, id DESC);
CREATE INDEX orders_status_idx ON orders (status, placed_at DESC, id DESC);
CREATE INDEX orders_email_idx ON orders (lower(email));
CREATE INDEX orders_payment_due_idx ON orders (payment_due_at)
    WHERE status IN ('pending_payment', 'awaiting_payment');

CREATE TABLE order_lines (
    id                 uuid    PRIMARY KEY,
    order_id           uuid    NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position           integer NOT NULL,
    variant_id         uuid    REFERENCES variants (id) ON DELETE SET NULL,
    sku                text    NOT NULL,
    product_name       text    NOT NULL,
    options            jsonb   NOT NULL DEFAULT '[]',
    quantity           integer NOT NULL CHECK (quantity > 0),
    -- VAT included for shoppers
    unit_price_minor   bigint  NOT NULL CHECK (unit_price_minor >= 0),
    vat_rate           integer NOT NULL,
    line_total_minor   bigint  NOT NULL,
    vat_minor          bigint  NOT NULL,
    refunded_quantity  integer NOT NULL DEFAULT 0 CHECK (refunded_quantity BETWEEN 0 AND quantity),
    UNIQUE (order_id, position)
);

-- Every change of an order's status, with who and when.
CREATE TABLE order_history (
    id          uuid        PRIMARY KEY,
    order_id    uuid        NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    from_status text,
    to_status   text        NOT NULL,
    actor_kind  text        NOT NULL,
    actor_id    uuid,
    note        text,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX order_history_order_idx ON order_history (order_id, created_at);

CREATE TABLE payments (
    id                uuid        PRIMARY KEY,
    order_id          uuid        NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    -- `test`, `stripe` or `manual`
    gateway           text        NOT NULL,
    -- `card` or `bank_transfer`
    method            text        NOT NULL,
    status            text        NOT NULL CHECK (status IN (
        'processing', 'requires_action', 'succeeded', 'failed', 'cancelled', 'awaiting_transfer')),
    amount_minor      bigint      NOT NULL CHECK (amount_minor > 0),
    currency          text        NOT NULL DEFAULT 'EUR',
    -- sent to the gateway with every call about this payment
    idempotency_key   text        NOT NULL UNIQUE,
    -- The gateway's token for the card (never a card number): a retry after
    -- a lost answer repeats the same request.
    token             text,
    gateway_reference text,
    next_action       jsonb,
    failure_code      text,
    failure_message   text,
    refunded_minor    bigint      NOT NULL DEFAULT 0 CHECK (refunded_minor BETWEEN 0 AND amount_minor),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_order_idx ON payments (order_id, created_at);
-- An order is paid once: a second successful payment cannot be recorded.
CREATE UNIQUE INDEX payments_one_success_per_order ON payments (order_id) WHERE status = 'succeeded';
-- What the reconciliation worker looks at.
CREATE INDEX payments_unsettled_idx ON payments (updated_at) WHERE status IN ('processing', 'requires_action');
CREATE INDEX payments_reference_idx ON payments (gateway, gateway_reference);

-- The money ledger: every authorization, capture, failure and refund, with
-- the gateway's reference. Append-only, like the stock ledger.
CREATE TABLE payment_ledger (
    id                uuid        PRIMARY KEY,
    payment_id        uuid        NOT NULL REFERENCES payments (id) ON DELETE CASCADE,
    order_id          uuid        NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    kind              text        NOT NULL CHECK (kind IN (
        'authorization', 'capture', 'failure', 'action_required', 'cancellation', 'refund', 'transfer_received')),
    amount_minor      bigint      NOT NULL,
    gateway_reference text,
    detail            jsonb       NOT NULL DEFAULT '{}',
    created_at        timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX payment_ledger_order_idx ON payment_ledger (order_id, created_at);

CREATE FUNCTION comptoir_payment_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'payment_ledger is append-only' USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER payment_ledger_no_update BEFORE UPDATE OR DELETE ON payment_ledger
    FOR EACH ROW EXECUTE FUNCTION comptoir_payment_ledger_append_only();
CREATE TRIGGER payment_ledger_no_truncate BEFORE TRUNCATE ON payment_ledger
    FOR EACH STATEMENT EXECUTE FUNCTION comptoir_payment_ledger_append_only();

CREATE TABLE refunds (
    id                 uuid        PRIMARY KEY,
    order_id           uuid        NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    payment_id         uuid        NOT NULL REFERENCES payments (id),
    amount_minor       bigint      NOT NULL CHECK (amount_minor > 0),
    reason             text        NOT NULL,
    restock            boolean     NOT NULL,
    -- [{line_id, quantity}] when refunded by line
    lines              jsonb       NOT NULL DEFAULT '[]',
    status             text        NOT NULL CHECK (status IN ('succeeded', 'failed')),
    gateway_reference  text,
    credit_note_number text        UNIQUE,
    actor_id           uuid,
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refunds_order_idx ON refunds (order_id, created_at);

-- Gapless numbers per kind and year (French invoices): the counter row is
-- updated in the transaction that issues the number, so a rolled-back
-- transaction gives its number back.
CREATE TABLE document_counters (
    kind text    NOT NULL CHECK (kind IN ('invoice', 'credit_note')),
    year integer NOT NULL,
    last integer NOT NULL,
    PRIMARY KEY (kind, year)
);

-- Webhook events already handled, per gateway; written in the transaction
-- of their effect, so a redelivery is recognised and does nothing.
CREATE TABLE webhook_events (
    gateway     text        NOT NULL,
    event_id    text        NOT NULL,
    event_type  text        NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (gateway, event_id)
);

-- The built-in test gateway's own books: what a real gateway would hold on
-- its side. Charges are keyed by the idempotency key they were made with,
-- like Stripe's, so the same request never charges twice.
CREATE TABLE test_gateway_charges (
    id              text        PRIMARY KEY,
    idempotency_key text        NOT NULL UNIQUE,
    token           text        NOT NULL,
    amount_minor    bigint      NOT NULL,
    currency        text        NOT NULL,
    status          text        NOT NULL CHECK (status IN ('succeeded', 'failed', 'requires_action', 'cancelled')),
    refunded_minor  bigint      NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE test_gateway_refunds (
    id              text        PRIMARY KEY,
    idempotency_key text        NOT NULL UNIQUE,
    charge_id       text        NOT NULL REFERENCES test_gateway_charges (id),
    amount_minor    bigint      NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
