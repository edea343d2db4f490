//! A request sentence as the server sees it.
//!
//! `routeros-api` frames the bytes; the words get their meaning here, on the server's terms:
//! the first word is the command, `=key=value` are attributes (`=.proplist=` is the property
//! list), `.tag=` tags every reply, `?...` are query words kept verbatim for [`crate::query`].

/// A parsed request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Request {
    pub(crate) command: String,
    pub(crate) attrs: Vec<(String, String)>,
    pub(crate) tag: Option<String>,
    pub(crate) proplist: Option<Vec<String>>,
    pub(crate) queries: Vec<String>,
}

impl Request {
    /// Parses the words of a sentence; `None` for an empty sentence.
    pub(crate) fn parse(words: &[Vec<u8>]) -> Option<Self> {
        let (first, rest) = words.split_first()?;
        let mut req = Self {
            command: String::from_utf8_lossy(first).into_owned(),
            ..Self::default()
        };
        for word in rest {
            let text = String::from_utf8_lossy(word);
            if let Some(pair) = text.strip_prefix('=') {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                if key == ".proplist" {
                    req.proplist = Some(split_list(value));
                } else {
                    req.attrs.push((key.to_owned(), value.to_owned()));
                }
            } else if let Some(pair) = text.strip_prefix('.') {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                match key {
                    // An empty tag is no tag.
                    "tag" => req.tag = (!value.is_empty()).then(|| value.to_owned()),
                    "proplist" => req.proplist = Some(split_list(value)),
                    _ => {}
                }
            } else if text.starts_with('?') {
                req.queries.push(text.into_owned());
            }
            // Words of no known kind are ignored, as RouterOS does.
        }
        Some(req)
    }

    /// The value of an attribute.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Whether an attribute is present (with any value, as for `=once=`).
    pub(crate) fn has(&self, key: &str) -> bool {
        self.attrs.iter().any(|(k, _)| k == key)
    }

    pub(crate) fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The words for the request log, with secrets redacted.
    pub(crate) fn logged_words(&self) -> Vec<String> {
        let mut words: Vec<String> = self
            .attrs
            .iter()
            .map(|(k, v)| {
                if matches!(k.as_str(), "password" | "response") {
                    format!("={k}=***")
                } else {
                    format!("={k}={v}")
                }
            })
            .collect();
        if let Some(list) = &self.proplist {
            words.push(format!("=.proplist={}", list.join(",")));
        }
        words.extend(self.queries.iter().cloned());
        if let Some(tag) = &self.tag {
            words.push(format!(".tag={tag}"));
        }
        words
    }
}

fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(words: &[&str]) -> Request {
        let words: Vec<Vec<u8>> = words.iter().map(|w| w.as_bytes().to_vec()).collect();
        Request::parse(&words).unwrap()
    }

    #[test]
    fn words_are_classified() {
        let req = parse(&[
            "/ppp/secret/print",
            "=.proplist=name,profile",
            "?name=a=b",
            "?#|",
            ".tag=7",
            "=numbers=*1,*2",
            "=once",
            "junk",
        ]);
        assert_eq!(req.command, "/ppp/secret/print");
        assert_eq!(
            req.proplist,
            Some(vec!["name".to_owned(), "profile".to_owned()])
        );
        assert_eq!(req.queries, ["?name=a=b", "?#|"]);
        assert_eq!(req.tag(), Some("7"));
        assert_eq!(req.get("numbers"), Some("*1,*2"));
        assert!(req.has("once"));
        assert_eq!(req.get("once"), Some(""));
        assert_eq!(
            parse(&["/x", ".proplist=.id"]).proplist,
            Some(vec![".id".to_owned()])
        );
        assert_eq!(parse(&["/x", ".tag="]).tag, None);
        assert!(Request::parse(&[]).is_none());
    }

    #[test]
    fn logs_hide_passwords() {
        let req = parse(&["/login", "=name=admin", "=password=s3cret", ".tag=1"]);
        assert_eq!(
            req.logged_words(),
            ["=name=admin", "=password=***", ".tag=1"]
        );
    }
}
