//! Seals sent off the machine as they are made: appended to a file on another mount, or sent
//! as a syslog message (RFC 5424, over UDP, or over TCP with RFC 6587 octet counting) to a
//! collector. Each is one line of JSON with the
//! seal's epochs, last row, chain head and MAC (no personal data), so that whoever later
//! deletes the newest seals together with their rows leaves a database that disagrees with the
//! anchored copy (`pppoe-bot audit verify --anchors`).
//!
//! ```
//! use audit_store::anchor::{Anchor, AnchoredSeal};
//!
//! let anchor: Anchor = "udp://192.0.2.10:514".parse().unwrap();
//! assert_eq!(anchor.to_string(), "udp://192.0.2.10:514");
//! let seal = AnchoredSeal { epoch: 4, first_epoch: 4, last_seq: 10, claims: 2, head: "ab".repeat(32), mac: "cd".repeat(32) };
//! let line = seal.to_line();
//! assert_eq!(AnchoredSeal::from_line(&format!("<110>1 - host pppoe-bot - audit_seal - {line}")), Some(seal));
//! ```

use std::fmt;
use std::io::Write as _;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs as _, UdpSocket};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// Where seals are sent besides the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anchor {
    /// Appended (and fsynced) to this file, one line per seal.
    File(PathBuf),
    /// Sent to this syslog collector over UDP (RFC 5424, facility "log audit").
    Udp(String),
    /// Sent to this syslog collector over TCP (RFC 5424 framed by octet counting, RFC 6587),
    /// a new connection per seal (one a minute).
    Tcp(String),
}

impl FromStr for Anchor {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(path) = s.strip_prefix("file:") {
            let path = path.trim_start_matches("//");
            if path.is_empty() {
                return Err(format!("{s:?}: the file path is empty"));
            }
            return Ok(Self::File(PathBuf::from(path)));
        }
        for (scheme, make) in [
            ("udp://", Self::Udp as fn(String) -> Self),
            ("tcp://", Self::Tcp),
        ] {
            if let Some(addr) = s.strip_prefix(scheme) {
                if !addr.contains(':') {
                    return Err(format!("{s:?}: give the port, e.g. {scheme}192.0.2.10:514"));
                }
                return Ok(make(addr.to_owned()));
            }
        }
        Err(format!(
            "{s:?}: expected file:/path/on/another/mount, udp://host:514 or tcp://host:514"
        ))
    }
}

impl fmt::Display for Anchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(path) => write!(f, "file:{}", path.display()),
            Self::Udp(addr) => write!(f, "udp://{addr}"),
            Self::Tcp(addr) => write!(f, "tcp://{addr}"),
        }
    }
}

/// A seal as anchored: what it closes and its MAC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnchoredSeal {
    /// The last epoch it closes.
    pub epoch: u64,
    /// The first epoch it closes.
    pub first_epoch: u64,
    /// The row it closes at (0: empty log).
    pub last_seq: i64,
    /// The number of message claims then.
    pub claims: i64,
    /// That row's hash.
    pub head: String,
    /// The seal's MAC.
    pub mac: String,
}

impl AnchoredSeal {
    /// One line of JSON (no newline).
    pub fn to_line(&self) -> String {
        format!(
            r#"{{"audit_seal":1,"epoch":{},"first_epoch":{},"last_seq":{},"claims":{},"head":"{}","mac":"{}"}}"#,
            self.epoch, self.first_epoch, self.last_seq, self.claims, self.head, self.mac
        )
    }

