//! Trouble tickets: the spec's "trouble report" (`lapor`, `ambil`, `selesai TR001`, ...).
//!
//! A ticket moves through one state machine, checked here, in pure code, before anything is
//! written:
//!
//! ```text
//!   lapor ─▶ open ──ambil/serahkan──▶ in progress ──selesai──▶ resolved ──tutup──▶ closed
//!             ▲                        │  ▲ serahkan                │                 │
//!             └────────── bukaulang (admin, with a reason) ─────────┴─────────────────┘
//! ```
//!
//! Every other move is refused with a [`Refusal`] that says why and what to do instead.
//! [`Ticket::apply`] computes the ticket after an action; the [`TicketStore`] writes it with
//! its event only if nobody changed the ticket meanwhile (its `version`), so two technicians
//! taking one ticket at once cannot both get it.

use std::fmt;
use std::future::Future;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use thiserror::Error;

use crate::domain::Role;
use crate::isolation::{Isolation, IsolationPage};
use crate::ports::MessageId;

/// A ticket's number, shown as `TR001`, `TR002`, ... (`TR1000` past 999).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TicketId(u32);

impl TicketId {
    /// The ticket numbered `n` (from 1).
    pub fn new(n: u32) -> Option<Self> {
        (n > 0).then_some(Self(n))
    }

    /// Its number.
    pub fn number(self) -> u32 {
        self.0
    }

    /// Whether `word` has the form of a ticket id (`TR` and digits, any case), valid or not:
    /// the grammar uses it to tell a ticket from a username.
    pub fn looks_like(word: &str) -> bool {
        word.len() > 2
            && word.as_bytes()[..2].eq_ignore_ascii_case(b"tr")
            && word.as_bytes()[2..].iter().all(u8::is_ascii_digit)
    }
}

impl fmt::Display for TicketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TR{:03}", self.0)
    }
}

/// Why a text is no [`TicketId`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0:?} is not a ticket id like TR001")]
pub struct TicketIdError(pub String);

impl FromStr for TicketId {
    type Err = TicketIdError;

    /// `TR001`, `tr1`, `Tr0042`: `TR` in any case and a number from 1.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || TicketIdError(s.to_owned());
        if !Self::looks_like(s) {
            return Err(bad());
        }
        s[2..]
            .parse::<u32>()
            .ok()
            .and_then(Self::new)
            .ok_or_else(bad)
    }
}

/// Where a ticket stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TicketState {
    /// Reported, nobody on it.
    Open,
    /// A technician has it.
    InProgress,
    /// The technician says it is fixed.
    Resolved,
    /// Done for good (an admin closed it, or it stayed resolved long enough).
    Closed,
}

impl TicketState {
    /// The state's name in the database and the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::InProgress => "in_progress",
            Self::Resolved => "resolved",
            Self::Closed => "closed",
        }
    }

    /// Every state.
    pub const ALL: [Self; 4] = [Self::Open, Self::InProgress, Self::Resolved, Self::Closed];

    /// Parses a state name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Open or in progress: work to do.
    pub fn is_active(self) -> bool {
        matches!(self, Self::Open | Self::InProgress)
    }
}

/// A trouble ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// Its id.
    pub id: TicketId,
    /// Its state.
    pub state: TicketState,
    /// The subscriber (username) it is about, once known.
    pub username: Option<String>,
    /// The complaint as reported.
    pub complaint: String,
    /// Who reported it (phone digits).
    pub reporter: String,
    /// Who has it (phone digits), while in progress or after.
    pub assignee: Option<String>,
    /// When it was reported.
    pub opened_at: DateTime<Utc>,
    /// When its current assignee took it (or was given it).
    pub taken_at: Option<DateTime<Utc>>,
    /// When it was resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// When `addpppoe ... tiket=` created its subscriber.
    pub installed_at: Option<DateTime<Utc>>,
    /// Changes so far; a write is refused if it changed meanwhile.
    pub version: u32,
}

