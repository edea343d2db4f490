//! routeros-adapter against routeros-sim over real TCP: every Router operation, the query
//! discipline, trap mapping, fault modes without duplicate writes, reconnection.
#![allow(unreachable_pub)]

use std::net::Ipv4Addr;
use std::time::Duration;

use pppoe_core::{
    CustomerInfo, IpUser, ListFilter, NewSecret, PageRequest, Password, Router, RouterError,
    SecretChange, Username,
};
use routeros_adapter::{RouterOs, RouterOsConfig};
use routeros_api::ClientConfig;
use routeros_sim::{Fault, SimServer, SimState};

async fn sim(state: SimState) -> (SimServer, RouterOs) {
    let server = SimServer::start(state.with_user("api", "api-secret"))
        .await
        .unwrap();
    let router = router_for(&server);
    (server, router)
}

fn router_for(server: &SimServer) -> RouterOs {
    router_with_timeout(server, Duration::from_secs(5))
}

fn router_with_timeout(server: &SimServer, command_timeout: Duration) -> RouterOs {
    let client = ClientConfig::new("127.0.0.1", "api", "api-secret")
        .port(server.addr().port())
        .command_timeout(command_timeout)
        .connect_timeout(Duration::from_secs(5));
    let mut config = RouterOsConfig::new("core-1", client);
    // No waiting between connection attempts, so the reconnection test needs no sleep.
    config.backoff_initial = Duration::ZERO;
    config.backoff_max = Duration::ZERO;
    RouterOs::new(config)
}

fn examples() -> SimState {
    let state = SimState::new();
    state.add_example_users().unwrap();
    state
}

fn user(name: &str) -> Username {
    Username::parse(name).unwrap()
}

fn new_secret(name: &str, ip: Option<[u8; 4]>) -> NewSecret {
    NewSecret {
        name: user(name),
        password: Password::parse("password123").unwrap(),
        profile: "Premium".into(),
        remote_address: ip.map(Ipv4Addr::from),
        comment: CustomerInfo::parse("Budi - Jl. Mawar 1").unwrap(),
        router: None,
    }
}

#[tokio::test]
async fn find_uses_a_server_side_query() {
    let state = examples();
    state.add_seeded(500, 7);
    let (server, router) = sim(state).await;
    let john = router.find_secret(&user("john123")).await.unwrap().unwrap();
    assert_eq!(john.name, "john123");
    assert_eq!(john.profile, "Premium");
    assert_eq!(john.remote_address, Some(Ipv4Addr::new(192, 168, 1, 100)));
    assert_eq!(john.comment.as_deref(), Some("John Doe"));
    assert!(!john.disabled);
    assert_eq!(john.at.router, "core-1");
    let jane = router.find_secret(&user("jane456")).await.unwrap().unwrap();
    assert!(jane.last_logged_out.is_some(), "{jane:?}");
    assert_eq!(jane.last_caller_id.as_deref(), Some("E4:8D:8C:65:43:21"));
    assert_eq!(router.find_secret(&user("ghost")).await.unwrap(), None);
    let prints: Vec<_> = server
        .state()
        .requests()
        .into_iter()
        .filter(|r| r.command == "/ppp/secret/print")
        .collect();
    assert_eq!(prints.len(), 3);
    assert!(
        prints
            .iter()
            .all(|r| r.words.iter().any(|w| w.starts_with("?name=")))
    );
    assert!(
        prints
            .iter()
            .all(|r| r.words.iter().any(|w| w.starts_with("=.proplist=")))
    );
}

