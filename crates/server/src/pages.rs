//! The web pages, rendered on the server with askama templates
//! (`crates/server/templates`) over the same domain and db layers as the
//! API. htmx updates parts of a page (add to cart, filters, suggestions),
//! and every page still works without JavaScript: forms post and redirect.
//!
//! The framework here (layout, assets, language, session cookies and CSRF,
//! error pages) is what the shop at `/` uses now and `/admin` and `/pos`
//! will use later.

pub mod account;
pub mod assets;
pub mod cart;
pub mod catalog;
pub mod checkout;
pub mod favorites;
pub mod form;
pub mod i18n;
pub mod session;
pub mod sign_in;

use askama::Template;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;

use serde::Deserialize;

use self::cart::session_cart;
use self::i18n::{Lang, Texts};
use self::session::WebSession;
use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::Path;

/// Every page route; mounted beside the API.
pub fn router() -> Router<AppState> {
    catalog::routes()
        .merge(cart::routes())
        .merge(checkout::routes())
        .merge(sign_in::routes())
        .merge(account::routes())
        .merge(favorites::routes())
        .route("/langue/{code}", get(switch_language))
        .route("/assets/{file}", get(assets::serve))
}

/// What the layout shows around every page: language, the session's CSRF
/// token, the cart badge, the search box and the assets' hashed paths.
pub struct Chrome {
    pub lang: Lang,
    pub t: &'static Texts,
    pub csrf: String,
    pub cart_count: i64,
    /// The signed-in account's first name.
    pub signed_in: Option<String>,
    /// What the search box holds.
    pub q: String,
    /// The page's own path and query, for the language switcher.
    pub here: String,
    pub css: &'static str,
    pub htmx: &'static str,
    /// Our own script: htmx's errors shown to the shopper.
    pub script: &'static str,
    pub icons: &'static str,
}

impl Chrome {
    pub fn new(state: &AppState, headers: &HeaderMap, session: &WebSession, uri: &Uri, cart_count: i64) -> Self {
        let lang = Lang::of(headers);
        Self {
            lang,
            t: lang.texts(),
            csrf: session.csrf(state),
            cart_count,
            signed_in: session.user.as_ref().map(|u| u.first_name.clone()),
            q: String::new(),
            here: uri.path_and_query().map_or("/", |p| p.as_str()).to_owned(),
            css: assets::path("shop.css"),
            htmx: assets::path("htmx.min.js"),
            script: assets::path("shop.js"),
            icons: assets::path("icons.svg"),
        }
    }

    /// The link that switches language and comes back here.
    pub fn switch_href(&self) -> String {
        let back: String = form_urlencoded::byte_serialize(self.here.as_bytes()).collect();
        format!("/langue/{}?retour={back}", self.lang.other().code())
    }
}

/// A path of this site, to go back to (not `//host` or `/\\host`, which
/// browsers read as another site; browsers drop tabs and newlines, so
/// "/\t/host" is "//host" too).
pub fn local_path(url: &str) -> bool {
    url.starts_with('/')
        && !url.starts_with("//")
        && !url.contains('\\')
        && !url.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// What pages may load: their own scripts and styles only (no inline
/// script anywhere), images from anywhere over https (product photos).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' https: data:; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The browser's session and the account it is signed in to, or an error
/// page when the database cannot tell.
pub async fn visitor(state: &AppState, headers: &HeaderMap) -> Result<WebSession, PageError> {
    WebSession::load(state, headers)
        .await
        .map_err(|e| PageError::new(headers, e))
}

/// A rendered page, with the session cookie when the session is new (and
/// without a sign-in cookie that no longer signs in).
pub fn page(state: &AppState, session: &WebSession, status: StatusCode, html: String) -> Response {
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    // Pages show the cart and the session's token: never shared; a
    // signed-in visitor's pages (name, addresses, orders) are not kept.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if session.user.is_some() {
            "private, no-store"
        } else {
            "private, no-cache"
        }),
    );
    headers.insert(
        header::VARY,
        HeaderValue::from_static("Cookie, Accept-Language, HX-Request"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    if session.new_sid {
        headers.append(
            header::SET_COOKIE,
            session::set_cookie(state, session::SID_COOKIE, &session.sid),
        );
    }
    if session.stale_auth {
        headers.append(header::SET_COOKIE, session::clear_cookie(session::AUTH_COOKIE));
    }
    response
}

/// An error shown as a page: its title and text in the visitor's language,
/// and for a server error, the request id to quote to support. Never a
/// stack trace.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    t: &'static Texts,
    lang: &'static str,
    css: &'static str,
    status: u16,
    title: &'a str,
    text: &'a str,
    request_id: Option<String>,
}

