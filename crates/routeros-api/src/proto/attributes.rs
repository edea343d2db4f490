//! [`Attributes`]: the `=key=value` pairs of one sentence, packed in one string.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use super::text;
use crate::codec::SentenceRef;

/// Ordered `key -> value` pairs, as they appeared on the wire (duplicates kept).
///
/// Compact, and cheap to build from the wire: all the pairs of a row live in one string, each
/// attribute word as it was sent (`=key=value`) behind its length, so that a row of a listing
/// costs one allocation of its size on the wire, and a row whose words are all shorter than
/// 127 bytes (nearly every row RouterOS sends) is built by copying its bytes and checking
/// them as UTF-8 once. Looking a key up is a linear scan, as it was with a vector of pairs:
/// rows have a few dozen attributes at most.
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
#[derive(Clone, Default)]
pub struct Attributes {
    /// Per pair: the length of its word, then the word, `=key=value` (or `=key` for an empty
    /// value, as RouterOS may send it). A key that itself holds a `=` (never on the wire, but
    /// [`push`](Self::push) takes any text) is written `\u{1}`, its length, the key, the value.
    /// A length below 0x7F is one byte, the way RouterOS writes it; a longer one is 0x7F and
    /// then the length in 6-bit groups, least significant first, with 0x40 set on every group
    /// but the last: every byte stays below 0x80, so the whole is valid UTF-8.
    packed: Packed,
    /// Number of pairs.
    len: usize,
}

/// The packed words of the rows that arrived in one read, shared by them. When the last of
/// them is dropped its buffer goes back to the pool it came from, if that pool has room, so
/// that the next reads reuse memory instead of asking the allocator for fresh pages.
#[derive(Debug)]
pub(crate) struct Chunk {
    text: String,
    home: std::sync::Weak<ChunkPool>,
}

impl Chunk {
    pub(crate) fn new(text: String, home: &Arc<ChunkPool>) -> Self {
        Self {
            text,
            home: Arc::downgrade(home),
        }
    }
}

impl Drop for Chunk {
    fn drop(&mut self) {
        if let Some(pool) = self.home.upgrade() {
            pool.give(std::mem::take(&mut self.text));
        }
    }
}

/// Buffers of dropped rows, kept (up to a bound) for the next reads of one connection.
#[derive(Debug, Default)]
pub(crate) struct ChunkPool {
    /// The buffers, and the bytes of their capacities together.
    free: std::sync::Mutex<(Vec<String>, usize)>,
}

impl ChunkPool {
    /// At most this many bytes of buffers are kept: enough for the rows of a listing of
    /// 20,000 secrets to reuse the memory of the one before.
    pub(crate) const MAX_BYTES: usize = 16 << 20;

    fn lock(&self) -> std::sync::MutexGuard<'_, (Vec<String>, usize)> {
        self.free
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn give(&self, mut text: String) {
        let mut free = self.lock();
        if free.1 + text.capacity() <= Self::MAX_BYTES {
            text.clear();
            free.1 += text.capacity();
            free.0.push(text);
        }
    }

    /// An empty buffer for at least `capacity` bytes: the smallest kept one that fits without
    /// wasting more than a third of it, or a new one. A new one takes the place of a kept one
    /// (the largest too small, else the smallest too large), which is freed first: the memory
    /// a connection holds follows the sizes of its reads instead of growing with mismatches.
    pub(crate) fn take(&self, capacity: usize) -> Vec<u8> {
        let mut free = self.lock();
        let fits = |kept: usize| kept >= capacity && kept - capacity <= capacity / 2;
        let closest = |wanted: &dyn Fn(usize) -> bool, larger: bool| {
            free.0
                .iter()
                .enumerate()
                .filter(|(_, text)| wanted(text.capacity()))
                .min_by_key(|(_, text)| {
                    let kept = text.capacity();
                    if larger { kept } else { usize::MAX - kept }
                })
                .map(|(at, _)| at)
        };
        let best = closest(&fits, true);
        let freed = best
            .is_none()
            .then(|| closest(&|kept| kept < capacity, false).or_else(|| closest(&|_| true, true)))
            .flatten();
        let Some(at) = best.or(freed) else {
            return Vec::with_capacity(capacity);
        };
        let text = free.0.swap_remove(at);
        free.1 -= text.capacity();
        drop(free);
        if best.is_some() {
            text.into_bytes()
        } else {
            drop(text);
            Vec::with_capacity(capacity)
        }
    }

    /// Bytes of buffers kept now.
    #[cfg(test)]
    pub(crate) fn kept(&self) -> usize {
        self.lock().1
    }
}

