//! `isolir USER [alasan]`, `isolir` (the isolated subscribers) and `buka USER [catatan]`.
//!
//! Isolating keeps a snapshot of what it will change (profile, disabled, comment, and the
//! address-list entry of a static IP) in the bot's records *before* touching the router, then
//! changes one field at a time, each acknowledged by the router. If a step is refused, the
//! steps done are undone and the reply says exactly that; if a step's result is unknown, the
//! snapshot stays so that `buka` can put everything back. The session is kicked so that the
//! change applies, and the secret is read back.
//!
//! `buka` restores only what isolation changed and finds still as isolation left it: a field
//! someone changed meanwhile (a new package, an edited comment) is left as found, and the
//! reply says so.

use std::net::Ipv4Addr;

use crate::command::CommandKind;
use crate::domain::{CustomerInfo, Username};
use crate::isolation::{Isolation, IsolirMethod, SecretFields};
use crate::ports::{AuditSink, Clock, Outcome, Router, RouterError, Secret, SecretChange};
use crate::render::{IsolirPart, Lifted};
use crate::ticket::TicketStore;

use super::answer::{Answer, incident_id};
use super::{Cx, Engine, Member};

/// One change of a secret's field, with the value it sets.
#[derive(Debug, Clone)]
struct Step {
    part: IsolirPart,
    value: Value,
}

#[derive(Debug, Clone)]
enum Value {
    Profile(String),
    Comment(Option<String>),
    Disabled(bool),
}

impl Value {
    fn change(&self) -> SecretChange {
        match self {
            Self::Profile(p) => SecretChange::Profile(p.clone()),
            Self::Comment(c) => SecretChange::Comment(c.clone().map(CustomerInfo::from_router)),
            Self::Disabled(d) => SecretChange::Disabled(*d),
        }
    }
}

/// The steps that turn `from` into `to`, field by field (only the fields that differ).
fn steps(from: &SecretFields, to: &SecretFields) -> Vec<Step> {
    let mut out = Vec::new();
    if from.profile != to.profile {
        out.push(Step {
            part: IsolirPart::Profile,
            value: Value::Profile(to.profile.clone()),
        });
    }
    if from.comment != to.comment {
        out.push(Step {
            part: IsolirPart::Comment,
            value: Value::Comment(to.comment.clone()),
        });
    }
    if from.disabled != to.disabled {
        out.push(Step {
            part: IsolirPart::Disabled,
            value: Value::Disabled(to.disabled),
        });
    }
    out
}

fn fields(secret: &Secret) -> SecretFields {
    SecretFields {
        profile: secret.profile.clone(),
        disabled: secret.disabled,
        comment: secret.comment.clone(),
    }
}

/// What the audit row keeps of an isolation: the snapshot and what was set.
fn snapshot(iso: &Isolation) -> String {
    let show = |f: &SecretFields| {
        format!(
            "profile={} disabled={} comment={}",
            f.profile,
            if f.disabled { "yes" } else { "no" },
            f.comment.as_deref().unwrap_or("-")
        )
    };
    let mut out = format!(
        "[{} before: {}; set: {}",
        iso.method.as_str(),
        show(&iso.before),
        show(&iso.after)
    );
    if let Some((list, ip)) = &iso.address_list {
        out.push_str(&format!("; address-list {list} {ip}"));
    }
    out.push(']');
    out
}

