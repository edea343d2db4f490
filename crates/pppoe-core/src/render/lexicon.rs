//! The words of the replies, one [`Lexicon`] per language. The layouts in `mod.rs` give the
//! structure, the emoji, the line order and the `*bold*` markers; every word comes from here.
//!
//! A fixed text is a `&'static str`; a text that shows values is a `fn` that takes them, so
//! that each language puts them where its grammar wants. Labels that the spec keeps in English
//! in both languages (`Username`, `Profile`, ...) are still lexicon words.

/// Every text of the replies, in one language.
pub(crate) struct Lexicon {
    // Labels: the words before a colon (`*Label:* value`, `Contoh: ...`).
    /// The username line of a reply.
    pub(crate) label_username: &'static str,
    /// The password line of `addpppoe`.
    pub(crate) label_password: &'static str,
    /// The package line.
    pub(crate) label_profile: &'static str,
    /// The static IP line of a reply about one user.
    pub(crate) label_ip_address: &'static str,
    /// The customer line of a user's summary (delete confirmation).
    pub(crate) label_customer: &'static str,
    /// The customer information line of `addpppoe`.
    pub(crate) label_customer_info: &'static str,
    /// When a user was created (`addpppoe`).
    pub(crate) label_created_at: &'static str,
    /// Which field `editpppoe` changed.
    pub(crate) label_field: &'static str,
    /// The value `editpppoe` set.
    pub(crate) label_new_value: &'static str,
    /// When `editpppoe` changed the user.
    pub(crate) label_updated_at: &'static str,
    /// The reason given for a delete.
    pub(crate) label_reason: &'static str,
    /// When a user was deleted.
    pub(crate) label_deleted_at: &'static str,
    /// When a connection was restarted.
    pub(crate) label_restarted_at: &'static str,
    /// What became of the active session after a delete or a disable.
    pub(crate) label_active_session: &'static str,
    /// Whether a user is enabled or disabled.
    pub(crate) label_status: &'static str,
    /// Whether a user is connected.
    pub(crate) label_connection: &'static str,
    /// The numbered list of what the technician does next.
    pub(crate) label_next_steps: &'static str,
    /// An example of a command, after the delete confirmation and in the help.
    pub(crate) label_example: &'static str,

    // Values shown after a label.
    /// A user with no static IP.
    pub(crate) dynamic: &'static str,
    /// In `- (...)`: the static IP was removed, the user gets a dynamic one.
    pub(crate) no_static_ip: &'static str,
    /// The status of a user who may log in.
    pub(crate) enabled: &'static str,
    /// The status of a user who may not log in.
    pub(crate) disabled: &'static str,
    /// A user with an active session.
    pub(crate) connected: &'static str,
    /// A user without an active session.
    pub(crate) disconnected: &'static str,
    /// The active session was removed.
    pub(crate) session_dropped: &'static str,
    /// What was done, in the line about a session that could not be dropped: a delete.
    pub(crate) user_deleted: &'static str,
    /// What was done, in the line about a session that could not be dropped: a disable.
    pub(crate) user_disabled: &'static str,
    /// The session could not be dropped: `(what was done, username)`.
    pub(crate) kick_failed: fn(&str, &str) -> String,
    /// Whether the session was dropped is unknown: `(what was done, username)`.
    pub(crate) kick_unconfirmed: fn(&str, &str) -> String,

    // Titles.
    /// `addpppoe` succeeded.
    pub(crate) title_added: &'static str,
    /// `editpppoe` succeeded.
    pub(crate) title_edited: &'static str,
    /// A delete waits for a confirmation.
    pub(crate) title_delete_confirmation: &'static str,
    /// `delpppoe` succeeded.
    pub(crate) title_deleted: &'static str,
    /// `restartpppoe` succeeded.
    pub(crate) title_restarted: &'static str,
    /// `restartpppoe` for a user who is not connected.
    pub(crate) title_not_connected: &'static str,

