//! One connection, from the server's side: the Noise handshake as responder, the login's
//! answer, then stanzas both ways over the Noise ciphers.

use std::sync::Arc;

use tokio::sync::mpsc;
use whatsapp_rust::async_channel;
use whatsapp_rust::buffa::{self, Message as _};
use whatsapp_rust::bytes::{Bytes, BytesMut};
use whatsapp_rust::transport::TransportEvent;
use whatsapp_rust::wacore::framing::{FrameDecoder, encode_frame};
use whatsapp_rust::wacore::handshake::{NoiseCipher, NoiseHandshake};
use whatsapp_rust::wacore::net::DisconnectReason;
use whatsapp_rust::wacore_binary::Node;
use whatsapp_rust::wacore_binary::builder::NodeBuilder;
use whatsapp_rust::wacore_binary::consts::{NOISE_PATTERN_IK, NOISE_PATTERN_XX, WA_CONN_HEADER};
use whatsapp_rust::wacore_binary::marshal::{marshal, unmarshal_ref};
use whatsapp_rust::wacore_binary::util::unpack;
use whatsapp_rust::waproto::whatsapp as wa;

use crate::{Control, Login, OnLogin, Pattern, Shared, attr, key_pair, public_bytes};

type Failure = String;

/// Serves one connection until either side ends it.
pub(crate) async fn serve(
    shared: Arc<Shared>,
    connection: usize,
    inbound: mpsc::UnboundedReceiver<Option<Bytes>>,
    events: async_channel::Sender<TransportEvent>,
    commands: mpsc::UnboundedReceiver<Control>,
) {
    let mut conn = Conn {
        shared: Arc::clone(&shared),
        connection,
        reader: Reader {
            inbound,
            decoder: FrameDecoder::new(),
            first: true,
        },
        events,
        cipher: None,
    };
    if let Err(failure) = conn.run(commands).await {
        // Visible in the test's output when it fails; the client sees the stream end.
        eprintln!("wa-testserver: connection {connection}: {failure}");
    }
    let _ = conn
        .events
        .send(TransportEvent::Disconnected(DisconnectReason::StreamEnded))
        .await;
    shared.ended(connection);
}

/// The frames the client sent, the first one after the connection header.
struct Reader {
    inbound: mpsc::UnboundedReceiver<Option<Bytes>>,
    decoder: FrameDecoder,
    first: bool,
}

impl Reader {
    /// The next frame; `None` when the client closed the connection.
    async fn next_frame(&mut self) -> Option<BytesMut> {
        loop {
            if let Some(frame) = self.decoder.decode_frame() {
                return Some(frame);
            }
            let data = self.inbound.recv().await.flatten()?;
            self.feed(&data);
        }
    }

    fn feed(&mut self, data: &[u8]) {
        let data = if std::mem::take(&mut self.first) {
            data.strip_prefix(WA_CONN_HEADER.as_slice()).unwrap_or(data)
        } else {
            data
        };
        self.decoder.feed(data);
    }
}

/// The Noise transport ciphers and their counters, from the server's side.
struct Ciphers {
    write: NoiseCipher,
    read: NoiseCipher,
    sent: u32,
    received: u32,
}

struct Conn {
    shared: Arc<Shared>,
    connection: usize,
    reader: Reader,
    events: async_channel::Sender<TransportEvent>,
    cipher: Option<Ciphers>,
}

impl Conn {
    async fn run(&mut self, mut commands: mpsc::UnboundedReceiver<Control>) -> Result<(), Failure> {
        let Some(login) = self.handshake().await? else {
            return Ok(());
        };
        if std::env::var_os("WA_TESTSERVER_TRACE").is_some() {
            eprintln!("wa-testserver {} login {login:?}", self.connection);
        }
        self.shared.record_login(login);
        match self.shared.next_login_answer() {
            OnLogin::Accept => self.send(self.success())?,
            OnLogin::Fail {
                reason,
                code,
                expire,
            } => {
                let mut failure = NodeBuilder::new("failure").attr("reason", reason.to_string());
                if let Some(code) = code {
                    failure = failure.attr("code", code.to_string());
                }
                if let Some(expire) = expire {
                    failure = failure.attr("expire", expire.to_string());
                }
                self.send(failure.build())?;
                return Ok(());
            }
            OnLogin::AcceptThenEnd(node) => {
                self.send(self.success())?;
                self.send(node)?;
                return Ok(());
            }
        }
        loop {
            tokio::select! {
                frame = self.reader.next_frame() => {
                    let Some(frame) = frame else { return Ok(()) };
                    let node = self.decrypt(frame)?;
                    self.shared.record(self.connection, node.clone());
                    if !self.shared.stalled() {
                        self.answer(&node)?;
                    }
                }
                command = commands.recv() => match command {
                    Some(Control::Send(node)) => self.send(node)?,
                    Some(Control::End) | None => return Ok(()),
                }
            }
        }
    }

