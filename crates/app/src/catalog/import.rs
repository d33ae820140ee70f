//! The catalog CSV: one row per variant, upserted by SKU; a product whose
//! rows break a rule is rejected whole, with every reason.

use std::collections::HashMap;

use comptoir_db::PgConnection;
use comptoir_db::catalog::{self as db, Variant};
use comptoir_domain::catalog::Sku;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::OptionPair;
use super::products::{ProductRequest, apply_product, empty_product};
use super::rules::RuleCache;
use super::variants::{VariantRequest, apply_variant, check_unique, empty_variant};
use crate::error::{AppError, FieldError};

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
fn read_rows(data: &[u8]) -> Result<Vec<Row>, AppError> {
    let invalid = |detail: String| AppError::invalid("import.invalid_file", detail);
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
) -> Result<ProductRequest, AppError> {
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
) -> Result<Result<Vec<Outcome>, Vec<RejectedRow>>, AppError> {
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
) -> Result<ImportReport, AppError> {
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
