//! Replies: [`ReplyKind`], [`Reply`] and the `!trap` categories.

use std::fmt;

use super::{Attributes, ProtoError, lossy, split_pair, text};
use crate::codec::{Sentence, SentenceRef, encode_length};

/// The first word of a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReplyKind {
    /// `!re`: one row of data.
    Re,
    /// `!done`: the command finished (may carry `=ret=`).
    Done,
    /// `!trap`: the command failed (`=category=`, `=message=`); a `!done` follows.
    Trap,
    /// `!fatal`: the connection is being closed by the router; the next word is the reason.
    Fatal,
    /// `!empty` (RouterOS 7.18+): the command has no rows; a `!done` follows.
    Empty,
}

impl ReplyKind {
    /// The word as sent on the wire, e.g. `"!re"`.
    #[must_use]
    pub const fn as_word(self) -> &'static str {
        match self {
            Self::Re => "!re",
            Self::Done => "!done",
            Self::Trap => "!trap",
            Self::Fatal => "!fatal",
            Self::Empty => "!empty",
        }
    }

    /// Parses a reply word.
    #[must_use]
    pub fn from_word(word: &[u8]) -> Option<Self> {
        Some(match word {
            b"!re" => Self::Re,
            b"!done" => Self::Done,
            b"!trap" => Self::Trap,
            b"!fatal" => Self::Fatal,
            b"!empty" => Self::Empty,
            _ => return None,
        })
    }

    /// Whether this reply ends the command it answers (`!done`) or the connection (`!fatal`).
    #[must_use]
    pub const fn is_final(self) -> bool {
        matches!(self, Self::Done | Self::Fatal)
    }
}

impl fmt::Display for ReplyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_word())
    }
}

/// Well-known `!trap` categories (the `=category=` attribute).
pub mod trap_category {
    /// Missing item or command.
    pub const MISSING_ITEM_OR_COMMAND: u32 = 0;
    /// Argument value failure.
    pub const ARGUMENT_VALUE_FAILURE: u32 = 1;
    /// Execution of command interrupted (e.g. by `/cancel`).
    pub const INTERRUPTED: u32 = 2;
    /// Scripting related failure.
    pub const SCRIPTING_FAILURE: u32 = 3;
    /// General failure.
    pub const GENERAL_FAILURE: u32 = 4;
    /// API related failure.
    pub const API_FAILURE: u32 = 5;
    /// TTY related failure.
    pub const TTY_FAILURE: u32 = 6;
    /// Value generated with `:return` command.
    pub const RETURN_VALUE: u32 = 7;
}

/// One reply sentence, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Which reply this is.
    pub kind: ReplyKind,
    /// The `.tag=` of the command it answers, if the command was tagged.
    pub tag: Option<String>,
    /// `=key=value` words, in order (for `!trap`: `category` and `message`; for `!done`:
    /// possibly `ret`).
    pub attributes: Attributes,
    /// Other API attributes (`.section=` and the like, keyed with their leading dot), `.tag`
    /// excepted.
    pub api_attributes: Attributes,
    /// For `!fatal`: the reason, i.e. the words after `!fatal` that are not attributes
    /// (joined by a newline if several).
    pub message: Option<String>,
}

impl Reply {
    /// A reply of the given kind with nothing else.
    #[must_use]
    pub fn new(kind: ReplyKind) -> Self {
        Self {
            kind,
            tag: None,
            attributes: Attributes::new(),
            api_attributes: Attributes::new(),
            message: None,
        }
    }

    /// `!re` with these attributes.
    #[must_use]
    pub fn re(attributes: Attributes) -> Self {
        Self {
            attributes,
            ..Self::new(ReplyKind::Re)
        }
    }

    /// `!done` with no attribute.
    #[must_use]
    pub fn done() -> Self {
        Self::new(ReplyKind::Done)
    }

    /// `!done =ret=VALUE` (e.g. the `.id` of an item that `add` created).
    #[must_use]
    pub fn done_ret(ret: impl Into<String>) -> Self {
        let mut reply = Self::done();
        reply.attributes.push("ret", ret);
        reply
    }

