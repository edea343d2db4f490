//! Online/offline alerts: a session watcher per router feeds the engine, which decides the
//! alerts (`pppoe_core::alerts`); the alerts due by time alone are asked for every
//! [`ALERT_TICK`]; every alert goes out through the messenger, paced like any message.

use std::sync::Arc;
use std::time::Duration;

use pppoe_core::{
    AuditSink, Clock, Engine, Messenger, Outgoing, Router, SessionEvent, TicketStore,
};
use routeros_adapter::{RouterOs, WatchSettings};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// How often the alerts due by time (offline for `offline_after_secs`, the end of the quiet
/// hours) are looked for.
pub(crate) const ALERT_TICK: Duration = Duration::from_secs(10);

/// Events waiting for the engine; a watcher waits when it is full (a burst after a reconnect
/// is a snapshot, one event).
const EVENT_QUEUE: usize = 1024;

/// Starts one session watcher per router; their events arrive on the receiver.
pub(crate) fn spawn_watchers(
    routers: &[RouterOs],
    settings: WatchSettings,
) -> (mpsc::Receiver<SessionEvent>, Vec<JoinHandle<()>>) {
    let (tx, rx) = mpsc::channel(EVENT_QUEUE);
    let tasks = routers
        .iter()
        .map(|r| tokio::spawn(r.watch_sessions(settings, tx.clone())))
        .collect();
    (rx, tasks)
}

/// Feeds the watchers' events to the engine and asks it for due alerts every `tick`, sending
/// what it raises, until the events end (every watcher stopped).
pub(crate) fn spawn_alerts<R, A, C, T, M>(
    engine: Arc<Engine<R, A, C, T>>,
    messenger: Arc<M>,
    mut events: mpsc::Receiver<SessionEvent>,
    tick: Duration,
) -> JoinHandle<()>
where
    R: Router + 'static,
    A: AuditSink + 'static,
    C: Clock + 'static,
    T: TicketStore + 'static,
    M: Messenger + 'static,
{
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(tick);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut reported = std::collections::HashSet::new();
        loop {
            let out = tokio::select! {
                event = events.recv() => match event {
                    Some(event) => {
                        if let SessionEvent::Snapshot { router, online } = &event
                            && reported.insert(router.clone())
                        {
                            tracing::info!(%router, online = online.len(), "session watcher reporting: alerts are live");
                        }
                        engine.session_event(&event).await
                    }
                    None => break,
                },
                _ = interval.tick() => engine.alert_tick().await,
            };
            send(messenger.as_ref(), &out).await;
        }
    })
}

async fn send<M: Messenger>(messenger: &M, out: &[Outgoing]) {
    for message in out {
        if let Err(e) = messenger.send(message).await {
            tracing::error!(error = %e, chat = %message.chat, "alert not sent");
        }
    }
}
