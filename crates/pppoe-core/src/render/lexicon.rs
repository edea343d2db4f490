//! The words of the replies, one [`Lexicon`] per language. The layouts in `mod.rs` give the
//! structure, the emoji, the line order and the `*bold*` markers; every word comes from here.
//!
//! A fixed text is a `&'static str`; a text that shows values is a `fn` that takes them, so
//! that each language puts them where its grammar wants. Labels that the spec keeps in English
//! in both languages (`Username`, `Profile`, ...) are still lexicon words.

use std::net::Ipv4Addr;

use crate::command::CommandKind;

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
    /// A correct example of the command, under an error.
    pub(crate) label_correct_example: &'static str,
    /// The usage line under a grammar error.
    pub(crate) label_format: &'static str,
    /// The id of an incident, which the operator looks up in the log.
    pub(crate) label_incident: &'static str,
    /// The router's own words when it refused a command.
    pub(crate) label_router_message: &'static str,

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
    /// The message is longer than the limit.
    pub(crate) title_too_long: &'static str,
    /// An argument is missing, or there is one too many.
    pub(crate) title_wrong_format: &'static str,
    /// `editpppoe` with a field it cannot change.
    pub(crate) title_unknown_field: &'static str,
    /// `pppoe` with a page that is no number from 1.
    pub(crate) title_bad_page: &'static str,
    /// A username that breaks its rule.
    pub(crate) title_bad_username: &'static str,
    /// A password that breaks its rule.
    pub(crate) title_bad_password: &'static str,
    /// A package that is not in the table.
    pub(crate) title_bad_profile: &'static str,
    /// A static IP that breaks its rule.
    pub(crate) title_bad_ip: &'static str,
    /// A status that is none of enable/disable/aktif/nonaktif.
    pub(crate) title_bad_status: &'static str,
    /// Customer information longer than the limit.
    pub(crate) title_info_too_long: &'static str,
    /// The static IP is used by someone else (the spec keeps this title in English).
    pub(crate) title_ip_conflict: &'static str,
    /// No user of that name.
    pub(crate) title_not_found: &'static str,
    /// A user of that name exists already.
    pub(crate) title_already_exists: &'static str,
    /// `ya CODE` with no delete waiting for that code.
    pub(crate) title_bad_code: &'static str,
    /// The router refused a command.
    pub(crate) title_router_refused: &'static str,
    /// The router has no profile the package maps to.
    pub(crate) title_router_profile_missing: &'static str,
    /// An internal failure.
    pub(crate) title_internal_error: &'static str,
    /// A change whose result cannot be known.
    pub(crate) title_unknown_result: &'static str,
    /// The router refused the bot's own login.
    pub(crate) title_router_login_refused: &'static str,
    /// The router's TLS certificate is not the configured one.
    pub(crate) title_router_certificate: &'static str,
    /// Every slot of the router connection is busy.
    pub(crate) title_router_busy: &'static str,
    /// The sender's role may not run the command.
    pub(crate) title_denied: &'static str,
    /// A change from an old message was skipped.
    pub(crate) title_stale: &'static str,
    /// A change whose earlier attempt was interrupted is not run again.
    pub(crate) title_interrupted: &'static str,
    /// The same change, sent again soon after it was done, is not run twice.
    pub(crate) title_repeated: &'static str,
    /// Too many commands in the last minute.
    pub(crate) title_rate_limited: &'static str,

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

    // Grammar errors. The layout writes `COMMAND: ` before an argument error and the usage
    // line after it.
    /// The message is too long: `(characters, limit)`.
    pub(crate) too_long: fn(usize, usize) -> String,
    /// An argument is missing: its placeholder, already in bold.
    pub(crate) missing_argument: fn(&str) -> String,
    /// A word after the last argument.
    pub(crate) unexpected_word: fn(&str) -> String,
    /// `editpppoe` with a field it cannot change (the field as typed).
    pub(crate) unknown_field: fn(&str) -> String,
    /// `pppoe` with a page that is no number from 1 (the page as typed).
    pub(crate) bad_page: fn(&str) -> String,
    /// A blank message, before the pointer to `help pppoe`.
    pub(crate) empty_message: &'static str,
    /// A first word that is no command (at most 30 characters of it).
    pub(crate) unknown_command: fn(&str) -> String,
    /// Where the list of commands is: the command, already in bold.
    pub(crate) send_help: fn(&str) -> String,
    /// No delete waits for the code: `(code, minutes a code is valid)`.
    pub(crate) bad_code: fn(&str, u64) -> String,

    // Field errors.
    /// An empty username.
    pub(crate) username_empty: &'static str,
    /// A username that is too long: `(characters, limit)`.
    pub(crate) username_too_long: fn(usize, usize) -> String,
    /// A username with a character it may not have, and the rule.
    pub(crate) username_bad_char: fn(char) -> String,
    /// A password that is too short: `(characters, minimum)`.
    pub(crate) password_too_short: fn(usize, usize) -> String,
    /// A password that is too long: `(characters, limit)`.
    pub(crate) password_too_long: fn(usize, usize) -> String,
    /// A password with a character it may not have.
    pub(crate) password_bad_char: &'static str,
    /// A package that is not in the table: `(package as typed, the packages, comma-separated)`.
    pub(crate) unknown_profile: fn(&str, &str) -> String,
    /// A status word that is none of enable/disable/aktif/nonaktif.
    pub(crate) bad_status: fn(&str) -> String,
    /// Customer information that is too long: `(characters, limit)`.
    pub(crate) info_too_long: fn(usize, usize) -> String,
    /// The rule for static IPs, under every IP error.
    pub(crate) ip_rule: &'static str,
    /// Not an IPv4 address (the text as typed).
    pub(crate) ip_malformed: fn(&str) -> String,
    /// `0.x.x.x`.
    pub(crate) ip_unspecified: fn(Ipv4Addr) -> String,
    /// `127.x.x.x`.
    pub(crate) ip_loopback: fn(Ipv4Addr) -> String,
    /// A multicast address.
    pub(crate) ip_multicast: fn(Ipv4Addr) -> String,
    /// A broadcast or reserved address.
    pub(crate) ip_broadcast: fn(Ipv4Addr) -> String,
    /// `169.254.x.x`.
    pub(crate) ip_link_local: fn(Ipv4Addr) -> String,
    /// The network address of a prefix.
    pub(crate) ip_network: fn(Ipv4Addr) -> String,
    /// Outside the configured pools: `(address, the pools)`.
    pub(crate) ip_outside_pools: fn(Ipv4Addr, &str) -> String,

    // Static IP conflicts.
    /// The IP is another user's static IP: `(address, that user)`.
    pub(crate) ip_used_by_user: fn(Ipv4Addr, &str) -> String,
    /// The IP is in use by another user's session: `(address, that user)`.
    pub(crate) ip_used_by_session: fn(Ipv4Addr, &str) -> String,
    /// The conflict showed after the user (username) was created, who was removed again.
    pub(crate) conflict_add_undone: fn(&str) -> String,
    /// The conflict showed after the IP of the user (username) was changed, which was put
    /// back.
    pub(crate) conflict_ip_undone: fn(&str) -> String,
    /// The user (username) was created with the IP and could not be removed again.
    pub(crate) conflict_add_stands: fn(&str) -> String,
    /// The IP of the user was changed and could not be put back: `(username, address)`.
    pub(crate) conflict_ip_stands: fn(&str, Ipv4Addr) -> String,
    /// The saved IP could not be read back to check it.
    pub(crate) ip_not_verified: fn(Ipv4Addr) -> String,

    // Users and the router.
    /// No user of that name (username).
    pub(crate) not_found: fn(&str) -> String,
    /// A user of that name (username) exists already.
    pub(crate) already_exists: fn(&str) -> String,
    /// After the router's refusal: nothing was changed.
    pub(crate) nothing_changed: &'static str,
    /// The router lacks the profile of a package (the router profile).
    pub(crate) router_profile_missing: fn(&str) -> String,
    /// The cause of an internal failure: the router cannot be reached.
    pub(crate) router_unreachable: &'static str,
    /// The cause of an internal failure: anything else.
    pub(crate) not_processed: &'static str,
    /// After the cause of an internal failure: what to do.
    pub(crate) try_again_later: &'static str,
    /// The change (the command as typed) may or may not have been made.
    pub(crate) unknown_result: fn(&str) -> String,
    /// Do not repeat the change, check first (the command that checks).
    pub(crate) unknown_result_advice: fn(&str) -> String,
    /// The router refused the bot's login; nothing was changed; tell the admin.
    pub(crate) router_login_refused: &'static str,
    /// The router's certificate is not the configured one; nothing was changed.
    pub(crate) router_certificate: &'static str,
    /// The router is busy; nothing was sent; try again.
    pub(crate) router_busy: &'static str,
    /// Appended to a done change: the audit log could not record it.
    pub(crate) audit_failed: &'static str,

    // Who may do what, and when.
    /// The sender may not run the command.
    pub(crate) denied: fn(CommandKind) -> String,
    /// The sender is not on the allowlist.
    pub(crate) unknown_sender: &'static str,
    /// An age under a minute.
    pub(crate) seconds: fn(u64) -> String,
    /// An age of a minute or more.
    pub(crate) minutes: fn(u64) -> String,
    /// A change from an old message was skipped: `(command as typed, sent at, age)`.
    pub(crate) stale: fn(&str, &str, &str) -> String,
    /// After a skipped change: send it again if still needed.
    pub(crate) stale_advice: &'static str,
    /// The same change (as typed) was done at a time (`HH:MM:SS`) moments ago.
    pub(crate) repeated: fn(&str, &str) -> String,
    /// After a repeat: to run it again, send the same message with `!` in front (the command
    /// word).
    pub(crate) repeated_advice: fn(&str) -> String,
    /// A change (the command as typed) was interrupted before it was recorded.
    pub(crate) interrupted: fn(&str) -> String,
    /// Check first (the command that checks), then send it again.
    pub(crate) interrupted_advice: fn(&str) -> String,
    /// At most so many commands per minute.
    pub(crate) rate_limited: fn(u32) -> String,

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
    use std::net::Ipv4Addr;

    use super::Lexicon;
    use crate::command::CommandKind;
    use crate::render::{en::EN, id::ID};

    /// Sample values given to the texts that show values; each must appear in the text.
    const USER: &str = "⟪user⟫";
    const DONE: &str = "⟪done⟫";
    const WORD: &str = "⟪word⟫";
    const IP: Ipv4Addr = Ipv4Addr::new(10, 9, 8, 7);

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
            label_correct_example,
            label_format,
            label_incident,
            label_router_message,
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
            title_too_long,
            title_wrong_format,
            title_unknown_field,
            title_bad_page,
            title_bad_username,
            title_bad_password,
            title_bad_profile,
            title_bad_ip,
            title_bad_status,
            title_info_too_long,
            title_ip_conflict,
            title_not_found,
            title_already_exists,
            title_bad_code,
            title_router_refused,
            title_router_profile_missing,
            title_internal_error,
            title_unknown_result,
            title_router_login_refused,
            title_router_certificate,
            title_router_busy,
            title_denied,
            title_stale,
            title_interrupted,
            title_repeated,
            title_rate_limited,
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
            too_long,
            missing_argument,
            unexpected_word,
            unknown_field,
            bad_page,
            empty_message,
            unknown_command,
            send_help,
            bad_code,
            username_empty,
            username_too_long,
            username_bad_char,
            password_too_short,
            password_too_long,
            password_bad_char,
            unknown_profile,
            bad_status,
            info_too_long,
            ip_rule,
            ip_malformed,
            ip_unspecified,
            ip_loopback,
            ip_multicast,
            ip_broadcast,
            ip_link_local,
            ip_network,
            ip_outside_pools,
            ip_used_by_user,
            ip_used_by_session,
            conflict_add_undone,
            conflict_ip_undone,
            conflict_add_stands,
            conflict_ip_stands,
            ip_not_verified,
            not_found,
            already_exists,
            nothing_changed,
            router_profile_missing,
            router_unreachable,
            not_processed,
            try_again_later,
            unknown_result,
            unknown_result_advice,
            router_login_refused,
            router_certificate,
            router_busy,
            audit_failed,
            denied,
            unknown_sender,
            seconds,
            minutes,
            stale,
            stale_advice,
            repeated,
            repeated_advice,
            interrupted,
            interrupted_advice,
            rate_limited,
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
            fixed("label_correct_example", label_correct_example),
            fixed("label_format", label_format),
            fixed("label_incident", label_incident),
            fixed("label_router_message", label_router_message),
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
            fixed("title_too_long", title_too_long),
            fixed("title_wrong_format", title_wrong_format),
            fixed("title_unknown_field", title_unknown_field),
            fixed("title_bad_page", title_bad_page),
            fixed("title_bad_username", title_bad_username),
            fixed("title_bad_password", title_bad_password),
            fixed("title_bad_profile", title_bad_profile),
            fixed("title_bad_ip", title_bad_ip),
            fixed("title_bad_status", title_bad_status),
            fixed("title_info_too_long", title_info_too_long),
            fixed("title_ip_conflict", title_ip_conflict),
            fixed("title_not_found", title_not_found),
            fixed("title_already_exists", title_already_exists),
            fixed("title_bad_code", title_bad_code),
            fixed("title_router_refused", title_router_refused),
            fixed("title_router_profile_missing", title_router_profile_missing),
            fixed("title_internal_error", title_internal_error),
            fixed("title_unknown_result", title_unknown_result),
            fixed("title_router_login_refused", title_router_login_refused),
            fixed("title_router_certificate", title_router_certificate),
            fixed("title_router_busy", title_router_busy),
            fixed("title_denied", title_denied),
            fixed("title_stale", title_stale),
            fixed("title_interrupted", title_interrupted),
            fixed("title_repeated", title_repeated),
            fixed("title_rate_limited", title_rate_limited),
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
            shown("too_long", too_long(4821, 97), &[&4821, &97]),
            shown("missing_argument", missing_argument(USER), &[&USER]),
            shown("unexpected_word", unexpected_word(WORD), &[&WORD]),
            shown("unknown_field", unknown_field(WORD), &[&WORD]),
            shown("bad_page", bad_page(WORD), &[&WORD]),
            fixed("empty_message", empty_message),
            shown("unknown_command", unknown_command(WORD), &[&WORD]),
            shown("send_help", send_help(WORD), &[&WORD]),
            shown("bad_code", bad_code(WORD, 97), &[&WORD, &97]),
            fixed("username_empty", username_empty),
            shown(
                "username_too_long",
                username_too_long(4821, 97),
                &[&4821, &97],
            ),
            shown("username_bad_char", username_bad_char('¤'), &[&'¤']),
            shown(
                "password_too_short",
                password_too_short(4821, 97),
                &[&4821, &97],
            ),
            shown(
                "password_too_long",
                password_too_long(4821, 97),
                &[&4821, &97],
            ),
            fixed("password_bad_char", password_bad_char),
            shown(
                "unknown_profile",
                unknown_profile(WORD, USER),
                &[&WORD, &USER],
            ),
            shown("bad_status", bad_status(WORD), &[&WORD]),
            shown("info_too_long", info_too_long(4821, 97), &[&4821, &97]),
            fixed("ip_rule", ip_rule),
            shown("ip_malformed", ip_malformed(WORD), &[&WORD]),
            shown("ip_unspecified", ip_unspecified(IP), &[&IP]),
            shown("ip_loopback", ip_loopback(IP), &[&IP]),
            shown("ip_multicast", ip_multicast(IP), &[&IP]),
            shown("ip_broadcast", ip_broadcast(IP), &[&IP]),
            shown("ip_link_local", ip_link_local(IP), &[&IP]),
            shown("ip_network", ip_network(IP), &[&IP]),
            shown(
                "ip_outside_pools",
                ip_outside_pools(IP, WORD),
                &[&IP, &WORD],
            ),
            shown("ip_used_by_user", ip_used_by_user(IP, USER), &[&IP, &USER]),
            shown(
                "ip_used_by_session",
                ip_used_by_session(IP, USER),
                &[&IP, &USER],
            ),
            shown("conflict_add_undone", conflict_add_undone(USER), &[&USER]),
            shown("conflict_ip_undone", conflict_ip_undone(USER), &[&USER]),
            shown("conflict_add_stands", conflict_add_stands(USER), &[&USER]),
            shown(
                "conflict_ip_stands",
                conflict_ip_stands(USER, IP),
                &[&USER, &IP],
            ),
            shown("ip_not_verified", ip_not_verified(IP), &[&IP]),
            shown("not_found", not_found(USER), &[&USER]),
            shown("already_exists", already_exists(USER), &[&USER]),
            fixed("nothing_changed", nothing_changed),
            shown(
                "router_profile_missing",
                router_profile_missing(WORD),
                &[&WORD],
            ),
            fixed("router_unreachable", router_unreachable),
            fixed("not_processed", not_processed),
            fixed("try_again_later", try_again_later),
            shown("unknown_result", unknown_result(WORD), &[&WORD]),
            shown(
                "unknown_result_advice",
                unknown_result_advice(WORD),
                &[&WORD],
            ),
            fixed("router_login_refused", router_login_refused),
            fixed("router_certificate", router_certificate),
            fixed("router_busy", router_busy),
            fixed("audit_failed", audit_failed),
            shown(
                "denied",
                denied(CommandKind::Restart),
                &[&CommandKind::Restart],
            ),
            fixed("unknown_sender", unknown_sender),
            shown("seconds", seconds(97), &[&97]),
            shown("minutes", minutes(97), &[&97]),
            shown("stale", stale(WORD, DONE, USER), &[&WORD, &DONE, &USER]),
            fixed("stale_advice", stale_advice),
            shown("repeated", repeated(WORD, DONE), &[&WORD, &DONE]),
            shown("repeated_advice", repeated_advice(WORD), &[&WORD]),
            shown("interrupted", interrupted(WORD), &[&WORD]),
            shown("interrupted_advice", interrupted_advice(WORD), &[&WORD]),
            shown("rate_limited", rate_limited(97), &[&97]),
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
        // The spec keeps "IP Address Conflict" in English in both.
        let titles: Vec<_> = id
            .iter()
            .zip(&en)
            .filter(|(i, _)| i.name.starts_with("title_") && i.name != "title_ip_conflict")
            .collect();
        assert!(!titles.is_empty());
        for (i, e) in titles {
            assert_ne!(i.text, e.text, "{} is the same in both languages", i.name);
        }
    }
}
