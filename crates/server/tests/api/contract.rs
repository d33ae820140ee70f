//! Every answer a test receives from a documented operation is checked
//! against the served OpenAPI document: its status is listed, its media type
//! is the listed one (once), and a JSON body matches the listed schema. A
//! test whose server answered something the document does not say fails when
//! its `TestApp` is dropped, naming each difference; so a new answer cannot
//! ship undocumented.

use std::sync::{Arc, LazyLock, Mutex};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{Map, Value};

/// What the document says; built once per test binary.
static DOCUMENT: LazyLock<Value> = LazyLock::new(comptoir_server::router::openapi);

/// The differences seen by one test's server.
pub type Violations = Arc<Mutex<Vec<String>>>;

/// Wraps a router so that each answer is checked as it leaves.
pub fn checked(router: axum::Router, violations: Violations) -> axum::Router {
    router.layer(axum::middleware::from_fn(move |request: Request, next: Next| {
        let violations = violations.clone();
        async move { check_answer(request, next, violations).await }
    }))
}

async fn check_answer(request: Request, next: Next, violations: Violations) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    if method == Method::HEAD || method == Method::OPTIONS {
        return response;
    }
    let Some((template, operation)) = operation_of(&method, &path) else {
        return response;
    };
    let status = response.status().as_u16();
    let content_types: Vec<String> = response
        .headers()
        .get_all(header::CONTENT_TYPE)
        .iter()
        .filter_map(|value| value.to_str().ok().map(str::to_owned))
        .collect();
    let name = format!("{method} {template} answered {status}");
    let mut found = Vec::new();
    if content_types.len() > 1 {
        found.push(format!(
            "{name} with {} Content-Type headers: {content_types:?}",
            content_types.len()
        ));
    }
    let media_type = content_types
        .first()
        .map(|value| value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
    let (response, body) = if media_type.as_deref().is_some_and(|m| m.contains("json")) {
        let (parts, body) = response.into_parts();
        match axum::body::to_bytes(body, usize::MAX).await {
            Ok(bytes) => {
                let json = serde_json::from_slice::<Value>(&bytes).ok();
                (Response::from_parts(parts, Body::from(bytes)), json)
            }
            Err(err) => {
                found.push(format!("{name}: the body could not be read: {err}"));
                (Response::from_parts(parts, Body::empty()), None)
            }
        }
    } else {
        (response, None)
    };
    found.extend(differences(
        &name,
        operation,
        status,
        media_type.as_deref(),
        body.as_ref(),
    ));
    if !found.is_empty() {
        violations.lock().unwrap().extend(found);
    }
    response
}

/// The documented operation an address reaches: the template with the most
/// literal segments wins (`/products/export` before `/products/{id}`).
fn operation_of(method: &Method, path: &str) -> Option<(String, &'static Value)> {
    let paths = DOCUMENT["paths"].as_object()?;
    let segments: Vec<&str> = path.split('/').collect();
    let mut best: Option<(usize, &String, &Value)> = None;
    for (template, item) in paths {
        let parts: Vec<&str> = template.split('/').collect();
        if parts.len() != segments.len() {
            continue;
        }
        let mut literal = 0;
        let matches = parts.iter().zip(&segments).all(|(part, segment)| {
            if part.starts_with('{') && part.ends_with('}') {
                !segment.is_empty()
            } else {
                literal += 1;
                part == segment
            }
        });
        if matches && best.is_none_or(|(score, _, _)| literal > score) {
            best = Some((literal, template, item));
        }
    }
    let (_, template, item) = best?;
    let operation = item.get(method.as_str().to_ascii_lowercase())?;
    Some((template.clone(), operation))
}

