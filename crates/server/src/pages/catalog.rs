//! The storefront: home, category listings and search with facets, product
//! pages, the cart, the language switcher and the static pages, under
//! readable French URLs.

use askama::Template;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::IntoResponse;
use axum::routing::get;

use super::session::WebSession;
use super::{Chrome, PageError, page, render};
use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::Path;
use crate::pages::OrPage;
use crate::pages::PageResult;
use crate::pages::chrome;
use comptoir_app::catalog::listing::{self, Facets, ProductDetail, ProductList, ProductSummary};
use comptoir_app::documents::{Euros, euros, percent};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/categories/{slug}", get(category))
        .route("/recherche", get(search))
        .route("/recherche/suggestions", get(suggestions))
        .route("/produits/{slug}", get(product))
        .route("/pages/{slug}", get(static_page))
}

/// A product as a card in a grid, borrowed from the API's answer: a
/// listing writes 24 of them, and copying their strings made six
/// allocations each.
pub struct Card<'a> {
    pub name: &'a str,
    pub slug: &'a str,
    pub brand: &'a str,
    pub price: Euros,
    /// The price is the lowest of several.
    pub from: bool,
    pub compare_at: Option<Euros>,
    pub image: Option<&'a str>,
}

impl<'a> Card<'a> {
    fn of(product: &'a ProductSummary) -> Self {
        let cheapest = product
            .variants
            .iter()
            .find(|v| v.price_minor == product.price_min_minor);
        Self {
            name: &product.name,
            slug: &product.slug,
            brand: product.brand.as_deref().unwrap_or_default(),
            price: Euros(product.price_min_minor),
            from: product.price_max_minor > product.price_min_minor,
            compare_at: cheapest
                .and_then(|v| v.compare_at_price_minor)
                .filter(|c| *c > product.price_min_minor)
                .map(Euros),
            image: product.image_urls.first().map(String::as_str),
        }
    }
}

#[derive(Template)]
#[template(path = "shop/home.html")]
pub(super) struct HomePage<'a> {
    chrome: Chrome,
    categories: Vec<Link>,
    cards: Vec<Card<'a>>,
}

pub struct Link {
    pub label: String,
    pub url: String,
}

pub(super) async fn home(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> PageResult {
    let session = super::visitor(&state, &headers).await?;
    let chrome = chrome(&state, &headers, &uri, &session).await?;
    let newest = list(&state, "limit=8&sort=newest").await.or_page(&headers)?;
    let tree = comptoir_app::catalog::categories::cached_tree(&state)
        .await
        .or_page(&headers)?;
    let html = render(
        &HomePage {
            chrome,
            categories: tree
                .items
                .iter()
                .map(|c| Link {
                    url: format!("/categories/{}", c.slug),
                    label: c.name.clone(),
                })
                .collect(),
            cards: newest.items.iter().map(Card::of).collect(),
        },
        &headers,
    )?;
    Ok(page(&state, &session, StatusCode::OK, html))
}

/// The API's list, parsed.
pub(super) async fn list(state: &AppState, raw: &str) -> Result<std::sync::Arc<ProductList>, ApiError> {
    let answer = listing::list_answer(state, raw).await?;
    Ok(answer.parsed().await?)
}

/// One choice of a facet: a checkbox (or a radio for the price bands).
pub struct FacetOption {
    /// Stable across filterings (htmx keeps the focus on the same id).
    pub id: String,
    pub label: String,
    pub value: String,
    pub count: i64,
    pub checked: bool,
}

pub struct FacetGroup {
    /// The form field: `brand`, `attr.{code}` or `prix`.
    pub field: String,
    pub title: String,
    /// Price bands are one choice among several.
    pub radio: bool,
    pub options: Vec<FacetOption>,
}

pub struct SortOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "shop/listing.html")]
pub(super) struct ListingPage<'a> {
    chrome: Chrome,
    title: String,
    /// The form's own address (the category's or the search's).
    action: String,
    total: i64,
    cards: Vec<Card<'a>>,
    subcategories: Vec<FacetOption>,
    groups: Vec<FacetGroup>,
    sorts: Vec<SortOption>,
    next_url: Option<String>,
    first_url: Option<String>,
}

/// What a listing page was asked: the API's parameters it passes on, and
/// its own `prix` band (`2000-5000`, cents, upper bound excluded).
pub(super) struct ListingQuery {
    pairs: Vec<(String, String)>,
    q: String,
    sort: String,
    band: String,
    cursor: bool,
}

