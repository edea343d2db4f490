//! The adapter proper, generic over the [`Link`] to WhatsApp so that everything between the
//! event bus and the wire runs in tests with a fake link: the event pump (translation,
//! identity, reordering, resend notices, lifecycle) and the `Messenger` side (typing, quoting,
//! splitting, pacing).
//!
//! ```text
//!  whatsapp-rust event bus ──(sync handler: push, in dispatch order)──▶ unbounded channel
//!       │
//!       ▼  one pump task
//!  translate + resolve sender ──▶ Reorder (window) ──▶ inbox (bounded) ──▶ next_message
//!       │ undecryptable: ResendNotices (grace) ──▶ "please resend"        (engine.enqueue
//!       │ lifecycle: log; Connected: resolve LIDs;                         in this order)
//!       │            terminal: end the stream, notify admins
//!  send(Outgoing) ──▶ split ──▶ wait for link ──▶ Pacer ──▶ Link::send (quoting the command)
//! ```

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use pppoe_core::{Clock, Delivery, Incoming, MessengerError, Outgoing, PhoneNumber, SystemClock};
use tokio::sync::{Notify, mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use whatsapp_rust::Jid;
use whatsapp_rust::types::events::Event;
use whatsapp_rust::types::message::MessageInfo;
use whatsapp_rust::waproto::whatsapp as wa;

use crate::breaker::Breaker;
use crate::config::WhatsAppConfig;
use crate::delivery::{Deliveries, Pending, Verdict};
use crate::error::TerminalError;
use crate::identity::{Allowlist, LidMap, phone_jid_string, user_part};
use crate::lifecycle::{self, Lifecycle};
use crate::outgoing::{
    QuoteCache, Quoted, back_notice, build_text_message, chunk_text, terminal_notice,
    undecryptable_notice,
};
use crate::pacing::Pacer;
use crate::reorder::{Reorder, ResendNotices, ResendRequest};
use crate::translate::{Media, Translation, Translator, media_of};
use crate::typing::{ChatState, Typing};

/// How long a send waits for a dropped connection to come back.
const SEND_WAIT: Duration = Duration::from_secs(30);
/// How long the first message waits for the start-up LID resolution.
const LIDS_WAIT: Duration = Duration::from_secs(10);
/// How long a photo's download may take (it holds up the messages behind it).
const MEDIA_WAIT: Duration = Duration::from_secs(60);

/// How long the admins' notice may take when the link ends.
const NOTICE_WAIT: Duration = Duration::from_secs(5);
/// Commands remembered for quoting.
const QUOTES: usize = 1024;
/// Messages waiting for the engine.
const INBOX: usize = 256;
/// A command without a reply stops counting as "typing" after this.
const TYPING_TTL: Duration = Duration::from_secs(60);

/// What the adapter needs from WhatsApp. The live implementation wraps the library's `Client`.
/// Whether the link is connected is not asked of it: the adapter follows the connection's
/// events (a client's own flag can read "disconnected" while its lock is busy).
pub(crate) trait Link: Send + Sync + 'static {
    /// Sends one message; `Ok` with the id it went out under.
    fn send(
        &self,
        to: &Jid,
        message: wa::Message,
    ) -> impl Future<Output = Result<String, String>> + Send;
    /// Sets the chat state ("typing…").
    fn chat_state(&self, to: &Jid, state: ChatState) -> impl Future<Output = ()> + Send;
    /// the library's LID store: the phone digits of a LID user, if learned.
    fn phone_for_lid(&self, lid_user: &str) -> impl Future<Output = Option<String>> + Send;
    /// The contacts API: each number's phone JID and LID (if any).
    fn lids_of(
        &self,
        phones: &[String],
    ) -> impl Future<Output = Result<Vec<(Jid, Option<Jid>)>, String>> + Send;
    /// Stops the client for `pause`, then connects again (the circuit breaker's pause).
    fn pause(&self, pause: Duration) -> impl Future<Output = ()> + Send;
    /// Closes the link for good.
    fn disconnect(&self) -> impl Future<Output = ()> + Send;
    /// Downloads the photo or document of `message`, refusing more than `cap` bytes.
    fn download(
        &self,
        message: &wa::Message,
        cap: u64,
    ) -> impl Future<Output = Result<Vec<u8>, String>> + Send;
}

/// What reaches the pump, in event-bus order.
#[derive(Debug)]
pub(crate) enum Input {
    /// A message (each message of a batch on its own, in the batch's order).
    Message(Arc<wa::Message>, Arc<MessageInfo>),
    /// Another event of the bus.
    Event(Arc<Event>),
    /// The library's run loop ended.
    ClientStopped,
}

impl Input {
    /// A message, or an undecryptable one: what waits for the allowlist's LIDs.
    fn is_message(&self) -> bool {
        match self {
            Self::Message(..) => true,
            Self::Event(event) => matches!(**event, Event::UndecryptableMessage(_)),
            Self::ClientStopped => false,
        }
    }
}

