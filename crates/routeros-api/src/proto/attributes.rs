//! [`Attributes`]: the `=key=value` pairs of one sentence, packed in one string.
//!
//! The rows that the client reads share one buffer per read. Those of a command whose rows
//! are collected hold their values behind the numbers of their keys, each name written once
//! per connection ([`KeyInterner`]), not again on every row.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use super::text;
use crate::codec::SentenceRef;

/// Ordered `key -> value` pairs, as they appeared on the wire (duplicates kept).
///
/// Compact, and cheap to build from the wire. A row built on its own keeps all its pairs in
/// one string, each attribute word as it was sent (`=key=value`) behind its length: one
/// allocation of its size on the wire. The rows the client reads share one buffer per read:
/// a stream's hold their words there as they came; those of a listing that
/// [`Client::call`](crate::Client::call) collects hold only their values, each behind the
/// number of its key in the connection's table of key names, so that the listing held whole
/// takes less than half its size on the wire (the names, `=last-disconnect-reason=` and the
/// like, are most of a row). Looking a key up is a linear scan, as it was with a vector of
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

/// The pairs of the rows that arrived in one read, shared by them: their packed words (as
/// in [`Attributes::packed`]), or their values behind the numbers of their keys. When the
/// last of them is dropped its buffer goes back to the pool it came from, if that pool has
/// room, so that the next reads reuse memory instead of asking the allocator for fresh pages.
#[derive(Debug)]
pub(crate) struct Chunk {
    /// Packed words; or, with [`keys`](Self::keys), per row, per pair: the number of its key,
    /// the value's length (both in the length form of [`Attributes::packed`]), the value.
    text: String,
    /// The key names that the rows' numbers stand for, if they are numbered.
    keys: Option<Arc<KeyTable>>,
    home: std::sync::Weak<ChunkPool>,
}

impl Chunk {
    /// Rows whose buffer goes back to `home`: packed words, or numbered pairs with `keys`.
    pub(crate) fn new(text: String, keys: Option<Arc<KeyTable>>, home: &Arc<ChunkPool>) -> Self {
        Self {
            text,
            keys,
            home: Arc::downgrade(home),
        }
    }

    /// The pairs of `text[range]`.
    fn pairs(&self, range: std::ops::Range<usize>) -> PairsOf<'_> {
        let text = &self.text[range];
        match &self.keys {
            None => PairsOf::Words(Words {
                packed: text,
                pos: 0,
            }),
            Some(keys) => PairsOf::Numbered(Numbered { text, keys, pos: 0 }),
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

/// A read's chunk while its rows are written into it: `bytes[..filled]` written, the rest
/// zeros, room that a row is written into by index (no length update per byte).
#[derive(Debug, Default)]
pub(crate) struct ChunkWriter {
    bytes: Vec<u8>,
    filled: usize,
}

impl ChunkWriter {
    /// Starts a read's chunk in `bytes` (empty).
    pub(crate) fn start(&mut self, bytes: Vec<u8>) {
        self.bytes = bytes;
        self.bytes.clear();
        self.filled = 0;
    }

    /// Bytes written so far.
    pub(crate) fn len(&self) -> usize {
        self.filled
    }

    /// Whether nothing was given to write into (no buffer yet).
    pub(crate) fn needs_buffer(&self) -> bool {
        self.bytes.capacity() == 0
    }

    /// At least `n` bytes of room after what is written (zeroed in steps of 4 KiB, so that
    /// the pages touched follow what is written).
    fn room(&mut self, n: usize) -> &mut [u8] {
        let need = self.filled + n;
        if self.bytes.len() < need {
            self.bytes.resize(need + 4096, 0);
        }
        &mut self.bytes[self.filled..]
    }

    /// Forgets what was written from `len` on.
    pub(crate) fn rewind(&mut self, len: usize) {
        self.filled = self.filled.min(len);
    }

    /// What was written, for the rows; the writer is left without a buffer.
    pub(crate) fn finish(&mut self) -> Vec<u8> {
        self.bytes.truncate(self.filled);
        self.filled = 0;
        std::mem::take(&mut self.bytes)
    }
}

/// The words of a row to pack, one after the other: where each is in the sentence's bytes,
/// and its length.
trait RowWords: Copy {
    /// The word at the cursor; `None` at the end.
    fn get(&self, raw: &[u8]) -> Option<(usize, usize)>;
    /// Moves past the word `(at, len)` that [`get`](Self::get) gave.
    fn skip(&mut self, at: usize, len: usize);
}

/// The words listed by the decoder ([`SentenceRef::spans`]), from the one at `next`.
#[derive(Debug, Clone, Copy)]
struct Listed<'w> {
    words: &'w [(usize, usize)],
    next: usize,
}

impl RowWords for Listed<'_> {
    #[inline]
    fn get(&self, _: &[u8]) -> Option<(usize, usize)> {
        self.words.get(self.next).copied()
    }

