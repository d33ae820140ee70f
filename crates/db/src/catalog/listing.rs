//! The public product listing: filters, French full-text search with typo
//! tolerance, keyset pagination and facet counts. The only SQL in the
//! catalog built at run time, because the filters combine freely; every
//! value is a bound parameter.

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

/// A product as lists show it: `card` is its `ProductSummary` as JSON,
/// kept by the database, and the rest is what a cursor needs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ListedProduct {
    pub id: Uuid,
    pub price_min_minor: i64,
    pub created_at: OffsetDateTime,
    pub rank: f32,
    pub card: String,
}

/// Upper bounds of the price bands, in cents: under 20 €, 20–50 €... and
/// 5,000 € or more. The SQL function `comptoir_price_band` says the same.
pub const PRICE_BAND_EDGES: [i64; 8] = [2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000];

/// One page of products, with one row more than `limit` when there is a
/// next page. Relevance without words means newest first.
pub async fn list_products(
    conn: &mut PgConnection,
    filter: &ProductFilter,
    sort: ProductSort,
    after: Option<After>,
    limit: i64,
) -> Result<Vec<ListedProduct>> {
    let sort = match (sort, &filter.tsquery) {
        (ProductSort::Relevance, None) => ProductSort::Newest,
        (sort, _) => sort,
    };
    // A browsed page (filters on category and price at most) is read from
    // the cards, which carry those columns; any other page is chosen on the
    // narrow rows of `product_listing`, then its cards are joined.
    let browse = filter.tsquery.is_none()
        && filter.brands.is_empty()
        && filter.attributes.is_empty()
        && filter.in_stock.is_none();
    let mut sql = QueryBuilder::<Postgres>::new(if browse {
        "SELECT s.id, s.price_min_minor, s.created_at, s.rank, s.card FROM (\
         SELECT p.product_id AS id, p.price_min_minor, p.created_at, p.card, "
    } else {
        "SELECT s.id, s.price_min_minor, s.created_at, s.rank, c.card FROM (\
         SELECT p.product_id AS id, p.price_min_minor, p.created_at, "
    });
    push_rank(&mut sql, filter);
    sql.push(if browse {
        " AS rank FROM product_cards p WHERE "
    } else {
        " AS rank FROM product_listing p WHERE "
    });
    push_conditions(&mut sql, filter);
    match after {
        None => {}
        Some(After::Created(at, id)) => {
            sql.push(" AND (p.created_at, p.product_id) < (")
                .push_bind(at)
                .push(", ")
                .push_bind(id)
                .push(")");
        }
        Some(After::Price(price, id)) => {
            let op = if sort == ProductSort::PriceDesc { "<" } else { ">" };
            sql.push(format_args!(" AND (p.price_min_minor, p.product_id) {op} ("))
                .push_bind(price)
                .push(", ")
                .push_bind(id)
                .push(")");
        }
        Some(After::Rank(rank, id)) => {
            sql.push(" AND (");
            push_rank(&mut sql, filter);
            sql.push(", p.product_id) < (")
                .push_bind(rank)
                .push("::real, ")
                .push_bind(id)
                .push(")");
        }
    }
    sql.push(match sort {
        ProductSort::Relevance => " ORDER BY rank DESC, p.product_id DESC",
        ProductSort::PriceAsc => " ORDER BY p.price_min_minor, p.product_id",
        ProductSort::PriceDesc => " ORDER BY p.price_min_minor DESC, p.product_id DESC",
        ProductSort::Newest => " ORDER BY p.created_at DESC, p.product_id DESC",
    });
    // The limit is written out, not bound: with a bound limit PostgreSQL
    // plans the statement again on every execution (a custom plan costs
    // more than the page itself), with a literal one it keeps its plan.
    sql.push(format_args!(" LIMIT {}", limit.clamp(1, 1000) + 1));
    sql.push(if browse {
        ") s"
    } else {
        ") s JOIN product_cards c ON c.product_id = s.id"
    });
    sql.push(match sort {
        ProductSort::Relevance => " ORDER BY s.rank DESC, s.id DESC",
        ProductSort::PriceAsc => " ORDER BY s.price_min_minor, s.id",
        ProductSort::PriceDesc => " ORDER BY s.price_min_minor DESC, s.id DESC",
        ProductSort::Newest => " ORDER BY s.created_at DESC, s.id DESC",
    });
    let rows = sql.build_query_as::<ListedProduct>().fetch_all(conn).await?;
    Ok(rows)
}

