//! The performance report (`laporan`): one block per technician. Words of both languages in
//! [`ReportWords`].

use std::fmt::Write as _;
use std::time::Duration;

use chrono::NaiveDate;

use super::{Language, Renderer};
use crate::command::Period;

/// One person's line of the report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PerformanceRow {
    /// Successful `addpppoe`, `editpppoe`, `delpppoe`, `restartpppoe`, in that order.
    pub changes: [u64; 4],
    /// Tickets resolved.
    pub resolved: u64,
    /// Of those, installations (`addpppoe ... tiket=`) with a photo and a location kept.
    pub documented_installs: u64,
    /// Median and 90th percentile from the report (`lapor`) to `selesai`.
    pub report_to_resolve: Option<(Duration, Duration)>,
    /// Median and 90th percentile from `ambil` (or `serahkan`) to `selesai`.
    pub take_to_resolve: Option<(Duration, Duration)>,
}

/// Everything the report shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PerformanceView {
    /// The period asked for.
    pub period: Period,
    /// Its first and last day (local).
    pub first_day: NaiveDate,
    /// Today.
    pub last_day: NaiveDate,
    /// Each person as shown (`Name (digits)`) with their row, in display order.
    pub people: Vec<(String, PerformanceRow)>,
}

pub(crate) struct ReportWords {
    title: &'static str,
    label_period: &'static str,
    label_total: &'static str,
    period: fn(Period) -> &'static str,
    changes: [&'static str; 4],
    resolved: &'static str,
    documented: &'static str,
    report_to_resolve: &'static str,
    take_to_resolve: &'static str,
    median: &'static str,
    nothing: &'static str,
    title_bad_period: &'static str,
    bad_period: fn(&str) -> String,
}

const ID: ReportWords = ReportWords {
    title: "LAPORAN KINERJA TEKNISI",
    label_period: "Periode",
    label_total: "Total",
    period: |p| match p {
        Period::Day => "hari ini",
        Period::Week => "7 hari terakhir",
        Period::Month => "30 hari terakhir",
    },
    changes: ["tambah", "edit", "hapus", "restart"],
    resolved: "tiket selesai",
    documented: "pemasangan dengan foto & lokasi",
    report_to_resolve: "Lapor→selesai",
    take_to_resolve: "Ambil→selesai",
    median: "median",
    nothing: "Belum ada aktivitas pada periode ini.",
    title_bad_period: "PERIODE TIDAK DIKENAL",
    bad_period: |found| format!("\"{found}\" bukan periode. Pilih: hari, minggu, atau bulan."),
};

const EN: ReportWords = ReportWords {
    title: "TECHNICIAN PERFORMANCE REPORT",
    label_period: "Period",
    label_total: "Total",
    period: |p| match p {
        Period::Day => "today",
        Period::Week => "last 7 days",
        Period::Month => "last 30 days",
    },
    changes: ["added", "edited", "deleted", "restarted"],
    resolved: "tickets resolved",
    documented: "installations with photo & location",
    report_to_resolve: "Report→resolved",
    take_to_resolve: "Taken→resolved",
    median: "median",
    nothing: "No activity in this period.",
    title_bad_period: "UNKNOWN PERIOD",
    bad_period: |found| format!("\"{found}\" is not a period. Choose: hari, minggu or bulan."),
};

impl Renderer {
    fn rw(&self) -> &'static ReportWords {
        match self.lang {
            Language::Indonesian => &ID,
            Language::English => &EN,
        }
    }

    fn spread(&self, label: &str, spread: Option<(Duration, Duration)>) -> Option<String> {
        let (median, p90) = spread?;
        Some(format!(
            "⏱️ {label}: {} {}, p90 {}",
            self.rw().median,
            self.duration(median),
            self.duration(p90)
        ))
    }

    /// `laporan`.
    pub fn performance(&self, view: &PerformanceView) -> String {
        let rw = self.rw();
        let mut out = format!("📈 *{}*\n", rw.title);
        let days = if view.first_day == view.last_day {
            view.last_day.format("%d/%m/%Y").to_string()
        } else {
            format!(
                "{} – {}",
                view.first_day.format("%d/%m/%Y"),
                view.last_day.format("%d/%m/%Y")
            )
        };
        let _ = write!(
            out,
            "\n🗓️ *{}:* {} ({days})",
            rw.label_period,
            (rw.period)(view.period)
        );
        if view.people.is_empty() {
            let _ = write!(out, "\n\n{}", rw.nothing);
            return out;
        }
        let mut total = PerformanceRow::default();
        for (i, (who, row)) in view.people.iter().enumerate() {
            let changes: Vec<String> = row
                .changes
                .iter()
                .zip(rw.changes)
                .map(|(n, what)| format!("{n} {what}"))
                .collect();
            let _ = write!(
                out,
                "\n\n{}. *{who}*\n   🛠️ {}\n   🎫 {} {} · 📷📍 {} {}",
                i + 1,
                changes.join(" · "),
                row.resolved,
                rw.resolved,
                row.documented_installs,
                rw.documented
            );
            for line in [
                self.spread(rw.report_to_resolve, row.report_to_resolve),
                self.spread(rw.take_to_resolve, row.take_to_resolve),
            ]
            .into_iter()
            .flatten()
            {
                let _ = write!(out, "\n   {line}");
            }
            for (t, n) in total.changes.iter_mut().zip(row.changes) {
                *t += n;
            }
            total.resolved += row.resolved;
            total.documented_installs += row.documented_installs;
        }
        let mut parts: Vec<String> = total
            .changes
            .iter()
            .zip(rw.changes)
            .map(|(n, what)| format!("{n} {what}"))
            .collect();
        parts.push(format!("{} {}", total.resolved, rw.resolved));
        parts.push(format!("{} {}", total.documented_installs, rw.documented));
        let _ = write!(out, "\n\n📊 *{}:* {}", rw.label_total, parts.join(", "));
        out
    }

    /// `laporan` with an unknown period: the title and the detail.
    pub(crate) fn bad_period(&self, found: &str) -> (&'static str, String) {
        let rw = self.rw();
        (rw.title_bad_period, (rw.bad_period)(found))
    }
}
