//! Reply texts: the spec's layouts, emoji and `*bold*` labels, in Indonesian (default) or
//! English. Nothing here does I/O; every function takes the values it shows.
//!
//! Each layout is written once, here, with no word of either language in it (only commands,
//! example values and emoji, which are the same in both): the words come from the `Lexicon`
//! (`lexicon.rs`) of the renderer's language, `ID` (`id.rs`) or `EN` (`en.rs`), chosen once in
//! [`Renderer::new`].

mod alerts;
mod en;
mod evidence;
mod id;
mod isolir;
mod lexicon;
mod offline;
mod report;
mod ticket;

pub use evidence::EvidenceRefusal;
pub use isolir::{IsolirPart, Lifted};
pub use report::{PerformanceRow, PerformanceView};
pub use ticket::{TicketChangeView, TicketScope};

use std::fmt::{self, Display, Write as _};
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;

use crate::command::{Arg, CommandKind, EditField, ParseError};
use crate::domain::{
    CustomerInfoError, PasswordError, StaticIpError, UsernameError, customer_name,
};
use crate::engine::{CONFIRMATION_TTL, FieldError, NewValue};
use crate::ports::{ActiveSession, IpUser, ListedSecret, Secret, Traffic};
use crate::profile::{Profile, ProfileTable, format_speed};

use lexicon::Lexicon;

/// The language of replies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    /// Bahasa Indonesia (the spec's language).
    #[default]
    Indonesian,
    /// English.
    English,
}

impl std::str::FromStr for Language {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "id" | "indonesian" | "bahasa" => Ok(Self::Indonesian),
            "en" | "english" => Ok(Self::English),
            other => Err(format!(
                "unknown language {other:?}: expected \"id\" or \"en\""
            )),
        }
    }
}

/// The longest message sent in one piece; longer replies are split.
pub const MAX_MESSAGE_CHARS: usize = 4000;

/// What became of the active session when a change also had to disconnect it (`delpppoe`,
/// `editpppoe ... status disable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKick {
    /// The user was not connected.
    NotConnected,
    /// The session was removed.
    Disconnected,
    /// Removing the session failed: it is still up.
    Failed,
    /// Whether the session was removed is unknown (its reply was lost).
    Unconfirmed,
}

/// What the summary of a secret shows (delete confirmation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary<'a> {
    /// The secret.
    pub secret: &'a Secret,
    /// Its package, if the router profile is in the table.
    pub profile: Option<&'a Profile>,
    /// Whether it is connected.
    pub online: bool,
}

/// Everything `checkpppoe` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusView<'a> {
    /// The secret.
    pub secret: &'a Secret,
    /// Its package, if the router profile is in the table.
    pub profile: Option<&'a Profile>,
    /// Its active session, if connected.
    pub session: Option<&'a ActiveSession>,
    /// Live traffic, if connected and readable.
    pub traffic: Option<Traffic>,
    /// Where the subscriber is (the latest location kept as evidence), if known.
    pub location: Option<crate::ports::Coordinates>,
}

/// One page of `pppoe`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListView<'a> {
    /// The filter as typed.
    pub filter: Option<&'a str>,
    /// The 1-based page.
    pub page: u32,
    /// Items per page.
    pub page_size: u32,
    /// Matches in all.
    pub total: usize,
    /// The page's items with the bot's creation date, if the bot created them.
    pub items: Vec<(&'a ListedSecret, Option<DateTime<Utc>>)>,
}

/// Appends one labelled line of a reply: `\n{emoji} *{label}:* {value}`.
fn line(out: &mut String, emoji: &str, label: &str, value: impl Display) {
    let _ = write!(out, "\n{emoji} *{label}:* {value}");
}

/// Appends a command and its placeholders: `delpppoe [username] [alasan]`.
fn push_synopsis(out: &mut String, command: &str, args: &[&str]) {
    out.push_str(command);
    for arg in args {
        out.push_str(" [");
        out.push_str(arg);
        out.push(']');
    }
}

/// A command and its placeholders: `delpppoe [username] [alasan]`.
fn synopsis(command: &str, args: &[&str]) -> String {
    let mut out = String::new();
    push_synopsis(&mut out, command, args);
    out
}

/// Appends one entry of a menu of commands: `\n• {command} [{arg}]... - {what}`.
fn menu_item(out: &mut String, command: &str, args: &[&str], what: &str) {
    out.push_str("\n• ");
    push_synopsis(out, command, args);
    out.push_str(" - ");
    out.push_str(what);
}

/// Download and upload speeds: `50 Mbps↓ / 25 Mbps↑`.
pub(crate) fn speeds(download_bps: u64, upload_bps: u64) -> String {
    format!(
        "{}↓ / {}↑",
        format_speed(download_bps),
        format_speed(upload_bps)
    )
}

/// Renders replies in one language and time zone.
#[derive(Clone)]
pub struct Renderer {
    lang: Language,
    tz: Tz,
    /// The words of `lang`.
    lx: &'static Lexicon,
}

impl fmt::Debug for Renderer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Renderer")
            .field("lang", &self.lang)
            .field("tz", &self.tz)
            .finish_non_exhaustive()
    }
}

impl Renderer {
    /// A renderer.
    pub fn new(lang: Language, tz: Tz) -> Self {
        let lx = match lang {
            Language::Indonesian => &id::ID,
            Language::English => &en::EN,
        };
        Self { lang, tz, lx }
    }

