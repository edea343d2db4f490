//! The TOML configuration (see `config.example.toml`). Every value is checked while it is read,
//! so an error names the key and the line; unknown keys are errors too.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};

use pppoe_core::template::{MessageTemplate, Placeholder};
use pppoe_core::{
    AccessEntry, ClientEntry, CommandKind, CustomerSettings, DeleteConfirmation, EngineConfig,
    Ipv4Net, Language, Permissions, PhoneNumber, Profile, ProfileTable, RateLimit, Role,
    TicketSettings,
};
use serde::Deserialize;
use serde::de::{self, Deserializer};
use toml::Spanned;

/// A secret value: `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq, Default)]
pub(crate) struct SecretString(String);

impl SecretString {
    pub(crate) fn new(value: String) -> Self {
        Self(value)
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

/// The name of the environment variable holding a router's password. Not secret by itself,
/// but an operator may paste the password there by mistake, so `Debug` and errors never show
/// it either.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct EnvVarName(String);

impl fmt::Debug for EnvVarName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

/// Deserializes a string, and anything else into an error that does not quote the value:
/// serde's own "invalid type: integer `987654321123`" would print a password given unquoted.
struct QuotedString {
    /// The whole error message.
    wrong_type: &'static str,
}

impl<'de> de::Visitor<'de> for QuotedString {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string in quotes")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }

    // The defaults of these quote the value; maps, sequences and the rest do not.
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<String, E> {
        Err(E::custom(self.wrong_type))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<String, E> {
        Err(E::custom(self.wrong_type))
    }

    fn visit_i128<E: de::Error>(self, _: i128) -> Result<String, E> {
        Err(E::custom(self.wrong_type))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<String, E> {
        Err(E::custom(self.wrong_type))
    }

    fn visit_u128<E: de::Error>(self, _: u128) -> Result<String, E> {
        Err(E::custom(self.wrong_type))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<String, E> {
        Err(E::custom(self.wrong_type))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, _: A) -> Result<String, A::Error> {
        Err(de::Error::custom(self.wrong_type))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<String, A::Error> {
        Err(de::Error::custom(self.wrong_type))
    }
}

/// The whole file as TOML gives it: raw values, each checked while read. [`Settings`] is what
/// the rest of the binary uses.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    /// `id` (default) or `en`.
    #[serde(default, deserialize_with = "language")]
    pub(crate) language: Language,
    /// IANA time zone of the dates shown, default `Asia/Jakarta`.
    #[serde(default = "default_tz", deserialize_with = "time_zone")]
    pub(crate) time_zone: chrono_tz::Tz,
    /// Changes from messages older than this on arrival are skipped.
    #[serde(default = "default_max_age")]
    pub(crate) max_message_age_secs: u64,
    /// Longest accepted message.
    #[serde(default = "default_max_len", deserialize_with = "max_message_len")]
    pub(crate) max_message_len: usize,
    /// Commands per sender per minute.
    #[serde(default = "default_rate", deserialize_with = "rate_limit_per_minute")]
    pub(crate) rate_limit_per_minute: u32,
    /// `reason` (the spec) or `code`.
    #[serde(default, deserialize_with = "delete_confirmation")]
    pub(crate) delete_confirmation: DeleteConfirmation,
    /// Answer senders that are not on the allowlist.
    #[serde(default)]
    pub(crate) reply_to_unknown: bool,
    /// Users per listing page.
    #[serde(default = "default_page_size", deserialize_with = "page_size")]
    pub(crate) page_size: u32,
    /// Country code for numbers written with a leading 0.
    #[serde(default = "default_country", deserialize_with = "country_code")]
    pub(crate) default_country_code: String,
    /// Pools static IPs must lie in.
    #[serde(default, deserialize_with = "pools")]
    pub(crate) pools: Vec<Ipv4Net>,
    /// Files.
    #[serde(default)]
    pub(crate) paths: Paths,
    /// The routers: look-ups search all of them.
    pub(crate) routers: Vec<RouterConfig>,
    /// Allowlisted numbers.
    pub(crate) access: Vec<AccessConfig>,
    /// Which roles may run which command.
    #[serde(default, deserialize_with = "permissions")]
    pub(crate) permissions: Option<Permissions>,
    /// The packages (default: the spec's five).
    #[serde(default)]
    pub(crate) profiles: Vec<ProfileConfig>,
    /// WhatsApp settings.
    #[serde(default)]
    pub(crate) whatsapp: WhatsAppSection,
    /// Audit log settings.
    #[serde(default)]
    pub(crate) audit: AuditSection,
    /// Trouble ticket settings.
    #[serde(default)]
    pub(crate) tickets: TicketsSection,
    /// Messages to customers.
    #[serde(default)]
    pub(crate) customer: CustomerSection,
    /// Field evidence.
    #[serde(default)]
    pub(crate) evidence: EvidenceSection,
    /// Isolation of subscribers (`isolir`).
    #[serde(default)]
    pub(crate) isolir: IsolirSection,
    /// Local programs (`pppoe-bot exec`) and their roles.
    #[serde(default)]
    pub(crate) clients: Vec<LocalClient>,
    /// `pppoe-bot exec`'s socket.
    #[serde(default)]
    pub(crate) exec: ExecSection,
    /// Online/offline alerts.
    #[serde(default)]
    pub(crate) alerts: AlertsSection,
}

/// One `[[clients]]` entry: a local program that runs commands through `pppoe-bot exec`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LocalClient {
    /// Its name: the audit log's actor is `client:NAME`.
    #[serde(deserialize_with = "client_name")]
    pub(crate) name: Spanned<String>,
    /// `admin` or `technician`.
    #[serde(deserialize_with = "client_role")]
    pub(crate) role: Role,
}

/// A client's role, with an example.
fn client_role<'de, D: Deserializer<'de>>(d: D) -> Result<Role, D::Error> {
    String::deserialize(d)?
        .parse()
        .map_err(|e| de::Error::custom(format!("[[clients]] role: {e}, e.g. role = \"admin\"")))
}

/// The longest client name.
const CLIENT_NAME_MAX: usize = 32;

/// A client's name: 1 to 32 ASCII letters, digits, `-` or `_`.
fn client_name<'de, D: Deserializer<'de>>(d: D) -> Result<Spanned<String>, D::Error> {
    let name = Spanned::<String>::deserialize(d)?;
    let text = name.get_ref();
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if text.is_empty() || text.chars().count() > CLIENT_NAME_MAX || !text.chars().all(allowed) {
        return Err(de::Error::custom(format!(
            "[[clients]] name {text:?} is not a client name: 1 to {CLIENT_NAME_MAX} ASCII letters, \
             digits, - or _, e.g. name = \"billing\""
        )));
    }
    Ok(name)
}

/// `[exec]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExecSection {
    /// The Unix socket `pppoe-bot run` listens on for `pppoe-bot exec` (default:
    /// `pppoe-bot.sock` in the audit database's directory).
    #[serde(default, deserialize_with = "socket_path")]
    pub(crate) socket: Option<PathBuf>,
}

fn socket_path<'de, D: Deserializer<'de>>(d: D) -> Result<Option<PathBuf>, D::Error> {
    let path = PathBuf::deserialize(d)?;
    if path.as_os_str().is_empty() {
        return Err(de::Error::custom(
            "[exec] socket is empty: give the path of the socket file, e.g. socket = \"/var/lib/pppoe-bot/pppoe-bot.sock\"",
        ));
    }
    Ok(Some(path))
}

/// `[isolir]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IsolirSection {
    /// `profile` or `disable`.
    #[serde(default = "default_isolir_method", deserialize_with = "isolir_method")]
    pub(crate) method: pppoe_core::IsolirMethod,
    /// The RouterOS profile of isolated subscribers.
    #[serde(default = "default_isolir_name", deserialize_with = "routeros_name")]
    pub(crate) profile: String,
    /// The firewall address list of isolated static IPs.
    #[serde(default = "default_isolir_name", deserialize_with = "routeros_name")]
    pub(crate) address_list: String,
}

impl Default for IsolirSection {
    fn default() -> Self {
        Self {
            method: default_isolir_method(),
            profile: default_isolir_name(),
            address_list: default_isolir_name(),
        }
    }
}

fn default_isolir_method() -> pppoe_core::IsolirMethod {
    pppoe_core::IsolirMethod::Profile
}

fn default_isolir_name() -> String {
    "isolir".to_owned()
}

fn isolir_method<'de, D: Deserializer<'de>>(d: D) -> Result<pppoe_core::IsolirMethod, D::Error> {
    let name = String::deserialize(d)?;
    pppoe_core::IsolirMethod::parse(&name).ok_or_else(|| {
        de::Error::custom(format!(
            "{name:?} is not an isolation method: \"profile\" (switch to the isolation profile) or \"disable\", e.g. method = \"profile\""
        ))
    })
}

/// A RouterOS object name: not empty, no spaces or control characters.
fn routeros_name<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let name = String::deserialize(d)?;
    if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(de::Error::custom(format!(
            "{name:?} is not a RouterOS name: not empty, without spaces, e.g. \"isolir\""
        )));
    }
    Ok(name)
}

