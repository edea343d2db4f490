//! Domain newtypes. Each can only be built by parsing, so that a value of the type is valid by
//! construction and the engine never handles a bare `&str` where a username or an IP is meant.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use thiserror::Error;

/// A PPPoE username: 1 to 64 characters of `A-Z a-z 0-9 . _ @ -`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Username(String);

/// Why a text is not a [`Username`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum UsernameError {
    /// Nothing was given.
    #[error("username is empty")]
    Empty,
    /// More than [`Username::MAX_LEN`] characters.
    #[error("username is {len} characters long, at most {max} are allowed")]
    TooLong {
        /// Characters found.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A character outside the allowed set.
    #[error("username contains {found:?}, only letters, digits and . _ @ - are allowed")]
    BadChar {
        /// The first offending character.
        found: char,
    },
}

impl Username {
    /// The longest username accepted.
    pub const MAX_LEN: usize = 64;

    /// Parses a username.
    ///
    /// ```
    /// use pppoe_core::Username;
    /// assert_eq!(Username::parse("john123").unwrap().as_str(), "john123");
    /// assert!(Username::parse("john doe").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self, UsernameError> {
        if text.is_empty() {
            return Err(UsernameError::Empty);
        }
        let len = text.chars().count();
        if let Some(found) = text
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-')))
        {
            return Err(UsernameError::BadChar { found });
        }
        if len > Self::MAX_LEN {
            return Err(UsernameError::TooLong {
                len,
                max: Self::MAX_LEN,
            });
        }
        Ok(Self(text.to_owned()))
    }

    /// The username as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Username({:?})", self.0)
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Username {
    type Err = UsernameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// A password as typed, before its rules are checked: the grammar keeps what may be a password
/// in this type from the moment it reads it, so that no `Debug`, log line or audit text can
/// show it. [`RawPassword::check`] turns it into a [`Password`].
///
/// ```
/// use pppoe_core::domain::RawPassword;
/// let raw = RawPassword::new("s3cret!");
/// assert_eq!(format!("{raw:?}"), "RawPassword(***)");
/// assert!(raw.check().is_err()); // too short
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct RawPassword(String);

impl RawPassword {
    /// Wraps text that may be a password.
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// Checks the password rules.
    pub fn check(&self) -> Result<Password, PasswordError> {
        Password::parse(&self.0)
    }

    /// The text as typed. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for RawPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RawPassword(***)")
    }
}

/// A PPPoE password: 8 to 64 printable ASCII characters without spaces.
///
/// `Debug` never shows the value; use [`Password::expose`] where the value is really needed
/// (the router call, and the technician's own reply, which the spec shows).
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

/// Why a text is not a [`Password`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PasswordError {
    /// Fewer than [`Password::MIN_LEN`] characters.
    #[error("password has {len} characters, at least {min} are required")]
    TooShort {
        /// Characters found.
        len: usize,
        /// The minimum.
        min: usize,
    },
    /// More than [`Password::MAX_LEN`] characters.
    #[error("password has {len} characters, at most {max} are allowed")]
    TooLong {
        /// Characters found.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// A space, a control character or a non-ASCII character.
    #[error("password may only contain printable ASCII characters without spaces")]
    BadChar,
}

impl Password {
    /// The shortest password accepted (the spec: "minimal 8 karakter").
    pub const MIN_LEN: usize = 8;
    /// The longest password accepted.
    pub const MAX_LEN: usize = 64;

    /// Parses a password.
    ///
    /// ```
    /// use pppoe_core::Password;
    /// assert!(Password::parse("password123").is_ok());
    /// assert!(Password::parse("short").is_err());
    /// assert_eq!(format!("{:?}", Password::parse("password123").unwrap()), "Password(***)");
    /// ```
    pub fn parse(text: &str) -> Result<Self, PasswordError> {
        if text.chars().any(|c| !c.is_ascii_graphic()) {
            return Err(PasswordError::BadChar);
        }
        let len = text.len();
        if len < Self::MIN_LEN {
            return Err(PasswordError::TooShort {
                len,
                min: Self::MIN_LEN,
            });
        }
        if len > Self::MAX_LEN {
            return Err(PasswordError::TooLong {
                len,
                max: Self::MAX_LEN,
            });
        }
        Ok(Self(text.to_owned()))
    }

