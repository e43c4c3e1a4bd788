//! Ingestion benchmark (not a test): starts the release collector on a free local port, posts a
//! bounded number of realistic events (page views with web_page + client_session entities) over
//! several keep-alive connections, in batches of 10 and of 1, and prints events/s.
//!
//! `cargo run --release -p snowtrack-collector --example ingest_bench -- [--events N] [--connections C]`
//! (`COLLECTOR_BIN` overrides the collector binary path).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::{Value, json};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn collector_bin() -> PathBuf {
    if let Ok(p) = std::env::var("COLLECTOR_BIN") {
        return PathBuf::from(p);
    }
    // target/<profile>/examples/ingest_bench → target/<profile>/snowtrack-collector
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(|p| p.parent()).unwrap().join("snowtrack-collector")
}

fn event(i: usize) -> Value {
    let eid = uuid::Uuid::new_v4().to_string();
    let sid = "4d3b4e9c-5b4f-4a2f-9d7e-2c1b0a9f8e7d";
    let duid = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
    let co = json!({"schema": "iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0", "data": [
        {"schema": "iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0", "data": {"id": uuid::Uuid::new_v4().to_string()}},
        {"schema": "iglu:com.snowplowanalytics.snowplow/client_session/jsonschema/1-0-2", "data": {
            "userId": duid, "sessionId": sid, "eventIndex": i + 1, "sessionIndex": 1, "previousSessionId": null,
            "storageMechanism": "COOKIE_1", "firstEventId": eid, "firstEventTimestamp": "2024-05-01T10:00:00.000Z"}}]});
    json!({"e": "pv", "eid": eid, "tv": "rs-0.1.0", "tna": "sp", "aid": "bench", "p": "web",
           "dtm": "1714557600000", "stm": "1714557600100", "tz": "Europe/Berlin", "lang": "en-US", "cs": "UTF-8",
           "res": "1920x1080", "cd": "24", "cookie": "1", "vp": "1280x720", "ds": "1280x3000", "vid": "1",
           "sid": sid, "duid": duid, "url": "http://127.0.0.1:8080/page?x=1", "page": "Bench",
           "co": co.to_string()})
}

fn run(base: &str, total: usize, connections: usize, batch: usize) -> f64 {
    let per_conn = total / connections / batch;
    // Bodies are built up front so only the collector is measured.
    let bodies: Vec<Vec<String>> = (0..connections)
        .map(|_| {
            (0..per_conn)
                .map(|r| {
                    let events: Vec<Value> = (0..batch).map(|i| event(r * batch + i)).collect();
                    json!({"schema": "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4", "data": events})
                        .to_string()
                })
                .collect()
        })
        .collect();
    let start = Instant::now();
    let handles: Vec<_> = bodies
        .into_iter()
        .map(|bodies| {
            let url = format!("{base}/com.snowplowanalytics.snowplow/tp2");
            std::thread::spawn(move || {
                let agent = ureq::Agent::new_with_defaults();
                for body in bodies {
                    let mut resp = agent
                        .post(&url)
                        .header("Content-Type", "application/json; charset=UTF-8")
                        .send(&body)
                        .unwrap();
                    assert_eq!(resp.body_mut().read_to_string().unwrap(), "ok");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    let sent = per_conn * batch * connections;
    let rate = sent as f64 / secs;
    println!(
        "batch {batch:>2} × {connections} connections: {sent} events in {secs:.2}s = {rate:.0} events/s"
    );
    rate
}

fn main() {
    let total = arg("--events", 20_000).min(1_000_000);
    let connections = arg("--connections", 4).clamp(1, 64);
    let mut child = Command::new(collector_bin())
        .args(["--port", "0", "--quiet", "--max-events", "10000"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the collector (build it first: cargo build --release -p snowtrack-collector)");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let base = first.trim().strip_prefix("listening on ").unwrap().to_owned();
    println!("collector at {base}; {total} events per run");
    let agent = ureq::Agent::new_with_defaults();
    for batch in [10, 1] {
        let _ = agent.get(&format!("{base}/micro/reset")).call().unwrap();
        let n = if batch == 1 { total / 2 } else { total };
        run(&base, n, connections, batch);
        let all: Value =
            agent.get(&format!("{base}/micro/all")).call().unwrap().body_mut().read_json().unwrap();
        assert_eq!(all["bad"], 0, "{all}");
        println!("  /micro/all: {all}");
    }
    let _ = child.kill();
    let _ = child.wait();
}
