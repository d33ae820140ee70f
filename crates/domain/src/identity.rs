//! Rules of identity and access: what an email, a password, a role with its
//! scope, an API key scope and a postal address must be.

pub mod address;

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

/// A field that failed validation, with a stable code, for 422 answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub code: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            code,
            message: message.into(),
        }
    }
}

/// An email address as typed (trimmed), checked for a plausible shape.
/// Uniqueness ignores case: see [`Email::normalized`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let email = raw.trim();
        if email.is_empty() || email.len() > Self::MAX_LEN {
            return Err("an email address has 3 to 254 characters");
        }
        let Some((local, domain)) = email.rsplit_once('@') else {
            return Err("an email address has the form name@domain");
        };
        let plausible_domain = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        if local.is_empty()
            || local.len() > 64
            || local.contains('@')
            || local.chars().any(|c| c.is_whitespace() || c.is_control())
            || !plausible_domain
        {
            return Err("an email address has the form name@domain");
        }
        Ok(Self(email.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form compared for uniqueness and login.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password that meets the policy: 12 to 128 characters, no composition
/// rules, and not too guessable for a strength estimator that knows common
/// passwords, words, names, keyboard patterns and the account's own details.
pub struct NewPassword(String);

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(<redacted>)")
    }
}

/// The lowest zxcvbn score accepted (0 to 4): "safely unguessable",
/// about 10^8 guesses, resisting online attacks and slowed offline ones.
pub const MIN_PASSWORD_SCORE: u8 = 3;

impl NewPassword {
    pub const MIN_CHARS: usize = 12;
    pub const MAX_CHARS: usize = 128;

    /// `context` is what the account already says about its owner (email,
    /// names): a password built from them is rejected.
    pub fn parse(raw: &str, context: &[&str]) -> Result<Self, FieldError> {
        let chars = raw.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(FieldError::new(
                "password",
                "password.too_short",
                format!("a password has at least {} characters", Self::MIN_CHARS),
            ));
        }
        if chars > Self::MAX_CHARS {
            return Err(FieldError::new(
                "password",
                "password.too_long",
                format!("a password has at most {} characters", Self::MAX_CHARS),
            ));
        }
        let estimate = zxcvbn::zxcvbn(raw, context);
        if u8::from(estimate.score()) < MIN_PASSWORD_SCORE {
            let hint = estimate
                .feedback()
                .and_then(|f| f.warning().map(|w| w.to_string()))
                .unwrap_or_else(|| "it would be guessed too quickly".to_owned());
            return Err(FieldError::new(
                "password",
                "password.too_guessable",
                format!(
                    "this password is too easy to guess: {}. A few unrelated words make a strong one.",
                    hint.trim_end_matches('.')
                ),
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// What someone may do in Comptoir. Store roles hold over one store, B2B
/// roles over one company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Admin,
    Manager,
    Cashier,
    B2bBuyer,
    B2bAdmin,
    Customer,
}

/// What a role assignment is scoped to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Global,
    Store(Uuid),
    Company(Uuid),
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Manager,
        Role::Cashier,
        Role::B2bBuyer,
        Role::B2bAdmin,
        Role::Customer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Cashier => "cashier",
            Role::B2bBuyer => "b2b_buyer",
            Role::B2bAdmin => "b2b_admin",
            Role::Customer => "customer",
        }
    }

    /// Staff roles are granted by administrators; anyone may become a
    /// customer by registering.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Admin | Role::Manager | Role::Cashier)
    }

    /// Checks that `scope` is the kind this role holds over.
    pub fn scoped(self, scope: Scope) -> Result<Grant, &'static str> {
        let fits = match self {
            Role::Manager | Role::Cashier => matches!(scope, Scope::Store(_)),
            Role::B2bBuyer | Role::B2bAdmin => matches!(scope, Scope::Company(_)),
            Role::Admin | Role::Customer => matches!(scope, Scope::Global),
        };
        if fits {
            Ok(Grant { role: self, scope })
        } else {
            Err(match self {
                Role::Manager | Role::Cashier => "this role needs a store_id and no company_id",
                Role::B2bBuyer | Role::B2bAdmin => "this role needs a company_id and no store_id",
                Role::Admin | Role::Customer => "this role takes neither store_id nor company_id",
            })
        }
    }
}

impl FromStr for Role {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        Role::ALL.into_iter().find(|role| role.as_str() == s).ok_or(())
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role with a scope that fits it: only [`Role::scoped`] makes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Grant {
    role: Role,
    scope: Scope,
}

impl Grant {
    pub fn role(self) -> Role {
        self.role
    }