/// The state of the link, for `connect` and for senders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LinkState {
    /// Not connected yet (or reconnecting).
    Connecting,
    /// Connected and logged in.
    Connected,
    /// Ended: by shutdown (`None`) or for good (`Some`).
    Ended(Option<TerminalError>),
}

pub(crate) struct Shared<L> {
    link: L,
    config: WhatsAppConfig,
    allowlist: Allowlist,
    pacer: Pacer,
    typing: Mutex<Typing>,
    quotes: Mutex<QuoteCache>,
    translator: RwLock<Translator>,
    presence: mpsc::UnboundedSender<(Jid, ChatState)>,
    state: watch::Sender<LinkState>,
    /// Replies waiting for the server's ack; the watchdog task wakes on `deliveries_changed`.
    deliveries: Mutex<Deliveries>,
    deliveries_changed: Arc<Notify>,
    /// Sends waiting to learn their fate ([`Adapter::send_confirmed`]), by the message id of
    /// their latest try.
    confirmations: Mutex<HashMap<String, oneshot::Sender<Delivery>>>,
    lids_ready: watch::Sender<bool>,
    shutdown: watch::Sender<bool>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What a message that did not get through after its retry became: refused with the server's
/// code, not sent, or never acknowledged.
fn final_fate(pending: &Pending, send_error: Option<&str>) -> Delivery {
    match (send_error, &pending.error) {
        (Some(e), _) => Delivery::NotSent(e.to_owned()),
        (None, Some(code)) => Delivery::Refused(format!("server error {code}")),
        (None, None) => Delivery::Unconfirmed,
    }
}

impl<L: Link> Shared<L> {
    fn set_chat_state(&self, chat: &str, state: ChatState) {
        if let Ok(jid) = chat.parse::<Jid>() {
            // The presence task ends only with `Shared`.
            let _ = self.presence.send((jid, state));
        }
    }

    /// Waits up to `timeout` for the connection's events to say it is up; `false` if it is
    /// not by then, or ended.
    async fn wait_connected(&self, timeout: Duration) -> bool {
        let mut state = self.state.subscribe();
        let settled = tokio::time::timeout(
            timeout,
            state.wait_for(|s| !matches!(s, LinkState::Connecting)),
        )
        .await;
        matches!(settled, Ok(Ok(s)) if *s == LinkState::Connected)
    }

    fn ended(&self) -> Option<LinkState> {
        let s = self.state.borrow();
        matches!(*s, LinkState::Ended(_)).then(|| s.clone())
    }

    /// Sends `out`: split to WhatsApp's limit, each part paced, the first quoting the command.
    async fn deliver(&self, out: &Outgoing, wait: Duration) -> Result<(), MessengerError> {
        self.deliver_watched(out, wait, None).await
    }

    /// [`deliver`](Self::deliver), adding to `fates` (if any) one receiver per part sent, told
    /// what became of that part once the server's ack (or its absence) settles it.
    async fn deliver_watched(
        &self,
        out: &Outgoing,
        wait: Duration,
        mut fates: Option<&mut Vec<oneshot::Receiver<Delivery>>>,
    ) -> Result<(), MessengerError> {
        // A notice the engine sends on its own names a phone number (`+digits`).
        let chat = pppoe_core::ports::chat_phone(&out.chat)
            .map_or_else(|| out.chat.clone(), |p| phone_jid_string(p.as_str()));
        let jid: Jid = chat
            .parse()
            .map_err(|_| MessengerError::Rejected(format!("not a WhatsApp chat: {}", out.chat)))?;
        let parts = chunk_text(&out.text);
        let quote = out
            .quoting
            .as_ref()
            .and_then(|id| Some((id.clone(), lock(&self.quotes).get(id)?.clone())));
        let result = async {
            for (i, part) in parts.iter().enumerate() {
                if !self.wait_connected(wait).await {
                    return Err(MessengerError::Disconnected(
                        "not connected to WhatsApp".into(),
                    ));
                }
                self.pacer.wait(&chat).await;
                let quote = quote.as_ref().filter(|_| i == 0);
                let message = build_text_message(part, quote.map(|(id, q)| (id.as_str(), q)));
                let id = self
                    .link
                    .send(&jid, message)
                    .await
                    .map_err(MessengerError::Rejected)?;
                let early = {
                    let mut deliveries = lock(&self.deliveries);
                    let early = deliveries.sent_quoting(
                        &id,
                        &chat,
                        part,
                        quote.map(|(quoted, _)| quoted.as_str()),
                        Instant::now().into_std(),
                    );
                    // Registered under the deliveries' lock: an ack read meanwhile on another
                    // task is judged after it, and finds the watcher.
                    if let Some(fates) = fates.as_deref_mut() {
                        let (watch, fate) = oneshot::channel();
                        lock(&self.confirmations).insert(id.clone(), watch);
                        fates.push(fate);
                    }
                    early
                };
                self.deliveries_changed.notify_one();
                if let Some(verdict) = early {
                    if verdict == Verdict::Delivered {
                        self.confirm(&id, Delivery::Acknowledged);
                    }
                    Box::pin(self.settle(verdict)).await;
                }
            }
            Ok(())
        }
        .await;
        if let Some(id) = &out.quoting {
            let state = lock(&self.typing).finish(&out.chat, id, Instant::now());
            if let Some(state) = state {
                self.set_chat_state(&out.chat, state);
            }
        }
        result
    }