impl<R: Router, A: AuditSink, C: Clock, T: TicketStore> Engine<R, A, C, T> {
    /// `isolir USER [alasan]`.
    pub(super) async fn isolate(
        &self,
        name: &Username,
        reason: Option<&str>,
        entry: &Member,
        cx: &Cx<'_>,
    ) -> Answer {
        let kind = CommandKind::Isolate;
        let failure =
            |e: &RouterError| self.router_failure(e, cx.message_id, kind, Some(name.as_str()));
        match self.tickets.isolation(name.as_str()).await {
            Ok(Some(iso)) => {
                return Answer::with(
                    Outcome::Skipped,
                    "isolated already; nothing changed",
                    self.renderer.isolated_already(&iso),
                )
                .router(&iso.router);
            }
            Ok(None) => {}
            Err(e) => return self.ticket_failure(&e, cx),
        }
        let secret = match self.existing(name).await {
            Ok(Ok(s)) => s,
            Ok(Err(answer)) => return answer,
            Err(e) => return failure(&e),
        };
        let router = secret.at.router.clone();
        let settings = &self.config.isolir;
        let before = fields(&secret);
        let on_router_already = match settings.method {
            IsolirMethod::Profile => secret.profile == settings.profile,
            IsolirMethod::Disable => secret.disabled,
        };
        if on_router_already {
            return Answer::with(
                Outcome::Skipped,
                "the router shows the subscriber isolated already, not by the bot; nothing changed",
                self.renderer
                    .isolated_on_router(&secret.name, settings.method, &settings.profile),
            )
            .router(&router);
        }
        if settings.method == IsolirMethod::Profile {
            match self.router.profiles().await {
                Ok(profiles) if profiles.iter().any(|p| p.name == settings.profile) => {}
                Ok(_) => {
                    return Answer::with(
                        Outcome::Failed,
                        format!(
                            "the router has no profile {:?}; nothing changed",
                            settings.profile
                        ),
                        self.renderer.isolir_profile_missing(&settings.profile),
                    )
                    .router(&router);
                }
                Err(e) => return failure(&e).router(&router),
            }
        }
        let after = match settings.method {
            IsolirMethod::Profile => SecretFields {
                profile: settings.profile.clone(),
                disabled: before.disabled,
                comment: Some(self.isolir_comment(reason, before.comment.as_deref(), cx)),
            },
            IsolirMethod::Disable => SecretFields {
                disabled: true,
                ..before.clone()
            },
        };
        // A static IP goes into the address list, unless someone put it there already (then
        // it is theirs, and `buka` must not take it out).
        let list = match secret.remote_address {
            Some(ip) => match self
                .router
                .in_address_list(&router, &settings.address_list, ip)
                .await
            {
                Ok(true) => None,
                Ok(false) => Some((settings.address_list.clone(), ip)),
                Err(e) => return failure(&e).router(&router),
            },
            None => None,
        };
        let record = Isolation {
            username: secret.name.clone(),
            router: router.clone(),
            since: cx.now,
            by: entry.name.clone(),
            reason: reason.map(str::to_owned),
            method: settings.method,
            before: before.clone(),
            after: after.clone(),
            address_list: list.clone(),
        };
        // The snapshot first: whatever happens next, `buka` knows what to put back.
        if let Err(e) = self.tickets.isolate(&record).await {
            return self.ticket_failure(&e, cx).router(&router);
        }
        let details = snapshot(&record);
        let (mut done, mut failed) = self.change_fields(&secret, &before, &after).await;
        if failed.is_none()
            && let Some((name, ip)) = &list
        {
            let comment = format!("isolir {}", secret.name);
            match self
                .router
                .add_to_address_list(&router, name, *ip, &comment)
                .await
            {
                Ok(()) => done.push(IsolirPart::AddressList),
                Err(e) => failed = Some((IsolirPart::AddressList, e)),
            }
        }
        if let Some((part, error)) = failed {
            return self
                .isolate_failed(&secret, &record, &done, part, &error, cx)
                .await
                .details(details);
        }
        let (kick, kick_error) = self.kick_after_change(&secret.name, cx.message_id).await;
        if let Some(answer) = self
            .read_back(name, &secret, &after, list.as_ref(), kind, cx)
            .await
        {
            return answer.router(&router).details(details);
        }
        let mut answer = Answer::ok(self.renderer.isolated(&record, kick, cx.now))
            .router(&router)
            .details(details);
        answer.error = kick_error.map(|e| format!("isolated; {e}"));
        answer
    }