    /// The language.
    pub fn language(&self) -> Language {
        self.lang
    }

    /// `dd/mm/yyyy HH:MM:SS` in the configured time zone.
    pub fn datetime(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.tz)
            .format("%d/%m/%Y %H:%M:%S")
            .to_string()
    }

    /// `dd/mm/yyyy` in the configured time zone.
    pub fn date(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.tz).format("%d/%m/%Y").to_string()
    }

    fn local(&self, at: NaiveDateTime) -> String {
        at.format("%d/%m/%Y %H:%M:%S").to_string()
    }

    fn steps(&self, out: &mut String, steps: &[&str]) {
        let _ = write!(out, "\n\n💡 *{}:*", self.lx.label_next_steps);
        for (i, step) in steps.iter().enumerate() {
            let _ = write!(out, "\n{}. {step}", i + 1);
        }
    }

    fn ip_text(&self, ip: Option<std::net::Ipv4Addr>) -> String {
        match ip {
            Some(ip) => ip.to_string(),
            None => self.lx.dynamic.to_owned(),
        }
    }

    /// `addpppoe` succeeded.
    #[allow(clippy::too_many_arguments)]
    pub fn added(
        &self,
        username: &str,
        password: &str,
        profile: &str,
        ip: Option<std::net::Ipv4Addr>,
        info: Option<&str>,
        at: DateTime<Utc>,
    ) -> String {
        let lx = self.lx;
        let mut out = format!("✅ *{}*\n", lx.title_added);
        line(&mut out, "👤", lx.label_username, username);
        line(&mut out, "🔑", lx.label_password, password);
        line(&mut out, "📊", lx.label_profile, profile);
        line(&mut out, "🌐", lx.label_ip_address, self.ip_text(ip));
        line(&mut out, "📱", lx.label_customer_info, info.unwrap_or("-"));
        line(&mut out, "🕒", lx.label_created_at, self.datetime(at));
        self.steps(&mut out, lx.steps_added);
        out
    }

    /// `editpppoe` succeeded; `kick` says what became of the active session (disable).
    pub fn edited(
        &self,
        username: &str,
        new: &NewValue,
        kick: SessionKick,
        at: DateTime<Utc>,
    ) -> String {
        let lx = self.lx;
        let field = new.field();
        let value = match new {
            NewValue::Password(p) => p.expose().to_owned(),
            NewValue::Package(p) => p.name.clone(),
            NewValue::Ip(Some(ip)) => ip.to_string(),
            NewValue::Ip(None) => format!("- ({})", lx.no_static_ip),
            NewValue::Status(s) => s.as_str().to_owned(),
            NewValue::Info(Some(c)) => c.as_str().to_owned(),
            NewValue::Info(None) => "-".to_owned(),
        };
        let mut out = format!("✅ *{}*\n", lx.title_edited);
        line(&mut out, "👤", lx.label_username, username);
        line(&mut out, "📝", lx.label_field, field.as_str());
        line(&mut out, "🆕", lx.label_new_value, value);
        line(&mut out, "🕒", lx.label_updated_at, self.datetime(at));
        self.session_line(&mut out, username, kick, false);
        let steps = match field {
            EditField::Profile => lx.steps_edit_profile,
            EditField::Password => lx.steps_edit_password,
            EditField::Ip => lx.steps_edit_ip,
            EditField::Status => lx.steps_edit_status,
            EditField::Info => lx.steps_edit_info,
        };
        self.steps(&mut out, steps);
        out
    }

    fn summary(&self, out: &mut String, summary: &Summary<'_>) {
        let lx = self.lx;
        let s = summary.secret;
        let profile = summary
            .profile
            .map_or(s.profile.as_str(), |p| p.name.as_str());
        out.push('\n');
        line(out, "📊", lx.label_profile, profile);
        let _ = write!(out, "\n{}", self.status_line(s.disabled));
        let _ = write!(out, "\n{}", self.connection_line(summary.online));
        if let Some(ip) = s.remote_address {
            line(out, "🌐", lx.label_ip_address, ip);
        }
        if let Some(c) = &s.comment {
            line(out, "📱", lx.label_customer, c);
        }
    }

    /// The title, the question and the summary shared by both confirmations.
    fn delete_question(&self, summary: &Summary<'_>) -> String {
        let mut out = format!(
            "⚠️ *{}*\n\n{}",
            self.lx.title_delete_confirmation,
            (self.lx.delete_question)(&summary.secret.name)
        );
        self.summary(&mut out, summary);
        out
    }

    /// `delpppoe USER` without a reason (the spec's confirmation).
    pub fn delete_confirmation(&self, summary: &Summary<'_>) -> String {
        let lx = self.lx;
        let name = &summary.secret.name;
        let mut out = self.delete_question(summary);
        let _ = write!(
            out,
            "\n\n{}:\ndelpppoe {name} [{}]\n\n{}:\ndelpppoe {name} {}",
            lx.resend_with_reason, lx.arg_deletion_reason, lx.label_example, lx.example_reason,
        );
        out
    }

    /// `delpppoe USER REASON` in code mode: the summary and the code to send back.
    pub fn delete_code(
        &self,
        summary: &Summary<'_>,
        reason: &str,
        code: &str,
        valid_for: Duration,
    ) -> String {
        let minutes = valid_for.as_secs() / 60;
        let mut out = self.delete_question(summary);
        line(&mut out, "🗑️", self.lx.label_reason, reason);
        let _ = write!(out, "\n\n{}:\nya {code}", (self.lx.reply_within)(minutes));
        out
    }

    /// The user was deleted; `kick` says what became of the active session.
    pub fn deleted(
        &self,
        username: &str,
        reason: &str,
        kick: SessionKick,
        at: DateTime<Utc>,
    ) -> String {
        let lx = self.lx;
        let mut out = format!("✅ *{}*\n", lx.title_deleted);
        line(&mut out, "👤", lx.label_username, username);
        line(&mut out, "🗑️", lx.label_reason, reason);
        line(&mut out, "🕒", lx.label_deleted_at, self.datetime(at));
        self.session_line(&mut out, username, kick, true);
        self.steps(&mut out, lx.steps_deleted);
        out
    }

    /// The line about the active session after a delete or a disable; for a failed or
    /// unconfirmed disconnect it says what was done, what was not, and what to do.
    fn session_line(&self, out: &mut String, username: &str, kick: SessionKick, deleted: bool) {
        let lx = self.lx;
        let done = if deleted {
            lx.user_deleted
        } else {
            lx.user_disabled
        };
        match kick {
            SessionKick::NotConnected => {}
            SessionKick::Disconnected => {
                line(out, "🔌", lx.label_active_session, lx.session_dropped);
            }
            SessionKick::Failed => {
                let text = (lx.kick_failed)(done, username);
                line(out, "⚠️", lx.label_active_session, text);
            }
            SessionKick::Unconfirmed => {
                let text = (lx.kick_unconfirmed)(done, username);
                line(out, "⚠️", lx.label_active_session, text);
            }
        }
    }

    fn status_line(&self, disabled: bool) -> String {
        let lx = self.lx;
        if disabled {
            format!("🔴 *{}:* {}", lx.label_status, lx.disabled)
        } else {
            format!("🟢 *{}:* {}", lx.label_status, lx.enabled)
        }
    }

    fn connection_line(&self, online: bool) -> String {
        let lx = self.lx;
        if online {
            format!("🟢 *{}:* {}", lx.label_connection, lx.connected)
        } else {
            format!("🔴 *{}:* {}", lx.label_connection, lx.disconnected)
        }
    }

    /// The menu of commands that ends `help` and `pppoe`.
    fn command_menu(&self, out: &mut String) {
        let lx = self.lx;
        let _ = write!(out, "\n\n💡 *{}:*", lx.label_available_commands);
        let add = [
            lx.arg_user,
            lx.arg_pass,
            lx.arg_profile,
            lx.arg_ip,
            lx.arg_info,
        ];
        menu_item(out, "addpppoe", &add, lx.menu_add);
        let edit = [lx.arg_user, lx.arg_field, lx.arg_value];
        menu_item(out, "editpppoe", &edit, lx.menu_edit);
        menu_item(
            out,
            "delpppoe",
            &[lx.arg_user, lx.arg_reason],
            lx.menu_delete,
        );
        menu_item(out, "pppoe", &[lx.arg_filter], lx.menu_list);
        menu_item(out, "help pppoe", &[], lx.menu_help);
    }

    /// One page of `pppoe`.
    pub fn list(&self, view: &ListView<'_>, profiles: &ProfileTable) -> String {
        let lx = self.lx;
        let mut out = format!("📋 *{}*", lx.title_list);
        let first = (view.page as usize - 1) * view.page_size as usize;
        if view.items.is_empty() {
            out.push_str("\n\n");
            if view.total == 0 {
                match view.filter {
                    Some(f) => out.push_str(&(lx.list_no_match)(f)),
                    None => out.push_str(lx.list_none),
                }
            } else {
                let pages = view.total.div_ceil(view.page_size as usize);
                out.push_str(&(lx.list_page_empty)(view.page, view.total, pages));
            }
        }
        out.reserve(view.items.len() * 160);
        // The longest reply: its labels are written out once, not once per user.
        let (enabled, disabled) = (self.status_line(false), self.status_line(true));
        let profile_label = format!("\n   📊 *{}:* ", lx.label_profile);
        let ip_label = format!("\n   🌐 *{}:* ", lx.label_ip);
        let customer_label = format!("\n   📱 *{}:* ", lx.label_customer);
        let created_label = format!("\n   🕒 *{}:* ", lx.label_created);
        for (i, (item, created)) in view.items.iter().enumerate() {
            let s = &item.secret;
            let profile = profiles
                .by_router_profile(&s.profile)
                .map_or(s.profile.as_str(), |p| p.name.as_str());
            let status = if s.disabled { &disabled } else { &enabled };
            let _ = write!(out, "\n\n{}. {}\n   {status}", first + i + 1, s.name);
            out.push_str(&profile_label);
            out.push_str(profile);
            out.push_str(&ip_label);
            match s.remote_address {
                Some(ip) => {
                    let _ = write!(out, "{ip}");
                }
                None => out.push_str(lx.dynamic),
            }
            out.push_str(&customer_label);
            out.push_str(s.comment.as_deref().map_or("-", customer_name));
            out.push_str(&created_label);
            match created {
                Some(c) => {
                    let _ = write!(out, "{}", c.with_timezone(&self.tz).format("%d/%m/%Y"));
                }
                None => out.push('-'),
            }
        }
        let shown_to = first + view.items.len();
        let paged = view.total > view.page_size as usize || view.page > 1;
        if !view.items.is_empty() && paged {
            let next = if shown_to < view.total {
                let cmd = match view.filter {
                    Some(f) => format!("pppoe {f} {}", view.page + 1),
                    None => format!("pppoe {}", view.page + 1),
                };
                format!("\n➡️ {}: {cmd}", lx.list_next_page)
            } else {
                String::new()
            };
            let _ = write!(
                out,
                "\n\n📄 {}{next}",
                (lx.list_showing)(first + 1, shown_to, view.total)
            );
        }
        self.command_menu(&mut out);
        out
    }

    /// `checkpppoe`.
    pub fn status(&self, view: &StatusView<'_>, now: DateTime<Utc>) -> String {
        let lx = self.lx;
        let s = view.secret;
        let profile = view.profile.map_or(s.profile.as_str(), |p| p.name.as_str());
        let mut out = format!("📊 *{}*\n", lx.title_status);
        line(&mut out, "👤", lx.label_username, &s.name);
        line(&mut out, "📊", lx.label_profile, profile);
        let _ = write!(
            out,
            "\n{}\n{}",
            self.status_line(s.disabled),
            self.connection_line(view.session.is_some()),
        );
        let ip = view.session.and_then(|a| a.address).or(s.remote_address);
        let ip = ip.map_or_else(|| "-".to_owned(), |ip| ip.to_string());
        line(&mut out, "🌐", lx.label_ip_address, ip);
        let caller = view
            .session
            .and_then(|a| a.caller_id.as_deref())
            .or(s.last_caller_id.as_deref());
        if let Some(caller) = caller {
            line(&mut out, "📟", lx.label_caller_id, caller);
        }
        match view.session {
            Some(session) => {
                if let Some(up) = session.uptime {
                    line(&mut out, "⏱️", lx.label_uptime, self.duration(up));
                }
                line(&mut out, "🕒", lx.label_last_seen, self.datetime(now));
            }
            None => {
                let seen = s
                    .last_logged_out
                    .map_or_else(|| "-".to_owned(), |t| self.local(t));
                line(&mut out, "🕒", lx.label_last_seen, seen);
            }
        }
        let bandwidth = view
            .profile
            .map_or_else(|| "-".to_owned(), |p| speeds(p.download_bps, p.upload_bps));
        line(&mut out, "📈", lx.label_bandwidth, bandwidth);
        if let Some(t) = view.traffic {
            let traffic = speeds(t.download_bps, t.upload_bps);
            line(&mut out, "📶", lx.label_current_traffic, traffic);
        }
        line(
            &mut out,
            "📱",
            lx.label_customer,
            s.comment.as_deref().unwrap_or("-"),
        );
        if let Some(point) = view.location {
            out.push_str(&self.subscriber_location(point));
        }
        let n = &s.name;
        let _ = write!(out, "\n\n💡 *{}:*", lx.label_available_commands);
        let edit = [lx.arg_field, lx.arg_value];
        menu_item(
            &mut out,
            &format!("editpppoe {n}"),
            &edit,
            lx.menu_edit_user,
        );
        let delete = [lx.arg_reason];
        menu_item(
            &mut out,
            &format!("delpppoe {n}"),
            &delete,
            lx.menu_delete_user,
        );
        let restart = format!("restartpppoe {n}");
        menu_item(&mut out, &restart, &[], lx.menu_restart_user);
        out
    }

    /// An uptime for people: `2d 1h 5m`, `3h 25m`, `4m 10s` (`2 hari 1 jam 5 menit`, ...).
    pub fn duration(&self, d: Duration) -> String {
        let lx = self.lx;
        let secs = d.as_secs();
        let (days, hours, mins, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
        let parts: Vec<(u64, &str)> = if days > 0 {
            vec![
                (days, lx.unit_days),
                (hours, lx.unit_hours),
                (mins, lx.unit_minutes),
            ]
        } else if hours > 0 {
            vec![(hours, lx.unit_hours), (mins, lx.unit_minutes)]
        } else {
            vec![(mins, lx.unit_minutes), (s, lx.unit_seconds)]
        };
        parts
            .into_iter()
            .map(|(n, u)| format!("{n}{u}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// `restartpppoe` removed the session.
    pub fn restarted(&self, username: &str, at: DateTime<Utc>) -> String {
        let lx = self.lx;
        let mut out = format!("🔄 *{}*\n", lx.title_restarted);
        line(&mut out, "👤", lx.label_username, username);
        line(&mut out, "🕒", lx.label_restarted_at, self.datetime(at));
        self.steps(&mut out, lx.steps_restarted);
        out
    }

    /// `restartpppoe` for a user who is not connected.
    pub fn not_connected(&self, username: &str) -> String {
        let lx = self.lx;
        format!(
            "ℹ️ *{}*\n\n{}\n\n💡 {}: checkpppoe {username}",
            lx.title_not_connected,
            (lx.not_connected)(username),
            lx.check_status,
        )
    }

    /// `help pppoe`: the command reference.
    pub fn help_pppoe(&self, profiles: &ProfileTable, code_mode: bool) -> String {
        let lx = self.lx;
        let mut out = format!("📖 *{}*\n", lx.title_help_pppoe);
        let entries: [(CommandKind, &str, &str); 6] = [
            (
                CommandKind::Add,
                lx.help_add,
                "addpppoe john123 password123 Premium 192.168.1.100 \"John Doe - Jl. Contoh No. 123\"",
            ),
            (
                CommandKind::Edit,
                lx.help_edit,
                self.example(CommandKind::Edit),
            ),
            (
                CommandKind::Delete,
                lx.help_delete,
                self.example(CommandKind::Delete),
            ),
            (CommandKind::List, lx.help_list, "pppoe Premium 2"),
            (
                CommandKind::Check,
                lx.help_check,
                self.example(CommandKind::Check),
            ),
            (
                CommandKind::Restart,
                lx.help_restart,
                self.example(CommandKind::Restart),
            ),
        ];
        for (i, (kind, about, example)) in entries.iter().enumerate() {
            let _ = write!(
                out,
                "\n{}. *{}*\n{about}\n{}: {example}\n",
                i + 1,
                self.usage(*kind),
                lx.label_example
            );
        }
        if code_mode {
            let minutes = CONFIRMATION_TTL.as_secs() / 60;
            let _ = write!(out, "\n🔐 {}\n", (lx.help_code_mode)(minutes));
        }
        let _ = write!(out, "\n📊 *{}:*", lx.label_available_profiles);
        for p in profiles.iter() {
            let _ = write!(
                out,
                "\n• {} - {}",
                p.name,
                speeds(p.download_bps, p.upload_bps)
            );
        }
        out
    }

    /// `help`: a short menu.
    pub fn help_general(&self) -> String {
        let lx = self.lx;
        let mut out = format!("🤖 *{}*\n\n{}", lx.title_help_general, lx.help_intro);
        self.command_menu(&mut out);
        menu_item(&mut out, "checkpppoe", &[lx.arg_user], lx.menu_check);
        menu_item(&mut out, "restartpppoe", &[lx.arg_user], lx.menu_restart);
        self.isolir_menu(&mut out);
        self.watch_menu(&mut out);
        self.ticket_menu(&mut out);
        out
    }

    fn error(&self, title: &str, detail: &str, example: Option<&str>) -> String {
        let mut out = format!("❌ *{title}*\n\n{detail}");
        if let Some(example) = example {
            let _ = write!(
                out,
                "\n\n💡 *{}:*\n{example}",
                self.lx.label_correct_example
            );
        }
        out
    }

    /// A correct example of a command.
    pub fn example(&self, kind: CommandKind) -> &'static str {
        match kind {
            CommandKind::Add => "addpppoe john123 password123 Premium 192.168.1.100 \"John Doe\"",
            CommandKind::Edit => "editpppoe john123 profile VIP",
            CommandKind::Delete => self.lx.example_delete,
            CommandKind::Confirm => "ya 4821",
            CommandKind::List => "pppoe Premium",
            CommandKind::Check => "checkpppoe john123",
            CommandKind::Restart => "restartpppoe john123",
            CommandKind::Help => "help pppoe",
            kind => self.ticket_example(kind),
        }
    }

    /// A command's usage line, with its placeholders in this language:
    /// `delpppoe [username] [alasan]`.
    fn usage(&self, kind: CommandKind) -> String {
        let lx = self.lx;
        let args: &[&str] = match kind {
            CommandKind::Add => &[
                lx.arg_username,
                lx.arg_password,
                lx.arg_profile,
                lx.arg_ip,
                lx.arg_info,
            ],
            CommandKind::Edit => &[lx.arg_username, lx.arg_field, lx.arg_value],
            CommandKind::Delete => &[lx.arg_username, lx.arg_reason],
            CommandKind::Confirm => &[lx.arg_code],
            CommandKind::List => &[lx.arg_filter, lx.arg_page],
            CommandKind::Check | CommandKind::Restart => &[lx.arg_username],
            CommandKind::Help => return "help pppoe".to_owned(),
            kind => return self.ticket_usage(kind),
        };
        synopsis(kind.word(), args)
    }

    /// An argument's placeholder in this language.
    fn placeholder(&self, arg: Arg) -> &'static str {
        let lx = self.lx;
        match arg {
            Arg::Username => lx.arg_username,
            Arg::Password => lx.arg_password,
            Arg::Profile => lx.arg_profile,
            Arg::Field => lx.arg_field,
            Arg::Value => lx.arg_value,
            Arg::Code => lx.arg_code,
            Arg::Ticket
            | Arg::Text
            | Arg::Technician
            | Arg::Complaint
            | Arg::Reason
            | Arg::Target => self.ticket_placeholder(arg),
        }
    }

    /// A grammar error.
    pub fn parse_error(&self, err: &ParseError) -> String {
        let lx = self.lx;
        match err {
            ParseError::Empty => self.unknown_command(""),
            ParseError::UnknownCommand { found } => self.unknown_command(found),
            ParseError::TooLong { len, max } => self.error(
                lx.title_too_long,
                &(lx.too_long)(*len, *max),
                Some("help pppoe"),
            ),
            ParseError::MissingArgument { command, missing } => {
                let what = format!("*{}*", self.placeholder(*missing));
                let detail = format!(
                    "{command}: {}\n{}: {}",
                    (lx.missing_argument)(&what),
                    lx.label_format,
                    self.usage(*command)
                );
                let example = self.example_for_arg(*command, *missing);
                self.error(lx.title_wrong_format, &detail, Some(example))
            }
            ParseError::TooManyArguments { command, found, .. } => {
                let detail = format!(
                    "{command}: {}\n{}: {}",
                    (lx.unexpected_word)(found),
                    lx.label_format,
                    self.usage(*command)
                );
                let example = self.example(*command);
                self.error(lx.title_wrong_format, &detail, Some(example))
            }
            ParseError::UnknownField { found } => self.error(
                lx.title_unknown_field,
                &(lx.unknown_field)(found),
                Some(self.example(CommandKind::Edit)),
            ),
            ParseError::UnknownPeriod { found } => {
                let (title, detail) = self.bad_period(found);
                self.error(title, &detail, Some("laporan minggu"))
            }
            ParseError::BadPage { found, command, .. } => self.error(
                lx.title_bad_page,
                &(lx.bad_page)(found),
                Some(if *command == CommandKind::Tickets {
                    "tiket semua 2"
                } else {
                    "pppoe Premium 2"
                }),
            ),
        }
    }

    fn example_for_arg(&self, command: CommandKind, arg: Arg) -> &'static str {
        match (command, arg) {
            (CommandKind::Edit, Arg::Value) => "editpppoe john123 profile VIP",
            _ => self.example(command),
        }
    }

    /// A field that broke its rule, for `command`.
    pub fn field_error(&self, command: CommandKind, err: &FieldError) -> String {
        let lx = self.lx;
        let (title, detail) = match err {
            FieldError::Username(e) => (
                lx.title_bad_username,
                match e {
                    UsernameError::Empty => lx.username_empty.to_owned(),
                    UsernameError::TooLong { len, max } => (lx.username_too_long)(*len, *max),
                    UsernameError::BadChar { found } => (lx.username_bad_char)(*found),
                },
            ),
            FieldError::Password(e) => (
                lx.title_bad_password,
                match e {
                    PasswordError::TooShort { len, min } => (lx.password_too_short)(*len, *min),
                    PasswordError::TooLong { len, max } => (lx.password_too_long)(*len, *max),
                    PasswordError::BadChar => lx.password_bad_char.to_owned(),
                },
            ),
            FieldError::Profile { found, available } => (
                lx.title_bad_profile,
                (lx.unknown_profile)(found, &available.join(", ")),
            ),
            FieldError::Ip(e) => (lx.title_bad_ip, self.ip_error(e)),
            FieldError::Status(found) => (lx.title_bad_status, (lx.bad_status)(found)),
            FieldError::Info(CustomerInfoError::TooLong { len, max }) => {
                (lx.title_info_too_long, (lx.info_too_long)(*len, *max))
            }
            FieldError::Ticket(e) => self.bad_ticket_id(&e.0),
            FieldError::Customer(found) => self.bad_customer_phone(found),
            FieldError::Technician { found, known } => self.unknown_technician(found, known),
        };
        let example = match (command, err) {
            (CommandKind::Edit, FieldError::Password(_)) => {
                "editpppoe john123 password password456"
            }
            (CommandKind::Edit, FieldError::Profile { .. }) => "editpppoe john123 profile VIP",
            (CommandKind::Edit, FieldError::Ip(_)) => "editpppoe john123 ip 192.168.1.200",
            (CommandKind::Edit, FieldError::Status(_)) => "editpppoe john123 status disable",
            (CommandKind::Edit, FieldError::Info(_)) => {
                "editpppoe john123 info John Doe - Jl. Contoh No. 123"
            }
            (CommandKind::Add, FieldError::Customer(_)) => {
                "addpppoe john123 password123 Premium wa=081234567890 \"John Doe\""
            }
            (kind, _) => self.example(kind),
        };
        self.error(title, &detail, Some(example))
    }

    fn ip_error(&self, e: &StaticIpError) -> String {
        let lx = self.lx;
        let what = match e {
            StaticIpError::Malformed(text) => (lx.ip_malformed)(text),
            StaticIpError::Unspecified(ip) => (lx.ip_unspecified)(*ip),
            StaticIpError::Loopback(ip) => (lx.ip_loopback)(*ip),
            StaticIpError::Multicast(ip) => (lx.ip_multicast)(*ip),
            StaticIpError::Broadcast(ip) => (lx.ip_broadcast)(*ip),
            StaticIpError::LinkLocal(ip) => (lx.ip_link_local)(*ip),
            StaticIpError::Network(ip) => (lx.ip_network)(*ip),
            StaticIpError::OutsidePools { ip, pools } => (lx.ip_outside_pools)(*ip, pools),
        };
        format!("{what}\n{}", lx.ip_rule)
    }

    /// The IP is used by another secret or session (the spec's "IP Address Conflict").
    pub fn ip_conflict(
        &self,
        command: CommandKind,
        ip: std::net::Ipv4Addr,
        user: &IpUser,
    ) -> String {
        let lx = self.lx;
        let detail = match user {
            IpUser::Secret(name) => (lx.ip_used_by_user)(ip, name),
            IpUser::Active(name) => (lx.ip_used_by_session)(ip, name),
        };
        let example = match command {
            CommandKind::Edit => "editpppoe john123 ip 192.168.1.200",
            _ => self.example(CommandKind::Add),
        };
        self.error(lx.title_ip_conflict, &detail, Some(example))
    }

    /// No secret of that name.
    pub fn not_found(&self, username: &str) -> String {
        let prefix: String = username.chars().take(4).collect();
        self.error(
            self.lx.title_not_found,
            &(self.lx.not_found)(username),
            Some(&format!("pppoe {prefix}")),
        )
    }

    /// A secret of that name exists already.
    pub fn already_exists(&self, username: &str) -> String {
        self.error(
            self.lx.title_already_exists,
            &(self.lx.already_exists)(username),
            Some("addpppoe john124 password123 Premium"),
        )
    }

    /// The router refused a command (`!trap`), in plain words.
    pub fn router_refused(&self, text: &str) -> String {
        let lx = self.lx;
        format!(
            "❌ *{}*\n\n{}: {text}\n\n{}",
            lx.title_router_refused, lx.label_router_message, lx.nothing_changed
        )
    }

    /// The router has no profile the table maps to: a configuration problem.
    pub fn router_profile_missing(&self, profile: &str) -> String {
        let lx = self.lx;
        format!(
            "❌ *{}*\n\n{}",
            lx.title_router_profile_missing,
            (lx.router_profile_missing)(profile)
        )
    }

    /// An internal failure: a short message and an incident id, never internal error text.
    pub fn internal_error(&self, incident: &str, unreachable: bool) -> String {
        let lx = self.lx;
        let cause = if unreachable {
            lx.router_unreachable
        } else {
            lx.not_processed
        };
        let mut out = format!(
            "⚠️ *{}*\n\n{cause} {}",
            lx.title_internal_error, lx.try_again_later
        );
        line(&mut out, "🆔", lx.label_incident, incident);
        out
    }

    /// A change was sent but the router never confirmed it, and could not be read back: it may
    /// or may not have been applied. Never "try again": check first.
    pub fn unknown_result(&self, command: &str, username: Option<&str>, incident: &str) -> String {
        let lx = self.lx;
        let check = match username {
            Some(u) => format!("checkpppoe {u}"),
            None => "pppoe".to_owned(),
        };
        let mut out = format!(
            "❓ *{}*\n\n{}\n\n💡 {}",
            lx.title_unknown_result,
            (lx.unknown_result)(command),
            (lx.unknown_result_advice)(&check)
        );
        line(&mut out, "🆔", lx.label_incident, incident);
        out
    }

    /// The router refused the bot's own login: a configuration problem for the admin.
    pub fn router_login_refused(&self, incident: &str) -> String {
        let lx = self.lx;
        let mut out = format!(
            "⛔ *{}*\n\n{}",
            lx.title_router_login_refused, lx.router_login_refused
        );
        line(&mut out, "🆔", lx.label_incident, incident);
        out
    }

    /// The router's TLS certificate is not the configured one.
    pub fn router_certificate(&self, incident: &str) -> String {
        let lx = self.lx;
        let mut out = format!(
            "⛔ *{}*\n\n{}",
            lx.title_router_certificate, lx.router_certificate
        );
        line(&mut out, "🆔", lx.label_incident, incident);
        out
    }

    /// Every slot of the router connection stayed busy: the command was not sent.
    pub fn router_busy(&self) -> String {
        format!(
            "⏳ *{}*\n\n{}",
            self.lx.title_router_busy, self.lx.router_busy
        )
    }

    /// A static IP turned out to be used by someone else once our change was on the router
    /// (another change landed at the same moment); our change was undone, or not.
    pub fn ip_conflict_after_write(
        &self,
        command: CommandKind,
        ip: std::net::Ipv4Addr,
        user: &IpUser,
        username: &str,
        undone: bool,
    ) -> String {
        let lx = self.lx;
        let mut out = self.ip_conflict(command, ip, user);
        if !undone {
            // The change stands: a warning, not a refusal.
            out = out.replacen('❌', "⚠️", 1);
        }
        let (emoji, note) = match (command, undone) {
            (CommandKind::Add, true) => ("↩️", (lx.conflict_add_undone)(username)),
            (_, true) => ("↩️", (lx.conflict_ip_undone)(username)),
            (CommandKind::Add, false) => ("⚠️", (lx.conflict_add_stands)(username)),
            (_, false) => ("⚠️", (lx.conflict_ip_stands)(username, ip)),
        };
        let _ = write!(out, "\n\n{emoji} {note}");
        out
    }

    /// Appended to a successful add or IP change whose IP could not be read back.
    pub fn ip_not_verified(&self, ip: std::net::Ipv4Addr) -> String {
        format!("\n\n⚠️ {}", (self.lx.ip_not_verified)(ip))
    }

    /// The change was made but the audit log could not record it.
    pub fn audit_warning(&self, incident: &str) -> String {
        let lx = self.lx;
        format!(
            "\n\n⚠️ {} 🆔 *{}:* {incident}",
            lx.audit_failed, lx.label_incident
        )
    }

    /// The sender's role may not run the command.
    pub fn denied(&self, kind: CommandKind) -> String {
        format!(
            "⛔ *{}*\n\n{}",
            self.lx.title_denied,
            (self.lx.denied)(kind)
        )
    }

    /// The reply to senders that are not on the allowlist (only when configured to reply).
    pub fn unknown_sender(&self) -> String {
        format!("⛔ {}", self.lx.unknown_sender)
    }

    /// A change command from the backlog was skipped.
    pub fn stale(&self, command: &str, sent_at: DateTime<Utc>, age: Duration) -> String {
        let lx = self.lx;
        let minutes = age.as_secs() / 60;
        let age_text = if minutes == 0 {
            (lx.seconds)(age.as_secs())
        } else {
            (lx.minutes)(minutes)
        };
        format!(
            "⏭️ *{}*\n\n{}\n\n💡 {}",
            lx.title_stale,
            (lx.stale)(command, &self.datetime(sent_at), &age_text),
            lx.stale_advice
        )
    }

    /// The same change (`command`: its word and target), sent again by the same sender soon
    /// after it was done at `done_at`, was not run twice; `!` in front of the command `word`
    /// repeats it on purpose.
    pub fn repeated(&self, command: &str, word: &str, done_at: DateTime<Utc>) -> String {
        let lx = self.lx;
        let time = done_at
            .with_timezone(&self.tz)
            .format("%H:%M:%S")
            .to_string();
        format!(
            "⏭️ *{}*\n\n{}\n\n💡 {}",
            lx.title_repeated,
            (lx.repeated)(command, &time),
            (lx.repeated_advice)(word)
        )
    }

    /// A change whose earlier attempt was interrupted (the bot stopped between the router
    /// call and its audit record): it is not run again.
    pub fn interrupted(&self, command: &str, username: &str) -> String {
        let lx = self.lx;
        let check = if username.is_empty() {
            "pppoe".to_owned()
        } else {
            format!("checkpppoe {username}")
        };
        format!(
            "⚠️ *{}*\n\n{}\n\n💡 {}",
            lx.title_interrupted,
            (lx.interrupted)(command),
            (lx.interrupted_advice)(&check)
        )
    }

    /// Too many commands in the last minute.
    pub fn rate_limited(&self, per_minute: u32) -> String {
        let lx = self.lx;
        format!(
            "⏳ *{}*\n\n{}",
            lx.title_rate_limited,
            (lx.rate_limited)(per_minute)
        )
    }

    /// A word that is no command.
    pub fn unknown_command(&self, found: &str) -> String {
        let lx = self.lx;
        let shown: String = found.chars().take(30).collect();
        let what = if shown.is_empty() {
            lx.empty_message.to_owned()
        } else {
            (lx.unknown_command)(&shown)
        };
        format!("❓ {what} {}", (lx.send_help)("*help pppoe*"))
    }

    /// `ya CODE` with no matching pending delete.
    pub fn bad_code(&self, code: &str) -> String {
        let minutes = CONFIRMATION_TTL.as_secs() / 60;
        self.error(
            self.lx.title_bad_code,
            &(self.lx.bad_code)(code, minutes),
            Some(self.example(CommandKind::Delete)),
        )
    }
}

