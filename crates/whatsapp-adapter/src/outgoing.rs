//! Outgoing messages: splitting to WhatsApp's limit, quoting the command, the adapter's own
//! texts. Pure.

use std::collections::{HashMap, VecDeque};

use pppoe_core::Language;
use whatsapp_rust::buffa::MessageField;
use whatsapp_rust::waproto::whatsapp as wa;

use crate::error::TerminalError;

/// Longest text the adapter sends in one message, in characters. WhatsApp's documented limit
/// for a text message body is 4096; the engine already splits its replies at 4000.
pub const MAX_TEXT_CHARS: usize = 4096;

/// Splits `text` into messages of at most [`MAX_TEXT_CHARS`] characters, at blank lines, then
/// line ends, then anywhere (the engine's rule).
pub fn chunk_text(text: &str) -> Vec<String> {
    pppoe_core::split_message(text, MAX_TEXT_CHARS)
}

/// What a reply needs to quote a command message: WhatsApp shows the quoted text above the
/// reply, and needs the sender to find the original.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quoted {
    /// The command message's sender (`participant` of the context info), as a JID string.
    pub participant: String,
    /// The command's text (shown in the quote bubble).
    pub text: String,
}

/// A text message, quoting `quote` (with stanza id `quote_id`) if given.
///
/// ```
/// use whatsapp_adapter::outgoing::{Quoted, build_text_message};
/// let quote = Quoted { participant: "123456789012345@lid".into(), text: "checkpppoe john123".into() };
/// let message = build_text_message("done", Some(("3EB0C0FFEE", &quote)));
/// let ext = message.extended_text_message.unwrap();
/// let ctx = ext.context_info.unwrap();
/// assert_eq!(ctx.stanza_id.as_deref(), Some("3EB0C0FFEE"));
/// assert_eq!(ctx.participant.as_deref(), Some("123456789012345@lid"));
/// ```
pub fn build_text_message(text: &str, quote: Option<(&str, &Quoted)>) -> wa::Message {
    match quote {
        None => wa::Message {
            conversation: Some(text.to_owned()),
            ..Default::default()
        },
        Some((id, quoted)) => wa::Message {
            extended_text_message: MessageField::some(wa::message::ExtendedTextMessage {
                text: Some(text.to_owned()),
                context_info: MessageField::some(wa::ContextInfo {
                    stanza_id: Some(id.to_owned()),
                    participant: Some(quoted.participant.clone()),
                    quoted_message: MessageField::some(wa::Message {
                        conversation: Some(quoted.text.clone()),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        },
    }
}

/// The command messages replies may quote, newest `capacity` kept.
#[derive(Debug, Clone)]
pub struct QuoteCache {
    capacity: usize,
    entries: HashMap<String, Quoted>,
    order: VecDeque<String>,
}

impl QuoteCache {
    /// A cache of at most `capacity` messages.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            entries: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// Remembers message `id`.
    pub fn insert(&mut self, id: String, quoted: Quoted) {
        if self.entries.insert(id.clone(), quoted).is_none() {
            self.order.push_back(id);
        }
        while self.order.len() > self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.entries.remove(&old);
            }
        }
    }

    /// The message `id`, if still kept.
    pub fn get(&self, id: &str) -> Option<&Quoted> {
        self.entries.get(id)
    }

    /// How many messages are kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The answer to a message that could not be decrypted.
pub fn undecryptable_notice(language: Language) -> &'static str {
    match language {
        Language::Indonesian => "⚠️ Pesan tidak terbaca, kirim ulang.",
        Language::English => "⚠️ Message could not be read, please resend.",
    }
}

/// What admins are told when the connection ends for good (if it still can be sent).
pub fn terminal_notice(language: Language, error: &TerminalError) -> String {
    match language {
        Language::Indonesian => format!(
            "🚨 *pppoe-bot berhenti*\n\nKoneksi WhatsApp bot terputus permanen. Operator perlu \
             bertindak di server:\n{error}"
        ),
        Language::English => format!(
            "🚨 *pppoe-bot stopped*\n\nThe bot's WhatsApp connection ended for good. The \
             operator must act on the server:\n{error}"
        ),
    }
}

/// The admins' notice at the first connect after a run that ended without being asked to:
/// why it ended (`reason`, as logged then) and when (`ended_at`), and when the bot came back
/// (`back_at`), both as the admins read clocks (`dd/mm/yyyy HH:MM:SS`, the server's zone).
pub fn back_notice(language: Language, reason: &str, ended_at: &str, back_at: &str) -> String {
    match language {
        Language::Indonesian => format!(
            "ℹ️ *pppoe-bot aktif kembali*\n\nBot berhenti pada {ended_at}:\n{reason}\n\nBot \
             tersambung lagi ke WhatsApp pada {back_at}. Pesan yang terkirim selama bot mati \
             diproses jika masih baru; perubahan dari pesan lama dilewati."
        ),
        Language::English => format!(
            "ℹ️ *pppoe-bot is back*\n\nThe bot stopped at {ended_at}:\n{reason}\n\nIt \
             reconnected to WhatsApp at {back_at}. Messages sent meanwhile are handled if they \
             are recent; changes from old messages are skipped."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_respect_the_limit() {
        let exact = "x".repeat(MAX_TEXT_CHARS);
        assert_eq!(chunk_text(&exact), vec![exact.clone()]);
        let over = "x".repeat(MAX_TEXT_CHARS + 1);
        let parts = chunk_text(&over);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].chars().count(), MAX_TEXT_CHARS);
        assert_eq!(parts.concat(), over);
        // Multi-byte characters count as characters, not bytes.
        let emoji = "🟢".repeat(MAX_TEXT_CHARS);
        assert_eq!(chunk_text(&emoji).len(), 1);
        // Lines are kept whole when possible.
        let lines: Vec<String> = (0..600).map(|i| format!("{i:03}. user{i:03}")).collect();
        let text = lines.join("\n");
        let parts = chunk_text(&text);
        assert!(parts.len() > 1);
        assert!(parts.iter().all(|p| p.chars().count() <= MAX_TEXT_CHARS));
        assert_eq!(parts.join("\n"), text);
        assert_eq!(chunk_text(""), vec![String::new()]);
    }

    #[test]
    fn unquoted_replies_are_plain_text() {
        let m = build_text_message("hello", None);
        assert_eq!(m.conversation.as_deref(), Some("hello"));
        assert!(m.extended_text_message.is_unset());
    }

    #[test]
    fn quoted_replies_carry_the_context() {
        let q = Quoted {
            participant: "6281234567890@s.whatsapp.net".into(),
            text: "checkpppoe john123".into(),
        };
        let m = build_text_message("reply", Some(("ABC", &q)));
        assert!(m.conversation.is_none());
        let ext = m.extended_text_message.unwrap();
        assert_eq!(ext.text.as_deref(), Some("reply"));
        let ctx = ext.context_info.unwrap();
        assert_eq!(ctx.stanza_id.as_deref(), Some("ABC"));
        assert_eq!(
            ctx.participant.as_deref(),
            Some("6281234567890@s.whatsapp.net")
        );
        assert_eq!(
            ctx.quoted_message.unwrap().conversation.as_deref(),
            Some("checkpppoe john123")
        );
    }

    #[test]
    fn quote_cache_keeps_the_newest() {
        let mut c = QuoteCache::new(2);
        let q = |t: &str| Quoted {
            participant: "p".into(),
            text: t.into(),
        };
        c.insert("a".into(), q("1"));
        c.insert("b".into(), q("2"));
        c.insert("a".into(), q("1b"));
        assert_eq!(c.len(), 2);
        c.insert("c".into(), q("3"));
        assert_eq!(c.len(), 2);
        assert!(c.get("a").is_none());
        assert_eq!(c.get("c").unwrap().text, "3");
        assert!(!c.is_empty());
    }

    #[test]
    fn notices() {
        assert!(
            undecryptable_notice(Language::Indonesian)
                .to_lowercase()
                .contains("pesan tidak terbaca, kirim ulang")
        );
        assert!(
            undecryptable_notice(Language::English)
                .to_lowercase()
                .contains("message could not be read, please resend")
        );
        let t = terminal_notice(Language::English, &TerminalError::StreamReplaced);
        assert!(t.contains("one process per session file"), "{t}");
    }
}