    /// `!empty`.
    #[must_use]
    pub fn empty() -> Self {
        Self::new(ReplyKind::Empty)
    }

    /// `!trap` with an optional `=category=` and a `=message=`.
    #[must_use]
    pub fn trap(category: Option<u32>, message: impl Into<String>) -> Self {
        let mut reply = Self::new(ReplyKind::Trap);
        if let Some(category) = category {
            reply.attributes.push("category", category.to_string());
        }
        reply.attributes.push("message", message);
        reply
    }

    /// `!fatal` followed by the reason word.
    #[must_use]
    pub fn fatal(message: impl Into<String>) -> Self {
        Self {
            message: Some(message.into()),
            ..Self::new(ReplyKind::Fatal)
        }
    }

    /// The same reply carrying `.tag=TAG` (or none).
    #[must_use]
    pub fn with_tag(mut self, tag: Option<impl Into<String>>) -> Self {
        self.tag = tag.map(Into::into);
        self
    }

    /// Parses a reply sentence.
    ///
    /// Lenient on purpose: words that are neither `=attributes=` nor `.api=attributes` are
    /// ignored, except after `!fatal`, where they are the message.
    ///
    /// # Errors
    ///
    /// [`ProtoError::EmptySentence`] or [`ProtoError::UnknownReply`].
    pub fn parse(sentence: &Sentence) -> Result<Self, ProtoError> {
        Self::from_words(sentence.words().iter().map(Vec::as_slice))
    }

    /// As [`parse`](Self::parse), for a sentence borrowed from the
    /// [`Decoder`](crate::codec::Decoder) ([`Decoder::next_words`](crate::codec::Decoder::next_words)).
    ///
    /// # Errors
    ///
    /// As [`parse`](Self::parse).
    pub fn parse_ref(sentence: &SentenceRef<'_>) -> Result<Self, ProtoError> {
        Self::from_words(sentence.iter())
    }

    fn from_words<'w, I>(words: I) -> Result<Self, ProtoError>
    where
        I: IntoIterator<Item = &'w [u8]>,
        I::IntoIter: Clone,
    {
        let mut words = words.into_iter();
        let first = words.next().ok_or(ProtoError::EmptySentence)?;
        let kind =
            ReplyKind::from_word(first).ok_or_else(|| ProtoError::UnknownReply(lossy(first)))?;
        let mut reply = Self::new(kind);
        // In one allocation of their size: a row held in a long listing carries no spare
        // capacity.
        reply.attributes = Attributes::from_words(words.clone());
        let mut message: Vec<String> = Vec::new();
        for word in words.filter(|w| !w.starts_with(b"=")) {
            let text = text(word);
            if let Some(tag) = text.strip_prefix(".tag=") {
                reply.tag = Some(tag.to_owned());
            } else if text.starts_with('.') {
                let (k, v) = split_pair(&text);
                reply.api_attributes.push(k, v);
            } else if kind == ReplyKind::Fatal {
                message.push(text.into_owned());
            }
        }
        if kind == ReplyKind::Fatal {
            reply.message = Some(message.join("\n"));
        }
        Ok(reply)
    }

    /// The reply as a sentence: kind, `!fatal` message, attributes, API attributes, tag.
    #[must_use]
    pub fn to_sentence(&self) -> Sentence {
        let mut words: Vec<Vec<u8>> = Vec::with_capacity(3 + self.attributes.len());
        words.push(self.kind.as_word().as_bytes().to_vec());
        if let Some(message) = &self.message {
            words.push(message.clone().into_bytes());
        }
        for (k, v) in self.attributes.iter() {
            words.push(format!("={k}={v}").into_bytes());
        }
        for (k, v) in self.api_attributes.iter() {
            words.push(format!("{k}={v}").into_bytes());
        }
        if let Some(tag) = &self.tag {
            words.push(format!(".tag={tag}").into_bytes());
        }
        Sentence::new(words)
    }