    #[inline]
    fn skip(&mut self, _: usize, _: usize) {
        self.next += 1;
    }
}

/// Words with one-byte length prefixes, read off the bytes: the next one's prefix is at
/// `next`, and they end at `end`.
#[derive(Debug, Clone, Copy)]
struct Prefixed {
    next: usize,
    end: usize,
}

impl RowWords for Prefixed {
    #[inline]
    fn get(&self, raw: &[u8]) -> Option<(usize, usize)> {
        (self.next < self.end).then(|| (self.next + 1, usize::from(raw[self.next])))
    }

    #[inline]
    fn skip(&mut self, at: usize, len: usize) {
        self.next = at + len;
    }
}

/// Where the packing of one row is: the next word, the pairs written, the bytes written.
#[derive(Debug)]
struct Packing<W> {
    words: W,
    pairs: usize,
    pos: usize,
}

impl<W: RowWords> Packing<W> {
    /// Packs the words from the cursor [`words`](Self::words) on while each is the common case:
    /// `=key=value` with the key at its place in `last_row` (far enough from the end of `raw`
    /// to be compared in fixed-size loads) and a value shorter than 127 bytes. Stops at the
    /// first other word (one that is not an attribute among them), or at the end. A loop of its own, over
    /// plain slices and with no call: the cost of a listing's rows is here.
    #[inline]
    fn common(&mut self, raw: &[u8], last_row: &[Expected], out: &mut [u8]) {
        let (mut words, mut pairs, mut pos) = (self.words, self.pairs, self.pos);
        let load = |at: usize| {
            raw.get(at..at + 16)
                .map(|bytes| u128::from_le_bytes(bytes.try_into().expect("16 bytes")))
        };
        while let Some((at, len)) = words.get(raw) {
            let Some(expected) = last_row.get(pairs) else {
                break;
            };
            // The word's `=key=`, compared in one or two 16-byte loads (a word that is not
            // an attribute, or shorter, does not match).
            let key_len = expected.key_len as usize;
            let same = len >= key_len + 2
                && match (load(at), expected.tail_mask) {
                    (Some(head), 0) => head & expected.head_mask == expected.head,
                    (Some(head), tail_mask) => {
                        head == expected.head
                            && load(at + 16).is_some_and(|tail| tail & tail_mask == expected.tail)
                    }
                    (None, _) => false,
                };
            if !same {
                break;
            }
            // `same` says the word holds `=key=`: no overflow.
            let value = at + key_len + 2;
            let value_len = at + len - value;
            // Number and length below 0x7F: one byte each, lossless. A value of at most 32
            // bytes: one copy of a fixed 32 bytes (no call), what follows it overwritten by
            // the next pair.
            match (out.get_mut(pos..pos + 34), raw.get(value..value + 32)) {
                (Some(to), Some(bytes)) if value_len <= 32 => {
                    let to: &mut [u8; 34] = to.try_into().expect("34 bytes");
                    to[0] = expected.number as u8;
                    to[1] = value_len as u8;
                    to[2..].copy_from_slice(bytes);
                }
                _ if value_len < LONG => {
                    out[pos] = expected.number as u8;
                    out[pos + 1] = value_len as u8;
                    out[pos + 2..pos + 2 + value_len].copy_from_slice(&raw[value..at + len]);
                }
                _ => break,
            }
            pos += 2 + value_len;
            pairs += 1;
            words.skip(at, len);
        }
        (self.words, self.pairs, self.pos) = (words, pairs, pos);
    }

    /// Writes the pair numbered `number` with the value `value`, whatever their sizes.
    fn write(&mut self, number: u32, value: &[u8], out: &mut [u8]) {
        let mut buf = [0; 12];
        for n in [number as usize, value.len()] {
            if n < LONG {
                // Below 0x7F: lossless.
                out[self.pos] = n as u8;
                self.pos += 1;
            } else {
                let form = len_form(n, &mut buf);
                out[self.pos..self.pos + form.len()].copy_from_slice(form);
                self.pos += form.len();
            }
        }
        out[self.pos..self.pos + value.len()].copy_from_slice(value);
        self.pos += value.len();
        self.pairs += 1;
    }
}