/// A ticket to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTicket {
    /// The subscriber, if named and found on the router.
    pub username: Option<String>,
    /// The complaint.
    pub complaint: String,
    /// Who reports it.
    pub reporter: String,
    /// When.
    pub at: DateTime<Utc>,
    /// The message that opened it.
    pub message_id: MessageId,
}

/// What happened to a ticket, as its history shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketEventKind {
    /// Reported.
    Opened,
    /// Taken by its actor.
    Taken,
    /// Given to this technician (phone digits).
    Assigned(String),
    /// A note.
    Note,
    /// Resolved.
    Resolved,
    /// Closed (by an admin, or automatically).
    Closed,
    /// Reopened, with a reason.
    Reopened,
    /// Its subscriber was created by `addpppoe ... tiket=` (the username).
    Installed(String),
}

impl TicketEventKind {
    /// The kind's name in the database.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Opened => "opened",
            Self::Taken => "taken",
            Self::Assigned(_) => "assigned",
            Self::Note => "note",
            Self::Resolved => "resolved",
            Self::Closed => "closed",
            Self::Reopened => "reopened",
            Self::Installed(_) => "installed",
        }
    }

    /// The kind from its name and its value (the assignee or the username), as stored.
    pub fn from_parts(kind: &str, value: Option<&str>) -> Option<Self> {
        Some(match kind {
            "opened" => Self::Opened,
            "taken" => Self::Taken,
            "assigned" => Self::Assigned(value?.to_owned()),
            "note" => Self::Note,
            "resolved" => Self::Resolved,
            "closed" => Self::Closed,
            "reopened" => Self::Reopened,
            "installed" => Self::Installed(value?.to_owned()),
            _ => return None,
        })
    }

    /// The value kept beside the kind: the assignee or the username.
    pub fn value(&self) -> Option<&str> {
        match self {
            Self::Assigned(v) | Self::Installed(v) => Some(v),
            _ => None,
        }
    }
}

/// One entry of a ticket's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketEvent {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (phone digits), or `None` for the bot itself (automatic close).
    pub actor: Option<String>,
    /// What.
    pub kind: TicketEventKind,
    /// The note, resolution or reason, if any.
    pub text: Option<String>,
    /// The message that did it, if a message did.
    pub message_id: Option<MessageId>,
}

/// A change to a ticket, as a technician asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketAction {
    /// `ambil`: I take it.
    Take,
    /// `serahkan`: give it to this technician (phone digits).
    Assign(String),
    /// `catatan`: a note.
    Note(String),
    /// `selesai`: fixed, with what was done.
    Resolve(String),
    /// `tutup`: closed for good.
    Close,
    /// `bukaulang`: open again, with why.
    Reopen(String),
    /// `addpppoe ... tiket=`: its subscriber was created (the username).
    Install(String),
}

impl TicketAction {
    /// The command that asks for it (what the audit log records).
    pub fn command(&self) -> crate::command::CommandKind {
        use crate::command::CommandKind;
        match self {
            Self::Take => CommandKind::Take,
            Self::Assign(_) => CommandKind::Assign,
            Self::Note(_) => CommandKind::Note,
            Self::Resolve(_) => CommandKind::Resolve,
            Self::Close => CommandKind::CloseTicket,
            Self::Reopen(_) => CommandKind::Reopen,
            Self::Install(_) => CommandKind::Add,
        }
    }
}

/// Who asks for a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor<'a> {
    /// Phone digits.
    pub phone: &'a str,
    /// Role.
    pub role: Role,
}

