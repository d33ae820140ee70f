//! Products and their variants.

use serde_json::Value;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::Result;

#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub brand: Option<String>,
    pub status: String,
    pub tax_class: String,
    pub category_id: Option<Uuid>,
    pub image_urls: Vec<String>,
    pub attributes: Value,
    pub price_min_minor: Option<i64>,
    pub price_max_minor: Option<i64>,
    pub version: i32,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

pub const PRODUCT_SLUG_TAKEN: &str = "products_slug_key";

pub async fn get_product(conn: &mut PgConnection, id: Uuid) -> Result<Product> {
    let row = sqlx::query_as!(
        Product,
        r#"SELECT id, slug, name, description, brand, status, tax_class, category_id, image_urls, attributes,
                  price_min_minor, price_max_minor, version, created_at, updated_at
             FROM products WHERE id = $1"#,
        id
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

pub async fn product_by_slug(conn: &mut PgConnection, slug: &str) -> Result<Option<Product>> {
    let row = sqlx::query_as!(
        Product,
        r#"SELECT id, slug, name, description, brand, status, tax_class, category_id, image_urls, attributes,
                  price_min_minor, price_max_minor, version, created_at, updated_at
             FROM products WHERE slug = $1"#,
        slug
    )
    .fetch_optional(conn)
    .await?;
    Ok(row)
}

pub async fn product_for_update(conn: &mut PgConnection, id: Uuid) -> Result<Option<Product>> {
    let row = sqlx::query_as!(
        Product,
        r#"SELECT id, slug, name, description, brand, status, tax_class, category_id, image_urls, attributes,
                  price_min_minor, price_max_minor, version, created_at, updated_at
             FROM products WHERE id = $1 FOR UPDATE"#,
        id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row)
}

pub async fn products_by_slugs_for_update(conn: &mut PgConnection, slugs: &[String]) -> Result<Vec<Product>> {
    let rows = sqlx::query_as!(
        Product,
        r#"SELECT id, slug, name, description, brand, status, tax_class, category_id, image_urls, attributes,
                  price_min_minor, price_max_minor, version, created_at, updated_at
             FROM products WHERE slug = ANY($1) ORDER BY id FOR UPDATE"#,
        slugs
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

/// Inserts a new product, or writes one read with [`product_for_update`]
/// one version up. Prices are kept by [`refresh_price_range`].
pub async fn save_product(conn: &mut PgConnection, p: &Product) -> Result<Product> {
    let row = sqlx::query_as!(
        Product,
        r#"INSERT INTO products (id, slug, name, description, brand, status, tax_class, category_id, image_urls,
                                 attributes)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           ON CONFLICT (id) DO UPDATE SET
               slug = EXCLUDED.slug, name = EXCLUDED.name, description = EXCLUDED.description,
               brand = EXCLUDED.brand, status = EXCLUDED.status, tax_class = EXCLUDED.tax_class,
               category_id = EXCLUDED.category_id, image_urls = EXCLUDED.image_urls,
               attributes = EXCLUDED.attributes, version = products.version + 1, updated_at = now()
           RETURNING id, slug, name, description, brand, status, tax_class, category_id, image_urls, attributes,
                     price_min_minor, price_max_minor, version, created_at, updated_at"#,
        p.id,
        p.slug,
        p.name,
        p.description,
        p.brand,
        p.status,
        p.tax_class,
        p.category_id,
        &p.image_urls,
        p.attributes,
    )
    .fetch_one(&mut *conn)
    .await?;
    remember_lexemes(conn, row.id).await?;
    Ok(row)
}

/// Adds the words of a product's search document to the vocabulary that
/// typo correction draws from.
async fn remember_lexemes(conn: &mut PgConnection, product_id: Uuid) -> Result<()> {
    sqlx::query!(
        r#"INSERT INTO search_lexemes (lexeme)
           SELECT lexeme FROM products, unnest(tsvector_to_array(search_document)) AS lexeme
            WHERE id = $1 AND length(lexeme) >= 2
           ON CONFLICT DO NOTHING"#,
        product_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes a product and its variants. A variant that has held stock
/// keeps its product: the foreign key refuses and the caller answers 409.
pub async fn delete_product(conn: &mut PgConnection, id: Uuid) -> Result<()> {
    sqlx::query!("DELETE FROM products WHERE id = $1", id)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub id: Uuid,
    pub product_id: Uuid,
    pub sku: String,
    pub options: Value,
    pub ean13: Option<String>,
    pub price_minor: i64,
    pub compare_at_price_minor: Option<i64>,
    pub weight_grams: i32,
    pub position: i32,
    pub version: i32,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

pub const SKU_TAKEN: &str = "variants_sku_key";
pub const EAN13_TAKEN: &str = "variants_ean13_key";

pub async fn variants_of(conn: &mut PgConnection, product_ids: &[Uuid]) -> Result<Vec<Variant>> {
    let rows = sqlx::query_as!(
        Variant,
        r#"SELECT id, product_id, sku, options, ean13, price_minor, compare_at_price_minor, weight_grams, position,
                  version, created_at, updated_at
             FROM variants WHERE product_id = ANY($1) ORDER BY product_id, position, id"#,
        product_ids
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

pub async fn get_variant(conn: &mut PgConnection, id: Uuid) -> Result<Variant> {
    let row = sqlx::query_as!(
        Variant,
        r#"SELECT id, product_id, sku, options, ean13, price_minor, compare_at_price_minor, weight_grams, position,
                  version, created_at, updated_at
             FROM variants WHERE id = $1"#,
        id
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

pub async fn variant_for_update(conn: &mut PgConnection, product_id: Uuid, id: Uuid) -> Result<Option<Variant>> {
    let row = sqlx::query_as!(
        Variant,
        r#"SELECT id, product_id, sku, options, ean13, price_minor, compare_at_price_minor, weight_grams, position,
                  version, created_at, updated_at
             FROM variants WHERE id = $1 AND product_id = $2 FOR UPDATE"#,
        id,
        product_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row)
}

pub async fn variants_by_skus_for_update(conn: &mut PgConnection, skus: &[String]) -> Result<Vec<Variant>> {
    let rows = sqlx::query_as!(
        Variant,
        r#"SELECT id, product_id, sku, options, ean13, price_minor, compare_at_price_minor, weight_grams, position,
                  version, created_at, updated_at
             FROM variants WHERE sku = ANY($1) ORDER BY id FOR UPDATE"#,
        skus
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

/// Inserts a new variant, or writes one read with [`variant_for_update`]
/// one version up. The caller then calls [`refresh_price_range`].
pub async fn save_variant(conn: &mut PgConnection, v: &Variant) -> Result<Variant> {
    let row = sqlx::query_as!(
        Variant,
        r#"INSERT INTO variants (id, product_id, sku, options, ean13, price_minor, compare_at_price_minor,
                                 weight_grams, position)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (id) DO UPDATE SET
               sku = EXCLUDED.sku, options = EXCLUDED.options, ean13 = EXCLUDED.ean13,
               price_minor = EXCLUDED.price_minor, compare_at_price_minor = EXCLUDED.compare_at_price_minor,
               weight_grams = EXCLUDED.weight_grams, position = EXCLUDED.position,
               version = variants.version + 1, updated_at = now()
             WHERE variants.product_id = EXCLUDED.product_id
           RETURNING id, product_id, sku, options, ean13, price_minor, compare_at_price_minor, weight_grams,
                     position, version, created_at, updated_at"#,
        v.id,
        v.product_id,
        v.sku,
        v.options,
        v.ean13,
        v.price_minor,
        v.compare_at_price_minor,
        v.weight_grams,
        v.position,
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

pub async fn delete_variant(conn: &mut PgConnection, id: Uuid) -> Result<()> {
    sqlx::query!("DELETE FROM variants WHERE id = $1", id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Recomputes what lists show of a product's variants: the price range
/// and the variants' summary.
pub async fn refresh_price_range(conn: &mut PgConnection, product_id: Uuid) -> Result<()> {
    sqlx::query!(
        r#"UPDATE products p
              SET price_min_minor = r.low, price_max_minor = r.high, variant_summaries = r.summaries
             FROM (SELECT min(price_minor) AS low, max(price_minor) AS high,
                          coalesce(jsonb_agg(jsonb_build_object('id', id, 'sku', sku, 'options', options,
                                                                'price_minor', price_minor,
                                                                'compare_at_price_minor', compare_at_price_minor)
                                             ORDER BY position, id), '[]') AS summaries
                     FROM variants WHERE product_id = $1) r
            WHERE p.id = $1
              AND (p.price_min_minor IS DISTINCT FROM r.low OR p.price_max_minor IS DISTINCT FROM r.high
                   OR p.variant_summaries IS DISTINCT FROM r.summaries)"#,
        product_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The next position after a product's last variant.
pub async fn next_variant_position(conn: &mut PgConnection, product_id: Uuid) -> Result<i32> {
    let next = sqlx::query_scalar!(
        r#"SELECT coalesce(max(position) + 1, 0) AS "next!" FROM variants WHERE product_id = $1"#,
        product_id
    )
    .fetch_one(conn)
    .await?;
    Ok(next)
}

/// Every product with its variants, in a stable order, one page at a time
/// (the export streams them).
pub async fn products_after(conn: &mut PgConnection, after: Option<Uuid>, limit: i64) -> Result<Vec<Product>> {
    let rows = sqlx::query_as!(
        Product,
        r#"SELECT id, slug, name, description, brand, status, tax_class, category_id, image_urls, attributes,
                  price_min_minor, price_max_minor, version, created_at, updated_at
             FROM products WHERE $1::uuid IS NULL OR id > $1 ORDER BY id LIMIT $2"#,
        after,
        limit
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

/// Whether the product is among the user's favourites.
pub async fn is_favorite(conn: &mut PgConnection, user_id: Uuid, product_id: Uuid) -> Result<bool> {
    let found = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM favorites WHERE user_id = $1 AND product_id = $2) AS "found!""#,
        user_id,
        product_id
    )
    .fetch_one(conn)
    .await?;
    Ok(found)
}

pub async fn add_favorite(conn: &mut PgConnection, user_id: Uuid, product_id: Uuid) -> Result<bool> {
    let done = sqlx::query!(
        "INSERT INTO favorites (user_id, product_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        user_id,
        product_id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn remove_favorite(conn: &mut PgConnection, user_id: Uuid, product_id: Uuid) -> Result<bool> {
    let done = sqlx::query!(
        "DELETE FROM favorites WHERE user_id = $1 AND product_id = $2",
        user_id,
        product_id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A user's favourites, most recent first, with when each was added.
pub async fn favorites_of(conn: &mut PgConnection, user_id: Uuid) -> Result<Vec<(Uuid, OffsetDateTime)>> {
    let rows = sqlx::query!(
        "SELECT product_id, created_at FROM favorites WHERE user_id = $1 ORDER BY created_at DESC, product_id",
        user_id
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.product_id, r.created_at)).collect())
}

/// The back office's product list: every status, newest first.
pub async fn admin_list_products(
    conn: &mut PgConnection,
    status: Option<&str>,
    after: Option<(OffsetDateTime, Uuid)>,
    limit: i64,
) -> Result<Vec<Product>> {
    let (after_at, after_id) = after.map_or((None, None), |(at, id)| (Some(at), Some(id)));
    let rows = sqlx::query_as!(
        Product,
        r#"SELECT id, slug, name, description, brand, status, tax_class, category_id, image_urls, attributes,
                  price_min_minor, price_max_minor, version, created_at, updated_at
             FROM products
            WHERE ($1::text IS NULL OR status = $1)
              AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3))
            ORDER BY created_at DESC, id DESC
            LIMIT $4"#,
        status,
        after_at,
        after_id,
        limit
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

pub async fn products_by_ids(conn: &mut PgConnection, ids: &[Uuid]) -> Result<Vec<Product>> {
    let rows = sqlx::query_as!(
        Product,
        r#"SELECT id, slug, name, description, brand, status, tax_class, category_id, image_urls, attributes,
                  price_min_minor, price_max_minor, version, created_at, updated_at
             FROM products WHERE id = ANY($1)"#,
        ids
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

/// Which of these barcodes other variants already carry.
pub async fn ean13s_taken(conn: &mut PgConnection, codes: &[String], except: &[Uuid]) -> Result<Vec<String>> {
    let rows = sqlx::query_scalar!(
        r#"SELECT ean13 AS "ean13!" FROM variants WHERE ean13 = ANY($1) AND NOT (id = ANY($2))"#,
        codes,
        except
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

/// Adds generated products `from..=to` (three variants each) for
/// benchmarks: the same numbers always give the same rows, and numbers
/// already there are skipped. Names mix French sports words so search has
/// something to find; `categories` are the leaves to spread them over.
pub async fn insert_generated_products(
    conn: &mut PgConnection,
    from: i64,
    to: i64,
    categories: &[Uuid],
) -> Result<u64> {
    let inserted = sqlx::query!(
        r#"INSERT INTO products (id, slug, name, description, brand, status, tax_class, category_id, attributes,
                                 created_at, updated_at)
           SELECT md5('comptoir-product-' || i)::uuid,
                  'gen-' || i,
                  (ARRAY['Chaussure de trail', 'Vélo de route', 'Sac à dos', 'Tente légère', 'Maillot de football',
                         'Ballon', 'Veste imperméable', 'Casque de vélo', 'Gourde isotherme', 'Combinaison néoprène',
                         'Tapis de yoga', 'Haltère', 'Chaussette de randonnée', 'Lampe frontale', 'Pagaie',
                         'Short de running', 'VTT', 'Vélo de ville', 'Bâton de marche', 'Duvet', 'Réchaud',
                         'Planche de surf', 'Kayak', 'Gilet de sauvetage', 'Protège-tibias', 'Gants de gardien',
                         'Kettlebell', 'Corde à sauter', 'Montre GPS', 'Cuissard', 'Pompe à vélo', 'Antivol',
                         'Sacoche', 'Bonnet', 'Polaire', 'Doudoune', 'Sandales', 'Lunettes de soleil',
                         'Brassière', 'Tee-shirt technique'])[1 + i % 40]
                  || ' ' ||
                  (ARRAY['Ar Men', 'Ouessant', 'Crozon', 'Glénan', 'Brocéliande', 'Carnac', 'Bréhat', 'Quiberon',
                         'Locronan', 'Huelgoat', 'Paimpol', 'Erquy', 'Plougastel', 'Concarneau', 'Morlaix', 'Dinan',
                         'Pontivy', 'Douarnenez', 'Camaret', 'Tréguier', 'Perros', 'Bénodet', 'Landerneau',
                         'Lannion', 'Vitré', 'Fougères', 'Redon', 'Josselin', 'Rochefort', 'Belle-Île', 'Groix',
                         'Houat', 'Hoëdic', 'Sein', 'Molène', 'Batz', 'Arz', 'Moines', 'Penmarch', 'Audierne'])
                   [1 + (i / 40) % 40]
                  || ' ' || (i % 997)::text,
                  'Modèle ' || (ARRAY['robuste', 'léger', 'étanche', 'respirant', 'compact', 'chaud', 'souple',
                                      'rigide', 'réfléchissant', 'durable', 'confortable', 'polyvalent'])[1 + (i / 7) % 12]
                  || ' et ' || (ARRAY['robuste', 'léger', 'étanche', 'respirant', 'compact', 'chaud', 'souple',
                                      'rigide', 'réfléchissant', 'durable', 'confortable', 'polyvalent'])[1 + (i / 11) % 12]
                  || ', pensé pour ' || (ARRAY['la côte', 'la montagne', 'la ville', 'le débutant', 'la compétition',
                                               'les longues sorties', 'l''hiver', 'l''été', 'les enfants',
                                               'les clubs'])[1 + (i / 13) % 10] || '.',
                  (ARRAY['Kerlann', 'Iroise', 'Ty Velo', 'Armor Outdoor', 'Penn Ar Bed', 'Mor Braz', 'Glaz Sport',
                         'Breizh Fit'])[1 + (i / 7) % 8],
                  'active', 'standard', ($3::uuid[])[1 + i % cardinality($3::uuid[])],
                  jsonb_build_object('genre', (ARRAY['homme', 'femme', 'mixte', 'enfant'])[1 + (i / 3) % 4]),
                  now() - make_interval(secs => i), now() - make_interval(secs => i)
             FROM generate_series($1::bigint, $2::bigint) AS i
           ON CONFLICT DO NOTHING"#,
        from,
        to,
        categories
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        r#"INSERT INTO variants (id, product_id, sku, options, price_minor, weight_grams, position)
           SELECT md5('comptoir-variant-' || i || '-' || k)::uuid, md5('comptoir-product-' || i)::uuid,
                  'GEN-' || i || '-' || (ARRAY['S', 'M', 'L'])[k],
                  jsonb_build_array(jsonb_build_object('name', 'taille', 'value', (ARRAY['S', 'M', 'L'])[k])),
                  990 + (i * 7919 + k * 500) % 150000, 200 + (i % 50) * 40, k - 1
             FROM generate_series($1::bigint, $2::bigint) AS i, generate_series(1, 3) AS k
           ON CONFLICT DO NOTHING"#,
        from,
        to
    )
    .execute(&mut *conn)
    .await?;
    // Prices and summaries in one update: each update of a product
    // rewrites its listing row too (a trigger).
    sqlx::query!(
        r#"UPDATE products p
              SET price_min_minor = r.low, price_max_minor = r.high, variant_summaries = r.summaries
             FROM (SELECT product_id, min(price_minor) AS low, max(price_minor) AS high,
                          jsonb_agg(jsonb_build_object('id', id, 'sku', sku, 'options', options,
                                                       'price_minor', price_minor,
                                                       'compare_at_price_minor', compare_at_price_minor)
                                    ORDER BY position, id) AS summaries
                     FROM variants
                    WHERE sku LIKE 'GEN-%' AND product_id IN (
                          SELECT md5('comptoir-product-' || i)::uuid FROM generate_series($1::bigint, $2::bigint) i)
                    GROUP BY product_id) r
            WHERE p.id = r.product_id AND p.price_min_minor IS NULL"#,
        from,
        to
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        r#"INSERT INTO search_lexemes (lexeme)
           SELECT DISTINCT lexeme
             FROM products, unnest(tsvector_to_array(search_document)) AS lexeme
            WHERE id IN (SELECT md5('comptoir-product-' || i)::uuid FROM generate_series($1::bigint, $2::bigint) i)
              AND length(lexeme) >= 2
           ON CONFLICT DO NOTHING"#,
        from,
        to
    )
    .execute(&mut *conn)
    .await?;
    Ok(inserted.rows_affected())
}

/// After a bulk load: the dead row versions its updates left reclaimed
/// (scans read half the pages) and fresh planner statistics. Must run
/// outside a transaction.
pub async fn vacuum_catalog(conn: &mut PgConnection) -> Result<()> {
    sqlx::raw_sql("VACUUM (ANALYZE) products, variants, search_lexemes, product_listing, product_cards")
        .execute(conn)
        .await?;
    Ok(())
}
