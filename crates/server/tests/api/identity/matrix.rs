//! The authorization matrix: every operation of the OpenAPI document, called
//! by every kind of caller, with the status each must get. An operation with
//! no row fails the test, so a new route cannot ship without deciding who
//! may call it.

use std::collections::BTreeSet;

use comptoir_domain::identity::{Role, Scope};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{PASSWORD, Someone, bearer, new_company, new_store, role, someone};
use crate::harness::TestApp;

/// The callers, in the order of each row's statuses. The administrator
/// comes last, so what it changes or deletes was still there for the others.
const CALLERS: [&str; 8] = [
    "anonymous",
    "customer A",
    "customer B",
    "b2b buyer of company X",
    "cashier of store 1",
    "manager of store 1",
    "cashier of store 2",
    "admin",
];

struct Fixture {
    callers: Vec<Option<Someone>>,
    customer_a: Uuid,
    session_of_a: Uuid,
    address_of_a: Uuid,
    /// An account administrators act on.
    target: Uuid,
    target_role: Uuid,
    api_key: Uuid,
    refresh_tokens: Vec<String>,
    store: Uuid,
    store_2: Uuid,
    /// Transfers between the two stores: a draft to store 1, one requested
    /// from store 1, one shipped from store 1, a draft to cancel.
    transfers: [Uuid; 4],
    /// A guest's cart and its line.
    cart: (Uuid, Uuid),
    /// Orders of customer A: one to cancel, one to pay again, one paid
    /// (invoiced, with a credit note).
    orders: [Uuid; 3],
    credit_note: Uuid,
    catalog: CatalogFixture,
}

/// Catalog objects the rows read, change and delete.
struct CatalogFixture {
    category: Uuid,
    category_to_delete: Uuid,
    attribute_type: Uuid,
    type_to_delete: Uuid,
    definition: Uuid,
    definition_to_delete: Uuid,
    product: Uuid,
    product_slug: String,
    product_to_delete: Uuid,
    variant: Uuid,
    variant_to_delete: Uuid,
}

struct Row {
    method: &'static str,
    path: &'static str,
    /// The path with its parameters filled in.
    url: fn(&Fixture) -> String,
    /// The body sent by caller number `i`.
    body: fn(&Fixture, usize) -> Option<Value>,
    expected: [u16; 8],
}

const PUBLIC_200: [u16; 8] = [200; 8];
const SIGNED_IN: fn(u16) -> [u16; 8] = |ok| [401, ok, ok, ok, ok, ok, ok, ok];
const ADMIN_ONLY: fn(u16) -> [u16; 8] = |ok| [401, 403, 403, 403, 403, 403, 403, ok];
/// Stock is read by administrators and the staff of a store (their own).
const STOCK_READERS: [u16; 8] = [401, 403, 403, 403, 200, 200, 200, 200];
/// Store 1's stock is changed by its manager and administrators.
const STORE_1_WRITERS: fn(u16) -> [u16; 8] = |ok| [401, 403, 403, 403, 403, ok, 403, ok];

fn none(_: &Fixture, _: usize) -> Option<Value> {
    None
}

