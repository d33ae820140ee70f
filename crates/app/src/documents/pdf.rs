//! A small PDF writer for the shop's documents (invoices, credit notes,
//! packing slips): text in the standard Helvetica fonts, WinAnsi-encoded
//! (French accents, the euro sign), and rules, on A4 pages.
//!
//! The standard fonts need no embedding, so a document is a few kilobytes
//! and the writer a few dozen lines, instead of a layout engine in the build.

use std::fmt::Write as _;

/// A4, in points.
pub const PAGE_WIDTH: f32 = 595.28;
pub const PAGE_HEIGHT: f32 = 841.89;

/// Millimetres to points.
pub fn mm(value: f32) -> f32 {
    value * 72.0 / 25.4
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Font {
    Regular,
    Bold,
}

/// One page's drawing operations.
#[derive(Debug, Default, Clone)]
pub struct Page {
    content: String,
}

impl Page {
    /// Text whose baseline starts at (`x`, `y`) points from the bottom left.
    pub fn text(&mut self, x: f32, y: f32, size: f32, font: Font, text: &str) {
        let name = match font {
            Font::Regular => "F1",
            Font::Bold => "F2",
        };
        let _ = writeln!(
            self.content,
            "BT /{name} {size:.1} Tf {x:.2} {y:.2} Td ({}) Tj ET",
            escape(&win_ansi(text))
        );
    }

    /// Text ending at `right` (numbers in columns).
    pub fn text_right(&mut self, right: f32, y: f32, size: f32, font: Font, text: &str) {
        let width = text_width(text, size, font);
        self.text(right - width, y, size, font, text);
    }

    /// A thin line.
    pub fn rule(&mut self, x1: f32, y1: f32, x2: f32, y2: f32) {
        let _ = writeln!(self.content, "0.5 w {x1:.2} {y1:.2} m {x2:.2} {y2:.2} l S");
    }
}

/// The width of `text` in points: Helvetica's average advance is close to
/// half the size for lower case, more for digits and capitals; enough to
/// align a column of amounts.
pub fn text_width(text: &str, size: f32, font: Font) -> f32 {
    let units: f32 = text
        .chars()
        .map(|c| match c {
            ' ' | ',' | '.' | '\u{a0}' | '\u{202f}' => 278.0,
            '0'..='9' | '€' => 556.0,
            'i' | 'j' | 'l' | 'I' => 222.0,
            'm' | 'w' | 'M' | 'W' => 833.0,
            c if c.is_uppercase() => 667.0,
            _ => 500.0,
        })
        .sum();
    let bold = if font == Font::Bold { 1.05 } else { 1.0 };
    units * size / 1000.0 * bold
}

/// Text as WinAnsi bytes: Latin-1 as it is, the euro and typographic signs
/// at their WinAnsi places, anything else as `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '€' => 0x80,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '–' => 0x96,
            '—' => 0x97,
            'Œ' => 0x8c,
            'œ' => 0x9c,
            '\u{202f}' => 0xa0,
            c => u8::try_from(u32::from(c)).ok().filter(|b| *b >= 0x20).unwrap_or(b'?'),
        })
        .collect()
}

fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'(' | b')' | b'\\' => {
                out.push('\\');
                out.push(char::from(b));
            }
            0x20..=0x7e => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\{b:03o}");
            }
        }
    }
    out
}

/// The PDF file of `pages`.
pub fn render(title: &str, pages: &[Page]) -> Vec<u8> {
    let mut objects: Vec<String> = Vec::new();
    // 1 catalog, 2 pages, 3 and 4 fonts, 5 info, then page and content pairs.
    let page_ids: Vec<usize> = (0..pages.len()).map(|i| 6 + 2 * i).collect();
    objects.push("<< /Type /Catalog /Pages 2 0 R >>".to_owned());
    objects.push(format!(
        "<< /Type /Pages /Count {} /Kids [{}] >>",
        pages.len(),
        page_ids
            .iter()
            .map(|id| format!("{id} 0 R"))
            .collect::<Vec<_>>()
            .join(" ")
    ));
    objects.push("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_owned());
    objects.push("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>".to_owned());
    objects.push(format!(
        "<< /Title ({}) /Producer (Comptoir) >>",
        escape(&win_ansi(title))
    ));
    for (page, id) in pages.iter().zip(&page_ids) {
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] \
             /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {} 0 R >>",
            id + 1
        ));
        objects.push(format!(
            "<< /Length {} >>\nstream\n{}endstream",
            page.content.len(),
            page.content
        ));
    }
    let mut out: Vec<u8> = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for offset in offsets {
        let _ = writeln!(table, "{offset:010} 00000 n ");
    }
    let _ = write!(
        table,
        "trailer\n<< /Size {} /Root 1 0 R /Info 5 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    );
    out.extend_from_slice(table.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_and_the_euro_sign_are_written_in_win_ansi() {
        assert_eq!(win_ansi("é€"), [0xe9, 0x80]);
        assert_eq!(escape(&win_ansi("(1 234,50 €)")), "\\(1 234,50 \\200\\)");
    }

    #[test]
    fn the_cross_reference_table_points_at_every_object() {
        let mut page = Page::default();
        page.text(mm(20.0), mm(270.0), 12.0, Font::Bold, "Facture FA-2026-000001");
        let pdf = render("Facture", &[page.clone(), page]);
        assert!(pdf.starts_with(b"%PDF-1.4"));
        assert!(pdf.ends_with(b"%%EOF\n"));
        let text = String::from_utf8_lossy(&pdf[pdf.len() - 40..]).into_owned();
        let start: usize = text
            .rsplit("startxref\n")
            .next()
            .and_then(|t| t.lines().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        assert!(pdf[start..].starts_with(b"xref"));
        // Each entry's offset lands on "N 0 obj".
        let table = String::from_utf8_lossy(&pdf[start..]).into_owned();
        for (n, line) in table.lines().skip(3).take(9).enumerate() {
            let offset: usize = line[..10].parse().unwrap_or(0);
            assert!(
                pdf[offset..].starts_with(format!("{} 0 obj", n + 1).as_bytes()),
                "object {}",
                n + 1
            );
        }
    }
}
