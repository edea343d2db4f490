//! Sans-IO framing of the RouterOS API: lengths, words and sentences.
//!
//! A *word* is a length prefix followed by that many bytes. A *sentence* is a sequence of
//! non-empty words terminated by an empty word (a single `0x00` length byte). The length prefix
//! has five forms, chosen by the size of the word:
//!
//! | word length             | bytes | first byte      |
//! |-------------------------|-------|-----------------|
//! | `< 0x80`                | 1     | `0xxxxxxx`      |
//! | `< 0x4000`              | 2     | `10xxxxxx`      |
//! | `< 0x20_0000`           | 3     | `110xxxxx`      |
//! | `< 0x1000_0000`         | 4     | `1110xxxx`      |
//! | `<= 0xFFFF_FFFF`        | 5     | `0xF0` + 4 bytes|
//!
//! A first byte `>= 0xF8` is a reserved *control byte*: no RouterOS version sends one, and the
//! stream cannot be interpreted past it, so the [`Decoder`] rejects it.
//!
//! Nothing here touches a socket or a clock: bytes go in through [`Decoder::feed`] and
//! sentences come out of [`Decoder::next_words`] (borrowed from the decoder's buffer, no
//! allocation) or [`Decoder::next_sentence`] (an owned [`Sentence`]); outgoing sentences are
//! appended to a caller-owned `Vec<u8>` that the caller writes in one go.

use std::fmt;

/// Caps so that a hostile peer cannot exhaust memory.
///
/// The checks happen as soon as the information is known: a word's announced length is checked
/// against [`max_word_len`](Self::max_word_len) before its bytes arrive, so a peer that
/// announces a 4 GiB word is refused at once instead of being buffered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted word, in bytes (not counting its length prefix).
    pub max_word_len: usize,
    /// Largest accepted sentence: the sum of the lengths of its words, prefixes not counted.
    pub max_sentence_len: usize,
    /// Largest accepted number of words in one sentence.
    pub max_words: usize,
}

impl Default for Limits {
    /// 16 MiB per word, 64 MiB per sentence, 2^20 words per sentence.
    fn default() -> Self {
        Self {
            max_word_len: 16 << 20,
            max_sentence_len: 64 << 20,
            max_words: 1 << 20,
        }
    }
}

/// Largest length that the five-byte form can carry.
pub const MAX_ENCODABLE_LEN: usize = u32::MAX as usize;

/// Appends the RouterOS length prefix of `len` to `out`, in the shortest of the five forms.
///
/// # Panics
///
/// If `len` exceeds [`MAX_ENCODABLE_LEN`] (`2^32 - 1`): the protocol cannot express it. Such
/// a word could not have been built in memory on a 32-bit target anyway, and no RouterOS
/// command comes close.
pub fn encode_length(len: usize, out: &mut Vec<u8>) {
    assert!(
        len <= MAX_ENCODABLE_LEN,
        "RouterOS API word length {len} exceeds 2^32 - 1"
    );
    // The assert guarantees the cast is lossless.
    let n = len as u32;
    if n < 0x80 {
        out.push(n as u8);
    } else if n < 0x4000 {
        out.extend_from_slice(&(n | 0x8000).to_be_bytes()[2..]);
    } else if n < 0x20_0000 {
        out.extend_from_slice(&(n | 0xC0_0000).to_be_bytes()[1..]);
    } else if n < 0x1000_0000 {
        out.extend_from_slice(&(n | 0xE000_0000).to_be_bytes());
    } else {
        out.push(0xF0);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

/// Number of bytes that [`encode_length`] writes for `len`.
#[must_use]
pub const fn length_prefix_len(len: usize) -> usize {
    if len < 0x80 {
        1
    } else if len < 0x4000 {
        2
    } else if len < 0x20_0000 {
        3
    } else if len < 0x1000_0000 {
        4
    } else {
        5
    }
}

/// Appends one word (length prefix and bytes) to `out`.
///
/// An empty word is the sentence terminator; use [`encode_sentence`] rather than calling this
/// with an empty slice.
///
/// # Panics
///
/// As [`encode_length`], for words longer than `2^32 - 1` bytes.
pub fn encode_word(word: &[u8], out: &mut Vec<u8>) {
    encode_length(word.len(), out);
    out.extend_from_slice(word);
}

/// Appends a whole sentence to `out`: each word, then the terminating empty word.
///
/// Empty words are skipped: on the wire an empty word *is* the end of a sentence, so a
/// sentence cannot contain one. (An empty word list therefore encodes to the lone terminator,
/// which RouterOS and [`Decoder`] ignore.)
///
/// # Panics
///
/// As [`encode_length`], for words longer than `2^32 - 1` bytes.
pub fn encode_sentence<W: AsRef<[u8]>>(words: impl IntoIterator<Item = W>, out: &mut Vec<u8>) {
    for word in words {
        let word = word.as_ref();
        if !word.is_empty() {
            encode_word(word, out);
        }
    }
    out.push(0);
}

/// One decoded sentence: its words as raw bytes, without the terminating empty word.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sentence {
    words: Vec<Vec<u8>>,
}

impl Sentence {
    /// Wraps a list of words. Empty words are kept here but skipped by [`encode`](Self::encode).
    #[must_use]
    pub fn new(words: Vec<Vec<u8>>) -> Self {
        Self { words }
    }

    /// The words, in order.
    #[must_use]
    pub fn words(&self) -> &[Vec<u8>] {
        &self.words
    }

    /// Gives the words back.
    #[must_use]
    pub fn into_words(self) -> Vec<Vec<u8>> {
        self.words
    }

    /// The first word (a command such as `/login`, or a reply kind such as `!re`), if any.
    #[must_use]
    pub fn first(&self) -> Option<&[u8]> {
        self.words.first().map(Vec::as_slice)
    }

    /// Number of words.
    #[must_use]
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Whether the sentence has no word.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Appends the encoded sentence (words and terminator) to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        encode_sentence(&self.words, out);
    }

    /// The encoded sentence in a new buffer.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode(&mut out);
        out
    }

    /// Exact size of [`encode`](Self::encode)'s output.
    #[must_use]
    pub fn encoded_len(&self) -> usize {
        self.words
            .iter()
            .filter(|w| !w.is_empty())
            .map(|w| length_prefix_len(w.len()) + w.len())
            .sum::<usize>()
            + 1
    }
}

