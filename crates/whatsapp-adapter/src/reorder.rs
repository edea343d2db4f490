//! Two small timed buffers of the event pump, pure and driven by `tokio::time::Instant`.
//!
//! [`Reorder`] puts one sender's messages back in the order sent. whatsapp-rust decrypts frames in
//! order, but spawns a task per stanza before its per-chat mailbox, so two messages that
//! arrive together (the offline backlog after a reconnect) can reach the event bus swapped.
//! Each message waits a short window; a sender's messages leave in order of their timestamp
//! (then arrival), and none leaves while an earlier-stamped message of the same sender is
//! still held. Timestamps have one-second resolution: two messages sent within the same
//! second keep the order whatsapp-rust delivered them in.
//!
//! [`ResendNotices`] decides when to ask a sender to resend a message that could not be
//! decrypted: whatsapp-rust first asks the sender's phone to re-encrypt it (retry receipt), and the
//! message often arrives a moment later; only if it has not arrived after a grace period is
//! the sender asked, once per message.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

#[derive(Debug)]
struct Held<T> {
    key: String,
    sent_at: DateTime<Utc>,
    seq: u64,
    due: Instant,
    item: T,
}

/// Holds messages for a short window and releases each sender's messages in the order sent.
#[derive(Debug)]
pub struct Reorder<T> {
    window: Duration,
    seq: u64,
    held: Vec<Held<T>>,
}

impl<T> Reorder<T> {
    /// A buffer holding each message for `window` (zero: release at once, in arrival order).
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            seq: 0,
            held: Vec::new(),
        }
    }

    /// Holds `item` from sender `key`, sent at `sent_at`, arrived `now`.
    pub fn push(&mut self, key: String, sent_at: DateTime<Utc>, now: Instant, item: T) {
        self.seq += 1;
        self.held.push(Held {
            key,
            sent_at,
            seq: self.seq,
            due: now + self.window,
            item,
        });
    }

    /// The items that may leave at `now`, in the order to hand them on.
    pub fn pop_due(&mut self, now: Instant) -> Vec<T> {
        self.held.sort_by_key(|h| (h.sent_at, h.seq));
        let mut blocked: HashSet<String> = HashSet::new();
        let mut out = Vec::new();
        let mut keep = Vec::with_capacity(self.held.len());
        for h in self.held.drain(..) {
            if h.due <= now && !blocked.contains(&h.key) {
                out.push(h.item);
            } else {
                // Nothing later of this sender may overtake it.
                blocked.insert(h.key.clone());
                keep.push(h);
            }
        }
        self.held = keep;
        out
    }

    /// Everything held, in order (when the stream ends).
    pub fn drain(&mut self) -> Vec<T> {
        self.held.sort_by_key(|h| (h.sent_at, h.seq));
        self.held.drain(..).map(|h| h.item).collect()
    }

    /// When the next item falls due, if any is held.
    pub fn next_due(&self) -> Option<Instant> {
        self.held.iter().map(|h| h.due).min()
    }

    /// How many items are held.
    pub fn len(&self) -> usize {
        self.held.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }
}

/// A message that could not be decrypted and whose sender is to be asked to resend it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResendRequest {
    /// Where to ask.
    pub chat: String,
    /// The message id.
    pub id: String,
}

/// When to ask for a resend (see the module documentation).
#[derive(Debug)]
pub struct ResendNotices {
    grace: Duration,
    waiting: HashMap<String, (String, Instant)>,
    /// Ids already settled (asked, or decrypted after all), newest last, bounded.
    settled: VecDeque<String>,
}

const SETTLED_MEMORY: usize = 4096;

impl ResendNotices {
    /// Asks after `grace` without the message arriving.
    pub fn new(grace: Duration) -> Self {
        Self {
            grace,
            waiting: HashMap::new(),
            settled: VecDeque::new(),
        }
    }

    fn settle(&mut self, id: String) {
        self.settled.push_back(id);
        while self.settled.len() > SETTLED_MEMORY {
            self.settled.pop_front();
        }
    }

    /// Message `id` in `chat` could not be decrypted at `now`. whatsapp-rust reports each failed try;
    /// only the first one starts the grace period.
    pub fn undecryptable(&mut self, chat: String, id: String, now: Instant) {
        if self.waiting.contains_key(&id) || self.settled.contains(&id) {
            return;
        }
        self.waiting.insert(id, (chat, now + self.grace));
    }

    /// Message `id` was decrypted after all: no need to ask.
    pub fn decrypted(&mut self, id: &str) {
        if self.waiting.remove(id).is_some() {
            self.settle(id.to_owned());
        }
    }

