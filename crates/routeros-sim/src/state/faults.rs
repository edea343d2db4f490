//! Faults: the one-shot [`Fault`]s a test arms, the standing ones (silence, a reply delay, a
//! refused login, refused `listen`), and the counting that decides when each fires.

use std::time::Duration;

/// A fault that fires once, counted from the moment it is injected with
/// [`SimState::inject`](crate::SimState::inject). Request counts include `/login` and are
/// global over all connections (in a test with one connection: "the N-th sentence sent from now on").
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Close the connection that receives the `n`-th request sentence (1 = the next one)
    /// without executing it.
    CloseOnRequest(u64),
    /// Execute the `n`-th request, then close its connection without replying (a reply lost
    /// after the router made the change).
    LoseReply(u64),
    /// Close a connection once the server has written `n` more reply sentences (cuts a long
    /// print in the middle).
    CloseAfterReplies(u64),
    /// Answer the `n`-th request with `!fatal <message>` instead of executing it, then close.
    FatalOnRequest {
        /// Which request.
        n: u64,
        /// The reason word after `!fatal`.
        message: String,
    },
    /// Stop answering on the connection that receives the `n`-th request: neither that
    /// request nor any later one on it is executed or answered, and the connection stays
    /// open (a router gone silent while TCP stays up: power lost behind a NAT, a black-holed
    /// path, a hung API service).
    Hang(u64),
    /// Execute the `n`-th request, then stop answering on its connection as with
    /// [`Fault::Hang`]: a change made whose reply never comes.
    ExecuteThenHang(u64),
    /// As [`Fault::ExecuteThenHang`], for the next request with this command word (e.g.
    /// `/ppp/secret/add`), whatever comes before it.
    ExecuteThenHangOn(String),
    /// The whole router goes silent (as with [`SimState::set_silent`](crate::SimState::set_silent)) at the next request
    /// with this command word, which it executes first if `execute` (the power lost right
    /// after a change) or not (right before).
    SilentFrom {
        /// The command word, e.g. `/ppp/active/print`.
        command: String,
        /// Whether that request is executed first.
        execute: bool,
    },
}

/// What the connection must do with a request, decided by the pending faults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RequestFault {
    Close,
    LoseReply,
    Fatal(String),
    Hang,
    ExecuteThenHang,
}

/// The armed faults.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    pub(crate) reply_delay: Option<Duration>,
    pub(crate) refuse_login: bool,
    /// `listen` and `print =follow=` are "no such command".
    pub(crate) refuse_listen: bool,
    /// Every connection reads requests and answers none.
    pub(crate) silent: bool,
    /// Command words whose next request is executed, then its connection hangs.
    hang_on: Vec<String>,
    /// Command words whose next request makes the router silent (executed first or not).
    silent_from: Vec<(String, bool)>,
    /// Request faults with the number of requests still to come before they fire.
    on_request: Vec<(u64, RequestFault)>,
    /// Reply faults with the number of sentences still allowed.
    on_replies: Vec<u64>,
}

impl Faults {
    /// Arms a one-shot fault.
    pub(crate) fn inject(&mut self, fault: Fault) {
        match fault {
            Fault::CloseOnRequest(n) => self.on_request.push((n.max(1), RequestFault::Close)),
            Fault::LoseReply(n) => self.on_request.push((n.max(1), RequestFault::LoseReply)),
            Fault::FatalOnRequest { n, message } => {
                self.on_request
                    .push((n.max(1), RequestFault::Fatal(message)));
            }
            Fault::CloseAfterReplies(n) => self.on_replies.push(n),
            Fault::Hang(n) => self.on_request.push((n.max(1), RequestFault::Hang)),
            Fault::ExecuteThenHang(n) => self
                .on_request
                .push((n.max(1), RequestFault::ExecuteThenHang)),
            Fault::ExecuteThenHangOn(command) => self.hang_on.push(command),
            Fault::SilentFrom { command, execute } => self.silent_from.push((command, execute)),
        }
    }

    /// Counts a request against the armed faults.
    pub(crate) fn on_request(&mut self, command: &str) -> Option<RequestFault> {
        if let Some(i) = self.hang_on.iter().position(|c| c == command) {
            self.hang_on.remove(i);
            return Some(RequestFault::ExecuteThenHang);
        }
        if let Some(i) = self.silent_from.iter().position(|(c, _)| c == command) {
            let (_, execute) = self.silent_from.remove(i);
            self.silent = true;
            return Some(if execute {
                RequestFault::ExecuteThenHang
            } else {
                RequestFault::Hang
            });
        }
        let mut fired = None;
        let mut i = 0;
        while i < self.on_request.len() {
            let entry = &mut self.on_request[i];
            entry.0 -= 1;
            if entry.0 == 0 && fired.is_none() {
                fired = Some(self.on_request.remove(i).1);
                continue;
            }
            // Two faults due on the same request: the later one fires on the next request.
            entry.0 = entry.0.max(1);
            i += 1;
        }
        fired
    }

    /// Counts `sentences` reply sentences about to be written; `Some(k)` if only the first `k`
    /// may go out before the connection is closed.
    pub(crate) fn on_replies(&mut self, sentences: usize) -> Option<usize> {
        if self.on_replies.is_empty() {
            return None;
        }
        let count = sentences as u64;
        let cut = self
            .on_replies
            .iter()
            .copied()
            .filter(|n| *n <= count)
            .min();
        if let Some(cut) = cut
            && let Some(pos) = self.on_replies.iter().position(|n| *n == cut)
        {
            self.on_replies.remove(pos);
        }
        for n in &mut self.on_replies {
            *n = n.saturating_sub(cut.unwrap_or(count));
        }
        cut.map(|c| usize::try_from(c).unwrap_or(usize::MAX))
    }
}
