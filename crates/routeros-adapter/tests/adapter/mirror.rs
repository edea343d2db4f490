//! The mirror over real TCP against routeros-sim: listings served without the router
//! sending a row, the same pages as the router gives, changes made by others arriving by
//! `listen` (`.dead` included), the adapter's own changes in the very next listing, periodic
//! re-sync when `listen` is refused, a lost router served from the mirror and said to be
//! stale, and the mirror ending with its router.
//!
//! No sleeps: each step waits for the mirror's next change, or for its status, bounded by a
//! generous timeout; the staleness test moves a paused clock.

use std::net::Ipv4Addr;
use std::time::Duration;

use pppoe_core::{ListFilter, PageRequest, Router, SecretChange, SecretPage};
use routeros_adapter::{MirrorMode, MirrorSettings, MirrorStatus, RouterOs};
use routeros_sim::{SecretSpec, SimServer, SimState};

use super::{config_with_timeout, examples, new_secret, sim, user};

/// How long a test waits for the mirror before it fails.
const PATIENCE: Duration = Duration::from_secs(20);

/// Starts `router`'s mirror and waits until it has loaded.
pub(crate) async fn loaded(router: &RouterOs) {
    assert!(router.start_mirror(), "the router has a mirror");
    status_until(router, PATIENCE, |s| s.loaded).await;
}

/// Waits until the mirror's status satisfies `done`.
async fn status_until(
    router: &RouterOs,
    patience: Duration,
    done: impl FnMut(&MirrorStatus) -> bool,
) -> MirrorStatus {
    let mut status = router.mirror_status().expect("a mirror");
    tokio::time::timeout(patience, status.wait_for(done))
        .await
        .expect("the mirror did not get there in time")
        .expect("the mirror is gone")
        .clone()
}

/// Lists `filter` (one page of 500) until `done` holds for the page, listing again after
/// each change of the mirror.
pub(crate) async fn listed_until(
    router: &RouterOs,
    filter: &ListFilter,
    done: impl Fn(&SecretPage) -> bool,
) -> SecretPage {
    let mut status = router.mirror_status().expect("a mirror");
    tokio::time::timeout(PATIENCE, async {
        loop {
            status.borrow_and_update();
            let page = router
                .list_secrets(filter, PageRequest::page(1, 500))
                .await
                .unwrap();
            if done(&page) {
                return page;
            }
            status.changed().await.expect("the mirror is gone");
        }
    })
    .await
    .expect("the listing did not show the change in time")
}

async fn list(router: &RouterOs, filter: &ListFilter) -> SecretPage {
    router
        .list_secrets(filter, PageRequest::page(1, 500))
        .await
        .unwrap()
}

fn names(page: &SecretPage) -> Vec<&str> {
    page.items.iter().map(|i| i.secret.name.as_str()).collect()
}

fn requests_of(state: &SimState, command: &str) -> usize {
    state
        .requests()
        .iter()
        .filter(|r| r.command == command)
        .count()
}

/// A router on `server` without a mirror: "someone else" changing the router through the
/// API (another tool, Winbox), and the router path to compare with.
fn direct(server: &SimServer) -> RouterOs {
    let mut config = config_with_timeout(server, Duration::from_secs(5));
    config.mirror = None;
    RouterOs::new(config)
}

fn mirrored_with(server: &SimServer, settings: MirrorSettings) -> RouterOs {
    let mut config = config_with_timeout(server, Duration::from_secs(5));
    config.mirror = Some(settings);
    RouterOs::new(config)
}

const FILTERS: &[fn() -> ListFilter] = &[
    || ListFilter::All,
    || ListFilter::NameContains("a".into()),
    || ListFilter::NameContains("BUDI".into()),
    || ListFilter::NameContains("no such text".into()),
    || ListFilter::Profile("Premium".into()),
    || ListFilter::Profile("Basic".into()),
    || ListFilter::Profile("Gold".into()),
    || ListFilter::Enabled,
    || ListFilter::Disabled,
    || ListFilter::Online,
    || ListFilter::Offline,
    || ListFilter::Down,
];

