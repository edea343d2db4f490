//! The command grammar: chat text in, a [`Command`] of raw arguments or a precise
//! [`ParseError`] out. Field rules (password length, known profile, usable IP) are checked
//! later by validation, once the profile table and the pools are known.
//!
//! Command words are case-insensitive; straight and curly double quotes group words; extra
//! spaces, a leading `/`, `!` or `.`, and trailing punctuation after command words, usernames,
//! profiles and fields are tolerated. Passwords are taken verbatim.

use std::fmt;

use thiserror::Error;

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
}

impl CommandKind {
    /// Every kind, in help order.
    pub const ALL: [Self; 8] = [
        Self::Add,
        Self::Edit,
        Self::Delete,
        Self::Confirm,
        Self::List,
        Self::Check,
        Self::Restart,
        Self::Help,
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
        }
    }

    /// Whether the command changes the router (and so must never run from a stale backlog).
    pub fn is_mutating(self) -> bool {
        matches!(
            self,
            Self::Add | Self::Edit | Self::Delete | Self::Confirm | Self::Restart
        )
    }

    /// Parses a command word as used in configuration (`addpppoe`, `pppoe`, ...).
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

    fn parse(word: &str) -> Option<Self> {
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
}

/// A command with its arguments as typed (quotes removed), before field validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `addpppoe USER PASS PROFILE [IP] [INFO...]`
    Add {
        /// Username.
        username: String,
        /// Password, verbatim.
        password: String,
        /// Profile as typed.
        profile: String,
        /// The 4th token, when it looks like an IPv4 address.
        ip: Option<String>,
        /// The rest of the line.
        info: Option<String>,
    },
    /// `editpppoe USER FIELD VALUE`
    Edit {
        /// Username.
        username: String,
        /// Field.
        field: EditField,
        /// New value (the rest of the line for `info`).
        value: String,
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
        }
    }

    /// The username the command is about, if any.
    pub fn target(&self) -> Option<&str> {
        match self {
            Self::Add { username, .. }
            | Self::Edit { username, .. }
            | Self::Delete { username, .. }
            | Self::Check { username }
            | Self::Restart { username } => Some(username),
            Self::Confirm { .. } | Self::List { .. } | Self::Help { .. } => None,
        }
    }

    /// The arguments for the audit log, with passwords replaced by `***`.
    pub fn redacted_arguments(&self) -> String {
        match self {
            Self::Add {
                username,
                profile,
                ip,
                info,
                ..
            } => {
                let mut s = format!("{username} *** {profile}");
                if let Some(ip) = ip {
                    s.push(' ');
                    s.push_str(ip);
                }
                if let Some(info) = info {
                    s.push_str(&format!(" \"{info}\""));
                }
                s
            }
            Self::Edit {
                username,
                field: EditField::Password,
                ..
            } => format!("{username} password ***"),
            Self::Edit {
                username,
                field,
                value,
            } => format!("{username} {} {value}", field.as_str()),
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
            },
        }
    }
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
        }
    }
}

