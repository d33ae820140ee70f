//! Checkout and the order's confirmation: the shop's pages call the same
//! use cases as the API (`comptoir_app::checkout::place_order`,
//! `comptoir_app::orders::customer::pay_again`), under the same
//! idempotency keys (the key is a hidden field of the form, so a double
//! click or a reload lands on the same order, never a second one) and with
//! the guest's cart token from the session cookie.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use comptoir_domain::orders::OrderStatus;
use serde::Deserialize;
use uuid::Uuid;

use super::OrPage;
use super::cart::session_cart;
use super::session::WebSession;
use super::{Chrome, PageError, page, render};
use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::Path;
use crate::pages::form::PostalForm;
use comptoir_app::checkout::{self, CheckoutRequest, CheckoutResponse, PaymentMethodInput};
use comptoir_app::documents::euros;
use comptoir_app::orders::customer::{self, PayRequest};
use comptoir_app::orders::views::OrderDetail;
use comptoir_app::platform::idempotency::{IdempotencySession, Opened, is_stale_key};
use comptoir_app::{AppError, ErrorKind};
use comptoir_domain::platform::IdempotencyKey;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/commande", get(show).post(place))
        .route("/commande/{id}", get(order))
        .route("/commande/{id}/paiement", post(pay))
}

/// What the checkout form holds (also when it comes back with errors).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CheckoutForm {
    #[serde(default)]
    email: String,
    #[serde(flatten)]
    postal: PostalForm,
    #[serde(default)]
    shipping_option_id: String,
    #[serde(default)]
    card_token: String,
    #[serde(default)]
    idempotency_key: String,
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

/// How a form takes a card: the gateway card payments go to decides.
pub struct CardView {
    /// `stripe` (Stripe Elements), `test` (a test gateway's tokens: the
    /// built-in one, or Stripe's test payment methods without a publishable
    /// key) or `none`.
    pub mode: &'static str,
    /// Stripe's publishable key.
    pub key: String,
    /// On an order's page: the 3-D Secure step Stripe.js must run.
    pub client_secret: Option<String>,
    pub options: Vec<&'static str>,
    pub selected: String,
    pub script: &'static str,
}

impl CardView {
    pub fn of(state: &AppState, selected: &str) -> Self {
        let (mode, options): (&'static str, Vec<&'static str>) = match state.gateways.for_cards() {
            Some("stripe") if state.config.stripe_publishable_key.is_some() => ("stripe", Vec::new()),
            // Without Stripe.js, no 3-D Secure: the test cards that need none.
            Some("stripe") if stripe_test_mode(state) => ("test", vec!["pm_card_visa", "pm_card_chargeDeclined"]),
            Some("test") => ("test", vec!["tok_visa", "tok_chargeDeclined", "tok_threeDSecure"]),
            _ => ("none", Vec::new()),
        };
        let selected = if options.contains(&selected) {
            selected.to_owned()
        } else {
            options.first().map(|o| (*o).to_owned()).unwrap_or_default()
        };
        Self {
            mode,
            key: state.config.stripe_publishable_key.clone().unwrap_or_default(),
            client_secret: None,
            options,
            selected,
            script: super::assets::path("stripe.js"),
        }
    }

    /// Whether the page loads Stripe.js (and needs its policy).
    pub fn uses_stripe(&self) -> bool {
        self.mode == "stripe"
    }
}

fn stripe_test_mode(state: &AppState) -> bool {
    use secrecy::ExposeSecret;
    state
        .config
        .stripe_secret_key
        .as_ref()
        .is_some_and(|key| key.expose_secret().starts_with("sk_test_"))
}

/// The pages' policy, plus what Stripe.js needs: its script, its frames
/// (the card field, 3-D Secure) and its API.
pub const STRIPE_CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' https: data:; \
     script-src 'self' https://js.stripe.com https://*.js.stripe.com; \
     frame-src https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com; \
     connect-src 'self' https://api.stripe.com; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// A page that loads Stripe.js gets the policy that lets it.
fn allow_stripe(mut response: Response, card: bool) -> Response {
    if card {
        response.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            axum::http::HeaderValue::from_static(STRIPE_CONTENT_SECURITY_POLICY),
        );
    }
    response
}

pub struct OptionView {
    pub id: String,
    pub label: String,
    pub price: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "shop/checkout.html")]
struct CheckoutPage {
    chrome: Chrome,
    card: CardView,
    form: CheckoutForm,
    options: Vec<OptionView>,
    total: String,
    errors: Vec<String>,
    key: String,
}