impl ListingQuery {
    fn parse(raw: Option<&str>) -> Self {
        let mut query = Self {
            pairs: Vec::new(),
            q: String::new(),
            sort: String::new(),
            band: String::new(),
            cursor: false,
        };
        for (name, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
            let value = value.trim().to_owned();
            if value.is_empty() {
                continue;
            }
            match &*name {
                "q" => query.q = value.clone(),
                "sort" => query.sort = value.clone(),
                "prix" => {
                    query.band = value;
                    continue;
                }
                "cursor" => query.cursor = true,
                "brand" | "in_stock" => {}
                other if other.starts_with("attr.") => {}
                // Anything else (a tracking parameter...) is ignored.
                _ => continue,
            }
            query.pairs.push((name.into_owned(), value));
        }
        query
    }

    /// The API query: these parameters, the band as a price range, and
    /// `extra` (the category).
    fn api(&self, extra: &[(&str, &str)]) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (name, value) in &self.pairs {
            out.append_pair(name, value);
        }
        if let Some((min, max)) = self.band() {
            out.append_pair("min_price", &min.to_string());
            if let Some(max) = max {
                out.append_pair("max_price", &max.to_string());
            }
        }
        for (name, value) in extra {
            out.append_pair(name, value);
        }
        out.append_pair("limit", "24");
        out.finish()
    }

    /// The price band as the API's inclusive range: `2000-5000` is 2000
    /// to 4999, `500000-` has no top. `None` without a band; a malformed
    /// band makes the whole query invalid (see [`Self::valid`]).
    fn band(&self) -> Option<(i64, Option<i64>)> {
        let (min, max) = self.band.split_once('-')?;
        let min = min.parse::<i64>().ok().filter(|m| *m >= 0)?;
        if max.is_empty() {
            return Some((min, None));
        }
        let max = max.parse::<i64>().ok()?.checked_sub(1).filter(|m| *m >= min)?;
        Some((min, Some(max)))
    }

    /// Whether every part of the address makes sense.
    fn valid(&self) -> bool {
        self.band.is_empty() || self.band().is_some()
    }

    fn has(&self, name: &str, value: &str) -> bool {
        self.pairs.iter().any(|(n, v)| n == name && v == value)
    }

    /// This page's query with another cursor (none: the first page).
    fn with_cursor(&self, action: &str, cursor: Option<&str>) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (name, value) in self.pairs.iter().filter(|(n, _)| n != "cursor") {
            out.append_pair(name, value);
        }
        if !self.band.is_empty() {
            out.append_pair("prix", &self.band);
        }
        if let Some(cursor) = cursor {
            out.append_pair("cursor", cursor);
        }
        let query = out.finish();
        if query.is_empty() {
            action.to_owned()
        } else {
            format!("{action}?{query}")
        }
    }
}

pub(super) async fn category(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(slug): Path<String>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let session = super::visitor(&state, &headers).await?;
    let tree = comptoir_app::catalog::categories::cached_tree(&state)
        .await
        .or_page(&headers)?;
    let Some(found) = tree.find(&slug) else {
        return Err(PageError::new(
            &headers,
            ApiError::not_found("page.not_found", "No such category."),
        ));
    };
    let query = ListingQuery::parse(raw.as_deref());
    let subcategories = found
        .children
        .iter()
        .map(|c| FacetOption {
            id: String::new(),
            label: c.name.clone(),
            value: format!("/categories/{}", c.slug),
            count: 0,
            checked: false,
        })
        .collect();
    listing_page(
        &state,
        &headers,
        &uri,
        &session,
        &query,
        found.name.clone(),
        format!("/categories/{}", found.slug),
        &[("category", &found.slug)],
        subcategories,
    )
    .await
}

pub(super) async fn search(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let session = super::visitor(&state, &headers).await?;
    let query = ListingQuery::parse(raw.as_deref());
    let t = super::i18n::Lang::of(&headers).texts();
    let title = if query.q.is_empty() {
        t.search.to_owned()
    } else {
        format!("{} {}{}{}", t.search, t.quotes.0, query.q, t.quotes.1)
    };
    listing_page(
        &state,
        &headers,
        &uri,
        &session,
        &query,
        title,
        "/recherche".to_owned(),
        &[],
        Vec::new(),
    )
    .await
}

