//! `pppoe-bot audit list|verify|export`: the auditor's view. The database is opened
//! read-only; nothing here can change it. `audit setup-keys`, the admin's one-time step,
//! creates the sealing keys (and the database if needed).

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use audit_store::anchor::AnchoredSeal;
use audit_store::seal::VerificationKey;
use audit_store::sealing_file::{SealingState, sealing_path};
use audit_store::{AuditQuery, AuditRow, AuditStore};
use chrono::{DateTime, NaiveDate, Utc};
use pppoe_core::Outcome;

use crate::config::Settings;

/// Where the audit database is.
#[derive(Debug, clap::Args)]
pub(crate) struct DbArgs {
    /// The audit database file.
    #[arg(long, conflicts_with = "config")]
    db: Option<PathBuf>,
    /// Take the database path from this config file.
    #[arg(long)]
    config: Option<PathBuf>,
}

impl DbArgs {
    fn path(&self) -> anyhow::Result<PathBuf> {
        Ok(match (&self.db, &self.config) {
            (Some(db), _) => db.clone(),
            (None, Some(config)) => Settings::load(config)?.paths.audit_db,
            (None, None) => PathBuf::from("pppoe-demo.db"),
        })
    }

    async fn open(&self) -> anyhow::Result<AuditStore> {
        let path = self.path()?;
        AuditStore::open_read_only(&path)
            .await
            .with_context(|| format!("opening the audit log {} read-only", path.display()))
    }
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// Aligned columns for people.
    Table,
    /// RFC 4180 CSV with a header.
    Csv,
    /// One JSON array.
    Json,
}

/// `audit` subcommands.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum AuditCommand {
    /// Lists attempts, newest first.
    List {
        #[command(flatten)]
        db: DbArgs,
        /// Only this sender (any common phone form, or the digits as stored).
        #[arg(long)]
        actor: Option<String>,
        /// Only this PPPoE username.
        #[arg(long)]
        user: Option<String>,
        /// Only this command word (addpppoe, editpppoe, delpppoe, ...).
        #[arg(long)]
        command: Option<String>,
        /// Only this outcome: ok, denied, invalid, failed, skipped, unknown.
        #[arg(long, value_parser = parse_outcome)]
        outcome: Option<Outcome>,
        /// From this time (UTC): 2024-12-15 or 2024-12-15T09:00:00Z.
        #[arg(long, value_parser = parse_time)]
        since: Option<DateTime<Utc>>,
        /// Before this time (UTC), same forms as --since.
        #[arg(long, value_parser = parse_time)]
        until: Option<DateTime<Utc>>,
        /// At most this many rows.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Skip this many rows (paging).
        #[arg(long, default_value_t = 0)]
        offset: u64,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Checks the log; exits non-zero at the first break. With the verification key: every
    /// row's MAC, every seal and their continuity too; without it, the hash chain only.
    Verify {
        #[command(flatten)]
        db: DbArgs,
        /// The verification key printed by `audit setup-keys` (visible to other users in the
        /// process list: prefer --verification-key-file).
        #[arg(long, conflicts_with = "verification_key_file")]
        verification_key: Option<String>,
        /// A file holding the verification key.
        #[arg(long)]
        verification_key_file: Option<PathBuf>,
        /// A file of anchored seals (an anchor file, or a syslog collector's log): each must be
        /// in the database, unchanged.
        #[arg(long)]
        anchors: Option<PathBuf>,
    },
    /// Creates the sealing keys of an audit log (and the log if needed), once: prints the
    /// verification key, to keep off this machine.
    SetupKeys {
        #[command(flatten)]
        db: DbArgs,
        /// Epoch length in seconds: a row is sealed for good at most this long after it was
        /// written.
        #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..))]
        epoch_secs: u32,
        /// Replace existing keys, on a log that holds no seal yet (e.g. the verification key
        /// was lost right after setup).
        #[arg(long)]
        force_new_keys: bool,
    },
    /// Every row, oldest first, with its hashes (for archiving or external checks).
    Export {
        #[command(flatten)]
        db: DbArgs,
        /// Output format.
        #[arg(long, value_enum, default_value = "json")]
        format: Format,
    },
}

fn parse_outcome(text: &str) -> Result<Outcome, String> {
    Outcome::parse(text).ok_or_else(|| {
        format!("{text:?}: expected ok, denied, invalid, failed, skipped or unknown")
    })
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
        .map_err(|_| format!("{text:?}: expected 2024-12-15 or 2024-12-15T09:00:00Z"))
}

