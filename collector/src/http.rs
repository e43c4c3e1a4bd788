//! HTTP routes: the collector endpoints, Micro's `/micro/*` API, the live view and static files.
//! Everything goes through one dispatcher so route precedence is explicit and CORS is uniform.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt as _;
use serde::Serialize;
use serde_json::{Value, json};

use crate::config::Config;
use crate::faults::{FaultSpec, Faults};
use crate::iglu::{Registry, SchemaKey};
use crate::ingest::{Collected, process};
use crate::model::{Api, Context, Source};
use crate::output::{Printer, Sinks, summary_line};
use crate::store::{BadFilters, GoodFilters, Store, Stored};
use crate::time::{http_date, iso8601, now_ms};
use crate::{static_files, ui};

/// Shared state of the running collector.
#[derive(Debug)]
pub struct AppState {
    /// Iglu schemas.
    pub registry: Registry,
    /// Recent events.
    pub store: Mutex<Store>,
    /// Command-line configuration.
    pub config: Config,
    /// NDJSON outputs.
    pub sinks: Sinks,
    /// Per-event stdout lines.
    pub printer: Printer,
    /// Fault injection (`/snowtrack/faults`), a test aid.
    pub faults: Faults,
}

impl AppState {
    fn store(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave the ring inconsistent in a harmful way.
        self.store.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Stores, writes and prints the events of one request.
    pub fn record(&self, events: Vec<Stored>) {
        if let Err(e) = self.sinks.write(&events) {
            eprintln!("snowtrack-collector: writing NDJSON output failed: {e}");
        }
        for e in &events {
            self.printer.print(summary_line(e));
        }
        let mut store = self.store();
        for e in events {
            store.push(e);
        }
    }
}

/// The collector's 1×1 transparent GIF.
pub const PIXEL: [u8; 43] = [
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff,
    0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
    0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

const SUPPORTED: &str =
    "Supported endpoints: /micro/all, /micro/good, /micro/bad, /micro/reset, /micro/iglu, /micro/ui";
const TP2_PATH: &str = "/com.snowplowanalytics.snowplow/tp2";
const ANONYMOUS_NUID: &str = "00000000-0000-0000-0000-000000000000";

/// The single request handler: routes, then adds CORS headers to every answer.
pub async fn dispatch(
    State(app): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    let origin = req.headers().get(header::ORIGIN).cloned();
    let mut resp = route(&app, peer, req).await;
    let h = resp.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.unwrap_or(HeaderValue::from_static("*")));
    h.insert(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, HeaderValue::from_static("true"));
    h.append(header::VARY, HeaderValue::from_static("Origin"));
    resp
}

fn text(status: StatusCode, body: impl Into<String>) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body.into()).into_response()
}

fn json_response<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
        Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, format!("serialization failed: {e}")),
    }
}

fn is_collector_path(app: &AppState, path: &str) -> bool {
    path == "/i" || path == "/ice.png" || path == TP2_PATH || app.config.post_paths.iter().any(|p| p == path)
}

/// `/{vendor}/{version}` where the vendor looks like a reverse-DNS name and the version has no dot.
fn vendor_version(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix('/')?;
    let (vendor, version) = rest.split_once('/')?;
    let ok = vendor.contains('.') && !version.is_empty() && !version.contains(['/', '.']);
    ok.then_some((vendor, version))
}

async fn route(app: &Arc<AppState>, peer: SocketAddr, req: Request) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or_default().to_owned();

    if method == Method::OPTIONS {
        return preflight();
    }
    if path == "/micro" || path.starts_with("/micro/") {
        return micro(app, &method, &path, &query, req).await;
    }
    if path.starts_with("/snowtrack/") {
        return snowtrack(app, &method, &path, req).await;
    }
    if path == "/health" && (method == Method::GET || method == Method::HEAD) {
        return text(StatusCode::OK, "ok");
    }
    let is_get = method == Method::GET || method == Method::HEAD;
    if method == Method::POST {
        if path == TP2_PATH || app.config.post_paths.contains(&path) {
            return collect(app, peer, Api::tp2(), req, true).await;
        }
        if let Some((vendor, version)) = vendor_version(&path) {
            let api = Api { vendor: vendor.to_owned(), version: version.to_owned() };
            return collect(app, peer, api, req, true).await;
        }
    } else if is_get {
        if path == "/i" || path == "/ice.png" {
            return collect(app, peer, Api::tp1(), req, false).await;
        }
        if let Some(resp) = serve_static(app, &path, method == Method::HEAD).await {
            return resp;
        }
        if path == TP2_PATH {
            return collect(app, peer, Api::tp2(), req, false).await;
        }
        if let Some((vendor, version)) = vendor_version(&path) {
            let api = Api { vendor: vendor.to_owned(), version: version.to_owned() };
            return collect(app, peer, api, req, false).await;
        }
    } else if is_collector_path(app, &path) {
        let mut resp = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
        resp.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD, POST, OPTIONS"));
        return resp;
    }
    text(StatusCode::NOT_FOUND, "not found")
}

