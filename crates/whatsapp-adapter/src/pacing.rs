//! Outgoing pace: at most one message per second per chat, at most N per minute in all, each
//! delayed by a random jitter, and never two at once.
//!
//! [`Pacer::reserve`] hands out send times in the order it is called (first come, first
//! served, across chats), so that the schedule is monotonic: each slot is at or after the
//! previous one, one chat's slots are at least `per_chat_interval` apart, and no 60 s window
//! holds more than `per_minute` slots. [`Pacer::wait`] sleeps until the slot. Time is
//! `tokio::time`, so tests run it under `tokio::time::pause()` without real sleeps; the jitter
//! comes from a seeded generator, so they are deterministic.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use pppoe_core::SplitMix64;
use tokio::time::Instant;

use crate::config::PacingConfig;

const WINDOW: Duration = Duration::from_secs(60);

#[derive(Debug)]
struct State {
    config: PacingConfig,
    rng: SplitMix64,
    /// The latest slot handed out.
    last: Option<Instant>,
    /// The latest slot of each chat.
    per_chat: HashMap<String, Instant>,
    /// Slots of the last minute, oldest first.
    recent: VecDeque<Instant>,
}

/// Paces outgoing messages (see the module documentation).
#[derive(Debug)]
pub struct Pacer {
    state: Mutex<State>,
}

impl Pacer {
    /// A pacer with these limits. A `None` seed is taken from the system clock.
    pub fn new(config: PacingConfig) -> Self {
        let seed = config.seed.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0x5EED, |d| d.as_nanos() as u64)
        });
        Self {
            state: Mutex::new(State {
                config,
                rng: SplitMix64::new(seed),
                last: None,
                per_chat: HashMap::new(),
                recent: VecDeque::new(),
            }),
        }
    }

    /// Reserves the next send time for a message to `chat`, with `now` as the current time.
    pub fn reserve(&self, chat: &str, now: Instant) -> Instant {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let State {
            config,
            rng,
            last,
            per_chat,
            recent,
        } = &mut *s;

        // Forget what can no longer constrain a slot at or after `now`.
        while recent.front().is_some_and(|&t| t + WINDOW <= now) {
            recent.pop_front();
        }
        if per_chat.len() > 1024 {
            let interval = config.per_chat_interval;
            per_chat.retain(|_, &mut t| t + interval > now);
        }

        let mut slot = now;
        if let Some(&t) = per_chat.get(chat) {
            slot = slot.max(t + config.per_chat_interval);
        }
        if let Some(t) = *last {
            slot = slot.max(t);
        }
        let cap = config.per_minute.max(1) as usize;
        if recent.len() >= cap {
            // The cap-th newest slot must have left the window.
            slot = slot.max(recent[recent.len() - cap] + WINDOW);
        }
        slot += rng.duration_up_to(config.jitter);

        recent.push_back(slot);
        *last = Some(slot);
        per_chat.insert(chat.to_owned(), slot);
        slot
    }

    /// Waits for the turn of a message to `chat`.
    pub async fn wait(&self, chat: &str) {
        let slot = self.reserve(chat, Instant::now());
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(per_minute: u32, jitter_ms: u64) -> PacingConfig {
        PacingConfig {
            per_chat_interval: Duration::from_secs(1),
            per_minute,
            jitter: Duration::from_millis(jitter_ms),
            seed: Some(42),
        }
    }

    #[test]
    fn jitter_is_bounded_and_seeded() {
        let mut a = SplitMix64::new(7);
        let mut b = SplitMix64::new(7);
        let max = Duration::from_millis(700);
        let xs: Vec<_> = (0..1000).map(|_| a.duration_up_to(max)).collect();
        let ys: Vec<_> = (0..1000).map(|_| b.duration_up_to(max)).collect();
        assert_eq!(xs, ys, "same seed, same jitter");
        assert!(xs.iter().all(|d| *d <= max));
        assert!(xs.iter().any(|d| *d > Duration::from_millis(500)));
        assert!(xs.iter().any(|d| *d < Duration::from_millis(200)));
        assert_eq!(a.duration_up_to(Duration::ZERO), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn one_message_per_second_per_chat() {
        let pacer = Pacer::new(config(1000, 0));
        let start = Instant::now();
        for i in 0..5 {
            pacer.wait("a@s.whatsapp.net").await;
            assert_eq!(Instant::now() - start, Duration::from_secs(i));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn chats_share_one_queue_but_not_the_interval() {
        let pacer = Pacer::new(config(1000, 0));
        let now = Instant::now();
        let a1 = pacer.reserve("a", now);
        let b1 = pacer.reserve("b", now);
        let a2 = pacer.reserve("a", now);
        let b2 = pacer.reserve("b", now);
        assert_eq!(a1, now);
        assert_eq!(b1, now, "another chat need not wait a second");
        assert_eq!(a2, now + Duration::from_secs(1));
        assert_eq!(b2, now + Duration::from_secs(1));
        // Slots never go backwards: a later reservation is never earlier.
        let c = pacer.reserve("c", now);
        assert!(c >= b2);
    }

    #[tokio::test(start_paused = true)]
    async fn global_cap_per_minute() {
        let pacer = Pacer::new(config(20, 0));
        let now = Instant::now();
        let slots: Vec<Instant> = (0..45)
            .map(|i| pacer.reserve(&format!("chat{i}"), now))
            .collect();
        for w in slots.windows(2) {
            assert!(w[0] <= w[1]);
        }
        // Any 60 s window holds at most 20.
        for (i, &t) in slots.iter().enumerate() {
            let in_window = slots[i..].iter().take_while(|&&u| u < t + WINDOW).count();
            assert!(
                in_window <= 20,
                "{in_window} slots in the minute from slot {i}"
            );
        }
        assert_eq!(slots[19], now);
        assert_eq!(slots[20], now + WINDOW);
        assert_eq!(slots[40], now + WINDOW * 2);
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_really_takes_the_time_with_jitter() {
        let pacer = Pacer::new(config(20, 700));
        let start = Instant::now();
        let mut sent = Vec::new();
        for _ in 0..4 {
            pacer.wait("a").await;
            sent.push(Instant::now() - start);
        }
        for w in sent.windows(2) {
            let gap = w[1] - w[0];
            assert!(gap >= Duration::from_secs(1), "{gap:?}");
            assert!(gap <= Duration::from_millis(1700), "{gap:?}");
        }
        assert!(sent[0] <= Duration::from_millis(700));
        // The same seed gives the same schedule.
        let again = Pacer::new(config(20, 700));
        let start2 = Instant::now();
        let mut sent2 = Vec::new();
        for _ in 0..4 {
            again.wait("a").await;
            sent2.push(Instant::now() - start2);
        }
        assert_eq!(sent, sent2);
    }

    #[tokio::test(start_paused = true)]
    async fn idle_time_is_not_saved_up() {
        let pacer = Pacer::new(config(2, 0));
        let t0 = Instant::now();
        pacer.reserve("a", t0);
        pacer.reserve("b", t0);
        // Two minutes later the window is empty again: no waiting.
        let later = t0 + Duration::from_secs(120);
        assert_eq!(pacer.reserve("a", later), later);
        assert_eq!(pacer.reserve("b", later), later);
        assert_eq!(pacer.reserve("c", later), later + WINDOW);
    }
}