/// The key expected at a place of a row (that of the last row), as the common case compares
/// it: the word's `=key=` in one or two 16-byte little-endian loads.
#[derive(Debug, Clone, Copy)]
struct Expected {
    number: u32,
    key_len: u32,
    head: u128,
    head_mask: u128,
    tail: u128,
    /// 0 if `=key=` fits the head.
    tail_mask: u128,
}

impl Expected {
    /// `key`, numbered `number`. One the common case cannot take (`=key=` longer than 32
    /// bytes, a number from 0x7F on) is expected in a form no load matches.
    fn new(number: u32, key: &[u8]) -> Self {
        let len = key.len() + 2;
        let mut bytes = [0_u8; 32];
        let Some(room) = bytes.get_mut(..len).filter(|_| number < LONG as u32) else {
            return Self {
                number,
                key_len: 0,
                head: 1,
                head_mask: 0,
                tail: 0,
                tail_mask: 0,
            };
        };
        room[0] = b'=';
        room[1..=key.len()].copy_from_slice(key);
        room[key.len() + 1] = b'=';
        let half = |at: usize| u128::from_le_bytes(bytes[at..at + 16].try_into().expect("16"));
        Self {
            number,
            // At most 30: lossless.
            key_len: key.len() as u32,
            head: half(0),
            head_mask: low_bytes(len.min(16)),
            tail: half(16),
            tail_mask: if len > 16 { low_bytes(len - 16) } else { 0 },
        }
    }
}

/// The mask of the low `len` bytes (at most 16) of a little-endian load.
#[inline]
fn low_bytes(len: usize) -> u128 {
    if len >= 16 {
        u128::MAX
    } else {
        (1_u128 << (8 * len)) - 1
    }
}

/// Key names, numbered in the order they were first seen on a connection.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeyTable {
    names: Vec<Box<str>>,
}

/// Gives each key name read on a connection a number, so that the rows of a read hold a
/// number (one byte for the first 127 names) instead of the name. The numbers only grow:
/// a chunk holds the table as it was when its rows were built, and a name added later
/// copies the table if chunks still hold it.
#[derive(Debug, Default)]
pub(crate) struct KeyInterner {
    table: Arc<KeyTable>,
    /// Name -> number.
    index: std::collections::HashMap<Box<[u8]>, u32>,
    /// Bytes of the names in the table.
    bytes: usize,
    /// The keys of the last row, by position: rows of one listing repeat them.
    last_row: Vec<Expected>,
}

impl KeyInterner {
    /// At most this many names, of at most this many bytes together, are numbered: past
    /// either bound (a server that makes up names) rows are built on their own.
    const MAX_KEYS: usize = 4096;
    const MAX_BYTES: usize = 64 << 10;

    /// Writes the attribute words of the `!re` row `sentence` (`=key=value`, or `=key` for an
    /// empty value; other words are not attributes) into `chunk`, in [`Chunk::text`]'s form,
    /// and says how many pairs it wrote; `None`, with nothing written, if a key cannot be
    /// numbered (not UTF-8, the table full).
    pub(crate) fn pack_row(
        &mut self,
        sentence: &SentenceRef<'_>,
        chunk: &mut ChunkWriter,
    ) -> Option<usize> {
        let words = Listed {
            words: sentence.spans(),
            next: 1,
        };
        self.pack(sentence.raw(), words, sentence.len(), chunk)
    }

    /// As [`pack_row`](Self::pack_row), for the `count` attribute words of `run` in the
    /// sentence `raw`, each with a one-byte length prefix (as
    /// [`Reader`](crate::connection::Reader)'s one-pass scan finds them).
    pub(crate) fn pack_run(
        &mut self,
        raw: &[u8],
        run: std::ops::Range<usize>,
        count: usize,
        chunk: &mut ChunkWriter,
    ) -> Option<usize> {
        let words = Prefixed {
            next: run.start,
            end: run.end,
        };
        self.pack(raw, words, count, chunk)
    }

