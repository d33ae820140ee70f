//! The form kit every page's form uses: fields with their errors in the
//! page's language, the CSRF check, reading a posted form, and the
//! message page a form may end on.

use super::i18n::Lang;
use super::session::WebSession;
use super::{Chrome, PageError, visitor};
use crate::app::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use comptoir_app::checkout::AddressInput;
use comptoir_app::identity::addresses::AddressView;
use serde::Deserialize;
use uuid::Uuid;

/// 403 page unless the form carries the session's CSRF token.
pub(super) fn check_csrf(
    state: &AppState,
    headers: &HeaderMap,
    session: &WebSession,
    form: Option<&str>,
) -> Result<(), PageError> {
    let sent = form.or_else(|| headers.get("x-csrf-token").and_then(|v| v.to_str().ok()));
    if session.csrf_ok(state, sent) {
        Ok(())
    } else {
        Err(PageError::new(
            headers,
            ApiError::new(
                StatusCode::FORBIDDEN,
                "page.csrf",
                "The form's token is missing or stale.",
            ),
        ))
    }
}

pub(super) fn is_htmx(headers: &HeaderMap) -> bool {
    headers.get("hx-request").is_some_and(|v| v == "true")
}

pub(super) fn bad_form(headers: &HeaderMap) -> PageError {
    PageError::new(
        headers,
        ApiError::bad_request("page.invalid_form", "The form was not filled in as expected."),
    )
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
    pub(super) fn new(name: &'static str, label: &'static str, kind: &'static str, autocomplete: &'static str) -> Self {
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

    pub(super) fn value(mut self, value: &str) -> Self {
        value.clone_into(&mut self.value);
        self
    }

    pub(super) fn hint(mut self, hint: &'static str) -> Self {
        self.hint = Some(hint);
        self
    }

    pub(super) fn max(mut self, max: u32) -> Self {
        self.max = max;
        self
    }
}

/// A page with one form: sign-in, sign-up, password reset, confirmation.
#[derive(Template)]
#[template(path = "shop/form.html")]
pub(super) struct FormPage {
    pub(super) chrome: Chrome,
    pub(super) title: &'static str,
    pub(super) intro: Option<&'static str>,
    pub(super) notice: Option<&'static str>,
    pub(super) errors: Vec<String>,
    pub(super) action: String,
    pub(super) hidden: Vec<(&'static str, String)>,
    pub(super) fields: Vec<Field>,
    pub(super) submit: &'static str,
    pub(super) links: Vec<(String, &'static str)>,
}

/// What went wrong, for a form: each invalid field with its label, and the
/// fields to mark.
pub(super) struct FormErrors {
    pub(super) messages: Vec<String>,
    pub(super) fields: Vec<String>,
}

impl FormErrors {
    pub(super) fn none() -> Self {
        Self {
            messages: Vec::new(),
            fields: Vec::new(),
        }
    }

    pub(super) fn one(message: &str) -> Self {
        Self {
            messages: vec![message.to_owned()],
            fields: Vec::new(),
        }
    }

    /// A refusal of the API as sentences; a server error is not a form's
    /// business and goes to the error page.
    pub(super) fn of(error: ApiError, headers: &HeaderMap) -> Result<(StatusCode, Self), PageError> {
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

    pub(super) fn mark(&self, fields: &mut [Field]) {
        for field in fields {
            field.invalid = self.fields.iter().any(|f| f == field.name);
        }
    }
}

/// A simple page: a title, a sentence and a way on.
#[derive(Template)]
#[template(path = "shop/message.html")]
pub(super) struct MessagePage {
    pub(super) chrome: Chrome,
    pub(super) title: &'static str,
    pub(super) text: &'static str,
    pub(super) link: (String, &'static str),
}

pub(super) fn query_param(raw: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// Where to go after signing in: a path of this site, else the account.
pub(super) fn back_to(retour: Option<&str>) -> String {
    retour.filter(|r| super::local_path(r)).unwrap_or("/compte").to_owned()
}

/// A posted form of a page, once its CSRF token checks out, with the
/// browser's session.
pub(super) async fn posted<F: serde::de::DeserializeOwned>(
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

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    #[serde(rename = "_csrf")]
    pub(super) csrf: Option<String>,
    pub(super) retour: Option<String>,
}

/// An id from the address; the 404 page when it is not one.
pub(super) fn id_of(headers: &HeaderMap, raw: &str) -> Result<Uuid, PageError> {
    super::path_id(headers, raw, "page.not_found", "No such page.")
}

/// A postal address as typed in a form, kept as typed when the form comes
/// back with errors: the checkout's delivery address and the address
/// book's entries are this one form (`#[serde(flatten)]` into theirs), so
/// both read, fill and check an address alike.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PostalForm {
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub line1: String,
    #[serde(default)]
    pub line2: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub phone: String,
}

impl PostalForm {
    /// A saved address, to start from.
    pub fn of(address: &AddressView) -> Self {
        Self {
            first_name: address.first_name.clone(),
            last_name: address.last_name.clone(),
            line1: address.line1.clone(),
            line2: address.line2.clone().unwrap_or_default(),
            postal_code: address.postal_code.clone(),
            city: address.city.clone(),
            country: address.country.clone(),
            phone: address.phone.clone().unwrap_or_default(),
        }
    }

    /// The country chosen; France when the form did not say.
    pub fn country_or_france(&self) -> &str {
        if self.country.is_empty() { "FR" } else { &self.country }
    }

    /// The address as the use cases take it (they check it).
    pub fn input(&self) -> AddressInput {
        AddressInput {
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            company: None,
            line1: self.line1.clone(),
            line2: optional(&self.line2),
            postal_code: self.postal_code.clone(),
            city: self.city.clone(),
            country: self.country.clone(),
            phone: optional(&self.phone),
        }
    }
}

/// A text field left blank is no value.
pub fn optional(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
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
}