    /// The seal in a line that holds [`to_line`](Self::to_line)'s JSON somewhere (a syslog
    /// collector's file adds its own prefix); `None` for any other line.
    pub fn from_line(line: &str) -> Option<Self> {
        let json = &line[line.find(r#"{"audit_seal":1,"#)?..];
        let field = |name: &str| {
            let key = format!(r#""{name}":"#);
            let rest = &json[json.find(&key)? + key.len()..];
            let rest = rest.strip_prefix('"').unwrap_or(rest);
            let end = rest.find(['"', ',', '}'])?;
            Some(&rest[..end])
        };
        Some(Self {
            epoch: field("epoch")?.parse().ok()?,
            first_epoch: field("first_epoch")?.parse().ok()?,
            last_seq: field("last_seq")?.parse().ok()?,
            claims: field("claims")?.parse().ok()?,
            head: hex_of(field("head")?)?,
            mac: hex_of(field("mac")?)?,
        })
    }
}

fn hex_of(s: &str) -> Option<String> {
    (s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())).then(|| s.to_owned())
}

/// Sends `seal` to `anchor`. Errors are for the log: an anchor that cannot be reached does not
/// stop the audit log.
pub(crate) fn send(anchor: &Anchor, seal: &AnchoredSeal, host: &str) -> std::io::Result<()> {
    match anchor {
        Anchor::File(path) => {
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?;
            file.write_all(format!("{}\n", seal.to_line()).as_bytes())?;
            file.sync_data()
        }
        Anchor::Udp(addr) => {
            let target = resolve(addr)?;
            let local: SocketAddr = if target.is_ipv4() {
                "0.0.0.0:0".parse().expect("an address")
            } else {
                "[::]:0".parse().expect("an address")
            };
            let socket = UdpSocket::bind(local)?;
            socket
                .send_to(syslog(seal, host).as_bytes(), target)
                .map(drop)
        }
        Anchor::Tcp(addr) => {
            let mut stream = TcpStream::connect_timeout(&resolve(addr)?, NETWORK_TIMEOUT)?;
            stream.set_write_timeout(Some(NETWORK_TIMEOUT))?;
            let message = syslog(seal, host);
            stream.write_all(format!("{} {message}", message.len()).as_bytes())?;
            stream.flush()
        }
    }
}

/// How long a TCP collector may take to accept a seal.
const NETWORK_TIMEOUT: Duration = Duration::from_secs(2);

fn resolve(addr: &str) -> std::io::Result<SocketAddr> {
    addr.to_socket_addrs()?
        .next()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no address for the host"))
}

/// The seal as an RFC 5424 message: `<110>` is facility 13 (log audit), severity 6 (info).
fn syslog(seal: &AnchoredSeal, host: &str) -> String {
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    format!(
        "<110>1 {now} {host} pppoe-bot - audit_seal - {}",
        seal.to_line()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_parse_and_bad_ones_are_named() {
        assert_eq!(
            "file:/mnt/backup/anchors.log".parse::<Anchor>().unwrap(),
            Anchor::File("/mnt/backup/anchors.log".into())
        );
        assert_eq!(
            "file:///mnt/a.log".parse::<Anchor>().unwrap(),
            Anchor::File("/mnt/a.log".into())
        );
        assert_eq!(
            "tcp://collector:6514".parse::<Anchor>().unwrap(),
            Anchor::Tcp("collector:6514".into())
        );
        for bad in [
            "syslog://x:514",
            "udp://host",
            "tcp://host",
            "file:",
            "/tmp/x",
        ] {
            let err = bad.parse::<Anchor>().unwrap_err();
            assert!(err.contains(bad), "{err}");
        }
    }

    #[test]
    fn lines_round_trip_and_others_are_ignored() {
        let seal = AnchoredSeal {
            epoch: 9,
            first_epoch: 5,
            last_seq: 0,
            claims: 0,
            head: "0".repeat(64),
            mac: "f".repeat(64),
        };
        assert_eq!(AnchoredSeal::from_line(&seal.to_line()), Some(seal));
        assert_eq!(AnchoredSeal::from_line("Dec  2 kernel: eth0 up"), None);
        assert_eq!(
            AnchoredSeal::from_line(
                r#"{"audit_seal":1,"epoch":1,"first_epoch":1,"last_seq":2,"head":"x","mac":"y"}"#
            ),
            None
        );
    }

    #[test]
    fn a_seal_reaches_a_file_and_a_udp_collector() {
        let dir = tempfile::tempdir().unwrap();
        let seal = AnchoredSeal {
            epoch: 3,
            first_epoch: 3,
            last_seq: 7,
            claims: 0,
            head: "a".repeat(64),
            mac: "b".repeat(64),
        };
        let file = dir.path().join("anchors.log");
        send(&Anchor::File(file.clone()), &seal, "bot").unwrap();
        send(&Anchor::File(file.clone()), &seal, "bot").unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert_eq!(
            AnchoredSeal::from_line(text.lines().next().unwrap()),
            Some(seal.clone())
        );

        let collector = UdpSocket::bind("127.0.0.1:0").unwrap();
        let anchor = Anchor::Udp(collector.local_addr().unwrap().to_string());
        send(&anchor, &seal, "bot").unwrap();
        let mut buf = [0u8; 1024];
        let n = collector.recv(&mut buf).unwrap();
        let datagram = std::str::from_utf8(&buf[..n]).unwrap();
        assert!(datagram.starts_with("<110>1 "), "{datagram}");
        assert!(
            datagram.contains(" bot pppoe-bot - audit_seal - "),
            "{datagram}"
        );
        assert_eq!(AnchoredSeal::from_line(datagram), Some(seal.clone()));

        let collector = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let anchor = Anchor::Tcp(collector.local_addr().unwrap().to_string());
        send(&anchor, &seal, "bot").unwrap();
        let (mut stream, _) = collector.accept().unwrap();
        let mut framed = String::new();
        std::io::Read::read_to_string(&mut stream, &mut framed).unwrap();
        let (length, message) = framed.split_once(' ').unwrap();
        assert_eq!(
            length.parse::<usize>().unwrap(),
            message.len(),
            "octet counting"
        );
        assert_eq!(AnchoredSeal::from_line(message), Some(seal));
    }
}
