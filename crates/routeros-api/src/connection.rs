//! The protocol of one logged-in RouterOS API connection, sans I/O: commands in, bytes in
//! through a [`Reader`] and [`Connection::deliver`], bytes out through
//! [`Connection::take_transmit`], news out through [`Connection::poll_woken`]. No socket, no clock, no runtime: every rule of the
//! protocol (tags, rows, `!trap`, `!done`, `!empty`, `!fatal`, `/cancel`, the end of the byte
//! stream, back-pressure) lives here and is tested with plain unit tests; the tokio
//! [`Client`](crate::Client) is a thin driver around it (after quinn-proto and quinn).
//!
//! ```
//! use routeros_api::codec::{Decoder, Limits, encode_sentence};
//! use routeros_api::connection::{Connection, Reader};
//! use routeros_api::Command;
//!
//! let mut conn = Connection::new();
//! let mut reader = Reader::new(Decoder::new(Limits::default()));
//! let tag = conn.start(Command::new("/system/identity/print"), false).unwrap();
//! let mut wire = Vec::new();
//! assert!(conn.take_transmit(&mut wire));
//! // ... write `wire` to the router; what it answers goes to `receive`:
//! let mut answer = Vec::new();
//! encode_sentence(["!re", "=name=core-1", ".tag=1"], &mut answer);
//! encode_sentence(["!done", ".tag=1"], &mut answer);
//! conn.receive(&mut reader, &answer);
//! assert_eq!(conn.poll_woken(), Some(tag));
//! let response = conn.take_response(tag).unwrap().unwrap();
//! assert_eq!(response.rows[0].get("name"), Some("core-1"));
//! ```

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::io;
use std::sync::Arc;

use crate::codec::{Decoder, Limits, SentenceRef};
use crate::error::ClientError;
use crate::proto::attributes::{Chunk, ChunkPool, ChunkWriter, KeyInterner, KeyTable};
use crate::proto::{Attributes, Command, Reply, ReplyKind, trap_category};

/// What a finished command returned.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Response {
    /// One entry per `!re`, in order (none after `!empty`).
    pub rows: Vec<Attributes>,
    /// The attributes of `!done` (e.g. `ret`).
    pub done: Attributes,
}

impl Response {
    /// `=ret=` of `!done`: the `.id` of an item created by `add`, for instance.
    #[must_use]
    pub fn ret(&self) -> Option<&str> {
        self.done.get("ret")
    }
}

/// Heap bytes of rows that a stream may have queued, received but not yet taken by its
/// consumer, before [`Connection::must_pause`] says to stop reading (while that stream is the
/// only command the router is still answering). About three thousand rows of
/// `/ppp/secret/print`, a few reads ahead of the consumer: with one read's worth the reader
/// and the consumer took turns (a 20,000-row stream at 1.39x a raw read instead of 1.24x),
/// and the memory stays flat (the whole process's peak about 1.1x that listing's reply).
pub const STREAM_QUEUE_LIMIT: usize = 1024 * 1024;

/// Hashes a tag as itself: tags are small distinct numbers we give out, so the default
/// SipHash (built against hash flooding by strangers) costs a row of a long listing more
/// than it protects.
#[derive(Debug, Default, Clone, Copy)]
struct TagHasher(u64);

impl Hasher for TagHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// The commands in flight, by tag.
type ByTag<T> = HashMap<u64, T, BuildHasherDefault<TagHasher>>;

/// Why the connection ended; cloned into every running command.
#[derive(Debug, Clone)]
enum Disconnect {
    Fatal(String),
    Eof,
    Local,
    Io(io::ErrorKind, String),
    Protocol(String),
}

impl Disconnect {
    fn to_error(&self) -> ClientError {
        match self {
            Self::Fatal(message) => ClientError::Fatal {
                message: message.clone(),
            },
            Self::Eof => ClientError::Closed,
            Self::Local => ClientError::ClosedLocally,
            Self::Io(kind, message) => ClientError::Io(io::Error::new(*kind, message.clone())),
            Self::Protocol(message) => ClientError::Protocol(message.clone()),
        }
    }
}

/// One command in flight: what has arrived for it and has not been taken.
#[derive(Debug, Default)]
struct Running {
    /// `!re` rows in order.
    rows: Vec<Attributes>,
    /// Heap bytes of `rows`, counted for streams only.
    queued: usize,
    /// `!trap`: category and message.
    trap: Option<(Option<u32>, String)>,
    /// The attributes of `!done`, until taken.
    done: Option<Attributes>,
    /// The connection ended before `!done`.
    lost: Option<Disconnect>,
    /// The router will send nothing more for this command (`!done`, or the connection ended).
    over: bool,
    /// A stream: news for every batch of rows, and a full queue can pause the reading. A
    /// call has news only when it ends.
    streaming: bool,
    /// We asked the router to stop it: its `interrupted` trap is no error.
    cancelled: bool,
}

impl Running {
    /// How the command ended, once its rows are taken: `Ok` with the attributes of `!done`,
    /// or the error. `None` while it runs.
    fn take_end(&mut self) -> Option<Result<Attributes, ClientError>> {
        if let Some((category, message)) = &self.trap
            && !(self.cancelled && *category == Some(trap_category::INTERRUPTED))
        {
            return Some(Err(ClientError::Trap {
                category: *category,
                message: message.clone(),
            }));
        }
        if let Some(done) = self.done.take() {
            return Some(Ok(done));
        }
        self.lost.as_ref().map(|cause| Err(cause.to_error()))
    }
}

/// A reply noted during [`Reader::read`], in order; rows are built at the end of the read.
/// Plain numbers, written straight into their vector: noting a listing's rows costs little.
#[derive(Debug, Clone, Copy)]
struct Noted {
    tag: u64,
    /// Where a row's pairs are in its chunk, and how many they are.
    start: u32,
    end: u32,
    pairs: u32,
    place: Place,
}

/// Where a [`Noted`] reply is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// A row in the read's chunk of packed words.
    Words,
    /// A row in the read's chunk of compacted pairs.
    Numbered,
    /// The next of the read's [`Other`] replies.
    Other,
}

/// A reply of a read that is not in one of its chunks.
#[derive(Debug)]
enum Other {
    /// A row built on its own (one that neither chunk takes).
    Row(Attributes),
    /// A `!trap` or `!done`.
    Reply(Item),
}

/// The protocol state of one logged-in connection. See the [module](self) documentation.
#[derive(Debug)]
pub struct Connection {
    running: ByTag<Running>,
    next_tag: u64,
    ended: Option<Disconnect>,
    /// Encoded sentences waiting to be written, in order.
    transmit: Vec<u8>,
    /// Tags with news since the last [`poll_woken`](Self::poll_woken), in order, each once.
    woken: Vec<u64>,
}

impl Connection {
    /// A connection over a stream that is logged in. What the router sends goes through a
    /// [`Reader`] first.
    #[must_use]
    pub fn new() -> Self {
        Self {
            running: ByTag::default(),
            next_tag: 0,
            ended: None,
            transmit: Vec::new(),
            woken: Vec::new(),
        }
    }

