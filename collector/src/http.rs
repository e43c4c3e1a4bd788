//! HTTP routes: the collector endpoints, Micro's `/micro/*` API, the live views, the snowtrack
//! test API and static files, as one axum [`Router`] (see [`router`] for the precedence).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, RawQuery, Request, State};
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use serde::Serialize;
use serde_json::{Value, json};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::config::Config;
use crate::faults::{FaultSpec, Faults};
use crate::iglu::{Registry, SchemaKey};
use crate::ingest::{Collected, process};
use crate::model::{Api, Context, Source};
use crate::output::{Printer, Sinks, summary_line};
use crate::store::{BadFilters, GoodFilters, Store, Stored};
use crate::time::{http_date, iso8601, now_ms};
use crate::{cors, static_files, ui, unified};

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
    /// Requests to `/snowtrack/cookie-extension`, a stand-in for Snowplow's cookie extension
    /// service (the `cookieExtensionService` tracker option), a test aid.
    pub cookie_extension_calls: std::sync::atomic::AtomicU64,
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

const SUPPORTED: &str = "Supported endpoints: /micro/all, /micro/good, /micro/bad, /micro/reset, /micro/iglu, /micro/ui, /micro/ui/sessions, /micro/model/sessions, /micro/model/views, /micro/model/users";
const TP2_PATH: &str = "/com.snowplowanalytics.snowplow/tp2";
const ANONYMOUS_NUID: &str = "00000000-0000-0000-0000-000000000000";

/// The collector's routes as an axum [`Router`], with tower-http's CORS layers (see
/// [`crate::cors`]) and axum's [`DefaultBodyLimit`] (`--max-body`).
///
/// Precedence, as Snowplow Micro answers: `/micro/*` (Micro's API and the live views) and
/// `/snowtrack/*` (the test API) first, with the inspection CORS policy; then `/health`, `GET /i`
/// and `/ice.png` pixels, tp2 and `/{vendor}/{version}` (a `GET` there is a pixel unless a
/// `--static` file has that path), `POST` to `--post-path` paths, `--static` files, and `404`,
/// with the collection CORS policy. `OPTIONS` on any path is a preflight.
pub fn router(app: Arc<AppState>) -> Router {
    let max_body = app.config.max_body;
    let inspection = Router::new()
        .route("/micro/all", get(micro_all).post(micro_all).fallback(micro_not_found))
        .route("/micro/good", get(micro_good).post(micro_good_filtered).fallback(micro_not_found))
        .route("/micro/bad", get(micro_bad).post(micro_bad_filtered).fallback(micro_not_found))
        .route("/micro/reset", get(micro_reset).post(micro_reset).fallback(micro_not_found))
        .route("/micro/ui", get(ui_page).fallback(micro_not_found))
        .route("/micro/ui/", get(ui_page).fallback(micro_not_found))
        .route("/micro/ui/index.html", get(ui_page).fallback(micro_not_found))
        .route("/micro/ui/rows", get(ui_rows).fallback(micro_not_found))
        .route("/micro/ui/sessions", get(ui_sessions).fallback(micro_not_found))
        .route("/micro/model/sessions", get(model_sessions).fallback(micro_not_found))
        .route("/micro/model/views", get(model_views).fallback(micro_not_found))
        .route("/micro/model/users", get(model_users).fallback(micro_not_found))
        .route("/micro/iglu/", get(iglu).fallback(micro_not_found))
        .route("/micro/iglu/{*key}", get(iglu).fallback(micro_not_found))
        .route("/micro", any(micro_not_found))
        .route("/micro/", any(micro_not_found))
        .route("/micro/{*rest}", any(micro_not_found))
        .route(
            "/snowtrack/faults",
            get(faults_report).post(faults_set).delete(faults_clear).fallback(faults_method_not_allowed),
        )
        .route("/snowtrack/eids", get(eids).fallback(snowtrack_not_found))
        .route("/snowtrack/cookie-extension", get(cookie_extension).fallback(snowtrack_not_found))
        .route("/snowtrack/cookie-extension/calls", get(cookie_extension_calls).fallback(snowtrack_not_found))
        .route("/snowtrack/", any(snowtrack_not_found))
        .route("/snowtrack/{*rest}", any(snowtrack_not_found))
        .layer(cors::inspection_layer(&app.config.allow_origins));
    let collection = Router::new()
        .route("/health", get(health).fallback(rest))
        .route("/i", get(pixel_tp1).fallback(rest))
        .route("/ice.png", get(pixel_tp1).fallback(rest))
        .route(TP2_PATH, post(post_tp2).get(get_tp2).fallback(rest))
        .route("/{vendor}/{version}", post(post_two_segments).get(get_two_segments).fallback(rest))
        .fallback(rest)
        .layer(cors::collection_layer())
        // Like Snowplow's collector: `*` for requests without an `Origin`.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        ));
    inspection.merge(collection).layer(DefaultBodyLimit::max(max_body)).with_state(app)
}

