//! Every outcome true: a change done in part is reported as what it is, a change whose result
//! cannot be known is `unknown`, an interrupted attempt is recorded at the next start, and a
//! static IP taken by a racing change is undone. Each test asserts the reply, the router's
//! state and the audit row together.

use std::future::Future;
use std::net::Ipv4Addr;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::executor::block_on;
use pppoe_core::testing::{CallKind, FakeRouter, ManualClock, MemoryAudit};
use pppoe_core::{
    ActiveSession, Engine, IpUser, ListFilter, NewSecret, Outcome, PageRequest, Router,
    RouterError, RouterProfile, Secret, SecretChange, SecretPage, SecretRef, Traffic, Username,
};

use crate::harness::{ADMIN, Bot, config};

fn refused() -> RouterError {
    RouterError::Rejected("failure: could not remove the active connection".into())
}

fn lost() -> RouterError {
    RouterError::Unconfirmed(
        "the reply was lost (command timed out after 30s) and reading the router back failed (router timed out)".into(),
    )
}

#[test]
fn a_delete_whose_disconnect_is_refused_is_a_delete_with_a_warning() {
    let b = Bot::spec();
    assert!(b.router.is_online("john123"));
    b.router.fail_on(CallKind::Kick, refused());
    let reply = b.one("delpppoe john123 Pelanggan pindah lokasi");
    assert!(
        reply.starts_with("✅ *USER PPPoE BERHASIL DIHAPUS*"),
        "{reply}"
    );
    assert!(reply.contains("GAGAL diputus"), "{reply}");
    assert!(reply.contains("restartpppoe john123"), "{reply}");
    assert!(!reply.contains("Tidak ada perubahan"), "{reply}");
    assert!(b.router.secret("john123").is_none(), "deleted");
    assert!(b.router.is_online("john123"), "the session is still up");
    let ev = b.last_event();
    assert_eq!(ev.outcome, Outcome::Ok);
    assert_eq!(ev.reason.as_deref(), Some("Pelanggan pindah lokasi"));
    let error = ev.error.unwrap();
    assert!(
        error.starts_with("deleted; disconnecting the active session failed"),
        "{error}"
    );
    // The advice works: the session outlived its secret and can still be dropped.
    let reply = b.one("restartpppoe john123");
    assert!(reply.starts_with("🔄"), "{reply}");
    assert!(!b.router.is_online("john123"));
    assert_eq!(b.last_event().outcome, Outcome::Ok);
}

#[test]
fn a_delete_whose_disconnect_is_cut_off_is_a_delete_with_a_warning() {
    for (err, expect) in [
        (
            RouterError::Unreachable("the router closed the connection".into()),
            "GAGAL diputus",
        ),
        (lost(), "belum pasti diputus"),
    ] {
        let b = Bot::spec();
        b.router.fail_on(CallKind::Kick, err);
        let reply = b.one("delpppoe john123 pindah");
        assert!(reply.starts_with("✅"), "{reply}");
        assert!(reply.contains(expect), "{reply}");
        assert!(b.router.secret("john123").is_none());
        let ev = b.last_event();
        assert_eq!(ev.outcome, Outcome::Ok, "{ev:?}");
        assert_eq!(ev.reason.as_deref(), Some("pindah"));
    }
}

#[test]
fn a_disable_whose_disconnect_fails_is_a_disable_with_a_warning() {
    let b = Bot::spec();
    b.router.fail_on(CallKind::Kick, refused());
    let reply = b.one("editpppoe john123 status disable");
    assert!(
        reply.starts_with("✅ *USER PPPoE BERHASIL DIUPDATE*"),
        "{reply}"
    );
    assert!(reply.contains("GAGAL diputus"), "{reply}");
    assert!(b.router.secret("john123").unwrap().secret.disabled);
    let ev = b.last_event();
    assert_eq!(ev.outcome, Outcome::Ok);
    assert!(
        ev.error
            .unwrap()
            .starts_with("disabled; disconnecting the active session failed")
    );
}

