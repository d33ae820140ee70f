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
use comptoir_domain::identity::{ApiScope, Role, Scope};
use uuid::Uuid;

use crate::auth::{Caller, Principal, forbidden};
use crate::error::ApiError;

pub type State = axum::extract::State<crate::app::AppState>;

/// The locations a caller may act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    All,
    Stores(Vec<Uuid>),
}

/// Reading or changing stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

impl Reach {
    /// Who may read (`Access::Read`: admins, `inventory:read` keys, managers
    /// and cashiers of a store) or change stock (`Access::Write`: admins,
    /// `inventory:write` keys, managers).
    pub fn of(caller: &Caller, access: Access) -> Result<Self, ApiError> {
        let scope = match access {
            Access::Read => ApiScope::InventoryRead,
            Access::Write => ApiScope::InventoryWrite,
        };
        match &caller.0 {
            Principal::ApiKey { .. } => caller.require_scope(scope).map(|()| Self::All).map_err(ApiError::from),
            Principal::User(user) if user.is_admin() => Ok(Self::All),
            Principal::User(user) => {
                let stores: Vec<Uuid> = user
                    .grants
                    .iter()
                    .filter(|grant| match grant.role() {
                        Role::Manager => true,
                        Role::Cashier => access == Access::Read,
                        _ => false,
                    })
                    .filter_map(|grant| match grant.scope() {
                        Scope::Store(id) => Some(id),
                        _ => None,
                    })
                    .collect();
                if stores.is_empty() {
                    Err(forbidden("Stock is managed by administrators and store managers."))
                } else {
                    Ok(Self::Stores(stores))
                }
            }
        }
    }

    pub fn allows(&self, location: Uuid) -> bool {
        match self {
            Self::All => true,
            Self::Stores(stores) => stores.contains(&location),
        }
    }

    /// The locations a list may show: `None` for all of them.
    pub fn filter(&self, asked: Option<Uuid>) -> Result<Option<Vec<Uuid>>, ApiError> {
        match (self, asked) {
            (_, Some(location)) if self.allows(location) => Ok(Some(vec![location])),
            (_, Some(_)) => Err(location_not_found()),
            (Self::All, None) => Ok(None),
            (Self::Stores(stores), None) => Ok(Some(stores.clone())),
        }
    }

    /// 404 for a location out of reach, as for one that does not exist.
    pub fn check(&self, location: Uuid) -> Result<(), ApiError> {
        if self.allows(location) {
            Ok(())
        } else {
            Err(location_not_found())
        }
    }
}

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
        let reach = Reach::of(&caller, Access::Write)?;
        Ok(Self { caller, reach })
    }
}

/// `limit` of a list: 1 to 100, `default` when absent.
pub fn page_limit(limit: Option<i64>, default: i64) -> Result<i64, ApiError> {
    Ok(comptoir_app::platform::page_limit(limit, default)?)
}

pub fn location_not_found() -> ApiError {
    ApiError::not_found("inventory.location_not_found", "No such location.")
}

pub use comptoir_app::inventory::insufficient;
pub use comptoir_app::platform::paged;

pub fn actor_of(caller: &Caller) -> Actor {
    caller.0.actor()
}
