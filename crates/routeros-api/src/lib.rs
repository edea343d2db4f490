//! RouterOS API protocol: a sans-IO codec, a typed view of sentences, and an async client.
//!
//! This crate knows nothing of PPPoE: it speaks the MikroTik RouterOS binary API (port 8728,
//! or 8729 with TLS) and nothing else.
//!
//! # Data flow
//!
//! ```text
//!  socket bytes ──► connection::Reader ──► connection::Inbound ──► connection::Connection ──► call()/stream()
//!   (any split)     (codec::Decoder;        (replies in order,       (by .tag: rows, traps,
//!                    rows of one read share  rows built)              !done, !fatal, the end)
//!                    one buffer)
//!
//!  proto::Command ──► Connection::start (tag, encode) ──► one write per sentence (by the caller, or the driver if queued)
//! ```
//!
//! * [`codec`] frames bytes into sentences and back. It has no socket and no clock, so it is
//!   shared by the client here and by a server (the `routeros-sim` crate), and framing cannot
//!   drift between them. [`codec::Decoder::next_words`] lends a sentence out of the input
//!   buffer; [`codec::Decoder::next_sentence`] gives an owned copy.
//! * [`proto`] gives the words meaning (text, decoded as UTF-8 with invalid sequences
//!   replaced): [`proto::Reply`], [`proto::Attributes`] (a row's pairs, packed in one
//!   string; a collected listing's rows hold their values behind the numbers of their keys)
//!   and [`proto::Command`] for a client, [`proto::Request`] and [`proto::matches()`] (query
//!   evaluation) for a server.
//! * [`value`] reads and writes RouterOS value formats: durations (`1w2d3h4m5s`), booleans,
//!   dates, rates in bits per second, item ids (`*1A`).
//! * [`connection`] is the protocol of a logged-in connection, sans I/O: commands in, bytes
//!   in (a [`connection::Reader`] decodes them and builds the rows, the rows of one read
//!   sharing one buffer that returns to a bounded pool when they are dropped; a row in the
//!   usual shape of a listing's is read in one pass off the bytes, any other sentence by
//!   the codec's decoder), replies routed
//!   by `.tag` to concurrent commands, bytes out, news out; `!trap`, `!done`, `!empty`,
//!   `!fatal`, `/cancel`, the end of the stream and back-pressure are all decided here. No
//!   tokio, socket or clock (CI checks it).
//! * [`client`] is the thin tokio driver around it: a task reads the socket into the reader
//!   and hands each read's replies to the connection under one short lock; each sentence
//!   goes out in one write. Login (plain, with the legacy MD5 challenge as fallback),
//!   per-command timeouts, TCP keepalive.
//! * [`tls`] (feature `tls`, on by default) adds `api-ssl` with rustls (ring provider):
//!   trust a CA file or pin the router certificate's SHA-256 fingerprint; a router whose
//!   `api-ssl` has no certificate (anonymous DH only) is refused with instructions.
//!
//! # Example: the client
//!
//! ```no_run
//! use routeros_api::{Client, ClientConfig, ClientError, Command};
//!
//! # async fn demo() -> Result<(), ClientError> {
//! let client = Client::connect(&ClientConfig::new("192.0.2.1", "api-user", "secret")).await?;
//! match client.call(Command::new("/ppp/secret/add").attr("name", "john123")).await {
//!     Ok(response) => println!("created {:?}", response.ret()),
//!     Err(ClientError::Trap { message, .. }) => println!("refused: {message}"),
//!     Err(other) => return Err(other),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Example: the codec
//!
//! ```
//! use routeros_api::codec::{Decoder, Limits};
//! use routeros_api::proto::{Command, Reply, ReplyKind};
//!
//! // Encode a command as a client would send it.
//! let mut wire = Vec::new();
//! Command::new("/system/identity/print").tag("1").encode(&mut wire);
//! assert_eq!(&wire[..23], b"\x16/system/identity/print");
//!
//! // Decode a reply that arrives in two pieces.
//! let mut bytes = Vec::new();
//! Reply::re([("name", "MikroTik")].into_iter().collect()).with_tag(Some("1")).to_sentence().encode(&mut bytes);
//! let mut decoder = Decoder::new(Limits::default());
//! decoder.feed(&bytes[..5]);
//! assert!(decoder.next_sentence()?.is_none()); // need more bytes: not an error
//! decoder.feed(&bytes[5..]);
//! let reply = Reply::parse(&decoder.next_sentence()?.unwrap())?;
//! assert_eq!(reply.kind, ReplyKind::Re);
//! assert_eq!(reply.tag.as_deref(), Some("1"));
//! assert_eq!(reply.get("name"), Some("MikroTik"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Example: TLS, pinning the router's certificate
//!
//! ```no_run
//! # #[cfg(feature = "tls")]
//! # async fn demo() -> Result<(), routeros_api::ClientError> {
//! use routeros_api::tls::TlsOptions;
//! use routeros_api::{Client, ClientConfig};
//!
//! // As printed by `openssl x509 -fingerprint -sha256` or `routeros_api::tls::probe_fingerprint`.
//! let pin = TlsOptions::pin_sha256_hex(
//!     "0B:9B:0B:82:2F:0D:DD:63:50:E1:5F:B5:1A:4F:DA:71:9E:28:F6:06:4B:28:09:A9:F4:49:70:63:6A:86:5F:96",
//! )?;
//! let config = ClientConfig::new("192.0.2.1", "api-user", "secret").tls(pin); // port 8729
//! let client = Client::connect(&config).await?;
//! # drop(client);
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

pub mod client;
pub mod codec;
pub mod connection;
mod error;
pub mod proto;
#[cfg(feature = "tls")]
pub mod tls;
pub mod value;

pub use client::{Client, ClientConfig, ClientError, ReplyStream, Response};
pub use proto::{Attributes, Command, QueryWord, Reply, ReplyKind, Request};
