//! The client against the raw floor, served by a replay server (a reply encoded once, in
//! memory), so that what is measured is the client: `Client::call` (rows collected),
//! `Client::stream` (rows taken as they arrive) and a raw read of the same bytes (a blocking
//! socket, the codec decoding in place), 20,000 rows of `/ppp/secret/print`, side by side.
//!
//! `cargo bench -p routeros-api --bench client`. The targets (call under 2x the floor, stream
//! under 1.5x) are read as ratios of these figures from one run; `bash bench/peers.sh` measures
//! the same with separate processes.

#[path = "replay/mod.rs"]
mod replay;

use std::hint::black_box;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use routeros_api::codec::{Decoder, Limits, encode_sentence};
use routeros_api::{Client, ClientConfig, Command};

const ROWS: usize = 20_000;

/// A raw read of the print: a blocking socket and the codec decoding in place.
fn raw_print(stream: &mut TcpStream, decoder: &mut Decoder, buf: &mut [u8]) -> usize {
    let mut out = Vec::new();
    encode_sentence(["/ppp/secret/print"], &mut out);
    stream.write_all(&out).unwrap();
    let mut rows = 0;
    loop {
        while let Some(sentence) = decoder.next_words().unwrap() {
            match sentence.first() {
                Some(b"!done") => return rows,
                Some(b"!re") => rows += 1,
                _ => {}
            }
        }
        let n = stream.read(buf).unwrap();
        assert!(n > 0, "the replay server closed");
        decoder.feed(&buf[..n]);
    }
}

fn bench(c: &mut Criterion) {
    let rows: &'static [Vec<u8>] = Box::leak(replay::rows(ROWS).into_boxed_slice());
    let port = replay::start(rows).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let config = ClientConfig::new("127.0.0.1", "bench", "bench")
        .port(port)
        .command_timeout(Duration::from_secs(60));
    let client = runtime.block_on(Client::connect(&config)).unwrap();

    let mut group = c.benchmark_group("print_20000_from_replay");
    group.sample_size(20);
    group.bench_function("raw floor (blocking socket, decode in place)", |b| {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_nodelay(true).unwrap();
        let mut decoder = Decoder::new(Limits::default());
        let mut buf = vec![0u8; 256 * 1024];
        b.iter(|| assert_eq!(raw_print(&mut stream, &mut decoder, &mut buf), ROWS));
    });
    group.bench_function("Client::call (rows collected)", |b| {
        b.iter_with_large_drop(|| {
            let client = client.clone();
            let response = runtime
                .block_on(async move {
                    tokio::spawn(
                        async move { client.call(Command::new("/ppp/secret/print")).await },
                    )
                    .await
                })
                .unwrap()
                .unwrap();
            assert_eq!(response.rows.len(), ROWS);
            response
        });
    });
    group.bench_function("Client::stream (rows taken as they arrive)", |b| {
        b.iter(|| {
            let client = client.clone();
            let n = runtime
                .block_on(async move {
                    tokio::spawn(async move {
                        let mut stream = client.stream(Command::new("/ppp/secret/print")).unwrap();
                        let mut n = 0;
                        while let Some(row) = stream.next_row().await {
                            black_box(row.unwrap());
                            n += 1;
                        }
                        n
                    })
                    .await
                })
                .unwrap();
            assert_eq!(n, ROWS);
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
