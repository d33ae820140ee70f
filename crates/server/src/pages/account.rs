//! Accounts in the shop: sign-up, sign-in and sign-out, password reset,
//! email confirmation, the account page (profile, addresses, orders with
//! their invoices, signed-in devices) and favourites.
//!
//! Every action calls the use case the API calls (`comptoir_app::identity`,
//! `catalog::favorites`, `orders::customer`), with the account as its
//! caller: the pages follow the API's rules (password strength, sign-in
//! limits, audit log, who may read what) because they are the same code. Signing in opens one of the account's sessions, which the account
//! page lists and can close like any other.

use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde::Deserialize;
use uuid::Uuid;

use super::i18n::{Lang, Texts};
use super::session::{self, WebSession};
use super::shop::{OrPage, bad_form, check_csrf, chrome};
use super::{Chrome, PageError, page, render, visitor};
use crate::app::AppState;
use crate::auth::ClientInfo;
use crate::error::ApiError;
use crate::extract::Path;
use crate::http::RequestContext;
use comptoir_app::catalog::favorites;
use comptoir_app::documents::{date, euros};
use comptoir_app::identity::tokens::secret_hash;
use comptoir_app::identity::{addresses, profile, recovery, sessions};
use comptoir_app::orders::customer;

type PageResult = Result<Response, PageError>;
type Context = Option<Extension<Arc<RequestContext>>>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/connexion", get(sign_in_form).post(sign_in))
        .route("/inscription", get(register_form).post(register))
        .route("/deconnexion", post(sign_out))
        .route("/mot-de-passe/oublie", get(forgot_form).post(forgot))
        .route("/mot-de-passe/nouveau", get(reset_form).post(reset))
        .route("/compte", get(account))
        .route("/compte/confirmer", get(verify_form).post(verify))
        .route("/compte/profil", post(update_profile))
        .route("/compte/adresses", post(add_address))
        .route("/compte/adresses/{id}", post(edit_address))
        .route("/compte/adresses/{id}/supprimer", post(remove_address))
        .route("/compte/sessions/{id}/revoquer", post(revoke_session))
        .route("/commande/{id}/facture", get(invoice))
        .route("/favoris", get(favorites))
        .route("/favoris/{id}", post(add_favorite))
        .route("/favoris/{id}/supprimer", post(remove_favorite))
}

/// An input of a form page.
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: &'static str,
    pub autocomplete: &'static str,
    pub value: String,
    pub required: bool,
    pub max: u32,
    pub hint: Option<&'static str>,
    pub invalid: bool,
}

impl Field {
    fn new(name: &'static str, label: &'static str, kind: &'static str, autocomplete: &'static str) -> Self {
        Self {
            name,
            label,
            kind,
            autocomplete,
            value: String::new(),
            required: true,
            max: 254,
            hint: None,
            invalid: false,
        }
    }

    fn value(mut self, value: &str) -> Self {
        value.clone_into(&mut self.value);
        self
    }

    fn hint(mut self, hint: &'static str) -> Self {
        self.hint = Some(hint);
        self
    }

    fn max(mut self, max: u32) -> Self {
        self.max = max;
        self
    }
}

