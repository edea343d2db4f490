//! Query words: the builder ([`QueryWord`]) and the evaluator ([`matches()`]).

use std::fmt;

/// One operation of a `?#` query word; they act on the stack of query results.
///
/// Indices count from the top of the stack: 0 is the value pushed last. The stack never runs
/// out: below the values pushed lies an endless supply of `true` (see [`matches()`]).
///
/// On the wire, a run of digits is an index. What it does depends on what follows it in the
/// word: another character (a `.` included, which then does nothing) makes it push a copy,
/// the end of the word makes it replace the whole stack. [`Index`](Self::Index) and
/// [`Replace`](Self::Replace) are the two readings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueryOp {
    /// `N` followed by another character (written `N.`): push a copy of the value at index
    /// `N`, counted from the top of the stack (0 is the top).
    Index(usize),
    /// `N` at the end of the word: replace all values on the stack, the endless supply
    /// below them included, with the value at index `N` (counted from the top).
    ///
    /// Only the last operation of a word can be written this way. Anywhere else it is sent,
    /// and therefore evaluated, as [`Index`](Self::Index).
    Replace(usize),
    /// `!`: replace the top value with its negation.
    Not,
    /// `&`: pop two values, push their logical AND.
    And,
    /// `|`: pop two values, push their logical OR.
    Or,
    /// `.` (not right after an index): push a copy of the top value.
    Dup,
}

/// A malformed query word. (Every query word that parses can be evaluated: the stack never
/// underflows and every index is valid, see [`matches()`].)
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum QueryError {
    /// `?<` and `?>` need `key=value`.
    #[error("query {0:?} needs key=value")]
    MissingValue(String),
    /// A query word with no property name.
    #[error("query {0:?} has no property name")]
    MissingKey(String),
    /// An unknown character in a `?#` operation string.
    #[error("unknown query operation {op:?} in {word:?}")]
    UnknownOperation {
        /// The offending character.
        op: char,
        /// The whole word.
        word: String,
    },
}

/// One query word of a `print` (or `listen`) command.
///
/// Query words form a small stack program: each property test pushes `true` or `false`,
/// `?#` operations combine the values, and an item matches unless a `false` is left on the
/// stack (no query matches everything). See [`matches()`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum QueryWord {
    /// `?key=value`: the property equals `value`.
    Eq {
        /// Property name.
        key: String,
        /// Expected value.
        value: String,
    },
    /// `?key`: the item has the property.
    Has(String),
    /// `?-key`: the item does not have the property.
    HasNot(String),
    /// `?<key=value`: the property is less than `value`.
    Lt {
        /// Property name.
        key: String,
        /// Bound.
        value: String,
    },
    /// `?>key=value`: the property is greater than `value`.
    Gt {
        /// Property name.
        key: String,
        /// Bound.
        value: String,
    },
    /// `?#ops`: stack operations.
    Ops(Vec<QueryOp>),
}

impl QueryWord {
    /// `?key=value`.
    #[must_use]
    pub fn eq(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self::Eq {
            key: key.into(),
            value: value.into(),
        }
    }

    /// `?key`.
    #[must_use]
    pub fn has(key: impl Into<String>) -> Self {
        Self::Has(key.into())
    }

    /// `?-key`.
    #[must_use]
    pub fn has_not(key: impl Into<String>) -> Self {
        Self::HasNot(key.into())
    }

    /// `?<key=value`.
    #[must_use]
    pub fn lt(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self::Lt {
            key: key.into(),
            value: value.into(),
        }
    }

    /// `?>key=value`.
    #[must_use]
    pub fn gt(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self::Gt {
            key: key.into(),
            value: value.into(),
        }
    }

    /// `?#|`: OR of the two top values.
    #[must_use]
    pub fn or() -> Self {
        Self::Ops(vec![QueryOp::Or])
    }

    /// `?#&`: AND of the two top values.
    #[must_use]
    pub fn and() -> Self {
        Self::Ops(vec![QueryOp::And])
    }

    /// `?#!`: negation of the top value.
    #[must_use]
    pub fn not() -> Self {
        Self::Ops(vec![QueryOp::Not])
    }

    /// `?#` followed by the given operations. A [`QueryOp::Replace`] acts as such only as
    /// the last operation.
    #[must_use]
    pub fn ops(ops: &[QueryOp]) -> Self {
        Self::Ops(ops.to_vec())
    }