/// `GET /commande`: the form, with the cart's shipping options for France.
pub async fn show(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Result<Response, PageError> {
    let session = super::visitor(&state, &headers).await?;
    let mut form = CheckoutForm {
        postal: PostalForm {
            country: "FR".to_owned(),
            ..PostalForm::default()
        },
        ..CheckoutForm::default()
    };
    if let Some(user) = &session.user {
        prefill(&state, &headers, user, &mut form).await?;
    }
    render_form(&state, &headers, &uri, &session, form, Vec::new()).await
}

/// A signed-in shopper's form starts from the account: its email, and its
/// default delivery address (else its first one, else its name).
async fn prefill(
    state: &AppState,
    headers: &HeaderMap,
    user: &super::session::SignedIn,
    form: &mut CheckoutForm,
) -> Result<(), PageError> {
    form.email.clone_from(&user.email);
    form.postal.first_name.clone_from(&user.first_name);
    form.postal.last_name.clone_from(&user.last_name);
    let book = comptoir_app::identity::addresses::list(state, user.id)
        .await
        .or_page(headers)?;
    let chosen = book
        .items
        .iter()
        .find(|a| a.is_default_shipping)
        .or_else(|| book.items.first());
    if let Some(address) = chosen {
        form.postal = PostalForm::of(address);
    }
    Ok(())
}

async fn render_form(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    session: &WebSession,
    form: CheckoutForm,
    errors: Vec<String>,
) -> Result<Response, PageError> {
    let Some(cart) = session_cart(state, session).await.or_page(headers)? else {
        return Ok(Redirect::to("/panier").into_response());
    };
    if cart.lines.is_empty() {
        return Ok(Redirect::to("/panier").into_response());
    }
    let country = form.postal.country_or_france();
    let mut conn = state.db.acquire().await.or_page(headers)?;
    let lines = comptoir_db::cart::cart_lines(&mut conn, cart.id)
        .await
        .or_page(headers)?;
    let options = comptoir_app::shipping::options_for(&mut conn, &lines, country)
        .await
        .or_page(headers)?;
    drop(conn);
    let chosen = if options.iter().any(|o| o.id == form.shipping_option_id) {
        form.shipping_option_id.clone()
    } else {
        options.first().map(|o| o.id.clone()).unwrap_or_default()
    };
    let chrome = Chrome::new(state, headers, session, uri, cart.item_count);
    let key = if form.idempotency_key.is_empty() {
        Uuid::now_v7().to_string()
    } else {
        form.idempotency_key.clone()
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let card = CardView::of(state, &form.card_token);
    let stripe = card.uses_stripe();
    let html = render(
        &CheckoutPage {
            chrome,
            card,
            options: options
                .iter()
                .map(|o| OptionView {
                    checked: o.id == chosen,
                    id: o.id.clone(),
                    label: match &o.location_name {
                        Some(place) => format!("{} — {place}", o.name),
                        None => o.name.clone(),
                    },
                    price: euros(o.price_minor),
                })
                .collect(),
            total: euros(cart.totals.grand_total_minor),
            errors,
            key,
            form,
        },
        headers,
    )?;
    Ok(allow_stripe(page(state, session, status, html), stripe))
}

/// What a refusal says to the person who filled the form: a sentence per
/// field or line it names, in the page's language, or its own detail.
fn problems(error: &AppError, lang: super::i18n::Lang) -> Vec<String> {
    let mut out: Vec<String> = error
        .field_errors()
        .iter()
        .map(|e| super::field_sentence(lang, &e.field, &e.code, &e.message))
        .collect();
    out.dedup();
    if out.is_empty() {
        out.push(match lang {
            super::i18n::Lang::En => error.detail().to_owned(),
            super::i18n::Lang::Fr => lang.texts().invalid_input.to_owned(),
        });
    }
    out
}

/// Whether a refusal is a failure of ours (or of a dependency), shown as
/// an error page rather than on the form.
fn is_failure(error: &AppError) -> bool {
    matches!(
        error.kind(),
        ErrorKind::Internal | ErrorKind::Unavailable | ErrorKind::Upstream
    )
}

/// `POST /commande`: places the order. A paid order goes to its
/// confirmation; a declined card to the order's page, which offers to pay
/// again; invalid fields come back on the form with the reasons.
pub async fn place(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, PageError> {
    let session = super::visitor(&state, &headers).await?;
    let form: CheckoutForm = serde_urlencoded::from_bytes(&body).map_err(|_| super::form::bad_form(&headers))?;
    super::form::check_csrf(&state, &headers, &session, form.csrf.as_deref())?;
    let cart_id = match (&session.user, &session.cart) {
        (Some(_), _) => {
            let mut conn = state.db.acquire().await.or_page(&headers)?;
            super::cart::cart_row(&mut conn, &session, false)
                .await
                .or_page(&headers)?
                .map(|c| c.id)
        }
        (None, Some((id, _))) => Some(*id),
        (None, None) => None,
    };
    let Some(cart_id) = cart_id else {
        return Ok(Redirect::to("/panier").into_response());
    };
    if Uuid::parse_str(&form.idempotency_key).is_err() {
        return Err(super::form::bad_form(&headers));
    }
    let request = CheckoutRequest {
        cart_id,
        email: form.email.clone(),
        shipping_address: form.postal.input(),
        billing_address: None,
        shipping_option_id: form.shipping_option_id.clone(),
        payment_method: PaymentMethodInput::Card {
            token: form.card_token.clone(),
        },
    };
    let placed = place_with_key(&state, &session, &form.idempotency_key, request).await;
    follow(&state, &headers, &uri, &session, form, placed).await
}

/// Places the order under the form's key: the same use case as the API's
/// checkout. A double click sends the same key twice: the second waits for
/// the first to finish, then gets its answer (the same order).
async fn place_with_key(
    state: &AppState,
    session: &WebSession,
    key: &str,
    request: CheckoutRequest,
) -> Result<CheckoutResponse, AppError> {
    let key =
        IdempotencyKey::parse(key).map_err(|err| AppError::bad_request("idempotency.key_invalid", err.to_string()))?;
    let keyed = checkout::checkout_request(session.key_scope(), key, &request)?;
    match IdempotencySession::open_waiting(state, keyed).await? {
        Opened::Fresh(held) => checkout::place_order(state, &session.shopper(), held, request).await,
        Opened::Replay(answer) => answer.parse(),
    }
}

async fn follow(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    session: &WebSession,
    mut form: CheckoutForm,
    placed: Result<CheckoutResponse, AppError>,
) -> Result<Response, PageError> {
    let error = match placed {
        Ok(placed) => {
            if let Some(next) = placed
                .payment
                .next_action
                .as_ref()
                .and_then(|action| action.get("url"))
                .and_then(|url| url.as_str())
                && super::local_path(next)
            {
                return Ok(Redirect::to(next).into_response());
            }
            return Ok(Redirect::to(&format!("/commande/{}", placed.order.id)).into_response());
        }
        Err(error) if is_failure(&error) => return Err(PageError::new(headers, error)),
        Err(error) => error,
    };
    let lang = super::i18n::Lang::of(headers);
    let errors = if is_stale_key(&error) {
        // A form sent again after its order was placed (the back button):
        // a fresh key for a fresh order, and a plain explanation.
        form.idempotency_key.clear();
        vec![lang.texts().stale_form.to_owned()]
    } else {
        problems(&error, lang)
    };
    render_form(state, headers, uri, session, form, errors).await
}

pub struct OrderLineRow {
    pub name: String,
    pub quantity: i64,
    pub total: String,
}

#[derive(Template)]
#[template(path = "shop/order.html")]
struct OrderPage {
    chrome: Chrome,
    card: CardView,
    /// A payment waits for the bank's confirmation (3-D Secure).
    action_needed: bool,
    /// The test gateway's 3-D Secure page.
    action_url: Option<String>,
    number: String,
    id: String,
    /// Paid, and not yet shipped, cancelled or refunded: the confirmation.
    thanks: bool,
    /// Not paid yet (and not cancelled).
    waiting: bool,
    /// The order's status in the page's language.
    status: &'static str,
    invoiced: bool,
    declined: Option<String>,
    lines: Vec<OrderLineRow>,
    total: String,
    email: String,
    key: String,
}

/// `GET /commande/{id}`: the order for the guest whose session placed it
/// (404 for anyone else): its confirmation, or a declined card and a
/// form to pay again.
pub async fn order(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let session = super::visitor(&state, &headers).await?;
    let detail = order_detail(&state, &headers, &session, &id).await?;
    let chrome = super::chrome(&state, &headers, &uri, &session).await?;
    let order = &detail.order;
    let last = detail.payments.iter().max_by_key(|p| p.created_at);
    let declined = last
        .filter(|p| p.status == "failed" && order.status == "pending_payment")
        .map(|p| p.failure_message.clone().unwrap_or_default());
    let mut card = CardView::of(&state, "");
    let action = last.filter(|p| p.status == "requires_action");
    // Stripe's 3-D Secure step runs here, through Stripe.js, with the
    // secret Stripe gives now (the shop never stores it).
    if let Some(payment) = action.filter(|p| p.gateway == "stripe") {
        match comptoir_app::payments::pending_action(&state, payment.id)
            .await
            .or_page(&headers)?
        {
            comptoir_app::payments::PendingAction::ClientSecret(secret) => card.client_secret = Some(secret),
            comptoir_app::payments::PendingAction::Settled => return Ok(Redirect::to(uri.path()).into_response()),
            comptoir_app::payments::PendingAction::Unknown => {}
        }
    }
    let stripe = card.uses_stripe() && (declined.is_some() || card.client_secret.is_some());
    let status = chrome.lang.order_status(&order.status);
    let lifecycle = OrderStatus::parse(&order.status);
    let html = render(
        &OrderPage {
            chrome,
            action_needed: action.is_some(),
            action_url: action
                .and_then(|p| p.next_action.as_ref())
                .and_then(|n| n["url"].as_str())
                .filter(|url| super::local_path(url))
                .map(str::to_owned),
            card,
            number: order.number.clone(),
            id: order.id.to_string(),
            thanks: order.paid_minor >= order.totals.grand_total_minor
                && order.paid_minor > 0
                && matches!(lifecycle, Some(OrderStatus::Paid | OrderStatus::Processing)),
            waiting: matches!(
                lifecycle,
                Some(OrderStatus::PendingPayment | OrderStatus::AwaitingPayment)
            ),
            status,
            invoiced: order.invoice_number.is_some(),
            declined,
            lines: order
                .lines
                .iter()
                .map(|l| OrderLineRow {
                    name: l.product_name.clone(),
                    quantity: i64::from(l.quantity),
                    total: euros(l.line_total_minor),
                })
                .collect(),
            total: euros(order.totals.grand_total_minor),
            email: order.email.clone(),
            key: Uuid::now_v7().to_string(),
        },
        &headers,
    )?;
    Ok(allow_stripe(page(&state, &session, StatusCode::OK, html), stripe))
}

async fn order_detail(
    state: &AppState,
    headers: &HeaderMap,
    session: &WebSession,
    id: &str,
) -> Result<OrderDetail, PageError> {
    let not_found = || PageError::new(headers, ApiError::not_found("order.not_found", "No such order."));
    let id: Uuid = id.parse().map_err(|_| not_found())?;
    if session.user.is_none() && session.cart.is_none() {
        return Err(not_found());
    }
    let principal = session.user.as_ref().map(super::session::SignedIn::principal);
    customer::read_order(state, principal.as_ref(), &session.shopper(), id)
        .await
        .or_page(headers)
}

#[derive(Deserialize)]
struct PayForm {
    #[serde(default)]
    card_token: String,
    #[serde(default)]
    idempotency_key: String,
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

/// `POST /commande/{id}/paiement`: pays a declined order again.
pub async fn pay(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let session = super::visitor(&state, &headers).await?;
    let form: PayForm = serde_urlencoded::from_bytes(&body).map_err(|_| super::form::bad_form(&headers))?;
    super::form::check_csrf(&state, &headers, &session, form.csrf.as_deref())?;
    let detail = order_detail(&state, &headers, &session, &id).await?;
    if Uuid::parse_str(&form.idempotency_key).is_err() {
        return Err(super::form::bad_form(&headers));
    }
    let order_id = detail.order.id;
    let request = PayRequest {
        payment_method: PaymentMethodInput::Card { token: form.card_token },
    };
    let paid = async {
        let key = IdempotencyKey::parse(&form.idempotency_key)
            .map_err(|err| AppError::bad_request("idempotency.key_invalid", err.to_string()))?;
        let keyed = customer::pay_again_request(session.key_scope(), key, order_id, &request)?;
        match IdempotencySession::open(&state, keyed).await? {
            Opened::Fresh(held) => customer::pay_again(&state, &session.shopper(), order_id, held, request)
                .await
                .map(drop),
            Opened::Replay(_) => Ok(()),
        }
    }
    .await;
    match paid {
        Ok(()) => {}
        Err(error) if is_failure(&error) => return Err(PageError::new(&headers, error)),
        // Already paid, or a payment under way (a double click): the
        // order's page tells which.
        Err(error) if error.kind() == ErrorKind::Conflict => {}
        Err(error) => {
            let sentence = problems(&error, super::i18n::Lang::of(&headers)).join(" ");
            return Err(PageError::new(
                &headers,
                ApiError::bad_request("page.payment_refused", sentence),
            ));
        }
    }
    Ok(Redirect::to(&format!("/commande/{order_id}")).into_response())
}
