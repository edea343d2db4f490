//! From a [`Command`] of raw tokens to a [`ValidCommand`] of checked values, once the package
//! table and the pools are known (the grammar's "low" arguments to the engine's "high" ones).
//! Pure: no router, no store. Everything a command's words alone can be wrong about is found
//! here, before the engine writes anything durable.

use std::net::Ipv4Addr;

use crate::command::{Command, CommandKind, EditField, EditValue, HelpTopic, Period, TicketsView};
use crate::domain::{
    CustomerInfo, CustomerInfoError, Ipv4Net, Password, PasswordError, PhoneNumber, StaticIp,
    StaticIpError, SubscriberStatus, Username, UsernameError,
};
use crate::engine::AccessEntry;
use crate::ports::{ListFilter, SecretChange};
use crate::profile::{Profile, ProfileTable};
use crate::ticket::{EvidenceOf, TicketAction, TicketId, TicketIdError};

/// A field rule that a value broke, with what it was about.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FieldError {
    /// Username rules.
    Username(UsernameError),
    /// Password rules.
    Password(PasswordError),
    /// A profile that is not in the table.
    Profile {
        /// What was typed.
        found: String,
        /// The table's names.
        available: Vec<String>,
    },
    /// IP rules.
    Ip(StaticIpError),
    /// A status word that is none of enable/disable/aktif/nonaktif.
    Status(String),
    /// Customer information rules.
    Info(CustomerInfoError),
    /// A ticket id that is not `TR` and a number.
    Ticket(TicketIdError),
    /// `wa=` with something that is no phone number.
    Customer(String),
    /// `serahkan` to someone who is not on the allowlist.
    Technician {
        /// What was typed.
        found: String,
        /// The allowlist's names.
        known: Vec<String>,
    },
}

impl FieldError {
    /// The error for the audit log: the field and the rule, never the value (it may be a
    /// password typed in the wrong place).
    pub fn audit_text(&self) -> String {
        match self {
            Self::Username(e) => format!("username: {e}"),
            Self::Password(e) => format!("password: {e}"),
            Self::Profile { .. } => "profile: not in the package table".to_owned(),
            Self::Ip(e) => format!("ip: {e}"),
            Self::Status(_) => "status: not one of enable, disable, aktif, nonaktif".to_owned(),
            Self::Info(e) => format!("info: {e}"),
            Self::Ticket(_) => "ticket: not TR and a number from 1".to_owned(),
            Self::Customer(_) => "wa: not a phone number".to_owned(),
            Self::Technician { .. } => "technician: not on the allowlist".to_owned(),
        }
    }
}

/// What validation needs to know: the packages, the static-IP pools and the people.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    /// The packages.
    pub profiles: &'a ProfileTable,
    /// Pools static IPs must lie in (empty: any unicast address).
    pub pools: &'a [Ipv4Net],
    /// The allowlist: who a ticket can be given to.
    pub people: &'a [AccessEntry],
    /// The country code a number with a leading `0` is read in (`"62"`).
    pub country: &'a str,
    /// Whether `addpppoe ... wa=` also writes the number into the router's comment
    /// (`... - WA +62812...`), besides the bot's own record.
    pub number_in_comment: bool,
}

/// A new subscriber, every value checked (`addpppoe`).
#[derive(Debug, Clone)]
pub struct NewSubscriber {
    /// Username.
    pub name: Username,
    /// Password.
    pub password: Password,
    /// Package.
    pub profile: Profile,
    /// Static IP, if any.
    pub ip: Option<StaticIp>,
    /// Customer information, if any.
    pub comment: Option<CustomerInfo>,
    /// The ticket this installation is for (`tiket=TR001`), if any.
    pub ticket: Option<TicketId>,
    /// The customer's WhatsApp number (`wa=0812...`), if given.
    pub customer: Option<PhoneNumber>,
}

/// The new value of an `editpppoe`, checked.
#[derive(Debug, Clone)]
pub enum NewValue {
    /// A new password.
    Password(Password),
    /// A new package.
    Package(Profile),
    /// A static IP, or none (dynamic).
    Ip(Option<StaticIp>),
    /// Enabled or disabled.
    Status(SubscriberStatus),
    /// Customer information, or none.
    Info(Option<CustomerInfo>),
}

impl NewValue {
    /// The field it changes.
    pub fn field(&self) -> EditField {
        match self {
            Self::Password(_) => EditField::Password,
            Self::Package(_) => EditField::Profile,
            Self::Ip(_) => EditField::Ip,
            Self::Status(_) => EditField::Status,
            Self::Info(_) => EditField::Info,
        }
    }

