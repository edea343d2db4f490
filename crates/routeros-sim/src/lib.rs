//! A RouterOS API server for tests, benchmarks and the demo (work in progress; see issue
//! "RouterOS stack").
//!
//! It will serve `/login`, `/ppp/secret`, `/ppp/active`, `/ppp/profile` and friends on a given
//! listener, reusing `routeros-api`'s codec so that framing cannot drift.
//!
//! ```
//! // Nothing to call yet.
//! ```
#![deny(missing_docs)]