    /// Changes the secret's fields from `from` to `to`, one acknowledged step at a time:
    /// the parts done, and the step that failed (the later ones are not sent).
    async fn change_fields(
        &self,
        secret: &Secret,
        from: &SecretFields,
        to: &SecretFields,
    ) -> (Vec<IsolirPart>, Option<(IsolirPart, RouterError)>) {
        let mut done = Vec::new();
        for step in steps(from, to) {
            if let Err(e) = self
                .router
                .update_secret(&secret.at, &step.value.change())
                .await
            {
                return (done, Some((step.part, e)));
            }
            done.push(step.part);
        }
        (done, None)
    }

    /// `ISOLIR dd/mm/yyyy alasan - old comment`, within a comment's length.
    fn isolir_comment(&self, reason: Option<&str>, old: Option<&str>, cx: &Cx<'_>) -> String {
        let mut text = format!("ISOLIR {}", self.renderer.date(cx.now));
        if let Some(reason) = reason {
            text.push(' ');
            text.push_str(reason);
        }
        if let Some(old) = old {
            text.push_str(" - ");
            text.push_str(old);
        }
        let cleaned = CustomerInfo::parse(&text)
            .ok()
            .flatten()
            .map_or(text.clone(), |c| c.as_str().to_owned());
        cleaned.chars().take(CustomerInfo::MAX_LEN).collect()
    }

    /// A step of `isolir` failed: undo the steps done (unless the failed step's effect is
    /// unknown), and say exactly what the router holds now.
    async fn isolate_failed(
        &self,
        secret: &Secret,
        record: &Isolation,
        done: &[IsolirPart],
        part: IsolirPart,
        error: &RouterError,
        cx: &Cx<'_>,
    ) -> Answer {
        let router = &record.router;
        if error.is_unconfirmed() {
            // The snapshot stays: `buka` puts back whatever was changed.
            return Answer::with(
                Outcome::Unknown,
                format!(
                    "{}: {} changed; {} unknown: {error}; the snapshot is kept for buka",
                    if done.is_empty() {
                        "unknown"
                    } else {
                        "partly done"
                    },
                    parts(done),
                    part.as_str()
                ),
                self.renderer.isolate_unknown(&secret.name, done, part),
            )
            .router(router);
        }
        let mut left: Vec<IsolirPart> = Vec::new();
        for &undo in done.iter().rev() {
            let result = match undo {
                IsolirPart::AddressList => match &record.address_list {
                    Some((list, ip)) => self
                        .router
                        .remove_from_address_list(router, list, *ip)
                        .await
                        .map(drop),
                    None => Ok(()),
                },
                _ => {
                    let back = steps(&record.after, &record.before)
                        .into_iter()
                        .find(|s| s.part == undo);
                    match back {
                        Some(step) => {
                            self.router
                                .update_secret(&secret.at, &step.value.change())
                                .await
                        }
                        None => Ok(()),
                    }
                }
            };
            if let Err(e) = result {
                tracing::error!(user = %secret.name, part = undo.as_str(), error = %e, "undoing a step of a failed isolir failed");
                left.push(undo);
            }
        }
        if left.is_empty() {
            if let Err(e) = self.tickets.end_isolation(&secret.name, cx.now).await {
                tracing::error!(user = %secret.name, error = %e, "the snapshot of an undone isolir was not closed");
            }
            Answer::with(
                Outcome::Failed,
                format!(
                    "not isolated: {} refused: {error}; undone: {}",
                    part.as_str(),
                    parts(done)
                ),
                self.renderer
                    .isolate_failed(&secret.name, part, &error.to_string(), done, &[]),
            )
            .router(router)
        } else {
            Answer::with(
                Outcome::Failed,
                format!(
                    "partly done: {} refused: {error}; undoing failed, so possibly still changed: {}; the snapshot is kept for buka",
                    part.as_str(),
                    parts(&left)
                ),
                self.renderer
                    .isolate_failed(&secret.name, part, &error.to_string(), done, &left),
            )
            .router(router)
        }
    }

