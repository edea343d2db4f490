//! Checking a sealed log with the auditor's verification key: every row's MAC, every seal, the
//! continuity of the seals from the setup epoch, and that each seal closes at a row that is
//! there. The chain check ([`AuditStore::verify`]) comes first; this finds what a chain
//! recomputed by someone with write access hides.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::seal::{EpochKey, VerificationKey, macs_equal};
use crate::store::{AuditStore, VerifyReport};
use crate::{GENESIS_HASH, StoreError};

/// The first thing found wrong in a sealed log, with its kind and place.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SealProblem {
    /// The row's MAC does not verify under its epoch's key: the row was altered (and its chain
    /// recomputed), or forged.
    RowMac {
        /// The row.
        seq: i64,
        /// The epoch it claims.
        epoch: u64,
    },
    /// A row without a MAC after sealing began: inserted by someone without the key.
    Unsealed {
        /// The row.
        seq: i64,
    },
    /// A row's epoch is earlier than the row before it: rows were reordered.
    EpochBackwards {
        /// The row.
        seq: i64,
    },
    /// A seal's MAC does not verify: the seal was forged or altered.
    SealMac {
        /// The seal's (last) epoch.
        epoch: u64,
    },
    /// Seals are missing between two: epochs `from..=to` have none.
    SealsMissing {
        /// The first epoch without a seal.
        from: u64,
        /// The last epoch without a seal.
        to: u64,
    },
    /// A seal closes at a row the log no longer has: the newest rows were deleted.
    Truncated {
        /// The seal's epoch.
        epoch: u64,
        /// The row it closes at.
        last_seq: i64,
        /// The log's last row now (0: no row).
        log_end: i64,
    },
    /// The row a seal closes at is not the row that was sealed.
    HeadMismatch {
        /// The seal's epoch.
        epoch: u64,
        /// The row it closes at.
        last_seq: i64,
    },
    /// A row of a sealed epoch comes after that epoch's seal: inserted later.
    AfterSeal {
        /// The row.
        seq: i64,
        /// The sealed epoch it claims.
        epoch: u64,
    },
    /// Fewer message claims than the newest seal counted: claims were deleted.
    ClaimsDeleted {
        /// Claims when the newest seal was made.
        sealed: i64,
        /// Claims now.
        now: i64,
    },
    /// No seal at all although epochs have elapsed since the setup time.
    NoSeal {
        /// Epochs elapsed since setup.
        elapsed: u64,
        /// The setup time.
        since: DateTime<Utc>,
    },
}

impl fmt::Display for SealProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RowMac { seq, epoch } => write!(
                f,
                "altered or forged: row {seq}'s MAC does not verify under the key of epoch \
                 {epoch} (its content, place or epoch was changed by someone without that key)"
            ),
            Self::Unsealed { seq } => write!(
                f,
                "forged: row {seq} carries no MAC, though rows before it were sealed (inserted \
                 by someone without the sealing key)"
            ),
            Self::EpochBackwards { seq } => write!(
                f,
                "reordered: row {seq} belongs to an earlier epoch than the row before it"
            ),
            Self::SealMac { epoch } => write!(
                f,
                "forged: the seal of epoch {epoch} does not verify under that epoch's key"
            ),
            Self::SealsMissing { from, to } if from == to => {
                write!(f, "missing: the seal of epoch {from} was deleted")
            }
            Self::SealsMissing { from, to } => {
                write!(
                    f,
                    "missing: the seals of epochs {from} to {to} were deleted"
                )
            }
            Self::Truncated {
                epoch,
                last_seq,
                log_end,
            } => write!(
                f,
                "truncated: the seal of epoch {epoch} closes at row {last_seq}, but the log ends \
                 at row {log_end} (rows were deleted)"
            ),
            Self::HeadMismatch { epoch, last_seq } => write!(
                f,
                "altered: row {last_seq} is not the row the seal of epoch {epoch} closed at"
            ),
            Self::AfterSeal { seq, epoch } => write!(
                f,
                "inserted: row {seq} claims epoch {epoch}, which was sealed before it"
            ),
            Self::ClaimsDeleted { sealed, now } => write!(
                f,
                "missing: the newest seal counted {sealed} message claims, the table has {now} \
                 (claims were deleted)"
            ),
            Self::NoSeal { elapsed, since } => write!(
                f,
                "truncated or wiped: sealing began at {} and {elapsed} epochs have elapsed, but \
                 the log has no seal (every seal was deleted, or the bot never ran since setup)",
                since.format("%Y-%m-%d %H:%M:%S UTC")
            ),
        }
    }
}