#[tokio::test]
async fn a_second_listing_makes_the_router_send_no_secret_rows() {
    let state = examples();
    state.add_seeded(2000, 21);
    let (server, router) = sim(state).await;
    let state = server.state().clone();
    // The first listing starts the mirror and, while it loads, reads the router.
    let first = router
        .list_secrets(&ListFilter::All, PageRequest::page(1, 20))
        .await
        .unwrap();
    loaded(&router).await;
    let secret_rows = state.rows_sent("/ppp/secret");
    let active_rows = state.rows_sent("/ppp/active");
    let prints =
        requests_of(&state, "/ppp/secret/print") + requests_of(&state, "/ppp/active/print");

    let second = router
        .list_secrets(&ListFilter::All, PageRequest::page(1, 20))
        .await
        .unwrap();
    assert_eq!(second, first, "the same page, from the mirror");
    assert_eq!(second.stale_as_of, None);
    assert_eq!(
        state.rows_sent("/ppp/secret"),
        secret_rows,
        "no secret rows"
    );
    // Nor for any filter, page, or a page past the end (which printed everything before).
    for filter in FILTERS {
        for page in [1, 3, 500] {
            router
                .list_secrets(&filter(), PageRequest::page(page, 20))
                .await
                .unwrap();
        }
    }
    assert_eq!(state.rows_sent("/ppp/secret"), secret_rows);
    assert_eq!(state.rows_sent("/ppp/active"), active_rows);
    assert_eq!(
        requests_of(&state, "/ppp/secret/print") + requests_of(&state, "/ppp/active/print"),
        prints,
        "no print at all"
    );
    // 2,002 secrets: at least their 48-byte entries, far from 500 bytes each.
    let bytes = router.mirror_heap_bytes().unwrap();
    assert!((2002 * 48..2002 * 500).contains(&bytes), "{bytes}");
    let status = router.mirror_status().unwrap().borrow().clone();
    assert_eq!(status.mode, MirrorMode::Listening);
    assert_eq!(
        (status.secrets, status.sessions),
        (2002, state.active_count())
    );
    assert_eq!(status.loads, 1);
}

#[tokio::test]
async fn every_filter_and_page_from_the_mirror_is_what_the_router_says() {
    let state = examples();
    state.add_seeded(2000, 5);
    let (server, router) = sim(state).await;
    loaded(&router).await;
    let direct = direct(&server);
    assert!(!direct.start_mirror(), "no mirror configured");
    assert!(direct.mirror_status().is_none());
    for filter in FILTERS {
        let filter = filter();
        for (page, size) in [(1, 20), (2, 20), (7, 20), (101, 20), (1, 500), (5, 500)] {
            let request = PageRequest::page(page, size);
            let from_mirror = router.list_secrets(&filter, request).await.unwrap();
            let from_router = direct.list_secrets(&filter, request).await.unwrap();
            assert_eq!(from_mirror, from_router, "{filter:?} page {page} of {size}");
        }
    }
}

#[tokio::test]
async fn changes_made_elsewhere_reach_the_next_listings() {
    let (server, router) = sim(examples()).await;
    let state = server.state().clone();
    loaded(&router).await;
    let other = direct(&server);
    let ext = || ListFilter::NameContains("ext01".into());

    // Added on the router (not through this adapter).
    state
        .add_secret(
            SecretSpec::new("ext01", "pw")
                .service("pppoe")
                .profile("Basic")
                .comment("Ext One"),
        )
        .unwrap();
    let page = listed_until(&router, &ext(), |p| p.total == 1).await;
    assert_eq!(page.items[0].secret.profile, "Basic");
    assert_eq!(page.items[0].secret.comment.as_deref(), Some("Ext One"));
    assert!(!page.items[0].online);

    // Changed by someone else through the API.
    let at = other.find_secret(&user("ext01")).await.unwrap().unwrap().at;
    other
        .update_secret(&at, &SecretChange::Profile("VIP".into()))
        .await
        .unwrap();
    listed_until(&router, &ext(), |p| {
        p.items.first().is_some_and(|i| i.secret.profile == "VIP")
    })
    .await;

    // Online, then offline (the session's `.dead` row, and the secret's new logout).
    state.connect("ext01").unwrap();
    let page = listed_until(&router, &ListFilter::Online, |p| {
        names(p).contains(&"ext01")
    })
    .await;
    assert!(page.items.iter().all(|i| i.online));
    state.disconnect("ext01").unwrap();
    let page = listed_until(&router, &ListFilter::Down, |p| {
        p.items.iter().any(|i| {
            i.secret.name == "ext01"
                && i.secret.last_disconnect_reason.as_deref() == Some("peer-request")
        })
    })
    .await;
    assert!(page.items.iter().all(|i| !i.online));

    // Removed: the secret's `.dead` row.
    other.remove_secret(&at).await.unwrap();
    listed_until(&router, &ext(), |p| p.total == 0).await;
    assert!(state.secret("ext01").is_none());

    // And the adapter's own add, while listening, is in the very next listing.
    router
        .add_secret(&new_secret("budi01", None))
        .await
        .unwrap();
    let page = list(&router, &ListFilter::NameContains("budi01".into())).await;
    assert_eq!(names(&page), ["budi01"]);
}

