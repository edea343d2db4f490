//! What an attempt is (who, when, which command about whom) and what became of it (the outcome
//! and the reply). [`Attempt::event`] is the one way an outcome becomes an audit event.

use chrono::{DateTime, Utc};

use crate::command::CommandKind;
use crate::domain::{PhoneNumber, Role};
use crate::ports::{AuditEvent, Outcome};

/// Who sent what, when: everything the audit log records of an attempt besides what became of
/// it. Filled in as the message is understood (the command word once it parses, the target and
/// arguments once it is a command).
#[derive(Debug, Clone)]
pub(crate) struct Attempt {
    pub(crate) at: DateTime<Utc>,
    pub(crate) actor_phone: String,
    pub(crate) actor_lid: Option<String>,
    pub(crate) role: Option<Role>,
    /// The command word, `-` while the message is no command.
    pub(crate) command: String,
    pub(crate) target: Option<String>,
    /// Passwords and anything that may be one masked (see `crate::command`).
    pub(crate) arguments: String,
    pub(crate) message_id: String,
}

impl Attempt {
    /// The audit event of this attempt with what became of it.
    pub(crate) fn event(&self, answer: &Answer, duration_ms: u64) -> AuditEvent {
        let (command, target) = match &answer.records {
            Some((kind, target)) => (kind.word().to_owned(), Some(target.clone())),
            None => (self.command.clone(), self.target.clone()),
        };
        let mut arguments = self.arguments.clone();
        if let Some(details) = &answer.details {
            arguments.push(' ');
            arguments.push_str(details);
        }
        if !answer.notices.is_empty() {
            let told: Vec<&str> = answer.notices.iter().map(|n| n.to.as_str()).collect();
            arguments.push_str(&format!(" [notified {}]", told.join(", ")));
        }
        AuditEvent {
            at: self.at,
            actor_phone: self.actor_phone.clone(),
            actor_lid: self.actor_lid.clone(),
            role: self.role,
            command,
            target,
            router: answer.router.clone(),
            arguments,
            outcome: answer.outcome,
            error: answer.error.clone(),
            reason: answer.reason.clone(),
            duration_ms,
            message_id: self.message_id.clone(),
        }
    }

    /// What a claim records before a change runs: the attempt, its result not known yet.
    pub(crate) fn claim(&self, reason: Option<&str>) -> AuditEvent {
        let pending = Answer {
            reason: reason.map(str::to_owned),
            ..Answer::new(Outcome::Unknown, None)
        };
        self.event(&pending, 0)
    }
}

/// What became of an attempt: the outcome and the details the audit log records, and the reply
/// (none when the sender gets no answer).
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub(crate) outcome: Outcome,
    pub(crate) reply: Option<String>,
    /// Why it was not ok, or what went wrong beside an ok change.
    pub(crate) error: Option<String>,
    /// A delete's reason.
    pub(crate) reason: Option<String>,
    /// The router concerned.
    pub(crate) router: Option<String>,
    /// The command and username to record when they are not the message's own (`ya CODE`
    /// records the delete it confirms).
    pub(crate) records: Option<(CommandKind, String)>,
    /// Messages to other people than the sender (a ticket's notices), sent after the reply.
    pub(crate) notices: Vec<Notice>,
    /// What the audit row keeps beside the arguments (an isolation's snapshot).
    pub(crate) details: Option<String>,
}

/// A message the engine sends to someone on its own (a ticket's notice, a customer's login).
#[derive(Debug, Clone)]
pub(crate) struct Notice {
    pub(crate) to: PhoneNumber,
    pub(crate) text: String,
    /// For a notice with an audit row of its own (a customer's): what it records.
    pub(crate) audit: Option<crate::ports::DeliveryAudit>,
}

impl Answer {
    pub(crate) fn new(outcome: Outcome, reply: Option<String>) -> Self {
        Self {
            outcome,
            reply,
            error: None,
            reason: None,
            router: None,
            records: None,
            notices: Vec::new(),
            details: None,
        }
    }

    pub(crate) fn ok(reply: String) -> Self {
        Self::new(Outcome::Ok, Some(reply))
    }

    pub(crate) fn with(outcome: Outcome, error: impl Into<String>, reply: String) -> Self {
        Self::new(outcome, Some(reply)).error(error)
    }

    pub(crate) fn invalid(error: impl Into<String>, reply: String) -> Self {
        Self::with(Outcome::Invalid, error, reply)
    }

    pub(crate) fn error(mut self, error: impl Into<String>) -> Self {
        self.error = Some(error.into());
        self
    }

    pub(crate) fn router(mut self, router: &str) -> Self {
        self.router = Some(router.to_owned());
        self
    }

    pub(crate) fn details(mut self, details: String) -> Self {
        self.details = Some(details);
        self
    }

    pub(crate) fn reason(mut self, reason: &str) -> Self {
        self.reason = Some(reason.to_owned());
        self
    }
}

/// A short id that ties a technician's error message to the operator's log line.
pub(crate) fn incident_id(message_id: &str) -> String {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut h = DefaultHasher::new();
    message_id.hash(&mut h);
    format!("{:08X}", h.finish() as u32)
}