fn differences(
    name: &str,
    operation: &Value,
    status: u16,
    media_type: Option<&str>,
    body: Option<&Value>,
) -> Vec<String> {
    let Some(response) = operation["responses"].get(status.to_string()) else {
        return vec![format!("{name}, which the document does not list")];
    };
    let response = resolve(response);
    let content = response.get("content").and_then(Value::as_object);
    let Some(media_type) = media_type else {
        return Vec::new();
    };
    let Some(listed) = content.and_then(|content| content.get(media_type)) else {
        let listed: Vec<&String> = content.map(|c| c.keys().collect()).unwrap_or_default();
        return vec![format!("{name} as {media_type}; the document lists {listed:?}")];
    };
    let (Some(body), Some(schema)) = (body, listed.get("schema")) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    validate(schema, body, "body", &mut found);
    found
        .into_iter()
        .map(|difference| format!("{name}: {difference}"))
        .collect()
}

fn resolve(value: &Value) -> &Value {
    let mut value = value;
    while let Some(reference) = value.get("$ref").and_then(Value::as_str) {
        let pointer = reference.trim_start_matches('#');
        match DOCUMENT.pointer(pointer) {
            Some(target) => value = target,
            None => return value,
        }
    }
    value
}

/// JSON Schema as the document uses it: types (with `null`), properties,
/// `required`, `additionalProperties`, items, `oneOf`/`anyOf`/`allOf`,
/// `enum`, bounds, lengths, formats. A property the answer carries that the
/// schema does not name is a difference too: a client generated from the
/// document would not know it.
fn validate(schema: &Value, value: &Value, at: &str, found: &mut Vec<String>) {
    let schema = resolve(schema);
    let Some(rules) = schema.as_object() else { return };
    for (keyword, need_one) in [("oneOf", true), ("anyOf", false)] {
        if let Some(options) = rules.get(keyword).and_then(Value::as_array) {
            let matching = options
                .iter()
                .filter(|option| {
                    let mut inner = Vec::new();
                    validate(option, value, at, &mut inner);
                    inner.is_empty()
                })
                .count();
            let fits = if need_one { matching == 1 } else { matching >= 1 };
            if !fits {
                found.push(format!("{at} matches {matching} of the {keyword} schemas: {value}"));
            }
        }
    }
    match rules.get("allOf").and_then(Value::as_array) {
        Some(parts) => {
            for part in parts {
                validate_rules(resolve(part), value, at, false, found);
            }
            validate_rules(schema, value, at, false, found);
            if let Value::Object(object) = value {
                let mut known = Vec::new();
                let open = names_of(schema, &mut known);
                for name in object.keys() {
                    if !open && !known.contains(name) {
                        found.push(format!("{at}.{name} is not in the document"));
                    }
                }
            }
        }
        None => validate_rules(schema, value, at, true, found),
    }
}

/// The property names an `allOf` composes; false when a part admits any.
fn names_of(schema: &Value, known: &mut Vec<String>) -> bool {
    let schema = resolve(schema);
    let mut open = matches!(
        schema.get("additionalProperties"),
        Some(Value::Object(_) | Value::Bool(true))
    );
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        known.extend(properties.keys().cloned());
    }
    for part in schema.get("allOf").and_then(Value::as_array).into_iter().flatten() {
        open |= names_of(part, known);
    }
    open
}