impl From<Vec<Vec<u8>>> for Sentence {
    fn from(words: Vec<Vec<u8>>) -> Self {
        Self::new(words)
    }
}

impl<W: Into<Vec<u8>>> FromIterator<W> for Sentence {
    fn from_iter<I: IntoIterator<Item = W>>(iter: I) -> Self {
        Self::new(iter.into_iter().map(Into::into).collect())
    }
}

/// Why a byte stream is not a valid RouterOS API stream.
///
/// Every error is fatal for the stream: framing is lost, so the [`Decoder`] keeps returning
/// the same error and the connection should be closed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// A word started with a byte `>= 0xF8`, which the protocol reserves for control bytes.
    #[error("reserved control byte 0x{0:02X} where a word length was expected")]
    ReservedControlByte(u8),
    /// A first byte `0xF1..=0xF7`: the five-byte form must start with exactly `0xF0`.
    #[error("invalid length prefix byte 0x{0:02X}")]
    InvalidLengthPrefix(u8),
    /// A word announced a length above [`Limits::max_word_len`].
    #[error("word of {len} bytes exceeds the limit of {max} bytes")]
    WordTooLong {
        /// Announced length.
        len: usize,
        /// The limit in force.
        max: usize,
    },
    /// The words of one sentence add up to more than [`Limits::max_sentence_len`] bytes.
    #[error("sentence of at least {len} bytes exceeds the limit of {max} bytes")]
    SentenceTooLong {
        /// Bytes of the sentence so far (including the word that crossed the limit).
        len: usize,
        /// The limit in force.
        max: usize,
    },
    /// A sentence has more than [`Limits::max_words`] words.
    #[error("sentence of more than {max} words")]
    TooManyWords {
        /// The limit in force.
        max: usize,
    },
}

/// A decoded sentence borrowed from the [`Decoder`]'s input buffer: its words are slices of
/// the bytes as received, so decoding it allocates nothing.
///
/// Valid until the next call on the decoder. [`to_sentence`](Self::to_sentence) copies it out.
#[derive(Clone, Copy)]
pub struct SentenceRef<'a> {
    /// The sentence's bytes, length prefixes included.
    bytes: &'a [u8],
    /// Start (in `bytes`) and length of each word.
    words: &'a [(usize, usize)],
}

impl<'a> SentenceRef<'a> {
    /// Number of words.
    #[must_use]
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Whether the sentence has no word (never the case for a sentence from a [`Decoder`]).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The word at `index`.
    #[must_use]
    pub fn word(&self, index: usize) -> Option<&'a [u8]> {
        self.words
            .get(index)
            .map(|&(start, len)| &self.bytes[start..start + len])
    }

    /// The first word (a command such as `/login`, or a reply kind such as `!re`), if any.
    #[must_use]
    pub fn first(&self) -> Option<&'a [u8]> {
        self.word(0)
    }

    /// The sentence as it was on the wire: every word with its length prefix, and the
    /// terminating zero.
    #[must_use]
    pub fn raw(&self) -> &'a [u8] {
        self.bytes
    }

    /// Where each word is in [`raw`](Self::raw): its start (after its length prefix) and its
    /// length.
    #[must_use]
    pub fn spans(&self) -> &'a [(usize, usize)] {
        self.words
    }

    /// The words, in order.
    #[must_use]
    pub fn iter(&self) -> Words<'a> {
        Words {
            bytes: self.bytes,
            words: self.words.iter(),
        }
    }

    /// The sentence as received, length prefixes and terminator included.
    #[must_use]
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// An owned copy.
    #[must_use]
    pub fn to_sentence(&self) -> Sentence {
        Sentence::new(self.iter().map(<[u8]>::to_vec).collect())
    }
}

