//! The adapter between event bus and wire, over a fake link, under paused time.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use chrono::{DateTime, Utc};
use whatsapp_rust::types::events::{
    Connected, DecryptFailMode, LoggedOut, StreamReplaced, UnavailableType, UndecryptableMessage,
};
use whatsapp_rust::types::message::{MessageInfo, MessageSource};

use super::*;
use crate::config::PacingConfig;

const ADMIN: &str = "6281234567890";
const ADMIN_JID: &str = "6281234567890@s.whatsapp.net";
const ADMIN_LID: &str = "123456789012345";
const TECH: &str = "6281311112222";
const STRANGER: &str = "6289999999999";

#[derive(Default)]
struct FakeState {
    sent: Mutex<Vec<(Jid, wa::Message, Instant)>>,
    /// How many messages were sent, for tests that wait for one.
    sent_count: tokio::sync::watch::Sender<usize>,
    states: Mutex<Vec<(Jid, ChatState)>>,
    /// How many chat states were set, for tests that wait for one.
    states_set: tokio::sync::watch::Sender<usize>,
    library: Mutex<HashMap<String, String>>,
    contacts: Mutex<HashMap<String, String>>,
    lid_queries: AtomicUsize,
    /// Set: `lids_of` never answers (a usync query lost on the way).
    lids_hang: AtomicBool,
    disconnected: AtomicBool,
    /// The pauses the circuit breaker asked for.
    pauses: Mutex<Vec<Duration>>,
    /// What a media download returns (`None`: it fails).
    media: Mutex<Option<Vec<u8>>>,
}

#[derive(Clone, Default)]
struct FakeLink(Arc<FakeState>);

impl FakeLink {
    fn sent(&self) -> Vec<(Jid, wa::Message, Instant)> {
        lock(&self.0.sent).clone()
    }

    fn sent_texts(&self) -> Vec<String> {
        self.sent()
            .iter()
            .map(|(_, m, _)| {
                m.conversation
                    .clone()
                    .or_else(|| m.extended_text_message.as_option()?.text.clone())
                    .unwrap_or_default()
            })
            .collect()
    }

    fn states(&self) -> Vec<(String, ChatState)> {
        lock(&self.0.states)
            .iter()
            .map(|(j, s)| (j.to_string(), *s))
            .collect()
    }
}

impl Link for FakeLink {
    async fn send(&self, to: &Jid, message: wa::Message) -> Result<String, String> {
        let count = {
            let mut sent = lock(&self.0.sent);
            sent.push((to.clone(), message, Instant::now()));
            sent.len()
        };
        self.0.sent_count.send_replace(count);
        Ok(format!("SENT{count}"))
    }

    async fn chat_state(&self, to: &Jid, state: ChatState) {
        let count = {
            let mut states = lock(&self.0.states);
            states.push((to.clone(), state));
            states.len()
        };
        self.0.states_set.send_replace(count);
    }

    async fn phone_for_lid(&self, lid_user: &str) -> Option<String> {
        lock(&self.0.library).get(lid_user).cloned()
    }

    async fn lids_of(&self, phones: &[String]) -> Result<Vec<(Jid, Option<Jid>)>, String> {
        self.0.lid_queries.fetch_add(1, Ordering::SeqCst);
        if self.0.lids_hang.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
        let contacts = lock(&self.0.contacts).clone();
        Ok(phones
            .iter()
            .map(|p| (Jid::pn(p), contacts.get(p).map(Jid::lid)))
            .collect())
    }

    async fn pause(&self, pause: Duration) {
        lock(&self.0.pauses).push(pause);
    }

    async fn disconnect(&self) {
        self.0.disconnected.store(true, Ordering::SeqCst);
    }

    async fn download(&self, _message: &wa::Message, cap: u64) -> Result<Vec<u8>, String> {
        let media = lock(&self.0.media).clone();
        match media {
            Some(bytes) if bytes.len() as u64 > cap => Err("media over the size cap".to_owned()),
            Some(bytes) => Ok(bytes),
            None => Err("media expired".to_owned()),
        }
    }
}

struct Harness {
    link: FakeLink,
    input: mpsc::UnboundedSender<Input>,
    adapter: Adapter<FakeLink>,
    pump: JoinHandle<Result<(), TerminalError>>,
}

/// A session path of its own per test, in a directory left behind in the system's temporary
/// directory (the adapter writes `<session>.ended` when a run ends without being asked to).
fn config() -> WhatsAppConfig {
    let dir = tempfile::tempdir().unwrap().keep();
    let mut c = WhatsAppConfig::new(dir.join("session.db"));
    c.pacing = PacingConfig {
        seed: Some(1),
        ..PacingConfig::default()
    };
    c.admins = vec![PhoneNumber::parse(ADMIN, "62").unwrap()];
    c.allowed_groups = vec!["120363012345678901@g.us".into()];
    c
}

