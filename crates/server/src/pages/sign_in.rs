//! Signing in and out, creating an account, a forgotten password and
//! confirming an email address.

use super::session::{self, WebSession};
use super::{Chrome, page, render, visitor};
use super::{OrPage, chrome};
use crate::app::AppState;
use crate::auth::ClientInfo;
use crate::error::ApiError;
use crate::http::RequestContext;
use crate::pages::PageResult;
use crate::pages::form::CsrfForm;
use crate::pages::form::Field;
use crate::pages::form::FormErrors;
use crate::pages::form::FormPage;
use crate::pages::form::MessagePage;
use crate::pages::form::back_to;
use crate::pages::form::posted;
use crate::pages::form::query_param;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use comptoir_app::identity::tokens::secret_hash;
use comptoir_app::identity::{recovery, sessions};
use serde::Deserialize;
use std::sync::Arc;

pub(super) type Context = Option<Extension<Arc<RequestContext>>>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/connexion", get(sign_in_form).post(sign_in))
        .route("/inscription", get(register_form).post(register))
        .route("/deconnexion", post(sign_out))
        .route("/mot-de-passe/oublie", get(forgot_form).post(forgot))
        .route("/mot-de-passe/nouveau", get(reset_form).post(reset))
        .route("/compte/confirmer", get(verify_form).post(verify))
}

pub(super) fn to_sign_in(back: &str) -> Response {
    let back: String = form_urlencoded::byte_serialize(back.as_bytes()).collect();
    Redirect::to(&format!("/connexion?retour={back}")).into_response()
}

/// The sign-in page, coming back here after.
pub(super) fn sign_in_first(uri: &Uri) -> Response {
    to_sign_in(uri.path_and_query().map_or("/compte", |p| p.as_str()))
}

/// Signs in through the same use case as the API's sign-in, with this
/// browser's cart token (its cart is merged, its guest orders claimed): the
/// session's refresh token, for the cookie.
pub(super) async fn open_session(
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

/// After signing in: the session's cookie, a new session id (so a CSRF
/// token seen before does not outlive the sign-in), and on to `back`.
pub(super) fn signed_in(state: &AppState, refresh_token: &str, back: &str) -> Response {
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
pub(super) fn signed_out(state: &AppState) -> Response {
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
pub(super) struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    retour: Option<String>,
}

pub(super) fn sign_in_page(
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

pub(super) async fn sign_in_form(
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
pub(super) async fn sign_in(
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
pub(super) async fn refused(
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
pub(super) struct RegisterForm {
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

pub(super) fn register_page(chrome: Chrome, form: &RegisterForm, back: &str, errors: &FormErrors) -> FormPage {
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

pub(super) async fn register_form(
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
pub(super) async fn register(
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

/// Closes this browser's session (as the API's sign-out does) and forgets it.
pub(super) async fn sign_out(
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
pub(super) struct ForgotForm {
    #[serde(default)]
    email: String,
}

pub(super) fn forgot_page(chrome: Chrome, email: &str) -> FormPage {
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

pub(super) async fn forgot_form(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> PageResult {
    let session = visitor(&state, &headers).await?;
    let chrome = chrome(&state, &headers, &uri, &session).await?;
    let email = session.user.as_ref().map(|u| u.email.clone()).unwrap_or_default();
    let html = render(&forgot_page(chrome, &email), &headers)?;
    Ok(page(&state, &session, StatusCode::OK, html))
}

/// Asks for a reset link; the answer never tells whether an
/// account has this address.
pub(super) async fn forgot(State(state): State<AppState>, headers: HeaderMap, uri: Uri, body: Bytes) -> PageResult {
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
pub(super) struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    new_password: String,
}

pub(super) fn reset_page(chrome: Chrome, token: &str, errors: &FormErrors) -> FormPage {
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
pub(super) async fn reset_form(
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

pub(super) async fn reset(
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
pub(super) struct VerifyForm {
    #[serde(default)]
    token: String,
}

pub(super) fn verify_page(chrome: Chrome, token: &str, errors: &FormErrors) -> FormPage {
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
pub(super) async fn verify_form(
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

pub(super) async fn verify(State(state): State<AppState>, headers: HeaderMap, uri: Uri, body: Bytes) -> PageResult {
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
pub(super) async fn claim_orders(state: &AppState, session: &WebSession) -> Result<(), ApiError> {
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
