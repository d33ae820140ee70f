//! What every change made by the staff (or an integration) shares: who acts
//! and under which request, written to the audit log in the change's own
//! transaction, and the version the change was made against (`If-Match`),
//! refused when it is no longer the stored one.

use comptoir_db::PgConnection;
use comptoir_db::platform::audit::{self, Actor};
use uuid::Uuid;

use crate::error::{AppError, ErrorKind};

/// Who makes a change, and the request it came in (for the audit log).
#[derive(Debug, Clone, Copy)]
pub struct Acting<'a> {
    pub actor: Actor,
    pub request_id: Option<&'a str>,
}

impl Acting<'_> {
    /// Writes the change to the audit log, in the caller's transaction: the
    /// entry commits with the change or not at all.
    pub async fn record(
        &self,
        conn: &mut PgConnection,
        action: &str,
        subject: (&str, Uuid),
        details: serde_json::Value,
    ) -> Result<(), AppError> {
        let subject_id = subject.1.to_string();
        audit::record(
            conn,
            &audit::NewEntry {
                actor: self.actor,
                action,
                subject_type: Some(subject.0),
                subject_id: Some(&subject_id),
                request_id: self.request_id,
                ip: None,
                details,
            },
        )
        .await?;
        Ok(())
    }
}

/// The version of a resource its editor last read; `None` when they did
/// not say (`If-Match` absent or `*`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Expected(pub Option<i32>);

impl Expected {
    /// Refuses a change made against an older version than `current`
    /// (`precondition.failed`, naming the current version).
    pub fn check(self, current: i32) -> Result<(), AppError> {
        match self.0 {
            Some(expected) if expected != current => Err(AppError::new(
                ErrorKind::StaleVersion,
                "precondition.failed",
                format!(
                    "This resource changed since you read it (you sent version {expected}, it is at version {current}). \
                     Read it again and redo your change."
                ),
            )
            .with_current_version(format!("\"{current}\""))),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_against_an_older_version_is_refused_naming_the_current_one() {
        assert!(Expected(None).check(4).is_ok());
        assert!(Expected(Some(4)).check(4).is_ok());
        let err = Expected(Some(3)).check(4).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::StaleVersion);
        assert_eq!(err.code(), "precondition.failed");
        assert_eq!(err.current_version(), Some("\"4\""));
    }
}
