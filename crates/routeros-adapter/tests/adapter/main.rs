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

mod mirror;
mod watch;

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
    RouterOs::new(config_with_timeout(server, command_timeout))
}

fn config_with_timeout(server: &SimServer, command_timeout: Duration) -> RouterOsConfig {
    let client = ClientConfig::new("127.0.0.1", "api", "api-secret")
        .port(server.addr().port())
        .command_timeout(command_timeout)
        .connect_timeout(Duration::from_secs(5));
    let mut config = RouterOsConfig::new("core-1", client);
    // No background reconnection: the tests count connections.
    config.backoff_initial = Duration::ZERO;
    config
}

/// Whether the router answers a look-up of john123 (one of the example users).
async fn finds_john(router: &RouterOs) -> bool {
    router
        .find_secret(&user("john123"))
        .await
        .unwrap()
        .is_some()
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
    assert_eq!(s.caller_id.as_deref(), Some("AA:BB:CC:DD:EE:01"));
    assert!(s.uptime.unwrap() >= Duration::from_secs(3 * 3600 + 25 * 60));
    assert_eq!(router.active_session("jane456").await.unwrap(), None);

    let t = router.traffic("john123").await.unwrap();
    assert!(t.is_some(), "live traffic of an online user");
    assert_eq!(router.traffic("jane456").await.unwrap(), None);

    let profiles = router.profiles().await.unwrap();
    let premium = profiles.iter().find(|p| p.name == "Premium").unwrap();
    assert_eq!(premium.rate_limit.as_deref(), Some("25M/50M"));

    assert_eq!(
        router
            .ip_users(Ipv4Addr::new(192, 168, 1, 101))
            .await
            .unwrap(),
        vec![IpUser::Secret("jane456".into())]
    );
    assert_eq!(
        router
            .ip_users(Ipv4Addr::new(192, 168, 9, 9))
            .await
            .unwrap(),
        vec![]
    );

    assert_eq!(router.kick("john123").await.unwrap(), 1);
    assert!(server.state().active_session("john123").is_none());
    assert_eq!(router.kick("john123").await.unwrap(), 0);
}

#[tokio::test]
async fn listing_filters_pages_and_counts() {
    // The router path: every listing without a mirror, and before the mirror's first load.
    listing_filters(false).await;
}

#[tokio::test]
async fn listing_filters_pages_and_counts_from_the_mirror() {
    listing_filters(true).await;
}

/// The same listings and assertions from the router and from the mirror.
async fn listing_filters(mirrored: bool) {
    let state = examples();
    state.add_seeded(300, 11);
    let (server, router) = sim(state).await;
    let router = if mirrored {
        mirror::loaded(&router).await;
        router
    } else {
        let mut config = config_with_timeout(&server, Duration::from_secs(5));
        config.mirror = None;
        RouterOs::new(config)
    };
    let secret_rows = server.state().rows_sent("/ppp/secret");
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

    // Down: enabled and without a session, with RouterOS's own disconnect reason.
    let online_name = online.items[0].secret.name.clone();
    server.state().disconnect(&online_name).unwrap();
    if mirrored {
        // A change made by someone else reaches the mirror by its listens (the session's
        // end, and the secret's last-logged-out): wait for both.
        let logged_out = server.state().secret(&online_name).unwrap().last_logged_out;
        mirror::listed_until(&router, &ListFilter::Down, |page| {
            page.items.iter().any(|i| {
                i.secret.name == online_name
                    && i.secret.last_logged_out.map(|t| t.and_utc().timestamp()) == logged_out
            })
        })
        .await;
    }
    let down = router
        .list_secrets(&ListFilter::Down, PageRequest::page(1, 500))
        .await
        .unwrap();
    assert!(down.items.iter().all(|i| !i.online && !i.secret.disabled));
    let expected_down = server
        .state()
        .secrets()
        .iter()
        .filter(|s| !s.disabled && server.state().active_session(&s.name).is_none())
        .count();
    assert_eq!(down.total, expected_down);
    let dropped = router
        .find_secret(&pppoe_core::Username::parse(&online_name).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        dropped.last_disconnect_reason.as_deref(),
        Some("peer-request")
    );

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
    if mirrored {
        // Of /ppp/secret, the router sent only the listen's row for the hang-up and the row
        // of find_secret: the listings cost it nothing.
        assert_eq!(server.state().rows_sent("/ppp/secret"), secret_rows + 2);
    }
}

