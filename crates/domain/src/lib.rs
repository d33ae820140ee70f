//! Comptoir's pure types and business rules. Nothing here does I/O: no
//! database, no HTTP, no clock reads; callers pass time and data in.

pub mod catalog;
pub mod identity;
pub mod inventory;
pub mod orders;
pub mod platform;
