//! The ports: what the engine needs from the outside world, as traits. Adapters implement them
//! (`routeros-adapter`, `audit-store`, `whatsapp-adapter`); the `testing` feature has in-memory
//! fakes.
//!
//! The futures returned are `Send` so that a tokio front end can spawn the engine's work.

use std::collections::HashMap;
use std::future::Future;
use std::net::Ipv4Addr;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use thiserror::Error;

use crate::domain::{CustomerInfo, Password, PhoneNumber, Role, Username};

/// Where a secret lives: the router's name (several routers may sit behind one [`Router`]) and
/// RouterOS's internal `.id` (`*1A`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SecretRef {
    /// The router's configured name.
    pub router: String,
    /// RouterOS `.id`.
    pub id: String,
}

/// A `/ppp/secret` as read from a router.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secret {
    /// Where it lives.
    pub at: SecretRef,
    /// The username as the router has it (it may predate our username rules).
    pub name: String,
    /// The RouterOS profile name.
    pub profile: String,
    /// The static IP (`remote-address`), if any.
    pub remote_address: Option<Ipv4Addr>,
    /// The comment (customer information), if any.
    pub comment: Option<String>,
    /// `disabled=yes`.
    pub disabled: bool,
    /// `last-logged-out`, in the router's local time, if the router reports one.
    pub last_logged_out: Option<NaiveDateTime>,
    /// `last-caller-id` (the ONU's MAC at the last login), if any.
    pub last_caller_id: Option<String>,
    /// `last-disconnect-reason` (`peer-request`, `nas-request`, `lost-carrier`, ...), if any.
    pub last_disconnect_reason: Option<String>,
}

/// A `/ppp/active` entry: a connected session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveSession {
    /// The router's name.
    pub router: String,
    /// RouterOS `.id`.
    pub id: String,
    /// The username.
    pub name: String,
    /// The address given to the subscriber.
    pub address: Option<Ipv4Addr>,
    /// The caller-id (the ONU's MAC).
    pub caller_id: Option<String>,
    /// Time since the session came up.
    pub uptime: Option<Duration>,
}

/// Live traffic of a session's interface, from the subscriber's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Traffic {
    /// Subscriber download (router tx), bits per second.
    pub download_bps: u64,
    /// Subscriber upload (router rx), bits per second.
    pub upload_bps: u64,
}

/// A secret to create. `service` is always `pppoe`.
#[derive(Debug, Clone)]
pub struct NewSecret {
    /// Username.
    pub name: Username,
    /// Password.
    pub password: Password,
    /// RouterOS profile name.
    pub profile: String,
    /// Static IP for `remote-address` (the subscriber's side).
    pub remote_address: Option<Ipv4Addr>,
    /// Customer information for `comment`.
    pub comment: Option<CustomerInfo>,
    /// The router to create it on, when several sit behind one [`Router`] (the sender's home
    /// router); `None`: the first.
    pub router: Option<String>,
}

/// One change to an existing secret.
#[derive(Debug, Clone)]
pub enum SecretChange {
    /// New password.
    Password(Password),
    /// New RouterOS profile.
    Profile(String),
    /// New static IP, or none.
    RemoteAddress(Option<Ipv4Addr>),
    /// Disable (`true`) or enable.
    Disabled(bool),
    /// New comment, or none.
    Comment(Option<CustomerInfo>),
}

/// Which secrets a listing wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListFilter {
    /// Every secret.
    All,
    /// Usernames containing this text (case-insensitive).
    NameContains(String),
    /// Secrets with this RouterOS profile.
    Profile(String),
    /// `disabled=no`.
    Enabled,
    /// `disabled=yes`.
    Disabled,
    /// With an active session.
    Online,
    /// Without an active session.
    Offline,
    /// `disabled=no` and without an active session: the subscribers who should be online and
    /// are not (`offline`).
    Down,
}

/// Which slice of a listing to return: skip `offset` matches, return at most `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// Matches to skip.
    pub offset: usize,
    /// Most items to return.
    pub limit: usize,
}

