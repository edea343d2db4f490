//! Typed view of sentences, for both sides of the connection (sans-IO).
//!
//! * A client builds a [`Command`] and parses what comes back with [`Reply::parse`].
//! * A server parses what comes in with [`Request::parse`], filters items with
//!   [`Request::matches`] (the query evaluator, [`matches()`]) and answers with [`Reply`]
//!   values ([`Reply::encode`]) or rows written straight into its buffer ([`ReplyWriter`]).
//! * Both sides of the legacy login compute [`legacy_login_response`].
//!
//! | module        | concern                                                       |
//! |---------------|---------------------------------------------------------------|
//! | `attributes`  | [`Attributes`]: the `=key=value` pairs of a sentence           |
//! | `command`     | [`Command`]: a request as a client builds it                   |
//! | `request`     | [`Request`]: a request as a server reads it                    |
//! | `query`       | [`QueryWord`] (builder and parser) and [`matches()`] (evaluator, one comparison rule) |
//! | `reply`       | [`Reply`], [`ReplyKind`], [`ReplyWriter`], [`trap_category`]   |
//! | `login`       | [`legacy_login_response`] (MD5 challenge before RouterOS 6.43) |
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

pub(crate) mod attributes;
mod command;
mod login;
mod query;
mod reply;
mod request;

pub use attributes::{Attributes, Pairs};
pub use command::Command;
pub use login::legacy_login_response;
pub use query::{QueryError, QueryOp, QueryWord, matches};
pub use reply::{Reply, ReplyKind, ReplyWriter, trap_category};
pub use request::Request;

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
