//! Query words of `print`, evaluated as the RouterOS API documentation describes them.
//!
//! Each item is checked on its own with a stack of booleans that initially holds an infinite
//! number of `true` values. Property tests push one value; `?#` operations combine them; the
//! item matches unless a `false` is left anywhere on the stack.
//!
//! | word           | pushes                                                        |
//! |----------------|---------------------------------------------------------------|
//! | `?name`        | whether the item has property `name`                          |
//! | `?-name`       | whether it does not                                           |
//! | `?name=x`, `?=name=x` | whether the property equals `x`                        |
//! | `?<name=x`, `?>name=x` | whether it is less / greater than `x`                 |
//! | `?#ops`        | `!` not, `&` and, `\|` or, `.` dup; `N` (top is 0) pushes a copy of the value at `N`, or at the end of the word replaces all values with it |

use std::borrow::Cow;
use std::cmp::Ordering;
use std::net::Ipv4Addr;

use crate::format::{ItemId, parse_duration_ms};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Word {
    Has(String),
    HasNot(String),
    Eq(String, String),
    Lt(String, String),
    Gt(String, String),
    Ops(Vec<Op>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// An index followed by another character: push a copy of the value at that index.
    Push(usize),
    /// An index at the end of the word: replace all values with the value at that index.
    Replace(usize),
    Not,
    And,
    Or,
    Dup,
}

/// A parsed list of query words.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Query {
    words: Vec<Word>,
}

/// A query word that cannot be parsed; the text is the trap message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueryError(pub(crate) String);

impl Query {
    /// Parses query words given with their leading `?`.
    pub(crate) fn parse<S: AsRef<str>>(words: &[S]) -> Result<Self, QueryError> {
        let words = words
            .iter()
            .map(|w| parse_word(w.as_ref()))
            .collect::<Result<_, _>>()?;
        Ok(Self { words })
    }

    /// `Some(value)` when the query is exactly `?key=value`, for an index look-up.
    pub(crate) fn only_eq(&self, key: &str) -> Option<&str> {
        match self.words.as_slice() {
            [Word::Eq(k, v)] if k == key => Some(v),
            _ => None,
        }
    }

    /// Whether the item whose properties `get` returns passes the query.
    pub(crate) fn matches<'a>(&self, get: impl Fn(&str) -> Option<Cow<'a, str>>) -> bool {
        if self.words.is_empty() {
            return true;
        }
        let mut stack = Stack::default();
        for word in &self.words {
            match word {
                Word::Has(key) => stack.push(get(key).is_some()),
                Word::HasNot(key) => stack.push(get(key).is_none()),
                Word::Eq(key, value) => {
                    stack.push(get(key).is_some_and(|actual| equal(key, &actual, value)));
                }
                Word::Lt(key, value) => stack
                    .push(get(key).is_some_and(|actual| compare(&actual, value) == Ordering::Less)),
                Word::Gt(key, value) => stack.push(
                    get(key).is_some_and(|actual| compare(&actual, value) == Ordering::Greater),
                ),
                Word::Ops(ops) => {
                    for op in ops {
                        stack.apply(*op);
                    }
                }
            }
        }
        stack.result()
    }
}

/// The query stack: explicit values on top of an infinite run of `floor` values.
#[derive(Debug)]
struct Stack {
    values: Vec<bool>,
    floor: bool,
}

impl Default for Stack {
    fn default() -> Self {
        Self {
            values: Vec::new(),
            floor: true,
        }
    }
}

impl Stack {
    fn push(&mut self, value: bool) {
        self.values.push(value);
    }

    fn pop(&mut self) -> bool {
        self.values.pop().unwrap_or(self.floor)
    }

    fn at(&self, index: usize) -> bool {
        self.values
            .len()
            .checked_sub(index + 1)
            .map_or(self.floor, |i| self.values[i])
    }

    fn apply(&mut self, op: Op) {
        match op {
            Op::Push(i) => self.push(self.at(i)),
            Op::Replace(i) => {
                let value = self.at(i);
                self.values.clear();
                self.floor = value;
            }
            Op::Not => {
                let top = self.pop();
                self.push(!top);
            }
            Op::And => {
                let (b, a) = (self.pop(), self.pop());
                self.push(a && b);
            }
            Op::Or => {
                let (b, a) = (self.pop(), self.pop());
                self.push(a || b);
            }
            Op::Dup => self.push(self.at(0)),
        }
    }

