//! Did WhatsApp's server take each reply? Pure bookkeeping, no clock of its own.
//!
//! A send resolves as soon as the stanza is written; the server's verdict comes later, as an
//! `ack` with the message's id, and an error code in it (`463`, `479`, `400`, ...) means the
//! message was not delivered. The ack can also come *before* the send returns (it is read on
//! another task): such an early ack is kept for a while and settles the reply when it is
//! recorded, so that a delivered reply is never sent twice. [`Deliveries`] keeps every reply until its ack: a refused or
//! unacknowledged reply (after [`ACK_WAIT`]) is sent once more, and a second miss is a
//! delivery failure, logged and counted. The command's audit row is not changed by it: the
//! router did what the row says; only the reply did not reach the chat.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use whatsapp_adapter::delivery::{Deliveries, Verdict, ACK_WAIT};
//!
//! let mut d = Deliveries::new();
//! let t0 = Instant::now();
//! d.sent("3EB0A1", "6281234567890@s.whatsapp.net", "✅ done", t0);
//! // The server refused it: send it once more.
//! assert!(matches!(d.acked("3EB0A1", Some("479"), t0), Some(Verdict::Retry(_))));
//! d.resent("3EB0B2", "6281234567890@s.whatsapp.net", "✅ done", t0);
//! // No ack for the second try either: a failure.
//! let overdue = d.overdue(t0 + ACK_WAIT);
//! assert!(matches!(overdue.as_slice(), [Verdict::Failed(_)]));
//! assert_eq!(d.stats().failed, 1);
//! ```

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long a reply may wait for the server's ack before it counts as lost.
pub const ACK_WAIT: Duration = Duration::from_secs(60);

/// A reply waiting for its ack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The message id it went out under.
    pub id: String,
    /// The chat it went to.
    pub chat: String,
    /// Its text (kept for the one retry).
    pub text: String,
    /// Why it is in doubt: the server's error code, or `None` when no ack came in time.
    pub error: Option<String>,
    /// The id of the command it quotes, so that the retry quotes it too (`None`: unquoted).
    pub quoting: Option<String>,
    sent_at: Instant,
    retried: bool,
}

/// What to do about a reply whose fate is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The server took it.
    Delivered,
    /// Refused or not acknowledged: send it once more.
    Retry(Pending),
    /// Refused or not acknowledged twice: give up, log and count.
    Failed(Pending),
}

/// Counters of reply delivery since the start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryStats {
    /// Replies the server acknowledged.
    pub delivered: u64,
    /// Replies sent a second time.
    pub retried: u64,
    /// Replies that did not get through after the retry.
    pub failed: u64,
}

/// Acks of ids that were no pending reply, kept this long (replies whose send has not
/// returned yet; most are acks of other stanzas).
const EARLY_KEEP: Duration = ACK_WAIT;
/// At most this many early acks are kept.
const EARLY_MAX: usize = 4096;

/// Replies waiting for the server's ack, by message id.
#[derive(Debug, Default)]
pub struct Deliveries {
    pending: HashMap<String, Pending>,
    /// Acks that came before their reply was recorded: id, error, when.
    early: HashMap<String, (Option<String>, Instant)>,
    stats: DeliveryStats,
}

impl Deliveries {
    /// Nothing pending.
    pub fn new() -> Self {
        Self::default()
    }

    /// A reply went out under `id` at `now`. `Some` when its ack came already.
    pub fn sent(&mut self, id: &str, chat: &str, text: &str, now: Instant) -> Option<Verdict> {
        self.sent_quoting(id, chat, text, None, now)
    }

    /// [`sent`](Self::sent), for a reply that quotes message `quoting` (kept for its retry).
    pub fn sent_quoting(
        &mut self,
        id: &str,
        chat: &str,
        text: &str,
        quoting: Option<&str>,
        now: Instant,
    ) -> Option<Verdict> {
        self.insert(id, chat, text, quoting, now, false)
    }

    /// The retry of a reply went out under `id` at `now`. `Some` when its ack came already.
    pub fn resent(&mut self, id: &str, chat: &str, text: &str, now: Instant) -> Option<Verdict> {
        self.stats.retried += 1;
        self.insert(id, chat, text, None, now, true)
    }

    fn insert(
        &mut self,
        id: &str,
        chat: &str,
        text: &str,
        quoting: Option<&str>,
        now: Instant,
        retried: bool,
    ) -> Option<Verdict> {
        self.pending.insert(
            id.to_owned(),
            Pending {
                id: id.to_owned(),
                chat: chat.to_owned(),
                text: text.to_owned(),
                error: None,
                quoting: quoting.map(str::to_owned),
                sent_at: now,
                retried,
            },
        );
        let (error, _) = self.early.remove(id)?;
        self.acked(id, error.as_deref(), now)
    }

    /// The server acknowledged `id` at `now`, with an error code if it refused it. `None` for
    /// an id that is not a pending reply: the ack of another stanza (receipts, chat states),
    /// or of a reply whose send has not returned yet, which is kept a while for it.
    pub fn acked(&mut self, id: &str, error: Option<&str>, now: Instant) -> Option<Verdict> {
        let Some(mut pending) = self.pending.remove(id) else {
            self.early
                .retain(|_, (_, at)| now.saturating_duration_since(*at) < EARLY_KEEP);
            if self.early.len() < EARLY_MAX {
                self.early
                    .insert(id.to_owned(), (error.map(str::to_owned), now));
            }
            return None;
        };
        Some(match error {
            None => {
                self.stats.delivered += 1;
                Verdict::Delivered
            }
            Some(code) => {
                pending.error = Some(code.to_owned());
                self.judge(pending)
            }
        })
    }

