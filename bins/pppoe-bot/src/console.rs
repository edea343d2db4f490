//! The console messenger: stdin lines in, replies on stdout. It stands in for WhatsApp in
//! `pppoe-bot demo` and in `pppoe-bot run --messenger console`.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use pppoe_core::ports::{Attachment, Coordinates};
use pppoe_core::{
    Clock, Incoming, Messenger, MessengerError, Outgoing, PhoneNumber, Sender, SystemClock,
};
use tokio::sync::{Mutex, mpsc};

/// Reads one command per line from stdin; prints replies to stdout.
#[derive(Debug)]
pub(crate) struct Console {
    lines: Mutex<mpsc::Receiver<String>>,
    sender: PhoneNumber,
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
    /// A console acting as `sender`. Starts a thread reading stdin.
    pub(crate) fn start(sender: PhoneNumber) -> Self {
        let (tx, rx) = mpsc::channel(64);
        std::thread::Builder::new()
            .name("stdin".into())
            .spawn(move || read_lines(std::io::stdin().lock(), &tx))
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

/// Sends each line of `input` (without its `\n` or `\r\n`) until the input ends, fails, or
/// nobody receives any more. A line that is not UTF-8 is skipped with a warning naming its
/// number, never its bytes: one bad line must not end a piped batch.
fn read_lines(mut input: impl BufRead, tx: &mpsc::Sender<String>) {
    let mut raw = Vec::new();
    let mut number = 0_u64;
    loop {
        raw.clear();
        match input.read_until(b'\n', &mut raw) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "cannot read stdin; no more commands from it");
                break;
            }
        }
        number += 1;
        if raw.last() == Some(&b'\n') {
            raw.pop();
            if raw.last() == Some(&b'\r') {
                raw.pop();
            }
        }
        let Ok(line) = String::from_utf8(std::mem::take(&mut raw)) else {
            tracing::warn!(
                line = number,
                "stdin line {number} is not valid UTF-8; skipped"
            );
            continue;
        };
        if tx.blocking_send(line).is_err() {
            break;
        }
    }
}

/// What a console line sends, as WhatsApp would: `foto TARGET FILE [caption...]` sends the
/// file with the caption `foto TARGET [caption...]`; `lokasi TARGET LAT,LON` a location with
/// the caption `lokasi TARGET`; `lokasi LAT,LON` a location without a caption. Any other line
/// is text. An unreadable file is an error (nothing is sent).
pub(crate) fn with_attachment(line: &str) -> Result<(String, Option<Attachment>), String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let command = words.first().map(|w| w.to_lowercase());
    match (command.as_deref(), words.as_slice()) {
        (Some("foto" | "photo"), [word, target, file, caption @ ..])
            if std::path::Path::new(file).is_file() =>
        {
            let path = std::path::Path::new(file);
            let bytes =
                std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let mime = match path
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_lowercase)
                .as_deref()
            {
                Some("jpg" | "jpeg") => "image/jpeg",
                Some("png") => "image/png",
                Some("webp") => "image/webp",
                Some("pdf") => "application/pdf",
                _ => "application/octet-stream",
            };
            let mut text = format!("{word} {target}");
            if !caption.is_empty() {
                text.push(' ');
                text.push_str(&caption.join(" "));
            }
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            Ok((
                text,
                Some(Attachment::File {
                    bytes,
                    mime: mime.to_owned(),
                    name,
                }),
            ))
        }
        (Some("lokasi" | "location"), [word, target, point]) => match Coordinates::parse(point) {
            Some(p) => Ok((format!("{word} {target}"), Some(Attachment::Location(p)))),
            None => Ok((line.to_owned(), None)),
        },
        (Some("lokasi" | "location"), [_, point]) => match Coordinates::parse(point) {
            Some(p) => Ok((String::new(), Some(Attachment::Location(p)))),
            None => Ok((line.to_owned(), None)),
        },
        _ => Ok((line.to_owned(), None)),
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
            let (text, attachment) = match with_attachment(&line) {
                Ok(found) => found,
                Err(e) => {
                    // Said on stdout, where the replies are: the line was not sent.
                    println!("⚠️ {e}\n");
                    self.prompt();
                    continue;
                }
            };
            return Some(Incoming {
                id: format!("console-{}-{n}", self.run_id),
                chat: "console".to_owned(),
                sender: Sender::Phone(self.sender.clone()),
                sender_lid: None,
                text,
                attachment,
                sent_at: SystemClock.now(),
                received_at: None,
                is_group: false,
            });
        }
    }

    async fn send(&self, message: &Outgoing) -> Result<(), MessengerError> {
        let mut text = if self.bold {
            terminal_bold(&message.text)
        } else {
            message.text.clone()
        };
        // A notice to someone else (a ticket's): shown with whom it is for.
        if let Some(phone) = pppoe_core::ports::chat_phone(&message.chat) {
            text = format!("📨 → {phone}:\n{text}");
        }
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

    fn lines_of(input: &[u8]) -> Vec<String> {
        let (tx, mut rx) = mpsc::channel(64);
        read_lines(input, &tx);
        drop(tx);
        std::iter::from_fn(|| rx.try_recv().ok()).collect()
    }

    #[test]
    fn lines_that_are_not_utf8_are_skipped() {
        assert_eq!(lines_of(b"a\nb\r\nc"), ["a", "b", "c"]);
        assert_eq!(lines_of(b"a\n\xff\xfe\nc\n"), ["a", "c"]);
        assert_eq!(lines_of(b"\xc3(\r\n\n\xe2\x82\nx"), ["", "x"]);
        assert_eq!(lines_of(b"caf\xc3\xa9\n"), ["caf\u{e9}"]);
        assert_eq!(lines_of(b""), Vec::<String>::new());
    }

    #[test]
    fn photos_and_locations_are_sent_as_whatsapp_would() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("onu.JPG");
        std::fs::write(&file, b"jpeg bytes").unwrap();
        let line = format!("foto TR001 {} ONU terpasang", file.display());
        let (text, attachment) = with_attachment(&line).unwrap();
        assert_eq!(text, "foto TR001 ONU terpasang");
        assert_eq!(
            attachment,
            Some(Attachment::File {
                bytes: b"jpeg bytes".to_vec(),
                mime: "image/jpeg".into(),
                name: Some("onu.JPG".into()),
            })
        );
        let (text, attachment) = with_attachment("lokasi john123 -6.2088,106.8456").unwrap();
        assert_eq!(text, "lokasi john123");
        assert_eq!(
            attachment,
            Some(Attachment::Location(
                Coordinates::parse("-6.2088,106.8456").unwrap()
            ))
        );
        let (text, attachment) = with_attachment("lokasi -6.2088,106.8456").unwrap();
        assert_eq!((text.as_str(), attachment.is_some()), ("", true));
        // Not a file, not a point: plain text, as typed.
        assert_eq!(
            with_attachment("foto TR001 ONU terpasang").unwrap(),
            ("foto TR001 ONU terpasang".to_owned(), None)
        );
        assert_eq!(
            with_attachment("lokasi TR001").unwrap(),
            ("lokasi TR001".to_owned(), None)
        );
    }

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
