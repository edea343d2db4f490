//! Incoming translation: a whatsapp-rust message event in, a decision out. Pure: no client, no clock.

use std::collections::HashSet;

use pppoe_core::Incoming;
use whatsapp_rust::Jid;
use whatsapp_rust::types::events::{DecryptFailMode, UndecryptableMessage};
use whatsapp_rust::types::message::{EditAttribute, MessageInfo};
use whatsapp_rust::waproto::whatsapp as wa;
use whatsapp_rust::waproto::whatsapp::message::protocol_message::Type as ProtocolType;

use crate::identity::{Identity, LidMap, resolve_sender};

/// Why a message is not handed to the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IgnoreReason {
    /// Sent by this account (from the phone or this device).
    OwnMessage,
    /// A status update (`status@broadcast`).
    StatusBroadcast,
    /// A broadcast list.
    BroadcastList,
    /// A channel post (`@newsletter`).
    Newsletter,
    /// A group that is not allowlisted.
    GroupNotAllowed,
    /// A chat that is neither a person nor a group (bots, interop, ...).
    UnsupportedChat,
    /// A sender that is neither a phone number nor a LID.
    UnsupportedSender,
    /// An edit of an earlier message (commands are not re-run by editing them).
    Edit,
    /// A reaction.
    Reaction,
    /// A protocol message (revoke, key share, ephemeral setting, ...).
    Protocol,
    /// No text: a sticker, audio, location, contact, poll, media without caption, ...
    NoText,
    /// WhatsApp itself hides this decryption failure (it was an edit or similar).
    HiddenFailure,
}

/// What to do with a message event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Translation {
    /// Hand it to the engine.
    Command(Incoming),
    /// Drop it, for this reason.
    Ignore(IgnoreReason),
    /// It could not be decrypted: ask the sender to resend (if still unreadable after the library's
    /// own retry, and only if the sender is allowlisted).
    Undecryptable {
        /// Where to answer.
        chat: String,
        /// The message id.
        id: String,
        /// Who sent it.
        identity: Identity,
    },
}

/// Translates whatsapp-rust message events, given the adapter's policy and the start-up LID map.
#[derive(Debug, Clone, Default)]
pub struct Translator {
    allowed_groups: HashSet<String>,
    lids: LidMap,
}

/// The text a message carries: plain (`conversation`), extended text, or the caption of an
/// image, video or document; wrappers (ephemeral, view-once, document-with-caption) are opened.
/// `None` when there is no text.
pub fn extract_text(message: &wa::Message) -> Option<&str> {
    let base = unwrap_wrappers(message);
    let text = base
        .conversation
        .as_deref()
        .or_else(|| base.extended_text_message.as_option()?.text.as_deref())
        .or_else(|| base.image_message.as_option()?.caption.as_deref())
        .or_else(|| base.video_message.as_option()?.caption.as_deref())
        .or_else(|| base.document_message.as_option()?.caption.as_deref())
        // Some clients send text with a shared location.
        .or_else(|| base.location_message.as_option()?.comment.as_deref())?;
    (!text.trim().is_empty()).then_some(text)
}

/// What a message carries besides its text, as far as its fields tell without downloading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Media {
    /// A photo or a document: its declared type, size and file name.
    File {
        /// MIME type.
        mime: String,
        /// Declared size in bytes (the sender's claim).
        size: Option<u64>,
        /// A document's file name.
        name: Option<String>,
    },
    /// A shared (or live) location.
    Location(pppoe_core::ports::Coordinates),
}

/// The photo, document or location a message carries, if any (wrappers opened).
pub fn media_of(message: &wa::Message) -> Option<Media> {
    let base = unwrap_wrappers(message);
    if let Some(img) = base.image_message.as_option() {
        return Some(Media::File {
            mime: img.mimetype.clone().unwrap_or_else(|| "image/jpeg".into()),
            size: img.file_length,
            name: None,
        });
    }
    if let Some(doc) = base.document_message.as_option() {
        return Some(Media::File {
            mime: doc
                .mimetype
                .clone()
                .unwrap_or_else(|| "application/octet-stream".into()),
            size: doc.file_length,
            name: doc.file_name.clone(),
        });
    }
    let point = base
        .location_message
        .as_option()
        .and_then(|l| Some((l.degrees_latitude?, l.degrees_longitude?)))
        .or_else(|| {
            let l = base.live_location_message.as_option()?;
            Some((l.degrees_latitude?, l.degrees_longitude?))
        })?;
    pppoe_core::ports::Coordinates::from_degrees(point.0, point.1).map(Media::Location)
}