#[tokio::test]
async fn a_listing_says_when_and_why_a_subscriber_dropped() {
    // `offline` shows last-logged-out and last-disconnect-reason from the listing itself.
    let (server, router) = sim(examples()).await;
    server.state().disconnect("john123").unwrap();
    let down = router
        .list_secrets(&ListFilter::Down, PageRequest::page(1, 20))
        .await
        .unwrap();
    let john = &down.items[0].secret;
    assert_eq!(john.name, "john123");
    assert!(john.last_logged_out.is_some(), "{john:?}");
    assert_eq!(john.last_disconnect_reason.as_deref(), Some("peer-request"));
    let jane = &down.items[1].secret;
    assert!(jane.last_logged_out.is_some(), "{jane:?}");
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
        assert!(
            !router
                .in_address_list("core-1", ISOLIR, HOST)
                .await
                .unwrap()
        );
        assert_eq!(
            router
                .remove_from_address_list("core-1", ISOLIR, HOST)
                .await
                .unwrap(),
            0
        );
    }
}

/// The address list of the isolation tests, and a subscriber's static IP.
const ISOLIR: &str = "isolir";
const HOST: Ipv4Addr = Ipv4Addr::new(10, 9, 0, 1);

#[tokio::test]
async fn address_list_add_find_and_remove() {
    let (server, router) = sim(examples()).await;
    assert!(
        !router
            .in_address_list("core-1", ISOLIR, HOST)
            .await
            .unwrap()
    );
    router
        .add_to_address_list("core-1", ISOLIR, HOST, "isolir budi01")
        .await
        .unwrap();
    let entries = server.state().address_list_entries(ISOLIR);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].address, "10.9.0.1");
    assert_eq!(entries[0].comment.as_deref(), Some("isolir budi01"));
    assert!(
        router
            .in_address_list("core-1", ISOLIR, HOST)
            .await
            .unwrap()
    );
    // Another list, another address: absent.
    assert!(!router.in_address_list("core-1", "vip", HOST).await.unwrap());
    let other = Ipv4Addr::new(10, 9, 0, 2);
    assert!(
        !router
            .in_address_list("core-1", ISOLIR, other)
            .await
            .unwrap()
    );

    assert_eq!(
        router
            .add_to_address_list("core-1", ISOLIR, HOST, "again")
            .await,
        Err(RouterError::AlreadyExists)
    );
    assert_eq!(server.state().address_list_entries(ISOLIR).len(), 1);

    // Found by server-side queries with a .proplist, never a print of the whole list.
    let prints: Vec<_> = server
        .state()
        .requests()
        .into_iter()
        .filter(|r| r.command == "/ip/firewall/address-list/print")
        .collect();
    assert!(!prints.is_empty());
    for print in &prints {
        for word in ["?list=", "?address=", "=.proplist="] {
            assert!(
                print.words.iter().any(|w| w.starts_with(word)),
                "{word} in {print:?}"
            );
        }
    }

    assert_eq!(
        router
            .remove_from_address_list("core-1", ISOLIR, HOST)
            .await
            .unwrap(),
        1
    );
    assert!(server.state().address_list_entries(ISOLIR).is_empty());
    assert!(
        !router
            .in_address_list("core-1", ISOLIR, HOST)
            .await
            .unwrap()
    );
    assert_eq!(
        router
            .remove_from_address_list("core-1", ISOLIR, HOST)
            .await
            .unwrap(),
        0
    );

    // An empty comment is not sent.
    server.state().clear_logs();
    router
        .add_to_address_list("core-1", ISOLIR, other, "")
        .await
        .unwrap();
    let add = server
        .state()
        .requests()
        .into_iter()
        .find(|r| r.command == "/ip/firewall/address-list/add")
        .unwrap();
    assert!(
        !add.words.iter().any(|w| w.starts_with("=comment=")),
        "{add:?}"
    );
    assert_eq!(server.state().address_list_entries(ISOLIR)[0].comment, None);
}

