//! Serving files from a directory (`--static`) with tower-http's [`ServeDir`]: which URL paths
//! may be served, and the content types the collector answers with.

use std::path::Path;

use axum::body::Body;
use axum::http::header::{self, HeaderValue};
use axum::http::request::Parts;
use axum::http::{Request, StatusCode};
use axum::response::Response;
use percent_encoding::percent_decode_str;
use tower::ServiceExt as _;
use tower_http::services::ServeDir;

/// Content type for a file extension (lower case) the collector knows better than a MIME guess:
/// text types with `charset=utf-8`, `.wasm` as `application/wasm` (what
/// `WebAssembly.instantiateStreaming` insists on), `.ts` sources as text.
pub fn known_content_type(ext: &str) -> Option<&'static str> {
    Some(match ext {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "wasm" => "application/wasm",
        "svg" => "image/svg+xml",
        "txt" | "md" | "ts" => "text/plain; charset=utf-8",
        _ => return None,
    })
}

/// The percent-decoded URL path, when it may be served: no `..` or hidden (`.`-prefixed)
/// segment, no backslash or NUL, valid UTF-8.
pub fn servable(url_path: &str) -> Option<String> {
    let decoded = percent_decode_str(url_path).decode_utf8().ok()?;
    let hidden = |seg: &str| seg.starts_with('.') && seg != ".";
    let ok = !decoded.split('/').any(|seg| hidden(seg) || seg.contains(['\\', '\0']));
    ok.then(|| decoded.into_owned())
}

/// The content type to answer with: the known one for the URL's extension, else ServeDir's
/// guess (`text/html` — a directory's `index.html` — gets `charset=utf-8`).
fn content_type(decoded_path: &str, guessed: Option<&HeaderValue>) -> Option<HeaderValue> {
    let last = decoded_path.rsplit('/').next().unwrap_or_default();
    let ext = Path::new(last).extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    if let Some(known) = ext.as_deref().and_then(known_content_type) {
        return Some(HeaderValue::from_static(known));
    }
    match guessed {
        Some(g) if g.as_bytes().eq_ignore_ascii_case(b"text/html") => {
            Some(HeaderValue::from_static("text/html; charset=utf-8"))
        }
        other => other.cloned(),
    }
}

/// Serves `GET`/`HEAD` `parts` from `root`; `None` when there is no such file (or it may not be
/// served), so the caller's next route can answer. Directories serve their `index.html` (no
/// redirect to a trailing slash); answers carry `Cache-Control: no-cache`; ranges and conditional
/// requests are honoured.
pub async fn serve(root: &Path, parts: &Parts) -> Option<Response> {
    let decoded = servable(parts.uri.path())?;
    let probe = Request::from_parts(parts.clone(), Body::empty());
    let Ok(resp) = ServeDir::new(root).redirect_to_trailing_slash(false).oneshot(probe).await;
    if resp.status() == StatusCode::NOT_FOUND {
        return None;
    }
    let mut resp = resp.map(Body::new);
    let headers = resp.headers_mut();
    if let Some(ct) = content_type(&decoded, headers.get(header::CONTENT_TYPE)) {
        headers.insert(header::CONTENT_TYPE, ct);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Some(resp)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn servable_paths() {
        assert_eq!(servable("/pkg/a%20b.wasm").as_deref(), Some("/pkg/a b.wasm"));
        assert_eq!(servable("/").as_deref(), Some("/"));
        assert_eq!(servable("/./x").as_deref(), Some("/./x"));
        assert_eq!(servable("/../etc/passwd"), None);
        assert_eq!(servable("/pkg/%2e%2e/%2e%2e/x"), None);
        assert_eq!(servable("/.git/config"), None);
        assert_eq!(servable("/a%5cb"), None);
        assert_eq!(servable("/a%00b"), None);
        assert_eq!(servable("/%ff"), None);
    }

    #[test]
    fn content_types() {
        let html = HeaderValue::from_static("text/html");
        assert_eq!(content_type("/", Some(&html)).unwrap(), "text/html; charset=utf-8");
        assert_eq!(content_type("/a.MJS", None).unwrap(), "text/javascript; charset=utf-8");
        assert_eq!(content_type("/pkg/x.wasm", None).unwrap(), "application/wasm");
        let png = HeaderValue::from_static("image/png");
        assert_eq!(content_type("/logo.png", Some(&png)).unwrap(), "image/png");
        assert_eq!(content_type("/blob", None), None);
    }
}