    /// Starts a command: gives it the next tag and queues its sentence for writing. A stream's
    /// rows can be taken as they arrive; a call's all at once, when it ends.
    ///
    /// # Errors
    ///
    /// The error that ended the connection, if it has ended.
    pub fn start(&mut self, mut command: Command, streaming: bool) -> Result<u64, ClientError> {
        if let Some(cause) = &self.ended {
            return Err(cause.to_error());
        }
        self.next_tag += 1;
        let tag = self.next_tag;
        self.running.insert(
            tag,
            Running {
                streaming,
                ..Running::default()
            },
        );
        command.set_tag(Some(tag.to_string()));
        command.encode(&mut self.transmit);
        Ok(tag)
    }

    /// Marks the command as cancelled by us (its `interrupted` trap then ends it without an
    /// error); the caller sends the `/cancel` itself, as a command whose answer it waits for.
    pub fn cancelling(&mut self, tag: u64) {
        if let Some(running) = self.running.get_mut(&tag) {
            running.cancelled = true;
        }
    }

    /// The command's handle is gone: forget it. If the router is still answering it, queue a
    /// `/cancel` for it, whose replies nobody waits for (they are dropped on arrival, as are
    /// any further replies to this tag).
    pub fn forget(&mut self, tag: u64) {
        let running = self.running.remove(&tag).is_some_and(|r| !r.over);
        if running && self.ended.is_none() {
            Command::new("/cancel")
                .attr("tag", tag.to_string())
                .encode(&mut self.transmit);
        }
    }

    /// Hands bytes read from the router to the connection: `reader` decodes them, and every
    /// complete sentence is routed to its command (rows, `!trap`, `!done`; `!empty` is no
    /// row). `!fatal`, or bytes that are not the RouterOS API, end the connection. The same as
    /// [`Reader::read`] then [`deliver`](Self::deliver), for a caller that needs no lock
    /// between the two.
    pub fn receive(&mut self, reader: &mut Reader, bytes: &[u8]) {
        let mut inbound = Inbound::default();
        reader.sync(self);
        reader.read(bytes, &mut inbound);
        self.deliver(&mut inbound);
    }

    /// Routes what [`Reader::read`] decoded to the commands, in order, and empties `inbound`
    /// (keeping its capacity). Replies to a command that no longer runs are dropped.
    pub fn deliver(&mut self, inbound: &mut Inbound) {
        if self.ended.is_some() {
            inbound.items.clear();
            inbound.end = None;
            return;
        }
        for (tag, item) in inbound.items.drain(..) {
            let Some(command) = self.running.get_mut(&tag) else {
                continue;
            };
            match item {
                Item::Rows(mut rows) => {
                    if !command.streaming {
                        // A call has news when it ends, not for its rows.
                        if command.rows.is_empty() {
                            command.rows = rows;
                        } else {
                            command.rows.append(&mut rows);
                        }
                        continue;
                    }
                    command.queued += rows.iter().map(Attributes::heap_size).sum::<usize>();
                    if command.rows.is_empty() {
                        command.rows = rows;
                    } else {
                        command.rows.append(&mut rows);
                    }
                }
                Item::Trap(category, message) => {
                    command.trap.get_or_insert((category, message));
                }
                Item::Done(attributes) => {
                    command.done = Some(attributes);
                    command.over = true;
                }
            }
            if !self.woken.contains(&tag) {
                self.woken.push(tag);
            }
        }
        if let Some(cause) = inbound.end.take() {
            self.end(cause);
        }
    }

    /// The transport reached its end (the router closed the connection) without `!fatal`.
    pub fn end_of_stream(&mut self) {
        self.end(Disconnect::Eof);
    }

    /// Reading or writing the transport failed.
    pub fn transport_failed(&mut self, err: &io::Error) {
        self.end(Disconnect::Io(err.kind(), err.to_string()));
    }

    /// We close the connection: every running command ends with
    /// [`ClientError::ClosedLocally`].
    pub fn close(&mut self) {
        self.end(Disconnect::Local);
    }

    /// Ends the connection (the first cause counts) and every running command with it.
    fn end(&mut self, cause: Disconnect) {
        if self.ended.is_none() {
            self.ended = Some(cause.clone());
        }
        let mut lost: Vec<u64> = Vec::new();
        for (tag, running) in self.running.iter_mut().filter(|(_, r)| !r.over) {
            running.lost = Some(cause.clone());
            running.over = true;
            lost.push(*tag);
        }
        // Oldest command first, like any other news.
        lost.sort_unstable();
        for tag in lost {
            if !self.woken.contains(&tag) {
                self.woken.push(tag);
            }
        }
        self.transmit.clear();
    }

    /// Moves the bytes waiting to be written to the end of `out`; `false` if there were none.
    pub fn take_transmit(&mut self, out: &mut Vec<u8>) -> bool {
        if self.transmit.is_empty() {
            return false;
        }
        if out.is_empty() {
            std::mem::swap(out, &mut self.transmit);
        } else {
            out.append(&mut self.transmit);
        }
        true
    }

    /// The next command with news (rows for a stream; the end for any command), oldest
    /// first: the driver wakes whoever waits for it.
    pub fn poll_woken(&mut self) -> Option<u64> {
        if self.woken.is_empty() {
            None
        } else {
            Some(self.woken.remove(0))
        }
    }

    /// Every command with news, oldest first (as [`poll_woken`](Self::poll_woken) would give
    /// them), into `out`.
    pub fn drain_woken(&mut self, out: &mut Vec<u64>) {
        out.append(&mut self.woken);
    }

    /// The rows of a stream that arrived and were not taken yet, in order (empty if none).
    pub fn take_rows(&mut self, tag: u64) -> Vec<Attributes> {
        match self.running.get_mut(&tag) {
            Some(running) => {
                running.queued = 0;
                std::mem::take(&mut running.rows)
            }
            None => Vec::new(),
        }
    }

    /// How a stream ended, once its rows are taken: `Some(Ok(done))`, `Some(Err(..))`, or
    /// `None` while the router is still answering it.
    pub fn poll_end(&mut self, tag: u64) -> Option<Result<Attributes, ClientError>> {
        match self.running.get_mut(&tag) {
            Some(running) if running.rows.is_empty() => running.take_end(),
            Some(_) => None,
            None => Some(Err(self.ended_error())),
        }
    }

    /// A call's whole response, once it ended: its rows and its `!done`, or its error.
    /// `None` while the router is still answering it.
    pub fn take_response(&mut self, tag: u64) -> Option<Result<Response, ClientError>> {
        let Some(running) = self.running.get_mut(&tag) else {
            return Some(Err(self.ended_error()));
        };
        Some(running.take_end()?.map(|done| Response {
            rows: std::mem::take(&mut running.rows),
            done,
        }))
    }

    /// Whether the driver should stop reading the transport for now: the only command the
    /// router is still answering is a stream whose queue is over [`STREAM_QUEUE_LIMIT`].
    ///
    /// Back-pressure on a stream cannot be per command: the RouterOS API has no flow control
    /// per tag, so not reading means not reading the replies of every command on the
    /// connection. If another command is in flight, its caller may be the very task that
    /// would drain the stream (or may wait for that task): stopping then could deadlock. So
    /// with more than one command in flight the reading goes on and the stream's rows keep
    /// queueing (compactly, see [`Attributes`]).
    #[must_use]
    pub fn must_pause(&self) -> bool {
        let mut running = self.running.values().filter(|r| !r.over);
        match (running.next(), running.next()) {
            (Some(only), None) => only.streaming && only.queued > STREAM_QUEUE_LIMIT,
            _ => false,
        }
    }

