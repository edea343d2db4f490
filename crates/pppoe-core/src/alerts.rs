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

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use chrono::{DateTime, NaiveTime, Utc};
use chrono_tz::Tz;

/// When and to whom alerts are sent (`[alerts]` in the configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertSettings {
    /// Whether the `notify` roles get alerts for every subscriber (default off: only the
    /// subscribers someone watches with `pantau`).
    pub all: bool,
    /// Who gets the alerts for every subscriber (default: admins).
    pub notify: Vec<crate::Role>,
    /// An offline alert only after this long without a new session (default 300 s).
    pub offline_after: Duration,
    /// A subscriber that drops this many times ... (default 4)
    pub flap_count: usize,
    /// ... within this window gets one summary instead of an alert per drop (default 10 min).
    pub flap_window: Duration,
    /// A drop of more than this many subscribers of one router ... (default 10)
    pub mass_count: usize,
    /// ... or of more than this share of its sessions, in per cent (default 20; at least
    /// [`MASS_MIN`] subscribers) ...
    pub mass_percent: u32,
    /// ... within this window is one message (default 2 min).
    pub mass_window: Duration,
    /// Local hours in which alerts for every subscriber are held back (watched subscribers
    /// and mass drops still go out); a summary of those still offline follows at the end.
    pub quiet_hours: Option<QuietHours>,
    /// How long a `pantau` lasts (default 24 h).
    pub watch_for: Duration,
}

/// The fewest subscribers the share rule of a mass drop counts (2 of 3 is not an outage).
pub const MASS_MIN: usize = 5;

impl Default for AlertSettings {
    fn default() -> Self {
        Self {
            all: false,
            notify: vec![crate::Role::Admin],
            offline_after: Duration::from_secs(300),
            flap_count: 4,
            flap_window: Duration::from_secs(600),
            mass_count: 10,
            mass_percent: 20,
            mass_window: Duration::from_secs(120),
            quiet_hours: None,
            watch_for: Duration::from_secs(24 * 3600),
        }
    }
}

/// Local hours without alerts for every subscriber, e.g. 22:00 to 06:00 (across midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    /// From this local time ...
    pub start: NaiveTime,
    /// ... to this one (excluded).
    pub end: NaiveTime,
}

impl QuietHours {
    /// Whether the local time `t` lies in the quiet hours.
    pub fn contains(&self, t: NaiveTime) -> bool {
        if self.start <= self.end {
            self.start <= t && t < self.end
        } else {
            t >= self.start || t < self.end
        }
    }

    /// Parses `22:00-06:00`.
    pub fn parse(text: &str) -> Option<Self> {
        let (a, b) = text.split_once('-')?;
        let time = |s: &str| NaiveTime::parse_from_str(s.trim(), "%H:%M").ok();
        let (start, end) = (time(a)?, time(b)?);
        (start != end).then_some(Self { start, end })
    }
}

/// What an alert says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Alert {
    /// `user` has had no session since `since` (for at least `offline_after`).
    Offline {
        /// Router.
        router: String,
        /// Secret name.
        user: String,
        /// When its last session ended.
        since: DateTime<Utc>,
    },
    /// `user` is online again, after an offline alert.
    Online {
        /// Router.
        router: String,
        /// Secret name.
        user: String,
        /// How long it was offline.
        after: Duration,
    },
    /// A watched `user` connected (`pantau`).
    Connected {
        /// Router.
        router: String,
        /// Secret name.
        user: String,
    },
    /// `user` dropped `drops` times within `window`: one summary, then quiet until it is
    /// stable for `window`.
    Flapping {
        /// Router.
        router: String,
        /// Secret name.
        user: String,
        /// Drops counted.
        drops: usize,
        /// Within this window.
        window: Duration,
    },
    /// `count` subscribers of `router` (of `of` online just before) dropped within the mass
    /// window; `first` names the first of them.
    MassDrop {
        /// Router.
        router: String,
        /// How many dropped.
        count: usize,
        /// How many had a session just before.
        of: usize,
        /// The first names, at most [`MASS_NAMES`].
        first: Vec<String>,
        /// Within this window.
        window: Duration,
    },
    /// The quiet hours ended; these subscribers dropped during them and are still offline.
    QuietSummary {
        /// `(router, user)` of each, at most [`MASS_NAMES`] named.
        offline: Vec<(String, String)>,
        /// How many in all.
        count: usize,
    },
}