    /// Parses a query word (with its leading `?`). Both `?key=value` and `?=key=value`
    /// (as sent by some client libraries) are equality tests.
    ///
    /// # Errors
    ///
    /// A [`QueryError`] for an unknown `?#` operation or a missing key or value.
    pub fn parse(word: &str) -> Result<Self, QueryError> {
        let body = word.strip_prefix('?').unwrap_or(word);
        let key_value = |rest: &str| -> Result<(String, String), QueryError> {
            let (k, v) = rest
                .split_once('=')
                .ok_or_else(|| QueryError::MissingValue(word.to_owned()))?;
            if k.is_empty() {
                return Err(QueryError::MissingKey(word.to_owned()));
            }
            Ok((k.to_owned(), v.to_owned()))
        };
        let key = |rest: &str| -> Result<String, QueryError> {
            if rest.is_empty() {
                Err(QueryError::MissingKey(word.to_owned()))
            } else {
                Ok(rest.to_owned())
            }
        };
        Ok(match body.as_bytes().first() {
            Some(b'#') => Self::Ops(parse_ops(&body[1..], word)?),
            Some(b'-') => Self::HasNot(key(&body[1..])?),
            Some(b'<') => {
                let (key, value) = key_value(&body[1..])?;
                Self::Lt { key, value }
            }
            Some(b'>') => {
                let (key, value) = key_value(&body[1..])?;
                Self::Gt { key, value }
            }
            Some(b'=') => {
                let (key, value) = key_value(&body[1..])?;
                Self::Eq { key, value }
            }
            _ => match body.split_once('=') {
                Some(_) => {
                    let (key, value) = key_value(body)?;
                    Self::Eq { key, value }
                }
                None => Self::Has(key(body)?),
            },
        })
    }
}

fn parse_ops(ops: &str, word: &str) -> Result<Vec<QueryOp>, QueryError> {
    let mut out = Vec::new();
    let mut chars = ops.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '0'..='9' => {
                let mut n: usize = c as usize - '0' as usize;
                while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                    n = n.saturating_mul(10).saturating_add(d as usize);
                    chars.next();
                }
                match chars.peek() {
                    // "An index that is followed by the end of the word replaces all values
                    // with the value at that index."
                    None => out.push(QueryOp::Replace(n)),
                    // "`.` after an index does nothing."
                    Some('.') => {
                        chars.next();
                        out.push(QueryOp::Index(n));
                    }
                    // "An index that is followed by a character pushes a copy of the value
                    // at that index."
                    Some(_) => out.push(QueryOp::Index(n)),
                }
            }
            '!' => out.push(QueryOp::Not),
            '&' => out.push(QueryOp::And),
            '|' => out.push(QueryOp::Or),
            '.' => out.push(QueryOp::Dup),
            op => {
                return Err(QueryError::UnknownOperation {
                    op,
                    word: word.to_owned(),
                });
            }
        }
    }
    Ok(out)
}

impl fmt::Display for QueryWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Eq { key, value } => write!(f, "?{key}={value}"),
            Self::Has(key) => write!(f, "?{key}"),
            Self::HasNot(key) => write!(f, "?-{key}"),
            Self::Lt { key, value } => write!(f, "?<{key}={value}"),
            Self::Gt { key, value } => write!(f, "?>{key}={value}"),
            Self::Ops(ops) => {
                f.write_str("?#")?;
                let last = ops.len().saturating_sub(1);
                for (i, op) in ops.iter().enumerate() {
                    match op {
                        // Bare digits at the end of the word: replace.
                        QueryOp::Replace(n) if i == last => write!(f, "{n}")?,
                        // Terminated by '.' (which does nothing after an index), so that the
                        // digits of consecutive indices and a following Dup stay apart, and
                        // so that an index at the end of the word still pushes.
                        QueryOp::Index(n) | QueryOp::Replace(n) => write!(f, "{n}.")?,
                        QueryOp::Not => f.write_str("!")?,
                        QueryOp::And => f.write_str("&")?,
                        QueryOp::Or => f.write_str("|")?,
                        QueryOp::Dup => f.write_str(".")?,
                    }
                }
                Ok(())
            }
        }
    }
}