/// `[alerts]`: online/offline alerts (`pantau`, and for everyone with `all`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AlertsSection {
    /// Alerts for every subscriber to the `notify` roles (default off).
    #[serde(default)]
    pub(crate) all: bool,
    /// Who gets them (default: admins).
    #[serde(default = "default_ticket_notify", deserialize_with = "roles")]
    pub(crate) notify: Vec<Role>,
    /// An offline alert after this long without a new session, 60 to 86400 (default 300).
    #[serde(default = "default_offline_after", deserialize_with = "offline_after")]
    pub(crate) offline_after_secs: u64,
    /// A subscriber dropping this many times ... (default 4; 0: never summarised)
    #[serde(default = "default_flap_count")]
    pub(crate) flap_count: usize,
    /// ... within this many minutes gets one summary (default 10).
    #[serde(
        default = "default_flap_minutes",
        deserialize_with = "positive_minutes"
    )]
    pub(crate) flap_minutes: u64,
    /// A drop of more than this many subscribers of one router within 2 minutes ... (10)
    #[serde(default = "default_mass_count")]
    pub(crate) mass_count: usize,
    /// ... or of more than this share of its sessions, in per cent, 1 to 100 (20), is one
    /// message.
    #[serde(default = "default_mass_percent", deserialize_with = "percent")]
    pub(crate) mass_percent: u32,
    /// Local hours without alerts for everyone, e.g. "22:00-06:00" (default none).
    #[serde(default, deserialize_with = "quiet_hours")]
    pub(crate) quiet_hours: Option<pppoe_core::alerts::QuietHours>,
    /// Where `listen` is refused, how often the sessions are read, 5 to 3600 s (default 30).
    #[serde(default = "default_poll_secs", deserialize_with = "poll_secs")]
    pub(crate) poll_secs: u64,
}

impl Default for AlertsSection {
    fn default() -> Self {
        Self {
            all: false,
            notify: default_ticket_notify(),
            offline_after_secs: default_offline_after(),
            flap_count: default_flap_count(),
            flap_minutes: default_flap_minutes(),
            mass_count: default_mass_count(),
            mass_percent: default_mass_percent(),
            quiet_hours: None,
            poll_secs: default_poll_secs(),
        }
    }
}

impl AlertsSection {
    fn settings(&self) -> pppoe_core::alerts::AlertSettings {
        pppoe_core::alerts::AlertSettings {
            all: self.all,
            notify: self.notify.clone(),
            offline_after: Duration::from_secs(self.offline_after_secs),
            flap_count: self.flap_count,
            flap_window: Duration::from_secs(self.flap_minutes * 60),
            mass_count: self.mass_count,
            mass_percent: self.mass_percent,
            quiet_hours: self.quiet_hours,
            ..pppoe_core::alerts::AlertSettings::default()
        }
    }
}

fn default_offline_after() -> u64 {
    300
}
fn default_flap_count() -> usize {
    4
}
fn default_flap_minutes() -> u64 {
    10
}
fn default_mass_count() -> usize {
    10
}
fn default_mass_percent() -> u32 {
    20
}
fn default_poll_secs() -> u64 {
    30
}

/// A whole number in `range`, or an error naming the rule and an example.
fn in_range<'de, D: Deserializer<'de>>(
    d: D,
    range: std::ops::RangeInclusive<u64>,
    example: &str,
) -> Result<u64, D::Error> {
    let n = u64::deserialize(d)?;
    if range.contains(&n) {
        Ok(n)
    } else {
        Err(de::Error::custom(format!(
            "{n} is out of range: {} to {}, e.g. {example}",
            range.start(),
            range.end()
        )))
    }
}

fn offline_after<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    in_range(d, 60..=86_400, "offline_after_secs = 300")
}

fn positive_minutes<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    in_range(d, 1..=1440, "flap_minutes = 10")
}

fn percent<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    in_range(d, 1..=100, "mass_percent = 20").map(|n| u32::try_from(n).unwrap_or(100))
}

fn poll_secs<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    in_range(d, 5..=3600, "poll_secs = 30")
}

fn quiet_hours<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<pppoe_core::alerts::QuietHours>, D::Error> {
    let text = String::deserialize(d)?;
    pppoe_core::alerts::QuietHours::parse(&text)
        .map(Some)
        .ok_or_else(|| {
            de::Error::custom(format!(
                "{text:?} is not quiet hours: two different local times HH:MM-HH:MM, e.g. quiet_hours = \"22:00-06:00\""
            ))
        })
}

/// `[evidence]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EvidenceSection {
    /// The largest photo or document kept, in megabytes (10^6 bytes), 1 to 100.
    #[serde(default = "default_max_mb", deserialize_with = "max_mb")]
    pub(crate) max_mb: u64,
}

impl Default for EvidenceSection {
    fn default() -> Self {
        Self {
            max_mb: default_max_mb(),
        }
    }
}

fn default_max_mb() -> u64 {
    10
}

fn max_mb<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let mb = u64::deserialize(d)?;
    if (1..=100).contains(&mb) {
        Ok(mb)
    } else {
        Err(de::Error::custom(format!(
            "max_mb = {mb}: must be 1 to 100 (WhatsApp sends documents up to 100 MB)"
        )))
    }
}