/// Why a change is refused. Each names what the ticket is and what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Refusal {
    /// `ambil` on a ticket the sender has already.
    #[error("the ticket is already the sender's")]
    AlreadyYours,
    /// `ambil` on a ticket someone else has (phone digits).
    #[error("the ticket is held by {0}")]
    HeldBy(String),
    /// `serahkan` to the technician who has it already.
    #[error("the ticket is already assigned to {0}")]
    AlreadyAssigned(String),
    /// `selesai` on a ticket nobody took.
    #[error("the ticket is open and nobody has taken it")]
    NotTaken,
    /// `selesai` by a technician who does not have the ticket (its assignee's digits).
    #[error("only its assignee {0} or an admin may resolve the ticket")]
    NotAssignee(String),
    /// `tutup` on a ticket that is not resolved.
    #[error("the ticket is {} and only a resolved ticket can be closed", .0.as_str())]
    NotResolved(TicketState),
    /// `bukaulang` on a ticket that is still open or in progress.
    #[error("the ticket is {}, not resolved or closed", .0.as_str())]
    NotFinished(TicketState),
    /// Work asked on a resolved or closed ticket.
    #[error("the ticket is {}", .0.as_str())]
    Finished(TicketState),
}

impl Ticket {
    /// The ticket after `action` by `actor` at `now`, with the event to record; or why the
    /// state machine refuses it. The version is not changed here: the store moves it on when
    /// it writes.
    pub fn apply(
        &self,
        action: &TicketAction,
        actor: Actor<'_>,
        now: DateTime<Utc>,
    ) -> Result<(Self, TicketEvent), Refusal> {
        use TicketState::{Closed, InProgress, Open, Resolved};
        let mut next = self.clone();
        let (kind, text) = match action {
            TicketAction::Take => {
                match (self.state, self.assignee.as_deref()) {
                    (Open, _) => {}
                    (InProgress, Some(a)) if a == actor.phone => return Err(Refusal::AlreadyYours),
                    (InProgress, Some(a)) => return Err(Refusal::HeldBy(a.to_owned())),
                    (InProgress, None) => {}
                    (state @ (Resolved | Closed), _) => return Err(Refusal::Finished(state)),
                }
                next.state = InProgress;
                next.assignee = Some(actor.phone.to_owned());
                next.taken_at = Some(now);
                (TicketEventKind::Taken, None)
            }
            TicketAction::Assign(to) => {
                match self.state {
                    Open | InProgress => {}
                    state @ (Resolved | Closed) => return Err(Refusal::Finished(state)),
                }
                if self.state == InProgress && self.assignee.as_deref() == Some(to.as_str()) {
                    return Err(Refusal::AlreadyAssigned(to.clone()));
                }
                next.state = InProgress;
                next.assignee = Some(to.clone());
                next.taken_at = Some(now);
                (TicketEventKind::Assigned(to.clone()), None)
            }
            TicketAction::Note(text) => {
                if self.state == Closed {
                    return Err(Refusal::Finished(Closed));
                }
                (TicketEventKind::Note, Some(text.clone()))
            }
            TicketAction::Resolve(text) => {
                match (self.state, self.assignee.as_deref()) {
                    (Open, _) => return Err(Refusal::NotTaken),
                    (InProgress, Some(a)) if a != actor.phone && actor.role != Role::Admin => {
                        return Err(Refusal::NotAssignee(a.to_owned()));
                    }
                    (InProgress, _) => {}
                    (state @ (Resolved | Closed), _) => return Err(Refusal::Finished(state)),
                }
                next.state = Resolved;
                next.resolved_at = Some(now);
                (TicketEventKind::Resolved, Some(text.clone()))
            }
            TicketAction::Close => {
                if self.state != Resolved {
                    return Err(Refusal::NotResolved(self.state));
                }
                next.state = Closed;
                next.closed_at = Some(now);
                (TicketEventKind::Closed, None)
            }
            TicketAction::Reopen(reason) => {
                if self.state.is_active() {
                    return Err(Refusal::NotFinished(self.state));
                }
                next.state = Open;
                next.assignee = None;
                next.taken_at = None;
                next.resolved_at = None;
                next.closed_at = None;
                (TicketEventKind::Reopened, Some(reason.clone()))
            }
            TicketAction::Install(username) => {
                if !self.state.is_active() {
                    return Err(Refusal::Finished(self.state));
                }
                next.username = Some(username.clone());
                next.installed_at = Some(now);
                (TicketEventKind::Installed(username.clone()), None)
            }
        };
        let event = TicketEvent {
            at: now,
            actor: Some(actor.phone.to_owned()),
            kind,
            text,
            message_id: None,
        };
        Ok((next, event))
    }
}

