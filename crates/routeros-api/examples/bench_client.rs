//! Benchmark client for `bench/peers.sh`: our [`Client`] and a raw-socket floor, against a
//! running RouterOS API server (routeros-sim).
//!
//! ```text
//! bench_client print      ours|ours-stream|raw HOST PORT USER PASSWORD RUNS
//! bench_client add-remove ours|raw             HOST PORT USER PASSWORD ITERATIONS
//! ```
//!
//! `print` runs `/ppp/secret/print` RUNS times on one logged-in connection and prints
//! `print MS ROWS` per run. `ours` collects the rows (`Client::call`, as the other client
//! libraries do), `ours-stream` counts them as they arrive (`Client::stream`), `raw` decodes
//! sentences off a blocking socket and also prints `reply_bytes N` (the reply's size on the
//! wire). `ours*` end with `rss BEFORE_KIB PEAK_KIB`: the process's resident memory after
//! login, before the first command (`VmRSS` of /proc/self/status), and the whole process's
//! peak resident memory over its life (`VmHWM`), runtime and binary included.
//!
//! `add-remove` adds a secret and removes it again, ITERATIONS times in sequence, and prints
//! `addrm TOTAL_MS ITERATIONS`. `raw` is the floor: `std::net::TcpStream` with `TCP_NODELAY`,
//! sentences encoded with the codec's functions, a blocking read until `!done`, sentences
//! decoded in place (`Decoder::next_words`, no allocation).
//!
//! Our client runs in a task spawned on a two-worker multi-thread runtime, as the bot's
//! handlers do; with the environment variable `BENCH_CURRENT_THREAD` set, on a
//! current-thread runtime.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use routeros_api::codec::{Decoder, Limits, Sentence, SentenceRef, encode_sentence};
use routeros_api::{Client, ClientConfig, Command};

type Error = Box<dyn std::error::Error + Send + Sync>;

const USAGE: &str = "usage: bench_client print ours|ours-stream|raw HOST PORT USER PASSWORD RUNS\n       \
                     bench_client add-remove ours|raw HOST PORT USER PASSWORD ITERATIONS";

#[derive(Debug)]
struct Target {
    host: String,
    port: u16,
    user: String,
    password: String,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [what, who, host, port, user, password, count] = args.as_slice() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let (Ok(port), Ok(count)) = (port.parse::<u16>(), count.parse::<usize>()) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let target = Target {
        host: host.clone(),
        port,
        user: user.clone(),
        password: password.clone(),
    };
    let result = match (what.as_str(), who.as_str()) {
        ("print", "ours") => ours(&target, |c| print_ours(c, count, false)),
        ("print", "ours-stream") => ours(&target, |c| print_ours(c, count, true)),
        ("print", "raw") => print_raw(&target, count),
        ("add-remove", "ours") => ours(&target, |c| add_remove_ours(c, count)),
        ("add-remove", "raw") => add_remove_raw(&target, count),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_client: {e}");
            ExitCode::FAILURE
        }
    }
}

fn ms(elapsed: Duration) -> f64 {
    elapsed.as_secs_f64() * 1e3
}

/// `VmRSS` and `VmHWM` of this process, in KiB (0 where /proc is not available).
fn rss_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

// ---------------------------------------------------------------------------------------------
// Our client
// ---------------------------------------------------------------------------------------------

/// Connects our client on a runtime like the bot's, runs `body`, prints the memory line.
fn ours<F, Fut>(target: &Target, body: F) -> Result<(), Error>
where
    F: FnOnce(Client) -> Fut,
    Fut: Future<Output = Result<(), Error>> + Send + 'static,
{
    let runtime = if std::env::var_os("BENCH_CURRENT_THREAD").is_some() {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?
    };
    runtime.block_on(async {
        let config = ClientConfig::new(&target.host, &target.user, &target.password)
            .port(target.port)
            .command_timeout(Duration::from_secs(120));
        let client = Client::connect(&config).await?;
        let (baseline, _) = rss_kib();
        // A spawned task, as the bot's handlers are (not the thread that calls block_on).
        tokio::spawn(body(client.clone())).await??;
        client.close().await;
        let (_, peak) = rss_kib();
        println!("rss {baseline} {peak}");
        Ok(())
    })
}

async fn print_ours(client: Client, runs: usize, stream: bool) -> Result<(), Error> {
    for _ in 0..runs {
        let start = Instant::now();
        if stream {
            let mut rows = client.stream(Command::new("/ppp/secret/print"))?;
            let mut n = 0;
            while let Some(row) = rows.next_row().await {
                row?;
                n += 1;
            }
            println!("print {:.3} {n}", ms(start.elapsed()));
        } else {
            let response = client.call(Command::new("/ppp/secret/print")).await?;
            let elapsed = start.elapsed();
            println!("print {:.3} {}", ms(elapsed), response.rows.len());
            // Freed after the clock stops, as the other clients' rows are.
            drop(response);
        }
    }
    Ok(())
}

