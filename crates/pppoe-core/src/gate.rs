//! Per-key FIFO ordering without a runtime: each call takes a ticket synchronously, and waits
//! until every earlier ticket of the same key has finished (or was dropped).

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

#[derive(Debug, Default)]
struct Queue {
    next: u64,
    serving: u64,
    /// Tickets dropped before their turn; skipped when reached.
    abandoned: BTreeSet<u64>,
    wakers: HashMap<u64, Waker>,
}

impl Queue {
    fn advance(&mut self) {
        self.serving += 1;
        while self.abandoned.remove(&self.serving) {
            self.serving += 1;
        }
        if let Some(w) = self.wakers.remove(&self.serving) {
            w.wake();
        }
    }
}

/// Orders work per key (the sender): first come, first served.
#[derive(Debug, Default)]
pub(crate) struct Gate {
    queues: Mutex<HashMap<String, Queue>>,
}

impl Gate {
    /// Takes the next ticket for `key` now; await it for the turn.
    pub(crate) fn ticket(self: &Arc<Self>, key: &str) -> Ticket {
        let mut queues = self.queues.lock().unwrap_or_else(PoisonError::into_inner);
        let queue = queues.entry(key.to_owned()).or_default();
        let number = queue.next;
        queue.next += 1;
        Ticket {
            gate: Arc::clone(self),
            key: key.to_owned(),
            number,
            served: false,
        }
    }

    fn finish(&self, key: &str, number: u64, served: bool) {
        let mut queues = self.queues.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(queue) = queues.get_mut(key) else {
            return;
        };
        queue.wakers.remove(&number);
        if served || queue.serving == number {
            queue.advance();
        } else {
            queue.abandoned.insert(number);
        }
        if queue.serving == queue.next {
            queues.remove(key);
        }
    }

    #[cfg(test)]
    fn keys(&self) -> usize {
        self.queues
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// A place in a key's queue. Resolves to a [`Turn`] when it is this ticket's turn.
#[derive(Debug)]
pub(crate) struct Ticket {
    gate: Arc<Gate>,
    key: String,
    number: u64,
    served: bool,
}

impl Future for Ticket {
    type Output = Turn;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Turn> {
        let mut queues = self
            .gate
            .queues
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // A queue lives while it has unfinished tickets, so `None` cannot happen; treating it
        // as "our turn" keeps the engine running should that invariant ever break.
        let ready = queues
            .get_mut(&self.key)
            .is_none_or(|queue| queue.serving == self.number);
        if ready {
            drop(queues);
            self.served = true;
            Poll::Ready(Turn {
                gate: Arc::clone(&self.gate),
                key: self.key.clone(),
                number: self.number,
            })
        } else {
            if let Some(queue) = queues.get_mut(&self.key) {
                queue.wakers.insert(self.number, cx.waker().clone());
            }
            Poll::Pending
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if !self.served {
            self.gate.finish(&self.key, self.number, false);
        }
    }
}

/// The right to run; the next ticket of the key runs once this is dropped.
#[derive(Debug)]
pub(crate) struct Turn {
    gate: Arc<Gate>,
    key: String,
    number: u64,
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.gate.finish(&self.key, self.number, true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt;

    #[test]
    fn tickets_are_served_in_order_and_queues_are_freed() {
        let gate = Arc::new(Gate::default());
        let a = gate.ticket("x");
        let b = gate.ticket("x");
        let other = gate.ticket("y");
        let mut b = Box::pin(b);
        assert!(b.as_mut().now_or_never().is_none(), "b must wait for a");
        let turn_other = other.now_or_never().expect("other keys do not wait");
        let turn_a = a.now_or_never().expect("a is first");
        assert!(b.as_mut().now_or_never().is_none());
        drop(turn_a);
        let turn_b = b.now_or_never().expect("b after a");
        drop(turn_b);
        drop(turn_other);
        assert_eq!(gate.keys(), 0);
    }

    #[test]
    fn dropped_tickets_do_not_block_the_queue() {
        let gate = Arc::new(Gate::default());
        let a = gate.ticket("x");
        let b = gate.ticket("x");
        let c = gate.ticket("x");
        drop(b);
        let turn_a = a.now_or_never().unwrap();
        drop(turn_a);
        let turn_c = c.now_or_never().expect("c after a, b was abandoned");
        drop(turn_c);
        assert_eq!(gate.keys(), 0);
        // Dropping the first ticket before polling it hands the turn on.
        let a = gate.ticket("x");
        let b = gate.ticket("x");
        drop(a);
        drop(b.now_or_never().expect("b runs"));
        assert_eq!(gate.keys(), 0);
    }
}
