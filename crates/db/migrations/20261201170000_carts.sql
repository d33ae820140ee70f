-- Carts: a guest's, reached with its token (stored as SHA-256), or a
-- signed-in customer's, owned by the account. Lines keep the price they
-- were added at, so a cart can say which prices changed since.

CREATE TABLE carts (
    id         uuid        PRIMARY KEY,
    token_hash bytea       NOT NULL,
    user_id    uuid        REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX carts_user_idx ON carts (user_id, updated_at DESC) WHERE user_id IS NOT NULL;
CREATE INDEX carts_updated_idx ON carts (updated_at);

CREATE TABLE cart_items (
    id                 uuid        PRIMARY KEY,
    cart_id            uuid        NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    variant_id         uuid        NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    quantity           integer     NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    price_at_add_minor bigint      NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT cart_items_one_line_per_variant UNIQUE (cart_id, variant_id)
);
CREATE INDEX cart_items_variant_idx ON cart_items (variant_id);
