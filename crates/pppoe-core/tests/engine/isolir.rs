//! `isolir`, `isolir` alone and `buka`: each method, static and dynamic IP, partial failure
//! and undo, a change made while isolated, and the replies in both languages.

use std::net::Ipv4Addr;

use futures::executor::block_on;
use pppoe_core::testing::{CallKind, FakeRouter, RouterCall};
use pppoe_core::{IsolirMethod, Language, Outcome, RouterError, TicketStore};

use super::harness::{Bot, TECH, config, strip_bold};

const JOHN_IP: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 100);

/// The spec's users, with the isolation profile on the router.
fn bot_with(method: IsolirMethod, language: Language) -> Bot {
    let router = FakeRouter::with_spec_users();
    router.add_profile("isolir");
    let mut cfg = config();
    cfg.isolir.method = method;
    cfg.language = language;
    Bot::new(router, cfg)
}

fn bot() -> Bot {
    bot_with(IsolirMethod::Profile, Language::Indonesian)
}

fn john(bot: &Bot) -> pppoe_core::Secret {
    bot.router.secret("john123").expect("john123").secret
}

fn isolated(bot: &Bot, user: &str) -> Option<pppoe_core::Isolation> {
    block_on(bot.tickets.isolation(user)).unwrap()
}

#[test]
fn isolir_by_profile_then_buka_restores_exactly() {
    let bot = bot();
    assert!(bot.router.is_online("john123"));
    let reply = bot.one("isolir john123 telat bayar");
    assert!(reply.contains("User Diisolir"), "{reply}");
    let s = john(&bot);
    assert_eq!(s.profile, "isolir");
    assert_eq!(
        s.comment.as_deref(),
        Some("ISOLIR 15/12/2024 telat bayar - John Doe")
    );
    assert!(!s.disabled);
    assert!(
        bot.router.listed("isolir", JOHN_IP),
        "static IP in the address list"
    );
    assert!(
        !bot.router.is_online("john123"),
        "kicked so that it applies"
    );
    let row = bot.last_event();
    assert_eq!((row.command.as_str(), row.outcome), ("isolir", Outcome::Ok));
    assert_eq!(row.reason.as_deref(), Some("telat bayar"));
    assert!(
        row.arguments
            .contains("before: profile=Premium disabled=no comment=John Doe"),
        "the snapshot is in the audit row: {}",
        row.arguments
    );
    let record = isolated(&bot, "john123").expect("the snapshot is kept");
    assert_eq!(record.before.profile, "Premium");
    assert_eq!(record.address_list, Some(("isolir".to_owned(), JOHN_IP)));

    let reply = bot.one("buka john123 sudah bayar");
    assert!(reply.contains("Isolir Dibuka"), "{reply}");
    let s = john(&bot);
    assert_eq!(s.profile, "Premium");
    assert_eq!(s.comment.as_deref(), Some("John Doe"));
    assert!(!bot.router.listed("isolir", JOHN_IP));
    assert_eq!(isolated(&bot, "john123"), None);
    let row = bot.last_event();
    assert_eq!((row.command.as_str(), row.outcome), ("buka", Outcome::Ok));
    assert_eq!(row.error, None);
}

#[test]
fn isolir_by_disable_of_a_dynamic_ip_user_and_back() {
    let bot = bot_with(IsolirMethod::Disable, Language::Indonesian);
    bot.router
        .insert("budi01", "password123", "Basic", None, Some("Budi"));
    bot.one("isolir budi01");
    let s = bot.router.secret("budi01").unwrap().secret;
    assert!(s.disabled);
    assert_eq!(
        (s.profile.as_str(), s.comment.as_deref()),
        ("Basic", Some("Budi"))
    );
    assert!(
        !bot.router
            .calls()
            .iter()
            .any(|c| matches!(c, RouterCall::ListAdd(..) | RouterCall::InList(..))),
        "no address list for a dynamic IP"
    );
    assert_eq!(bot.last_event().outcome, Outcome::Ok);
    bot.one("buka budi01");
    assert!(!bot.router.secret("budi01").unwrap().secret.disabled);
    assert_eq!(bot.last_event().outcome, Outcome::Ok);
}

#[test]
fn a_refused_step_undoes_the_steps_done_and_says_so() {
    let bot = bot();
    bot.router.fail_on(
        CallKind::ListAdd,
        RouterError::Rejected("not enough permissions".into()),
    );
    let reply = strip_bold(&bot.one("isolir john123 telat bayar"));
    assert!(reply.contains("Isolir Gagal"), "{reply}");
    assert!(reply.contains("dibatalkan (profile, komentar)"), "{reply}");
    let s = john(&bot);
    assert_eq!(
        (s.profile.as_str(), s.comment.as_deref()),
        ("Premium", Some("John Doe"))
    );
    assert_eq!(isolated(&bot, "john123"), None, "nothing to lift");
    let row = bot.last_event();
    assert_eq!(row.outcome, Outcome::Failed);
    assert!(
        row.error
            .as_deref()
            .unwrap()
            .contains("undone: profile, comment"),
        "{row:?}"
    );
}

