//! Inventory: locations, stock per variant and location with its ledger,
//! adjustments, reservations (read-only here: checkout and the point of
//! sale reserve through the db functions), low-stock alerts and the public
//! availability of a product.
//!
//! Administrators and integrations with the `inventory:*` scopes reach every
//! location; a store's managers (and, for reading, its cashiers) reach only
//! their own stores, and another store's data answers 404.

pub mod availability;
pub mod locations;
pub mod stock;
pub mod transfers;

use axum::extract::FromRequestParts;
use comptoir_db::platform::audit::Actor;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::RequestContext;
use comptoir_app::platform::staff::Acting;

pub type State = axum::extract::State<crate::app::AppState>;

pub use comptoir_app::inventory::access::{Access, Reach, location_not_found};

/// The caller of a stock change, checked before its body is read: one who
/// may not change stock hears 403 whatever the body or its
/// `Idempotency-Key`.
pub struct StockWriter {
    pub caller: Caller,
    pub reach: Reach,
}

impl FromRequestParts<crate::app::AppState> for StockWriter {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &crate::app::AppState,
    ) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let reach = Reach::of(&caller.0, Access::Write)?;
        Ok(Self { caller, reach })
    }
}

pub use comptoir_app::platform::page_limit;

pub use comptoir_app::inventory::insufficient;
pub use comptoir_app::platform::paged;

pub fn actor_of(caller: &Caller) -> Actor {
    caller.0.actor()
}

/// Who changes stock, under which request, for the audit log.
pub fn acting<'a>(caller: &Caller, context: Option<&'a std::sync::Arc<RequestContext>>) -> Acting<'a> {
    Acting {
        actor: caller.0.actor(),
        request_id: context.map(|c| c.request_id()),
    }
}
