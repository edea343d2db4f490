//! Online/offline alerts and `pantau`: the texts, in both languages.

use std::fmt::Write as _;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{Language, Renderer};
use crate::alerts::Alert;

struct Words {
    offline: &'static str,
    online: &'static str,
    connected: &'static str,
    flapping: &'static str,
    mass: &'static str,
    quiet: &'static str,
    since: &'static str,
    after: &'static str,
    drops: fn(usize, &str) -> String,
    flap_hint: fn(&str) -> String,
    mass_count: fn(usize, usize, &str) -> String,
    mass_hint: &'static str,
    still_offline: fn(usize) -> String,
    more: fn(usize) -> String,
    watch_title: &'static str,
    now: &'static str,
    online_since: &'static str,
    offline_word: &'static str,
    unknown_state: &'static str,
    until: &'static str,
    watch_hint: fn(&str) -> String,
    stop: &'static str,
    not_synced: fn(&str) -> String,
    list_title: &'static str,
    list_none: &'static str,
    start: &'static str,
    stopped: fn(&str) -> String,
    not_watching: fn(&str) -> String,
    no_phone: &'static str,
    menu_watch: &'static str,
    menu_unwatch: &'static str,
}

const ID: Words = Words {
    offline: "USER OFFLINE",
    online: "USER ONLINE LAGI",
    connected: "USER TERHUBUNG",
    flapping: "KONEKSI TIDAK STABIL",
    mass: "GANGGUAN MASSAL",
    quiet: "RINGKASAN JAM TENANG",
    since: "Sejak",
    after: "Setelah offline",
    drops: |n, w| format!("Putus {n} kali dalam {w}"),
    flap_hint: |w| format!("Pesan per putus ditahan sampai stabil {w}."),
    mass_count: |n, of, w| format!("{n} dari {of} user putus dalam {w}"),
    mass_hint: "Pesan offline per user ditahan. Cek router dan uplink.",
    still_offline: |n| format!("Putus saat jam tenang dan masih offline: {n} user"),
    more: |n| format!("dan {n} lainnya"),
    watch_title: "PANTAU AKTIF",
    now: "Sekarang",
    online_since: "🟢 Online sejak",
    offline_word: "🔴 Offline",
    unknown_state: "belum diketahui",
    until: "Sampai",
    watch_hint: |w| {
        format!("Anda diberi tahu saat user terhubung, dan bila offline lebih dari {w}.")
    },
    stop: "Hentikan",
    not_synced: |r| {
        format!("⚠️ Pemantau router {r} belum tersambung: pesan menyusul setelah tersambung.")
    },
    list_title: "PANTAUAN ANDA",
    list_none: "Anda tidak memantau user mana pun.",
    start: "Mulai",
    stopped: |u| format!("✅ Pantauan *{u}* dihentikan."),
    not_watching: |u| format!("ℹ️ Anda tidak sedang memantau *{u}*."),
    no_phone: "❌ Pemantauan dikirim lewat WhatsApp: hanya nomor telepon yang bisa memantau.",
    menu_watch: "Kabari saat user terhubung atau offline (24 jam)",
    menu_unwatch: "Hentikan pantauan",
};

const EN: Words = Words {
    offline: "USER OFFLINE",
    online: "USER BACK ONLINE",
    connected: "USER CONNECTED",
    flapping: "UNSTABLE CONNECTION",
    mass: "MASS OUTAGE",
    quiet: "QUIET HOURS SUMMARY",
    since: "Since",
    after: "After being offline",
    drops: |n, w| format!("Dropped {n} times within {w}"),
    flap_hint: |w| format!("Per-drop messages are held until it is stable for {w}."),
    mass_count: |n, of, w| format!("{n} of {of} users dropped within {w}"),
    mass_hint: "Per-user offline messages are held. Check the router and its uplink.",
    still_offline: |n| format!("Dropped during quiet hours and still offline: {n} users"),
    more: |n| format!("and {n} more"),
    watch_title: "WATCHING",
    now: "Now",
    online_since: "🟢 Online since",
    offline_word: "🔴 Offline",
    unknown_state: "not known yet",
    until: "Until",
    watch_hint: |w| format!("You are told when the user connects, and when offline for over {w}."),
    stop: "Stop",
    not_synced: |r| {
        format!("⚠️ The watcher of router {r} is not connected yet: messages follow once it is.")
    },
    list_title: "YOUR WATCHES",
    list_none: "You are not watching any user.",
    start: "Start",
    stopped: |u| format!("✅ Stopped watching *{u}*."),
    not_watching: |u| format!("ℹ️ You are not watching *{u}*."),
    no_phone: "❌ Watch messages go out on WhatsApp: only a phone number can watch.",
    menu_watch: "Tell me when the user connects or goes offline (24 h)",
    menu_unwatch: "Stop watching",
};

impl Renderer {
    /// A duration without its zero parts: `5 menit`, `1 jam 12 menit`, `40 detik` (alerts
    /// speak in whole minutes once past one).
    fn span(&self, d: Duration) -> String {
        let lx = self.lx;
        let secs = d.as_secs();
        if secs < 60 {
            return format!("{secs}{}", lx.unit_seconds);
        }
        let parts = [
            (secs / 86_400, lx.unit_days),
            (secs / 3600 % 24, lx.unit_hours),
            (secs / 60 % 60, lx.unit_minutes),
        ];
        parts
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, u)| format!("{n}{u}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn alert_words(&self) -> &'static Words {
        match self.lang {
            Language::Indonesian => &ID,
            Language::English => &EN,
        }
    }