impl PageRequest {
    /// Page `number` (1-based) of pages of `size` items.
    ///
    /// ```
    /// use pppoe_core::PageRequest;
    /// assert_eq!(PageRequest::page(3, 20), PageRequest { offset: 40, limit: 20 });
    /// ```
    pub fn page(number: u32, size: u32) -> Self {
        Self {
            offset: (number.saturating_sub(1) as usize) * size as usize,
            limit: size as usize,
        }
    }
}

/// One secret of a listing with whether it is connected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedSecret {
    /// The secret.
    pub secret: Secret,
    /// Whether it has an active session.
    pub online: bool,
}

/// A page of secrets and the number of secrets matching the filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretPage {
    /// The secrets of the page, in the router's order (creation order, as `print` shows them).
    pub items: Vec<ListedSecret>,
    /// How many secrets match the filter in all.
    pub total: usize,
    /// `None`: as the router has it now. `Some(t)`: served from a copy of the router's
    /// tables (a mirror) that was last known to match the router at `t`, longer ago than the
    /// mirror's bound (the router is unreachable, or its changes stopped arriving); the
    /// listing says so.
    pub stale_as_of: Option<DateTime<Utc>>,
}

/// A `/ppp/profile` as read from a router.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouterProfile {
    /// Profile name.
    pub name: String,
    /// `rate-limit`, if set.
    pub rate_limit: Option<String>,
}

/// Who uses an IPv4 address already.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IpUser {
    /// A secret has it as `remote-address`.
    Secret(String),
    /// An active session has it as `address`.
    Active(String),
}

/// Errors of a [`Router`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RouterError {
    /// `failure: secret with the same name already exists`.
    #[error("a secret with that name already exists")]
    AlreadyExists,
    /// `no such item`.
    #[error("no such item")]
    NotFound,
    /// `input does not match any value of profile`.
    #[error("the router has no such profile")]
    UnknownProfile,
    /// The router refused a value.
    #[error("invalid value: {0}")]
    InvalidValue(String),
    /// No connection to the router.
    #[error("router unreachable: {0}")]
    Unreachable(String),
    /// The router did not answer in time.
    #[error("router timed out")]
    Timeout,
    /// Any other refusal (`!trap`), with the router's text.
    #[error("router refused: {0}")]
    Rejected(String),
    /// The router refused the bot's own API login: a wrong user or password in the bot's
    /// configuration, or a user without the `api` policy. Nothing was sent.
    #[error("the router refused the bot's login: {0}")]
    LoginRefused(String),
    /// The router's TLS certificate is not the one the configuration trusts (pinned
    /// fingerprint or CA); the text says why, e.g. "the router's certificate fingerprint is X,
    /// the config pins Y". Nothing was sent.
    #[error("{0}")]
    Certificate(String),
    /// No slot of the router connection came free in time; the command was not sent.
    #[error("the router connection stayed busy for {0:?}; the command was not sent")]
    Busy(Duration),
    /// A change was sent, its reply was lost, and reading the router back failed too: the
    /// change may or may not have been applied.
    #[error("the result of the change is unknown: {0}")]
    Unconfirmed(String),
}

impl RouterError {
    /// Whether the error leaves it open whether a change was applied.
    pub fn is_unconfirmed(&self) -> bool {
        matches!(self, Self::Unconfirmed(_))
    }

    /// Whether the router could not be asked at all (no connection, no answer, a refused
    /// login or certificate, no free slot): nothing about the router is known.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            Self::Unreachable(_)
                | Self::Timeout
                | Self::LoginRefused(_)
                | Self::Certificate(_)
                | Self::Busy(_)
        )
    }
}

