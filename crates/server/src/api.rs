//! HTTP handlers, one module per context and one file per action.

pub mod cart;
pub mod catalog;
pub mod checkout;
pub mod identity;
pub mod inventory;
pub mod orders;
pub mod payments;
pub mod platform;
pub mod shipping;
