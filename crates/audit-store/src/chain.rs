//! The hash chain: the canonical encoding of a row and its SHA-256.
//!
//! ```text
//! hash = SHA-256( "pppoe-bot audit v1\n"
//!                 ‖ F(prev_hash) ‖ F(seq) ‖ F(at) ‖ F(actor_phone) ‖ F(actor_lid) ‖ F(role)
//!                 ‖ F(command) ‖ F(target) ‖ F(router) ‖ F(arguments) ‖ F(outcome) ‖ F(error)
//!                 ‖ F(reason) ‖ F(duration_ms) ‖ F(message_id) )
//! F(NULL) = 0x00
//! F(v)    = 0x01 ‖ length of UTF-8(v) as 8 bytes big-endian ‖ UTF-8(v)
//! ```
//!
//! Integers (`seq`, `duration_ms`) are encoded as their decimal text; text columns exactly as
//! stored. The hash is stored as lowercase hex. docs/auditor.md has the same description and a
//! Python script that recomputes it; keep the three in step.

use sha2::{Digest, Sha256};

/// The `prev_hash` of the first row (seq 1): 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Prefix of every hash input: names the format, so that a later version cannot be confused
/// with this one.
const DOMAIN: &[u8] = b"pppoe-bot audit v1\n";

/// The hashed columns of one row, as stored (text exactly as in the database).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HashedFields<'a> {
    pub(crate) seq: i64,
    pub(crate) at: &'a str,
    pub(crate) actor_phone: &'a str,
    pub(crate) actor_lid: Option<&'a str>,
    pub(crate) role: Option<&'a str>,
    pub(crate) command: &'a str,
    pub(crate) target: Option<&'a str>,
    pub(crate) router: Option<&'a str>,
    pub(crate) arguments: &'a str,
    pub(crate) outcome: &'a str,
    pub(crate) error: Option<&'a str>,
    pub(crate) reason: Option<&'a str>,
    pub(crate) duration_ms: i64,
    pub(crate) message_id: &'a str,
}

fn field(out: &mut Vec<u8>, value: Option<&[u8]>) {
    match value {
        None => out.push(0),
        Some(bytes) => {
            out.push(1);
            out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
            out.extend_from_slice(bytes);
        }
    }
}

fn text(out: &mut Vec<u8>, value: &str) {
    field(out, Some(value.as_bytes()));
}

fn optional(out: &mut Vec<u8>, value: Option<&str>) {
    field(out, value.map(str::as_bytes));
}

fn integer(out: &mut Vec<u8>, value: i64) {
    text(out, &value.to_string());
}

/// The bytes that are hashed: the domain prefix, then every field in column order.
pub(crate) fn canonical_encoding(prev_hash: &str, f: &HashedFields<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(DOMAIN);
    text(&mut out, prev_hash);
    integer(&mut out, f.seq);
    text(&mut out, f.at);
    text(&mut out, f.actor_phone);
    optional(&mut out, f.actor_lid);
    optional(&mut out, f.role);
    text(&mut out, f.command);
    optional(&mut out, f.target);
    optional(&mut out, f.router);
    text(&mut out, f.arguments);
    text(&mut out, f.outcome);
    optional(&mut out, f.error);
    optional(&mut out, f.reason);
    integer(&mut out, f.duration_ms);
    text(&mut out, f.message_id);
    out
}