impl fmt::Debug for SentenceRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.iter().map(String::from_utf8_lossy))
            .finish()
    }
}

impl<'a> IntoIterator for SentenceRef<'a> {
    type Item = &'a [u8];
    type IntoIter = Words<'a>;
    fn into_iter(self) -> Words<'a> {
        self.iter()
    }
}

/// Same words (whatever the form of their length prefixes).
impl PartialEq for SentenceRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for SentenceRef<'_> {}

impl PartialEq<Sentence> for SentenceRef<'_> {
    fn eq(&self, other: &Sentence) -> bool {
        self.len() == other.len() && self.iter().eq(other.words().iter().map(Vec::as_slice))
    }
}

/// The words of a [`SentenceRef`], in order.
#[derive(Debug, Clone)]
pub struct Words<'a> {
    bytes: &'a [u8],
    words: std::slice::Iter<'a, (usize, usize)>,
}

impl<'a> Iterator for Words<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let &(start, len) = self.words.next()?;
        Some(&self.bytes[start..start + len])
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.words.size_hint()
    }
}

impl DoubleEndedIterator for Words<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let &(start, len) = self.words.next_back()?;
        Some(&self.bytes[start..start + len])
    }
}

impl ExactSizeIterator for Words<'_> {}

impl std::iter::FusedIterator for Words<'_> {}

/// Incremental sentence decoder.
///
/// Accepts input split at any byte: feed whatever the transport delivered, then call
/// [`next_words`](Self::next_words) (or [`next_sentence`](Self::next_sentence)) until it
/// returns `Ok(None)` ("need more bytes"). Empty sentences (a lone terminator) are skipped, as
/// RouterOS does.
///
/// A sentence stays where it arrived, in the input buffer, until it is complete: the decoder
/// records where each complete word starts, so a sentence that arrives in many pieces is parsed
/// once, not re-scanned on every call, and a complete sentence is handed out as slices of that
/// buffer ([`SentenceRef`]) without copying. The buffer keeps the start of the sentence being
/// assembled and is compacted only when the consumed part dominates, so decoding is linear in
/// the input, and the decoder's own allocations are reused from one sentence to the next.
///
/// ```
/// use routeros_api::codec::{encode_sentence, Decoder, Limits};
///
/// let mut wire = Vec::new();
/// encode_sentence(["!done", "=ret=*1"], &mut wire);
///
/// let mut decoder = Decoder::new(Limits::default());
/// decoder.feed(&wire[..3]);
/// assert_eq!(decoder.next_sentence(), Ok(None));
/// decoder.feed(&wire[3..]);
/// let sentence = decoder.next_words().unwrap().unwrap();
/// assert_eq!(sentence.first(), Some(&b"!done"[..]));
/// assert_eq!(sentence.iter().collect::<Vec<_>>(), [&b"!done"[..], b"=ret=*1"]);
/// assert_eq!(decoder.buffered(), 0);
/// ```
#[derive(Debug)]
pub struct Decoder {
    limits: Limits,
    /// Received bytes up to `filled`; past it, room that [`spare`](Self::spare) lends.
    buf: Vec<u8>,
    /// End of the received bytes in `buf`.
    filled: usize,
    /// Start of the sentence being assembled (everything before it has been consumed).
    start: usize,
    /// First byte not parsed yet: `start..cursor` holds the complete words of the sentence
    /// being assembled.
    cursor: usize,
    /// Start (relative to `start`, after the length prefix) and length of each complete word
    /// of the sentence being assembled, or of the sentence returned last.
    words: Vec<(usize, usize)>,
    /// `words` describes the sentence returned last: cleared on the next call.
    returned: bool,
    /// Sum of the lengths of the complete words of the sentence being assembled.
    sentence_len: usize,
    /// Bytes that `buf` must hold past `start` before parsing can progress (the end of the
    /// word being received): with less, a call returns at once. Makes a byte-by-byte feed
    /// cost O(1) per byte.
    need: usize,
    /// Set on the first error; returned forever after.
    failed: Option<DecodeError>,
}

/// Below this many consumed bytes the buffer is not compacted (a cheap memmove anyway).
const COMPACT_MIN: usize = 4096;