/// Which tickets a listing shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketFilter {
    /// Open or in progress (`tiket`).
    Active,
    /// Open or in progress and held by this technician (`tiket saya`).
    AssignedTo(String),
    /// About this subscriber, in any state (`tiket USER`).
    Subscriber(String),
    /// Every ticket (`tiket semua`).
    All,
}

/// One page of tickets, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketPage {
    /// The page's tickets.
    pub items: Vec<Ticket>,
    /// Tickets matching in all.
    pub total: usize,
}

/// A write to a ticket: the ticket as it is to be, the event that made it so, and the version
/// it was read at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketUpdate {
    /// The ticket after the change (its `version` is the one read).
    pub ticket: Ticket,
    /// What happened.
    pub event: TicketEvent,
}

/// Errors of a [`TicketStore`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TicketError {
    /// The ticket changed since it was read (another technician was faster).
    #[error("ticket {0} changed meanwhile")]
    Conflict(TicketId),
    /// No such ticket.
    #[error("no ticket {0}")]
    NotFound(TicketId),
    /// The store failed.
    #[error("ticket store failed: {0}")]
    Store(String),
    /// This engine has no ticket store.
    #[error("no ticket store is configured")]
    Unavailable,
}

/// Where the bot keeps its own records: the tickets, and what it knows of subscribers beyond
/// the router (the customer's WhatsApp number).
pub trait TicketStore: Send + Sync {
    /// Opens a ticket with the next number, and its `opened` event, in one write.
    fn open(&self, new: NewTicket) -> impl Future<Output = Result<Ticket, TicketError>> + Send;

    /// One ticket and its history (oldest first).
    fn get(
        &self,
        id: TicketId,
    ) -> impl Future<Output = Result<Option<(Ticket, Vec<TicketEvent>)>, TicketError>> + Send;

    /// One page of the tickets `filter` selects, oldest first (`page` from 1).
    fn list(
        &self,
        filter: &TicketFilter,
        page: u32,
        page_size: u32,
    ) -> impl Future<Output = Result<TicketPage, TicketError>> + Send;

    /// Writes `update.ticket` with its version moved on by one, and its event, in one write,
    /// if the stored ticket still has `update.ticket.version`; [`TicketError::Conflict`]
    /// otherwise. Returns the ticket as written.
    fn update(
        &self,
        update: TicketUpdate,
    ) -> impl Future<Output = Result<Ticket, TicketError>> + Send;