    /// The secret value. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// An IPv4 network in CIDR notation, e.g. `10.20.0.0/16`: an address pool for static IPs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv4Net {
    network: Ipv4Addr,
    prefix: u8,
}

/// Why a text is not an [`Ipv4Net`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{text:?} is not an IPv4 network like 10.20.0.0/16")]
pub struct Ipv4NetError {
    text: String,
}

impl Ipv4Net {
    /// Parses `a.b.c.d/len`; host bits must be zero.
    ///
    /// ```
    /// use pppoe_core::Ipv4Net;
    /// let pool = Ipv4Net::parse("10.20.0.0/16").unwrap();
    /// assert!(pool.contains("10.20.3.4".parse().unwrap()));
    /// ```
    pub fn parse(text: &str) -> Result<Self, Ipv4NetError> {
        let err = || Ipv4NetError {
            text: text.to_owned(),
        };
        let (addr, len) = text.trim().split_once('/').ok_or_else(err)?;
        let network: Ipv4Addr = addr.parse().map_err(|_| err())?;
        let prefix: u8 = len.parse().map_err(|_| err())?;
        if prefix > 32 {
            return Err(err());
        }
        let net = Self { network, prefix };
        if u32::from(network) & !net.mask() != 0 {
            return Err(err());
        }
        Ok(net)
    }

    fn mask(self) -> u32 {
        if self.prefix == 0 {
            0
        } else {
            u32::MAX << (32 - self.prefix)
        }
    }

    /// Whether `ip` lies inside the network.
    pub fn contains(self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & self.mask() == u32::from(self.network)
    }

    /// The network address (all host bits zero).
    pub fn network(self) -> Ipv4Addr {
        self.network
    }

    /// The broadcast address (all host bits one).
    pub fn broadcast(self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.network) | !self.mask())
    }

    /// The prefix length.
    pub fn prefix(self) -> u8 {
        self.prefix
    }
}

impl fmt::Display for Ipv4Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// A static IPv4 address for a subscriber: unicast, usable as a host address, and inside one of
/// the configured pools when pools are configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StaticIp(Ipv4Addr);

/// Why a text is not a [`StaticIp`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum StaticIpError {
    /// Not of the form `a.b.c.d` with each part 0-255 (this includes `10.0.0.0/8`). The
    /// message does not repeat the text: it may be anything typed in the wrong place.
    #[error("not an IPv4 address of the form a.b.c.d")]
    Malformed(String),
    /// `0.0.0.0/8`.
    #[error("{0} is an unspecified address")]
    Unspecified(Ipv4Addr),
    /// `127.0.0.0/8`.
    #[error("{0} is a loopback address")]
    Loopback(Ipv4Addr),
    /// `224.0.0.0/4`.
    #[error("{0} is a multicast address")]
    Multicast(Ipv4Addr),
    /// `255.255.255.255`, `240.0.0.0/4`, or the broadcast address of its pool.
    #[error("{0} is a broadcast or reserved address")]
    Broadcast(Ipv4Addr),
    /// `169.254.0.0/16`.
    #[error("{0} is a link-local address")]
    LinkLocal(Ipv4Addr),
    /// The network address of its pool (or ending in .0 when no pool is configured).
    #[error("{0} is a network address")]
    Network(Ipv4Addr),
    /// Outside every configured pool.
    #[error("{ip} is outside the allowed pools {pools}")]
    OutsidePools {
        /// The address.
        ip: Ipv4Addr,
        /// The configured pools, comma separated.
        pools: String,
    },
}

