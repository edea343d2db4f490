//! Linking the bot's number: `pppoe-bot pair`.
//!
//! The phone links this device either by scanning a QR code (WhatsApp > Linked devices > Link
//! a device) or, with `--phone`, by typing an 8-character pairing code ("Link with phone
//! number instead"). Both run at once; whichever the operator uses first wins. The QR code
//! rotates (60 s, then 20 s per code); each is drawn in the terminal with Unicode half blocks
//! (black on white whatever the terminal's colours, so a phone camera reads it) and written as
//! a PNG next to the session file for terminals that cannot show it. The session is stored in
//! the session file; a second `pair` on a linked session only checks it.
//!
//! The PNG is encoded with the `png` crate directly: the `image` crate (what `qrcode`'s image
//! feature pulls in) would compile a general imaging library for one grey-scale picture.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use pppoe_core::{Clock, PhoneNumber, SystemClock};
use qrcode::QrCode;
use qrcode::render::unicode::Dense1x2;
use tokio::sync::mpsc;
use whatsapp_rust::pair_code::PairCodeOptions;
use whatsapp_rust::types::events::{Event, PairingCode, PairingQrCode};

use crate::adapter::Input;
use crate::config::WhatsAppConfig;
use crate::error::{TerminalError, WaError, human_duration};
use crate::lifecycle::{self, Lifecycle};
use crate::live::{EventSink, SessionLock, build_bot, linked_phone};

/// How long `pair` waits for the phone in all.
pub const PAIR_TIMEOUT: Duration = Duration::from_secs(300);

/// How pairing ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PairOutcome {
    /// The phone linked this device.
    Paired {
        /// The linked number (digits).
        phone: String,
        /// The account's LID, if WhatsApp told it.
        lid: Option<String>,
        /// The business name, for WhatsApp Business accounts.
        business_name: String,
        /// The phone's platform (`android`, `iphone`, `smba`, ...).
        platform: String,
    },
    /// The session was linked already and still works; nothing changed.
    AlreadyPaired {
        /// The linked number (digits).
        phone: String,
    },
}

impl std::fmt::Display for PairOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Paired {
                phone,
                business_name,
                platform,
                ..
            } => {
                write!(f, "linked to +{phone}")?;
                if !business_name.is_empty() {
                    write!(f, " ({business_name})")?;
                }
                if !platform.is_empty() {
                    write!(f, " from a {platform} phone")?;
                }
                write!(f, "; the session is saved, `pppoe-bot run` will use it")
            }
            Self::AlreadyPaired { phone } => write!(
                f,
                "this session is already linked to +{phone} and connects fine; nothing to do \
                 (to link another number, use another session file)"
            ),
        }
    }
}

/// The QR code of `data` as text: two modules per character cell (Unicode half blocks), with
/// the quiet zone. With `ansi`, each line is wrapped in black-on-white colour codes, so that
/// dark and light modules come out right on dark and light terminal themes alike.
pub fn render_qr(data: &str, ansi: bool) -> Result<String, WaError> {
    let code = QrCode::new(data.as_bytes()).map_err(|e| WaError::Pairing(e.to_string()))?;
    let art = code
        .render::<Dense1x2>()
        .dark_color(Dense1x2::Dark)
        .light_color(Dense1x2::Light)
        .quiet_zone(true)
        .build();
    if !ansi {
        return Ok(art);
    }
    Ok(art
        .lines()
        .map(|line| format!("\x1b[30;107m{line}\x1b[0m"))
        .collect::<Vec<_>>()
        .join("\n"))
}

/// The QR code of `data` as a grey-scale PNG: 8 pixels per module, 4 modules of quiet zone.
pub fn qr_png(data: &str) -> Result<Vec<u8>, WaError> {
    const SCALE: usize = 8;
    const QUIET: usize = 4;
    let code = QrCode::new(data.as_bytes()).map_err(|e| WaError::Pairing(e.to_string()))?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color != qrcode::Color::Dark {
            continue;
        }
        let (mx, my) = (i % modules + QUIET, i / modules + QUIET);
        for y in my * SCALE..(my + 1) * SCALE {
            pixels[y * side + mx * SCALE..y * side + (mx + 1) * SCALE].fill(0);
        }
    }
    let mut out = Vec::new();
    let side = u32::try_from(side).map_err(|_| WaError::Pairing("QR code too large".into()))?;
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    encoder
        .write_header()
        .and_then(|mut w| w.write_image_data(&pixels))
        .map_err(|e| WaError::Pairing(format!("encoding the QR code image: {e}")))?;
    Ok(out)
}