#[tokio::test]
async fn a_disabled_address_list_entry_is_present() {
    let (server, router) = sim(examples()).await;
    let id = server
        .state()
        .add_address_list_entry(ISOLIR, "10.9.0.1/32", Some("set by hand"))
        .unwrap();
    // The sim has no set-up method to disable an entry: disable it through the API.
    let client = ClientConfig::new("127.0.0.1", "api", "api-secret").port(server.addr().port());
    let admin = routeros_api::Client::connect(&client).await.unwrap();
    admin
        .call(
            routeros_api::Command::new("/ip/firewall/address-list/disable")
                .attr(".id", id.to_string()),
        )
        .await
        .unwrap();
    assert!(server.state().address_list_entries(ISOLIR)[0].disabled);
    assert!(
        router
            .in_address_list("core-1", ISOLIR, HOST)
            .await
            .unwrap()
    );
    assert_eq!(
        router
            .add_to_address_list("core-1", ISOLIR, HOST, "isolir budi01")
            .await,
        Err(RouterError::AlreadyExists)
    );
    assert_eq!(
        router
            .remove_from_address_list("core-1", ISOLIR, HOST)
            .await
            .unwrap(),
        1
    );
    assert!(server.state().address_list_entries(ISOLIR).is_empty());
}

#[tokio::test]
async fn a_lost_address_list_add_reply_is_re_read_and_not_repeated() {
    let (server, router) = sim(examples()).await;
    router.find_secret(&user("john123")).await.unwrap(); // connect and log in first
    server.state().clear_logs();
    server.state().inject(Fault::LoseReply(1));
    router
        .add_to_address_list("core-1", ISOLIR, HOST, "isolir budi01")
        .await
        .unwrap();
    assert_eq!(server.state().address_list_entries(ISOLIR).len(), 1);
    assert_eq!(
        server
            .state()
            .writes_to("/ip/firewall/address-list/add", "10.9.0.1"),
        1,
        "no second add"
    );
    assert_eq!(server.state().connections_accepted(), 2);
}

#[tokio::test(start_paused = true)]
async fn an_address_list_add_on_a_connection_gone_silent_is_re_read_on_a_new_one() {
    let state = examples().with_user("api", "api-secret");
    let server = SimServer::start(state).await.unwrap();
    let router = router_with_timeout(&server, Duration::from_secs(2));
    server.state().inject(Fault::ExecuteThenHangOn(
        "/ip/firewall/address-list/add".into(),
    ));
    router
        .add_to_address_list("core-1", ISOLIR, HOST, "isolir budi01")
        .await
        .unwrap();
    assert_eq!(server.state().address_list_entries(ISOLIR).len(), 1);
    assert_eq!(
        server
            .state()
            .writes_to("/ip/firewall/address-list/add", "10.9.0.1"),
        1
    );
    assert_eq!(server.state().connections_accepted(), 2);
}

#[tokio::test]
async fn a_lost_reply_to_a_duplicate_address_list_add_is_already_exists() {
    let (server, router) = sim(examples()).await;
    server
        .state()
        .add_address_list_entry(ISOLIR, "10.9.0.1", Some("set by hand"))
        .unwrap();
    router.find_secret(&user("john123")).await.unwrap();
    server.state().clear_logs();
    // The router refuses the add as a duplicate and the refusal is lost: the entry read back
    // is not ours (another comment), so the add goes once more and is refused again.
    server.state().inject(Fault::LoseReply(1));
    assert_eq!(
        router
            .add_to_address_list("core-1", ISOLIR, HOST, "isolir budi01")
            .await,
        Err(RouterError::AlreadyExists)
    );
    let entries = server.state().address_list_entries(ISOLIR);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].comment.as_deref(), Some("set by hand"));
    assert_eq!(server.state().write_count(), 0);
    assert_eq!(
        server.state().connections_accepted(),
        2,
        "the reply was lost"
    );
}