#[test]
fn a_change_whose_result_is_unknown_says_check_first_never_try_again() {
    let b = Bot::spec();
    b.router.fail_after_applying(CallKind::Add, lost());
    let reply = b.one("addpppoe budi01 password123 Premium");
    assert!(reply.starts_with("❓ *HASIL BELUM PASTI*"), "{reply}");
    assert!(reply.contains("checkpppoe budi01"), "{reply}");
    assert!(reply.contains("Jangan kirim ulang"), "{reply}");
    assert!(!reply.contains("Coba lagi"), "{reply}");
    let ev = b.last_event();
    assert_eq!(ev.outcome, Outcome::Unknown);
    assert!(
        ev.error
            .unwrap()
            .contains("result of the change is unknown")
    );
    // It had been applied: checking shows it, and a blind retry would have said "taken".
    assert!(b.router.secret("budi01").is_some());
    assert!(b.one("checkpppoe budi01").starts_with("📊"));

    // A delete: unknown, with its reason.
    b.router.fail_after_applying(CallKind::Remove, lost());
    let reply = b.one("delpppoe jane456 pindah");
    assert!(reply.contains("checkpppoe jane456"), "{reply}");
    let ev = b.last_event();
    assert_eq!(ev.outcome, Outcome::Unknown);
    assert_eq!(ev.reason.as_deref(), Some("pindah"));

    // A restart.
    b.router.fail_on(CallKind::Kick, lost());
    assert!(b.one("restartpppoe john123").starts_with("❓"));
    assert_eq!(b.last_event().outcome, Outcome::Unknown);

    // English.
    let en = Bot::new(
        FakeRouter::with_spec_users(),
        pppoe_core::EngineConfig {
            language: pppoe_core::Language::English,
            ..config()
        },
    );
    en.router.fail_on(CallKind::Update, lost());
    let reply = en.one("editpppoe john123 profile VIP");
    assert!(reply.starts_with("❓ *RESULT UNKNOWN*"), "{reply}");
    assert!(reply.contains("Check first: checkpppoe john123"), "{reply}");
}

#[test]
fn a_failed_delete_still_records_its_reason() {
    let b = Bot::spec();
    b.router.fail_on(
        CallKind::Remove,
        RouterError::Unreachable("cannot connect".into()),
    );
    let reply = b.one("delpppoe jane456 Pelanggan pindah lokasi");
    assert!(reply.contains("Insiden"), "{reply}");
    assert!(b.router.secret("jane456").is_some());
    let ev = b.last_event();
    assert_eq!(ev.outcome, Outcome::Failed);
    assert_eq!(ev.reason.as_deref(), Some("Pelanggan pindah lokasi"));
    // Even when the look-up before it failed.
    b.router.fail_on(CallKind::Find, RouterError::Timeout);
    b.one("delpppoe jane456 pindah");
    assert_eq!(b.last_event().reason.as_deref(), Some("pindah"));
}

#[test]
fn login_and_certificate_refusals_are_named_for_the_admin() {
    let b = Bot::spec();
    b.router.fail_on(
        CallKind::Find,
        RouterError::LoginRefused("invalid user name or password (6)".into()),
    );
    let reply = b.one("checkpppoe john123");
    assert!(reply.contains("Router menolak login bot"), "{reply}");
    assert!(!reply.contains("tidak dapat dihubungi"), "{reply}");
    let ev = b.last_event();
    assert_eq!(ev.outcome, Outcome::Failed);
    assert!(ev.error.unwrap().contains("refused the bot's login"));

    b.router.fail_on(
        CallKind::Find,
        RouterError::Certificate(
            "the router's certificate fingerprint is AA:BB, the config pins CC:DD".into(),
        ),
    );
    let reply = b.one("checkpppoe john123");
    assert!(reply.contains("Sertifikat router tidak sesuai"), "{reply}");
    assert!(
        b.last_event()
            .error
            .unwrap()
            .contains("the router's certificate fingerprint is AA:BB, the config pins CC:DD")
    );

    b.router.fail_on(
        CallKind::Find,
        RouterError::Busy(std::time::Duration::from_secs(30)),
    );
    assert!(b.one("checkpppoe john123").contains("Router sedang sibuk"));
}

