//! TLS for the `api-ssl` service (port 8729), with rustls and the `ring` provider.
//!
//! Routers normally carry self-signed certificates, so there are two ways to trust one:
//!
//! * [`TlsOptions::ca_file`] / [`TlsOptions::ca_pem`]: verify the chain and the host name
//!   (or IP address, which must then be in the certificate's subject alternative names)
//!   against these CA certificates. Use it when the router's certificate was signed by a CA
//!   that you control (`/certificate sign ... ca=...`).
//! * [`TlsOptions::pin_sha256`] / [`TlsOptions::pin_sha256_hex`]: accept exactly the
//!   certificate whose SHA-256 fingerprint is given, whatever its name and dates; the
//!   handshake signature is still checked against that certificate's key. RouterOS shows the
//!   fingerprint in `/certificate print detail`; [`probe_fingerprint`] reads it over the
//!   network for the operator to compare.
//!
//! There is no option to skip verification.
//!
//! RouterOS `api-ssl` *without* a certificate only offers anonymous Diffie-Hellman, which
//! authenticates nobody; rustls does not implement it, the handshake fails, and the error
//! ([`ClientError::Tls`]) tells the operator how to give the service a certificate. A
//! certificate that is not the trusted one is [`ClientError::Certificate`], which says why
//! in words (for a pin: the router's fingerprint and the pinned one).

use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    AlertDescription, CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use sha2::{Digest, Sha256};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::client::{ClientConfig, ClientError, Phase};

/// What the operator must do when the router offers no usable cipher suite.
pub const NO_CERTIFICATE_HINT: &str = "the router offered no TLS cipher suite that can \
authenticate it. RouterOS api-ssl without a certificate only offers anonymous Diffie-Hellman, \
which is refused. Give the service a certificate, on the router: \
`/certificate add name=api-ssl common-name=<router address>`, \
`/certificate sign api-ssl`, then `/ip service set api-ssl certificate=api-ssl`; \
then pin its fingerprint (`/certificate print detail`) or trust the CA that signed it. \
(Very old RouterOS versions may also offer only legacy ciphers: upgrade RouterOS.)";

/// How to trust the router's certificate.
#[derive(Clone, Debug)]
pub struct TlsOptions {
    trust: Trust,
    server_name: Option<String>,
}

#[derive(Clone)]
enum Trust {
    Roots(Arc<RootCertStore>),
    Pin([u8; 32]),
}

impl fmt::Debug for Trust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Roots(roots) => write!(f, "Roots({} CA certificates)", roots.len()),
            Self::Pin(pin) => write!(f, "Pin(sha256 {})", format_fingerprint(pin)),
        }
    }
}

fn tls_error(message: impl Into<String>) -> ClientError {
    ClientError::Tls {
        message: message.into(),
        source: None,
    }
}

impl TlsOptions {
    /// Trusts the CA certificates of a PEM file.
    ///
    /// # Errors
    ///
    /// [`ClientError::Tls`] if the file cannot be read or holds no usable certificate.
    pub fn ca_file(path: impl AsRef<Path>) -> Result<Self, ClientError> {
        let path = path.as_ref();
        let pem = std::fs::read(path).map_err(|err| ClientError::Tls {
            message: format!("cannot read CA file {}: {err}", path.display()),
            source: Some(Box::new(err)),
        })?;
        Self::ca_pem(&pem).map_err(|err| match err {
            ClientError::Tls { message, source } => ClientError::Tls {
                message: format!("CA file {}: {message}", path.display()),
                source,
            },
            other => other,
        })
    }