    async fn send(&self, out: &Outgoing) -> Result<(), MessengerError> {
        if let Some(LinkState::Ended(why)) = self.ended() {
            return Err(MessengerError::Disconnected(why.map_or_else(
                || "the WhatsApp adapter was shut down".to_owned(),
                |e| e.to_string(),
            )));
        }
        self.deliver(out, SEND_WAIT).await
    }

    /// Resolves the LIDs of the allowlisted numbers (on every connect).
    async fn resolve_lids(&self) {
        let phones = self.allowlist.phones();
        if !phones.is_empty() {
            match self.link.lids_of(&phones).await {
                Ok(found) => {
                    let mut map = LidMap::new();
                    let mut without = Vec::new();
                    for (phone, lid) in &found {
                        match lid {
                            Some(lid) if map.insert(lid, phone) => {}
                            _ => without.push(phone.user.clone()),
                        }
                    }
                    tracing::info!(
                        resolved = map.len(),
                        allowlisted = phones.len(),
                        "resolved the LIDs of allowlisted numbers"
                    );
                    if !without.is_empty() {
                        tracing::warn!(numbers = ?without, "allowlisted numbers without a LID (not on WhatsApp?)");
                    }
                    self.translator
                        .write()
                        .unwrap_or_else(PoisonError::into_inner)
                        .set_lids(map);
                }
                Err(e) => tracing::warn!(
                    error = %e,
                    "could not resolve the LIDs of the allowlisted numbers; LID senders rely on \
                     sender_alt and the library's LID store"
                ),
            }
        }
        self.lids_ready.send_replace(true);
    }

    async fn ask_resend(&self, request: ResendRequest) {
        tracing::warn!(chat = %request.chat, message_id = %request.id, "message could not be decrypted; asking the sender to resend");
        let out = Outgoing {
            chat: request.chat,
            text: undecryptable_notice(self.config.language).to_owned(),
            quoting: None,
            audit: None,
        };
        if let Err(e) = self.send(&out).await {
            tracing::warn!(error = %e, "resend request not sent");
        }
    }

    /// The server's ack of stanza `id`: a refused reply is sent once more, or given up.
    fn on_ack(self: &Arc<Self>, id: &str, error: Option<&str>) {
        let verdict = lock(&self.deliveries).acked(id, error, Instant::now().into_std());
        if let Some(verdict) = verdict {
            if verdict == Verdict::Delivered {
                self.confirm(id, Delivery::Acknowledged);
            }
            self.spawn_settle(verdict);
        }
    }

    /// Tells the send watching message `id`, if any, what became of it.
    fn confirm(&self, id: &str, delivery: Delivery) {
        if let Some(watch) = lock(&self.confirmations).remove(id) {
            let _ = watch.send(delivery);
        }
    }

    fn spawn_settle(self: &Arc<Self>, verdict: Verdict) {
        if !matches!(verdict, Verdict::Delivered) {
            let shared = Arc::clone(self);
            tokio::spawn(async move { shared.settle(verdict).await });
        }
    }

    /// Acts on what became of a reply.
    async fn settle(&self, verdict: Verdict) {
        match verdict {
            Verdict::Delivered => {}
            Verdict::Retry(pending) => {
                tracing::warn!(
                    chat = %pending.chat,
                    error = pending.error.as_deref().unwrap_or("no ack from the server within 60 s"),
                    "a reply was not taken by WhatsApp's server; sending it once more"
                );
                self.resend(pending).await;
            }
            Verdict::Failed(pending) => {
                self.confirm(&pending.id, final_fate(&pending, None));
                self.delivery_failed(&pending, None);
            }
        }
    }

