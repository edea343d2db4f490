//! The trouble tickets: `lapor` opens one, `tiket` lists or shows them, and `ambil`,
//! `serahkan`, `catatan`, `selesai`, `tutup`, `bukaulang` change one through the state machine
//! of [`crate::ticket`]; `addpppoe ... tiket=` records the new subscriber on its ticket.
//!
//! Each change reads the ticket, asks [`Ticket::apply`] whether the move is allowed, and
//! writes it only if nobody changed the ticket meanwhile. Notices to other people go out after
//! the reply; the reply and the audit row name everyone who was sent one.

use crate::command::CommandKind;
use crate::domain::{PhoneNumber, Role, Username};
use crate::ports::{AuditEvent, AuditSink, Clock, DeliveryAudit, Outcome, Router, RouterError};
use crate::render::{TicketChangeView, TicketScope};
use crate::ticket::{
    Actor, EvidenceOf, NewTicket, TicketAction, TicketError, TicketFilter, TicketId, TicketStore,
    TicketUpdate,
};

use super::answer::{Answer, Notice, incident_id};
use super::{Cx, Engine, TicketQuery};

impl<R: Router, A: AuditSink, C: Clock, T: TicketStore> Engine<R, A, C, T> {
    /// A phone number as replies show it: `Name (digits)` for the allowlist, the digits
    /// otherwise.
    pub(super) fn person(&self, digits: &str) -> String {
        match self
            .config
            .access
            .iter()
            .find(|e| e.phone.as_str() == digits)
        {
            Some(e) => format!("{} ({digits})", e.name),
            None => digits.to_owned(),
        }
    }

    /// The allowlisted numbers with one of `roles`, but not those in `except`.
    pub(super) fn people_with(&self, roles: &[Role], except: &[&str]) -> Vec<PhoneNumber> {
        self.config
            .access
            .iter()
            .filter(|e| roles.contains(&e.role) && !except.contains(&e.phone.as_str()))
            .map(|e| e.phone.clone())
            .collect()
    }

    /// `numbers` without repeats, in order, as [`Notice`]s of `text` about ticket `id`. Each
    /// gets an audit row of its own (command `notify`, message id
    /// `<the command's id>#notify-<number>`) once the messenger knows whether it arrived: the
    /// reply names who was sent one, the rows say who got it.
    fn notices(numbers: Vec<PhoneNumber>, text: &str, id: TicketId, cx: &Cx<'_>) -> Vec<Notice> {
        let mut seen: Vec<PhoneNumber> = Vec::new();
        for n in numbers {
            if !seen.contains(&n) {
                seen.push(n);
            }
        }
        seen.into_iter()
            .map(|to| Notice {
                audit: Some(DeliveryAudit {
                    message_id: format!("{}#notify-{}", cx.message_id, to.as_str()),
                    actor_phone: cx.actor.to_owned(),
                    target: id.to_string(),
                    router: None,
                    arguments: format!("{id} notice to {}", to.as_str()),
                }),
                to,
                text: text.to_owned(),
            })
            .collect()
    }

    /// What a ticket store failure means for the sender: tickets not set up, or an incident.
    pub(super) fn ticket_failure(&self, err: &TicketError, cx: &Cx<'_>) -> Answer {
        match err {
            TicketError::Unavailable => Answer::with(
                Outcome::Failed,
                err.to_string(),
                self.renderer.tickets_unavailable(),
            ),
            TicketError::NotFound(id) => {
                Answer::invalid(err.to_string(), self.renderer.ticket_not_found(*id))
            }
            TicketError::Conflict(id) => Answer::with(
                Outcome::Skipped,
                format!("{err}; not changed"),
                self.renderer.ticket_changed_meanwhile(*id),
            ),
            _ => {
                let incident = incident_id(cx.message_id);
                tracing::error!(%incident, error = %err, "ticket store failed");
                Answer::with(
                    Outcome::Failed,
                    format!("{err} (incident {incident})"),
                    self.renderer.internal_error(&incident, false),
                )
            }
        }
    }

