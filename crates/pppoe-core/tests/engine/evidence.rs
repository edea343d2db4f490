//! Field evidence: `foto` with a photo or PDF, `lokasi` with a location (or right after one),
//! the type and size rules, and where it shows (`tiket TR001`, `checkpppoe`).

use pppoe_core::ports::{Attachment, Coordinates};
use pppoe_core::testing::FakeRouter;
use pppoe_core::ticket::{EvidenceKind, EvidenceOf, TicketId};
use pppoe_core::{Outcome, Outgoing};

use crate::harness::{ADMIN, Bot, TECH, config};

const JPEG: &[u8] = b"\xff\xd8\xff\xe0 not really a photo, but bytes all the same";

fn bot() -> Bot {
    Bot::new(FakeRouter::with_spec_users(), config())
}

fn send_with(b: &Bot, text: &str, attachment: Option<Attachment>) -> Vec<Outgoing> {
    let mut msg = b.message(TECH, text);
    msg.attachment = attachment;
    b.deliver(msg)
}

fn photo(mime: &str, bytes: &[u8]) -> Option<Attachment> {
    Some(Attachment::File {
        bytes: bytes.to_vec(),
        mime: mime.into(),
        name: None,
    })
}

fn here() -> Coordinates {
    Coordinates::parse("-6.2088,106.8456").unwrap()
}

fn evidence(b: &Bot, of: &EvidenceOf) -> Vec<pppoe_core::ticket::Evidence> {
    futures::executor::block_on(pppoe_core::TicketStore::evidence(&b.tickets, of)).unwrap()
}

#[test]
fn a_photo_with_its_caption_is_kept_under_its_sha256_and_shows_in_the_ticket() {
    let b = bot();
    b.say_as(ADMIN, "lapor john123 ONU mati");
    let out = send_with(
        &b,
        "foto TR001 ONU baru terpasang",
        photo("image/jpeg", JPEG),
    );
    let reply = &out[0].text;
    assert!(reply.starts_with("📷 *FOTO DISIMPAN*"), "{reply}");
    let sha = pppoe_core_sha(JPEG);
    assert!(reply.contains(&format!("🔐 *SHA-256:* {sha}")), "{reply}");
    assert!(reply.contains("📦 *Berkas:* image/jpeg, 1 KB"), "{reply}");
    assert!(
        reply.contains("📝 *Keterangan:* ONU baru terpasang"),
        "{reply}"
    );
    let kept = evidence(&b, &EvidenceOf::Ticket(TicketId::new(1).unwrap()));
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].kind, EvidenceKind::Photo);
    assert_eq!(b.tickets.file(&sha).as_deref(), Some(JPEG));
    let row = b.last_event();
    assert_eq!((row.command.as_str(), row.outcome), ("foto", Outcome::Ok));
    assert!(row.reason.unwrap().contains(&sha));
    let shown = b.say_as(TECH, "tiket TR001")[0].clone();
    assert!(shown.contains("Foto · Teknisi ("), "{shown}");
    assert!(
        shown.contains(&format!("sha256 {}…", &sha[..12])),
        "{shown}"
    );
    // Three photos with one caption are three photos, not a repeat.
    send_with(
        &b,
        "foto TR001 ONU baru terpasang",
        photo("image/png", b"png bytes"),
    );
    assert_eq!(b.last_event().outcome, Outcome::Ok);
    assert_eq!(
        evidence(&b, &EvidenceOf::Ticket(TicketId::new(1).unwrap())).len(),
        2
    );
}

