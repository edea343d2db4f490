//! The replies about field evidence (`foto`, `lokasi`). Words of both languages in
//! [`EvidenceWords`].

use std::fmt::Write as _;

use super::{Language, Renderer, line};
use crate::ports::Coordinates;
use crate::ticket::{Evidence, EvidenceKind, EvidenceOf};

/// Why evidence was not kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvidenceRefusal {
    /// `foto` without a photo or document.
    NoFile,
    /// `lokasi` without a location (sent with it or just before).
    NoLocation,
    /// A file of a type the bot does not keep.
    BadType(String),
    /// A file larger than the limit: its size and the limit, in bytes.
    TooLarge(u64, u64),
    /// The messenger could not download the file (why).
    NotDownloaded(String),
}

pub(crate) struct EvidenceWords {
    title_photo: &'static str,
    title_document: &'static str,
    title_location: &'static str,
    title_refused: &'static str,
    title_location_received: &'static str,
    label_for: &'static str,
    label_file: &'static str,
    label_map: &'static str,
    label_caption: &'static str,
    label_at: &'static str,
    label_location: &'static str,
    no_file: &'static str,
    no_location: &'static str,
    bad_type: fn(&str) -> String,
    too_large: fn(&str, &str) -> String,
    not_downloaded: fn(&str) -> String,
    confirm_location: fn(&str) -> String,
    location_for_what: &'static str,
    photo_without_caption: &'static str,
    event_photo: &'static str,
    event_document: &'static str,
    event_location: &'static str,
}

const ID: EvidenceWords = EvidenceWords {
    title_photo: "FOTO DISIMPAN",
    title_document: "DOKUMEN DISIMPAN",
    title_location: "LOKASI DISIMPAN",
    title_refused: "BUKTI TIDAK DISIMPAN",
    title_location_received: "LOKASI DITERIMA",
    label_for: "Untuk",
    label_file: "Berkas",
    label_map: "Peta",
    label_caption: "Keterangan",
    label_at: "Waktu",
    label_location: "Lokasi",
    no_file: "Kirim foto (JPEG, PNG, WEBP) atau dokumen PDF dengan keterangan (caption), \
              misalnya: foto TR001 ONU terpasang",
    no_location: "Bagikan lokasi (Lampirkan → Lokasi), lalu dalam 2 menit kirim: lokasi TR001 \
                  (atau lokasi [user]).",
    bad_type: |mime| {
        format!("Jenis berkas {mime} tidak disimpan. Yang diterima: JPEG, PNG, WEBP, PDF.")
    },
    too_large: |size, max| format!("Berkas {size} lebih besar dari batas {max}."),
    not_downloaded: |why| format!("Berkas tidak bisa diunduh dari WhatsApp ({why}). Kirim ulang."),
    confirm_location: |target| {
        format!("Lokasi ini untuk {target}? Balas dalam 2 menit: lokasi {target}")
    },
    location_for_what: "Lokasi ini untuk apa? Balas dalam 2 menit: lokasi TR001 atau lokasi \
                        [user]",
    photo_without_caption: "Foto/dokumen diterima tanpa keterangan, jadi tidak disimpan. Kirim \
                            ulang dengan caption: foto TR001 [keterangan] atau foto [user]",
    event_photo: "Foto",
    event_document: "Dokumen",
    event_location: "Lokasi",
};

const EN: EvidenceWords = EvidenceWords {
    title_photo: "PHOTO KEPT",
    title_document: "DOCUMENT KEPT",
    title_location: "LOCATION KEPT",
    title_refused: "EVIDENCE NOT KEPT",
    title_location_received: "LOCATION RECEIVED",
    label_for: "For",
    label_file: "File",
    label_map: "Map",
    label_caption: "Caption",
    label_at: "Time",
    label_location: "Location",
    no_file: "Send a photo (JPEG, PNG, WEBP) or a PDF document with a caption, e.g.: foto TR001 \
              ONU installed",
    no_location: "Share the location (Attach → Location), then within 2 minutes send: lokasi \
                  TR001 (or lokasi [user]).",
    bad_type: |mime| format!("Files of type {mime} are not kept. Accepted: JPEG, PNG, WEBP, PDF."),
    too_large: |size, max| format!("The file of {size} is larger than the limit of {max}."),
    not_downloaded: |why| {
        format!("The file could not be downloaded from WhatsApp ({why}). Send it again.")
    },
    confirm_location: |target| {
        format!("Is this location for {target}? Reply within 2 minutes: lokasi {target}")
    },
    location_for_what: "What is this location for? Reply within 2 minutes: lokasi TR001 or \
                        lokasi [user]",
    photo_without_caption: "Photo/document received without a caption, so it was not kept. \
                            Send it again with the caption: foto TR001 [caption] or foto [user]",
    event_photo: "Photo",
    event_document: "Document",
    event_location: "Location",
};