    /// `lapor [USER] KELUHAN...`: the first word is the subscriber if the router has a user of
    /// that name (and more words follow); otherwise the whole text is the complaint.
    pub(super) async fn report(&self, text: &str, cx: &Cx<'_>) -> Result<Answer, RouterError> {
        let kind = CommandKind::Report;
        let (first, rest) = text
            .split_once(char::is_whitespace)
            .map_or((text, ""), |(f, r)| (f, r.trim()));
        let mut username = None;
        let mut complaint = text.to_owned();
        let mut about_first_word = None;
        let first_word = first.trim_end_matches(['.', ',', ':', ';']);
        if let Ok(name) = Username::parse(first_word) {
            match self.router.find_secret(&name).await {
                Ok(Some(secret)) => {
                    username = Some(secret.name.as_str().to_owned());
                    // `lapor USER` alone: a report about the subscriber, no words of its own.
                    complaint = if rest.is_empty() {
                        "-".to_owned()
                    } else {
                        rest.to_owned()
                    };
                }
                // A single word that is no user is the complaint itself: nothing to say.
                Ok(None) if rest.is_empty() => {}
                Ok(None) => about_first_word = Some((first_word, true)),
                Err(e) => {
                    tracing::warn!(error = %e, word = first_word, "lapor: the router could not be asked whether the first word is a user");
                    about_first_word = Some((first_word, false));
                }
            }
        }
        let opened = self
            .tickets
            .open(NewTicket {
                username,
                complaint,
                reporter: cx.actor.to_owned(),
                at: cx.now,
                message_id: cx.message_id.to_owned(),
            })
            .await;
        let ticket = match opened {
            Ok(t) => t,
            Err(e) => return Ok(self.ticket_failure(&e, cx)),
        };
        let person = |d: &str| self.person(d);
        let told = self.people_with(&self.config.tickets.notify, &[cx.actor]);
        let shown: Vec<String> = told.iter().map(|p| self.person(p.as_str())).collect();
        let notice = self.renderer.ticket_new_notice(&ticket, &person);
        let mut answer =
            Answer::ok(
                self.renderer
                    .ticket_opened(&ticket, &person, about_first_word, &shown),
            );
        answer.records = Some((kind, ticket.id.to_string()));
        answer.notices = Self::notices(told, &notice, ticket.id, cx);
        Ok(answer)
    }

    /// `tiket ...`: a page of tickets, or one ticket with its history and its subscriber's
    /// status now.
    pub(super) async fn show_tickets(
        &self,
        view: &TicketQuery,
        page: u32,
        cx: &Cx<'_>,
    ) -> Result<Answer, RouterError> {
        let person = |d: &str| self.person(d);
        let (filter, scope) = match view {
            TicketQuery::One(id) => return Ok(self.show_ticket(*id, cx).await),
            TicketQuery::Active => (TicketFilter::Active, TicketScope::Active),
            TicketQuery::Mine => (
                TicketFilter::AssignedTo(cx.actor.to_owned()),
                TicketScope::Mine,
            ),
            TicketQuery::All => (TicketFilter::All, TicketScope::All),
            TicketQuery::Subscriber(u) => (
                TicketFilter::Subscriber(u.as_str().to_owned()),
                TicketScope::Subscriber(u.as_str()),
            ),
        };
        let size = self.config.page_size;
        Ok(match self.tickets.list(&filter, page, size).await {
            Ok(p) => Answer::ok(
                self.renderer
                    .ticket_list(scope, &p.items, p.total, page, size, &person),
            ),
            Err(e) => self.ticket_failure(&e, cx),
        })
    }

