//! Message templates for customers (`[customer] template_create`, `template_resolve`): text
//! with `{placeholders}`, checked when the configuration is loaded, so that a typo in a
//! placeholder is a start-up error, never a message with `{pasword}` in it.
//!
//! ```
//! use pppoe_core::template::{MessageTemplate, Placeholder, TemplateValues};
//!
//! let t = MessageTemplate::parse("Halo {nama}, user {username}", &Placeholder::CREATE).unwrap();
//! let values = TemplateValues { nama: "Budi", username: "budi01", ..TemplateValues::default() };
//! assert_eq!(t.render(&values), "Halo Budi, user budi01");
//! assert!(MessageTemplate::parse("{pasword}", &Placeholder::CREATE).is_err());
//! ```

use std::fmt;

use thiserror::Error;

/// A value a template can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    /// `{username}`
    Username,
    /// `{password}` (creation only)
    Password,
    /// `{paket}` or `{package}`
    Package,
    /// `{kecepatan}` or `{speed}`
    Speed,
    /// `{nama}` or `{name}`: the customer's name from the information, or a greeting word
    Name,
    /// `{tiket}` or `{ticket}` (resolution only)
    Ticket,
    /// `{catatan}` or `{note}`: what the technician wrote on `selesai` (resolution only)
    Note,
}

impl Placeholder {
    /// What a creation notice may show.
    pub const CREATE: [Self; 5] = [
        Self::Username,
        Self::Password,
        Self::Package,
        Self::Speed,
        Self::Name,
    ];

    /// What a resolution notice may show.
    pub const RESOLVE: [Self; 4] = [Self::Username, Self::Name, Self::Ticket, Self::Note];

    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "username" | "user" => Self::Username,
            "password" => Self::Password,
            "paket" | "package" => Self::Package,
            "kecepatan" | "speed" => Self::Speed,
            "nama" | "name" => Self::Name,
            "tiket" | "ticket" => Self::Ticket,
            "catatan" | "note" => Self::Note,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::Username => "username",
            Self::Password => "password",
            Self::Package => "paket",
            Self::Speed => "kecepatan",
            Self::Name => "nama",
            Self::Ticket => "tiket",
            Self::Note => "catatan",
        }
    }
}

/// Why a template is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// `{name}` that is no placeholder this template may use.
    #[error("unknown placeholder {{{found}}} at character {at}; this template may use {allowed}")]
    Unknown {
        /// The name found.
        found: String,
        /// Its place (characters from the start).
        at: usize,
        /// The placeholders allowed, listed.
        allowed: String,
    },
    /// A `{` never closed.
    #[error("a {{ at character {at} is never closed (write {{{{ for a brace)")]
    Unclosed {
        /// Its place.
        at: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Value(Placeholder),
}

/// A checked template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageTemplate {
    parts: Vec<Part>,
}

/// The values a template is filled with.
#[derive(Debug, Clone, Copy, Default)]
pub struct TemplateValues<'a> {
    /// The username.
    pub username: &'a str,
    /// The password (creation only).
    pub password: &'a str,
    /// The package.
    pub package: &'a str,
    /// Its speed.
    pub speed: &'a str,
    /// The customer's name.
    pub nama: &'a str,
    /// The ticket.
    pub ticket: &'a str,
    /// The technician's note.
    pub note: &'a str,
}

impl MessageTemplate {
    /// Parses `text`, allowing only `allowed` placeholders. `{{` and `}}` are braces.
    pub fn parse(text: &str, allowed: &[Placeholder]) -> Result<Self, TemplateError> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars().enumerate().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '{' if chars.peek().is_some_and(|(_, n)| *n == '{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek().is_some_and(|(_, n)| *n == '}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let mut name = String::new();
                    let mut closed = false;
                    for (_, n) in chars.by_ref() {
                        if n == '}' {
                            closed = true;
                            break;
                        }
                        name.push(n);
                    }
                    if !closed {
                        return Err(TemplateError::Unclosed { at: i });
                    }
                    let found = name.trim().to_lowercase();
                    let value = Placeholder::parse(&found)
                        .filter(|p| allowed.contains(p))
                        .ok_or_else(|| TemplateError::Unknown {
                            found: name.clone(),
                            at: i,
                            allowed: allowed
                                .iter()
                                .map(|p| format!("{{{}}}", p.name()))
                                .collect::<Vec<_>>()
                                .join(", "),
                        })?;
                    if !literal.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Value(value));
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Ok(Self { parts })
    }

    /// The text with every placeholder filled.
    pub fn render(&self, v: &TemplateValues<'_>) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Value(p) => out.push_str(match p {
                    Placeholder::Username => v.username,
                    Placeholder::Password => v.password,
                    Placeholder::Package => v.package,
                    Placeholder::Speed => v.speed,
                    Placeholder::Name => v.nama,
                    Placeholder::Ticket => v.ticket,
                    Placeholder::Note => v.note,
                }),
            }
        }
        out
    }

    /// Whether it shows the password.
    pub fn shows_password(&self) -> bool {
        self.parts.contains(&Part::Value(Placeholder::Password))
    }
}

