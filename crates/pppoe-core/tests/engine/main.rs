//! Integration tests of pppoe-core through its public API, with the in-memory fakes.
#![allow(unreachable_pub)]
//! One test binary (see "Delete Cargo Integration Tests"); modules per concern.

mod alerts;
mod customers;
mod evidence;
mod flows;
mod golden;
mod harness;
mod isolir;
mod outcomes;
mod props;
mod secrets;
mod tickets;
mod validation;
