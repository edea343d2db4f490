//! `delpppoe USER [REASON...]` and `ya CODE`: the confirmation (by reason, or by code in the
//! stricter mode), then the delete and the dropped session, each step reported.

use chrono::DateTime;
use chrono::Utc;

use crate::command::CommandKind;
use crate::domain::Username;
use crate::ports::{AuditSink, Clock, Outcome, Router, RouterError, Secret};
use crate::render::Summary;

use super::answer::Answer;
use super::{CONFIRMATION_TTL, Cx, DeleteConfirmation, Engine, PendingDelete};
use crate::ticket::{TicketError, TicketStore};

impl<R: Router, A: AuditSink, C: Clock, T: TicketStore> Engine<R, A, C, T> {
    pub(super) async fn delete(
        &self,
        name: &Username,
        reason: Option<&str>,
        cx: &Cx<'_>,
    ) -> Result<Answer, RouterError> {
        let secret = match self.existing(name).await? {
            Ok(s) => s,
            Err(answer) => return Ok(answer),
        };
        let profile = self.config.profiles.by_router_profile(&secret.profile);
        let online = || async {
            Ok::<_, RouterError>(self.router.active_session(&secret.name).await?.is_some())
        };
        let Some(reason) = reason else {
            let summary = Summary {
                secret: &secret,
                profile,
                online: online().await?,
            };
            return Ok(Answer::with(
                Outcome::Skipped,
                "waiting for confirmation: resend with a reason",
                self.renderer.delete_confirmation(&summary),
            )
            .router(&secret.at.router));
        };
        match self.config.delete_confirmation {
            DeleteConfirmation::Reason => {
                Ok(self.remove(&secret, reason, cx.message_id, cx.now).await)
            }
            DeleteConfirmation::Code => {
                let summary = Summary {
                    secret: &secret,
                    profile,
                    online: online().await?,
                };
                let code = confirmation_code(cx.message_id, cx.actor, cx.now);
                let expires =
                    cx.now + chrono::Duration::from_std(CONFIRMATION_TTL).unwrap_or_default();
                self.lock().pending.insert(
                    cx.actor.to_owned(),
                    PendingDelete {
                        code: code.clone(),
                        username: name.clone(),
                        at: secret.at.clone(),
                        reason: reason.to_owned(),
                        expires,
                    },
                );
                Ok(Answer::with(
                    Outcome::Skipped,
                    "waiting for the confirmation code",
                    self.renderer
                        .delete_code(&summary, reason, &code, CONFIRMATION_TTL),
                )
                .router(&secret.at.router)
                .reason(reason))
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
    ) -> Answer {
        let router = &secret.at.router;
        if let Err(e) = self.router.remove_secret(&secret.at).await {
            return self
                .router_failure(&e, message_id, CommandKind::Delete, Some(&secret.name))
                .router(router)
                .reason(reason);
        }
        let (kick, kick_error) = self.kick_after_change(&secret.name, message_id).await;
        let mut done = Answer::ok(self.renderer.deleted(&secret.name, reason, kick, now))
            .router(router)
            .reason(reason);
        done.error = kick_error.map(|e| format!("deleted; {e}"));
        // The customer's number goes with the subscriber: a later subscriber of the same name
        // is someone else, and must not get this customer's messages.
        match self.tickets.forget_customer(&secret.name).await {
            Ok(()) | Err(TicketError::Unavailable) => {}
            Err(e) => {
                tracing::error!(user = %secret.name, error = %e, "the deleted subscriber's customer number was not forgotten");
                let note = format!("customer number not forgotten: {e}");
                done.error = Some(match done.error.take() {
                    Some(first) => format!("{first}; {note}"),
                    None => format!("deleted; {note}"),
                });
            }
        }
        done
    }

    /// `ya CODE`: the delete waiting for this code from this sender, if it has not expired
    /// and the secret is still the one summarized.
    pub(super) async fn confirm(&self, code: &str, cx: &Cx<'_>) -> Result<Answer, RouterError> {
        let pending = {
            let mut state = self.lock();
            match state.pending.get(cx.actor) {
                Some(p) if p.code == code && p.expires > cx.now => state.pending.remove(cx.actor),
                Some(p) if p.expires <= cx.now => {
                    state.pending.remove(cx.actor);
                    None
                }
                _ => None,
            }
        };
        let Some(pending) = pending else {
            return Ok(Answer::invalid(
                "no pending delete for this code",
                self.renderer.bad_code(code),
            ));
        };
        let username = pending.username.as_str();
        let mut answer = match self.router.find_secret(&pending.username).await {
            Ok(Some(secret)) if secret.at == pending.at => {
                self.remove(&secret, &pending.reason, cx.message_id, cx.now)
                    .await
            }
            Ok(_) => Answer::invalid("no such user", self.renderer.not_found(username)),
            Err(e) => self.router_failure(&e, cx.message_id, CommandKind::Delete, Some(username)),
        };
        answer.reason = Some(pending.reason.clone());
        answer.records = Some((CommandKind::Delete, username.to_owned()));
        Ok(answer)
    }
}

/// A four-digit code for `ya CODE`.
fn confirmation_code(message_id: &str, phone: &str, now: DateTime<Utc>) -> String {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut h = DefaultHasher::new();
    (message_id, phone, now.timestamp_nanos_opt()).hash(&mut h);
    format!("{:04}", 1000 + h.finish() % 9000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_four_digits() {
        let c = confirmation_code("m1", "6281234567890", DateTime::UNIX_EPOCH);
        assert_eq!(c.len(), 4);
        assert!(c.bytes().all(|b| b.is_ascii_digit()));
    }
}
