//! Native timing of the engine's work per tracked event (the tracker and delivery on the fake
//! browser, without a real one): `cargo run --release --example engine_per_call --features
//! test-util`. Under `valgrind --tool=callgrind` its instruction counts are exact, which makes it
//! the way to measure a change of the engine's per-event work on a busy machine.

use snowtrack::engine::Input;
use snowtrack::engine::config::Config;
use snowtrack::engine::event::{Event, SelfDescribingJson, TrackOptions};
use snowtrack::engine::sim::Browser;
use std::time::Instant;

fn main() {
    let mut b = Browser::new(1_700_000_000_000);
    let page = b.open(Config::new("sp", "https://collector.example"));
    let schema = "iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1";
    for (label, n) in [("warm-up", 2000), ("measured", 20000)] {
        let start = Instant::now();
        for i in 0..n {
            let data = format!("{{\"targetUrl\":\"https://example.com/bench/{i}\"}}");
            let Ok(sdj) = SelfDescribingJson::new("event", schema, data) else { return };
            b.input(
                page,
                Input::Track { event: Event::SelfDescribing(sdj), options: TrackOptions::default() },
            );
            if i % 100 == 99 {
                b.settle(10_000);
            }
        }
        let us = start.elapsed().as_secs_f64() * 1e6 / f64::from(n);
        println!("{label}: {us:.2} µs per self-describing event (engine + fake browser)");
    }
}
