//! The session watcher over real TCP: against routeros-sim (listen, refused listen, a lost
//! connection, a silent router, a dropped receiver) and against a scripted router that sends
//! `/ppp/active/listen` rows as RouterOS 7.23+ does (`.dead=true` with only the `.id`, several
//! sessions of one name), which the simulator cannot (it keeps one session per name).
//!
//! No sleeps: each step waits for the event it expects (bounded by a generous timeout).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use pppoe_core::{Router, SessionEvent};
use routeros_adapter::{RouterOs, WatchSettings, watch_sessions};
use routeros_api::codec::{Decoder, Limits};
use routeros_api::proto::{Reply, Request};
use routeros_api::{Attributes, ClientConfig};
use routeros_sim::{SimServer, SimState};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;

use super::examples;

const ROUTER: &str = "core-1";

/// How long a test waits for an event before it fails.
const PATIENCE: Duration = Duration::from_secs(20);

fn client_for(port: u16) -> ClientConfig {
    ClientConfig::new("127.0.0.1", "api", "api-secret")
        .port(port)
        .command_timeout(Duration::from_secs(5))
        .connect_timeout(Duration::from_secs(5))
}

/// Quick reconnection; the liveness check rarely (the tests that need it set it).
fn settings() -> WatchSettings {
    WatchSettings {
        poll_interval: Duration::from_secs(60),
        backoff_initial: Duration::from_millis(10),
        backoff_max: Duration::from_millis(50),
    }
}

/// A watcher task on `client` with its events.
fn spawn_watcher(
    client: ClientConfig,
    settings: WatchSettings,
) -> (mpsc::Receiver<SessionEvent>, JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(64);
    let task = tokio::spawn(watch_sessions(ROUTER.to_owned(), client, settings, tx));
    (rx, task)
}

async fn next(rx: &mut mpsc::Receiver<SessionEvent>) -> SessionEvent {
    tokio::time::timeout(PATIENCE, rx.recv())
        .await
        .expect("no session event in time")
        .expect("the watcher stopped")
}

fn snapshot(names: &[&str]) -> SessionEvent {
    SessionEvent::Snapshot {
        router: ROUTER.to_owned(),
        online: names.iter().map(|n| (*n).to_owned()).collect(),
    }
}

fn up(user: &str) -> SessionEvent {
    SessionEvent::Up {
        router: ROUTER.to_owned(),
        user: user.to_owned(),
    }
}

fn down(user: &str) -> SessionEvent {
    SessionEvent::Down {
        router: ROUTER.to_owned(),
        user: user.to_owned(),
    }
}

fn lost_why(event: SessionEvent) -> String {
    match event {
        SessionEvent::Lost { router, why } => {
            assert_eq!(router, ROUTER);
            why
        }
        other => panic!("expected Lost, got {other:?}"),
    }
}

async fn sim_server(state: SimState) -> SimServer {
    SimServer::start(state.with_user("api", "api-secret"))
        .await
        .unwrap()
}

