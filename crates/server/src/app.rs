//! The application state and the assembled router.

use std::sync::Arc;

use axum::Router;
use comptoir_db::PgPool;
use metrics_exporter_prometheus::PrometheusHandle;
use utoipa_axum::router::OpenApiRouter;

use crate::cache::Cache;
use crate::config::Config;

/// What every handler can reach. Cloned for every request that a handler
/// with `State` serves, so it is one `Arc`: one reference count to touch
/// rather than one per member.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The members of [`AppState`], reached through `Deref`.
pub struct Shared {
    pub db: PgPool,
    pub cache: Cache,
    pub config: Config,
    pub metrics: PrometheusHandle,
    pub auth: crate::auth::Auth,
    pub cipher: crate::crypto::FieldCipher,
    /// Attribute rules compiled once per version of their type.
    pub catalog_rules: crate::api::catalog::rules::RuleCache,
    pub gateways: crate::payments::Gateways,
    /// Stock as product pages show it, evicted on change.
    pub stock: crate::cache::StockCache,
}

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The whole application: every route of `router.rs`, the docs pages and the
/// platform middleware.
pub fn build(state: AppState) -> Router {
    build_with(state, OpenApiRouter::new())
}

/// Like [`build`], with extra routes mounted under the same middleware
/// (tests use it to exercise the platform mechanisms).
pub fn build_with(state: AppState, extra: OpenApiRouter<AppState>) -> Router {
    let (routes, openapi) = crate::router::routes().merge(extra).split_for_parts();
    let router = routes
        .merge(crate::api::platform::docs::router(openapi))
        .merge(crate::pages::router())
        .fallback(crate::pages::not_found)
        .with_state(state.clone());
    crate::http::apply(router, &state.config)
}