    async fn show_ticket(&self, id: TicketId, cx: &Cx<'_>) -> Answer {
        let (ticket, events) = match self.tickets.get(id).await {
            Ok(Some(found)) => found,
            Ok(None) => return self.ticket_failure(&TicketError::NotFound(id), cx),
            Err(e) => return self.ticket_failure(&e, cx),
        };
        let status = match ticket.username.as_deref().map(Username::parse) {
            Some(Ok(name)) => Some(match self.status_now(&name, cx.now).await {
                Ok(text) => Ok(text),
                Err(e) => Err(e.to_string()),
            }),
            _ => None,
        };
        let evidence = match self.tickets.evidence(&EvidenceOf::Ticket(id)).await {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(ticket = %id, error = %e, "the ticket's evidence could not be read");
                Vec::new()
            }
        };
        let person = |d: &str| self.person(d);
        let mut answer = Answer::ok(
            self.renderer
                .ticket_detail(&ticket, &events, &evidence, &person, status),
        );
        answer.records = Some((CommandKind::Tickets, id.to_string()));
        answer
    }

    /// A change to a ticket, through the state machine.
    pub(super) async fn change_ticket(
        &self,
        id: TicketId,
        action: &TicketAction,
        cx: &Cx<'_>,
    ) -> Answer {
        let mut answer = self.change_ticket_inner(id, action, cx).await;
        answer.records = Some((action.command(), id.to_string()));
        answer
    }

    async fn change_ticket_inner(
        &self,
        id: TicketId,
        action: &TicketAction,
        cx: &Cx<'_>,
    ) -> Answer {
        let ticket = match self.tickets.get(id).await {
            Ok(Some((t, _))) => t,
            Ok(None) => return self.ticket_failure(&TicketError::NotFound(id), cx),
            Err(e) => return self.ticket_failure(&e, cx),
        };
        let person = |d: &str| self.person(d);
        let actor = Actor {
            phone: cx.actor,
            role: cx.role,
        };
        let (next, mut event) = match ticket.apply(action, actor, cx.now) {
            Ok(applied) => applied,
            Err(refusal) => {
                return Answer::invalid(
                    format!("{id}: {refusal}"),
                    self.renderer.ticket_refused(id, &refusal, &person),
                );
            }
        };
        event.message_id = Some(cx.message_id.to_owned());
        let written = match self
            .tickets
            .update(TicketUpdate {
                ticket: next,
                event: event.clone(),
            })
            .await
        {
            Ok(t) => t,
            Err(e) => return self.ticket_failure(&e, cx),
        };
        let me = cx.actor;
        let told: Option<Vec<PhoneNumber>> = match action {
            TicketAction::Assign(to) => Some(
                PhoneNumber::international(to)
                    .ok()
                    .filter(|p| p.as_str() != me)
                    .into_iter()
                    .collect(),
            ),
            TicketAction::Resolve(_) => {
                // The reporter, the technician who held it (when an admin resolves it for
                // them), and the admins.
                let mut people: Vec<PhoneNumber> =
                    [Some(&ticket.reporter), ticket.assignee.as_ref()]
                        .into_iter()
                        .flatten()
                        .filter_map(|d| PhoneNumber::international(d).ok())
                        .filter(|p| p.as_str() != me)
                        .collect();
                people.extend(self.people_with(&[Role::Admin], &[me]));
                Some(people)
            }
            TicketAction::Reopen(_) => {
                let mut people: Vec<PhoneNumber> = ticket
                    .assignee
                    .as_deref()
                    .and_then(|a| PhoneNumber::international(a).ok())
                    .filter(|p| p.as_str() != me)
                    .into_iter()
                    .collect();
                people.extend(self.people_with(&self.config.tickets.notify, &[me]));
                Some(people)
            }
            _ => None,
        };
        let view = |notified| TicketChangeView {
            ticket: &written,
            event: &event,
            person: &person,
            notified,
        };
        let customer = match action {
            TicketAction::Resolve(note) => self.resolved_customer_notice(&written, note, cx).await,
            _ => None,
        };
        let mut answer = match told {
            Some(people) => {
                let notice = self.renderer.ticket_change_notice(&view(None));
                let notices = Self::notices(people, &notice, id, cx);
                let mut shown: Vec<String> =
                    notices.iter().map(|n| self.person(n.to.as_str())).collect();
                // The customer too, when told (a message of its own, audited as `notify`).
                shown.extend(
                    customer
                        .iter()
                        .map(|c| self.renderer.customer_label(c.to.as_str())),
                );
                let mut answer = Answer::ok(self.renderer.ticket_changed(&view(Some(shown))));
                answer.notices = notices;
                answer
            }
            None => Answer::ok(self.renderer.ticket_changed(&view(None))),
        };
        answer.notices.extend(customer);
        answer
    }

    /// Checks, before `addpppoe ... tiket=` touches the router, that the ticket exists and
    /// can take an installation; the answer to give otherwise.
    pub(super) async fn installation_ticket(
        &self,
        id: TicketId,
        username: &str,
        cx: &Cx<'_>,
    ) -> Result<(), Answer> {
        let ticket = match self.tickets.get(id).await {
            Ok(Some((t, _))) => t,
            Ok(None) => return Err(self.ticket_failure(&TicketError::NotFound(id), cx)),
            Err(e) => return Err(self.ticket_failure(&e, cx)),
        };
        let actor = Actor {
            phone: cx.actor,
            role: cx.role,
        };
        match ticket.apply(&TicketAction::Install(username.to_owned()), actor, cx.now) {
            Ok(_) => Ok(()),
            Err(refusal) => Err(Answer::invalid(
                format!("{id}: {refusal}"),
                self.renderer
                    .ticket_refused(id, &refusal, &|d: &str| self.person(d)),
            )),
        }
    }

    /// After a successful `addpppoe ... tiket=`: records the subscriber on its ticket, and says
    /// in the reply (and the audit row, if it failed) what became of it. The user exists on
    /// the router either way.
    pub(super) async fn record_installation(
        &self,
        id: TicketId,
        username: &str,
        cx: &Cx<'_>,
        answer: &mut Answer,
    ) {
        let actor = Actor {
            phone: cx.actor,
            role: cx.role,
        };
        let result = async {
            let (ticket, _) = self
                .tickets
                .get(id)
                .await?
                .ok_or(TicketError::NotFound(id))?;
            let (next, mut event) = ticket
                .apply(&TicketAction::Install(username.to_owned()), actor, cx.now)
                .map_err(|r| TicketError::Store(r.to_string()))?;
            event.message_id = Some(cx.message_id.to_owned());
            self.tickets
                .update(TicketUpdate {
                    ticket: next,
                    event,
                })
                .await
        }
        .await;
        let line = match &result {
            Ok(_) => self.renderer.ticket_install_line(id, Ok(username)),
            Err(e) => {
                tracing::error!(ticket = %id, user = username, error = %e, "the new user was not recorded on its ticket");
                answer.error = Some(format!("user created; ticket {id} not updated: {e}"));
                self.renderer.ticket_install_line(id, Err(&e.to_string()))
            }
        };
        if let Some(reply) = &mut answer.reply {
            reply.push_str(&line);
        }
    }

    /// Closes the tickets resolved longer ago than `[tickets] close_after`, each with an
    /// event and an audit row of its own. Call it now and then (the bot does, hourly).
    /// Returns how many it closed.
    pub async fn close_resolved_tickets(&self) -> Result<usize, TicketError> {
        let Some(after) = self.config.tickets.close_after else {
            return Ok(0);
        };
        let now = self.clock.now();
        let Ok(after) = chrono::Duration::from_std(after) else {
            return Ok(0);
        };
        let days = u64::try_from(after.num_days()).unwrap_or(0);
        let mut closed = 0;
        for ticket in self.tickets.resolved_before(now - after).await? {
            let bot = Actor {
                phone: "",
                role: Role::Admin,
            };
            let Ok((next, mut event)) = ticket.apply(&TicketAction::Close, bot, now) else {
                continue;
            };
            let message_id = format!("auto-close-{}-v{}", ticket.id, ticket.version);
            let text = self.renderer.ticket_auto_closed(ticket.id, days);
            event.actor = None;
            event.text = Some(text.clone());
            event.message_id = Some(message_id.clone());
            match self
                .tickets
                .update(TicketUpdate {
                    ticket: next,
                    event,
                })
                .await
            {
                Ok(_) => {}
                // Changed meanwhile (reopened, closed by an admin): not ours to close.
                Err(TicketError::Conflict(_)) => continue,
                Err(e) => return Err(e),
            }
            closed += 1;
            tracing::info!(ticket = %ticket.id, "resolved ticket closed automatically");
            let row = AuditEvent {
                at: now,
                actor_phone: "bot".to_owned(),
                actor_lid: None,
                role: None,
                command: CommandKind::CloseTicket.word().to_owned(),
                target: Some(ticket.id.to_string()),
                router: None,
                arguments: format!("{} (automatic, resolved {} days ago)", ticket.id, days),
                outcome: Outcome::Ok,
                error: None,
                reason: Some(text),
                duration_ms: 0,
                message_id,
            };
            if let Err(e) = self.audit.append(row).await {
                tracing::error!(ticket = %ticket.id, error = %e, "audit append failed for an automatic close");
            }
        }
        Ok(closed)
    }

    /// What the tickets show of a change that claimed `message_id` on ticket `target` but
    /// has no audit row: whether the ticket has its event. For the start-up's recovery.
    pub(super) async fn ticket_shows(&self, target: &str, message_id: &str) -> String {
        let Ok(id) = target.parse::<TicketId>() else {
            return "no ticket to check".to_owned();
        };
        match self.tickets.get(id).await {
            Ok(Some((ticket, events))) => {
                match events
                    .iter()
                    .find(|e| e.message_id.as_deref() == Some(message_id))
                {
                    Some(e) => format!(
                        "ticket {id} has this change ({} at {}); it is now {}",
                        e.kind.as_str(),
                        e.at.format("%Y-%m-%dT%H:%M:%SZ"),
                        ticket.state.as_str()
                    ),
                    None => format!(
                        "ticket {id} has no change from this message; it is now {}",
                        ticket.state.as_str()
                    ),
                }
            }
            Ok(None) => format!("there is no ticket {id}"),
            Err(e) => format!("the tickets could not be read ({e})"),
        }
    }
}