/// How many names a grouped alert shows.
pub const MASS_NAMES: usize = 10;

impl Alert {
    /// The subscriber it is about, if one.
    pub fn user(&self) -> Option<&str> {
        match self {
            Self::Offline { user, .. }
            | Self::Online { user, .. }
            | Self::Connected { user, .. }
            | Self::Flapping { user, .. } => Some(user),
            Self::MassDrop { .. } | Self::QuietSummary { .. } => None,
        }
    }

    /// The router it is about, if one.
    pub fn router(&self) -> Option<&str> {
        match self {
            Self::Offline { router, .. }
            | Self::Online { router, .. }
            | Self::Connected { router, .. }
            | Self::Flapping { router, .. }
            | Self::MassDrop { router, .. } => Some(router),
            Self::QuietSummary { .. } => None,
        }
    }

    /// A short kind name for the audit log.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Offline { .. } => "offline",
            Self::Online { .. } => "online",
            Self::Connected { .. } => "connected",
            Self::Flapping { .. } => "flapping",
            Self::MassDrop { .. } => "mass-drop",
            Self::QuietSummary { .. } => "quiet-summary",
        }
    }
}

/// An alert and who gets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raised {
    /// The alert.
    pub alert: Alert,
    /// The actors (phone digits) watching the subscriber with `pantau`.
    pub watchers: Vec<String>,
    /// Whether the `notify` roles get it too.
    pub broadcast: bool,
}

/// Who watches a subscriber, until when.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Watch {
    actor: String,
    until: DateTime<Utc>,
}

/// What the tracker knows of one subscriber on one router.
#[derive(Debug, Clone)]
struct Sub {
    online: bool,
    /// When it last went online or offline.
    since: DateTime<Utc>,
    /// The offline alert was decided (sent, or nobody to send it to): not again.
    offline_done: bool,
    /// An offline alert was sent, and whether to the `notify` roles (for "online again").
    told: Option<bool>,
    /// Drops within the flap window.
    drops: VecDeque<DateTime<Utc>>,
    /// Flapping (summarised) until then: no per-drop alerts.
    flapping_until: Option<DateTime<Utc>>,
    /// Dropped in a mass drop: no alert of its own to the notify roles.
    in_mass: bool,
    /// Dropped in quiet hours and held back: in the summary at their end.
    held: bool,
}

#[derive(Debug, Default)]
struct RouterState {
    synced: bool,
    subs: HashMap<String, Sub>,
    /// Drops within the mass window: when, who.
    recent_drops: VecDeque<(DateTime<Utc>, String)>,
    /// A mass drop was reported; drops until then join it.
    mass_until: Option<DateTime<Utc>>,
}

/// Turns [`SessionEvent`]s into alerts, without noise (see [`AlertSettings`]). Pure: the
/// caller passes the time of each event and calls [`tick`](Self::tick) now and then (every
/// few seconds) for the alerts that are due by time alone.
#[derive(Debug)]
pub struct AlertTracker {
    settings: AlertSettings,
    tz: Tz,
    routers: HashMap<String, RouterState>,
    watches: HashMap<String, Vec<Watch>>,
    /// Whether the last tick was in quiet hours.
    was_quiet: bool,
}

