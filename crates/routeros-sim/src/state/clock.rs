//! The simulated clock: it runs with `tokio::time` (so a paused test clock applies) from a
//! fixed start, unless a test freezes or moves it.

use routeros_api::value;

/// The simulated clock starts here: 2025-06-01 08:00:00.
pub(crate) const DEFAULT_EPOCH: i64 = value::days_from_civil(2025, 6, 1) * 86_400 + 8 * 3600;
/// How long the simulated router has been up when the clock starts.
pub(crate) const BOOT_UPTIME: i64 = 12 * 86_400 + 5 * 3600 + 17 * 60;

#[derive(Debug)]
pub(crate) struct Clock {
    base: i64,
    started: tokio::time::Instant,
    frozen: Option<i64>,
}

impl Clock {
    pub(crate) fn new() -> Self {
        Self {
            base: DEFAULT_EPOCH,
            started: tokio::time::Instant::now(),
            frozen: None,
        }
    }

    /// Seconds since the Unix epoch.
    pub(crate) fn now(&self) -> i64 {
        self.frozen.unwrap_or_else(|| {
            let elapsed = i64::try_from(self.started.elapsed().as_secs()).unwrap_or(i64::MAX);
            self.base.saturating_add(elapsed)
        })
    }

    pub(crate) fn set(&mut self, epoch_secs: i64) {
        if self.frozen.is_some() {
            self.frozen = Some(epoch_secs);
        } else {
            self.base = epoch_secs;
            self.started = tokio::time::Instant::now();
        }
    }

    pub(crate) fn freeze(&mut self) {
        self.frozen = Some(self.now());
    }

    pub(crate) fn advance(&mut self, secs: i64) {
        match &mut self.frozen {
            Some(at) => *at = at.saturating_add(secs),
            None => self.base = self.base.saturating_add(secs),
        }
    }
}
