//! `isolir`, the list of isolated subscribers, and `buka`: the replies, in both languages.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::{Language, Renderer, SessionKick, line};
use crate::isolation::{Isolation, IsolirMethod};

/// A part of a subscriber that isolation changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IsolirPart {
    /// The RouterOS profile.
    Profile,
    /// The comment.
    Comment,
    /// `disabled`.
    Disabled,
    /// The static IP's address-list entry.
    AddressList,
}

impl IsolirPart {
    /// Its name in the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Profile => "profile",
            Self::Comment => "comment",
            Self::Disabled => "disabled",
            Self::AddressList => "address-list",
        }
    }
}

/// What `buka` did, for its reply.
#[derive(Debug)]
pub struct Lifted<'a> {
    /// The subscriber.
    pub username: &'a str,
    /// The isolation lifted.
    pub record: &'a Isolation,
    /// What was put back.
    pub restored: &'a [IsolirPart],
    /// What was left as found (changed by someone while isolated), with its value now.
    pub left: &'a [(IsolirPart, String)],
    /// The note given.
    pub note: Option<&'a str>,
    /// What became of the session.
    pub kick: SessionKick,
    /// When.
    pub at: DateTime<Utc>,
}

struct Words {
    title_isolated: &'static str,
    title_lifted: &'static str,
    title_not_isolated: &'static str,
    title_already: &'static str,
    title_failed: &'static str,
    title_partly: &'static str,
    title_unknown: &'static str,
    title_list: &'static str,
    title_profile_missing: &'static str,
    label_user: &'static str,
    label_reason: &'static str,
    label_note: &'static str,
    label_by: &'static str,
    label_since: &'static str,
    label_at: &'static str,
    label_session: &'static str,
    label_list: &'static str,
    label_profile: &'static str,
    label_status: &'static str,
    removed: &'static str,
    menu_offline: &'static str,
    menu_isolate: &'static str,
    menu_lift: &'static str,
    arg_reason: &'static str,
    arg_note: &'static str,
    enabled: &'static str,
    label_left: &'static str,
    part: fn(IsolirPart) -> &'static str,
    method: fn(IsolirMethod, &str) -> String,
    dropped: &'static str,
    kick_failed: fn(&str) -> String,
    kick_unknown: fn(&str) -> String,
    next_lift: fn(&str) -> String,
    not_isolated: fn(&str) -> String,
    already: fn(&str) -> String,
    on_router: fn(&str, &str) -> String,
    profile_missing: fn(&str) -> String,
    failed: fn(&str, &str) -> String,
    undone: fn(&str) -> String,
    nothing_done: &'static str,
    still_changed: fn(&str) -> String,
    unknown: fn(&str, &str) -> String,
    check: fn(&str) -> String,
    differs: fn(&str) -> String,
    lift_failed: fn(&str, &str) -> String,
    restored_so_far: fn(&str) -> String,
    lift_again: fn(&str) -> String,
    none: &'static str,
    page: fn(u32, usize, usize) -> String,
    next: &'static str,
}

