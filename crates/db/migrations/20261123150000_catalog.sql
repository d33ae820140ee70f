-- The catalog: a category tree, attribute types that administrators define
-- at run time, products with their variants, and favourites. Search stays in
-- PostgreSQL: French full-text without accents, and trigrams for typos.

CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- unaccent() is only STABLE because it looks its dictionary up through the
-- search path; naming the dictionary makes it safe to index.
CREATE FUNCTION comptoir_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN public.unaccent('public.unaccent'::regdictionary, $1);

-- French stemming of accent-free words: `vélos` and `velo` meet at `velo`.
CREATE TEXT SEARCH CONFIGURATION comptoir_french (COPY = pg_catalog.french);
ALTER TEXT SEARCH CONFIGURATION comptoir_french
    ALTER MAPPING FOR hword, hword_part, word WITH public.unaccent, french_stem;

CREATE TABLE categories (
    id          uuid        PRIMARY KEY,
    parent_id   uuid        REFERENCES categories (id),
    slug        text        NOT NULL CONSTRAINT categories_slug_key UNIQUE,
    name        text        NOT NULL,
    description text        NOT NULL DEFAULT '',
    position    integer     NOT NULL DEFAULT 0,
    version     integer     NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT categories_not_own_parent CHECK (parent_id <> id)
);
CREATE INDEX categories_parent_idx ON categories (parent_id, position);

CREATE TABLE attribute_types (
    id             uuid             PRIMARY KEY,
    -- The code used in product attributes and filters (`attr.wood_type=`).
    name           text             NOT NULL CONSTRAINT attribute_types_name_key UNIQUE,
    label          text             NOT NULL,
    kind           text             NOT NULL
        CHECK (kind IN ('text', 'integer', 'decimal', 'boolean', 'enum', 'list', 'date')),
    format         text             CHECK (format IN ('ean13', 'email', 'url', 'iso_country')),
    pattern        text,
    min_value      double precision,
    max_value      double precision,
    allowed_values text[]           NOT NULL DEFAULT '{}',
    unit           text,
    built_in       boolean          NOT NULL DEFAULT false,
    version        integer          NOT NULL DEFAULT 1,
    created_at     timestamptz      NOT NULL DEFAULT now(),
    updated_at     timestamptz      NOT NULL DEFAULT now()
);

-- An attribute type attached to a category applies to its products and to
-- those of every category below it.
-- Built-in examples, ready to attach to categories.
INSERT INTO attribute_types (id, name, label, kind, format, pattern, min_value, max_value, allowed_values, unit, built_in)
VALUES
    ('019ab000-0000-7000-8000-000000000001', 'ean13', 'Code EAN-13', 'text', 'ean13', '[0-9]{13}', NULL, NULL, '{}', NULL, true),
    ('019ab000-0000-7000-8000-000000000002', 'email', 'Adresse e-mail', 'text', 'email', NULL, NULL, NULL, '{}', NULL, true),
    ('019ab000-0000-7000-8000-000000000003', 'url', 'Adresse web', 'text', 'url', 'https?://.+', NULL, NULL, '{}', NULL, true),
    ('019ab000-0000-7000-8000-000000000004', 'iso_country', 'Pays d''origine', 'text', 'iso_country', '[A-Z]{2}', NULL, NULL, '{}', NULL, true),
    ('019ab000-0000-7000-8000-000000000005', 'wood_type', 'Essence de bois', 'enum', NULL, NULL, NULL, NULL,
     '{chene_francais,chene_americain,chene_hongrois,acacia,chataignier}', NULL, true),
    ('019ab000-0000-7000-8000-000000000006', 'volume_liters', 'Volume', 'integer', NULL, NULL, 1, 50000, '{}', 'L', true);

CREATE TABLE attribute_definitions (
    id                uuid        PRIMARY KEY,
    category_id       uuid        NOT NULL REFERENCES categories (id) ON DELETE CASCADE,
    attribute_type_id uuid        NOT NULL REFERENCES attribute_types (id),
    required          boolean     NOT NULL DEFAULT false,
    filterable        boolean     NOT NULL DEFAULT false,
    position          integer     NOT NULL DEFAULT 0,
    version           integer     NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT attribute_definitions_category_type_key UNIQUE (category_id, attribute_type_id)
);
CREATE INDEX attribute_definitions_type_idx ON attribute_definitions (attribute_type_id);

