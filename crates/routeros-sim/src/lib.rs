//! A RouterOS API *server* that behaves like RouterOS 7 for what pppoe-bot uses: for tests,
//! benchmarks and the demo.
//!
//! It serves `/login` (plain, or the pre-6.43 MD5 challenge), `/ppp/secret`
//! (`print add set remove enable disable unset listen`), `/ppp/active` (`print remove
//! listen`), `/ppp/profile/print`, `/ip/firewall/address-list` (`print add set remove enable
//! disable listen`; entries unique by list and address together), `/interface/print`,
//! `/interface/monitor-traffic`, `/system/resource/print`, `/system/identity/print|set`,
//! `/cancel` and `/quit`, with `.tag`s, concurrent commands, query words, `.proplist`,
//! `=count-only=`, `=follow=`/`=follow-only=` and the `!empty` reply of RouterOS 7.18+. The wire format is `routeros-api`'s, all of it: its
//! codec frames the bytes, its `Request` reads them, its `matches()` evaluates the queries,
//! its `Reply` encodes the answers, its `value` module prints durations, dates and booleans,
//! and its legacy login response checks the MD5 challenge. So the simulator cannot drift from
//! the client.
//!
//! ```text
//!            ┌──────────────────── SimState (Arc; cloned by tests) ─────────────────────┐
//!            │ menus: secrets, sessions, profiles, address list (Menu<T>) · settings ·  │
//!            │ faults                                                                   │
//!            │ logs: writes, requests (capped) · clock                                  │
//!            └───────▲──────────────────────────────────────▲───────────────────────────┘
//!   TCP ─► reader: Decoder ─► Request ─► login / cancel / commands ─► Plan ─► writer ─► TCP
//!                                               (changes, in order)   (print streams in 64 KiB chunks)
//! ```
//!
//! # Example
//!
//! ```
//! use routeros_api::codec::{encode_sentence, Decoder, Limits};
//! use routeros_sim::{SimServer, SimState};
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let state = SimState::new().with_user("admin", "secret");
//! state.add_example_users().unwrap(); // john123 (online) and jane456
//! let server = SimServer::start(state.clone()).await?;
//!
//! let mut socket = tokio::net::TcpStream::connect(server.addr()).await?;
//! let mut request = Vec::new();
//! encode_sentence(["/login", "=name=admin", "=password=secret"], &mut request);
//! encode_sentence(["/ppp/secret/print", "?name=john123", "=.proplist=name,profile"], &mut request);
//! socket.write_all(&request).await?;
//!
//! let mut decoder = Decoder::new(Limits::default());
//! let mut replies = Vec::new();
//! let mut buf = [0u8; 4096];
//! while replies.len() < 3 {
//!     let n = socket.read(&mut buf).await?;
//!     decoder.feed(&buf[..n]);
//!     while let Some(sentence) = decoder.next_sentence().unwrap() {
//!         replies.push(sentence.words().iter().map(|w| String::from_utf8_lossy(w).into_owned()).collect::<Vec<_>>());
//!     }
//! }
//! assert_eq!(replies[0], ["!done"]); // login
//! assert_eq!(replies[1], ["!re", "=name=john123", "=profile=Premium"]);
//! assert_eq!(replies[2], ["!done"]);
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! Tests change and inspect the state while clients are connected: [`SimState::secrets`],
//! [`SimState::address_list`], [`SimState::writes_to`], [`SimState::inject`] a [`Fault`],
//! [`SimState::set_reply_delay`], [`SimState::set_refuse_listen`], [`SimState::fatal_all`],
//! [`SimState::rows_sent`] (what the router had to send for a menu) and so on.
#![deny(missing_docs)]

mod commands;
mod model;
mod seed;
mod server;
mod state;
mod wire;

pub use model::{ActiveSession, AddressListEntry, Profile, Secret, SecretSpec, SessionSpec};
pub use routeros_api::value::ItemId;
pub use server::{SimServer, serve};
pub use state::{Fault, RequestRecord, SimError, SimState, WriteRecord};
