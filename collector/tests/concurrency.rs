//! Several clients posting at once: every event is accounted for, in counts, lists and NDJSON.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::collections::HashSet;

use common::*;
use serde_json::{Value, json};

#[test]
fn concurrent_clients_lose_nothing() {
    const THREADS: usize = 8;
    const REQUESTS: usize = 25;
    const BATCH: usize = 4;
    let dir = std::env::temp_dir().join(format!("snowtrack-conc-it-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good_out = dir.join("good.ndjson");
    let c = Collector::start(&["--quiet", "--good-out", good_out.to_str().unwrap()]);
    let base = c.base.clone();
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let base = base.clone();
            std::thread::spawn(move || {
                let agent = agent();
                let mut sent = Vec::new();
                for r in 0..REQUESTS {
                    let events: Vec<Value> = (0..BATCH)
                        .map(|i| {
                            let n = i64::try_from(r * BATCH + i + 1).unwrap();
                            if t % 2 == 0 { page_view(n) } else { screen_view(&format!("t{t}"), n) }
                        })
                        .collect();
                    sent.extend(events.iter().map(|e| e["eid"].as_str().unwrap().to_owned()));
                    let mut resp = agent
                        .post(&format!("{base}{TP2}"))
                        .header("Content-Type", JSON_UTF8)
                        .send(&envelope(&events).to_string())
                        .unwrap();
                    assert_eq!(resp.body_mut().read_to_string().unwrap(), "ok");
                }
                // Plus one GET per thread.
                let e = structured(1);
                sent.push(e["eid"].as_str().unwrap().to_owned());
                let resp = agent.get(&format!("{base}/i?{}", to_query(&e))).call().unwrap();
                assert_eq!(resp.status().as_u16(), 200);
                sent
            })
        })
        .collect();
    let sent: Vec<String> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
    let expected = THREADS * (REQUESTS * BATCH + 1);
    assert_eq!(sent.len(), expected);
    let n = u64::try_from(expected).unwrap();
    assert_eq!(c.all(), json!({"total": n, "good": n, "bad": 0}));
    let got: HashSet<String> =
        c.good().iter().map(|g| g["event"]["event_id"].as_str().unwrap().to_owned()).collect();
    let want: HashSet<String> = sent.into_iter().collect();
    assert_eq!(got, want);
    let lines = std::fs::read_to_string(&good_out).unwrap();
    let from_file: HashSet<String> = lines
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["event"]["event_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(lines.lines().count(), expected);
    assert_eq!(from_file, want);
    drop(c);
    std::fs::remove_dir_all(&dir).unwrap();
}
