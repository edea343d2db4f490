//! Test helper of audit-store's crash test, not part of the product.
//!
//! `audit-append-loop DB PREFIX` appends events to the store at DB from 8 concurrent tasks until
//! it is killed, the way the bot records a change: each event's message id is claimed first
//! (durably, before the "router call"), then the event is appended. It prints each message id
//! (`PREFIX-TASK-N`) on its own line once its append returned `Ok`. Task 0 also claims
//! `PREFIX-held` after its tenth event and then waits for ever, as a change whose router call
//! is still running when the process is killed. It stops when stdout is closed.

use std::error::Error;
use std::io::Write as _;

use audit_store::{AuditStore, StoreOptions};
use chrono::{TimeZone as _, Utc};
use pppoe_core::{AuditEvent, Outcome, Role};
use tokio::task::JoinSet;

type BoxError = Box<dyn Error + Send + Sync>;

const TASKS: u32 = 8;

fn event(message_id: String, n: u64) -> AuditEvent {
    AuditEvent {
        at: Utc.with_ymd_and_hms(2024, 12, 15, 9, 30, 25).unwrap(),
        actor_phone: "6281234567890".into(),
        actor_lid: None,
        role: Some(Role::Technician),
        command: "editpppoe".into(),
        target: Some(format!("user{n}")),
        router: Some("core-1".into()),
        arguments: format!("user{n} password ***"),
        outcome: Outcome::Ok,
        error: None,
        reason: None,
        duration_ms: n % 1000,
        message_id,
    }
}

fn main() -> Result<(), BoxError> {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(prefix)) = (args.next(), args.next()) else {
        return Err("usage: audit-append-loop DB PREFIX".into());
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let store = AuditStore::open(&path, StoreOptions::default()).await?;
        let mut tasks = JoinSet::new();
        for task in 0..TASKS {
            let store = store.clone();
            let prefix = prefix.clone();
            tasks.spawn(async move {
                for n in 0_u64.. {
                    if task == 0 && n == 10 {
                        store.claim(&event(format!("{prefix}-held"), n)).await?;
                        std::future::pending::<()>().await;
                    }
                    let id = format!("{prefix}-{task}-{n}");
                    let claimed = store.claim(&event(id.clone(), n)).await?;
                    assert!(claimed, "{id} claimed twice");
                    store.append(event(id.clone(), n)).await?;
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "{id}")?;
                    out.flush()?;
                }
                Ok::<_, BoxError>(())
            });
        }
        while let Some(done) = tasks.join_next().await {
            done??;
        }
        Ok(())
    })
}
