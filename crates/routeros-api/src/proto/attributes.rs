//! [`Attributes`]: the `=key=value` pairs of one sentence, packed in one string.

use std::fmt;

use super::{split_pair, text};

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

#[cfg(test)]
mod tests {
    use super::*;

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
                let reply = Reply::parse(&Sentence::new(all)).unwrap();
                let row = Attributes::from_words(words.iter().map(Vec::as_slice));
                prop_assert_eq!(&row, &reply.attributes);
                prop_assert_eq!(row.heap_size(), row.packed.len());
            }
        }
    }
}