    /// Number of commands that the router is still answering.
    #[must_use]
    pub fn running(&self) -> usize {
        self.running.values().filter(|r| !r.over).count()
    }

    /// Why the connection ended, once it has.
    #[must_use]
    pub fn ended(&self) -> Option<ClientError> {
        self.ended.as_ref().map(Disconnect::to_error)
    }

    fn ended_error(&self) -> ClientError {
        self.ended
            .as_ref()
            .map_or(ClientError::ClosedLocally, Disconnect::to_error)
    }
}

impl Default for Connection {
    fn default() -> Self {
        Self::new()
    }
}

/// The inbound half, sans I/O: bytes read from the router in, decoded replies out
/// ([`Inbound`]), rows built. Whoever reads the transport owns it, so that decoding needs no
/// lock shared with the commands' callers; [`Connection::deliver`] then hands the replies
/// over.
///
/// The rows of one read share one buffer (one allocation per read, not per row); when the
/// last of them is dropped the buffer returns to the reader's pool for the next reads. The
/// rows of a command whose caller collects them (a [`Client::call`](crate::Client::call))
/// are compacted as they are read: each value behind the number of its key in the
/// connection's table of key names, so that a listing held whole takes less than half its
/// size on the wire. The rows of a stream, taken and dropped as they come, keep the words
/// as they came, which costs less to build (see [`sync`](Self::sync)); in the shape that
/// RouterOS gives a listing's rows, they are read in one pass straight off the received
/// bytes, the decoder skipped.
#[derive(Debug)]
pub struct Reader {
    decoder: Decoder,
    /// What the current read brought.
    rows: RowSink,
}

/// Replies decoded from the bytes of one [`Reader::read`], in order, for
/// [`Connection::deliver`]. Reuse one for every read: it keeps its capacity.
#[derive(Debug, Default)]
pub struct Inbound {
    /// Per tag, in order: runs of rows, traps, `!done`s.
    items: Vec<(u64, Item)>,
    /// The connection ends with this (`!fatal`, bytes that are not the API).
    end: Option<Disconnect>,
}

/// One reply for one command.
#[derive(Debug)]
enum Item {
    /// Consecutive `!re` rows.
    Rows(Vec<Attributes>),
    Trap(Option<u32>, String),
    Done(Attributes),
}

impl Reader {
    /// A reader; `decoder` may already hold what arrived with the login's reply.
    #[must_use]
    pub fn new(decoder: Decoder) -> Self {
        Self {
            decoder,
            rows: RowSink::default(),
        }
    }

    /// Learns which of `conn`'s commands stream: their rows are built as their words came,
    /// those of the others compacted. Call it after [`Connection::deliver`] (and before
    /// the first read): a command started since is taken for one that collects until the
    /// next call, which changes how its rows are held, not what they hold.
    pub fn sync(&mut self, conn: &Connection) {
        let streams = &mut self.rows.streams;
        streams.clear();
        streams.extend(
            conn.running
                .iter()
                .filter(|(_, running)| running.streaming)
                .map(|(&tag, _)| tag),
        );
    }

    /// Decodes `bytes` (with what is left of earlier reads): every complete sentence goes to
    /// `into`, in order. A sentence cut at the end waits for the next read.
    pub fn read(&mut self, bytes: &[u8], into: &mut Inbound) {
        if into.end.is_some() {
            return;
        }
        self.decoder.feed(bytes);
        self.decode(bytes.len(), into);
    }

    /// Room for the next read, `at_most` bytes, in the decoder's own buffer: a transport
    /// reads into it, then [`received`](Self::received) says how much came. Saves the copy
    /// that [`read`](Self::read) makes.
    pub fn spare(&mut self, at_most: usize) -> &mut [u8] {
        &mut self.decoder.spare(at_most)[..at_most]
    }

    /// As [`read`](Self::read), for `n` bytes that a transport wrote into [`spare`](Self::spare).
    ///
    /// # Panics
    ///
    /// If `n` is more than the room lent.
    pub fn received(&mut self, n: usize, into: &mut Inbound) {
        self.decoder.filled(n);
        if into.end.is_none() {
            self.decode(n, into);
        }
    }

    /// Decodes what the decoder holds after a read of `size` bytes.
    fn decode(&mut self, size: usize, into: &mut Inbound) {
        let limits = self.decoder.limits();
        loop {
            self.common_rows(size, limits);
            match self.decoder.next_words() {
                Ok(Some(sentence)) => {
                    if let Err(cause) = note(&sentence, &mut self.rows, size) {
                        into.end = Some(cause);
                        break;
                    }
                }
                Ok(None) => break,
                Err(err) => {
                    into.end = Some(Disconnect::Protocol(err.to_string()));
                    break;
                }
            }
        }
        self.build(into);
    }

    /// Takes the rows in the shape of a listing's ([`scan_row`]) straight off the decoder's
    /// bytes, in one pass each, up to the first sentence of any other shape or kind, which
    /// the decoder reads the general way.
    fn common_rows(&mut self, size: usize, limits: Limits) {
        let mut read = 0;
        let bytes = self.decoder.unparsed();
        while let Some(row) = scan_row(&bytes[read..], limits) {
            let sentence = &bytes[read..read + row.len];
            let run = &sentence[row.run.clone()];
            if self.rows.streams.contains(&row.tag) {
                self.rows.words(row.tag, run, row.pairs, size);
            } else if !self.rows.numbered(row.tag, size, |keys, chunk| {
                keys.pack_run(sentence, row.run, row.pairs, chunk)
            }) {
                // A key that cannot be numbered: the row built on its own from its run.
                let own = Attributes::from_packed_bytes(run);
                self.rows.other(row.tag, Other::Row(own));
            }
            read += row.len;
        }
        if read > 0 {
            self.decoder.consume(read);
        }
    }

    /// Builds the rows noted during [`read`](Self::read), in order, grouping the consecutive
    /// rows of one command: the rows in a chunk share it; if a chunk is not UTF-8 after all,
    /// each of its rows is built on its own.
    fn build(&mut self, into: &mut Inbound) {
        let RowSink {
            words,
            numbered,
            keys,
            pool,
            noted,
            others,
            ..
        } = &mut self.rows;
        if noted.is_empty() {
            return;
        }
        let keys = keys.table();
        let seal = |bytes: Vec<u8>, keys: Option<Arc<KeyTable>>| {
            (bytes.capacity() > 0).then(|| {
                String::from_utf8(bytes)
                    .map(|text| Arc::new(Chunk::new(text, keys, pool)))
                    .map_err(std::string::FromUtf8Error::into_bytes)
            })
        };
        let words_chunk = seal(std::mem::take(words), None);
        let numbered_chunk = seal(numbered.finish(), Some(Arc::clone(&keys)));
        let mut others = others.drain(..);
        for (at, n) in noted.iter().enumerate() {
            let (start, end, pairs) = (n.start as usize, n.end as usize, n.pairs as usize);
            let row = match (n.place, &words_chunk, &numbered_chunk) {
                (Place::Other, ..) => match others.next() {
                    Some(Other::Row(row)) => row,
                    Some(Other::Reply(item)) => {
                        into.items.push((n.tag, item));
                        continue;
                    }
                    // Each `Other` place was noted with its reply.
                    None => continue,
                },
                (Place::Words, Some(Ok(chunk)), _) | (Place::Numbered, _, Some(Ok(chunk))) => {
                    Attributes::shared(chunk, n.start..n.end, pairs)
                }
                (Place::Words, Some(Err(bytes)), _) => {
                    Attributes::from_packed_bytes(&bytes[start..end])
                }
                (Place::Numbered, _, Some(Err(bytes))) => {
                    Attributes::from_numbered_bytes(&bytes[start..end], &keys)
                }
                // Noted in a chunk: the chunk has its buffer.
                (Place::Words | Place::Numbered, ..) => Attributes::new(),
            };
            match into.items.last_mut() {
                Some((last, Item::Rows(rows))) if *last == n.tag => rows.push(row),
                _ => {
                    // Room for the rest of the read's rows: usually all of one command.
                    let mut rows = Vec::with_capacity(noted.len() - at);
                    rows.push(row);
                    into.items.push((n.tag, Item::Rows(rows)));
                }
            }
        }
        noted.clear();
        // A buffer that is not UTF-8 is kept for the next read.
        if let Some(Err(mut bytes)) = words_chunk {
            bytes.clear();
            *words = bytes;
        }
        if let Some(Err(bytes)) = numbered_chunk {
            numbered.start(bytes);
        }
    }

