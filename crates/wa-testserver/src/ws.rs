//! The test server on a real socket: a WebSocket listener, as WhatsApp's `wss://…/ws/chat`
//! is one, so that a separate process (the `pppoe-bot` binary itself) can connect to it
//! with the library's own tokio WebSocket transport. Each accepted WebSocket is one
//! connection of the in-process server: its binary messages are the client's bytes, and
//! what the server sends goes back as binary messages. The conversation is the same as
//! through [`TestServer::transport`](crate::TestServer::transport); only the pipe differs.

use std::net::SocketAddr;

use futures::{SinkExt as _, StreamExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_websockets::{Message, ServerBuilder};
use whatsapp_rust::transport::{TransportEvent, TransportFactory as _};

use crate::Factory;

/// A listening WebSocket endpoint of a [`TestServer`](crate::TestServer); it stops
/// accepting when dropped (connections already made go on).
#[derive(Debug)]
pub struct WsListener {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl WsListener {
    pub(crate) async fn bind(factory: Factory, addr: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(bridge(factory.clone(), socket));
            }
        });
        Ok(Self { addr, task })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL a client dials: `ws://ADDR/ws/chat`.
    pub fn url(&self) -> String {
        format!("ws://{}/ws/chat", self.addr)
    }
}

impl Drop for WsListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Carries one WebSocket's messages to and from a connection of the server.
async fn bridge(factory: Factory, socket: TcpStream) {
    let Ok((_, ws)) = ServerBuilder::new().accept(socket).await else {
        return;
    };
    let Ok((to_server, from_server)) = factory.create_transport().await else {
        return;
    };
    let (mut sink, mut stream) = ws.split();
    let outbound = async {
        while let Ok(event) = from_server.recv().await {
            match event {
                TransportEvent::Connected => {}
                TransportEvent::DataReceived(bytes) => {
                    if sink.send(Message::binary(bytes)).await.is_err() {
                        break;
                    }
                }
                TransportEvent::Disconnected(_) => break,
            }
        }
        // The server ended the connection: close the socket, as WhatsApp does.
        let _ = sink.close().await;
    };
    let inbound = async {
        while let Some(Ok(message)) = stream.next().await {
            if message.is_binary() {
                let payload = message.into_payload();
                if to_server.send(payload.into()).await.is_err() {
                    break;
                }
            } else if message.is_close() {
                break;
            }
        }
        // The client went away.
        to_server.disconnect().await;
    };
    tokio::select! {
        () = outbound => {}
        () = inbound => {}
    }
}
