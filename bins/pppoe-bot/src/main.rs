//! pppoe-bot: manage PPPoE subscribers on MikroTik routers from WhatsApp.
//!
//! This binary only wires the crates together: the CLI, the config, telemetry, the console
//! messenger and graceful shutdown. See ARCHITECTURE.md.

mod alerts;
mod audit_cmd;
mod check;
mod config;
mod console;
mod demo;
mod exec;
mod file_modes;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use audit_store::{AuditStore, StoreOptions};
use clap::{Parser, Subcommand, ValueEnum};
use pppoe_core::{Engine, RouterSet, SystemClock};
use routeros_adapter::RouterOs;

use crate::config::Settings;

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
    /// WhatsApp, with the session written by `pppoe-bot pair`.
    Whatsapp,
    /// stdin/stdout, acting as one allowlisted number (try a real router from a terminal).
    Console,
}

/// Exit status when WhatsApp ended the session for good (logged out, replaced, banned): a
/// restart cannot help, so the systemd unit does not restart on it.
const EXIT_WHATSAPP_ENDED: u8 = 3;

/// Exit status when the WhatsApp client stopped on its own (e.g. its keepalive gave up after
/// a network stall): the session is intact and a restart reconnects, so the systemd unit
/// restarts on it (like any failure but 3).
const EXIT_WHATSAPP_STOPPED: u8 = 4;

/// The exit status for an error that ended a command.
fn exit_status(e: &anyhow::Error) -> u8 {
    match e.downcast_ref::<whatsapp_adapter::WaError>() {
        Some(whatsapp_adapter::WaError::Terminal(t)) if t.needs_operator() => EXIT_WHATSAPP_ENDED,
        Some(whatsapp_adapter::WaError::Terminal(_)) => EXIT_WHATSAPP_STOPPED,
        _ => 1,
    }
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
        #[arg(long, value_enum, default_value = "whatsapp")]
        messenger: MessengerKind,
        /// With the console messenger: act as this number (default: the first [[access]] entry).
        #[arg(long = "as", value_name = "PHONE")]
        as_phone: Option<String>,
    },
    /// Links the bot's WhatsApp number: a QR code to scan, or with --phone a pairing code.
    Pair {
        /// The config file (its paths.whatsapp_session is where the session is kept).
        #[arg(long)]
        config: PathBuf,
        /// The bot's own number, for "Link with phone number" instead of the QR code.
        #[arg(long)]
        phone: Option<String>,
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
    /// Runs one command through the running bot as a configured [[clients]] entry (billing
    /// systems, scripts). Exit 0: done; 1: failed, not known or skipped, or no bot running;
    /// 2: invalid or denied.
    Exec(exec::ExecArgs),
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
    let config = Settings::load(&config_path)?;
    if messenger == MessengerKind::Whatsapp {
        file_modes::check_session_private(&config.paths.whatsapp_session)?;
    }
    // First, so that a second bot with this config stops here; removed when dropped.
    let exec_listener = exec::listen_if_configured(&config)?;
    let mut routers = Vec::new();
    for r in &config.routers {
        let mut router_config = r.router_config()?;
        // The mirror also feeds the alerts; where the router refuses `listen` it re-reads
        // the tables every `[alerts] poll_secs`.
        if let Some(mirror) = router_config.mirror.as_mut() {
            mirror.resync_every = config.watch.poll_interval;
        }
        let router = RouterOs::new(router_config);
        match router.health().await {
            Ok(h) => {
                tracing::info!(router = %r.name, identity = %h.identity, version = ?h.version, "router reachable");
            }
            Err(e) => {
                tracing::warn!(router = %r.name, error = %e, "router not reachable yet; commands will retry the connection");
            }
        }
        // Listings are served from a copy of /ppp/secret and /ppp/active kept current with
        // `listen`: loaded now rather than by the first listing.
        router.start_mirror();
        routers.push(router);
    }
    // One session watcher per router, for the alerts (`pantau`, `[alerts]`).
    let (events, watchers) = alerts::spawn_watchers(&routers, config.watch);
    let router = RouterSet::new(routers)?;
    let store = match open_sealed(
        &config.paths.audit_db,
        &config.paths.media,
        config.anchors.clone(),
    )
    .await
    {
        Ok(store) => store,
        Err(e) => {
            if messenger == MessengerKind::Whatsapp
                && matches!(
                    e.downcast_ref::<audit_store::StoreError>(),
                    Some(audit_store::StoreError::Tampered(_))
                )
            {
                // WhatsApp is not connected yet: the admins are told at the next connect.
                config
                    .whatsapp
                    .record_stop(&format!("pppoe-bot refused to start: {e:#}"));
            }
            return Err(e);
        }
    };
    let engine = Arc::new(
        Engine::new(router, store.clone(), SystemClock, config.engine.clone())
            .with_tickets(store.clone()),
    );
    // The console's sender, read before anything is started.
    let console_phone = match (messenger, as_phone) {
        (MessengerKind::Console, Some(text)) => Some(
            pppoe_core::PhoneNumber::parse(&text, &config.default_country_code)
                .with_context(|| format!("--as {text}"))?,
        ),
        (MessengerKind::Console, None) => Some(config.first_number().clone()),
        (MessengerKind::Whatsapp, _) => None,
    };
    recover_interrupted(&engine).await?;
    let closer = spawn_ticket_closer(Arc::clone(&engine));
    let result = match console_phone {
        Some(phone) => {
            let console = Arc::new(console::Console::start(phone));
            console.prompt();
            let alerting = alerts::spawn_alerts(
                Arc::clone(&engine),
                Arc::clone(&console),
                events,
                alerts::ALERT_TICK,
            );
            let taken = exec::serve_with(engine, console, store.clone(), exec_listener).await;
            alerting.abort();
            tracing::info!(messages = taken, "stopped");
            Ok(())
        }
        None => run_whatsapp(&config, engine, store.clone(), exec_listener, events).await,
    };
    for watcher in watchers {
        watcher.abort();
    }
    closer.abort();
    close_sealed(&store).await;
    tracing::info!("audit log flushed");
    result
}

