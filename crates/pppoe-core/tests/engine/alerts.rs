//! Online/offline alerts through the engine: `pantau`, `stop pantau`, the alerts the session
//! watcher's events raise (addressed, audited once), goldens in both languages. Time is the
//! manual clock's: nothing waits.

use std::time::Duration;

use futures::executor::block_on;
use pppoe_core::alerts::AlertSettings;
use pppoe_core::testing::FakeRouter;
use pppoe_core::{EngineConfig, Language, Outcome, Role, SessionEvent};

use crate::golden::golden;
use crate::harness::{ADMIN, Bot, TECH, config};

const ADMIN_CHAT: &str = "+6281234567890";
const TECH_CHAT: &str = "+6281311112222";

fn bot(language: Language, alerts: AlertSettings) -> Bot {
    Bot::new(
        FakeRouter::with_spec_users(),
        EngineConfig {
            language,
            alerts,
            ..config()
        },
    )
}

fn snapshot(names: &[&str]) -> SessionEvent {
    SessionEvent::Snapshot {
        router: "main".into(),
        online: names.iter().map(|s| (*s).to_owned()).collect(),
    }
}

fn down(user: &str) -> SessionEvent {
    SessionEvent::Down {
        router: "main".into(),
        user: user.into(),
    }
}

fn up(user: &str) -> SessionEvent {
    SessionEvent::Up {
        router: "main".into(),
        user: user.into(),
    }
}

fn minutes(m: u64) -> Duration {
    Duration::from_secs(m * 60)
}

fn every_layout(language: Language) {
    let l = match language {
        Language::Indonesian => "id",
        Language::English => "en",
    };
    let b = bot(language, AlertSettings::default());
    // Before the router's watcher has reported: said so.
    golden(&format!("{l}/watch_not_synced"), &b.one("pantau jane456"));
    assert!(block_on(b.engine.session_event(&snapshot(&["john123"]))).is_empty());
    golden(&format!("{l}/watch"), &b.one("pantau john123"));
    golden(&format!("{l}/watch_list"), &b.one("pantau"));
    b.clock.advance(minutes(1));
    let none = block_on(b.engine.session_event(&down("john123")));
    assert!(none.is_empty(), "not at once: {none:#?}");
    b.clock.advance(minutes(5));
    let offline = block_on(b.engine.alert_tick());
    assert_eq!(offline.len(), 1);
    assert_eq!(offline[0].chat, ADMIN_CHAT);
    golden(&format!("{l}/alert_offline"), &offline[0].text);
    b.clock.advance(minutes(7));
    let back = block_on(b.engine.session_event(&up("john123")));
    assert_eq!(back.len(), 1);
    golden(&format!("{l}/alert_online"), &back[0].text);
    golden(&format!("{l}/unwatch"), &b.one("stop pantau john123"));
    golden(&format!("{l}/unwatch_not"), &b.one("stop pantau john123"));
    b.one("stoppantau jane456");
    golden(&format!("{l}/watch_list_empty"), &b.one("pantau"));
}

#[test]
fn every_alert_layout_id() {
    every_layout(Language::Indonesian);
}

#[test]
fn every_alert_layout_en() {
    every_layout(Language::English);
}

#[test]
fn an_offline_alert_after_four_minutes_is_none_after_six_one_and_audited() {
    let b = bot(Language::Indonesian, AlertSettings::default());
    block_on(b.engine.session_event(&snapshot(&["john123"])));
    b.say_as(TECH, "pantau john123");
    let before = b.events().len();
    block_on(b.engine.session_event(&down("john123")));
    b.clock.advance(minutes(4));
    assert!(block_on(b.engine.alert_tick()).is_empty(), "4 minutes");
    b.clock.advance(minutes(2));
    let sent = block_on(b.engine.alert_tick());
    assert_eq!(sent.len(), 1, "6 minutes");
    assert_eq!(sent[0].chat, TECH_CHAT, "the watcher, not the admin");
    assert!(block_on(b.engine.alert_tick()).is_empty(), "once");
    let rows = b.events();
    assert_eq!(rows.len(), before + 1, "one audit row");
    let row = rows.last().unwrap();
    assert_eq!(row.command, "alert");
    assert_eq!(row.actor_phone, "bot");
    assert_eq!(row.role, None);
    assert_eq!(row.target.as_deref(), Some("john123"));
    assert_eq!(row.router.as_deref(), Some("main"));
    assert_eq!(row.outcome, Outcome::Ok);
    assert_eq!(row.arguments, "offline [notified 6281311112222]");
}

#[test]
fn with_all_the_notify_roles_get_one_message_for_a_mass_drop() {
    let b = bot(
        Language::Indonesian,
        AlertSettings {
            all: true,
            notify: vec![Role::Admin],
            ..AlertSettings::default()
        },
    );
    let names: Vec<String> = (0..60).map(|i| format!("u{i:02}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    block_on(b.engine.session_event(&snapshot(&refs)));
    let mut sent = Vec::new();
    for name in names.iter().take(50) {
        sent.extend(block_on(b.engine.session_event(&down(name))));
        b.clock.advance(Duration::from_secs(1));
    }
    b.clock.advance(minutes(10));
    sent.extend(block_on(b.engine.alert_tick()));
    assert_eq!(sent.len(), 1, "{sent:#?}");
    assert_eq!(sent[0].chat, ADMIN_CHAT, "admins only");
    assert!(sent[0].text.contains("GANGGUAN MASSAL"));
    assert!(sent[0].text.contains("11 dari 60 user"), "{}", sent[0].text);
    assert!(sent[0].text.contains("u00, u01"));
    let alerts: Vec<_> = b
        .events()
        .into_iter()
        .filter(|e| e.command == "alert")
        .collect();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].arguments, "mass-drop [notified 6281234567890]");
}

#[test]
fn pantau_checks_the_user_on_the_router_and_a_client_cannot_watch() {
    let b = bot(Language::Indonesian, AlertSettings::default());
    let reply = b.one("pantau nobody");
    assert!(reply.contains("nobody"), "{reply}");
    assert_eq!(b.last_event().outcome, Outcome::Invalid);

    let mut config = config();
    config.clients.push(pppoe_core::ClientEntry {
        name: "billing".into(),
        role: Role::Admin,
    });
    let b = Bot::new(FakeRouter::with_spec_users(), config);
    let mut msg = b.message(ADMIN, "pantau john123");
    msg.sender = pppoe_core::Sender::client("billing");
    let reply = b.deliver(msg);
    assert!(reply[0].text.contains("nomor telepon"), "{}", reply[0].text);
    assert_eq!(b.last_event().outcome, Outcome::Invalid);
}