#[tokio::test]
async fn the_adapters_own_changes_are_in_the_very_next_listing() {
    // With listen refused and an hour between re-syncs, only the adapter's own writes can
    // change what the mirror serves: each must be in the listing right after it.
    let state = examples();
    state.set_refuse_listen(true);
    let server = SimServer::start(state.with_user("api", "api-secret"))
        .await
        .unwrap();
    let state = server.state().clone();
    let router = mirrored_with(
        &server,
        MirrorSettings {
            resync_every: Duration::from_secs(3600),
            stale_after: Duration::from_secs(7200),
            ..MirrorSettings::default()
        },
    );
    loaded(&router).await;
    status_until(&router, PATIENCE, |s| s.mode == MirrorMode::Polling).await;
    let secret_rows = state.rows_sent("/ppp/secret");
    let budi = || ListFilter::NameContains("budi01".into());

    let at = router
        .add_secret(&new_secret("budi01", Some([10, 9, 0, 1])))
        .await
        .unwrap();
    let page = list(&router, &budi()).await;
    assert_eq!(page.total, 1);
    let s = &page.items[0].secret;
    assert_eq!(s.at, at);
    assert_eq!(
        (s.profile.as_str(), s.remote_address, s.comment.as_deref()),
        (
            "Premium",
            Some(Ipv4Addr::new(10, 9, 0, 1)),
            Some("Budi - Jl. Mawar 1")
        )
    );
    assert!(!s.disabled && !page.items[0].online);
    // Served from the mirror indeed: a secret added elsewhere is not there (until the
    // re-sync an hour away).
    state
        .add_secret(SecretSpec::new("ext02", "pw").service("pppoe"))
        .unwrap();
    assert_eq!(list(&router, &ListFilter::All).await.total, 3);

    router
        .update_secret(&at, &SecretChange::Disabled(true))
        .await
        .unwrap();
    assert_eq!(
        names(&list(&router, &ListFilter::Disabled).await),
        ["budi01"]
    );
    router
        .update_secret(&at, &SecretChange::Profile("VIP".into()))
        .await
        .unwrap();
    router
        .update_secret(&at, &SecretChange::RemoteAddress(None))
        .await
        .unwrap();
    router
        .update_secret(&at, &SecretChange::Comment(None))
        .await
        .unwrap();
    let s = list(&router, &budi()).await.items.remove(0).secret;
    assert_eq!(
        (s.profile.as_str(), s.remote_address, s.comment.as_deref()),
        ("VIP", None, None)
    );
    // The listing says what the router says.
    let direct = direct(&server);
    let on_router = direct.find_secret(&user("budi01")).await.unwrap().unwrap();
    assert_eq!(
        (
            on_router.profile,
            on_router.remote_address,
            on_router.comment,
            on_router.disabled
        ),
        (s.profile, s.remote_address, s.comment, s.disabled)
    );

    assert_eq!(
        names(&list(&router, &ListFilter::Online).await),
        ["john123"]
    );
    assert_eq!(router.kick("john123").await.unwrap(), 1);
    assert!(list(&router, &ListFilter::Online).await.items.is_empty());

    router.remove_secret(&at).await.unwrap();
    assert_eq!(list(&router, &budi()).await.total, 0);
    // Of /ppp/secret the router sent only the row of `direct`'s look-up: the writes answer
    // with `!done`, the listings come from the mirror.
    assert_eq!(state.rows_sent("/ppp/secret"), secret_rows + 1);
}

