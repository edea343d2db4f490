//! Typed view of sentences, for both sides of the connection (sans-IO).
//!
//! * A client builds a [`Command`] and parses what comes back with [`Reply::parse`].
//! * A server parses what comes in with [`Request::parse`], filters items with
//!   [`Request::matches`] and answers with [`Reply`] values turned into sentences by
//!   [`Reply::to_sentence`].
//!
//! Words are bytes at the codec level; here they are text, decoded as UTF-8 with invalid
//! sequences replaced (lossy), because RouterOS does not promise any encoding.
//!
//! Word syntax (RouterOS API):
//!
//! | word            | meaning                                                  |
//! |-----------------|----------------------------------------------------------|
//! | `/ppp/secret/print` | command (first word of a request)                    |
//! | `=key=value`    | attribute; the value may contain `=`                     |
//! | `=.proplist=a,b`| API attribute: which properties to return                |
//! | `.tag=T`        | API attribute: tag that the replies will carry           |
//! | `?...`          | query word, see [`QueryWord`]                            |
//! | `!re` `!done` `!trap` `!fatal` `!empty` | reply kind (first word of a reply) |

use std::fmt;

use crate::codec::{Sentence, SentenceRef};

/// Ordered `key -> value` pairs, as they appeared on the wire (duplicates kept).
///
/// Compact: all the keys and values of a row live in one string, each preceded by its length,
/// so that a row of a listing costs one allocation of about its size on the wire (a vector of
/// `(String, String)` pairs cost two allocations and 48 bytes of pair per attribute, about
/// eight times the wire size). Looking a key up is a linear scan, as it was with a vector of
/// pairs: rows have a few dozen attributes at most.
///
/// ```
/// use routeros_api::Attributes;
///
/// let mut row: Attributes = [("name", "john123"), ("profile", "VIP")].into_iter().collect();
/// row.insert("profile", "Basic");
/// row.push("comment", "a=b");
/// assert_eq!(row.get("profile"), Some("Basic"));
/// assert_eq!(row.iter().map(|(k, _)| k).collect::<Vec<_>>(), ["name", "profile", "comment"]);
/// assert_eq!(row.len(), 3);
/// ```
#[derive(Clone, PartialEq, Eq, Default, Hash)]
pub struct Attributes {
    /// Per pair: the key's length, the key, the value's length, the value. A length is written
    /// in 6-bit groups, least significant first, one byte per group, with 0x40 set on every
    /// group but the last: bytes below 0x80, so that the whole stays valid UTF-8. Lengths are
    /// written in their shortest form, so equal pairs give equal strings.
    packed: String,
    /// Number of pairs.
    len: usize,
}

/// Appends `n` in the length form of [`Attributes::packed`].
fn push_len(out: &mut String, mut n: usize) {
    loop {
        // Both casts keep 6 bits: lossless.
        let group = (n & 0x3F) as u8;
        n >>= 6;
        if n == 0 {
            out.push(char::from(group));
            return;
        }
        out.push(char::from(group | 0x40));
    }
}

/// Reads a length written by [`push_len`] at `*pos`, moving `*pos` past it.
fn read_len(bytes: &[u8], pos: &mut usize) -> usize {
    let mut n = 0;
    let mut shift = 0;
    loop {
        let b = bytes[*pos];
        *pos += 1;
        n |= usize::from(b & 0x3F) << shift;
        if b & 0x40 == 0 {
            return n;
        }
        shift += 6;
    }
}

impl Attributes {
    /// No attribute.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            packed: String::new(),
            len: 0,
        }
    }

    /// The value of the first attribute named `key`.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&str> {
        let bytes = self.packed.as_bytes();
        let mut pos = 0;
        while pos < bytes.len() {
            let key_len = read_len(bytes, &mut pos);
            let key_start = pos;
            pos += key_len;
            let value_len = read_len(bytes, &mut pos);
            let value_start = pos;
            pos += value_len;
            if bytes[key_start..key_start + key_len] == *key.as_bytes() {
                return Some(&self.packed[value_start..pos]);
            }
        }
        None
    }

    /// Whether an attribute named `key` is present.
    #[must_use]
    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Appends a pair (even if the key is already present).
    pub fn push(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.push_str(&key.into(), &value.into());
    }

    fn push_str(&mut self, key: &str, value: &str) {
        push_len(&mut self.packed, key.len());
        self.packed.push_str(key);
        push_len(&mut self.packed, value.len());
        self.packed.push_str(value);
        self.len += 1;
    }

    /// Sets `key` to `value`: replaces the first pair with that key, or appends.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) {
        let (key, value) = (key.into(), value.into());
        let (key, value) = (key.as_str(), value.as_str());
        if !self.contains(key) {
            self.push_str(key, value);
            return;
        }
        let mut out = Self::new();
        let mut replaced = false;
        for (k, v) in self.iter() {
            if k == key && !replaced {
                replaced = true;
                out.push_str(k, value);
            } else {
                out.push_str(k, v);
            }
        }
        *self = out;
    }

    /// Removes every pair named `key`, returning the first value.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        let first = self.get(key)?.to_owned();
        let mut out = Self::new();
        for (k, v) in self.iter().filter(|(k, _)| *k != key) {
            out.push_str(k, v);
        }
        *self = out;
        Some(first)
    }

    /// The pairs in wire order.
    #[must_use]
    pub fn iter(&self) -> Pairs<'_> {
        Pairs {
            packed: &self.packed,
            pos: 0,
            remaining: self.len,
        }
    }

    /// Number of pairs.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there is no pair.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The pairs as a vector.
    #[must_use]
    pub fn into_vec(self) -> Vec<(String, String)> {
        self.iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    /// Bytes this value holds on the heap.
    #[must_use]
    pub fn heap_size(&self) -> usize {
        self.packed.capacity()
    }

    /// The pairs of the `=key=value` words among `words` (other words ignored), in one
    /// allocation of exactly their size.
    ///
    /// A first pass sizes the row, assuming valid UTF-8; a word that is not (its invalid
    /// sequences are replaced, which lengthens it) costs a reallocation.
    pub(crate) fn from_words<'w, I>(words: I) -> Self
    where
        I: IntoIterator<Item = &'w [u8]>,
        I::IntoIter: Clone,
    {
        let words = words.into_iter();
        let size = words
            .clone()
            .filter_map(|word| word.strip_prefix(b"="))
            .map(|pair| {
                let key = pair.iter().position(|&b| b == b'=').unwrap_or(pair.len());
                let value = pair.len().saturating_sub(key + 1);
                len_size(key) + key + len_size(value) + value
            })
            .sum();
        let mut out = Self {
            packed: String::with_capacity(size),
            len: 0,
        };
        for word in words {
            out.push_word(word);
        }
        if out.packed.capacity() != out.packed.len() {
            out.packed.shrink_to_fit();
        }
        out
    }

    /// Appends the pair of an attribute word: `=key=value`, or `=key` (empty value). The word
    /// is decoded as UTF-8, invalid sequences replaced. Returns `false` (and appends nothing)
    /// if the word does not start with `=`.
    fn push_word(&mut self, word: &[u8]) -> bool {
        let Some(pair) = word.strip_prefix(b"=") else {
            return false;
        };
        let text = text(pair);
        let (key, value) = split_pair(&text);
        self.push_str(key, value);
        true
    }
}