type App = State<Arc<AppState>>;
type Peer = ConnectInfo<SocketAddr>;

fn text(status: StatusCode, body: impl Into<String>) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body.into()).into_response()
}

fn json_response<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
        Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, format!("serialization failed: {e}")),
    }
}

fn not_found() -> Response {
    text(StatusCode::NOT_FOUND, "not found")
}

fn too_large(limit: usize) -> Response {
    text(StatusCode::PAYLOAD_TOO_LARGE, format!("request body is larger than {limit} bytes"))
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

async fn health() -> Response {
    text(StatusCode::OK, "ok")
}

async fn pixel_tp1(State(app): App, ConnectInfo(peer): Peer, req: Request) -> Response {
    collect(&app, peer, Api::tp1(), req, false).await
}

async fn post_tp2(State(app): App, ConnectInfo(peer): Peer, req: Request) -> Response {
    collect(&app, peer, Api::tp2(), req, true).await
}

/// `GET` tp2: a `--static` file of that path wins, else a pixel.
async fn get_tp2(State(app): App, ConnectInfo(peer): Peer, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    if let Some(resp) = serve_static(&app, &parts).await {
        return resp;
    }
    collect(&app, peer, Api::tp2(), Request::from_parts(parts, body), false).await
}

/// `POST /{a}/{b}`: a `--post-path` is tp2, a `/{vendor}/{version}` path goes to that API.
async fn post_two_segments(State(app): App, ConnectInfo(peer): Peer, req: Request) -> Response {
    let path = req.uri().path();
    if app.config.post_paths.iter().any(|p| p == path) {
        return collect(&app, peer, Api::tp2(), req, true).await;
    }
    match vendor_version(path) {
        Some((vendor, version)) => {
            let api = Api { vendor: vendor.to_owned(), version: version.to_owned() };
            collect(&app, peer, api, req, true).await
        }
        None => not_found(),
    }
}

/// `GET /{a}/{b}`: a `--static` file, else a `/{vendor}/{version}` pixel.
async fn get_two_segments(State(app): App, ConnectInfo(peer): Peer, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    if let Some(resp) = serve_static(&app, &parts).await {
        return resp;
    }
    match vendor_version(parts.uri.path()) {
        Some((vendor, version)) => {
            let api = Api { vendor: vendor.to_owned(), version: version.to_owned() };
            collect(&app, peer, api, Request::from_parts(parts, body), false).await
        }
        None => not_found(),
    }
}

/// Everything no route took: `POST` to a `--post-path`, `--static` files, `405` for other methods
/// on collector paths, else `404`.
async fn rest(State(app): App, ConnectInfo(peer): Peer, req: Request) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    if method == Method::POST {
        if app.config.post_paths.contains(&path) {
            return collect(&app, peer, Api::tp2(), req, true).await;
        }
    } else if method == Method::GET || method == Method::HEAD {
        let (parts, _) = req.into_parts();
        return serve_static(&app, &parts).await.unwrap_or_else(not_found);
    } else if is_collector_path(&app, &path) {
        let mut resp = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
        resp.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD, POST, OPTIONS"));
        return resp;
    }
    not_found()
}

async fn serve_static(app: &AppState, parts: &Parts) -> Option<Response> {
    static_files::serve(app.config.static_dir.as_deref()?, parts).await
}

/// Reads a collector request body through http-body-util's [`Limited`]. A body over `limit` is
/// `Err(413)`, after the rest of it has been read and dropped (up to a cap), so that the client
/// reads the answer instead of a reset connection.
async fn read_body(body: Body, limit: usize) -> Result<Bytes, Response> {
    let mut body = body;
    match Limited::new(&mut body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            let mut left = drain_cap(limit);
            while let Some(Ok(frame)) = body.frame().await {
                let Some(data) = frame.data_ref() else { continue };
                match left.checked_sub(data.len()) {
                    Some(l) => left = l,
                    None => break,
                }
            }
            Err(too_large(limit))
        }
        Err(e) => Err(text(StatusCode::BAD_REQUEST, format!("could not read body: {e}"))),
    }
}

/// How much of an oversized body is read before answering `413` anyway.
fn drain_cap(limit: usize) -> usize {
    limit.saturating_mul(16).max(16 << 20)
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
    // A body too large to even drain is refused at once.
    if header_str(&headers, &header::CONTENT_LENGTH)
        .and_then(|l| l.parse::<usize>().ok())
        .is_some_and(|l| l > drain_cap(limit))
    {
        return too_large(limit);
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

/// Parses an optional JSON filter body (empty = no filters).
fn filters<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| format!("invalid filters: {e}"))
}

/// Why a body read by axum's `Bytes` extractor (limited by [`DefaultBodyLimit`]) could not be
/// read: the status and text to answer with.
fn rejected(app: &AppState, e: &BytesRejection) -> (StatusCode, String) {
    match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body is larger than {} bytes", app.config.max_body),
        ),
        status => (status, e.body_text()),
    }
}

