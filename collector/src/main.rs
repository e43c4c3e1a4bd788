//! The `snowtrack-collector` binary: a Snowplow-Micro-compatible local collector.

use clap::Parser as _;
use snowtrack_collector::config::Config;

fn main() -> std::process::ExitCode {
    let config = Config::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("snowtrack-collector: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(snowtrack_collector::server::run(config)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("snowtrack-collector: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
