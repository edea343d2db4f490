//! [`Request`]: a request sentence as a server sees it.

use super::{Attributes, ProtoError, QueryWord, Reply, lossy, matches, split_pair};
use crate::codec::Sentence;

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
/// assert!(req.matches(|k| (k == "name").then_some("john123")));
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

    /// The `.tag=` of a request sentence, found even if the sentence does not parse, so that
    /// a server can tag the `!trap` that refuses it.
    ///
    /// ```
    /// use routeros_api::codec::Sentence;
    /// use routeros_api::proto::Request;
    /// let sentence: Sentence = ["/ppp/secret/print", "?#x", ".tag=9"].into_iter().collect();
    /// assert!(Request::parse(&sentence).is_err());
    /// assert_eq!(Request::tag_of(&sentence).as_deref(), Some("9"));
    /// ```
    #[must_use]
    pub fn tag_of(sentence: &Sentence) -> Option<String> {
        sentence
            .words()
            .iter()
            .find_map(|word| word.strip_prefix(b".tag="))
            .map(lossy)
    }

    /// Whether attribute `key` is present, with any value (`=once=`, `=follow=`).
    #[must_use]
    pub fn has(&self, key: &str) -> bool {
        self.attributes.contains(key)
    }

    /// The value of attribute `key`.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.attributes.get(key)
    }

    /// Whether an item (whose properties `lookup` returns) passes the request's queries, by
    /// [`matches()`].
    pub fn matches<V: AsRef<str>>(&self, lookup: impl Fn(&str) -> Option<V>) -> bool {
        matches(&self.queries, lookup)
    }

    /// A reply of the given kind carrying this request's tag.
    #[must_use]
    pub fn reply(&self, reply: Reply) -> Reply {
        reply.with_tag(self.tag())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{Command, QueryOp};

    fn sentence(words: &[&str]) -> Sentence {
        words.iter().copied().collect()
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
}