CREATE TABLE products (
    id              uuid        PRIMARY KEY,
    slug            text        NOT NULL CONSTRAINT products_slug_key UNIQUE,
    name            text        NOT NULL,
    description     text        NOT NULL DEFAULT '',
    brand           text,
    status          text        NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'archived')),
    tax_class       text        NOT NULL DEFAULT 'standard'
        CHECK (tax_class IN ('standard', 'intermediate', 'reduced', 'super_reduced')),
    category_id     uuid        REFERENCES categories (id),
    image_urls      text[]      NOT NULL DEFAULT '{}',
    attributes      jsonb       NOT NULL DEFAULT '{}',
    -- The lowest and highest prices of the product's variants, kept by every
    -- variant write so lists sort and filter by price without a join.
    price_min_minor bigint,
    price_max_minor bigint,
    version         integer     NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    search_document tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('comptoir_french', name), 'A')
        || setweight(to_tsvector('comptoir_french', coalesce(brand, '')), 'B')
        || setweight(to_tsvector('comptoir_french', description), 'C')
    ) STORED,
    -- What typo-tolerant matching compares the query with.
    search_name     text GENERATED ALWAYS AS (comptoir_unaccent(lower(name || ' ' || coalesce(brand, '')))) STORED
);
-- Shoppers only ever see active products: every public index is partial.
CREATE INDEX products_active_newest_idx ON products (created_at DESC, id DESC) WHERE status = 'active';
CREATE INDEX products_active_price_idx ON products (price_min_minor, id) WHERE status = 'active';
CREATE INDEX products_active_category_idx ON products (category_id, created_at DESC, id DESC) WHERE status = 'active';
CREATE INDEX products_active_brand_idx ON products (brand) WHERE status = 'active';
CREATE INDEX products_active_search_idx ON products USING gin (search_document) WHERE status = 'active';
CREATE INDEX products_active_trigram_idx ON products USING gin (search_name gin_trgm_ops) WHERE status = 'active';
CREATE INDEX products_active_attributes_idx ON products USING gin (attributes jsonb_path_ops) WHERE status = 'active';
-- The back office lists every product, newest first.
CREATE INDEX products_admin_idx ON products (created_at DESC, id DESC);

CREATE TABLE variants (
    id                     uuid        PRIMARY KEY,
    product_id             uuid        NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    sku                    text        NOT NULL CONSTRAINT variants_sku_key UNIQUE,
    -- [{"name": "pointure", "value": "42"}], in display order.
    options                jsonb       NOT NULL DEFAULT '[]',
    ean13                  text        CONSTRAINT variants_ean13_key UNIQUE,
    price_minor            bigint      NOT NULL CHECK (price_minor >= 0),
    compare_at_price_minor bigint,
    weight_grams           integer     NOT NULL DEFAULT 0 CHECK (weight_grams >= 0),
    position               integer     NOT NULL DEFAULT 0,
    version                integer     NOT NULL DEFAULT 1,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT variants_compare_at_above_price CHECK (compare_at_price_minor > price_minor)
);
CREATE INDEX variants_product_idx ON variants (product_id, position, id);

CREATE TABLE favorites (
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    product_id uuid        NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, product_id)
);
CREATE INDEX favorites_product_idx ON favorites (product_id);

-- Stock is the inventory's business; the catalog only reads it to say what
-- is available. Locations are the stores and the warehouse.
ALTER TABLE stores
    ADD COLUMN kind              text    NOT NULL DEFAULT 'store' CHECK (kind IN ('warehouse', 'store')),
    ADD COLUMN ships_online      boolean NOT NULL DEFAULT true,
    ADD COLUMN click_and_collect boolean NOT NULL DEFAULT true;

CREATE TABLE stock_levels (
    -- A variant that has held stock is archived with its product, never deleted.
    variant_id  uuid    NOT NULL REFERENCES variants (id),
    location_id uuid    NOT NULL REFERENCES stores (id),
    on_hand     integer NOT NULL DEFAULT 0 CONSTRAINT stock_levels_on_hand_not_negative CHECK (on_hand >= 0),
    reserved    integer NOT NULL DEFAULT 0
        CONSTRAINT stock_levels_reserved_within_on_hand CHECK (reserved >= 0 AND reserved <= on_hand),
    PRIMARY KEY (variant_id, location_id)
);
CREATE INDEX stock_levels_location_idx ON stock_levels (location_id);
