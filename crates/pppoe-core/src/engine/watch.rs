//! Online/offline alerts: `pantau USER`, `pantau`, `stop pantau USER`, and the alerts the
//! router's session watcher raises ([`Engine::session_event`], [`Engine::alert_tick`]): each
//! is rendered, addressed (the subscriber's watchers, and with `[alerts] all` the `notify`
//! roles) and audited once (command `alert`, actor `bot`).

use chrono::{DateTime, Utc};

use crate::alerts::{Raised, SessionEvent};
use crate::domain::{PhoneNumber, Username};
use crate::ports::{
    AuditEvent, AuditSink, Clock, Outcome, Outgoing, Router, RouterError, phone_chat,
};
use crate::ticket::TicketStore;

use super::answer::Answer;
use super::{Cx, Engine};

impl<R: Router, A: AuditSink, C: Clock, T: TicketStore> Engine<R, A, C, T> {
    /// `pantau USER` (watch it), `pantau` (the sender's watches).
    pub(super) async fn watch(
        &self,
        name: Option<&Username>,
        cx: &Cx<'_>,
    ) -> Result<Answer, RouterError> {
        if cx.phone.is_none() {
            return Ok(Answer::invalid(
                "a watch needs a phone number to send to",
                self.renderer.watch_needs_phone(),
            ));
        }
        let Some(name) = name else {
            let list = self.tracker().watched_by(cx.actor, cx.now);
            return Ok(Answer::ok(self.renderer.watches(&list)));
        };
        let secret = match self.existing(name).await? {
            Ok(s) => s,
            Err(answer) => return Ok(answer),
        };
        let session = self.router.active_session(&secret.name).await?;
        let online = session.map(|s| {
            s.uptime
                .and_then(|u| chrono::Duration::from_std(u).ok())
                .map_or(cx.now, |u| cx.now - u)
        });
        let router = secret.at.router.clone();
        let (until, synced) = {
            let mut tracker = self.tracker();
            let until = tracker.watch(secret.name.as_str(), cx.actor, cx.now);
            (until, tracker.is_synced(&router))
        };
        let text = self.renderer.watching(
            secret.name.as_str(),
            Some(online),
            until,
            self.config.alerts.offline_after,
            (!synced).then_some(router.as_str()),
        );
        Ok(Answer::ok(text).router(&router))
    }

    /// `stop pantau USER`.
    pub(super) fn unwatch(&self, name: &Username, cx: &Cx<'_>) -> Answer {
        let stopped = self.tracker().unwatch(name.as_str(), cx.actor);
        let text = self.renderer.unwatched(name.as_str(), stopped);
        if stopped {
            Answer::ok(text)
        } else {
            Answer::new(Outcome::Skipped, Some(text)).error("was not watching")
        }
    }

    /// Takes what a router's session watcher reported; returns the alerts it raises at once
    /// (a subscriber watched with `pantau` connected, back online after an offline alert, a
    /// flapping summary, a mass drop), each audited. Send them with the messenger.
    pub async fn session_event(&self, event: &SessionEvent) -> Vec<Outgoing> {
        let now = self.clock.now();
        if let SessionEvent::Lost { router, why } = event {
            tracing::debug!(%router, %why, "session watcher lost the router; alerts wait for its next report");
        }
        let raised = self.tracker().observe(event, now);
        self.raise(raised, now).await
    }

    /// The alerts due by time alone (offline for `[alerts] offline_after_secs`, the summary at
    /// the end of the quiet hours), each audited. Call it every few seconds.
    pub async fn alert_tick(&self) -> Vec<Outgoing> {
        let now = self.clock.now();
        let raised = self.tracker().tick(now);
        self.raise(raised, now).await
    }

    fn tracker(&self) -> std::sync::MutexGuard<'_, crate::alerts::AlertTracker> {
        self.alerts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Renders, addresses and audits each alert.
    async fn raise(&self, raised: Vec<Raised>, now: DateTime<Utc>) -> Vec<Outgoing> {
        let mut out = Vec::new();
        for r in raised {
            let mut to: Vec<PhoneNumber> = r
                .watchers
                .iter()
                .filter_map(|a| PhoneNumber::international(a).ok())
                .collect();
            if r.broadcast {
                for p in self.people_with(&self.config.alerts.notify, &[]) {
                    if !to.contains(&p) {
                        to.push(p);
                    }
                }
            }
            if to.is_empty() {
                continue;
            }
            let text = self.renderer.alert(&r.alert, now);
            let seq = {
                let mut state = self.lock();
                state.alerts_raised += 1;
                state.alerts_raised
            };
            let told: Vec<&str> = to.iter().map(PhoneNumber::as_str).collect();
            let row = AuditEvent {
                at: now,
                actor_phone: "bot".to_owned(),
                actor_lid: None,
                role: None,
                command: "alert".to_owned(),
                target: r.alert.user().map(str::to_owned),
                router: r.alert.router().map(str::to_owned),
                arguments: format!("{} [notified {}]", r.alert.kind(), told.join(", ")),
                outcome: Outcome::Ok,
                error: None,
                reason: None,
                duration_ms: 0,
                message_id: format!("alert-{}-{seq}", now.timestamp_micros()),
            };
            if let Err(e) = self.audit.append(row).await {
                tracing::error!(error = %e, alert = r.alert.kind(), "audit append failed for an alert");
            }
            tracing::info!(alert = r.alert.kind(), user = ?r.alert.user(), router = ?r.alert.router(), recipients = to.len(), "alert raised");
            out.extend(to.iter().map(|p| Outgoing {
                chat: phone_chat(p),
                text: text.clone(),
                quoting: None,
                audit: None,
            }));
        }
        out
    }
}
