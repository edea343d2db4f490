//! The table of internet packages ("profile paket") and RouterOS `rate-limit` strings.

use std::fmt;

use thiserror::Error;

/// One package: its name as technicians type and see it, the RouterOS `/ppp/profile` it maps
/// to, and its nominal speeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// Canonical display name, e.g. `Premium`.
    pub name: String,
    /// The RouterOS profile name (often the same).
    pub router_profile: String,
    /// Subscriber's download speed in bits per second.
    pub download_bps: u64,
    /// Subscriber's upload speed in bits per second.
    pub upload_bps: u64,
    /// Short description, e.g. `Paket premium`.
    pub description: String,
}

impl Profile {
    /// A profile whose router profile has the same name.
    pub fn new(name: &str, download_mbps: u64, upload_mbps: u64, description: &str) -> Self {
        Self {
            name: name.to_owned(),
            router_profile: name.to_owned(),
            download_bps: download_mbps * 1_000_000,
            upload_bps: upload_mbps * 1_000_000,
            description: description.to_owned(),
        }
    }

    /// The RouterOS `rate-limit` that gives these speeds (`rx/tx` from the router's side, so
    /// upload first): `25M/50M` for 50 down, 25 up.
    pub fn rate_limit(&self) -> String {
        format!(
            "{}/{}",
            format_rate(self.upload_bps),
            format_rate(self.download_bps)
        )
    }
}

/// A profile name that is known to the [`ProfileTable`] it was parsed against; it holds the
/// canonical spelling.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProfileName(String);

impl ProfileName {
    /// The canonical name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProfileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A profile name that is not in the table.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown profile {found:?}; available: {}", available.join(", "))]
pub struct UnknownProfile {
    /// What was typed.
    pub found: String,
    /// The canonical names of the table.
    pub available: Vec<String>,
}

/// Why a profile table is not usable.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ProfileTableError {
    /// No profile at all.
    #[error("the profile table is empty")]
    Empty,
    /// Two profiles whose names differ only in case.
    #[error("profile {0:?} appears twice")]
    Duplicate(String),
    /// A name that technicians could not type as one word.
    #[error("profile name {0:?} must be one word of letters, digits, - or _")]
    BadName(String),
}

/// The packages technicians may assign; looked up case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileTable {
    profiles: Vec<Profile>,
}

impl Default for ProfileTable {
    /// The spec's five packages: Basic 10/5, Standard 25/10, Premium 50/25, VIP 100/50,
    /// Enterprise 200/100 Mbps (down/up).
    fn default() -> Self {
        Self {
            profiles: vec![
                Profile::new("Basic", 10, 5, "Paket dasar"),
                Profile::new("Standard", 25, 10, "Paket standar"),
                Profile::new("Premium", 50, 25, "Paket premium"),
                Profile::new("VIP", 100, 50, "Paket VIP"),
                Profile::new("Enterprise", 200, 100, "Paket enterprise"),
            ],
        }
    }
}

impl ProfileTable {
    /// A table from configured profiles.
    pub fn new(profiles: Vec<Profile>) -> Result<Self, ProfileTableError> {
        if profiles.is_empty() {
            return Err(ProfileTableError::Empty);
        }
        for (i, p) in profiles.iter().enumerate() {
            if p.name.is_empty()
                || !p
                    .name
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
            {
                return Err(ProfileTableError::BadName(p.name.clone()));
            }
            if profiles[..i]
                .iter()
                .any(|q| q.name.eq_ignore_ascii_case(&p.name))
            {
                return Err(ProfileTableError::Duplicate(p.name.clone()));
            }
        }
        Ok(Self { profiles })
    }