/// `[customer]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CustomerSection {
    /// Send the customer their login after `addpppoe ... wa=`.
    #[serde(default)]
    pub(crate) notify_on_create: bool,
    /// Tell the customer when a ticket about their subscription is resolved.
    #[serde(default)]
    pub(crate) notify_on_resolve: bool,
    /// The creation notice, with placeholders (default: the built-in one of the language).
    #[serde(default, deserialize_with = "create_template")]
    pub(crate) template_create: Option<MessageTemplate>,
    /// The resolution notice.
    #[serde(default, deserialize_with = "resolve_template")]
    pub(crate) template_resolve: Option<MessageTemplate>,
    /// Also write the customer's number into the router's comment.
    #[serde(default)]
    pub(crate) number_in_comment: bool,
}

fn create_template<'de, D: Deserializer<'de>>(d: D) -> Result<Option<MessageTemplate>, D::Error> {
    let text = String::deserialize(d)?;
    MessageTemplate::parse(&text, &Placeholder::CREATE)
        .map(Some)
        .map_err(|e| de::Error::custom(format!("template_create: {e}")))
}

fn resolve_template<'de, D: Deserializer<'de>>(d: D) -> Result<Option<MessageTemplate>, D::Error> {
    let text = String::deserialize(d)?;
    MessageTemplate::parse(&text, &Placeholder::RESOLVE)
        .map(Some)
        .map_err(|e| de::Error::custom(format!("template_resolve: {e}")))
}

impl CustomerSection {
    fn settings(&self) -> CustomerSettings {
        CustomerSettings {
            notify_on_create: self.notify_on_create,
            notify_on_resolve: self.notify_on_resolve,
            create_template: self.template_create.clone(),
            resolve_template: self.template_resolve.clone(),
            number_in_comment: self.number_in_comment,
        }
    }
}

/// `[tickets]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TicketsSection {
    /// Who hears of a new ticket and of a reopened one: roles (`admin`, `technician`).
    #[serde(default = "default_ticket_notify", deserialize_with = "roles")]
    pub(crate) notify: Vec<Role>,
    /// A resolved ticket is closed by the bot this many days after; 0: never.
    #[serde(default = "default_close_after_days")]
    pub(crate) close_after_days: u32,
}

impl Default for TicketsSection {
    fn default() -> Self {
        Self {
            notify: default_ticket_notify(),
            close_after_days: default_close_after_days(),
        }
    }
}

fn default_ticket_notify() -> Vec<Role> {
    vec![Role::Admin]
}

fn default_close_after_days() -> u32 {
    7
}

fn roles<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Role>, D::Error> {
    Vec::<String>::deserialize(d)?
        .iter()
        .map(|r| r.parse::<Role>().map_err(de::Error::custom))
        .collect()
}

impl TicketsSection {
    fn settings(&self) -> TicketSettings {
        TicketSettings {
            notify: self.notify.clone(),
            close_after: (self.close_after_days > 0)
                .then(|| Duration::from_secs(u64::from(self.close_after_days) * 24 * 3600)),
        }
    }
}

/// `[audit]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditSection {
    /// Where each seal is also sent as it is made: `file:/path/on/another/mount`,
    /// `udp://collector:514` or `tcp://collector:514` (syslog).
    #[serde(default, deserialize_with = "anchors")]
    pub(crate) anchors: Vec<audit_store::anchor::Anchor>,
}

fn anchors<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<audit_store::anchor::Anchor>, D::Error> {
    Vec::<String>::deserialize(d)?
        .iter()
        .map(|a| a.parse().map_err(de::Error::custom))
        .collect()
}

/// `[whatsapp]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WhatsAppSection {
    /// Group chats (JIDs ending in `@g.us`) whose commands are answered.
    #[serde(default, deserialize_with = "groups")]
    pub(crate) allowed_groups: Vec<String>,
    /// At most this many messages sent per minute, all chats together.
    #[serde(default = "default_per_minute")]
    pub(crate) messages_per_minute: u32,
    /// At least this many milliseconds between two messages to one chat.
    #[serde(default = "default_chat_interval")]
    pub(crate) chat_interval_ms: u64,
    /// Each message waits a further random time up to this many milliseconds.
    #[serde(default = "default_jitter")]
    pub(crate) jitter_ms: u64,
    /// Where the WhatsApp client connects instead of WhatsApp (a test server); unset for
    /// WhatsApp itself.
    #[serde(default, deserialize_with = "server_url")]
    pub(crate) server_url: Option<String>,
}

impl Default for WhatsAppSection {
    fn default() -> Self {
        Self {
            allowed_groups: Vec::new(),
            messages_per_minute: default_per_minute(),
            chat_interval_ms: default_chat_interval(),
            jitter_ms: default_jitter(),
            server_url: None,
        }
    }
}

fn default_per_minute() -> u32 {
    20
}
fn default_chat_interval() -> u64 {
    1000
}
fn default_jitter() -> u64 {
    700
}

fn server_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let url = String::deserialize(d)?;
    if url.starts_with("ws://") || url.starts_with("wss://") {
        Ok(Some(url))
    } else {
        Err(de::Error::custom(format!(
            "{url:?} is not a WebSocket URL: it starts with ws:// or wss://, e.g. \"ws://127.0.0.1:5222/ws/chat\""
        )))
    }
}

fn groups<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let groups = Vec::<String>::deserialize(d)?;
    for g in &groups {
        if !g.ends_with("@g.us") {
            return Err(de::Error::custom(format!(
                "{g:?} is not a group JID: it ends in @g.us, e.g. \"120363012345678901@g.us\""
            )));
        }
    }
    Ok(groups)
}

fn default_tz() -> chrono_tz::Tz {
    chrono_tz::Asia::Jakarta
}
fn default_max_age() -> u64 {
    120
}
fn default_max_len() -> usize {
    pppoe_core::command::DEFAULT_MAX_LEN
}
fn default_rate() -> u32 {
    30
}
fn default_page_size() -> u32 {
    20
}
fn default_country() -> String {
    "62".to_owned()
}

/// Where files live.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Paths {
    /// The audit database.
    #[serde(default = "default_audit_db")]
    pub(crate) audit_db: PathBuf,
    /// The WhatsApp session (written by `pppoe-bot pair`).
    #[serde(default = "default_session")]
    pub(crate) whatsapp_session: PathBuf,
    /// Field evidence (photos, documents), each file named by its SHA-256.
    #[serde(default = "default_media")]
    pub(crate) media: PathBuf,
}

impl Default for Paths {
    fn default() -> Self {
        Self {
            audit_db: default_audit_db(),
            whatsapp_session: default_session(),
            media: default_media(),
        }
    }
}

fn default_media() -> PathBuf {
    PathBuf::from("media")
}

fn default_session() -> PathBuf {
    PathBuf::from("whatsapp-session.db")
}

fn default_audit_db() -> PathBuf {
    PathBuf::from("pppoe-audit.db")
}

/// `pppoe-bot exec`'s socket when `[exec] socket` is not set: `pppoe-bot.sock` in the audit
/// database's directory (the bot's state directory, writable by it and private to it).
fn default_exec_socket(audit_db: &Path) -> PathBuf {
    audit_db.with_file_name("pppoe-bot.sock")
}

