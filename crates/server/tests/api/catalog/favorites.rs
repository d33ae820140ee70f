//! Favourites belong to their owner, and adding or removing twice is harmless.

use comptoir_domain::identity::{Role, Scope};
use serde_json::Value;

use super::seed_product;
use crate::harness::TestApp;
use crate::identity::{call, role, someone};

#[tokio::test]
async fn a_shopper_keeps_favourites_that_no_one_else_sees() {
    let app = TestApp::spawn().await;
    let customer = role(Role::Customer, Scope::Global);
    let anne = someone(&app, "anne", &[customer]).await;
    let bob = someone(&app, "bob", &[customer]).await;
    let mut conn = app.db().acquire().await.unwrap();
    let tent = seed_product(&mut conn, "Tente Glénan", None, &["T-1"]).await;
    drop(conn);
    let path = format!("/api/v1/me/favorites/{}", tent.product);
    for _ in 0..2 {
        assert_eq!(
            call(&app, &anne.token, reqwest::Method::PUT, &path, None)
                .await
                .status(),
            204
        );
    }
    let mine: Value = call(&app, &anne.token, reqwest::Method::GET, "/api/v1/me/favorites", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    assert_eq!(mine["items"][0]["slug"], tent.slug);
    assert_eq!(mine["items"][0]["available"], true);
    let theirs: Value = call(&app, &bob.token, reqwest::Method::GET, "/api/v1/me/favorites", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(theirs["items"].as_array().unwrap().is_empty());

    let unknown = format!("/api/v1/me/favorites/{}", uuid::Uuid::now_v7());
    assert_eq!(
        call(&app, &anne.token, reqwest::Method::PUT, &unknown, None)
            .await
            .status(),
        404
    );
    for _ in 0..2 {
        assert_eq!(
            call(&app, &anne.token, reqwest::Method::DELETE, &path, None)
                .await
                .status(),
            204
        );
    }
    let none: Value = call(&app, &anne.token, reqwest::Method::GET, "/api/v1/me/favorites", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(none["items"].as_array().unwrap().is_empty());
}