/// Waits until `condition` holds, letting the other tasks run (no sleep).
async fn until(mut condition: impl FnMut() -> bool) {
    tokio::time::timeout(PATIENCE, async {
        while !condition() {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the condition did not come true in time");
}

fn requests_of(state: &SimState, command: &str) -> usize {
    state
        .requests()
        .iter()
        .filter(|r| r.command == command)
        .count()
}

async fn finishes(task: JoinHandle<()>) {
    tokio::time::timeout(PATIENCE, task)
        .await
        .expect("the watcher did not return")
        .unwrap();
}

#[tokio::test]
async fn watch_reports_a_snapshot_then_up_and_down() {
    let server = sim_server(examples()).await;
    let state = server.state().clone();
    let mut config = super::config_with_timeout(&server, Duration::from_secs(5));
    // One command slot: the watcher's listen must not take it.
    config.max_in_flight = 1;
    // Without a mirror the watcher follows /ppp/active on a connection of its own (with one,
    // see a_mirrored_router_watches_its_sessions_through_the_mirror).
    config.mirror = None;
    let router = RouterOs::new(config);
    let (tx, mut rx) = mpsc::channel(16);
    let task = tokio::spawn(router.watch_sessions(settings(), tx));

    assert_eq!(next(&mut rx).await, snapshot(&["john123"]));
    state.connect("jane456").unwrap();
    assert_eq!(next(&mut rx).await, up("jane456"));
    // A kick through the command connection, while the listen runs on its own.
    assert_eq!(router.kick("john123").await.unwrap(), 1);
    assert_eq!(next(&mut rx).await, down("john123"));
    // The watcher's connection and the command connection.
    assert_eq!(state.connections_accepted(), 2);
    state.disconnect("jane456").unwrap();
    assert_eq!(next(&mut rx).await, down("jane456"));
    // The listen asked only for what it needs.
    let listens: Vec<_> = state
        .requests()
        .into_iter()
        .filter(|r| r.command == "/ppp/active/listen")
        .collect();
    assert_eq!(listens.len(), 1, "{listens:?}");
    assert!(
        listens[0].words.iter().any(|w| w == "=.proplist=.id,name"),
        "{listens:?}"
    );
    drop(rx);
    finishes(task).await;
}

#[tokio::test]
async fn a_mirrored_router_watches_its_sessions_through_the_mirror() {
    // The mirror follows /ppp/active already: the watcher takes its events from it, with no
    // connection or listen of its own.
    let server = sim_server(examples()).await;
    let state = server.state().clone();
    let router = RouterOs::new(super::config_with_timeout(&server, Duration::from_secs(5)));
    let (tx, mut rx) = mpsc::channel(16);
    let task = tokio::spawn(router.watch_sessions(settings(), tx));
    assert_eq!(next(&mut rx).await, snapshot(&["john123"]));
    state.connect("jane456").unwrap();
    assert_eq!(next(&mut rx).await, up("jane456"));
    // A kick by the adapter changes the mirror at once: its Down is told once.
    assert_eq!(router.kick("john123").await.unwrap(), 1);
    assert_eq!(next(&mut rx).await, down("john123"));
    state.disconnect("jane456").unwrap();
    assert_eq!(next(&mut rx).await, down("jane456"));
    // The mirror's connection and the command connection; one listen on /ppp/active.
    assert_eq!(state.connections_accepted(), 2);
    let listens = state
        .requests()
        .into_iter()
        .filter(|r| r.command == "/ppp/active/listen")
        .count();
    assert_eq!(listens, 1);
    // A second watcher gets the snapshot at once.
    let (tx2, mut rx2) = mpsc::channel(16);
    let second = tokio::spawn(router.watch_sessions(settings(), tx2));
    assert_eq!(next(&mut rx2).await, snapshot(&[]));
    drop(rx);
    drop(rx2);
    finishes(task).await;
    finishes(second).await;
}

#[tokio::test]
async fn a_lost_connection_is_reported_once_then_resynced() {
    let server = sim_server(examples()).await;
    let state = server.state().clone();
    let (mut rx, task) = spawn_watcher(client_for(server.addr().port()), settings());
    assert_eq!(next(&mut rx).await, snapshot(&["john123"]));

    // The router reboots and does not let us back in for a while.
    state.set_refuse_login(true);
    state.fatal_all("rebooting");
    let why = lost_why(next(&mut rx).await);
    assert!(why.contains("rebooting"), "{why}");
    // Two logins refused since (the first login was the one before the reboot).
    until(|| requests_of(&state, "/login") >= 3).await;
    // Changes while the watcher is away...
    state.connect("jane456").unwrap();
    state.disconnect("john123").unwrap();
    // ...are in the snapshot after it is back; the refused logins in between were no
    // second Lost.
    state.set_refuse_login(false);
    assert_eq!(next(&mut rx).await, snapshot(&["jane456"]));
    // And the new listen follows.
    state.connect("john123").unwrap();
    assert_eq!(next(&mut rx).await, up("john123"));
    drop(rx);
    finishes(task).await;
}

#[tokio::test]
async fn a_refused_login_is_lost_until_the_router_lets_us_in() {
    let state = examples();
    state.set_refuse_login(true);
    let server = sim_server(state).await;
    let (mut rx, task) = spawn_watcher(client_for(server.addr().port()), settings());
    let why = lost_why(next(&mut rx).await);
    assert!(why.contains("login failed"), "{why}");
    assert!(!why.contains("api-secret"), "{why}");
    server.state().set_refuse_login(false);
    assert_eq!(next(&mut rx).await, snapshot(&["john123"]));
    drop(rx);
    finishes(task).await;
}

#[tokio::test]
async fn a_refused_listen_falls_back_to_polling_snapshots() {
    let state = examples();
    state.set_refuse_listen(true);
    let server = sim_server(state).await;
    let state = server.state().clone();
    let polling = WatchSettings {
        poll_interval: Duration::from_millis(50),
        ..settings()
    };
    let (mut rx, task) = spawn_watcher(client_for(server.addr().port()), polling);
    assert_eq!(next(&mut rx).await, snapshot(&["john123"]));
    state.connect("jane456").unwrap();
    // Snapshots only (no Up), until one shows jane456.
    loop {
        match next(&mut rx).await {
            SessionEvent::Snapshot { online, .. } if online == ["jane456", "john123"] => break,
            SessionEvent::Snapshot { online, .. } => assert_eq!(online, ["john123"]),
            other => panic!("polling reports snapshots only, got {other:?}"),
        }
    }
    state.disconnect("john123").unwrap();
    loop {
        match next(&mut rx).await {
            SessionEvent::Snapshot { online, .. } if online == ["jane456"] => break,
            SessionEvent::Snapshot { online, .. } => {
                assert_eq!(online, ["jane456", "john123"]);
            }
            other => panic!("polling reports snapshots only, got {other:?}"),
        }
    }
    drop(rx);
    finishes(task).await;
}

#[tokio::test]
async fn a_silent_router_is_found_by_the_liveness_check() {
    let server = sim_server(examples()).await;
    let state = server.state().clone();
    let client = client_for(server.addr().port())
        .command_timeout(Duration::from_millis(300))
        .connect_timeout(Duration::from_millis(300));
    let checking = WatchSettings {
        poll_interval: Duration::from_millis(100),
        ..settings()
    };
    let (mut rx, task) = spawn_watcher(client, checking);
    assert_eq!(next(&mut rx).await, snapshot(&["john123"]));
    // TCP stays up, the API answers nothing: only the check can tell.
    state.set_silent(true);
    let why = lost_why(next(&mut rx).await);
    assert!(why.contains("health check"), "{why}");
    state.set_silent(false);
    assert_eq!(next(&mut rx).await, snapshot(&["john123"]));
    drop(rx);
    finishes(task).await;
}

#[tokio::test]
async fn the_watcher_returns_when_the_receiver_is_dropped() {
    // While listening: the listen is cancelled (and the connection closed).
    let server = sim_server(examples()).await;
    let (mut rx, task) = spawn_watcher(client_for(server.addr().port()), settings());
    assert_eq!(next(&mut rx).await, snapshot(&["john123"]));
    drop(rx);
    finishes(task).await;
    until(|| requests_of(server.state(), "/cancel") == 1).await;

    // While waiting out a long backoff for a router that is not there.
    let free = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let patient = WatchSettings {
        backoff_initial: Duration::from_secs(3600),
        backoff_max: Duration::from_secs(3600),
        ..settings()
    };
    let (mut rx, task) = spawn_watcher(client_for(port), patient);
    lost_why(next(&mut rx).await);
    drop(rx);
    finishes(task).await;
}

// ---- a scripted router ------------------------------------------------------------------

/// A RouterOS API server whose `/ppp/active` the test sets, and whose listen rows the test
/// sends word for word. It answers `/login`, `/ppp/active/print` (with queries),
/// `/ppp/active/listen`, `/system/identity/print` and `/cancel`.
struct Scripted {
    port: u16,
    /// `/ppp/active` for print: `(.id, name)`.
    active: Arc<Mutex<Vec<(String, String)>>>,
    /// Rows for every running listen.
    rows: broadcast::Sender<Attributes>,
}

impl Scripted {
    async fn start(active: &[(&str, &str)]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let active = Arc::new(Mutex::new(
            active
                .iter()
                .map(|(id, name)| ((*id).to_owned(), (*name).to_owned()))
                .collect(),
        ));
        let (rows, _) = broadcast::channel(64);
        let scripted = Self {
            port,
            active: Arc::clone(&active),
            rows: rows.clone(),
        };
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serve_scripted(socket, Arc::clone(&active), rows.clone()));
            }
        });
        scripted
    }

    /// A listen row, as RouterOS would send it.
    fn send(&self, pairs: &[(&str, &str)]) {
        self.rows.send(pairs.iter().copied().collect()).unwrap();
    }

    fn set_active(&self, active: &[(&str, &str)]) {
        *self.active.lock().unwrap() = active
            .iter()
            .map(|(id, name)| ((*id).to_owned(), (*name).to_owned()))
            .collect();
    }
}

