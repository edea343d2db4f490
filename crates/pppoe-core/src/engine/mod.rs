//! The engine: one [`Incoming`] message in, replies out.
//!
//! ```text
//!  Incoming ─▶ at most once ─▶ allowlist ─▶ rate limit ─▶ parse ─▶ permission ─▶ stale rule
//!          ─▶ validate (ValidCommand) ─▶ claim (changes only) ─▶ run the command's module
//!          ─▶ one audit row (Attempt::event) ─▶ replies
//! ```
//!
//! The pipeline is [`Engine::handle`] in this file; each command lives in a module of its own
//! (`add`, `edit`, `delete`, `list`, `check`, `restart`, `help`, and `ticket` for the trouble
//! tickets) that runs a [`ValidCommand`] and says what became of it. The engine has no I/O of
//! its own: the router, the audit log, the tickets and the clock are ports.

mod add;
mod answer;
mod check;
mod customer;
mod delete;
mod edit;
mod evidence;
mod help;
mod isolir;
mod list;
mod report;
mod restart;
mod support;
mod ticket;
mod valid;
mod watch;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::command::{CommandKind, ParseError, parse_command};
use crate::domain::{Ipv4Net, PhoneNumber, Role, Username};
use crate::gate::Gate;
use crate::ports::{
    Attachment, AuditError, AuditSink, Clock, Delivery, Incoming, Outcome, Outgoing, Router,
    RouterError, SecretRef, Sender, phone_chat,
};
use crate::profile::ProfileTable;
use crate::render::{Language, MAX_MESSAGE_CHARS, Renderer, split_message};
use crate::ticket::{NoTickets, TicketStore};

use self::answer::{Answer, Attempt, incident_id};
pub use self::valid::{
    FieldError, Listing, NewSubscriber, NewValue, Rules, TicketQuery, ValidCommand,
};

/// One allowlisted number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessEntry {
    /// The number.
    pub phone: PhoneNumber,
    /// Its role.
    pub role: Role,
    /// A name for logs and the audit log's readers.
    pub name: String,
}

/// A local program allowed to run commands through `pppoe-bot exec` (a billing system, a
/// script), by the name it is configured under; the audit log names it `client:NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientEntry {
    /// Its name (`[[clients]] name`).
    pub name: String,
    /// Its role: what it may run, as for a person.
    pub role: Role,
}

/// Who an accepted message is from: an allowlisted number or a configured client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    /// As the audit log names it: the number's digits, or `client:NAME`.
    pub(crate) actor: String,
    /// The number (none for a client).
    pub(crate) phone: Option<PhoneNumber>,
    /// The role.
    pub(crate) role: Role,
    /// The name for people and the audit log's readers.
    pub(crate) name: String,
}

/// Which roles may run which command. The default lets both roles run everything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permissions {
    allowed: HashMap<CommandKind, Vec<Role>>,
}

impl Default for Permissions {
    /// Both roles run everything, except giving a ticket to someone, closing and reopening
    /// tickets, the performance report, and isolating a subscriber or lifting it: admins
    /// only.
    fn default() -> Self {
        Self {
            allowed: CommandKind::ALL
                .into_iter()
                .map(|k| match k {
                    CommandKind::Assign
                    | CommandKind::CloseTicket
                    | CommandKind::Reopen
                    | CommandKind::Performance
                    | CommandKind::Isolate
                    | CommandKind::Lift => (k, vec![Role::Admin]),
                    _ => (k, vec![Role::Admin, Role::Technician]),
                })
                .collect(),
        }
    }
}

impl Permissions {
    /// Sets the roles allowed to run `kind`.
    pub fn set(&mut self, kind: CommandKind, roles: Vec<Role>) {
        self.allowed.insert(kind, roles);
    }

    /// Whether `role` may run `kind`.
    pub fn allows(&self, role: Role, kind: CommandKind) -> bool {
        self.allowed.get(&kind).is_some_and(|r| r.contains(&role))
    }
}

/// How `delpppoe` is confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeleteConfirmation {
    /// The spec's mode: `delpppoe USER` asks, `delpppoe USER REASON` deletes.
    #[default]
    Reason,
    /// Stricter: `delpppoe USER REASON` answers with a code; `ya CODE` from the same sender
    /// within 5 minutes deletes.
    Code,
}