impl StaticIp {
    /// Parses and checks an address against the pools (an empty slice means "any unicast").
    ///
    /// Without pools, addresses ending in `.0` or `.255` are refused as likely network or
    /// broadcast addresses of a /24; with pools, the pool's own network and broadcast are.
    ///
    /// ```
    /// use pppoe_core::StaticIp;
    /// assert!(StaticIp::parse("192.168.1.100", &[]).is_ok());
    /// assert!(StaticIp::parse("127.0.0.1", &[]).is_err());
    /// assert!(StaticIp::parse("10.0.0.0/8", &[]).is_err());
    /// ```
    pub fn parse(text: &str, pools: &[Ipv4Net]) -> Result<Self, StaticIpError> {
        let ip =
            parse_dotted_quad(text).ok_or_else(|| StaticIpError::Malformed(text.to_owned()))?;
        let octets = ip.octets();
        if octets[0] == 0 {
            return Err(StaticIpError::Unspecified(ip));
        }
        if ip.is_loopback() {
            return Err(StaticIpError::Loopback(ip));
        }
        if ip.is_multicast() {
            return Err(StaticIpError::Multicast(ip));
        }
        if octets[0] >= 240 {
            return Err(StaticIpError::Broadcast(ip));
        }
        if ip.is_link_local() {
            return Err(StaticIpError::LinkLocal(ip));
        }
        if pools.is_empty() {
            match octets[3] {
                0 => return Err(StaticIpError::Network(ip)),
                255 => return Err(StaticIpError::Broadcast(ip)),
                _ => {}
            }
        } else {
            let pool = pools.iter().find(|p| p.contains(ip)).ok_or_else(|| {
                StaticIpError::OutsidePools {
                    ip,
                    pools: pools
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                }
            })?;
            if pool.prefix() < 31 {
                if ip == pool.network() {
                    return Err(StaticIpError::Network(ip));
                }
                if ip == pool.broadcast() {
                    return Err(StaticIpError::Broadcast(ip));
                }
            }
        }
        Ok(Self(ip))
    }

    /// The address.
    pub fn addr(self) -> Ipv4Addr {
        self.0
    }
}

impl fmt::Display for StaticIp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Strict `a.b.c.d`: four decimal parts of 1 to 3 digits, each at most 255.
fn parse_dotted_quad(text: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = text.split('.');
    for octet in &mut octets {
        let part = parts.next()?;
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *octet = part.parse().ok()?;
    }
    parts.next().is_none().then(|| Ipv4Addr::from(octets))
}

/// Whether a token looks like an attempt at an IPv4 address (digits, dots, a slash), so the
/// grammar can tell an IP argument from customer information.
pub(crate) fn looks_like_ipv4(token: &str) -> bool {
    token.contains('.')
        && token.bytes().next().is_some_and(|b| b.is_ascii_digit())
        && token
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'/')
}

/// A phone number in one canonical form: country code and subscriber number as digits, no `+`
/// (`6281234567890`). `0812...`, `+62 812-...` and `62812...@s.whatsapp.net` are one number.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhoneNumber(String);

/// Why a text is not a [`PhoneNumber`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PhoneNumberError {
    /// A WhatsApp LID (`...@lid`): its digits are not a phone number.
    #[error("{0:?} is a WhatsApp LID, not a phone number")]
    Lid(String),
    /// Letters or other characters that are not part of a phone number.
    #[error("{0:?} is not a phone number")]
    Malformed(String),
    /// Fewer than 8 or more than 15 digits once normalized.
    #[error("{0:?} has the wrong number of digits for a phone number")]
    Length(String),
}

