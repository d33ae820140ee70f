//! Attribute types, defined by administrators at run time, and the check
//! of a value against one (for forms and integrations).

use axum::Extension;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use comptoir_db::Optional;
use comptoir_db::catalog::{self as db, AttributeType};
use comptoir_domain::catalog::attributes::{AttributeFormat, AttributeKind, AttributeRule};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};
use uuid::Uuid;

use super::{CatalogChange, IfMatch, State, acting, catalog_reader, catalog_writer, versioned};
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::extract::{Json, Path};
use crate::http::RequestContext;
use comptoir_app::catalog::rules::spec_of;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AttributeTypeView {
    pub id: Uuid,
    /// The code used in products' `attributes` and in `attr.{name}=` filters.
    #[schema(example = "wood_type")]
    pub name: String,
    #[schema(example = "Essence de bois")]
    pub label: String,
    /// `text`, `integer`, `decimal`, `boolean`, `enum`, `list` or `date`.
    #[schema(example = "enum")]
    pub kind: String,
    /// A built-in check for text and lists: `ean13`, `email`, `url`, `iso_country`.
    pub format: Option<String>,
    /// A regular expression (Rust `regex` syntax) the whole value must match.
    pub pattern: Option<String>,
    /// Bounds: the value of numbers, the length of texts, the item count of lists.
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub allowed_values: Vec<String>,
    #[schema(example = "L")]
    pub unit: Option<String>,
    /// Shipped with Comptoir as an example.
    pub built_in: bool,
    pub version: i32,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<AttributeType> for AttributeTypeView {
    fn from(t: AttributeType) -> Self {
        Self {
            id: t.id,
            name: t.name,
            label: t.label,
            kind: t.kind,
            format: t.format,
            pattern: t.pattern,
            min: t.min_value,
            max: t.max_value,
            allowed_values: t.allowed_values,
            unit: t.unit,
            built_in: t.built_in,
            version: t.version,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AttributeTypeList {
    pub items: Vec<AttributeTypeView>,
}

/// A new attribute type, or the fields to change. On `PATCH`, absent fields
/// stay and `null` clears an optional one; `name` cannot change (products
/// store their values under it), nor can `kind` once a category uses it.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttributeTypeRequest {
    // parse_code: 1 to 60 lowercase letters, digits or '_', starting with a letter.
    #[schema(example = "previous_content", max_length = 60, pattern = r"^[a-z][a-z0-9_]*$")]
    pub name: Option<String>,
    // parse_title: 1 to 200 characters, no control characters.
    #[schema(
        example = "Contenu précédent",
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*$"
    )]
    pub label: Option<String>,
    #[schema(schema_with = kind_schema)]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[schema(schema_with = format_schema)]
    pub format: Option<Option<String>>,
    /// A regular expression (Rust `regex` syntax) the whole value must
    /// match; text and list attributes only.
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 256)] // MAX_PATTERN_LEN
    pub pattern: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[schema(value_type = Option<f64>)]
    pub min: Option<Option<f64>>,
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[schema(value_type = Option<f64>)]
    pub max: Option<Option<f64>>,
    /// Enum and list attributes only: each value 1 to 100 characters,
    /// without `|` or `,`.
    // MAX_ALLOWED_VALUES; the items' length and pattern as AttributeRule::compile checks them.
    #[schema(max_items = 200, min_length = 1, max_length = 100, pattern = r"^[^|,]*$")]
    pub allowed_values: Option<Vec<String>>,
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[schema(value_type = Option<String>, max_length = 20)]
    pub unit: Option<Option<String>>,
}

/// `kind` as the document states it: an [`AttributeKind`], or `null`
/// (unchanged).
fn kind_schema() -> Object {
    one_of_or_null(AttributeKind::ALL.map(AttributeKind::as_str))
}

/// `format` as the document states it: an [`AttributeFormat`], or `null`
/// (none).
fn format_schema() -> Object {
    one_of_or_null(AttributeFormat::ALL.map(AttributeFormat::as_str))
}

fn one_of_or_null<const N: usize>(values: [&'static str; N]) -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(values.into_iter().map(Some).chain([None])))
        .build()
}

/// Every attribute type, built-in examples included.
#[utoipa::path(
    get,
    path = "/api/v1/admin/attribute-types",
    tag = "catalog",
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, body = AttributeTypeList),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
    )
)]
pub async fn list_attribute_types(state: State, caller: Caller) -> Result<Json<AttributeTypeList>, ApiError> {
    catalog_reader(&caller)?;
    let mut conn = state.db.acquire().await?;
    let items = db::list_attribute_types(&mut conn)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(AttributeTypeList { items }))
}