    /// Reads the secret (and the address list) back after a change: `None` when the router
    /// shows what was written, else the answer that says what it shows.
    async fn read_back(
        &self,
        name: &Username,
        secret: &Secret,
        expected: &SecretFields,
        list: Option<&(String, Ipv4Addr)>,
        kind: CommandKind,
        cx: &Cx<'_>,
    ) -> Option<Answer> {
        // `isolir` put the address in the list; `buka` took it out.
        let listed = kind == CommandKind::Isolate;
        let unknown = || {
            let incident = incident_id(cx.message_id);
            self.renderer
                .unknown_result(kind.word(), Some(&secret.name), &incident)
        };
        let found = self.router.find_secret(name).await;
        let in_list = match list {
            Some((l, ip)) => Some(self.router.in_address_list(&secret.at.router, l, *ip).await),
            None => None,
        };
        let mut wrong: Vec<IsolirPart> = Vec::new();
        match found {
            Ok(Some(now)) => {
                wrong.extend(steps(&fields(&now), expected).into_iter().map(|s| s.part))
            }
            Ok(None) => {
                return Some(Answer::with(
                    Outcome::Unknown,
                    "the router acknowledged every change, but the secret is gone on reading it back",
                    self.renderer.not_found(&secret.name),
                ));
            }
            Err(e) => {
                return Some(Answer::with(
                    Outcome::Unknown,
                    format!("the router acknowledged every change; reading it back failed: {e}"),
                    unknown(),
                ));
            }
        }
        match in_list {
            Some(Ok(present)) if present != listed => wrong.push(IsolirPart::AddressList),
            Some(Err(e)) => {
                return Some(Answer::with(
                    Outcome::Unknown,
                    format!(
                        "the router acknowledged every change; reading the address list back failed: {e}"
                    ),
                    unknown(),
                ));
            }
            _ => {}
        }
        if wrong.is_empty() {
            None
        } else {
            Some(Answer::with(
                Outcome::Unknown,
                format!(
                    "the router acknowledged every change, but reading back shows other values for: {} (changed meanwhile?)",
                    parts(&wrong)
                ),
                self.renderer.read_back_differs(&secret.name, &wrong),
            ))
        }
    }

    /// `isolir` alone: the isolated subscribers, oldest first.
    pub(super) async fn isolated(&self, page: u32, cx: &Cx<'_>) -> Answer {
        match self.tickets.isolations(page, self.config.page_size).await {
            Ok(found) => Answer::ok(self.renderer.isolated_list(
                &found.items,
                found.total,
                page,
                self.config.page_size,
            )),
            Err(e) => self.ticket_failure(&e, cx),
        }
    }