    /// Parses a typed profile name, ignoring case.
    ///
    /// ```
    /// use pppoe_core::ProfileTable;
    /// let table = ProfileTable::default();
    /// assert_eq!(table.parse("premium").unwrap().as_str(), "Premium");
    /// assert!(table.parse("Gold").is_err());
    /// ```
    pub fn parse(&self, text: &str) -> Result<ProfileName, UnknownProfile> {
        self.profiles
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(text.trim()))
            .map(|p| ProfileName(p.name.clone()))
            .ok_or_else(|| UnknownProfile {
                found: text.to_owned(),
                available: self.names(),
            })
    }

    /// The profile of a parsed name.
    pub fn get(&self, name: &ProfileName) -> &Profile {
        self.profiles
            .iter()
            .find(|p| p.name == name.0)
            .unwrap_or(&self.profiles[0])
    }

    /// The profile whose RouterOS profile is `router_profile` (case-insensitive), if any.
    pub fn by_router_profile(&self, router_profile: &str) -> Option<&Profile> {
        self.profiles
            .iter()
            .find(|p| p.router_profile.eq_ignore_ascii_case(router_profile))
    }

    /// The canonical names, in table order.
    pub fn names(&self) -> Vec<String> {
        self.profiles.iter().map(|p| p.name.clone()).collect()
    }

    /// All profiles, in table order.
    pub fn iter(&self) -> impl Iterator<Item = &Profile> {
        self.profiles.iter()
    }
}

/// A parsed RouterOS `rate-limit`:
/// `rx-rate[/tx-rate] [rx-burst-rate[/tx-burst-rate] [rx-burst-threshold[/tx-burst-threshold]
/// [rx-burst-time[/tx-burst-time] [priority] [rx-rate-min[/tx-rate-min]]]]`.
///
/// `rx` and `tx` are from the router's side: `rx` is what the subscriber uploads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Router rx = subscriber upload, bits per second.
    pub upload_bps: u64,
    /// Router tx = subscriber download, bits per second.
    pub download_bps: u64,
    /// Burst rates (upload, download), if given.
    pub burst_bps: Option<(u64, u64)>,
}

/// A `rate-limit` that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{text:?} is not a RouterOS rate-limit like 25M/50M: {reason}")]
pub struct RateLimitError {
    text: String,
    reason: &'static str,
}

impl RateLimit {
    /// Parses a RouterOS rate-limit string.
    ///
    /// ```
    /// use pppoe_core::RateLimit;
    /// let r = RateLimit::parse("25M/50M").unwrap();
    /// assert_eq!((r.upload_bps, r.download_bps), (25_000_000, 50_000_000));
    /// let r = RateLimit::parse("512k/1M 1M/2M 384k/768k 8/8 8 256k/512k").unwrap();
    /// assert_eq!(r.burst_bps, Some((1_000_000, 2_000_000)));
    /// ```
    pub fn parse(text: &str) -> Result<Self, RateLimitError> {
        let err = |reason| RateLimitError {
            text: text.to_owned(),
            reason,
        };
        let fields: Vec<&str> = text.split_whitespace().collect();
        if fields.is_empty() {
            return Err(err("it is empty"));
        }
        if fields.len() > 6 {
            return Err(err("it has more than six fields"));
        }
        let pair =
            |field: &str, parse: fn(&str) -> Option<u64>| -> Result<(u64, u64), RateLimitError> {
                let (a, b) = field.split_once('/').unwrap_or((field, field));
                match (parse(a), parse(b)) {
                    (Some(a), Some(b)) => Ok((a, b)),
                    _ => Err(err(
                        "a rate must be a number with an optional k, M or G suffix",
                    )),
                }
            };
        let (upload_bps, download_bps) = pair(fields[0], parse_rate)?;
        let burst_bps = fields.get(1).map(|f| pair(f, parse_rate)).transpose()?;
        if let Some(f) = fields.get(2) {
            pair(f, parse_rate)?;
        }
        if let Some(f) = fields.get(3) {
            pair(f, |t| t.trim_end_matches('s').parse().ok())?;
        }
        if let Some(f) = fields.get(4) {
            match f.parse::<u8>() {
                Ok(1..=8) => {}
                _ => return Err(err("the priority must be 1 to 8")),
            }
        }
        if let Some(f) = fields.get(5) {
            pair(f, parse_rate)?;
        }
        Ok(Self {
            upload_bps,
            download_bps,
            burst_bps,
        })
    }
}