const ID: Words = Words {
    title_isolated: "User Diisolir",
    title_lifted: "Isolir Dibuka",
    title_not_isolated: "Tidak Diisolir",
    title_already: "Sudah Diisolir",
    title_failed: "Isolir Gagal",
    title_partly: "Isolir Sebagian",
    title_unknown: "Hasil Belum Pasti",
    title_list: "USER DIISOLIR",
    title_profile_missing: "Profile Isolir Tidak Ada",
    label_user: "Username",
    label_reason: "Alasan",
    label_note: "Catatan",
    label_by: "Oleh",
    label_since: "Sejak",
    label_at: "Waktu",
    label_session: "Sesi aktif",
    label_list: "Address list",
    label_profile: "Profile",
    label_status: "Status",
    removed: "dikeluarkan",
    menu_offline: "User aktif yang tidak terhubung",
    menu_isolate: "Isolir user yang belum bayar (admin); isolir saja: daftarnya",
    menu_lift: "Buka isolir, kembalikan seperti semula (admin)",
    arg_reason: "alasan",
    arg_note: "catatan",
    enabled: "aktif kembali",
    label_left: "Dibiarkan seperti ditemukan",
    part: |p| match p {
        IsolirPart::Profile => "profile",
        IsolirPart::Comment => "komentar",
        IsolirPart::Disabled => "status",
        IsolirPart::AddressList => "address list",
    },
    method: |m, profile| match m {
        IsolirMethod::Profile => format!("profile {profile}"),
        IsolirMethod::Disable => "dinonaktifkan".to_owned(),
    },
    dropped: "diputus, koneksi berikutnya sudah terisolir",
    kick_failed: |u| {
        format!("gagal diputus; isolir berlaku saat koneksi berikutnya (restartpppoe {u})")
    },
    kick_unknown: |u| format!("belum pasti diputus; cek dengan checkpppoe {u}"),
    next_lift: |u| format!("Setelah pembayaran: buka {u}"),
    not_isolated: |u| format!("User {u} tidak sedang diisolir oleh bot. Tidak ada yang diubah."),
    already: |u| format!("User {u} sudah diisolir. Tidak ada yang diubah."),
    on_router: |u, how| {
        format!(
            "Di router, user {u} sudah terisolir ({how}), tetapi bukan oleh bot, jadi bot tidak punya catatan keadaan sebelumnya. Tidak ada yang diubah."
        )
    },
    profile_missing: |p| {
        format!(
            "Router belum punya profile \"{p}\" untuk isolir. Tidak ada yang diubah. Admin: jalankan pppoe-bot check-config untuk perintah RouterOS yang membuatnya."
        )
    },
    failed: |part, err| format!("Langkah {part} ditolak router: {err}"),
    undone: |parts| {
        format!("Langkah yang sudah dilakukan dibatalkan ({parts}). Tidak ada yang berubah.")
    },
    nothing_done: "Tidak ada yang berubah.",
    still_changed: |parts| {
        format!(
            "Pembatalan gagal untuk: {parts}. Bagian itu mungkin masih berubah; bot menyimpan keadaan sebelumnya, jadi buka USER mengembalikannya."
        )
    },
    unknown: |done, part| {
        format!(
            "Sudah diubah: {done}. Langkah {part} terkirim tetapi hasilnya tidak diketahui. Bot menyimpan keadaan sebelumnya."
        )
    },
    check: |u| format!("Cek dengan checkpppoe {u}; buka {u} mengembalikan semua yang diubah."),
    differs: |parts| {
        format!(
            "Router menerima semua perubahan, tetapi saat dibaca ulang nilainya berbeda untuk: {parts} (diubah orang lain?)."
        )
    },
    lift_failed: |part, err| format!("Langkah {part} gagal: {err}"),
    restored_so_far: |parts| format!("Sudah dikembalikan: {parts}."),
    lift_again: |u| format!("User masih tercatat diisolir; kirim buka {u} lagi untuk sisanya."),
    none: "Tidak ada user yang diisolir. 🎉",
    page: |page, pages, total| format!("Halaman {page}/{pages} · {total} user"),
    next: "Halaman berikutnya",
};