    /// Tickets resolved at or before `cutoff` and not closed (for closing them automatically).
    fn resolved_before(
        &self,
        cutoff: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<Ticket>, TicketError>> + Send;

    /// Every resolution (a `resolved` event) at or after `since`, oldest first, with when its
    /// ticket was last reported (opened or reopened) and last taken or assigned before it.
    fn resolutions(
        &self,
        since: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<Resolution>, TicketError>> + Send;

    /// Keeps the customer's WhatsApp number (digits) of subscriber `username` (`addpppoe ...
    /// wa=`), replacing any earlier one. The bot's own record, not the router's.
    fn set_customer(
        &self,
        username: &str,
        phone: &str,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), TicketError>> + Send;

    /// Forgets the customer's number of `username` (the subscriber was deleted: a later
    /// subscriber of the same name is someone else).
    fn forget_customer(
        &self,
        username: &str,
    ) -> impl Future<Output = Result<(), TicketError>> + Send;

    /// The customer's WhatsApp number (digits) kept for `username` (any case), if any.
    fn customer(
        &self,
        username: &str,
    ) -> impl Future<Output = Result<Option<String>, TicketError>> + Send;

    /// Keeps a piece of field evidence: the file (under its SHA-256) and its record, in that
    /// order, so a record never names a file that is not there.
    fn add_evidence(
        &self,
        evidence: NewEvidence,
    ) -> impl Future<Output = Result<Evidence, TicketError>> + Send;

    /// The evidence of a ticket or of a subscriber, oldest first.
    fn evidence(
        &self,
        of: &EvidenceOf,
    ) -> impl Future<Output = Result<Vec<Evidence>, TicketError>> + Send;

    /// Keeps the snapshot of an isolation (`isolir`), before the router is changed.
    /// [`TicketError::Store`] if `isolation.username` (any case) is isolated already.
    fn isolate(
        &self,
        isolation: &Isolation,
    ) -> impl Future<Output = Result<(), TicketError>> + Send;

    /// The current isolation of `username` (any case), if any.
    fn isolation(
        &self,
        username: &str,
    ) -> impl Future<Output = Result<Option<Isolation>, TicketError>> + Send;

    /// Ends the isolation of `username` (any case) at `at`: lifted by `buka`, or undone
    /// because `isolir` failed. Ending one that does not exist does nothing.
    fn end_isolation(
        &self,
        username: &str,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), TicketError>> + Send;

    /// One page of the current isolations, oldest first (`page` from 1).
    fn isolations(
        &self,
        page: u32,
        page_size: u32,
    ) -> impl Future<Output = Result<IsolationPage, TicketError>> + Send;
}

/// What evidence is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvidenceOf {
    /// A ticket.
    Ticket(TicketId),
    /// A subscriber (username, any case).
    Subscriber(String),
}

/// The kind of a piece of evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvidenceKind {
    /// A photo (`image/...`).
    Photo,
    /// A document (PDF).
    Document,
    /// A location.
    Location,
}

impl EvidenceKind {
    /// Its name in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Photo => "photo",
            Self::Document => "document",
            Self::Location => "location",
        }
    }

    /// Parses its name.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Photo, Self::Document, Self::Location]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// A file kept as evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceFile {
    /// SHA-256 of the bytes, lower-case hex: also the file's name.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// MIME type.
    pub mime: String,
}

/// Evidence to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvidence {
    /// When.
    pub at: DateTime<Utc>,
    /// Who sent it (phone digits).
    pub actor: String,
    /// What it is about.
    pub of: EvidenceOf,
    /// What it is.
    pub kind: EvidenceKind,
    /// The file and its bytes (photo, document).
    pub file: Option<(EvidenceFile, Vec<u8>)>,
    /// The point (location).
    pub location: Option<crate::ports::Coordinates>,
    /// The technician's words.
    pub caption: Option<String>,
    /// The message that brought it.
    pub message_id: MessageId,
}

/// Evidence as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// When.
    pub at: DateTime<Utc>,
    /// Who sent it.
    pub actor: String,
    /// What it is about.
    pub of: EvidenceOf,
    /// What it is.
    pub kind: EvidenceKind,
    /// The file (photo, document).
    pub file: Option<EvidenceFile>,
    /// The point (location).
    pub location: Option<crate::ports::Coordinates>,
    /// The technician's words.
    pub caption: Option<String>,
}

impl NewEvidence {
    /// The record of it, without the bytes.
    pub fn record(&self) -> Evidence {
        Evidence {
            at: self.at,
            actor: self.actor.clone(),
            of: self.of.clone(),
            kind: self.kind,
            file: self.file.as_ref().map(|(f, _)| f.clone()),
            location: self.location,
            caption: self.caption.clone(),
        }
    }
}