fn parse_rate(text: &str) -> Option<u64> {
    let (digits, factor) = match text.as_bytes().last()? {
        b'k' | b'K' => (&text[..text.len() - 1], 1_000),
        b'M' | b'm' => (&text[..text.len() - 1], 1_000_000),
        b'G' | b'g' => (&text[..text.len() - 1], 1_000_000_000),
        _ => (text, 1),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(factor)
}

/// Formats bits per second the way RouterOS writes them: `50M`, `512k`, `1G`, `1500`.
pub fn format_rate(bps: u64) -> String {
    match bps {
        0 => "0".to_owned(),
        b if b % 1_000_000_000 == 0 => format!("{}G", b / 1_000_000_000),
        b if b % 1_000_000 == 0 => format!("{}M", b / 1_000_000),
        b if b % 1_000 == 0 => format!("{}k", b / 1_000),
        b => b.to_string(),
    }
}

/// Formats a speed for technicians: `50 Mbps`, `512 kbps`, `1.5 Mbps`.
pub fn format_speed(bps: u64) -> String {
    if bps >= 1_000_000_000 && bps.is_multiple_of(1_000_000_000) {
        format!("{} Gbps", bps / 1_000_000_000)
    } else if bps >= 1_000_000 {
        trim_decimal(bps as f64 / 1e6, "Mbps")
    } else if bps >= 1_000 {
        trim_decimal(bps as f64 / 1e3, "kbps")
    } else {
        format!("{bps} bps")
    }
}

fn trim_decimal(value: f64, unit: &str) -> String {
    let text = format!("{value:.1}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    format!("{text} {unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_table_matches_the_spec() {
        let t = ProfileTable::default();
        assert_eq!(
            t.names(),
            ["Basic", "Standard", "Premium", "VIP", "Enterprise"]
        );
        let premium = t.get(&t.parse("PREMIUM").unwrap());
        assert_eq!(premium.download_bps, 50_000_000);
        assert_eq!(premium.upload_bps, 25_000_000);
        assert_eq!(premium.rate_limit(), "25M/50M");
        assert_eq!(t.parse("vip").unwrap().as_str(), "VIP");
        let err = t.parse("Gold").unwrap_err();
        assert_eq!(err.available.len(), 5);
    }

    #[test]
    fn table_rules() {
        assert_eq!(ProfileTable::new(vec![]), Err(ProfileTableError::Empty));
        let dup = vec![Profile::new("A", 1, 1, ""), Profile::new("a", 2, 2, "")];
        assert!(matches!(
            ProfileTable::new(dup),
            Err(ProfileTableError::Duplicate(_))
        ));
        assert!(ProfileTable::new(vec![Profile::new("Two words", 1, 1, "")]).is_err());
    }

    #[test]
    fn rate_limits() {
        let r = RateLimit::parse("512k/1M").unwrap();
        assert_eq!((r.upload_bps, r.download_bps), (512_000, 1_000_000));
        let r = RateLimit::parse("10M").unwrap();
        assert_eq!((r.upload_bps, r.download_bps), (10_000_000, 10_000_000));
        assert!(RateLimit::parse("").is_err());
        assert!(RateLimit::parse("10X/5M").is_err());
        assert!(RateLimit::parse("1M/2M 2M/4M 1M/2M 10/10 9").is_err());
        assert!(RateLimit::parse("1M/2M 2M/4M 1M/2M 10s/10s 8 512k/1M").is_ok());
        assert_eq!(format_rate(50_000_000), "50M");
        assert_eq!(format_rate(512_000), "512k");
        assert_eq!(format_speed(50_000_000), "50 Mbps");
        assert_eq!(format_speed(1_500_000), "1.5 Mbps");
        assert_eq!(format_speed(512_000), "512 kbps");
    }
}