/// The engine's settings.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Allowlisted numbers.
    pub access: Vec<AccessEntry>,
    /// Local programs allowed to run commands (`pppoe-bot exec`).
    pub clients: Vec<ClientEntry>,
    /// Role permissions.
    pub permissions: Permissions,
    /// Packages.
    pub profiles: ProfileTable,
    /// Pools static IPs must lie in (empty: any unicast address).
    pub pools: Vec<Ipv4Net>,
    /// Reply language.
    pub language: Language,
    /// Time zone of the dates shown.
    pub time_zone: Tz,
    /// Changes from messages older than this on arrival are skipped.
    pub max_message_age: Duration,
    /// Commands per sender per minute.
    pub rate_limit_per_minute: u32,
    /// Longest accepted message, in characters.
    pub max_message_len: usize,
    /// How deletes are confirmed.
    pub delete_confirmation: DeleteConfirmation,
    /// Whether unknown senders get a refusal (default: silence).
    pub reply_to_unknown: bool,
    /// Users per listing page.
    pub page_size: u32,
    /// The router new subscribers of a sender are created on, when several are configured
    /// (see [`RouterSet`](crate::RouterSet)); senders not listed use the first router.
    pub home_routers: HashMap<PhoneNumber, String>,
    /// The country code a number typed with a leading `0` is read in (`serahkan TR001 0812...`).
    pub default_country_code: String,
    /// Trouble tickets.
    pub tickets: TicketSettings,
    /// Messages to customers.
    pub customer: CustomerSettings,
    /// The largest photo or document kept as evidence, in bytes.
    pub evidence_max_bytes: u64,
    /// How subscribers are isolated (`isolir`).
    pub isolir: crate::isolation::IsolirSettings,
    /// Online/offline alerts (`pantau`, `[alerts]`).
    pub alerts: crate::alerts::AlertSettings,
}

/// Messages the bot sends to customers (`addpppoe ... wa=`), each on or off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerSettings {
    /// After a successful `addpppoe ... wa=`, send the customer their login and the ONU set-up.
    pub notify_on_create: bool,
    /// After `selesai` of a ticket whose subscriber has a customer number, tell the customer.
    pub notify_on_resolve: bool,
    /// The creation notice (default: [`crate::template::CREATE_ID`] or `CREATE_EN`, by the
    /// reply language).
    pub create_template: Option<crate::template::MessageTemplate>,
    /// The resolution notice (default: `RESOLVE_ID` or `RESOLVE_EN`).
    pub resolve_template: Option<crate::template::MessageTemplate>,
    /// Also write the customer's number into the router's comment (`... - WA +62812...`);
    /// off: only the bot's own record keeps it.
    pub number_in_comment: bool,
}

/// How trouble tickets behave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketSettings {
    /// Who hears of a new ticket nobody has yet, and of a reopened one (default: admins).
    pub notify: Vec<Role>,
    /// A resolved ticket is closed by the bot this long after it was resolved; `None`: never.
    pub close_after: Option<Duration>,
}

impl Default for TicketSettings {
    fn default() -> Self {
        Self {
            notify: vec![Role::Admin],
            close_after: Some(Duration::from_secs(7 * 24 * 3600)),
        }
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            access: Vec::new(),
            clients: Vec::new(),
            permissions: Permissions::default(),
            profiles: ProfileTable::default(),
            pools: Vec::new(),
            language: Language::Indonesian,
            time_zone: chrono_tz::Asia::Jakarta,
            max_message_age: Duration::from_secs(120),
            rate_limit_per_minute: 30,
            max_message_len: crate::command::DEFAULT_MAX_LEN,
            delete_confirmation: DeleteConfirmation::Reason,
            reply_to_unknown: false,
            page_size: 20,
            home_routers: HashMap::new(),
            default_country_code: "62".to_owned(),
            tickets: TicketSettings::default(),
            customer: CustomerSettings::default(),
            evidence_max_bytes: 10_000_000,
            isolir: crate::isolation::IsolirSettings::default(),
            alerts: crate::alerts::AlertSettings::default(),
        }
    }
}

/// How long a delete code stays valid.
pub const CONFIRMATION_TTL: Duration = Duration::from_secs(300);

/// A change sent again, word for word, by the same sender within this time after it was done
/// is not run twice: WhatsApp redelivers a message the phone could not decrypt at first
/// under a new id, and a technician who saw no reply resends. `!` in front of the command
/// runs it again on purpose.
pub const REPEAT_WINDOW: Duration = Duration::from_secs(120);

#[derive(Debug, Clone)]
struct PendingDelete {
    code: String,
    username: Username,
    at: SecretRef,
    reason: String,
    expires: DateTime<Utc>,
}

#[derive(Debug, Default)]
struct State {
    /// Accepted commands per sender in the last minute.
    recent: HashMap<String, VecDeque<DateTime<Utc>>>,
    /// Whether the sender was told about the rate limit in the current window.
    told_rate: HashMap<String, DateTime<Utc>>,
    /// Last audited attempt of each unknown sender.
    unknown_audited: HashMap<String, DateTime<Utc>>,
    /// Delete codes waiting for `ya CODE`, per sender.
    pending: HashMap<String, PendingDelete>,
    /// Changes done in the last [`REPEAT_WINDOW`], per sender: the hash of the text (see
    /// [`repeat_key`]; not the text, which may hold a password) and when.
    done: HashMap<String, VecDeque<(u64, DateTime<Utc>)>>,
    /// The target of each sender's last `selesai` or `addpppoe`, and when.
    recent_work: HashMap<String, (String, DateTime<Utc>)>,
    /// A location each sender sent without a caption, and when.
    pending_location: HashMap<String, (crate::ports::Coordinates, DateTime<Utc>)>,
    /// Alerts raised so far (their audit rows' message ids).
    alerts_raised: u64,
}

