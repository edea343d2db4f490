//! `impl pppoe_core::Router` over `routeros-api` (work in progress; see issue "RouterOS stack").
//!
//! It will map `/ppp/secret`, `/ppp/active`, `/ppp/profile` and `/interface/monitor-traffic`
//! onto the Router port, with server-side queries and trap texts mapped to typed errors.
//!
//! ```
//! // Nothing to call yet.
//! ```
#![deny(missing_docs)]