/// Applies the request and checks the whole definition; every problem is
/// reported.
fn apply(request: AttributeTypeRequest, t: &mut AttributeType, in_use: bool) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if let Some(label) = request.label {
        match comptoir_domain::catalog::parse_title(&label) {
            Ok(label) => t.label = label,
            Err(message) => errors.push(FieldError::new("label", "invalid", message)),
        }
    }
    if let Some(kind) = request.kind {
        match AttributeKind::parse(&kind) {
            Ok(kind) if in_use && kind.as_str() != t.kind => errors.push(FieldError::new(
                "kind",
                "in_use",
                "categories use this type: its kind cannot change",
            )),
            Ok(kind) => kind.as_str().clone_into(&mut t.kind),
            Err(message) => errors.push(FieldError::new("kind", "invalid", message)),
        }
    }
    if let Some(format) = request.format {
        match format.as_deref().map(AttributeFormat::parse).transpose() {
            Ok(format) => t.format = format.map(|f| f.as_str().to_owned()),
            Err(message) => errors.push(FieldError::new("format", "invalid", message)),
        }
    }
    if let Some(pattern) = request.pattern {
        t.pattern = pattern;
    }
    if let Some(min) = request.min {
        t.min_value = min;
    }
    if let Some(max) = request.max {
        t.max_value = max;
    }
    if let Some(values) = request.allowed_values {
        t.allowed_values = values.into_iter().map(|v| v.trim().to_owned()).collect();
    }
    if let Some(unit) = request.unit {
        match unit.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()) {
            Some(u) if u.chars().count() > 20 => {
                errors.push(FieldError::new("unit", "too_long", "at most 20 characters"))
            }
            unit => t.unit = unit,
        }
    }
    if t.kind.is_empty() {
        errors.push(FieldError::new("kind", "required", "is required"));
    } else if let Err(violations) = AttributeRule::compile(&spec_of(t)) {
        errors.extend(violations.into_iter().map(|v| {
            let field = match v.field {
                "min" | "max" | "pattern" | "format" | "kind" | "allowed_values" => v.field,
                _ => "kind",
            };
            FieldError::new(field, v.code, v.message)
        }));
    }
    ApiError::unless_valid(errors)
}

/// An attribute code: lowercase ASCII letters, digits and `_`, starting with
/// a letter, at most 60 characters (it appears in query strings).
fn parse_code(raw: &str) -> Result<String, &'static str> {
    let code = raw.trim();
    let valid = (1..=60).contains(&code.len())
        && code.starts_with(|c: char| c.is_ascii_lowercase())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if valid {
        Ok(code.to_owned())
    } else {
        Err("a name has 1 to 60 lowercase letters, digits or '_', starting with a letter, such as wood_type")
    }
}

/// Defines a new attribute type; no migration needed.
#[utoipa::path(
    post,
    path = "/api/v1/admin/attribute-types",
    tag = "catalog",
    security(("bearer" = []), ("api_key" = [])),
    request_body = AttributeTypeRequest,
    responses(
        (status = 201, body = AttributeTypeView, headers(("ETag" = String, description = "The version"))),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 422, description = "Invalid definition (a bad pattern, min above max...) or a taken name", body = crate::error::Problem),
    )
)]
pub async fn create_attribute_type(
    state: State,
    caller: Caller,
    context: Option<Extension<std::sync::Arc<RequestContext>>>,
    Json(mut request): Json<AttributeTypeRequest>,
) -> Result<Response, ApiError> {
    let actor = catalog_writer(&caller)?;
    let name = match request.name.take().as_deref().map(parse_code) {
        Some(Ok(name)) => name,
        Some(Err(message)) => return Err(ApiError::validation(vec![FieldError::new("name", "invalid", message)])),
        None => {
            return Err(ApiError::validation(vec![FieldError::new(
                "name",
                "required",
                "is required",
            )]));
        }
    };
    let now = OffsetDateTime::now_utc();
    let mut t = AttributeType {
        id: Uuid::now_v7(),
        label: name.clone(),
        name,
        kind: String::new(),
        format: None,
        pattern: None,
        min_value: None,
        max_value: None,
        allowed_values: Vec::new(),
        unit: None,
        built_in: false,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    apply(request, &mut t, false)?;
    let mut change = CatalogChange::begin(&state, acting(actor, context.as_deref())).await?;
    let tx = change.conn();
    let t = db::save_attribute_type(tx, &t).await.map_err(name_conflict)?;
    change
        .commit(
            "catalog.attribute_type.created",
            ("attribute_type", t.id),
            json!({"name": t.name}),
        )
        .await?;
    Ok(versioned(StatusCode::CREATED, t.version, AttributeTypeView::from(t)))
}

fn name_conflict(err: comptoir_db::Error) -> ApiError {
    match &err {
        comptoir_db::Error::Conflict { constraint } if constraint == db::ATTRIBUTE_NAME_TAKEN => ApiError::validation(
            vec![FieldError::new("name", "taken", "another attribute type has this name")],
        ),
        _ => err.into(),
    }
}

fn type_not_found() -> ApiError {
    ApiError::not_found("catalog.attribute_type_not_found", "No such attribute type.")
}

/// One attribute type, with its version in `ETag`.
#[utoipa::path(
    get,
    path = "/api/v1/admin/attribute-types/{id}",
    tag = "catalog",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = AttributeTypeView, headers(("ETag" = String, description = "The version"))),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
    )
)]
pub async fn get_attribute_type(state: State, caller: Caller, Path(id): Path<Uuid>) -> Result<Response, ApiError> {
    catalog_reader(&caller)?;
    let mut conn = state.db.acquire().await?;
    let t = db::attribute_type_for_update(&mut conn, id)
        .await?
        .ok_or_else(type_not_found)?;
    Ok(versioned(StatusCode::OK, t.version, AttributeTypeView::from(t)))
}

