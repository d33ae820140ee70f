//! What shoppers read: the product list with search, filters, sorting and
//! facets, and a product's page with its availability.

use std::collections::HashMap;

use comptoir_db::catalog::{self as db, After, PRICE_BAND_EDGES, ProductFilter, ProductSort};
use comptoir_db::{Optional, PgConnection};
use comptoir_domain::catalog::TaxClass;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::cached::{CachedBody, NAMESPACE, cached_body};
use super::{OptionPair, options_of};
use crate::Context;
use crate::error::{AppError, FieldError};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VariantSummary {
    pub id: Uuid,
    pub sku: String,
    pub options: Vec<OptionPair>,
    /// Euro cents, VAT included.
    pub price_minor: i64,
    pub compare_at_price_minor: Option<i64>,
}

/// A product as lists show it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProductSummary {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub brand: Option<String>,
    pub category_id: Option<Uuid>,
    pub tax_class: String,
    pub image_urls: Vec<String>,
    /// The lowest variant price, VAT included.
    pub price_min_minor: i64,
    pub price_max_minor: i64,
    #[schema(example = "EUR")]
    pub currency: String,
    pub variants: Vec<VariantSummary>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CategoryFacet {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub count: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ValueCount {
    pub value: String,
    pub count: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AttributeFacet {
    /// The code to filter with: `attr.{code}={value}`.
    pub code: String,
    pub label: String,
    pub values: Vec<ValueCount>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PriceBand {
    /// Inclusive, in cents.
    pub min_minor: i64,
    /// Exclusive; none for the last band.
    pub max_minor: Option<i64>,
    pub count: i64,
}

/// Counts over every product that matches the query (not only this page).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Facets {
    /// How many products match.
    pub total: i64,
    pub categories: Vec<CategoryFacet>,
    pub brands: Vec<ValueCount>,
    /// The attributes some category marks filterable.
    pub attributes: Vec<AttributeFacet>,
    pub price_bands: Vec<PriceBand>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProductList {
    pub items: Vec<ProductSummary>,
    /// Pass as `cursor` for the next page; none on the last one.
    pub next_cursor: Option<String>,
    pub facets: Facets,
}

/// A parsed list query. The filters make the facets' cache key.
struct ListQuery {
    q: Option<String>,
    category: Option<String>,
    brands: Vec<String>,
    min_price: Option<i64>,
    max_price: Option<i64>,
    attributes: Vec<(String, Vec<String>)>,
    in_stock: Option<bool>,
    sort: ProductSort,
    limit: i64,
    cursor: Option<String>,
}

const MAX_Q_CHARS: usize = 200;

fn parse_query(raw: &str) -> Result<ListQuery, AppError> {
    let mut query = ListQuery {
        q: None,
        category: None,
        brands: Vec::new(),
        min_price: None,
        max_price: None,
        attributes: Vec::new(),
        in_stock: None,
        sort: ProductSort::Relevance,
        limit: 20,
        cursor: None,
    };
    let mut errors = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for (name, value) in form_urlencoded::parse(raw.as_bytes()) {
        let value = value.trim().to_owned();
        let repeatable = name == "brand" || name.starts_with("attr.");
        if !repeatable && seen.iter().any(|s| *s == name) {
            errors.push(FieldError::new(
                name.to_string(),
                "duplicate",
                "is given more than once",
            ));
            continue;
        }
        seen.push(name.to_string());
        let price = |errors: &mut Vec<FieldError>| match value.parse::<i64>() {
            Ok(p) if (0..=comptoir_domain::catalog::MAX_PRICE_MINOR).contains(&p) => Some(p),
            _ => {
                errors.push(FieldError::new(
                    name.to_string(),
                    "invalid",
                    "a price in cents, such as 4990",
                ));
                None
            }
        };
        match &*name {
            "q" => {
                if value.chars().count() > MAX_Q_CHARS || value.chars().any(char::is_control) {
                    errors.push(FieldError::new(
                        "q",
                        "too_long",
                        format!("at most {MAX_Q_CHARS} characters"),
                    ));
                } else if !value.is_empty() {
                    query.q = Some(value);
                }
            }
            "category" => query.category = Some(value),
            "brand" if !value.is_empty() && value.chars().count() <= 100 => query.brands.push(value),
            "brand" => errors.push(FieldError::new("brand", "invalid", "a brand has 1 to 100 characters")),
            "min_price" => query.min_price = price(&mut errors),
            "max_price" => query.max_price = price(&mut errors),
            "in_stock" => match value.as_str() {
                "true" => query.in_stock = Some(true),
                "false" => query.in_stock = Some(false),
                _ => errors.push(FieldError::new("in_stock", "invalid", "true or false")),
            },
            "sort" => match value.as_str() {
                "relevance" => query.sort = ProductSort::Relevance,
                "price_asc" => query.sort = ProductSort::PriceAsc,
                "price_desc" => query.sort = ProductSort::PriceDesc,
                "newest" => query.sort = ProductSort::Newest,
                _ => errors.push(FieldError::new(
                    "sort",
                    "invalid",
                    "relevance, price_asc, price_desc or newest",
                )),
            },
            "limit" => match value.parse::<i64>() {
                Ok(limit) if (1..=100).contains(&limit) => query.limit = limit,
                _ => errors.push(FieldError::new("limit", "out_of_range", "a whole number from 1 to 100")),
            },
            "cursor" => query.cursor = Some(value),
            other => match other.strip_prefix("attr.") {
                Some(code) if !code.is_empty() && code.len() <= 60 && !value.is_empty() => {
                    match query.attributes.iter_mut().find(|(c, _)| c == code) {
                        Some((_, values)) => values.push(value),
                        None => query.attributes.push((code.to_owned(), vec![value])),
                    }
                }
                Some(_) => errors.push(FieldError::new(other.to_owned(), "invalid", "attr.{code}={value}")),
                None => errors.push(FieldError::new(
                    other.to_owned(),
                    "unknown",
                    "is not a parameter of this list",
                )),
            },
        }
    }
    if let (Some(min), Some(max)) = (query.min_price, query.max_price)
        && min > max
    {
        errors.push(FieldError::new(
            "max_price",
            "invalid",
            "max_price is at least min_price",
        ));
    }
    if query.attributes.len() > 10 {
        errors.push(FieldError::new("attr", "too_long", "at most 10 attribute filters"));
    }
    AppError::unless_valid(errors)?;
    query.brands.sort();
    query.brands.dedup();
    query.attributes.sort();
    Ok(query)
}

impl ListQuery {
    /// What the facets depend on: the filters, not the order or the page.
    fn facets_key(&self) -> String {
        format!(
            "facets:{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
            self.q, self.category, self.brands, self.min_price, self.max_price, self.attributes, self.in_stock
        )
    }
}

fn sort_tag(sort: ProductSort) -> char {
    match sort {
        ProductSort::Relevance => 'r',
        ProductSort::PriceAsc | ProductSort::PriceDesc => 'p',
        ProductSort::Newest => 'n',
    }
}

fn encode_after(after: After) -> String {
    match after {
        After::Rank(rank, id) => format!("r{:08x}.{id}", rank.to_bits()),
        After::Price(price, id) => format!("p{price}.{id}"),
        After::Created(at, id) => format!("n{}.{id}", at.unix_timestamp_nanos()),
    }
}

fn decode_after(raw: &str, sort: ProductSort) -> Result<After, AppError> {
    let invalid = || {
        AppError::validation(vec![FieldError::new(
            "cursor",
            "invalid",
            "not a cursor this list gave for this sort order",
        )])
    };
    let (head, id) = raw.split_once('.').ok_or_else(invalid)?;
    let id: Uuid = id.parse().map_err(|_| invalid())?;
    let mut chars = head.chars();
    let tag = chars.next().ok_or_else(invalid)?;
    let rest = chars.as_str();
    let expected = sort_tag(sort);
    match tag {
        'r' if expected == 'r' => u32::from_str_radix(rest, 16)
            .map(|bits| After::Rank(f32::from_bits(bits), id))
            .map_err(|_| invalid()),
        'p' if expected == 'p' => rest.parse().map(|p| After::Price(p, id)).map_err(|_| invalid()),
        'n' if expected == 'n' || expected == 'r' => rest
            .parse::<i128>()
            .ok()
            .and_then(|n| OffsetDateTime::from_unix_timestamp_nanos(n).ok())
            .map(|at| After::Created(at, id))
            .ok_or_else(invalid),
        _ => Err(invalid()),
    }
}

/// Turns the query into the database filter: the category's subtree, the
/// attribute values checked against their types.
async fn resolve_filter(
    state: &Context,
    conn: &mut PgConnection,
    query: &ListQuery,
) -> Result<ProductFilter, AppError> {
    let mut errors = Vec::new();
    let tsquery = match &query.q {
        Some(q) => db::search_tsquery(conn, q).await?,
        None => None,
    };
    let category_ids = match &query.category {
        None => None,
        Some(raw) => {
            let category = match raw.parse::<Uuid>() {
                Ok(id) => db::get_category(conn, id).await.optional()?,
                Err(_) => db::category_by_slug(conn, raw).await?,
            };
            match category {
                Some(category) => Some(db::category_subtree(conn, category.id).await?),
                None => {
                    errors.push(FieldError::new("category", "not_found", "no such category"));
                    None
                }
            }
        }
    };
    let mut attributes = Vec::with_capacity(query.attributes.len());
    for (code, values) in &query.attributes {
        let field = format!("attr.{code}");
        let Some(attribute_type) = db::attribute_type_by_name(conn, code).await? else {
            errors.push(FieldError::new(field, "unknown", "no attribute has this code"));
            continue;
        };
        let rule = match state.catalog_rules.rule(&attribute_type) {
            Ok(rule) => rule,
            Err(_) => {
                errors.push(FieldError::new(
                    field,
                    "invalid",
                    "this attribute cannot be filtered on",
                ));
                continue;
            }
        };
        let mut documents = Vec::with_capacity(values.len());
        for value in values {
            match rule.parse_text(value) {
                Ok(parsed) => {
                    let mut doc = serde_json::Map::new();
                    doc.insert(code.clone(), parsed);
                    documents.push(Value::Object(doc));
                }
                Err(violations) => {
                    for v in violations {
                        errors.push(FieldError::new(field.clone(), v.code, v.message));
                    }
                }
            }
        }
        attributes.push(documents);
    }
    AppError::unless_valid(errors)?;
    Ok(ProductFilter {
        tsquery,
        category_ids,
        brands: query.brands.clone(),
        min_price: query.min_price,
        max_price: query.max_price,
        attributes,
        in_stock: query.in_stock,
    })
}

/// The answer of `GET /api/v1/products?{raw}` (a [`ProductList`] as JSON),
/// from the cache when it can be; the shop's pages read it too.
pub async fn list_answer(state: &Context, raw: &str) -> Result<CachedBody, AppError> {
    let query = parse_query(raw)?;
    let after = query
        .cursor
        .as_deref()
        .map(|c| decode_after(c, query.sort))
        .transpose()?;
    // Stock moves without invalidating the catalog: answers that depend on
    // it are not cached.
    let key = if query.in_stock.is_some() {
        None
    } else {
        Some(format!("products?{raw}"))
    };
    let compute = async || {
        let mut conn = state.db.acquire().await?;
        let filter = resolve_filter(state, &mut conn, &query).await?;
        // The page and the facets (when not cached) are read at once, on
        // two connections: a broad search spends about as long on each,
        // and one shopper's answer comes twice as fast on two cores.
        let page = async {
            let cards = db::list_products(&mut conn, &filter, query.sort, after, query.limit).await?;
            drop(conn);
            Ok::<_, AppError>(cards)
        };
        let (mut cards, facets) = tokio::try_join!(page, facets(state, &query, &filter))?;
        let limit = usize::try_from(query.limit).unwrap_or(20);
        let next_cursor = if cards.len() > limit {
            cards.truncate(limit);
            cards.last().map(|c| {
                encode_after(match query.sort {
                    ProductSort::Relevance if filter.tsquery.is_some() => After::Rank(c.rank, c.id),
                    ProductSort::PriceAsc | ProductSort::PriceDesc => After::Price(c.price_min_minor, c.id),
                    _ => After::Created(c.created_at, c.id),
                })
            })
        } else {
            None
        };
        // The answer is a `ProductList`, written around the cards the
        // database keeps as JSON and the facets' JSON (cached apart), so
        // neither is parsed and written again.
        let cards_len: usize = cards.iter().map(|c| c.card.len() + 1).sum();
        let mut body = Vec::with_capacity(64 + cards_len + facets.len());
        body.extend_from_slice(b"{\"items\":[");
        for (i, listed) in cards.iter().enumerate() {
            if i > 0 {
                body.push(b',');
            }
            body.extend_from_slice(listed.card.as_bytes());
        }
        body.extend_from_slice(b"],\"next_cursor\":");
        serde_json::to_writer(&mut body, &next_cursor).map_err(AppError::internal)?;
        body.extend_from_slice(b",\"facets\":");
        body.extend_from_slice(&facets);
        body.push(b'}');
        Ok(body)
    };
    match key {
        Some(key) => cached_body(state, &key, compute).await,
        None => Ok(CachedBody::new(compute().await?)),
    }
}

/// The facet counts of the filters, shared by every page and sort order of
/// the same filters through the cache.
/// The facets as JSON, spliced into the answer as they are.
async fn facets(state: &Context, query: &ListQuery, filter: &ProductFilter) -> Result<bytes::Bytes, AppError> {
    let key = query.facets_key();
    let ttl = state.config.catalog_facets_ttl;
    let cacheable = query.in_stock.is_none() && !ttl.is_zero();
    let lookup = state.cache.lookup(NAMESPACE, &key).await;
    if cacheable && let Some(raw) = &lookup.value {
        return Ok(raw.clone());
    }
    let mut conn = state.db.acquire().await?;
    let counts = db::product_facets(&mut conn, filter).await?;
    let filterable = db::filterable_attributes(&mut conn).await?;
    let categories: HashMap<Uuid, (String, String)> = db::list_categories(&mut conn)
        .await?
        .into_iter()
        .map(|c| (c.id, (c.slug, c.name)))
        .collect();
    let mut facets = Facets {
        total: counts.total,
        categories: counts
            .categories
            .into_iter()
            .filter_map(|(id, count)| {
                let (slug, name) = categories.get(&id)?;
                Some(CategoryFacet {
                    id,
                    slug: slug.clone(),
                    name: name.clone(),
                    count,
                })
            })
            .collect(),
        brands: counts
            .brands
            .into_iter()
            .map(|(value, count)| ValueCount { value, count })
            .collect(),
        attributes: Vec::new(),
        price_bands: counts
            .price_bands
            .into_iter()
            .map(|(band, count)| PriceBand {
                min_minor: band
                    .checked_sub(1)
                    .and_then(|i| PRICE_BAND_EDGES.get(i))
                    .copied()
                    .unwrap_or(0),
                max_minor: PRICE_BAND_EDGES.get(band).copied(),
                count,
            })
            .collect(),
    };
    for (code, value, count) in counts.attributes {
        let Some((_, label)) = filterable.iter().find(|(c, _)| *c == code) else {
            continue;
        };
        let value = ValueCount { value, count };
        match facets.attributes.iter_mut().find(|a| a.code == code) {
            Some(attribute) => attribute.values.push(value),
            None => facets.attributes.push(AttributeFacet {
                code,
                label: label.clone(),
                values: vec![value],
            }),
        }
    }
    let by_count = |a: &ValueCount, b: &ValueCount| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value));
    facets
        .categories
        .sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    facets.brands.sort_by(by_count);
    facets.price_bands.sort_by_key(|b| b.min_minor);
    facets.attributes.sort_by(|a, b| a.code.cmp(&b.code));
    for attribute in &mut facets.attributes {
        attribute.values.sort_by(by_count);
    }
    let raw: bytes::Bytes = serde_json::to_vec(&facets).map_err(AppError::internal)?.into();
    if cacheable {
        state.cache.fill(NAMESPACE, &lookup, &key, raw.clone(), ttl).await;
    }
    Ok(raw)
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CategoryRef {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AttributeValue {
    pub code: String,
    pub label: String,
    /// As the attribute type stores it: text, a number or a boolean.
    pub value: Value,
    pub unit: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StoreStock {
    pub location_id: Uuid,
    pub code: String,
    pub name: String,
    pub available: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VariantDetail {
    pub id: Uuid,
    pub sku: String,
    pub options: Vec<OptionPair>,
    pub ean13: Option<String>,
    /// Euro cents, VAT included.
    pub price_minor: i64,
    pub compare_at_price_minor: Option<i64>,
    pub weight_grams: i32,
    /// Units that can ship now from the locations that serve online orders.
    pub available_online: i64,
    pub in_stock: bool,
    /// Units in each store that offers click and collect.
    pub stores: Vec<StoreStock>,
}

/// A product page.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProductDetail {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    /// Markdown, as written.
    pub description: String,
    /// The description rendered to HTML, safe to insert in a page.
    pub description_html: String,
    pub brand: Option<String>,
    pub tax_class: String,
    /// VAT rate in basis points: 2000 is 20 %.
    pub vat_rate_basis_points: u32,
    pub category: Option<CategoryRef>,
    /// From the root category down to the product's own.
    pub breadcrumbs: Vec<CategoryRef>,
    pub image_urls: Vec<String>,
    pub attributes: Vec<AttributeValue>,
    pub price_min_minor: i64,
    pub price_max_minor: i64,
    pub currency: String,
    pub variants: Vec<VariantDetail>,
    pub available_online: i64,
    pub in_stock: bool,
}

/// An active product by id or slug, with its current stock (from the
/// stock cache, which forgets a variant's as soon as it moves); the product
/// itself comes from the catalog cache when it can.
pub async fn product_detail(state: &Context, id_or_slug: &str) -> Result<ProductDetail, AppError> {
    let key = format!("product:{id_or_slug}");
    let ttl = state.config.catalog_cache_ttl;
    let lookup = state.cache.lookup(NAMESPACE, &key).await;
    let cached_detail = lookup
        .value
        .as_ref()
        .filter(|_| !ttl.is_zero())
        .and_then(|raw| serde_json::from_slice::<ProductDetail>(raw).ok());
    // A product in the cache, with its stock in memory, needs no connection.
    let mut detail = match cached_detail {
        Some(detail) => detail,
        None => {
            let mut conn = state.db.acquire().await?;
            let detail = load_detail(&mut conn, id_or_slug).await?;
            if !ttl.is_zero()
                && let Ok(raw) = serde_json::to_vec(&detail)
            {
                state.cache.fill(NAMESPACE, &lookup, &key, raw.into(), ttl).await;
            }
            detail
        }
    };
    // Stock moves with every sale: it comes from the stock cache, which
    // forgets a variant's the moment it changes.
    let ids: Vec<Uuid> = detail.variants.iter().map(|v| v.id).collect();
    let stock = state.stock.stock_of(&state.db, &ids).await?;
    for variant in &mut detail.variants {
        let (online, stores) = crate::inventory::availability::for_shoppers(&stock, variant.id);
        variant.available_online = online;
        variant.in_stock = online > 0;
        variant.stores = stores;
    }
    detail.available_online = detail.variants.iter().map(|v| v.available_online).sum();
    detail.in_stock = detail.available_online > 0;
    Ok(detail)
}

async fn load_detail(conn: &mut PgConnection, id_or_slug: &str) -> Result<ProductDetail, AppError> {
    let not_found = || AppError::not_found("catalog.product_not_found", "No such product.");
    let product = match id_or_slug.parse::<Uuid>() {
        Ok(id) => db::get_product(conn, id).await.optional()?,
        Err(_) => db::product_by_slug(conn, id_or_slug).await?,
    };
    let product = product
        .filter(|p| p.status == "active" && p.price_min_minor.is_some())
        .ok_or_else(not_found)?;
    let variants = db::variants_of(conn, &[product.id]).await?;
    let lineage = match product.category_id {
        Some(id) => db::category_lineage(conn, id).await?,
        None => Vec::new(),
    };
    let categories: HashMap<Uuid, CategoryRef> = if lineage.is_empty() {
        HashMap::new()
    } else {
        db::list_categories(conn)
            .await?
            .into_iter()
            .filter(|c| lineage.contains(&c.id))
            .map(|c| {
                (
                    c.id,
                    CategoryRef {
                        id: c.id,
                        slug: c.slug,
                        name: c.name,
                    },
                )
            })
            .collect()
    };
    let applied = db::attributes_for_categories(conn, &lineage).await?;
    let mut attributes = Vec::new();
    if let Some(values) = product.attributes.as_object() {
        for attribute in &applied {
            let t = &attribute.attribute_type;
            if attributes.iter().any(|a: &AttributeValue| a.code == t.name) {
                continue;
            }
            if let Some(value) = values.get(&t.name) {
                attributes.push(AttributeValue {
                    code: t.name.clone(),
                    label: t.label.clone(),
                    value: value.clone(),
                    unit: t.unit.clone(),
                });
            }
        }
    }
    let tax = TaxClass::parse(&product.tax_class).map_err(|_| {
        AppError::internal(anyhow::anyhow!(
            "product {} has the unknown tax class {:?}",
            product.id,
            product.tax_class
        ))
    })?;
    Ok(ProductDetail {
        id: product.id,
        slug: product.slug,
        description_html: crate::markdown::render(&product.description),
        description: product.description,
        name: product.name,
        brand: product.brand,
        tax_class: product.tax_class,
        vat_rate_basis_points: tax.rate_basis_points(),
        category: product.category_id.and_then(|id| categories.get(&id).cloned()),
        breadcrumbs: lineage
            .iter()
            .rev()
            .filter_map(|id| categories.get(id).cloned())
            .collect(),
        image_urls: product.image_urls,
        attributes,
        price_min_minor: product.price_min_minor.unwrap_or(0),
        price_max_minor: product.price_max_minor.unwrap_or(0),
        currency: "EUR".to_owned(),
        variants: variants
            .into_iter()
            .map(|v| VariantDetail {
                id: v.id,
                options: options_of(&v.options),
                sku: v.sku,
                ean13: v.ean13,
                price_minor: v.price_minor,
                compare_at_price_minor: v.compare_at_price_minor,
                weight_grams: v.weight_grams,
                available_online: 0,
                in_stock: false,
                stores: Vec::new(),
            })
            .collect(),
        available_online: 0,
        in_stock: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_belong_to_their_sort() {
        let id = Uuid::now_v7();
        for (after, sort) in [
            (After::Rank(0.123_456_79, id), ProductSort::Relevance),
            (After::Price(4990, id), ProductSort::PriceDesc),
            (After::Created(OffsetDateTime::UNIX_EPOCH, id), ProductSort::Newest),
        ] {
            assert_eq!(decode_after(&encode_after(after), sort).unwrap(), after);
        }
        assert!(decode_after(&encode_after(After::Price(1, id)), ProductSort::Newest).is_err());
        assert!(decode_after("garbage", ProductSort::Newest).is_err());
    }

    #[test]
    fn malformed_parameters_are_named() {
        for (raw, field) in [
            ("limit=0", "limit"),
            ("limit=101", "limit"),
            ("limit=abc", "limit"),
            ("sort=cheapest", "sort"),
            ("min_price=-1", "min_price"),
            ("in_stock=yes", "in_stock"),
            ("colour=red", "colour"),
            ("min_price=500&max_price=100", "max_price"),
            ("q=a&q=b", "q"),
        ] {
            let err = parse_query(raw).err().unwrap_or_else(|| panic!("{raw} was accepted"));
            assert_eq!(err.field_errors()[0].field, field, "{raw}");
        }
        let query = parse_query("brand=B&brand=A&attr.genre=homme&attr.genre=femme&limit=100").unwrap();
        assert_eq!(query.brands, ["A", "B"]);
        assert_eq!(
            query.attributes,
            [("genre".to_owned(), vec!["homme".to_owned(), "femme".to_owned()])]
        );
    }
}