/// What a check with the verification key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealReport {
    /// The chain check.
    pub chain: VerifyReport,
    /// Rows written before sealing began (no MAC): protected by the chain only.
    pub before_sealing: u64,
    /// The last seal: its epoch, the end of that epoch, and the row it closes at.
    pub sealed_through: Option<(u64, DateTime<Utc>, i64)>,
    /// Rows after the last seal (the open epoch): protected by the chain only.
    pub open_rows: u64,
    /// The log's last row (0: none).
    pub last_seq: i64,
    /// Epochs elapsed since the last seal, when more than two: the newest seals (and rows)
    /// may have been cut, or the bot did not run since; only the anchors tell which. Not a
    /// problem by itself.
    pub unsealed_since: Option<u64>,
    /// The first problem, if any.
    pub problem: Option<SealProblem>,
}

impl SealReport {
    /// Whether the chain and every MAC and seal hold.
    pub fn is_intact(&self) -> bool {
        self.chain.is_intact() && self.problem.is_none()
    }
}

impl fmt::Display for SealReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(b) = &self.chain.broken {
            writeln!(f, "chain broken at {b}")?;
        }
        if let Some(p) = &self.problem {
            writeln!(f, "seals broken: {p}")?;
        }
        if self.before_sealing > 0 {
            writeln!(
                f,
                "rows 1-{}: written before sealing began, protected by the chain only",
                self.before_sealing
            )?;
        }
        match self.sealed_through {
            Some((epoch, until, last)) => {
                let first = self.before_sealing + 1;
                if i64::try_from(first).unwrap_or(i64::MAX) <= last {
                    writeln!(
                        f,
                        "rows {first}-{last}: sealed through epoch {epoch} (until {})",
                        until.format("%Y-%m-%d %H:%M:%S UTC")
                    )?;
                } else {
                    writeln!(
                        f,
                        "sealed through epoch {epoch} (until {})",
                        until.format("%Y-%m-%d %H:%M:%S UTC")
                    )?;
                }
            }
            None => writeln!(f, "no epoch sealed yet")?,
        }
        if self.open_rows > 0 {
            writeln!(
                f,
                "rows {}-{}: in the open epoch, protected by the chain only",
                self.last_seq - i64::try_from(self.open_rows).unwrap_or(0) + 1,
                self.last_seq
            )?;
        }
        if let (Some(elapsed), Some((epoch, until, _))) = (self.unsealed_since, self.sealed_through)
        {
            writeln!(
                f,
                "warning: no seal since epoch {epoch} (until {}), {elapsed} epochs ago: either \
                 the bot did not run since, or the newest seals and rows were cut (truncated); \
                 compare with the anchored seals (--anchors)",
                until.format("%Y-%m-%d %H:%M:%S UTC")
            )?;
        }
        Ok(())
    }
}

type SealedRow = (i64, String, String, Option<i64>, Option<String>);
/// A seal as stored: epoch, first epoch, last row, claims, head, MAC.
type Seal = (i64, i64, i64, i64, String, String);

