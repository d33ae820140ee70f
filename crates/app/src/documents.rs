//! The order's documents: the invoice and credit notes with the mentions a
//! French invoice needs (seller's identity, SIREN and VAT number, buyer,
//! dates, lines with their unit price excluding VAT, VAT per rate, totals),
//! and the warehouse's packing slip. Each is one model, printed as HTML
//! (for the browser's print) or PDF.

pub mod pdf;

use comptoir_db::orders::{Order, OrderLine};
use comptoir_db::payments::Refund;
use comptoir_domain::orders::{Invoice, Line, PriceBasis, invoice, split_in_proportion};
use time::OffsetDateTime;

use crate::checkout::AddressInput;
use crate::config::Config;
use pdf::{Font, PAGE_WIDTH, Page, mm};

/// `1 234,50 €`: French grouping with a narrow no-break space.
pub fn euros(minor: i64) -> String {
    let mut out = String::with_capacity(24);
    // Writing to a String cannot fail.
    let _ = write_euros(&mut out, minor);
    out
}

/// An amount that pages write as [`euros`] straight into their HTML,
/// without a string of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Euros(pub i64);

impl std::fmt::Display for Euros {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write_euros(f, self.0)
    }
}

/// Digit by digit: a listing writes a price per card, and `format!` made
/// this 5 % of its CPU.
fn write_euros(out: &mut impl std::fmt::Write, minor: i64) -> std::fmt::Result {
    let abs = minor.unsigned_abs();
    let mut digits = [0u8; 20];
    let mut count = 0;
    let mut units = abs / 100;
    loop {
        digits[count] = b'0' + (units % 10) as u8;
        count += 1;
        units /= 10;
        if units == 0 {
            break;
        }
    }
    if minor < 0 {
        out.write_char('-')?;
    }
    for left in (0..count).rev() {
        out.write_char(char::from(digits[left]))?;
        if left > 0 && left % 3 == 0 {
            out.write_char('\u{202f}')?;
        }
    }
    let cents = abs % 100;
    out.write_char(',')?;
    out.write_char(char::from(b'0' + (cents / 10) as u8))?;
    out.write_char(char::from(b'0' + (cents % 10) as u8))?;
    out.write_str("\u{a0}€")
}

/// A VAT rate in basis points the French way: "20 %", "5,5 %", "2,1 %".
pub fn percent(rate_basis_points: u32) -> String {
    let whole = rate_basis_points / 100;
    match rate_basis_points % 100 {
        0 => format!("{whole} %"),
        rest if rest % 10 == 0 => format!("{whole},{} %", rest / 10),
        rest => format!("{whole},{rest:02} %"),
    }
}

/// Paris time: UTC+2 from the last Sunday of March to the last Sunday of
/// October (at 01:00 UTC), UTC+1 otherwise.
pub fn in_paris(at: OffsetDateTime) -> OffsetDateTime {
    let utc = at.to_offset(time::UtcOffset::UTC);
    let last_sunday = |month: time::Month| {
        let last_day =
            time::Date::from_calendar_date(utc.year(), month, month.length(utc.year())).unwrap_or(utc.date());
        let back = last_day.weekday().number_days_from_sunday();
        (last_day - time::Duration::days(i64::from(back)))
            .with_hms(1, 0, 0)
            .map(|t| t.assume_utc())
    };
    let summer = match (last_sunday(time::Month::March), last_sunday(time::Month::October)) {
        (Ok(start), Ok(end)) => utc >= start && utc < end,
        _ => false,
    };
    let hours = if summer { 2 } else { 1 };
    utc.to_offset(time::UtcOffset::from_hms(hours, 0, 0).unwrap_or(time::UtcOffset::UTC))
}

/// A day as the French write it (`01/12/2026`), in Paris.
pub fn date(at: OffsetDateTime) -> String {
    let paris = in_paris(at);
    format!("{:02}/{:02}/{}", paris.day(), u8::from(paris.month()), paris.year())
}

/// A row of a document's table.
#[derive(Debug, Clone)]
pub struct Row {
    pub label: String,
    pub quantity: i64,
    pub unit_excl_minor: i64,
    pub rate: u32,
    pub total_excl_minor: i64,
    pub total_incl_minor: i64,
}

