//! The message loop: messenger in, engine, messenger out; graceful shutdown.

use std::sync::{Arc, Mutex, PoisonError};

use pppoe_core::{AuditSink, Clock, Engine, Messenger, Router, TicketStore};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

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
    // Customers' notices waiting for their delivery to be known and audited.
    let audited: Arc<Mutex<JoinSet<()>>> = Arc::default();
    let permits = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let mut taken = 0;
    tokio::pin!(shutdown);
    loop {
        while let Some(done) = tasks.try_join_next() {
            report(done);
        }
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
        let audited = Arc::clone(&audited);
        tasks.spawn(async move {
            engine
                .run(queued, |replies| async {
                    for reply in replies {
                        match reply.audit.clone() {
                            // A customer's notice: its fate is audited once the messenger
                            // knows it (WhatsApp: the server's ack, up to a minute or two),
                            // without holding up the sender's next command.
                            Some(audit) => {
                                let (engine, messenger) =
                                    (Arc::clone(&engine), Arc::clone(&messenger));
                                lock(&audited).spawn(async move {
                                    let delivery = messenger.send_confirmed(&reply).await;
                                    engine.record_delivery(&audit, &delivery).await;
                                });
                            }
                            None => {
                                if let Err(e) = messenger.send(&reply).await {
                                    tracing::error!(error = %e, chat = %reply.chat, "reply not sent");
                                }
                            }
                        }
                    }
                })
                .await;
            drop(permit);
        });
    }
    if !tasks.is_empty() {
        tracing::info!(
            in_flight = tasks.len(),
            "no new messages; finishing those in flight"
        );
    }
    while let Some(done) = tasks.join_next().await {
        report(done);
    }
    let mut audited = std::mem::take(&mut *lock(&audited));
    if !audited.is_empty() {
        tracing::info!(
            notices = audited.len(),
            "waiting for the delivery of customers' notices, to audit it"
        );
    }
    while let Some(done) = audited.join_next().await {
        report(done);
    }
    taken
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