    // Deleting.
    /// The confirmation's question, about the username.
    pub(crate) delete_question: fn(&str) -> String,
    /// How to confirm a delete without a code: send it again with a reason.
    pub(crate) resend_with_reason: &'static str,
    /// The placeholder of the reason in the confirmation's `delpppoe USER [...]`.
    pub(crate) arg_deletion_reason: &'static str,
    /// The reason in the examples of `delpppoe`.
    pub(crate) example_reason: &'static str,
    /// How to confirm a delete with a code, within so many minutes.
    pub(crate) reply_within: fn(u64) -> String,

    // Restarting.
    /// The user (username) has no connection to restart.
    pub(crate) not_connected: fn(&str) -> String,
    /// Before `checkpppoe USER`: how to see a user's status.
    pub(crate) check_status: &'static str,

    // Next steps, by reply.
    /// After `addpppoe`.
    pub(crate) steps_added: &'static [&'static str],
    /// After `editpppoe USER profile`.
    pub(crate) steps_edit_profile: &'static [&'static str],
    /// After `editpppoe USER password`.
    pub(crate) steps_edit_password: &'static [&'static str],
    /// After `editpppoe USER ip`.
    pub(crate) steps_edit_ip: &'static [&'static str],
    /// After `editpppoe USER status`.
    pub(crate) steps_edit_status: &'static [&'static str],
    /// After `editpppoe USER info`.
    pub(crate) steps_edit_info: &'static [&'static str],
    /// After `delpppoe`.
    pub(crate) steps_deleted: &'static [&'static str],
    /// After `restartpppoe`.
    pub(crate) steps_restarted: &'static [&'static str],
}

#[cfg(test)]
mod tests {
    use super::Lexicon;
    use crate::render::{en::EN, id::ID};

    /// Sample values given to the texts that show values; each must appear in the text.
    const USER: &str = "⟪user⟫";
    const DONE: &str = "⟪done⟫";

    /// One text of a lexicon: the field's name, the text, and the values it must show.
    struct Text {
        name: String,
        text: String,
        shows: Vec<String>,
    }

    fn fixed(name: &str, text: &str) -> Text {
        Text {
            name: name.to_owned(),
            text: text.to_owned(),
            shows: Vec::new(),
        }
    }