/// What an invoice or a credit note prints.
#[derive(Debug, Clone)]
pub struct Statement {
    /// `Facture` or `Avoir`.
    pub kind: &'static str,
    pub number: String,
    pub issued_at: OffsetDateTime,
    pub order_number: String,
    pub placed_at: OffsetDateTime,
    /// For a credit note: the invoice it corrects.
    pub corrects: Option<String>,
    pub seller: [String; 4],
    pub buyer: Vec<String>,
    pub rows: Vec<Row>,
    pub bill: Invoice,
    pub note: String,
}

fn order_lines_as(lines: &[(String, Line)]) -> Vec<Line> {
    lines.iter().map(|(_, l)| *l).collect()
}

fn seller(config: &Config) -> [String; 4] {
    [
        config.seller_name.clone(),
        config.seller_address.clone(),
        format!("SIREN {}", config.seller_siren),
        format!("N° TVA intracommunautaire {}", config.seller_vat_number),
    ]
}

fn buyer(order: &Order, address: Option<AddressInput>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(a) = address {
        out.push(format!("{} {}", a.first_name, a.last_name));
        if let Some(company) = a.company {
            out.push(company);
        }
        out.push(a.line1);
        if let Some(line2) = a.line2 {
            out.push(line2);
        }
        out.push(format!("{} {} ({})", a.postal_code, a.city, a.country));
    }
    out.push(order.email.clone());
    out
}

fn rows_of(labelled: &[(String, Line)], bill: &Invoice) -> Vec<Row> {
    let mut rows: Vec<Row> = labelled
        .iter()
        .zip(&bill.lines)
        .map(|((label, _), line)| Row {
            label: label.clone(),
            quantity: line.quantity,
            unit_excl_minor: line.unit_excl_minor,
            rate: line.rate_basis_points,
            total_excl_minor: line.total_excl_minor,
            total_incl_minor: line.total_incl_minor,
        })
        .collect();
    for share in &bill.shipping {
        rows.push(Row {
            label: format!("Livraison (TVA {})", percent(share.rate_basis_points)),
            quantity: 1,
            unit_excl_minor: share.unit_excl_minor,
            rate: share.rate_basis_points,
            total_excl_minor: share.total_excl_minor,
            total_incl_minor: share.total_incl_minor,
        });
    }
    rows
}

fn line_of(line: &OrderLine, quantity: i64) -> (String, Line) {
    (
        format!("{} — {}", line.product_name, line.sku),
        Line {
            unit_price_minor: line.unit_price_minor,
            quantity,
            rate_basis_points: u32::try_from(line.vat_rate).unwrap_or(0),
        },
    )
}

/// The invoice of a paid order.
pub fn invoice_of(
    config: &Config,
    order: &Order,
    lines: &[OrderLine],
    billing: Option<AddressInput>,
) -> Option<Statement> {
    let number = order.invoice_number.clone()?;
    let labelled: Vec<(String, Line)> = lines.iter().map(|l| line_of(l, i64::from(l.quantity))).collect();
    let bill = invoice(
        &order_lines_as(&labelled),
        order.shipping_minor,
        PriceBasis::VatIncluded,
    );
    Some(Statement {
        kind: "Facture",
        number,
        issued_at: order.invoiced_at.unwrap_or(order.placed_at),
        order_number: order.number.clone(),
        placed_at: order.placed_at,
        corrects: None,
        seller: seller(config),
        buyer: buyer(order, billing),
        rows: rows_of(&labelled, &bill),
        bill,
        note: format!(
            "Payée le {} ({}). Pas d'escompte pour paiement anticipé. En cas de retard de paiement d'un professionnel : \
             pénalités au taux de trois fois l'intérêt légal et indemnité forfaitaire de 40 € pour frais de recouvrement.",
            date(order.invoiced_at.unwrap_or(order.placed_at)),
            if order.payment_method == "bank_transfer" {
                "virement"
            } else {
                "carte"
            }
        ),
    })
}

