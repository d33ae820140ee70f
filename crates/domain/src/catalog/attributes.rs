//! Attribute types that administrators define at run time (`wood_type`,
//! `volume_liters`...): what a definition may say, and how a value is
//! checked against it and normalised before it is stored.
//!
//! A pattern is compiled once per definition, with a bounded program size.
//! Rust's `regex` runs in linear time, so a hostile pattern cannot stall a
//! product write.

use regex::{Regex, RegexBuilder};
use serde_json::Value;

/// The shape of an attribute's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttributeKind {
    Text,
    Integer,
    Decimal,
    Boolean,
    Enum,
    List,
    Date,
}

impl AttributeKind {
    pub const ALL: [Self; 7] = [
        Self::Text,
        Self::Integer,
        Self::Decimal,
        Self::Boolean,
        Self::Enum,
        Self::List,
        Self::Date,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Integer => "integer",
            Self::Decimal => "decimal",
            Self::Boolean => "boolean",
            Self::Enum => "enum",
            Self::List => "list",
            Self::Date => "date",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or("a kind is text, integer, decimal, boolean, enum, list or date")
    }
}

/// A check beyond what a regular expression can say (a check digit, a
/// list of countries), for text and list values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttributeFormat {
    Ean13,
    Email,
    Url,
    IsoCountry,
}

impl AttributeFormat {
    pub const ALL: [Self; 4] = [Self::Ean13, Self::Email, Self::Url, Self::IsoCountry];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ean13 => "ean13",
            Self::Email => "email",
            Self::Url => "url",
            Self::IsoCountry => "iso_country",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == raw)
            .ok_or("a format is ean13, email, url or iso_country")
    }

    fn check(self, value: &str) -> Result<(), String> {
        match self {
            Self::Ean13 => super::Ean13::parse(value).map(drop).map_err(str::to_owned),
            Self::Email => crate::identity::Email::parse(value).map(drop).map_err(str::to_owned),
            Self::IsoCountry => crate::identity::parse_country(value)
                .and_then(|code| {
                    if code == value {
                        Ok(())
                    } else {
                        Err("a country is an uppercase ISO 3166-1 alpha-2 code such as FR")
                    }
                })
                .map_err(str::to_owned),
            Self::Url => {
                let rest = value.strip_prefix("https://").or_else(|| value.strip_prefix("http://"));
                let host = rest.and_then(|r| r.split(['/', '?', '#']).next()).unwrap_or_default();
                if !host.is_empty() && host.contains('.') && !value.chars().any(|c| c.is_whitespace() || c.is_control())
                {
                    Ok(())
                } else {
                    Err("a URL starts with http:// or https:// and names a host".to_owned())
                }
            }
        }
    }
}

/// What an administrator says about an attribute type.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AttributeSpec {
    pub kind: Option<AttributeKind>,
    pub format: Option<AttributeFormat>,
    pub pattern: Option<String>,
    /// For numbers, the value; for text, its length in characters; for
    /// lists, the number of items.
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub allowed_values: Vec<String>,
}

/// A problem with an attribute type definition or a value, with a stable
/// code. `field` is the definition's field (empty for a value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub field: &'static str,
    pub code: &'static str,
    pub message: String,
}

impl Violation {
    fn new(field: &'static str, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            code,
            message: message.into(),
        }
    }

    fn value(code: &'static str, message: impl Into<String>) -> Self {
        Self::new("", code, message)
    }
}

pub const MAX_PATTERN_LEN: usize = 256;
pub const MAX_ALLOWED_VALUES: usize = 200;
pub const MAX_TEXT_CHARS: usize = 1000;
pub const MAX_LIST_ITEMS: usize = 50;
/// Compiled program size: enough for any sensible field pattern, far from
/// what would cost memory or time to build.
const REGEX_SIZE_LIMIT: usize = 256 * 1024;

/// A checked, compiled attribute type, ready to validate values.
#[derive(Debug, Clone)]
pub struct AttributeRule {
    kind: AttributeKind,
    format: Option<AttributeFormat>,
    pattern: Option<Regex>,
    min: Option<f64>,
    max: Option<f64>,
    allowed_values: Vec<String>,
}

