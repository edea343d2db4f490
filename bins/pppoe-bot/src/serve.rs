//! The message loop: messenger in, engine, messenger out; graceful shutdown.

use std::sync::{Arc, Mutex, PoisonError};

use pppoe_core::{
    AuditSink, Clock, Delivery, DeliveryAudit, Engine, Messenger, Outgoing, Router, TicketStore,
};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// How long a stop waits for customers' notices to be acknowledged before it records the
/// rest as not known (the unit's `TimeoutStopSec` is 60 s).
const NOTICE_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// Messages handled at once. Taking more waits (backpressure), so a burst such as the backlog
/// after a reconnect, or a script piped into the demo, does not pile up in memory.
pub(crate) const MAX_IN_FLIGHT: usize = 64;

/// Feeds every message to the engine, one task per message (the engine keeps each sender's
/// order, replies included), until the messenger ends or `shutdown` completes; then finishes
/// the messages in flight. Returns how many messages were taken.
pub(crate) async fn serve<R, A, C, T, M>(
    engine: Arc<Engine<R, A, C, T>>,
    messenger: Arc<M>,
    shutdown: impl Future<Output = ()>,
) -> u64
where
    R: Router + 'static,
    A: AuditSink + 'static,
    C: Clock + 'static,
    T: TicketStore + 'static,
    M: Messenger + 'static,
{
    let mut tasks = JoinSet::new();
    let notices = Arc::new(Notices::default());
    let permits = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let mut taken = 0;
    tokio::pin!(shutdown);
    loop {
        while let Some(done) = tasks.try_join_next() {
            report(done);
        }
        notices.reap();
        let permit = tokio::select! {
            biased;
            () = &mut shutdown => break,
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let message = tokio::select! {
            biased;
            () = &mut shutdown => break,
            message = messenger.next_message() => message,
        };
        let Some(message) = message else { break };
        taken += 1;
        let queued = engine.enqueue(message);
        if queued.will_answer() {
            // "typing…": the engine has taken the message and will answer it.
            messenger.working_on(queued.incoming()).await;
        }
        let engine = Arc::clone(&engine);
        let messenger = Arc::clone(&messenger);
        let notices = Arc::clone(&notices);
        tasks.spawn(async move {
            engine
                .run(queued, |replies| async {
                    for reply in replies {
                        notices.send(&engine, &messenger, reply).await;
                    }
                })
                .await;
            drop(permit);
        });
    }
    finish_in_flight(tasks, "no new messages; finishing those in flight").await;
    notices.finish(&engine).await;
    taken
}

/// Waits for the tasks still running after new work stopped being taken, saying `what` when
/// there are any.
pub(crate) async fn finish_in_flight(mut tasks: JoinSet<()>, what: &str) {
    while let Some(done) = tasks.try_join_next() {
        report(done);
    }
    if !tasks.is_empty() {
        tracing::info!(in_flight = tasks.len(), "{what}");
    }
    while let Some(done) = tasks.join_next().await {
        report(done);
    }
}

/// Customers' notices waiting for their delivery to be known and audited (WhatsApp: the
/// server's ack, up to a minute or two), without holding up the sender's next command; and
/// what each will record, for a stop that cannot wait for them. Shared by the message loop and
/// the exec server.
#[derive(Debug, Default)]
pub(crate) struct Notices {
    tasks: Mutex<JoinSet<()>>,
    unsettled: Mutex<Vec<DeliveryAudit>>,
}

impl Notices {
    /// Sends one outgoing message: a customer's notice (`audit: Some`) on a task of its own
    /// that audits its delivery, anything else at once.
    pub(crate) async fn send<R, A, C, T, M>(
        self: &Arc<Self>,
        engine: &Arc<Engine<R, A, C, T>>,
        messenger: &Arc<M>,
        message: Outgoing,
    ) where
        R: Router + 'static,
        A: AuditSink + 'static,
        C: Clock + 'static,
        T: TicketStore + 'static,
        M: Messenger + 'static,
    {
        let Some(audit) = message.audit.clone() else {
            if let Err(e) = messenger.send(&message).await {
                tracing::error!(error = %e, chat = %message.chat, "message not sent");
            }
            return;
        };
        lock(&self.unsettled).push(audit.clone());
        let (this, engine, messenger) =
            (Arc::clone(self), Arc::clone(engine), Arc::clone(messenger));
        lock(&self.tasks).spawn(async move {
            let delivery = messenger.send_confirmed(&message).await;
            // Settled: no longer the stop's to record.
            lock(&this.unsettled).retain(|a| a.message_id != audit.message_id);
            engine.record_delivery(&audit, &delivery).await;
        });
    }

    /// Joins the notices that are settled (a JoinSet keeps finished tasks until joined).
    pub(crate) fn reap(&self) {
        loop {
            let next = lock(&self.tasks).try_join_next();
            let Some(done) = next else { break };
            report(done);
        }
    }

    /// Waits up to [`NOTICE_WAIT`] for the rest, then records those still unsettled as not
    /// known, so that no notice is left without its row (the stop must fit the service
    /// manager's timeout).
    pub(crate) async fn finish<R, A, C, T>(&self, engine: &Engine<R, A, C, T>)
    where
        R: Router,
        A: AuditSink,
        C: Clock,
        T: TicketStore,
    {
        let mut tasks = std::mem::take(&mut *lock(&self.tasks));
        if !tasks.is_empty() {
            tracing::info!(
                notices = tasks.len(),
                wait_secs = NOTICE_WAIT.as_secs(),
                "waiting for the delivery of customers' notices, to audit it"
            );
        }
        let all = async {
            while let Some(done) = tasks.join_next().await {
                report(done);
            }
        };
        if tokio::time::timeout(NOTICE_WAIT, all).await.is_err() {
            tasks.abort_all();
            let left = std::mem::take(&mut *lock(&self.unsettled));
            tracing::warn!(
                notices = left.len(),
                "stopping before WhatsApp acknowledged these customers' notices; recorded as unknown"
            );
            for audit in &left {
                engine.record_delivery(audit, &Delivery::Unconfirmed).await;
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn report(done: Result<(), tokio::task::JoinError>) {
    if let Err(e) = done {
        tracing::error!(error = %e, "a message task failed");
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received"),
        () = term => tracing::info!("SIGTERM received"),
    }
}