    /// Trusts the CA certificates of PEM data.
    ///
    /// # Errors
    ///
    /// [`ClientError::Tls`] if the data holds no usable certificate.
    pub fn ca_pem(pem: &[u8]) -> Result<Self, ClientError> {
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|err| tls_error(format!("bad PEM: {err}")))?;
            roots.add(cert).map_err(|err| ClientError::Tls {
                message: format!("unusable CA certificate: {err}"),
                source: Some(Box::new(err)),
            })?;
        }
        if roots.is_empty() {
            return Err(tls_error("no CERTIFICATE in the PEM data"));
        }
        Ok(Self {
            trust: Trust::Roots(Arc::new(roots)),
            server_name: None,
        })
    }

    /// Accepts only the certificate with this SHA-256 fingerprint (of its DER encoding).
    #[must_use]
    pub fn pin_sha256(fingerprint: [u8; 32]) -> Self {
        Self {
            trust: Trust::Pin(fingerprint),
            server_name: None,
        }
    }

    /// As [`pin_sha256`](Self::pin_sha256), from hexadecimal text; colons, spaces and case
    /// are ignored (`AB:CD:...` as OpenSSL prints it, or `abcd...` as RouterOS does).
    ///
    /// # Errors
    ///
    /// [`ClientError::Tls`] if the text is not 32 bytes of hexadecimal.
    pub fn pin_sha256_hex(fingerprint: &str) -> Result<Self, ClientError> {
        let digits: String = fingerprint
            .chars()
            .filter(|c| !matches!(c, ':' | ' ' | '-'))
            .collect();
        let mut pin = [0u8; 32];
        hex::decode_to_slice(&digits, &mut pin).map_err(|_| {
            tls_error(format!(
                "a SHA-256 fingerprint is 64 hexadecimal digits, got {fingerprint:?}"
            ))
        })?;
        Ok(Self::pin_sha256(pin))
    }

    /// The name to verify and to send as SNI, instead of the configured host.
    #[must_use]
    pub fn server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = Some(name.into());
        self
    }

    fn rustls_config(&self) -> Result<rustls::ClientConfig, ClientError> {
        let provider = provider();
        let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(|err| tls_error(format!("TLS setup: {err}")))?;
        let config = match &self.trust {
            Trust::Roots(roots) => builder.with_root_certificates(Arc::clone(roots)),
            Trust::Pin(pin) => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(FingerprintVerifier {
                    mode: FingerprintMode::Pin(*pin),
                    algorithms: provider.signature_verification_algorithms,
                })),
        };
        Ok(config.with_no_client_auth())
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// SHA-256 of a DER certificate.
#[must_use]
pub fn sha256(cert_der: &[u8]) -> [u8; 32] {
    let digest = Sha256::digest(cert_der);
    let mut out = [0u8; 32];
    out.copy_from_slice(&digest);
    out
}

/// `AB:CD:...`, the way OpenSSL prints fingerprints.
#[must_use]
pub fn format_fingerprint(fingerprint: &[u8; 32]) -> String {
    let hex = hex::encode_upper(fingerprint);
    let mut out = String::with_capacity(95);
    for (i, pair) in hex.as_bytes().chunks(2).enumerate() {
        if i > 0 {
            out.push(':');
        }
        out.push_str(std::str::from_utf8(pair).unwrap_or("??"));
    }
    out
}

/// The SHA-256 fingerprint of a DER certificate, formatted by [`format_fingerprint`].
#[must_use]
pub fn fingerprint_sha256(cert_der: &[u8]) -> String {
    format_fingerprint(&sha256(cert_der))
}

/// Checks the router's certificate by its SHA-256 fingerprint, and still verifies the
/// handshake signatures with it.
#[derive(Debug)]
struct FingerprintVerifier {
    mode: FingerprintMode,
    algorithms: WebPkiSupportedAlgorithms,
}

#[derive(Debug)]
enum FingerprintMode {
    /// Accept only this certificate.
    Pin([u8; 32]),
    /// Accept any certificate but record its fingerprint; used only by [`probe_fingerprint`],
    /// which sends no data over the connection.
    Record(Mutex<Option<[u8; 32]>>),
}