    /// Whether part of a sentence is buffered (the end of the stream now would cut it).
    #[must_use]
    pub fn is_mid_sentence(&self) -> bool {
        self.decoder.is_mid_sentence()
    }
}

/// What a read brought, noted in order: the packed words of streams' rows, the other rows
/// compacted (their keys numbered), and the replies that are in neither; buffers for the
/// chunks come from `pool`.
#[derive(Debug, Default)]
struct RowSink {
    /// The packed words of the current read's rows of streams.
    words: Vec<u8>,
    /// The pairs of the current read's other rows (key numbers and values).
    numbered: ChunkWriter,
    /// The replies of the current read, in order.
    noted: Vec<Noted>,
    /// The current read's replies in neither chunk, in order.
    others: Vec<Other>,
    /// The numbers of the key names read on this connection.
    keys: KeyInterner,
    /// The tags of the commands that stream, as of the last [`Reader::sync`].
    streams: Vec<u64>,
    /// Buffers of the rows dropped since, for the next reads.
    pool: Arc<ChunkPool>,
}

impl RowSink {
    /// Notes a stream's row whose attribute words are `packed` (already in the packed form
    /// of [`Attributes`]), in the chunk of words of a read of `size` bytes.
    fn words(&mut self, tag: u64, packed: &[u8], pairs: usize, size: usize) {
        if self.words.capacity() == 0 {
            self.words = self.pool.take(size);
        }
        let start = self.words.len();
        self.words.extend_from_slice(packed);
        if !self.in_chunk(tag, start, self.words.len(), pairs, Place::Words) {
            self.words.truncate(start);
            self.other(tag, Other::Row(Attributes::from_packed_bytes(packed)));
        }
    }

    /// Notes a row that `pack` compacts into the chunk of numbered pairs of a read of
    /// `size` bytes; `false`, with nothing noted, if `pack` cannot number its keys.
    fn numbered(
        &mut self,
        tag: u64,
        size: usize,
        pack: impl FnOnce(&mut KeyInterner, &mut ChunkWriter) -> Option<usize>,
    ) -> bool {
        if self.numbered.needs_buffer() {
            self.numbered.start(self.pool.take(size));
        }
        let start = self.numbered.len();
        let Some(pairs) = pack(&mut self.keys, &mut self.numbered) else {
            return false;
        };
        let end = self.numbered.len();
        if !self.in_chunk(tag, start, end, pairs, Place::Numbered) {
            self.numbered.rewind(start);
            return false;
        }
        true
    }

    /// Notes a row in a chunk; `false` if its place does not fit the row's 32-bit offsets
    /// (only with [`Limits`] past 4 GiB).
    fn in_chunk(&mut self, tag: u64, start: usize, end: usize, pairs: usize, place: Place) -> bool {
        let (Ok(start), Ok(end), Ok(pairs)) = (
            u32::try_from(start),
            u32::try_from(end),
            u32::try_from(pairs),
        ) else {
            return false;
        };
        self.noted.push(Noted {
            tag,
            start,
            end,
            pairs,
            place,
        });
        true
    }

    /// Notes a reply in neither chunk.
    fn other(&mut self, tag: u64, other: Other) {
        self.noted.push(Noted {
            tag,
            start: 0,
            end: 0,
            pairs: 0,
            place: Place::Other,
        });
        self.others.push(other);
    }
}

/// Notes one reply of a read. `!re` rows keep their place (and their pairs go into the
/// read's chunk); `!fatal` and what is not a reply end the connection.
fn note(sentence: &SentenceRef<'_>, rows: &mut RowSink, size: usize) -> Result<(), Disconnect> {
    let first = sentence.first().unwrap_or_default();
    if ReplyKind::from_word(first) == Some(ReplyKind::Re) {
        // The common case, kept lean: no `Reply`, the tag found from the end (RouterOS puts
        // `.tag=` last; the last one counts). Untagged rows answer nobody (our commands are
        // all tagged).
        if let Some(tag) = sentence
            .iter()
            .rev()
            .find_map(|w| w.strip_prefix(b".tag="))
            .and_then(parse_tag)
        {
            note_row(tag, sentence, rows, size);
        }
        return Ok(());
    }
    let reply = Reply::parse_ref(sentence).map_err(|e| Disconnect::Protocol(e.to_string()))?;
    if reply.kind == ReplyKind::Fatal {
        return Err(Disconnect::Fatal(reply.message.unwrap_or_default()));
    }
    // Untagged replies answer fire-and-forget commands; nobody waits for them.
    let Some(tag) = reply.tag.as_deref().and_then(|t| parse_tag(t.as_bytes())) else {
        return Ok(());
    };
    let item = match reply.kind {
        ReplyKind::Done => Item::Done(reply.attributes),
        ReplyKind::Trap => Item::Trap(
            reply.category(),
            reply.text().unwrap_or_default().to_owned(),
        ),
        // `!empty`: no rows, `!done` follows.
        ReplyKind::Empty | ReplyKind::Re | ReplyKind::Fatal => return Ok(()),
    };
    rows.other(tag, Other::Reply(item));
    Ok(())
}

/// Notes a `!re` row of a read of `size` bytes: a stream's as its words came, any other
/// compacted.
fn note_row(tag: u64, sentence: &SentenceRef<'_>, rows: &mut RowSink, size: usize) {
    if rows.streams.contains(&tag) {
        if let Some((run, pairs)) = packed_run(sentence) {
            rows.words(tag, &sentence.raw()[run], pairs, size);
            return;
        }
    } else if rows.numbered(tag, size, |keys, chunk| keys.pack_row(sentence, chunk)) {
        return;
    }
    rows.other(tag, Other::Row(Attributes::from_sentence(sentence)));
}