/// A page with one form: sign-in, sign-up, password reset, confirmation.
#[derive(Template)]
#[template(path = "shop/form.html")]
struct FormPage {
    chrome: Chrome,
    title: &'static str,
    intro: Option<&'static str>,
    notice: Option<&'static str>,
    errors: Vec<String>,
    action: String,
    hidden: Vec<(&'static str, String)>,
    fields: Vec<Field>,
    submit: &'static str,
    links: Vec<(String, &'static str)>,
}

/// What went wrong, for a form: each invalid field with its label, and the
/// fields to mark.
struct FormErrors {
    messages: Vec<String>,
    fields: Vec<String>,
}

impl FormErrors {
    fn none() -> Self {
        Self {
            messages: Vec::new(),
            fields: Vec::new(),
        }
    }

    fn one(message: &str) -> Self {
        Self {
            messages: vec![message.to_owned()],
            fields: Vec::new(),
        }
    }

    /// A refusal of the API as sentences; a server error is not a form's
    /// business and goes to the error page.
    fn of(error: ApiError, headers: &HeaderMap) -> Result<(StatusCode, Self), PageError> {
        let lang = Lang::of(headers);
        let t = lang.texts();
        let status = error.status();
        if status.is_server_error() {
            return Err(PageError::new(headers, error));
        }
        let fields: Vec<String> = error.field_errors().iter().map(|e| e.field.clone()).collect();
        let mut messages: Vec<String> = error
            .field_errors()
            .iter()
            .map(|e| super::field_sentence(lang, &e.field, &e.code, &e.message))
            .collect();
        if messages.is_empty() {
            messages.push(
                match error.code() {
                    "auth.invalid_credentials" => t.wrong_credentials,
                    "auth.account_disabled" => t.account_disabled,
                    "auth.too_many_attempts" => t.too_many_attempts,
                    "auth.email_taken" => t.email_taken,
                    _ => t.invalid_input,
                }
                .to_owned(),
            );
        }
        Ok((status, Self { messages, fields }))
    }

    fn mark(&self, fields: &mut [Field]) {
        for field in fields {
            field.invalid = self.fields.iter().any(|f| f == field.name);
        }
    }
}

/// A simple page: a title, a sentence and a way on.
#[derive(Template)]
#[template(path = "shop/message.html")]
struct MessagePage {
    chrome: Chrome,
    title: &'static str,
    text: &'static str,
    link: (String, &'static str),
}

fn query_param(raw: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// Where to go after signing in: a path of this site, else the account.
fn back_to(retour: Option<&str>) -> String {
    retour.filter(|r| super::local_path(r)).unwrap_or("/compte").to_owned()
}

fn to_sign_in(back: &str) -> Response {
    let back: String = form_urlencoded::byte_serialize(back.as_bytes()).collect();
    Redirect::to(&format!("/connexion?retour={back}")).into_response()
}

/// The sign-in page, coming back here after.
fn sign_in_first(uri: &Uri) -> Response {
    to_sign_in(uri.path_and_query().map_or("/compte", |p| p.as_str()))
}

/// Signs in through the same use case as the API's sign-in, with this
/// browser's cart token (its cart is merged, its guest orders claimed): the
/// session's refresh token, for the cookie.
async fn open_session(
    state: &AppState,
    context: Context,
    client: ClientInfo,
    session: &WebSession,
    email: &str,
    password: String,
) -> Result<String, ApiError> {
    let origin = crate::auth::origin(context.as_ref().map(|c| &c.0), &client);
    let cart_token = session.cart.as_ref().map(|(_, token)| token.as_str());
    let pair = sessions::login(
        state,
        origin,
        cart_token,
        sessions::LoginRequest {
            email: email.to_owned(),
            password,
        },
    )
    .await?;
    // Signing in again from a signed-in browser: the new session replaces
    // the old one, which closes.
    if let Some(previous) = &session.user {
        sessions::logout(
            state,
            origin,
            sessions::RefreshRequest {
                refresh_token: previous.token.clone(),
            },
        )
        .await?;
    }
    Ok(pair.refresh_token)
}

/// A posted form of a page, once its CSRF token checks out, with the
/// browser's session.
async fn posted<F: serde::de::DeserializeOwned>(
    state: &AppState,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(WebSession, F), PageError> {
    let session = visitor(state, headers).await?;
    let form: F = serde_urlencoded::from_bytes(body).map_err(|_| bad_form(headers))?;
    let token: CsrfForm = serde_urlencoded::from_bytes(body).map_err(|_| bad_form(headers))?;
    check_csrf(state, headers, &session, token.csrf.as_deref())?;
    Ok((session, form))
}

/// After signing in: the session's cookie, a new session id (so a CSRF
/// token seen before does not outlive the sign-in), and on to `back`.
fn signed_in(state: &AppState, refresh_token: &str, back: &str) -> Response {
    let mut response = Redirect::to(back).into_response();
    let headers = response.headers_mut();
    headers.append(header::SET_COOKIE, session::auth_cookie(state, refresh_token));
    headers.append(
        header::SET_COOKIE,
        session::set_cookie(state, session::SID_COOKIE, &session::new_sid()),
    );
    response
}

/// After signing out: no sign-in, no cart, a new session id. Whoever uses
/// the browser next starts afresh.
fn signed_out(state: &AppState) -> Response {
    let mut response = Redirect::to("/").into_response();
    let headers = response.headers_mut();
    headers.append(header::SET_COOKIE, session::clear_cookie(session::AUTH_COOKIE));
    headers.append(header::SET_COOKIE, session::clear_cookie(session::CART_COOKIE));
    headers.append(
        header::SET_COOKIE,
        session::set_cookie(state, session::SID_COOKIE, &session::new_sid()),
    );
    response
}

// ------------------------------------------------------------ sign-in

#[derive(Deserialize, Default)]
struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    retour: Option<String>,
}

fn sign_in_page(
    chrome: Chrome,
    email: &str,
    back: &str,
    notice: Option<&'static str>,
    errors: &FormErrors,
) -> FormPage {
    let t = chrome.t;
    let mut fields = vec![
        Field::new("email", t.email, "email", "username").value(email),
        Field::new("password", t.password, "password", "current-password").max(128),
    ];
    errors.mark(&mut fields);
    let back_query: String = form_urlencoded::byte_serialize(back.as_bytes()).collect();
    FormPage {
        title: t.sign_in,
        intro: None,
        notice,
        errors: errors.messages.clone(),
        action: "/connexion".to_owned(),
        hidden: vec![("retour", back.to_owned())],
        fields,
        submit: t.sign_in,
        links: vec![
            ("/mot-de-passe/oublie".to_owned(), t.forgot_password),
            (format!("/inscription?retour={back_query}"), t.no_account),
        ],
        chrome,
    }
}

async fn sign_in_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let session = visitor(&state, &headers).await?;
    let back = back_to(query_param(raw.as_deref(), "retour").as_deref());
    if session.user.is_some() {
        return Ok(Redirect::to(&back).into_response());
    }
    let chrome = chrome(&state, &headers, &uri, &session).await?;
    let notice = query_param(raw.as_deref(), "reinitialise").map(|_| chrome.t.reset_done);
    let html = render(&sign_in_page(chrome, "", &back, notice, &FormErrors::none()), &headers)?;
    Ok(page(&state, &session, StatusCode::OK, html))
}

/// Signs in as the API's sign-in does (its limits, its audit): the
/// guest cart is merged into the account's, and the guest orders placed
/// from this browser under the account's email become the account's.
async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    context: Context,
    client: ClientInfo,
    body: Bytes,
) -> PageResult {
    let (session, form): (WebSession, SignInForm) = posted(&state, &headers, &body).await?;
    let back = back_to(form.retour.as_deref());
    match open_session(&state, context, client, &session, &form.email, form.password).await {
        Ok(refresh_token) => Ok(signed_in(&state, &refresh_token, &back)),
        Err(error) => {
            refused(&state, &headers, &uri, &session, error, |chrome, errors| {
                sign_in_page(chrome, &form.email, &back, None, errors)
            })
            .await
        }
    }
}

/// A form again after the API refused it: the refusal's status (and its
/// `Retry-After`, when it has one), its messages beside their fields.
async fn refused(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    session: &WebSession,
    error: ApiError,
    form: impl FnOnce(Chrome, &FormErrors) -> FormPage,
) -> PageResult {
    let retry_after = error.header(&header::RETRY_AFTER).cloned();
    let (status, errors) = FormErrors::of(error, headers)?;
    let chrome = chrome(state, headers, uri, session).await?;
    let html = render(&form(chrome, &errors), headers)?;
    let mut response = page(state, session, status, html);
    if let Some(value) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    Ok(response)
}

// ------------------------------------------------------------ sign-up

#[derive(Deserialize, Default)]
struct RegisterForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    retour: Option<String>,
}

fn register_page(chrome: Chrome, form: &RegisterForm, back: &str, errors: &FormErrors) -> FormPage {
    let t = chrome.t;
    let mut fields = vec![
        Field::new("first_name", t.first_name, "text", "given-name")
            .value(&form.first_name)
            .max(100),
        Field::new("last_name", t.last_name, "text", "family-name")
            .value(&form.last_name)
            .max(100),
        Field::new("email", t.email, "email", "email").value(&form.email),
        Field::new("password", t.password, "password", "new-password")
            .max(128)
            .hint(t.password_hint),
    ];
    errors.mark(&mut fields);
    let back_query: String = form_urlencoded::byte_serialize(back.as_bytes()).collect();
    FormPage {
        title: t.register,
        intro: Some(t.register_intro),
        notice: None,
        errors: errors.messages.clone(),
        action: "/inscription".to_owned(),
        hidden: vec![("retour", back.to_owned())],
        fields,
        submit: t.register,
        links: vec![(format!("/connexion?retour={back_query}"), t.have_account)],
        chrome,
    }
}

async fn register_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let session = visitor(&state, &headers).await?;
    let back = back_to(query_param(raw.as_deref(), "retour").as_deref());
    if session.user.is_some() {
        return Ok(Redirect::to(&back).into_response());
    }
    let chrome = chrome(&state, &headers, &uri, &session).await?;
    let html = render(
        &register_page(chrome, &RegisterForm::default(), &back, &FormErrors::none()),
        &headers,
    )?;
    Ok(page(&state, &session, StatusCode::OK, html))
}

