//! The signed-in shopper's favourites.

use super::session::WebSession;
use super::{Chrome, page, render, visitor};
use super::{OrPage, chrome};
use crate::app::AppState;
use crate::extract::Path;
use crate::pages::PageResult;
use crate::pages::form::CsrfForm;
use crate::pages::form::id_of;
use crate::pages::form::posted;
use crate::pages::sign_in::to_sign_in;
use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use comptoir_app::catalog::favorites;
use comptoir_app::documents::euros;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/favoris", get(favorites))
        .route("/favoris/{id}", post(add_favorite))
        .route("/favoris/{id}/supprimer", post(remove_favorite))
}

pub struct FavoriteRow {
    pub product_id: String,
    pub name: String,
    pub url: String,
    pub brand: String,
    pub price: String,
    pub image: Option<String>,
    pub available: bool,
}

#[derive(Template)]
#[template(path = "shop/favorites.html")]
pub(super) struct FavoritesPage {
    chrome: Chrome,
    signed_in: bool,
    items: Vec<FavoriteRow>,
}

pub(super) async fn favorites(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> PageResult {
    let session = visitor(&state, &headers).await?;
    let items = match &session.user {
        None => Vec::new(),
        Some(user) => {
            let list = favorites::list(&state, user.id).await.or_page(&headers)?;
            list.items
                .into_iter()
                .map(|f| FavoriteRow {
                    product_id: f.product_id.to_string(),
                    url: format!("/produits/{}", f.slug),
                    name: f.name,
                    brand: f.brand.unwrap_or_default(),
                    price: f.price_min_minor.map(euros).unwrap_or_default(),
                    image: f.image_urls.into_iter().next(),
                    available: f.available,
                })
                .collect()
        }
    };
    let chrome = chrome(&state, &headers, &uri, &session).await?;
    let html = render(
        &FavoritesPage {
            signed_in: session.user.is_some(),
            items,
            chrome,
        },
        &headers,
    )?;
    Ok(page(&state, &session, StatusCode::OK, html))
}

pub(super) async fn add_favorite(
    state: State<AppState>,
    headers: HeaderMap,
    id: Path<String>,
    body: Bytes,
) -> PageResult {
    change_favorite(state, headers, id, body, true).await
}

pub(super) async fn remove_favorite(
    state: State<AppState>,
    headers: HeaderMap,
    id: Path<String>,
    body: Bytes,
) -> PageResult {
    change_favorite(state, headers, id, body, false).await
}

/// Adds or removes a favourite, then goes back (a guest signs in first).
pub(super) async fn change_favorite(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
    add: bool,
) -> PageResult {
    let (session, form): (WebSession, CsrfForm) = posted(&state, &headers, &body).await?;
    let id = id_of(&headers, &id)?;
    let back = form
        .retour
        .filter(|r| super::local_path(r))
        .unwrap_or_else(|| "/favoris".to_owned());
    let Some(user) = &session.user else {
        return Ok(to_sign_in(&back));
    };
    if add {
        favorites::add(&state, user.id, id).await.or_page(&headers)?;
    } else {
        favorites::remove(&state, user.id, id).await.or_page(&headers)?;
    }
    Ok(Redirect::to(&back).into_response())
}
