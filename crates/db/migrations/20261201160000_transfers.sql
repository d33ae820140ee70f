-- Transfers of stock between locations: draft → requested → shipped (the
-- units leave the source and are in transit) → received (short or damaged
-- units recorded), or cancelled before shipping.

CREATE SEQUENCE stock_transfer_numbers;

CREATE TABLE stock_transfers (
    id                      uuid        PRIMARY KEY,
    -- `TR-2026-000042`, for people.
    number                  text        NOT NULL UNIQUE,
    source_location_id      uuid        NOT NULL REFERENCES stores (id),
    destination_location_id uuid        NOT NULL REFERENCES stores (id),
    status                  text        NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'requested', 'shipped', 'received', 'cancelled')),
    note                    text        CHECK (length(note) <= 500),
    created_by              uuid,
    created_at              timestamptz NOT NULL DEFAULT now(),
    requested_at            timestamptz,
    shipped_at              timestamptz,
    received_at             timestamptz,
    cancelled_at            timestamptz,
    version                 integer     NOT NULL DEFAULT 1,
    CONSTRAINT stock_transfers_two_locations CHECK (source_location_id <> destination_location_id)
);
CREATE INDEX stock_transfers_newest_idx ON stock_transfers (created_at DESC, id DESC);
CREATE INDEX stock_transfers_source_idx ON stock_transfers (source_location_id, status);
CREATE INDEX stock_transfers_destination_idx ON stock_transfers (destination_location_id, status);

CREATE TABLE stock_transfer_lines (
    transfer_id       uuid    NOT NULL REFERENCES stock_transfers (id) ON DELETE CASCADE,
    variant_id        uuid    NOT NULL REFERENCES variants (id),
    quantity          integer NOT NULL CHECK (quantity > 0),
    -- Set on receipt: units put on the shelf, and units that arrived damaged.
    -- What is neither never arrived.
    received_quantity integer CHECK (received_quantity >= 0),
    damaged_quantity  integer CHECK (damaged_quantity >= 0),
    PRIMARY KEY (transfer_id, variant_id),
    CONSTRAINT stock_transfer_lines_received_within_sent
        CHECK (coalesce(received_quantity, 0) + coalesce(damaged_quantity, 0) <= quantity)
);
CREATE INDEX stock_transfer_lines_variant_idx ON stock_transfer_lines (variant_id);