    /// Appends the reply, encoded, to `out`: the words of [`to_sentence`](Self::to_sentence)
    /// and the terminator, written straight into the buffer (by a [`ReplyWriter`]).
    ///
    /// ```
    /// use routeros_api::proto::Reply;
    /// let mut out = Vec::new();
    /// Reply::done_ret("*1").with_tag(Some("4")).encode(&mut out);
    /// assert_eq!(out, Reply::done_ret("*1").with_tag(Some("4")).to_sentence().to_bytes());
    /// ```
    pub fn encode(&self, out: &mut Vec<u8>) {
        let mut writer = ReplyWriter::start(out, self.kind);
        if let Some(message) = &self.message {
            writer.word(message);
        }
        for (k, v) in self.attributes.iter() {
            writer.attr(k, v);
        }
        for (k, v) in self.api_attributes.iter() {
            writer.api_attr(k, v);
        }
        writer.finish(self.tag.as_deref());
    }

    /// The value of attribute `key`.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.attributes.get(key)
    }

    /// `=ret=` of a `!done` (the id of an added item, the result of a script...).
    #[must_use]
    pub fn ret(&self) -> Option<&str> {
        self.get("ret")
    }

    /// `=category=` of a `!trap`, if present and numeric.
    #[must_use]
    pub fn category(&self) -> Option<u32> {
        self.get("category").and_then(|c| c.trim().parse().ok())
    }

    /// The human-readable text: `=message=` of a `!trap`, or the reason of a `!fatal`.
    #[must_use]
    pub fn text(&self) -> Option<&str> {
        match self.kind {
            ReplyKind::Fatal => self.message.as_deref(),
            _ => self.get("message"),
        }
    }
}

/// Writes one reply sentence word by word straight into an output buffer: for a server that
/// streams many rows, with no [`Reply`] to build and no allocation per word.
///
/// ```
/// use routeros_api::proto::{Reply, ReplyKind, ReplyWriter};
///
/// let mut out = Vec::new();
/// let mut row = ReplyWriter::start(&mut out, ReplyKind::Re);
/// row.attr("name", "john123");
/// row.attr("profile", "VIP");
/// let out = row.finish(Some("7"));
/// let same = Reply::re([("name", "john123"), ("profile", "VIP")].into_iter().collect());
/// assert_eq!(*out, same.with_tag(Some("7")).to_sentence().to_bytes());
/// ```
#[derive(Debug)]
pub struct ReplyWriter<'a> {
    out: &'a mut Vec<u8>,
}

impl<'a> ReplyWriter<'a> {
    /// Starts a sentence of this kind at the end of `out`.
    pub fn start(out: &'a mut Vec<u8>, kind: ReplyKind) -> Self {
        let mut writer = Self { out };
        writer.word(kind.as_word());
        writer
    }

    /// A bare word, such as the reason after `!fatal`. An empty word is left out: on the wire
    /// it would end the sentence.
    pub fn word(&mut self, word: &str) {
        if !word.is_empty() {
            encode_length(word.len(), self.out);
            self.out.extend_from_slice(word.as_bytes());
        }
    }

    /// `=key=value`.
    pub fn attr(&mut self, key: &str, value: &str) {
        encode_length(key.len() + value.len() + 2, self.out);
        self.out.push(b'=');
        self.out.extend_from_slice(key.as_bytes());
        self.out.push(b'=');
        self.out.extend_from_slice(value.as_bytes());
    }

    /// `.key=value`: an API attribute, `key` given with its leading dot (`.section`).
    pub fn api_attr(&mut self, key: &str, value: &str) {
        encode_length(key.len() + value.len() + 1, self.out);
        self.out.extend_from_slice(key.as_bytes());
        self.out.push(b'=');
        self.out.extend_from_slice(value.as_bytes());
    }