    /// The text of an alert, at `now`.
    pub fn alert(&self, alert: &Alert, now: DateTime<Utc>) -> String {
        let w = self.alert_words();
        let mut out = String::new();
        match alert {
            Alert::Offline {
                router,
                user,
                since,
            } => {
                let gone = (now - *since).to_std().unwrap_or_default();
                let _ = write!(
                    out,
                    "🔴 *{}*\n\n👤 {user} ({router})\n🕒 {}: {} ({})",
                    w.offline,
                    w.since,
                    self.datetime(*since),
                    self.span(gone)
                );
            }
            Alert::Online {
                router,
                user,
                after,
            } => {
                let _ = write!(
                    out,
                    "🟢 *{}*\n\n👤 {user} ({router})\n⏱️ {} {}",
                    w.online,
                    w.after,
                    self.span(*after)
                );
            }
            Alert::Connected { router, user } => {
                let _ = write!(
                    out,
                    "🟢 *{}*\n\n👤 {user} ({router})\n🕒 {}",
                    w.connected,
                    self.datetime(now)
                );
            }
            Alert::Flapping {
                router,
                user,
                drops,
                window,
            } => {
                let window = self.span(*window);
                let _ = write!(
                    out,
                    "🟠 *{}*\n\n👤 {user} ({router})\n🔁 {}\n\n{}",
                    w.flapping,
                    (w.drops)(*drops, &window),
                    (w.flap_hint)(&window)
                );
            }
            Alert::MassDrop {
                router,
                count,
                of,
                first,
                window,
            } => {
                let _ = write!(
                    out,
                    "🚨 *{}*\n\n📡 Router: {router}\n📉 {}\n👥 {}",
                    w.mass,
                    (w.mass_count)(*count, *of, &self.span(*window)),
                    names(first, *count, w)
                );
                let _ = write!(out, "\n\n{}", w.mass_hint);
            }
            Alert::QuietSummary { offline, count } => {
                let _ = write!(out, "🌙 *{}*\n\n{}", w.quiet, (w.still_offline)(*count));
                for (router, user) in offline {
                    let _ = write!(out, "\n- {user} ({router})");
                }
                if *count > offline.len() {
                    let _ = write!(out, "\n- {}", (w.more)(*count - offline.len()));
                }
            }
        }
        out
    }

    /// `pantau USER`: watching from now until `until`; `online`: the router's answer now
    /// (`Some(since)` online, `None` offline); `synced`: `None` when the router's watcher has
    /// not reported yet (the router named).
    pub fn watching(
        &self,
        user: &str,
        online: Option<Option<DateTime<Utc>>>,
        until: DateTime<Utc>,
        offline_after: Duration,
        not_synced: Option<&str>,
    ) -> String {
        let w = self.alert_words();
        let state = match online {
            Some(Some(since)) => format!("{} {}", w.online_since, self.datetime(since)),
            Some(None) => w.offline_word.to_owned(),
            None => w.unknown_state.to_owned(),
        };
        let mut out = format!(
            "👀 *{}*\n\n👤 User: {user}\n📶 {}: {state}\n⏳ {}: {}\n\n{}\n{}: stop pantau {user}",
            w.watch_title,
            w.now,
            w.until,
            self.datetime(until),
            (w.watch_hint)(&self.span(offline_after)),
            w.stop,
        );
        if let Some(router) = not_synced {
            let _ = write!(out, "\n\n{}", (w.not_synced)(router));
        }
        out
    }

    /// `pantau` alone: the sender's watches.
    pub fn watches(&self, list: &[(String, DateTime<Utc>)]) -> String {
        let w = self.alert_words();
        if list.is_empty() {
            return format!("👀 {}\n{}: pantau USER", w.list_none, w.start);
        }
        let mut out = format!("👀 *{}*\n", w.list_title);
        for (i, (user, until)) in list.iter().enumerate() {
            let _ = write!(
                out,
                "\n{}. {user} ({} {})",
                i + 1,
                w.until.to_lowercase(),
                self.datetime(*until)
            );
        }
        out
    }

    /// `stop pantau USER`: `stopped` whether the sender was watching.
    pub fn unwatched(&self, user: &str, stopped: bool) -> String {
        let w = self.alert_words();
        if stopped {
            (w.stopped)(user)
        } else {
            (w.not_watching)(user)
        }
    }

    /// The help menu's lines for `pantau` and `stop pantau`.
    pub(crate) fn watch_menu(&self, out: &mut String) {
        let w = self.alert_words();
        super::menu_item(out, "pantau", &[self.lx.arg_user], w.menu_watch);
        super::menu_item(out, "stop pantau", &[self.lx.arg_user], w.menu_unwatch);
    }

    /// `pantau` from a sender with no phone number (a local client).
    pub fn watch_needs_phone(&self) -> String {
        self.alert_words().no_phone.to_owned()
    }
}

fn names(first: &[String], count: usize, w: &Words) -> String {
    let mut s = first.join(", ");
    if count > first.len() {
        let _ = write!(s, ", {}", (w.more)(count - first.len()));
    }
    s
}