    /// Sends a refused or unacknowledged reply once more, quoting what it quoted (while the
    /// quoted message is still in the cache).
    async fn resend(&self, pending: Pending) {
        let quote = pending
            .quoting
            .as_ref()
            .and_then(|id| Some((id.clone(), lock(&self.quotes).get(id)?.clone())));
        let sent = match pending.chat.parse::<Jid>() {
            Ok(jid) if self.wait_connected(SEND_WAIT).await => {
                self.pacer.wait(&pending.chat).await;
                let message = build_text_message(
                    &pending.text,
                    quote.as_ref().map(|(id, q)| (id.as_str(), q)),
                );
                self.link.send(&jid, message).await
            }
            Ok(_) => Err("not connected to WhatsApp".to_owned()),
            Err(_) => Err(format!("not a WhatsApp chat: {}", pending.chat)),
        };
        match sent {
            Ok(id) => {
                let early = {
                    let mut deliveries = lock(&self.deliveries);
                    let early = deliveries.resent(
                        &id,
                        &pending.chat,
                        &pending.text,
                        Instant::now().into_std(),
                    );
                    // The watcher follows the message to its new id.
                    let mut confirmations = lock(&self.confirmations);
                    if let Some(watch) = confirmations.remove(&pending.id) {
                        confirmations.insert(id.clone(), watch);
                    }
                    early
                };
                self.deliveries_changed.notify_one();
                // A retry is never retried: its early ack is either delivered or failed.
                match early {
                    Some(Verdict::Failed(failed)) => {
                        self.confirm(&id, final_fate(&failed, None));
                        self.delivery_failed(&failed, None);
                    }
                    Some(Verdict::Delivered) => self.confirm(&id, Delivery::Acknowledged),
                    _ => {}
                }
            }
            Err(e) => {
                lock(&self.deliveries).give_up();
                self.confirm(&pending.id, final_fate(&pending, Some(&e)));
                self.delivery_failed(&pending, Some(&e));
            }
        }
    }

    /// Sends `out` and waits until its fate is known: the server's ack (after one more try if
    /// it was refused or not acknowledged), at most twice [`ACK_WAIT`](crate::delivery::ACK_WAIT)
    /// and a little.
    pub(crate) async fn send_confirmed(&self, out: &Outgoing) -> Delivery {
        let mut fates = Vec::new();
        if let Err(e) = self.deliver_watched(out, SEND_WAIT, Some(&mut fates)).await {
            // A long message whose first parts went out is not "not sent": say so.
            let sent = match fates.len() {
                0 => String::new(),
                n => format!("{n} part(s) sent, the next not: "),
            };
            return match e {
                MessengerError::Rejected(why) if sent.is_empty() => Delivery::Refused(why),
                e => Delivery::NotSent(format!("{sent}{e}")),
            };
        }
        if fates.is_empty() {
            return Delivery::NotSent("nothing to send".to_owned());
        }
        let deadline = Instant::now() + crate::delivery::ACK_WAIT * 2 + SEND_WAIT;
        // Every part must have arrived; the worst fate of a part is the message's.
        let mut worst = Delivery::Acknowledged;
        for fate in fates {
            match tokio::time::timeout_at(deadline, fate).await {
                Ok(Ok(Delivery::Acknowledged)) => {}
                Ok(Ok(bad @ (Delivery::Refused(_) | Delivery::NotSent(_)))) => return bad,
                // The adapter stopped, or the watchdog never judged it: not known.
                _ => worst = Delivery::Unconfirmed,
            }
        }
        worst
    }

    /// A reply did not get through after its retry: logged, counted, and written to
    /// `<session>.delivery` for `check-config`. The command's audit row stays as it is.
    fn delivery_failed(&self, pending: &Pending, send_error: Option<&str>) {
        let why = send_error
            .map(|e| format!("the retry could not be sent: {e}"))
            .or_else(|| pending.error.as_ref().map(|c| format!("server error {c}")))
            .unwrap_or_else(|| "no ack from the server within 60 s".to_owned());
        let stats = lock(&self.deliveries).stats();
        tracing::error!(
            chat = %pending.chat,
            error = %why,
            failed = stats.failed,
            "a reply did not reach WhatsApp's server after a retry; the command's result is in the audit log"
        );
        let path = self.config.delivery_path();
        let text = format!(
            "replies delivered {}, retried {}, failed {}\nlast failure {}: to {}: {why}\n",
            stats.delivered,
            stats.retried,
            stats.failed,
            local_time(SystemClock.now()),
            pending.chat,
        );
        if let Err(e) = std::fs::write(&path, text) {
            tracing::warn!(path = %path.display(), error = %e, "the delivery counters are not kept");
        }
    }

    /// Keeps why and when this run ended (see [`WhatsAppConfig::ended_path`]), for the notice
    /// at the next connect: the notice sent now rarely gets out, and a logout clears the
    /// library's state before it could.
    fn record_end(&self, error: &TerminalError) {
        self.config.record_stop(&error.to_string());
    }

