//! The replies and notices of the trouble tickets (`lapor`, `tiket`, `ambil`, `serahkan`,
//! `catatan`, `selesai`, `tutup`, `bukaulang`). Layouts once, here; the words of each language
//! in [`TicketWords`] (`ID`, `EN`), like the main lexicon.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::{Language, Renderer, line};
use crate::ticket::{Refusal, Ticket, TicketEvent, TicketEventKind, TicketId, TicketState};

/// The words of the ticket texts, in one language.
pub(crate) struct TicketWords {
    label_ticket: &'static str,
    label_subscriber: &'static str,
    label_complaint: &'static str,
    label_reporter: &'static str,
    label_technician: &'static str,
    label_status: &'static str,
    label_opened: &'static str,
    label_installed: &'static str,
    label_note: &'static str,
    label_resolution: &'static str,
    label_reason: &'static str,
    label_at: &'static str,
    label_by: &'static str,
    label_history: &'static str,
    label_notified: &'static str,
    label_next_steps: &'static str,
    not_linked: &'static str,
    state_open: &'static str,
    state_in_progress: &'static str,
    state_resolved: &'static str,
    state_closed: &'static str,
    nobody_notified: &'static str,
    title_opened: fn(TicketId) -> String,
    title_new: fn(TicketId) -> String,
    title_taken: fn(TicketId) -> String,
    title_assigned: fn(TicketId) -> String,
    title_assigned_to_you: fn(TicketId) -> String,
    title_noted: fn(TicketId) -> String,
    title_resolved: fn(TicketId) -> String,
    title_closed: fn(TicketId) -> String,
    title_reopened: fn(TicketId) -> String,
    title_one: fn(TicketId) -> String,
    title_list: &'static str,
    title_refused: fn(TicketId) -> String,
    title_not_found: &'static str,
    title_changed: &'static str,
    title_unavailable: &'static str,
    /// The first word looked like a username but the router has no such user.
    first_word_not_a_user: fn(&str) -> String,
    /// The router could not be asked whether the first word is a user.
    router_unchecked: fn(&str) -> String,
    not_found: fn(TicketId) -> String,
    changed: fn(TicketId) -> String,
    unavailable: &'static str,
    event_opened: &'static str,
    event_taken: &'static str,
    event_assigned: fn(&str) -> String,
    event_note: &'static str,
    event_resolved: &'static str,
    event_closed: &'static str,
    event_closed_auto: &'static str,
    event_reopened: &'static str,
    event_installed: fn(&str) -> String,
    refused_already_yours: fn(TicketId) -> String,
    refused_held_by: fn(TicketId, &str) -> String,
    refused_already_assigned: fn(TicketId, &str) -> String,
    refused_not_taken: fn(TicketId) -> String,
    refused_not_assignee: fn(TicketId, &str) -> String,
    refused_not_resolved: fn(TicketId, &str) -> String,
    refused_not_finished: fn(TicketId, &str) -> String,
    refused_finished: fn(TicketId, &str) -> String,
    step_take: &'static str,
    step_resolve: &'static str,
    step_note: &'static str,
    step_link: &'static str,
    step_close: &'static str,
    step_show: &'static str,
    list_none_active: &'static str,
    list_none_mine: &'static str,
    list_none: &'static str,
    list_none_subscriber: fn(&str) -> String,
    list_scope_active: &'static str,
    list_scope_mine: &'static str,
    list_scope_all: &'static str,
    list_page: fn(u32, usize, usize) -> String,
    list_next_page: &'static str,
    snapshot_unavailable: fn(&str) -> String,
    example_resolve: &'static str,
    example_reopen: &'static str,
    auto_closed: fn(TicketId, u64) -> String,
    arg_ticket: &'static str,
    arg_complaint: &'static str,
    arg_technician: &'static str,
    arg_note: &'static str,
    arg_reason: &'static str,
    arg_view: &'static str,
    arg_target: &'static str,
    title_bad_ticket: &'static str,
    bad_ticket: fn(&str) -> String,
    title_unknown_technician: &'static str,
    unknown_technician: fn(&str, &str) -> String,
    menu_report: &'static str,
    menu_help: &'static str,
    title_help: &'static str,
    help_intro: &'static str,
    help_report: &'static str,
    help_list: &'static str,
    help_take: &'static str,
    help_assign: &'static str,
    help_note: &'static str,
    help_resolve: &'static str,
    help_close: &'static str,
    help_reopen: &'static str,
    help_install: &'static str,
    help_performance: &'static str,
    help_photo: &'static str,
    help_location: &'static str,
    label_example: &'static str,
    installed: fn(TicketId, &str) -> String,
    install_not_recorded: fn(TicketId, &str) -> String,
    title_bad_customer: &'static str,
    bad_customer: fn(&str) -> String,
    customer_kept: fn(&str) -> String,
    customer_not_kept: fn(&str, &str) -> String,
    customer_notice_sent: fn(&str) -> String,
    customer_label: &'static str,
}