#[test]
fn an_interrupted_attempt_is_recorded_as_unknown_at_the_next_start() {
    let b = Bot::spec();
    let msg = b.message(ADMIN, "delpppoe jane456 Pelanggan pindah lokasi");
    // The earlier process claimed the id (with who and what), removed the secret, and was
    // killed before its audit row.
    b.claim(&msg, "delpppoe", Some("jane456"));
    b.router.disconnect("jane456");
    let remove = b.router.secret("jane456").unwrap().secret.at;
    block_on(b.router.remove_secret(&remove)).unwrap();
    let before = b.router.calls().len();

    assert_eq!(block_on(b.engine.recover_interrupted()).unwrap(), 1);
    let ev = b.last_event();
    assert_eq!(ev.message_id, msg.id);
    assert_eq!(ev.outcome, Outcome::Unknown);
    assert_eq!(ev.command, "delpppoe");
    assert_eq!(ev.target.as_deref(), Some("jane456"));
    assert_eq!(ev.actor_phone, "6281234567890");
    let error = ev.error.unwrap();
    assert!(
        error.starts_with(
            "interrupted by a stop; effect not confirmed; the router now has no user jane456"
        ),
        "{error}"
    );
    // It only looked.
    assert!(b.router.calls()[before..].iter().all(|c| !c.is_write()));
    // Every claim has exactly one row, and a second start records nothing more.
    assert_eq!(block_on(b.engine.recover_interrupted()).unwrap(), 0);
    assert_eq!(
        b.events().iter().filter(|e| e.message_id == msg.id).count(),
        1
    );

    // A target that still exists: what the router shows now.
    let msg = b.message(ADMIN, "editpppoe john123 status disable");
    b.claim(&msg, "editpppoe", Some("john123"));
    assert_eq!(block_on(b.engine.recover_interrupted()).unwrap(), 1);
    let error = b.last_event().error.unwrap();
    assert!(
        error.contains("the router now has john123: profile Premium, enabled, IP 192.168.1.100"),
        "{error}"
    );
    // A router that cannot be asked is said so, and asked once for all the claims.
    for target in ["john123", "jane456"] {
        let msg = b.message(ADMIN, &format!("restartpppoe {target}"));
        b.claim(&msg, "restartpppoe", Some(target));
    }
    b.router.fail_on(CallKind::Find, RouterError::Timeout);
    let before = b.router.calls().len();
    assert_eq!(block_on(b.engine.recover_interrupted()).unwrap(), 2);
    assert_eq!(b.router.calls().len(), before + 1, "asked once");
    for ev in &b.events()[b.events().len() - 2..] {
        assert!(
            ev.error
                .as_deref()
                .unwrap()
                .contains("the router could not be asked (router timed out)"),
            "{ev:?}"
        );
    }
}

#[test]
fn a_static_ip_taken_between_the_check_and_the_add_is_undone() {
    let b = Bot::spec();
    // Another bot (or a person in Winbox) gives 10.9.0.5 to "other" right after our check.
    b.router.before_next(CallKind::Add, |r| {
        r.insert("other", "password999", "Basic", Some([10, 9, 0, 5]), None);
    });
    let reply = b.one("addpppoe budi01 password123 Premium 10.9.0.5");
    assert!(reply.contains("IP Address Conflict"), "{reply}");
    assert!(reply.contains("\"other\""), "{reply}");
    assert!(reply.contains("sudah dihapus lagi"), "{reply}");
    assert!(b.router.secret("budi01").is_none(), "our add was undone");
    assert!(b.router.secret("other").is_some(), "theirs stays");
    let ev = b.last_event();
    assert_eq!(ev.outcome, Outcome::Invalid);
    assert_eq!(
        ev.error.as_deref(),
        Some("ip: 10.9.0.5 is used by other (seen after the change, which was undone)")
    );
}

#[test]
fn a_static_ip_taken_between_the_check_and_the_edit_is_put_back() {
    let b = Bot::spec();
    b.router.before_next(CallKind::Update, |r| {
        r.insert("other", "password999", "Basic", Some([10, 9, 0, 6]), None);
    });
    let reply = b.one("editpppoe jane456 ip 10.9.0.6");
    assert!(
        reply.contains("IP lama user \"jane456\" sudah dikembalikan"),
        "{reply}"
    );
    assert_eq!(
        b.router.secret("jane456").unwrap().secret.remote_address,
        Some(Ipv4Addr::new(192, 168, 1, 101))
    );
    assert_eq!(b.last_event().outcome, Outcome::Invalid);
}

#[test]
fn an_undo_that_fails_leaves_the_change_and_says_so() {
    let b = Bot::spec();
    b.router.before_next(CallKind::Add, |r| {
        r.insert("other", "password999", "Basic", Some([10, 9, 0, 5]), None);
    });
    b.router.fail_on(CallKind::Remove, refused());
    let reply = b.one("addpppoe budi01 password123 Premium 10.9.0.5");
    assert!(reply.contains("SUDAH dibuat"), "{reply}");
    assert!(reply.contains("delpppoe budi01"), "{reply}");
    assert!(b.router.secret("budi01").is_some());
    let ev = b.last_event();
    assert_eq!(ev.outcome, Outcome::Ok, "the add is on the router");
    assert!(ev.error.unwrap().contains("undoing the change failed"));
}

