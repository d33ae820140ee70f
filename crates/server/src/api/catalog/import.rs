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
use comptoir_db::PgPool;
use comptoir_db::catalog::{self as db, Product, Variant};
use comptoir_domain::catalog::attributes::AttributeRule;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;
use utoipa::IntoParams;
use uuid::Uuid;

use super::variants::options_of;
use super::{State, audit, catalog_reader, catalog_writer, invalidate};
use crate::auth::Caller;
use crate::error::{ApiError, FieldError, PROBLEM_CONTENT_TYPE, Problem};
use crate::extract::Query;
use crate::http::RequestContext;
pub use comptoir_app::catalog::import::{COLUMNS, ImportReport, MAX_IMPORT_BYTES, RejectedRow, import_csv};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Save the valid rows even when others are rejected.
    pub partial: Option<bool>,
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

/// A refused import: the problem, with the report of every row when rows
/// were rejected (`import.rejected`).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RejectedImport {
    #[serde(flatten)]
    pub problem: Problem,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<ImportReport>,
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
        (status = 422, description = "An unreadable file (`import.invalid_file`) or rejected rows (`import.rejected`, with `report`)", body = RejectedImport),
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
        let body = RejectedImport {
            problem: Problem {
                type_: "urn:comptoir:problem:import.rejected".into(),
                title: "Unprocessable Entity".into(),
                status: 422,
                detail: format!(
                    "{} rows were rejected; nothing was saved. Fix them, or import with partial=true.",
                    report.rejected.len()
                ),
                code: "import.rejected".into(),
                errors: Vec::new(),
            },
            report: Some(report),
        };
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            [(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_CONTENT_TYPE))],
            serde_json::to_string(&body).map_err(ApiError::internal)?,
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