impl fmt::Display for MessageTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for part in &self.parts {
            match part {
                Part::Text(t) => f.write_str(&t.replace('{', "{{").replace('}', "}}"))?,
                Part::Value(p) => write!(f, "{{{}}}", p.name())?,
            }
        }
        Ok(())
    }
}

/// The default creation notice, in Indonesian.
pub const CREATE_ID: &str = "Halo {nama}! 👋

Layanan internet Anda sudah aktif. Berikut data login PPPoE Anda:

👤 *Username:* {username}
🔑 *Password:* {password}
📦 *Paket:* {paket} ({kecepatan})

*Cara mengatur ONU/modem:*
1. Sambungkan HP atau laptop ke WiFi/LAN ONU.
2. Buka halaman admin ONU (biasanya 192.168.1.1 atau 192.168.100.1).
3. Masuk menu WAN, pilih mode *PPPoE*.
4. Isi username dan password di atas, lalu simpan.
5. Tunggu 1-2 menit sampai lampu internet menyala.

Simpan pesan ini dan jangan bagikan password Anda.";

/// The default creation notice, in English.
pub const CREATE_EN: &str = "Hello {nama}! 👋

Your internet service is active. Your PPPoE login:

👤 *Username:* {username}
🔑 *Password:* {password}
📦 *Package:* {paket} ({kecepatan})

*Setting up the ONU/modem:*
1. Connect a phone or laptop to the ONU's WiFi/LAN.
2. Open the ONU's admin page (usually 192.168.1.1 or 192.168.100.1).
3. Go to WAN and choose *PPPoE* mode.
4. Enter the username and password above and save.
5. Wait 1-2 minutes until the internet light is on.

Keep this message and do not share your password.";

/// The default resolution notice, in Indonesian.
pub const RESOLVE_ID: &str = "Halo {nama}, laporan gangguan Anda ({tiket}) untuk layanan \
{username} sudah kami selesaikan.

📝 {catatan}

Jika masih ada kendala, balas pesan ini. Terima kasih! 🙏";

/// The default resolution notice, in English.
pub const RESOLVE_EN: &str = "Hello {nama}, your trouble report ({tiket}) for the service \
{username} has been resolved.

📝 {catatan}

If anything is still wrong, reply to this message. Thank you! 🙏";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_parse_and_show_what_they_should() {
        for text in [CREATE_ID, CREATE_EN] {
            let t = MessageTemplate::parse(text, &Placeholder::CREATE).unwrap();
            assert!(t.shows_password());
        }
        for text in [RESOLVE_ID, RESOLVE_EN] {
            let t = MessageTemplate::parse(text, &Placeholder::RESOLVE).unwrap();
            assert!(!t.shows_password());
        }
        // A resolution notice may not show a password.
        assert!(MessageTemplate::parse("{password}", &Placeholder::RESOLVE).is_err());
    }

    #[test]
    fn errors_name_the_placeholder_and_its_place() {
        let err = MessageTemplate::parse("Halo {pasword}", &Placeholder::CREATE).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown placeholder {pasword} at character 5; this template may use {username}, \
             {password}, {paket}, {kecepatan}, {nama}"
        );
        assert_eq!(
            MessageTemplate::parse("ab {nama", &Placeholder::CREATE),
            Err(TemplateError::Unclosed { at: 3 })
        );
    }

    #[test]
    fn braces_aliases_and_display_round_trip() {
        let t = MessageTemplate::parse("{{x}} {Package} {speed}", &Placeholder::CREATE).unwrap();
        let v = TemplateValues {
            package: "Premium",
            speed: "50M",
            ..TemplateValues::default()
        };
        assert_eq!(t.render(&v), "{x} Premium 50M");
        let again = MessageTemplate::parse(&t.to_string(), &Placeholder::CREATE).unwrap();
        assert_eq!(again, t);
    }
}
