//! Integration tests: the real router over real HTTP, each test with its own
//! PostgreSQL database cloned from a migrated template, and the real Redis.

// A test's fixture that cannot be set up must fail the test at once, loudly.
#![expect(clippy::unwrap_used, clippy::expect_used, reason = "test fixtures fail loudly")]

mod cart;
mod catalog;
mod contract;
mod harness;
mod identity;
mod inventory;
mod orders;
mod pages;
mod platform;
