//! Accounts in the shop: sign-up, sign-in and sign-out, password reset,
//! email confirmation, the account page (profile, addresses, orders with
//! their invoices, signed-in devices) and favourites.
//!
//! Every action calls the use case the API calls (`comptoir_app::identity`,
//! `catalog::favorites`, `orders::customer`), with the account as its
//! caller: the pages follow the API's rules (password strength, sign-in
//! limits, audit log, who may read what) because they are the same code. Signing in opens one of the account's sessions, which the account
//! page lists and can close like any other.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;

use super::i18n::{Lang, Texts};
use super::session::WebSession;
use super::{Chrome, PageError, page, render, visitor};
use super::{OrPage, chrome};
use crate::app::AppState;
use crate::auth::ClientInfo;
use crate::error::ApiError;
use crate::extract::Path;
use crate::pages::PageResult;
use crate::pages::form::CsrfForm;
use crate::pages::form::FormErrors;
use crate::pages::form::PostalForm;
use crate::pages::form::id_of;
use crate::pages::form::optional;
use crate::pages::form::posted;
use crate::pages::form::query_param;
use crate::pages::sign_in::Context;
use crate::pages::sign_in::sign_in_first;
use crate::pages::sign_in::signed_out;
use crate::pages::sign_in::to_sign_in;
use comptoir_app::documents::{date, euros};
use comptoir_app::identity::{addresses, profile};
use comptoir_app::orders::customer;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/compte", get(account))
        .route("/compte/profil", post(update_profile))
        .route("/compte/adresses", post(add_address))
        .route("/compte/adresses/{id}", post(edit_address))
        .route("/compte/adresses/{id}/supprimer", post(remove_address))
        .route("/compte/sessions/{id}/revoquer", post(revoke_session))
        .route("/commande/{id}/facture", get(invoice))
}

pub struct OrderRow {
    pub id: String,
    pub number: String,
    pub date: String,
    pub status: &'static str,
    pub total: String,
    pub invoiced: bool,
}

pub struct AddressRow {
    pub id: String,
    pub label: String,
    pub lines: Vec<String>,
    /// The street line, to tell the delete buttons apart.
    pub summary: String,
    pub default_shipping: bool,
}

pub struct SessionRow {
    pub id: String,
    pub device: String,
    pub since: String,
    pub last_used: String,
    pub current: bool,
}

/// The address form as typed (kept when it comes back with errors).
#[derive(Deserialize, Default)]
pub struct AddressForm {
    #[serde(default)]
    label: String,
    #[serde(flatten)]
    postal: PostalForm,
    default_shipping: Option<String>,
}

#[derive(Template)]
#[template(path = "shop/account.html")]
struct AccountPage {
    chrome: Chrome,
    /// The account's first name as stored (the form may hold a rejected one).
    greeting: String,
    email: String,
    email_verified: bool,
    first_name: String,
    last_name: String,
    phone: String,
    saved: bool,
    profile_errors: Vec<String>,
    orders: Vec<OrderRow>,
    /// The link to older orders.
    older_orders: Option<String>,
    addresses: Vec<AddressRow>,
    address: AddressForm,
    /// The address the form changes; none: the form adds one.
    editing: Option<Uuid>,
    address_errors: Vec<String>,
    sessions: Vec<SessionRow>,
}

/// Which of the account page's forms came back with errors.
enum Section {
    Profile(Vec<String>, ProfileForm),
    /// The address form, adding one or changing the one named.
    Address(Vec<String>, AddressForm, Option<Uuid>),
}

async fn account(State(state): State<AppState>, headers: HeaderMap, uri: Uri, RawQuery(raw): RawQuery) -> PageResult {
    let session = visitor(&state, &headers).await?;
    let saved = query_param(raw.as_deref(), "enregistre").is_some();
    let older = query_param(raw.as_deref(), "commandes");
    // An id that is not one: the page with the form to add an address.
    let editing = query_param(raw.as_deref(), "adresse").and_then(|id| id.parse().ok());
    account_page(
        &state,
        &headers,
        &uri,
        &session,
        AccountView {
            failed: None,
            saved,
            older,
            editing,
        },
    )
    .await
}

/// What the account page shows beyond the account: a form that came back,
/// a saved change, a page of older orders.
struct AccountView {
    failed: Option<Section>,
    saved: bool,
    older: Option<String>,
    /// The address to change (`?adresse={id}`), its form filled in.
    editing: Option<Uuid>,
}

