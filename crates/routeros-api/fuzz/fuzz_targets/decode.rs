//! Arbitrary bytes into the decoder, whole and split: no panic, same result either way (owned
//! or borrowed sentences), and every decoded sentence survives the typed parsers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use routeros_api::codec::{DecodeError, Decoder, Limits, Sentence};
use routeros_api::proto::{Reply, Request};

fn decode(limits: Limits, chunks: &[&[u8]]) -> (Vec<Sentence>, Option<DecodeError>) {
    let mut decoder = Decoder::new(limits);
    let mut out = Vec::new();
    for chunk in chunks {
        decoder.feed(chunk);
        loop {
            match decoder.next_sentence() {
                Ok(Some(sentence)) => out.push(sentence),
                Ok(None) => break,
                Err(err) => return (out, Some(err)),
            }
        }
    }
    (out, None)
}

/// As `decode`, through the borrowed sentences of `next_words`, each parsed in place.
fn decode_borrowed(limits: Limits, chunks: &[&[u8]]) -> (Vec<Sentence>, Option<DecodeError>) {
    let mut decoder = Decoder::new(limits);
    let mut out = Vec::new();
    for chunk in chunks {
        decoder.feed(chunk);
        loop {
            match decoder.next_words() {
                Ok(Some(sentence)) => {
                    let owned = sentence.to_sentence();
                    assert_eq!(Reply::parse_ref(&sentence), Reply::parse(&owned));
                    out.push(owned);
                }
                Ok(None) => break,
                Err(err) => return (out, Some(err)),
            }
        }
    }
    (out, None)
}

fuzz_target!(|data: &[u8]| {
    // The first byte picks the split step and small caps, so that the limits are exercised.
    let Some((&control, bytes)) = data.split_first() else {
        return;
    };
    let limits = Limits {
        max_word_len: 1 + usize::from(control & 0x3F) * 16,
        max_sentence_len: 4096,
        max_words: 1 + usize::from(control >> 4),
    };
    let step = 1 + usize::from(control % 7);
    let whole = decode(limits, &[bytes]);
    let pieces: Vec<&[u8]> = bytes.chunks(step).collect();
    let split = decode(limits, &pieces);
    assert_eq!(whole, split);
    assert_eq!(whole, decode_borrowed(limits, &pieces));
    for sentence in whole.0 {
        let _ = Request::parse(&sentence);
        let _ = Reply::parse(&sentence);
    }
});