/// The one comparison rule of query words, shared by a client's expectations and a server's
/// evaluation (the `routeros-sim` crate):
///
/// * `?key=value` is true when the property's value, as the API prints it, is the same text.
///   No meaning is read into it: `?disabled=yes` finds nothing, since the API prints booleans
///   as `true` and `false`; `?.id=*1a` is not `*1A`.
/// * `?<key=value` and `?>key=value` compare as integers when both sides are integers (so
///   `9 < 10`), else as text (so `?>comment=` is "the comment is not empty").
///
/// See [`matches()`] for where this comes from.
fn equal(actual: &str, expected: &str) -> bool {
    actual == expected
}

/// The ordering of [`equal`]'s rule: integers by value, anything else as text.
fn compare(actual: &str, bound: &str) -> std::cmp::Ordering {
    match (actual.parse::<i128>(), bound.parse::<i128>()) {
        (Ok(a), Ok(b)) => a.cmp(&b),
        _ => actual.cmp(bound),
    }
}

/// Evaluates query words against one item, whose properties `lookup` returns.
///
/// The rules of the RouterOS API documentation ("Queries"):
///
/// * The stack initially holds an endless supply of `true` values, so no operation ever
///   runs out of operands and every index names a value.
/// * Property tests push `true` or `false`; `?#` operations combine values, left to right:
///   `!` negates the top value, `&` and `|` pop two values and push their AND / OR, `.`
///   pushes a copy of the top value, an index `N` (0 is the top) pushes a copy of the value
///   at `N`, and an index that ends the word replaces every value, the endless supply
///   included, with the value at `N`.
/// * The item matches unless the stack holds a `false` at the end, i.e. all values on the
///   stack are ANDed together. No query matches everything.
///
/// The documentation says that `?name=x` "pushes 'true' if property name has value equal to
/// x" and `?<name=x` "if property name has value less than x": values as the API gives them,
/// text. Equality is therefore exact text; a boolean is found by `?disabled=true`, not
/// `?disabled=yes` (the API prints `true`/`false`, and a query for `yes` finds nothing on a
/// real router: pear2/Net_RouterOS issue 21). `<` and `>` compare integers as integers, so
/// that the documentation's `?>distance=1` means a distance above one, and other values as
/// text, so that its `?>comment=` means a non-empty comment.
///
/// ```
/// use routeros_api::proto::{QueryWord, matches};
///
/// // /interface/print ?type=ether ?type=vlan ?#| : ethernet and VLAN interfaces.
/// let query: Vec<QueryWord> = ["?type=ether", "?type=vlan", "?#|"]
///     .iter()
///     .map(|w| QueryWord::parse(w).unwrap())
///     .collect();
/// let is = |ty: &'static str| matches(&query, move |k| (k == "type").then_some(ty));
/// assert!(is("ether") && is("vlan") && !is("bridge"));
/// ```
///
/// `lookup` gives a property's value as the API prints it, borrowed (`&str`) or formatted on
/// demand (`String`, `Cow<str>`), and `None` if the item has no such property.
pub fn matches<V: AsRef<str>>(queries: &[QueryWord], lookup: impl Fn(&str) -> Option<V>) -> bool {
    let mut stack = QueryStack::default();
    for query in queries {
        match query {
            QueryWord::Eq { key, value } => {
                stack.push(lookup(key).is_some_and(|a| equal(a.as_ref(), value)));
            }
            QueryWord::Has(key) => stack.push(lookup(key).is_some()),
            QueryWord::HasNot(key) => stack.push(lookup(key).is_none()),
            QueryWord::Lt { key, value } => {
                stack.push(lookup(key).is_some_and(|a| compare(a.as_ref(), value).is_lt()));
            }
            QueryWord::Gt { key, value } => {
                stack.push(lookup(key).is_some_and(|a| compare(a.as_ref(), value).is_gt()));
            }
            QueryWord::Ops(ops) => {
                let last = ops.len().saturating_sub(1);
                for (i, op) in ops.iter().enumerate() {
                    match *op {
                        QueryOp::Replace(n) if i == last => stack.replace_all(n),
                        // A Replace that does not end the word is written, and read back,
                        // as an index that pushes.
                        QueryOp::Index(n) | QueryOp::Replace(n) => stack.push(stack.at(n)),
                        QueryOp::Not => {
                            let top = stack.pop();
                            stack.push(!top);
                        }
                        QueryOp::And => {
                            let (b, a) = (stack.pop(), stack.pop());
                            stack.push(a && b);
                        }
                        QueryOp::Or => {
                            let (b, a) = (stack.pop(), stack.pop());
                            stack.push(a || b);
                        }
                        QueryOp::Dup => stack.push(stack.at(0)),
                    }
                }
            }
        }
    }
    stack.result()
}

