//! The client against a tiny RouterOS API server written here with the crate's own codec.
//!
//! Most tests run over an in-memory duplex pipe with tokio's clock paused, so that timeouts
//! are exact and nothing waits on the kernel; a few go through real loopback TCP.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::StreamExt;
use futures::future::join_all;
use routeros_api::client::{Client, ClientConfig, ClientError, Phase};
use routeros_api::codec::{Decoder, Limits};
use routeros_api::proto::{
    Attributes, Command, QueryWord, Reply, Request, legacy_login_response, trap_category,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream, ReadBuf};

const USER: &str = "api";
const PASSWORD: &str = "s3cret-pass";

fn config() -> ClientConfig {
    ClientConfig::new("127.0.0.1", USER, PASSWORD)
        .connect_timeout(Duration::from_secs(10))
        .command_timeout(Duration::from_secs(5))
}

fn attrs(pairs: &[(&str, &str)]) -> Attributes {
    pairs.iter().copied().collect()
}

/// The server side of one connection.
struct Peer<S> {
    stream: S,
    decoder: Decoder,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Peer<S> {
    fn new(stream: S) -> Self {
        Self {
            stream,
            decoder: Decoder::new(Limits::default()),
        }
    }

    /// The next request, or `None` at end of stream.
    async fn recv(&mut self) -> Option<Request> {
        let mut buf = [0u8; 4096];
        loop {
            if let Some(sentence) = self.decoder.next_sentence().expect("client sent garbage") {
                return Some(Request::parse(&sentence).expect("client sent a non-request"));
            }
            let n = self.stream.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                return None;
            }
            self.decoder.feed(&buf[..n]);
        }
    }

    async fn expect(&mut self, command: &str) -> Request {
        let req = self.recv().await.expect("connection ended");
        assert_eq!(req.command, command, "{req:?}");
        req
    }

    async fn send(&mut self, reply: Reply) {
        self.send_raw(&reply.to_sentence().to_bytes()).await;
    }

    async fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
        self.stream.flush().await.unwrap();
    }

    /// Accepts the plain (>= 6.43) login.
    async fn accept_login(&mut self) {
        let req = self.expect("/login").await;
        assert_eq!(req.get("name"), Some(USER));
        assert_eq!(req.get("password"), Some(PASSWORD));
        self.send(Reply::done()).await;
    }

    /// Answers a request with rows then `!done`, carrying its tag.
    async fn answer(&mut self, req: &Request, rows: &[Attributes]) {
        for row in rows {
            self.send(req.reply(Reply::re(row.clone()))).await;
        }
        self.send(req.reply(Reply::done())).await;
    }
}

/// A logged-in client over an in-memory pipe, and the server's end of it.
async fn pair() -> (Client, Peer<DuplexStream>) {
    pair_with(config()).await
}

async fn pair_with(config: ClientConfig) -> (Client, Peer<DuplexStream>) {
    let (a, b) = tokio::io::duplex(1 << 16);
    let mut peer = Peer::new(b);
    let (client, ()) = tokio::join!(Client::from_stream(a, &config), peer.accept_login());
    (client.expect("login"), peer)
}

mod login {
    use super::*;

