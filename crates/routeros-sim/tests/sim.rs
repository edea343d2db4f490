//! The simulator over real TCP, spoken to with raw sentences through `routeros-api`'s codec
//! (not its client, so that the two are tested against each other only where intended).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use routeros_api::codec::{Decoder, Limits, encode_sentence};
use routeros_sim::{Fault, SecretSpec, SimError, SimServer, SimState};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Every wait is bounded, so a bug fails a test instead of hanging it.
const PATIENCE: Duration = Duration::from_secs(20);

type S = Vec<String>;

struct Client {
    stream: TcpStream,
    decoder: Decoder,
    buf: Vec<u8>,
    /// How long a read may wait; `None` on a paused clock, where tokio advances virtual time
    /// to the next timer even while bytes wait unread on a socket, so a timeout could fire
    /// before an answer that is already there.
    patience: Option<Duration>,
}

impl Client {
    async fn connect(addr: SocketAddr) -> Self {
        Self {
            stream: TcpStream::connect(addr).await.unwrap(),
            decoder: Decoder::new(Limits::default()),
            buf: vec![0; 64 * 1024],
            patience: Some(PATIENCE),
        }
    }

    async fn login(addr: SocketAddr) -> Self {
        Self::connect(addr).await.logged_in().await
    }

    /// Logs in with no timer of its own, for a paused clock (see [`Client::patience`]).
    async fn login_untimed(addr: SocketAddr) -> Self {
        let mut c = Self::connect(addr).await;
        c.patience = None;
        c.logged_in().await
    }

    async fn logged_in(mut self) -> Self {
        let reply = self.call(&["/login", "=name=admin", "=password=pw"]).await;
        assert_eq!(reply, [["!done"]]);
        self
    }

    async fn send(&mut self, words: &[&str]) {
        let mut bytes = Vec::new();
        encode_sentence(words, &mut bytes);
        self.stream.write_all(&bytes).await.unwrap();
    }

    /// The next sentence, `None` at end of stream.
    async fn recv(&mut self) -> Option<S> {
        loop {
            if let Some(s) = self.decoder.next_sentence().unwrap() {
                return Some(
                    s.words()
                        .iter()
                        .map(|w| String::from_utf8_lossy(w).into_owned())
                        .collect(),
                );
            }
            let read = match self.patience {
                Some(patience) => tokio::time::timeout(patience, self.stream.read(&mut self.buf))
                    .await
                    .expect("no reply in time"),
                None => self.stream.read(&mut self.buf).await,
            };
            match read {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.decoder.feed(&self.buf[..n]),
            }
        }
    }

    async fn expect(&mut self) -> S {
        self.recv().await.expect("connection closed")
    }

    /// Sentences up to and including the `!done` of an untagged command.
    async fn call(&mut self, words: &[&str]) -> Vec<S> {
        self.send(words).await;
        let mut replies = Vec::new();
        loop {
            let s = self.expect().await;
            let done = s[0] == "!done";
            replies.push(s);
            if done {
                return replies;
            }
        }
    }

    /// Asserts that the server closed the connection (after any sentences already sent).
    async fn expect_closed(&mut self) -> Vec<S> {
        let mut rest = Vec::new();
        while let Some(s) = self.recv().await {
            rest.push(s);
        }
        rest
    }
}

fn attrs(sentence: &[String]) -> HashMap<&str, &str> {
    sentence
        .iter()
        .filter_map(|w| w.strip_prefix('='))
        .filter_map(|w| w.split_once('='))
        .collect()
}

fn tag_of(sentence: &[String]) -> Option<&str> {
    sentence.iter().find_map(|w| w.strip_prefix(".tag="))
}

fn rows(replies: &[S]) -> Vec<HashMap<&str, &str>> {
    replies
        .iter()
        .filter(|s| s[0] == "!re")
        .map(|s| attrs(s))
        .collect()
}

fn trap(message: &str) -> Vec<S> {
    vec![
        vec!["!trap".to_owned(), format!("=message={message}")],
        vec!["!done".to_owned()],
    ]
}

async fn server(state: SimState) -> SimServer {
    SimServer::start(state.with_user("admin", "pw"))
        .await
        .unwrap()
}

#[tokio::test]
async fn login_plain_refused_and_before_login() {
    let srv = server(SimState::new()).await;
    let mut c = Client::connect(srv.addr()).await;
    assert_eq!(c.call(&["/ppp/secret/print"]).await, trap("not logged in"));
    assert_eq!(
        c.call(&["/login", "=name=admin", "=password=wrong"]).await,
        trap("invalid user name or password (6)")
    );
    assert_eq!(
        c.call(&["/login", "=name=nobody", "=password=pw"]).await,
        trap("invalid user name or password (6)")
    );
    // Like RouterOS 6.43+, a bare /login still gets a challenge, whose answer is refused.
    let reply = c.call(&["/login"]).await;
    let challenge = attrs(&reply[0])["ret"].to_owned();
    let response = legacy_response("pw", &challenge);
    assert_eq!(
        c.call(&["/login", "=name=admin", &format!("=response={response}")])
            .await,
        trap("invalid user name or password (6)")
    );
    assert_eq!(
        c.call(&["/login", "=name=admin", "=password=pw"]).await,
        [["!done"]]
    );
    assert_eq!(c.call(&["/system/identity/print"]).await.len(), 2);

    // The refuse-login fault, on and off at run time.
    srv.state().set_refuse_login(true);
    let mut c = Client::connect(srv.addr()).await;
    assert_eq!(
        c.call(&["/login", "=name=admin", "=password=pw"]).await,
        trap("invalid user name or password (6)")
    );
    srv.state().set_refuse_login(false);
    assert_eq!(
        c.call(&["/login", "=name=admin", "=password=pw"]).await,
        [["!done"]]
    );
}

