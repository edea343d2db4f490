//! Isolation ("isolir"): a subscriber suspended for not paying, and the snapshot that lets
//! `buka` put back exactly what `isolir` changed.
//!
//! The snapshot is the bot's own record (kept by the [`TicketStore`](crate::TicketStore),
//! beside the tickets), written before the first change on the router, so that even an
//! isolation cut short by a crash can be undone.

use std::net::Ipv4Addr;

use chrono::{DateTime, Utc};

/// How a subscriber is isolated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IsolirMethod {
    /// Switch the secret to the isolation profile (whose pool or queue sends the customer to
    /// the isolation page) and mark its comment.
    #[default]
    Profile,
    /// Disable the secret: no login at all.
    Disable,
}

impl IsolirMethod {
    /// Its name in the configuration and the bot's records.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Profile => "profile",
            Self::Disable => "disable",
        }
    }

    /// The method called `name`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "profile" => Some(Self::Profile),
            "disable" => Some(Self::Disable),
            _ => None,
        }
    }
}

/// How isolation is done (`[isolir]` in the configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsolirSettings {
    /// The method.
    pub method: IsolirMethod,
    /// The RouterOS profile of isolated subscribers (method `profile`).
    pub profile: String,
    /// The firewall address list static-IP subscribers are added to (either method), for a
    /// redirect rule to catch them.
    pub address_list: String,
}

impl Default for IsolirSettings {
    fn default() -> Self {
        Self {
            method: IsolirMethod::Profile,
            profile: "isolir".to_owned(),
            address_list: "isolir".to_owned(),
        }
    }
}

/// The fields of a secret that isolation may change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretFields {
    /// The RouterOS profile.
    pub profile: String,
    /// `disabled=yes`.
    pub disabled: bool,
    /// The comment.
    pub comment: Option<String>,
}

/// An isolated subscriber: who, since when, why, by whom, and what was changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Isolation {
    /// The username, as the router has it.
    pub username: String,
    /// The router the secret is on.
    pub router: String,
    /// When it was isolated.
    pub since: DateTime<Utc>,
    /// Who isolated it (the sender's name, or their number).
    pub by: String,
    /// Why (`isolir USER alasan`).
    pub reason: Option<String>,
    /// The method used.
    pub method: IsolirMethod,
    /// The fields before isolation.
    pub before: SecretFields,
    /// The fields isolation set.
    pub after: SecretFields,
    /// The address list entry added for a static IP: the list and the address.
    pub address_list: Option<(String, Ipv4Addr)>,
}

/// A page of isolated subscribers, oldest first, and how many there are in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsolationPage {
    /// The isolations of the page.
    pub items: Vec<Isolation>,
    /// How many subscribers are isolated.
    pub total: usize,
}