#[test]
fn an_unknown_step_keeps_the_snapshot_and_buka_restores_all() {
    let bot = bot();
    bot.router.fail_after_applying(
        CallKind::ListAdd,
        RouterError::Unconfirmed("connection lost".into()),
    );
    let reply = bot.one("isolir john123 telat bayar");
    assert!(reply.contains("Hasil Belum Pasti"), "{reply}");
    assert_eq!(bot.last_event().outcome, Outcome::Unknown);
    assert!(
        isolated(&bot, "john123").is_some(),
        "the snapshot stays for buka"
    );
    bot.one("buka john123");
    let s = john(&bot);
    assert_eq!(
        (s.profile.as_str(), s.comment.as_deref()),
        ("Premium", Some("John Doe"))
    );
    assert!(!bot.router.listed("isolir", JOHN_IP));
    assert_eq!(bot.last_event().outcome, Outcome::Ok);
}

#[test]
fn buka_leaves_what_was_changed_while_isolated() {
    let bot = bot();
    bot.one("isolir john123 telat bayar");
    // Someone moves the isolated user to another package meanwhile.
    bot.one("editpppoe john123 profile basic");
    assert_eq!(john(&bot).profile, "Basic");
    let reply = strip_bold(&bot.one("buka john123"));
    assert!(
        reply.contains("Dibiarkan seperti ditemukan: profile (Basic)"),
        "{reply}"
    );
    let s = john(&bot);
    assert_eq!(s.profile, "Basic", "left as found");
    assert_eq!(
        s.comment.as_deref(),
        Some("John Doe"),
        "the comment is restored"
    );
    let row = bot.last_event();
    assert_eq!(row.outcome, Outcome::Ok);
    assert!(row.error.unwrap().contains("left as found"));
}

#[test]
fn isolir_twice_changes_nothing_the_second_time() {
    let bot = bot();
    bot.one("isolir john123");
    let writes = bot.router.writes();
    let reply = bot.one("!isolir john123");
    assert!(reply.contains("Sudah Diisolir"), "{reply}");
    assert_eq!(bot.router.writes(), writes);
    assert_eq!(bot.last_event().outcome, Outcome::Skipped);
}

#[test]
fn a_missing_isolation_profile_changes_nothing() {
    let bot = Bot::new(FakeRouter::with_spec_users(), config());
    let reply = bot.one("isolir john123");
    assert!(reply.contains("check-config"), "{reply}");
    assert_eq!(bot.router.writes(), 0);
    assert_eq!(bot.last_event().outcome, Outcome::Failed);
    assert_eq!(isolated(&bot, "john123"), None);
}

#[test]
fn technicians_may_not_isolate_by_default() {
    let bot = bot();
    bot.say_as(TECH, "isolir john123");
    assert_eq!(bot.last_event().outcome, Outcome::Denied);
    assert_eq!(bot.router.writes(), 0);
}

#[test]
fn buka_of_a_user_not_isolated_is_invalid() {
    let bot = bot();
    let reply = bot.one("buka jane456");
    assert!(reply.contains("tidak sedang diisolir"), "{reply}");
    assert_eq!(bot.last_event().outcome, Outcome::Invalid);
    assert_eq!(bot.router.writes(), 0);
}

#[test]
fn the_list_and_checkpppoe_show_isolated_users() {
    let bot = bot();
    assert!(bot.one("isolir").contains("Tidak ada user yang diisolir"));
    bot.one("isolir john123 telat bayar");
    bot.one("isolir jane456");
    let list = strip_bold(&bot.one("isolir"));
    assert!(list.contains("1. john123 (main)"), "{list}");
    assert!(list.contains("2. jane456 (main)"), "{list}");
    assert!(list.contains("Alasan: telat bayar"), "{list}");
    let check = strip_bold(&bot.one("checkpppoe john123"));
    assert!(
        check.contains("User Diisolir: sejak 15/12/2024 16:30:25 · telat bayar"),
        "{check}"
    );
}

#[test]
fn golden_isolir_and_buka_in_both_languages() {
    for (language, tag) in [(Language::Indonesian, "id"), (Language::English, "en")] {
        let bot = bot_with(IsolirMethod::Profile, language);
        super::golden::golden(
            &format!("isolir_{tag}"),
            &bot.one("isolir john123 telat bayar"),
        );
        super::golden::golden(&format!("isolir_list_{tag}"), &bot.one("isolir"));
        super::golden::golden(&format!("buka_{tag}"), &bot.one("buka john123 sudah bayar"));
    }
}

#[test]
fn a_buka_the_router_refuses_says_not_done_and_keeps_the_record() {
    let bot = bot();
    bot.one("isolir john123 telat bayar");
    bot.router.fail_on(
        CallKind::Update,
        RouterError::Rejected("not enough permissions".into()),
    );
    let reply = bot.one("buka john123");
    assert!(reply.contains("buka john123 lagi"), "{reply}");
    let row = bot.last_event();
    assert_eq!(row.outcome, Outcome::Failed);
    let error = row.error.unwrap();
    assert!(
        error.starts_with("not done: restored nothing; profile not restored"),
        "nothing was restored, so not 'partly done': {error}"
    );
    assert_eq!(john(&bot).profile, "isolir");
    assert!(
        isolated(&bot, "john123").is_some(),
        "buka can be sent again"
    );
}
