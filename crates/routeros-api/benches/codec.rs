//! Decode throughput of a realistic reply stream: a `/ppp/secret/print` of 5 000 secrets,
//! each a `!re` sentence with a tag and 17 attributes, read in 64 KiB chunks as from a socket.
//!
//! `sentences` and `replies` copy each sentence out (`Decoder::next_sentence`, one `Vec` per
//! word); the `_borrowed` variants use `Decoder::next_words` as the client does; `client_rows`
//! is the client's whole inbound path, sans I/O (a `Connection` and its `Reader`: the rows
//! built and handed to the command, as `Client::call` gets them).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use routeros_api::Command;
use routeros_api::codec::{Decoder, Limits};
use routeros_api::connection::{Connection, Inbound, Reader};
use routeros_api::proto::{Attributes, Reply};

const SECRETS: usize = 5_000;
const CHUNK: usize = 64 * 1024;

fn secret_print_stream(tag: &str) -> Vec<u8> {
    let profiles = ["Basic", "Standard", "Premium", "VIP", "Enterprise"];
    let mut wire = Vec::new();
    for i in 0..SECRETS {
        let row: Attributes = [
            (".id", format!("*{:X}", i + 1)),
            ("name", format!("customer{i:05}")),
            ("service", "pppoe".to_owned()),
            ("caller-id", String::new()),
            ("password", format!("pw-{i:08x}")),
            ("profile", profiles[i % profiles.len()].to_owned()),
            ("routes", String::new()),
            ("ipv6-routes", String::new()),
            ("limit-bytes-in", "0".to_owned()),
            ("limit-bytes-out", "0".to_owned()),
            (
                "remote-address",
                format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255),
            ),
            ("last-logged-out", "2025-06-01 10:11:12".to_owned()),
            (
                "last-caller-id",
                format!(
                    "AA:BB:CC:{:02X}:{:02X}:{:02X}",
                    i >> 16,
                    (i >> 8) & 255,
                    i & 255
                ),
            ),
            ("last-disconnect-reason", "peer-request".to_owned()),
            (
                "disabled",
                if i % 10 == 0 { "true" } else { "false" }.to_owned(),
            ),
            ("comment", format!("Jl. Merdeka No. {i}, RT 01/RW 02")),
            ("expiry", String::new()),
        ]
        .into_iter()
        .collect();
        Reply::re(row)
            .with_tag(Some(tag))
            .to_sentence()
            .encode(&mut wire);
    }
    Reply::done()
        .with_tag(Some(tag))
        .to_sentence()
        .encode(&mut wire);
    wire
}

fn decode(c: &mut Criterion) {
    let wire = secret_print_stream("7");
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Bytes(wire.len() as u64));

    group.bench_function("sentences", |b| {
        b.iter(|| {
            let mut decoder = Decoder::new(Limits::default());
            let mut count = 0;
            for chunk in wire.chunks(CHUNK) {
                decoder.feed(black_box(chunk));
                while let Some(sentence) = decoder.next_sentence().unwrap() {
                    count += sentence.len();
                }
            }
            assert_eq!(count, SECRETS * 19 + 2);
        });
    });

    group.bench_function("replies", |b| {
        b.iter(|| {
            let mut decoder = Decoder::new(Limits::default());
            let mut rows = 0;
            for chunk in wire.chunks(CHUNK) {
                decoder.feed(black_box(chunk));
                while let Some(sentence) = decoder.next_sentence().unwrap() {
                    let reply = Reply::parse(&sentence).unwrap();
                    rows += usize::from(reply.get("name").is_some());
                }
            }
            assert_eq!(rows, SECRETS);
        });
    });

    // The client's path: sentences borrowed from the decoder's buffer (no allocation).
    group.bench_function("sentences_borrowed", |b| {
        b.iter(|| {
            let mut decoder = Decoder::new(Limits::default());
            let mut count = 0;
            for chunk in wire.chunks(CHUNK) {
                decoder.feed(black_box(chunk));
                while let Some(sentence) = decoder.next_words().unwrap() {
                    count += sentence.len();
                }
            }
            assert_eq!(count, SECRETS * 19 + 2);
        });
    });

    group.bench_function("replies_borrowed", |b| {
        b.iter(|| {
            let mut decoder = Decoder::new(Limits::default());
            let mut rows = 0;
            for chunk in wire.chunks(CHUNK) {
                decoder.feed(black_box(chunk));
                while let Some(sentence) = decoder.next_words().unwrap() {
                    let reply = Reply::parse_ref(&sentence).unwrap();
                    rows += usize::from(reply.get("name").is_some());
                }
            }
            assert_eq!(rows, SECRETS);
        });
    });

    // The client's inbound path: rows built from the borrowed sentences, delivered to the
    // command (our first command's tag is 1).
    let client_wire = secret_print_stream("1");
    group.bench_function("client_rows", |b| {
        b.iter(|| {
            let mut conn = Connection::new();
            let mut reader = Reader::new(Decoder::new(Limits::default()));
            let tag = conn
                .start(Command::new("/ppp/secret/print"), false)
                .unwrap();
            for chunk in client_wire.chunks(CHUNK) {
                conn.receive(&mut reader, black_box(chunk));
            }
            let rows = conn.take_response(tag).unwrap().unwrap().rows;
            assert_eq!(rows.len(), SECRETS);
            rows
        });
    });

    // A stream's path: its rows built as their words came, delivered, taken in one go after
    // each read and dropped, as `ReplyStream::next_row` does; one reader for every listing,
    // so that its buffers are reused.
    let mut reader = Reader::new(Decoder::new(Limits::default()));
    group.bench_function("stream_rows", |b| {
        b.iter(|| {
            let mut conn = Connection::new();
            let tag = conn.start(Command::new("/ppp/secret/print"), true).unwrap();
            reader.sync(&conn);
            let mut rows = 0;
            for chunk in client_wire.chunks(CHUNK) {
                conn.receive(&mut reader, black_box(chunk));
                for row in conn.take_rows(tag) {
                    rows += usize::from(row.get("name").is_some());
                }
            }
            assert_eq!(rows, SECRETS);
            assert!(conn.poll_end(tag).is_some_and(|end| end.is_ok()));
        });
    });

    // The same on one connection, read after read: the rows of each listing dropped before
    // the next, so that their buffers are reused (as the bot's listings do).
    let mut reader = Reader::new(Decoder::new(Limits::default()));
    group.bench_function("reader_rows", |b| {
        b.iter(|| {
            for chunk in client_wire.chunks(CHUNK) {
                let mut inbound = Inbound::default();
                reader.read(black_box(chunk), &mut inbound);
            }
        });
    });

    group.finish();

    // Worst case for an incremental decoder: the transport hands over one byte at a time.
    let head = &wire[..wire.len() / 20];
    let mut group = c.benchmark_group("decode_bytewise");
    group.throughput(Throughput::Bytes(head.len() as u64));
    group.bench_function("sentences", |b| {
        b.iter(|| {
            let mut decoder = Decoder::new(Limits::default());
            let mut count = 0;
            for byte in head.chunks(1) {
                decoder.feed(black_box(byte));
                while decoder.next_sentence().unwrap().is_some() {
                    count += 1;
                }
            }
            black_box(count);
        });
    });
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
