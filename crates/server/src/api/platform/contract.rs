//! What every operation can answer besides what its handler documents.
//!
//! Handlers document their own outcomes (`#[utoipa::path(responses(..))]`);
//! the answers the platform gives for any operation of a kind (a body that is
//! not JSON, a missing token, a timeout) are added here, once, from what the
//! operation declares: a JSON body, parameters, a security requirement. The
//! same pass writes errors as `application/problem+json`, gives every
//! response a description and documents binary documents as binary, so the
//! served document is the contract the server keeps. The integration tests
//! check every answer they receive against it.

use serde_json::{Map, Value, json};
use utoipa::openapi::OpenApi;

/// The shared responses, under `components.responses`.
const SHARED: [(&str, &str, &str); 7] = [
    (
        "MalformedJson",
        "400",
        "The body is not valid JSON (`request.malformed_json`) or could not be read (`request.unreadable_body`).",
    ),
    (
        "Unauthenticated",
        "401",
        "The bearer token or API key is missing where required, malformed, expired or revoked (`auth.*`).",
    ),
    (
        "NotFound",
        "404",
        "No such resource (`resource.not_found`), or not one the caller may see.",
    ),
    (
        "TooLarge",
        "413",
        "The body is larger than the server accepts (`request.too_large`).",
    ),
    (
        "UnsupportedMediaType",
        "415",
        "The body is not sent with `Content-Type: application/json` (`request.unsupported_media_type`).",
    ),
    (
        "Invalid",
        "422",
        "A field or parameter is missing or invalid (`validation.failed`); `errors` names each one.",
    ),
    (
        "Unavailable",
        "503",
        "The request took too long or a dependency is down; retry later (`service.unavailable`).",
    ),
];

/// The served document: the handlers' documentation, completed. (JSON
/// rather than utoipa's types, which do not read back every document they
/// write.)
pub fn complete(openapi: &OpenApi) -> Value {
    let mut document = serde_json::to_value(openapi).unwrap_or_default();
    complete_value(&mut document);
    document
}

fn complete_value(document: &mut Value) {
    let responses = document
        .pointer_mut("/components")
        .and_then(Value::as_object_mut)
        .map(|components| components.entry("responses").or_insert_with(|| json!({})));
    if let Some(Value::Object(shared)) = responses {
        for (name, _, description) in SHARED {
            shared.insert(name.to_owned(), problem_response(description));
        }
    }
    let schemas = document.pointer("/components/schemas").cloned().unwrap_or_default();
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        for operation in item.values_mut() {
            if let Some(operation) = operation.as_object_mut() {
                complete_operation(operation, &schemas);
            }
        }
    }
}

/// Whether a schema is the problem document or extends it (a problem with
/// facts of its own, such as an import's report).
fn is_problem(schema: &Value, schemas: &Value) -> bool {
    const PROBLEM: &str = "#/components/schemas/Problem";
    match schema.get("$ref").and_then(Value::as_str) {
        Some(PROBLEM) => true,
        Some(reference) => reference
            .strip_prefix("#/components/schemas/")
            .and_then(|name| schemas.get(name))
            .is_some_and(|target| is_problem(target, schemas)),
        None => schema
            .get("allOf")
            .and_then(Value::as_array)
            .is_some_and(|parts| parts.iter().any(|part| is_problem(part, schemas))),
    }
}

fn complete_operation(operation: &mut Map<String, Value>, schemas: &Value) {
    let takes_json = operation
        .get("requestBody")
        .and_then(|body| body.pointer("/content/application~1json"))
        .is_some();
    let parameters: Vec<&str> = operation
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|parameter| parameter["in"].as_str())
        .collect();
    let has_path = parameters.contains(&"path");
    let has_query = parameters.contains(&"query");
    let authenticates = operation
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|requirements| {
            requirements
                .iter()
                .any(|r| r.as_object().is_some_and(|r| !r.is_empty()))
        });

    let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) else {
        return;
    };
    let mut wanted = vec!["Unavailable"];
    if takes_json {
        wanted.extend(["MalformedJson", "TooLarge", "UnsupportedMediaType", "Invalid"]);
    }
    if has_query {
        wanted.push("Invalid");
    }
    if has_path {
        wanted.push("NotFound");
    }
    if authenticates {
        wanted.push("Unauthenticated");
    }
    for name in wanted {
        let Some((_, status, description)) = SHARED.iter().find(|(n, _, _)| *n == name) else {
            continue;
        };
        match responses.get_mut(*status) {
            None => {
                responses.insert(
                    (*status).to_owned(),
                    json!({ "$ref": format!("#/components/responses/{name}") }),
                );
            }
            Some(existing) => also_answers(existing, description),
        }
    }
    for (status, response) in responses.iter_mut() {
        complete_response(status, response, schemas);
    }
}

