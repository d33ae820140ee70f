//! The product CSV: import (upsert by SKU, one row per variant) and
//! export in the same format, so an export imported again changes nothing.
//!
//! Columns: `sku;product_slug;product_name;brand;category;status;tax_class;
//! description;image_urls;attributes;options;ean13;price_minor;
//! compare_at_price_minor;weight_grams`. Lists inside a cell are separated
//! by `|` (`wood_type=chene_francais|volume_liters=225`); a list
//! attribute's items by `,`.

use std::collections::HashMap;

use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use comptoir_db::catalog::{self as db, Product, Variant};
use comptoir_db::{PgConnection, PgPool};
use comptoir_domain::catalog::Sku;
use comptoir_domain::catalog::attributes::AttributeRule;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::products::{ProductRequest, apply_product, empty_product};
use super::variants::{OptionPair, VariantRequest, apply_variant, check_unique, empty_variant, options_of};
use super::{State, audit, catalog_reader, catalog_writer, invalidate};
use crate::auth::Caller;
use crate::error::{ApiError, FieldError, PROBLEM_CONTENT_TYPE};
use crate::extract::Query;
use crate::http::RequestContext;
use comptoir_app::catalog::rules::RuleCache;

pub const COLUMNS: [&str; 15] = [
    "sku",
    "product_slug",
    "product_name",
    "brand",
    "category",
    "status",
    "tax_class",
    "description",
    "image_urls",
    "attributes",
    "options",
    "ean13",
    "price_minor",
    "compare_at_price_minor",
    "weight_grams",
];
const REQUIRED: [&str; 4] = ["sku", "product_slug", "product_name", "price_minor"];
/// The biggest file accepted: about 40,000 variants with long descriptions.
pub const MAX_IMPORT_BYTES: usize = 32 * 1024 * 1024;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RejectedRow {
    /// The line of the file, the header being line 1.
    pub line: u64,
    pub sku: String,
    /// Every problem of the row.
    pub reason: String,
    pub errors: Vec<crate::error::FieldError>,
}

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct ImportReport {
    /// Variants (rows) created, updated or left as they were.
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: Vec<RejectedRow>,
    /// Whether the changes were saved: false when rows were rejected and
    /// `partial` was not asked for.
    pub applied: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Save the valid rows even when others are rejected.
    pub partial: Option<bool>,
}

/// One row, read.
struct Row {
    line: u64,
    cells: HashMap<&'static str, String>,
}

impl Row {
    fn get(&self, column: &str) -> &str {
        self.cells.get(column).map_or("", String::as_str)
    }

    /// The product columns, which every row of a product repeats.
    fn product_part(&self) -> Vec<&str> {
        COLUMNS[1..10].iter().map(|c| self.get(c)).collect()
    }
}

/// Reads the file: UTF-8 (a BOM is skipped), `;` or `,` as separator,
/// whichever the header uses.
fn read_rows(data: &[u8]) -> Result<Vec<Row>, ApiError> {
    let invalid = |detail: String| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "import.invalid_file", detail);
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let text = std::str::from_utf8(data).map_err(|e| invalid(format!("The file is not UTF-8 text ({e}).")))?;
    let header_line = text.lines().next().unwrap_or_default();
    let separator = if header_line.matches(';').count() >= header_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| invalid(format!("The header line cannot be read: {e}.")))?
        .clone();
    let mut positions = Vec::with_capacity(headers.len());
    for name in &headers {
        let name = name.trim();
        match COLUMNS.iter().find(|c| **c == name) {
            Some(column) if positions.iter().any(|(c, _)| c == column) => {
                return Err(invalid(format!("The column {name} appears twice.")));
            }
            Some(column) => positions.push((*column, positions.len())),
            None => {
                return Err(invalid(format!(
                    "Unknown column {name:?}; the columns are {}.",
                    COLUMNS.join(", ")
                )));
            }
        }
    }
    if let Some(missing) = REQUIRED.iter().find(|r| !positions.iter().any(|(c, _)| c == *r)) {
        return Err(invalid(format!("The column {missing} is required.")));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            invalid(format!("Line {line} cannot be read: {e}."))
        })?;
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        let cells = positions
            .iter()
            .map(|(column, at)| (*column, record.get(*at).unwrap_or_default().to_owned()))
            .collect();
        rows.push(Row { line, cells });
    }
    Ok(rows)
}