impl PhoneNumber {
    /// Parses a number, reading a leading `0` as the national prefix of `default_country`
    /// (digits only, e.g. `"62"`).
    ///
    /// ```
    /// use pppoe_core::PhoneNumber;
    /// let a = PhoneNumber::parse("0812-3456-7890", "62").unwrap();
    /// let b = PhoneNumber::parse("+62 812 3456 7890", "62").unwrap();
    /// let c = PhoneNumber::parse("6281234567890:12@s.whatsapp.net", "62").unwrap();
    /// assert_eq!(a, b);
    /// assert_eq!(b, c);
    /// assert_eq!(a.as_str(), "6281234567890");
    /// assert!(PhoneNumber::parse("123456789012345@lid", "62").is_err());
    /// ```
    pub fn parse(text: &str, default_country: &str) -> Result<Self, PhoneNumberError> {
        let trimmed = text.trim();
        let (user, server) = match trimmed.split_once('@') {
            Some((user, server)) => (user, Some(server)),
            None => (trimmed, None),
        };
        match server {
            None | Some("s.whatsapp.net" | "c.us") => {}
            Some("lid") => return Err(PhoneNumberError::Lid(trimmed.to_owned())),
            Some(_) => return Err(PhoneNumberError::Malformed(trimmed.to_owned())),
        }
        // A JID's user part may carry an agent and a device: `62812_1:12`.
        let user = match server {
            Some(_) => user.split([':', '_']).next().unwrap_or(user),
            None => user,
        };
        let mut digits = String::with_capacity(user.len());
        let mut plus = false;
        for (i, c) in user.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if i == 0 => plus = true,
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(PhoneNumberError::Malformed(trimmed.to_owned())),
            }
        }
        let normalized = if plus {
            // No country code starts with 0: `+0812...` is a national number with a stray `+`,
            // which cannot be read either way for sure.
            if digits.starts_with('0') {
                return Err(PhoneNumberError::Malformed(trimmed.to_owned()));
            }
            digits
        } else if let Some(national) = digits.strip_prefix('0') {
            if national.starts_with('0') {
                // `00` international prefix.
                national.trim_start_matches('0').to_owned()
            } else {
                format!("{default_country}{national}")
            }
        } else {
            digits
        };
        if !(8..=15).contains(&normalized.len()) {
            return Err(PhoneNumberError::Length(trimmed.to_owned()));
        }
        Ok(Self(normalized))
    }

    /// A number given as the digits of an international number, country code first, such as
    /// a WhatsApp JID's user part (`6281234567890`): taken as they are, never read as national.
    ///
    /// ```
    /// use pppoe_core::PhoneNumber;
    /// let p = PhoneNumber::international("6281234567890").unwrap();
    /// assert_eq!(p, PhoneNumber::parse("0812-3456-7890", "62").unwrap());
    /// assert!(PhoneNumber::international("0812345678").is_err());
    /// assert!(PhoneNumber::international("62 812").is_err());
    /// ```
    pub fn international(digits: &str) -> Result<Self, PhoneNumberError> {
        let plausible = (8..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if plausible {
            Ok(Self(digits.to_owned()))
        } else {
            Err(PhoneNumberError::Malformed(digits.to_owned()))
        }
    }

    /// The canonical digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.0)
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The role of an allowlisted phone number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// The ISP's administrators.
    Admin,
    /// Field technicians.
    Technician,
}

impl Role {
    /// The role's name in config files and the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Technician => "technician",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" => Ok(Self::Admin),
            "technician" | "teknisi" => Ok(Self::Technician),
            other => Err(format!(
                "unknown role {other:?}: expected \"admin\" or \"technician\""
            )),
        }
    }
}

/// Whether a secret may log in (`disabled=no`) or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubscriberStatus {
    /// `disabled=no`: "aktif".
    Enabled,
    /// `disabled=yes`: "nonaktif".
    Disabled,
}

/// Why a text is not a [`SubscriberStatus`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0:?} is not a status: expected enable, disable, aktif or nonaktif")]
pub struct SubscriberStatusError(pub String);

