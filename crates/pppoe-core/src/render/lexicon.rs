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
    /// The static IP line of a user in the list.
    pub(crate) label_ip: &'static str,
    /// When the bot created a user, in the list.
    pub(crate) label_created: &'static str,
    /// The ONU's MAC address (`checkpppoe`).
    pub(crate) label_caller_id: &'static str,
    /// How long the session has been up (`checkpppoe`).
    pub(crate) label_uptime: &'static str,
    /// When the user was last seen online (`checkpppoe`).
    pub(crate) label_last_seen: &'static str,
    /// The package's speeds (`checkpppoe`).
    pub(crate) label_bandwidth: &'static str,
    /// The live traffic of the session (`checkpppoe`).
    pub(crate) label_current_traffic: &'static str,
    /// The menu of commands under `help`, `pppoe` and `checkpppoe`.
    pub(crate) label_available_commands: &'static str,
    /// The list of packages under `help pppoe`.
    pub(crate) label_available_profiles: &'static str,

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
    /// `pppoe`: the list of users.
    pub(crate) title_list: &'static str,
    /// `checkpppoe`: one user's status.
    pub(crate) title_status: &'static str,
    /// `help pppoe`: the command reference.
    pub(crate) title_help_pppoe: &'static str,
    /// `help`: the short menu.
    pub(crate) title_help_general: &'static str,

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

    // Listing.
    /// No user at all.
    pub(crate) list_none: &'static str,
    /// No user matches the filter.
    pub(crate) list_no_match: fn(&str) -> String,
    /// A page past the end: `(page, users in all, pages in all)`.
    pub(crate) list_page_empty: fn(u32, usize, usize) -> String,
    /// Before `pppoe ... N`: the command that shows the next page.
    pub(crate) list_next_page: &'static str,
    /// Which users the page shows: `(first, last, users in all)`.
    pub(crate) list_showing: fn(usize, usize, usize) -> String,

    // An uptime (`2d 1h 5m`): each unit follows its number directly, so a unit that is a
    // word starts with a space.
    /// Days.
    pub(crate) unit_days: &'static str,
    /// Hours.
    pub(crate) unit_hours: &'static str,
    /// Minutes.
    pub(crate) unit_minutes: &'static str,
    /// Seconds.
    pub(crate) unit_seconds: &'static str,

    // Placeholders of arguments, shown in brackets in usage lines and menus.
    /// The username, in usage lines and in "missing argument" errors.
    pub(crate) arg_username: &'static str,
    /// The password.
    pub(crate) arg_password: &'static str,
    /// The package.
    pub(crate) arg_profile: &'static str,
    /// The static IP of `addpppoe`.
    pub(crate) arg_ip: &'static str,
    /// The customer information of `addpppoe`.
    pub(crate) arg_info: &'static str,
    /// The field `editpppoe` changes.
    pub(crate) arg_field: &'static str,
    /// The new value of `editpppoe`.
    pub(crate) arg_value: &'static str,
    /// The filter of `pppoe`.
    pub(crate) arg_filter: &'static str,
    /// The page of `pppoe`.
    pub(crate) arg_page: &'static str,
    /// The reason of `delpppoe`.
    pub(crate) arg_reason: &'static str,
    /// The confirmation code of `ya`.
    pub(crate) arg_code: &'static str,
    /// The username, short, in the menus.
    pub(crate) arg_user: &'static str,
    /// The password, short, in the menus.
    pub(crate) arg_pass: &'static str,

    // Menus: what each command does, after its synopsis.
    /// `addpppoe`.
    pub(crate) menu_add: &'static str,
    /// `editpppoe`.
    pub(crate) menu_edit: &'static str,
    /// `delpppoe`.
    pub(crate) menu_delete: &'static str,
    /// `pppoe`.
    pub(crate) menu_list: &'static str,
    /// `help pppoe`.
    pub(crate) menu_help: &'static str,
    /// `checkpppoe`.
    pub(crate) menu_check: &'static str,
    /// `restartpppoe`.
    pub(crate) menu_restart: &'static str,
    /// `editpppoe USER`, in the menu about one user (`checkpppoe`).
    pub(crate) menu_edit_user: &'static str,
    /// `delpppoe USER`, in the menu about one user.
    pub(crate) menu_delete_user: &'static str,
    /// `restartpppoe USER`, in the menu about one user.
    pub(crate) menu_restart_user: &'static str,

    // Help.
    /// What the bot is, under the title of `help`.
    pub(crate) help_intro: &'static str,
    /// `addpppoe` in the command reference.
    pub(crate) help_add: &'static str,
    /// `editpppoe` in the command reference.
    pub(crate) help_edit: &'static str,
    /// `delpppoe` in the command reference.
    pub(crate) help_delete: &'static str,
    /// `pppoe` in the command reference.
    pub(crate) help_list: &'static str,
    /// `checkpppoe` in the command reference.
    pub(crate) help_check: &'static str,
    /// `restartpppoe` in the command reference.
    pub(crate) help_restart: &'static str,
    /// How a delete is confirmed with a code, valid for so many minutes.
    pub(crate) help_code_mode: fn(u64) -> String,
    /// The example of `delpppoe`: `delpppoe john123 ` and the example reason.
    pub(crate) example_delete: &'static str,

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
            label_ip,
            label_created,
            label_caller_id,
            label_uptime,
            label_last_seen,
            label_bandwidth,
            label_current_traffic,
            label_available_commands,
            label_available_profiles,
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
            title_list,
            title_status,
            title_help_pppoe,
            title_help_general,
            delete_question,
            resend_with_reason,
            arg_deletion_reason,
            example_reason,
            reply_within,
            not_connected,
            check_status,
            list_none,
            list_no_match,
            list_page_empty,
            list_next_page,
            list_showing,
            unit_days,
            unit_hours,
            unit_minutes,
            unit_seconds,
            arg_username,
            arg_password,
            arg_profile,
            arg_ip,
            arg_info,
            arg_field,
            arg_value,
            arg_filter,
            arg_page,
            arg_reason,
            arg_code,
            arg_user,
            arg_pass,
            menu_add,
            menu_edit,
            menu_delete,
            menu_list,
            menu_help,
            menu_check,
            menu_restart,
            menu_edit_user,
            menu_delete_user,
            menu_restart_user,
            help_intro,
            help_add,
            help_edit,
            help_delete,
            help_list,
            help_check,
            help_restart,
            help_code_mode,
            example_delete,
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
            fixed("label_ip", label_ip),
            fixed("label_created", label_created),
            fixed("label_caller_id", label_caller_id),
            fixed("label_uptime", label_uptime),
            fixed("label_last_seen", label_last_seen),
            fixed("label_bandwidth", label_bandwidth),
            fixed("label_current_traffic", label_current_traffic),
            fixed("label_available_commands", label_available_commands),
            fixed("label_available_profiles", label_available_profiles),
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
            fixed("title_list", title_list),
            fixed("title_status", title_status),
            fixed("title_help_pppoe", title_help_pppoe),
            fixed("title_help_general", title_help_general),
            shown("delete_question", delete_question(USER), &[&USER]),
            fixed("resend_with_reason", resend_with_reason),
            fixed("arg_deletion_reason", arg_deletion_reason),
            fixed("example_reason", example_reason),
            shown("reply_within", reply_within(97), &[&97]),
            shown("not_connected", not_connected(USER), &[&USER]),
            fixed("check_status", check_status),
            fixed("list_none", list_none),
            shown("list_no_match", list_no_match(USER), &[&USER]),
            shown(
                "list_page_empty",
                list_page_empty(97, 4821, 53),
                &[&97, &4821, &53],
            ),
            fixed("list_next_page", list_next_page),
            shown(
                "list_showing",
                list_showing(97, 4821, 53),
                &[&97, &4821, &53],
            ),
            fixed("unit_days", unit_days),
            fixed("unit_hours", unit_hours),
            fixed("unit_minutes", unit_minutes),
            fixed("unit_seconds", unit_seconds),
            fixed("arg_username", arg_username),
            fixed("arg_password", arg_password),
            fixed("arg_profile", arg_profile),
            fixed("arg_ip", arg_ip),
            fixed("arg_info", arg_info),
            fixed("arg_field", arg_field),
            fixed("arg_value", arg_value),
            fixed("arg_filter", arg_filter),
            fixed("arg_page", arg_page),
            fixed("arg_reason", arg_reason),
            fixed("arg_code", arg_code),
            fixed("arg_user", arg_user),
            fixed("arg_pass", arg_pass),
            fixed("menu_add", menu_add),
            fixed("menu_edit", menu_edit),
            fixed("menu_delete", menu_delete),
            fixed("menu_list", menu_list),
            fixed("menu_help", menu_help),
            fixed("menu_check", menu_check),
            fixed("menu_restart", menu_restart),
            fixed("menu_edit_user", menu_edit_user),
            fixed("menu_delete_user", menu_delete_user),
            fixed("menu_restart_user", menu_restart_user),
            fixed("help_intro", help_intro),
            fixed("help_add", help_add),
            fixed("help_edit", help_edit),
            fixed("help_delete", help_delete),
            fixed("help_list", help_list),
            fixed("help_check", help_check),
            fixed("help_restart", help_restart),
            shown("help_code_mode", help_code_mode(97), &[&97]),
            fixed("example_delete", example_delete),
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
    fn the_example_of_a_delete_gives_the_example_reason() {
        for lx in [&ID, &EN] {
            let example = format!("delpppoe john123 {}", lx.example_reason);
            assert_eq!(lx.example_delete, example);
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