fn split_pairs(cell: &str) -> Vec<(String, String)> {
    cell.split('|')
        .filter(|part| !part.trim().is_empty())
        .map(|part| match part.split_once('=') {
            Some((k, v)) => (k.trim().to_owned(), v.trim().to_owned()),
            None => (part.trim().to_owned(), String::new()),
        })
        .collect()
}

fn parse_number<T: std::str::FromStr>(row: &Row, column: &'static str, errors: &mut Vec<FieldError>) -> Option<T> {
    let cell = row.get(column).trim();
    if cell.is_empty() {
        return None;
    }
    match cell.parse() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.push(FieldError::new(column, "invalid_type", "expected a whole number"));
            None
        }
    }
}

/// The product request the rows of one product make.
async fn product_request(
    conn: &mut PgConnection,
    row: &Row,
    errors: &mut Vec<FieldError>,
) -> Result<ProductRequest, ApiError> {
    let text = |column: &str| Some(row.get(column).to_owned()).filter(|s| !s.trim().is_empty());
    let category_id = match text("category") {
        None => None,
        Some(slug) => match db::category_by_slug(conn, slug.trim()).await? {
            Some(category) => Some(category.id),
            None => {
                errors.push(FieldError::new(
                    "category",
                    "not_found",
                    format!("no category has the slug {slug:?}"),
                ));
                None
            }
        },
    };
    let attributes: Map<String, Value> = split_pairs(row.get("attributes"))
        .into_iter()
        .map(|(code, value)| (code, Value::String(value)))
        .collect();
    Ok(ProductRequest {
        name: Some(row.get("product_name").to_owned()),
        slug: None,
        description: Some(row.get("description").to_owned()),
        brand: Some(text("brand")),
        status: text("status").or_else(|| Some("draft".to_owned())),
        tax_class: text("tax_class").or_else(|| Some("standard".to_owned())),
        category_id: Some(category_id),
        image_urls: Some(
            row.get("image_urls")
                .split('|')
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(str::to_owned)
                .collect(),
        ),
        attributes: Some(attributes),
        variants: None,
    })
}

fn variant_request(row: &Row, errors: &mut Vec<FieldError>) -> VariantRequest {
    VariantRequest {
        sku: Some(row.get("sku").to_owned()),
        options: Some(
            split_pairs(row.get("options"))
                .into_iter()
                .map(|(name, value)| OptionPair { name, value })
                .collect(),
        ),
        ean13: Some(Some(row.get("ean13").trim().to_owned()).filter(|e| !e.is_empty())),
        price_minor: parse_number(row, "price_minor", errors).or_else(|| {
            if !errors.iter().any(|e| e.field == "price_minor") {
                errors.push(FieldError::new("price_minor", "required", "is required"));
            }
            None
        }),
        compare_at_price_minor: Some(parse_number(row, "compare_at_price_minor", errors)),
        weight_grams: Some(parse_number(row, "weight_grams", errors).unwrap_or(0)),
        position: None,
    }
}

/// What happened to each row of a product.
enum Outcome {
    Created,
    Updated,
    Unchanged,
}