/// The text of a message as the repeat guard compares it, hashed: its words, the command word
/// lower-cased and without the `!`, `/` or `.` a technician may type in front of it.
fn repeat_key(text: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    let mut words = text.split_whitespace();
    if let Some(first) = words.next() {
        first
            .trim_start_matches(['/', '!', '.'])
            .to_lowercase()
            .hash(&mut hasher);
    }
    words.for_each(|word| word.hash(&mut hasher));
    hasher.finish()
}

/// A message that has its place in its sender's queue (see [`Engine::enqueue`]), with what
/// the engine decided on taking it: who the sender is, and the command it holds.
#[derive(Debug)]
pub struct Queued {
    ticket: crate::gate::Ticket,
    incoming: Incoming,
    /// The sender, when allowlisted (a number) or configured (a client).
    access: Option<Member>,
    /// The message, parsed once.
    parsed: Result<crate::command::Command, ParseError>,
}

impl Queued {
    /// The message.
    pub fn incoming(&self) -> &Incoming {
        &self.incoming
    }

    /// Whether the engine will answer it (an allowlisted sender, and in a group a command):
    /// the moment to show the sender that the bot is working
    /// ([`Messenger::working_on`](crate::Messenger::working_on)). Unknown senders and group
    /// chatter get no sign.
    pub fn will_answer(&self) -> bool {
        self.access.is_some() && !(self.incoming.is_group && is_chatter(&self.parsed))
    }
}

/// Group text that is not addressed to the bot: no command word at all.
fn is_chatter(parsed: &Result<crate::command::Command, ParseError>) -> bool {
    matches!(
        parsed,
        Err(ParseError::Empty | ParseError::UnknownCommand { .. })
    )
}

/// Turns chat messages into router actions and replies. Generic over the ports; see the crate
/// documentation for an example. Without [`with_tickets`](Engine::with_tickets) the ticket
/// commands answer that tickets are not set up.
#[derive(Debug)]
pub struct Engine<R, A, C, T = NoTickets> {
    router: R,
    audit: A,
    clock: C,
    tickets: T,
    config: EngineConfig,
    renderer: Renderer,
    gate: Arc<Gate>,
    /// Serializes the static-IP changes of this engine: check, write and read-back of one do
    /// not interleave with another's.
    ip_gate: Arc<Gate>,
    state: Mutex<State>,
    /// What the routers' session watchers reported, and who watches whom.
    alerts: Mutex<crate::alerts::AlertTracker>,
}

impl<R: Router, A: AuditSink, C: Clock> Engine<R, A, C> {
    /// An engine over the given ports, without tickets.
    pub fn new(router: R, audit: A, clock: C, config: EngineConfig) -> Self {
        let renderer = Renderer::new(config.language, config.time_zone);
        let alerts = crate::alerts::AlertTracker::new(config.alerts.clone(), config.time_zone);
        Self {
            router,
            audit,
            clock,
            tickets: NoTickets,
            config,
            renderer,
            gate: Arc::new(Gate::default()),
            ip_gate: Arc::new(Gate::default()),
            state: Mutex::new(State::default()),
            alerts: Mutex::new(alerts),
        }
    }
}

impl<R: Router, A: AuditSink, C: Clock, T: TicketStore> Engine<R, A, C, T> {
    /// The same engine, keeping its tickets in `tickets`. Call it before the first message.
    pub fn with_tickets<U: TicketStore>(self, tickets: U) -> Engine<R, A, C, U> {
        Engine {
            router: self.router,
            audit: self.audit,
            clock: self.clock,
            tickets,
            config: self.config,
            renderer: self.renderer,
            gate: self.gate,
            ip_gate: self.ip_gate,
            state: self.state,
            alerts: self.alerts,
        }
    }

    /// The ticket port.
    pub fn tickets(&self) -> &T {
        &self.tickets
    }

    /// The router port.
    pub fn router(&self) -> &R {
        &self.router
    }

    /// The audit port.
    pub fn audit(&self) -> &A {
        &self.audit
    }