/// Where the packed words live: a string of their own, or a part of a chunk shared by the
/// rows that arrived in one read (see [`Attributes::shared`]).
#[derive(Clone)]
enum Packed {
    Own(String),
    /// `chunk.text[start..end]`; 32-bit offsets keep a row at 32 bytes (a read's chunk is
    /// far smaller; a larger one gives its rows strings of their own).
    Shared {
        chunk: Arc<Chunk>,
        start: u32,
        end: u32,
    },
}

impl Default for Packed {
    fn default() -> Self {
        Self::Own(String::new())
    }
}

impl Packed {
    fn as_str(&self) -> &str {
        match self {
            Self::Own(s) => s,
            Self::Shared { chunk, start, end } => &chunk.text[*start as usize..*end as usize],
        }
    }

    /// The string, made the row's own first if it was shared.
    fn to_mut(&mut self) -> &mut String {
        if let Self::Shared { .. } = self {
            *self = Self::Own(self.as_str().to_owned());
        }
        match self {
            Self::Own(s) => s,
            Self::Shared { .. } => unreachable!("made its own above"),
        }
    }
}
/// The one-byte lengths: below this, a length is its own byte (as on the wire).
const LONG: usize = 0x7F;

/// Appends `n` in the length form of [`Attributes::packed`].
fn push_len(out: &mut String, mut n: usize) {
    if n < LONG {
        // Below 0x7F: lossless.
        out.push(char::from(n as u8));
        return;
    }
    out.push(char::from(LONG as u8));
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

/// Bytes that [`push_len`] writes for `n`.
fn len_size(mut n: usize) -> usize {
    if n < LONG {
        return 1;
    }
    let mut size = 2;
    while n >= 0x40 {
        n >>= 6;
        size += 1;
    }
    size
}

/// Reads a length written by [`push_len`] at `*pos`, moving `*pos` past it.
fn read_len(bytes: &[u8], pos: &mut usize) -> usize {
    let first = usize::from(bytes[*pos]);
    *pos += 1;
    if first < LONG {
        return first;
    }
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

/// Marks a packed word whose key holds a `=` (see [`Attributes::packed`]).
const KEY_WITH_EQUALS: char = '\u{1}';

/// The key and the value of an attribute word `=key=value` (or `=key`).
fn split_word(word: &str) -> (&str, &str) {
    if let Some(rest) = word.strip_prefix(KEY_WITH_EQUALS) {
        let mut pos = 0;
        let key_len = read_len(rest.as_bytes(), &mut pos);
        return (&rest[pos..pos + key_len], &rest[pos + key_len..]);
    }
    let pair = &word[1..];
    // Names are short: a plain byte scan finds the '=' sooner than a memchr set up for long
    // haystacks. ('=' is ASCII, so both sides are on character boundaries.)
    match pair.bytes().position(|b| b == b'=') {
        Some(i) => (&pair[..i], &pair[i + 1..]),
        None => (pair, ""),
    }
}

/// The value of `word` if it is the attribute `key`.
fn value_of<'a>(word: &'a str, key: &str) -> Option<&'a str> {
    if word.starts_with(KEY_WITH_EQUALS) || key.contains('=') {
        let (k, v) = split_word(word);
        return (k == key).then_some(v);
    }
    let rest = word.get(1..)?.strip_prefix(key)?;
    if rest.is_empty() {
        Some("")
    } else {
        rest.strip_prefix('=')
    }
}