/// Imports the rows of one product in the caller's transaction: every row
/// is counted, or the product's rows are all rejected.
async fn import_product(
    conn: &mut PgConnection,
    rules: &RuleCache,
    slug: &str,
    rows: &[&Row],
) -> Result<Result<Vec<Outcome>, Vec<RejectedRow>>, ApiError> {
    let reject = |errors: Vec<FieldError>, rows: &[&Row]| {
        let reason = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        rows.iter()
            .map(|row| RejectedRow {
                line: row.line,
                sku: row.get("sku").to_owned(),
                reason: reason.clone(),
                errors: errors.clone(),
            })
            .collect::<Vec<_>>()
    };
    let first = rows[0];
    if let Some(other) = rows.iter().find(|r| r.product_part() != first.product_part()) {
        let errors = vec![FieldError::new(
            "product_slug",
            "inconsistent",
            format!(
                "the product columns differ from those of line {} for the same product",
                first.line
            ),
        )];
        return Ok(Err(reject(errors, &[other])));
    }
    let mut errors = Vec::new();
    let request = product_request(conn, first, &mut errors).await?;
    let existing = db::products_by_slugs_for_update(conn, &[slug.to_owned()]).await?;
    let (mut product, is_new) = match existing.into_iter().next() {
        Some(product) => (product, false),
        None => {
            let mut product = empty_product(OffsetDateTime::now_utc());
            product.slug = slug.to_owned();
            (product, true)
        }
    };
    let before = product.clone();
    let mut request = request;
    if is_new {
        // A new product takes the file's slug, reported under its column.
        match comptoir_domain::catalog::Slug::parse(slug) {
            Ok(valid) => request.slug = Some(valid.into_string()),
            Err(message) => errors.push(FieldError::new("product_slug", "invalid", message)),
        }
    }
    apply_product(conn, rules, &request, &mut product, is_new, "", &mut errors).await?;
    // Variants: by SKU, which must belong to this product when it exists.
    let skus: Vec<String> = rows
        .iter()
        .filter_map(|r| Sku::parse(r.get("sku")).ok().map(Sku::into_string))
        .collect();
    let existing_variants = db::variants_by_skus_for_update(conn, &skus).await?;
    let mut next_position = if is_new {
        0
    } else {
        db::next_variant_position(conn, product.id).await?
    };
    let mut variants: Vec<(Variant, Option<Variant>)> = Vec::with_capacity(rows.len());
    let mut row_errors: Vec<(usize, Vec<FieldError>)> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let mut errs = Vec::new();
        let request = variant_request(row, &mut errs);
        let sku = Sku::parse(row.get("sku")).map(Sku::into_string).unwrap_or_default();
        let found = existing_variants.iter().find(|v| v.sku == sku).cloned();
        let mut variant = match &found {
            Some(v) if v.product_id != product.id => {
                errs.push(FieldError::new(
                    "sku",
                    "other_product",
                    "this SKU belongs to another product",
                ));
                v.clone()
            }
            Some(v) => v.clone(),
            None => {
                let v = empty_variant(product.id, next_position, OffsetDateTime::now_utc());
                next_position += 1;
                v
            }
        };
        apply_variant(&request, &mut variant, found.is_none(), "", &mut errs);
        if !errs.is_empty() {
            row_errors.push((i, errs));
        }
        variants.push((variant, found));
    }
    let named: Vec<(String, &Variant)> = variants.iter().map(|(v, _)| (String::new(), v)).collect();
    let mut unique_errors = Vec::new();
    check_unique(conn, &named, &mut unique_errors).await?;
    if !errors.is_empty() {
        return Ok(Err(reject(errors, rows)));
    }
    if !row_errors.is_empty() || !unique_errors.is_empty() {
        let mut rejected = Vec::new();
        for (i, errs) in row_errors {
            rejected.extend(reject(errs, &[rows[i]]));
        }
        if !unique_errors.is_empty() {
            rejected.extend(reject(unique_errors, rows));
        }
        return Ok(Err(rejected));
    }
    let product_changed = product != before;
    if product_changed {
        product = db::save_product(conn, &product).await?;
    }
    let mut outcomes = Vec::with_capacity(variants.len());
    let mut prices_changed = false;
    for (variant, found) in &variants {
        let outcome = match found {
            None => Outcome::Created,
            Some(old) if old != variant => Outcome::Updated,
            Some(_) if product_changed => Outcome::Updated,
            Some(_) => Outcome::Unchanged,
        };
        if !matches!(found, Some(old) if old == variant) {
            db::save_variant(conn, variant).await?;
            prices_changed = true;
        }
        outcomes.push(outcome);
    }
    if prices_changed {
        db::refresh_price_range(conn, product.id).await?;
    }
    Ok(Ok(outcomes))
}