const EN: Words = Words {
    title_isolated: "User Isolated",
    title_lifted: "Isolation Lifted",
    title_not_isolated: "Not Isolated",
    title_already: "Already Isolated",
    title_failed: "Isolation Failed",
    title_partly: "Isolation Partly Done",
    title_unknown: "Result Not Known",
    title_list: "ISOLATED USERS",
    title_profile_missing: "No Isolation Profile",
    label_user: "Username",
    label_reason: "Reason",
    label_note: "Note",
    label_by: "By",
    label_since: "Since",
    label_at: "Time",
    label_session: "Active session",
    label_list: "Address list",
    label_profile: "Profile",
    label_status: "Status",
    removed: "removed",
    menu_offline: "Enabled users that are not connected",
    menu_isolate: "Isolate an unpaid user (admin); isolir alone: the list",
    menu_lift: "Lift an isolation, restoring the user as before (admin)",
    arg_reason: "reason",
    arg_note: "note",
    enabled: "enabled again",
    label_left: "Left as found",
    part: |p| match p {
        IsolirPart::Profile => "profile",
        IsolirPart::Comment => "comment",
        IsolirPart::Disabled => "status",
        IsolirPart::AddressList => "address list",
    },
    method: |m, profile| match m {
        IsolirMethod::Profile => format!("profile {profile}"),
        IsolirMethod::Disable => "disabled".to_owned(),
    },
    dropped: "disconnected, the next connection is isolated",
    kick_failed: |u| {
        format!("not disconnected; the isolation applies at the next connection (restartpppoe {u})")
    },
    kick_unknown: |u| format!("maybe not disconnected; check with checkpppoe {u}"),
    next_lift: |u| format!("After payment: buka {u}"),
    not_isolated: |u| format!("User {u} is not isolated by the bot. Nothing was changed."),
    already: |u| format!("User {u} is isolated already. Nothing was changed."),
    on_router: |u, how| {
        format!(
            "On the router, user {u} is isolated already ({how}), but not by the bot, so the bot has no record of the state before. Nothing was changed."
        )
    },
    profile_missing: |p| {
        format!(
            "The router has no profile \"{p}\" for isolation. Nothing was changed. Admin: pppoe-bot check-config prints the RouterOS commands that create it."
        )
    },
    failed: |part, err| format!("The router refused the {part} step: {err}"),
    undone: |parts| format!("The steps done were undone ({parts}). Nothing is changed."),
    nothing_done: "Nothing was changed.",
    still_changed: |parts| {
        format!(
            "Undoing failed for: {parts}. That part may still be changed; the bot keeps the state before, so buka USER puts it back."
        )
    },
    unknown: |done, part| {
        format!(
            "Changed: {done}. The {part} step was sent but its result is not known. The bot keeps the state before."
        )
    },
    check: |u| format!("Check with checkpppoe {u}; buka {u} puts back everything changed."),
    differs: |parts| {
        format!(
            "The router took every change, but reading it back shows other values for: {parts} (changed by someone else?)."
        )
    },
    lift_failed: |part, err| format!("The {part} step failed: {err}"),
    restored_so_far: |parts| format!("Put back so far: {parts}."),
    lift_again: |u| {
        format!("The user is still recorded as isolated; send buka {u} again for the rest.")
    },
    none: "No user is isolated. 🎉",
    page: |page, pages, total| format!("Page {page}/{pages} · {total} users"),
    next: "Next page",
};