/// Creates the account as the API does (its checks, its confirmation
/// email), then signs in as [`sign_in`] does.
async fn register(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    context: Context,
    client: ClientInfo,
    body: Bytes,
) -> PageResult {
    let (session, form): (WebSession, RegisterForm) = posted(&state, &headers, &body).await?;
    let back = back_to(form.retour.as_deref());
    let created = sessions::register(
        &state,
        crate::auth::origin(context.as_ref().map(|c| &c.0), &client),
        sessions::RegisterRequest {
            email: form.email.clone(),
            password: form.password.clone(),
            first_name: form.first_name.clone(),
            last_name: form.last_name.clone(),
        },
    )
    .await
    .map_err(ApiError::from);
    if let Err(error) = created {
        return refused(&state, &headers, &uri, &session, error, |chrome, errors| {
            register_page(chrome, &form, &back, errors)
        })
        .await;
    }
    match open_session(&state, context, client, &session, &form.email, form.password).await {
        Ok(refresh_token) => Ok(signed_in(&state, &refresh_token, &back)),
        // The account exists; signing in is the visitor's next step.
        Err(_) => Ok(to_sign_in(&back)),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    retour: Option<String>,
}

/// Closes this browser's session (as the API's sign-out does) and forgets it.
async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    context: Context,
    client: ClientInfo,
    body: Bytes,
) -> PageResult {
    let (session, _): (WebSession, CsrfForm) = posted(&state, &headers, &body).await?;
    if let Some(user) = &session.user {
        sessions::logout(
            &state,
            crate::auth::origin(context.as_ref().map(|c| &c.0), &client),
            sessions::RefreshRequest {
                refresh_token: user.token.clone(),
            },
        )
        .await
        .or_page(&headers)?;
    }
    Ok(signed_out(&state))
}

