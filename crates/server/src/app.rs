//! The application state and the assembled router.

use axum::Router;
use utoipa_axum::router::OpenApiRouter;

/// What every handler can reach: the use cases' context.
pub type AppState = comptoir_app::Context;

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
        .merge(crate::router::docs(openapi))
        .merge(crate::pages::router())
        .fallback(crate::pages::not_found)
        .with_state(state.clone());
    crate::http::apply(
        router,
        &state.config,
        crate::http::ErrorPages {
            page_language: crate::pages::page_language_code,
            render: crate::pages::as_error_page_in,
        },
    )
}