#[expect(clippy::too_many_arguments, reason = "a listing page's parts, from two routes")]
pub(super) async fn listing_page(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    session: &WebSession,
    query: &ListingQuery,
    title: String,
    action: String,
    extra: &[(&str, &str)],
    subcategories: Vec<FacetOption>,
) -> PageResult {
    let mut chrome = chrome(state, headers, uri, session).await?;
    chrome.q = query.q.clone();
    let t = chrome.t;
    let invalid = || {
        PageError::new(
            headers,
            ApiError::bad_request("page.invalid_query", "This address is not valid."),
        )
    };
    if !query.valid() {
        return Err(invalid());
    }
    let answer = list(state, &query.api(extra)).await;
    let answer = match answer {
        // A hand-edited address (a cursor of another sort...): 400 page.
        Err(e) if e.status() == StatusCode::UNPROCESSABLE_ENTITY => return Err(invalid()),
        other => other.or_page(headers)?,
    };
    let groups = facet_groups(&answer.facets, query, t);
    let has_q = !query.q.is_empty();
    let current = if query.sort.is_empty() {
        if has_q { "relevance" } else { "newest" }
    } else {
        query.sort.as_str()
    };
    let mut sorts = Vec::new();
    if has_q {
        sorts.push(("relevance", t.sort_relevance));
    }
    sorts.extend([
        ("newest", t.sort_newest),
        ("price_asc", t.sort_price_asc),
        ("price_desc", t.sort_price_desc),
    ]);
    let html = render(
        &ListingPage {
            title,
            total: answer.facets.total,
            cards: answer.items.iter().map(Card::of).collect(),
            subcategories,
            groups,
            sorts: sorts
                .into_iter()
                .map(|(value, label)| SortOption {
                    value,
                    label,
                    selected: value == current,
                })
                .collect(),
            next_url: answer
                .next_cursor
                .as_deref()
                .map(|c| query.with_cursor(&action, Some(c))),
            first_url: query.cursor.then(|| query.with_cursor(&action, None)),
            action,
            chrome,
        },
        headers,
    )?;
    Ok(page(state, session, StatusCode::OK, html))
}

pub(super) fn facet_groups(facets: &Facets, query: &ListingQuery, t: &super::i18n::Texts) -> Vec<FacetGroup> {
    let mut groups = Vec::new();
    if !facets.brands.is_empty() {
        groups.push(FacetGroup {
            field: "brand".to_owned(),
            title: t.brand.to_owned(),
            radio: false,
            options: facets
                .brands
                .iter()
                .map(|b| FacetOption {
                    id: String::new(),
                    label: b.value.clone(),
                    value: b.value.clone(),
                    count: b.count,
                    checked: query.has("brand", &b.value),
                })
                .collect(),
        });
    }
    // Shown while a band is chosen, even when nothing matches: it is how
    // the shopper lifts it.
    if !facets.price_bands.is_empty() || !query.band.is_empty() {
        // A radio cannot be unticked: "any price" comes first.
        let any = FacetOption {
            id: String::new(),
            label: t.any_price.to_owned(),
            value: String::new(),
            count: facets.total,
            checked: query.band.is_empty(),
        };
        groups.push(FacetGroup {
            field: "prix".to_owned(),
            title: t.price.to_owned(),
            radio: true,
            options: std::iter::once(any)
                .chain(facets.price_bands.iter().map(|band| {
                    let value = format!(
                        "{}-{}",
                        band.min_minor,
                        band.max_minor.map(|m| m.to_string()).unwrap_or_default()
                    );
                    // Band edges are whole euros: "20 € – 50 €".
                    let whole = |minor: i64| euros(minor).replace(",00", "");
                    let label = match band.max_minor {
                        Some(max) if band.min_minor == 0 => format!("< {}", whole(max)),
                        Some(max) => format!("{} – {}", whole(band.min_minor), whole(max)),
                        None => format!("≥ {}", whole(band.min_minor)),
                    };
                    FacetOption {
                        id: String::new(),
                        checked: query.band == value,
                        label,
                        value,
                        count: band.count,
                    }
                }))
                .collect(),
        });
    }
    for attribute in &facets.attributes {
        let field = format!("attr.{}", attribute.code);
        groups.push(FacetGroup {
            title: attribute.label.clone(),
            radio: false,
            options: attribute
                .values
                .iter()
                .map(|v| FacetOption {
                    id: String::new(),
                    label: v.value.replace('_', " "),
                    value: v.value.clone(),
                    count: v.count,
                    checked: query.has(&field, &v.value),
                })
                .collect(),
            field,
        });
    }
    for group in &mut groups {
        let prefix = format!("f-{}-", group.field.replace('.', "-"));
        for option in &mut group.options {
            let mut id = String::with_capacity(prefix.len() + option.value.len());
            id.push_str(&prefix);
            id.extend(
                option
                    .value
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }),
            );
            option.id = id;
        }
    }
    groups
}