#[tokio::test(start_paused = true)]
async fn an_address_list_add_that_cannot_be_read_back_is_unconfirmed() {
    let state = examples().with_user("api", "api-secret");
    let server = SimServer::start(state).await.unwrap();
    let router = router_with_timeout(&server, Duration::from_millis(200));
    router.find_secret(&user("john123")).await.unwrap();
    server.state().clear_logs();
    server
        .state()
        .set_reply_delay(Some(Duration::from_secs(10)));
    let result = router
        .add_to_address_list("core-1", ISOLIR, HOST, "isolir budi01")
        .await;
    assert!(
        matches!(&result, Err(RouterError::Unconfirmed(text)) if text.contains("reading the router back failed")),
        "{result:?}"
    );
    assert_eq!(
        server
            .state()
            .writes_to("/ip/firewall/address-list/add", "10.9.0.1"),
        1
    );
    assert_eq!(server.state().address_list_entries(ISOLIR).len(), 1);
}

#[tokio::test]
async fn a_lost_address_list_remove_reply_is_not_an_error() {
    let (server, router) = sim(examples()).await;
    server
        .state()
        .add_address_list_entry(ISOLIR, "10.9.0.1", None)
        .unwrap();
    router.find_secret(&user("john123")).await.unwrap();
    server.state().clear_logs();
    // The print that finds the entry, then the remove whose reply is lost.
    server.state().inject(Fault::LoseReply(2));
    assert_eq!(
        router
            .remove_from_address_list("core-1", ISOLIR, HOST)
            .await
            .unwrap(),
        1
    );
    assert!(server.state().address_list_entries(ISOLIR).is_empty());
    assert_eq!(server.state().write_count(), 1);
    assert_eq!(
        server.state().connections_accepted(),
        2,
        "the reply was lost"
    );
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
    assert!(finds_john(&router).await);

    // A refused login is said as such, not as "unreachable".
    let state = examples();
    state.set_refuse_login(true);
    let (_server, router) = sim(state).await;
    match router.find_secret(&user("john123")).await {
        Err(RouterError::LoginRefused(text)) => {
            assert!(text.contains("invalid user name or password"), "{text}");
        }
        other => panic!("expected a refused login, got {other:?}"),
    }
}

