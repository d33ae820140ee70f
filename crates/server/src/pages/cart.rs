//! The cart page: lines with fresh prices and warnings, changing a line,
//! adding from a product page (htmx updates the badge in place).

use super::session::{self, WebSession};
use super::{Chrome, PageError, page, render};
use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::Path;
use crate::pages::OrPage;
use crate::pages::PageResult;
use crate::pages::form::bad_form;
use crate::pages::form::check_csrf;
use crate::pages::form::is_htmx;
use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use comptoir_app::AppError;
use comptoir_app::cart::{self as cart_api, CartView};
use comptoir_app::documents::{euros, percent};
use comptoir_app::identity::tokens::{new_secret, secret_hash};
use comptoir_app::shipping::{ShippingKind, ShippingOption};
use comptoir_db::Optional;
use comptoir_db::cart as cart_db;
use serde::Deserialize;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/panier", get(cart))
        .route("/panier/ajouter", post(add_to_cart))
        .route("/panier/lignes/{id}", post(update_line))
        .route("/panier/lignes/{id}/supprimer", post(remove_line))
}

/// The session's cart: a signed-in account's latest cart (the API's rule
/// too), else the guest cart the cookie names when its token opens it.
/// Locked for a change with `lock`.
pub(super) async fn cart_row(
    conn: &mut comptoir_db::PgConnection,
    session: &WebSession,
    lock: bool,
) -> Result<Option<cart_db::Cart>, ApiError> {
    if let Some(user) = &session.user {
        return Ok(if lock {
            cart_db::lock_latest_user_cart(conn, user.id).await?
        } else {
            cart_db::latest_user_cart(conn, user.id).await?
        });
    }
    let Some((id, token)) = &session.cart else {
        return Ok(None);
    };
    let cart = if lock {
        cart_db::lock_cart(conn, *id).await.optional()?
    } else {
        cart_db::get_cart(conn, *id).await.optional()?
    };
    Ok(cart.filter(|c| cart_api::guest_token_opens(c, token)))
}

/// The session's cart with prices and totals.
pub(super) async fn session_cart(state: &AppState, session: &WebSession) -> Result<Option<CartView>, ApiError> {
    if session.user.is_none() && session.cart.is_none() {
        return Ok(None);
    }
    let mut conn = state.db.acquire().await?;
    let Some(cart) = cart_row(&mut conn, session, false).await? else {
        return Ok(None);
    };
    Ok(Some(cart_api::view_of(&mut conn, &cart).await?))
}

pub struct LineView {
    pub id: String,
    pub name: String,
    pub url: String,
    pub options: String,
    pub quantity: i32,
    pub unit_price: String,
    pub total: String,
    pub warning: Option<String>,
}

#[derive(Template)]
#[template(path = "shop/cart.html")]
pub(super) struct CartPage {
    chrome: Chrome,
    lines: Vec<LineView>,
    subtotal: String,
    vat: Vec<(String, String)>,
    total: String,
    /// The cheapest delivery to France: its name and price.
    delivery: Option<(String, String)>,
    /// The cheapest collection in a store that holds the whole cart.
    collect: Option<String>,
    total_with_shipping: Option<String>,
}

/// The session's cart, priced, with the ways it can travel to France now
/// (the address comes at checkout; France is where the shop sells most).
pub(super) async fn cart_with_shipping(
    state: &AppState,
    session: &WebSession,
) -> Result<Option<(CartView, Vec<ShippingOption>)>, ApiError> {
    if session.user.is_none() && session.cart.is_none() {
        return Ok(None);
    }
    let mut conn = state.db.acquire().await?;
    let Some(cart) = cart_row(&mut conn, session, false).await? else {
        return Ok(None);
    };
    let lines = cart_db::cart_lines(&mut conn, cart.id).await?;
    let options = comptoir_app::shipping::options_for(&mut conn, &lines, "FR").await?;
    Ok(Some((cart_api::price(&cart, lines)?, options)))
}

/// A line's warning in the page's language.
pub(super) fn warning_text(
    warning: &cart_api::CartWarning,
    line: &cart_api::CartLineView,
    t: &super::i18n::Texts,
) -> String {
    match warning.code.as_str() {
        "unavailable" => t.line_unavailable.to_owned(),
        "price_changed" => t.line_price_changed.to_owned(),
        "insufficient_stock" => t.line_short.replace("{n}", &line.available_online.max(0).to_string()),
        _ => warning.message.clone(),
    }
}