#[test]
fn an_ip_that_cannot_be_read_back_is_a_warning_not_a_failure() {
    let b = Bot::spec();
    // The check before the add answers; the read-back after it does not.
    b.router.before_next(CallKind::Add, |r| {
        r.fail_on(CallKind::IpUsers, RouterError::Timeout);
    });
    let reply = b.one("addpppoe budi01 password123 Premium 10.9.0.5");
    assert!(reply.starts_with("✅"), "{reply}");
    assert!(reply.contains("belum bisa dicek ulang"), "{reply}");
    let ev = b.last_event();
    assert_eq!(ev.outcome, Outcome::Ok);
    assert!(ev.error.unwrap().contains("not read back"));
}

/// A router that makes every call wait one turn first, so that concurrent commands interleave
/// the way they do over a network.
#[derive(Debug, Clone)]
struct Yielding(FakeRouter);

struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

impl Router for Yielding {
    async fn find_secret(&self, name: &Username) -> Result<Option<Secret>, RouterError> {
        YieldOnce(false).await;
        self.0.find_secret(name).await
    }
    async fn list_secrets(
        &self,
        filter: &ListFilter,
        page: PageRequest,
    ) -> Result<SecretPage, RouterError> {
        YieldOnce(false).await;
        self.0.list_secrets(filter, page).await
    }
    async fn add_secret(&self, secret: &NewSecret) -> Result<SecretRef, RouterError> {
        YieldOnce(false).await;
        self.0.add_secret(secret).await
    }
    async fn update_secret(
        &self,
        at: &SecretRef,
        change: &SecretChange,
    ) -> Result<(), RouterError> {
        YieldOnce(false).await;
        self.0.update_secret(at, change).await
    }
    async fn remove_secret(&self, at: &SecretRef) -> Result<(), RouterError> {
        YieldOnce(false).await;
        self.0.remove_secret(at).await
    }
    async fn active_session(&self, name: &str) -> Result<Option<ActiveSession>, RouterError> {
        YieldOnce(false).await;
        self.0.active_session(name).await
    }
    async fn kick(&self, name: &str) -> Result<usize, RouterError> {
        YieldOnce(false).await;
        self.0.kick(name).await
    }
    async fn profiles(&self) -> Result<Vec<RouterProfile>, RouterError> {
        YieldOnce(false).await;
        self.0.profiles().await
    }
    async fn traffic(&self, name: &str) -> Result<Option<Traffic>, RouterError> {
        YieldOnce(false).await;
        self.0.traffic(name).await
    }
    async fn ip_users(&self, ip: Ipv4Addr) -> Result<Vec<IpUser>, RouterError> {
        YieldOnce(false).await;
        self.0.ip_users(ip).await
    }
    async fn in_address_list(
        &self,
        router: &str,
        list: &str,
        address: Ipv4Addr,
    ) -> Result<bool, RouterError> {
        YieldOnce(false).await;
        self.0.in_address_list(router, list, address).await
    }
    async fn add_to_address_list(
        &self,
        router: &str,
        list: &str,
        address: Ipv4Addr,
        comment: &str,
    ) -> Result<(), RouterError> {
        YieldOnce(false).await;
        self.0
            .add_to_address_list(router, list, address, comment)
            .await
    }
    async fn remove_from_address_list(
        &self,
        router: &str,
        list: &str,
        address: Ipv4Addr,
    ) -> Result<usize, RouterError> {
        YieldOnce(false).await;
        self.0.remove_from_address_list(router, list, address).await
    }
}