/// One resolution of a ticket, for the performance report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// The ticket.
    pub ticket: TicketId,
    /// Who resolved it (phone digits).
    pub resolver: Option<String>,
    /// When it was reported (or reopened) before this resolution.
    pub reported_at: DateTime<Utc>,
    /// When it was last taken or assigned before this resolution.
    pub taken_at: Option<DateTime<Utc>>,
    /// When it was resolved.
    pub resolved_at: DateTime<Utc>,
    /// Whether the ticket was an installation with both a photo and a location kept on it
    /// (`addpppoe ... tiket=`, `foto`, `lokasi`), by the time the report is made.
    pub documented_install: bool,
}

/// Finds a resolution's times in a ticket's history (oldest first): for each `resolved`
/// event at or after `since`, the last `opened`/`reopened` and the last `taken`/`assigned`
/// before it. `evidence` is the ticket's evidence (for `documented_install`). The stores share
/// this rule.
pub fn resolutions_in(
    id: TicketId,
    events: &[TicketEvent],
    evidence: &[Evidence],
    since: DateTime<Utc>,
) -> Vec<Resolution> {
    let installed = events
        .iter()
        .any(|e| matches!(e.kind, TicketEventKind::Installed(_)));
    let has = |kind: EvidenceKind| evidence.iter().any(|e| e.kind == kind);
    let documented_install = installed && has(EvidenceKind::Photo) && has(EvidenceKind::Location);
    let mut out = Vec::new();
    let mut reported = None;
    let mut taken = None;
    for e in events {
        match e.kind {
            TicketEventKind::Opened | TicketEventKind::Reopened => {
                reported = Some(e.at);
                taken = None;
            }
            TicketEventKind::Taken | TicketEventKind::Assigned(_) => taken = Some(e.at),
            TicketEventKind::Resolved if e.at >= since => out.push(Resolution {
                ticket: id,
                resolver: e.actor.clone(),
                reported_at: reported.unwrap_or(e.at),
                taken_at: taken,
                resolved_at: e.at,
                documented_install,
            }),
            _ => {}
        }
    }
    out
}

/// The store of an engine without tickets: every call is [`TicketError::Unavailable`], so
/// ticket commands answer that tickets are not set up.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoTickets;

impl TicketStore for NoTickets {
    async fn isolate(&self, _: &Isolation) -> Result<(), TicketError> {
        Err(TicketError::Unavailable)
    }
    async fn isolation(&self, _: &str) -> Result<Option<Isolation>, TicketError> {
        Err(TicketError::Unavailable)
    }
    async fn end_isolation(&self, _: &str, _: DateTime<Utc>) -> Result<(), TicketError> {
        Err(TicketError::Unavailable)
    }
    async fn isolations(&self, _: u32, _: u32) -> Result<IsolationPage, TicketError> {
        Err(TicketError::Unavailable)
    }
    async fn open(&self, _: NewTicket) -> Result<Ticket, TicketError> {
        Err(TicketError::Unavailable)
    }
    async fn get(&self, _: TicketId) -> Result<Option<(Ticket, Vec<TicketEvent>)>, TicketError> {
        Err(TicketError::Unavailable)
    }
    async fn list(&self, _: &TicketFilter, _: u32, _: u32) -> Result<TicketPage, TicketError> {
        Err(TicketError::Unavailable)
    }
    async fn update(&self, _: TicketUpdate) -> Result<Ticket, TicketError> {
        Err(TicketError::Unavailable)
    }
    async fn resolved_before(&self, _: DateTime<Utc>) -> Result<Vec<Ticket>, TicketError> {
        Err(TicketError::Unavailable)
    }
    async fn resolutions(&self, _: DateTime<Utc>) -> Result<Vec<Resolution>, TicketError> {
        Err(TicketError::Unavailable)
    }
    async fn set_customer(&self, _: &str, _: &str, _: DateTime<Utc>) -> Result<(), TicketError> {
        Err(TicketError::Unavailable)
    }
    async fn customer(&self, _: &str) -> Result<Option<String>, TicketError> {
        Err(TicketError::Unavailable)
    }
    async fn forget_customer(&self, _: &str) -> Result<(), TicketError> {
        Err(TicketError::Unavailable)
    }
    async fn add_evidence(&self, _: NewEvidence) -> Result<Evidence, TicketError> {
        Err(TicketError::Unavailable)
    }
    async fn evidence(&self, _: &EvidenceOf) -> Result<Vec<Evidence>, TicketError> {
        Err(TicketError::Unavailable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const TECH: &str = "6281111111111";
    const OTHER: &str = "6282222222222";
    const ADMIN: &str = "6289999999999";

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 2, 8, minute, 0).unwrap()
    }

