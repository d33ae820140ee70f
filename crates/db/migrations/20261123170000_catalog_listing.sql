-- Cheaper public listing and search.
--
-- Lists read each product's variants from a summary kept on the product row
-- (one index scan for a page instead of one subquery per product), and
-- typo tolerance corrects the words of a query against the vocabulary of
-- the catalog (a small table with a trigram index) instead of comparing
-- trigrams with every product.

ALTER TABLE products ADD COLUMN variant_summaries jsonb NOT NULL DEFAULT '[]';
UPDATE products p
   SET variant_summaries = coalesce((
       SELECT jsonb_agg(jsonb_build_object('id', v.id, 'sku', v.sku, 'options', v.options,
                                           'price_minor', v.price_minor,
                                           'compare_at_price_minor', v.compare_at_price_minor)
                        ORDER BY v.position, v.id)
         FROM variants v WHERE v.product_id = p.id), '[]');

-- Every lexeme of every product's search document, ever: a word that has
-- left the catalog only makes a corrected query find nothing.
CREATE TABLE search_lexemes (
    lexeme text PRIMARY KEY
);
CREATE INDEX search_lexemes_trigram_idx ON search_lexemes USING gin (lexeme gin_trgm_ops);
INSERT INTO search_lexemes
SELECT word FROM ts_stat('SELECT search_document FROM products') WHERE length(word) >= 2
    ON CONFLICT DO NOTHING;

DROP INDEX products_active_trigram_idx;
ALTER TABLE products DROP COLUMN search_name;