/// Opens the containers that carry an ordinary message. Not `edited_message`: an edit is not a
/// new command.
fn unwrap_wrappers(message: &wa::Message) -> &wa::Message {
    let mut current = message;
    for _ in 0..4 {
        let inner = [
            current
                .device_sent_message
                .as_option()
                .and_then(|m| m.message.as_option()),
            current
                .ephemeral_message
                .as_option()
                .and_then(|m| m.message.as_option()),
            current
                .view_once_message
                .as_option()
                .and_then(|m| m.message.as_option()),
            current
                .view_once_message_v2
                .as_option()
                .and_then(|m| m.message.as_option()),
            current
                .document_with_caption_message
                .as_option()
                .and_then(|m| m.message.as_option()),
        ]
        .into_iter()
        .flatten()
        .next();
        match inner {
            Some(m) => current = m,
            None => break,
        }
    }
    current
}

/// Why a message without usable text is dropped, when the reason is more specific than
/// [`IgnoreReason::NoText`].
fn content_reason(message: &wa::Message) -> Option<IgnoreReason> {
    let base = unwrap_wrappers(message);
    if message.edited_message.is_set() || base.edited_message.is_set() {
        return Some(IgnoreReason::Edit);
    }
    if let Some(p) = base.protocol_message.as_option() {
        let edit = p.edited_message.is_set() || p.r#type == Some(ProtocolType::MessageEdit);
        return Some(if edit {
            IgnoreReason::Edit
        } else {
            IgnoreReason::Protocol
        });
    }
    if base.reaction_message.is_set() || base.enc_reaction_message.is_set() {
        return Some(IgnoreReason::Reaction);
    }
    None
}

impl Translator {
    /// A translator answering in `allowed_groups` (JIDs like `120363...@g.us`), with the LIDs
    /// resolved at start-up.
    pub fn new(allowed_groups: impl IntoIterator<Item = String>, lids: LidMap) -> Self {
        Self {
            allowed_groups: allowed_groups
                .into_iter()
                .map(|g| g.trim().to_owned())
                .collect(),
            lids,
        }
    }

    /// The start-up LID map.
    pub fn lids(&self) -> &LidMap {
        &self.lids
    }

    /// Replaces the start-up LID map (after a reconnect resolved the allowlist again).
    pub fn set_lids(&mut self, lids: LidMap) {
        self.lids = lids;
    }

    /// Whether the sender must be looked up in the library's LID store before translating: a LID
    /// whose phone number neither `sender_alt` nor the start-up map gives. The driver asks the
    /// store and passes the answer to [`translate`](Self::translate).
    pub fn needs_library_lookup(&self, info: &MessageInfo) -> bool {
        resolve_sender(
            &info.source.sender,
            info.source.sender_alt.as_ref(),
            &self.lids,
            None,
        )
        .is_some_and(|id| matches!(id.sender, pppoe_core::Sender::UnresolvedLid(_)))
    }

    /// Checks that apply to any message of a chat, readable or not.
    fn chat_check(&self, info: &MessageInfo) -> Result<(), IgnoreReason> {
        let chat = &info.source.chat;
        if info.source.is_from_me {
            return Err(IgnoreReason::OwnMessage);
        }
        match chat.server.as_str() {
            "broadcast" if chat.user == "status" => Err(IgnoreReason::StatusBroadcast),
            "broadcast" => Err(IgnoreReason::BroadcastList),
            "newsletter" => Err(IgnoreReason::Newsletter),
            "g.us" => {
                if self.allowed_groups.contains(&chat.to_non_ad().to_string()) {
                    Ok(())
                } else {
                    Err(IgnoreReason::GroupNotAllowed)
                }
            }
            "s.whatsapp.net" | "c.us" | "lid" | "hosted" | "hosted.lid" => Ok(()),
            _ => Err(IgnoreReason::UnsupportedChat),
        }
    }

    fn identity(&self, info: &MessageInfo, library: Option<&str>) -> Option<Identity> {
        resolve_sender(
            &info.source.sender,
            info.source.sender_alt.as_ref(),
            &self.lids,
            library,
        )
    }

