//! Attribute definitions: which attribute types a category's products
//! carry (and those of the categories below it), required or not,
//! filterable or not.

use axum::Extension;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use comptoir_db::catalog::{self as db, AttributeDefinition};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{CatalogChange, IfMatch, State, acting, catalog_reader, catalog_writer, versioned};
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::extract::{Json, Path, Query};
use crate::http::RequestContext;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DefinitionView {
    pub id: Uuid,
    pub category_id: Uuid,
    pub attribute_type_id: Uuid,
    /// Products of the category must give a value.
    pub required: bool,
    /// Shoppers may filter on it (`attr.{name}=`) and see its facet.
    pub filterable: bool,
    pub position: i32,
    pub version: i32,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<AttributeDefinition> for DefinitionView {
    fn from(d: AttributeDefinition) -> Self {
        Self {
            id: d.id,
            category_id: d.category_id,
            attribute_type_id: d.attribute_type_id,
            required: d.required,
            filterable: d.filterable,
            position: d.position,
            version: d.version,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DefinitionList {
    pub items: Vec<DefinitionView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DefinitionFilter {
    /// Only the definitions of this category.
    pub category_id: Option<Uuid>,
}

/// A new definition (`category_id` and `attribute_type_id` required), or
/// the flags to change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DefinitionRequest {
    pub category_id: Option<Uuid>,
    pub attribute_type_id: Option<Uuid>,
    pub required: Option<bool>,
    pub filterable: Option<bool>,
    pub position: Option<i32>,
}

/// The attribute definitions, all or one category's.
#[utoipa::path(
    get,
    path = "/api/v1/admin/attribute-definitions",
    tag = "catalog",
    security(("bearer" = []), ("api_key" = [])),
    params(DefinitionFilter),
    responses(
        (status = 200, body = DefinitionList),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    )
)]
pub async fn list_definitions(
    state: State,
    caller: Caller,
    Query(filter): Query<DefinitionFilter>,
) -> Result<Json<DefinitionList>, ApiError> {
    catalog_reader(&caller)?;
    let mut conn = state.db.acquire().await?;
    let items = db::list_definitions(&mut conn)
        .await?
        .into_iter()
        .filter(|d| filter.category_id.is_none_or(|c| c == d.category_id))
        .map(Into::into)
        .collect();
    Ok(Json(DefinitionList { items }))
}

/// Attaches an attribute type to a category (and the categories below it).
#[utoipa::path(
    post,
    path = "/api/v1/admin/attribute-definitions",
    tag = "catalog",
    security(("bearer" = []), ("api_key" = [])),
    request_body = DefinitionRequest,
    responses(
        (status = 201, body = DefinitionView, headers(("ETag" = String, description = "The version"))),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 422, description = "Unknown category or type, or the type is already attached", body = crate::error::Problem),
    )
)]
pub async fn create_definition(
    state: State,
    caller: Caller,
    context: Option<Extension<std::sync::Arc<RequestContext>>>,
    Json(request): Json<DefinitionRequest>,
) -> Result<Response, ApiError> {
    let actor = catalog_writer(&caller)?;
    let mut errors = Vec::new();
    if request.category_id.is_none() {
        errors.push(FieldError::new("category_id", "required", "is required"));
    }
    if request.attribute_type_id.is_none() {
        errors.push(FieldError::new("attribute_type_id", "required", "is required"));
    }
    ApiError::unless_valid(errors)?;
    let now = OffsetDateTime::now_utc();
    let definition = AttributeDefinition {
        id: Uuid::now_v7(),
        category_id: request.category_id.unwrap_or_default(),
        attribute_type_id: request.attribute_type_id.unwrap_or_default(),
        required: request.required.unwrap_or(false),
        filterable: request.filterable.unwrap_or(false),
        position: request.position.unwrap_or(0),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let mut change = CatalogChange::begin(&state, acting(actor, context.as_deref())).await?;
    let tx = change.conn();
    let definition = db::save_definition(tx, &definition).await.map_err(|err| match &err {
        comptoir_db::Error::Conflict { constraint } if constraint == db::DEFINITION_TAKEN => {
            ApiError::validation(vec![FieldError::new(
                "attribute_type_id",
                "taken",
                "this type is already attached to this category",
            )])
        }
        comptoir_db::Error::ForeignKey { constraint } => {
            let field = if constraint.contains("category") {
                "category_id"
            } else {
                "attribute_type_id"
            };
            ApiError::validation(vec![FieldError::new(
                field,
                "not_found",
                "no such category or attribute type",
            )])
        }
        _ => err.into(),
    })?;
    change
        .commit(
            "catalog.attribute_definition.created",
            ("attribute_definition", definition.id),
            json!({"category_id": definition.category_id, "attribute_type_id": definition.attribute_type_id}),
        )
        .await?;
    Ok(versioned(
        StatusCode::CREATED,
        definition.version,
        DefinitionView::from(definition),
    ))
}

fn definition_not_found() -> ApiError {
    ApiError::not_found(
        "catalog.attribute_definition_not_found",
        "No such attribute definition.",
    )
}

/// Changes whether a definition is required or filterable, or its position.
#[utoipa::path(
    patch,
    path = "/api/v1/admin/attribute-definitions/{id}",
    tag = "catalog",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The version you edited")),
    request_body = DefinitionRequest,
    responses(
        (status = 200, body = DefinitionView, headers(("ETag" = String, description = "The new version"))),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 412, body = crate::error::Problem),
        (status = 422, description = "The category or the type cannot change", body = crate::error::Problem),
    )
)]
pub async fn update_definition(
    state: State,
    caller: Caller,
    if_match: IfMatch,
    context: Option<Extension<std::sync::Arc<RequestContext>>>,
    Path(id): Path<Uuid>,
    Json(request): Json<DefinitionRequest>,
) -> Result<Response, ApiError> {
    let actor = catalog_writer(&caller)?;
    let mut change = CatalogChange::begin(&state, acting(actor, context.as_deref())).await?;
    let tx = change.conn();
    let mut definition = db::definition_for_update(tx, id)
        .await?
        .ok_or_else(definition_not_found)?;
    if_match.check(definition.version)?;
    let mut errors = Vec::new();
    if request.category_id.is_some_and(|c| c != definition.category_id) {
        errors.push(FieldError::new(
            "category_id",
            "immutable",
            "delete and create the definition instead",
        ));
    }
    if request
        .attribute_type_id
        .is_some_and(|t| t != definition.attribute_type_id)
    {
        errors.push(FieldError::new(
            "attribute_type_id",
            "immutable",
            "delete and create the definition instead",
        ));
    }
    ApiError::unless_valid(errors)?;
    definition.required = request.required.unwrap_or(definition.required);
    definition.filterable = request.filterable.unwrap_or(definition.filterable);
    definition.position = request.position.unwrap_or(definition.position);
    let definition = db::save_definition(tx, &definition).await?;
    change
        .commit(
            "catalog.attribute_definition.updated",
            ("attribute_definition", definition.id),
            json!({"required": definition.required, "filterable": definition.filterable}),
        )
        .await?;
    Ok(versioned(
        StatusCode::OK,
        definition.version,
        DefinitionView::from(definition),
    ))
}

/// Detaches a type from a category. Products keep the values they have;
/// their next write drops what no longer applies only if it is sent again.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/attribute-definitions/{id}",
    tag = "catalog",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The version you saw")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 412, body = crate::error::Problem),
    )
)]
pub async fn delete_definition(
    state: State,
    caller: Caller,
    if_match: IfMatch,
    context: Option<Extension<std::sync::Arc<RequestContext>>>,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let actor = catalog_writer(&caller)?;
    let mut change = CatalogChange::begin(&state, acting(actor, context.as_deref())).await?;
    let tx = change.conn();
    let definition = db::definition_for_update(tx, id)
        .await?
        .ok_or_else(definition_not_found)?;
    if_match.check(definition.version)?;
    db::delete_definition(tx, id).await?;
    change
        .commit(
            "catalog.attribute_definition.deleted",
            ("attribute_definition", id),
            json!({"category_id": definition.category_id, "attribute_type_id": definition.attribute_type_id}),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