pub struct PageError {
    lang: Lang,
    error: ApiError,
}

impl PageError {
    pub fn new(headers: &HeaderMap, error: impl Into<ApiError>) -> Self {
        Self {
            lang: Lang::of(headers),
            error: error.into(),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.error.status();
        let page = error_page(
            self.lang,
            status,
            self.error.code(),
            crate::telemetry::current_request_id(),
        );
        // The cause of a server error goes to the log with the request id.
        if status.is_server_error() {
            let _logged = self.error.into_response();
        }
        page
    }
}

/// The error page for a status (and the refusal's code, when it says
/// more: a stale form), in the visitor's language.
fn error_page(lang: Lang, status: StatusCode, code: &str, request_id: Option<String>) -> Response {
    let t = lang.texts();
    let (title, text) = match status {
        StatusCode::NOT_FOUND => (t.not_found_title, t.not_found_text),
        _ if code == "page.csrf" => (t.bad_request_title, t.stale_form),
        StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED => (t.forbidden_title, t.forbidden_text),
        s if s.is_server_error() => (t.server_error_title, t.server_error_text),
        _ => (t.bad_request_title, t.invalid_input),
    };
    let page = ErrorPage {
        t,
        lang: lang.code(),
        css: assets::path("shop.css"),
        status: status.as_u16(),
        title,
        text,
        request_id,
    };
    let html = page.render().unwrap_or_else(|_| title.to_owned());
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    response
}

/// The language of the error page a browser should get for this request,
/// were its answer an error no page wrote: a page's address (not the API,
/// its docs, health or metrics) asked for as HTML.
pub fn page_language(request: &axum::extract::Request) -> Option<Lang> {
    let path = request.uri().path();
    let elsewhere = ["/api/", "/health/", "/metrics", "/docs", "/redoc"]
        .iter()
        .any(|prefix| path.starts_with(prefix));
    // htmx asks with `*/*`: its requests want the page's error too, whose
    // message shop.js shows.
    let html = request.headers().contains_key("hx-request")
        || request
            .headers()
            .get(header::ACCEPT)
            .is_some_and(|accept| accept.as_bytes().windows(9).any(|w| w == b"text/html"));
    (html && !elsewhere).then(|| Lang::of(request.headers()))
}

/// [`page_language`] as the middleware's hook names it: the language's code.
pub fn page_language_code(request: &axum::extract::Request) -> Option<&'static str> {
    page_language(request).map(Lang::code)
}

/// [`as_error_page`] as the middleware's hook calls it, with the code
/// [`page_language_code`] gave.
pub fn as_error_page_in(code: &'static str, response: Response, request_id: &str) -> Response {
    as_error_page(Lang::parse(code).unwrap_or(Lang::Fr), response, request_id)
}

/// A problem document that the framework wrote for a page (a panic, a
/// timeout, a method or a body the route refuses, an address it cannot
/// parse), as the error page with the request's id; its cause was logged
/// where it happened.
pub fn as_error_page(lang: Lang, response: Response, request_id: &str) -> Response {
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/problem+json"));
    if !is_problem {
        return response;
    }
    let mut page = error_page(lang, response.status(), "", Some(request_id.to_owned()));
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(value) = response.headers().get(&name) {
            page.headers_mut().insert(name, value.clone());
        }
    }
    page
}

/// Renders a template, or a server error page.
pub fn render<T: Template>(template: &T, headers: &HeaderMap) -> Result<String, PageError> {
    // askama's own hint is the templates' text alone; a listing is 15 KB
    // once its loops have run, and each growth to it copies the page.
    let mut html = String::with_capacity(T::SIZE_HINT.max(16 * 1024));
    template
        .render_into(&mut html)
        .map_err(|e| PageError::new(headers, ApiError::internal(e)))?;
    Ok(html)
}