    /// Translates a decrypted message (`Event::Message`). `library` is the library's answer for the
    /// sender's LID, when [`needs_library_lookup`](Self::needs_library_lookup) said to ask.
    ///
    /// ```
    /// use whatsapp_adapter::translate::{Translation, Translator};
    /// use whatsapp_rust::types::message::{MessageInfo, MessageSource};
    /// use whatsapp_rust::waproto::whatsapp as wa;
    ///
    /// let info = MessageInfo {
    ///     id: "3EB0C0FFEE".into(),
    ///     source: MessageSource {
    ///         chat: "123456789012345@lid".parse().unwrap(),
    ///         sender: "123456789012345:4@lid".parse().unwrap(),
    ///         sender_alt: Some("6281234567890@s.whatsapp.net".parse().unwrap()),
    ///         ..Default::default()
    ///     },
    ///     timestamp: chrono::DateTime::from_timestamp(1_734_255_025, 0).unwrap(),
    ///     ..Default::default()
    /// };
    /// let message = wa::Message { conversation: Some("checkpppoe john123".into()), ..Default::default() };
    /// let Translation::Command(incoming) = Translator::default().translate(&message, &info, None) else {
    ///     panic!("a command");
    /// };
    /// assert_eq!(incoming.text, "checkpppoe john123");
    /// assert_eq!(incoming.chat, "123456789012345@lid");
    /// assert_eq!(incoming.sender.key(), "6281234567890");
    /// assert_eq!(incoming.sender_lid.as_deref(), Some("123456789012345@lid"));
    /// ```
    pub fn translate(
        &self,
        message: &wa::Message,
        info: &MessageInfo,
        library: Option<&str>,
    ) -> Translation {
        if let Err(reason) = self.chat_check(info) {
            return Translation::Ignore(reason);
        }
        match info.edit {
            EditAttribute::Empty => {}
            EditAttribute::MessageEdit | EditAttribute::AdminEdit => {
                return Translation::Ignore(IgnoreReason::Edit);
            }
            _ => return Translation::Ignore(IgnoreReason::Protocol),
        }
        if let Some(reason) = content_reason(message) {
            return Translation::Ignore(reason);
        }
        // A photo, document or location without a caption still goes to the engine, which
        // asks what it is for.
        let text = match extract_text(message) {
            Some(text) => text,
            None if media_of(message).is_some() => "",
            None => return Translation::Ignore(IgnoreReason::NoText),
        };
        let Some(identity) = self.identity(info, library) else {
            return Translation::Ignore(IgnoreReason::UnsupportedSender);
        };
        Translation::Command(Incoming {
            id: info.id.clone(),
            chat: chat_string(&info.source.chat),
            sender: identity.sender,
            sender_lid: identity.lid,
            text: text.to_owned(),
            sent_at: info.timestamp,
            received_at: None,
            is_group: info.source.chat.server == "g.us",
            // A location is all in the message; a file is downloaded by the adapter.
            attachment: match media_of(message) {
                Some(Media::Location(point)) => {
                    Some(pppoe_core::ports::Attachment::Location(point))
                }
                _ => None,
            },
        })
    }

    /// Translates a message that could not be decrypted (`Event::UndecryptableMessage`).
    pub fn translate_undecryptable(
        &self,
        event: &UndecryptableMessage,
        library: Option<&str>,
    ) -> Translation {
        let info = &event.info;
        if let Err(reason) = self.chat_check(info) {
            return Translation::Ignore(reason);
        }
        if event.decrypt_fail_mode == DecryptFailMode::Hide {
            return Translation::Ignore(IgnoreReason::HiddenFailure);
        }
        if event.is_unavailable {
            // View-once media and the like: nothing the bot could have read.
            return Translation::Ignore(IgnoreReason::NoText);
        }
        let Some(identity) = self.identity(info, library) else {
            return Translation::Ignore(IgnoreReason::UnsupportedSender);
        };
        Translation::Undecryptable {
            chat: chat_string(&info.source.chat),
            id: info.id.clone(),
            identity,
        }
    }
}