impl SubscriberStatus {
    /// Parses `enable`/`disable` and the Indonesian `aktif`/`nonaktif` (and a few synonyms).
    ///
    /// ```
    /// use pppoe_core::SubscriberStatus;
    /// assert_eq!(SubscriberStatus::parse("NonAktif").unwrap(), SubscriberStatus::Disabled);
    /// ```
    pub fn parse(text: &str) -> Result<Self, SubscriberStatusError> {
        match text.trim().to_lowercase().as_str() {
            "enable" | "enabled" | "aktif" | "on" | "aktifkan" => Ok(Self::Enabled),
            "disable" | "disabled" | "nonaktif" | "non-aktif" | "off" | "nonaktifkan" => {
                Ok(Self::Disabled)
            }
            _ => Err(SubscriberStatusError(text.to_owned())),
        }
    }

    /// The English word used in edit commands: `enable` or `disable`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "enable",
            Self::Disabled => "disable",
        }
    }
}

/// Customer information, stored in the secret's `comment`: at most 255 characters, no control
/// characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CustomerInfo(String);

/// Why a text is not a [`CustomerInfo`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CustomerInfoError {
    /// Longer than [`CustomerInfo::MAX_LEN`].
    #[error("customer info has {len} characters, at most {max} are allowed")]
    TooLong {
        /// Characters found.
        len: usize,
        /// The maximum.
        max: usize,
    },
}

impl CustomerInfo {
    /// The longest comment accepted.
    pub const MAX_LEN: usize = 255;

    /// Parses customer information; control characters become spaces and runs of spaces
    /// collapse. Returns `None` for blank text.
    pub fn parse(text: &str) -> Result<Option<Self>, CustomerInfoError> {
        let cleaned: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if cleaned.is_empty() {
            return Ok(None);
        }
        let len = cleaned.chars().count();
        if len > Self::MAX_LEN {
            return Err(CustomerInfoError::TooLong {
                len,
                max: Self::MAX_LEN,
            });
        }
        Ok(Some(Self(cleaned)))
    }

