//! Comptoir's server: the HTTP API, pages, workers and command line.

pub mod api;
pub mod app;
pub mod auth;
pub mod backup;
pub mod cache;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod documents;
pub mod error;
pub mod extract;
pub mod http;
pub mod inventory;
pub mod mail;
pub mod markdown;
pub mod orders;
pub mod pages;
pub mod payments;
pub mod platform;
pub mod router;
pub mod seed;
pub mod serve;
pub mod telemetry;