/// The client's side of the legacy login (routeros-api checks it against a known vector).
fn legacy_response(password: &str, challenge_hex: &str) -> String {
    routeros_api::proto::legacy_login_response(password, challenge_hex).unwrap()
}

#[tokio::test]
async fn login_legacy_challenge() {
    let state = SimState::new();
    state.set_legacy_login(true);
    let srv = server(state).await;
    let mut c = Client::connect(srv.addr()).await;
    // A client trying the plain login first gets a challenge, as from RouterOS < 6.43.
    let reply = c.call(&["/login", "=name=admin", "=password=pw"]).await;
    assert_eq!(reply.len(), 1);
    let challenge = attrs(&reply[0])["ret"].to_owned();
    assert_eq!(challenge.len(), 32);
    assert!(challenge.chars().all(|c| c.is_ascii_hexdigit()));
    // A wrong response fails, and the challenge is used up.
    let bad = legacy_response("wrong", &challenge);
    assert_eq!(
        c.call(&["/login", "=name=admin", &format!("=response={bad}")])
            .await,
        trap("cannot log in")
    );
    let reply = c.call(&["/login"]).await;
    let challenge = attrs(&reply[0])["ret"].to_owned();
    let good = legacy_response("pw", &challenge);
    assert_eq!(
        c.call(&["/login", "=name=admin", &format!("=response={good}")])
            .await,
        [["!done"]]
    );
    assert_eq!(
        rows(&c.call(&["/system/identity/print"]).await)[0]["name"],
        "MikroTik"
    );
}

#[tokio::test]
async fn add_print_by_query_set_remove() {
    let srv = server(SimState::new()).await;
    let state = srv.state().clone();
    let mut c = Client::login(srv.addr()).await;
    let reply = c
        .call(&[
            "/ppp/secret/add",
            "=name=budi",
            "=password=rahasia123",
            "=service=pppoe",
            "=profile=Basic",
            "=remote-address=10.20.0.9",
            "=comment=Budi Santoso",
        ])
        .await;
    assert_eq!(reply, [["!done", "=ret=*1"]]);
    let reply = c
        .call(&["/ppp/secret/add", "=name=siti", "=password=x"])
        .await;
    assert_eq!(reply, [["!done", "=ret=*2"]]);

    let reply = c.call(&["/ppp/secret/print", "?name=budi"]).await;
    assert_eq!(reply.len(), 2);
    let row = &rows(&reply)[0];
    for (key, value) in [
        (".id", "*1"),
        ("name", "budi"),
        ("service", "pppoe"),
        ("caller-id", ""),
        ("password", "rahasia123"),
        ("profile", "Basic"),
        ("routes", ""),
        ("ipv6-routes", ""),
        ("limit-bytes-in", "0"),
        ("limit-bytes-out", "0"),
        ("remote-address", "10.20.0.9"),
        ("disabled", "false"),
        ("comment", "Budi Santoso"),
    ] {
        assert_eq!(row.get(key), Some(&value), "{key}");
    }
    assert!(!row.contains_key("local-address"));

    // set by .id, by name, by a list; enable/disable.
    assert_eq!(
        c.call(&["/ppp/secret/set", "=.id=*1", "=profile=Premium"])
            .await,
        [["!done"]]
    );
    assert_eq!(
        c.call(&["/ppp/secret/set", "=numbers=siti", "=comment=Siti"])
            .await,
        [["!done"]]
    );
    assert_eq!(
        c.call(&["/ppp/secret/disable", "=numbers=*1,siti"]).await,
        [["!done"]]
    );
    assert!(state.secret("budi").unwrap().disabled && state.secret("siti").unwrap().disabled);
    assert_eq!(
        c.call(&["/ppp/secret/enable", "=.id=*2"]).await,
        [["!done"]]
    );
    assert_eq!(
        c.call(&[
            "/ppp/secret/unset",
            "=numbers=budi",
            "=value-name=remote-address"
        ])
        .await,
        [["!done"]]
    );
    let budi = state.secret("budi").unwrap();
    assert_eq!(
        (budi.profile.as_str(), budi.remote_address),
        ("Premium", None)
    );
    assert_eq!(
        state.secret("siti").unwrap().comment.as_deref(),
        Some("Siti")
    );
    assert!(!state.secret("siti").unwrap().disabled);

    // Queries: equality, absence, OR.
    let both = c
        .call(&[
            "/ppp/secret/print",
            "?profile=Premium",
            "?profile=default",
            "?#|",
        ])
        .await;
    assert_eq!(rows(&both).len(), 2);
    let no_comment = c.call(&["/ppp/secret/print", "?-comment"]).await;
    assert_eq!(no_comment, [["!empty"], ["!done"]]); // both have comments now
    let disabled = c.call(&["/ppp/secret/print", "?disabled=true"]).await;
    assert_eq!(rows(&disabled)[0]["name"], "budi");
    // One comparison rule, routeros-api's: values are compared as the API prints them, and
    // it prints booleans as true/false.
    let by_meaning = c.call(&["/ppp/secret/print", "?disabled=yes"]).await;
    assert_eq!(by_meaning, [["!empty"], ["!done"]]);

    assert_eq!(
        c.call(&["/ppp/secret/remove", "=.id=*1"]).await,
        [["!done"]]
    );
    assert!(state.secret("budi").is_none());
    assert_eq!(state.secret_count(), 1);
    assert_eq!(state.writes_to("/ppp/secret/add", "budi"), 1);
    assert_eq!(state.writes_to("/ppp/secret/remove", "budi"), 1);
    assert_eq!(state.write_count(), 8);
    // A later add gets a new, higher id.
    let reply = c.call(&["/ppp/secret/add", "=name=budi"]).await;
    assert_eq!(reply, [["!done", "=ret=*3"]]);
}