    /// At a connect: tells the admins why and when the previous run ended, if it ended
    /// without being asked to, then forgets it (kept if no admin could be told).
    async fn announce_previous_end(&self) {
        let path = self.config.ended_path();
        let Ok(text) = std::fs::read_to_string(&path) else {
            return;
        };
        let (at, reason) = text.split_once('\n').unwrap_or((text.as_str(), ""));
        let ended_at = chrono::DateTime::parse_from_rfc3339(at.trim())
            .map_or_else(|_| at.trim().to_owned(), |t| local_time(t.to_utc()));
        let notice = back_notice(
            self.config.language,
            reason.trim(),
            &ended_at,
            &local_time(SystemClock.now()),
        );
        let mut told = self.config.admins.is_empty();
        for admin in &self.config.admins {
            let out = Outgoing {
                chat: phone_jid_string(admin.as_str()),
                text: notice.clone(),
                quoting: None,
                audit: None,
            };
            match self.deliver(&out, SEND_WAIT).await {
                Ok(()) => told = true,
                Err(e) => {
                    tracing::warn!(admin = %admin, error = %e, "admin not told of the previous stop")
                }
            }
        }
        if told {
            let _ = std::fs::remove_file(&path);
        }
    }

    /// Tells the admins that the link ended, if it still can.
    async fn notify_admins(&self, error: &TerminalError) {
        if self.config.admins.is_empty() {
            return;
        }
        if *self.state.borrow() != LinkState::Connected {
            tracing::warn!(
                "admins not notified: the WhatsApp connection is already gone (the exit status \
                 and this log are the notice)"
            );
            return;
        }
        let text = terminal_notice(self.config.language, error);
        for admin in &self.config.admins {
            let out = Outgoing {
                chat: phone_jid_string(admin.as_str()),
                text: text.clone(),
                quoting: None,
                audit: None,
            };
            match tokio::time::timeout(NOTICE_WAIT, self.deliver(&out, Duration::ZERO)).await {
                Ok(Ok(())) => tracing::info!(admin = %admin, "admin notified"),
                Ok(Err(e)) => tracing::warn!(admin = %admin, error = %e, "admin not notified"),
                Err(_) => tracing::warn!(admin = %admin, "admin not notified: timed out"),
            }
        }
    }
}

/// What woke the event pump.
enum Step {
    /// An event from the library, or the end of its run loop.
    Input(Option<Input>),
    /// A held message or a resend notice is due.
    Due,
    /// The parked messages can go on (see [`Pump::parked`]).
    Release,
}

/// The event pump's working state.
struct Pump<L> {
    shared: Arc<Shared<L>>,
    inbox: mpsc::Sender<Incoming>,
    reorder: Reorder<Incoming>,
    notices: ResendNotices,
    /// Messages that arrived before the allowlist's LIDs were resolved, in order: the offline
    /// backlog comes before `Connected`, so the first of them starts the resolution. They wait
    /// (the event pump does not) until it ends or [`LIDS_WAIT`] has passed.
    parked: Vec<Input>,
    /// When the parked messages go on without the LIDs.
    parked_until: Option<Instant>,
    /// A resolution of the LIDs was started on this connection.
    lids_started: bool,
    /// Follows [`Shared::lids_ready`].
    lids_ready: watch::Receiver<bool>,
    /// Connection failures, for the pause that stops a reconnect loop.
    breaker: Breaker,
}

impl<L: Link> Pump<L> {
    async fn library_lookup(&mut self, info: &MessageInfo) -> Option<String> {
        let needs = self
            .shared
            .translator
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .needs_library_lookup(info);
        if needs {
            self.shared
                .link
                .phone_for_lid(user_part(&info.source.sender))
                .await
        } else {
            None
        }
    }

    /// Starts resolving the allowlist's LIDs, once per connection, at the first sign of a
    /// logged-in session (a message of the backlog, or `Connected`).
    fn start_lids(&mut self) {
        if !self.lids_started {
            self.lids_started = true;
            let shared = Arc::clone(&self.shared);
            tokio::spawn(async move { shared.resolve_lids().await });
        }
    }

    /// Handles one input of the bus; returns the terminal error that ends the stream, if any.
    /// Messages wait while the allowlist's LIDs are being resolved for the first time.
    async fn on_input(&mut self, input: Input) -> Option<TerminalError> {
        if input.is_message() && !*self.lids_ready.borrow() {
            self.start_lids();
            self.parked_until
                .get_or_insert_with(|| Instant::now() + LIDS_WAIT);
            self.parked.push(input);
            return None;
        }
        self.handle(input).await
    }

    /// Handles the parked messages, in order, once the LIDs are resolved or waited for long
    /// enough.
    async fn release_parked(&mut self) {
        if !*self.lids_ready.borrow() {
            tracing::warn!(
                messages = self.parked.len(),
                "the allowlist's LIDs are not resolved yet; going on without"
            );
            // Later messages go on too; the resolution still completes the map.
            self.shared.lids_ready.send_replace(true);
        }
        self.parked_until = None;
        for input in std::mem::take(&mut self.parked) {
            // Only messages are parked, and they never end the stream.
            let _ = self.handle(input).await;
        }
    }