    fn success(&self) -> Node {
        NodeBuilder::new("success")
            .attr("t", now_secs().to_string())
            .attr("lid", self.shared.account.lid_jid())
            .attr("location", "test")
            .build()
    }

    /// The server's answer to a stanza, if any.
    fn answer(&mut self, node: &Node) -> Result<(), Failure> {
        if node.tag != "iq" {
            return Ok(());
        }
        let id = attr(node, "id").unwrap_or_default();
        let xmlns = attr(node, "xmlns").unwrap_or_default();
        let result = || {
            NodeBuilder::new("iq")
                .attr("type", "result")
                .attr("id", id.clone())
                .attr("from", "s.whatsapp.net")
        };
        match xmlns.as_str() {
            // Keepalive, and the pre-key upload (kept in the received stanzas).
            "w:p" | "encrypt" => self.send(result().build()),
            "passive" => {
                self.send(result().build())?;
                if node.get_optional_child("active").is_some() {
                    // The offline queue: empty unless a test sends a backlog itself.
                    self.send(
                        NodeBuilder::new("ib")
                            .children([NodeBuilder::new("offline_preview")
                                .attr("count", "0")
                                .build()])
                            .build(),
                    )?;
                    self.send(
                        NodeBuilder::new("ib")
                            .children([NodeBuilder::new("offline").attr("count", "0").build()])
                            .build(),
                    )?;
                }
                Ok(())
            }
            // Anything else: "not implemented", which the client logs and lives with.
            _ => self.send(
                NodeBuilder::new("iq")
                    .attr("type", "error")
                    .attr("id", id.clone())
                    .attr("from", "s.whatsapp.net")
                    .children([NodeBuilder::new("error")
                        .attr("code", "501")
                        .attr("text", "feature-not-implemented")
                        .build()])
                    .build(),
            ),
        }
    }