/// A handler's own response for a status the platform also answers keeps
/// the handler's words and adds the platform's case.
fn also_answers(existing: &mut Value, platform: &str) {
    let Some(existing) = existing.as_object_mut() else {
        return;
    };
    if existing.contains_key("$ref") {
        return;
    }
    let own = existing.get("description").and_then(Value::as_str).unwrap_or_default();
    let description = if own.is_empty() {
        platform.to_owned()
    } else {
        let own = own.trim_end_matches('.');
        format!("{own}. Or: {platform}")
    };
    existing.insert("description".into(), Value::String(description));
}

fn complete_response(status: &str, response: &mut Value, schemas: &Value) {
    let Some(response) = response.as_object_mut() else {
        return;
    };
    if response.contains_key("$ref") {
        return;
    }
    if response
        .get("description")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        response.insert("description".into(), Value::String(default_description(status).into()));
    }
    let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) else {
        return;
    };
    let problem = content
        .get("application/json")
        .is_some_and(|entry| is_problem(&entry["schema"], schemas));
    if let Some(entry) = problem.then(|| content.remove("application/json")).flatten() {
        content.insert("application/problem+json".into(), entry);
    }
    for (media_type, entry) in content.iter_mut() {
        let textual = media_type.starts_with("text/") || media_type.contains("json");
        if !textual {
            entry["schema"] = json!({ "type": "string", "format": "binary" });
        }
    }
}

fn problem_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {
            "application/problem+json": {
                "schema": { "$ref": "#/components/schemas/Problem" }
            }
        }
    })
}

fn default_description(status: &str) -> &'static str {
    match status {
        "200" => "The answer.",
        "201" => "Created; the body is the new resource.",
        "202" => "Accepted; the work continues in the background.",
        "204" => "Done; nothing to answer.",
        "304" => "Not modified since the `ETag` sent in `If-None-Match`.",
        "400" => "The request is malformed.",
        "401" => "Credentials are missing or invalid.",
        "403" => "The caller is known but may not do this.",
        "404" => "No such resource, or not one the caller may see.",
        "409" => "The resource's state does not allow it.",
        "412" => "The resource changed since the version sent in `If-Match`.",
        "422" => "A field or parameter is missing or invalid; `errors` names each one.",
        "428" => "`If-Match` is required.",
        "429" => "Too many requests; wait for `Retry-After`.",
        _ => "See the problem's `code`.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operation(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn an_operation_with_a_json_body_lists_the_answers_to_a_bad_body() {
        let mut op = operation(json!({
            "requestBody": { "content": { "application/json": { "schema": {} } } },
            "responses": {
                "201": { "content": { "application/json": { "schema": {} } } },
                "400": { "description": "No Idempotency-Key", "content": { "application/json": {
                    "schema": { "$ref": "#/components/schemas/Problem" } } } }
            }
        }));
        complete_operation(&mut op, &json!({}));
        let responses = &op["responses"];
        for status in ["413", "415", "422", "503"] {
            assert!(responses[status]["$ref"].is_string(), "{status}: {responses}");
        }
        assert_eq!(
            responses["201"]["description"],
            "Created; the body is the new resource."
        );
        let bad_request = &responses["400"];
        assert!(bad_request["content"]["application/problem+json"].is_object());
        assert!(bad_request["content"].get("application/json").is_none());
        let description = bad_request["description"].as_str().unwrap();
        assert!(description.starts_with("No Idempotency-Key. Or: "), "{description}");
        assert!(description.contains("request.malformed_json"));
    }

    #[test]
    fn authentication_path_parameters_and_binary_documents() {
        let mut op = operation(json!({
            "parameters": [{ "in": "path", "name": "id" }],
            "security": [{}, { "bearer": [] }],
            "responses": {
                "200": { "description": "The invoice", "content": {
                    "application/pdf": { "schema": { "type": "array", "items": { "type": "integer" } } },
                    "text/html": { "schema": { "type": "string" } }
                } }
            }
        }));
        complete_operation(&mut op, &json!({}));
        let responses = &op["responses"];
        assert_eq!(responses["401"]["$ref"], "#/components/responses/Unauthenticated");
        assert_eq!(responses["404"]["$ref"], "#/components/responses/NotFound");
        assert!(responses.get("422").is_none(), "no body, no query: {responses}");
        let content = &responses["200"]["content"];
        assert_eq!(
            content["application/pdf"]["schema"],
            json!({ "type": "string", "format": "binary" })
        );
        assert_eq!(content["text/html"]["schema"], json!({ "type": "string" }));
    }

    #[test]
    fn a_public_operation_lists_no_401() {
        let mut op = operation(json!({ "security": [{}], "responses": { "200": {} } }));
        complete_operation(&mut op, &json!({}));
        assert!(op["responses"].get("401").is_none());
    }
}