/// The row's hash: SHA-256 of [`canonical_encoding`], lowercase hex.
pub(crate) fn row_hash(prev_hash: &str, f: &HashedFields<'_>) -> String {
    hex::encode(Sha256::digest(canonical_encoding(prev_hash, f)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> HashedFields<'static> {
        HashedFields {
            seq: 1,
            at: "2024-12-15T09:30:25.123Z",
            actor_phone: "6281234567890",
            actor_lid: None,
            role: Some("admin"),
            command: "addpppoe",
            target: Some("john123"),
            router: Some("core-1"),
            arguments: "john123 *** Premium",
            outcome: "ok",
            error: None,
            reason: None,
            duration_ms: 42,
            message_id: "3EB0A1",
        }
    }

    #[test]
    fn genesis_is_64_zeros() {
        assert_eq!(GENESIS_HASH.len(), 64);
        assert!(GENESIS_HASH.bytes().all(|b| b == b'0'));
    }

    #[test]
    fn encoding_is_length_prefixed_in_column_order() {
        let f = HashedFields {
            seq: 7,
            at: "A",
            actor_phone: "B",
            actor_lid: None,
            role: Some(""),
            command: "C",
            target: None,
            router: None,
            arguments: "",
            outcome: "ok",
            error: None,
            reason: None,
            duration_ms: 0,
            message_id: "m",
        };
        let mut expected = b"pppoe-bot audit v1\n".to_vec();
        let mut push = |v: Option<&str>| match v {
            None => expected.push(0),
            Some(s) => {
                expected.push(1);
                expected.extend_from_slice(&(s.len() as u64).to_be_bytes());
                expected.extend_from_slice(s.as_bytes());
            }
        };
        for v in [
            Some("p"),
            Some("7"),
            Some("A"),
            Some("B"),
            None,
            Some(""),
            Some("C"),
            None,
            None,
            Some(""),
            Some("ok"),
            None,
            None,
            Some("0"),
            Some("m"),
        ] {
            push(v);
        }
        assert_eq!(canonical_encoding("p", &f), expected);
    }

    #[test]
    fn null_and_empty_text_differ() {
        let a = sample();
        let b = HashedFields {
            actor_lid: Some(""),
            ..sample()
        };
        assert_ne!(row_hash(GENESIS_HASH, &a), row_hash(GENESIS_HASH, &b));
    }

    #[test]
    fn moving_text_between_fields_changes_the_hash() {
        let a = HashedFields {
            command: "addpppoe",
            arguments: "x",
            ..sample()
        };
        let b = HashedFields {
            command: "addpppo",
            arguments: "ex",
            ..sample()
        };
        assert_ne!(
            canonical_encoding(GENESIS_HASH, &a),
            canonical_encoding(GENESIS_HASH, &b)
        );
    }

    #[test]
    fn every_field_is_covered() {
        let base = row_hash(GENESIS_HASH, &sample());
        let variants = [
            HashedFields { seq: 2, ..sample() },
            HashedFields {
                at: "2024-12-15T09:30:25.124Z",
                ..sample()
            },
            HashedFields {
                actor_phone: "6281234567891",
                ..sample()
            },
            HashedFields {
                actor_lid: Some("1@lid"),
                ..sample()
            },
            HashedFields {
                role: None,
                ..sample()
            },
            HashedFields {
                command: "delpppoe",
                ..sample()
            },
            HashedFields {
                target: None,
                ..sample()
            },
            HashedFields {
                router: None,
                ..sample()
            },
            HashedFields {
                arguments: "john123 *** Basic",
                ..sample()
            },
            HashedFields {
                outcome: "failed",
                ..sample()
            },
            HashedFields {
                error: Some("x"),
                ..sample()
            },
            HashedFields {
                reason: Some("x"),
                ..sample()
            },
            HashedFields {
                duration_ms: 43,
                ..sample()
            },
            HashedFields {
                message_id: "3EB0A2",
                ..sample()
            },
        ];
        for v in variants {
            assert_ne!(row_hash(GENESIS_HASH, &v), base, "{v:?}");
        }
        assert_ne!(row_hash(&"1".repeat(64), &sample()), base);
    }

    /// The same row hashed by the Python script of docs/auditor.md.
    #[test]
    fn known_vector() {
        assert_eq!(row_hash(GENESIS_HASH, &sample()), KNOWN_HASH);
        let second = HashedFields {
            seq: 2,
            message_id: "3EB0A2",
            error: Some("router unreachable: timeout"),
            outcome: "failed",
            ..sample()
        };
        assert_eq!(row_hash(KNOWN_HASH, &second), KNOWN_HASH_2);
    }

    const KNOWN_HASH: &str = "74a5b4c32545f0bbac04667bd4c378880f57c41896a271bc997a85d0d2cb61b9";
    const KNOWN_HASH_2: &str = "33307516b068f0c7057609ba01c0ed000a275989f1799432e317c9e7d3ca306d";
}