/// Runs an audit subcommand; `Ok(false)` means "exit non-zero" (a broken chain).
pub(crate) async fn run(command: AuditCommand) -> anyhow::Result<bool> {
    match command {
        AuditCommand::List {
            db,
            actor,
            user,
            command,
            outcome,
            since,
            until,
            limit,
            offset,
            format,
        } => {
            let store = db.open().await?;
            let actor = actor.map(|a| {
                pppoe_core::PhoneNumber::parse(&a, "62").map_or(a, |p| p.as_str().to_owned())
            });
            let query = AuditQuery {
                actor,
                username: user,
                command,
                outcome,
                since,
                until,
                limit: Some(limit),
                offset,
            };
            let rows = store.query(&query).await?;
            print_rows(&rows, format)?;
            Ok(true)
        }
        AuditCommand::Verify {
            db,
            verification_key,
            verification_key_file,
            anchors,
        } => {
            let vk = match (verification_key, verification_key_file) {
                (Some(text), _) => Some(text),
                (None, Some(file)) => Some(std::fs::read_to_string(&file).with_context(|| {
                    format!("reading the verification key from {}", file.display())
                })?),
                (None, None) => None,
            }
            .map(|text| text.parse::<VerificationKey>())
            .transpose()?;
            let store = db.open().await?;
            let intact = match vk {
                Some(vk) => verify_sealed(&store, &vk).await?,
                None => verify_chain(&store).await?,
            };
            let anchored = match anchors {
                Some(file) => check_anchors(&store, &file).await?,
                None => true,
            };
            Ok(intact && anchored)
        }
        AuditCommand::SetupKeys {
            db,
            epoch_secs,
            force_new_keys,
        } => {
            let path = db.path()?;
            setup_keys(&path, epoch_secs, force_new_keys).await?;
            Ok(true)
        }
        AuditCommand::Export { db, format } => {
            let store = db.open().await?;
            // Oldest first by seq, so rows appended during the export cannot shift the pages.
            let mut rows = Vec::new();
            let mut after = 0;
            loop {
                let batch = store.rows_after(after, 5000).await?;
                let Some(last) = batch.last() else { break };
                after = last.seq;
                rows.extend(batch);
            }
            print_rows(&rows, format)?;
            Ok(true)
        }
    }
}

/// Prints the claims that have no audit row yet (not a break).
fn print_claims(claims: &[(String, DateTime<Utc>)]) {
    if claims.is_empty() {
        return;
    }
    // Not a broken chain: attempts interrupted by a stop (the bot records them as unknown at
    // its next start), or in progress while the bot runs.
    println!(
        "{} claimed change(s) have no audit row yet (interrupted by a stop, or running now); the bot records them with outcome unknown when it next starts:",
        claims.len()
    );
    for (id, at) in claims {
        println!(
            "  message {} claimed at {}",
            visible(id),
            at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        );
    }
}

/// `audit verify` without the verification key: the hash chain only.
async fn verify_chain(store: &AuditStore) -> anyhow::Result<bool> {
    let report = store.verify().await?;
    print_claims(&report.claims_without_row);
    let result = match &report.broken {
        None => {
            println!(
                "audit log intact: {} rows, chain head {}",
                report.rows_checked,
                report.head.as_ref().map_or_else(
                    || "(empty)".to_owned(),
                    |h| format!("row {} {}", h.seq, h.hash)
                )
            );
            true
        }
        Some(broken) => {
            println!("audit log BROKEN at {broken}");
            if let Some(head) = &report.head {
                println!("last intact row: {} ({})", head.seq, head.hash);
            }
            false
        }
    };
    println!(
        "note: this checked the hash chain only, which anyone with write access to the file \
         can recompute after changing it; it proves nothing against them. Pass \
         --verification-key-file to check the seals."
    );
    Ok(result)
}

/// `audit verify --verification-key`: the chain, every MAC and seal.
async fn verify_sealed(store: &AuditStore, vk: &VerificationKey) -> anyhow::Result<bool> {
    let report = store.verify_sealed(vk, Utc::now()).await?;
    print_claims(&report.chain.claims_without_row);
    print!("{report}");
    if report.is_intact() {
        println!(
            "audit log intact: {} rows, every MAC and seal verifies",
            report.last_seq
        );
        Ok(true)
    } else {
        println!("audit log BROKEN (see above)");
        Ok(false)
    }
}

