//! Messages to customers: `addpppoe ... wa=`, the login notice and its own audit row, the
//! resolution notice; the password never reaches the audit log.

use futures::executor::block_on;
use pppoe_core::testing::FakeRouter;
use pppoe_core::{CustomerSettings, Delivery, Outcome, PhoneNumber};

use crate::harness::{ADMIN, Bot, TECH, config};

const CUSTOMER: &str = "0812-7777-8888";

fn digits(phone: &str) -> String {
    PhoneNumber::parse(phone, "62").unwrap().as_str().to_owned()
}

fn bot(notify: bool) -> Bot {
    let mut cfg = config();
    cfg.customer = CustomerSettings {
        notify_on_create: notify,
        notify_on_resolve: notify,
        ..CustomerSettings::default()
    };
    Bot::new(FakeRouter::with_spec_users(), cfg)
}

#[test]
fn the_customer_gets_their_login_and_its_delivery_is_audited_without_the_password() {
    let b = bot(true);
    let msg = b.message(
        TECH,
        &format!("addpppoe budi01 rahasia123 Premium wa={CUSTOMER} \"Budi Santoso - Jl. Mawar 3\""),
    );
    let out = b.deliver(msg);
    assert_eq!(out.len(), 2, "{out:#?}");
    let reply = &out[0];
    assert!(
        reply
            .text
            .starts_with("✅ *USER PPPoE BERHASIL DITAMBAHKAN*")
    );
    assert!(
        reply.text.contains(&format!(
            "📱 Nomor WA pelanggan +{} dicatat di bot.",
            digits(CUSTOMER)
        )),
        "{}",
        reply.text
    );
    assert!(reply.text.contains("📨 Data login dikirim ke pelanggan"));
    assert_eq!(reply.audit, None);
    let notice = &out[1];
    assert_eq!(notice.chat, format!("+{}", digits(CUSTOMER)));
    assert!(
        notice.text.starts_with("Halo Budi Santoso! 👋"),
        "{}",
        notice.text
    );
    assert!(notice.text.contains("🔑 *Password:* rahasia123"));
    assert!(
        notice
            .text
            .contains("📦 *Paket:* Premium (50 Mbps↓ / 25 Mbps↑)"),
        "{}",
        notice.text
    );
    let audit = notice
        .audit
        .clone()
        .expect("the notice is audited on its own");
    // The number is the bot's record, not the router's comment.
    assert_eq!(
        block_on(pppoe_core::TicketStore::customer(&b.tickets, "BUDI01")).unwrap(),
        Some(digits(CUSTOMER))
    );
    assert_eq!(
        b.router.secret("budi01").unwrap().secret.comment.as_deref(),
        Some("Budi Santoso - Jl. Mawar 3")
    );
    // What the messenger learnt becomes the notice's own row.
    block_on(b.engine.record_delivery(&audit, &Delivery::Acknowledged));
    let rows = b.events();
    let add = &rows[rows.len() - 2];
    let notify = &rows[rows.len() - 1];
    assert_eq!(
        (add.command.as_str(), add.outcome),
        ("addpppoe", Outcome::Ok)
    );
    assert!(
        add.arguments.contains(&format!("wa={CUSTOMER}")),
        "{}",
        add.arguments
    );
    assert_eq!(
        (
            notify.command.as_str(),
            notify.target.as_deref(),
            notify.outcome
        ),
        ("notify", Some("budi01"), Outcome::Ok)
    );
    assert_eq!(notify.message_id, format!("{}#notify", add.message_id));
    assert_eq!(notify.actor_phone, digits(TECH));
    for row in &rows {
        assert!(!format!("{row:?}").contains("rahasia123"), "{row:?}");
    }
}

#[test]
fn a_notice_refused_or_unconfirmed_is_audited_as_such() {
    let b = bot(true);
    let out = b.deliver(b.message(
        TECH,
        &format!("addpppoe budi01 rahasia123 Basic wa={CUSTOMER}"),
    ));
    let audit = out[1].audit.clone().unwrap();
    block_on(
        b.engine
            .record_delivery(&audit, &Delivery::Refused("server error 463".into())),
    );
    let row = b.last_event();
    assert_eq!(row.outcome, Outcome::Failed);
    assert_eq!(row.error.as_deref(), Some("refused: server error 463"));
    // Recorded once: the same notice again is no second row.
    block_on(b.engine.record_delivery(&audit, &Delivery::Acknowledged));
    assert_eq!(b.events().len(), 2);

    let out = b.deliver(b.message(
        TECH,
        &format!("addpppoe budi02 rahasia123 Basic wa={CUSTOMER}"),
    ));
    block_on(
        b.engine
            .record_delivery(&out[1].audit.clone().unwrap(), &Delivery::Unconfirmed),
    );
    let row = b.last_event();
    assert_eq!(row.outcome, Outcome::Unknown);
    assert!(row.error.unwrap().contains("ask the customer"));
}

#[test]
fn without_notices_the_number_is_kept_and_nobody_is_messaged() {
    let b = bot(false);
    let out = b.deliver(b.message(
        TECH,
        &format!("addpppoe budi01 rahasia123 Basic wa={CUSTOMER}"),
    ));
    assert_eq!(out.len(), 1, "{out:#?}");
    assert!(out[0].text.contains("dicatat di bot"));
    assert!(!out[0].text.contains("📨"));
    assert!(!out[0].text.contains("[notified"));
}

