//! HTTP handlers, one module per context and one file per action.

pub mod platform;
