//! Checkout: a cart becomes an order, paid by card or by transfer.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A postal address as given at checkout.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    #[schema(example = "Maëlys")]
    pub first_name: String,
    #[schema(example = "Le Gall")]
    pub last_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    #[schema(example = "12 rue de Siam")]
    pub line1: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    #[schema(example = "29200")]
    pub postal_code: String,
    #[schema(example = "Brest")]
    pub city: String,
    /// ISO 3166-1 alpha-2.
    #[schema(example = "FR")]
    pub country: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// How the customer pays.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PaymentMethodInput {
    /// A card token from the gateway (never a card number). With the test
    /// gateway: `tok_visa`, `tok_chargeDeclined`, `tok_threeDSecure`.
    Card { token: String },
    /// Paid by transfer: the order waits in `awaiting_payment` until an
    /// administrator records the transfer.
    BankTransfer,
}
