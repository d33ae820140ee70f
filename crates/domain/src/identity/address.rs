//! A postal address, parsed once for every place that takes one (an
//! order's delivery and billing addresses, an account's saved addresses),
//! so an address accepted in one place is accepted in the others.

use super::{FieldError, parse_country, parse_phone, parse_postal_code};

/// An address as typed, each part possibly missing.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawAddress<'a> {
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub company: Option<&'a str>,
    pub line1: Option<&'a str>,
    pub line2: Option<&'a str>,
    pub postal_code: Option<&'a str>,
    pub city: Option<&'a str>,
    pub country: Option<&'a str>,
    pub phone: Option<&'a str>,
}

/// An address whose every part was checked: names and lines trimmed, of
/// bounded length and free of control characters; the country an ISO
/// 3166-1 code; the postal code valid for it; the phone normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostalAddress {
    pub first_name: String,
    pub last_name: String,
    pub company: Option<String>,
    pub line1: String,
    pub line2: Option<String>,
    pub postal_code: String,
    pub city: String,
    pub country: String,
    pub phone: Option<String>,
}

pub const NAME_MAX: usize = 100;
pub const LINE_MAX: usize = 200;
pub const CITY_MAX: usize = 100;
pub const COMPANY_MAX: usize = 100;

/// A part of an address: trimmed, at most `max` characters, no control
/// characters. Empty is `None` (an error when the part is required).
fn text(
    raw: Option<&str>,
    field: &'static str,
    max: usize,
    required: bool,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let value = raw.map(str::trim).unwrap_or_default();
    if value.is_empty() {
        if required {
            errors.push(FieldError::new(field, "required", "this field is required"));
        }
        return None;
    }
    if value.chars().count() > max {
        errors.push(FieldError::new(field, "too_long", format!("at most {max} characters")));
        return None;
    }
    if value.chars().any(char::is_control) {
        errors.push(FieldError::new(field, "invalid", "control characters are not allowed"));
        return None;
    }
    Some(value.to_owned())
}

impl PostalAddress {
    /// Checks every part and names every one that is wrong.
    pub fn parse(raw: RawAddress<'_>) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let first_name = text(raw.first_name, "first_name", NAME_MAX, true, &mut errors);
        let last_name = text(raw.last_name, "last_name", NAME_MAX, true, &mut errors);
        let company = text(raw.company, "company", COMPANY_MAX, false, &mut errors);
        let line1 = text(raw.line1, "line1", LINE_MAX, true, &mut errors);
        let line2 = text(raw.line2, "line2", LINE_MAX, false, &mut errors);
        let city = text(raw.city, "city", CITY_MAX, true, &mut errors);
        let country = match raw.country.map(str::trim).filter(|c| !c.is_empty()) {
            None => {
                errors.push(FieldError::new("country", "required", "this field is required"));
                None
            }
            Some(code) => parse_country(code)
                .map_err(|message| errors.push(FieldError::new("country", "invalid", message)))
                .ok(),
        };
        let postal_code = match (raw.postal_code.map(str::trim).filter(|p| !p.is_empty()), &country) {
            (None, _) => {
                errors.push(FieldError::new("postal_code", "required", "this field is required"));
                None
            }
            // Checked once the country is known.
            (Some(_), None) => None,
            (Some(code), Some(country)) => parse_postal_code(country, code)
                .map_err(|message| errors.push(FieldError::new("postal_code", "invalid", message)))
                .ok(),
        };
        let phone = match raw.phone.map(str::trim).filter(|p| !p.is_empty()) {
            None => None,
            Some(number) => parse_phone(number)
                .map_err(|message| errors.push(FieldError::new("phone", "invalid", message)))
                .ok(),
        };
        match (first_name, last_name, line1, city, country, postal_code) {
            (Some(first_name), Some(last_name), Some(line1), Some(city), Some(country), Some(postal_code))
                if errors.is_empty() =>
            {
                Ok(Self {
                    first_name,
                    last_name,
                    company,
                    line1,
                    line2,
                    postal_code,
                    city,
                    country,
                    phone,
                })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brest<'a>() -> RawAddress<'a> {
        RawAddress {
            first_name: Some(" Maëlys "),
            last_name: Some("Le Gall"),
            line1: Some("12 rue de Siam"),
            postal_code: Some("29200"),
            city: Some("Brest"),
            country: Some("fr"),
            phone: Some("06 12 34 56 78"),
            ..RawAddress::default()
        }
    }

    #[test]
    fn a_french_address_is_trimmed_and_normalised() {
        let address = PostalAddress::parse(brest()).unwrap();
        assert_eq!(address.first_name, "Maëlys");
        assert_eq!(address.country, "FR");
        assert_eq!(address.phone.as_deref(), Some("0612345678"));
        assert_eq!(address.company, None);
    }

    #[test]
    fn every_wrong_part_is_named() {
        let city = "B".repeat(101);
        let raw = RawAddress {
            first_name: Some(""),
            line1: Some("12 rue\u{0}de Siam"),
            city: Some(&city),
            postal_code: Some("2920"),
            ..brest()
        };
        let errors = PostalAddress::parse(raw).unwrap_err();
        let named: Vec<(&str, &str)> = errors.iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(
            named,
            vec![
                ("first_name", "required"),
                ("line1", "invalid"),
                ("city", "too_long"),
                ("postal_code", "invalid")
            ]
        );
    }

    #[test]
    fn control_characters_are_refused_in_every_text_part() {
        for field in ["company", "line2"] {
            let mut raw = brest();
            match field {
                "company" => raw.company = Some("Tonnellerie\u{7}"),
                _ => raw.line2 = Some("Bât.\nB"),
            }
            let errors = PostalAddress::parse(raw).unwrap_err();
            assert_eq!(errors[0].field, field);
        }
    }
}
