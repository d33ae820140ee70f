-- What shoppers list and search, apart from the products themselves.
--
-- `product_listing` holds one narrow row per listed product (active, with
-- at least one variant): the columns that lists filter, sort, rank and
-- count facets on. Broad searches and facet counts read tens of thousands
-- of these rows, which in `products` (descriptions, variant summaries,
-- admin columns) span six times more pages. `product_cards` holds each
-- listed product exactly as lists answer it (JSON text), so a page of 20
-- is 20 strings joined, neither parsed nor written again.
--
-- A trigger on `products` keeps it, so every writer (back office, CSV
-- import, seeding) keeps it right in the same transaction; variant writes
-- reach it through the product's price range and variant summaries.

CREATE TABLE product_listing (
    product_id      uuid        PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL,
    price_min_minor bigint      NOT NULL,
    -- Index of the price band (see `PRICE_BAND_EDGES` in the db crate).
    price_band      smallint    NOT NULL,
    category_id     uuid,
    brand           text,
    attributes      jsonb       NOT NULL,
    -- Every attribute value as `code=value` (a list gives one per element):
    -- what attribute facets count.
    facet_values    text[]      NOT NULL,
    search_document tsvector    NOT NULL
);
CREATE INDEX product_listing_newest_idx ON product_listing (created_at DESC, product_id DESC);
CREATE INDEX product_listing_price_idx ON product_listing (price_min_minor, product_id);
CREATE INDEX product_listing_category_idx ON product_listing (category_id, created_at DESC, product_id DESC);
CREATE INDEX product_listing_brand_idx ON product_listing (brand);
CREATE INDEX product_listing_search_idx ON product_listing USING gin (search_document);
CREATE INDEX product_listing_attributes_idx ON product_listing USING gin (attributes jsonb_path_ops);

-- A page of a browsed list (no words, brand or attribute filter) is read
-- here alone: an index scan of 21 rows with their cards inline costs less
-- than finding them in `product_listing` and joining their cards.
CREATE TABLE product_cards (
    product_id      uuid        PRIMARY KEY REFERENCES product_listing (product_id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL,
    price_min_minor bigint      NOT NULL,
    category_id     uuid,
    -- The API's `ProductSummary`.
    card            text        NOT NULL
);
CREATE INDEX product_cards_newest_idx ON product_cards (created_at DESC, product_id DESC);
CREATE INDEX product_cards_price_idx ON product_cards (price_min_minor, product_id);
CREATE INDEX product_cards_category_idx ON product_cards (category_id, created_at DESC, product_id DESC);

-- The edges of the price bands, in cents: under 20 €, 20–50 €... and
-- 5,000 € or more. The db crate's `PRICE_BAND_EDGES` must say the same.
CREATE FUNCTION comptoir_price_band(price bigint) RETURNS smallint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN width_bucket(price, '{2000,5000,10000,20000,50000,100000,200000,500000}'::bigint[]);

CREATE FUNCTION comptoir_sync_product_listing() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status <> 'active' OR NEW.price_min_minor IS NULL THEN
        DELETE FROM product_listing WHERE product_id = NEW.id;
        RETURN NULL;
    END IF;
    INSERT INTO product_listing (product_id, created_at, price_min_minor, price_band, category_id, brand,
                                 attributes, facet_values, search_document)
    VALUES (
        NEW.id, NEW.created_at, NEW.price_min_minor, comptoir_price_band(NEW.price_min_minor), NEW.category_id,
        NEW.brand, NEW.attributes,
        ARRAY(SELECT DISTINCT a.key || '=' || v.value
                FROM jsonb_each(NEW.attributes) AS a,
                     jsonb_array_elements_text(CASE jsonb_typeof(a.value) WHEN 'array' THEN a.value
                                               ELSE jsonb_build_array(a.value) END) AS v
               WHERE jsonb_typeof(a.value) <> 'null' ORDER BY 1),
        NEW.search_document)
    ON CONFLICT (product_id) DO UPDATE SET
        created_at = EXCLUDED.created_at, price_min_minor = EXCLUDED.price_min_minor,
        price_band = EXCLUDED.price_band, category_id = EXCLUDED.category_id, brand = EXCLUDED.brand,
        attributes = EXCLUDED.attributes, facet_values = EXCLUDED.facet_values,
        search_document = EXCLUDED.search_document;
    INSERT INTO product_cards (product_id, created_at, price_min_minor, category_id, card)
    VALUES (NEW.id, NEW.created_at, NEW.price_min_minor, NEW.category_id,
            -- The `ProductSummary` of the API.
            jsonb_build_object('id', NEW.id, 'slug', NEW.slug, 'name', NEW.name, 'brand', NEW.brand,
                               'category_id', NEW.category_id, 'tax_class', NEW.tax_class,
                               'image_urls', to_jsonb(NEW.image_urls), 'price_min_minor', NEW.price_min_minor,
                               'price_max_minor', NEW.price_max_minor, 'currency', 'EUR',
                               'variants', NEW.variant_summaries)::text)
    ON CONFLICT (product_id) DO UPDATE SET
        created_at = EXCLUDED.created_at, price_min_minor = EXCLUDED.price_min_minor,
        category_id = EXCLUDED.category_id, card = EXCLUDED.card;
    RETURN NULL;
END
$$;

CREATE TRIGGER products_sync_listing
    AFTER INSERT OR UPDATE ON products
    FOR EACH ROW EXECUTE FUNCTION comptoir_sync_product_listing();

-- Fill it from the products already there (the trigger's work, once).
UPDATE products SET status = status WHERE status = 'active' AND price_min_minor IS NOT NULL;

-- The public listing no longer reads these.
DROP INDEX products_active_newest_idx;
DROP INDEX products_active_price_idx;
DROP INDEX products_active_category_idx;
DROP INDEX products_active_brand_idx;
DROP INDEX products_active_search_idx;
DROP INDEX products_active_attributes_idx;
