//! The console messenger: stdin lines in, replies on stdout. It stands in for WhatsApp in
//! `pppoe-bot demo` and in `pppoe-bot run --messenger console`.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use pppoe_core::{Clock, Incoming, Messenger, MessengerError, Outgoing, Sender, SystemClock};
use tokio::sync::{Mutex, mpsc};

/// Reads one command per line from stdin; prints replies to stdout.
#[derive(Debug)]
pub(crate) struct Console {
    lines: Mutex<mpsc::Receiver<String>>,
    sender: String,
    run_id: String,
    seq: AtomicU64,
    /// Render `*bold*` as terminal bold (stdout is a terminal).
    bold: bool,
    /// Print a prompt (stdin is a terminal).
    prompt: bool,
    /// Stdout is gone: take no more commands, since their replies could not be shown.
    broken: AtomicBool,
}

impl Console {
    /// A console acting as `sender` (a phone number). Starts a thread reading stdin.
    pub(crate) fn start(sender: String) -> Self {
        let (tx, rx) = mpsc::channel(64);
        std::thread::Builder::new()
            .name("stdin".into())
            .spawn(move || {
                for line in std::io::stdin().lock().lines() {
                    let Ok(line) = line else { break };
                    if tx.blocking_send(line).is_err() {
                        break;
                    }
                }
            })
            .expect("spawning the stdin reader thread");
        let now = SystemClock.now();
        Self {
            lines: Mutex::new(rx),
            sender,
            // Message ids must be unique across runs: the audit log remembers them.
            run_id: format!("{:x}", now.timestamp_nanos_opt().unwrap_or_default()),
            seq: AtomicU64::new(0),
            bold: std::io::stdout().is_terminal(),
            prompt: std::io::stdin().is_terminal(),
            broken: AtomicBool::new(false),
        }
    }

    /// Prints the prompt, if interactive.
    pub(crate) fn prompt(&self) {
        if self.prompt {
            let mut out = std::io::stdout().lock();
            let _ = write!(out, "> ");
            let _ = out.flush();
        }
    }
}

/// `*bold*` as ANSI bold, pairs within one line only.
pub(crate) fn terminal_bold(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let parts: Vec<&str> = line.split('*').collect();
        if parts.len() < 3 {
            out.push_str(line);
            continue;
        }
        let pairs = (parts.len() - 1) / 2;
        for (j, part) in parts.iter().enumerate() {
            if j > 0 {
                if j <= pairs * 2 {
                    out.push_str(if j % 2 == 1 { "\x1b[1m" } else { "\x1b[0m" });
                } else {
                    out.push('*');
                }
            }
            out.push_str(part);
        }
    }
    out
}

impl Messenger for Console {
    async fn next_message(&self) -> Option<Incoming> {
        let mut lines = self.lines.lock().await;
        loop {
            if self.broken.load(Ordering::Relaxed) {
                return None;
            }
            let line = lines.recv().await?;
            if line.trim().is_empty() {
                self.prompt();
                continue;
            }
            let n = self.seq.fetch_add(1, Ordering::Relaxed);
            return Some(Incoming {
                id: format!("console-{}-{n}", self.run_id),
                chat: "console".to_owned(),
                sender: Sender::Phone(self.sender.clone()),
                sender_lid: None,
                text: line,
                sent_at: SystemClock.now(),
                received_at: None,
                is_group: false,
            });
        }
    }

    async fn send(&self, message: &Outgoing) -> Result<(), MessengerError> {
        let text = if self.bold {
            terminal_bold(&message.text)
        } else {
            message.text.clone()
        };
        let mut out = std::io::stdout().lock();
        if let Err(e) = writeln!(out, "{text}\n").and_then(|()| out.flush()) {
            self.broken.store(true, Ordering::Relaxed);
            return Err(MessengerError::Disconnected(format!("stdout: {e}")));
        }
        drop(out);
        self.prompt();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bold_pairs_become_ansi() {
        assert_eq!(
            terminal_bold("👤 *Username:* john"),
            "👤 \x1b[1mUsername:\x1b[0m john"
        );
        assert_eq!(terminal_bold("a * b"), "a * b");
        assert_eq!(terminal_bold("*a* *b"), "\x1b[1ma\x1b[0m *b");
        assert_eq!(
            terminal_bold("*x*\n*y*"),
            "\x1b[1mx\x1b[0m\n\x1b[1my\x1b[0m"
        );
    }
}