/// How well a product matches the words; 0 without words. `ts_rank`
/// (frequency and weight: name, then brand, then description) rather than
/// `ts_rank_cd`, whose cover density costs five times more per matching
/// product, and broad searches rank tens of thousands.
fn push_rank(sql: &mut QueryBuilder<Postgres>, filter: &ProductFilter) {
    match &filter.tsquery {
        Some(tsquery) => {
            sql.push("ts_rank(p.search_document, ")
                .push_bind(tsquery.clone())
                .push("::tsquery)");
        }
        None => {
            sql.push("0::real");
        }
    }
}

fn push_conditions(sql: &mut QueryBuilder<Postgres>, filter: &ProductFilter) {
    // Every row of `product_listing` is listed; `true` starts the chain.
    sql.push("true");
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
             WHERE v.product_id = p.product_id AND l.ships_online AND l.active AND s.on_hand > s.reserved)",
        );
    }
}

/// How many of the products that match a filter fall in each category,
/// brand, price band and attribute value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FacetCounts {
    pub total: i64,
    pub categories: Vec<(Uuid, i64)>,
    pub brands: Vec<(String, i64)>,
    /// By the band's index in [`PRICE_BAND_EDGES`] (0: below the first edge).
    pub price_bands: Vec<(usize, i64)>,
    /// `(code, value, count)` for every attribute value; the caller keeps
    /// the attributes it shows.
    pub attributes: Vec<(String, String, i64)>,
}

#[derive(sqlx::FromRow)]
struct FacetRow {
    grouping: i32,
    category_id: Option<Uuid>,
    brand: Option<String>,
    price_band: Option<i16>,
    facet_values: Option<Vec<String>>,
    count: i64,
}

/// The facet counts of the products that match `filter`, in one scan of
/// their narrow rows. Attribute values are counted by the set of values a
/// product has (few distinct sets, one hash each), then spread over the
/// values of each set here: a product's values are distinct, so each
/// counts once per value.
pub async fn product_facets(conn: &mut PgConnection, filter: &ProductFilter) -> Result<FacetCounts> {
    let mut sql = QueryBuilder::<Postgres>::new(
        "SELECT GROUPING(p.category_id, p.brand, p.price_band, p.facet_values) AS grouping, \
                p.category_id, p.brand, p.price_band, p.facet_values, count(*) AS count \
           FROM product_listing p WHERE ",
    );
    push_conditions(&mut sql, filter);
    sql.push(" GROUP BY GROUPING SETS ((p.category_id), (p.brand), (p.price_band), (p.facet_values), ())");
    let rows = sql.build_query_as::<FacetRow>().fetch_all(conn).await?;
    // GROUPING sets a bit, from the left, for each column not grouped on.
    const BY_CATEGORY: i32 = 0b0111;
    const BY_BRAND: i32 = 0b1011;
    const BY_BAND: i32 = 0b1101;
    const BY_VALUES: i32 = 0b1110;
    const TOTAL: i32 = 0b1111;
    let mut counts = FacetCounts::default();
    let mut attributes: std::collections::BTreeMap<(String, String), i64> = std::collections::BTreeMap::new();
    for row in rows {
        match (
            row.grouping,
            row.category_id,
            row.brand,
            row.price_band,
            row.facet_values,
        ) {
            (TOTAL, ..) => counts.total = row.count,
            (BY_CATEGORY, Some(id), ..) => counts.categories.push((id, row.count)),
            (BY_BRAND, _, Some(brand), ..) => counts.brands.push((brand, row.count)),
            (BY_BAND, _, _, Some(band), _) => {
                counts.price_bands.push((usize::try_from(band).unwrap_or(0), row.count));
            }
            (BY_VALUES, _, _, _, Some(values)) => {
                for value in values {
                    if let Some((code, value)) = value.split_once('=') {
                        *attributes.entry((code.to_owned(), value.to_owned())).or_default() += row.count;
                    }
                }
            }
            _ => {}
        }
    }
    counts.attributes = attributes
        .into_iter()
        .map(|((code, value), count)| (code, value, count))
        .collect();
    Ok(counts)
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
