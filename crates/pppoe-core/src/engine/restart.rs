//! `restartpppoe USER`: drop the active session so that the ONU logs in again.

use crate::domain::Username;
use crate::ports::{AuditSink, Clock, Outcome, Router, RouterError};

use super::answer::Answer;
use super::{Cx, Engine};
use crate::ticket::TicketStore;

impl<R: Router, A: AuditSink, C: Clock, T: TicketStore> Engine<R, A, C, T> {
    pub(super) async fn restart(
        &self,
        name: &Username,
        cx: &Cx<'_>,
    ) -> Result<Answer, RouterError> {
        let router = match self.existing(name).await? {
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
            Answer::with(
                Outcome::Skipped,
                "not connected",
                self.renderer.not_connected(name.as_str()),
            )
            .router(&router)
        } else {
            Answer::ok(self.renderer.restarted(name.as_str(), cx.now)).router(&router)
        })
    }
}