/// Bytes that [`push_len`] writes for `n`.
fn len_size(mut n: usize) -> usize {
    let mut size = 1;
    while n >= 0x40 {
        n >>= 6;
        size += 1;
    }
    size
}

impl fmt::Debug for Attributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // As a vector of pairs: `Attributes([("name", "x")])`.
        struct Pairs<'a>(&'a Attributes);
        impl fmt::Debug for Pairs<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list().entries(self.0.iter()).finish()
            }
        }
        f.debug_tuple("Attributes").field(&Pairs(self)).finish()
    }
}

/// The pairs of an [`Attributes`], in wire order.
#[derive(Debug, Clone)]
pub struct Pairs<'a> {
    packed: &'a str,
    pos: usize,
    remaining: usize,
}

impl<'a> Iterator for Pairs<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let bytes = self.packed.as_bytes();
        let key_len = read_len(bytes, &mut self.pos);
        let key = &self.packed[self.pos..self.pos + key_len];
        self.pos += key_len;
        let value_len = read_len(bytes, &mut self.pos);
        let value = &self.packed[self.pos..self.pos + value_len];
        self.pos += value_len;
        Some((key, value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for Pairs<'_> {}

impl std::iter::FusedIterator for Pairs<'_> {}

impl From<Vec<(String, String)>> for Attributes {
    fn from(pairs: Vec<(String, String)>) -> Self {
        pairs.into_iter().collect()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Attributes {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut out = Self::new();
        out.extend(iter);
        out
    }
}

impl<K: Into<String>, V: Into<String>> Extend<(K, V)> for Attributes {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.push(k, v);
        }
    }
}

impl IntoIterator for Attributes {
    type Item = (String, String);
    type IntoIter = std::vec::IntoIter<(String, String)>;
    fn into_iter(self) -> Self::IntoIter {
        self.into_vec().into_iter()
    }
}

impl<'a> IntoIterator for &'a Attributes {
    type Item = (&'a str, &'a str);
    type IntoIter = Pairs<'a>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Why a sentence is not a well-formed reply or request.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtoError {
    /// The sentence has no word at all.
    #[error("empty sentence")]
    EmptySentence,
    /// A reply's first word is not one of `!re`, `!done`, `!trap`, `!fatal`, `!empty`.
    #[error("unknown reply word {0:?}")]
    UnknownReply(String),
    /// A request's first word is not a command (`/...`).
    #[error("expected a command word starting with '/', got {0:?}")]
    NotACommand(String),
    /// A word that is neither an attribute, an API attribute nor a query.
    #[error("unexpected word {0:?}")]
    UnexpectedWord(String),
    /// A malformed query word.
    #[error(transparent)]
    Query(#[from] QueryError),
}

fn lossy(word: &[u8]) -> String {
    text(word).into_owned()
}

/// A word as text, invalid UTF-8 sequences replaced. (`String::from_utf8_lossy` gives the
/// same, but `str::from_utf8` checks valid text, the common case, several times faster.)
fn text(word: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(word) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(word),
    }
}

/// Splits `key=value` at the first `=`; a word without `=` is a key with an empty value.
fn split_pair(s: &str) -> (&str, &str) {
    // Names are short: a plain byte scan finds the '=' sooner than a memchr set up for long
    // haystacks. ('=' is ASCII, so both sides are on character boundaries.)
    match s.bytes().position(|b| b == b'=') {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    }
}

// ---------------------------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------------------------

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

    /// As [`parse`](Self::parse), consuming the sentence.
    ///
    /// # Errors
    ///
    /// As [`parse`](Self::parse).
    pub fn from_sentence(sentence: Sentence) -> Result<Self, ProtoError> {
        Self::parse(&sentence)
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

// ---------------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------------

/// One operation of a `?#` query word; they act on the stack of query results.
///
/// Indices count from the top of the stack: 0 is the value pushed last. The stack never runs
/// out: below the values pushed lies an endless supply of `true` (see [`matches()`]).
///
/// On the wire, a run of digits is an index. What it does depends on what follows it in the
/// word: another character (a `.` included, which then does nothing) makes it push a copy,
/// the end of the word makes it replace the whole stack. [`Index`](Self::Index) and
/// [`Replace`](Self::Replace) are the two readings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueryOp {
    /// `N` followed by another character (written `N.`): push a copy of the value at index
    /// `N`, counted from the top of the stack (0 is the top).
    Index(usize),
    /// `N` at the end of the word: replace all values on the stack, the endless supply
    /// below them included, with the value at index `N` (counted from the top).
    ///
    /// Only the last operation of a word can be written this way. Anywhere else it is sent,
    /// and therefore evaluated, as [`Index`](Self::Index).
    Replace(usize),
    /// `!`: replace the top value with its negation.
    Not,
    /// `&`: pop two values, push their logical AND.
    And,
    /// `|`: pop two values, push their logical OR.
    Or,
    /// `.` (not right after an index): push a copy of the top value.
    Dup,
}

/// A malformed query or one that cannot be evaluated.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum QueryError {
    /// `?<` and `?>` need `key=value`.
    #[error("query {0:?} needs key=value")]
    MissingValue(String),
    /// A query word with no property name.
    #[error("query {0:?} has no property name")]
    MissingKey(String),
    /// An unknown character in a `?#` operation string.
    #[error("unknown query operation {op:?} in {word:?}")]
    UnknownOperation {
        /// The offending character.
        op: char,
        /// The whole word.
        word: String,
    },
    /// An operation needed more values than the stack held.
    ///
    /// No longer returned: the RouterOS query stack never underflows (it rests on an endless
    /// supply of `true`). Kept so that code naming it still compiles.
    #[error("query stack underflow")]
    StackUnderflow,
    /// A `?#N` index past the top of the stack.
    ///
    /// No longer returned: every index is valid (it reaches into the endless supply of
    /// `true`). Kept so that code naming it still compiles.
    #[error("query index {0} out of range")]
    IndexOutOfRange(usize),
}