fn rows() -> Vec<Row> {
    vec![
        Row {
            method: "get",
            path: "/health/live",
            url: |_| "/health/live".into(),
            body: none,
            expected: PUBLIC_200,
        },
        Row {
            method: "get",
            path: "/health/ready",
            url: |_| "/health/ready".into(),
            body: none,
            expected: PUBLIC_200,
        },
        // Scraped by Prometheus on the private network; nginx does not expose it.
        Row {
            method: "get",
            path: "/metrics",
            url: |_| "/metrics".into(),
            body: none,
            expected: PUBLIC_200,
        },
        Row {
            method: "post",
            path: "/api/v1/auth/register",
            url: |_| "/api/v1/auth/register".into(),
            body: |_, i| {
                Some(
                    json!({"email": format!("new-{i}@exemple.fr"), "password": PASSWORD, "first_name": "N", "last_name": "N"}),
                )
            },
            expected: [201; 8],
        },
        Row {
            method: "post",
            path: "/api/v1/auth/login",
            url: |_| "/api/v1/auth/login".into(),
            body: |f, _| Some(json!({"email": f.callers[7].as_ref().map(|a| a.email.clone()), "password": PASSWORD})),
            expected: PUBLIC_200,
        },
        Row {
            method: "post",
            path: "/api/v1/auth/refresh",
            url: |_| "/api/v1/auth/refresh".into(),
            body: |f, i| Some(json!({"refresh_token": f.refresh_tokens[i]})),
            expected: PUBLIC_200,
        },
        Row {
            method: "post",
            path: "/api/v1/auth/logout",
            url: |_| "/api/v1/auth/logout".into(),
            body: |_, _| Some(json!({"refresh_token": "rt_unknown"})),
            expected: [204; 8],
        },
        Row {
            method: "post",
            path: "/api/v1/auth/password-reset",
            url: |_| "/api/v1/auth/password-reset".into(),
            body: |_, _| Some(json!({"email": "nobody@exemple.fr"})),
            expected: [202; 8],
        },
        Row {
            method: "post",
            path: "/api/v1/auth/password-reset/confirm",
            url: |_| "/api/v1/auth/password-reset/confirm".into(),
            body: |_, _| Some(json!({"token": "ot_unknown", "new_password": "crêpes au sarrasin du dimanche"})),
            expected: [422; 8],
        },
        Row {
            method: "post",
            path: "/api/v1/auth/email-verification",
            url: |_| "/api/v1/auth/email-verification".into(),
            body: none,
            expected: SIGNED_IN(202),
        },
        Row {
            method: "post",
            path: "/api/v1/auth/email-verification/confirm",
            url: |_| "/api/v1/auth/email-verification/confirm".into(),
            body: |_, _| Some(json!({"token": "ot_unknown"})),
            expected: [422; 8],
        },
        Row {
            method: "get",
            path: "/api/v1/me",
            url: |_| "/api/v1/me".into(),
            body: none,
            expected: SIGNED_IN(200),
        },
        Row {
            method: "patch",
            path: "/api/v1/me",
            url: |_| "/api/v1/me".into(),
            body: |_, _| Some(json!({"first_name": "Renamed"})),
            expected: SIGNED_IN(200),
        },
        Row {
            method: "post",
            path: "/api/v1/me/password",
            url: |_| "/api/v1/me/password".into(),
            body: |_, _| Some(json!({"current_password": PASSWORD, "new_password": "crêpes au sarrasin du dimanche"})),
            expected: SIGNED_IN(204),
        },
        Row {
            method: "get",
            path: "/api/v1/me/sessions",
            url: |_| "/api/v1/me/sessions".into(),
            body: none,
            expected: SIGNED_IN(200),
        },
        Row {
            method: "delete",
            path: "/api/v1/me/sessions/{id}",
            url: |f| format!("/api/v1/me/sessions/{}", f.session_of_a),
            body: none,
            // Only its owner finds it; to anyone else it does not exist.
            expected: [401, 204, 404, 404, 404, 404, 404, 404],
        },
        Row {
            method: "get",
            path: "/api/v1/me/addresses",
            url: |_| "/api/v1/me/addresses".into(),
            body: none,
            expected: SIGNED_IN(200),
        },
        Row {
            method: "post",
            path: "/api/v1/me/addresses",
            url: |_| "/api/v1/me/addresses".into(),
            body: |_, _| {
                Some(json!({
                    "first_name": "A", "last_name": "B", "line1": "1 quai", "postal_code": "56000", "city": "Vannes", "country": "FR"
                }))
            },
            expected: SIGNED_IN(201),
        },
        Row {
            method: "patch",
            path: "/api/v1/me/addresses/{id}",
            url: |f| format!("/api/v1/me/addresses/{}", f.address_of_a),
            body: |_, _| Some(json!({"city": "Lorient", "postal_code": "56100"})),
            expected: [401, 200, 404, 404, 404, 404, 404, 404],
        },
        Row {
            method: "delete",
            path: "/api/v1/me/addresses/{id}",
            url: |f| format!("/api/v1/me/addresses/{}", f.address_of_a),
            body: none,
            expected: [401, 204, 404, 404, 404, 404, 404, 404],
        },
        Row {
            method: "get",
            path: "/api/v1/admin/users",
            url: |_| "/api/v1/admin/users".into(),
            body: none,
            expected: ADMIN_ONLY(200),
        },
        Row {
            method: "post",
            path: "/api/v1/admin/users",
            url: |_| "/api/v1/admin/users".into(),
            body: |f, i| {
                Some(json!({
                    "email": format!("staff-{i}@exemple.fr"), "password": PASSWORD, "first_name": "S", "last_name": "S",
                    "roles": [{"role": "cashier", "store_id": f.store}]
                }))
            },
            expected: ADMIN_ONLY(201),
        },
        Row {
            method: "get",
            path: "/api/v1/admin/users/{id}",
            url: |f| format!("/api/v1/admin/users/{}", f.customer_a),
            body: none,
            expected: ADMIN_ONLY(200),
        },
        Row {
            method: "post",
            path: "/api/v1/admin/users/{id}/roles",
            url: |f| format!("/api/v1/admin/users/{}/roles", f.target),
            body: |f, _| Some(json!({"role": "manager", "store_id": f.store})),
            expected: ADMIN_ONLY(201),
        },
        Row {
            method: "delete",
            path: "/api/v1/admin/users/{id}/roles/{role_id}",
            url: |f| format!("/api/v1/admin/users/{}/roles/{}", f.target, f.target_role),
            body: none,
            expected: ADMIN_ONLY(204),
        },
        Row {
            method: "post",
            path: "/api/v1/admin/users/{id}/disable",
            url: |f| format!("/api/v1/admin/users/{}/disable", f.target),
            body: none,
            expected: ADMIN_ONLY(200),
        },
        Row {
            method: "post",
            path: "/api/v1/admin/users/{id}/enable",
            url: |f| format!("/api/v1/admin/users/{}/enable", f.target),
            body: none,
            expected: ADMIN_ONLY(200),
        },
        Row {
            method: "get",
            path: "/api/v1/admin/api-keys",
            url: |_| "/api/v1/admin/api-keys".into(),
            body: none,
            expected: ADMIN_ONLY(200),
        },
        Row {
            method: "post",
            path: "/api/v1/admin/api-keys",
            url: |_| "/api/v1/admin/api-keys".into(),
            body: |_, _| Some(json!({"name": "ERP", "scopes": ["catalog:read"]})),
            expected: ADMIN_ONLY(201),
        },
        Row {
            method: "delete",
            path: "/api/v1/admin/api-keys/{id}",
            url: |f| format!("/api/v1/admin/api-keys/{}", f.api_key),
            body: none,
            expected: ADMIN_ONLY(204),
        },
        Row {
            method: "get",
            path: "/api/v1/products",
            url: |_| "/api/v1/products?q=matrice".into(),
            body: none,
            expected: PUBLIC_200,
        },
        Row {
            method: "get",
            path: "/api/v1/products/{id_or_slug}",
            url: |f| format!("/api/v1/products/{}", f.catalog.product_slug),
            body: none,
            expected: PUBLIC_200,
        },
        Row {
            method: "get",
            path: "/api/v1/categories",
            url: |_| "/api/v1/categories".into(),
            body: none,
            expected: PUBLIC_200,
        },
        Row {
            method: "post",
            path: "/api/v1/attribute-types/{id}/validate",
            url: |f| format!("/api/v1/attribute-types/{}/validate", f.catalog.attribute_type),
            body: |_, _| Some(json!({"value": "chene"})),
            expected: PUBLIC_200,
        },
        Row {
            method: "get",
            path: "/api/v1/me/favorites",
            url: |_| "/api/v1/me/favorites".into(),
            body: none,
            expected: SIGNED_IN(200),
        },
        Row {
            method: "put",
            path: "/api/v1/me/favorites/{product_id}",
            url: |f| format!("/api/v1/me/favorites/{}", f.catalog.product),
            body: none,
            expected: SIGNED_IN(204),
        },
        Row {
            method: "delete",
            path: "/api/v1/me/favorites/{product_id}",
            url: |f| format!("/api/v1/me/favorites/{}", f.catalog.product),
            body: none,
            expected: SIGNED_IN(204),
        },
        Row {
            method: "get",
            path: "/api/v1/admin/categories",
            url: |_| "/api/v1/admin/categories".into(),
            body: none,
            expected: ADMIN_ONLY(200),
        },
        Row {
            method: "post",
            path: "/api/v1/admin/categories",
            url: |_| "/api/v1/admin/categories".into(),
            body: |_, _| Some(json!({"name": "Matrice"})),
            expected: ADMIN_ONLY(201),
        },
        Row {
            method: "get",
            path: "/api/v1/admin/categories/{id}",
            url: |f| format!("/api/v1/admin/categories/{}", f.catalog.category),
            body: none,
            expected: ADMIN_ONLY(200),
        },
        Row {
            method: "patch",
            path: "/api/v1/admin/categories/{id}",
            url: |f| format!("/api/v1/admin/categories/{}", f.catalog.category),
            body: |_, _| Some(json!({"description": "Changée"})),
            expected: ADMIN_ONLY(200),
        },
        Row {
            method: "delete",
            path: "/api/v1/admin/categories/{id}",
            url: |f| format!("/api/v1/admin/categories/{}", f.catalog.category_to_delete),
            body: none,
            expected: ADMIN_ONLY(204),
        },
        Row {
            method: "get",
            path: "/api/v1/admin/attribute-types",
            url: |_| "/api/v1/admin/attribute-types".into(),
            body: none,
            expected: ADMIN_ONLY(200),
        },
        Row {
            method: "post",
            path: "/api/v1/admin/attribute-types",
            url: |_| "/api/v1/admin/attribute-types".into(),
            body: |_, _| Some(json!({"name": "matrix_new", "kind": "text"})),
            expected: ADMIN_ONLY(201),
        },
        Row {
            method: "get",
            path: "/api/v1/admin/attribute-types/{id}",
            url: |f| format!("/api/v1/admin/attribute-types/{}", f.catalog.attribute_type),
            body: none,
            expected: ADMIN_ONLY(200),
        },
        Row {
            method: "patch",
            path: "/api/v1/admin/attribute-types/{id}",
            url: |f| format!("/api/v1/admin/attribute-types/{}", f.catalog.attribute_type),
            body: |_, _| Some(json!({"label": "Bois"})),
            expected: ADMIN_ONLY(200),
        },
        Row {
            method: "delete",
            path: "/api/v1/admin/attribute-types/{id}",
            url: |f| format!("/api/v1/admin/attribute-types/{}", f.catalog.type_to_delete),
            body: none,
            expected: ADMIN_ONLY(204),
        },
        Row {
            method: "get",
            path: "/api/v1/admin/attribute-definitions",
            url: |_| "/api/v1/admin/attribute-definitions".into(),
            body: none,
            expected: ADMIN_ONLY(200),
        },
        Row {
            method: "post",
            path: "/api/v1/admin/attribute-definitions",
            // The built-in `url` type, not yet attached to the category.
            url: |_| "/api/v1/admin/attribute-definitions".into(),
            body: |f, _| {
                Some(
                    json!({"category_id": f.catalog.category, "attribute_type_id": "019ab000-0000-7000-8000-000000000003"}),
                )
            },
            expected: ADMIN_ONLY(201),
        },
        Row {
            method: "patch",
            path: "/api/v1/admin/attribute-definitions/{id}",
            url: |f| format!("/api/v1/admin/attribute-definitions/{}", f.catalog.definition),
            body: |_, _| Some(json!({"filterable": true})),
            expected: ADMIN_ONLY(200),
        },
        Row {
            method: "delete",
            path: "/api/v1/admin/attribute-definitions/{id}",
            url: |f| format!("/api/v1/admin/attribute-definitions/{}", f.catalog.definition_to_delete),
            body: none,
            expected: ADMIN_ONLY(204),
        },
        Row {
            method: "get",
            path: "/api/v1/admin/products",
            url: |_| "/api/v1/admin/products".into(),
            body: none,
            expected: ADMIN_ONLY(200),
        },
        Row {
            method: "post",
            path: "/api/v1/admin/products",
            url: |_| "/api/v1/admin/products".into(),
            body: |_, _| Some(json!({"name": "Produit matrice"})),
            expected: ADMIN_ONLY(201),
        },
        // Authorised before the body is read; the administrator's empty
        // body is not a CSV file.
        Row {
            method: "post",
            path: "/api/v1/admin/products/import",
            url: |_| "/api/v1/admin/products/import".into(),
            body: none,
            expected: ADMIN_ONLY(415),
        },
        Row {
            method: "get",
            path: "/api/v1/admin/products/export",
            url: |_| "/api/v1/admin/products/export".into(),
            body: none,
            expected: ADMIN_ONLY(200),
        },
        Row {
            method: "get",
            path: "/api/v1/admin/products/{id}",
            url: |f| format!("/api/v1/admin/products/{}", f.catalog.product),
            body: none,
            expected: ADMIN_ONLY(200),
        },
        Row {
            method: "patch",
            path: "/api/v1/admin/products/{id}",
            url: |f| format!("/api/v1/admin/products/{}", f.catalog.product),
            body: |_, _| Some(json!({"brand": "Kerlann"})),
            expected: ADMIN_ONLY(200),
        },
        Row {
            method: "delete",
            path: "/api/v1/admin/products/{id}",
            url: |f| format!("/api/v1/admin/products/{}", f.catalog.product_to_delete),
            body: none,
            expected: ADMIN_ONLY(204),
        },
        Row {
            method: "post",
            path: "/api/v1/admin/products/{id}/variants",
            url: |f| format!("/api/v1/admin/products/{}/variants", f.catalog.product),
            body: |_, _| Some(json!({"sku": "MATRIX-NEW", "price_minor": 1990})),
            expected: ADMIN_ONLY(201),
        },
        Row {
            method: "patch",
            path: "/api/v1/admin/products/{id}/variants/{variant_id}",
            url: |f| {
                format!(
                    "/api/v1/admin/products/{}/variants/{}",
                    f.catalog.product, f.catalog.variant
                )
            },
            body: |_, _| Some(json!({"weight_grams": 450})),
            expected: ADMIN_ONLY(200),
        },
        Row {
            method: "delete",
            path: "/api/v1/admin/products/{id}/variants/{variant_id}",
            url: |f| {
                format!(
                    "/api/v1/admin/products/{}/variants/{}",
                    f.catalog.product, f.catalog.variant_to_delete
                )
            },
            body: none,
            expected: ADMIN_ONLY(204),
        },
        Row {
            method: "get",
            path: "/api/v1/products/{id}/availability",
            url: |f| format!("/api/v1/products/{}/availability", f.catalog.product),
            body: none,
            expected: PUBLIC_200,
        },
        Row {
            method: "get",
            path: "/api/v1/admin/locations",
            url: |_| "/api/v1/admin/locations".into(),
            body: none,
            expected: STOCK_READERS,
        },
        Row {
            method: "post",
            path: "/api/v1/admin/locations",
            url: |_| "/api/v1/admin/locations".into(),
            body: |_, i| Some(json!({"code": format!("MATRIX-{i}"), "name": "Magasin", "type": "store"})),
            expected: ADMIN_ONLY(201),
        },
        Row {
            method: "patch",
            path: "/api/v1/admin/locations/{id}",
            url: |f| format!("/api/v1/admin/locations/{}", f.store),
            body: |_, _| Some(json!({"name": "Magasin de Rennes"})),
            expected: STORE_1_WRITERS(200),
        },
        Row {
            method: "get",
            path: "/api/v1/admin/stock",
            url: |_| "/api/v1/admin/stock".into(),
            body: none,
            expected: STOCK_READERS,
        },
        Row {
            method: "post",
            path: "/api/v1/admin/stock/adjustments",
            url: |_| "/api/v1/admin/stock/adjustments".into(),
            body: |f, _| {
                Some(json!({"location_id": f.store, "variant_id": f.catalog.variant, "delta": 5, "reason": "receipt"}))
            },
            expected: STORE_1_WRITERS(201),
        },
        Row {
            method: "get",
            path: "/api/v1/admin/stock/movements",
            url: |_| "/api/v1/admin/stock/movements".into(),
            body: none,
            expected: STOCK_READERS,
        },
        Row {
            method: "put",
            path: "/api/v1/admin/locations/{location_id}/stock/{variant_id}",
            url: |f| format!("/api/v1/admin/locations/{}/stock/{}", f.store, f.catalog.variant),
            body: |_, _| Some(json!({"reorder_point": 2, "target_level": 6})),
            expected: STORE_1_WRITERS(200),
        },
        Row {
            method: "get",
            path: "/api/v1/admin/stock-alerts",
            url: |_| "/api/v1/admin/stock-alerts".into(),
            body: none,
            expected: STOCK_READERS,
        },
        Row {
            method: "get",
            path: "/api/v1/admin/transfers",
            url: |_| "/api/v1/admin/transfers".into(),
            body: none,
            expected: STOCK_READERS,
        },
        Row {
            method: "post",
            path: "/api/v1/admin/transfers",
            url: |_| "/api/v1/admin/transfers".into(),
            body: |f, _| {
                Some(
                    json!({"source_location_id": f.store, "destination_location_id": f.store_2,
                            "lines": [{"variant_id": f.catalog.variant, "quantity": 1}]}),
                )
            },
            expected: STORE_1_WRITERS(201),
        },
        Row {
            method: "get",
            path: "/api/v1/admin/transfers/{id}",
            url: |f| format!("/api/v1/admin/transfers/{}", f.transfers[0]),
            body: none,
            // Cashier 2 reaches it through its source, store 2.
            expected: STOCK_READERS,
        },
        Row {
            method: "post",
            path: "/api/v1/admin/transfers/{id}/request",
            url: |f| format!("/api/v1/admin/transfers/{}/request", f.transfers[0]),
            body: |_, _| Some(json!({})),
            // The manager requests the draft; then it is no longer a draft.
            expected: [401, 403, 403, 403, 403, 200, 403, 409],
        },
        Row {
            method: "post",
            path: "/api/v1/admin/transfers/{id}/ship",
            url: |f| format!("/api/v1/admin/transfers/{}/ship", f.transfers[1]),
            body: |_, _| Some(json!({})),
            // Store 1 ships it (it is the source); a second ship is refused.
            expected: [401, 403, 403, 403, 403, 200, 403, 409],
        },
        Row {
            method: "post",
            path: "/api/v1/admin/transfers/{id}/receive",
            url: |f| format!("/api/v1/admin/transfers/{}/receive", f.transfers[2]),
            body: |_, _| Some(json!({})),
            // Store 1 is the source: only the destination's staff (or an admin) receives.
            expected: [401, 403, 403, 403, 403, 403, 403, 200],
        },
        Row {
            method: "post",
            path: "/api/v1/admin/transfers/{id}/cancel",
            url: |f| format!("/api/v1/admin/transfers/{}/cancel", f.transfers[3]),
            body: |_, _| Some(json!({})),
            expected: [401, 403, 403, 403, 403, 200, 403, 409],
        },
        Row {
            method: "get",
            path: "/api/v1/admin/replenishment/suggestions",
            url: |f| format!("/api/v1/admin/replenishment/suggestions?location={}", f.store),
            body: none,
            expected: [401, 403, 403, 403, 200, 200, 404, 200],
        },
        Row {
            method: "post",
            path: "/api/v1/admin/replenishment/transfers",
            url: |_| "/api/v1/admin/replenishment/transfers".into(),
            body: |f, _| Some(json!({"location_id": f.store})),
            // Store 1 needs nothing, and no warehouse holds anything.
            expected: [401, 403, 403, 403, 403, 422, 403, 422],
        },
        Row {
            method: "post",
            path: "/api/v1/carts",
            url: |_| "/api/v1/carts".into(),
            body: none,
            expected: [201; 8],
        },
        // A guest's cart is reached with its token only: nobody here sends it.
        Row {
            method: "get",
            path: "/api/v1/carts/{id}",
            url: |f| format!("/api/v1/carts/{}", f.cart.0),
            body: none,
            expected: [404; 8],
        },
        Row {
            method: "post",
            path: "/api/v1/carts/{id}/items",
            url: |f| format!("/api/v1/carts/{}/items", f.cart.0),
            body: |f, _| Some(json!({"variant_id": f.catalog.variant, "quantity": 1})),
            expected: [404; 8],
        },
        Row {
            method: "patch",
            path: "/api/v1/carts/{id}/items/{item_id}",
            url: |f| format!("/api/v1/carts/{}/items/{}", f.cart.0, f.cart.1),
            body: |_, _| Some(json!({"quantity": 2})),
            expected: [404; 8],
        },
        Row {
            method: "delete",
            path: "/api/v1/carts/{id}/items/{item_id}",
            url: |f| format!("/api/v1/carts/{}/items/{}", f.cart.0, f.cart.1),
            body: none,
            expected: [404; 8],
        },
        Row {
            method: "get",
            path: "/api/v1/carts/{id}/shipping-options",
            url: |f| format!("/api/v1/carts/{}/shipping-options?country=FR", f.cart.0),
            body: none,
            expected: [404; 8],
        },
        Row {
            method: "get",
            path: "/api/v1/admin/shipping-methods",
            url: |_| "/api/v1/admin/shipping-methods".into(),
            body: none,
            expected: ADMIN_ONLY(200),
        },
        Row {
            method: "post",
            path: "/api/v1/admin/shipping-methods",
            url: |_| "/api/v1/admin/shipping-methods".into(),
            body: |_, i| {
                Some(json!({"code": format!("matrix-{i}"), "name": "Coursier", "kind": "flat", "price_minor": 1500}))
            },
            expected: ADMIN_ONLY(201),
        },
        Row {
            method: "patch",
            path: "/api/v1/admin/shipping-methods/{id}",
            url: |_| "/api/v1/admin/shipping-methods/019ad000-0000-7000-8000-000000000001".into(),
            body: |_, _| Some(json!({"price_minor": 750})),
            expected: ADMIN_ONLY(200),
        },
        Row {
            method: "delete",
            path: "/api/v1/admin/shipping-methods/{id}",
            url: |_| "/api/v1/admin/shipping-methods/019ad000-0000-7000-8000-000000000002".into(),
            body: none,
            expected: ADMIN_ONLY(204),
        },
        Row {
            method: "get",
            path: "/api/v1/admin/reservations",
            url: |_| "/api/v1/admin/reservations".into(),
            body: none,
            expected: STOCK_READERS,
        },
        // Nobody here holds the cart's token, and it belongs to no account.
        Row {
            method: "post",
            path: "/api/v1/checkout",
            url: |_| "/api/v1/checkout".into(),
            body: |f, _| {
                Some(json!({
                    "cart_id": f.cart.0, "email": "matrice@exemple.fr", "shipping_option_id": "colissimo",
                    "shipping_address": {"first_name": "A", "last_name": "B", "line1": "1 quai", "postal_code": "29200",
                                         "city": "Brest", "country": "FR"},
                    "payment_method": {"type": "card", "token": "tok_visa"}
                }))
            },
            expected: [404; 8],
        },
        Row {
            method: "get",
            path: "/api/v1/me/orders",
            url: |_| "/api/v1/me/orders".into(),
            body: none,
            expected: SIGNED_IN(200),
        },
        // Its owner and the staff see an order; to anyone else it does not exist.
        Row {
            method: "get",
            path: "/api/v1/orders/{id}",
            url: |f| format!("/api/v1/orders/{}", f.orders[2]),
            body: none,
            expected: [404, 200, 404, 404, 404, 404, 404, 200],
        },
        // Only the customer cancels here; the shop uses the transitions.
        Row {
            method: "post",
            path: "/api/v1/orders/{id}/cancel",
            url: |f| format!("/api/v1/orders/{}/cancel", f.orders[0]),
            body: |_, _| Some(json!({})),
            expected: [404, 200, 404, 404, 404, 404, 404, 404],
        },
        Row {
            method: "post",
            path: "/api/v1/orders/{id}/payments",
            url: |f| format!("/api/v1/orders/{}/payments", f.orders[1]),
            body: |_, _| Some(json!({"payment_method": {"type": "card", "token": "tok_visa"}})),
            expected: [404, 201, 404, 404, 404, 404, 404, 404],
        },
        Row {
            method: "get",
            path: "/api/v1/orders/{id}/invoice",
            url: |f| format!("/api/v1/orders/{}/invoice", f.orders[2]),
            body: none,
            expected: [404, 200, 404, 404, 404, 404, 404, 200],
        },
        Row {
            method: "get",
            path: "/api/v1/orders/{id}/credit-notes/{refund_id}",
            url: |f| {
                format!(
                    "/api/v1/orders/{}/credit-notes/{}?format=html",
                    f.orders[2], f.credit_note
                )
            },
            body: none,
            expected: [404, 200, 404, 404, 404, 404, 404, 200],
        },
        Row {
            method: "get",
            path: "/api/v1/admin/orders/{id}/packing-slip",
            url: |f| format!("/api/v1/admin/orders/{}/packing-slip", f.orders[2]),
            body: none,
            expected: ADMIN_ONLY(200),
        },
        Row {
            method: "get",
            path: "/api/v1/admin/orders",
            url: |_| "/api/v1/admin/orders".into(),
            body: none,
            expected: ADMIN_ONLY(200),
        },
        Row {
            method: "post",
            path: "/api/v1/admin/orders/{id}/transitions",
            url: |f| format!("/api/v1/admin/orders/{}/transitions", f.orders[2]),
            body: |_, _| Some(json!({"to": "processing"})),
            expected: ADMIN_ONLY(200),
        },
        // The fixture's paid order has no payment at a gateway to refund.
        Row {
            method: "post",
            path: "/api/v1/admin/orders/{id}/refunds",
            url: |f| format!("/api/v1/admin/orders/{}/refunds", f.orders[2]),
            body: |_, _| Some(json!({"amount_minor": 100, "reason": "geste commercial"})),
            expected: ADMIN_ONLY(409),
        },
        // Gateways sign their calls; nobody here does.
        Row {
            method: "post",
            path: "/api/v1/webhooks/stripe",
            url: |_| "/api/v1/webhooks/stripe".into(),
            body: |_, _| Some(json!({"id": "evt_1", "type": "payment_intent.succeeded"})),
            expected: [400; 8],
        },
        Row {
            method: "get",
            path: "/api/v1/test-gateway/charges/{id}/authenticate",
            url: |_| "/api/v1/test-gateway/charges/ch_test_unknown/authenticate".into(),
            body: none,
            expected: [404; 8],
        },
        Row {
            method: "post",
            path: "/api/v1/test-gateway/charges/{id}/authenticate",
            url: |_| "/api/v1/test-gateway/charges/ch_test_unknown/authenticate?outcome=approve".into(),
            body: none,
            expected: [404; 8],
        },
    ]
}

