//! The catalog's use cases.

pub mod rules;