    /// Packs `words` of the sentence `raw`; there are at most `count` of them (the room to
    /// write them is made for that many).
    #[inline]
    fn pack<W: RowWords>(
        &mut self,
        raw: &[u8],
        words: W,
        count: usize,
        chunk: &mut ChunkWriter,
    ) -> Option<usize> {
        // A pair takes at most its word's bytes, and its number and length at most 8 more
        // than the word's own length prefix; 64 more for the last short value's copy.
        let out = chunk.room(raw.len() + 8 * count + 64);
        let mut row = Packing {
            words,
            pairs: 0,
            pos: 0,
        };
        loop {
            row.common(raw, &self.last_row, out);
            let Some((at, len)) = row.words.get(raw) else {
                break;
            };
            row.words.skip(at, len);
            if len == 0 || raw[at] != b'=' {
                // Not an attribute word.
                continue;
            }
            // A word the common case does not take: its key looked up (and remembered for
            // the next row) unless it is the last row's.
            let pair = &raw[at + 1..at + len];
            let last = self.last_row.get(row.pairs).map(|expected| {
                let n = expected.number;
                (n, self.table.names[n as usize].as_bytes())
            });
            let (number, key_len) = match last {
                Some((n, key))
                    if pair.starts_with(key) && pair.get(key.len()).is_none_or(|&b| b == b'=') =>
                {
                    (n, key.len())
                }
                _ => self.number_slow(row.pairs, pair)?,
            };
            row.write(number, pair.get(key_len + 1..).unwrap_or_default(), out);
        }
        chunk.filled += row.pos;
        Some(row.pairs)
    }

    fn number_slow(&mut self, at: usize, pair: &[u8]) -> Option<(u32, usize)> {
        // Names are short: a plain byte scan finds the '=' sooner than a memchr set up for
        // long haystacks.
        let key = &pair[..pair.iter().position(|&b| b == b'=').unwrap_or(pair.len())];
        let n = match self.index.get(key) {
            Some(&n) => n,
            None => self.add(key)?,
        };
        if let Some(slot) = self.last_row.get_mut(at) {
            *slot = Expected::new(n, key);
        } else if self.last_row.len() == at {
            self.last_row.push(Expected::new(n, key));
        }
        Some((n, key.len()))
    }

    fn add(&mut self, key: &[u8]) -> Option<u32> {
        let name = std::str::from_utf8(key).ok()?;
        let count = self.table.names.len();
        if count >= Self::MAX_KEYS || self.bytes + key.len() > Self::MAX_BYTES {
            return None;
        }
        // Below MAX_KEYS: lossless.
        let n = count as u32;
        self.bytes += key.len();
        Arc::make_mut(&mut self.table).names.push(name.into());
        self.index.insert(key.into(), n);
        Some(n)
    }

    /// The table as it is now, for the chunk of a read.
    pub(crate) fn table(&self) -> Arc<KeyTable> {
        Arc::clone(&self.table)
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
    /// `chunk.text[start..end]`, in the chunk's form (key numbers and values); 32-bit offsets
    /// keep a row at 32 bytes (a read's chunk is far smaller; a larger one gives its rows
    /// strings of their own).
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

/// The pairs written in a chunk's form (see [`Chunk::text`]), with the names they stand for.
#[derive(Debug, Clone)]
struct Numbered<'a> {
    text: &'a str,
    keys: &'a KeyTable,
    pos: usize,
}

impl<'a> Iterator for Numbered<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.text.len() {
            return None;
        }
        let bytes = self.text.as_bytes();
        let key = read_len(bytes, &mut self.pos);
        let len = read_len(bytes, &mut self.pos);
        let value = &self.text[self.pos..self.pos + len];
        self.pos += len;
        Some((&self.keys.names[key], value))
    }
}
/// The one-byte lengths: below this, a length is its own byte (as on the wire).
const LONG: usize = 0x7F;

/// `n` in the length form of [`Attributes::packed`], written into `buf`: every byte is
/// below 0x80.
fn len_form(mut n: usize, buf: &mut [u8; 12]) -> &[u8] {
    if n < LONG {
        // Below 0x7F: lossless.
        buf[0] = n as u8;
        return &buf[..1];
    }
    buf[0] = LONG as u8;
    let mut size = 1;
    loop {
        // Both casts keep 6 bits: lossless.
        let group = (n & 0x3F) as u8;
        n >>= 6;
        if n == 0 {
            buf[size] = group;
            return &buf[..=size];
        }
        buf[size] = group | 0x40;
        size += 1;
    }
}