impl AttributeRule {
    /// Checks a definition and compiles its pattern; every problem is
    /// reported.
    pub fn compile(spec: &AttributeSpec) -> Result<Self, Vec<Violation>> {
        let mut errors = Vec::new();
        let Some(kind) = spec.kind else {
            return Err(vec![Violation::new("kind", "required", "is required")]);
        };
        let textual = matches!(kind, AttributeKind::Text | AttributeKind::List);
        if spec.format.is_some() && !textual {
            errors.push(Violation::new(
                "format",
                "invalid",
                "only text and list attributes have a format",
            ));
        }
        let pattern = match &spec.pattern {
            None => None,
            Some(_) if !textual => {
                errors.push(Violation::new(
                    "pattern",
                    "invalid",
                    "only text and list attributes have a pattern",
                ));
                None
            }
            Some(p) if p.is_empty() || p.chars().count() > MAX_PATTERN_LEN => {
                errors.push(Violation::new(
                    "pattern",
                    "too_long",
                    format!("a pattern has 1 to {MAX_PATTERN_LEN} characters"),
                ));
                None
            }
            Some(p) => match RegexBuilder::new(&format!("^(?:{p})$"))
                .size_limit(REGEX_SIZE_LIMIT)
                .dfa_size_limit(REGEX_SIZE_LIMIT)
                .build()
            {
                Ok(regex) => Some(regex),
                Err(err) => {
                    errors.push(Violation::new("pattern", "invalid", regex_error(&err)));
                    None
                }
            },
        };
        let bounded = matches!(
            kind,
            AttributeKind::Text | AttributeKind::Integer | AttributeKind::Decimal | AttributeKind::List
        );
        for (field, bound) in [("min", spec.min), ("max", spec.max)] {
            match bound {
                Some(_) if !bounded => errors.push(Violation::new(
                    field,
                    "invalid",
                    "only text, integer, decimal and list attributes have bounds",
                )),
                Some(b) if !b.is_finite() => errors.push(Violation::new(field, "invalid", "is a finite number")),
                Some(b) if kind != AttributeKind::Decimal && b.fract() != 0.0 => {
                    errors.push(Violation::new(field, "invalid", "is a whole number for this kind"));
                }
                Some(b) if matches!(kind, AttributeKind::Text | AttributeKind::List) && b < 0.0 => {
                    errors.push(Violation::new(field, "invalid", "a length is not negative"));
                }
                _ => {}
            }
        }
        if let (Some(min), Some(max)) = (spec.min, spec.max)
            && min > max
        {
            errors.push(Violation::new("max", "invalid", "max is at least min"));
        }
        let mut allowed_values = Vec::with_capacity(spec.allowed_values.len());
        match kind {
            AttributeKind::Enum | AttributeKind::List => {
                if kind == AttributeKind::Enum && spec.allowed_values.is_empty() {
                    errors.push(Violation::new(
                        "allowed_values",
                        "required",
                        "an enum lists its allowed values",
                    ));
                }
                if spec.allowed_values.len() > MAX_ALLOWED_VALUES {
                    errors.push(Violation::new(
                        "allowed_values",
                        "too_long",
                        format!("at most {MAX_ALLOWED_VALUES} values"),
                    ));
                }
                for value in &spec.allowed_values {
                    let value = value.trim();
                    if value.is_empty() || value.chars().count() > 100 || value.contains(['|', ',']) {
                        errors.push(Violation::new(
                            "allowed_values",
                            "invalid",
                            format!("{value:?}: a value has 1 to 100 characters, without '|' or ','"),
                        ));
                    } else if allowed_values.iter().any(|v| v == value) {
                        errors.push(Violation::new(
                            "allowed_values",
                            "duplicate",
                            format!("{value:?} is listed twice"),
                        ));
                    } else {
                        allowed_values.push(value.to_owned());
                    }
                }
            }
            _ if !spec.allowed_values.is_empty() => errors.push(Violation::new(
                "allowed_values",
                "invalid",
                "only enum and list attributes have allowed values",
            )),
            _ => {}
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            kind,
            format: spec.format,
            pattern,
            min: spec.min,
            max: spec.max,
            allowed_values,
        })
    }

    pub fn kind(&self) -> AttributeKind {
        self.kind
    }

    /// Checks a JSON value and returns the form to store: trimmed text,
    /// numbers as numbers, dates as `YYYY-MM-DD`. Numbers, booleans and
    /// lists may also come as text, as they do from a CSV file or a query
    /// string.
    pub fn check(&self, value: &Value) -> Result<Value, Vec<Violation>> {
        match (self.kind, value) {
            (_, Value::String(text)) => self.parse_text(text),
            (AttributeKind::Integer, Value::Number(n)) => match n.as_i64() {
                Some(i) => self.check_number(i as f64).map(|()| Value::from(i)),
                None => Err(vec![Violation::value("invalid_type", "expected a whole number")]),
            },
            (AttributeKind::Decimal, Value::Number(n)) => match n.as_f64() {
                Some(f) => self.check_number(f).map(|()| value.clone()),
                None => Err(vec![Violation::value("invalid_type", "expected a number")]),
            },
            (AttributeKind::Boolean, Value::Bool(b)) => Ok(Value::Bool(*b)),
            (AttributeKind::List, Value::Array(items)) => {
                let mut texts = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        Value::String(s) => texts.push(s.trim().to_owned()),
                        _ => return Err(vec![Violation::value("invalid_type", "expected a list of texts")]),
                    }
                }
                self.check_list(texts)
            }
            _ => Err(vec![Violation::value(
                "invalid_type",
                format!("expected {}", self.expected()),
            )]),
        }
    }

    /// Checks a value written as text (a CSV cell, a query parameter).
    pub fn parse_text(&self, raw: &str) -> Result<Value, Vec<Violation>> {
        let text = raw.trim();
        match self.kind {
            AttributeKind::Text => self.check_text(text).map(|()| Value::String(text.to_owned())),
            AttributeKind::Integer => match text.parse::<i64>() {
                Ok(i) => self.check_number(i as f64).map(|()| Value::from(i)),
                Err(_) => Err(vec![Violation::value("invalid_type", "expected a whole number")]),
            },
            AttributeKind::Decimal => match text.replace(',', ".").parse::<f64>() {
                Ok(f) if f.is_finite() => {
                    self.check_number(f)?;
                    serde_json::Number::from_f64(f)
                        .map(Value::Number)
                        .ok_or_else(|| vec![Violation::value("invalid_type", "expected a number")])
                }
                _ => Err(vec![Violation::value("invalid_type", "expected a number such as 12.5")]),
            },
            AttributeKind::Boolean => match text.to_lowercase().as_str() {
                "true" | "oui" | "yes" | "1" => Ok(Value::Bool(true)),
                "false" | "non" | "no" | "0" => Ok(Value::Bool(false)),
                _ => Err(vec![Violation::value("invalid_type", "expected true or false")]),
            },
            AttributeKind::Enum => {
                if self.allowed_values.iter().any(|v| v == text) {
                    Ok(Value::String(text.to_owned()))
                } else {
                    Err(vec![Violation::value(
                        "not_allowed",
                        format!("expected one of: {}", self.allowed_values.join(", ")),
                    )])
                }
            }
            AttributeKind::List => {
                let items = text
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
                self.check_list(items)
            }
            AttributeKind::Date => {
                let format = time::macros::format_description!("[year]-[month]-[day]");
                match time::Date::parse(text, &format) {
                    Ok(_) => Ok(Value::String(text.to_owned())),
                    Err(_) => Err(vec![Violation::value(
                        "invalid_type",
                        "expected a date such as 2026-11-23",
                    )]),
                }
            }
        }
    }

    /// Writes a stored value as text, the inverse of [`Self::parse_text`].
    pub fn to_text(value: &Value) -> String {
        match value {
            Value::String(s) => s.clone(),
            Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                .collect::<Vec<_>>()
                .join(","),
            other => other.to_string(),
        }
    }

    fn expected(&self) -> &'static str {
        match self.kind {
            AttributeKind::Text => "a text",
            AttributeKind::Integer => "a whole number",
            AttributeKind::Decimal => "a number",
            AttributeKind::Boolean => "true or false",
            AttributeKind::Enum => "one of the allowed values",
            AttributeKind::List => "a list of texts",
            AttributeKind::Date => "a date such as 2026-11-23",
        }
    }

    fn check_text(&self, text: &str) -> Result<(), Vec<Violation>> {
        let mut errors = Vec::new();
        let chars = text.chars().count();
        if chars > MAX_TEXT_CHARS {
            errors.push(Violation::value(
                "too_long",
                format!("at most {MAX_TEXT_CHARS} characters"),
            ));
        }
        if text.chars().any(char::is_control) {
            errors.push(Violation::value("invalid", "control characters are not allowed"));
        }
        self.check_bounds(chars as f64, "characters", &mut errors);
        self.check_item(text, &mut errors);
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }

    fn check_item(&self, text: &str, errors: &mut Vec<Violation>) {
        if let Some(pattern) = &self.pattern
            && !pattern.is_match(text)
        {
            errors.push(Violation::value(
                "pattern_mismatch",
                format!("{text:?} does not match the pattern {}", self.pattern_source()),
            ));
        }
        if let Some(format) = self.format
            && let Err(message) = format.check(text)
        {
            errors.push(Violation::value("invalid_format", message));
        }
    }

    fn pattern_source(&self) -> &str {
        self.pattern
            .as_ref()
            .map(|p| {
                let source = p.as_str();
                source
                    .strip_prefix("^(?:")
                    .and_then(|s| s.strip_suffix(")$"))
                    .unwrap_or(source)
            })
            .unwrap_or_default()
    }

    fn check_list(&self, items: Vec<String>) -> Result<Value, Vec<Violation>> {
        let mut errors = Vec::new();
        if items.len() > MAX_LIST_ITEMS {
            errors.push(Violation::value("too_long", format!("at most {MAX_LIST_ITEMS} items")));
        }
        self.check_bounds(items.len() as f64, "items", &mut errors);
        for (i, item) in items.iter().enumerate() {
            if item.is_empty() || item.chars().count() > 200 {
                errors.push(Violation::value("invalid", "an item has 1 to 200 characters"));
            }
            if !self.allowed_values.is_empty() && !self.allowed_values.contains(item) {
                errors.push(Violation::value(
                    "not_allowed",
                    format!("{item:?} is not one of: {}", self.allowed_values.join(", ")),
                ));
            }
            if items[..i].contains(item) {
                errors.push(Violation::value("duplicate", format!("{item:?} is listed twice")));
            }
            self.check_item(item, &mut errors);
        }
        if errors.is_empty() {
            Ok(Value::Array(items.into_iter().map(Value::String).collect()))
        } else {
            Err(errors)
        }
    }

    fn check_number(&self, n: f64) -> Result<(), Vec<Violation>> {
        let mut errors = Vec::new();
        self.check_bounds(n, "", &mut errors);
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }

    fn check_bounds(&self, n: f64, unit: &str, errors: &mut Vec<Violation>) {
        let unit = if unit.is_empty() {
            String::new()
        } else {
            format!(" {unit}")
        };
        if let Some(min) = self.min
            && n < min
        {
            errors.push(Violation::value("too_small", format!("at least {min}{unit}")));
        }
        if let Some(max) = self.max
            && n > max
        {
            errors.push(Violation::value("too_large", format!("at most {max}{unit}")));
        }
    }
}