    /// The settings.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Handles one message and returns the replies to send (possibly none).
    ///
    /// Messages of one sender are handled in the order this method is *called*, even when the
    /// returned futures run concurrently; messages of different senders run concurrently.
    pub fn handle(&self, incoming: Incoming) -> impl Future<Output = Vec<Outgoing>> + Send + '_ {
        let queued = self.enqueue(incoming);
        self.run(queued, std::future::ready)
    }

    /// Takes the message's place in its sender's queue, now, and decides who sent it and what
    /// it says (the one place the allowlist is consulted and the text parsed). Pass the result
    /// to [`run`](Self::run), possibly on another task: messages of one sender run, and their
    /// replies are delivered, in the order `enqueue` was called.
    pub fn enqueue(&self, incoming: Incoming) -> Queued {
        let access = match &incoming.sender {
            Sender::Phone(phone) => {
                self.config
                    .access
                    .iter()
                    .find(|e| &e.phone == phone)
                    .map(|e| Member {
                        actor: phone.as_str().to_owned(),
                        phone: Some(phone.clone()),
                        role: e.role,
                        name: e.name.clone(),
                    })
            }
            Sender::Client(_) => {
                let name = incoming.sender.client_name().unwrap_or_default();
                self.config
                    .clients
                    .iter()
                    .find(|c| c.name == name)
                    .map(|c| Member {
                        actor: incoming.sender.key().to_owned(),
                        phone: None,
                        role: c.role,
                        name: c.name.clone(),
                    })
            }
            Sender::UnresolvedLid(_) | Sender::Unrecognized(_) => None,
        };
        let parsed = parse_command(&incoming.text, self.config.max_message_len);
        Queued {
            ticket: self.gate.ticket(incoming.sender.key()),
            access,
            parsed,
            incoming,
        }
    }

    /// Waits for the message's turn, handles it, and runs `deliver` with the replies before
    /// the sender's next message may start, so that replies keep the order of the commands.
    pub async fn run<F, Fut>(&self, queued: Queued, deliver: F) -> Fut::Output
    where
        F: FnOnce(Vec<Outgoing>) -> Fut,
        Fut: Future,
    {
        let Queued {
            ticket,
            incoming,
            access,
            parsed,
        } = queued;
        let _turn = ticket.await;
        let replies = self.handle_in_order(incoming, access, parsed).await;
        deliver(replies).await
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn rules(&self) -> Rules<'_> {
        Rules {
            profiles: &self.config.profiles,
            pools: &self.config.pools,
            people: &self.config.access,
            country: &self.config.default_country_code,
            number_in_comment: self.config.customer.number_in_comment,
        }
    }

    /// The pipeline. Every exit of an allowlisted sender's message goes through
    /// [`finish`](Self::finish): one audit row, then the replies.
    async fn handle_in_order(
        &self,
        msg: Incoming,
        entry: Option<Member>,
        parsed: Result<crate::command::Command, ParseError>,
    ) -> Vec<Outgoing> {
        let started = self.clock.now();
        match self.audit.is_handled(&msg.id).await {
            Ok(true) => return Vec::new(),
            Ok(false) => {}
            Err(e) => {
                let incident = incident_id(&msg.id);
                tracing::error!(%incident, error = %e, message_id = %msg.id, "audit store unavailable; message not handled");
                return match entry {
                    Some(_) => self.reply(&msg, self.renderer.internal_error(&incident, false)),
                    None => Vec::new(),
                };
            }
        }
        let Some(entry) = entry else {
            return self.unknown_sender(&msg, &parsed, started).await;
        };
        if msg.is_group && is_chatter(&parsed) {
            // Group chatter that is not addressed to the bot: not an attempt, no rate slot.
            return Vec::new();
        }
        let mut attempt = Attempt {
            at: started,
            actor_phone: entry.actor.clone(),
            actor_lid: msg.sender_lid.clone(),
            role: Some(entry.role),
            command: "-".to_owned(),
            target: None,
            arguments: String::new(),
            message_id: msg.id.clone(),
        };
        let answer = self.decide(&msg, &entry, parsed, &mut attempt).await;
        self.finish(&msg, &attempt, answer).await
    }

    /// What becomes of an allowlisted sender's message, step by step.
    async fn decide(
        &self,
        msg: &Incoming,
        entry: &Member,
        parsed: Result<crate::command::Command, ParseError>,
        attempt: &mut Attempt,
    ) -> Answer {
        let started = attempt.at;
        if !self.take_rate_slot(&entry.actor, started) {
            attempt.arguments = self.redact_unparsed(&msg.text);
            let per_minute = self.config.rate_limit_per_minute;
            let tell = self.tell_rate_limited(&entry.actor, started);
            return Answer::new(
                Outcome::Denied,
                tell.then(|| self.renderer.rate_limited(per_minute)),
            )
            .error(format!(
                "rate limit: more than {per_minute} commands per minute"
            ));
        }

        // A photo or a location without a caption: not a command, but not to be ignored.
        if matches!(parsed, Err(ParseError::Empty)) {
            match &msg.attachment {
                Some(Attachment::Location(point)) => {
                    attempt.command = CommandKind::Location.word().to_owned();
                    attempt.arguments = format!("(no caption) {point}");
                    return self.location_without_caption(&entry.actor, *point, started);
                }
                Some(
                    Attachment::File { .. }
                    | Attachment::TooLarge { .. }
                    | Attachment::NotDownloaded { .. },
                ) => {
                    attempt.command = CommandKind::Photo.word().to_owned();
                    attempt.arguments = "(no caption)".to_owned();
                    return Answer::invalid(
                        "a photo or document without a caption: not kept",
                        self.renderer.photo_without_caption(),
                    );
                }
                None => {}
            }
        }
        let command = match parsed {
            Ok(c) => c,
            Err(err) => {
                attempt.command = match &err {
                    ParseError::MissingArgument { command, .. }
                    | ParseError::TooManyArguments { command, .. } => command.word(),
                    ParseError::UnknownField { .. } => CommandKind::Edit.word(),
                    ParseError::UnknownPeriod { .. } => CommandKind::Performance.word(),
                    ParseError::BadPage { command, .. } => command.word(),
                    _ => "-",
                }
                .to_owned();
                attempt.arguments = if matches!(err, ParseError::TooLong { .. }) {
                    format!("({} characters)", msg.text.chars().count())
                } else {
                    self.redact_unparsed(&msg.text)
                };
                return Answer::invalid(err.to_string(), self.renderer.parse_error(&err));
            }
        };
        let kind = command.kind();
        attempt.command = kind.word().to_owned();
        attempt.target = command.target().map(str::to_owned);
        attempt.arguments = command.redacted_arguments(&self.config.profiles);
        let shown = format!("{} {}", kind.word(), command.target().unwrap_or_default());

        if !self.config.permissions.allows(entry.role, kind) {
            return Answer::with(
                Outcome::Denied,
                format!("role {} may not run {kind}", entry.role),
                self.renderer.denied(kind),
            );
        }

        let arrived = msg.received_at.unwrap_or(started);
        let age = (arrived - msg.sent_at).to_std().unwrap_or_default();
        if kind.is_mutating() && age > self.config.max_message_age {
            return Answer::with(
                Outcome::Skipped,
                format!(
                    "stale: sent {}s before it arrived (max {}s)",
                    age.as_secs(),
                    self.config.max_message_age.as_secs()
                ),
                self.renderer.stale(shown.trim(), msg.sent_at, age),
            );
        }

        // Everything the words alone can be wrong about, before anything durable is written.
        let valid = match ValidCommand::validate(&command, &self.rules()) {
            Ok(v) => v,
            Err(e) => return Answer::invalid(e.audit_text(), self.renderer.field_error(kind, &e)),
        };

        // A change resent word for word soon after it was done is not run twice.
        let repeat = (kind.is_change() && kind != CommandKind::Confirm && !kind.is_evidence())
            .then(|| repeat_key(&msg.text));
        if let Some(key) = repeat
            && !msg.text.trim_start().starts_with('!')
            && let Some(done_at) = self.done_recently(&entry.actor, key, started)
        {
            return Answer::with(
                Outcome::Skipped,
                format!(
                    "the same command was done at {} (less than {} s before); not run twice",
                    done_at.to_rfc3339(),
                    REPEAT_WINDOW.as_secs()
                ),
                self.renderer.repeated(shown.trim(), kind.word(), done_at),
            );
        }

        if kind.is_change() {
            // At most once across a crash: the claim is durable before the router is touched,
            // the audit row is written after. A claim without a row means an earlier attempt
            // was interrupted; its effect is unknown, so it is not run again.
            let reason = match &valid {
                ValidCommand::Delete { reason, .. } | ValidCommand::Isolate { reason, .. } => {
                    reason.as_deref()
                }
                _ => None,
            };
            match self.audit.claim(&attempt.claim(reason)).await {
                Ok(true) => {}
                Ok(false) => {
                    return Answer::with(
                        Outcome::Skipped,
                        "an earlier attempt of this message was interrupted; not run again",
                        self.renderer
                            .interrupted(shown.trim(), command.target().unwrap_or_default()),
                    );
                }
                Err(e) => {
                    let incident = incident_id(&msg.id);
                    tracing::error!(%incident, error = %e, message_id = %msg.id, "cannot claim the message id; change not run");
                    return Answer::with(
                        Outcome::Failed,
                        format!("cannot claim the message id: {e} (incident {incident})"),
                        self.renderer.internal_error(&incident, false),
                    );
                }
            }
        }
        let work = match &valid {
            // An installation for a ticket: its location belongs on the ticket.
            ValidCommand::Add(new) => Some(
                new.ticket
                    .map_or_else(|| new.name.as_str().to_owned(), |t| t.to_string()),
            ),
            ValidCommand::Ticket {
                id,
                action: crate::ticket::TicketAction::Resolve(_),
            } => Some(id.to_string()),
            _ => None,
        };
        let answer = self
            .execute(valid, entry, &msg.id, msg.attachment.as_ref(), started)
            .await;
        if let Some(target) = work
            && answer.outcome == Outcome::Ok
        {
            self.remember_work(&entry.actor, target, started);
        }
        if let Some(key) = repeat
            && answer.outcome == Outcome::Ok
        {
            self.remember_done(&entry.actor, key, started);
        }
        answer
    }

    /// Runs a valid command in its module. A router error that the module did not answer
    /// itself means nothing was done (or, `Unconfirmed`, that it is not known).
    async fn execute(
        &self,
        valid: ValidCommand,
        entry: &Member,
        message_id: &str,
        attachment: Option<&Attachment>,
        now: DateTime<Utc>,
    ) -> Answer {
        let kind = valid.kind();
        let target: Option<String> = match &valid {
            ValidCommand::Add(new) => Some(new.name.as_str().to_owned()),
            ValidCommand::Edit { name, .. }
            | ValidCommand::Delete { name, .. }
            | ValidCommand::Check(name)
            | ValidCommand::Restart(name)
            | ValidCommand::Isolate { name, .. }
            | ValidCommand::Lift { name, .. } => Some(name.as_str().to_owned()),
            _ => None,
        };
        let reason = match &valid {
            ValidCommand::Delete {
                reason: Some(r), ..
            }
            | ValidCommand::Isolate {
                reason: Some(r), ..
            }
            | ValidCommand::Lift { note: Some(r), .. } => Some(r.clone()),
            _ => None,
        };
        let cx = Cx {
            message_id,
            now,
            actor: &entry.actor,
            phone: entry.phone.as_ref(),
            role: entry.role,
            attachment,
        };
        let result = match valid {
            ValidCommand::Add(new) => self.add(new, &cx).await,
            ValidCommand::Edit { name, value } => self.edit(&name, &value, &cx).await,
            ValidCommand::Delete { name, reason } => {
                self.delete(&name, reason.as_deref(), &cx).await
            }
            ValidCommand::Confirm { code } => self.confirm(&code, &cx).await,
            ValidCommand::List(listing) => self.list(&listing).await,
            ValidCommand::Check(name) => self.check(&name, &cx).await,
            ValidCommand::Restart(name) => self.restart(&name, &cx).await,
            ValidCommand::Help(topic) => Ok(self.help(topic)),
            ValidCommand::Report(text) => self.report(&text, &cx).await,
            ValidCommand::Tickets { view, page } => self.show_tickets(&view, page, &cx).await,
            ValidCommand::Ticket { id, action } => Ok(self.change_ticket(id, &action, &cx).await),
            ValidCommand::Performance(period) => Ok(self.performance(period, &cx).await),
            ValidCommand::Offline(page) => self.offline(page).await,
            ValidCommand::Isolate { name, reason } => {
                Ok(self.isolate(&name, reason.as_deref(), entry, &cx).await)
            }
            ValidCommand::Isolated(page) => Ok(self.isolated(page, &cx).await),
            ValidCommand::Lift { name, note } => Ok(self.lift(&name, note.as_deref(), &cx).await),
            ValidCommand::Watch(name) => self.watch(name.as_ref(), &cx).await,
            ValidCommand::Unwatch(name) => Ok(self.unwatch(&name, &cx)),
            ValidCommand::Evidence {
                of,
                location,
                caption,
            } => self.evidence(of, location, caption, &cx).await,
        };
        let mut answer =
            result.unwrap_or_else(|e| self.router_failure(&e, message_id, kind, target.as_deref()));
        // A delete's reason is part of the record whatever became of the delete.
        if answer.reason.is_none() {
            answer.reason = reason;
        }
        answer
    }

    /// Records the attempt (one audit row, its duration stamped) and returns the replies; when
    /// the audit log fails, the reply says so.
    async fn finish(&self, msg: &Incoming, attempt: &Attempt, answer: Answer) -> Vec<Outgoing> {
        let warning = self.record(attempt, &answer).await;
        let mut out = match answer.reply {
            Some(reply) => self.reply(msg, reply + &warning),
            None => Vec::new(),
        };
        for notice in answer.notices {
            let chat = phone_chat(&notice.to);
            // A notice with an audit row of its own stays one message, so that its row
            // speaks for all of it (the messenger splits it and watches every part).
            if notice.audit.is_some() {
                out.push(Outgoing {
                    chat,
                    text: notice.text,
                    quoting: None,
                    audit: notice.audit,
                });
                continue;
            }
            out.extend(
                split_message(&notice.text, MAX_MESSAGE_CHARS)
                    .into_iter()
                    .map(|text| Outgoing {
                        chat: chat.clone(),
                        text,
                        quoting: None,
                        audit: notice.audit.clone(),
                    }),
            );
        }
        out
    }

    /// Records, as its own audit row (command `notify`), what became of a message the engine
    /// sent on its own ([`Outgoing::audit`]): `ok` when the server took it (or the messenger
    /// handed it over and can tell no more), `failed` when it was refused or not sent,
    /// `unknown` when no acknowledgement came. The row never holds the message's text.
    pub async fn record_delivery(&self, audit: &crate::ports::DeliveryAudit, delivery: &Delivery) {
        let (outcome, error) = match delivery {
            Delivery::Acknowledged => (Outcome::Ok, None),
            Delivery::Sent => (
                Outcome::Ok,
                Some("handed to the messenger, which reports no acknowledgement".to_owned()),
            ),
            Delivery::Refused(why) => (Outcome::Failed, Some(format!("refused: {why}"))),
            Delivery::NotSent(why) => (Outcome::Failed, Some(format!("not sent: {why}"))),
            Delivery::Unconfirmed => (
                Outcome::Unknown,
                Some(
                    "sent, but the server did not acknowledge it in time: ask the customer"
                        .to_owned(),
                ),
            ),
        };
        let event = crate::ports::AuditEvent {
            at: self.clock.now(),
            actor_phone: audit.actor_phone.clone(),
            actor_lid: None,
            role: None,
            command: "notify".to_owned(),
            target: Some(audit.target.clone()),
            router: audit.router.clone(),
            arguments: audit.arguments.clone(),
            outcome,
            error,
            reason: None,
            duration_ms: 0,
            message_id: audit.message_id.clone(),
        };
        match self.audit.append(event).await {
            Ok(()) | Err(AuditError::Duplicate(_)) => {}
            Err(e) => {
                tracing::error!(error = %e, message_id = %audit.message_id, "audit append failed for a customer notice");
            }
        }
    }

    /// Appends the attempt's audit row. Returns a warning to append to the reply when the
    /// audit store failed (empty when it worked).
    async fn record(&self, attempt: &Attempt, answer: &Answer) -> String {
        let duration =
            u64::try_from((self.clock.now() - attempt.at).num_milliseconds()).unwrap_or(0);
        match self.audit.append(attempt.event(answer, duration)).await {
            Ok(()) => String::new(),
            Err(e) => {
                let incident = incident_id(&attempt.message_id);
                tracing::error!(%incident, error = %e, message_id = %attempt.message_id, "audit append failed");
                self.renderer.audit_warning(&incident)
            }
        }
    }

    /// Records, as outcome [`Outcome::Unknown`], every attempt that claimed its message id but
    /// has no audit row: the bot stopped (a crash, `kill -9`, a power cut) between the router
    /// call and the audit row, so whether the change happened is not known. Each row says
    /// what the router shows now for the username concerned, where it can be asked. Call it
    /// once at start-up, before taking messages. Returns how many attempts it recorded.
    pub async fn recover_interrupted(&self) -> Result<usize, AuditError> {
        let claims = self.audit.interrupted().await?;
        let mut recorded = 0;
        // Once the router could not be asked, it is not asked again for the others: a start-up
        // with a router down waits for one timeout, not one per claim.
        let mut router_down: Option<RouterError> = None;
        for mut ev in claims {
            let checked = self.clock.now();
            let ticket_change =
                CommandKind::from_word(&ev.command).is_some_and(|k| k.changes_ticket());
            let now_shows = match ev.target.as_deref().map(Username::parse) {
                _ if ticket_change => match ev.target.as_deref() {
                    Some(target) => self.ticket_shows(target, &ev.message_id).await,
                    None => "no ticket to check (a report whose ticket number was not given \
                             yet; see tiket semua)"
                        .to_owned(),
                },
                Some(Ok(_)) if router_down.is_some() => format!(
                    "the router could not be asked ({})",
                    router_down
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default()
                ),
                Some(Ok(name)) => match self.router.find_secret(&name).await {
                    Ok(Some(s)) => {
                        ev.router = Some(s.at.router.clone());
                        format!(
                            "the router now has {name}: profile {}, {}, IP {}",
                            s.profile,
                            if s.disabled { "disabled" } else { "enabled" },
                            s.remote_address
                                .map_or_else(|| "dynamic".to_owned(), |ip| ip.to_string())
                        )
                    }
                    Ok(None) => format!("the router now has no user {name}"),
                    Err(e) => {
                        let text = format!("the router could not be asked ({e})");
                        router_down = Some(e);
                        text
                    }
                },
                _ => "no username to check".to_owned(),
            };
            ev.outcome = Outcome::Unknown;
            ev.error = Some(format!(
                "interrupted by a stop; effect not confirmed; {now_shows} (checked {})",
                checked.format("%Y-%m-%dT%H:%M:%SZ")
            ));
            ev.duration_ms = 0;
            tracing::warn!(message_id = %ev.message_id, command = %ev.command, target = ?ev.target, actor = %ev.actor_phone, error = ?ev.error, "an attempt interrupted by a stop is recorded as unknown");
            match self.audit.append(ev).await {
                Ok(()) => recorded += 1,
                // Recorded meanwhile (another start-up, or the attempt's own row): fine.
                Err(AuditError::Duplicate(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(recorded)
    }

    /// A sender who is not on the allowlist (or a LID that could not be resolved): audited at
    /// most once a minute each, answered only if configured to.
    async fn unknown_sender(
        &self,
        msg: &Incoming,
        parsed: &Result<crate::command::Command, ParseError>,
        now: DateTime<Utc>,
    ) -> Vec<Outgoing> {
        let (actor, lid) = match &msg.sender {
            Sender::Phone(p) => (p.as_str().to_owned(), msg.sender_lid.clone()),
            Sender::Client(key) => (key.clone(), None),
            Sender::Unrecognized(raw) => (raw.clone(), msg.sender_lid.clone()),
            Sender::UnresolvedLid(l) => (
                format!("unresolved {l}"),
                Some(msg.sender_lid.clone().unwrap_or_else(|| l.clone())),
            ),
        };
        if msg.is_group && parsed.is_err() {
            return Vec::new();
        }
        let audit_now = {
            let mut state = self.lock();
            state
                .unknown_audited
                .retain(|_, t| now - *t < chrono::Duration::minutes(1));
            match state.unknown_audited.get(&actor) {
                Some(_) => false,
                None => {
                    state.unknown_audited.insert(actor.clone(), now);
                    true
                }
            }
        };
        let reply =
            (self.config.reply_to_unknown && !msg.is_group).then(|| self.renderer.unknown_sender());
        let error = match &msg.sender {
            Sender::UnresolvedLid(_) => {
                "sender is a LID that could not be resolved to a phone number"
            }
            Sender::Unrecognized(_) => "sender is no phone number",
            Sender::Phone(_) => "sender is not on the allowlist",
            Sender::Client(_) => "no such client in the configuration",
        };
        let answer = Answer::new(Outcome::Denied, reply).error(error);
        if audit_now {
            let (command, target, arguments) = match parsed {
                Ok(c) => (
                    c.kind().word().to_owned(),
                    c.target().map(str::to_owned),
                    c.redacted_arguments(&self.config.profiles),
                ),
                Err(_) => ("-".to_owned(), None, self.redact_unparsed(&msg.text)),
            };
            let attempt = Attempt {
                at: now,
                actor_phone: actor,
                actor_lid: lid,
                role: None,
                command,
                target,
                arguments,
                message_id: msg.id.clone(),
            };
            self.audit
                .append(attempt.event(&answer, 0))
                .await
                .unwrap_or_else(|e| {
                    tracing::error!(error = %e, message_id = %msg.id, "audit append failed");
                });
        }
        match answer.reply {
            Some(text) => self.reply(msg, text),
            None => Vec::new(),
        }
    }

    fn take_rate_slot(&self, actor: &str, now: DateTime<Utc>) -> bool {
        let mut state = self.lock();
        let window = state.recent.entry(actor.to_owned()).or_default();
        while window
            .front()
            .is_some_and(|t| now - *t >= chrono::Duration::minutes(1))
        {
            window.pop_front();
        }
        if window.len() >= self.config.rate_limit_per_minute as usize {
            return false;
        }
        window.push_back(now);
        true
    }

    /// When the sender last did the change whose text hashes to `key`, if within
    /// [`REPEAT_WINDOW`] of `now`.
    fn done_recently(&self, actor: &str, key: u64, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let window = chrono::Duration::from_std(REPEAT_WINDOW).unwrap_or_default();
        let mut state = self.lock();
        let done = state.done.get_mut(actor)?;
        while done.front().is_some_and(|(_, at)| now - *at >= window) {
            done.pop_front();
        }
        done.iter()
            .rev()
            .find(|(k, _)| *k == key)
            .map(|(_, at)| *at)
    }

    /// Notes a change the sender just did, for [`done_recently`](Self::done_recently).
    fn remember_done(&self, actor: &str, key: u64, at: DateTime<Utc>) {
        let window = chrono::Duration::from_std(REPEAT_WINDOW).unwrap_or_default();
        let mut state = self.lock();
        let done = state.done.entry(actor.to_owned()).or_default();
        while done.front().is_some_and(|(_, t)| at - *t >= window) {
            done.pop_front();
        }
        done.push_back((key, at));
    }

    /// Whether to tell the sender about the rate limit (once a minute).
    fn tell_rate_limited(&self, actor: &str, now: DateTime<Utc>) -> bool {
        let mut state = self.lock();
        match state.told_rate.get(actor) {
            Some(t) if now - *t < chrono::Duration::minutes(1) => false,
            _ => {
                state.told_rate.insert(actor.to_owned(), now);
                true
            }
        }
    }

    fn reply(&self, msg: &Incoming, text: String) -> Vec<Outgoing> {
        split_message(&text, MAX_MESSAGE_CHARS)
            .into_iter()
            .enumerate()
            .map(|(i, text)| Outgoing {
                chat: msg.chat.clone(),
                text,
                quoting: (i == 0).then(|| msg.id.clone()),
                audit: None,
            })
            .collect()
    }

    /// The text of a message that did not parse, for the audit log: every word that may be a
    /// password masked (see [`crate::command`]), at most 200 characters.
    fn redact_unparsed(&self, text: &str) -> String {
        truncate(
            &crate::command::redact_text(text, &self.config.profiles),
            200,
        )
    }
}

/// What a command's module needs to know about the attempt it runs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cx<'a> {
    /// The message id (incident ids, confirmation codes).
    pub(crate) message_id: &'a str,
    /// When the message is handled.
    pub(crate) now: DateTime<Utc>,
    /// The sender as the audit log names it: the phone number's digits, or `client:NAME`.
    pub(crate) actor: &'a str,
    /// The sender's phone number (none for a local client).
    pub(crate) phone: Option<&'a PhoneNumber>,
    /// The sender's role.
    pub(crate) role: Role,
    /// What the message carried besides its text.
    pub(crate) attachment: Option<&'a Attachment>,
}

fn truncate(text: &str, max: usize) -> String {
    let mut t: String = text.chars().take(max).collect();
    if text.chars().count() > max {
        t.push('…');
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation() {
        assert_eq!(truncate(&"x ".repeat(300), 200).chars().count(), 201);
        assert_eq!(truncate("short", 200), "short");
    }

    #[test]
    fn incident_ids_are_eight_hex_digits() {
        assert_eq!(incident_id("m1").len(), 8);
        assert_eq!(incident_id("m1"), incident_id("m1"));
    }
}