/// The router(s): every operation pppoe-bot performs on `/ppp`.
///
/// Look-ups go through server-side queries; an implementation never prints everything to find
/// one secret. Operations on an existing secret name it by its [`SecretRef`], so that a
/// multi-router implementation can route them.
///
/// Changes (add, update, remove, kick) report truthfully what happened: `Ok` when done; an
/// error other than [`RouterError::Unconfirmed`] when nothing was done (not sent, or refused);
/// [`RouterError::Unconfirmed`] when the change was sent and it cannot be known whether it was
/// applied.
pub trait Router: Send + Sync {
    /// The secret with exactly this name, if any.
    fn find_secret(
        &self,
        name: &Username,
    ) -> impl Future<Output = Result<Option<Secret>, RouterError>> + Send;

    /// A page of the secrets matching `filter`, in the router's order, with the total count.
    fn list_secrets(
        &self,
        filter: &ListFilter,
        page: PageRequest,
    ) -> impl Future<Output = Result<SecretPage, RouterError>> + Send;

    /// Creates a secret (`service=pppoe`).
    fn add_secret(
        &self,
        secret: &NewSecret,
    ) -> impl Future<Output = Result<SecretRef, RouterError>> + Send;

    /// Changes one field of a secret.
    fn update_secret(
        &self,
        at: &SecretRef,
        change: &SecretChange,
    ) -> impl Future<Output = Result<(), RouterError>> + Send;

    /// Removes a secret.
    fn remove_secret(&self, at: &SecretRef)
    -> impl Future<Output = Result<(), RouterError>> + Send;

    /// The active session of a username, if connected.
    fn active_session(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<ActiveSession>, RouterError>> + Send;

    /// Removes every active session of a username; returns how many were removed.
    fn kick(&self, name: &str) -> impl Future<Output = Result<usize, RouterError>> + Send;

    /// The router's `/ppp/profile` entries.
    fn profiles(&self) -> impl Future<Output = Result<Vec<RouterProfile>, RouterError>> + Send;

    /// Live traffic of a connected user's interface (`<pppoe-NAME>`), if connected.
    fn traffic(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<Traffic>, RouterError>> + Send;

    /// Everyone who uses `ip`: the secrets that have it as `remote-address`, then the active
    /// sessions that have it as their address. Empty when it is free.
    fn ip_users(
        &self,
        ip: Ipv4Addr,
    ) -> impl Future<Output = Result<Vec<IpUser>, RouterError>> + Send;

    /// Whether `address` is in the firewall address list `list` (`/ip/firewall/address-list`)
    /// of the router named `router`.
    fn in_address_list(
        &self,
        router: &str,
        list: &str,
        address: Ipv4Addr,
    ) -> impl Future<Output = Result<bool, RouterError>> + Send;

    /// Adds `address` to the address list `list` of router `router`, with `comment`;
    /// [`RouterError::AlreadyExists`] if it is there already.
    fn add_to_address_list(
        &self,
        router: &str,
        list: &str,
        address: Ipv4Addr,
        comment: &str,
    ) -> impl Future<Output = Result<(), RouterError>> + Send;

    /// Removes `address` from the address list `list` of router `router`; returns how many
    /// entries were removed (0 when it was not there).
    fn remove_from_address_list(
        &self,
        router: &str,
        list: &str,
        address: Ipv4Addr,
    ) -> impl Future<Output = Result<usize, RouterError>> + Send;
}

/// Opaque message id of the messenger (unique per message).
pub type MessageId = String;

/// Chat address of the messenger: where replies go. Either a chat id the messenger gave in an
/// [`Incoming`] (opaque), or [`phone_chat`] of a phone number, `+` and its digits, for a
/// message the engine sends on its own to someone (a ticket's notice), which every messenger
/// must accept.
pub type ChatId = String;

/// The chat of a direct message to `phone`: `+` and its digits (no messenger's chat id starts
/// with `+`).
pub fn phone_chat(phone: &PhoneNumber) -> ChatId {
    format!("+{}", phone.as_str())
}

/// The phone number of a [`phone_chat`] address, if `chat` is one.
pub fn chat_phone(chat: &str) -> Option<PhoneNumber> {
    PhoneNumber::international(chat.strip_prefix('+')?).ok()
}

/// Who sent a message, as the messenger could tell. The messenger normalizes it, once: the
/// engine compares [`PhoneNumber`]s and never parses addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sender {
    /// A phone number.
    Phone(PhoneNumber),
    /// A WhatsApp LID that could not be resolved to a phone number. Always refused.
    UnresolvedLid(String),
    /// An address that is no phone number the messenger can read (kept for the audit log).
    /// Always refused.
    Unrecognized(String),
    /// A local program (`pppoe-bot exec`), as `client:NAME` (build it with
    /// [`Sender::client`]); allowed when `NAME` is a configured client.
    Client(String),
}

impl Sender {
    /// The sender as the audit log and the per-sender queue name it: the phone number's
    /// digits, or the address as given.
    pub fn key(&self) -> &str {
        match self {
            Self::Phone(p) => p.as_str(),
            Self::UnresolvedLid(a) | Self::Unrecognized(a) | Self::Client(a) => a,
        }
    }