#[tokio::test]
async fn traps_like_routeros() {
    let srv = server(SimState::new()).await;
    let state = srv.state().clone();
    let mut c = Client::login(srv.addr()).await;
    assert_eq!(c.call(&["/ppp/secret/add", "=name=dup"]).await.len(), 1);
    assert_eq!(
        c.call(&["/ppp/secret/add", "=name=dup", "=password=other"])
            .await,
        trap("failure: secret with the same name already exists")
    );
    assert_eq!(state.writes_to("/ppp/secret/add", "dup"), 1);
    assert_eq!(state.write_count(), 1);
    let reply = c
        .call(&["/ppp/secret/add", "=name=x", "=profile=Gold"])
        .await;
    assert_eq!(
        reply,
        [
            vec![
                "!trap",
                "=category=1",
                "=message=input does not match any value of profile"
            ],
            vec!["!done"]
        ]
    );
    let reply = c
        .call(&["/ppp/secret/add", "=name=x", "=remote-address=10.1.1.256"])
        .await;
    assert_eq!(
        attrs(&reply[0])["message"],
        "invalid value for argument remote-address"
    );
    assert_eq!(
        c.call(&["/ppp/secret/set", "=.id=*99", "=comment=x"]).await,
        trap("no such item")
    );
    assert_eq!(
        c.call(&["/ppp/secret/remove", "=numbers=ghost"]).await,
        trap("no such item")
    );
    assert_eq!(
        c.call(&["/ppp/active/remove", "=.id=*80000099"]).await,
        trap("no such item")
    );
    assert_eq!(
        c.call(&["/ppp/secret/frobnicate"]).await,
        trap("no such command")
    );
    assert_eq!(
        c.call(&["/ip/firewall/filter/print"]).await,
        trap("no such command prefix")
    );
    assert_eq!(
        c.call(&["/ppp/secret/add", "=name=y", "=colour=red"]).await,
        trap("unknown parameter colour")
    );
    assert_eq!(state.secret_count(), 1);
    assert_eq!(state.write_count(), 1);
}

#[tokio::test]
async fn empty_print_with_and_without_empty_reply() {
    let srv = server(SimState::new()).await;
    let mut c = Client::login(srv.addr()).await;
    assert_eq!(
        c.call(&["/ppp/secret/print"]).await,
        [["!empty"], ["!done"]]
    );
    c.send(&["/ppp/active/print", ".tag=e"]).await;
    assert_eq!(c.expect().await, ["!empty", ".tag=e"]);
    assert_eq!(c.expect().await, ["!done", ".tag=e"]);
    srv.state().set_empty_replies(false);
    assert_eq!(
        c.call(&["/ppp/secret/print", "?name=nobody"]).await,
        [["!done"]]
    );
    // count-only never answers !empty.
    srv.state().set_empty_replies(true);
    assert_eq!(
        c.call(&["/ppp/secret/print", "=count-only="]).await,
        [["!done", "=ret=0"]]
    );
}

#[tokio::test]
async fn proplist_and_count_only() {
    let srv = server(SimState::seeded(300, 3)).await;
    let state = srv.state().clone();
    let mut c = Client::login(srv.addr()).await;
    let reply = c
        .call(&[
            "/ppp/secret/print",
            "=.proplist=.id,name,profile",
            "?profile=VIP",
        ])
        .await;
    let vip = state
        .secrets()
        .into_iter()
        .filter(|s| s.profile == "VIP")
        .count();
    assert!(vip > 0);
    assert_eq!(rows(&reply).len(), vip);
    for row in rows(&reply) {
        let mut keys: Vec<_> = row.keys().copied().collect();
        keys.sort_unstable();
        assert_eq!(keys, [".id", "name", "profile"]);
    }
    let reply = c
        .call(&["/ppp/secret/print", "=count-only=", "?profile=VIP"])
        .await;
    assert_eq!(reply, [vec!["!done".to_owned(), format!("=ret={vip}")]]);
    // .proplist given as an API attribute word works too.
    let reply = c
        .call(&[
            "/ppp/profile/print",
            ".proplist=name,rate-limit",
            "?name=Premium",
        ])
        .await;
    assert_eq!(reply[0], ["!re", "=name=Premium", "=rate-limit=25M/50M"]);
}