/// The router's certificate is not the pinned one.
#[derive(Debug, thiserror::Error)]
#[error("certificate fingerprint is SHA-256 {actual}, but {expected} is pinned")]
struct PinMismatch {
    actual: String,
    expected: String,
}

impl ServerCertVerifier for FingerprintVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let actual = sha256(end_entity);
        match &self.mode {
            FingerprintMode::Pin(pin) if actual == *pin => Ok(ServerCertVerified::assertion()),
            FingerprintMode::Pin(pin) => Err(rustls::Error::InvalidCertificate(
                CertificateError::Other(rustls::OtherError(Arc::new(PinMismatch {
                    actual: format_fingerprint(&actual),
                    expected: format_fingerprint(pin),
                }))),
            )),
            FingerprintMode::Record(seen) => {
                *seen
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(actual);
                Ok(ServerCertVerified::assertion())
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

fn server_name(name: &str) -> Result<ServerName<'static>, ClientError> {
    ServerName::try_from(name.to_owned())
        .map_err(|err| tls_error(format!("{name:?} is not a valid TLS server name: {err}")))
}

/// Turns a failed handshake into an error that says what to do.
fn handshake_error(err: std::io::Error) -> ClientError {
    let Some(tls) = err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    else {
        return ClientError::Tls {
            message: format!("handshake failed: {err}"),
            source: Some(Box::new(err)),
        };
    };
    let message = match tls {
        rustls::Error::AlertReceived(
            AlertDescription::HandshakeFailure | AlertDescription::InsufficientSecurity,
        )
        | rustls::Error::PeerIncompatible(_) => NO_CERTIFICATE_HINT.to_owned(),
        rustls::Error::InvalidCertificate(cert) => {
            return ClientError::Certificate {
                message: certificate_problem(cert),
                source: Some(Box::new(err)),
            };
        }
        other => format!("handshake failed: {other}"),
    };
    ClientError::Tls {
        message,
        source: Some(Box::new(err)),
    }
}

/// Why the router's certificate was refused, in words an operator can act on.
fn certificate_problem(cert: &CertificateError) -> String {
    const CHECK: &str = "compare with `/certificate print detail` on the router";
    match cert {
        CertificateError::Other(other) => match other.0.downcast_ref::<PinMismatch>() {
            Some(pin) => format!(
                "the router's certificate fingerprint is {}, the config pins {} \
                 (tls.fingerprint); if the router's certificate was replaced on purpose, pin \
                 the new one, else someone may be intercepting the connection",
                pin.actual, pin.expected
            ),
            None => format!("the router's certificate was refused: {}", other.0),
        },
        CertificateError::UnknownIssuer => format!(
            "the router's certificate is not signed by the configured CA (tls.ca_file); {CHECK}"
        ),
        CertificateError::NotValidForName => format!(
            "the router's certificate is not valid for the configured host name; set \
             tls.server_name to a name in the certificate, or pin its fingerprint; {CHECK}"
        ),
        CertificateError::NotValidForNameContext {
            expected,
            presented,
        } => format!(
            "the router's certificate is for {}, not for {expected:?}; set tls.server_name to \
             one of those names, or pin its fingerprint",
            if presented.is_empty() {
                "no name".to_owned()
            } else {
                presented.join(", ")
            }
        ),
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            format!("the router's certificate has expired ({cert}); renew it on the router")
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => format!(
            "the router's certificate is not valid yet ({cert}); check the clocks of the router \
             and of this machine"
        ),
        other => format!("the router's certificate was refused ({other}); {CHECK}"),
    }
}

/// Runs the TLS handshake over a connected socket, for [`Client::connect`](crate::Client::connect).
pub(crate) async fn handshake(
    tcp: TcpStream,
    config: &ClientConfig,
    options: &TlsOptions,
) -> Result<TlsStream<TcpStream>, ClientError> {
    let name = server_name(options.server_name.as_deref().unwrap_or(config.host()))?;
    let connector = TlsConnector::from(Arc::new(options.rustls_config()?));
    let timeout = config.get_connect_timeout();
    tokio::time::timeout(timeout, connector.connect(name, tcp))
        .await
        .map_err(|_| ClientError::Timeout {
            during: Phase::TlsHandshake,
            after: timeout,
        })?
        .map_err(handshake_error)
}

/// Connects to `api-ssl` on `host:port`, completes a handshake without trusting anything,
/// closes, and returns the SHA-256 fingerprint of the certificate the router presented
/// (formatted by [`format_fingerprint`]), for an operator to compare and pin.
///
/// # Errors
///
/// [`ClientError::Connect`], [`ClientError::Timeout`], or [`ClientError::Tls`] (with
/// [`NO_CERTIFICATE_HINT`] when the service has no certificate).
pub async fn probe_fingerprint(
    host: &str,
    port: u16,
    timeout: Duration,
) -> Result<String, ClientError> {
    use tokio::io::AsyncWriteExt;

    let tcp = tokio::time::timeout(timeout, TcpStream::connect((host, port)))
        .await
        .map_err(|_| ClientError::Timeout {
            during: Phase::Connect,
            after: timeout,
        })?
        .map_err(|source| ClientError::Connect {
            addr: format!("{host}:{port}"),
            source,
        })?;
    let provider = provider();
    let recorder = Arc::new(FingerprintVerifier {
        mode: FingerprintMode::Record(Mutex::new(None)),
        algorithms: provider.signature_verification_algorithms,
    });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| tls_error(format!("TLS setup: {err}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::clone(&recorder) as Arc<dyn ServerCertVerifier>)
        .with_no_client_auth();
    let mut stream = tokio::time::timeout(
        timeout,
        TlsConnector::from(Arc::new(config)).connect(server_name(host)?, tcp),
    )
    .await
    .map_err(|_| ClientError::Timeout {
        during: Phase::TlsHandshake,
        after: timeout,
    })?
    .map_err(handshake_error)?;
    let _ = stream.shutdown().await;
    let FingerprintMode::Record(seen) = &recorder.mode else {
        return Err(tls_error("the fingerprint probe lost its recorder"));
    };
    let seen = *seen
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    seen.map(|fp| format_fingerprint(&fp))
        .ok_or_else(|| tls_error("the router presented no certificate"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints() {
        let fp = [0xAB; 32];
        let text = format_fingerprint(&fp);
        assert_eq!(text.len(), 95);
        assert!(text.starts_with("AB:AB:"));
        let parsed = TlsOptions::pin_sha256_hex(&text).unwrap();
        assert!(matches!(parsed.trust, Trust::Pin(p) if p == fp));
        let lower = TlsOptions::pin_sha256_hex(&"ab".repeat(32)).unwrap();
        assert!(matches!(lower.trust, Trust::Pin(p) if p == fp));
        assert!(TlsOptions::pin_sha256_hex("abcd").is_err());
        assert!(TlsOptions::pin_sha256_hex(&"zz".repeat(32)).is_err());
        assert!(format!("{parsed:?}").contains("AB:AB"));
        // SHA-256 of the empty string.
        assert_eq!(
            hex::encode(sha256(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn ca_pem_errors() {
        assert!(matches!(
            TlsOptions::ca_pem(b"not pem"),
            Err(ClientError::Tls { message, .. }) if message.contains("no CERTIFICATE")
        ));
        let err = TlsOptions::ca_file("/nonexistent/ca.pem").unwrap_err();
        assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
    }

    #[test]
    fn handshake_alerts_map_to_the_certificate_hint() {
        let err = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::AlertReceived(AlertDescription::HandshakeFailure),
        );
        let mapped = handshake_error(err).to_string();
        assert!(
            mapped.contains("/ip service set api-ssl certificate="),
            "{mapped}"
        );
        let other = handshake_error(std::io::Error::other("reset")).to_string();
        assert!(other.contains("reset"), "{other}");
    }
}