fn preflight() -> Response {
    let mut resp = StatusCode::OK.into_response();
    let h = resp.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("Content-Type, SP-Anonymous"));
    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST, DELETE, OPTIONS"));
    h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("3600"));
    resp
}

/// Reads the body, up to `limit` bytes. Larger bodies are drained (up to a cap, so the client can
/// read the answer) and reported as `Err(413 response)`.
async fn read_body(body: Body, limit: usize) -> Result<Bytes, Response> {
    let too_large =
        || text(StatusCode::PAYLOAD_TOO_LARGE, format!("request body is larger than {limit} bytes"));
    let mut body = body;
    let mut buf: Vec<u8> = Vec::new();
    let mut seen: usize = 0;
    let drain_cap = limit.saturating_mul(16).max(16 << 20);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| text(StatusCode::BAD_REQUEST, format!("could not read body: {e}")))?;
        if let Ok(data) = frame.into_data() {
            seen = seen.saturating_add(data.len());
            if seen > limit {
                buf = Vec::new();
                if seen > drain_cap {
                    return Err(too_large());
                }
            } else {
                buf.extend_from_slice(&data);
            }
        }
    }
    if seen > limit { Err(too_large()) } else { Ok(Bytes::from(buf)) }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, v)| *k == name && !v.is_empty())
        .map(|(_, v)| v.to_owned())
}

async fn collect(app: &Arc<AppState>, peer: SocketAddr, api: Api, req: Request, is_post: bool) -> Response {
    let (parts, body) = req.into_parts();
    let action = app.faults.on_request(Instant::now(), parts.method.as_str(), parts.uri.path());
    if let Some(delay) = action.delay {
        tokio::time::sleep(delay).await;
    }
    if let Some((status, retry_after)) = action.refuse {
        return refuse(app, body, status, retry_after).await;
    }
    let headers = parts.headers;
    let query = parts.uri.query().unwrap_or_default().to_owned();
    let head = parts.method == Method::HEAD;
    let limit = app.config.max_body;
    if header_str(&headers, &header::CONTENT_LENGTH)
        .and_then(|l| l.parse::<u64>().ok())
        .is_some_and(|l| l > 16 << 20)
    {
        return text(StatusCode::PAYLOAD_TOO_LARGE, format!("request body is larger than {limit} bytes"));
    }
    let body = if is_post {
        match read_body(body, limit).await {
            Ok(b) => Some(b.to_vec()),
            Err(resp) => return resp,
        }
    } else {
        None
    };

    let anonymous = headers.contains_key("sp-anonymous");
    let received_ms = now_ms();
    let nuid_param =
        crate::adapter::parse_query(&query).into_iter().find(|(k, _)| k == "nuid").map(|(_, v)| v);
    let nuid = if anonymous {
        ANONYMOUS_NUID.to_owned()
    } else {
        nuid_param
            .filter(|v| !v.is_empty())
            .or_else(|| cookie_value(&headers, &app.config.cookie_name))
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
    };
    let ip = if anonymous {
        None
    } else {
        header_str(&headers, &HeaderName::from_static("x-forwarded-for"))
            .and_then(|v| v.split(',').next())
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .or_else(|| Some(peer.ip().to_string()))
    };
    let content_type = header_str(&headers, &header::CONTENT_TYPE).map(str::to_ascii_lowercase);
    let mut header_lines: Vec<String> = headers
        .iter()
        .filter(|(name, _)| {
            !(anonymous && matches!(name.as_str(), "cookie" | "x-forwarded-for" | "x-real-ip"))
                && *name != header::CONTENT_TYPE
        })
        .map(|(name, value)| {
            format!("{}: {}", canonical(name.as_str()), String::from_utf8_lossy(value.as_bytes()))
        })
        .collect();
    if let Some(ct) = &content_type {
        header_lines.push(ct.clone());
    }
    let collected = Collected {
        api,
        query,
        content_type,
        body,
        source: Source {
            name: crate::enrich::VERSION_TAG.to_owned(),
            encoding: "UTF-8".to_owned(),
            hostname: header_str(&headers, &header::HOST).map(|h| strip_port(h).to_owned()),
        },
        context: Context {
            timestamp: iso8601(received_ms),
            ip_address: ip,
            useragent: header_str(&headers, &header::USER_AGENT).map(str::to_owned),
            referer_uri: header_str(&headers, &header::REFERER).map(str::to_owned),
            headers: header_lines,
            user_id: Some(nuid.clone()),
        },
        received_ms,
    };

    let state = Arc::clone(app);
    let recorded = tokio::task::spawn_blocking(move || {
        let events = process(&state.registry, collected);
        state.record(events);
    })
    .await;
    if let Err(e) = recorded {
        return text(StatusCode::INTERNAL_SERVER_ERROR, format!("processing failed: {e}"));
    }

    let mut resp = if is_post {
        text(StatusCode::OK, "ok")
    } else {
        let body = if head { Vec::new() } else { PIXEL.to_vec() };
        (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "image/gif"),
                (header::CACHE_CONTROL, "no-cache, no-store, must-revalidate"),
            ],
            body,
        )
            .into_response()
    };
    if !anonymous {
        if let Ok(v) = HeaderValue::from_str(&set_cookie(&app.config, &nuid, received_ms)) {
            resp.headers_mut().insert(header::SET_COOKIE, v);
        }
    }
    resp
}