/// How often the sealing task asks the store to seal the epochs that ended (a no-op within an
/// epoch); an idle bot still seals every epoch, so that a gap in time shows.
const SEAL_TICK: std::time::Duration = std::time::Duration::from_secs(15);

/// Opens the audit log with its sealing keys (refusing to start without them, or on a tail
/// that was cut or altered), and starts the task that seals elapsed epochs.
pub(crate) async fn open_sealed(
    db: &std::path::Path,
    media: &std::path::Path,
    anchors: Vec<audit_store::anchor::Anchor>,
) -> anyhow::Result<AuditStore> {
    let options = StoreOptions::default()
        .sealing(audit_store::sealing_file::sealing_path(db))
        .anchors(anchors)
        .media_dir(media);
    let store = AuditStore::open(db, options)
        .await
        .with_context(|| format!("opening the audit log {}", db.display()))?;
    let sealer = store.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SEAL_TICK);
        loop {
            tick.tick().await;
            match sealer.seal(pppoe_core::Clock::now(&SystemClock)).await {
                Ok(()) => {}
                Err(audit_store::StoreError::Closed) => break,
                Err(e) => tracing::error!(error = %e.chain(), "sealing the audit log failed"),
            }
        }
    });
    Ok(store)
}

/// Seals what ended and the epoch still open, and closes the audit log.
pub(crate) async fn close_sealed(store: &AuditStore) {
    if let Err(e) = store
        .seal_and_close_epoch(pppoe_core::Clock::now(&SystemClock))
        .await
    {
        tracing::error!(error = %e.chain(), "sealing the audit log at stop failed");
    }
    store.close().await;
}

/// How often resolved tickets are checked for the automatic close.
const TICKET_CLOSE_TICK: std::time::Duration = std::time::Duration::from_secs(3600);

/// Starts the task that closes resolved tickets `[tickets] close_after_days` after they were
/// resolved (at start, then hourly).
pub(crate) fn spawn_ticket_closer<R, A, C, T>(
    engine: Arc<Engine<R, A, C, T>>,
) -> tokio::task::JoinHandle<()>
where
    R: pppoe_core::Router + 'static,
    A: pppoe_core::AuditSink + 'static,
    C: pppoe_core::Clock + 'static,
    T: pppoe_core::TicketStore + 'static,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(TICKET_CLOSE_TICK);
        loop {
            tick.tick().await;
            match engine.close_resolved_tickets().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(tickets = n, "resolved tickets closed automatically"),
                Err(e) => tracing::error!(error = %e, "closing resolved tickets failed"),
            }
        }
    })
}

/// Records the attempts the last stop interrupted (a claim without an audit row) as outcome
/// `unknown`, before any message is taken.
pub(crate) async fn recover_interrupted<R, A, C, T>(
    engine: &Engine<R, A, C, T>,
) -> anyhow::Result<()>
where
    R: pppoe_core::Router,
    A: pppoe_core::AuditSink,
    C: pppoe_core::Clock,
    T: pppoe_core::TicketStore,
{
    let recorded = engine
        .recover_interrupted()
        .await
        .context("recording the attempts interrupted by the last stop")?;
    if recorded > 0 {
        tracing::warn!(
            attempts = recorded,
            "attempts interrupted by the last stop were recorded with outcome unknown: see `pppoe-bot audit list --outcome unknown`"
        );
    }
    Ok(())
}

