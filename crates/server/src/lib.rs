//! Comptoir's server: the adapters between the outside world and the use
//! cases of `comptoir-app`: the HTTP API, the pages, the middleware, the
//! router and the command line.

pub mod api;
pub mod app;
pub mod auth;
pub mod backup;
pub mod cli;
pub mod error;
pub mod extract;
pub mod http;
pub mod pages;
pub mod platform;
pub mod respond;
pub mod router;
pub mod seed;
pub mod serve;
pub mod stripe_client;
pub mod telemetry;
