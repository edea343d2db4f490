//! English.

use super::lexicon::Lexicon;

/// The English lexicon.
pub(crate) static EN: Lexicon = Lexicon {
    label_username: "Username",
    label_password: "Password",
    label_profile: "Profile",
    label_ip_address: "IP Address",
    label_customer: "Customer",
    label_customer_info: "Customer Info",
    label_created_at: "Created At",
    label_field: "Field",
    label_new_value: "New Value",
    label_updated_at: "Updated At",
    label_reason: "Reason",
    label_deleted_at: "Deleted At",
    label_restarted_at: "Restarted At",
    label_active_session: "Active Session",
    label_status: "Status",
    label_connection: "Connection",
    label_next_steps: "Next Steps",
    label_example: "Example",
    label_ip: "IP",
    label_created: "Created",
    label_caller_id: "Caller ID",
    label_uptime: "Uptime",
    label_last_seen: "Last Seen",
    label_bandwidth: "Bandwidth",
    label_current_traffic: "Current Traffic",
    label_available_commands: "Available commands",
    label_available_profiles: "Available profiles",
    label_correct_example: "Correct example",
    label_format: "Format",
    label_incident: "Incident",
    label_router_message: "Router's message",

    dynamic: "Dynamic",
    no_static_ip: "dynamic",
    enabled: "Enabled",
    disabled: "Disabled",
    connected: "Connected",
    disconnected: "Disconnected",
    session_dropped: "disconnected",
    user_deleted: "the user is deleted",
    user_disabled: "the user is disabled",
    kick_failed: |done, username| {
        format!(
            "NOT disconnected: {done}, but its connection is still up. Run restartpppoe {username} or check the router."
        )
    },
    kick_unconfirmed: |done, username| {
        format!(
            "disconnect not confirmed: {done}, but the router did not answer when its connection was dropped. Run restartpppoe {username} to make sure."
        )
    },

    title_added: "PPPoE USER ADDED",
    title_edited: "PPPoE USER UPDATED",
    title_delete_confirmation: "DELETE CONFIRMATION",
    title_deleted: "PPPoE USER DELETED",
    title_restarted: "PPPoE CONNECTION RESTARTED",
    title_not_connected: "USER NOT CONNECTED",
    title_list: "PPPoE USERS",
    title_status: "PPPoE USER STATUS",
    title_help_pppoe: "PPPoE HELP",
    title_help_general: "PPPoE BOT",
    title_too_long: "Message too long",
    title_wrong_format: "Wrong command format",
    title_unknown_field: "Unknown field",
    title_bad_page: "Invalid page",
    title_bad_username: "Invalid username",
    title_bad_password: "Invalid password",
    title_bad_profile: "Invalid profile",
    title_bad_ip: "Invalid IP address",
    title_bad_status: "Invalid status",
    title_info_too_long: "Customer info too long",
    title_ip_conflict: "IP Address Conflict",
    title_not_found: "PPPoE user not found",
    title_already_exists: "Username already taken",
    title_bad_code: "Invalid confirmation code",
    title_router_refused: "The router refused the command",
    title_router_profile_missing: "Profile missing on the router",
    title_internal_error: "Something went wrong",
    title_unknown_result: "RESULT UNKNOWN",
    title_router_login_refused: "The router refused the bot's login",
    title_router_certificate: "Router certificate mismatch",
    title_router_busy: "The router is busy",
    title_denied: "Access denied",
    title_stale: "COMMAND SKIPPED",
    title_repeated: "ALREADY DONE",
    title_interrupted: "COMMAND NOT REPEATED",
    title_rate_limited: "Too many commands",

    delete_question: |name| format!("Are you sure you want to delete PPPoE user \"{name}\"?"),
    resend_with_reason: "Send it again with a reason to confirm",
    arg_deletion_reason: "deletion_reason",
    example_reason: "Customer moved away",
    reply_within: |minutes| format!("To delete, reply within {minutes} minutes"),

    not_connected: |username| {
        format!("User \"{username}\" is not connected, there is no connection to restart.")
    },
    check_status: "Check the status",

    list_none: "There are no PPPoE users yet.",
    list_no_match: |filter| format!("No user matches \"{filter}\"."),
    list_page_empty: |page, total, pages| {
        format!("Page {page} is empty: there are {total} users on {pages} pages.")
    },
    list_next_page: "Next page",
    list_showing: |first, last, total| format!("Showing {first}-{last} of {total}"),

    unit_days: "d",
    unit_hours: "h",
    unit_minutes: "m",
    unit_seconds: "s",

    arg_username: "username",
    arg_password: "password",
    arg_profile: "profile",
    arg_ip: "ip",
    arg_info: "info",
    arg_field: "field",
    arg_value: "value",
    arg_filter: "filter",
    arg_page: "page",
    arg_reason: "reason",
    arg_code: "code",
    arg_user: "user",
    arg_pass: "pass",

    menu_add: "Add a new user",
    menu_edit: "Edit a user",
    menu_delete: "Delete a user",
    menu_list: "List users",
    menu_help: "PPPoE help",
    menu_check: "Check a user's status",
    menu_restart: "Restart a connection",
    menu_edit_user: "Edit the user",
    menu_delete_user: "Delete the user",
    menu_restart_user: "Restart the connection",

    help_intro: "Manage MikroTik PPPoE users from WhatsApp.",
    help_add: "Add a new user. IP and info are optional; passwords have at least 8 characters.",
    help_edit: "Change a user. Fields: password, profile, ip (- clears the static IP), status (enable/disable), info.",
    help_delete: "Delete a user. Without a reason, the bot asks for confirmation.",
    help_list: "List users. Filter: part of a username, a profile name, aktif, nonaktif, online, offline.",
    help_check: "A user's status: connection, IP, caller-id, uptime, bandwidth.",
    help_restart: "Drop the active connection so that the ONU logs in again.",
    help_code_mode: |minutes| {
        format!(
            "A delete with a reason is answered with a code; send \"ya CODE\" within {minutes} minutes to delete."
        )
    },
    example_delete: "delpppoe john123 Customer moved away",

    too_long: |len, max| format!("The message has {len} characters, at most {max} are accepted."),
    missing_argument: |what| format!("{what} is missing."),
    unexpected_word: |found| format!("unexpected word \"{found}\"."),
    unknown_field: |found| {
        format!(
            "Field \"{found}\" cannot be edited. Editable fields: password, profile, ip, status, info."
        )
    },
    bad_page: |found| format!("Page \"{found}\" must be a number from 1."),
    empty_message: "Empty message.",
    unknown_command: |found| format!("Unknown command \"{found}\"."),
    send_help: |help| format!("Send {help} for the list of commands."),
    bad_code: |code, minutes| {
        format!(
            "No delete is waiting for code \"{code}\", or the code has expired ({minutes} minutes). Send delpppoe with a reason again for a new code."
        )
    },

    username_empty: "The username must not be empty.",
    username_too_long: |len, max| {
        format!("The username has {len} characters, at most {max} are allowed.")
    },
    username_bad_char: |found| {
        format!(
            "The username contains \"{found}\". Rule: 1-64 letters, digits, dot (.), underscore (_), @ or dash (-), no spaces."
        )
    },
    password_too_short: |len, min| {
        format!("The password has only {len} characters. Rule: at least {min}.")
    },
    password_too_long: |len, max| {
        format!("The password has {len} characters. Rule: at most {max}.")
    },
    password_bad_char: "Passwords may only contain ASCII letters, digits and symbols, without spaces.",
    unknown_profile: |found, available| {
        format!("There is no profile \"{found}\". Available profiles: {available}.")
    },
    bad_status: |found| {
        format!("Status \"{found}\" is unknown. Use enable/disable (or aktif/nonaktif).")
    },
    info_too_long: |len, max| format!("The customer info has {len} characters, at most {max}."),
    ip_rule: "Rule: a unicast IPv4 address without /prefix, not a network, broadcast, loopback or multicast address.",
    ip_malformed: |text| format!("\"{text}\" is not an IPv4 address."),
    ip_unspecified: |ip| format!("{ip} is an unspecified address (0.x.x.x)."),
    ip_loopback: |ip| format!("{ip} is a loopback address."),
    ip_multicast: |ip| format!("{ip} is a multicast address."),
    ip_broadcast: |ip| format!("{ip} is a broadcast or reserved address."),
    ip_link_local: |ip| format!("{ip} is a link-local address."),
    ip_network: |ip| format!("{ip} is a network address."),
    ip_outside_pools: |ip, pools| format!("{ip} is outside the allowed pools ({pools})."),

    ip_used_by_user: |ip, user| {
        format!("IP {ip} is already assigned to user \"{user}\". Choose another IP.")
    },
    ip_used_by_session: |ip, user| {
        format!("IP {ip} is in use by the active connection of \"{user}\". Choose another IP.")
    },
    conflict_add_undone: |username| {
        format!(
            "The conflict showed after user \"{username}\" was created, so it was removed again. Nothing was changed."
        )
    },
    conflict_ip_undone: |username| {
        format!(
            "The conflict showed after the IP was changed, so the old IP of \"{username}\" was put back. Nothing was changed."
        )
    },
    conflict_add_stands: |username| {
        format!(
            "User \"{username}\" WAS created with this IP and could NOT be removed again. Delete it: delpppoe {username} IP conflict"
        )
    },
    conflict_ip_stands: |username, ip| {
        format!(
            "The IP of \"{username}\" WAS changed to {ip} and could NOT be put back. Change it: editpppoe {username} ip -"
        )
    },
    ip_not_verified: |ip| {
        format!(
            "IP {ip} could not be read back after it was saved (the router did not answer): make sure no other user has this IP."
        )
    },

    not_found: |username| format!("There is no user \"{username}\" on the router."),
    already_exists: |username| {
        format!(
            "User \"{username}\" already exists on the router. Use another username, or check it: checkpppoe {username}"
        )
    },
    nothing_changed: "Nothing was changed.",
    router_profile_missing: |profile| {
        format!(
            "Profile \"{profile}\" is in the bot's package list but not in the router's /ppp/profile. Ask the admin to fix the configuration."
        )
    },
    router_unreachable: "The router cannot be reached.",
    not_processed: "The command could not be processed.",
    try_again_later: "Try again in a moment; if it happens again, tell the admin.",
    unknown_result: |command| {
        format!(
            "The command \"{command}\" reached the router, but the router did not answer and could not be read back. The change may or may not have been made."
        )
    },
    unknown_result_advice: |check| format!("Do not send it again yet. Check first: {check}"),
    router_login_refused: "The router refused the API user or password the bot uses, so the command was not run. Nothing was changed. Tell the admin: the bot's router login needs fixing.",
    router_certificate: "The router's TLS certificate is not the one in the bot's configuration, so the bot sent nothing. Nothing was changed. Tell the admin at once (a replaced router, or an intercepted connection).",
    router_busy: "Too many commands are running on the router; yours was not sent. Nothing was changed. Try again in a moment.",
    audit_failed: "The audit log could not record this. Tell the admin.",

    denied: |kind| format!("You may not run {kind}. Ask the admin if you need it."),
    unknown_sender: "Your number is not registered to use this bot.",
    seconds: |n| match n {
        1 => "1 second".to_owned(),
        n => format!("{n} seconds"),
    },
    minutes: |n| match n {
        1 => "1 minute".to_owned(),
        n => format!("{n} minutes"),
    },
    stale: |command, sent_at, age| {
        format!(
            "The message \"{command}\" was sent at {sent_at} ({age} ago) and arrived only now. Commands that change data are not run from old messages."
        )
    },
    stale_advice: "Send the command again if it is still needed.",
    repeated: |command, time| {
        format!(
            "The very same command \"{command}\" was already done at {time}. This resend is not run again, so that the change is not made twice."
        )
    },
    repeated_advice: |word| {
        format!(
            "To repeat it on purpose, send the same message again with ! in front (!{word} ...)."
        )
    },
    interrupted: |command| {
        format!(
            "The message \"{command}\" was already being processed when the bot stopped before recording it. Its result is unknown, so it is not run twice."
        )
    },
    interrupted_advice: |check| {
        format!("Check first: {check}, then send it again if still needed.")
    },
    rate_limited: |per_minute| {
        format!("At most {per_minute} commands per minute. Wait a moment and try again.")
    },

    steps_added: &[
        "Set the username & password on the customer's ONU",
        "Test the PPPoE connection",
        "Verify the speed matches the profile",
        "Update the trouble report, if any",
    ],
    steps_edit_profile: &[
        "Restart the PPPoE connection on the ONU",
        "Test the speed of the new profile",
        "Verify the bandwidth matches the package",
    ],
    steps_edit_password: &[
        "Change the password on the customer's ONU",
        "Restart the PPPoE connection on the ONU",
        "Test the PPPoE connection",
    ],
    steps_edit_ip: &[
        "Restart the PPPoE connection so that the new IP is used",
        "Verify the IP with checkpppoe",
    ],
    steps_edit_status: &[
        "Verify the status with checkpppoe",
        "Update the trouble report, if any",
    ],
    steps_edit_info: &["Verify the information with checkpppoe"],
    steps_deleted: &[
        "Remove the PPPoE settings from the ONU",
        "Make sure no connection is active",
        "Update the trouble report, if any",
        "Record the reason for the audit",
    ],
    steps_restarted: &[
        "Wait 30-60 seconds for the connection to settle",
        "Test the internet connection",
        "Verify the speed matches the profile",
        "Update the trouble report, if any",
    ],
};