pub(crate) const ID: TicketWords = TicketWords {
    label_ticket: "Tiket",
    label_subscriber: "Pelanggan",
    label_complaint: "Keluhan",
    label_reporter: "Pelapor",
    label_technician: "Teknisi",
    label_status: "Status",
    label_opened: "Dibuat",
    label_installed: "Dipasang",
    label_note: "Catatan",
    label_resolution: "Penyelesaian",
    label_reason: "Alasan",
    label_at: "Waktu",
    label_by: "Oleh",
    label_history: "Riwayat",
    label_notified: "Diberitahukan ke",
    label_next_steps: "Langkah selanjutnya",
    not_linked: "- (belum ditautkan)",
    state_open: "Terbuka",
    state_in_progress: "Dikerjakan",
    state_resolved: "Selesai",
    state_closed: "Ditutup",
    nobody_notified: "tidak ada (tidak ada orang lain dengan peran itu di daftar)",
    title_opened: |id| format!("TIKET {id} DIBUAT"),
    title_new: |id| format!("TIKET BARU {id}"),
    title_taken: |id| format!("TIKET {id} DIAMBIL"),
    title_assigned: |id| format!("TIKET {id} DISERAHKAN"),
    title_assigned_to_you: |id| format!("TIKET {id} DISERAHKAN KE ANDA"),
    title_noted: |id| format!("CATATAN DITAMBAHKAN KE {id}"),
    title_resolved: |id| format!("TIKET {id} SELESAI"),
    title_closed: |id| format!("TIKET {id} DITUTUP"),
    title_reopened: |id| format!("TIKET {id} DIBUKA ULANG"),
    title_one: |id| format!("TIKET {id}"),
    title_list: "DAFTAR TIKET",
    title_refused: |id| format!("TIKET {id} TIDAK DIUBAH"),
    title_not_found: "TIKET TIDAK DITEMUKAN",
    title_changed: "TIKET BARU SAJA BERUBAH",
    title_unavailable: "TIKET TIDAK AKTIF",
    first_word_not_a_user: |w| {
        format!(
            "Tidak ada user \"{w}\" di router, jadi tiket dibuat tanpa pelanggan dan \"{w}\" \
             tetap bagian dari keluhan."
        )
    },
    router_unchecked: |w| {
        format!(
            "Router tidak bisa dihubungi untuk memeriksa apakah \"{w}\" adalah user, jadi tiket \
             dibuat tanpa pelanggan."
        )
    },
    not_found: |id| format!("Tidak ada tiket {id}."),
    changed: |id| {
        format!(
            "Tiket {id} baru saja diubah orang lain, jadi perintah Anda tidak dijalankan. Lihat \
             keadaannya sekarang: tiket {id}"
        )
    },
    unavailable: "Bot ini tidak menyimpan tiket.",
    event_opened: "Dibuat",
    event_taken: "Diambil",
    event_assigned: |to| format!("Diserahkan ke {to}"),
    event_note: "Catatan",
    event_resolved: "Selesai",
    event_closed: "Ditutup",
    event_closed_auto: "Ditutup otomatis",
    event_reopened: "Dibuka ulang",
    event_installed: |user| format!("User {user} dibuat"),
    refused_already_yours: |id| format!("Tiket {id} sudah Anda pegang."),
    refused_held_by: |id, who| {
        format!(
            "Tiket {id} sedang dikerjakan oleh {who}. Admin dapat menyerahkannya: serahkan {id} \
             [nomor]"
        )
    },
    refused_already_assigned: |id, who| format!("Tiket {id} sudah dipegang {who}."),
    refused_not_taken: |id| format!("Tiket {id} belum diambil siapa pun. Ambil dulu: ambil {id}"),
    refused_not_assignee: |id, who| {
        format!("Tiket {id} dipegang {who}; hanya dia atau admin yang dapat menyelesaikannya.")
    },
    refused_not_resolved: |id, state| {
        format!("Tiket {id} berstatus {state}; hanya tiket yang sudah selesai dapat ditutup.")
    },
    refused_not_finished: |id, state| {
        format!(
            "Tiket {id} berstatus {state}; hanya tiket yang selesai atau ditutup dapat dibuka \
             ulang."
        )
    },
    refused_finished: |id, state| {
        format!("Tiket {id} sudah {state}. Admin dapat membukanya lagi: bukaulang {id} [alasan]")
    },
    step_take: "Ambil tiket",
    step_resolve: "Setelah selesai",
    step_note: "Tambah catatan",
    step_link: "Pasang baru untuk tiket ini",
    step_close: "Admin menutup tiket",
    step_show: "Lihat tiket",
    list_none_active: "Tidak ada tiket yang terbuka.",
    list_none_mine: "Tidak ada tiket terbuka yang Anda pegang.",
    list_none: "Belum ada tiket.",
    list_none_subscriber: |user| format!("Tidak ada tiket untuk {user}."),
    list_scope_active: "terbuka dan dikerjakan",
    list_scope_mine: "milik Anda",
    list_scope_all: "semua",
    list_page: |page, pages, total| format!("Halaman {page}/{pages} · {total} tiket"),
    list_next_page: "Halaman berikutnya",
    snapshot_unavailable: |e| format!("Status pelanggan tidak bisa dibaca dari router: {e}"),
    example_resolve: "selesai TR001 ONU diganti, user PPPoE berhasil dibuat",
    example_reopen: "bukaulang TR001 pelanggan lapor masih putus",
    auto_closed: |id, days| format!("Tiket {id} ditutup otomatis {days} hari setelah selesai."),
    arg_ticket: "tiket",
    arg_complaint: "keluhan",
    arg_technician: "nomor/nama",
    arg_note: "catatan",
    arg_reason: "alasan",
    arg_view: "saya|semua|user|tiket",
    arg_target: "tiket/user",
    title_bad_ticket: "NOMOR TIKET TIDAK VALID",
    bad_ticket: |found| {
        format!("\"{found}\" bukan nomor tiket. Nomor tiket adalah TR dan angka, misalnya TR001.")
    },
    title_unknown_technician: "TEKNISI TIDAK DIKENAL",
    unknown_technician: |found, known| {
        format!(
            "\"{found}\" tidak ada di daftar nomor bot. Tulis nomor WhatsApp-nya atau namanya \
             di daftar: {known}"
        )
    },
    menu_report: "Laporkan gangguan (tiket)",
    menu_help: "Bantuan tiket",
    title_help: "BANTUAN TIKET GANGGUAN",
    help_intro: "Alur: lapor → ambil → (addpppoe ... tiket=) → selesai → tutup.",
    help_report: "Buat tiket. Kata pertama dicek ke router: jika itu user, tiket ditautkan ke user itu.",
    help_list: "Tiket terbuka; saya = milik Anda; semua = termasuk yang ditutup; TR001 = satu tiket dengan riwayat dan status pelanggan.",
    help_take: "Ambil tiket untuk dikerjakan.",
    help_assign: "Serahkan tiket ke teknisi lain (admin).",
    help_note: "Tambah catatan (penulis dan waktu dicatat).",
    help_resolve: "Tandai selesai, dengan keterangan. Pelapor dan admin diberi tahu.",
    help_close: "Tutup tiket yang sudah selesai (admin).",
    help_reopen: "Buka ulang tiket selesai atau ditutup, dengan alasan (admin).",
    help_install: "Pasang baru untuk sebuah tiket: tambahkan tiket=TR001 pada addpppoe.",
    help_photo: "Kirim foto (JPEG, PNG, WEBP) atau PDF dengan caption ini: disimpan sebagai bukti dengan SHA-256-nya (batas ukuran bawaan 10 MB).",
    help_location: "Bagikan lokasi, lalu dalam 2 menit kirim perintah ini.",
    help_performance: "Laporan kinerja per teknisi: jumlah tambah/edit/hapus/restart, tiket selesai, median dan p90 waktu penyelesaian (admin).",
    label_example: "Contoh",
    installed: |id, user| {
        format!("User {user} dicatat di tiket {id}. Setelah tes koneksi: selesai {id} [catatan]")
    },
    install_not_recorded: |id, why| {
        format!(
            "User sudah dibuat di router, tetapi tiket {id} TIDAK diperbarui ({why}). Catat \
             manual: catatan {id} [username] dibuat"
        )
    },
    title_bad_customer: "NOMOR WA PELANGGAN TIDAK VALID",
    bad_customer: |found| {
        format!(
            "\"{found}\" bukan nomor WhatsApp. Tulis nomornya, misalnya wa=081234567890 atau \
             wa=+6281234567890."
        )
    },
    customer_kept: |phone| format!("Nomor WA pelanggan {phone} dicatat di bot."),
    customer_label: "pelanggan",
    customer_not_kept: |phone, why| {
        format!("User sudah dibuat, tetapi nomor WA pelanggan {phone} TIDAK tersimpan ({why}).")
    },
    customer_notice_sent: |phone| {
        format!(
            "Data login dikirim ke pelanggan {phone}; hasil pengirimannya tercatat di audit \
             (perintah notify)."
        )
    },
};