    #[tokio::test]
    async fn plain_login_over_tcp() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            let mut peer = Peer::new(socket);
            peer.accept_login().await;
            let req = peer.expect("/system/identity/print").await;
            peer.answer(&req, &[attrs(&[("name", "MikroTik")])]).await;
            assert!(peer.recv().await.is_none(), "client closes when dropped");
        });
        let client = Client::connect(&config().port(port)).await.unwrap();
        let response = client
            .call(Command::new("/system/identity/print"))
            .await
            .unwrap();
        assert_eq!(response.rows, [attrs(&[("name", "MikroTik")])]);
        drop(client);
        server.await.unwrap();
    }

    #[tokio::test]
    async fn connection_refused_is_a_connect_error() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let err = Client::connect(&config().port(port)).await.unwrap_err();
        assert!(matches!(err, ClientError::Connect { .. }), "{err:?}");
        assert!(
            err.to_string().contains(&format!("127.0.0.1:{port}")),
            "{err}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn legacy_challenge_login() {
        let (a, b) = tokio::io::duplex(1 << 16);
        let mut peer = Peer::new(b);
        let challenge = "9f1c2e3d4b5a69788796a5b4c3d2e1f0";
        let server = async {
            let req = peer.expect("/login").await;
            assert_eq!(req.get("name"), Some(USER));
            // An old router ignores the password and sends a challenge.
            peer.send(Reply::done_ret(challenge)).await;
            let req = peer.expect("/login").await;
            assert_eq!(req.get("name"), Some(USER));
            assert_eq!(
                req.get("response"),
                legacy_login_response(PASSWORD, challenge).as_deref()
            );
            assert!(req.get("response").unwrap().starts_with("00"));
            peer.send(Reply::done()).await;
            let req = peer.expect("/system/resource/print").await;
            peer.answer(&req, &[attrs(&[("uptime", "1d")])]).await;
        };
        let client = async {
            let client = Client::from_stream(a, &config()).await.unwrap();
            let response = client
                .call(Command::new("/system/resource/print"))
                .await
                .unwrap();
            assert_eq!(response.rows[0].get("uptime"), Some("1d"));
        };
        tokio::join!(server, client);
    }

    #[tokio::test(start_paused = true)]
    async fn refused_login_is_a_login_error() {
        let (a, b) = tokio::io::duplex(1 << 16);
        let mut peer = Peer::new(b);
        let server = async {
            peer.expect("/login").await;
            peer.send(Reply::trap(None, "invalid user name or password (6)"))
                .await;
            peer.send(Reply::done()).await;
        };
        let config = config();
        let (result, ()) = tokio::join!(Client::from_stream(a, &config), server);
        match result.unwrap_err() {
            ClientError::Login { message } => {
                assert_eq!(message, "invalid user name or password (6)");
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn silent_router_times_out_during_login() {
        let (a, _b) = tokio::io::duplex(1 << 16);
        let err = Client::from_stream(a, &config()).await.unwrap_err();
        assert!(
            matches!(
                err,
                ClientError::Timeout {
                    during: Phase::Login,
                    after
                } if after == Duration::from_secs(10)
            ),
            "{err:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn config_debug_hides_the_password() {
        let debug = format!("{:?}", config());
        assert!(!debug.contains(PASSWORD), "{debug}");
        assert!(debug.contains("8728"), "{debug}");
    }
}

mod commands {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn hundred_concurrent_tagged_commands_on_one_connection() {
        let (client, mut peer) = pair().await;
        let server = async {
            let mut requests = Vec::new();
            for _ in 0..100 {
                requests.push(peer.expect("/echo").await);
            }
            let tags: std::collections::HashSet<_> = requests
                .iter()
                .map(|r| r.tag().unwrap().to_owned())
                .collect();
            assert_eq!(tags.len(), 100, "every command has its own tag");
            // Interleave: one row each in reverse order, then a second row and !done in
            // order.
            for req in requests.iter().rev() {
                let n = req.get("n").unwrap();
                peer.send(req.reply(Reply::re(attrs(&[("n", n), ("part", "1")]))))
                    .await;
            }
            for req in &requests {
                let n = req.get("n").unwrap();
                peer.answer(req, &[attrs(&[("n", n), ("part", "2")])]).await;
            }
        };
        let calls =
            join_all((0..100).map(|i| client.call(Command::new("/echo").attr("n", i.to_string()))));
        let ((), results) = tokio::join!(server, calls);
        for (i, result) in results.into_iter().enumerate() {
            let response = result.unwrap();
            let n = i.to_string();
            assert_eq!(
                response.rows,
                [
                    attrs(&[("n", &n), ("part", "1")]),
                    attrs(&[("n", &n), ("part", "2")])
                ]
            );
        }
        assert_eq!(client.pending(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn empty_reply_is_zero_rows() {
        let (client, mut peer) = pair().await;
        let server = async {
            let req = peer.expect("/ppp/secret/print").await;
            assert_eq!(req.queries, [QueryWord::eq("name", "nobody")]);
            // RouterOS 7.18+: !empty then !done.
            peer.send(req.reply(Reply::empty())).await;
            peer.send(req.reply(Reply::done())).await;
        };
        let call =
            client.call(Command::new("/ppp/secret/print").query(QueryWord::eq("name", "nobody")));
        let ((), response) = tokio::join!(server, call);
        let response = response.unwrap();
        assert!(response.rows.is_empty());
        assert_eq!(response.ret(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn done_ret_is_returned() {
        let (client, mut peer) = pair().await;
        let server = async {
            let req = peer.expect("/ppp/secret/add").await;
            peer.send(req.reply(Reply::done_ret("*1A"))).await;
        };
        let call = client.call(Command::new("/ppp/secret/add").attr("name", "x"));
        let ((), response) = tokio::join!(server, call);
        assert_eq!(response.unwrap().ret(), Some("*1A"));
    }

    #[tokio::test(start_paused = true)]
    async fn trap_is_a_typed_error_and_the_connection_survives() {
        let (client, mut peer) = pair().await;
        let server = async {
            let req = peer.expect("/ppp/secret/add").await;
            peer.send(req.reply(Reply::trap(
                Some(trap_category::GENERAL_FAILURE),
                "failure: secret with the same name already exists",
            )))
            .await;
            peer.send(req.reply(Reply::done())).await;
            let req = peer.expect("/system/identity/print").await;
            peer.answer(&req, &[attrs(&[("name", "r1")])]).await;
        };
        let calls = async {
            let err = client
                .call(Command::new("/ppp/secret/add").attr("name", "john123"))
                .await
                .unwrap_err();
            match &err {
                ClientError::Trap { category, message } => {
                    assert_eq!(*category, Some(4));
                    assert_eq!(message, "failure: secret with the same name already exists");
                }
                other => panic!("{other:?}"),
            }
            assert!(!err.is_connection_lost());
            assert_eq!(
                err.to_string(),
                "router refused the command (category 4): failure: secret with the same name already exists"
            );
            let response = client
                .call(Command::new("/system/identity/print"))
                .await
                .unwrap();
            assert_eq!(response.rows.len(), 1);
        };
        tokio::join!(server, calls);
    }

    #[tokio::test(start_paused = true)]
    async fn command_timeout_cancels_on_the_router() {
        let (client, mut peer) = pair().await;
        let call = client.call(Command::new("/slow"));
        let server = async {
            let req = peer.expect("/slow").await;
            // Never answered; after the timeout the client cancels it.
            let cancel = peer.expect("/cancel").await;
            assert_eq!(cancel.get("tag"), req.tag());
            // The router's answers to the cancelled command are ignored by the client.
            peer.send(req.reply(Reply::trap(Some(2), "interrupted")))
                .await;
            peer.send(req.reply(Reply::done())).await;
            peer.send(Reply::done()).await;
            let req = peer.expect("/quick").await;
            peer.answer(&req, &[]).await;
        };
        let client_side = async {
            let started = tokio::time::Instant::now();
            let err = call.await.unwrap_err();
            assert!(
                matches!(err, ClientError::Timeout { during: Phase::Command, after } if after == Duration::from_secs(5)),
                "{err:?}"
            );
            assert_eq!(started.elapsed(), Duration::from_secs(5));
            assert_eq!(client.pending(), 0);
            let quick = client
                .call_with_timeout(Command::new("/quick"), Some(Duration::from_secs(1)))
                .await;
            assert!(quick.unwrap().rows.is_empty());
        };
        tokio::join!(server, client_side);
    }

    #[tokio::test(start_paused = true)]
    async fn one_write_per_sentence() {
        let (a, b) = tokio::io::duplex(1 << 16);
        let writes = Arc::new(AtomicUsize::new(0));
        let counted = CountWrites {
            inner: a,
            writes: Arc::clone(&writes),
        };
        let mut peer = Peer::new(b);
        let config = config();
        let (client, ()) = tokio::join!(Client::from_stream(counted, &config), peer.accept_login());
        let client = client.unwrap();
        assert_eq!(writes.load(Ordering::SeqCst), 1, "login is one write");
        let big = "x".repeat(20_000);
        let server = async {
            for _ in 0..3 {
                let req = peer.recv().await.unwrap();
                peer.answer(&req, &[]).await;
            }
        };
        let calls = async {
            for _ in 0..3 {
                client
                    .call(
                        Command::new("/many/words")
                            .attr("a", "1")
                            .attr("b", &big)
                            .attr("c", "3"),
                    )
                    .await
                    .unwrap();
            }
        };
        tokio::join!(server, calls);
        assert_eq!(writes.load(Ordering::SeqCst), 4);
    }

    /// Through a pipe narrower than any sentence, every write is partial: the rest of a
    /// sentence is written before any other, however many commands are sent at once.
    #[tokio::test(start_paused = true)]
    async fn sentences_stay_whole_through_a_narrow_pipe() {
        let (a, b) = tokio::io::duplex(7);
        let mut peer = Peer::new(b);
        let config = config();
        let (client, ()) = tokio::join!(Client::from_stream(a, &config), peer.accept_login());
        let client = client.unwrap();
        let calls = join_all((0..20).map(|i| {
            client.call(
                Command::new("/echo")
                    .attr("n", i.to_string())
                    .attr("pad", "p".repeat(100 + i)),
            )
        }));
        let server = async {
            let mut requests = Vec::new();
            for _ in 0..20 {
                let req = peer.expect("/echo").await;
                let n: usize = req.get("n").unwrap().parse().unwrap();
                assert_eq!(req.get("pad"), Some("p".repeat(100 + n).as_str()));
                requests.push(req);
            }
            for req in &requests {
                let n = req.get("n").unwrap();
                peer.answer(req, &[attrs(&[("n", n)])]).await;
            }
        };
        let (results, ()) = tokio::join!(calls, server);
        for (i, result) in results.into_iter().enumerate() {
            assert_eq!(result.unwrap().rows, [attrs(&[("n", &i.to_string())])]);
        }
        assert_eq!(client.pending(), 0);
    }

    /// Counts `poll_write` calls that wrote something.
    struct CountWrites {
        inner: DuplexStream,
        writes: Arc<AtomicUsize>,
    }

    impl AsyncRead for CountWrites {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<std::io::Result<()>> {
            Pin::new(&mut self.inner).poll_read(cx, buf)
        }
    }

    impl AsyncWrite for CountWrites {
        fn poll_write(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<std::io::Result<usize>> {
            let result = Pin::new(&mut self.inner).poll_write(cx, buf);
            if let Poll::Ready(Ok(n)) = &result {
                assert_eq!(
                    *n,
                    buf.len(),
                    "the pipe is large enough for a whole sentence"
                );
                self.writes.fetch_add(1, Ordering::SeqCst);
            }
            result
        }
        fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Pin::new(&mut self.inner).poll_flush(cx)
        }
        fn poll_shutdown(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<std::io::Result<()>> {
            Pin::new(&mut self.inner).poll_shutdown(cx)
        }
    }
}

mod connection_end {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn fatal_ends_every_pending_command() {
        let (client, mut peer) = pair().await;
        let calls = join_all((0..3).map(|i| client.call(Command::new(format!("/c{i}")))));
        let server = async {
            for _ in 0..3 {
                peer.recv().await.unwrap();
            }
            peer.send(Reply::fatal("session terminated on request"))
                .await;
        };
        let (results, ()) = tokio::join!(calls, server);
        for result in results {
            match result.unwrap_err() {
                ClientError::Fatal { message } => {
                    assert_eq!(message, "session terminated on request");
                }
                other => panic!("{other:?}"),
            }
        }
        assert!(client.is_closed());
        assert_eq!(client.pending(), 0);
        let later = client.call(Command::new("/after")).await.unwrap_err();
        assert!(matches!(later, ClientError::Fatal { .. }), "{later:?}");
        assert!(later.is_connection_lost());
        assert!(matches!(client.closed().await, ClientError::Fatal { .. }));
    }

    #[tokio::test(start_paused = true)]
    async fn eof_ends_every_pending_command() {
        let (client, mut peer) = pair().await;
        let mut stream = client.stream(Command::new("/interface/listen")).unwrap();
        let calls = join_all((0..2).map(|i| client.call(Command::new(format!("/c{i}")))));
        let server = async move {
            for _ in 0..3 {
                peer.recv().await.unwrap();
            }
            drop(peer);
        };
        let (results, ()) = tokio::join!(calls, server);
        for result in results {
            assert!(matches!(result, Err(ClientError::Closed)), "{result:?}");
        }
        assert!(matches!(
            stream.next_row().await,
            Some(Err(ClientError::Closed))
        ));
        assert!(stream.next_row().await.is_none());
        assert_eq!(
            client.closed().await.to_string(),
            "the router closed the connection"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn garbage_from_the_router_is_a_protocol_error() {
        let (client, mut peer) = pair().await;
        let call = client.call(Command::new("/x"));
        let server = async {
            peer.recv().await.unwrap();
            peer.send_raw(&[0xF8]).await;
        };
        let (result, ()) = tokio::join!(call, server);
        match result.unwrap_err() {
            ClientError::Protocol(message) => assert!(message.contains("0xF8"), "{message}"),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn oversized_word_from_the_router_is_refused() {
        let limits = Limits {
            max_word_len: 1024,
            ..Limits::default()
        };
        let (client, mut peer) = pair_with(config().limits(limits)).await;
        let call = client.call(Command::new("/x"));
        let server = async {
            let req = peer.recv().await.unwrap();
            let big = "v".repeat(2000);
            peer.send(req.reply(Reply::re(attrs(&[("k", &big)])))).await;
        };
        let (result, ()) = tokio::join!(call, server);
        assert!(
            matches!(result, Err(ClientError::Protocol(_))),
            "{result:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn close_ends_pending_commands_and_the_socket() {
        let (client, mut peer) = pair().await;
        let call = client.call(Command::new("/x"));
        let closer = async {
            assert_eq!(peer.recv().await.unwrap().command, "/x");
            client.close().await;
            assert!(peer.recv().await.is_none(), "socket closed");
        };
        let (result, ()) = tokio::join!(call, closer);
        assert!(
            matches!(result, Err(ClientError::ClosedLocally)),
            "{result:?}"
        );
        assert!(matches!(
            client.stream(Command::new("/y")),
            Err(ClientError::ClosedLocally)
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn dropping_the_last_handle_closes_the_socket() {
        let (client, mut peer) = pair().await;
        let clone = client.clone();
        drop(client);
        drop(clone);
        assert!(peer.recv().await.is_none());
    }
}

mod streaming {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn rows_arrive_one_at_a_time() {
        let (client, mut peer) = pair().await;
        let mut stream = client
            .stream(Command::new("/ppp/secret/print").proplist(&["name", "profile"]))
            .unwrap();
        let req = peer.expect("/ppp/secret/print").await;
        assert_eq!(req.proplist(), Some(vec!["name", "profile"]));
        assert_eq!(req.tag(), Some(stream.tag()));
        // The first row is yielded before the command is done.
        peer.send(req.reply(Reply::re(attrs(&[("name", "u0")]))))
            .await;
        let first = stream.next_row().await.unwrap().unwrap();
        assert_eq!(first.get("name"), Some("u0"));
        assert!(!stream.is_finished());
        let server = async {
            for i in 1..20_000 {
                let profile = if i % 4 == 0 { "VIP" } else { "Basic" };
                let name = format!("u{i}");
                peer.send(req.reply(Reply::re(attrs(&[("name", &name), ("profile", profile)]))))
                    .await;
            }
            peer.send(req.reply(Reply::done())).await;
        };
        // Filter while streaming, as an adapter would page through 20 000 secrets.
        let consumer = async {
            (&mut stream)
                .filter_map(|row| async move {
                    let row = row.unwrap();
                    (row.get("profile") == Some("VIP")).then(|| row.get("name").unwrap().to_owned())
                })
                .collect::<Vec<_>>()
                .await
        };
        let ((), vip) = tokio::join!(server, consumer);
        assert_eq!(vip.len(), 4999);
        assert_eq!(vip[0], "u4");
        assert!(stream.is_finished());
        assert!(stream.done().is_some());
        assert_eq!(client.pending(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn explicit_cancel_ends_a_listen() {
        let (client, mut peer) = pair().await;
        let mut stream = client.stream(Command::new("/interface/listen")).unwrap();
        let listen = peer.expect("/interface/listen").await;
        for i in 0..2 {
            peer.send(listen.reply(Reply::re(attrs(&[("n", &i.to_string())]))))
                .await;
        }
        for i in 0..2 {
            let row = stream.next_row().await.unwrap().unwrap();
            assert_eq!(row.get("n"), Some(i.to_string().as_str()));
        }
        let server = async {
            let cancel = peer.expect("/cancel").await;
            assert_eq!(cancel.get("tag"), listen.tag());
            assert_ne!(cancel.tag(), listen.tag());
            peer.send(listen.reply(Reply::trap(Some(2), "interrupted")))
                .await;
            peer.send(listen.reply(Reply::done())).await;
            peer.send(cancel.reply(Reply::done())).await;
        };
        let ((), cancelled) = tokio::join!(server, stream.cancel());
        cancelled.unwrap();
        assert!(
            stream.next_row().await.is_none(),
            "ends cleanly after the cancel"
        );
        assert_eq!(client.pending(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn dropping_a_stream_cancels_the_command() {
        let (client, mut peer) = pair().await;
        let stream = client
            .stream(Command::new("/log/print").attr("follow", ""))
            .unwrap();
        let req = peer.expect("/log/print").await;
        assert_eq!(client.pending(), 1);
        drop(stream);
        assert_eq!(client.pending(), 0);
        let cancel = peer.expect("/cancel").await;
        assert_eq!(cancel.get("tag"), req.tag());
        assert_eq!(cancel.tag(), None, "fire and forget");
        // Late replies for the dropped command are ignored.
        peer.send(req.reply(Reply::re(attrs(&[("message", "late")]))))
            .await;
        peer.send(req.reply(Reply::trap(Some(2), "interrupted")))
            .await;
        peer.send(req.reply(Reply::done())).await;
        peer.send(Reply::done()).await;
        let call = client.call(Command::new("/after"));
        let server = async {
            let req = peer.expect("/after").await;
            peer.answer(&req, &[attrs(&[("ok", "yes")])]).await;
        };
        let (response, ()) = tokio::join!(call, server);
        assert_eq!(response.unwrap().rows, [attrs(&[("ok", "yes")])]);
    }

    /// Not polled, a stream that is the only command in flight makes the client stop reading
    /// (its queue stays bounded, TCP holds the router back); a second command resumes the
    /// reading, so that its reply is never stuck behind the stream's rows.
    #[tokio::test(start_paused = true)]
    async fn a_lone_stream_is_back_pressured_but_never_blocks_another_command() {
        let (client, mut peer) = pair().await;
        let mut stream = client.stream(Command::new("/log/print")).unwrap();
        let req = peer.expect("/log/print").await;
        let rows = 6_000;
        let message = "m".repeat(1_000);
        let mut wire = Vec::new();
        for i in 0..rows {
            req.reply(Reply::re(attrs(&[
                ("n", &i.to_string()),
                ("message", &message),
            ])))
            .to_sentence()
            .encode(&mut wire);
        }
        // Write until the client stops taking bytes. With the clock paused, the timeout fires
        // only once every task is idle: the client has stopped reading for good.
        let mut sent = 0;
        while sent < wire.len() {
            let write = peer.stream.write(&wire[sent..]);
            match tokio::time::timeout(Duration::from_secs(60), write).await {
                Ok(n) => sent += n.unwrap(),
                Err(_) => break,
            }
        }
        // The queue's bound, one read and what the kernel buffers on loopback.
        let bound = routeros_api::connection::STREAM_QUEUE_LIMIT + (1 << 20);
        assert!(
            sent < bound,
            "the client stopped reading after {sent} of {} bytes",
            wire.len()
        );
        let call = client.call(Command::new("/system/identity/print"));
        let server = async {
            peer.send_raw(&wire[sent..]).await;
            let identity = peer.expect("/system/identity/print").await;
            peer.answer(&identity, &[attrs(&[("name", "r1")])]).await;
            peer.send(req.reply(Reply::done())).await;
        };
        let (response, ()) = tokio::join!(call, server);
        assert_eq!(response.unwrap().rows, [attrs(&[("name", "r1")])]);
        // Every row is still there, in order.
        for i in 0..rows {
            let row = stream.next_row().await.unwrap().unwrap();
            assert_eq!(row.get("n"), Some(i.to_string().as_str()));
        }
        assert!(stream.next_row().await.is_none());
        assert!(stream.done().is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn trap_ends_a_stream_with_an_error() {
        let (client, mut peer) = pair().await;
        let mut stream = client.stream(Command::new("/tool/torch")).unwrap();
        let req = peer.expect("/tool/torch").await;
        peer.send(req.reply(Reply::re(attrs(&[("rx", "1")])))).await;
        peer.send(req.reply(Reply::trap(Some(1), "no such interface")))
            .await;
        peer.send(req.reply(Reply::done())).await;
        assert!(stream.next_row().await.unwrap().is_ok());
        let err = stream.next_row().await.unwrap().unwrap_err();
        assert!(
            matches!(
                err,
                ClientError::Trap {
                    category: Some(1),
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(stream.next_row().await.is_none());
    }
}

#[cfg(feature = "tls")]
mod tls {
    use super::*;
    use routeros_api::tls::{
        NO_CERTIFICATE_HINT, TlsOptions, fingerprint_sha256, probe_fingerprint,
    };
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use tokio::net::TcpListener;
    use tokio::task::JoinHandle;

    fn data(name: &str) -> String {
        format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
    }

    fn leaf_der() -> CertificateDer<'static> {
        CertificateDer::from_pem_file(data("leaf.pem")).unwrap()
    }

    /// A router with a certificate (`leaf.pem`, signed by `ca.pem`, valid for 127.0.0.1,
    /// localhost and router.test) that answers one `/system/identity/print`.
    async fn tls_router() -> (u16, JoinHandle<()>) {
        let key = PrivateKeyDer::from_pem_file(data("leaf.key")).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf_der()], key)
        .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            // A client that does not trust us aborts the handshake: nothing more to do.
            let Ok(stream) = acceptor.accept(socket).await else {
                return;
            };
            let mut peer = Peer::new(stream);
            // probe_fingerprint closes right after the handshake.
            let Some(login) = peer.recv().await else {
                return;
            };
            assert_eq!(login.get("password"), Some(PASSWORD));
            peer.send(Reply::done()).await;
            let req = peer.expect("/system/identity/print").await;
            peer.answer(&req, &[attrs(&[("name", "tls-router")])]).await;
            assert!(peer.recv().await.is_none());
        });
        (port, server)
    }

    async fn identity(options: TlsOptions, port: u16) -> Result<String, ClientError> {
        let client = Client::connect(&config().port(port).tls(options)).await?;
        let response = client.call(Command::new("/system/identity/print")).await?;
        Ok(response.rows[0].get("name").unwrap().to_owned())
    }

    #[tokio::test]
    async fn ca_file_verifies_the_router() {
        let (port, server) = tls_router().await;
        let options = TlsOptions::ca_file(data("ca.pem")).unwrap();
        assert_eq!(identity(options, port).await.unwrap(), "tls-router");
        server.await.unwrap();
    }

    #[tokio::test]
    async fn ca_with_server_name_override() {
        let (port, server) = tls_router().await;
        let options = TlsOptions::ca_file(data("ca.pem"))
            .unwrap()
            .server_name("router.test");
        assert_eq!(identity(options, port).await.unwrap(), "tls-router");
        server.await.unwrap();
    }

    #[tokio::test]
    async fn pinned_fingerprint_is_accepted() {
        let (port, server) = tls_router().await;
        let fingerprint = fingerprint_sha256(&leaf_der());
        let options = TlsOptions::pin_sha256_hex(&fingerprint).unwrap();
        assert_eq!(identity(options, port).await.unwrap(), "tls-router");
        server.await.unwrap();
    }

    #[tokio::test]
    async fn probe_reads_the_fingerprint() {
        let (port, server) = tls_router().await;
        let seen = probe_fingerprint("127.0.0.1", port, Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(seen, fingerprint_sha256(&leaf_der()));
        server.await.unwrap();
    }

    fn expect_tls_error(result: Result<String, ClientError>, needle: &str) {
        match result {
            Err(ClientError::Tls { message, .. }) => {
                assert!(message.contains(needle), "{message}");
            }
            other => panic!("expected a TLS error, got {other:?}"),
        }
    }

    fn expect_certificate_error(result: Result<String, ClientError>, needles: &[&str]) {
        match result {
            Err(ClientError::Certificate { message, .. }) => {
                for needle in needles {
                    assert!(message.contains(needle), "{needle:?} in {message}");
                }
                // Said in words, not as a Debug dump of the TLS library's error.
                assert!(!message.contains("OtherError"), "{message}");
            }
            other => panic!("expected a certificate error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn wrong_pin_is_refused_with_both_fingerprints() {
        let (port, server) = tls_router().await;
        let options = TlsOptions::pin_sha256([7; 32]);
        let result = identity(options, port).await;
        let pinned = routeros_api::tls::format_fingerprint(&[7; 32]);
        let actual = fingerprint_sha256(&leaf_der());
        expect_certificate_error(
            result,
            &[
                &format!("the router's certificate fingerprint is {actual}"),
                &format!("the config pins {pinned}"),
            ],
        );
        server.await.unwrap();
    }

    #[tokio::test]
    async fn unrelated_ca_is_refused() {
        let (port, server) = tls_router().await;
        let options = TlsOptions::ca_file(data("other-ca.pem")).unwrap();
        expect_certificate_error(
            identity(options, port).await,
            &["not signed by the configured CA"],
        );
        server.await.unwrap();
    }

    #[tokio::test]
    async fn wrong_name_is_refused() {
        let (port, server) = tls_router().await;
        let options = TlsOptions::ca_file(data("ca.pem"))
            .unwrap()
            .server_name("other.example");
        expect_certificate_error(
            identity(options, port).await,
            &["other.example", "tls.server_name"],
        );
        server.await.unwrap();
    }

    /// What RouterOS api-ssl without a certificate does to a client that offers no anonymous
    /// DH suite: a fatal `handshake_failure` alert.
    async fn anonymous_dh_router() -> (u16, JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut header = [0u8; 5];
            socket.read_exact(&mut header).await.unwrap();
            assert_eq!(header[0], 0x16, "a TLS handshake record (ClientHello)");
            // alert record, TLS 1.2, length 2, level fatal, handshake_failure (40)
            socket
                .write_all(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28])
                .await
                .unwrap();
            let _ = socket.shutdown().await;
        });
        (port, server)
    }

    #[tokio::test]
    async fn anonymous_dh_only_router_gets_an_actionable_error() {
        let (port, server) = anonymous_dh_router().await;
        let options = TlsOptions::ca_file(data("ca.pem")).unwrap();
        let result = identity(options, port).await;
        expect_tls_error(result, "/ip service set api-ssl certificate=");
        server.await.unwrap();

        let (port, server) = anonymous_dh_router().await;
        let err = probe_fingerprint("127.0.0.1", port, Duration::from_secs(10))
            .await
            .unwrap_err();
        assert!(err.to_string().contains(NO_CERTIFICATE_HINT), "{err}");
        server.await.unwrap();
    }
}