#[tokio::test]
async fn reconnects_after_the_router_restarts() {
    let state = examples().with_user("api", "api-secret");
    let server = SimServer::start(state.clone()).await.unwrap();
    let addr = server.addr();
    let router = router_for(&server);
    assert!(finds_john(&router).await);
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
async fn a_listing_cut_mid_reply_is_retried_once_on_a_new_connection() {
    let state = examples();
    state.add_seeded(2000, 5);
    let (server, _) = sim(state).await;
    // The router path (listings before the mirror's first load): no mirror, whose own
    // connection would count and take the cuts.
    let mut config = config_with_timeout(&server, Duration::from_secs(5));
    config.mirror = None;
    let router = RouterOs::new(config);
    router.find_secret(&user("john123")).await.unwrap();
    server.state().inject(Fault::CloseAfterReplies(100));
    let page = router
        .list_secrets(&ListFilter::All, PageRequest::page(2, 20))
        .await
        .unwrap();
    assert_eq!(page.total, 2002);
    assert_eq!(page.items.len(), 20);
    assert_eq!(server.state().connections_accepted(), 2);
    // Cut twice in a row: a typed error, and the next listing works.
    server.state().inject(Fault::CloseAfterReplies(100));
    server.state().inject(Fault::CloseAfterReplies(300));
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
    assert!(finds_john(&router).await);
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
    // re-read cannot confirm it either. The adapter never adds twice, and says that the result
    // is unknown (it was applied), never a plain failure or timeout.
    server
        .state()
        .set_reply_delay(Some(Duration::from_secs(10)));
    let result = router.add_secret(&new_secret("budi01", None)).await;
    assert!(
        matches!(&result, Err(RouterError::Unconfirmed(text)) if text.contains("reading the router back failed")),
        "{result:?}"
    );
    assert_eq!(server.state().writes_to("/ppp/secret/add", "budi01"), 1);
    assert!(server.state().secret("budi01").is_some());
}

#[tokio::test(start_paused = true)]
async fn a_router_gone_silent_is_replaced_after_one_timeout() {
    let state = examples().with_user("api", "api-secret");
    let server = SimServer::start(state).await.unwrap();
    let router = router_with_timeout(&server, Duration::from_secs(2));
    router.find_secret(&user("john123")).await.unwrap();
    // The connection goes silent (TCP stays up); the router still accepts new connections.
    server.state().inject(Fault::Hang(1));
    assert_eq!(
        router.find_secret(&user("john123")).await,
        Err(RouterError::Timeout)
    );
    for _ in 0..3 {
        assert!(finds_john(&router).await);
    }
    assert_eq!(server.state().connections_accepted(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_write_on_a_connection_gone_silent_is_re_read_on_a_new_one() {
    let state = examples().with_user("api", "api-secret");
    let server = SimServer::start(state).await.unwrap();
    let router = router_with_timeout(&server, Duration::from_secs(2));
    router.find_secret(&user("john123")).await.unwrap();
    // The add is made, then its connection goes silent: the re-read on a fresh connection
    // finds it, so it is done, once.
    server.state().inject(Fault::ExecuteThenHang(1));
    let at = router
        .add_secret(&new_secret("budi01", None))
        .await
        .unwrap();
    assert_eq!(at, server_ref(&server, "budi01"));
    assert_eq!(server.state().writes_to("/ppp/secret/add", "budi01"), 1);
    assert_eq!(server.state().connections_accepted(), 2);
}

fn server_ref(server: &SimServer, name: &str) -> pppoe_core::SecretRef {
    pppoe_core::SecretRef {
        router: "core-1".into(),
        id: format!("*{:X}", server.state().secret(name).unwrap().id.0),
    }
}

#[tokio::test(start_paused = true)]
async fn an_idle_connection_is_checked_before_use() {
    let state = examples().with_user("api", "api-secret");
    let server = SimServer::start(state).await.unwrap();
    let mut config = config_with_timeout(&server, Duration::from_secs(30));
    config.idle_check = Some(Duration::from_secs(60));
    let router = RouterOs::new(config);
    router.find_secret(&user("john123")).await.unwrap();
    // Idle for two minutes, during which the path went silent.
    server.state().inject(Fault::Hang(1));
    tokio::time::advance(Duration::from_secs(120)).await;
    let started = tokio::time::Instant::now();
    assert!(finds_john(&router).await);
    // The check gave up after 5 s, not the command's 30 s, and the command went out on a new
    // connection.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.state().connections_accepted(), 2);
    // A connection in use is not checked again.
    let before = server.state().requests().len();
    router.find_secret(&user("john123")).await.unwrap();
    assert_eq!(server.state().requests().len(), before + 1);
}

#[tokio::test]
async fn a_command_right_after_a_failed_connect_tries_again() {
    let state = examples().with_user("api", "api-secret");
    let server = SimServer::start(state.clone()).await.unwrap();
    let addr = server.addr();
    let mut config = config_with_timeout(&server, Duration::from_secs(5));
    // A long backoff: the background reconnection will not run during the test, and a
    // command must not wait for it either.
    config.backoff_initial = Duration::from_secs(3600);
    config.backoff_max = Duration::from_secs(3600);
    let router = RouterOs::new(config);
    router.find_secret(&user("john123")).await.unwrap();
    server.shutdown().await;
    assert!(matches!(
        router.find_secret(&user("john123")).await,
        Err(RouterError::Unreachable(_))
    ));
    // The router is back (a reboot): the very next command connects.
    let server = SimServer::bind(addr, state).await.unwrap();
    assert!(finds_john(&router).await);
    // The state outlives the restart: one connection before, one after.
    assert_eq!(server.state().connections_accepted(), 2);
}

#[tokio::test(start_paused = true)]
async fn the_background_reconnection_brings_the_connection_back() {
    let state = examples().with_user("api", "api-secret");
    let server = SimServer::start(state.clone()).await.unwrap();
    let addr = server.addr();
    let mut config = config_with_timeout(&server, Duration::from_secs(5));
    config.backoff_initial = Duration::from_secs(1);
    config.backoff_max = Duration::from_secs(4);
    let router = RouterOs::new(config);
    router.find_secret(&user("john123")).await.unwrap();
    server.shutdown().await;
    assert!(router.find_secret(&user("john123")).await.is_err());
    let server = SimServer::bind(addr, state).await.unwrap();
    // The state outlives the restart: one connection before it.
    assert_eq!(server.state().connections_accepted(), 1);
    // Nobody sends a command; the reconnection's backoff elapses (1 s, then 2 s at most).
    for _ in 0..16 {
        if server.state().connections_accepted() == 2 {
            break;
        }
        tokio::time::advance(Duration::from_millis(500)).await;
        tokio::task::yield_now().await;
    }
    assert_eq!(
        server.state().connections_accepted(),
        2,
        "reconnected by itself"
    );
    router.find_secret(&user("john123")).await.unwrap();
    assert_eq!(server.state().connections_accepted(), 2, "and reused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_listings_never_deadlock_on_slots() {
    let state = examples();
    state.add_seeded(300, 3);
    let (server, _router) = sim(state).await;
    for (slots, listings) in [(16, 16), (16, 64), (1, 1), (1, 8), (2, 64)] {
        let mut config = config_with_timeout(&server, Duration::from_secs(10));
        config.max_in_flight = slots;
        let router = std::sync::Arc::new(RouterOs::new(config));
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..listings {
            let router = std::sync::Arc::clone(&router);
            tasks.spawn(async move {
                let filter = match i % 3 {
                    0 => ListFilter::All,
                    1 => ListFilter::NameContains("a".into()),
                    _ => ListFilter::Online,
                };
                router.list_secrets(&filter, PageRequest::page(1, 20)).await
            });
        }
        // A bound, not a synchronisation: with the old code this hung for ever.
        let all = tokio::time::timeout(Duration::from_secs(60), async {
            let mut done = 0;
            while let Some(result) = tasks.join_next().await {
                result.unwrap().unwrap();
                done += 1;
            }
            done
        })
        .await
        .unwrap_or_else(|_| panic!("{listings} listings on {slots} slots deadlocked"));
        assert_eq!(all, listings);
    }
}

#[tokio::test(start_paused = true)]
async fn a_full_connection_is_a_typed_busy_error() {
    let state = examples().with_user("api", "api-secret");
    let server = SimServer::start(state).await.unwrap();
    let mut config = config_with_timeout(&server, Duration::from_secs(30));
    config.max_in_flight = 1;
    config.slot_timeout = Some(Duration::from_secs(2));
    let router = std::sync::Arc::new(RouterOs::new(config));
    router.find_secret(&user("john123")).await.unwrap();
    server
        .state()
        .set_reply_delay(Some(Duration::from_secs(20)));
    let slow = {
        let router = std::sync::Arc::clone(&router);
        tokio::spawn(async move { router.find_secret(&user("john123")).await })
    };
    // Let the slow command take the only slot.
    while server.state().requests().len() < 3 {
        tokio::task::yield_now().await;
    }
    assert_eq!(
        router.find_secret(&user("jane456")).await,
        Err(RouterError::Busy(Duration::from_secs(2)))
    );
    assert!(slow.await.unwrap().unwrap().is_some());
}