// ------------------------------------------------------------ password reset

#[derive(Deserialize, Default)]
struct ForgotForm {
    #[serde(default)]
    email: String,
}

fn forgot_page(chrome: Chrome, email: &str) -> FormPage {
    let t = chrome.t;
    FormPage {
        title: t.forgot_title,
        intro: Some(t.forgot_intro),
        notice: None,
        errors: Vec::new(),
        action: "/mot-de-passe/oublie".to_owned(),
        hidden: Vec::new(),
        fields: vec![Field::new("email", t.email, "email", "email").value(email)],
        submit: t.send_link,
        links: vec![("/connexion".to_owned(), t.sign_in)],
        chrome,
    }
}

async fn forgot_form(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> PageResult {
    let session = visitor(&state, &headers).await?;
    let chrome = chrome(&state, &headers, &uri, &session).await?;
    let email = session.user.as_ref().map(|u| u.email.clone()).unwrap_or_default();
    let html = render(&forgot_page(chrome, &email), &headers)?;
    Ok(page(&state, &session, StatusCode::OK, html))
}

/// Asks for a reset link; the answer never tells whether an
/// account has this address.
async fn forgot(State(state): State<AppState>, headers: HeaderMap, uri: Uri, body: Bytes) -> PageResult {
    let (session, form): (WebSession, ForgotForm) = posted(&state, &headers, &body).await?;
    recovery::request_password_reset(&state, recovery::PasswordResetRequest { email: form.email })
        .await
        .or_page(&headers)?;
    let chrome = chrome(&state, &headers, &uri, &session).await?;
    let t = chrome.t;
    let html = render(
        &MessagePage {
            title: t.forgot_title,
            text: t.link_sent,
            link: ("/connexion".to_owned(), t.sign_in),
            chrome,
        },
        &headers,
    )?;
    Ok(page(&state, &session, StatusCode::OK, html))
}

#[derive(Deserialize, Default)]
struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    new_password: String,
}