#[test]
fn a_wa_that_is_no_number_is_refused_before_the_router_is_touched() {
    let b = bot(true);
    let out = b.say_as(TECH, "addpppoe budi01 rahasia123 Basic wa=budi");
    assert!(
        out[0].starts_with("❌ *NOMOR WA PELANGGAN TIDAK VALID*"),
        "{}",
        out[0]
    );
    assert!(out[0].contains("wa=081234567890"), "{}", out[0]);
    assert!(b.router.secret("budi01").is_none());
    let row = b.last_event();
    assert_eq!(row.outcome, Outcome::Invalid);
    assert!(row.arguments.contains("wa=***"), "{}", row.arguments);
}

#[test]
fn a_failed_add_messages_no_customer() {
    let b = bot(true);
    let out = b.say_as(
        TECH,
        &format!("addpppoe john123 rahasia123 Basic wa={CUSTOMER}"),
    );
    assert_eq!(out.len(), 1, "{out:#?}");
    assert_eq!(b.last_event().outcome, Outcome::Invalid);
}

#[test]
fn the_customer_hears_when_their_ticket_is_resolved() {
    let b = bot(true);
    b.deliver(b.message(
        TECH,
        &format!("addpppoe budi01 rahasia123 Basic wa={CUSTOMER}"),
    ));
    b.say_as(ADMIN, "lapor budi01 internet putus");
    b.say_as(TECH, "ambil TR001");
    let out = b.deliver(b.message(TECH, "selesai TR001 kabel drop diganti"));
    let customer = out
        .iter()
        .find(|o| o.chat == format!("+{}", digits(CUSTOMER)))
        .expect("the customer is told");
    assert!(customer.text.contains("(TR001)") && customer.text.contains("kabel drop diganti"));
    assert!(customer.audit.is_some());
    assert!(
        out[0]
            .text
            .contains(&format!("pelanggan (+{})", digits(CUSTOMER))),
        "the reply names the customer among those told: {}",
        out[0].text
    );
}

#[test]
fn a_deleted_subscribers_customer_number_is_forgotten() {
    let b = bot(true);
    b.deliver(b.message(
        TECH,
        &format!("addpppoe budi01 rahasia123 Basic wa={CUSTOMER}"),
    ));
    b.say_as(ADMIN, "delpppoe budi01 pelanggan berhenti");
    assert_eq!(b.last_event().outcome, Outcome::Ok);
    assert_eq!(
        block_on(pppoe_core::TicketStore::customer(&b.tickets, "budi01")).unwrap(),
        None
    );
    // A new subscriber of the same name gets no message meant for the old customer.
    b.say_as(TECH, "addpppoe budi01 rahasia456 Basic");
    b.say_as(ADMIN, "lapor budi01 lambat");
    assert_eq!(
        b.tickets
            .ticket(pppoe_core::ticket::TicketId::new(1).unwrap())
            .unwrap()
            .0
            .username
            .as_deref(),
        Some("budi01")
    );
    b.say_as(TECH, "ambil TR001");
    let out = b.deliver(b.message(TECH, "selesai TR001 ok"));
    assert!(
        out.iter()
            .all(|o| o.chat != format!("+{}", digits(CUSTOMER)))
    );
}

#[test]
fn the_number_goes_into_the_router_comment_only_when_configured() {
    let mut cfg = config();
    cfg.customer.number_in_comment = true;
    let b = Bot::new(FakeRouter::with_spec_users(), cfg);
    b.say_as(
        TECH,
        &format!("addpppoe budi01 rahasia123 Basic wa={CUSTOMER} \"Budi - Jl. Mawar\""),
    );
    assert_eq!(
        b.router.secret("budi01").unwrap().secret.comment.as_deref(),
        Some(format!("Budi - Jl. Mawar - WA +{}", digits(CUSTOMER)).as_str())
    );
    b.say_as(
        TECH,
        &format!("addpppoe budi02 rahasia123 Basic wa={CUSTOMER}"),
    );
    assert_eq!(
        b.router.secret("budi02").unwrap().secret.comment.as_deref(),
        Some(format!("WA +{}", digits(CUSTOMER)).as_str())
    );
    // Checked with the information's limit before anything is written.
    let long = "x".repeat(250);
    let out = b.say_as(
        TECH,
        &format!("addpppoe budi03 rahasia123 Basic wa={CUSTOMER} \"{long}\""),
    );
    assert_eq!(b.last_event().outcome, Outcome::Invalid, "{}", out[0]);
    assert!(b.router.secret("budi03").is_none());
    // Off (the default): the router's comment is the information only.
    let b = bot(false);
    b.say_as(
        TECH,
        &format!("addpppoe budi01 rahasia123 Basic wa={CUSTOMER} \"Budi\""),
    );
    assert_eq!(
        b.router.secret("budi01").unwrap().secret.comment.as_deref(),
        Some("Budi")
    );
}

#[test]
fn a_long_customer_notice_stays_one_message_with_one_row() {
    let mut cfg = config();
    cfg.customer.notify_on_create = true;
    cfg.customer.create_template = Some(
        pppoe_core::template::MessageTemplate::parse(
            &format!("{} {{username}} {{password}}", "panjang ".repeat(700)),
            &pppoe_core::template::Placeholder::CREATE,
        )
        .unwrap(),
    );
    let b = Bot::new(FakeRouter::with_spec_users(), cfg);
    let out = b.deliver(b.message(
        TECH,
        &format!("addpppoe budi01 rahasia123 Basic wa={CUSTOMER}"),
    ));
    // The reply, and the notice whole: the messenger splits it and judges every part, so
    // that the notice's one audit row speaks for all of it.
    assert_eq!(out.len(), 2, "{out:#?}");
    assert!(out[1].text.chars().count() > pppoe_core::render::MAX_MESSAGE_CHARS);
    assert!(out[1].audit.is_some());
}
