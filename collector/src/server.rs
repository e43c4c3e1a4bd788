//! Starting and stopping the HTTP server.

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::config::Config;
use crate::faults::Faults;
use crate::http::{AppState, router};
use crate::iglu::Registry;
use crate::output::{Printer, Sinks};
use crate::store::Store;

/// Builds the shared state: the embedded registry plus `--iglu` directories, outputs and the ring.
pub fn build_state(config: Config) -> Result<AppState, String> {
    let mut registry = Registry::embedded();
    for dir in &config.iglu {
        let n = registry.add_dir(dir).map_err(|e| format!("--iglu {}: {e}", dir.display()))?;
        eprintln!("snowtrack-collector: {n} schemas from {}", dir.display());
    }
    if let Some(dir) = &config.static_dir {
        if !dir.is_dir() {
            return Err(format!("--static {}: not a directory", dir.display()));
        }
    }
    for p in &config.post_paths {
        if !p.starts_with('/') || p.starts_with("/micro") {
            return Err(format!("--post-path {p}: must start with / and not be under /micro"));
        }
    }
    let sinks = Sinks::open(config.good_out.as_deref(), config.bad_out.as_deref())?;
    Ok(AppState {
        registry,
        store: Mutex::new(Store::new(config.max_events)),
        printer: Printer::start(config.quiet),
        sinks,
        faults: Faults::default(),
        cookie_extension_calls: std::sync::atomic::AtomicU64::new(0),
        config,
    })
}

/// The startup warning for a collector listening beyond loopback: the inspection API is then
/// reachable from the network (CORS only keeps other sites' pages from reading it).
pub fn exposure_warning(config: &Config) -> Option<String> {
    (!config.bind.is_loopback()).then(|| {
        format!(
            "snowtrack-collector: WARNING: --bind {} is not a loopback address: the inspection API \
             (/micro/*, /snowtrack/*: every recorded event, reset, fault injection) is reachable from \
             the network. Use --bind 127.0.0.1 unless that is intended.",
            config.bind
        )
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Runs the collector until SIGINT/SIGTERM. The first stdout line is `listening on http://ADDR`.
pub async fn run(config: Config) -> Result<(), String> {
    let addr = SocketAddr::new(config.bind, config.port);
    let state = Arc::new(build_state(config)?);
    let listener =
        tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on http://{local}").map_err(|e| e.to_string())?;
        out.flush().map_err(|e| e.to_string())?;
    }
    if let Some(warning) = exposure_warning(&state.config) {
        eprintln!("{warning}");
    }
    eprintln!(
        "snowtrack-collector: {} Iglu schemas; live view at http://{local}/micro/ui",
        state.registry.len()
    );

    let app = router(Arc::clone(&state));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let server = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            let _ = stop_tx.send(true);
        });
    // Graceful shutdown waits for open connections; give them a moment, not forever.
    let mut stop = stop_rx;
    let grace = async move {
        let _ = stop.wait_for(|s| *s).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    tokio::select! {
        r = server => r.map_err(|e| e.to_string())?,
        () = grace => {},
    }
    state.printer.flush(Duration::from_secs(2));
    eprintln!("snowtrack-collector: stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn warns_beyond_loopback_only() {
        let mut config = Config::defaults();
        assert_eq!(exposure_warning(&config), None);
        config.bind = "::1".parse().unwrap();
        assert_eq!(exposure_warning(&config), None);
        config.bind = "0.0.0.0".parse().unwrap();
        assert!(exposure_warning(&config).unwrap().contains("/micro/*, /snowtrack/*"));
    }
}
