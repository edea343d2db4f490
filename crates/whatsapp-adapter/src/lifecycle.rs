//! Connection lifecycle: which whatsapp-rust events change the state of the link, which end it for
//! good, and what to log. Pure.
//!
//! whatsapp-rust reconnects on its own after a dropped connection (Fibonacci backoff from 1 s,
//! with jitter, at most 15 minutes, as WhatsApp Web does). It stops for good after `LoggedOut`, `StreamReplaced`, a temporary ban, an outdated
//! client, and a connection refusal other than 500/503; those become [`TerminalError`]s.

use std::time::Duration;

use chrono::{DateTime, Utc};
use whatsapp_rust::types::events::{ConnectFailureReason, Event};

use crate::error::TerminalError;

/// What a lifecycle event means for the adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lifecycle {
    /// Connected and logged in.
    Connected,
    /// The connection dropped; whatsapp-rust reconnects with backoff.
    Disconnected,
    /// The offline backlog starts: this many messages were queued while the bot was away.
    OfflineSyncStarted {
        /// Queued messages.
        messages: i32,
    },
    /// The offline backlog is delivered.
    OfflineSyncCompleted {
        /// Items processed.
        count: i32,
    },
    /// A stream error after which whatsapp-rust reconnects.
    StreamError {
        /// WhatsApp's code.
        code: String,
    },
    /// The link ended for good.
    Terminal(TerminalError),
}

fn reason_text(reason: ConnectFailureReason) -> String {
    format!("{} {reason:?}", reason.code())
}

/// The lifecycle meaning of `event` at time `now` (used for a ban's end), or `None` for
/// events that are not about the link (messages, receipts, presence, ...).
pub fn classify(event: &Event, now: DateTime<Utc>) -> Option<Lifecycle> {
    Some(match event {
        Event::Connected(_) => Lifecycle::Connected,
        Event::Disconnected(_) => Lifecycle::Disconnected,
        Event::OfflineSyncPreview(p) => Lifecycle::OfflineSyncStarted {
            messages: p.messages,
        },
        Event::OfflineSyncCompleted(c) => Lifecycle::OfflineSyncCompleted { count: c.count },
        Event::StreamError(e) => Lifecycle::StreamError {
            code: e.code.clone(),
        },
        Event::LoggedOut(l) => Lifecycle::Terminal(TerminalError::LoggedOut {
            reason: reason_text(l.reason),
        }),
        Event::StreamReplaced(_) => Lifecycle::Terminal(TerminalError::StreamReplaced),
        Event::TemporaryBan(ban) => {
            let expires_in = ban.expire.to_std().unwrap_or(Duration::ZERO);
            Lifecycle::Terminal(TerminalError::TemporaryBan {
                reason: ban.code.to_string(),
                expires_in,
                until: now + ban.expire,
            })
        }
        Event::ClientOutdated(_) => Lifecycle::Terminal(TerminalError::ClientOutdated),
        Event::ConnectFailure(f) if !f.reason.should_reconnect() => {
            Lifecycle::Terminal(TerminalError::ConnectFailure {
                code: f.reason.code(),
                message: f
                    .message
                    .clone()
                    .filter(|m| !m.is_empty())
                    .unwrap_or_else(|| format!("{:?}", f.reason)),
            })
        }
        Event::ConnectFailure(f) => Lifecycle::StreamError {
            code: f.reason.code().to_string(),
        },
        // A QR code while running means the session holds no linked device.
        Event::PairingQrCode(_) => Lifecycle::Terminal(TerminalError::NotPaired),
        _ => return None,
    })
}