#[tokio::test]
async fn add_update_remove_round_trip() {
    let (server, router) = sim(examples()).await;
    let at = router
        .add_secret(&new_secret("budi01", Some([10, 9, 0, 1])))
        .await
        .unwrap();
    let s = server.state().secret("budi01").unwrap();
    assert_eq!(s.service, "pppoe");
    assert_eq!(s.password, "password123");
    assert_eq!(s.remote_address, Some(Ipv4Addr::new(10, 9, 0, 1)));
    assert_eq!(
        s.local_address, None,
        "the static IP is the subscriber's side"
    );
    assert_eq!(s.comment.as_deref(), Some("Budi - Jl. Mawar 1"));

    for change in [
        SecretChange::Profile("VIP".into()),
        SecretChange::Password(Password::parse("newpass456").unwrap()),
        SecretChange::RemoteAddress(Some(Ipv4Addr::new(10, 9, 0, 2))),
        SecretChange::Comment(CustomerInfo::parse("Budi Baru").unwrap()),
        SecretChange::Disabled(true),
    ] {
        router.update_secret(&at, &change).await.unwrap();
    }
    let s = server.state().secret("budi01").unwrap();
    assert_eq!(s.profile, "VIP");
    assert_eq!(s.password, "newpass456");
    assert_eq!(s.remote_address, Some(Ipv4Addr::new(10, 9, 0, 2)));
    assert_eq!(s.comment.as_deref(), Some("Budi Baru"));
    assert!(s.disabled);
    router
        .update_secret(&at, &SecretChange::RemoteAddress(None))
        .await
        .unwrap();
    router
        .update_secret(&at, &SecretChange::Comment(None))
        .await
        .unwrap();
    let s = server.state().secret("budi01").unwrap();
    assert_eq!(s.remote_address, None);
    assert_eq!(s.comment.as_deref().unwrap_or(""), "");

    router.remove_secret(&at).await.unwrap();
    assert!(server.state().secret("budi01").is_none());
}

#[tokio::test]
async fn traps_are_typed() {
    let (_server, router) = sim(examples()).await;
    assert_eq!(
        router.add_secret(&new_secret("john123", None)).await,
        Err(RouterError::AlreadyExists)
    );
    let mut bad = new_secret("budi02", None);
    bad.profile = "Gold".into();
    assert_eq!(
        router.add_secret(&bad).await,
        Err(RouterError::UnknownProfile)
    );
    let gone = pppoe_core::SecretRef {
        router: "core-1".into(),
        id: "*FFFF".into(),
    };
    assert_eq!(
        router.remove_secret(&gone).await,
        Err(RouterError::NotFound)
    );
}

#[tokio::test]
async fn sessions_kick_traffic_profiles_and_ip_users() {
    let (server, router) = sim(examples()).await;
    let s = router.active_session("john123").await.unwrap().unwrap();
    assert_eq!(s.address, Some(Ipv4Addr::new(192, 168, 1, 100)));
    assert_eq!(s.caller_id.as_deref(), Some("E4:8D:8C:12:34:56"));
    assert!(s.uptime.unwrap() >= Duration::from_secs(2 * 86_400));
    assert_eq!(router.active_session("jane456").await.unwrap(), None);

    let t = router.traffic("john123").await.unwrap();
    assert!(t.is_some(), "live traffic of an online user");
    assert_eq!(router.traffic("jane456").await.unwrap(), None);

    let profiles = router.profiles().await.unwrap();
    let premium = profiles.iter().find(|p| p.name == "Premium").unwrap();
    assert_eq!(premium.rate_limit.as_deref(), Some("25M/50M"));

    assert_eq!(
        router
            .ip_user(Ipv4Addr::new(192, 168, 1, 101))
            .await
            .unwrap(),
        Some(IpUser::Secret("jane456".into()))
    );
    assert_eq!(
        router.ip_user(Ipv4Addr::new(192, 168, 9, 9)).await.unwrap(),
        None
    );

    assert_eq!(router.kick("john123").await.unwrap(), 1);
    assert!(server.state().active_session("john123").is_none());
    assert_eq!(router.kick("john123").await.unwrap(), 0);
}