pub(super) async fn cart(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> PageResult {
    let session = super::visitor(&state, &headers).await?;
    let found = cart_with_shipping(&state, &session).await.or_page(&headers)?;
    let (view, options) = found.map_or((None, Vec::new()), |(view, options)| (Some(view), options));
    let chrome = Chrome::new(
        &state,
        &headers,
        &session,
        &uri,
        view.as_ref().map_or(0, |c| c.item_count),
    );
    let (lines, subtotal, vat, total) = match &view {
        None => (Vec::new(), euros(0), Vec::new(), euros(0)),
        Some(view) => (
            view.lines
                .iter()
                .map(|line| LineView {
                    id: line.id.to_string(),
                    name: line.product_name.clone(),
                    url: format!("/produits/{}", line.product_slug),
                    options: line
                        .options
                        .iter()
                        .map(|o| format!("{} {}", o.name, o.value))
                        .collect::<Vec<_>>()
                        .join(", "),
                    quantity: line.quantity,
                    unit_price: euros(line.unit_price_minor),
                    total: euros(line.line_total_minor),
                    warning: view
                        .warnings
                        .iter()
                        .filter(|w| w.item_id == line.id)
                        .map(|w| warning_text(w, line, chrome.t))
                        .reduce(|all, next| format!("{all} {next}")),
                })
                .collect(),
            euros(view.totals.subtotal_minor),
            view.totals
                .vat
                .iter()
                .map(|v| (percent(v.rate), euros(v.amount_minor)))
                .collect(),
            euros(view.totals.grand_total_minor),
        ),
    };
    // Options come cheapest first.
    let price_text = |minor: i64| {
        if minor == 0 {
            chrome.t.shipping_free.to_owned()
        } else {
            euros(minor)
        }
    };
    let home = options.iter().find(|o| o.kind != ShippingKind::ClickAndCollect);
    let delivery = home.map(|o| (o.name.clone(), price_text(o.price_minor)));
    let collect = options
        .iter()
        .find(|o| o.kind == ShippingKind::ClickAndCollect)
        .map(|o| price_text(o.price_minor));
    let total_with_shipping = view
        .as_ref()
        .zip(home)
        .filter(|(_, o)| o.price_minor > 0)
        .map(|(view, o)| euros(view.totals.grand_total_minor + o.price_minor));
    let html = render(
        &CartPage {
            chrome,
            lines,
            subtotal,
            vat,
            total,
            delivery,
            collect,
            total_with_shipping,
        },
        &headers,
    )?;
    Ok(page(&state, &session, StatusCode::OK, html))
}

#[derive(Deserialize)]
pub(super) struct AddForm {
    variant_id: Uuid,
    #[serde(default = "one")]
    quantity: i32,
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

pub(super) fn one() -> i32 {
    1
}

#[derive(Template)]
#[template(path = "shop/cart_badge.html")]
pub(super) struct CartBadge {
    t: &'static super::i18n::Texts,
    icons: &'static str,
    cart_count: i64,
    message: String,
}

/// Adds units to the session's cart, opening one (and its cookie) when
/// the session has none. With htmx, answers the new cart badge and a
/// message; without, goes to the cart.
pub(super) async fn add_to_cart(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> PageResult {
    let session = super::visitor(&state, &headers).await?;
    let form: AddForm = serde_urlencoded::from_bytes(&body).map_err(|_| bad_form(&headers))?;
    check_csrf(&state, &headers, &session, form.csrf.as_deref())?;
    let mut tx = state.db.begin().await.or_page(&headers)?;
    let mut new_cookie = None;
    // A guest's cart; when it is gone (an order was placed from it), the
    // next cart keeps the same token, which also opens the orders placed
    // with it. An account's cart is its latest, or a new one.
    let (existing, reusable) = match (&session.user, &session.cart) {
        (Some(_), _) => (cart_row(&mut tx, &session, true).await.or_page(&headers)?, None),
        (None, Some((id, token))) => match cart_db::lock_cart(&mut tx, *id).await.optional().or_page(&headers)? {
            Some(cart) => (Some(cart).filter(|c| cart_api::guest_token_opens(c, token)), None),
            None => (None, Some(token.clone())),
        },
        (None, None) => (None, None),
    };
    let cart = match (existing, &session.user) {
        (Some(cart), _) => cart,
        (None, Some(user)) => cart_db::insert_cart(
            &mut tx,
            Uuid::now_v7(),
            &secret_hash(&new_secret("cart_")),
            Some(user.id),
        )
        .await
        .or_page(&headers)?,
        (None, None) => {
            let token = reusable
                .filter(|t| t.starts_with("cart_") && t.len() == 69 && t[5..].bytes().all(|b| b.is_ascii_hexdigit()))
                .unwrap_or_else(|| new_secret("cart_"));
            let cart = cart_db::insert_cart(&mut tx, Uuid::now_v7(), &secret_hash(&token), None)
                .await
                .or_page(&headers)?;
            new_cookie = Some(format!("{}.{token}", cart.id));
            cart
        }
    };
    let added = cart_api::add_units(&mut tx, &cart, form.variant_id, form.quantity).await;
    if let Err(error) = added {
        drop(tx);
        return Err(PageError::new(&headers, error));
    }
    let view = cart_api::changed(&mut tx, cart.id).await.or_page(&headers)?;
    tx.commit().await.or_page(&headers)?;
    let t = super::i18n::Lang::of(&headers).texts();
    let mut response = if is_htmx(&headers) {
        let badge = CartBadge {
            t,
            icons: super::assets::path("icons.svg"),
            cart_count: view.item_count,
            message: t.added_to_cart.to_owned(),
        };
        let html = render(&badge, &headers)?;
        (StatusCode::OK, axum::response::Html(html)).into_response()
    } else {
        Redirect::to("/panier").into_response()
    };
    if let Some(value) = new_cookie {
        response.headers_mut().append(
            header::SET_COOKIE,
            session::set_cookie(&state, session::CART_COOKIE, &value),
        );
    }
    Ok(response)
}

#[derive(Deserialize)]
pub(super) struct LineForm {
    quantity: Option<i32>,
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

/// Opens the session's cart for a change, locked; 404 page without one.
pub(super) async fn locked_cart(
    headers: &HeaderMap,
    session: &WebSession,
    tx: &mut comptoir_db::PgConnection,
) -> Result<comptoir_db::cart::Cart, PageError> {
    cart_row(tx, session, true)
        .await
        .or_page(headers)?
        .ok_or_else(|| PageError::new(headers, cart_api::cart_not_found()))
}

/// What a line's form asks: set its quantity, or take it out.
pub(super) enum LineChange {
    Quantity(i32),
    Remove,
}

pub(super) async fn update_line(
    state: State<AppState>,
    headers: HeaderMap,
    id: Path<String>,
    body: Bytes,
) -> PageResult {
    let form: LineForm = serde_urlencoded::from_bytes(&body).map_err(|_| bad_form(&headers))?;
    let quantity = form.quantity.ok_or_else(|| bad_form(&headers))?;
    change_line(state, headers, id, form.csrf, LineChange::Quantity(quantity)).await
}

pub(super) async fn remove_line(
    state: State<AppState>,
    headers: HeaderMap,
    id: Path<String>,
    body: Bytes,
) -> PageResult {
    let form: LineForm = serde_urlencoded::from_bytes(&body).map_err(|_| bad_form(&headers))?;
    change_line(state, headers, id, form.csrf, LineChange::Remove).await
}

/// Changes a line of the session's cart, then shows the cart (htmx picks
/// the cart and the badge out of it).
pub(super) async fn change_line(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    csrf: Option<String>,
    change: LineChange,
) -> PageResult {
    let session = super::visitor(&state, &headers).await?;
    let id = super::path_id(&headers, &id, "cart.item_not_found", "No such line in this cart.")?;
    check_csrf(&state, &headers, &session, csrf.as_deref())?;
    let mut tx = state.db.begin().await.or_page(&headers)?;
    let cart = locked_cart(&headers, &session, &mut tx).await?;
    match change {
        LineChange::Quantity(quantity) => cart_api::set_units(&mut tx, &cart, id, quantity).await,
        LineChange::Remove => match cart_api::check_line(&mut tx, cart.id, id).await {
            Ok(()) => cart_db::delete_item(&mut tx, cart.id, id).await.map_err(AppError::from),
            Err(e) => Err(e),
        },
    }
    .or_page(&headers)?;
    cart_api::changed(&mut tx, cart.id).await.or_page(&headers)?;
    tx.commit().await.or_page(&headers)?;
    Ok(Redirect::to("/panier").into_response())
}