async fn add_remove_ours(client: Client, iterations: usize) -> Result<(), Error> {
    let start = Instant::now();
    for i in 0..iterations {
        let added = client
            .call(
                Command::new("/ppp/secret/add")
                    .attr("name", format!("bench-ours-{i}"))
                    .attr("password", "Bench-Pass-1")
                    .attr("service", "pppoe")
                    .attr("profile", "Basic"),
            )
            .await?;
        let id = added.ret().ok_or("add returned no id")?.to_owned();
        client
            .call(Command::new("/ppp/secret/remove").attr(".id", id))
            .await?;
    }
    println!("addrm {:.3} {iterations}", ms(start.elapsed()));
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Raw socket floor
// ---------------------------------------------------------------------------------------------

/// A blocking connection that does nothing but frame sentences.
#[derive(Debug)]
struct Raw {
    stream: TcpStream,
    decoder: Decoder,
    buf: Vec<u8>,
    out: Vec<u8>,
    /// Bytes received since the last [`send`](Self::send).
    received: usize,
}

impl Raw {
    fn connect(target: &Target) -> Result<Self, Error> {
        let stream = TcpStream::connect((target.host.as_str(), target.port))?;
        stream.set_nodelay(true)?;
        let mut raw = Self {
            stream,
            decoder: Decoder::new(Limits::default()),
            buf: vec![0; 64 * 1024],
            out: Vec::new(),
            received: 0,
        };
        raw.send(&[
            b"/login".as_slice(),
            format!("=name={}", target.user).as_bytes(),
            format!("=password={}", target.password).as_bytes(),
        ])?;
        raw.until_done(|_| {})?;
        Ok(raw)
    }

    /// Writes one sentence in one write.
    fn send(&mut self, words: &[&[u8]]) -> Result<(), Error> {
        self.out.clear();
        encode_sentence(words, &mut self.out);
        self.stream.write_all(&self.out)?;
        self.received = 0;
        Ok(())
    }

    /// Reads sentences, handing each to `each`, until `!done`; returns `!done`. A `!trap` or
    /// `!fatal` is an error. Sentences are borrowed from the decoder's buffer: the floor
    /// allocates nothing per sentence.
    fn until_done(&mut self, mut each: impl FnMut(&SentenceRef<'_>)) -> Result<Sentence, Error> {
        loop {
            while let Some(sentence) = self.decoder.next_words()? {
                match sentence.first() {
                    Some(b"!done") => return Ok(sentence.to_sentence()),
                    Some(b"!trap" | b"!fatal") => {
                        return Err(format!("router refused: {sentence:?}").into());
                    }
                    _ => each(&sentence),
                }
            }
            let n = self.stream.read(&mut self.buf)?;
            if n == 0 {
                return Err("connection closed".into());
            }
            self.received += n;
            self.decoder.feed(&self.buf[..n]);
        }
    }
}

fn print_raw(target: &Target, runs: usize) -> Result<(), Error> {
    let mut raw = Raw::connect(target)?;
    let mut reply_bytes = 0;
    for _ in 0..runs {
        let start = Instant::now();
        raw.send(&[b"/ppp/secret/print".as_slice()])?;
        let mut rows = 0;
        raw.until_done(|s| rows += usize::from(s.first() == Some(b"!re")))?;
        println!("print {:.3} {rows}", ms(start.elapsed()));
        reply_bytes = raw.received;
    }
    println!("reply_bytes {reply_bytes}");
    Ok(())
}

fn add_remove_raw(target: &Target, iterations: usize) -> Result<(), Error> {
    let mut raw = Raw::connect(target)?;
    let start = Instant::now();
    for i in 0..iterations {
        raw.send(&[
            b"/ppp/secret/add".as_slice(),
            format!("=name=bench-raw-{i}").as_bytes(),
            b"=password=Bench-Pass-1",
            b"=service=pppoe",
            b"=profile=Basic",
        ])?;
        let done = raw.until_done(|_| {})?;
        let ret = done
            .words()
            .iter()
            .find_map(|w| w.strip_prefix(b"=ret="))
            .ok_or("add returned no id")?;
        let mut remove = b"=.id=".to_vec();
        remove.extend_from_slice(ret);
        raw.send(&[b"/ppp/secret/remove".as_slice(), &remove])?;
        raw.until_done(|_| {})?;
    }
    println!("addrm {:.3} {iterations}", ms(start.elapsed()));
    Ok(())
}
