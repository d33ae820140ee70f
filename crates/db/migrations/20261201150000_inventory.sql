-- Inventory: locations (the warehouse and the stores), stock per variant and
-- location with its append-only ledger, reservations and low-stock alerts.
--
-- `stock_levels` only ever changes together with a `stock_movements` row in
-- the same transaction (the db crate's `inventory::apply`), so `on_hand`
-- and `reserved` always equal the sums of their movements'
-- deltas; `comptoir inventory verify` checks it.

-- Locations are the `stores` rows of the identity migration, filled out.
ALTER TABLE stores
    ADD COLUMN address       jsonb       NOT NULL DEFAULT '{}',
    ADD COLUMN timezone      text        NOT NULL DEFAULT 'Europe/Paris',
    ADD COLUMN opening_hours jsonb       NOT NULL DEFAULT '{}',
    ADD COLUMN active        boolean     NOT NULL DEFAULT true,
    ADD COLUMN version       integer     NOT NULL DEFAULT 1,
    ADD COLUMN updated_at    timestamptz NOT NULL DEFAULT now();

ALTER TABLE stock_levels
    -- Below this, an alert opens; replenishment proposes to reach `target_level`.
    ADD COLUMN reorder_point integer     NOT NULL DEFAULT 0 CHECK (reorder_point >= 0),
    ADD COLUMN target_level  integer     NOT NULL DEFAULT 0 CHECK (target_level >= 0),
    ADD COLUMN updated_at    timestamptz NOT NULL DEFAULT now();

CREATE TABLE stock_movements (
    id              uuid        PRIMARY KEY,
    variant_id      uuid        NOT NULL,
    location_id     uuid        NOT NULL,
    kind            text        NOT NULL CHECK (kind IN ('receipt', 'sale', 'return', 'adjustment', 'transfer_out',
                                                         'transfer_in', 'reservation', 'release')),
    -- Why an adjustment was made.
    reason          text        CHECK (reason IN ('count', 'damage', 'theft', 'correction')),
    on_hand_delta   integer     NOT NULL,
    reserved_delta  integer     NOT NULL,
    note            text        CHECK (length(note) <= 500),
    actor_user_id   uuid,
    actor_api_key_id uuid,
    -- What caused it: a reservation, a transfer, an order...
    reference_type  text,
    reference_id    uuid,
    created_at      timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (variant_id, location_id) REFERENCES stock_levels (variant_id, location_id),
    CONSTRAINT stock_movements_moves_something CHECK (on_hand_delta <> 0 OR reserved_delta <> 0)
);
CREATE INDEX stock_movements_level_idx ON stock_movements (variant_id, location_id, created_at DESC, id DESC);
CREATE INDEX stock_movements_location_idx ON stock_movements (location_id, created_at DESC, id DESC);
CREATE INDEX stock_movements_newest_idx ON stock_movements (created_at DESC, id DESC);
-- Sales per variant and location over recent days drive replenishment.
CREATE INDEX stock_movements_sales_idx ON stock_movements (location_id, variant_id, created_at) WHERE kind = 'sale';

-- The ledger is append-only: a wrong movement is corrected by another one.
CREATE FUNCTION comptoir_refuse_ledger_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'stock_movements is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER stock_movements_append_only
    BEFORE UPDATE OR DELETE ON stock_movements
    FOR EACH ROW EXECUTE FUNCTION comptoir_refuse_ledger_change();
CREATE TRIGGER stock_movements_no_truncate
    BEFORE TRUNCATE ON stock_movements
    FOR EACH STATEMENT EXECUTE FUNCTION comptoir_refuse_ledger_change();

-- Stock set aside for a cart, an order, a sale at the counter...
CREATE TABLE stock_reservations (
    id             uuid        PRIMARY KEY,
    variant_id     uuid        NOT NULL,
    location_id    uuid        NOT NULL,
    quantity       integer     NOT NULL CHECK (quantity > 0),
    purpose        text        NOT NULL CHECK (purpose IN ('cart', 'order', 'pos', 'transfer', 'other')),
    reference_id   uuid,
    status         text        NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'released', 'committed', 'expired')),
    expires_at     timestamptz NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    closed_at      timestamptz,
    FOREIGN KEY (variant_id, location_id) REFERENCES stock_levels (variant_id, location_id),
    CONSTRAINT stock_reservations_closed CHECK ((status = 'active') = (closed_at IS NULL))
);
CREATE INDEX stock_reservations_expiry_idx ON stock_reservations (expires_at) WHERE status = 'active';
CREATE INDEX stock_reservations_level_idx ON stock_reservations (location_id, variant_id) WHERE status = 'active';
CREATE INDEX stock_reservations_reference_idx ON stock_reservations (reference_id);

-- One open alert per variant and location while `available` is below the
-- reorder point; it closes by itself when stock comes back.
CREATE TABLE stock_alerts (
    id            uuid        PRIMARY KEY,
    variant_id    uuid        NOT NULL,
    location_id   uuid        NOT NULL,
    available     integer     NOT NULL,
    reorder_point integer     NOT NULL,
    opened_at     timestamptz NOT NULL DEFAULT now(),
    closed_at     timestamptz,
    FOREIGN KEY (variant_id, location_id) REFERENCES stock_levels (variant_id, location_id)
);
CREATE UNIQUE INDEX stock_alerts_one_open_idx ON stock_alerts (variant_id, location_id) WHERE closed_at IS NULL;
CREATE INDEX stock_alerts_location_idx ON stock_alerts (location_id, opened_at DESC) WHERE closed_at IS NULL;

CREATE INDEX stock_levels_below_reorder_idx ON stock_levels (location_id) WHERE on_hand - reserved < reorder_point;