/// The engine computes the same SHA-256 as any tool would.
fn pppoe_core_sha(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn files_of_other_types_or_too_large_or_missing_are_refused_and_say_why() {
    let b = bot();
    let cases: [(&str, Option<Attachment>, &str); 4] = [
        (
            "foto john123",
            photo("video/mp4", b"x"),
            "Jenis berkas video/mp4 tidak disimpan",
        ),
        (
            "foto john123",
            Some(Attachment::TooLarge {
                size: 25_000_000,
                mime: "image/jpeg".into(),
            }),
            "Berkas 25.0 MB lebih besar dari batas 10.0 MB",
        ),
        (
            "foto john123",
            None,
            "Kirim foto (JPEG, PNG, WEBP) atau dokumen PDF",
        ),
        (
            "foto nobody",
            photo("image/jpeg", JPEG),
            "tidak ada di router",
        ),
    ];
    for (text, attachment, want) in cases {
        let out = send_with(&b, text, attachment);
        assert!(out[0].text.contains(want), "{text}: {}", out[0].text);
        assert_eq!(b.last_event().outcome, Outcome::Invalid, "{text}");
    }
    let big = vec![0_u8; 10_000_001];
    let out = send_with(&b, "foto john123", photo("application/pdf", &big));
    assert!(
        out[0].text.contains("lebih besar dari batas"),
        "{}",
        out[0].text
    );
    assert!(evidence(&b, &EvidenceOf::Subscriber("john123".into())).is_empty());
    // A PDF within the limit is a document.
    let out = send_with(
        &b,
        "foto john123 berita acara",
        photo("application/pdf", b"%PDF-1.4"),
    );
    assert!(
        out[0].text.starts_with("📄 *DOKUMEN DISIMPAN*"),
        "{}",
        out[0].text
    );
}

#[test]
fn a_location_with_its_caption_is_kept_and_shown_by_checkpppoe() {
    let b = bot();
    let out = send_with(&b, "lokasi john123", Some(Attachment::Location(here())));
    assert!(
        out[0].text.starts_with("📍 *LOKASI DISIMPAN*"),
        "{}",
        out[0].text
    );
    assert!(
        out[0]
            .text
            .contains("🗺️ *Peta:* https://maps.google.com/?q=-6.2088,106.8456")
    );
    let status = b.say_as(TECH, "checkpppoe john123")[0].clone();
    assert!(
        status.contains("📍 *Lokasi:* https://maps.google.com/?q=-6.2088,106.8456"),
        "{status}"
    );
}

#[test]
fn a_location_sent_right_after_selesai_is_confirmed_by_lokasi() {
    let b = bot();
    b.say_as(ADMIN, "lapor john123 lambat");
    b.say_as(TECH, "ambil TR001");
    b.say_as(TECH, "selesai TR001 kabel dirapikan");
    // The location comes without a caption: kept a moment, and the bot asks.
    let out = send_with(&b, "", Some(Attachment::Location(here())));
    assert!(
        out[0].text.starts_with("📍 *LOKASI DITERIMA*"),
        "{}",
        out[0].text
    );
    assert!(
        out[0]
            .text
            .contains("Lokasi ini untuk TR001? Balas dalam 2 menit: lokasi TR001"),
        "{}",
        out[0].text
    );
    assert_eq!(b.last_event().outcome, Outcome::Skipped);
    let out = send_with(&b, "lokasi TR001", None);
    assert!(
        out[0].text.starts_with("📍 *LOKASI DISIMPAN*"),
        "{}",
        out[0].text
    );
    let kept = evidence(&b, &EvidenceOf::Ticket(TicketId::new(1).unwrap()));
    assert_eq!(kept[0].location, Some(here()));
    // Used once: a second `lokasi` has nothing to take.
    b.clock.advance(std::time::Duration::from_secs(130));
    let out = send_with(&b, "lokasi TR001", None);
    assert!(out[0].text.contains("Bagikan lokasi"), "{}", out[0].text);
}

#[test]
fn a_pending_location_expires_after_two_minutes_and_a_captionless_photo_is_not_kept() {
    let b = bot();
    let out = send_with(&b, "", Some(Attachment::Location(here())));
    assert!(
        out[0].text.contains("Lokasi ini untuk apa?"),
        "{}",
        out[0].text
    );
    b.clock.advance(std::time::Duration::from_secs(121));
    let out = send_with(&b, "lokasi john123", None);
    assert!(
        out[0].text.starts_with("❌ *BUKTI TIDAK DISIMPAN*"),
        "{}",
        out[0].text
    );
    let out = send_with(&b, "", photo("image/jpeg", JPEG));
    assert!(out[0].text.contains("tanpa keterangan"), "{}", out[0].text);
    assert_eq!(b.last_event().outcome, Outcome::Invalid);
}

#[test]
fn evidence_on_a_closed_ticket_is_refused() {
    let b = bot();
    b.say_as(ADMIN, "lapor john123 lambat");
    b.say_as(TECH, "ambil TR001");
    b.say_as(TECH, "selesai TR001 ok");
    b.say_as(ADMIN, "tutup TR001");
    let out = send_with(&b, "foto TR001", photo("image/jpeg", JPEG));
    assert!(
        out[0].text.starts_with("❌ *TIKET TR001 TIDAK DIUBAH*"),
        "{}",
        out[0].text
    );
}

#[test]
fn a_location_right_after_an_installation_for_a_ticket_is_suggested_for_the_ticket() {
    let b = bot();
    b.say_as(ADMIN, "lapor pasang baru Pak Budi");
    b.say_as(TECH, "ambil TR001");
    b.say_as(TECH, "addpppoe budi01 rahasia123 Basic tiket=TR001");
    let out = send_with(&b, "", Some(Attachment::Location(here())));
    assert!(
        out[0].text.contains("Lokasi ini untuk TR001?"),
        "the ticket, where laporan counts it: {}",
        out[0].text
    );
}

#[test]
fn a_deleted_subscribers_location_is_not_a_new_ones_of_the_same_name() {
    let b = bot();
    b.say_as(TECH, "addpppoe budi01 rahasia123 Basic");
    send_with(&b, "lokasi budi01", Some(Attachment::Location(here())));
    let status = b.say_as(TECH, "checkpppoe budi01")[0].clone();
    assert!(status.contains("📍 *Lokasi:*"), "{status}");
    b.say_as(ADMIN, "delpppoe budi01 pindah");
    b.clock.advance(std::time::Duration::from_secs(60));
    b.say_as(TECH, "addpppoe budi01 rahasia456 Basic");
    let status = b.say_as(TECH, "checkpppoe budi01")[0].clone();
    assert!(!status.contains("📍 *Lokasi:*"), "{status}");
}