impl Decoder {
    /// A decoder with the given caps.
    #[must_use]
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            buf: Vec::new(),
            filled: 0,
            start: 0,
            cursor: 0,
            words: Vec::new(),
            returned: false,
            sentence_len: 0,
            need: 0,
            failed: None,
        }
    }

    /// The caps in force.
    #[must_use]
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Appends received bytes to the input buffer.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.compact();
        self.buf.truncate(self.filled);
        self.buf.extend_from_slice(bytes);
        self.filled = self.buf.len();
    }

    /// Room for at least `min` more bytes at the end of the input buffer, for a transport to
    /// read into directly instead of into a buffer of its own that [`feed`](Self::feed) would
    /// copy; then [`filled`](Self::filled) says how many it wrote. The room is kept from one
    /// call to the next (it is zeroed once, when it first grows).
    ///
    /// ```
    /// use routeros_api::codec::{Decoder, encode_sentence};
    ///
    /// let mut wire = Vec::new();
    /// encode_sentence(["!done"], &mut wire);
    /// let mut decoder = Decoder::default();
    /// let room = decoder.spare(4096);
    /// room[..wire.len()].copy_from_slice(&wire); // as a socket's read would
    /// decoder.filled(wire.len());
    /// assert_eq!(decoder.next_words().unwrap().unwrap().first(), Some(&b"!done"[..]));
    /// ```
    pub fn spare(&mut self, min: usize) -> &mut [u8] {
        self.compact();
        let want = self.filled.saturating_add(min);
        if self.buf.len() < want {
            self.buf.resize(want, 0);
        }
        &mut self.buf[self.filled..]
    }

    /// Takes the first `n` bytes of the room that [`spare`](Self::spare) lent as received.
    ///
    /// # Panics
    ///
    /// If `n` is more than that room.
    pub fn filled(&mut self, n: usize) {
        assert!(n <= self.buf.len() - self.filled, "more than the room lent");
        self.filled += n;
    }

    /// The received bytes not parsed yet, from the start of a sentence: for a reader that
    /// parses the sentences of a common shape itself, in one pass, and hands any other to
    /// [`next_words`](Self::next_words). Empty while part of a sentence has been parsed, and
    /// after an error.
    pub(crate) fn unparsed(&self) -> &[u8] {
        if self.cursor != self.start || self.failed.is_some() {
            return &[];
        }
        &self.buf[self.start..self.filled]
    }

    /// Takes the first `n` bytes of [`unparsed`](Self::unparsed) as read: they must be whole
    /// sentences, each within the [`Limits`].
    pub(crate) fn consume(&mut self, n: usize) {
        debug_assert!(self.cursor == self.start && n <= self.filled - self.start);
        if self.returned {
            self.words.clear();
            self.returned = false;
        }
        self.start += n;
        self.cursor = self.start;
        self.need = 0;
    }

    /// Drops the consumed bytes when that is cheap enough.
    fn compact(&mut self) {
        if self.start == self.filled {
            self.filled = 0;
            self.start = 0;
            self.cursor = 0;
        } else if self.start >= COMPACT_MIN && self.start >= self.filled / 2 {
            // Amortised O(1) per byte: we only move the tail when at least as many bytes
            // have been consumed as remain. Word positions are relative to `start`.
            self.buf.copy_within(self.start..self.filled, 0);
            self.filled -= self.start;
            self.cursor -= self.start;
            self.start = 0;
        }
    }

    /// Bytes received but not yet returned as part of a sentence: the unparsed input plus the
    /// complete words (without their length prefixes) of the sentence being assembled.
    #[must_use]
    pub fn buffered(&self) -> usize {
        self.filled - self.cursor + self.sentence_len
    }

    /// Whether a sentence has been started but not finished, or input is unread; i.e. whether
    /// an end of stream right now would cut a sentence.
    #[must_use]
    pub fn is_mid_sentence(&self) -> bool {
        self.start < self.filled
    }

    /// The next complete sentence, `Ok(None)` if more bytes are needed.
    ///
    /// # Errors
    ///
    /// A [`DecodeError`] if the input is not a RouterOS API stream or exceeds the [`Limits`].
    /// The error is sticky: every later call returns it again.
    #[inline]
    pub fn next_sentence(&mut self) -> Result<Option<Sentence>, DecodeError> {
        Ok(self.step()?.map(|begin| self.sentence(begin).to_sentence()))
    }

    /// As [`next_sentence`](Self::next_sentence), but the sentence is borrowed from the
    /// decoder's buffer: nothing is allocated. It is valid until the next call on the decoder.
    ///
    /// # Errors
    ///
    /// As [`next_sentence`](Self::next_sentence).
    #[inline]
    pub fn next_words(&mut self) -> Result<Option<SentenceRef<'_>>, DecodeError> {
        Ok(self.step()?.map(|begin| self.sentence(begin)))
    }

    /// The sentence that [`advance`](Self::advance) found at `begin`.
    fn sentence(&self, begin: usize) -> SentenceRef<'_> {
        SentenceRef {
            bytes: &self.buf[begin..self.start],
            words: &self.words,
        }
    }

    /// [`advance`](Self::advance), with the error made sticky.
    #[inline]
    fn step(&mut self) -> Result<Option<usize>, DecodeError> {
        if self.filled - self.start < self.need {
            // The word being received is still incomplete (`need` is 0 after an error).
            return Ok(None);
        }
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        self.advance()
            .inspect_err(|err| self.failed = Some(err.clone()))
    }

    /// Parses up to the end of the next sentence. On success returns where that sentence
    /// starts in `buf`; it ends at `start`, and `words` describes it.
    fn advance(&mut self) -> Result<Option<usize>, DecodeError> {
        if self.returned {
            self.words.clear();
            self.returned = false;
        }
        self.need = 0;
        loop {
            let Some((len, prefix)) = decode_length(&self.buf[self.cursor..self.filled])? else {
                return Ok(None);
            };
            if len == 0 {
                self.cursor += prefix;
                if self.words.is_empty() {
                    // Empty sentence: ignored, as RouterOS does.
                    self.start = self.cursor;
                    continue;
                }
                let begin = self.start;
                self.start = self.cursor;
                self.sentence_len = 0;
                self.returned = true;
                return Ok(Some(begin));
            }
            if len > self.limits.max_word_len {
                return Err(DecodeError::WordTooLong {
                    len,
                    max: self.limits.max_word_len,
                });
            }
            let total = self.sentence_len.saturating_add(len);
            if total > self.limits.max_sentence_len {
                return Err(DecodeError::SentenceTooLong {
                    len: total,
                    max: self.limits.max_sentence_len,
                });
            }
            if self.words.len() >= self.limits.max_words {
                return Err(DecodeError::TooManyWords {
                    max: self.limits.max_words,
                });
            }
            let word_start = self.cursor + prefix;
            match word_start.checked_add(len) {
                Some(end) if end <= self.filled => {
                    self.words.push((word_start - self.start, len));
                    self.sentence_len = total;
                    self.cursor = end;
                }
                end => {
                    self.need = end.map_or(usize::MAX, |end| end - self.start);
                    return Ok(None);
                }
            }
        }
    }
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new(Limits::default())
    }
}