pub(crate) const EN: TicketWords = TicketWords {
    label_ticket: "Ticket",
    label_subscriber: "Subscriber",
    label_complaint: "Complaint",
    label_reporter: "Reported by",
    label_technician: "Technician",
    label_status: "Status",
    label_opened: "Opened",
    label_installed: "Installed",
    label_note: "Note",
    label_resolution: "Resolution",
    label_reason: "Reason",
    label_at: "Time",
    label_by: "By",
    label_history: "History",
    label_notified: "Notified",
    label_next_steps: "Next steps",
    not_linked: "- (not linked yet)",
    state_open: "Open",
    state_in_progress: "In progress",
    state_resolved: "Resolved",
    state_closed: "Closed",
    nobody_notified: "nobody (no one else with that role on the allowlist)",
    title_opened: |id| format!("TICKET {id} OPENED"),
    title_new: |id| format!("NEW TICKET {id}"),
    title_taken: |id| format!("TICKET {id} TAKEN"),
    title_assigned: |id| format!("TICKET {id} ASSIGNED"),
    title_assigned_to_you: |id| format!("TICKET {id} ASSIGNED TO YOU"),
    title_noted: |id| format!("NOTE ADDED TO {id}"),
    title_resolved: |id| format!("TICKET {id} RESOLVED"),
    title_closed: |id| format!("TICKET {id} CLOSED"),
    title_reopened: |id| format!("TICKET {id} REOPENED"),
    title_one: |id| format!("TICKET {id}"),
    title_list: "TICKETS",
    title_refused: |id| format!("TICKET {id} NOT CHANGED"),
    title_not_found: "TICKET NOT FOUND",
    title_changed: "TICKET JUST CHANGED",
    title_unavailable: "TICKETS NOT ENABLED",
    first_word_not_a_user: |w| {
        format!(
            "The router has no user \"{w}\", so the ticket was opened without a subscriber and \
             \"{w}\" stays part of the complaint."
        )
    },
    router_unchecked: |w| {
        format!(
            "The router could not be reached to check whether \"{w}\" is a user, so the ticket \
             was opened without a subscriber."
        )
    },
    not_found: |id| format!("There is no ticket {id}."),
    changed: |id| {
        format!(
            "Ticket {id} was just changed by someone else, so your command was not run. See it \
             as it is now: tiket {id}"
        )
    },
    unavailable: "This bot does not keep tickets.",
    event_opened: "Opened",
    event_taken: "Taken",
    event_assigned: |to| format!("Assigned to {to}"),
    event_note: "Note",
    event_resolved: "Resolved",
    event_closed: "Closed",
    event_closed_auto: "Closed automatically",
    event_reopened: "Reopened",
    event_installed: |user| format!("User {user} created"),
    refused_already_yours: |id| format!("You already have ticket {id}."),
    refused_held_by: |id, who| {
        format!(
            "Ticket {id} is being worked on by {who}. An admin can reassign it: serahkan {id} [number]"
        )
    },
    refused_already_assigned: |id, who| format!("Ticket {id} is already held by {who}."),
    refused_not_taken: |id| format!("Nobody has taken ticket {id} yet. Take it first: ambil {id}"),
    refused_not_assignee: |id, who| {
        format!("Ticket {id} is held by {who}; only they or an admin can resolve it.")
    },
    refused_not_resolved: |id, state| {
        format!("Ticket {id} is {state}; only a resolved ticket can be closed.")
    },
    refused_not_finished: |id, state| {
        format!("Ticket {id} is {state}; only a resolved or closed ticket can be reopened.")
    },
    refused_finished: |id, state| {
        format!("Ticket {id} is {state} already. An admin can reopen it: bukaulang {id} [reason]")
    },
    step_take: "Take the ticket",
    step_resolve: "When it is fixed",
    step_note: "Add a note",
    step_link: "New installation for this ticket",
    step_close: "An admin closes the ticket",
    step_show: "See the ticket",
    list_none_active: "No open tickets.",
    list_none_mine: "You hold no open tickets.",
    list_none: "No tickets yet.",
    list_none_subscriber: |user| format!("No tickets for {user}."),
    list_scope_active: "open and in progress",
    list_scope_mine: "yours",
    list_scope_all: "all",
    list_page: |page, pages, total| format!("Page {page}/{pages} · {total} tickets"),
    list_next_page: "Next page",
    snapshot_unavailable: |e| {
        format!("The subscriber's status could not be read from the router: {e}")
    },
    example_resolve: "selesai TR001 ONU replaced, PPPoE user created",
    example_reopen: "bukaulang TR001 customer reports it still drops",
    auto_closed: |id, days| {
        format!("Ticket {id} closed automatically {days} days after it was resolved.")
    },
    arg_ticket: "ticket",
    arg_complaint: "complaint",
    arg_technician: "number/name",
    arg_note: "note",
    arg_reason: "reason",
    arg_view: "saya|semua|user|ticket",
    arg_target: "ticket/user",
    title_bad_ticket: "INVALID TICKET NUMBER",
    bad_ticket: |found| {
        format!("\"{found}\" is not a ticket number. A ticket number is TR and digits, e.g. TR001.")
    },
    title_unknown_technician: "UNKNOWN TECHNICIAN",
    unknown_technician: |found, known| {
        format!(
            "\"{found}\" is not on the bot's allowlist. Write their WhatsApp number or their \
             name on the list: {known}"
        )
    },
    menu_report: "Report a problem (ticket)",
    menu_help: "Ticket help",
    title_help: "TROUBLE TICKET HELP",
    help_intro: "Flow: lapor → ambil → (addpppoe ... tiket=) → selesai → tutup.",
    help_report: "Open a ticket. The first word is checked on the router: if it is a user, the ticket is linked to that user.",
    help_list: "Open tickets; saya = yours; semua = closed ones too; TR001 = one ticket with its history and the subscriber's status.",
    help_take: "Take a ticket to work on.",
    help_assign: "Give a ticket to another technician (admin).",
    help_note: "Add a note (author and time recorded).",
    help_resolve: "Mark it resolved, with what was done. The reporter and the admins are told.",
    help_close: "Close a resolved ticket (admin).",
    help_reopen: "Reopen a resolved or closed ticket, with a reason (admin).",
    help_install: "A new installation for a ticket: add tiket=TR001 to addpppoe.",
    help_photo: "Send a photo (JPEG, PNG, WEBP) or a PDF with this caption: kept as evidence under its SHA-256 (default size limit 10 MB).",
    help_location: "Share the location, then within 2 minutes send this command.",
    help_performance: "Performance per technician: adds, edits, deletes, restarts, tickets resolved, median and p90 time to resolve (admin).",
    label_example: "Example",
    installed: |id, user| {
        format!(
            "User {user} recorded on ticket {id}. After testing the connection: selesai {id} [note]"
        )
    },
    install_not_recorded: |id, why| {
        format!(
            "The user was created on the router, but ticket {id} was NOT updated ({why}). \
             Record it by hand: catatan {id} [username] created"
        )
    },
    title_bad_customer: "INVALID CUSTOMER WHATSAPP NUMBER",
    bad_customer: |found| {
        format!(
            "\"{found}\" is not a WhatsApp number. Write the number, e.g. wa=081234567890 or \
             wa=+6281234567890."
        )
    },
    customer_kept: |phone| format!("Customer WhatsApp number {phone} recorded by the bot."),
    customer_label: "customer",
    customer_not_kept: |phone, why| {
        format!("The user was created, but the customer's number {phone} was NOT kept ({why}).")
    },
    customer_notice_sent: |phone| {
        format!(
            "The login was sent to the customer {phone}; whether it arrived is recorded in the \
             audit log (command notify)."
        )
    },
};