    /// The local program called `name`.
    pub fn client(name: &str) -> Self {
        Self::Client(format!("client:{name}"))
    }

    /// The name of a local program, for a [`Sender::Client`].
    pub fn client_name(&self) -> Option<&str> {
        match self {
            Self::Client(key) => Some(key.strip_prefix("client:").unwrap_or(key)),
            _ => None,
        }
    }
}

/// One incoming chat message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    /// Message id, for at-most-once handling and for quoting.
    pub id: MessageId,
    /// Where to reply.
    pub chat: ChatId,
    /// The sender.
    pub sender: Sender,
    /// The sender's LID, when the messenger knows it (for the audit log).
    pub sender_lid: Option<String>,
    /// The text.
    pub text: String,
    /// When the sender sent it (the messenger's timestamp).
    pub sent_at: DateTime<Utc>,
    /// When the messenger received it; `None`: when the engine handles it. The stale-change
    /// rule measures `received_at - sent_at`, so time spent queued behind the sender's earlier
    /// commands does not make a fresh command stale.
    pub received_at: Option<DateTime<Utc>>,
    /// Whether the chat is a group.
    pub is_group: bool,
    /// A photo, document or location sent with it (its caption is `text`).
    pub attachment: Option<Attachment>,
}

/// What a message carries besides its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attachment {
    /// A photo or a document, downloaded.
    File {
        /// Its bytes.
        bytes: Vec<u8>,
        /// Its MIME type as the sender's app declared it.
        mime: String,
        /// Its file name, for a document.
        name: Option<String>,
    },
    /// A photo or a document the messenger did not download: larger than the bot takes.
    TooLarge {
        /// Its declared size in bytes.
        size: u64,
        /// Its declared MIME type.
        mime: String,
    },
    /// A photo or a document the messenger did not download: its caption asks for no
    /// evidence, or the download failed (`why`).
    NotDownloaded {
        /// Its declared MIME type.
        mime: String,
        /// Why.
        why: String,
    },
    /// A shared location.
    Location(Coordinates),
}

/// A point on Earth in 1e-7 degrees (about 1 cm), so that it compares exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Coordinates {
    /// Latitude, 1e-7 degrees, north positive.
    pub lat_e7: i32,
    /// Longitude, 1e-7 degrees, east positive.
    pub lon_e7: i32,
}

impl Coordinates {
    /// From degrees; `None` outside -90..=90 / -180..=180 or not finite.
    pub fn from_degrees(latitude: f64, longitude: f64) -> Option<Self> {
        let ok = latitude.is_finite()
            && longitude.is_finite()
            && (-90.0..=90.0).contains(&latitude)
            && (-180.0..=180.0).contains(&longitude);
        // In range, so the products fit an i32 (at most 1.8e9).
        #[allow(clippy::cast_possible_truncation)]
        ok.then(|| Self {
            lat_e7: (latitude * 1e7).round() as i32,
            lon_e7: (longitude * 1e7).round() as i32,
        })
    }

    /// Parses `-6.2088,106.8456` (a comma, optional spaces).
    pub fn parse(text: &str) -> Option<Self> {
        let (lat, lon) = text.split_once(',')?;
        Self::from_degrees(lat.trim().parse().ok()?, lon.trim().parse().ok()?)
    }

