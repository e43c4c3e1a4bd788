//! The CORS policy against the real binary: the collection endpoints reflect any origin with
//! credentials (trackers run on any site); the inspection API (`/micro/*`, `/snowtrack/*`)
//! answers loopback origins and `--allow-origin` ones only; and a collector listening beyond
//! loopback says so on stderr.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::*;

const EVIL: &str = "http://evil.example";
const LOOPBACK: [&str; 6] = [
    "http://127.0.0.1:5555",
    "http://localhost:3000",
    "http://[::1]:8080",
    "http://127.0.0.1",
    "http://localhost",
    "http://[::1]",
];

/// `(Access-Control-Allow-Origin, Access-Control-Allow-Credentials)` of a GET.
fn get_cors(c: &Collector, path: &str, origin: &str) -> (Option<String>, Option<String>) {
    let resp = c.agent.get(&c.url(path)).header("Origin", origin).call().unwrap();
    assert_eq!(resp.status(), 200, "{path}");
    cors_headers(resp.headers())
}

fn cors_headers(h: &ureq::http::HeaderMap) -> (Option<String>, Option<String>) {
    let get = |name: &str| h.get(name).map(|v| v.to_str().unwrap().to_owned());
    (get("access-control-allow-origin"), get("access-control-allow-credentials"))
}

/// A preflight for `method` on `path` from `origin`: (status, allow-origin, allow-credentials,
/// allow-methods).
fn preflight(
    c: &Collector,
    path: &str,
    origin: &str,
    method: &str,
) -> (u16, Option<String>, Option<String>, String) {
    let req = ureq::http::Request::builder()
        .method("OPTIONS")
        .uri(c.url(path))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", method)
        .header("Access-Control-Request-Headers", "content-type")
        .body(())
        .unwrap();
    let resp = c.agent.run(req).unwrap();
    let (allow_origin, credentials) = cors_headers(resp.headers());
    let methods = resp.headers()["access-control-allow-methods"].to_str().unwrap().to_owned();
    (resp.status().as_u16(), allow_origin, credentials, methods)
}

fn reflected(origin: &str) -> (Option<String>, Option<String>) {
    (Some(origin.to_owned()), Some("true".to_owned()))
}

#[test]
fn the_inspection_api_answers_loopback_origins_only() {
    let c = Collector::start(&[]);
    for path in ["/micro/all", "/micro/good", "/micro/ui", "/snowtrack/faults", "/snowtrack/eids"] {
        assert_eq!(get_cors(&c, path, EVIL), (None, None), "{path}");
        for origin in LOOPBACK {
            assert_eq!(get_cors(&c, path, origin), reflected(origin), "{path} from {origin}");
        }
    }
    // Lookalikes are not loopback.
    for origin in
        ["http://localhost.evil.example", "http://127.0.0.1.evil.example", "null", "https://dev.example"]
    {
        assert_eq!(get_cors(&c, "/micro/all", origin), (None, None), "{origin}");
    }
    // A POST from another site is handled (it is a simple request) but its answer is not readable.
    let resp = c
        .agent
        .post(&c.url("/micro/good"))
        .header("Origin", EVIL)
        .header("Content-Type", "application/json")
        .send("{}")
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(cors_headers(resp.headers()), (None, None));
}

#[test]
fn allow_origin_adds_origins_to_the_inspection_api() {
    let c = Collector::start(&[
        "--allow-origin",
        "https://dev.example",
        "--allow-origin",
        "http://b.example:8080/",
    ]);
    assert_eq!(get_cors(&c, "/micro/all", "https://dev.example"), reflected("https://dev.example"));
    assert_eq!(
        get_cors(&c, "/snowtrack/faults", "http://b.example:8080"),
        reflected("http://b.example:8080")
    );
    assert_eq!(get_cors(&c, "/micro/all", "http://127.0.0.1:5555"), reflected("http://127.0.0.1:5555"));
    assert_eq!(get_cors(&c, "/micro/all", "http://dev.example"), (None, None), "another scheme");
    assert_eq!(get_cors(&c, "/micro/all", "https://dev.example:8443"), (None, None), "another port");
    assert_eq!(get_cors(&c, "/micro/all", EVIL), (None, None));
    let (status, allow, credentials, _) = preflight(&c, "/snowtrack/faults", "https://dev.example", "DELETE");
    assert_eq!((status, allow, credentials), (200, Some("https://dev.example".into()), Some("true".into())));
}

