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

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;

use routeros_api::codec::{Decoder, Limits, encode_sentence, encode_word};

/// One row's words, encoded, without the tag word and the sentence's terminating zero.
fn rows(n: usize) -> Vec<Vec<u8>> {
    let profiles = ["Basic", "Standard", "Premium", "VIP", "Enterprise"];
    (0..n)
        .map(|i| {
            let mut out = Vec::with_capacity(320);
            let words = [
                "!re".to_owned(),
                format!("=.id=*{:X}", i + 1),
                format!("=name=user{i:05}"),
                "=service=pppoe".to_owned(),
                "=caller-id=".to_owned(),
                format!("=password=pass-{i:05}-x"),
                format!("=profile={}", profiles[i % profiles.len()]),
                "=local-address=".to_owned(),
                if i % 7 == 0 {
                    format!(
                        "=remote-address=10.{}.{}.{}",
                        20 + i / 65_536,
                        i / 256 % 256,
                        i % 256
                    )
                } else {
                    "=remote-address=".to_owned()
                },
                "=routes=".to_owned(),
                "=ipv6-routes=".to_owned(),
                "=limit-bytes-in=0".to_owned(),
                "=limit-bytes-out=0".to_owned(),
                format!(
                    "=last-logged-out=2025-05-{:02} 10:{:02}:{:02}",
                    1 + i % 28,
                    i % 60,
                    i % 59
                ),
                format!(
                    "=last-caller-id=E4:8D:8C:{:02X}:{:02X}:{:02X}",
                    i % 256,
                    i / 256 % 256,
                    i % 7
                ),
                "=last-disconnect-reason=peer-request".to_owned(),
                format!("=comment=Pelanggan {i} - Jl. Contoh No. {}", i % 300),
                format!("=disabled={}", if i % 14 == 0 { "true" } else { "false" }),
            ];
            for w in &words {
                encode_word(w.as_bytes(), &mut out);
            }
            out
        })
        .collect()
}

/// The whole print reply for a request with `tag` (or none).
fn reply(rows: &[Vec<u8>], tag: Option<&[u8]>, out: &mut Vec<u8>) {
    let mut tag_word = Vec::new();
    if let Some(tag) = tag {
        let mut word = b".tag=".to_vec();
        word.extend_from_slice(tag);
        encode_word(&word, &mut tag_word);
    }
    for row in rows {
        out.extend_from_slice(row);
        out.extend_from_slice(&tag_word);
        out.push(0);
    }
    done(tag, out);
}

fn done(tag: Option<&[u8]>, out: &mut Vec<u8>) {
    let mut words: Vec<Vec<u8>> = vec![b"!done".to_vec()];
    if let Some(tag) = tag {
        let mut word = b".tag=".to_vec();
        word.extend_from_slice(tag);
        words.push(word);
    }
    encode_sentence(&words, out);
}

fn serve(mut stream: TcpStream, rows: &[Vec<u8>]) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut decoder = Decoder::new(Limits::default());
    let mut buf = vec![0u8; 64 * 1024];
    let mut out = Vec::with_capacity(rows.iter().map(Vec::len).sum::<usize>() + rows.len() * 16);
    loop {
        while let Some(sentence) = decoder
            .next_words()
            .map_err(|e| std::io::Error::other(e.to_string()))?
        {
            let tag = sentence
                .iter()
                .find_map(|w| w.strip_prefix(b".tag="))
                .map(<[u8]>::to_vec);
            out.clear();
            match sentence.first() {
                Some(b"/ppp/secret/print") => reply(rows, tag.as_deref(), &mut out),
                _ => done(tag.as_deref(), &mut out),
            }
            stream.write_all(&out)?;
        }
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        decoder.feed(&buf[..n]);
    }
}

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