    /// The change on the router.
    pub fn change(&self) -> SecretChange {
        match self {
            Self::Password(p) => SecretChange::Password(p.clone()),
            Self::Package(p) => SecretChange::Profile(p.router_profile.clone()),
            Self::Ip(ip) => SecretChange::RemoteAddress(ip.map(StaticIp::addr)),
            Self::Status(s) => SecretChange::Disabled(*s == SubscriberStatus::Disabled),
            Self::Info(c) => SecretChange::Comment(c.clone()),
        }
    }

    /// The static IP it sets, if it sets one.
    pub fn static_ip(&self) -> Option<Ipv4Addr> {
        match self {
            Self::Ip(Some(ip)) => Some(ip.addr()),
            _ => None,
        }
    }
}

/// A listing's filter and page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    /// What the router is asked for.
    pub filter: ListFilter,
    /// The filter as typed (shown in the reply and the next-page hint).
    pub typed: Option<String>,
    /// 1-based page.
    pub page: u32,
}

/// A command whose values are checked: what the engine runs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ValidCommand {
    /// `addpppoe`
    Add(NewSubscriber),
    /// `editpppoe`
    Edit {
        /// The subscriber.
        name: Username,
        /// The new value.
        value: NewValue,
    },
    /// `delpppoe`
    Delete {
        /// The subscriber.
        name: Username,
        /// The reason, if given (none: the bot asks for one).
        reason: Option<String>,
    },
    /// `ya CODE`
    Confirm {
        /// The code.
        code: String,
    },
    /// `pppoe`
    List(Listing),
    /// `checkpppoe`
    Check(Username),
    /// `restartpppoe`
    Restart(Username),
    /// `help`
    Help(HelpTopic),
    /// `lapor`: the text after the command word.
    Report(String),
    /// `tiket`
    Tickets {
        /// Which tickets.
        view: TicketQuery,
        /// 1-based page.
        page: u32,
    },
    /// `laporan`
    Performance(Period),
    /// `offline`: the page.
    Offline(u32),
    /// `isolir USER [alasan]`
    Isolate {
        /// The subscriber.
        name: Username,
        /// Why.
        reason: Option<String>,
    },
    /// `isolir` alone: the page of isolated subscribers.
    Isolated(u32),
    /// `buka USER [catatan]`
    Lift {
        /// The subscriber.
        name: Username,
        /// A note.
        note: Option<String>,
    },
    /// `pantau [USER]`: watch a subscriber; none: list the sender's watches.
    Watch(Option<Username>),
    /// `stop pantau USER`
    Unwatch(Username),
    /// `foto`, `lokasi`: evidence about a ticket or a subscriber.
    Evidence {
        /// What it is about.
        of: EvidenceOf,
        /// `lokasi` (a location expected) rather than `foto` (a file).
        location: bool,
        /// The caption's words after the target.
        caption: Option<String>,
    },
    /// `ambil`, `serahkan`, `catatan`, `selesai`, `tutup`, `bukaulang`.
    Ticket {
        /// The ticket.
        id: TicketId,
        /// The change.
        action: TicketAction,
    },
}

/// Which tickets `tiket` shows, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketQuery {
    /// Open and in progress.
    Active,
    /// The sender's, open and in progress.
    Mine,
    /// Every ticket.
    All,
    /// One ticket with its history.
    One(TicketId),
    /// A subscriber's tickets.
    Subscriber(Username),
}