#[test]
fn an_invalid_allow_origin_is_refused_at_startup() {
    let out = Command::new(env!("CARGO_BIN_EXE_snowtrack-collector"))
        .args(["--port", "0", "--allow-origin", "dev.example"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--allow-origin"), "{out:?}");
}

#[test]
fn collection_endpoints_reflect_any_origin_with_credentials() {
    let c = Collector::start(&["--post-path", "/com.acme/track"]);
    let body = envelope(&[page_view(1)]).to_string();
    for path in [TP2, "/com.acme/track"] {
        let resp = c
            .agent
            .post(&c.url(path))
            .header("Content-Type", JSON_UTF8)
            .header("Origin", EVIL)
            .send(&body)
            .unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        assert_eq!(cors_headers(resp.headers()), reflected(EVIL), "{path}");
    }
    let resp = c
        .agent
        .get(&c.url(&format!("/i?{}", to_query(&page_view(2)))))
        .header("Origin", EVIL)
        .call()
        .unwrap();
    assert_eq!(cors_headers(resp.headers()), reflected(EVIL));
    let resp = c.agent.post(&c.url("/com.other/v1")).header("Origin", EVIL).send("{}").unwrap();
    assert_eq!(cors_headers(resp.headers()), reflected(EVIL));
    assert_eq!(c.all()["good"], 3, "{:?}", c.bad());
}

#[test]
fn preflights_follow_the_same_split() {
    let c = Collector::start(&[]);
    for path in [TP2, "/i", "/com.acme/track", "/anything"] {
        let (status, allow, credentials, methods) = preflight(&c, path, EVIL, "POST");
        assert_eq!((status, allow, credentials), (200, Some(EVIL.into()), Some("true".into())), "{path}");
        assert!(methods.contains("POST"), "{path}: {methods}");
    }
    for path in ["/micro/all", "/micro/good", "/snowtrack/faults"] {
        let (status, allow, credentials, _) = preflight(&c, path, EVIL, "POST");
        assert_eq!((status, allow, credentials), (200, None, None), "{path}");
        for origin in LOOPBACK {
            let (status, allow, credentials, methods) = preflight(&c, path, origin, "DELETE");
            assert_eq!(
                (status, allow, credentials),
                (200, Some(origin.into()), Some("true".into())),
                "{path}"
            );
            assert!(methods.contains("DELETE"), "{path}: {methods}");
        }
    }
}

#[test]
fn collection_preflights_allow_a_tracker_s_custom_headers() {
    let c = Collector::start(&[]);
    let req = ureq::http::Request::builder()
        .method("OPTIONS")
        .uri(c.url(TP2))
        .header("Origin", EVIL)
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type,x-app-version")
        .body(())
        .unwrap();
    let resp = c.agent.run(req).unwrap();
    let allowed = resp.headers()["access-control-allow-headers"].to_str().unwrap().to_ascii_lowercase();
    assert!(allowed.contains("x-app-version") && allowed.contains("content-type"), "{allowed}");
}

/// Starts the binary with `args`, returns its stderr lines up to the "live view" one.
fn startup_stderr(args: &[&str]) -> Vec<String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_snowtrack-collector"))
        .args(["--port", "0", "--quiet"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let last = line.contains("live view at");
            if tx.send(line).is_err() || last {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(10)) {
        let last = line.contains("live view at");
        lines.push(line);
        if last {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    lines
}

#[test]
fn a_bind_beyond_loopback_is_warned_about() {
    let lines = startup_stderr(&["--bind", "0.0.0.0"]);
    assert!(lines.last().is_some_and(|l| l.contains("live view at http://0.0.0.0:")), "{lines:?}");
    let warning = lines.iter().find(|l| l.contains("WARNING")).unwrap_or_else(|| panic!("{lines:?}"));
    assert!(warning.contains("0.0.0.0") && warning.contains("/micro/*, /snowtrack/*"), "{warning}");
    let lines = startup_stderr(&["--bind", "127.0.0.1"]);
    assert!(lines.last().is_some_and(|l| l.contains("live view at")), "{lines:?}");
    assert!(!lines.iter().any(|l| l.contains("WARNING")), "{lines:?}");
}