/// One query word of a `print` (or `listen`) command.
///
/// Query words form a small stack program: each property test pushes `true` or `false`,
/// `?#` operations combine the values, and an item matches unless a `false` is left on the
/// stack (no query matches everything). See [`matches()`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum QueryWord {
    /// `?key=value`: the property equals `value`.
    Eq {
        /// Property name.
        key: String,
        /// Expected value.
        value: String,
    },
    /// `?key`: the item has the property.
    Has(String),
    /// `?-key`: the item does not have the property.
    HasNot(String),
    /// `?<key=value`: the property is less than `value`.
    Lt {
        /// Property name.
        key: String,
        /// Bound.
        value: String,
    },
    /// `?>key=value`: the property is greater than `value`.
    Gt {
        /// Property name.
        key: String,
        /// Bound.
        value: String,
    },
    /// `?#ops`: stack operations.
    Ops(Vec<QueryOp>),
}

impl QueryWord {
    /// `?key=value`.
    #[must_use]
    pub fn eq(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self::Eq {
            key: key.into(),
            value: value.into(),
        }
    }

    /// `?key`.
    #[must_use]
    pub fn has(key: impl Into<String>) -> Self {
        Self::Has(key.into())
    }

    /// `?-key`.
    #[must_use]
    pub fn has_not(key: impl Into<String>) -> Self {
        Self::HasNot(key.into())
    }

    /// `?<key=value`.
    #[must_use]
    pub fn lt(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self::Lt {
            key: key.into(),
            value: value.into(),
        }
    }

    /// `?>key=value`.
    #[must_use]
    pub fn gt(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self::Gt {
            key: key.into(),
            value: value.into(),
        }
    }

    /// `?#|`: OR of the two top values.
    #[must_use]
    pub fn or() -> Self {
        Self::Ops(vec![QueryOp::Or])
    }

    /// `?#&`: AND of the two top values.
    #[must_use]
    pub fn and() -> Self {
        Self::Ops(vec![QueryOp::And])
    }

    /// `?#!`: negation of the top value.
    #[must_use]
    pub fn not() -> Self {
        Self::Ops(vec![QueryOp::Not])
    }

    /// `?#` followed by the given operations. A [`QueryOp::Replace`] acts as such only as
    /// the last operation.
    #[must_use]
    pub fn ops(ops: &[QueryOp]) -> Self {
        Self::Ops(ops.to_vec())
    }

    /// Parses a query word (with its leading `?`). Both `?key=value` and `?=key=value`
    /// (as sent by some client libraries) are equality tests.
    ///
    /// # Errors
    ///
    /// A [`QueryError`] for an unknown `?#` operation or a missing key or value.
    pub fn parse(word: &str) -> Result<Self, QueryError> {
        let body = word.strip_prefix('?').unwrap_or(word);
        let key_value = |rest: &str| -> Result<(String, String), QueryError> {
            let (k, v) = rest
                .split_once('=')
                .ok_or_else(|| QueryError::MissingValue(word.to_owned()))?;
            if k.is_empty() {
                return Err(QueryError::MissingKey(word.to_owned()));
            }
            Ok((k.to_owned(), v.to_owned()))
        };
        let key = |rest: &str| -> Result<String, QueryError> {
            if rest.is_empty() {
                Err(QueryError::MissingKey(word.to_owned()))
            } else {
                Ok(rest.to_owned())
            }
        };
        Ok(match body.as_bytes().first() {
            Some(b'#') => Self::Ops(parse_ops(&body[1..], word)?),
            Some(b'-') => Self::HasNot(key(&body[1..])?),
            Some(b'<') => {
                let (key, value) = key_value(&body[1..])?;
                Self::Lt { key, value }
            }
            Some(b'>') => {
                let (key, value) = key_value(&body[1..])?;
                Self::Gt { key, value }
            }
            Some(b'=') => {
                let (key, value) = key_value(&body[1..])?;
                Self::Eq { key, value }
            }
            _ => match body.split_once('=') {
                Some(_) => {
                    let (key, value) = key_value(body)?;
                    Self::Eq { key, value }
                }
                None => Self::Has(key(body)?),
            },
        })
    }
}

fn parse_ops(ops: &str, word: &str) -> Result<Vec<QueryOp>, QueryError> {
    let mut out = Vec::new();
    let mut chars = ops.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '0'..='9' => {
                let mut n: usize = c as usize - '0' as usize;
                while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                    n = n.saturating_mul(10).saturating_add(d as usize);
                    chars.next();
                }
                match chars.peek() {
                    // "An index that is followed by the end of the word replaces all values
                    // with the value at that index."
                    None => out.push(QueryOp::Replace(n)),
                    // "`.` after an index does nothing."
                    Some('.') => {
                        chars.next();
                        out.push(QueryOp::Index(n));
                    }
                    // "An index that is followed by a character pushes a copy of the value
                    // at that index."
                    Some(_) => out.push(QueryOp::Index(n)),
                }
            }
            '!' => out.push(QueryOp::Not),
            '&' => out.push(QueryOp::And),
            '|' => out.push(QueryOp::Or),
            '.' => out.push(QueryOp::Dup),
            op => {
                return Err(QueryError::UnknownOperation {
                    op,
                    word: word.to_owned(),
                });
            }
        }
    }
    Ok(out)
}

impl fmt::Display for QueryWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Eq { key, value } => write!(f, "?{key}={value}"),
            Self::Has(key) => write!(f, "?{key}"),
            Self::HasNot(key) => write!(f, "?-{key}"),
            Self::Lt { key, value } => write!(f, "?<{key}={value}"),
            Self::Gt { key, value } => write!(f, "?>{key}={value}"),
            Self::Ops(ops) => {
                f.write_str("?#")?;
                let last = ops.len().saturating_sub(1);
                for (i, op) in ops.iter().enumerate() {
                    match op {
                        // Bare digits at the end of the word: replace.
                        QueryOp::Replace(n) if i == last => write!(f, "{n}")?,
                        // Terminated by '.' (which does nothing after an index), so that the
                        // digits of consecutive indices and a following Dup stay apart, and
                        // so that an index at the end of the word still pushes.
                        QueryOp::Index(n) | QueryOp::Replace(n) => write!(f, "{n}.")?,
                        QueryOp::Not => f.write_str("!")?,
                        QueryOp::And => f.write_str("&")?,
                        QueryOp::Or => f.write_str("|")?,
                        QueryOp::Dup => f.write_str(".")?,
                    }
                }
                Ok(())
            }
        }
    }
}

/// Compares a property with a query bound: as integers when both parse as integers, else as
/// text. (RouterOS compares typed values; this is the closest a typeless view can get.)
fn compare(actual: &str, bound: &str) -> std::cmp::Ordering {
    match (actual.parse::<i128>(), bound.parse::<i128>()) {
        (Ok(a), Ok(b)) => a.cmp(&b),
        _ => actual.cmp(bound),
    }
}