    /// `buka USER [catatan]`.
    pub(super) async fn lift(&self, name: &Username, note: Option<&str>, cx: &Cx<'_>) -> Answer {
        let kind = CommandKind::Lift;
        let failure =
            |e: &RouterError| self.router_failure(e, cx.message_id, kind, Some(name.as_str()));
        let record = match self.tickets.isolation(name.as_str()).await {
            Ok(Some(r)) => r,
            Ok(None) => {
                return Answer::invalid(
                    "not isolated by the bot; nothing changed",
                    self.renderer.not_isolated(name.as_str()),
                );
            }
            Err(e) => return self.ticket_failure(&e, cx),
        };
        let router = record.router.clone();
        let secret = match self.existing(name).await {
            Ok(Ok(s)) => s,
            Ok(Err(answer)) => return answer.router(&router),
            Err(e) => return failure(&e).router(&router),
        };
        let now = fields(&secret);
        // Field by field: put back what isolation set and is still there; leave what someone
        // changed since.
        let mut restore = now.clone();
        let mut left: Vec<(IsolirPart, String)> = Vec::new();
        for step in steps(&record.before, &record.after) {
            let (current_is_after, current_is_before, shown) = match step.part {
                IsolirPart::Profile => (
                    now.profile == record.after.profile,
                    now.profile == record.before.profile,
                    now.profile.clone(),
                ),
                IsolirPart::Comment => (
                    now.comment == record.after.comment,
                    now.comment == record.before.comment,
                    now.comment.clone().unwrap_or_else(|| "-".to_owned()),
                ),
                IsolirPart::Disabled => (
                    now.disabled == record.after.disabled,
                    now.disabled == record.before.disabled,
                    if now.disabled { "disabled" } else { "enabled" }.to_owned(),
                ),
                IsolirPart::AddressList => (false, true, String::new()),
            };
            if current_is_after {
                match step.part {
                    IsolirPart::Profile => restore.profile = record.before.profile.clone(),
                    IsolirPart::Comment => restore.comment = record.before.comment.clone(),
                    IsolirPart::Disabled => restore.disabled = record.before.disabled,
                    IsolirPart::AddressList => {}
                }
            } else if !current_is_before {
                left.push((step.part, shown));
            }
        }
        let (mut done, mut failed) = self.change_fields(&secret, &now, &restore).await;
        if failed.is_none()
            && let Some((list, ip)) = &record.address_list
        {
            match self
                .router
                .remove_from_address_list(&router, list, *ip)
                .await
            {
                Ok(_) => done.push(IsolirPart::AddressList),
                Err(e) => failed = Some((IsolirPart::AddressList, e)),
            }
        }
        if let Some((part, error)) = failed {
            // The snapshot stays: `buka` again restores the rest.
            let outcome = if error.is_unconfirmed() {
                Outcome::Unknown
            } else {
                Outcome::Failed
            };
            let what = if error.is_unconfirmed() {
                "unknown"
            } else {
                "not restored"
            };
            return Answer::with(
                outcome,
                format!(
                    "{}: restored {}; {} {what}: {error}; still isolated in the bot's records",
                    if done.is_empty() {
                        "not done"
                    } else {
                        "partly done"
                    },
                    parts(&done),
                    part.as_str()
                ),
                self.renderer
                    .lift_failed(&secret.name, &done, part, &error.to_string()),
            )
            .router(&router);
        }
        let (kick, kick_error) = self.kick_after_change(&secret.name, cx.message_id).await;
        if let Some(answer) = self
            .read_back(
                name,
                &secret,
                &restore,
                record.address_list.as_ref(),
                kind,
                cx,
            )
            .await
        {
            return answer.router(&router);
        }
        let mut answer = Answer::ok(self.renderer.lifted(&Lifted {
            username: &secret.name,
            record: &record,
            restored: &done,
            left: &left,
            note,
            kick,
            at: cx.now,
        }))
        .router(&router);
        let mut notes: Vec<String> = Vec::new();
        if let Some(e) = kick_error {
            notes.push(e);
        }
        if !left.is_empty() {
            let what: Vec<String> = left
                .iter()
                .map(|(p, v)| format!("{}={v}", p.as_str()))
                .collect();
            notes.push(format!(
                "left as found (changed while isolated): {}",
                what.join(", ")
            ));
        }
        if let Err(e) = self.tickets.end_isolation(&secret.name, cx.now).await {
            tracing::error!(user = %secret.name, error = %e, "the isolation was lifted on the router but not closed in the bot's records");
            notes.push(format!(
                "restored on the router, but the bot's record is not closed: {e}"
            ));
        }
        if !notes.is_empty() {
            answer.error = Some(format!("lifted; {}", notes.join("; ")));
        }
        answer
    }
}

/// `profile, comment` (or `nothing`).
fn parts(parts: &[IsolirPart]) -> String {
    if parts.is_empty() {
        "nothing".to_owned()
    } else {
        parts
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}
