//! Online/offline alerts: what a router's session watcher reports ([`SessionEvent`]).
//!
//! A watcher per router (the RouterOS adapter's `watch_sessions`) follows `/ppp/active` and
//! reports name-level changes: a name's first session starting ([`SessionEvent::Up`]), its
//! last session ending ([`SessionEvent::Down`]), and, after every (re)connect or poll, the
//! whole set of names online ([`SessionEvent::Snapshot`]), which a consumer diffs against
//! what it knew: changes missed while the watcher was away are found there.

/// One change a router's session watcher reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEvent {
    /// Every name with at least one session on `router` now (after a connect, a re-sync or
    /// a poll). Names the consumer thought online and that are missing here went offline.
    Snapshot {
        /// The router's name in the configuration.
        router: String,
        /// The names online, each once.
        online: Vec<String>,
    },
    /// `user` had no session on `router` and now has one.
    Up {
        /// The router's name in the configuration.
        router: String,
        /// The secret's name.
        user: String,
    },
    /// `user`'s last session on `router` ended.
    Down {
        /// The router's name in the configuration.
        router: String,
        /// The secret's name.
        user: String,
    },
    /// The watcher lost `router` (connection closed, refused, timed out): changes are not
    /// known until the next [`Snapshot`](Self::Snapshot).
    Lost {
        /// The router's name in the configuration.
        router: String,
        /// Why, for the log.
        why: String,
    },
}

impl SessionEvent {
    /// The router the event is about.
    pub fn router(&self) -> &str {
        match self {
            Self::Snapshot { router, .. }
            | Self::Up { router, .. }
            | Self::Down { router, .. }
            | Self::Lost { router, .. } => router,
        }
    }
}