/// `ABCD1234` as `ABCD-1234`, the way WhatsApp shows it.
pub fn format_pairing_code(code: &str) -> String {
    if code.len() == 8 && code.is_ascii() {
        format!("{}-{}", &code[..4], &code[4..])
    } else {
        code.to_owned()
    }
}

/// What to tell the operator about a pairing code received at `now`.
pub fn pairing_code_text(code: &str, valid_for: Duration, now: DateTime<Utc>) -> String {
    let until = now + chrono::Duration::from_std(valid_for).unwrap_or_default();
    format!(
        "Pairing code: {}\n  On the bot's phone: WhatsApp > Settings > Linked devices > Link a \
         device > Link with phone number instead, and type the code.\n  Valid for about {} \
         (until {} UTC).",
        format_pairing_code(code),
        human_duration(valid_for),
        until.format("%H:%M:%S")
    )
}

fn qr_text(art: &str, valid_for: Duration, png: Option<&Path>) -> String {
    let mut text = format!(
        "{art}\nScan with the bot's phone: WhatsApp > Settings > Linked devices > Link a device. \
         This code is valid for {}; a new one follows.",
        human_duration(valid_for)
    );
    if let Some(png) = png {
        text.push_str(&format!(
            "\nThe same code as an image: {} (if the terminal cannot show it).",
            png.display()
        ));
    }
    text
}

/// Links the bot's number, printing QR codes (and, with `phone`, a pairing code) on stdout.
/// See the module documentation.
pub async fn pair(
    config: &WhatsAppConfig,
    phone: Option<&PhoneNumber>,
) -> Result<PairOutcome, WaError> {
    let mut stdout = std::io::stdout();
    pair_with_output(config, phone, &mut stdout, PAIR_TIMEOUT).await
}

/// [`pair`], writing to `out` and giving up after `timeout`.
pub async fn pair_with_output(
    config: &WhatsAppConfig,
    phone: Option<&PhoneNumber>,
    out: &mut (dyn Write + Send),
    timeout: Duration,
) -> Result<PairOutcome, WaError> {
    let _lock = SessionLock::acquire(config)?;
    let outcome = match attempt(config, phone, out, timeout).await {
        Err(Attempt::StaleSession) => {
            let moved = move_aside(&config.session_path)?;
            say(
                out,
                &format!(
                    "The phone had logged this session out; it was moved to {} and a new one \
                     is linked now.",
                    moved.display()
                ),
            );
            attempt(config, phone, out, timeout).await
        }
        other => other,
    };
    let _ = std::fs::remove_file(config.qr_png_path());
    outcome.map_err(|e| match e {
        Attempt::Failed(e) => e,
        Attempt::StaleSession => {
            WaError::Pairing("the new session was logged out at once; try again".into())
        }
    })
}

enum Attempt {
    /// The existing session was logged out: start afresh.
    StaleSession,
    Failed(WaError),
}

impl From<WaError> for Attempt {
    fn from(e: WaError) -> Self {
        Self::Failed(e)
    }
}

fn say(out: &mut (dyn Write + Send), text: &str) {
    // The terminal is the only place to say it; a closed stdout is not worth failing for.
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}

