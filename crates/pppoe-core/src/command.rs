//! The command grammar: chat text in, a [`Command`] of raw arguments or a precise
//! [`ParseError`] out. Field rules (password length, known profile, usable IP) are checked
//! later by validation, once the profile table and the pools are known.
//!
//! Command words are case-insensitive; straight and curly double quotes group words; extra
//! spaces, a leading `/`, `!` or `.`, and trailing punctuation after command words, usernames,
//! profiles and fields are tolerated. Passwords are taken verbatim.

use std::fmt;
use std::net::Ipv4Addr;

use thiserror::Error;

use crate::domain::RawPassword;
use crate::profile::ProfileTable;

/// The kinds of command, used for permissions, audit and help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CommandKind {
    /// `addpppoe`
    Add,
    /// `editpppoe`
    Edit,
    /// `delpppoe`
    Delete,
    /// `ya CODE`, the confirmation of a delete in the stricter mode.
    Confirm,
    /// `pppoe`
    List,
    /// `checkpppoe`
    Check,
    /// `restartpppoe`
    Restart,
    /// `help`, `help pppoe`
    Help,
    /// `lapor`: open a trouble ticket.
    Report,
    /// `tiket`: list tickets, or show one.
    Tickets,
    /// `ambil`: take a ticket.
    Take,
    /// `serahkan`: give a ticket to a technician.
    Assign,
    /// `catatan`: a note on a ticket.
    Note,
    /// `selesai`: resolve a ticket.
    Resolve,
    /// `tutup`: close a resolved ticket.
    CloseTicket,
    /// `bukaulang`: reopen a resolved or closed ticket.
    Reopen,
    /// `laporan`: the technicians' performance report.
    Performance,
    /// `foto`: a photo or document as evidence (its caption).
    Photo,
    /// `lokasi`: a shared location as evidence (its caption).
    Location,
    /// `offline`: enabled subscribers without a session.
    Offline,
    /// `isolir USER [alasan]`: suspend a subscriber (unpaid), keeping what it changes.
    Isolate,
    /// `isolir` alone (or `daftarisolir [PAGE]`): the isolated subscribers.
    Isolated,
    /// `buka USER [catatan]`: lift an isolation, restoring exactly what it changed.
    Lift,
    /// `pantau USER`: be told when the subscriber connects or stays offline; `pantau` alone
    /// lists the sender's watches.
    Watch,
    /// `stop pantau USER`: no more of those messages.
    Unwatch,
}

impl CommandKind {
    /// Every kind, in help order.
    pub const ALL: [Self; 25] = [
        Self::Add,
        Self::Edit,
        Self::Delete,
        Self::Confirm,
        Self::List,
        Self::Check,
        Self::Restart,
        Self::Help,
        Self::Report,
        Self::Tickets,
        Self::Take,
        Self::Assign,
        Self::Note,
        Self::Resolve,
        Self::CloseTicket,
        Self::Reopen,
        Self::Performance,
        Self::Photo,
        Self::Location,
        Self::Offline,
        Self::Isolate,
        Self::Isolated,
        Self::Lift,
        Self::Watch,
        Self::Unwatch,
    ];

    /// The command word as technicians type it (and as the audit log records it).
    pub fn word(self) -> &'static str {
        match self {
            Self::Add => "addpppoe",
            Self::Edit => "editpppoe",
            Self::Delete => "delpppoe",
            Self::Confirm => "ya",
            Self::List => "pppoe",
            Self::Check => "checkpppoe",
            Self::Restart => "restartpppoe",
            Self::Help => "help",
            Self::Report => "lapor",
            Self::Tickets => "tiket",
            Self::Take => "ambil",
            Self::Assign => "serahkan",
            Self::Note => "catatan",
            Self::Resolve => "selesai",
            Self::CloseTicket => "tutup",
            Self::Reopen => "bukaulang",
            Self::Performance => "laporan",
            Self::Photo => "foto",
            Self::Location => "lokasi",
            Self::Offline => "offline",
            Self::Isolate => "isolir",
            Self::Isolated => "daftarisolir",
            Self::Lift => "buka",
            Self::Watch => "pantau",
            Self::Unwatch => "stoppantau",
        }
    }

    /// The English alias of the command word, where it has one.
    pub fn alias(self) -> Option<&'static str> {
        Some(match self {
            Self::Confirm => "yes",
            Self::Help => "bantuan",
            Self::Report => "report",
            Self::Tickets => "tickets",
            Self::Take => "take",
            Self::Assign => "assign",
            Self::Note => "note",
            Self::Resolve => "resolve",
            Self::CloseTicket => "close",
            Self::Reopen => "reopen",
            Self::Performance => "performance",
            Self::Photo => "photo",
            Self::Location => "location",
            Self::Offline => "down",
            Self::Isolate => "suspend",
            Self::Isolated => "suspended",
            Self::Lift => "unsuspend",
            Self::Watch => "watch",
            Self::Unwatch => "unwatch",
            _ => return None,
        })
    }

    /// Whether the command changes the router (and so must never run from a stale backlog).
    pub fn is_mutating(self) -> bool {
        matches!(
            self,
            Self::Add
                | Self::Edit
                | Self::Delete
                | Self::Confirm
                | Self::Restart
                | Self::Isolate
                | Self::Lift
        )
    }

    /// Whether the command changes a trouble ticket (the bot's database, not the router): it
    /// is claimed and guarded against repeats like a router change, but not skipped when it
    /// arrives late (a report sent while the bot was offline is still a report).
    pub fn changes_ticket(self) -> bool {
        matches!(
            self,
            Self::Report
                | Self::Take
                | Self::Assign
                | Self::Note
                | Self::Resolve
                | Self::CloseTicket
                | Self::Reopen
                | Self::Photo
                | Self::Location
        )
    }

    /// Whether the command keeps field evidence: each message is its own piece (three photos
    /// with the same caption are three photos), so the repeat guard does not apply.
    pub fn is_evidence(self) -> bool {
        matches!(self, Self::Photo | Self::Location)
    }

    /// Whether the command changes anything: the router or a ticket.
    pub fn is_change(self) -> bool {
        self.is_mutating() || self.changes_ticket()
    }

    /// Parses a command word as used in configuration (`addpppoe`, `pppoe`, `selesai`, ...).
    pub fn from_word(word: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.word().eq_ignore_ascii_case(word))
    }
}

impl fmt::Display for CommandKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

/// The fields `editpppoe` can change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EditField {
    /// The secret's password.
    Password,
    /// The package (router profile).
    Profile,
    /// The static IP (`remote-address`); `-` clears it.
    Ip,
    /// enable / disable.
    Status,
    /// Customer information (`comment`); `-` clears it.
    Info,
}