    /// The responder's side of the Noise handshake; the login it carried, or `None` when the
    /// client went away first.
    async fn handshake(&mut self) -> Result<Option<Login>, Failure> {
        let Some(hello) = self.reader.next_frame().await else {
            return Ok(None);
        };
        let hello = wa::HandshakeMessage::decode_from_slice(&hello)
            .map_err(|e| format!("client hello: {e}"))?
            .client_hello
            .into_option()
            .ok_or("the first message is not a client hello")?;
        let client_ephemeral: [u8; 32] = hello
            .ephemeral
            .ok_or("client hello without an ephemeral key")?
            .try_into()
            .map_err(|_| "the ephemeral key is not 32 bytes")?;
        let server = &self.shared.static_key;
        let ephemeral = key_pair(0x60u8.wrapping_add(self.connection as u8));
        let noise_err = |e: whatsapp_rust::wacore::handshake::HandshakeError| e.to_string();
        let (noise, payload, pattern) = if let Some(encrypted_static) = hello.r#static {
            // IK: the client knows our static key.
            let mut noise =
                NoiseHandshake::new(NOISE_PATTERN_IK, &WA_CONN_HEADER).map_err(noise_err)?;
            noise.authenticate(&public_bytes(server));
            noise.authenticate(&client_ephemeral);
            noise
                .mix_shared_secret(server.private_key.serialize(), &client_ephemeral)
                .map_err(noise_err)?;
            let client_static = noise.decrypt(&encrypted_static).map_err(noise_err)?;
            noise
                .mix_shared_secret(server.private_key.serialize(), &client_static)
                .map_err(noise_err)?;
            let payload = noise
                .decrypt(&hello.payload.ok_or("IK hello without a payload")?)
                .map_err(noise_err)?;
            noise.authenticate(&public_bytes(&ephemeral));
            noise
                .mix_shared_secret(ephemeral.private_key.serialize(), &client_ephemeral)
                .map_err(noise_err)?;
            noise
                .mix_shared_secret(ephemeral.private_key.serialize(), &client_static)
                .map_err(noise_err)?;
            let certificate = noise.encrypt(&self.cert_chain()).map_err(noise_err)?;
            self.send_hello(wa::handshake_message::ServerHello {
                ephemeral: Some(public_bytes(&ephemeral).to_vec()),
                r#static: None,
                payload: Some(certificate),
                ..Default::default()
            })?;
            (noise, payload, Pattern::Ik)
        } else {
            // XX: a fresh session, or one that lost our key.
            let mut noise =
                NoiseHandshake::new(NOISE_PATTERN_XX, &WA_CONN_HEADER).map_err(noise_err)?;
            noise.authenticate(&client_ephemeral);
            noise.authenticate(&public_bytes(&ephemeral));
            noise
                .mix_shared_secret(ephemeral.private_key.serialize(), &client_ephemeral)
                .map_err(noise_err)?;
            let encrypted_static = noise.encrypt(&public_bytes(server)).map_err(noise_err)?;
            noise
                .mix_shared_secret(server.private_key.serialize(), &client_ephemeral)
                .map_err(noise_err)?;
            let certificate = noise.encrypt(&self.cert_chain()).map_err(noise_err)?;
            self.send_hello(wa::handshake_message::ServerHello {
                ephemeral: Some(public_bytes(&ephemeral).to_vec()),
                r#static: Some(encrypted_static),
                payload: Some(certificate),
                ..Default::default()
            })?;
            let Some(finish) = self.reader.next_frame().await else {
                return Ok(None);
            };
            let finish = wa::HandshakeMessage::decode_from_slice(&finish)
                .map_err(|e| format!("client finish: {e}"))?
                .client_finish
                .into_option()
                .ok_or("the second message is not a client finish")?;
            let client_static = noise
                .decrypt(
                    &finish
                        .r#static
                        .ok_or("client finish without a static key")?,
                )
                .map_err(noise_err)?;
            noise
                .mix_shared_secret(ephemeral.private_key.serialize(), &client_static)
                .map_err(noise_err)?;
            let payload = noise
                .decrypt(&finish.payload.ok_or("client finish without a payload")?)
                .map_err(noise_err)?;
            (noise, payload, Pattern::Xx)
        };
        // The initiator's write key is our read key.
        let (client_write, client_read) = noise.finish().map_err(noise_err)?;
        self.cipher = Some(Ciphers {
            write: client_read,
            read: client_write,
            sent: 0,
            received: 0,
        });
        let payload = wa::ClientPayload::decode_from_slice(&payload)
            .map_err(|e| format!("client payload: {e}"))?;
        Ok(Some(Login {
            connection: self.connection,
            pattern,
            username: payload.username,
            device: payload.device,
            passive: payload.passive,
        }))
    }

    /// A certificate chain for our static key. Its signatures are zeros: a client checks
    /// them only in XX, and only without the library's `danger-skip-cert-chain-verify`.
    fn cert_chain(&self) -> Vec<u8> {
        let details = |serial, issuer_serial, key: Vec<u8>| {
            wa::cert_chain::noise_certificate::Details {
                serial: Some(serial),
                issuer_serial: Some(issuer_serial),
                key: Some(key),
                not_before: Some(0),
                not_after: Some(u64::MAX / 2),
            }
            .encode_to_vec()
        };
        let certificate = |details| {
            buffa::MessageField::some(wa::cert_chain::NoiseCertificate {
                details: Some(details),
                signature: Some(vec![0; 64]),
            })
        };
        wa::CertChain {
            intermediate: certificate(details(1, 0, vec![0xCC; 32])),
            leaf: certificate(details(
                2,
                1,
                public_bytes(&self.shared.static_key).to_vec(),
            )),
        }
        .encode_to_vec()
    }

    fn send_hello(&self, hello: wa::handshake_message::ServerHello) -> Result<(), Failure> {
        let message = wa::HandshakeMessage {
            server_hello: buffa::MessageField::some(hello),
            ..Default::default()
        };
        let frame = encode_frame(&message.encode_to_vec(), None).map_err(|e| e.to_string())?;
        self.deliver(frame)
    }

    fn deliver(&self, frame: Vec<u8>) -> Result<(), Failure> {
        self.events
            .try_send(TransportEvent::DataReceived(Bytes::from(frame)))
            .map_err(|_| "the client is gone".to_owned())
    }

    /// Sends a stanza over the Noise cipher.
    fn send(&mut self, node: Node) -> Result<(), Failure> {
        trace(self.connection, "->", &node);
        let cipher = self
            .cipher
            .as_mut()
            .ok_or("no cipher before the handshake")?;
        // The flag byte (0: not compressed) and the node.
        let plain = marshal(&node).map_err(|e| e.to_string())?;
        let sealed = cipher
            .write
            .encrypt_with_counter(cipher.sent, &plain)
            .map_err(|e| e.to_string())?;
        cipher.sent += 1;
        self.deliver(encode_frame(&sealed, None).map_err(|e| e.to_string())?)
    }

    fn decrypt(&mut self, mut frame: BytesMut) -> Result<Node, Failure> {
        let cipher = self
            .cipher
            .as_mut()
            .ok_or("no cipher before the handshake")?;
        cipher
            .read
            .decrypt_in_place_with_counter(cipher.received, &mut frame)
            .map_err(|e| format!("frame {}: {e}", cipher.received))?;
        cipher.received += 1;
        let plain = unpack(&frame).map_err(|e| e.to_string())?;
        let node = unmarshal_ref(&plain).map_err(|e| e.to_string())?.to_owned();
        trace(self.connection, "<-", &node);
        Ok(node)
    }
}

/// With `WA_TESTSERVER_TRACE` set, every stanza is printed (test output shows it on failure).
fn trace(connection: usize, direction: &str, node: &Node) {
    if std::env::var_os("WA_TESTSERVER_TRACE").is_some() {
        eprintln!(
            "wa-testserver {connection} {direction} {}",
            whatsapp_rust::wacore::xml::DisplayableNode(node)
        );
    }
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