/// The filters of a `POST /micro/good|bad` body.
fn body_filters<T: serde::de::DeserializeOwned + Default>(
    app: &AppState,
    body: Result<Bytes, BytesRejection>,
) -> Result<T, (StatusCode, String)> {
    let body = body.map_err(|e| rejected(app, &e))?;
    filters(&body).map_err(|e| (StatusCode::BAD_REQUEST, e))
}

async fn micro_not_found() -> Response {
    text(StatusCode::NOT_FOUND, SUPPORTED)
}

async fn micro_all(State(app): App) -> Response {
    json_response(StatusCode::OK, &app.store().summary())
}

async fn micro_good(State(app): App) -> Response {
    let events = app.store().good(&GoodFilters::default());
    json_response(StatusCode::OK, &events)
}

async fn micro_good_filtered(State(app): App, body: Result<Bytes, BytesRejection>) -> Response {
    let f: GoodFilters = match body_filters(&app, body) {
        Ok(f) => f,
        Err((status, message)) => return text(status, message),
    };
    let events = app.store().good(&f);
    json_response(StatusCode::OK, &events)
}

async fn micro_bad(State(app): App) -> Response {
    let events = app.store().bad(&BadFilters::default());
    json_response(StatusCode::OK, &events)
}

async fn micro_bad_filtered(State(app): App, body: Result<Bytes, BytesRejection>) -> Response {
    let f: BadFilters = match body_filters(&app, body) {
        Ok(f) => f,
        Err((status, message)) => return text(status, message),
    };
    let events = app.store().bad(&f);
    json_response(StatusCode::OK, &events)
}

async fn micro_reset(State(app): App) -> Response {
    app.store().reset();
    app.faults.reset_counters();
    text(StatusCode::OK, "Reset completed")
}

fn html(page: &'static str) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], page)
        .into_response()
}

async fn ui_page() -> Response {
    html(ui::PAGE)
}

async fn ui_rows(State(app): App, RawQuery(query): RawQuery) -> Response {
    json_response(StatusCode::OK, &ui::rows(&app.store(), query.as_deref().unwrap_or_default()))
}

async fn ui_sessions() -> Response {
    html(ui::SESSIONS_PAGE)
}

/// The data model's tables, computed from the good events in the ring (oldest first).
fn model(app: &AppState) -> unified::Tables {
    let mut events = app.store().good(&GoodFilters::default());
    events.reverse();
    unified::compute(&events, &app.config.model_settings())
}

async fn model_sessions(State(app): App) -> Response {
    json_response(StatusCode::OK, &model(&app).sessions)
}

async fn model_views(State(app): App) -> Response {
    json_response(StatusCode::OK, &model(&app).views)
}

async fn model_users(State(app): App) -> Response {
    json_response(StatusCode::OK, &model(&app).users)
}

/// `GET /micro/iglu/{vendor}/{name}/jsonschema/{M-R-A}`: the schema, or Micro's 404 answers.
async fn iglu(State(app): App, uri: Uri) -> Response {
    let rest = uri.path().trim_start_matches("/micro/iglu/");
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

async fn snowtrack_not_found() -> Response {
    text(
        StatusCode::NOT_FOUND,
        "Supported endpoints: /snowtrack/faults, /snowtrack/eids, /snowtrack/cookie-extension[/calls]",
    )
}

/// A stand-in for Snowplow's cookie extension service: answers 200 and counts the call.
async fn cookie_extension(State(app): App) -> Response {
    app.cookie_extension_calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    text(StatusCode::OK, "ok")
}

/// How many calls `/snowtrack/cookie-extension` had: `{"calls": n}`.
async fn cookie_extension_calls(State(app): App) -> Response {
    let calls = app.cookie_extension_calls.load(std::sync::atomic::Ordering::Relaxed);
    json_response(StatusCode::OK, &json!({"calls": calls}))
}

async fn faults_report(State(app): App) -> Response {
    json_response(StatusCode::OK, &app.faults.report(Instant::now()))
}

async fn faults_set(State(app): App, body: Result<Bytes, BytesRejection>) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            let (status, message) = rejected(&app, &e);
            return text(status, message);
        }
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

async fn faults_clear(State(app): App) -> Response {
    app.faults.clear();
    json_response(StatusCode::OK, &app.faults.report(Instant::now()))
}

async fn faults_method_not_allowed() -> Response {
    let mut resp = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
    resp.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD, POST, DELETE, OPTIONS"));
    resp
}

async fn eids(State(app): App) -> Response {
    // Copied out, so the ring is not locked while the answer is serialized.
    let ids: Vec<Option<String>> =
        app.store().event_ids().into_iter().map(|id| id.map(str::to_owned)).collect();
    let distinct = ids.iter().flatten().collect::<std::collections::HashSet<_>>().len();
    json_response(StatusCode::OK, &json!({"count": ids.len(), "distinct": distinct, "eids": ids}))
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
