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
use whatsapp_rust::wacore_binary::builder::NodeBuilder;
use whatsapp_rust::wacore_binary::consts::{NOISE_PATTERN_IK, NOISE_PATTERN_XX, WA_CONN_HEADER};
use whatsapp_rust::wacore_binary::marshal::{marshal, unmarshal_ref};
use whatsapp_rust::wacore_binary::util::unpack;
use whatsapp_rust::wacore_binary::{Node, NodeContent};
use whatsapp_rust::waproto::whatsapp as wa;

use whatsapp_rust::wacore_binary::Jid;

use crate::directory;
use crate::{
    Account, Control, DeviceKey, Login, OnLogin, Online, Pattern, Routed, Shared, attr, key_pair,
    public_bytes,
};

type Failure = String;

/// Serves one connection until either side ends it.
pub(crate) async fn serve(
    shared: Arc<Shared>,
    connection: usize,
    inbound: mpsc::UnboundedReceiver<Option<Bytes>>,
    events: async_channel::Sender<TransportEvent>,
    (control, commands): (
        mpsc::UnboundedSender<Control>,
        mpsc::UnboundedReceiver<Control>,
    ),
) {
    let mut conn = Conn {
        shared: Arc::clone(&shared),
        connection,
        control,
        account: None,
        reader: Reader {
            inbound,
            decoder: FrameDecoder::new(),
            first: true,
        },
        events,
        cipher: None,
        closing: false,
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
    /// This connection's own control channel (registered when it logs in).
    control: mpsc::UnboundedSender<Control>,
    /// The logged-in account and device.
    account: Option<(Account, u16)>,
    reader: Reader,
    events: async_channel::Sender<TransportEvent>,
    cipher: Option<Ciphers>,
    /// Set when the server ends the connection after the stanza it is answering (the 515
    /// that follows a pairing).
    closing: bool,
}

impl Conn {
    async fn run(&mut self, mut commands: mpsc::UnboundedReceiver<Control>) -> Result<(), Failure> {
        let Some(login) = self.handshake().await? else {
            return Ok(());
        };
        if std::env::var_os("WA_TESTSERVER_TRACE").is_some() {
            eprintln!("wa-testserver {} login {login:?}", self.connection);
        }
        let account = login.username.and_then(|phone| {
            self.shared
                .state()
                .account(&phone.to_string())
                .cloned()
                .map(|a| (a, login.device.unwrap_or(0) as u16))
        });
        let registering = login.username.is_none();
        self.shared.record_login(login);
        let answer = match account {
            // A registration (a fresh session): WhatsApp sends the refs for its QR codes, and
            // no <success> until the phone has linked it.
            _ if registering => None,
            Some(_) => Some(self.shared.next_login_answer()),
            // Not an account this server knows: logged out.
            None => Some(OnLogin::Fail {
                reason: 401,
                code: None,
                expire: None,
            }),
        };
        self.account = account;
        match answer {
            None => {
                let (refs, iq) = crate::pairing::offer(self.connection);
                let connection = self.connection;
                self.shared.update(|s| {
                    s.pairing
                        .offered
                        .extend(refs.into_iter().map(|r| (connection, r)));
                });
                self.send(iq)?;
            }
            Some(OnLogin::Accept) => {
                self.send(self.success())?;
                let device = self.device();
                let control = self.control.clone();
                let connection = self.connection;
                self.shared.update(|s| {
                    s.online.insert(
                        connection,
                        Online {
                            device,
                            control,
                            active: false,
                        },
                    )
                });
            }
            Some(OnLogin::Fail {
                reason,
                code,
                expire,
            }) => {
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
            Some(OnLogin::AcceptThenEnd(node)) => {
                self.send(self.success())?;
                self.send(node)?;
                return Ok(());
            }
        }
        let mut stalled = false;
        loop {
            tokio::select! {
                frame = self.reader.next_frame() => {
                    let Some(frame) = frame else { return Ok(()) };
                    let node = self.decrypt(frame)?;
                    self.shared.record(self.connection, node.clone());
                    if !stalled {
                        self.answer(&node)?;
                    }
                    if self.closing {
                        return Ok(());
                    }
                }
                command = commands.recv() => match command {
                    Some(Control::Send(node)) if !stalled => self.send(node)?,
                    Some(Control::Send(_)) => {}
                    Some(Control::Stall) => stalled = true,
                    Some(Control::End) | None => return Ok(()),
                }
            }
        }
    }

    fn success(&self) -> Node {
        let mut success = NodeBuilder::new("success")
            .attr("t", now_secs().to_string())
            .attr("location", "test");
        if let Some((account, _)) = &self.account {
            success = success.attr("lid", account.lid_jid());
        }
        success.build()
    }

    /// The logged-in device.
    fn device(&self) -> DeviceKey {
        self.account
            .as_ref()
            .map(|(a, d)| (a.phone.clone(), *d))
            .unwrap_or_default()
    }

    /// The server's answer to a stanza, if any.
    fn answer(&mut self, node: &Node) -> Result<(), Failure> {
        match node.tag.as_ref() {
            "iq" => self.answer_iq(node),
            "message" => self.route(node),
            "receipt" => {
                // Acknowledged; not passed on (no test reads the bot's receipts on the
                // peer's side yet).
                let mut ack = NodeBuilder::new("ack")
                    .attr("class", "receipt")
                    .attr("id", attr(node, "id").unwrap_or_default());
                if let Some(to) = attr(node, "to") {
                    ack = ack.attr("from", to);
                }
                if let Some(kind) = attr(node, "type") {
                    ack = ack.attr("type", kind);
                }
                self.send(ack.build())
            }
            _ => Ok(()),
        }
    }

    fn answer_iq(&mut self, node: &Node) -> Result<(), Failure> {
        let id = attr(node, "id").unwrap_or_default();
        let xmlns = attr(node, "xmlns").unwrap_or_default();
        let kind = attr(node, "type").unwrap_or_default();
        let result = |children: Vec<Node>| {
            NodeBuilder::new("iq")
                .attr("type", "result")
                .attr("id", id.clone())
                .attr("from", "s.whatsapp.net")
                .children(children)
                .build()
        };
        if matches!(kind.as_str(), "result" | "error") {
            // The client's answer to an IQ of ours: only a pairing's needs one.
            return self.pairing_answer(&id, node);
        }
        let device = self.device();
        match (xmlns.as_str(), kind.as_str()) {
            ("w:p", _) => self.send(result(vec![])),
            // The account's settings a client reads after login: no A/B props, privacy as a
            // new account has it, nobody blocked.
            ("abt", "get") => self.send(result(vec![
                NodeBuilder::new("props")
                    .attr("protocol", "1")
                    .attr("hash", "test")
                    .attr("refresh", "86400")
                    .build(),
            ])),
            ("privacy", "get") => self.send(result(vec![
                NodeBuilder::new("privacy")
                    .children(
                        [
                            ("readreceipts", "all"),
                            ("last", "all"),
                            ("profile", "all"),
                            ("status", "contacts"),
                            ("groupadd", "all"),
                        ]
                        .map(|(name, value)| {
                            NodeBuilder::new("category")
                                .attr("name", name)
                                .attr("value", value)
                                .build()
                        }),
                    )
                    .build(),
            ])),
            ("blocklist", "get") => self.send(result(vec![NodeBuilder::new("list").build()])),
            ("w:m", _) => self.send(result(vec![
                NodeBuilder::new("media_conn")
                    .attr("auth", "test-auth")
                    .attr("ttl", "3600")
                    .children([NodeBuilder::new("host")
                        .attr("hostname", crate::media::HOST)
                        .build()])
                    .build(),
            ])),
            ("encrypt", "set") => {
                self.shared.update(|s| directory::upload(s, &device, node));
                self.send(result(vec![]))
            }
            ("encrypt", "get") => {
                if let Some(key) = node.get_optional_child("key") {
                    let list = self.shared.update(|s| directory::fetch(s, key));
                    self.send(result(vec![list]))
                } else if node.get_optional_child("count").is_some() {
                    let count = directory::count(&self.shared.state(), &device);
                    self.send(result(vec![
                        NodeBuilder::new("count")
                            .attr("value", count.to_string())
                            .build(),
                    ]))
                } else {
                    self.not_implemented(&id)
                }
            }
            ("usync", "get") => match node.get_optional_child("usync") {
                Some(usync) => {
                    let answer = directory::usync(&self.shared.state(), usync);
                    self.send(result(vec![answer]))
                }
                None => self.not_implemented(&id),
            },
            ("md", "set") => {
                let connection = self.connection;
                let answer = self
                    .shared
                    .update(|s| crate::pairing::code_stage(&mut s.pairing, connection, node));
                match answer {
                    Some(children) => self.send(result(children)),
                    None => self.not_implemented(&id),
                }
            }
            // App state (contacts, settings, the push name): this server keeps none, so
            // every collection asked for is empty. A freshly linked device waits for its
            // critical collections before it says it is connected.
            ("w:sync:app:state", "set") => {
                let collections = node
                    .get_optional_child("sync")
                    .map(|sync| {
                        sync.get_children_by_tag("collection")
                            .filter_map(|c| attr(c, "name"))
                            .map(|name| {
                                NodeBuilder::new("collection")
                                    .attr("name", name)
                                    .attr("version", "0")
                                    .build()
                            })
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default();
                self.send(result(vec![
                    NodeBuilder::new("sync").children(collections).build(),
                ]))
            }
            ("passive", _) => {
                self.send(result(vec![]))?;
                if node.get_optional_child("active").is_some() {
                    self.go_active()?;
                }
                Ok(())
            }
            // Anything else: "not implemented", which the client logs and lives with.
            _ => self.not_implemented(&id),
        }
    }

    /// The device's answer to the `pair-success` a phone's scan sent: if it checks out, the
    /// account gains the device and the stream restarts (`<stream:error code="515"/>`, as
    /// WhatsApp does), so that the device logs in as itself; if not, the connection ends.
    fn pairing_answer(&mut self, id: &str, node: &Node) -> Result<(), Failure> {
        let connection = self.connection;
        let pending = self.shared.update(|s| {
            let matches = s
                .pairing
                .pending
                .get(&connection)
                .is_some_and(|p| p.id == id);
            if matches {
                s.pairing.pending.remove(&connection)
            } else {
                None
            }
        });
        let Some(pending) = pending else {
            return Ok(());
        };
        self.closing = true;
        match crate::pairing::check(&pending, node) {
            Ok(()) => {
                let companion = pending.companion;
                self.shared.update(|s| {
                    if s.account(&companion.phone).is_none() {
                        s.accounts.push(companion.clone());
                    }
                    s.pairing.linked.push(companion);
                });
                self.send(NodeBuilder::new("stream:error").attr("code", "515").build())
            }
            Err(why) => {
                self.shared.update(|s| s.pairing.failures.push(why));
                Ok(())
            }
        }
    }

    fn not_implemented(&mut self, id: &str) -> Result<(), Failure> {
        self.send(
            NodeBuilder::new("iq")
                .attr("type", "error")
                .attr("id", id.to_owned())
                .attr("from", "s.whatsapp.net")
                .children([NodeBuilder::new("error")
                    .attr("code", "501")
                    .attr("text", "feature-not-implemented")
                    .build()])
                .build(),
        )
    }

    /// The client is ready: the offline queue (what arrived while it was away), then its
    /// end; from now on messages come at once.
    fn go_active(&mut self) -> Result<(), Failure> {
        let device = self.device();
        let connection = self.connection;
        let backlog = self.shared.update(|s| {
            if let Some(online) = s.online.get_mut(&connection) {
                online.active = true;
            }
            s.queues.remove(&device).unwrap_or_default()
        });
        let count = backlog.len().to_string();
        self.send(
            NodeBuilder::new("ib")
                .children([NodeBuilder::new("offline_preview")
                    .attr("count", count.clone())
                    .build()])
                .build(),
        )?;
        for mut message in backlog {
            message.attrs.insert("offline", "1");
            self.send(message)?;
        }
        self.send(
            NodeBuilder::new("ib")
                .children([NodeBuilder::new("offline").attr("count", count).build()])
                .build(),
        )
    }

    /// A message from this client: acknowledged, then passed to each device it was
    /// encrypted for (or kept until that device is online); or refused, when scripted.
    fn route(&mut self, node: &Node) -> Result<(), Failure> {
        let id = attr(node, "id").unwrap_or_default();
        let to = node
            .attrs
            .get("to")
            .and_then(|j| j.to_jid())
            .ok_or("a message without `to`")?;
        let mut targets: Vec<(Jid, Node)> = Vec::new();
        if let Some(participants) = node.get_optional_child("participants") {
            for target in participants.get_children_by_tag("to") {
                let jid = target.attrs.get("jid").and_then(|j| j.to_jid());
                if let (Some(jid), Some(enc)) = (jid, target.get_optional_child("enc")) {
                    targets.push((jid, enc.clone()));
                }
            }
        } else if let Some(enc) = node.get_optional_child("enc") {
            targets.push((to.clone(), enc.clone()));
        }
        let (sender, device) = self.account.clone().ok_or("a message before login")?;
        let refused = self.shared.next_refusal();
        self.shared.record_routed(Routed {
            id: id.clone(),
            from: Jid::pn_device(&sender.phone, device),
            to: to.clone(),
            recipients: targets.iter().map(|(j, _)| j.clone()).collect(),
            refused,
        });
        let mut ack = NodeBuilder::new("ack")
            .attr("class", "message")
            .attr("id", id.clone())
            .attr("from", to.clone())
            .attr("t", now_secs().to_string());
        if let Some(code) = refused {
            ack = ack.attr("error", code.to_string());
            return self.send(ack.build());
        }
        self.send(ack.build())?;
        if self.shared.take_corruption() {
            for (_, enc) in &mut targets {
                if let Some(NodeContent::Bytes(bytes)) = &mut enc.content
                    && let Some(last) = bytes.last_mut()
                {
                    *last ^= 0xFF;
                }
            }
        }
        let identity = node.get_optional_child("device-identity").cloned();
        let by_lid = to.is_lid() || self.shared.state().by_lid.contains(&sender.phone);
        for (target, enc) in targets {
            // The sender's device, in the namespace the chat is addressed in, with the
            // other one beside it as WhatsApp does.
            let (from, alt_key, alt) = if by_lid {
                (
                    Jid::lid_device(&sender.lid, device),
                    "sender_pn",
                    Jid::pn(&sender.phone),
                )
            } else {
                (
                    Jid::pn_device(&sender.phone, device),
                    "sender_lid",
                    sender.lid_jid(),
                )
            };
            let mut children = vec![enc];
            children.extend(identity.clone());
            let message = NodeBuilder::new("message")
                .attr("from", from)
                .attr("id", id.clone())
                .attr("t", now_secs().to_string())
                .attr("type", attr(node, "type").unwrap_or_else(|| "text".into()))
                .attr("notify", sender.phone.clone())
                .attr(alt_key, alt)
                .children(children)
                .build();
            self.shared.update(|s| {
                let Some(key) = s.device_key(&target) else {
                    return;
                };
                let online = s
                    .online
                    .values()
                    .find(|o| o.device == key && o.active)
                    .map(|o| o.control.clone());
                match online {
                    Some(control) if control.send(Control::Send(message.clone())).is_ok() => {}
                    _ => s.queues.entry(key).or_default().push(message),
                }
            });
        }
        Ok(())
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

pub(crate) fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