    /// A decrypted message: translated, its sender resolved, and held in the reorder window.
    async fn on_message(&mut self, message: &wa::Message, info: &MessageInfo) {
        let library = self.library_lookup(info).await;
        let now = Instant::now();
        self.notices.decrypted(&info.id);
        let translation = self
            .shared
            .translator
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .translate(message, info, library.as_deref());
        match translation {
            Translation::Command(mut incoming) => {
                // Arrival time, for the stale-change rule: pacing and queueing after
                // this point must not make a fresh command stale.
                incoming.received_at = Some(SystemClock.now());
                if let Some(Media::File { mime, size, .. }) = media_of(message) {
                    let allowed = self.shared.allowlist.has(&incoming.sender);
                    incoming.attachment = Some(
                        self.fetch_file(message, &incoming.text, allowed, mime, size)
                            .await,
                    );
                }
                lock(&self.shared.quotes).insert(
                    incoming.id.clone(),
                    Quoted {
                        participant: info.source.sender.to_non_ad().to_string(),
                        text: incoming.text.clone(),
                    },
                );
                let key = incoming.sender.key().to_owned();
                tracing::debug!(message_id = %incoming.id, chat = %incoming.chat, "message for the engine");
                self.reorder.push(key, incoming.sent_at, now, incoming);
            }
            Translation::Ignore(reason) => {
                tracing::debug!(message_id = %info.id, ?reason, "message ignored");
            }
            Translation::Undecryptable { .. } => {}
        }
    }

    /// The file of an allowlisted sender's message whose caption asks to keep it (`foto ...`),
    /// downloaded up to the configured size within [`MEDIA_WAIT`]; any other file is not
    /// downloaded (a stranger cannot make the bot fetch files).
    async fn fetch_file(
        &self,
        message: &wa::Message,
        caption: &str,
        allowed: bool,
        mime: String,
        size: Option<u64>,
    ) -> pppoe_core::ports::Attachment {
        use pppoe_core::ports::Attachment;
        let cap = self.shared.config.media_max_bytes;
        let wanted = caption
            .split_whitespace()
            .next()
            .map(|w| w.trim_start_matches(['/', '!', '.']).to_lowercase())
            .is_some_and(|w| matches!(w.as_str(), "foto" | "photo" | "dokumen"));
        if !wanted || !allowed {
            return Attachment::NotDownloaded {
                mime,
                why: if allowed {
                    "its caption is no foto command".to_owned()
                } else {
                    "the sender is not on the allowlist".to_owned()
                },
            };
        }
        if let Some(size) = size.filter(|s| *s > cap) {
            return Attachment::TooLarge { size, mime };
        }
        let download = tokio::time::timeout(MEDIA_WAIT, self.shared.link.download(message, cap));
        match download
            .await
            .unwrap_or_else(|_| Err(format!("no answer within {} s", MEDIA_WAIT.as_secs())))
        {
            Ok(bytes) => Attachment::File {
                bytes,
                mime,
                name: None,
            },
            Err(why) => {
                tracing::warn!(error = %why, "a photo or document could not be downloaded");
                Attachment::NotDownloaded { mime, why }
            }
        }
    }

    async fn handle(&mut self, input: Input) -> Option<TerminalError> {
        let event = match input {
            Input::Message(message, info) => {
                self.on_message(&message, &info).await;
                return None;
            }
            Input::Event(event) => event,
            // Handled by the run loop.
            Input::ClientStopped => return None,
        };
        match &*event {
            Event::ServerAck(ack) => self.shared.on_ack(&ack.id, ack.error.as_deref()),
            Event::UndecryptableMessage(event) => {
                let library = self.library_lookup(&event.info).await;
                let now = Instant::now();
                let translation = self
                    .shared
                    .translator
                    .read()
                    .unwrap_or_else(PoisonError::into_inner)
                    .translate_undecryptable(event, library.as_deref());
                match translation {
                    Translation::Undecryptable { chat, id, identity }
                        if self.shared.allowlist.allows(&identity) =>
                    {
                        self.notices.undecryptable(chat, id, now);
                    }
                    other => {
                        tracing::debug!(message_id = %event.info.id, ?other, "undecryptable message not answered");
                    }
                }
            }
            other => {
                let change = lifecycle::classify(other, SystemClock.now())?;
                lifecycle::log(&change);
                match change {
                    Lifecycle::Connected => {
                        self.breaker.connected(Instant::now().into_std());
                        self.shared.state.send_replace(LinkState::Connected);
                        self.start_lids();
                        let shared = Arc::clone(&self.shared);
                        tokio::spawn(async move { shared.announce_previous_end().await });
                    }
                    Lifecycle::Disconnected | Lifecycle::StreamError { .. } => {
                        self.shared.state.send_replace(LinkState::Connecting);
                        // Resolved again at the next connection's first sign of life.
                        self.lids_started = false;
                        if let Some(pause) = self.breaker.failure(Instant::now().into_std()) {
                            tracing::error!(
                                last = ?change,
                                failures = crate::breaker::MAX_FAILURES + 1,
                                within = ?crate::breaker::WINDOW,
                                ?pause,
                                "the WhatsApp connection keeps failing; the client stops for a \
                                 while before it connects again (reconnecting at once, over and \
                                 over, is how numbers get banned)"
                            );
                            let shared = Arc::clone(&self.shared);
                            tokio::spawn(async move { shared.link.pause(pause).await });
                        }
                    }
                    Lifecycle::Terminal(e) => return Some(e),
                    Lifecycle::OfflineSyncStarted { .. }
                    | Lifecycle::OfflineSyncCompleted { .. } => {}
                }
            }
        }
        None
    }