async fn account_page(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    session: &WebSession,
    view: AccountView,
) -> PageResult {
    let AccountView {
        failed,
        saved,
        older,
        editing,
    } = view;
    let Some(user) = session.user.as_ref() else {
        return Ok(sign_in_first(uri));
    };
    let lang = Lang::of(headers);
    let me = profile::account(state, user.id).await.or_page(headers)?;
    let book = addresses::list(state, user.id).await.or_page(headers)?;
    let orders = customer::list_mine(state, user.id, 20, older.as_deref())
        .await
        .or_page(headers)?;
    let devices = profile::sessions(state, &user.user_caller()).await.or_page(headers)?;
    let chrome = chrome(state, headers, uri, session).await?;
    let t = chrome.t;
    // The address being changed, from the book: another account's id, or
    // one since deleted, leaves the form adding one.
    let stored = editing.and_then(|id| book.items.iter().find(|a| a.id == id));
    let (profile_errors, address_errors, profile, address, editing) = match failed {
        Some(Section::Profile(errors, form)) => (errors, Vec::new(), Some(form), AddressForm::default(), None),
        Some(Section::Address(errors, form, editing)) => (Vec::new(), errors, None, form, editing),
        None => (
            Vec::new(),
            Vec::new(),
            None,
            stored.map(AddressForm::of).unwrap_or_default(),
            stored.map(|a| a.id),
        ),
    };
    let profile = profile.unwrap_or_else(|| ProfileForm {
        first_name: me.first_name.clone(),
        last_name: me.last_name.clone(),
        phone: me.phone.clone().unwrap_or_default(),
    });
    let failed_status = !profile_errors.is_empty() || !address_errors.is_empty();
    let html = render(
        &AccountPage {
            greeting: me.first_name.clone(),
            email: me.email,
            email_verified: me.email_verified,
            first_name: profile.first_name,
            last_name: profile.last_name,
            phone: profile.phone,
            saved,
            profile_errors,
            older_orders: orders.next_cursor.as_ref().map(|cursor| {
                let cursor: String = form_urlencoded::byte_serialize(cursor.as_bytes()).collect();
                format!("/compte?commandes={cursor}#commandes")
            }),
            orders: orders
                .items
                .iter()
                .map(|o| OrderRow {
                    id: o.id.to_string(),
                    number: o.number.clone(),
                    date: date(o.placed_at),
                    status: lang.order_status(&o.status),
                    total: euros(o.totals.grand_total_minor),
                    invoiced: o.invoice_number.is_some(),
                })
                .collect(),
            addresses: book
                .items
                .iter()
                .map(|a| AddressRow {
                    id: a.id.to_string(),
                    label: a.label.clone().unwrap_or_default(),
                    lines: [
                        Some(format!("{} {}", a.first_name, a.last_name)),
                        Some(a.line1.clone()),
                        a.line2.clone(),
                        Some(format!("{} {} {}", a.postal_code, a.city, a.country)),
                    ]
                    .into_iter()
                    .flatten()
                    .collect(),
                    summary: a.line1.clone(),
                    default_shipping: a.is_default_shipping,
                })
                .collect(),
            address,
            editing,
            address_errors,
            sessions: devices
                .items
                .iter()
                .map(|s| SessionRow {
                    id: s.id.to_string(),
                    device: s
                        .user_agent
                        .as_deref()
                        .map_or("—", |agent| device_name(agent, t))
                        .to_owned(),
                    since: date(s.created_at),
                    last_used: date(s.last_used_at),
                    current: s.current,
                })
                .collect(),
            chrome,
        },
        headers,
    )?;
    let status = if failed_status {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(page(state, session, status, html))
}

/// A user agent as a person names their device.
fn device_name(agent: &str, t: &Texts) -> &'static str {
    let browser = if agent.contains("Edg/") {
        "Edge"
    } else if agent.contains("Firefox/") {
        "Firefox"
    } else if agent.contains("Chrome/") || agent.contains("Chromium/") {
        "Chrome"
    } else if agent.contains("Safari/") {
        "Safari"
    } else {
        ""
    };
    let system = if agent.contains("Android") {
        "Android"
    } else if agent.contains("iPhone") || agent.contains("iPad") {
        "iOS"
    } else if agent.contains("Windows") {
        "Windows"
    } else if agent.contains("Mac OS") {
        "macOS"
    } else if agent.contains("Linux") {
        "Linux"
    } else {
        ""
    };
    match (browser, system) {
        ("", "") => t.some_application,
        ("Chrome", "Android") => "Chrome, Android",
        ("Chrome", "Windows") => "Chrome, Windows",
        ("Chrome", "macOS") => "Chrome, macOS",
        ("Chrome", "Linux") => "Chrome, Linux",
        ("Chrome", _) => "Chrome",
        ("Firefox", "Android") => "Firefox, Android",
        ("Firefox", "Windows") => "Firefox, Windows",
        ("Firefox", "macOS") => "Firefox, macOS",
        ("Firefox", "Linux") => "Firefox, Linux",
        ("Firefox", _) => "Firefox",
        ("Safari", "iOS") => "Safari, iOS",
        ("Safari", _) => "Safari, macOS",
        ("Edge", _) => "Edge, Windows",
        (_, "iOS") => "iOS",
        (_, "Android") => "Android",
        _ => t.some_browser,
    }
}

