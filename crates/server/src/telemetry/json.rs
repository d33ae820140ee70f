//! The JSON log line format: one object per line with `timestamp`, `level`,
//! `message`, the event's fields flattened, `request_id` when the event
//! happens while a request is handled, the current span if any, and
//! `target`.
//!
//! Written by hand because the request line is on the hot path of every
//! request: tracing-subscriber's JSON formatter builds serde maps for every
//! event and cost a tenth of the throughput of a small answer.

use std::fmt;

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

use super::current_request_id;

pub struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        let metadata = event.metadata();
        writer.write_str("{\"timestamp\":\"")?;
        write_timestamp(&mut writer, time::OffsetDateTime::now_utc())?;
        write!(writer, "\",\"level\":\"{}\"", metadata.level())?;

        let mut fields = Fields {
            writer: &mut writer,
            result: Ok(()),
            has_request_id: false,
        };
        event.record(&mut fields);
        fields.result?;
        let has_request_id = fields.has_request_id;

        if !has_request_id && let Some(id) = current_request_id() {
            writer.write_str(",\"request_id\":")?;
            write_json_str(&mut writer, &id)?;
        }
        if let Some(span) = ctx.lookup_current() {
            writer.write_str(",\"span\":{\"name\":")?;
            write_json_str(&mut writer, span.name())?;
            let extensions = span.extensions();
            if let Some(formatted) = extensions.get::<FormattedFields<N>>() {
                // Span fields are formatted as a JSON object by `JsonFields`.
                let inner = formatted.fields.trim().trim_start_matches('{').trim_end_matches('}');
                if !inner.is_empty() {
                    writer.write_char(',')?;
                    writer.write_str(inner)?;
                }
            }
            writer.write_char('}')?;
        }
        writer.write_str(",\"target\":")?;
        write_json_str(&mut writer, metadata.target())?;
        writer.write_str("}\n")
    }
}

struct Fields<'w, 'a> {
    writer: &'w mut Writer<'a>,
    result: fmt::Result,
    has_request_id: bool,
}

impl Fields<'_, '_> {
    fn key(&mut self, field: &Field) -> fmt::Result {
        if field.name() == "request_id" {
            self.has_request_id = true;
        }
        self.writer.write_char(',')?;
        write_json_str(self.writer, field.name())?;
        self.writer.write_char(':')
    }

    fn put(&mut self, write: impl FnOnce(&mut Self) -> fmt::Result) {
        if self.result.is_ok() {
            self.result = write(self);
        }
    }
}

impl Visit for Fields<'_, '_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(|f| {
            f.key(field)?;
            write_json_str(f.writer, value)
        });
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(|f| {
            f.key(field)?;
            write!(f.writer, "{value}")
        });
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(|f| {
            f.key(field)?;
            write!(f.writer, "{value}")
        });
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(|f| {
            f.key(field)?;
            write!(f.writer, "{value}")
        });
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        self.put(|f| {
            f.key(field)?;
            write!(f.writer, "{value}")
        });
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        self.put(|f| {
            f.key(field)?;
            write!(f.writer, "{value}")
        });
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(|f| {
            f.key(field)?;
            if value.is_finite() {
                write!(f.writer, "{value}")
            } else {
                f.writer.write_str("null")
            }
        });
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(|f| {
            f.key(field)?;
            write_json_str(f.writer, &value.to_string())
        });
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(|f| {
            f.key(field)?;
            write_json_str(f.writer, &format!("{value:?}"))
        });
    }
}

/// RFC 3339 in UTC with microseconds: `2026-11-23T09:38:10.826829Z`.
fn write_timestamp(writer: &mut impl fmt::Write, now: time::OffsetDateTime) -> fmt::Result {
    write!(
        writer,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.microsecond()
    )
}

/// Writes `value` as a JSON string, escaping what JSON requires.
pub fn write_json_str(writer: &mut impl fmt::Write, value: &str) -> fmt::Result {
    writer.write_char('"')?;
    let mut start = 0;
    for (index, byte) in value.bytes().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        writer.write_str(&value[start..index])?;
        if escape.is_empty() {
            write!(writer, "\\u{byte:04x}")?;
        } else {
            writer.write_str(escape)?;
        }
        start = index + 1;
    }
    writer.write_str(&value[start..])?;
    writer.write_char('"')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_json_requires() {
        let mut out = String::new();
        write_json_str(&mut out, "a\"b\\c\nd\u{1}é").unwrap();
        assert_eq!(out, r#""a\"b\\c\nd\u0001é""#);
        let parsed: String = serde_json::from_str(&out).unwrap();
        assert_eq!(parsed, "a\"b\\c\nd\u{1}é");
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        let mut out = String::new();
        let at = time::macros::datetime!(2026-11-23 09:08:07.000123 UTC);
        write_timestamp(&mut out, at).unwrap();
        assert_eq!(out, "2026-11-23T09:08:07.000123Z");
    }
}
