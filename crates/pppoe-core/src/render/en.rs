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