/// Where the attribute words of a `!re` row are, with their length prefixes, and how many
/// they are, when they are in the packed form of [`Attributes`] already: one run, each
/// shorter than 127 bytes (a one-byte length prefix).
fn packed_run(sentence: &SentenceRef<'_>) -> Option<(std::ops::Range<usize>, usize)> {
    let spans = sentence.spans();
    let raw = sentence.raw();
    let mut pairs = 0;
    let mut last_end = 0;
    let mut after_run = false;
    for &(start, len) in &spans[1..] {
        let attribute = len > 0 && raw[start] == b'=';
        if attribute {
            if after_run || len >= 0x7F {
                // Attribute words on both sides of another word (not one run), or a long one.
                return None;
            }
            pairs += 1;
            last_end = start + len;
        } else if pairs > 0 {
            after_run = true;
        }
    }
    // The first attribute word's one-byte length prefix sits just before it.
    (pairs > 0 && raw[spans[1].0] == b'=').then(|| (spans[1].0 - 1..last_end, pairs))
}

/// A `!re` row scanned off the wire by [`scan_row`].
#[derive(Debug, PartialEq, Eq)]
struct Scanned {
    /// Bytes of the whole sentence, its ending zero included.
    len: usize,
    tag: u64,
    /// Where its attribute words are, with their length prefixes: one run, already in the
    /// packed form of [`Attributes`].
    run: std::ops::Range<usize>,
    pairs: usize,
}

/// A `!re` row in the shape RouterOS gives every row of a listing, read in one pass from
/// the start of `bytes`: every word shorter than 127 bytes (a one-byte length prefix, which
/// is also the packed form of [`Attributes`]), its attribute words in one run, a `.tag=`
/// of ours before or after them, nothing else, and within `limits`. `None` for anything
/// else, or a sentence not complete in `bytes`: the decoder reads it the general way.
fn scan_row(bytes: &[u8], limits: Limits) -> Option<Scanned> {
    const RE: &[u8] = b"\x03!re";
    if bytes.get(..RE.len())? != RE {
        return None;
    }
    let mut at = RE.len();
    let mut run = 0..0;
    let mut pairs = 0;
    let mut tag = None;
    let mut total = 3;
    let mut words = 1;
    loop {
        let len = usize::from(*bytes.get(at)?);
        if len == 0 {
            break;
        }
        let word = bytes.get(at + 1..at + 1 + len)?;
        if len >= 0x7F || len > limits.max_word_len {
            return None;
        }
        if word[0] == b'=' {
            if pairs == 0 {
                run = at..at;
            } else if run.end != at {
                return None;
            }
            run.end = at + 1 + len;
            pairs += 1;
        } else {
            tag = Some(parse_tag(word.strip_prefix(b".tag=")?)?);
        }
        total += len;
        words += 1;
        at += 1 + len;
    }
    if pairs == 0 || words > limits.max_words || total > limits.max_sentence_len {
        return None;
    }
    Some(Scanned {
        len: at + 1,
        tag: tag?,
        run,
        pairs,
    })
}