#[derive(Template)]
#[template(path = "shop/suggestions.html")]
pub(super) struct Suggestions<'a> {
    items: Vec<Card<'a>>,
}

/// Suggestions as the shopper types: the first few matches, as links.
pub(super) async fn suggestions(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let query = ListingQuery::parse(raw.as_deref());
    let found = if query.q.chars().count() < 2 {
        None
    } else {
        let api = form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &query.q)
            .append_pair("limit", "6")
            .finish();
        match list(&state, &api).await {
            Ok(list) => Some(list),
            Err(e) if e.status() == StatusCode::UNPROCESSABLE_ENTITY => None,
            Err(e) => return Err(PageError::new(&headers, e)),
        }
    };
    let items = found
        .as_ref()
        .map_or_else(Vec::new, |l| l.items.iter().map(Card::of).collect());
    let html = render(&Suggestions { items }, &headers)?;
    Ok((
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"))],
        axum::response::Html(html),
    )
        .into_response())
}

pub struct VariantChoice {
    pub id: String,
    pub label: String,
    pub price: String,
    pub compare_at: Option<String>,
    pub available: i64,
    pub in_stock: bool,
    pub checked: bool,
}

pub struct StoreLine {
    pub name: String,
    /// Its units, by variant when the product has several.
    pub available: String,
}

#[derive(Template)]
#[template(path = "shop/product.html")]
pub(super) struct ProductPage {
    chrome: Chrome,
    product: ProductDetail,
    /// The description with its headings under the page's own (h3 and below).
    description_html: String,
    breadcrumbs: Vec<Link>,
    price: String,
    from: bool,
    vat_rate: String,
    variants: Vec<VariantChoice>,
    stores: Vec<StoreLine>,
    attributes: Vec<(String, String)>,
    /// Among the signed-in shopper's favourites.
    favorite: bool,
}

