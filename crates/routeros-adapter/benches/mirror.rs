//! Listings from the mirror against listings from the router, with 20,000 secrets in
//! routeros-sim over loopback, side by side in one run: the rows the router sends per
//! listing after warm-up, the listing's latency, and the mirror's memory.
//!
//! Run: `cargo bench -p routeros-adapter --bench mirror` (the simulator in this process: rows
//! are counted by it, and its share of the process's memory is in the RSS figures), or
//! `bash bench/mirror.sh`, which starts routeros-sim as a process of its own and sets
//! `MIRROR_BENCH_ROUTER=host:port`, so that the resident memory measured here is the bot's
//! side only (no row counts then: the counter is in the simulator's process). `ROUNDS`
//! (default 30) sets the listings timed per filter and path.

use std::time::{Duration, Instant};

use pppoe_core::{ListFilter, PageRequest, Router, SecretPage};
use routeros_adapter::{RouterOs, RouterOsConfig};
use routeros_api::ClientConfig;
use routeros_sim::{SimServer, SimState};

const USERS: usize = 20_000;

/// The listings compared: (label, filter, page of 20).
fn listings() -> Vec<(&'static str, ListFilter, u32)> {
    vec![
        ("`pppoe` (all, page 1)", ListFilter::All, 1),
        ("`pppoe 2000` (a page past the end)", ListFilter::All, 2000),
        (
            "`pppoe a 3` (name filter, page 3)",
            ListFilter::NameContains("a".into()),
            3,
        ),
        ("`pppoe online`", ListFilter::Online, 1),
        ("`offline` (enabled, no session)", ListFilter::Down, 1),
    ]
}

/// This process's `VmRSS` and `VmHWM`, in KiB.
fn rss() -> (u64, u64) {
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

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn router(client: &ClientConfig, mirror: bool) -> RouterOs {
    let mut config = RouterOsConfig::new("bench", client.clone());
    if !mirror {
        config.mirror = None;
    }
    RouterOs::new(config)
}

async fn list(router: &RouterOs, filter: &ListFilter, page: u32) -> SecretPage {
    router
        .list_secrets(filter, PageRequest::page(page, 20))
        .await
        .unwrap()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    // Nearest rank.
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1e3)
}