impl Renderer {
    fn iw(&self) -> &'static Words {
        match self.lang {
            Language::Indonesian => &ID,
            Language::English => &EN,
        }
    }

    fn part_list(&self, parts: &[IsolirPart]) -> String {
        let w = self.iw();
        parts
            .iter()
            .map(|p| (w.part)(*p))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn isolir_session(&self, out: &mut String, username: &str, kick: SessionKick) {
        let w = self.iw();
        match kick {
            SessionKick::NotConnected => {}
            SessionKick::Disconnected => line(out, "🔌", w.label_session, w.dropped),
            SessionKick::Failed => line(out, "⚠️", w.label_session, (w.kick_failed)(username)),
            SessionKick::Unconfirmed => {
                line(out, "⚠️", w.label_session, (w.kick_unknown)(username));
            }
        }
    }

    /// `isolir USER` succeeded.
    pub fn isolated(&self, iso: &Isolation, kick: SessionKick, at: DateTime<Utc>) -> String {
        let w = self.iw();
        let mut out = format!("🔒 *{}*\n", w.title_isolated);
        line(&mut out, "👤", w.label_user, &iso.username);
        match iso.method {
            IsolirMethod::Profile => line(
                &mut out,
                "📊",
                w.label_profile,
                format!("{} → {}", iso.before.profile, iso.after.profile),
            ),
            IsolirMethod::Disable => {
                line(&mut out, "🔴", w.label_status, (w.method)(iso.method, ""));
            }
        }
        if let Some((list, ip)) = &iso.address_list {
            line(&mut out, "🌐", w.label_list, format!("{list} ({ip})"));
        }
        line(
            &mut out,
            "📝",
            w.label_reason,
            iso.reason.as_deref().unwrap_or("-"),
        );
        line(&mut out, "🕒", w.label_at, self.datetime(at));
        self.isolir_session(&mut out, &iso.username, kick);
        let _ = write!(out, "\n\n💡 {}", (w.next_lift)(&iso.username));
        out
    }

    /// `isolir USER` of a user the bot isolated already.
    pub fn isolated_already(&self, iso: &Isolation) -> String {
        let w = self.iw();
        let mut out = format!(
            "ℹ️ *{}*\n\n{}\n",
            w.title_already,
            (w.already)(&iso.username)
        );
        line(&mut out, "🕒", w.label_since, self.datetime(iso.since));
        line(
            &mut out,
            "📝",
            w.label_reason,
            iso.reason.as_deref().unwrap_or("-"),
        );
        line(&mut out, "👷", w.label_by, &iso.by);
        out
    }

    /// `isolir USER` of a user the router shows isolated, with no record of the bot's.
    pub fn isolated_on_router(
        &self,
        username: &str,
        method: IsolirMethod,
        profile: &str,
    ) -> String {
        let w = self.iw();
        let how = (w.method)(method, profile);
        format!(
            "ℹ️ *{}*\n\n{}",
            w.title_already,
            (w.on_router)(username, &how)
        )
    }

    /// The router has no isolation profile.
    pub fn isolir_profile_missing(&self, profile: &str) -> String {
        let w = self.iw();
        format!(
            "❌ *{}*\n\n{}",
            w.title_profile_missing,
            (w.profile_missing)(profile)
        )
    }

    /// A step of `isolir` was refused; `done` were undone but for `left`.
    pub fn isolate_failed(
        &self,
        username: &str,
        part: IsolirPart,
        error: &str,
        done: &[IsolirPart],
        left: &[IsolirPart],
    ) -> String {
        let w = self.iw();
        let title = if left.is_empty() {
            w.title_failed
        } else {
            w.title_partly
        };
        let mut out = format!("❌ *{title}*\n");
        line(&mut out, "👤", w.label_user, username);
        let _ = write!(out, "\n\n{}", (w.failed)((w.part)(part), error));
        let _ = write!(
            out,
            "\n{}",
            if !left.is_empty() {
                (w.still_changed)(&self.part_list(left))
            } else if done.is_empty() {
                w.nothing_done.to_owned()
            } else {
                (w.undone)(&self.part_list(done))
            }
        );
        out
    }

    /// A step of `isolir` was sent and its result is not known.
    pub fn isolate_unknown(&self, username: &str, done: &[IsolirPart], part: IsolirPart) -> String {
        let w = self.iw();
        let done = if done.is_empty() {
            "-".to_owned()
        } else {
            self.part_list(done)
        };
        let mut out = format!("❓ *{}*\n", w.title_unknown);
        line(&mut out, "👤", w.label_user, username);
        let _ = write!(
            out,
            "\n\n{}\n\n💡 {}",
            (w.unknown)(&done, (w.part)(part)),
            (w.check)(username)
        );
        out
    }

    /// Reading back after a change shows other values than written.
    pub fn read_back_differs(&self, username: &str, parts: &[IsolirPart]) -> String {
        let w = self.iw();
        let mut out = format!("❓ *{}*\n", w.title_unknown);
        line(&mut out, "👤", w.label_user, username);
        let _ = write!(out, "\n\n{}", (w.differs)(&self.part_list(parts)));
        out
    }

    /// `buka USER` of a user the bot has not isolated.
    pub fn not_isolated(&self, username: &str) -> String {
        let w = self.iw();
        format!(
            "ℹ️ *{}*\n\n{}",
            w.title_not_isolated,
            (w.not_isolated)(username)
        )
    }

    /// A step of `buka` failed.
    pub fn lift_failed(
        &self,
        username: &str,
        done: &[IsolirPart],
        part: IsolirPart,
        error: &str,
    ) -> String {
        let w = self.iw();
        let mut out = format!("❌ *{}*\n", w.title_failed);
        line(&mut out, "👤", w.label_user, username);
        let _ = write!(out, "\n\n{}", (w.lift_failed)((w.part)(part), error));
        if !done.is_empty() {
            let _ = write!(out, "\n{}", (w.restored_so_far)(&self.part_list(done)));
        }
        let _ = write!(out, "\n{}", (w.lift_again)(username));
        out
    }

    /// `buka USER` succeeded.
    pub fn lifted(&self, l: &Lifted<'_>) -> String {
        let w = self.iw();
        let mut out = format!("🔓 *{}*\n", w.title_lifted);
        line(&mut out, "👤", w.label_user, l.username);
        if l.restored.contains(&IsolirPart::Profile) {
            line(
                &mut out,
                "📊",
                w.label_profile,
                format!("{} → {}", l.record.after.profile, l.record.before.profile),
            );
        }
        if let Some((list, ip)) = &l.record.address_list {
            line(
                &mut out,
                "🌐",
                w.label_list,
                format!("{list}: {ip} {}", w.removed),
            );
        }
        line(&mut out, "🔒", w.label_since, self.datetime(l.record.since));
        if l.restored.contains(&IsolirPart::Disabled) {
            line(&mut out, "🟢", w.label_status, w.enabled);
        }
        if let Some(note) = l.note {
            line(&mut out, "📝", w.label_note, note);
        }
        line(&mut out, "🕒", w.label_at, self.datetime(l.at));
        self.isolir_session(&mut out, l.username, l.kick);
        if !l.left.is_empty() {
            let left: Vec<String> = l
                .left
                .iter()
                .map(|(p, v)| format!("{} ({v})", (w.part)(*p)))
                .collect();
            line(&mut out, "⚠️", w.label_left, left.join(", "));
        }
        out
    }

    /// One page of the isolated subscribers.
    pub fn isolated_list(
        &self,
        items: &[Isolation],
        total: usize,
        page: u32,
        page_size: u32,
    ) -> String {
        let w = self.iw();
        let mut out = format!("🔒 *{}*", w.title_list);
        if total == 0 {
            let _ = write!(out, "\n\n{}", w.none);
            return out;
        }
        let size = page_size.max(1) as usize;
        let pages = total.div_ceil(size).max(1);
        let first = (page as usize).saturating_sub(1) * size;
        for (i, iso) in items.iter().enumerate() {
            let _ = write!(
                out,
                "\n\n{}. *{}* ({})\n   🕒 {}: {}\n   📝 {}: {}\n   👷 {}: {}",
                first + i + 1,
                iso.username,
                iso.router,
                w.label_since,
                self.datetime(iso.since),
                w.label_reason,
                iso.reason.as_deref().unwrap_or("-"),
                w.label_by,
                iso.by
            );
        }
        let _ = write!(out, "\n\n📄 {}", (w.page)(page, pages, total));
        if (page as usize) < pages {
            let _ = write!(out, "\n➡️ {}: isolir daftar {}", w.next, page + 1);
        }
        out
    }

    /// The help menu's lines for `offline`, `isolir` and `buka`.
    pub(crate) fn isolir_menu(&self, out: &mut String) {
        let w = self.iw();
        super::menu_item(out, "offline", &[], w.menu_offline);
        super::menu_item(
            out,
            "isolir",
            &[self.lx.arg_user, w.arg_reason],
            w.menu_isolate,
        );
        super::menu_item(out, "buka", &[self.lx.arg_user, w.arg_note], w.menu_lift);
    }

    /// The line `checkpppoe` adds for an isolated subscriber.
    pub fn isolation_line(&self, iso: &Isolation) -> String {
        let w = self.iw();
        let mut out = String::new();
        line(
            &mut out,
            "🔒",
            w.title_isolated,
            format!(
                "{} {} · {}",
                w.label_since.to_lowercase(),
                self.datetime(iso.since),
                iso.reason.as_deref().unwrap_or("-")
            ),
        );
        out
    }
}