/// `audit verify --anchors FILE`: every anchored seal is in the database, unchanged.
async fn check_anchors(store: &AuditStore, file: &std::path::Path) -> anyhow::Result<bool> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("reading the anchored seals {}", file.display()))?;
    let anchored: Vec<AnchoredSeal> = text.lines().filter_map(AnchoredSeal::from_line).collect();
    match store.check_anchors(&anchored).await? {
        None => {
            println!(
                "anchors: the {} seal(s) anchored in {} are in the database, unchanged{}",
                anchored.len(),
                file.display(),
                anchored
                    .iter()
                    .map(|a| a.epoch)
                    .max()
                    .map(|e| format!(" (the newest: epoch {e})"))
                    .unwrap_or_default()
            );
            Ok(true)
        }
        Some(problem) => {
            println!("anchors BROKEN: {problem}");
            Ok(false)
        }
    }
}

/// `audit setup-keys`: the database (if new), the sealing state beside it, and the
/// verification key on stdout, alone on its line; how to keep it on stderr.
async fn setup_keys(db: &std::path::Path, epoch_secs: u32, replace: bool) -> anyhow::Result<()> {
    let store = AuditStore::open(db, audit_store::StoreOptions::default())
        .await
        .with_context(|| format!("opening the audit log {}", db.display()))?;
    let sealed = store.has_seals().await?;
    store.close().await;
    if sealed {
        // New keys would leave the old seals unverifiable and the new ones unable to follow
        // them: a sealed log keeps its keys for life.
        anyhow::bail!(
            "{} already holds seals made with its keys; new keys cannot continue them. Keep this \
             log (and its verification key) for the auditor, and point the bot at a new audit \
             database instead",
            db.display()
        );
    }
    let state = sealing_path(db);
    let vk = SealingState::setup(&state, Utc::now().timestamp(), epoch_secs, replace)?;
    println!("{vk}");
    eprintln!(
        "The line above is the verification key of {db}. It is shown once and not stored here.
Keep it OFF this machine: print it, or give it to the auditor; whoever holds it can check,
and nobody who only has this machine can forge, what was sealed.
Check the log with it:  pppoe-bot audit verify --db {db} --verification-key-file FILE
The sealing state is {state} (owner only); the bot moves it on every {epoch_secs} s and
forgets the old key, so a row is sealed for good at most {epoch_secs} s after it is written.",
        db = db.display(),
        state = state.display(),
    );
    Ok(())
}

fn json(row: &AuditRow) -> serde_json::Value {
    let e = &row.event;
    serde_json::json!({
        "seq": row.seq,
        "time": e.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "actor_phone": e.actor_phone,
        "actor_lid": e.actor_lid,
        "role": e.role.map(pppoe_core::Role::as_str),
        "command": e.command,
        "target": e.target,
        "router": e.router,
        "arguments": e.arguments,
        "outcome": e.outcome.as_str(),
        "error": e.error,
        "reason": e.reason,
        "duration_ms": e.duration_ms,
        "message_id": e.message_id,
        "prev_hash": row.prev_hash,
        "hash": row.hash,
    })
}