/// Decodes a length prefix at the start of `input`: `Ok(Some((length, prefix_bytes)))`, or
/// `Ok(None)` if `input` holds only part of the prefix.
///
/// # Errors
///
/// [`DecodeError::ReservedControlByte`] for a first byte `>= 0xF8`,
/// [`DecodeError::InvalidLengthPrefix`] for `0xF1..=0xF7`.
pub fn decode_length(input: &[u8]) -> Result<Option<(usize, usize)>, DecodeError> {
    let Some(&first) = input.first() else {
        return Ok(None);
    };
    let (prefix, mask) = match first {
        0x00..=0x7F => return Ok(Some((usize::from(first), 1))),
        0x80..=0xBF => (2, 0x3F),
        0xC0..=0xDF => (3, 0x1F),
        0xE0..=0xEF => (4, 0x0F),
        0xF0 => (5, 0x00),
        0xF1..=0xF7 => return Err(DecodeError::InvalidLengthPrefix(first)),
        0xF8..=0xFF => return Err(DecodeError::ReservedControlByte(first)),
    };
    let Some(bytes) = input.get(1..prefix) else {
        return Ok(None);
    };
    let len = bytes
        .iter()
        .fold(u64::from(first & mask), |acc, &b| (acc << 8) | u64::from(b));
    // At most 2^32 - 1: fits in usize on every target with at least 32-bit pointers.
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    Ok(Some((len, prefix)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(len: usize) -> Vec<u8> {
        let mut out = Vec::new();
        encode_length(len, &mut out);
        out
    }

    #[test]
    fn golden_length_vectors() {
        let cases: &[(usize, &[u8])] = &[
            (0, &[0x00]),
            (1, &[0x01]),
            (0x7F, &[0x7F]),
            (0x80, &[0x80, 0x80]),
            (0x3FFF, &[0xBF, 0xFF]),
            (0x4000, &[0xC0, 0x40, 0x00]),
            (0x1F_FFFF, &[0xDF, 0xFF, 0xFF]),
            (0x20_0000, &[0xE0, 0x20, 0x00, 0x00]),
            (0xFFF_FFFF, &[0xEF, 0xFF, 0xFF, 0xFF]),
            (0x1000_0000, &[0xF0, 0x10, 0x00, 0x00, 0x00]),
            (0xFFFF_FFFF, &[0xF0, 0xFF, 0xFF, 0xFF, 0xFF]),
        ];
        for &(len, bytes) in cases {
            assert_eq!(enc(len), bytes, "encode {len:#x}");
            assert_eq!(length_prefix_len(len), bytes.len(), "prefix len {len:#x}");
            assert_eq!(
                decode_length(bytes),
                Ok(Some((len, bytes.len()))),
                "decode {len:#x}"
            );
            // Every strict prefix of the length is "need more bytes".
            for cut in 0..bytes.len() {
                assert_eq!(decode_length(&bytes[..cut]), Ok(None), "cut {len:#x}@{cut}");
            }
        }
    }

    #[test]
    #[should_panic(expected = "exceeds 2^32 - 1")]
    #[cfg(target_pointer_width = "64")]
    fn length_above_u32_panics() {
        enc(MAX_ENCODABLE_LEN + 1);
    }

    #[test]
    fn non_minimal_lengths_are_accepted() {
        assert_eq!(decode_length(&[0x80, 0x05]), Ok(Some((5, 2))));
        assert_eq!(decode_length(&[0xF0, 0, 0, 0, 5]), Ok(Some((5, 5))));
    }

    #[test]
    fn reserved_control_bytes_are_rejected() {
        for b in 0xF8..=0xFF_u8 {
            let mut d = Decoder::default();
            d.feed(&[b]);
            assert_eq!(d.next_sentence(), Err(DecodeError::ReservedControlByte(b)));
            // Sticky.
            d.feed(&[0]);
            assert_eq!(d.next_sentence(), Err(DecodeError::ReservedControlByte(b)));
        }
        for b in 0xF1..=0xF7_u8 {
            assert_eq!(
                decode_length(&[b]),
                Err(DecodeError::InvalidLengthPrefix(b))
            );
        }
        // A control byte in the middle of a sentence, where a word length is expected.
        let mut d = Decoder::default();
        d.feed(&[3, b'!', b'r', b'e', 0xF8]);
        assert_eq!(
            d.next_sentence(),
            Err(DecodeError::ReservedControlByte(0xF8))
        );
    }

    #[test]
    fn words_at_length_boundaries_round_trip() {
        for len in [0x7F, 0x80, 0x3FFF, 0x4000, 0x1F_FFFF, 0x20_0000] {
            let word = vec![b'x'; len];
            let mut wire = Vec::new();
            encode_sentence([&word[..], b"=a=b"], &mut wire);
            let mut d = Decoder::default();
            d.feed(&wire);
            let s = d.next_sentence().unwrap().unwrap();
            assert_eq!(s.words(), [word, b"=a=b".to_vec()]);
            assert_eq!(d.next_sentence(), Ok(None));
            assert_eq!(d.buffered(), 0);
        }
    }

    #[test]
    fn big_boundaries_decode_without_allocating_the_word() {
        // 0xFFFFFFF and 0x10000000 are too big to build in a unit test; check that the
        // announced length is parsed and checked against the cap.
        let limits = Limits {
            max_word_len: 0xFFF_FFFF,
            max_sentence_len: usize::MAX,
            max_words: 4,
        };
        let mut d = Decoder::new(limits);
        d.feed(&enc(0xFFF_FFFF));
        assert_eq!(
            d.next_sentence(),
            Ok(None),
            "within the cap: waits for bytes"
        );
        let mut d = Decoder::new(limits);
        d.feed(&enc(0x1000_0000));
        assert_eq!(
            d.next_sentence(),
            Err(DecodeError::WordTooLong {
                len: 0x1000_0000,
                max: 0xFFF_FFFF
            })
        );
    }

    #[test]
    fn caps_are_enforced() {
        let limits = Limits {
            max_word_len: 4,
            max_sentence_len: 6,
            max_words: 2,
        };
        let check = |words: &[&str], expect: Result<usize, DecodeError>| {
            let mut wire = Vec::new();
            encode_sentence(words, &mut wire);
            let mut d = Decoder::new(limits);
            d.feed(&wire);
            let got = d.next_sentence().map(|s| s.map_or(0, |s| s.len()));
            match expect {
                Ok(n) => assert_eq!(got, Ok(n), "{words:?}"),
                Err(e) => assert_eq!(got, Err(e), "{words:?}"),
            }
        };
        check(&["abcd"], Ok(1));
        check(&["abcde"], Err(DecodeError::WordTooLong { len: 5, max: 4 }));
        check(&["abc", "abc"], Ok(2));
        check(
            &["abcd", "abc"],
            Err(DecodeError::SentenceTooLong { len: 7, max: 6 }),
        );
        check(&["a", "b", "c"], Err(DecodeError::TooManyWords { max: 2 }));
        // The word cap is checked before the word's bytes arrive.
        let mut d = Decoder::new(limits);
        d.feed(&[0x80, 0xFF]);
        assert_eq!(
            d.next_sentence(),
            Err(DecodeError::WordTooLong { len: 0xFF, max: 4 })
        );
    }

    #[test]
    fn empty_sentences_are_skipped_and_empty_words_not_encoded() {
        let mut wire = vec![0, 0];
        encode_sentence(["!done", "", "=x=y"], &mut wire);
        assert_eq!(&wire[2..], b"\x05!done\x04=x=y\x00");
        let mut d = Decoder::default();
        d.feed(&wire);
        let s = d.next_sentence().unwrap().unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(d.next_sentence(), Ok(None));
    }

    #[test]
    fn sentence_helpers() {
        let s: Sentence = ["/login", "=name=admin"].into_iter().collect();
        assert_eq!(s.first(), Some(&b"/login"[..]));
        assert_eq!(s.to_bytes().len(), s.encoded_len());
        assert_eq!(Sentence::default().to_bytes(), [0]);
        assert!(Sentence::default().is_empty());
        assert_eq!(s.clone().into_words().len(), 2);
    }

    #[test]
    fn buffered_and_compaction() {
        let mut wire = Vec::new();
        for i in 0..10_000 {
            encode_sentence(["!re", &format!("=name=user{i}")], &mut wire);
        }
        let mut d = Decoder::default();
        let mut count = 0;
        for chunk in wire.chunks(1000) {
            d.feed(chunk);
            while let Some(s) = d.next_sentence().unwrap() {
                assert_eq!(s.words()[1], format!("=name=user{count}").into_bytes());
                count += 1;
            }
            assert!(d.buf.len() <= 2 * COMPACT_MIN + 2000, "buffer compacted");
        }
        assert_eq!(count, 10_000);
        assert_eq!(d.buffered(), 0);
        assert!(!d.is_mid_sentence());
        d.feed(&[3, b'!', b'r']);
        assert_eq!(d.buffered(), 3);
        assert!(d.is_mid_sentence());
        d.feed(b"e");
        assert_eq!(d.next_sentence(), Ok(None));
        assert_eq!(d.buffered(), 3, "the assembled word still counts");
        assert!(d.is_mid_sentence());
    }

    #[test]
    fn borrowed_sentences() {
        let mut wire = vec![0];
        encode_sentence(["!re", "=name=x", ".tag=7"], &mut wire);
        encode_sentence(["!done"], &mut wire);
        let mut d = Decoder::default();
        // Split inside the second word: the first word is parsed once and kept in place.
        d.feed(&wire[..7]);
        assert_eq!(d.next_words(), Ok(None));
        assert_eq!(d.buffered(), 5, "two unparsed bytes plus the word !re");
        d.feed(&wire[7..]);
        let s = d.next_words().unwrap().unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s.first(), Some(&b"!re"[..]));
        assert_eq!(s.word(2), Some(&b".tag=7"[..]));
        assert_eq!(s.word(3), None);
        assert_eq!(s.iter().next_back(), Some(&b".tag=7"[..]));
        assert_eq!(s.iter().len(), 3);
        assert_eq!(s.as_bytes(), &wire[1..wire.len() - 7]);
        assert_eq!(format!("{s:?}"), r#"["!re", "=name=x", ".tag=7"]"#);
        let owned = s.to_sentence();
        assert_eq!(s, owned);
        assert_eq!(owned.words()[1], b"=name=x");
        let s = d.next_words().unwrap().unwrap();
        assert_eq!(s.into_iter().collect::<Vec<_>>(), [&b"!done"[..]]);
        assert!(!s.is_empty());
        assert_eq!(d.next_words(), Ok(None));
        assert!(!d.is_mid_sentence());
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        /// Decodes everything, feeding `wire` in the pieces given by `cuts`.
        fn decode_all(
            limits: Limits,
            wire: &[u8],
            cuts: &[usize],
        ) -> (Vec<Sentence>, Option<DecodeError>) {
            let mut points: Vec<usize> = cuts.iter().map(|c| c % (wire.len() + 1)).collect();
            points.push(0);
            points.push(wire.len());
            points.sort_unstable();
            let mut d = Decoder::new(limits);
            let mut out = Vec::new();
            for pair in points.windows(2) {
                d.feed(&wire[pair[0]..pair[1]]);
                loop {
                    match d.next_sentence() {
                        Ok(Some(s)) => out.push(s),
                        Ok(None) => break,
                        Err(e) => return (out, Some(e)),
                    }
                }
            }
            (out, None)
        }

        /// As `decode_all`, through the borrowed sentences of `next_words`.
        fn decode_all_borrowed(
            limits: Limits,
            wire: &[u8],
            cuts: &[usize],
        ) -> (Vec<Sentence>, Option<DecodeError>) {
            let mut points: Vec<usize> = cuts.iter().map(|c| c % (wire.len() + 1)).collect();
            points.push(0);
            points.push(wire.len());
            points.sort_unstable();
            let mut d = Decoder::new(limits);
            let mut out = Vec::new();
            for pair in points.windows(2) {
                d.feed(&wire[pair[0]..pair[1]]);
                loop {
                    match d.next_words() {
                        Ok(Some(s)) => {
                            let owned = s.to_sentence();
                            assert_eq!(s, owned);
                            out.push(owned);
                        }
                        Ok(None) => break,
                        Err(e) => return (out, Some(e)),
                    }
                }
            }
            (out, None)
        }

        /// As `decode_all`, with the pieces written into [`Decoder::spare`] (room `extra`
        /// bytes larger than the piece) except every third one, fed.
        fn decode_all_spare(
            limits: Limits,
            wire: &[u8],
            cuts: &[usize],
            extra: usize,
        ) -> (Vec<Sentence>, Option<DecodeError>) {
            let mut points: Vec<usize> = cuts.iter().map(|c| c % (wire.len() + 1)).collect();
            points.push(0);
            points.push(wire.len());
            points.sort_unstable();
            let mut d = Decoder::new(limits);
            let mut out = Vec::new();
            for (i, pair) in points.windows(2).enumerate() {
                let piece = &wire[pair[0]..pair[1]];
                if i % 3 == 2 {
                    d.feed(piece);
                } else {
                    let room = d.spare(piece.len() + extra);
                    assert!(room.len() >= piece.len() + extra);
                    room[..piece.len()].copy_from_slice(piece);
                    room[piece.len()..].fill(0xEE);
                    d.filled(piece.len());
                }
                loop {
                    match d.next_sentence() {
                        Ok(Some(s)) => out.push(s),
                        Ok(None) => break,
                        Err(e) => return (out, Some(e)),
                    }
                }
            }
            (out, None)
        }

        fn word() -> impl Strategy<Value = Vec<u8>> {
            prop_oneof![
                8 => proptest::collection::vec(any::<u8>(), 0..40),
                1 => proptest::collection::vec(any::<u8>(), 100..300),
                1 => (0x3FF0_usize..0x4010).prop_map(|n| vec![b'w'; n]),
            ]
        }

        fn small_limits() -> impl Strategy<Value = Limits> {
            (1_usize..300, 1_usize..600, 1_usize..20).prop_map(|(w, s, n)| Limits {
                max_word_len: w,
                max_sentence_len: s,
                max_words: n,
            })
        }

        proptest! {
            #[test]
            fn round_trip(sentences in proptest::collection::vec(proptest::collection::vec(word(), 0..8), 0..6),
                          cuts in proptest::collection::vec(any::<usize>(), 0..8)) {
                let mut wire = Vec::new();
                for s in &sentences {
                    encode_sentence(s, &mut wire);
                }
                let expect: Vec<Sentence> = sentences
                    .iter()
                    .map(|s| Sentence::new(s.iter().filter(|w| !w.is_empty()).cloned().collect()))
                    .filter(|s| !s.is_empty())
                    .collect();
                let (got, err) = decode_all(Limits::default(), &wire, &cuts);
                prop_assert_eq!(err, None);
                prop_assert_eq!(got, expect);
            }

            #[test]
            fn sentence_encode_matches_encoded_len(words in proptest::collection::vec(word(), 0..8)) {
                let s = Sentence::new(words);
                prop_assert_eq!(s.to_bytes().len(), s.encoded_len());
            }

            #[test]
            fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512),
                                           limits in small_limits()) {
                let _ = decode_all(limits, &bytes, &[]);
            }

            #[test]
            fn split_input_gives_the_same_result(bytes in proptest::collection::vec(any::<u8>(), 0..512),
                                                 limits in small_limits(),
                                                 cuts in proptest::collection::vec(any::<usize>(), 0..16)) {
                let whole = decode_all(limits, &bytes, &[]);
                let split = decode_all(limits, &bytes, &cuts);
                let one_by_one: Vec<usize> = (0..bytes.len()).collect();
                let bytewise = decode_all(limits, &bytes, &one_by_one);
                prop_assert_eq!(&whole, &split);
                prop_assert_eq!(&whole, &bytewise);
            }

            #[test]
            fn borrowed_round_trip(sentences in proptest::collection::vec(proptest::collection::vec(word(), 0..8), 0..6),
                                   cuts in proptest::collection::vec(any::<usize>(), 0..8)) {
                let mut wire = Vec::new();
                for s in &sentences {
                    encode_sentence(s, &mut wire);
                }
                let expect: Vec<Sentence> = sentences
                    .iter()
                    .map(|s| Sentence::new(s.iter().filter(|w| !w.is_empty()).cloned().collect()))
                    .filter(|s| !s.is_empty())
                    .collect();
                let (got, err) = decode_all_borrowed(Limits::default(), &wire, &cuts);
                prop_assert_eq!(err, None);
                prop_assert_eq!(got, expect);
            }

            #[test]
            fn reading_into_spare_room_is_feeding(bytes in proptest::collection::vec(any::<u8>(), 0..512),
                                                  limits in small_limits(),
                                                  cuts in proptest::collection::vec(any::<usize>(), 0..16),
                                                  extra in 0_usize..64) {
                // The bytes past what was filled (0xEE here) are never read as input.
                prop_assert_eq!(decode_all(limits, &bytes, &cuts), decode_all_spare(limits, &bytes, &cuts, extra));
            }

            #[test]
            fn borrowed_and_owned_agree_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512),
                                                     limits in small_limits(),
                                                     cuts in proptest::collection::vec(any::<usize>(), 0..16)) {
                prop_assert_eq!(decode_all(limits, &bytes, &cuts), decode_all_borrowed(limits, &bytes, &cuts));
            }

            #[test]
            fn encoded_length_decodes(len in 0_usize..=MAX_ENCODABLE_LEN) {
                let mut out = Vec::new();
                encode_length(len, &mut out);
                prop_assert_eq!(decode_length(&out), Ok(Some((len, out.len()))));
            }
        }
    }
}