async fn run_whatsapp<R, A, C, T>(
    config: &Settings,
    engine: Arc<Engine<R, A, C, T>>,
    store: AuditStore,
    exec_listener: Option<exec::Listener>,
    events: tokio::sync::mpsc::Receiver<pppoe_core::SessionEvent>,
) -> anyhow::Result<()>
where
    R: pppoe_core::Router + 'static,
    A: pppoe_core::AuditSink + 'static,
    C: pppoe_core::Clock + 'static,
    T: pppoe_core::TicketStore + 'static,
{
    let wa_config = config.whatsapp.clone();
    if let whatsapp_adapter::Endpoint::Url(url) = &wa_config.endpoint {
        tracing::warn!(%url, "[whatsapp] server_url is set: connecting there, not to WhatsApp");
    }
    let allowlisted: Vec<_> = engine
        .config()
        .access
        .iter()
        .map(|a| a.phone.clone())
        .collect();
    let (whatsapp, driver) = whatsapp_adapter::WhatsApp::connect(wa_config, &allowlisted)
        .await
        .context("connecting to WhatsApp")?;
    let whatsapp = Arc::new(whatsapp);
    let alerting = alerts::spawn_alerts(
        Arc::clone(&engine),
        Arc::clone(&whatsapp),
        events,
        alerts::ALERT_TICK,
    );
    let taken = exec::serve_with(engine, Arc::clone(&whatsapp), store, exec_listener).await;
    alerting.abort();
    let delivery = whatsapp.delivery_stats();
    tracing::info!(
        messages = taken,
        replies_delivered = delivery.delivered,
        replies_retried = delivery.retried,
        replies_failed = delivery.failed,
        "no more messages; stopping WhatsApp"
    );
    whatsapp.shutdown().await;
    driver.wait().await?;
    Ok(())
}

async fn pair(config_path: PathBuf, phone: Option<String>) -> anyhow::Result<()> {
    let config = Settings::load(&config_path)?;
    file_modes::check_session_private(&config.paths.whatsapp_session)?;
    let wa_config = config.whatsapp.clone();
    let phone = phone
        .map(|p| pppoe_core::PhoneNumber::parse(&p, &config.default_country_code))
        .transpose()
        .context("--phone")?;
    let outcome = whatsapp_adapter::pair(&wa_config, phone.as_ref()).await?;
    println!("{outcome}");
    Ok(())
}

/// Every file the bot writes is for its own user only: the audit log and its `-wal`/`-shm`,
/// the WhatsApp session (the device's keys), the QR code image. SQLite and whatsapp-rust create their
/// files with mode 0644 less the umask, so the umask is what decides.
fn restrict_new_files() {
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
}

fn main() -> ExitCode {
    restrict_new_files();
    let cli = Cli::parse();
    let default_level = match cli.command {
        Command::Demo(_) | Command::Exec(_) => "warn",
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
        let status_of = |ok: bool| u8::from(!ok);
        match cli.command {
            Command::Demo(args) => demo::demo(args).await.map(|()| 0),
            Command::Run {
                config,
                messenger,
                as_phone,
            } => run(config, messenger, as_phone).await.map(|()| 0),
            Command::Pair { config, phone } => pair(config, phone).await.map(|()| 0),
            Command::CheckConfig { config } => check::check_config(&config).await.map(status_of),
            Command::Audit(command) => audit_cmd::run(command).await.map(status_of),
            Command::Exec(args) => exec::run_client(args).await,
        }
    });
    // The stdin reader thread may still be blocked in a read: do not wait for it.
    runtime.shutdown_background();
    match result {
        Ok(status) => ExitCode::from(status),
        Err(e) => {
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(), "error: {e:#}");
            ExitCode::from(exit_status(&e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use whatsapp_adapter::{TerminalError, WaError};

    #[test]
    fn only_an_end_that_needs_the_operator_stops_the_restarts() {
        let ended = anyhow::Error::new(WaError::Terminal(TerminalError::StreamReplaced));
        assert_eq!(exit_status(&ended), EXIT_WHATSAPP_ENDED);
        // A client that stopped on its own is restarted by systemd (exit 4 is not prevented).
        let stopped = anyhow::Error::new(WaError::Terminal(TerminalError::ClientStopped));
        assert_eq!(exit_status(&stopped), EXIT_WHATSAPP_STOPPED);
        let unit = include_str!("../../../contrib/pppoe-bot.service");
        let prevented: Vec<&str> = unit
            .lines()
            .filter_map(|l| l.strip_prefix("RestartPreventExitStatus="))
            .flat_map(str::split_whitespace)
            .collect();
        assert_eq!(prevented, [EXIT_WHATSAPP_ENDED.to_string()]);
        assert!(unit.lines().any(|l| l == "Restart=on-failure"));
        assert_eq!(exit_status(&anyhow::anyhow!("config")), 1);
    }
}
