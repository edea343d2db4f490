//! `foto TR001|USER [keterangan]` (the caption of a photo or a PDF) and `lokasi TR001|USER`
//! (the caption of a shared location, or the confirmation of one sent just before): field
//! evidence kept under its SHA-256 by the ticket store, on a ticket or on a subscriber.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::domain::Username;
use crate::ports::{Attachment, AuditSink, Clock, Coordinates, Outcome, Router, RouterError};
use crate::render::EvidenceRefusal;
use crate::ticket::{
    EvidenceFile, EvidenceKind, EvidenceOf, NewEvidence, Refusal, TicketError, TicketState,
    TicketStore,
};

use super::answer::Answer;
use super::{Cx, Engine};

/// How long a location sent without a caption waits for `lokasi TARGET`, and how recent a
/// `selesai` or `addpppoe` must be for the bot to suggest its target.
pub(super) const LOCATION_WINDOW: Duration = Duration::from_secs(120);

/// The file types kept, and as what.
fn kind_of(mime: &str) -> Option<EvidenceKind> {
    match mime.split(';').next().unwrap_or_default().trim() {
        "image/jpeg" | "image/png" | "image/webp" => Some(EvidenceKind::Photo),
        "application/pdf" => Some(EvidenceKind::Document),
        _ => None,
    }
}

/// Lower-case hex SHA-256.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn window() -> chrono::Duration {
    chrono::Duration::from_std(LOCATION_WINDOW).unwrap_or_default()
}

impl<R: Router, A: AuditSink, C: Clock, T: TicketStore> Engine<R, A, C, T> {
    /// Notes the target of a change the sender just did (`selesai TR001`, `addpppoe USER`),
    /// which a location sent right after is probably for.
    pub(super) fn remember_work(&self, actor: &str, target: String, at: DateTime<Utc>) {
        self.lock()
            .recent_work
            .insert(actor.to_owned(), (target, at));
    }

    /// A location sent without a caption: kept for [`LOCATION_WINDOW`], and the sender asked
    /// what it is for.
    pub(super) fn location_without_caption(
        &self,
        actor: &str,
        point: Coordinates,
        now: DateTime<Utc>,
    ) -> Answer {
        let mut state = self.lock();
        state
            .pending_location
            .insert(actor.to_owned(), (point, now));
        let target = state
            .recent_work
            .get(actor)
            .filter(|(_, at)| now - *at < window())
            .map(|(t, _)| t.clone());
        drop(state);
        Answer::new(
            Outcome::Skipped,
            Some(self.renderer.location_received(point, target.as_deref())),
        )
        .error("a location without a caption: kept 2 minutes for `lokasi TARGET`")
    }

    /// The location this sender sent without a caption in the last [`LOCATION_WINDOW`].
    fn take_pending_location(&self, actor: &str, now: DateTime<Utc>) -> Option<Coordinates> {
        let (point, at) = self.lock().pending_location.remove(actor)?;
        (now - at < window()).then_some(point)
    }

    pub(super) async fn evidence(
        &self,
        of: EvidenceOf,
        location: bool,
        caption: Option<String>,
        cx: &Cx<'_>,
    ) -> Result<Answer, RouterError> {
        // What it is about must exist (a ticket not closed, a user on the router).
        match &of {
            EvidenceOf::Ticket(id) => match self.tickets.get(*id).await {
                Ok(Some((t, _))) if t.state == TicketState::Closed => {
                    let refusal = Refusal::Finished(TicketState::Closed);
                    return Ok(Answer::invalid(
                        format!("{id}: {refusal}"),
                        self.renderer
                            .ticket_refused(*id, &refusal, &|d: &str| self.person(d)),
                    ));
                }
                Ok(Some(_)) => {}
                Ok(None) => return Ok(self.ticket_failure(&TicketError::NotFound(*id), cx)),
                Err(e) => return Ok(self.ticket_failure(&e, cx)),
            },
            EvidenceOf::Subscriber(name) => {
                let name =
                    Username::parse(name).map_err(|e| RouterError::InvalidValue(e.to_string()))?;
                if let Err(answer) = self.existing(&name).await? {
                    return Ok(answer);
                }
            }
        }
        let refused = |why: EvidenceRefusal| {
            let text = match &why {
                EvidenceRefusal::NoFile => "no photo or document with it".to_owned(),
                EvidenceRefusal::NoLocation => "no location with it or just before".to_owned(),
                EvidenceRefusal::BadType(m) => format!("file type {m} not kept"),
                EvidenceRefusal::TooLarge(s, m) => {
                    format!("file of {s} bytes over the limit of {m}")
                }
                EvidenceRefusal::NotDownloaded(why) => format!("file not downloaded: {why}"),
            };
            Ok(Answer::invalid(text, self.renderer.evidence_refused(&why)))
        };
        let max = self.config.evidence_max_bytes;
        let (kind, file, point) = if location {
            let point = match cx.attachment {
                Some(Attachment::Location(point)) => Some(*point),
                None => self.take_pending_location(cx.actor, cx.now),
                Some(_) => None,
            };
            match point {
                Some(point) => (EvidenceKind::Location, None, Some(point)),
                None => return refused(EvidenceRefusal::NoLocation),
            }
        } else {
            match cx.attachment {
                Some(Attachment::File { bytes, mime, .. }) => {
                    let Some(kind) = kind_of(mime) else {
                        return refused(EvidenceRefusal::BadType(mime.clone()));
                    };
                    let size = bytes.len() as u64;
                    if size > max {
                        return refused(EvidenceRefusal::TooLarge(size, max));
                    }
                    let file = EvidenceFile {
                        sha256: sha256_hex(bytes),
                        size,
                        mime: mime.clone(),
                    };
                    (kind, Some((file, bytes.clone())), None)
                }
                Some(Attachment::TooLarge { size, .. }) => {
                    return refused(EvidenceRefusal::TooLarge(*size, max));
                }
                Some(Attachment::NotDownloaded { why, .. }) => {
                    return refused(EvidenceRefusal::NotDownloaded(why.clone()));
                }
                Some(Attachment::Location(_)) | None => return refused(EvidenceRefusal::NoFile),
            }
        };
        let kept = self
            .tickets
            .add_evidence(NewEvidence {
                at: cx.now,
                actor: cx.actor.to_owned(),
                of,
                kind,
                file,
                location: point,
                caption,
                message_id: cx.message_id.to_owned(),
            })
            .await;
        Ok(match kept {
            Ok(e) => {
                let mut answer = Answer::ok(self.renderer.evidence_kept(&e));
                if let Some(f) = &e.file {
                    // The audit row names the file by its hash: an auditor can match it.
                    answer.error = None;
                    answer.reason = Some(format!(
                        "{} {} {} bytes sha256 {}",
                        kind.as_str(),
                        f.mime,
                        f.size,
                        f.sha256
                    ));
                } else if let Some(p) = e.location {
                    answer.reason = Some(format!("location {p}"));
                }
                answer
            }
            Err(e) => self.ticket_failure(&e, cx),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_abc_is_the_known_one() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn only_the_allowed_types_are_kept() {
        assert_eq!(kind_of("image/jpeg"), Some(EvidenceKind::Photo));
        assert_eq!(kind_of("application/pdf"), Some(EvidenceKind::Document));
        assert_eq!(kind_of("image/webp; codecs=x"), Some(EvidenceKind::Photo));
        assert_eq!(kind_of("video/mp4"), None);
        assert_eq!(kind_of("image/gif"), None);
    }
}