impl ValidCommand {
    /// Checks every value of `command` against the rules.
    ///
    /// ```
    /// use pppoe_core::engine::{Rules, ValidCommand};
    /// use pppoe_core::{ProfileTable, parse_command};
    ///
    /// let profiles = ProfileTable::default();
    /// let rules = Rules {
    ///     profiles: &profiles,
    ///     pools: &[],
    ///     people: &[],
    ///     country: "62",
    ///     number_in_comment: false,
    /// };
    /// let raw = parse_command("addpppoe budi01 rahasia123 premium 10.9.0.5", 1000).unwrap();
    /// let ValidCommand::Add(new) = ValidCommand::validate(&raw, &rules).unwrap() else {
    ///     unreachable!()
    /// };
    /// assert_eq!(new.profile.name, "Premium");
    /// let raw = parse_command("addpppoe budi01 short premium", 1000).unwrap();
    /// assert!(ValidCommand::validate(&raw, &rules).is_err());
    /// ```
    pub fn validate(command: &Command, rules: &Rules<'_>) -> Result<Self, FieldError> {
        Ok(match command {
            Command::Add {
                username,
                password,
                profile,
                ip,
                info,
                ticket,
                customer,
            } => {
                let customer = customer
                    .as_deref()
                    .map(|c| {
                        PhoneNumber::parse(c, rules.country)
                            .map_err(|_| FieldError::Customer(c.to_owned()))
                    })
                    .transpose()?;
                // The number in the comment too, when configured: checked with the rest of
                // the information, before anything is written.
                let info = match (&customer, info) {
                    (Some(phone), info) if rules.number_in_comment => Some(match info {
                        Some(i) => format!("{i} - WA +{}", phone.as_str()),
                        None => format!("WA +{}", phone.as_str()),
                    }),
                    (_, info) => info.clone(),
                };
                Self::Add(NewSubscriber {
                    ticket: ticket.as_deref().map(ticket_of).transpose()?,
                    customer,
                    name: username_of(username)?,
                    password: password.check().map_err(FieldError::Password)?,
                    profile: profile_of(profile, rules)?,
                    ip: ip
                        .as_deref()
                        .map(|ip| StaticIp::parse(ip, rules.pools))
                        .transpose()
                        .map_err(FieldError::Ip)?,
                    comment: info
                        .as_deref()
                        .map(CustomerInfo::parse)
                        .transpose()
                        .map_err(FieldError::Info)?
                        .flatten(),
                })
            }
            Command::Edit { username, value } => Self::Edit {
                name: username_of(username)?,
                value: new_value(value, rules)?,
            },
            Command::Delete { username, reason } => Self::Delete {
                name: username_of(username)?,
                reason: reason.clone(),
            },
            Command::Confirm { code } => Self::Confirm { code: code.clone() },
            Command::List { filter, page } => Self::List(Listing {
                filter: list_filter(filter.as_deref(), rules.profiles),
                typed: filter.clone(),
                page: *page,
            }),
            Command::Check { username } => Self::Check(username_of(username)?),
            Command::Restart { username } => Self::Restart(username_of(username)?),
            Command::Help { topic } => Self::Help(*topic),
            Command::Report { text } => Self::Report(text.clone()),
            Command::Tickets { view, page } => Self::Tickets {
                view: match view {
                    TicketsView::Active => TicketQuery::Active,
                    TicketsView::Mine => TicketQuery::Mine,
                    TicketsView::All => TicketQuery::All,
                    TicketsView::One(t) => TicketQuery::One(ticket_of(t)?),
                    TicketsView::Subscriber(u) => TicketQuery::Subscriber(username_of(u)?),
                },
                page: *page,
            },
            Command::Take { ticket } => Self::ticket(ticket, TicketAction::Take)?,
            Command::Assign { ticket, to } => {
                let id = ticket_of(ticket)?;
                let to = technician_of(to, rules)?;
                Self::Ticket {
                    id,
                    action: TicketAction::Assign(to.as_str().to_owned()),
                }
            }
            Command::Note { ticket, text } => {
                Self::ticket(ticket, TicketAction::Note(text.clone()))?
            }
            Command::Resolve { ticket, text } => {
                Self::ticket(ticket, TicketAction::Resolve(text.clone()))?
            }
            Command::CloseTicket { ticket } => Self::ticket(ticket, TicketAction::Close)?,
            Command::Reopen { ticket, reason } => {
                Self::ticket(ticket, TicketAction::Reopen(reason.clone()))?
            }
            Command::Performance { period } => Self::Performance(*period),
            Command::Offline { page } => Self::Offline(*page),
            Command::Isolate { username, reason } => Self::Isolate {
                name: username_of(username)?,
                reason: reason.clone(),
            },
            Command::Isolated { page } => Self::Isolated(*page),
            Command::Lift { username, note } => Self::Lift {
                name: username_of(username)?,
                note: note.clone(),
            },
            Command::Watch { username } => {
                Self::Watch(username.as_deref().map(username_of).transpose()?)
            }
            Command::Unwatch { username } => Self::Unwatch(username_of(username)?),
            Command::Photo { target, caption } => Self::Evidence {
                of: evidence_of(target)?,
                location: false,
                caption: caption.clone(),
            },
            Command::Location { target } => Self::Evidence {
                of: evidence_of(target)?,
                location: true,
                caption: None,
            },
        })
    }

    fn ticket(typed: &str, action: TicketAction) -> Result<Self, FieldError> {
        Ok(Self::Ticket {
            id: ticket_of(typed)?,
            action,
        })
    }

