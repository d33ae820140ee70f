//! Who reaches which locations' stock. Administrators and integrations
//! with the `inventory:*` scopes reach every location; a store's managers
//! (and, for reading, its cashiers) reach only their own stores, and
//! another store's data is answered as if it did not exist.

use comptoir_domain::identity::{ApiScope, Role, Scope};
use uuid::Uuid;

use crate::error::AppError;
use crate::identity::Principal;

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
    pub fn of(caller: &Principal, access: Access) -> Result<Self, AppError> {
        let scope = match access {
            Access::Read => ApiScope::InventoryRead,
            Access::Write => ApiScope::InventoryWrite,
        };
        match caller {
            Principal::ApiKey { .. } => caller.require_scope(scope).map(|()| Self::All),
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
                    Err(AppError::forbidden(
                        "Stock is managed by administrators and store managers.",
                    ))
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
    pub fn filter(&self, asked: Option<Uuid>) -> Result<Option<Vec<Uuid>>, AppError> {
        match (self, asked) {
            (_, Some(location)) if self.allows(location) => Ok(Some(vec![location])),
            (_, Some(_)) => Err(location_not_found()),
            (Self::All, None) => Ok(None),
            (Self::Stores(stores), None) => Ok(Some(stores.clone())),
        }
    }

    /// 404 for a location out of reach, as for one that does not exist.
    pub fn check(&self, location: Uuid) -> Result<(), AppError> {
        if self.allows(location) {
            Ok(())
        } else {
            Err(location_not_found())
        }
    }
}

pub fn location_not_found() -> AppError {
    AppError::not_found("inventory.location_not_found", "No such location.")
}
