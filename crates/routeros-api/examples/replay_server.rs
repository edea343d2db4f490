//! A trivial RouterOS API server for benchmarks of clients: it answers `/ppp/secret/print` by
//! writing a reply encoded once, in memory, before any client connects, so that what a
//! benchmark measures is the client, not the server (routeros-sim spends about 15 ms
//! producing a 20,000-row print, which hid a client ten times slower than a raw read).
//!
//! ```text
//! replay_server ROWS [PORT]
//! ```
//!
//! Listens on 127.0.0.1:PORT (default 0: a free port) and prints `listening PORT` and
//! `reply_bytes N` (the print's size on the wire). Every `/login` is accepted. A
//! `/ppp/secret/print` gets ROWS `!re` sentences of the shape RouterOS (and routeros-sim)
//! sends for `/ppp/secret` and a `!done`, with the request's `.tag` if it has one (the only
//! per-request work: the tag word is appended to each pre-encoded row). Any other command gets
//! `!done`. One thread per connection; it runs until killed.

use std::io::Write;
use std::net::TcpListener;
use std::process::ExitCode;

#[path = "../benches/replay/mod.rs"]
mod replay;

use replay::{reply, rows, serve};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(Ok(n)), port) = (
        args.first().map(|a| a.parse::<usize>()),
        args.get(1).map_or(Ok(0), |p| p.parse::<u16>()),
    ) else {
        eprintln!("usage: replay_server ROWS [PORT]");
        return ExitCode::from(2);
    };
    let Ok(port) = port else {
        eprintln!("usage: replay_server ROWS [PORT]");
        return ExitCode::from(2);
    };
    let rows: &'static [Vec<u8>] = Box::leak(rows(n).into_boxed_slice());
    let mut size = Vec::new();
    reply(rows, None, &mut size);
    let listener = match TcpListener::bind(("127.0.0.1", port)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("replay_server: {e}");
            return ExitCode::FAILURE;
        }
    };
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(port);
    println!("listening {port}");
    println!("reply_bytes {}", size.len());
    let _ = std::io::stdout().flush();
    for stream in listener.incoming().flatten() {
        std::thread::spawn(move || serve(stream, rows));
    }
    ExitCode::SUCCESS
}
