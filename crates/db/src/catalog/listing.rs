//! The public product listing: filters, French full-text search with typo
//! tolerance, keyset pagination and facet counts. The only SQL in the
//! catalog built at run time, because the filters combine freely; every
//! value is a bound parameter.

use serde::Deserialize;
use serde_json::Value;
use sqlx::{PgConnection, Postgres, QueryBuilder};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::Result;

/// What a shopper asked for. Every condition must hold.
#[derive(Debug, Clone, Default)]
pub struct ProductFilter {
    /// The search, as made by [`search_tsquery`] from the words typed.
    pub tsquery: Option<String>,
    /// A category and everything below it.
    pub category_ids: Option<Vec<Uuid>>,
    /// Any of these brands.
    pub brands: Vec<String>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    /// For each attribute, documents the product's attributes must contain
    /// one of (`{"wood_type": "acacia"}`).
    pub attributes: Vec<Vec<Value>>,
    /// Whether some variant can be shipped from stock now.
    pub in_stock: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductSort {
    Relevance,
    PriceAsc,
    PriceDesc,
    Newest,
}

/// Where the previous page stopped.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum After {
    Rank(f32, Uuid),
    Price(i64, Uuid),
    Created(OffsetDateTime, Uuid),
}

/// A product as lists show it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProductCard {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub brand: Option<String>,
    pub category_id: Option<Uuid>,
    pub tax_class: String,
    pub image_urls: Vec<String>,
    pub price_min_minor: i64,
    pub price_max_minor: i64,
    pub created_at: OffsetDateTime,
    pub rank: f32,
    pub variants: sqlx::types::Json<Vec<VariantCard>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct VariantCard {
    pub id: Uuid,
    pub sku: String,
    pub options: Value,
    pub price_minor: i64,
    pub compare_at_price_minor: Option<i64>,
}

/// Upper bounds of the price bands, in cents: under 20 €, 20–50 €... and
/// 5,000 € or more.
pub const PRICE_BAND_EDGES: [i64; 8] = [2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000];

/// One page of products, with one row more than `limit` when there is a
/// next page. Relevance without words means newest first.
pub async fn list_products(
    conn: &mut PgConnection,
    filter: &ProductFilter,
    sort: ProductSort,
    after: Option<After>,
    limit: i64,
) -> Result<Vec<ProductCard>> {
    let sort = match (sort, &filter.tsquery) {
        (ProductSort::Relevance, None) => ProductSort::Newest,
        (sort, _) => sort,
    };
    let mut sql = QueryBuilder::<Postgres>::new(
        "SELECT p.id, p.slug, p.name, p.brand, p.category_id, p.tax_class, p.image_urls, \
         p.price_min_minor AS price_min_minor, p.price_max_minor AS price_max_minor, p.created_at, ",
    );
    push_rank(&mut sql, filter);
    sql.push(" AS rank, p.variant_summaries AS variants FROM products p WHERE ");
    push_conditions(&mut sql, filter);
    match after {
        None => {}
        Some(After::Created(at, id)) => {
            sql.push(" AND (p.created_at, p.id) < (")
                .push_bind(at)
                .push(", ")
                .push_bind(id)
                .push(")");
        }
        Some(After::Price(price, id)) => {
            let op = if sort == ProductSort::PriceDesc { "<" } else { ">" };
            sql.push(format_args!(" AND (p.price_min_minor, p.id) {op} ("))
                .push_bind(price)
                .push(", ")
                .push_bind(id)
                .push(")");
        }
        Some(After::Rank(rank, id)) => {
            sql.push(" AND (");
            push_rank(&mut sql, filter);
            sql.push(", p.id) < (")
                .push_bind(rank)
                .push("::real, ")
                .push_bind(id)
                .push(")");
        }
    }
    sql.push(match sort {
        ProductSort::Relevance => " ORDER BY rank DESC, p.id DESC",
        ProductSort::PriceAsc => " ORDER BY p.price_min_minor, p.id",
        ProductSort::PriceDesc => " ORDER BY p.price_min_minor DESC, p.id DESC",
        ProductSort::Newest => " ORDER BY p.created_at DESC, p.id DESC",
    });
    sql.push(" LIMIT ").push_bind(limit + 1);
    let rows = sql.build_query_as::<ProductCard>().fetch_all(conn).await?;
    Ok(rows)
}

/// How well a product matches the words (full-text rank); 0 without words.
fn push_rank(sql: &mut QueryBuilder<Postgres>, filter: &ProductFilter) {
    match &filter.tsquery {
        Some(tsquery) => {
            sql.push("ts_rank_cd(p.search_document, ")
                .push_bind(tsquery.clone())
                .push("::tsquery)");
        }
        None => {
            sql.push("0::real");
        }
    }
}

