//! Every `code` a problem document can carry, with its status and what it
//! means: the registry clients program against. `docs/API-DESIGN.md` lists
//! the same table, and a test fails when the two differ or when the source
//! answers a code that is not here.

/// One problem code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    pub code: &'static str,
    pub status: u16,
    pub meaning: &'static str,
}

const fn code(code: &'static str, status: u16, meaning: &'static str) -> Code {
    Code { code, status, meaning }
}

/// The registry, sorted by code.
pub const CODES: &[Code] = &[
    code("address.not_found", 404, "No such saved address, or not the caller's."),
    code("api_key.not_found", 404, "No such API key."),
    code("auth.account_disabled", 403, "The account is disabled."),
    code("auth.email_taken", 409, "An account already uses this email address."),
    code("auth.forbidden", 403, "The caller is known and may not do this."),
    code(
        "auth.invalid_api_key",
        401,
        "The API key is unknown, revoked or expired.",
    ),
    code("auth.invalid_credentials", 401, "Wrong email or password."),
    code(
        "auth.invalid_refresh_token",
        401,
        "The refresh token is unknown, expired or revoked.",
    ),
    code(
        "auth.invalid_token",
        401,
        "The access token or the Authorization header is not valid.",
    ),
    code(
        "auth.refresh_reused",
        401,
        "A refresh token was used twice: its whole session family is revoked.",
    ),
    code("auth.required", 401, "The route needs a signed-in user or an API key."),
    code("auth.token_expired", 401, "The access token has expired; refresh it."),
    code(
        "auth.too_many_attempts",
        429,
        "Too many failed sign-ins; wait for Retry-After.",
    ),
    code(
        "auth.unauthenticated",
        401,
        "Authentication is required (a refusal of the HTTP layer).",
    ),
    code("cart.empty", 422, "The cart has nothing to order."),
    code("cart.item_not_found", 404, "No such line in this cart."),
    code("cart.not_found", 404, "No such cart, or not the caller's."),
    code(
        "cart.unavailable_items",
        422,
        "A line's product is no longer sold; `errors` names the lines.",
    ),
    code(
        "catalog.attribute_definition_not_found",
        404,
        "No such attribute definition.",
    ),
    code(
        "catalog.attribute_type_in_use",
        409,
        "The attribute type is still used by a definition.",
    ),
    code("catalog.attribute_type_not_found", 404, "No such attribute type."),
    code(
        "catalog.category_not_empty",
        409,
        "The category still has products or subcategories.",
    ),
    code("catalog.category_not_found", 404, "No such category."),
    code(
        "catalog.product_not_found",
        404,
        "No such product (or not published, for shoppers).",
    ),
    code(
        "catalog.variant_has_stock",
        409,
        "The variant still has stock somewhere.",
    ),
    code("catalog.variant_not_found", 404, "No such variant."),
    code(
        "idempotency.in_flight",
        409,
        "A request with this key is still running; retry shortly for its answer.",
    ),
    code(
        "idempotency.key_invalid",
        400,
        "The Idempotency-Key header is not a valid key.",
    ),
    code(
        "idempotency.key_required",
        400,
        "The operation needs an Idempotency-Key header.",
    ),
    code(
        "idempotency.key_reused",
        422,
        "The key was used with a different request; use a new key.",
    ),
    code(
        "import.invalid_file",
        422,
        "The uploaded file is not a catalog CSV this server reads.",
    ),
    code(
        "internal",
        500,
        "An unexpected failure; quote X-Request-Id when reporting it.",
    ),
    code("inventory.location_code_taken", 409, "Another location has this code."),
    code(
        "inventory.location_not_found",
        404,
        "No such location, or not one the caller manages.",
    ),
    code("inventory.transfer_not_found", 404, "No such transfer."),
    code(
        "method.not_allowed",
        405,
        "The resource does not take this method; Allow lists those it does.",
    ),
    code(
        "order.credit_note_not_found",
        404,
        "No such credit note for this order.",
    ),
    code(
        "order.invalid_transition",
        409,
        "The order's status does not allow this move.",
    ),
    code("order.not_found", 404, "No such order, or not the caller's."),
    code(
        "order.not_invoiced",
        404,
        "The order has no invoice yet (it is not paid).",
    ),
    code(
        "order.not_payable",
        409,
        "The order is paid, cancelled, or a payment is under way.",
    ),
    code(
        "page.csrf",
        403,
        "A page's form was sent without its session's CSRF token.",
    ),
    code("page.invalid_form", 400, "A page's form cannot be read."),
    code("page.invalid_query", 400, "A page's query string cannot be read."),
    code("page.not_found", 404, "No page at this address."),
    code(
        "page.payment_refused",
        400,
        "The payment form was refused; the page says why.",
    ),
    code(
        "payment.method_unavailable",
        422,
        "This payment method is not configured on this shop.",
    ),
    code("payment.refund_refused", 502, "The payment gateway refused the refund."),
    code(
        "precondition.failed",
        412,
        "If-Match names a version that is no longer current; ETag gives the current one.",
    ),
    code("rate_limit.exceeded", 429, "Too many requests; wait for Retry-After."),
    code(
        "refund.exceeds_paid",
        422,
        "The refund is more than what is left to refund.",
    ),
    code("refund.nothing_paid", 409, "Nothing was paid on this order."),
    code(
        "replenishment.nothing_to_send",
        422,
        "No line of the replenishment needs units.",
    ),
    code(
        "request.invalid",
        400,
        "The request cannot be served (a refusal of the HTTP layer).",
    ),
    code(
        "request.invalid_if_match",
        400,
        "The If-Match header is not an entity tag.",
    ),
    code("request.malformed_json", 400, "The body is not valid JSON."),
    code(
        "request.timeout",
        503,
        "The request took longer than the server allows.",
    ),
    code("request.too_large", 413, "The body is larger than the server accepts."),
    code("request.unreadable_body", 400, "The body could not be read."),
    code(
        "request.unsupported_media_type",
        415,
        "The body's Content-Type is not one the route takes.",
    ),
    code(
        "resource.conflict",
        409,
        "The request conflicts with an existing resource.",
    ),
    code("resource.invalid", 422, "The request breaks a rule of the data."),
    code("resource.not_found", 404, "No such resource."),
    code(
        "resource.reference",
        409,
        "The request refers to a missing or still-used resource.",
    ),
    code("role.not_found", 404, "The user holds no such role."),
    code("route.not_found", 404, "No resource lives at this address."),
    code(
        "service.unavailable",
        503,
        "A dependency is down or overloaded; retry shortly.",
    ),
    code("session.not_found", 404, "No such session of the caller's."),
    code("shipping.code_taken", 409, "Another shipping method has this code."),
    code("shipping.method_not_found", 404, "No such shipping method."),
    code(
        "stock.insufficient",
        409,
        "Not enough stock; `errors` names each line or level.",
    ),
    code(
        "test_gateway.charge_not_found",
        404,
        "No such charge at the test gateway.",
    ),
    code(
        "transfer.invalid_transition",
        409,
        "The transfer's status does not allow this move.",
    ),
    code(
        "user.cannot_disable_self",
        409,
        "An administrator cannot disable their own account.",
    ),
    code("user.not_found", 404, "No such user."),
    code(
        "validation.failed",
        422,
        "Fields are invalid; `errors` names each with its own code.",
    ),
    code(
        "webhook.invalid_signature",
        400,
        "The webhook's signature is missing, stale or wrong.",
    ),
    code(
        "webhook.malformed",
        400,
        "The webhook's body is not an event this server reads.",
    ),
];