/// Evaluates query words against one item, whose properties `lookup` returns.
///
/// The rules of the RouterOS API documentation ("Queries"):
///
/// * The stack initially holds an endless supply of `true` values, so no operation ever
///   runs out of operands and every index names a value.
/// * Property tests push `true` or `false`; `?#` operations combine values, left to right:
///   `!` negates the top value, `&` and `|` pop two values and push their AND / OR, `.`
///   pushes a copy of the top value, an index `N` (0 is the top) pushes a copy of the value
///   at `N`, and an index that ends the word replaces every value, the endless supply
///   included, with the value at `N`.
/// * The item matches unless the stack holds a `false` at the end, i.e. all values on the
///   stack are ANDed together. No query matches everything.
///
/// ```
/// use routeros_api::proto::{QueryWord, matches};
///
/// // /interface/print ?type=ether ?type=vlan ?#| : ethernet and VLAN interfaces.
/// let query: Vec<QueryWord> = ["?type=ether", "?type=vlan", "?#|"]
///     .iter()
///     .map(|w| QueryWord::parse(w).unwrap())
///     .collect();
/// let is = |ty: &'static str| matches(&query, move |k| (k == "type").then_some(ty)).unwrap();
/// assert!(is("ether") && is("vlan") && !is("bridge"));
/// ```
///
/// # Errors
///
/// None today: since the stack never underflows and every index is valid, every query word
/// that parses can be evaluated. The `Result` is kept for compatibility.
pub fn matches<'a>(
    queries: &[QueryWord],
    lookup: impl Fn(&str) -> Option<&'a str>,
) -> Result<bool, QueryError> {
    let mut stack = QueryStack::default();
    for query in queries {
        match query {
            QueryWord::Eq { key, value } => stack.push(lookup(key) == Some(value.as_str())),
            QueryWord::Has(key) => stack.push(lookup(key).is_some()),
            QueryWord::HasNot(key) => stack.push(lookup(key).is_none()),
            QueryWord::Lt { key, value } => {
                stack.push(lookup(key).is_some_and(|a| compare(a, value).is_lt()));
            }
            QueryWord::Gt { key, value } => {
                stack.push(lookup(key).is_some_and(|a| compare(a, value).is_gt()));
            }
            QueryWord::Ops(ops) => {
                let last = ops.len().saturating_sub(1);
                for (i, op) in ops.iter().enumerate() {
                    match *op {
                        QueryOp::Replace(n) if i == last => stack.replace_all(n),
                        // A Replace that does not end the word is written, and read back,
                        // as an index that pushes.
                        QueryOp::Index(n) | QueryOp::Replace(n) => stack.push(stack.at(n)),
                        QueryOp::Not => {
                            let top = stack.pop();
                            stack.push(!top);
                        }
                        QueryOp::And => {
                            let (b, a) = (stack.pop(), stack.pop());
                            stack.push(a && b);
                        }
                        QueryOp::Or => {
                            let (b, a) = (stack.pop(), stack.pop());
                            stack.push(a || b);
                        }
                        QueryOp::Dup => stack.push(stack.at(0)),
                    }
                }
            }
        }
    }
    Ok(stack.result())
}

/// The query stack: the values pushed, on top of an endless supply of `floor` (initially
/// `true`; an index that ends a `?#` word replaces it).
#[derive(Debug)]
struct QueryStack {
    values: Vec<bool>,
    floor: bool,
}

impl Default for QueryStack {
    fn default() -> Self {
        Self {
            values: Vec::new(),
            floor: true,
        }
    }
}

impl QueryStack {
    fn push(&mut self, value: bool) {
        self.values.push(value);
    }

    fn pop(&mut self) -> bool {
        self.values.pop().unwrap_or(self.floor)
    }

    /// The value at `index`, counted from the top (0 is the top).
    fn at(&self, index: usize) -> bool {
        index
            .checked_add(1)
            .and_then(|depth| self.values.len().checked_sub(depth))
            .map_or(self.floor, |i| self.values[i])
    }

    /// Replaces every value, the endless supply included, with the value at `index`.
    fn replace_all(&mut self, index: usize) {
        self.floor = self.at(index);
        self.values.clear();
    }

    /// All values ANDed together.
    fn result(&self) -> bool {
        self.floor && self.values.iter().all(|v| *v)
    }
}

// ---------------------------------------------------------------------------------------------
// Commands (client side)
// ---------------------------------------------------------------------------------------------

/// Attribute names whose values [`Command`]'s `Debug` hides.
const REDACTED: &[&str] = &["password", "response", "passphrase", "secret"];

/// A command sentence under construction.
///
/// ```
/// use routeros_api::proto::{Command, QueryWord};
///
/// let cmd = Command::new("/ppp/secret/print")
///     .query(QueryWord::eq("profile", "Basic"))
///     .query(QueryWord::eq("profile", "VIP"))
///     .query(QueryWord::or())
///     .proplist(&["name", "profile"])
///     .tag("7");
/// let words: Vec<String> = cmd.words().map(|w| String::from_utf8_lossy(&w).into_owned()).collect();
/// assert_eq!(
///     words,
///     ["/ppp/secret/print", "?profile=Basic", "?profile=VIP", "?#|", "=.proplist=name,profile", ".tag=7"]
/// );
/// ```
///
/// `Debug` hides the values of `password`-like attributes, so a command can be logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Command {
    path: String,
    /// Attribute, API-attribute and query words, in the order they were added.
    words: Vec<Vec<u8>>,
    tag: Option<String>,
}

impl Command {
    /// A command such as `/ppp/secret/print` or `/system/resource/print`.
    #[must_use]
    pub fn new(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            words: Vec::new(),
            tag: None,
        }
    }

    /// Adds `=key=value`.
    #[must_use]
    pub fn attr(mut self, key: &str, value: impl AsRef<str>) -> Self {
        self.words
            .push(format!("={key}={}", value.as_ref()).into_bytes());
        self
    }

    /// Adds `=key=value` with a value that is not text.
    #[must_use]
    pub fn attr_bytes(mut self, key: &str, value: &[u8]) -> Self {
        let mut word = Vec::with_capacity(key.len() + value.len() + 2);
        word.push(b'=');
        word.extend_from_slice(key.as_bytes());
        word.push(b'=');
        word.extend_from_slice(value);
        self.words.push(word);
        self
    }

    /// Adds a query word.
    #[must_use]
    pub fn query(mut self, query: QueryWord) -> Self {
        self.words.push(query.to_string().into_bytes());
        self
    }

    /// Adds several query words.
    #[must_use]
    pub fn queries(mut self, queries: impl IntoIterator<Item = QueryWord>) -> Self {
        for q in queries {
            self = self.query(q);
        }
        self
    }

    /// Adds `=.proplist=a,b,c`: only these properties are returned.
    #[must_use]
    pub fn proplist(mut self, props: &[&str]) -> Self {
        self.words
            .push(format!("=.proplist={}", props.join(",")).into_bytes());
        self
    }

    /// Sets `.tag=TAG`. The [`Client`](crate::client::Client) replaces it with its own tag.
    #[must_use]
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tag = Some(tag.into());
        self
    }

    /// Sets or clears the tag in place.
    pub fn set_tag(&mut self, tag: Option<String>) {
        self.tag = tag;
    }

    /// The tag, if any.
    #[must_use]
    pub fn get_tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The command word, e.g. `/ppp/secret/print`.
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// All words: command, attributes and queries in the order added, then `.tag=`.
    ///
    /// The tag word is yielded as `.tag=TAG`, hence the owned-or-borrowed items.
    pub fn words(&self) -> impl Iterator<Item = std::borrow::Cow<'_, [u8]>> {
        std::iter::once(std::borrow::Cow::Borrowed(self.path.as_bytes()))
            .chain(
                self.words
                    .iter()
                    .map(|w| std::borrow::Cow::Borrowed(w.as_slice())),
            )
            .chain(
                self.tag
                    .iter()
                    .map(|t| std::borrow::Cow::Owned(format!(".tag={t}").into_bytes())),
            )
    }

    /// Appends the encoded sentence to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        encode_command(self, out);
    }

    /// The command as a sentence.
    #[must_use]
    pub fn to_sentence(&self) -> Sentence {
        let mut words: Vec<Vec<u8>> = Vec::with_capacity(self.words.len() + 2);
        words.push(self.path.clone().into_bytes());
        words.extend(self.words.iter().cloned());
        if let Some(tag) = &self.tag {
            words.push(format!(".tag={tag}").into_bytes());
        }
        Sentence::new(words)
    }
}