impl EditField {
    /// The field's name in commands and replies.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::Profile => "profile",
            Self::Ip => "ip",
            Self::Status => "status",
            Self::Info => "info",
        }
    }

    pub(crate) fn parse(word: &str) -> Option<Self> {
        Some(match word.to_lowercase().as_str() {
            "password" | "pass" | "passwd" | "pw" | "sandi" => Self::Password,
            "profile" | "profil" | "paket" | "package" => Self::Profile,
            "ip" | "address" | "remote-address" | "alamat-ip" => Self::Ip,
            "status" | "state" => Self::Status,
            "info" | "comment" | "keterangan" | "customer" | "pelanggan" => Self::Info,
            _ => return None,
        })
    }
}

/// What `help` is asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelpTopic {
    /// `help`
    General,
    /// `help pppoe`
    Pppoe,
    /// `help tiket`
    Tickets,
}

/// The new value of an `editpppoe`, as typed, by field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditValue {
    /// `password NEW`: verbatim, and a secret from the moment it is read.
    Password(RawPassword),
    /// `profile NAME`.
    Profile(String),
    /// `ip ADDRESS` or `ip -`.
    Ip(String),
    /// `status enable|disable`.
    Status(String),
    /// `info TEXT...` (the rest of the line).
    Info(String),
}

impl EditValue {
    /// The field it changes.
    pub fn field(&self) -> EditField {
        match self {
            Self::Password(_) => EditField::Password,
            Self::Profile(_) => EditField::Profile,
            Self::Ip(_) => EditField::Ip,
            Self::Status(_) => EditField::Status,
            Self::Info(_) => EditField::Info,
        }
    }
}

/// A command with its arguments as typed (quotes removed), before field validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `addpppoe USER PASS PROFILE [IP] [INFO...]`
    Add {
        /// Username.
        username: String,
        /// Password, verbatim, never shown.
        password: RawPassword,
        /// Profile as typed.
        profile: String,
        /// The 4th token, when it looks like an IPv4 address.
        ip: Option<String>,
        /// The rest of the line.
        info: Option<String>,
        /// A `tiket=TR001` word after the profile: the ticket this installation is for.
        ticket: Option<String>,
        /// A `wa=0812...` word after the profile: the customer's WhatsApp number.
        customer: Option<String>,
    },
    /// `editpppoe USER FIELD VALUE`
    Edit {
        /// Username.
        username: String,
        /// The field and its new value (the rest of the line for `info`).
        value: EditValue,
    },
    /// `delpppoe USER [REASON...]`
    Delete {
        /// Username.
        username: String,
        /// Reason, the rest of the line.
        reason: Option<String>,
    },
    /// `ya CODE`
    Confirm {
        /// The code the bot sent.
        code: String,
    },
    /// `pppoe [FILTER] [PAGE]`
    List {
        /// Username substring, profile or status word.
        filter: Option<String>,
        /// 1-based page.
        page: u32,
    },
    /// `checkpppoe USER`
    Check {
        /// Username.
        username: String,
    },
    /// `restartpppoe USER`
    Restart {
        /// Username.
        username: String,
    },
    /// `help [pppoe]`
    Help {
        /// Topic.
        topic: HelpTopic,
    },
    /// `lapor [USER] KELUHAN...`: the engine asks the router whether the first word is a
    /// subscriber.
    Report {
        /// Everything after the command word.
        text: String,
    },
    /// `tiket [saya|semua|USER|TR001] [PAGE]`
    Tickets {
        /// Which tickets.
        view: TicketsView,
        /// 1-based page.
        page: u32,
    },
    /// `ambil TR001`
    Take {
        /// The ticket as typed.
        ticket: String,
    },
    /// `serahkan TR001 NOMOR|NAMA`
    Assign {
        /// The ticket as typed.
        ticket: String,
        /// The technician: a phone number or an allowlist name.
        to: String,
    },
    /// `catatan TR001 TEKS...`
    Note {
        /// The ticket as typed.
        ticket: String,
        /// The note.
        text: String,
    },
    /// `selesai TR001 TEKS...`
    Resolve {
        /// The ticket as typed.
        ticket: String,
        /// What was done.
        text: String,
    },
    /// `tutup TR001`
    CloseTicket {
        /// The ticket as typed.
        ticket: String,
    },
    /// `bukaulang TR001 ALASAN...`
    Reopen {
        /// The ticket as typed.
        ticket: String,
        /// Why.
        reason: String,
    },
    /// `laporan [hari|minggu|bulan]`
    Performance {
        /// The period.
        period: Period,
    },
    /// `foto TR001|USER [KETERANGAN...]`, the caption of a photo or document.
    Photo {
        /// The ticket or username as typed.
        target: String,
        /// The rest of the caption.
        caption: Option<String>,
    },
    /// `lokasi TR001|USER`, the caption of a location (or the confirmation of one sent just
    /// before).
    Location {
        /// The ticket or username as typed.
        target: String,
    },
    /// `offline [PAGE]`
    Offline {
        /// 1-based page.
        page: u32,
    },
    /// `isolir USER [ALASAN...]`
    Isolate {
        /// Username.
        username: String,
        /// Why, the rest of the line.
        reason: Option<String>,
    },
    /// `isolir`, `isolir daftar [PAGE]`, `daftarisolir [PAGE]`
    Isolated {
        /// 1-based page.
        page: u32,
    },
    /// `buka USER [CATATAN...]`
    Lift {
        /// Username.
        username: String,
        /// A note, the rest of the line.
        note: Option<String>,
    },
    /// `pantau [USER]`
    Watch {
        /// Username; none: list the sender's watches.
        username: Option<String>,
    },
    /// `stop pantau USER`, `stoppantau USER`
    Unwatch {
        /// Username.
        username: String,
    },
}

/// The period of `laporan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// `hari`: today, from local midnight.
    Day,
    /// `minggu`: the last 7 days, today included (the default).
    Week,
    /// `bulan`: the last 30 days, today included.
    Month,
}

impl Period {
    /// How many calendar days it covers, today included.
    pub fn days(self) -> u32 {
        match self {
            Self::Day => 1,
            Self::Week => 7,
            Self::Month => 30,
        }
    }