/// `text` safe to print on a terminal: control characters (C0 including ESC, NUL, CR and LF;
/// DEL; C1) and the invisible bidi formatting characters become visible escapes (`\x1b`,
/// `\n`, `\u{202e}`), and the backslash itself becomes `\\`, so a stored `\x1b` cannot pass
/// for an escaped one. Chat text from anyone, even unknown senders, reaches the audit log.
fn visible(text: &str) -> Cow<'_, str> {
    let needs_escape = |c: char| c == '\\' || c.is_control() || is_bidi_control(c);
    if !text.contains(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // C0, DEL and C1 (`char::is_control` is exactly these).
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if is_bidi_control(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Invisible characters that reorder the text around them: the Arabic letter mark, the LTR
/// and RTL marks, the embeddings and overrides (U+202A to U+202E) and the isolates (U+2066
/// to U+2069).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// serde_json escapes C0 controls, but passes DEL, C1 and bidi controls through. Outside
/// strings JSON text is ASCII, so each of those can only be inside a string, where `\uXXXX`
/// means the same character: the value reads back unchanged. (The C0 controls found here are
/// the pretty printer's line feeds.)
fn json_visible(json: &str) -> Cow<'_, str> {
    let needs_escape = |c: char| (c.is_control() && c >= '\x7f') || is_bidi_control(c);
    if !json.contains(needs_escape) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 8);
    for c in json.chars() {
        if needs_escape(c) {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One RFC 4180 field, with control characters escaped first (so no field spans lines).
fn csv_field(text: &str) -> String {
    let text = visible(text);
    if text.contains([',', '"']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.into_owned()
    }
}

fn print_rows(rows: &[AuditRow], format: Format) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            let values: Vec<_> = rows.iter().map(json).collect();
            let text = serde_json::to_string_pretty(&values)?;
            writeln!(out, "{}", json_visible(&text))?;
        }
        Format::Csv => {
            writeln!(
                out,
                "seq,time,actor_phone,actor_lid,role,command,target,router,arguments,outcome,error,reason,duration_ms,message_id,prev_hash,hash"
            )?;
            for r in rows {
                let fields = [
                    r.seq.to_string(),
                    r.event
                        .at
                        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    r.event.actor_phone.clone(),
                    r.event.actor_lid.clone().unwrap_or_default(),
                    r.event
                        .role
                        .map(|x| x.as_str().to_owned())
                        .unwrap_or_default(),
                    r.event.command.clone(),
                    r.event.target.clone().unwrap_or_default(),
                    r.event.router.clone().unwrap_or_default(),
                    r.event.arguments.clone(),
                    r.event.outcome.as_str().to_owned(),
                    r.event.error.clone().unwrap_or_default(),
                    r.event.reason.clone().unwrap_or_default(),
                    r.event.duration_ms.to_string(),
                    r.event.message_id.clone(),
                    r.prev_hash.clone(),
                    r.hash.clone(),
                ];
                let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                writeln!(out, "{}", line.join(","))?;
            }
        }
        Format::Table => {
            let header = [
                "SEQ",
                "TIME (UTC)",
                "ACTOR",
                "ROLE",
                "COMMAND",
                "USER",
                "OUTCOME",
                "DETAIL",
            ];
            let body: Vec<[String; 8]> = rows
                .iter()
                .map(|r| {
                    let detail = match (&r.event.reason, &r.event.error) {
                        (Some(reason), _) => format!("reason: {reason}"),
                        (None, Some(e)) => e.clone(),
                        (None, None) => r.event.arguments.clone(),
                    };
                    [
                        r.seq.to_string(),
                        r.event.at.format("%Y-%m-%d %H:%M:%S").to_string(),
                        r.event.actor_phone.clone(),
                        r.event
                            .role
                            .map_or("-", pppoe_core::Role::as_str)
                            .to_owned(),
                        r.event.command.clone(),
                        r.event.target.clone().unwrap_or_else(|| "-".into()),
                        r.event.outcome.as_str().to_owned(),
                        detail.chars().take(60).collect(),
                    ]
                    .map(|cell| visible(&cell).into_owned())
                })
                .collect();
            let mut widths = header.map(|h| h.chars().count());
            for row in &body {
                for (w, cell) in widths.iter_mut().zip(row) {
                    *w = (*w).max(cell.chars().count());
                }
            }
            let line = |cells: &[String]| {
                cells
                    .iter()
                    .zip(widths)
                    .map(|(c, w)| format!("{c:<w$}"))
                    .collect::<Vec<_>>()
                    .join("  ")
                    .trim_end()
                    .to_owned()
            };
            writeln!(out, "{}", line(&header.map(str::to_owned)))?;
            for row in &body {
                writeln!(out, "{}", line(row))?;
            }
            if rows.is_empty() {
                writeln!(out, "(no rows)")?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(raw: &str, shown: &str) {
        assert_eq!(visible(raw), shown);
    }

    #[test]
    fn control_characters_become_visible_escapes() {
        check("john123 Pelanggan pindah", "john123 Pelanggan pindah");
        check("emoji 👤 and é stay", "emoji 👤 and é stay");
        check("\x1b[2J", r"\x1b[2J");
        check(
            "\x1b]8;;https://x/\x07a\x1b]8;;\x07",
            r"\x1b]8;;https://x/\x07a\x1b]8;;\x07",
        );
        check("a\0b", r"a\x00b");
        check("a\nb\rc\td", r"a\nb\rc\td");
        check("del\x7f", r"del\x7f");
        check("csi\u{9b}1m", r"csi\x9b1m");
        check("\u{202e}exe.txt", r"\u{202e}exe.txt");
        check(
            "\u{2066}\u{2069}\u{200f}\u{61c}",
            r"\u{2066}\u{2069}\u{200f}\u{61c}",
        );
        // The backslash is escaped, so stored text cannot pass for an escape.
        check(r"\x1b", r"\\x1b");
        check(r"a\b", r"a\\b");
    }

    #[test]
    fn csv_fields_stay_on_one_line() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,\"b\""), "\"a,\"\"b\"\"\"");
        assert_eq!(csv_field("two\nlines"), r"two\nlines");
    }

    #[test]
    fn json_escapes_what_serde_json_passes_through() {
        let value = serde_json::json!({ "reason": "x\x7f\u{9b}\u{202e}\x1b\\ y" });
        let text = serde_json::to_string_pretty(&value).unwrap();
        let safe = json_visible(&text);
        assert_eq!(
            safe,
            "{\n  \"reason\": \"x\\u007f\\u009b\\u202e\\u001b\\\\ y\"\n}"
        );
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, value);
    }
}
