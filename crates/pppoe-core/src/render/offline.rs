//! `offline [PAGE]`: the enabled subscribers without a session, with when they were last seen
//! and why they dropped (RouterOS `last-logged-out`, `last-disconnect-reason`).

use std::fmt::Write as _;

use super::{Language, Renderer};
use crate::ports::ListedSecret;
use crate::profile::ProfileTable;

struct OfflineWords {
    title: &'static str,
    scope: &'static str,
    last_seen: &'static str,
    reason: &'static str,
    never: &'static str,
    none: &'static str,
    page: fn(u32, usize, usize) -> String,
    next: &'static str,
}

const ID: OfflineWords = OfflineWords {
    title: "USER OFFLINE",
    scope: "aktif tapi tidak terhubung",
    last_seen: "Terakhir terlihat",
    reason: "Alasan putus",
    never: "belum pernah",
    none: "Semua user aktif sedang terhubung. 🎉",
    page: |page, pages, total| format!("Halaman {page}/{pages} · {total} user"),
    next: "Halaman berikutnya",
};

const EN: OfflineWords = OfflineWords {
    title: "USERS OFFLINE",
    scope: "enabled but not connected",
    last_seen: "Last seen",
    reason: "Disconnect reason",
    never: "never",
    none: "Every enabled user is connected. 🎉",
    page: |page, pages, total| format!("Page {page}/{pages} · {total} users"),
    next: "Next page",
};

impl Renderer {
    /// The line a listing gains when it was served from a copy of the router's tables that
    /// is behind: since when it is known to match, and how to get the router's own answer.
    pub fn stale_copy(&self, as_of: chrono::DateTime<chrono::Utc>) -> String {
        match self.lang {
            Language::Indonesian => format!(
                "\n\n⚠️ Data dari salinan router per {}: router belum terjangkau, perubahan \
                 sesudahnya belum terlihat. Cek satu user langsung di router: checkpppoe USER",
                self.datetime(as_of)
            ),
            Language::English => format!(
                "\n\n⚠️ From the bot's copy of the router as of {}: the router is not reachable, \
                 later changes are not shown. Check one user on the router itself: checkpppoe USER",
                self.datetime(as_of)
            ),
        }
    }

    /// One page of `offline`.
    pub fn offline(
        &self,
        items: &[ListedSecret],
        total: usize,
        page: u32,
        page_size: u32,
        profiles: &ProfileTable,
    ) -> String {
        let w = match self.lang {
            Language::Indonesian => &ID,
            Language::English => &EN,
        };
        let mut out = format!("🔴 *{}* ({})", w.title, w.scope);
        let size = page_size.max(1) as usize;
        let pages = total.div_ceil(size).max(1);
        if total == 0 {
            let _ = write!(out, "\n\n{}", w.none);
            return out;
        }
        let first = (page as usize).saturating_sub(1) * size;
        for (i, item) in items.iter().enumerate() {
            let s = &item.secret;
            let package = profiles
                .by_router_profile(&s.profile)
                .map_or(s.profile.as_str(), |p| p.name.as_str());
            let seen = s
                .last_logged_out
                .map_or_else(|| w.never.to_owned(), |t| self.local(t));
            let _ = write!(
                out,
                "\n\n{}. *{}* - {package}\n   🕒 {}: {seen}",
                first + i + 1,
                s.name,
                w.last_seen
            );
            if let Some(reason) = &s.last_disconnect_reason {
                let _ = write!(out, "\n   ⚠️ {}: {reason}", w.reason);
            }
        }
        let _ = write!(out, "\n\n📄 {}", (w.page)(page, pages, total));
        if (page as usize) < pages {
            let _ = write!(out, "\n➡️ {}: offline {}", w.next, page + 1);
        }
        out
    }
}
