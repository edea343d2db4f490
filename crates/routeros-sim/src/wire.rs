//! Reply sentences of one connection, encoded by routeros-api ([`Reply::encode`],
//! [`ReplyWriter`]) straight into a byte buffer, so that a print of many items costs no
//! per-word allocation and the wire format is routeros-api's alone. What is the simulator's
//! own: where each sentence ends (for faults that cut a connection after a number of
//! sentences), and which properties of a row `.proplist` lets through.

use routeros_api::proto::{Reply, ReplyKind, ReplyWriter};
use routeros_api::value;

/// Encoded reply sentences, with the offset where each one ends.
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

    /// One whole reply.
    pub(crate) fn reply(&mut self, reply: &Reply) {
        reply.encode(&mut self.buf);
        self.ends.push(self.buf.len());
    }

    /// `!trap` then `!done`: how every failed command ends.
    pub(crate) fn fail(&mut self, category: Option<u32>, message: &str, tag: Option<&str>) {
        self.reply(&Reply::trap(category, message).with_tag(tag));
        self.reply(&Reply::done().with_tag(tag));
    }
}

/// One `!re` sentence under construction, honouring `.proplist`.
#[derive(Debug)]
pub(crate) struct Row<'a> {
    writer: ReplyWriter<'a>,
    ends: &'a mut Vec<usize>,
    proplist: Option<&'a [String]>,
}

impl<'a> Row<'a> {
    /// Starts a `!re` sentence.
    pub(crate) fn start(out: &'a mut Out, proplist: Option<&'a [String]>) -> Self {
        Self {
            writer: ReplyWriter::start(&mut out.buf, ReplyKind::Re),
            ends: &mut out.ends,
            proplist,
        }
    }

    /// Whether `.proplist` asks for `key` (always, without a `.proplist`).
    pub(crate) fn wants(&self, key: &str) -> bool {
        self.proplist
            .is_none_or(|list| list.iter().any(|k| k == key))
    }

    /// A property.
    pub(crate) fn attr(&mut self, key: &str, value: &str) {
        if self.wants(key) {
            self.writer.attr(key, value);
        }
    }

    /// A property whose value is formatted only if it is wanted.
    pub(crate) fn attr_with(&mut self, key: &str, value: impl FnOnce() -> String) {
        if self.wants(key) {
            self.writer.attr(key, &value());
        }
    }

    /// A boolean property, printed as RouterOS prints it over the API.
    pub(crate) fn flag(&mut self, key: &str, value: bool) {
        self.attr(key, value::format_bool(value));
    }

    /// Ends the sentence.
    pub(crate) fn end(self, tag: Option<&str>) {
        let buf = self.writer.finish(tag);
        self.ends.push(buf.len());
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
    fn rows_honour_the_proplist_and_sentence_ends_are_counted() {
        let mut out = Out::default();
        let props = vec!["name".to_owned()];
        let mut row = Row::start(&mut out, Some(&props));
        row.attr("name", "john123");
        row.attr("password", "hidden by proplist");
        row.flag("disabled", true);
        row.end(Some("7"));
        out.fail(Some(1), "input does not match any value of profile", None);
        out.reply(&Reply::fatal("session terminated on request"));
        assert_eq!(out.ends.len(), 4);
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
            ]
        );
    }
}