    fn result(&self) -> bool {
        self.floor && self.values.iter().all(|v| *v)
    }
}

fn parse_word(word: &str) -> Result<Word, QueryError> {
    let body = word.strip_prefix('?').unwrap_or(word);
    let bad = || QueryError(format!("invalid query word {word}"));
    let key_value = |rest: &str| -> Result<(String, String), QueryError> {
        match rest.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
            _ => Err(bad()),
        }
    };
    let key = |rest: &str| {
        if rest.is_empty() {
            Err(bad())
        } else {
            Ok(rest.to_owned())
        }
    };
    Ok(match body.as_bytes().first() {
        Some(b'#') => Word::Ops(parse_ops(&body[1..]).ok_or_else(bad)?),
        Some(b'-') => Word::HasNot(key(&body[1..])?),
        Some(b'<') => {
            let (k, v) = key_value(&body[1..])?;
            Word::Lt(k, v)
        }
        Some(b'>') => {
            let (k, v) = key_value(&body[1..])?;
            Word::Gt(k, v)
        }
        Some(b'=') => {
            let (k, v) = key_value(&body[1..])?;
            Word::Eq(k, v)
        }
        _ if body.contains('=') => {
            let (k, v) = key_value(body)?;
            Word::Eq(k, v)
        }
        _ => Word::Has(key(body)?),
    })
}

fn parse_ops(text: &str) -> Option<Vec<Op>> {
    let mut ops = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let index: usize = text[start..i].parse().unwrap_or(usize::MAX);
            match bytes.get(i) {
                None => ops.push(Op::Replace(index)),
                Some(b'.') => {
                    // "." after an index does nothing.
                    ops.push(Op::Push(index));
                    i += 1;
                }
                Some(_) => ops.push(Op::Push(index)),
            }
            continue;
        }
        ops.push(match c {
            b'!' => Op::Not,
            b'&' => Op::And,
            b'|' => Op::Or,
            b'.' => Op::Dup,
            _ => return None,
        });
        i += 1;
    }
    Some(ops)
}

/// Equality as RouterOS compares typed values: ids by number, booleans by meaning
/// (`yes` = `true`), everything else as text.
fn equal(key: &str, actual: &str, expected: &str) -> bool {
    if actual == expected {
        return true;
    }
    if key == ".id" {
        return ItemId::parse(actual).is_some() && ItemId::parse(actual) == ItemId::parse(expected);
    }
    match (as_bool(actual), as_bool(expected)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

fn as_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "yes" => Some(true),
        "false" | "no" => Some(false),
        _ => None,
    }
}

