//! The "typing…" indicator: shown in a chat from the moment a command of an allowlisted sender
//! is handed to the engine until its reply is sent.
//!
//! The `Messenger` port has no "started"/"finished" hooks, so the adapter infers them: a
//! command starts when `next_message` hands it out, and ends when a reply quoting it is sent
//! (the engine quotes the command in the first message of every reply). A command that gets no
//! reply (a duplicate, a silent rate limit) is forgotten after a time-to-live; WhatsApp clients
//! also stop showing "typing" on their own after a while.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

/// What to tell WhatsApp about a chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatState {
    /// Show "typing…".
    Composing,
    /// Stop showing it.
    Paused,
}

/// The commands in progress per chat.
#[derive(Debug)]
pub struct Typing {
    ttl: Duration,
    pending: HashMap<String, Vec<(String, Instant)>>,
}

impl Typing {
    /// A tracker that forgets a command after `ttl` without a reply.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            pending: HashMap::new(),
        }
    }

    fn expire(&mut self, now: Instant) {
        let ttl = self.ttl;
        self.pending.retain(|_, ids| {
            ids.retain(|(_, at)| *at + ttl > now);
            !ids.is_empty()
        });
    }

    /// Command `id` in `chat` is being worked on. Returns [`ChatState::Composing`] when the
    /// chat was idle (the indicator must be switched on).
    pub fn start(&mut self, chat: &str, id: &str, now: Instant) -> Option<ChatState> {
        self.expire(now);
        let ids = self.pending.entry(chat.to_owned()).or_default();
        let was_idle = ids.is_empty();
        ids.push((id.to_owned(), now));
        was_idle.then_some(ChatState::Composing)
    }

    /// A reply quoting `id` was sent to `chat`. Returns [`ChatState::Paused`] when no other
    /// command of the chat is in progress.
    pub fn finish(&mut self, chat: &str, id: &str, now: Instant) -> Option<ChatState> {
        let Some(ids) = self.pending.get_mut(chat) else {
            self.expire(now);
            return None;
        };
        let before = ids.len();
        ids.retain(|(i, _)| i != id);
        let removed = ids.len() < before;
        let empty = ids.is_empty();
        if empty {
            self.pending.remove(chat);
        }
        self.expire(now);
        (removed && empty).then_some(ChatState::Paused)
    }

    /// Whether a command of `chat` is in progress.
    pub fn is_busy(&self, chat: &str) -> bool {
        self.pending.contains_key(chat)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composing_while_any_command_of_the_chat_runs() {
        let mut t = Typing::new(Duration::from_secs(60));
        let now = Instant::now();
        assert_eq!(t.start("a", "1", now), Some(ChatState::Composing));
        assert_eq!(t.start("a", "2", now), None, "already on");
        assert_eq!(t.start("b", "3", now), Some(ChatState::Composing));
        assert_eq!(t.finish("a", "1", now), None, "2 still runs");
        assert_eq!(t.finish("a", "2", now), Some(ChatState::Paused));
        assert!(!t.is_busy("a"));
        assert!(t.is_busy("b"));
        // A reply that quotes nothing we track changes nothing.
        assert_eq!(t.finish("a", "2", now), None);
        assert_eq!(t.finish("b", "x", now), None);
        assert_eq!(t.finish("b", "3", now), Some(ChatState::Paused));
    }

    #[test]
    fn commands_without_a_reply_are_forgotten() {
        let mut t = Typing::new(Duration::from_secs(30));
        let t0 = Instant::now();
        t.start("a", "1", t0);
        let later = t0 + Duration::from_secs(31);
        assert_eq!(
            t.start("a", "2", later),
            Some(ChatState::Composing),
            "the stale command no longer counts"
        );
        assert_eq!(t.finish("a", "2", later), Some(ChatState::Paused));
    }
}
