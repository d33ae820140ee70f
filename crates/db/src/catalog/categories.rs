//! The category tree.

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::Result;

#[derive(Debug, Clone)]
pub struct Category {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub position: i32,
    pub version: i32,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

pub const CATEGORY_SLUG_TAKEN: &str = "categories_slug_key";

pub async fn list_categories(conn: &mut PgConnection) -> Result<Vec<Category>> {
    let rows = sqlx::query_as!(
        Category,
        r#"SELECT id, parent_id, slug, name, description, position, version, created_at, updated_at
             FROM categories ORDER BY position, name, id"#
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

/// Active, sellable products directly in each category (not below it).
pub async fn active_product_counts(conn: &mut PgConnection) -> Result<Vec<(Uuid, i64)>> {
    let rows = sqlx::query!(
        r#"SELECT category_id AS "category_id!", count(*) AS "count!"
             FROM product_listing
            WHERE category_id IS NOT NULL
            GROUP BY category_id"#
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.category_id, r.count)).collect())
}

pub async fn get_category(conn: &mut PgConnection, id: Uuid) -> Result<Category> {
    let row = sqlx::query_as!(
        Category,
        r#"SELECT id, parent_id, slug, name, description, position, version, created_at, updated_at
             FROM categories WHERE id = $1"#,
        id
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

pub async fn category_by_slug(conn: &mut PgConnection, slug: &str) -> Result<Option<Category>> {
    let row = sqlx::query_as!(
        Category,
        r#"SELECT id, parent_id, slug, name, description, position, version, created_at, updated_at
             FROM categories WHERE slug = $1"#,
        slug
    )
    .fetch_optional(conn)
    .await?;
    Ok(row)
}

pub async fn category_for_update(conn: &mut PgConnection, id: Uuid) -> Result<Option<Category>> {
    let row = sqlx::query_as!(
        Category,
        r#"SELECT id, parent_id, slug, name, description, position, version, created_at, updated_at
             FROM categories WHERE id = $1 FOR UPDATE"#,
        id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row)
}

pub async fn insert_category(conn: &mut PgConnection, category: &Category) -> Result<Category> {
    let row = sqlx::query_as!(
        Category,
        r#"INSERT INTO categories (id, parent_id, slug, name, description, position)
           VALUES ($1, $2, $3, $4, $5, $6)
           RETURNING id, parent_id, slug, name, description, position, version, created_at, updated_at"#,
        category.id,
        category.parent_id,
        category.slug,
        category.name,
        category.description,
        category.position,
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

/// Writes a category read with [`category_for_update`], one version up.
pub async fn save_category(conn: &mut PgConnection, category: &Category) -> Result<Category> {
    let row = sqlx::query_as!(
        Category,
        r#"UPDATE categories
              SET parent_id = $2, slug = $3, name = $4, description = $5, position = $6,
                  version = version + 1, updated_at = now()
            WHERE id = $1
        RETURNING id, parent_id, slug, name, description, position, version, created_at, updated_at"#,
        category.id,
        category.parent_id,
        category.slug,
        category.name,
        category.description,
        category.position,
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

/// What still points at a category, which keeps it from being deleted.
pub async fn category_dependents(conn: &mut PgConnection, id: Uuid) -> Result<(i64, i64)> {
    let row = sqlx::query!(
        r#"SELECT (SELECT count(*) FROM categories WHERE parent_id = $1) AS "children!",
                  (SELECT count(*) FROM products WHERE category_id = $1) AS "products!""#,
        id
    )
    .fetch_one(conn)
    .await?;
    Ok((row.children, row.products))
}

pub async fn delete_category(conn: &mut PgConnection, id: Uuid) -> Result<()> {
    sqlx::query!("DELETE FROM categories WHERE id = $1", id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The category and every category below it.
pub async fn category_subtree(conn: &mut PgConnection, id: Uuid) -> Result<Vec<Uuid>> {
    let rows = sqlx::query_scalar!(
        r#"WITH RECURSIVE tree AS (
               SELECT id FROM categories WHERE id = $1
               UNION
               SELECT c.id FROM categories c JOIN tree t ON c.parent_id = t.id
           )
           SELECT id AS "id!" FROM tree"#,
        id
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

/// The category and every category above it, nearest first.
pub async fn category_lineage(conn: &mut PgConnection, id: Uuid) -> Result<Vec<Uuid>> {
    let rows = sqlx::query_scalar!(
        r#"WITH RECURSIVE lineage AS (
               SELECT id, parent_id, 0 AS depth FROM categories WHERE id = $1
               UNION
               SELECT c.id, c.parent_id, l.depth + 1 FROM categories c JOIN lineage l ON c.id = l.parent_id
                WHERE l.depth < 64
           )
           SELECT id AS "id!" FROM lineage ORDER BY depth"#,
        id
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}
