//! pppoe-bot: manage PPPoE subscribers on MikroTik routers from WhatsApp.
//!
//! This binary only wires the crates together: the CLI, the config, telemetry, the console
//! messenger and graceful shutdown. See ARCHITECTURE.md.

mod audit_cmd;
mod check;
mod config;
mod console;
mod demo;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use audit_store::{AuditStore, StoreOptions};
use clap::{Parser, Subcommand, ValueEnum};
use pppoe_core::{Engine, RouterSet, SystemClock};
use routeros_adapter::{RouterOs, RouterOsConfig};

use crate::config::Config;

#[derive(Debug, Parser)]
#[command(
    name = "pppoe-bot",
    version,
    about = "Manage PPPoE subscribers on MikroTik routers from WhatsApp"
)]
struct Cli {
    /// Log format on stderr (the level comes from RUST_LOG, e.g. RUST_LOG=debug).
    #[arg(long, value_enum, default_value = "pretty", global = true)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum MessengerKind {
    /// stdin/stdout, acting as one allowlisted number (try a real router from a terminal).
    Console,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The embedded default: routeros-sim on loopback, the real engine and audit log, the console.
    Demo(demo::DemoArgs),
    /// Production: the configured router and messenger.
    Run {
        /// The config file (see config.example.toml).
        #[arg(long)]
        config: PathBuf,
        /// Where messages come from.
        #[arg(long, value_enum, default_value = "console")]
        messenger: MessengerKind,
        /// With the console messenger: act as this number (default: the first [[access]] entry).
        #[arg(long = "as", value_name = "PHONE")]
        as_phone: Option<String>,
    },
    /// Parses the config, connects to each router and compares the packages with /ppp/profile.
    CheckConfig {
        /// The config file.
        #[arg(long)]
        config: PathBuf,
    },
    /// The audit log: list, verify, export (read-only).
    #[command(subcommand)]
    Audit(audit_cmd::AuditCommand),
}

/// Stderr that swallows write errors: with stderr closed (a pipe whose reader is gone),
/// tracing-subscriber would otherwise report the failure with `eprintln!`, which panics.
#[derive(Debug, Clone, Copy)]
struct QuietStderr;

impl std::io::Write for QuietStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let _ = std::io::stderr().write_all(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let _ = std::io::stderr().flush();
        Ok(())
    }
}

fn init_tracing(format: LogFormat, default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| QuietStderr);
    // try_init also bridges the `log` records of dependencies into tracing.
    let _ = match format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

async fn run(
    config_path: PathBuf,
    messenger: MessengerKind,
    as_phone: Option<String>,
) -> anyhow::Result<()> {
    let config = Config::load(&config_path)?;
    let engine_config = config.engine_config()?;
    let mut routers = Vec::new();
    for r in &config.routers {
        let router = RouterOs::new(RouterOsConfig::new(r.name.clone(), r.client_config()?));
        match router.health().await {
            Ok(h) => {
                tracing::info!(router = %r.name, identity = %h.identity, version = ?h.version, "router reachable");
            }
            Err(e) => {
                tracing::warn!(router = %r.name, error = %e, "router not reachable yet; commands will retry the connection");
            }
        }
        routers.push((r.name.clone(), router));
    }
    let router = RouterSet::new(routers)?;
    let store = AuditStore::open(&config.paths.audit_db, StoreOptions::default())
        .await
        .with_context(|| format!("opening the audit log {}", config.paths.audit_db.display()))?;
    let engine = Arc::new(Engine::new(
        router,
        store.clone(),
        SystemClock,
        engine_config,
    ));
    match messenger {
        MessengerKind::Console => {
            let phone = as_phone.unwrap_or_else(|| config.access[0].phone.clone());
            let console = Arc::new(console::Console::start(phone));
            console.prompt();
            let taken = serve::serve(engine, console, serve::shutdown_signal()).await;
            tracing::info!(messages = taken, "stopped");
        }
    }
    store.close().await;
    tracing::info!("audit log flushed");
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_level = match cli.command {
        Command::Demo(_) => "warn",
        _ => "info",
    };
    init_tracing(cli.log_format, default_level);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Demo(args) => demo::demo(args).await.map(|()| true),
            Command::Run {
                config,
                messenger,
                as_phone,
            } => run(config, messenger, as_phone).await.map(|()| true),
            Command::CheckConfig { config } => check::check_config(&config).await,
            Command::Audit(command) => audit_cmd::run(command).await,
        }
    });
    // The stdin reader thread may still be blocked in a read: do not wait for it.
    runtime.shutdown_background();
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(), "error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
