//! Reply sentences encoded straight into a byte buffer with `routeros-api`'s codec, so that a
//! print of many items costs no per-word allocation and framing cannot drift from the client.

use routeros_api::codec::encode_length;

/// Encoded reply sentences, with the offset where each one ends (for faults that cut a
/// connection after a number of sentences).
#[derive(Debug, Default)]
pub(crate) struct Out {
    pub(crate) buf: Vec<u8>,
    pub(crate) ends: Vec<usize>,
}

impl Out {
    pub(crate) fn with_capacity(bytes: usize) -> Self {
        Self {
            buf: Vec::with_capacity(bytes),
            ends: Vec::new(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    /// One word.
    pub(crate) fn word(&mut self, word: &str) {
        encode_length(word.len(), &mut self.buf);
        self.buf.extend_from_slice(word.as_bytes());
    }

    /// `=key=value`, without building the word in a temporary string.
    pub(crate) fn attr(&mut self, key: &str, value: &str) {
        encode_length(key.len() + value.len() + 2, &mut self.buf);
        self.buf.push(b'=');
        self.buf.extend_from_slice(key.as_bytes());
        self.buf.push(b'=');
        self.buf.extend_from_slice(value.as_bytes());
    }

    /// Ends the current sentence: `.tag=` if tagged, then the empty word.
    pub(crate) fn end(&mut self, tag: Option<&str>) {
        if let Some(tag) = tag {
            encode_length(tag.len() + 5, &mut self.buf);
            self.buf.extend_from_slice(b".tag=");
            self.buf.extend_from_slice(tag.as_bytes());
        }
        self.buf.push(0);
        self.ends.push(self.buf.len());
    }

    /// `!done`.
    pub(crate) fn done(&mut self, tag: Option<&str>) {
        self.word("!done");
        self.end(tag);
    }

    /// `!done =ret=value`.
    pub(crate) fn done_ret(&mut self, ret: &str, tag: Option<&str>) {
        self.word("!done");
        self.attr("ret", ret);
        self.end(tag);
    }

    /// `!empty` (RouterOS 7.18+: a print that found nothing).
    pub(crate) fn empty(&mut self, tag: Option<&str>) {
        self.word("!empty");
        self.end(tag);
    }

    /// `!trap [=category=N] =message=text`.
    pub(crate) fn trap(&mut self, category: Option<u8>, message: &str, tag: Option<&str>) {
        self.word("!trap");
        if let Some(category) = category {
            self.attr("category", &category.to_string());
        }
        self.attr("message", message);
        self.end(tag);
    }

    /// `!trap` then `!done`: how every failed command ends.
    pub(crate) fn fail(&mut self, category: Option<u8>, message: &str, tag: Option<&str>) {
        self.trap(category, message, tag);
        self.done(tag);
    }

    /// `!fatal` with the reason as a bare word, as RouterOS sends it before closing.
    pub(crate) fn fatal(&mut self, message: &str) {
        self.word("!fatal");
        self.word(message);
        self.end(None);
    }
}

/// One `!re` sentence under construction, honouring `.proplist`.
#[derive(Debug)]
pub(crate) struct Row<'a> {
    out: &'a mut Out,
    proplist: Option<&'a [String]>,
}

impl<'a> Row<'a> {
    /// Starts a `!re` sentence.
    pub(crate) fn start(out: &'a mut Out, proplist: Option<&'a [String]>) -> Self {
        out.word("!re");
        Self { out, proplist }
    }

    /// Whether `.proplist` asks for `key` (always, without a `.proplist`).
    pub(crate) fn wants(&self, key: &str) -> bool {
        self.proplist
            .is_none_or(|list| list.iter().any(|k| k == key))
    }

    /// A property.
    pub(crate) fn attr(&mut self, key: &str, value: &str) {
        if self.wants(key) {
            self.out.attr(key, value);
        }
    }

    /// A property whose value is formatted only if it is wanted.
    pub(crate) fn attr_with(&mut self, key: &str, value: impl FnOnce() -> String) {
        if self.wants(key) {
            self.out.attr(key, &value());
        }
    }

    /// A boolean property, printed `true` / `false` as RouterOS 6+ does over the API.
    pub(crate) fn flag(&mut self, key: &str, value: bool) {
        self.attr(key, if value { "true" } else { "false" });
    }

    /// Ends the sentence.
    pub(crate) fn end(self, tag: Option<&str>) {
        self.out.end(tag);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use routeros_api::codec::{Decoder, Limits};

    fn decode(out: &Out) -> Vec<Vec<String>> {
        let mut decoder = Decoder::new(Limits::default());
        decoder.feed(&out.buf);
        let mut sentences = Vec::new();
        while let Some(s) = decoder.next_sentence().unwrap() {
            sentences.push(
                s.words()
                    .iter()
                    .map(|w| String::from_utf8_lossy(w).into_owned())
                    .collect(),
            );
        }
        sentences
    }

    #[test]
    fn sentences_round_trip_through_the_codec() {
        let mut out = Out::default();
        let props = vec!["name".to_owned()];
        let mut row = Row::start(&mut out, Some(&props));
        row.attr("name", "john123");
        row.attr("password", "hidden by proplist");
        row.end(Some("7"));
        out.fail(Some(1), "input does not match any value of profile", None);
        out.fatal("session terminated on request");
        let long = "x".repeat(300);
        out.done_ret(&long, None);
        assert_eq!(out.ends.len(), 5);
        assert_eq!(*out.ends.last().unwrap(), out.len());
        assert_eq!(
            decode(&out),
            vec![
                vec!["!re".to_owned(), "=name=john123".into(), ".tag=7".into()],
                vec![
                    "!trap".into(),
                    "=category=1".into(),
                    "=message=input does not match any value of profile".into()
                ],
                vec!["!done".into()],
                vec!["!fatal".into(), "session terminated on request".into()],
                vec!["!done".into(), format!("=ret={long}")],
            ]
        );
    }
}
