//! whatsapp-adapter's integration tests, one binary (see "Delete Cargo Integration Tests"):
//! the spec's flows through the adapter's pure layer and the real engine (`flows`), and the
//! same through the whole stack over TCP and SQLite (`stack`).
#![allow(unreachable_pub)]

mod flows;
mod pairing;
mod server;
mod stack;
mod workflow;
