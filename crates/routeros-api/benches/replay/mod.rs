//! A trivial RouterOS API server that answers `/ppp/secret/print` with a reply encoded once,
//! in memory, before any client connects: what a benchmark of a client measures is then the
//! client, not the server. Shared by `examples/replay_server.rs` (for `bench/peers.sh`) and
//! the criterion bench `benches/client.rs`.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

use routeros_api::codec::{Decoder, Limits, encode_sentence, encode_word};

/// One row's words, encoded, without the tag word and the sentence's terminating zero.
pub(crate) fn rows(n: usize) -> Vec<Vec<u8>> {
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
pub(crate) fn reply(rows: &[Vec<u8>], tag: Option<&[u8]>, out: &mut Vec<u8>) {
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

pub(crate) fn serve(mut stream: TcpStream, rows: &[Vec<u8>]) -> std::io::Result<()> {
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

/// Serves `rows` on 127.0.0.1 at a free port, one thread per connection, until the process
/// ends; returns the port.
pub(crate) fn start(rows: &'static [Vec<u8>]) -> std::io::Result<u16> {
    let listener = TcpListener::bind(("127.0.0.1", 0))?;
    let port = listener.local_addr()?.port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve(stream, rows));
        }
    });
    Ok(port)
}