#[derive(Deserialize, Default)]
struct ProfileForm {
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    phone: String,
}

async fn update_profile(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> PageResult {
    let (session, form): (WebSession, ProfileForm) = posted(&state, &headers, &body).await?;
    let Some(user) = session.user.as_ref() else {
        return Ok(to_sign_in("/compte"));
    };
    let answer = profile::update(
        &state,
        user.id,
        profile::UpdateMeRequest {
            first_name: Some(form.first_name.clone()),
            last_name: Some(form.last_name.clone()),
            phone: Some(form.phone.clone()),
        },
    )
    .await
    .map_err(ApiError::from);
    match answer {
        Ok(_) => Ok(Redirect::to("/compte?enregistre=1#profil").into_response()),
        Err(error) => {
            let (_, errors) = FormErrors::of(error, &headers)?;
            let failed = Section::Profile(errors.messages, form);
            let view = AccountView {
                failed: Some(failed),
                saved: false,
                older: None,
                editing: None,
            };
            account_page(&state, &headers, &account_uri(), &session, view).await
        }
    }
}

fn account_uri() -> Uri {
    Uri::from_static("/compte")
}

impl AddressForm {
    /// A stored address, to change it.
    fn of(address: &addresses::AddressView) -> Self {
        Self {
            label: address.label.clone().unwrap_or_default(),
            postal: PostalForm::of(address),
            default_shipping: address.is_default_shipping.then(|| "1".to_owned()),
        }
    }

    /// The API's request: every field, so that a field emptied here is
    /// emptied there.
    fn request(&self) -> addresses::AddressRequest {
        let postal = &self.postal;
        addresses::AddressRequest {
            label: optional(&self.label),
            first_name: Some(postal.first_name.clone()),
            last_name: Some(postal.last_name.clone()),
            line1: Some(postal.line1.clone()),
            line2: optional(&postal.line2),
            postal_code: Some(postal.postal_code.clone()),
            city: Some(postal.city.clone()),
            country: Some(postal.country_or_france().to_owned()),
            phone: optional(&postal.phone),
            is_default_shipping: Some(self.default_shipping.is_some()),
            ..addresses::AddressRequest::default()
        }
    }
}

async fn add_address(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> PageResult {
    let (session, form): (WebSession, AddressForm) = posted(&state, &headers, &body).await?;
    let Some(user) = session.user.as_ref() else {
        return Ok(to_sign_in("/compte"));
    };
    let answer = addresses::add(&state, user.id, form.request())
        .await
        .map(drop)
        .map_err(ApiError::from);
    address_saved(&state, &headers, &session, answer, form, None).await
}

/// Changes one of the account's addresses (404 page for anyone else's).
async fn edit_address(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let (session, form): (WebSession, AddressForm) = posted(&state, &headers, &body).await?;
    let id = id_of(&headers, &id)?;
    let Some(user) = session.user.as_ref() else {
        return Ok(to_sign_in("/compte"));
    };
    let answer = addresses::change(&state, user.id, id, form.request())
        .await
        .map(drop)
        .map_err(ApiError::from);
    if let Err(error) = &answer
        && error.status() == StatusCode::NOT_FOUND
    {
        return Err(PageError::new(
            &headers,
            ApiError::not_found("address.not_found", "No such address."),
        ));
    }
    address_saved(&state, &headers, &session, answer, form, Some(id)).await
}

/// Back to the addresses once saved, or the form again with its errors.
async fn address_saved(
    state: &AppState,
    headers: &HeaderMap,
    session: &WebSession,
    answer: Result<(), ApiError>,
    form: AddressForm,
    editing: Option<Uuid>,
) -> PageResult {
    match answer {
        Ok(()) => Ok(Redirect::to("/compte?enregistre=1#adresses").into_response()),
        Err(error) => {
            let (_, errors) = FormErrors::of(error, headers)?;
            let view = AccountView {
                failed: Some(Section::Address(errors.messages, form, editing)),
                saved: false,
                older: None,
                editing,
            };
            account_page(state, headers, &account_uri(), session, view).await
        }
    }
}

async fn remove_address(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let (session, _): (WebSession, CsrfForm) = posted(&state, &headers, &body).await?;
    let id = id_of(&headers, &id)?;
    let Some(user) = session.user.as_ref() else {
        return Ok(to_sign_in("/compte"));
    };
    addresses::remove(&state, user.id, id).await.or_page(&headers)?;
    Ok(Redirect::to("/compte#adresses").into_response())
}

/// Signs one of the account's devices out; this one is signed out as by
/// the sign-out button.
async fn revoke_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    context: Context,
    client: ClientInfo,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let (session, _): (WebSession, CsrfForm) = posted(&state, &headers, &body).await?;
    let id = id_of(&headers, &id)?;
    let Some(user) = session.user.as_ref() else {
        return Ok(to_sign_in("/compte"));
    };
    let origin = crate::auth::origin(context.as_ref().map(|c| &c.0), &client);
    profile::revoke_session(&state, user.id, id, origin)
        .await
        .or_page(&headers)?;
    if id == user.session_id {
        return Ok(signed_out(&state));
    }
    Ok(Redirect::to("/compte#sessions").into_response())
}

/// An order's invoice (PDF), for whoever may read the order: its account,
/// or the guest browser that placed it.
async fn invoice(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> PageResult {
    let session = visitor(&state, &headers).await?;
    let id = id_of(&headers, &id)?;
    let principal = session.user.as_ref().map(super::session::SignedIn::principal);
    let statement = customer::invoice(&state, principal.as_ref(), &session.shopper(), id)
        .await
        .or_page(&headers)?;
    Ok(crate::respond::pdf(
        comptoir_app::documents::statement_pdf(&statement),
        &statement.number,
    ))
}

// ------------------------------------------------------------ favourites

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_fields_are_said_in_the_pages_language() {
        let fr = super::super::field_sentence;
        assert_eq!(
            fr(Lang::Fr, "shipping_address.postal_code", "invalid", "expected 5 digits"),
            "Code postal\u{a0}: à corriger"
        );
        assert_eq!(
            fr(Lang::En, "shipping_address.postal_code", "invalid", "expected 5 digits"),
            "Postal code: expected 5 digits"
        );
        assert_eq!(
            fr(Lang::Fr, "payment_method.token", "required", "is required"),
            "Paiement\u{a0}: à renseigner"
        );
        let short = fr(
            Lang::Fr,
            "password",
            "password.too_short",
            "a password has at least 12 characters",
        );
        assert!(
            short.contains(&comptoir_domain::identity::NewPassword::MIN_CHARS.to_string()),
            "{short}"
        );
        assert_eq!(
            fr(
                Lang::Fr,
                "019a-variant",
                "stock.insufficient",
                "Tente (T-1): 3 wanted, 1 available"
            ),
            Lang::Fr.texts().not_enough_stock
        );
    }

    #[test]
    fn devices_are_named_as_people_name_them() {
        let t = Lang::Fr.texts();
        assert_eq!(
            device_name(
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36",
                t
            ),
            "Chrome, Linux"
        );
        assert_eq!(
            device_name(
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Version/18.0 Mobile/15E148 Safari/604.1",
                t
            ),
            "Safari, iOS"
        );
        assert_eq!(device_name("curl/8.5.0", t), "Application");
        assert_eq!(device_name("Mozilla/5.0 (Linux) Servo/1.0", t), "Navigateur");
        assert_eq!(
            device_name("Mozilla/5.0 (Linux) Servo/1.0", Lang::En.texts()),
            "Browser"
        );
    }
}