#[tokio::test]
async fn listing_filters_pages_and_counts() {
    let state = examples();
    state.add_seeded(300, 11);
    let (server, router) = sim(state).await;
    let all = router
        .list_secrets(&ListFilter::All, PageRequest::page(1, 20))
        .await
        .unwrap();
    assert_eq!(all.total, 302);
    assert_eq!(all.items.len(), 20);
    assert_eq!(
        all.items[0].secret.name, "john123",
        "router order: creation order"
    );
    assert!(all.items[0].online);
    assert!(!all.items[1].online);

    let last = router
        .list_secrets(&ListFilter::All, PageRequest::page(16, 20))
        .await
        .unwrap();
    assert_eq!(last.items.len(), 2);

    let premium = router
        .list_secrets(
            &ListFilter::Profile("Premium".into()),
            PageRequest::page(1, 500),
        )
        .await
        .unwrap();
    let expected = server
        .state()
        .secrets()
        .iter()
        .filter(|s| s.profile == "Premium")
        .count();
    assert_eq!(premium.total, expected);
    assert!(premium.items.iter().all(|i| i.secret.profile == "Premium"));

    let online = router
        .list_secrets(&ListFilter::Online, PageRequest::page(1, 500))
        .await
        .unwrap();
    assert_eq!(online.total, server.state().active_count());
    assert!(online.items.iter().all(|i| i.online));
    let offline = router
        .list_secrets(&ListFilter::Offline, PageRequest::page(1, 500))
        .await
        .unwrap();
    assert_eq!(online.total + offline.total, 302);

    let disabled = router
        .list_secrets(&ListFilter::Disabled, PageRequest::page(1, 500))
        .await
        .unwrap();
    assert!(disabled.items.iter().all(|i| i.secret.disabled));
    let enabled = router
        .list_secrets(&ListFilter::Enabled, PageRequest::page(1, 500))
        .await
        .unwrap();
    assert_eq!(enabled.total + disabled.total, 302);

    let jo = router
        .list_secrets(
            &ListFilter::NameContains("JOHN".into()),
            PageRequest::page(1, 20),
        )
        .await
        .unwrap();
    assert!(
        jo.items
            .iter()
            .all(|i| i.secret.name.to_lowercase().contains("john"))
    );
    assert!(jo.total >= 1);
}

#[tokio::test]
async fn empty_prints_work_with_and_without_the_empty_reply() {
    for empty in [true, false] {
        let state = SimState::new();
        state.set_empty_replies(empty);
        let (_server, router) = sim(state).await;
        assert_eq!(router.find_secret(&user("ghost")).await.unwrap(), None);
        let page = router
            .list_secrets(&ListFilter::All, PageRequest::page(1, 20))
            .await
            .unwrap();
        assert_eq!((page.total, page.items.len()), (0, 0));
        assert_eq!(router.kick("ghost").await.unwrap(), 0);
    }
}

#[tokio::test]
async fn a_lost_add_reply_is_re_read_and_not_repeated() {
    let (server, router) = sim(examples()).await;
    router.find_secret(&user("john123")).await.unwrap(); // connect and log in first
    server.state().clear_logs();
    server.state().inject(Fault::LoseReply(1));
    let at = router
        .add_secret(&new_secret("budi01", None))
        .await
        .unwrap();
    assert_eq!(
        server.state().writes_to("/ppp/secret/add", "budi01"),
        1,
        "no duplicate add"
    );
    assert_eq!(
        server.state().secret("budi01").unwrap().id.to_string(),
        at.id
    );
}

#[tokio::test]
async fn a_write_cut_before_it_ran_is_sent_again_once() {
    let (server, router) = sim(examples()).await;
    router.find_secret(&user("john123")).await.unwrap();
    server.state().clear_logs();
    server.state().inject(Fault::CloseOnRequest(1));
    let at = router
        .find_secret(&user("jane456"))
        .await
        .unwrap()
        .unwrap()
        .at;
    server.state().inject(Fault::CloseOnRequest(1));
    router
        .update_secret(&at, &SecretChange::Profile("VIP".into()))
        .await
        .unwrap();
    assert_eq!(server.state().secret("jane456").unwrap().profile, "VIP");
    assert_eq!(server.state().writes_to("/ppp/secret/set", "jane456"), 1);
}

#[tokio::test]
async fn a_lost_remove_reply_is_not_an_error() {
    let (server, router) = sim(examples()).await;
    let at = router
        .find_secret(&user("jane456"))
        .await
        .unwrap()
        .unwrap()
        .at;
    server.state().clear_logs();
    server.state().inject(Fault::LoseReply(1));
    router.remove_secret(&at).await.unwrap();
    assert!(server.state().secret("jane456").is_none());
    assert_eq!(server.state().write_count(), 1);
}

#[tokio::test]
async fn fatal_and_refused_login_are_typed_errors() {
    let (server, router) = sim(examples()).await;
    router.find_secret(&user("john123")).await.unwrap();
    server.state().inject(Fault::FatalOnRequest {
        n: 1,
        message: "session terminated on request".into(),
    });
    // A read is retried once on a fresh connection.
    assert!(
        router
            .find_secret(&user("john123"))
            .await
            .unwrap()
            .is_some()
    );

    let state = examples();
    state.set_refuse_login(true);
    let (_server, router) = sim(state).await;
    match router.find_secret(&user("john123")).await {
        Err(RouterError::Unreachable(text)) => assert!(text.contains("login"), "{text}"),
        other => panic!("expected a login failure, got {other:?}"),
    }
}