/// A field the API refused, as the page says it: the field's label, then
/// what is wrong with it, in English in the API's own words (they say
/// more), in French by the refusal's code.
pub fn field_sentence(lang: Lang, field: &str, code: &str, message: &str) -> String {
    let t = lang.texts();
    if code == "stock.insufficient" {
        return t.not_enough_stock.to_owned();
    }
    if field.starts_with("lines.") {
        return t.line_gone.to_owned();
    }
    let name = if field.starts_with("payment_method") {
        "payment_method"
    } else {
        field.rsplit('.').next().unwrap_or(field)
    };
    let label = match name {
        "email" => t.email,
        "password" => t.password,
        "new_password" => t.new_password,
        "first_name" => t.first_name,
        "last_name" => t.last_name,
        "phone" => t.phone,
        "line1" => t.address,
        "line2" => t.address_more,
        "postal_code" => t.postal_code,
        "city" => t.city,
        "country" => t.country,
        "label" => t.address_label,
        "token" => t.link_invalid,
        "shipping_option_id" => t.shipping_estimate,
        "payment_method" => t.payment,
        other => other,
    };
    let what = match (lang, code) {
        (Lang::En, _) => message,
        (Lang::Fr, "required" | "empty") => "à renseigner",
        (Lang::Fr, "too_long" | "invalid_length" | "password.too_long") => "trop long",
        (Lang::Fr, "password.too_short") => "trop court : 12 caractères au moins",
        (Lang::Fr, "password.too_guessable") => {
            "trop facile à deviner ; quelques mots sans rapport entre eux en font un solide"
        }
        (Lang::Fr, "taken") => "déjà utilisé",
        (Lang::Fr, "out_of_range") => "hors des limites permises",
        (Lang::Fr, "unavailable") => "indisponible pour cette commande",
        (Lang::Fr, _) => "à corriger",
    };
    format!("{label}{}{what}", t.colon)
}

/// An id from the address; the 404 page `code` names when it is not one
/// (as when no such thing exists: a malformed id tells nothing more).
pub fn path_id(
    headers: &HeaderMap,
    raw: &str,
    code: &'static str,
    detail: &'static str,
) -> Result<uuid::Uuid, PageError> {
    raw.parse()
        .map_err(|_| PageError::new(headers, ApiError::not_found(code, detail)))
}

/// The answer for a path no route has: a problem under `/api/`, a page
/// elsewhere.
pub async fn not_found(uri: Uri, headers: HeaderMap) -> Response {
    if uri.path().starts_with("/api/") {
        return crate::error::problem_for_status(StatusCode::NOT_FOUND).into_response();
    }
    PageError::new(&headers, ApiError::not_found("page.not_found", "No such page.")).into_response()
}

/// What a page handler answers: the page, or an error page.
pub type PageResult = Result<Response, PageError>;

/// Runs a step of a page, turning its error into an error page.
pub(super) trait OrPage<T> {
    fn or_page(self, headers: &HeaderMap) -> Result<T, PageError>;
}

impl<T, E: Into<ApiError>> OrPage<T> for Result<T, E> {
    fn or_page(self, headers: &HeaderMap) -> Result<T, PageError> {
        self.map_err(|e| PageError::new(headers, e.into()))
    }
}

/// The layout of a page for this request, with the cart badge.
pub(super) async fn chrome(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    session: &WebSession,
) -> Result<Chrome, PageError> {
    let count = session_cart(state, session)
        .await
        .or_page(headers)?
        .map_or(0, |c| c.item_count);
    Ok(Chrome::new(state, headers, session, uri, count))
}

#[derive(Deserialize)]
struct SwitchQuery {
    retour: Option<String>,
}

/// Sets the language cookie and goes back where the visitor was (a path
/// of this site only).
async fn switch_language(State(state): State<AppState>, Path(code): Path<String>, RawQuery(raw): RawQuery) -> Response {
    let back = serde_urlencoded::from_str::<SwitchQuery>(raw.as_deref().unwrap_or_default())
        .ok()
        .and_then(|q| q.retour)
        .filter(|r| local_path(r))
        .unwrap_or_else(|| "/".to_owned());
    let mut response = Redirect::to(&back).into_response();
    if let Some(lang) = i18n::Lang::parse(&code) {
        response.headers_mut().append(
            header::SET_COOKIE,
            self::session::set_cookie(&state, "lang", lang.code()),
        );
    }
    response
}