fn epoch_of(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

impl AuditStore {
    /// Checks the log with the auditor's verification key (see [`crate::seal`]): the chain,
    /// every row's MAC, every seal, and that the seals run without a gap from the setup epoch;
    /// `now` tells how many epochs have elapsed.
    pub async fn verify_sealed(
        &self,
        vk: &VerificationKey,
        now: DateTime<Utc>,
    ) -> Result<SealReport, StoreError> {
        let chain = self.verify().await?;
        let rows: Vec<SealedRow> =
            sqlx::query_as("SELECT seq, at, hash, epoch, mac FROM audit_log ORDER BY seq")
                .fetch_all(self.reader())
                .await?;
        let seals: Vec<Seal> = sqlx::query_as(
            "SELECT epoch, first_epoch, last_seq, claims, head, mac FROM audit_seals ORDER BY epoch",
        )
        .fetch_all(self.reader())
        .await?;
        let last_seq = rows.last().map_or(0, |r| r.0);
        let mut report = SealReport {
            chain,
            before_sealing: 0,
            sealed_through: None,
            open_rows: 0,
            last_seq,
            unsealed_since: None,
            problem: None,
        };
        report.problem = check_rows(vk, &rows, &mut report.before_sealing)
            .or_else(|| check_seals(vk, &rows, &seals));
        if report.problem.is_none()
            && let Some(sealed) = seals.last().map(|s| s.3)
        {
            let claims = self.claim_count().await?;
            if claims < sealed {
                report.problem = Some(SealProblem::ClaimsDeleted {
                    sealed,
                    now: claims,
                });
            }
        }
        if let Some((epoch, _, last, _, _, _)) = seals.last() {
            let epoch = epoch_of(*epoch);
            let until = DateTime::from_timestamp(vk.epoch_start(epoch + 1), 0).unwrap_or(now);
            report.sealed_through = Some((epoch, until, *last));
            let elapsed = vk.epoch_at(now.timestamp()).saturating_sub(epoch + 1);
            report.unsealed_since = (elapsed > 2).then_some(elapsed);
            report.open_rows = rows.iter().filter(|r| r.0 > *last).count() as u64;
        } else {
            report.open_rows = rows.iter().filter(|r| r.3.is_some()).count() as u64;
            let elapsed = vk.epoch_at(now.timestamp());
            // Epoch 0 may still be open, and the first seal is written at the first row or
            // tick after it ended.
            if report.problem.is_none() && elapsed > 1 {
                report.problem = Some(SealProblem::NoSeal {
                    elapsed,
                    since: DateTime::from_timestamp(vk.epochs().start, 0).unwrap_or(now),
                });
            }
        }
        Ok(report)
    }
}

/// Every row's MAC under its epoch's key, epochs never going back, no unsealed row after a
/// sealed one. Counts the rows before sealing.
fn check_rows(
    vk: &VerificationKey,
    rows: &[SealedRow],
    before_sealing: &mut u64,
) -> Option<SealProblem> {
    let mut key = EpochKey::initial(vk);
    let mut sealing = false;
    for (seq, _at, hash, epoch, mac) in rows {
        let (Some(epoch), Some(mac)) = (epoch, mac) else {
            if sealing {
                return Some(SealProblem::Unsealed { seq: *seq });
            }
            *before_sealing += 1;
            continue;
        };
        sealing = true;
        let epoch = epoch_of(*epoch);
        if epoch < key.epoch() {
            return Some(SealProblem::EpochBackwards { seq: *seq });
        }
        key.evolve_to(epoch);
        if !macs_equal(&key.row_mac(*seq, hash), mac) {
            return Some(SealProblem::RowMac { seq: *seq, epoch });
        }
    }
    None
}

/// Seals in a row from epoch 0, each verifying, each closing at a row that is there, and no
/// row of a sealed epoch after its seal.
fn check_seals(vk: &VerificationKey, rows: &[SealedRow], seals: &[Seal]) -> Option<SealProblem> {
    let mut key = EpochKey::initial(vk);
    let mut expected_first = 0u64;
    let log_end = rows.last().map_or(0, |r| r.0);
    let first_seq = rows.first().map_or(1, |r| r.0);
    let mut claims_before = 0;
    for (epoch, first, last_seq, claims, head, mac) in seals {
        let (epoch, first) = (epoch_of(*epoch), epoch_of(*first));
        if first != expected_first {
            return Some(SealProblem::SealsMissing {
                from: expected_first,
                to: first.saturating_sub(1),
            });
        }
        if epoch < key.epoch() {
            return Some(SealProblem::SealMac { epoch });
        }
        key.evolve_to(epoch);
        if !macs_equal(&key.seal_mac(first, *last_seq, *claims, head), mac) {
            return Some(SealProblem::SealMac { epoch });
        }
        if *claims < claims_before {
            return Some(SealProblem::SealMac { epoch });
        }
        claims_before = *claims;
        if *last_seq > log_end {
            return Some(SealProblem::Truncated {
                epoch,
                last_seq: *last_seq,
                log_end,
            });
        }
        let sealed_hash = if *last_seq == 0 {
            Some(GENESIS_HASH)
        } else {
            usize::try_from(*last_seq - first_seq)
                .ok()
                .and_then(|i| rows.get(i))
                .filter(|r| r.0 == *last_seq)
                .map(|r| r.2.as_str())
        };
        if sealed_hash != Some(head.as_str()) {
            return Some(SealProblem::HeadMismatch {
                epoch,
                last_seq: *last_seq,
            });
        }
        expected_first = epoch + 1;
    }
    // Every row of a sealed epoch comes at or before the row its seal closes at. Rows' epochs
    // never go back (checked before), so one pass over both suffices.
    let mut covering = seals.iter().peekable();
    for (seq, _, _, epoch, _) in rows {
        let Some(epoch) = epoch.map(epoch_of) else {
            continue;
        };
        while covering.next_if(|s| epoch_of(s.0) < epoch).is_some() {}
        if let Some((_, _, last_seq, _, _, _)) = covering.peek()
            && seq > last_seq
        {
            return Some(SealProblem::AfterSeal { seq: *seq, epoch });
        }
    }
    None
}

impl AuditStore {
    /// Whether the log holds seals (made with the sealing keys it was set up with).
    pub async fn has_seals(&self) -> Result<bool, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM audit_seals)")
                .fetch_one(self.reader())
                .await?,
        )
    }

    /// How many message claims there are.
    async fn claim_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM message_claims")
            .fetch_one(self.reader())
            .await?)
    }

    /// Compares the database's seals with their anchored copies (lines read from an anchor
    /// file or a collector's log): each anchored seal must be in the database, unchanged.
    /// `Ok(None)` when all `anchored` seals are there; else what is wrong with the first.
    pub async fn check_anchors(
        &self,
        anchored: &[crate::anchor::AnchoredSeal],
    ) -> Result<Option<String>, StoreError> {
        let seals: Vec<Seal> = sqlx::query_as(
            "SELECT epoch, first_epoch, last_seq, claims, head, mac FROM audit_seals ORDER BY epoch",
        )
        .fetch_all(self.reader())
        .await?;
        for a in anchored {
            let found = seals.iter().find(|(epoch, ..)| epoch_of(*epoch) == a.epoch);
            match found {
                None => {
                    return Ok(Some(format!(
                        "truncated: the anchored seal of epoch {} (closing at row {}) is not in \
                         the database: the newest seals and their rows were deleted",
                        a.epoch, a.last_seq
                    )));
                }
                Some((_, first, last_seq, claims, head, mac))
                    if epoch_of(*first) != a.first_epoch
                        || *last_seq != a.last_seq
                        || *claims != a.claims
                        || *head != a.head
                        || !macs_equal(mac, &a.mac) =>
                {
                    return Ok(Some(format!(
                        "altered: the seal of epoch {} differs from its anchored copy",
                        a.epoch
                    )));
                }
                Some(_) => {}
            }
        }
        Ok(None)
    }
}