/// A collector request refused by an injected fault: the body is read (so the client sees the
/// answer, not a reset connection) and thrown away; nothing is recorded.
async fn refuse(app: &AppState, body: Body, status: u16, retry_after: Option<String>) -> Response {
    let _ = read_body(body, app.config.max_body).await;
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let mut resp = text(status, format!("snowtrack-collector: injected fault ({})", status.as_u16()));
    let h = resp.headers_mut();
    if let Some(value) = retry_after.and_then(|v| HeaderValue::from_str(&v).ok()) {
        h.insert(header::RETRY_AFTER, value);
        h.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("Retry-After"));
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn set_cookie(config: &Config, value: &str, now: i64) -> String {
    const YEAR_SECS: i64 = 365 * 24 * 3600;
    let attrs = if config.cookie_insecure { "SameSite=Lax" } else { "SameSite=None; Secure" };
    format!(
        "{}={value}; Expires={}; Max-Age={YEAR_SECS}; Path=/; {attrs}; HttpOnly",
        config.cookie_name,
        http_date(now + YEAR_SECS * 1000)
    )
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.split_once(']').map_or(host, |(h, _)| h.trim_start_matches('['));
    }
    host.rsplit_once(':').map_or(host, |(h, _)| h)
}

/// `content-type` → `Content-Type`.
fn canonical(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("-")
}

async fn serve_static(app: &AppState, path: &str, head: bool) -> Option<Response> {
    let root = app.config.static_dir.as_ref()?;
    let file = static_files::resolve(root, path)?;
    let bytes = tokio::fs::read(&file).await.ok()?;
    let body = if head { Vec::new() } else { bytes };
    Some(
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, static_files::content_type(&file)), (header::CACHE_CONTROL, "no-cache")],
            body,
        )
            .into_response(),
    )
}

/// Parses an optional JSON filter body (empty = no filters).
fn filters<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| format!("invalid filters: {e}"))
}

async fn micro(app: &Arc<AppState>, method: &Method, path: &str, query: &str, req: Request) -> Response {
    let is_get = *method == Method::GET || *method == Method::HEAD;
    let is_post = *method == Method::POST;
    let body = if is_post {
        match read_body(req.into_body(), app.config.max_body).await {
            Ok(b) => b,
            Err(resp) => return resp,
        }
    } else {
        Bytes::new()
    };
    match path {
        "/micro/all" if is_get || is_post => json_response(StatusCode::OK, &app.store().summary()),
        "/micro/good" if is_get || is_post => {
            let f: GoodFilters = match filters(&body) {
                Ok(f) => f,
                Err(e) => return text(StatusCode::BAD_REQUEST, e),
            };
            let events = app.store().good(&f);
            json_response(StatusCode::OK, &events)
        }
        "/micro/bad" if is_get || is_post => {
            let f: BadFilters = match filters(&body) {
                Ok(f) => f,
                Err(e) => return text(StatusCode::BAD_REQUEST, e),
            };
            let events = app.store().bad(&f);
            json_response(StatusCode::OK, &events)
        }
        "/micro/reset" if is_get || is_post => {
            app.store().reset();
            app.faults.reset_counters();
            text(StatusCode::OK, "Reset completed")
        }
        "/micro/ui" | "/micro/ui/" | "/micro/ui/index.html" if is_get => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")],
            ui::PAGE,
        )
            .into_response(),
        "/micro/ui/rows" if is_get => json_response(StatusCode::OK, &ui::rows(&app.store(), query)),
        p if is_get && p.starts_with("/micro/iglu/") => iglu(app, p.trim_start_matches("/micro/iglu/")),
        _ => text(StatusCode::NOT_FOUND, SUPPORTED),
    }
}