fn regex_error(err: &regex::Error) -> String {
    match err {
        regex::Error::CompiledTooBig(_) => "this pattern is too complex".to_owned(),
        // The syntax error's own text points at the mistake, over several lines.
        other => format!(
            "not a valid regular expression: {}",
            other.to_string().lines().last().unwrap_or_default().trim()
        ),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rule(spec: AttributeSpec) -> AttributeRule {
        AttributeRule::compile(&spec).unwrap()
    }

    fn codes(result: Result<Value, Vec<Violation>>) -> Vec<&'static str> {
        result.unwrap_err().into_iter().map(|v| v.code).collect()
    }

    #[test]
    fn an_integer_range_is_enforced() {
        let volume = rule(AttributeSpec {
            kind: Some(AttributeKind::Integer),
            min: Some(5.0),
            max: Some(1000.0),
            ..Default::default()
        });
        assert_eq!(volume.check(&json!(225)), Ok(json!(225)));
        assert_eq!(volume.check(&json!("228")), Ok(json!(228)));
        assert_eq!(codes(volume.check(&json!(2))), ["too_small"]);
        assert_eq!(codes(volume.check(&json!(5000))), ["too_large"]);
        assert_eq!(codes(volume.check(&json!(22.5))), ["invalid_type"]);
        assert_eq!(codes(volume.check(&json!(true))), ["invalid_type"]);
    }

    #[test]
    fn an_enum_accepts_only_its_values() {
        let wood = rule(AttributeSpec {
            kind: Some(AttributeKind::Enum),
            allowed_values: vec!["chene_francais".into(), "acacia".into()],
            ..Default::default()
        });
        assert_eq!(wood.check(&json!(" acacia ")), Ok(json!("acacia")));
        assert_eq!(codes(wood.check(&json!("pin"))), ["not_allowed"]);
    }

    #[test]
    fn a_pattern_must_match_the_whole_value() {
        let code = rule(AttributeSpec {
            kind: Some(AttributeKind::Text),
            pattern: Some("[A-Z]{3}".into()),
            ..Default::default()
        });
        assert!(code.check(&json!("ABC")).is_ok());
        assert_eq!(codes(code.check(&json!("xABCx"))), ["pattern_mismatch"]);
    }

    #[test]
    fn formats_check_what_patterns_cannot() {
        let ean = rule(AttributeSpec {
            kind: Some(AttributeKind::Text),
            format: Some(AttributeFormat::Ean13),
            ..Default::default()
        });
        assert!(ean.check(&json!("4006381333931")).is_ok());
        assert_eq!(codes(ean.check(&json!("4006381333932"))), ["invalid_format"]);
        let country = rule(AttributeSpec {
            kind: Some(AttributeKind::Text),
            format: Some(AttributeFormat::IsoCountry),
            ..Default::default()
        });
        assert!(country.check(&json!("FR")).is_ok());
        assert_eq!(codes(country.check(&json!("XX"))), ["invalid_format"]);
        let url = rule(AttributeSpec {
            kind: Some(AttributeKind::Text),
            format: Some(AttributeFormat::Url),
            ..Default::default()
        });
        assert!(url.check(&json!("https://comptoir.example/fut")).is_ok());
        assert_eq!(codes(url.check(&json!("javascript:alert(1)"))), ["invalid_format"]);
    }

    #[test]
    fn lists_dates_booleans_and_decimals_are_normalised() {
        let sports = rule(AttributeSpec {
            kind: Some(AttributeKind::List),
            allowed_values: vec!["trail".into(), "route".into()],
            max: Some(2.0),
            ..Default::default()
        });
        assert_eq!(sports.check(&json!("trail, route")), Ok(json!(["trail", "route"])));
        assert_eq!(codes(sports.check(&json!(["trail", "trail"]))), ["duplicate"]);
        assert_eq!(codes(sports.check(&json!(["ski"]))), ["not_allowed"]);
        let date = rule(AttributeSpec {
            kind: Some(AttributeKind::Date),
            ..Default::default()
        });
        assert!(date.check(&json!("2026-02-28")).is_ok());
        assert_eq!(codes(date.check(&json!("2026-02-30"))), ["invalid_type"]);
        let organic = rule(AttributeSpec {
            kind: Some(AttributeKind::Boolean),
            ..Default::default()
        });
        assert_eq!(organic.check(&json!("oui")), Ok(json!(true)));
        let degree = rule(AttributeSpec {
            kind: Some(AttributeKind::Decimal),
            max: Some(100.0),
            ..Default::default()
        });
        assert_eq!(degree.check(&json!("12,5")), Ok(json!(12.5)));
        assert_eq!(codes(degree.check(&json!(100.5))), ["too_large"]);
    }

    #[test]
    fn a_bad_definition_reports_every_problem() {
        let errors = AttributeRule::compile(&AttributeSpec {
            kind: Some(AttributeKind::Enum),
            pattern: Some("(".into()),
            min: Some(3.0),
            max: Some(1.0),
            ..Default::default()
        })
        .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| (e.field, e.code)).collect();
        assert!(fields.contains(&("pattern", "invalid")), "{fields:?}");
        assert!(fields.contains(&("min", "invalid")), "{fields:?}");
        assert!(fields.contains(&("allowed_values", "required")), "{fields:?}");
    }

    #[test]
    fn patterns_are_capped_in_length_and_size() {
        let long = AttributeSpec {
            kind: Some(AttributeKind::Text),
            pattern: Some("a".repeat(MAX_PATTERN_LEN + 1)),
            ..Default::default()
        };
        assert_eq!(AttributeRule::compile(&long).unwrap_err()[0].code, "too_long");
        let huge = AttributeSpec {
            kind: Some(AttributeKind::Text),
            pattern: Some(r"(\w{100}){100}".into()),
            ..Default::default()
        };
        let errors = AttributeRule::compile(&huge).unwrap_err();
        assert_eq!(errors[0].message, "this pattern is too complex");
    }
}