fn main() {
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(30);
    let external = std::env::var("MIRROR_BENCH_ROUTER").ok();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (server, client) = match &external {
            Some(addr) => {
                let (host, port) = addr.rsplit_once(':').expect("MIRROR_BENCH_ROUTER=host:port");
                let client = ClientConfig::new(host, "api", "api-secret")
                    .port(port.parse().expect("a port"))
                    .command_timeout(Duration::from_secs(60));
                (None, client)
            }
            None => {
                let state = SimState::seeded(USERS, 42).with_user("api", "api-secret");
                state.add_example_users().unwrap();
                let server = SimServer::start(state).await.unwrap();
                let client = ClientConfig::new("127.0.0.1", "api", "api-secret")
                    .port(server.addr().port())
                    .command_timeout(Duration::from_secs(60));
                (Some(server), client)
            }
        };
        let state = server.as_ref().map(|s| s.state().clone());
        let mirrored = router(&client, true);
        let direct = router(&client, false);

        // ---- memory: before anything listed through the router path --------------------
        // The mirrored router's command connection is made (a look-up), so that what the
        // mirror adds is the mirror: its connection and its tables.
        mirrored.health().await.unwrap();
        let (before, _) = rss();
        let started = Instant::now();
        assert!(mirrored.start_mirror());
        let mut status = mirrored.mirror_status().unwrap();
        let loaded = status.wait_for(|s| s.loaded).await.unwrap().clone();
        let load_time = started.elapsed();
        let heap = mirrored.mirror_heap_bytes().unwrap();
        let (after_load, _) = rss();
        for i in 0..1000 {
            let (_, filter, page) = &listings()[i % 5];
            list(&mirrored, filter, *page).await;
        }
        let (after_listings, peak) = rss();

        // ---- rows sent per listing after warm-up ------------------------------------------
        let mut rows = Vec::new();
        if let Some(state) = &state {
            for (label, filter, page) in listings() {
                // Warm-up: the first listing of each.
                list(&direct, &filter, page).await;
                list(&mirrored, &filter, page).await;
                let count = || {
                    (
                        state.rows_sent("/ppp/secret"),
                        state.rows_sent("/ppp/active"),
                    )
                };
                let a = count();
                let from_router = list(&direct, &filter, page).await;
                let b = count();
                let from_mirror = list(&mirrored, &filter, page).await;
                let c = count();
                assert_eq!(from_router, from_mirror, "{label}: the same page");
                rows.push((label, (b.0 - a.0, b.1 - a.1), (c.0 - b.0, c.1 - b.1)));
            }
        }

        // ---- latency, the two paths alternating -------------------------------------------
        let mut latency = Vec::new();
        for (label, filter, page) in listings() {
            let (mut router_times, mut mirror_times) = (Vec::new(), Vec::new());
            for _ in 0..rounds {
                let t = Instant::now();
                list(&direct, &filter, page).await;
                router_times.push(t.elapsed());
                let t = Instant::now();
                list(&mirrored, &filter, page).await;
                mirror_times.push(t.elapsed());
            }
            router_times.sort();
            mirror_times.sort();
            latency.push((label, router_times, mirror_times));
        }

        // ---- report -------------------------------------------------------------------------
        println!(
            "\n{} secrets ({} online); simulator {}; {} rounds per listing and path\n",
            loaded.secrets,
            loaded.sessions,
            if external.is_some() {
                "in its own process"
            } else {
                "in this process"
            },
            rounds
        );
        if !rows.is_empty() {
            println!("Rows the router sent per listing, after warm-up (/ppp/secret + /ppp/active):\n");
            println!("| listing | from the router | from the mirror |");
            println!("|---|---:|---:|");
            for (label, (rs, ra), (ms_, ma)) in &rows {
                println!("| {label} | {rs} + {ra} | {ms_} + {ma} |");
            }
            println!();
        }
        println!("Listing latency (ms; median, p90):\n");
        println!("| listing | router median | router p90 | mirror median | mirror p90 | router / mirror (medians) |");
        println!("|---|---:|---:|---:|---:|---:|");
        for (label, r, m) in &latency {
            let (rm, mm) = (percentile(r, 0.5), percentile(m, 0.5));
            println!(
                "| {label} | {} | {} | {} | {} | {:.0}x |",
                ms(rm),
                ms(percentile(r, 0.9)),
                ms(mm),
                ms(percentile(m, 0.9)),
                rm.as_secs_f64() / mm.as_secs_f64().max(1e-9)
            );
        }
        println!("\nThe mirror's memory:\n");
        println!("| measure | value |");
        println!("|---|---:|");
        println!(
            "| tables on the heap (`mirror_heap_bytes`): {} secrets, {} sessions | {:.2} MiB ({} bytes a secret) |",
            loaded.secrets,
            loaded.sessions,
            heap as f64 / (1 << 20) as f64,
            heap / loaded.secrets.max(1)
        );
        println!(
            "| process VmRSS, mirror started and loaded, minus before | {:.1} MiB |",
            mib(after_load.saturating_sub(before))
        );
        println!(
            "| the same after 1,000 listings from the mirror | {:.1} MiB |",
            mib(after_listings.saturating_sub(before))
        );
        println!(
            "| process VmRSS before the mirror / its peak (VmHWM) so far | {:.1} / {:.1} MiB |",
            mib(before),
            mib(peak)
        );
        println!("| first load (connect, listen, print both) | {load_time:.2?} |");
        if let Some(server) = server {
            server.shutdown().await;
        }
    });
}
