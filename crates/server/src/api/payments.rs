//! What payment gateways call: Stripe's webhooks, and the built-in test
//! gateway's 3-D Secure page (the page a bank would show the customer).

use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::{Json, Path, Query};
use comptoir_app::payments::webhook::{self, Handled, SignatureError};
use comptoir_app::payments::{stripe, test_gateway};

pub type State = axum::extract::State<AppState>;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookAck {
    pub received: bool,
    /// `applied`, `duplicate` (already handled) or `ignored` (about nothing
    /// this shop knows).
    pub outcome: String,
}

/// Stripe's events about PaymentIntents. The `Stripe-Signature` header must
/// sign the raw body with one of the configured secrets within 300 s;
/// anything else answers 400 and changes nothing. Each event acts once,
/// however often it is delivered.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/stripe",
    tag = "orders",
    params(("Stripe-Signature" = String, Header, description = "t=<unix time>,v1=<hex HMAC-SHA256>")),
    request_body(content = String, content_type = "application/json", description = "A Stripe event, as Stripe sends it"),
    responses(
        (status = 200, body = WebhookAck),
        (status = 400, description = "`webhook.invalid_signature` or `webhook.malformed`", body = crate::error::Problem),
    )
)]
pub async fn stripe_webhook(state: State, headers: HeaderMap, request: Request) -> Result<Json<WebhookAck>, ApiError> {
    let body = Bytes::from_request(request, &state.0)
        .await
        .map_err(|_| ApiError::bad_request("webhook.malformed", "The body could not be read."))?;
    let signature = headers.get("stripe-signature").and_then(|v| v.to_str().ok());
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    webhook::verify(signature, &body, &state.config.stripe_webhook_secrets, now).map_err(|err| {
        metrics::counter!("comptoir_webhooks_refused_total", "gateway" => "stripe").increment(1);
        let detail = match err {
            SignatureError::Missing => "The Stripe-Signature header is missing.",
            SignatureError::Malformed => "The Stripe-Signature header is malformed.",
            SignatureError::Stale => "The signature is older than the 300 s tolerance.",
            SignatureError::Mismatch => "The signature does not match the body.",
        };
        ApiError::bad_request("webhook.invalid_signature", detail)
    })?;
    let event = stripe::parse_event(&body)
        .ok_or_else(|| ApiError::bad_request("webhook.malformed", "The body is not a Stripe event."))?;
    let handled = webhook::handle_event(
        &state,
        "stripe",
        &event.id,
        &event.kind,
        event.intent_id.as_deref(),
        event.payment_id,
        event.outcome.as_ref(),
    )
    .await?;
    Ok(Json(ack(handled)))
}

fn ack(handled: Handled) -> WebhookAck {
    WebhookAck {
        received: true,
        outcome: match handled {
            Handled::Applied => "applied",
            Handled::Duplicate => "duplicate",
            Handled::Ignored => "ignored",
        }
        .to_owned(),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuthenticateQuery {
    /// `approve` or `decline`.
    pub outcome: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChargeView {
    pub id: String,
    /// `succeeded`, `failed`, `requires_action` or `cancelled`.
    pub status: String,
    pub amount_minor: i64,
}

/// The test gateway's 3-D Secure challenge, as a bank shows it.
#[utoipa::path(
    get,
    path = "/api/v1/test-gateway/charges/{id}/authenticate",
    tag = "orders",
    params(("id" = String, Path)),
    responses((status = 200, content_type = "text/html", body = String), (status = 404, body = crate::error::Problem))
)]
pub async fn authenticate_page(state: State, Path(id): Path<String>) -> Result<Response, ApiError> {
    if !state.gateways.test_enabled {
        return Err(charge_not_found());
    }
    let mut conn = state.db.acquire().await?;
    let charge = comptoir_db::payments::lock_test_charge(&mut conn, &id)
        .await
        .map_err(|_| charge_not_found())?;
    let amount = comptoir_app::documents::euros(charge.amount_minor);
    let id = html_escape(&charge.id);
    Ok(Html(format!(
        "<!doctype html><html lang=\"fr\"><meta charset=\"utf-8\"><title>3-D Secure (test)</title>\
         <main><h1>Authentification 3-D Secure</h1><p>Paiement de {amount} — passerelle de test.</p>\
         <form method=\"post\" action=\"?outcome=approve\"><button>Valider</button></form>\
         <form method=\"post\" action=\"?outcome=decline\"><button>Refuser</button></form>\
         <p><small>{id}</small></p></main></html>"
    ))
    .into_response())
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn charge_not_found() -> ApiError {
    ApiError::not_found("test_gateway.charge_not_found", "No such charge at the test gateway.")
}

/// The customer's answer to the test gateway's 3-D Secure challenge. The
/// gateway then sends its webhook, which settles the payment.
#[utoipa::path(
    post,
    path = "/api/v1/test-gateway/charges/{id}/authenticate",
    tag = "orders",
    params(("id" = String, Path), AuthenticateQuery),
    responses(
        (status = 200, body = ChargeView),
        (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    )
)]
pub async fn authenticate_charge(
    state: State,
    Path(id): Path<String>,
    Query(query): Query<AuthenticateQuery>,
) -> Result<(StatusCode, Json<ChargeView>), ApiError> {
    if !state.gateways.test_enabled {
        return Err(charge_not_found());
    }
    let approve = match query.outcome.as_str() {
        "approve" => true,
        "decline" => false,
        _ => {
            return Err(ApiError::validation(vec![crate::error::FieldError::new(
                "outcome",
                "invalid",
                "approve or decline",
            )]));
        }
    };
    let charge = test_gateway::authenticate(&state.gateways.test.pool(), &id, approve)
        .await?
        .ok_or_else(charge_not_found)?;
    Ok((
        StatusCode::OK,
        Json(ChargeView {
            id: charge.id,
            status: charge.status,
            amount_minor: charge.amount_minor,
        }),
    ))
}