/// Why a text is not a command. Each variant carries what was expected and what was found; the
/// renderer adds a correct example.
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
    #[error("unknown command {found:?}")]
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
    #[error("{command}: unexpected {found:?}")]
    TooManyArguments {
        /// The command.
        command: CommandKind,
        /// The first extra argument.
        found: String,
    },
    /// `editpppoe` with a field it cannot change.
    #[error("unknown field {found:?}")]
    UnknownField {
        /// What was typed.
        found: String,
    },
    /// `pppoe FILTER PAGE` with a page that is no positive number.
    #[error("bad page {found:?}")]
    BadPage {
        /// What was typed.
        found: String,
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

/// The text of a message that did not parse, for the audit log: the words as the grammar
/// splits them (quotes respected), with the password of an `addpppoe` or an `editpppoe ...
/// password` replaced by `***`, so a malformed command never leaks it.
pub(crate) fn redact_text(text: &str) -> String {
    let tokens = tokenize(text);
    let word = |i: usize| {
        tokens
            .get(i)
            .map(|t| clean(t.text.trim_start_matches(['/', '!', '.'])).to_lowercase())
    };
    let secret_from = match word(0).as_deref() {
        Some("addpppoe") => Some((2, 3)),
        Some("editpppoe")
            if word(2)
                .as_deref()
                .and_then(EditField::parse)
                .is_some_and(|f| f == EditField::Password) =>
        {
            Some((3, usize::MAX))
        }
        _ => None,
    };
    tokens
        .iter()
        .enumerate()
        .map(|(i, t)| match secret_from {
            Some((from, to)) if i >= from && i < to => "***".to_owned(),
            _ if t.quoted => format!("\"{}\"", t.text),
            _ => t.text.clone(),
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
///     password: "password123".into(),
///     profile: "premium".into(),
///     ip: Some("192.168.1.100".into()),
///     info: Some("John Doe".into()),
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
            }),
            None => Ok(()),
        }
    };
    let user = |t: &Token| clean(&t.text).to_owned();
    Ok(match kind {
        CommandKind::Add => {
            let username = user(need(0, Arg::Username)?);
            let password = need(1, Arg::Password)?.text.clone();
            let profile = clean(&need(2, Arg::Profile)?.text).to_owned();
            let mut rest = &args[3..];
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
                EditField::Info => join(&args[2..]).ok_or(ParseError::MissingArgument {
                    command: kind,
                    missing: Arg::Value,
                })?,
                EditField::Password => {
                    let v = need(2, Arg::Value)?.text.clone();
                    at_most(3)?;
                    v
                }
                EditField::Profile | EditField::Ip | EditField::Status => {
                    let v = clean(&need(2, Arg::Value)?.text).to_owned();
                    at_most(3)?;
                    v
                }
            };
            Command::Edit {
                username,
                field,
                value,
            }
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
            let (filter_tokens, page) = match args.last() {
                Some(t) if !t.quoted && clean(&t.text).bytes().all(|b| b.is_ascii_digit()) => {
                    let page = clean(&t.text)
                        .parse::<u32>()
                        .ok()
                        .filter(|p| *p > 0)
                        .ok_or_else(|| ParseError::BadPage {
                            found: t.text.clone(),
                        })?;
                    (&args[..args.len() - 1], page)
                }
                _ => (args, 1),
            };
            if filter_tokens.len() > 1 {
                return Err(ParseError::TooManyArguments {
                    command: kind,
                    found: filter_tokens[1].text.clone(),
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
                Some(_) => HelpTopic::Pppoe,
            };
            Command::Help { topic }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(u: &str, p: &str, prof: &str, ip: Option<&str>, info: Option<&str>) -> Command {
        Command::Add {
            username: u.into(),
            password: p.into(),
            profile: prof.into(),
            ip: ip.map(Into::into),
            info: info.map(Into::into),
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
        let edit = |f, v: &str| {
            Ok(Command::Edit {
                username: "john123".into(),
                field: f,
                value: v.into(),
            })
        };
        check(
            "editpppoe john123 password password456",
            edit(EditField::Password, "password456"),
        );
        check(
            "editpppoe john123 profile VIP",
            edit(EditField::Profile, "VIP"),
        );
        check(
            "editpppoe john123 ip 192.168.1.200",
            edit(EditField::Ip, "192.168.1.200"),
        );
        check(
            "editpppoe john123 status disable",
            edit(EditField::Status, "disable"),
        );
        check("editpppoe john123 ip -", edit(EditField::Ip, "-"));
        check(
            "editpppoe john123 info John Doe - Jl. Baru 5",
            edit(EditField::Info, "John Doe - Jl. Baru 5"),
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
            }),
        );
        check(
            "pppoe john 0",
            Err(ParseError::BadPage { found: "0".into() }),
        );
        check(
            "pppoe john doe",
            Err(ParseError::TooManyArguments {
                command: CommandKind::List,
                found: "doe".into(),
            }),
        );
        check("ya", missing(CommandKind::Confirm, Arg::Code));
    }

    #[test]
    fn redaction_of_text_that_did_not_parse() {
        assert_eq!(redact_text("addpppoe john s3cretpass"), "addpppoe john ***");
        assert_eq!(
            redact_text("addpppoe \"john doe\" s3cretpass"),
            "addpppoe \"john doe\" ***"
        );
        assert_eq!(
            redact_text("/EditPPPoE john pass a b"),
            "/EditPPPoE john pass *** ***"
        );
        assert_eq!(
            redact_text("editpppoe john info a b"),
            "editpppoe john info a b"
        );
        assert_eq!(redact_text("halo   bot"), "halo bot");
    }

    #[test]
    fn redaction() {
        let cmd = parse_command("addpppoe a secretpass1 Basic 10.0.0.1 Budi", 1000).unwrap();
        assert_eq!(cmd.redacted_arguments(), "a *** Basic 10.0.0.1 \"Budi\"");
        assert!(!cmd.redacted_arguments().contains("secretpass1"));
        let cmd = parse_command("editpppoe a password secretpass2", 1000).unwrap();
        assert_eq!(cmd.redacted_arguments(), "a password ***");
    }
}
