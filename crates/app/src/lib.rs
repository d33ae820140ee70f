//! Comptoir's use cases: what the product does, as typed functions that the
//! API, the pages, the command line and the workers all call.
//!
//! A use case takes the [`Context`], the caller and a typed input, owns its
//! transaction, applies the rules of `comptoir-domain` with the queries of
//! `comptoir-db`, and answers a typed output or an [`AppError`]. Nothing here
//! knows about HTTP: the server crate adapts requests to these functions and
//! their answers to JSON or pages.

pub mod cache;
pub mod cart;
pub mod catalog;
pub mod checkout;
pub mod config;
pub mod crypto;
pub mod documents;
pub mod error;
pub mod identity;
pub mod inventory;
pub mod mail;
pub mod markdown;
pub mod orders;
pub mod payments;
pub mod platform;
pub mod shipping;

use std::sync::Arc;

use comptoir_db::PgPool;
use metrics_exporter_prometheus::PrometheusHandle;

pub use error::{AppError, ErrorKind, FieldError};

use crate::cache::Cache;
use crate::config::Config;

/// What every use case can reach, built once at start. Cloned for every
/// request, so it is one `Arc`: one reference count to touch rather than
/// one per member.
#[derive(Clone)]
pub struct Context(Arc<Services>);

/// The members of [`Context`], reached through `Deref`.
pub struct Services {
    pub db: PgPool,
    pub cache: Cache,
    pub config: Config,
    pub metrics: PrometheusHandle,
    pub auth: identity::Auth,
    pub cipher: crypto::FieldCipher,
    /// Attribute rules compiled once per version of their type.
    pub catalog_rules: catalog::rules::RuleCache,
    pub gateways: payments::Gateways,
    /// Stock as product pages show it, evicted on change.
    pub stock: cache::StockCache,
}

impl Context {
    pub fn new(services: Services) -> Self {
        Self(Arc::new(services))
    }
}

impl std::ops::Deref for Context {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}
