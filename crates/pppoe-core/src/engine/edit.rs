//! `editpppoe USER FIELD VALUE`: one field of a secret; a disable also drops the session, and a
//! static IP is checked before and read back after the write.

use crate::command::CommandKind;
use crate::domain::Username;
use crate::ports::{AuditSink, Clock, Outcome, Router, RouterError, SecretChange};
use crate::render::SessionKick;

use super::answer::Answer;
use super::support::IP_GATE;
use super::{Cx, Engine, NewValue};
use crate::ticket::TicketStore;

impl<R: Router, A: AuditSink, C: Clock, T: TicketStore> Engine<R, A, C, T> {
    pub(super) async fn edit(
        &self,
        name: &Username,
        value: &NewValue,
        cx: &Cx<'_>,
    ) -> Result<Answer, RouterError> {
        let kind = CommandKind::Edit;
        let change = value.change();
        let new_ip = value.static_ip();
        // The check, the write and the read-back of a static IP run one at a time.
        let _ip_turn = match new_ip {
            Some(_) => Some(self.ip_gate.ticket(IP_GATE).await),
            None => None,
        };
        let secret = match self.existing(name).await? {
            Ok(s) => s,
            Err(answer) => return Ok(answer),
        };
        if let Some(ip) = new_ip
            && let Err(answer) = self.ip_free(kind, ip, &secret.name).await?
        {
            return Ok(answer);
        }
        match self.router.update_secret(&secret.at, &change).await {
            Ok(()) => {}
            Err(RouterError::UnknownProfile) => {
                let SecretChange::Profile(p) = &change else {
                    return Err(RouterError::UnknownProfile);
                };
                return Ok(Answer::with(
                    Outcome::Failed,
                    format!("router has no profile {p:?}"),
                    self.renderer.router_profile_missing(p),
                )
                .router(&secret.at.router));
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
        let mut done = Answer::ok(self.renderer.edited(&secret.name, value, kick, cx.now))
            .router(&secret.at.router);
        done.error = kick_error.map(|e| format!("disabled; {e}"));
        Ok(match new_ip {
            Some(ip) => {
                let previous = SecretChange::RemoteAddress(secret.remote_address);
                self.verify_ip(kind, cx, ip, &secret.name, done, || {
                    self.router.update_secret(&secret.at, &previous)
                })
                .await
            }
            None => done,
        })
    }
}
