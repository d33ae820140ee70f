//! Rules of the catalog: what a slug, a SKU, an EAN-13 barcode, a price, a
//! tax class and a product status must be, and how names become slugs.

pub mod attributes;

use std::fmt;

/// A URL segment naming a category or a product: lowercase ASCII letters,
/// digits and single dashes, 1 to 120 characters. Stable once given.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    pub const MAX_LEN: usize = 120;

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let slug = raw.trim();
        let valid = !slug.is_empty()
            && slug.len() <= Self::MAX_LEN
            && slug
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !slug.starts_with('-')
            && !slug.ends_with('-')
            && !slug.contains("--");
        if valid {
            Ok(Self(slug.to_owned()))
        } else {
            Err("a slug has 1 to 120 lowercase letters, digits and single dashes, such as velo-de-route")
        }
    }

    /// The slug of a name, transliterated the French way: accents dropped
    /// (`vélo` → `velo`), ligatures spelled out (`œuf` → `oeuf`), `&` read
    /// as `et`, every other run of symbols a single dash. A name with
    /// nothing to keep gives `produit`.
    pub fn from_name(name: &str) -> Self {
        let mut slug = String::with_capacity(name.len());
        let mut dash = false;
        for c in name.chars() {
            let spelled = transliterate(c);
            if spelled.is_empty() {
                dash = !slug.is_empty();
                continue;
            }
            for b in spelled.bytes() {
                if dash {
                    slug.push('-');
                    dash = false;
                }
                slug.push(char::from(b));
            }
        }
        if slug.len() > Self::MAX_LEN {
            slug.truncate(Self::MAX_LEN);
            while slug.ends_with('-') {
                slug.pop();
            }
        }
        if slug.is_empty() {
            slug.push_str("produit");
        }
        Self(slug)
    }

    /// `{slug}-{n}`, for the n-th name that gave the same slug; still at
    /// most [`Self::MAX_LEN`] characters.
    pub fn numbered(&self, n: u32) -> Self {
        let suffix = format!("-{n}");
        let mut base = self.0.clone();
        base.truncate(Self::MAX_LEN - suffix.len());
        while base.ends_with('-') {
            base.pop();
        }
        Self(format!("{base}{suffix}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The lowercase ASCII spelling of one character in a slug; empty for a
/// separator.
fn transliterate(c: char) -> &'static str {
    const ASCII: &str = "0123456789abcdefghijklmnopqrstuvwxyz";
    if c.is_ascii_alphanumeric() {
        let lower = c.to_ascii_lowercase();
        let at = ASCII.find(lower).unwrap_or(0);
        return &ASCII[at..=at];
    }
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "a",
        'æ' | 'Æ' => "ae",
        'ç' | 'Ç' | 'ć' | 'č' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' | 'ę' | 'ě' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "i",
        'ñ' | 'Ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => "o",
        'œ' | 'Œ' => "oe",
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => "u",
        'ý' | 'ÿ' | 'Ý' | 'Ÿ' => "y",
        'ß' => "ss",
        'š' | 'Š' | 'ś' => "s",
        'ž' | 'Ž' | 'ź' | 'ż' => "z",
        'ł' | 'Ł' => "l",
        'ř' => "r",
        '&' => "et",
        _ => "",
    }
}

/// A stock keeping unit: 1 to 64 uppercase ASCII letters, digits, `-`,
/// `_` or `.`. Typed in any case; kept uppercase so `run-42` and `RUN-42`
/// are the same SKU.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sku(String);

impl Sku {
    pub const MAX_LEN: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let sku = raw.trim().to_ascii_uppercase();
        let valid = !sku.is_empty()
            && sku.len() <= Self::MAX_LEN
            && sku
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.'));
        if valid {
            Ok(Self(sku))
        } else {
            Err("a SKU has 1 to 64 letters, digits, '-', '_' or '.'")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// An EAN-13 barcode: 13 digits whose last is the GS1 check digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ean13(String);

impl Ean13 {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let code = raw.trim();
        if code.len() != 13 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err("an EAN-13 barcode has 13 digits");
        }
        if !ean13_checksum_ok(code) {
            return Err("the check digit of this EAN-13 barcode is wrong");
        }
        Ok(Self(code.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// GS1: digits in odd positions weigh 1, in even positions 3, from the
/// left; the check digit brings the sum to a multiple of 10.
fn ean13_checksum_ok(digits: &str) -> bool {
    let values: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
    let Some((check, body)) = values.split_last() else {
        return false;
    };
    let sum: u32 = body
        .iter()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { *d } else { d * 3 })
        .sum();
    (10 - sum % 10) % 10 == *check
}

/// A price in euro cents, tax included for consumers: from 0 to 10 million
/// euros, so any sum of a cart's lines stays far from overflow.
pub fn parse_price_minor(minor: i64) -> Result<i64, &'static str> {
    if (0..=MAX_PRICE_MINOR).contains(&minor) {
        Ok(minor)
    } else {
        Err("a price is a whole number of cents from 0 to 1000000000")
    }
}

pub const MAX_PRICE_MINOR: i64 = 1_000_000_000;

/// French VAT classes, each with its rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaxClass {
    /// 20 %: most goods.
    Standard,
    /// 10 %: some services, restaurant food.
    Intermediate,
    /// 5.5 %: food, books.
    Reduced,
    /// 2.1 %: press, some medicines.
    SuperReduced,
}

impl TaxClass {
    pub const ALL: [Self; 4] = [Self::Standard, Self::Intermediate, Self::Reduced, Self::SuperReduced];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Intermediate => "intermediate",
            Self::Reduced => "reduced",
            Self::SuperReduced => "super_reduced",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == raw.trim())
            .ok_or("a tax class is standard, intermediate, reduced or super_reduced")
    }

    /// The rate in basis points (1/100 of a percent): 20 % is 2000.
    pub fn rate_basis_points(self) -> u32 {
        match self {
            Self::Standard => 2000,
            Self::Intermediate => 1000,
            Self::Reduced => 550,
            Self::SuperReduced => 210,
        }
    }
}

