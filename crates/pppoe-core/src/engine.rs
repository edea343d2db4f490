//! The engine: one [`Incoming`] message in, replies out.
//!
//! normalize sender -> at-most-once -> authorize -> rate limit -> parse -> permission -> stale
//! check -> validate -> router calls -> audit -> render. It has no I/O of its own: the router,
//! the audit log and the clock are ports.

use std::collections::{HashMap, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::command::{Command, CommandKind, EditValue, HelpTopic, ParseError, parse_command};
use crate::domain::{
    CustomerInfo, Ipv4Net, PhoneNumber, Role, StaticIp, SubscriberStatus, Username,
};
use crate::gate::Gate;
use crate::ports::{
    AuditError, AuditEvent, AuditSink, Clock, Incoming, IpUser, ListFilter, NewSecret, Outcome,
    Outgoing, PageRequest, Router, RouterError, Secret, SecretChange, SecretRef, Sender,
};
use crate::profile::ProfileTable;
use crate::render::{
    FieldError, Language, ListView, MAX_MESSAGE_CHARS, Renderer, SessionKick, StatusView, Summary,
    split_message,
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

/// Which roles may run which command. The default lets both roles run everything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permissions {
    allowed: HashMap<CommandKind, Vec<Role>>,
}

impl Default for Permissions {
    fn default() -> Self {
        Self {
            allowed: CommandKind::ALL
                .into_iter()
                .map(|k| (k, vec![Role::Admin, Role::Technician]))
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
    /// Country code for numbers written with a leading 0.
    pub default_country_code: String,
    /// The router new subscribers of a sender are created on, when several are configured
    /// (see [`RouterSet`](crate::RouterSet)); senders not listed use the first router.
    pub home_routers: HashMap<PhoneNumber, String>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            access: Vec::new(),
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
            default_country_code: "62".to_owned(),
            home_routers: HashMap::new(),
        }
    }
}

/// How long a delete code stays valid.
pub const CONFIRMATION_TTL: Duration = Duration::from_secs(300);

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
    recent: HashMap<PhoneNumber, VecDeque<DateTime<Utc>>>,
    /// Whether the sender was told about the rate limit in the current window.
    told_rate: HashMap<PhoneNumber, DateTime<Utc>>,
    /// Last audited attempt of each unknown sender.
    unknown_audited: HashMap<String, DateTime<Utc>>,
    /// Delete codes waiting for `ya CODE`, per sender.
    pending: HashMap<PhoneNumber, PendingDelete>,
}

/// The result of running one command: what to audit and what to answer.
#[derive(Debug)]
struct Done {
    outcome: Outcome,
    error: Option<String>,
    reason: Option<String>,
    router: Option<String>,
    /// The command word to audit, when it differs from the parsed one (`ya` records a delete).
    command: Option<&'static str>,
    target: Option<String>,
    reply: String,
}

impl Done {
    fn new(outcome: Outcome, reply: String) -> Self {
        Self {
            outcome,
            error: None,
            reason: None,
            router: None,
            command: None,
            target: None,
            reply,
        }
    }

    fn ok(reply: String) -> Self {
        Self::new(Outcome::Ok, reply)
    }

    fn invalid(error: impl Into<String>, reply: String) -> Self {
        Self::new(Outcome::Invalid, reply).error(error)
    }

    fn error(mut self, error: impl Into<String>) -> Self {
        self.error = Some(error.into());
        self
    }

    fn router(mut self, router: &str) -> Self {
        self.router = Some(router.to_owned());
        self
    }

    fn reason(mut self, reason: &str) -> Self {
        self.reason = Some(reason.to_owned());
        self
    }
}

/// A message that has its place in its sender's queue (see [`Engine::enqueue`]).
#[derive(Debug)]
pub struct Queued {
    ticket: crate::gate::Ticket,
    incoming: Incoming,
}

impl Queued {
    /// The message.
    pub fn incoming(&self) -> &Incoming {
        &self.incoming
    }
}

/// Turns chat messages into router actions and replies. Generic over the ports; see the crate
/// documentation for an example.
#[derive(Debug)]
pub struct Engine<R, A, C> {
    router: R,
    audit: A,
    clock: C,
    config: EngineConfig,
    renderer: Renderer,
    gate: Arc<Gate>,
    /// Serializes the static-IP changes of this engine: check, write and read-back of one do
    /// not interleave with another's.
    ip_gate: Arc<Gate>,
    state: Mutex<State>,
}