fn reset_page(chrome: Chrome, token: &str, errors: &FormErrors) -> FormPage {
    let t = chrome.t;
    let mut fields = vec![
        Field::new("new_password", t.new_password, "password", "new-password")
            .max(128)
            .hint(t.password_hint),
    ];
    errors.mark(&mut fields);
    FormPage {
        title: t.reset_title,
        intro: None,
        notice: None,
        errors: errors.messages.clone(),
        action: "/mot-de-passe/nouveau".to_owned(),
        hidden: vec![("token", token.to_owned())],
        fields,
        submit: t.save_password,
        links: vec![("/mot-de-passe/oublie".to_owned(), t.forgot_password)],
        chrome,
    }
}

/// The link of the reset email: a form for the new password (the token is
/// only spent when the form is sent).
async fn reset_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let session = visitor(&state, &headers).await?;
    let token = query_param(raw.as_deref(), "token").unwrap_or_default();
    let chrome = chrome(&state, &headers, &uri, &session).await?;
    let errors = if token.is_empty() {
        FormErrors::one(chrome.t.link_invalid)
    } else {
        FormErrors::none()
    };
    let html = render(&reset_page(chrome, &token, &errors), &headers)?;
    Ok(page(&state, &session, StatusCode::OK, html))
}

async fn reset(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    context: Context,
    client: ClientInfo,
    body: Bytes,
) -> PageResult {
    let (session, form): (WebSession, ResetForm) = posted(&state, &headers, &body).await?;
    let answer = recovery::confirm_password_reset(
        &state,
        crate::auth::origin(context.as_ref().map(|c| &c.0), &client),
        recovery::PasswordResetConfirm {
            token: form.token.clone(),
            new_password: form.new_password,
        },
    )
    .await
    .map_err(ApiError::from);
    match answer {
        // Every session of the account is closed, this browser's too.
        Ok(_) => {
            let mut response = Redirect::to("/connexion?reinitialise=1").into_response();
            response
                .headers_mut()
                .append(header::SET_COOKIE, session::clear_cookie(session::AUTH_COOKIE));
            Ok(response)
        }
        Err(error) => {
            refused(&state, &headers, &uri, &session, error, |chrome, errors| {
                // A used or expired link is said as such, not as a field.
                if errors.fields.iter().any(|f| f == "token") {
                    let invalid = FormErrors::one(chrome.t.link_invalid);
                    reset_page(chrome, &form.token, &invalid)
                } else {
                    reset_page(chrome, &form.token, errors)
                }
            })
            .await
        }
    }
}