/// Where a product is in its life: only `active` products are sold and
/// shown to shoppers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProductStatus {
    Draft,
    Active,
    Archived,
}

impl ProductStatus {
    pub const ALL: [Self; 3] = [Self::Draft, Self::Active, Self::Archived];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Active => "active",
            Self::Archived => "archived",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw.trim())
            .ok_or("a status is draft, active or archived")
    }
}

/// A variant option (`pointure` = `42`): a short name and value.
pub fn parse_option(name: &str, value: &str) -> Result<(String, String), &'static str> {
    let name = name.trim();
    let value = value.trim();
    let short = |s: &str| (1..=60).contains(&s.chars().count()) && !s.chars().any(char::is_control);
    if short(name) && short(value) && !name.contains(['=', '|']) && !value.contains(['=', '|']) {
        Ok((name.to_lowercase(), value.to_owned()))
    } else {
        Err("an option has a name and a value of 1 to 60 characters, without '=' or '|'")
    }
}

/// A product or category name: 1 to 200 characters, no control characters.
pub fn parse_title(raw: &str) -> Result<String, &'static str> {
    let title = raw.trim();
    if (1..=200).contains(&title.chars().count()) && !title.chars().any(char::is_control) {
        Ok(title.to_owned())
    } else {
        Err("a name has 1 to 200 characters")
    }
}

/// An image address: an absolute `https` or `http` URL, or a path on this site.
pub fn parse_image_url(raw: &str) -> Result<String, &'static str> {
    let url = raw.trim();
    let scheme_ok = url.starts_with("https://") || url.starts_with("http://") || url.starts_with('/');
    if scheme_ok
        && url.len() <= 2000
        && !url.starts_with("//")
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        Ok(url.to_owned())
    } else {
        Err("an image is an http(s) URL or a path starting with /")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_become_french_slugs() {
        assert_eq!(Slug::from_name("Vélo de route").as_str(), "velo-de-route");
        assert_eq!(Slug::from_name("  Chaussures   Trail!! ").as_str(), "chaussures-trail");
        assert_eq!(
            Slug::from_name("Œnologie & Fûts de chêne").as_str(),
            "oenologie-et-futs-de-chene"
        );
        assert_eq!(
            Slug::from_name("Barrique 225 L — « bordelaise »").as_str(),
            "barrique-225-l-bordelaise"
        );
        assert_eq!(Slug::from_name("Ça glisse à Noël").as_str(), "ca-glisse-a-noel");
        assert_eq!(Slug::from_name("!!!").as_str(), "produit");
        assert_eq!(Slug::from_name("vélo").numbered(2).as_str(), "velo-2");
    }

    #[test]
    fn slugs_are_checked() {
        assert!(Slug::parse("velo-de-route").is_ok());
        for bad in ["", "Velo", "velo--route", "-velo", "velo-", "vélo", "velo route"] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ean13_check_digits_are_verified() {
        assert!(Ean13::parse("4006381333931").is_ok());
        assert_eq!(
            Ean13::parse("4006381333932"),
            Err("the check digit of this EAN-13 barcode is wrong")
        );
        assert!(Ean13::parse("400638133393").is_err());
        assert!(Ean13::parse("40063813339a1").is_err());
    }

    #[test]
    fn skus_are_uppercase() {
        assert_eq!(Sku::parse(" run-42 ").map(Sku::into_string), Ok("RUN-42".to_owned()));
        assert!(Sku::parse("RUN 42").is_err());
        assert!(Sku::parse(&"A".repeat(65)).is_err());
    }

    #[test]
    fn tax_classes_have_french_rates() {
        assert_eq!(TaxClass::parse("reduced").map(TaxClass::rate_basis_points), Ok(550));
        assert_eq!(
            TaxClass::parse("super_reduced").map(TaxClass::rate_basis_points),
            Ok(210)
        );
        assert!(TaxClass::parse("zero").is_err());
    }

    proptest! {
        #[test]
        fn every_name_gives_a_valid_slug(name in "\\PC{0,300}") {
            let slug = Slug::from_name(&name);
            prop_assert!(Slug::parse(slug.as_str()).is_ok(), "{:?} -> {:?}", name, slug);
            prop_assert!(Slug::parse(slug.numbered(12345).as_str()).is_ok());
        }

        #[test]
        fn a_changed_digit_breaks_an_ean13(body in "[0-9]{12}", at in 0usize..12, delta in 1u8..10) {
            let sum: u32 = body.bytes().enumerate().map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 1 } else { 3 }).sum();
            let code = format!("{body}{}", (10 - sum % 10) % 10);
            prop_assert!(Ean13::parse(&code).is_ok());
            let mut bytes = code.into_bytes();
            bytes[at] = b'0' + (bytes[at] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).unwrap_or_default();
            // Weight 3 times a change of 1..9 is never a multiple of 10, nor is 1 times it.
            prop_assert!(Ean13::parse(&changed).is_err());
        }
    }
}