/// An order of `user` in `status`, without stock or payment behind it.
async fn fixture_order(app: &TestApp, user: Uuid, status: &'static str) -> Uuid {
    let mut conn = app.db().acquire().await.unwrap();
    let id = Uuid::now_v7();
    let address = app
        .state
        .cipher
        .encrypt(r#"{"first_name":"A","last_name":"A","line1":"2 rue de Siam","postal_code":"29200","city":"Brest","country":"FR"}"#)
        .unwrap();
    comptoir_db::orders::insert_order(
        &mut conn,
        &comptoir_db::orders::NewOrder {
            id,
            user_id: Some(user),
            email: "a@exemple.fr".into(),
            status,
            subtotal_minor: 1000,
            shipping_minor: 0,
            vat_total_minor: 167,
            grand_total_minor: 1000,
            vat: json!([{"rate": 2000, "base_minor": 833, "amount_minor": 167}]),
            shipping_method_id: None,
            shipping_option: "colissimo".into(),
            shipping_name: "Colissimo".into(),
            pickup_location_id: None,
            shipping_address_sealed: address,
            billing_address_sealed: None,
            payment_method: "card",
            checkout_scope: None,
            checkout_key: None,
            checkout_hash: None,
            guest_token_hash: None,
            payment_due_at: Some(time::OffsetDateTime::now_utc() + time::Duration::minutes(15)),
        },
    )
    .await
    .unwrap();
    if status == "paid" {
        comptoir_db::orders::add_money(&mut conn, id, 1000, 0).await.unwrap();
        comptoir_db::orders::set_invoice_number(&mut conn, id, "FA-2026-999999")
            .await
            .unwrap();
    }
    id
}

/// A credit note of `order` (its payment failed: nothing to refund for real).
async fn fixture_credit_note(app: &TestApp, order: Uuid) -> Uuid {
    let mut conn = app.db().acquire().await.unwrap();
    let payment = comptoir_db::payments::insert_payment(
        &mut conn,
        &comptoir_db::payments::NewPayment {
            order_id: order,
            gateway: "test",
            method: "card",
            status: "failed",
            amount_minor: 1000,
            token: None,
            description: "Commande",
            attempt_key: None,
        },
    )
    .await
    .unwrap();
    comptoir_db::payments::insert_refund(
        &mut conn,
        &comptoir_db::payments::Refund {
            id: Uuid::now_v7(),
            order_id: order,
            payment_id: payment.id,
            amount_minor: 100,
            reason: "geste".into(),
            restock: false,
            lines: json!([]),
            status: "succeeded".into(),
            gateway_reference: None,
            credit_note_number: Some("AV-2026-999999".into()),
            actor_id: None,
            created_at: time::OffsetDateTime::now_utc(),
        },
    )
    .await
    .unwrap()
    .id
}

async fn catalog_fixture(app: &TestApp) -> CatalogFixture {
    use crate::catalog::{Seeded, seed_product};
    let mut conn = app.db().acquire().await.unwrap();
    let category = crate::catalog::seed_category(&mut conn, "matrice", None).await;
    let category_to_delete = crate::catalog::seed_category(&mut conn, "matrice-vide", None).await;
    let attribute_type = crate::catalog::seed_enum_type(&mut conn, "matrix_wood", &["chene", "acacia"]).await;
    let type_to_delete = crate::catalog::seed_enum_type(&mut conn, "matrix_gone", &["x"]).await;
    let definition = crate::catalog::seed_definition(&mut conn, category, attribute_type, false).await;
    // The built-in `email` type.
    let email = "019ab000-0000-7000-8000-000000000002".parse().unwrap();
    let definition_to_delete = crate::catalog::seed_definition(&mut conn, category, email, false).await;
    let Seeded {
        product,
        slug,
        variants,
    } = seed_product(
        &mut conn,
        "Produit de la matrice",
        Some(category),
        &["MATRIX-1", "MATRIX-2"],
    )
    .await;
    let other = seed_product(&mut conn, "Produit à supprimer", Some(category), &["MATRIX-3"]).await;
    CatalogFixture {
        category,
        category_to_delete,
        attribute_type,
        type_to_delete,
        definition,
        definition_to_delete,
        product,
        product_slug: slug,
        product_to_delete: other.product,
        variant: variants[0],
        variant_to_delete: variants[1],
    }
}

async fn transfer_fixture(conn: &mut sqlx::PgConnection, store_1: Uuid, store_2: Uuid, variant: Uuid) -> [Uuid; 4] {
    use comptoir_db::inventory as db;
    let receipt = db::NewMovement {
        variant_id: variant,
        location_id: store_1,
        kind: db::MovementKind::Receipt,
        reason: None,
        on_hand_delta: 10,
        reserved_delta: 0,
        note: None,
        actor: comptoir_db::platform::audit::Actor::System,
        reference_type: None,
        reference_id: None,
    };
    db::apply(conn, &receipt).await.unwrap().unwrap();
    let mut ids = [Uuid::nil(); 4];
    let plans = [
        ((store_2, store_1), "draft"),
        ((store_1, store_2), "requested"),
        ((store_1, store_2), "requested"),
        ((store_2, store_1), "draft"),
    ];
    for (i, (route, status)) in plans.into_iter().enumerate() {
        ids[i] = db::insert_transfer(conn, Uuid::now_v7(), route, status, None, None, &[(variant, 1)])
            .await
            .unwrap()
            .id;
    }
    let shipped = db::NewMovement {
        on_hand_delta: -1,
        kind: db::MovementKind::TransferOut,
        reference_type: Some("transfer"),
        reference_id: Some(ids[2]),
        ..receipt.clone()
    };
    db::apply(conn, &shipped).await.unwrap().unwrap();
    db::set_transfer_status(conn, ids[2], "shipped").await.unwrap();
    ids
}

async fn fixture(app: &TestApp) -> Fixture {
    let store_1 = new_store(app, "RENNES").await;
    let store_2 = new_store(app, "BREST").await;
    let company_x = new_company(app, "Tonnellerie X").await;
    let customer = role(Role::Customer, Scope::Global);
    let customer_a = someone(app, "customer-a", &[customer]).await;
    let callers = vec![
        None,
        Some(customer_a),
        Some(someone(app, "customer-b", &[customer]).await),
        Some(someone(app, "buyer-x", &[role(Role::B2bBuyer, Scope::Company(company_x))]).await),
        Some(someone(app, "cashier-1", &[role(Role::Cashier, Scope::Store(store_1))]).await),
        Some(someone(app, "manager-1", &[role(Role::Manager, Scope::Store(store_1))]).await),
        Some(someone(app, "cashier-2", &[role(Role::Cashier, Scope::Store(store_2))]).await),
        Some(someone(app, "admin", &[role(Role::Admin, Scope::Global)]).await),
    ];
    let target = someone(app, "target", &[customer]).await;
    let mut conn = app.db().acquire().await.unwrap();
    let target_role = comptoir_db::identity::grant_role(&mut conn, target.id, "cashier", Some(store_2), None)
        .await
        .unwrap()
        .id;
    let api_key = comptoir_db::identity::insert_api_key(
        &mut conn,
        &comptoir_db::identity::NewApiKey {
            id: Uuid::now_v7(),
            name: "to revoke",
            prefix: "cpt_matrix",
            secret_hash: &[7; 32],
            scopes: &["catalog:read".to_owned()],
            created_by: None,
            expires_at: None,
        },
    )
    .await
    .unwrap()
    .id;
    let mut refresh_tokens = Vec::new();
    for _ in CALLERS {
        let token = comptoir_app::identity::tokens::new_secret("rt_");
        comptoir_db::identity::start_session(
            &mut conn,
            Uuid::now_v7(),
            target.id,
            None,
            None,
            &comptoir_app::identity::tokens::secret_hash(&token),
            time::OffsetDateTime::now_utc() + time::Duration::days(1),
        )
        .await
        .unwrap();
        refresh_tokens.push(token);
    }
    let a = callers[1].as_ref().unwrap();
    let now = time::OffsetDateTime::now_utc();
    let address_of_a = comptoir_db::identity::save_address(
        &mut conn,
        &comptoir_db::identity::Address {
            id: Uuid::now_v7(),
            user_id: a.id,
            label: None,
            first_name: "A".into(),
            last_name: "A".into(),
            company: None,
            line1: "2 rue de Siam".into(),
            line2: None,
            postal_code: "29200".into(),
            city: "Brest".into(),
            country: "FR".into(),
            phone_encrypted: None,
            is_default_shipping: true,
            is_default_billing: true,
            created_at: now,
            updated_at: now,
        },
    )
    .await
    .unwrap()
    .id;
    let catalog = catalog_fixture(app).await;
    let transfers = transfer_fixture(&mut conn, store_1, store_2, catalog.variant).await;
    let cart = comptoir_db::cart::insert_cart(&mut conn, Uuid::now_v7(), &[1; 32], None)
        .await
        .unwrap()
        .id;
    comptoir_db::cart::add_item(&mut conn, cart, catalog.variant, 1, 1000)
        .await
        .unwrap();
    let line = comptoir_db::cart::cart_lines(&mut conn, cart).await.unwrap()[0].item_id;
    let orders = [
        fixture_order(app, a.id, "pending_payment").await,
        fixture_order(app, a.id, "pending_payment").await,
        fixture_order(app, a.id, "paid").await,
    ];
    let credit_note = fixture_credit_note(app, orders[2]).await;
    Fixture {
        credit_note,
        orders,
        cart: (cart, line),
        store_2,
        transfers,
        catalog,
        address_of_a,
        customer_a: a.id,
        session_of_a: a.session_id,
        callers,
        target: target.id,
        target_role,
        api_key,
        refresh_tokens,
        store: store_1,
    }
}

#[tokio::test]
async fn every_operation_answers_every_kind_of_caller_as_the_matrix_says() {
    let app = TestApp::spawn().await;
    let fixture = fixture(&app).await;
    let rows = rows();

    // Every documented operation has exactly one row, and every row an operation.
    let openapi = serde_json::to_value(comptoir_server::router::openapi()).unwrap();
    let documented: BTreeSet<(String, String)> = openapi["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|m| ["get", "post", "put", "patch", "delete"].contains(&m.as_str()))
                .map(move |m| (m.clone(), path.clone()))
        })
        .collect();
    let listed: BTreeSet<(String, String)> = rows.iter().map(|r| (r.method.to_owned(), r.path.to_owned())).collect();
    let missing: Vec<_> = documented.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "operations without a row in the authorization matrix: {missing:?}"
    );
    let stale: Vec<_> = listed.difference(&documented).collect();
    assert!(stale.is_empty(), "rows for operations that no longer exist: {stale:?}");
    assert_eq!(listed.len(), rows.len(), "one row per operation");

    let mut failures = Vec::new();
    for row in &rows {
        for (i, caller) in CALLERS.iter().enumerate() {
            let method = reqwest::Method::from_bytes(row.method.to_uppercase().as_bytes()).unwrap();
            // Stock changes need a key; every request gets a fresh one.
            let mut request = app
                .client
                .request(method, app.url(&(row.url)(&fixture)))
                .header("idempotency-key", Uuid::now_v7().to_string());
            if let Some(someone) = &fixture.callers[i] {
                request = request.header("authorization", bearer(&someone.token));
            }
            if let Some(body) = (row.body)(&fixture, i) {
                request = request.json(&body);
            }
            let status = request.send().await.unwrap().status().as_u16();
            if status != row.expected[i] {
                failures.push(format!(
                    "{} {} as {caller}: {status}, expected {}",
                    row.method, row.path, row.expected[i]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "authorization matrix:\n{}", failures.join("\n"));
}