fn validate_rules(schema: &Value, value: &Value, at: &str, strict: bool, found: &mut Vec<String>) {
    let Some(rules) = schema.as_object() else { return };
    if let Some(types) = rules.get("type") {
        let types: Vec<&str> = match types {
            Value::String(one) => vec![one.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !types.iter().any(|t| type_fits(t, value)) {
            found.push(format!("{at} is {value}, not {types:?}"));
            return;
        }
    }
    if let Some(allowed) = rules.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        found.push(format!("{at} is {value}, not one of {allowed:?}"));
    }
    match value {
        Value::Object(object) => validate_object(rules, object, at, strict, found),
        Value::Array(items) => {
            if let Some(item_schema) = rules.get("items") {
                for (index, item) in items.iter().enumerate() {
                    validate(item_schema, item, &format!("{at}[{index}]"), found);
                }
            }
        }
        Value::Number(number) => {
            let n = number.as_f64().unwrap_or_default();
            if rules.get("minimum").and_then(Value::as_f64).is_some_and(|min| n < min) {
                found.push(format!("{at} is {n}, under the documented minimum"));
            }
            if rules.get("maximum").and_then(Value::as_f64).is_some_and(|max| n > max) {
                found.push(format!("{at} is {n}, over the documented maximum"));
            }
        }
        Value::String(text) => {
            let length = text.chars().count() as u64;
            if rules
                .get("maxLength")
                .and_then(Value::as_u64)
                .is_some_and(|max| length > max)
            {
                found.push(format!("{at} is longer than the documented maxLength"));
            }
            if rules
                .get("minLength")
                .and_then(Value::as_u64)
                .is_some_and(|min| length < min)
            {
                found.push(format!("{at} is shorter than the documented minLength"));
            }
            match rules.get("format").and_then(Value::as_str) {
                Some("uuid") if uuid::Uuid::parse_str(text).is_err() => {
                    found.push(format!("{at} is {text:?}, not a uuid"));
                }
                Some("date-time")
                    if time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).is_err() =>
                {
                    found.push(format!("{at} is {text:?}, not an RFC 3339 date-time"));
                }
                _ => {}
            }
        }
        _ => {}
    }
}

fn validate_object(
    rules: &Map<String, Value>,
    object: &Map<String, Value>,
    at: &str,
    strict: bool,
    found: &mut Vec<String>,
) {
    let properties = rules.get("properties").and_then(Value::as_object);
    for required in rules.get("required").and_then(Value::as_array).into_iter().flatten() {
        if let Some(name) = required.as_str()
            && !object.contains_key(name)
        {
            found.push(format!("{at}.{name} is required by the document but missing"));
        }
    }
    for (name, value) in object {
        let place = format!("{at}.{name}");
        match properties.and_then(|properties| properties.get(name)) {
            Some(property) => validate(property, value, &place, found),
            None => match rules.get("additionalProperties") {
                Some(extra @ Value::Object(_)) => validate(extra, value, &place, found),
                Some(Value::Bool(false)) => found.push(format!("{place} is not in the document")),
                None if strict && properties.is_some() => found.push(format!("{place} is not in the document")),
                _ => {}
            },
        }
    }
}

fn type_fits(kind: &str, value: &Value) -> bool {
    match kind {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors(schema: Value, value: Value) -> Vec<String> {
        let mut found = Vec::new();
        validate(&schema, &value, "body", &mut found);
        found
    }

    #[test]
    fn the_checker_sees_what_a_client_would_trip_on() {
        let schema = json!({
            "type": "object",
            "required": ["id"],
            "properties": {
                "id": { "type": "string", "format": "uuid" },
                "note": { "type": ["string", "null"], "maxLength": 3 },
                "lines": { "type": "array", "items": { "type": "integer", "minimum": 1 } }
            }
        });
        let id = "0b6a8f3e-6d2c-4c53-9f0e-2b8b0b7c1d11";
        assert!(errors(schema.clone(), json!({ "id": id, "note": null, "lines": [1] })).is_empty());
        assert_eq!(errors(schema.clone(), json!({ "note": "ab" })).len(), 1, "missing id");
        assert_eq!(errors(schema.clone(), json!({ "id": "x" })).len(), 1, "not a uuid");
        assert_eq!(errors(schema.clone(), json!({ "id": id, "note": "abcd" })).len(), 1);
        assert_eq!(errors(schema.clone(), json!({ "id": id, "lines": [0] })).len(), 1);
        assert_eq!(
            errors(schema, json!({ "id": id, "extra": 1 })).len(),
            1,
            "undocumented field"
        );
        let either = json!({ "oneOf": [{ "type": "string" }, { "type": "integer" }] });
        assert!(errors(either.clone(), json!(3)).is_empty());
        assert_eq!(errors(either, json!(true)).len(), 1);
    }
}