#[tokio::test]
async fn a_refused_listen_falls_back_to_periodic_resync() {
    let state = examples();
    state.set_refuse_listen(true);
    let server = SimServer::start(state.with_user("api", "api-secret"))
        .await
        .unwrap();
    let state = server.state().clone();
    let router = mirrored_with(
        &server,
        MirrorSettings {
            resync_every: Duration::from_millis(50),
            ..MirrorSettings::default()
        },
    );
    loaded(&router).await;
    let loads = status_until(&router, PATIENCE, |s| s.mode == MirrorMode::Polling)
        .await
        .loads;
    state
        .add_secret(SecretSpec::new("ext01", "pw").service("pppoe"))
        .unwrap();
    listed_until(&router, &ListFilter::NameContains("ext01".into()), |p| {
        p.total == 1
    })
    .await;
    state.disconnect("john123").unwrap();
    listed_until(&router, &ListFilter::Online, |p| p.total == 0).await;
    let status = router.mirror_status().unwrap().borrow().clone();
    assert!(status.loads > loads, "{status:?}");
    assert_eq!(status.mode, MirrorMode::Polling);
    // Each re-sync read both tables; no listen was tried again on the same connection.
    assert_eq!(requests_of(&state, "/ppp/secret/listen"), 1);
    assert!(requests_of(&state, "/ppp/secret/print") >= 2);
}

#[tokio::test(start_paused = true)]
async fn a_lost_router_is_served_from_the_mirror_and_said_to_be_stale() {
    let state = examples().with_user("api", "api-secret");
    let server = SimServer::start(state.clone()).await.unwrap();
    let addr = server.addr();
    // The defaults: stale after 90 s; a check every 30 s while all is well.
    let router = RouterOs::new(config_with_timeout(&server, Duration::from_secs(5)));
    loaded(&router).await;
    assert_eq!(list(&router, &ListFilter::All).await.stale_as_of, None);
    let load = router.mirror_status().unwrap().borrow().synced_at;
    // A quiet hour: nothing changes, and the next check renews when the mirror is known to
    // match.
    tokio::time::advance(Duration::from_secs(3600)).await;
    status_until(&router, PATIENCE, |s| s.synced_at > load).await;
    let page = list(&router, &ListFilter::All).await;
    assert_eq!((page.total, page.stale_as_of), (2, None));

    server.shutdown().await;
    let lost = status_until(&router, PATIENCE, |s| s.mode == MirrorMode::Reconnecting).await;
    // Still served, and not stale yet.
    let page = list(&router, &ListFilter::All).await;
    assert_eq!((page.total, page.stale_as_of), (2, None));
    assert_eq!(
        names(&list(&router, &ListFilter::Online).await),
        ["john123"]
    );
    // Past stale_after since it last matched: served, and says since when.
    tokio::time::advance(Duration::from_secs(91)).await;
    let page = list(&router, &ListFilter::All).await;
    assert_eq!(page.total, 2);
    assert!(page.stale_as_of.is_some());
    assert_eq!(page.stale_as_of, lost.synced_at);
    let down = list(&router, &ListFilter::Down).await;
    assert_eq!(down.stale_as_of, lost.synced_at);

    // Back (with a change made meanwhile): loaded again, and fresh.
    state.connect("jane456").unwrap();
    let _server = SimServer::bind(addr, state).await.unwrap();
    // Virtual time: the backoff may be at its 30 s.
    status_until(&router, Duration::from_secs(600), |s| s.loads == 2).await;
    let page = list(&router, &ListFilter::Online).await;
    assert_eq!(names(&page), ["john123", "jane456"]);
    assert_eq!(page.stale_as_of, None);
}

#[tokio::test]
async fn dropping_the_router_ends_its_mirror() {
    let (server, router) = sim(examples()).await;
    loaded(&router).await;
    assert_eq!(server.state().open_connections(), 1, "the mirror's own");
    drop(router);
    tokio::time::timeout(PATIENCE, async {
        while server.state().open_connections() > 0 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the mirror's connection stayed open");
    // Its listens were cancelled before the connection closed.
    assert_eq!(requests_of(server.state(), "/cancel"), 2);
}
