//! `laporan [hari|minggu|bulan]`: per technician, the changes made (from the audit log), the
//! tickets resolved and how long they took (from the tickets' history), the median and the
//! 90th percentile computed here.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Days, NaiveTime, Utc};

use crate::command::{CommandKind, Period};
use crate::ports::{AuditSink, Clock, Router};
use crate::render::{PerformanceRow, PerformanceView};
use crate::ticket::{Resolution, TicketError, TicketStore};

use super::answer::{Answer, incident_id};
use super::{Cx, Engine};

/// The commands the report counts, in its column order.
pub(crate) const COUNTED: [CommandKind; 4] = [
    CommandKind::Add,
    CommandKind::Edit,
    CommandKind::Delete,
    CommandKind::Restart,
];

/// The `p`-th percentile (nearest rank) of `sorted`, which must be sorted; `None` if empty.
pub(crate) fn percentile(sorted: &[Duration], p: u32) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (sorted.len() * p as usize).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// Median and 90th percentile of `durations`.
fn spread(mut durations: Vec<Duration>) -> Option<(Duration, Duration)> {
    durations.sort_unstable();
    Some((percentile(&durations, 50)?, percentile(&durations, 90)?))
}

/// The report's rows, one per person (phone digits) who did anything.
pub(crate) fn rows(
    counts: &[(String, String, u64)],
    resolutions: &[Resolution],
) -> BTreeMap<String, PerformanceRow> {
    let mut rows: BTreeMap<String, PerformanceRow> = BTreeMap::new();
    for (actor, command, count) in counts {
        if let Some(i) = COUNTED.iter().position(|k| k.word() == command) {
            rows.entry(actor.clone()).or_default().changes[i] += count;
        }
    }
    let mut from_report: BTreeMap<&str, Vec<Duration>> = BTreeMap::new();
    let mut from_take: BTreeMap<&str, Vec<Duration>> = BTreeMap::new();
    for r in resolutions {
        let Some(who) = r.resolver.as_deref() else {
            continue;
        };
        let row = rows.entry(who.to_owned()).or_default();
        row.resolved += 1;
        row.documented_installs += u64::from(r.documented_install);
        let since = |at: DateTime<Utc>| (r.resolved_at - at).to_std().unwrap_or_default();
        from_report
            .entry(who)
            .or_default()
            .push(since(r.reported_at));
        if let Some(taken) = r.taken_at {
            from_take.entry(who).or_default().push(since(taken));
        }
    }
    for (who, row) in &mut rows {
        row.report_to_resolve = from_report.remove(who.as_str()).and_then(spread);
        row.take_to_resolve = from_take.remove(who.as_str()).and_then(spread);
    }
    rows
}

impl<R: Router, A: AuditSink, C: Clock, T: TicketStore> Engine<R, A, C, T> {
    pub(super) async fn performance(&self, period: Period, cx: &Cx<'_>) -> Answer {
        let tz = self.config.time_zone;
        let today = cx.now.with_timezone(&tz).date_naive();
        let first_day = today
            .checked_sub_days(Days::new(u64::from(period.days() - 1)))
            .unwrap_or(today);
        let since = first_day
            .and_time(NaiveTime::MIN)
            .and_local_timezone(tz)
            .earliest()
            .map_or(cx.now, |t| t.with_timezone(&Utc));
        let counts = match self.audit.activity(since).await {
            Ok(c) => c,
            Err(e) => {
                let incident = incident_id(cx.message_id);
                tracing::error!(%incident, error = %e, "performance report: audit log unreadable");
                return Answer::with(
                    crate::ports::Outcome::Failed,
                    format!("audit log unreadable: {e} (incident {incident})"),
                    self.renderer.internal_error(&incident, false),
                );
            }
        };
        let resolutions = match self.tickets.resolutions(since).await {
            Ok(r) => r,
            // Without a ticket store the report still counts the changes.
            Err(TicketError::Unavailable) => Vec::new(),
            Err(e) => {
                let incident = incident_id(cx.message_id);
                tracing::error!(%incident, error = %e, "performance report: tickets unreadable");
                return Answer::with(
                    crate::ports::Outcome::Failed,
                    format!("tickets unreadable: {e} (incident {incident})"),
                    self.renderer.internal_error(&incident, false),
                );
            }
        };
        let counts: Vec<(String, String, u64)> = counts
            .into_iter()
            .map(|c| (c.actor, c.command, c.count))
            .collect();
        let mut people: Vec<(String, PerformanceRow)> = rows(&counts, &resolutions)
            .into_iter()
            .map(|(who, row)| (self.person(&who), row))
            .collect();
        people.sort_by_key(|(who, _)| who.to_lowercase());
        Answer::ok(self.renderer.performance(&PerformanceView {
            period,
            first_day,
            last_day: today,
            people,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ticket::TicketId;
    use chrono::TimeZone;

    fn mins(m: u64) -> Duration {
        Duration::from_secs(m * 60)
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let d: Vec<Duration> = (1..=10).map(mins).collect();
        assert_eq!(percentile(&d, 50), Some(mins(5)));
        assert_eq!(percentile(&d, 90), Some(mins(9)));
        assert_eq!(percentile(&d[..1], 90), Some(mins(1)));
        assert_eq!(percentile(&[], 50), None);
        let d: Vec<Duration> = (1..=3).map(mins).collect();
        assert_eq!(percentile(&d, 50), Some(mins(2)));
        assert_eq!(percentile(&d, 90), Some(mins(3)));
    }

    #[test]
    fn rows_count_each_persons_changes_and_time_to_resolve() {
        let at = |m: i64| Utc.timestamp_opt(1_700_000_000 + m * 60, 0).unwrap();
        let counts = vec![
            ("a".to_owned(), "addpppoe".to_owned(), 3),
            ("a".to_owned(), "delpppoe".to_owned(), 1),
            ("a".to_owned(), "lapor".to_owned(), 9),
            ("b".to_owned(), "editpppoe".to_owned(), 2),
        ];
        let resolution = |who: &str, reported: i64, taken: Option<i64>, resolved: i64| Resolution {
            ticket: TicketId::new(1).unwrap(),
            resolver: Some(who.to_owned()),
            reported_at: at(reported),
            taken_at: taken.map(at),
            resolved_at: at(resolved),
            documented_install: false,
        };
        let resolutions = vec![
            resolution("b", 0, Some(10), 70),
            resolution("b", 0, None, 30),
            resolution("c", 0, Some(5), 15),
        ];
        let rows = rows(&counts, &resolutions);
        assert_eq!(rows["a"].changes, [3, 0, 1, 0]);
        assert_eq!(rows["a"].resolved, 0);
        assert_eq!(rows["a"].report_to_resolve, None);
        assert_eq!(rows["b"].changes, [0, 2, 0, 0]);
        assert_eq!(rows["b"].resolved, 2);
        assert_eq!(rows["b"].report_to_resolve, Some((mins(30), mins(70))));
        assert_eq!(rows["b"].take_to_resolve, Some((mins(60), mins(60))));
        assert_eq!(rows["c"].take_to_resolve, Some((mins(10), mins(10))));
    }
}