/// Splits a reply into messages of at most `max` characters, preferring blank lines, then line
/// ends, then any character boundary.
///
/// ```
/// use pppoe_core::split_message;
/// let text = format!("{}\n\n{}", "a".repeat(30), "b".repeat(30));
/// assert_eq!(split_message(&text, 40).len(), 2);
/// assert_eq!(split_message("short", 40), vec!["short".to_owned()]);
/// ```
pub fn split_message(text: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut parts = Vec::new();
    let mut rest = text;
    while rest.chars().count() > max {
        let limit = rest.char_indices().nth(max).map_or(rest.len(), |(i, _)| i);
        let window = &rest[..limit];
        let cut = window
            .rfind("\n\n")
            .filter(|&i| i > 0)
            .or_else(|| window.rfind('\n').filter(|&i| i > 0))
            .unwrap_or(limit);
        parts.push(rest[..cut].trim_end().to_owned());
        rest = rest[cut..].trim_start_matches('\n');
    }
    if !rest.is_empty() || parts.is_empty() {
        parts.push(rest.to_owned());
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_minute_is_singular_in_english() {
        let en = Renderer::new(Language::English, chrono_tz::Asia::Jakarta);
        let at = DateTime::UNIX_EPOCH;
        let text = en.stale("restartpppoe john123", at, Duration::from_secs(90));
        assert!(text.contains("(1 minute ago)"), "{text}");
        let text = en.stale("restartpppoe john123", at, Duration::from_secs(1));
        assert!(text.contains("(1 second ago)"), "{text}");
        let text = en.stale("restartpppoe john123", at, Duration::from_secs(600));
        assert!(text.contains("(10 minutes ago)"), "{text}");
    }

    #[test]
    fn split_respects_the_limit_and_loses_nothing() {
        let items: Vec<String> = (0..300).map(|i| format!("{i}. user{i}\n   line")).collect();
        let text = items.join("\n\n");
        let parts = split_message(&text, 4000);
        assert!(parts.len() > 1);
        assert!(parts.iter().all(|p| p.chars().count() <= 4000));
        assert_eq!(parts.join("\n\n"), text);
        let one_line = "x".repeat(9000);
        let parts = split_message(&one_line, 4000);
        assert_eq!(parts.len(), 3);
        assert_eq!(parts.concat(), one_line);
    }

    #[test]
    fn durations() {
        let r = Renderer::new(Language::English, chrono_tz::Asia::Jakarta);
        assert_eq!(r.duration(Duration::from_secs(59)), "0m 59s");
        assert_eq!(r.duration(Duration::from_secs(3 * 3600 + 61)), "3h 1m");
        assert_eq!(
            r.duration(Duration::from_secs(2 * 86_400 + 3600)),
            "2d 1h 0m"
        );
        let r = Renderer::new(Language::Indonesian, chrono_tz::Asia::Jakarta);
        assert_eq!(
            r.duration(Duration::from_secs(3 * 3600 + 61)),
            "3 jam 1 menit"
        );
        assert_eq!(r.duration(Duration::from_secs(70)), "1 menit 10 detik");
    }
}