fn encode_command(cmd: &Command, out: &mut Vec<u8>) {
    use crate::codec::{encode_length, encode_word};
    encode_word(cmd.path.as_bytes(), out);
    for w in &cmd.words {
        if !w.is_empty() {
            encode_word(w, out);
        }
    }
    if let Some(tag) = &cmd.tag {
        encode_length(5 + tag.len(), out);
        out.extend_from_slice(b".tag=");
        out.extend_from_slice(tag.as_bytes());
    }
    out.push(0);
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let words: Vec<String> = self
            .words
            .iter()
            .map(|w| {
                let text = String::from_utf8_lossy(w);
                if let Some(pair) = text.strip_prefix('=') {
                    let (k, _) = split_pair(pair);
                    if REDACTED.contains(&k) {
                        return format!("={k}=<redacted>");
                    }
                }
                text.into_owned()
            })
            .collect();
        f.debug_struct("Command")
            .field("path", &self.path)
            .field("words", &words)
            .field("tag", &self.tag)
            .finish()
    }
}

// ---------------------------------------------------------------------------------------------
// Requests (server side)
// ---------------------------------------------------------------------------------------------

/// A command sentence as a server sees it.
///
/// ```
/// use routeros_api::codec::Sentence;
/// use routeros_api::proto::{QueryWord, Request};
///
/// let sentence: Sentence = ["/ppp/secret/print", "?name=john123", "=.proplist=name,profile", ".tag=3"]
///     .into_iter()
///     .collect();
/// let req = Request::parse(&sentence).unwrap();
/// assert_eq!(req.command, "/ppp/secret/print");
/// assert_eq!(req.tag(), Some("3"));
/// assert_eq!(req.proplist(), Some(vec!["name", "profile"]));
/// assert_eq!(req.queries, [QueryWord::eq("name", "john123")]);
/// assert!(req.matches(|k| (k == "name").then_some("john123")).unwrap());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The command word, e.g. `/ppp/secret/print`.
    pub command: String,
    /// `=key=value` words (including `=.id=`), `=.proplist=` excepted.
    pub attributes: Attributes,
    /// API attributes keyed with their leading dot: `.tag` (from `.tag=`), `.proplist` (from
    /// `=.proplist=`), and any other `.name=value` word.
    pub api_attributes: Attributes,
    /// Query words in order.
    pub queries: Vec<QueryWord>,
}

impl Request {
    /// Parses a command sentence.
    ///
    /// # Errors
    ///
    /// [`ProtoError::EmptySentence`], [`ProtoError::NotACommand`] if the first word does not
    /// start with `/`, [`ProtoError::UnexpectedWord`] for a word of no known kind, and
    /// [`ProtoError::Query`] for a malformed query word.
    pub fn parse(sentence: &Sentence) -> Result<Self, ProtoError> {
        let (first, rest) = sentence
            .words()
            .split_first()
            .ok_or(ProtoError::EmptySentence)?;
        let command = lossy(first);
        if !command.starts_with('/') {
            return Err(ProtoError::NotACommand(command));
        }
        let mut req = Self {
            command,
            attributes: Attributes::new(),
            api_attributes: Attributes::new(),
            queries: Vec::new(),
        };
        for word in rest {
            let text = String::from_utf8_lossy(word);
            if let Some(pair) = text.strip_prefix('=') {
                let (k, v) = split_pair(pair);
                if k == ".proplist" {
                    req.api_attributes.push(k, v);
                } else {
                    req.attributes.push(k, v);
                }
            } else if text.starts_with('.') {
                let (k, v) = split_pair(&text);
                req.api_attributes.push(k, v);
            } else if text.starts_with('?') {
                req.queries.push(QueryWord::parse(&text)?);
            } else {
                return Err(ProtoError::UnexpectedWord(text.into_owned()));
            }
        }
        Ok(req)
    }

    /// The `.tag=` value, if any.
    #[must_use]
    pub fn tag(&self) -> Option<&str> {
        self.api_attributes.get(".tag")
    }

    /// The `=.proplist=` property names, if given.
    #[must_use]
    pub fn proplist(&self) -> Option<Vec<&str>> {
        self.api_attributes
            .get(".proplist")
            .map(|p| p.split(',').filter(|s| !s.is_empty()).collect())
    }

    /// The value of attribute `key`.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.attributes.get(key)
    }

    /// Whether an item (whose properties `lookup` returns) passes the request's queries.
    ///
    /// # Errors
    ///
    /// As [`matches()`].
    pub fn matches<'a>(
        &self,
        lookup: impl Fn(&str) -> Option<&'a str>,
    ) -> Result<bool, QueryError> {
        matches(&self.queries, lookup)
    }

    /// A reply of the given kind carrying this request's tag.
    #[must_use]
    pub fn reply(&self, reply: Reply) -> Reply {
        reply.with_tag(self.tag())
    }
}

// ---------------------------------------------------------------------------------------------
// Login
// ---------------------------------------------------------------------------------------------