/// What the reply to a ticket change shows.
#[derive(Clone)]
pub struct TicketChangeView<'a> {
    /// The ticket after the change.
    pub ticket: &'a Ticket,
    /// What happened.
    pub event: &'a TicketEvent,
    /// How each phone number is shown (`Name (digits)`).
    pub person: &'a dyn Fn(&str) -> String,
    /// Who was notified, as shown; `None` when this change notifies nobody by design.
    pub notified: Option<Vec<String>>,
}

/// Which listing a page of tickets belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketScope<'a> {
    /// Open and in progress.
    Active,
    /// The sender's.
    Mine,
    /// Every ticket.
    All,
    /// One subscriber's.
    Subscriber(&'a str),
}

impl std::fmt::Debug for TicketChangeView<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TicketChangeView")
            .field("ticket", &self.ticket)
            .field("event", &self.event)
            .field("notified", &self.notified)
            .finish_non_exhaustive()
    }
}

impl TicketScope<'_> {
    /// The words after `tiket` that ask for this listing.
    fn command(&self) -> String {
        match self {
            Self::Active => "tiket".to_owned(),
            Self::Mine => "tiket saya".to_owned(),
            Self::All => "tiket semua".to_owned(),
            Self::Subscriber(u) => format!("tiket {u}"),
        }
    }
}

