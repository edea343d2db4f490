//! `impl pppoe_core::Messenger` over WhatsApp multi-device (work in progress; see issue
//! "whatsapp-adapter").
//!
//! It will own the `wa-rs` client, translate events into `Incoming` messages (resolving LIDs to
//! phone numbers), and pace outgoing replies.
//!
//! ```
//! // Nothing to call yet.
//! ```
#![deny(missing_docs)]