#[tokio::test]
async fn reconnects_after_the_router_restarts() {
    let state = examples().with_user("api", "api-secret");
    let server = SimServer::start(state.clone()).await.unwrap();
    let addr = server.addr();
    let router = router_for(&server);
    assert!(
        router
            .find_secret(&user("john123"))
            .await
            .unwrap()
            .is_some()
    );
    server.shutdown().await;
    assert!(matches!(
        router.find_secret(&user("john123")).await,
        Err(RouterError::Unreachable(_))
    ));
    let _again = SimServer::bind(addr, state).await.unwrap();
    let found = router.find_secret(&user("john123")).await.unwrap();
    assert!(found.is_some(), "reconnected");
}

#[tokio::test]
async fn health_check_reports_identity() {
    let (_server, router) = sim(examples()).await;
    let h = router.health().await.unwrap();
    assert!(!h.identity.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_operations_share_one_connection() {
    let state = examples();
    state.add_seeded(200, 3);
    let (server, router) = sim(state).await;
    let router = std::sync::Arc::new(router);
    let mut tasks = Vec::new();
    for i in 0..100 {
        let router = router.clone();
        tasks.push(tokio::spawn(async move {
            let name = format!("con{i:03}");
            router.add_secret(&new_secret(&name, None)).await.unwrap();
            router
                .find_secret(&Username::parse(&name).unwrap())
                .await
                .unwrap()
                .unwrap()
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(server.state().secret_count(), 302);
    assert_eq!(server.state().connections_accepted(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_slow_router_times_out_with_a_typed_error() {
    let state = examples().with_user("api", "api-secret");
    let server = SimServer::start(state).await.unwrap();
    let router = router_with_timeout(&server, Duration::from_millis(200));
    router.find_secret(&user("john123")).await.unwrap();
    server
        .state()
        .set_reply_delay(Some(Duration::from_secs(10)));
    assert_eq!(
        router.find_secret(&user("john123")).await,
        Err(RouterError::Timeout)
    );
}

#[tokio::test]
async fn a_listing_cut_mid_reply_is_a_typed_error_and_the_next_one_works() {
    let state = examples();
    state.add_seeded(2000, 5);
    let (server, router) = sim(state).await;
    router.find_secret(&user("john123")).await.unwrap();
    server.state().inject(Fault::CloseAfterReplies(100));
    let cut = router
        .list_secrets(&ListFilter::All, PageRequest::page(1, 20))
        .await;
    assert!(matches!(cut, Err(RouterError::Unreachable(_))), "{cut:?}");
    let page = router
        .list_secrets(&ListFilter::All, PageRequest::page(1, 20))
        .await
        .unwrap();
    assert_eq!(page.total, 2002);
}

#[tokio::test]
async fn legacy_md5_login_works_through_the_adapter() {
    let state = examples();
    state.set_legacy_login(true);
    let (server, router) = sim(state).await;
    assert!(
        router
            .find_secret(&user("john123"))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        server
            .state()
            .requests()
            .iter()
            .any(|r| r.command == "/login")
    );
}

#[tokio::test(start_paused = true)]
async fn a_write_whose_reply_is_late_is_never_repeated() {
    let state = examples().with_user("api", "api-secret");
    let server = SimServer::start(state).await.unwrap();
    let router = router_with_timeout(&server, Duration::from_millis(200));
    router.find_secret(&user("john123")).await.unwrap();
    server.state().clear_logs();
    // The router applies the add at once but answers too late, and keeps answering late: the
    // re-read cannot confirm it either, so the adapter reports a timeout without adding twice.
    server
        .state()
        .set_reply_delay(Some(Duration::from_secs(10)));
    let result = router.add_secret(&new_secret("budi01", None)).await;
    assert_eq!(result, Err(RouterError::Timeout));
    assert_eq!(server.state().writes_to("/ppp/secret/add", "budi01"), 1);
    assert!(server.state().secret("budi01").is_some());
}
