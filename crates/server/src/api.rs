//! HTTP handlers, one module per context and one file per action.

pub mod cart;
pub mod catalog;
pub mod identity;
pub mod inventory;
pub mod platform;
pub mod shipping;