pub(super) async fn product(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(slug): Path<String>,
) -> PageResult {
    let session = super::visitor(&state, &headers).await?;
    let chrome = chrome(&state, &headers, &uri, &session).await?;
    let product = listing::product_detail(&state, &slug).await.or_page(&headers)?;
    let first_in_stock = product.variants.iter().position(|v| v.in_stock).unwrap_or(0);
    let variants: Vec<VariantChoice> = product
        .variants
        .iter()
        .enumerate()
        .map(|(i, v)| VariantChoice {
            id: v.id.to_string(),
            label: if v.options.is_empty() {
                v.sku.clone()
            } else {
                v.options
                    .iter()
                    .map(|o| format!("{} {}", o.name, o.value))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            price: euros(v.price_minor),
            compare_at: v.compare_at_price_minor.filter(|c| *c > v.price_minor).map(euros),
            available: v.available_online,
            in_stock: v.in_stock,
            checked: i == first_in_stock,
        })
        .collect();
    // Each store's units by variant: "Brest : taille S (2), taille L (5)";
    // a sum over sizes would promise what the shopper may not want.
    let mut stores: Vec<StoreLine> = Vec::new();
    for (variant, choice) in product.variants.iter().zip(&variants) {
        for store in variant.stores.iter().filter(|s| s.available > 0) {
            let units = if product.variants.len() == 1 {
                store.available.to_string()
            } else {
                format!("{} ({})", choice.label, store.available)
            };
            match stores.iter_mut().find(|s| s.name == store.name) {
                Some(line) => {
                    line.available.push_str(", ");
                    line.available.push_str(&units);
                }
                None => stores.push(StoreLine {
                    name: store.name.clone(),
                    available: units,
                }),
            }
        }
    }
    let attributes = product
        .attributes
        .iter()
        .map(|a| {
            let value = match &a.value {
                serde_json::Value::String(s) => s.replace('_', " "),
                serde_json::Value::Bool(true) => "✓".to_owned(),
                serde_json::Value::Bool(false) => "—".to_owned(),
                serde_json::Value::Array(values) => values
                    .iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                    .collect::<Vec<_>>()
                    .join(", "),
                other => other.to_string(),
            };
            let value = match &a.unit {
                Some(unit) => format!("{value} {unit}"),
                None => value,
            };
            (a.label.clone(), value)
        })
        .collect();
    let favorite = match &session.user {
        Some(user) => {
            let mut conn = state.db.acquire().await.or_page(&headers)?;
            comptoir_db::catalog::is_favorite(&mut conn, user.id, product.id)
                .await
                .or_page(&headers)?
        }
        None => false,
    };
    let rate = product.vat_rate_basis_points;
    let html = render(
        &ProductPage {
            favorite,
            breadcrumbs: product
                .breadcrumbs
                .iter()
                .map(|c| Link {
                    label: c.name.clone(),
                    url: format!("/categories/{}", c.slug),
                })
                .collect(),
            price: euros(product.price_min_minor),
            from: product.price_max_minor > product.price_min_minor,
            vat_rate: percent(rate),
            variants,
            stores,
            attributes,
            description_html: shift_headings(&product.description_html),
            product,
            chrome,
        },
        &headers,
    )?;
    Ok(page(&state, &session, StatusCode::OK, html))
}

/// Moves a description's headings two levels down, under the page's `h1`
/// and `h2`. The HTML comes from our Markdown renderer, which escapes every
/// `<` of the text, so only its own tags match.
pub(super) fn shift_headings(html: &str) -> String {
    let mut out = html.to_owned();
    for level in (1..=4).rev() {
        out = out
            .replace(&format!("<h{level}"), &format!("<h{}", level + 2))
            .replace(&format!("</h{level}>"), &format!("</h{}>", level + 2));
    }
    out
}

#[derive(Template)]
#[template(path = "shop/static_page.html")]
pub(super) struct StaticPage {
    chrome: Chrome,
    slug: String,
    seller_name: String,
    seller_address: String,
    seller_siren: String,
    seller_vat_number: String,
}

/// The legal notice, the terms of sale and the privacy policy: plain
/// templates for now, with the seller's details from the configuration.
pub(super) async fn static_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(slug): Path<String>,
) -> PageResult {
    if !matches!(slug.as_str(), "mentions-legales" | "cgv" | "confidentialite") {
        return Err(PageError::new(
            &headers,
            ApiError::not_found("page.not_found", "No such page."),
        ));
    }
    let session = super::visitor(&state, &headers).await?;
    let chrome = chrome(&state, &headers, &uri, &session).await?;
    let config = &state.config;
    let html = render(
        &StaticPage {
            chrome,
            slug,
            seller_name: config.seller_name.clone(),
            seller_address: config.seller_address.clone(),
            seller_siren: config.seller_siren.clone(),
            seller_vat_number: config.seller_vat_number.clone(),
        },
        &headers,
    )?;
    Ok(page(&state, &session, StatusCode::OK, html))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_passes_on_the_api_parameters_and_turns_its_band_into_a_price_range() {
        let query = ListingQuery::parse(Some(
            "q=velo&brand=Kerlann&prix=2000-5000&utm_source=x&attr.wood_type=chene",
        ));
        let api = query.api(&[("category", "vtt")]);
        assert_eq!(
            api,
            "q=velo&brand=Kerlann&attr.wood_type=chene&min_price=2000&max_price=4999&category=vtt&limit=24"
        );
        assert!(query.has("brand", "Kerlann"));
        assert_eq!(
            query.with_cursor("/recherche", Some("n1.x")),
            "/recherche?q=velo&brand=Kerlann&attr.wood_type=chene&prix=2000-5000&cursor=n1.x"
        );
        let open = ListingQuery::parse(Some("prix=500000-"));
        assert_eq!(open.api(&[]), "min_price=500000&limit=24");
        for bad in ["abc", "x-5000", "0--9223372036854775808", "5000-2000", "-1-"] {
            assert!(!ListingQuery::parse(Some(&format!("prix={bad}"))).valid(), "{bad}");
        }
        assert!(ListingQuery::parse(Some("prix=")).valid(), "an empty band is no band");
        assert_eq!(percent(2000), "20 %");
        assert_eq!(percent(550), "5,5 %");
        assert_eq!(percent(210), "2,1 %");
        assert_eq!(
            shift_headings("<h1>Fût</h1><p>&lt;h1&gt;</p><h2 id=\"a\">B</h2><h4>c</h4>"),
            "<h3>Fût</h3><p>&lt;h1&gt;</p><h4 id=\"a\">B</h4><h6>c</h6>"
        );
    }
}