impl Attributes {
    /// No attribute.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            packed: Packed::Own(String::new()),
            len: 0,
        }
    }

    /// The row whose packed words are `chunk[range]`, `len` of them: rows that arrived in one
    /// read share one chunk, so that building them costs one allocation per read, not one
    /// per row. Such a row keeps its whole chunk alive (up to a read, 256 KiB) while it lives; a
    /// change, or [`detach`](Self::detach), gives it a string of its own.
    pub(crate) fn shared(chunk: &Arc<Chunk>, range: std::ops::Range<usize>, len: usize) -> Self {
        let packed = match (u32::try_from(range.start), u32::try_from(range.end)) {
            (Ok(start), Ok(end)) => Packed::Shared {
                chunk: Arc::clone(chunk),
                start,
                end,
            },
            _ => Packed::Own(chunk.text[range].to_owned()),
        };
        Self { packed, len }
    }

    /// Gives a row that shares the buffer of the read it arrived in a string of its own, so
    /// that keeping it does not keep that buffer.
    pub fn detach(&mut self) {
        self.packed.to_mut();
    }

    /// The words, each as packed.
    fn words(&self) -> Words<'_> {
        Words {
            packed: self.packed.as_str(),
            pos: 0,
        }
    }

    /// The value of the first attribute named `key`.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.words().find_map(|word| value_of(word, key))
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
        let packed = self.packed.to_mut();
        if key.contains('=') {
            let key_len = len_size(key.len());
            push_len(packed, 1 + key_len + key.len() + value.len());
            packed.push(KEY_WITH_EQUALS);
            push_len(packed, key.len());
        } else {
            push_len(packed, key.len() + value.len() + 2);
            packed.push('=');
        }
        packed.push_str(key);
        if !key.contains('=') {
            packed.push('=');
        }
        packed.push_str(value);
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
            words: self.words(),
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

    /// Bytes this value holds on the heap (for a row sharing its read's buffer, its part).
    #[must_use]
    pub fn heap_size(&self) -> usize {
        match &self.packed {
            Packed::Own(s) => s.capacity(),
            Packed::Shared { start, end, .. } => (end - start) as usize,
        }
    }

    /// The pairs of the `=key=value` words among `words` (other words ignored), in one
    /// allocation of exactly their size. Invalid UTF-8 is replaced.
    pub(crate) fn from_words<'w, I>(words: I) -> Self
    where
        I: IntoIterator<Item = &'w [u8]>,
        I::IntoIter: Clone,
    {
        let words = words.into_iter();
        let size = words
            .clone()
            .filter(|word| word.first() == Some(&b'='))
            .map(|word| len_size(word.len()) + word.len())
            .sum();
        let mut packed = String::with_capacity(size);
        let mut len = 0;
        for word in words.filter(|word| word.first() == Some(&b'=')) {
            let word = text(word);
            push_len(&mut packed, word.len());
            packed.push_str(&word);
            len += 1;
        }
        if packed.capacity() != packed.len() {
            // An invalid sequence was replaced, which lengthened its word.
            packed.shrink_to_fit();
        }
        Self {
            packed: Packed::Own(packed),
            len,
        }
    }

    /// A row from packed words that turned out not to be UTF-8 (see
    /// [`Connection`](crate::connection::Connection)): each word's length is one byte; invalid
    /// sequences are replaced.
    pub(crate) fn from_packed_bytes(bytes: &[u8]) -> Self {
        let mut words = Vec::new();
        let mut pos = 0;
        while pos < bytes.len() {
            let len = usize::from(bytes[pos]);
            pos += 1;
            words.push(&bytes[pos..pos + len]);
            pos += len;
        }
        Self::from_words(words.iter().copied())
    }

    /// The attributes of a reply sentence as decoded: its `=key=value` words after the first
    /// (the reply kind). The fast path, for a sentence whose attribute words are consecutive,
    /// each shorter than 127 bytes, and valid UTF-8 (every row RouterOS sends in practice):
    /// one copy of those bytes, length prefixes included, since they are already in this
    /// type's form, and one UTF-8 check. Any other sentence takes [`from_words`].
    ///
    /// [`from_words`]: Self::from_words
    pub(crate) fn from_sentence(sentence: &SentenceRef<'_>) -> Self {
        let spans = sentence.spans();
        let raw = sentence.raw();
        let attribute = |&(start, len): &(usize, usize)| raw.get(start) == Some(&b'=') && len > 0;
        let run = spans
            .iter()
            .skip(1)
            .take_while(|span| attribute(span))
            .count();
        let consecutive = spans.iter().skip(1 + run).all(|span| !attribute(span));
        let short = spans.iter().skip(1).take(run).all(|&(_, len)| len < LONG);
        if consecutive && short {
            let Some(&(first, _)) = spans.get(1).filter(|_| run > 0) else {
                return Self::new();
            };
            let &(last, last_len) = &spans[run];
            // Each word's one-byte length prefix sits just before it.
            if let Ok(packed) = String::from_utf8(raw[first - 1..last + last_len].to_vec()) {
                return Self {
                    packed: Packed::Own(packed),
                    len: run,
                };
            }
        }
        Self::from_words(sentence.iter().skip(1))
    }
}

/// The packed words of an [`Attributes`].
#[derive(Debug, Clone)]
struct Words<'a> {
    packed: &'a str,
    pos: usize,
}

impl<'a> Iterator for Words<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.pos >= self.packed.len() {
            return None;
        }
        let len = read_len(self.packed.as_bytes(), &mut self.pos);
        let word = &self.packed[self.pos..self.pos + len];
        self.pos += len;
        Some(word)
    }
}

impl PartialEq for Attributes {
    /// Equal pairs in the same order (an empty value with or without its `=` alike).
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl Eq for Attributes {}

impl Hash for Attributes {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.len.hash(state);
        for pair in self.iter() {
            pair.hash(state);
        }
    }
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
    words: Words<'a>,
    remaining: usize,
}