    /// The period's word in commands.
    pub fn word(self) -> &'static str {
        match self {
            Self::Day => "hari",
            Self::Week => "minggu",
            Self::Month => "bulan",
        }
    }

    fn parse(word: &str) -> Option<Self> {
        Some(match word.to_lowercase().as_str() {
            "hari" | "harian" | "day" | "today" | "hariini" => Self::Day,
            "minggu" | "mingguan" | "week" | "weekly" | "pekan" => Self::Week,
            "bulan" | "bulanan" | "month" | "monthly" => Self::Month,
            _ => return None,
        })
    }
}

/// Which tickets `tiket` shows, as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketsView {
    /// `tiket`: open and in progress.
    Active,
    /// `tiket saya`: mine, open and in progress.
    Mine,
    /// `tiket semua`: every ticket, closed ones too.
    All,
    /// `tiket TR001`: one ticket with its history.
    One(String),
    /// `tiket USER`: a subscriber's tickets.
    Subscriber(String),
}

impl Command {
    /// The command's kind.
    pub fn kind(&self) -> CommandKind {
        match self {
            Self::Add { .. } => CommandKind::Add,
            Self::Edit { .. } => CommandKind::Edit,
            Self::Delete { .. } => CommandKind::Delete,
            Self::Confirm { .. } => CommandKind::Confirm,
            Self::List { .. } => CommandKind::List,
            Self::Check { .. } => CommandKind::Check,
            Self::Restart { .. } => CommandKind::Restart,
            Self::Help { .. } => CommandKind::Help,
            Self::Report { .. } => CommandKind::Report,
            Self::Tickets { .. } => CommandKind::Tickets,
            Self::Take { .. } => CommandKind::Take,
            Self::Assign { .. } => CommandKind::Assign,
            Self::Note { .. } => CommandKind::Note,
            Self::Resolve { .. } => CommandKind::Resolve,
            Self::CloseTicket { .. } => CommandKind::CloseTicket,
            Self::Reopen { .. } => CommandKind::Reopen,
            Self::Performance { .. } => CommandKind::Performance,
            Self::Photo { .. } => CommandKind::Photo,
            Self::Location { .. } => CommandKind::Location,
            Self::Offline { .. } => CommandKind::Offline,
            Self::Isolate { .. } => CommandKind::Isolate,
            Self::Isolated { .. } => CommandKind::Isolated,
            Self::Lift { .. } => CommandKind::Lift,
            Self::Watch { .. } => CommandKind::Watch,
            Self::Unwatch { .. } => CommandKind::Unwatch,
        }
    }

    /// The username or the ticket the command is about, if any.
    pub fn target(&self) -> Option<&str> {
        match self {
            Self::Add { username, .. }
            | Self::Edit { username, .. }
            | Self::Delete { username, .. }
            | Self::Check { username }
            | Self::Restart { username }
            | Self::Isolate { username, .. }
            | Self::Lift { username, .. }
            | Self::Unwatch { username }
            | Self::Watch {
                username: Some(username),
            } => Some(username),
            Self::Take { ticket }
            | Self::Assign { ticket, .. }
            | Self::Note { ticket, .. }
            | Self::Resolve { ticket, .. }
            | Self::CloseTicket { ticket }
            | Self::Reopen { ticket, .. } => Some(ticket),
            Self::Tickets {
                view: TicketsView::One(t) | TicketsView::Subscriber(t),
                ..
            } => Some(t),
            Self::Photo { target, .. } | Self::Location { target } => Some(target),
            Self::Confirm { .. }
            | Self::List { .. }
            | Self::Help { .. }
            | Self::Report { .. }
            | Self::Tickets { .. }
            | Self::Performance { .. }
            | Self::Offline { .. }
            | Self::Isolated { .. }
            | Self::Watch { username: None } => None,
        }
    }

    /// The arguments for the audit log. Passwords are `***`, and so is any value that is not
    /// what its field takes (a profile not in `profiles`, an IP that is no IPv4 address, an
    /// unknown status word): a password typed in the wrong place never reaches the log.
    pub fn redacted_arguments(&self, profiles: &ProfileTable) -> String {
        let profile = |p: &str| {
            if profiles.parse(p).is_ok() {
                p.to_owned()
            } else {
                MASK.to_owned()
            }
        };
        let ip = |v: &str| {
            if is_ip_value(v) {
                v.to_owned()
            } else {
                MASK.to_owned()
            }
        };
        match self {
            Self::Add {
                username,
                password,
                profile: p,
                ip: address,
                info,
                ticket,
                customer,
            } => {
                let mut s = format!("{username} {MASK} {}", profile(p));
                if let Some(customer) = customer {
                    // A phone number, or something typed in its place (masked).
                    let shown = if customer
                        .chars()
                        .all(|c| c.is_ascii_digit() || " +-().".contains(c))
                    {
                        customer.as_str()
                    } else {
                        MASK
                    };
                    s.push_str(&format!(" wa={shown}"));
                }
                if let Some(ticket) = ticket {
                    let shown = if crate::ticket::TicketId::looks_like(ticket) {
                        ticket.as_str()
                    } else {
                        MASK
                    };
                    s.push_str(&format!(" tiket={shown}"));
                }
                if let Some(address) = address {
                    s.push(' ');
                    s.push_str(&ip(address));
                }
                // The information is shown only when the words before it are in their places
                // (a valid password, a known profile): in `addpppoe u1 Basic 10.0.0.1 Pass123x`
                // the "information" is the password typed one place too far.
                let in_place = password.check().is_ok() && profiles.parse(p).is_ok();
                match info {
                    Some(info) if in_place => {
                        // Nor the password written again in the information.
                        let info = info.replace(password.expose(), MASK);
                        s.push_str(&format!(" \"{info}\""));
                    }
                    Some(_) => s.push_str(&format!(" {MASK}")),
                    None => {}
                }
                s
            }
            Self::Edit { username, value } => {
                let shown = match value {
                    EditValue::Password(_) => MASK.to_owned(),
                    EditValue::Profile(p) => profile(p),
                    EditValue::Ip(v) => ip(v),
                    EditValue::Status(v) => {
                        if crate::domain::SubscriberStatus::parse(v).is_ok() {
                            v.clone()
                        } else {
                            MASK.to_owned()
                        }
                    }
                    EditValue::Info(v) => v.clone(),
                };
                format!("{username} {} {shown}", value.field().as_str())
            }
            Self::Delete { username, reason } => match reason {
                Some(r) => format!("{username} {r}"),
                None => username.clone(),
            },
            Self::Confirm { code } => code.clone(),
            Self::List { filter, page } => match filter {
                Some(f) => format!("{f} {page}"),
                None => page.to_string(),
            },
            Self::Check { username } | Self::Restart { username } => username.clone(),
            Self::Help { topic } => match topic {
                HelpTopic::General => String::new(),
                HelpTopic::Pppoe => "pppoe".to_owned(),
                HelpTopic::Tickets => "tiket".to_owned(),
            },
            // Ticket texts are what the technician wrote for others to read; they hold no
            // password the grammar could recognise.
            Self::Report { text } => text.clone(),
            Self::Tickets { view, page } => {
                let view = match view {
                    TicketsView::Active => "",
                    TicketsView::Mine => "saya",
                    TicketsView::All => "semua",
                    TicketsView::One(t) | TicketsView::Subscriber(t) => t,
                };
                format!("{view} {page}").trim().to_owned()
            }
            Self::Take { ticket } | Self::CloseTicket { ticket } => ticket.clone(),
            Self::Assign { ticket, to } => format!("{ticket} {to}"),
            Self::Note { ticket, text }
            | Self::Resolve { ticket, text }
            | Self::Reopen {
                ticket,
                reason: text,
            } => format!("{ticket} {text}"),
            Self::Performance { period } => period.word().to_owned(),
            Self::Photo { target, caption } => match caption {
                Some(c) => format!("{target} {c}"),
                None => target.clone(),
            },
            Self::Location { target } => target.clone(),
            Self::Offline { page } | Self::Isolated { page } => page.to_string(),
            Self::Watch { username } => username.clone().unwrap_or_default(),
            Self::Unwatch { username } => username.clone(),
            // A reason and a note are texts for others to read, like a delete's reason.
            Self::Isolate {
                username,
                reason: text,
            }
            | Self::Lift {
                username,
                note: text,
            } => match text {
                Some(t) => format!("{username} {t}"),
                None => username.clone(),
            },
        }
    }
}