#[derive(Deserialize, Default)]
struct VerifyForm {
    #[serde(default)]
    token: String,
}

fn verify_page(chrome: Chrome, token: &str, errors: &FormErrors) -> FormPage {
    let t = chrome.t;
    FormPage {
        title: t.confirm_email_title,
        intro: None,
        notice: None,
        errors: errors.messages.clone(),
        action: "/compte/confirmer".to_owned(),
        hidden: vec![("token", token.to_owned())],
        fields: Vec::new(),
        submit: t.confirm_email,
        links: Vec::new(),
        chrome,
    }
}

/// The link of the confirmation email: a button, so that a mail scanner
/// following links does not spend the token.
async fn verify_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let session = visitor(&state, &headers).await?;
    let token = query_param(raw.as_deref(), "token").unwrap_or_default();
    let chrome = chrome(&state, &headers, &uri, &session).await?;
    let html = render(&verify_page(chrome, &token, &FormErrors::none()), &headers)?;
    Ok(page(&state, &session, StatusCode::OK, html))
}

async fn verify(State(state): State<AppState>, headers: HeaderMap, uri: Uri, body: Bytes) -> PageResult {
    let (session, form): (WebSession, VerifyForm) = posted(&state, &headers, &body).await?;
    let answer = recovery::confirm_email_verification(
        &state,
        recovery::EmailVerificationConfirm {
            token: form.token.clone(),
        },
    )
    .await
    .map_err(ApiError::from);
    let chrome = chrome(&state, &headers, &uri, &session).await?;
    let t = chrome.t;
    match answer {
        Ok(_) => {
            claim_orders(&state, &session).await.or_page(&headers)?;
            let html = render(
                &MessagePage {
                    title: t.confirm_email_title,
                    text: t.email_confirmed,
                    link: ("/compte".to_owned(), t.my_account),
                    chrome,
                },
                &headers,
            )?;
            Ok(page(&state, &session, StatusCode::OK, html))
        }
        Err(error) => {
            let (status, _) = FormErrors::of(error, &headers)?;
            let html = render(
                &verify_page(chrome, &form.token, &FormErrors::one(t.link_invalid)),
                &headers,
            )?;
            Ok(page(&state, &session, status, html))
        }
    }
}

/// Once a signed-in browser's account has confirmed its email, the guest
/// orders this browser placed under that email become the account's (the
/// rule of the API's sign-in).
async fn claim_orders(state: &AppState, session: &WebSession) -> Result<(), ApiError> {
    let (Some(user), Some((_, token))) = (&session.user, &session.cart) else {
        return Ok(());
    };
    let mut conn = state.db.acquire().await?;
    let claimed = comptoir_db::orders::claim_guest_orders(&mut conn, user.id, &secret_hash(token)).await?;
    if !claimed.is_empty() {
        tracing::info!(user_id = %user.id, orders = ?claimed, "guest orders joined the account");
    }
    Ok(())
}