impl<R: Router, A: AuditSink, C: Clock> Engine<R, A, C> {
    /// An engine over the given ports.
    pub fn new(router: R, audit: A, clock: C, config: EngineConfig) -> Self {
        let renderer = Renderer::new(config.language, config.time_zone);
        Self {
            router,
            audit,
            clock,
            config,
            renderer,
            gate: Arc::new(Gate::default()),
            ip_gate: Arc::new(Gate::default()),
            state: Mutex::new(State::default()),
        }
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

    /// Takes the message's place in its sender's queue, now. Pass the result to
    /// [`run`](Self::run), possibly on another task: messages of one sender run, and their
    /// replies are delivered, in the order `enqueue` was called.
    pub fn enqueue(&self, incoming: Incoming) -> Queued {
        let key = match &incoming.sender {
            Sender::Phone(raw) => PhoneNumber::parse(raw, &self.config.default_country_code)
                .map_or_else(|_| raw.clone(), |p| p.as_str().to_owned()),
            Sender::UnresolvedLid(lid) => lid.clone(),
        };
        Queued {
            ticket: self.gate.ticket(&key),
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
        let _turn = queued.ticket.await;
        let replies = self.handle_in_order(queued.incoming).await;
        deliver(replies).await
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn handle_in_order(&self, msg: Incoming) -> Vec<Outgoing> {
        let started = self.clock.now();
        let phone = match &msg.sender {
            Sender::Phone(raw) => PhoneNumber::parse(raw, &self.config.default_country_code).ok(),
            Sender::UnresolvedLid(_) => None,
        };
        let entry = phone
            .as_ref()
            .and_then(|p| self.config.access.iter().find(|e| &e.phone == p));

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
            return self.unknown_sender(&msg, phone, started).await;
        };
        let phone = entry.phone.clone();
        let event = |command: &str| AuditEvent {
            at: started,
            actor_phone: phone.as_str().to_owned(),
            actor_lid: msg.sender_lid.clone(),
            role: Some(entry.role),
            command: command.to_owned(),
            target: None,
            router: None,
            arguments: String::new(),
            outcome: Outcome::Ok,
            error: None,
            reason: None,
            duration_ms: 0,
            message_id: msg.id.clone(),
        };

        let parsed = parse_command(&msg.text, self.config.max_message_len);
        if msg.is_group
            && matches!(
                parsed,
                Err(ParseError::Empty | ParseError::UnknownCommand { .. })
            )
        {
            // Group chatter that is not addressed to the bot: not an attempt, no rate slot.
            return Vec::new();
        }

        if !self.take_rate_slot(&phone, started) {
            let tell = self.tell_rate_limited(&phone, started);
            let mut ev = event("-");
            ev.outcome = Outcome::Denied;
            ev.error = Some(format!(
                "rate limit: more than {} commands per minute",
                self.config.rate_limit_per_minute
            ));
            ev.arguments = self.redact_unparsed(&msg.text);
            let warning = self.record(ev, started).await;
            return if tell {
                self.reply(
                    &msg,
                    self.renderer
                        .rate_limited(self.config.rate_limit_per_minute)
                        + &warning,
                )
            } else {
                Vec::new()
            };
        }

        let command = match parsed {
            Ok(c) => c,
            Err(err) => {
                let mut ev = event(match &err {
                    ParseError::MissingArgument { command, .. }
                    | ParseError::TooManyArguments { command, .. } => command.word(),
                    ParseError::UnknownField { .. } => CommandKind::Edit.word(),
                    ParseError::BadPage { .. } => CommandKind::List.word(),
                    _ => "-",
                });
                ev.outcome = Outcome::Invalid;
                ev.error = Some(err.to_string());
                ev.arguments = if matches!(err, ParseError::TooLong { .. }) {
                    format!("({} characters)", msg.text.chars().count())
                } else {
                    self.redact_unparsed(&msg.text)
                };
                let warning = self.record(ev, started).await;
                return self.reply(&msg, self.renderer.parse_error(&err) + &warning);
            }
        };
        let kind = command.kind();
        let mut ev = event(kind.word());
        ev.target = command.target().map(str::to_owned);
        ev.arguments = command.redacted_arguments(&self.config.profiles);

        if !self.config.permissions.allows(entry.role, kind) {
            ev.outcome = Outcome::Denied;
            ev.error = Some(format!("role {} may not run {kind}", entry.role));
            let warning = self.record(ev, started).await;
            return self.reply(&msg, self.renderer.denied(kind) + &warning);
        }

        let arrived = msg.received_at.unwrap_or(started);
        let age = (arrived - msg.sent_at).to_std().unwrap_or_default();
        if kind.is_mutating() && age > self.config.max_message_age {
            ev.outcome = Outcome::Skipped;
            ev.error = Some(format!(
                "stale: sent {}s before it arrived (max {}s)",
                age.as_secs(),
                self.config.max_message_age.as_secs()
            ));
            let shown = format!("{} {}", kind.word(), command.target().unwrap_or_default());
            let warning = self.record(ev, started).await;
            return self.reply(
                &msg,
                self.renderer.stale(shown.trim(), msg.sent_at, age) + &warning,
            );
        }

        if kind.is_mutating() {
            // At most once across a crash: the claim is durable before the router is touched,
            // the audit row is written after. A claim without a row means an earlier attempt
            // was interrupted; its effect is unknown, so it is not run again.
            match self.audit.claim(&ev).await {
                Ok(true) => {}
                Ok(false) => {
                    ev.outcome = Outcome::Skipped;
                    ev.error = Some(
                        "an earlier attempt of this message was interrupted; not run again"
                            .to_owned(),
                    );
                    let shown = format!("{} {}", kind.word(), command.target().unwrap_or_default());
                    let warning = self.record(ev, started).await;
                    return self.reply(
                        &msg,
                        self.renderer
                            .interrupted(shown.trim(), command.target().unwrap_or_default())
                            + &warning,
                    );
                }
                Err(e) => {
                    let incident = incident_id(&msg.id);
                    tracing::error!(%incident, error = %e, message_id = %msg.id, "cannot claim the message id; change not run");
                    return self.reply(&msg, self.renderer.internal_error(&incident, false));
                }
            }
        }

        let done = self.execute(&command, &phone, &msg.id, started).await;
        ev.outcome = done.outcome;
        ev.error = done.error;
        ev.reason = done.reason;
        ev.router = done.router;
        if let Some(c) = done.command {
            ev.command = c.to_owned();
        }
        if done.target.is_some() {
            ev.target = done.target;
        }
        let warning = self.record(ev, started).await;
        self.reply(&msg, done.reply + &warning)
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
            let now_shows = match ev.target.as_deref().map(Username::parse) {
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

    /// Appends the event, stamping its duration. Returns a warning to append to the reply when
    /// the audit store failed (empty when it worked).
    async fn record(&self, mut ev: AuditEvent, started: DateTime<Utc>) -> String {
        ev.duration_ms =
            u64::try_from((self.clock.now() - started).num_milliseconds()).unwrap_or(0);
        let id = ev.message_id.clone();
        match self.audit.append(ev).await {
            Ok(()) => String::new(),
            Err(e) => {
                let incident = incident_id(&id);
                tracing::error!(%incident, error = %e, message_id = %id, "audit append failed");
                self.renderer.audit_warning(&incident)
            }
        }
    }

    async fn unknown_sender(
        &self,
        msg: &Incoming,
        phone: Option<PhoneNumber>,
        now: DateTime<Utc>,
    ) -> Vec<Outgoing> {
        let (actor, lid) = match (&msg.sender, phone) {
            (_, Some(p)) => (p.as_str().to_owned(), msg.sender_lid.clone()),
            (Sender::Phone(raw), None) => (raw.clone(), msg.sender_lid.clone()),
            (Sender::UnresolvedLid(l), None) => (
                format!("unresolved {l}"),
                Some(msg.sender_lid.clone().unwrap_or_else(|| l.clone())),
            ),
        };
        let parsed = parse_command(&msg.text, self.config.max_message_len);
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
        if audit_now {
            let (command, target, arguments) = match &parsed {
                Ok(c) => (
                    c.kind().word().to_owned(),
                    c.target().map(str::to_owned),
                    c.redacted_arguments(&self.config.profiles),
                ),
                Err(_) => ("-".to_owned(), None, self.redact_unparsed(&msg.text)),
            };
            let error = match &msg.sender {
                Sender::UnresolvedLid(_) => {
                    "sender is a LID that could not be resolved to a phone number"
                }
                Sender::Phone(_) => "sender is not on the allowlist",
            };
            let ev = AuditEvent {
                at: now,
                actor_phone: actor,
                actor_lid: lid,
                role: None,
                command,
                target,
                router: None,
                arguments,
                outcome: Outcome::Denied,
                error: Some(error.to_owned()),
                reason: None,
                duration_ms: 0,
                message_id: msg.id.clone(),
            };
            self.record(ev, now).await;
        }
        if self.config.reply_to_unknown && !msg.is_group {
            self.reply(msg, self.renderer.unknown_sender())
        } else {
            Vec::new()
        }
    }

    fn take_rate_slot(&self, phone: &PhoneNumber, now: DateTime<Utc>) -> bool {
        let mut state = self.lock();
        let window = state.recent.entry(phone.clone()).or_default();
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

    /// Whether to tell the sender about the rate limit (once a minute).
    fn tell_rate_limited(&self, phone: &PhoneNumber, now: DateTime<Utc>) -> bool {
        let mut state = self.lock();
        match state.told_rate.get(phone) {
            Some(t) if now - *t < chrono::Duration::minutes(1) => false,
            _ => {
                state.told_rate.insert(phone.clone(), now);
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

    async fn execute(
        &self,
        command: &Command,
        phone: &PhoneNumber,
        message_id: &str,
        now: DateTime<Utc>,
    ) -> Done {
        let cx = Attempt {
            command,
            message_id,
            now,
        };
        let result = match command {
            Command::Add {
                username,
                password,
                profile,
                ip,
                info,
            } => {
                let raw = RawAdd {
                    username,
                    password,
                    profile,
                    ip: ip.as_deref(),
                    info: info.as_deref(),
                };
                self.add(&raw, phone, &cx).await
            }
            Command::Edit { username, value } => self.edit(username, value, &cx).await,
            Command::Delete { username, reason } => {
                self.delete(username, reason.as_deref(), phone, &cx).await
            }
            Command::Confirm { code } => self.confirm(code, phone, &cx).await,
            Command::List { filter, page } => self.list(filter.as_deref(), *page).await,
            Command::Check { username } => self.check(username, now).await,
            Command::Restart { username } => self.restart(username, &cx).await,
            Command::Help { topic } => Ok(Done::ok(match topic {
                HelpTopic::General => self.renderer.help_general(),
                HelpTopic::Pppoe => self.renderer.help_pppoe(
                    &self.config.profiles,
                    self.config.delete_confirmation == DeleteConfirmation::Code,
                ),
            })),
        };
        let mut done = result.unwrap_or_else(|e| {
            self.router_failure(&e, message_id, command.kind(), command.target())
        });
        // A delete's reason is part of the record whatever became of the delete.
        if let Command::Delete {
            reason: Some(reason),
            ..
        } = command
            && done.reason.is_none()
        {
            done.reason = Some(reason.clone());
        }
        done
    }

    /// The answer when a router call failed before the command's change was made (or, for
    /// [`RouterError::Unconfirmed`], when it is unknown whether it was).
    fn router_failure(
        &self,
        err: &RouterError,
        message_id: &str,
        kind: CommandKind,
        target: Option<&str>,
    ) -> Done {
        let incident = incident_id(message_id);
        let logged = || format!("{err} (incident {incident})");
        match err {
            RouterError::AlreadyExists | RouterError::NotFound => Done::invalid(
                err.to_string(),
                self.renderer.router_refused(&err.to_string()),
            ),
            RouterError::InvalidValue(text) | RouterError::Rejected(text) => {
                Done::new(Outcome::Failed, self.renderer.router_refused(text))
                    .error(err.to_string())
            }
            RouterError::UnknownProfile => Done::new(
                Outcome::Failed,
                self.renderer.router_refused(&err.to_string()),
            )
            .error(err.to_string()),
            RouterError::Unconfirmed(_) => {
                tracing::error!(%incident, command = %kind, user = ?target, error = %err, "a change was sent but the router did not confirm it; its result is unknown");
                let shown = format!("{} {}", kind.word(), target.unwrap_or_default());
                Done::new(
                    Outcome::Unknown,
                    self.renderer
                        .unknown_result(shown.trim(), target, &incident),
                )
                .error(logged())
            }
            RouterError::LoginRefused(_) => {
                tracing::error!(%incident, error = %err, "the router refused the bot's login: check the router user and password in the config");
                Done::new(
                    Outcome::Failed,
                    self.renderer.router_login_refused(&incident),
                )
                .error(logged())
            }
            RouterError::Certificate(_) => {
                tracing::error!(%incident, error = %err, "the router's TLS certificate is not the configured one");
                Done::new(Outcome::Failed, self.renderer.router_certificate(&incident))
                    .error(logged())
            }
            RouterError::Busy(_) => {
                tracing::warn!(%incident, error = %err, "router connection busy; command not sent");
                Done::new(Outcome::Failed, self.renderer.router_busy()).error(logged())
            }
            RouterError::Unreachable(_) | RouterError::Timeout => {
                tracing::error!(%incident, error = %err, "router failure");
                Done::new(
                    Outcome::Failed,
                    self.renderer.internal_error(&incident, true),
                )
                .error(logged())
            }
        }
    }

    fn field_error(&self, kind: CommandKind, err: FieldError) -> Done {
        // The audit text names the field and the rule, never the value: a password typed in
        // the wrong place must not reach the log.
        let text = match &err {
            FieldError::Username(e) => format!("username: {e}"),
            FieldError::Password(e) => format!("password: {e}"),
            FieldError::Profile { .. } => "profile: not in the package table".to_owned(),
            FieldError::Ip(e) => format!("ip: {e}"),
            FieldError::Status(_) => {
                "status: not one of enable, disable, aktif, nonaktif".to_owned()
            }
            FieldError::Info(e) => format!("info: {e}"),
        };
        Done::invalid(text, self.renderer.field_error(kind, &err))
    }

    fn parse_username(&self, kind: CommandKind, text: &str) -> Result<Username, Box<Done>> {
        Username::parse(text).map_err(|e| Box::new(self.field_error(kind, FieldError::Username(e))))
    }

    /// The secret a command is about: the username's rules, then the look-up ("not found" is
    /// an answer, not an error).
    async fn target(
        &self,
        kind: CommandKind,
        username: &str,
    ) -> Result<Result<Secret, Box<Done>>, RouterError> {
        let name = match self.parse_username(kind, username) {
            Ok(n) => n,
            Err(done) => return Ok(Err(done)),
        };
        Ok(self.existing(&name).await?.map_err(Box::new))
    }

    /// Looks the secret up, or answers "not found".
    async fn existing(&self, username: &Username) -> Result<Result<Secret, Done>, RouterError> {
        Ok(match self.router.find_secret(username).await? {
            Some(s) => Ok(s),
            None => Err(Done::invalid(
                "no such user",
                self.renderer.not_found(username.as_str()),
            )),
        })
    }

    /// Checks that no other secret or session uses `ip`.
    async fn ip_free(
        &self,
        kind: CommandKind,
        ip: Ipv4Addr,
        owner: &str,
    ) -> Result<Result<(), Done>, RouterError> {
        Ok(match self.ip_taken_by(ip, owner).await? {
            Some(user) => Err(Done::invalid(
                format!("ip: {ip} is used by {}", user_name(&user)),
                self.renderer.ip_conflict(kind, ip, &user),
            )),
            None => Ok(()),
        })
    }

    /// Someone other than `owner` who uses `ip`, if any.
    async fn ip_taken_by(&self, ip: Ipv4Addr, owner: &str) -> Result<Option<IpUser>, RouterError> {
        Ok(self
            .router
            .ip_users(ip)
            .await?
            .into_iter()
            .find(|u| user_name(u) != owner))
    }

    /// After a static IP was written: reads it back, and if someone else holds it too (a change
    /// that raced ours, from another bot or by hand), undoes ours with `undo`. `done` is the
    /// answer for a clean write; what is returned says what really happened.
    async fn verify_ip<F, Fut>(
        &self,
        cx: &Attempt<'_>,
        ip: Ipv4Addr,
        owner: &str,
        done: Done,
        undo: F,
    ) -> Done
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(), RouterError>>,
    {
        let kind = cx.command.kind();
        let router = done.router.clone().unwrap_or_default();
        let other = match self.ip_taken_by(ip, owner).await {
            Ok(None) => return done,
            Ok(Some(other)) => other,
            Err(e) => {
                let incident = incident_id(cx.message_id);
                tracing::warn!(%incident, %ip, user = owner, error = %e, "the static IP could not be read back after the change");
                let mut done = done;
                done.reply.push_str(&self.renderer.ip_not_verified(ip));
                done.error = Some(format!(
                    "ip {ip} not read back after the change: {e} (incident {incident})"
                ));
                return done;
            }
        };
        let who = user_name(&other).to_owned();
        tracing::warn!(%ip, user = owner, other = %who, "static IP conflict seen after the change; undoing it");
        match undo().await {
            Ok(()) => Done::invalid(
                format!("ip: {ip} is used by {who} (seen after the change, which was undone)"),
                self.renderer
                    .ip_conflict_after_write(kind, ip, &other, owner, true),
            )
            .router(&router),
            Err(e) => {
                let incident = incident_id(cx.message_id);
                tracing::error!(%incident, %ip, user = owner, other = %who, error = %e, "undoing a change with a conflicting static IP failed");
                let outcome = if e.is_unconfirmed() {
                    Outcome::Unknown
                } else {
                    // The change stands on the router: it was made, with a conflict.
                    Outcome::Ok
                };
                Done::new(
                    outcome,
                    self.renderer
                        .ip_conflict_after_write(kind, ip, &other, owner, false),
                )
                .error(format!(
                    "ip: {ip} is also used by {who} (seen after the change); undoing the change failed: {e} (incident {incident})"
                ))
                .router(&router)
            }
        }
    }

    /// Disconnects the sessions of a user whose change needs it (delete, disable). The change
    /// itself is made already, so a failure here is reported beside it, never instead of it.
    async fn kick_after_change(
        &self,
        name: &str,
        message_id: &str,
    ) -> (SessionKick, Option<String>) {
        match self.router.kick(name).await {
            Ok(0) => (SessionKick::NotConnected, None),
            Ok(_) => (SessionKick::Disconnected, None),
            Err(e) => {
                let incident = incident_id(message_id);
                tracing::error!(%incident, user = name, error = %e, "the change was made, but its active session was not disconnected");
                let kick = if e.is_unconfirmed() {
                    SessionKick::Unconfirmed
                } else {
                    SessionKick::Failed
                };
                (
                    kick,
                    Some(format!(
                        "disconnecting the active session failed: {e} (incident {incident})"
                    )),
                )
            }
        }
    }

    async fn add(
        &self,
        raw: &RawAdd<'_>,
        phone: &PhoneNumber,
        cx: &Attempt<'_>,
    ) -> Result<Done, RouterError> {
        let kind = CommandKind::Add;
        let name = match self.parse_username(kind, raw.username) {
            Ok(n) => n,
            Err(done) => return Ok(*done),
        };
        let password = match raw.password.check() {
            Ok(p) => p,
            Err(e) => return Ok(self.field_error(kind, FieldError::Password(e))),
        };
        let profile = match self.config.profiles.parse(raw.profile) {
            Ok(p) => self.config.profiles.get(&p).clone(),
            Err(e) => {
                return Ok(self.field_error(
                    kind,
                    FieldError::Profile {
                        found: e.found,
                        available: e.available,
                    },
                ));
            }
        };
        let ip = match raw
            .ip
            .map(|ip| StaticIp::parse(ip, &self.config.pools))
            .transpose()
        {
            Ok(ip) => ip.map(StaticIp::addr),
            Err(e) => return Ok(self.field_error(kind, FieldError::Ip(e))),
        };
        let comment = match raw.info.map(CustomerInfo::parse).transpose() {
            Ok(c) => c.flatten(),
            Err(e) => return Ok(self.field_error(kind, FieldError::Info(e))),
        };
        if self.router.find_secret(&name).await?.is_some() {
            return Ok(Done::invalid(
                "username: already exists",
                self.renderer.already_exists(name.as_str()),
            ));
        }
        // The check, the write and the read-back of a static IP run one at a time.
        let _ip_turn = match ip {
            Some(_) => Some(self.ip_gate.ticket(IP_GATE).await),
            None => None,
        };
        if let Some(ip) = ip
            && let Err(done) = self.ip_free(kind, ip, name.as_str()).await?
        {
            return Ok(done);
        }
        let new = NewSecret {
            name: name.clone(),
            password: password.clone(),
            profile: profile.router_profile.clone(),
            remote_address: ip,
            comment: comment.clone(),
            router: self.config.home_routers.get(phone).cloned(),
        };
        let at = match self.router.add_secret(&new).await {
            Ok(at) => at,
            Err(RouterError::AlreadyExists) => {
                return Ok(Done::invalid(
                    "username: already exists",
                    self.renderer.already_exists(name.as_str()),
                ));
            }
            Err(RouterError::UnknownProfile) => {
                return Ok(Done::new(
                    Outcome::Failed,
                    self.renderer
                        .router_profile_missing(&profile.router_profile),
                )
                .error(format!(
                    "router has no profile {:?}",
                    profile.router_profile
                )));
            }
            Err(e) => return Err(e),
        };
        let done = Done::ok(self.renderer.added(
            name.as_str(),
            password.expose(),
            &profile.name,
            ip,
            comment.as_ref().map(CustomerInfo::as_str),
            cx.now,
        ))
        .router(&at.router);
        Ok(match ip {
            Some(ip) => {
                self.verify_ip(cx, ip, name.as_str(), done, || {
                    self.router.remove_secret(&at)
                })
                .await
            }
            None => done,
        })
    }

    /// The change an `editpppoe` value asks for, and the value as the reply shows it.
    fn edit_change(&self, value: &EditValue) -> Result<(SecretChange, String), FieldError> {
        let clear = |v: &str| matches!(v, "-" | "none" | "kosong" | "hapus");
        Ok(match value {
            EditValue::Password(raw) => {
                let p = raw.check().map_err(FieldError::Password)?;
                let shown = p.expose().to_owned();
                (SecretChange::Password(p), shown)
            }
            EditValue::Profile(v) => {
                let p = self
                    .config
                    .profiles
                    .parse(v)
                    .map_err(|e| FieldError::Profile {
                        found: e.found,
                        available: e.available,
                    })?;
                let profile = self.config.profiles.get(&p);
                (
                    SecretChange::Profile(profile.router_profile.clone()),
                    profile.name.clone(),
                )
            }
            EditValue::Ip(v) if clear(v) => (
                SecretChange::RemoteAddress(None),
                self.pick("- (dinamis)", "- (dynamic)"),
            ),
            EditValue::Ip(v) => {
                let ip = StaticIp::parse(v, &self.config.pools).map_err(FieldError::Ip)?;
                (SecretChange::RemoteAddress(Some(ip.addr())), ip.to_string())
            }
            EditValue::Status(v) => {
                let s = SubscriberStatus::parse(v).map_err(|e| FieldError::Status(e.0))?;
                (
                    SecretChange::Disabled(s == SubscriberStatus::Disabled),
                    s.as_str().to_owned(),
                )
            }
            EditValue::Info(v) if clear(v) => (SecretChange::Comment(None), "-".to_owned()),
            EditValue::Info(v) => {
                let c = CustomerInfo::parse(v).map_err(FieldError::Info)?;
                let shown = c.as_ref().map_or("-", CustomerInfo::as_str).to_owned();
                (SecretChange::Comment(c), shown)
            }
        })
    }

    async fn edit(
        &self,
        username: &str,
        value: &EditValue,
        cx: &Attempt<'_>,
    ) -> Result<Done, RouterError> {
        let kind = CommandKind::Edit;
        let name = match self.parse_username(kind, username) {
            Ok(n) => n,
            Err(done) => return Ok(*done),
        };
        // Validate the value before asking the router anything.
        let (change, shown) = match self.edit_change(value) {
            Ok(c) => c,
            Err(e) => return Ok(self.field_error(kind, e)),
        };
        let new_ip = match change {
            SecretChange::RemoteAddress(Some(ip)) => Some(ip),
            _ => None,
        };
        // The check, the write and the read-back of a static IP run one at a time.
        let _ip_turn = match new_ip {
            Some(_) => Some(self.ip_gate.ticket(IP_GATE).await),
            None => None,
        };
        let secret = match self.existing(&name).await? {
            Ok(s) => s,
            Err(done) => return Ok(done),
        };
        if let Some(ip) = new_ip
            && let Err(done) = self.ip_free(kind, ip, &secret.name).await?
        {
            return Ok(done);
        }
        match self.router.update_secret(&secret.at, &change).await {
            Ok(()) => {}
            Err(RouterError::UnknownProfile) => {
                let SecretChange::Profile(p) = &change else {
                    return Err(RouterError::UnknownProfile);
                };
                return Ok(
                    Done::new(Outcome::Failed, self.renderer.router_profile_missing(p))
                        .error(format!("router has no profile {p:?}"))
                        .router(&secret.at.router),
                );
            }
            Err(e) => return Err(e),
        }
        let (kick, kick_error) = match change {
            // A disabled secret keeps its session until it is removed.
            SecretChange::Disabled(true) => {
                self.kick_after_change(&secret.name, cx.message_id).await
            }
            _ => (SessionKick::NotConnected, None),
        };
        let mut done =
            Done::ok(
                self.renderer
                    .edited(&secret.name, value.field(), &shown, kick, cx.now),
            )
            .router(&secret.at.router);
        done.error = kick_error.map(|e| format!("disabled; {e}"));
        Ok(match new_ip {
            Some(ip) => {
                let previous = SecretChange::RemoteAddress(secret.remote_address);
                self.verify_ip(cx, ip, &secret.name, done, || {
                    self.router.update_secret(&secret.at, &previous)
                })
                .await
            }
            None => done,
        })
    }

    fn pick(&self, id: &str, en: &str) -> String {
        match self.config.language {
            Language::Indonesian => id.to_owned(),
            Language::English => en.to_owned(),
        }
    }

    async fn summary_online(&self, secret: &Secret) -> Result<bool, RouterError> {
        Ok(self.router.active_session(&secret.name).await?.is_some())
    }

    async fn delete(
        &self,
        username: &str,
        reason: Option<&str>,
        phone: &PhoneNumber,
        cx: &Attempt<'_>,
    ) -> Result<Done, RouterError> {
        let kind = CommandKind::Delete;
        let name = match self.parse_username(kind, username) {
            Ok(n) => n,
            Err(done) => return Ok(*done),
        };
        let secret = match self.existing(&name).await? {
            Ok(s) => s,
            Err(done) => return Ok(done),
        };
        let profile = self.config.profiles.by_router_profile(&secret.profile);
        let Some(reason) = reason else {
            let online = self.summary_online(&secret).await?;
            let summary = Summary {
                secret: &secret,
                profile,
                online,
            };
            return Ok(Done::new(
                Outcome::Skipped,
                self.renderer.delete_confirmation(&summary),
            )
            .error("waiting for confirmation: resend with a reason")
            .router(&secret.at.router));
        };
        match self.config.delete_confirmation {
            DeleteConfirmation::Reason => {
                Ok(self.remove(&secret, reason, cx.message_id, cx.now).await)
            }
            DeleteConfirmation::Code => {
                let online = self.summary_online(&secret).await?;
                let code = confirmation_code(cx.message_id, phone, cx.now);
                let expires =
                    cx.now + chrono::Duration::from_std(CONFIRMATION_TTL).unwrap_or_default();
                self.lock().pending.insert(
                    phone.clone(),
                    PendingDelete {
                        code: code.clone(),
                        username: name,
                        at: secret.at.clone(),
                        reason: reason.to_owned(),
                        expires,
                    },
                );
                let summary = Summary {
                    secret: &secret,
                    profile,
                    online,
                };
                let done = Done::new(
                    Outcome::Skipped,
                    self.renderer.delete_code(
                        &summary,
                        reason,
                        &code,
                        CONFIRMATION_TTL.as_secs() / 60,
                    ),
                )
                .error("waiting for the confirmation code")
                .router(&secret.at.router)
                .reason(reason);
                Ok(done)
            }
        }
    }

    /// Removes the secret, then disconnects its session. Each step is reported: a session
    /// that could not be disconnected never turns the delete into a failure.
    async fn remove(
        &self,
        secret: &Secret,
        reason: &str,
        message_id: &str,
        now: DateTime<Utc>,
    ) -> Done {
        let router = &secret.at.router;
        if let Err(e) = self.router.remove_secret(&secret.at).await {
            return self
                .router_failure(&e, message_id, CommandKind::Delete, Some(&secret.name))
                .router(router)
                .reason(reason);
        }
        let (kick, kick_error) = self.kick_after_change(&secret.name, message_id).await;
        let mut done = Done::ok(self.renderer.deleted(&secret.name, reason, kick, now))
            .router(router)
            .reason(reason);
        done.error = kick_error.map(|e| format!("deleted; {e}"));
        done
    }

    async fn confirm(
        &self,
        code: &str,
        phone: &PhoneNumber,
        cx: &Attempt<'_>,
    ) -> Result<Done, RouterError> {
        let pending = {
            let mut state = self.lock();
            match state.pending.get(phone) {
                Some(p) if p.code == code && p.expires > cx.now => state.pending.remove(phone),
                Some(p) if p.expires <= cx.now => {
                    state.pending.remove(phone);
                    None
                }
                _ => None,
            }
        };
        let Some(pending) = pending else {
            return Ok(Done::invalid(
                "no pending delete for this code",
                self.renderer.bad_code(code),
            ));
        };
        let mut done = match self.router.find_secret(&pending.username).await {
            Ok(Some(secret)) if secret.at == pending.at => {
                self.remove(&secret, &pending.reason, cx.message_id, cx.now)
                    .await
            }
            Ok(_) => Done::invalid(
                "no such user",
                self.renderer.not_found(pending.username.as_str()),
            ),
            Err(e) => self.router_failure(
                &e,
                cx.message_id,
                CommandKind::Delete,
                Some(pending.username.as_str()),
            ),
        };
        done.reason = Some(pending.reason.clone());
        done.command = Some(CommandKind::Delete.word());
        done.target = Some(pending.username.as_str().to_owned());
        Ok(done)
    }

    fn list_filter(&self, filter: Option<&str>) -> ListFilter {
        let Some(f) = filter else {
            return ListFilter::All;
        };
        match f.to_lowercase().as_str() {
            "aktif" | "enabled" | "enable" | "active" => ListFilter::Enabled,
            "nonaktif" | "disabled" | "disable" | "inactive" => ListFilter::Disabled,
            "online" | "terhubung" => ListFilter::Online,
            "offline" | "terputus" => ListFilter::Offline,
            _ => match self.config.profiles.parse(f) {
                Ok(p) => ListFilter::Profile(self.config.profiles.get(&p).router_profile.clone()),
                Err(_) => ListFilter::NameContains(f.to_owned()),
            },
        }
    }

    async fn list(&self, filter: Option<&str>, page: u32) -> Result<Done, RouterError> {
        let request = PageRequest::page(page, self.config.page_size);
        let result = self
            .router
            .list_secrets(&self.list_filter(filter), request)
            .await?;
        let names: Vec<String> = result.items.iter().map(|i| i.secret.name.clone()).collect();
        let created = match self.audit.created_at(&names).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "creation dates unavailable; listing shows \"-\"");
                HashMap::new()
            }
        };
        let view = ListView {
            filter,
            page,
            page_size: self.config.page_size,
            total: result.total,
            items: result
                .items
                .iter()
                .map(|i| (i, created.get(&i.secret.name).copied()))
                .collect(),
        };
        Ok(Done::ok(self.renderer.list(&view, &self.config.profiles)))
    }

    async fn check(&self, username: &str, now: DateTime<Utc>) -> Result<Done, RouterError> {
        let secret = match self.target(CommandKind::Check, username).await? {
            Ok(s) => s,
            Err(done) => return Ok(*done),
        };
        let session = self.router.active_session(&secret.name).await?;
        let traffic = match &session {
            Some(_) => match self.router.traffic(&secret.name).await {
                Ok(t) => t,
                Err(e) => {
                    tracing::warn!(error = %e, user = %secret.name, "live traffic unavailable");
                    None
                }
            },
            None => None,
        };
        let view = StatusView {
            secret: &secret,
            profile: self.config.profiles.by_router_profile(&secret.profile),
            session: session.as_ref(),
            traffic,
        };
        Ok(Done::ok(self.renderer.status(&view, now)).router(&secret.at.router))
    }

    async fn restart(&self, username: &str, cx: &Attempt<'_>) -> Result<Done, RouterError> {
        let kind = CommandKind::Restart;
        let name = match self.parse_username(kind, username) {
            Ok(n) => n,
            Err(done) => return Ok(*done),
        };
        let router = match self.existing(&name).await? {
            Ok(secret) => secret.at.router,
            // A session can outlive its secret (a delete whose disconnect failed): it can
            // still be dropped.
            Err(not_found) => match self.router.active_session(name.as_str()).await? {
                Some(session) => session.router,
                None => return Ok(not_found),
            },
        };
        let kicked = self.router.kick(name.as_str()).await?;
        Ok(if kicked == 0 {
            Done::new(Outcome::Skipped, self.renderer.not_connected(name.as_str()))
                .error("not connected")
                .router(&router)
        } else {
            Done::ok(self.renderer.restarted(name.as_str(), cx.now)).router(&router)
        })
    }
}

/// The key of the static-IP gate: one queue for every IP change of the engine (IPs are unique
/// across all routers behind it).
const IP_GATE: &str = "static-ip";

/// What an attempt's steps need to know about it.
struct Attempt<'a> {
    command: &'a Command,
    message_id: &'a str,
    now: DateTime<Utc>,
}

/// The arguments of an `addpppoe`, as typed.
struct RawAdd<'a> {
    username: &'a str,
    password: &'a crate::domain::RawPassword,
    profile: &'a str,
    ip: Option<&'a str>,
    info: Option<&'a str>,
}

/// The username of an address's user.
fn user_name(user: &IpUser) -> &str {
    match user {
        IpUser::Secret(n) | IpUser::Active(n) => n,
    }
}

/// A short id that ties a technician's error message to the operator's log line.
fn incident_id(message_id: &str) -> String {
    let mut h = DefaultHasher::new();
    message_id.hash(&mut h);
    format!("{:08X}", h.finish() as u32)
}

/// A four-digit code for `ya CODE`.
fn confirmation_code(message_id: &str, phone: &PhoneNumber, now: DateTime<Utc>) -> String {
    let mut h = DefaultHasher::new();
    (message_id, phone.as_str(), now.timestamp_nanos_opt()).hash(&mut h);
    format!("{:04}", 1000 + h.finish() % 9000)
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
    fn codes_are_four_digits() {
        let p = PhoneNumber::parse("081234567890", "62").unwrap();
        let c = confirmation_code("m1", &p, DateTime::UNIX_EPOCH);
        assert_eq!(c.len(), 4);
        assert!(c.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(incident_id("m1").len(), 8);
    }
}
