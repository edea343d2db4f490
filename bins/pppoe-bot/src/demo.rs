//! `pppoe-bot demo`: the embedded default. routeros-sim on loopback (the spec's sample users
//! and a few hundred generated ones), the real RouterOS client over TCP, the real engine, the
//! real audit store in a local file, and the console instead of WhatsApp.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use pppoe_core::{
    AccessEntry, Clock, CustomerSettings, Engine, EngineConfig, Language, PhoneNumber, Role,
    SystemClock,
};
use routeros_adapter::{RouterOs, RouterOsConfig};
use routeros_api::ClientConfig;
use routeros_sim::{SimServer, SimState};

use crate::console::Console;
use crate::serve::{serve, shutdown_signal};

/// The demo's admin number.
pub(crate) const DEMO_ADMIN: &str = "081234567890";
/// The demo's technician number.
pub(crate) const DEMO_TECHNICIAN: &str = "081298765432";

/// Options of `pppoe-bot demo`.
#[derive(Debug, clap::Args)]
pub(crate) struct DemoArgs {
    /// The audit database file.
    #[arg(long, default_value = "pppoe-demo.db")]
    pub(crate) db: PathBuf,
    /// Act as this phone number (default: the demo admin). The demo technician is
    /// 081298765432; any other number is unknown to the bot.
    #[arg(long = "as", value_name = "PHONE")]
    pub(crate) as_phone: Option<String>,
    /// Generated subscribers besides the spec's john123 and jane456.
    #[arg(long, default_value_t = 300)]
    pub(crate) subscribers: usize,
    /// Reply language: id or en.
    #[arg(long, default_value = "id")]
    pub(crate) language: Language,
    /// Commands per sender per minute (raise it to script thousands of commands).
    #[arg(long, default_value_t = 30)]
    pub(crate) rate_limit: u32,
}

pub(crate) async fn demo(args: DemoArgs) -> anyhow::Result<()> {
    let state = SimState::new();
    state.add_example_users().context("seeding routeros-sim")?;
    state.add_seeded(args.subscribers, 2024);
    // A fresh API password per run: the demo ships no credentials.
    let password = format!(
        "demo-{:x}",
        SystemClock.now().timestamp_nanos_opt().unwrap_or_default() ^ i64::from(std::process::id())
    );
    state.add_user("pppoe-bot", &password);
    state.set_identity("demo-router");
    let server = SimServer::start(state)
        .await
        .context("starting routeros-sim on 127.0.0.1")?;
    let client = ClientConfig::new("127.0.0.1", "pppoe-bot", password).port(server.addr().port());
    let router = RouterOs::new(RouterOsConfig::new("demo-router", client));
    router.start_mirror();
    let (events, watchers) =
        crate::alerts::spawn_watchers(std::slice::from_ref(&router), Default::default());
    let vk_file = demo_keys(&args.db)?;
    let mut media = args.db.as_os_str().to_owned();
    media.push(".media");
    let store = crate::open_sealed(&args.db, std::path::Path::new(&media), Vec::new()).await?;

    let config = EngineConfig {
        access: vec![
            AccessEntry {
                phone: PhoneNumber::parse(DEMO_ADMIN, "62")?,
                role: Role::Admin,
                name: "Demo admin".into(),
            },
            AccessEntry {
                phone: PhoneNumber::parse(DEMO_TECHNICIAN, "62")?,
                role: Role::Technician,
                name: "Demo technician".into(),
            },
        ],
        language: args.language,
        rate_limit_per_minute: args.rate_limit,
        // The demo shows the customer's messages (`addpppoe ... wa=0812...`) in the console.
        customer: CustomerSettings {
            notify_on_create: true,
            notify_on_resolve: true,
            ..CustomerSettings::default()
        },
        ..EngineConfig::default()
    };
    let acting = args
        .as_phone
        .clone()
        .unwrap_or_else(|| DEMO_ADMIN.to_owned());
    let phone = PhoneNumber::parse(&acting, "62").with_context(|| format!("--as {acting}"))?;
    let role = config
        .access
        .iter()
        .find(|a| a.phone == phone)
        .map_or("not on the allowlist: the bot will stay silent", |a| {
            a.role.as_str()
        });
    let engine = Arc::new(
        Engine::new(router, store.clone(), SystemClock, config).with_tickets(store.clone()),
    );
    crate::recover_interrupted(&engine).await?;
    let closer = crate::spawn_ticket_closer(Arc::clone(&engine));
    let console = Arc::new(Console::start(phone));

    println!(
        "pppoe-bot demo: routeros-sim (a RouterOS 7 API server) on {} ({} subscribers, john123 and jane456 among them)",
        server.addr(),
        server.state().secret_count()
    );
    println!(
        "audit log: {} (sealed; its verification key is in {}: in real use it is kept off the \
         machine, see `pppoe-bot audit setup-keys`)",
        args.db.display(),
        vk_file.display()
    );
    println!("you are {acting} ({role}); type `help pppoe`, one command per line; Ctrl-D ends.\n");
    console.prompt();

    let alerting = crate::alerts::spawn_alerts(
        Arc::clone(&engine),
        Arc::clone(&console),
        events,
        crate::alerts::ALERT_TICK,
    );
    let shutdown = shutdown_signal();
    serve(engine, Arc::clone(&console), shutdown).await;
    alerting.abort();
    for watcher in watchers {
        watcher.abort();
    }
    closer.abort();
    crate::close_sealed(&store).await;
    server.shutdown().await;
    Ok(())
}

/// The demo seals its audit log with keys of its own: created with the database, the
/// verification key written beside it (`<db>.verification-key`, owner only) so that
/// `audit verify --verification-key-file` can be tried. A real setup prints it once instead.
fn demo_keys(db: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
    let state = audit_store::sealing_file::sealing_path(db);
    let mut vk_file = db.as_os_str().to_owned();
    vk_file.push(".verification-key");
    let vk_file = std::path::PathBuf::from(vk_file);
    if !state.exists() {
        let vk = audit_store::sealing_file::SealingState::setup(
            &state,
            SystemClock.now().timestamp(),
            60,
            false,
        )?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(&vk_file)
            .with_context(|| format!("writing {}", vk_file.display()))?;
        std::io::Write::write_all(&mut file, format!("{vk}\n").as_bytes())
            .with_context(|| format!("writing {}", vk_file.display()))?;
    }
    Ok(vk_file)
}