#[test]
fn concurrent_adds_of_one_static_ip_give_it_to_exactly_one() {
    let router = FakeRouter::with_spec_users();
    let senders: Vec<String> = (0..6).map(|i| format!("08131111000{i}")).collect();
    let mut cfg = config();
    for phone in &senders {
        cfg.access.push(pppoe_core::AccessEntry {
            phone: pppoe_core::PhoneNumber::parse(phone, "62").unwrap(),
            role: pppoe_core::Role::Technician,
            name: phone.clone(),
        });
    }
    let clock = ManualClock::spec();
    let audit = MemoryAudit::new();
    let engine = Engine::new(Yielding(router.clone()), audit.clone(), clock.clone(), cfg);
    let messages: Vec<_> = senders
        .iter()
        .enumerate()
        .map(|(i, phone)| pppoe_core::Incoming {
            id: format!("race-{i}"),
            chat: format!("{phone}@s.whatsapp.net"),
            sender: pppoe_core::Sender::Phone(pppoe_core::PhoneNumber::parse(phone, "62").unwrap()),
            sender_lid: None,
            text: format!("addpppoe racer{i} password123 Basic 10.9.0.77"),
            sent_at: pppoe_core::Clock::now(&clock),
            received_at: None,
            is_group: false,
            attachment: None,
        })
        .collect();
    let replies = block_on(futures::future::join_all(
        messages.into_iter().map(|m| engine.handle(m)),
    ));
    let holders: Vec<_> = (0..6)
        .filter(|i| {
            router
                .secret(&format!("racer{i}"))
                .is_some_and(|s| s.secret.remote_address == Some(Ipv4Addr::new(10, 9, 0, 77)))
        })
        .collect();
    assert_eq!(
        holders.len(),
        1,
        "exactly one secret holds the IP: {holders:?}"
    );
    let events = audit.events();
    assert_eq!(
        events.iter().filter(|e| e.outcome == Outcome::Ok).count(),
        1
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| e.outcome == Outcome::Invalid)
            .count(),
        5
    );
    let conflicts = replies
        .iter()
        .filter(|r| r[0].text.contains("IP Address Conflict"))
        .count();
    assert_eq!(conflicts, 5);
}

/// Kicks the router was asked for.
fn kicks(b: &Bot) -> usize {
    b.router
        .calls()
        .iter()
        .filter(|c| c.kind() == CallKind::Kick)
        .count()
}

#[test]
fn a_change_resent_word_for_word_soon_after_is_not_run_twice() {
    let b = Bot::spec();
    let first = b.one("editpppoe john123 profile Premium");
    assert!(first.starts_with("✅"), "{first}");
    let writes = b.router.writes();
    // A redelivery under a new id, as WhatsApp makes after a failed decryption, with the
    // spacing and case a phone keyboard may change.
    b.clock.advance(std::time::Duration::from_secs(90));
    let again = b.one("  EditPPPoE   john123 profile Premium ");
    assert!(again.starts_with("⏭️ *SUDAH DIJALANKAN*"), "{again}");
    assert!(again.contains("pukul 16:30:25"), "{again}");
    assert!(again.contains("!editpppoe"), "{again}");
    assert_eq!(b.router.writes(), writes, "nothing was sent to the router");
    let ev = b.last_event();
    assert_eq!(ev.outcome, Outcome::Skipped);
    assert_eq!(ev.command, "editpppoe");
    assert_eq!(ev.target.as_deref(), Some("john123"));
    assert!(ev.error.unwrap().contains("not run twice"));
    // `!` in front runs it on purpose; so does the same text after the window.
    let forced = b.one("!restartpppoe john123");
    assert!(forced.starts_with("🔄"), "{forced}");
    b.router.connect(
        "john123",
        "AA:BB:CC:DD:EE:FF",
        std::time::Duration::from_secs(5),
    );
    let repeated = b.one("restartpppoe john123");
    assert!(repeated.starts_with("⏭️"), "{repeated}");
    assert_eq!(kicks(&b), 1);
    b.clock.advance(pppoe_core::REPEAT_WINDOW);
    assert!(b.one("restartpppoe john123").starts_with("🔄"));
    assert_eq!(kicks(&b), 2);
}

#[test]
fn only_a_change_that_was_done_guards_its_repeat_and_only_for_its_sender() {
    let b = Bot::spec();
    // Refused by the router: nothing was done, so the resend runs.
    b.router.fail_on(CallKind::Kick, refused());
    let failed = b.one("restartpppoe john123");
    assert!(!failed.starts_with("🔄"), "{failed}");
    assert_eq!(b.last_event().outcome, Outcome::Failed);
    assert!(b.one("restartpppoe john123").starts_with("🔄"));
    // Another technician's identical message is their own.
    b.router.connect(
        "john123",
        "AA:BB:CC:DD:EE:FF",
        std::time::Duration::from_secs(5),
    );
    let theirs = b.say_as(crate::harness::TECH, "restartpppoe john123");
    assert!(theirs[0].starts_with("🔄"), "{theirs:?}");
    // Reads are never held back, nor are other changes of the same sender.
    assert!(b.one("checkpppoe john123").starts_with("📊"));
    assert!(b.one("checkpppoe john123").starts_with("📊"));
    assert!(b.one("editpppoe john123 status disable").starts_with("✅"));
    assert!(b.one("editpppoe john123 status enable").starts_with("✅"));
}