/// The triggers a sealed log must have.
const TRIGGERS: [&str; 8] = [
    "audit_log_insert_appends",
    "audit_log_no_update",
    "audit_log_no_delete",
    "audit_seals_insert_appends",
    "audit_seals_no_update",
    "audit_seals_no_delete",
    "message_claims_no_update",
    "message_claims_no_delete",
];

/// The start check of a sealed log, before anything is appended: the append-only triggers are
/// there, the newest seal verifies under the current key's line (it must be of an earlier
/// epoch) and closes at a row that is there with the hash it sealed, the rows after it chain
/// on from it, no row after it belongs to an epoch that ended (those are sealed before the key
/// moves on), and the rows of the current epoch carry MACs that verify under the current key.
/// A quick check of the tail, not of the whole log.
pub(crate) async fn check_tail(
    conn: &mut sqlx::SqliteConnection,
    state: &crate::sealing_file::SealingState,
) -> Result<(), StoreError> {
    let present: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            .fetch_all(&mut *conn)
            .await?;
    if let Some(missing) = TRIGGERS.iter().find(|t| !present.iter().any(|p| p == *t)) {
        return Err(StoreError::Tampered(format!(
            "the trigger {missing} is missing (dropped)"
        )));
    }
    let key = state.key();
    let seal: Option<(i64, i64, i64, String)> = sqlx::query_as(
        "SELECT epoch, last_seq, claims, head FROM audit_seals ORDER BY epoch DESC LIMIT 1",
    )
    .fetch_optional(&mut *conn)
    .await?;
    let sealed_through = seal.as_ref().map(|(epoch, ..)| epoch_of(*epoch));
    if let Some((epoch, _, sealed, _)) = &seal {
        let claims: i64 = sqlx::query_scalar("SELECT count(*) FROM message_claims")
            .fetch_one(&mut *conn)
            .await?;
        if claims < *sealed {
            return Err(StoreError::Tampered(format!(
                "the seal of epoch {epoch} counted {sealed} message claims, the table has {claims} \
                 (claims were deleted)"
            )));
        }
    }
    let (mut prev_hash, from) = match seal {
        Some((epoch, last_seq, _, head)) => {
            // Equal is the moment between a seal's commit and the key file's replacement: the
            // writer moves the key on before it writes a row.
            if epoch_of(epoch) > key.epoch() {
                return Err(StoreError::Tampered(format!(
                    "the newest seal is of epoch {epoch}, but the sealing key is still at epoch {} \
                     (an older sealing file was put back, or the seal was forged)",
                    key.epoch()
                )));
            }
            if last_seq > 0 {
                let hash: Option<String> =
                    sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = ?1")
                        .bind(last_seq)
                        .fetch_optional(&mut *conn)
                        .await?;
                match hash {
                    None => {
                        return Err(StoreError::Tampered(format!(
                            "the seal of epoch {epoch} closes at row {last_seq}, which is gone \
                             (the tail was cut)"
                        )));
                    }
                    Some(hash) if hash != head => {
                        return Err(StoreError::Tampered(format!(
                            "row {last_seq} is not the row the seal of epoch {epoch} closed at"
                        )));
                    }
                    Some(_) => {}
                }
            }
            (head, last_seq)
        }
        None => (GENESIS_HASH.to_owned(), 0),
    };
    let rows = sqlx::query(&format!(
        "SELECT {}, epoch, mac FROM audit_log WHERE seq > ?1 ORDER BY seq",
        crate::row::COLUMNS
    ))
    .bind(from)
    .fetch_all(&mut *conn)
    .await?;
    let tampered = |seq: i64, what: String| Err(StoreError::Tampered(format!("row {seq} {what}")));
    let mut sealed = from > 0;
    for (expected, row) in (from + 1..).zip(&rows) {
        let epoch: Option<i64> = sqlx::Row::try_get(row, "epoch")?;
        let mac: Option<String> = sqlx::Row::try_get(row, "mac")?;
        let row = crate::row::RawRow::from_row(row)?;
        if let Some(problem) = crate::store::chain_problem(&row, expected, &prev_hash) {
            let broken = crate::store::ChainBreak {
                seq: row.seq,
                problem,
            };
            return Err(StoreError::Tampered(format!(
                "the chain breaks after the newest seal: {broken}"
            )));
        }
        match (epoch.map(epoch_of), &mac) {
            (Some(epoch), Some(mac)) => {
                sealed = true;
                if epoch < key.epoch() || sealed_through.is_some_and(|s| epoch <= s) {
                    return tampered(
                        row.seq,
                        format!("claims epoch {epoch}, which ended and was sealed without it"),
                    );
                }
                if epoch > key.epoch() {
                    return tampered(
                        row.seq,
                        format!(
                            "claims epoch {epoch}, after the sealing key's epoch {}",
                            key.epoch()
                        ),
                    );
                }
                if !macs_equal(&key.row_mac(row.seq, &row.hash), mac) {
                    return tampered(
                        row.seq,
                        "has a MAC that does not verify under the current key".into(),
                    );
                }
            }
            _ if sealed => {
                return tampered(
                    row.seq,
                    "carries no MAC, though rows before it were sealed".into(),
                );
            }
            _ => {}
        }
        prev_hash = row.hash;
    }
    Ok(())
}