/// What the audit log shows instead of a value that may be a password.
const MASK: &str = "***";

/// An `ip` value the audit log may show: an IPv4 address (with or without a prefix) or the
/// word that clears it.
fn is_ip_value(v: &str) -> bool {
    let addr = v.split_once('/').map_or(v, |(a, _)| a);
    addr.parse::<Ipv4Addr>().is_ok() || matches!(v, "-" | "none" | "kosong" | "hapus")
}

/// A positional argument, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    /// The username.
    Username,
    /// The password.
    Password,
    /// The profile.
    Profile,
    /// The field of `editpppoe`.
    Field,
    /// The new value of `editpppoe`.
    Value,
    /// The confirmation code.
    Code,
    /// A ticket id.
    Ticket,
    /// The note or resolution of a ticket command.
    Text,
    /// The complaint of `lapor`.
    Complaint,
    /// Why a ticket is reopened.
    Reason,
    /// The technician a ticket is given to.
    Technician,
    /// A ticket or a username (`foto`, `lokasi`).
    Target,
}

impl Arg {
    /// The argument's placeholder as written in the command reference.
    pub fn placeholder(self) -> &'static str {
        match self {
            Self::Username => "username",
            Self::Password => "password",
            Self::Profile => "profile",
            Self::Field => "field",
            Self::Value => "value",
            Self::Code => "kode",
            Self::Ticket => "tiket",
            Self::Text => "teks",
            Self::Complaint => "keluhan",
            Self::Reason => "alasan",
            Self::Technician => "nomor",
            Self::Target => "tiket/user",
        }
    }
}

/// Why a text is not a command. Each variant carries what was expected and what was found; the
/// renderer adds a correct example. `Display` (what the audit log stores) names the kind and
/// the position of the offending word, never the word itself: it may be a password typed in
/// the wrong place.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ParseError {
    /// Blank message.
    #[error("empty message")]
    Empty,
    /// Longer than the configured maximum.
    #[error("message is {len} characters long, at most {max} are accepted")]
    TooLong {
        /// Characters found.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The first word is no command.
    #[error("unknown command word (word 1)")]
    UnknownCommand {
        /// The first word.
        found: String,
    },
    /// A required argument is missing.
    #[error("{command}: missing {}", missing.placeholder())]
    MissingArgument {
        /// The command.
        command: CommandKind,
        /// The first missing argument.
        missing: Arg,
    },
    /// More arguments than the command takes.
    #[error("{command}: unexpected word {position}")]
    TooManyArguments {
        /// The command.
        command: CommandKind,
        /// The first extra argument.
        found: String,
        /// Its place in the message, counting the command word as 1.
        position: usize,
    },
    /// `editpppoe` with a field it cannot change.
    #[error("editpppoe: unknown field (word 3)")]
    UnknownField {
        /// What was typed.
        found: String,
    },
    /// `laporan` with a period that is none of hari, minggu, bulan.
    #[error("laporan: unknown period (word 2)")]
    UnknownPeriod {
        /// What was typed.
        found: String,
    },
    /// `pppoe FILTER PAGE` (or `tiket ... PAGE`) with a page that is no positive number.
    #[error("{command}: the page (word {position}) is not a number from 1")]
    BadPage {
        /// The command.
        command: CommandKind,
        /// What was typed.
        found: String,
        /// Its place in the message, counting the command word as 1.
        position: usize,
    },
}

/// One word of the message, quotes removed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Token {
    text: String,
    quoted: bool,
}

fn is_open_quote(c: char) -> bool {
    matches!(c, '"' | '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{00AB}')
}

fn is_close_quote(c: char) -> bool {
    matches!(c, '"' | '\u{201C}' | '\u{201D}' | '\u{00BB}')
}

/// Splits on whitespace; a double quote (straight or curly) at the start of a word groups words
/// up to the closing quote (or the end of the message, if it is never closed).
fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let Some(&first) = chars.peek() else { break };
        let mut word = String::new();
        if is_open_quote(first) {
            chars.next();
            for c in chars.by_ref() {
                if is_close_quote(c) {
                    break;
                }
                word.push(c);
            }
            tokens.push(Token {
                text: word.trim().to_owned(),
                quoted: true,
            });
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                word.push(c);
            }
            tokens.push(Token {
                text: word,
                quoted: false,
            });
        }
    }
    tokens
}

/// Trailing punctuation a phone keyboard adds after a word.
fn clean(word: &str) -> &str {
    word.trim_end_matches(['.', ',', '!', '?', ';', ':'])
}