fn harness_with(link: FakeLink, config: WhatsAppConfig) -> Harness {
    let (tx, rx) = mpsc::unbounded_channel();
    let allowlisted = [
        PhoneNumber::parse(ADMIN, "62").unwrap(),
        PhoneNumber::parse(TECH, "62").unwrap(),
    ];
    let started = start(link.clone(), config, &allowlisted, rx);
    Harness {
        link,
        input: tx,
        adapter: started.adapter,
        pump: started.pump,
    }
}

fn harness() -> Harness {
    harness_with(FakeLink::default(), config())
}

fn ts(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_734_255_000 + s, 0).unwrap()
}

fn info(id: &str, sender: &str, sender_alt: Option<&str>, at: i64) -> MessageInfo {
    let sender: Jid = sender.parse().unwrap();
    MessageInfo {
        id: id.into(),
        source: MessageSource {
            chat: sender.to_non_ad(),
            sender,
            sender_alt: sender_alt.map(|s| s.parse().unwrap()),
            ..Default::default()
        },
        timestamp: ts(at),
        ..Default::default()
    }
}

fn text_event(info: MessageInfo, text: &str) -> Input {
    let message = wa::Message {
        conversation: Some(text.into()),
        ..Default::default()
    };
    Input::Message(Arc::new(message), Arc::new(info))
}

fn dm(id: &str, phone: &str, at: i64, text: &str) -> Input {
    text_event(
        info(id, &format!("{phone}:2@s.whatsapp.net"), None, at),
        text,
    )
}

impl Harness {
    fn push(&self, input: Input) {
        self.input.send(input).unwrap();
    }

    async fn next_ids(&self, n: usize) -> Vec<String> {
        let mut ids = Vec::new();
        for _ in 0..n {
            ids.push(self.adapter.next_message().await.expect("a message").id);
        }
        ids
    }

    /// Reports the connection, as whatsapp-rust does before any message (this resolves the LIDs).
    fn connect(&self) {
        self.push(Input::Event(Arc::new(Event::Connected(
            Connected::builder().build(),
        ))));
    }

    /// Waits until `n` messages have reached the link.
    async fn sent_reach(&self, n: usize) -> Vec<String> {
        let mut count = self.link.0.sent_count.subscribe();
        let _ = count.wait_for(|count| *count >= n).await;
        self.link.sent_texts()
    }

    /// Waits until `n` chat states ("typing", "paused") have reached the link: the presence
    /// task sets them after the adapter asks.
    async fn states_reach(&self, n: usize) -> Vec<(String, ChatState)> {
        let mut set = self.link.0.states_set.subscribe();
        // The sender lives in the link, which the harness holds: `wait_for` cannot fail.
        let _ = set.wait_for(|count| *count >= n).await;
        self.link.states()
    }
}

#[tokio::test(start_paused = true)]
async fn commands_reach_the_engine_in_the_order_sent() {
    let h = harness();
    // whatsapp-rust delivered the admin's second command before the first.
    h.push(dm("A2", ADMIN, 11, "editpppoe x status enable"));
    h.push(dm("A1", ADMIN, 10, "editpppoe x status disable"));
    h.push(dm("T1", TECH, 10, "checkpppoe y"));
    let ids = h.next_ids(3).await;
    let pos = |id: &str| ids.iter().position(|i| i == id).unwrap();
    assert!(pos("A1") < pos("A2"), "{ids:?}");
    assert!(ids.contains(&"T1".to_owned()));
}

#[tokio::test(start_paused = true)]
async fn ignored_messages_never_reach_the_engine() {
    let h = harness();
    let mut own = info("OWN", &format!("{ADMIN}@s.whatsapp.net"), None, 1);
    own.source.is_from_me = true;
    h.push(text_event(own, "delpppoe john123 x"));
    let mut status = info("STATUS", &format!("{ADMIN}@s.whatsapp.net"), None, 2);
    status.source.chat = "status@broadcast".parse().unwrap();
    h.push(text_event(status, "delpppoe john123 x"));
    let mut group = info("GROUP", &format!("{ADMIN}@s.whatsapp.net"), None, 3);
    group.source.chat = "120363099999999999@g.us".parse().unwrap();
    h.push(text_event(group, "delpppoe john123 x"));
    h.push(dm("REAL", ADMIN, 4, "help"));
    assert_eq!(h.next_ids(1).await, ["REAL"]);
}