    /// A link that opens the point on a map.
    pub fn map_link(&self) -> String {
        format!("https://maps.google.com/?q={self}")
    }
}

impl std::fmt::Display for Coordinates {
    /// `-6.2088,106.8456`: degrees, trailing zeros dropped.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fn degrees(e7: i32) -> String {
            let sign = if e7 < 0 { "-" } else { "" };
            let abs = e7.unsigned_abs();
            let frac = format!("{:07}", abs % 10_000_000);
            let frac = frac.trim_end_matches('0');
            if frac.is_empty() {
                format!("{sign}{}", abs / 10_000_000)
            } else {
                format!("{sign}{}.{frac}", abs / 10_000_000)
            }
        }
        write!(f, "{},{}", degrees(self.lat_e7), degrees(self.lon_e7))
    }
}

/// One reply to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// Where to send it.
    pub chat: ChatId,
    /// The text (WhatsApp formatting).
    pub text: String,
    /// The message to quote, if any.
    pub quoting: Option<MessageId>,
    /// For a message that gets an audit row of its own (a customer's notice): what to record.
    /// Whoever sends it uses [`Messenger::send_confirmed`] and hands the result to
    /// [`Engine::record_delivery`](crate::Engine::record_delivery).
    pub audit: Option<DeliveryAudit>,
}

/// What the audit row of a message the engine sent on its own records, besides its fate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAudit {
    /// The row's message id (`<command's message id>#notify`).
    pub message_id: MessageId,
    /// Who caused it (the technician's phone digits).
    pub actor_phone: String,
    /// The username it is about.
    pub target: String,
    /// The router concerned.
    pub router: Option<String>,
    /// What was sent, without its text (which holds a password): the recipient and the kind.
    pub arguments: String,
}

/// What became of a message, as far as the messenger can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The server took it (WhatsApp: its ack, without an error).
    Acknowledged,
    /// Handed over; this messenger reports no acknowledgement (the console).
    Sent,
    /// The server refused it (its error), also after one more try.
    Refused(String),
    /// It could not be sent (not connected, ...).
    NotSent(String),
    /// Sent, but no acknowledgement came in time: whether it arrived is not known.
    Unconfirmed,
}

/// Errors of a [`Messenger`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum MessengerError {
    /// The connection is gone.
    #[error("messenger disconnected: {0}")]
    Disconnected(String),
    /// The message was refused.
    #[error("message not sent: {0}")]
    Rejected(String),
}

/// A chat transport: a stream of incoming messages and a way to send replies.
pub trait Messenger: Send + Sync {
    /// The next message; `None` when the transport has ended. Only takes: it shows nothing
    /// to the sender.
    fn next_message(&self) -> impl Future<Output = Option<Incoming>> + Send;

    /// Sends one message.
    fn send(&self, message: &Outgoing) -> impl Future<Output = Result<(), MessengerError>> + Send;

    /// Sends one message and says what became of it as far as the messenger can know (the
    /// server's acknowledgement, waited for). The default sends and reports
    /// [`Delivery::Sent`], or why it was not sent.
    fn send_confirmed(&self, message: &Outgoing) -> impl Future<Output = Delivery> + Send {
        async move {
            match self.send(message).await {
                Ok(()) => Delivery::Sent,
                Err(MessengerError::Rejected(e)) => Delivery::Refused(e),
                Err(e) => Delivery::NotSent(e.to_string()),
            }
        }
    }

    /// The bot will answer `message` and is working on it: show it to the sender (WhatsApp's
    /// "typing…"). Called once the engine has decided (allowlisted sender, a command or a
    /// direct message); the default shows nothing.
    fn working_on(&self, message: &Incoming) -> impl Future<Output = ()> + Send {
        let _ = message;
        std::future::ready(())
    }
}