/// Appends `n` in the length form of [`Attributes::packed`].
fn push_len(out: &mut String, n: usize) {
    let mut buf = [0; 12];
    out.push_str(std::str::from_utf8(len_form(n, &mut buf)).expect("below 0x80: ASCII"));
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

/// Appends the pair `key`, `value` to packed words (see [`Attributes::packed`]).
fn push_pair(packed: &mut String, key: &str, value: &str) {
    if key.contains('=') {
        let key_len = len_size(key.len());
        push_len(packed, 1 + key_len + key.len() + value.len());
        packed.push(KEY_WITH_EQUALS);
        push_len(packed, key.len());
        packed.push_str(key);
    } else {
        push_len(packed, key.len() + value.len() + 2);
        packed.push('=');
        packed.push_str(key);
        packed.push('=');
    }
    packed.push_str(value);
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

    /// The row whose pairs are `chunk[range]` (in the chunk's form), `len` of them: rows that
    /// arrived in one read share one chunk, so that building them costs one allocation per
    /// read, not one per row. Such a row keeps its whole chunk alive (up to a read, 256 KiB)
    /// while it lives; a change, or [`detach`](Self::detach), gives it a string of its own.
    pub(crate) fn shared(chunk: &Arc<Chunk>, range: std::ops::Range<u32>, len: usize) -> Self {
        Self {
            packed: Packed::Shared {
                chunk: Arc::clone(chunk),
                start: range.start,
                end: range.end,
            },
            len,
        }
    }

    /// Gives a row that shares the buffer of the read it arrived in a string of its own, so
    /// that keeping it does not keep that buffer.
    pub fn detach(&mut self) {
        self.own();
    }

    /// The packed words, made the row's own first if it shared its read's buffer.
    fn own(&mut self) -> &mut String {
        if let Packed::Shared { .. } = self.packed {
            let mut own = String::with_capacity(
                self.iter()
                    .map(|(k, v)| len_size(k.len() + v.len() + 2) + k.len() + v.len() + 2)
                    .sum(),
            );
            for (k, v) in self.iter() {
                push_pair(&mut own, k, v);
            }
            self.packed = Packed::Own(own);
        }
        match &mut self.packed {
            Packed::Own(s) => s,
            Packed::Shared { .. } => unreachable!("made its own above"),
        }
    }

    /// The value of the first attribute named `key`.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&str> {
        match &self.packed {
            Packed::Own(packed) => Words { packed, pos: 0 }.find_map(|word| value_of(word, key)),
            Packed::Shared { chunk, start, end } => {
                match chunk.pairs(*start as usize..*end as usize) {
                    PairsOf::Words(words) => words.clone().find_map(|word| value_of(word, key)),
                    numbered @ PairsOf::Numbered(_) => Pairs {
                        pairs: numbered,
                        remaining: self.len,
                    }
                    .find_map(|(k, v)| (k == key).then_some(v)),
                }
            }
        }
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
        push_pair(self.own(), key, value);
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
        let pairs = match &self.packed {
            Packed::Own(packed) => PairsOf::Words(Words { packed, pos: 0 }),
            Packed::Shared { chunk, start, end } => chunk.pairs(*start as usize..*end as usize),
        };
        Pairs {
            pairs,
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

    /// A row from a chunk's pairs (see [`Chunk::text`]) whose values turned out not to be all
    /// UTF-8: invalid sequences are replaced.
    pub(crate) fn from_numbered_bytes(bytes: &[u8], keys: &KeyTable) -> Self {
        let mut row = Self::new();
        let mut pos = 0;
        while pos < bytes.len() {
            let key = read_len(bytes, &mut pos);
            let len = read_len(bytes, &mut pos);
            row.push_str(&keys.names[key], &text(&bytes[pos..pos + len]));
            pos += len;
        }
        row
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
    pairs: PairsOf<'a>,
    remaining: usize,
}

/// The pairs of either form of [`Attributes::packed`].
#[derive(Debug, Clone)]
enum PairsOf<'a> {
    Words(Words<'a>),
    Numbered(Numbered<'a>),
}

impl<'a> Iterator for Pairs<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        let pair = match &mut self.pairs {
            PairsOf::Words(words) => split_word(words.next()?),
            PairsOf::Numbered(numbered) => numbered.next()?,
        };
        self.remaining -= 1;
        Some(pair)
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
impl Attributes {
    /// The length of the packed words of a row built on its own.
    fn own_len(&self) -> usize {
        match &self.packed {
            Packed::Own(s) => s.len(),
            Packed::Shared { .. } => panic!("a shared row"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pool_serves_the_closest_fit_and_frees_what_is_too_small() {
        let pool = Arc::new(ChunkPool::default());
        for capacity in [1_000, 4_000, 100_000] {
            drop(Chunk::new(String::with_capacity(capacity), None, &pool));
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
            assert_eq!(fast.heap_size(), fast.own_len(), "exactly its size");
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
                prop_assert_eq!(row.heap_size(), row.own_len());
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