    pub fn scope(self) -> Scope {
        self.scope
    }

    pub fn store_id(self) -> Option<Uuid> {
        match self.scope {
            Scope::Store(id) => Some(id),
            _ => None,
        }
    }

    pub fn company_id(self) -> Option<Uuid> {
        match self.scope {
            Scope::Company(id) => Some(id),
            _ => None,
        }
    }

    /// Rebuilds a grant read back from storage, where a check constraint
    /// already holds role and scope together.
    pub fn from_parts(role: Role, store_id: Option<Uuid>, company_id: Option<Uuid>) -> Result<Grant, &'static str> {
        let scope = match (store_id, company_id) {
            (None, None) => Scope::Global,
            (Some(store), None) => Scope::Store(store),
            (None, Some(company)) => Scope::Company(company),
            (Some(_), Some(_)) => return Err("a role is scoped to a store or a company, not both"),
        };
        role.scoped(scope)
    }
}

/// What an API key may do. Read scopes are implied by write scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ApiScope {
    CatalogRead,
    CatalogWrite,
    InventoryRead,
    InventoryWrite,
    OrdersRead,
    OrdersWrite,
    CustomersRead,
    ReportsRead,
}

impl ApiScope {
    pub const ALL: [ApiScope; 8] = [
        ApiScope::CatalogRead,
        ApiScope::CatalogWrite,
        ApiScope::InventoryRead,
        ApiScope::InventoryWrite,
        ApiScope::OrdersRead,
        ApiScope::OrdersWrite,
        ApiScope::CustomersRead,
        ApiScope::ReportsRead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ApiScope::CatalogRead => "catalog:read",
            ApiScope::CatalogWrite => "catalog:write",
            ApiScope::InventoryRead => "inventory:read",
            ApiScope::InventoryWrite => "inventory:write",
            ApiScope::OrdersRead => "orders:read",
            ApiScope::OrdersWrite => "orders:write",
            ApiScope::CustomersRead => "customers:read",
            ApiScope::ReportsRead => "reports:read",
        }
    }

    /// Whether a key holding `self` may do what `needed` allows.
    pub fn covers(self, needed: ApiScope) -> bool {
        self == needed
            || matches!(
                (self, needed),
                (ApiScope::CatalogWrite, ApiScope::CatalogRead)
                    | (ApiScope::InventoryWrite, ApiScope::InventoryRead)
                    | (ApiScope::OrdersWrite, ApiScope::OrdersRead)
            )
    }
}

impl FromStr for ApiScope {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        ApiScope::ALL.into_iter().find(|scope| scope.as_str() == s).ok_or(())
    }
}

/// ISO 3166-1 alpha-2 codes currently assigned.
const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ \
BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET \
FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR \
IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN \
MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY \
QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR \
TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// An assigned ISO 3166-1 alpha-2 country code, upper case.
pub fn parse_country(raw: &str) -> Result<String, &'static str> {
    let code = raw.trim().to_ascii_uppercase();
    if code.len() == 2 && COUNTRIES.split_ascii_whitespace().any(|c| c == code) {
        Ok(code)
    } else {
        Err("a country is an ISO 3166-1 alpha-2 code such as FR")
    }
}

/// Checks a postal code for `country`. French codes (metropolitan France,
/// Corsica, overseas departments and collectivities, Monaco) have five
/// digits starting with a department number; other countries' codes are
/// only checked for a plausible shape.
pub fn parse_postal_code(country: &str, raw: &str) -> Result<String, &'static str> {
    let code = raw.trim().to_ascii_uppercase();
    let french = matches!(
        country,
        "FR" | "MC" | "GP" | "MQ" | "GF" | "RE" | "YT" | "PM" | "BL" | "MF" | "WF" | "PF" | "NC"
    );
    if french {
        let digits = code.len() == 5 && code.bytes().all(|b| b.is_ascii_digit());
        let department: u32 = code.get(..2).and_then(|d| d.parse().ok()).unwrap_or(0);
        if !digits || department == 0 || department == 96 || department > 98 {
            return Err("a French postal code has five digits, such as 29000");
        }
        return Ok(code);
    }
    let plausible =
        (2..=10).contains(&code.len()) && code.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-');
    if plausible {
        Ok(code)
    } else {
        Err("a postal code has 2 to 10 letters, digits, spaces or hyphens")
    }
}

