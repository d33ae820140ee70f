//! An order's documents: its invoice and credit notes (PDF, or HTML to
//! print), and the warehouse's packing slip.

use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use comptoir_domain::identity::ApiScope;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::State;
use crate::auth::{Caller, MaybeCaller};
use crate::error::{ApiError, FieldError};
use crate::extract::{Path, Query};
use comptoir_app::documents::{self, Statement};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DocumentQuery {
    /// `pdf` (the default) or `html` (to print from the browser).
    pub format: Option<String>,
}

pub fn answer(statement: &Statement, format: Option<&str>) -> Result<Response, ApiError> {
    match format.unwrap_or("pdf") {
        "pdf" => Ok(crate::respond::pdf(
            documents::statement_pdf(statement),
            &statement.number,
        )),
        "html" => Ok(Html(documents::statement_html(statement)).into_response()),
        _ => Err(ApiError::validation(vec![FieldError::new(
            "format",
            "invalid",
            "pdf or html",
        )])),
    }
}

/// The invoice of a paid order, for its owner and the staff.
#[utoipa::path(
    get,
    path = "/api/v1/orders/{id}/invoice",
    tag = "orders",
    security((), ("bearer" = []), ("api_key" = [])),
    params(("id" = Uuid, Path), DocumentQuery, ("X-Cart-Token" = Option<String>, Header, description = "A guest's cart token")),
    responses(
        (status = 200, description = "The invoice: PDF, or HTML to print with `format=html`", content((Vec<u8> = "application/pdf"), (String = "text/html"))),
        (status = 404, description = "No such order, not yours, or not invoiced yet (`order.not_invoiced`)", body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    )
)]
pub async fn get_invoice(
    state: State,
    caller: MaybeCaller,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Query(query): Query<DocumentQuery>,
) -> Result<Response, ApiError> {
    let statement = comptoir_app::orders::customer::invoice(
        &state,
        caller.0.as_ref(),
        &crate::api::cart::shopper(&caller, &headers),
        id,
    )
    .await?;
    answer(&statement, query.format.as_deref())
}

/// A credit note of the order (one per refund).
#[utoipa::path(
    get,
    path = "/api/v1/orders/{id}/credit-notes/{refund_id}",
    tag = "orders",
    security((), ("bearer" = []), ("api_key" = [])),
    params(("id" = Uuid, Path), ("refund_id" = Uuid, Path), DocumentQuery,
           ("X-Cart-Token" = Option<String>, Header, description = "A guest's cart token")),
    responses(
        (status = 200, description = "The credit note: PDF, or HTML to print with `format=html`", content((Vec<u8> = "application/pdf"), (String = "text/html"))),
        (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    )
)]
pub async fn get_credit_note(
    state: State,
    caller: MaybeCaller,
    headers: HeaderMap,
    Path((id, refund_id)): Path<(Uuid, Uuid)>,
    Query(query): Query<DocumentQuery>,
) -> Result<Response, ApiError> {
    let statement = comptoir_app::orders::customer::credit_note(
        &state,
        caller.0.as_ref(),
        &crate::api::cart::shopper(&caller, &headers),
        id,
        refund_id,
    )
    .await?;
    answer(&statement, query.format.as_deref())
}

/// The packing slip the warehouse prepares the order with.
#[utoipa::path(
    get,
    path = "/api/v1/admin/orders/{id}/packing-slip",
    tag = "orders",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The packing slip", content_type = "application/pdf", body = Vec<u8>),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
    )
)]
pub async fn get_packing_slip(state: State, caller: Caller, Path(id): Path<Uuid>) -> Result<Response, ApiError> {
    caller.require_scope(ApiScope::OrdersRead)?;
    let (pdf, name) = comptoir_app::orders::admin::packing_slip(&state, id).await?;
    Ok(crate::respond::pdf(pdf, &name))
}
