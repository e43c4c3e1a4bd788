//! Command-line configuration.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::Parser;

/// A local Snowplow collector compatible with Snowplow Micro: validates events against Iglu
/// schemas and exposes them through Micro's `/micro/*` API and a live view at `/micro/ui`.
#[derive(Debug, Clone, Parser)]
// A flag given twice takes its last value, so wrappers can append `--port N` to their defaults.
#[command(name = "snowtrack-collector", version, args_override_self = true)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Port to listen on (0 picks a free port; the first stdout line tells which).
    #[arg(long, default_value_t = 9090)]
    pub port: u16,
    /// Extra POST path accepted as tracker protocol v2, e.g. `/com.acme/track` (repeatable).
    #[arg(long = "post-path", value_name = "PATH")]
    pub post_paths: Vec<String>,
    /// How many events (good and bad) to keep in memory; older ones are dropped.
    #[arg(long, default_value_t = 10_000)]
    pub max_events: usize,
    /// Append every good event (Micro's GoodEvent JSON) to this NDJSON file.
    #[arg(long, value_name = "FILE")]
    pub good_out: Option<PathBuf>,
    /// Append every bad event (Micro's BadEvent JSON) to this NDJSON file.
    #[arg(long, value_name = "FILE")]
    pub bad_out: Option<PathBuf>,
    /// Directory of extra Iglu schemas in iglu-central layout (vendor/name/jsonschema/M-R-A); repeatable.
    #[arg(long = "iglu", value_name = "DIR")]
    pub iglu: Vec<PathBuf>,
    /// Serve files from this directory for GET requests no other route handles (`index.html` for `/`).
    #[arg(long = "static", value_name = "DIR")]
    pub static_dir: Option<PathBuf>,
    /// Name of the network user id cookie.
    #[arg(long, default_value = "sp")]
    pub cookie_name: String,
    /// Set the cookie without `Secure` and with `SameSite=Lax` (for plain-HTTP pages on other hosts).
    #[arg(long)]
    pub cookie_insecure: bool,
    /// Maximum request body size in bytes (larger bodies get 413).
    #[arg(long, default_value_t = 1_000_000)]
    pub max_body: usize,
    /// Another origin (besides loopback ones) whose pages may read `/micro/*` and `/snowtrack/*`
    /// across origins, e.g. `https://dev.example:8443` (repeatable).
    #[arg(long = "allow-origin", value_name = "ORIGIN", value_parser = crate::cors::parse_origin)]
    pub allow_origins: Vec<String>,
    /// Seconds between page pings, as the tracker's `heartbeatDelay`: the data model's web
    /// engaged time (`/micro/model/*`) counts in these.
    #[arg(long, default_value_t = 10, value_name = "SECS", value_parser = clap::value_parser!(u32).range(1..))]
    pub model_heartbeat: u32,
    /// Seconds before the first page ping, as the tracker's `minimumVisitLength` (data model).
    #[arg(long, default_value_t = 5, value_name = "SECS")]
    pub model_min_visit_length: u32,
    /// Do not print a summary line per event.
    #[arg(long, short)]
    pub quiet: bool,
}

impl Config {
    /// The data model's page-ping settings (`--model-heartbeat`, `--model-min-visit-length`).
    pub fn model_settings(&self) -> crate::unified::Settings {
        crate::unified::Settings {
            heartbeat_s: self.model_heartbeat,
            min_visit_length_s: self.model_min_visit_length,
        }
    }

    /// The configuration with all defaults (as if run without arguments).
    pub fn defaults() -> Config {
        Config::parse_from(["snowtrack-collector"])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_value_of_a_flag_wins_and_lists_accumulate() {
        let c = Config::parse_from([
            "snowtrack-collector",
            "--port",
            "0",
            "--post-path",
            "/a/b",
            "--port",
            "9191",
            "--post-path",
            "/c/d",
            "--allow-origin",
            "https://Dev.Example/",
            "--allow-origin",
            "http://b.example:8080",
        ]);
        assert_eq!(c.port, 9191);
        assert_eq!(c.post_paths, ["/a/b", "/c/d"]);
        assert_eq!(c.allow_origins, ["https://dev.example", "http://b.example:8080"]);
        assert!(Config::try_parse_from(["snowtrack-collector", "--allow-origin", "dev.example"]).is_err());
    }
}
