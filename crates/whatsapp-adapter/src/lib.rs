//! pppoe-core's [`Messenger`](pppoe_core::Messenger) port over WhatsApp multi-device, with the
//! `wa-rs` library (work in progress: the pure layer).
//!
//! The decisions that need no network are pure and tested with constructed wa-rs values:
//! [`translate`], [`identity`], [`outgoing`], [`pacing`], [`reorder`], [`typing`],
//! [`lifecycle`].
#![deny(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod config;
pub mod error;
pub mod identity;
pub mod lifecycle;
pub mod outgoing;
pub mod pacing;
pub mod reorder;
pub mod translate;
pub mod typing;

// Keeps SQLite bundled (one libsqlite3-sys in the tree, shared with sqlx) even when this crate
// is built alone; see the workspace Cargo.toml.
use libsqlite3_sys as _;

pub use config::{PacingConfig, WhatsAppConfig};
pub use error::{TerminalError, WaError};