/// Writes `bytes` to `path`, readable by the owner only: whoever scans a QR code links their
/// account to this device.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), WaError> {
    let io = |source| WaError::Io {
        path: path.to_owned(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(io)?;
    file.write_all(bytes).map_err(io)
}

/// Moves `<session>` and its `-wal`/`-shm` files to `<session>.logged-out-<time>`.
fn move_aside(session: &Path) -> Result<PathBuf, WaError> {
    let stamp = SystemClock.now().format("%Y%m%d%H%M%S");
    let mut target = session.as_os_str().to_owned();
    target.push(format!(".logged-out-{stamp}"));
    let target = PathBuf::from(target);
    for suffix in ["", "-wal", "-shm"] {
        let mut from = session.as_os_str().to_owned();
        from.push(suffix);
        let mut to = target.as_os_str().to_owned();
        to.push(suffix);
        if Path::new(&from).exists() {
            std::fs::rename(&from, &to).map_err(|source| WaError::Io {
                path: PathBuf::from(&from),
                source,
            })?;
        }
    }
    Ok(target)
}

/// What `pair` says first, and whether it asks WhatsApp for a pairing code: only for an
/// unlinked session and when `--phone` was given (on a linked session the request fails).
fn pair_plan(linked: Option<&str>, phone: Option<&PhoneNumber>) -> (String, bool) {
    match (linked, phone) {
        (Some(p), Some(asked)) if p != asked.as_str() => (
            format!(
                "This session is already linked to +{p}, not +{asked}; no pairing code is asked \
                 for. Checking the session… (to link +{asked}, use another session file)"
            ),
            false,
        ),
        (Some(p), Some(_)) => (
            format!(
                "This session is already linked to +{p}; no pairing code is asked for. \
                 Checking the session…"
            ),
            false,
        ),
        (Some(p), None) => (format!("Checking the session linked to +{p}…"), false),
        (None, phone) => (
            "Connecting to WhatsApp to link this device…".to_owned(),
            phone.is_some(),
        ),
    }
}

async fn attempt(
    config: &WhatsAppConfig,
    phone: Option<&PhoneNumber>,
    out: &mut (dyn Write + Send),
    timeout: Duration,
) -> Result<PairOutcome, Attempt> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut bot = build_bot(
        &config.session_path,
        &config.endpoint,
        None,
        EventSink(tx.clone()),
    )
    .await?;
    let linked_before = linked_phone(&bot);
    let (text, ask_code) = pair_plan(linked_before.as_deref(), phone);
    if let (true, Some(p)) = (ask_code, phone) {
        // Only an unlinked session asks for a pairing code: asking on a linked one fails.
        drop(bot);
        let options = PairCodeOptions {
            phone_number: p.as_str().to_owned(),
            ..PairCodeOptions::default()
        };
        bot = build_bot(
            &config.session_path,
            &config.endpoint,
            Some(options),
            EventSink(tx.clone()),
        )
        .await?;
    }
    say(out, &text);
    let client = bot.client();
    let watcher = tokio::spawn(async move {
        bot.run().await;
        let _ = tx.send(Input::ClientStopped);
    });
    let deadline = tokio::time::Instant::now() + timeout;
    let result = watch_pairing(config, &mut rx, out, linked_before, deadline, timeout).await;
    client.disconnect().await;
    let _ = tokio::time::timeout(Duration::from_secs(5), watcher).await;
    result
}