/// One router.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RouterConfig {
    /// Its name in replies and the audit log.
    pub(crate) name: String,
    /// Host name or address.
    pub(crate) host: String,
    /// API port (default 8728, or 8729 with TLS).
    #[serde(default)]
    pub(crate) port: Option<u16>,
    /// API user.
    pub(crate) user: String,
    /// The password, inline (prefer `password_env` or `password_file`).
    #[serde(default)]
    pub(crate) password: Option<SecretString>,
    /// The name of an environment variable holding the password.
    #[serde(default)]
    pub(crate) password_env: Option<Spanned<EnvVarName>>,
    /// A file holding the password (first line).
    #[serde(default)]
    pub(crate) password_file: Option<Spanned<PathBuf>>,
    /// api-ssl settings; absent or `false`: plain API.
    #[serde(default)]
    pub(crate) tls: Option<TlsConfig>,
    /// Seconds allowed for each command, and for each step of connecting: TCP, TLS, login
    /// (default 30).
    #[serde(default = "default_command_timeout", deserialize_with = "timeout_secs")]
    pub(crate) timeout_secs: u64,
    /// A connection unused for this many seconds is checked before a command uses it
    /// (default 60; 0: never).
    #[serde(default = "default_idle_check")]
    pub(crate) idle_check_secs: u64,
    /// The line of the password setting, for errors found when the password is read.
    #[serde(skip)]
    pub(crate) password_line: usize,
}

fn default_command_timeout() -> u64 {
    30
}

fn default_idle_check() -> u64 {
    60
}

/// api-ssl: verify against a CA file or pin the certificate's SHA-256 fingerprint.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TlsConfig {
    /// PEM file of the CA that signed the router's certificate.
    #[serde(default)]
    pub(crate) ca_file: Option<PathBuf>,
    /// SHA-256 fingerprint of the router's certificate (hex, colons allowed).
    #[serde(default)]
    pub(crate) fingerprint: Option<String>,
    /// The name to verify, when `host` is an address that is not in the certificate.
    #[serde(default)]
    pub(crate) server_name: Option<String>,
}

impl<'de> Deserialize<'de> for SecretString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_string(QuotedString {
            wrong_type: "router password must be a string in quotes",
        })
        .map(Self)
    }
}

impl<'de> Deserialize<'de> for EnvVarName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_string(QuotedString {
            wrong_type: "password_env must be the name of an environment variable, in quotes",
        })
        .map(Self)
    }
}

/// One allowlisted number.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AccessConfig {
    /// The number, in any common form.
    pub(crate) phone: Spanned<String>,
    /// `admin` or `technician`.
    #[serde(deserialize_with = "role")]
    pub(crate) role: Role,
    /// A name for people reading logs.
    #[serde(default)]
    pub(crate) name: String,
    /// The router this sender's new subscribers are created on (default: the first).
    #[serde(default)]
    pub(crate) router: Option<Spanned<String>>,
}

/// One package.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProfileConfig {
    /// The name technicians type.
    pub(crate) name: String,
    /// The RouterOS profile (default: the same name).
    #[serde(default)]
    pub(crate) router_profile: Option<String>,
    /// RouterOS rate-limit, `UPLOAD/DOWNLOAD` from the router's side (`25M/50M`).
    #[serde(deserialize_with = "rate_limit")]
    pub(crate) rate_limit: RateLimit,
    /// Shown in help.
    #[serde(default)]
    pub(crate) description: String,
}

fn language<'de, D: Deserializer<'de>>(d: D) -> Result<Language, D::Error> {
    String::deserialize(d)?.parse().map_err(de::Error::custom)
}

fn time_zone<'de, D: Deserializer<'de>>(d: D) -> Result<chrono_tz::Tz, D::Error> {
    let text = String::deserialize(d)?;
    text.parse().map_err(|_| {
        de::Error::custom(format!(
            "unknown time zone {text:?}: use an IANA name such as \"Asia/Jakarta\", \"Asia/Makassar\" or \"Asia/Jayapura\""
        ))
    })
}

fn delete_confirmation<'de, D: Deserializer<'de>>(d: D) -> Result<DeleteConfirmation, D::Error> {
    match String::deserialize(d)?.as_str() {
        "reason" => Ok(DeleteConfirmation::Reason),
        "code" => Ok(DeleteConfirmation::Code),
        other => Err(de::Error::custom(format!(
            "unknown delete_confirmation {other:?}: expected \"reason\" or \"code\""
        ))),
    }
}

/// A number that must not be 0 (0 would refuse every message, or time out every command).
fn at_least_one<'de, D, T>(d: D, key: &str) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default + PartialEq,
{
    let n = T::deserialize(d)?;
    if n == T::default() {
        Err(de::Error::custom(format!("{key} must be at least 1")))
    } else {
        Ok(n)
    }
}

fn max_message_len<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    at_least_one(d, "max_message_len")
}

fn rate_limit_per_minute<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    at_least_one(d, "rate_limit_per_minute")
}

fn timeout_secs<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    at_least_one(d, "timeout_secs")
}

fn page_size<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let n = u32::deserialize(d)?;
    if (1..=100).contains(&n) {
        Ok(n)
    } else {
        Err(de::Error::custom(format!(
            "page_size {n} must be between 1 and 100"
        )))
    }
}

fn country_code<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let text = String::deserialize(d)?;
    let digits = text.trim_start_matches('+');
    if (1..=3).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(digits.to_owned())
    } else {
        Err(de::Error::custom(format!(
            "default_country_code {text:?} must be 1 to 3 digits, e.g. \"62\""
        )))
    }
}

fn pools<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Ipv4Net>, D::Error> {
    Vec::<String>::deserialize(d)?
        .iter()
        .map(|p| Ipv4Net::parse(p).map_err(de::Error::custom))
        .collect()
}

fn role<'de, D: Deserializer<'de>>(d: D) -> Result<Role, D::Error> {
    String::deserialize(d)?.parse().map_err(de::Error::custom)
}

fn rate_limit<'de, D: Deserializer<'de>>(d: D) -> Result<RateLimit, D::Error> {
    RateLimit::parse(&String::deserialize(d)?).map_err(de::Error::custom)
}