/// The entry of `code`, if it is registered.
pub fn find(code: &str) -> Option<&'static Code> {
    CODES.iter().find(|entry| entry.code == code)
}

/// The registry as the Markdown table `docs/API-DESIGN.md` carries.
pub fn markdown_table() -> String {
    let mut table = String::from("| code | status | meaning |\n|---|---|---|\n");
    for entry in CODES {
        table.push_str(&format!(
            "| `{}` | {} | {} |\n",
            entry.code, entry.status, entry.meaning
        ));
    }
    table
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// The first dotted string literal of each call that makes a problem:
    /// the error constructors and `with_code`.
    fn codes_in(source: &str, found: &mut Vec<String>) {
        const CALLS: [&str; 13] = [
            "AppError::new(",
            "ApiError::new(",
            "AppError::bad_request(",
            "ApiError::bad_request(",
            "AppError::not_found(",
            "ApiError::not_found(",
            "AppError::conflict(",
            "ApiError::conflict(",
            "AppError::invalid(",
            ".with_code(",
            "unauthorized(",
            "const KEY_REUSED: &str = ",
            "const IN_FLIGHT: &str = ",
        ];
        for call in CALLS {
            for (at, _) in source.match_indices(call) {
                let rest = &source[at + call.len()..];
                let window = &rest[..rest.len().min(300)];
                let Some(open) = window.find('"') else { continue };
                let literal: String = window[open + 1..].chars().take_while(|c| *c != '"').collect();
                let dotted =
                    literal.contains('.') && literal.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c == '.');
                if dotted {
                    found.push(literal);
                }
            }
        }
    }

    fn walk(dir: &Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("error/codes.rs") {
                codes_in(&std::fs::read_to_string(&path).unwrap(), found);
            }
        }
    }

    #[test]
    fn the_registry_is_sorted_without_duplicates() {
        for pair in CODES.windows(2) {
            assert!(pair[0].code < pair[1].code, "{} then {}", pair[0].code, pair[1].code);
        }
    }

    #[test]
    fn every_code_the_source_answers_is_registered() {
        let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut found = Vec::new();
        walk(&crates.join("server/src"), &mut found);
        walk(&crates.join("app/src"), &mut found);
        assert!(
            found.len() > 50,
            "the scan finds the constructors ({} codes)",
            found.len()
        );
        let missing: Vec<&String> = found.iter().filter(|code| find(code).is_none()).collect();
        assert!(missing.is_empty(), "answered but not registered: {missing:?}");
    }

    #[test]
    fn the_api_design_document_lists_the_registry() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/API-DESIGN.md");
        let document = std::fs::read_to_string(path).unwrap();
        let table = markdown_table();
        assert!(
            document.contains(&table),
            "docs/API-DESIGN.md must carry the error codes' table exactly as `markdown_table` writes it:\n{table}"
        );
    }
}