/// The `=response=` of the legacy (RouterOS < 6.43) challenge login.
///
/// The router answers a `/login` with `!done =ret=CHALLENGE` (hexadecimal); the client then
/// sends `/login =name=USER =response=RESPONSE` where RESPONSE is `"00"` followed by the
/// hexadecimal MD5 of a zero byte, the password and the challenge bytes. A server checks a
/// response by computing the same value. `None` if the challenge is not hexadecimal.
///
/// ```
/// let response = routeros_api::proto::legacy_login_response("", "00000000000000000000000000000000").unwrap();
/// assert_eq!(response.len(), 34);
/// assert!(response.starts_with("00"));
/// ```
#[must_use]
pub fn legacy_login_response(password: &str, challenge_hex: &str) -> Option<String> {
    use md5::{Digest, Md5};
    let challenge = hex::decode(challenge_hex.trim()).ok()?;
    let mut md5 = Md5::new();
    md5.update([0u8]);
    md5.update(password.as_bytes());
    md5.update(&challenge);
    Some(format!("00{}", hex::encode(md5.finalize())))
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
    fn from_sentence_agrees_with_parse() {
        let cases: &[&[&[u8]]] = &[
            &[
                b"!re",
                b"=name=a=b",
                b"=comment=",
                b"=flag",
                b"=.id=*2",
                b".section=1",
                b".tag=5",
            ],
            &[b"!trap", b"=message=bad \xff byte", b"=category=1"],
            &[
                b"!re",
                b"=",
                b"==",
                b"==x",
                b"=k=",
                b"=\xff=",
                b"=\xff",
                b"=k=\xff=v",
            ],
            &[b"!fatal", b"one", b"two"],
            &[b"!empty"],
            &[b"!nope"],
            &[],
        ];
        for words in cases {
            let sentence = Sentence::new(words.iter().map(|w| w.to_vec()).collect());
            assert_eq!(
                Reply::from_sentence(sentence.clone()),
                Reply::parse(&sentence),
                "{words:?}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn from_sentence_agrees_with_parse_on_any_words(
            first in proptest::sample::select(vec!["!re", "!done", "!trap", "!fatal", "!empty"]),
            words in proptest::collection::vec(
                proptest::collection::vec(
                    proptest::sample::select(vec![b'=', b'.', b'a', b't', b'g', 0xff, 0xc3]),
                    0..8,
                ),
                0..8,
            ),
        ) {
            let mut all = vec![first.as_bytes().to_vec()];
            all.extend(words);
            let sentence = Sentence::new(all);
            proptest::prop_assert_eq!(Reply::from_sentence(sentence.clone()), Reply::parse(&sentence));
        }
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
    fn query_words() {
        let check = |word: &str, expect: &str| {
            let got = match QueryWord::parse(word) {
                Ok(q) => format!("{q:?} -> {q}"),
                Err(e) => format!("error: {e}"),
            };
            assert_eq!(got, expect, "{word}");
        };
        check("?name=x", r#"Eq { key: "name", value: "x" } -> ?name=x"#);
        check(
            "?=name=x=y",
            r#"Eq { key: "name", value: "x=y" } -> ?name=x=y"#,
        );
        check("?name=", r#"Eq { key: "name", value: "" } -> ?name="#);
        check("?name", r#"Has("name") -> ?name"#);
        check("?-name", r#"HasNot("name") -> ?-name"#);
        check("?<rx=10", r#"Lt { key: "rx", value: "10" } -> ?<rx=10"#);
        check("?>rx=10", r#"Gt { key: "rx", value: "10" } -> ?>rx=10"#);
        check("?#|", "Ops([Or]) -> ?#|");
        check("?#&!", "Ops([And, Not]) -> ?#&!");
        check("?#0.1.|", "Ops([Index(0), Index(1), Or]) -> ?#0.1.|");
        check("?#12|.", "Ops([Index(12), Or, Dup]) -> ?#12.|.");
        check("?#0..", "Ops([Index(0), Dup]) -> ?#0..");
        // An index that ends the word replaces the stack; with a '.' after it, it pushes.
        check("?#0", "Ops([Replace(0)]) -> ?#0");
        check("?#0.", "Ops([Index(0)]) -> ?#0.");
        check("?#1&3", "Ops([Index(1), And, Replace(3)]) -> ?#1.&3");
        check("?#10", "Ops([Replace(10)]) -> ?#10");
        check("?#!2", "Ops([Not, Replace(2)]) -> ?#!2");
        check(
            "?#99999999999999999999999",
            &format!("Ops([Replace({m})]) -> ?#{m}", m = usize::MAX),
        );
        check("?#x", r#"error: unknown query operation 'x' in "?#x""#);
        check("?>rx", r#"error: query "?>rx" needs key=value"#);
        check("?", r#"error: query "?" has no property name"#);
        check("?-", r#"error: query "?-" has no property name"#);
        check("?=x", r#"error: query "?=x" needs key=value"#);
        check("?==x", r#"error: query "?==x" has no property name"#);
    }

    /// Evaluates query words against an item given as `key=value` pairs.
    fn eval(words: &[&str], item: &[(&str, &str)]) -> bool {
        let queries: Vec<QueryWord> = words
            .iter()
            .map(|w| QueryWord::parse(w).unwrap_or_else(|e| panic!("{w}: {e}")))
            .collect();
        let lookup = |k: &str| item.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
        let got = matches(&queries, lookup).expect("evaluation never fails");
        // The words as a Command sends them mean the same.
        let sent: Vec<QueryWord> = queries
            .iter()
            .map(|q| QueryWord::parse(&q.to_string()).unwrap())
            .collect();
        assert_eq!(
            matches(&sent, lookup),
            Ok(got),
            "{words:?} sent as {sent:?}"
        );
        got
    }

    #[test]
    fn query_evaluation() {
        let item = [("name", "john123"), ("profile", "VIP"), ("rx", "250")];
        let check = |words: &[&str], expect: bool| {
            assert_eq!(eval(words, &item), expect, "{words:?}");
        };
        check(&[], true);
        check(&["?name=john123"], true);
        check(&["?=name=john123"], true);
        check(&["?name=jane"], false);
        check(&["?name"], true);
        check(&["?comment"], false);
        check(&["?-comment"], true);
        check(&["?-name"], false);
        check(&["?>rx=99"], true);
        check(&["?<rx=99"], false);
        check(&["?<name=k"], true);
        check(&["?<comment=k"], false);
        check(&["?profile=Basic", "?profile=VIP", "?#|"], true);
        check(&["?profile=Basic", "?profile=VIP", "?#&"], false);
        check(&["?profile=Basic", "?profile=VIP", "?#|!"], false);
        // Without operations, every value must be true.
        check(&["?profile=Basic", "?profile=VIP"], false);
        check(&["?profile=VIP", "?name"], true);
        check(&["?profile=VIP", "?#!"], false);
        check(&["?profile=Basic", "?#!.&"], true);
    }

    /// The rules of the RouterOS API documentation ("Queries"), one case each. Stack values
    /// are given as `?t` (pushes true) and `?f` (pushes false).
    #[test]
    fn query_stack_rules() {
        let item = [("t", "")];
        let check = |words: &str, expect: bool| {
            let words: Vec<&str> = words.split(' ').filter(|w| !w.is_empty()).collect();
            assert_eq!(eval(&words, &item), expect, "{words:?}");
        };
        // "Initially, the stack contains an infinite amount of 'true' values": no operation
        // underflows, every index is valid.
        check("?#|", true);
        check("?#&", true);
        check("?#.", true);
        check("?#!", false);
        check("?#!!", true);
        check("?#5", true);
        check("?#5.", true);
        check("?#5!", false);
        check("?f ?#|", true);
        check("?f ?#&", false);
        check("?t ?#&&&", true);
        // "If the stack contains at least one 'false' value, the query fails."
        check("?t ?t ?t", true);
        check("?t ?f ?t", false);
        // "Top value has index 0"; "an index that is followed by a character pushes a copy
        // of the value at that index"; "`.` after an index does nothing".
        check("?f ?t ?#0.|", false);
        check("?f ?t ?#1.!&", false);
        check("?t ?f ?#1.!|", false);
        check("?f ?t ?#0!", false);
        check("?f ?t ?#1!", false);
        check("?t ?f ?#2.&", false);
        // Index 1 is the false one below the top: pushing and negating it, ANDing with the
        // top and negating leaves [f, f].
        check("?f ?t ?#1.!&!", false);
        // "An index that is followed by the end of the word replaces all values with the
        // value at that index."
        check("?t ?f ?#1", true);
        check("?f ?t ?#0", true);
        check("?f ?t ?#1", false);
        check("?t ?f ?#0", false);
        check("?f ?f ?#2", true);
        check("?f ?t ?t ?#!|0", true);
        // ... the endless supply included: after a replacement with false, nothing is true.
        check("?f ?#0 ?#!", false);
        check("?f ?#0 ?t ?#1", false);
        check("?f ?#0 ?t ?#0", true);
        check("?t ?#0 ?#!5", true);
        // "`.` after another character pushes a copy of the top value."
        check("?f ?#!.&", true);
        check("?t ?#!.|", false);
        check("?f ?#0..!&", false);
        // "`!` replaces the top value with the opposite"; "&" and "|" pop two and push one.
        check("?t ?f ?#!", true);
        check("?f ?f ?#|!", true);
        check("?t ?t ?#&!", false);
    }

    /// The query examples of the RouterOS API documentation.
    #[test]
    fn query_documentation_examples() {
        let check = |words: &[&str], item: &[(&str, &str)], expect: bool| {
            assert_eq!(eval(words, item), expect, "{words:?} on {item:?}");
        };
        // "Get all ethernet and VLAN interfaces": /interface/print ?type=ether ?type=vlan ?#|
        let ether_or_vlan = ["?type=ether", "?type=vlan", "?#|"];
        check(
            &ether_or_vlan,
            &[("name", "ether1"), ("type", "ether")],
            true,
        );
        check(
            &ether_or_vlan,
            &[("name", "vlan10"), ("type", "vlan")],
            true,
        );
        check(
            &ether_or_vlan,
            &[("name", "bridge"), ("type", "bridge")],
            false,
        );
        check(&ether_or_vlan, &[("name", "lo")], false);
        // The sentence example: ?type=ether ?type=vlan ?#|! (neither ethernet nor VLAN).
        let neither = ["?type=ether", "?type=vlan", "?#|!"];
        check(&neither, &[("type", "ether")], false);
        check(&neither, &[("type", "vlan")], false);
        check(&neither, &[("type", "bridge")], true);
        // "Get all routes that have a non-empty comment": /ip/route/print ?>comment=
        let commented = ["?>comment="];
        check(&commented, &[("comment", "uplink")], true);
        check(&commented, &[("comment", "")], false);
        check(&commented, &[("dst-address", "0.0.0.0/0")], false);
        // "Get all routes that do not have distance greater than 1 and gateway equal to
        // 172.16.1.1": ?>distance=1 ?gateway=172.16.1.1 ?#&!
        let not_both = ["?>distance=1", "?gateway=172.16.1.1", "?#&!"];
        check(
            &not_both,
            &[("distance", "2"), ("gateway", "172.16.1.1")],
            false,
        );
        check(
            &not_both,
            &[("distance", "1"), ("gateway", "172.16.1.1")],
            true,
        );
        check(
            &not_both,
            &[("distance", "5"), ("gateway", "10.0.0.1")],
            true,
        );
        check(&not_both, &[("gateway", "172.16.1.1")], true);
    }

    #[test]
    fn replace_only_ends_a_word() {
        // Built by hand with a Replace in the middle: sent as a push, evaluated as one.
        let word = QueryWord::ops(&[QueryOp::Replace(1), QueryOp::And]);
        assert_eq!(word.to_string(), "?#1.&");
        let f = QueryWord::has("missing");
        let t = QueryWord::has_not("missing");
        // [t, f] -> push index 1 (t) -> [t, f, t] -> & -> [t, f]: fails.
        let queries = [t.clone(), f.clone(), word];
        assert_eq!(matches(&queries, |_| None), Ok(false));
        // As the last operation it replaces: [t, f] -> all t.
        let queries = [t, f, QueryWord::ops(&[QueryOp::Replace(1)])];
        assert_eq!(queries[2].to_string(), "?#1");
        assert_eq!(matches(&queries, |_| None), Ok(true));
    }

    #[test]
    fn commands() {
        let cmd = Command::new("/ppp/secret/add")
            .attr("name", "john123")
            .attr("password", "hunter22")
            .attr_bytes("comment", b"\xff")
            .tag("1");
        let mut direct = Vec::new();
        cmd.encode(&mut direct);
        assert_eq!(direct, cmd.to_sentence().to_bytes());
        assert_eq!(
            cmd.words().map(|w| w.into_owned()).collect::<Vec<_>>(),
            cmd.to_sentence().into_words()
        );
        let debug = format!("{cmd:?}");
        assert!(!debug.contains("hunter22"), "{debug}");
        assert!(debug.contains("=password=<redacted>"), "{debug}");
        assert_eq!(cmd.get_tag(), Some("1"));
        assert_eq!(cmd.path(), "/ppp/secret/add");
        let mut untagged = cmd.clone();
        untagged.set_tag(None);
        assert_eq!(untagged.to_sentence().len(), 4);
    }

    #[test]
    fn requests() {
        let req = Request::parse(&sentence(&[
            "/ppp/secret/set",
            "=.id=*1",
            "=comment=a=b",
            "=.proplist=name,,profile",
            ".tag=x",
            "?name=y",
        ]))
        .unwrap();
        assert_eq!(req.get(".id"), Some("*1"));
        assert_eq!(req.get("comment"), Some("a=b"));
        assert_eq!(req.proplist(), Some(vec!["name", "profile"]));
        assert_eq!(req.tag(), Some("x"));
        assert_eq!(req.queries, [QueryWord::eq("name", "y")]);
        assert_eq!(req.reply(Reply::done()).tag.as_deref(), Some("x"));

        let err = |words: &[&str]| Request::parse(&sentence(words)).unwrap_err().to_string();
        assert_eq!(err(&[]), "empty sentence");
        assert_eq!(
            err(&["login"]),
            r#"expected a command word starting with '/', got "login""#
        );
        assert_eq!(err(&["/x", "bare"]), r#"unexpected word "bare""#);
        assert_eq!(
            err(&["/x", "?#z"]),
            r#"unknown query operation 'z' in "?#z""#
        );

        // A Command and a Request agree on every word kind.
        let cmd = Command::new("/ip/address/print")
            .attr("interface", "ether1")
            .query(QueryWord::has_not("disabled"))
            .query(QueryWord::gt("mtu", "1400"))
            .query(QueryWord::lt("mtu", "9000"))
            .query(QueryWord::has("comment"))
            .query(QueryWord::ops(&[QueryOp::Index(0), QueryOp::Dup]))
            .query(QueryWord::and())
            .query(QueryWord::not())
            .proplist(&["address"])
            .tag("t");
        let req = Request::parse(&cmd.to_sentence()).unwrap();
        assert_eq!(req.command, "/ip/address/print");
        assert_eq!(req.get("interface"), Some("ether1"));
        assert_eq!(req.queries.len(), 7);
        assert_eq!(req.tag(), Some("t"));
        assert_eq!(req.proplist(), Some(vec!["address"]));
    }

    #[test]
    fn legacy_login_vector() {
        // "00" + md5(0x00 "secret" challenge), computed independently (Python hashlib).
        assert_eq!(
            legacy_login_response("secret", "0123456789abcdef0123456789abcdef").as_deref(),
            Some("00ebbe7c3df6b3d902bfd1f355c6e63289")
        );
        assert_eq!(legacy_login_response("x", "zz"), None);
    }

    #[test]
    fn attributes() {
        let mut a = Attributes::new();
        a.push("k", "1");
        a.push("k", "2");
        a.insert("k", "3");
        a.insert("j", "4");
        assert_eq!(
            a.iter().collect::<Vec<_>>(),
            [("k", "3"), ("k", "2"), ("j", "4")]
        );
        assert_eq!(a.remove("k").as_deref(), Some("3"));
        assert!(!a.contains("k") && a.contains("j"));
        assert_eq!(a.len(), 1);
        assert_eq!(a.clone().into_vec(), [("j".to_owned(), "4".to_owned())]);
        assert_eq!((&a).into_iter().count(), 1);
        assert_eq!(Attributes::from(a.clone().into_vec()), a);
        assert!(Attributes::default().is_empty());
        assert_eq!(format!("{a:?}"), r#"Attributes([("j", "4")])"#);
    }

    #[test]
    fn attributes_lengths_of_every_form() {
        // One, two, three and four 6-bit groups.
        for len in [0, 1, 63, 64, 4095, 4096, 262_143, 262_144] {
            let value = "v".repeat(len);
            let mut a = Attributes::new();
            a.push("k", value.clone());
            a.push("ключ", "значение");
            a.push("", "");
            assert_eq!(a.get("k"), Some(value.as_str()), "{len}");
            assert_eq!(a.get("ключ"), Some("значение"));
            assert_eq!(a.get(""), Some(""));
            assert_eq!(a.get("kk"), None);
            assert_eq!(a.iter().map(|(_, v)| v.len()).sum::<usize>(), len + 16);
            assert!(a.heap_size() >= len + 16 + 6);
        }
    }

    #[test]
    fn a_row_is_one_allocation_of_its_size() {
        let words: [&[u8]; 5] = [
            b"!re",
            b"=name=john123",
            b"=disabled=false",
            b".tag=7",
            b"junk",
        ];
        let row = Attributes::from_words(words[1..].iter().copied());
        assert_eq!(
            row.iter().collect::<Vec<_>>(),
            [("name", "john123"), ("disabled", "false")]
        );
        // Each pair costs its key and value plus one byte per length.
        assert_eq!(row.heap_size(), "namejohn123disabledfalse".len() + 4);
    }

    mod attribute_props {
        use super::super::*;
        use proptest::prelude::*;

        fn text() -> impl Strategy<Value = String> {
            prop_oneof![
                6 => "[a-c=é]{0,3}",
                3 => ".{0,70}",
                1 => (60_usize..5000).prop_map(|n| "x".repeat(n)),
            ]
        }

        fn word() -> impl Strategy<Value = Vec<u8>> {
            proptest::collection::vec(
                proptest::sample::select(vec![b'=', b'.', b'a', b't', b'g', 0xff, 0xc3, 0xa9]),
                0..10,
            )
        }

        proptest! {
            /// Against the model it replaces: a vector of pairs.
            #[test]
            fn attributes_behave_like_a_vector_of_pairs(
                pairs in proptest::collection::vec((text(), text()), 0..12),
                probe in text(),
                value in text(),
            ) {
                let a: Attributes = pairs.iter().cloned().collect();
                prop_assert_eq!(a.len(), pairs.len());
                prop_assert_eq!(a.is_empty(), pairs.is_empty());
                let model: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                prop_assert_eq!(a.iter().collect::<Vec<_>>(), model.clone());
                prop_assert_eq!(a.iter().len(), pairs.len());
                prop_assert_eq!(
                    a.get(&probe),
                    model.iter().find(|(k, _)| *k == probe).map(|(_, v)| *v)
                );
                prop_assert_eq!(a.clone().into_vec(), pairs.clone());
                prop_assert_eq!(Attributes::from(pairs.clone()), a.clone());

                let mut inserted = a.clone();
                inserted.insert(probe.clone(), value.clone());
                let mut model_inserted = pairs.clone();
                match model_inserted.iter_mut().find(|(k, _)| *k == probe) {
                    Some(pair) => pair.1 = value.clone(),
                    None => model_inserted.push((probe.clone(), value.clone())),
                }
                prop_assert_eq!(inserted.into_vec(), model_inserted);

                let mut removed = a.clone();
                let first = removed.remove(&probe);
                prop_assert_eq!(
                    first,
                    pairs.iter().find(|(k, _)| *k == probe).map(|(_, v)| v.clone())
                );
                let kept: Vec<(String, String)> =
                    pairs.iter().filter(|(k, _)| *k != probe).cloned().collect();
                prop_assert_eq!(removed.clone().into_vec(), kept.clone());
                prop_assert_eq!(removed, kept.into_iter().collect::<Attributes>());
            }

            /// The client's row path gives the attributes that `Reply::parse` gives.
            #[test]
            fn row_path_agrees_with_parse(words in proptest::collection::vec(word(), 0..8)) {
                let mut all = vec![b"!re".to_vec()];
                all.extend(words.iter().cloned());
                let reply = Reply::parse(&Sentence::new(all)).unwrap();
                let row = Attributes::from_words(words.iter().map(Vec::as_slice));
                prop_assert_eq!(&row, &reply.attributes);
                prop_assert_eq!(row.heap_size(), row.packed.len());
            }
        }
    }
}