async fn watch_pairing(
    config: &WhatsAppConfig,
    rx: &mut mpsc::UnboundedReceiver<Input>,
    out: &mut (dyn Write + Send),
    linked_before: Option<String>,
    deadline: tokio::time::Instant,
    timeout: Duration,
) -> Result<PairOutcome, Attempt> {
    let mut success: Option<PairOutcome> = None;
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    loop {
        let input = match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(input)) => input,
            Ok(None) | Err(_) => return Err(WaError::PairingTimeout(timeout).into()),
        };
        let event = match input {
            Input::Event(e) => e,
            // No message is handled while pairing.
            Input::Message(..) => continue,
            Input::ClientStopped => {
                return Err(match success {
                    Some(_) => WaError::Client(
                        "linked, but the connection closed before it was confirmed; run \
                         `pppoe-bot pair` again to check"
                            .into(),
                    ),
                    None => WaError::Pairing(
                        "the QR codes expired and WhatsApp closed the connection: nobody \
                         linked the device in time; run `pppoe-bot pair` again"
                            .into(),
                    ),
                }
                .into());
            }
        };
        match &*event {
            Event::PairingQrCode(PairingQrCode { code, timeout, .. }) => {
                let png_path = config.qr_png_path();
                let png = match qr_png(code).and_then(|bytes| write_private(&png_path, &bytes)) {
                    Ok(()) => Some(png_path.as_path()),
                    Err(e) => {
                        tracing::warn!(error = %e, "QR code image not written");
                        None
                    }
                };
                let art = render_qr(code, ansi)?;
                say(out, &qr_text(&art, *timeout, png));
            }
            Event::PairingCode(PairingCode { code, timeout, .. }) => {
                // The library keeps the connection open while a code is outstanding, even
                // after the QR codes ran out: the code's own validity is the real expiry.
                say(out, &pairing_code_text(code, *timeout, SystemClock.now()));
            }
            Event::PairingCodeError(e) => {
                let wait = e
                    .backoff
                    .map(|b| format!(" (WhatsApp asks to wait {} first)", human_duration(b)))
                    .unwrap_or_default();
                say(
                    out,
                    &format!(
                        "No pairing code: {}{wait}. The QR code still works.",
                        e.error
                    ),
                );
            }
            Event::PairingQrCodesExhausted(e) if !e.disconnected => say(
                out,
                "The QR codes ran out; the pairing code above is still valid until the time it \
                 gives.",
            ),
            Event::QrScannedWithoutMultidevice(_) => say(
                out,
                "The phone scanned the code but has multi-device turned off: update WhatsApp \
                 on the phone and try again.",
            ),
            Event::PairSuccess(s) => {
                let outcome = PairOutcome::Paired {
                    phone: s.id.user.to_string(),
                    lid: (!s.lid.user.is_empty()).then(|| format!("{}@lid", s.lid.user)),
                    business_name: s.business_name.clone(),
                    platform: s.platform.clone(),
                };
                say(out, &format!("Linked to +{}; finishing…", s.id.user));
                success = Some(outcome);
            }
            Event::PairError(e) => {
                return Err(WaError::Pairing(if e.error.is_empty() {
                    "the phone refused the link".into()
                } else {
                    e.error.clone()
                })
                .into());
            }
            Event::Connected(_) => {
                if let Some(outcome) = success.take() {
                    return Ok(outcome);
                }
                if let Some(phone) = linked_before.clone() {
                    return Ok(PairOutcome::AlreadyPaired { phone });
                }
            }
            Event::LoggedOut(_) if success.is_none() && linked_before.is_some() => {
                return Err(Attempt::StaleSession);
            }
            other => {
                if let Some(change) = lifecycle::classify(other, SystemClock.now()) {
                    match change {
                        // QR codes are expected here, not a sign of an unlinked session.
                        Lifecycle::Terminal(TerminalError::NotPaired) => {}
                        Lifecycle::Terminal(e) => return Err(WaError::Terminal(e).into()),
                        other => lifecycle::log(&other),
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REF: &str = "2@ZGVhZGJlZWZkZWFkYmVlZg==,bm9pc2VrZXk=,aWRlbnRpdHk=,YWR2c2VjcmV0";

    fn decode(width: usize, height: usize, dark: impl Fn(usize, usize) -> bool) -> String {
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
            if dark(x, y) { 0 } else { 255 }
        });
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code found");
        grids[0].decode().expect("decodable").1
    }

    #[test]
    fn the_png_decodes_to_the_pairing_data() {
        let bytes = qr_png(REF).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        let (w, h) = (info.width as usize, info.height as usize);
        assert_eq!(w, h);
        assert_eq!(buf[0], 255, "quiet zone is white");
        assert_eq!(buf[32 * w + 32], 0, "finder pattern is black");
        assert_eq!(decode(w, h, |x, y| buf[y * w + x] < 128), REF);
    }

    #[test]
    fn the_terminal_rendering_decodes_to_the_pairing_data() {
        let art = render_qr(REF, false).unwrap();
        // Back to modules: each cell is two modules, top and bottom; scale up for the decoder.
        let rows: Vec<Vec<char>> = art.lines().map(|l| l.chars().collect()).collect();
        let cols = rows[0].len();
        assert!(rows.iter().all(|r| r.len() == cols));
        let module = |x: usize, y: usize| {
            let c = rows[y / 2][x];
            matches!((c, y % 2), ('█', _) | ('▀', 0) | ('▄', 1))
        };
        const S: usize = 6;
        let text = decode(cols * S, rows.len() * 2 * S, |x, y| module(x / S, y / S));
        assert_eq!(text, REF);
        // In colour, the same art sits between black-on-white codes.
        let coloured = render_qr(REF, true).unwrap();
        for line in coloured.lines() {
            assert!(line.starts_with("\x1b[30;107m") && line.ends_with("\x1b[0m"));
        }
    }

    #[test]
    fn pairing_code_is_shown_grouped_with_its_expiry() {
        let now = DateTime::from_timestamp(1_734_255_025, 0).unwrap(); // 09:30:25 UTC
        let text = pairing_code_text("ABCD1234", Duration::from_secs(180), now);
        assert!(text.contains("ABCD-1234"), "{text}");
        assert!(text.contains("Link with phone number instead"), "{text}");
        assert!(text.contains("3m 0s"), "{text}");
        assert!(text.contains("09:33:25 UTC"), "{text}");
        assert_eq!(format_pairing_code("SHORT"), "SHORT");
    }

    #[test]
    fn a_linked_session_asks_no_pairing_code_and_says_to_which_number_it_is_linked() {
        let same = PhoneNumber::parse("6281234567890", "62").unwrap();
        let other = PhoneNumber::parse("6289999999999", "62").unwrap();
        let (text, ask) = pair_plan(Some("6281234567890"), Some(&same));
        assert!(!ask);
        assert!(text.contains("already linked to +6281234567890"), "{text}");
        let (text, ask) = pair_plan(Some("6281234567890"), Some(&other));
        assert!(!ask);
        assert!(text.contains("not +6289999999999"), "{text}");
        assert!(text.contains("another session file"), "{text}");
        assert!(!pair_plan(Some("6281234567890"), None).1);
        // Unlinked: a code only with --phone.
        assert!(pair_plan(None, Some(&same)).1);
        assert!(!pair_plan(None, None).1);
    }

    #[test]
    fn outcomes_in_plain_words() {
        let paired = PairOutcome::Paired {
            phone: "6281234567890".into(),
            lid: None,
            business_name: String::new(),
            platform: "android".into(),
        };
        assert_eq!(
            paired.to_string(),
            "linked to +6281234567890 from a android phone; the session is saved, `pppoe-bot run` will use it"
        );
        let again = PairOutcome::AlreadyPaired {
            phone: "6281234567890".into(),
        };
        assert!(
            again
                .to_string()
                .contains("already linked to +6281234567890")
        );
        let qr = qr_text(
            "ART",
            Duration::from_secs(60),
            Some(Path::new("/x/wa.db.qr.png")),
        );
        assert!(qr.contains("Linked devices > Link a device"));
        assert!(qr.contains("/x/wa.db.qr.png"));
    }

    #[cfg(unix)]
    #[test]
    fn the_qr_image_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wa.db.qr.png");
        write_private(&path, &qr_png(REF).unwrap()).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_logged_out_session_is_moved_aside_with_its_journal() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("wa.db");
        std::fs::write(&db, "db").unwrap();
        std::fs::write(dir.path().join("wa.db-wal"), "wal").unwrap();
        let moved = move_aside(&db).unwrap();
        assert!(!db.exists());
        assert!(!dir.path().join("wa.db-wal").exists());
        assert_eq!(std::fs::read_to_string(&moved).unwrap(), "db");
        let mut wal = moved.into_os_string();
        wal.push("-wal");
        assert_eq!(std::fs::read_to_string(wal).unwrap(), "wal");
    }

    #[tokio::test]
    async fn pairing_refuses_a_session_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let config = WhatsAppConfig::new(dir.path().join("wa.db"));
        let _held = SessionLock::acquire(&config).unwrap();
        let mut out = Vec::new();
        let err = pair_with_output(&config, None, &mut out, Duration::from_secs(1))
            .await
            .unwrap_err();
        assert!(matches!(err, WaError::SessionInUse { .. }), "{err}");
    }
}
