//! Event outputs besides the ring: NDJSON files and one summary line per event on stdout.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use serde_json::Value;

use crate::store::Stored;

/// Optional append-only NDJSON files for good and bad events.
#[derive(Debug, Default)]
pub struct Sinks {
    good: Option<Mutex<BufWriter<File>>>,
    bad: Option<Mutex<BufWriter<File>>>,
}

fn open(path: Option<&Path>) -> Result<Option<Mutex<BufWriter<File>>>, String> {
    path.map(|p| {
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
            .map(|f| Mutex::new(BufWriter::new(f)))
            .map_err(|e| format!("{}: {e}", p.display()))
    })
    .transpose()
}

impl Sinks {
    /// Opens (appending to) the given files.
    pub fn open(good: Option<&Path>, bad: Option<&Path>) -> Result<Sinks, String> {
        Ok(Sinks { good: open(good)?, bad: open(bad)? })
    }

    /// Appends the events of one request and flushes.
    pub fn write(&self, events: &[Stored]) -> std::io::Result<()> {
        for (sink, want_good) in [(&self.good, true), (&self.bad, false)] {
            let Some(sink) = sink else { continue };
            let mut w = sink.lock().map_err(|_| std::io::Error::other("sink lock poisoned"))?;
            let mut wrote = false;
            for e in events {
                let line = match (e, want_good) {
                    (Stored::Good(g), true) => serde_json::to_string(g.as_ref()),
                    (Stored::Bad(b), false) => serde_json::to_string(b.as_ref()),
                    _ => continue,
                };
                w.write_all(line.map_err(std::io::Error::other)?.as_bytes())?;
                w.write_all(b"\n")?;
                wrote = true;
            }
            if wrote {
                w.flush()?;
            }
        }
        Ok(())
    }
}

fn entity<'a>(event: &'a crate::atomic::AtomicEvent, name: &str) -> Option<&'a Value> {
    event
        .context_entities()
        .iter()
        .find(|e| e.get("schema").and_then(Value::as_str).is_some_and(|s| s.contains(name)))
        .and_then(|e| e.get("data"))
}

/// `eventIndex` of the attached `client_session` entity, if any.
pub fn session_event_index(event: &crate::atomic::AtomicEvent) -> Option<i64> {
    entity(event, "/client_session/").and_then(|d| d.get("eventIndex")).and_then(Value::as_i64)
}

/// The one-line summary of an event: `good|bad type schema duid= sid= sessionIndex=` (+ errors).
pub fn summary_line(e: &Stored) -> String {
    let show = |v: Option<&str>| v.filter(|s| !s.is_empty()).unwrap_or("-").to_owned();
    match e {
        Stored::Good(g) => {
            let ev = &g.event;
            format!(
                "good {} {} duid={} sid={} sessionIndex={} eventIndex={}",
                show(g.event_type.as_deref()),
                show(g.schema.as_deref()),
                show(ev.str("domain_userid")),
                show(ev.str("domain_sessionid")),
                ev.get("domain_sessionidx").and_then(Value::as_i64).map_or("-".to_owned(), |i| i.to_string()),
                session_event_index(ev).map_or("-".to_owned(), |i| i.to_string()),
            )
        }
        Stored::Bad(b) => {
            let p = b.raw_event.as_ref().map(|r| &r.parameters);
            let get = |k: &str| p.and_then(|p| p.get(k));
            format!(
                "bad {} - duid={} sid={} sessionIndex={} errors: {}",
                show(get("e")),
                show(get("duid")),
                show(get("sid")),
                show(get("vid")),
                b.messages.join("; ")
            )
        }
    }
}

enum Msg {
    Line(String),
    Flush(SyncSender<()>),
}

/// Prints lines on stdout from a dedicated thread, so a slow reader never blocks request handling
/// (lines are dropped when 10,000 are already waiting).
#[derive(Debug, Clone)]
pub struct Printer {
    tx: Option<SyncSender<Msg>>,
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Msg")
    }
}

impl Printer {
    /// Starts the printer thread (or a no-op printer when `quiet`).
    pub fn start(quiet: bool) -> Printer {
        if quiet {
            return Printer { tx: None };
        }
        let (tx, rx): (SyncSender<Msg>, Receiver<Msg>) = sync_channel(10_000);
        let spawned = std::thread::Builder::new().name("stdout".into()).spawn(move || {
            let stdout = std::io::stdout();
            while let Ok(msg) = rx.recv() {
                let mut out = stdout.lock();
                let mut next = Some(msg);
                while let Some(msg) = next {
                    match msg {
                        Msg::Line(line) => {
                            let _ = writeln!(out, "{line}");
                        }
                        Msg::Flush(ack) => {
                            let _ = out.flush();
                            let _ = ack.send(());
                        }
                    }
                    next = rx.try_recv().ok();
                }
                let _ = out.flush();
            }
        });
        Printer { tx: spawned.ok().map(|_| tx) }
    }

    /// Queues a line; never blocks.
    pub fn print(&self, line: String) {
        if let Some(tx) = &self.tx {
            // A full queue means stdout is not being read: dropping the line is the right call.
            let _ = tx.try_send(Msg::Line(line));
        }
    }

    /// Waits (at most `timeout`) until every queued line has been written.
    pub fn flush(&self, timeout: std::time::Duration) {
        if let Some(tx) = &self.tx {
            let deadline = std::time::Instant::now() + timeout;
            let (ack_tx, ack_rx) = sync_channel(1);
            let mut msg = Msg::Flush(ack_tx);
            loop {
                match tx.try_send(msg) {
                    Ok(()) => break,
                    Err(std::sync::mpsc::TrySendError::Full(m)) if std::time::Instant::now() < deadline => {
                        msg = m;
                        std::thread::sleep(std::time::Duration::from_millis(5));
                    }
                    Err(_) => return,
                }
            }
            let _ = ack_rx.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now()));
        }
    }
}