// ------------------------------------------------------------ the account

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
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    line1: String,
    #[serde(default)]
    line2: String,
    #[serde(default)]
    postal_code: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    country: String,
    #[serde(default)]
    phone: String,
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
            first_name: address.first_name.clone(),
            last_name: address.last_name.clone(),
            line1: address.line1.clone(),
            line2: address.line2.clone().unwrap_or_default(),
            postal_code: address.postal_code.clone(),
            city: address.city.clone(),
            country: address.country.clone(),
            phone: address.phone.clone().unwrap_or_default(),
            default_shipping: address.is_default_shipping.then(|| "1".to_owned()),
        }
    }

    /// The API's request: every field, so that a field emptied here is
    /// emptied there.
    fn request(&self) -> addresses::AddressRequest {
        let optional = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        addresses::AddressRequest {
            label: optional(&self.label),
            first_name: Some(self.first_name.clone()),
            last_name: Some(self.last_name.clone()),
            line1: Some(self.line1.clone()),
            line2: optional(&self.line2),
            postal_code: Some(self.postal_code.clone()),
            city: Some(self.city.clone()),
            country: Some(if self.country.is_empty() {
                "FR".to_owned()
            } else {
                self.country.clone()
            }),
            phone: optional(&self.phone),
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

/// An id from the address; the 404 page when it is not one.
fn id_of(headers: &HeaderMap, raw: &str) -> Result<Uuid, PageError> {
    super::path_id(headers, raw, "page.not_found", "No such page.")
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

pub struct FavoriteRow {
    pub product_id: String,
    pub name: String,
    pub url: String,
    pub brand: String,
    pub price: String,
    pub image: Option<String>,
    pub available: bool,
}

#[derive(Template)]
#[template(path = "shop/favorites.html")]
struct FavoritesPage {
    chrome: Chrome,
    signed_in: bool,
    items: Vec<FavoriteRow>,
}

async fn favorites(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> PageResult {
    let session = visitor(&state, &headers).await?;
    let items = match &session.user {
        None => Vec::new(),
        Some(user) => {
            let list = favorites::list(&state, user.id).await.or_page(&headers)?;
            list.items
                .into_iter()
                .map(|f| FavoriteRow {
                    product_id: f.product_id.to_string(),
                    url: format!("/produits/{}", f.slug),
                    name: f.name,
                    brand: f.brand.unwrap_or_default(),
                    price: f.price_min_minor.map(euros).unwrap_or_default(),
                    image: f.image_urls.into_iter().next(),
                    available: f.available,
                })
                .collect()
        }
    };
    let chrome = chrome(&state, &headers, &uri, &session).await?;
    let html = render(
        &FavoritesPage {
            signed_in: session.user.is_some(),
            items,
            chrome,
        },
        &headers,
    )?;
    Ok(page(&state, &session, StatusCode::OK, html))
}

async fn add_favorite(state: State<AppState>, headers: HeaderMap, id: Path<String>, body: Bytes) -> PageResult {
    change_favorite(state, headers, id, body, true).await
}

async fn remove_favorite(state: State<AppState>, headers: HeaderMap, id: Path<String>, body: Bytes) -> PageResult {
    change_favorite(state, headers, id, body, false).await
}

/// Adds or removes a favourite, then goes back (a guest signs in first).
async fn change_favorite(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
    add: bool,
) -> PageResult {
    let (session, form): (WebSession, CsrfForm) = posted(&state, &headers, &body).await?;
    let id = id_of(&headers, &id)?;
    let back = form
        .retour
        .filter(|r| super::local_path(r))
        .unwrap_or_else(|| "/favoris".to_owned());
    let Some(user) = &session.user else {
        return Ok(to_sign_in(&back));
    };
    if add {
        favorites::add(&state, user.id, id).await.or_page(&headers)?;
    } else {
        favorites::remove(&state, user.id, id).await.or_page(&headers)?;
    }
    Ok(Redirect::to(&back).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_only_comes_back_to_this_site() {
        assert_eq!(back_to(Some("/panier")), "/panier");
        assert_eq!(back_to(Some("//evil.example")), "/compte");
        assert_eq!(back_to(Some("https://evil.example")), "/compte");
        assert_eq!(back_to(None), "/compte");
    }

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