/// A size for people: `850 KB`, `1.2 MB`.
pub(crate) fn size(bytes: u64) -> String {
    if bytes >= 1_000_000 {
        let tenths = bytes.div_ceil(100_000);
        format!("{}.{} MB", tenths / 10, tenths % 10)
    } else {
        format!("{} KB", bytes.div_ceil(1000))
    }
}

impl Renderer {
    fn ew(&self) -> &'static EvidenceWords {
        match self.lang {
            Language::Indonesian => &ID,
            Language::English => &EN,
        }
    }

    fn evidence_of(of: &EvidenceOf) -> String {
        match of {
            EvidenceOf::Ticket(id) => id.to_string(),
            EvidenceOf::Subscriber(u) => u.clone(),
        }
    }

    /// Evidence kept.
    pub fn evidence_kept(&self, e: &Evidence) -> String {
        let ew = self.ew();
        let (emoji, title) = match e.kind {
            EvidenceKind::Photo => ("📷", ew.title_photo),
            EvidenceKind::Document => ("📄", ew.title_document),
            EvidenceKind::Location => ("📍", ew.title_location),
        };
        let mut out = format!("{emoji} *{title}*\n");
        line(&mut out, "🎫", ew.label_for, Self::evidence_of(&e.of));
        if let Some(f) = &e.file {
            line(
                &mut out,
                "📦",
                ew.label_file,
                format!("{}, {}", f.mime, size(f.size)),
            );
            line(&mut out, "🔐", "SHA-256", &f.sha256);
        }
        if let Some(point) = e.location {
            line(&mut out, "🗺️", ew.label_map, point.map_link());
        }
        if let Some(c) = &e.caption {
            line(&mut out, "📝", ew.label_caption, c);
        }
        line(&mut out, "🕒", ew.label_at, self.datetime(e.at));
        out
    }

    /// Evidence refused: why, and what to send instead.
    pub fn evidence_refused(&self, why: &EvidenceRefusal) -> String {
        let ew = self.ew();
        let detail = match why {
            EvidenceRefusal::NoFile => ew.no_file.to_owned(),
            EvidenceRefusal::NoLocation => ew.no_location.to_owned(),
            EvidenceRefusal::BadType(mime) => (ew.bad_type)(mime),
            EvidenceRefusal::TooLarge(bytes, max) => (ew.too_large)(&size(*bytes), &size(*max)),
            EvidenceRefusal::NotDownloaded(why) => (ew.not_downloaded)(why),
        };
        format!("❌ *{}*\n\n{detail}", ew.title_refused)
    }

    /// A location without a caption: kept for 2 minutes, asking what it is for (`target`,
    /// the sender's last ticket or user, if any).
    pub fn location_received(&self, point: Coordinates, target: Option<&str>) -> String {
        let ew = self.ew();
        let mut out = format!("📍 *{}*\n", ew.title_location_received);
        line(&mut out, "🗺️", ew.label_map, point.map_link());
        let ask = match target {
            Some(t) => (ew.confirm_location)(t),
            None => ew.location_for_what.to_owned(),
        };
        let _ = write!(out, "\n\n💡 {ask}");
        out
    }

    /// A photo without a caption.
    pub fn photo_without_caption(&self) -> String {
        format!("📷 {}", self.ew().photo_without_caption)
    }

    /// The line of a ticket's history for a piece of evidence.
    pub(crate) fn evidence_history_line(
        &self,
        e: &Evidence,
        person: &dyn Fn(&str) -> String,
    ) -> String {
        let ew = self.ew();
        let what = match e.kind {
            EvidenceKind::Photo => ew.event_photo,
            EvidenceKind::Document => ew.event_document,
            EvidenceKind::Location => ew.event_location,
        };
        let mut out = format!(
            "{} {what} · {}",
            e.at.with_timezone(&self.tz).format("%d/%m %H:%M"),
            person(&e.actor)
        );
        if let Some(f) = &e.file {
            let short: String = f.sha256.chars().take(12).collect();
            let _ = write!(out, ": {}, {}, sha256 {short}…", f.mime, size(f.size));
        }
        if let Some(point) = e.location {
            let _ = write!(out, ": {}", point.map_link());
        }
        if let Some(c) = &e.caption {
            let _ = write!(out, " ({c})");
        }
        out
    }

    /// The location line of `checkpppoe`: the subscriber's latest location.
    pub fn subscriber_location(&self, point: Coordinates) -> String {
        let mut out = String::new();
        line(&mut out, "📍", self.ew().label_location, point.map_link());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_round_up() {
        assert_eq!(size(1), "1 KB");
        assert_eq!(size(850_000), "850 KB");
        assert_eq!(size(1_200_000), "1.2 MB");
        assert_eq!(size(10_000_001), "10.1 MB");
    }
}