/// The query stack: the values pushed, on top of an endless supply of `floor` (initially
/// `true`; an index that ends a `?#` word replaces it).
#[derive(Debug)]
struct QueryStack {
    values: Vec<bool>,
    floor: bool,
}

impl Default for QueryStack {
    fn default() -> Self {
        Self {
            values: Vec::new(),
            floor: true,
        }
    }
}

impl QueryStack {
    fn push(&mut self, value: bool) {
        self.values.push(value);
    }

    fn pop(&mut self) -> bool {
        self.values.pop().unwrap_or(self.floor)
    }

    /// The value at `index`, counted from the top (0 is the top).
    fn at(&self, index: usize) -> bool {
        index
            .checked_add(1)
            .and_then(|depth| self.values.len().checked_sub(depth))
            .map_or(self.floor, |i| self.values[i])
    }

    /// Replaces every value, the endless supply included, with the value at `index`.
    fn replace_all(&mut self, index: usize) {
        self.floor = self.at(index);
        self.values.clear();
    }

    /// All values ANDed together.
    fn result(&self) -> bool {
        self.floor && self.values.iter().all(|v| *v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_words() {
        let check = |word: &str, expect: &str| {
            let got = match QueryWord::parse(word) {
                Ok(q) => format!("{q:?} -> {q}"),
                Err(e) => format!("error: {e}"),
            };
            assert_eq!(got, expect, "{word}");
        };
        check("?name=x", r#"Eq { key: "name", value: "x" } -> ?name=x"#);
        check(
            "?=name=x=y",
            r#"Eq { key: "name", value: "x=y" } -> ?name=x=y"#,
        );
        check("?name=", r#"Eq { key: "name", value: "" } -> ?name="#);
        check("?name", r#"Has("name") -> ?name"#);
        check("?-name", r#"HasNot("name") -> ?-name"#);
        check("?<rx=10", r#"Lt { key: "rx", value: "10" } -> ?<rx=10"#);
        check("?>rx=10", r#"Gt { key: "rx", value: "10" } -> ?>rx=10"#);
        check("?#|", "Ops([Or]) -> ?#|");
        check("?#&!", "Ops([And, Not]) -> ?#&!");
        check("?#0.1.|", "Ops([Index(0), Index(1), Or]) -> ?#0.1.|");
        check("?#12|.", "Ops([Index(12), Or, Dup]) -> ?#12.|.");
        check("?#0..", "Ops([Index(0), Dup]) -> ?#0..");
        // An index that ends the word replaces the stack; with a '.' after it, it pushes.
        check("?#0", "Ops([Replace(0)]) -> ?#0");
        check("?#0.", "Ops([Index(0)]) -> ?#0.");
        check("?#1&3", "Ops([Index(1), And, Replace(3)]) -> ?#1.&3");
        check("?#10", "Ops([Replace(10)]) -> ?#10");
        check("?#!2", "Ops([Not, Replace(2)]) -> ?#!2");
        check(
            "?#99999999999999999999999",
            &format!("Ops([Replace({m})]) -> ?#{m}", m = usize::MAX),
        );
        check("?#x", r#"error: unknown query operation 'x' in "?#x""#);
        check("?>rx", r#"error: query "?>rx" needs key=value"#);
        check("?", r#"error: query "?" has no property name"#);
        check("?-", r#"error: query "?-" has no property name"#);
        check("?=x", r#"error: query "?=x" needs key=value"#);
        check("?==x", r#"error: query "?==x" has no property name"#);
    }

    /// Evaluates query words against an item given as `key=value` pairs.
    fn eval(words: &[&str], item: &[(&str, &str)]) -> bool {
        let queries: Vec<QueryWord> = words
            .iter()
            .map(|w| QueryWord::parse(w).unwrap_or_else(|e| panic!("{w}: {e}")))
            .collect();
        let lookup = |k: &str| item.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
        let got = matches(&queries, lookup);
        // The words as a Command sends them mean the same.
        let sent: Vec<QueryWord> = queries
            .iter()
            .map(|q| QueryWord::parse(&q.to_string()).unwrap())
            .collect();
        assert_eq!(matches(&sent, lookup), got, "{words:?} sent as {sent:?}");
        got
    }

    #[test]
    fn query_evaluation() {
        let item = [("name", "john123"), ("profile", "VIP"), ("rx", "250")];
        let check = |words: &[&str], expect: bool| {
            assert_eq!(eval(words, &item), expect, "{words:?}");
        };
        check(&[], true);
        check(&["?name=john123"], true);
        check(&["?=name=john123"], true);
        check(&["?name=jane"], false);
        check(&["?name"], true);
        check(&["?comment"], false);
        check(&["?-comment"], true);
        check(&["?-name"], false);
        check(&["?>rx=99"], true);
        check(&["?<rx=99"], false);
        check(&["?<name=k"], true);
        check(&["?<comment=k"], false);
        check(&["?profile=Basic", "?profile=VIP", "?#|"], true);
        check(&["?profile=Basic", "?profile=VIP", "?#&"], false);
        check(&["?profile=Basic", "?profile=VIP", "?#|!"], false);
        // Without operations, every value must be true.
        check(&["?profile=Basic", "?profile=VIP"], false);
        check(&["?profile=VIP", "?name"], true);
        check(&["?profile=VIP", "?#!"], false);
        check(&["?profile=Basic", "?#!.&"], true);
    }

    /// The rules of the RouterOS API documentation ("Queries"), one case each. Stack values
    /// are given as `?t` (pushes true) and `?f` (pushes false).
    #[test]
    fn query_stack_rules() {
        let item = [("t", "")];
        let check = |words: &str, expect: bool| {
            let words: Vec<&str> = words.split(' ').filter(|w| !w.is_empty()).collect();
            assert_eq!(eval(&words, &item), expect, "{words:?}");
        };
        // "Initially, the stack contains an infinite amount of 'true' values": no operation
        // underflows, every index is valid.
        check("?#|", true);
        check("?#&", true);
        check("?#.", true);
        check("?#!", false);
        check("?#!!", true);
        check("?#5", true);
        check("?#5.", true);
        check("?#5!", false);
        check("?f ?#|", true);
        check("?f ?#&", false);
        check("?t ?#&&&", true);
        // "If the stack contains at least one 'false' value, the query fails."
        check("?t ?t ?t", true);
        check("?t ?f ?t", false);
        // "Top value has index 0"; "an index that is followed by a character pushes a copy
        // of the value at that index"; "`.` after an index does nothing".
        check("?f ?t ?#0.|", false);
        check("?f ?t ?#1.!&", false);
        check("?t ?f ?#1.!|", false);
        check("?f ?t ?#0!", false);
        check("?f ?t ?#1!", false);
        check("?t ?f ?#2.&", false);
        // Index 1 is the false one below the top: pushing and negating it, ANDing with the
        // top and negating leaves [f, f].
        check("?f ?t ?#1.!&!", false);
        // "An index that is followed by the end of the word replaces all values with the
        // value at that index."
        check("?t ?f ?#1", true);
        check("?f ?t ?#0", true);
        check("?f ?t ?#1", false);
        check("?t ?f ?#0", false);
        check("?f ?f ?#2", true);
        check("?f ?t ?t ?#!|0", true);
        // ... the endless supply included: after a replacement with false, nothing is true.
        check("?f ?#0 ?#!", false);
        check("?f ?#0 ?t ?#1", false);
        check("?f ?#0 ?t ?#0", true);
        check("?t ?#0 ?#!5", true);
        // "`.` after another character pushes a copy of the top value."
        check("?f ?#!.&", true);
        check("?t ?#!.|", false);
        check("?f ?#0..!&", false);
        // "`!` replaces the top value with the opposite"; "&" and "|" pop two and push one.
        check("?t ?f ?#!", true);
        check("?f ?f ?#|!", true);
        check("?t ?t ?#&!", false);
    }

    /// The query examples of the RouterOS API documentation.
    #[test]
    fn query_documentation_examples() {
        let check = |words: &[&str], item: &[(&str, &str)], expect: bool| {
            assert_eq!(eval(words, item), expect, "{words:?} on {item:?}");
        };
        // "Get all ethernet and VLAN interfaces": /interface/print ?type=ether ?type=vlan ?#|
        let ether_or_vlan = ["?type=ether", "?type=vlan", "?#|"];
        check(
            &ether_or_vlan,
            &[("name", "ether1"), ("type", "ether")],
            true,
        );
        check(
            &ether_or_vlan,
            &[("name", "vlan10"), ("type", "vlan")],
            true,
        );
        check(
            &ether_or_vlan,
            &[("name", "bridge"), ("type", "bridge")],
            false,
        );
        check(&ether_or_vlan, &[("name", "lo")], false);
        // The sentence example: ?type=ether ?type=vlan ?#|! (neither ethernet nor VLAN).
        let neither = ["?type=ether", "?type=vlan", "?#|!"];
        check(&neither, &[("type", "ether")], false);
        check(&neither, &[("type", "vlan")], false);
        check(&neither, &[("type", "bridge")], true);
        // "Get all routes that have a non-empty comment": /ip/route/print ?>comment=
        let commented = ["?>comment="];
        check(&commented, &[("comment", "uplink")], true);
        check(&commented, &[("comment", "")], false);
        check(&commented, &[("dst-address", "0.0.0.0/0")], false);
        // "Get all routes that do not have distance greater than 1 and gateway equal to
        // 172.16.1.1": ?>distance=1 ?gateway=172.16.1.1 ?#&!
        let not_both = ["?>distance=1", "?gateway=172.16.1.1", "?#&!"];
        check(
            &not_both,
            &[("distance", "2"), ("gateway", "172.16.1.1")],
            false,
        );
        check(
            &not_both,
            &[("distance", "1"), ("gateway", "172.16.1.1")],
            true,
        );
        check(
            &not_both,
            &[("distance", "5"), ("gateway", "10.0.0.1")],
            true,
        );
        check(&not_both, &[("gateway", "172.16.1.1")], true);
    }

    /// The one comparison rule (see `equal`): what RouterOS does, as its documentation words
    /// it, and what `routeros-sim` evaluates.
    #[test]
    fn one_comparison_rule() {
        let item = [
            (".id", "*1A"),
            ("disabled", "true"),
            ("limit-bytes-in", "100"),
            ("remote-address", "192.168.1.100"),
            ("comment", "John Doe"),
            ("uptime", "1h"),
        ];
        let check = |words: &[&str], expect: bool| {
            assert_eq!(eval(words, &item), expect, "{words:?}");
        };
        // Equality is exact text: no booleans by meaning, no ids by number.
        check(&["?disabled=true"], true);
        check(&["?disabled=yes"], false);
        check(&["?disabled=false"], false);
        check(&["?-disabled"], false);
        check(&["?.id=*1A"], true);
        check(&["?.id=*1a"], false);
        check(&["?comment=John Doe"], true);
        check(&["?comment=john doe"], false);
        check(&["?missing="], false);
        // Order: integers by value...
        check(&["?>limit-bytes-in=99"], true);
        check(&["?>limit-bytes-in=100"], false);
        check(&["?<limit-bytes-in=1000"], true); // "100" < "1000" as text too
        check(&["?<limit-bytes-in=20"], false); // but not "100" < "20" as text
        check(&["?>limit-bytes-in=-1"], true);
        // ... everything else as text.
        check(&["?>comment="], true);
        check(&["?<comment=K"], true);
        check(&["?>remote-address=192.168.1.99"], false); // "100" < "99" as text
        check(&["?>uptime=59m"], false); // text: "1h" < "59m"
        check(&["?>missing="], false);
        check(&["?<missing=z"], false);
    }

    #[test]
    fn replace_only_ends_a_word() {
        // Built by hand with a Replace in the middle: sent as a push, evaluated as one.
        let word = QueryWord::ops(&[QueryOp::Replace(1), QueryOp::And]);
        assert_eq!(word.to_string(), "?#1.&");
        let f = QueryWord::has("missing");
        let t = QueryWord::has_not("missing");
        // [t, f] -> push index 1 (t) -> [t, f, t] -> & -> [t, f]: fails.
        let queries = [t.clone(), f.clone(), word];
        assert!(!matches(&queries, |_| None::<&str>));
        // As the last operation it replaces: [t, f] -> all t.
        let queries = [t, f, QueryWord::ops(&[QueryOp::Replace(1)])];
        assert_eq!(queries[2].to_string(), "?#1");
        assert!(matches(&queries, |_| None::<&str>));
    }
}