#[tokio::test]
async fn profiles_resource_identity_active() {
    let state = SimState::new();
    state.add_example_users().unwrap();
    state.freeze_clock();
    let srv = server(state).await;
    let state = srv.state().clone();
    let mut c = Client::login(srv.addr()).await;
    let profiles = c.call(&["/ppp/profile/print"]).await;
    let rates: HashMap<_, _> = rows(&profiles)
        .iter()
        .filter_map(|r| Some((r["name"].to_owned(), (*r.get("rate-limit")?).to_owned())))
        .collect();
    assert_eq!(rates["Basic"], "5M/10M");
    assert_eq!(rates["Premium"], "25M/50M");
    assert_eq!(rates["Enterprise"], "100M/200M");
    assert!(
        rows(&profiles)
            .iter()
            .any(|r| r["name"] == "default" && r["default"] == "true")
    );

    let reply = c.call(&["/system/resource/print"]).await;
    let resource = rows(&reply)[0].clone();
    assert_eq!(resource["version"], "7.18.2 (stable)");
    assert_eq!(resource["platform"], "MikroTik");
    let identity = c.call(&["/system/identity/set", "=name=ISP-Core"]).await;
    assert_eq!(identity, [["!done"]]);
    assert_eq!(
        rows(&c.call(&["/system/identity/print"]).await)[0]["name"],
        "ISP-Core"
    );

    let active = c.call(&["/ppp/active/print", "?name=john123"]).await;
    let row = rows(&active)[0].clone();
    assert_eq!(row["address"], "192.168.1.100");
    assert_eq!(row["service"], "pppoe");
    assert_eq!(row["caller-id"], "AA:BB:CC:DD:EE:01");
    assert_eq!(row["uptime"], "3h25m");
    assert_eq!(row["radius"], "false");
    for key in [
        ".id",
        "encoding",
        "session-id",
        "limit-bytes-in",
        "limit-bytes-out",
    ] {
        assert!(row.contains_key(key), "{key}");
    }
    // Kick.
    let id = row[".id"].to_owned();
    assert_eq!(
        c.call(&["/ppp/active/remove", &format!("=.id={id}")]).await,
        [["!done"]]
    );
    assert!(state.active_session("john123").is_none());
    let john = state.secret("john123").unwrap();
    assert_eq!(john.last_logged_out, Some(state.now()));
    assert_eq!(john.last_caller_id.as_deref(), Some("AA:BB:CC:DD:EE:01"));
    assert_eq!(state.writes_to("/ppp/active/remove", "john123"), 1);
    let printed = c.call(&["/ppp/secret/print", "?name=john123"]).await;
    assert_eq!(rows(&printed)[0]["last-logged-out"], "2025-06-01 08:00:00");
}

