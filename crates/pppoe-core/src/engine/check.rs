//! `checkpppoe USER`: the secret, its live session and traffic, its package's speed.

use crate::domain::Username;
use crate::ports::{AuditSink, Clock, Router, RouterError};
use crate::render::StatusView;

use super::answer::Answer;
use super::{Cx, Engine};

impl<R: Router, A: AuditSink, C: Clock> Engine<R, A, C> {
    pub(super) async fn check(&self, name: &Username, cx: &Cx<'_>) -> Result<Answer, RouterError> {
        let secret = match self.existing(name).await? {
            Ok(s) => s,
            Err(answer) => return Ok(answer),
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
        Ok(Answer::ok(self.renderer.status(&view, cx.now)).router(&secret.at.router))
    }
}
