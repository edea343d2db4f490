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

use crate::command::{Command, CommandKind, EditField, HelpTopic, ParseError, parse_command};
use crate::domain::{
    CustomerInfo, Ipv4Net, Password, PhoneNumber, Role, StaticIp, SubscriberStatus, Username,
};
use crate::gate::Gate;
use crate::ports::{
    AuditEvent, AuditSink, Clock, Incoming, ListFilter, NewSecret, Outcome, Outgoing, PageRequest,
    Router, RouterError, Secret, SecretChange, SecretRef, Sender,
};
use crate::profile::ProfileTable;
use crate::render::{
    FieldError, Language, ListView, MAX_MESSAGE_CHARS, Renderer, StatusView, Summary, split_message,
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
            ev.arguments = redact_unparsed(&msg.text);
            let warning = self.record(ev, started, true).await;
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
                    redact_unparsed(&msg.text)
                };
                let warning = self.record(ev, started, false).await;
                return self.reply(&msg, self.renderer.parse_error(&err) + &warning);
            }
        };
        let kind = command.kind();
        let mut ev = event(kind.word());
        ev.target = command.target().map(str::to_owned);
        ev.arguments = command.redacted_arguments();

        if !self.config.permissions.allows(entry.role, kind) {
            ev.outcome = Outcome::Denied;
            ev.error = Some(format!("role {} may not run {kind}", entry.role));
            let warning = self.record(ev, started, false).await;
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
            let warning = self.record(ev, started, true).await;
            return self.reply(
                &msg,
                self.renderer.stale(shown.trim(), msg.sent_at, age) + &warning,
            );
        }

        if kind.is_mutating() {
            // At most once across a crash: the claim is durable before the router is touched,
            // the audit row is written after. A claim without a row means an earlier attempt
            // was interrupted; its effect is unknown, so it is not run again.
            match self.audit.claim(&msg.id, started).await {
                Ok(true) => {}
                Ok(false) => {
                    ev.outcome = Outcome::Skipped;
                    ev.error = Some(
                        "an earlier attempt of this message was interrupted; not run again"
                            .to_owned(),
                    );
                    let shown = format!("{} {}", kind.word(), command.target().unwrap_or_default());
                    let warning = self.record(ev, started, true).await;
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
        let warning = self.record(ev, started, kind.is_mutating()).await;
        self.reply(&msg, done.reply + &warning)
    }

    /// Appends the event, stamping its duration. Returns a warning to append to the reply when
    /// the audit store failed (empty when it worked).
    async fn record(&self, mut ev: AuditEvent, started: DateTime<Utc>, _mutating: bool) -> String {
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
                    c.redacted_arguments(),
                ),
                Err(_) => ("-".to_owned(), None, redact_unparsed(&msg.text)),
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
            self.record(ev, now, false).await;
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

    async fn execute(
        &self,
        command: &Command,
        phone: &PhoneNumber,
        message_id: &str,
        now: DateTime<Utc>,
    ) -> Done {
        let result = match command {
            Command::Add { .. } => self.add(command, phone, now).await,
            Command::Edit {
                username,
                field,
                value,
            } => self.edit(username, *field, value, now).await,
            Command::Delete { username, reason } => {
                self.delete(username, reason.as_deref(), phone, message_id, now)
                    .await
            }
            Command::Confirm { code } => self.confirm(code, phone, now).await,
            Command::List { filter, page } => self.list(filter.as_deref(), *page).await,
            Command::Check { username } => self.check(username, now).await,
            Command::Restart { username } => self.restart(username, now).await,
            Command::Help { topic } => Ok(Done::ok(match topic {
                HelpTopic::General => self.renderer.help_general(),
                HelpTopic::Pppoe => self.renderer.help_pppoe(
                    &self.config.profiles,
                    self.config.delete_confirmation == DeleteConfirmation::Code,
                ),
            })),
        };
        result.unwrap_or_else(|e| self.router_failure(&e, message_id))
    }

    fn router_failure(&self, err: &RouterError, message_id: &str) -> Done {
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
            RouterError::Unreachable(_) | RouterError::Timeout => {
                let incident = incident_id(message_id);
                tracing::error!(%incident, error = %err, "router failure");
                Done::new(
                    Outcome::Failed,
                    self.renderer.internal_error(&incident, true),
                )
                .error(format!("{err} (incident {incident})"))
            }
        }
    }

    fn field_error(&self, kind: CommandKind, err: FieldError) -> Done {
        let text = match &err {
            FieldError::Username(e) => format!("username: {e}"),
            FieldError::Password(e) => format!("password: {e}"),
            FieldError::Profile { found, .. } => format!("profile: unknown profile {found:?}"),
            FieldError::Ip(e) => format!("ip: {e}"),
            FieldError::Status(s) => format!("status: unknown status {s:?}"),
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
        owner: Option<&str>,
    ) -> Result<Result<(), Done>, RouterError> {
        use crate::ports::IpUser;
        Ok(match self.router.ip_user(ip).await? {
            Some(IpUser::Secret(n) | IpUser::Active(n)) if Some(n.as_str()) == owner => Ok(()),
            Some(user) => {
                let who = match &user {
                    IpUser::Secret(n) | IpUser::Active(n) => n.clone(),
                };
                Err(Done::invalid(
                    format!("ip: {ip} is used by {who}"),
                    self.renderer.ip_conflict(kind, ip, &user),
                ))
            }
            None => Ok(()),
        })
    }

    async fn add(
        &self,
        command: &Command,
        phone: &PhoneNumber,
        now: DateTime<Utc>,
    ) -> Result<Done, RouterError> {
        let Command::Add {
            username,
            password,
            profile,
            ip,
            info,
        } = command
        else {
            return Err(RouterError::Rejected("not an addpppoe command".into()));
        };
        let (ip, info) = (ip.as_deref(), info.as_deref());
        let kind = CommandKind::Add;
        let name = match self.parse_username(kind, username) {
            Ok(n) => n,
            Err(done) => return Ok(*done),
        };
        let password = match Password::parse(password) {
            Ok(p) => p,
            Err(e) => return Ok(self.field_error(kind, FieldError::Password(e))),
        };
        let profile = match self.config.profiles.parse(profile) {
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
        let ip = match ip
            .map(|ip| StaticIp::parse(ip, &self.config.pools))
            .transpose()
        {
            Ok(ip) => ip.map(StaticIp::addr),
            Err(e) => return Ok(self.field_error(kind, FieldError::Ip(e))),
        };
        let comment = match info.map(CustomerInfo::parse).transpose() {
            Ok(c) => c.flatten(),
            Err(e) => return Ok(self.field_error(kind, FieldError::Info(e))),
        };
        if self.router.find_secret(&name).await?.is_some() {
            return Ok(Done::invalid(
                "username: already exists",
                self.renderer.already_exists(name.as_str()),
            ));
        }
        if let Some(ip) = ip
            && let Err(done) = self.ip_free(kind, ip, None).await?
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
        match self.router.add_secret(&new).await {
            Ok(at) => Ok(Done::ok(self.renderer.added(
                name.as_str(),
                password.expose(),
                &profile.name,
                ip,
                comment.as_ref().map(CustomerInfo::as_str),
                now,
            ))
            .router(&at.router)),
            Err(RouterError::AlreadyExists) => Ok(Done::invalid(
                "username: already exists",
                self.renderer.already_exists(name.as_str()),
            )),
            Err(RouterError::UnknownProfile) => Ok(Done::new(
                Outcome::Failed,
                self.renderer
                    .router_profile_missing(&profile.router_profile),
            )
            .error(format!(
                "router has no profile {:?}",
                profile.router_profile
            ))),
            Err(e) => Err(e),
        }
    }

    async fn edit(
        &self,
        username: &str,
        field: EditField,
        value: &str,
        now: DateTime<Utc>,
    ) -> Result<Done, RouterError> {
        let kind = CommandKind::Edit;
        let name = match self.parse_username(kind, username) {
            Ok(n) => n,
            Err(done) => return Ok(*done),
        };
        let clear = matches!(value, "-" | "none" | "kosong" | "hapus");
        // Validate the value before asking the router anything.
        let (change, shown) = match field {
            EditField::Password => match Password::parse(value) {
                Ok(p) => (SecretChange::Password(p), value.to_owned()),
                Err(e) => return Ok(self.field_error(kind, FieldError::Password(e))),
            },
            EditField::Profile => match self.config.profiles.parse(value) {
                Ok(p) => {
                    let profile = self.config.profiles.get(&p);
                    (
                        SecretChange::Profile(profile.router_profile.clone()),
                        profile.name.clone(),
                    )
                }
                Err(e) => {
                    return Ok(self.field_error(
                        kind,
                        FieldError::Profile {
                            found: e.found,
                            available: e.available,
                        },
                    ));
                }
            },
            EditField::Ip if clear => (
                SecretChange::RemoteAddress(None),
                self.pick("- (dinamis)", "- (dynamic)"),
            ),
            EditField::Ip => match StaticIp::parse(value, &self.config.pools) {
                Ok(ip) => (SecretChange::RemoteAddress(Some(ip.addr())), ip.to_string()),
                Err(e) => return Ok(self.field_error(kind, FieldError::Ip(e))),
            },
            EditField::Status => match SubscriberStatus::parse(value) {
                Ok(s) => (
                    SecretChange::Disabled(s == SubscriberStatus::Disabled),
                    s.as_str().to_owned(),
                ),
                Err(e) => return Ok(self.field_error(kind, FieldError::Status(e.0))),
            },
            EditField::Info if clear => (SecretChange::Comment(None), "-".to_owned()),
            EditField::Info => match CustomerInfo::parse(value) {
                Ok(c) => {
                    let shown = c.as_ref().map_or("-", CustomerInfo::as_str).to_owned();
                    (SecretChange::Comment(c), shown)
                }
                Err(e) => return Ok(self.field_error(kind, FieldError::Info(e))),
            },
        };
        let secret = match self.existing(&name).await? {
            Ok(s) => s,
            Err(done) => return Ok(done),
        };
        if let SecretChange::RemoteAddress(Some(ip)) = change
            && let Err(done) = self.ip_free(kind, ip, Some(&secret.name)).await?
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
        let kicked = match change {
            // A disabled secret keeps its session until it is removed.
            SecretChange::Disabled(true) => self.router.kick(&secret.name).await?,
            _ => 0,
        };
        Ok(Done::ok(
            self.renderer
                .edited(&secret.name, field, &shown, kicked, now),
        )
        .router(&secret.at.router))
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
        message_id: &str,
        now: DateTime<Utc>,
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
            DeleteConfirmation::Reason => self.remove(&secret, reason, now).await,
            DeleteConfirmation::Code => {
                let online = self.summary_online(&secret).await?;
                let code = confirmation_code(message_id, phone, now);
                let expires =
                    now + chrono::Duration::from_std(CONFIRMATION_TTL).unwrap_or_default();
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

    async fn remove(
        &self,
        secret: &Secret,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Done, RouterError> {
        self.router.remove_secret(&secret.at).await?;
        let kicked = self.router.kick(&secret.name).await?;
        Ok(
            Done::ok(self.renderer.deleted(&secret.name, reason, kicked, now))
                .router(&secret.at.router)
                .reason(reason),
        )
    }

    async fn confirm(
        &self,
        code: &str,
        phone: &PhoneNumber,
        now: DateTime<Utc>,
    ) -> Result<Done, RouterError> {
        let pending = {
            let mut state = self.lock();
            match state.pending.get(phone) {
                Some(p) if p.code == code && p.expires > now => state.pending.remove(phone),
                Some(p) if p.expires <= now => {
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
        let mut done = match self.router.find_secret(&pending.username).await? {
            Some(secret) if secret.at == pending.at => {
                self.remove(&secret, &pending.reason, now).await?
            }
            _ => {
                let mut d = Done::invalid(
                    "no such user",
                    self.renderer.not_found(pending.username.as_str()),
                );
                d.reason = Some(pending.reason.clone());
                d
            }
        };
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

    async fn restart(&self, username: &str, now: DateTime<Utc>) -> Result<Done, RouterError> {
        let secret = match self.target(CommandKind::Restart, username).await? {
            Ok(s) => s,
            Err(done) => return Ok(*done),
        };
        let kicked = self.router.kick(&secret.name).await?;
        Ok(if kicked == 0 {
            Done::new(Outcome::Skipped, self.renderer.not_connected(&secret.name))
                .error("not connected")
                .router(&secret.at.router)
        } else {
            Done::ok(self.renderer.restarted(&secret.name, now)).router(&secret.at.router)
        })
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

/// The text of a message that did not parse, for the audit log (passwords masked), at most
/// 200 characters.
fn redact_unparsed(text: &str) -> String {
    truncate(&crate::command::redact_text(text), 200)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_of_unparsed_text() {
        assert_eq!(
            redact_unparsed("addpppoe john s3cretpass"),
            "addpppoe john ***"
        );
        assert_eq!(
            redact_unparsed("editpppoe john password a b"),
            "editpppoe john password *** ***"
        );
        assert_eq!(redact_unparsed("halo bot"), "halo bot");
        assert_eq!(redact_unparsed(&"x ".repeat(300)).chars().count(), 201);
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