#[tokio::test]
async fn monitor_traffic_once_and_unknown_interface() {
    let state = SimState::new();
    state.add_example_users().unwrap();
    let srv = server(state).await;
    let mut c = Client::login(srv.addr()).await;
    let reply = c
        .call(&[
            "/interface/monitor-traffic",
            "=interface=<pppoe-john123>",
            "=once=",
        ])
        .await;
    assert_eq!(reply.len(), 2);
    let sample = &rows(&reply)[0];
    assert_eq!(sample["name"], "<pppoe-john123>");
    let rx: u64 = sample["rx-bits-per-second"].parse().unwrap();
    let tx: u64 = sample["tx-bits-per-second"].parse().unwrap();
    assert!(
        rx > 0 && rx <= 25_000_000 && tx > 0 && tx <= 50_000_000,
        "{rx} {tx}"
    );
    for key in [
        "rx-packets-per-second",
        "tx-packets-per-second",
        "rx-drops-per-second",
    ] {
        assert!(sample.contains_key(key), "{key}");
    }
    // jane456 is offline: her interface does not exist.
    let reply = c
        .call(&[
            "/interface/monitor-traffic",
            "=interface=<pppoe-jane456>",
            "=once=",
        ])
        .await;
    assert_eq!(
        reply,
        [
            vec![
                "!trap",
                "=category=1",
                "=message=input does not match any value of interface"
            ],
            vec!["!done"]
        ]
    );
    let interfaces = c.call(&["/interface/print"]).await;
    assert_eq!(rows(&interfaces)[0]["name"], "<pppoe-john123>");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tagged_commands_run_concurrently_and_cancel() {
    let state = SimState::new();
    state.add_example_users().unwrap();
    // One sample per command: nothing else arrives until we cancel.
    state.set_monitor_interval(Duration::from_secs(3600));
    let srv = server(state).await;
    let mut c = Client::login(srv.addr()).await;
    c.send(&[
        "/interface/monitor-traffic",
        "=interface=<pppoe-john123>",
        ".tag=mon",
    ])
    .await;
    let first = c.expect().await;
    assert_eq!((first[0].as_str(), tag_of(&first)), ("!re", Some("mon")));
    // The endless monitor does not block other tags.
    c.send(&["/ppp/secret/print", "?name=john123", ".tag=p"])
        .await;
    let re = c.expect().await;
    assert_eq!((re[0].as_str(), tag_of(&re)), ("!re", Some("p")));
    assert_eq!(attrs(&re)["name"], "john123");
    assert_eq!(c.expect().await, ["!done", ".tag=p"]);
    // Cancel it: trap "interrupted" and !done for it, !done for /cancel.
    c.send(&["/cancel", "=tag=mon", ".tag=c"]).await;
    assert_eq!(
        c.expect().await,
        ["!trap", "=category=2", "=message=interrupted", ".tag=mon"]
    );
    assert_eq!(c.expect().await, ["!done", ".tag=c"]);
    assert_eq!(c.expect().await, ["!done", ".tag=mon"]);
    // Cancelling what is not running is harmless.
    c.send(&["/cancel", "=tag=mon", ".tag=c2"]).await;
    assert_eq!(c.expect().await, ["!done", ".tag=c2"]);

    // /cancel without a tag stops everything running; untagged replies have no tag.
    c.send(&[
        "/interface/monitor-traffic",
        "=interface=<pppoe-john123>",
        ".tag=m1",
    ])
    .await;
    c.send(&["/ppp/secret/listen", ".tag=l1"]).await;
    assert_eq!(tag_of(&c.expect().await), Some("m1"));
    // The listener is registered once this reply (which follows it) arrives.
    assert_eq!(c.call(&["/system/identity/print"]).await.len(), 2);
    c.send(&["/cancel"]).await;
    let mut got = Vec::new();
    for _ in 0..5 {
        got.push(c.expect().await);
    }
    assert_eq!(got.iter().filter(|s| s[0] == "!trap").count(), 2);
    assert_eq!(got.iter().filter(|s| s.as_slice() == ["!done"]).count(), 1);
    assert!(got.contains(&vec!["!done".to_owned(), ".tag=m1".to_owned()]));
    assert!(got.contains(&vec!["!done".to_owned(), ".tag=l1".to_owned()]));
}

#[tokio::test]
async fn listen_reports_changes_and_deaths() {
    let srv = server(SimState::new()).await;
    let mut watcher = Client::login(srv.addr()).await;
    let mut writer = Client::login(srv.addr()).await;
    watcher.send(&["/ppp/secret/listen", ".tag=l"]).await;
    // Make sure the listener is in place: a reply to a later command on the same connection.
    watcher.send(&["/system/identity/print", ".tag=sync"]).await;
    assert_eq!(tag_of(&watcher.expect().await), Some("sync"));
    assert_eq!(tag_of(&watcher.expect().await), Some("sync"));

    assert_eq!(
        writer
            .call(&["/ppp/secret/add", "=name=new1", "=profile=VIP"])
            .await
            .len(),
        1
    );
    let re = watcher.expect().await;
    assert_eq!(tag_of(&re), Some("l"));
    assert_eq!(attrs(&re)["name"], "new1");
    assert_eq!(attrs(&re)["profile"], "VIP");
    writer.call(&["/ppp/secret/remove", "=numbers=new1"]).await;
    assert_eq!(
        watcher.expect().await,
        ["!re", "=.id=*1", "=.dead=yes", ".tag=l"]
    );

    // print =follow= prints what exists first, then the changes.
    let mut follower = Client::login(srv.addr()).await;
    writer.call(&["/ppp/secret/add", "=name=a"]).await;
    follower
        .send(&["/ppp/secret/print", "=follow=", "=.proplist=name", ".tag=f"])
        .await;
    assert_eq!(follower.expect().await, ["!re", "=name=a", ".tag=f"]);
    writer
        .call(&["/ppp/secret/set", "=numbers=a", "=name=b"])
        .await;
    assert_eq!(follower.expect().await, ["!re", "=name=b", ".tag=f"]);
    follower.send(&["/cancel", "=tag=f"]).await;
    assert_eq!(follower.expect().await[0], "!trap");
}

#[tokio::test]
async fn rows_sent_are_counted_per_menu() {
    let state = SimState::new();
    state.add_example_users().unwrap();
    let srv = server(state).await;
    let state = srv.state().clone();
    let mut c = Client::login(srv.addr()).await;
    assert_eq!(state.rows_sent("/ppp/secret"), 0);
    c.call(&["/ppp/secret/print", "=.proplist=name"]).await;
    c.call(&["/ppp/secret/print", "?name=john123"]).await;
    c.call(&["/ppp/secret/print", "=count-only="]).await;
    c.call(&["/ppp/secret/print", "?name=ghost"]).await;
    assert_eq!(
        state.rows_sent("/ppp/secret"),
        3,
        "2 + 1 rows; no count, no !empty"
    );
    c.call(&["/ppp/active/print"]).await;
    assert_eq!(state.rows_sent("/ppp/active"), 1);
    c.call(&["/system/identity/print"]).await;
    assert_eq!(state.rows_sent("/system/identity"), 0, "not a table");
    // A listen's rows count too, its .dead rows included.
    c.send(&["/ppp/secret/listen", ".tag=l"]).await;
    c.send(&["/system/identity/print", ".tag=sync"]).await;
    assert_eq!(tag_of(&c.expect().await), Some("sync"));
    assert_eq!(tag_of(&c.expect().await), Some("sync"));
    state.add_secret(SecretSpec::new("new1", "pw")).unwrap();
    assert_eq!(tag_of(&c.expect().await), Some("l"));
    state.disconnect("john123").unwrap();
    assert_eq!(attrs(&c.expect().await)["name"], "john123");
    assert_eq!(state.rows_sent("/ppp/secret"), 5);
    assert_eq!(
        state.rows_sent("/ppp/active"),
        1,
        "nobody listens to /ppp/active"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_print_streams_every_row() {
    let srv = server(SimState::seeded(20_000, 11)).await;
    let state = srv.state().clone();
    let mut c = Client::login(srv.addr()).await;
    let reply = c.call(&["/ppp/secret/print"]).await;
    assert_eq!(reply.len(), 20_001);
    let names: Vec<_> = rows(&reply).iter().map(|r| r["name"].to_owned()).collect();
    let expected: Vec<_> = state.secrets().into_iter().map(|s| s.name).collect();
    assert_eq!(names, expected);
    // Fast path and full scan agree.
    let one = c.call(&["/ppp/secret/print", "?name=budi5"]).await;
    let scanned = c
        .call(&["/ppp/secret/print", "?name=budi5", "?name=budi5"])
        .await;
    assert_eq!(one, scanned);
    let online = c.call(&["/ppp/active/print", "=count-only="]).await;
    assert_eq!(attrs(&online[0])["ret"], state.active_count().to_string());
}

#[tokio::test]
async fn fault_close_on_request_does_not_execute() {
    let srv = server(SimState::new()).await;
    let state = srv.state().clone();
    let mut c = Client::login(srv.addr()).await;
    state.inject(Fault::CloseOnRequest(2));
    assert_eq!(c.call(&["/ppp/secret/add", "=name=first"]).await.len(), 1);
    c.send(&["/ppp/secret/add", "=name=second"]).await;
    assert_eq!(c.expect_closed().await, Vec::<S>::new());
    assert!(state.secret("second").is_none());
    // One-shot: the next connection works.
    let mut c = Client::login(srv.addr()).await;
    assert_eq!(
        c.call(&["/ppp/secret/add", "=name=second"]).await,
        [["!done", "=ret=*2"]]
    );
    assert_eq!(state.connections_accepted(), 2);
}

#[tokio::test]
async fn fault_lose_reply_executes_then_closes() {
    let srv = server(SimState::new()).await;
    let state = srv.state().clone();
    let mut c = Client::login(srv.addr()).await;
    state.inject(Fault::LoseReply(1));
    c.send(&["/ppp/secret/add", "=name=ghost"]).await;
    assert_eq!(c.expect_closed().await, Vec::<S>::new());
    // The change happened: a careful client re-reads before retrying.
    assert!(state.secret("ghost").is_some());
    let mut c = Client::login(srv.addr()).await;
    let reply = c
        .call(&["/ppp/secret/print", "?name=ghost", "=.proplist=name"])
        .await;
    assert_eq!(reply[0], ["!re", "=name=ghost"]);
    assert_eq!(state.writes_to("/ppp/secret/add", "ghost"), 1);
}

#[tokio::test]
async fn fault_close_after_replies_cuts_a_print() {
    let srv = server(SimState::seeded(100, 5)).await;
    let state = srv.state().clone();
    let mut c = Client::login(srv.addr()).await;
    state.inject(Fault::CloseAfterReplies(10));
    c.send(&["/ppp/secret/print"]).await;
    let got = c.expect_closed().await;
    assert_eq!(got.len(), 10);
    assert!(got.iter().all(|s| s[0] == "!re"));
}

#[tokio::test]
async fn fault_fatal_on_request_and_fatal_all() {
    let srv = server(SimState::new()).await;
    let state = srv.state().clone();
    let mut c = Client::login(srv.addr()).await;
    state.inject(Fault::FatalOnRequest {
        n: 1,
        message: "too many commands".to_owned(),
    });
    c.send(&["/ppp/secret/add", "=name=never"]).await;
    assert_eq!(c.expect_closed().await, [["!fatal", "too many commands"]]);
    assert!(state.secret("never").is_none());

    let mut a = Client::login(srv.addr()).await;
    let mut b = Client::login(srv.addr()).await;
    state.fatal_all("router is rebooting");
    assert_eq!(a.expect_closed().await, [["!fatal", "router is rebooting"]]);
    assert_eq!(b.expect_closed().await, [["!fatal", "router is rebooting"]]);

    // /quit as on RouterOS.
    let mut q = Client::login(srv.addr()).await;
    q.send(&["/quit"]).await;
    assert_eq!(
        q.expect_closed().await,
        [["!fatal", "session terminated on request"]]
    );
}

/// On a paused clock, so the delays pass in virtual time and the test waits for none of them;
/// the client sets no timer of its own (see [`Client::patience`]): the server's delay is the
/// only one, and with none set the clock cannot move at all.
#[tokio::test(start_paused = true)]
async fn fault_reply_delay() {
    use tokio::time::Instant;
    let srv = server(SimState::new()).await;
    let state = srv.state().clone();
    let mut c = Client::login_untimed(srv.addr()).await;
    let delay = Duration::from_millis(300);
    state.set_reply_delay(Some(delay));
    let started = Instant::now();
    assert_eq!(c.call(&["/ppp/secret/add", "=name=slow"]).await.len(), 1);
    assert!(started.elapsed() >= delay);
    // The change was made at once; only the answer waited.
    assert!(state.secret("slow").is_some());
    // Tagged: both delayed.
    let started = Instant::now();
    c.send(&["/system/identity/print", ".tag=1"]).await;
    c.send(&["/system/identity/print", ".tag=2"]).await;
    for _ in 0..4 {
        c.expect().await;
    }
    assert!(started.elapsed() >= delay);
    state.set_reply_delay(None);
    let started = Instant::now();
    c.call(&["/system/identity/print"]).await;
    assert_eq!(started.elapsed(), Duration::ZERO, "no delay, no time");
    state.clear_faults();
}

#[tokio::test]
async fn shutdown_closes_connections() {
    let srv = server(SimState::new()).await;
    let state = srv.state().clone();
    let mut c = Client::login(srv.addr()).await;
    assert_eq!(state.open_connections(), 1);
    srv.shutdown().await;
    assert_eq!(c.expect_closed().await, Vec::<S>::new());
    assert_eq!(state.open_connections(), 0);
}

#[tokio::test]
async fn requests_are_logged_without_passwords() {
    let srv = server(SimState::new()).await;
    let state = srv.state().clone();
    let mut c = Client::login(srv.addr()).await;
    c.call(&["/ppp/secret/print", "?name=x", "=.proplist=name"])
        .await;
    let log = state.requests();
    assert_eq!(log[0].command, "/login");
    assert_eq!(log[0].words, ["=name=admin", "=password=***"]);
    assert_eq!(log[1].command, "/ppp/secret/print");
    assert_eq!(log[1].words, ["=.proplist=name", "?name=x"]);
    let _ = SecretSpec::new("unused", "x");
}

/// A state whose clock stands at 2025-06-01 08:00:00, for exact `creation-time`s.
fn frozen_state() -> SimState {
    let state = SimState::new();
    state.freeze_clock();
    state.set_time(routeros_api::value::days_from_civil(2025, 6, 1) * 86_400 + 8 * 3600);
    state
}

/// Makes sure that an endless command sent just before on `c` is registered: the reply to a
/// later command on the same connection comes after it.
async fn sync(c: &mut Client) {
    c.send(&["/system/identity/print", ".tag=sync"]).await;
    assert_eq!(tag_of(&c.expect().await), Some("sync"));
    assert_eq!(tag_of(&c.expect().await), Some("sync"));
}

#[tokio::test]
async fn address_list_add_print_set_remove() {
    let srv = server(frozen_state()).await;
    let state = srv.state().clone();
    let mut c = Client::login(srv.addr()).await;
    const MENU: &str = "/ip/firewall/address-list";
    let cmd = |verb: &str| format!("{MENU}/{verb}");
    assert_eq!(c.call(&[&cmd("print")]).await, [["!empty"], ["!done"]]);
    let reply = c
        .call(&[&cmd("add"), "=list=isolir", "=address=10.20.0.9"])
        .await;
    assert_eq!(reply, [["!done", "=ret=*1"]]);
    let reply = c
        .call(&[
            &cmd("add"),
            "=list=isolir",
            "=address=10.20.0.10/32",
            "=comment=Budi Santoso",
        ])
        .await;
    assert_eq!(reply, [["!done", "=ret=*2"]]);
    // The same address in another list is another entry.
    let reply = c
        .call(&[&cmd("add"), "=list=vip", "=address=10.20.0.9"])
        .await;
    assert_eq!(reply, [["!done", "=ret=*3"]]);

    // As RouterOS 7 prints them: no comment when there is none, no timeout unless set.
    let reply = c.call(&[&cmd("print"), "?list=isolir"]).await;
    assert_eq!(
        reply,
        [
            vec![
                "!re",
                "=.id=*1",
                "=list=isolir",
                "=address=10.20.0.9",
                "=creation-time=2025-06-01 08:00:00",
                "=dynamic=false",
                "=disabled=false",
            ],
            vec![
                "!re",
                "=.id=*2",
                "=list=isolir",
                "=address=10.20.0.10",
                "=creation-time=2025-06-01 08:00:00",
                "=dynamic=false",
                "=disabled=false",
                "=comment=Budi Santoso",
            ],
            vec!["!done"],
        ]
    );
    let reply = c
        .call(&[
            &cmd("print"),
            "=.proplist=.id,address",
            "?list=isolir",
            "?address=10.20.0.10",
        ])
        .await;
    assert_eq!(reply[0], ["!re", "=.id=*2", "=address=10.20.0.10"]);
    let reply = c
        .call(&[&cmd("print"), "=count-only=", "?address=10.20.0.9"])
        .await;
    assert_eq!(reply, [["!done", "=ret=2"]]);
    let reply = c.call(&[&cmd("print"), "?list=nobody"]).await;
    assert_eq!(reply, [["!empty"], ["!done"]]);

    // set by .id, by a list of ids; disable, enable.
    assert_eq!(
        c.call(&[&cmd("set"), "=.id=*1", "=comment=Suspended: unpaid"])
            .await,
        [["!done"]]
    );
    assert_eq!(
        c.call(&[&cmd("set"), "=numbers=*2", "=address=10.20.0.11"])
            .await,
        [["!done"]]
    );
    assert_eq!(
        c.call(&[&cmd("disable"), "=numbers=*1,*2"]).await,
        [["!done"]]
    );
    assert!(
        state
            .address_list_entries("isolir")
            .iter()
            .all(|e| e.disabled)
    );
    assert_eq!(c.call(&[&cmd("enable"), "=.id=*2"]).await, [["!done"]]);
    let isolir = state.address_list_entries("isolir");
    assert_eq!(isolir.len(), 2);
    assert_eq!(
        (isolir[0].comment.as_deref(), isolir[0].disabled),
        (Some("Suspended: unpaid"), true)
    );
    assert_eq!(
        (isolir[1].address.as_str(), isolir[1].disabled),
        ("10.20.0.11", false)
    );
    // An empty comment is no comment.
    c.call(&[&cmd("set"), "=.id=*1", "=comment="]).await;
    let reply = c.call(&[&cmd("print"), "?.id=*1"]).await;
    assert!(!rows(&reply)[0].contains_key("comment"));

    // remove by a list of ids.
    assert_eq!(c.call(&[&cmd("remove"), "=.id=*1,*3"]).await, [["!done"]]);
    let left = state.address_list();
    assert_eq!(left.len(), 1);
    assert_eq!(
        (left[0].list.as_str(), left[0].address.as_str()),
        ("isolir", "10.20.0.11")
    );
    // The write log names entries by address: 3 adds, 3 sets, a disable, an enable, a remove.
    assert_eq!(state.writes_to(&cmd("add"), "10.20.0.9"), 2);
    assert_eq!(state.writes_to(&cmd("set"), "10.20.0.11"), 1);
    assert_eq!(state.writes_to(&cmd("remove"), "10.20.0.9"), 1);
    assert_eq!(state.write_count(), 9);

    // The test API adds as `add` does, without logging a write.
    let id = state
        .add_address_list_entry("isolir", "10.20.0.12", Some("Siti"))
        .unwrap();
    assert_eq!(id.to_string(), "*4");
    let reply = c.call(&[&cmd("print"), "?comment=Siti"]).await;
    assert_eq!(rows(&reply)[0]["address"], "10.20.0.12");
    assert_eq!(state.write_count(), 9);
}

#[tokio::test]
async fn address_list_refuses_duplicates_and_incomplete_entries() {
    let srv = server(SimState::new()).await;
    let state = srv.state().clone();
    let mut c = Client::login(srv.addr()).await;
    let add = "/ip/firewall/address-list/add";
    assert_eq!(
        c.call(&[add, "=list=isolir", "=address=10.20.0.9"]).await,
        [["!done", "=ret=*1"]]
    );
    // The same list and address, however the address is written.
    for address in ["=address=10.20.0.9", "=address=10.20.0.9/32"] {
        assert_eq!(
            c.call(&[add, "=list=isolir", address, "=comment=again"])
                .await,
            trap("failure: already have such entry")
        );
    }
    assert_eq!(
        state.add_address_list_entry("isolir", "10.20.0.9", None),
        Err(SimError::DuplicateEntry)
    );
    // Moving another entry onto it is a duplicate too.
    c.call(&[add, "=list=isolir", "=address=10.20.0.10"]).await;
    assert_eq!(
        c.call(&[
            "/ip/firewall/address-list/set",
            "=.id=*2",
            "=address=10.20.0.9"
        ])
        .await,
        trap("failure: already have such entry")
    );
    assert_eq!(
        c.call(&[add, "=list=isolir"]).await,
        trap("failure: address not specified")
    );
    assert_eq!(
        c.call(&[add, "=address=10.20.0.11"]).await,
        trap("failure: list not specified")
    );
    let reply = c.call(&[add, "=list=isolir", "=address=10.20.0.300"]).await;
    assert_eq!(
        attrs(&reply[0])["message"],
        "invalid value for argument address"
    );
    assert_eq!(
        c.call(&[add, "=list=isolir", "=address=10.20.0.11", "=colour=red"])
            .await,
        trap("unknown parameter colour")
    );
    // Entries have no names: numbers are ids.
    assert_eq!(
        c.call(&["/ip/firewall/address-list/remove", "=numbers=isolir"])
            .await,
        trap("no such item")
    );
    assert_eq!(
        c.call(&["/ip/firewall/address-list/remove", "=.id=*1,*9"])
            .await,
        trap("no such item")
    );
    assert_eq!(
        c.call(&["/ip/firewall/address-list/unset", "=.id=*1"])
            .await,
        trap("no such command")
    );
    // Failed adds used no id.
    assert_eq!(
        c.call(&[add, "=list=isolir", "=address=10.20.0.11"]).await,
        [["!done", "=ret=*3"]]
    );
    assert_eq!(state.address_list().len(), 3);
    assert_eq!(state.writes_to(add, "10.20.0.9"), 1);
    assert_eq!(state.write_count(), 3);
}

#[tokio::test]
async fn address_list_timeout_counts_down_then_the_entry_goes() {
    let srv = server(frozen_state()).await;
    let state = srv.state().clone();
    let mut c = Client::login(srv.addr()).await;
    let reply = c
        .call(&[
            "/ip/firewall/address-list/add",
            "=list=isolir",
            "=address=10.20.0.9",
            "=timeout=1h",
        ])
        .await;
    assert_eq!(reply, [["!done", "=ret=*1"]]);
    state.advance_clock(Duration::from_secs(90));
    let reply = c.call(&["/ip/firewall/address-list/print"]).await;
    let row = &rows(&reply)[0];
    assert_eq!((row["timeout"], row["dynamic"]), ("58m30s", "true"));
    state.advance_clock(Duration::from_secs(3600));
    assert_eq!(
        c.call(&["/ip/firewall/address-list/print"]).await,
        [["!empty"], ["!done"]]
    );
    assert!(state.address_list().is_empty());
}

#[tokio::test]
async fn address_list_listen_reports_adds_and_removals() {
    let srv = server(frozen_state()).await;
    let state = srv.state().clone();
    let mut watcher = Client::login(srv.addr()).await;
    let mut writer = Client::login(srv.addr()).await;
    watcher
        .send(&["/ip/firewall/address-list/listen", ".tag=l"])
        .await;
    sync(&mut watcher).await;

    let reply = writer
        .call(&[
            "/ip/firewall/address-list/add",
            "=list=isolir",
            "=address=10.20.0.9",
            "=comment=Budi",
        ])
        .await;
    assert_eq!(reply, [["!done", "=ret=*1"]]);
    let re = watcher.expect().await;
    assert_eq!(tag_of(&re), Some("l"));
    let row = attrs(&re);
    assert_eq!(
        (row[".id"], row["list"], row["address"], row["comment"]),
        ("*1", "isolir", "10.20.0.9", "Budi")
    );
    // A change made by the test is heard the same way.
    state
        .add_address_list_entry("isolir", "10.20.0.10", None)
        .unwrap();
    assert_eq!(attrs(&watcher.expect().await)["address"], "10.20.0.10");
    writer
        .call(&["/ip/firewall/address-list/remove", "=.id=*1"])
        .await;
    assert_eq!(
        watcher.expect().await,
        ["!re", "=.id=*1", "=.dead=yes", ".tag=l"]
    );
    // Other menus' changes are not the address list's.
    writer.call(&["/ppp/secret/add", "=name=budi"]).await;
    watcher.send(&["/cancel", "=tag=l"]).await;
    assert_eq!(
        watcher.expect().await,
        ["!trap", "=category=2", "=message=interrupted", ".tag=l"]
    );
}

#[tokio::test]
async fn refused_listen_is_no_such_command_and_print_still_works() {
    let state = SimState::new();
    state.add_example_users().unwrap();
    state.set_refuse_listen(true);
    let srv = server(state).await;
    let state = srv.state().clone();
    let mut c = Client::login(srv.addr()).await;
    assert_eq!(
        c.call(&["/ppp/active/listen"]).await,
        trap("no such command")
    );
    c.send(&["/ppp/active/listen", ".tag=l"]).await;
    assert_eq!(
        c.expect().await,
        ["!trap", "=message=no such command", ".tag=l"]
    );
    assert_eq!(c.expect().await, ["!done", ".tag=l"]);
    for words in [
        &["/ppp/secret/print", "=follow="][..],
        &["/ppp/active/print", "=follow-only="],
        &["/ip/firewall/address-list/listen"],
    ] {
        assert_eq!(c.call(words).await, trap("no such command"), "{words:?}");
    }
    // Polling works.
    let reply = c.call(&["/ppp/active/print", "=.proplist=name"]).await;
    assert_eq!(reply, [vec!["!re", "=name=john123"], vec!["!done"]]);

    // Off again: listen is served.
    state.set_refuse_listen(false);
    c.send(&["/ppp/active/listen", ".tag=l2"]).await;
    sync(&mut c).await;
    state.connect("jane456").unwrap();
    let re = c.expect().await;
    assert_eq!((attrs(&re)["name"], tag_of(&re)), ("jane456", Some("l2")));
}
