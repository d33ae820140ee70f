//! The catalog: administration, search with facets, caching, the product
//! CSV and favourites.

mod admin;
mod favorites;
mod import;
mod search;

use comptoir_db::PgConnection;
use comptoir_db::catalog as db;
use comptoir_domain::identity::{Role, Scope};
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::harness::TestApp;
use crate::identity::{call, role, someone};

/// An administrator's access token.
pub async fn admin_token(app: &TestApp) -> String {
    someone(app, "catalog-admin", &[role(Role::Admin, Scope::Global)])
        .await
        .token
}

pub async fn admin_call(app: &TestApp, token: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let response = call(app, token, method, path, body).await;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Creates an active product through the API and returns its answer.
pub async fn create_product(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, product) = admin_call(app, token, "POST", "/api/v1/admin/products", Some(body)).await;
    assert_eq!(status, 201, "{product}");
    product
}

/// A product body with one variant per (sku, price).
pub fn product_body(name: &str, category: Option<Uuid>, variants: &[(&str, i64)]) -> Value {
    json!({
        "name": name,
        "status": "active",
        "category_id": category,
        "variants": variants.iter().map(|(sku, price)| json!({"sku": sku, "price_minor": price})).collect::<Vec<_>>(),
    })
}

pub async fn seed_category(conn: &mut PgConnection, slug: &str, parent: Option<Uuid>) -> Uuid {
    let now = OffsetDateTime::now_utc();
    db::insert_category(
        conn,
        &db::Category {
            id: Uuid::now_v7(),
            parent_id: parent,
            slug: slug.into(),
            name: slug.into(),
            description: String::new(),
            position: 0,
            version: 1,
            created_at: now,
            updated_at: now,
        },
    )
    .await
    .unwrap()
    .id
}

pub async fn seed_enum_type(conn: &mut PgConnection, name: &str, values: &[&str]) -> Uuid {
    let now = OffsetDateTime::now_utc();
    db::save_attribute_type(
        conn,
        &db::AttributeType {
            id: Uuid::now_v7(),
            name: name.into(),
            label: name.into(),
            kind: "enum".into(),
            format: None,
            pattern: None,
            min_value: None,
            max_value: None,
            allowed_values: values.iter().map(|v| (*v).to_owned()).collect(),
            unit: None,
            built_in: false,
            version: 1,
            created_at: now,
            updated_at: now,
        },
    )
    .await
    .unwrap()
    .id
}

pub async fn seed_definition(conn: &mut PgConnection, category: Uuid, attribute_type: Uuid, required: bool) -> Uuid {
    let now = OffsetDateTime::now_utc();
    db::save_definition(
        conn,
        &db::AttributeDefinition {
            id: Uuid::now_v7(),
            category_id: category,
            attribute_type_id: attribute_type,
            required,
            filterable: true,
            position: 0,
            version: 1,
            created_at: now,
            updated_at: now,
        },
    )
    .await
    .unwrap()
    .id
}

pub struct Seeded {
    pub product: Uuid,
    pub slug: String,
    pub variants: Vec<Uuid>,
}

/// An active product straight in the database, one variant per SKU.
pub async fn seed_product(conn: &mut PgConnection, name: &str, category: Option<Uuid>, skus: &[&str]) -> Seeded {
    let now = OffsetDateTime::now_utc();
    let slug = comptoir_domain::catalog::Slug::from_name(name).into_string();
    let product = db::save_product(
        conn,
        &db::Product {
            id: Uuid::now_v7(),
            slug: slug.clone(),
            name: name.into(),
            description: String::new(),
            brand: None,
            status: "active".into(),
            tax_class: "standard".into(),
            category_id: category,
            image_urls: Vec::new(),
            attributes: json!({}),
            price_min_minor: None,
            price_max_minor: None,
            version: 1,
            created_at: now,
            updated_at: now,
        },
    )
    .await
    .unwrap();
    let mut variants = Vec::new();
    for (i, sku) in skus.iter().enumerate() {
        let variant = db::save_variant(
            conn,
            &db::Variant {
                id: Uuid::now_v7(),
                product_id: product.id,
                sku: (*sku).into(),
                options: json!([]),
                ean13: None,
                price_minor: 1000 + i64::try_from(i).unwrap() * 100,
                compare_at_price_minor: None,
                weight_grams: 100,
                position: i32::try_from(i).unwrap(),
                version: 1,
                created_at: now,
                updated_at: now,
            },
        )
        .await
        .unwrap();
        variants.push(variant.id);
    }
    db::refresh_price_range(conn, product.id).await.unwrap();
    Seeded {
        product: product.id,
        slug,
        variants,
    }
}