/// Imports a whole file in `tx`: all or nothing unless `partial`.
pub async fn import_csv(
    tx: &mut comptoir_db::Transaction<'static, comptoir_db::Postgres>,
    rules: &RuleCache,
    data: &[u8],
    partial: bool,
) -> Result<ImportReport, ApiError> {
    let rows = read_rows(data)?;
    let mut groups: Vec<(String, Vec<&Row>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut report = ImportReport::default();
    for row in &rows {
        let slug = row.get("product_slug").trim().to_owned();
        if slug.is_empty() {
            report.rejected.push(RejectedRow {
                line: row.line,
                sku: row.get("sku").to_owned(),
                reason: "product_slug: is required".to_owned(),
                errors: vec![FieldError::new("product_slug", "required", "is required")],
            });
            continue;
        }
        match index.get(&slug) {
            Some(&at) => groups[at].1.push(row),
            None => {
                index.insert(slug.clone(), groups.len());
                groups.push((slug, vec![row]));
            }
        }
    }
    for (slug, rows) in &groups {
        use sqlx::Acquire;
        // A savepoint per product: a rejected product leaves no trace.
        let mut savepoint = tx.begin().await?;
        match import_product(&mut savepoint, rules, slug, rows).await? {
            Ok(outcomes) => {
                savepoint.commit().await?;
                for outcome in outcomes {
                    match outcome {
                        Outcome::Created => report.created += 1,
                        Outcome::Updated => report.updated += 1,
                        Outcome::Unchanged => report.unchanged += 1,
                    }
                }
            }
            Err(rejected) => {
                savepoint.rollback().await?;
                report.rejected.extend(rejected);
            }
        }
    }
    report.rejected.sort_by_key(|r| r.line);
    report.applied = report.rejected.is_empty() || partial;
    Ok(report)
}

/// Reads the file from a `text/csv` body or the first file of a
/// `multipart/form-data` upload, within [`MAX_IMPORT_BYTES`].
pub struct CsvUpload(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for CsvUpload {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let too_large = || {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request.too_large",
                format!("A product file has at most {} MiB.", MAX_IMPORT_BYTES / 1024 / 1024),
            )
        };
        if content_type.starts_with("multipart/form-data") {
            let mut multipart = Multipart::from_request(request, state)
                .await
                .map_err(|_| ApiError::bad_request("request.unreadable_body", "The upload could not be read."))?;
            while let Some(field) = multipart
                .next_field()
                .await
                .map_err(|_| ApiError::bad_request("request.unreadable_body", "The upload could not be read."))?
            {
                if field.file_name().is_some() || field.name() == Some("file") {
                    let mut data = Vec::new();
                    let mut field = field;
                    while let Some(chunk) = field.chunk().await.map_err(|_| {
                        ApiError::bad_request("request.unreadable_body", "The upload could not be read.")
                    })? {
                        if data.len() + chunk.len() > MAX_IMPORT_BYTES {
                            return Err(too_large());
                        }
                        data.extend_from_slice(&chunk);
                    }
                    return Ok(Self(data.into()));
                }
            }
            return Err(ApiError::validation(vec![FieldError::new(
                "file",
                "required",
                "upload the CSV file in a field named file",
            )]));
        }
        if !(content_type.starts_with("text/csv") || content_type.starts_with("application/csv")) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "request.unsupported_media_type",
                "Send the file as text/csv, or as multipart/form-data with a field named file.",
            ));
        }
        let body = axum::body::to_bytes(request.into_body(), MAX_IMPORT_BYTES)
            .await
            .map_err(|_| too_large())?;
        Ok(Self(body))
    }
}

/// Imports products and variants from CSV, upserting by SKU.
///
/// A file with rejected rows changes nothing (422 `import.rejected` with
/// the report) unless `partial=true`, which saves the valid products and
/// answers 200 with the report.
#[utoipa::path(
    post,
    path = "/api/v1/admin/products/import",
    tag = "catalog",
    security(("bearer" = []), ("api_key" = [])),
    params(ImportQuery),
    request_body(content = String, content_type = "text/csv", description = "One row per variant; or multipart/form-data with a `file` field"),
    responses(
        (status = 200, description = "The file was applied", body = ImportReport),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 413, body = crate::error::Problem),
        (status = 415, body = crate::error::Problem),
        (status = 422, description = "An unreadable file (`import.invalid_file`) or rejected rows (`import.rejected`, with `report`)", body = crate::error::Problem),
    )
)]
pub async fn import_products(
    state: State,
    caller: Caller,
    context: Option<Extension<std::sync::Arc<RequestContext>>>,
    Query(query): Query<ImportQuery>,
    request: Request,
) -> Result<Response, ApiError> {
    // Authorised before the body is read: a stranger's upload costs nothing.
    let actor = catalog_writer(&caller)?;
    let CsvUpload(data) = CsvUpload::from_request(request, &()).await?;
    let partial = query.partial.unwrap_or(false);
    let mut tx = state.db.begin().await?;
    let report = import_csv(&mut tx, &state.catalog_rules, &data, partial).await?;
    if !report.applied {
        tx.rollback().await?;
        let body = json!({
            "type": "urn:comptoir:problem:import.rejected",
            "title": "Unprocessable Entity",
            "status": 422,
            "detail": format!("{} rows were rejected; nothing was saved. Fix them, or import with partial=true.", report.rejected.len()),
            "code": "import.rejected",
            "report": report,
        });
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            [(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_CONTENT_TYPE))],
            body.to_string(),
        )
            .into_response());
    }
    audit(
        &mut tx,
        context.as_deref(),
        actor,
        "catalog.products.imported",
        ("import", Uuid::now_v7()),
        json!({"created": report.created, "updated": report.updated, "unchanged": report.unchanged,
               "rejected": report.rejected.len()}),
    )
    .await?;
    tx.commit().await?;
    if report.created + report.updated > 0 {
        invalidate(&state).await;
    }
    Ok(crate::extract::Json(report).into_response())
}