    /// The command's kind.
    pub fn kind(&self) -> CommandKind {
        match self {
            Self::Add(_) => CommandKind::Add,
            Self::Edit { .. } => CommandKind::Edit,
            Self::Delete { .. } => CommandKind::Delete,
            Self::Confirm { .. } => CommandKind::Confirm,
            Self::List(_) => CommandKind::List,
            Self::Check(_) => CommandKind::Check,
            Self::Restart(_) => CommandKind::Restart,
            Self::Help(_) => CommandKind::Help,
            Self::Report(_) => CommandKind::Report,
            Self::Tickets { .. } => CommandKind::Tickets,
            Self::Performance(_) => CommandKind::Performance,
            Self::Offline(_) => CommandKind::Offline,
            Self::Isolate { .. } => CommandKind::Isolate,
            Self::Isolated(_) => CommandKind::Isolated,
            Self::Lift { .. } => CommandKind::Lift,
            Self::Watch(_) => CommandKind::Watch,
            Self::Unwatch(_) => CommandKind::Unwatch,
            Self::Evidence { location: true, .. } => CommandKind::Location,
            Self::Evidence {
                location: false, ..
            } => CommandKind::Photo,
            Self::Ticket { action, .. } => action.command(),
        }
    }
}

/// A ticket (`TR001`) or a username.
fn evidence_of(text: &str) -> Result<EvidenceOf, FieldError> {
    if TicketId::looks_like(text) {
        Ok(EvidenceOf::Ticket(ticket_of(text)?))
    } else {
        Ok(EvidenceOf::Subscriber(
            username_of(text)?.as_str().to_owned(),
        ))
    }
}

fn ticket_of(text: &str) -> Result<TicketId, FieldError> {
    text.parse().map_err(FieldError::Ticket)
}

/// The allowlisted person `text` names: a phone number in any usual form, or a name of the
/// allowlist (any case).
fn technician_of(text: &str, rules: &Rules<'_>) -> Result<PhoneNumber, FieldError> {
    let by_number = PhoneNumber::parse(text, rules.country)
        .ok()
        .and_then(|p| rules.people.iter().find(|e| e.phone == p));
    let by_name = || {
        let mut named = rules
            .people
            .iter()
            .filter(|e| e.name.eq_ignore_ascii_case(text.trim()));
        // A name two people share names nobody.
        named.next().filter(|_| named.next().is_none())
    };
    by_number
        .or_else(by_name)
        .map(|e| e.phone.clone())
        .ok_or_else(|| FieldError::Technician {
            found: text.to_owned(),
            known: rules.people.iter().map(|e| e.name.clone()).collect(),
        })
}

fn username_of(text: &str) -> Result<Username, FieldError> {
    Username::parse(text).map_err(FieldError::Username)
}

fn profile_of(text: &str, rules: &Rules<'_>) -> Result<Profile, FieldError> {
    match rules.profiles.parse(text) {
        Ok(p) => Ok(rules.profiles.get(&p).clone()),
        Err(e) => Err(FieldError::Profile {
            found: e.found,
            available: e.available,
        }),
    }
}

/// The words that clear a value (`ip -`, `info -`).
fn clears(text: &str) -> bool {
    matches!(text, "-" | "none" | "kosong" | "hapus")
}

fn new_value(value: &EditValue, rules: &Rules<'_>) -> Result<NewValue, FieldError> {
    Ok(match value {
        EditValue::Password(raw) => NewValue::Password(raw.check().map_err(FieldError::Password)?),
        EditValue::Profile(v) => NewValue::Package(profile_of(v, rules)?),
        EditValue::Ip(v) if clears(v) => NewValue::Ip(None),
        EditValue::Ip(v) => NewValue::Ip(Some(
            StaticIp::parse(v, rules.pools).map_err(FieldError::Ip)?,
        )),
        EditValue::Status(v) => {
            NewValue::Status(SubscriberStatus::parse(v).map_err(|e| FieldError::Status(e.0))?)
        }
        EditValue::Info(v) if clears(v) => NewValue::Info(None),
        EditValue::Info(v) => NewValue::Info(CustomerInfo::parse(v).map_err(FieldError::Info)?),
    })
}

/// What a listing's filter word means: a status word, a package, or part of a username.
fn list_filter(filter: Option<&str>, profiles: &ProfileTable) -> ListFilter {
    let Some(f) = filter else {
        return ListFilter::All;
    };
    match f.to_lowercase().as_str() {
        "aktif" | "enabled" | "enable" | "active" => ListFilter::Enabled,
        "nonaktif" | "disabled" | "disable" | "inactive" => ListFilter::Disabled,
        "online" | "terhubung" => ListFilter::Online,
        "offline" | "terputus" => ListFilter::Offline,
        _ => match profiles.parse(f) {
            Ok(p) => ListFilter::Profile(profiles.get(&p).router_profile.clone()),
            Err(_) => ListFilter::NameContains(f.to_owned()),
        },
    }
}