    /// The replies whose ack has not come within [`ACK_WAIT`] by `now`.
    pub fn overdue(&mut self, now: Instant) -> Vec<Verdict> {
        let late: Vec<String> = self
            .pending
            .iter()
            .filter(|(_, p)| now >= p.sent_at + ACK_WAIT)
            .map(|(id, _)| id.clone())
            .collect();
        let mut verdicts = Vec::with_capacity(late.len());
        for id in late {
            if let Some(p) = self.pending.remove(&id) {
                verdicts.push((p.sent_at, self.judge(p)));
            }
        }
        verdicts.sort_by_key(|(at, _)| *at);
        verdicts.into_iter().map(|(_, v)| v).collect()
    }

    fn judge(&mut self, pending: Pending) -> Verdict {
        if pending.retried {
            self.stats.failed += 1;
            Verdict::Failed(pending)
        } else {
            Verdict::Retry(pending)
        }
    }

    /// A retry could not even be sent: a failure.
    pub fn give_up(&mut self) {
        self.stats.failed += 1;
    }

    /// When the oldest pending reply runs out of time.
    pub fn next_due(&self) -> Option<Instant> {
        self.pending.values().map(|p| p.sent_at + ACK_WAIT).min()
    }

    /// The counters.
    pub fn stats(&self) -> DeliveryStats {
        self.stats
    }

    /// How many replies wait for their ack.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHAT: &str = "6281234567890@s.whatsapp.net";

    #[test]
    fn an_acknowledged_reply_is_delivered_and_forgotten() {
        let mut d = Deliveries::new();
        let t0 = Instant::now();
        assert_eq!(d.sent("A", CHAT, "x", t0), None);
        assert_eq!(d.next_due(), Some(t0 + ACK_WAIT));
        assert_eq!(d.acked("A", None, t0), Some(Verdict::Delivered));
        assert_eq!(d.acked("A", None, t0), None, "once");
        assert!(d.overdue(t0 + ACK_WAIT * 2).is_empty());
        assert_eq!(
            d.stats(),
            DeliveryStats {
                delivered: 1,
                retried: 0,
                failed: 0
            }
        );
    }

    #[test]
    fn acks_of_other_stanzas_are_not_replies() {
        let mut d = Deliveries::new();
        let t0 = Instant::now();
        assert_eq!(d.acked("RECEIPT-1", Some("400"), t0), None);
        assert_eq!(d.stats(), DeliveryStats::default());
        // Kept a minute only, in case a reply with that id is recorded.
        assert_eq!(d.acked("RECEIPT-2", None, t0 + ACK_WAIT), None);
        assert_eq!(d.sent("RECEIPT-1", CHAT, "x", t0 + ACK_WAIT), None);
    }

    /// The ack can be read before the send returns: the reply is settled when recorded, and
    /// never retried.
    #[test]
    fn an_ack_that_comes_before_the_send_returns_settles_the_reply() {
        let mut d = Deliveries::new();
        let t0 = Instant::now();
        assert_eq!(d.acked("A", None, t0), None);
        assert_eq!(d.sent("A", CHAT, "x", t0), Some(Verdict::Delivered));
        assert!(d.overdue(t0 + ACK_WAIT * 2).is_empty(), "never retried");
        assert_eq!(d.acked("B", Some("463"), t0), None);
        assert!(matches!(d.sent("B", CHAT, "y", t0), Some(Verdict::Retry(p)) if p.text == "y"));
        assert_eq!(d.stats().delivered, 1);
    }

    #[test]
    fn a_refused_reply_is_retried_once_then_failed() {
        let mut d = Deliveries::new();
        let t0 = Instant::now();
        d.sent("A", CHAT, "x", t0);
        let Some(Verdict::Retry(p)) = d.acked("A", Some("463"), t0) else {
            panic!()
        };
        assert_eq!((p.chat.as_str(), p.text.as_str()), (CHAT, "x"));
        assert_eq!(p.error.as_deref(), Some("463"));
        d.resent("B", &p.chat, &p.text, t0);
        let Some(Verdict::Failed(p)) = d.acked("B", Some("463"), t0) else {
            panic!()
        };
        assert_eq!(p.error.as_deref(), Some("463"));
        assert_eq!(d.stats().retried, 1);
        assert_eq!(d.stats().failed, 1);
        assert_eq!(d.pending(), 0);
    }

    #[test]
    fn a_reply_without_ack_is_retried_after_the_wait_and_failed_after_the_second() {
        let mut d = Deliveries::new();
        let t0 = Instant::now();
        d.sent("A", CHAT, "first", t0);
        d.sent("B", CHAT, "second", t0 + Duration::from_secs(1));
        assert!(
            d.overdue(t0 + ACK_WAIT - Duration::from_millis(1))
                .is_empty()
        );
        let due = d.overdue(t0 + ACK_WAIT);
        assert!(
            matches!(due.as_slice(), [Verdict::Retry(p)] if p.text == "first" && p.error.is_none())
        );
        d.resent("A2", CHAT, "first", t0 + ACK_WAIT);
        // The second arrives late but arrives: delivered.
        assert_eq!(d.acked("B", None, t0), Some(Verdict::Delivered));
        let due = d.overdue(t0 + ACK_WAIT * 2);
        assert!(matches!(due.as_slice(), [Verdict::Failed(p)] if p.text == "first"));
        assert_eq!(d.next_due(), None);
        assert_eq!(
            d.stats(),
            DeliveryStats {
                delivered: 1,
                retried: 1,
                failed: 1
            }
        );
    }
}
