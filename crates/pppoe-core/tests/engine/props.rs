//! Property tests: the grammar never panics, the engine never panics on any text and never
//! writes to the router from a message that failed to parse, and phone normalization is
//! idempotent.

use pppoe_core::testing::FakeRouter;
use pppoe_core::{PhoneNumber, parse_command};
use proptest::prelude::*;

use crate::harness::{Bot, config};

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn the_grammar_never_panics(text in any::<String>()) {
        let _ = parse_command(&text, 1000);
    }

    #[test]
    fn the_grammar_never_panics_on_command_like_text(
        head in prop::sample::select(vec!["addpppoe", "editpppoe", "delpppoe", "pppoe", "checkpppoe", "restartpppoe", "help", "ya", "/ADDPPPOE", "!pppoe"]),
        rest in "[ a-zA-Z0-9.\"“”'/\\-@_!?,:;\t\n\u{00e9}\u{1F600}]{0,80}",
    ) {
        let _ = parse_command(&format!("{head} {rest}"), 1000);
    }

    #[test]
    fn phone_normalization_is_idempotent(text in "[+0-9 ()\\-.]{0,24}(@s\\.whatsapp\\.net)?") {
        if let Ok(p) = PhoneNumber::parse(&text, "62") {
            let again = PhoneNumber::parse(p.as_str(), "62").unwrap();
            prop_assert_eq!(&again, &p);
            prop_assert!(p.as_str().bytes().all(|b| b.is_ascii_digit()));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn the_engine_never_panics_and_unparsable_text_never_writes(text in "\\PC{0,60}") {
        let b = Bot::new(FakeRouter::with_spec_users(), config());
        let replies = b.say(&text);
        prop_assert!(replies.len() <= 1);
        if parse_command(&text, 1000).is_err() {
            prop_assert!(b.router.calls().is_empty());
        }
        prop_assert!(b.events().len() == 1);
    }
}
