//! RouterOS API protocol (work in progress; see issue "RouterOS stack").
//!
//! This crate will hold the sans-IO codec of the RouterOS binary API (word and sentence
//! framing, reply kinds `!re`, `!done`, `!trap`, `!fatal`, `!empty`) and an async tokio
//! client (login, tagged concurrent commands, TLS). It knows nothing of PPPoE.
//!
//! ```
//! // Nothing to call yet: the crate exists so that the workspace layout is visible.
//! ```
#![deny(missing_docs)]