/// The credit note of a refund: the lines given back, or an amount spread
/// over the order's VAT rates in proportion to what each rate weighed.
pub fn credit_note_of(
    config: &Config,
    order: &Order,
    lines: &[OrderLine],
    refund: &Refund,
    billing: Option<AddressInput>,
) -> Option<Statement> {
    let number = refund.credit_note_number.clone()?;
    let given_back: Vec<(uuid::Uuid, i64)> = refund
        .lines
        .as_array()
        .map(|all| {
            all.iter()
                .filter_map(|l| Some((l.get("line_id")?.as_str()?.parse().ok()?, l.get("quantity")?.as_i64()?)))
                .collect()
        })
        .unwrap_or_default();
    let labelled: Vec<(String, Line)> = if given_back.is_empty() {
        // An amount: one row per rate of the order.
        let mut rates: Vec<(u32, i64)> = Vec::new();
        for line in lines {
            let rate = u32::try_from(line.vat_rate).unwrap_or(0);
            match rates.iter_mut().find(|r| r.0 == rate) {
                Some(r) => r.1 += line.line_total_minor,
                None => rates.push((rate, line.line_total_minor)),
            }
        }
        rates.sort_by_key(|r| std::cmp::Reverse(r.0));
        let parts = split_in_proportion(refund.amount_minor, &rates.iter().map(|r| r.1).collect::<Vec<_>>());
        rates
            .iter()
            .zip(parts)
            .filter(|(_, part)| *part > 0)
            .map(|((rate, _), part)| {
                (
                    format!("Remboursement — {} (TVA {})", refund.reason, percent(*rate)),
                    Line {
                        unit_price_minor: part,
                        quantity: 1,
                        rate_basis_points: *rate,
                    },
                )
            })
            .collect()
    } else {
        given_back
            .iter()
            .filter_map(|(id, quantity)| lines.iter().find(|l| l.id == *id).map(|l| line_of(l, *quantity)))
            .collect()
    };
    let bill = invoice(&order_lines_as(&labelled), 0, PriceBasis::VatIncluded);
    Some(Statement {
        kind: "Avoir",
        number,
        issued_at: refund.created_at,
        order_number: order.number.clone(),
        placed_at: order.placed_at,
        corrects: order.invoice_number.clone(),
        seller: seller(config),
        buyer: buyer(order, billing),
        rows: rows_of(&labelled, &bill),
        bill,
        note: format!("Remboursé le {} : {}.", date(refund.created_at), refund.reason),
    })
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The statement as a printable HTML page.
pub fn statement_html(s: &Statement) -> String {
    let mut rows = String::new();
    for r in &s.rows {
        rows.push_str(&format!(
            "<tr><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td></tr>",
            escape(&r.label),
            r.quantity,
            euros(r.unit_excl_minor),
            percent(r.rate),
            euros(r.total_excl_minor),
            euros(r.total_incl_minor)
        ));
    }
    let vat: String = s
        .bill
        .vat
        .iter()
        .map(|v| {
            format!(
                "<tr><td>{}</td><td class=n>{}</td><td class=n>{}</td></tr>",
                percent(v.rate_basis_points),
                euros(v.base_minor),
                euros(v.amount_minor)
            )
        })
        .collect();
    let corrects = s
        .corrects
        .as_ref()
        .map(|n| format!("<p>Rectifie la facture {}</p>", escape(n)))
        .unwrap_or_default();
    format!(
        "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>{kind} {number}</title>\
<style>body{{font:14px/1.4 system-ui,sans-serif;max-width:50rem;margin:2rem auto;color:#111}}\
table{{width:100%;border-collapse:collapse;margin:1rem 0}}th,td{{border-bottom:1px solid #ccc;padding:.3rem;text-align:left}}\
.n{{text-align:right;white-space:nowrap}}header{{display:flex;justify-content:space-between;gap:2rem}}\
@media print{{body{{margin:0}}}}</style></head><body>\
<header><address>{seller}</address><address>{buyer}</address></header>\
<h1>{kind} {number}</h1><p>Émise le {issued} — commande {order} du {placed}</p>{corrects}\
<table><thead><tr><th>Désignation</th><th class=n>Qté</th><th class=n>PU HT</th><th class=n>TVA</th><th class=n>Total HT</th><th class=n>Total TTC</th></tr></thead><tbody>{rows}</tbody></table>\
<table><thead><tr><th>Taux de TVA</th><th class=n>Base HT</th><th class=n>Montant TVA</th></tr></thead><tbody>{vat}</tbody></table>\
<table><tbody><tr><th>Total HT</th><td class=n>{excl}</td></tr><tr><th>TVA</th><td class=n>{vat_total}</td></tr>\
<tr><th>Total TTC</th><td class=n><strong>{incl}</strong></td></tr></tbody></table><p><small>{note}</small></p></body></html>",
        kind = s.kind,
        number = escape(&s.number),
        seller = s.seller.iter().map(|l| escape(l)).collect::<Vec<_>>().join("<br>"),
        buyer = s.buyer.iter().map(|l| escape(l)).collect::<Vec<_>>().join("<br>"),
        issued = date(s.issued_at),
        order = escape(&s.order_number),
        placed = date(s.placed_at),
        excl = euros(s.bill.total_excl_minor),
        vat_total = euros(s.bill.vat_total_minor),
        incl = euros(s.bill.total_incl_minor),
        note = escape(&s.note),
    )
}

/// Writes lines top-down, starting a page when one is full.
struct Writer {
    pages: Vec<Page>,
    y: f32,
}

impl Writer {
    fn new() -> Self {
        Self {
            pages: vec![Page::default()],
            y: mm(277.0),
        }
    }

    fn page(&mut self) -> &mut Page {
        if self.pages.is_empty() {
            self.pages.push(Page::default());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Moves down by `step` points, on a new page when there is no room.
    fn down(&mut self, step: f32) -> f32 {
        self.y -= step;
        if self.y < mm(20.0) {
            self.pages.push(Page::default());
            self.y = mm(277.0) - step;
        }
        self.y
    }
}

const LEFT: f32 = 56.7;
const RIGHT: f32 = PAGE_WIDTH - 56.7;

/// The statement as a PDF.
pub fn statement_pdf(s: &Statement) -> Vec<u8> {
    let mut w = Writer::new();
    let top = w.y;
    for (i, line) in s.seller.iter().enumerate() {
        let font = if i == 0 { Font::Bold } else { Font::Regular };
        let y = top - 12.0 * i as f32;
        w.page().text(LEFT, y, 9.0, font, line);
    }
    for (i, line) in s.buyer.iter().enumerate() {
        let y = top - 12.0 * i as f32;
        w.page().text(mm(120.0), y, 9.0, Font::Regular, line);
    }
    w.y = top - 12.0 * s.seller.len().max(s.buyer.len()) as f32;
    let y = w.down(28.0);
    w.page()
        .text(LEFT, y, 16.0, Font::Bold, &format!("{} {}", s.kind, s.number));
    let y = w.down(16.0);
    let issued = format!(
        "Émise le {} — commande {} du {}",
        date(s.issued_at),
        s.order_number,
        date(s.placed_at)
    );
    w.page().text(LEFT, y, 9.0, Font::Regular, &issued);
    if let Some(corrects) = &s.corrects {
        let y = w.down(12.0);
        w.page()
            .text(LEFT, y, 9.0, Font::Regular, &format!("Rectifie la facture {corrects}"));
    }
    let columns = [mm(118.0), mm(136.0), mm(151.0), mm(172.0), RIGHT];
    let y = w.down(24.0);
    w.page().text(LEFT, y, 8.5, Font::Bold, "Désignation");
    for (x, title) in columns.iter().zip(["Qté", "PU HT", "TVA", "Total HT", "Total TTC"]) {
        w.page().text_right(*x, y, 8.5, Font::Bold, title);
    }
    w.page().rule(LEFT, y - 4.0, RIGHT, y - 4.0);
    for row in &s.rows {
        let y = w.down(14.0);
        let label: String = row.label.chars().take(58).collect();
        w.page().text(LEFT, y, 8.5, Font::Regular, &label);
        let cells = [
            row.quantity.to_string(),
            euros(row.unit_excl_minor),
            percent(row.rate),
            euros(row.total_excl_minor),
            euros(row.total_incl_minor),
        ];
        for (x, cell) in columns.iter().zip(cells) {
            w.page().text_right(*x, y, 8.5, Font::Regular, &cell);
        }
    }
    let y = w.down(10.0);
    w.page().rule(LEFT, y, RIGHT, y);
    let y = w.down(16.0);
    w.page().text(LEFT, y, 8.5, Font::Bold, "Taux de TVA");
    w.page().text_right(mm(110.0), y, 8.5, Font::Bold, "Base HT");
    w.page().text_right(mm(150.0), y, 8.5, Font::Bold, "Montant TVA");
    for v in &s.bill.vat {
        let y = w.down(13.0);
        w.page()
            .text(LEFT, y, 8.5, Font::Regular, &percent(v.rate_basis_points));
        w.page()
            .text_right(mm(110.0), y, 8.5, Font::Regular, &euros(v.base_minor));
        w.page()
            .text_right(mm(150.0), y, 8.5, Font::Regular, &euros(v.amount_minor));
    }
    let totals = [
        ("Total HT", s.bill.total_excl_minor, Font::Regular),
        ("TVA", s.bill.vat_total_minor, Font::Regular),
        ("Total TTC", s.bill.total_incl_minor, Font::Bold),
    ];
    let _ = w.down(8.0);
    for (label, amount, font) in totals {
        let y = w.down(14.0);
        w.page().text(mm(140.0), y, 10.0, font, label);
        w.page().text_right(RIGHT, y, 10.0, font, &euros(amount));
    }
    let _ = w.down(10.0);
    // The note, wrapped at about 110 characters.
    let mut line = String::new();
    for word in s.note.split_whitespace() {
        if line.chars().count() + word.chars().count() > 110 {
            let y = w.down(11.0);
            w.page().text(LEFT, y, 7.5, Font::Regular, &line);
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        let y = w.down(11.0);
        w.page().text(LEFT, y, 7.5, Font::Regular, &line);
    }
    pdf::render(&format!("{} {}", s.kind, s.number), &w.pages)
}

/// The warehouse's packing slip: what to pick for an order and where it goes.
pub fn packing_slip_pdf(order: &Order, lines: &[OrderLine], address: Option<AddressInput>) -> Vec<u8> {
    let mut w = Writer::new();
    let y = w.y;
    w.page().text(
        LEFT,
        y,
        16.0,
        Font::Bold,
        &format!("Bon de préparation {}", order.number),
    );
    let y = w.down(16.0);
    w.page().text(
        LEFT,
        y,
        9.0,
        Font::Regular,
        &format!("Commande du {} — {}", date(order.placed_at), order.shipping_name),
    );
    let _ = w.down(8.0);
    for line in buyer(order, address) {
        let y = w.down(12.0);
        w.page().text(LEFT, y, 10.0, Font::Regular, &line);
    }
    let y = w.down(24.0);
    w.page().text(LEFT, y, 9.0, Font::Bold, "SKU");
    w.page().text(mm(60.0), y, 9.0, Font::Bold, "Article");
    w.page().text_right(RIGHT - 40.0, y, 9.0, Font::Bold, "Qté");
    w.page().text_right(RIGHT, y, 9.0, Font::Bold, "Prêt");
    w.page().rule(LEFT, y - 4.0, RIGHT, y - 4.0);
    for line in lines {
        let y = w.down(16.0);
        w.page().text(LEFT, y, 9.0, Font::Regular, &line.sku);
        let name: String = line.product_name.chars().take(55).collect();
        w.page().text(mm(60.0), y, 9.0, Font::Regular, &name);
        w.page()
            .text_right(RIGHT - 40.0, y, 9.0, Font::Bold, &line.quantity.to_string());
        w.page().rule(RIGHT - 10.0, y - 2.0, RIGHT, y - 2.0);
    }
    let units: i64 = lines.iter().map(|l| i64::from(l.quantity)).sum();
    let y = w.down(24.0);
    w.page()
        .text(LEFT, y, 9.0, Font::Regular, &format!("{units} article(s) à préparer."));
    pdf::render(&format!("Bon de préparation {}", order.number), &w.pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_written_the_french_way() {
        assert_eq!(euros(123_450), "1\u{202f}234,50\u{a0}€");
        assert_eq!(euros(5), "0,05\u{a0}€");
        assert_eq!(euros(-100_000_000), "-1\u{202f}000\u{202f}000,00\u{a0}€");
        assert_eq!(euros(0), "0,00\u{a0}€");
        assert_eq!(Euros(-123_450).to_string(), "-1\u{202f}234,50\u{a0}€");
        assert_eq!(euros(99_990), "999,90\u{a0}€");
        assert_eq!(euros(100_000), "1\u{202f}000,00\u{a0}€");
        assert_eq!(
            euros(i64::MIN),
            "-92\u{202f}233\u{202f}720\u{202f}368\u{202f}547\u{202f}758,08\u{a0}€"
        );
        assert_eq!(percent(2000), "20 %");
        assert_eq!(percent(550), "5,5 %");
        assert_eq!(percent(210), "2,1 %");
    }

    #[test]
    fn dates_are_those_of_paris_summer_and_winter() {
        use time::macros::datetime;
        assert_eq!(date(datetime!(2026-12-31 23:30 UTC)), "01/01/2027");
        assert_eq!(date(datetime!(2026-07-14 22:30 UTC)), "15/07/2026");
        assert_eq!(date(datetime!(2026-07-14 21:30 UTC)), "14/07/2026");
        // Summer time ends on 25 October 2026 at 01:00 UTC.
        assert_eq!(date(datetime!(2026-10-25 22:30 UTC)), "25/10/2026");
        assert_eq!(date(datetime!(2026-03-29 22:30 UTC)), "30/03/2026");
    }
}