    /// The requests due at `now`, each returned once, oldest first.
    pub fn due(&mut self, now: Instant) -> Vec<ResendRequest> {
        let mut due: Vec<(Instant, ResendRequest)> = self
            .waiting
            .iter()
            .filter(|(_, (_, at))| *at <= now)
            .map(|(id, (chat, at))| {
                (
                    *at,
                    ResendRequest {
                        chat: chat.clone(),
                        id: id.clone(),
                    },
                )
            })
            .collect();
        due.sort_by(|a, b| (a.0, &a.1.id).cmp(&(b.0, &b.1.id)));
        for (_, r) in &due {
            self.waiting.remove(&r.id);
            self.settle(r.id.clone());
        }
        due.into_iter().map(|(_, r)| r).collect()
    }

    /// When the next request falls due, if any.
    pub fn next_due(&self) -> Option<Instant> {
        self.waiting.values().map(|(_, at)| *at).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_734_255_000 + s, 0).unwrap()
    }

    const W: Duration = Duration::from_millis(400);

    #[test]
    fn swapped_messages_of_one_sender_are_put_back_in_order() {
        let mut r = Reorder::new(W);
        let now = Instant::now();
        // The second command (sent a second later) reached the bus first.
        r.push("a".into(), t(1), now, "editpppoe x status enable");
        r.push("a".into(), t(0), now, "editpppoe x status disable");
        assert!(r.pop_due(now).is_empty(), "held for the window");
        assert_eq!(r.next_due(), Some(now + W));
        assert_eq!(
            r.pop_due(now + W),
            vec!["editpppoe x status disable", "editpppoe x status enable"]
        );
        assert!(r.is_empty());
    }

    #[test]
    fn a_late_earlier_message_holds_back_its_sender_only() {
        let mut r = Reorder::new(W);
        let t0 = Instant::now();
        r.push("a".into(), t(5), t0, "a-second");
        r.push("b".into(), t(6), t0, "b-first");
        let t1 = t0 + Duration::from_millis(300);
        // An earlier message of `a` arrives late.
        r.push("a".into(), t(4), t1, "a-first");
        // At t0 + W, a-second is due but a-first (not yet due) was sent before it.
        assert_eq!(r.pop_due(t0 + W), vec!["b-first"]);
        assert_eq!(r.len(), 2);
        assert_eq!(r.pop_due(t1 + W), vec!["a-first", "a-second"]);
    }

    #[test]
    fn same_second_keeps_arrival_order_and_zero_window_is_immediate() {
        let mut r = Reorder::new(Duration::ZERO);
        let now = Instant::now();
        r.push("a".into(), t(0), now, 1);
        r.push("a".into(), t(0), now, 2);
        r.push("a".into(), t(0), now, 3);
        assert_eq!(r.pop_due(now), vec![1, 2, 3]);
        r.push("a".into(), t(9), now, 4);
        r.push("a".into(), t(8), now, 5);
        assert_eq!(r.drain(), vec![5, 4]);
        assert_eq!(r.next_due(), None);
    }

    #[test]
    fn resend_is_asked_once_after_the_grace_period() {
        let g = Duration::from_secs(15);
        let mut n = ResendNotices::new(g);
        let t0 = Instant::now();
        n.undecryptable("chat".into(), "m1".into(), t0);
        // whatsapp-rust reports the retry failing too: the period does not restart.
        n.undecryptable("chat".into(), "m1".into(), t0 + Duration::from_secs(5));
        assert!(n.due(t0 + Duration::from_secs(14)).is_empty());
        assert_eq!(n.next_due(), Some(t0 + g));
        assert_eq!(
            n.due(t0 + g),
            vec![ResendRequest {
                chat: "chat".into(),
                id: "m1".into()
            }]
        );
        assert!(n.due(t0 + g * 2).is_empty(), "once");
        n.undecryptable("chat".into(), "m1".into(), t0 + g * 3);
        assert!(
            n.due(t0 + g * 5).is_empty(),
            "not again for a later failed retry"
        );
    }

    #[test]
    fn no_resend_when_the_retry_delivered_it() {
        let g = Duration::from_secs(15);
        let mut n = ResendNotices::new(g);
        let t0 = Instant::now();
        n.undecryptable("chat".into(), "m1".into(), t0);
        n.undecryptable("chat".into(), "m2".into(), t0 + Duration::from_secs(1));
        n.decrypted("m1");
        assert_eq!(
            n.due(t0 + g * 2),
            vec![ResendRequest {
                chat: "chat".into(),
                id: "m2".into()
            }]
        );
        assert_eq!(n.next_due(), None);
    }
}