    fn ticket(state: TicketState, assignee: Option<&str>) -> Ticket {
        Ticket {
            id: TicketId::new(1).unwrap(),
            state,
            username: None,
            complaint: "internet mati".into(),
            reporter: ADMIN.into(),
            assignee: assignee.map(Into::into),
            opened_at: at(0),
            taken_at: None,
            resolved_at: None,
            closed_at: None,
            installed_at: None,
            version: 0,
        }
    }

    fn tech(phone: &str) -> Actor<'_> {
        Actor {
            phone,
            role: Role::Technician,
        }
    }

    fn admin() -> Actor<'static> {
        Actor {
            phone: ADMIN,
            role: Role::Admin,
        }
    }

    #[test]
    fn ids_read_in_any_case_and_show_three_digits_at_least() {
        assert_eq!("TR001".parse::<TicketId>().unwrap().number(), 1);
        assert_eq!("tr7".parse::<TicketId>().unwrap().to_string(), "TR007");
        assert_eq!("Tr1234".parse::<TicketId>().unwrap().to_string(), "TR1234");
        for bad in ["TR", "TR0", "TRx1", "T001", "001", "TR-1", "TR99999999999"] {
            assert!(bad.parse::<TicketId>().is_err(), "{bad}");
        }
        assert!(TicketId::looks_like("tr000"));
        assert!(!TicketId::looks_like("tri"));
    }

    #[test]
    fn the_whole_way_from_open_to_closed_and_back() {
        use TicketState::*;
        let t = ticket(Open, None);
        let (t, e) = t.apply(&TicketAction::Take, tech(TECH), at(1)).unwrap();
        assert_eq!((t.state, t.assignee.as_deref()), (InProgress, Some(TECH)));
        assert_eq!(e.kind, TicketEventKind::Taken);
        let (t, e) = t
            .apply(
                &TicketAction::Note("ONU diganti".into()),
                tech(OTHER),
                at(2),
            )
            .unwrap();
        assert_eq!(t.state, InProgress);
        assert_eq!(
            (e.actor.as_deref(), e.text.as_deref()),
            (Some(OTHER), Some("ONU diganti"))
        );
        let (t, _) = t
            .apply(&TicketAction::Resolve("selesai".into()), tech(TECH), at(3))
            .unwrap();
        assert_eq!((t.state, t.resolved_at), (Resolved, Some(at(3))));
        let (t, _) = t.apply(&TicketAction::Close, admin(), at(4)).unwrap();
        assert_eq!((t.state, t.closed_at), (Closed, Some(at(4))));
        let (t, e) = t
            .apply(&TicketAction::Reopen("masih mati".into()), admin(), at(5))
            .unwrap();
        assert_eq!((t.state, t.assignee, t.resolved_at), (Open, None, None));
        assert_eq!(e.kind, TicketEventKind::Reopened);
    }

    #[test]
    fn every_other_move_is_refused_with_its_reason() {
        use TicketState::*;
        let resolve = TicketAction::Resolve("x".into());
        let cases: Vec<(Ticket, TicketAction, Actor<'_>, Refusal)> = vec![
            (
                ticket(InProgress, Some(TECH)),
                TicketAction::Take,
                tech(TECH),
                Refusal::AlreadyYours,
            ),
            (
                ticket(InProgress, Some(TECH)),
                TicketAction::Take,
                tech(OTHER),
                Refusal::HeldBy(TECH.into()),
            ),
            (
                ticket(Resolved, Some(TECH)),
                TicketAction::Take,
                tech(OTHER),
                Refusal::Finished(Resolved),
            ),
            (
                ticket(InProgress, Some(TECH)),
                TicketAction::Assign(TECH.into()),
                admin(),
                Refusal::AlreadyAssigned(TECH.into()),
            ),
            (
                ticket(Closed, Some(TECH)),
                TicketAction::Assign(OTHER.into()),
                admin(),
                Refusal::Finished(Closed),
            ),
            (
                ticket(Open, None),
                resolve.clone(),
                tech(TECH),
                Refusal::NotTaken,
            ),
            (
                ticket(InProgress, Some(TECH)),
                resolve.clone(),
                tech(OTHER),
                Refusal::NotAssignee(TECH.into()),
            ),
            (
                ticket(Resolved, Some(TECH)),
                resolve,
                tech(TECH),
                Refusal::Finished(Resolved),
            ),
            (
                ticket(Open, None),
                TicketAction::Close,
                admin(),
                Refusal::NotResolved(Open),
            ),
            (
                ticket(InProgress, Some(TECH)),
                TicketAction::Close,
                admin(),
                Refusal::NotResolved(InProgress),
            ),
            (
                ticket(Closed, Some(TECH)),
                TicketAction::Close,
                admin(),
                Refusal::NotResolved(Closed),
            ),
            (
                ticket(InProgress, Some(TECH)),
                TicketAction::Reopen("x".into()),
                admin(),
                Refusal::NotFinished(InProgress),
            ),
            (
                ticket(Closed, None),
                TicketAction::Note("x".into()),
                tech(TECH),
                Refusal::Finished(Closed),
            ),
            (
                ticket(Resolved, Some(TECH)),
                TicketAction::Install("budi".into()),
                tech(TECH),
                Refusal::Finished(Resolved),
            ),
        ];
        for (t, action, actor, want) in cases {
            assert_eq!(
                t.apply(&action, actor, at(9)).map(|_| ()),
                Err(want.clone()),
                "{action:?} on {:?}",
                t.state
            );
        }
    }

    #[test]
    fn an_admin_resolves_a_ticket_someone_else_holds_and_assigns_an_open_one() {
        let t = ticket(TicketState::InProgress, Some(TECH));
        let (t, _) = t
            .apply(&TicketAction::Resolve("x".into()), admin(), at(1))
            .unwrap();
        assert_eq!(t.state, TicketState::Resolved);
        let t = ticket(TicketState::Open, None);
        let (t, e) = t
            .apply(&TicketAction::Assign(OTHER.into()), admin(), at(1))
            .unwrap();
        assert_eq!(
            (t.state, t.assignee.as_deref()),
            (TicketState::InProgress, Some(OTHER))
        );
        assert_eq!(e.kind, TicketEventKind::Assigned(OTHER.into()));
    }

    #[test]
    fn event_kinds_round_trip_through_their_stored_parts() {
        for kind in [
            TicketEventKind::Opened,
            TicketEventKind::Taken,
            TicketEventKind::Assigned(TECH.into()),
            TicketEventKind::Note,
            TicketEventKind::Resolved,
            TicketEventKind::Closed,
            TicketEventKind::Reopened,
            TicketEventKind::Installed("budi".into()),
        ] {
            assert_eq!(
                TicketEventKind::from_parts(kind.as_str(), kind.value()),
                Some(kind.clone())
            );
        }
        for state in TicketState::ALL {
            assert_eq!(TicketState::parse(state.as_str()), Some(state));
        }
    }
}