/// Our tags are decimal numbers without leading zeros; anything else is not ours.
fn parse_tag(text: &[u8]) -> Option<u64> {
    if text.is_empty() || (text.len() > 1 && text[0] == b'0') {
        return None;
    }
    text.iter().try_fold(0_u64, |n, &b| {
        if b.is_ascii_digit() {
            n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::encode_sentence;

    /// A connection and the reader of its bytes.
    struct Conn {
        conn: Connection,
        reader: Reader,
    }

    impl std::ops::Deref for Conn {
        type Target = Connection;
        fn deref(&self) -> &Connection {
            &self.conn
        }
    }

    impl std::ops::DerefMut for Conn {
        fn deref_mut(&mut self) -> &mut Connection {
            &mut self.conn
        }
    }

    impl Conn {
        fn receive(&mut self, bytes: &[u8]) {
            self.conn.receive(&mut self.reader, bytes);
        }
    }

    fn conn() -> Conn {
        Conn {
            conn: Connection::new(),
            reader: Reader::new(Decoder::new(Limits::default())),
        }
    }

    fn wire(sentences: &[&[&str]]) -> Vec<u8> {
        let mut out = Vec::new();
        for s in sentences {
            encode_sentence(s.iter().copied(), &mut out);
        }
        out
    }

    fn transmitted(conn: &mut Conn) -> Vec<Vec<String>> {
        let mut bytes = Vec::new();
        conn.take_transmit(&mut bytes);
        let mut decoder = Decoder::new(Limits::default());
        decoder.feed(&bytes);
        let mut out = Vec::new();
        while let Some(s) = decoder.next_sentence().unwrap() {
            out.push(
                s.words()
                    .iter()
                    .map(|w| String::from_utf8_lossy(w).into_owned())
                    .collect(),
            );
        }
        out
    }

    #[test]
    fn commands_are_tagged_in_order_and_queued_for_writing() {
        let mut c = conn();
        assert_eq!(c.start(Command::new("/a"), false).unwrap(), 1);
        assert_eq!(c.start(Command::new("/b").attr("x", "1"), true).unwrap(), 2);
        assert_eq!(
            transmitted(&mut c),
            [vec!["/a", ".tag=1"], vec!["/b", "=x=1", ".tag=2"]]
        );
        assert!(!c.take_transmit(&mut Vec::new()), "taken");
        assert_eq!(c.running(), 2);
    }

    #[test]
    fn a_call_ends_once_with_its_rows_in_order() {
        let mut c = conn();
        let tag = c.start(Command::new("/ppp/secret/print"), false).unwrap();
        let other = c.start(Command::new("/x"), false).unwrap();
        let bytes = wire(&[
            &["!re", "=name=a", ".tag=1"],
            &["!re", "=name=x", ".tag=2"],
            &["!re", "=name=b", "=comment=", ".tag=1"],
        ]);
        // In pieces: a sentence cut across reads is kept until complete.
        c.receive(&bytes[..7]);
        c.receive(&bytes[7..]);
        assert_eq!(c.poll_woken(), None, "a call has news only when it ends");
        assert_eq!(c.take_response(tag).map(|r| r.is_ok()), None);
        c.receive(&wire(&[&["!done", "=ret=*1", ".tag=1"]]));
        assert_eq!(c.poll_woken(), Some(tag));
        let response = c.take_response(tag).unwrap().unwrap();
        let names: Vec<_> = response.rows.iter().map(|r| r.get("name")).collect();
        assert_eq!(names, [Some("a"), Some("b")]);
        assert_eq!(response.rows[1].get("comment"), Some(""));
        assert_eq!(response.ret(), Some("*1"));
        assert_eq!(c.running(), 1);
        assert_eq!(
            c.take_rows(other).len(),
            1,
            "the other command's row is its own"
        );
    }

    #[test]
    fn a_stream_has_news_for_each_batch_of_rows() {
        let mut c = conn();
        let tag = c.start(Command::new("/listen"), true).unwrap();
        c.receive(&wire(&[
            &["!re", "=a=1", ".tag=1"],
            &["!re", "=a=2", ".tag=1"],
        ]));
        assert_eq!(c.poll_woken(), Some(tag));
        assert_eq!(c.poll_woken(), None, "once per batch");
        assert_eq!(c.take_rows(tag).len(), 2);
        assert!(c.poll_end(tag).is_none(), "still running");
        c.receive(&wire(&[&["!re", "=a=3", ".tag=1"], &["!done", ".tag=1"]]));
        assert!(c.poll_end(tag).is_none(), "rows first");
        assert_eq!(c.take_rows(tag)[0].get("a"), Some("3"));
        assert!(c.poll_end(tag).unwrap().is_ok());
    }

    #[test]
    fn traps_empty_and_untagged_replies() {
        let mut c = conn();
        let refused = c.start(Command::new("/ppp/secret/add"), false).unwrap();
        let empty = c.start(Command::new("/ppp/active/print"), false).unwrap();
        c.receive(&wire(&[
            &["!trap", "=message=failure: already exists", ".tag=1"],
            &["!done", ".tag=1"],
            &["!empty", ".tag=2"],
            &["!done", ".tag=2"],
            &["!re", "=untagged=1"],
            &["!done"],
            &["!re", "=name=z", ".tag=99"],
        ]));
        match c.take_response(refused) {
            Some(Err(ClientError::Trap { message, .. })) => {
                assert_eq!(message, "failure: already exists");
            }
            other => panic!("{other:?}"),
        }
        assert!(c.take_response(empty).unwrap().unwrap().rows.is_empty());
        assert!(c.ended().is_none());
    }

    #[test]
    fn a_cancelled_stream_ends_without_an_error_and_a_forgotten_one_is_cancelled() {
        let mut c = conn();
        let tag = c.start(Command::new("/listen"), true).unwrap();
        c.cancelling(tag);
        c.receive(&wire(&[
            &["!trap", "=category=2", "=message=interrupted", ".tag=1"],
            &["!done", ".tag=1"],
        ]));
        assert!(c.poll_end(tag).unwrap().is_ok());

        let dropped = c.start(Command::new("/listen"), true).unwrap();
        transmitted(&mut c);
        c.forget(dropped);
        assert_eq!(transmitted(&mut c), [vec!["/cancel", "=tag=2"]]);
        // Its late replies are dropped.
        c.receive(&wire(&[&["!re", "=a=1", ".tag=2"], &["!done", ".tag=2"]]));
        assert_eq!(c.poll_woken(), Some(tag), "only the first command's news");
        assert_eq!(c.poll_woken(), None);
        // A finished command is forgotten without a /cancel.
        c.forget(tag);
        assert!(!c.take_transmit(&mut Vec::new()));
    }

    #[test]
    fn fatal_end_of_stream_and_garbage_end_every_command() {
        for (bytes, expect) in [
            (
                wire(&[&["!fatal", "session terminated on request"]]),
                "Fatal",
            ),
            (vec![0xF8], "Protocol"),
            (wire(&[&["!bogus", ".tag=1"]]), "Protocol"),
        ] {
            let mut c = conn();
            let a = c.start(Command::new("/a"), false).unwrap();
            let b = c.start(Command::new("/b"), true).unwrap();
            c.receive(&bytes);
            let mut woken = Vec::new();
            c.drain_woken(&mut woken);
            assert_eq!(woken, [a, b]);
            let err = c.take_response(a).unwrap().unwrap_err();
            assert!(format!("{err:?}").starts_with(expect), "{err:?}");
            assert!(err.is_connection_lost());
            assert!(c.poll_end(b).unwrap().is_err());
            assert!(
                c.start(Command::new("/c"), false).is_err(),
                "later commands fail at once"
            );
        }
        let mut c = conn();
        let a = c.start(Command::new("/a"), false).unwrap();
        c.end_of_stream();
        assert!(matches!(c.take_response(a), Some(Err(ClientError::Closed))));
        let mut c = conn();
        let a = c.start(Command::new("/a"), false).unwrap();
        c.close();
        assert!(matches!(
            c.take_response(a),
            Some(Err(ClientError::ClosedLocally))
        ));
    }

    #[test]
    fn a_lone_full_stream_pauses_the_reading() {
        let mut c = conn();
        let tag = c.start(Command::new("/ppp/secret/print"), true).unwrap();
        let row = format!("=comment={}", "x".repeat(100));
        let mut bytes = Vec::new();
        while bytes.len() < 2 * STREAM_QUEUE_LIMIT {
            encode_sentence(["!re", row.as_str(), ".tag=1"], &mut bytes);
        }
        c.receive(&bytes);
        assert!(c.must_pause());
        // Another command in flight: never pause (its caller may drain the stream).
        let other = c.start(Command::new("/x"), false).unwrap();
        assert!(!c.must_pause());
        c.receive(&wire(&[&["!done", ".tag=2"]]));
        assert!(c.take_response(other).is_some());
        assert!(c.must_pause());
        c.take_rows(tag);
        assert!(!c.must_pause(), "taken");
    }

    #[test]
    fn rows_of_one_read_share_one_buffer_and_odd_rows_are_built_alone() {
        let mut c = conn();
        let tag = c.start(Command::new("/p"), false).unwrap();
        let long = format!("=comment={}", "y".repeat(300));
        c.receive(&wire(&[
            &["!re", "=name=a", "=x=1", ".tag=1"],
            &["!re", "=name=b", long.as_str(), ".tag=1"],
            &["!re", "=name=c", ".section=1", "=x=3", ".tag=1"],
            &["!re", ".tag=1"],
            &["!done", ".tag=1"],
        ]));
        let rows = c.take_response(tag).unwrap().unwrap().rows;
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].get("x"), Some("1"));
        assert_eq!(rows[1].get("comment").map(str::len), Some(300));
        assert_eq!(rows[2].get("x"), Some("3"));
        assert!(rows[3].is_empty());
        let mut detached = rows[0].clone();
        detached.detach();
        assert_eq!(detached, rows[0]);
    }

    /// Rows whose keys change from one row to the next (another order, a key more or less,
    /// a long key, a long value, a bare `=key`, a word that is not an attribute): each is
    /// read as `Reply::parse` reads it, whatever the last row was.
    #[test]
    fn rows_of_changing_shapes_keep_their_own_keys() {
        let long_key = format!("={}=v", "k".repeat(40));
        let long_value = format!("=comment={}", "c".repeat(200));
        let rows: Vec<Vec<&str>> = vec![
            vec!["!re", "=name=a", "=x=1", "=y=2"],
            vec!["!re", "=name=b", "=x=1", "=y=2"],
            vec!["!re", "=x=1", "=name=c", "=y=2"],
            vec!["!re", "=name=d", "=x=1"],
            vec!["!re", "=name=e", "=x=1", "=y=2", "=z=3"],
            vec![
                "!re",
                "=name=f",
                long_key.as_str(),
                long_value.as_str(),
                "=y=2",
            ],
            vec![
                "!re",
                "=name=g",
                long_key.as_str(),
                long_value.as_str(),
                "=y=2",
            ],
            vec!["!re", "=name", "=x", "=x=", ".section=1", "=y=2"],
            vec!["!re", "=nam=h", "=names=i", "=n=j", "==k"],
        ];
        let mut c = conn();
        let tag = c.start(Command::new("/p"), false).unwrap();
        let mut sentences: Vec<Vec<&str>> = rows.clone();
        for s in &mut sentences {
            s.push(".tag=1");
        }
        sentences.push(vec!["!done", ".tag=1"]);
        let sentences: Vec<&[&str]> = sentences.iter().map(Vec::as_slice).collect();
        c.receive(&wire(&sentences));
        let got = c.take_response(tag).unwrap().unwrap().rows;
        assert_eq!(got.len(), rows.len());
        for (row, words) in got.iter().zip(&rows) {
            let words: Vec<Vec<u8>> = words.iter().map(|w| w.as_bytes().to_vec()).collect();
            let parsed = Reply::parse(&crate::codec::Sentence::new(words)).unwrap();
            assert_eq!(row, &parsed.attributes);
            assert_eq!(
                row.iter().collect::<Vec<_>>(),
                parsed.attributes.iter().collect::<Vec<_>>()
            );
        }
        assert_eq!(got[7].get("name"), Some(""));
        assert_eq!(got[8].get("name"), None);
        assert_eq!(got[8].get("names"), Some("i"));
        assert_eq!(got[8].get(""), Some("k"));
    }

    /// The one-pass scan takes the rows of a listing in the shapes RouterOS sends, and leaves
    /// every other sentence to the decoder.
    #[test]
    fn the_scan_takes_common_rows_only() {
        let scan = |words: &[&str]| scan_row(&wire(&[words]), Limits::default());
        let row = wire(&[&["!re", "=name=a", "=x=", ".tag=12"]]);
        assert_eq!(
            scan_row(&row, Limits::default()),
            Some(Scanned {
                len: row.len(),
                tag: 12,
                run: 4..4 + 8 + 4,
                pairs: 2,
            })
        );
        // The tag before the attributes; and what follows the sentence is not read.
        let mut two = wire(&[&["!re", ".tag=3", "=name=a"], &["!done"]]);
        let first = scan_row(&two, Limits::default()).unwrap();
        assert_eq!((first.len, first.tag, first.pairs), (20, 3, 1));
        assert_eq!(&two[first.run.clone()], b"\x07=name=a");
        two.truncate(first.len - 1);
        assert_eq!(
            scan_row(&two, Limits::default()),
            None,
            "cut before its end"
        );
        for other in [
            &["!done", "=name=a", ".tag=1"][..],
            &["!re", "=name=a"],
            &["!re", ".tag=1"],
            &["!re", "=a=1", ".tag=1", "=b=2"],
            &["!re", "=a=1", ".section=2", ".tag=1"],
            &["!re", "=a=1", ".tag=01"],
            &["!re", "=a=1", ".tag=x"],
            &["!re", "name=a", ".tag=1"],
        ] {
            assert_eq!(scan(other), None, "{other:?}");
        }
        let long = format!("={}", "v".repeat(125));
        assert!(scan(&["!re", &long, ".tag=1"]).is_some(), "126 bytes");
        let long = format!("={}", "v".repeat(126));
        assert_eq!(scan(&["!re", &long, ".tag=1"]), None, "127 bytes");
        let row = wire(&[&["!re", "=a=1", "=b=2", ".tag=1"]]);
        // The row has 4 words, the longest of 6 bytes, 17 bytes in all: each bound exactly.
        for ((max_words, max_word_len, max_sentence_len), fits) in [
            ((4, 6, 17), true),
            ((3, 6, 17), false),
            ((4, 5, 17), false),
            ((4, 6, 16), false),
        ] {
            let limits = Limits {
                max_word_len,
                max_sentence_len,
                max_words,
            };
            assert_eq!(scan_row(&row, limits).is_some(), fits, "{limits:?}");
        }
    }

    /// A stream's rows past the decoder's limits end the connection as any other sentence
    /// past them does.
    #[test]
    fn a_streams_rows_keep_the_decoders_limits() {
        let mut c = Conn {
            conn: Connection::new(),
            reader: Reader::new(Decoder::new(Limits {
                max_words: 3,
                ..Limits::default()
            })),
        };
        let tag = c.start(Command::new("/p"), true).unwrap();
        c.receive(&wire(&[
            &["!re", "=a=1", ".tag=1"],
            &["!re", "=a=1", "=b=2", ".tag=1"],
        ]));
        assert_eq!(c.take_rows(tag).len(), 1);
        assert!(matches!(
            c.poll_end(tag),
            Some(Err(ClientError::Protocol(message))) if message.contains("words")
        ));
    }

    /// A server that makes up a new key on every row: past the table's bounds the rows are
    /// built on their own, and still right.
    #[test]
    fn keys_past_the_tables_bounds_are_still_read() {
        let mut c = conn();
        let tag = c.start(Command::new("/p"), false).unwrap();
        let mut bytes = Vec::new();
        let rows = 5_000;
        for i in 0..rows {
            let word = format!("=key-{i}={i}");
            encode_sentence(["!re", "=name=n", word.as_str(), ".tag=1"], &mut bytes);
        }
        encode_sentence(["!done", ".tag=1"], &mut bytes);
        c.receive(&bytes);
        let got = c.take_response(tag).unwrap().unwrap().rows;
        assert_eq!(got.len(), rows);
        for (i, row) in got.iter().enumerate() {
            let value = i.to_string();
            assert_eq!(row.get(&format!("key-{i}")), Some(value.as_str()));
            assert_eq!(row.get("name"), Some("n"));
            assert_eq!(row.len(), 2);
        }
    }

    /// A call's rows are compacted (each value behind a one-byte key number and its
    /// length), a stream's keep their words (cheaper to build; taken and dropped as they
    /// come); both read the same.
    #[test]
    fn a_calls_rows_are_compacted_and_a_streams_keep_their_words() {
        let mut c = conn();
        let call = c.start(Command::new("/p"), false).unwrap();
        let stream = c.start(Command::new("/p"), true).unwrap();
        let row = |tag: u64| {
            vec![
                "!re".to_owned(),
                "=name=john".to_owned(),
                "=last-disconnect-reason=peer-request".to_owned(),
                format!(".tag={tag}"),
            ]
        };
        let mut bytes = Vec::new();
        for tag in [call, stream, call, stream] {
            encode_sentence(row(tag), &mut bytes);
        }
        encode_sentence(["!done", ".tag=1"], &mut bytes);
        encode_sentence(["!done", ".tag=2"], &mut bytes);
        c.receive(&bytes);
        let streamed = c.take_rows(stream);
        let called = c.take_response(call).unwrap().unwrap().rows;
        assert_eq!(called, streamed);
        assert_eq!(
            called[1].get("last-disconnect-reason"),
            Some("peer-request")
        );
        // "john" and "peer-request", each behind two bytes.
        assert_eq!(called[0].heap_size(), 2 + 4 + 2 + 12);
        // The words as they came, each behind its length.
        let words = "=name=john=last-disconnect-reason=peer-request";
        assert_eq!(streamed[0].heap_size(), words.len() + 2);
    }

    mod read_props {
        use super::*;
        use crate::codec::Sentence;
        use proptest::prelude::*;

        /// A word of a `!re` row: mostly `=key=value` from a few keys (so that rows repeat
        /// their shapes), sometimes anything.
        fn word() -> impl Strategy<Value = Vec<u8>> {
            let key = prop_oneof![
                4 => proptest::sample::select(vec![
                    "name", ".id", "x", "comment", "last-disconnect-reason",
                    "a-key-of-exactly-31-bytes-long.", "a-key-of-exactly-32-bytes-long..",
                ])
                .prop_map(str::to_owned),
                1 => "[a-z=é]{0,40}",
            ];
            let value = prop_oneof![
                4 => "[a-z0-9 ]{0,40}",
                1 => (100_usize..300).prop_map(|n| "v".repeat(n)),
                1 => ".{0,20}",
            ];
            prop_oneof![
                8 => (key, value).prop_map(|(k, v)| format!("={k}={v}").into_bytes()),
                1 => "=[a-z]{0,10}".prop_map(String::into_bytes),
                1 => Just(b".section=1".to_vec()),
                1 => proptest::collection::vec(
                    proptest::sample::select(vec![b'=', b'.', b'a', 0xff, 0xc3, 0xa9, b'x']),
                    0..12,
                ),
            ]
        }

        /// A sentence of words that the read path tells apart: rows, ends, our tags and
        /// others, short and long words, bytes that are not the API.
        fn any_sentence() -> impl Strategy<Value = Vec<u8>> {
            let word = prop_oneof![
                4 => proptest::sample::select(vec![
                    "=name=a", "=x=", "=comment=é", "=a", ".tag=1", ".tag=2", ".tag=3",
                    ".tag=01", ".section=1", "=message=no", "!re", "!done", "!trap",
                ])
                .prop_map(|w| w.as_bytes().to_vec()),
                1 => (120_usize..135).prop_map(|n| format!("=long={}", "v".repeat(n)).into_bytes()),
                1 => proptest::collection::vec(any::<u8>(), 1..6),
            ];
            let first = proptest::sample::select(vec![
                "!re", "!re", "!re", "!done", "!trap", "!empty", "!fatal", "?",
            ]);
            (first, proptest::collection::vec(word, 0..7), any::<bool>()).prop_map(
                |(first, words, raw)| {
                    let mut out = Vec::new();
                    let mut all = vec![first.as_bytes().to_vec()];
                    all.extend(words);
                    if raw {
                        // Not framed as a sentence at all, now and then.
                        all.iter().for_each(|w| out.extend_from_slice(w));
                    } else {
                        encode_sentence(&all, &mut out);
                    }
                    out
                },
            )
        }

        /// What a connection made of what it received: each command's rows and how it
        /// ended, and how the connection ended.
        fn outcome(bytes: &[u8], step: usize, limits: Limits) -> Vec<String> {
            let mut c = Conn {
                conn: Connection::new(),
                reader: Reader::new(Decoder::new(limits)),
            };
            let call = c.start(Command::new("/call"), false).unwrap();
            let stream = c.start(Command::new("/stream"), true).unwrap();
            let mut streamed = Vec::new();
            for part in bytes.chunks(step) {
                c.receive(part);
                streamed.extend(c.take_rows(stream));
            }
            vec![
                format!("{:?}", c.take_response(call)),
                format!("{streamed:?}"),
                format!("{:?}", c.poll_end(stream)),
                format!("{:?}", c.ended()),
            ]
        }

        proptest! {
            /// Every row read through a connection, a call's (compacted) or a stream's, is what
            /// `Reply::parse` makes of it, read after any other rows, in reads of any size.
            #[test]
            fn the_read_path_agrees_with_parse(
                rows in proptest::collection::vec(
                    (proptest::collection::vec(word(), 0..8), any::<prop::sample::Index>()),
                    1..12,
                ),
                read_size in 1_usize..400,
                streaming: bool,
            ) {
                let mut c = conn();
                let tag = c.start(Command::new("/p"), streaming).unwrap();
                let mut bytes = Vec::new();
                // The tag anywhere among the words, as a server may put it.
                let rows: Vec<Vec<Vec<u8>>> = rows
                    .into_iter()
                    .map(|(mut words, at)| {
                        words.insert(at.index(words.len() + 1), b".tag=1".to_vec());
                        words
                    })
                    .collect();
                for words in &rows {
                    let mut all = vec![b"!re".to_vec()];
                    all.extend(words.iter().cloned());
                    encode_sentence(&all, &mut bytes);
                }
                encode_sentence([b"!done".as_slice(), b".tag=1"], &mut bytes);
                for part in bytes.chunks(read_size) {
                    c.receive(part);
                }
                let got = if streaming {
                    c.take_rows(tag)
                } else {
                    c.take_response(tag).unwrap().unwrap().rows
                };
                prop_assert_eq!(got.len(), rows.len());
                for (row, words) in got.iter().zip(&rows) {
                    let mut all = vec![b"!re".to_vec()];
                    all.extend(words.iter().cloned());
                    let parsed = Reply::parse(&Sentence::new(all)).unwrap();
                    prop_assert_eq!(row, &parsed.attributes);
                    let mut detached = row.clone();
                    detached.detach();
                    prop_assert_eq!(&detached, &parsed.attributes);
                }
            }

            /// Any bytes, with small limits, read whole or in pieces of any size: the same
            /// rows for each command and the same ends, whichever way (the one-pass scan or
            /// the decoder) each sentence was read.
            #[test]
            fn any_bytes_read_whole_or_in_pieces_make_the_same(
                sentences in proptest::collection::vec(any_sentence(), 0..16),
                step in 1_usize..80,
                max_word_len in 1_usize..200,
                max_sentence_len in 1_usize..600,
                max_words in 1_usize..10,
            ) {
                let bytes = sentences.concat();
                let limits = Limits { max_word_len, max_sentence_len, max_words };
                prop_assert_eq!(
                    outcome(&bytes, bytes.len().max(1), limits),
                    outcome(&bytes, step, limits)
                );
            }
        }
    }

    #[test]
    fn the_buffers_of_dropped_rows_are_reused_up_to_a_bound() {
        let mut c = conn();
        let tag = c.start(Command::new("/p"), false).unwrap();
        c.receive(&wire(&[
            &["!re", "=name=a", ".tag=1"],
            &["!re", "=name=b", ".tag=1"],
        ]));
        let first = c.take_rows(tag);
        assert_eq!(c.reader.rows.pool.kept(), 0, "in use");
        drop(first);
        let kept = c.reader.rows.pool.kept();
        assert!(kept > 0, "the chunk came back when its last row went");
        c.receive(&wire(&[
            &["!re", "=name=c", ".tag=1"],
            &["!done", ".tag=1"],
        ]));
        assert_eq!(c.reader.rows.pool.kept(), 0, "and served the next read");
        let response = c.take_response(tag).unwrap().unwrap();
        assert_eq!(response.rows[0].get("name"), Some("c"));
        // A row made its own does not hold the chunk.
        let mut row = response.rows[0].clone();
        row.detach();
        drop(response);
        assert!(c.reader.rows.pool.kept() > 0);
        assert_eq!(row.get("name"), Some("c"));
        // Bounded: a buffer past the bound is not kept.
        let pool = Arc::new(ChunkPool::default());
        drop(Chunk::new(
            "x".repeat(ChunkPool::MAX_BYTES + 1),
            None,
            &pool,
        ));
        assert_eq!(pool.kept(), 0);
        drop(Chunk::new("x".repeat(1000), None, &pool));
        assert!(pool.kept() >= 1000);
    }

    #[test]
    fn invalid_utf8_in_a_read_is_replaced_row_by_row() {
        let mut c = conn();
        let tag = c.start(Command::new("/p"), false).unwrap();
        let mut bytes = Vec::new();
        encode_sentence([b"!re".as_slice(), b"=name=ok", b".tag=1"], &mut bytes);
        encode_sentence(
            [b"!re".as_slice(), &[b'=', b'n', b'=', 0xFF], b".tag=1"],
            &mut bytes,
        );
        encode_sentence([b"!done".as_slice(), b".tag=1"], &mut bytes);
        c.receive(&bytes);
        let rows = c.take_response(tag).unwrap().unwrap().rows;
        assert_eq!(rows[0].get("name"), Some("ok"));
        assert_eq!(rows[1].get("n"), Some("\u{FFFD}"));
    }
}