    /// A comment as the router holds it, kept as is (to put it back exactly, e.g. when an
    /// isolation is lifted), without the rules a typed one must follow.
    pub fn from_router(text: String) -> Self {
        Self(text)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The customer's name from a comment such as `John Doe - Jl. Contoh No. 123`: the part before
/// the first ` - `, which the listing shows as "Customer".
pub fn customer_name(comment: &str) -> &str {
    comment.split(" - ").next().unwrap_or(comment).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        for ok in ["john123", "a", "j.doe_01@isp-x", &"x".repeat(64)] {
            assert!(Username::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(Username::parse(""), Err(UsernameError::Empty));
        assert_eq!(
            Username::parse("john doe"),
            Err(UsernameError::BadChar { found: ' ' })
        );
        assert_eq!(
            Username::parse("jöhn"),
            Err(UsernameError::BadChar { found: 'ö' })
        );
        assert_eq!(
            Username::parse(&"x".repeat(65)),
            Err(UsernameError::TooLong { len: 65, max: 64 })
        );
    }

    #[test]
    fn passwords() {
        assert!(Password::parse("password123").is_ok());
        assert_eq!(
            Password::parse("pass"),
            Err(PasswordError::TooShort { len: 4, min: 8 })
        );
        assert_eq!(Password::parse("pass word1"), Err(PasswordError::BadChar));
        assert_eq!(Password::parse("passwörd12"), Err(PasswordError::BadChar));
        assert!(Password::parse(&"p".repeat(65)).is_err());
    }

    #[test]
    fn static_ips() {
        let none: &[Ipv4Net] = &[];
        assert!(StaticIp::parse("192.168.1.100", none).is_ok());
        assert!(StaticIp::parse("10.0.0.1", none).is_ok());
        for (bad, want) in [
            ("300.1.1.1", "Malformed"),
            ("10.0.0.0/8", "Malformed"),
            ("1.2.3", "Malformed"),
            ("01.2.3.4.5", "Malformed"),
            ("abc", "Malformed"),
            ("0.0.0.0", "Unspecified"),
            ("255.255.255.255", "Broadcast"),
            ("127.0.0.1", "Loopback"),
            ("224.0.0.1", "Multicast"),
            ("169.254.1.1", "LinkLocal"),
            ("192.168.1.0", "Network"),
            ("192.168.1.255", "Broadcast"),
        ] {
            let err = StaticIp::parse(bad, none).unwrap_err();
            assert!(format!("{err:?}").starts_with(want), "{bad}: {err:?}");
        }
        let pools = [Ipv4Net::parse("10.20.0.0/16").unwrap()];
        assert!(StaticIp::parse("10.20.1.0", &pools).is_ok());
        assert!(matches!(
            StaticIp::parse("10.21.0.1", &pools),
            Err(StaticIpError::OutsidePools { .. })
        ));
        assert!(matches!(
            StaticIp::parse("10.20.255.255", &pools),
            Err(StaticIpError::Broadcast(_))
        ));
        assert!(matches!(
            StaticIp::parse("10.20.0.0", &pools),
            Err(StaticIpError::Network(_))
        ));
    }

    #[test]
    fn networks() {
        assert!(Ipv4Net::parse("10.20.0.1/16").is_err());
        assert!(Ipv4Net::parse("10.20.0.0/33").is_err());
        let all = Ipv4Net::parse("0.0.0.0/0").unwrap();
        assert!(all.contains(Ipv4Addr::new(8, 8, 8, 8)));
        assert_eq!(
            Ipv4Net::parse("10.0.0.0/8").unwrap().broadcast(),
            Ipv4Addr::new(10, 255, 255, 255)
        );
    }

    #[test]
    fn phone_numbers() {
        let want = "6281234567890";
        for text in [
            "081234567890",
            "0812-3456-7890",
            "+62 812-3456-7890",
            "6281234567890",
            "6281234567890@s.whatsapp.net",
            "6281234567890:3@s.whatsapp.net",
            "006281234567890",
            "+62 (812) 3456 7890",
        ] {
            assert_eq!(
                PhoneNumber::parse(text, "62").unwrap().as_str(),
                want,
                "{text}"
            );
        }
        assert!(matches!(
            PhoneNumber::parse("123456789012345@lid", "62"),
            Err(PhoneNumberError::Lid(_))
        ));
        assert!(PhoneNumber::parse("12345@g.us", "62").is_err());
        assert!(PhoneNumber::parse("0812abc", "62").is_err());
        assert!(PhoneNumber::parse("0812", "62").is_err());
        // A `+` before a leading 0 names no country: refused, not kept as `0...` (which read
        // again would be national; the property test found `+00000000`).
        for text in ["+00000000", "+0812 3456 7890"] {
            assert!(
                matches!(
                    PhoneNumber::parse(text, "62"),
                    Err(PhoneNumberError::Malformed(_))
                ),
                "{text}"
            );
        }
    }

    #[test]
    fn statuses_and_info() {
        assert_eq!(
            SubscriberStatus::parse("AKTIF").unwrap(),
            SubscriberStatus::Enabled
        );
        assert!(SubscriberStatus::parse("maybe").is_err());
        assert_eq!(
            CustomerInfo::parse("  John\tDoe  ")
                .unwrap()
                .unwrap()
                .as_str(),
            "John Doe"
        );
        assert_eq!(CustomerInfo::parse("   ").unwrap(), None);
        assert_eq!(customer_name("John Doe - Jl. Contoh No. 123"), "John Doe");
        assert!(looks_like_ipv4("192.168.1.100"));
        assert!(looks_like_ipv4("10.0.0.0/8"));
        assert!(looks_like_ipv4("300.1.1.1"));
        assert!(!looks_like_ipv4("John"));
        assert!(!looks_like_ipv4("123"));
    }
}