/// The snowtrack-only test API: `/snowtrack/faults` (fault injection) and `/snowtrack/eids`.
async fn snowtrack(app: &AppState, method: &Method, path: &str, req: Request) -> Response {
    let is_get = *method == Method::GET || *method == Method::HEAD;
    match path {
        "/snowtrack/faults" if is_get => json_response(StatusCode::OK, &app.faults.report(Instant::now())),
        "/snowtrack/faults" if *method == Method::POST => {
            let body = match read_body(req.into_body(), app.config.max_body).await {
                Ok(b) => b,
                Err(resp) => return resp,
            };
            let spec: FaultSpec = match serde_json::from_slice(&body) {
                Ok(spec) => spec,
                Err(e) => return text(StatusCode::BAD_REQUEST, format!("invalid fault: {e}")),
            };
            let now = Instant::now();
            match app.faults.set(spec, now) {
                Ok(()) => json_response(StatusCode::OK, &app.faults.report(now)),
                Err(e) => text(StatusCode::BAD_REQUEST, format!("invalid fault: {e}")),
            }
        }
        "/snowtrack/faults" if *method == Method::DELETE => {
            app.faults.clear();
            json_response(StatusCode::OK, &app.faults.report(Instant::now()))
        }
        "/snowtrack/faults" => {
            let mut resp = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
            resp.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD, POST, DELETE, OPTIONS"));
            resp
        }
        "/snowtrack/eids" if is_get => {
            // Copied out, so the ring is not locked while the answer is serialized.
            let ids: Vec<Option<String>> =
                app.store().event_ids().into_iter().map(|id| id.map(str::to_owned)).collect();
            let distinct = ids.iter().flatten().collect::<std::collections::HashSet<_>>().len();
            json_response(StatusCode::OK, &json!({"count": ids.len(), "distinct": distinct, "eids": ids}))
        }
        _ => text(StatusCode::NOT_FOUND, "Supported endpoints: /snowtrack/faults, /snowtrack/eids"),
    }
}

fn iglu(app: &AppState, rest: &str) -> Response {
    let parts: Vec<&str> = rest.split('/').collect();
    let key = match parts.as_slice() {
        [_, _, "jsonschema", _] => SchemaKey::parse(&format!("iglu:{rest}")),
        _ => None,
    };
    let Some(key) = key else {
        return text(
            StatusCode::NOT_FOUND,
            "Schema lookup should be in format iglu/{vendor}/{schemaName}/jsonschema/{model}-{revision}-{addition}",
        );
    };
    match app.registry.schema(&key.to_string()) {
        Some(schema) => json_response(StatusCode::OK, schema),
        None => {
            let now = iso8601(now_ms());
            let value: serde_json::Map<String, Value> = app
                .registry
                .sources()
                .iter()
                .map(|s| {
                    (s.clone(), json!({"errors": [{"error": "NotFound"}], "attempts": 1, "lastAttempt": now}))
                })
                .collect();
            json_response(StatusCode::NOT_FOUND, &json!({"value": value}))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(vendor_version("/com.acme/track"), Some(("com.acme", "track")));
        assert_eq!(vendor_version("/pkg/snowtrack.js"), None);
        assert_eq!(vendor_version("/a/b/c"), None);
        assert_eq!(canonical("content-type"), "Content-Type");
        assert_eq!(strip_port("localhost:9090"), "localhost");
        assert_eq!(strip_port("[::1]:9090"), "::1");
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; sp=abc; b=2"));
        assert_eq!(cookie_value(&h, "sp").as_deref(), Some("abc"));
        assert_eq!(cookie_value(&h, "zz"), None);
        let c = set_cookie(&Config::defaults(), "id", 0);
        assert!(c.starts_with("sp=id; Expires=Fri, 01 Jan 1971"), "{c}");
        assert!(c.contains("SameSite=None; Secure; HttpOnly"));
    }
}