fn push_conditions(sql: &mut QueryBuilder<Postgres>, filter: &ProductFilter) {
    sql.push("p.status = 'active' AND p.price_min_minor IS NOT NULL");
    if let Some(tsquery) = &filter.tsquery {
        sql.push(" AND p.search_document @@ ")
            .push_bind(tsquery.clone())
            .push("::tsquery");
    }
    if let Some(ids) = &filter.category_ids {
        sql.push(" AND p.category_id = ANY(").push_bind(ids.clone()).push(")");
    }
    if !filter.brands.is_empty() {
        sql.push(" AND p.brand = ANY(")
            .push_bind(filter.brands.clone())
            .push(")");
    }
    if let Some(min) = filter.min_price {
        sql.push(" AND p.price_min_minor >= ").push_bind(min);
    }
    if let Some(max) = filter.max_price {
        sql.push(" AND p.price_min_minor <= ").push_bind(max);
    }
    for alternatives in &filter.attributes {
        sql.push(" AND (");
        for (i, doc) in alternatives.iter().enumerate() {
            if i > 0 {
                sql.push(" OR ");
            }
            sql.push("p.attributes @> ").push_bind(doc.clone());
        }
        sql.push(")");
    }
    if let Some(in_stock) = filter.in_stock {
        sql.push(if in_stock { " AND EXISTS" } else { " AND NOT EXISTS" }).push(
            " (SELECT 1 FROM variants v JOIN stock_levels s ON s.variant_id = v.id \
             JOIN stores l ON l.id = s.location_id \
             WHERE v.product_id = p.id AND l.ships_online AND s.on_hand > s.reserved)",
        );
    }
}

/// One count of the facets: `facet` is `total`, `category`, `brand`,
/// `price` (the band's index in [`PRICE_BAND_EDGES`]) or `attr:{code}`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FacetCount {
    pub facet: String,
    pub value: String,
    pub count: i64,
}

/// Counts of the products that match `filter`, by category, brand, price
/// band and each of the `attributes` codes.
pub async fn product_facets(
    conn: &mut PgConnection,
    filter: &ProductFilter,
    attributes: &[String],
) -> Result<Vec<FacetCount>> {
    // One scan of the matching products: their category, brand and price
    // band counted together, and the filterable attributes read by code.
    let mut sql = QueryBuilder::<Postgres>::new(
        "WITH matched AS MATERIALIZED (SELECT p.category_id, p.brand, width_bucket(p.price_min_minor, ",
    );
    sql.push_bind(PRICE_BAND_EDGES.to_vec())
        .push(") AS band, p.attributes FROM products p WHERE ");
    push_conditions(&mut sql, filter);
    sql.push(
        ") SELECT CASE WHEN GROUPING(category_id) = 0 THEN 'category' WHEN GROUPING(brand) = 0 THEN 'brand' \
           WHEN GROUPING(band) = 0 THEN 'price' ELSE 'total' END AS facet, \
           coalesce(category_id::text, brand, band::text, '') AS value, count(*) AS count \
         FROM matched GROUP BY GROUPING SETS ((category_id), (brand), (band), ()) \
         UNION ALL SELECT 'attr:' || c.code, v.value, count(*) FROM matched m \
           CROSS JOIN unnest(",
    )
    .push_bind(attributes.to_vec())
    .push(
        "::text[]) AS c(code) \
           CROSS JOIN LATERAL jsonb_array_elements_text(CASE jsonb_typeof(m.attributes -> c.code) \
             WHEN 'array' THEN m.attributes -> c.code ELSE jsonb_build_array(m.attributes -> c.code) END) v(value) \
           WHERE m.attributes ? c.code GROUP BY c.code, v.value",
    );
    let rows = sql.build_query_as::<FacetCount>().fetch_all(conn).await?;
    Ok(rows)
}

/// The full-text query of what a shopper typed: each word stemmed the
/// French way without accents; a word the catalog does not contain is
/// replaced by the two nearest words it does contain (trigram similarity),
/// which forgives typos. `None` when nothing searchable was typed.
pub async fn search_tsquery(conn: &mut PgConnection, q: &str) -> Result<Option<String>> {
    let tsquery = sqlx::query_scalar!(
        r#"SELECT string_agg(
                      CASE WHEN EXISTS (SELECT 1 FROM search_lexemes l WHERE l.lexeme = t.term)
                           THEN quote_literal(t.term)
                           ELSE coalesce((SELECT '(' || string_agg(quote_literal(c.lexeme), ' | ') || ')'
                                            FROM (SELECT l.lexeme FROM search_lexemes l
                                                   WHERE l.lexeme % t.term
                                                   ORDER BY l.lexeme <-> t.term, l.lexeme LIMIT 2) c),
                                         quote_literal(t.term))
                      END, ' & ') AS tsquery
             FROM unnest(tsvector_to_array(to_tsvector('comptoir_french', $1))) AS t(term)"#,
        q
    )
    .fetch_one(conn)
    .await?;
    Ok(tsquery)
}