async fn serve_scripted(
    mut socket: TcpStream,
    active: Arc<Mutex<Vec<(String, String)>>>,
    rows: broadcast::Sender<Attributes>,
) {
    let mut decoder = Decoder::new(Limits::default());
    let mut buf = vec![0u8; 16 * 1024];
    // The running listen: its tag and its rows.
    let mut listen: Option<(Option<String>, broadcast::Receiver<Attributes>)> = None;
    loop {
        let mut out = Vec::new();
        while let Ok(Some(sentence)) = decoder.next_sentence() {
            let req = Request::parse(&sentence).unwrap();
            let tag = req.tag().map(str::to_owned);
            let tag = tag.as_deref();
            match req.command.as_str() {
                "/login" | "/quit" => {}
                "/ppp/active/print" => {
                    for (id, name) in active.lock().unwrap().iter() {
                        let lookup = |key: &str| match key {
                            ".id" => Some(id.clone()),
                            "name" => Some(name.clone()),
                            _ => None,
                        };
                        if req.matches(lookup) {
                            let row = [(".id", id.as_str()), ("name", name.as_str())];
                            Reply::re(row.into_iter().collect())
                                .with_tag(tag)
                                .encode(&mut out);
                        }
                    }
                }
                "/ppp/active/listen" => {
                    listen = Some((tag.map(str::to_owned), rows.subscribe()));
                    continue;
                }
                "/system/identity/print" => {
                    Reply::re([("name", "scripted")].into_iter().collect())
                        .with_tag(tag)
                        .encode(&mut out);
                }
                "/cancel" => {
                    if let Some((listen_tag, _)) = listen.take() {
                        Reply::trap(Some(2), "interrupted")
                            .with_tag(listen_tag.as_deref())
                            .encode(&mut out);
                        Reply::done().with_tag(tag).encode(&mut out);
                        Reply::done()
                            .with_tag(listen_tag.as_deref())
                            .encode(&mut out);
                        continue;
                    }
                }
                _ => Reply::trap(None, "no such command")
                    .with_tag(tag)
                    .encode(&mut out),
            }
            Reply::done().with_tag(tag).encode(&mut out);
        }
        if !out.is_empty() && socket.write_all(&out).await.is_err() {
            return;
        }
        let row = async {
            match listen.as_mut() {
                Some((tag, rx)) => rx.recv().await.ok().map(|row| (tag.clone(), row)),
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            read = socket.read(&mut buf) => match read {
                Ok(0) | Err(_) => return,
                Ok(n) => decoder.feed(&buf[..n]),
            },
            Some((tag, row)) = row => {
                let mut out = Vec::new();
                Reply::re(row).with_tag(tag.as_deref()).encode(&mut out);
                if socket.write_all(&out).await.is_err() {
                    return;
                }
            }
        }
    }
}

#[tokio::test]
async fn listen_rows_as_routeros_sends_them() {
    let router = Scripted::start(&[("*1", "john")]).await;
    let (mut rx, task) = spawn_watcher(client_for(router.port), settings());
    assert_eq!(next(&mut rx).await, snapshot(&["john"]));
    // The listen runs (it was sent before the print that the snapshot came from).
    // A second session of john, with more than the .proplist asked for: no second Up. The
    // next event is ann's Up, so nothing came in between.
    router.send(&[(".id", "*2"), ("name", "john"), ("address", "10.20.128.9")]);
    router.send(&[(".id", "*3"), ("name", "ann")]);
    assert_eq!(next(&mut rx).await, up("ann"));
    // One of john's two sessions ends (RouterOS 7.23+: `.dead=true`, only the id): no Down.
    router.send(&[(".id", "*1"), (".dead", "true")]);
    // The documentation's spelling.
    router.send(&[(".id", "*3"), (".dead", "yes")]);
    assert_eq!(next(&mut rx).await, down("ann"));
    // A dead row for an id never seen (ended before the print): nothing.
    router.send(&[(".id", "*77"), (".dead", "true")]);
    // A new id without its name: the watcher asks for it by id.
    router.set_active(&[("*2", "john"), ("*4", "bob")]);
    router.send(&[(".id", "*4")]);
    assert_eq!(next(&mut rx).await, up("bob"));
    router.send(&[(".id", "*2"), (".dead", "true")]);
    assert_eq!(next(&mut rx).await, down("john"));
    drop(rx);
    finishes(task).await;
}
