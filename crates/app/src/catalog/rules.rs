//! Attribute rules compiled once per version of their type, and the check
//! of a product's attributes against the definitions of its category.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use comptoir_db::catalog::{AppliedAttribute, AttributeType};
use comptoir_domain::catalog::attributes::{AttributeFormat, AttributeKind, AttributeRule, AttributeSpec, Violation};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::FieldError;

/// Compiled rules by attribute type, replaced when the type's version moves.
#[derive(Default)]
pub struct RuleCache {
    compiled: Mutex<HashMap<Uuid, (i32, Arc<AttributeRule>)>>,
}

impl RuleCache {
    pub fn rule(&self, t: &AttributeType) -> Result<Arc<AttributeRule>, Vec<Violation>> {
        if let Ok(compiled) = self.compiled.lock()
            && let Some((version, rule)) = compiled.get(&t.id)
            && *version == t.version
        {
            return Ok(rule.clone());
        }
        let rule = Arc::new(AttributeRule::compile(&spec_of(t))?);
        if let Ok(mut compiled) = self.compiled.lock() {
            compiled.insert(t.id, (t.version, rule.clone()));
        }
        Ok(rule)
    }
}

/// What a stored type says, as the domain reads it. Stored values passed
/// these parsers when they were written.
pub fn spec_of(t: &AttributeType) -> AttributeSpec {
    AttributeSpec {
        kind: AttributeKind::parse(&t.kind).ok(),
        format: t.format.as_deref().and_then(|f| AttributeFormat::parse(f).ok()),
        pattern: t.pattern.clone(),
        min: t.min_value,
        max: t.max_value,
        allowed_values: t.allowed_values.clone(),
    }
}

/// Checks the attributes given for a product against those that apply to
/// its category: every unknown, invalid or missing required attribute is
/// reported as `attributes.{code}`. Returns the normalised attributes.
pub fn check_product_attributes(
    rules: &RuleCache,
    applied: &[AppliedAttribute],
    input: &Map<String, Value>,
    field_prefix: &str,
    errors: &mut Vec<FieldError>,
) -> Map<String, Value> {
    let mut checked = Map::new();
    for (code, value) in input {
        let field = format!("{field_prefix}{code}");
        let Some(attribute) = applied.iter().find(|a| &a.attribute_type.name == code) else {
            errors.push(FieldError::new(
                field,
                "unknown",
                "is not an attribute of this product's category",
            ));
            continue;
        };
        if value.is_null() {
            continue;
        }
        let outcome = rules.rule(&attribute.attribute_type).and_then(|rule| rule.check(value));
        match outcome {
            Ok(value) => {
                checked.insert(code.clone(), value);
            }
            Err(violations) => {
                errors.extend(
                    violations
                        .into_iter()
                        .map(|v| FieldError::new(field.clone(), v.code, v.message)),
                );
            }
        }
    }
    let mut seen = Vec::new();
    for attribute in applied {
        let code = &attribute.attribute_type.name;
        if attribute.required
            && !checked.contains_key(code)
            && !seen.contains(&code)
            && input.get(code).is_none_or(Value::is_null)
        {
            errors.push(FieldError::new(
                format!("{field_prefix}{code}"),
                "required",
                format!("{} is required in this category", attribute.attribute_type.label),
            ));
        }
        seen.push(code);
    }
    checked
}
