//! Attribute types and the definitions that attach them to categories.

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::Result;

#[derive(Debug, Clone)]
pub struct AttributeType {
    pub id: Uuid,
    pub name: String,
    pub label: String,
    pub kind: String,
    pub format: Option<String>,
    pub pattern: Option<String>,
    pub min_value: Option<f64>,
    pub max_value: Option<f64>,
    pub allowed_values: Vec<String>,
    pub unit: Option<String>,
    pub built_in: bool,
    pub version: i32,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

pub const ATTRIBUTE_NAME_TAKEN: &str = "attribute_types_name_key";

pub async fn list_attribute_types(conn: &mut PgConnection) -> Result<Vec<AttributeType>> {
    let rows = sqlx::query_as!(
        AttributeType,
        r#"SELECT id, name, label, kind, format, pattern, min_value, max_value, allowed_values, unit, built_in,
                  version, created_at, updated_at
             FROM attribute_types ORDER BY name"#
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

pub async fn get_attribute_type(conn: &mut PgConnection, id: Uuid) -> Result<AttributeType> {
    let row = sqlx::query_as!(
        AttributeType,
        r#"SELECT id, name, label, kind, format, pattern, min_value, max_value, allowed_values, unit, built_in,
                  version, created_at, updated_at
             FROM attribute_types WHERE id = $1"#,
        id
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

pub async fn attribute_type_for_update(conn: &mut PgConnection, id: Uuid) -> Result<Option<AttributeType>> {
    let row = sqlx::query_as!(
        AttributeType,
        r#"SELECT id, name, label, kind, format, pattern, min_value, max_value, allowed_values, unit, built_in,
                  version, created_at, updated_at
             FROM attribute_types WHERE id = $1 FOR UPDATE"#,
        id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row)
}

/// Inserts a new type, or writes one read with
/// [`attribute_type_for_update`] one version up.
pub async fn save_attribute_type(conn: &mut PgConnection, t: &AttributeType) -> Result<AttributeType> {
    let row = sqlx::query_as!(
        AttributeType,
        r#"INSERT INTO attribute_types (id, name, label, kind, format, pattern, min_value, max_value,
                                        allowed_values, unit)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           ON CONFLICT (id) DO UPDATE SET
               name = EXCLUDED.name, label = EXCLUDED.label, kind = EXCLUDED.kind, format = EXCLUDED.format,
               pattern = EXCLUDED.pattern, min_value = EXCLUDED.min_value, max_value = EXCLUDED.max_value,
               allowed_values = EXCLUDED.allowed_values, unit = EXCLUDED.unit,
               version = attribute_types.version + 1, updated_at = now()
           RETURNING id, name, label, kind, format, pattern, min_value, max_value, allowed_values, unit, built_in,
                     version, created_at, updated_at"#,
        t.id,
        t.name,
        t.label,
        t.kind,
        t.format,
        t.pattern,
        t.min_value,
        t.max_value,
        &t.allowed_values,
        t.unit,
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

pub async fn attribute_type_in_use(conn: &mut PgConnection, id: Uuid) -> Result<i64> {
    let count = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM attribute_definitions WHERE attribute_type_id = $1"#,
        id
    )
    .fetch_one(conn)
    .await?;
    Ok(count)
}

pub async fn delete_attribute_type(conn: &mut PgConnection, id: Uuid) -> Result<()> {
    sqlx::query!("DELETE FROM attribute_types WHERE id = $1", id)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct AttributeDefinition {
    pub id: Uuid,
    pub category_id: Uuid,
    pub attribute_type_id: Uuid,
    pub required: bool,
    pub filterable: bool,
    pub position: i32,
    pub version: i32,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

pub const DEFINITION_TAKEN: &str = "attribute_definitions_category_type_key";

pub async fn list_definitions(conn: &mut PgConnection) -> Result<Vec<AttributeDefinition>> {
    let rows = sqlx::query_as!(
        AttributeDefinition,
        r#"SELECT id, category_id, attribute_type_id, required, filterable, position, version, created_at, updated_at
             FROM attribute_definitions ORDER BY category_id, position, id"#
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

pub async fn definition_for_update(conn: &mut PgConnection, id: Uuid) -> Result<Option<AttributeDefinition>> {
    let row = sqlx::query_as!(
        AttributeDefinition,
        r#"SELECT id, category_id, attribute_type_id, required, filterable, position, version, created_at, updated_at
             FROM attribute_definitions WHERE id = $1 FOR UPDATE"#,
        id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row)
}

pub async fn save_definition(conn: &mut PgConnection, d: &AttributeDefinition) -> Result<AttributeDefinition> {
    let row = sqlx::query_as!(
        AttributeDefinition,
        r#"INSERT INTO attribute_definitions (id, category_id, attribute_type_id, required, filterable, position)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (id) DO UPDATE SET
               required = EXCLUDED.required, filterable = EXCLUDED.filterable, position = EXCLUDED.position,
               version = attribute_definitions.version + 1, updated_at = now()
           RETURNING id, category_id, attribute_type_id, required, filterable, position, version,
                     created_at, updated_at"#,
        d.id,
        d.category_id,
        d.attribute_type_id,
        d.required,
        d.filterable,
        d.position,
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

pub async fn delete_definition(conn: &mut PgConnection, id: Uuid) -> Result<bool> {
    let done = sqlx::query!("DELETE FROM attribute_definitions WHERE id = $1", id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// An attribute that applies to a category, with its type.
#[derive(Debug, Clone)]
pub struct AppliedAttribute {
    pub definition_id: Uuid,
    pub category_id: Uuid,
    pub required: bool,
    pub filterable: bool,
    pub position: i32,
    pub attribute_type: AttributeType,
}

/// The attributes that apply to products of `category_ids` (a category and
/// its ancestors): definitions on any of them, nearest first.
pub async fn attributes_for_categories(
    conn: &mut PgConnection,
    category_ids: &[Uuid],
) -> Result<Vec<AppliedAttribute>> {
    let rows = sqlx::query!(
        r#"SELECT d.id AS definition_id, d.category_id, d.required, d.filterable, d.position,
                  t.id, t.name, t.label, t.kind, t.format, t.pattern, t.min_value, t.max_value, t.allowed_values,
                  t.unit, t.built_in, t.version, t.created_at, t.updated_at
             FROM attribute_definitions d JOIN attribute_types t ON t.id = d.attribute_type_id
            WHERE d.category_id = ANY($1)
            ORDER BY array_position($1, d.category_id), d.position, t.name"#,
        category_ids
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| AppliedAttribute {
            definition_id: r.definition_id,
            category_id: r.category_id,
            required: r.required,
            filterable: r.filterable,
            position: r.position,
            attribute_type: AttributeType {
                id: r.id,
                name: r.name,
                label: r.label,
                kind: r.kind,
                format: r.format,
                pattern: r.pattern,
                min_value: r.min_value,
                max_value: r.max_value,
                allowed_values: r.allowed_values,
                unit: r.unit,
                built_in: r.built_in,
                version: r.version,
                created_at: r.created_at,
                updated_at: r.updated_at,
            },
        })
        .collect())
}

/// The codes of attributes some category lets shoppers filter on, with
/// their labels.
pub async fn filterable_attributes(conn: &mut PgConnection) -> Result<Vec<(String, String)>> {
    let rows = sqlx::query!(
        r#"SELECT DISTINCT t.name, t.label
             FROM attribute_definitions d JOIN attribute_types t ON t.id = d.attribute_type_id
            WHERE d.filterable ORDER BY t.name"#
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.name, r.label)).collect())
}

pub async fn attribute_type_by_name(conn: &mut PgConnection, name: &str) -> Result<Option<AttributeType>> {
    let row = sqlx::query_as!(
        AttributeType,
        r#"SELECT id, name, label, kind, format, pattern, min_value, max_value, allowed_values, unit, built_in,
                  version, created_at, updated_at
             FROM attribute_types WHERE name = $1"#,
        name
    )
    .fetch_optional(conn)
    .await?;
    Ok(row)
}