    fn shown(name: &str, text: String, shows: &[&dyn ToString]) -> Text {
        Text {
            name: name.to_owned(),
            text,
            shows: shows.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Each step, and the number of steps (no steps would leave a heading with nothing
    /// under it, so an empty list counts as an empty text).
    fn steps(name: &str, steps: &[&str]) -> Vec<Text> {
        let count = if steps.is_empty() {
            String::new()
        } else {
            steps.len().to_string()
        };
        let mut texts = vec![fixed(&format!("{name}.len"), &count)];
        texts.extend(
            steps
                .iter()
                .enumerate()
                .map(|(i, s)| fixed(&format!("{name}[{i}]"), s)),
        );
        texts
    }

    /// Every text of `lx`. The pattern names every field (no `..`), so a field added to
    /// [`Lexicon`] does not compile until it is listed here too.
    fn texts(lx: &Lexicon) -> Vec<Text> {
        let Lexicon {
            label_username,
            label_password,
            label_profile,
            label_ip_address,
            label_customer,
            label_customer_info,
            label_created_at,
            label_field,
            label_new_value,
            label_updated_at,
            label_reason,
            label_deleted_at,
            label_restarted_at,
            label_active_session,
            label_status,
            label_connection,
            label_next_steps,
            label_example,
            dynamic,
            no_static_ip,
            enabled,
            disabled,
            connected,
            disconnected,
            session_dropped,
            user_deleted,
            user_disabled,
            kick_failed,
            kick_unconfirmed,
            title_added,
            title_edited,
            title_delete_confirmation,
            title_deleted,
            title_restarted,
            title_not_connected,
            delete_question,
            resend_with_reason,
            arg_deletion_reason,
            example_reason,
            reply_within,
            not_connected,
            check_status,
            steps_added,
            steps_edit_profile,
            steps_edit_password,
            steps_edit_ip,
            steps_edit_status,
            steps_edit_info,
            steps_deleted,
            steps_restarted,
        } = lx;
        let mut texts = vec![
            fixed("label_username", label_username),
            fixed("label_password", label_password),
            fixed("label_profile", label_profile),
            fixed("label_ip_address", label_ip_address),
            fixed("label_customer", label_customer),
            fixed("label_customer_info", label_customer_info),
            fixed("label_created_at", label_created_at),
            fixed("label_field", label_field),
            fixed("label_new_value", label_new_value),
            fixed("label_updated_at", label_updated_at),
            fixed("label_reason", label_reason),
            fixed("label_deleted_at", label_deleted_at),
            fixed("label_restarted_at", label_restarted_at),
            fixed("label_active_session", label_active_session),
            fixed("label_status", label_status),
            fixed("label_connection", label_connection),
            fixed("label_next_steps", label_next_steps),
            fixed("label_example", label_example),
            fixed("dynamic", dynamic),
            fixed("no_static_ip", no_static_ip),
            fixed("enabled", enabled),
            fixed("disabled", disabled),
            fixed("connected", connected),
            fixed("disconnected", disconnected),
            fixed("session_dropped", session_dropped),
            fixed("user_deleted", user_deleted),
            fixed("user_disabled", user_disabled),
            shown("kick_failed", kick_failed(DONE, USER), &[&DONE, &USER]),
            shown(
                "kick_unconfirmed",
                kick_unconfirmed(DONE, USER),
                &[&DONE, &USER],
            ),
            fixed("title_added", title_added),
            fixed("title_edited", title_edited),
            fixed("title_delete_confirmation", title_delete_confirmation),
            fixed("title_deleted", title_deleted),
            fixed("title_restarted", title_restarted),
            fixed("title_not_connected", title_not_connected),
            shown("delete_question", delete_question(USER), &[&USER]),
            fixed("resend_with_reason", resend_with_reason),
            fixed("arg_deletion_reason", arg_deletion_reason),
            fixed("example_reason", example_reason),
            shown("reply_within", reply_within(97), &[&97]),
            shown("not_connected", not_connected(USER), &[&USER]),
            fixed("check_status", check_status),
        ];
        for (name, list) in [
            ("steps_added", steps_added),
            ("steps_edit_profile", steps_edit_profile),
            ("steps_edit_password", steps_edit_password),
            ("steps_edit_ip", steps_edit_ip),
            ("steps_edit_status", steps_edit_status),
            ("steps_edit_info", steps_edit_info),
            ("steps_deleted", steps_deleted),
            ("steps_restarted", steps_restarted),
        ] {
            texts.extend(steps(name, list));
        }
        texts
    }

    #[test]
    fn both_lexicons_fill_every_text_and_show_every_value() {
        for (language, lx) in [("id", &ID), ("en", &EN)] {
            for t in texts(lx) {
                assert!(!t.text.trim().is_empty(), "{language}: {} is empty", t.name);
                assert!(
                    !t.text.ends_with(char::is_whitespace),
                    "{language}: {} ends with a blank: {:?}",
                    t.name,
                    t.text
                );
                for value in &t.shows {
                    assert!(
                        t.text.contains(value.as_str()),
                        "{language}: {} does not show {value}: {:?}",
                        t.name,
                        t.text
                    );
                }
            }
        }
    }

    #[test]
    fn both_lexicons_have_the_same_texts_and_their_titles_differ() {
        let (id, en) = (texts(&ID), texts(&EN));
        let names = |texts: &[Text]| texts.iter().map(|t| t.name.clone()).collect::<Vec<_>>();
        let same_count = |t: &Text| t.name.ends_with(".len");
        // The same number of next steps in each list.
        assert_eq!(names(&id), names(&en));
        for (i, e) in id.iter().zip(&en).filter(|(i, _)| same_count(i)) {
            assert_eq!(i.text, e.text, "{}", i.name);
        }
        // A title left untranslated is the first thing a reader notices.
        let titles: Vec<_> = id
            .iter()
            .zip(&en)
            .filter(|(i, _)| i.name.starts_with("title_"))
            .collect();
        assert!(!titles.is_empty());
        for (i, e) in titles {
            assert_ne!(i.text, e.text, "{} is the same in both languages", i.name);
        }
    }
}
