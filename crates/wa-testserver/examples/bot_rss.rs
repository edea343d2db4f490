//! Resident memory of the `pppoe-bot run` process itself, connected to the WhatsApp test
//! server over a real WebSocket (`[whatsapp] server_url`), idle and after N commands from
//! technicians' phones. The test server, the phones (real whatsapp-rust clients) and
//! routeros-sim run in this process; the bot runs in its own, and its VmRSS and VmHWM are
//! read from `/proc/PID/status`.
//!
//! Usage: `bot_rss PATH/TO/pppoe-bot [COMMANDS] [PHONES]` (default 1,000 commands from 4
//! phones, each waiting for the reply to its command before sending the next). Run by
//! `bench/wa-rss.sh` on a release build; not run by CI.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use routeros_sim::{SimServer, SimState};
use wa_testserver::{Account, Peer, TestServer};
use whatsapp_rust::Jid;

/// (VmRSS, VmHWM) of process `pid`, in KiB.
fn memory(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn mb(kib: u64) -> String {
    format!("{:.1} MB", kib as f64 / 1024.0)
}

fn run(bin: &str, args: &[&str]) {
    let out = Command::new(bin)
        .args(args)
        .output()
        .expect("pppoe-bot runs");
    assert!(
        out.status.success(),
        "pppoe-bot {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let bin = args
        .next()
        .expect("usage: bot_rss PATH/TO/pppoe-bot [COMMANDS] [PHONES]");
    let commands: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let phones: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(4).max(1);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let bot = Account::new("628110000001", 7, "100000000000001");

    let server = TestServer::new();
    let session = dir.path().join("wa.db");
    server
        .seed_session(&bot, &session)
        .await
        .expect("the bot's session");
    // As `pppoe-bot pair` leaves it: the bot refuses a session file others can read.
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&session, std::fs::Permissions::from_mode(0o600))
            .expect("the session file's mode");
    }
    let listener = server
        .listen("127.0.0.1:0".parse().expect("an address"))
        .await
        .expect("the WebSocket listener");
    let state = SimState::new().with_user("api", "api-secret");
    state.add_example_users().expect("the example users");
    let sim = SimServer::start(state).await.expect("routeros-sim");

    let techs: Vec<Account> = (0..phones)
        .map(|k| {
            Account::new(
                &format!("62812345670{k:02}"),
                0,
                &format!("1234567890120{k:02}"),
            )
        })
        .collect();
    let mut peers = Vec::new();
    for tech in &techs {
        peers.push(Arc::new(Peer::connect(&server, tech, dir.path()).await));
    }

    let audit = dir.path().join("audit.db");
    let config = dir.path().join("pppoe-bot.toml");
    let access: String = techs
        .iter()
        .map(|t| {
            format!(
                "[[access]]\nphone = \"+{}\"\nrole = \"admin\"\nname = \"Teknisi\"\n\n",
                t.phone
            )
        })
        .collect();
    std::fs::write(
        &config,
        format!(
            "rate_limit_per_minute = 100000\n\n\
             [paths]\naudit_db = {audit:?}\nwhatsapp_session = {session:?}\n\n\
             [whatsapp]\nserver_url = {url:?}\nmessages_per_minute = 100000\nchat_interval_ms = 0\njitter_ms = 0\n\n\
             [[routers]]\nname = \"core-1\"\nhost = \"127.0.0.1\"\nport = {port}\nuser = \"api\"\npassword = \"api-secret\"\n\n\
             {access}",
            url = listener.url(),
            port = sim.addr().port(),
        ),
    )
    .expect("the config file");
    let path = |p: &Path| p.to_str().expect("a UTF-8 path").to_owned();
    run(&bin, &["audit", "setup-keys", "--db", &path(&audit)]);

    // The bot's log (warnings and errors): BOT_RSS_LOG names a file that outlives the run.
    let log_path = std::env::var_os("BOT_RSS_LOG")
        .map_or_else(|| dir.path().join("bot.log"), std::path::PathBuf::from);
    let log = std::fs::File::create(&log_path).expect("the bot's log");
    let mut child = Command::new(&bin)
        .args(["run", "--config", &path(&config)])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("pppoe-bot run starts");
    let pid = child.id();
    let device = bot.device_jid();
    server
        .wait_until("the bot's pre-key upload", |s| s.has_keys(&device))
        .await;
    // Idle: connected, keys uploaded, one command answered (so that the first use of each
    // part, such as the router connection, is counted as idle, not as growth).
    let to = Jid::pn(&bot.phone);
    peers[0].send_text(&to, "help").await;
    peers[0].next_message().await;
    let (idle, _) = memory(pid);

    let texts = [
        "checkpppoe john123",
        "pppoe",
        "checkpppoe jane456",
        "help pppoe",
    ];
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (k, peer) in peers.iter().enumerate() {
        let peer = Arc::clone(peer);
        let to = to.clone();
        let share = commands / phones + usize::from(k < commands % phones);
        tasks.push(tokio::spawn(async move {
            for i in 0..share {
                peer.send_text(&to, texts[(i + k) % texts.len()]).await;
                peer.next_message().await;
            }
        }));
    }
    for task in tasks {
        task.await.expect("a phone's commands");
    }
    let elapsed = started.elapsed();
    let (after, peak) = memory(pid);

    println!(
        "resident memory of the pppoe-bot run process (pid {pid}), over a WebSocket to the test server:"
    );
    println!("  connected, idle:                  {}", mb(idle));
    println!(
        "  after {commands} commands answered:  {} (peak {})",
        mb(after),
        mb(peak)
    );
    println!(
        "{commands} commands from {phones} phones in {elapsed:.1?} ({:.1} ms each)",
        elapsed.as_secs_f64() * 1000.0 / commands as f64
    );

    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let status = child.wait().expect("pppoe-bot run ends");
    if !status.success() {
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        eprintln!("pppoe-bot run ended with {status}:\n{log}");
    }
    for peer in &peers {
        peer.disconnect().await;
    }
    sim.shutdown().await;
}