    /// Hands on what is due. Returns `false` when the inbox is gone (the adapter was dropped).
    async fn flush(&mut self) -> bool {
        let now = Instant::now();
        for request in self.notices.due(now) {
            let shared = Arc::clone(&self.shared);
            tokio::spawn(async move { shared.ask_resend(request).await });
        }
        for incoming in self.reorder.pop_due(now) {
            if self.inbox.send(incoming).await.is_err() {
                return false;
            }
        }
        true
    }

    async fn run(
        mut self,
        mut input: mpsc::UnboundedReceiver<Input>,
        mut shutdown: watch::Receiver<bool>,
    ) -> Result<(), TerminalError> {
        let result = loop {
            let next = match (self.reorder.next_due(), self.notices.next_due()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let parked = !self.parked.is_empty();
            let parked_until = self.parked_until;
            let mut lids_ready = self.lids_ready.clone();
            let step = tokio::select! {
                biased;
                () = async { drop(shutdown.wait_for(|s| *s).await) } => break Ok(()),
                item = input.recv() => Step::Input(item),
                () = sleep_until(next), if next.is_some() => Step::Due,
                () = async { drop(lids_ready.wait_for(|ready| *ready).await) }, if parked => {
                    Step::Release
                }
                () = sleep_until(parked_until), if parked => Step::Release,
            };
            match step {
                Step::Input(Some(Input::ClientStopped) | None) => {
                    // After a shutdown, the library's run loop ending is expected.
                    let asked = *self.shared.shutdown.borrow();
                    break if asked {
                        Ok(())
                    } else {
                        Err(TerminalError::ClientStopped)
                    };
                }
                Step::Input(Some(input)) => {
                    if let Some(end) = self.on_input(input).await {
                        break Err(end);
                    }
                }
                Step::Release => self.release_parked().await,
                Step::Due => {}
            }
            if !self.flush().await {
                break Ok(());
            }
        };
        for parked in std::mem::take(&mut self.parked) {
            if let Input::Message(_, info) = &parked {
                tracing::warn!(message_id = %info.id, "message not handled: the WhatsApp connection ended while it waited for the allowlist's LIDs");
            }
        }
        for dropped in self.reorder.drain() {
            tracing::warn!(message_id = %dropped.id, chat = %dropped.chat, "message not handled: the WhatsApp connection ended before its turn");
        }
        let shared = self.shared;
        drop(self.inbox);
        match &result {
            Ok(()) => {
                shared.state.send_replace(LinkState::Ended(None));
            }
            Err(e) => {
                shared.notify_admins(e).await;
                shared.record_end(e);
                shared.state.send_replace(LinkState::Ended(Some(e.clone())));
            }
        }
        result
    }
}

/// `dd/mm/yyyy HH:MM:SS (UTC+hh:mm)` in the server's time zone, with its offset: a server
/// often runs on UTC while the admins read another clock.
fn local_time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&chrono::Local)
        .format("%d/%m/%Y %H:%M:%S (UTC%:z)")
        .to_string()
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The `Messenger` half: the inbox the pump fills, and sending through the shared state.
pub(crate) struct Adapter<L> {
    shared: Arc<Shared<L>>,
    inbox: tokio::sync::Mutex<mpsc::Receiver<Incoming>>,
}

impl<L> std::fmt::Debug for Adapter<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Adapter").finish_non_exhaustive()
    }
}

/// A started adapter: the messenger, the pump's task and its controls.
pub(crate) struct Started<L> {
    pub(crate) adapter: Adapter<L>,
    pub(crate) pump: JoinHandle<Result<(), TerminalError>>,
}