fn dur(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

impl AlertTracker {
    /// A tracker with nothing known yet; local times (quiet hours) in `tz`.
    pub fn new(settings: AlertSettings, tz: Tz) -> Self {
        Self {
            settings,
            tz,
            routers: HashMap::new(),
            watches: HashMap::new(),
            was_quiet: false,
        }
    }

    /// The settings.
    pub fn settings(&self) -> &AlertSettings {
        &self.settings
    }

    /// `actor` watches `user` until `now + watch_for`; returns until when.
    pub fn watch(&mut self, user: &str, actor: &str, now: DateTime<Utc>) -> DateTime<Utc> {
        let until = now + dur(self.settings.watch_for);
        let list = self.watches.entry(user.to_owned()).or_default();
        list.retain(|w| w.actor != actor);
        list.push(Watch {
            actor: actor.to_owned(),
            until,
        });
        until
    }

    /// `actor` stops watching `user`; whether it was watching.
    pub fn unwatch(&mut self, user: &str, actor: &str) -> bool {
        let Some(list) = self.watches.get_mut(user) else {
            return false;
        };
        let before = list.len();
        list.retain(|w| w.actor != actor);
        let removed = list.len() < before;
        if list.is_empty() {
            self.watches.remove(user);
        }
        removed
    }

    /// The subscribers `actor` watches, with until when, by name.
    pub fn watched_by(&self, actor: &str, now: DateTime<Utc>) -> Vec<(String, DateTime<Utc>)> {
        let mut out: Vec<_> = self
            .watches
            .iter()
            .filter_map(|(user, list)| {
                list.iter()
                    .find(|w| w.actor == actor && w.until > now)
                    .map(|w| (user.clone(), w.until))
            })
            .collect();
        out.sort();
        out
    }

    /// Whether `router`'s watcher has reported its sessions at least once.
    pub fn is_synced(&self, router: &str) -> bool {
        self.routers.get(router).is_some_and(|r| r.synced)
    }

    /// What is known of `user`: the router, whether online, since when (`None`: no router
    /// reported it online since the watcher started).
    pub fn state_of(&self, user: &str) -> Option<(&str, bool, DateTime<Utc>)> {
        self.routers
            .iter()
            .find_map(|(name, r)| r.subs.get(user).map(|s| (name.as_str(), s.online, s.since)))
    }

    /// Takes one event that happened at `now`; returns the alerts it raises at once.
    pub fn observe(&mut self, event: &SessionEvent, now: DateTime<Utc>) -> Vec<Raised> {
        let mut out = Vec::new();
        match event {
            SessionEvent::Snapshot { router, online } => {
                let state = self.routers.entry(router.clone()).or_default();
                if !state.synced {
                    // The first report: what is, not what changed.
                    state.synced = true;
                    for user in online {
                        state.subs.insert(user.clone(), Sub::new(true, now));
                    }
                    return out;
                }
                let set: std::collections::HashSet<&str> =
                    online.iter().map(String::as_str).collect();
                let gone: Vec<String> = state
                    .subs
                    .iter()
                    .filter(|(u, s)| s.online && !set.contains(u.as_str()))
                    .map(|(u, _)| u.clone())
                    .collect();
                let came: Vec<String> = online
                    .iter()
                    .filter(|u| !state.subs.get(u.as_str()).is_some_and(|s| s.online))
                    .cloned()
                    .collect();
                for user in gone {
                    out.extend(self.down(router, &user, now));
                }
                for user in came {
                    out.extend(self.up(router, &user, now));
                }
            }
            SessionEvent::Up { router, user } => out.extend(self.up(router, user, now)),
            SessionEvent::Down { router, user } => out.extend(self.down(router, user, now)),
            SessionEvent::Lost { .. } => {}
        }
        out
    }

    fn watchers(&self, user: &str, now: DateTime<Utc>) -> Vec<String> {
        self.watches
            .get(user)
            .map(|l| {
                l.iter()
                    .filter(|w| w.until > now)
                    .map(|w| w.actor.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn quiet(&self, now: DateTime<Utc>) -> bool {
        self.settings
            .quiet_hours
            .is_some_and(|q| q.contains(now.with_timezone(&self.tz).time()))
    }

    fn up(&mut self, router: &str, user: &str, now: DateTime<Utc>) -> Vec<Raised> {
        let watchers = self.watchers(user, now);
        let quiet = self.quiet(now);
        let state = self.routers.entry(router.to_owned()).or_default();
        state.synced = true;
        let sub = state
            .subs
            .entry(user.to_owned())
            .or_insert_with(|| Sub::new(false, now));
        if sub.online {
            return Vec::new();
        }
        let flapping = sub.flapping_until.is_some_and(|t| now < t);
        let down_for = (now - sub.since).to_std().unwrap_or_default();
        let told = sub.told.take();
        *sub = Sub {
            online: true,
            since: now,
            drops: std::mem::take(&mut sub.drops),
            flapping_until: sub.flapping_until,
            ..Sub::new(true, now)
        };
        if flapping {
            return Vec::new();
        }
        let router = router.to_owned();
        let user = user.to_owned();
        match told {
            // Told it was offline: told it is back; those who watch it now (not who stopped
            // meanwhile), and the notify roles if they were told, outside quiet hours.
            Some(broadcast) => {
                let broadcast = broadcast && !quiet;
                if watchers.is_empty() && !broadcast {
                    return Vec::new();
                }
                vec![Raised {
                    alert: Alert::Online {
                        router,
                        user,
                        after: down_for,
                    },
                    watchers,
                    broadcast,
                }]
            }
            None if !watchers.is_empty() => vec![Raised {
                alert: Alert::Connected { router, user },
                watchers,
                broadcast: false,
            }],
            None => Vec::new(),
        }
    }

    fn down(&mut self, router: &str, user: &str, now: DateTime<Utc>) -> Vec<Raised> {
        let watchers = self.watchers(user, now);
        let all = self.settings.all;
        let (flap_count, flap_window) = (self.settings.flap_count, dur(self.settings.flap_window));
        let mass_window = dur(self.settings.mass_window);
        let state = self.routers.entry(router.to_owned()).or_default();
        state.synced = true;
        let sub = state
            .subs
            .entry(user.to_owned())
            .or_insert_with(|| Sub::new(true, now));
        if !sub.online {
            return Vec::new();
        }
        sub.online = false;
        sub.since = now;
        sub.offline_done = false;
        sub.told = None;
        sub.in_mass = false;
        sub.held = false;
        sub.drops.push_back(now);
        while sub.drops.front().is_some_and(|t| now - *t >= flap_window) {
            sub.drops.pop_front();
        }
        let mut out = Vec::new();
        let was_flapping = sub.flapping_until.is_some_and(|t| now < t);
        if was_flapping {
            sub.flapping_until = Some(now + flap_window);
        } else if flap_count > 0 && sub.drops.len() >= flap_count {
            sub.flapping_until = Some(now + flap_window);
            if all || !watchers.is_empty() {
                out.push(Raised {
                    alert: Alert::Flapping {
                        router: router.to_owned(),
                        user: user.to_owned(),
                        drops: sub.drops.len(),
                        window: self.settings.flap_window,
                    },
                    watchers,
                    broadcast: all,
                });
            }
        }

        // A mass drop: many of one router at once is one outage, not many alerts.
        state.recent_drops.push_back((now, user.to_owned()));
        while state
            .recent_drops
            .front()
            .is_some_and(|(t, _)| now - *t >= mass_window)
        {
            state.recent_drops.pop_front();
        }
        if state.mass_until.is_some_and(|t| now < t) {
            state.mass_until = Some(now + mass_window);
            if let Some(s) = state.subs.get_mut(user) {
                s.in_mass = true;
            }
            return out;
        }
        let count = state.recent_drops.len();
        let online_now = state.subs.values().filter(|s| s.online).count();
        let of = online_now + count;
        let by_share = count >= MASS_MIN
            && (count as u64) * 100 > u64::from(self.settings.mass_percent) * of as u64;
        if count > self.settings.mass_count || by_share {
            state.mass_until = Some(now + mass_window);
            let first: Vec<String> = state
                .recent_drops
                .iter()
                .take(MASS_NAMES)
                .map(|(_, u)| u.clone())
                .collect();
            for (_, u) in &state.recent_drops {
                if let Some(s) = state.subs.get_mut(u) {
                    s.in_mass = true;
                }
            }
            if all {
                out.push(Raised {
                    alert: Alert::MassDrop {
                        router: router.to_owned(),
                        count,
                        of,
                        first,
                        window: self.settings.mass_window,
                    },
                    watchers: Vec::new(),
                    broadcast: true,
                });
            }
        }
        out
    }

    /// The alerts due by time alone at `now`: offline alerts, and the summary at the end of
    /// the quiet hours.
    pub fn tick(&mut self, now: DateTime<Utc>) -> Vec<Raised> {
        let quiet = self.quiet(now);
        let after = dur(self.settings.offline_after);
        let all = self.settings.all;
        let mut out = Vec::new();
        let mut due: Vec<(String, String)> = Vec::new();
        for (name, state) in &self.routers {
            for (user, sub) in &state.subs {
                if !sub.online && !sub.offline_done && now - sub.since >= after {
                    due.push((name.clone(), user.clone()));
                }
            }
        }
        due.sort();
        for (router, user) in due {
            let watchers = self.watchers(&user, now);
            let Some(sub) = self
                .routers
                .get_mut(&router)
                .and_then(|r| r.subs.get_mut(&user))
            else {
                continue;
            };
            sub.offline_done = true;
            if sub.flapping_until.is_some_and(|t| now < t) {
                continue;
            }
            let mut broadcast = all && !sub.in_mass;
            if broadcast && quiet {
                sub.held = true;
                broadcast = false;
            }
            if !broadcast && watchers.is_empty() {
                continue;
            }
            sub.told = Some(broadcast);
            out.push(Raised {
                alert: Alert::Offline {
                    router,
                    user,
                    since: sub.since,
                },
                watchers,
                broadcast,
            });
        }
        if self.was_quiet && !quiet {
            let mut held: Vec<(String, String)> = Vec::new();
            for (name, state) in &mut self.routers {
                for (user, sub) in &mut state.subs {
                    if sub.held && !sub.online {
                        held.push((name.clone(), user.clone()));
                        sub.told = Some(true);
                    }
                    sub.held = false;
                }
            }
            held.sort();
            if !held.is_empty() {
                let count = held.len();
                held.truncate(MASS_NAMES);
                out.push(Raised {
                    alert: Alert::QuietSummary {
                        offline: held,
                        count,
                    },
                    watchers: Vec::new(),
                    broadcast: true,
                });
            }
        }
        self.was_quiet = quiet;
        // Watches that ended.
        self.watches.retain(|_, l| {
            l.retain(|w| w.until > now);
            !l.is_empty()
        });
        out
    }
}

impl Sub {
    fn new(online: bool, since: DateTime<Utc>) -> Self {
        Self {
            online,
            since,
            offline_done: online,
            told: None,
            drops: VecDeque::new(),
            flapping_until: None,
            in_mass: false,
            held: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const R: &str = "core-1";

    fn t0() -> DateTime<Utc> {
        // 10:00 in Jakarta.
        Utc.with_ymd_and_hms(2026, 12, 3, 3, 0, 0).unwrap()
    }

    fn mins(m: i64) -> chrono::Duration {
        chrono::Duration::minutes(m)
    }

    fn tracker(all: bool) -> AlertTracker {
        AlertTracker::new(
            AlertSettings {
                all,
                ..AlertSettings::default()
            },
            chrono_tz::Asia::Jakarta,
        )
    }

    fn snapshot(names: &[&str]) -> SessionEvent {
        SessionEvent::Snapshot {
            router: R.into(),
            online: names.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    fn down(user: &str) -> SessionEvent {
        SessionEvent::Down {
            router: R.into(),
            user: user.into(),
        }
    }

    fn up(user: &str) -> SessionEvent {
        SessionEvent::Up {
            router: R.into(),
            user: user.into(),
        }
    }

    fn kinds(raised: &[Raised]) -> Vec<&'static str> {
        raised.iter().map(|r| r.alert.kind()).collect()
    }

    #[test]
    fn the_first_snapshot_is_what_is_not_what_changed() {
        let mut t = tracker(true);
        assert!(t.observe(&snapshot(&["a", "b"]), t0()).is_empty());
        assert!(t.tick(t0() + mins(60)).is_empty());
        assert!(t.is_synced(R));
    }

    #[test]
    fn offline_for_four_minutes_is_no_alert_six_is_one_and_back_is_one() {
        let mut t = tracker(true);
        t.observe(&snapshot(&["budi01", "sari02"]), t0());
        assert!(t.observe(&down("budi01"), t0()).is_empty(), "not at once");
        assert!(t.tick(t0() + mins(4)).is_empty(), "4 minutes: nothing");
        // Back after 4 minutes: no "online again", no offline alert ever.
        assert!(t.observe(&up("budi01"), t0() + mins(4)).is_empty());
        assert!(t.tick(t0() + mins(30)).is_empty());

        t.observe(&down("budi01"), t0() + mins(30));
        let raised = t.tick(t0() + mins(36));
        assert_eq!(kinds(&raised), ["offline"]);
        assert!(raised[0].broadcast);
        assert_eq!(
            raised[0].alert,
            Alert::Offline {
                router: R.into(),
                user: "budi01".into(),
                since: t0() + mins(30)
            }
        );
        assert!(t.tick(t0() + mins(40)).is_empty(), "once");
        let back = t.observe(&up("budi01"), t0() + mins(42));
        assert_eq!(kinds(&back), ["online"]);
        assert_eq!(
            back[0].alert,
            Alert::Online {
                router: R.into(),
                user: "budi01".into(),
                after: Duration::from_secs(12 * 60)
            }
        );
    }

    #[test]
    fn without_all_only_watched_subscribers_raise_alerts() {
        let mut t = tracker(false);
        t.observe(&snapshot(&["budi01", "sari02"]), t0());
        t.observe(&down("sari02"), t0());
        assert!(t.tick(t0() + mins(10)).is_empty(), "nobody watches sari02");

        t.watch("budi01", "6281234567890", t0());
        assert!(t.observe(&down("budi01"), t0() + mins(10)).is_empty());
        let raised = t.tick(t0() + mins(16));
        assert_eq!(kinds(&raised), ["offline"]);
        assert_eq!(raised[0].watchers, ["6281234567890"]);
        assert!(!raised[0].broadcast);
        let back = t.observe(&up("budi01"), t0() + mins(17));
        assert_eq!(kinds(&back), ["online"]);
        assert_eq!(back[0].watchers, ["6281234567890"]);

        // A watched subscriber that connects is told at once (the installation works).
        t.observe(&down("budi01"), t0() + mins(18));
        let again = t.observe(&up("budi01"), t0() + mins(19));
        assert_eq!(kinds(&again), ["connected"]);

        assert!(t.unwatch("budi01", "6281234567890"));
        t.observe(&down("budi01"), t0() + mins(30));
        assert!(t.tick(t0() + mins(40)).is_empty());
    }

    #[test]
    fn who_stopped_watching_is_not_told_it_is_back() {
        let mut t = tracker(false);
        t.observe(&snapshot(&["budi01"]), t0());
        t.watch("budi01", "62811", t0());
        t.observe(&down("budi01"), t0());
        assert_eq!(kinds(&t.tick(t0() + mins(6))), ["offline"]);
        t.unwatch("budi01", "62811");
        assert!(t.observe(&up("budi01"), t0() + mins(8)).is_empty());
    }

    #[test]
    fn a_watch_ends_after_its_time() {
        let mut t = tracker(false);
        t.observe(&snapshot(&["budi01"]), t0());
        let until = t.watch("budi01", "62811", t0());
        assert_eq!(until, t0() + chrono::Duration::hours(24));
        assert_eq!(t.watched_by("62811", t0()).len(), 1);
        t.tick(t0() + chrono::Duration::hours(25));
        assert!(t.watched_by("62811", t0()).is_empty());
        t.observe(&down("budi01"), t0() + chrono::Duration::hours(25));
        assert!(t.tick(t0() + chrono::Duration::hours(26)).is_empty());
    }

    #[test]
    fn a_flapping_subscriber_gets_one_summary() {
        let mut t = tracker(true);
        t.observe(&snapshot(&["budi01"]), t0());
        let mut raised = Vec::new();
        for i in 0..8 {
            raised.extend(t.observe(&down("budi01"), t0() + mins(i)));
            raised.extend(t.observe(
                &up("budi01"),
                t0() + mins(i) + chrono::Duration::seconds(20),
            ));
            raised.extend(t.tick(t0() + mins(i) + chrono::Duration::seconds(30)));
        }
        assert_eq!(kinds(&raised), ["flapping"]);
        assert!(matches!(raised[0].alert, Alert::Flapping { drops: 4, .. }));
        // Still flapping: its drop is no alert of its own, even after 5 minutes.
        t.observe(&down("budi01"), t0() + mins(9));
        assert!(t.tick(t0() + mins(15)).is_empty());
        // Stable for the window, then a real outage: a normal alert again.
        t.observe(&up("budi01"), t0() + mins(16));
        t.observe(&down("budi01"), t0() + mins(40));
        assert_eq!(kinds(&t.tick(t0() + mins(46))), ["offline"]);
    }

    #[test]
    fn a_mass_drop_of_fifty_is_one_message() {
        let mut t = tracker(true);
        let names: Vec<String> = (0..200).map(|i| format!("u{i:03}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        t.observe(&snapshot(&refs), t0());
        let mut raised = Vec::new();
        for (i, name) in names.iter().take(50).enumerate() {
            let at = t0() + chrono::Duration::seconds(i as i64);
            raised.extend(t.observe(&down(name), at));
        }
        raised.extend(t.tick(t0() + mins(10)));
        assert_eq!(kinds(&raised), ["mass-drop"], "{raised:#?}");
        let Alert::MassDrop {
            router,
            count,
            of,
            first,
            ..
        } = &raised[0].alert
        else {
            unreachable!()
        };
        assert_eq!(router, R);
        assert_eq!(*count, 11, "reported when it crossed the threshold");
        assert_eq!(*of, 200);
        assert_eq!(first.len(), MASS_NAMES);
        assert_eq!(first[0], "u000");
        // Coming back is no flood either.
        let mut back = Vec::new();
        for name in names.iter().take(50) {
            back.extend(t.observe(&up(name), t0() + mins(11)));
        }
        assert!(back.is_empty(), "{back:#?}");
    }

    #[test]
    fn a_snapshot_after_a_reconnect_finds_what_changed() {
        let mut t = tracker(true);
        t.observe(&snapshot(&["a", "b", "c"]), t0());
        t.observe(
            &SessionEvent::Lost {
                router: R.into(),
                why: "closed".into(),
            },
            t0(),
        );
        let raised = t.observe(&snapshot(&["a", "c", "d"]), t0() + mins(1));
        assert!(raised.is_empty(), "b is offline, not yet for 5 minutes");
        assert_eq!(kinds(&t.tick(t0() + mins(7))), ["offline"]);
        assert_eq!(t.state_of("d").map(|s| s.1), Some(true));
    }

    #[test]
    fn quiet_hours_hold_alerts_for_all_and_summarise_at_their_end() {
        let mut t = AlertTracker::new(
            AlertSettings {
                all: true,
                quiet_hours: QuietHours::parse("22:00-06:00"),
                ..AlertSettings::default()
            },
            chrono_tz::Asia::Jakarta,
        );
        // 23:00 in Jakarta.
        let night = Utc.with_ymd_and_hms(2026, 12, 3, 16, 0, 0).unwrap();
        t.observe(&snapshot(&["a", "b", "c"]), night);
        t.watch("c", "62811", night);
        t.observe(&down("a"), night);
        t.observe(&down("b"), night);
        t.observe(&down("c"), night);
        let raised = t.tick(night + mins(10));
        assert_eq!(kinds(&raised), ["offline"], "only the watched one");
        assert_eq!(raised[0].watchers, ["62811"]);
        assert!(!raised[0].broadcast);
        t.observe(&up("b"), night + mins(60));
        // 06:00: one summary of those still offline (c too: only its watcher was told, not
        // the admins), not b, which came back.
        let morning = t.tick(night + chrono::Duration::hours(7));
        assert_eq!(kinds(&morning), ["quiet-summary"]);
        assert_eq!(
            morning[0].alert,
            Alert::QuietSummary {
                offline: vec![(R.into(), "a".into()), (R.into(), "c".into())],
                count: 2
            }
        );
        assert!(t.tick(night + chrono::Duration::hours(8)).is_empty());
    }

    #[test]
    fn quiet_hours_parse_and_contain() {
        let q = QuietHours::parse("22:00-06:00").unwrap();
        let at = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        assert!(q.contains(at(23, 0)) && q.contains(at(5, 59)));
        assert!(!q.contains(at(6, 0)) && !q.contains(at(12, 0)));
        let day = QuietHours::parse("12:00-13:00").unwrap();
        assert!(day.contains(at(12, 30)) && !day.contains(at(13, 0)));
        assert!(QuietHours::parse("22:00").is_none());
        assert!(QuietHours::parse("22:00-22:00").is_none());
        assert!(QuietHours::parse("25:00-06:00").is_none());
    }
}
