//! `checkpppoe USER`: the secret, its live session and traffic, its package's speed.

use crate::domain::Username;
use chrono::{DateTime, Utc};

use crate::ports::{AuditSink, Clock, Router, RouterError, Secret};
use crate::render::StatusView;

use super::answer::Answer;
use super::{Cx, Engine};
use crate::ticket::{EvidenceOf, TicketStore};

impl<R: Router, A: AuditSink, C: Clock, T: TicketStore> Engine<R, A, C, T> {
    pub(super) async fn check(&self, name: &Username, cx: &Cx<'_>) -> Result<Answer, RouterError> {
        let secret = match self.existing(name).await? {
            Ok(s) => s,
            Err(answer) => return Ok(answer),
        };
        let text = self.status_text(&secret, cx.now).await?;
        Ok(Answer::ok(text).router(&secret.at.router))
    }

    /// The `checkpppoe` text of `name` now, or the "not found" reply if the router has no such
    /// user (a ticket's live snapshot).
    pub(super) async fn status_now(
        &self,
        name: &Username,
        now: DateTime<Utc>,
    ) -> Result<String, RouterError> {
        match self.router.find_secret(name).await? {
            Some(secret) => self.status_text(&secret, now).await,
            None => Ok(self.renderer.not_found(name.as_str())),
        }
    }

    /// The secret, its live session and traffic, its package's speed.
    async fn status_text(
        &self,
        secret: &Secret,
        now: DateTime<Utc>,
    ) -> Result<String, RouterError> {
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
        // The latest location kept for this subscriber, but none from before the bot created
        // it: a deleted subscriber's location is not a new one's of the same name.
        let name = secret.name.as_str().to_owned();
        let created = self
            .audit
            .created_at(std::slice::from_ref(&name))
            .await
            .ok()
            .and_then(|c| c.get(&name).copied());
        let location = self
            .tickets
            .evidence(&EvidenceOf::Subscriber(name))
            .await
            .ok()
            .and_then(|e| {
                e.iter()
                    .rev()
                    .filter(|e| created.is_none_or(|c| e.at >= c))
                    .find_map(|e| e.location)
            });
        let view = StatusView {
            location,
            secret,
            profile: self.config.profiles.by_router_profile(&secret.profile),
            session: session.as_ref(),
            traffic,
        };
        let mut text = self.renderer.status(&view, now);
        // Isolated by the bot: since when and why (none when the bot has no records).
        if let Ok(Some(iso)) = self.tickets.isolation(&secret.name).await {
            text.push_str(&self.renderer.isolation_line(&iso));
        }
        Ok(text)
    }
}