impl<'a> Iterator for Pairs<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        let word = self.words.next()?;
        self.remaining -= 1;
        Some(split_word(word))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pool_serves_the_closest_fit_and_frees_what_is_too_small() {
        let pool = Arc::new(ChunkPool::default());
        for capacity in [1_000, 4_000, 100_000] {
            drop(Chunk::new(String::with_capacity(capacity), &pool));
        }
        let kept = pool.kept();
        assert!(kept >= 105_000);
        // 3,500 fits in the 4,000 one, not the 100,000 one (which would waste most of it).
        let buffer = pool.take(3_500);
        assert!((3_500..=5_250).contains(&buffer.capacity()));
        assert_eq!(pool.kept(), kept - buffer.capacity());
        // 2,000 fits none without waste: the 1,000 one, too small, is freed for a new one.
        let kept = pool.kept();
        let buffer = pool.take(2_000);
        assert!(buffer.capacity() >= 2_000 && buffer.capacity() < 100_000);
        assert!(pool.kept() < kept && pool.kept() >= 100_000);
        // Nothing small is left: a new buffer takes the place of the big one, which is freed.
        assert!(pool.take(10).capacity() < 100_000);
        assert_eq!(pool.kept(), 0);
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
        // Each pair costs its word plus one byte for its length.
        assert_eq!(row.heap_size(), "=name=john123=disabled=false".len() + 2);
    }

    /// The fast path (a copy of the wire bytes) and the general one agree, whatever the
    /// sentence: long words, words that are not attributes in the middle, invalid UTF-8,
    /// empty values with and without their `=`.
    #[test]
    fn rows_from_the_wire_take_the_fast_path_when_they_can() {
        use crate::codec::{Decoder, Limits, encode_sentence};
        let long = format!("=comment={}", "x".repeat(200));
        let cases: Vec<Vec<Vec<u8>>> = vec![
            vec![
                b"!re".to_vec(),
                b"=name=john".to_vec(),
                b"=disabled=false".to_vec(),
                b".tag=3".to_vec(),
            ],
            vec![
                b"!re".to_vec(),
                b"=name=john".to_vec(),
                b"=empty=".to_vec(),
                b"=bare".to_vec(),
            ],
            vec![
                b"!re".to_vec(),
                b"=name=john".to_vec(),
                long.clone().into_bytes(),
                b".tag=3".to_vec(),
            ],
            vec![
                b"!re".to_vec(),
                b"=a=1".to_vec(),
                b".section=2".to_vec(),
                b"=b=2".to_vec(),
            ],
            vec![
                b"!re".to_vec(),
                b"=a=\xff".to_vec(),
                vec![b'=', b'b', b'=', 0xff, 0xfe],
            ],
            vec![b"!re".to_vec(), b".tag=1".to_vec()],
            vec![b"!re".to_vec()],
            vec![
                b"!re".to_vec(),
                "=k=ключ".as_bytes().to_vec(),
                "=ключ=v".as_bytes().to_vec(),
            ],
        ];
        for words in cases {
            let mut wire = Vec::new();
            encode_sentence(&words, &mut wire);
            let mut decoder = Decoder::new(Limits::default());
            decoder.feed(&wire);
            let sentence = decoder.next_words().unwrap().unwrap();
            let fast = Attributes::from_sentence(&sentence);
            let general = Attributes::from_words(words[1..].iter().map(Vec::as_slice));
            assert_eq!(fast, general, "{words:?}");
            assert_eq!(
                fast.iter().collect::<Vec<_>>(),
                general.iter().collect::<Vec<_>>()
            );
            assert_eq!(
                fast.heap_size(),
                fast.packed.as_str().len(),
                "exactly its size"
            );
        }
        let mut wire = Vec::new();
        encode_sentence(
            ["!re", "=name=john", "=bare", "=long=", ".tag=9"],
            &mut wire,
        );
        let mut decoder = Decoder::new(Limits::default());
        decoder.feed(&wire);
        let row = Attributes::from_sentence(&decoder.next_words().unwrap().unwrap());
        assert_eq!(row.get("name"), Some("john"));
        assert_eq!(row.get("bare"), Some(""));
        assert_eq!(row.get("long"), Some(""));
        assert_eq!(row.get("lon"), None);
        assert_eq!(row.get("tag"), None);
        assert_eq!(row.len(), 3);
    }

    mod attribute_props {
        use super::super::*;
        use crate::codec::Sentence;
        use crate::proto::Reply;
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
                let reply = Reply::parse(&Sentence::new(all.clone())).unwrap();
                let row = Attributes::from_words(words.iter().map(Vec::as_slice));
                prop_assert_eq!(&row, &reply.attributes);
                prop_assert_eq!(row.heap_size(), row.packed.as_str().len());
                // The client's fast path, from the decoded sentence, agrees too.
                let mut wire = Vec::new();
                crate::codec::encode_sentence(&all, &mut wire);
                let mut decoder = crate::codec::Decoder::new(crate::codec::Limits::default());
                decoder.feed(&wire);
                let sentence = decoder.next_words().unwrap().unwrap();
                prop_assert_eq!(&Attributes::from_sentence(&sentence), &reply.attributes);
            }
        }
    }
}
