//! The circuit breaker on the connection: a client that fails its connection over and over
//! (stream errors, refused connects, drops) and reconnects at once each time looks like abuse
//! to WhatsApp, which is how numbers get banned. More than [`MAX_FAILURES`] failures within
//! [`WINDOW`] stop the client for a while: [`FIRST_PAUSE`], doubled at each trip that follows,
//! at most [`MAX_PAUSE`]. A connection that then stays up for [`STABLE`] starts the series
//! again. Pure: the caller passes the time.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use whatsapp_adapter::breaker::{Breaker, FIRST_PAUSE};
//!
//! let mut b = Breaker::new();
//! let t0 = Instant::now();
//! for i in 0..5 {
//!     assert_eq!(b.failure(t0 + Duration::from_secs(i)), None);
//! }
//! assert_eq!(b.failure(t0 + Duration::from_secs(5)), Some(FIRST_PAUSE));
//! ```

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Failures tolerated within [`WINDOW`]; one more trips the breaker.
pub const MAX_FAILURES: usize = 5;
/// The window failures are counted in.
pub const WINDOW: Duration = Duration::from_secs(60);
/// The pause after the first trip.
pub const FIRST_PAUSE: Duration = Duration::from_secs(30);
/// The longest pause.
pub const MAX_PAUSE: Duration = Duration::from_secs(300);
/// A connection up this long resets the pauses to [`FIRST_PAUSE`].
pub const STABLE: Duration = Duration::from_secs(600);

/// Counts connection failures and decides when to pause.
#[derive(Debug, Default)]
pub struct Breaker {
    failures: VecDeque<Instant>,
    trips: u32,
    connected_at: Option<Instant>,
}

impl Breaker {
    /// No failure yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The connection came up at `now`.
    pub fn connected(&mut self, now: Instant) {
        self.connected_at = Some(now);
    }

    /// A connection failure at `now`; `Some(pause)` when the client must stop for `pause`.
    pub fn failure(&mut self, now: Instant) -> Option<Duration> {
        if let Some(up) = self.connected_at.take()
            && now.saturating_duration_since(up) >= STABLE
        {
            self.trips = 0;
            self.failures.clear();
        }
        while self
            .failures
            .front()
            .is_some_and(|&at| now.saturating_duration_since(at) >= WINDOW)
        {
            self.failures.pop_front();
        }
        self.failures.push_back(now);
        if self.failures.len() <= MAX_FAILURES {
            return None;
        }
        self.failures.clear();
        let pause = FIRST_PAUSE
            .saturating_mul(1 << self.trips.min(16))
            .min(MAX_PAUSE);
        self.trips = self.trips.saturating_add(1);
        Some(pause)
    }

    /// How many failures count now (those within [`WINDOW`] of the last one).
    pub fn recent(&self) -> usize {
        self.failures.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trip(b: &mut Breaker, from: Instant) -> Option<Duration> {
        (0..=MAX_FAILURES as u64)
            .map(|i| b.failure(from + Duration::from_secs(i)))
            .last()
            .flatten()
    }

    #[test]
    fn five_failures_a_minute_are_tolerated_the_sixth_trips() {
        let mut b = Breaker::new();
        let t0 = Instant::now();
        for i in 0..5 {
            assert_eq!(b.failure(t0 + Duration::from_secs(i * 10)), None);
        }
        assert_eq!(b.failure(t0 + Duration::from_secs(59)), Some(FIRST_PAUSE));
        assert_eq!(b.recent(), 0, "the count starts again after a trip");
    }

    #[test]
    fn failures_spread_over_more_than_a_minute_never_trip() {
        let mut b = Breaker::new();
        let t0 = Instant::now();
        for i in 0..100 {
            assert_eq!(b.failure(t0 + Duration::from_secs(i * 13)), None);
        }
    }

    #[test]
    fn pauses_double_up_to_five_minutes() {
        let mut b = Breaker::new();
        let t0 = Instant::now();
        let pauses: Vec<u64> = (0..6)
            .map(|n| {
                trip(&mut b, t0 + Duration::from_secs(n * 1000))
                    .unwrap()
                    .as_secs()
            })
            .collect();
        assert_eq!(pauses, [30, 60, 120, 240, 300, 300]);
    }

    #[test]
    fn a_stable_connection_starts_the_pauses_again() {
        let mut b = Breaker::new();
        let t0 = Instant::now();
        assert_eq!(trip(&mut b, t0), Some(FIRST_PAUSE));
        assert_eq!(
            trip(&mut b, t0 + Duration::from_secs(100)),
            Some(FIRST_PAUSE * 2)
        );
        // Up for a while, but not long enough.
        b.connected(t0 + Duration::from_secs(200));
        assert_eq!(
            trip(&mut b, t0 + Duration::from_secs(300)),
            Some(FIRST_PAUSE * 4)
        );
        b.connected(t0 + Duration::from_secs(400));
        let later = t0 + Duration::from_secs(400) + STABLE;
        assert_eq!(trip(&mut b, later), Some(FIRST_PAUSE));
    }
}
