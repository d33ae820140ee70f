//! The pages' static files (stylesheet, icons, htmx, Chart.js), embedded in
//! the binary and served under names that carry a hash of their content
//! (`shop.3f2a9c1e.css`), so browsers may keep them for a year: a new
//! version has a new name.

use std::sync::LazyLock;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::extract::Path;

/// A file as shipped: its logical name, its content type and its bytes.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const FILES: [Asset; 6] = [
    Asset {
        name: "shop.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/shop/shop.js"),
    },
    Asset {
        name: "stripe.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/shop/stripe.js"),
    },
    Asset {
        name: "shop.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../assets/shop/shop.css"),
    },
    Asset {
        name: "icons.svg",
        content_type: "image/svg+xml",
        bytes: include_bytes!("../../assets/shop/icons.svg"),
    },
    Asset {
        name: "htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/vendor/htmx/htmx.min.js"),
    },
    Asset {
        name: "chart.umd.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/vendor/chartjs/chart.umd.min.js"),
    },
];

/// Each file's public path, `/assets/{stem}.{hash}.{ext}`, by index in [`FILES`].
static PATHS: LazyLock<Vec<String>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|asset| {
            let hash = xxhash_rust::xxh3::xxh3_64(asset.bytes);
            let (stem, ext) = asset.name.split_once('.').unwrap_or((asset.name, ""));
            format!("/assets/{stem}.{:08x}.{ext}", hash >> 32)
        })
        .collect()
});

/// The public path of a file by its logical name (`shop.css`); the layout
/// links to these.
pub fn path(name: &str) -> &'static str {
    FILES
        .iter()
        .position(|asset| asset.name == name)
        .and_then(|i| PATHS.get(i))
        .map_or("/assets/missing", String::as_str)
}

/// `GET /assets/{file}`: a file by its hashed name, cached for a year.
/// An old or unknown name answers 404 rather than another version.
pub async fn serve(Path(file): Path<String>) -> Response {
    let wanted = format!("/assets/{file}");
    let Some(i) = PATHS.iter().position(|p| *p == wanted) else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CACHE_CONTROL, "no-store")],
            "not found",
        )
            .into_response();
    };
    let asset = &FILES[i];
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        asset.bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_has_a_distinct_hashed_path() {
        let css = path("shop.css");
        assert!(css.starts_with("/assets/shop.") && css.ends_with(".css"), "{css}");
        assert_eq!(css.len(), "/assets/shop.".len() + 8 + ".css".len());
        let mut all: Vec<&str> = FILES.iter().map(|a| path(a.name)).collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), FILES.len());
        assert_eq!(path("nope.js"), "/assets/missing");
    }
}