fn permissions<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Permissions>, D::Error> {
    let table = HashMap::<String, Vec<String>>::deserialize(d)?;
    let mut permissions = Permissions::default();
    for (command, roles) in table {
        let kind = CommandKind::from_word(&command).ok_or_else(|| {
            de::Error::custom(format!(
                "unknown command {command:?} in [permissions]: expected one of {}",
                CommandKind::ALL.map(CommandKind::word).join(", ")
            ))
        })?;
        let roles = roles
            .iter()
            .map(|r| r.parse::<Role>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(de::Error::custom)?;
        permissions.set(kind, roles);
    }
    Ok(Some(permissions))
}

/// Returns the 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The configuration, checked and converted once ("raw TOML -> checked settings"): every
/// later use is infallible. Only the router passwords (from a variable or a file) and TLS
/// files are read later, when a router is connected to, so that the auditor's
/// `audit list --config` needs neither.
#[derive(Debug)]
pub(crate) struct Settings {
    /// The engine's settings: the allowlist (numbers parsed once), the packages, the rules.
    pub(crate) engine: EngineConfig,
    /// The routers, in the order of the file.
    pub(crate) routers: Vec<RouterConfig>,
    /// Where files live.
    pub(crate) paths: Paths,
    /// The WhatsApp adapter's settings.
    pub(crate) whatsapp: whatsapp_adapter::WhatsAppConfig,
    /// Country code for numbers written with a leading 0 (`--as`, `--phone`).
    pub(crate) default_country_code: String,
    /// Where seals are anchored off the machine.
    pub(crate) anchors: Vec<audit_store::anchor::Anchor>,
    /// The Unix socket of `pppoe-bot exec`: `[exec] socket`, or `pppoe-bot.sock` beside the
    /// audit database.
    pub(crate) exec_socket: PathBuf,
    /// How the routers' session watchers follow `/ppp/active` (`[alerts] poll_secs`).
    pub(crate) watch: routeros_adapter::WatchSettings,
}

impl Settings {
    /// Reads, checks and converts a config file.
    pub(crate) fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the config file {}", path.display()))?;
        let settings = Self::parse(&text).with_context(|| format!("in {}", path.display()))?;
        for r in &settings.routers {
            if let Some(file) = &r.password_file {
                crate::file_modes::warn_if_password_file_exposed(&r.name, file.get_ref());
            }
        }
        Ok(settings)
    }

    /// Checks and converts config text.
    pub(crate) fn parse(text: &str) -> anyhow::Result<Self> {
        let mut raw: RawConfig = match toml::from_str(text) {
            Ok(c) => c,
            Err(e) => {
                let line = e.span().map(|s| line_of(text, s.start));
                let message = e.message().trim_end();
                match line {
                    Some(line) => bail!("line {line}: {message}"),
                    None => bail!("{message}"),
                }
            }
        };
        for r in &mut raw.routers {
            let source = (r.password_env.as_ref().map(Spanned::span))
                .or_else(|| r.password_file.as_ref().map(Spanned::span));
            if let Some(span) = source {
                r.password_line = line_of(text, span.start);
            }
        }
        raw.settings(text)
    }

    /// The first allowlisted number (the console's default sender).
    pub(crate) fn first_number(&self) -> &PhoneNumber {
        // `settings` refuses a config without an [[access]] entry.
        &self.engine.access[0].phone
    }
}

impl RawConfig {
    /// Checks what single values cannot show (names, numbers, references between tables) and
    /// converts everything once.
    fn settings(self, text: &str) -> anyhow::Result<Settings> {
        let line_of_key = |needle: &str| {
            text.find(needle)
                .map_or_else(String::new, |o| format!("line {}: ", line_of(text, o)))
        };
        if self.routers.is_empty() {
            bail!(
                "no router configured: add a [[routers]] table with name, host, user and password_env"
            );
        }
        for (i, r) in self.routers.iter().enumerate() {
            if self.routers[..i].iter().any(|q| q.name == r.name) {
                bail!(
                    "{}two routers are named {:?}: router names must be unique",
                    line_of_key(&format!("\"{}\"", r.name)),
                    r.name
                );
            }
            let sources = [
                r.password.is_some(),
                r.password_env.is_some(),
                r.password_file.is_some(),
            ]
            .iter()
            .filter(|s| **s)
            .count();
            if sources != 1 {
                bail!(
                    "{}router {:?}: give exactly one of password, password_env or password_file",
                    line_of_key(&format!("\"{}\"", r.name)),
                    r.name
                );
            }
            if let Some(tls) = &r.tls
                && tls.ca_file.is_none() == tls.fingerprint.is_none()
            {
                bail!(
                    "{}router {:?}: [routers.tls] needs exactly one of ca_file or fingerprint",
                    line_of_key("tls"),
                    r.name
                );
            }
        }
        if self.access.is_empty() {
            bail!(
                "no [[access]] entry: add at least one admin number (there is no built-in administrator)"
            );
        }
        let line = |span: std::ops::Range<usize>| line_of(text, span.start);
        let mut access: Vec<(AccessEntry, usize)> = Vec::with_capacity(self.access.len());
        let mut home_routers = HashMap::new();
        for a in &self.access {
            let at = line(a.phone.span());
            let phone = PhoneNumber::parse(a.phone.get_ref(), &self.default_country_code)
                .map_err(|e| anyhow::anyhow!("line {at}: [[access]] phone: {e}"))?;
            // Two entries for one number used to merge silently: the first's role, the
            // second's router.
            if let Some((_, first)) = access.iter().find(|(e, _)| e.phone == phone) {
                bail!(
                    "line {at}: [[access]] phone {:?} is {}, the same number as on line {first}: \
                     give each number one entry (one role, one router)",
                    a.phone.get_ref(),
                    phone.as_str()
                );
            }
            if let Some(router) = &a.router {
                if !self.routers.iter().any(|r| r.name == *router.get_ref()) {
                    let names: Vec<String> = self
                        .routers
                        .iter()
                        .map(|r| format!("{:?}", r.name))
                        .collect();
                    bail!(
                        "line {}: [[access]] router {:?} is not the name of a [[routers]] entry ({})",
                        line(router.span()),
                        router.get_ref(),
                        names.join(", ")
                    );
                }
                home_routers.insert(phone.clone(), router.get_ref().clone());
            }
            access.push((
                AccessEntry {
                    phone,
                    role: a.role,
                    name: a.name.clone(),
                },
                at,
            ));
        }
        let access: Vec<AccessEntry> = access.into_iter().map(|(e, _)| e).collect();
        let mut clients: Vec<(ClientEntry, usize)> = Vec::with_capacity(self.clients.len());
        for c in &self.clients {
            let at = line(c.name.span());
            let name = c.name.get_ref();
            if let Some((_, first)) = clients.iter().find(|(e, _)| e.name == *name) {
                bail!(
                    "line {at}: [[clients]] name {name:?} is also the name on line {first}: \
                     client names must be unique, e.g. name = \"billing\" and name = \"billing-2\""
                );
            }
            clients.push((
                ClientEntry {
                    name: name.clone(),
                    role: c.role,
                },
                at,
            ));
        }
        let clients = clients.into_iter().map(|(c, _)| c).collect();
        let profiles = self.profile_table()?;

        let mut whatsapp =
            whatsapp_adapter::WhatsAppConfig::new(self.paths.whatsapp_session.clone());
        whatsapp.allowed_groups = self.whatsapp.allowed_groups.clone();
        whatsapp.language = self.language;
        whatsapp.pacing.per_minute = self.whatsapp.messages_per_minute.max(1);
        whatsapp.pacing.per_chat_interval = Duration::from_millis(self.whatsapp.chat_interval_ms);
        whatsapp.pacing.jitter = Duration::from_millis(self.whatsapp.jitter_ms);
        if let Some(url) = &self.whatsapp.server_url {
            whatsapp.endpoint = whatsapp_adapter::Endpoint::Url(url.clone());
        }
        whatsapp.media_max_bytes = self.evidence.max_mb * 1_000_000;
        whatsapp.admins = access
            .iter()
            .filter(|a| a.role == Role::Admin)
            .map(|a| a.phone.clone())
            .collect();

        let engine = EngineConfig {
            access,
            clients,
            alerts: self.alerts.settings(),
            permissions: self.permissions.clone().unwrap_or_default(),
            profiles,
            pools: self.pools.clone(),
            language: self.language,
            time_zone: self.time_zone,
            max_message_age: Duration::from_secs(self.max_message_age_secs),
            rate_limit_per_minute: self.rate_limit_per_minute,
            max_message_len: self.max_message_len,
            delete_confirmation: self.delete_confirmation,
            reply_to_unknown: self.reply_to_unknown,
            page_size: self.page_size,
            home_routers,
            default_country_code: self.default_country_code.clone(),
            tickets: self.tickets.settings(),
            customer: self.customer.settings(),
            evidence_max_bytes: self.evidence.max_mb * 1_000_000,
            isolir: pppoe_core::IsolirSettings {
                method: self.isolir.method,
                profile: self.isolir.profile.clone(),
                address_list: self.isolir.address_list.clone(),
            },
        };
        let exec_socket = self
            .exec
            .socket
            .unwrap_or_else(|| default_exec_socket(&self.paths.audit_db));
        Ok(Settings {
            engine,
            routers: self.routers,
            paths: self.paths,
            whatsapp,
            default_country_code: self.default_country_code,
            anchors: self.audit.anchors,
            exec_socket,
            watch: routeros_adapter::WatchSettings {
                poll_interval: Duration::from_secs(self.alerts.poll_secs),
                ..routeros_adapter::WatchSettings::default()
            },
        })
    }

