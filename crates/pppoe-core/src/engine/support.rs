//! What several commands share: answering a router failure, looking a subscriber up, the
//! static-IP rules (check, read back, undo), and dropping a session after a change.

use std::net::Ipv4Addr;

use crate::command::CommandKind;
use crate::domain::Username;
use crate::ports::{AuditSink, Clock, IpUser, Outcome, Router, RouterError, Secret};
use crate::render::SessionKick;

use super::answer::{Answer, incident_id};
use super::{Cx, Engine};
use crate::ticket::TicketStore;

/// The key of the static-IP gate: one queue for every IP change of the engine (IPs are unique
/// across all routers behind it).
pub(super) const IP_GATE: &str = "static-ip";

/// The username of an address's user.
pub(super) fn user_name(user: &IpUser) -> &str {
    match user {
        IpUser::Secret(n) | IpUser::Active(n) => n,
    }
}

impl<R: Router, A: AuditSink, C: Clock, T: TicketStore> Engine<R, A, C, T> {
    /// The answer when a router call failed before the command's change was made (or, for
    /// [`RouterError::Unconfirmed`], when it is unknown whether it was).
    pub(super) fn router_failure(
        &self,
        err: &RouterError,
        message_id: &str,
        kind: CommandKind,
        target: Option<&str>,
    ) -> Answer {
        let incident = incident_id(message_id);
        let logged = || format!("{err} (incident {incident})");
        match err {
            RouterError::AlreadyExists | RouterError::NotFound => Answer::invalid(
                err.to_string(),
                self.renderer.router_refused(&err.to_string()),
            ),
            RouterError::InvalidValue(text) | RouterError::Rejected(text) => Answer::with(
                Outcome::Failed,
                err.to_string(),
                self.renderer.router_refused(text),
            ),
            RouterError::UnknownProfile => Answer::with(
                Outcome::Failed,
                err.to_string(),
                self.renderer.router_refused(&err.to_string()),
            ),
            RouterError::Unconfirmed(_) => {
                tracing::error!(%incident, command = %kind, user = ?target, error = %err, "a change was sent but the router did not confirm it; its result is unknown");
                let shown = format!("{} {}", kind.word(), target.unwrap_or_default());
                Answer::with(
                    Outcome::Unknown,
                    logged(),
                    self.renderer
                        .unknown_result(shown.trim(), target, &incident),
                )
            }
            RouterError::LoginRefused(_) => {
                tracing::error!(%incident, error = %err, "the router refused the bot's login: check the router user and password in the config");
                Answer::with(
                    Outcome::Failed,
                    logged(),
                    self.renderer.router_login_refused(&incident),
                )
            }
            RouterError::Certificate(_) => {
                tracing::error!(%incident, error = %err, "the router's TLS certificate is not the configured one");
                Answer::with(
                    Outcome::Failed,
                    logged(),
                    self.renderer.router_certificate(&incident),
                )
            }
            RouterError::Busy(_) => {
                tracing::warn!(%incident, error = %err, "router connection busy; command not sent");
                Answer::with(Outcome::Failed, logged(), self.renderer.router_busy())
            }
            RouterError::Unreachable(_) | RouterError::Timeout => {
                tracing::error!(%incident, error = %err, "router failure");
                Answer::with(
                    Outcome::Failed,
                    logged(),
                    self.renderer.internal_error(&incident, true),
                )
            }
        }
    }

    /// Looks the secret up, or answers "not found" (an answer, not an error).
    pub(super) async fn existing(
        &self,
        username: &Username,
    ) -> Result<Result<Secret, Answer>, RouterError> {
        Ok(match self.router.find_secret(username).await? {
            Some(s) => Ok(s),
            None => Err(Answer::invalid(
                "no such user",
                self.renderer.not_found(username.as_str()),
            )),
        })
    }

    /// Checks that no other secret or session uses `ip`.
    pub(super) async fn ip_free(
        &self,
        kind: CommandKind,
        ip: Ipv4Addr,
        owner: &str,
    ) -> Result<Result<(), Answer>, RouterError> {
        Ok(match self.ip_taken_by(ip, owner).await? {
            Some(user) => Err(Answer::invalid(
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
    pub(super) async fn verify_ip<F, Fut>(
        &self,
        kind: CommandKind,
        cx: &Cx<'_>,
        ip: Ipv4Addr,
        owner: &str,
        done: Answer,
        undo: F,
    ) -> Answer
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(), RouterError>>,
    {
        let router = done.router.clone().unwrap_or_default();
        let other = match self.ip_taken_by(ip, owner).await {
            Ok(None) => return done,
            Ok(Some(other)) => other,
            Err(e) => {
                let incident = incident_id(cx.message_id);
                tracing::warn!(%incident, %ip, user = owner, error = %e, "the static IP could not be read back after the change");
                let mut done = done;
                if let Some(reply) = &mut done.reply {
                    reply.push_str(&self.renderer.ip_not_verified(ip));
                }
                done.error = Some(format!(
                    "ip {ip} not read back after the change: {e} (incident {incident})"
                ));
                return done;
            }
        };
        let who = user_name(&other).to_owned();
        tracing::warn!(%ip, user = owner, other = %who, "static IP conflict seen after the change; undoing it");
        match undo().await {
            Ok(()) => Answer::invalid(
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
                Answer::with(
                    outcome,
                    format!(
                        "ip: {ip} is also used by {who} (seen after the change); undoing the change failed: {e} (incident {incident})"
                    ),
                    self.renderer
                        .ip_conflict_after_write(kind, ip, &other, owner, false),
                )
                .router(&router)
            }
        }
    }

    /// Disconnects the sessions of a user whose change needs it (delete, disable). The change
    /// itself is made already, so a failure here is reported beside it, never instead of it.
    pub(super) async fn kick_after_change(
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
}