fn join(tokens: &[Token]) -> Option<String> {
    let text = tokens
        .iter()
        .map(|t| t.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// The text of a message that did not parse, for the audit log, as the grammar splits it
/// (quotes respected). The command word and the first argument are kept; every later word is
/// `***` unless it is an edit field word, a profile of `profiles` or an IPv4 address. So a
/// password survives no typo: not in the command word (`adpppoe`), the field (`pasword`), a
/// missing field, a swapped order, or an extra word.
pub(crate) fn redact_text(text: &str, profiles: &ProfileTable) -> String {
    tokenize(text)
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let word = clean(&t.text);
            let keep = i < 2
                || (!t.quoted
                    && (EditField::parse(word).is_some()
                        || profiles.parse(word).is_ok()
                        || is_ip_value(word)));
            match (keep, t.quoted) {
                (false, _) => MASK.to_owned(),
                (true, true) => format!("\"{}\"", t.text),
                (true, false) => t.text.clone(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The default cap on a message's length, in characters.
pub const DEFAULT_MAX_LEN: usize = 1000;

/// Parses a chat message.
///
/// ```
/// use pppoe_core::{parse_command, Command};
/// let cmd = parse_command("/AddPPPoE john123 password123 premium 192.168.1.100 “John Doe”", 1000).unwrap();
/// assert_eq!(cmd, Command::Add {
///     username: "john123".into(),
///     password: pppoe_core::domain::RawPassword::new("password123"),
///     profile: "premium".into(),
///     ip: Some("192.168.1.100".into()),
///     info: Some("John Doe".into()),
///     ticket: None,
///     customer: None,
/// });
/// ```
pub fn parse_command(text: &str, max_len: usize) -> Result<Command, ParseError> {
    let len = text.chars().count();
    if len > max_len {
        return Err(ParseError::TooLong { len, max: max_len });
    }
    let tokens = tokenize(text);
    let Some((head, args)) = tokens.split_first() else {
        return Err(ParseError::Empty);
    };
    let word = clean(head.text.trim_start_matches(['/', '!', '.'])).to_lowercase();
    let kind = match word.as_str() {
        "addpppoe" => CommandKind::Add,
        "editpppoe" => CommandKind::Edit,
        "delpppoe" => CommandKind::Delete,
        "ya" | "yes" | "y" => CommandKind::Confirm,
        "pppoe" => CommandKind::List,
        "checkpppoe" => CommandKind::Check,
        "restartpppoe" => CommandKind::Restart,
        "help" | "bantuan" | "menu" => CommandKind::Help,
        "lapor" | "report" => CommandKind::Report,
        "tiket" | "tickets" | "ticket" => CommandKind::Tickets,
        "ambil" | "take" => CommandKind::Take,
        "serahkan" | "assign" => CommandKind::Assign,
        "catatan" | "note" => CommandKind::Note,
        "selesai" | "resolve" => CommandKind::Resolve,
        "tutup" | "close" => CommandKind::CloseTicket,
        "bukaulang" | "reopen" => CommandKind::Reopen,
        "laporan" | "performance" => CommandKind::Performance,
        "foto" | "photo" | "dokumen" => CommandKind::Photo,
        "lokasi" | "location" => CommandKind::Location,
        "offline" | "down" => CommandKind::Offline,
        "isolir" | "isolasi" | "suspend" => CommandKind::Isolate,
        "daftarisolir" | "suspended" => CommandKind::Isolated,
        "buka" | "bukaisolir" | "unsuspend" => CommandKind::Lift,
        "pantau" | "watch" => CommandKind::Watch,
        "stoppantau" | "unwatch" => CommandKind::Unwatch,
        // `stop pantau USER`: two words.
        "stop"
            if args.first().is_some_and(|t| {
                matches!(clean(&t.text).to_lowercase().as_str(), "pantau" | "watch")
            }) =>
        {
            return parse_unwatch(&args[1..], 1);
        }
        _ if word.is_empty() => return Err(ParseError::Empty),
        _ => {
            return Err(ParseError::UnknownCommand {
                found: head.text.clone(),
            });
        }
    };
    let need = |i: usize, missing: Arg| -> Result<&Token, ParseError> {
        args.get(i)
            .filter(|t| !t.text.is_empty())
            .ok_or(ParseError::MissingArgument {
                command: kind,
                missing,
            })
    };
    let at_most = |n: usize| -> Result<(), ParseError> {
        match args.get(n) {
            Some(extra) => Err(ParseError::TooManyArguments {
                command: kind,
                found: extra.text.clone(),
                position: n + 2,
            }),
            None => Ok(()),
        }
    };
    let user = |t: &Token| clean(&t.text).to_owned();
    Ok(match kind {
        CommandKind::Add => {
            let username = user(need(0, Arg::Username)?);
            let password = RawPassword::new(need(1, Arg::Password)?.text.as_str());
            let profile = clean(&need(2, Arg::Profile)?.text).to_owned();
            // `tiket=TR001` and `wa=0812...` anywhere after the profile; the words around them
            // keep their order.
            let mut after: Vec<Token> = args[3..].to_vec();
            let mut take = |keys: &[&str]| {
                after
                    .iter()
                    .position(|t| !t.quoted && keyed(&t.text, keys).is_some())
                    .and_then(|i| keyed(&after.remove(i).text, keys))
            };
            let ticket = take(&["tiket", "ticket"]);
            let customer = take(&["wa", "whatsapp", "hp"]);
            let mut rest = after.as_slice();
            let ip = match rest.first() {
                Some(t) if !t.quoted && crate::domain::looks_like_ipv4(clean(&t.text)) => {
                    rest = &rest[1..];
                    Some(clean(&t.text).to_owned())
                }
                _ => None,
            };
            Command::Add {
                username,
                password,
                profile,
                ip,
                info: join(rest),
                ticket,
                customer,
            }
        }
        CommandKind::Edit => {
            let username = user(need(0, Arg::Username)?);
            let field_token = need(1, Arg::Field)?;
            let field = EditField::parse(clean(&field_token.text)).ok_or_else(|| {
                ParseError::UnknownField {
                    found: field_token.text.clone(),
                }
            })?;
            let value = match field {
                EditField::Info => {
                    EditValue::Info(join(&args[2..]).ok_or(ParseError::MissingArgument {
                        command: kind,
                        missing: Arg::Value,
                    })?)
                }
                EditField::Password => {
                    let v = RawPassword::new(need(2, Arg::Value)?.text.as_str());
                    at_most(3)?;
                    EditValue::Password(v)
                }
                EditField::Profile | EditField::Ip | EditField::Status => {
                    let v = clean(&need(2, Arg::Value)?.text).to_owned();
                    at_most(3)?;
                    match field {
                        EditField::Profile => EditValue::Profile(v),
                        EditField::Ip => EditValue::Ip(v),
                        _ => EditValue::Status(v),
                    }
                }
            };
            Command::Edit { username, value }
        }
        CommandKind::Delete => Command::Delete {
            username: user(need(0, Arg::Username)?),
            reason: join(&args[1..]),
        },
        CommandKind::Confirm => {
            let code = clean(&need(0, Arg::Code)?.text).to_owned();
            at_most(1)?;
            Command::Confirm { code }
        }
        CommandKind::List => {
            let (filter_tokens, page) = split_page(kind, args)?;
            if filter_tokens.len() > 1 {
                return Err(ParseError::TooManyArguments {
                    command: kind,
                    found: filter_tokens[1].text.clone(),
                    position: 3,
                });
            }
            Command::List {
                filter: filter_tokens
                    .first()
                    .map(|t| clean(&t.text).to_owned())
                    .filter(|f| !f.is_empty()),
                page,
            }
        }
        CommandKind::Check | CommandKind::Restart => {
            let username = user(need(0, Arg::Username)?);
            at_most(1)?;
            if kind == CommandKind::Check {
                Command::Check { username }
            } else {
                Command::Restart { username }
            }
        }
        CommandKind::Help => {
            let topic = match args.first().map(|t| clean(&t.text).to_lowercase()) {
                None => HelpTopic::General,
                Some(w) if matches!(w.as_str(), "tiket" | "ticket" | "tickets" | "lapor") => {
                    HelpTopic::Tickets
                }
                Some(_) => HelpTopic::Pppoe,
            };
            Command::Help { topic }
        }
        CommandKind::Report => Command::Report {
            text: join(args).ok_or(ParseError::MissingArgument {
                command: kind,
                missing: Arg::Complaint,
            })?,
        },
        CommandKind::Tickets => {
            let (words, page) = split_page(kind, args)?;
            if let Some(extra) = words.get(1) {
                return Err(ParseError::TooManyArguments {
                    command: kind,
                    found: extra.text.clone(),
                    position: 3,
                });
            }
            let view = match words.first().map(|t| clean(&t.text)) {
                None | Some("") => TicketsView::Active,
                Some(w) => match w.to_lowercase().as_str() {
                    "saya" | "mine" | "my" => TicketsView::Mine,
                    "semua" | "all" => TicketsView::All,
                    "aktif" | "open" | "buka" => TicketsView::Active,
                    _ if crate::ticket::TicketId::looks_like(w) => TicketsView::One(w.to_owned()),
                    _ => TicketsView::Subscriber(w.to_owned()),
                },
            };
            Command::Tickets { view, page }
        }
        CommandKind::Take | CommandKind::CloseTicket => {
            let ticket = clean(&need(0, Arg::Ticket)?.text).to_owned();
            at_most(1)?;
            if kind == CommandKind::Take {
                Command::Take { ticket }
            } else {
                Command::CloseTicket { ticket }
            }
        }
        CommandKind::Assign => {
            let ticket = clean(&need(0, Arg::Ticket)?.text).to_owned();
            let to = join(&args[1..]).ok_or(ParseError::MissingArgument {
                command: kind,
                missing: Arg::Technician,
            })?;
            Command::Assign { ticket, to }
        }
        CommandKind::Note | CommandKind::Resolve | CommandKind::Reopen => {
            let ticket = clean(&need(0, Arg::Ticket)?.text).to_owned();
            let text = join(&args[1..]).ok_or(ParseError::MissingArgument {
                command: kind,
                missing: if kind == CommandKind::Reopen {
                    Arg::Reason
                } else {
                    Arg::Text
                },
            })?;
            match kind {
                CommandKind::Note => Command::Note { ticket, text },
                CommandKind::Resolve => Command::Resolve { ticket, text },
                _ => Command::Reopen {
                    ticket,
                    reason: text,
                },
            }
        }
        CommandKind::Performance => {
            let period = match args.first() {
                None => Period::Week,
                Some(t) => {
                    Period::parse(clean(&t.text)).ok_or_else(|| ParseError::UnknownPeriod {
                        found: t.text.clone(),
                    })?
                }
            };
            at_most(1)?;
            Command::Performance { period }
        }
        CommandKind::Photo => Command::Photo {
            target: clean(&need(0, Arg::Target)?.text).to_owned(),
            caption: join(&args[1..]),
        },
        CommandKind::Location => {
            let target = clean(&need(0, Arg::Target)?.text).to_owned();
            at_most(1)?;
            Command::Location { target }
        }
        CommandKind::Offline => {
            let (words, page) = split_page(kind, args)?;
            if let Some(extra) = words.first() {
                return Err(ParseError::TooManyArguments {
                    command: kind,
                    found: extra.text.clone(),
                    position: 2,
                });
            }
            Command::Offline { page }
        }
        // `isolir` alone, or `isolir daftar [PAGE]`, lists; a number alone is a username
        // (customer ids are used as usernames), so a page is only read after `daftar`.
        CommandKind::Isolate => match args.first().map(|t| clean(&t.text).to_lowercase()) {
            None => Command::Isolated { page: 1 },
            Some(w) if matches!(w.as_str(), "daftar" | "list") && !args[0].quoted => {
                isolated(CommandKind::Isolated, &args[1..], 1)?
            }
            Some(_) => Command::Isolate {
                username: user(need(0, Arg::Username)?),
                reason: join(&args[1..]),
            },
        },
        CommandKind::Isolated => isolated(kind, args, 0)?,
        CommandKind::Lift => Command::Lift {
            username: user(need(0, Arg::Username)?),
            note: join(&args[1..]),
        },
        CommandKind::Watch => {
            at_most(1)?;
            Command::Watch {
                username: args.first().map(user),
            }
        }
        CommandKind::Unwatch => parse_unwatch(args, 0)?,
    })
}

/// `stop pantau USER` after its `skipped` words (`pantau` of `stop pantau`).
fn parse_unwatch(args: &[Token], skipped: usize) -> Result<Command, ParseError> {
    let kind = CommandKind::Unwatch;
    let username =
        args.first()
            .filter(|t| !t.text.is_empty())
            .ok_or(ParseError::MissingArgument {
                command: kind,
                missing: Arg::Username,
            })?;
    if let Some(extra) = args.get(1) {
        return Err(ParseError::TooManyArguments {
            command: kind,
            found: extra.text.clone(),
            position: skipped + 3,
        });
    }
    Ok(Command::Unwatch {
        username: clean(&username.text).to_owned(),
    })
}

/// The value of a `key=value` word whose key is one of `keys` (any case), as typed after the
/// `=` (`tiket=TR001`, `wa=0812...`).
fn keyed(word: &str, keys: &[&str]) -> Option<String> {
    let (key, value) = word.split_once('=')?;
    keys.contains(&key.to_lowercase().as_str())
        .then(|| clean(value).to_owned())
        .filter(|v| !v.is_empty())
}

/// A trailing page number of a listing, and the words before it.
/// The listing of isolated subscribers: at most a page number, after `skipped` words (the
/// `daftar` of `isolir daftar`).
fn isolated(kind: CommandKind, args: &[Token], skipped: usize) -> Result<Command, ParseError> {
    let (words, page) = split_page(kind, args)?;
    if let Some(extra) = words.first() {
        return Err(ParseError::TooManyArguments {
            command: kind,
            found: extra.text.clone(),
            position: skipped + 2,
        });
    }
    Ok(Command::Isolated { page })
}

fn split_page(kind: CommandKind, args: &[Token]) -> Result<(&[Token], u32), ParseError> {
    match args.last() {
        Some(t) if !t.quoted && clean(&t.text).bytes().all(|b| b.is_ascii_digit()) => {
            let page = clean(&t.text)
                .parse::<u32>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| ParseError::BadPage {
                    command: kind,
                    found: t.text.clone(),
                    position: args.len() + 1,
                })?;
            Ok((&args[..args.len() - 1], page))
        }
        _ => Ok((args, 1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(u: &str, p: &str, prof: &str, ip: Option<&str>, info: Option<&str>) -> Command {
        Command::Add {
            username: u.into(),
            password: RawPassword::new(p),
            profile: prof.into(),
            ip: ip.map(Into::into),
            info: info.map(Into::into),
            ticket: None,
            customer: None,
        }
    }

    fn check(input: &str, want: Result<Command, ParseError>) {
        assert_eq!(
            parse_command(input, DEFAULT_MAX_LEN),
            want,
            "input: {input:?}"
        );
    }

    #[test]
    fn spec_examples() {
        check(
            r#"addpppoe john123 password123 Premium 192.168.1.100 "John Doe - Jl. Contoh No. 123""#,
            Ok(add(
                "john123",
                "password123",
                "Premium",
                Some("192.168.1.100"),
                Some("John Doe - Jl. Contoh No. 123"),
            )),
        );
        check(
            "addpppoe john123 password123 Premium",
            Ok(add("john123", "password123", "Premium", None, None)),
        );
        let edit = |value| {
            Ok(Command::Edit {
                username: "john123".into(),
                value,
            })
        };
        check(
            "editpppoe john123 password password456",
            edit(EditValue::Password(RawPassword::new("password456"))),
        );
        check(
            "editpppoe john123 profile VIP",
            edit(EditValue::Profile("VIP".into())),
        );
        check(
            "editpppoe john123 ip 192.168.1.200",
            edit(EditValue::Ip("192.168.1.200".into())),
        );
        check(
            "editpppoe john123 status disable",
            edit(EditValue::Status("disable".into())),
        );
        check("editpppoe john123 ip -", edit(EditValue::Ip("-".into())));
        check(
            "editpppoe john123 info John Doe - Jl. Baru 5",
            edit(EditValue::Info("John Doe - Jl. Baru 5".into())),
        );
        check(
            "delpppoe john123 Pelanggan pindah lokasi",
            Ok(Command::Delete {
                username: "john123".into(),
                reason: Some("Pelanggan pindah lokasi".into()),
            }),
        );
        check(
            "delpppoe john123",
            Ok(Command::Delete {
                username: "john123".into(),
                reason: None,
            }),
        );
        let list = |f: Option<&str>, page| {
            Ok(Command::List {
                filter: f.map(Into::into),
                page,
            })
        };
        check("pppoe", list(None, 1));
        check("pppoe john", list(Some("john"), 1));
        check("pppoe Premium", list(Some("Premium"), 1));
        check("pppoe Premium 3", list(Some("Premium"), 3));
        check("pppoe 2", list(None, 2));
        check(
            "checkpppoe john123",
            Ok(Command::Check {
                username: "john123".into(),
            }),
        );
        check(
            "restartpppoe john123",
            Ok(Command::Restart {
                username: "john123".into(),
            }),
        );
        check(
            "help pppoe",
            Ok(Command::Help {
                topic: HelpTopic::Pppoe,
            }),
        );
        check(
            "help",
            Ok(Command::Help {
                topic: HelpTopic::General,
            }),
        );
        check(
            "ya 4821",
            Ok(Command::Confirm {
                code: "4821".into(),
            }),
        );
    }

    #[test]
    fn tolerance() {
        let want = Ok(Command::Check {
            username: "john123".into(),
        });
        for input in [
            "CHECKPPPOE john123",
            "  checkpppoe    john123  ",
            "/checkpppoe john123",
            "!checkpppoe john123",
            ".checkpppoe john123",
            "checkpppoe john123.",
            "checkpppoe john123?",
            "checkpppoe \"john123\"",
            "checkpppoe \u{201C}john123\u{201D}",
            "\tCheckPppoe\njohn123",
        ] {
            check(input, want.clone());
        }
        // Passwords are verbatim: trailing punctuation is part of them.
        check(
            "addpppoe a passw0rd! Basic",
            Ok(add("a", "passw0rd!", "Basic", None, None)),
        );
        // A quoted fourth token is information, not an IP.
        check(
            "addpppoe a password1 Basic \"10.0.0.1\"",
            Ok(add("a", "password1", "Basic", None, Some("10.0.0.1"))),
        );
        // An unterminated quote runs to the end.
        check(
            "addpppoe a password1 Basic \"John Doe",
            Ok(add("a", "password1", "Basic", None, Some("John Doe"))),
        );
        // A bad IP is still taken as the IP, so validation can reject it by name.
        check(
            "addpppoe a password1 Basic 300.1.1.1 John",
            Ok(add(
                "a",
                "password1",
                "Basic",
                Some("300.1.1.1"),
                Some("John"),
            )),
        );
    }

    #[test]
    fn malformed() {
        check("", Err(ParseError::Empty));
        check("   \n ", Err(ParseError::Empty));
        check("/", Err(ParseError::Empty));
        check(
            &"a".repeat(10_000),
            Err(ParseError::TooLong {
                len: 10_000,
                max: DEFAULT_MAX_LEN,
            }),
        );
        check(
            "hapuspppoe john",
            Err(ParseError::UnknownCommand {
                found: "hapuspppoe".into(),
            }),
        );
        let missing = |command, missing| Err(ParseError::MissingArgument { command, missing });
        check("addpppoe", missing(CommandKind::Add, Arg::Username));
        check("addpppoe john123", missing(CommandKind::Add, Arg::Password));
        check(
            "addpppoe john123 password123",
            missing(CommandKind::Add, Arg::Profile),
        );
        check("editpppoe john123", missing(CommandKind::Edit, Arg::Field));
        check(
            "editpppoe john123 profile",
            missing(CommandKind::Edit, Arg::Value),
        );
        check(
            "editpppoe john123 info",
            missing(CommandKind::Edit, Arg::Value),
        );
        check(
            "editpppoe john123 speed 10M",
            Err(ParseError::UnknownField {
                found: "speed".into(),
            }),
        );
        check(
            "editpppoe john123 password pass word1",
            Err(ParseError::TooManyArguments {
                command: CommandKind::Edit,
                found: "word1".into(),
                position: 5,
            }),
        );
        check("delpppoe", missing(CommandKind::Delete, Arg::Username));
        check("checkpppoe", missing(CommandKind::Check, Arg::Username));
        check("restartpppoe", missing(CommandKind::Restart, Arg::Username));
        check(
            "checkpppoe john doe",
            Err(ParseError::TooManyArguments {
                command: CommandKind::Check,
                found: "doe".into(),
                position: 3,
            }),
        );
        check(
            "pppoe john 0",
            Err(ParseError::BadPage {
                command: CommandKind::List,
                found: "0".into(),
                position: 3,
            }),
        );
        check(
            "pppoe john doe",
            Err(ParseError::TooManyArguments {
                command: CommandKind::List,
                found: "doe".into(),
                position: 3,
            }),
        );
        check("ya", missing(CommandKind::Confirm, Arg::Code));
    }

    #[test]
    fn redaction_of_text_that_did_not_parse() {
        let p = ProfileTable::default();
        let r = |t| redact_text(t, &p);
        assert_eq!(r("addpppoe john s3cretpass"), "addpppoe john ***");
        assert_eq!(
            r("addpppoe \"john doe\" s3cretpass"),
            "addpppoe \"john doe\" ***"
        );
        assert_eq!(
            r("/EditPPPoE john pass a b"),
            "/EditPPPoE john pass *** ***"
        );
        // The issue's typos: the password is masked whatever is misspelled or missing.
        assert_eq!(r("adpppoe u1 Secret123x Basic"), "adpppoe u1 *** Basic");
        assert_eq!(
            r("add pppoe u1 Secret123x Basic"),
            "add pppoe *** *** Basic"
        );
        assert_eq!(
            r("editpppoe john123 pasword Secret456x"),
            "editpppoe john123 *** ***"
        );
        assert_eq!(r("editpppoe john123 Secret789x"), "editpppoe john123 ***");
        assert_eq!(
            r("editpppoe john123 ip 10.0.0.1 extra"),
            "editpppoe john123 ip 10.0.0.1 ***"
        );
        assert_eq!(r("halo   bot"), "halo bot");
    }

    #[test]
    fn parse_errors_never_quote_the_input() {
        for text in [
            "editpppoe john123 password Sup3r Secret99",
            "editpppoe john123 Secret789x x",
            "pppoe Secret99 x",
            "Secret99x",
            "checkpppoe a Secret99",
        ] {
            let err = parse_command(text, DEFAULT_MAX_LEN).unwrap_err();
            assert!(!err.to_string().contains("Secret"), "{text}: {err}");
        }
        let err = parse_command("editpppoe john123 password Sup3r Secret99", 1000).unwrap_err();
        assert_eq!(err.to_string(), "editpppoe: unexpected word 5");
    }

    #[test]
    fn redaction() {
        let p = ProfileTable::default();
        let cmd = parse_command("addpppoe a secretpass1 Basic 10.0.0.1 Budi", 1000).unwrap();
        assert_eq!(cmd.redacted_arguments(&p), "a *** Basic 10.0.0.1 \"Budi\"");
        let cmd = parse_command("editpppoe a password secretpass2", 1000).unwrap();
        assert_eq!(cmd.redacted_arguments(&p), "a password ***");
        assert!(!format!("{cmd:?}").contains("secretpass2"));
        // Swapped: the password sits where the profile goes, or where the information goes.
        let cmd = parse_command("addpppoe u1 Basic Secret123x", 1000).unwrap();
        assert_eq!(cmd.redacted_arguments(&p), "u1 *** ***");
        let cmd = parse_command("addpppoe u1 Basic Basic 10.0.0.1 Secret123x", 1000).unwrap();
        assert_eq!(cmd.redacted_arguments(&p), "u1 *** Basic 10.0.0.1 ***");
        let cmd = parse_command("editpppoe a status Secret123x", 1000).unwrap();
        assert_eq!(cmd.redacted_arguments(&p), "a status ***");
        let cmd = parse_command("editpppoe a ip Secret123x", 1000).unwrap();
        assert_eq!(cmd.redacted_arguments(&p), "a ip ***");
        let cmd = parse_command("editpppoe a ip -", 1000).unwrap();
        assert_eq!(cmd.redacted_arguments(&p), "a ip -");
    }

    #[test]
    fn isolir_lists_alone_or_after_daftar_and_isolates_a_user_even_a_numeric_one() {
        let parse = |t: &str| parse_command(t, 1000).unwrap();
        assert_eq!(parse("isolir"), Command::Isolated { page: 1 });
        assert_eq!(parse("Isolir daftar 3"), Command::Isolated { page: 3 });
        assert_eq!(parse("daftarisolir 2"), Command::Isolated { page: 2 });
        assert_eq!(
            parse("isolir budi01 telat bayar 2 bulan"),
            Command::Isolate {
                username: "budi01".into(),
                reason: Some("telat bayar 2 bulan".into()),
            }
        );
        // Customer ids are used as usernames: a number alone is a username, not a page.
        assert_eq!(
            parse("isolir 1023"),
            Command::Isolate {
                username: "1023".into(),
                reason: None,
            }
        );
        assert_eq!(
            parse("buka budi01 sudah bayar"),
            Command::Lift {
                username: "budi01".into(),
                note: Some("sudah bayar".into()),
            }
        );
        assert!(matches!(
            parse_command("buka", 1000),
            Err(ParseError::MissingArgument {
                command: CommandKind::Lift,
                missing: Arg::Username
            })
        ));
        assert!(matches!(
            parse_command("isolir daftar semua 2", 1000),
            Err(ParseError::TooManyArguments { position: 3, .. })
        ));
        assert!(CommandKind::Isolate.is_mutating() && CommandKind::Lift.is_mutating());
        assert!(
            !CommandKind::Isolated.is_change(),
            "a listing is never claimed"
        );
    }
}