    /// The package table: the configured one, or the spec's default.
    fn profile_table(&self) -> anyhow::Result<ProfileTable> {
        if self.profiles.is_empty() {
            return Ok(ProfileTable::default());
        }
        let profiles = self
            .profiles
            .iter()
            .map(|p| Profile {
                name: p.name.clone(),
                router_profile: p.router_profile.clone().unwrap_or_else(|| p.name.clone()),
                download_bps: p.rate_limit.download_bps,
                upload_bps: p.rate_limit.upload_bps,
                description: p.description.clone(),
            })
            .collect();
        ProfileTable::new(profiles).context("[[profiles]]")
    }
}

impl RouterConfig {
    /// The password from wherever the config says it is.
    pub(crate) fn password(&self) -> anyhow::Result<SecretString> {
        if let Some(p) = &self.password {
            return Ok(p.clone());
        }
        if let Some(var) = &self.password_env {
            // Neither the name (it may be a password pasted in the wrong place) nor the
            // VarError (NotUnicode quotes the value).
            return std::env::var(&var.get_ref().0)
                .ok()
                .filter(|v| !v.is_empty())
                .map(SecretString::new)
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "router {:?}: the environment variable named by password_env on line {} \
                         is not set or empty",
                        self.name,
                        self.password_line
                    )
                });
        }
        if let Some(file) = &self.password_file {
            let file = file.get_ref();
            let text = std::fs::read_to_string(file).with_context(|| {
                format!(
                    "router {:?}: cannot read password_file {} (line {})",
                    self.name,
                    file.display(),
                    self.password_line
                )
            })?;
            let first = text.lines().next().unwrap_or_default();
            if first.is_empty() {
                bail!(
                    "router {:?}: the first line of password_file {} (line {}) is empty",
                    self.name,
                    file.display(),
                    self.password_line
                );
            }
            return Ok(SecretString::new(first.to_owned()));
        }
        bail!("router {:?}: no password configured", self.name)
    }

    /// The adapter's settings for this router: the client, and when an idle connection is
    /// checked.
    pub(crate) fn router_config(&self) -> anyhow::Result<routeros_adapter::RouterOsConfig> {
        let mut config =
            routeros_adapter::RouterOsConfig::new(self.name.clone(), self.client_config()?);
        config.idle_check =
            (self.idle_check_secs > 0).then(|| Duration::from_secs(self.idle_check_secs));
        Ok(config)
    }

    /// Client settings for routeros-api.
    pub(crate) fn client_config(&self) -> anyhow::Result<routeros_api::ClientConfig> {
        let password = self.password()?;
        let mut client = routeros_api::ClientConfig::new(
            self.host.clone(),
            self.user.clone(),
            password.expose(),
        )
        .connect_timeout(Duration::from_secs(self.timeout_secs))
        .command_timeout(Duration::from_secs(self.timeout_secs));
        if let Some(port) = self.port {
            client = client.port(port);
        }
        if let Some(tls) = &self.tls {
            let mut options = match (&tls.ca_file, &tls.fingerprint) {
                (Some(ca), _) => routeros_api::tls::TlsOptions::ca_file(ca)
                    .with_context(|| format!("router {:?}: tls.ca_file", self.name))?,
                (None, Some(fp)) => routeros_api::tls::TlsOptions::pin_sha256_hex(fp)
                    .with_context(|| format!("router {:?}: tls.fingerprint", self.name))?,
                (None, None) => bail!("router {:?}: tls needs ca_file or fingerprint", self.name),
            };
            if let Some(name) = &tls.server_name {
                options = options.server_name(name.clone());
            }
            client = client.tls(options);
        }
        Ok(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
language = "id"
time_zone = "Asia/Jakarta"

[paths]
audit_db = "/tmp/a.db"

[[routers]]
name = "core-1"
host = "192.0.2.1"
user = "pppoe-bot"
password_env = "ROUTER_PW"

[[access]]
phone = "0812-3456-7890"
role = "admin"
name = "NOC"
"#;

    fn error(text: &str) -> String {
        format!("{:#}", Settings::parse(text).unwrap_err())
    }

    #[test]
    fn audit_anchors_parse_and_a_bad_one_is_named() {
        let c = Settings::parse(&format!(
            "{GOOD}\n[audit]\nanchors = [\"file:/mnt/b/anchors.log\", \"udp://192.0.2.9:514\"]\n"
        ))
        .unwrap();
        assert_eq!(c.anchors.len(), 2);
        let e = error(&format!(
            "{GOOD}\n[audit]\nanchors = [\"syslog://x:514\"]\n"
        ));
        assert!(e.contains("syslog://x:514"), "{e}");
        assert!(e.contains("udp://host:514"), "{e}");
    }

    #[test]
    fn tickets_and_customer_sections_parse_and_a_bad_template_is_named() {
        let c = Settings::parse(&format!(
            "{GOOD}\n[tickets]\nnotify = [\"admin\", \"technician\"]\nclose_after_days = 0\n\
             [customer]\nnotify_on_create = true\ntemplate_create = \"Halo {{nama}}: {{username}} / {{password}}\"\n"
        ))
        .unwrap();
        assert_eq!(c.engine.tickets.notify, [Role::Admin, Role::Technician]);
        assert_eq!(c.engine.tickets.close_after, None);
        assert!(c.engine.customer.notify_on_create);
        assert!(!c.engine.customer.notify_on_resolve);
        assert!(c.engine.customer.create_template.unwrap().shows_password());
        let defaults = Settings::parse(GOOD).unwrap();
        assert_eq!(
            defaults.engine.tickets.close_after,
            Some(Duration::from_secs(7 * 24 * 3600))
        );
        let e = error(&format!(
            "{GOOD}\n[customer]\ntemplate_create = \"Halo {{pasword}}\"\n"
        ));
        assert!(
            e.contains("template_create: unknown placeholder {pasword}"),
            "{e}"
        );
        // A resolution notice has no password to show.
        let e = error(&format!(
            "{GOOD}\n[customer]\ntemplate_resolve = \"{{password}}\"\n"
        ));
        assert!(
            e.contains("template_resolve: unknown placeholder {password}"),
            "{e}"
        );
        let e = error(&format!("{GOOD}\n[tickets]\nnotify = [\"boss\"]\n"));
        assert!(e.contains("boss"), "{e}");
    }

    #[test]
    fn a_good_config_parses() {
        let c = Settings::parse(GOOD).unwrap();
        assert_eq!(c.routers[0].name, "core-1");
        let e = &c.engine;
        assert_eq!(e.access[0].phone.as_str(), "6281234567890");
        assert_eq!(e.profiles.names().len(), 5);
        assert!(!format!("{c:?}").contains("ROUTER_PW=")); // nothing secret inline here
    }

    #[test]
    fn bad_configs_name_the_line() {
        let missing_router = GOOD.replace(
            "[[routers]]\nname = \"core-1\"\nhost = \"192.0.2.1\"\nuser = \"pppoe-bot\"\npassword_env = \"ROUTER_PW\"\n",
            "",
        );
        assert!(
            error(&missing_router).contains("missing field `routers`"),
            "{}",
            error(&missing_router)
        );

        let bad_port = GOOD.replace("user = \"pppoe-bot\"", "port = 99999\nuser = \"pppoe-bot\"");
        let e = error(&bad_port);
        assert!(e.starts_with("line 11:"), "{e}");

        let unknown = GOOD.replace("language = \"id\"", "language = \"id\"\ncolour = \"blue\"");
        let e = error(&unknown);
        assert!(e.starts_with("line 3:") && e.contains("colour"), "{e}");

        let bad_rate = format!("{GOOD}\n[[profiles]]\nname = \"Gold\"\nrate_limit = \"10X/5M\"\n");
        let e = error(&bad_rate);
        let line = bad_rate.lines().position(|l| l.contains("10X/5M")).unwrap() + 1;
        assert!(
            e.starts_with(&format!("line {line}:")) && e.contains("10X/5M"),
            "{e}"
        );

        let bad_method = format!("{GOOD}\n[isolir]\nmethod = \"blokir\"\n");
        let e = error(&bad_method);
        let line = bad_method
            .lines()
            .position(|l| l.contains("blokir"))
            .unwrap()
            + 1;
        assert!(
            e.starts_with(&format!("line {line}:"))
                && e.contains("\"blokir\" is not an isolation method")
                && e.contains("method = \"profile\""),
            "{e}"
        );
        let spaced = format!("{GOOD}\n[isolir]\naddress_list = \"isolir list\"\n");
        assert!(error(&spaced).contains("is not a RouterOS name"));
        let quiet = format!("{GOOD}\n[alerts]\nquiet_hours = \"22-06\"\n");
        let e = error(&quiet);
        let line = quiet.lines().position(|l| l.contains("22-06")).unwrap() + 1;
        assert!(
            e.starts_with(&format!("line {line}:"))
                && e.contains("is not quiet hours")
                && e.contains("quiet_hours = \"22:00-06:00\""),
            "{e}"
        );
        let soon = format!("{GOOD}\n[alerts]\noffline_after_secs = 10\n");
        let e = error(&soon);
        assert!(
            e.contains("10 is out of range: 60 to 86400, e.g. offline_after_secs = 300"),
            "{e}"
        );
        let typo = format!("{GOOD}\n[alerts]\nofline_after_secs = 600\n");
        assert!(error(&typo).contains("ofline_after_secs"));
        let not_ws = format!("{GOOD}\n[whatsapp]\nserver_url = \"http://127.0.0.1:1/\"\n");
        assert!(error(&not_ws).contains("starts with ws:// or wss://"));

        let two_passwords = GOOD.replace(
            "password_env = \"ROUTER_PW\"",
            "password_env = \"ROUTER_PW\"\npassword = \"x\"",
        );
        assert!(error(&two_passwords).contains("exactly one of password"));

        let bad_phone = GOOD.replace("0812-3456-7890", "12345@lid");
        let e = error(&bad_phone);
        assert!(e.starts_with("line 15:") && e.contains("LID"), "{e}");

        let bad_tz = GOOD.replace("Asia/Jakarta", "Asia/Bandung");
        assert!(error(&bad_tz).contains("unknown time zone"));
    }

    #[test]
    fn secrets_are_redacted() {
        let inline = GOOD.replace(
            "password_env = \"ROUTER_PW\"",
            "password = \"s3cret-router\"",
        );
        let c = Settings::parse(&inline).unwrap();
        assert!(!format!("{c:?}").contains("s3cret-router"));
        assert!(!format!("{:?}", c.routers[0].client_config().unwrap()).contains("s3cret-router"));
    }

    #[test]
    fn one_number_in_two_access_entries_is_refused_naming_both_lines() {
        let text = format!(
            "{GOOD}\n[[access]]\nphone = \"+62 812 3456 7890\"\nrole = \"technician\"\nrouter = \"core-1\"\n"
        );
        let second = text.lines().position(|l| l.contains("+62 812")).unwrap() + 1;
        let e = error(&text);
        assert_eq!(
            e,
            format!(
                "line {second}: [[access]] phone \"+62 812 3456 7890\" is 6281234567890, \
                 the same number as on line 15: give each number one entry (one role, one router)"
            )
        );
        let other = text.replace("+62 812 3456 7890", "+62 812 3456 7891");
        let c = Settings::parse(&other).unwrap();
        assert_eq!(c.engine.access.len(), 2);
    }

    #[test]
    fn an_access_router_must_be_a_configured_router() {
        let text = GOOD.replace("name = \"NOC\"", "name = \"NOC\"\nrouter = \"core-9\"");
        let e = error(&text);
        assert_eq!(
            e,
            "line 18: [[access]] router \"core-9\" is not the name of a [[routers]] entry \
             (\"core-1\")"
        );
        let good = GOOD.replace("name = \"NOC\"", "name = \"NOC\"\nrouter = \"core-1\"");
        let c = Settings::parse(&good).unwrap();
        assert_eq!(c.engine.home_routers.len(), 1);
    }

    #[test]
    fn zero_limits_are_refused_naming_the_line() {
        for (key, after) in [
            ("rate_limit_per_minute", "time_zone = \"Asia/Jakarta\""),
            ("max_message_len", "time_zone = \"Asia/Jakarta\""),
            ("timeout_secs", "password_env = \"ROUTER_PW\""),
        ] {
            let text = GOOD.replace(after, &format!("{after}\n{key} = 0"));
            let line = text
                .lines()
                .position(|l| l == format!("{key} = 0"))
                .unwrap()
                + 1;
            let e = error(&text);
            assert!(
                e.starts_with(&format!("line {line}: {key} must be at least 1")),
                "{e}"
            );
            let one = GOOD.replace(after, &format!("{after}\n{key} = 1"));
            Settings::parse(&one).unwrap();
        }
    }

    #[test]
    fn config_errors_never_echo_a_password() {
        for (value, secret) in [
            ("987654321123", "987654321123"),
            ("-987654321123", "987654321123"),
            ("9876.54321", "9876.54321"),
            ("true", "true"),
            ("[\"s3cret-in-a-list\"]", "s3cret-in-a-list"),
            ("{ value = \"s3cret-in-a-table\" }", "s3cret-in-a-table"),
        ] {
            let text = GOOD.replace(
                "password_env = \"ROUTER_PW\"",
                &format!("password = {value}"),
            );
            let e = error(&text);
            assert!(
                e.starts_with("line 12: router password must be a string in quotes"),
                "{e}"
            );
            assert!(!e.contains(secret), "{e}");
        }

        // A password written where the variable's name goes: never shown.
        let mistake = GOOD.replace("\"ROUTER_PW\"", "\"hunter2 s3cret\"");
        let c = Settings::parse(&mistake).unwrap();
        assert!(!format!("{c:?}").contains("s3cret"), "{c:?}");
        let e = format!("{:#}", c.routers[0].client_config().unwrap_err());
        assert_eq!(
            e,
            "router \"core-1\": the environment variable named by password_env on line 12 \
             is not set or empty"
        );
        let e = error(&GOOD.replace("\"ROUTER_PW\"", "987654321123"));
        assert!(
            e.starts_with("line 12: password_env must be the name of an environment variable"),
            "{e}"
        );
        assert!(!e.contains("987654321123"), "{e}");
    }

    #[test]
    fn an_empty_password_file_is_refused_naming_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        let text = GOOD.replace(
            "password_env = \"ROUTER_PW\"",
            &format!("password_file = {:?}", file.to_str().unwrap()),
        );
        let c = Settings::parse(&text).unwrap();
        for content in ["", "\n", "\nsecond-line", "\r\n"] {
            std::fs::write(&file, content).unwrap();
            let e = format!("{:#}", c.routers[0].client_config().unwrap_err());
            assert_eq!(
                e,
                format!(
                    "router \"core-1\": the first line of password_file {} (line 12) is empty",
                    file.display()
                ),
                "{content:?}"
            );
        }
        std::fs::write(&file, "s3cret\r\n").unwrap();
        assert_eq!(c.routers[0].password().unwrap().expose(), "s3cret");
        std::fs::remove_file(&file).unwrap();
        let e = format!("{:#}", c.routers[0].client_config().unwrap_err());
        assert!(
            e.starts_with(&format!(
                "router \"core-1\": cannot read password_file {} (line 12): ",
                file.display()
            )),
            "{e}"
        );
    }

    #[test]
    fn timeout_secs_bounds_the_login_too() {
        let text = GOOD.replace(
            "password_env = \"ROUTER_PW\"",
            "password = \"p\"\ntimeout_secs = 7",
        );
        let client = Settings::parse(&text).unwrap().routers[0]
            .client_config()
            .unwrap();
        assert_eq!(client.get_command_timeout(), Duration::from_secs(7));
        assert_eq!(client.get_connect_timeout(), Duration::from_secs(7));
    }

    #[test]
    fn alerts_default_off_and_parse_every_key() {
        let c = Settings::parse(GOOD).unwrap();
        let a = &c.engine.alerts;
        assert!(!a.all);
        assert_eq!(a.offline_after, Duration::from_secs(300));
        assert_eq!(c.watch.poll_interval, Duration::from_secs(30));
        let c = Settings::parse(&format!(
            "{GOOD}\n[alerts]\nall = true\nnotify = [\"admin\", \"technician\"]\n\
             offline_after_secs = 600\nflap_count = 5\nflap_minutes = 15\nmass_count = 30\n\
             mass_percent = 50\nquiet_hours = \"22:00-06:00\"\npoll_secs = 60\n"
        ))
        .unwrap();
        let a = &c.engine.alerts;
        assert!(a.all);
        assert_eq!(a.notify, [Role::Admin, Role::Technician]);
        assert_eq!(a.offline_after, Duration::from_secs(600));
        assert_eq!((a.flap_count, a.flap_window), (5, Duration::from_secs(900)));
        assert_eq!((a.mass_count, a.mass_percent), (30, 50));
        assert_eq!(
            a.quiet_hours,
            pppoe_core::alerts::QuietHours::parse("22:00-06:00")
        );
        assert_eq!(c.watch.poll_interval, Duration::from_secs(60));
    }

    #[test]
    fn clients_parse_with_their_roles_and_the_socket_defaults_beside_the_database() {
        let c = Settings::parse(&format!(
            "{GOOD}\n[[clients]]\nname = \"billing\"\nrole = \"admin\"\n\n\
             [[clients]]\nname = \"noc_script-2\"\nrole = \"technician\"\n"
        ))
        .unwrap();
        assert_eq!(
            c.engine.clients,
            [
                ClientEntry {
                    name: "billing".into(),
                    role: Role::Admin
                },
                ClientEntry {
                    name: "noc_script-2".into(),
                    role: Role::Technician
                }
            ]
        );
        assert_eq!(c.exec_socket, Path::new("/tmp/pppoe-bot.sock"));
        let none = Settings::parse(GOOD).unwrap();
        assert!(none.engine.clients.is_empty());
        let relative = Settings::parse(&GOOD.replace("/tmp/a.db", "audit.db")).unwrap();
        assert_eq!(relative.exec_socket, Path::new("pppoe-bot.sock"));
        let set =
            Settings::parse(&format!("{GOOD}\n[exec]\nsocket = \"/run/bot/x.sock\"\n")).unwrap();
        assert_eq!(set.exec_socket, Path::new("/run/bot/x.sock"));
    }

    #[test]
    fn bad_clients_are_refused_naming_the_line_the_rule_and_an_example() {
        let line_of_text =
            |text: &str, needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
        for bad in ["", "bill ing", "billing!", "kasir\u{e9}", &"x".repeat(33)] {
            let text = format!("{GOOD}\n[[clients]]\nname = {bad:?}\nrole = \"admin\"\n");
            let e = error(&text);
            let lines: Vec<&str> = text.lines().collect();
            let line = lines
                .iter()
                .rposition(|l| l.starts_with("name = "))
                .unwrap()
                + 1;
            assert!(
                e.starts_with(&format!("line {line}: [[clients]] name "))
                    && e.contains("is not a client name: 1 to 32 ASCII letters, digits, - or _")
                    && e.contains("e.g. name = \"billing\""),
                "{bad:?}: {e}"
            );
        }
        Settings::parse(&format!(
            "{GOOD}\n[[clients]]\nname = {:?}\nrole = \"admin\"\n",
            "x".repeat(32)
        ))
        .unwrap();

        let text = format!("{GOOD}\n[[clients]]\nname = \"billing\"\nrole = \"boss\"\n");
        let e = error(&text);
        assert!(
            e.starts_with(&format!(
                "line {}: [[clients]] role: unknown role \"boss\"",
                line_of_text(&text, "boss")
            )) && e.contains("e.g. role = \"admin\""),
            "{e}"
        );
        let e = error(&format!("{GOOD}\n[[clients]]\nname = \"billing\"\n"));
        assert!(e.contains("missing field `role`"), "{e}");

        let text = format!(
            "{GOOD}\n[[clients]]\nname = \"billing\"\nrole = \"admin\"\n\n\
             [[clients]]\nname = \"billing\"\nrole = \"technician\"\n"
        );
        let first = line_of_text(&text, "\"billing\"");
        let lines: Vec<&str> = text.lines().collect();
        let second = lines
            .iter()
            .rposition(|l| l.contains("\"billing\""))
            .unwrap()
            + 1;
        assert_eq!(
            error(&text),
            format!(
                "line {second}: [[clients]] name \"billing\" is also the name on line {first}: \
                 client names must be unique, e.g. name = \"billing\" and name = \"billing-2\""
            )
        );

        let text = format!("{GOOD}\n[exec]\nsocket = \"\"\n");
        let e = error(&text);
        assert!(
            e.starts_with(&format!(
                "line {}: [exec] socket is empty",
                line_of_text(&text, "socket = ")
            )) && e.contains("e.g. socket = "),
            "{e}"
        );
        let e = error(&format!("{GOOD}\n[exec]\npath = \"/x\"\n"));
        assert!(e.contains("unknown field `path`"), "{e}");
    }

    #[test]
    fn the_example_config_parses() {
        let text = include_str!("../../../config.example.toml");
        Settings::parse(text).unwrap();
    }
}