/// Ordering of typed values: numbers, then IPv4 addresses, then durations, then text.
fn compare(actual: &str, bound: &str) -> Ordering {
    if let (Ok(a), Ok(b)) = (actual.parse::<i128>(), bound.parse::<i128>()) {
        return a.cmp(&b);
    }
    if let (Ok(a), Ok(b)) = (actual.parse::<Ipv4Addr>(), bound.parse::<Ipv4Addr>()) {
        return a.cmp(&b);
    }
    if let (Some(a), Some(b)) = (ItemId::parse(actual), ItemId::parse(bound)) {
        return a.cmp(&b);
    }
    if let (Some(a), Some(b)) = (parse_duration_ms(actual), parse_duration_ms(bound)) {
        return a.cmp(&b);
    }
    actual.cmp(bound)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An item of `key=value` pairs.
    fn check(item: &[(&str, &str)], words: &[&str], expected: bool) {
        let query = Query::parse(words).unwrap_or_else(|e| panic!("{words:?}: {e:?}"));
        let got = query.matches(|key| {
            item.iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| Cow::Borrowed(*v))
        });
        assert_eq!(got, expected, "item {item:?}, query {words:?}");
    }

    const JOHN: &[(&str, &str)] = &[
        (".id", "*1A"),
        ("name", "john123"),
        ("profile", "Premium"),
        ("remote-address", "192.168.1.100"),
        ("disabled", "false"),
        ("limit-bytes-in", "100"),
        ("comment", "John Doe"),
    ];

    #[test]
    fn property_tests() {
        check(JOHN, &[], true);
        check(JOHN, &["?name=john123"], true);
        check(JOHN, &["?=name=john123"], true);
        check(JOHN, &["?name=jane456"], false);
        check(JOHN, &["?name"], true);
        check(JOHN, &["?caller-id"], false);
        check(JOHN, &["?-caller-id"], true);
        check(JOHN, &["?-name"], false);
        check(JOHN, &["?.id=*1a"], true);
        check(JOHN, &["?.id=*1B"], false);
        check(JOHN, &["?disabled=no"], true);
        check(JOHN, &["?disabled=yes"], false);
        check(JOHN, &["?comment=John Doe"], true);
        check(JOHN, &["?missing="], false);
    }

    #[test]
    fn comparisons() {
        check(JOHN, &["?>limit-bytes-in=99"], true);
        check(JOHN, &["?>limit-bytes-in=100"], false);
        check(JOHN, &["?<limit-bytes-in=1000"], true); // numeric, not "100" < "1000" by text
        check(JOHN, &["?<limit-bytes-in=20"], false);
        check(JOHN, &["?>remote-address=192.168.1.99"], true);
        check(JOHN, &["?<remote-address=192.168.1.20"], false); // as addresses, not text
        check(JOHN, &["?>comment="], true); // non-empty comment (doc example)
        check(&[("comment", "")], &["?>comment="], false);
        check(JOHN, &["?>caller-id="], false); // absent
        check(JOHN, &["?>name=jane"], true);
        check(JOHN, &["?<.id=*1B"], true);
    }

    #[test]
    fn stack_operations() {
        // OR of two tests.
        check(JOHN, &["?name=x", "?name=john123", "?#|"], true);
        check(JOHN, &["?name=x", "?name=y", "?#|"], false);
        // The documentation's "neither ether nor vlan".
        check(JOHN, &["?name=x", "?name=y", "?#|!"], true);
        check(JOHN, &["?name=x", "?name=john123", "?#|!"], false);
        check(JOHN, &["?name=john123", "?profile=Premium", "?#&"], true);
        check(JOHN, &["?name=john123", "?profile=Basic", "?#&"], false);
        check(JOHN, &["?name=john123", "?#!"], false);
        // Several tests without operators are ANDed: any false fails.
        check(JOHN, &["?name=john123", "?profile=Basic"], false);
        // The stack starts with infinitely many `true`: operators never underflow.
        check(JOHN, &["?#|"], true);
        check(JOHN, &["?#!"], false);
        check(JOHN, &["?name=x", "?#|"], true); // false OR true (from the infinite stack)
        check(JOHN, &["?name=x", "?#&"], false);
        // Dup after a non-index.
        check(JOHN, &["?name=x", "?#.|"], false);
        check(JOHN, &["?name=john123", "?#.&"], true);
        check(JOHN, &["?name=x", "?#!."], true);
    }

    #[test]
    fn stack_indices() {
        // Top is 0. `1` at the end replaces all values with the second from the top.
        check(JOHN, &["?name=x", "?name=john123", "?#1"], false);
        check(JOHN, &["?name=john123", "?name=x", "?#1"], true);
        check(JOHN, &["?name=john123", "?name=x", "?#0"], false);
        // An index followed by a character pushes a copy; "." after an index does nothing.
        check(JOHN, &["?name=john123", "?name=x", "?#1.|"], true); // [t, f, t] -> [t, f|t]
        check(JOHN, &["?name=john123", "?name=x", "?#1|"], true);
        check(JOHN, &["?name=x", "?name=x", "?#1|"], false);
        check(JOHN, &["?name=x", "?name=john123", "?#1!&"], false); // [f, t, !f] -> [f, t]
        check(JOHN, &["?name=x", "?#0!0"], true); // [f, t] then replace all with top (t)
        // Out of range reads the infinite `true`.
        check(JOHN, &["?name=x", "?#5"], true);
        // Replacing with false poisons the infinite rest too.
        check(JOHN, &["?name=x", "?#0", "?#|"], false);
    }

    #[test]
    fn errors_and_fast_path() {
        assert!(Query::parse(&["?#x"]).is_err());
        assert!(Query::parse(&["?<name"]).is_err());
        assert!(Query::parse(&["?"]).is_err());
        assert!(Query::parse(&["?=novalue"]).is_err());
        let q = Query::parse(&["?name=john123"]).unwrap();
        assert_eq!(q.only_eq("name"), Some("john123"));
        let q = Query::parse(&["?name=john123", "?disabled=no"]).unwrap();
        assert_eq!(q.only_eq("name"), None);
        assert_eq!(Query::parse::<&str>(&[]).unwrap(), Query::default());
    }
}