/// Logs a lifecycle change at a fitting level. the library's own `log` records reach the same
/// subscriber through the binary's `tracing-log` bridge.
pub fn log(change: &Lifecycle) {
    match change {
        Lifecycle::Connected => tracing::info!("WhatsApp connected"),
        Lifecycle::Disconnected => tracing::warn!(
            "WhatsApp connection lost; reconnecting with backoff (2 s more per attempt, at most 30 s)"
        ),
        Lifecycle::OfflineSyncStarted { messages } => tracing::info!(
            messages,
            "offline backlog arriving; changes older than max_message_age are skipped and the sender told"
        ),
        Lifecycle::OfflineSyncCompleted { count } => {
            tracing::info!(count, "offline backlog delivered")
        }
        Lifecycle::StreamError { code } => {
            tracing::warn!(code = %code, "WhatsApp stream error; reconnecting")
        }
        Lifecycle::Terminal(e @ TerminalError::TemporaryBan { until, .. }) => {
            tracing::error!(until = %until, "{e}")
        }
        Lifecycle::Terminal(e) => tracing::error!("{e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use whatsapp_rust::types::events::{
        ClientOutdated, ConnectFailure, Connected, Disconnected, LoggedOut, OfflineSyncCompleted,
        OfflineSyncPreview, PairingQrCode, StreamReplaced, TempBanReason, TemporaryBan,
    };
    use whatsapp_rust::wacore::net::DisconnectReason;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_734_255_025, 0).unwrap()
    }

    #[test]
    fn link_states() {
        assert_eq!(
            classify(&Event::Connected(Connected::builder().build()), now()),
            Some(Lifecycle::Connected)
        );
        assert_eq!(
            classify(
                &Event::Disconnected(
                    Disconnected::builder()
                        .reason(DisconnectReason::StreamEnded)
                        .build()
                ),
                now()
            ),
            Some(Lifecycle::Disconnected)
        );
        let preview = OfflineSyncPreview::builder()
            .total(9)
            .app_data_changes(0)
            .messages(5)
            .notifications(2)
            .receipts(2)
            .calls(0)
            .statuses(0)
            .build();
        assert_eq!(
            classify(&Event::OfflineSyncPreview(preview), now()),
            Some(Lifecycle::OfflineSyncStarted { messages: 5 })
        );
        assert_eq!(
            classify(
                &Event::OfflineSyncCompleted(OfflineSyncCompleted::builder().count(9).build()),
                now()
            ),
            Some(Lifecycle::OfflineSyncCompleted { count: 9 })
        );
    }

    #[test]
    fn logged_out_is_terminal_and_says_pair_again() {
        let ev = Event::LoggedOut(
            LoggedOut::builder()
                .on_connect(true)
                .reason(ConnectFailureReason::LoggedOut)
                .build(),
        );
        let Some(Lifecycle::Terminal(e)) = classify(&ev, now()) else {
            panic!()
        };
        assert!(matches!(e, TerminalError::LoggedOut { .. }));
        let text = e.to_string();
        assert!(text.contains("run `pppoe-bot pair` again"), "{text}");
        assert!(text.contains("401"), "{text}");
    }

    #[test]
    fn stream_replaced_is_terminal_and_names_the_rule() {
        let Some(Lifecycle::Terminal(e)) = classify(
            &Event::StreamReplaced(StreamReplaced::builder().build()),
            now(),
        ) else {
            panic!()
        };
        assert_eq!(e, TerminalError::StreamReplaced);
        assert!(e.to_string().contains("one process per session file"));
    }

    #[test]
    fn temporary_ban_carries_its_expiry() {
        let ev = Event::TemporaryBan(
            TemporaryBan::builder()
                .code(TempBanReason::SentTooManySameMessage)
                .expire(chrono::Duration::hours(2))
                .build(),
        );
        let Some(Lifecycle::Terminal(e)) = classify(&ev, now()) else {
            panic!()
        };
        let TerminalError::TemporaryBan {
            expires_in, until, ..
        } = &e
        else {
            panic!("{e:?}")
        };
        assert_eq!(*expires_in, Duration::from_secs(7200));
        assert_eq!(*until, now() + chrono::Duration::hours(2));
        let text = e.to_string();
        assert!(text.contains("104"), "{text}");
        assert!(text.contains("2h 0m"), "{text}");
    }

    #[test]
    fn refusals_the_library_does_not_retry_are_terminal() {
        assert_eq!(
            classify(
                &Event::ClientOutdated(ClientOutdated::builder().build()),
                now()
            ),
            Some(Lifecycle::Terminal(TerminalError::ClientOutdated))
        );
        let refused = Event::ConnectFailure(
            ConnectFailure::builder()
                .reason(ConnectFailureReason::BadUserAgent)
                .build(),
        );
        assert!(matches!(
            classify(&refused, now()),
            Some(Lifecycle::Terminal(TerminalError::ConnectFailure {
                code: 409,
                ..
            }))
        ));
        let retried = Event::ConnectFailure(
            ConnectFailure::builder()
                .reason(ConnectFailureReason::ServiceUnavailable)
                .build(),
        );
        assert_eq!(
            classify(&retried, now()),
            Some(Lifecycle::StreamError { code: "503".into() })
        );
        let qr = Event::PairingQrCode(
            PairingQrCode::builder()
                .code("x".into())
                .timeout(Duration::from_secs(20))
                .build(),
        );
        assert_eq!(
            classify(&qr, now()),
            Some(Lifecycle::Terminal(TerminalError::NotPaired))
        );
    }
}