/// What became of an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Done.
    Ok,
    /// Refused by access control or the rate limit.
    Denied,
    /// Refused by the grammar or validation.
    Invalid,
    /// The router or a store failed.
    Failed,
    /// Not executed on purpose (stale backlog, duplicate confirmation).
    Skipped,
    /// A change whose result could not be confirmed: its reply was lost and the router could
    /// not be read back, or the bot stopped before recording it. Check the router.
    Unknown,
}

impl Outcome {
    /// The outcome's name in the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Denied => "denied",
            Self::Invalid => "invalid",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
            Self::Unknown => "unknown",
        }
    }

    /// Every outcome, in the order of the documentation.
    pub const ALL: [Self; 6] = [
        Self::Ok,
        Self::Denied,
        Self::Invalid,
        Self::Failed,
        Self::Skipped,
        Self::Unknown,
    ];

    /// Parses an outcome name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|o| o.as_str().eq_ignore_ascii_case(text))
    }
}

/// One audited attempt. Passwords never appear in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// When the bot handled it.
    pub at: DateTime<Utc>,
    /// The sender's normalized phone number, or what the messenger gave if it is none.
    pub actor_phone: String,
    /// The sender's WhatsApp LID, if known.
    pub actor_lid: Option<String>,
    /// The sender's role, if allowlisted.
    pub role: Option<Role>,
    /// The command word (`addpppoe`, ...), or `-` when the message was no command.
    pub command: String,
    /// The username concerned.
    pub target: Option<String>,
    /// The router concerned.
    pub router: Option<String>,
    /// The arguments, passwords replaced by `***`.
    pub arguments: String,
    /// The outcome.
    pub outcome: Outcome,
    /// Why it was not `ok`.
    pub error: Option<String>,
    /// A delete's reason.
    pub reason: Option<String>,
    /// How long handling took.
    pub duration_ms: u64,
    /// The message id (unique: the at-most-once record).
    pub message_id: MessageId,
}

/// Errors of an [`AuditSink`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum AuditError {
    /// This message id has an event already.
    #[error("message {0} is already recorded")]
    Duplicate(MessageId),
    /// The store failed.
    #[error("audit store failed: {0}")]
    Store(String),
}

/// The audit log.
pub trait AuditSink: Send + Sync {
    /// Appends one event durably; `Ok` means it survives a crash.
    fn append(&self, event: AuditEvent) -> impl Future<Output = Result<(), AuditError>> + Send;

    /// Whether an event for this message id exists.
    fn is_handled(&self, id: &str) -> impl Future<Output = Result<bool, AuditError>> + Send;

    /// Records durably, before a change runs, that `event.message_id` is about to change the
    /// router, with what is known of the attempt so far (actor, role, command, target,
    /// redacted arguments). `Ok(false)` if it was claimed before: an earlier attempt was
    /// interrupted (a stop between the router call and the audit row), so it must not run
    /// again.
    fn claim(&self, event: &AuditEvent) -> impl Future<Output = Result<bool, AuditError>> + Send;

    /// The claims that have no audit row (attempts interrupted by a stop), oldest first, as
    /// they were claimed. [`Engine::recover_interrupted`](crate::Engine::recover_interrupted)
    /// records each as outcome [`Outcome::Unknown`].
    fn interrupted(&self) -> impl Future<Output = Result<Vec<AuditEvent>, AuditError>> + Send;

    /// When the bot created each of these usernames (the newest successful `addpppoe`), for
    /// those it created.
    fn created_at(
        &self,
        usernames: &[String],
    ) -> impl Future<Output = Result<HashMap<String, DateTime<Utc>>, AuditError>> + Send;

    /// How many attempts of each command each actor made with outcome `ok` at or after
    /// `since` (the performance report).
    fn activity(
        &self,
        since: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<ActivityCount>, AuditError>> + Send;
}

/// How often one actor did one command (outcome `ok`) in a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityCount {
    /// The actor's phone digits.
    pub actor: String,
    /// The command word.
    pub command: String,
    /// How many times.
    pub count: u64,
}

/// The time, injected so that tests are deterministic.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