const EXPORT_PAGE: i64 = 500;

/// Every product and variant as CSV (`;`-separated, UTF-8), in the import
/// format; streamed, so any catalog size fits.
#[utoipa::path(
    get,
    path = "/api/v1/admin/products/export",
    tag = "catalog",
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The catalog", content_type = "text/csv", body = String),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
    )
)]
pub async fn export_products(state: State, caller: Caller) -> Result<Response, ApiError> {
    catalog_reader(&caller)?;
    let pool = state.db.clone();
    // Fail before the first byte if the database is unreachable.
    let mut conn = pool.acquire().await?;
    let categories: HashMap<Uuid, String> = db::list_categories(&mut conn)
        .await?
        .into_iter()
        .map(|c| (c.id, c.slug))
        .collect();
    drop(conn);
    let header = csv_line(&COLUMNS.map(str::to_owned));
    let pages = futures_util::stream::unfold(Some(None), move |after: Option<Option<Uuid>>| {
        let pool = pool.clone();
        let categories = categories.clone();
        async move {
            let after = after?;
            match export_page(&pool, after, &categories).await {
                Ok((chunk, _)) if chunk.is_empty() => None,
                Ok((chunk, last)) => Some((Ok::<_, std::io::Error>(Bytes::from(chunk)), Some(last))),
                Err(err) => {
                    tracing::error!(error = %err, "the product export stopped");
                    Some((Err(std::io::Error::other("export failed")), None))
                }
            }
        }
    });
    // Fused: a body may be polled again after its end (the compression
    // layer does), which an unfused `unfold` answers with a panic.
    let body = futures_util::stream::once(async move { Ok::<_, std::io::Error>(Bytes::from(header)) })
        .chain(pages)
        .fuse();
    let filename = format!(
        "attachment; filename=\"produits-{}.csv\"",
        OffsetDateTime::now_utc().date()
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&filename).unwrap_or_else(|_| HeaderValue::from_static("attachment")),
            ),
        ],
        Body::from_stream(body),
    )
        .into_response())
}

async fn export_page(
    pool: &PgPool,
    after: Option<Uuid>,
    categories: &HashMap<Uuid, String>,
) -> Result<(Vec<u8>, Option<Uuid>), comptoir_db::Error> {
    let mut conn = pool.acquire().await?;
    let products = db::products_after(&mut conn, after, EXPORT_PAGE).await?;
    let ids: Vec<Uuid> = products.iter().map(|p| p.id).collect();
    let variants = db::variants_of(&mut conn, &ids).await?;
    let mut out = Vec::new();
    for product in &products {
        for variant in variants.iter().filter(|v| v.product_id == product.id) {
            out.extend_from_slice(csv_line(&row_of(product, variant, categories)).as_bytes());
        }
    }
    Ok((out, products.last().map(|p| p.id)))
}

fn row_of(p: &Product, v: &Variant, categories: &HashMap<Uuid, String>) -> [String; 15] {
    let attributes = p
        .attributes
        .as_object()
        .map(|map| {
            map.iter()
                .map(|(code, value)| format!("{code}={}", AttributeRule::to_text(value)))
                .collect::<Vec<_>>()
                .join("|")
        })
        .unwrap_or_default();
    let options = options_of(&v.options)
        .into_iter()
        .map(|o| format!("{}={}", o.name, o.value))
        .collect::<Vec<_>>()
        .join("|");
    [
        v.sku.clone(),
        p.slug.clone(),
        p.name.clone(),
        p.brand.clone().unwrap_or_default(),
        p.category_id
            .and_then(|id| categories.get(&id).cloned())
            .unwrap_or_default(),
        p.status.clone(),
        p.tax_class.clone(),
        p.description.clone(),
        p.image_urls.join("|"),
        attributes,
        options,
        v.ean13.clone().unwrap_or_default(),
        v.price_minor.to_string(),
        v.compare_at_price_minor.map(|c| c.to_string()).unwrap_or_default(),
        v.weight_grams.to_string(),
    ]
}

fn csv_line(cells: &[String]) -> String {
    let mut writer = csv::WriterBuilder::new().delimiter(b';').from_writer(Vec::new());
    let _ = writer.write_record(cells);
    writer
        .into_inner()
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .unwrap_or_default()
}