    /// Ends the sentence: `.tag=TAG` if tagged, then the empty word. Gives the buffer back.
    pub fn finish(mut self, tag: Option<&str>) -> &'a mut Vec<u8> {
        if let Some(tag) = tag {
            self.api_attr(".tag", tag);
        }
        self.out.push(0);
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentence(words: &[&str]) -> Sentence {
        words.iter().copied().collect()
    }

    #[test]
    fn parse_replies() {
        let check = |words: &[&str], expect: &str| {
            let got = match Reply::parse(&sentence(words)) {
                Ok(r) => format!(
                    "{} tag={:?} attrs={:?} api={:?} msg={:?}",
                    r.kind,
                    r.tag,
                    r.attributes.iter().collect::<Vec<_>>(),
                    r.api_attributes.iter().collect::<Vec<_>>(),
                    r.message
                ),
                Err(e) => format!("error: {e}"),
            };
            assert_eq!(got, expect, "{words:?}");
        };
        check(&["!done"], "!done tag=None attrs=[] api=[] msg=None");
        check(
            &["!done", "=ret=*1A", ".tag=4"],
            r#"!done tag=Some("4") attrs=[("ret", "*1A")] api=[] msg=None"#,
        );
        check(
            &["!re", "=name=a=b", "=comment=", "=.id=*2", ".section=1"],
            r#"!re tag=None attrs=[("name", "a=b"), ("comment", ""), (".id", "*2")] api=[(".section", "1")] msg=None"#,
        );
        check(
            &[
                "!trap",
                "=category=1",
                "=message=input does not match any value of profile",
            ],
            r#"!trap tag=None attrs=[("category", "1"), ("message", "input does not match any value of profile")] api=[] msg=None"#,
        );
        check(
            &["!fatal", "session terminated on request"],
            r#"!fatal tag=None attrs=[] api=[] msg=Some("session terminated on request")"#,
        );
        check(
            &["!fatal"],
            r#"!fatal tag=None attrs=[] api=[] msg=Some("")"#,
        );
        check(
            &["!empty", ".tag=9"],
            r#"!empty tag=Some("9") attrs=[] api=[] msg=None"#,
        );
        check(&["!re", "junk"], "!re tag=None attrs=[] api=[] msg=None");
        check(&["!what"], r#"error: unknown reply word "!what""#);
        check(&[], "error: empty sentence");
    }

    #[test]
    fn reply_helpers_and_round_trip() {
        let trap = Reply::trap(Some(4), "failure: secret with the same name already exists")
            .with_tag(Some("12"));
        assert_eq!(trap.category(), Some(4));
        assert_eq!(
            trap.text(),
            Some("failure: secret with the same name already exists")
        );
        let fatal = Reply::fatal("not logged in");
        assert_eq!(fatal.text(), Some("not logged in"));
        let done = Reply::done_ret("*5");
        assert_eq!(done.ret(), Some("*5"));
        let mut re = Reply::re([("name", "x"), ("value", "a=b")].into_iter().collect());
        re.api_attributes.push(".section", "0");
        for reply in [trap, fatal, done, re, Reply::empty().with_tag(Some("1"))] {
            assert_eq!(Reply::parse(&reply.to_sentence()), Ok(reply));
        }
        let words = Reply::fatal("bye").to_sentence().into_words();
        assert_eq!(words, [b"!fatal".to_vec(), b"bye".to_vec()]);
        assert!(ReplyKind::Done.is_final() && !ReplyKind::Trap.is_final());
    }

    #[test]
    fn encode_writes_what_to_sentence_holds() {
        let mut re = Reply::re(
            [("name", "x"), ("long", &"v".repeat(300))]
                .into_iter()
                .collect(),
        );
        re.api_attributes.push(".section", "0");
        for reply in [
            Reply::trap(Some(1), "bad").with_tag(Some("12")),
            Reply::fatal("not logged in"),
            Reply::fatal(""),
            Reply::done_ret("*5"),
            Reply::empty().with_tag(Some("")),
            re,
        ] {
            let mut out = Vec::new();
            reply.encode(&mut out);
            assert_eq!(out, reply.to_sentence().to_bytes(), "{reply:?}");
        }
    }
}