/// The chat as the engine's `ChatId`: the JID without device.
pub fn chat_string(chat: &Jid) -> String {
    chat.to_non_ad().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use pppoe_core::Sender;
    use std::sync::Arc;

    use whatsapp_rust::buffa::MessageField;
    use whatsapp_rust::types::events::UnavailableType;
    use whatsapp_rust::types::message::MessageSource;
    use whatsapp_rust::waproto::whatsapp::message as m;

    const PHONE_JID: &str = "6281234567890@s.whatsapp.net";
    const GROUP: &str = "120363012345678901@g.us";

    fn jid(s: &str) -> Jid {
        s.parse().unwrap()
    }

    fn at() -> DateTime<Utc> {
        DateTime::from_timestamp(1_734_255_025, 0).unwrap()
    }

    fn dm_info() -> MessageInfo {
        MessageInfo {
            id: "3EB0AA01".into(),
            source: MessageSource {
                chat: jid(PHONE_JID),
                sender: jid("6281234567890:3@s.whatsapp.net"),
                ..Default::default()
            },
            timestamp: at(),
            ..Default::default()
        }
    }

    fn group_info(group: &str) -> MessageInfo {
        MessageInfo {
            id: "3EB0AA02".into(),
            source: MessageSource {
                chat: jid(group),
                sender: jid("123456789012345:2@lid"),
                sender_alt: Some(jid(PHONE_JID)),
                is_group: true,
                ..Default::default()
            },
            timestamp: at(),
            ..Default::default()
        }
    }

    fn text(t: &str) -> wa::Message {
        wa::Message {
            conversation: Some(t.into()),
            ..Default::default()
        }
    }

    fn translator() -> Translator {
        Translator::new([GROUP.to_owned()], LidMap::new())
    }

    fn command(message: &wa::Message, info: &MessageInfo) -> Incoming {
        match translator().translate(message, info, None) {
            Translation::Command(i) => i,
            other => panic!("expected a command, got {other:?}"),
        }
    }

    fn ignored(message: &wa::Message, info: &MessageInfo) -> IgnoreReason {
        match translator().translate(message, info, None) {
            Translation::Ignore(r) => r,
            other => panic!("expected to be ignored, got {other:?}"),
        }
    }

    #[test]
    fn plain_text() {
        let i = command(&text("checkpppoe john123"), &dm_info());
        assert_eq!(
            i,
            Incoming {
                id: "3EB0AA01".into(),
                chat: PHONE_JID.into(),
                sender: Sender::Phone(
                    pppoe_core::PhoneNumber::international("6281234567890").unwrap()
                ),
                sender_lid: None,
                text: "checkpppoe john123".into(),
                sent_at: at(),
                received_at: None,
                is_group: false,
                attachment: None,
            }
        );
    }

    #[test]
    fn extended_text() {
        let msg = wa::Message {
            extended_text_message: MessageField::some(m::ExtendedTextMessage {
                text: Some("pppoe aktif 2".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(command(&msg, &dm_info()).text, "pppoe aktif 2");
    }

    #[test]
    fn captions_of_image_video_and_document() {
        let image = wa::Message {
            image_message: MessageField::some(m::ImageMessage {
                caption: Some("checkpppoe john123".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let video = wa::Message {
            video_message: MessageField::some(m::VideoMessage {
                caption: Some("restartpppoe john123".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let document = wa::Message {
            document_message: MessageField::some(m::DocumentMessage {
                caption: Some("help pppoe".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        // Documents with captions come wrapped.
        let wrapped_document = wa::Message {
            document_with_caption_message: MessageField::some(m::FutureProofMessage {
                message: MessageField::some(document.clone()),
            }),
            ..Default::default()
        };
        assert_eq!(command(&image, &dm_info()).text, "checkpppoe john123");
        assert_eq!(command(&video, &dm_info()).text, "restartpppoe john123");
        assert_eq!(command(&document, &dm_info()).text, "help pppoe");
        assert_eq!(command(&wrapped_document, &dm_info()).text, "help pppoe");
    }

    #[test]
    fn disappearing_and_view_once_wrappers_are_opened() {
        let ephemeral = wa::Message {
            ephemeral_message: MessageField::some(m::FutureProofMessage {
                message: MessageField::some(text("checkpppoe jane456")),
            }),
            ..Default::default()
        };
        assert_eq!(command(&ephemeral, &dm_info()).text, "checkpppoe jane456");
        let view_once = wa::Message {
            view_once_message_v2: MessageField::some(m::FutureProofMessage {
                message: MessageField::some(wa::Message {
                    image_message: MessageField::some(m::ImageMessage {
                        caption: Some("checkpppoe jane456".into()),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
            }),
            ..Default::default()
        };
        assert_eq!(command(&view_once, &dm_info()).text, "checkpppoe jane456");
    }

    #[test]
    fn own_messages_are_ignored() {
        let mut info = dm_info();
        info.source.is_from_me = true;
        assert_eq!(
            ignored(&text("delpppoe john123 x"), &info),
            IgnoreReason::OwnMessage
        );
    }

    #[test]
    fn status_broadcast_lists_and_newsletters_are_ignored() {
        let mut info = dm_info();
        info.source.chat = jid("status@broadcast");
        assert_eq!(ignored(&text("hi"), &info), IgnoreReason::StatusBroadcast);
        info.source.chat = jid("1234567890@broadcast");
        assert_eq!(ignored(&text("hi"), &info), IgnoreReason::BroadcastList);
        info.source.chat = jid("120363000000000000@newsletter");
        assert_eq!(ignored(&text("hi"), &info), IgnoreReason::Newsletter);
        info.source.chat = jid("1313555000@bot");
        assert_eq!(ignored(&text("hi"), &info), IgnoreReason::UnsupportedChat);
    }

    #[test]
    fn edits_are_ignored_in_every_form() {
        // The stanza's edit attribute.
        let mut info = dm_info();
        info.edit = EditAttribute::MessageEdit;
        assert_eq!(
            ignored(&text("delpppoe john123 x"), &info),
            IgnoreReason::Edit
        );
        info.edit = EditAttribute::SenderRevoke;
        assert_eq!(ignored(&text("x"), &info), IgnoreReason::Protocol);
        // A protocol message of type MESSAGE_EDIT carrying the new text.
        let edit = wa::Message {
            protocol_message: MessageField::some(m::ProtocolMessage {
                r#type: Some(ProtocolType::MessageEdit),
                edited_message: MessageField::some(text("delpppoe john123 moved")),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(ignored(&edit, &dm_info()), IgnoreReason::Edit);
        // The edited-message wrapper.
        let wrapped = wa::Message {
            edited_message: MessageField::some(m::FutureProofMessage {
                message: MessageField::some(text("delpppoe john123 moved")),
            }),
            ..Default::default()
        };
        assert_eq!(ignored(&wrapped, &dm_info()), IgnoreReason::Edit);
        // Inside a disappearing-messages wrapper.
        let ephemeral_edit = wa::Message {
            ephemeral_message: MessageField::some(m::FutureProofMessage {
                message: MessageField::some(edit),
            }),
            ..Default::default()
        };
        assert_eq!(ignored(&ephemeral_edit, &dm_info()), IgnoreReason::Edit);
    }

    #[test]
    fn reactions_and_protocol_messages_are_ignored() {
        let reaction = wa::Message {
            reaction_message: MessageField::some(m::ReactionMessage {
                text: Some("👍".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(ignored(&reaction, &dm_info()), IgnoreReason::Reaction);
        let revoke = wa::Message {
            protocol_message: MessageField::some(m::ProtocolMessage {
                r#type: Some(ProtocolType::Revoke),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(ignored(&revoke, &dm_info()), IgnoreReason::Protocol);
    }

    #[test]
    fn messages_without_text_or_media_are_ignored() {
        let sticker = wa::Message {
            sticker_message: MessageField::some(m::StickerMessage::default()),
            ..Default::default()
        };
        for msg in [sticker, text("   "), wa::Message::default()] {
            assert_eq!(ignored(&msg, &dm_info()), IgnoreReason::NoText);
        }
        // A photo without a caption goes to the engine, which asks what it is for.
        let bare_image = wa::Message {
            image_message: MessageField::some(m::ImageMessage::default()),
            ..Default::default()
        };
        let i = command(&bare_image, &dm_info());
        assert_eq!((i.text.as_str(), i.attachment), ("", None));
    }

    #[test]
    fn a_location_carries_its_point_and_any_text_sent_with_it() {
        let located = |comment: Option<&str>| wa::Message {
            location_message: MessageField::some(m::LocationMessage {
                degrees_latitude: Some(-6.2088),
                degrees_longitude: Some(106.8456),
                comment: comment.map(Into::into),
                ..Default::default()
            }),
            ..Default::default()
        };
        let point = pppoe_core::ports::Coordinates::parse("-6.2088,106.8456").unwrap();
        let i = command(&located(Some("lokasi TR001")), &dm_info());
        assert_eq!(i.text, "lokasi TR001");
        assert_eq!(
            i.attachment,
            Some(pppoe_core::ports::Attachment::Location(point))
        );
        let i = command(&located(None), &dm_info());
        assert_eq!(i.text, "");
        // A point off the globe is no location.
        let mut bad = located(None);
        if let Some(l) = bad.location_message.as_option_mut() {
            l.degrees_latitude = Some(123.0);
        }
        assert_eq!(ignored(&bad, &dm_info()), IgnoreReason::NoText);
    }

    #[test]
    fn groups_only_when_allowlisted() {
        let i = command(&text("checkpppoe john123"), &group_info(GROUP));
        assert!(i.is_group);
        assert_eq!(i.chat, GROUP);
        assert_eq!(
            i.sender,
            Sender::Phone(pppoe_core::PhoneNumber::international("6281234567890").unwrap())
        );
        assert_eq!(i.sender_lid.as_deref(), Some("123456789012345@lid"));
        assert_eq!(
            ignored(
                &text("checkpppoe john123"),
                &group_info("120363099999999999@g.us")
            ),
            IgnoreReason::GroupNotAllowed
        );
        // No group is allowed by default.
        assert_eq!(
            Translator::default().translate(&text("help"), &group_info(GROUP), None),
            Translation::Ignore(IgnoreReason::GroupNotAllowed)
        );
    }

    #[test]
    fn lid_senders_need_a_lookup_only_when_unresolved() {
        let t = translator();
        let mut info = dm_info();
        info.source.chat = jid("123456789012345@lid");
        info.source.sender = jid("123456789012345:3@lid");
        assert!(t.needs_library_lookup(&info));
        match t.translate(&text("help"), &info, None) {
            Translation::Command(i) => {
                assert_eq!(
                    i.sender,
                    Sender::UnresolvedLid("123456789012345@lid".into())
                );
                assert_eq!(i.chat, "123456789012345@lid");
            }
            other => panic!("{other:?}"),
        }
        match t.translate(&text("help"), &info, Some("6281234567890")) {
            Translation::Command(i) => assert_eq!(
                i.sender,
                Sender::Phone(pppoe_core::PhoneNumber::international("6281234567890").unwrap())
            ),
            other => panic!("{other:?}"),
        }
        info.source.sender_alt = Some(jid(PHONE_JID));
        assert!(!t.needs_library_lookup(&info));
        assert!(!t.needs_library_lookup(&dm_info()));
    }

    fn undecryptable(info: MessageInfo, mode: DecryptFailMode) -> UndecryptableMessage {
        UndecryptableMessage::builder()
            .info(Arc::new(info))
            .is_unavailable(false)
            .unavailable_type(UnavailableType::Unknown)
            .decrypt_fail_mode(mode)
            .build()
    }

    #[test]
    fn undecryptable_messages() {
        let t = translator();
        match t.translate_undecryptable(&undecryptable(dm_info(), DecryptFailMode::Show), None) {
            Translation::Undecryptable { chat, id, identity } => {
                assert_eq!(chat, PHONE_JID);
                assert_eq!(id, "3EB0AA01");
                assert_eq!(identity.phone(), Some("6281234567890"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            t.translate_undecryptable(&undecryptable(dm_info(), DecryptFailMode::Hide), None),
            Translation::Ignore(IgnoreReason::HiddenFailure)
        );
        let mut own = dm_info();
        own.source.is_from_me = true;
        assert_eq!(
            t.translate_undecryptable(&undecryptable(own, DecryptFailMode::Show), None),
            Translation::Ignore(IgnoreReason::OwnMessage)
        );
        assert_eq!(
            t.translate_undecryptable(
                &undecryptable(group_info("120363099999999999@g.us"), DecryptFailMode::Show),
                None
            ),
            Translation::Ignore(IgnoreReason::GroupNotAllowed)
        );
        let mut status = dm_info();
        status.source.chat = jid("status@broadcast");
        assert_eq!(
            t.translate_undecryptable(&undecryptable(status, DecryptFailMode::Show), None),
            Translation::Ignore(IgnoreReason::StatusBroadcast)
        );
    }
}
