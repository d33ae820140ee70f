//! The JSON log line format: one object per line with `timestamp`, `level`,
//! `message`, the event's fields flattened, `request_id` when the event
//! happens while a request is handled, the current span if any, and
//! `target`.
//!
//! Written by hand because the request line is on the hot path of every
//! request: tracing-subscriber's JSON formatter builds serde maps for every
//! event and cost a tenth of the throughput of a small answer.

use std::fmt::{self, Write as _};

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
        writer.write_str("\",\"level\":\"")?;
        writer.write_str(metadata.level().as_str())?;
        writer.write_char('"')?;

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
        let name = field.name();
        if name.bytes().all(|byte| byte > 0x1f && byte != b'"' && byte != b'\\') {
            self.writer.write_str(",\"")?;
            self.writer.write_str(name)?;
            self.writer.write_str("\":")
        } else {
            self.writer.write_char(',')?;
            write_json_str(self.writer, name)?;
            self.writer.write_char(':')
        }
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
            f.writer.write_char('"')?;
            write!(Escaping(&mut *f.writer), "{value}")?;
            f.writer.write_char('"')
        });
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // Messages arrive here: escaped as they are formatted, with no
        // intermediate string.
        self.put(|f| {
            f.key(field)?;
            f.writer.write_char('"')?;
            write!(Escaping(&mut *f.writer), "{value:?}")?;
            f.writer.write_char('"')
        });
    }
}

/// The request line, as [`JsonLines`] would write the event
/// `info!(target: "comptoir::request", request_id, method, ..., "request")`.
pub fn write_request_line(out: &mut String, line: &super::RequestLine<'_>) -> fmt::Result {
    out.push_str("{\"timestamp\":\"");
    write_timestamp(out, time::OffsetDateTime::now_utc())?;
    out.push_str("\",\"level\":\"INFO\",\"message\":\"request\",\"request_id\":");
    write_json_str(out, line.request_id)?;
    out.push_str(",\"method\":");
    write_json_str(out, line.method)?;
    out.push_str(",\"route\":");
    write_json_str(out, line.route)?;
    write!(out, ",\"status\":{},\"latency_ms\":", line.status)?;
    // Milliseconds with three decimals, from integer microseconds.
    let micros = line.latency.as_micros();
    write!(out, "{}.", micros / 1000)?;
    let mut fraction = *b"000";
    put_digits(&mut fraction, u32::try_from(micros % 1000).unwrap_or(0));
    out.push_str(std::str::from_utf8(&fraction).unwrap_or("000"));
    if let Some(user_id) = line.user_id {
        out.push_str(",\"user_id\":");
        write_json_str(out, user_id)?;
    }
    out.push_str(",\"instance_id\":");
    write_json_str(out, line.instance_id)?;
    out.push_str(",\"target\":");
    write_json_str(out, super::REQUEST_TARGET)?;
    out.push_str("}\n");
    Ok(())
}

/// RFC 3339 in UTC with microseconds: `2026-11-23T09:38:10.826829Z`.
/// Digits are placed by hand: `write!` with seven padded fields cost as
/// much as the rest of the line.
fn write_timestamp(writer: &mut impl fmt::Write, now: time::OffsetDateTime) -> fmt::Result {
    let mut text = *b"0000-00-00T00:00:00.000000Z";
    let year = u32::try_from(now.year()).unwrap_or(0).min(9999);
    put_digits(&mut text[0..4], year);
    put_digits(&mut text[5..7], u32::from(u8::from(now.month())));
    put_digits(&mut text[8..10], u32::from(now.day()));
    put_digits(&mut text[11..13], u32::from(now.hour()));
    put_digits(&mut text[14..16], u32::from(now.minute()));
    put_digits(&mut text[17..19], u32::from(now.second()));
    put_digits(&mut text[20..26], now.microsecond());
    // Only ASCII digits were written over an ASCII template.
    writer.write_str(std::str::from_utf8(&text).unwrap_or("1970-01-01T00:00:00.000000Z"))
}

/// Writes `value` in decimal into `slot`, right-aligned, zero-padded.
fn put_digits(slot: &mut [u8], mut value: u32) {
    for digit in slot.iter_mut().rev() {
        *digit = b'0' + u8::try_from(value % 10).unwrap_or(0);
        value /= 10;
    }
}

/// Writes `value` as a JSON string, escaping what JSON requires.
pub fn write_json_str(writer: &mut impl fmt::Write, value: &str) -> fmt::Result {
    writer.write_char('"')?;
    write_escaped(writer, value)?;
    writer.write_char('"')
}

/// Writes the inside of a JSON string: runs of plain text as they are,
/// quotes, backslashes and control characters escaped.
fn write_escaped(writer: &mut impl fmt::Write, value: &str) -> fmt::Result {
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
    writer.write_str(&value[start..])
}

/// A writer that escapes what is formatted into it for a JSON string.
struct Escaping<'w, W: fmt::Write>(&'w mut W);

impl<W: fmt::Write> fmt::Write for Escaping<'_, W> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        write_escaped(self.0, text)
    }
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

        // Formatted values are escaped the same way, piece by piece.
        let mut formatted = String::new();
        let (quoted, tabbed) = ("q\"", "t\tz");
        write!(Escaping(&mut formatted), "{quoted:?} {tabbed}").unwrap();
        assert_eq!(formatted, r#"\"q\\\"\" t\tz"#);
    }

    #[test]
    fn request_lines_are_json_objects_with_every_fact() {
        let mut out = String::new();
        let line = crate::telemetry::RequestLine {
            request_id: "id-\"1\"",
            method: "GET",
            route: "/api/v1/products/{id}",
            status: 404,
            latency: std::time::Duration::from_micros(12_345_678),
            user_id: Some("u-1"),
            instance_id: "web-2",
        };
        write_request_line(&mut out, &line).unwrap();
        assert!(out.ends_with('\n') && out.lines().count() == 1, "{out}");
        let parsed: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(parsed["level"], "INFO");
        assert_eq!(parsed["message"], "request");
        assert_eq!(parsed["request_id"], "id-\"1\"");
        assert_eq!(parsed["route"], "/api/v1/products/{id}");
        assert_eq!(parsed["status"], 404);
        assert_eq!(parsed["latency_ms"], 12_345.678);
        assert_eq!(parsed["user_id"], "u-1");
        assert_eq!(parsed["instance_id"], "web-2");
        assert_eq!(parsed["target"], "comptoir::request");

        out.clear();
        let quick = crate::telemetry::RequestLine {
            latency: std::time::Duration::from_micros(7),
            user_id: None,
            ..line
        };
        write_request_line(&mut out, &quick).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(parsed["latency_ms"], 0.007);
        assert!(parsed.get("user_id").is_none());
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        let mut out = String::new();
        let at = time::macros::datetime!(2026-11-23 09:08:07.000123 UTC);
        write_timestamp(&mut out, at).unwrap();
        assert_eq!(out, "2026-11-23T09:08:07.000123Z");
    }
}
