//! The adapter over loopback against routeros-sim seeded with 20,000 subscribers:
//! checkpppoe's read path (find one secret by name; target: median under 2 ms) and one page of
//! a filtered listing read from the router (the whole table streams through, one page is
//! kept; listings from the mirror are `benches/mirror.rs`).
//!
//! Run: `cargo bench -p routeros-adapter --bench adapter`.

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use pppoe_core::{ListFilter, PageRequest, Router, Username};
use routeros_adapter::{RouterOs, RouterOsConfig};
use routeros_api::ClientConfig;
use routeros_sim::{SimServer, SimState};

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (server, router) = rt.block_on(async {
        let state = SimState::seeded(20_000, 42).with_user("api", "api-secret");
        state.add_example_users().unwrap();
        let server = SimServer::start(state).await.unwrap();
        let client = ClientConfig::new("127.0.0.1", "api", "api-secret")
            .port(server.addr().port())
            .command_timeout(Duration::from_secs(30));
        let mut config = RouterOsConfig::new("bench", client);
        // The router path: with the mirror (on by default) the listing below would be served
        // from memory after its first run. `benches/mirror.rs` compares the two.
        config.mirror = None;
        let router = RouterOs::new(config);
        (server, router)
    });
    let john = Username::parse("john123").unwrap();
    let mut group = c.benchmark_group("adapter_20000");
    group.bench_function("find_secret (checkpppoe read path)", |b| {
        b.to_async(&rt)
            .iter(|| async { router.find_secret(&john).await.unwrap().unwrap() });
    });
    group.bench_function("active_session", |b| {
        b.to_async(&rt)
            .iter(|| async { router.active_session("john123").await.unwrap() });
    });
    group.sample_size(10);
    group.bench_function("list page 3 of name filter", |b| {
        b.to_async(&rt).iter(|| async {
            router
                .list_secrets(
                    &ListFilter::NameContains("a".into()),
                    PageRequest::page(3, 20),
                )
                .await
                .unwrap()
        });
    });
    group.finish();
    rt.block_on(server.shutdown());
}

criterion_group!(benches, bench);
criterion_main!(benches);