/// Changes an attribute type's label, rule or allowed values.
#[utoipa::path(
    patch,
    path = "/api/v1/admin/attribute-types/{id}",
    tag = "catalog",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The version you edited")),
    request_body = AttributeTypeRequest,
    responses(
        (status = 200, body = AttributeTypeView, headers(("ETag" = String, description = "The new version"))),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 412, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    )
)]
pub async fn update_attribute_type(
    state: State,
    caller: Caller,
    if_match: IfMatch,
    context: Option<Extension<std::sync::Arc<RequestContext>>>,
    Path(id): Path<Uuid>,
    Json(request): Json<AttributeTypeRequest>,
) -> Result<Response, ApiError> {
    let actor = catalog_writer(&caller)?;
    let mut change = CatalogChange::begin(&state, acting(actor, context.as_deref())).await?;
    let tx = change.conn();
    let mut t = db::attribute_type_for_update(tx, id)
        .await?
        .ok_or_else(type_not_found)?;
    if_match.check(t.version)?;
    if request.name.as_ref().is_some_and(|name| name != &t.name) {
        return Err(ApiError::validation(vec![FieldError::new(
            "name",
            "immutable",
            "products store their values under this name: create another type instead",
        )]));
    }
    let in_use = db::attribute_type_in_use(tx, id).await? > 0;
    apply(request, &mut t, in_use)?;
    let t = db::save_attribute_type(tx, &t).await?;
    change
        .commit(
            "catalog.attribute_type.updated",
            ("attribute_type", t.id),
            json!({"version": t.version}),
        )
        .await?;
    Ok(versioned(StatusCode::OK, t.version, AttributeTypeView::from(t)))
}

/// Deletes a type no category uses (409 `catalog.attribute_type_in_use`
/// otherwise).
#[utoipa::path(
    delete,
    path = "/api/v1/admin/attribute-types/{id}",
    tag = "catalog",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The version you saw")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem),
        (status = 412, body = crate::error::Problem),
    )
)]
pub async fn delete_attribute_type(
    state: State,
    caller: Caller,
    if_match: IfMatch,
    context: Option<Extension<std::sync::Arc<RequestContext>>>,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let actor = catalog_writer(&caller)?;
    let mut change = CatalogChange::begin(&state, acting(actor, context.as_deref())).await?;
    let tx = change.conn();
    let t = db::attribute_type_for_update(tx, id)
        .await?
        .ok_or_else(type_not_found)?;
    if_match.check(t.version)?;
    let uses = db::attribute_type_in_use(tx, id).await?;
    if uses > 0 {
        return Err(ApiError::conflict(
            "catalog.attribute_type_in_use",
            format!("{uses} categories use this attribute type; remove it from them first."),
        ));
    }
    db::delete_attribute_type(tx, id).await?;
    change
        .commit(
            "catalog.attribute_type.deleted",
            ("attribute_type", id),
            json!({"name": t.name}),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidateRequest {
    /// The value to check, as a product would store it (a number may also
    /// be sent as text).
    #[schema(example = json!(225))]
    pub value: Value,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ValueProblem {
    /// `invalid_type`, `pattern_mismatch`, `invalid_format`, `not_allowed`,
    /// `too_small`, `too_large`, `too_long`, `duplicate`...
    pub code: String,
    pub message: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ValidateResponse {
    pub valid: bool,
    pub errors: Vec<ValueProblem>,
    /// The value as it would be stored, when valid.
    pub normalized: Option<Value>,
}

/// Checks a value against an attribute type, as a product write would.
/// Anyone may ask: forms check fields as they are typed.
#[utoipa::path(
    post,
    path = "/api/v1/attribute-types/{id}/validate",
    tag = "catalog",
    params(("id" = Uuid, Path)),
    request_body = ValidateRequest,
    responses(
        (status = 200, description = "Whether the value is valid, and why not", body = ValidateResponse),
        (status = 404, body = crate::error::Problem),
        (status = 422, description = "No `value` in the body", body = crate::error::Problem),
    )
)]
pub async fn validate_value(
    state: State,
    Path(id): Path<Uuid>,
    Json(request): Json<ValidateRequest>,
) -> Result<Json<ValidateResponse>, ApiError> {
    let mut conn = state.db.acquire().await?;
    let t = db::get_attribute_type(&mut conn, id)
        .await
        .optional()?
        .ok_or_else(type_not_found)?;
    let outcome = state.catalog_rules.rule(&t).and_then(|rule| rule.check(&request.value));
    Ok(Json(match outcome {
        Ok(normalized) => ValidateResponse {
            valid: true,
            errors: Vec::new(),
            normalized: Some(normalized),
        },
        Err(violations) => ValidateResponse {
            valid: false,
            errors: violations
                .into_iter()
                .map(|v| ValueProblem {
                    code: v.code.to_owned(),
                    message: v.message,
                })
                .collect(),
            normalized: None,
        },
    }))
}