#[tokio::test(start_paused = true)]
async fn a_notice_to_a_phone_number_goes_to_its_phone_chat() {
    let h = harness();
    h.connect();
    // The engine addresses someone who did not write (a ticket's notice) by number.
    let notice = Outgoing {
        chat: format!("+{ADMIN}"),
        text: "🎫 *TIKET BARU TR001*".into(),
        quoting: None,
        audit: None,
    };
    h.adapter.send(&notice).await.unwrap();
    let sent = h.link.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0.to_string(), ADMIN_JID);
    assert_eq!(
        sent[0].1.conversation.as_deref(),
        Some("🎫 *TIKET BARU TR001*")
    );
    // Anything else that is no chat is refused, not sent somewhere.
    let bad = Outgoing {
        chat: "+12".into(),
        text: "x".into(),
        quoting: None,
        audit: None,
    };
    assert!(h.adapter.send(&bad).await.is_err());
    assert_eq!(h.link.sent().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn replies_quote_the_command_show_typing_and_are_paced() {
    let h = harness();
    h.connect();
    h.push(dm("CMD1", ADMIN, 1, "checkpppoe john123"));
    let incoming = h.adapter.next_message().await.unwrap();
    assert_eq!(incoming.chat, ADMIN_JID);
    // The engine decided to answer it.
    h.adapter.working_on(&incoming);
    assert_eq!(
        h.states_reach(1).await,
        [(ADMIN_JID.to_owned(), ChatState::Composing)]
    );

    let reply = Outgoing {
        chat: incoming.chat.clone(),
        text: "first".into(),
        quoting: Some(incoming.id.clone()),
        audit: None,
    };
    let more = Outgoing {
        chat: incoming.chat.clone(),
        text: "second".into(),
        quoting: None,
        audit: None,
    };
    h.adapter.send(&reply).await.unwrap();
    h.adapter.send(&more).await.unwrap();

    let sent = h.link.sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].0.to_string(), ADMIN_JID);
    let ctx = sent[0]
        .1
        .extended_text_message
        .as_option()
        .and_then(|e| e.context_info.as_option())
        .expect("the reply quotes the command");
    assert_eq!(ctx.stanza_id.as_deref(), Some("CMD1"));
    assert_eq!(ctx.participant.as_deref(), Some(ADMIN_JID));
    assert_eq!(
        ctx.quoted_message
            .as_option()
            .unwrap()
            .conversation
            .as_deref(),
        Some("checkpppoe john123")
    );
    assert_eq!(sent[1].1.conversation.as_deref(), Some("second"));
    assert!(
        sent[1].2 - sent[0].2 >= Duration::from_secs(1),
        "one message per second per chat"
    );
    assert_eq!(
        h.states_reach(2).await,
        [
            (ADMIN_JID.to_owned(), ChatState::Composing),
            (ADMIN_JID.to_owned(), ChatState::Paused)
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn long_replies_are_split_and_only_the_first_part_quotes() {
    let h = harness();
    h.connect();
    h.push(dm("CMD1", ADMIN, 1, "pppoe"));
    let incoming = h.adapter.next_message().await.unwrap();
    let text = format!("{}\n{}", "a".repeat(4000), "b".repeat(1000));
    h.adapter
        .send(&Outgoing {
            chat: incoming.chat,
            text,
            quoting: Some(incoming.id),
            audit: None,
        })
        .await
        .unwrap();
    let sent = h.link.sent();
    assert_eq!(sent.len(), 2);
    assert!(sent[0].1.extended_text_message.is_set());
    assert!(sent[1].1.conversation.is_some());
    assert_eq!(h.link.sent_texts(), ["a".repeat(4000), "b".repeat(1000)]);
}

/// Taking a message shows nothing: whether the bot will answer (and so shows "typing") is
/// the engine's decision (`Queued::will_answer`), not a side effect of reading the inbox.
#[tokio::test(start_paused = true)]
async fn taking_a_message_shows_nothing() {
    let h = harness();
    h.push(dm("S1", STRANGER, 1, "help"));
    let mut chatter = info("G1", &format!("{ADMIN}:1@s.whatsapp.net"), None, 2);
    chatter.source.chat = "120363012345678901@g.us".parse().unwrap();
    h.push(text_event(chatter, "good morning all"));
    let taken = h.next_ids(2).await;
    assert_eq!(taken, ["S1", "G1"]);
    // A message the engine decided to answer goes through the same presence queue: the first
    // state to reach the link is its own.
    h.push(dm("A1", ADMIN, 3, "help"));
    let answered = h.adapter.next_message().await.unwrap();
    h.adapter.working_on(&answered);
    assert_eq!(
        h.states_reach(1).await,
        [(ADMIN_JID.to_owned(), ChatState::Composing)]
    );
}

/// In the real order: the library hands over the offline backlog first and says `Connected`
/// after it. The first message starts resolving the allowlist's LIDs and waits for it.
#[tokio::test(start_paused = true)]
async fn lids_resolved_at_the_first_backlog_message_identify_lid_senders() {
    let link = FakeLink::default();
    lock(&link.0.contacts).insert(ADMIN.into(), ADMIN_LID.into());
    let h = harness_with(link, config());
    // A LID sender without sender_alt, from the backlog.
    h.push(text_event(
        info("L1", &format!("{ADMIN_LID}:5@lid"), None, 1),
        "help pppoe",
    ));
    let incoming = h.adapter.next_message().await.unwrap();
    assert_eq!(
        incoming.sender,
        pppoe_core::Sender::Phone(PhoneNumber::international(ADMIN).unwrap())
    );
    assert_eq!(incoming.sender_lid.as_deref(), Some("123456789012345@lid"));
    assert_eq!(incoming.chat, "123456789012345@lid");
    assert_eq!(h.link.0.lid_queries.load(Ordering::SeqCst), 1);
    // `Connected` after the backlog: not resolved twice on one connection.
    h.connect();
    assert_eq!(
        h.adapter.wait_connected(Duration::from_secs(1)).await,
        LinkState::Connected
    );
    h.push(text_event(
        info("L2", &format!("{ADMIN_LID}@lid"), None, 2),
        "help",
    ));
    assert_eq!(h.adapter.next_message().await.unwrap().id, "L2");
    assert_eq!(h.link.0.lid_queries.load(Ordering::SeqCst), 1);
}

/// A resolution that never answers holds the messages, not the event pump: a session end
/// behind the backlog is seen at once, and the messages go on without the LIDs after
/// `LIDS_WAIT`.
#[tokio::test(start_paused = true)]
async fn a_slow_lid_resolution_holds_the_messages_not_the_event_pump() {
    let link = FakeLink::default();
    link.0.lids_hang.store(true, Ordering::SeqCst);
    let h = harness_with(link.clone(), config());
    let started = Instant::now();
    // Known through sender_alt, so it can go on without the map.
    h.push(text_event(
        info(
            "B1",
            &format!("{ADMIN_LID}@lid"),
            Some(&format!("{ADMIN}@s.whatsapp.net")),
            1,
        ),
        "help",
    ));
    let incoming = h.adapter.next_message().await.unwrap();
    assert_eq!(incoming.id, "B1");
    let waited = started.elapsed();
    assert!(waited >= LIDS_WAIT && waited < LIDS_WAIT * 2, "{waited:?}");
    // Later messages are not held again.
    let started = Instant::now();
    h.push(text_event(
        info(
            "B2",
            &format!("{ADMIN_LID}@lid"),
            Some(&format!("{ADMIN}@s.whatsapp.net")),
            2,
        ),
        "help",
    ));
    assert_eq!(h.adapter.next_message().await.unwrap().id, "B2");
    assert!(started.elapsed() < LIDS_WAIT);

    // Another run: a message waiting for the LIDs, then the session ends.
    let h = harness_with(link, config());
    let started = Instant::now();
    h.push(text_event(
        info("C1", &format!("{ADMIN_LID}@lid"), None, 1),
        "help",
    ));
    h.push(Input::Event(Arc::new(Event::StreamReplaced(
        StreamReplaced::builder().build(),
    ))));
    assert_eq!(
        h.pump.await.unwrap().unwrap_err(),
        TerminalError::StreamReplaced
    );
    assert!(
        started.elapsed() < LIDS_WAIT,
        "the end was not held behind the message"
    );
}

#[tokio::test(start_paused = true)]
async fn wa_rs_lid_store_resolves_lid_senders() {
    let link = FakeLink::default();
    lock(&link.0.library).insert(ADMIN_LID.into(), ADMIN.into());
    let h = harness_with(link, config());
    h.push(text_event(
        info("L1", &format!("{ADMIN_LID}@lid"), None, 1),
        "help pppoe",
    ));
    h.push(text_event(
        info("L2", "999999999999999@lid", None, 2),
        "help pppoe",
    ));
    let first = h.adapter.next_message().await.unwrap();
    assert_eq!(
        first.sender,
        pppoe_core::Sender::Phone(PhoneNumber::international(ADMIN).unwrap())
    );
    let second = h.adapter.next_message().await.unwrap();
    assert_eq!(
        second.sender,
        pppoe_core::Sender::UnresolvedLid("999999999999999@lid".into())
    );
}

fn undecryptable(id: &str, phone: &str) -> Input {
    Input::Event(Arc::new(Event::UndecryptableMessage(
        UndecryptableMessage::builder()
            .info(Arc::new(info(
                id,
                &format!("{phone}@s.whatsapp.net"),
                None,
                1,
            )))
            .is_unavailable(false)
            .unavailable_type(UnavailableType::Unknown)
            .decrypt_fail_mode(DecryptFailMode::Show)
            .build(),
    )))
}

fn logged_out() -> Input {
    Input::Event(Arc::new(Event::LoggedOut(
        LoggedOut::builder()
            .on_connect(false)
            .reason(whatsapp_rust::types::events::ConnectFailureReason::LoggedOut)
            .build(),
    )))
}

#[tokio::test(start_paused = true)]
async fn undecryptable_messages_of_allowlisted_senders_get_please_resend() {
    let h = harness();
    h.connect();
    h.push(undecryptable("U1", ADMIN));
    h.push(undecryptable("U2", STRANGER));
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert!(
        h.link.sent().is_empty(),
        "the library's retry gets its chance first"
    );
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(
        h.link.sent_texts(),
        ["⚠️ Pesan tidak terbaca, kirim ulang."]
    );
    assert_eq!(h.link.sent()[0].0.to_string(), ADMIN_JID);
}

#[tokio::test(start_paused = true)]
async fn no_resend_request_when_the_retry_delivered_the_message() {
    let h = harness();
    h.push(undecryptable("U1", ADMIN));
    h.push(dm("U1", ADMIN, 1, "checkpppoe john123"));
    assert_eq!(h.next_ids(1).await, ["U1"]);
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert!(h.link.sent().is_empty());
}

#[tokio::test(start_paused = true)]
async fn english_resend_request() {
    let mut c = config();
    c.language = pppoe_core::Language::English;
    let h = harness_with(FakeLink::default(), c);
    h.connect();
    h.push(undecryptable("U1", TECH));
    tokio::time::sleep(Duration::from_secs(20)).await;
    assert_eq!(
        h.link.sent_texts(),
        ["⚠️ Message could not be read, please resend."]
    );
}

#[tokio::test(start_paused = true)]
async fn logged_out_ends_the_stream_with_what_to_do() {
    let link = FakeLink::default(); // the connection is gone
    let h = harness_with(link, config());
    h.push(logged_out());
    assert_eq!(h.adapter.next_message().await, None);
    let end = h.pump.await.unwrap().unwrap_err();
    assert!(matches!(end, TerminalError::LoggedOut { .. }));
    assert!(end.to_string().contains("run `pppoe-bot pair` again"));
    assert_eq!(h.adapter.terminal_error(), Some(end));
    let refused = h
        .adapter
        .send(&Outgoing {
            chat: ADMIN_JID.into(),
            text: "x".into(),
            quoting: None,
            audit: None,
        })
        .await
        .unwrap_err();
    assert!(matches!(refused, MessengerError::Disconnected(_)));
    assert!(h.link.sent().is_empty(), "nobody could be notified");
}

#[tokio::test(start_paused = true)]
async fn messages_handed_on_before_the_end_stay_handed_on() {
    let h = harness();
    h.connect();
    h.push(dm("M1", ADMIN, 1, "help"));
    assert_eq!(h.next_ids(1).await, ["M1"]);
    h.push(Input::Event(Arc::new(Event::StreamReplaced(
        StreamReplaced::builder().build(),
    ))));
    assert_eq!(h.adapter.next_message().await, None);
}

#[tokio::test(start_paused = true)]
async fn admins_are_notified_when_the_link_still_works() {
    let h = harness();
    h.connect();
    h.push(Input::Event(Arc::new(Event::StreamReplaced(
        StreamReplaced::builder().build(),
    ))));
    assert_eq!(h.adapter.next_message().await, None);
    assert_eq!(
        h.pump.await.unwrap().unwrap_err(),
        TerminalError::StreamReplaced
    );
    let sent = h.link.sent_texts();
    assert_eq!(sent.len(), 1);
    assert!(sent[0].contains("one process per session file"), "{sent:?}");
}

#[tokio::test(start_paused = true)]
async fn the_admins_are_told_at_the_next_connect_why_the_last_run_ended() {
    let c = config();
    // A logout ends the run; the notice cannot get out, the connection being gone.
    let h = harness_with(FakeLink::default(), c.clone());
    h.push(logged_out());
    assert_eq!(h.adapter.next_message().await, None);
    assert!(h.pump.await.unwrap().is_err());
    assert!(h.link.sent().is_empty());
    let kept = std::fs::read_to_string(c.ended_path()).unwrap();
    assert!(kept.contains("run `pppoe-bot pair` again"), "{kept}");
    // The next run, once re-linked: at its connect the admin is told why and when, once.
    let h = harness_with(FakeLink::default(), c.clone());
    h.connect();
    let sent = h.sent_reach(1).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        sent[0].starts_with("ℹ️ *pppoe-bot aktif kembali*"),
        "{}",
        sent[0]
    );
    assert!(
        sent[0].contains("run `pppoe-bot pair` again"),
        "{}",
        sent[0]
    );
    assert!(sent[0].contains("(UTC"), "{}", sent[0]);
    assert_eq!(h.link.sent()[0].0.to_string(), ADMIN_JID);
    assert!(!c.ended_path().exists(), "told once");
    // A clean stop leaves nothing to tell.
    h.adapter.shutdown().await;
    assert_eq!(h.pump.await.unwrap(), Ok(()));
    assert!(!c.ended_path().exists());
}

#[tokio::test(start_paused = true)]
async fn a_client_that_stops_on_its_own_ends_the_run_for_a_restart() {
    let h = harness_with(FakeLink::default(), config());
    h.push(Input::ClientStopped);
    assert_eq!(h.adapter.next_message().await, None);
    let end = h.pump.await.unwrap().unwrap_err();
    assert_eq!(end, TerminalError::ClientStopped);
    // Not an end the operator must act on: the binary exits with a status systemd restarts.
    assert!(!end.needs_operator());
}

#[tokio::test(start_paused = true)]
async fn shutdown_ends_the_stream_cleanly() {
    let h = harness();
    h.adapter.shutdown().await;
    assert_eq!(h.adapter.next_message().await, None);
    assert_eq!(h.pump.await.unwrap(), Ok(()));
    assert!(h.link.0.disconnected.load(Ordering::SeqCst));
    assert_eq!(h.adapter.terminal_error(), None);
}

/// The connection's state comes from its events, not from asking the client (whose flag can
/// read "disconnected" under lock contention): a reply waits for `Connected` and goes at once
/// when it comes, and a reply while the events say "disconnected" waits again.
#[tokio::test(start_paused = true)]
async fn replies_follow_the_connection_events() {
    let h = Arc::new(harness());
    let reply = Outgoing {
        chat: ADMIN_JID.into(),
        text: "ok".into(),
        quoting: None,
        audit: None,
    };
    let sending = {
        let (h, reply) = (Arc::clone(&h), reply.clone());
        tokio::spawn(async move { h.adapter.send(&reply).await })
    };
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(
        h.link.sent().is_empty(),
        "not connected yet: the reply waits"
    );
    h.connect();
    sending.await.unwrap().unwrap();
    assert_eq!(h.link.sent_texts(), ["ok"]);

    h.push(Input::Event(Arc::new(Event::Disconnected(
        whatsapp_rust::types::events::Disconnected::builder()
            .reason(whatsapp_rust::wacore::net::DisconnectReason::StreamEnded)
            .build(),
    ))));
    tokio::time::sleep(Duration::from_secs(1)).await;
    let refused = h.adapter.send(&reply).await.unwrap_err();
    assert!(
        matches!(refused, MessengerError::Disconnected(_)),
        "{refused}"
    );
    assert_eq!(h.link.sent().len(), 1, "nothing sent while disconnected");
}

fn server_ack(id: &str, error: Option<&str>) -> Input {
    Input::Event(Arc::new(Event::ServerAck(
        whatsapp_rust::types::events::ServerAck::builder()
            .id(id.to_owned())
            .maybe_class(Some("message".to_owned()))
            .maybe_error(error.map(str::to_owned))
            .build(),
    )))
}

fn reply(text: &str) -> Outgoing {
    Outgoing {
        chat: ADMIN_JID.into(),
        text: text.into(),
        quoting: None,
        audit: None,
    }
}

/// Item 3 of issue 10: the server's error ack is not dropped. A refused reply is sent once
/// more; refused again, it is a delivery failure: logged, counted, and written beside the
/// session for `check-config`.
#[tokio::test(start_paused = true)]
async fn a_reply_the_server_refuses_is_sent_once_more_then_counted_as_failed() {
    let c = config();
    let h = harness_with(FakeLink::default(), c.clone());
    h.connect();
    h.adapter.send(&reply("✅ done")).await.unwrap();
    h.push(server_ack("SENT1", Some("479")));
    assert_eq!(h.sent_reach(2).await, ["✅ done", "✅ done"]);
    assert_eq!(h.adapter.delivery_stats().retried, 1);
    // An ack of something else (a receipt) changes nothing.
    h.push(server_ack("RECEIPT-9", Some("400")));
    h.push(server_ack("SENT2", Some("479")));
    h.push(dm("M1", ADMIN, 1, "help"));
    // The pump handled the acks before the message behind them.
    assert_eq!(h.next_ids(1).await, ["M1"]);
    let stats = h.adapter.delivery_stats();
    assert_eq!((stats.delivered, stats.retried, stats.failed), (0, 1, 1));
    let kept = std::fs::read_to_string(c.delivery_path()).unwrap();
    assert!(kept.contains("failed 1"), "{kept}");
    assert!(kept.contains("server error 479"), "{kept}");
    assert_eq!(h.link.sent().len(), 2, "retried once, not more");
}

fn media_event(id: &str, at: i64, message: wa::Message) -> Input {
    Input::Message(
        Arc::new(message),
        Arc::new(info(id, &format!("{ADMIN}:2@s.whatsapp.net"), None, at)),
    )
}

fn image(caption: Option<&str>, size: u64) -> wa::Message {
    wa::Message {
        image_message: whatsapp_rust::waproto::whatsapp::message::ImageMessage {
            caption: caption.map(Into::into),
            mimetype: Some("image/jpeg".into()),
            file_length: Some(size),
            ..Default::default()
        }
        .into(),
        ..Default::default()
    }
}

/// A photo whose caption asks to keep it is downloaded (up to the cap); any other photo is
/// not, and the engine hears which; a location needs no download.
#[tokio::test(start_paused = true)]
async fn photos_are_downloaded_only_for_foto_and_within_the_cap() {
    use pppoe_core::ports::{Attachment, Coordinates};
    let h = harness();
    h.connect();
    *lock(&h.link.0.media) = Some(b"jpeg bytes".to_vec());
    h.push(media_event("P1", 1, image(Some("foto TR001 ONU"), 10)));
    let m = h.adapter.next_message().await.unwrap();
    assert_eq!(m.text, "foto TR001 ONU");
    assert_eq!(
        m.attachment,
        Some(Attachment::File {
            bytes: b"jpeg bytes".to_vec(),
            mime: "image/jpeg".into(),
            name: None,
        })
    );
    // Declared larger than the cap: not downloaded.
    h.push(media_event("P2", 2, image(Some("foto TR001"), 50_000_000)));
    let m = h.adapter.next_message().await.unwrap();
    assert_eq!(
        m.attachment,
        Some(Attachment::TooLarge {
            size: 50_000_000,
            mime: "image/jpeg".into()
        })
    );
    // No caption: the engine is told a photo came, nothing downloaded.
    h.push(media_event("P3", 3, image(None, 10)));
    let m = h.adapter.next_message().await.unwrap();
    assert_eq!(m.text, "");
    assert!(matches!(
        m.attachment,
        Some(Attachment::NotDownloaded { .. })
    ));
    // A download that fails says why.
    *lock(&h.link.0.media) = None;
    h.push(media_event("P4", 4, image(Some("foto john123"), 10)));
    let m = h.adapter.next_message().await.unwrap();
    assert_eq!(
        m.attachment,
        Some(Attachment::NotDownloaded {
            mime: "image/jpeg".into(),
            why: "media expired".into()
        })
    );
    // A stranger cannot make the bot download anything.
    *lock(&h.link.0.media) = Some(b"jpeg bytes".to_vec());
    h.push(Input::Message(
        Arc::new(image(Some("foto TR001"), 10)),
        Arc::new(info("S1", &format!("{STRANGER}:2@s.whatsapp.net"), None, 5)),
    ));
    let m = h.adapter.next_message().await.unwrap();
    assert_eq!(
        m.attachment,
        Some(Attachment::NotDownloaded {
            mime: "image/jpeg".into(),
            why: "the sender is not on the allowlist".into()
        })
    );
    // A location carries its point.
    let location = wa::Message {
        location_message: whatsapp_rust::waproto::whatsapp::message::LocationMessage {
            degrees_latitude: Some(-6.2088),
            degrees_longitude: Some(106.8456),
            ..Default::default()
        }
        .into(),
        ..Default::default()
    };
    h.push(media_event("L1", 6, location));
    let m = h.adapter.next_message().await.unwrap();
    assert_eq!(m.text, "");
    assert_eq!(
        m.attachment,
        Some(Attachment::Location(
            Coordinates::parse("-6.2088,106.8456").unwrap()
        ))
    );
}

/// A send that must know its fate (a customer's notice, audited) learns it from the server's
/// ack, follows its one retry, and says when nothing came.
#[tokio::test(start_paused = true)]
async fn a_confirmed_send_learns_the_servers_verdict_through_the_retry() {
    let h = harness();
    h.connect();
    let out = reply("login");
    let (fate, ()) = tokio::join!(h.adapter.send_confirmed(&out), async {
        h.sent_reach(1).await;
        h.push(server_ack("SENT1", None));
    });
    assert_eq!(fate, Delivery::Acknowledged);
    // Refused, then taken on the retry: delivered.
    let out = reply("two");
    let (fate, ()) = tokio::join!(h.adapter.send_confirmed(&out), async {
        h.sent_reach(2).await;
        h.push(server_ack("SENT2", Some("479")));
        h.sent_reach(3).await;
        h.push(server_ack("SENT3", None));
    });
    assert_eq!(fate, Delivery::Acknowledged);
    // Refused twice: refused, with the server's code.
    let out = reply("three");
    let (fate, ()) = tokio::join!(h.adapter.send_confirmed(&out), async {
        h.sent_reach(4).await;
        h.push(server_ack("SENT4", Some("463")));
        h.sent_reach(5).await;
        h.push(server_ack("SENT5", Some("463")));
    });
    assert_eq!(fate, Delivery::Refused("server error 463".into()));
    // No ack at all, for the message nor its retry: not known.
    let fate = h.adapter.send_confirmed(&reply("four")).await;
    assert_eq!(fate, Delivery::Unconfirmed);
    assert_eq!(h.link.sent().len(), 7);
}

/// A long notice goes out in parts; its fate is that of all of them: a part refused twice
/// makes it refused, even when the last part arrived.
#[tokio::test(start_paused = true)]
async fn a_confirmed_send_in_parts_is_only_delivered_when_every_part_is() {
    let h = harness();
    h.connect();
    let out = reply(&"kata ".repeat(1500));
    let (fate, ()) = tokio::join!(h.adapter.send_confirmed(&out), async {
        h.sent_reach(2).await;
        // The first part is refused (twice), the last one arrives.
        h.push(server_ack("SENT1", Some("479")));
        h.push(server_ack("SENT2", None));
        h.sent_reach(3).await;
        h.push(server_ack("SENT3", Some("479")));
    });
    assert_eq!(fate, Delivery::Refused("server error 479".into()));
    let (fate, ()) = tokio::join!(h.adapter.send_confirmed(&out), async {
        h.sent_reach(5).await;
        h.push(server_ack("SENT4", None));
        h.push(server_ack("SENT5", None));
    });
    assert_eq!(fate, Delivery::Acknowledged);
}

/// A reply the server never acknowledges is sent once more after a minute, and counted as
/// failed a minute after that; an acknowledged one is counted as delivered.
#[tokio::test(start_paused = true)]
async fn a_reply_without_ack_is_retried_after_a_minute() {
    let h = harness();
    h.connect();
    h.adapter.send(&reply("first")).await.unwrap();
    h.adapter.send(&reply("second")).await.unwrap();
    h.push(server_ack("SENT2", None));
    tokio::time::sleep(Duration::from_secs(59)).await;
    assert_eq!(h.link.sent().len(), 2, "no retry before the minute is up");
    assert_eq!(h.sent_reach(3).await, ["first", "second", "first"]);
    tokio::time::sleep(Duration::from_secs(61)).await;
    let stats = h.adapter.delivery_stats();
    assert_eq!((stats.delivered, stats.retried, stats.failed), (1, 1, 1));
    assert_eq!(h.link.sent().len(), 3);
}

fn stream_error(code: &str) -> Input {
    Input::Event(Arc::new(Event::StreamError(
        whatsapp_rust::types::events::StreamError::builder()
            .code(code.to_owned())
            .build(),
    )))
}

/// Item 4 of issue 10: a connection that fails over and over (here six stream errors within
/// a minute) stops the client for a pause that grows at each trip, instead of reconnecting
/// at once, for ever.
#[tokio::test(start_paused = true)]
async fn a_stream_error_loop_pauses_the_client_with_a_growing_pause() {
    let h = harness();
    h.connect();
    for _ in 0..5 {
        h.push(stream_error("515"));
        h.connect();
    }
    h.push(dm("M1", ADMIN, 1, "help"));
    assert_eq!(h.next_ids(1).await, ["M1"]);
    assert!(
        lock(&h.link.0.pauses).is_empty(),
        "five failures are tolerated"
    );
    h.push(stream_error("515"));
    for _ in 0..6 {
        h.push(stream_error("503"));
    }
    h.push(dm("M2", ADMIN, 2, "help"));
    assert_eq!(h.next_ids(1).await, ["M2"]);
    tokio::task::yield_now().await;
    assert_eq!(
        *lock(&h.link.0.pauses),
        [Duration::from_secs(30), Duration::from_secs(60)]
    );
}

/// The server's ack is read on another task and can be handled before the send returns: the
/// reply is settled when recorded and not sent a second time.
#[tokio::test(start_paused = true)]
async fn an_ack_handled_before_the_send_returned_is_not_a_lost_reply() {
    let h = harness();
    h.connect();
    h.push(server_ack("SENT1", None));
    h.push(dm("M1", ADMIN, 1, "help"));
    // The pump handled the ack (and the message behind it) before the reply was recorded.
    assert_eq!(h.next_ids(1).await, ["M1"]);
    h.adapter.send(&reply("✅ done")).await.unwrap();
    tokio::time::sleep(Duration::from_secs(180)).await;
    assert_eq!(h.link.sent_texts(), ["✅ done"], "not retried");
    assert_eq!(h.adapter.delivery_stats().delivered, 1);
}
