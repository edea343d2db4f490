//! [`Command`]: a request sentence as a client builds it.

use std::fmt;

use super::{QueryWord, split_pair};
use crate::codec::Sentence;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