/// A phone number as people write it (`06 12 34 56 78`, `+33 6 12 34 56
/// 78`), kept with its separators removed: 6 to 15 digits, an optional
/// leading `+`.
pub fn parse_phone(raw: &str) -> Result<String, &'static str> {
    let trimmed = raw.trim();
    let (plus, rest) = match trimmed.strip_prefix('+') {
        Some(rest) => ("+", rest),
        None => ("", trimmed),
    };
    if !rest
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '.' | '-' | '(' | ')'))
    {
        return Err("a phone number has digits, spaces, dots or dashes, and may start with +");
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    if !(6..=15).contains(&digits.len()) {
        return Err("a phone number has 6 to 15 digits");
    }
    Ok(format!("{plus}{digits}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_need_a_name_and_a_dotted_domain() {
        assert_eq!(Email::parse("  Anne@Exemple.FR ").unwrap().as_str(), "Anne@Exemple.FR");
        assert_eq!(Email::parse("Anne@Exemple.FR").unwrap().normalized(), "anne@exemple.fr");
        for bad in [
            "",
            "anne",
            "@exemple.fr",
            "anne@",
            "anne@localhost",
            "an ne@exemple.fr",
            "a@b..fr",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn passwords_are_judged_by_length_and_guessability_not_composition() {
        let short = NewPassword::parse("Tr0ub4dor&3", &[]).unwrap_err();
        assert_eq!(short.code, "password.too_short");
        let long = NewPassword::parse(&"x".repeat(129), &[]).unwrap_err();
        assert_eq!(long.code, "password.too_long");
        let common = NewPassword::parse("password1234", &[]).unwrap_err();
        assert_eq!(common.code, "password.too_guessable");
        // Strong for a stranger, weak from someone who knows the account.
        assert!(NewPassword::parse("kerjean.anne", &[]).is_ok());
        let personal = NewPassword::parse("kerjean.anne", &["anne.kerjean@exemple.fr", "Anne", "Kerjean"]);
        assert_eq!(personal.unwrap_err().code, "password.too_guessable");
        // Lower case words only, no digits or symbols: fine when unguessable.
        assert!(NewPassword::parse("galettes marées phare brumeux", &[]).is_ok());
    }

    #[test]
    fn a_role_only_takes_the_scope_it_holds_over() {
        let store = Uuid::now_v7();
        assert!(Role::Cashier.scoped(Scope::Store(store)).is_ok());
        assert!(Role::Cashier.scoped(Scope::Global).is_err());
        assert!(Role::Manager.scoped(Scope::Company(store)).is_err());
        assert!(Role::B2bBuyer.scoped(Scope::Company(store)).is_ok());
        assert!(Role::Admin.scoped(Scope::Store(store)).is_err());
        assert!(Grant::from_parts(Role::Manager, Some(store), Some(store)).is_err());
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
    }

    #[test]
    fn write_scopes_imply_their_read_scope_only() {
        assert!(ApiScope::CatalogWrite.covers(ApiScope::CatalogRead));
        assert!(!ApiScope::CatalogRead.covers(ApiScope::CatalogWrite));
        assert!(!ApiScope::InventoryWrite.covers(ApiScope::CatalogRead));
        assert_eq!("reports:read".parse(), Ok(ApiScope::ReportsRead));
        assert!("reports:write".parse::<ApiScope>().is_err());
    }

    #[test]
    fn phone_numbers_lose_their_separators_only() {
        assert_eq!(parse_phone("06 12 34 56 78").unwrap(), "0612345678");
        assert_eq!(parse_phone("+33 (0)6.12.34.56.78").unwrap(), "+330612345678");
        for bad in ["", "12345", "06 12 ab 56 78", "+", "1234567890123456"] {
            assert!(parse_phone(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn countries_are_assigned_codes_and_french_postcodes_have_a_department() {
        assert_eq!(parse_country("fr").unwrap(), "FR");
        assert!(parse_country("XX").is_err());
        assert!(parse_country("FRA").is_err());
        assert_eq!(parse_postal_code("FR", "29000").unwrap(), "29000");
        assert_eq!(parse_postal_code("FR", "20090").unwrap(), "20090");
        assert_eq!(parse_postal_code("FR", "97400").unwrap(), "97400");
        for bad in ["2900", "290000", "00100", "96000", "99000", "2A000", "ab123"] {
            assert!(parse_postal_code("FR", bad).is_err(), "{bad}");
        }
        assert_eq!(parse_postal_code("GB", "sw1a 1aa").unwrap(), "SW1A 1AA");
        assert!(parse_postal_code("DE", "!").is_err());
    }
}
