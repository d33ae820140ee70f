//! Product and category descriptions are Markdown written in the back
//! office; shoppers get HTML that cannot carry a script.
//!
//! Raw HTML in the source is shown as text, and links and images keep only
//! `http`, `https`, `mailto` and site-relative addresses, so neither a
//! `<script>` nor a `javascript:` link survives rendering.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag};

pub fn render(source: &str) -> String {
    let parser =
        Parser::new_ext(source, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH).map(|event| match event {
            Event::Html(html) | Event::InlineHtml(html) => Event::Text(html),
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => Event::Start(Tag::Link {
                link_type,
                dest_url: safe_url(dest_url),
                title,
                id,
            }),
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => Event::Start(Tag::Image {
                link_type,
                dest_url: safe_url(dest_url),
                title,
                id,
            }),
            other => other,
        });
    let mut html = String::with_capacity(source.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, parser);
    html
}

fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let lower = url.trim().to_ascii_lowercase();
    let scheme_end = lower.find([':', '/', '?', '#']);
    let has_scheme = scheme_end.is_some_and(|at| lower[at..].starts_with(':'));
    let allowed =
        !has_scheme || lower.starts_with("http:") || lower.starts_with("https:") || lower.starts_with("mailto:");
    if allowed { url } else { CowStr::Borrowed("#") }
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn markdown_becomes_html() {
        let html = render("**Chêne** français\n\n- 225 L\n- chauffe moyenne");
        assert!(html.contains("<strong>Chêne</strong>"), "{html}");
        assert!(html.contains("<li>225 L</li>"), "{html}");
    }

    #[test]
    fn scripts_and_dangerous_links_do_not_survive() {
        let html = render(
            "<script>alert(1)</script>\n\n[clic](javascript:alert(1)) [ok](https://exemple.fr) <img src=x onerror=alert(1)>",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("href=\"https://exemple.fr\""), "{html}");
        let html = render("[x](JaVaScRiPt:alert(1)) ![i](data:text/html;base64,xx)");
        assert!(!html.to_lowercase().contains("javascript"), "{html}");
        assert!(!html.contains("data:"), "{html}");
    }
}
