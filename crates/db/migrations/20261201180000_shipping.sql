-- How orders travel: delivery at a flat rate or by weight (free above an
-- amount when set), or collection in a store that holds the whole cart.
-- Administrators configure them; three come built in.

CREATE TABLE shipping_methods (
    id               uuid        PRIMARY KEY,
    code             text        NOT NULL CONSTRAINT shipping_methods_code_key UNIQUE
        CHECK (code ~ '^[a-z0-9][a-z0-9_-]{1,31}$'),
    name             text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    kind             text        NOT NULL CHECK (kind IN ('flat', 'weight_tiers', 'click_and_collect')),
    -- The price of `flat` and `click_and_collect`, VAT included.
    price_minor      bigint      NOT NULL DEFAULT 0 CHECK (price_minor >= 0),
    -- `weight_tiers`: [{"max_grams": 1000, "price_minor": 590}, ...], ascending;
    -- a cart heavier than the last tier cannot use the method.
    tiers            jsonb       NOT NULL DEFAULT '[]',
    -- Free when the goods cost at least this much.
    free_above_minor bigint      CHECK (free_above_minor >= 0),
    -- ISO 3166-1 alpha-2 codes the method delivers to (click and collect ignores them).
    countries        text[]      NOT NULL DEFAULT '{FR}',
    active           boolean     NOT NULL DEFAULT true,
    position         integer     NOT NULL DEFAULT 0,
    version          integer     NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

INSERT INTO shipping_methods (id, code, name, kind, price_minor, tiers, free_above_minor, countries, position) VALUES
    ('019ad000-0000-7000-8000-000000000001', 'colissimo', 'Colissimo à domicile', 'flat', 690, '[]', 6000,
     '{FR,MC}', 1),
    ('019ad000-0000-7000-8000-000000000002', 'transporteur', 'Transporteur (colis lourds)', 'weight_tiers', 0,
     '[{"max_grams": 5000, "price_minor": 990}, {"max_grams": 30000, "price_minor": 2490},
       {"max_grams": 300000, "price_minor": 8900}]', NULL, '{FR}', 2),
    ('019ad000-0000-7000-8000-000000000003', 'retrait-magasin', 'Retrait en magasin', 'click_and_collect', 0, '[]',
     NULL, '{FR}', 0);