impl Renderer {
    fn tw(&self) -> &'static TicketWords {
        match self.lang {
            Language::Indonesian => &ID,
            Language::English => &EN,
        }
    }

    /// A ticket state in words.
    pub fn ticket_state(&self, state: TicketState) -> &'static str {
        let tw = self.tw();
        match state {
            TicketState::Open => tw.state_open,
            TicketState::InProgress => tw.state_in_progress,
            TicketState::Resolved => tw.state_resolved,
            TicketState::Closed => tw.state_closed,
        }
    }

    fn ticket_steps(&self, out: &mut String, steps: &[(&str, String)]) {
        let _ = write!(out, "\n\n💡 *{}:*", self.tw().label_next_steps);
        for (i, (what, command)) in steps.iter().enumerate() {
            let _ = write!(out, "\n{}. {what}: {command}", i + 1);
        }
    }

    fn notified_line(&self, out: &mut String, notified: &[String]) {
        let tw = self.tw();
        let who = if notified.is_empty() {
            tw.nobody_notified.to_owned()
        } else {
            notified.join(", ")
        };
        let _ = write!(out, "\n\n📣 *{}:* {who}", tw.label_notified);
    }

    /// The ticket's lines shared by replies and notices.
    fn ticket_lines(&self, out: &mut String, t: &Ticket, person: &dyn Fn(&str) -> String) {
        let tw = self.tw();
        line(
            out,
            "👤",
            tw.label_subscriber,
            t.username.as_deref().unwrap_or(tw.not_linked),
        );
        line(out, "📝", tw.label_complaint, &t.complaint);
        line(out, "🙋", tw.label_reporter, person(&t.reporter));
    }

    /// `lapor` opened a ticket. `about_first_word` says what became of a first word that could
    /// have been a username (not a user, or the router could not be asked).
    pub fn ticket_opened(
        &self,
        t: &Ticket,
        person: &dyn Fn(&str) -> String,
        about_first_word: Option<(&str, bool)>,
        notified: &[String],
    ) -> String {
        let tw = self.tw();
        let mut out = format!("🎫 *{}*\n", (tw.title_opened)(t.id));
        self.ticket_lines(&mut out, t, person);
        line(&mut out, "📌", tw.label_status, self.ticket_state(t.state));
        line(&mut out, "🕒", tw.label_opened, self.datetime(t.opened_at));
        if let Some((word, checked)) = about_first_word {
            let why = if checked {
                (tw.first_word_not_a_user)(word)
            } else {
                (tw.router_unchecked)(word)
            };
            let _ = write!(out, "\n\nℹ️ {why}");
        }
        self.notified_line(&mut out, notified);
        let id = t.id;
        let mut steps = vec![
            (tw.step_take, format!("ambil {id}")),
            (
                tw.step_resolve,
                format!("selesai {id} [{}]", tw.label_note.to_lowercase()),
            ),
        ];
        if t.username.is_none() {
            steps.insert(
                1,
                (
                    tw.step_link,
                    format!("addpppoe [username] [password] [profile] tiket={id}"),
                ),
            );
        }
        self.ticket_steps(&mut out, &steps);
        out
    }

    /// The notice of a new (or reopened) ticket nobody has, to the `[tickets] notify` roles.
    pub fn ticket_new_notice(&self, t: &Ticket, person: &dyn Fn(&str) -> String) -> String {
        let tw = self.tw();
        let mut out = format!("🎫 *{}*\n", (tw.title_new)(t.id));
        self.ticket_lines(&mut out, t, person);
        line(&mut out, "🕒", tw.label_opened, self.datetime(t.opened_at));
        let _ = write!(out, "\n\n💡 {}: ambil {}", tw.step_take, t.id);
        out
    }

    fn change_title(&self, view: &TicketChangeView<'_>) -> (&'static str, String) {
        let tw = self.tw();
        let id = view.ticket.id;
        match &view.event.kind {
            TicketEventKind::Taken => ("✅", (tw.title_taken)(id)),
            TicketEventKind::Assigned(_) => ("✅", (tw.title_assigned)(id)),
            TicketEventKind::Note => ("📝", (tw.title_noted)(id)),
            TicketEventKind::Resolved => ("✅", (tw.title_resolved)(id)),
            TicketEventKind::Closed => ("🔒", (tw.title_closed)(id)),
            TicketEventKind::Reopened => ("🔁", (tw.title_reopened)(id)),
            TicketEventKind::Opened | TicketEventKind::Installed(_) => ("🎫", (tw.title_one)(id)),
        }
    }

    /// The body of a change: the ticket, its state and technician, the text, who and when.
    fn change_body(&self, out: &mut String, view: &TicketChangeView<'_>) {
        let tw = self.tw();
        let t = view.ticket;
        line(
            out,
            "🎫",
            tw.label_ticket,
            format!("{} - {}", t.id, t.complaint),
        );
        line(
            out,
            "👤",
            tw.label_subscriber,
            t.username.as_deref().unwrap_or(tw.not_linked),
        );
        line(out, "📌", tw.label_status, self.ticket_state(t.state));
        if let Some(a) = &t.assignee {
            line(out, "🧑‍🔧", tw.label_technician, (view.person)(a));
        }
        if let Some(text) = &view.event.text {
            let label = match view.event.kind {
                TicketEventKind::Resolved => tw.label_resolution,
                TicketEventKind::Reopened => tw.label_reason,
                _ => tw.label_note,
            };
            line(out, "📝", label, text);
        }
        if let Some(actor) = &view.event.actor {
            line(out, "🙋", tw.label_by, (view.person)(actor));
        }
        line(out, "🕒", tw.label_at, self.datetime(view.event.at));
    }

    /// The reply to `ambil`, `serahkan`, `catatan`, `selesai`, `tutup` or `bukaulang`.
    pub fn ticket_changed(&self, view: &TicketChangeView<'_>) -> String {
        let tw = self.tw();
        let (emoji, title) = self.change_title(view);
        let mut out = format!("{emoji} *{title}*\n");
        self.change_body(&mut out, view);
        if let Some(notified) = &view.notified {
            self.notified_line(&mut out, notified);
        }
        let id = view.ticket.id;
        let steps: Vec<(&str, String)> = match view.ticket.state {
            TicketState::Open => vec![(tw.step_take, format!("ambil {id}"))],
            TicketState::InProgress => vec![
                (
                    tw.step_note,
                    format!("catatan {id} [{}]", tw.label_note.to_lowercase()),
                ),
                (
                    tw.step_resolve,
                    format!("selesai {id} [{}]", tw.label_note.to_lowercase()),
                ),
            ],
            TicketState::Resolved => vec![(tw.step_close, format!("tutup {id}"))],
            TicketState::Closed => vec![(tw.step_show, format!("tiket {id}"))],
        };
        self.ticket_steps(&mut out, &steps);
        out
    }

    /// The notice of a change to someone else: the new assignee (`serahkan`), the reporter and
    /// the admins (`selesai`), the notify roles (`bukaulang`).
    pub fn ticket_change_notice(&self, view: &TicketChangeView<'_>) -> String {
        let tw = self.tw();
        let (emoji, title) = match &view.event.kind {
            TicketEventKind::Assigned(_) => ("🎫", (tw.title_assigned_to_you)(view.ticket.id)),
            _ => self.change_title(view),
        };
        let mut out = format!("{emoji} *{title}*\n");
        self.change_body(&mut out, view);
        let _ = write!(out, "\n\n💡 {}: tiket {}", tw.step_show, view.ticket.id);
        out
    }

    /// A change the state machine refuses.
    pub fn ticket_refused(
        &self,
        id: TicketId,
        refusal: &Refusal,
        person: &dyn Fn(&str) -> String,
    ) -> String {
        let tw = self.tw();
        let detail = match refusal {
            Refusal::AlreadyYours => (tw.refused_already_yours)(id),
            Refusal::HeldBy(who) => (tw.refused_held_by)(id, &person(who)),
            Refusal::AlreadyAssigned(who) => (tw.refused_already_assigned)(id, &person(who)),
            Refusal::NotTaken => (tw.refused_not_taken)(id),
            Refusal::NotAssignee(who) => (tw.refused_not_assignee)(id, &person(who)),
            Refusal::NotResolved(s) => (tw.refused_not_resolved)(id, self.ticket_state(*s)),
            Refusal::NotFinished(s) => (tw.refused_not_finished)(id, self.ticket_state(*s)),
            Refusal::Finished(s) => (tw.refused_finished)(id, self.ticket_state(*s)),
        };
        format!("❌ *{}*\n\n{detail}", (tw.title_refused)(id))
    }

    /// No such ticket.
    pub fn ticket_not_found(&self, id: TicketId) -> String {
        let tw = self.tw();
        format!(
            "❌ *{}*\n\n{}\n\n💡 {}: tiket semua",
            tw.title_not_found,
            (tw.not_found)(id),
            tw.step_show
        )
    }

    /// The ticket changed between reading and writing it: nothing was done.
    pub fn ticket_changed_meanwhile(&self, id: TicketId) -> String {
        let tw = self.tw();
        format!("⚠️ *{}*\n\n{}", tw.title_changed, (tw.changed)(id))
    }

    /// The engine has no ticket store.
    pub fn tickets_unavailable(&self) -> String {
        let tw = self.tw();
        format!("❌ *{}*\n\n{}", tw.title_unavailable, tw.unavailable)
    }

    /// An example of a ticket command.
    pub fn ticket_example(&self, kind: crate::command::CommandKind) -> &'static str {
        use crate::command::CommandKind as K;
        let tw = self.tw();
        match kind {
            K::Report => "lapor john123 internet mati sejak pagi",
            K::Tickets => "tiket TR001",
            K::Take => "ambil TR001",
            K::Assign => "serahkan TR001 081234567890",
            K::Note => "catatan TR001 kabel drop putus, diganti",
            K::Resolve => tw.example_resolve,
            K::CloseTicket => "tutup TR001",
            K::Reopen => tw.example_reopen,
            K::Performance => "laporan minggu",
            K::Photo => "foto TR001 ONU terpasang",
            K::Location => "lokasi TR001",
            K::Offline => "offline 2",
            K::Isolate => "isolir john123 telat bayar",
            K::Isolated => "isolir daftar 2",
            K::Lift => "buka john123 sudah bayar",
            K::Watch => "pantau john123",
            K::Unwatch => "stop pantau john123",
            _ => "tiket",
        }
    }

    /// One page of tickets.
    pub fn ticket_list(
        &self,
        scope: TicketScope<'_>,
        items: &[Ticket],
        total: usize,
        page: u32,
        page_size: u32,
        person: &dyn Fn(&str) -> String,
    ) -> String {
        let tw = self.tw();
        let scope_words = match scope {
            TicketScope::Active => tw.list_scope_active,
            TicketScope::Mine => tw.list_scope_mine,
            TicketScope::All => tw.list_scope_all,
            TicketScope::Subscriber(u) => u,
        };
        let mut out = format!("🎫 *{}* ({scope_words})", tw.title_list);
        let size = page_size.max(1) as usize;
        let pages = total.div_ceil(size).max(1);
        if items.is_empty() {
            let none = match scope {
                TicketScope::Active => tw.list_none_active.to_owned(),
                TicketScope::Mine => tw.list_none_mine.to_owned(),
                TicketScope::All => tw.list_none.to_owned(),
                TicketScope::Subscriber(u) => (tw.list_none_subscriber)(u),
            };
            if total == 0 {
                let _ = write!(out, "\n\n{none}");
            } else {
                let _ = write!(out, "\n\n📄 {}", (tw.list_page)(page, pages, total));
            }
            return out;
        }
        let first = (page as usize - 1) * size;
        for (i, t) in items.iter().enumerate() {
            let who = t.assignee.as_deref().map_or_else(|| "-".to_owned(), person);
            let _ = write!(
                out,
                "\n\n{}. *{}* 📌 {}\n   👤 {} · 📝 {}\n   🧑‍🔧 {who} · 🕒 {}",
                first + i + 1,
                t.id,
                self.ticket_state(t.state),
                t.username.as_deref().unwrap_or("-"),
                t.complaint,
                self.date(t.opened_at),
            );
        }
        let _ = write!(out, "\n\n📄 {}", (tw.list_page)(page, pages, total));
        if (page as usize) < pages {
            let _ = write!(
                out,
                "\n➡️ {}: {} {}",
                tw.list_next_page,
                scope.command(),
                page + 1
            );
        }
        out
    }

    /// `tiket TR001`: the ticket, its history, and its subscriber's status now (`status`, the
    /// `checkpppoe` text, or why it could not be read).
    pub fn ticket_detail(
        &self,
        t: &Ticket,
        events: &[TicketEvent],
        evidence: &[crate::ticket::Evidence],
        person: &dyn Fn(&str) -> String,
        status: Option<Result<String, String>>,
    ) -> String {
        let tw = self.tw();
        let mut out = format!("🎫 *{}*\n", (tw.title_one)(t.id));
        line(&mut out, "📌", tw.label_status, self.ticket_state(t.state));
        self.ticket_lines(&mut out, t, person);
        if let Some(a) = &t.assignee {
            line(&mut out, "🧑‍🔧", tw.label_technician, person(a));
        }
        line(&mut out, "🕒", tw.label_opened, self.datetime(t.opened_at));
        if let Some(at) = t.installed_at {
            line(&mut out, "🛠️", tw.label_installed, self.datetime(at));
        }
        let _ = write!(out, "\n\n📜 *{}:*", tw.label_history);
        // The history and the evidence, by time (each in its own order for equal times).
        let mut lines: Vec<(DateTime<Utc>, String)> = Vec::new();
        for e in events {
            let what = match &e.kind {
                TicketEventKind::Opened => tw.event_opened.to_owned(),
                TicketEventKind::Taken => tw.event_taken.to_owned(),
                TicketEventKind::Assigned(to) => (tw.event_assigned)(&person(to)),
                TicketEventKind::Note => tw.event_note.to_owned(),
                TicketEventKind::Resolved => tw.event_resolved.to_owned(),
                TicketEventKind::Closed if e.actor.is_none() => tw.event_closed_auto.to_owned(),
                TicketEventKind::Closed => tw.event_closed.to_owned(),
                TicketEventKind::Reopened => tw.event_reopened.to_owned(),
                TicketEventKind::Installed(user) => (tw.event_installed)(user),
            };
            let mut text = format!("{} {what}", self.short_datetime(e.at));
            if let Some(actor) = &e.actor {
                let _ = write!(text, " · {}", person(actor));
            }
            if let Some(note) = &e.text {
                let _ = write!(text, ": {note}");
            }
            lines.push((e.at, text));
        }
        for e in evidence {
            lines.push((e.at, self.evidence_history_line(e, person)));
        }
        lines.sort_by_key(|(at, _)| *at);
        for (_, text) in lines {
            let _ = write!(out, "\n• {text}");
        }
        match status {
            Some(Ok(text)) => {
                let _ = write!(out, "\n\n{text}");
            }
            Some(Err(why)) => {
                let _ = write!(out, "\n\n⚠️ {}", (tw.snapshot_unavailable)(&why));
            }
            None => {}
        }
        out
    }

    /// The line `addpppoe ... tiket=` adds to its reply: the ticket records the new user, or
    /// it could not be updated (`Err(why)`).
    pub fn ticket_install_line(&self, id: TicketId, result: Result<&str, &str>) -> String {
        let tw = self.tw();
        match result {
            Ok(user) => format!("\n\n🎫 {}", (tw.installed)(id, user)),
            Err(why) => format!("\n\n⚠️ {}", (tw.install_not_recorded)(id, why)),
        }
    }

    /// A customer among the people told: `pelanggan (+62812...)`.
    pub(crate) fn customer_label(&self, digits: &str) -> String {
        format!("{} (+{digits})", self.tw().customer_label)
    }

    /// `wa=` with something that is no phone number: the title and the detail.
    pub(crate) fn bad_customer_phone(&self, found: &str) -> (&'static str, String) {
        let tw = self.tw();
        (tw.title_bad_customer, (tw.bad_customer)(found))
    }

    /// The lines `addpppoe ... wa=` adds to its reply: the number kept (or why not), and the
    /// customer's notice sent.
    pub fn customer_lines(&self, phone: &str, kept: Result<(), &str>, notice_sent: bool) -> String {
        let tw = self.tw();
        let mut out = match kept {
            Ok(()) => format!("\n\n📱 {}", (tw.customer_kept)(phone)),
            Err(why) => format!("\n\n⚠️ {}", (tw.customer_not_kept)(phone, why)),
        };
        if notice_sent {
            let _ = write!(out, "\n📨 {}", (tw.customer_notice_sent)(phone));
        }
        out
    }

    /// What the audit log and the log say of a ticket the bot closed on its own.
    pub fn ticket_auto_closed(&self, id: TicketId, days: u64) -> String {
        (self.tw().auto_closed)(id, days)
    }

    /// `dd/mm HH:MM` in the configured time zone (a ticket's history).
    fn short_datetime(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.tz).format("%d/%m %H:%M").to_string()
    }

    /// A ticket command's usage line: `selesai [tiket] [catatan]`.
    pub(crate) fn ticket_usage(&self, kind: crate::command::CommandKind) -> String {
        use crate::command::CommandKind as K;
        let tw = self.tw();
        let args: &[&str] = match kind {
            K::Report => &["username", tw.arg_complaint],
            K::Tickets => &[tw.arg_view],
            K::Take | K::CloseTicket => &[tw.arg_ticket],
            K::Assign => &[tw.arg_ticket, tw.arg_technician],
            K::Note | K::Resolve => &[tw.arg_ticket, tw.arg_note],
            K::Reopen => &[tw.arg_ticket, tw.arg_reason],
            K::Performance => &["hari|minggu|bulan"],
            K::Photo => &[tw.arg_target, tw.arg_note],
            K::Location => &[tw.arg_target],
            K::Offline | K::Isolated => &[self.lx.arg_page],
            K::Isolate => &["username", tw.arg_reason],
            K::Lift => &["username", tw.arg_note],
            K::Watch | K::Unwatch => &["username"],
            _ => &[],
        };
        super::synopsis(kind.word(), args)
    }

    /// The placeholder of a ticket command's argument.
    pub(crate) fn ticket_placeholder(&self, arg: crate::command::Arg) -> &'static str {
        use crate::command::Arg;
        let tw = self.tw();
        match arg {
            Arg::Ticket => tw.arg_ticket,
            Arg::Technician => tw.arg_technician,
            Arg::Complaint => tw.arg_complaint,
            Arg::Reason => tw.arg_reason,
            Arg::Target => tw.arg_target,
            _ => tw.arg_note,
        }
    }

    /// A ticket id that is no `TR` and a number: the title and the detail.
    pub(crate) fn bad_ticket_id(&self, found: &str) -> (&'static str, String) {
        let tw = self.tw();
        (tw.title_bad_ticket, (tw.bad_ticket)(found))
    }

    /// `serahkan` to someone not on the allowlist: the title and the detail.
    pub(crate) fn unknown_technician(
        &self,
        found: &str,
        known: &[String],
    ) -> (&'static str, String) {
        let tw = self.tw();
        (
            tw.title_unknown_technician,
            (tw.unknown_technician)(found, &known.join(", ")),
        )
    }

    /// The ticket lines of the `help` menu.
    pub(crate) fn ticket_menu(&self, out: &mut String) {
        let tw = self.tw();
        super::menu_item(out, "lapor", &["user", tw.arg_complaint], tw.menu_report);
        super::menu_item(out, "help tiket", &[], tw.menu_help);
    }

    /// `help tiket`: the ticket commands.
    pub fn help_tickets(&self) -> String {
        use crate::command::CommandKind as K;
        let tw = self.tw();
        let mut out = format!("📖 *{}*\n\n{}\n", tw.title_help, tw.help_intro);
        let entries = [
            (K::Report, tw.help_report),
            (K::Tickets, tw.help_list),
            (K::Take, tw.help_take),
            (K::Assign, tw.help_assign),
            (K::Note, tw.help_note),
            (K::Resolve, tw.help_resolve),
            (K::CloseTicket, tw.help_close),
            (K::Reopen, tw.help_reopen),
            (K::Photo, tw.help_photo),
            (K::Location, tw.help_location),
            (K::Performance, tw.help_performance),
        ];
        for (i, (kind, about)) in entries.into_iter().enumerate() {
            let _ = write!(
                out,
                "\n{}. *{}*\n{about}\n{}: {}\n",
                i + 1,
                self.ticket_usage(kind),
                tw.label_example,
                self.ticket_example(kind)
            );
        }
        let _ = write!(
            out,
            "\n🛠️ {}\n{}: addpppoe john123 password123 Premium tiket=TR001",
            tw.help_install, tw.label_example
        );
        out
    }
}
