//! `pppoe-bot audit list|verify|export`: the auditor's view. The database is opened
//! read-only; nothing here can change it.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use audit_store::{AuditQuery, AuditRow, AuditStore};
use chrono::{DateTime, NaiveDate, Utc};
use pppoe_core::Outcome;

use crate::config::Config;

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
            (None, Some(config)) => Config::load(config)?.paths.audit_db,
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
        /// Only this outcome: ok, denied, invalid, failed, skipped.
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
    /// Walks the hash chain; exits non-zero at the first broken row.
    Verify {
        #[command(flatten)]
        db: DbArgs,
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
    Outcome::parse(text)
        .ok_or_else(|| format!("{text:?}: expected ok, denied, invalid, failed or skipped"))
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
        AuditCommand::Verify { db } => {
            let store = db.open().await?;
            let report = store.verify().await?;
            match &report.broken {
                None => {
                    println!(
                        "audit log intact: {} rows, chain head {}",
                        report.rows_checked,
                        report.head.as_ref().map_or_else(
                            || "(empty)".to_owned(),
                            |h| format!("row {} {}", h.seq, h.hash)
                        )
                    );
                    Ok(true)
                }
                Some(broken) => {
                    println!("audit log BROKEN at {broken}");
                    if let Some(head) = &report.head {
                        println!("last intact row: {} ({})", head.seq, head.hash);
                    }
                    Ok(false)
                }
            }
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

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

fn print_rows(rows: &[AuditRow], format: Format) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            let values: Vec<_> = rows.iter().map(json).collect();
            serde_json::to_writer_pretty(&mut out, &values)?;
            writeln!(out)?;
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