/// Starts the pump over `input` (the event bus's channel) and the presence task.
pub(crate) fn start<L: Link>(
    link: L,
    config: WhatsAppConfig,
    allowlisted: &[PhoneNumber],
    input: mpsc::UnboundedReceiver<Input>,
) -> Started<L> {
    let (presence_tx, mut presence_rx) = mpsc::unbounded_channel::<(Jid, ChatState)>();
    let (inbox_tx, inbox_rx) = mpsc::channel(INBOX);
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let shared = Arc::new(Shared {
        link,
        allowlist: Allowlist::new(allowlisted),
        pacer: Pacer::new(config.pacing.clone()),
        typing: Mutex::new(Typing::new(TYPING_TTL)),
        quotes: Mutex::new(QuoteCache::new(QUOTES)),
        translator: RwLock::new(Translator::new(
            config.allowed_groups.iter().cloned(),
            LidMap::new(),
        )),
        presence: presence_tx,
        state: watch::channel(LinkState::Connecting).0,
        deliveries: Mutex::new(Deliveries::new()),
        deliveries_changed: Arc::new(Notify::new()),
        confirmations: Mutex::new(HashMap::new()),
        lids_ready: watch::channel(false).0,
        shutdown: shutdown_tx,
        config,
    });

    // Chat states go out one at a time, in the order they were decided.
    let weak = Arc::downgrade(&shared);
    tokio::spawn(async move {
        while let Some((jid, state)) = presence_rx.recv().await {
            let Some(shared) = weak.upgrade() else { break };
            shared.link.chat_state(&jid, state).await;
        }
    });

    // The delivery watchdog: replies the server has not acknowledged in time. It holds the
    // shared state only while it acts, and ends with the link.
    let weak = Arc::downgrade(&shared);
    let changed = Arc::clone(&shared.deliveries_changed);
    let mut state = shared.state.subscribe();
    tokio::spawn(async move {
        loop {
            let due = {
                let Some(shared) = weak.upgrade() else { break };
                if shared.ended().is_some() {
                    break;
                }
                lock(&shared.deliveries).next_due().map(Instant::from_std)
            };
            tokio::select! {
                () = changed.notified() => continue,
                moved = state.changed() => {
                    if moved.is_err() {
                        break;
                    }
                    continue;
                }
                () = sleep_until(due) => {}
            }
            let Some(shared) = weak.upgrade() else { break };
            let overdue = lock(&shared.deliveries).overdue(Instant::now().into_std());
            for verdict in overdue {
                shared.spawn_settle(verdict);
            }
        }
    });

    let pump = Pump {
        shared: Arc::clone(&shared),
        inbox: inbox_tx,
        reorder: Reorder::new(shared.config.reorder_window),
        notices: ResendNotices::new(shared.config.undecryptable_grace),
        parked: Vec::new(),
        parked_until: None,
        lids_started: false,
        lids_ready: shared.lids_ready.subscribe(),
        breaker: Breaker::new(),
    };
    let pump = tokio::spawn(pump.run(input, shutdown_rx));
    Started {
        adapter: Adapter {
            shared,
            inbox: tokio::sync::Mutex::new(inbox_rx),
        },
        pump,
    }
}

impl<L: Link> Adapter<L> {
    pub(crate) async fn next_message(&self) -> Option<Incoming> {
        self.inbox.lock().await.recv().await
    }

    /// Shows "typing…" in the chat of a message the engine will answer, until its reply goes.
    pub(crate) fn working_on(&self, incoming: &Incoming) {
        let state = lock(&self.shared.typing).start(&incoming.chat, &incoming.id, Instant::now());
        if let Some(state) = state {
            self.shared.set_chat_state(&incoming.chat, state);
        }
    }

    pub(crate) async fn send(&self, out: &Outgoing) -> Result<(), MessengerError> {
        self.shared.send(out).await
    }

    /// Sends `out` and waits for its fate (see `Shared::send_confirmed`).
    pub(crate) async fn send_confirmed(&self, out: &Outgoing) -> Delivery {
        if let Some(LinkState::Ended(why)) = self.shared.ended() {
            return Delivery::NotSent(why.map_or_else(
                || "the WhatsApp adapter was shut down".to_owned(),
                |e| e.to_string(),
            ));
        }
        self.shared.send_confirmed(out).await
    }

    /// Waits until connected, ended, or `timeout`; returns the state then.
    pub(crate) async fn wait_connected(&self, timeout: Duration) -> LinkState {
        let mut rx = self.shared.state.subscribe();
        let _ = tokio::time::timeout(
            timeout,
            rx.wait_for(|s| !matches!(s, LinkState::Connecting)),
        )
        .await;
        rx.borrow().clone()
    }

    /// The reply-delivery counters since the start.
    pub(crate) fn delivery_stats(&self) -> crate::delivery::DeliveryStats {
        lock(&self.shared.deliveries).stats()
    }

    /// The terminal error, once the link ended for good.
    pub(crate) fn terminal_error(&self) -> Option<TerminalError> {
        match self.shared.ended() {
            Some(LinkState::Ended(e)) => e,
            _ => None,
        }
    }

    /// Ends the stream and closes the link.
    pub(crate) async fn shutdown(&self) {
        self.shared.shutdown.send_replace(true);
        self.shared.link.disconnect().await;
    }
}

#[cfg(test)]
mod tests;
