//! Arbitrary bytes into a connection's read path (`Reader` and `Connection`, sans I/O), with
//! a collecting command and a streaming one running: no panic, and the same rows and ends
//! whether the bytes come in one read or in pieces, whichever way (the reader's one-pass
//! scan of a listing's rows, or the decoder) each sentence is read.
#![no_main]

use libfuzzer_sys::fuzz_target;
use routeros_api::Command;
use routeros_api::codec::{Decoder, Limits};
use routeros_api::connection::{Connection, Reader};

/// Each command's rows and how it ended, and how the connection ended.
fn outcome(bytes: &[u8], step: usize, limits: Limits) -> Vec<String> {
    let mut conn = Connection::new();
    let mut reader = Reader::new(Decoder::new(limits));
    let call = conn.start(Command::new("/call"), false).expect("starts");
    let stream = conn.start(Command::new("/stream"), true).expect("starts");
    let mut streamed = Vec::new();
    for part in bytes.chunks(step) {
        conn.receive(&mut reader, part);
        streamed.extend(conn.take_rows(stream));
    }
    vec![
        format!("{:?}", conn.take_response(call)),
        format!("{streamed:?}"),
        format!("{:?}", conn.poll_end(stream)),
        format!("{:?}", conn.ended()),
    ]
}

fuzz_target!(|data: &[u8]| {
    // The first two bytes pick small caps and the size of the pieces.
    let Some((&[words, step], bytes)) = data.split_first_chunk::<2>() else {
        return;
    };
    let limits = Limits {
        max_word_len: 1 + usize::from(step & 0x0F) * 16,
        max_sentence_len: 4096,
        max_words: 1 + usize::from(words & 0x1F),
    };
    let step = 1 + usize::from(step >> 4);
    assert_eq!(
        outcome(bytes, bytes.len().max(1), limits),
        outcome(bytes, step, limits)
    );
});
